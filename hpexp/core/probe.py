"""A fixed CPU probe per visit: the slowdowns that no counter reports.

A hypervisor taking the CPU (not always shown as steal), a thermal or power limit, a
neighbour thrashing the shared cache: none of them appears as other work in ``/proc/stat`` or
as cgroup throttling, yet each makes the same code slower. Timing the same short piece of pure
Python before every visit shows it: the analysis compares each configuration's probes with the
sweep's typical visit's (``machine_speed``).
"""

import statistics
import time

#: iterations of the probe's loop: under a millisecond of pure Python on a 2020s CPU, so the
#: probe costs a visit about 5 ms (benchmarks/contention_cost.py)
LOOPS = 10_000
#: timings per visit; their median is kept: the machine's state at the visit, not its best
TIMES = 5


def _work(loops: int) -> int:
    """Integer arithmetic, branches and calls: the interpreter loop, not memory bandwidth."""
    total = 0
    for i in range(loops):
        total += (i * i) % 7 if i & 1 else abs(-i) // 3
    return total


def probe_s(loops: int = LOOPS, times: int = TIMES) -> float:
    """The median of ``times`` timings of the probe, in seconds."""
    timings = []
    for _ in range(times):
        began = time.perf_counter()
        _work(loops)
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)
