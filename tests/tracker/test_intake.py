"""Intake as a facilitator meets it: an envelope of shuffled, degraded pages, sorted page by page.

Workbooks are issued for real, rendered to 300-dpi pages, degraded as copiers and phones
degrade them (tests/degrade.py), shuffled with another client's pages and with
MarkUs's real scans, and taken in on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from builder.answers import checksum_of
from builder.editions import page_payload
from tests.conftest import REPO, fast_first
from tests.degrade import degrade
from tests.intake.files import png_bomb
from tests.tracker.conftest import make_order, snapshot, staff_account
from tracker import audit
from tracker.accounts import Role
from tracker.checkins import checkin_one
from tracker.errors import CodeError, TrackerError
from tracker.intake.evidence import prune, return_evidence
from tracker.intake.records import code_page
from tracker.intake.run import ALREADY, DRY_RUN, REFUSED, TAKEN, FileOutcome, plan_intake, take_in
from tracker.intake.spool import ROOT as SPOOL
from tracker.issuing import Issued, issue, revoke
from tracker.marking import mark
from tracker.tracker import Tracker

READS_PDFS = True  # issued workbooks are rendered, printed and read back


def markus_folder() -> Path:
    """The MarkUs scans in the shared test corpus, beside the checkout (never copied in)."""
    here = Path(__file__).resolve()
    places = [Path(os.environ.get("CPO_SHARED", "/nonexistent")), *here.parents, Path("/work")]
    for place in places:
        folder = place / "shared" / "testdata" / "markus-scans"
        if place.name == "shared":
            folder = place / "testdata" / "markus-scans"
        if folder.is_dir():
            return folder
    message = "the shared test corpus (shared/testdata/markus-scans) is not beside the checkout"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# What that folder's README says zxing-cpp reads: (foreign pages, unreadable pages).
MARKUS_EXPECTED = {
    "midterm_scan_100.pdf": (6, 0),
    "midterm_scan_101.pdf": (6, 0),
    "midterm_scan_102.pdf": (6, 0),
    "midterm_scan_103.pdf": (5, 1),
    "midterm_scan_104.pdf": (6, 0),
    "midterm1-v2-test.pdf": (0, 6),  # the unscanned template: no codes at all
}
# Foreign pages and an unreadable one in one file: what the PostgreSQL run reads.
MARKUS_ON_POSTGRES = "midterm_scan_103.pdf"
MODULES = ["WB1", "HC2"]
CPO = REPO / ".venv" / "bin" / "cpo"


@dataclass(frozen=True)
class Page:
    """A page put in the envelope, and what intake should find it to be."""

    image: Image.Image
    client: str
    module: str
    number: int
    total: int


def module_pages(issued: Issued, dpi: int = 300) -> list[Page]:
    """The module pages of an issued workbook (what a client sends back), as scans."""
    pages = []
    document = pdfium.PdfDocument(str(issued.folder / "workbook.pdf"))
    for index in range(len(document)):
        text = document[index].get_textpage().get_text_range()
        found = [line for line in text.splitlines() if "Page " in line and " of " in line]
        if not found:  # a verso left blank on purpose: no footer, nothing to send back
            continue
        section, _, where = found[-1].partition("·")
        number, _, total = where.strip().removeprefix("Page ").partition(" of ")
        if section.strip() not in MODULES:
            continue
        image = document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        pages.append(Page(image, issued.client, section.strip(), int(number), int(total)))
    return pages


def as_pdf(images: list[Image.Image], path: Path) -> Path:
    """A scanner's PDF: one JPEG image a page, A4 wide."""
    grey = [image.convert("L") for image in images]
    dpi = grey[0].width / (210 / 25.4)
    grey[0].save(path, "PDF", save_all=True, append_images=grey[1:], resolution=dpi, quality=75)
    return path


def issue_two(t: Tracker, tmp_path: Path) -> tuple[Issued, Issued]:
    make_order(t, "C-1")
    make_order(t, "C-2")
    first = issue(t, "C-1", "case", module_ids=MODULES, out_root=tmp_path / "out")
    second = issue(t, "C-2", "case", module_ids=["WB1"], out_root=tmp_path / "out")
    return first, second


def run(
    t: Tracker, paths: list[Path], dry_run: bool = False, workers: int = 2
) -> list[FileOutcome]:
    return list(take_in(t, plan_intake(t, paths, workers), "fac", dry_run, workers))


