"""Statistics derived from tidy results: per-configuration summaries and A/B comparisons.

A *configuration* is a workload, an executor, a worker count, and every parameter the user
varied. Parameters that only follow ``workers`` (``workload.chunks: null`` becoming ``workers``,
an executor's ``max_workers``) are effective values, not choices: they never split a
configuration and never stop two worker counts from being compared. Statistics are of
``wall_s`` over the ``status == Status.OK`` rows only; nothing here is stored back into the results.
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpexp.analysis.contention import CONTENTION, contention
from hpexp.analysis.paired import (
    ROUND,
    kept,
    median_interval,
    paired_over,
    round_medians,
    summarized_ratios,
)
from hpexp.core.status import Status
from hpexp.results.schema import Kind, kind_of

VALUE = "wall_s"
IDENTITY = ["workload", "executor", "workers"]
#: pyperf's rule: a standard deviation above this fraction of the mean makes a timing unreliable
UNRELIABLE_CV = 0.10
CONFIDENCE = 0.95
ALPHA = 0.05
SERIAL = "serial"
#: the metric of a kernel that spreads one call over threads of its own (``workers`` of them)
KERNEL_THREADS = "kernel_threads"
STATISTICS = ["median_s", "mean_s", "std_s", "min_s", "max_s", "iqr_s", "ci_low_s", "ci_high_s"]
#: ratios of medians; paired by round, with an interval, where a sweep has rounds
RATIOS = ["speedup", "speedup_vs_serial"]
INTERVALS = [f"{name}_{end}" for name in RATIOS for end in ("low", "high")]
SPEEDUPS = [*RATIOS, "efficiency"]
#: what :func:`summarize` adds after the configuration columns
MEASURES = ["n", "errors", "rounds", *STATISTICS, "cv", "unreliable", *CONTENTION]
MEASURES += ["speedup", "speedup_low", "speedup_high", "left_out_rounds", "speedup_vs_serial"]
MEASURES += ["speedup_vs_serial_low", "speedup_vs_serial_high", "efficiency"]
COMPARISON = [
    "n_a",
    "n_b",
    "rounds",
    "median_a_s",
    "median_b_s",
    "ratio",
    "ratio_low",
    "ratio_high",
    "left_out_rounds",
    "p_value",
    "verdict",
    "contended_a",
    "contended_b",
]

_OVERRIDE_KEY = re.compile(r"(?:^|,)[+~]*([\w.]+)=")


def parameter_columns(frame: pd.DataFrame) -> list[str]:
    """Every column that records how a run was configured (not what it measured or where).

    ``repeats`` is not one (the schema's kind ``run``): more repeats measure the same thing.
    """
    return [c for c in frame.columns if kind_of(c) == Kind.parameter]


def _overridden(frame: pd.DataFrame) -> set[str]:
    """The keys users set on a command line, read from the ``overrides`` column."""
    if "overrides" not in frame:
        return set()
    texts = frame["overrides"].dropna().unique()
    return {key for text in texts for key in _OVERRIDE_KEY.findall(str(text))}


def _derived(frame: pd.DataFrame, column: str, set_by_user: set[str]) -> bool:
    """True when ``column`` has one value per workload, executor, worker count and value of
    every parameter the user set: it follows from them (``chunks`` from ``workers``, or 1 for
    an impl that runs one task), so it names no configuration of its own."""
    keys = [*IDENTITY, *sorted(c for c in set_by_user if c in frame and c != column)]
    per_config = frame.groupby(keys, observed=True, dropna=False)[column]
    return bool(per_config.nunique(dropna=False).max() <= 1)


def varied_parameters(frame: pd.DataFrame) -> list[str]:
    """Parameters the user varied: they take several values and were set, not derived."""
    overridden = _overridden(frame)
    return [
        column
        for column in parameter_columns(frame)
        if frame[column].nunique(dropna=False) > 1
        and (column in overridden or not _derived(frame, column, overridden))
    ]


def configuration_columns(frame: pd.DataFrame, by: Sequence[str] = ()) -> list[str]:
    """The columns whose values name one configuration: identity, ``by``, varied parameters."""
    extra = [c for c in by if c not in IDENTITY]
    return [*IDENTITY, *extra, *(c for c in varied_parameters(frame) if c not in extra)]


def median_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Distribution-free (order-statistics) interval for the median; NaN below 6 values.

    With fewer than 6 values no pair of order statistics covers the median with 95%
    probability (even the widest, the minimum to the maximum, covers it with probability
    1 - 2 x 0.5^n), so no interval is claimed, and scipy, a second of every run's startup, is
    not imported.
    """
    if 1 - 2 * 0.5 ** len(values) < confidence:
        return (math.nan, math.nan)
    from scipy import stats  # here, not at the top: only statistics pay for scipy

    interval = stats.quantile_test(values, q=float(np.median(values)), p=0.5).confidence_interval(
        confidence
    )
    return (float(interval.low), float(interval.high))


def _statistics(values: pd.Series) -> pd.Series:
    """The statistics of one configuration's ok wall times (at least one)."""
    array = values.to_numpy(dtype=float)
    q1, q3 = np.percentile(array, [25, 75])
    return pd.Series(
        [
            len(array),
            np.median(array),
            array.mean(),
            array.std(ddof=1) if len(array) > 1 else np.nan,
            array.min(),
            array.max(),
            q3 - q1,
            *median_ci(array),
        ],
        index=["n", *STATISTICS],
    )


def ok_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that measured something (all rows of a hand-made frame without ``status``)."""
    return frame[frame["status"] == Status.OK] if "status" in frame else frame


def _speedup(summary: pd.DataFrame, baseline: pd.DataFrame, on: list[str]) -> pd.Series:
    """``baseline``'s median over each configuration's median, matched on ``on``."""
    base = baseline.groupby(on, observed=True, dropna=False)["median_s"].first()
    matched = summary[on].merge(base.rename("base_s").reset_index(), on=on, how="left")
    return pd.Series(matched["base_s"].to_numpy() / summary["median_s"].to_numpy())


def _with_ratio(
    summary: pd.DataFrame,
    name: str,
    pooled: pd.Series,
    paired: pd.DataFrame,
    keys: list[str],
) -> None:
    """``name`` and its interval: the paired ratio where two rounds or more pair up, else
    the ratio of the pooled medians (one round: no interval)."""
    aligned = summary[keys].merge(paired.reset_index(), on=keys, how="left")
    use = (aligned["paired_rounds"] >= 2).to_numpy()
    summary[name] = np.where(use, aligned[name].to_numpy(float), pooled.to_numpy(float))
    for end in ("low", "high"):
        summary[f"{name}_{end}"] = np.where(use, aligned[f"{name}_{end}"].to_numpy(float), np.nan)
    if name == "speedup":
        summary["left_out_rounds"] = np.where(use, aligned["left_out_rounds"].fillna(0), 0)
        summary["left_out_rounds"] = summary["left_out_rounds"].astype(int)


def key_columns(summary: pd.DataFrame) -> list[str]:
    """The configuration columns of a :func:`summarize` result (those before ``n``)."""
    return list(summary.columns[: summary.columns.get_loc("n")])


def summarize(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per configuration: wall-time statistics, speedups and a reliability flag.

    Columns: the configuration columns, ``n`` (ok rows), ``errors`` (other rows), ``rounds``
    (rounds with ok runs), ``median_s``, ``mean_s``, ``std_s``, ``min_s``, ``max_s``,
    ``iqr_s``, ``ci_low_s``/``ci_high_s`` (95% interval of the median), ``cv`` (std/mean),
    ``unreliable`` (fewer than 2 runs or cv above 10%), the signs of a disturbed machine
    (``foreign_cpus``, ``throttled_s``, ``machine_speed``, ``overlapped``, ``slowed``,
    ``contended``: see :mod:`hpexp.analysis.contention`), ``speedup`` (vs workers=1 of the same
    executor and parameters; with rounds paired, with ``speedup_low``/``speedup_high`` and
    ``left_out_rounds``: see :mod:`hpexp.analysis.paired`), ``speedup_vs_serial`` (vs the
    serial executor at workers=1, same workload parameters; paired likewise) and
    ``efficiency`` (speedup / workers). ``by`` adds grouping columns, e.g.
    ``["python_version"]``. On ``serial``, more workers are no concurrency and get no speedup,
    except where the kernel ran on threads of its own (``kernel_threads`` > 1: workers are its
    threads, as with ``cython_prange``).
    """
    keys = configuration_columns(frame, by)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *MEASURES])
    group = {"observed": True, "dropna": False, "sort": True}
    failed = frame["status"].ne(Status.OK) if "status" in frame else pd.Series(False, frame.index)
    errors = failed.groupby([frame[k] for k in keys], **group).sum().rename("errors")
    summary = errors.to_frame()
    ok = ok_rows(frame)
    per_round = round_medians(ok, keys)
    own_threads = pd.Series(False, index=summary.index)
    if len(ok) and KERNEL_THREADS in ok:
        most = ok.groupby(keys, **group)[KERNEL_THREADS].max()
        own_threads = (most.reindex(summary.index) > 1).fillna(False).astype(bool)
    if len(ok):
        summary = summary.join(ok.groupby(keys, **group)[VALUE].apply(_statistics).unstack())
        summary = summary.join(per_round.groupby(keys, **group).size().rename("rounds"))
        summary = summary.join(contention(ok, keys))
    columns = ["errors", "n", "rounds", *STATISTICS, *CONTENTION]
    summary = summary.reindex(columns=columns)
    summary["own_threads"] = own_threads
    summary = summary.reset_index()
    summary["rounds"] = summary["rounds"].fillna(0).astype(int)
    summary["n"] = summary["n"].fillna(0).astype(int)
    summary["errors"] = summary["errors"].astype(int)
    summary["cv"] = summary["std_s"] / summary["mean_s"]
    summary["unreliable"] = (summary["n"] < 2) | (summary["cv"] > UNRELIABLE_CV)
    for flag in ("overlapped", "contended"):
        summary[flag] = summary[flag].astype("boolean").fillna(False).astype(bool)
    series = [k for k in keys if k != "workers"]
    shared = [k for k in series if k != "executor" and not k.startswith("executor.")]
    one_worker, round_one_worker = (f[f["workers"] == 1] for f in (summary, per_round))
    baselines = {
        "speedup": (one_worker, round_one_worker, series),
        "speedup_vs_serial": (
            one_worker[one_worker["executor"] == SERIAL],
            round_one_worker[round_one_worker["executor"] == SERIAL],
            shared,
        ),
    }
    for name, (base, round_base, on) in baselines.items():
        paired = summarized_ratios(paired_over(per_round, round_base, on), keys, name)
        _with_ratio(summary, name, _speedup(summary, base, on), paired, keys)
    # serial runs every task in turn whatever ``workers`` says: more "workers" only split the
    # work into more tasks, so no speedup is claimed for it beyond its own baseline, unless the
    # kernel spread each call over ``workers`` threads of its own
    not_concurrent = (
        (summary["executor"] == SERIAL) & (summary["workers"] > 1) & ~summary["own_threads"]
    )
    summary.loc[not_concurrent, [*RATIOS, *INTERVALS]] = np.nan
    summary["efficiency"] = summary["speedup"] / summary["workers"]
    return summary[[*keys, *MEASURES]]


