"""Uploads taken in while the page waits: each batch runs in a thread of the server.

The library does the work (`plan_intake`, `take_in`: every page read, sorted and
recorded, a file whole or not at all); this keeps each batch's progress for its status
page. A batch is named by a random id and shown only to the account that sent it. Its
files are kept in a private temporary folder until the intake ends, then deleted:
what is kept of them is in the records.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from tracker.accounts import Actor
from tracker.errors import TrackerError
from tracker.intake.filing import FileOutcome
from tracker.intake.run import plan_intake, take_in
from tracker.tracker import Tracker

MOST_FILES = 50  # files in one upload: an envelope or two
KEEP_BATCHES = 200  # finished batches remembered for their result pages
log = logging.getLogger(__name__)


@dataclass
class Batch:
    """One upload being taken in: how far it has got, and each file's outcome."""

    id: str
    owner: str
    files: int
    pages: int = 0  # pages to read, once the files have been looked at
    read: int = 0
    outcomes: list[FileOutcome] = field(default_factory=list)
    done: bool = False
    failed: str = ""

    def tick(self) -> None:
        self.read += 1


class Batches:
    """The batches of this server, by id."""

    def __init__(self, opener: Callable[[], Tracker], workers: int | None = None) -> None:
        self._opener = opener
        self._workers = workers
        self._batches: dict[str, Batch] = {}
        self._lock = threading.Lock()

    def start(self, actor: Actor, uploads: Iterable[FileStorage]) -> Batch:
        """Save the uploads in a private folder and take them in on a thread of their own."""
        folder = Path(tempfile.mkdtemp(prefix="cpo-intake-"))
        paths = save_uploads(uploads, folder)
        batch = Batch(secrets.token_urlsafe(16), actor.login, len(paths))
        with self._lock:
            self._batches[batch.id] = batch
            for old in list(self._batches)[:-KEEP_BATCHES]:
                del self._batches[old]
        thread = threading.Thread(
            target=self._run, args=(batch, actor, paths, folder), name=f"intake-{batch.id[:6]}"
        )
        thread.daemon = True
        thread.start()
        return batch

    def find(self, batch_id: str, actor: Actor) -> Batch | None:
        """The batch, if this account sent it."""
        batch = self._batches.get(batch_id)
        return batch if batch is not None and batch.owner == actor.login else None

    def _run(self, batch: Batch, actor: Actor, paths: list[Path], folder: Path) -> None:
        t: Tracker | None = None
        try:
            t = self._opener()
            t.actor = actor
            plan = plan_intake(t, paths, self._workers)
            batch.pages = plan.pages
            for outcome in take_in(t, plan, actor.login, workers=self._workers, on_page=batch.tick):
                batch.outcomes.append(outcome)
        except TrackerError as err:
            batch.failed = str(err)
        except Exception:  # a bug: logged whole; the page says what is kept
            log.exception("intake batch %s stopped", batch.id[:6])
            batch.failed = "the intake stopped before the end"
        finally:
            if t is not None:
                t.close()
            shutil.rmtree(folder, ignore_errors=True)
            batch.done = True


def save_uploads(uploads: Iterable[FileStorage], folder: Path) -> list[Path]:
    """Save each upload under its own name (made safe), one folder each so names never clash."""
    paths = []
    for index, upload in enumerate(uploads, start=1):
        if not upload.filename and not upload.content_length:
            continue  # the empty part a form sends when no file was chosen
        name = secure_filename(upload.filename or "") or f"upload-{index}"
        place = folder / str(index)
        place.mkdir()
        path = place / name
        upload.save(path)
        paths.append(path)
    return paths
