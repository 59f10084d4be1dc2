"""The book's chapter 8 CPU-and-I/O workload: bcrypt a password (CPU), save the hash (I/O).

Each task hashes ``batch`` random passwords, then saves their hashes in one request to a server
that takes ``delay_ms`` (``save=http``), in one append to a file (``file``), or not at all
(``none``, the baseline). How the save is made decides whether its wait costs wall time:

* the generic path (serial, threads, process pools, joblib, dask): each task saves
  synchronously after hashing (:mod:`.sync_save`); on threads the others hash meanwhile, since
  bcrypt releases the GIL;
* asyncio, tornado, gevent with ``save=http``: the book's async version. The loop hashes one
  password, yields, and hands each batch's save to a task with at most ``workers`` saves in
  flight, so the saves wait while the next hashes run (:mod:`.aiohttp_driver`,
  :mod:`.tornado_driver`, :mod:`.gevent_driver`).

Every save is checked: the server must echo the hashes it was sent, the run's file must hold
each hash once. A failed or wrong save makes the row an error.
"""

import random
import string
import tempfile
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from hpexp.core.errors import require_choice, require_int, require_seconds
from hpexp.core.model import Model
from hpexp.core.workload import Driver, Outcome, Span, Workload
from hpexp.workloads.crawl.server_process import ServerProcess, require_server_url
from hpexp.workloads.hashsave import sync_save
from hpexp.workloads.hashsave.overlap import io_overlap
from hpexp.workloads.hashsave.records import Batch, Saved, hash_password

SAVES = ("none", "file", "http")
#: bcrypt's cost factor: 2**difficulty rounds; 4 is bcrypt's floor, 16 takes seconds per hash
DIFFICULTY = (4, 16)
PATH = "/add"


def bad_hash(value: str, difficulty: int) -> bool:
    """Not a bcrypt hash of this cost: ``$2b$<cost>$`` and 53 characters of salt and digest."""
    return not value.startswith(f"$2b${difficulty:02d}$") or len(value) != 60


class HashSave(Workload):
    """``tasks`` bcrypt hashes of cost ``difficulty``, saved ``batch`` at a time by ``save``.

    ``url`` = None starts hpexp's delay server (``save=http`` only) in :meth:`prepare`; a URL
    saves to a server already running there, which must answer ``POST /add?delay=<ms>`` with
    ``{"result": <body>}``.
    """

    problem = ("tasks", "difficulty", "delay_ms")
    libraries = ("bcrypt", "aiohttp", "requests", "tornado", "urllib3")

    def __init__(
        self,
        tasks: int,
        difficulty: int,
        save: str,
        batch: int,
        delay_ms: int,
        url: str | None,
        timeout_s: float,
    ) -> None:
        self.tasks_per_run = require_int("tasks", tasks, 1)
        self.difficulty = require_int("difficulty", difficulty, *DIFFICULTY)
        self.save = require_choice("save", save, SAVES)
        self.batch = require_int("batch", batch, 1)
        self.delay_ms = require_int("delay_ms", delay_ms, 0)
        self.url = require_server_url(url)
        self.timeout_s = require_seconds("timeout_s", timeout_s)
        self._server: ServerProcess | None = None
        self._files: tempfile.TemporaryDirectory | None = None
        self._runs = 0
        self._run_file: Path | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Workers get the parameters, never the server or the files' directory handle."""
        return {**self.__dict__, "_server": None, "_files": None}

    def prepare(self) -> None:
        hash_password(b"warm", 4)  # bcrypt's first call loads it: not any run's cost
        if self.save == "http" and self.url is None:
            self._server = ServerProcess()
        if self.save == "file":
            self._files = tempfile.TemporaryDirectory(prefix="hpexp-hashsave-")

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._files is not None:
            self._files.cleanup()
            self._files = None

    def _target(self) -> str:
        """Where this run saves: the POST URL, a fresh file of its own, or nowhere."""
        if self.save == "http":
            base = self.url if self.url is not None else self._running(self._server).url
            return f"{base}{PATH}?delay={self.delay_ms}"
        if self.save == "file":
            self._runs += 1
            self._run_file = Path(self._running(self._files).name) / f"run-{self._runs}.txt"
            return str(self._run_file)
        return ""

    @staticmethod
    def _running(handle: Any) -> Any:
        assert handle is not None, "prepare() starts what the saves need"
        return handle

    def tasks(self, workers: int, seed: int) -> list[Batch]:
        """The book's passwords: 10 distinct random letters each, from ``seed``, in batches."""
        rng = random.Random(seed)
        passwords = [
            "".join(rng.sample(string.ascii_lowercase, 10)).encode()
            for _ in range(self.tasks_per_run)
        ]
        target = self._target()
        return [
            Batch(tuple(passwords[i : i + self.batch]), self.difficulty, self.save, target)
            for i in range(0, len(passwords), self.batch)
        ]

    def run(self, task: Batch) -> Saved:
        hashes = [hash_password(password, task.difficulty) for password in task.passwords]
        return sync_save.save(task, hashes, self.timeout_s)

    def driver(self, model: Model) -> Driver | None:
        """The event-loop models' own async savers; they matter only when the save waits."""
        if self.save != "http":
            return None
        if model == Model.asyncio:
            from hpexp.workloads.hashsave import aiohttp_driver as native
        elif model == Model.tornado:
            from hpexp.workloads.hashsave import tornado_driver as native
        elif model == Model.greenlets:
            from hpexp.workloads.hashsave import gevent_driver as native
        else:
            return None
        return partial(native.run, timeout_s=self.timeout_s)

    def reduce(self, results: list[Saved]) -> Outcome:
        hashes = [h for r in results for h in r.hashes]
        saves = [r for r in results if r.save_span is not None]
        failed = [r for r in saves if r.error is not None]
        save_spans = [r.save_span for r in saves if r.save_span is not None]
        metrics = {
            "hashes": len(hashes),
            "hash_s": sum(r.hash_cpu_s for r in results),
            "saves": len(saves) - len(failed),
            "save_errors": len(failed),
            "save_s": sum(end - start for start, end in save_spans),
            "io_overlap": io_overlap((s for r in results for s in r.hash_spans), save_spans),
            "client": results[0].client if results else "",
        }
        error = self._check(results, hashes, failed)
        spans = [Span("hash", *span) for r in results for span in r.hash_spans]
        spans += [Span("save", *span) for span in save_spans]
        return Outcome(metrics, units=len(hashes), error=error, spans=spans)

    def _check(self, results: list[Saved], hashes: list[str], failed: list[Saved]) -> str | None:
        """Why the run's results are wrong, or None: bad hashes, failed saves, a wrong file."""
        wrong = [h for h in hashes if bad_hash(h, self.difficulty)]
        if wrong:
            return f"{len(wrong)} of {len(hashes)} hashes are not bcrypt cost {self.difficulty}"
        if failed:
            return f"{len(failed)} of {len(results)} saves failed, first: {failed[0].error}"
        if self.save == "file" and results:
            return self._check_file(hashes)
        return None

    def _check_file(self, hashes: list[str]) -> str | None:
        """The run's file holds each hash exactly once (then it is removed)."""
        path = self._running(self._run_file)
        lines = path.read_text(encoding="ascii").split() if path.exists() else []
        path.unlink(missing_ok=True)
        if Counter(lines) != Counter(hashes):
            return f"the run's file holds {len(lines)} hashes, not the {len(hashes)} saved"
        return None
