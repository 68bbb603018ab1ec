"""The one typeface every printed workbook uses, embedded in the PDF."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import font_source_sans_pro
from fontTools.ttLib import TTFont as FontFile
from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Source Sans Pro: a plain humanist sans-serif (SIL Open Font License) that covers £,
# curly quotes and the Welsh ŵ and ŷ. It installs from PyPI with the project.
_FILES = Path(font_source_sans_pro.__file__).parent / "files"
_WEIGHTS = {"": "SourceSansPro-Regular.ttf", "-Bold": "SourceSansPro-Bold.ttf"}


@cache
def register_fonts(letter_em: float = 0.0, word_em: float = 0.0) -> tuple[str, str]:
    """Register the typeface and return its (regular, bold) names.

    Extra letter and word spacing (in em) is built into a copy of the font, so that
    reportlab measures and breaks lines with the spacing included. Italic is mapped
    to upright: the workbooks never use italics.
    """
    family = "SourceSans" if not (letter_em or word_em) else f"SourceSans-{letter_em}-{word_em}"
    names = []
    for suffix, filename in _WEIGHTS.items():
        name = family + suffix
        source = _spaced(_FILES / filename, letter_em, word_em)
        pdfmetrics.registerFont(TTFont(name, source))
        names.append(name)
    regular, bold = names
    # Vector drawings start from a default font; make it ours so that no unembedded
    # Helvetica is ever referenced.
    STATE_DEFAULTS["fontName"] = regular
    addMapping(family, 0, 0, regular)
    addMapping(family, 0, 1, regular)
    addMapping(family, 1, 0, bold)
    addMapping(family, 1, 1, bold)
    return regular, bold


def _spaced(path: Path, letter_em: float, word_em: float) -> str | io.BytesIO:
    """The font file, or an in-memory copy with wider advances when spacing is asked for."""
    if not (letter_em or word_em):
        return str(path)
    font = FontFile(str(path))
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    for glyph, (advance, lsb) in list(metrics.items()):
        if advance > 0:
            metrics[glyph] = (advance + round(letter_em * units), lsb)
    space = font.getBestCmap()[ord(" ")]
    advance, lsb = metrics[space]
    metrics[space] = (advance + round(word_em * units), lsb)
    data = io.BytesIO()
    font.save(data)
    data.seek(0)
    return data
