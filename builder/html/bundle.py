"""Write a bundle to disk: one folder to copy to a stick, and a zip of it to send.

The folder is written beside its final place and swapped in whole, so a reader never
sees half a bundle, and a bundle written over an older one keeps none of its files (a
personalised bundle must hold one client's workbook and nothing else). The zip is
deterministic: sorted entries, fixed timestamps and permissions.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from builder.course import Course
from builder.editions import CheckIn, Edition, Personal, pick_modules, specimen_edition
from builder.errors import BuildError
from builder.html.render import ASSETS, render_html
from builder.pdf.document import client_edition, write_atomically
from builder.profiles import get_profile

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
MARKER = f"{ASSETS}/workbook.js"  # only a folder holding this is ours to replace


def render_bundle(
    course: Course,
    module_ids: Sequence[str],
    personal: Personal,
    checkins: Sequence[CheckIn],
    out_dir: Path,
) -> tuple[Path, Path]:
    """Write a client's bundle to `out_dir` and a zip of it beside it (`out_dir` + .zip).

    `checkins` are the codes the tracker issued, one per module in the same (course)
    order as `module_ids`; they are checked as for the paper workbook.
    """
    edition = client_edition(course, module_ids, "standard", personal, checkins)
    return write_bundle(edition, out_dir, private=True)


def render_specimen_bundle(
    course: Course, module_ids: Sequence[str] | None, out_dir: Path
) -> tuple[Path, Path]:
    """Write a specimen bundle (codes say SPECIMEN) to `out_dir`, and its zip beside it."""
    modules = pick_modules(course, list(module_ids) if module_ids else None)
    return write_bundle(specimen_edition(course, modules, get_profile("standard")), out_dir)


def write_bundle(edition: Edition, out_dir: Path, private: bool = False) -> tuple[Path, Path]:
    """Render `edition` into the folder `out_dir` and the zip `out_dir`.zip.

    `private` (a client's own bundle: their name, a phone number): owner-only files.
    """
    if not out_dir.name:
        raise BuildError(f"cannot write a bundle to {out_dir}: name a folder")
    bundle = render_html(edition)
    write_folder(bundle, out_dir, private)
    zip_path = out_dir.with_name(f"{out_dir.name}.zip")
    return out_dir, write_atomically(zip_bytes(bundle, out_dir.name), zip_path)


def write_folder(bundle: Mapping[str, bytes], out_dir: Path, private: bool = False) -> None:
    """Put exactly these files in `out_dir`, replacing an earlier bundle there."""
    if out_dir.exists() and not _replaceable(out_dir):
        raise BuildError(
            f"{out_dir} already has files that are not a workbook bundle: "
            "choose an empty or new folder"
        )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    except OSError as err:
        raise BuildError(f"cannot write to {out_dir.parent}: {err.strerror}") from None
    old = scratch.with_name(scratch.name + ".old")
    try:
        for name, data in bundle.items():
            path = scratch / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for path in scratch.rglob("*") if private else ():  # 0600 files, 0700 folders
            path.chmod(0o700 if path.is_dir() else 0o600)
        scratch.chmod(0o700 if private else 0o755)
        if out_dir.exists():
            out_dir.rename(old)
        scratch.rename(out_dir)
    except OSError as err:
        raise BuildError(f"cannot write {out_dir}: {err.strerror}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def zip_bytes(bundle: Mapping[str, bytes], root: str) -> bytes:
    """The bundle as a zip with its entries in folder `root`; the same files, the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(bundle):
            info = zipfile.ZipInfo(f"{root}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below are read
            info.external_attr = 0o644 << 16
            archive.writestr(info, bundle[name], compresslevel=9)
    return buffer.getvalue()


def _replaceable(folder: Path) -> bool:
    """True for a folder that is empty or holds a bundle this module wrote."""
    if not folder.is_dir():
        return False
    return (folder / MARKER).is_file() or not any(folder.iterdir())
