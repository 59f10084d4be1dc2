"""The 2D diffusion equation, the solver the book's chapters 6 and 7 take through every way
Python can compute it (``06_matrix/diffusion_2d``, ``07_compiling``).

The book's grid and step: ``grid_shape`` cells, ``iterations`` explicit Euler steps of
``D`` = 1 and ``dt`` = 0.1, starting from 0.005 on the block of rows and columns from 40% to 50%
of the grid, with periodic boundaries (``diffusion_python.py``'s ``% xmax``, numpy's ``roll``).
A step needs the whole previous grid, so a run is one task: the solver's route (``impl``) is
what is measured, not how tasks spread over workers.

Routes: ``python`` and ``numpy`` are the book's own (chapter 6); ``numba``, ``cython`` and
``ctypes`` (the C of ``diffusion.c``, made periodic) are compiled loops in numpy's order of
operations.

Periodic diffusion conserves the grid's sum: each run's is checked against the initial block's
(within a relative 1e-9: a sum of many floats). Its ``energy`` (the sum of squares, which
diffusion only lowers) is checked against the numpy solver's for the same grid and steps,
computed once in setup: exactly for the compiled routes, which add in numpy's order, and within
a relative 1e-9 for the book's pure-Python loop, which adds in another.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpexp.core.errors import ConfigError, require_int
from hpexp.core.workload import Outcome, Workload
from hpexp.workloads import kernels

D, DT = 1.0, 0.1
IMPLS = ("python", "numpy", "numba", "cython", "ctypes")
#: whether other threads run while the route computes: numpy's array steps, numba's
#: ``nogil=True`` loop, Cython's ``with nogil`` and a ctypes call release the GIL
RELEASES_GIL = {"python": False, "numpy": True, "numba": True, "cython": True, "ctypes": True}
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


def evolve_numpy(grid: np.ndarray, iterations: int) -> np.ndarray:
    """``diffusion_numpy.py``'s step: the laplacian from four ``roll``s."""
    for _ in range(iterations):
        laplacian = (
            np.roll(grid, +1, 0)
            + np.roll(grid, -1, 0)
            + np.roll(grid, +1, 1)
            + np.roll(grid, -1, 1)
            - 4 * grid
        )
        grid = grid + DT * D * laplacian
    return grid


def evolve_python(grid: list[list[float]], iterations: int) -> list[list[float]]:
    """``diffusion_python.py``'s step, as the book writes it: lists of floats, every neighbour
    indexed from the grid with wrapped indices, a new grid per step."""
    xmax, ymax = len(grid), len(grid[0])
    for _ in range(iterations):
        new_grid = [[0.0 for x in range(ymax)] for x in range(xmax)]
        for i in range(xmax):
            for j in range(ymax):
                grid_xx = grid[(i + 1) % xmax][j] + grid[(i - 1) % xmax][j] - 2.0 * grid[i][j]
                grid_yy = grid[i][(j + 1) % ymax] + grid[i][(j - 1) % ymax] - 2.0 * grid[i][j]
                new_grid[i][j] = grid[i][j] + D * (grid_xx + grid_yy) * DT
        grid = new_grid
    return grid


@functools.lru_cache(maxsize=8)
def reference_energy(shape: tuple[int, int], iterations: int) -> float:
    """The numpy solver's sum of squares after ``iterations`` steps (untimed, in setup)."""
    return float(np.square(evolve_numpy(initial_grid(shape), iterations)).sum())


@dataclass(frozen=True)
class Solve:
    """One task: the whole simulation by one route."""

    shape: tuple[int, int]
    iterations: int
    impl: str


def solve(task: Solve) -> np.ndarray:
    grid = initial_grid(task.shape)
    if task.impl == "python":
        return np.array(evolve_python(grid.tolist(), task.iterations))
    if task.impl == "numpy":
        return evolve_numpy(grid, task.iterations)
    return kernels.load(task.impl).diffusion(grid, task.iterations, DT * D)


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
        self.impl = kernels.require_impl("impl", impl, IMPLS)
        self.compile_s = 0.0

    def prepare(self) -> None:
        if self.impl in ("numba", "cython", "ctypes"):
            self.compile_s = kernels.warm(self.impl)
        reference_energy(self.shape, self.iterations)

    def tasks(self, workers: int, seed: int) -> list[Solve]:
        return [Solve(self.shape, self.iterations, self.impl)]

    def run(self, task: Solve) -> tuple[float, float]:
        grid = solve(task)
        return float(grid.sum()), float(np.square(grid).sum())

    def reduce(self, results: list[tuple[float, float]]) -> Outcome:
        ((total, energy),) = results
        start = initial_grid(self.shape)
        expected_total = float(start.sum())
        expected_energy = reference_energy(self.shape, self.iterations)
        error = None
        if not np.isclose(total, expected_total, rtol=TOLERANCE, atol=0):
            error = f"diffusion lost mass: the grid sums to {total!r}, not {expected_total!r}"
        elif energy != expected_energy and (
            self.impl != "python" or not np.isclose(energy, expected_energy, rtol=TOLERANCE, atol=0)
        ):
            error = f"diffusion energy {energy!r} != the numpy solver's {expected_energy!r}"
        cells = self.shape[0] * self.shape[1]
        metrics = {
            "total": total,
            "energy": energy,
            "cells": cells,
            "releases_gil": RELEASES_GIL[self.impl],
            "compile_s": self.compile_s,
        }
        return Outcome(metrics=metrics, units=cells * self.iterations, error=error)
