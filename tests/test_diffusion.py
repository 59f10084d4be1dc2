"""The 2D diffusion solver (the book's chapters 6-7): each route against the numpy solver."""

import numpy as np
import pytest

from hpexp.workloads import kernels
from hpexp.workloads.diffusion import Diffusion, initial_block, initial_grid
from hpexp.workloads.kernels.availability import is_built
from tests.conftest import built, measure, run_cli


def evolve_numpy(grid, iterations):
    return kernels.load("numpy").diffusion(grid, iterations, 0.1)


SMALL = ["workload=diffusion", "workload.grid_shape=[20,14]", "workload.iterations=30"]
ROUTES = kernels.impls(kernels.DIFFUSION)
COMPILED = [impl for impl in ROUTES if impl not in ("python", "numpy")]


@pytest.mark.parametrize("impl", [built(impl) for impl in ROUTES])
def test_every_route_conserves_the_mass_and_matches_the_numpy_solver(impl):
    rows = measure(*SMALL, f"workload.impl={impl}", "repeats=2", "warmup=0")
    assert [r["status"] for r in rows] == ["ok", "ok"], rows[-1]["error"]
    (row,) = {(r["total"], r["checksum"], r["cells"], r["releases_gil"]) for r in rows}
    assert row[0] == pytest.approx(0.005 * 4, rel=1e-9), "rows 8-9 x columns 5-6 of 0.005"
    assert row[2] == 20 * 14
    assert row[3] is (impl != "python")
    assert rows[0]["units"] == 20 * 14 * 30
    assert 0 < rows[0]["call_overhead_us"] < rows[0]["wall_s"] * 1e6
    reference = float(np.square(evolve_numpy(initial_grid((20, 14)), 30)).sum())
    if impl == "python":
        assert row[1] == pytest.approx(reference, rel=1e-9), "the book's loop adds in its order"
    else:
        assert row[1] == reference, "numpy's order of operations, bit for bit"


@pytest.mark.parametrize("shape", [(17, 23), (64, 5)])
def test_the_compiled_routes_give_numpy_s_grid_bit_for_bit(shape):
    grid = initial_grid(shape)
    expected = evolve_numpy(grid, 9)
    for impl in [i for i in COMPILED if is_built(i)]:  # those built with a compiler here
        options = kernels.thread_options(impl, 2)
        assert (kernels.load(impl).diffusion(grid, 9, 0.1, **options) == expected).all(), impl
    assert (grid == initial_grid(shape)).all(), "the input grid is left as it was"


@pytest.mark.parametrize("impl", [built("cython_prange"), built("numba_parallel")])
def test_in_kernel_threads_run_on_serial_and_skip_elsewhere(impl):
    (row,) = measure(*SMALL, f"workload.impl={impl}", "workers=2", "repeats=1")
    assert row["status"] == "ok", row["error"]
    assert row["tasks"] == 1
    (skipped,) = measure(*SMALL, f"workload.impl={impl}", "executor=pool", "workers=2")
    assert skipped["status"] == "skipped"
    assert skipped["error"].startswith(f"impl={impl} runs its own threads")


def test_the_book_s_block_and_steps():
    assert initial_block((512, 512)) == (slice(204, 256), slice(204, 256))
    grid = initial_grid((10, 10))
    assert grid.sum() == pytest.approx(0.005)
    once = evolve_numpy(grid, 1)
    # the block's cell loses 4 * dt of itself, each neighbour gains dt of it (D = 1, dt = 0.1)
    assert once[4, 4] == pytest.approx(0.005 * 0.6)
    assert once[3, 4] == once[5, 4] == once[4, 3] == once[4, 5] == pytest.approx(0.0005)
    periodic = np.zeros((5, 5))
    periodic[0, 0] = 1.0
    wrapped = evolve_numpy(periodic, 1)
    assert wrapped[4, 0] == wrapped[0, 4] == pytest.approx(0.1), "boundaries wrap around"
    python = kernels.load("python").diffusion(periodic, 3, 0.1)
    assert python == pytest.approx(evolve_numpy(periodic, 3), rel=1e-12)


def test_a_wrong_grid_is_an_error_row():
    workload = Diffusion([12, 12], 5, "numpy")
    workload.prepare()
    (right,) = [workload.run(task) for task in workload.tasks(1, 0)]
    assert workload.reduce([right]).error is None
    total, checksum = right
    grown = workload.reduce([(total, checksum * 1.001)]).error
    assert grown.startswith("diffusion checksum ")
    assert "!= the numpy solver's" in grown
    lost = workload.reduce([(total * 0.99, checksum)]).error
    assert lost.startswith("diffusion lost mass: the grid sums to ")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "workload.grid_shape=[2,5]",
            "invalid value for 'workload.grid_shape': [2, 5] "
            "(allowed: [rows, columns], each an integer >= 3)",
        ),
        (
            "workload.impl=fortran",
            "invalid value for 'workload.impl': 'fortran' (allowed: python | numpy | numba | "
            "cython | ctypes | cffi_abi | cffi_api | cext | f2py | cython_prange | numba_parallel)",
        ),
    ],
)
def test_a_bad_grid_or_route_is_one_line(tmp_path, override, message):
    result = run_cli("workload=diffusion", override, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"hpexp: {message}\n"
