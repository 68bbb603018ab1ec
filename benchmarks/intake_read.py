"""Intake's page-code reader on degraded pages, against zxing-cpp called plainly and zbar.

Personalised workbooks (standard, large print, dyslexia) are rendered, and module pages
are taken at 300 dpi and degraded as copiers and phones degrade them (tests/degrade.py,
one seed a page). A page counts as read when its small page code is found. Times are on
one core, reading an image already in memory.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import zxingcpp
from PIL import Image

from benchmarks.common import heading, row
from tests.intake.corpus import (
    DPI,
    PAGES,
    as_200_dpi,
    degraded_pages,
    has_page_code,
    render_workbooks,
)
from tracker.intake.reader import read_codes

Reader = Callable[[Image.Image], list[str]]


def readers() -> dict[str, Reader]:
    """The readers compared; zbar only when its library can be loaded."""
    found: dict[str, Reader] = {
        "read_codes": lambda image: read_codes(image, has_page_code),
        "zxing-cpp, one call": lambda image: [c.text for c in zxingcpp.read_barcodes(image)],
    }
    zbar = _zbar()
    if zbar:
        found["zbar (pyzbar)"] = zbar
    return found


def _zbar() -> Reader | None:
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except (ImportError, OSError):  # pyzbar missing, or libzbar.so not installed
        return None

    def read(image: Image.Image) -> list[str]:
        symbols = decode(image, symbols=[ZBarSymbol.QRCODE])
        return [symbol.data.decode("utf-8", "replace") for symbol in symbols]

    return read


def outcomes(
    images: list[Image.Image], names: list[str] | None = None
) -> dict[str, tuple[list[bool], float]]:
    """For each reader (or those `names`): which pages' codes it read, its seconds in all."""
    results = {}
    for name, reader in readers().items():
        if names is not None and name not in names:
            continue
        read = []
        start = time.perf_counter()
        for image in images:
            read.append(has_page_code(reader(image)))
        results[name] = (read, time.perf_counter() - start)
    return results


def compare_readers(images: list[Image.Image]) -> dict[str, float]:
    """Each reader's share of pages read ("<reader> read") and ms a page ("<reader> ms")."""
    return _summary(outcomes(images), len(images))


def _summary(results: dict[str, tuple[list[bool], float]], pages: int) -> dict[str, float]:
    figures = {}
    for name, (read, seconds) in results.items():
        figures[f"{name} read"] = sum(read) / pages
        figures[f"{name} ms"] = seconds / pages * 1000
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        pages = list(degraded_pages(PAGES, render_workbooks(Path(folder))))
    images = [image for image, _, _ in pages]
    heading(f"Intake: the page code on {PAGES} degraded module pages, {DPI} dpi, one core")
    results = outcomes(images)
    _print_table(_summary(results, PAGES))
    heading("Pages not read, by degradation applied (a page may have several)")
    for name, (read, _) in results.items():
        missed = Counter(
            d for ok, (_, _, applied) in zip(read, pages, strict=True) if not ok for d in applied
        )
        row(name, ", ".join(f"{d} {n}" for d, n in missed.most_common()) or "none")
    heading("read_codes on the same pages as 200-dpi scans (intake renders PDFs so first)")
    smaller = [as_200_dpi(image, applied) for image, _, applied in pages]
    read, seconds = outcomes(smaller, ["read_codes"])["read_codes"]
    row(
        "read_codes",
        f"{sum(read):>3} / {PAGES}   {sum(read) / PAGES:6.1%}   "
        f"{seconds / PAGES * 1000:6.1f} ms/page",
    )


def _print_table(figures: dict[str, float]) -> None:
    for name in dict.fromkeys(key.rsplit(" ", 1)[0] for key in figures):
        rate, ms = figures[f"{name} read"], figures[f"{name} ms"]
        row(name, f"{round(rate * PAGES):>3} / {PAGES}   {rate:6.1%}   {ms:6.1f} ms/page")
    zbar_rate, zbar_ms = figures.get("zbar (pyzbar) read"), figures.get("zbar (pyzbar) ms")
    if zbar_rate is None or zbar_ms is None:
        print("  zbar could not be loaded: apt-get install libzbar0 (and pip install pyzbar)")
        return
    for name in ("read_codes", "zxing-cpp, one call"):
        ratio = figures[f"{name} read"] / zbar_rate if zbar_rate else float("inf")
        row(f"{name}: read rate / zbar's", f"{ratio:.3f}x")
    row("zbar's time / read_codes' time", f"{zbar_ms / figures['read_codes ms']:.0f}x")


if __name__ == "__main__":
    main()
