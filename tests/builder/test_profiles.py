"""Each print profile is its own: built alone, after another, or in a batch, it sets the same.

Each build runs in a fresh interpreter (spawned), because what leaked was process-global:
the first edition built in a process set the spacing of every edition after it.
"""

from __future__ import annotations

import multiprocessing
import re
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from builder.pdf import Job, document, render_batch
from builder.pdf.layout_cache import CACHE_ENV
from builder.profiles import PROFILES
from tests.builder.profile_builds import CHECKINS, MODULES, PERSONAL, Widths, build, widths
from tests.conftest import shipped_course


def in_fresh_process(profiles: tuple[str, ...]) -> dict[str, Widths]:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(build, profiles).result()


# Many seconds: every test here lays the course out in fresh processes, in every profile.
# One worker runs them all (`make test` runs with `--dist loadgroup`): each profile is then
# built alone once a run, not once on each worker given one of these tests.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("profiles-alone")]


ORDERS = (tuple(PROFILES), tuple(reversed(PROFILES)))


@pytest.fixture(scope="module")
def together() -> dict[tuple[str, ...], dict[str, Widths]]:
    """Every profile built in one fresh process, in each order."""
    return {order: in_fresh_process(order) for order in ORDERS}


@pytest.fixture(scope="module")
def alone(together: dict[tuple[str, ...], dict[str, Widths]]) -> dict[str, Widths]:
    """Each profile built alone, in a process of its own.

    The first profile of each order was built before any other in its process: it was
    built alone there. The others get a process each.
    """
    built = {order[0]: together[order][order[0]] for order in ORDERS}
    others = [name for name in PROFILES if name not in built]
    return built | {name: in_fresh_process((name,))[name] for name in others}


def test_profiles_really_differ(alone: dict[str, Widths]) -> None:
    standard, dyslexia = widest(alone["standard"]), widest(alone["dyslexia"])
    # Words, not a scale's numbers or a grid of ids (placed in columns, not set as text).
    sentences = [
        t for t in standard.keys() & dyslexia.keys() if re.search(r"[a-z]+ [a-z]+ [a-z]+", t)
    ]
    assert len(sentences) > 10
    assert all(dyslexia[t] > standard[t] * 1.1 for t in sentences)  # letters spaced out


def widest(lines: Widths) -> dict[str, float]:
    """Each line's text with its widest setting (a title is set smaller on some pages)."""
    return {text: width for _, text, width in sorted(lines, key=lambda line: line[2])}


@pytest.mark.parametrize("order", ORDERS, ids=str)
def test_every_profile_in_one_process_sets_as_when_built_alone(
    alone: dict[str, Widths],
    together: dict[tuple[str, ...], dict[str, Widths]],
    order: tuple[str, ...],
) -> None:
    assert set(alone) == set(PROFILES) == set(together[order])
    for name in order[1:]:  # each built after another in the same process
        assert together[order][name] == alone[name], name


def test_a_two_worker_batch_of_mixed_profiles_sets_as_when_built_alone(
    alone: dict[str, Widths], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workers lay out, as in the other tests here: no layout kept on disk, nor in this
    # process's memory (a forked worker starts with a copy of it).
    monkeypatch.setenv(CACHE_ENV, "")
    monkeypatch.setattr(document, "_layouts", OrderedDict())
    course = shipped_course()
    names = [*PROFILES, *reversed(PROFILES)]
    jobs = [
        Job(MODULES, name, PERSONAL, CHECKINS, tmp_path / f"{n}-{name}.pdf")
        for n, name in enumerate(names)
    ]
    outcomes = list(render_batch(course, jobs, workers=2))
    assert all(o.ok for o in outcomes)
    for job in jobs:
        assert widths(job.out_path.read_bytes()) == alone[job.profile], job.profile
