"""The C kernels (``kernels.c``), loaded with ctypes: a plain shared library, no Python API.

ctypes releases the GIL for the length of every foreign call, so threads calling these overlap.
"""

import ctypes

import numpy as np

from hpexp.workloads.kernels import splitmix_seed
from hpexp.workloads.kernels.availability import C_LIBRARY

_DOUBLES = ctypes.POINTER(ctypes.c_double)


def _load() -> ctypes.CDLL:
    if not C_LIBRARY.is_file():
        raise ImportError(f"no {C_LIBRARY}: hpexp was installed without it")
    library = ctypes.CDLL(str(C_LIBRARY))
    library.julia_rows.restype = ctypes.c_longlong
    library.julia_rows.argtypes = [
        _DOUBLES,
        ctypes.c_longlong,
        _DOUBLES,
        ctypes.c_longlong,
        ctypes.c_double,
        ctypes.c_double,
        ctypes.c_longlong,
    ]
    library.pi_count.restype = ctypes.c_longlong
    library.pi_count.argtypes = [ctypes.c_longlong, ctypes.c_uint64]
    library.diffusion_evolve.restype = None
    library.diffusion_evolve.argtypes = [
        _DOUBLES,
        _DOUBLES,
        ctypes.c_longlong,
        ctypes.c_longlong,
        ctypes.c_longlong,
        ctypes.c_double,
    ]
    return library


_library = _load()


def julia_rows(xs: np.ndarray, ys: np.ndarray, c: complex, max_iterations: int) -> int:
    xs, ys = np.ascontiguousarray(xs, np.float64), np.ascontiguousarray(ys, np.float64)
    return _library.julia_rows(
        xs.ctypes.data_as(_DOUBLES),
        len(xs),
        ys.ctypes.data_as(_DOUBLES),
        len(ys),
        c.real,
        c.imag,
        max_iterations,
    )


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    return _library.pi_count(samples, splitmix_seed(stream))


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """``iterations`` periodic diffusion steps of ``grid`` (a new array), in C."""
    grid = np.array(grid, dtype=np.float64, order="C")
    scratch = np.empty_like(grid)
    rows, columns = grid.shape
    _library.diffusion_evolve(
        grid.ctypes.data_as(_DOUBLES),
        scratch.ctypes.data_as(_DOUBLES),
        rows,
        columns,
        iterations,
        d_dt,
    )
    return grid
