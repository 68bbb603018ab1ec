"""A check-in code cannot be mistyped, damaged, forged or borrowed into someone else's credit.

(a) is exhaustive over the typed code's check symbol; (b) throws random damage at printed
codes and QR payloads; (c) names each way a code goes wrong and wants the reason back.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tracker.conftest import (
    Clock,
    act_as_admin,
    as_in_a_test,
    make_order,
    shipped_course,
    snapshot,
)
from tracker.checkins import REFUSED_CODE, checkin_one, identify
from tracker.codes import ALPHABET, Keyring, check_symbol, normalise_code, show_code
from tracker.config import initialise
from tracker.errors import CodeError
from tracker.issuing import Issued, issue, revoke
from tracker.tracker import Tracker, open_tracker

CODES = 200  # codes checked exhaustively: every position x every other symbol, every swap
MUTATIONS = 100_000  # random mutations per engine that change what the code says
# The fast loop checks the first part of each count; `make test` (slow) the rest too, so a
# full run checks every code and every mutation exactly once, as before.
FAST_CODES = 40
FAST_MUTATIONS = 10_000
PAYLOAD_SYMBOLS = "0123456789abcdefghjkmnpqrstvwxyz"
# What damage may put in: the code's own symbols, the letters Crockford leaves out, other
# cases, separators, and things a scanner or a person can add.
NOISE = ALPHABET + ALPHABET.lower() + PAYLOAD_SYMBOLS + "ILOUiluo-. /:_#"


@pytest.fixture(scope="module")
def codes(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Typed codes (12 symbols, no hyphens) signed under a fresh key."""
    keyring = Keyring(tmp_path_factory.mktemp("keys"))
    keyring.create()
    return [keyring.new_token().code for _ in range(CODES)]


# -- (a) the check symbol -------------------------------------------------------------------


@pytest.mark.parametrize(
    "part",
    [slice(None, FAST_CODES), pytest.param(slice(FAST_CODES, None), marks=pytest.mark.slow)],
    ids=["first", "rest"],
)
def test_every_wrong_symbol_is_caught(codes: list[str], part: slice) -> None:
    """Each single wrong symbol, at every position and of every kind, is refused."""
    for code in codes[part]:
        for position, symbol in enumerate(code):
            for other in ALPHABET.replace(symbol, ""):
                typo = code[:position] + other + code[position + 1 :]
                with pytest.raises(CodeError, match="wrong or two are swapped"):
                    normalise_code(show_code(typo))


def test_every_swap_of_neighbours_is_caught(codes: list[str]) -> None:
    """Swapping two different neighbours, the check symbol included, is refused."""
    swaps = 0
    for code in codes:
        for position in range(len(code) - 1):
            a, b = code[position], code[position + 1]
            if a == b:
                continue  # swapping equal symbols changes nothing
            swapped = code[:position] + b + a + code[position + 2 :]
            with pytest.raises(CodeError, match="wrong or two are swapped"):
                normalise_code(show_code(swapped))
            swaps += 1
    assert swaps > CODES * 10


def test_the_ways_people_type_a_code_are_accepted(codes: list[str]) -> None:
    """Lower case, spaces, extra hyphens, O for 0, and I or L for 1 all read as the code."""
    shaky = random.Random(5)
    with_look_alikes = [c for c in codes if "0" in c and "1" in c]
    assert len(with_look_alikes) >= 20, "too few codes hold both a 0 and a 1"
    for code in codes:
        printed = show_code(code)
        assert len(printed) <= 14
        variants = [
            printed,
            code,
            printed.lower(),
            printed.replace("-", " "),
            "  " + printed.replace("-", " - ") + "\t",
            "-".join(code),
            "--" + printed + "--",
            printed.replace("0", "O").replace("1", "I"),
            printed.replace("0", "o").replace("1", "l"),
            "".join(shaky.choice([c, c.lower()]) for c in printed.replace("1", "L")),
        ]
        for typed in variants:
            assert normalise_code(typed) == code, typed


