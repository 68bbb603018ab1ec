"""A library refusal, shown beside the form field it is about."""

from __future__ import annotations

from typing import Any

from tracker.errors import TrackerError

# The library's field names, as the forms name them.
FIELDS = {
    "the case reference": "reference",
    "the name": "name",
    "the case worker": "case_worker",
    "the contact": "contact",
    "the reason": "reason",
    "the office": "office",
    "the address": "address",
}


def refuse(form: Any, err: TrackerError, default: str) -> None:
    """Put the library's reason on the field it names (or `default`), as GOV.UK shows errors."""
    field = FIELDS.get(str(getattr(err, "field", "")), str(getattr(err, "field", "")))
    target = getattr(form, field, None) if field else None
    if target is None or not hasattr(target, "errors"):
        target = getattr(form, default)
    from tracker.validate import InputError

    whole = isinstance(err, InputError) or not getattr(err, "reason", "")
    reason = str(err) if whole else str(err.reason)  # type: ignore[attr-defined]
    target.errors = [*list(target.errors or []), reason[:1].upper() + reason[1:]]
