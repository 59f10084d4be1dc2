"""Shared helpers: run jobs in-process through the API, or the real CLI in a subprocess.

Every test is checked for leftovers: a child process it started and did not stop fails it (and
is killed), whichever executor, server or cluster started it.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest

import hpexp
from hpexp.workloads.crawl.server_process import ServerProcess
from hpexp.workloads.kernels.availability import is_built, not_built_reason

ROOT = Path(__file__).resolve().parent.parent
DASK_CLI = str(Path(sys.executable).parent / "dask")
CLUSTER_WORKERS = 2

#: helpers that live as long as the interpreter, whoever started them first: the stdlib's and
#: loky's resource trackers, and multiprocessing's forkserver
INTERPRETER_HELPERS = ("resource_tracker", "forkserver")
#: how long a test's children get to exit on their own before they count as left behind
LEFTOVER_GRACE_S = 5.0


#: under mutmut, the test files that judge the mutants of each module: a mutant of the trial
#: loop is killed, or not, by the trial loop's own tests, not by the forty executor tests that
#: merely pass through it (each survivor ran them all: 20 s a mutant). Modules not named here
#: are judged by every test that covers them.
JUDGES = {
    "hpexp.core.timers.": ("tests/test_measure.py",),
    "hpexp.core.trials.": ("tests/test_runner.py", "tests/test_measure.py"),
    "hpexp.results.": (
        "tests/test_results.py",
        "tests/test_rows.py",
        "tests/test_schema.py",
        "tests/test_runner.py",
    ),
    "hpexp.analysis.": ("tests/test_analysis.py", "tests/test_paired.py"),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under mutmut, run only the tests that judge the mutant's module (:data:`JUDGES`), the
    quickest first: ``-x`` stops at the first that kills.

    mutmut hands a mutant its tests in no particular order, so a mutant of the trial loop that a
    0.1 s test kills could first sit through 30 s of process-pool tests; the durations are the
    ones mutmut measured in its own stats run.
    """
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant:
        return
    judges = next((files for module, files in JUDGES.items() if mutant.startswith(module)), ())
    judged = [item for item in items if item.nodeid.startswith(judges)] if judges else items
    if judged and len(judged) < len(items):
        kept = set(map(id, judged))
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = judged
    stats = Path("mutmut-stats.json")  # mutmut runs the tests from inside mutants/
    durations = json.loads(stats.read_text())["duration_by_test"] if stats.exists() else {}
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


def stop(processes: list[subprocess.Popen]) -> None:
    """Terminate the CLI processes and every process they started; kill what does not exit."""
    tree = []
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            tree.extend(psutil.Process(process.pid).children(recursive=True))
    for process in reversed(processes):  # workers first, then their scheduler
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    _, alive = psutil.wait_procs(tree, timeout=10)
    for leftover in alive:
        leftover.kill()
    assert not alive, f"dask processes left running: {alive}"


