"""The Cython kernels (``_cython.pyx``), compiled when hpexp is installed."""

import numpy as np

from hpexp.workloads.kernels import _cython, splitmix_seed


def julia_rows(xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
    return _cython.julia_rows(
        np.ascontiguousarray(xs, np.float64),
        np.ascontiguousarray(ys, np.float64),
        c,
        max_iterations,
    )


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    return _cython.pi_count(samples, splitmix_seed(stream))


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """The C kernel's periodic diffusion steps, in Cython ``with nogil``."""
    grid = np.array(grid, dtype=np.float64, order="C")
    _cython.diffusion_evolve(grid, np.empty_like(grid), iterations, d_dt)
    return grid
