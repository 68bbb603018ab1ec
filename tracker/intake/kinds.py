"""The kinds of file intake takes, in one registry: how each is counted and recorded.

A file's kind is told by its bytes (`sources.sniff`). Scans and photos have pages that
the workers read; an answers file is read here, whole. Every kind is recorded through
the one per-file transaction in `filing`.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import IntakeError
from tracker.intake.answers import record_answers
from tracker.intake.filing import FileOutcome, Group
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

Record = Callable[[Tracker, Source, list[PageRead], str, bool, Group], FileOutcome]


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
    read = _read(path)
    if isinstance(read, IntakeError):
        raise read
    return _inspect(path, *read)


def inspect_all(paths: Iterable[Path]) -> Iterator[tuple[Path, Source | IntakeError]]:
    """Inspect each file, in order: read and hashed a few at a time on every core.

    Reading and hashing free the interpreter for other threads, so they run side by
    side; telling the kind and counting the pages (PDFium, which is not thread-safe)
    stay in this thread. One file a core ahead at most is held in memory.
    """
    threads = os.cpu_count() or 1
    with ThreadPoolExecutor(threads) as pool:
        ahead: deque[tuple[Path, Future[tuple[bytes, str] | IntakeError]]] = deque()
        for path in paths:
            ahead.append((path, pool.submit(_read, path)))
            if len(ahead) > threads:
                yield _next(ahead)
        while ahead:
            yield _next(ahead)


def _next(
    ahead: deque[tuple[Path, Future[tuple[bytes, str] | IntakeError]]],
) -> tuple[Path, Source | IntakeError]:
    path, future = ahead.popleft()
    read = future.result()
    if isinstance(read, IntakeError):
        return path, read
    try:
        return path, _inspect(path, *read)
    except IntakeError as err:
        return path, err


def _read(path: Path) -> tuple[bytes, str] | IntakeError:
    """A file's bytes and their SHA-256, or why it cannot be read."""
    name = str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        return IntakeError(name, "this is a folder: give the files in it")
    except OSError as err:
        return IntakeError(name, f"cannot read the file ({err.strerror})")
    return data, hashlib.sha256(data).hexdigest()


def _inspect(path: Path, data: bytes, sha256: str) -> Source:
    name = str(path)
    if not data:
        raise IntakeError(name, "the file is empty (0 bytes): scan or save it again")
    kind = sniff(data, name)
    pages = KINDS[kind].count(data, name)
    return Source(path, kind, sha256, len(data), pages)
