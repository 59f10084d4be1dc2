"""Text tables of :mod:`hpexp.analysis.stats` results: the end-of-run job table and the
report tables.

Numbers are formatted here and nowhere else, so the terminal and the HTML report agree.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd

from hpexp.analysis.contention import CONTENTION
from hpexp.analysis.stats import SPEEDUPS, configuration_columns, summarize
from hpexp.core.quiet import CONTENDED_CPUS
from hpexp.core.status import NOT_FAILED


def _fixed(decimals: int, suffix: str = "") -> Callable[[float], str]:
    return lambda v: "-" if pd.isna(v) else f"{v:.{decimals}f}{suffix}"


def seconds(value: float) -> str:
    """Four significant digits, never in exponent notation: 0.0001546, 0.003370, 12.35."""
    if pd.isna(value):
        return "-"
    return np.format_float_positional(value, precision=4, unique=False, fractional=False, trim="k")


def _cv(row: pd.Series) -> str:
    if pd.isna(row["cv"]):
        return "-"
    return f"{row['cv']:.1%}" + (" noisy" if row["unreliable"] else "")


def contention_reason(row: pd.Series) -> str:
    """Why a configuration is ``contended``: ``0.93 CPUs`` of other work, ``overlapped`` with
    other jobs of its sweep, or both; ``-`` when it was not."""
    if not row["contended"]:
        return "-"
    reasons = []
    if pd.notna(row.get("foreign_cpus")) and row["foreign_cpus"] > CONTENDED_CPUS:
        reasons.append(f"{row['foreign_cpus']:.2f} CPUs")
    if row.get("overlapped", False):
        reasons.append("overlapped")
    return ", ".join(reasons)


def _ci(row: pd.Series) -> str:
    if pd.isna(row["ci_low_s"]):
        return "-"
    return f"[{seconds(row['ci_low_s'])}, {seconds(row['ci_high_s'])}]"


SECONDS = ("median_s", "mean_s", "std_s", "min_s", "max_s", "iqr_s", "median_a_s", "median_b_s")
FORMATS: dict[str, Callable[[float], str]] = {
    **dict.fromkeys(SECONDS, seconds),
    **dict.fromkeys(SPEEDUPS, _fixed(2, "x")),
    "efficiency": _fixed(2),
    "foreign_cpus": _fixed(2),
    "ratio": _fixed(2, "x"),
    "p_value": lambda v: "-" if pd.isna(v) else f"{v:.2g}",
}


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A non-empty ``table`` as strings: seconds to 4 digits, speedups as ``1.9x``, the CI as one
    column ``ci95_s`` (left out when no row has one), the coefficient of variation marked
    ``noisy`` where the median is unreliable, and ``contended`` as its reason."""
    shown = table.copy()
    if "cv" in shown:
        shown["cv"] = shown.apply(_cv, axis=1)
        shown = shown.drop(columns="unreliable")
    if "contended" in shown:
        shown["contended"] = shown.apply(contention_reason, axis=1)
        shown = shown.drop(columns="overlapped", errors="ignore")
    if "ci_low_s" in shown:
        at = shown.columns.get_loc("ci_low_s")
        ci = shown.apply(_ci, axis=1)
        shown = shown.drop(columns=["ci_low_s", "ci_high_s"])
        if (ci != "-").any():  # below 6 runs no configuration has an interval: no empty column
            shown.insert(at, "ci95_s", ci)
    for column, form in FORMATS.items():
        if column in shown:
            shown[column] = shown[column].map(form)
    for column in shown.select_dtypes("float").columns:
        whole = shown[column].dropna()
        if len(whole) and (whole == whole.round()).all():  # 2000000.0 is a count: 2000000
            shown[column] = shown[column].map(lambda v: "-" if pd.isna(v) else f"{v:.0f}")
    return shown.astype(str).replace({"nan": "-", "<NA>": "-", "None": "-"})


def without_empty_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without the columns no row has a value in (another workload's parameters)."""
    return table.loc[:, table.notna().any(axis=0)]


def as_text(table: pd.DataFrame) -> str:
    return readable(table).to_string(index=False) if len(table) else "no results"


def _job_status(statuses: pd.Series) -> str:
    """``ok``, ``skipped`` (an executor that cannot run the cell) or ``FAILED``."""
    for verdict in NOT_FAILED:
        if (statuses == verdict).all():
            return verdict
    return "FAILED"


def split_overrides(text: str) -> list[str]:
    """Hydra's ``override_dirname`` back into its ``key=value`` items (commas inside a list
    value such as ``numbers=[3,5]`` stay in it)."""
    items, depth, start = [], 0, 0
    for at, char in enumerate(text):
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:at])
            start = at + 1
    items.append(text[start:])
    return [item for item in items if item]


def overrides_that_vary(texts: pd.Series) -> pd.Series:
    """Each job's overrides without those every job shares: what tells the jobs apart.

    A lone job keeps all of its overrides: they are what it was run with.
    """
    jobs = [dict(item.partition("=")[::2] for item in split_overrides(str(t))) for t in texts]
    if len(jobs) < 2:
        return texts
    keys = dict.fromkeys(k for job in jobs for k in job)
    varying = {k for k in keys if len({job.get(k) for job in jobs}) > 1}
    shown = [",".join(f"{k}={v}" for k, v in job.items() if k in varying) for job in jobs]
    return pd.Series(shown, index=texts.index)


def job_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per job, with its configuration's statistics from :func:`summarize`."""
    keys = configuration_columns(frame)
    jobs = frame.groupby(["sweep_id", "job"], observed=True, sort=True).agg(
        **{key: (key, "first") for key in keys},
        overrides=("overrides", "first"),
        status=("status", _job_status),
    )
    measures = ["n", "median_s", "iqr_s", "cv", "unreliable", *CONTENTION, "speedup"]
    table = jobs.reset_index().merge(summarize(frame)[[*keys, *measures]], on=keys, how="left")
    table["overrides"] = overrides_that_vary(table["overrides"])
    return table[["job", "workload", "executor", "workers", *measures, "status", "overrides"]]


def format_summary(frame: pd.DataFrame) -> str:
    """The table printed at the end of a run or sweep."""
    return as_text(job_summary(frame)) if len(frame) else "no results"
