"""Printed workbooks, checked as a reader and a scanner would: rendered, read back, decoded."""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pytest

from builder import BuildError, Course
from builder.editions import CheckIn, Personal, personal_edition, specimen_edition
from builder.pdf import render_pdf, render_personalised, render_specimen
from builder.pdf.document import forget_layouts
from builder.pdf.rules import BLANK_NOTE
from builder.profiles import PROFILES, get_profile
from tests.conftest import fast_first, shipped_course
from tests.pdftools import font_sizes, fonts, page_images, page_texts, qr_codes

MODULES = ["WB1", "HC2"]
PERSONAL = Personal(reference="C-1042", workbook="WB-7H3K", contact="Ana, 0141 000 0000")
CHECKINS = [
    CheckIn("https://example.org/c/7QX2M9K4PZ3T", "7QX2-M9K4-PZ3T"),
    CheckIn("K9P4T7", "K9P4-T7"),
]
# One worker runs this module (`make test` runs with `--dist loadgroup`): each profile's
# workbook is printed, and its pages' codes read, once a run rather than on each worker.
pytestmark = pytest.mark.xdist_group("pdf-profiles")
JUSTICE = re.compile(r"court|probation|offend|community payback|punish", re.I)


@pytest.fixture(scope="module")
def course() -> Course:
    return shipped_course()


