"""The letter that goes with a module sent back: what to try again, and how to send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph

from builder.fonts_fallback import markup as name_markup
from builder.pdf.document import write_atomically
from builder.pdf.envelope import Window, posted_pdf
from builder.pdf.letter import HELPLINE, address_block
from builder.pdf.styles import Styles, make_styles
from builder.profiles import get_profile


@dataclass(frozen=True)
class SendBack:
    """What a send-back letter says. The window shows only the name, `address` and return line."""

    client_name: str
    address: tuple[str, ...]  # the client's postal lines
    return_address: tuple[str, ...]  # the office's
    office_name: str
    module_id: str
    module_title: str
    module_code: str  # the typed code, as printed on the module
    activities: tuple[str, ...]  # what to try again: numbers or titles, as the marker wrote them
    feedback: str
    written_on: date
    profile: str  # the client's print profile, as their workbook
    sender: str = ""  # the heading: the course's name (the office's name if not given)
    contact: str = ""  # who to call with a question
    answers_file: bool = False  # the HTML edition: send back a new answers file, not pages


def render_send_back(letter: SendBack, path: Path) -> Path:
    """Write the send-back letter as a PDF in the client's print profile, for a window envelope."""
    styles = make_styles(get_profile(letter.profile))
    p = styles.body
    day = letter.written_on
    story: list[Flowable] = [
        Paragraph(f"{day.day} {day:%B %Y}", p),
        Paragraph(f"Dear {name_markup(letter.client_name, p.fontName)},", p),
        Paragraph(
            f"Thank you for sending us module <b>{escape(letter.module_id)}</b>, "
            f"{escape(letter.module_title)}. You have made a good start.",
            p,
        ),
        *_what_to_do(letter, styles),
        *_how_to_send(letter, styles),
        Paragraph("This is the code for this module. Please keep this letter.", keep_with_next(p)),
        Paragraph(escape(letter.module_code), styles.code),
        *_contact(letter, styles),
        Paragraph(HELPLINE, p),
        Paragraph(f"Keep going. You are doing well.<br/>From {escape(letter.office_name)}", p),
    ]
    window = Window(
        letter.sender or letter.office_name,
        letter.client_name,
        letter.address,
        letter.return_address,
    )
    return write_atomically(posted_pdf(story, window, styles), path)


def _what_to_do(letter: SendBack, styles: Styles) -> list[Flowable]:
    """The activities to try again, and the marker's note."""
    p = styles.body
    wanted = [a.strip() for a in letter.activities if a.strip()]
    if wanted:
        items = "".join(f"<br/>\u2022 {escape(a)}" for a in wanted)
        said = "this part" if len(wanted) == 1 else "these parts"
        out: list[Flowable] = [Paragraph(f"Please have another go at {said}:" + items, p)]
    else:
        out = [Paragraph("Please have another look at the whole module.", p)]
    if letter.feedback.strip():
        out.append(Paragraph(f"<b>Our note:</b> {escape(letter.feedback.strip())}", p))
    return out


def _how_to_send(letter: SendBack, styles: Styles) -> list[Flowable]:
    """How to send the module back: the answers file, or its pages by post."""
    p = styles.body
    if letter.answers_file:
        return [
            Paragraph(
                "Open the module on your computer and change your answers. "
                "Then press <b>Save my answers file</b>, and bring us the new file.",
                p,
            )
        ]
    if not letter.return_address:
        return [Paragraph("When you are done, send all the pages of this module back to us.", p)]
    return [
        Paragraph("When you are done, post all the pages of this module to:", p),
        address_block(letter.return_address, styles),
    ]


def _contact(letter: SendBack, styles: Styles) -> list[Flowable]:
    if not letter.contact.strip():
        return []
    return [
        Paragraph(
            f"If you have a question, please call <b>{escape(letter.contact.strip())}</b>.",
            styles.body,
        )
    ]


def keep_with_next(style: ParagraphStyle) -> ParagraphStyle:
    """`style`, kept on the same page as what follows it."""
    return ParagraphStyle(f"{style.name}-keep", parent=style, keepWithNext=1)
