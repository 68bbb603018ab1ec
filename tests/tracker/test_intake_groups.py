"""Intake records files in groups: each file whole or not at all, reported once committed.

The readings are made up (codes of really issued modules, foreign codes, blank pages,
a page image lost from the spool), so any batch can be tried without rendering a page;
the groups are cut at random (a group's page limit, and readings not back in time).
Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.editions import page_payload
from tests.tracker.conftest import make_order
from tracker import audit
from tracker.intake import run as intake_run
from tracker.intake.pages import PageRead, PageTask, Sheet
from tracker.intake.run import DRY_RUN, REFUSED, TAKEN, FileOutcome, Plan, take_in
from tracker.intake.scans import LOST
from tracker.intake.sources import PDF, Source
from tracker.issuing import issue
from tracker.tracker import Tracker

MODULES = ["WB1", "HC2"]
TOTAL = 4  # the made-up modules' page count
# A page: a page of one of the modules (its index, its number), a foreign code, or blank.
PAGE = st.one_of(
    st.tuples(st.integers(0, len(MODULES) - 1), st.integers(1, TOTAL)),
    st.sampled_from(["foreign", "blank"]),
)
# A file: its pages, and whether one of its page images is lost on the way.
FILE = st.one_of(
    st.tuples(st.lists(PAGE, min_size=1, max_size=4), st.booleans()),
    st.just("refused at planning"),
)


@dataclass
class Batch:
    """A made-up batch: the plan, each page's reading, and what each file should become."""

    plan: Plan
    reads: dict[tuple[int, int], PageRead]
    images: dict[str, bytes]  # each kept page image's bytes, by its name in the records
    lost: set[int]  # files a page image of which is lost


class Handed:
    """Stands in for the reader pool: the batch's readings, back or not back at random."""

    def __init__(self, batch: Batch, back: Iterator[bool]) -> None:
        self.batch, self.back = batch, back

    def __enter__(self) -> Handed:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def read(self, tasks: list[PageTask]) -> Iterator[PageRead]:
        for task in tasks:
            yield self.batch.reads[task.file_index, task.page]

    def back_by(self, count: int, deadline: float) -> bool:
        return next(self.back)


def made_up(t: Tracker, folder: Path, files: list[object], example: int) -> Batch:
    """A batch of `files` (as FILE draws them) over a workbook issued for this example."""
    reference = f"G-{example}"
    make_order(t, reference)
    issued = issue(t, reference, "case", module_ids=MODULES, out_root=folder / "out")
    payloads = [m.payload for m in issued.modules]
    batch = Batch(Plan(), {}, {}, set())
    for index, file in enumerate(files):
        path = folder / f"{example}-{index}.pdf"
        if not isinstance(file, tuple):
            batch.plan.files.append(FileOutcome(path, REFUSED, "a damaged PDF", PDF))
            continue
        pages, lost = file
        sha = hashlib.sha256(f"{example}-{index}".encode()).hexdigest()
        batch.plan.files.append(Source(path, PDF, sha, 1000, len(pages)))
        for n, page in enumerate(pages):
            spooled = folder / f"{example}-{index}-{n}.jpg"
            image = f"\xff\xd8 page {n + 1} of {path.name}".encode()
            if lost and n == len(pages) - 1:
                batch.lost.add(index)
            else:
                spooled.write_bytes(image)
            if isinstance(page, tuple):
                codes: tuple[str, ...] = (page_payload(payloads[page[0]], page[1], TOTAL),)
            else:
                codes = ("https://example.org/another-system",) if page == "foreign" else ()
            sheet = Sheet(codes, b"", spooled=str(spooled))
            batch.reads[index, n] = PageRead(index, n + 1, (sheet,))
            batch.images[f"evidence/{sha[:2]}/{sha}-p{n + 1:04d}.jpg"] = image
    return batch


