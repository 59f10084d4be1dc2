"""A workload that fails on purpose, in each of the ways real workloads fail."""

import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hpexp import Outcome, Workload
from hpexp.core.errors import require_choice

FAILURES = (
    "none", "raise", "kill_worker", "wrong", "hang", "swallow_interrupts", "unwritable", "exit",
    "interrupt", "readonly_job_dir"
)  # fmt: skip


class Faulty(Workload):
    """``tasks`` tasks of ``sleep_s`` each, then the chosen ``fail``ure.

    ``unless_exists``: a path; once it exists the workload behaves (to test resume).
    ``unwritable``: a metric no parquet column can hold (an integer beyond int64).
    ``readonly_job_dir``: the job's dir is bind-mounted read-only after the runs (root only;
    the test unmounts it), as a disk remounted read-only mid-sweep is.
    ``swallow_interrupts``: each task's sleep happens inside a garbage-collection callback,
    where Python drops any exception (dask's gc hook swallowed a Ctrl-C this way).
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
        failure = self.failure()
        if failure == "swallow_interrupts":
            return self._sleep_in_gc(task)
        time.sleep(self.sleep_s)
        if failure == "raise":
            raise ValueError(f"task {task} failed on purpose")
        if failure == "exit":
            sys.exit(4)
        if failure == "interrupt":
            raise KeyboardInterrupt("raised by the task, not by Ctrl-C")
        if failure == "kill_worker":
            if multiprocessing.parent_process() is None:
                raise RuntimeError("kill_worker needs a process executor")
            os.kill(os.getpid(), signal.SIGKILL)
        if failure == "hang":
            time.sleep(3600)
        return task

    def _sleep_in_gc(self, task: int) -> int:
        def pause(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                time.sleep(self.sleep_s)

        gc.callbacks.append(pause)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(pause)
        return task

    def reduce(self, results: list[Any]) -> Outcome:
        if self.failure() == "readonly_job_dir":
            from hydra.core.hydra_config import HydraConfig

            job_dir = HydraConfig.get().runtime.output_dir
            mounted = subprocess.run(["mountpoint", "-q", job_dir]).returncode == 0
            if not mounted:  # once: reduce runs after every repeat
                subprocess.run(["mount", "--bind", job_dir, job_dir], check=True)
                subprocess.run(["mount", "-o", "remount,ro,bind", job_dir], check=True)
        wrong = self.failure() == "wrong"
        huge = 2**70 if self.failure() == "unwritable" else 0
        return Outcome(
            metrics={"result_sum": sum(results) + huge},
            units=len(results),
            error="the result is wrong on purpose" if wrong else None,
        )
