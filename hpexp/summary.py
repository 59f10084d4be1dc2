"""The table printed at the end of a run or sweep: one line per job, robust statistics only."""

import re

import pandas as pd

_WORKERS_OVERRIDE = re.compile(r"(^|,)workers=[^,]*")


def _baseline_key(overrides: pd.Series) -> pd.Series:
    """A job's overrides without ``workers=``: jobs sharing it differ only in worker count."""
    return overrides.fillna("").str.replace(_WORKERS_OVERRIDE, "", regex=True).str.strip(",")


def job_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per job: median wall time, IQR, and speedup over ``workers=1`` of the same configuration."""
    if frame.empty:
        return pd.DataFrame()
    frame = frame.assign(overrides=frame.get("overrides", pd.Series("", index=frame.index)))
    ok = frame[frame["status"] == "ok"]
    keys = ["sweep_id", "job"]
    per_job = frame.groupby(keys, observed=True, sort=True).agg(
        workload=("workload", "first"),
        executor=("executor", "first"),
        workers=("workers", "first"),
        overrides=("overrides", "first"),
        status=("status", lambda s: "ok" if (s == "ok").all() else "FAILED"),
    )
    walls = ok.groupby(keys, observed=True)["wall_s"]
    per_job["ok_rows"] = walls.size()
    per_job["median_wall_s"] = walls.median()
    per_job["iqr_s"] = walls.quantile(0.75) - walls.quantile(0.25)
    per_job["ok_rows"] = per_job["ok_rows"].fillna(0).astype(int)
    per_job["baseline"] = _baseline_key(per_job["overrides"])
    one_worker = per_job[per_job["workers"] == 1].groupby(["sweep_id", "baseline"])["median_wall_s"]
    base = per_job.join(one_worker.first().rename("base_wall_s"), on=["sweep_id", "baseline"])
    per_job["speedup"] = base["base_wall_s"] / per_job["median_wall_s"]
    per_job = per_job.reset_index()
    columns = ["job", "workload", "executor", "workers", "ok_rows", "median_wall_s", "iqr_s"]
    return per_job[[*columns, "speedup", "status", "overrides"]]


def format_summary(frame: pd.DataFrame) -> str:
    table = job_summary(frame)
    if table.empty:
        return "no results"
    return table.to_string(
        index=False,
        na_rep="-",
        formatters={
            "median_wall_s": lambda v: "-" if pd.isna(v) else f"{v:.4f}",
            "iqr_s": lambda v: "-" if pd.isna(v) else f"{v:.4f}",
            "speedup": lambda v: "-" if pd.isna(v) else f"{v:.2f}x",
        },
    )
