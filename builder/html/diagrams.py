"""Diagrams on screen: a `builder.diagrams.Picture` as inline SVG with a text alternative."""

from __future__ import annotations

from markupsafe import Markup, escape

from builder.course import Diagram
from builder.diagrams import Circle, Line, Picture, Polygon, Shape, Text, draw

TEXT_MM = 14 * 25.4 / 72  # the words at 14 pt, as on the clear-print page
INK = "#1F3A5F"


def diagram_svg(diagram: Diagram, anchor: str) -> Markup:
    """The diagram as a figure: an SVG image named by its text alternative, and its caption."""
    picture = draw(diagram.name, dict(diagram.settings), False, TEXT_MM)
    title, desc = f"{anchor}-title", f"{anchor}-desc"
    body = "".join(_shape(shape, picture) for shape in picture.shapes)
    svg = (
        f'<svg viewBox="0 0 {picture.width:g} {picture.height:g}" role="img" '
        f'aria-labelledby="{title} {desc}" class="diagram-image">'
        f'<title id="{title}">{escape(_title(diagram))}</title>'
        f'<desc id="{desc}">{escape(picture.alt)}</desc>{body}</svg>'
    )
    caption = f"<figcaption>{escape(diagram.caption)}</figcaption>" if diagram.caption else ""
    return Markup(f'<figure class="diagram">{svg}{caption}</figure>')


def _title(diagram: Diagram) -> str:
    return {
        "cycle": "Diagram: thoughts, feelings, body and actions",
        "thermometer": "Diagram: a thermometer from 0 to 10",
        "circles": "Diagram: circles of support",
        "iceberg": "Diagram: an iceberg",
        "drinks": "Diagram: drinks and their units",
        "wave": "Diagram: the urge wave",
    }.get(diagram.name, "Diagram")


def _y(picture: Picture, y: float) -> str:
    return f"{picture.height - y:.2f}"


def _shape(shape: Shape, picture: Picture) -> str:
    """One shape in SVG; y turned over, as SVG counts down from the top."""
    stroke = f'stroke="{INK}" stroke-width="0.5"'
    if isinstance(shape, Line):
        return (
            f'<line x1="{shape.x1:.2f}" y1="{_y(picture, shape.y1)}" x2="{shape.x2:.2f}" '
            f'y2="{_y(picture, shape.y2)}" {stroke}/>'
        )
    if isinstance(shape, Circle):
        return (
            f'<circle cx="{shape.x:.2f}" cy="{_y(picture, shape.y)}" r="{shape.r:.2f}" '
            f'fill="{shape.fill or "none"}" {stroke}/>'
        )
    if isinstance(shape, Polygon):
        points = " ".join(f"{x:.2f},{_y(picture, y)}" for x, y in shape.points)
        tag = "polygon" if shape.closed else "polyline"
        return f'<{tag} points="{points}" fill="{shape.fill or "none"}" {stroke}/>'
    return _text(shape, picture)


def _text(text: Text, picture: Picture) -> str:
    weight = ' font-weight="bold"' if text.bold else ""
    spans = "".join(
        f'<tspan x="{text.x:.2f}" y="{_y(picture, text.y - n * picture.text_mm * 1.25)}">'
        f"{escape(line)}</tspan>"
        for n, line in enumerate(text.lines)
    )
    return (
        f'<text text-anchor="{text.anchor}" font-size="{picture.text_mm:.2f}" '
        f'fill="{INK}"{weight}>{spans}</text>'
    )
