"""Two offices, two machines (two data folders, two processes), one PostgreSQL tracker.

Every command is a process of its own, forked from one that has imported `cpo` (forked.py):
the ~40 commands' start-up was most of this test's CPU.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pypdfium2 as pdfium
import pytest

from tests.conftest import SHIPPED_COURSE, names
from tests.tracker.forked import Forks
from tests.tracker.pgserver import PostgresServer
from tests.tracker.test_intake import answers_file, as_pdf
from tracker.codes import Keyring

PASSWORD = "a long staff password"


class Machine:
    """One office's computer: its own data folder; every command a new `cpo` process."""

    def __init__(self, folder: Path, work: Path, forks: Forks) -> None:
        self.folder, self.work, self.forks = folder, work, forks

    def cpo(self, login: str, *args: str, ok: bool = True) -> str:
        env = dict(
            os.environ,
            CPO_DATA=str(self.folder),
            CPO_USER=login,
            CPO_CONTENT=str(SHIPPED_COURSE),
            CPO_ADMIN_PASSWORD=PASSWORD,
            CPO_NEW_PASSWORD=PASSWORD,
            CPO_PASSPHRASE="a long keyring passphrase",
        )
        env.pop("CPO_DATABASE_URL", None)
        done = self.forks.run(list(args), env, self.work)
        out = done.stdout + done.stderr
        assert "Traceback" not in out, out
        assert (done.returncode == 0) == ok, out
        return out


def issue(machine: Machine, login: str, client: str, office: str) -> dict[str, Any]:
    """A client of `office` with a Scottish order and a workbook of WB1-WB3."""
    machine.cpo(
        login,
        "client",
        "add",
        client,
        "--name",
        f"Client {client}",
        "--office",
        office,
        "--case-worker",
        "Ana Lopez",
        "--region",
        "scotland",
    )
    machine.cpo(
        login,
        "order",
        "add",
        client,
        "--jurisdiction",
        "scotland",
        "--hours",
        "100",
        "--made",
        "2026-11-02",
        "--deadline",
        "2027-05-01",
    )
    issued: dict[str, Any] = json.loads(
        machine.cpo(login, "issue", client, "--modules", "WB1,WB2,WB3", "--json")
    )
    issued["pdf"] = machine.work / issued["files"][0]
    return issued


def scan_of(issued: dict[str, Any], module: str, out: Path) -> Path:
    """A scanner's PDF of a module's first two pages."""
    document = pdfium.PdfDocument(issued["pdf"])
    pages = []
    for index in range(len(document)):
        text = document[index].get_textpage().get_text_range()
        if re.search(rf"^{module}\s+\u00b7\s+Page [12] of \d+\s*$", text, re.M):
            pages.append(document[index].render(scale=150 / 72, grayscale=True).to_pil())
    return as_pdf(pages, out)


def answers_of(issued: dict[str, Any], module: str, out: Path, url: str, keyring: Path) -> Path:
    """An answers file as the offline bundle saves it (its payloads remade from the keys)."""
    import psycopg  # here, not at the top: every worker collects this file, few run it

    modules = []
    with psycopg.connect(url) as conn:
        for m in issued["modules"]:
            key_id, serial = conn.execute(
                "SELECT key_id, serial FROM tokens WHERE code = %s", (m["code"].replace("-", ""),)
            ).fetchone()
            payload = Keyring(keyring).token(key_id, serial).payload
            modules.append(SimpleNamespace(module_id=m["module"], payload=payload, code=m["code"]))
    issued_like = SimpleNamespace(number=issued["workbook"], modules=modules)
    out.write_bytes(answers_file(issued_like, module))  # type: ignore[arg-type]
    return out


def returns_of(output: str) -> list[str]:
    return re.findall(r"\bR\d+\b", output)


@pytest.fixture
def forks() -> Iterator[Forks]:
    with Forks() as started:
        yield started


