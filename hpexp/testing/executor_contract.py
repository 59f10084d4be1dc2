"""The executor contract as a pytest suite, for every built-in executor and for your own.

Subclass :class:`ExecutorContract` in a test module and give it a ``make_executor`` fixture that
returns a factory ``workers -> a new, unstarted executor``::

    from hpexp.testing.executor_contract import ExecutorContract

    class TestMyExecutor(ExecutorContract):
        @pytest.fixture
        def make_executor(self):
            return lambda workers: MyExecutor(workers)

Each test starts and stops real machinery (pools, loops, child processes, clusters).
"""

import os
import threading
import time
from collections.abc import Callable

import psutil
import pytest

from hpexp.core.executor import Executor, NotStarted
from hpexp.core.status import Status
from hpexp.core.trials import Job, run_trials
from hpexp.core.workload import Outcome, Workload

#: how long an executor's threads and processes get to end after ``shutdown``
SETTLE_S = 10.0


class Squares(Workload):
    """``count`` tasks whose results reveal their order; ``fail_at`` makes one task raise."""

    def __init__(self, count: int = 7, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at

    def tasks(self, workers: int, seed: int) -> list[int]:
        return list(range(self.count))

    def run(self, task: int) -> int:
        if task == self.fail_at:
            raise ArithmeticError(f"task {task} failed on purpose")
        return task * task

    def reduce(self, results: list[int]) -> Outcome:
        return Outcome(metrics={"sum": sum(results)}, units=len(results))


def _power(base: int, exponent: int = 2) -> int:
    return base**exponent


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def _children() -> set[psutil.Process]:
    return set(psutil.Process(os.getpid()).children(recursive=True))


def _settle(check: Callable[[], list]) -> list:
    """``check()`` once it is empty, or what it still holds after :data:`SETTLE_S`."""
    deadline = time.monotonic() + SETTLE_S
    while (left := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


class ExecutorContract:
    """What every executor promises: the ``concurrent.futures`` meaning of ``submit`` and
    ``map``, a start and a stop, and nothing left running afterwards."""

    @pytest.fixture
    def make_executor(self) -> Callable[[int], Executor]:
        raise NotImplementedError("define a make_executor fixture: workers -> a new executor")

    def test_runs_every_task_and_keeps_their_order(self, make_executor):
        workload = Squares()
        with make_executor(2) as executor:
            assert executor.run(workload, workload.tasks(2, 0)) == [i * i for i in range(7)]
            assert executor.run(workload, workload.tasks(2, 0)) == [i * i for i in range(7)]

    def test_map_and_submit_keep_their_standard_meaning(self, make_executor):
        with make_executor(2) as executor:
            assert list(executor.map(_power, [1, 2, 3], [3, 2, 1])) == [1, 4, 3]
            try:
                future = executor.submit(_power, 3, exponent=3)
            except NotImplementedError:
                return  # no submit: concurrent.futures.Executor's own "absent"
            assert future.result(timeout=60) == 27
            failed = executor.submit(_power, "x", exponent=2)
            assert isinstance(failed.exception(timeout=60), TypeError)

    def test_a_task_that_raises_becomes_an_error_row(self, make_executor):
        job = Job(Squares(fail_at=3), make_executor(2), workers=2, repeats=2, warmup=0, seed=0)
        (trial,) = run_trials(job).trials
        assert trial.status == Status.ERROR
        assert trial.error == "ArithmeticError: task 3 failed on purpose"

    def test_use_before_start_is_a_clear_error_or_just_works(self, make_executor):
        """An executor with machinery to start raises NotStarted; one with none (serial) runs."""
        try:
            results = make_executor(2).run(Squares(), list(range(3)))
        except NotStarted:
            return
        assert results == [0, 1, 4]

    def test_shutdown_twice_and_before_start_is_harmless(self, make_executor):
        make_executor(1).shutdown()
        executor = make_executor(1)
        with executor:
            executor.run(Squares(count=2), [0, 1])
        executor.shutdown()
        executor.shutdown(wait=False)

    def test_nothing_is_left_running(self, make_executor):
        threads, children = _threads(), _children()
        with make_executor(2) as executor:
            executor.run(Squares(), list(range(7)))
        helpers = ("resource_tracker", "forkserver")
        left_children = _settle(
            lambda: [
                p
                for p in _children() - children
                if p.is_running()
                and p.status() != psutil.STATUS_ZOMBIE
                and not any(h in " ".join(p.cmdline()) for h in helpers)
            ]
        )
        assert not left_children, f"processes left running: {left_children}"
        left_threads = _settle(
            lambda: [t for t in _threads() - threads if t.is_alive() and not t.daemon]
        )
        assert not left_threads, f"threads left running: {left_threads}"
