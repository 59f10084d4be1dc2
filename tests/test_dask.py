"""The dask executor and joblib's dask backend on real dask processes.

An existing cluster is a real ``dask scheduler`` and ``dask worker`` started with the dask CLI on
127.0.0.1 (free ports: the ``cluster_address`` fixture of ``conftest.py``), shared by this
module's tests and stopped at the end; the embedded path starts real LocalClusters.
"""

import math
import operator
import os
import socket
import threading
import time
from collections.abc import Iterator
from itertools import pairwise

import psutil
import pytest

import hpexp
from hpexp import Outcome, Workload
from hpexp.core.errors import ConfigError
from hpexp.core.model import Model
from hpexp.executors.dask_connection import check_address, check_timeout
from hpexp.executors.dask_executor import DaskExecutor
from tests.conftest import CLUSTER_WORKERS, files_under, measure, run_cli

SMALL = ["workload.samples=200000", "repeats=2", "warmup=1", "progress=false"]


@pytest.fixture
def on_cluster(cluster_address) -> Iterator[DaskExecutor]:
    with hpexp.executor("dask", 2, address=cluster_address, connect_timeout_s=10) as executor:
        yield executor


def test_hpexp_runs_on_an_existing_cluster(cluster_address, tmp_path):
    result = run_cli(
        "executor=dask",
        f"executor.address={cluster_address}",
        "workers=3",
        "workload.chunks=6",
        *SMALL,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    df = hpexp.load_results(tmp_path / "results")
    assert list(df["status"]) == ["ok", "ok"]
    assert (abs(df["pi_estimate"] - math.pi) < 0.02).all()
    assert (df["tasks"] == 6).all()
    assert (df["executor.cluster"] == "existing").all()
    assert (df["executor.address"] == cluster_address).all()
    assert (df["executor.cluster_workers"] == CLUSTER_WORKERS).all()
    assert (df["executor.cluster_threads"] == CLUSTER_WORKERS).all()
    assert (df["executor.max_in_flight"] == 3).all()
    assert df["version.distributed"].iloc[0]


def test_joblib_dask_backend_on_an_existing_cluster(cluster_address):
    rows = measure(
        "executor=joblib",
        "executor.backend=dask",
        f"executor.address={cluster_address}",
        "workers=2",
        "workload.chunks=4",
        *SMALL,
    )
    assert [r["status"] for r in rows] == ["ok", "ok"], rows[-1].get("error")
    assert rows[0]["executor.cluster"] == "existing"
    assert rows[0]["executor.cluster_workers"] == CLUSTER_WORKERS
    assert rows[0]["executor.n_jobs"] == CLUSTER_WORKERS
    assert rows[0]["executor.batch_size"] == "2"


class Relay(Workload):
    """Each task is a relay of ``hops`` round trips; on a cluster, each hop is submitted from the
    previous hop's done-callback, as the eventloop workload's cluster driver does."""

    def __init__(self) -> None:
        self.seen: dict[int, list[int]] = {}
        self.on_main_thread: set[bool] = set()

    def tasks(self, workers, seed):
        return [50] * workers

    def run(self, task):
        value = 0
        while value < task:
            value = operator.add(value, 1)
        return value

    def driver(self, model):
        return self.relay_on_cluster if model == Model.cluster else None

    def relay_on_cluster(self, executor, tasks):
        self.seen = {chain: [] for chain in range(len(tasks))}
        finals: dict[int, int] = {}
        all_ended = threading.Event()

        def step(chain: int, hops: int):
            def on_done(future):
                self.on_main_thread.add(threading.current_thread() is threading.main_thread())
                value = future.result()
                self.seen[chain].append(value)
                if value < hops:
                    executor.submit(operator.add, value, 1).add_done_callback(step(chain, hops))
                    return
                finals[chain] = value
                if len(finals) == len(tasks):
                    all_ended.set()

            return on_done

        for chain, hops in enumerate(tasks):
            executor.submit(operator.add, 0, 1).add_done_callback(step(chain, hops))
        assert all_ended.wait(timeout=60), self.seen
        return [finals[chain] for chain in range(len(tasks))]

    def reduce(self, results):
        return Outcome(units=sum(results))


def test_submit_chains_from_callbacks(on_cluster):
    """A native cluster driver: 2 relays x 50 hops, each hop submitted from a callback."""
    relay = Relay()
    assert on_cluster.run(relay, relay.tasks(2, 0)) == [50, 50]
    assert relay.seen == {0: list(range(1, 51)), 1: list(range(1, 51))}
    assert relay.on_main_thread == {False}


def test_repeated_tasks_are_computed_not_cached(on_cluster):
    # the same function and argument three times: dask would cache a pure task
    assert len(set(on_cluster.map(os.urandom, [16, 16, 16]))) == 3
    assert len({on_cluster.submit(os.urandom, 16).result(timeout=30) for _ in range(3)}) == 3


def test_task_errors_and_keywords_cross_the_bridge(on_cluster):
    with pytest.raises(ValueError, match="invalid literal"):
        on_cluster.submit(int, "not a number").result(timeout=30)
    assert on_cluster.submit(int, "ff", base=16).result(timeout=30) == 255
    with pytest.raises(ValueError, match="invalid literal"):
        list(on_cluster.map(int, ["1", "x"]))


class Stamped(Workload):
    """Tasks that sleep and report when they ran, to see how many were in flight at once."""

    def tasks(self, workers, seed):
        return [0.3] * 4

    def run(self, task):
        started = time.time()
        time.sleep(task)
        return started, time.time()

    def reduce(self, results):
        return Outcome(units=len(results))


def test_an_existing_cluster_runs_at_most_workers_tasks_at_once(cluster_address):
    workload = Stamped()
    with hpexp.executor("dask", 1, address=cluster_address) as one_at_a_time:
        spans = one_at_a_time.run(workload, workload.tasks(1, 0))
    assert len(spans) == 4
    assert all(later[0] >= earlier[1] for earlier, later in pairwise(spans))
    with hpexp.executor("dask", 2, address=cluster_address) as two_at_a_time:
        spans = two_at_a_time.run(workload, workload.tasks(2, 0))
    assert any(later[0] < earlier[1] for earlier, later in pairwise(spans))


@pytest.mark.parametrize(
    "executor",
    [
        lambda: hpexp.executor("dask", 2),
        lambda: hpexp.executor("joblib", 2, backend="dask"),
    ],
    ids=["dask", "joblib-dask"],
)
def test_a_local_cluster_has_workers_processes_and_leaves_none(executor):
    executor = executor()
    others = set(psutil.Process().children(recursive=True))
    with executor:
        children = {
            child
            for child in set(psutil.Process().children(recursive=True)) - others
            # the interpreter's own helper, alive until it exits, whoever spawned first
            if "resource_tracker" not in " ".join(child.cmdline())
        }
        assert len(children) == 2, "one process per worker"
        results = executor.run(Stamped(), [0.0] * 4)
    assert len(results) == 4
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"cluster processes left running: {alive}"
    settings = executor.settings(4)
    assert settings["cluster"] == "local"
    assert settings["cluster_workers"] == 2
    assert settings["cluster_threads"] == 2


def test_embedded_local_cluster_from_the_command_line(tmp_path):
    result = run_cli("executor=dask", "workers=2", *SMALL, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    # started and closed without tracebacks, warnings or dask's INFO chatter; only a loaded
    # machine's "event loop was unresponsive" warning is tolerated, as it is about load, not hpexp
    said = result.stderr.splitlines()
    assert said[-1].startswith("hpexp: 2 rows in "), "a single run names its results file"
    noise = [line for line in said[:-1] if "unresponsive" not in line]
    assert noise == [], result.stderr
    df = hpexp.load_results(tmp_path / "results")
    assert list(df["status"]) == ["ok", "ok"]
    assert (df["executor.cluster"] == "local").all()
    assert (df["executor.cluster_workers"] == 2).all()
    assert (df["executor.cluster_threads"] == 2).all()
    assert (df["setup_s"] > 0).all()


@pytest.mark.parametrize(
    "extra",
    [["executor=dask"], ["executor=joblib", "executor.backend=dask"]],
    ids=["dask", "joblib"],
)
def test_local_cluster_estimate_matches_serial(extra):
    same = ["workload.samples=60000", "workload.chunks=3", "workers=2", "repeats=1", "seed=42"]
    serial = measure("executor=serial", *same)
    on_dask = measure(*extra, *same)
    assert on_dask[0]["status"] == "ok", on_dask[0].get("error")
    assert on_dask[0]["pi_estimate"] == serial[0]["pi_estimate"]


@pytest.mark.parametrize(
    "address",
    ["localhost:8786", "tcp://127.0.0.1", "http://127.0.0.1:8786", "tcp://:8786", "tcp://h:99999"],
)
def test_a_malformed_address_is_refused(address):
    with pytest.raises(ConfigError, match=r"'address'.*allowed: null \| tcp://HOST:PORT"):
        check_address(address)


@pytest.mark.parametrize("seconds", [0, -1, math.inf, True, "5"])
def test_a_bad_connect_timeout_is_refused(seconds):
    with pytest.raises(ConfigError, match="connect_timeout_s"):
        check_timeout(seconds)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["executor=dask", "executor.address=localhost:8786"],
            "invalid value for 'executor.address': 'localhost:8786' "
            "(allowed: null | tcp://HOST:PORT)",
        ),
        (
            ["executor=joblib", "executor.address=tcp://127.0.0.1:8786"],
            "invalid value for 'executor.address': 'tcp://127.0.0.1:8786' "
            "(allowed: null unless backend is dask)",
        ),
    ],
    ids=["dask", "joblib-loky"],
)
def test_a_malformed_address_is_one_line_from_the_command_line(tmp_path, args, message):
    result = run_cli(*args, *SMALL, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"hpexp: {message}\n"
    assert files_under(tmp_path / "results") == []


def test_an_unreachable_scheduler_fails_fast_with_a_clear_message(tmp_path):
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{bound_not_listening.getsockname()[1]}"
        started = time.monotonic()
        result = run_cli(
            "executor=dask",
            f"executor.address={address}",
            "executor.connect_timeout_s=1",
            *SMALL,
            cwd=tmp_path,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"ClusterUnavailable: cannot reach the dask scheduler at {address} "
        "within executor.connect_timeout_s=1 s"
    ) in result.stderr.strip().splitlines()[-1]
    assert elapsed < 30, "bounded by the connect timeout, not a hang"
    df = hpexp.load_results(tmp_path / "results")
    assert list(df["status"]) == ["error"]
