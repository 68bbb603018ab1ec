"""Pages put right by hand: placed by what the footer says, taken out again, a blank page told
apart from an unreadable one, and any page shown by its number."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.tracker.conftest import make_order
from tracker.audit import verify
from tracker.errors import NotFound, TrackerError
from tracker.intake.corrections import page_evidence, place_by_footer, unplace
from tracker.intake.records import BLANK
from tracker.intake.run import plan_intake, take_in
from tracker.issuing import issue
from tracker.tracker import Tracker

A4_200DPI = (1654, 2339)


def scan(tmp_path: Path) -> Path:
    """A scanner's PDF: an empty page, then a written page whose codes are lost."""
    blank = Image.new("L", A4_200DPI, 250)
    written = Image.new("L", A4_200DPI, 250)
    draw = ImageDraw.Draw(written)
    for y in range(300, 1800, 60):
        draw.line((200, y, 1400, y), fill=20, width=4)  # lines of handwriting
    path = tmp_path / "envelope.pdf"
    blank.save(path, "PDF", save_all=True, append_images=[written], resolution=200)
    return path


def test_pages_are_placed_by_their_footer_and_taken_out_again(
    tracker: Tracker, tmp_path: Path
) -> None:
    make_order(tracker, "C-1")
    issued = issue(tracker, "C-1", "tester", module_ids=["WB1", "WB2"], out_root=tmp_path)
    [outcome] = take_in(tracker, plan_intake(tracker, [scan(tmp_path)]), "tester", False, 1)
    empty, written = outcome.pages
    assert (empty.klass, empty.reason) == ("unreadable", BLANK)
    assert written.klass == "unreadable" and written.reason != BLANK
    assert empty.page_id and written.page_id

    # The empty back is given page 2 by mistake, then taken out: its return goes too.
    wrong = place_by_footer(tracker, f"P{empty.page_id}", issued.number.lower(), "wb1", 2, "x")
    assert wrong.klass == "ours" and wrong.page_number == 2
    assert unplace(tracker, f"P{empty.page_id}", "the blank back of page 1", "x") == 0
    shown = page_evidence(tracker, f"P{empty.page_id}")
    assert shown.klass == "unreadable" and "taken out of" in shown.reason and shown.image
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM returns") == 0

    right = place_by_footer(tracker, f"p{written.page_id}", issued.number, "WB1", 2, "x")
    assert right.return_id and page_evidence(tracker, f"P{written.page_id}").page_number == 2
    assert verify(tracker.db, tracker.audit_key).ok
    with pytest.raises(NotFound, match="no module TF1"):
        place_by_footer(tracker, f"P{empty.page_id}", issued.number, "TF1", 1, "x")
    with pytest.raises(TrackerError, match="not placed by hand"):
        unplace(tracker, f"P{empty.page_id}", "why not", "x")
    with pytest.raises(NotFound):
        page_evidence(tracker, "P9999")
