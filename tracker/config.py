"""Where the tracker keeps its things: the data folder, its settings, records and keys.

The folder is `$CPO_DATA`, or `~/.local/share/cpo-offline` (following `$XDG_DATA_HOME`).
It holds `config.json`, the SQLite records `tracker.db` (unless a PostgreSQL URL is set,
in the config or in `$CPO_DATABASE_URL`), and `keys/`, readable by the owner only.
Paths in config.json are relative to the folder, so a copy of the folder is a whole
tracker of its own; a database that is missing is an error, never a new empty one.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tracker.codes import Keyring
from tracker.errors import TrackerError
from tracker.validate import problem

CONFIG_FILE = "config.json"
DATABASE_FILE = "tracker.db"


@dataclass(frozen=True)
class Config:
    """The tracker's settings, as `cpo init` wrote them."""

    data_dir: Path
    database_url: str
    base_url: str = ""  # QR payloads become links under it when set
    due_days: int = 28  # default time to return a workbook
    # Scans and answers are kept this long after their return is marked (or, for a page
    # nobody claimed, after it came in); the credit record is kept far longer.
    evidence_days: int = 180

    def keyring(self) -> Keyring:
        return Keyring(self.data_dir / "keys")


class ConfigError(TrackerError):
    """A setting in config.json that cpo cannot use: which one, and why."""

    def __init__(self, path: Path, field: str, reason: str) -> None:
        self.path, self.field, self.reason = path, field, reason
        super().__init__(f"{path}: {field} {reason}: correct it, or run `cpo init` afresh")


# Each setting's type and, for numbers, its range: config.json is checked against these.
SETTINGS: dict[str, tuple[type, int, int]] = {
    "database_url": (str, 0, 2000),
    "base_url": (str, 0, 200),
    "due_days": (int, 1, 365),
    "evidence_days": (int, 1, 3650),
}


def default_data_dir() -> Path:
    if os.environ.get("CPO_DATA"):
        return Path(os.environ["CPO_DATA"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "cpo-offline"


def initialise(data_dir: Path, database_url: str = "", base_url: str = "") -> tuple[Config, str]:
    """Create the data folder, settings and records; (config, what happened).

    What happened is "exists" (the folder was already set up: nothing changed),
    "created" (a new tracker, with its first signing key) or "joined" (the database
    already holds a tracker: no key is made; the folder needs its keyring imported).
    A failure leaves nothing behind, so init can simply be run again.
    """
    data_dir = data_dir.expanduser().resolve()
    path = data_dir / CONFIG_FILE
    if path.exists():
        return load(data_dir), "exists"
    made_folder = not data_dir.exists()
    try:
        data_dir.mkdir(mode=stat.S_IRWXU, parents=True, exist_ok=True)
        data_dir.chmod(stat.S_IRWXU)
    except OSError as err:
        raise TrackerError(f"cannot make the data folder {data_dir}: {err.strerror}") from None
    stored = _stored_url(data_dir, database_url)
    config = Config(
        data_dir=data_dir, database_url=_resolve_url(data_dir, stored), base_url=base_url
    )
    keys_made: list[Path] = []
    try:
        outcome = _make_records_and_key(config, keys_made)
        settings = {k: v for k, v in asdict(config).items() if k != "data_dir"}
        settings["database_url"] = stored
        tmp = path.with_suffix(".part")
        tmp.write_text(json.dumps(settings, indent=2) + "\n")
        tmp.chmod(stat.S_IRUSR | stat.S_IWUSR)
        tmp.replace(path)
    except BaseException:
        _undo(data_dir, made_folder, keys_made)
        raise
    return config, outcome


def _make_records_and_key(config: Config, keys_made: list[Path]) -> str:
    """Open (or make) the records; make a signing key only for a new tracker."""
    from tracker.keys import holds_tracker
    from tracker.store import Database

    with Database(config.database_url, create=True) as db:  # the records, owner-only
        if holds_tracker(db):
            return "joined"
    keyring = config.keyring()
    if not keyring.ids():
        keyring.create()
        keys_made.extend(config.data_dir.glob("keys/*.key"))
    return "created"


def _undo(data_dir: Path, made_folder: bool, keys_made: list[Path]) -> None:
    """Remove what a failed init made."""
    for file in keys_made:
        file.unlink(missing_ok=True)
    if made_folder:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


def load(data_dir: Path | None = None) -> Config:
    """The settings in `data_dir` (default: `default_data_dir()`), with `$CPO_DATABASE_URL`."""
    folder = (data_dir or default_data_dir()).expanduser().resolve()
    path = folder / CONFIG_FILE
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrackerError(
            f"no tracker set up in {folder}: run `cpo init` (or set CPO_DATA to its folder)"
        ) from None
    except (OSError, ValueError) as err:
        raise TrackerError(f"cannot read {path}: {err}") from None
    checked = _checked(path, settings)
    url = os.environ.get("CPO_DATABASE_URL") or str(checked.get("database_url", ""))
    return Config(
        data_dir=folder,
        database_url=_resolve_url(folder, url),
        base_url=str(checked.get("base_url", "")),
        due_days=int(checked.get("due_days", 28)),
        evidence_days=int(checked.get("evidence_days", 180)),
    )


def _checked(path: Path, settings: object) -> dict[str, Any]:
    """config.json's settings, each of its type and range; ConfigError naming the first bad."""
    if not isinstance(settings, dict):
        raise ConfigError(path, "the file", "must hold a JSON object ({...})")
    for name, (kind, low, high) in SETTINGS.items():
        if name not in settings:
            continue
        value = settings[name]
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(path, name, f"must be a whole number, not {value!r:.40}")
            if not low <= value <= high:
                raise ConfigError(path, name, f"must be from {low} to {high}")
        elif not isinstance(value, str):
            raise ConfigError(path, name, f"must be text, not {value!r:.40}")
        else:
            why = problem(value, high)
            if why:
                raise ConfigError(path, name, why)
    return settings


def _stored_url(data_dir: Path, database_url: str) -> str:
    """The database as config.json keeps it: "" for the folder's own, relative inside it."""
    if not database_url or re.match(r"postgres(ql)?://", database_url):
        return database_url
    file = Path(database_url.removeprefix("sqlite:///")).expanduser().resolve()
    if file == data_dir / DATABASE_FILE:
        return ""
    return str(file.relative_to(data_dir)) if file.is_relative_to(data_dir) else str(file)


def _resolve_url(data_dir: Path, stored: str) -> str:
    """The database to open: the folder's own, a file (relative to the folder) or a URL."""
    if not stored:
        return str(data_dir / DATABASE_FILE)
    if re.match(r"postgres(ql)?://", stored):
        return stored
    return str(data_dir / Path(stored.removeprefix("sqlite:///")).expanduser())
