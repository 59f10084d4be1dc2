"""Chapter 7: each kernel (impl) of the Julia set against pure Python, what threads make of it,
and hpexp against hand-written calls of the same compiled kernels, in one run.

    python benchmarks/compiled.py [--rounds 3] [--width 1000] [--iterations 300] [--check]
                                  [--parts julia in-kernel diffusion]

1. Serial julia per impl: median wall and the ratio to ``impl=python``.
2. Threads at workers=2 against workers=1, per impl. Targets: >= 1.8 for numba, cython and
   ctypes (they release the GIL; 2 cores), about 1.0 for python (reported, not a target: it
   cannot scale, and a busy machine only lowers it).
3. hpexp's serial numba and cython julia against a hand-written script that builds the book's
   grid and calls the same compiled function once. Target hpexp / hand-written <= 1.05, as the
   median over ``--pairs`` of the ratio within a pair run back to back: on a shared VM a core's
   speed changes by half from one second to the next, so only neighbours compare fairly.

4. The in-kernel parallel loops (``cython_prange``, ``numba_parallel``) on julia, serial at
   workers=2 against workers=1 (workers = their own threads). Target >= 1.8 on 2 cores.
5. Every diffusion route (512 x 512, 500 steps) through hpexp against the same compiled code
   called by a hand-written script the book's way (a Python loop calling the one-step kernel and
   swapping the grids, or the whole-run function). Target hpexp / hand-written <= 1.05 each.

Rounds interleave the contenders so machine noise hits them alike; every hpexp job has one
warmup run (numba compiles in ``prepare``, outside every timed region).
"""

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import numpy as np
from _common import hpexp_rows, interleaved, median_wall, report

from hpexp.workloads import kernels
from hpexp.workloads.kernels import _cython, numba_jit

C_REAL, C_IMAG = -0.62772, -0.42193
IMPLS = tuple(i for i in kernels.impls(kernels.JULIA) if not kernels.ROUTES[i].threads)
THREADED = tuple(i for i in kernels.impls(kernels.JULIA) if kernels.ROUTES[i].threads)
DIFFUSION_ROUTES = tuple(i for i in kernels.impls(kernels.DIFFUSION) if i != "python")
D_DT = 0.1
COMPILED = ("numba", "cython", "ctypes")


def book_grid(width: int) -> tuple[np.ndarray, np.ndarray]:
    """``julia1_nopil.py``'s coordinates, written out as the book writes them."""
    x1, x2, y1, y2 = -1.8, 1.8, -1.8, 1.8
    x_step, y_step = (x2 - x1) / width, (y1 - y2) / width
    x, y = [], []
    ycoord = y2
    while ycoord > y1:
        y.append(ycoord)
        ycoord += y_step
    xcoord = x1
    while xcoord < x2:
        x.append(xcoord)
        xcoord += x_step
    return np.array(x), np.array(y)


def hand_written(impl: str, width: int, iterations: int, repeats: int) -> float:
    """Median wall of calling the compiled kernel directly on the whole grid."""
    xs, ys = book_grid(width)
    call = {
        "numba": lambda: numba_jit._julia_rows(xs, ys, C_REAL, C_IMAG, iterations),
        "cython": lambda: _cython.julia_rows(xs, ys, complex(C_REAL, C_IMAG), iterations),
    }[impl]
    call()  # warmup (and numba's compile), as hpexp's
    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def book_start(shape: tuple[int, int], order: str = "C") -> tuple[np.ndarray, np.ndarray]:
    """The book's starting grid (0.005 on rows and columns from 40% to 50%) and a scratch grid."""
    grid = np.zeros(shape, order=order)
    rows, columns = shape
    grid[int(rows * 0.4) : int(rows * 0.5), int(columns * 0.4) : int(columns * 0.5)] = 0.005
    return grid, np.zeros(shape, order=order)


def stepped_by_hand(step: Callable[[np.ndarray, np.ndarray], None], order: str = "C"):
    """The book's loop around a one-step kernel: call it, swap the grids."""

    def solve(shape: tuple[int, int], iterations: int) -> None:
        grid, scratch = book_start(shape, order)
        for _ in range(iterations):
            step(grid, scratch)
            grid, scratch = scratch, grid

    return solve


