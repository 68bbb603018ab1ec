"""Where the tracker keeps its things: the data folder, its settings, records and keys.

The folder is `$CPO_DATA`, or `~/.local/share/cpo-offline` (following `$XDG_DATA_HOME`).
It holds `config.json`, the SQLite records `tracker.db` (unless a PostgreSQL URL is set,
in the config or in `$CPO_DATABASE_URL`), and `keys/`, readable by the owner only.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from tracker.codes import Keyring
from tracker.errors import TrackerError

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


def default_data_dir() -> Path:
    if os.environ.get("CPO_DATA"):
        return Path(os.environ["CPO_DATA"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "cpo-offline"


def initialise(data_dir: Path, database_url: str = "", base_url: str = "") -> tuple[Config, bool]:
    """Create the data folder, settings and first signing key; (config, created?).

    Running it again on an existing folder changes nothing and says so.
    """
    path = data_dir / CONFIG_FILE
    if path.exists():
        return load(data_dir), False
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        data_dir.chmod(stat.S_IRWXU)
    except OSError as err:
        raise TrackerError(f"cannot make the data folder {data_dir}: {err.strerror}") from None
    config = Config(
        data_dir=data_dir,
        database_url=database_url or str(data_dir / DATABASE_FILE),
        base_url=base_url,
    )
    keyring = config.keyring()
    if not keyring.ids():
        keyring.create()
    settings = {k: v for k, v in asdict(config).items() if k != "data_dir"}
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(settings, indent=2) + "\n")
    tmp.chmod(stat.S_IRUSR | stat.S_IWUSR)
    tmp.replace(path)
    return config, True


def load(data_dir: Path | None = None) -> Config:
    """The settings in `data_dir` (default: `default_data_dir()`), with `$CPO_DATABASE_URL`."""
    folder = data_dir or default_data_dir()
    path = folder / CONFIG_FILE
    try:
        settings = json.loads(path.read_text())
    except FileNotFoundError:
        raise TrackerError(
            f"no tracker set up in {folder}: run `cpo init` (or set CPO_DATA to its folder)"
        ) from None
    except (OSError, ValueError) as err:
        raise TrackerError(f"cannot read {path}: {err}") from None
    url = os.environ.get("CPO_DATABASE_URL") or settings.get("database_url") or ""
    return Config(
        data_dir=folder,
        database_url=url or str(folder / DATABASE_FILE),
        base_url=settings.get("base_url", ""),
        due_days=int(settings.get("due_days", 28)),
        evidence_days=int(settings.get("evidence_days", 180)),
    )
