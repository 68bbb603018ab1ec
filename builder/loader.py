"""Load and validate the whole course, reporting every problem at once."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from builder.blocks import BodyParser
from builder.course import (
    ICONS,
    CountsAs,
    Course,
    Example,
    HelpPanel,
    Module,
    ReflectActivity,
    Theme,
)
from builder.course_cache import COURSE_FILE as COURSE_FILE
from builder.course_cache import default_content_root as default_content_root
from builder.errors import ContentError, Problem
from builder.hints import did_you_mean
from builder.regions import REGIONS_FILE, RegionData, check_placeholders, read_regions

MODULES_DIR = "modules"
COURSE_KEYS = ("title", "subtitle", "language", "themes")
THEME_KEYS = ("id", "code", "title", "purpose", "icon")
MODULE_KEYS = ("id", "title", "theme", "minutes", "outcomes", "counts_as")
MIN_ACTIVITIES, MAX_ACTIVITIES = 6, 10


def load_course(root: Path) -> Course:
    """Load the course in `root`; raise ContentError listing every problem found."""
    loader = _Loader(root)
    course = loader.load()
    if loader.problems or course is None:
        raise ContentError(loader.problems)
    return course


def shown_path(path: Path) -> Path:
    """The path as a user would type it: relative to the working folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


@dataclass
class _Mapping:
    """A YAML mapping with the line of each key, for error messages."""

    values: dict[str, Any]
    lines: dict[str, int]
    line: int
    node: yaml.MappingNode

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


