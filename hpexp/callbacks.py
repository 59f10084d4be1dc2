"""Hydra callbacks: the printed summary, the sweep's combined file and report, failed jobs.

Hydra swallows exceptions raised in callbacks (and prints a line of its own for one raised by a
job), so refused configs, unexpected errors and failed jobs are collected in :data:`REPORT` and
:func:`hpexp.app.main` turns them into one line and the exit code.
"""

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from hpexp.errors import ConfigError
from hpexp.results import SWEEP_FILE, discard_bookkeeping, load_results, write_atomic
from hpexp.summary import format_summary


@dataclass
class RunReport:
    """What went wrong in this process's run or sweep."""

    #: configs refused before anything ran (one per job)
    refused: list[ConfigError] = field(default_factory=list)
    #: other exceptions raised while a job was built (a plugin's bug), before anything ran
    unexpected: list[Exception] = field(default_factory=list)
    #: "job <num> (<overrides>): <first error>" for each job with a row whose status is not ok
    failed_jobs: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.refused.clear()
        self.unexpected.clear()
        self.failed_jobs.clear()

    def record_failures(self, frame: pd.DataFrame) -> None:
        failed = frame[frame["status"] != "ok"]
        for (job, overrides), rows in failed.groupby(["job", "overrides"], observed=True):
            self.failed_jobs.append(
                f"job {job} ({overrides or 'defaults'}): {rows['error'].iloc[0]}"
            )


REPORT = RunReport()


def sweep_size(config: DictConfig) -> int:
    """How many jobs the basic sweeper will launch for this sweep's overrides."""
    params = config.hydra.sweeper.get("params") or {}
    overrides = [*config.hydra.overrides.task, *(f"{k}={v}" for k, v in params.items())]
    parsed = OverridesParser.create().parse_overrides(overrides)
    return math.prod(len(list(o.sweep_string_iterator())) for o in parsed if o.is_sweep_override())


class ResultsCallback(Callback):
    def __init__(self) -> None:
        self.jobs = 0

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.jobs = sweep_size(config)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        job = config.hydra.job
        if self.jobs:
            label = job.override_dirname or "defaults"
            print(f"hpexp: job {job.num + 1}/{self.jobs} ({label})", file=sys.stderr)

    def on_run_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        frame = job_return.return_value if job_return.status == JobStatus.COMPLETED else None
        if frame is not None:
            REPORT.record_failures(frame)  # first: the exit code must not depend on printing
            print(format_summary(frame))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        frame = load_results(sweep_dir)
        if frame.empty:
            discard_bookkeeping(sweep_dir, Path(config.results_dir))
            return
        REPORT.record_failures(frame)  # first: the exit code must not depend on what follows
        write_atomic(frame, sweep_dir / SWEEP_FILE)
        print(format_summary(frame))
        print(f"hpexp: {len(frame)} rows in {sweep_dir / SWEEP_FILE}", file=sys.stderr)
        if config.report:
            sweep_report(frame, sweep_dir)


def sweep_report(frame: pd.DataFrame, sweep_dir: Path) -> None:
    """Write the sweep's report; a failure is a warning, never a lost result or a failed sweep."""
    try:
        # imported here: matplotlib costs every run's startup, and a broken install is a warning
        from hpexp.report import REPORT_DIR, write_report

        index = write_report(frame, sweep_dir / REPORT_DIR, str(sweep_dir))
    except Exception as exc:
        print(f"hpexp: warning: no report for {sweep_dir}: {exc!r}", file=sys.stderr)
    else:
        print(f"hpexp: report in {index}", file=sys.stderr)
