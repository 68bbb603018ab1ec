"""Names in any script: a Noto fallback font, embedded only when a name needs it.

The workbook's own typeface covers Latin, Greek and Cyrillic. A name with letters it
lacks ("Wáng 王小明", "محمد") gets those letters from Noto Sans Arabic or Noto Sans
CJK, both installed from PyPI with the project (fontpkg-noto-sans-arabic,
cvttf-notosanscjk-regular). Only the characters the name uses are kept, so a
document without such a name is unchanged and one with it grows by a few kilobytes.

Arabic is joined into its letter shapes and laid out right to left (arabic-reshaper,
python-bidi) before drawing, because reportlab draws characters as given.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

ARABIC, CJK = "arabic", "cjk"


def markup(text: str, font: str) -> str:
    """`text` as Paragraph markup in `font`, with letters it lacks in a fallback font."""
    return "".join(
        escape(run) if face is None else f'<font face="{face}">{escape(run)}</font>'
        for run, face in runs(text, font)
    )


def draw_string(canvas: Any, x: float, y: float, text: str, font: str, size: float) -> None:
    """Draw `text` on a reportlab canvas at (x, y), falling back where `font` lacks letters."""
    for run, face in runs(text, font):
        canvas.setFont(face or font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, face or font, size)
    canvas.setFont(font, size)


def runs(text: str, font: str) -> list[tuple[str, str | None]]:
    """`text` in runs: (characters, None) for `font`, (characters, fallback face) for others."""
    covered = _cmap(font)
    if all(ord(c) in covered or not c.strip() for c in text):
        return [(text, None)]
    visual = _visual(text)
    grouped: list[tuple[str, str | None]] = []
    for c, family in _split(visual, covered):
        if grouped and grouped[-1][1] == family:
            grouped[-1] = (grouped[-1][0] + c, family)
        else:
            grouped.append((c, family))
    wanted: dict[str, str] = {}
    for run, family in grouped:
        if family is not None:
            wanted[family] = wanted.get(family, "") + run
    faces = {family: _face(family, chars) for family, chars in wanted.items()}
    return [(run, None if family is None else faces[family]) for run, family in grouped]


def embedded_faces() -> list[str]:
    """The fallback faces registered so far (for tests and the curious)."""
    return [name for name in pdfmetrics.getRegisteredFontNames() if name.startswith("Noto")]


def _split(text: str, covered: frozenset[int]) -> Iterator[tuple[str, str | None]]:
    for c in text:
        yield c, None if ord(c) in covered or not c.strip() else _family(c)


def _family(c: str) -> str:
    code = ord(c)
    arabic = (
        (0x0600, 0x06FF),
        (0x0750, 0x077F),
        (0x08A0, 0x08FF),
        (0xFB50, 0xFDFF),
        (0xFE70, 0xFEFF),
    )
    return ARABIC if any(low <= code <= high for low, high in arabic) else CJK


def _visual(text: str) -> str:
    """Arabic joined into its shapes and in the order it is seen (right to left)."""
    if not any(_family(c) == ARABIC for c in text if ord(c) > 0x5FF):
        return text
    import arabic_reshaper
    from bidi import get_display

    return str(get_display(arabic_reshaper.reshape(text)))


@cache
def _cmap(font: str) -> frozenset[int]:
    face: Any = getattr(pdfmetrics.getFont(font), "face", None)
    return frozenset(getattr(face, "charToGlyph", {}))


def _face(family: str, characters: str) -> str:
    """A registered face holding (at least) `characters` from the family's Noto font."""
    return _subset_face(family, "".join(sorted(set(characters))))


@cache
def _subset_face(family: str, characters: str) -> str:
    digest = hashlib.sha256(characters.encode()).hexdigest()[:10]
    name = f"Noto{family.title()}-{digest}"
    data = io.BytesIO()
    _subset(family, characters).save(data)
    data.seek(0)
    pdfmetrics.registerFont(TTFont(name, data))
    return name


def _subset(family: str, characters: str) -> Any:
    """The family's font cut down to `characters`, as a static TrueType font.

    Cut first, then the variable font's regular instance made: instancing only the glyphs
    kept gives the same glyphs for about a fifth of the work of instancing the whole font
    (1.6 s, most of a client's first issue with a name in Arabic).
    """
    from fontTools import subset

    font = _load(family)
    subsetter = subset.Subsetter(subset.Options(name_IDs=["*"], notdef_outline=True, hinting=False))
    subsetter.populate(text=characters)
    subsetter.subset(font)
    if "fvar" in font:  # a variable font: its regular instance
        from fontTools.varLib import instancer

        font = instancer.instantiateVariableFont(font, {"wght": 400, "wdth": 100})
    if "CFF " in font:
        _to_truetype(font)
    return font


def _load(family: str) -> Any:
    from fontTools.ttLib import TTFont as FontFile

    # No clock in the file: the same bytes each build.
    return FontFile(str(_path(family)), recalcTimestamp=False)


def _path(family: str) -> Path:
    if family == ARABIC:
        import fontpkg_noto_sans_arabic

        return (
            Path(fontpkg_noto_sans_arabic.__file__).parent
            / "files"
            / "NotoSansArabic[wdth,wght].ttf"
        )
    import cvttf_NotoSansCJK_Regular

    return Path(cvttf_NotoSansCJK_Regular.__file__).parent / "NotoSansCJKtc-Regular.otf"


def _to_truetype(font: Any) -> None:
    """Turn a (subset) CFF font's cubic outlines into TrueType ones, which reportlab embeds."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    quadratic = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        quadratic[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = quadratic
    del font["CFF "]
    for table in ("VORG", "CFF2"):
        if table in font:
            del font[table]
    glyf.compile(font)
    for name, glyph in quadratic.items():
        advance, _ = font["hmtx"][name]
        font["hmtx"][name] = (advance, getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font.sfntVersion = "\x00\x01\x00\x00"
