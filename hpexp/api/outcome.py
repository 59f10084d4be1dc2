"""What became of one run or sweep: its rows, and what went wrong, for the caller to act on.

One object per call of :func:`hpexp.run` / :func:`hpexp.sweep` (and so per command), created
by the caller and handed to every job it runs: the library raises from it, the command line
turns it into one line and an exit code.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpexp.core.errors import ConfigError
from hpexp.core.status import NOT_FAILED

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunReport:
    """A run's or sweep's rows and failures."""

    #: configs refused before anything ran (one per job)
    refused: list[ConfigError] = field(default_factory=list)
    #: other exceptions raised while a job was built or written (a plugin's bug, a full disk)
    unexpected: list[Exception] = field(default_factory=list)
    #: "job <num> (<overrides>): <first error>" for each job with a row whose status is not ok
    failed_jobs: list[str] = field(default_factory=list)
    #: every row measured, and the file that holds them (a job's or the sweep's)
    frame: "pd.DataFrame | None" = None
    path: Path | None = None
    #: each workload's rows, summary and verdict (:func:`hpexp.analysis.verdict.by_workload`)
    parts: list[Any] = field(default_factory=list)

    def record_failures(self, frame: "pd.DataFrame") -> None:
        failed = frame[~frame["status"].isin([str(s) for s in NOT_FAILED])]
        for (job, overrides), rows in failed.groupby(["job", "overrides"], observed=True):
            self.failed_jobs.append(
                f"job {job} ({overrides or 'defaults'}): {rows['error'].iloc[0]}"
            )

    def raise_first_error(self) -> None:
        """Raise what stopped a job from measuring: the first refusal (the others as notes),
        else the first unexpected error."""
        if self.refused:
            first = self.refused[0]
            for other in dict.fromkeys(str(exc) for exc in self.refused[1:]):
                if other != str(first):
                    first.add_note(other)
            raise first
        if self.unexpected:
            raise self.unexpected[0]
