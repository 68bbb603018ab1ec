"""Read a case system's CSV export into checked rows (the import applies them).

Every cell is checked as input; a row that cannot be read or checked becomes a
`RowRefused` naming its field, so the import reports it by line and goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from builder.regions import Region
from tracker.errors import TrackerError
from tracker.import_mappings import ORDER_FIELDS, Field, Mapping, MappingError
from tracker.people import check_address
from tracker.policy import get_policy, hours, parse_hours
from tracker.validate import InputError, check_case_reference, check_text, problem

LONGEST_FILE = 20 * 1024 * 1024  # a caseload export is kilobytes; this is not one
LONGEST_FIELD = 1000
YES, NO = {"y", "yes", "true", "1", "x"}, {"", "n", "no", "false", "0"}


class RowRefused(TrackerError):
    """A row that cannot be imported: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Row:
    """A row's values, checked."""

    reference: str
    name: str
    office: str
    case_worker: str
    contact: str
    address: tuple[str, ...]
    region: Region | None
    extra_time: bool | None
    order: tuple[str, int, date, date] | None  # jurisdiction, minutes, made, deadline


def decode(data: bytes, mapping: Mapping) -> str:
    """The file's text; bytes the encoding cannot read stay marked for the row they are in."""
    if len(data) > LONGEST_FILE:
        raise MappingError("file", f"is over {LONGEST_FILE // 1024 // 1024} MB: not a CSV export")
    try:
        codecs.lookup(mapping.encoding)
    except LookupError:
        raise MappingError("encoding", f"'{mapping.encoding[:40]}' is not an encoding") from None
    text = data.decode(mapping.encoding, errors="surrogateescape")
    return text.removeprefix("\ufeff")  # Excel's byte-order mark


def read_rows(text: str, mapping: Mapping) -> Iterator[tuple[int, dict[str, str] | RowRefused]]:
    """(line, values by column heading) for each row; a row csv cannot read is a refusal."""
    reader = csv.reader(io.StringIO(text.replace("\x00", "\ufffd"), newline=""))
    header = _header(reader, mapping)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield reader.line_num, RowRefused("row", f"is not CSV ({err})")
            continue
        if not any(c.strip() for c in cells):
            continue  # a blank line (the end of many exports) is not a row
        if len(cells) > len(header):
            yield (
                reader.line_num,
                RowRefused("row", f"has {len(cells)} cells, more than the {len(header)} headings"),
            )
            continue
        yield reader.line_num, dict(zip(header, cells, strict=False))


def _header(reader: Iterator[list[str]], mapping: Mapping) -> list[str]:
    """The heading row, checked against the mapping; MappingError if it does not fit."""
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise MappingError("file", "is empty: a CSV export starts with a row of headings") from None
    except csv.Error as err:
        raise MappingError("headings", f"are not CSV ({err})") from None
    bad = [h for h in header if problem(h, 200)]
    if bad:
        raise MappingError("headings", f"'{bad[0][:40]!r}' {problem(bad[0], 200)}")
    missing = [
        column
        for f, columns in mapping.columns.items()
        if f in (Field.REFERENCE, Field.NAME)
        for column in columns
        if column not in header
    ]
    if missing:
        shown = ", ".join(h for h in header[:8] if h) or "none"
        raise MappingError(
            "headings",
            f"no column '{missing[0]}' for the {mapping.name} mapping (the file has: {shown})",
        )
    return header


def first_column(mapping: Mapping, wanted: Field) -> str:
    return mapping.columns.get(wanted, ("",))[0]


def _get(values: dict[str, str], mapping: Mapping, wanted: Field, joiner: str = " ") -> str:
    """A field's text: its columns' cells joined, each checked as input."""
    parts = []
    for column in mapping.columns.get(wanted, ()):
        cell = values.get(column, "")
        why = problem(cell, LONGEST_FIELD)
        if why:
            raise RowRefused(wanted.value, why)
        if cell.strip():
            parts.append(cell.strip())
    return joiner.join(parts)


