"""Keep laid-out workbooks on disk, so a new process does not lay the course out again.

A layout holds no client's details (they are stamped on later), so it may be shared.
Each file is named by a hash of what the layout depends on: the course's content
(its version, which names the region too), the print profile, the modules, whether
it is a specimen, and the code that lays it out. Files are written whole (a temporary
file, then a rename), so processes that share the folder never read half of one, and a
damaged file is laid out again rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import suppress
from functools import cache
from pathlib import Path

import reportlab

from builder.course_cache import CACHE_ENV as CACHE_ENV
from builder.course_cache import cache_folder
from builder.pdf.layout import Layout
from builder.pdf.slots import Slot
from builder.pdf.styles import make_styles
from builder.profiles import PrintProfile

FORMAT = 1


@cache
def code_version() -> str:
    """A hash of the builder's own code and reportlab's version: new code, new layouts."""
    digest = hashlib.sha256(f"{FORMAT}/{reportlab.Version}".encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def layout_key(
    course_version: str, profile: PrintProfile, module_ids: tuple[str, ...], specimen: bool
) -> str:
    """The file name a layout is kept under."""
    parts = [code_version(), course_version, repr(profile), list(module_ids), specimen]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def load_layout(key: str, profile: PrintProfile) -> Layout | None:
    """The layout kept under `key`, or None if there is none (or it is damaged)."""
    folder = cache_folder()
    if folder is None:
        return None
    try:
        header, _, pdf = (folder / f"{key}.layout").read_bytes().partition(b"\n")
        meta = json.loads(header)
        if meta["sha256"] != hashlib.sha256(pdf).hexdigest():
            return None
        return Layout(
            pdf=pdf,
            styles=make_styles(profile),
            specimen=bool(meta["specimen"]),
            pages=int(meta["pages"]),
            slots=tuple(Slot(**slot) for slot in meta["slots"]),
            first_pages={str(k): int(v) for k, v in meta["first_pages"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_layout(key: str, layout: Layout) -> None:
    """Keep a layout on disk; a cache that cannot be written is simply not used."""
    folder = cache_folder()
    if folder is None:
        return
    meta = {
        "sha256": hashlib.sha256(layout.pdf).hexdigest(),
        "specimen": layout.specimen,
        "pages": layout.pages,
        "slots": [vars(slot) for slot in layout.slots],
        "first_pages": layout.first_pages,
    }
    with suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(meta).encode() + b"\n" + layout.pdf)
            Path(tmp).replace(folder / f"{key}.layout")
        finally:
            Path(tmp).unlink(missing_ok=True)
