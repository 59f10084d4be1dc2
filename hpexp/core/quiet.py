"""Waiting for a quiet machine before a job, the way pyperf checks before it measures.

The rule that calls a machine busy is the one that marks a configuration ``contended`` in the
analysis: other work took more than :data:`CONTENDED_CPUS` of a CPU. Waiting is bounded by
``quiet_wait_s``; a machine that stays busy is measured anyway, and its rows show it.
"""

import sys
import time
from typing import Any

from hpexp.core.environment import conditions
from hpexp.core.probe import probe_s
from hpexp.core.timers import measure

#: other work using more than this share of one CPU during a run disturbs its timing: on a
#: 2-CPU machine a quarter of a CPU is an eighth of what a 2-worker job can use
CONTENDED_CPUS = 0.25
#: how long each look at the machine lasts: long enough for clock ticks (10 ms) to average out
LOOK_S = 0.5


def foreign_cpus(window_s: float = LOOK_S) -> float:
    """CPUs the rest of the machine used over the next ``window_s`` (hpexp's tree excluded)."""
    with measure() as timing:
        time.sleep(window_s)
    return timing.foreign_cpu_s / timing.wall_s


def wait_for_quiet(limit_s: float, label: str) -> float:
    """Wait until other work uses at most :data:`CONTENDED_CPUS`, for at most ``limit_s``;
    return the seconds waited. Says on stderr when it waits, and when it gives up."""
    started = time.monotonic()
    busy = foreign_cpus()
    if busy <= CONTENDED_CPUS:
        return time.monotonic() - started
    print(
        f"hpexp: {label}: other work uses {busy:.2f} CPUs; waiting up to {limit_s:g} s "
        "(quiet_wait_s) for the machine to be quiet",
        file=sys.stderr,
    )
    while time.monotonic() - started < limit_s:
        busy = foreign_cpus(min(LOOK_S, max(limit_s - (time.monotonic() - started), 0.01)))
        if busy <= CONTENDED_CPUS:
            return time.monotonic() - started
    waited = time.monotonic() - started
    print(
        f"hpexp: warning: {label}: the machine stayed busy for {waited:.0f} s (other work used "
        f"{busy:.2f} CPUs); measuring anyway, and its rows will say so (foreign_cpu_s)",
        file=sys.stderr,
    )
    return waited


def start_conditions(quiet_wait_s: float, label: str) -> dict[str, Any]:
    """The machine as the job starts, after waiting for it to be quiet if ``quiet_wait_s``, and
    how fast it runs the CPU probe then (``probe_s``)."""
    waited = {"quiet_waited_s": wait_for_quiet(quiet_wait_s, label)} if quiet_wait_s > 0 else {}
    return conditions() | waited | {"probe_s": probe_s()}
