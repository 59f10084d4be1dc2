"""``workers`` tasks each add 1 to a shared counter ``increments`` times (the book's locking
examples ``ex1``..``ex3``); the count at the end says how many updates were lost.

An unlocked run that loses updates is the lesson, not a failure: ``status=ok`` with
``lost_updates`` recorded (negative when torn writes to an unlocked file made the number
bigger). A locked run whose count is off by one is an error.
"""

from contextlib import ExitStack
from typing import Any

from hpexp.core.errors import require_bool, require_choice, require_int
from hpexp.core.shared import installed
from hpexp.core.workload import Outcome, Workload
from hpexp.workloads.counter.stores import (
    FileCounter,
    RedisCounter,
    manager_counter,
    raw_value_counter,
    value_counter,
)
from hpexp.workloads.ipc import check_redis_url, redis_url_for, start_manager, temporary_dir

STORES = ("file", "value", "rawvalue", "manager", "redis")


class Counter(Workload):
    """``increments`` additions per task, one task per worker, on the counter in ``store``."""

    problem = ("increments",)
    libraries = ("fasteners", "redis")

    def __init__(
        self,
        increments: int,
        store: str,
        locked: bool,
        redis_url: str | None,
    ) -> None:
        self.increments = require_int("increments", increments, 1)
        self.store = require_choice("store", store, STORES)
        self.locked = require_bool("locked", locked)
        self.redis_url = check_redis_url(redis_url)
        self._counter: Any = None
        self._tasks = 0
        self._job = ExitStack()  # what prepare() started, closed in close()

    def __getstate__(self) -> dict[str, Any]:
        """Workers get the parameters only: the counter reaches them at their start."""
        return {**self.__dict__, "_counter": None, "_job": None}

    def prepare(self) -> None:
        if self.store == "file":
            directory = temporary_dir("hpexp-counter-", self._job)
            self._counter = FileCounter(directory)
        elif self.store == "value":
            self._counter = value_counter()
        elif self.store == "rawvalue":
            self._counter = raw_value_counter()
        elif self.store == "manager":
            manager = start_manager(self._job)
            self._counter = manager_counter(manager)
        else:
            url = redis_url_for(self.redis_url, self._job)
            self._counter = RedisCounter(url, "hpexp:counter")
        self._counter.reset()

    def close(self) -> None:
        self._counter = None
        self._job.close()

    def shared_state(self) -> Any:
        return self._counter

    def tasks(self, workers: int, seed: int) -> list[int]:
        """One task per worker; the counter starts each run at 0."""
        self._counter.reset()
        self._tasks = workers
        return [self.increments] * workers

    def run(self, task: int) -> int:
        installed().add(task, self.locked)
        return task

    def reduce(self, results: list[int]) -> Outcome:
        expected = sum(results)
        counted = self._counter.read()
        lost = expected - counted
        error = None
        if len(results) != self._tasks:
            error = f"{len(results)} of {self._tasks} tasks returned"
        elif self.locked and lost:
            error = f"a locked counter counted {counted} of {expected} updates ({self.store})"
        metrics = {"expected": expected, "counted": counted, "lost_updates": lost}
        return Outcome(metrics=metrics, units=expected, error=error)
