"""Scanned pages made quickly: a white sheet with its page's QR code where it is printed."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw

from builder.editions import page_payload
from tracker.intake.run import plan_intake, take_in
from tracker.issuing import Issued
from tracker.tracker import Tracker


def sheet(payload: str | None, label: str = "") -> Image.Image:
    """A page as a scanner sees it: white, with its page code bottom right (none if blank)."""
    page = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((80, 60, 600, 100), fill=0)  # a heading: printed, so never a blank page
    draw.text((80, 120), label, fill=0)
    if payload:
        code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
        picture = Image.fromarray(code.to_image(scale=5))  # type: ignore[arg-type]
        page.paste(picture, (850 - picture.width - 60, 1100 - picture.height - 40))
    return page


def scan_pdf(issued: Issued, module: str, numbers: list[int], total: int, path: Path) -> Path:
    """A scanned PDF of pages `numbers` of `module`; 0 stands for a page with no code."""
    payload = next(m.payload for m in issued.modules if m.module_id == module)
    pages = [
        sheet(page_payload(payload, n, total) if n else None, f"{module} p{n}") for n in numbers
    ]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=100)
    return path


def take(t: Tracker, *paths: Path) -> None:
    """Take files in as the acting account, reading pages here (no worker processes)."""
    assert t.actor is not None
    list(take_in(t, plan_intake(t, list(paths)), t.actor.login, workers=1))
