"""Where a row was measured: enough to tell two machines or two library versions apart, and
the state of the machine when a job started."""

import glob
import os
import platform
import socket
from contextlib import suppress
from functools import cache
from importlib import metadata
from typing import Any

from hpexp.core.cgroup import quota


@cache
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


@cache
def machine() -> dict[str, Any]:
    """The columns that are the same for every row of a process."""
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count() or 1,
        "cpu_model": _cpu_model(),
        "hpexp_version": version_of("hpexp"),
    }


def library_versions(distributions: tuple[str, ...]) -> dict[str, str]:
    return {f"version.{name}": version_of(name) for name in sorted(set(distributions))}


def _governors() -> str | None:
    """The CPU frequency governors in use (``performance``, ``powersave,schedutil``), or None
    where the system does not show them (most VMs and containers)."""
    found = set()
    for path in glob.glob("/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor"):
        with suppress(OSError), open(path) as f:
            found.add(f.read().strip())
    return ",".join(sorted(found)) or None


def conditions() -> dict[str, Any]:
    """The machine as a job starts: the CPUs this process may run on (``cpu_count`` is every
    CPU), the CPUs its cgroup's quota allows (``cpu_quota``, None when unlimited), the 1-minute
    load average, and the frequency governor."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    limit = quota()
    return {
        "usable_cpus": usable,
        "cpu_quota": None if limit is None else limit.cpus,
        "load_avg_1m": os.getloadavg()[0],
        "cpu_governor": _governors(),
    }
