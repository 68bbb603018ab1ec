"""The one typeface every printed workbook uses, embedded in the PDF."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import font_source_sans_pro
from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Source Sans Pro: a plain humanist sans-serif (SIL Open Font License) that covers £,
# curly quotes and the Welsh ŵ and ŷ. It installs from PyPI with the project.
_FILES = Path(font_source_sans_pro.__file__).parent / "files"
_WEIGHTS = {"": "SourceSansPro-Regular.ttf", "-Bold": "SourceSansPro-Bold.ttf"}
BASE_FAMILY = "SourceSans"
# Spaces that join words without letting a line break there (phone numbers, codes).
_SPACES = (" ", "\u00a0")


def family_name(letter_em: float, word_em: float) -> str:
    """The registered family name for this spacing: one name per distinct set of metrics."""
    if not (letter_em or word_em):
        return BASE_FAMILY
    return f"{BASE_FAMILY}-L{round(letter_em * 1000)}-W{round(word_em * 1000)}"


@cache
def register_fonts(letter_em: float = 0.0, word_em: float = 0.0) -> tuple[str, str]:
    """Register the typeface with this spacing and return its (regular, bold) names.

    Extra letter and word spacing (in em) is built into a copy of the font, so that
    reportlab measures and breaks lines with the spacing included. Each copy gets its
    own PostScript name too: reportlab shares one font object between every font of
    the same face name, so without it the first edition built would set the spacing
    of all the others. Italic is mapped to upright: the workbooks never use italics.
    """
    family = family_name(letter_em, word_em)
    names = []
    for suffix, filename in _WEIGHTS.items():
        name = family + suffix
        source = _spaced(_FILES / filename, letter_em, word_em, name)
        pdfmetrics.registerFont(TTFont(name, source))
        names.append(name)
    regular, bold = names
    addMapping(family, 0, 0, regular)
    addMapping(family, 0, 1, regular)
    addMapping(family, 1, 0, bold)
    addMapping(family, 1, 1, bold)
    if family == BASE_FAMILY:
        # Vector drawings start from a default font; make it ours so that no unembedded
        # Helvetica is ever referenced. Drawings that print words name their font.
        STATE_DEFAULTS["fontName"] = regular
    else:
        register_fonts()
    return regular, bold


def _spaced(path: Path, letter_em: float, word_em: float, name: str) -> str | io.BytesIO:
    """The font file, or an in-memory copy named `name` with wider advances."""
    if not (letter_em or word_em):
        return str(path)
    from fontTools.ttLib import TTFont as FontFile  # only spaced profiles rewrite the font

    font = FontFile(str(path), recalcTimestamp=False)  # no clock in the file: same bytes each build
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    for glyph, (advance, lsb) in list(metrics.items()):
        if advance > 0:
            metrics[glyph] = (advance + round(letter_em * units), lsb)
    cmap = font.getBestCmap()
    for space in {cmap[ord(c)] for c in _SPACES if ord(c) in cmap}:
        advance, lsb = metrics[space]
        metrics[space] = (advance + round(word_em * units), lsb)
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 6, 16):
            record.string = name
    data = io.BytesIO()
    font.save(data)
    data.seek(0)
    return data
