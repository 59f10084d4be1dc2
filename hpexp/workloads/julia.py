"""The Julia set, the book's chapter 7 benchmark: one CPU-bound kernel, every way to compile it.

The grid and constants are ``julia1_nopil.py``'s; rows are split into ``chunks`` tasks. Each
task returns its rows' iteration count, and the sum is checked against the book's 33219980 for
1000 x 300, or against the pure-Python kernel for any other size.

The routes with threads of their own (``cython_prange``, ``numba_parallel``) take every row in
one task and spread it over ``workers`` threads inside the kernel, so they run on the ``serial``
executor only: on another executor, its workers and the kernel's would both claim ``workers``.
"""

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpexp.core.errors import ConfigError, require_int
from hpexp.core.model import Model
from hpexp.core.workload import Driver, Outcome, Workload
from hpexp.workloads import kernels
from hpexp.workloads.kernels import pure_python

X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
C = complex(-0.62772, -0.42193)
#: the book's own check: ``assert sum(output) == 33219980`` for a 1000-wide grid, 300 iterations
BOOK_CHECKSUMS = {(1000, 300): 33219980}


def grid_axes(width: int) -> tuple[np.ndarray, np.ndarray]:
    """The book's x and y coordinates, stepped as it steps them (so 1000 gives 1000 of each)."""
    x_step = (X2 - X1) / width
    y_step = (Y1 - Y2) / width
    xs, ys = [], []
    y = Y2
    while y > Y1:
        ys.append(y)
        y += y_step
    x = X1
    while x < X2:
        xs.append(x)
        x += x_step
    return np.array(xs), np.array(ys)


@functools.lru_cache(maxsize=8)
def reference_checksum(width: int, max_iterations: int) -> int:
    """The right sum: the book's where it gives one, else the pure-Python kernel's (untimed)."""
    if (width, max_iterations) in BOOK_CHECKSUMS:
        return BOOK_CHECKSUMS[width, max_iterations]
    xs, ys = grid_axes(width)
    return kernels.load("python").julia_rows(xs, ys, C, max_iterations)


@dataclass(frozen=True)
class JuliaRows:
    """One task: a band of grid rows."""

    xs: np.ndarray
    ys: np.ndarray
    max_iterations: int
    impl: str
    #: the kernel's own threads (routes with threads of their own), else 1
    threads: int = 1


def on_another_interpreter(executor: Any, tasks: Sequence[JuliaRows]) -> list[int]:
    """The pure-Python loop itself, on lists, in the interpreter executor's workers."""
    return list(
        executor.map(
            pure_python.julia_sum,
            [task.xs.tolist() for task in tasks],
            [task.ys.tolist() for task in tasks],
            itertools.repeat(C.real),
            itertools.repeat(C.imag),
            [task.max_iterations for task in tasks],
        )
    )


class JuliaSet(Workload):
    """The Julia set of ``width`` x ``width`` points, ``max_iterations`` deep, by ``impl``."""

    problem = ("width", "max_iterations")
    libraries = ("numpy", "numba")

    def __init__(
        self,
        width: int,
        max_iterations: int,
        impl: str,
        chunks: int | None,
    ):
        self.width = require_int("width", width, 2)
        self.max_iterations = require_int("max_iterations", max_iterations, 1)
        self.impl = kernels.require_impl("impl", impl, kernels.JULIA)
        self.chunks = None if chunks is None else require_int("chunks", chunks, 1)
        self.xs, self.ys = grid_axes(self.width)
        if self.chunks is not None and self.chunks > len(self.ys):
            raise ConfigError(
                "chunks", chunks, f"null or an integer from 1 to {len(self.ys)} (rows)"
            )
        self.compile_s = 0.0
        self.kernel_threads = 1

    def chunk_count(self, workers: int) -> int:
        if kernels.ROUTES[self.impl].threads:
            return 1
        return min(self.chunks or workers, len(self.ys))

    def describe(self, workers: int) -> dict[str, Any]:
        return {"chunks": self.chunk_count(workers)}

    def prepare(self) -> None:
        self.compile_s = kernels.warm(self.impl)
        reference_checksum(self.width, self.max_iterations)

    def driver(self, model: Model) -> Driver | None:
        return kernels.route_driver(self.impl, model, on_another_interpreter)

    def tasks(self, workers: int, seed: int) -> list[JuliaRows]:
        bands = np.array_split(self.ys, self.chunk_count(workers))
        threads = self.kernel_threads = kernels.kernel_threads(self.impl, workers)
        return [JuliaRows(self.xs, band, self.max_iterations, self.impl, threads) for band in bands]

    def run(self, task: JuliaRows) -> int:
        options = kernels.thread_options(task.impl, task.threads)
        kernel = kernels.load(task.impl).julia_rows
        return kernel(task.xs, task.ys, C, task.max_iterations, **options)

    def reduce(self, results: list[int]) -> Outcome:
        checksum = sum(results)
        expected = reference_checksum(self.width, self.max_iterations)
        pixels = len(self.xs) * len(self.ys)
        error = None
        if checksum != expected:
            error = (
                f"julia checksum {checksum} != {expected} for {self.width} x {self.max_iterations}"
            )
        metrics = {
            "checksum": checksum,
            "pixels": pixels,
            "releases_gil": kernels.ROUTES[self.impl].releases_gil,
            "kernel_threads": self.kernel_threads,
            "compile_s": self.compile_s,
        }
        return Outcome(metrics=metrics, units=pixels, error=error)
