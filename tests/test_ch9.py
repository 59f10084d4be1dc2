"""Chapter 9: multiprocessing's own executors on every workload, and the shared-state workloads
on real Values, Managers, mapped files and a real redis-server."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import hpexp
from hpexp.api.launch import composed
from hpexp.core import shared
from hpexp.core.errors import ConfigError
from hpexp.core.trials import Job, run_trials
from hpexp.executors.mp_pipe import deal
from hpexp.executors.mp_pool import stdlib_chunksize
from hpexp.workloads.prime_check.flags import raw_value_flags
from hpexp.workloads.prime_check.workload import is_prime_reference, split
from hpexp.workloads.primes import is_prime, primes_between
from tests.conftest import files_under, kill_group, measure, run_cli

sys.path.insert(0, str(Path(__file__).parent / "plugin_example"))
from faulty import Faulty

NEW_EXECUTORS = ["mp_pool", "mp_dummy", "mp_queue", "mp_pipe"]
SMALL = {
    "pi": ["workload.samples=20000"],
    "eventloop": ["workload.callbacks=200"],
    "crawl": ["workload.requests=6", "workload.delay_ms=5"],
    "primes": ["workload.count=300"],
    "prime_check": ["workload.numbers=[1000003,999983,1000001,15]"],
    "counter": ["workload.increments=50"],
    "shared_array": ["workload.size=10000"],
}
ONE_RUN = ["repeats=1", "warmup=0"]


@pytest.mark.parametrize("workload", sorted(SMALL))
@pytest.mark.parametrize("executor", NEW_EXECUTORS)
def test_every_new_executor_runs_every_workload(executor, workload):
    rows = measure(f"executor={executor}", f"workload={workload}", "workers=2", *ONE_RUN,
        *SMALL[workload],
    )  # fmt: skip
    assert [row["status"] for row in rows] == ["ok"], rows[0]["error"]


def test_primes_found_is_checked_exactly():
    assert primes_between(0, 100_000) == 9592 == sum(map(is_prime, range(100_000)))
    assert [n for n in range(12) if is_prime(n)] == [2, 3, 5, 7, 11]
    workload = hpexp.workload("primes", start=0, count=100_000)
    assert workload.reduce([is_prime(n) for n in workload.tasks(1, 0)]).error is None
    wrong = workload.reduce([True] + [is_prime(n) for n in range(1, 100_000)])
    assert wrong.error == "found 9593 primes in 100000 numbers from 0, expected 9592 in 100000"


def test_prime_check_splits_every_odd_factor_once():
    n = 10_000_000_019
    for parts in (1, 2, 3, 7):
        ranges = split(0, n, parts)
        factors = [f for r in ranges for f in range(r.start, r.stop, 2)]
        assert factors == list(range(3, int(n**0.5) + 1, 2))
        assert all(r.start % 2 == 1 for r in ranges)
    book = [112272535095295, 100109100129100369, 100109100129101027, 100109100129100151]
    assert [is_prime_reference(n) for n in book] == [False, False, False, True]


@pytest.mark.parametrize("flag", ["none", "value", "rawvalue", "manager", "mmap", "redis"])
def test_every_flag_gives_the_right_verdicts(flag):
    numbers = "[1000003,999983,1000001,25,2,1,10000000019,10000000033]"
    rows = measure("workload=prime_check", f"workload.numbers={numbers}",
        f"workload.flag={flag}", "workload.check_every=10", "executor=pool", "workers=2",
        "repeats=2", "warmup=0",
    )  # fmt: skip
    assert [(r["status"], r["primes_found"]) for r in rows] == [("ok", 5)] * 2


#: primes, their squares and products of a small and a large prime, 3..23 among the small ones
AROUND_THE_PRE_CHECK = [3, 5, 19, 21, 23, 9, 361, 19 * 1000003, 23 * 1000003, 29 * 1000003,
                        1000003, 1000003**2, 10000000019]  # fmt: skip


@pytest.mark.parametrize("look", ["countdown", "compare", "block"])
@pytest.mark.parametrize("serial_check_to", [3, 21, 25])
def test_the_pre_check_and_every_look_give_miller_rabin_s_verdicts(look, serial_check_to):
    numbers = f"[{','.join(map(str, AROUND_THE_PRE_CHECK))}]"
    cell = [f"workload.look={look}", f"workload.serial_check_to={serial_check_to}"]
    (row,) = measure("workload=prime_check", f"workload.numbers={numbers}", *cell,
        "workload.flag=rawvalue", "workload.check_every=7", "executor=mp_pool", "workers=2",
        "repeats=1", "warmup=0",
    )  # fmt: skip
    assert row["status"] == "ok", row["error"]
    assert row["primes_found"] == sum(map(is_prime_reference, AROUND_THE_PRE_CHECK)) == 6


def test_the_pre_check_keeps_numbers_with_a_small_factor_from_the_workers():
    workload = hpexp.workload("prime_check", numbers=[15, 1000003, 21 * 1000003], flag="none",
                              serial_check_to=21)  # fmt: skip
    ranges = workload.tasks(2, 0)
    assert {r.n for r in ranges} == {1000003}, "15 and 21 x 1000003 never reach a worker"
    assert min(r.start for r in ranges) == 21, "the workers start where the pre-check ended"
    assert workload.reduce([workload.run(r) for r in ranges]).metrics["primes_found"] == 1


@pytest.mark.parametrize("look", ["compare", "block"])
def test_the_compare_and_block_looks_read_the_flag_and_set_it(look):
    n = 1009 * 1_000_000_007
    first, second = split(0, n, 2)
    workload = hpexp.workload("prime_check", numbers=[n], flag="rawvalue", check_every=1000,
                              look=look)  # fmt: skip
    flags = raw_value_flags(1)
    shared.install(flags)
    try:
        flags.set(0)
        assert workload.run(second) is False, "a set flag stops the range after its block"
        flags.clear()
        assert workload.run(first) is False
        assert flags.is_set(0), "the range that finds the factor sets the flag"
    finally:
        shared.uninstall()


@pytest.mark.parametrize(("start", "count"), [(0, 1000), (1, 999), (100_000_000, 2001)])
def test_odd_only_sends_half_the_numbers_for_the_same_answer(start, count):
    both = hpexp.workload("primes", start=start, count=count)
    odd = hpexp.workload("primes", start=start, count=count, odd_only=True)
    tasks = odd.tasks(1, 0)
    assert all(n % 2 or n == 2 for n in tasks)
    assert len(tasks) <= count // 2 + 2
    assert odd.reduce([is_prime(n) for n in tasks]).error is None
    assert sum(map(is_prime, tasks)) == sum(map(is_prime, both.tasks(1, 0)))


def test_a_found_factor_stops_the_other_ranges():
    """The range holding the factor sets the number's flag; the other range, which holds no
    factor, answers "not prime" only because it read the flag."""
    n = 1009 * 1_000_000_007  # its one small factor lies in the first of two ranges
    first, second = split(0, n, 2)
    assert first.start <= 1009 < first.stop <= second.start
    workload = hpexp.workload("prime_check", numbers=[n], flag="rawvalue", check_every=1)
    flags = raw_value_flags(1)
    shared.install(flags)
    try:
        assert workload.run(second) is True  # alone, the second range finds nothing
        assert workload.run(first) is False
        assert flags.is_set(0)
        assert workload.run(second) is False
    finally:
        shared.uninstall()


@pytest.mark.parametrize("store", ["file", "value", "rawvalue", "manager", "redis"])
@pytest.mark.parametrize("locked", ["true", "false"])
def test_every_store_counts_locked_and_unlocked(store, locked):
    rows = measure("workload=counter", f"workload.store={store}", f"workload.locked={locked}",
        "workload.increments=300", "executor=pool", "workers=2", "repeats=2", "warmup=0",
    )  # fmt: skip
    for row in rows:
        assert row["status"] == "ok", row["error"]
        assert row["expected"] == 600
        assert row["counted"] + row["lost_updates"] == 600
        if locked == "true":
            assert row["lost_updates"] == 0


def test_a_locked_counter_that_loses_updates_is_an_error():
    workload = hpexp.workload("counter", increments=10, store="value")
    workload.prepare()
    try:
        workload.tasks(2, 0)
        workload._counter.add(15, locked=True)
        outcome = workload.reduce([10, 10])
    finally:
        workload.close()
    assert outcome.error == "a locked counter counted 15 of 20 updates (value)"
    assert outcome.metrics == {"expected": 20, "counted": 15, "lost_updates": 5}


@pytest.mark.parametrize("share", ["pickle", "shared_memory", "rawarray"])
@pytest.mark.parametrize("executor", ["serial", "pool", "mp_queue"])
def test_shared_array_checksum_and_bytes_moved(share, executor):
    (row,) = measure("workload=shared_array", "workload.size=100001", f"workload.share={share}",
        f"executor={executor}", "workers=2", *ONE_RUN,
    )  # fmt: skip
    assert row["status"] == "ok", row["error"]
    assert row["checksum"] == 100001 * 100000 / 4
    assert row["bytes_moved"] == (100001 * 8 if share == "pickle" else 8 * 2)  # 2 chunks


@pytest.mark.parametrize(
    ("executor", "reason"),
    [
        ("dask", "DaskExecutor cannot hand shared state to its workers"),
        ("gevent", "GeventExecutor cannot hand shared state to its workers"),
        ("joblib", "joblib's loky backend cannot hand shared state over"),
    ],
)
def test_an_executor_that_cannot_share_skips_the_cell(executor, reason):
    (row,) = measure("workload=counter", f"executor={executor}", "workers=1", *ONE_RUN)
    assert row["status"] == "skipped"
    assert row["error"] == f"{reason}; Counter needs shared state"


def test_skipped_cells_keep_the_exit_code_zero(tmp_path):
    result = run_cli(
        "workload=counter", "executor=serial,dask", "workers=1", *ONE_RUN, "-m", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    df = hpexp.load_results(tmp_path / "results")
    assert sorted(df["status"]) == ["ok", "skipped"]
    assert " skipped " in result.stdout


def test_the_stdlib_chunksize_is_recorded():
    assert stdlib_chunksize("map", 100, 2) == 13  # ceil(100 / 8), as Pool.map computes it
    assert stdlib_chunksize("map", 3, 2) == 1
    assert stdlib_chunksize("imap", 100, 2) == 1
    executor = hpexp.executor("mp_pool", 2, method="map")
    assert executor.settings(100)["chunksize"] == 13
    assert hpexp.executor("mp_pool", 2, chunksize=7).settings(100)["chunksize"] == 7
    assert hpexp.executor("mp_queue", 2, batch=4).settings(10)["queue_items"] == 3


def test_tasks_are_dealt_round_robin_or_in_blocks():
    assert deal(7, 3, "round_robin") == [[0, 3, 6], [1, 4], [2, 5]]
    assert deal(7, 3, "block") == [[0, 1, 2], [3, 4, 5], [6]]
    assert deal(2, 3, "block") == [[0], [1], []]


@pytest.mark.parametrize(
    "make",
    [
        lambda: hpexp.executor("mp_pool", 2),
        lambda: hpexp.executor("mp_pool", 2, method="imap_unordered", start_method="spawn"),
        lambda: hpexp.executor("mp_queue", 2, feeder="thread"),
        lambda: hpexp.executor("mp_pipe", 2, deal="round_robin"),
    ],
    ids=["mp_pool", "mp_pool-spawn", "mp_queue", "mp_pipe"],
)
def test_a_killed_worker_is_an_error_row_not_a_hang(make):
    job = Job(Faulty(fail="kill_worker", tasks=4), make(), 2, repeats=1, warmup=0, seed=0)
    (trial,) = run_trials(job).trials
    assert trial.status == "error"
    assert trial.error.startswith("WorkerDied: worker pid ")
    assert trial.error.endswith(" exited with code -9 while its tasks were pending")


@pytest.mark.parametrize(
    "make",
    [
        lambda: hpexp.executor("mp_pool", 2),
        lambda: hpexp.executor("mp_queue", 2),
        lambda: hpexp.executor("mp_pipe", 2),
    ],
    ids=["mp_pool", "mp_queue", "mp_pipe"],
)
def test_a_hung_worker_times_out_and_is_stopped(make):
    job = Job(Faulty(fail="hang", tasks=2), make(), 2, 1, 0, 0, trial_timeout_s=1.0)
    (trial,) = run_trials(job).trials
    assert trial.status == "timeout"


def test_results_come_back_in_task_order_whatever_the_method():
    for method in ("map", "imap", "imap_unordered", "apply_async"):
        with hpexp.executor("mp_pool", 2, method=method, chunksize=3) as executor:
            assert list(executor.map(abs, range(0, -20, -1))) == list(range(20))
        with hpexp.executor("mp_dummy", 3, method=method) as executor:
            assert list(executor.map(pow, range(8), [2] * 8)) == [i * i for i in range(8)]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("executor=mp_pool executor.method=starmap", "'executor.method': 'starmap' (allowed: map"),
        ("executor=mp_pool executor.maxtasksperchild=0", "'executor.maxtasksperchild': 0"),
        ("executor=mp_queue executor.feeder=both", "'executor.feeder': 'both' (allowed: main"),
        ("executor=mp_queue executor.batch=0", "'executor.batch': 0 (allowed: an integer >= 1)"),
        ("executor=mp_pipe executor.deal=random", "'executor.deal': 'random' (allowed: round_"),
        ("executor=mp_pipe executor.start_method=thread", "'executor.start_method': 'thread'"),
        ("workload=primes workload.count=0", "'workload.count': 0 (allowed: an integer >= 1)"),
        ("workload=prime_check workload.flag=pipe", "'workload.flag': 'pipe' (allowed: none"),
        ("workload=prime_check workload.numbers=[]", "'workload.numbers': [] (allowed: a non-"),
        ("workload=prime_check workload.check_every=0", "'workload.check_every': 0"),
        ("workload=prime_check workload.look=often", "'workload.look': 'often' (allowed: count"),
        ("workload=prime_check workload.serial_check_to=20", "'workload.serial_check_to': 20 (al"),
        ("workload=prime_check workload.serial_check_to=1", "'workload.serial_check_to': 1 (all"),
        ("workload=primes workload.odd_only=yes", "'workload.odd_only': 'yes' (allowed: true"),
        ("executor=joblib executor.cache=maybe", "'executor.cache': 'maybe' (allowed: true"),
        ("workload=counter workload.store=disk", "'workload.store': 'disk' (allowed: file"),
        ("workload=counter workload.redis_url=localhost", "'workload.redis_url': 'localhost'"),
        ("workload=shared_array workload.share=copy", "'workload.share': 'copy' (allowed: pick"),
        ("workload=shared_array workload.size=-1", "'workload.size': -1 (allowed: an integer"),
    ],
)
def test_bad_values_of_every_new_key_are_one_line(override, message):
    with pytest.raises(ConfigError, match=re.escape("invalid value for " + message)):
        measure(*override.split())


def test_a_bad_new_key_from_the_command_line_is_one_line(tmp_path):
    result = run_cli("executor=mp_queue", "executor.feeder=both", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "hpexp: invalid value for 'executor.feeder': 'both' (allowed: main | thread)\n"
    )
    assert files_under(tmp_path / "results") == []


def _started_by(session: int) -> list[str]:
    """The live processes of ``session`` (a zombie has exited; init reaps it)."""
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getsid(process.pid) == session and process.status() != psutil.STATUS_ZOMBIE:
                found.append(" ".join(process.cmdline()))
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return found


@pytest.mark.parametrize("executor", ["pool", "mp_pool", "mp_queue", "mp_pipe", "joblib", "dask"])
def test_sigkill_of_hpexp_leaves_no_worker(tmp_path, executor):
    process = subprocess.Popen(
        [sys.executable, "-m", "hpexp", "workload.samples=5000000", "warmup=0", "repeats=5",
         f"executor={executor}", "workers=2", "seed=0,1", "-m"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(_started_by(process.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_started_by(process.pid)) >= 3, "the workers never started"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 3
        while (left := _started_by(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == []
    finally:
        kill_group(process)


def test_an_unlocked_file_counter_reads_the_nul_bytes_of_its_race_as_nothing(tmp_path):
    from hpexp.workloads.counter.stores import FileCounter

    counter = FileCounter(str(tmp_path))
    # one process's truncate() after another shortened the file: "75" then a NUL
    (tmp_path / "counter.txt").write_text("75\x00")
    assert counter.read() == 75
    counter.add(1, locked=False)
    assert counter.read() == 76


#: prime_check_ch9's cells: the book's script each reproduces, and what it sets
BOOK_ROUTES = {
    "prime_serial": ("SerialExecutor", 1, "none", "countdown", 3),
    "prime_pool_naive": ("MpPoolExecutor", 4, "none", "countdown", 3),
    "prime_pool": ("MpPoolExecutor", 4, "none", "countdown", 21),
    "prime_rawvalue": ("MpPoolExecutor", 4, "rawvalue", "countdown", 21),
    "prime_mmap": ("MpPoolExecutor", 4, "mmap", "countdown", 21),
    "prime_mmap2": ("MpPoolExecutor", 4, "mmap", "compare", 21),
    "prime_mmap3": ("MpPoolExecutor", 4, "mmap", "block", 21),
    "prime_manager": ("MpPoolExecutor", 4, "manager", "countdown", 21),
    "prime_redis": ("MpPoolExecutor", 4, "redis", "countdown", 21),
}


def test_the_prime_check_preset_runs_every_route_the_book_draws():
    preset = composed("+experiment=prime_check_ch9")
    cells = preset.hydra.sweeper.params["+cell"].split(",")
    assert cells == list(BOOK_ROUTES)
    for cell, (executor, workers, flag, look, serial_check_to) in BOOK_ROUTES.items():
        cfg = composed(f"+cell={cell}", "+experiment=prime_check_ch9")  # a sweep's order
        assert cfg.executor._target_.endswith(f".{executor}"), cell
        got = (cfg.workers, cfg.workload.flag, cfg.workload.look, cfg.workload.serial_check_to)
        assert got == (workers, flag, look, serial_check_to), cell


def test_the_chunksize_preset_is_the_3rd_editions_grid():
    preset = composed("+experiment=chunksize_ch9")
    assert preset.executor._target_.endswith(".MpPoolExecutor")
    assert (preset.workers, preset.workload.start, preset.workload.count) == (8, 10**8, 10**5)
    params = preset.hydra.sweeper.params
    sizes = params["executor.chunksize"].split(",")
    assert sizes[0] == "null", "the stdlib's default (3125 here) among them"
    book = {1, 2, 5, 10, 100, 1000, 5000, 10000, 50000}
    by_chunks = {100_000 // n for n in range(1, 17)}
    assert {int(s) for s in sizes[1:]} >= book | by_chunks
    assert params["workload.shuffle"] == "false,true"
