"""Stamp one client's details into a shared layout: QR codes, typed codes, whose workbook.

The details are drawn on a thin overlay (a few lines a page) and laid over the layout's
pages with pikepdf, which copies the layout's compressed pages as they are. That is
why a personalised workbook takes tens of milliseconds, not the seconds a layout takes.
"""

from __future__ import annotations

import io

import pikepdf
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from builder.editions import Edition, page_payload
from builder.errors import BuildError
from builder.fonts_fallback import draw_string
from builder.pdf.layout import (
    MARGINS,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Layout,
    footer_baselines,
    footer_width,
)
from builder.pdf.qr import draw_qr, qr_operators
from builder.pdf.slots import CODE, CONTACT, PAGE, QR, WHOSE, Slot
from builder.pdf.styles import INK, TEXT


def stamp(layout: Layout, edition: Edition) -> bytes:
    """The finished workbook: `layout` with `edition`'s codes and details filled in."""
    overlay, sources = _overlay(layout, edition)
    with pikepdf.open(io.BytesIO(layout.pdf)) as pdf, pikepdf.open(io.BytesIO(overlay)) as top:
        # A page that only needs the footer shares one form with every other such page.
        # Resource names are ours, not pikepdf's random ones, so the bytes stay the same.
        forms = {
            source: pdf.copy_foreign(top.pages[source].as_form_xobject())
            for source in sorted(set(sources.values()))
        }
        save = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
        draws = {
            source: pdf.make_indirect(
                pikepdf.Stream(pdf, f"Q\nq /CpoStamp{source} Do Q\n".encode())
            )
            for source in forms
        }
        for index, source in sources.items():
            page = pdf.pages[index]
            page.add_resource(
                forms[source], pikepdf.Name.XObject, pikepdf.Name(f"/CpoStamp{source}")
            )
            page.contents_add(save, prepend=True)
            page.contents_add(draws[source])
        # Page codes need no fonts or resources: their operators go straight onto the page,
        # both copies of a page's code in one stream.
        codes: dict[int, bytes] = {}
        for slot in layout.slots:
            if slot.kind == PAGE:
                code = page_payload(edition.checkins[slot.key].payload, slot.number, slot.total)
                ops = qr_operators(code, slot.x, slot.y, slot.width)
                codes[slot.page] = codes.get(slot.page, b"") + ops
        for index, ops in codes.items():
            page = pdf.pages[index]
            if index not in sources:  # nothing stamped yet: keep the layout's state apart
                page.contents_add(save, prepend=True)
                ops = b"Q\n" + ops
            page.contents_add(pdf.make_indirect(pikepdf.Stream(pdf, ops)))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _overlay(layout: Layout, edition: Edition) -> tuple[bytes, dict[int, int]]:
    """A short PDF of the client's details, and which of its pages goes on which layout page.

    Its first page holds just the footer, shared by every page with nothing else to add;
    then one page for each layout page with slots to fill.
    """
    styles, personal = layout.styles, edition.personal
    slots: dict[int, list[Slot]] = {}
    for slot in layout.slots:
        if slot.kind != PAGE:  # drawn by `stamp` itself
            slots.setdefault(slot.page, []).append(slot)
    footer = ""
    if personal:
        footer = f"Ref {personal.reference}   \u00b7   Workbook {personal.workbook}"
        _must_fit(footer, styles.bold, styles.profile.footer_size, footer_width(), "footer")
    buffer = io.BytesIO()
    # Left uncompressed: qpdf compresses it, much faster, when the pages are merged.
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=0,
        initialFontName=styles.regular,  # type: ignore[arg-type]  # the stub says float
    )

    def draw_footer() -> None:
        if footer:
            canvas.setFillColor(INK)
            canvas.setFont(styles.bold, styles.profile.footer_size)
            canvas.drawString(MARGINS["left"], footer_baselines(styles)[1], footer)

    draw_footer()
    canvas.showPage()
    sources = dict.fromkeys(range(layout.pages), 0) if footer else {}
    for index, page_slots in sorted(slots.items()):
        draw_footer()
        for slot in page_slots:
            _fill(canvas, slot, layout, edition)
        canvas.showPage()
        sources[index] = canvas.getPageNumber() - 2
    canvas.save()
    return buffer.getvalue(), sources


def _fill(canvas: Canvas, slot: Slot, layout: Layout, edition: Edition) -> None:
    styles, personal = layout.styles, edition.personal
    top = slot.y + slot.height
    if slot.kind == QR:
        draw_qr(canvas, edition.checkins[slot.key].payload, slot.x, slot.y, slot.width)
    elif slot.kind == CODE:
        text = f"Code: {edition.checkins[slot.key].code}"
        size = styles.code.fontSize
        _must_fit(text, styles.bold, size, slot.width, f"check-in code of {slot.key}")
        canvas.setFillColor(TEXT)
        canvas.setFont(styles.bold, size)
        canvas.drawString(slot.x, top - size, text)
    elif slot.kind == WHOSE and personal:
        size, leading = styles.body.fontSize, styles.body.leading
        for line, (label, value) in enumerate(
            [("Reference: ", personal.reference), ("Workbook: ", personal.workbook)]
        ):
            y = top - size - line * leading
            _must_fit(label + value, styles.bold, size, slot.width, label.strip(": ").lower())
            canvas.setFillColor(TEXT)
            canvas.setFont(styles.regular, size)
            canvas.drawString(slot.x, y, label)
            canvas.setFont(styles.bold, size)
            canvas.drawString(slot.x + stringWidth(label, styles.regular, size), y, value)
    elif slot.kind == CONTACT and personal and personal.contact:
        size = styles.body.fontSize
        lines = simpleSplit(personal.contact, styles.bold, size, slot.width)
        if len(lines) > 2:
            raise BuildError(
                f"the contact '{personal.contact}' is too long to print: "
                "keep it to a name and a phone number"
            )
        step = slot.height / 2
        canvas.setFillColor(TEXT)
        canvas.setFont(styles.bold, size)
        for line, text in enumerate(lines):  # a case worker's name may be in any script
            draw_string(canvas, slot.x, top - (line + 1) * step + 6, text, styles.bold, size)


def _must_fit(text: str, font: str, size: float, width: float, what: str) -> None:
    if stringWidth(text, font, size) > width:
        raise BuildError(f"the {what} is too long to print: '{text}'")
