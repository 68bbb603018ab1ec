"""Intake speed: 200 degraded 300-dpi pages taken in, as `cpo intake` takes them in.

Two clients are issued real workbooks; 200 of their module pages are rendered at 300 dpi
and degraded as copiers and phones degrade them (benchmarks/degrade.py). 150 go into
three scanner PDFs (one JPEG a page, as copiers write them) and 50 are loose phone
photos (JPEG). What is timed is `plan_intake` + `take_in` on SQLite: hashing, rendering,
reading, sorting, storing evidence and recording, with the worker processes' start-up;
two workers against one, alternately, with the CPU each process used (`scaling`). Each
intake runs in a process of its own, started for it, as `cpo intake` does: the workers are
forked from that process, and forking the benchmark itself (which holds the 200 rendered
pages, some 2.7 GB) made each fork and each worker's first pages cost several times what
they cost `cpo intake` (issue 19, round nine). The whole command, Python's start-up
included, is timed beside it.
The same pages then go through the readers side by side (benchmarks/intake_read.py).

Then the harder kinds (tests/intake/marks.py): pages with a pen stroke or a staple
across one of the page's two page codes (half of them degraded as well), and photos of
two pages side by side, taken in the same way, with their read rate, and zbar on the
marked pages; then the readers on marked pages as printed before issue 13 (one code).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from PIL import Image

from benchmarks.common import heading, row
from tests.degrade import degrade
from tracker.accounts import act_as_first_admin
from tracker.config import initialise, load
from tracker.intake.run import TAKEN, plan_intake, take_in
from tracker.intake.workers import ReaderPool
from tracker.issuing import issue
from tracker.orders import add_order
from tracker.people import add_client, add_office
from tracker.tracker import Tracker, open_tracker

PAGES = 200
DPI = 300
SEED = 2026
MARKED = 100  # pages with a pen stroke or a staple across the page code
PAIRS = 15  # photos of two pages side by side


def issue_workbooks(t: Tracker, out: Path) -> list[Path]:
    """Two clients, each with a workbook of every module; the workbooks' paths."""
    add_office(t, "bench", "Bench office", "bench")
    paths = []
    for reference in ("B-1", "B-2"):
        add_client(t, reference, f"Client {reference}", "bench", "Ana Lopez", "bench")
        add_order(t, reference, "scotland", 300 * 60, date(2026, 11, 2), date(2027, 11, 1), "bench")
        issued = issue(
            t, reference, "bench", module_ids=[m.id for m in t.course.modules], out_root=out
        )
        paths.append(issued.folder / "workbook.pdf")
    return paths


def clean_pages(workbooks: list[Path], count: int, dpi: int = DPI) -> list[Image.Image]:
    """`count` module pages at `dpi`, as printed, in workbook order."""
    pages: list[Image.Image] = []
    per_book = count // len(workbooks)
    for path in workbooks:
        document = pdfium.PdfDocument(str(path))
        # What a client sends back: module pages (each with its page code), not the
        # cover, contents or theme pages.
        footer = re.compile(r"^[A-Z]{2}\d\s+·\s+Page \d+ of \d+\s*$", re.M)
        indexes = [
            i
            for i in range(len(document))
            if footer.search(document[i].get_textpage().get_text_range())
        ]
        for index in indexes[:per_book]:
            image = document[index].render(scale=dpi / 72, grayscale=True).to_pil()
            pages.append(image.convert("L"))
    return pages


def degraded_pages(workbooks: list[Path], count: int) -> list[Image.Image]:
    """`count` module pages at 300 dpi, degraded, in a shuffled order."""
    rng = random.Random(SEED)
    pages = [degrade(image, rng)[0] for image in clean_pages(workbooks, count)]
    rng.shuffle(pages)
    return pages


def marked_pages(workbooks: list[Path], count: int, old: bool = False) -> list[Image.Image]:
    """`count` pages with a pen stroke or a staple across a page code, half degraded too.

    The mark crosses one of the page's two codes, picked at random; with `old`, the
    page is as printed before issue 13 (no code bottom left) and the mark crosses its one.
    """
    from PIL import ImageDraw

    from tests.intake.marks import MARKS
    from tracker.intake.pages import parse
    from tracker.intake.reader import find_codes

    rng = random.Random(SEED + 1)
    pages = clean_pages(workbooks, count * 3)[1::3]  # other pages than the degraded set's
    marked = []
    for n, page in enumerate(pages[:count]):
        found = find_codes(page, lambda codes: False)  # every strategy, so both copies
        boxes = sorted(f.box for f in found if parse(f.text).number is not None)
        box = rng.choice(boxes)
        if old:
            left, top, right, bottom = boxes[0]
            ImageDraw.Draw(page).rectangle((left - 20, top - 20, right + 20, bottom + 20), 255)
            box = boxes[-1]
        image = MARKS["pen" if n % 2 else "staple"](page, box, rng)
        marked.append(degrade(image, rng)[0] if rng.random() < 0.5 else image)
    return marked


