"""Each test's CPU: the test process with what it started, and the PostgreSQL server's own.

A pytest plugin, on only when asked for, to find where a run's CPU goes:

    .venv/bin/python -m pytest -p no:xdist -p tests.tracker.cpu_per_test tests/tracker/test_ete.py
    .venv/bin/python -m tests.tracker.cpu_per_test cpu-per-test.jsonl   # a table by file

`pg_ctl` starts the server as a daemon, so its CPU is in no test process's tree: it is
read from /proc, the postmaster's own and its reaped children's (`cutime`, `cstime`)
and each live child's (backends, checkpointer), before and after each test. A line a test
goes to `$CPO_CPU_LOG` (default `cpu-per-test.jsonl`). CPU, not wall time: the machine
is shared.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

TICKS = os.sysconf("SC_CLK_TCK")


def tree_seconds() -> float:
    """CPU of this process and of the children it has waited for."""
    me, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _stat(pid: int | str) -> tuple[int, int, int]:
    """(parent, own CPU ticks, waited-for children's CPU ticks) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def server_seconds() -> float:
    """CPU of the worker's PostgreSQL server so far (0 if none is running)."""
    from tests.tracker.pgserver import _SHARED

    server = _SHARED.get("server")
    try:
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0])  # type: ignore[union-attr]
        _, own, waited = _stat(postmaster)
    except (AttributeError, OSError, ValueError):
        return 0.0
    ticks = own + waited
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent, own, waited = _stat(entry.name)
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            if parent == postmaster:
                ticks += own + waited
    return ticks / TICKS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Write the CPU of the test's set-up, call and tear-down."""
    tree, server, wall = tree_seconds(), server_seconds(), time.perf_counter()
    yield
    line = {
        "id": item.nodeid,
        "tree": tree_seconds() - tree,
        "pg": server_seconds() - server,  # a server started in this test counts here
        "wall": time.perf_counter() - wall,
    }
    with Path(os.environ.get("CPO_CPU_LOG", "cpu-per-test.jsonl")).open("a") as log:
        log.write(json.dumps(line) + "\n")


def by_file(log: Path) -> None:
    """Print the CPU of each test file in `log`, largest first, and the total."""
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for line in log.read_text().splitlines():
        test = json.loads(line)
        figures = files[test["id"].split("::")[0]]
        for n, key in enumerate(("tree", "pg", "wall")):
            figures[n] += test[key]
    print(f"{'file':52} {'tree':>6} {'server':>7} {'both':>7} {'wall':>7}")
    for name, (tree, pg, wall) in sorted(files.items(), key=lambda f: -f[1][0] - f[1][1]):
        print(f"{name[-52:]:52} {tree:6.1f} {pg:7.1f} {tree + pg:7.1f} {wall:7.1f}")
    tree, pg = (sum(f[n] for f in files.values()) for n in (0, 1))
    print(f"{'total':52} {tree:6.1f} {pg:7.1f} {tree + pg:7.1f}")


if __name__ == "__main__":
    by_file(Path(sys.argv[1] if len(sys.argv) > 1 else "cpu-per-test.jsonl"))
