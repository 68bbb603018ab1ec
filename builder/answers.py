"""Take in an answers file saved from an offline HTML bundle, checking every part of it.

The format, version 1. One UTF-8 JSON object (at most `MAX_BYTES`), written by the
bundle's "Save my answers file" button:

    {
      "format": "cpo-offline answers",
      "version": 1,
      "course": {"title": "Steps Forward", "version": "<the course's content hash>"},
      "workbook": "WB-7H3K",                 # the workbook number; "SPECIMEN" for a specimen
      "specimen": false,
      "exported": "2026-05-04T10:11:12.345Z", # the device's clock, ISO 8601
      "modules": [                            # every module of the bundle, in course order
        {
          "id": "WB1",
          "title": "Feeling well",
          "checkin": "<the module's QR payload, exactly as on paper>",
          "code": "<the code printed beside it>",
          "activities": [                     # every activity, in order, tried or not
            {"id": "WB1-1", "type": "write", "title": "...", "required": true,
             "answer": <see below>}
          ],
          "declaration": {
            "statement": true,                # "I did this work myself." ticked
            "name": "Sam",                    # as typed ("" if not)
            "date": "2026-05-04",             # YYYY-MM-DD from the date picker; "" if not
                                              # given; any text a browser without one let in
            "minutes": 125                    # time spent, or null if not given or not numbers
          }
        }
      ],
      "checksum": "sha256:<64 lower-case hex digits>"
    }

An activity's `answer` depends on its `type`:

- `write`, `reflect`: the text typed (a string, "" if nothing).
- `choose`: the options ticked, as their words (a list of strings).
- `scale`: one `{"item": words or "", "value": a whole number or null}` for each line rated.
- `list`: one string for each numbered blank.
- `plan`: `{"columns": [...], "labels": [[...], ...], "answers": [[...], ...]}`: two tables
  of strings of the same shape, the words printed in the table ("" in a cell left for the
  client) and what the client typed ("" in a printed cell).

The checksum is SHA-256 over the canonical form of the whole object without its
`checksum` key: JSON with keys sorted, no spaces (separators "," and ":"), every
character outside printable ASCII written as a \\uXXXX escape (as Python's `json.dumps`
with `sort_keys=True, separators=(",", ":")` writes it), encoded as UTF-8. It shows that
the file is whole and unchanged since it was saved; it is not a signature (anyone can
recompute it). That an answers file belongs to an issued workbook is shown by its
check-in payloads, which the tracker issued and checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from builder.errors import CpoError

FORMAT = "cpo-offline answers"
VERSION = 1
MAX_BYTES = 10 * 1024 * 1024  # more than a browser lets a page keep on the device
ACTIVITY_TYPES = ("write", "reflect", "choose", "scale", "list", "plan")
CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}")


class AnswersError(CpoError):
    """An answers file could not be taken in: which file, and why."""

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"{source}: {reason}")


@dataclass(frozen=True)
class Rating:
    """One line of a scale and the number chosen for it (None if none)."""

    item: str
    value: int | None


@dataclass(frozen=True)
class Plan:
    """A filled-in table: the printed words and, in the same shape, what was typed."""

    columns: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    answers: tuple[tuple[str, ...], ...]

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        """The table as it reads: each cell's printed words, or what was typed in it."""
        return tuple(
            tuple(label or typed for label, typed in zip(labels, typed_row, strict=True))
            for labels, typed_row in zip(self.labels, self.answers, strict=True)
        )


AnswerValue = str | tuple[str, ...] | tuple[Rating, ...] | Plan


@dataclass(frozen=True)
class Answer:
    """One activity's answer, as the client left it."""

    id: str
    type: str
    title: str
    required: bool
    value: AnswerValue

    @property
    def tried(self) -> bool:
        """True if anything at all was typed, ticked or chosen."""
        value = self.value
        if isinstance(value, str):
            return bool(value.strip())
        if isinstance(value, Plan):
            return any(cell.strip() for row in value.answers for cell in row)
        return any(
            (v.value is not None) if isinstance(v, Rating) else bool(v.strip()) for v in value
        )


@dataclass(frozen=True)
class Declaration:
    """The form at the end of a module."""

    statement: bool
    name: str
    date: date | None  # None if not given, or not a real YYYY-MM-DD date
    date_text: str  # the date as the file gives it, so an odd one is never lost
    minutes: int | None

    @property
    def complete(self) -> bool:
        """Ticked, named and dated."""
        return self.statement and bool(self.name.strip()) and self.date is not None


