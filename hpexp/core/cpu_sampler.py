"""Each CPU's busy share, sampled while a run is timed: the data of the per-core heat map.

The 3rd edition draws psutil's per-core percentages during pi on processes and threads: threads
on pure Python keep one core busy in total, whichever core that is, which is the GIL made
visible. A thread of hpexp's own reads ``/proc/stat`` (``psutil.cpu_times(percpu=True)``) every
``interval_s``; a read takes tens of microseconds, and the thread sleeps in between, so the run
loses nothing measurable (``benchmarks/contention_cost.py``). The kernel counts CPU time in
10 ms ticks, so an interval of 0.1 s tells a share to about a tenth.
"""

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import psutil

from hpexp.core.timers import busy_s

#: the kernel's clock tick: a shorter interval would count nothing most of the time
SHORTEST_INTERVAL_S = 0.01
#: ``psutil.cpu_times`` fields already counted inside ``user`` and ``nice``
_COUNTED_TWICE = ("guest", "guest_nice")


class CpuSample(NamedTuple):
    """CPU ``cpu`` was busy ``busy`` (0 to 1) of the time from ``start`` to ``end``
    (``time.perf_counter()`` readings, the clock of the run's spans); NaN where the kernel
    counted no tick of that CPU in the stretch (the last one can be shorter than a tick)."""

    start: float
    end: float
    cpu: int
    busy: float


def _total_s(times: Any) -> float:
    return sum(times) - sum(getattr(times, name, 0.0) for name in _COUNTED_TWICE)


class _Sampler(threading.Thread):
    def __init__(self, interval_s: float, samples: list[CpuSample]) -> None:
        super().__init__(name="hpexp-cpu-sampler", daemon=True)
        self.interval_s = interval_s
        self.samples = samples
        self.stopped = threading.Event()
        self.last_at = time.perf_counter()
        self.last = psutil.cpu_times(percpu=True)

    def read(self) -> None:
        at, now = time.perf_counter(), psutil.cpu_times(percpu=True)
        for cpu, (before, after) in enumerate(zip(self.last, now, strict=False)):
            total = _total_s(after) - _total_s(before)
            busy = math.nan
            if total > 0:
                busy = min(max((busy_s(after) - busy_s(before)) / total, 0.0), 1.0)
            self.samples.append(CpuSample(self.last_at, at, cpu, busy))
        self.last_at, self.last = at, now

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            self.read()


@contextmanager
def sampled_cpus(interval_s: float) -> Iterator[list[CpuSample]]:
    """Sample every CPU each ``interval_s`` while the body runs (0: not at all); the list
    fills as it goes and is complete once the body has left."""
    samples: list[CpuSample] = []
    if not interval_s:
        yield samples
        return
    sampler = _Sampler(interval_s, samples)
    sampler.start()
    try:
        yield samples
    finally:
        sampler.stopped.set()
        sampler.join()
        sampler.read()  # the stretch since the last sample