def two_page_photos(workbooks: list[Path], pairs: int, folder: Path) -> list[Path]:
    """`pairs` phone photos, each of two pages lying side by side (200 dpi pages)."""
    from tests.intake.marks import side_by_side

    rng = random.Random(SEED + 2)
    pages = clean_pages(workbooks, pairs * 6, dpi=200)[2::3]  # not the marked set's pages
    files = []
    for n in range(pairs):
        path = folder / f"two-{n:02d}.jpg"
        side_by_side(pages[2 * n], pages[2 * n + 1], rng).save(path, "JPEG", quality=85)
        files.append(path)
    return files


def write_envelopes(pages: list[Image.Image], folder: Path) -> list[Path]:
    """Three scanner PDFs of 50 pages and 50 phone photos."""
    files = []
    for n in range(3):
        batch = pages[n * 50 : (n + 1) * 50]
        path = folder / f"scan-{n}.pdf"
        batch[0].save(
            path, "PDF", save_all=True, append_images=batch[1:], resolution=DPI, quality=75
        )
        files.append(path)
    for n, image in enumerate(pages[150:]):
        path = folder / f"photo-{n:02d}.jpg"
        image.save(path, "JPEG", quality=85)
        files.append(path)
    return files


@dataclass
class Run:
    """One timed intake: wall seconds, and CPU seconds in each process.

    The forkserver's is its own start-up (importing the reader), paid once a run where
    one is used (the web app); `cpo intake`, like this benchmark, forks its workers from
    the intake process and starts none. Workers' are counted apart.
    """

    seconds: float
    main_cpu: float
    worker_cpu: list[float]
    server_cpu: float = 0.0
    # Seconds each worker slept (nothing to read, or waiting on the pipe back), and its
    # waits (voluntary context switches): neither counts time the machine's others took.
    worker_idle: list[float] = field(default_factory=list)
    worker_waits: list[int] = field(default_factory=list)
    main_idle: float = 0.0  # the main thread asleep: waiting for readings, or the disk

    @property
    def cpu(self) -> float:
        return self.main_cpu + sum(self.worker_cpu) + self.server_cpu


