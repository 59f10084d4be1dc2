"""Ratios paired by round: what a sweep with ``rounds`` reports instead of a ratio of medians.

Within one round every configuration was measured close together in time, so a ratio of two
configurations' medians in the same round cancels what the machine did between rounds (a
neighbour, a thermal limit, a slower hour). A sweep's ratio is then the median of its per-round
ratios, and the spread of those ratios across rounds is its interval: the variance of the
machine enters at the level of rounds, so it is measured there (Kalibera and Jones' rule).

The interval is the distribution-free order-statistics interval for that median, not a
bootstrap: a handful of rounds is the usual case, and a percentile bootstrap of a median of 5
values can only return those values, with a coverage below what it claims. The order statistics
say exactly what they cover: ``[X(k), X(n+1-k)]`` covers the median with probability
``1 - 2 P(Binomial(n, 1/2) < k)``. From 6 rounds the narrowest such interval covering 95% is
given; below 6 none reaches 95%, and the range of the rounds is given, with what it covers
(:func:`range_coverage`: 94% at 5 rounds, 88% at 4, 75% at 3, 50% at 2).

A disturbance that hits one visit of a round and not the other (a burst of other work, a quota
switched on) does not cancel in the round's ratio. Where hpexp saw it, it is left out, at two
levels: a visit's median is of its undisturbed runs (a run with other work above a quarter of
a CPU or throttled for 5% of its time: :func:`~hpexp.analysis.contention.disturbed_runs`)
where it has any; a visit with none, or that overlapped another job, is disturbed, and a round
with a disturbed visit is left out of the ratio, as long as two undisturbed rounds remain. One
visit's probe is too noisy to judge a visit by: it judges configurations, over their visits.
How many rounds were left out is reported beside the ratio (``left_out_rounds``).
"""

import math

import numpy as np
import pandas as pd

from hpexp.analysis.contention import contention, disturbed_runs

ROUND = "round"
CONFIDENCE = 0.95
#: an interval wider than this fraction of its median is called wide in words
WIDE = 0.2


def coverage(n: int, k: int) -> float:
    """The probability that ``[X(k), X(n+1-k)]`` of ``n`` values covers their median."""
    below = sum(math.comb(n, i) for i in range(k))
    return 1 - 2 * below / 2**n


def range_coverage(n: int) -> float:
    """What the range of ``n`` rounds covers: the interval given below 6 rounds."""
    return coverage(n, 1)


def median_interval(values: np.ndarray) -> tuple[float, float]:
    """The order-statistics interval of the median: at 95% where ``values`` allow it, else
    their range; NaN for fewer than 2 values."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    if n < 2:
        return (math.nan, math.nan)
    k = 1
    while k < n // 2 and coverage(n, k + 1) >= CONFIDENCE:
        k += 1
    return (float(ordered[k - 1]), float(ordered[n - k]))


def is_wide(median: float, low: float, high: float) -> bool:
    return bool(pd.notna(low) and median > 0 and (high - low) / median > WIDE)


def round_medians(ok: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per configuration and round: the median wall time of its ok runs (``median_s``).

    Rows without a round (files from before rounds) are one round, round 0. The median is of
    the visit's undisturbed runs where it has any; ``disturbed`` says it has none, or it
    overlapped another job.
    """
    rounds = ok[ROUND].fillna(0) if ROUND in ok else pd.Series(0, index=ok.index)
    frame = ok.assign(**{ROUND: rounds.astype("int64")})
    by_visit = [*keys, ROUND]
    group = {"observed": True, "dropna": False, "sort": True}
    disturbed = disturbed_runs(frame) if len(frame) else pd.Series(dtype=bool)
    clean = frame.assign(wall_s=frame["wall_s"].where(~disturbed))
    medians = clean.groupby(by_visit, **group)["wall_s"].median().rename("median_s").to_frame()
    every_run = frame.groupby(by_visit, **group)["wall_s"].median()
    no_clean_run = medians["median_s"].isna()
    medians["median_s"] = medians["median_s"].fillna(every_run)
    if len(frame):
        medians["disturbed"] = no_clean_run | contention(frame, by_visit)["overlapped"]
    else:
        medians["disturbed"] = pd.Series(dtype=bool)
    return medians.reset_index()


def kept(ratios: np.ndarray, disturbed: np.ndarray) -> tuple[np.ndarray, int]:
    """The per-round ratios a paired ratio is made of: the undisturbed rounds where two or more
    are, else every round; and how many rounds were left out."""
    known = ~np.isnan(ratios)
    clean = known & ~disturbed
    use = clean if clean.sum() >= 2 else known
    return ratios[use], int(known.sum() - use.sum())


def summarized_ratios(ratios: pd.DataFrame, keys: list[str], name: str) -> pd.DataFrame:
    """Per configuration of ``ratios`` (``keys``, a ``ratio`` and ``disturbed`` per round):
    ``{name}`` (the median ratio), ``{name}_low``/``{name}_high`` (its interval),
    ``paired_rounds`` (how many it is made of) and ``left_out_rounds`` (see :func:`kept`)."""

    def one(rounds: pd.DataFrame) -> pd.Series:
        ratios = rounds["ratio"].to_numpy(float)
        array, left_out = kept(ratios, rounds["disturbed"].to_numpy(bool))
        low, high = median_interval(array)
        median = float(np.median(array)) if len(array) else math.nan
        return pd.Series([median, low, high, len(array), left_out], index=columns)

    columns = [name, f"{name}_low", f"{name}_high", "paired_rounds", "left_out_rounds"]
    if ratios.empty:
        return pd.DataFrame(columns=columns, index=pd.MultiIndex.from_frame(ratios[keys]))
    grouped = ratios.groupby(keys, observed=True, dropna=False, sort=True)[["ratio", "disturbed"]]
    return grouped.apply(one)


def paired_over(per_round: pd.DataFrame, base: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """``per_round`` with ``ratio`` = ``base``'s median in the same round, matched on ``on``,
    over the configuration's median (a speedup over ``base``)."""
    first = base.groupby([*on, ROUND], observed=True, dropna=False)[["median_s", "disturbed"]]
    baseline = first.first().rename(columns={"median_s": "base_s", "disturbed": "base_disturbed"})
    merged = per_round.merge(baseline.reset_index(), on=[*on, ROUND], how="left")
    either = merged["disturbed"].astype(bool) | merged["base_disturbed"].fillna(False).astype(bool)
    return merged.assign(ratio=merged["base_s"] / merged["median_s"], disturbed=either)
