"""Run `cpo` commands as processes of their own, each forked from one that has started.

A new `cpo` process spends ~0.6 s of CPU before its command begins: starting Python,
importing `cpo` (tests/cli/test_startup.py keeps that small) and psycopg (for a tracker on
PostgreSQL). A test that runs dozens of commands as separate processes (two machines on
one tracker) pays that once here instead: one process imports them and waits, and each
command is a fork of it, with its own environment, working folder, output, connections
and exit, as a new `cpo` process has. Only the imports are shared; nothing has run yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

CPO = Path(sys.executable).with_name("cpo")  # the console script: its folder leads sys.path


@dataclass(frozen=True)
class Done:
    """What a command gave back, as subprocess.run gives it."""

    returncode: int
    stdout: str
    stderr: str


class Forks:
    """A started `cpo`, waiting to fork a process a command (`run`); `close` ends it."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cpo-forks-"))
        self.server = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, args: list[str], env: dict[str, str], cwd: Path) -> Done:
        """Run `cpo ARGS` in a new process with `env` in `cwd`; its exit and output."""
        out, err = self.folder / "stdout", self.folder / "stderr"
        request = {"args": args, "env": env, "cwd": str(cwd), "out": str(out), "err": str(err)}
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline()
        assert reply, "the forking process ended"
        return Done(int(reply), out.read_text(), err.read_text())

    def close(self) -> None:
        """End the waiting process and remove its output files."""
        if self.server.stdin is not None:
            self.server.stdin.close()
        self.server.wait()
        for path in self.folder.iterdir():
            path.unlink()
        self.folder.rmdir()

    def __enter__(self) -> Forks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _serve() -> None:
    """Import what starting `cpo` imports, then fork a process for each request read."""
    sys.path[0] = str(CPO.parent)  # as the console script has it, not this folder
    import psycopg  # noqa: F401  (what opening a tracker on PostgreSQL imports first)

    from cpo.cli import main

    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()  # nothing of ours in the child's output
        pid = os.fork()
        if pid == 0:
            _as_a_new_process(request)
            sys.exit(main())  # as the console script ends: atexit, flushed output, status
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


def _as_a_new_process(request: dict[str, object]) -> None:
    """In the forked child: the request's arguments, environment, folder and output files."""
    os.environ.clear()
    os.environ.update(request["env"])  # type: ignore[arg-type]
    os.chdir(str(request["cwd"]))
    sys.argv = ["cpo", *request["args"]]  # type: ignore[misc]
    for fd, path in ((1, request["out"]), (2, request["err"])):
        file = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(file, fd)
        os.close(file)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115  (read ahead of the requests: none)


if __name__ == "__main__":
    _serve()
