"""The trial loop: measure one job's runs and return what each run measured.

Order per job: ``workload.prepare()`` (untimed), executor start (``setup_s``), ``warmup``
unrecorded runs, then ``repeats`` measured runs. Only ``executor.run`` is inside ``wall_s``;
tasks are made and results reduced outside it. A failure becomes a ``Trial`` with
``status`` error or timeout, never an exception, so one broken repeat never costs the others.
"""

import gc
import math
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from hpexp.core.cpu_sampler import CpuSample, sampled_cpus
from hpexp.core.errors import one_line
from hpexp.core.executor import Executor
from hpexp.core.interrupts import Terminated, handled, is_a_signal
from hpexp.core.processes import processes_started_from_now
from hpexp.core.progress import Progress
from hpexp.core.quiet import start_conditions
from hpexp.core.shared import CannotShare, install, uninstall
from hpexp.core.status import Status
from hpexp.core.timers import measure
from hpexp.core.workload import CannotRun, Span, Workload


@dataclass
class Job:
    """One job as plain Python objects, built and validated before anything runs."""

    workload: Workload
    executor: Executor
    workers: int
    repeats: int
    warmup: int
    seed: int
    trial_timeout_s: float = 600.0
    #: wait up to this long before the job for the rest of the machine to be quiet (0: never)
    quiet_wait_s: float = 0.0
    #: sample each CPU's busy share this often during measured runs (0: not at all)
    sample_cpus_s: float = 0.0
    progress: Progress = field(default_factory=lambda: Progress("", enabled=False))


@dataclass
class Trial:
    """What one measured run gave, or how the job failed (then ``wall_s`` and the rest are NaN)."""

    repeat: int
    started_at: datetime
    setup_s: float
    status: Status = Status.OK
    error: str = ""
    wall_s: float = math.nan
    cpu_s: float = math.nan
    max_rss_mb: float = math.nan
    #: CPU time the rest of the machine used while this run was timed
    foreign_cpu_s: float = math.nan
    #: time a cgroup CPU quota held this run back (NaN without a quota)
    throttled_s: float = math.nan
    ended_at: datetime | None = None
    tasks: int | None = None
    units: float = math.nan
    #: the wall time of a perfectly concurrent run, for workloads that know it
    ideal_s: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    #: ``time.perf_counter()`` as the timed window opened, the origin of ``spans`` and
    #: ``cpu_samples`` (the run's timeline, stored beside the rows)
    timed_from: float = math.nan
    spans: list[Span] = field(default_factory=list)
    cpu_samples: list[CpuSample] = field(default_factory=list)


@dataclass
class Trials:
    """A job's trials, the executor's effective settings, the machine's state when the job
    started, and the full traceback of the failure that ended it early, if any."""

    trials: list[Trial]
    settings: dict[str, Any]
    traceback: str | None = None
    conditions: dict[str, Any] = field(default_factory=dict)


class TrialTimeout(BaseException):
    """Raised in the main thread by SIGALRM when one run exceeds ``trial_timeout_s``.

    A BaseException, so a workload's own ``except Exception`` (counting failed requests, say)
    cannot swallow it.
    """


class NoTimeLimit(UserWarning):
    """``trial_timeout_s`` cannot be enforced off the main thread."""


OFF_THE_MAIN_THREAD = (
    "hpexp: trial_timeout_s is not enforced: runs started off the main thread cannot be "
    "interrupted by a signal (call hpexp.run from the main thread to have it)"
)

