"""Keep the read course on disk, so a new process does not parse the Markdown again.

Reading the course (YAML and Markdown for every module) is most of a second; unpickling it
is a few milliseconds. The file is named by a hash of everything the reading depends on:
the folder, every file's name and bytes in it, the builder's own code and the versions of
Python and the parsers. A changed byte is a new name, so a kept course is never stale. Only
a course that loaded without a problem is kept (a refused one is read again, and says why).
Files are written whole (a temporary file, then a rename) and carry a hash of their bytes,
so a damaged file is read again rather than trusted; a file another account could have
written is never unpickled (unpickling can run code). The folder is the layouts' own
(`CPO_LAYOUT_CACHE`, else the user's cache folder): empty turns both off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from contextlib import suppress
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from builder.course import Course

# The parsers whose output a read course is: a new version (a changed file) is a new key.
PARSERS = ("yaml", "markdown_it", "mdit_py_plugins")

COURSE_FILE = "course.yaml"
CACHE_ENV = "CPO_LAYOUT_CACHE"  # a folder; empty turns the cache off
FORMAT = 1
SUFFIX = ".course"


def default_content_root() -> Path:
    """The course folder: $CPO_CONTENT, ./content, or the one beside this package."""
    if env := os.environ.get("CPO_CONTENT"):
        return Path(env)
    here = Path("content")
    if (here / COURSE_FILE).is_file():
        return here
    return Path(__file__).resolve().parent.parent / "content"


def cache_folder() -> Path | None:
    """Where layouts and read courses are kept: $CPO_LAYOUT_CACHE, else the user's cache."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cpo-offline" / "layouts"


@cache
def code_version() -> str:
    """A hash of the builder's code, Python's version and the parsers' installed files."""
    digest = hashlib.sha256(f"{FORMAT}/{sys.version}".encode())
    for name in PARSERS:  # found, not imported: a kept course needs no parser
        spec = find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is not None:
            stat = origin.stat()
            digest.update(f"{name}/{origin}/{stat.st_size}/{stat.st_mtime_ns}".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def course_key(root: Path) -> str:
    """The file name a course in `root` is kept under, as its files stand now."""
    root = root.resolve()
    digest = hashlib.sha256(f"{code_version()}\0{root}\0".encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def load_course_kept(root: Path) -> Course:
    """The course in `root`: kept from an earlier read when its files are unchanged."""
    folder = cache_folder()
    if folder is None:
        return _read_course(root)
    try:
        key = course_key(root)
    except OSError:
        return _read_course(root)  # the reading says what is wrong with the folder
    kept = _read(folder / f"{key}{SUFFIX}")
    if kept is not None:
        return kept
    course = _read_course(root)
    _write(folder, key, course)
    return course


def _read_course(root: Path) -> Course:
    """Read the course from its files (the parsers are imported only here)."""
    from builder import loader

    return loader.load_course(root)


def _read(path: Path) -> Course | None:
    """The course kept in `path`, or None if there is none, it is damaged or not ours alone."""
    try:
        with path.open("rb") as handle:
            if not _ours_alone(os.fstat(handle.fileno())):
                return None
            data = handle.read()
    except OSError:
        return None
    check, data = data[:32], data[32:]
    if hashlib.sha256(data).digest() != check:
        return None
    try:
        course = pickle.loads(data)
    except Exception:  # any damage (a class gone, bytes cut short): read the course again
        return None
    return course if isinstance(course, Course) else None


def _ours_alone(stat: os.stat_result) -> bool:
    """Whether only this account could have written the file (unpickling runs its code)."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the user's own profile folder
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def _write(folder: Path, key: str, course: Course) -> None:
    """Keep a course on disk; a folder that cannot be written is simply not used."""
    data = pickle.dumps(course, protocol=pickle.HIGHEST_PROTOCOL)
    with suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".part")  # mode 600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(hashlib.sha256(data).digest() + data)
            Path(tmp).replace(folder / f"{key}{SUFFIX}")
        finally:
            Path(tmp).unlink(missing_ok=True)
