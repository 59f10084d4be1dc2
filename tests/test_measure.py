"""The timers of one measured region: their values, not only their signs."""

import concurrent.futures
import multiprocessing
import resource
import time

import psutil
import pytest

from hpexp.core.timers import _peak_rss_mb, measure
from tests.conftest import cpu_burner

BUSY_S = 0.3
#: psutil and getrusage read CPU time in clock ticks (10 ms); a few per process
TICKS_S = 0.05


def spin(seconds: float) -> float:
    """Burn CPU in this process for ``seconds`` of its own CPU time."""
    started = time.process_time()
    while time.process_time() - started < seconds:
        pass
    return seconds


def test_cpu_s_is_the_cpu_time_this_process_used():
    with measure() as timing:
        spin(BUSY_S)
    assert BUSY_S - TICKS_S <= timing.cpu_s < BUSY_S + 0.15
    assert timing.wall_s >= timing.cpu_s - TICKS_S, "one thread cannot use more CPU than wall time"


def test_cpu_s_counts_live_pool_workers():
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        pool.submit(abs, 0).result()  # workers started outside the region
        with measure() as timing:
            assert list(pool.map(spin, [BUSY_S, BUSY_S])) == [BUSY_S, BUSY_S]
    assert timing.cpu_s >= 2 * BUSY_S - TICKS_S, "the workers' CPU time, not only the parent's"
    assert timing.cpu_s < 2 * BUSY_S + 0.3


def test_cpu_s_counts_children_that_exited_during_the_region():
    context = multiprocessing.get_context("fork")
    with measure() as timing:
        child = context.Process(target=spin, args=(BUSY_S,))
        child.start()
        child.join()
    assert timing.cpu_s >= BUSY_S - TICKS_S


def resident_mb() -> float:
    tree = [psutil.Process(), *psutil.Process().children(recursive=True)]
    return sum(p.memory_info().rss for p in tree) / 2**20


def test_max_rss_mb_is_the_peak_of_the_region_not_of_the_process():
    blob = bytearray(300 * 2**20)  # touched: 300 MB resident before the region, then freed
    del blob
    now = resident_mb()
    with measure() as small:
        pass
    with measure() as large:
        blob = bytearray(200 * 2**20)
        del blob
    assert small.max_rss_mb < now + 50, "the earlier 300 MB peak was reset"
    assert large.max_rss_mb == pytest.approx(small.max_rss_mb + 200, abs=40)


def test_wall_s_is_the_region_alone():
    with measure() as timing:
        time.sleep(0.2)
    assert 0.2 <= timing.wall_s < 0.35
    assert timing.cpu_s < 0.05, "sleeping uses no CPU"


def vm_hwm_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def test_peak_rss_is_the_sum_of_every_process_peak():
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        list(pool.map(abs, [1, 2]))
        tree = [psutil.Process(), *psutil.Process().children(recursive=True)]
        expected = sum(vm_hwm_mb(p.pid) for p in tree)
        assert _peak_rss_mb(tree, reset_ok=True) == pytest.approx(expected)


def test_without_a_peak_reset_it_is_this_process_lifetime_peak():
    lifetime = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    assert _peak_rss_mb([psutil.Process()], reset_ok=False) == pytest.approx(lifetime, abs=1)


def test_foreign_cpu_s_is_what_another_program_used_meanwhile():
    with cpu_burner():
        time.sleep(0.2)  # the burner is running
        with measure() as timing:
            time.sleep(1.0)
    assert timing.foreign_cpu_s >= 0.6, "the burner's CPU second (less a busy machine's share)"
    assert timing.foreign_cpu_s <= 2 * timing.wall_s + TICKS_S, "no more than every CPU"


def test_foreign_cpu_s_leaves_out_this_process_and_its_children():
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        pool.submit(abs, 0).result()
        with measure() as own:
            spun = pool.submit(spin, 0.5)
            spin(0.5)
            spun.result()
    assert own.cpu_s >= 1.0 - TICKS_S
    # the machine was busy for at most every CPU's wall time, and the tree's own second of it
    # is not foreign: counted as foreign, it would exceed this on two CPUs spinning in parallel
    assert own.foreign_cpu_s <= psutil.cpu_count() * own.wall_s - own.cpu_s + TICKS_S
