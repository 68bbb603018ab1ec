"""What the marker starts from: the answers file's declared time and answered activities,
and for each return waiting, the pages received and any gaps.

Nothing here decides: the marker confirms or changes what is pre-filled. One rule is
held by `marking.mark`: an accept may not say an activity was tried when the client's
answers file shows it blank (`BlankTried`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tracker.access import Subject, entry
from tracker.accounts import Action
from tracker.errors import TrackerError
from tracker.intake.evidence import EvidencePage, ReturnEvidence
from tracker.store import Transaction
from tracker.tracker import Tracker


class BlankTried(TrackerError):
    """Activities marked as tried that are blank in the client's answers file."""

    def __init__(self, return_id: int, blank: list[str]) -> None:
        self.field, self.return_id, self.blank = "tried", return_id, blank
        self.reason = (
            f"{', '.join(blank)} {'is' if len(blank) == 1 else 'are'} blank in the answers file"
        )
        super().__init__(
            f"R{return_id}: {self.reason}: leave {'it' if len(blank) == 1 else 'them'} out of "
            "what was tried, or send the module back"
        )


@dataclass(frozen=True)
class Prefill:
    """What the answers file says, for the marker to confirm (empty for paper)."""

    return_id: int
    module_id: str
    from_answers: bool
    declared_minutes: int | None
    tried: tuple[str, ...]  # activities with an answer
    blank: tuple[str, ...]  # activities left blank


@dataclass(frozen=True)
class Pages:
    """A return's pages: how many came in, of how many, and which are missing."""

    received: int
    count: int | None
    missing: str  # "pages 4-6", or ""
    answers: bool  # an answers file came in for it


@entry(Action.MARK, Subject.RETURN, "return_id")
def prefill(t: Tracker, return_id: int) -> Prefill:
    """The declared time and answered activities from the return's answers file, if any."""
    with t.db.read() as tx:
        module_id = tx.scalar(
            "SELECT k.module_id FROM returns r JOIN tokens k ON k.id = r.token_id WHERE r.id = ?",
            (return_id,),
        )
        found = answered(tx, return_id)
    if module_id is None:
        from tracker.errors import NotFound

        raise NotFound(f"no return R{return_id}")
    if found is None:
        return Prefill(return_id, str(module_id), False, None, (), ())
    tried, minutes = found
    ids = [a.id for a in t.course.module(str(module_id)).activities]
    blank = tuple(a for a in ids if a not in tried)
    return Prefill(
        return_id, str(module_id), True, minutes, tuple(a for a in ids if a in tried), blank
    )


def answered(tx: Transaction, return_id: int) -> tuple[frozenset[str], int | None] | None:
    """(activities answered, declared minutes) from a return's answers file; None if none.

    An activity the file leaves out, or leaves empty, is not answered.
    """
    from builder.answers import AnswersError, read_module

    row = tx.one("SELECT answers, deleted_at FROM return_answers WHERE return_id = ?", (return_id,))
    if row is None or row["deleted_at"] is not None:
        return None
    try:
        kept: dict[str, Any] = json.loads(row["answers"])
        module = read_module(kept["module"], f"R{return_id}")
    except (ValueError, KeyError, TypeError, AnswersError):
        return None  # checked when it came in; an unreadable copy pre-fills nothing
    return frozenset(a.id for a in module.answers if a.tried), module.declaration.minutes


def check_tried(tx: Transaction, return_id: int, attempted: dict[str, bool]) -> None:
    """BlankTried if an activity said to be tried is blank in the return's answers file."""
    found = answered(tx, return_id)
    if found is None:
        return
    blank = sorted(a for a, done in attempted.items() if done and a not in found[0])
    if blank:
        raise BlankTried(return_id, blank)


def pages_of(tx: Transaction, return_ids: list[int]) -> dict[int, Pages]:
    """Each return's pages received, page count and gaps, read in one query."""
    if not return_ids:
        return {}
    marks = ", ".join("?" * len(return_ids))
    rows = tx.all(
        "SELECT p.return_id, p.id, p.page_number, p.page_count, p.position FROM intake_pages p "
        f"WHERE p.class = 'ours' AND p.return_id IN ({marks}) ORDER BY p.id",
        tuple(return_ids),
    )
    answers = {
        r["return_id"]
        for r in tx.all(
            f"SELECT return_id FROM return_answers WHERE return_id IN ({marks})",
            tuple(return_ids),
        )
    }
    by_return: dict[int, list[EvidencePage]] = {}
    for r in rows:
        page = EvidencePage(
            r["id"], r["page_number"], r["page_count"], "", r["position"], b"", None
        )
        by_return.setdefault(r["return_id"], []).append(page)
    out = {}
    for return_id in return_ids:
        kept = by_return.get(return_id, [])
        if return_id in answers:
            kept = [p for p in kept if p.page_number is not None]  # the file is no page
        evidence = ReturnEvidence(return_id, tuple(kept), None, None)
        counts = {p.page_count for p in kept if p.page_count}
        count = counts.pop() if len(counts) == 1 else None
        missing = evidence.missing_text if kept else ""
        out[return_id] = Pages(len(kept), count, missing, return_id in answers)
    return out