def test_two_offices_share_one_tracker_from_two_machines(
    postgres: PostgresServer, tmp_path: Path, forks: Forks
) -> None:
    url = postgres.new_schema()
    glasgow = Machine(tmp_path / "glasgow-pc", tmp_path, forks)
    leeds = Machine(tmp_path / "leeds-pc", tmp_path, forks)
    # The first init makes the tracker; the second finds it and joins with the keyring.
    glasgow.cpo("root", "init", "--database", url)
    for office in ("glasgow", "leeds"):
        glasgow.cpo("root", "office", "add", office, "--name", office.title())
        glasgow.cpo(
            "root", "staff", "add", f"{office}-cw", "--role", "caseworker", "--office", office
        )
        glasgow.cpo(
            "root", "staff", "add", f"{office}-fac", "--role", "facilitator", "--office", office
        )
    glasgow.cpo("root", "keys", "export", "keyring.cpo")
    joined = leeds.cpo("root", "init", "--database", url)
    assert "already hold a tracker" in joined and "no key was made" in joined
    assert "keys import" in leeds.cpo("leeds-cw", "client", "list", ok=False)
    leeds.cpo("root", "keys", "import", "keyring.cpo")

    g = issue(glasgow, "glasgow-cw", "G-1", "glasgow")
    l1 = issue(leeds, "leeds-cw", "L-1", "leeds")
    # Each office's codes, page scans and answers files check in at either machine.
    r_g1 = returns_of(leeds.cpo("leeds-fac", "checkin", g["modules"][0]["code"]))
    r_l1 = returns_of(glasgow.cpo("glasgow-fac", "checkin", l1["modules"][0]["code"]))
    scan_g = leeds.cpo("leeds-fac", "intake", str(scan_of(g, "WB2", tmp_path / "g.pdf")))
    scan_l = glasgow.cpo("glasgow-fac", "intake", str(scan_of(l1, "WB2", tmp_path / "l.pdf")))
    ans_g = leeds.cpo(
        "leeds-fac",
        "intake",
        str(answers_of(g, "WB3", tmp_path / "g.json", url, glasgow.folder / "keys")),
    )
    ans_l = glasgow.cpo(
        "glasgow-fac",
        "intake",
        str(answers_of(l1, "WB3", tmp_path / "l.json", url, glasgow.folder / "keys")),
    )
    for out in (scan_g, scan_l):
        assert "2 ours" in out, out
    r_scan_g = returns_of(scan_g.split("Ready for cpo mark")[1])[0]
    assert "1 ours" in ans_g and "1 ours" in ans_l
    assert r_g1 and r_l1

    # Across offices, a scoped account is refused (as if the record were not there)...
    assert "in your offices" in leeds.cpo("leeds-cw", "issue", "G-1", ok=False)
    assert "in your offices" in leeds.cpo(
        "leeds-fac", "mark", r_g1[0], "--accept", "--tried", "all", "--minutes", "1h", ok=False
    )
    assert "in your offices" in leeds.cpo("leeds-fac", "evidence", "show", r_scan_g, ok=False)
    assert "in your offices" in leeds.cpo("leeds-cw", "hours", "G-1", ok=False)
    assert not names("G-1", leeds.cpo("leeds-cw", "client", "list"))
    # ... and an admin, at either machine, may.
    leeds.cpo("root", "mark", r_g1[0], "--accept", "--tried", "all", "--minutes", "1h")
    glasgow.cpo("root", "mark", r_l1[0], "--accept", "--tried", "all", "--minutes", "1h")
    assert "image P" in leeds.cpo("root", "evidence", "show", r_scan_g)
    window = ("--from", "2026-01-01", "--to", "2030-01-01")
    assert not names("G-1", leeds.cpo("leeds-cw", "export", *window))
    everything = leeds.cpo("root", "export", *window)
    assert "G-1" in everything and "L-1" in everything

    # Prune: scoped to the account's offices, and each image deleted once, everywhere.
    for r in returns_of(scan_g.split("Ready for cpo mark")[1]) + returns_of(
        scan_l.split("Ready for cpo mark")[1]
    ):
        glasgow.cpo(
            "root",
            "mark",
            r,
            "--accept",
            "--tried",
            "all",
            "--minutes",
            "1h",
            "--pages-missing-ok",
            "--reason",
            "two pages sent",
        )
    assert "Deleted 2 page images" in leeds.cpo("leeds-fac", "evidence", "prune", "--days", "0")
    assert "Deleted 2 page images" in glasgow.cpo("root", "evidence", "prune", "--days", "0")
    assert "Deleted 0 page images" in leeds.cpo("root", "evidence", "prune", "--days", "0")
    import psycopg

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM evidence_images").fetchone() == (0,)
    assert "The audit log is whole" in leeds.cpo("root", "audit", "verify")
