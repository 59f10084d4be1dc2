"""The 2D diffusion equation, the solver the book's chapters 6 and 7 take through every way
Python can compute it (``06_matrix/diffusion_2d``, ``07_compiling``).

The book's grid and step: ``grid_shape`` cells, ``iterations`` explicit Euler steps of
``D`` = 1 and ``dt`` = 0.1, starting from 0.005 on the block of rows and columns from 40% to 50%
of the grid, with periodic boundaries (``diffusion_python.py``'s ``% xmax``, numpy's ``roll``).
A step needs the whole previous grid, so a run is one task: the solver's route (``impl``) is
what is measured, not how tasks spread over workers. The routes with threads of their own
(``cython_prange``, ``numba_parallel``) share each step's rows over ``workers`` threads inside
that task, on the ``serial`` executor.

Routes are the chapter 7 kernels' (:mod:`hpexp.workloads.kernels`, one module per ``impl``):
``python`` and ``numpy`` are the book's own (chapter 6); the compiled ones are loops in numpy's
order of operations. ``ctypes``, ``cffi_abi``, ``cffi_api``, ``cext`` and ``f2py`` are called
once per step from a Python loop, as the book calls them; ``numba`` and ``cython`` run every
step in one call. ``call_overhead_us`` is what one call of the route costs on a 3 x 3 grid for
one step (measured in setup, the fastest of 5 rounds of 100 calls, as ``timeit`` advises):
the price of crossing its boundary with almost no work behind it.

Periodic diffusion conserves the grid's sum: each run's is checked against the initial block's
(within a relative 1e-9: a sum of many floats). Its ``checksum`` (the sum of squares, which
diffusion only lowers) is checked against the numpy solver's for the same grid and steps,
computed once in setup: exactly for the compiled routes, which add in numpy's order, and within
a relative 1e-9 for the book's pure-Python loop, which adds in another.
"""

import functools
import timeit
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpexp.core.errors import ConfigError, require_int
from hpexp.core.model import Model
from hpexp.core.workload import Driver, Outcome, Workload
from hpexp.workloads import kernels
from hpexp.workloads.kernels import pure_python

D, DT = 1.0, 0.1
#: the relative difference a sum of many floats, or another order of additions, may make
TOLERANCE = 1e-9


def initial_block(shape: tuple[int, int]) -> tuple[slice, slice]:
    """The book's starting block: rows and columns from 40% to 50% of the grid."""
    rows, columns = shape
    return slice(int(rows * 0.4), int(rows * 0.5)), slice(int(columns * 0.4), int(columns * 0.5))


def initial_grid(shape: tuple[int, int]) -> np.ndarray:
    grid = np.zeros(shape)
    grid[initial_block(shape)] = 0.005
    return grid


def solved(shape: tuple[int, int], iterations: int, impl: str, threads: int = 1) -> np.ndarray:
    """The grid after ``iterations`` steps from the book's start, by the route ``impl``."""
    options = kernels.thread_options(impl, threads)
    return kernels.load(impl).diffusion(initial_grid(shape), iterations, D * DT, **options)


def call_overhead_us(impl: str) -> float:
    """Microseconds one call of the route costs for one step of a 3 x 3 grid (one thread)."""
    solve = kernels.load(impl).diffusion
    grid = initial_grid((3, 3))
    calls = 100
    rounds = timeit.repeat(lambda: solve(grid, 1, D * DT), repeat=5, number=calls)
    return min(rounds) / calls * 1e6


@functools.lru_cache(maxsize=8)
def reference(shape: tuple[int, int], iterations: int) -> tuple[float, float]:
    """The starting grid's sum, and the numpy solver's sum of squares after ``iterations``
    steps (untimed, in setup)."""
    checksum = np.square(solved(shape, iterations, "numpy")).sum()
    return float(initial_grid(shape).sum()), float(checksum)


@dataclass(frozen=True)
class Solve:
    """One task: the whole simulation by one route."""

    shape: tuple[int, int]
    iterations: int
    impl: str
    #: the kernel's own threads (routes with threads of their own), else 1
    threads: int = 1


def sums(grid: np.ndarray) -> tuple[float, float]:
    """What a run is checked by: the grid's sum, and its sum of squares (the checksum)."""
    return float(grid.sum()), float(np.square(grid).sum())


def on_another_interpreter(executor: Any, tasks: Sequence[Solve]) -> list[tuple[float, float]]:
    """The book's pure-Python loop itself, on lists, in the interpreter executor's workers."""
    grids = executor.map(
        pure_python.diffusion_lists,
        [initial_grid(task.shape).tolist() for task in tasks],
        [task.iterations for task in tasks],
        [D * DT for _ in tasks],
    )
    return [sums(np.array(grid)) for grid in grids]


def _grid_shape(value: Any) -> tuple[int, int]:
    allowed = "[rows, columns], each an integer >= 3"
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ConfigError("grid_shape", value, allowed)
    try:
        return require_int("rows", value[0], 3), require_int("columns", value[1], 3)
    except ConfigError:
        raise ConfigError("grid_shape", list(value), allowed) from None


class Diffusion(Workload):
    """``iterations`` steps of 2D diffusion on a ``grid_shape`` grid, by the route ``impl``."""

    problem = ("grid_shape", "iterations")
    libraries = ("numpy", "numba")

    def __init__(self, grid_shape: Sequence[int], iterations: int, impl: str) -> None:
        self.shape = _grid_shape(grid_shape)
        self.iterations = require_int("iterations", iterations, 1)
        self.impl = kernels.require_impl("impl", impl, kernels.DIFFUSION)
        self.compile_s = 0.0
        self.kernel_threads = 1
        self.call_overhead_us = 0.0

    def prepare(self) -> None:
        self.compile_s = kernels.warm(self.impl)
        self.call_overhead_us = call_overhead_us(self.impl)
        reference(self.shape, self.iterations)

    def driver(self, model: Model) -> Driver | None:
        return kernels.route_driver(self.impl, model, on_another_interpreter)

    def tasks(self, workers: int, seed: int) -> list[Solve]:
        threads = self.kernel_threads = kernels.kernel_threads(self.impl, workers)
        return [Solve(self.shape, self.iterations, self.impl, threads)]

    def run(self, task: Solve) -> tuple[float, float]:
        return sums(solved(task.shape, task.iterations, task.impl, task.threads))

    def reduce(self, results: list[tuple[float, float]]) -> Outcome:
        ((total, checksum),) = results
        expected_total, expected_checksum = reference(self.shape, self.iterations)
        error = None
        if not np.isclose(total, expected_total, rtol=TOLERANCE, atol=0):
            error = f"diffusion lost mass: the grid sums to {total!r}, not {expected_total!r}"
        elif checksum != expected_checksum and (
            self.impl != "python"
            or not np.isclose(checksum, expected_checksum, rtol=TOLERANCE, atol=0)
        ):
            error = f"diffusion checksum {checksum!r} != the numpy solver's {expected_checksum!r}"
        cells = self.shape[0] * self.shape[1]
        metrics = {
            "total": total,
            "checksum": checksum,
            "cells": cells,
            "releases_gil": kernels.ROUTES[self.impl].releases_gil,
            "kernel_threads": self.kernel_threads,
            "call_overhead_us": self.call_overhead_us,
            "compile_s": self.compile_s,
        }
        return Outcome(metrics=metrics, units=cells * self.iterations, error=error)
