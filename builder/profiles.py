"""Print profiles, declared as data: one row per profile, no sizes scattered through code."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    page_colour: str = "#FFFFFF"  # on screen; on paper only with `print_fill`
    print_fill: bool = False  # fill the printed page with page_colour (inside the printable area)
    advice: str = ""  # a line for the reader of this edition, on the "how to use" page
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
    )
}
# The dyslexia edition prints on white: a full-page fill cannot reach the edge on most
# office printers and costs toner. The BDA's advice is cream paper, so it says so; the
# cream fill stays as its own edition, kept inside the printable area.
_DYSLEXIA = PrintProfile(
    name="dyslexia",
    label="Dyslexia friendly",
    body_size=14,
    page_colour="#FBF3DC",  # cream on screen: the British Dyslexia Association's advice
    # BDA: letter spacing about 35% of the average letter width, word spacing
    # at least 3.5 times that; these are added to the font's own spacing.
    letter_spacing=0.09,
    word_spacing=0.35,
    answer_line_mm=11.0,
    write_cell_mm=16.5,
    advice="This print is easier to read on cream paper. You can ask for it on cream paper.",
)
PROFILES["dyslexia"] = _DYSLEXIA
PROFILES["dyslexia-cream"] = replace(
    _DYSLEXIA,
    name="dyslexia-cream",
    label="Dyslexia friendly, cream",
    print_fill=True,
    advice="",
)
PRINTABLE_INSET_MM = 5.0  # office printers leave about this much unprinted at each edge


def get_profile(name: str) -> PrintProfile:
    """The named profile; BuildError with a hint when there is no such profile."""
    try:
        return PROFILES[name]
    except KeyError:
        raise BuildError(
            f"there is no print profile '{name}' ({did_you_mean(name, PROFILES)})"
        ) from None
