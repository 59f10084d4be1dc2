"""A workload that fails on purpose, in each of the ways real workloads fail."""

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

from hpexp import Outcome, Workload
from hpexp.core.errors import require_choice

FAILURES = ("none", "raise", "kill_worker", "wrong", "hang")


class Faulty(Workload):
    """``tasks`` tasks of ``sleep_s`` each, then the chosen ``fail``ure.

    ``unless_exists``: a path; once it exists the workload behaves (to test resume).
    """

    def __init__(
        self, fail: str = "none", tasks: int = 2, sleep_s: float = 0.0, unless_exists: str = ""
    ) -> None:
        self.fail = require_choice("fail", fail, FAILURES)
        self.task_count, self.sleep_s = tasks, sleep_s
        self.unless_exists = unless_exists

    def failure(self) -> str:
        return "none" if self.unless_exists and Path(self.unless_exists).exists() else self.fail

    def tasks(self, workers: int, seed: int) -> list[int]:
        return list(range(self.task_count))

    def run(self, task: int) -> int:
        time.sleep(self.sleep_s)
        failure = self.failure()
        if failure == "raise":
            raise ValueError(f"task {task} failed on purpose")
        if failure == "kill_worker":
            if multiprocessing.parent_process() is None:
                raise RuntimeError("kill_worker needs a process executor")
            os.kill(os.getpid(), signal.SIGKILL)
        if failure == "hang":
            time.sleep(3600)
        return task

    def reduce(self, results: list[Any]) -> Outcome:
        wrong = self.failure() == "wrong"
        return Outcome(
            metrics={"result_sum": sum(results)},
            units=len(results),
            error="the result is wrong on purpose" if wrong else None,
        )
