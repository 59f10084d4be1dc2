"""The cgroup CPU quota and its throttling: on v1 and v2 fixture trees, and on a real cgroup
where the test may make one (root on a cgroup v1 machine)."""

import os
import subprocess
import sys
import uuid
from contextlib import suppress
from pathlib import Path

import pytest

import hpexp
from hpexp.analysis.stats import cpu_limit_of
from hpexp.analysis.verdict import by_workload
from hpexp.core.cgroup import Quota, find_quota
from tests.conftest import ROOT

V1_MOUNTS = (
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 {root} {mount} rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
)
V2_MOUNTS = "29 23 0:26 {root} {mount} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"


def write(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name.replace("_", ".", 1)).write_text(text)
    return directory


def v1_level(directory: Path, quota_us: int, period_us: int = 100_000, throttled_ns: int = 0):
    return write(
        directory,
        cpu_cfs_quota_us=f"{quota_us}\n",
        cpu_cfs_period_us=f"{period_us}\n",
        cpu_stat=f"nr_periods 10\nnr_throttled 3\nthrottled_time {throttled_ns}\n",
    )


def test_v1_takes_the_tightest_level_and_reads_its_throttled_time(tmp_path):
    v1_level(tmp_path, -1)
    v1_level(tmp_path / "docker", 150_000, throttled_ns=7)
    v1_level(tmp_path / "docker" / "box", 50_000, 50_000, throttled_ns=410_000_000)
    cgroup = "12:memory:/docker/box\n4:cpu,cpuacct:/docker/box\n0::/\n"
    quota = find_quota(cgroup, V1_MOUNTS.format(root="/", mount=tmp_path))
    assert quota == Quota(1, tmp_path / "docker" / "box", 1.0)
    assert quota.throttled_s() == 0.41


def test_v1_inside_a_container_whose_mount_root_is_its_own_cgroup(tmp_path):
    v1_level(tmp_path, 250_000)
    cgroup = "4:cpu,cpuacct:/kubepods/pod1/c1\n"
    mounts = V1_MOUNTS.format(root="/kubepods/pod1/c1", mount=tmp_path)
    assert find_quota(cgroup, mounts) == Quota(1, tmp_path, 2.5)


def test_v2_reads_cpu_max_and_throttled_usec(tmp_path):
    write(tmp_path, cpu_max="max 100000\n")
    write(tmp_path / "user.slice", cpu_max="10000 10000\n", cpu_stat="throttled_usec 1980000\n")
    cgroup = "0::/user.slice\n"
    quota = find_quota(cgroup, V2_MOUNTS.format(root="/", mount=tmp_path))
    assert quota == Quota(2, tmp_path / "user.slice", 1.0)
    assert quota.throttled_s() == 1.98


@pytest.mark.parametrize(
    ("cgroup", "files"),
    [
        ("0::/free\n", {"cpu_max": "max 100000\n"}),  # unlimited
        ("0::/free\n", {}),  # the cpu controller is not enabled here: no cpu.max
        ("0::/free\n", {"cpu_max": "garbage\n"}),
        ("", {"cpu_max": "10000 10000\n"}),  # no cgroup at all
    ],
)
def test_no_quota_or_an_unreadable_one_is_nothing(tmp_path, cgroup, files):
    write(tmp_path / "free", **files)
    assert find_quota(cgroup, V2_MOUNTS.format(root="/", mount=tmp_path)) is None
    assert find_quota("0::/free\n", "") is None, "no cgroup filesystem mounted"


def test_a_quota_whose_stat_cannot_be_read_has_no_throttled_time(tmp_path):
    write(tmp_path / "q", cpu_max="50000 100000\n")
    quota = find_quota("0::/q\n", V2_MOUNTS.format(root="/", mount=tmp_path))
    assert quota is not None
    assert quota.cpus == 0.5
    assert quota.throttled_s() is None


def test_a_machine_without_a_quota_leaves_the_columns_empty(tmp_path):
    frame = hpexp.run("workload.samples=2000", "repeats=2", "warmup=0", f"results_dir={tmp_path}")
    if frame["cpu_quota"].notna().any():
        pytest.skip("this machine runs the tests under a CPU quota")
    assert frame["throttled_s"].isna().all()
    assert (frame["probe_s"] > 0).all()
    assert frame["probe_s"].nunique() == 1, "one probe a job"


CPU_V1 = Path("/sys/fs/cgroup/cpu")


def _quota_group_or_skip() -> Path:
    """A fresh cgroup v1 CPU group of one CPU (10 ms per 10 ms), or a skip with the reason."""
    if not (CPU_V1 / "cpu.cfs_quota_us").exists():
        pytest.skip("no cgroup v1 cpu controller at /sys/fs/cgroup/cpu (v2, or not Linux)")
    if not os.access(CPU_V1, os.W_OK):
        pytest.skip("making a cgroup needs root (write access to /sys/fs/cgroup/cpu)")
    group = CPU_V1 / f"hpexp-test-{uuid.uuid4().hex[:8]}"
    try:
        group.mkdir()
        (group / "cpu.cfs_period_us").write_text("10000")
        (group / "cpu.cfs_quota_us").write_text("10000")
    except OSError as exc:
        with suppress(OSError):
            group.rmdir()
        pytest.skip(f"cannot make a cgroup with a quota here: {exc}")
    return group


def test_a_sweep_in_a_real_one_cpu_quota_names_it(tmp_path):
    group = _quota_group_or_skip()
    sweep = (
        "import hpexp; hpexp.sweep('workload=pi', 'executor=pool', 'workers=1,2', "
        "'workload.samples=3000000', 'repeats=2', 'warmup=0', 'report=false', "
        f"'results_dir={tmp_path}')"
    )
    joined = f'echo $$ > {group}/cgroup.procs && exec {sys.executable} -c "{sweep}"'
    try:
        result = subprocess.run(
            ["sh", "-c", joined], cwd=ROOT, capture_output=True, text=True, timeout=240
        )
    finally:
        with suppress(OSError):
            group.rmdir()  # empty once the sweep and its pool have exited
    assert result.returncode == 0, result.stderr
    frame = hpexp.load_results(tmp_path)
    assert (frame["cpu_quota"] == 1.0).all()
    two = frame[frame["workers"] == 2]
    assert (frame["throttled_s"] >= 0).all(), "read in every run"
    # how long depends on what else keeps the CPUs busy: only that it happened is certain
    assert two["throttled_s"].sum() > 0, "two busy processes on one CPU's quota are throttled"
    assert str(cpu_limit_of(frame)) == "the 1 CPU it is allowed"
    (pi,) = by_workload(frame)
    assert "This machine allows 1 CPU: a cgroup quota." in pi.verdict


def test_a_garbled_stat_is_unreadable_not_an_error(tmp_path):
    write(tmp_path / "q", cpu_max="50000 100000\n", cpu_stat="throttled_usec lots\n")
    quota = find_quota("0::/q\n", V2_MOUNTS.format(root="/", mount=tmp_path))
    assert quota.throttled_s() is None
