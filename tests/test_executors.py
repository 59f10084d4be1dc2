"""Every built-in executor on the pi workload, with real thread and process pools."""

import math
import multiprocessing
import os
import platform
import shutil
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil
import pytest

import hpexp
from hpexp import Outcome, Workload
from hpexp.analysis.verdict import by_workload
from hpexp.core.errors import ConfigError
from hpexp.core.executor import NotStarted
from hpexp.core.model import Model
from hpexp.core.shared import CannotShare
from hpexp.core.trials import Job, run_trials
from hpexp.workloads.pi import MonteCarloPi
from tests import start_method_probe
from tests.conftest import measure, own_processes

EXECUTORS = [
    ("serial", []),
    ("threads", []),
    ("pool", []),
    ("pool", ["executor.start_method=spawn"]),
    ("joblib", ["executor.backend=loky"]),
    ("joblib", ["executor.backend=threading"]),
    ("joblib", ["executor.backend=multiprocessing"]),
]


@pytest.mark.parametrize("impl", ["python", "numpy"])
@pytest.mark.parametrize(("executor", "extra"), EXECUTORS)
def test_every_executor_estimates_pi(executor, extra, impl):
    rows = measure(
        f"executor={executor}",
        *extra,
        f"workload.impl={impl}",
        "workload.samples=200000",
        "workers=2",
        "repeats=2",
    )
    assert [r["status"] for r in rows] == ["ok", "ok"], rows[-1].get("error")
    for row in rows:
        assert abs(row["pi_estimate"] - math.pi) < 0.02
        assert row["tasks"] == 2
        assert row["wall_s"] > 0
        # runs of a few ms: CPU time in 10 ms clock ticks may read 0 (test_measure.py pins it)
        assert row["cpu_s"] >= 0
        assert row["setup_s"] >= 0
        assert row["max_rss_mb"] > 1
        assert row["throughput"] == pytest.approx(200_000 / row["wall_s"])
        assert row["workload.impl"] == impl


def test_same_seed_gives_the_same_estimate_on_every_executor():
    estimates = {
        (executor, *extra): measure(
            f"executor={executor}",
            *extra,
            "workload.samples=60000",
            "workload.chunks=3",
            "workers=2",
            "repeats=1",
            "warmup=0",
            "seed=42",
        )[0]["pi_estimate"]
        for executor, extra in EXECUTORS
    }
    assert len(set(estimates.values())) == 1, estimates


def test_executors_record_the_limits_they_set():
    pool = measure("executor=pool", "workers=3", "workload.samples=3000", "repeats=1")
    assert pool[0]["executor.max_workers"] == 3
    assert pool[0]["executor.chunksize"] == 1
    assert pool[0]["executor.start_method"] in {"fork", "spawn", "forkserver"}
    joblib_rows = measure(
        "executor=joblib", "workers=2", "workload.samples=3000", "workload.chunks=10"
    )
    assert joblib_rows[0]["executor.n_jobs"] == 2
    assert joblib_rows[0]["executor.batch_size"] == "5"
    assert joblib_rows[0]["version.joblib"]


def test_setup_is_timed_outside_wall():
    rows = measure(
        "executor=pool",
        "executor.start_method=spawn",
        "workers=2",
        "workload.samples=2000",
        "repeats=3",
    )
    assert all(r["setup_s"] > r["wall_s"] for r in rows), "spawning two interpreters is setup"
    assert len({r["setup_s"] for r in rows}) == 1


class FailsOnThirdRun(MonteCarloPi):
    """A real workload whose third run raises, as a bug in user code would."""

    def __init__(self) -> None:
        super().__init__(samples=1000, impl="python", chunks=None)
        self.runs = 0

    def reduce(self, results):
        self.runs += 1
        if self.runs == 3:
            raise RuntimeError("reduce exploded\nsecond line")
        return super().reduce(results)


