"""The kinds of file intake takes, in one registry: how each is counted and recorded.

A file's kind is told by its bytes (`sources.sniff`). Scans and photos have pages that
the workers read; an answers file is read here, whole. Every kind is recorded through
the one per-file transaction in `filing`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import IntakeError
from tracker.intake.answers import record_answers
from tracker.intake.filing import FileOutcome
from tracker.intake.pages import PageRead
from tracker.intake.scans import record_scan
from tracker.intake.sources import (
    ANSWERS,
    JPEG,
    PDF,
    PNG,
    TIFF,
    Source,
    image_pages,
    pdf_pages,
    sniff,
)
from tracker.tracker import Tracker

Record = Callable[[Tracker, Source, list[PageRead], str, bool], FileOutcome]


@dataclass(frozen=True)
class Kind:
    """A kind of file: how many items it holds, whether workers read them, how it is recorded."""

    count: Callable[[bytes, str], int]
    read_by_workers: bool
    record: Record


KINDS: dict[str, Kind] = {
    PDF: Kind(pdf_pages, True, record_scan),
    PNG: Kind(image_pages, True, record_scan),
    JPEG: Kind(image_pages, True, record_scan),
    TIFF: Kind(image_pages, True, record_scan),
    ANSWERS: Kind(lambda data, name: 1, False, record_answers),
}


def inspect(path: Path) -> Source:
    """Tell what `path` holds and how many pages; IntakeError saying why it cannot be read."""
    name = str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise IntakeError(name, "this is a folder: give the files in it") from None
    except OSError as err:
        raise IntakeError(name, f"cannot read the file ({err.strerror})") from None
    if not data:
        raise IntakeError(name, "the file is empty (0 bytes): scan or save it again")
    kind = sniff(data, name)
    pages = KINDS[kind].count(data, name)
    return Source(path, kind, hashlib.sha256(data).hexdigest(), len(data), pages)
