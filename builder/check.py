"""`cpo content check` as a library: load the course, summarise it, measure its reading age."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from builder.course import ChooseActivity, CountsAs, Course, PlanActivity
from builder.errors import ContentError, Problem
from builder.loader import MODULES_DIR, load_course, shown_path
from builder.readability import TARGET_READING_AGE, Readability, measure
from builder.regions import Checked, Region, regional_course


@dataclass(frozen=True)
class CheckReport:
    """What the check found in a course that loaded without errors."""

    course: Course
    readability: tuple[Readability, ...]
    stale: tuple[Checked, ...] = ()  # region facts checked over 12 months ago

    @property
    def flagged(self) -> tuple[Readability, ...]:
        """Modules that read above the target reading age."""
        return tuple(r for r in self.readability if r.flagged)

    def as_json(self) -> dict[str, Any]:
        """The report as plain data for `--json`."""
        course = self.course
        return {
            "ok": not self.flagged,
            "version": course.version,
            "themes": len(course.themes),
            "modules": len(course.modules),
            "activities": sum(len(m.activities) for m in course.modules),
            "guided_minutes": course.guided_minutes,
            "target_reading_age": TARGET_READING_AGE,
            "readability": [asdict(r) | {"flagged": r.flagged} for r in self.readability],
            "ete_modules": [m.id for m in course.modules if m.counts(CountsAs.ETE)],
            "stale": [
                {"id": c.id, "region": c.region, "checked": str(c.checked), "source": c.source}
                for c in self.stale
            ],
            "errors": [],
        }


def check_course(root: Path, *, strict: bool = False, today: date | None = None) -> CheckReport:
    """Load and measure the course; with `strict`, a module above reading age 9 is an error."""
    course = load_course(root)
    _check_regions(root, course)
    stale = course.regions.stale(today or date.today())
    report = CheckReport(course, _readability(course), stale)
    if strict and report.flagged:
        raise ContentError(
            [
                Problem(
                    shown_path(root / MODULES_DIR / f"{r.module_id}.md"),
                    None,
                    f"reading age {r.reading_age} is above {TARGET_READING_AGE:g}",
                    "use shorter sentences and shorter words",
                )
                for r in report.flagged
            ]
        )
    return report


def _readability(course: Course) -> tuple[Readability, ...]:
    """Each module's reading age as printed: the hardest of its regional editions."""
    editions = [regional_course(course, region).modules for region in Region]
    return tuple(
        max((measure(e[i]) for e in editions), key=lambda r: r.reading_age)
        for i in range(len(course.modules))
    )


def _check_regions(root: Path, course: Course) -> None:
    """Report an activity that loses its choices or rows in some region."""
    problems = []
    for region in Region:
        for module in regional_course(course, region).modules:
            path = shown_path(root / MODULES_DIR / f"{module.id}.md")
            for a in module.activities:
                empty = (isinstance(a, ChooseActivity) and len(a.options) < 2) or (
                    isinstance(a, PlanActivity) and not a.rows
                )
                if empty:
                    problems.append(
                        Problem(path, a.line, f"in {region.label}, {a.id} has nothing left to fill")
                    )
    if problems:
        raise ContentError(problems)