#: re-arming an overdue timer with 0 would disarm it: the shortest delay that still fires
_AT_ONCE_S = 1e-6


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body after ``seconds``, even inside a blocking wait on a pool.

    A real signal (not a flag checked between bytecodes) also wakes the main thread from a
    blocked lock acquire, which is where it waits for a hung pool. There is one SIGALRM timer
    per process, so an outer one (pytest-timeout's, a caller's own) is kept: if it is due first
    its handler runs, and what is left of it is armed again on the way out.

    Python lets only the main thread handle signals: called from another thread (hpexp.run in a
    thread of the caller's), the body runs without a limit, and a warning says so once.
    """
    if threading.current_thread() is not threading.main_thread():
        warnings.warn(OFF_THE_MAIN_THREAD, NoTimeLimit, stacklevel=3)
        yield
        return
    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    deadline = started + seconds
    outer_deadline = started + outer_left
    outer_pending = outer_left > 0

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        nonlocal outer_pending
        if outer_pending and outer_deadline <= deadline:
            outer_pending = False
            if callable(outer_handler):
                outer_handler(signum, frame)
            signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), _AT_ONCE_S))
            return
        raise TrialTimeout

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_pending else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_pending:
            left = max(outer_deadline - time.monotonic(), _AT_ONCE_S)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def _abandon(executor: Executor, processes: Callable[[], None]) -> None:
    """Stop a run that cannot finish: kill its processes, and do not wait for its threads."""
    processes()
    with suppress(Exception):
        executor.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Measured:
    """What a job has measured so far: kept when a later step fails."""

    trials: list[Trial] = field(default_factory=list)
    setup_s: float = math.nan
    task_count: int = 0

    def failed(self, status: Status, error: str) -> Trial:
        return Trial(len(self.trials), datetime.now(UTC), self.setup_s, status, error)


@contextmanager
def _prepared(workload: Workload) -> Iterator[None]:
    """The workload's untimed preparation (a server, a compiled kernel), closed whatever
    happens."""
    workload.prepare()
    try:
        yield
    finally:
        workload.close()


@contextmanager
def _state_handed_over(job: Job) -> Iterator[None]:
    """The workload's shared state handed to every worker; :class:`CannotShare` if it cannot
    be."""
    state = job.workload.shared_state()
    try:
        if state is not None:
            job.executor.hand_over(install, (state,))
        yield
    finally:
        if state is not None:
            uninstall()


@contextmanager
def _started(job: Job, measured: _Measured, own_processes: Callable[[], None]) -> Iterator[None]:
    """The executor started (timed as ``setup_s``) and shut down; a run that cannot finish (a
    timeout, Ctrl-C) is abandoned first, so shutting down never waits for it."""
    began = time.perf_counter()
    with job.executor:
        measured.setup_s = time.perf_counter() - began
        job.progress.plan(job.warmup + job.repeats)
        try:
            yield
        except TrialTimeout:
            _abandon(job.executor, own_processes)
            raise
        except (KeyboardInterrupt, Terminated) as exc:
            if is_a_signal(exc):
                handled()
            _abandon(job.executor, own_processes)
            raise


def _warm_up(job: Job) -> None:
    for warm in range(job.warmup):
        with time_limit(job.trial_timeout_s):
            job.executor.run(job.workload, job.workload.tasks(job.workers, job.seed))
        job.progress.run_done("warmup", warm + 1, job.warmup)


def _measure_one(job: Job, repeat: int, measured: _Measured) -> Trial:
    """One measured run: only ``executor.run`` is timed; tasks are made and results reduced
    outside it."""
    tasks = job.workload.tasks(job.workers, job.seed)
    measured.task_count = len(tasks)
    started_at = datetime.now(UTC)
    gc.collect()  # the previous run's garbage is not this run's cost
    with (
        time_limit(job.trial_timeout_s),
        sampled_cpus(job.sample_cpus_s) as cpu_samples,
        measure() as timing,
    ):
        results = job.executor.run(job.workload, tasks)
    ended_at = datetime.now(UTC)
    outcome = job.workload.reduce(results)
    job.progress.run_done("repeat", repeat + 1, job.repeats)
    return Trial(
        repeat=repeat,
        started_at=started_at,
        setup_s=measured.setup_s,
        status=Status.ERROR if outcome.error else Status.OK,
        error=outcome.error or "",
        wall_s=timing.wall_s,
        cpu_s=timing.cpu_s,
        max_rss_mb=timing.max_rss_mb,
        foreign_cpu_s=timing.foreign_cpu_s,
        throttled_s=timing.throttled_s,
        ended_at=ended_at,
        tasks=len(tasks),
        units=outcome.units,
        ideal_s=job.workload.ideal_s(job.workers),
        metrics=outcome.metrics,
        timed_from=timing.started,
        spans=outcome.spans,
        cpu_samples=cpu_samples,
    )


@contextmanager
def _collecting_only_new_objects() -> Iterator[None]:
    """Everything alive before the job is left out of its collections.

    The collection before each run then walks only what the job made, not the whole heap
    (Hydra's, pandas' and the rest of hpexp's objects: tens of milliseconds a run).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_trials(job: Job) -> Trials:
    """Measure the job: prepare, hand over state, start, warm up, measure each repeat.

    A failure becomes a last ``error`` (or ``timeout``) trial, and the trials measured before
    it are kept; so does a task that calls ``sys.exit`` or raises ``KeyboardInterrupt`` itself.
    Ctrl-C and SIGTERM stop every process the job started, then propagate.
    """
    conditions = start_conditions(job.quiet_wait_s, job.progress.label or "job")
    own_processes = processes_started_from_now()
    measured = _Measured()
    trace = None
    try:
        with (
            _collecting_only_new_objects(),
            _prepared(job.workload),
            _state_handed_over(job),
            _started(job, measured, own_processes),
        ):
            _warm_up(job)
            for repeat in range(job.repeats):
                measured.trials.append(_measure_one(job, repeat, measured))
    except CannotShare as exc:
        reason = f"{exc}; {type(job.workload).__name__} needs shared state"
        measured.trials = [measured.failed(Status.SKIPPED, reason)]
    except CannotRun as exc:
        measured.trials = [measured.failed(Status.SKIPPED, str(exc))]
    except TrialTimeout:
        limit = f"a run exceeded trial_timeout_s={job.trial_timeout_s:g}"
        measured.trials.append(
            measured.failed(Status.TIMEOUT, f"{limit}; its processes were stopped")
        )
    except Exception as exc:
        measured.trials.append(measured.failed(Status.ERROR, one_line(exc)))
        trace = traceback.format_exc()
    except SystemExit as exc:  # a task's sys.exit() ends its job, not the sweep
        measured.trials.append(
            measured.failed(Status.ERROR, f"a task called sys.exit({exc.code!r})")
        )
        trace = traceback.format_exc()
    except KeyboardInterrupt as exc:
        if is_a_signal(exc):
            raise
        measured.trials.append(measured.failed(Status.ERROR, "a task raised KeyboardInterrupt"))
        trace = traceback.format_exc()
    return Trials(measured.trials, job.executor.settings(measured.task_count), trace, conditions)
