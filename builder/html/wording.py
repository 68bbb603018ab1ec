"""Words for the screen: paper words ("circle", "tick") replaced, phone numbers made tappable.

The course is written once, for paper. On screen a reader chooses with a control rather
than ticking or circling with a pen, so the HTML renderer rewrites those words through
one map, `SCREEN_WORDS`; the PDF renderer never sees it. Only the verbs are rewritten:
"a circle of support" and "tick it off" keep their meaning and stay as they are, and
so do an activity's options (the answers file holds them as printed).
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Paper words (a regular expression, matched as whole words) and what the screen says.
SCREEN_WORDS: tuple[tuple[str, str], ...] = (
    (r"Circle a number", "Choose a number"),
    (r"circle a number", "choose a number"),
    (r"circle a higher number", "choose a higher number"),
    (r"Tick(?! it off)", "Choose"),
    (r"tick(?! it off)", "choose"),
    (r"ticked", "chosen"),
)
_WORDS = tuple((re.compile(rf"\b{paper}\b"), screen) for paper, screen in SCREEN_WORDS)

# UK numbers as the course writes them: 0800 100 900, 0808 80 10 800, 08088 01 03 02,
# 0141 496 0000, and the 116 numbers (Samaritans' 116 123).
PHONE = re.compile(r"(?<![\d+])(?:0\d{3,4}(?: \d{2,4}){1,3}|0\d{9,10}|116 \d{3})(?![\d])")


def on_screen(text: str) -> str:
    """`text` with the paper words of SCREEN_WORDS replaced by the screen's."""
    for pattern, screen in _WORDS:
        text = pattern.sub(screen, text)
    return text


def phone_links(html: str) -> Markup:
    """Safe HTML with each phone number in its text made a tap-to-call (tel:) link.

    `html` must already be safe HTML whose tags carry no digits in their attributes
    (what the course's Markdown makes), or plain text, which is escaped first.
    """
    safe = html if isinstance(html, Markup) else escape(html)
    return Markup(PHONE.sub(_link, str(safe)))


def _link(match: re.Match[str]) -> str:
    number = match.group(0)
    return f'<a href="tel:{number.replace(" ", "")}">{number}</a>'
