"""The interpreter executor on a real other Python: Debian's pypy3 (PyPy 7.3, Python 3.9), and a
free-threaded CPython where one is installed. What crosses is a function's source and plain
arguments; the same pure-Python loop must give CPython's results there."""

import ast
import json
import shutil
import subprocess
import sys
import threading

import pytest

from hpexp.core.errors import ConfigError
from hpexp.core.executor import NotStarted
from hpexp.core.workload import CannotRun
from hpexp.executors.interpreter import WORKER, InterpreterExecutor, portable_source
from hpexp.workloads.julia import reference_checksum
from tests.conftest import measure, run_cli

PYPY = shutil.which("pypy3")
needs_pypy = pytest.mark.skipif(PYPY is None, reason="no pypy3 on PATH (Debian: apt install pypy3)")
#: a free-threaded CPython, the first found on PATH
FREE_THREADED = next(
    (found for name in ("python3.14t", "python3.13t") if (found := shutil.which(name))), None
)


def cube(base, exponent=3):
    return base**exponent


def imports_its_own(n):
    import math

    return math.factorial(n)


def fails(message):
    raise LookupError(message)


def answers_with_a_set():
    return {1, 2}


@needs_pypy
def test_map_and_submit_keep_their_standard_meaning_on_pypy():
    with InterpreterExecutor(2, "pypy3") as executor:
        assert list(executor.map(cube, [1, 2, 3], [2, 2, 2])) == [1, 4, 9]
        assert executor.submit(cube, 3).result(timeout=60) == 27
        assert executor.submit(imports_its_own, 20).result(timeout=60) == 2432902008176640000
        failed = executor.submit(cube, "x", exponent=2)
        assert isinstance(failed.exception(timeout=60), TypeError)
        lookup = executor.submit(fails, "on purpose").exception(timeout=60)
        assert type(lookup) is LookupError
        assert str(lookup) == "on purpose"
        assert "in fails\n    raise LookupError(message)" in str(lookup.__cause__)
        unsendable = executor.submit(answers_with_a_set).exception(timeout=60)
        assert "not JSON serializable" in str(unsendable)
        assert executor.settings(1)["implementation"] == "pypy"
        assert executor.settings(1)["python_version"].startswith("3.")


def test_only_a_self_contained_function_crosses():
    assert portable_source(cube).startswith("def cube(base, exponent=3):")
    for fn in (lambda: 1, threading.Thread.run, print):
        with pytest.raises(CannotRun, match="only a module-level function crosses"):
            portable_source(fn)


@needs_pypy
def test_use_before_start_and_shutdown_twice():
    with pytest.raises(NotStarted):
        InterpreterExecutor(1, "pypy3").submit(cube, 2)
    executor = InterpreterExecutor(2, "pypy3")
    executor.shutdown()
    with executor:
        assert executor.submit(cube, 2).result(timeout=60) == 8
    executor.shutdown()
    executor.shutdown(wait=False)


def test_a_python_that_is_not_there_is_refused_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"'python': 'no-such-python' \(allowed: a Python"):
        InterpreterExecutor(1, "no-such-python")
    result = run_cli("executor=interpreter", "executor.python=no-such-python", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "hpexp: invalid value for 'executor.python': 'no-such-python' "
        "(allowed: a Python executable on PATH or a path to one)\n"
    )


def test_a_program_that_is_no_python_is_an_error_row():
    (row,) = measure("executor=interpreter", "executor.python=/bin/true", "repeats=1")
    assert row["status"] == "error"
    assert row["error"].endswith("did not start hpexp's worker: is it a Python?")


@needs_pypy
@pytest.mark.parametrize("workers", [1, 2])
def test_julia_s_pure_python_loop_gives_cpython_s_checksum_on_pypy(workers):
    cell = ["workload=julia", "workload.impl=python", "workload.width=120", f"workers={workers}"]
    rows = measure(*cell, "workload.max_iterations=50", "executor=interpreter")
    assert [row["status"] for row in rows] == ["ok"] * len(rows), rows[-1]["error"]
    assert {row["checksum"] for row in rows} == {reference_checksum(120, 50)}
    assert rows[0]["executor.implementation"] == "pypy"
    assert rows[0]["tasks"] == workers


@needs_pypy
@pytest.mark.parametrize("impl", ["python", "python_uniform"])
def test_pi_and_diffusion_run_the_same_loops_there(impl):
    cell = ["workload.samples=20000", f"workload.impl={impl}", "repeats=1"]
    (pi,) = measure(*cell, "executor=interpreter")
    (here,) = measure(*cell)
    assert pi["status"] == "ok", pi["error"]
    assert pi["pi_estimate"] == here["pi_estimate"], "the same Mersenne Twister, the same seeds"
    small = ["workload=diffusion", "workload.impl=python", "workload.grid_shape=[9,7]"]
    (diffusion,) = measure(*small, "workload.iterations=4", "executor=interpreter", "repeats=1")
    assert diffusion["status"] == "ok", diffusion["error"]


@needs_pypy
@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (["workload=julia", "workload.impl=numpy"], "impl=numpy cannot run on another interpreter"),
        (["workload=crawl", "workload.requests=2"], "Crawl has no task for another interpreter"),
        (
            ["workload=prime_check", "workload.numbers=[15]"],
            "PrimeCheck.run cannot run on another interpreter",
        ),
    ],
)
def test_what_cannot_cross_is_skipped_with_its_reason(cell, reason):
    (row,) = measure(*cell, "executor=interpreter", "repeats=1")
    assert row["status"] == "skipped"
    assert row["error"].startswith(reason)


@pytest.mark.skipif(
    FREE_THREADED is None, reason="no free-threaded CPython (python3.13t, python3.14t) on PATH"
)
def test_a_free_threaded_cpython_runs_the_same_loop():
    cell = ["workload=julia", "workload.impl=python", "workload.width=60", "repeats=1"]
    (row,) = measure(*cell, "executor=interpreter", f"executor.python={FREE_THREADED}")
    assert row["status"] == "ok", row["error"]
    assert row["executor.gil_enabled"] is False


def test_the_worker_needs_nothing_but_the_standard_library():
    """It imports the standard library only, and answers on this Python with hpexp out of
    reach (``-I``: no site-packages, no script directory on the path)."""
    tree = ast.parse(WORKER.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names
    request = {"source": portable_source(cube), "name": "cube", "args": [2], "kwargs": {}}
    done = subprocess.run(
        [sys.executable, "-I", str(WORKER)],
        input=json.dumps(request) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    hello, reply = done.stdout.splitlines()
    assert json.loads(hello)["implementation"] == sys.implementation.name
    assert json.loads(reply) == {"result": 8}


def exits_at_once():
    import os

    os._exit(3)


@needs_pypy
def test_a_worker_that_dies_fails_its_call_in_one_line():
    with InterpreterExecutor(1, "pypy3") as executor:
        died = executor.submit(exits_at_once).exception(timeout=60)
        assert str(died) == "the pypy worker exited (code 3)"
        assert "exited" in str(executor.submit(cube, 2).exception(timeout=60))
