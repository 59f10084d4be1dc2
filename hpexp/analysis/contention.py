"""Which configurations were measured while something else used or slowed the machine.

Four signs, any one enough:

- other programs took more than :data:`CONTENDED_CPUS` of a CPU on average during the
  configuration's ok runs (their ``foreign_cpu_s`` over their ``wall_s``, given once those add
  up to :data:`MIN_TIMED_S`);
- a cgroup CPU quota throttled its runs for more than :data:`THROTTLED_SHARE` of their wall
  time (``throttled_s``: a container's, a CI runner's limit);
- its visits' CPU probe ran slower than the sweep's typical visit's (``machine_speed`` below
  :data:`SLOWED`: a hypervisor, a thermal limit, a neighbour's cache traffic, which no
  counter reports);
- one of its jobs ran at the same time as another job of its sweep on the same host (a
  parallel Hydra launcher), from ``started_at`` and ``ended_at``.

A contended timing may be consistently slow rather than noisy, so the spread alone cannot
show it.
"""

import numpy as np
import pandas as pd

from hpexp.core.quiet import CONTENDED_CPUS

#: below this much timed wall time, ``foreign_cpus`` is not given: the machine's busy time and
#: each process's CPU time are counted in 10 ms clock ticks, too coarse for shorter windows
MIN_TIMED_S = 0.5
#: a quota that held the runs back for more than this share of their wall time disturbed them
THROTTLED_SHARE = 0.05
#: a configuration whose probe ran below this share of the sweep's fastest was slowed
SLOWED = 0.9
#: what :func:`contention` adds to a summary
CONTENTION = ["foreign_cpus", "throttled_s", "machine_speed", "overlapped", "slowed", "contended"]
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
    frame = frame.assign(_throttled=frame.get("throttled_s", np.nan), _wall=frame["wall_s"])
    sums = frame.groupby(keys, **group).agg(
        _foreign=("_foreign", "sum"),
        _timed=("_timed", "sum"),
        overlapped=("_overlapped", "any"),
        _measured=("_foreign", "count"),
        throttled_s=("_throttled", lambda s: s.sum(min_count=1)),
        _wall=("_wall", "sum"),
    )
    result = pd.DataFrame(index=sums.index)
    long_enough = (sums["_measured"] > 0) & (sums["_timed"] >= MIN_TIMED_S)
    result["foreign_cpus"] = (sums["_foreign"] / sums["_timed"]).where(long_enough)
    result["throttled_s"] = sums["throttled_s"]
    result["machine_speed"] = _machine_speed(frame, keys)
    result["overlapped"] = sums["overlapped"].astype(bool)
    result["slowed"] = (result["machine_speed"] < SLOWED).astype(bool)
    result["contended"] = (
        (result["foreign_cpus"] > CONTENDED_CPUS)
        | (result["throttled_s"] > THROTTLED_SHARE * sums["_wall"])
        | result["slowed"]
        | result["overlapped"]
    )
    return result


#: a configuration is judged by the probes of at least this many visits (jobs): one visit's
#: probe is too noisy (bimodal on a virtual machine), so a sweep needs rounds=3 or more
MIN_VISITS = 3
#: a single run shorter than this is never judged on its own: its 10 ms ticks are too coarse
MIN_RUN_S = 0.1


def disturbed_runs(rows: pd.DataFrame) -> pd.Series:
    """Per row: whether that run on its own shows other work above :data:`CONTENDED_CPUS` or
    throttling above :data:`THROTTLED_SHARE` (runs under :data:`MIN_RUN_S` are not judged)."""
    wall = rows["wall_s"]
    long_enough = wall >= MIN_RUN_S
    foreign = rows.get("foreign_cpu_s", pd.Series(np.nan, index=rows.index)) / wall
    throttled = rows.get("throttled_s", pd.Series(np.nan, index=rows.index)) / wall
    return long_enough & ((foreign > CONTENDED_CPUS) | (throttled > THROTTLED_SHARE))


def _machine_speed(ok: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per configuration: the median probe of all the sweep's visits over the median of its own
    visits' probes (one per job: the probe is timed once per visit), NaN without probes.

    Given from :data:`MIN_VISITS` visits of the configuration (rounds). The sweep's typical
    visit is the reference, not its fastest: on a virtual machine the same
    probe on an idle machine comes out bimodal (0.64 ms or 1.1 ms here, one time in four the
    fast one), so the fastest is an outlier that would call most visits slowed.
    """
    group = {"observed": True, "dropna": False, "sort": True}
    if "probe_s" not in ok or ok["probe_s"].isna().all():
        return pd.Series(np.nan, index=ok.groupby(keys, **group).size().index)
    job = [c for c in JOB if c in ok]
    visits = ok.groupby([*keys, *job], **group)["probe_s"].first().reset_index()
    per_config = visits.groupby(keys, **group)["probe_s"]
    speed = visits["probe_s"].median() / per_config.median()
    return speed.where(per_config.count() >= MIN_VISITS)
