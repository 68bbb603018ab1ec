"""The course as typed, immutable records: course -> themes -> modules -> blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import ClassVar

from builder.regions import Region, RegionData

ACTIVITY_TYPES = ("write", "choose", "scale", "list", "plan", "reflect")
# What each type of activity asks the client to do, for the page that explains the pictures.
ACTIVITY_ASKS = {
    "write": "Write your answer on the lines.",
    "choose": "Tick the box, or the boxes, that fit.",
    "scale": "Circle a number on the line.",
    "list": "Fill in the numbered lines.",
    "plan": "Fill in the table, or the picture.",
    "reflect": "Look back at the module and write what you think.",
}
ICONS = ("sun", "thought", "people", "briefcase", "signpost", "toolbox")


class CountsAs(StrEnum):
    """A kind of activity a module can be credited as (front matter `counts_as:`)."""

    OTHER_ACTIVITY = "other-activity"  # Scotland's Other Activity
    ETE = "ete"  # England and Wales: Education, Training and Employment

    @property
    def label(self) -> str:
        """The kind as staff read it."""
        return COUNTS_AS_LABELS[self]


COUNTS_AS_LABELS = {
    CountsAs.OTHER_ACTIVITY: "Other activity",
    CountsAs.ETE: "ETE (education, training and employment)",
}

# The closing declaration every module carries. Renderers print it from here so
# that paper and screen say exactly the same words.
DECLARATION_STATEMENT = "I did this work myself."
DECLARATION_TIME = "Time I spent on this module"


@dataclass(frozen=True, kw_only=True)
class Prose:
    """Reading text between boxes, as Markdown."""

    markdown: str
    line: int


@dataclass(frozen=True, kw_only=True)
class Example:
    """A worked example: a short story that shows the idea in use."""

    title: str
    markdown: str
    line: int


@dataclass(frozen=True, kw_only=True)
class HelpPanel:
    """The module's "where to get help" panel, as Markdown."""

    markdown: str
    line: int


@dataclass(frozen=True, kw_only=True)
class Activity:
    """Something the client does; `prompt` is the task in Markdown."""

    kind: ClassVar[str] = ""
    id: str
    title: str
    required: bool
    prompt: str
    line: int


@dataclass(frozen=True, kw_only=True)
class WriteActivity(Activity):
    """Write an answer on ruled lines."""

    kind: ClassVar[str] = "write"
    lines: int = 5


@dataclass(frozen=True, kw_only=True)
class ReflectActivity(Activity):
    """Look back on the module at its end."""

    kind: ClassVar[str] = "reflect"
    lines: int = 8


@dataclass(frozen=True, kw_only=True)
class ChooseActivity(Activity):
    """Tick one option, or as many as fit."""

    kind: ClassVar[str] = "choose"
    options: tuple[str, ...]
    many: bool = False


@dataclass(frozen=True, kw_only=True)
class ScaleActivity(Activity):
    """Rate on a numbered scale; one scale per item, or one for the prompt."""

    kind: ClassVar[str] = "scale"
    low: int = 1
    high: int = 5
    low_label: str = "Not at all"
    high_label: str = "Very much"
    items: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ListActivity(Activity):
    """Fill in numbered blanks."""

    kind: ClassVar[str] = "list"
    items: int = 5


@dataclass(frozen=True, kw_only=True)
class PlanActivity(Activity):
    """Fill in a table; a cell with text is a printed label, an empty one is for the client."""

    kind: ClassVar[str] = "plan"
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, kw_only=True)
class Diagram:
    """A named drawing (see `builder.diagrams`) with its settings and a caption.

    With `activity`, it is that activity's answer space on paper: the client writes
    in its parts.
    """

    name: str
    settings: tuple[tuple[str, tuple[str, ...]], ...]
    caption: str
    activity: str
    line: int


Block = Prose | Example | HelpPanel | Activity | Diagram


@dataclass(frozen=True, kw_only=True)
class Module:
    """One two-hour piece of work, in the order its blocks are read."""

    id: str
    title: str
    theme: str
    minutes: int
    outcomes: tuple[str, ...]
    blocks: tuple[Block, ...]
    source: str = field(repr=False)
    counts_as: frozenset[CountsAs] = frozenset({CountsAs.OTHER_ACTIVITY})

    def counts(self, kind: CountsAs) -> bool:
        """Whether the module can be credited as this kind of activity."""
        return kind in self.counts_as

    @property
    def counts_as_label(self) -> str:
        """What the module counts as, for staff: 'Other activity; ETE (...)'."""
        return "; ".join(k.label for k in CountsAs if k in self.counts_as)

    @property
    def activities(self) -> tuple[Activity, ...]:
        """The module's activities, in order."""
        return tuple(b for b in self.blocks if isinstance(b, Activity))

    @property
    def required_activities(self) -> tuple[Activity, ...]:
        """The activities that must be tried for the module to count."""
        return tuple(a for a in self.activities if a.required)


@dataclass(frozen=True, kw_only=True)
class Theme:
    """A theme of the course and its modules, in order."""

    id: str
    code: str
    title: str
    purpose: str
    icon: str
    modules: tuple[Module, ...]


@dataclass(frozen=True, kw_only=True)
class Course:
    """The whole course, and a hash that changes when any of its text changes."""

    title: str
    subtitle: str
    language: str
    themes: tuple[Theme, ...]
    version: str
    regions: RegionData = field(default_factory=RegionData, repr=False)
    region: Region | None = None  # None: not yet resolved for a region (`regional_course`)

    @cached_property  # a frozen dataclass keeps it in __dict__; asked for in hot loops
    def modules(self) -> tuple[Module, ...]:
        """Every module, theme by theme."""
        return tuple(m for t in self.themes for m in t.modules)

    def module(self, module_id: str) -> Module:
        """The module with this id; KeyError if there is none."""
        for m in self.modules:
            if m.id == module_id:
                return m
        raise KeyError(module_id)

    def theme_of(self, module: Module) -> Theme:
        """The theme a module belongs to."""
        return next(t for t in self.themes if t.id == module.theme)

    def iter_activities(self) -> Iterator[tuple[Module, Activity]]:
        """Every activity with its module."""
        for m in self.modules:
            for a in m.activities:
                yield m, a

    @property
    def guided_minutes(self) -> int:
        """Total guided time of the course."""
        return sum(m.minutes for m in self.modules)
