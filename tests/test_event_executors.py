"""The asyncio, tornado and gevent executors on real loops and a real patched child process."""

import asyncio
import math
import socket
import sys
import time

import psutil
import pytest

import hpexp
from hpexp import Outcome, Workload
from hpexp.core.errors import ConfigError
from hpexp.core.model import Model
from hpexp.executors.gevent_pool import GeventRunError
from tests.conftest import measure

EVENT_EXECUTORS = [
    ("asyncio", []),
    ("asyncio", ["executor.loop=uvloop"]),
    ("tornado", []),
    ("gevent", []),
]


@pytest.mark.parametrize(("executor", "extra"), EVENT_EXECUTORS)
def test_event_executors_run_pi_generically_with_the_serial_estimate(executor, extra):
    common = ["workload.samples=30000", "workload.chunks=3", "workers=2", "seed=7"]
    serial = measure("executor=serial", *common, "repeats=1")
    rows = measure(f"executor={executor}", *extra, *common, "repeats=2")
    assert [r["status"] for r in rows] == ["ok", "ok"], rows[-1].get("error")
    assert {r["pi_estimate"] for r in rows} == {serial[0]["pi_estimate"]}
    assert abs(rows[0]["pi_estimate"] - math.pi) < 0.05
    assert rows[0]["tasks"] == 3
    assert rows[0]["setup_s"] >= 0


def test_executors_record_their_limits():
    small = ["workload.samples=1000", "workers=3", "repeats=1", "warmup=0"]
    uv = measure("executor=asyncio", "executor.loop=uvloop", *small)[0]
    assert (uv["executor.loop"], uv["executor.max_in_flight"]) == ("uvloop", 3)
    assert uv["version.uvloop"]
    assert measure("executor=tornado", *small)[0]["executor.max_in_flight"] == 3
    gevent = measure("executor=gevent", *small)[0]
    assert gevent["executor.greenlets"] == 3
    assert gevent["version.gevent"]


class Naps(Workload):
    """``count`` naps that track how many run at once, synchronously and on an event loop."""

    def __init__(self, count: int = 12, nap_s: float = 0.02) -> None:
        self.count, self.nap_s = count, nap_s
        self.running = self.peak = 0

    def tasks(self, workers, seed):
        return list(range(self.count))

    def run(self, task):
        time.sleep(self.nap_s)
        return task

    async def arun(self, task):
        self.running += 1
        self.peak = max(self.peak, self.running)
        await asyncio.sleep(self.nap_s)
        self.running -= 1
        return task

    def reduce(self, results):
        return Outcome(metrics={"peak": self.peak}, units=len(results))


@pytest.mark.parametrize("executor_name", ["asyncio", "tornado"])
def test_loops_keep_at_most_workers_in_flight(executor_name):
    workload = Naps()
    with hpexp.executor(executor_name, 4) as executor:
        assert executor.run(workload, workload.tasks(4, 0)) == list(range(12))
    assert workload.peak == 4


@pytest.mark.parametrize("executor_name", ["asyncio", "tornado"])
def test_loops_submit_and_map_like_concurrent_futures(executor_name):
    async def double(x):
        await asyncio.sleep(0)
        return 2 * x

    with hpexp.executor(executor_name, 2) as executor:
        assert list(executor.map(double, [1, 2, 3])) == [2, 4, 6]
        assert list(executor.map(pow, [2, 3], [3, 2])) == [8, 9]
        assert executor.submit(double, 5).result() == 10
        failed = executor.submit(math.sqrt, -1)
        assert isinstance(failed.exception(), ValueError)


def test_a_failing_task_fails_the_loop_run_and_the_loop_stays_usable():
    async def maybe_fail(x):
        await asyncio.sleep(0.01 * x)
        if x == 1:
            raise KeyError("task 1")
        return x

    with hpexp.executor("asyncio", 3) as executor:
        with pytest.raises(KeyError, match="task 1"):
            list(executor.map(maybe_fail, [0, 1, 5]))
        assert not asyncio.all_tasks(executor.loop), "the other tasks were cancelled"
        assert list(executor.map(maybe_fail, [0, 2])) == [0, 2]


def test_uvloop_loop_is_uvloop():
    import uvloop

    with hpexp.executor("asyncio", 1, loop="uvloop") as executor:
        assert isinstance(executor.loop, uvloop.Loop)


def _is_socket_patched() -> bool:
    from gevent import monkey

    return monkey.is_module_patched("socket") and socket.socket.__module__.startswith("gevent")


def _greenlet_overlap(nap_s: float) -> tuple[float, float]:
    """Runs in the gevent child: a blocking ``time.sleep`` is a greenlet switch there."""
    began = time.monotonic()
    time.sleep(nap_s)
    return began, time.monotonic()


def test_gevent_child_is_patched_and_parent_is_not():
    with hpexp.executor("gevent", 10) as executor:
        naps = list(executor.map(_greenlet_overlap, [0.2] * 10))
        assert executor.submit(_is_socket_patched).result() is True
    assert len(naps) == 10
    # every nap began before the first one ended: all ten slept at once, whatever the load
    assert max(began for began, _ in naps) < min(ended for _, ended in naps)
    assert socket.socket.__module__ == "socket"
    assert not _parent_patched()


def _parent_patched() -> bool:
    return "gevent.monkey" in sys.modules and _is_socket_patched()


class NativeOnGevent(Naps):
    """Reports which executor object its native driver was given, from the child."""

    def driver(self, model):
        return self.report_executor if model == Model.greenlets else None

    def report_executor(self, executor, tasks):
        return [(executor.model, executor.workers, len(executor.pool))] * len(tasks)

    def reduce(self, results):
        return Outcome(metrics={"seen": results[0]}, units=len(results))


def test_gevent_dispatches_to_a_native_implementation_in_the_child():
    workload = NativeOnGevent(count=3)
    with hpexp.executor("gevent", 5) as executor:
        assert executor.run(workload, workload.tasks(5, 0)) == [("greenlets", 5, 0)] * 3


class Explodes(Naps):
    def run(self, task):
        raise ZeroDivisionError(f"task {task} divided by zero")


def test_gevent_child_errors_become_error_rows_and_the_child_is_reaped():
    with hpexp.executor("gevent", 2) as executor:
        with pytest.raises(ZeroDivisionError, match="task 0 divided by zero"):
            executor.run(Explodes(count=2), [0, 1])
        assert executor.run(Naps(count=2, nap_s=0), [0, 1]) == [0, 1], "the child still serves"
        child = psutil.Process(executor._process.pid)
    assert not child.is_running()


def test_gevent_reports_a_dead_child_instead_of_hanging():
    with hpexp.executor("gevent", 1) as executor:
        psutil.Process(executor._process.pid).kill()
        with pytest.raises(GeventRunError, match="exited"):
            executor.run(Naps(count=1, nap_s=0), [0])


def test_a_missing_uvloop_is_a_one_line_config_error_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes ``import uvloop`` fail
    with pytest.raises(ConfigError) as refused:
        hpexp.executor("asyncio", 1, loop="uvloop")
    assert str(refused.value) == (
        "invalid value for 'executor.loop': 'uvloop' "
        "(allowed: asyncio (uvloop is not installed: pip install -e '.[uvloop]'))"
    )
