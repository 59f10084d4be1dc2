"""The trial runner: build a workload and an executor from config, measure, return tidy rows.

Order per job: ``workload.prepare()`` (untimed), executor start (``setup_s``), ``warmup``
unrecorded runs, then ``repeats`` measured runs. Only ``executor.run`` is inside ``wall_s``;
tasks are made and results reduced outside it.
"""

import gc
import importlib.util
import json
import math
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from hpexp.environment import library_versions, machine
from hpexp.errors import ConfigError, MissingDependency, one_line, require_int, require_seconds
from hpexp.executors.base import Executor
from hpexp.measure import measure
from hpexp.processes import Terminated, stop_for_exit, terminate_descendants
from hpexp.progress import Progress
from hpexp.workloads.base import Workload


@dataclass
class Job:
    """One Hydra job, resolved to plain Python objects before anything runs or crosses a process."""

    workload: Workload
    executor: Executor
    workers: int
    repeats: int
    warmup: int
    seed: int
    trial_timeout_s: float = 600.0
    #: identity and parameter columns shared by every row of the job
    columns: dict[str, Any] = field(default_factory=dict)
    progress: Progress = field(default_factory=lambda: Progress("", enabled=False))


def _plain(node: DictConfig) -> dict[str, Any]:
    """A config node as plain containers (enums as strings): safe to pickle into workers."""
    container = OmegaConf.to_container(node, resolve=True, enum_to_str=True)
    assert isinstance(container, dict)
    return container


def _column_value(value: Any) -> Any:
    """Parameters as parquet-friendly scalars; lists and dicts become JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _missing_module(exc: BaseException) -> str | None:
    """The top-level package that is not installed, if that is why ``exc`` happened."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError) and seen.name:
            package = seen.name.split(".")[0]
            return package if importlib.util.find_spec(package) is None else None
        seen = seen.__cause__ or seen.__context__
    return None


def _build(group: str, params: dict[str, Any], base: type, **kwargs: Any) -> Any:
    """Instantiate a group's ``_target_`` and turn every failure into a one-line ConfigError."""
    target = params.get("_target_", "")
    try:
        obj = instantiate(params, **kwargs)
    except InstantiationException as exc:
        cause = exc.__cause__
        if isinstance(cause, ConfigError):
            raise cause.under(group) from None
        missing = _missing_module(exc)
        if missing:
            raise MissingDependency(f"{group}._target_", target, missing) from None
        reason = str(cause or exc).splitlines()[0]
        raise ConfigError(f"{group}._target_", target, f"an importable class ({reason})") from None
    if not isinstance(obj, base):
        raise ConfigError(f"{group}._target_", target, f"a subclass of {base.__qualname__}")
    return obj


def build_job(cfg: DictConfig, identity: dict[str, Any], progress: Progress) -> Job:
    """Validate every value and build the job; raises ConfigError before anything is written."""
    workers = require_int("workers", cfg.workers, 1)
    repeats = require_int("repeats", cfg.repeats, 1)
    warmup = require_int("warmup", cfg.warmup, 0)
    seed = require_int("seed", cfg.seed, 0)
    trial_timeout_s = require_seconds("trial_timeout_s", cfg.trial_timeout_s)
    workload_params = _plain(cfg.workload)
    executor_params = _plain(cfg.executor)
    workload = _build("workload", workload_params, Workload)
    executor = _build("executor", executor_params, Executor, workers=workers)
    columns = {
        **identity,
        "workers": workers,
        **{
            f"{group}.{key}": _column_value(value)
            for group, params in (("workload", workload_params), ("executor", executor_params))
            for key, value in params.items()
            if key != "_target_"
        },
        **{f"workload.{k}": _column_value(v) for k, v in workload.describe(workers).items()},
        "seed": seed,
        "warmup": warmup,
        "repeats": repeats,
        "trial_timeout_s": trial_timeout_s,
        **machine(),
        **library_versions(workload.libraries + executor.libraries),
    }
    return Job(
        workload, executor, workers, repeats, warmup, seed, trial_timeout_s, columns, progress
    )


