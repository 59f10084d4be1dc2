"""Text tables of :mod:`hpexp.analysis.stats` results: the end-of-run job table and the
report tables.

Numbers are formatted here and nowhere else, so the terminal and the HTML report agree.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd

from hpexp.analysis.contention import SLOWED, THROTTLED_SHARE
from hpexp.analysis.stats import RATIOS, SPEEDUPS, configuration_columns, summarize
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
    """Why a configuration is ``contended``: ``0.93 CPUs`` of other work, ``throttled 0.41 s``
    by a CPU quota, ``slowed to 0.85`` (its probe against the sweep's fastest), ``overlapped``
    with other jobs of its sweep; ``-`` when it was not."""
    if not row["contended"]:
        return "-"
    reasons = []
    if pd.notna(row.get("foreign_cpus")) and row["foreign_cpus"] > CONTENDED_CPUS:
        reasons.append(f"{row['foreign_cpus']:.2f} CPUs")
    throttled = row.get("throttled_s")
    if pd.notna(throttled) and throttled > 0 and throttled > THROTTLED_SHARE * _timed(row):
        reasons.append(f"throttled {throttled:.2f} s")
    if pd.notna(row.get("machine_speed")) and row["machine_speed"] < SLOWED:
        reasons.append(f"slowed to {row['machine_speed']:.2f}")
    if row.get("overlapped", False):
        reasons.append("overlapped")
    return ", ".join(reasons)


def _timed(row: pd.Series) -> float:
    """The wall time a configuration's ok runs add up to (from its summary row)."""
    return float(row["mean_s"] * row["n"]) if pd.notna(row.get("mean_s")) else 0.0


def _ci(row: pd.Series) -> str:
    if pd.isna(row["ci_low_s"]):
        return "-"
    return f"[{seconds(row['ci_low_s'])}, {seconds(row['ci_high_s'])}]"


def _ratio_with_interval(name: str) -> Callable[[pd.Series], str]:
    """``1.92x [1.85, 1.97]``: a paired ratio (formatted already) and its interval across
    rounds; the ratio alone where there is one round."""

    def shown(row: pd.Series) -> str:
        value, low, high = row[name], row[f"{name}_low"], row[f"{name}_high"]
        return value + ("" if pd.isna(low) else f" [{low:.2f}, {high:.2f}]")

    return shown


SECONDS = ("median_s", "mean_s", "std_s", "min_s", "max_s", "iqr_s", "median_a_s", "median_b_s")
FORMATS: dict[str, Callable[[float], str]] = {
    **dict.fromkeys(SECONDS, seconds),
    **dict.fromkeys(SPEEDUPS, _fixed(2, "x")),
    "efficiency": _fixed(2),
    "foreign_cpus": _fixed(2),
    "throttled_s": _fixed(2),
    "machine_speed": _fixed(2),
    "ratio": _fixed(2, "x"),
    "p_value": lambda v: "-" if pd.isna(v) else f"{v:.2g}",
}


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A non-empty ``table`` as strings: seconds to 4 digits, speedups as ``1.9x`` (with their
    interval across rounds, ``1.9x [1.8, 2.0]``, where there is one), the CI as one column
    ``ci95_s`` (left out when no row has one), the coefficient of variation marked ``noisy``
    where the median is unreliable, ``contended`` as its reason, and the columns of signs no
    row has (``throttled_s`` without a quota, ``rounds`` of a sweep without rounds) left out."""
    shown = table.copy()
    if "cv" in shown:
        shown["cv"] = shown.apply(_cv, axis=1)
        shown = shown.drop(columns="unreliable")
    if "contended" in shown:
        shown["contended"] = shown.apply(contention_reason, axis=1)
        shown = shown.drop(columns=["overlapped", "slowed"], errors="ignore")
    for sign in ("throttled_s", "machine_speed"):
        if sign in shown and shown[sign].isna().all():
            shown = shown.drop(columns=sign)
    if "rounds" in shown and (shown["rounds"] <= 1).all():
        shown = shown.drop(columns="rounds")
    if "ci_low_s" in shown:
        at = shown.columns.get_loc("ci_low_s")
        ci = shown.apply(_ci, axis=1)
        shown = shown.drop(columns=["ci_low_s", "ci_high_s"])
        if (ci != "-").any():  # below 6 runs no configuration has an interval: no empty column
            shown.insert(at, "ci95_s", ci)
    for column, form in FORMATS.items():
        if column in shown:
            shown[column] = shown[column].map(form)
    for name in [*RATIOS, "ratio"]:
        if f"{name}_low" in shown:
            shown[name] = shown.apply(_ratio_with_interval(name), axis=1)
            shown = shown.drop(columns=[f"{name}_low", f"{name}_high"])
    for column in shown.select_dtypes("float").columns:
        whole = shown[column].dropna()
        if len(whole) and (whole == whole.round()).all():  # 2000000.0 is a count: 2000000
            shown[column] = shown[column].map(lambda v: "-" if pd.isna(v) else f"{v:.0f}")
    return shown.astype(str).replace({"nan": "-", "<NA>": "-", "None": "-"})


def without_empty_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without the columns no row has a value in (another workload's parameters)."""
    return table.loc[:, table.notna().any(axis=0)]


#: counts that say something only when one is not zero
_ZERO_IS_NOTHING = ("errors", "left_out_rounds")


def informative_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without empty columns, nor counts that are zero in every row: a report's
    table fits its page with what tells its rows apart."""
    table = without_empty_columns(table)
    silent = [c for c in _ZERO_IS_NOTHING if c in table and (table[c].fillna(0) == 0).all()]
    return table.drop(columns=silent)


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
    """One line per configuration of each sweep (its rounds' jobs are one line: ``job`` is
    the first of them), with its statistics from :func:`summarize`."""
    keys = configuration_columns(frame)
    lines = frame.groupby(
        ["sweep_id", "overrides", *keys], observed=True, dropna=False, sort=False
    ).agg(job=("job", "min"), status=("status", _job_status))
    lines = lines.reset_index().sort_values(["sweep_id", "job"])
    signs = ["foreign_cpus", "throttled_s", "machine_speed", "overlapped", "slowed", "contended"]
    measures = ["n", "rounds", "median_s", "iqr_s", "cv", "unreliable", *signs]
    measures += ["speedup", "speedup_low", "speedup_high"]
    table = lines.merge(summarize(frame)[[*keys, *measures]], on=keys, how="left")
    table["overrides"] = overrides_that_vary(table["overrides"])
    return table[["job", "workload", "executor", "workers", *measures, "status", "overrides"]]


def format_summary(frame: pd.DataFrame) -> str:
    """The table printed at the end of a run or sweep."""
    return as_text(job_summary(frame)) if len(frame) else "no results"
