"""The parsed model of sample modules matches reviewed golden files.

Regenerate on purpose with `make golden`, then review the diff.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from builder import Activity, Module, load_course
from tests.conftest import GOOD_COURSE

GOLDEN = Path(__file__).parent / "golden"


def as_data(module: Module) -> dict[str, Any]:
    """The module as plain data, with each block's kind named."""
    data = {f.name: getattr(module, f.name) for f in dataclasses.fields(module)}
    del data["source"]
    data["counts_as"] = sorted(data["counts_as"])
    data["blocks"] = [
        {"kind": b.kind if isinstance(b, Activity) else type(b).__name__.lower()}
        | dataclasses.asdict(b)
        for b in module.blocks
    ]
    return data


SAMPLES = [(GOOD_COURSE, "AA1"), (GOOD_COURSE, "BB1")]


@pytest.mark.parametrize(("root", "module_id"), SAMPLES, ids=[m for _, m in SAMPLES])
def test_parsed_model_matches_golden(root: Path, module_id: str, update_golden: bool) -> None:
    module = load_course(root).module(module_id)
    actual = json.dumps(as_data(module), indent=2, ensure_ascii=False) + "\n"
    golden = GOLDEN / f"{module_id}.json"
    if update_golden:
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), "no golden file yet: run `make golden` and review it"
    assert actual == golden.read_text(encoding="utf-8")
