"""numba's ``parallel=True``: the numba kernels' outer loops as ``prange``, spread over numba's
own thread pool inside one call (the chapter's parallel loops without an executor).

``threads`` is ``numba.set_num_threads`` for the calling thread; numba fixes its pool at
``NUMBA_NUM_THREADS`` (the CPU count unless set) when it is first imported, and refuses more.
Each cell's arithmetic is :mod:`numba_jit`'s (julia calls its ``escape_count``; the diffusion
row stays written out here: called as a function from the ``prange`` body it ran 1.35x slower),
so the results equal it whatever the thread count.
"""

import numba
import numpy as np
from numba import njit, prange

from hpexp.workloads.kernels.numba_jit import escape_count


@njit(parallel=True, nogil=True, cache=True)
def _julia_rows(xs, ys, c_real, c_imag, max_iterations):
    total = 0
    for row in prange(ys.shape[0]):
        for col in range(xs.shape[0]):
            total += escape_count(xs[col], ys[row], c_real, c_imag, max_iterations)
    return total


@njit(parallel=True, nogil=True, cache=True)
def _diffusion_step(source, target, d_dt):
    rows, cols = source.shape
    for i in prange(rows):
        up, down = (i + rows - 1) % rows, (i + 1) % rows
        for j in range(cols):
            left, right = (j + cols - 1) % cols, (j + 1) % cols
            laplacian = (
                source[up, j] + source[down, j] + source[i, left] + source[i, right]
                - 4 * source[i, j]
            )  # fmt: skip
            target[i, j] = source[i, j] + d_dt * laplacian


@njit(nogil=True, cache=True)
def _diffusion(grid, scratch, iterations, d_dt):
    source, target = grid, scratch
    for _ in range(iterations):
        _diffusion_step(source, target, d_dt)
        source, target = target, source
    return source


def _use_threads(threads: int) -> None:
    most = numba.config.NUMBA_NUM_THREADS
    if threads > most:
        raise ValueError(
            f"numba_parallel runs at most {most} threads here (NUMBA_NUM_THREADS, the CPU count "
            f"unless set before numba is imported), not {threads}"
        )
    numba.set_num_threads(threads)


def julia_rows(
    xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int, threads: int = 1
) -> int:
    _use_threads(threads)
    return int(_julia_rows(xs, ys, c.real, c.imag, max_iterations))


def diffusion(grid: np.ndarray, iterations: int, d_dt: float, threads: int = 1) -> np.ndarray:
    _use_threads(threads)
    grid = np.array(grid, dtype=np.float64)
    return _diffusion(grid, np.empty_like(grid), iterations, d_dt).copy()


def compile_all() -> None:
    """Compile (or load from numba's cache) every kernel, so no measured run pays for it."""
    tiny = np.zeros(1)
    _julia_rows(tiny, tiny, 0.0, 0.0, 1)
    _diffusion(np.zeros((3, 3)), np.zeros((3, 3)), 1, 0.1)
