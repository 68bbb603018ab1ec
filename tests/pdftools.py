"""Read a PDF back the way a person or a scanner would: rendered pages, text, codes, fonts."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import tempfile
import zlib
from collections import Counter
from pathlib import Path

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
    """Every page rendered by poppler's pdftoppm, as a greyscale image."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [require("pdftoppm"), "-gray", "-r", str(dpi), "-png", str(pdf), f"{folder}/p"],
            check=True,
        )
        return [Image.open(p).copy() for p in sorted(Path(folder).glob("p-*.png"))]


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, as pdftotext extracts it."""
    out = subprocess.run(
        [require("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def qr_codes(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds on a page."""
    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded?) for every font in the PDF, from pdffonts."""
    out = subprocess.run(
        [require("pdffonts"), str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    rows = out.splitlines()[2:]
    return [(row.split()[0], row.split()[-5] == "yes") for row in rows]


def font_sizes(pdf: Path) -> Counter[float]:
    """How often each font size is set (the `Tf` operator) across the page streams."""
    data = pdf.read_bytes()
    sizes: Counter[float] = Counter()
    pattern = rb"/Filter \[([^\]]*)\][^>]*>>\s*stream\r?\n(.*?)endstream"
    for match in re.finditer(pattern, data, re.S):
        stream = match.group(2)
        for name in match.group(1).split():
            if name == b"/ASCII85Decode":
                stream = base64.a85decode(stream.strip(), adobe=True)
            elif name == b"/FlateDecode":
                stream = zlib.decompressobj().decompress(stream)
        for size in re.findall(rb"/F\d+(?:\+\d+)? ([\d.]+) Tf", stream):
            sizes[float(size)] += 1
    return sizes
