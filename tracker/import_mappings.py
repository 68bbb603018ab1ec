"""How a case system's CSV export names its columns: named presets and custom mappings.

The presets are ASSUMPTIONS: nobody on the project has seen a real CareFirst, Mosaic,
SWIFT or nDelius export. Each is a guess at the usual column headings, to be checked
with an office and corrected here (or overridden by a custom mapping file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError


class Field(StrEnum):
    """What the tracker takes from a row; a mapping names the column(s) for each."""

    REFERENCE = "reference"
    NAME = "name"  # several columns are joined with spaces (forename, surname)
    OFFICE = "office"
    CASE_WORKER = "case_worker"
    CONTACT = "contact"
    ADDRESS = "address"  # several columns are the lines of the address
    REGION = "region"
    EXTRA_TIME = "extra_time"
    HOURS = "hours"
    MADE = "made"
    DEADLINE = "deadline"
    JURISDICTION = "jurisdiction"


REQUIRED = (Field.REFERENCE, Field.NAME)
ORDER_FIELDS = (Field.HOURS, Field.MADE, Field.DEADLINE)


class MappingError(TrackerError):
    """A preset or mapping file that cannot be used, or a CSV that does not fit it."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Mapping:
    """Which columns hold what, and how the export writes dates, offices and the law."""

    name: str
    columns: dict[Field, tuple[str, ...]]
    date_format: str = "%d/%m/%Y"
    jurisdiction: str = "scotland"  # when no column says
    region: str = ""  # when no column says ("" : Scotland for a Scottish order)
    case_worker: str = ""  # when no column says
    offices: dict[str, str] = field(default_factory=dict)  # the export's team -> office code
    encoding: str = "utf-8"


def _cols(**columns: str | tuple[str, ...]) -> dict[Field, tuple[str, ...]]:
    return {Field(k): (v,) if isinstance(v, str) else v for k, v in columns.items()}


PRESETS: dict[str, Mapping] = {
    "carefirst": Mapping(
        "carefirst",
        _cols(
            reference="Person ID",
            name=("Forename", "Surname"),
            office="Team",
            case_worker="Allocated Worker",
            contact="Worker Phone",
            address=("Address Line 1", "Address Line 2", "Address Line 3", "Postcode"),
            hours="Order Hours",
            made="Order Date",
            deadline="Order End Date",
        ),
    ),
    "mosaic": Mapping(
        "mosaic",
        _cols(
            reference="Person ID",
            name=("First Name", "Last Name"),
            office="Team Name",
            case_worker="Worker Name",
            contact="Worker Telephone",
            address=("Address", "Town", "Postcode"),
            hours="Requirement Hours",
            made="Start Date",
            deadline="Expected End Date",
        ),
    ),
    "swift": Mapping(
        "swift",
        _cols(
            reference="Client No",
            name=("Forenames", "Surname"),
            office="Office",
            case_worker="Case Worker",
            contact="Worker Tel",
            address=("Addr1", "Addr2", "Addr3", "Addr4", "Post Code"),
            hours="UPW Hours",
            made="Sentence Date",
            deadline="Completion Date",
        ),
    ),
    "ndelius": Mapping(
        "ndelius",
        _cols(
            reference="CRN",
            name=("Forename", "Surname"),
            office="Team",
            case_worker="Probation Practitioner",
            contact="Practitioner Phone",
            address=("Address Line 1", "Address Line 2", "Town", "County", "Postcode"),
            region="Region",
            hours="Requirement Length (Hours)",
            made="Sentence Date",
            deadline="Expected End Date",
        ),
        jurisdiction="england-wales",
        region="england",
    ),
}

MAPPING_KEYS = {
    "preset",
    "columns",
    "date_format",
    "jurisdiction",
    "region",
    "case_worker",
    "offices",
    "encoding",
}


def preset(name: str) -> Mapping:
    """A named preset; MappingError naming the presets there are."""
    found = PRESETS.get(name.strip().lower())
    if found is None:
        raise MappingError("preset", f"no preset '{name[:40]}': use {', '.join(PRESETS)}")
    return found


def load_mapping(path: Path) -> Mapping:
    """A custom mapping from a JSON or YAML file, starting from a preset if it names one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise MappingError(str(path), f"cannot be read ({err})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except json.JSONDecodeError as err:
        raise MappingError(str(path), f"is not valid JSON ({err})") from None
    except Exception as err:  # yaml.YAMLError (yaml is imported only for a YAML file)
        raise MappingError(str(path), f"is not valid YAML ({str(err).splitlines()[0]})") from None
    return mapping_from(data, path.name)


def mapping_from(data: Any, name: str) -> Mapping:
    """A mapping from decoded JSON/YAML; MappingError naming the first thing wrong."""
    if not isinstance(data, dict):
        raise MappingError(name, "must be a table of settings (columns:, date_format:, ...)")
    unknown = sorted(str(k) for k in data if k not in MAPPING_KEYS)
    if unknown:
        raise MappingError(unknown[0], f"is not a setting (use {', '.join(sorted(MAPPING_KEYS))})")
    base = preset(str(data["preset"])) if "preset" in data else Mapping(name, {})
    columns = dict(base.columns)
    given = data.get("columns", {})
    if not isinstance(given, dict):
        raise MappingError("columns", "must be a table of field: column heading")
    for key, value in given.items():
        try:
            wanted = Field(str(key))
        except ValueError:
            raise MappingError(
                f"columns.{key}", f"is not a field (use {', '.join(f.value for f in Field)})"
            ) from None
        heads = [value] if isinstance(value, str) else value
        if not isinstance(heads, list) or not heads or not all(isinstance(h, str) for h in heads):
            raise MappingError(f"columns.{key}", "must be a column heading or a list of them")
        columns[wanted] = tuple(heads)
    keys = ("date_format", "jurisdiction", "region", "case_worker", "encoding")
    settings = {k: data[k] for k in keys if k in data}
    for key, value in settings.items():
        if not isinstance(value, str):
            raise MappingError(key, "must be text")
    offices = data.get("offices", base.offices)
    if not isinstance(offices, dict):
        raise MappingError("offices", "must be a table of team name: office code")
    mapping = replace(
        base,
        name=name,
        columns=columns,
        offices={str(k): str(v) for k, v in offices.items()},
        **settings,
    )
    missing = [f.value for f in REQUIRED if f not in mapping.columns]
    if missing:
        raise MappingError("columns", f"must name a column for {', '.join(missing)}")
    return mapping
