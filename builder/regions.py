"""Help that fits where the client lives: services and figures per region, and `[[id]]`.

`content/regions.yaml` holds, for each service and figure, an entry per region where it
exists, each with the date it was checked and the source it was checked against. Module
Markdown names them: `- [[id]]` on a list line is the service's whole entry (the line is
dropped in a region with no entry), `[[id.name]]` is its name, `[[figure-id]]` a figure's
text. `regional_course` resolves them in one pass, so the renderers see plain Markdown.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from builder.errors import BuildError, Problem
from builder.hints import did_you_mean

if TYPE_CHECKING:
    from builder.course import Course, Module

REGIONS_FILE = "regions.yaml"
STALE_AFTER = timedelta(days=365)  # `cpo content check` warns after 12 months
SERVICE_KEYS = ("name", "what", "phone", "free", "web", "checked", "source")
SERVICE_REQUIRED = ("name", "what", "checked", "source")
FIGURE_KEYS = ("text", "checked", "source")
PART_NAMES = ("name",)  # what `[[id.part]]` may ask for
PLACEHOLDER = re.compile(r"\[\[([A-Za-z0-9_-]*)(?:\.([A-Za-z0-9_-]*))?\]\]")
# A line that can be left out where an entry is missing: a list item or a table row.
DROPPABLE = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.)])\s|^\s*\|")
LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.)])\s")


class Region(StrEnum):
    """Where a client lives, which decides the help their workbook names."""

    SCOTLAND = "scotland"
    ENGLAND = "england"
    WALES = "wales"

    @property
    def label(self) -> str:
        """The region's name as people write it."""
        return self.value.title()


DEFAULT_REGION = Region.SCOTLAND  # specimens, unless `--region` says otherwise


def parse_region(text: str) -> Region:
    """A region from its name; BuildError with a hint for anything else."""
    try:
        return Region(text.strip().lower())
    except ValueError:
        hint = did_you_mean(text.strip().lower(), [r.value for r in Region])
        raise BuildError(f"no region '{text}' ({hint})") from None


@dataclass(frozen=True)
class Service:
    """A service in one region: its name, what it is for, how to reach it, when checked."""

    name: str
    what: str
    checked: date
    source: str
    phone: str = ""
    web: str = ""
    free: bool = False  # the call costs nothing

    def entry(self) -> str:
        """The help-box line: **Name**: what. Call (free on) PHONE. Go to WEB."""
        what = self.what.strip()
        text = f"**{self.name}**: {what}" + ("" if what.endswith((".", "!", "?")) else ".")
        if self.phone:
            text += f" Call {'free on ' if self.free else ''}{self.phone}."
        if self.web:
            text += f" Go to {self.web}."
        return text


@dataclass(frozen=True)
class Figure:
    """A figure (a benefit amount, a wage) in one region, and when it was checked."""

    text: str
    checked: date
    source: str


@dataclass(frozen=True)
class Checked:
    """One dated fact: which id, in which region, checked when, against what."""

    id: str
    region: Region
    checked: date
    source: str


