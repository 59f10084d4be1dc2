"""Chapter 9: hpexp's Queue and Pool executors against hand-written scripts doing the same
``primes`` work in the same run, and what every executor charges per task.

    python benchmarks/ch9_dispatch.py [--rounds 5] [--count 20000] [--check]

The work: is each of ``--count`` numbers from 1e8 prime, one task per number (the book's tiny
tasks), on 2 workers. The hand-written scripts return what hpexp's executors return (one verdict
per number, in order), so they do the same work and the same communication:
  * bare Queue: ``multiprocessing.Process`` workers started first, an ``(index, n)`` item per
    number on one Queue, ``(index, verdict)`` replies on another, a poison pill each at the end;
  * bare Pool: ``multiprocessing.Pool(2)`` started first, then ``pool.map(is_prime, numbers)``.
Targets: hpexp mp_queue / bare Queue <= 1.05, hpexp mp_pool / bare Pool <= 1.05.

Then the dispatch cost per task of every executor at workers=1: (median wall - serial median
wall) / tasks, with one task per dispatch where the executor lets it be set.
Rounds interleave the contenders so machine noise hits them alike; pools and workers start
outside the timed region. ``--check`` exits 1 when a target is missed.
"""

import argparse
import multiprocessing
import statistics
import time

from _common import hpexp_rows, interleaved, median_wall, report

from hpexp.workloads.primes import is_prime

START = 100_000_000
WORKERS = 2
REPEATS = 3


def _queue_worker(tasks: multiprocessing.Queue, results: multiprocessing.Queue) -> None:
    while (item := tasks.get()) is not None:
        index, n = item
        results.put((index, is_prime(n)))


def bare_queue(numbers: list[int]) -> float:
    """Median wall of a hand-written Queue round over ``numbers``, workers started first."""
    tasks, results = multiprocessing.Queue(), multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_queue_worker, args=(tasks, results)) for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    walls = []
    for _ in range(1 + REPEATS):  # the first is a warmup, as hpexp's
        started = time.perf_counter()
        for item in enumerate(numbers):
            tasks.put(item)
        verdicts = [False] * len(numbers)
        for _ in numbers:
            index, verdict = results.get()
            verdicts[index] = verdict
        walls.append(time.perf_counter() - started)
    for _ in workers:
        tasks.put(None)
    for worker in workers:
        worker.join()
    return statistics.median(walls[1:])


def bare_pool(numbers: list[int]) -> float:
    """Median wall of ``Pool.map(is_prime, numbers)`` with the stdlib's chunks."""
    with multiprocessing.Pool(WORKERS) as pool:
        pool.map(abs, range(WORKERS))
        walls = []
        for _ in range(1 + REPEATS):
            started = time.perf_counter()
            pool.map(is_prime, numbers)
            walls.append(time.perf_counter() - started)
    return statistics.median(walls[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    numbers = list(range(START, START + args.count))
    primes = ["workload=primes", f"workload.start={START}", f"workload.count={args.count}"]
    runs = [f"repeats={REPEATS}", "warmup=1"]

    def run(*overrides: str, workers: int = WORKERS):
        return lambda: median_wall(hpexp_rows(*primes, *runs, f"workers={workers}", *overrides))

    times = interleaved(
        args.rounds,
        mp_queue=run("executor=mp_queue"),
        bare_queue=lambda: bare_queue(numbers),
        mp_pool=run("executor=mp_pool"),
        bare_pool=lambda: bare_pool(numbers),
    )
    medians = {name: statistics.median(walls) for name, walls in times.items()}
    print(f"primes, {args.count} numbers from {START}, workers={WORKERS}, {args.rounds} rounds")
    for name, median in medians.items():
        print(f"  {name:<11} median wall {median:.4f} s")
    queue_ratio = medians["mp_queue"] / medians["bare_queue"]
    pool_ratio = medians["mp_pool"] / medians["bare_pool"]

    one_per_dispatch = {
        "serial": ["executor=serial"],
        "threads": ["executor=threads"],
        "pool": ["executor=pool", "executor.chunksize=1"],
        "mp_pool": ["executor=mp_pool", "executor.chunksize=1"],
        "mp_dummy": ["executor=mp_dummy", "executor.chunksize=1"],
        "mp_queue": ["executor=mp_queue"],
        "mp_pipe": ["executor=mp_pipe"],
        "joblib": ["executor=joblib", "executor.batch_size=1"],
    }
    per_task = interleaved(
        max(1, args.rounds // 2),
        **{name: run(*overrides, workers=1) for name, overrides in one_per_dispatch.items()},
    )
    serial = statistics.median(per_task.pop("serial"))
    print(
        f"\ndispatch cost per task at workers=1 (serial: {serial / args.count * 1e6:.1f} us/task)"
    )
    for name, walls in per_task.items():
        cost = (statistics.median(walls) - serial) / args.count
        print(f"  {name:<9} {cost * 1e6:8.1f} us/task")

    ok = report(
        "targets",
        [
            ("hpexp mp_queue wall / bare Queue wall", queue_ratio, "<= 1.05", queue_ratio <= 1.05),
            ("hpexp mp_pool wall / bare Pool.map wall", pool_ratio, "<= 1.05", pool_ratio <= 1.05),
        ],
    )
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
