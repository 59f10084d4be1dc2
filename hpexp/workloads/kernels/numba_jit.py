"""numba kernels: the C kernels' loops, compiled by LLVM with ``nogil=True`` and cached on disk."""

import numpy as np
from numba import njit

from hpexp.workloads.kernels import splitmix_seed

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


@njit(nogil=True, cache=True, inline="always")
def escape_count(z_real, z_imag, c_real, c_imag, max_iterations):
    """The iterations one point takes to leave |z| < 2 (CPython's complex steps, spelled out);
    the parallel kernel (:mod:`numba_parallel`) calls it too."""
    n = 0
    while n < max_iterations and np.hypot(z_real, z_imag) < 2.0:
        next_real = (z_real * z_real - z_imag * z_imag) + c_real
        z_imag = (z_real * z_imag + z_imag * z_real) + c_imag
        z_real = next_real
        n += 1
    return n


@njit(nogil=True, cache=True)
def _julia_rows(xs, ys, c_real, c_imag, max_iterations):
    total = 0
    for row in range(ys.shape[0]):
        for col in range(xs.shape[0]):
            total += escape_count(xs[col], ys[row], c_real, c_imag, max_iterations)
    return total


@njit(nogil=True, cache=True)
def _next_unit(state):
    """splitmix64: the next state, and a double in [0, 1) from its top 53 bits."""
    state += _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    z = z ^ (z >> np.uint64(31))
    return state, np.float64(z >> np.uint64(11)) * 2.0**-53


@njit(nogil=True, cache=True)
def _pi_count(samples, seed):
    state = np.uint64(seed)
    inside = 0
    for _ in range(samples):
        state, x = _next_unit(state)
        state, y = _next_unit(state)
        if x * x + y * y <= 1.0:
            inside += 1
    return inside


@njit(nogil=True, cache=True)
def _diffusion(grid, scratch, iterations, d_dt):
    rows, cols = grid.shape
    source, target = grid, scratch
    for _ in range(iterations):
        for i in range(rows):
            up, down = (i + rows - 1) % rows, (i + 1) % rows
            for j in range(cols):
                left, right = (j + cols - 1) % cols, (j + 1) % cols
                laplacian = (
                    source[up, j]
                    + source[down, j]
                    + source[i, left]
                    + source[i, right]
                    - 4 * source[i, j]
                )
                target[i, j] = source[i, j] + d_dt * laplacian
        source, target = target, source
    return source


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """The C kernel's periodic diffusion steps, in numba (numpy's order of operations)."""
    grid = np.array(grid, dtype=np.float64)
    return _diffusion(grid, np.empty_like(grid), iterations, d_dt).copy()


def julia_rows(xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
    return int(_julia_rows(xs, ys, c.real, c.imag, max_iterations))


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    return int(_pi_count(samples, np.uint64(splitmix_seed(stream))))


def compile_all() -> None:
    """Compile (or load from numba's cache) every kernel, so no measured run pays for it."""
    tiny = np.zeros(1)
    _julia_rows(tiny, tiny, 0.0, 0.0, 1)
    _pi_count(1, np.uint64(1))
    _diffusion(np.zeros((3, 3)), np.zeros((3, 3)), 1, 0.1)