def diffusion_by_hand(impl: str) -> Callable[[tuple[int, int], int], None]:
    """``impl``'s compiled diffusion called directly, not through hpexp's kernel modules."""
    if impl == "numpy":

        def solve(shape: tuple[int, int], iterations: int) -> None:
            grid, _ = book_start(shape)
            for _ in range(iterations):
                laplacian = (
                    np.roll(grid, +1, 0) + np.roll(grid, -1, 0)
                    + np.roll(grid, +1, 1) + np.roll(grid, -1, 1) - 4 * grid
                )  # fmt: skip
                grid = grid + D_DT * laplacian

        return solve
    if impl in ("numba", "numba_parallel", "cython", "cython_prange"):
        from hpexp.workloads.kernels import _cython_openmp
        from hpexp.workloads.kernels import numba_parallel as numba_threads

        numba_threads.numba.set_num_threads(1)
        whole = {
            "numba": numba_jit._diffusion,
            "numba_parallel": numba_threads._diffusion,
            "cython": _cython.diffusion_evolve,
            "cython_prange": lambda *args: _cython_openmp.diffusion_evolve(*args, 1),
        }[impl]
        return lambda shape, iterations: whole(*book_start(shape), iterations, D_DT)
    if impl == "cext":
        from hpexp.workloads.kernels import _cext

        return stepped_by_hand(lambda grid, out: _cext.diffusion_step(grid, out, D_DT))
    if impl == "f2py":
        from hpexp.workloads.kernels import _fortran

        step = _fortran.diffusion_step
        return stepped_by_hand(lambda grid, out: step(grid, out, D_DT), order="F")
    if impl == "ctypes":
        import ctypes

        from hpexp.workloads.kernels.availability import C_LIBRARY

        library = ctypes.CDLL(str(C_LIBRARY))
        doubles = ctypes.POINTER(ctypes.c_double)
        library.diffusion_step.argtypes = [doubles, doubles, ctypes.c_longlong,
                                           ctypes.c_longlong, ctypes.c_double]  # fmt: skip

        def ctypes_step(grid: np.ndarray, out: np.ndarray) -> None:
            library.diffusion_step(grid.ctypes.data_as(doubles), out.ctypes.data_as(doubles),
                                   *grid.shape, D_DT)  # fmt: skip

        return stepped_by_hand(ctypes_step)
    from cffi import FFI

    from hpexp.workloads.kernels import _cffi_api
    from hpexp.workloads.kernels.availability import C_LIBRARY

    if impl == "cffi_api":
        ffi, lib = _cffi_api.ffi, _cffi_api.lib
    else:
        ffi = FFI()
        ffi.cdef("void diffusion_step(const double *, double *, long long, long long, double);")
        lib = ffi.dlopen(str(C_LIBRARY))

    def cffi_step(grid: np.ndarray, out: np.ndarray) -> None:
        lib.diffusion_step(ffi.cast("double *", grid.ctypes.data),
                           ffi.cast("double *", out.ctypes.data), *grid.shape, D_DT)  # fmt: skip

    return stepped_by_hand(cffi_step)


def timed_by_hand(impl: str, shape: tuple[int, int], iterations: int, repeats: int) -> float:
    """Median wall of ``repeats`` hand-written solves, after one warm-up solve."""
    solve = diffusion_by_hand(impl)
    solve(shape, iterations)
    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        solve(shape, iterations)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def paired(first: Callable[[], float], second: Callable[[], float], pairs: int) -> list[float]:
    """``first() / second()`` for ``pairs`` pairs run back to back, every other pair in the
    other order, so a machine that slows down or speeds up favours neither."""
    ratios = []
    for pair in range(pairs):
        if pair % 2:
            second_wall = second()
            first_wall = first()
        else:
            first_wall = first()
            second_wall = second()
        ratios.append(first_wall / second_wall)
    return ratios


Line = tuple[str, float, str, bool]
Job = Callable[[str, str, int], Callable[[], float]]


