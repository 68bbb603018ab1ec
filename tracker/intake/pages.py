"""Read one page: render or open it, find its codes, and give its image to keep as evidence.

This is the part that runs in parallel, one page a task, in worker processes; it knows
nothing of the records. `Reading` says what a code's text is, before any record or key
is consulted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from tracker.codes import PAGE_PAYLOAD, PAYLOAD
from tracker.errors import IntakeError
from tracker.intake.reader import Found, find_codes, is_blank
from tracker.intake.sources import (
    PDF,
    RENDER_LONG_SIDE,
    RETRY_LONG_SIDE,
    evidence_jpeg,
    page_image,
    page_pixels,
)
from tracker.intake.spool import leave, take

OURS, SPECIMEN, FOREIGN = "ours", "specimen", "foreign"
WIDE = 1.15  # an image this much wider than high may hold two pages side by side


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
    # Imported here: builder.editions brings the course model with it, which the reader
    # processes, importing this module, need for no code of ours (issue 19).
    from builder.editions import SPECIMEN_CODE

    if text.strip().upper().startswith(SPECIMEN_CODE):
        return Reading(text, SPECIMEN)
    return Reading(text, FOREIGN)


def has_page_code(codes: list[str]) -> bool:
    """Whether one of `codes` is a module page's own code (the reader keeps trying until so)."""
    return any(parse(code).number is not None for code in codes)


def has_its_codes(codes: list[str]) -> bool:
    """Whether `codes` are all intake needs of a page: its page code, and on a module's
    first and declaration (last) page, which carry it, the module code too.

    The reader looks where the page code is printed first; a page that carries the
    module code elsewhere is read on until that is found too, since the records tell
    the declaration page, and so a first page whose page code is lost, by it.
    """
    readings = [parse(code) for code in codes]
    page = next((r for r in readings if r.number is not None), None)
    if page is None:
        return False
    if page.number not in (1, page.total):
        return True
    return any(r.payload and r.number is None for r in readings)


def only_foreign(codes: list[str]) -> bool:
    """Whether `codes` are all another's (none ours, nor a specimen's): the page is not ours."""
    return bool(codes) and all(parse(code).kind == FOREIGN for code in codes)


class PageTask(NamedTuple):
    """One page to read: which file (by its place in the batch), where, what kind, which page."""

    file_index: int
    path: Path
    kind: str
    page: int  # from 0
    spool: str = ""  # a folder to leave the page's evidence in (a reader process: `spool`)


@dataclass(frozen=True)
class Sheet:
    """One sheet of paper seen on a page image: its codes, and its part of the image as kept."""

    codes: tuple[str, ...]
    evidence: bytes  # empty once left in the spool
    blank: bool = False  # nothing on it at all: the empty back of a duplex sheet, say
    spooled: str = ""  # where a reader process left `evidence` (tracker.intake.spool)

    def image(self) -> bytes:
        """The sheet's evidence, from the spool if a reader process left it there (OSError)."""
        return take(self.spooled) if self.spooled else self.evidence


@dataclass(frozen=True)
class PageRead:
    """What a worker found on a page image (one sheet, or two side by side), or why it failed."""

    file_index: int
    position: int  # from 1
    sheets: tuple[Sheet, ...] = ()
    error: str = ""


def read_page(task: PageTask) -> PageRead:
    """Read a page image's codes; whatever goes wrong is this page's failure, not the batch's."""
    position = task.page + 1
    try:
        sheets = _read_sheets(task)
        return PageRead(task.file_index, position, _spooled(task, sheets) if task.spool else sheets)
    except IntakeError as err:
        return PageRead(task.file_index, position, error=err.reason)
    except Exception as err:
        return PageRead(task.file_index, position, error=_failure(err))


def _spooled(task: PageTask, sheets: tuple[Sheet, ...]) -> tuple[Sheet, ...]:
    """The sheets with their evidence left in the spool folder: only names cross back."""
    try:
        return tuple(
            replace(
                sheet,
                evidence=b"",
                spooled=leave(task.spool, f"{task.file_index}-{task.page}-{n}.jpg", sheet.evidence),
            )
            for n, sheet in enumerate(sheets)
        )
    except OSError:  # a full disk, say: the evidence goes back through the pipe as before
        return sheets


def _failure(err: BaseException) -> str:
    if isinstance(err, MemoryError):
        return "the page is too large to read in this computer's memory"
    detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else ""
    return f"the page could not be read ({type(err).__name__}{': ' + detail if detail else ''})"


