"""A picture of one page of a workbook, drawn by poppler's pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from builder.errors import BuildError


def page_png(pdf: Path, page: int, out: Path, dpi: int = 100) -> Path:
    """Render one page of `pdf` to the PNG file `out`."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise BuildError("pdftoppm is not installed: install poppler-utils to make previews")
    stem = out.with_suffix("")
    subprocess.run(
        [
            tool,
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    return out
