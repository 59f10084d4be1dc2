"""What hpexp costs per job, against a bare Hydra app doing nothing, measured in the same run.

    python benchmarks/job_cost.py [--rounds 3] [--check]

Each figure is a whole command in a fresh interpreter, as a user types it:
  * marginal cost per job: (time of a 60-job sweep - time of a 20-job sweep) / 40, for hpexp
    sweeping trivial pi jobs (``samples=1000 repeats=1 warmup=0``, no report, no progress) and
    for a bare ``@hydra.main`` app with one swept key whose job does nothing. Target: hpexp's
    <= the bare app's + 30 ms;
  * a refused input (``workers=0``): target <= 0.5 s;
  * a trivial single run (``workload.samples=1000 repeats=1 warmup=0``).
Every figure is the median over ``--rounds`` interleaved rounds. ``--check`` exits 1 when a
target is missed.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import interleaved, report

ROOT = Path(__file__).resolve().parent.parent
TRIVIAL = ["workload=pi", "workload.samples=1000", "repeats=1", "warmup=0", "progress=false"]
BARE_APP = """
import hydra

@hydra.main(version_base="1.3", config_path=None, config_name=None)
def job(cfg):
    return None

job()
"""
#: what the targets allow: per job over the bare Hydra app's, and for a refused input
PER_JOB_ALLOWANCE_S = 0.030
REFUSED_TARGET_S = 0.5


def timed(args: list[str], cwd: Path, expect: int = 0) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return took


def seeds(jobs: int) -> str:
    return ",".join(str(i) for i in range(jobs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hpexp-job-cost-"))
    (work / "bare.py").write_text(BARE_APP)
    hpexp = [sys.executable, "-m", "hpexp", *TRIVIAL, f"results_dir={work / 'results'}"]
    bare = [sys.executable, str(work / "bare.py"), f"hydra.sweep.dir={work / 'bare'}"]

    def hpexp_sweep(jobs: int) -> float:
        return timed([*hpexp, f"seed={seeds(jobs)}", "report=false", "-m"], work)

    def bare_sweep(jobs: int) -> float:
        return timed([*bare, f"+x={seeds(jobs)}", "-m"], work)

    times = interleaved(
        args.rounds,
        hpexp_20=lambda: hpexp_sweep(20),
        hpexp_60=lambda: hpexp_sweep(60),
        bare_20=lambda: bare_sweep(20),
        bare_60=lambda: bare_sweep(60),
        refused=lambda: timed([*hpexp, "workers=0"], work, expect=2),
        single=lambda: timed(hpexp, work),
    )
    median = {name: statistics.median(values) for name, values in times.items()}
    hpexp_per_job = (median["hpexp_60"] - median["hpexp_20"]) / 40
    bare_per_job = (median["bare_60"] - median["bare_20"]) / 40
    print(f"medians of {args.rounds} interleaved rounds (s): ", end="")
    print(", ".join(f"{name} {value:.2f}" for name, value in median.items()))
    met = report(
        "job cost",
        [
            ("hpexp per job, s (marginal, 20 -> 60 jobs)", hpexp_per_job, "info", True),
            ("bare Hydra app per job, s", bare_per_job, "info", True),
            (
                "hpexp per job - bare Hydra per job, s",
                hpexp_per_job - bare_per_job,
                f"<= {PER_JOB_ALLOWANCE_S}",
                hpexp_per_job - bare_per_job <= PER_JOB_ALLOWANCE_S,
            ),
            ("hpexp per job / bare Hydra per job", hpexp_per_job / bare_per_job, "info", True),
            ("refused input (workers=0), s", median["refused"], f"<= {REFUSED_TARGET_S}",
             median["refused"] <= REFUSED_TARGET_S),
            ("trivial single run, s", median["single"], "info", True),
        ],
    )  # fmt: skip
    if args.check and not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
