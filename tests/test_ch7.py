"""Chapter 7: the julia workload and every kernel (impl) of julia and pi, against pure Python.

The compiled kernels must be built here (the test install has a C compiler); where they are not,
their tests are skipped with the reason hpexp itself gives. A wheel built without a compiler is
tested for real: it installs, and asking for its missing kernels is one clear line.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

import hpexp
from hpexp.core.errors import ConfigError
from hpexp.workloads import kernels
from hpexp.workloads.julia import BOOK_CHECKSUMS, C, grid_axes, reference_checksum
from tests.conftest import built, measure, run_cli

ROOT = Path(__file__).resolve().parent.parent
#: what a checkout holds besides its source
NOT_SOURCE = (
    ".git",
    ".venv",
    "build",
    "results",
    "*.so",
    "*.so.1",
    "*.egg-info",
    "__pycache__",
    "mutants",
)


IMPLS = [built(impl) for impl in kernels.impls(kernels.JULIA)]
#: the routes whose julia spreads over threads of its own (on executor=serial only)
THREADED = [built(impl) for impl, route in kernels.ROUTES.items() if route.threads]
#: the routes called from several threads at once: numba's default thread pool (workqueue)
#: aborts the process on concurrent parallel calls, so numba_parallel is not among them
CALLED_FROM_THREADS = [built(i) for i in kernels.impls(kernels.JULIA) if i != "numba_parallel"]
COMPILED_PI = [
    built(impl)
    for impl in kernels.impls(kernels.PI)
    if impl != "numpy" and not kernels.ROUTES[impl].pure_python
]


def test_the_grid_is_the_books():
    xs, ys = grid_axes(1000)
    assert len(xs) == len(ys) == 1000
    assert (xs[0], ys[0]) == (-1.8, 1.8)
    assert max(xs) < 1.8
    assert min(ys) > -1.8


@pytest.mark.parametrize("impl", IMPLS)
def test_every_kernel_gives_the_pure_python_checksum(impl):
    for width, iterations in ((60, 40), (101, 77)):
        xs, ys = grid_axes(width)
        reference = kernels.load("python").julia_rows(xs, ys, C, iterations)
        options = kernels.thread_options(impl, 2)
        assert kernels.load(impl).julia_rows(xs, ys, C, iterations, **options) == reference


@pytest.mark.parametrize("impl", IMPLS)
def test_every_kernel_gives_the_books_sum_at_the_books_size(impl):
    """33219980 for 1000 x 300 (``julia1_nopil.py``'s assert): pure Python takes 8 to 16 s."""
    xs, ys = grid_axes(1000)
    assert kernels.load(impl).julia_rows(xs, ys, C, 300) == BOOK_CHECKSUMS[1000, 300]


def test_other_sizes_are_checked_against_pure_python():
    assert reference_checksum(30, 10) == kernels.load("python").julia_rows(*grid_axes(30), C, 10)


@pytest.mark.parametrize("impl", [i for i in IMPLS if i not in THREADED])
def test_a_julia_job_on_threads_and_processes_is_checked(impl):
    for executor in ("threads", "pool"):
        rows = measure(
            "workload=julia",
            f"workload.impl={impl}",
            "workload.width=80",
            "workload.max_iterations=60",
            f"executor={executor}",
            "workers=2",
            "repeats=2",
        )
        assert [row["status"] for row in rows] == ["ok", "ok"], rows[-1]["error"]
        row = rows[0]
        assert row["checksum"] == reference_checksum(80, 60)
        xs, ys = grid_axes(80)  # the book's float steps give 81 points a side here
        assert row["pixels"] == len(xs) * len(ys) == row["units"]
        assert row["tasks"] == 2 == row["workload.chunks"]
        assert row["releases_gil"] is kernels.ROUTES[impl].releases_gil
        assert row["compile_s"] >= 0


@pytest.mark.parametrize("impl", THREADED)
def test_in_kernel_threads_take_workers_on_serial_and_skip_elsewhere(impl):
    small = ["workload=julia", f"workload.impl={impl}", "workload.width=80", "repeats=1"]
    for workers in (1, 2):
        (row,) = measure(*small, "workload.max_iterations=60", f"workers={workers}")
        assert row["status"] == "ok", row["error"]
        assert row["checksum"] == reference_checksum(80, 60)
        assert row["tasks"] == 1 == row["workload.chunks"], "one call, its rows over threads"
        assert row["releases_gil"] is True
    (skipped,) = measure(*small, "workload.max_iterations=60", "executor=threads", "workers=2")
    assert skipped["status"] == "skipped"
    assert skipped["error"] == (
        f"impl={impl} runs its own threads (workers = its thread count): run it on executor=serial"
    )


def test_a_wrong_checksum_is_an_error_row():
    workload = hpexp.workload("julia", width=40, max_iterations=20)
    workload.prepare()
    right = [workload.run(task) for task in workload.tasks(2, 0)]
    assert workload.reduce(right).error is None
    wrong = workload.reduce([right[0], right[1] + 1])
    assert wrong.error == f"julia checksum {sum(right) + 1} != {sum(right)} for 40 x 20"


def test_numba_compiles_in_prepare_never_in_a_measured_run():
    from hpexp.workloads.kernels import numba_jit

    workload = hpexp.workload("julia", width=40, max_iterations=20, impl="numba")
    workload.prepare()
    assert numba_jit._julia_rows.signatures, "prepare compiled the kernel"
    assert workload.compile_s > 0
    before = len(numba_jit._julia_rows.signatures)
    workload.run(workload.tasks(1, 0)[0])
    assert len(numba_jit._julia_rows.signatures) == before, "the run compiled nothing new"


@pytest.mark.parametrize("impl", COMPILED_PI)
def test_compiled_pi_kernels_draw_the_same_stream(impl):
    """numba, Cython and C share splitmix64: the same seed gives the same estimate."""
    estimates = {}
    for each in ("numba", impl):
        workload = hpexp.workload("pi", samples=300_000, impl=each, chunks=3)
        workload.prepare()
        results = [workload.run(task) for task in workload.tasks(3, seed=7)]
        outcome = workload.reduce(results)
        assert outcome.error is None
        estimates[each] = outcome.metrics["pi_estimate"]
    assert estimates[impl] == estimates["numba"]


@pytest.mark.parametrize("impl", [built(impl) for impl in kernels.impls(kernels.PI)])
def test_every_pi_kernel_passes_the_statistical_check(impl):
    rows = measure(
        f"workload.impl={impl}",
        "workload.samples=400000",
        "executor=threads",
        "workers=2",
        "repeats=1",
    )
    assert rows[0]["status"] == "ok", rows[0]["error"]
    assert rows[0]["releases_gil"] is kernels.ROUTES[impl].releases_gil


def _calls_overlap(impl: str) -> bool:
    """Two threads call the kernel at once; did the calls overlap?

    The GIL's switch interval is set far beyond the calls' length, so a thread that holds the
    GIL is never asked to drop it: the second call can start before the first ends only if the
    kernel releases the GIL by itself. Order of events, not a timing threshold.
    """
    module = kernels.load(impl)
    kernels.warm(impl)
    xs, ys = grid_axes(400)
    spans: list[tuple[float, float]] = []
    start = threading.Barrier(2)

    def call() -> None:
        start.wait()
        began = time.perf_counter()
        module.julia_rows(xs, ys, C, 200)
        spans.append((began, time.perf_counter()))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    (_, first_end), (second_start, _) = sorted(spans)
    return second_start < first_end


@pytest.mark.parametrize("impl", CALLED_FROM_THREADS)
def test_threads_overlap_exactly_on_the_kernels_that_release_the_gil(impl):
    assert _calls_overlap(impl) is kernels.ROUTES[impl].releases_gil


def test_bad_impl_values_are_one_line(tmp_path):
    for value in ("fortran", "3", "Numba"):
        result = run_cli("workload=julia", f"workload.impl={value}", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr == (
            f"hpexp: invalid value for 'workload.impl': {3 if value == '3' else repr(value)} "
            "(allowed: python | numpy | numba | cython | ctypes | cffi_abi | cffi_api | cext | "
            "cython_prange | numba_parallel)\n"
        )
    with pytest.raises(ConfigError, match=r"'workload\.width': 1 "):
        hpexp.workload("julia", width=1)
    with pytest.raises(
        ConfigError, match=r"'workload\.chunks': 5000 \(allowed: null or an integer"
    ):
        hpexp.workload("julia", width=100, chunks=5000)


def test_without_a_compiler_hpexp_installs_and_says_which_kernels_are_missing(tmp_path):
    """A real build with a C compiler that always fails: the wheel builds, the compiled kernels
    are absent, and every compiled route is refused in one line that says why."""
    source, wheels, target = tmp_path / "source", tmp_path / "wheels", tmp_path / "site"
    # a clean copy: the checkout's own build/ holds objects a build would reuse, not compile
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    pip = [sys.executable, "-m", "pip", "-q"]
    env = {**os.environ, "CC": "false"}
    subprocess.run([*pip, "wheel", "--no-deps", "-w", wheels, source], check=True, env=env)
    (wheel,) = wheels.glob("hpexp-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".so")], names
    assert "hpexp/workloads/kernels/_cython.pyx" in names
    subprocess.run([*pip, "install", "--no-deps", "--target", target, wheel], check=True)
    no_compiler = {"PYTHONPATH": str(target), "CC": "no-such-cc"}
    missing = "not on PATH; install one, then reinstall hpexp"
    for workload, impl, usable in (
        ("julia", "cython", "python | numpy | numba | numba_parallel"),
        ("julia", "ctypes", "python | numpy | numba | numba_parallel"),
        ("julia", "cython_prange", "python | numpy | numba | numba_parallel"),
        ("pi", "cffi_api", "python | python_uniform | numpy | numba"),
        ("diffusion", "cext", "python | numpy | numba | numba_parallel"),
        ("diffusion", "cffi_abi", "python | numpy | numba | numba_parallel"),
        ("diffusion", "f2py", "python | numpy | numba | numba_parallel"),
    ):
        refused = run_cli(
            f"workload={workload}", f"workload.impl={impl}", cwd=tmp_path, env=no_compiler
        )
        assert refused.returncode == 2
        assert refused.stderr == (
            f"hpexp: invalid value for 'workload.impl': '{impl}' (allowed: {usable}; the {impl} "
            f"kernel was not built when hpexp was installed (no C compiler: 'no-such-cc' is "
            f"{missing}))\n"
        )
    no_fortran = {**no_compiler, "CC": "cc", "FC": "no-such-fortran"}
    refused = run_cli("workload=diffusion", "workload.impl=f2py", cwd=tmp_path, env=no_fortran)
    assert refused.stderr.endswith(f"(no Fortran compiler: 'no-such-fortran' is {missing}))\n"), (
        refused.stderr
    )
    small = ["workload=julia", "workload.impl=numpy", "workload.width=40", "repeats=1"]
    ran = run_cli(*small, "workload.max_iterations=20", cwd=tmp_path, env=no_compiler)
    assert ran.returncode == 0, ran.stderr
    assert hpexp.load_results(tmp_path / "results").status.tolist() == ["ok"]


def test_only_pure_python_holds_the_gil():
    holding = [impl for impl, route in kernels.ROUTES.items() if not route.releases_gil]
    pure = [impl for impl, route in kernels.ROUTES.items() if route.pure_python]
    assert holding == pure == ["python", "python_uniform"]
