"""What dask.distributed charges per task, and what hpexp adds to it, measured in one run.

    python benchmarks/dask_dispatch.py [--rounds 5] [--tasks 2000] [--samples-per-task 100]

pi with many tiny chunks (``--tasks`` chunks of ``--samples-per-task`` points each, so the work
itself is almost nothing), on 2 workers:
  * serial: the work alone through hpexp, the compute baseline;
  * pool with ``chunksize=1`` through hpexp: one dispatch per task, the same granularity as dask;
  * dask through hpexp: a LocalCluster of 2 one-thread worker processes, one dask task per chunk;
  * bare dask: the same tasks and cluster shape through a hand-written ``client.map`` + ``gather``.
Dispatch overhead per task = (median wall - serial median wall / workers) / tasks, i.e. the time
beyond a perfect split of the compute. Target: hpexp dask / bare dask <= 1.05 (hpexp adds nothing
that matters); dask's own documented cost, about 1 ms per task, is printed for reference.
Rounds interleave the contenders so machine noise hits them alike; every contender starts its
pool or cluster outside the timed region. ``--check`` exits 1 when the target is missed.
"""

import argparse
import logging
import statistics
import time

from _common import hpexp_rows, interleaved, median_wall, report
from distributed import Client, LocalCluster

import hpexp
from hpexp.workloads.pi import PiChunk, count_inside

WORKERS = 2
DASK_DOCUMENTED_OVERHEAD_S = 1e-3


def bare_dask(tasks: list[PiChunk], repeats: int = 3) -> float:
    """Median wall of ``client.gather(client.map(...))`` after one warmup, cluster set up first."""
    with (
        LocalCluster(
            n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.gather(client.map(count_inside, tasks, pure=False))
        walls = []
        for _ in range(repeats):
            start = time.perf_counter()
            client.gather(client.map(count_inside, tasks, pure=False))
            walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--samples-per-task", type=int, default=100)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    pi = [
        f"workload.samples={args.tasks * args.samples_per_task}",
        f"workload.chunks={args.tasks}",
        f"workers={WORKERS}",
        "repeats=3",
        "warmup=1",
    ]

    def run(*executor: str):
        return lambda: median_wall(hpexp_rows(*executor, *pi))

    logging.getLogger("distributed").setLevel(logging.WARNING)
    tasks = hpexp.workload(
        "pi", samples=args.tasks * args.samples_per_task, chunks=args.tasks
    ).tasks(WORKERS, seed=0)

    times = interleaved(
        args.rounds,
        serial=run("executor=serial"),
        pool=run("executor=pool", "executor.chunksize=1"),
        dask=run("executor=dask"),
        bare_dask=lambda: bare_dask(tasks),
    )
    medians = {name: statistics.median(walls) for name, walls in times.items()}
    overhead = {
        name: (medians[name] - medians["serial"] / WORKERS) / args.tasks
        for name in ("pool", "dask", "bare_dask")
    }
    print(
        f"pi, {args.tasks} tasks x {args.samples_per_task} samples, workers={WORKERS}, "
        f"{args.rounds} interleaved rounds (median of 3 repeats each)"
    )
    for name, median in medians.items():
        per_task = (
            f", dispatch overhead {overhead[name] * 1e6:8.1f} us/task" if name in overhead else ""
        )
        print(f"  {name:<9} median wall {median:.4f} s{per_task}")
    print(f"  dask / pool overhead per task: {overhead['dask'] / overhead['pool']:.2f}x")
    print(
        f"  dask's documented overhead: about {DASK_DOCUMENTED_OVERHEAD_S * 1e3:g} ms per task; "
        f"measured here {overhead['bare_dask'] * 1e3:.2f} ms (bare), "
        f"{overhead['dask'] * 1e3:.2f} ms (hpexp)"
    )
    ratio = medians["dask"] / medians["bare_dask"]

    ok = report(
        "targets",
        [("hpexp dask wall / bare dask wall", ratio, "<= 1.05", ratio <= 1.05)],
    )
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