@pytest.mark.slow  # a large corpus: a whole envelope of degraded pages
def test_a_shuffled_envelope_of_degraded_pages_is_sorted_page_by_page(
    tracker: Tracker, tmp_path: Path
) -> None:
    first, second = issue_two(tracker, tmp_path)
    rng = random.Random(6)
    pages = module_pages(first) + module_pages(second)[:4]
    degraded = [(degrade(p.image, rng)[0], p) for p in pages]
    # Another project's scanned exam, pages 3 and 4 upside down, slipped into the envelope.
    exam = pdfium.PdfDocument(str(markus_folder() / "midterm_scan_101.pdf"))
    for index in range(len(exam)):
        image = exam[index].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
        degraded.append((image, Page(image, "", "", 0, 0)))
    rng.shuffle(degraded)
    # Half the envelope through the copier as one PDF, the rest photographed one by one.
    half = len(degraded) // 2
    scan = as_pdf([image for image, _ in degraded[:half]], tmp_path / "envelope.pdf")
    photos = []
    for n, (image, _) in enumerate(degraded[half:]):
        photos.append(tmp_path / f"photo-{n:02d}.jpg")
        image.save(photos[-1], "JPEG", quality=80)
    before = snapshot(tracker)

    outcomes = run(tracker, [scan, *photos])

    assert [o.status for o in outcomes] == [TAKEN] * (1 + len(photos))
    found = [page for o in outcomes for page in o.pages]
    expected = [p for _, p in degraded]
    read = [
        (f.client, f.module, f.page_number, f.page_count) == (e.client, e.module, e.number, e.total)
        for f, e in zip(found, expected, strict=True)
    ]
    ours = [ok for ok, e in zip(read, expected, strict=True) if e.client]
    assert sum(ours) >= 0.99 * len(ours), [f for f, ok in zip(found, read, strict=True) if not ok]
    for f, e, ok in zip(found, expected, read, strict=True):
        if not e.client:
            assert f.klass == "foreign" and "midterm1-v2-test-101-" in f.reason
        else:
            assert ok or f.klass == "unreadable", f  # never sorted into the wrong return
    # One return a module a client, each waiting for marking, and nothing credited.
    returns = {(f.client, f.module): f.return_id for f in found if f.client}
    assert len(returns) == 3 and len(set(returns.values())) == 3
    assert snapshot(tracker)["credits"] == before["credits"] == []
    for (client, _), return_id in returns.items():
        assert return_id is not None
        kept = return_evidence(tracker, return_id)
        assert all(p.image for p in kept.pages)  # kept in the records
        if client == "C-1":
            assert kept.missing_pages == []  # every page of the module came back


