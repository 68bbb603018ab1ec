"""Read a PDF back the way a person or a scanner would: rendered pages, text, codes, fonts."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image


def require(tool: str) -> str:
    """The tool's path; in CI a missing tool fails the test, elsewhere it skips with a reason."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (apt-get install poppler-utils, or run .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def page_images(pdf: Path, dpi: int = 150) -> list[Image.Image]:
    """Every page rendered by PDFium (as intake renders a PDF), as a greyscale image."""
    # In this process: poppler's pdftoppm took 24 ms of CPU a page at 150 dpi, with the
    # pages written out and read back; PDFium 7 ms. The codes read are the same.
    document = pdfium.PdfDocument(str(pdf))
    try:
        scale = dpi / 72
        return [page.render(scale=scale, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, as pdftotext extracts it."""
    out = subprocess.run(
        [require("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def qr_codes(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds on a page."""
    # Asked for QR codes only: looking for every format as well cost six times as much.
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded?) for every font in the PDF, from pdffonts."""
    out = subprocess.run(
        [require("pdffonts"), str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    rows = out.splitlines()[2:]
    return [(row.split()[0], row.split()[-5] == "yes") for row in rows]


def font_sizes(pdf: Path) -> Counter[float]:
    """How often each font size is set (the `Tf` operator) on the pages and in their forms."""
    sizes: Counter[float] = Counter()

    def count(holder: pikepdf.Page | pikepdf.Object) -> None:
        for operands, operator in pikepdf.parse_content_stream(holder):
            if operator == pikepdf.Operator("Tf"):
                sizes[float(operands[1])] += 1
        resources = (
            holder.get("/Resources", {})
            if not isinstance(holder, pikepdf.Page)
            else (holder.resources)
        )
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form":
                count(xobject)

    with pikepdf.open(pdf) as document:
        for page in document.pages:
            count(page)
    return sizes
