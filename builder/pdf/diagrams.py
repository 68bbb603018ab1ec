"""Diagrams on paper: a `builder.diagrams.Picture` as reportlab vector shapes, print-sharp."""

from __future__ import annotations

from typing import Literal

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, String
from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from builder.course import Diagram
from builder.diagrams import Circle as CircleShape
from builder.diagrams import Line as LineShape
from builder.diagrams import Picture, Shape, Text, draw
from builder.diagrams import Polygon as PolygonShape
from builder.pdf.styles import INK, Styles

_ANCHORS: dict[str, Literal["start", "middle", "end"]] = {
    "start": "start",
    "middle": "middle",
    "end": "end",
}


def diagram_flowables(diagram: Diagram, styles: Styles, write: bool) -> list[Flowable]:
    """The diagram (with room to write in its parts when `write`) and its caption.

    The caller keeps them together.
    """
    picture = picture_for(diagram, styles, write)
    out: list[Flowable] = [Spacer(1, 2 * mm), drawing(picture, styles), Spacer(1, 3 * mm)]
    if diagram.caption:
        out.append(Paragraph(diagram.caption, styles.body))
    return out


def picture_for(diagram: Diagram, styles: Styles, write: bool) -> Picture:
    """The diagram's picture, its words at the profile's body size."""
    text_mm = styles.body.fontSize / mm
    return draw(diagram.name, dict(diagram.settings), write, text_mm)


def drawing(picture: Picture, styles: Styles) -> Drawing:
    """The picture as a reportlab Drawing, in millimetres, its words in the workbook's font."""
    out = Drawing(picture.width * mm, picture.height * mm)
    # Points, not a scaled group: the words are set at the body size itself.
    out.add(Group(*(_shape(shape, picture, styles) for shape in picture.shapes)))
    out.hAlign = "CENTER"
    return out


def _shape(shape: Shape, picture: Picture, styles: Styles) -> Group:
    """One shape; lines 0.5 mm wide in the workbook's ink."""
    width = 0.5 * mm
    if isinstance(shape, LineShape):
        x1, y1, x2, y2 = (v * mm for v in (shape.x1, shape.y1, shape.x2, shape.y2))
        line = Line(x1, y1, x2, y2, strokeColor=INK, strokeWidth=width)
        return Group(line)
    if isinstance(shape, CircleShape):
        fill = HexColor(shape.fill) if shape.fill else None
        return Group(
            Circle(
                shape.x * mm,
                shape.y * mm,
                shape.r * mm,
                strokeColor=INK,
                strokeWidth=width,
                fillColor=fill,
            )
        )
    if isinstance(shape, PolygonShape):
        points = [c * mm for point in shape.points for c in point]
        if not shape.closed:
            return Group(PolyLine(points, strokeColor=INK, strokeWidth=width * 1.5))
        fill = HexColor(shape.fill) if shape.fill else None
        return Group(Polygon(points, strokeColor=INK, strokeWidth=width, fillColor=fill))
    return _text(shape, picture, styles)


def _text(text: Text, picture: Picture, styles: Styles) -> Group:
    """Lines of text, each at the body size."""
    size = picture.text_mm * mm
    font = styles.bold if text.bold else styles.regular
    group = Group()
    for n, line in enumerate(text.lines):
        group.add(
            String(
                text.x * mm,
                text.y * mm - n * size * 1.25,
                line,
                fontName=font,
                fontSize=size,
                fillColor=INK,
                textAnchor=_ANCHORS[text.anchor],
            )
        )
    return group
