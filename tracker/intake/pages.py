"""Read one page: render or open it, find its codes, and keep a small copy as evidence.

This is the part that runs in parallel, one page a task, in worker processes; it knows
nothing of the records. `Reading` says what a code's text is, before any record or key
is consulted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from builder.editions import SPECIMEN_CODE
from tracker.codes import PAGE_PAYLOAD, PAYLOAD
from tracker.errors import IntakeError
from tracker.intake.reader import read_codes
from tracker.intake.sources import (
    PDF,
    RENDER_LONG_SIDE,
    RETRY_LONG_SIDE,
    evidence_jpeg,
    page_image,
)

OURS, SPECIMEN, FOREIGN = "ours", "specimen", "foreign"


@dataclass(frozen=True)
class Reading:
    """What one code's text says: ours (a module's payload, maybe a page), specimen, foreign."""

    text: str
    kind: str
    payload: str = ""  # ours: the module's payload, lower case, as `Keyring.read_payload` takes
    number: int | None = None  # a page code: this page, and the module's page count
    total: int | None = None


def parse(text: str) -> Reading:
    """Read a code's text without the records."""
    page = PAGE_PAYLOAD.fullmatch(text.strip().upper())
    if page:
        key_id, serial, mac, number, total = page.groups()
        payload = f"{key_id}.{serial}.{mac}".lower()
        if 1 <= int(number) <= int(total):
            return Reading(text, OURS, payload, int(number), int(total))
    if PAYLOAD.fullmatch(text.strip()):
        return Reading(text, OURS, text.strip())
    if text.strip().upper().startswith(SPECIMEN_CODE):
        return Reading(text, SPECIMEN)
    return Reading(text, FOREIGN)


def has_page_code(codes: list[str]) -> bool:
    """Whether one of `codes` is a module page's own code (the reader keeps trying until so)."""
    return any(parse(code).number is not None for code in codes)


class PageTask(NamedTuple):
    """One page to read: which file (by its place in the batch), where, what kind, which page."""

    file_index: int
    path: Path
    kind: str
    page: int  # from 0


@dataclass(frozen=True)
class PageRead:
    """What a worker found on a page, or why it could not read it."""

    file_index: int
    position: int  # from 1
    codes: tuple[str, ...]
    evidence: bytes
    error: str = ""


def read_page(task: PageTask) -> PageRead:
    """Read a page's codes, trying a PDF page another way if its page code is missing.

    A scanned page is first read as the scanner saved it; if that fails, the page is
    rendered at 200 dpi, whose smoothing mends some damaged codes. A page that had to
    be rendered is rendered again at 300 dpi.
    """
    position = task.page + 1
    try:
        image = page_image(task.path, task.kind, task.page)
        codes = read_codes(image, has_page_code)
        if task.kind == PDF and not has_page_code(codes):
            rendered = max(image.size) <= RENDER_LONG_SIDE
            size = RETRY_LONG_SIDE if rendered else RENDER_LONG_SIDE
            other = page_image(task.path, task.kind, task.page, size, scanned=False)
            codes = _merge(codes, read_codes(other, has_page_code))
    except IntakeError as err:
        return PageRead(task.file_index, position, (), b"", err.reason)
    return PageRead(task.file_index, position, tuple(codes), evidence_jpeg(image))


def _merge(first: list[str], second: list[str]) -> list[str]:
    return first + [code for code in second if code not in first]
