"""The one Markdown parser the loader and every renderer share."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

BOX_NAMES = ("activity", "example", "help", "diagram")


@cache
def markdown() -> MarkdownIt:
    """CommonMark with tables and the course's boxes; raw HTML is never passed through."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    for name in BOX_NAMES:
        md.use(container_plugin, name)
    return md
