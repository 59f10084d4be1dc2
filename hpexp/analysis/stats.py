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

import numpy as np
import pandas as pd

from hpexp.analysis.contention import CONTENTION, contention
from hpexp.core.status import Status
from hpexp.results.schema import Kind, kind_of

VALUE = "wall_s"
IDENTITY = ["workload", "executor", "workers"]
#: pyperf's rule: a standard deviation above this fraction of the mean makes a timing unreliable
UNRELIABLE_CV = 0.10
CONFIDENCE = 0.95
ALPHA = 0.05
SERIAL = "serial"
STATISTICS = ["median_s", "mean_s", "std_s", "min_s", "max_s", "iqr_s", "ci_low_s", "ci_high_s"]
SPEEDUPS = ["speedup", "speedup_vs_serial", "efficiency"]
#: what :func:`summarize` adds after the configuration columns
MEASURES = ["n", "errors", *STATISTICS, "cv", "unreliable", *CONTENTION, *SPEEDUPS]
COMPARISON = [
    "n_a",
    "n_b",
    "median_a_s",
    "median_b_s",
    "ratio",
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


def _follows_workers(frame: pd.DataFrame, column: str) -> bool:
    """True when ``column`` has one value per workload, executor and worker count."""
    per_config = frame.groupby(IDENTITY, observed=True, dropna=False)[column]
    return bool(per_config.nunique(dropna=False).max() <= 1)


def varied_parameters(frame: pd.DataFrame) -> list[str]:
    """Parameters the user varied: they take several values and were set, not derived."""
    overridden = _overridden(frame)
    return [
        column
        for column in parameter_columns(frame)
        if frame[column].nunique(dropna=False) > 1
        and (column in overridden or not _follows_workers(frame, column))
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


def key_columns(summary: pd.DataFrame) -> list[str]:
    """The configuration columns of a :func:`summarize` result (those before ``n``)."""
    return list(summary.columns[: summary.columns.get_loc("n")])


def summarize(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per configuration: wall-time statistics, speedups and a reliability flag.

    Columns: the configuration columns, ``n`` (ok rows), ``errors`` (other rows), ``median_s``,
    ``mean_s``, ``std_s``, ``min_s``, ``max_s``, ``iqr_s``, ``ci_low_s``/``ci_high_s`` (95%
    interval of the median), ``cv`` (std/mean), ``unreliable`` (fewer than 2 runs or cv above
    10%), ``foreign_cpus``/``overlapped``/``contended`` (see :mod:`hpexp.analysis.contention`),
    ``speedup`` (vs workers=1 of the same executor and parameters), ``speedup_vs_serial``
    (vs the serial executor at workers=1, same workload parameters) and ``efficiency``
    (speedup / workers). ``by`` adds grouping columns, e.g. ``["python_version"]``.
    """
    keys = configuration_columns(frame, by)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *MEASURES])
    group = {"observed": True, "dropna": False, "sort": True}
    failed = frame["status"].ne(Status.OK) if "status" in frame else pd.Series(False, frame.index)
    errors = failed.groupby([frame[k] for k in keys], **group).sum().rename("errors")
    summary = errors.to_frame()
    ok = ok_rows(frame)
    if len(ok):
        summary = summary.join(ok.groupby(keys, **group)[VALUE].apply(_statistics).unstack())
        summary = summary.join(contention(ok, keys))
    summary = summary.reindex(columns=["errors", "n", *STATISTICS, *CONTENTION]).reset_index()
    summary["n"] = summary["n"].fillna(0).astype(int)
    summary["errors"] = summary["errors"].astype(int)
    summary["cv"] = summary["std_s"] / summary["mean_s"]
    summary["unreliable"] = (summary["n"] < 2) | (summary["cv"] > UNRELIABLE_CV)
    for flag in ("overlapped", "contended"):
        summary[flag] = summary[flag].astype("boolean").fillna(False).astype(bool)
    series = [k for k in keys if k != "workers"]
    one_worker = summary[summary["workers"] == 1]
    summary["speedup"] = _speedup(summary, one_worker, series)
    shared = [k for k in series if k != "executor" and not k.startswith("executor.")]
    serial = one_worker[one_worker["executor"] == SERIAL]
    summary["speedup_vs_serial"] = _speedup(summary, serial, shared)
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
    ``ratio`` is median b / median a; ``p_value`` is a two-sided Mann-Whitney U test; ``verdict``
    says whether b is ``faster``, ``slower`` or ``not significant`` at ``alpha``, or that there
    are ``too few runs`` for the test ever to be significant (see :func:`smallest_p_value`);
    ``contended_a``/``contended_b`` say whether other work disturbed either side's runs.
    """
    from scipy import stats  # here, not at the top: only statistics pay for scipy

    keys = list(dict.fromkeys([*configuration_columns(a), *configuration_columns(b)]))
    ok_a, ok_b = _matchable(a, keys), _matchable(b, keys)
    both = pd.concat(
        [
            _samples(ok_a, keys).rename("a"),
            _samples(ok_b, keys).rename("b"),
            contention(ok_a, keys)["contended"].rename("contended_a"),
            contention(ok_b, keys)["contended"].rename("contended_b"),
        ],
        axis=1,
        join="inner",
    )
    rows = []
    for a_values, b_values, *contended in both.itertuples(index=False):
        median_a, median_b = float(np.median(a_values)), float(np.median(b_values))
        p_value = float(stats.mannwhitneyu(a_values, b_values, alternative="two-sided").pvalue)
        if smallest_p_value(len(a_values), len(b_values)) >= alpha:
            verdict = TOO_FEW
        elif p_value >= alpha:
            verdict = "not significant"
        else:
            verdict = "slower" if median_b > median_a else "faster"
        rows.append(
            {
                "n_a": len(a_values),
                "n_b": len(b_values),
                "median_a_s": median_a,
                "median_b_s": median_b,
                "ratio": median_b / median_a,
                "p_value": p_value,
                "verdict": verdict,
                "contended_a": bool(contended[0]),
                "contended_b": bool(contended[1]),
            }
        )
    result = pd.DataFrame(rows, index=both.index)
    return result.reset_index() if len(both) else pd.DataFrame(columns=[*keys, *COMPARISON])


def cpu_count_of(frame: pd.DataFrame) -> int:
    """The CPU count of the machine that measured ``frame`` (the largest, if several)."""
    counts = frame["cpu_count"].dropna() if "cpu_count" in frame else pd.Series(dtype=int)
    return int(counts.max()) if len(counts) else 1
