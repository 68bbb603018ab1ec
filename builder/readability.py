"""How hard a module is to read: sentence length and a reading-age estimate."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import textstat

from builder.course import (
    Activity,
    ChooseActivity,
    Diagram,
    Example,
    HelpPanel,
    Module,
    PlanActivity,
    Prose,
    ScaleActivity,
)
from builder.markdown import markdown

# A UK reading age is a US school grade plus five years (grade 4 ~ reading age 9).
GRADE_TO_AGE = 5
TARGET_READING_AGE = 9.0


@dataclass(frozen=True)
class Readability:
    """A module's readability figures."""

    module_id: str
    words: int
    sentences: int
    average_sentence_length: float
    reading_age: float

    @property
    def flagged(self) -> bool:
        """True when the module reads above the target reading age."""
        return self.reading_age > TARGET_READING_AGE


def measure(module: Module) -> Readability:
    """Readability of everything the client reads in a module.

    The reading age is textstat's Flesch-Kincaid grade plus five. Each heading, list
    item, option and table cell counts as a sentence of its own, as a reader meets it.
    """
    text = " ".join(_sentence(s) for s in module_sentences(module) if s.strip())
    words = textstat.lexicon_count(text)
    sentences = max(1, textstat.sentence_count(text))
    grade = float(textstat.flesch_kincaid_grade(text))
    return Readability(
        module_id=module.id,
        words=words,
        sentences=sentences,
        average_sentence_length=round(words / sentences, 1),
        reading_age=round(max(grade, 0.0) + GRADE_TO_AGE, 1),
    )


def module_sentences(module: Module) -> Iterator[str]:
    """Every piece of text the client reads in the module, in order."""
    yield module.title
    yield from module.outcomes
    for block in module.blocks:
        if isinstance(block, Prose | HelpPanel):
            yield from _markdown_text(block.markdown)
        elif isinstance(block, Example):
            yield block.title
            yield from _markdown_text(block.markdown)
        elif isinstance(block, Activity):
            yield from _activity_text(block)
        elif isinstance(block, Diagram) and block.caption:
            yield block.caption


def _activity_text(activity: Activity) -> Iterator[str]:
    yield activity.title
    yield from _markdown_text(activity.prompt)
    if isinstance(activity, ChooseActivity):
        yield from activity.options
    elif isinstance(activity, ScaleActivity):
        yield from (activity.low_label, activity.high_label, *activity.items)
    elif isinstance(activity, PlanActivity):
        yield from activity.columns
        yield from (cell for row in activity.rows for cell in row if cell)


_KEEP = ("text", "code_inline", "softbreak", "hardbreak")
_TEXT_OF = {"softbreak": " ", "hardbreak": " "}


def _markdown_text(source: str) -> Iterator[str]:
    """The plain text of each paragraph, heading, list item or cell."""
    for token in markdown().parse(source):
        if token.type == "inline" and token.children is not None:
            yield "".join(
                _TEXT_OF.get(c.type, c.content) for c in token.children if c.type in _KEEP
            )


def _sentence(text: str) -> str:
    """One reading unit as a sentence: single-spaced, ending in a full stop."""
    text = " ".join(text.replace("*", "").split())
    return text if text.endswith((".", "!", "?")) else f"{text}."
