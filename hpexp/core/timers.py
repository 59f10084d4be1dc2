"""Timers for one measured region: wall clock, CPU and peak RSS of the whole process tree, and
the CPU the rest of the machine used meanwhile.

``resource.getrusage(RUSAGE_CHILDREN)`` only counts children that have exited and been reaped,
so a live process pool's CPU would be invisible; psutil reads every live descendant instead.
Peak RSS is reset per region through ``/proc/<pid>/clear_refs`` (Linux), so each row reports
its own peak rather than the lifetime high-water mark.

``foreign_cpu_s`` is the machine's busy time (``/proc/stat`` through psutil: every CPU's user,
nice, system, irq, softirq and steal time; steal is a hypervisor giving the CPU to another
machine) minus the tree's own CPU time. Both are counted in clock ticks (10 ms on Linux), so it
is good to about (CPUs + processes) x 10 ms: nothing against a run of a second, noise for a run
of milliseconds. Its two reads sit just outside the wall-clock window, and so do those of
``throttled_s``: the time the cgroup's CPU quota held the process back (:mod:`hpexp.core.cgroup`;
NaN without a quota).
"""

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import psutil

from hpexp.core.cgroup import cpu_cgroup, throttled_between


@dataclass
class Measurement:
    wall_s: float = float("nan")
    cpu_s: float = float("nan")
    max_rss_mb: float = float("nan")
    foreign_cpu_s: float = float("nan")
    throttled_s: float = float("nan")
    #: ``time.perf_counter()`` as the timed window opened: where the run's timeline starts
    started: float = float("nan")


def _tree() -> list[psutil.Process]:
    me = psutil.Process()
    with suppress(psutil.Error):
        return [me, *me.children(recursive=True)]
    return [me]


def _cpu_by_pid(procs: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for proc in procs:
        with suppress(psutil.Error):
            times = proc.cpu_times()
            seconds[proc.pid] = times.user + times.system
    return seconds


def _reaped_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: the fields of ``psutil.cpu_times()`` that are a CPU doing work (``guest`` is inside ``user``)
BUSY_FIELDS = ("user", "nice", "system", "irq", "softirq", "steal")


def busy_s(times: object) -> float:
    """The busy seconds of one ``psutil.cpu_times()`` reading (a CPU's, or the machine's)."""
    return sum(getattr(times, name, 0.0) for name in BUSY_FIELDS)


def _machine_busy_s() -> float:
    """CPU seconds every CPU of the machine has been busy since boot."""
    return busy_s(psutil.cpu_times())


def _reset_peak_rss(procs: list[psutil.Process]) -> bool:
    """Reset each process's peak RSS (VmHWM); False where the kernel does not allow it."""
    ok = True
    for proc in procs:
        try:
            with open(f"/proc/{proc.pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


def _peak_rss_mb(procs: list[psutil.Process], reset_ok: bool) -> float:
    """Sum of per-process peaks: an upper bound of the tree's simultaneous peak."""
    if not reset_ok:
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    total_kb = 0
    for proc in procs:
        with suppress(OSError), open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
                    break
    return total_kb / 1024


@contextmanager
def measure() -> Iterator[Measurement]:
    """Measure the body; the process-tree bookkeeping happens outside the wall-clock window."""
    result = Measurement()
    before_procs = _tree()
    reset_ok = sys.platform.startswith("linux") and _reset_peak_rss(before_procs)
    cpu_before = _cpu_by_pid(before_procs)
    reaped_before = _reaped_children_cpu()
    cgroup = cpu_cgroup()
    limited_before = cgroup is not None and cgroup.quota() is not None
    throttled_before = cgroup.throttled() if cgroup else ()
    busy_before = _machine_busy_s()
    start = result.started = time.perf_counter()
    try:
        yield result
    finally:
        result.wall_s = time.perf_counter() - start
        busy = _machine_busy_s() - busy_before
        if cgroup is not None:
            throttled_after = cgroup.throttled()
            if limited_before or cgroup.quota() is not None:  # a quota for part of the run too
                result.throttled_s = throttled_between(throttled_before, throttled_after)
        after_procs = _tree()
        cpu_after = _cpu_by_pid(after_procs)
        live = sum(t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items())
        result.cpu_s = live + _reaped_children_cpu() - reaped_before
        # ticks are counted separately for the machine and each process: never below zero
        result.foreign_cpu_s = max(busy - result.cpu_s, 0.0)
        result.max_rss_mb = _peak_rss_mb(after_procs, reset_ok)
