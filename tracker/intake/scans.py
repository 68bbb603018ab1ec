"""Scans and photos: each sheet seen on a page image is sorted, kept as evidence and stored.

A page image usually shows one sheet; a photo of two pages side by side shows two, and
each becomes an item of its own, numbered in the order the sheets come in the file.
"""

from __future__ import annotations

from dataclasses import replace

from tracker.access import entry
from tracker.accounts import Action
from tracker.intake.evidence import PageImage, evidence_name
from tracker.intake.filing import FileOutcome, Group, file_whole, group_of_files, refused
from tracker.intake.pages import PageRead
from tracker.intake.records import OURS, UNREADABLE, Item, Sorted, record_item, sort_item
from tracker.intake.sources import Source
from tracker.store import Transaction
from tracker.tracker import Tracker


@entry(Action.TAKE_IN)
def record_scan(
    t: Tracker,
    source: Source,
    reads: list[PageRead],
    actor: str,
    dry_run: bool,
    group: Group | None = None,
) -> FileOutcome:
    """Take in one scanned or photographed file: every sheet on every page image.

    In `group`'s transaction, or in one of its own.
    """
    if group is None:
        with group_of_files(t) as alone:
            return record_scan(t, source, reads, actor, dry_run, alone)
    if all(read.error for read in reads):
        return refused(source, reads[0].error)
    try:
        items = list(_items(reads))
    except OSError as err:  # a reader's spooled image gone: nothing recorded, so try again
        return refused(source, f"{LOST} ({err.strerror or err})")

    def record(tx: Transaction, file_id: int, images: list[PageImage]) -> list[Sorted]:
        pages = []
        for item, image in items:
            sorted_, row = sort_item(t, tx, item)
            if sorted_.klass in (OURS, UNREADABLE) and image and not dry_run:
                images.append((evidence_name(source.sha256, item.position), image))
                sorted_ = replace(sorted_, evidence=images[-1][0])
            pages.append(record_item(t, tx, file_id, sorted_, row, actor, "scan"))
        return pages

    return file_whole(t, group, source, len(items), actor, dry_run, record)


def _items(reads: list[PageRead]) -> list[tuple[Item, bytes]]:
    """Each sheet as an item to sort, with its image; a page that failed is one item."""
    items: list[tuple[Item, bytes]] = []
    for read in reads:
        if read.error:
            items.append((Item(len(items) + 1, (), read.error), b""))
            continue
        for sheet in read.sheets:
            items.append((Item(len(items) + 1, sheet.codes, blank=sheet.blank), sheet.image()))
    return items


LOST = (
    "a page's image was lost on its way from the reader to the records, so nothing of the "
    "file was taken in: take it in again"
)
