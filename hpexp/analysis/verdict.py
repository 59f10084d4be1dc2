"""The answer a sweep was run for, in one or two sentences computed from its summary: which
configuration is fastest and how sure that is, how far it scales, and where scaling stops."""

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from hpexp.analysis.paired import is_wide, range_coverage
from hpexp.analysis.stats import CpuLimit, cpu_limit_of, key_columns, summarize
from hpexp.analysis.tables import contention_reason, seconds
from hpexp.core.quiet import CONTENDED_CPUS

#: below this parallel efficiency (speedup / workers) more workers are mostly waiting
EFFICIENT = 0.8
#: a speedup within this fraction of the best is the same within a noisy machine's spread:
#: the fewest workers that reach it are where scaling stopped
NEAR_BEST = 0.9


def _name(row: pd.Series, keys: list[str]) -> str:
    """``pool, 4 workers, workload.impl=numba``: the configuration's distinguishing values."""
    workers = row["workers"]
    parts = [str(row["executor"]), f"{workers} worker{'' if workers == 1 else 's'}"]
    parts += [f"{k}={row[k]}" for k in keys if k not in ("workload", "executor", "workers")]
    return ", ".join(parts)


def _spread(row: pd.Series) -> str:
    if pd.notna(row["ci_low_s"]):
        return f"95% interval {seconds(row['ci_low_s'])}-{seconds(row['ci_high_s'])} s"
    return f"{row['n']} runs, {seconds(row['min_s'])}-{seconds(row['max_s'])} s"


def _interval(row: pd.Series) -> str:
    """`` [1.85, 1.97] over 5 rounds``: a paired speedup's interval, and what it covers when
    it is the range of too few rounds for 95%."""
    if pd.isna(row["speedup_low"]):
        return ""
    rounds = int(row["rounds"]) - int(row["left_out_rounds"])
    covers = "95%" if rounds >= 6 else f"{range_coverage(rounds):.0%}, the range of the rounds"
    left = int(row["left_out_rounds"])
    if left:
        covers += f"; {left} disturbed round{'' if left == 1 else 's'} left out"
    return f" [{row['speedup_low']:.2f}, {row['speedup_high']:.2f}] over {rounds} rounds ({covers})"


def _disagreeing_rounds(row: pd.Series) -> str:
    if not is_wide(row["speedup"], row["speedup_low"], row["speedup_high"]):
        return ""
    return (
        f" Its rounds disagree ({row['speedup_low']:.2f}x to {row['speedup_high']:.2f}x): "
        "the machine's speed changed during the sweep; more rounds, or a quieter machine, "
        "narrow it."
    )


def _limit(limit: CpuLimit) -> str:
    if not limit.source:
        return ""
    count = f"{limit.cpus:g} CPU{'' if limit.cpus == 1 else 's'}"
    return f" This machine allows {count}: {limit.source}."


def _scaling(summary: pd.DataFrame, keys: list[str], limit: CpuLimit) -> str:
    """The best speedup (with its interval across rounds), where its curve's efficiency drops,
    and what the CPU limit says."""
    scaled = summary.dropna(subset=["speedup"])
    scaled = scaled[scaled["workers"] > 1]
    if scaled.empty:
        return ""
    top = scaled.loc[scaled["speedup"].idxmax()]
    series = [k for k in keys if k != "workers"]
    same = (summary[series] == top[series]) | (summary[series].isna() & top[series].isna())
    curve = summary[same.all(axis=1)].sort_values("workers")
    text = _limit(limit)
    text += f" Best speedup: {top['speedup']:.2f}x{_interval(top)} at {top['workers']} workers"
    text += f" ({top['executor']}"
    text += "".join(f", {k}={top[k]}" for k in series if k not in ("workload", "executor"))
    text += ")"
    knee = curve[curve["speedup"] >= NEAR_BEST * top["speedup"]].iloc[0]
    if knee["workers"] < top["workers"]:
        text += f", {knee['speedup']:.2f}x already at {knee['workers']}"
    inefficient = curve[curve["efficiency"] < EFFICIENT]
    if len(inefficient):
        text += f"; efficiency falls below {EFFICIENT} from {inefficient['workers'].min()} workers"
    widest = curve["workers"].max()
    if knee["workers"] <= limit.cpus < widest:
        text += f"; more workers than {limit} add nothing"
    elif knee["workers"] > limit.cpus:
        text += f"; it goes past {limit}: the work waits, it does not compute"
    return text + "." + _disagreeing_rounds(top)


#: at most this many contended configurations are named in a verdict
NAMED = 3


