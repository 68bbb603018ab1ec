"""Turn the course in `content/` into workbooks: load, validate, render, write."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from builder.course import (
        Activity,
        ChooseActivity,
        Course,
        Example,
        HelpPanel,
        ListActivity,
        Module,
        PlanActivity,
        Prose,
        ReflectActivity,
        ScaleActivity,
        Theme,
        WriteActivity,
    )
    from builder.errors import BuildError, ContentError, CpoError, Problem
    from builder.loader import load_course

# Each name and the module it comes from, imported when first asked for: a command that
# needs only the errors (every `cpo` start) does not parse the Markdown and YAML libraries.
_HOMES = {
    **dict.fromkeys(
        (
            "Activity",
            "ChooseActivity",
            "Course",
            "Example",
            "HelpPanel",
            "ListActivity",
            "Module",
            "PlanActivity",
            "Prose",
            "ReflectActivity",
            "ScaleActivity",
            "Theme",
            "WriteActivity",
        ),
        "builder.course",
    ),
    **dict.fromkeys(("BuildError", "ContentError", "CpoError", "Problem"), "builder.errors"),
    "load_course": "builder.loader",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module 'builder' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)


__all__ = [
    "Activity",
    "BuildError",
    "ChooseActivity",
    "ContentError",
    "Course",
    "CpoError",
    "Example",
    "HelpPanel",
    "ListActivity",
    "Module",
    "PlanActivity",
    "Problem",
    "Prose",
    "ReflectActivity",
    "ScaleActivity",
    "Theme",
    "WriteActivity",
    "load_course",
]
