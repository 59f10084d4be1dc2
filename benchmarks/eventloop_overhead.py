"""hpexp's eventloop workload against hand-written hello/world loops, in one process tree.

    python benchmarks/eventloop_overhead.py [--rounds 5] [--repeats 3] [--callbacks N] [--check]

Prints (medians over interleaved rounds, each the median of ``repeats`` runs after one warmup,
one chain, callback style):
  * hpexp serial rate / a hand-written deque loop's rate (target >= 0.9);
  * hpexp asyncio rate / a hand-written ``loop.call_soon`` chain's rate (target >= 0.9).
hpexp's rate here is ``throughput``: callbacks over hpexp's ``wall_s``, so everything hpexp adds
inside the timed region counts against it. Then, for every executor in ``conf/executor`` (and
uvloop when installed), both styles at their default ``callbacks``: the primitive measured,
``callbacks_per_s`` (timed around the dispatch loop) and ``throughput`` (over ``wall_s``).
``--check`` exits 1 when a target is missed.
"""

import argparse
import asyncio
import importlib.util
import statistics
import time
from collections import deque
from collections.abc import Callable

from _common import hpexp_rows, interleaved, report

from hpexp.api.launch import conf_dir


def bare_deque(calls: int) -> float:
    """The book's loop by hand, with a deque and an end: callbacks per second.

    ``append`` is bound once, as hpexp's chain does, so the baseline is the fastest hand-written
    form rather than one hpexp could beat by a method lookup.
    """
    queue: deque = deque()
    append = queue.append
    count = 0

    def do_hello() -> None:
        nonlocal count
        count += 1
        if count < calls:
            append(do_world)

    def do_world() -> None:
        nonlocal count
        count += 1
        if count < calls:
            append(do_hello)

    append(do_hello)
    popleft = queue.popleft
    start = time.perf_counter()
    while queue:
        popleft()()
    elapsed = time.perf_counter() - start
    assert count == calls
    return calls / elapsed


def bare_call_soon(calls: int) -> float:
    """The same pair on a fresh asyncio loop through ``call_soon``: callbacks per second."""
    loop = asyncio.new_event_loop()
    try:
        done = loop.create_future()
        call_soon = loop.call_soon
        count = 0

        def do_hello() -> None:
            nonlocal count
            count += 1
            if count < calls:
                call_soon(do_world)
            else:
                done.set_result(None)

        def do_world() -> None:
            nonlocal count
            count += 1
            if count < calls:
                call_soon(do_hello)
            else:
                done.set_result(None)

        start = time.perf_counter()
        call_soon(do_hello)
        loop.run_until_complete(done)
        elapsed = time.perf_counter() - start
    finally:
        loop.close()
    assert count == calls
    return calls / elapsed


def bare_rate(loop: Callable[[int], float], calls: int, repeats: int) -> float:
    """Median rate of a hand-written loop over ``repeats`` runs after one warmup, as hpexp does."""
    loop(calls)
    return statistics.median(loop(calls) for _ in range(repeats))


def hpexp_rate(executor: str, calls: int, repeats: int) -> float:
    """Median ``throughput`` (callbacks over ``wall_s``) of one hpexp job."""
    rows = hpexp_rows(
        "workload=eventloop",
        f"executor={executor}",
        f"workload.callbacks={calls}",
        f"repeats={repeats}",
        "warmup=1",
    )
    return statistics.median(row["throughput"] for row in rows)


def every_executor(repeats: int, workers: int) -> None:
    """Median rates of every configured executor, both styles, at their default callbacks."""
    variants = [[f"executor={path.stem}"] for path in sorted(conf_dir().glob("executor/*.yaml"))]
    if importlib.util.find_spec("uvloop"):
        variants.insert(1, ["executor=asyncio", "executor.loop=uvloop"])
    print(f"\nevery executor, workers={workers}, {repeats} repeats after 1 warmup, medians")
    header = f"  {'executor':<16} {'style':<9} {'primitive':<30} {'callbacks':>9}"
    print(f"{header} {'callbacks/s':>12} {'ns/callback':>12} {'throughput/s':>12}")
    for variant in variants:
        name = variant[0].removeprefix("executor=")
        if len(variant) > 1:
            name += "+" + variant[1].rpartition("=")[2]
        for style in ("callback", "future"):
            rows = hpexp_rows(
                "workload=eventloop",
                *variant,
                f"workload.style={style}",
                f"workers={workers}",
                f"repeats={repeats}",
                "warmup=1",
            )
            rate = statistics.median(r["callbacks_per_s"] for r in rows)
            ns = statistics.median(r["ns_per_callback"] for r in rows)
            throughput = statistics.median(r["throughput"] for r in rows)
            print(
                f"  {name:<16} {style:<9} {rows[0]['primitive']:<30} {rows[0]['callbacks']:>9}"
                f" {rate:>12,.0f} {ns:>12,.0f} {throughput:>12,.0f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--callbacks", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="measured runs per round and job")
    parser.add_argument("--workers", type=int, default=2, help="for the table's pools")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    calls, runs = args.callbacks, args.repeats
    # one pair at a time, so each side only ever follows its own pair's work
    rates = {
        **interleaved(
            args.rounds,
            bare_deque=lambda: bare_rate(bare_deque, calls, runs),
            hpexp_serial=lambda: hpexp_rate("serial", calls, runs),
        ),
        **interleaved(
            args.rounds,
            bare_call_soon=lambda: bare_rate(bare_call_soon, calls, runs),
            hpexp_asyncio=lambda: hpexp_rate("asyncio", calls, runs),
        ),
    }
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"one chain, callback style, callbacks={calls}, {args.rounds} interleaved rounds"
        f" of {runs} runs after 1 warmup"
    )
    for name, rate in median.items():
        print(f"  {name:<16} median {rate:>12,.0f} callbacks/s")
    serial = median["hpexp_serial"] / median["bare_deque"]
    on_asyncio = median["hpexp_asyncio"] / median["bare_call_soon"]
    ok = report(
        "ratios",
        [
            ("hpexp serial rate / bare deque loop rate", serial, ">= 0.9", serial >= 0.9),
            (
                "hpexp asyncio rate / bare call_soon chain rate",
                on_asyncio,
                ">= 0.9",
                on_asyncio >= 0.9,
            ),
        ],
    )
    every_executor(args.repeats, args.workers)
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