@pytest.mark.slow  # a large corpus, or real cpo processes killed
def test_markus_scans_are_foreign_or_unreadable_as_their_readme_says(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Every MarkUs scan reads as its README says; none of its pages changes a record.

    How a page reads does not depend on the engine (the records never see its pixels), and
    each page costs the reader every strategy (its code is not ours): the whole corpus is
    read on SQLite; on PostgreSQL one file with foreign and unreadable pages shows that
    neither kind is recorded, at a sixth of the reading.
    """
    make_order(tracker)
    before = snapshot(tracker)
    names = MARKUS_EXPECTED if tracker.db.engine == "sqlite" else [MARKUS_ON_POSTGRES]
    files = [markus_folder() / name for name in names]
    outcomes = run(tracker, files)
    for outcome in outcomes:
        foreign = [p for p in outcome.pages if p.klass == "foreign"]
        unreadable = [p for p in outcome.pages if p.klass == "unreadable"]
        assert (len(foreign), len(unreadable)) == MARKUS_EXPECTED[outcome.path.name]
        for page in foreign:
            assert "midterm1-v2-test-" in page.reason  # the code's text is shown
    after = snapshot(tracker)
    assert after["returns"] == before["returns"] and after["credits"] == []


def test_bad_files_are_refused_with_a_reason_and_the_batch_goes_on(
    tracker: Tracker, tmp_path: Path
) -> None:
    first, _ = issue_two(tracker, tmp_path)
    as_pdf([module_pages(first, dpi=200)[0].image], tmp_path / "good.pdf")
    workbook = (first.folder / "workbook.pdf").read_bytes()
    (tmp_path / "corrupt.pdf").write_bytes(workbook[: len(workbook) // 3])
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "notes.pdf").write_text("Dear Ana, here are my pages.\n")
    # A PNG whose header says 20000 by 20000 (as a real one does): writing a real one took
    # 1.5 s of CPU, and intake refuses it from its header either way.
    png_bomb(tmp_path / "huge.png", 20000, 20000)
    locked = pikepdf.open(io.BytesIO(workbook))
    locked.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(owner="o", user="u"))
    names = ["corrupt.pdf", "empty.pdf", "good.pdf", "notes.pdf", "huge.png", "locked.pdf"]
    before = snapshot(tracker)

    outcomes = run(tracker, [tmp_path / name for name in names])

    status = {o.path.name: (o.status, o.reason) for o in outcomes}
    assert status["good.pdf"][0] == TAKEN
    reasons = {
        "corrupt.pdf": "damaged or cut short",
        "empty.pdf": "empty (0 bytes)",
        "notes.pdf": "text file",
        "huge.png": "20000 by 20000 pixels",
        "locked.pdf": "locked with a password",
    }
    for name, words in reasons.items():
        assert status[name][0] == REFUSED and words in status[name][1], status[name]
    after = snapshot(tracker)
    assert len(after["returns"]) == len(before["returns"]) + 1  # the good page only
    with tracker.db.read() as tx:
        refusals = tx.all("SELECT subject, details FROM audit_log WHERE action = 'intake.refuse'")
    assert {r["subject"] for r in refusals} == set(reasons)


def test_a_file_is_taken_in_once_and_a_page_is_received_once(
    tracker: Tracker, tmp_path: Path
) -> None:
    first, _ = issue_two(tracker, tmp_path)
    page = module_pages(first, dpi=200)[2]
    scan = as_pdf([page.image], tmp_path / "scan.pdf")
    assert [o.status for o in run(tracker, [scan])] == [TAKEN]
    before = snapshot(tracker)

    again = run(tracker, [scan])
    rescan = run(tracker, [as_pdf([page.image.rotate(180)], tmp_path / "rescan.pdf")])

    assert again[0].status == ALREADY and "already taken in" in again[0].reason
    assert rescan[0].status == TAKEN and rescan[0].pages[0].klass == "duplicate"
    assert "already received" in rescan[0].pages[0].reason
    after = snapshot(tracker)
    assert after["returns"] == before["returns"] and after["credits"] == []


def test_a_dry_run_sorts_every_page_and_changes_nothing(tracker: Tracker, tmp_path: Path) -> None:
    first, _ = issue_two(tracker, tmp_path)
    scan = as_pdf([p.image for p in module_pages(first, dpi=200)[:3]], tmp_path / "scan.pdf")
    before = snapshot(tracker)
    with tracker.db.read() as tx:
        audit_before = tx.scalar("SELECT COUNT(*) FROM audit_log")

    outcome = run(tracker, [scan], dry_run=True)[0]

    assert outcome.status == DRY_RUN and [p.klass for p in outcome.pages] == ["ours"] * 3
    assert snapshot(tracker) == before
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM audit_log") == audit_before
        assert tx.scalar("SELECT COUNT(*) FROM intake_files") == 0
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM evidence_images") == 0
    assert list((tracker.config.data_dir / SPOOL).iterdir()) == []  # the workers' spool too
    assert run(tracker, [scan])[0].status == TAKEN  # and the real run still goes through


def test_an_unreadable_page_takes_its_typed_code(tracker: Tracker, tmp_path: Path) -> None:
    first, _ = issue_two(tracker, tmp_path)
    blank = Image.new("L", (1654, 2339), 255)  # the code torn off
    outcome = run(tracker, [as_pdf([blank], tmp_path / "torn.pdf")])[0]
    page = outcome.pages[0]
    assert page.klass == "unreadable" and page.page_id and page.evidence
    wb1 = next(m for m in first.modules if m.module_id == "WB1")
    before = snapshot(tracker)

    with pytest.raises(CodeError, match="wrong or two are swapped"):
        wrong = "1" if wb1.code.endswith("0") else "0"  # the check symbol changed
        code_page(tracker, f"P{page.page_id}", wb1.code[:-1] + wrong, "fac", 2)
    with pytest.raises(CodeError, match="revoked"):
        other = issue(tracker, "C-2", "case", module_ids=["HC2"], out_root=tmp_path / "o")
        revoke(tracker, other.number, "lost in the post", "case")
        code_page(tracker, f"P{page.page_id}", other.modules[0].code, "fac")
    assert snapshot(tracker)["returns"] == before["returns"]

    placed = code_page(tracker, f"P{page.page_id}", wb1.code, "fac", 2)

    assert placed.klass == "ours" and placed.module == "WB1" and placed.return_id
    kept = return_evidence(tracker, placed.return_id)
    assert [p.page_number for p in kept.pages] == [2] and kept.pages[0].image
    with pytest.raises(TrackerError, match="not unreadable"):
        code_page(tracker, f"P{page.page_id}", wb1.code, "fac", 2)


def test_foreign_invalid_and_revoked_pages_say_why(tracker: Tracker, tmp_path: Path) -> None:
    first, second = issue_two(tracker, tmp_path)
    revoke(tracker, second.number, "sent to the wrong address", "case")
    own = module_pages(first, dpi=200)[0]
    revoked = module_pages(second, dpi=200)[0]
    forged = own.image.copy()
    token = first.modules[0].payload.rsplit("/", 1)[-1].upper()
    draw_code(forged, token[:-1] + ("A" if token[-1] != "A" else "B") + ".1.11")
    scan = as_pdf([revoked.image, forged], tmp_path / "odd.pdf")

    outcome = run(tracker, [scan])[0]

    assert [p.klass for p in outcome.pages] == ["invalid", "invalid"]
    assert "revoked" in outcome.pages[0].reason
    assert "the code was changed or forged" in outcome.pages[1].reason


def draw_code(image: Image.Image, payload: str) -> None:
    """Paste a QR code of `payload` over both copies of the page's own code (a forger's work)."""
    import zxingcpp

    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    picture = Image.fromarray(code.to_image(scale=6))  # type: ignore[arg-type]
    width, height = image.size
    for left in (width - picture.width - 60, 40):
        image.paste(picture, (left, height - picture.height - 40))


def answers_file(issued: Issued, module: str, tried: bool = True) -> bytes:
    """An answers file as the offline bundle saves it, for one module of `issued`."""
    entry = next(m for m in issued.modules if m.module_id == module)
    doc: dict[str, Any] = {
        "format": "cpo-offline answers",
        "version": 1,
        "course": {"title": "Steps Forward", "version": "x"},
        "workbook": issued.number,
        "specimen": False,
        "exported": "2026-11-20T10:11:12.345Z",
        "modules": [
            {
                "id": module,
                "title": "A module",
                "checkin": entry.payload,
                "code": entry.code,
                "activities": [
                    {
                        "id": f"{module}-1",
                        "type": "write",
                        "title": "What helps",
                        "required": True,
                        "answer": "A walk by the river" if tried else "",
                    }
                ],
                "declaration": {
                    "statement": tried,
                    "name": "Sam" if tried else "",
                    "date": "2026-11-20" if tried else "",
                    "minutes": 95 if tried else None,
                },
            }
        ],
    }
    doc["checksum"] = checksum_of(doc)
    return json.dumps(doc).encode()


def test_an_answers_file_becomes_a_return_with_its_answers(
    tracker: Tracker, tmp_path: Path
) -> None:
    first, second = issue_two(tracker, tmp_path)
    good = tmp_path / "answers.json"
    good.write_bytes(answers_file(first, "WB1"))
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(answers_file(first, "HC2").replace(b"river", b"ocean"))
    empty = tmp_path / "untouched.json"
    empty.write_bytes(answers_file(second, "WB1", tried=False))

    outcomes = run(tracker, [good, tampered, empty])

    assert outcomes[0].status == TAKEN and outcomes[0].pages[0].klass == "ours"
    assert outcomes[1].status == REFUSED and "checksum" in outcomes[1].reason
    assert outcomes[2].status == REFUSED and "no module" in outcomes[2].reason
    return_id = outcomes[0].pages[0].return_id
    assert return_id is not None
    kept = return_evidence(tracker, return_id)
    assert kept.answers and "A walk by the river" in kept.answers
    # Saved again later, the same module's answers are a duplicate while it waits.
    later = tmp_path / "answers-2.json"
    redo = json.loads(answers_file(first, "WB1"))
    redo["exported"] = "2026-11-21T09:00:00.000Z"
    del redo["checksum"]
    redo["checksum"] = checksum_of(redo)
    later.write_text(json.dumps(redo))
    again = run(tracker, [later])[0]
    assert again.status == TAKEN and again.pages[0].klass == "duplicate"


def test_evidence_is_deleted_after_the_retention_period_and_the_records_stay(
    tracker: Tracker, tmp_path: Path, clock: Any
) -> None:
    first, _ = issue_two(tracker, tmp_path)
    page = module_pages(first, dpi=200)[0]
    outcome = run(tracker, [as_pdf([page.image], tmp_path / "scan.pdf")])[0]
    return_id = outcome.pages[0].return_id
    assert return_id is not None
    assert return_evidence(tracker, return_id).pages[0].image

    def images_kept() -> int:
        with tracker.db.read() as tx:
            return int(tx.scalar("SELECT COUNT(*) FROM evidence_images"))

    tried = {a.id: True for a in tracker.course.module("WB1").activities}
    mark(tracker, return_id, "accept", "fac", tried, 60, reason="one page", pages_missing_ok=True)
    clock.advance(days=tracker.config.evidence_days - 1)
    assert prune(tracker, "admin").images == 0 and images_kept() == 1
    clock.advance(days=2)

    assert prune(tracker, "admin", dry_run=True).images == 1 and images_kept() == 1
    assert prune(tracker, "admin").images == 1

    assert images_kept() == 0
    kept = return_evidence(tracker, return_id)
    assert kept.pages[0].deleted_at  # the record of the page stays
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM credits") == 1


def test_phone_photos_turn_by_exif_and_tiff_scans_give_every_page(
    tracker: Tracker, tmp_path: Path
) -> None:
    first, _ = issue_two(tracker, tmp_path)
    pages = module_pages(first, dpi=200)[:3]
    # A phone stores the pixels as the sensor saw them and says in EXIF how to turn them.
    sideways = pages[0].image.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise to view
    sideways.save(tmp_path / "photo.jpg", "JPEG", quality=85, exif=exif)
    pages[1].image.save(
        tmp_path / "scan.tiff",
        save_all=True,
        append_images=[pages[2].image],
        compression="tiff_lzw",
    )
    pages[1].image.save(tmp_path / "also.png")

    outcomes = run(tracker, [tmp_path / "photo.jpg", tmp_path / "scan.tiff"])

    assert [o.kind for o in outcomes] == ["jpeg", "tiff"]
    found = [(p.klass, p.page_number) for o in outcomes for p in o.pages]
    assert found == [
        ("ours", pages[0].number),
        ("ours", pages[1].number),
        ("ours", pages[2].number),
    ]
    kept = return_evidence(tracker, outcomes[0].pages[0].return_id or 0)
    with Image.open(io.BytesIO(kept.pages[0].image or b"")) as evidence:
        assert evidence.height > evidence.width  # kept the right way up
    png = run(tracker, [tmp_path / "also.png"])[0]
    assert png.kind == "png" and png.pages[0].klass == "duplicate"


def pages_to_kill_over(
    tracker: Tracker, tmp_path: Path, count: int | None = None
) -> tuple[list[Page], list[Path], dict[str, str]]:
    """Two workbooks' first `count` pages, a file each, and `cpo`'s environment as "fac"."""
    first, _ = issue_two(tracker, tmp_path)
    pages = module_pages(first, dpi=150)[:count]
    files = [as_pdf([page.image], tmp_path / f"scan-{n:02d}.pdf") for n, page in enumerate(pages)]
    staff_account(tracker, "fac", Role.ADMIN, [])  # the command line acts as this account
    return pages, files, {**os.environ, "CPO_DATA": str(tracker.config.data_dir), "CPO_USER": "fac"}


# Run as `python -c IN_GROUPS_OF_TWO WORKERS FILE...`: `cpo intake` committing two pages a group.
IN_GROUPS_OF_TWO = """
import sys
from cpo.cli import main
from tracker.intake import run

