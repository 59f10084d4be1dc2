"""Which configurations were measured while something else used the machine.

Two signs, either enough: other programs took more than :data:`CONTENDED_CPUS` of a CPU on
average during the configuration's ok runs (their ``foreign_cpu_s`` over their ``wall_s``,
given once those add up to :data:`MIN_TIMED_S`), or one of its
jobs ran at the same time as another job of its sweep on the same host (a parallel Hydra
launcher), from ``started_at`` and ``ended_at``. A contended timing may be consistently slow
rather than noisy, so the spread alone cannot show it.
"""

import numpy as np
import pandas as pd

from hpexp.core.quiet import CONTENDED_CPUS

#: below this much timed wall time, ``foreign_cpus`` is not given: the machine's busy time and
#: each process's CPU time are counted in 10 ms clock ticks, too coarse for shorter windows
MIN_TIMED_S = 0.5
#: what :func:`contention` adds to a summary
CONTENTION = ["foreign_cpus", "overlapped", "contended"]
JOB = ["sweep_id", "job"]


def _overlapping(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """For one host's jobs of one sweep: does each job's span overlap another's?"""
    meets = (start[:, None] < end[None, :]) & (start[None, :] < end[:, None])
    np.fill_diagonal(meets, False)
    return meets.any(axis=1)


def overlapped_rows(rows: pd.DataFrame) -> pd.Series:
    """Per row: whether its job's measured runs overlapped another job of its sweep on its host."""
    needed = [*JOB, "hostname", "started_at", "ended_at"]
    if rows.empty or any(c not in rows for c in needed) or rows["ended_at"].isna().all():
        return pd.Series(False, index=rows.index)
    spans = (
        rows.dropna(subset=["started_at", "ended_at"])
        .groupby([*JOB, "hostname"], observed=True)
        .agg(start=("started_at", "min"), end=("ended_at", "max"))
        .reset_index()
    )
    spans["overlapped"] = False
    for _, host in spans.groupby(["sweep_id", "hostname"], observed=True):
        start, end = host["start"].to_numpy(), host["end"].to_numpy()
        spans.loc[host.index, "overlapped"] = _overlapping(start, end)
    flags = spans.groupby(JOB, observed=True)["overlapped"].any().reset_index()
    joined = rows[JOB].merge(flags, on=JOB, how="left")
    return pd.Series(joined["overlapped"].fillna(False).astype(bool).to_numpy(), index=rows.index)


def contention(ok: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per configuration (``keys``) of the ok rows: ``foreign_cpus`` (other work's CPUs while it
    was timed), ``overlapped`` and ``contended``, indexed like a groupby on ``keys``."""
    group = {"observed": True, "dropna": False, "sort": True}
    frame = ok.assign(_overlapped=overlapped_rows(ok))
    if "foreign_cpu_s" in frame:
        measured = frame["foreign_cpu_s"].notna()
        frame = frame.assign(
            _foreign=frame["foreign_cpu_s"].where(measured),
            _timed=frame["wall_s"].where(measured),
        )
    else:
        frame = frame.assign(_foreign=np.nan, _timed=np.nan)
    sums = frame.groupby(keys, **group).agg(
        _foreign=("_foreign", "sum"),
        _timed=("_timed", "sum"),
        overlapped=("_overlapped", "any"),
        _measured=("_foreign", "count"),
    )
    result = pd.DataFrame(index=sums.index)
    long_enough = (sums["_measured"] > 0) & (sums["_timed"] >= MIN_TIMED_S)
    result["foreign_cpus"] = (sums["_foreign"] / sums["_timed"]).where(long_enough)
    result["overlapped"] = sums["overlapped"].astype(bool)
    result["contended"] = (result["foreign_cpus"] > CONTENDED_CPUS) | result["overlapped"]
    return result