@dataclass(frozen=True)
class RegionData:
    """Every service and figure, each with its entries by region."""

    services: Mapping[str, Mapping[Region, Service]] = field(default_factory=dict)
    figures: Mapping[str, Mapping[Region, Figure]] = field(default_factory=dict)
    digest: str = ""  # a hash of regions.yaml, for the course version

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id a module may name."""
        return (*self.services, *self.figures)

    def has(self, item_id: str, region: Region) -> bool:
        """Whether the service or figure has an entry in the region."""
        return region in self.services.get(item_id, self.figures.get(item_id, {}))

    def facts(self) -> Iterator[Checked]:
        """Every entry with its checked date and source."""
        for kind in (self.services, self.figures):
            for item_id, entries in kind.items():
                for region, entry in entries.items():
                    yield Checked(item_id, region, entry.checked, entry.source)

    def stale(self, today: date) -> tuple[Checked, ...]:
        """Entries checked more than 12 months before `today`."""
        return tuple(f for f in self.facts() if today - f.checked > STALE_AFTER)


# -- reading regions.yaml -----------------------------------------------------------------


@dataclass
class _Reader:
    path: Path
    problems: list[Problem]

    def problem(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, node.start_mark.line + 1, message, hint))

    def read(self, text: str) -> RegionData:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as err:
            line = err.problem_mark.line + 1 if err.problem_mark else None
            self.problems.append(
                Problem(self.path, line, f"the YAML is not valid: {err.problem}", "check : and -")
            )
            return RegionData()
        if not isinstance(root, yaml.MappingNode):
            self.problems.append(Problem(self.path, 1, "expected 'regions', 'services', 'figures'"))
            return RegionData()
        top = self.mapping(root, ("regions", "services", "figures"))
        if "regions" in top:
            self.check_regions(top["regions"])
        services = self.section(top.get("services"), SERVICE_KEYS, SERVICE_REQUIRED, self.service)
        figures = self.section(top.get("figures"), FIGURE_KEYS, FIGURE_KEYS, self.figure)
        for item_id in set(services) & set(figures):
            self.problems.append(
                Problem(self.path, None, f"'{item_id}' is both a service and a figure")
            )
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return RegionData(services, figures, digest)

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...] | None) -> dict[str, yaml.Node]:
        """A mapping node's values by key, reporting keys outside `allowed`."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "expected lines of 'key: value'")
            return {}
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if allowed is not None and name not in allowed:
                self.problem(key, f"unknown key '{name}'", did_you_mean(name, allowed))
                continue
            out[name] = value
        return out

    def check_regions(self, node: yaml.Node) -> None:
        names = [str(n.value) for n in node.value] if isinstance(node, yaml.SequenceNode) else []
        if sorted(names) != sorted(r.value for r in Region):
            self.problem(node, "'regions' must list " + ", ".join(r.value for r in Region))

    def section(
        self,
        node: yaml.Node | None,
        keys: tuple[str, ...],
        required: tuple[str, ...],
        make: Callable[[dict[str, str], date, str], Any],
    ) -> dict[str, dict[Region, Any]]:
        """Services or figures: id -> region -> entry."""
        out: dict[str, dict[Region, Any]] = {}
        if node is None:
            return out
        for item_key, item_node in self.mapping_items(node):
            item_id = str(item_key.value)
            if not re.fullmatch(r"[a-z][a-z0-9-]*", item_id):
                self.problem(item_key, f"'{item_id}' is not an id: use small letters and dashes")
            entries: dict[Region, Any] = {}
            regions = [r.value for r in Region]
            for region_key, entry_node in self.mapping_items(item_node):
                name = str(region_key.value)
                if name not in regions:
                    hint = did_you_mean(name, regions)
                    self.problem(region_key, f"unknown region '{name}'", hint)
                    continue
                entry = self.entry(entry_node, keys, required, make)
                if entry is not None:
                    entries[Region(name)] = entry
            out[item_id] = entries
        return out

    def mapping_items(self, node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "expected lines of 'key: value'")
            return []
        return list(node.value)

    def entry(
        self,
        node: yaml.Node,
        keys: tuple[str, ...],
        required: tuple[str, ...],
        make: Callable[[dict[str, str], date, str], Any],
    ) -> Any:
        values = self.mapping(node, keys)
        before = len(self.problems)
        for key in required:
            if key not in values:
                self.problem(node, f"'{key}' is missing", f"add a line '{key}: ...'")
        text: dict[str, str] = {}
        for key, value in values.items():
            if not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
                self.problem(value, f"'{key}' must be some text")
            else:
                text[key] = str(value.value).strip()
        checked = self.checked_date(values.get("checked"), text.get("checked", ""))
        source = text.get("source", "")
        if text.get("free", "false").lower() not in ("true", "false", "yes", "no"):
            self.problem(values["free"], "'free' must be true or false")
        if source and not source.startswith(("https://", "http://")):
            self.problem(values["source"], "'source' must be a web address (https://...)")
        if len(self.problems) > before or checked is None:
            return None
        return make(text, checked, source)

    def checked_date(self, node: yaml.Node | None, text: str) -> date | None:
        if node is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problem(node, f"'checked' must be a date like 2026-11-28, not '{text}'")
            return None

    @staticmethod
    def service(text: dict[str, str], checked: date, source: str) -> Service:
        free = text.get("free", "false").lower() in ("true", "yes")
        phone, web = text.get("phone", ""), text.get("web", "")
        return Service(text["name"], text["what"], checked, source, phone, web, free)

    @staticmethod
    def figure(text: dict[str, str], checked: date, source: str) -> Figure:
        return Figure(text["text"], checked, source)


def read_regions(root: Path, problems: list[Problem], shown: Path) -> RegionData:
    """The region data in `root/regions.yaml` (none if there is no such file)."""
    path = root / REGIONS_FILE
    if not path.is_file():
        return RegionData()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(shown, None, f"cannot read the file: {err}"))
        return RegionData()
    return _Reader(shown, problems).read(text)


# -- checking and resolving placeholders --------------------------------------------------


def check_placeholders(data: RegionData, path: Path, source: str) -> list[Problem]:
    """Every problem with the `[[...]]` in a module's text, with its file line."""
    found: list[Problem] = []
    for number, line in enumerate(source.split("\n"), start=1):
        for match in PLACEHOLDER.finditer(line):
            message, hint = _placeholder_problem(data, line, match)
            if message:
                found.append(Problem(path, number, message, hint))
    return found


