"""The one row builder: every row of every job, measured or failed, is made here."""

import json
from collections.abc import Mapping
from typing import Any

from hpexp.core.trials import Trial, Trials


def scalar(value: Any) -> Any:
    """A parameter as a parquet-friendly scalar; lists and dicts become JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def parameters(group: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``{group}.{key}`` columns for a config group's values (its ``_target_`` is no column)."""
    return {f"{group}.{key}": scalar(v) for key, v in values.items() if key != "_target_"}


def _trial_columns(trial: Trial) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "repeat": trial.repeat,
        "started_at": trial.started_at,
        "setup_s": trial.setup_s,
        "status": trial.status,
        "error": trial.error,
    }
    if trial.tasks is None:  # the job failed before this run measured anything
        return columns
    columns |= {
        "wall_s": trial.wall_s,
        "cpu_s": trial.cpu_s,
        "tasks": trial.tasks,
        "units": trial.units,
        "throughput": trial.units / trial.wall_s,
        "max_rss_mb": trial.max_rss_mb,
        "foreign_cpu_s": trial.foreign_cpu_s,
        "throttled_s": trial.throttled_s,
        "ended_at": trial.ended_at,
    }
    if trial.ideal_s is not None:
        columns |= {"ideal_s": trial.ideal_s, "ideal_fraction": trial.ideal_s / trial.wall_s}
    return columns | trial.metrics


def build_rows(job_columns: Mapping[str, Any], trials: Trials) -> list[dict[str, Any]]:
    """A job's rows: its shared columns (identity, parameters, environment), the machine's state
    when it started, the executor's effective settings as ``executor.*`` columns, then each
    trial's own columns."""
    shared = {**job_columns, **trials.conditions, **parameters("executor", trials.settings)}
    return [{**shared, **_trial_columns(trial)} for trial in trials.trials]
