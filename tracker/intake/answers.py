"""Answers files from the offline HTML bundle: each module worked on becomes a return.

`builder.answers.read_answers` checks the file whole (format, checksum, shape). Here each
module's check-in payload is checked as a scanned page's would be (signature, issued,
revoked, already received), and must belong to the workbook the file names. A module
the client has not started is left out. The module's answers are kept with its return
for the marker to read (`cpo evidence show`), until retention ends.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from builder.answers import AnswersError, AnswersFile, ModuleAnswers, canonical_json, read_answers
from tracker.access import entry
from tracker.accounts import Action
from tracker.intake.evidence import PageImage
from tracker.intake.filing import FileOutcome, Group, file_whole, group_of_files, refused
from tracker.intake.pages import PageRead
from tracker.intake.records import DUPLICATE, INVALID, OURS, Item, Sorted, record_item, sort_item
from tracker.intake.sources import Source
from tracker.store import Transaction
from tracker.tracker import Tracker


@entry(Action.TAKE_IN)
def record_answers(
    t: Tracker,
    source: Source,
    reads: list[PageRead],
    actor: str,
    dry_run: bool,
    group: Group | None = None,
) -> FileOutcome:
    """Take in one answers file: a return, with its answers, for each module worked on.

    `reads` is empty: an answers file is read here, whole, not by the page readers.
    In `group`'s transaction, or in one of its own.
    """
    if group is None:
        with group_of_files(t) as alone:
            return record_answers(t, source, reads, actor, dry_run, alone)
    data = source.path.read_bytes()
    try:
        answers = read_answers(data, source.path.name)
    except AnswersError as err:
        return refused(source, err.reason)
    if answers.specimen:
        return refused(
            source, "these answers come from a specimen bundle: specimens are never credited"
        )
    worked = [m for m in answers.modules if _worked_on(m)]
    if not worked:
        return refused(source, "no module in the file has any answers yet: nothing to take in")
    raw = {m["id"]: m for m in json.loads(data)["modules"]}

    def record(tx: Transaction, file_id: int, images: list[PageImage]) -> list[Sorted]:
        pages = []
        for position, module in enumerate(worked, start=1):
            sorted_, row = sort_item(t, tx, Item(position, (module.checkin,), scanned=False))
            sorted_ = _check_belongs(sorted_, module, answers, tx)
            sorted_ = record_item(t, tx, file_id, sorted_, row, actor, "answers")
            if sorted_.klass == OURS:
                tx.execute(
                    "INSERT INTO return_answers (return_id, page_id, answers) VALUES (?, ?, ?)",
                    (sorted_.return_id, sorted_.page_id, _kept(answers, raw[module.id])),
                )
            pages.append(sorted_)
        return pages

    return file_whole(t, group, source, len(worked), actor, dry_run, record)


def _worked_on(module: ModuleAnswers) -> bool:
    return module.declaration.statement or any(a.tried for a in module.answers)


def _check_belongs(
    sorted_: Sorted, module: ModuleAnswers, answers: AnswersFile, tx: Transaction
) -> Sorted:
    """A module of ours must be the workbook's, the module it says, with no answers yet."""
    if sorted_.klass != OURS:
        return sorted_
    if sorted_.workbook != answers.workbook or sorted_.module != module.id:
        return replace(
            sorted_,
            klass=INVALID,
            return_id=None,
            reason=f"the file says {module.id} of workbook {answers.workbook}, but the code "
            f"is for {sorted_.module} of workbook {sorted_.workbook}",
        )
    if sorted_.return_id is not None:
        earlier = tx.one(
            "SELECT page_id FROM return_answers WHERE return_id = ?", (sorted_.return_id,)
        )
        if earlier is not None:
            return replace(
                sorted_,
                klass=DUPLICATE,
                return_id=None,
                reason=f"answers for {module.id} were already received (P{earlier['page_id']}) "
                f"in return R{sorted_.return_id}, waiting to be marked",
            )
    return sorted_


def _kept(answers: AnswersFile, module: dict[str, Any]) -> str:
    """What is kept with the return: the module's part of the file, and when it was saved."""
    kept = {
        "workbook": answers.workbook,
        "exported": answers.exported.isoformat(),
        "checksum": answers.checksum,
        "module": module,
    }
    return canonical_json(kept).decode()