def test_a_failing_run_becomes_an_error_row_and_keeps_earlier_rows():
    job = Job(
        FailsOnThirdRun(), hpexp.executor("serial", 1), workers=1, repeats=4, warmup=0, seed=0
    )
    trials = run_trials(job).trials
    assert [t.status for t in trials] == ["ok", "ok", "error"]
    assert trials[-1].error == "RuntimeError: reduce exploded"
    assert trials[-1].repeat == 2


class CountsNativeRuns(MonteCarloPi):
    """A workload with its own driver for the threads model only."""

    def __init__(self) -> None:
        super().__init__(samples=1000, impl="python", chunks=None)
        self.native_runs = 0

    def driver(self, model):
        return self.run_on_threads if model == Model.threads else None

    def run_on_threads(self, executor, tasks):
        self.native_runs += 1
        return [f.result() for f in [executor.submit(self.run, t) for t in tasks]]


def test_a_workload_native_driver_is_used_for_its_model_only():
    workload = CountsNativeRuns()
    tasks = workload.tasks(workers=2, seed=0)
    with hpexp.executor("serial", 1) as serial:
        generic = serial.run(workload, tasks)
    assert workload.native_runs == 0
    with hpexp.executor("threads", 2) as threads:
        native = threads.run(workload, tasks)
    assert workload.native_runs == 1
    assert native == generic


class WhereTasksRan(Workload):
    """Each task naps, then says which process ran it: a chunk runs whole in one worker."""

    def __init__(self, count: int) -> None:
        self.count = count

    def tasks(self, workers, seed):
        return list(range(self.count))

    def run(self, task):
        time.sleep(0.02)
        return os.getpid()

    def reduce(self, results):
        return Outcome(units=len(results))


@pytest.mark.parametrize(("chunksize", "expected"), [(None, 4), (2, 2)])
def test_the_pool_dispatches_the_chunksize_it_records(chunksize, expected):
    """10 tasks on 3 workers: null is ceil(10 / 3) = 4; the worker of each chunk runs it whole."""
    workload = WhereTasksRan(10)
    with hpexp.executor("pool", 3, chunksize=chunksize) as pool:
        pids = pool.run(workload, workload.tasks(3, 0))
        assert pool.settings(10)["chunksize"] == expected
    chunks = [pids[start : start + expected] for start in range(0, 10, expected)]
    assert all(len(set(chunk)) == 1 for chunk in chunks), pids
    assert len(set(pids)) > 1, "more than one worker took a chunk"


def test_joblib_records_auto_batching_as_auto():
    rows = measure(
        "executor=joblib",
        "executor.batch_size=auto",
        "workers=2",
        "workload.samples=3000",
        "repeats=1",
        "warmup=0",
    )
    assert rows[0]["status"] == "ok", rows[0]["error"]
    assert rows[0]["executor.batch_size"] == "auto"


@pytest.mark.parametrize(("method", "inherited"), [("fork", ["changed"]), ("spawn", [])])
def test_pool_workers_are_started_by_the_start_method_named(method, inherited, monkeypatch):
    monkeypatch.setattr(start_method_probe, "PARENT_MARK", ["changed"])
    with hpexp.executor("pool", 1, start_method=method) as executor:
        assert list(executor.map(start_method_probe.parent_mark, [0])) == [inherited]


def test_pool_refuses_to_work_before_it_starts():
    executor = hpexp.executor("pool", 1)
    for use in (lambda: executor.submit(abs, -1), lambda: executor.map(abs, [-1])):
        with pytest.raises(NotStarted, match=r"^PoolExecutor is not started"):
            use()


def test_pool_s_map_timeout_and_shutdown_flags_keep_their_standard_meaning():
    executor = hpexp.executor("pool", 1)
    executor.start()
    running = executor.submit(time.sleep, 1.0)
    while not running.running():  # handed to the worker: no longer cancellable
        time.sleep(0.01)
    queued = [executor.submit(abs, -i) for i in range(5)]
    with pytest.raises(TimeoutError):
        next(executor.map(abs, [-1], timeout=0.05))
    executor.shutdown(wait=False, cancel_futures=True)
    assert not running.done(), "wait=False returns while a task still runs"
    assert running.result(timeout=10) is None
    # by now the pool's manager thread has cancelled what no worker had taken
    assert any(future.cancelled() for future in queued), "cancel_futures=True cancels the queue"


