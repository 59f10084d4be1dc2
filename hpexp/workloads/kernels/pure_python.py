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