@pytest.fixture(scope="module")
def personalised(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("personal")
    return {
        name: render_personalised(course, MODULES, name, PERSONAL, CHECKINS, folder / f"{name}.pdf")
        for name in PROFILES
    }


@pytest.fixture(scope="module")
def specimen(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_specimen(course, "standard", MODULES, tmp_path_factory.mktemp("specimen"))[0]


# Read back once a file, not once a test: the tests below assert on the same pages.
@cache
def texts_of(pdf: Path) -> list[str]:
    """Each page's text."""
    return page_texts(pdf)


@cache
def codes_of(pdf: Path) -> list[list[str]]:
    """The codes read on each page, rendered as a scanner would."""
    return [qr_codes(image) for image in page_images(pdf)]


# Every page rendered and its codes read, once a profile: standard in the fast loop.
@pytest.mark.parametrize("profile", fast_first(PROFILES, "standard"))
def test_every_qr_code_reads_back_to_the_payload_given(
    personalised: dict[str, Path], profile: str
) -> None:
    found = codes_of(personalised[profile])
    payloads = [code for page in found for code in page]
    for checkin in CHECKINS:
        # On the module's first page and on its declaration page.
        assert payloads.count(checkin.payload) == 2
    page_codes = {code for code in payloads if code not in {c.payload for c in CHECKINS}}
    assert all(page_payload_pattern().fullmatch(code) for code in page_codes), page_codes


# Every page rendered and its codes read, once a profile: standard in the fast loop.
@pytest.mark.parametrize("profile", fast_first(PROFILES, "standard"))
def test_every_module_page_carries_a_code_for_its_module_and_page(
    personalised: dict[str, Path], profile: str
) -> None:
    path = personalised[profile]
    tokens = {
        m: c.payload.rsplit("/", 1)[-1].upper() for m, c in zip(MODULES, CHECKINS, strict=True)
    }
    texts, found = texts_of(path), codes_of(path)
    for codes, text in zip(found, texts, strict=True):
        page_codes = [c for c in codes if page_payload_pattern().fullmatch(c)]
        if BLANK_NOTE in text:  # a left-hand page before a module: no module, no code
            assert page_codes == [] and "Page" not in text
            continue
        section, page, total = re.findall(r"(\w+)\s+·\s+Page (\d+) of (\d+)", text)[-1]
        if section in tokens:
            # Twice: bottom right and bottom left, so a mark across one leaves the other.
            assert page_codes == [f"{tokens[section]}.{page}.{total}"] * 2, (section, page)
        else:
            assert page_codes == [], section  # the cover, contents and theme pages


def page_payload_pattern() -> re.Pattern[str]:
    return re.compile(r"[0-9A-Z]+\.\d+\.\d+")


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_module_page_says_whose_and_which_page(
    personalised: dict[str, Path], profile: str
) -> None:
    texts = texts_of(personalised[profile])
    module_pages: dict[str, list[str]] = {m: [] for m in MODULES}
    for text in texts:
        assert "Ref C-1042" in text and "Workbook WB-7H3K" in text
        if BLANK_NOTE in text:
            continue
        footers = re.findall(r"(\w+)\s+·\s+Page (\d+) of (\d+)", text)
        assert footers, text[-200:]
        section, page, total = footers[-1]  # the footer is the last thing on the page
        if section in module_pages:
            module_pages[section].append(f"{page}/{total}")
    for module_id, pages in module_pages.items():
        total = len(pages)
        assert total > 3
        assert pages == [f"{n}/{total}" for n in range(1, total + 1)], module_id


def test_fallback_code_is_printed_beside_each_qr_code(personalised: dict[str, Path]) -> None:
    texts = texts_of(personalised["standard"])
    for checkin in CHECKINS:
        pages = [t for t in texts if f"Code: {checkin.code}" in t]
        assert len(pages) == 2


def test_fonts_are_embedded_and_never_italic(personalised: dict[str, Path]) -> None:
    for path in personalised.values():
        used = fonts(path)
        assert used and all(embedded for _, embedded in used)
        assert not [name for name, _ in used if re.search("italic|oblique", name, re.I)]


@pytest.mark.parametrize(
    ("profile", "size"), [("standard", 14), ("large-print", 18), ("dyslexia", 14)]
)
def test_body_text_size_follows_the_profile(
    personalised: dict[str, Path], profile: str, size: int
) -> None:
    sizes = font_sizes(personalised[profile])
    assert sizes.most_common(1)[0][0] == size
    assert min(sizes) >= size  # nothing printed smaller than the body text


def test_specimen_says_so_on_every_page_and_its_codes_say_specimen(specimen: Path) -> None:
    texts = page_texts(specimen)
    assert all("SPECIMEN" in t for t in texts)
    payloads = {code for image in page_images(specimen) for code in qr_codes(image)}
    assert {p.split(".")[0] for p in payloads} == {"SPECIMEN WB1", "SPECIMEN HC2"}


def test_cover_is_neutral_and_personalised(personalised: dict[str, Path]) -> None:
    cover = texts_of(personalised["standard"])[0]
    assert "Steps Forward" in cover and "C-1042" in cover and "WB-7H3K" in cover
    assert not JUSTICE.search(cover)


def test_metadata_bookmarks_and_language(personalised: dict[str, Path]) -> None:
    data = personalised["standard"].read_bytes()
    assert b"/Lang (en-GB)" in data
    assert b"/Title (Steps Forward: clear print workbook)" in data
    assert b"/Outlines" in data
    for title in (b"(Wellbeing)", b"(WB1: Looking after your mind)", b"(Healthy choices)"):
        assert title in data


def test_two_builds_are_byte_identical(course: Course) -> None:
    modules = tuple(course.module(m) for m in MODULES)
    edition = personal_edition(course, modules, get_profile("standard"), PERSONAL, CHECKINS)
    assert render_pdf(edition) == render_pdf(edition)
    specimen = specimen_edition(course, modules, get_profile("dyslexia"))
    assert render_pdf(specimen) == render_pdf(specimen)


def test_bad_requests_are_refused_and_leave_no_file(course: Course, tmp_path: Path) -> None:
    out = tmp_path / "w.pdf"
    with pytest.raises(BuildError, match="no such module: XX9"):
        render_personalised(course, ["XX9"], "standard", PERSONAL, CHECKINS[:1], out)
    with pytest.raises(BuildError, match="no print profile 'huge'"):
        render_personalised(course, MODULES, "huge", PERSONAL, CHECKINS, out)
    with pytest.raises(BuildError, match="2 modules but 1 check-in codes"):
        render_personalised(course, MODULES, "standard", PERSONAL, CHECKINS[:1], out)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(BuildError, match="cannot write"):
        render_specimen(course, "standard", ["WB1"], blocker / "sub")
    assert list(tmp_path.iterdir()) == [blocker]


def test_clients_sharing_a_layout_get_only_their_own_details(
    course: Course, tmp_path: Path
) -> None:
    other = Personal(reference="C-2077", workbook="WB-9Z9Z", contact="Bo, 01632 960000")
    other_codes = [CheckIn("https://example.org/c/OTHER1", "AAAA-BBBB-CCCC"), CheckIn("O2", "O2")]
    first = render_personalised(course, MODULES, "standard", PERSONAL, CHECKINS, tmp_path / "a.pdf")
    second = render_personalised(
        course, MODULES, "standard", other, other_codes, tmp_path / "b.pdf"
    )
    text = "\n".join(page_texts(second))
    assert "C-2077" in text and "WB-9Z9Z" in text and "Bo, 01632 960000" in text
    assert "C-1042" not in text and "WB-7H3K" not in text and "Ana" not in text
    payloads = {code for image in page_images(second) for code in qr_codes(image)}
    modules = {p if p in {c.payload for c in other_codes} else p.split(".")[0] for p in payloads}
    assert modules == {c.payload for c in other_codes} | {"OTHER1", "O2"}
    assert len(page_texts(first)) == len(page_texts(second))


def test_a_kept_layout_gives_the_same_bytes_as_a_fresh_one(course: Course) -> None:
    modules = tuple(course.module(m) for m in MODULES)
    edition = personal_edition(course, modules, get_profile("large-print"), PERSONAL, CHECKINS)
    kept = render_pdf(edition)
    forget_layouts()
    assert render_pdf(edition) == kept


def test_details_too_long_to_print_are_refused(course: Course, tmp_path: Path) -> None:
    out = tmp_path / "w.pdf"
    long_ref = Personal(reference="C-" + "9" * 80, workbook="WB-1")
    with pytest.raises(BuildError, match="too long to print"):
        render_personalised(course, MODULES, "standard", long_ref, CHECKINS, out)
    chatty = Personal(reference="C-1", workbook="WB-1", contact="Ana, call me any time " * 10)
    with pytest.raises(BuildError, match=r"contact .* too long to print"):
        render_personalised(course, MODULES, "standard", chatty, CHECKINS, out)
    with pytest.raises(BuildError, match="modules in course order"):
        render_personalised(course, ["HC2", "WB1"], "standard", PERSONAL, CHECKINS, out)
    assert not out.exists()


def saved(font: object) -> bytes:
    """The font's bytes as fontTools saves them."""
    data = io.BytesIO()
    font.save(data)  # type: ignore[attr-defined]
    return data.getvalue()


def test_a_spaced_font_holds_no_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dyslexia edition's widened font and the fallback font are the same bytes whenever saved.

    fontTools stamps the time of saving into a font (its `head` table, written on saving)
    unless told not to, which made the dyslexia and fallback-script PDFs differ from one
    build to the next. Each is saved at two times 63 years apart: the widened font built
    each time, the Arabic font's variable instance made once (most of the cost) and saved
    twice, since the clock is read only when the `head` table is written.
    """
    from fontTools.ttLib.tables import _h_e_a_d

    from builder import fonts, fonts_fallback

    path = fonts._FILES / next(iter(fonts._WEIGHTS.values()))
    arabic = fonts_fallback._subset(fonts_fallback.ARABIC, fonts_fallback._visual("محمد"))
    built = []
    for clock in (0, 2_000_000_000):
        monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda clock=clock: clock)
        spaced = fonts._spaced(path, 0.12, 0.16, "Spaced")
        assert isinstance(spaced, io.BytesIO)
        built.append((spaced.getvalue(), saved(arabic)))
    assert built[0] == built[1]