def julia_routes(args: argparse.Namespace, job: Job) -> list[Line]:
    """Parts 1 to 3: serial time per impl, threads 2 vs 1, hpexp vs a hand-written call."""
    serial = {
        name: statistics.median(walls)
        for name, walls in interleaved(
            args.rounds, **{impl: job(impl, "serial", 1) for impl in IMPLS}
        ).items()
    }
    print(f"julia {args.width} x {args.iterations}")
    print(f"serial, median of {args.rounds} rounds; threads: median of pairs run back to back")
    print(f"  {'impl':<8} {'serial s':>9} {'x python':>9} {'threads 2 vs 1':>15}  pairs")
    speedups = {}
    for impl in IMPLS:
        pairs = args.rounds if impl == "python" else args.pairs
        ratios = paired(job(impl, "threads", 1), job(impl, "threads", 2), pairs)
        speedups[impl] = statistics.median(ratios)
        print(
            f"  {impl:<8} {serial[impl]:>9.4f} {serial['python'] / serial[impl]:>8.1f}x"
            f" {speedups[impl]:>14.2f}x  {min(ratios):.2f} to {max(ratios):.2f}"
        )
    print(f"\npython threads speedup at workers=2: {speedups['python']:.2f}x (the GIL: about 1.0)")
    lines = [
        (f"{impl} threads speedup at workers=2", speedups[impl], ">= 1.8", speedups[impl] >= 1.8)
        for impl in COMPILED
    ]
    for impl in ("numba", "cython"):
        bare = functools.partial(hand_written, impl, args.width, args.iterations, 3)
        ratios = paired(job(impl, "serial", 1), bare, args.pairs)
        ratio = statistics.median(ratios)
        name = f"hpexp {impl} serial / hand-written ({min(ratios):.2f}-{max(ratios):.2f})"
        lines.append((name, ratio, "<= 1.05", ratio <= 1.05))
    return lines


def in_kernel_threads(args: argparse.Namespace, job: Job) -> list[Line]:
    """Part 4: julia's in-kernel parallel loops, serial at 2 threads against 1."""
    lines = []
    for impl in THREADED:
        ratios = paired(job(impl, "serial", 1), job(impl, "serial", 2), args.pairs)
        speedup = statistics.median(ratios)
        name = f"{impl} in-kernel threads at workers=2 ({min(ratios):.2f}-{max(ratios):.2f})"
        lines.append((name, speedup, ">= 1.8", speedup >= 1.8))
    return lines


def diffusion_routes(args: argparse.Namespace, job: Job) -> list[Line]:
    """Part 5: every diffusion route through hpexp against the same code called by hand."""
    shape, steps = (512, 512), 500
    diffusion = ["workload=diffusion", "repeats=3", "warmup=1", "executor=serial", "workers=1"]
    lines = []
    for impl in DIFFUSION_ROUTES:
        hpexp_job = functools.partial(
            lambda impl: median_wall(hpexp_rows(*diffusion, f"workload.impl={impl}")), impl
        )
        bare = functools.partial(timed_by_hand, impl, shape, steps, 3)
        ratios = paired(hpexp_job, bare, args.diffusion_pairs)
        ratio = statistics.median(ratios)
        name = f"diffusion {impl}: hpexp / hand-written ({min(ratios):.2f}-{max(ratios):.2f})"
        lines.append((name, ratio, "<= 1.05", ratio <= 1.05))
    return lines


PARTS = {"julia": julia_routes, "in-kernel": in_kernel_threads, "diffusion": diffusion_routes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=11)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--diffusion-pairs", type=int, default=5)
    parser.add_argument("--parts", nargs="+", choices=list(PARTS), default=list(PARTS))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    julia = ["workload=julia", f"workload.width={args.width}"]
    julia.append(f"workload.max_iterations={args.iterations}")

    def job(impl: str, executor: str, workers: int) -> Callable[[], float]:
        # pure Python needs no warmup and takes seconds a run: one run each time
        runs = ["repeats=1", "warmup=0"] if impl == "python" else ["repeats=3", "warmup=1"]
        cell = [f"workload.impl={impl}", f"executor={executor}", f"workers={workers}"]
        return lambda: median_wall(hpexp_rows(*julia, *runs, *cell))

    lines = [line for part in args.parts for line in PARTS[part](args, job)]
    ok = report("targets", lines)
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
