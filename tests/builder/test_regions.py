"""Help by region: regions.yaml, [[id]] placeholders, counts_as, and what staff see."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import ContentError, load_course
from builder.check import check_course
from builder.course import CountsAs, Course
from builder.regions import (
    KEPT_EDITIONS,
    Region,
    RegionData,
    Service,
    regional_course,
    resolve_text,
)
from cpo.cli import cli
from tests.conftest import BROKEN, GOOD_COURSE, shipped_course
from tests.pdftools import page_texts

CHECKED = date(2026, 11, 28)
REGIONS = """\
regions: [scotland, england, wales]
services:
  careers:
    scotland: {name: My World of Work, what: careers help, phone: 0800 917 8000,
               checked: 2026-11-28, source: "https://example.org/a"}
    england: {name: National Careers Service, what: careers help, phone: 0800 100 900,
              free: true, checked: 2026-11-28, source: "https://example.org/b"}
  welsh-only:
    wales: {name: Careers Wales, what: careers help, web: careerswales.gov.wales,
            checked: 2025-01-01, source: "https://example.org/c"}
figures:
  wage:
    scotland: {text: "£12.71 an hour", checked: 2026-11-28, source: "https://example.org/d"}
    england: {text: "£12.71 an hour", checked: 2026-11-28, source: "https://example.org/d"}
    wales: {text: "£12.71 an hour", checked: 2026-11-28, source: "https://example.org/d"}
