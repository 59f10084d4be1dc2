"""What the automatic report adds to the end of a sweep, against hand-written pandas/matplotlib.

    python benchmarks/report_cost.py [--rounds 5] [--check]

A synthetic sweep shaped like a large real one (4 executors x 8 worker counts x 10 repeats =
320 rows) is summarized and reported in-process. Prints medians over interleaved rounds and:
  * summarize() against a bare ``groupby().median()`` of the same rows: what the full statistics
    (IQR, order-statistics CI, speedups) cost on top of a median (target <= 2 s in all);
  * the whole report (summary, plots, index.html) against a hand-written one (bare medians,
    two hand-made plots saved as PNG): the wall time a sweep ends with (target <= 3 s in all).
``--check`` exits 1 when a target is missed.
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from _common import interleaved, report
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import hpexp
from hpexp.analysis.html import write_report
from hpexp.analysis.verdict import by_workload

KEYS = ["workload", "executor", "workers"]


def synthetic_sweep(repeats: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "workload": "pi",
            "executor": executor,
            "workers": workers,
            "wall_s": 1.0 / min(workers, 2) * rng.lognormal(0, 0.05),
            "status": "ok",
            "cpu_count": 2,
        }
        for executor in ("serial", "threads", "pool", "joblib")
        for workers in (1, 2, 3, 4, 6, 8, 12, 16)
        for _ in range(repeats)
    )


def bare_report(frame: pd.DataFrame, out_dir: Path) -> None:
    """The least a hand-written report does: medians, two plots, one page."""
    medians = frame.groupby(KEYS, observed=True)["wall_s"].median().reset_index()
    for name, values in (("time", medians["wall_s"]), ("speedup", 1 / medians["wall_s"])):
        figure = Figure(figsize=(7, 4.5))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        for executor, rows in medians.assign(y=values).groupby("executor"):
            axes.plot(rows["workers"], rows["y"], marker="o", label=executor)
        axes.legend()
        figure.savefig(out_dir / f"{name}.png", dpi=100)
    (out_dir / "index.html").write_text(medians.to_html())


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    frame = synthetic_sweep()
    with tempfile.TemporaryDirectory() as tmp:
        bare_dir, full_dir = Path(tmp, "bare"), Path(tmp, "full")
        bare_dir.mkdir()
        bare_report(frame, bare_dir)  # first imports and font cache outside the rounds
        write_report(frame, by_workload(frame), full_dir, "bench")
        times = interleaved(
            args.rounds,
            groupby_median=lambda: seconds(
                lambda: frame.groupby(KEYS, observed=True)["wall_s"].median()
            ),
            summarize=lambda: seconds(lambda: hpexp.summarize(frame)),
            bare_report=lambda: seconds(lambda: bare_report(frame, bare_dir)),
            report=lambda: seconds(
                lambda: write_report(frame, by_workload(frame), full_dir, "bench")
            ),
        )
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{len(frame)} rows, 32 configurations, {args.rounds} interleaved rounds (medians, s)")
    for name, value in median.items():
        print(f"  {name:<16} {value:.4f}")
    summarize_s, report_s = median["summarize"], median["report"]
    print(f"  summarize / groupby median     {summarize_s / median['groupby_median']:.1f}x")
    print(f"  report / hand-written report   {report_s / median['bare_report']:.1f}x")
    ok = report(
        "targets",
        [
            ("summarize seconds", summarize_s, "<= 2", summarize_s <= 2),
            ("report seconds", report_s, "<= 3", report_s <= 3),
        ],
    )
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
