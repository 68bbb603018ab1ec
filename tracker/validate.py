"""Input at the edge: text from arguments, standard input, files and settings, checked once.

Text that reached Python from bytes that were not UTF-8 holds lone surrogates (the
`surrogateescape` way); a NUL byte breaks PostgreSQL; a control character (a new line,
a terminal escape) would print as something else than was typed. Each is refused here
with the field and the reason, before it reaches the records or a terminal.

Case references have one syntax, which cannot be mistaken for an order reference:
letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 30
characters, and never `/`. An order is always `CASEREF/N`.
"""

from __future__ import annotations

import re
import unicodedata

from tracker.errors import TrackerError

CASE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,29}")
CASE_REFERENCE_RULE = "up to 30 letters, digits, '-', '_' or '.' (no '/'), like C-1042"
LONGEST_ARGUMENT = 1000  # no argument of any command needs more


class InputError(TrackerError):
    """A value cpo cannot take as typed or read: which field, and why."""

    def __init__(self, field: str, reason: str, value: str = "") -> None:
        self.field, self.reason = field, reason
        shown = f" '{show(value, 40)}'" if value else ""
        super().__init__(f"{field}{shown} {reason}")


def problem(text: str, limit: int | None = None, lines: bool = False) -> str:
    """Why `text` cannot be taken (empty if it can): bad bytes, NUL, control, length."""
    if any("\udc80" <= c <= "\udcff" or "\ud800" <= c <= "\udfff" for c in text):
        return "is not valid UTF-8 text"
    if "\x00" in text:
        return "holds a NUL byte"
    allowed = "\n\t" if lines else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        return "holds a control character (a new line or a terminal escape, say)"
    if limit is not None and len(text) > limit:
        return f"is longer than {limit} characters"
    return ""


def check_text(text: str, field: str, limit: int | None = None, required: bool = False) -> str:
    """`text` stripped and in Unicode's composed form; InputError saying why if it is unusable."""
    why = problem(text, limit)
    if why:
        raise InputError(field, why, text)
    cleaned = unicodedata.normalize("NFC", text.strip())
    if required and not cleaned:
        raise InputError(field, "is empty")
    return cleaned


def check_case_reference(text: str, field: str = "case reference") -> str:
    """A case reference in the one syntax (see the module's docstring)."""
    cleaned = check_text(text, field, 100, required=True)
    if not CASE_REFERENCE.fullmatch(cleaned):
        raise InputError(field, f"must be {CASE_REFERENCE_RULE}", cleaned)
    return cleaned


def show(text: str, limit: int | None = 200) -> str:
    """`text` safe to print: unprintable characters and bad bytes written as escapes."""
    shown = "".join(
        c if c.isprintable() and not "\ud800" <= c <= "\udfff" else _escape(c) for c in text
    )
    if limit is not None and len(shown) > limit:
        return shown[: limit - 1] + "…"
    return shown


def _escape(c: str) -> str:
    if "\udc80" <= c <= "\udcff":
        return f"\\x{ord(c) - 0xDC00:02x}"  # the byte surrogateescape stood in for
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