def _placeholder_problem(data: RegionData, line: str, match: re.Match[str]) -> tuple[str, str]:
    item_id, part = match.group(1), match.group(2)
    if item_id not in data.ids:
        return f"unknown service or figure '{item_id}'", did_you_mean(item_id, data.ids)
    if part is not None and (item_id in data.figures or part not in PART_NAMES):
        return f"'[[{item_id}.{part}]]' is not known", f"write [[{item_id}]] or [[{item_id}.name]]"
    if item_id in data.services and part is None and not LIST_LINE.match(line):
        return (
            f"'[[{item_id}]]' (a whole entry) must be on a list line of its own",
            f"write '- [[{item_id}]]', or [[{item_id}.name]] for the name in a sentence",
        )
    missing = [r.value for r in Region if not data.has(item_id, r)]
    if missing and not DROPPABLE.match(line):
        return (
            f"'{item_id}' has no entry for {' or '.join(missing)}, and this line is not a list "
            "line or table row that can be left out there",
            "add the entry in regions.yaml, or move it to a list line",
        )
    return "", ""


class _Missing(Exception):
    """A placeholder names an entry the region does not have: leave the line out."""


def _resolve_line(data: RegionData, region: Region, line: str) -> str:
    def one(match: re.Match[str]) -> str:
        item_id, part = match.group(1), match.group(2)
        if item_id in data.figures:
            entries: Mapping[Region, Figure | Service] = data.figures[item_id]
        else:
            entries = data.services.get(item_id, {})
        entry = entries.get(region)
        if entry is None:
            raise _Missing(item_id)
        if isinstance(entry, Figure):
            return entry.text
        return entry.name if part == "name" else entry.entry()

    return PLACEHOLDER.sub(one, line)


def resolve_text(data: RegionData, region: Region, text: str) -> str:
    """Text with each `[[...]]` filled in for the region; lines naming what it lacks dropped."""
    if "[[" not in text:
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        try:
            kept.append(_resolve_line(data, region, line))
        except _Missing:
            continue  # checked: only list lines and table rows can miss an entry
    return "\n".join(kept)


def _resolve_items(data: RegionData, region: Region, items: tuple[str, ...]) -> tuple[str, ...]:
    """List items (choices, outcomes), leaving out those the region lacks."""
    return tuple(
        resolve_text(data, region, f"- {item}")[2:]
        for item in items
        if resolve_text(data, region, f"- {item}")
    )


def _resolve_rows(
    data: RegionData, region: Region, rows: tuple[tuple[str, ...], ...]
) -> tuple[tuple[str, ...], ...]:
    """Table rows, leaving out a row with any cell the region lacks."""
    kept = []
    for row in rows:
        try:
            kept.append(tuple(_resolve_line(data, region, cell) for cell in row))
        except _Missing:
            continue
    return tuple(kept)


def _resolve_block(data: RegionData, region: Region, block: Any) -> Any:
    """A block (or module) with every text field resolved for the region."""
    changes: dict[str, Any] = {}
    for f in fields(block):
        value = getattr(block, f.name)
        if f.name == "source" or not value:
            continue
        if isinstance(value, str) and "[[" in value:
            changes[f.name] = resolve_text(data, region, value)
        elif f.name == "rows":
            changes[f.name] = _resolve_rows(data, region, value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            changes[f.name] = _resolve_items(data, region, value)
    return replace(block, **changes) if changes else block


def _resolve_module(data: RegionData, region: Region, module: Module) -> Module:
    resolved: Module = _resolve_block(data, region, module)
    blocks = tuple(_resolve_block(data, region, b) for b in module.blocks)
    return replace(resolved, blocks=blocks)


def regional_course(course: Course, region: Region) -> Course:
    """The course as a client in `region` reads it; its version names the region.

    Kept for the last few courses asked about: a course is frozen, so its edition for a
    region never changes, and issuing asks for it inside its write transaction (about
    10 ms of resolving every text of every module, each workbook). Kept by the course
    object itself (the entry holds it, so its id cannot be reused while kept).
    """
    if course.region is not None:
        raise BuildError(f"the course is already resolved for {course.region.label}")
    key = (id(course), region)
    with _EDITIONS_LOCK:
        kept = _EDITIONS.get(key)
        if kept is not None and kept[0] is course:
            _EDITIONS.move_to_end(key)
            return kept[1]
    edition = _resolve_course(course, region)
    with _EDITIONS_LOCK:
        _EDITIONS[key] = (course, edition)
        while len(_EDITIONS) > KEPT_EDITIONS:
            _EDITIONS.popitem(last=False)
    return edition


KEPT_EDITIONS = 8  # a few courses (a server's one, a test's own) in each region
_EDITIONS: OrderedDict[tuple[int, Region], tuple[Course, Course]] = OrderedDict()
_EDITIONS_LOCK = threading.Lock()


def _resolve_course(course: Course, region: Region) -> Course:
    data = course.regions
    themes = tuple(
        replace(t, modules=tuple(_resolve_module(data, region, m) for m in t.modules))
        for t in course.themes
    )
    version = hashlib.sha256(f"{course.version}/{data.digest}/{region}".encode()).hexdigest()
    return replace(course, themes=themes, region=region, version=version[:16])
