"""Markdown to reportlab flowables by token dispatch: one small function per token type."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from markdown_it.token import Token
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, KeepTogether, ListFlowable, ListItem, Paragraph

from builder.errors import BuildError
from builder.markdown import markdown
from builder.pdf.rules import KeepStart, keep_numbers_whole
from builder.pdf.styles import Styles

INLINE_MARKUP = {
    "strong_open": "<b>",
    "strong_close": "</b>",
    "softbreak": " ",
    "hardbreak": "<br/>",
    "link_open": "",
    "link_close": "",
}


def inline_markup(token: Token) -> str:
    """An inline token as reportlab paragraph markup; an unknown token is a content error."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(escape(child.content))
        elif child.type in INLINE_MARKUP:
            parts.append(INLINE_MARKUP[child.type])
        else:
            raise BuildError(f"cannot print '{child.type}' in: {token.content[:60]}")
    return keep_numbers_whole("".join(parts))


class MarkdownFlowables:
    """Turns a Markdown string into flowables in the workbook's styles."""

    def __init__(self, styles: Styles) -> None:
        self.styles = styles
        self.paragraph_style = styles.body
        self.handlers: dict[str, Callable[[list[Token], int], tuple[list[Flowable], int]]] = {
            "heading_open": self.heading,
            "paragraph_open": self.paragraph,
            "bullet_list_open": self.bullet_list,
            "ordered_list_open": self.ordered_list,
        }

    def __call__(self, source: str) -> list[Flowable]:
        return self.blocks(markdown().parse(source), 0, None)[0]

    def keep_lead_ins(self, flowables: list[Flowable]) -> list[Flowable]:
        """Keep headings and lead-ins (a paragraph ending in ':') with the start of what follows.

        reportlab's own keepWithNext cannot hold a list, so the layout's KeepStart does it.
        """
        out: list[Flowable] = []
        held: list[Flowable] = []
        lines = 3 * self.styles.body.leading  # the first item or two of a list
        for flowable in flowables:
            if isinstance(flowable, Paragraph) and getattr(flowable.style, "keepWithNext", False):
                held.append(flowable)
            elif held:
                out.append(KeepStart(held, flowable, lambda a, h: _first(a, h, lines)))
                held = []
            else:
                out.append(flowable)
        return out + held

    def blocks(
        self, tokens: list[Token], start: int, until: str | None
    ) -> tuple[list[Flowable], int]:
        """Flowables for tokens from `start` up to a closing token of type `until`."""
        out: list[Flowable] = []
        i = start
        while i < len(tokens) and tokens[i].type != until:
            handler = self.handlers.get(tokens[i].type)
            if handler is None:
                raise BuildError(f"cannot print Markdown '{tokens[i].type}' (line {tokens[i].map})")
            made, i = handler(tokens, i)
            out += made
        return out, i + 1

    def heading(self, tokens: list[Token], i: int) -> tuple[list[Flowable], int]:
        style = self.styles.h2 if tokens[i].tag == "h2" else self.styles.h3
        return [Paragraph(inline_markup(tokens[i + 1]), style)], i + 3

    def paragraph(self, tokens: list[Token], i: int) -> tuple[list[Flowable], int]:
        text = inline_markup(tokens[i + 1])
        style = self.paragraph_style
        if re.sub(r"<[^>]*>", "", text).rstrip().endswith(":"):  # a lead-in keeps with its list
            style = ParagraphStyle(f"{style.name}-lead", parent=style, keepWithNext=1)
        return [Paragraph(text, style)], i + 3

    def bullet_list(self, tokens: list[Token], i: int) -> tuple[list[Flowable], int]:
        return self.list(tokens, i, "bullet_list_close", "bullet")

    def ordered_list(self, tokens: list[Token], i: int) -> tuple[list[Flowable], int]:
        return self.list(tokens, i, "ordered_list_close", "1")

    def list(
        self, tokens: list[Token], i: int, closing: str, kind: str
    ) -> tuple[list[Flowable], int]:
        items: list[Any] = []
        outer, self.paragraph_style = self.paragraph_style, self.styles.bullet
        i += 1
        while tokens[i].type != closing:
            content, i = self.blocks(tokens, i + 1, "list_item_close")
            items.append(ListItem(content))
        self.paragraph_style = outer
        size = self.styles.body.fontSize
        flowable = ListFlowable(
            items,
            bulletType="bullet" if kind == "bullet" else "1",
            start="\u2022" if kind == "bullet" else None,
            bulletFormat=None if kind == "bullet" else "%s.",
            bulletFontName=self.styles.bold,
            bulletFontSize=size,
            leftIndent=size * 1.4,
            spaceAfter=size * 0.5,
        )
        return [flowable], i + 1


def _first(flowable: Flowable, height: float, lines: float) -> float:
    """How much of what follows a heading must come with it: a kept-together box whole."""
    return height if isinstance(flowable, KeepTogether) else min(height, lines)
