"""On screen, paper words become screen words and phone numbers can be tapped; paper keeps
its own words."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from builder.html import render_specimen_bundle
from builder.html.markdown import markdown_html
from builder.html.wording import SCREEN_WORDS, on_screen, phone_links
from builder.pdf import render_specimen
from tests.conftest import shipped_course

PAPER = re.compile(r"\b(Circle a number|circle a number|Tick all|Tick one|Tick as many)\b")


def test_the_screen_says_choose_where_paper_says_tick_or_circle(tmp_path: Path) -> None:
    course = shipped_course()
    folder, _ = render_specimen_bundle(course, ["WB1", "WM2"], tmp_path / "html")
    screen = (folder / "module-WM2.html").read_text(encoding="utf-8")
    assert not PAPER.search(screen), PAPER.search(screen)
    assert "Choose as many as you like" in screen and "Choose a number for each line" in screen
    assert "tick it off" in screen  # an idiom, not an instruction
    pdf, _ = render_specimen(course, "standard", ["WM2"], tmp_path)
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    paper = " ".join(out.split())
    assert "Tick as many as you like" in paper and "Circle a number for each line" in paper


def test_helpline_numbers_are_tap_to_call_links(tmp_path: Path) -> None:
    folder, _ = render_specimen_bundle(shipped_course(), ["WB1"], tmp_path / "h")
    help_page = (folder / "help.html").read_text(encoding="utf-8")
    assert '<a href="tel:116123"><strong>116 123</strong></a>' in help_page
    assert re.search(r'<a href="tel:0\d{9,10}">0\d{3,4}( \d{2,4})+</a>', help_page)
    html = markdown_html("Call **Shelter** on 0808 800 4444 or 0141 496 0000 by 2026.")
    assert html.count('href="tel:') == 2 and 'href="tel:08088004444"' in html
    assert "2026" in html and "tel:2026" not in html


@given(st.text())
def test_text_without_paper_words_is_left_as_it_is(text: str) -> None:
    words = [re.sub(r"\(.*?\)", "", paper) for paper, _ in SCREEN_WORDS]
    if not any(w.lower() in text.lower() for w in words):
        assert on_screen(text) == text


@given(st.text())
def test_phone_links_never_let_markup_through(text: str) -> None:
    linked = phone_links(text)
    assert isinstance(linked, Markup)
    assert re.sub(r'<a href="tel:\d+">|</a>', "", str(linked)) == str(Markup.escape(text))
