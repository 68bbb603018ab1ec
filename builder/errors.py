"""The project's errors: one root class, one subclass per area."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CpoError(Exception):
    """Something the user can fix; the command line shows it as `Error: ...`."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, where it is, and how to fix it."""

    path: Path
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ContentError(CpoError):
    """The course content has problems; every one of them is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} {noun} in the course content:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class BuildError(CpoError):
    """A workbook could not be built (bad module id, profile or output folder)."""
