"""The Hydra callback: progress per job, the printed summary, the sweep's combined file and report.

Failures go to :data:`hpexp.cli.run_report.REPORT` first, so the exit code never depends on
printing or on the report.
"""

import math
import sys
from pathlib import Path
from typing import Any

import fasteners
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from hpexp.analysis.tables import format_summary
from hpexp.analysis.verdict import by_workload
from hpexp.cli.elsewhere import collect_failures, launcher_of, runs_elsewhere
from hpexp.cli.report import print_verdicts, write_sweep_report
from hpexp.cli.run_report import REPORT
from hpexp.results.store import (
    JOB_FILE,
    LOCK_FILE,
    SWEEP_FILE,
    discard_bookkeeping,
    load_results,
    write_atomic,
)


def sweep_size(config: DictConfig) -> int:
    """How many jobs the basic sweeper will launch for this sweep's overrides."""
    params = config.hydra.sweeper.get("params") or {}
    overrides = [*config.hydra.overrides.task, *(f"{k}={v}" for k, v in params.items())]
    parsed = OverridesParser.create().parse_overrides(overrides)
    return math.prod(len(list(o.sweep_string_iterator())) for o in parsed if o.is_sweep_override())


def lock_sweep_dir(sweep_dir: Path) -> fasteners.InterProcessLock | None:
    """Hold ``sweep_dir`` for this process, or None when another process holds it.

    Two sweeps on one dir (the same ``hydra.sweep.dir``, or ``resume=true`` started twice)
    would both run every job and overwrite each other's files. The lock is the kernel's
    (``fcntl``): a killed sweep releases it, so resume after a crash is never locked out.
    """
    sweep_dir.mkdir(parents=True, exist_ok=True)
    lock = fasteners.InterProcessLock(sweep_dir / LOCK_FILE)
    return lock if lock.acquire(blocking=False) else None


class SweepDirInUse(BaseException):
    """Stops a sweep whose dir another hpexp process holds, before Hydra writes anything there.

    A BaseException: Hydra turns a callback's Exceptions into warnings and would launch the
    jobs anyway; :func:`hpexp.cli.app.main` reports it as one line.
    """

    def __init__(self, sweep_dir: Path) -> None:
        super().__init__(
            f"sweep dir '{sweep_dir}' is in use by another hpexp sweep; wait for it to "
            "finish, or choose another hydra.sweep.dir"
        )


def summarise_sweep(config: DictConfig) -> None:
    """The sweep's combined file, its table and verdicts, and its report, from the jobs in its
    dir: at the end of a sweep, and after an interrupt for the jobs that finished."""
    sweep_dir = Path(config.hydra.sweep.dir)
    frame = load_results(sweep_dir)
    if runs_elsewhere(launcher_of(config.hydra)):
        finished = frame["job"].unique() if len(frame) else []
        REPORT.unexpected.extend(collect_failures(sweep_dir, sweep_size(config), finished))
    if frame.empty:
        discard_bookkeeping(sweep_dir, Path(config.results_dir))
        return
    REPORT.record_failures(frame)  # first: the exit code must not depend on what follows
    write_atomic(frame, sweep_dir / SWEEP_FILE)
    print(format_summary(frame))
    parts = by_workload(frame)
    print_verdicts(parts)
    print(f"hpexp: {len(frame)} rows in {sweep_dir / SWEEP_FILE}", file=sys.stderr)
    if config.report:
        write_sweep_report(frame, parts, sweep_dir)


#: the config of the sweep this process is running, for :func:`summarise_interrupted_sweep`
_running: list[DictConfig] = []


def summarise_interrupted_sweep() -> None:
    """After Ctrl-C or SIGTERM: what :func:`summarise_sweep` gives a finished sweep, for the
    jobs that finished (the interrupted job's rows are dropped, as on every interrupt)."""
    if _running:
        summarise_sweep(_running.pop())


class ResultsCallback(Callback):
    def __init__(self) -> None:
        self.jobs = 0
        self.lock: fasteners.InterProcessLock | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Hydra's joblib and submitit launchers pickle the callbacks into each job's process;
        the sweep dir's lock stays with the sweeping process that holds it."""
        return {**self.__dict__, "lock": None}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        self.lock = lock_sweep_dir(sweep_dir)
        if self.lock is None:
            raise SweepDirInUse(sweep_dir)
        self.jobs = sweep_size(config)
        _running[:] = [config]

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Say at once which of a sweep's jobs starts, by the number its dir and rows carry."""
        job = config.hydra.job
        if self.jobs:
            label = job.override_dirname or "defaults"
            print(f"hpexp: job {job.num} ({job.num + 1} of {self.jobs}): {label}", file=sys.stderr)

    def on_run_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        frame = job_return.return_value if job_return.status == JobStatus.COMPLETED else None
        if frame is not None:
            REPORT.record_failures(frame)  # first: the exit code must not depend on printing
            print(format_summary(frame))
            print_verdicts(by_workload(frame))
            path = Path(config.hydra.runtime.output_dir) / JOB_FILE
            print(f"hpexp: {len(frame)} rows in {path}", file=sys.stderr)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        _running.clear()
        summarise_sweep(config)
