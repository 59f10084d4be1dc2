"""``python -m hpexp.report --compare A B``: B against A, configuration by configuration, and
with ``--fail-slower 5%`` a regression gate for CI (pytest-benchmark's
``--benchmark-compare-fail``, asv's ``--factor``).

The gate fails (exit 1) only on a configuration that is both slower by more than the threshold
and significantly so; a slowdown within the spread of the runs is no regression. Where there are
too few runs for the test ever to be significant, the gate cannot vouch for B and says so
(exit 2) instead of passing it.
"""

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hpexp.analysis.stats import ALPHA, TOO_FEW, compare, smallest_p_value
from hpexp.analysis.tables import as_text
from hpexp.core.errors import ConfigError, HpexpError

CSV_FILE = "comparison.csv"
JSON_FILE = "comparison.json"
#: exit codes of the gate; CANNOT_COMPARE: no configuration in common, or nowhere to write
SLOWER, UNDECIDED, CANNOT_COMPARE = 1, 2, 3
CHANGED = ("slower", "faster")


def fail_slower(text: str) -> float:
    """``5%`` (or ``5``) as the fraction 0.05."""
    try:
        percent = float(text.strip().removesuffix("%"))
    except ValueError:
        percent = math.nan
    if not (math.isfinite(percent) and percent > 0):
        raise ConfigError("--fail-slower", text, "a percentage > 0, such as 5%")
    return percent / 100


def _runs_needed(alpha: float) -> int:
    """The fewest runs per side with which the test can be significant at ``alpha``."""
    return next(n for n in range(2, 100) if smallest_p_value(n, n) < alpha)


def _name(row: pd.Series, keys: list[str]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in keys if pd.notna(row[k]))


@dataclass(frozen=True)
class Paths:
    a: str
    b: str
    out_dir: Path


def _write(comparison: pd.DataFrame, paths: Paths, threshold: float | None) -> None:
    """The whole comparison (``--only-changed`` hides rows on the terminal only), as CSV for a
    spreadsheet and JSON for a CI step."""
    paths.out_dir.mkdir(parents=True, exist_ok=True)
    comparison.to_csv(paths.out_dir / CSV_FILE, index=False)
    records = json.loads(comparison.to_json(orient="records"))
    document = {"a": paths.a, "b": paths.b, "alpha": ALPHA, "fail_slower": threshold}
    text = json.dumps(document | {"configurations": records}, indent=2)
    (paths.out_dir / JSON_FILE).write_text(text + "\n")


def compare_frames(
    a: pd.DataFrame,
    b: pd.DataFrame,
    paths: Paths,
    threshold: float | None = None,
    only_changed: bool = False,
) -> int:
    """Print and write the comparison; the exit code of the gate (0 without ``threshold``)."""
    comparison = compare(a, b)
    if comparison.empty:
        raise HpexpError(f"no configuration of '{paths.a}' is also in '{paths.b}'")
    keys = list(comparison.columns[: comparison.columns.get_loc("n_a")])
    if threshold is not None:
        comparison["regression"] = (comparison["verdict"] == "slower") & (
            comparison["ratio"] > 1 + threshold
        )
    _write(comparison, paths, threshold)
    shown = comparison[comparison["verdict"].isin(CHANGED)] if only_changed else comparison
    print(as_text(shown) if len(shown) else "no configuration changed significantly")
    hidden = len(comparison) - len(shown)
    paired = bool((comparison["rounds"] > 1).any())
    how = (
        "the median of the per-round ratios; verdict for B from a t-test of the per-round "
        "log ratios"
        if paired
        else "median of B / median of A; verdict for B from a two-sided Mann-Whitney U test"
    )
    print(
        f"hpexp: ratio = {how} at alpha {ALPHA}"
        + (f"; {hidden} unchanged configuration(s) hidden" if hidden else ""),
        file=sys.stderr,
    )
    print(f"hpexp: comparison in {paths.out_dir / CSV_FILE} and {JSON_FILE}", file=sys.stderr)
    if threshold is None:
        return 0
    return _gate(comparison, keys, threshold)


def _gate(comparison: pd.DataFrame, keys: list[str], threshold: float) -> int:
    limit = f"{threshold:.0%}" if threshold >= 0.01 else f"{threshold:.2%}"
    slower = comparison[comparison["regression"]]
    if len(slower):
        named = "; ".join(
            f"{_name(row, keys)} ({row['ratio']:.2f}x, p={row['p_value']:.2g}"
            + (", B's runs contended" if row["contended_b"] else "")
            + ")"
            for _, row in slower.iterrows()
        )
        print(
            f"hpexp: B is slower than A by more than {limit}, significantly, in "
            f"{len(slower)} configuration(s): {named}",
            file=sys.stderr,
        )
        if slower["contended_b"].any():
            print(
                "hpexp: other work shared the machine during some of B's runs: measure B again "
                "on a quiet machine (quiet_wait_s) before believing the slowdown",
                file=sys.stderr,
            )
        return SLOWER
    undecided = comparison[comparison["verdict"] == TOO_FEW]
    if len(undecided):
        row = undecided.iloc[0]
        print(
            f"hpexp: cannot decide whether B is more than {limit} slower: "
            f"{len(undecided)} configuration(s) have too few runs (first: {_name(row, keys)}, "
            f"{row['n_a']} and {row['n_b']} runs); at alpha {ALPHA} the test needs at least "
            f"{_runs_needed(ALPHA)} ok runs on each side (repeats=...)",
            file=sys.stderr,
        )
        return UNDECIDED
    print(f"hpexp: no configuration of B is more than {limit} slower than A", file=sys.stderr)
    return 0
