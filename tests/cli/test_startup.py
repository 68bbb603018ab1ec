"""`cpo` starts without the heavy libraries: each is imported by the command that needs it."""

from __future__ import annotations

import subprocess
import sys

# The web stack (only `cpo serve`), the PDF and image libraries (only rendering and intake),
# the Markdown parser (only reading the course) and the test-only Hypothesis.
HEAVY = (
    "flask",
    "waitress",
    "wtforms",
    "jinja2",
    "reportlab",
    "fontTools",
    "pikepdf",
    "PIL",
    "zxingcpp",
    "markdown_it",
    "hypothesis",
)


def test_starting_cpo_imports_none_of_the_heavy_libraries() -> None:
    # A new interpreter: this one has imported everything the tests use.
    script = "import sys, cpo.cli; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "cpo.commands.serve" in done.stdout.split()  # every command is there to run