@dataclass(frozen=True)
class ModuleAnswers:
    """A module's check-in, answers and declaration."""

    id: str
    title: str
    checkin: str
    code: str
    answers: tuple[Answer, ...]
    declaration: Declaration

    def answer(self, activity_id: str) -> Answer:
        """The answer to this activity; KeyError if the module has no such activity."""
        for answer in self.answers:
            if answer.id == activity_id:
                return answer
        raise KeyError(activity_id)


@dataclass(frozen=True)
class AnswersFile:
    """A whole answers file, checked."""

    source: str
    workbook: str
    specimen: bool
    course_title: str
    course_version: str
    exported: datetime
    modules: tuple[ModuleAnswers, ...]
    checksum: str

    def module(self, module_id: str) -> ModuleAnswers:
        """The module with this id; KeyError if the file has none."""
        for module in self.modules:
            if module.id == module_id:
                return module
        raise KeyError(module_id)


def read_answers(data: bytes, source: str) -> AnswersFile:
    """Check and read an answers file; AnswersError says what is wrong with a bad one."""
    doc = _parse(data, source)
    _Checker(source).check_checksum(doc)
    return _Checker(source).answers_file(doc)


def canonical_json(value: Any) -> bytes:
    """The canonical serialisation the checksum is taken over (see the module's docstring)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def checksum_of(doc: dict[str, Any]) -> str:
    """The checksum an answers object should carry: over everything but its `checksum`."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def _parse(data: bytes, source: str) -> dict[str, Any]:
    if len(data) > MAX_BYTES:
        raise AnswersError(
            source, f"is too big to be an answers file ({len(data):,} bytes; at most {MAX_BYTES:,})"
        )
    if not data.strip():
        raise AnswersError(source, "is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersError(source, "is not an answers file (it is not text)") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_repeats)
    except json.JSONDecodeError as err:
        whole = text.strip()
        if whole.startswith("{") and (not whole.endswith("}") or err.pos >= len(whole) - 1):
            raise AnswersError(source, "is cut short: the end of the file is missing") from None
        raise AnswersError(
            source, f"is not an answers file (not JSON: {err.msg} at line {err.lineno})"
        ) from None
    except _Repeated as err:
        raise AnswersError(source, f"has the field '{err}' twice: it has been edited") from None
    except RecursionError:
        raise AnswersError(source, "is not an answers file (nested too deeply)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AnswersError(source, "is not an answers file from a workbook")
    version = doc.get("version")
    if version != VERSION:
        raise AnswersError(
            source,
            f"is an answers file of version {version!r}; this program reads version {VERSION}",
        )
    return doc


class _Repeated(Exception):
    pass


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Repeated(key)
        out[key] = value
    return out


class _Checker:
    """Checks the shape of each part; the first problem found is raised with where it is."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> AnswersError:
        return AnswersError(self.source, f"{where} {problem}")

    def check_checksum(self, doc: dict[str, Any]) -> None:
        given = doc.get("checksum")
        if not isinstance(given, str) or not CHECKSUM.fullmatch(given):
            raise AnswersError(self.source, "has no checksum, or one of the wrong form")
        if not hmac.compare_digest(given, checksum_of(doc)):
            raise AnswersError(
                self.source, "has been changed since it was saved (its checksum does not match)"
            )

    def answers_file(self, doc: dict[str, Any]) -> AnswersFile:
        self.keys(
            doc,
            "the file",
            {
                "format",
                "version",
                "course",
                "workbook",
                "specimen",
                "exported",
                "modules",
                "checksum",
            },
        )
        course = self.obj(doc["course"], "'course'")
        self.keys(course, "'course'", {"title", "version"})
        modules = self.list(doc["modules"], "'modules'")
        read = tuple(self.module(m, f"module {i + 1}") for i, m in enumerate(modules))
        ids = [m.id for m in read]
        if len(set(ids)) != len(ids):
            raise self.fail("'modules'", "has a module twice")
        return AnswersFile(
            source=self.source,
            workbook=self.text(doc["workbook"], "'workbook'", empty=False),
            specimen=self.flag(doc["specimen"], "'specimen'"),
            course_title=self.text(course["title"], "the course title"),
            course_version=self.text(course["version"], "the course version"),
            exported=self.moment(doc["exported"], "'exported'"),
            modules=read,
            checksum=doc["checksum"],
        )

    def module(self, value: Any, where: str) -> ModuleAnswers:
        m = self.obj(value, where)
        if isinstance(m.get("id"), str) and m["id"].strip():
            where = f"module {m['id']}"
        self.keys(m, where, {"id", "title", "checkin", "code", "activities", "declaration"})
        module_id = self.text(m["id"], f"{where}'s id", empty=False)
        where = f"module {module_id}"
        activities = self.list(m["activities"], f"{where}'s activities")
        answers = tuple(self.answer(a, where) for a in activities)
        if len({a.id for a in answers}) != len(answers):
            raise self.fail(where, "has an activity twice")
        return ModuleAnswers(
            id=module_id,
            title=self.text(m["title"], f"{where}'s title"),
            checkin=self.text(m["checkin"], f"{where}'s check-in", empty=False),
            code=self.text(m["code"], f"{where}'s code", empty=False),
            answers=answers,
            declaration=self.declaration(m["declaration"], f"{where}'s declaration"),
        )

    def answer(self, value: Any, module: str) -> Answer:
        a = self.obj(value, f"an activity of {module}")
        self.keys(a, f"an activity of {module}", {"id", "type", "title", "required", "answer"})
        activity_id = self.text(a["id"], f"an activity id of {module}", empty=False)
        where = f"activity {activity_id}"
        kind = a["type"]
        if kind not in ACTIVITY_TYPES:
            raise self.fail(where, f"has an unknown type {kind!r}")
        return Answer(
            id=activity_id,
            type=kind,
            title=self.text(a["title"], f"{where}'s title"),
            required=self.flag(a["required"], f"{where}'s 'required'"),
            value=self.value(kind, a["answer"], f"{where}'s answer"),
        )

    def value(self, kind: str, value: Any, where: str) -> AnswerValue:
        if kind in ("write", "reflect"):
            return self.text(value, where)
        if kind in ("choose", "list"):
            return tuple(self.text(v, where) for v in self.list(value, where))
        if kind == "scale":
            ratings = []
            for entry in self.list(value, where):
                rating = self.obj(entry, where)
                self.keys(rating, where, {"item", "value"})
                number = rating["value"]
                if number is not None and type(number) is not int:
                    raise self.fail(where, "has a rating that is not a whole number")
                ratings.append(Rating(self.text(rating["item"], where), number))
            return tuple(ratings)
        plan = self.obj(value, where)
        self.keys(plan, where, {"columns", "labels", "answers"})
        columns = tuple(self.text(c, where) for c in self.list(plan["columns"], where))
        labels, typed = self.table(plan["labels"], where), self.table(plan["answers"], where)
        if [len(row) for row in labels] != [len(row) for row in typed]:
            raise self.fail(where, "has its words and answers in tables of different shapes")
        for label_row, typed_row in zip(labels, typed, strict=True):
            if any(label and cell for label, cell in zip(label_row, typed_row, strict=True)):
                raise self.fail(where, "has an answer in a cell that holds printed words")
        return Plan(columns, labels, typed)

    def table(self, value: Any, where: str) -> tuple[tuple[str, ...], ...]:
        return tuple(
            tuple(self.text(cell, where) for cell in self.list(row, where))
            for row in self.list(value, where)
        )

    def declaration(self, value: Any, where: str) -> Declaration:
        d = self.obj(value, where)
        self.keys(d, where, {"statement", "name", "date", "minutes"})
        day = self.text(d["date"], f"{where}'s date")
        # A browser without a date picker lets any text through: keep it, as text.
        when = None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            with contextlib.suppress(ValueError):
                when = date.fromisoformat(day)
        minutes = d["minutes"]
        if minutes is not None and (type(minutes) is not int or minutes < 0):
            raise self.fail(where, "has a time spent that is not a whole number of minutes")
        return Declaration(
            statement=self.flag(d["statement"], f"{where}'s statement"),
            name=self.text(d["name"], f"{where}'s name"),
            date=when,
            date_text=day,
            minutes=minutes,
        )

    # -- the basic shapes --------------------------------------------------------------

    def keys(self, value: dict[str, Any], where: str, wanted: set[str]) -> None:
        missing = sorted(wanted - value.keys())
        if missing:
            raise self.fail(where, f"has no {', '.join(repr(k) for k in missing)}")
        extra = sorted(value.keys() - wanted)
        if extra:
            raise self.fail(where, f"has fields this program does not know: {', '.join(extra)}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "is not a set of fields")
        return value

    def list(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "is not a list")
        return value

    def text(self, value: Any, where: str, empty: bool = True) -> str:
        if not isinstance(value, str):
            raise self.fail(where, "is not text")
        if not empty and not value.strip():
            raise self.fail(where, "is empty")
        return value

    def flag(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, "is not true or false")
        return value

    def moment(self, value: Any, where: str) -> datetime:
        text = self.text(value, where, empty=False)
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(where, f"is not a date and time: {text!r}") from None


def read_module(value: Any, source: str) -> ModuleAnswers:
    """One module's part of an answers file (as intake keeps it), checked; AnswersError if not."""
    return _Checker(source).module(value, "module")