def asleep(pid: int, task: int = 0) -> float:
    """Seconds a process (or one of its threads) has slept since it started: on no core.

    Its lifetime less its time on a core and its time waiting for one (schedstat), so a
    busy machine's other work does not count as idle.
    """
    where = Path(f"/proc/{pid}") / (f"task/{task}" if task else "")
    on_core, waiting, _ = (int(n) for n in (where / "schedstat").read_text().split())
    started = int((where / "stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started / os.sysconf("SC_CLK_TCK") - (on_core + waiting) / 1e9


def waits(pid: int) -> int:
    """How many times a process gave up its core to wait (voluntary context switches)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("voluntary_ctxt_switches:")[1].split()[0])


def process_cpu(pid: int) -> float:
    """CPU seconds a process has used itself, its children not counted (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def counting_workers(into: Run) -> Iterator[None]:
    """Note each worker's CPU seconds, sleep and waits (from /proc) before the pool ends it."""
    stop = ReaderPool._stop

    def _stop(self: ReaderPool) -> None:
        for pid in self.worker_pids():
            into.worker_cpu.append(process_cpu(pid))
            into.worker_idle.append(asleep(pid))
            into.worker_waits.append(waits(pid))
        stop(self)

    ReaderPool._stop = _stop  # type: ignore[method-assign]
    try:
        yield
    finally:
        ReaderPool._stop = stop  # type: ignore[method-assign]


def forkserver_cpu_then_stop() -> float:
    """The forkserver's own CPU seconds, then stop it: each run starts its own, as cpo does."""
    server: Any = forkserver._forkserver  # its pid and _stop are private: typeshed omits them
    pid = server._forkserver_pid
    if pid is None:
        return 0.0
    cpu = process_cpu(pid)
    server._stop()  # CPython's own tests stop it so
    return cpu


def take_in_timed(data: Path, files: list[Path], workers: int) -> tuple[Run, int, dict[str, int]]:
    """The intake timed, pages read, and how the pages were sorted."""
    # Each copy of the records is its own: config.json names the original's database.
    config = replace(load(data), database_url=str(data / "tracker.db"))
    run = Run(0.0, 0.0, [])
    with open_tracker(config) as t, counting_workers(run):
        act_as_first_admin(t, "bench", "a benchmark password")
        forkserver_cpu_then_stop()  # one left by an earlier run would start this one warm
        main = threading.get_native_id()
        start, cpu, slept = time.perf_counter(), time.process_time(), asleep(os.getpid(), main)
        outcomes = list(take_in(t, plan_intake(t, files, workers), "bench", workers=workers))
        run.seconds, run.main_cpu = time.perf_counter() - start, time.process_time() - cpu
        run.main_idle = asleep(os.getpid(), main) - slept
        run.server_cpu = forkserver_cpu_then_stop()
    classes: dict[str, int] = {}
    for outcome in outcomes:
        assert outcome.status == TAKEN, outcome.reason
        for klass, n in outcome.counts.items():
            classes[klass] = classes.get(klass, 0) + n
    return run, sum(classes.values()), classes


def take_in_all(data: Path, files: list[Path], workers: int) -> tuple[float, int, dict[str, int]]:
    """Seconds to take the files in, pages read, and how the pages were sorted."""
    run, read, classes = take_in_fresh(data, files, workers)
    return run.seconds, read, classes


def take_in_fresh(data: Path, files: list[Path], workers: int) -> tuple[Run, int, dict[str, int]]:
    """`take_in_timed` in a process started for it (`python -m benchmarks.intake take-in`).

    What `cpo intake` is: a process that has loaded the tracker and the reader, and
    nothing else, from which the workers are forked.
    """
    command = [sys.executable, "-m", "benchmarks.intake", "take-in", str(data), str(workers)]
    done = subprocess.run([*command, *map(str, files)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the timed intake failed:\n{done.stderr[-2000:]}")
    told = json.loads(done.stdout)
    return Run(**told["run"]), told["read"], told["classes"]


def command_seconds(data: Path, files: list[Path], workers: int) -> float:
    """Wall seconds of the whole `cpo intake --workers N` command, Python's start-up included."""
    cpo = Path(sys.executable).with_name("cpo")
    environment = {**os.environ, "CPO_DATA": str(data), "CPO_USER": "bench"}
    command = [str(cpo), "intake", "--workers", str(workers), "--json", *map(str, files)]
    start = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"cpo intake failed:\n{done.stderr[-2000:]}")
    return seconds


def _take_in_here(argv: list[str]) -> None:
    """`take-in DATA WORKERS FILE...`: one intake timed here, its figures printed as JSON."""
    data, workers, *files = argv
    run, read, classes = take_in_timed(Path(data), [Path(f) for f in files], int(workers))
    print(json.dumps({"run": asdict(run), "read": read, "classes": classes}))


def scaling(folder: Path, files: list[Path], cores: int, rounds: int = 2) -> None:
    """Print `cores` workers against one, in alternate runs, each on its own copy of the records.

    The machine is shared, so each figure is the best of `rounds` (the run least slowed
    by others), and the CPU each process used is printed beside it: on a loaded machine
    the CPU a page costs is the steadier figure, and it says what two idle cores would do.
    """
    best: dict[int, tuple[Run, int]] = {}
    whole: dict[int, float] = {}
    classes: dict[str, int] = {}
    for n in range(rounds):
        for workers in (cores, 1):
            copy = folder / f"data-{workers}-{n}"
            shutil.copytree(folder / "data", copy)
            run, read, classes = take_in_fresh(copy, files, workers)
            if workers not in best or run.seconds < best[workers][0].seconds:
                best[workers] = (run, read)
            shutil.rmtree(copy)
            shutil.copytree(folder / "data", copy)
            seconds = command_seconds(copy, files, workers)
            whole[workers] = min(seconds, whole.get(workers, seconds))
            shutil.rmtree(copy)
    (many, read), (one, _) = best[cores], best[1]
    rate = read / many.seconds
    row(
        f"cpo intake, {cores} workers",
        f"{rate:.1f} pages/s ({many.seconds:.1f} s; goal 60: {_met(rate >= 60)})",
    )
    row("pages sorted", ", ".join(f"{n} {k}" for k, n in classes.items() if n))
    ours = classes.get("ours", 0)
    row("our pages read", f"{ours} of {read} ({100 * ours / read:.1f}%)")
    row("cpo intake, 1 worker", f"{read / one.seconds:.1f} pages/s ({one.seconds:.1f} s)")
    speedup = one.seconds / many.seconds
    row(f"speed-up on {cores} cores", f"{speedup:.2f}x (goal 1.7x: {_met(speedup >= 1.7)})")
    print(f"  (goal: at least 1.7x and 60 pages/s on 2 cores; best of {rounds} runs each;")
    print(f"   load average {os.getloadavg()[0]:.1f} on {cores} cores: others' work slows both)")
    row(
        f"whole `cpo intake` command, {cores} workers and 1",
        f"{whole[cores]:.2f} s and {whole[1]:.2f} s: {whole[1] / whole[cores]:.2f}x"
        " (Python's start-up, opening the records and printing included)",
    )
    ms = 1000 / read
    workers_ms = ", ".join(f"{cpu * ms:.1f}" for cpu in many.worker_cpu)
    row(
        f"CPU a page, {cores} workers",
        f"{many.cpu * ms:.1f} ms: main process {many.main_cpu * ms:.1f}, workers {workers_ms},"
        f" forkserver {many.server_cpu * ms:.1f}" + ("" if many.server_cpu else " (none)"),
    )
    row("CPU a page, 1 worker (all in one process)", f"{one.cpu * ms:.1f} ms")
    idle = ", ".join(f"{s:.2f}" for s in many.worker_idle)
    row(
        f"idle during the {cores}-worker run (s)",
        f"workers {idle}, main thread {many.main_idle:.2f} (of {many.seconds:.2f} s)",
    )
    waited = ", ".join(f"{n / read:.1f}" for n in many.worker_waits)
    row("a worker's waits a page (for a page, or the pipe)", waited)
    # With the cores to itself, the run takes at least its CPU spread over the cores,
    # and no less than its busiest process.
    floor = max(many.cpu / cores, many.main_cpu, *many.worker_cpu)
    row(
        f"on {cores} idle cores, from CPU (at most)",
        f"{read / floor:.1f} pages/s, {one.cpu / floor:.2f}x one worker"
        f" (goal: 60 pages/s, 1.7x: {_met(read / floor >= 60 and one.cpu / floor >= 1.7)})",
    )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    from benchmarks.intake_read import compare_readers

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        heading(f"Intake: {PAGES} degraded {DPI}-dpi pages (150 in 3 scanner PDFs, 50 photos)")
        config, _ = initialise(folder / "data")
        with open_tracker(config) as t:
            act_as_first_admin(t, "bench", "a benchmark password")
            workbooks = issue_workbooks(t, folder / "issues")
        pages = degraded_pages(workbooks, PAGES)
        files = write_envelopes(pages, folder)
        # A copy of the records for the harder kinds, below; `scaling` makes its own.
        shutil.copytree(folder / "data", folder / "data2")
        cores = os.cpu_count() or 1
        scaling(folder, files, cores)
        heading(f"Readers on the same {len(pages)} pages (one core, the page code read or not)")
        figures = compare_readers(pages)
        names = [key.removesuffix(" read") for key in figures if key.endswith(" read")]
        for name in names:
            rate, ms = figures[f"{name} read"], figures[f"{name} ms"]
            row(name, f"{rate:6.1%} read   {ms:6.1f} ms/page")
        hard_kinds(folder, workbooks)
        zbar = figures.get("zbar (pyzbar) read")
        if zbar is None:
            print("  zbar could not be loaded: apt-get install libzbar0")
        else:
            for name in names:
                if not name.startswith("zbar"):
                    ratio = figures[f"{name} read"] / zbar if zbar else float("inf")
                    row(f"{name}: read rate against zbar's", f"{ratio:.2f}x")


def hard_kinds(folder: Path, workbooks: list[Path]) -> None:
    """Pen strokes and staples over the code, and two-page photos: read rate and pages/s."""
    from benchmarks.intake_read import compare_readers

    marked = marked_pages(workbooks, MARKED)
    kinds = {
        f"{MARKED} pages, pen or staple on the code": (
            write_envelopes_small(marked, folder / "marked.pdf"),
            MARKED,
        ),
        f"{PAIRS} photos of two pages side by side": (
            two_page_photos(workbooks, PAIRS, folder),
            2 * PAIRS,
        ),
    }
    heading("Intake: pages marked over the code, and photos of two pages")
    cores = os.cpu_count() or 1
    for name, (files, expected) in kinds.items():
        seconds, _, classes = take_in_all(folder / "data2", files, cores)
        ours = classes.get("ours", 0)
        row(name, f"{ours} of {expected} ours ({100 * ours / expected:.1f}%)")
        row("  cpo intake, " + str(cores) + " workers", f"{expected / seconds:.1f} pages/s")
        row("  pages sorted", ", ".join(f"{n} {k}" for k, n in classes.items() if n))
    heading(f"Readers on the {MARKED} marked pages (one core)")
    _print_readers(compare_readers(marked))
    heading(f"Readers on {MARKED} marked pages printed before issue 13 (one page code)")
    _print_readers(compare_readers(marked_pages(workbooks, MARKED, old=True)))


def _print_readers(figures: dict[str, float]) -> None:
    for name in [key.removesuffix(" read") for key in figures if key.endswith(" read")]:
        rate, ms = figures[f"{name} read"], figures[f"{name} ms"]
        row(name, f"{rate:6.1%} read   {ms:6.1f} ms/page")


def write_envelopes_small(pages: list[Image.Image], path: Path) -> list[Path]:
    """One scanner PDF of `pages`."""
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=DPI, quality=75)
    return [path]


if __name__ == "__main__":
    if sys.argv[1:2] == ["take-in"]:
        _take_in_here(sys.argv[2:])
    else:
        main()
