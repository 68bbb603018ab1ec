"""Printing a batch of clients' workbooks: every good job printed, every bad one explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.editions import CheckIn, Personal
from builder.pdf import Job, render_batch
from builder.pdf.batch import read_jobs
from cpo.cli import cli
from tests.conftest import shipped_course
from tests.pdftools import page_images, page_texts, qr_codes


def job_line(n: int, modules: list[str], **extra: object) -> str:
    data: dict[str, object] = {
        "workbook": f"WB-{n:04d}",
        "reference": f"C-{n}",
        "modules": modules,
        "checkins": [{"payload": f"P{n}-{m}", "code": f"CODE-{n}{m}"} for m in modules],
    }
    data.update(extra)
    return json.dumps(data)


@pytest.mark.slow  # many seconds: worker processes each lay the course out
def test_a_batch_prints_across_processes_in_order(tmp_path: Path) -> None:
    course = shipped_course()
    jobs = [
        Job(
            ("WB1",),
            "standard",
            Personal(f"C-{n}", f"WB-{n}"),
            (CheckIn(f"P{n}", f"K{n}"),),
            tmp_path / f"{n}.pdf",
        )
        for n in range(4)
    ]
    bad = Job(("WB1", "XX9"), "standard", Personal("C-9", "WB-9"), (), tmp_path / "9.pdf")
    outcomes = list(render_batch(course, [*jobs[:2], bad, *jobs[2:]], workers=2))
    assert [o.job for o in outcomes] == [*jobs[:2], bad, *jobs[2:]]
    assert "no such module: XX9" in outcomes[2].error and not (tmp_path / "9.pdf").exists()
    for n, job in enumerate(jobs):
        codes = {c for image in page_images(job.out_path) for c in qr_codes(image)}
        assert {c.split(".")[0] for c in codes} == {f"P{n}"}  # the module's code and page codes
        assert f"Ref C-{n}" in page_texts(job.out_path)[-1]


def test_bad_lines_in_a_jobs_file_are_each_explained(tmp_path: Path) -> None:
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text(
        "\n".join(
            [
                job_line(1, ["WB1"]),
                "{not json",
                job_line(2, ["WB1"], workbook="../../etc"),
                job_line(3, ["WB1"], colour="red"),
                json.dumps({"workbook": "WB-4", "modules": ["WB1"], "checkins": []}),
                "",
                "[1, 2]",
            ]
        )
    )
    jobs, problems = read_jobs(jobs_file, tmp_path / "out")
    assert [j.personal.workbook for j in jobs] == ["WB-0001"]
    assert jobs[0].out_path == tmp_path / "out" / "WB-0001.pdf"
    expected = [
        (2, "not JSON"),
        (3, "workbook '../../etc' cannot name a file"),
        (4, "unknown key 'colour' (a job has checkins, contact, modules, profile,"),
        (5, "missing key 'reference'"),
        (7, "a job is a JSON object"),
    ]
    assert [p.line for p in problems] == [line for line, _ in expected]
    for problem, (_, start) in zip(problems, expected, strict=True):
        assert problem.message.startswith(start), problem


def test_cpo_build_batch_prints_the_good_and_reports_the_bad(
    runner: CliRunner, tmp_path: Path
) -> None:
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text(
        "\n".join([job_line(1, ["WB1"]), job_line(2, ["HC2", "WB1"]), job_line(3, ["TF1"])])
    )
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["build", "batch", str(jobs_file), "--output", str(out), "--workers", "1"]
    )
    assert result.exit_code == 1
    assert "Printed 2 workbooks" in result.output
    assert "workbook WB-0002: give the modules in course order" in result.output
    assert "Error: 1 of 3 workbooks not printed" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["WB-0001.pdf", "WB-0003.pdf"]


@pytest.mark.parametrize("workers", ["-1", "x"])
def test_cpo_build_batch_refuses_a_bad_worker_count(
    runner: CliRunner, tmp_path: Path, workers: str
) -> None:
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text(job_line(1, ["WB1"]))
    result = runner.invoke(cli, ["build", "batch", str(jobs_file), "--workers", workers])
    assert result.exit_code == 2 and "--workers" in result.output
