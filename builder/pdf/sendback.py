"""The send-back letter: which activities to try again in a module, and the marker's words.

A MINIMAL STAND-IN written on branch i17a so the tracker can call it; the real layout
(window envelope, return address) comes from branch i17c, which replaces this file with
the same `SendBack` and `render_send_back`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from builder.fonts_fallback import markup
from builder.pdf.document import write_atomically
from builder.pdf.styles import make_styles
from builder.profiles import get_profile


@dataclass(frozen=True)
class SendBack:
    """What a send-back letter says."""

    client_name: str
    address: tuple[str, ...]
    return_address: tuple[str, ...]
    office_name: str
    module_id: str
    module_title: str
    module_code: str  # the typed code, as printed in the module
    activities: tuple[str, ...]  # the activities to try again, as "3. Title"
    feedback: str
    written_on: date
    profile: str


def render_send_back(letter: SendBack, path: Path) -> Path:
    """Write the send-back letter as a PDF in the client's print profile."""
    styles = make_styles(get_profile(letter.profile))
    p = styles.body
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=letter.office_name,
        creator="cpo-offline",
        lang="en-GB",
        invariant=1,
        initialFontName=styles.regular,
    )
    name = markup(letter.client_name, p.fontName)
    window = "<br/>".join([name, *(escape(line) for line in letter.address)])
    tries = "".join(f"<br/>\u2022 {escape(a)}" for a in letter.activities)
    story = [
        Paragraph(escape(", ".join([letter.office_name, *letter.return_address])), p),
        Spacer(1, 10 * mm),
        Paragraph(window, p),
        Spacer(1, 15 * mm),
        Paragraph(f"{letter.written_on.day} {letter.written_on:%B %Y}", p),
        Paragraph(f"Dear {name},", p),
        Paragraph(
            f"Thank you for sending back <b>{escape(letter.module_id)} "
            f"{escape(letter.module_title)}</b>. We would like you to have another go at it.",
            p,
        ),
    ]
    if letter.activities:
        story.append(Paragraph("Please try these activities again:" + tries, p))
    if letter.feedback:
        story.append(Paragraph(f"A note from us: {escape(letter.feedback)}", p))
    story.append(
        Paragraph(
            "Send the same pages back when you are done. The code on them is "
            f"<b>{escape(letter.module_code)}</b>.",
            p,
        )
    )
    doc.build(story)
    return write_atomically(buffer.getvalue(), path)
