"""Print many clients' workbooks at once, across cores.

Each worker process lays out a module set once, then stamps every client who has it.
Outcomes come back in the order the jobs were given; a job that cannot be printed
reports why and the rest of the batch goes on.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from builder.course import Course
from builder.editions import CheckIn, Personal
from builder.errors import BuildError, Problem
from builder.pdf.document import client_edition, layout_for, write_atomically
from builder.pdf.stamp import stamp


@dataclass(frozen=True)
class Job:
    """One client's workbook to print."""

    module_ids: tuple[str, ...]
    profile: str
    personal: Personal
    checkins: tuple[CheckIn, ...]
    out_path: Path


@dataclass(frozen=True)
class Outcome:
    """What became of a job: the file and its page count, or why it was not printed."""

    job: Job
    pages: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def render_batch(course: Course, jobs: Sequence[Job], workers: int = 0) -> Iterator[Outcome]:
    """Print every job, yielding outcomes in job order as they finish.

    `workers` is the number of processes; 0 means one per core, 1 prints in this process.
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(jobs) < 2:
        _start_worker(course)
        yield from map(_print, jobs)
        return
    # Jobs go out in small chunks: few enough round trips, and the progress still moves.
    chunk = max(1, min(8, len(jobs) // (workers * 4)))
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(course,)) as pool:
        yield from pool.map(_print, jobs, chunksize=chunk)


JOB_KEYS = {"workbook", "reference", "contact", "profile", "modules", "checkins"}
# What `cpo issue --json` says beside a job: read past, so its output feeds a batch directly.
ISSUED_KEYS = {"client", "order", "issued_on", "due_on", "files"}
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


def read_jobs(path: Path, out_dir: Path) -> tuple[list[Job], list[Problem]]:
    """Jobs from a JSON Lines file, one workbook a line; a bad line is a problem, not a stop.

    A line looks like:
    {"workbook": "WB-7H3K", "reference": "C-1042", "contact": "Ana, 0141 000 0000",
     "profile": "standard", "modules": ["WB1", "HC2"],
     "checkins": [{"payload": "...", "code": "..."}, {"payload": "...", "code": "..."}]}
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BuildError(f"cannot read the jobs file {path}: {err}") from None
    jobs: list[Job] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            jobs.append(_job(json.loads(line), out_dir))
        except json.JSONDecodeError as err:
            problems.append(Problem(path, number, f"not JSON: {err.msg}", "one job per line"))
        except (BuildError, KeyError, TypeError, ValueError) as err:
            problems.append(Problem(path, number, _reason(err)))
    return jobs, problems


def _job(data: object, out_dir: Path) -> Job:
    if not isinstance(data, dict):
        raise BuildError('a job is a JSON object: {"workbook": ..., "modules": [...], ...}')
    unknown = sorted(set(data) - JOB_KEYS - ISSUED_KEYS)
    if unknown:
        raise BuildError(f"unknown key {unknown[0]!r} (a job has {', '.join(sorted(JOB_KEYS))})")
    workbook = str(data["workbook"])
    if not SAFE_NAME.fullmatch(workbook):
        raise BuildError(
            f"workbook {workbook!r} cannot name a file: use letters, digits, - and _ only"
        )
    checkins = tuple(CheckIn(str(c["payload"]), str(c["code"])) for c in data["checkins"])
    return Job(
        module_ids=tuple(str(m["module"] if isinstance(m, dict) else m) for m in data["modules"]),
        profile=str(data.get("profile", "standard")),
        personal=Personal(str(data["reference"]), workbook, contact=str(data.get("contact", ""))),
        checkins=checkins,
        out_path=out_dir / f"{workbook}.pdf",
    )


def _reason(err: Exception) -> str:
    if isinstance(err, KeyError):
        return f"missing key {err.args[0]!r}"
    return str(err) if isinstance(err, BuildError) else f"bad value: {err}"


_course: Course | None = None


def _start_worker(course: Course) -> None:
    global _course
    _course = course


def _print(job: Job) -> Outcome:
    assert _course is not None, "_start_worker sets the course first"
    try:
        edition = client_edition(_course, job.module_ids, job.profile, job.personal, job.checkins)
        layout = layout_for(edition)
        write_atomically(stamp(layout, edition), job.out_path)
    except BuildError as err:
        return Outcome(job, error=str(err))
    return Outcome(job, pages=layout.pages)
