"""The trial loop: what runs (warmup, repeats), what is timed, and what a timeout stops."""

import math
import signal
import time
from datetime import UTC, timedelta

import psutil
import pytest

import hpexp
from hpexp import Outcome, Workload
from hpexp.core.progress import Progress
from hpexp.core.status import Status
from hpexp.core.trials import Job, TrialTimeout, run_trials, time_limit
from hpexp.core.workload import CannotRun, Span
from hpexp.executors.serial import SerialExecutor
from tests.conftest import own_processes


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


class ExitsOnItsSecondRun(Counted):
    def run(self, task):
        if self.runs == 2:
            raise SystemExit(4)
        return super().run(task)


class NeedsSharedState(Counted):
    def shared_state(self):
        return {"flag": True}


class NotOnThreads(Counted):
    def driver(self, model):
        raise CannotRun("NotOnThreads runs in one thread only")


def test_a_task_calling_sys_exit_fails_its_job_and_keeps_the_runs_before():
    job = Job(
        ExitsOnItsSecondRun(), hpexp.executor("serial", 1), workers=1, repeats=3, warmup=0, seed=0
    )
    result = run_trials(job)
    assert [trial.status for trial in result.trials] == [Status.OK, Status.ERROR]
    failed = result.trials[1]
    assert (failed.repeat, failed.error) == (1, "a task called sys.exit(4)")
    assert failed.started_at.tzinfo is UTC
    assert math.isnan(failed.wall_s)
    assert "SystemExit: 4" in result.traceback
    assert result.conditions["probe_s"] > 0, "the machine's state as the job started"


@pytest.mark.parametrize(
    ("workload", "executor", "error"),
    [
        (
            NeedsSharedState(),
            hpexp.executor("joblib", 2, backend="loky"),
            "joblib's loky backend cannot hand shared state over; "
            "NeedsSharedState needs shared state",
        ),
        (NotOnThreads(), hpexp.executor("threads", 2), "NotOnThreads runs in one thread only"),
    ],
    ids=["cannot-share", "cannot-run"],
)
def test_a_cell_that_cannot_run_is_one_skipped_trial_with_the_reason(workload, executor, error):
    result = run_trials(Job(workload, executor, workers=2, repeats=2, warmup=1, seed=0))
    (trial,) = result.trials
    assert (trial.repeat, trial.status, trial.error) == (0, Status.SKIPPED, error)
    assert result.traceback is None


def test_warmup_runs_happen_and_are_not_recorded():
    workload = Counted()
    job = Job(workload, hpexp.executor("serial", 1), workers=1, repeats=3, warmup=2, seed=0)
    trials = run_trials(job).trials
    assert [trial.repeat for trial in trials] == [0, 1, 2]
    assert workload.runs == 5, "2 warmup + 3 measured runs"
    assert workload.task_calls == 10


def test_no_warmup_means_only_the_measured_runs():
    workload = Counted()
    run_trials(Job(workload, hpexp.executor("serial", 1), workers=1, repeats=2, warmup=0, seed=0))
    assert workload.runs == 2


def test_a_timeout_row_and_every_pool_worker_stopped():
    executor = hpexp.executor("pool", 2)
    job = Job(
        Counted(hang_s=60), executor, workers=2, repeats=2, warmup=0, seed=0, trial_timeout_s=1.0
    )
    before = own_processes()
    started = time.monotonic()
    trials = run_trials(job).trials
    assert time.monotonic() - started < 10
    assert [trial.status for trial in trials] == ["timeout"]
    assert "trial_timeout_s=1" in trials[0].error
    left = [p for p in own_processes() - before if p.status() != psutil.STATUS_ZOMBIE]
    assert not left, "every pool worker the job started is stopped"


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


class Judged(Workload):
    """Two 10 ms tasks; a known ideal time; its second measured run reduces to a wrong result."""

    def __init__(self) -> None:
        self.seeds: list[int] = []
        self.reduced = 0

    def tasks(self, workers, seed):
        self.seeds.append(seed)
        return [0.01, 0.01]

    def run(self, task):
        time.sleep(task)
        return task

    def ideal_s(self, workers):
        return 0.02 / workers

    def reduce(self, results):
        self.reduced += 1
        error = "wrong on purpose" if self.reduced == 2 else None  # warmup runs are not reduced
        return Outcome(metrics={"slept_s": sum(results)}, units=len(results), error=error)


