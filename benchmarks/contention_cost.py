"""What the contention detector costs a measured run, against a bare perf_counter bracket.

    python benchmarks/contention_cost.py [--rounds 21] [--check]

The detector reads the machine's busy time (``/proc/stat`` through psutil) just before and just
after the timed window. Prints (medians over interleaved rounds):
  * per run length (10 ms, 100 ms, 1 s of pure-Python work): hpexp's ``wall_s`` inside
    ``measure()`` / the same work timed by a bare ``perf_counter`` bracket (target <= 1.01):
    what the detector and the other timers add inside the timed region;
  * one read of the machine's busy time, in microseconds, and the two reads of a run as a share
    of a 100 ms run (target <= 1%; runs that add up to less than 0.5 s get no foreign share
    anyway) and of a 10 ms run: what the detector adds to a run, timed or not;
  * one read of the cgroup's throttled time (where a quota exists; ``-`` otherwise);
  * the CPU probe each visit times before its runs (``probe_s``), as a share of a 1 s visit
    (target <= 1%);
  * the per-core sampler (``sample_cpus_s``, default 0.1 s) around 100 ms and 1 s runs: hpexp's
    ``wall_s`` with the sampler / without it, the median of the rounds' paired ratios (target
    <= 1.01), and one read of every CPU in microseconds, with what ten reads a second take of a
    run (target <= 1%).
``--check`` exits 1 when a target is missed.
"""

import argparse
import statistics
import time

import psutil
from _common import interleaved, report

from hpexp.core.cgroup import cpu_cgroup
from hpexp.core.cpu_sampler import sampled_cpus
from hpexp.core.probe import probe_s
from hpexp.core.timers import _machine_busy_s, measure

RUN_LENGTHS_S = (0.01, 0.1, 1.0)
#: the default of ``sample_cpus_s``
SAMPLE_EVERY_S = 0.1
READS = 2000


def work(loops: int) -> int:
    total = 0
    for i in range(loops):
        total += i * i
    return total


def loops_for(seconds: float) -> int:
    """Loops of :func:`work` that take about ``seconds`` on this machine."""
    loops = 10_000
    while True:
        started = time.perf_counter()
        work(loops)
        took = time.perf_counter() - started
        if took > 0.05:
            return max(1, int(loops * seconds / took))
        loops *= 4


def bare(loops: int) -> float:
    started = time.perf_counter()
    work(loops)
    return time.perf_counter() - started


def measured(loops: int) -> float:
    with measure() as timing:
        work(loops)
    return timing.wall_s


def sampled(loops: int, interval_s: float) -> float:
    with sampled_cpus(interval_s), measure() as timing:
        work(loops)
    return timing.wall_s


def cost_s(read: object, times: int = READS) -> float:
    """The median cost of one call of ``read``."""
    costs = []
    for _ in range(times):
        started = time.perf_counter()
        read()  # type: ignore[operator]
        costs.append(time.perf_counter() - started)
    return statistics.median(costs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    lines = []
    for seconds in RUN_LENGTHS_S:
        loops = loops_for(seconds)
        times = interleaved(
            args.rounds, bare=lambda n=loops: bare(n), hpexp=lambda n=loops: measured(n)
        )
        ratio = statistics.median(times["hpexp"]) / statistics.median(times["bare"])
        label = f"wall_s in measure() / bare, {seconds * 1000:g} ms runs"
        lines.append((label, ratio, "<= 1.01", ratio <= 1.01))
    read_s = cost_s(_machine_busy_s)
    lines.append(("one busy-time read, microseconds", read_s * 1e6, "-", True))
    for seconds, target in ((0.1, 0.01), (0.01, None)):
        share = 2 * read_s / seconds
        label = f"two reads / a {seconds * 1000:g} ms run, percent"
        met = target is None or share <= target
        lines.append((label, share * 100, "<= 1" if target else "-", met))
    cgroup = cpu_cgroup()
    if cgroup is not None:
        reads_s = cost_s(lambda: (cgroup.throttled(), cgroup.quota()))
        lines.append(("the cgroup reads of a run, microseconds", reads_s * 1e6, "-", True))
    probe_share = cost_s(probe_s, times=args.rounds) / 1.0
    lines.append(
        (
            "the visit's CPU probe / a 1 s visit, percent",
            probe_share * 100,
            "<= 1",
            probe_share <= 0.01,
        )
    )
    for seconds in (0.1, 1.0):
        loops = loops_for(seconds)
        times = interleaved(
            args.rounds,
            off=lambda n=loops: sampled(n, 0.0),
            on=lambda n=loops: sampled(n, SAMPLE_EVERY_S),
        )
        # paired: each round's two runs ran back to back, so the machine's drift cancels
        ratio = statistics.median(
            on / off for on, off in zip(times["on"], times["off"], strict=True)
        )
        label = f"wall_s sampled every {SAMPLE_EVERY_S:g} s / not, {seconds * 1000:g} ms runs"
        lines.append((label, ratio, "<= 1.01", ratio <= 1.01))
    read_all_s = cost_s(lambda: psutil.cpu_times(percpu=True))
    lines.append(("one read of every CPU, microseconds", read_all_s * 1e6, "-", True))
    share = read_all_s / SAMPLE_EVERY_S
    lines.append(("the sampler's reads / a run, percent", share * 100, "<= 1", share <= 0.01))
    met = report(f"contention detector cost (medians of {args.rounds} interleaved rounds)", lines)
    if args.check and not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
