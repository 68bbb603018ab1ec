"""Diagrams: drawn inside their frame, described in words, vector on paper, SVG on screen."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import Course
from builder.blocks import BodyParser
from builder.course import Diagram
from builder.diagrams import DIAGRAMS, Circle, Line, Picture, Polygon, Text, draw
from builder.editions import pick_modules, specimen_edition
from builder.errors import Problem
from builder.html.render import render_html
from builder.pdf import render_pdf
from builder.profiles import PROFILES, get_profile
from cpo.cli import cli
from tests.conftest import shipped_course
from tests.pdftools import page_texts, require

label = st.text(alphabet="abcdefghijklmnop ", min_size=1, max_size=30).map(str.strip).filter(bool)


@st.composite
def diagram_settings(draw_: st.DrawFn) -> tuple[str, dict[str, tuple[str, ...]], bool, float]:
    name = draw_(st.sampled_from(sorted(DIAGRAMS)))
    chosen = {
        key: tuple(draw_(st.lists(label, min_size=spec.least, max_size=spec.most)))
        for key, spec in DIAGRAMS[name].settings.items()
    }
    return name, chosen, draw_(st.booleans()), draw_(st.sampled_from([4.94, 6.35]))


def points(picture: Picture) -> list[tuple[float, float]]:
    found: list[tuple[float, float]] = []
    for shape in picture.shapes:
        if isinstance(shape, Line):
            found += [(shape.x1, shape.y1), (shape.x2, shape.y2)]
        elif isinstance(shape, Circle):
            found += [
                (shape.x - shape.r, shape.y - shape.r),
                (shape.x + shape.r, shape.y + shape.r),
            ]
        elif isinstance(shape, Polygon):
            found += list(shape.points)
        elif isinstance(shape, Text):
            found.append((shape.x, shape.y))
    return found


@settings(max_examples=150, deadline=None)
@given(diagram_settings())
def test_every_diagram_stays_in_its_frame_and_names_its_parts_in_words(
    case: tuple[str, dict[str, tuple[str, ...]], bool, float],
) -> None:
    name, chosen, write, text_mm = case
    picture = draw(name, chosen, write, text_mm)
    for x, y in points(picture):
        assert -0.01 <= x <= picture.width + 0.01 and -0.01 <= y <= picture.height + 0.01
    for items in chosen.values():
        for item in items:
            # The text alternative names every part (a drink's name without its units).
            assert item.rpartition(":")[0].strip() or item in picture.alt


@pytest.fixture(scope="module")
def course() -> Course:
    return shipped_course()


@pytest.mark.parametrize("profile", list(PROFILES))
def test_diagrams_print_as_vectors_in_every_profile(course: Course, profile: str) -> None:
    edition = specimen_edition(course, pick_modules(course, ["TF1"]), get_profile(profile))
    document = pdfium.PdfDocument(render_pdf(edition))
    pages = [document[n] for n in range(len(document))]
    texts = [p.get_textpage().get_text_range() for p in pages]
    first = next(n for n, t in enumerate(texts) if "The hot cross bun." in t)
    assert all(part in texts[first] for part in ("Thoughts", "Feelings", "Body", "Actions"))
    text = pages[first].get_textpage()
    found = text.search("Thoughts").get_next()
    assert found
    left, bottom, _, _ = text.get_charbox(found[0])
    objects = list(pages[first].get_objects(max_depth=3))
    paths = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_PATH]
    images = [o.get_bounds() for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    assert len(paths) >= 4  # the circle and its cross are drawn as lines...
    for x0, y0, x1, y1 in images:  # ...and no picture of a drawing lies under its words
        assert not (x0 <= left <= x1 and y0 <= bottom <= y1)


def test_diagrams_show_on_screen_as_svg_with_a_text_alternative(course: Course) -> None:
    edition = specimen_edition(course, pick_modules(course, None), get_profile("standard"))
    pages = {name: data.decode() for name, data in render_html(edition).items()}
    diagrams = [b for m in course.modules for b in m.blocks if isinstance(b, Diagram)]
    assert {d.name for d in diagrams} == set(DIAGRAMS)  # every kind is used in the course
    tf1 = pages["module-TF1.html"]
    figures = re.findall(r'<figure class="diagram"><svg[^>]*role="img"[^>]*>(.*?)</svg>', tf1)
    assert len(figures) == 2  # the bun in the reading, and in activity TF1-2
    for figure in figures:
        desc = re.search(r"<desc[^>]*>(.*?)</desc>", figure)
        assert desc and all(p in desc[1] for p in ("Thoughts", "Feelings", "Body", "Actions"))
    rl1 = pages["module-RL1.html"]
    activity = rl1[rl1.index('id="RL1-5"') :]
    assert activity.index("<svg") < activity.index("</section>")  # drawn in its activity


def test_cpo_build_pdf_pictures_the_first_diagram_and_the_last_page(tmp_path: Path) -> None:
    require("pdftoppm")
    args = ["build", "pdf", "--profile", "standard", "--modules", "TF1", "--output"]
    shots = ["--preview", "TF1/diagram", "--preview", "TF1/end"]
    result = CliRunner().invoke(cli, [*args, str(tmp_path), *shots])
    assert result.exit_code == 0, result.output
    diagram = tmp_path / "workbook-specimen-standard-TF1-diagram.png"
    end = tmp_path / "workbook-specimen-standard-TF1-end.png"
    assert diagram.stat().st_size > 0 and end.stat().st_size > 0
    texts = page_texts(tmp_path / "workbook-specimen-standard.pdf")
    pages = {n + 1: t for n, t in enumerate(texts)}
    last = max(n for n, t in pages.items() if "TF1" in t and "Page" in t)
    assert "Before you send TF1 back" in pages[last]  # the picture's page is the last one
    bad = CliRunner().invoke(cli, [*args, str(tmp_path), "--preview", "TF1/middle"])
    assert bad.exit_code == 1 and "no such page to picture: TF1/middle" in bad.output


settings_line = st.tuples(
    st.sampled_from(["parts", "around", "bands", "rings", "middle", "top", "below", "drinks"])
    | st.text(alphabet="abcxyz-", min_size=1, max_size=8),
    st.text(alphabet="ab |:%0123", max_size=30),
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([*DIAGRAMS, "thermometre", "bun", ""]),
    st.lists(settings_line, max_size=4, unique_by=lambda kv: kv[0]),
)
def test_any_diagram_box_loads_or_is_explained_by_line(
    name: str, lines: list[tuple[str, str]]
) -> None:
    body = "\n".join([f"::: diagram {name}", *(f"{k}: {v}" for k, v in lines), ":::", ""])
    problems: list[Problem] = []
    blocks = BodyParser(Path("M.md"), "AA1", 10, problems).parse(body)
    diagrams = [b for b in blocks if isinstance(b, Diagram)]
    if problems:  # refused, each with the file's line, and nothing half made
        assert diagrams == []
        assert all(p.line is not None and 10 <= p.line <= 10 + len(lines) + 1 for p in problems)
    else:
        (diagram,) = diagrams
        draw(diagram.name, dict(diagram.settings), False, 4.94)  # and it draws
