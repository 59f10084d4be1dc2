"""The report a sweep writes in its dir at its end: where and how the rows were measured, and
each workload's verdict, table and figures (:mod:`hpexp.analysis.html`)."""

import sys
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from hpexp.analysis.verdict import WorkloadResults

REPORT_DIR = "report"
#: the report's environment block lists at most this many command lines
MAX_COMMANDS = 10


def commands_of(root: Path) -> list[str]:
    """The command lines that made the results under ``root``: each sweep's (its
    ``multirun.yaml``) and each single run's (its ``.hydra/overrides.yaml``)."""
    base = root if root.is_dir() else root.parent
    commands = []
    for sweep in sorted(base.rglob("multirun.yaml")):
        task = OmegaConf.load(sweep).hydra.overrides.task
        commands.append(" ".join(["python -m hpexp", *task, "-m"]))
    for run in sorted(base.rglob(".hydra/overrides.yaml")):
        if not (run.parent.parent.parent / "multirun.yaml").exists():
            commands.append(" ".join(["python -m hpexp", *OmegaConf.load(run)]))
    if len(commands) > MAX_COMMANDS:
        more = len(commands) - MAX_COMMANDS
        return [*commands[:MAX_COMMANDS], f"... and {more} more"]
    return commands


def write_sweep_report(frame: pd.DataFrame, parts: list[WorkloadResults], sweep_dir: Path) -> None:
    """Write a sweep's report; a failure is a warning, never a lost result or a failed sweep."""
    try:
        # here, not at the top: matplotlib costs every run's startup; a broken install only warns
        from hpexp.analysis.html import write_report
        from hpexp.results.timeline import load_timelines

        commands = commands_of(sweep_dir)
        timeline = load_timelines(sweep_dir)
        out = sweep_dir / REPORT_DIR
        index = write_report(frame, parts, out, str(sweep_dir), commands, timeline)
    except Exception as exc:
        print(f"hpexp: warning: no report for {sweep_dir}: {exc!r}", file=sys.stderr)
    else:
        print(f"hpexp: report in {index}", file=sys.stderr)
