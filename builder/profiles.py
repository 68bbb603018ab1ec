"""Print profiles, declared as data: one row per profile, no sizes scattered through code."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import BuildError
from builder.hints import did_you_mean


@dataclass(frozen=True)
class PrintProfile:
    """Sizes, colours and spacing for one kind of printed workbook."""

    name: str
    label: str
    body_size: float  # points
    line_spacing: float = 1.5  # leading as a multiple of the body size
    heading_scale: tuple[float, float, float] = (1.75, 1.4, 1.2)  # title, ##, ###
    page_colour: str = "#FFFFFF"
    letter_spacing: float = 0.0  # extra space after each letter, in em
    word_spacing: float = 0.0  # extra space between words, in em
    answer_line_mm: float = 10.0  # gap between handwriting lines
    box_mm: float = 7.0  # tick boxes and scale circles
    write_cell_mm: float = 15.0  # the least height of a table cell to write in

    @property
    def leading(self) -> float:
        """Baseline-to-baseline distance of body text."""
        return self.body_size * self.line_spacing

    @property
    def footer_size(self) -> float:
        """Page numbers are the same size as body text (UKAAF clear print)."""
        return self.body_size


PROFILES: dict[str, PrintProfile] = {
    p.name: p
    for p in (
        PrintProfile(name="standard", label="Clear print", body_size=14),
        PrintProfile(
            name="large-print",
            label="Large print",
            body_size=18,
            answer_line_mm=12.0,
            box_mm=9.0,
            write_cell_mm=19.0,
        ),
        PrintProfile(
            name="dyslexia",
            label="Dyslexia friendly",
            body_size=14,
            page_colour="#FBF3DC",  # cream: the British Dyslexia Association's advice
            # BDA: letter spacing about 35% of the average letter width, word spacing
            # at least 3.5 times that; these are added to the font's own spacing.
            letter_spacing=0.09,
            word_spacing=0.35,
            answer_line_mm=11.0,
            write_cell_mm=16.5,
        ),
    )
}


def get_profile(name: str) -> PrintProfile:
    """The named profile; BuildError with a hint when there is no such profile."""
    try:
        return PROFILES[name]
    except KeyError:
        raise BuildError(
            f"there is no print profile '{name}' ({did_you_mean(name, PROFILES)})"
        ) from None
