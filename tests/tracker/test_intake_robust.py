"""Intake that never stops on one bad file, and uses every code on an image.

Decompression bombs between good files, two pages in one photo, and pages known only by
their module code, taken in on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests.intake.files import pdf_bomb, png_bomb, tiff_bomb
from tests.intake.marks import side_by_side
from tests.tracker.conftest import snapshot, staff_account
from tests.tracker.test_intake import CPO, Page, as_pdf, issue_two, module_pages, run
from tracker.accounts import Role
from tracker.intake import sources
from tracker.intake.evidence import return_evidence
from tracker.intake.filing import REFUSED
from tracker.intake.pages import PageRead, PageTask, Sheet, parse, read_page
from tracker.intake.reader import find_codes, read_codes
from tracker.intake.records import PAGE_UNKNOWN
from tracker.intake.scans import LOST, record_scan
from tracker.intake.sources import PDF, Source
from tracker.tracker import Tracker

READS_PDFS = True  # issued workbooks are rendered, printed and read back


def test_bombs_between_good_files_are_refused_and_the_good_files_taken_in(
    tracker: Tracker, tmp_path: Path
) -> None:
    """A PDF image, a TIFF frame and a loose PNG over the pixel budget: refused, said why."""
    first, _ = issue_two(tracker, tmp_path)
    pages = module_pages(first, dpi=100)[:4]
    good = [as_pdf([p.image], tmp_path / f"good-{n}.pdf") for n, p in enumerate(pages)]
    bombs = [
        pdf_bomb(tmp_path / "bomb.pdf"),
        tiff_bomb(tmp_path / "bomb.tif", pages[0].image),
        png_bomb(tmp_path / "bomb.png"),
    ]
    files = [good[0], bombs[0], good[1], bombs[1], good[2], bombs[2], good[3]]
    staff_account(tracker, "fac", Role.ADMIN, [])  # the command line acts as this account
    env = {**os.environ, "CPO_DATA": str(tracker.config.data_dir), "CPO_USER": "fac"}

    done = subprocess.run(
        [str(CPO), "intake", "--workers", "2", *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 1
    assert "Error: 3 of 7 files refused" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for bomb, size in zip(
        bombs, ("12000 by 12000", "20000 by 20000", "11000 by 11000"), strict=True
    ):
        assert f"Refused {bomb}: " in done.stdout and size in done.stdout
    for path in good:
        assert f"{path}: taken in as F" in done.stdout
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM intake_pages WHERE class = 'ours'") == 4
        assert tx.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'intake.refuse'") == 3


def test_two_pages_in_one_photo_give_two_pages(tracker: Tracker, tmp_path: Path) -> None:
    first, _ = issue_two(tracker, tmp_path)
    pages = [p for p in module_pages(first, dpi=200) if p.module == "WB1"]
    left, right = pages[2], pages[5]
    photo = tmp_path / "two.jpg"
    side_by_side(left.image, right.image, random.Random(4)).save(photo, quality=85)

    (outcome,) = run(tracker, [photo])

    got = sorted((p.klass, p.module, p.page_number) for p in outcome.pages)
    assert got == [("ours", "WB1", left.number), ("ours", "WB1", right.number)]
    assert len({p.evidence for p in outcome.pages}) == 2
    kept = return_evidence(tracker, outcome.pages[0].return_id or 0).pages
    assert len(kept) == 2
    for page in kept:
        with Image.open(
            io.BytesIO(page.image or b"")
        ) as image:  # each is one page: portrait, not the whole photo
            assert image.height > image.width
    evidence = return_evidence(tracker, outcome.pages[0].return_id or 0)
    assert str(left.number) not in evidence.missing_text.split()


def blot_page_code(page: Page) -> Image.Image:
    """The page with its small page code covered (by a sticker, a coffee ring...)."""
    image = page.image.copy()
    # Every strategy, so both copies: the first look may read one copy and stop there.
    for code in find_codes(image, lambda codes: False):
        if parse(code.text).number is not None:
            left, top, right, bottom = code.box
            ImageDraw.Draw(image).rectangle((left - 8, top - 8, right + 8, bottom + 8), fill=255)
    return image


@pytest.mark.slow  # ~3 s of CPU: a whole module taken in first
def test_a_page_known_by_its_module_code_is_placed_or_a_duplicate(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Only the first and the declaration page carry the module code: that places them."""
    first, _ = issue_two(tracker, tmp_path)
    pages = module_pages(first, dpi=150)
    wb1 = [p for p in pages if p.module == "WB1"]
    hc2 = [p for p in pages if p.module == "HC2"]
    declaration = next(p for p in wb1[1:] if len(read_codes(p.image, lambda c: len(c) > 1)) == 2)

    run(tracker, [as_pdf([p.image for p in wb1[1:]], tmp_path / "wb1.pdf")])
    (placed,) = run(tracker, [as_pdf([blot_page_code(wb1[0])], tmp_path / "first.pdf")])
    (again,) = run(tracker, [as_pdf([blot_page_code(declaration)], tmp_path / "decl.pdf")])
    (unknown,) = run(tracker, [as_pdf([blot_page_code(hc2[0]), hc2[1].image], tmp_path / "h.pdf")])

    assert (placed.pages[0].klass, placed.pages[0].page_number) == ("ours", 1)
    assert return_evidence(tracker, placed.pages[0].return_id or 0).missing_text == ""
    assert again.pages[0].klass == "duplicate"
    assert "carry its module code" in again.pages[0].reason
    sheet = unknown.pages[0]
    assert (sheet.klass, sheet.page_number, sheet.reason) == ("ours", None, PAGE_UNKNOWN)
    missing = return_evidence(tracker, sheet.return_id or 0).missing_text
    assert missing.startswith("pages 3-")  # page 1 may be the sheet whose number is unknown


