"""What every benchmark shares: timing, and printing figures the same way."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Seconds for each of `runs` calls of `fn`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def heading(text: str) -> None:
    print(f"\n== {text}")


def row(label: str, value: str) -> None:
    print(f"  {label:<48} {value}")
