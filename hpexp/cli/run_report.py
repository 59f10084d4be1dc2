"""What went wrong in this process's run or sweep, for :func:`hpexp.cli.app.main` to report.

Hydra swallows exceptions raised in callbacks (and prints a line of its own for one raised by a
job), so refused configs, unexpected errors and failed jobs are collected here and
:func:`hpexp.cli.app.main` turns them into one line and the exit code.
"""

import warnings
from dataclasses import dataclass, field

import pandas as pd

from hpexp.core.errors import ConfigError
from hpexp.core.status import NOT_FAILED


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
        failed = frame[~frame["status"].isin(NOT_FAILED)]
        for (job, overrides), rows in failed.groupby(["job", "overrides"], observed=True):
            self.failed_jobs.append(
                f"job {job} ({overrides or 'defaults'}): {rows['error'].iloc[0]}"
            )


REPORT = RunReport()


def print_hpexp_warnings_as_one_line() -> None:
    """hpexp's own warnings (an unreadable results file) print as their message alone: the
    source line Python adds would point inside hpexp, not at anything the user can change."""
    default = warnings.formatwarning

    def formatted(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        line: str | None = None,
    ) -> str:
        if str(message).startswith("hpexp: "):
            return f"{message}\n"
        return default(message, category, filename, lineno, line)

    warnings.formatwarning = formatted
