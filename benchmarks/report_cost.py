"""What the automatic report adds to the end of a sweep, against hand-written pandas/matplotlib.

    python benchmarks/report_cost.py [--rounds 5] [--check]

A synthetic sweep shaped like a large real one (4 executors x 8 worker counts x 10 repeats =
320 rows) is summarized and reported in-process. Prints medians over interleaved rounds and:
  * summarize() against a bare ``groupby().median()`` of the same rows: what the full statistics
    (IQR, order-statistics CI, speedups) cost on top of a median (target <= 2 s in all);
  * the whole report (summary, plots, index.html) against a hand-written one (bare medians,
    two hand-made plots saved as PNG): the wall time a sweep ends with (target <= 3 s in all);
  * the timeline sidecar (``timeline.parquet``): its size for one run of 1000 requests and for
    a 60 s run sampled per CPU every 0.1 s, and ``load_results`` of 32 job dirs that hold one
    each / of the same dirs without (target <= 1.05: the rows are read as fast as before).
``--check`` exits 1 when a target is missed.
"""

import argparse
import os
import shutil
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
from hpexp.core.cpu_sampler import CpuSample
from hpexp.core.trials import Trial, Trials
from hpexp.core.workload import Span
from hpexp.results.layout import JOB_FILE, TIMELINE_FILE
from hpexp.results.store import write_job_results
from hpexp.results.timeline import write_timeline

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


JOB_COLUMNS = {"sweep_id": "bench", "workload": "crawl", "executor": "asyncio", "workers": 100}


def run_of(spans: list[Span], samples: list[CpuSample]) -> Trials:
    trial = Trial(0, pd.Timestamp.now("UTC"), 0.0, timed_from=0.0, spans=spans)
    trial.cpu_samples = samples
    return Trials([trial], {})


def requests(count: int) -> list[Span]:
    rng = np.random.default_rng(0)
    starts = np.sort(rng.uniform(0, 1, count))
    return [Span("request", s, s + 0.1 + rng.exponential(0.002)) for s in starts]


def samples(run_s: float, cpus: int, every_s: float = 0.1) -> list[CpuSample]:
    rng = np.random.default_rng(0)
    reads = np.arange(0, run_s, every_s)
    return [CpuSample(t, t + every_s, cpu, rng.uniform()) for t in reads for cpu in range(cpus)]


def sidecar_bytes(directory: Path, trials: Trials) -> int:
    directory.mkdir()
    write_timeline({**JOB_COLUMNS, "job": 0}, trials, directory)
    return (directory / TIMELINE_FILE).stat().st_size


def results_roots(tmp: Path, frame: pd.DataFrame) -> tuple[Path, Path]:
    """32 job dirs of 10 rows each; the second root holds the same plus a timeline each."""
    plain, timed = tmp / "plain", tmp / "timed"
    rows = frame.assign(sweep_id="bench", repeat=frame.groupby(KEYS).cumcount())
    rows["started_at"] = pd.Timestamp.now("UTC")
    for job, (_, group) in enumerate(rows.groupby(KEYS)):
        job_dir = plain / str(job)
        write_job_results(group.assign(job=job).to_dict("records"), job_dir / JOB_FILE)
    shutil.copytree(plain, timed)
    for job_dir in timed.iterdir():
        columns = {**JOB_COLUMNS, "job": int(job_dir.name)}
        write_timeline(columns, run_of(requests(1000), samples(10, 2)), job_dir)
    return plain, timed


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
        sizes = {
            "1000 requests": sidecar_bytes(Path(tmp, "requests"), run_of(requests(1000), [])),
            **{
                f"60 s sampled, {cpus} CPUs": sidecar_bytes(
                    Path(tmp, f"cpus{cpus}"), run_of([], samples(60, cpus))
                )
                for cpus in (os.cpu_count() or 1, 64)
            },
        }
        plain, timed = results_roots(Path(tmp), frame)
        loads = interleaved(
            args.rounds * 4,
            without=lambda: seconds(lambda: hpexp.load_results(plain)),
            beside=lambda: seconds(lambda: hpexp.load_results(timed)),
        )
        timelines_s = statistics.median(
            seconds(lambda: hpexp.load_timelines(timed)) for _ in range(args.rounds)
        )
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{len(frame)} rows, 32 configurations, {args.rounds} interleaved rounds (medians, s)")
    for name, value in median.items():
        print(f"  {name:<16} {value:.4f}")
    print("timeline.parquet sizes")
    for name, size in sizes.items():
        print(f"  {name:<28} {size / 1024:8.1f} KiB")
    load_ratio = statistics.median(loads["beside"]) / statistics.median(loads["without"])
    print(f"load_results of 32 job dirs: {statistics.median(loads['without']):.4f} s without")
    print(f"load_timelines of their 32 timelines: {timelines_s:.4f} s")
    summarize_s, report_s = median["summarize"], median["report"]
    print(f"  summarize / groupby median     {summarize_s / median['groupby_median']:.1f}x")
    print(f"  report / hand-written report   {report_s / median['bare_report']:.1f}x")
    ok = report(
        "targets",
        [
            ("summarize seconds", summarize_s, "<= 2", summarize_s <= 2),
            ("report seconds", report_s, "<= 3", report_s <= 3),
            ("load_results with timelines / without", load_ratio, "<= 1.05", load_ratio <= 1.05),
        ],
    )
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
