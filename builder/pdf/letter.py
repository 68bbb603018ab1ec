"""The covering letter sent with a workbook: plain, short, and neutral through the window."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from builder.fonts_fallback import markup as name_markup
from builder.pdf.document import write_atomically
from builder.pdf.envelope import Window, posted_pdf, printable
from builder.pdf.styles import Styles, make_styles
from builder.profiles import get_profile

HELPLINE = (
    "If you feel low or need to talk, call <b>Samaritans</b> free on <b>116 123</b>, "
    "any time, day or night."
)


@dataclass(frozen=True)
class Letter:
    """What the letter says. The window shows only the name, `address` and the return line."""

    sender: str  # the course's name: nothing that says why the person has the workbook
    name: str
    date: str  # as a person writes it: 23 November 2026
    workbook: str
    modules: tuple[tuple[str, str], ...]  # (id, title)
    due: str
    contact: str
    address: tuple[str, ...] = ()  # the client's postal lines
    return_address: tuple[str, ...] = ()  # the office's
    answers_file: bool = False  # the HTML edition: how to save and send the answers file


def render_letter(letter: Letter, profile: str, out_path: Path) -> Path:
    """Write the letter as a PDF in the client's print profile, laid out for a window envelope."""
    styles = make_styles(get_profile(profile))
    p = styles.body
    count = len(letter.modules)
    modules = "".join(
        f"<br/>\u2022 <b>{escape(mid)}</b> {escape(title)}" for mid, title in letter.modules
    )
    what = "Here is your workbook"
    if letter.answers_file:
        what += " to use on a computer"
    story: list[Flowable] = [
        Paragraph(escape(letter.date), p),
        Paragraph(f"Dear {name_markup(letter.name, p.fontName)},", p),
        Paragraph(f"{what}. It has {count} {'module' if count == 1 else 'modules'}:" + modules, p),
        Paragraph("Each module takes about 2 hours. Do it at your own pace.", p),
        *(_answers_file(letter, styles) if letter.answers_file else _pages_back(letter, styles)),
        Paragraph(f"If you have a question, please call <b>{escape(letter.contact)}</b>.", p),
        Paragraph(HELPLINE, p),
        Spacer(1, 4 * mm),
        Paragraph(f"Your workbook number is <b>{escape(letter.workbook)}</b>.", p),
    ]
    window = Window(letter.sender, letter.name, letter.address, letter.return_address)
    return write_atomically(posted_pdf(story, window, styles), out_path)


def _pages_back(letter: Letter, styles: Styles) -> list[Flowable]:
    """How to post the pages back: to the office's address when it is known."""
    p = styles.body
    if not letter.return_address:
        return [
            Paragraph(
                f"Please send the pages back by <b>{escape(letter.due)}</b>. "
                "Use the envelope that came with this letter. "
                "You can send one module at a time.",
                p,
            )
        ]
    return [
        Paragraph(f"Please send the pages back by <b>{escape(letter.due)}</b>. Post them to:", p),
        address_block(letter.return_address, styles),
        Paragraph("You can send one module at a time.", p),
    ]


def _answers_file(letter: Letter, styles: Styles) -> list[Flowable]:
    """How the HTML edition keeps answers, and how to save the answers file and send it."""
    p = styles.body
    return [
        Paragraph("To start, open the file called <b>index.html</b>.", p),
        Paragraph(
            "Your answers are kept on this computer, in this browser. "
            "Use the same computer and the same browser each time.",
            p,
        ),
        Paragraph(
            "When you finish a module, press <b>Save my answers file</b>. "
            "The file goes in your Downloads folder. Its name starts with <b>answers</b>.",
            p,
        ),
        Paragraph(
            f"Please bring the answers file to us by <b>{escape(letter.due)}</b>. "
            "You can bring it on a memory stick. "
            "Or call us, and we will tell you how to send it.",
            p,
        ),
        Paragraph(
            "If you change computer, press <b>Open my answers file</b> and pick the file. "
            "Your answers come back.",
            p,
        ),
    ]


def address_block(lines: tuple[str, ...], styles: Styles) -> Paragraph:
    """An address as one paragraph, a line each, in the body's size."""
    text = "<br/>".join(escape(printable(line)) for line in lines if printable(line))
    return Paragraph(f"<b>{text}</b>", styles.bullet)
