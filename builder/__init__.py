"""Turn the course in `content/` into workbooks: load, validate, render, write."""

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
