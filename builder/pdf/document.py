"""Render workbooks: specimens, one client's workbook, or a batch of them across cores.

Each workbook is a shared layout (cached, see `builder.pdf.layout`) with one client's
details stamped in (see `builder.pdf.stamp`).
"""

from __future__ import annotations

import os
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from builder.course import Course
from builder.editions import (
    CheckIn,
    Edition,
    Personal,
    personal_edition,
    pick_modules,
    specimen_edition,
)
from builder.errors import BuildError
from builder.pdf.layout import Layout, lay_out
from builder.pdf.layout_cache import layout_key, load_layout, save_layout
from builder.pdf.stamp import stamp
from builder.profiles import get_profile

LAYOUTS_KEPT = 8  # an office prints a few module sets in a few profiles
_layouts: OrderedDict[tuple[object, ...], Layout] = OrderedDict()


def render_pdf(edition: Edition) -> bytes:
    """The workbook as PDF bytes; the same edition always gives the same bytes."""
    return render_pdf_pages(edition)[0]


def render_pdf_pages(edition: Edition) -> tuple[bytes, dict[str, int]]:
    """The workbook as PDF bytes, and the first page of each module and theme."""
    layout = layout_for(edition)
    return stamp(layout, edition), dict(layout.first_pages)


def layout_for(edition: Edition) -> Layout:
    """The shared layout for an edition, laid out on first use and then kept (on disk too)."""
    key = (
        edition.course.version,
        edition.profile,
        tuple(m.id for m in edition.modules),
        edition.specimen,
    )
    layout = _layouts.get(key)
    if layout is None:
        ids = tuple(m.id for m in edition.modules)
        disk_key = layout_key(edition.course.version, edition.profile, ids, edition.specimen)
        layout = load_layout(disk_key, edition.profile)
        if layout is None:
            layout = lay_out(edition.course, edition.modules, edition.profile, edition.specimen)
            save_layout(disk_key, layout)
        _layouts[key] = layout
        while len(_layouts) > LAYOUTS_KEPT:
            _layouts.popitem(last=False)
    _layouts.move_to_end(key)
    return layout


def forget_layouts() -> None:
    """Drop every kept layout (after the content changes on disk, or to measure a cold build)."""
    _layouts.clear()


def render_specimen(
    course: Course, profile: str, module_ids: list[str] | None, out_dir: Path
) -> tuple[Path, dict[str, int]]:
    """Write a specimen workbook (codes say SPECIMEN, never creditable) into `out_dir`.

    Returns its path and the first page of each module and theme.
    """
    edition = specimen_edition(course, pick_modules(course, module_ids), get_profile(profile))
    data, pages = render_pdf_pages(edition)
    return write_atomically(data, out_dir / f"workbook-specimen-{profile}.pdf"), pages


def render_personalised(
    course: Course,
    module_ids: list[str],
    profile: str,
    personal: Personal,
    checkins: list[CheckIn],
    out_path: Path,
) -> Path:
    """Write a client's workbook with the check-in codes the tracker issued, one per module."""
    edition = client_edition(course, module_ids, profile, personal, checkins)
    return write_atomically(render_pdf(edition), out_path)


def client_edition(
    course: Course,
    module_ids: Sequence[str],
    profile: str,
    personal: Personal,
    checkins: Sequence[CheckIn],
) -> Edition:
    """A client's edition; the i-th check-in goes with the i-th module, so order matters."""
    modules = pick_modules(course, list(module_ids))
    if [m.id for m in modules] != list(module_ids):
        raise BuildError(
            f"give the modules in course order, each once "
            f"({', '.join(m.id for m in modules)}), with their codes in the same order"
        )
    return personal_edition(course, modules, get_profile(profile), personal, list(checkins))


def write_atomically(data: bytes, path: Path) -> Path:
    """Write `data` to `path` so that a reader never sees a partial file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as err:
        raise BuildError(f"cannot write to {path.parent}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise BuildError(f"cannot write {path}: {err.strerror}") from None
    return path
