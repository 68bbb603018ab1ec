"""The layout is the architecture: builder never imports tracker; libraries never import click."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO


def imported_modules(package: str) -> Iterator[tuple[Path, str]]:
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                yield path, node.module


@pytest.mark.parametrize("package", ["builder", "tracker"])
def test_libraries_never_import_click(package: str) -> None:
    assert not [p for p, name in imported_modules(package) if name.split(".")[0] == "click"]


def test_builder_never_imports_tracker_or_the_cli() -> None:
    bad = [(p, n) for p, n in imported_modules("builder") if n.split(".")[0] in ("tracker", "cpo")]
    assert not bad