def test_a_code_with_a_letter_codes_never_use_says_so() -> None:
    """U is not in the alphabet; a short or empty code says what is missing."""
    with pytest.raises(CodeError, match="'U' is not used"):
        normalise_code("1FXD-B75U-X6VS")
    with pytest.raises(CodeError, match="has 8"):
        normalise_code("1FXD-B75T")
    with pytest.raises(CodeError, match="empty"):
        normalise_code(" - ")


# -- (b) random damage ------------------------------------------------------------------------


def mutate(text: str, rng: random.Random) -> str:
    """`text` with 1 to 4 random edits: substitutions, insertions, deletions, swaps, cuts."""
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        edit = rng.choice(["substitute", "substitute", "insert", "delete", "swap", "cut"])
        where = rng.randrange(len(chars) + (edit == "insert")) if chars else 0
        if edit == "substitute" and chars:
            chars[where] = rng.choice(NOISE)
        elif edit == "insert":
            chars.insert(where, rng.choice(NOISE))
        elif edit == "delete" and chars:
            del chars[where]
        elif edit == "swap" and len(chars) > 1:
            where = min(where, len(chars) - 2)
            chars[where], chars[where + 1] = chars[where + 1], chars[where]
        elif edit == "cut" and chars:
            chars = chars[:where] if rng.random() < 0.7 else chars[where:]
    return "".join(chars)


def what_it_says(t: Tracker, text: str) -> tuple[str, str] | None:
    """What `identify` makes of `text` (a serial or a typed code), or None if it refuses it."""
    try:
        found = identify(t.keyring, text)
    except CodeError:
        return None
    return ("serial", found.serial) if found.serial else ("code", found.code or "")


@pytest.mark.parametrize(
    ("seed", "count"),
    [
        (20261123, FAST_MUTATIONS),
        pytest.param(20261124, MUTATIONS - FAST_MUTATIONS, marks=pytest.mark.slow),
    ],
    ids=["first", "rest"],
)
def test_random_damage_never_turns_a_code_into_another(
    tracker: Tracker, tmp_path: Path, seed: int, count: int
) -> None:
    """100,000 damaged codes and payloads (two parts): none is taken for another issued code."""
    # The whole run on both engines (a few seconds each): the damage is the same, but the
    # few that pass the check symbol by chance are looked up in each engine's records.
    originals = issue_codes(tracker, tmp_path)
    before = snapshot(tracker)
    rng = random.Random(seed)
    changed = refused = survivors = 0
    while changed < count:
        text = rng.choice(originals)
        damaged = mutate(text, rng)
        said = what_it_says(tracker, damaged)
        if said is not None and said == what_it_says(tracker, text):
            continue  # the damage did not change what the code says: not a mutation
        changed += 1
        if said is None:
            refused += 1
            continue
        survivors += 1  # passed the check symbol by chance: the records must not know it
        result = checkin_one(tracker, damaged, "fay")
        assert result.status == REFUSED_CODE, (text, damaged, result)
        assert "not a code we issued" in result.reason, result.reason
    assert snapshot(tracker) == before
    assert refused > 0.9 * count and survivors > 0, (refused, survivors)


# -- (c) each way a code goes wrong -------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_codes(
    shared_tracker: Tracker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[str, str | None]]]:
    """Codes that must be refused: what is typed or scanned, and the client filter.

    Made once an engine: each case shows its refusal changed no record (so the next case
    meets the records as made here).
    """
    tracker, tmp_path = shared_tracker, tmp_path_factory.mktemp("bad-codes")
    with pytest.MonkeyPatch.context() as patch:  # the patches tests get are not made yet
        as_in_a_test(patch)
        yield made_bad_codes(tracker, tmp_path)


