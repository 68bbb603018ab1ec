"""The HTML bundle as files: what it holds, what it never holds, and how it is written."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import textstat
from click.testing import CliRunner

from builder import BuildError, Course, load_course
from builder.editions import CheckIn, Personal, specimen_edition
from builder.html import render_bundle, render_html, render_specimen_bundle
from builder.html.markdown import markdown_html
from builder.html.render import CSP
from builder.html.svg import qr_svg
from builder.pdf.qr import QUIET_ZONE, qr_modules
from builder.profiles import get_profile
from builder.readability import GRADE_TO_AGE, TARGET_READING_AGE
from cpo.cli import cli
from tests.conftest import GOOD_COURSE, shipped_course

PERSONAL = Personal(reference="C-1042", workbook="WB-7H3K", name="", contact="Ana, 0141 000 0000")
CHECKINS = [
    CheckIn("https://example.org/c/7QX2M9K4PZ3T", "7QX2-M9K4-PZ3T"),
    CheckIn("K9P4T7", "K9P4-T7"),
]
JUSTICE = re.compile(r"court|probation|offend|community payback|punish", re.I)
MAX_BUNDLE_BYTES = 1_000_000


@pytest.fixture(scope="module")
def shipped() -> Course:
    return shipped_course()


@pytest.fixture(scope="module")
def specimen(shipped: Course) -> dict[str, bytes]:
    return render_html(specimen_edition(shipped, shipped.modules, get_profile("standard")))


def pages(files: dict[str, bytes]) -> dict[str, str]:
    return {name: data.decode() for name, data in files.items() if name.endswith(".html")}


class Text(HTMLParser):
    """The words a reader sees, one block (paragraph, item, label, button) a line."""

    BLOCKS = frozenset(
        [
            "p",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "label",
            "legend",
            "button",
            "dt",
            "dd",
            "a",
            "th",
            "td",
            "caption",
        ]
    )

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style", "title")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style", "title")
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def sentences(html: str) -> list[str]:
    parser = Text()
    parser.feed(html)
    blocks = " ".join(parser.parts).split("\n")
    out = []
    for block in blocks:
        out += [s.strip() for s in re.split(r"(?<=[.!?:])\s+", " ".join(block.split()))]
    return [s for s in out if s]


def reading_age(lines: list[str]) -> float:
    text = " ".join(s if s[-1] in ".!?" else s + "." for s in lines)
    return float(textstat.flesch_kincaid_grade(text)) + GRADE_TO_AGE


class Outline(HTMLParser):
    """Headings, landmarks, scripts and attributes of one page, as a checker sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.inline_scripts = 0
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in values.items()]
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "script" and "src" not in values:
            self.inline_scripts += 1
        if tag == "html":
            self.lang = values.get("lang", "")


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def test_the_whole_course_is_one_small_bundle(specimen: dict[str, bytes], shipped: Course) -> None:
    names = set(specimen)
    assert {"index.html", "help.html"} <= names
    assert {f"module-{m.id}.html" for m in shipped.modules} <= names
    assert sum(len(data) for data in specimen.values()) < MAX_BUNDLE_BYTES


def test_every_page_has_its_landmarks_one_h1_and_headings_in_order(
    specimen: dict[str, bytes],
) -> None:
    for name, html in pages(specimen).items():
        page = outline(html)
        assert page.lang == "en-GB", name
        assert page.headings.count(1) == 1 and page.headings[0] == 1, name
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, f"{name}: h{before} then h{after}"
        for landmark in ("header", "nav", "main", "footer"):
            assert page.tags.count(landmark) >= 1, name
        assert ("a", "href", "#main") in page.attrs and ("main", "id", "main") in page.attrs


def test_no_page_can_load_anything_from_outside(specimen: dict[str, bytes]) -> None:
    for name, html in pages(specimen).items():
        page = outline(html)
        assert ("meta", "content", CSP) in page.attrs, name
        assert page.inline_scripts == 0, name
        for tag, attr, value in page.attrs:
            assert attr != "style" and not attr.startswith("on"), f"{name}: {tag} {attr}"
            if attr in ("src", "href", "action"):
                # A tap-to-call link dials; it loads nothing.
                tel = tag == "a" and re.fullmatch(r"tel:\d+", value)
                assert not re.match(r"[a-z]+:|//", value) or value.startswith("#") or tel, value
    for name, data in specimen.items():
        if name.endswith((".css", ".js")):
            text = data.decode()
            assert "url(" not in text and "@import" not in text, name
            assert not re.search(r"\b(fetch|XMLHttpRequest|sendBeacon|WebSocket)\b", text), name
    assert "default-src 'none'" in CSP and "connect-src 'none'" in CSP
    assert "unsafe" not in CSP and "http" not in CSP


def test_nothing_in_the_bundle_tells_of_a_justice_context(specimen: dict[str, bytes]) -> None:
    for name, data in specimen.items():
        assert not JUSTICE.search(data.decode()), name


def test_a_personalised_bundle_holds_that_workbook_and_nothing_else(
    tmp_path: Path,
) -> None:
    course = load_course(GOOD_COURSE)
    folder, archive = render_bundle(course, ["AA1", "BB1"], PERSONAL, CHECKINS, tmp_path / "b")
    text = "".join(p.read_text() for p in folder.rglob("*") if p.is_file())
    for checkin in CHECKINS:
        assert checkin.code in text and checkin.payload in text
    assert "WB-7H3K" in text and 'Ana, <a href="tel:01410000000">0141 000 0000</a>' in text
    assert "SPECIMEN" not in text
    # A second, smaller bundle written over it keeps none of the first one's pages.
    render_bundle(course, ["BB1"], PERSONAL, CHECKINS[1:], folder)
    assert not (folder / "module-AA1.html").exists()
    assert CHECKINS[0].code not in "".join(p.read_text() for p in folder.rglob("*.*"))
    with zipfile.ZipFile(archive) as z:
        assert all(n.startswith("b/") for n in z.namelist())


