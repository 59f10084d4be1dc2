"""The book's pure-Python kernels: the reference every other kernel's result is checked against.

Each loop is a self-contained function on plain lists and numbers (``julia_sum``, ``pi_inside``,
``pi_uniform``, ``diffusion_lists``: builtins and what it imports itself), so the interpreter
executor can send its source to another Python (PyPy) and run the very same code there;
``julia_rows``, ``pi_count`` and ``diffusion`` hand them numpy's arrays as lists.
"""

import numpy as np


def julia_sum(
    xs: list[float], ys: list[float], c_real: float, c_imag: float, max_iterations: int
) -> int:
    """Iterations summed over the grid rows ``ys`` x columns ``xs`` (``julia1_nopil.py``'s loop)."""
    c = complex(c_real, c_imag)
    total = 0
    for y in ys:
        for x in xs:
            z = complex(x, y)
            n = 0
            while n < max_iterations and abs(z) < 2:
                z = z * z + c
                n += 1
            total += n
    return total


def pi_inside(samples: int, seed: int) -> int:
    """Points inside the unit quarter circle, drawn from the stdlib's Mersenne Twister: the seed
    notes' loop, ``random`` bound to a local and called twice per point."""
    import random

    rand = random.Random(seed).random
    inside = 0
    for _ in range(samples):
        x, y = rand(), rand()
        if x * x + y * y <= 1.0:
            inside += 1
    return inside


def pi_uniform(samples: int, seed: int) -> int:
    """The 2nd edition's own loop (``pi_lists_parallel.py``): ``uniform(0, 1)`` looked up and
    called twice per point, the comparison's boolean added to the count. A seeded ``Random`` of
    its own stands for the module's global one, so every chunk draws its own stream."""
    import random

    generator = random.Random(seed)
    nbr_trials_in_quarter_unit_circle = 0
    for _ in range(samples):
        x = generator.uniform(0, 1)
        y = generator.uniform(0, 1)
        is_in_unit_circle = x * x + y * y <= 1.0
        nbr_trials_in_quarter_unit_circle += is_in_unit_circle
    return nbr_trials_in_quarter_unit_circle


def diffusion_lists(rows: list[list[float]], iterations: int, d_dt: float) -> list[list[float]]:
    """``diffusion_python.py``'s steps, as the book writes them: lists of floats, every
    neighbour indexed from the grid with wrapped indices, a new grid per step (``d_dt`` is
    D x dt: the book's ``D * (...) * dt`` with its D = 1)."""
    xmax, ymax = len(rows), len(rows[0])
    for _ in range(iterations):
        new_grid = [[0.0 for x in range(ymax)] for x in range(xmax)]
        for i in range(xmax):
            for j in range(ymax):
                grid_xx = rows[(i + 1) % xmax][j] + rows[(i - 1) % xmax][j] - 2.0 * rows[i][j]
                grid_yy = rows[i][(j + 1) % ymax] + rows[i][(j - 1) % ymax] - 2.0 * rows[i][j]
                new_grid[i][j] = rows[i][j] + (grid_xx + grid_yy) * d_dt
        rows = new_grid
    return rows


def pi_seed(stream: np.random.SeedSequence) -> int:
    """The Mersenne Twister's seed for a task's own random stream."""
    return int.from_bytes(stream.generate_state(4).tobytes(), "little")


def julia_rows(xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
    return julia_sum(xs.tolist(), ys.tolist(), c.real, c.imag, max_iterations)


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    return pi_inside(samples, pi_seed(stream))


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    return np.array(diffusion_lists(grid.tolist(), iterations, d_dt))
