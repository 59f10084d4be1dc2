"""Helpers shared by the benchmark scripts: run hpexp through its API and print ratio tables."""

import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hpexp


def hpexp_rows(*overrides: str) -> list[dict[str, Any]]:
    """One hpexp job, measured exactly as ``python -m hpexp`` would (its files in a temporary
    results dir)."""
    with tempfile.TemporaryDirectory(prefix="hpexp-bench-") as results:
        frame = hpexp.run(*overrides, f"results_dir={results}", "progress=false")
    failed = frame[frame["status"] != "ok"]
    if len(failed):
        raise SystemExit(f"hpexp run failed: {failed['error'].iloc[0]}")
    return frame.to_dict("records")


def median_wall(rows: list[dict[str, Any]]) -> float:
    return statistics.median(r["wall_s"] for r in rows)


def interleaved(rounds: int, **contenders: Callable[[], float]) -> dict[str, list[float]]:
    """Alternate the contenders round by round, so machine noise hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run_once in contenders.items():
            times[name].append(run_once())
    return times


def report(title: str, lines: list[tuple[str, float, str, bool]]) -> bool:
    """Print ``name  value  target  met`` lines; True when every target is met."""
    print(f"\n{title}")
    for name, value, target, met in lines:
        print(f"  {name:<48} {value:>10.3f}   target {target:<8} {'met' if met else 'MISSED'}")
    return all(met for *_, met in lines)
