"""Reading age comes from textstat's Flesch-Kincaid grade plus five, on what the client reads."""

from __future__ import annotations

from builder import Course, load_course
from builder.readability import measure, module_sentences
from tests.conftest import GOOD_COURSE


def test_sentences_include_everything_the_client_reads() -> None:
    course: Course = load_course(GOOD_COURSE)
    text = list(module_sentences(course.module("AA1")))
    assert text[0] == "Every kind of activity"
    assert "Try each kind of task." in text
    assert "Sam's morning" in text
    assert "I get headaches" in text
    assert "Money out" in text and "Rent" in text
    assert not any("id:" in t or "type:" in t for t in text)


def test_short_plain_text_reads_young_and_long_words_read_older() -> None:
    course = load_course(GOOD_COURSE)
    simple = measure(course.module("AA1"))
    assert simple.reading_age <= 9 and not simple.flagged
    assert simple.words > 50 and simple.average_sentence_length < 10