def made_bad_codes(tracker: Tracker, tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    """Issue, revoke and forge the codes `bad_codes` names, in `tracker` and another one."""
    make_order(tracker, "C-1")
    make_order(tracker, "C-2")
    mine = issue(tracker, "C-1", "ana", module_ids=["WB1", "WB2"], out_root=tmp_path / "out")
    lost = issue(tracker, "C-1", "ana", module_ids=["WB3"], out_root=tmp_path / "out")
    revoke(tracker, lost.number, "Lost in the post", "ana")
    config, _ = initialise(tmp_path / "elsewhere")  # another tracker, with its own key k1
    with open_tracker(config, course_loader=shipped_course, clock=Clock()) as other:
        act_as_admin(other)
        make_order(other, "C-1")
        theirs = issue(other, "C-1", "bo", module_ids=["WB1"], out_root=tmp_path / "other")
        other.keyring.create()  # and then a second key, k2, that this tracker never had
        rotated = issue(other, "C-1", "bo", module_ids=["WB2"], out_root=tmp_path / "other")
    wb1, wb2 = mine.modules
    symbols = wb1.code.replace("-", "")
    forged = symbols[:5] + ("X" if symbols[5] != "X" else "Y") + symbols[6:11]
    key, serial, mac = wb1.payload.split(".")
    return {
        "payload with its signature changed": (
            f"{key}.{serial}.{mac[:-1]}{'a' if mac[-1] != 'a' else 'b'}",
            None,
        ),
        "payload with its serial changed": (
            f"{key}.{'a' if serial[0] != 'a' else 'b'}{serial[1:]}.{mac}",
            None,
        ),
        "typed code with a made-up signature": (show_code(forged + check_symbol(forged)), None),
        "typed code with a wrong symbol": (
            wb1.code[:-1] + ("A" if wb1.code[-1] != "A" else "B"),
            None,
        ),
        "payload cut short": (wb1.payload[:-3], None),
        "typed code cut short": (wb1.code[:9], None),
        "payload from another tracker's key": (theirs.modules[0].payload, None),
        "payload from a key this tracker lacks": (rotated.modules[0].payload, None),
        "typed code from another tracker": (theirs.modules[0].code, None),
        "payload of another client": (wb2.payload, "C-2"),
        "typed code of another client": (wb2.code, "C-2"),
        "payload of a revoked workbook": (lost.modules[0].payload, None),
        "typed code of a revoked workbook": (lost.modules[0].code, None),
    }


REASONS = {
    "payload with its signature changed": "the code was changed or forged",
    "payload with its serial changed": "issued by another tracker, or changed",
    "typed code with a made-up signature": "not a code we issued",
    "typed code with a wrong symbol": "wrong or two are swapped",
    "payload cut short": "not one of our codes",
    "typed code cut short": "this one has 8",
    "payload from another tracker's key": "issued by another tracker, or changed",
    "payload from a key this tracker lacks": r"issued by another tracker \(made with key k2",
    "typed code from another tracker": "not a code we issued",
    "payload of another client": "belongs to another client",
    "typed code of another client": "belongs to another client",
    "payload of a revoked workbook": r"was revoked on 2026-11-23 \(Lost in the post\)",
    "typed code of a revoked workbook": r"was revoked on 2026-11-23 \(Lost in the post\)",
}


@pytest.mark.parametrize("case", sorted(REASONS))
def test_a_bad_code_is_refused_with_the_reason(
    case: str, shared_tracker: Tracker, bad_codes: dict[str, tuple[str, str | None]]
) -> None:
    """Tampered, truncated, other-key, other-client and revoked codes: refused, and why."""
    text, client, tracker = *bad_codes[case], shared_tracker
    before = snapshot(tracker)
    result = checkin_one(tracker, text, "fay", client=client)
    assert result.status == REFUSED_CODE
    assert result.return_id is None
    assert re.search(REASONS[case], result.reason), result.reason
    assert snapshot(tracker) == before


def issue_codes(t: Tracker, tmp_path: Path) -> list[str]:
    """Issue workbooks to two clients; every payload and printed code in them."""
    make_order(t, "C-1")
    make_order(t, "C-2", jurisdiction="england-wales")
    issued: list[Issued] = [
        issue(t, "C-1", "ana", out_root=tmp_path / "out"),  # the next modules: all fifteen
        issue(t, "C-2", "ana", module_ids=["WM1", "WM2"], out_root=tmp_path / "out"),
    ]
    return [text for i in issued for m in i.modules for text in (m.payload, m.code)]
