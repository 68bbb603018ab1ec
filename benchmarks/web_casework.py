"""The case worker's pages under load: 20 case workers at once on an office of 10,000 clients.

(benchmarks/web.py times home, the client list, the return list and marking for both roles.)

The records are seeded in bulk (tests/tracker/seed.py, as the weekly report's benchmark);
the app runs as `cpo serve` in a process of its own (`benchmarks.web.served`), on
loopback, and 20 sessions each open the case worker's pages in turn for a bounded time,
with no pause (robots: a stress figure; benchmarks/web.py has the staff-paced rows).
Prints p50 and p95 per page against the goal of 200 ms.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import heading, row
from tests.tracker.seed import CLIENTS, seed

SESSIONS = 20
SECONDS = 30  # each session works this long at most
ROUNDS = 5  # and at most this many rounds of every page
GOAL_MS = 200
PASSWORD = "a benchmark password"


def _session(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{base}/sign-in", timeout=60).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token
    form = {"login": "cw", "password": PASSWORD, "csrf_token": token.group(1)}
    opener.open(f"{base}/sign-in", urllib.parse.urlencode(form).encode(), timeout=60).read()
    return opener


def _pages(base: str, opener: urllib.request.OpenerDirector) -> dict[str, tuple[str, bytes | None]]:
    clients = opener.open(f"{base}/clients", timeout=60).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', clients)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', clients)
    assert token
    search = urllib.parse.urlencode({"text": "S-0001", "csrf_token": token.group(1)}).encode()
    found = opener.open(f"{base}/clients", search, timeout=60).read().decode()
    client = re.search(r'href="(/clients/[A-Za-z0-9_-]{20,})"', found)
    assert client, "the search finds a client"
    return {
        "home (flagged orders)": (f"{base}/", None),
        "client search": (f"{base}/clients", search),
        "a client's page": (f"{base}{client.group(1)}", None),
        "overdue list": (f"{base}/reports/overdue", None),
    }


def _search(base: str, opener: urllib.request.OpenerDirector) -> bytes:
    """The search form for S-0001, with this session's own CSRF token."""
    page = opener.open(f"{base}/clients", timeout=60).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token
    return urllib.parse.urlencode({"text": "S-0001", "csrf_token": token.group(1)}).encode()


def main() -> None:
    from benchmarks.web import served
    from tracker.accounts import Role, act_as_first_admin, add_staff
    from tracker.config import initialise
    from tracker.tracker import open_tracker

    with tempfile.TemporaryDirectory() as folder:
        config, _ = initialise(Path(folder) / "data")
        with open_tracker(config) as t:
            act_as_first_admin(t, "bench", PASSWORD)
            seed(t, {"bench": CLIENTS})
            add_staff(t, "cw", Role.CASEWORKER, ["bench"], PASSWORD)
        with served(config) as base:
            heading(f"Staff web app: {SESSIONS} case workers at once, {CLIENTS:,} clients, SQLite")
            row("server", f"`cpo serve`, a process of its own (load {os.getloadavg()[0]:.2f})")
            _measure(base)


def _measure(base: str) -> None:
    """Sign the sessions in, then time their pages; print each page's figures."""
    openers = [_session(base) for _ in range(SESSIONS)]
    pages = _pages(base, openers[0])
    times: dict[str, list[float]] = {name: [] for name in pages}
    failed: dict[str, int] = dict.fromkeys(pages, 0)
    stop = time.monotonic() + SECONDS

    def work(opener: urllib.request.OpenerDirector) -> None:
        own = dict(pages)
        own["client search"] = (pages["client search"][0], _search(base, opener))
        for _ in range(ROUNDS):
            for name, (url, data) in own.items():
                if time.monotonic() > stop:
                    return
                start = time.perf_counter()
                try:
                    opener.open(url, data, timeout=60).read()
                except OSError:  # a timeout or a refusal: counted, not timed
                    failed[name] += 1
                    continue
                times[name].append(time.perf_counter() - start)

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        list(pool.map(work, openers))
    for name, seconds in times.items():
        if len(seconds) < 2:
            row(name, "too few requests in the time allowed")
            continue
        p50 = statistics.median(seconds) * 1000
        p95 = statistics.quantiles(seconds, n=20)[-1] * 1000
        verdict = "meets" if p95 <= GOAL_MS else "misses"
        row(
            name,
            f"p50 {p50:,.0f} ms, p95 {p95:,.0f} ms ({len(seconds)} requests, "
            f"{failed[name]} failed; "
            f"{verdict} the goal of p95 <= {GOAL_MS} ms)",
        )


if __name__ == "__main__":
    main()