@pytest.fixture(scope="module")
def cluster_address(tmp_path_factory) -> Iterator[str]:
    """``tcp://127.0.0.1:PORT`` of a running ``dask scheduler`` with two one-thread workers."""
    logs = tmp_path_factory.mktemp("dask-cluster")
    scheduler_file = logs / "scheduler.json"
    # workers import the workload's module (and this test module's) like any user's worker must
    pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    env = {**os.environ, "PYTHONPATH": pythonpath}
    processes: list[subprocess.Popen] = []

    def spawn(name: str, *args: str) -> None:
        with open(logs / f"{name}.log", "w") as log:
            processes.append(
                subprocess.Popen(
                    [DASK_CLI, *args],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    try:
        spawn(
            "scheduler",
            "scheduler",
            "--host=127.0.0.1",
            "--port=0",
            "--no-dashboard",
            "--dashboard-address=127.0.0.1:0",
            f"--scheduler-file={scheduler_file}",
        )
        deadline = time.monotonic() + 60
        address = None
        while address is None:  # the scheduler may be caught writing its file: read it whole
            assert time.monotonic() < deadline, (logs / "scheduler.log").read_text()
            assert processes[0].poll() is None, (logs / "scheduler.log").read_text()
            time.sleep(0.1)
            with suppress(FileNotFoundError, json.JSONDecodeError):
                address = json.loads(scheduler_file.read_text())["address"]
        spawn(
            "worker",
            "worker",
            address,
            "--host=127.0.0.1",
            f"--nworkers={CLUSTER_WORKERS}",
            "--nthreads=1",
            "--no-dashboard",
        )
        from distributed import Client  # here: only the modules that use the cluster pay for it

        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(CLUSTER_WORKERS, timeout=60)
        yield address
    finally:
        stop(processes)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """One delay server for the module, started by hand the way a user would pass ``url=``."""
    process = ServerProcess()
    try:
        yield process
    finally:
        process.stop()


def measure(*overrides: str) -> list[dict[str, Any]]:
    """The rows of one job, as :func:`hpexp.run` measures them from the real ``conf/``; its
    files go to a temporary results dir. A missing value (NA) is None, a float's stays NaN."""
    with tempfile.TemporaryDirectory(prefix="hpexp-test-") as results:
        frame = hpexp.run(*overrides, f"results_dir={results}", "progress=false")
    return [
        {
            column: None if value is pd.NA or value is pd.NaT else value
            for column, value in row.items()
        }
        for row in frame.to_dict("records")
    ]


def files_under(path: Path) -> list[str]:
    """Every file below ``path`` (none when it does not exist): what a run left behind."""
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL ``process`` and everything in its process group, then reap it.

    For children started with ``start_new_session=True``: pool workers, servers and clusters
    that a killed hpexp leaves are in its group, so none of them outlives a failed test.
    """
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


#: a CPU burner that stops itself, should the test that started it be killed first
_BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
#: starts the burner and exits: the burner is no descendant of the test, as another user's
#: program is not, so hpexp counts its CPU as the rest of the machine's
_DETACH = (
    "import subprocess, sys\n"
    "burner = subprocess.Popen(\n"
    "    [sys.executable, '-c', sys.argv[1]], start_new_session=True,\n"
    "    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,\n"
    ")\n"
    "print(burner.pid)"
)


@contextmanager
def cpu_burner(seconds: float = 60.0) -> Iterator[int]:
    """Another program on the machine that keeps one CPU busy while the body runs."""
    detach = subprocess.run(
        [sys.executable, "-c", _DETACH, _BURN.format(seconds=seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(detach.stdout)
    try:
        yield pid
    finally:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def start_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m hpexp ARGS`` started in ``cwd``, in its own process group."""
    inherited = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.Popen(
        [sys.executable, "-m", "hpexp", *args],
        cwd=cwd,
        env={**inherited, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def finish_cli(
    process: subprocess.Popen[str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Wait for a :func:`start_cli` process; a timeout kills its whole group."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        kill_group(process)
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run_cli(
    *args: str, cwd: Path, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m hpexp ARGS`` in ``cwd``; results land in ``cwd/results``."""
    return finish_cli(start_cli(*args, cwd=cwd, env=env), timeout)


def _is_interpreter_helper(process: psutil.Process) -> bool:
    with suppress(psutil.Error):
        return any(name in " ".join(process.cmdline()) for name in INTERPRETER_HELPERS)
    return False


def own_processes() -> set[psutil.Process]:
    """This test process's descendants, less the interpreter's own helpers."""
    children = psutil.Process().children(recursive=True)
    return {p for p in children if not _is_interpreter_helper(p)}


@pytest.fixture(autouse=True)
def no_children_left() -> Iterator[None]:
    """Fails the test if it leaves a child process behind, and kills what it left.

    Function-scoped, so children of module-scoped fixtures (a shared server or cluster) exist
    before it and are not counted.
    """
    resource_tracker.ensure_running()
    before = own_processes()
    yield
    left = list(own_processes() - before)
    _gone, alive = psutil.wait_procs(left, timeout=LEFTOVER_GRACE_S)
    for process in alive:
        with suppress(psutil.Error):
            process.kill()
    assert not alive, f"child processes left running: {alive}"


def built(impl: str):
    """``impl`` as a parameter, skipped (with hpexp's own reason) where its kernel is missing."""
    missing = not is_built(impl)
    reason = not_built_reason(impl) if missing else ""
    return pytest.param(impl, marks=pytest.mark.skipif(missing, reason=reason), id=impl)
