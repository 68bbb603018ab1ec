"""Files made cheaply for intake's tests: decompression bombs, and pages in every image mode."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pikepdf
from PIL import Image


def pdf_bomb(path: Path, width: int = 12_000, height: int = 12_000) -> Path:
    """A one-page PDF whose page is one image declaring `width` x `height` grey pixels.

    The stream is a few bytes of Flate: a reader that decodes before measuring would
    unpack it to `width * height` bytes (144 MB by default, under Pillow's own limit).
    """
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, zlib.compress(b"\xff" * 1024))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    content = pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=content,
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


def tiff_bomb(path: Path, first: Image.Image, width: int = 20_000, height: int = 20_000) -> Path:
    """A two-frame TIFF: `first` as frame 1, and a frame 2 whose header claims a huge size."""
    out = io.BytesIO()
    first.save(out, "TIFF", save_all=True, append_images=[Image.new("L", (8, 8), 255)])
    data = bytearray(out.getvalue())
    assert data[:2] == b"II"
    ifd = struct.unpack_from("<I", data, 4)[0]
    ifd = _next_ifd(data, ifd)  # the second frame's directory
    for entry in range(struct.unpack_from("<H", data, ifd)[0]):
        at = ifd + 2 + 12 * entry
        tag, kind = struct.unpack_from("<HH", data, at)
        if tag in (256, 257):  # ImageWidth, ImageLength
            value = width if tag == 256 else height
            struct.pack_into("<H" if kind == 3 else "<I", data, at + 8, value)
    path.write_bytes(bytes(data))
    return path


def _next_ifd(data: bytearray, ifd: int) -> int:
    count = struct.unpack_from("<H", data, ifd)[0]
    return int(struct.unpack_from("<I", data, ifd + 2 + 12 * count)[0])


def png_bomb(path: Path, width: int = 11_000, height: int = 11_000) -> Path:
    """A PNG whose header claims `width` x `height` grey pixels, with almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    data += chunk(b"IDAT", zlib.compress(b"\x00\xff" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(data)
    return path


# Each image mode a scanner or a program may save a page in, and the file kind it goes in.
MODES = {
    "I;16": "png",  # 16-bit grey: what many flatbed scanners write
    "I": "tiff",  # 32-bit grey
    "P": "png",  # a palette
    "CMYK": "jpeg",  # a print shop's scan
    "1": "png",  # 1-bit: a fax or a "black and white" copier setting
    "LA": "png",  # grey with transparency
    "RGBA": "png",
    "RGB": "jpeg",
}


def in_mode(page: Image.Image, mode: str) -> Image.Image:
    """The grey page in `mode`, as a program would save it (16-bit: over a scan's real range)."""
    grey = page.convert("L")
    if mode in ("I;16", "I"):
        # A 16-bit scan rarely spans 0..65535: here, 3,000 (toner) to 52,000 (paper).
        wide = grey.convert("I").point(lambda v: v * 192 + 3000)
        return wide.convert("I;16") if mode == "I;16" else wide
    if mode == "1":
        return grey.point(lambda v: 255 if v > 128 else 0).convert("1", dither=Image.Dither.NONE)
    if mode == "P":
        return grey.convert("RGB").quantize(16)
    return grey.convert(mode)


def save(image: Image.Image, path: Path, kind: str) -> Path:
    """Write `image` as `kind`; JPEG at a scanner's usual quality."""
    options = {"quality": 90} if kind == "jpeg" else {}
    image.save(path, kind.upper(), **options)
    return path