def test_the_global_start_method_is_never_changed():
    before = multiprocessing.get_start_method(allow_none=True)
    for method in ("spawn", "forkserver"):
        rows = measure(
            "executor=pool",
            f"executor.start_method={method}",
            "workers=1",
            "workload.samples=2000",
            "repeats=1",
            "warmup=0",
        )
        assert rows[0]["executor.start_method"] == method
    assert multiprocessing.get_start_method(allow_none=True) == before


def test_rows_record_the_machine_they_ran_on():
    started = datetime.now(UTC)
    (row,) = measure("workload.samples=2000", "repeats=1", "warmup=0")
    assert started <= row["started_at"] <= datetime.now(UTC)
    assert row["hostname"] == socket.gethostname()
    assert row["cpu_count"] == os.cpu_count()
    assert row["python_version"] == platform.python_version()
    assert row["python_implementation"] == platform.python_implementation()
    assert row["platform"] == platform.platform()
    assert row["hpexp_version"] == metadata.version("hpexp")
    assert row["version.numpy"] == metadata.version("numpy")
    assert row["cpu_model"]


JOBLIB_REFUSALS = [
    ({"backend": "ray"}, "'backend': 'ray' (allowed: loky | threading | multiprocessing | dask)"),
    ({"batch_size": 0}, "'batch_size': 0 (allowed: null | auto | an integer >= 1)"),
    ({"batch_size": "big"}, "'batch_size': 'big' (allowed: null | auto | an integer >= 1)"),
    ({"batch_size": True}, "'batch_size': True (allowed: null | auto | an integer >= 1)"),
    ({"batch_size": 2.5}, "'batch_size': 2.5 (allowed: null | auto | an integer >= 1)"),
    (
        {"address": "tcp://127.0.0.1:8786"},
        "'address': 'tcp://127.0.0.1:8786' (allowed: null unless backend is dask)",
    ),
    ({"connect_timeout_s": 0}, "'connect_timeout_s': 0 (allowed: a number of seconds > 0)"),
    ({"cache": "yes"}, "'cache': 'yes' (allowed: true | false)"),
]
POOL_REFUSALS = [
    ({"start_method": "bogus"}, "'start_method': 'bogus' (allowed: fork | spawn | forkserver)"),
    ({"chunksize": 0}, "'chunksize': 0 (allowed: an integer >= 1)"),
    ({"chunksize": 1.5}, "'chunksize': 1.5 (allowed: an integer >= 1)"),
]


REFUSALS = [("joblib", *case) for case in JOBLIB_REFUSALS] + [
    ("pool", *case) for case in POOL_REFUSALS
]


@pytest.mark.parametrize(
    ("executor", "kwargs", "message"),
    REFUSALS,
    # named by executor and key, not by the message: the mutation run deselects ids that say dask
    ids=[f"{executor}-{'-'.join(kwargs)}" for executor, kwargs, _ in REFUSALS],
)
def test_bad_executor_values_are_refused_in_one_line(executor, kwargs, message):
    with pytest.raises(ConfigError) as refused:
        hpexp.executor(executor, 2, **kwargs)
    assert str(refused.value) == "invalid value for " + message.replace("'", "'executor.", 1)


