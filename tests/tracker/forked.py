"""Run `cpo` commands as processes of their own, each forked from one that has started.

A new `cpo` process spends ~0.45 s of CPU before its command begins: starting Python,
importing `cpo` (tests/cli/test_startup.py keeps that small) and psycopg (for a tracker on
PostgreSQL). A test that runs dozens of commands as separate processes (two machines on
one tracker) pays that once here instead: one process imports them and waits, and each
command is a fork of it, with its own environment, working folder, output, connections
and exit, as a new `cpo` process has. Only the imports are shared; nothing has run yet.

`Starter` does the same for a function of a test helper module (the concurrency tests'
racers): each call a forked process, as multiprocessing's fork start method makes one.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

CPO = Path(sys.executable).with_name("cpo")  # the console script: its folder leads sys.path
REPO = Path(__file__).resolve().parents[2]


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


class Starter:
    """A started process that has imported `module`; each `process` is forked from it."""

    def __init__(self, module: str) -> None:
        self.server = subprocess.Popen(
            [sys.executable, __file__, module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **request: object) -> object:
        """Send one request; the answer."""
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline()
        assert reply, "the forking process ended"
        return json.loads(reply)

    def process(self, function: str, *args: object) -> Forked:
        """A process to run `module.function(*args)` (arguments as JSON), not yet started."""
        return Forked(self, function, args)

    def close(self) -> None:
        if self.server.stdin is not None:
            self.server.stdin.close()
        self.server.wait()


class Forked:
    """As multiprocessing.Process: start, is_alive, exitcode, join, kill."""

    def __init__(self, starter: Starter, function: str, args: tuple[object, ...]) -> None:
        self.starter, self.function, self.args = starter, function, args
        self.pid = 0
        self.exitcode: int | None = None

    def start(self) -> None:
        self.pid = int(str(self.starter.ask(start=self.function, args=self.args)))

    def is_alive(self) -> bool:
        if self.exitcode is None:
            code = self.starter.ask(poll=self.pid)
            self.exitcode = None if code is None else int(str(code))
        return self.exitcode is None

    def join(self, timeout: float) -> None:
        give_up = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < give_up:
            time.sleep(0.005)

    def kill(self) -> None:
        self.starter.ask(kill=self.pid)


def _serve_module(name: str) -> None:
    """Import `name`, then fork a process a `start` request; `poll` and `kill` them."""
    sys.path[0] = str(REPO)
    import psycopg  # noqa: F401  (what opening a tracker on PostgreSQL imports first)

    module = importlib.import_module(name)
    for line in sys.stdin:
        request = json.loads(line)
        if "start" in request:
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _run_child(getattr(module, request["start"]), request["args"])
            print(json.dumps(pid), flush=True)
        elif "poll" in request:
            done, status = os.waitpid(request["poll"], os.WNOHANG)
            print(json.dumps(os.waitstatus_to_exitcode(status) if done else None), flush=True)
        else:
            os.kill(request["kill"], signal.SIGKILL)
            print("null", flush=True)


def _run_child(function: object, args: list[object]) -> None:
    """In the forked child: run the function and end as a forked multiprocessing one does."""
    nothing = os.open(os.devnull, os.O_RDWR)
    os.dup2(nothing, 0)
    os.dup2(2, 1)  # the requests and answers are the server's own
    code = 0
    try:
        function(*args)  # type: ignore[operator]
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


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
    if len(sys.argv) > 1:
        _serve_module(sys.argv[1])
    else:
        _serve()
