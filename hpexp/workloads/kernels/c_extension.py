"""The hand-written CPython extension (``_cext.c``, the book's ``cpython_module``): Python's
C API parses the arguments, the buffer protocol hands the arrays over, the GIL is released
around each C loop."""

import numpy as np

from hpexp.workloads.kernels import _cext, splitmix_seed, stepped


def julia_rows(xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
    return _cext.julia_rows(
        np.ascontiguousarray(xs, np.float64),
        np.ascontiguousarray(ys, np.float64),
        c.real,
        c.imag,
        max_iterations,
    )


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    return _cext.pi_count(samples, splitmix_seed(stream))


diffusion_step = _cext.diffusion_step


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """One extension call per step, as the book's ``cpython_module/diffusion.py`` makes them."""
    return stepped(diffusion_step, grid, iterations, d_dt)
