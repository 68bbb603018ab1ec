"""Split a module's Markdown body into reading text, examples, help panels and activities."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from markdown_it.token import Token

from builder.course import (
    ACTIVITY_TYPES,
    Activity,
    Block,
    ChooseActivity,
    Diagram,
    Example,
    HelpPanel,
    ListActivity,
    PlanActivity,
    Prose,
    ReflectActivity,
    ScaleActivity,
    WriteActivity,
)
from builder.diagrams import DIAGRAMS, split_items
from builder.errors import Problem
from builder.hints import did_you_mean
from builder.markdown import BOX_NAMES, markdown

COMMON_KEYS = ("id", "type", "title", "required")
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "write": ("lines",),
    "reflect": ("lines",),
    "choose": ("pick",),
    "scale": ("from", "to", "low", "high"),
    "list": ("items",),
    "plan": ("rows",),
}
ALL_KEYS = frozenset(COMMON_KEYS).union(*TYPE_KEYS.values())
RAW_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
KINDS = ", ".join(DIAGRAMS)
SETTING = re.compile(r"^\s*([A-Za-z_-]+)\s*:\s*(.*?)\s*$")


class CommonFields(TypedDict):
    """The fields every activity has."""

    id: str
    title: str
    required: bool
    prompt: str
    line: int


@dataclass
class BodyParser:
    """Parses one module body; problems are appended to `problems`, never raised."""

    path: Path
    module_id: str
    first_line: int  # file line number of the body's first line
    problems: list[Problem]

    def problem(self, line: int | None, message: str, hint: str = "") -> None:
        """Record a problem at a body line (0-based), reported as a file line."""
        file_line = None if line is None else line + self.first_line
        self.problems.append(Problem(self.path, file_line, message, hint))

    def parse(self, body: str) -> tuple[Block, ...]:
        """The module's blocks, in reading order."""
        self.lines = body.split("\n")
        tokens = markdown().parse(body)
        self.check_style(tokens)
        blocks: list[Block] = []
        prose_start = 0
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.level == 0 and token.type.startswith("container_"):
                close = self.matching_close(tokens, i)
                start, end = token.map or (0, 0)
                self.add_prose(blocks, prose_start, start)
                closed = tokens[close].markup == ":::"
                if not closed:
                    name = token.info.split()[0]
                    self.problem(
                        start,
                        f"the '::: {name}' box is never closed",
                        "add a line with only ':::' where the box ends",
                    )
                # The box's map ends at its closing ':::' line (or at the end of the body).
                block = self.box(token, tokens[i + 1 : close], start, end)
                if block is not None:
                    blocks.append(block)
                prose_start = end + 1 if closed else end
                i = close + 1
                continue
            if token.level == 0 and token.type == "paragraph_open":
                self.check_stray_box(tokens[i + 1], token.map)
            i += 1
        self.add_prose(blocks, prose_start, len(self.lines))
        self.check_diagram_links(blocks)
        return tuple(blocks)

    def matching_close(self, tokens: list[Token], start: int) -> int:
        """Index of the token that closes the box opened at `start`."""
        closing = tokens[start].type.replace("_open", "_close")
        for j in range(start + 1, len(tokens)):
            if tokens[j].type == closing and tokens[j].level == tokens[start].level:
                return j
        return len(tokens) - 1

    def text(self, start: int, end: int) -> str:
        """Body lines [start, end) as one string, trimmed."""
        return "\n".join(self.lines[start:end]).strip()

    def add_prose(self, blocks: list[Block], start: int, end: int) -> None:
        """Add the reading text between two boxes, if there is any."""
        text = self.text(start, end)
        if text:
            offset = next(n for n in range(start, end) if self.lines[n].strip())
            blocks.append(Prose(markdown=text, line=offset + self.first_line))

    def check_stray_box(self, inline: Token, where: list[int] | None) -> None:
        """Report a ':::' line that did not open or close a known box."""
        start = where[0] if where else None
        for n, line in enumerate(inline.content.split("\n")):
            match = re.match(r"^:::\s*(\S*)", line)
            if not match:
                continue
            line_no = None if start is None else start + n
            name = match.group(1)
            if not name:
                self.problem(line_no, "a ':::' line closes a box that was never opened")
            else:
                hint = did_you_mean(name, BOX_NAMES)
                self.problem(line_no, f"unknown box '::: {name}'", hint)

    def check_style(self, tokens: list[Token]) -> None:
        """Report what makes print hard to read: italics, raw HTML, wrong heading levels."""
        for token in tokens:
            where = token.map[0] if token.map else None
            if token.type == "heading_open" and token.tag not in ("h2", "h3"):
                self.problem(where, f"a level {token.tag[1]} heading", "use ## or ### only")
            if token.type != "inline" or not token.children:
                continue
            for child in token.children:
                if child.type == "em_open":
                    self.problem(where, "italics are hard to read", "use **bold** for stress")
                if child.type == "text" and RAW_HTML.search(child.content):
                    self.problem(where, "raw HTML is not allowed", "write plain Markdown")

    def box(self, token: Token, inner: list[Token], start: int, end: int) -> Block | None:
        """The block a box makes, or None when it has problems."""
        name = token.info.split()[0]
        title = token.info.strip()[len(name) :].strip()
        text = self.text(start + 1, end)
        line = start + self.first_line
        if name == "example":
            if not title:
                self.problem(start, "an example needs a title", "write '::: example Sam's week'")
            if not text:
                self.problem(start, "the example is empty")
            return Example(title=title, markdown=text, line=line)
        if name == "diagram":
            return self.diagram(title, start, end)
        if name == "help":
            if not text:
                self.problem(start, "the help box is empty", "list services and how to reach them")
            return HelpPanel(markdown=text, line=line)
        return self.activity(inner, start, end)

    def settings(self, start: int, end: int) -> tuple[dict[str, tuple[str, int]], int]:
        """The `key: value` lines after an activity's opening line, and where the task starts."""
        found: dict[str, tuple[str, int]] = {}
        n = start + 1
        while n < end and self.lines[n].strip():
            match = SETTING.match(self.lines[n])
            if not match:
                self.problem(
                    n,
                    f"expected a setting like 'type: write', found '{self.lines[n].strip()}'",
                    "settings come first, then a blank line, then the task",
                )
            else:
                key, value = match.group(1), match.group(2)
                if key in found:
                    self.problem(n, f"the setting '{key}' is given twice")
                found[key] = (value, n)
            n += 1
        return found, n

    def activity(self, inner: list[Token], start: int, end: int) -> Activity | None:
        """Parse one activity box."""
        settings, body_start = self.settings(start, end)
        before = len(self.problems)
        kind = self.activity_type(settings, start)
        for key, (_, n) in settings.items():
            allowed = COMMON_KEYS + TYPE_KEYS.get(kind or "", ())
            if key in allowed:
                continue
            if kind and key in ALL_KEYS:
                users = [t for t, keys in TYPE_KEYS.items() if key in keys]
                hint = f"'{key}' is for {' and '.join(users)} activities"
            else:
                hint = did_you_mean(key, allowed if kind else ALL_KEYS)
            self.problem(n, f"unknown setting '{key}'", hint)
        activity_id = self.activity_id(settings, start)
        title = self.required_text(settings, "title", start)
        required = self.choice(settings, "required", {"yes": True, "no": False}, True)
        trailing = self.trailing_structure(inner, kind)
        prompt_end = trailing[0] if trailing else end
        prompt = self.text(body_start, prompt_end)
        if not prompt:
            self.problem(
                start,
                "the activity has no task",
                "after the settings, leave a blank line and say what to do",
            )
        if kind is None or len(self.problems) > before:
            return None
        common: CommonFields = {
            "id": activity_id,
            "title": title,
            "required": required,
            "prompt": prompt,
            "line": start + self.first_line,
        }
        make: dict[str, Callable[[], Activity | None]] = {
            "write": lambda: WriteActivity(
                **common, lines=self.number(settings, "lines", 1, 30, 5)
            ),
            "reflect": lambda: ReflectActivity(
                **common, lines=self.number(settings, "lines", 1, 30, 8)
            ),
            "list": lambda: ListActivity(**common, items=self.number(settings, "items", 2, 12, 5)),
            "choose": lambda: self.choose(common, settings, trailing, start),
            "scale": lambda: self.scale(common, settings, trailing),
            "plan": lambda: self.plan(common, settings, trailing, start),
        }
        activity = make[kind]()
        return activity if len(self.problems) == before else None

    def activity_type(self, settings: dict[str, tuple[str, int]], start: int) -> str | None:
        """The activity's type, or None (with a problem) when it is missing or unknown."""
        if "type" not in settings:
            self.problem(start, "the activity has no 'type'", "add e.g. 'type: write'")
            return None
        kind, n = settings["type"]
        if kind not in ACTIVITY_TYPES:
            self.problem(n, f"unknown activity type '{kind}'", did_you_mean(kind, ACTIVITY_TYPES))
            return None
        return kind

    def activity_id(self, settings: dict[str, tuple[str, int]], start: int) -> str:
        """The activity's id, checked against the module's."""
        value = self.required_text(settings, "id", start)
        n = settings["id"][1] if "id" in settings else start
        if value and not re.fullmatch(rf"{re.escape(self.module_id)}-[0-9]{{1,2}}", value):
            self.problem(
                n,
                f"activity id '{value}' does not match the module",
                f"use '{self.module_id}-' and a number, e.g. '{self.module_id}-1'",
            )
        return value

    def required_text(self, settings: dict[str, tuple[str, int]], key: str, start: int) -> str:
        """A setting that must be present and not empty."""
        value = settings.get(key, ("", start))[0]
        if not value:
            self.problem(start, f"the activity has no '{key}'", f"add a line '{key}: ...'")
        return value

    def choice(
        self,
        settings: dict[str, tuple[str, int]],
        key: str,
        options: dict[str, bool],
        default: bool,
    ) -> bool:
        """A yes/no style setting."""
        if key not in settings:
            return default
        value, n = settings[key]
        if value.lower() not in options:
            self.problem(n, f"'{key}' must be one of: {', '.join(options)}, not '{value}'")
            return default
        return options[value.lower()]

    def number(
        self, settings: dict[str, tuple[str, int]], key: str, low: int, high: int, default: int
    ) -> int:
        """A whole-number setting within limits."""
        if key not in settings:
            return default
        value, n = settings[key]
        if not value.isdigit() or not low <= int(value) <= high:
            self.problem(n, f"'{key}' must be a whole number from {low} to {high}, not '{value}'")
            return default
        return int(value)

    def trailing_structure(
        self, inner: list[Token], kind: str | None
    ) -> tuple[int, list[Token]] | None:
        """The bullet list (choose, scale) or table (plan) that ends the box, if any."""
        wanted = {"choose": "bullet_list", "scale": "bullet_list", "plan": "table"}.get(kind or "")
        if not wanted or not inner or inner[-1].type != f"{wanted}_close":
            return None
        level = inner[-1].level
        opener = max(
            i for i, t in enumerate(inner) if t.type == f"{wanted}_open" and t.level == level
        )
        start = (inner[opener].map or (0, 0))[0]
        return start, inner[opener:]

    def items(self, tokens: list[Token]) -> tuple[str, ...]:
        """The text of each top item in a bullet list."""
        level = tokens[0].level + 1
        found: list[str] = []
        for i, token in enumerate(tokens):
            if token.type == "list_item_open" and token.level == level:
                found.append(tokens[i + 2].content.strip() if i + 2 < len(tokens) else "")
        return tuple(found)

    def choose(
        self,
        common: CommonFields,
        settings: dict[str, tuple[str, int]],
        trailing: tuple[int, list[Token]] | None,
        start: int,
    ) -> ChooseActivity | None:
        """A tick-box activity."""
        options = self.items(trailing[1]) if trailing else ()
        if len(options) < 2:
            self.problem(
                start, "a choose activity needs at least two choices", "end the box with a - list"
            )
            return None
        many = self.choice(settings, "pick", {"one": False, "many": True}, False)
        return ChooseActivity(**common, options=options, many=many)

    def scale(
        self,
        common: CommonFields,
        settings: dict[str, tuple[str, int]],
        trailing: tuple[int, list[Token]] | None,
    ) -> ScaleActivity:
        """A rating activity."""
        low = self.number(settings, "from", 0, 1, 1)
        high = self.number(settings, "to", 5, 10, 5)
        if high not in (5, 10):
            self.problem(settings["to"][1], "'to' must be 5 or 10")
        return ScaleActivity(
            **common,
            low=low,
            high=high,
            low_label=settings.get("low", ("Not at all", 0))[0],
            high_label=settings.get("high", ("Very much", 0))[0],
            items=self.items(trailing[1]) if trailing else (),
        )

    def plan(
        self,
        common: CommonFields,
        settings: dict[str, tuple[str, int]],
        trailing: tuple[int, list[Token]] | None,
        start: int,
    ) -> PlanActivity | None:
        """A table to fill in."""
        if trailing is None:
            self.problem(start, "a plan activity needs a table at the end of the box")
            return None
        columns: list[str] = []
        rows: list[list[str]] = []
        for i, token in enumerate(trailing[1]):
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline":
                cell_type = trailing[1][i - 1].type
                (columns if cell_type == "th_open" else rows[-1]).append(token.content.strip())
        body = [tuple(r) for r in rows if r]
        extra = self.number(settings, "rows", 0, 12, 0)
        body += [("",) * len(columns)] * extra
        if not body:
            self.problem(start, "the plan's table has no rows", "add rows, or a 'rows:' setting")
            return None
        return PlanActivity(**common, columns=tuple(columns), rows=tuple(body))

    # -- diagrams ------------------------------------------------------------------------

    def diagram(self, name: str, start: int, end: int) -> Diagram | None:
        """A '::: diagram NAME' box: its settings, then an optional caption."""
        settings, body_start = self.settings(start, end)
        if not name:
            self.problem(
                start, "a diagram needs a name", f"write e.g. '::: diagram cycle' ({KINDS})"
            )
            return None
        kind = DIAGRAMS.get(name)
        if kind is None:
            self.problem(start, f"unknown diagram '{name}'", did_you_mean(name, DIAGRAMS))
            return None
        before = len(self.problems)
        found: list[tuple[str, tuple[str, ...]]] = []
        for key, (value, n) in settings.items():
            if key == "for":
                continue
            spec = kind.settings.get(key)
            if spec is None:
                self.problem(
                    n, f"unknown setting '{key}'", did_you_mean(key, [*kind.settings, "for"])
                )
                continue
            items = split_items(value)
            if not spec.least <= len(items) <= spec.most or not all(items):
                many = (
                    str(spec.least) if spec.least == spec.most else f"{spec.least} to {spec.most}"
                )
                self.problem(
                    n,
                    f"'{key}' needs {many} items split by '|', found {len(items)}",
                    f"for example: {key}: {' | '.join(spec.default)}",
                )
            found.append((key, items))
        if len(self.problems) > before:
            return None
        return Diagram(
            name=name,
            settings=tuple(found),
            caption=" ".join(self.text(body_start, end).split()),
            activity=settings.get("for", ("", 0))[0],
            line=start + self.first_line,
        )

    def check_diagram_links(self, blocks: list[Block]) -> None:
        """Report a diagram 'for' an activity that is not in this module, or that has two."""
        ids = {b.id for b in blocks if isinstance(b, Activity)}
        linked: set[str] = set()
        for block in blocks:
            if not isinstance(block, Diagram) or not block.activity:
                continue
            line = block.line - self.first_line
            if block.activity not in ids:
                self.problem(
                    line,
                    f"the diagram is for '{block.activity}', not an activity in this module",
                    did_you_mean(block.activity, sorted(ids)),
                )
            elif block.activity in linked:
                self.problem(line, f"'{block.activity}' already has a diagram")
            linked.add(block.activity)