run.GROUP_PAGES = 2
sys.argv = ["cpo", "intake", "--workers", *sys.argv[1:]]
main()
"""


@pytest.mark.slow  # a large corpus, or real cpo processes killed
@pytest.mark.parametrize("workers", fast_first(["1", "2"], "1"))
def test_an_intake_killed_part_way_is_finished_by_running_it_again(
    tracker: Tracker, tmp_path: Path, workers: str
) -> None:
    """SIGKILL mid-batch: every file is in whole or not at all; a re-run takes in the rest.

    With workers, the pages' images waiting in the spool are deleted by the re-run.
    """
    pages, files, env = pages_to_kill_over(tracker, tmp_path)
    # `cpo intake` in groups of two pages: the default group (32) would take in all 20 files
    # at once on a quick machine, and the intake could not be caught part way.
    python = REPO / ".venv" / "bin" / "python"
    command = [str(python), "-c", IN_GROUPS_OF_TWO, workers, *map(str, files)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while process.poll() is None:  # killed once three files are in
        with tracker.db.read() as tx:
            if tx.scalar("SELECT COUNT(*) FROM intake_files") >= 3:
                process.send_signal(signal.SIGKILL)
                break
        time.sleep(0.01)
    process.wait()
    with tracker.db.read() as tx:
        taken = tx.scalar("SELECT COUNT(*) FROM intake_files")
        half = tx.all(
            "SELECT f.id FROM intake_files f LEFT JOIN intake_pages p ON p.file_id = f.id"
            " GROUP BY f.id, f.items HAVING COUNT(p.id) <> f.items"
        )
    assert 3 <= taken < len(files) and half == []

    again = subprocess.run(command, env=env, capture_output=True, text=True, check=True)

    assert again.stdout.count("Skipped") == taken
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM intake_files") == len(files)
        assert tx.scalar("SELECT COUNT(*) FROM intake_pages WHERE class = 'ours'") == len(pages)
        assert tx.scalar("SELECT COUNT(*) FROM returns") == len(MODULES)
        assert tx.scalar("SELECT COUNT(*) FROM credits") == 0
    assert audit.verify(tracker.db).ok
    spool = tracker.config.data_dir / SPOOL
    assert not spool.exists() or list(spool.iterdir()) == []


# Run as `python -u -c KILLED_IN_A_GROUP WORKERS FILE...`: `cpo intake --json` with groups
# of two pages, killed (SIGKILL) in its second group, its rows inserted and not committed.
KILLED_IN_A_GROUP = """
import os, signal, sys
from cpo.cli import main
from tracker.intake import filing, run