def test_the_zip_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    course = load_course(GOOD_COURSE)
    first = render_bundle(course, ["AA1", "BB1"], PERSONAL, CHECKINS, tmp_path / "one" / "wb")[1]
    second = render_bundle(course, ["AA1", "BB1"], PERSONAL, CHECKINS, tmp_path / "two" / "wb")[1]
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(io.BytesIO(first.read_bytes())) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "wb/index.html" in names and "wb/assets/workbook.js" in names


@pytest.mark.parametrize(
    ("ids", "checkins", "message"),
    [
        (["AA1", "BB1"], CHECKINS[:1], "2 modules but 1 check-in codes"),
        (["AA1", "BB1"], [CHECKINS[0], CHECKINS[0]], "same check-in code"),
        (["BB1", "AA1"], CHECKINS, "course order"),
        (["AA1", "ZZ9"], CHECKINS, "no such module: ZZ9"),
    ],
)
def test_bad_codes_are_refused_as_for_paper(
    tmp_path: Path, ids: list[str], checkins: list[CheckIn], message: str
) -> None:
    with pytest.raises(BuildError, match=message):
        render_bundle(load_course(GOOD_COURSE), ids, PERSONAL, checkins, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_a_folder_with_other_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(BuildError, match="not a workbook bundle"):
        render_specimen_bundle(load_course(GOOD_COURSE), None, tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_course_text_is_escaped_everywhere(tmp_path: Path) -> None:
    course = load_course(GOOD_COURSE)
    evil = '<script>alert("x")</script>'
    module = course.modules[0]
    blocks = tuple(
        dataclasses.replace(b, title=evil) if hasattr(b, "title") else b for b in module.blocks
    )
    module = dataclasses.replace(module, title=evil, outcomes=(evil,), blocks=blocks)
    theme = dataclasses.replace(course.themes[0], title=evil, modules=(module,))
    course = dataclasses.replace(course, title=evil, themes=(theme,))
    files = render_html(specimen_edition(course, course.modules, get_profile("standard")))
    for name, html in pages(files).items():
        assert "<script>alert" not in html, name
        assert "&lt;script&gt;alert" in html, name
    # In the scripts' data the title is a JSON string in a file of its own: safe as it is.
    data = files["assets/workbook-data.js"].decode()
    assert json.loads(data.split("=", 1)[1].strip().rstrip(";"))["course"]["title"] == evil


def test_markdown_on_screen_keeps_to_what_the_course_uses() -> None:
    assert markdown_html("Some **bold** and <b>raw</b>") == (
        "<p>Some <strong>bold</strong> and &lt;b&gt;raw&lt;/b&gt;</p>\n"
    )
    assert markdown_html("[words](https://example.org)") == "<p>words</p>\n"
    assert markdown_html("# Title\n\n### Sub", top=3).startswith("<h3>Title</h3>\n<h4>Sub</h4>")
    with pytest.raises(BuildError, match="image"):
        markdown_html("![a picture](https://example.org/x.png)")
    with pytest.raises(BuildError, match="blockquote"):
        markdown_html("> quoted")


def test_the_qr_square_holds_exactly_the_paper_modules() -> None:
    payload = CHECKINS[0].payload
    svg = qr_svg(payload, "Square code")
    modules = qr_modules(payload)
    dark = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)", svg):
        dark |= {(int(y) - QUIET_ZONE, int(x) - QUIET_ZONE + i) for i in range(int(width))}
    expected = {(r, c) for r, row in enumerate(modules) for c, on in enumerate(row) if on}
    assert dark == expected


def test_cli_writes_a_specimen_bundle_and_its_zip(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "html"
    result = runner.invoke(
        cli,
        ["build", "html", "--content", str(GOOD_COURSE), "--modules", "AA1", "--output", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} (3 pages" in result.output
    assert (out / "module-AA1.html").is_file() and not (out / "module-BB1.html").exists()
    assert "SPECIMEN AA1" in (out / "assets" / "workbook-data.js").read_text()
    assert (tmp_path / "html.zip").is_file()


def test_cli_names_an_unknown_module(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "build",
            "html",
            "--content",
            str(GOOD_COURSE),
            "--modules",
            "ZZ1",
            "--output",
            str(tmp_path / "h"),
        ],
    )
    assert result.exit_code == 1
    assert "Error: no such module: ZZ1" in result.output


def test_the_bundles_own_words_are_plain_english(specimen: dict[str, bytes]) -> None:
    for name in ("index.html", "help.html", "module-WB1.html"):
        lines = sentences(specimen[name].decode())
        assert reading_age(lines) <= TARGET_READING_AGE, name
    script = specimen["assets/workbook.js"].decode()
    messages = [m for m in re.findall(r'"([A-Z][^"]{12,})"', script) if " " in m]
    lines = [s for m in messages for s in re.split(r"(?<=[.!?])\s+", m) if s]
    assert len(lines) > 15
    assert reading_age(lines) <= TARGET_READING_AGE
    assert max(len(s.split()) for s in lines) <= 20
