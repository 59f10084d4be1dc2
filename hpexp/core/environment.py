"""Where a row was measured: enough to tell two machines or two library versions apart."""

import os
import platform
import socket
from functools import cache
from importlib import metadata
from typing import Any


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
