"""Cython's ``prange`` over OpenMP threads (``_cython_openmp.pyx``), compiled with ``-fopenmp``
when hpexp is installed; ``threads`` is OpenMP's ``num_threads``."""

import numpy as np

from hpexp.workloads.kernels import _cython_openmp


def julia_rows(
    xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int, threads: int = 1
) -> int:
    return _cython_openmp.julia_rows(
        np.ascontiguousarray(xs, np.float64),
        np.ascontiguousarray(ys, np.float64),
        c,
        max_iterations,
        threads,
    )


def diffusion(grid: np.ndarray, iterations: int, d_dt: float, threads: int = 1) -> np.ndarray:
    grid = np.array(grid, dtype=np.float64, order="C")
    _cython_openmp.diffusion_evolve(grid, np.empty_like(grid), iterations, d_dt, threads)
    return grid
