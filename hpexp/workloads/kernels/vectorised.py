"""numpy kernels: whole-array steps, each of which releases the GIL while it runs."""

import numpy as np

_PI_BLOCK = 1 << 20


def julia_rows(xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
    """The pure-Python loop as array steps over the points still inside |z| < 2.

    Real and imaginary parts are kept apart and combined as CPython combines them, so every
    point takes exactly as many steps as in the pure-Python kernel. The sum of the counts is the
    sum, over steps, of the points still iterating, so no count array is kept.
    """
    z_real = np.tile(xs, len(ys))
    z_imag = np.repeat(ys, len(xs))
    total = 0
    for _ in range(max_iterations):
        alive = np.hypot(z_real, z_imag) < 2.0
        if not alive.all():
            z_real, z_imag = z_real[alive], z_imag[alive]
        if z_real.size == 0:
            break
        z_real, z_imag = (
            (z_real * z_real - z_imag * z_imag) + c.real,
            (z_real * z_imag + z_imag * z_real) + c.imag,
        )
        total += z_real.size
    return total


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    """Points inside the unit quarter circle, drawn in blocks from numpy's PCG64."""
    rng = np.random.default_rng(stream)
    inside = 0
    for start in range(0, samples, _PI_BLOCK):
        size = min(_PI_BLOCK, samples - start)
        x, y = rng.random(size), rng.random(size)
        inside += int(np.count_nonzero(x * x + y * y <= 1.0))
    return inside


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """``diffusion_numpy.py``'s steps: the laplacian from four ``roll``s (the compiled kernels
    add in this order, so they give this grid bit for bit)."""
    for _ in range(iterations):
        laplacian = (
            np.roll(grid, +1, 0)
            + np.roll(grid, -1, 0)
            + np.roll(grid, +1, 1)
            + np.roll(grid, -1, 1)
            - 4 * grid
        )
        grid = grid + d_dt * laplacian
    return grid