@dataclass
class _Loader:
    root: Path
    problems: list[Problem] = field(default_factory=list)
    regions: RegionData = field(default_factory=RegionData)

    def problem(self, path: Path, line: int | None, message: str, hint: str = "") -> None:
        self.problems.append(Problem(shown_path(path), line, message, hint))

    def load(self) -> Course | None:
        if not self.root.is_dir():
            self.problem(
                self.root, None, "no course folder here", "give the folder with course.yaml"
            )
            return None
        course_path = self.root / COURSE_FILE
        course = self.read_course(course_path)
        self.regions = read_regions(self.root, self.problems, shown_path(self.root / REGIONS_FILE))
        modules = self.read_modules(course["themes"] if course else [])
        if course is None:
            return None
        return self.assemble(course, modules)

    # -- reading files ---------------------------------------------------------------------

    def read_text(self, path: Path) -> str | None:
        """The file's text, or None (with a problem) if it is missing, empty or not UTF-8."""
        try:
            data = path.read_bytes()
        except OSError as err:
            self.problem(path, None, f"cannot read the file: {err.strerror}")
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            self.problem(
                path, line, "the file is not UTF-8 text", "save it as UTF-8 in your editor"
            )
            return None
        if not text.strip():
            self.problem(path, None, "the file is empty")
            return None
        return text.removeprefix("\ufeff").replace("\r\n", "\n")

    def read_yaml(self, path: Path, text: str, first_line: int) -> _Mapping | None:
        """Parse a YAML mapping; `first_line` is the file line where `text` starts."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            values = yaml.safe_load(text)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            line = first_line + mark.line if mark else None
            self.problem(path, line, f"the YAML is not valid: {err.problem}", "check the : and -")
            return None
        if not isinstance(values, dict) or not isinstance(node, yaml.MappingNode):
            self.problem(path, first_line, "expected lines of 'key: value'")
            return None
        return _Mapping(values, _key_lines(node, first_line), first_line, node)

    def check_keys(self, path: Path, mapping: _Mapping, allowed: tuple[str, ...]) -> None:
        """Report unknown and missing keys."""
        for key in mapping.values:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.problem(path, mapping.line_of(key), f"unknown key '{key}'", hint)
        for key in allowed:
            if key not in mapping.values:
                self.problem(path, mapping.line, f"'{key}' is missing", f"add a line '{key}: ...'")

    def text_value(self, path: Path, mapping: _Mapping, key: str) -> str:
        """A key's value, which must be a short piece of text."""
        value = mapping.values.get(key)
        if key in mapping.values and (not isinstance(value, str) or not value.strip()):
            self.problem(path, mapping.line_of(key), f"'{key}' must be some text")
            return ""
        return str(value or "").strip()

    # -- the course file -------------------------------------------------------------------

    def read_course(self, path: Path) -> dict[str, Any] | None:
        """The course file's values, with its themes as a list of Theme fields."""
        text = self.read_text(path)
        if text is None:
            return None
        mapping = self.read_yaml(path, text, 1)
        if mapping is None:
            return None
        self.check_keys(path, mapping, COURSE_KEYS)
        course: dict[str, Any] = {k: self.text_value(path, mapping, k) for k in COURSE_KEYS[:3]}
        course["themes"] = self.read_themes(path, mapping)
        return course

    def read_themes(self, path: Path, mapping: _Mapping) -> list[dict[str, str]]:
        raw = mapping.values.get("themes")
        if not isinstance(raw, list) or not raw:
            if "themes" in mapping.values:
                self.problem(path, mapping.line_of("themes"), "'themes' must be a list of themes")
            return []
        theme_nodes = next(v for k, v in mapping.node.value if k.value == "themes").value
        themes: list[dict[str, str]] = []
        for item, item_node in zip(raw, theme_nodes, strict=True):
            line = item_node.start_mark.line + 1
            if not isinstance(item, dict):
                self.problem(path, line, "each theme needs id, code, title, purpose and icon")
                continue
            theme = _Mapping(item, _key_lines(item_node, 1), line, item_node)
            self.check_keys(path, theme, THEME_KEYS)
            fields = {k: self.text_value(path, theme, k) for k in THEME_KEYS}
            self.check_theme(path, theme, fields, themes)
            themes.append(fields)
        return themes

    def check_theme(
        self, path: Path, theme: _Mapping, fields: dict[str, str], earlier: list[dict[str, str]]
    ) -> None:
        if fields["id"] and not re.fullmatch(r"[a-z][a-z0-9-]*", fields["id"]):
            self.problem(path, theme.line_of("id"), "a theme id uses small letters and dashes")
        if fields["code"] and not re.fullmatch(r"[A-Z]{2,3}", fields["code"]):
            self.problem(path, theme.line_of("code"), "a theme code is 2 or 3 capital letters")
        if fields["icon"] and fields["icon"] not in ICONS:
            hint = did_you_mean(fields["icon"], ICONS)
            self.problem(path, theme.line_of("icon"), f"unknown icon '{fields['icon']}'", hint)
        for key in ("id", "code"):
            if fields[key] and any(t[key] == fields[key] for t in earlier):
                self.problem(path, theme.line_of(key), f"two themes have the {key} '{fields[key]}'")

    # -- module files ----------------------------------------------------------------------

    def read_modules(self, themes: list[dict[str, str]]) -> list[Module]:
        folder = self.root / MODULES_DIR
        if not folder.is_dir():
            self.problem(folder, None, "the modules folder is missing", "create content/modules/")
            return []
        modules = []
        for path in sorted(folder.glob("*.md")):
            module = self.read_module(path, themes)
            if module is not None:
                modules.append(module)
        return modules

    def read_module(self, path: Path, themes: list[dict[str, str]]) -> Module | None:
        text = self.read_text(path)
        if text is None:
            return None
        lines = text.split("\n")
        if lines[0].strip() != "---":
            self.problem(path, 1, "no front matter", "start the file with a line '---'")
            return None
        end = next((n for n in range(1, len(lines)) if lines[n].strip() == "---"), None)
        if end is None:
            self.problem(path, 1, "the front matter is never closed", "add a line '---' after it")
            return None
        before = len(self.problems)
        meta = self.read_yaml(path, "\n".join(lines[1:end]), 2)
        if meta is None:
            return None
        self.check_keys(path, meta, MODULE_KEYS)
        fields = self.module_fields(path, meta, themes)
        parser = BodyParser(shown_path(path), fields["id"], end + 2, self.problems)
        blocks = parser.parse("\n".join(lines[end + 1 :]))
        self.problems += check_placeholders(self.regions, shown_path(path), text)
        if len(self.problems) > before:
            return None
        module = Module(**fields, blocks=blocks, source=text)
        self.check_module(path, module)
        return module

    def module_fields(
        self, path: Path, meta: _Mapping, themes: list[dict[str, str]]
    ) -> dict[str, Any]:
        module_id = self.text_value(path, meta, "id")
        theme_id = self.text_value(path, meta, "theme")
        if module_id and not re.fullmatch(r"[A-Z]{2,3}[0-9]{1,2}", module_id):
            self.problem(path, meta.line_of("id"), f"module id '{module_id}' is not like 'WB1'")
        elif module_id and path.stem != module_id:
            self.problem(path, meta.line_of("id"), f"name the file {module_id}.md, after its id")
        theme = next((t for t in themes if t["id"] == theme_id), None)
        if theme_id and themes and theme is None:
            hint = did_you_mean(theme_id, [t["id"] for t in themes])
            self.problem(path, meta.line_of("theme"), f"unknown theme '{theme_id}'", hint)
        if theme and module_id and not module_id.startswith(theme["code"]):
            self.problem(
                path,
                meta.line_of("id"),
                f"module id '{module_id}' should start with its theme's code '{theme['code']}'",
            )
        minutes = meta.values.get("minutes")
        if "minutes" in meta.values and (
            not isinstance(minutes, int) or isinstance(minutes, bool) or not 30 <= minutes <= 240
        ):
            self.problem(path, meta.line_of("minutes"), "'minutes' must be a number from 30 to 240")
        return {
            "id": module_id,
            "title": self.text_value(path, meta, "title"),
            "theme": theme_id,
            "minutes": minutes if isinstance(minutes, int) else 0,
            "outcomes": self.outcomes(path, meta),
            "counts_as": self.counts_as(path, meta),
        }

    def counts_as(self, path: Path, meta: _Mapping) -> frozenset[CountsAs]:
        """The kinds of activity the module counts as: a list from a closed vocabulary."""
        raw = meta.values.get("counts_as")
        if "counts_as" not in meta.values:
            return frozenset()
        kinds = [k.value for k in CountsAs]
        line = meta.line_of("counts_as")
        if not isinstance(raw, list) or not raw or not all(isinstance(k, str) for k in raw):
            hint = "use one or more of: " + ", ".join(kinds)
            self.problem(path, line, "'counts_as' must be a list like [other-activity, ete]", hint)
            return frozenset()
        for kind in raw:
            if kind not in kinds:
                hint = did_you_mean(kind, kinds)
                self.problem(path, line, f"unknown kind '{kind}' in counts_as", hint)
        if len(set(raw)) != len(raw):
            self.problem(path, line, "'counts_as' names a kind twice")
        return frozenset(CountsAs(k) for k in raw if k in kinds)

    def outcomes(self, path: Path, meta: _Mapping) -> tuple[str, ...]:
        raw = meta.values.get("outcomes")
        if "outcomes" not in meta.values:
            return ()
        if (
            not isinstance(raw, list)
            or not 2 <= len(raw) <= 4
            or not all(isinstance(o, str) and o.strip() for o in raw)
        ):
            self.problem(
                path, meta.line_of("outcomes"), "'outcomes' must be a list of 2 to 4 sentences"
            )
            return ()
        return tuple(o.strip() for o in raw)

    def check_module(self, path: Path, module: Module) -> None:
        """Report a module that lacks what every module must have."""
        where = shown_path(path)
        activities = module.activities
        if not MIN_ACTIVITIES <= len(activities) <= MAX_ACTIVITIES:
            self.problems.append(
                Problem(
                    where,
                    None,
                    f"the module has {len(activities)} activities",
                    f"a module has {MIN_ACTIVITIES} to {MAX_ACTIVITIES}",
                )
            )
        if activities and not isinstance(activities[-1], ReflectActivity):
            self.problems.append(
                Problem(where, activities[-1].line, "the last activity must be 'type: reflect'")
            )
        if not module.required_activities and activities:
            self.problems.append(Problem(where, None, "no activity is required for credit"))
        helps = [b for b in module.blocks if isinstance(b, HelpPanel)]
        if len(helps) != 1:
            hint = "add a '::: help' box" if not helps else "keep one help box"
            self.problems.append(
                Problem(where, None, f"the module has {len(helps)} help boxes", hint)
            )
        if not any(isinstance(b, Example) for b in module.blocks):
            self.problems.append(
                Problem(where, None, "the module has no worked example", "add a '::: example' box")
            )

    # -- the whole course ------------------------------------------------------------------

    def assemble(self, course: dict[str, Any], modules: list[Module]) -> Course:
        self.check_unique(modules)
        themes = []
        for fields in course["themes"]:
            own = sorted(
                (m for m in modules if m.theme == fields["id"]), key=lambda m: _number(m.id)
            )
            if not own and fields["id"]:
                self.problem(
                    self.root / COURSE_FILE,
                    None,
                    f"the theme '{fields['id']}' has no modules",
                    "add a module with this theme, or remove the theme",
                )
            themes.append(Theme(**fields, modules=tuple(own)))
        return Course(
            title=course["title"],
            subtitle=course["subtitle"],
            language=course["language"],
            themes=tuple(themes),
            version=self.version_hash(),
            regions=self.regions,
        )

    def check_unique(self, modules: list[Module]) -> None:
        first_use: dict[str, str] = {}
        for module in modules:
            path = self.root / MODULES_DIR / f"{module.id}.md"
            for item_id, line in [(module.id, None), *((a.id, a.line) for a in module.activities)]:
                if item_id in first_use:
                    self.problem(
                        path,
                        line,
                        f"the id '{item_id}' is used twice",
                        f"first used at {first_use[item_id]}; give this one a new number",
                    )
                else:
                    first_use[item_id] = f"{shown_path(path)}:{line or 1}"

    def version_hash(self) -> str:
        """A short hash of every content file, so any change to the text changes it."""
        digest = hashlib.sha256()
        files = [self.root / COURSE_FILE, *sorted((self.root / MODULES_DIR).glob("*.md"))]
        if (self.root / REGIONS_FILE).is_file():
            files.append(self.root / REGIONS_FILE)
        for path in files:
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()[:16]


def _key_lines(node: yaml.Node, first_line: int) -> dict[str, int]:
    """The file line of each key of a YAML mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): first_line + k.start_mark.line for k, _ in node.value}


def _number(module_id: str) -> int:
    return int(re.sub(r"\D", "", module_id) or 0)
