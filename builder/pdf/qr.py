"""QR check-in codes drawn as one vector path, encoded by zxing-cpp (the library that reads them).

zxing-cpp picks the best mask pattern, as the QR standard asks, in about 0.3 ms a code;
reportlab's own encoder takes about 15 ms, which matters when an office prints in batches.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import zxingcpp
from reportlab.lib.colors import black, white
from reportlab.pdfgen.canvas import Canvas

from builder.errors import BuildError

QUIET_ZONE = 4  # modules of blank margin on each side, as the QR standard asks
ERROR_CORRECTION = "Q"  # a quarter of the code can be lost to a smudge, a fold or a photocopy


@lru_cache(maxsize=64)  # each code is printed twice: the module's first and last page
def qr_modules(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules, row by row from the top; True is dark."""
    try:
        barcode = zxingcpp.create_barcode(
            payload, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION
        )
    except (ValueError, RuntimeError) as err:
        raise BuildError(f"cannot make a QR code of '{payload[:40]}': {err}") from None
    image = memoryview(cast(Any, barcode.to_image(scale=1, add_quiet_zones=False)))
    rows, cols = image.shape or (0, 0)
    data = image.tobytes()
    return tuple(tuple(data[r * cols + c] == 0 for c in range(cols)) for r in range(rows))


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw the code for `payload` in a `size` square whose bottom-left corner is (x, y).

    The square includes the quiet zone and is painted white, so the code reads on
    a cream page too. Dark runs in a row become one rectangle of a single path.
    """
    modules = qr_modules(payload)
    unit = size / (len(modules) + 2 * QUIET_ZONE)
    runs = []  # in module units, from the code's top-left corner, y pointing down
    for r, row in enumerate(modules):
        c, width = 0, len(row)
        while c < width:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < width and row[c]:
                c += 1
            runs.append(f"{start} {-r - 1} {c - start} 1 re")
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    # Whole numbers in module units, scaled once: smaller and far quicker than a
    # path object formatting every corner as a float.
    canvas.translate(x + QUIET_ZONE * unit, y + size - QUIET_ZONE * unit)
    canvas.scale(unit, unit)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()