def _matchable(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The ok rows with every key as a plain value, so two sides' configurations match."""
    ok = ok_rows(frame).copy()
    for key in keys:
        if key not in ok:
            ok[key] = np.nan
        elif isinstance(ok[key].dtype, pd.CategoricalDtype):
            ok[key] = ok[key].astype(str)
    return ok


def _samples(ok: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Each configuration's ok wall times as one array."""
    return ok.groupby(keys, dropna=False, sort=True)[VALUE].apply(lambda s: s.to_numpy(float))


#: :func:`compare`'s verdict where no outcome of the test could be significant
TOO_FEW = "too few runs"


def smallest_p_value(n_a: int, n_b: int) -> float:
    """The smallest two-sided Mann-Whitney p-value ``n_a`` and ``n_b`` runs can give: every
    run of one side below every run of the other, 2 of the C(n_a + n_b, n_a) orderings.
    3 runs against 3 can never go below 0.1, so they can never show a change at 0.05."""
    return min(1.0, 2 / math.comb(n_a + n_b, n_a))


def compare(a: pd.DataFrame, b: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Per configuration found in both, how ``b``'s wall time relates to ``a``'s.

    Configurations are matched on what either side varied; what differs between ``a`` and
    ``b`` as a whole (another machine, version or setting) is what is being compared.
    ``ratio`` is median b / median a; where both sides have two rounds or more it is paired
    by round (round k of b over round k of a, :mod:`hpexp.analysis.paired`), the median of
    those ratios, with ``ratio_low``/``ratio_high`` its interval across the ``rounds`` paired.
    ``p_value`` is then a t-test of the per-round log ratios (the rounds are the samples),
    otherwise a two-sided Mann-Whitney U test of all runs; ``verdict``
    says whether b is ``faster``, ``slower`` or ``not significant`` at ``alpha``, or that there
    are ``too few runs`` for the test ever to be significant (see :func:`smallest_p_value`);
    ``contended_a``/``contended_b`` say whether other work disturbed either side's runs.
    """
    keys = list(dict.fromkeys([*configuration_columns(a), *configuration_columns(b)]))
    ok_a, ok_b = _matchable(a, keys), _matchable(b, keys)
    round_a, round_b = round_medians(ok_a, keys), round_medians(ok_b, keys)
    per_round = round_a.merge(round_b, on=[*keys, ROUND], suffixes=("_a", "_b"))
    per_round["ratio"] = per_round["median_s_b"] / per_round["median_s_a"]
    per_round["disturbed"] = per_round["disturbed_a"] | per_round["disturbed_b"]
    by_round = pd.Series(name="by_round", dtype=object)
    if len(per_round):
        grouped = per_round.groupby(keys, dropna=False, sort=True)[["ratio", "disturbed"]]
        by_round = grouped.apply(
            lambda r: kept(r["ratio"].to_numpy(float), r["disturbed"].to_numpy(bool))
        ).rename("by_round")
    both = pd.concat(
        [
            _samples(ok_a, keys).rename("a"),
            _samples(ok_b, keys).rename("b"),
            by_round,
            contention(ok_a, keys)["contended"].rename("contended_a"),
            contention(ok_b, keys)["contended"].rename("contended_b"),
        ],
        axis=1,
        join="inner",
    )
    rows = []
    for a_values, b_values, by_round_kept, contended_a, contended_b in both.itertuples(index=False):
        ratios, left_out = by_round_kept
        row = _compared(a_values, b_values, ratios, alpha) | {"left_out_rounds": left_out}
        rows.append(row | {"contended_a": bool(contended_a), "contended_b": bool(contended_b)})
    result = pd.DataFrame(rows, index=both.index, columns=COMPARISON)
    return result.reset_index() if len(both) else pd.DataFrame(columns=[*keys, *COMPARISON])


def _paired_p_value(ratios: np.ndarray) -> float:
    """Two-sided one-sample t-test of the per-round log ratios against 0 (no change).

    Rounds are the unit that repeats the machine's variance, so they, not the runs, are the
    samples; a log makes 2x slower and 2x faster the same distance from no change.
    """
    from scipy import stats  # here, not at the top: only statistics pay for scipy

    logs = np.log(ratios)
    if np.ptp(logs) == 0:
        return 1.0 if logs[0] == 0 else 0.0
    return float(stats.ttest_1samp(logs, 0.0).pvalue)


def _compared(
    a_values: np.ndarray, b_values: np.ndarray, ratios: np.ndarray, alpha: float
) -> dict[str, object]:
    """One configuration's comparison: paired by round where both sides have two rounds or
    more (ratio, interval and test across rounds), otherwise of all runs (Mann-Whitney)."""
    from scipy import stats  # here, not at the top: only statistics pay for scipy

    median_a, median_b = float(np.median(a_values)), float(np.median(b_values))
    paired = len(ratios) >= 2
    if paired:
        ratio, (low, high) = float(np.median(ratios)), median_interval(ratios)
        p_value = _paired_p_value(ratios)
        too_few = False
    else:
        ratio, low, high = median_b / median_a, math.nan, math.nan
        p_value = float(stats.mannwhitneyu(a_values, b_values, alternative="two-sided").pvalue)
        too_few = smallest_p_value(len(a_values), len(b_values)) >= alpha
    if too_few:
        verdict = TOO_FEW
    elif p_value >= alpha:
        verdict = "not significant"
    else:
        verdict = "slower" if ratio > 1 else "faster"
    return {
        "n_a": len(a_values),
        "n_b": len(b_values),
        "rounds": len(ratios) if paired else 1,
        "median_a_s": median_a,
        "median_b_s": median_b,
        "ratio": ratio,
        "ratio_low": low,
        "ratio_high": high,
        "p_value": p_value,
        "verdict": verdict,
    }


@dataclass(frozen=True)
class CpuLimit:
    """The CPUs a sweep's runs could use, and what set that number below the machine's."""

    cpus: float
    #: ``a cgroup quota`` or ``the CPU affinity mask``; empty when it is the machine's count
    source: str = ""

    def __str__(self) -> str:
        count = f"{self.cpus:g} CPU{'' if self.cpus == 1 else 's'}"
        return f"the {count} it is allowed" if self.source else f"this machine's {count}"


def cpu_limit_of(frame: pd.DataFrame) -> CpuLimit:
    """The CPUs ``frame``'s runs could use: the machine's (``cpu_count``, the largest if several),
    fewer where the affinity mask (``usable_cpus``) or, in every job, a cgroup quota
    (``cpu_quota``) allowed fewer; a quota that only some jobs had is not the sweep's limit."""

    def largest(column: str) -> float | None:
        values = frame[column].dropna() if column in frame else pd.Series(dtype=float)
        return float(values.max()) if len(values) else None

    machine = largest("cpu_count") or 1.0
    usable = min(largest("usable_cpus") or machine, machine)
    limited = "cpu_quota" in frame and len(frame) and frame["cpu_quota"].notna().all()
    quota = largest("cpu_quota") if limited else None
    if quota is not None and quota < usable:
        return CpuLimit(quota, "a cgroup quota")
    if usable < machine:
        return CpuLimit(usable, "the CPU affinity mask")
    return CpuLimit(machine)