run.GROUP_PAGES, run.GROUP_SECONDS = 2, 600.0
groups = []
store = filing.store_evidence

def store_then_die(tx, images):
    store(tx, images)
    groups.append(len(images))
    if len(groups) == 2:
        os.kill(os.getpid(), signal.SIGKILL)

filing.store_evidence = store_then_die
sys.argv = ["cpo", "intake", "--json", "--workers", *sys.argv[1:]]
main()
"""


@pytest.mark.slow  # a large corpus, or real cpo processes killed
@pytest.mark.parametrize("workers", fast_first(["1", "2"], "2"))
def test_an_intake_killed_in_a_group_keeps_what_it_reported_and_nothing_else(
    tracker: Tracker, tmp_path: Path, workers: str
) -> None:
    """SIGKILL between a group's inserts and its commit: the files reported are in, whole.

    The group being recorded leaves nothing; running the intake again takes in the rest.
    """
    _, files, env = pages_to_kill_over(tracker, tmp_path, 6)
    python = REPO / ".venv" / "bin" / "python"
    killed = subprocess.run(
        [str(python), "-u", "-c", KILLED_IN_A_GROUP, workers, *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a group waiting for readings already back would wait its 600 s
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    reported = [json.loads(line)["file"] for line in killed.stdout.splitlines()]
    assert reported == [str(f) for f in files[:2]]  # the first group, and only it
    with tracker.db.read() as tx:
        taken = [r["name"] for r in tx.all("SELECT name FROM intake_files ORDER BY id")]
        assert tx.scalar("SELECT COUNT(*) FROM intake_pages") == 2
        assert tx.scalar("SELECT COUNT(*) FROM evidence_images") == 2
    assert taken == [f.name for f in files[:2]]

    again = subprocess.run(
        [str(CPO), "intake", "--workers", workers, *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert again.stdout.count("Skipped") == 2
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM intake_files") == len(files)
        assert tx.scalar("SELECT COUNT(*) FROM intake_pages WHERE class = 'ours'") == len(files)
        assert tx.scalar("SELECT COUNT(*) FROM evidence_images") == len(files)
        assert tx.scalar("SELECT COUNT(*) FROM credits") == 0
    assert audit.verify(tracker.db).ok
    spool = tracker.config.data_dir / SPOOL
    assert not spool.exists() or list(spool.iterdir()) == []


def test_a_page_code_scanned_at_the_desk_checks_its_module_in(
    tracker: Tracker, tmp_path: Path
) -> None:
    first, _ = issue_two(tracker, tmp_path)
    payload = page_payload(first.modules[0].payload, 3, 11)

    result = checkin_one(tracker, payload, "fac", "scanner")

    assert result.recorded and result.module == first.modules[0].module_id
    forged = payload[: -len(".3.11") - 4] + "0000.3.11"  # the signature's end changed
    assert checkin_one(tracker, forged, "fac", "scanner").status == "refused"