def _efficiency(ideal_s: float | None, wall_s: float) -> dict[str, float]:
    """``ideal_s`` and ``efficiency`` columns for workloads that know their ideal wall time."""
    if ideal_s is None:
        return {}
    return {"ideal_s": ideal_s, "efficiency": ideal_s / wall_s}


class TrialTimeout(BaseException):
    """Raised in the main thread by SIGALRM when one run exceeds ``trial_timeout_s``.

    A BaseException, so a workload's own ``except Exception`` (counting failed requests, say)
    cannot swallow it.
    """


#: re-arming an overdue timer with 0 would disarm it: the shortest delay that still fires
_AT_ONCE_S = 1e-6


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body after ``seconds``, even inside a blocking wait on a pool.

    A real signal (not a flag checked between bytecodes) also wakes the main thread from a
    blocked lock acquire, which is where it waits for a hung pool. There is one SIGALRM timer
    per process, so an outer one (pytest-timeout's, a caller's own) is kept: if it is due first
    its handler runs, and what is left of it is armed again on the way out.
    """
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


@dataclass
class Trials:
    """A job's rows, and the full traceback of the failure that ended it early, if any."""

    rows: list[dict[str, Any]]
    traceback: str | None = None


def _abandon(executor: Executor, stop_processes: Callable[[], None]) -> None:
    """Stop a run that cannot finish: kill its processes, and do not wait for its threads."""
    stop_processes()
    with suppress(Exception):
        executor.shutdown(wait=False, cancel_futures=True)


def run_trials(job: Job) -> Trials:
    """Measure the job; a failure becomes a ``status=error`` (or ``timeout``) row, not an exception.

    Rows measured before a failure are kept, so one broken repeat never costs the others.
    Ctrl-C and SIGTERM stop every process the job started before they propagate.
    """
    rows: list[dict[str, Any]] = []
    setup_s = math.nan
    task_count = 0
    failure: dict[str, Any] | None = None
    trace = None
    try:
        with ExitStack() as stack:
            job.workload.prepare()
            stack.callback(job.workload.close)
            started = time.perf_counter()
            stack.enter_context(job.executor)
            setup_s = time.perf_counter() - started
            try:
                for _ in range(job.warmup):
                    with time_limit(job.trial_timeout_s):
                        job.executor.run(job.workload, job.workload.tasks(job.workers, job.seed))
                for repeat in range(job.repeats):
                    tasks = job.workload.tasks(job.workers, job.seed)
                    task_count = len(tasks)
                    started_at = datetime.now(UTC)
                    gc.collect()  # the previous run's garbage is not this run's cost
                    with time_limit(job.trial_timeout_s), measure() as timing:
                        results = job.executor.run(job.workload, tasks)
                    outcome = job.workload.reduce(results)
                    rows.append(
                        {
                            "repeat": repeat,
                            "wall_s": timing.wall_s,
                            "cpu_s": timing.cpu_s,
                            "setup_s": setup_s,
                            "tasks": task_count,
                            "units": outcome.units,
                            "throughput": outcome.units / timing.wall_s,
                            **_efficiency(job.workload.ideal_s(job.workers), timing.wall_s),
                            "max_rss_mb": timing.max_rss_mb,
                            "status": "error" if outcome.error else "ok",
                            "error": outcome.error or "",
                            "started_at": started_at,
                            **outcome.metrics,
                        }
                    )
                    job.progress.update(repeat + 1, job.repeats)
            except TrialTimeout:
                _abandon(job.executor, terminate_descendants)
                limit = f"a run exceeded trial_timeout_s={job.trial_timeout_s:g}"
                failure = {"status": "timeout", "error": f"{limit}; its processes were stopped"}
            except (KeyboardInterrupt, Terminated):
                _abandon(job.executor, stop_for_exit)
                raise
    except Exception as exc:
        failure = {"status": "error", "error": one_line(exc)}
        trace = traceback.format_exc()
    if failure is not None:
        failure.update(repeat=len(rows), setup_s=setup_s, started_at=datetime.now(UTC))
        rows.append(failure)
    settings = {
        f"executor.{k}": _column_value(v) for k, v in job.executor.settings(task_count).items()
    }
    return Trials([{**job.columns, **settings, **row} for row in rows], trace)
