"""What each page of the bundle shows, as declared types built from an edition.

The templates only read these; every decision (heading levels, file names, labels of
table cells) is made here, where it can be typed and tested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from markupsafe import Markup

from builder.course import (
    Activity,
    Course,
    Diagram,
    Example,
    HelpPanel,
    Module,
    PlanActivity,
    Prose,
    ScaleActivity,
    Theme,
)
from builder.editions import CheckIn, Edition, Personal
from builder.html.diagrams import diagram_svg
from builder.html.markdown import markdown_html
from builder.html.svg import qr_svg
from builder.markdown import markdown

SPECIMEN_WORKBOOK = "SPECIMEN"
LIST_MARK = re.compile(r"^(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class Bundle:
    """What every page knows: the course, the modules in it, and whose workbook it is."""

    course: Course
    modules: tuple[Module, ...]
    checkins: dict[str, CheckIn]
    personal: Personal | None

    @property
    def specimen(self) -> bool:
        return self.personal is None

    @property
    def workbook(self) -> str:
        """The workbook number, or SPECIMEN; names the answers saved on the device."""
        return self.personal.workbook if self.personal else SPECIMEN_WORKBOOK

    @classmethod
    def of(cls, edition: Edition) -> Bundle:
        return cls(edition.course, edition.modules, edition.checkins, edition.personal)


def module_file(module: Module) -> str:
    """The page of a module, beside index.html (one folder keeps file:// storage shared)."""
    return f"module-{module.id}.html"


@dataclass(frozen=True)
class Page:
    """One HTML file of the bundle."""

    bundle: Bundle
    file: str
    title: str
    kind: str

    @property
    def module_id(self) -> str:
        """The module this page shows, or "" for the index and help pages."""
        return ""


@dataclass(frozen=True)
class ModuleLink:
    """A module as listed on the index and in the pager."""

    module: Module
    file: str


@dataclass(frozen=True)
class ThemeSection:
    """A theme and the bundle's modules in it."""

    theme: Theme
    modules: tuple[ModuleLink, ...]


@dataclass(frozen=True)
class IndexPage(Page):
    """The start page: the themes, the modules and how far the client has got."""

    themes: tuple[ThemeSection, ...]


@dataclass(frozen=True)
class HelpSection:
    """Where to get help for one theme: every service its modules name, once each."""

    theme: Theme
    html: Markup


@dataclass(frozen=True)
class HelpPage(Page):
    """How the workbook works on a device, and who can help."""

    help: tuple[HelpSection, ...]


@dataclass(frozen=True)
class ProseView:
    """Reading text."""

    html: Markup
    kind: str = "prose"


@dataclass(frozen=True)
class BoxView:
    """An example or a help panel, with its heading."""

    kind: str  # "example" or "help"
    heading: str
    level: int
    anchor: str
    html: Markup


@dataclass(frozen=True)
class PlanCell:
    """A cell of a plan table: printed words, or an input named after its column and row."""

    id: str
    text: str
    column: str
    row: int
    col: int
    name: str


@dataclass(frozen=True)
class ActivityView:
    """An activity with its number, heading level and task, ready for its form controls."""

    activity: Activity
    number: int
    level: int
    prompt: Markup
    scale_items: tuple[str, ...] = ()
    scale_values: tuple[int, ...] = ()
    plan_rows: tuple[tuple[PlanCell, ...], ...] = ()
    kind: str = field(default="activity")
    diagram: Markup = field(default_factory=Markup)  # drawn for this activity, above its answer


@dataclass(frozen=True)
class DiagramView:
    """A diagram in the reading: inline SVG with its text alternative and caption."""

    html: Markup
    kind: str = "diagram"


BlockView = ProseView | BoxView | ActivityView | DiagramView


@dataclass(frozen=True)
class ModulePage(Page):
    """One module: its check-in code, reading, activities and the closing form."""

    module: Module
    theme: Theme
    checkin: CheckIn
    qr: Markup
    duration: str
    blocks: tuple[BlockView, ...]
    previous: ModuleLink | None
    next: ModuleLink | None

    @property
    def module_id(self) -> str:
        return self.module.id


def index_page(bundle: Bundle) -> IndexPage:
    """The start page."""
    return IndexPage(bundle, "index.html", "All modules", "index", themes=theme_sections(bundle))


def help_page(bundle: Bundle) -> HelpPage:
    """The help page, with the help panels of the bundle's modules gathered by theme."""
    sections = []
    for section in theme_sections(bundle):
        panels = [
            b.markdown
            for link in section.modules
            for b in link.module.blocks
            if isinstance(b, HelpPanel)
        ]
        sections.append(HelpSection(section.theme, markdown_html(merged_help(panels), top=4)))
    return HelpPage(bundle, "help.html", "Help", "help", help=tuple(sections))


def module_pages(bundle: Bundle) -> list[ModulePage]:
    """One page for each module of the bundle, in course order."""
    links = [ModuleLink(m, module_file(m)) for m in bundle.modules]
    pages = []
    for i, link in enumerate(links):
        module = link.module
        checkin = bundle.checkins[module.id]
        pages.append(
            ModulePage(
                bundle,
                link.file,
                f"{module.id}: {module.title}",
                "module",
                module=module,
                theme=bundle.course.theme_of(module),
                checkin=checkin,
                qr=qr_svg(checkin.payload, f"Square code for module {module.id}"),
                duration=duration(module.minutes),
                blocks=block_views(module),
                previous=links[i - 1] if i > 0 else None,
                next=links[i + 1] if i + 1 < len(links) else None,
            )
        )
    return pages


def theme_sections(bundle: Bundle) -> tuple[ThemeSection, ...]:
    """The course's themes that have modules in the bundle, each with those modules."""
    sections = []
    for theme in bundle.course.themes:
        links = tuple(ModuleLink(m, module_file(m)) for m in theme.modules if m in bundle.modules)
        if links:
            sections.append(ThemeSection(theme, links))
    return tuple(sections)


def block_views(module: Module) -> tuple[BlockView, ...]:
    """The module's blocks with headings placed under the reading's own `##` sections."""
    views: list[BlockView] = []
    number = 0
    level = 2  # boxes sit at h2 until the reading opens its first ## section
    for index, block in enumerate(module.blocks):
        if isinstance(block, Prose):
            views.append(ProseView(markdown_html(block.markdown)))
            if any(t.type == "heading_open" for t in markdown().parse(block.markdown)):
                level = 3
        elif isinstance(block, Activity):
            number += 1
            views.append(with_diagram(activity_view(block, number, level), module))
        elif isinstance(block, Diagram) and not block.activity:
            views.append(DiagramView(diagram_svg(block, f"diagram-{index}")))
        elif isinstance(block, Example):
            views.append(
                BoxView(
                    "example",
                    f"Example: {block.title}",
                    level,
                    f"box-{index}",
                    markdown_html(block.markdown, level + 1),
                )
            )
        elif isinstance(block, HelpPanel):
            views.append(
                BoxView(
                    "help",
                    "Where to get help",
                    level,
                    f"box-{index}",
                    markdown_html(block.markdown, level + 1),
                )
            )
    return tuple(views)


def with_diagram(view: ActivityView, module: Module) -> ActivityView:
    """The activity's view with the diagram drawn for it, if the module has one."""
    for block in module.blocks:
        if isinstance(block, Diagram) and block.activity == view.activity.id:
            return replace(view, diagram=diagram_svg(block, f"diagram-{view.activity.id}"))
    return view


def activity_view(activity: Activity, number: int, level: int) -> ActivityView:
    """An activity's view; scales and plans get their rows worked out here."""
    prompt = markdown_html(activity.prompt, level + 1)
    if isinstance(activity, ScaleActivity):
        return ActivityView(
            activity,
            number,
            level,
            prompt,
            scale_items=activity.items or ("",),
            scale_values=tuple(range(activity.low, activity.high + 1)),
        )
    if isinstance(activity, PlanActivity):
        return ActivityView(activity, number, level, prompt, plan_rows=plan_cells(activity))
    return ActivityView(activity, number, level, prompt)


def plan_cells(activity: PlanActivity) -> tuple[tuple[PlanCell, ...], ...]:
    """Each cell of a plan; an empty one is named by its column and the words to its left."""
    rows = []
    for r, row in enumerate(activity.rows):
        cells = []
        for c, text in enumerate(row):
            column = activity.columns[c] if c < len(activity.columns) else ""
            left = next((t for t in reversed(row[:c]) if t), f"row {r + 1}")
            cells.append(
                PlanCell(f"a-{activity.id}-{r}-{c}", text, column, r, c, f"{column}, {left}")
            )
        rows.append(tuple(cells))
    return tuple(rows)


def merged_help(panels: list[str]) -> str:
    """Help panels as one Markdown text: each paragraph and list item once, in first-seen order."""
    paragraphs: dict[str, None] = {}
    items: dict[str, None] = {}
    for source in panels:
        lines = source.split("\n")
        for token in markdown().parse(source):
            if token.map is None:
                continue
            text = " ".join(line.strip() for line in lines[token.map[0] : token.map[1]]).strip()
            if token.type == "paragraph_open" and token.level == 0:
                paragraphs.setdefault(text)
            elif token.type == "list_item_open" and token.level == 1:
                items.setdefault(LIST_MARK.sub("", text))
    parts = list(paragraphs)
    if items:
        parts.append("\n".join(f"- {item}" for item in items))
    return "\n\n".join(parts)


def duration(minutes: int) -> str:
    """'about 2 hours', in the words the paper workbook uses."""
    hours, rest = divmod(minutes, 60)
    if not rest:
        return f"about {hours} hours" if hours != 1 else "about 1 hour"
    return f"about {hours} hours {rest} minutes" if hours else f"about {rest} minutes"
