"""The CPU quota of this process's cgroup, and the time it held the process back.

``docker run --cpus=1``, a Kubernetes CPU limit or a CI runner's quota is a cgroup CPU quota:
the kernel lets the group's processes run for ``quota`` microseconds per ``period``, then stops
them (throttles) until the next period. The machine still shows all its CPUs (``os.cpu_count``,
the affinity mask), so a 2-worker run on a 2-CPU machine under a 1-CPU quota looks like
processes that do not help, unless the quota and the throttling are read.

The process's cgroup comes from ``/proc/self/cgroup``, the mount of its CPU controller from
``/proc/self/mountinfo``: cgroup v1 (``cpu.cfs_quota_us``, ``cpu.cfs_period_us``, ``cpu.stat``'s
``throttled_time`` in ns) or v2 (``cpu.max``, ``cpu.stat``'s ``throttled_usec``). Every level
from the process's cgroup up to the mount's root can hold a quota; the tightest one is the
limit, and the longest any level was throttled is what the process waited (a parent's quota
stops its children without counting it in theirs). Where there is no cgroup, no quota,
or the files cannot be read, there is nothing to say (None).
"""

from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Quota:
    """The tightest CPU quota over the process's cgroup and its ancestors."""

    version: int
    #: the cgroup dir whose quota is the tightest
    directory: Path
    #: the CPUs the quota allows: quota / period (1.0 for 100 ms per 100 ms)
    cpus: float

    def throttled_s(self) -> float | None:
        """Seconds the quota has throttled the group since it was made, None if unreadable."""
        field, scale = ("throttled_time", 1e9) if self.version == 1 else ("throttled_usec", 1e6)
        stat = _read(self.directory / "cpu.stat")
        for line in (stat or "").splitlines():
            name, _, value = line.partition(" ")
            if name == field:
                with suppress(ValueError):
                    return int(value) / scale
        return None


def _read(path: Path) -> str | None:
    with suppress(OSError, UnicodeDecodeError):
        return path.read_text()
    return None


def _cpus_allowed(version: int, directory: Path) -> float | None:
    """The CPUs one level's quota allows, None when it has none (or it cannot be read)."""
    if version == 1:
        quota, period = (
            _read(directory / "cpu.cfs_quota_us"),
            _read(directory / "cpu.cfs_period_us"),
        )
        if quota is None or period is None or int(quota) < 0:
            return None
        return int(quota) / int(period)
    fields = (_read(directory / "cpu.max") or "").split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    return int(fields[0]) / int(fields[1])


def _cpu_mount(mountinfo: str, version: int) -> tuple[str, Path] | None:
    """The (root, mount point) of the cgroup filesystem that holds the CPU controller."""
    for line in mountinfo.splitlines():
        fields, _, after = line.partition(" - ")
        parts, tail = fields.split(), after.split()
        if len(parts) < 5 or len(tail) < 3:
            continue
        fs_type, options = tail[0], tail[2].split(",")
        if version == 1 and fs_type == "cgroup" and "cpu" in options:
            return parts[3], Path(parts[4])
        if version == 2 and fs_type == "cgroup2":
            return parts[3], Path(parts[4])
    return None


def _own_cgroup(proc_cgroup: str) -> tuple[int, str] | None:
    """(version, path) of the cgroup holding the CPU controller: v1's ``cpu`` line first."""
    unified = None
    for line in proc_cgroup.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if "cpu" in controllers.split(","):
            return 1, path
        if hierarchy == "0" and controllers == "":
            unified = (2, path)
    return unified


def _levels(mount_root: str, mount_point: Path, path: str) -> list[Path]:
    """The process's cgroup dir and every ancestor up to the mount point."""
    relative = Path(path).relative_to(mount_root) if Path(path).is_relative_to(mount_root) else None
    directory = mount_point / relative if relative is not None else mount_point
    levels = [directory]
    while directory != mount_point and mount_point in directory.parents:
        directory = directory.parent
        levels.append(directory)
    return levels


@dataclass(frozen=True)
class CpuCgroup:
    """Where this process's CPU controller is: its cgroup dir and every ancestor's.

    The place is found once; the quota is read anew each time, since a quota can be changed
    (or switched off) while the process runs.
    """

    version: int
    levels: tuple[Path, ...]

    def quota(self) -> Quota | None:
        """The tightest quota now, None when no level has one."""
        limits = []
        for directory in self.levels:
            with suppress(ValueError):
                cpus = _cpus_allowed(self.version, directory)
                if cpus is not None:
                    limits.append(Quota(self.version, directory, cpus))
        return min(limits, key=lambda q: q.cpus, default=None)

    def throttled(self) -> tuple[float | None, ...]:
        """Every level's throttled seconds so far (None where unreadable)."""
        return tuple(Quota(self.version, d, 0.0).throttled_s() for d in self.levels)


def throttled_between(before: tuple[float | None, ...], after: tuple[float | None, ...]) -> float:
    """The longest any level was throttled between two :meth:`CpuCgroup.throttled` reads: a
    parent's quota stops its children without counting it in theirs."""
    deltas = [b - a for a, b in zip(before, after, strict=True) if a is not None and b is not None]
    return max(deltas, default=float("nan"))


def find_cgroup(proc_cgroup: str, mountinfo: str) -> CpuCgroup | None:
    """The CPU cgroup, from the texts of ``/proc/self/cgroup`` and ``/proc/self/mountinfo``."""
    own = _own_cgroup(proc_cgroup)
    if own is None:
        return None
    version, path = own
    mount = _cpu_mount(mountinfo, version)
    if mount is None:
        return None
    return CpuCgroup(version, tuple(_levels(*mount, path)))


def find_quota(proc_cgroup: str, mountinfo: str) -> Quota | None:
    """The tightest quota now, from the texts of ``/proc/self/cgroup`` and ``mountinfo``."""
    cgroup = find_cgroup(proc_cgroup, mountinfo)
    return None if cgroup is None else cgroup.quota()


@cache
def cpu_cgroup() -> CpuCgroup | None:
    """This process's CPU cgroup (found once: a process does not move while it measures)."""
    texts = [_read(Path(f"/proc/self/{name}")) for name in ("cgroup", "mountinfo")]
    if any(text is None for text in texts):
        return None
    return find_cgroup(*texts)  # type: ignore[arg-type]


def quota() -> Quota | None:
    """This process's tightest CPU quota now, None when unlimited or unreadable."""
    cgroup = cpu_cgroup()
    return None if cgroup is None else cgroup.quota()
