"""The book's pure-Python kernels: the reference every other kernel's result is checked against."""

import random

import numpy as np


def julia_rows(xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
    """Iterations summed over the grid rows ``ys`` x columns ``xs`` (``julia1_nopil.py``'s loop)."""
    total = 0
    row_xs = xs.tolist()
    for y in ys.tolist():
        for x in row_xs:
            z = complex(x, y)
            n = 0
            while n < max_iterations and abs(z) < 2:
                z = z * z + c
                n += 1
            total += n
    return total


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    """Points inside the unit quarter circle, drawn from the stdlib's Mersenne Twister."""
    rand = random.Random(int.from_bytes(stream.generate_state(4).tobytes(), "little")).random
    inside = 0
    for _ in range(samples):
        x, y = rand(), rand()
        if x * x + y * y <= 1.0:
            inside += 1
    return inside


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """``diffusion_python.py``'s steps, as the book writes them: lists of floats, every
    neighbour indexed from the grid with wrapped indices, a new grid per step (``d_dt`` is
    D x dt: the book's ``D * (...) * dt`` with its D = 1)."""
    rows = grid.tolist()
    xmax, ymax = len(rows), len(rows[0])
    for _ in range(iterations):
        new_grid = [[0.0 for x in range(ymax)] for x in range(xmax)]
        for i in range(xmax):
            for j in range(ymax):
                grid_xx = rows[(i + 1) % xmax][j] + rows[(i - 1) % xmax][j] - 2.0 * rows[i][j]
                grid_yy = rows[i][(j + 1) % ymax] + rows[i][(j - 1) % ymax] - 2.0 * rows[i][j]
                new_grid[i][j] = rows[i][j] + (grid_xx + grid_yy) * d_dt
        rows = new_grid
    return np.array(rows)
