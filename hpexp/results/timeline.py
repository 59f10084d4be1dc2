"""A job's timeline, stored beside its rows: every span of work and every CPU sample of its
measured runs, in ``timeline.parquet`` in the job's dir.

The rows stay tidy and small (one per run); a run's thousand requests or sixty seconds of
per-core samples would not. One timeline row is one interval of one run: a span (``kind`` is
the workload's: ``request``, ``hash``, ``save``) or a CPU sample (``kind`` = ``cpu``, with
``cpu`` and its ``busy`` share). ``start_s`` and ``end_s`` count from the moment the run's
timed window opened, and ``sweep_id``, ``job``, ``round`` and ``repeat`` join it to its row.
"""

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hpexp.core.trials import Trials
from hpexp.results.layout import SWEEP_FILE, TIMELINE_FILE
from hpexp.results.store import UnreadableResults, read_or_skip, write_atomic

#: the ``kind`` of a CPU sample
CPU = "cpu"
#: what each timeline row repeats from its job's rows, to draw a configuration without a join
JOB_COLUMNS = ("sweep_id", "job", "round", "workload", "executor", "workers", "overrides")
DTYPES = {
    "sweep_id": "string",
    "job": "Int64",
    "round": "Int64",
    "workload": "category",
    "executor": "category",
    "workers": "Int64",
    "overrides": "string",
    "repeat": "int64",
    "kind": "category",
    "start_s": "float64",
    "end_s": "float64",
    "cpu": "Int64",
    "busy": "float32",
}


def timeline_frame(job_columns: Mapping[str, Any], trials: Trials) -> pd.DataFrame:
    """Every span and CPU sample of the job's measured runs, from their runs' starts."""
    records = []
    for trial in trials.trials:
        origin = trial.timed_from
        records += [
            (trial.repeat, span.kind, span.start - origin, span.end - origin, None, None)
            for span in trial.spans
        ]
        records += [
            (trial.repeat, CPU, s.start - origin, s.end - origin, s.cpu, s.busy)
            for s in trial.cpu_samples
        ]
    columns = ["repeat", "kind", "start_s", "end_s", "cpu", "busy"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for name in reversed(JOB_COLUMNS):
        frame.insert(0, name, job_columns.get(name))
    return frame.astype(DTYPES)


def write_timeline(job_columns: Mapping[str, Any], trials: Trials, job_dir: Path) -> None:
    """The job's timeline in its dir; none where its runs recorded nothing (and an older one
    is removed, so a re-run job never shows another run's spans)."""
    frame = timeline_frame(job_columns, trials)
    path = job_dir / TIMELINE_FILE
    if frame.empty:
        path.unlink(missing_ok=True)
    else:
        write_atomic(frame, path)


def _files(root: Path) -> list[Path]:
    """The timelines of what ``root`` names: itself, those of the runs a results file holds (a
    job's ``results.parquet``: the one beside it; a ``sweep.parquet``: its jobs'), or every one
    under a dir."""
    if root.is_dir():
        return sorted(root.rglob(TIMELINE_FILE))
    if root.name == SWEEP_FILE:
        return sorted(root.parent.rglob(TIMELINE_FILE))
    beside = root.with_name(TIMELINE_FILE)
    return [beside] if root.name == TIMELINE_FILE or beside.exists() else []


def load_timelines(path: str | os.PathLike[str] = "results") -> pd.DataFrame:
    """Every timeline of ``path`` (a timeline or results file, a job dir, a sweep dir or the
    results root) as one frame; empty, with the columns, where none was recorded. A file that
    cannot be read, or holds no timeline, is skipped with a warning naming it."""
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"no results at '{root}' (run python -m hpexp first)")
    frames = []
    for file in _files(root):
        frame = read_or_skip(file, "timeline", 2)
        if frame is None:
            continue
        missing = sorted(set(DTYPES) - set(frame.columns))
        if missing:
            said = f"hpexp: skipping {file}: not a timeline (no column {missing[0]!r})"
            warnings.warn(said, UnreadableResults, 2)
            continue
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in DTYPES.items()})
    frame = pd.concat(frames, ignore_index=True).astype(DTYPES)
    return frame.sort_values(["sweep_id", "job", "repeat", "start_s"], ignore_index=True)