def test_good_executor_values_are_kept_and_recorded():
    auto = hpexp.executor("joblib", 3, backend="threading", batch_size="auto")
    assert (auto.backend, auto.batch_size, auto.address, auto.connect_timeout_s) == (
        "threading",
        "auto",
        None,
        10.0,
    )
    assert auto.chunksize_for(100) is None
    assert auto.settings(100) == {
        "n_jobs": 3,
        "backend": "threading",
        "batch_size": "auto",
        "pre_dispatch": "2*n_jobs",
        "cache": False,
    }
    assert hpexp.executor("joblib", 2, batch_size=4).chunksize_for(100) == 4
    assert hpexp.executor("joblib", 2).chunksize_for(9) == 5
    on_a_cluster = hpexp.executor("joblib", 2, backend="dask", address="tcp://127.0.0.1:8786")
    assert on_a_cluster.address == "tcp://127.0.0.1:8786", "an address is for the dask backend"
    pool = hpexp.executor("pool", 2)
    assert pool.start_method == multiprocessing.get_all_start_methods()[0]
    assert pool.settings(9) == {"max_workers": 2, "start_method": pool.start_method, "chunksize": 5}
    assert hpexp.executor("pool", 2, chunksize=3).settings(100)["chunksize"] == 3


def test_joblib_on_an_existing_dask_cluster_records_it_before_connecting():
    """Apart from the values above: it imports distributed, 0.7 s, which the mutation run's
    quickest-first order would otherwise pay before the cheap assertions."""
    on_dask = hpexp.executor("joblib", 2, backend="dask", address="tcp://127.0.0.1:8786")
    assert on_dask.settings(4)["cluster"] == "existing"
    assert on_dask.settings(4)["n_jobs"] is None, "unknown until connected"


def a_lock(task):
    """A task whose result no pickle can carry back from a worker process."""
    return multiprocessing.Lock()


@pytest.mark.parametrize("name", ["mp_queue", "mp_pipe", "mp_pool", "pool"])
def test_a_result_that_cannot_be_pickled_fails_the_run_at_once(name):
    began = time.monotonic()
    with (
        hpexp.executor(name, 2) as executor,
        pytest.raises(Exception, match=r"(?i)pickl|lock|sent back"),
    ):
        list(executor.map(a_lock, range(4)))
    assert time.monotonic() - began < 60, "an error, not a wait for the time limit"


def test_joblib_s_cache_makes_every_repeat_a_lookup_and_the_verdict_says_so(tmp_path):
    """The book's pitfall (pi_lists_parallel_joblib_cache.py): the same seeded tasks return
    their stored results, so the runs after the first time the cache, not the work."""
    cell = ["executor=joblib", "executor.backend=threading", "workers=2", "warmup=0"]
    cell += ["workload.samples=3000000", "repeats=3", "progress=false", f"results_dir={tmp_path}"]
    caches = set(Path(tempfile.gettempdir()).glob("hpexp-joblib-cache-*"))
    cached = hpexp.run(*cell, "executor.cache=true")
    assert (cached["status"] == "ok").all()
    assert cached["executor.cache"].tolist() == [True] * 3
    first, *later = cached.sort_values("repeat")["wall_s"]
    assert max(later) < first / 5, "a lookup, not 3e6 points"
    assert cached["pi_estimate"].nunique() == 1
    (part,) = by_workload(cached)
    assert "executor.cache=true timed a cache" in part.verdict
    plain = hpexp.run(*cell, "executor.cache=false")
    (part,) = by_workload(plain)
    assert "cache" not in part.verdict
    assert set(Path(tempfile.gettempdir()).glob("hpexp-joblib-cache-*")) == caches, "removed"


def two_at_once(barrier: threading.Barrier) -> bool:
    """Returns only if another task reaches the barrier meanwhile: two ran at the same time."""
    barrier.wait(timeout=10)
    return True


def where_it_ran(task: int) -> tuple[int, bool]:
    """This worker's pid, and whether hpexp's start-of-worker ran in it (its watch thread)."""
    time.sleep(0.3)
    names = {thread.name for thread in threading.enumerate()}
    return os.getpid(), "hpexp-watch-parent" in names