"""


def course_with(copy_course: Callable[[Path], Path], body: str, regions: str = REGIONS) -> Path:
    """The good course with regions.yaml and `body` added to module BB1."""
    root = copy_course(GOOD_COURSE)
    (root / "regions.yaml").write_text(regions, encoding="utf-8")
    module = root / "modules" / "BB1.md"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace("::: help\n", f"::: help\n{body}\n", 1), encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_course(root)
    return [str(p) for p in caught.value.problems]


def help_text(root: Path, region: Region) -> str:
    module = regional_course(load_course(root), region).module("BB1")
    return next(b.markdown for b in module.blocks if type(b).__name__ == "HelpPanel")


def line_of(root: Path, text: str) -> int:
    lines = (root / "modules" / "BB1.md").read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def test_each_region_gets_its_own_entry_and_a_missing_one_drops_the_line(
    copy_course: Callable[[Path], Path],
) -> None:
    root = course_with(copy_course, "- [[careers]]\n- [[welsh-only]]\n- Pay: [[wage]]")
    scotland = help_text(root, Region.SCOTLAND)
    assert "- **My World of Work**: careers help. Call 0800 917 8000." in scotland
    assert "Careers Wales" not in scotland and "[[" not in scotland
    england = help_text(root, Region.ENGLAND)
    assert "- **National Careers Service**: careers help. Call free on 0800 100 900." in england
    wales = help_text(root, Region.WALES)
    assert "- **Careers Wales**: careers help. Go to careerswales.gov.wales." in wales
    assert "careers help. Call" not in wales  # no careers entry for Wales: line left out
    assert all("- Pay: £12.71 an hour" in t for t in (scotland, england, wales))


def test_region_changes_the_version_and_cannot_be_applied_twice(
    copy_course: Callable[[Path], Path],
) -> None:
    course = load_course(course_with(copy_course, "- [[careers]]"))
    versions = {regional_course(course, r).version for r in Region}
    assert len(versions) == 3 and course.version not in versions
    assert (
        regional_course(course, Region.WALES).version
        == regional_course(course, Region.WALES).version
    )
    with pytest.raises(Exception, match="already resolved"):
        regional_course(regional_course(course, Region.WALES), Region.WALES)


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        ("- [[carers]]", "unknown service or figure 'carers'", "did you mean 'careers'?"),
        ("Talk to [[careers]] today.", "must be on a list line of its own", "[[careers.name]]"),
        ("Ask [[welsh-only.name]].", "'welsh-only' has no entry for scotland or england", ""),
        ("- [[wage.name]]", "'[[wage.name]]' is not known", "write [[wage]]"),
        ("- [[careers.phone]]", "'[[careers.phone]]' is not known", ""),
    ],
)
def test_a_bad_placeholder_is_a_content_error_with_its_line(
    copy_course: Callable[[Path], Path], body: str, message: str, hint: str
) -> None:
    root = course_with(copy_course, body)
    found = [p for p in problems(root) if "BB1.md" in p]  # (its theme is then empty too)
    assert len(found) == 1, found
    assert found[0].startswith(f"course/modules/BB1.md:{line_of(root, body)}: ")
    assert message in found[0] and hint in found[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("checked: 2026-11-28, source", "checked: 28/11/2026, source"), "must be a date like"),
        (('source: "https://example.org/a"', "source: my notes"), "must be a web address"),
        (("scotland: {name: My", "scotlnd: {name: My"), "did you mean 'scotland'?"),
        (("what: careers help, phone: 0800 917", "phone: 0800 917"), "'what' is missing"),
        (("free: true", "free: maybe"), "'free' must be true or false"),
    ],
)
def test_bad_region_data_is_reported_with_its_line(
    copy_course: Callable[[Path], Path], change: tuple[str, str], message: str
) -> None:
    root = course_with(copy_course, "- [[wage]]", REGIONS.replace(*change, 1))
    found = problems(root)
    assert any(message in p and p.startswith("course/regions.yaml:") for p in found), found


def test_the_check_warns_about_facts_checked_over_a_year_ago(
    copy_course: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = course_with(copy_course, "- [[welsh-only]]")
    stale = check_course(root, today=date(2026, 1, 2)).stale
    assert [(s.id, s.region, s.checked) for s in stale] == [
        ("welsh-only", Region.WALES, date(2025, 1, 1))
    ]
    assert not check_course(root, today=date(2025, 12, 31)).stale
    assert len(check_course(root, today=CHECKED + timedelta(days=366)).stale) == 6
    monkeypatch.chdir(root.parent)
    result = CliRunner().invoke(cli, ["content", "check", str(root)])
    assert result.exit_code == 0
    assert (
        "Warning: regions.yaml: 'welsh-only' for Wales was checked on 2025-01-01" in result.stderr
    )


def test_counts_as_is_required_and_checked(copy_course: Callable[[Path], Path]) -> None:
    root = copy_course(GOOD_COURSE)
    shutil.copy(BROKEN / "unknown-counts-as.md", root / "modules" / "AA2.md")
    assert problems(root) == [
        "course/modules/AA2.md:9: unknown kind 'eet' in counts_as (did you mean 'ete'?)"
    ]
    module = root / "modules" / "AA2.md"
    module.write_text(module.read_text().replace("counts_as: [other-activity, eet]\n", ""))
    assert problems(root) == [
        "course/modules/AA2.md:2: 'counts_as' is missing (add a line 'counts_as: ...')"
    ]


def test_the_shipped_course_tags_its_ete_modules_and_dates_every_fact() -> None:
    course = shipped_course()
    ete = {m.id for m in course.modules if m.counts(CountsAs.ETE)}
    assert {"WM1", "WM2", "WM3"} <= ete
    assert all(m.counts(CountsAs.OTHER_ACTIVITY) for m in course.modules)
    for name in ("careers", "disclosure", "citizens-advice"):
        assert set(course.regions.services[name]) == set(Region)
    assert set(course.regions.figures["national-minimum-wage"]) == set(Region)
    assert all(f.source.startswith("http") for f in course.regions.facts())


def test_staff_see_what_each_module_counts_as_in_a_specimen(tmp_path: Path) -> None:
    from builder.pdf import render_specimen

    course = regional_course(shipped_course(), Region.ENGLAND)
    path, _ = render_specimen(course, "standard", ["WB1", "WM1"], tmp_path)
    contents = next(p for p in page_texts(path) if "What is in this workbook" in p)
    lines = [line.strip() for line in contents.split("\n") if line.strip()]
    wb1, wm1 = (
        lines.index("WB1 Looking after your mind (about 2 hours)"),
        lines.index("WM1 Your skills and strengths (about 2 hours)"),
    )
    assert lines[wb1 + 1] == "Counts as: Other activity"
    assert lines[wm1 + 1] == "Counts as: Other activity; ETE (education, training and employment)"


# -- properties -------------------------------------------------------------------------

DATA = RegionData(
    services={
        "everywhere": {r: Service("Name " + r, "what", CHECKED, "https://x") for r in Region},
        "only-wales": {Region.WALES: Service("Welsh", "what", CHECKED, "https://x")},
    }
)
PLAIN = st.text(alphabet=st.characters(blacklist_characters="[]\n"), min_size=1, max_size=20)
LINE = st.one_of(
    PLAIN,
    st.builds(lambda a, b: f"- {a}[[everywhere.name]]{b}", PLAIN, PLAIN),
    st.builds(lambda a: f"- [[only-wales]]{a}", PLAIN),
    st.builds(lambda a: f"| [[only-wales.name]] | {a} |", PLAIN),
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(LINE, max_size=8), region=st.sampled_from(list(Region)))
def test_resolving_keeps_plain_lines_and_drops_only_what_the_region_lacks(
    lines: list[str], region: Region
) -> None:
    text = resolve_text(DATA, region, "\n".join(lines))
    out = text.split("\n") if text else []
    plain = [line for line in lines if "[[" not in line]
    assert [line for line in out if line in plain] == plain  # in order, untouched
    assert not any("[[" in line for line in out)
    dropped = len(lines) - len(out)
    lacking = sum("only-wales" in line for line in lines) if region != Region.WALES else 0
    assert dropped == lacking


def test_an_offline_bundle_names_the_help_of_its_region(tmp_path: Path) -> None:
    from builder.html import render_specimen_bundle

    course = regional_course(shipped_course(), Region.WALES)
    folder, _ = render_specimen_bundle(course, ["WB1", "SW7"], tmp_path / "html")
    page = (folder / next(p.name for p in folder.glob("*SW7*.html"))).read_text(encoding="utf-8")
    assert "Careers Wales" in page and "[[" not in page


def test_each_course_gets_its_own_edition_however_many_are_kept(
    copy_course: Callable[[Path], Path],
) -> None:
    """An edition is kept for the course object it was made from, never for a look-alike.

    Issuing asks for the same course's edition for every workbook, so it is kept; a course
    read again, or changed with `replace` (same version), must get an edition of its own.
    """
    course = load_course(course_with(copy_course, "- [[careers]]"))
    first = regional_course(course, Region.WALES)
    assert regional_course(course, Region.WALES) is first  # kept
    assert regional_course(course, Region.ENGLAND).version != first.version

    module = course.module("BB1")
    panel = next(b for b in module.blocks if type(b).__name__ == "HelpPanel")
    changed_panel = replace(panel, markdown=panel.markdown + "\n- [[welsh-only]]")
    changed_module = replace(
        module, blocks=tuple(changed_panel if b is panel else b for b in module.blocks)
    )
    changed = replace(
        course,
        themes=tuple(
            replace(t, modules=tuple(changed_module if m is module else m for m in t.modules))
            for t in course.themes
        ),
    )
    assert changed.version == course.version  # a look-alike by its version

    def welsh_help(c: Course) -> bool:
        edition = regional_course(c, Region.WALES).module("BB1")
        return any(
            "Careers Wales" in b.markdown for b in edition.blocks if type(b).__name__ == "HelpPanel"
        )

    assert (welsh_help(course), welsh_help(changed)) == (False, True)
    for _ in range(2 * KEPT_EDITIONS):  # other courses asked about in between
        regional_course(load_course(GOOD_COURSE), Region.WALES)
    assert (welsh_help(course), welsh_help(changed)) == (False, True)
