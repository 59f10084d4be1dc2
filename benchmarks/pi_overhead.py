"""hpexp's pi against a hand-written loop of the same work, in one process tree.

    python benchmarks/pi_overhead.py [--rounds 7] [--check]

Prints (medians over interleaved rounds):
  * hpexp serial wall / bare loop wall for the same samples and streams (target <= 1.03):
    what the runner, executor and timers add inside the timed region;
  * hpexp pool speedup, workers=2 over workers=1, samples=2e7, impl=python (target >= 1.8 on
    two cores): what a process pool delivers for the book's CPU-bound workload.
``--check`` exits 1 when a target is missed.
"""

import argparse
import random
import statistics
import time

import numpy as np
from _common import hpexp_rows, interleaved, median_wall, report


def bare_pi(samples: int, seed: int) -> float:
    """The book's loop, written by hand: one chunk, the same random stream hpexp derives."""
    (stream,) = np.random.SeedSequence(seed).spawn(1)
    rand = random.Random(int.from_bytes(stream.generate_state(4).tobytes(), "little")).random
    start = time.perf_counter()
    inside = 0
    for _ in range(samples):
        x, y = rand(), rand()
        if x * x + y * y <= 1.0:
            inside += 1
    elapsed = time.perf_counter() - start
    assert abs(4 * inside / samples - 3.14159) < 0.01
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    serial = ["executor=serial", f"workload.samples={args.samples}", "repeats=1", "warmup=0"]
    times = interleaved(
        args.rounds,
        bare=lambda: bare_pi(args.samples, seed=0),
        hpexp=lambda: median_wall(hpexp_rows(*serial)),
    )
    bare, hp = statistics.median(times["bare"]), statistics.median(times["hpexp"])
    print(f"serial, samples={args.samples}, {args.rounds} interleaved rounds")
    print(f"  bare loop median {bare:.4f} s, hpexp serial median {hp:.4f} s")

    pool = ["executor=pool", "workload.samples=20000000", f"repeats={args.rounds}", "warmup=1"]
    one = median_wall(hpexp_rows(*pool, "workers=1"))
    two = median_wall(hpexp_rows(*pool, "workers=2"))
    print(f"pool, samples=2e7: workers=1 median {one:.4f} s, workers=2 median {two:.4f} s")

    ok = report(
        "ratios",
        [
            ("hpexp serial wall / bare wall", hp / bare, "<= 1.03", hp / bare <= 1.03),
            ("pool speedup workers=2 vs workers=1", one / two, ">= 1.8", one / two >= 1.8),
        ],
    )
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
