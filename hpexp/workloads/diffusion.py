"""The 2D diffusion equation, the solver the book's chapters 6 and 7 take through every way
Python can compute it (``06_matrix/diffusion_2d``, ``07_compiling``).

The book's grid and step: ``grid_shape`` cells, ``iterations`` explicit Euler steps of
``D`` = 1 and ``dt`` = 0.1, starting from 0.005 on the block of rows and columns from 40% to 50%
of the grid, with periodic boundaries (``diffusion_python.py``'s ``% xmax``, numpy's ``roll``).
A step needs the whole previous grid, so a run is one task: the solver's route (``impl``) is
what is measured, not how tasks spread over workers.

Routes are the chapter 7 kernels' (:mod:`hpexp.workloads.kernels`, one module per ``impl``):
``python`` and ``numpy`` are the book's own (chapter 6); ``numba``, ``cython`` and ``ctypes``
(the C of ``diffusion.c``, made periodic) are compiled loops in numpy's order of operations.

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


def solved(shape: tuple[int, int], iterations: int, impl: str) -> np.ndarray:
    """The grid after ``iterations`` steps from the book's start, by the route ``impl``."""
    return kernels.load(impl).diffusion(initial_grid(shape), iterations, D * DT)


@functools.lru_cache(maxsize=8)
def reference(shape: tuple[int, int], iterations: int) -> tuple[float, float]:
    """The starting grid's sum, and the numpy solver's sum of squares after ``iterations``
    steps (untimed, in setup)."""
    energy = np.square(solved(shape, iterations, "numpy")).sum()
    return float(initial_grid(shape).sum()), float(energy)


@dataclass(frozen=True)
class Solve:
    """One task: the whole simulation by one route."""

    shape: tuple[int, int]
    iterations: int
    impl: str


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
        self.impl = kernels.require_impl("impl", impl)
        self.compile_s = 0.0

    def prepare(self) -> None:
        self.compile_s = kernels.warm(self.impl)
        reference(self.shape, self.iterations)

    def tasks(self, workers: int, seed: int) -> list[Solve]:
        return [Solve(self.shape, self.iterations, self.impl)]

    def run(self, task: Solve) -> tuple[float, float]:
        grid = solved(task.shape, task.iterations, task.impl)
        return float(grid.sum()), float(np.square(grid).sum())

    def reduce(self, results: list[tuple[float, float]]) -> Outcome:
        ((total, energy),) = results
        expected_total, expected_energy = reference(self.shape, self.iterations)
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
            "releases_gil": kernels.RELEASES_GIL[self.impl],
            "compile_s": self.compile_s,
        }
        return Outcome(metrics=metrics, units=cells * self.iterations, error=error)
