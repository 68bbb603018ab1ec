"""What 10,000 page images cost in the records: size on disk and time to store and read.

Run by hand (or `make bench`): `.venv/bin/python -m benchmarks.evidence [PAGES]`. Each page
is a real workbook page, rendered at 300 dpi as a scanner would and kept as intake keeps it
(greyscale JPEG, about 150 dpi), stored on SQLite in transactions of one file (12 pages).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from builder.loader import default_content_root, load_course
from builder.pdf import render_specimen
from tracker.intake.sources import evidence_jpeg
from tracker.store import Database


def sample_pages(folder: Path, count: int = 12) -> list[bytes]:
    """Real module pages of the specimen workbook, as intake keeps them."""
    pdf, _ = render_specimen(load_course(default_content_root()), "standard", ["WB1"], folder)
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    for index in range(len(document) - count, len(document)):
        image = document[index].render(scale=300 / 72, grayscale=True).to_pil().convert("L")
        pages.append(evidence_jpeg(image))
    return pages


def main(total: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pages = sample_pages(Path(folder))
        db = Database(str(Path(folder) / "tracker.db"))
        start = time.perf_counter()
        for first in range(0, total, len(pages)):
            with db.write() as tx:
                for offset, data in enumerate(pages):
                    if first + offset < total:
                        name = f"evidence/{first + offset:06d}.jpg"
                        tx.execute(
                            "INSERT INTO evidence_images (path, data) VALUES (?, ?)", (name, data)
                        )
        stored = time.perf_counter() - start
        start = time.perf_counter()
        with db.read() as tx:
            for n in range(0, total, 97):
                tx.scalar(
                    "SELECT data FROM evidence_images WHERE path = ?", (f"evidence/{n:06d}.jpg",)
                )
        read_each = (time.perf_counter() - start) / len(range(0, total, 97))
        db.close()
        size = (Path(folder) / "tracker.db").stat().st_size
        average = sum(map(len, pages)) / len(pages)
    print(f"evidence: {total} pages, {average / 1024:.0f} KB a page on average")
    print(f"  records file: {size / 2**20:.0f} MB ({size / total / 1024:.0f} KB a page)")
    print(
        f"  stored in {stored:.1f} s ({total / stored:.0f} pages/s);"
        f" one page read in {read_each * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
