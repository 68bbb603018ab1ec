"""Letters that can be posted: the window envelope layout, the HTML edition's letter, send-back.

Each is rendered, read back with pdftotext (with word positions) and checked by meaning.
"""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import textstat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.errors import BuildError
from builder.pdf.envelope import ADDRESS_FIELD, MAX_ADDRESS_LINES, address_lines, printable
from builder.pdf.letter import Letter, render_letter
from builder.pdf.sendback import SendBack, render_send_back
from builder.profiles import PROFILES

MM = 72 / 25.4
ADDRESS = ("Flat 2/1", "14 Example Street", "Partick", "Glasgow", "G11 5AB")
RETURN = ("North Team", "PO Box 1234", "Glasgow", "G1 1AA")
LETTER = Letter(
    sender="Steps Forward",
    name="Alex Smith",
    date="23 November 2026",
    workbook="W7QX2K",
    modules=(("WB1", "Feeling well"), ("HC2", "Cutting down")),
    due="21 December 2026",
    contact="Ana Lopez, 0141 496 0000",
    address=ADDRESS,
    return_address=RETURN,
)
SEND_BACK = SendBack(
    client_name="Alex Smith",
    address=ADDRESS,
    return_address=RETURN,
    office_name="North Team",
    module_id="WB1",
    module_title="Feeling well",
    module_code="7QX2-M9K4-PZ3T",
    activities=("3: What helps me", "5: My plan"),
    feedback="Good start. Please say a bit more about what helps you sleep.",
    written_on=date(2026, 11, 28),
    profile="standard",
    sender="Steps Forward",
    contact="Ana Lopez, 0141 496 0000",
)
# Words that would tell a reader of the letter (or of the envelope) why it came.
REVEALING = ("payback", "offender", "probation", "court", "sentence", "justice", "order")
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def words(pdf: Path, page: int = 1) -> list[tuple[float, float, float, float, str]]:
    """Each word on a page with its box in points from the top-left corner."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        (float(a), float(b), float(c), float(d), html.unescape(w))
        for a, b, c, d, w in WORD.findall(out)
    ]


def text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def in_field(box: tuple[float, float, float, float, str]) -> bool:
    x0, y0, x1, y1, _ = box
    f = ADDRESS_FIELD
    return f.left * MM <= x0 and x1 <= f.right * MM and f.top * MM <= y0 and y1 <= f.bottom * MM


def window_words(pdf: Path) -> list[str]:
    return [w[4] for w in words(pdf) if in_field(w)]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_address_and_return_line_sit_in_the_window_in_every_profile(
    tmp_path: Path, profile: str
) -> None:
    pdf = render_letter(LETTER, profile, tmp_path / "letter.pdf")
    shown = " ".join(window_words(pdf))
    assert shown == "North Team, PO Box 1234, Glasgow, G1 1AA Alex Smith " + " ".join(ADDRESS)
    # Nothing else on page 1 comes near the window: the letter's text starts below it.
    others = [w for w in words(pdf) if not in_field(w) and w[4] != "Steps" and w[4] != "Forward"]
    assert others and min(w[1] for w in others) > ADDRESS_FIELD.bottom * MM


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_send_back_letter_is_posted_in_the_same_window(tmp_path: Path, profile: str) -> None:
    pdf = render_send_back(replace(SEND_BACK, profile=profile), tmp_path / "back.pdf")
    assert " ".join(window_words(pdf)).endswith("Alex Smith " + " ".join(ADDRESS))
    said = text(pdf)
    for part in ("3: What helps me", "5: My plan", "7QX2-M9K4-PZ3T", "helps you sleep"):
        assert part in said, said
    assert "post all the pages of this module to: North Team PO Box 1234 Glasgow G1 1AA" in said


def test_the_paper_letter_says_where_to_post_the_pages(tmp_path: Path) -> None:
    said = text(render_letter(LETTER, "standard", tmp_path / "letter.pdf"))
    assert "Post them to: North Team PO Box 1234 Glasgow G1 1AA" in said
    assert "answers file" not in said


def test_without_a_return_address_the_letter_points_to_the_envelope(tmp_path: Path) -> None:
    letter = replace(LETTER, address=(), return_address=())
    pdf = render_letter(letter, "standard", tmp_path / "letter.pdf")
    assert window_words(pdf) == ["Alex", "Smith"]
    assert "Use the envelope that came with this letter" in text(pdf)


def test_the_html_editions_letter_explains_the_answers_file(tmp_path: Path) -> None:
    letter = replace(LETTER, answers_file=True)
    said = text(render_letter(letter, "standard", tmp_path / "letter.pdf"))
    for part in (
        "open the file called index.html",
        "kept on this computer, in this browser",
        "Use the same computer and the same browser each time",
        "press Save my answers file",
        "bring the answers file to us by 21 December 2026",
        "press Open my answers file",
    ):
        assert part in said, said
    assert "send the pages" not in said.lower() and "envelope" not in said


def test_the_html_send_back_asks_for_a_new_answers_file(tmp_path: Path) -> None:
    said = text(render_send_back(replace(SEND_BACK, answers_file=True), tmp_path / "b.pdf"))
    assert "press Save my answers file, and bring us the new file" in said
    assert "post all the pages" not in said


@pytest.mark.parametrize(
    "make",
    [
        lambda p: render_letter(LETTER, "standard", p),
        lambda p: render_letter(replace(LETTER, answers_file=True), "standard", p),
        lambda p: render_send_back(SEND_BACK, p),
    ],
    ids=["letter", "html-letter", "send-back"],
)
def test_letters_read_at_age_9_and_never_say_why(tmp_path: Path, make: object) -> None:
    said = text(make(tmp_path / "x.pdf"))  # type: ignore[operator]
    body = said.split("2026", 1)[1]  # after the date: what the client reads
    assert textstat.flesch_kincaid_grade(body) + 5 <= 9, body
    assert not [w for w in REVEALING if re.search(rf"\b{w}", said, re.IGNORECASE)]


def test_an_unknown_profile_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="no print profile 'huge'"):
        render_send_back(replace(SEND_BACK, profile="huge"), tmp_path / "b.pdf")
    assert not list(tmp_path.iterdir())


LINES = st.lists(st.text(st.characters(codec="latin-1"), max_size=40), max_size=12)


@given(name=st.text(max_size=30), address=LINES)
def test_the_window_keeps_every_part_of_any_address_in_the_lines_that_fit(
    name: str, address: list[str]
) -> None:
    lines = address_lines(name, tuple(address))
    assert len(lines) <= MAX_ADDRESS_LINES + 1
    kept = [printable(a) for a in address if printable(a)]
    assert ", ".join(lines[1:] if printable(name) else lines) == ", ".join(kept)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(address=LINES, back=LINES)
def test_any_address_prints_inside_the_window(
    tmp_path: Path, address: list[str], back: list[str]
) -> None:
    letter = replace(LETTER, address=tuple(address), return_address=tuple(back))
    pdf = render_letter(letter, "large-print", tmp_path / "letter.pdf")
    top = [w for w in words(pdf) if w[1] < ADDRESS_FIELD.bottom * MM + 5 * MM]
    assert all(in_field(w) for w in top if w[4] not in ("Steps", "Forward")), top


def test_a_long_address_line_is_set_smaller_not_cut(tmp_path: Path) -> None:
    long = "Flat 2/1, The Old Mill Buildings, 14 Example Street East"
    letter = replace(LETTER, address=(long, "Glasgow", "G11 5AB"))
    pdf = render_letter(letter, "dyslexia", tmp_path / "letter.pdf")
    assert " ".join(window_words(pdf)).endswith(f"Alex Smith {long} Glasgow G11 5AB")
