"""Markdown to HTML for the screen: the shared parser, a fixed set of tokens, nothing remote.

The parser has raw HTML turned off, so every character of the course is escaped. On top
of that, only the tokens the course uses (and the PDF renderer can print) are let
through: an image would be a request leaving the page, so it is a content error, as is
any token nobody has decided how to show.
"""

from __future__ import annotations

from markdown_it.token import Token
from markupsafe import Markup

from builder.errors import BuildError
from builder.html.wording import on_screen, phone_links
from builder.markdown import markdown

BLOCK_TOKENS = frozenset(
    {
        "paragraph_open",
        "paragraph_close",
        "heading_open",
        "heading_close",
        "bullet_list_open",
        "bullet_list_close",
        "ordered_list_open",
        "ordered_list_close",
        "list_item_open",
        "list_item_close",
        "inline",
    }
)
INLINE_TOKENS = frozenset(
    {"text", "code_inline", "softbreak", "hardbreak", "strong_open", "strong_close"}
)
# A link is shown as its words: the bundle is read offline, and a link out is a request.
DROPPED_INLINE = frozenset({"link_open", "link_close"})
DEEPEST_HEADING = 6


def markdown_html(source: str, top: int = 2) -> Markup:
    """`source` as safe HTML for the screen; `##` becomes `<h{top}>` and `###` the level below.

    Paper words are replaced (see builder.html.wording) and phone numbers can be tapped.
    """
    tokens = markdown().parse(on_screen(source))
    for token in tokens:
        if token.type not in BLOCK_TOKENS:
            raise BuildError(f"cannot show Markdown '{token.type}' on screen (line {_line(token)})")
        if token.type.startswith("heading_"):
            level = min(max(int(token.tag[1]) - 2 + top, top), DEEPEST_HEADING)
            token.tag = f"h{level}"
        if token.children is not None:
            token.children = _inline(token)
    return phone_links(Markup(markdown().renderer.render(tokens, markdown().options, {})))


def _inline(token: Token) -> list[Token]:
    kept: list[Token] = []
    for child in token.children or []:
        if child.type in DROPPED_INLINE:
            continue
        if child.type not in INLINE_TOKENS:
            raise BuildError(f"cannot show '{child.type}' on screen in: {token.content[:60]}")
        kept.append(child)
    return kept


def _line(token: Token) -> str:
    return str(token.map[0] + 1) if token.map else "?"