def _read_sheets(task: PageTask) -> tuple[Sheet, ...]:
    """Find every code on the image, trying a PDF page another way if its page code is missing.

    A scanned page is first read as the scanner saved it; if that fails, the page is
    rendered at 200 dpi, whose smoothing mends some damaged codes. A page that had to
    be rendered is rendered again at 300 dpi. A wide image may be two pages side by side.
    A JPEG page is decoded whole only if the reader needs more than its reduced size.
    """
    pixels = page_pixels(task.path, task.kind, task.page)
    width, height = pixels.size
    found = find_codes(pixels, has_its_codes, only_foreign)
    texts = [f.text for f in found]
    if task.kind == PDF and not has_page_code(texts) and not only_foreign(texts):
        rendered = max(pixels.size) <= RENDER_LONG_SIDE
        size = RETRY_LONG_SIDE if rendered else RENDER_LONG_SIDE
        other = page_image(task.path, task.kind, task.page, size, scanned=False)
        scale = width / other.width
        again = [_scaled(f, scale) for f in find_codes(other, has_page_code, only_foreign)]
        found = _merge(found, again)
    if width > WIDE * height and len(_page_codes(found)) < 2:
        found = _merge(found, _halves(pixels.full))
    sheets = split_sheets(pixels.size, found)
    if len(sheets) == 1:  # the usual page: no copy of the image for its evidence
        blank = not found and is_blank(pixels)
        return (Sheet(_texts(found), evidence_jpeg(pixels), blank),)
    return tuple(
        Sheet(_texts(codes), evidence_jpeg(pixels.full.crop(box))) for box, codes in sheets
    )


def _texts(found: list[Found]) -> tuple[str, ...]:
    """The codes' texts, each once: the page code is printed twice on a page."""
    return tuple(dict.fromkeys(f.text for f in found))


def _halves(image: Image.Image) -> list[Found]:
    """Read each half of a wide image as a page: a photo of two pages side by side."""
    width, height = image.size
    found: list[Found] = []
    for left in (0, width // 2):
        half = image.crop((left, 0, left + width // 2, height))
        found += [f.moved(left, 0) for f in find_codes(half, has_page_code, only_foreign)]
    return found


def split_sheets(
    size: tuple[int, int], found: list[Found]
) -> list[tuple[tuple[int, int, int, int], list[Found]]]:
    """Split an image between the sheets its page codes show, each with the codes on it.

    A page code sits in its page's bottom-right corner (top left upside down), and on
    pages printed since issue 13 in the other bottom (top) corner too, so two sheets
    side by side part just beyond the left one's rightmost code, or just before the
    right one's leftmost. A code's size is its box's height: its copies sit side by side.
    """
    width, height = size
    codes = sorted(_page_codes(found).values(), key=lambda f: f.box[0] + f.box[2])
    cuts = [0]
    for left, right in itertools.pairwise(codes):
        upright = left.box[1] + left.box[3] > height
        if upright:
            cut = left.box[2] + (left.box[3] - left.box[1]) // 2
        else:
            cut = right.box[0] - (right.box[3] - right.box[1]) // 2
        centres = ((left.box[0] + left.box[2]) // 2, (right.box[0] + right.box[2]) // 2)
        cuts.append(min(max(cut, centres[0] + 1), centres[1] - 1))
    cuts.append(width)
    boxes = [(a, 0, b, height) for a, b in itertools.pairwise(cuts)]
    return [
        (box, [f for f in found if box[0] <= (f.box[0] + f.box[2]) // 2 < box[2]]) for box in boxes
    ]


def _page_codes(found: list[Found]) -> dict[tuple[str, int | None], Found]:
    """The page codes among `found`, one per module page, in a box round all its copies."""
    pages: dict[tuple[str, int | None], Found] = {}
    for code in found:
        reading = parse(code.text)
        if reading.number is not None:
            key = (reading.payload, reading.number)
            pages[key] = _union(pages[key], code) if key in pages else code
    return pages


def _union(one: Found, other: Found) -> Found:
    a, b = one.box, other.box
    box = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
    return Found(one.text, box)


def _scaled(found: Found, scale: float) -> Found:
    return Found(found.text, tuple(round(v * scale) for v in found.box))  # type: ignore[arg-type]


def _merge(first: list[Found], second: list[Found]) -> list[Found]:
    texts = {f.text for f in first}
    return first + [f for f in second if f.text not in texts]
