"""The trial loop: what runs (warmup, repeats), what is timed, and what a timeout stops."""

import signal
import time

import psutil
import pytest

from hpexp import Outcome, Workload
from hpexp.core.trials import Job, TrialTimeout, run_trials, time_limit
from hpexp.executors.process_pool import ProcessPoolExecutor
from hpexp.executors.serial import SerialExecutor


class Counted(Workload):
    """Counts every run (through its tasks) and every task; ``hang`` makes each task sleep."""

    def __init__(self, hang_s: float = 0.0) -> None:
        self.hang_s = hang_s
        self.runs = self.task_calls = 0

    def tasks(self, workers, seed):
        self.runs += 1
        return [0, 1]

    def run(self, task):
        self.task_calls += 1
        time.sleep(self.hang_s)
        return task

    def reduce(self, results):
        return Outcome(metrics={"result_sum": sum(results)}, units=len(results))


def test_warmup_runs_happen_and_are_not_recorded():
    workload = Counted()
    job = Job(workload, SerialExecutor(1), workers=1, repeats=3, warmup=2, seed=0)
    trials = run_trials(job).trials
    assert [trial.repeat for trial in trials] == [0, 1, 2]
    assert workload.runs == 5, "2 warmup + 3 measured runs"
    assert workload.task_calls == 10


def test_no_warmup_means_only_the_measured_runs():
    workload = Counted()
    run_trials(Job(workload, SerialExecutor(1), workers=1, repeats=2, warmup=0, seed=0))
    assert workload.runs == 2


def test_a_timeout_row_and_every_pool_worker_stopped():
    executor = ProcessPoolExecutor(2)
    job = Job(
        Counted(hang_s=60), executor, workers=2, repeats=2, warmup=0, seed=0, trial_timeout_s=1.0
    )
    started = time.monotonic()
    trials = run_trials(job).trials
    assert time.monotonic() - started < 10
    assert [trial.status for trial in trials] == ["timeout"]
    assert "trial_timeout_s=1" in trials[0].error
    workers = [p for p in psutil.Process().children(recursive=True) if p.status() != "zombie"]
    assert all("resource_tracker" in " ".join(p.cmdline()) for p in workers), workers


class OuterAlarm(Exception):
    """Raised by a test's own SIGALRM handler, as pytest-timeout's fails a test."""


@pytest.fixture
def outer_alarm():
    """A SIGALRM handler of the caller's own, restored (with no timer left) afterwards."""

    def handler(signum, frame):
        raise OuterAlarm

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        yield handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_time_limit_stops_a_body_that_runs_too_long():
    started = time.monotonic()
    with pytest.raises(TrialTimeout), time_limit(0.2):
        time.sleep(5)
    assert time.monotonic() - started < 1


def test_time_limit_keeps_an_outer_alarm_armed(outer_alarm):
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    with time_limit(1.0):
        time.sleep(0.1)
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 4.5 < left < 5.0, "the outer timer was not switched off"
    assert signal.getsignal(signal.SIGALRM) is outer_alarm


def test_an_outer_alarm_due_first_runs_its_own_handler(outer_alarm):
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    started = time.monotonic()
    with pytest.raises(OuterAlarm), time_limit(30):
        time.sleep(5)
    assert time.monotonic() - started < 1