def expected_classes(batch: Batch, files: list[object], dry_run: bool) -> dict[int, list[str]]:
    """Each taken file's pages' classes, as one file at a time sorts them.

    A dry run undoes each file before the next, so no file sees another's pages.
    """
    seen: set[tuple[int, int]] = set()
    classes: dict[int, list[str]] = {}
    for index, file in enumerate(files):
        if not isinstance(file, tuple) or index in batch.lost:
            continue
        if dry_run:
            seen = set()
        classes[index] = []
        for page in file[0]:
            if page == "foreign":
                classes[index].append("foreign")
            elif page == "blank":
                classes[index].append("unreadable")
            else:
                assert isinstance(page, tuple)
                classes[index].append("duplicate" if page in seen else "ours")
                seen.add(page)
    return classes


def test_files_recorded_in_groups_are_each_whole_and_reported_once_committed(
    tracker: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = itertools.count()

    @settings(
        max_examples=12 if tracker.db.engine == "sqlite" else 5,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        files=st.lists(FILE, min_size=1, max_size=7),
        limit=st.integers(1, 6),
        back=st.lists(st.booleans(), min_size=8, max_size=8),
        dry_run=st.booleans(),
    )
    def whole(files: list[object], limit: int, back: list[bool], dry_run: bool) -> None:
        batch = made_up(tracker, tmp_path, files, next(examples))
        monkeypatch.setattr(intake_run, "GROUP_PAGES", limit)
        pool = Handed(batch, itertools.cycle(back))
        monkeypatch.setattr(intake_run, "ReaderPool", lambda *args: pool)
        shas = [s.sha256 for s in batch.plan.files if isinstance(s, Source)] + ["none"]
        reported: list[int] = []

        def on_page() -> None:  # a page counted as done: its file is in the records already
            with tracker.db.read() as tx:
                reported.append(
                    tx.scalar(
                        f"SELECT COUNT(*) FROM intake_files WHERE sha256 IN "
                        f"({', '.join('?' * len(shas))})",
                        shas,
                    )
                )

        outcomes = list(take_in(tracker, batch.plan, "fac", dry_run, 2, on_page))

        assert [o.path for o in outcomes] == [f.path for f in batch.plan.files]
        classes = expected_classes(batch, files, dry_run)
        for index, outcome in enumerate(outcomes):
            if index in classes:
                assert outcome.status == (DRY_RUN if dry_run else TAKEN)
                assert [p.klass for p in outcome.pages] == classes[index]
            elif index in batch.lost:
                assert outcome.status == REFUSED and outcome.reason.startswith(LOST)
            else:
                assert outcome.status == REFUSED and outcome.reason == "a damaged PDF"
        # Each page reported once, and only once its file (and every taken file before it)
        # is committed: its group's later files may be in already too.
        taken_so_far = list(itertools.accumulate(o.status == TAKEN for o in outcomes))
        pages_of = [len(f[0]) if isinstance(f, tuple) else 0 for f in files]
        least = [n for n, count in zip(taken_so_far, pages_of, strict=True) for _ in range(count)]
        assert len(reported) == len(least)
        assert all(seen >= at_least for seen, at_least in zip(reported, least, strict=True))
        with tracker.db.read() as tx:
            rows = tx.all(
                f"SELECT f.sha256, f.items, COUNT(p.id) AS pages FROM intake_files f"
                f" LEFT JOIN intake_pages p ON p.file_id = f.id"
                f" WHERE f.sha256 IN ({', '.join('?' * len(shas))})"
                " GROUP BY f.sha256, f.items",
                shas,
            )
            kept = {
                r["path"]: bytes(r["data"])
                for r in tx.all(
                    "SELECT e.path, e.data FROM evidence_images e JOIN intake_pages p"
                    " ON p.evidence = e.path JOIN intake_files f ON f.id = p.file_id"
                    f" WHERE f.sha256 IN ({', '.join('?' * len(shas))})",
                    shas,
                )
            }
        assert all(r["items"] == r["pages"] for r in rows)  # nothing half written
        assert len(rows) == (0 if dry_run else len(classes))  # a refused file left nothing
        ours = {
            name
            for index, outcome in enumerate(outcomes)
            if index in classes and not dry_run
            for page in outcome.pages
            if page.klass in ("ours", "unreadable") and (name := page.evidence)
        }
        assert kept == {name: batch.images[name] for name in ours}
        assert not list(tmp_path.glob("*.jpg"))  # the spool emptied, kept or not

    whole()
    assert audit.verify(tracker.db).ok