def test_joblib_threads_run_workers_tasks_at_once():
    barrier = threading.Barrier(2)
    with hpexp.executor("joblib", 2, backend="threading") as executor:
        assert list(executor.map(two_at_once, [barrier, barrier])) == [True, True]


def test_joblib_processes_are_workers_each_started_by_hpexp():
    with hpexp.executor("joblib", 2, backend="loky") as executor:
        ran = list(executor.map(where_it_ran, range(4)))
    assert len({pid for pid, _ in ran}) == 2
    assert all(started for _, started in ran), "every worker exits with hpexp"


def stuck_in_its_task(started: Path) -> None:
    started.touch()
    time.sleep(60)


def test_joblib_shutdown_without_waiting_kills_workers_stuck_in_their_tasks(tmp_path):
    """What a run that timed out needs: loky would otherwise wait for the tasks to end."""
    executor = hpexp.executor("joblib", 2, backend="loky")
    executor.start()
    workers = own_processes()
    raised: list[BaseException] = []

    def run() -> None:
        try:
            list(executor.map(stuck_in_its_task, [tmp_path / "a", tmp_path / "b"]))
        except Exception as exc:  # what the abandoned map raises, kept for the assert
            raised.append(exc)

    caller = threading.Thread(target=run)
    caller.start()
    deadline = time.monotonic() + 10
    while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    executor.shutdown(wait=False)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "killed, not left to finish their tasks"
    caller.join(timeout=10)
    assert not caller.is_alive()
    assert raised, "the abandoned map says its workers were lost"


def test_joblib_refuses_to_map_before_it_starts_and_maps_equal_lengths_only():
    executor = hpexp.executor("joblib", 2, backend="threading", cache=True)
    with pytest.raises(NotStarted, match=r"^JoblibExecutor is not started"):
        executor.map(abs, [1])
    with executor:
        with pytest.raises(ValueError, match="zip"):
            list(executor.map(pow, [2, 3], [2]))
        assert list(executor.map(abs, [-1, 2], chunksize=None)) == [1, 2]
        assert executor._parallel.batch_size == "auto", "chunksize=None: joblib's own batching"
        assert list(executor.map(abs, [-1, 2], chunksize=2)) == [1, 2]
        assert executor._parallel.batch_size == 2
        assert list(executor.map(abs, [-1, 2])) == [1, 2]
        assert executor._parallel.batch_size == 1, "concurrent.futures' default chunksize"


def test_joblib_s_cache_is_a_directory_of_its_own_gone_at_shutdown_even_if_removed_before():
    temporary = Path(tempfile.gettempdir())
    before = set(temporary.glob("hpexp-joblib-cache-*"))
    for removed_meanwhile in (False, True):
        executor = hpexp.executor("joblib", 2, backend="threading", cache=True)
        with executor:
            assert list(executor.map(abs, [-3, -3])) == [3, 3]
            (cache,) = set(temporary.glob("hpexp-joblib-cache-*")) - before
            assert any(cache.rglob("*")), "the results are stored there"
            if removed_meanwhile:  # a cleaner of temporary files got there first
                shutil.rmtree(cache)
        assert not cache.exists()
        executor.shutdown()  # a second time: nothing left to remove


def test_joblib_s_threads_take_shared_state_and_its_processes_refuse_it():
    handed = []
    hpexp.executor("joblib", 2, backend="threading").hand_over(handed.append, ("state",))
    assert handed == ["state"]
    with pytest.raises(CannotShare, match=r"^joblib's loky backend cannot hand shared state over$"):
        hpexp.executor("joblib", 2).hand_over(handed.append, ("state",))


def test_joblib_s_cache_says_nothing(capfd):
    with hpexp.executor("joblib", 2, backend="threading", cache=True) as executor:
        assert list(executor.map(abs, [-3, -3])) == [3, 3]
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("batch_size", [1, 7])
def test_joblib_takes_any_batch_size_from_1(batch_size):
    assert hpexp.executor("joblib", 2, batch_size=batch_size).chunksize_for(100) == batch_size