def _contention(measured: pd.DataFrame, best: pd.Series, keys: list[str]) -> str:
    """What other work on the machine did to these timings, if anything."""
    text = ""
    if best["contended"]:
        text += (
            f" Its runs were disturbed ({contention_reason(best)}): "
            "measure again on a quiet machine (quiet_wait_s) before trusting it."
        )
    others = measured[measured["contended"] & (measured.index != best.name)]
    if len(others):
        named = others.head(NAMED).iterrows()
        names = "; ".join(f"{_name(row, keys)} ({contention_reason(row)})" for _, row in named)
        more = f"; and {len(others) - NAMED} more" if len(others) > NAMED else ""
        text += (
            f" Contended (other work above {CONTENDED_CPUS} of a CPU, a CPU quota's throttling, "
            f"a slowed machine, or jobs that overlapped on one host): {names}{more}."
        )
    return text


def _ties(measured: pd.DataFrame, best: pd.Series, keys: list[str]) -> str:
    """The configurations whose median's 95% interval overlaps the fastest one's: no winner
    among them can be named from these runs."""
    if pd.isna(best["ci_high_s"]):
        return ""
    tied = measured[(measured.index != best.name) & (measured["ci_low_s"] <= best["ci_high_s"])]
    if tied.empty:
        return ""
    named = "; ".join(_name(row, keys) for _, row in tied.head(NAMED).iterrows())
    more = f"; and {len(tied) - NAMED} more" if len(tied) > NAMED else ""
    return f" Tied with it within their 95% intervals: {named}{more}."


def _fastest(measured: pd.DataFrame, keys: list[str]) -> tuple[str, pd.Series]:
    best = measured.loc[measured["median_s"].idxmin()]
    text = f"Fastest: {_name(best, keys)}, median {seconds(best['median_s'])} s ({_spread(best)})."
    if best["n"] < 2:
        text += " One run says nothing about its spread: measure it with repeats >= 2."
    elif best["unreliable"]:
        text += " Its runs vary by more than 10%: repeat on a quieter machine before trusting it."
    return text + _ties(measured, best, keys), best


def verdict(summary: pd.DataFrame, limit: CpuLimit, problem: Sequence[str] = ()) -> str:
    """One workload's summary (from :func:`hpexp.analysis.stats.summarize`) in words: at each
    value of the ``problem`` parameters it sweeps (a delay, a size), its own fastest
    configuration and scaling, since a smaller problem is not a faster way to solve one."""
    measured = summary.dropna(subset=["median_s"])
    if measured.empty:
        return "No configuration has an ok run."
    keys = key_columns(summary)
    swept = [k for k in problem if k in keys]
    if not swept:
        return _one_problem(measured, keys, limit)
    texts, within = [], [k for k in keys if k not in swept]
    for values, part in measured.groupby(swept, sort=True, dropna=False):
        at = ", ".join(f"{k}={v}" for k, v in zip(swept, values, strict=True))
        texts.append(f"At {at}: {_one_problem(part, within, limit)}")
    return " ".join(texts)


def _one_problem(measured: pd.DataFrame, keys: list[str], limit: CpuLimit) -> str:
    text, best = _fastest(measured, keys)
    return text + _contention(measured, best, keys) + _scaling(measured, keys, limit)


@dataclass(frozen=True)
class WorkloadResults:
    """One workload's rows, their summary and its verdict, computed once for the terminal and
    the report page alike. Each workload is summarised on its own rows, so its configurations
    are told apart by its own parameters only, never by another workload's (empty) ones."""

    workload: str
    rows: pd.DataFrame
    summary: pd.DataFrame
    verdict: str


def problem_of(rows: pd.DataFrame) -> list[str]:
    """The problem parameters the rows' workload declared (``Workload.problem``)."""
    if "problem" not in rows:
        return []
    declared = rows["problem"].dropna()
    return [name for name in str(declared.iloc[0]).split(",") if name] if len(declared) else []


#: an executor setting that makes repeated runs return stored results instead of computing
CACHE = "executor.cache"


def _cached(rows: pd.DataFrame) -> str:
    """What a verdict must add when some runs went through a cache of results."""
    if CACHE not in rows or not rows[CACHE].eq(True).any():
        return ""
    return (
        f" Runs with {CACHE}=true timed a cache: every run after the first returned the results "
        "the first stored for the same tasks, not the work (the book's "
        "pi_lists_parallel_joblib_cache.py pitfall)."
    )


def by_workload(frame: pd.DataFrame) -> list[WorkloadResults]:
    """``frame`` split by workload, in the order the workloads first appear."""
    parts = []
    for workload in dict.fromkeys(frame["workload"]):
        rows = frame[frame["workload"] == workload]
        summary = summarize(rows)
        said = verdict(summary, cpu_limit_of(rows), problem_of(rows)) + _cached(rows)
        parts.append(WorkloadResults(str(workload), rows, summary, said))
    return parts
