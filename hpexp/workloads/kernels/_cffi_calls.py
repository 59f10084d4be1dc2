"""The C kernels called through cffi, the same calls for its ABI and its API mode.

cffi releases the GIL for the length of every call into C, in both modes. Arrays cross as
``ffi.from_buffer`` views of their memory (no copy), where the book's ``diffusion_2d_cffi.py``
casts ``grid.ctypes.data``.
"""

from typing import Any

import numpy as np

from hpexp.workloads.kernels import splitmix_seed, stepped


class CffiKernels:
    """``julia_rows``, ``pi_count`` and ``diffusion`` over one cffi ``ffi`` and ``lib``."""

    def __init__(self, ffi: Any, lib: Any) -> None:
        self.ffi, self.lib = ffi, lib

    def julia_rows(self, xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
        xs, ys = np.ascontiguousarray(xs, np.float64), np.ascontiguousarray(ys, np.float64)
        doubles = self.ffi.from_buffer
        return self.lib.julia_rows(
            doubles("double[]", xs), len(xs), doubles("double[]", ys), len(ys),
            c.real, c.imag, max_iterations,
        )  # fmt: skip

    def pi_count(self, samples: int, stream: np.random.SeedSequence) -> int:
        return self.lib.pi_count(samples, splitmix_seed(stream))

    def diffusion_step(self, grid: np.ndarray, out: np.ndarray, d_dt: float) -> None:
        rows, columns = grid.shape
        doubles = self.ffi.from_buffer
        self.lib.diffusion_step(
            doubles("double[]", grid), doubles("double[]", out), rows, columns, d_dt
        )

    def diffusion(self, grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
        """One C call per step, as ``diffusion_2d_cffi.py`` makes them."""
        return stepped(self.diffusion_step, grid, iterations, d_dt)
