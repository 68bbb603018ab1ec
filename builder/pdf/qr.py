"""QR check-in codes drawn as one vector path, encoded by zxing-cpp (the library that reads them).

zxing-cpp picks the best mask pattern, as the QR standard asks, in about 0.3 ms a code;
reportlab's own encoder takes about 15 ms, which matters when an office prints in batches.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import zxingcpp
from reportlab.pdfgen.canvas import Canvas

from builder.errors import BuildError

QUIET_ZONE = 4  # modules of blank margin on each side, as the QR standard asks
ERROR_CORRECTION = "Q"  # a quarter of the code can be lost to a smudge, a fold or a photocopy


@lru_cache(maxsize=64)  # each module code is printed twice: the module's first and last page
def qr_modules(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules, row by row from the top; True is dark."""
    return tuple(tuple(byte == 0 for byte in row) for row in _rows(payload))


@lru_cache(maxsize=4)  # a page code is printed twice on its page, one after the other
def _rows(payload: str) -> tuple[bytes, ...]:
    """The code's rows as bytes, one a module: 0 is dark, 255 light."""
    try:
        barcode = zxingcpp.create_barcode(
            payload, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION
        )
    except (ValueError, RuntimeError) as err:
        raise BuildError(f"cannot make a QR code of '{payload[:40]}': {err}") from None
    image = memoryview(cast(Any, barcode.to_image(scale=1, add_quiet_zones=False)))
    rows, cols = image.shape or (0, 0)
    data = image.tobytes()
    return tuple(data[r * cols : (r + 1) * cols] for r in range(rows))


def qr_operators(payload: str, x: float, y: float, size: float) -> bytes:
    """PDF drawing operators for the code in a `size` square whose bottom-left is (x, y).

    The square includes the quiet zone and is painted white, so the code reads on a
    cream page too. The modules are a 1-bit stencil mask painted black, one image pixel
    a module, scaled without smoothing: sharp at any size, and a few hundred bytes.
    The operators need no resources, so they can be added to any page as they are.
    """
    rows = _rows(payload)
    count = len(rows)
    unit = size / (count + 2 * QUIET_ZONE)
    span = count * unit
    pad = -count % 8
    # A stencil mask paints where a bit is 0: dark modules are 0 bytes, light ones 255.
    # Hex-encoded, so the content stream stays text.
    data = b"".join(
        b"%0*x" % ((count + pad) // 4, int(row.translate(_BITS) + b"1" * pad, 2)) for row in rows
    )
    left, bottom = x + QUIET_ZONE * unit, y + QUIET_ZONE * unit
    return (
        b"q 1 1 1 rg %.3f %.3f %.3f %.3f re f 0 0 0 rg %.4f 0 0 %.4f %.3f %.3f cm\n"
        b"BI /W %d /H %d /IM true /BPC 1 /F /AHx ID\n%s>\nEI Q\n"
        % (x, y, size, size, span, span, left, bottom, count, count, data)
    )


_BITS = bytes.maketrans(b"\x00\xff", b"01")


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw the code for `payload` on a reportlab canvas (see `qr_operators`)."""
    canvas.addLiteral(qr_operators(payload, x, y, size).decode())