def anothers_code(text: str = "midterm1-v2-test-7-2", scale: int = 8) -> Image.Image:
    """A QR code of another system's (as on the MarkUs exams), black on white."""
    code = memoryview(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale))
    return Image.frombytes("L", (code.shape[1], code.shape[0]), bytes(code))


def test_a_page_of_ours_with_anothers_code_on_it_is_read_as_ours(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Another's code read first does not make a page of ours another's.

    Upside down, our page code is at the top and the other code, stuck at the foot, is
    read first; a first page needs its module code too, read later still.
    """
    first, _ = issue_two(tracker, tmp_path)
    pages = [p for p in module_pages(first, dpi=200) if p.module == "WB1"][:3]
    stuck = []
    for page in pages:
        image = page.image.rotate(180)
        image.paste(anothers_code(), (image.width // 3, image.height - 400))
        stuck.append(image)

    (outcome,) = run(tracker, [as_pdf(stuck, tmp_path / "stuck.pdf")])

    got = [(p.klass, p.module, p.page_number) for p in outcome.pages]
    assert got == [("ours", "WB1", p.number) for p in pages]


def test_a_page_with_only_anothers_code_is_not_read_at_full_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the page has been looked at whole, another's code ends the search (issue 19).

    Such a page (a MarkUs exam's) would otherwise cost every strategy, at full size too;
    a page with no code at all still gets them.
    """
    full_sized: list[str] = []
    page_image = sources.page_image

    def counted(path: Path, *args: Any, **kwargs: Any) -> Image.Image:
        full_sized.append(path.name)
        return page_image(path, *args, **kwargs)

    monkeypatch.setattr(sources, "page_image", counted)
    for name, code in (("anothers.jpg", anothers_code()), ("none.jpg", None)):
        page = Image.new("L", (2480, 3508), 255)  # A4 at 300 dpi: read reduced first
        ImageDraw.Draw(page).text((300, 450), "Question 1. Name three things.", fill=0)
        if code is not None:
            page.paste(code.resize((code.width * 3 // 2,) * 2), (1800, 200))
        page.save(tmp_path / name, quality=90)

    foreign = read_page(PageTask(0, tmp_path / "anothers.jpg", "jpeg", 0))
    nothing = read_page(PageTask(0, tmp_path / "none.jpg", "jpeg", 0))

    assert foreign.sheets[0].codes == ("midterm1-v2-test-7-2",)
    assert nothing.sheets[0].codes == ()
    assert full_sized == ["none.jpg"]


def test_a_page_image_lost_from_the_spool_refuses_its_file_and_records_nothing(
    tracker: Tracker, tmp_path: Path
) -> None:
    """A reader's spooled image gone before its file is recorded: the file is refused whole.

    Nothing is recorded, so taking the file in again reads it again from the scan.
    """
    kept = tmp_path / "0-0-0.jpg"
    kept.write_bytes(b"\xff\xd8 a page as a reader left it")
    source = Source(tmp_path / "scan.pdf", PDF, "ab" * 32, 1000, 2)
    reads = [
        PageRead(0, 1, (Sheet(("not ours",), b"", spooled=str(kept)),)),
        PageRead(0, 2, (Sheet((), b"", spooled=str(tmp_path / "0-1-0.jpg")),)),  # gone
    ]
    before = snapshot(tracker)

    outcome = record_scan(tracker, source, reads, "fac", False)

    assert outcome.status == REFUSED and outcome.reason.startswith(LOST)
    assert snapshot(tracker) == before
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM intake_files") == 0
        assert tx.scalar("SELECT COUNT(*) FROM evidence_images") == 0