def test_a_trial_records_exactly_what_its_run_measured():
    workload = Judged()
    job = Job(workload, hpexp.executor("serial", 1), workers=1, repeats=2, warmup=1, seed=7)
    result = run_trials(job)
    first, second = result.trials
    assert workload.seeds == [7, 7, 7], "warmup and repeats run the same seed's tasks"
    assert (first.repeat, first.status, first.error) == (0, "ok", "")
    assert (second.repeat, second.status, second.error) == (1, "error", "wrong on purpose")
    assert (first.tasks, first.units, first.ideal_s) == (2, 2, 0.02)
    assert first.metrics == {"slept_s": 0.02}
    assert 0.02 <= first.wall_s < 0.5
    assert 0 <= first.setup_s < 1
    assert first.setup_s == second.setup_s, "one setup per job"
    assert first.started_at < second.started_at
    assert (result.settings, result.traceback) == ({}, None)


class BrokenStart(SerialExecutor):
    def start(self):
        raise OSError("no pool today")


def test_a_failure_before_measuring_is_one_unmeasured_trial():
    result = run_trials(Job(Judged(), BrokenStart(1), workers=1, repeats=3, warmup=1, seed=0))
    (trial,) = result.trials
    assert (trial.repeat, trial.status, trial.error) == (0, "error", "OSError: no pool today")
    assert trial.tasks is None
    assert math.isnan(trial.wall_s)
    assert math.isnan(trial.setup_s), "the start never finished"
    assert "OSError: no pool today" in result.traceback


def test_the_pool_settings_come_with_the_trials():
    result = run_trials(
        Job(Judged(), hpexp.executor("pool", 2), workers=2, repeats=1, warmup=0, seed=0)
    )
    assert result.settings["max_workers"] == 2
    assert result.settings["chunksize"] == 1, "two tasks on two workers"


class Spanned(Workload):
    """One task per worker, each busy for ``busy_s``; its run's spans are its tasks'."""

    def __init__(self, busy_s: float) -> None:
        self.busy_s = busy_s

    def tasks(self, workers, seed):
        return list(range(workers))

    def run(self, task):
        started = time.perf_counter()
        while time.perf_counter() - started < self.busy_s:
            pass
        return Span("task", started, time.perf_counter())

    def reduce(self, results):
        return Outcome(units=len(results), spans=list(results))


class Said(Progress):
    """A progress that keeps what each finished run said."""

    def __init__(self) -> None:
        super().__init__("job", enabled=False)
        self.said: list[tuple[str, int, int]] = []

    def run_done(self, what, number, of):
        self.said.append((what, number, of))


def test_a_measured_run_keeps_every_reading_its_spans_and_its_cpu_samples():
    progress = Said()
    job = Job(Spanned(busy_s=0.08), hpexp.executor("serial", 3), workers=3, repeats=2, warmup=2,
              seed=0, sample_cpus_s=0.05, progress=progress)  # fmt: skip
    trials = run_trials(job).trials
    assert progress.said == [("warmup", 1, 2), ("warmup", 2, 2), ("repeat", 1, 2), ("repeat", 2, 2)]
    for trial in trials:
        assert trial.tasks == 3, "the tasks of workers=3"
        assert trial.wall_s >= 0.24
        assert trial.cpu_s > 0, "a busy wait of wall time: its CPU time is what it was given"
        assert trial.max_rss_mb > 0
        assert trial.foreign_cpu_s >= 0
        assert math.isnan(trial.throttled_s) or trial.throttled_s >= 0
        assert trial.started_at.tzinfo is UTC
        assert trial.ended_at.tzinfo is UTC
        assert trial.ended_at - trial.started_at >= timedelta(seconds=0.24)
        assert [span.kind for span in trial.spans] == ["task"] * 3
        assert trial.timed_from <= trial.spans[0].start
        assert trial.spans[-1].end - trial.timed_from <= trial.wall_s
        assert trial.cpu_samples, "sampled every 0.05 s of a 0.24 s run"
        assert trial.cpu_samples[0].start <= trial.timed_from
        assert trial.cpu_samples[-1].end >= trial.timed_from + trial.wall_s
