"""The covering letter sent with a workbook: plain, short, and neutral through the window."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from builder.fonts_fallback import markup as name_markup
from builder.pdf.document import write_atomically
from builder.pdf.styles import make_styles
from builder.profiles import get_profile


@dataclass(frozen=True)
class Letter:
    """What the letter says. The window of a DL envelope shows only `name` and the sender."""

    sender: str  # the course's name: nothing that says why the person has the workbook
    name: str
    date: str  # as a person writes it: 23 November 2026
    workbook: str
    modules: tuple[tuple[str, str], ...]  # (id, title)
    due: str
    contact: str


def render_letter(letter: Letter, profile: str, out_path: Path) -> Path:
    """Write the letter as a one-page PDF in the client's print profile."""
    import io

    styles = make_styles(get_profile(profile))
    p = styles.body
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=letter.sender,
        author=letter.sender,
        creator="cpo-offline",
        lang="en-GB",
        invariant=1,
        initialFontName=styles.regular,
    )
    modules = "".join(
        f"<br/>\u2022 <b>{escape(mid)}</b> {escape(title)}" for mid, title in letter.modules
    )
    count = len(letter.modules)
    story = [
        Paragraph(f"<b>{escape(letter.sender)}</b>", p),
        # The address window of a DL envelope: the name, and room to write the address.
        Spacer(1, 20 * mm),
        Paragraph(name_markup(letter.name, p.fontName), p),
        Spacer(1, 30 * mm),
        Paragraph(escape(letter.date), p),
        Spacer(1, 6 * mm),
        Paragraph(f"Dear {name_markup(letter.name, p.fontName)},", p),
        Paragraph(
            f"Here is your workbook. It has {count} {'module' if count == 1 else 'modules'}:"
            + modules,
            p,
        ),
        Paragraph("Each module takes about 2 hours. Do it at your own pace.", p),
        Paragraph(
            f"Please send the pages back by <b>{escape(letter.due)}</b>. "
            "Use the envelope that came with this letter. "
            "You can send one module at a time.",
            p,
        ),
        Paragraph(f"If you have a question, please call <b>{escape(letter.contact)}</b>.", p),
        Paragraph(
            "If you feel low or need to talk, call <b>Samaritans</b> free on <b>116 123</b>, "
            "any time, day or night.",
            p,
        ),
        Spacer(1, 6 * mm),
        Paragraph(f"Your workbook number is <b>{escape(letter.workbook)}</b>.", p),
    ]
    doc.build(story)
    return write_atomically(buffer.getvalue(), out_path)
