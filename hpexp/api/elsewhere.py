"""Failures of jobs that a parallel Hydra launcher (joblib, submitit) ran in another process or
on another machine, for the sweeping process to report.

Such a job's :data:`hpexp.api.outcome.REPORT` dies with its process, so the job leaves its
one-line error in the sweep dir, and the sweeping process reads them back after the last job.
A job that left neither results nor an error (a lost node, a killed array task) is named too,
with how to run only it again.
"""

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hpexp.core.errors import HpexpError

FAILURES_DIR = ".hpexp-failures"
#: Hydra's launcher that runs every job in the sweeping process
BASIC = "basic"


class JobFailedElsewhere(HpexpError):
    """A job's one-line error, carried from the process that ran it, with its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def launcher_of(hydra_config: Any) -> str:
    """The sweep's Hydra launcher (``basic``, ``joblib``, ``submitit_local``, ...), from the
    ``hydra`` node of a job's or a sweep's config."""
    return hydra_config.runtime.choices.get("hydra/launcher") or BASIC


def runs_elsewhere(launcher: str) -> bool:
    return launcher != BASIC


def leave_failure(sweep_dir: Path, job: int, message: str, exit_code: int) -> None:
    """In the job's process: leave its error where the sweeping process will look."""
    folder = sweep_dir / FAILURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    record = {"message": message, "exit_code": exit_code}
    (folder / f"{job}.json").write_text(json.dumps(record))


def collect_failures(
    sweep_dir: Path, jobs: int, finished: Iterable[int]
) -> list[JobFailedElsewhere]:
    """In the sweeping process, after the last job: every job's left error, then one for the
    jobs of the ``jobs`` launched that left nothing at all."""
    folder = sweep_dir / FAILURES_DIR
    failures, failed = [], set()
    for path in sorted(folder.glob("*.json"), key=lambda p: int(p.stem)):
        record = json.loads(path.read_text())
        failed.add(int(path.stem))
        failures.append(JobFailedElsewhere(record["message"], record["exit_code"]))
    shutil.rmtree(folder, ignore_errors=True)
    lost = sorted(set(range(jobs)) - set(finished) - failed)
    if lost:
        numbers = ", ".join(str(job) for job in lost)
        failures.append(
            JobFailedElsewhere(
                f"job(s) {numbers} of {sweep_dir} left no results and no error (a lost node or a "
                "killed process? see the launcher's logs there); run the same command with "
                "resume=true to run only the jobs without results",
                1,
            )
        )
    return failures
