"""The C kernels (``kernels.c``), loaded with ctypes: a plain shared library, no Python API.

ctypes releases the GIL for the length of every foreign call, so threads calling these overlap.
"""

import ctypes

import numpy as np

from hpexp.workloads.kernels import splitmix_seed, stepped
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
    library.diffusion_step.restype = None
    library.diffusion_step.argtypes = [
        _DOUBLES,
        _DOUBLES,
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


def diffusion_step(grid: np.ndarray, out: np.ndarray, d_dt: float) -> None:
    rows, columns = grid.shape
    _library.diffusion_step(
        grid.ctypes.data_as(_DOUBLES), out.ctypes.data_as(_DOUBLES), rows, columns, d_dt
    )


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """``iterations`` periodic diffusion steps of ``grid`` (a new array): one C call per step,
    as ``diffusion_ctypes.py`` makes them."""
    return stepped(diffusion_step, grid, iterations, d_dt)