def check_row(values: dict[str, str], mapping: Mapping, office: str | None) -> Row:
    """The row's values checked: RowRefused or InputError naming the first field at fault."""
    reference = check_case_reference(_get(values, mapping, Field.REFERENCE), "reference")
    name = check_text(_get(values, mapping, Field.NAME), "name", 100, required=True)
    team = _get(values, mapping, Field.OFFICE)
    office_code = mapping.offices.get(team, team.lower().replace(" ", "-")) if team else office
    if not office_code:
        raise RowRefused("office", "is empty, and no --office was given")
    worker = _get(values, mapping, Field.CASE_WORKER) or mapping.case_worker
    case_worker = check_text(worker, "case_worker", 100, required=True)
    contact = check_text(_get(values, mapping, Field.CONTACT), "contact", 60)
    address = _address(values, mapping)
    return Row(
        reference,
        name,
        office_code,
        case_worker,
        contact,
        address,
        _region(_get(values, mapping, Field.REGION) or mapping.region),
        _yes_no(_get(values, mapping, Field.EXTRA_TIME), Field.EXTRA_TIME in mapping.columns),
        _order(values, mapping),
    )


def _address(values: dict[str, str], mapping: Mapping) -> tuple[str, ...]:
    """The postal lines: one column a line, or lines inside one cell (as Mosaic may write)."""
    lines: list[str] = []
    for column in mapping.columns.get(Field.ADDRESS, ()):
        cell = values.get(column, "")
        why = problem(cell, LONGEST_FIELD, lines=True)
        if why:
            raise RowRefused("address", why)
        lines.extend(part.strip() for part in cell.replace("\r", "").split("\n"))
    try:
        return check_address(lines)
    except InputError as err:
        raise RowRefused("address", err.reason) from None


def _region(text: str) -> Region | None:
    if not text:
        return None
    try:
        return Region(text.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Region)
        raise RowRefused("region", f"'{text[:40]}' is not a region (use {names})") from None


def _yes_no(text: str, mapped: bool) -> bool | None:
    if not mapped:
        return None
    if text.strip().lower() in YES:
        return True
    if text.strip().lower() in NO:
        return False
    raise RowRefused("extra_time", f"'{text[:40]}' is not yes or no")


def _order(values: dict[str, str], mapping: Mapping) -> tuple[str, int, date, date] | None:
    """The row's order (jurisdiction, minutes, made, deadline), or None if it has none."""
    texts = {f: _get(values, mapping, f) for f in ORDER_FIELDS}
    if not any(texts.values()):
        return None
    empty = [f.value for f, text in texts.items() if not text]
    if empty:
        raise RowRefused(empty[0], "is empty, but the row has an order")
    jurisdiction = (_get(values, mapping, Field.JURISDICTION) or mapping.jurisdiction).lower()
    try:
        policy = get_policy(jurisdiction)
    except TrackerError as err:
        raise RowRefused("jurisdiction", str(err)) from None
    try:
        minutes = parse_hours(texts[Field.HOURS], "hours")
    except TrackerError:
        raise RowRefused("hours", f"'{texts[Field.HOURS][:40]}' is not a number of hours") from None
    if not policy.min_minutes <= minutes <= policy.max_minutes:
        raise RowRefused(
            "hours",
            f"{hours(minutes)} is not an order {policy.label} can make "
            f"(from {hours(policy.min_minutes)} to {hours(policy.max_minutes)})",
        )
    made = _date(texts[Field.MADE], mapping, "made")
    deadline = _date(texts[Field.DEADLINE], mapping, "deadline")
    if deadline < made:
        raise RowRefused("deadline", f"{deadline} is before the order was made ({made})")
    return jurisdiction, minutes, made, deadline


def _date(text: str, mapping: Mapping, field: str) -> date:
    for form in (mapping.date_format, "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    shown = datetime(2026, 11, 23).strftime(mapping.date_format)
    raise RowRefused(field, f"'{text[:40]}' is not a date like {shown}")
