"""Render an edition as the files of an offline bundle: pages, styles, scripts, pictures.

`render_html` is the HTML renderer's whole interface, as `render_pdf` is the PDF's: an
edition in, the output out (here a mapping of relative path to bytes; writing it to a
folder and a zip is `builder.html.bundle`'s job).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from builder.course import (
    ACTIVITY_TYPES,
    DECLARATION_STATEMENT,
    DECLARATION_TIME,
    Activity,
    ChooseActivity,
    ListActivity,
    PlanActivity,
    ScaleActivity,
)
from builder.editions import Edition
from builder.html.views import Bundle, Page, help_page, index_page, module_file, module_pages
from builder.html.wording import on_screen, phone_links
from builder.profiles import PROFILES, PrintProfile

ANSWERS_FORMAT = "cpo-offline answers"
ANSWERS_VERSION = 1
STORAGE_PREFIX = "cpo-offline/v1"
ASSETS = "assets"
# Scripts and styles come only from the bundle's own files. On file:// browsers differ
# on whether 'self' matches other files (Chromium says yes; Firefox and Safari treat each
# file as its own opaque origin), so the file: scheme is named too. No inline script or
# style runs, nothing is fetched by script, and nothing at all from a network.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self' file:",
        "style-src 'self' file:",
        "img-src 'self' file:",
        "connect-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
# The screen's text size for the standard profile; the others scale from it.
SCREEN_BASE_PERCENT = 112.5  # 18 px in a browser left at its usual 16 px
# The display switches and the print profile each one stands for on screen.
SWITCHES = {"large": "large-print", "dyslexia": "dyslexia"}


@cache
def environment() -> Environment:
    """The one jinja2 environment: autoescaped, and an undefined name is an error."""
    env = Environment(
        loader=PackageLoader("builder.html", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["phone_links"] = phone_links
    env.filters["on_screen"] = on_screen
    return env


def render_html(edition: Edition) -> dict[str, bytes]:
    """Every file of the bundle for `edition`, by path inside the bundle."""
    bundle = Bundle.of(edition)
    out: dict[str, bytes] = {}
    for page in [index_page(bundle), help_page(bundle), *module_pages(bundle)]:
        out[page.file] = render_page(page).encode("utf-8")
    out[f"{ASSETS}/workbook-data.js"] = workbook_data_js(bundle).encode("utf-8")
    out[f"{ASSETS}/display.css"] = display_css().encode("utf-8")
    for name, data in static_files().items():
        out[f"{ASSETS}/{name}"] = data
    for name, svg in icon_files().items():
        out[f"{ASSETS}/icons/{name}.svg"] = svg
    return dict(sorted(out.items()))


def render_page(page: Page) -> str:
    """One page, through its template."""
    template = environment().get_template(f"{page.kind}.html")
    return template.render(
        page=page,
        csp=CSP,
        statement=DECLARATION_STATEMENT,
        time_label=DECLARATION_TIME,
    )


def workbook_data_js(bundle: Bundle) -> str:
    """The workbook's shape for the page scripts: modules, codes and activities."""
    data = {
        "format": ANSWERS_FORMAT,
        "version": ANSWERS_VERSION,
        "course": {"title": bundle.course.title, "version": bundle.course.version},
        "workbook": bundle.workbook,
        "specimen": bundle.specimen,
        "storage": f"{STORAGE_PREFIX}/{bundle.workbook}",
        "modules": [
            {
                "id": m.id,
                "title": m.title,
                "file": module_file(m),
                "checkin": bundle.checkins[m.id].payload,
                "code": bundle.checkins[m.id].code,
                "activities": [activity_shape(a) for a in m.activities],
            }
            for m in bundle.modules
        ],
    }
    # ASCII only, so no character can end the script early or be misread.
    text = json.dumps(data, ensure_ascii=True, indent=1, sort_keys=True)
    head = "/* The workbook's modules and activities. Made by cpo-offline. */"
    return f"{head}\nwindow.CPO_WORKBOOK = {text};\n"


def activity_shape(activity: Activity) -> dict[str, Any]:
    """What the scripts need to know of an activity to save and export its answer."""
    shape: dict[str, Any] = {
        "id": activity.id,
        "type": activity.kind,
        "title": activity.title,
        "required": activity.required,
    }
    if isinstance(activity, ChooseActivity):
        shape |= {"options": list(activity.options), "many": activity.many}
    elif isinstance(activity, ScaleActivity):
        items = list(activity.items or ("",))  # one unnamed line when the prompt is rated
        shape |= {"items": items, "low": activity.low, "high": activity.high}
    elif isinstance(activity, ListActivity):
        shape |= {"count": activity.items}
    elif isinstance(activity, PlanActivity):
        shape |= {"columns": list(activity.columns), "rows": [list(r) for r in activity.rows]}
    return shape


def display_css() -> str:
    """The display switches' styles, worked out from the print profiles' table."""
    standard = PROFILES["standard"]
    rules = [f"html {{ font-size: {SCREEN_BASE_PERCENT}%; }}"]
    for switch, name in SWITCHES.items():
        rules.append(f"html.{switch} {{ {_profile_rules(PROFILES[name], standard)} }}")
    return "/* The display switches, from the print profiles. Made by cpo-offline. */\n" + (
        "\n".join(rules) + "\n"
    )


def _profile_rules(profile: PrintProfile, standard: PrintProfile) -> str:
    rules = []
    if profile.body_size != standard.body_size:
        size = SCREEN_BASE_PERCENT * profile.body_size / standard.body_size
        rules.append(f"font-size: {size:.2f}%;")
    if profile.page_colour.upper() != standard.page_colour.upper():
        rules.append(f"--page: {profile.page_colour};")
    if profile.letter_spacing:
        rules.append(f"--letter-spacing: {profile.letter_spacing}em;")
    if profile.word_spacing:
        rules.append(f"--word-spacing: {profile.word_spacing}em;")
    if profile.line_spacing != standard.line_spacing:
        rules.append(f"--line-height: {profile.line_spacing};")
    return " ".join(rules)


@cache
def static_files() -> dict[str, bytes]:
    """The bundle's fixed scripts and styles, as shipped in this package."""
    folder = files("builder.html") / "static"
    return {item.name: item.read_bytes() for item in folder.iterdir() if item.is_file()}


@cache
def icon_files() -> dict[str, bytes]:
    """The theme icons and activity pictograms of the paper workbook, as SVG files."""
    from reportlab.graphics import renderSVG

    from builder.course import ICONS
    from builder.pictures import pictogram, theme_icon

    drawings = {name: theme_icon(name, 48) for name in ICONS}
    drawings |= {kind: pictogram(kind, 48) for kind in ACTIVITY_TYPES}
    out = {}
    for name, drawing in drawings.items():
        svg = renderSVG.drawToString(drawing)
        svg = svg[svg.index("<svg") :]  # no XML declaration or DTD to fetch
        svg = re.sub(r"\s*<(title|desc)>[^<]*</\1>", "", svg)
        svg = re.sub(r">\s+<", "><", svg)
        out[name] = svg.encode("utf-8")
    return out
