"""A user's own workload and executor, in the user's own module: hpexp's code is not touched."""

import time
from typing import Any

from hpexp import Executor, Outcome, Workload


class Sleep(Workload):
    """``naps`` sleeps of ``nap_ms`` each: I/O-like work that any concurrent executor overlaps."""

    def __init__(self, naps: int, nap_ms: int) -> None:
        self.naps, self.nap_ms = naps, nap_ms

    def tasks(self, workers: int, seed: int) -> list[float]:
        return [self.nap_ms / 1000] * self.naps

    def run(self, task: float) -> float:
        time.sleep(task)
        return task

    def reduce(self, results: list[Any]) -> Outcome:
        slept = sum(results)
        return Outcome(metrics={"slept_s": slept}, units=len(results))


class Reversed(Executor):
    """Runs tasks last-to-first in the calling thread, and says so in its settings."""

    def submit(self, fn, /, *args, **kwargs):
        raise NotImplementedError

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        items = list(zip(*iterables, strict=True))
        return reversed([fn(*args) for args in reversed(items)])

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"order": "reversed"}
