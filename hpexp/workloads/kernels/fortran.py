"""``diffusion.f90`` wrapped by ``numpy.f2py`` when hpexp was installed (the book's f2py route).

Fortran is column-major: the grids are kept in Fortran order (the book's ``order="F"``), so
f2py passes them without a copy, and ``threadsafe`` releases the GIL for each call. Only the
diffusion solver has a Fortran kernel.
"""

import numpy as np

from hpexp.workloads.kernels import _fortran, stepped

diffusion_step = _fortran.diffusion_step


def diffusion(grid: np.ndarray, iterations: int, d_dt: float) -> np.ndarray:
    """One Fortran call per step, as ``diffusion_fortran.py`` makes them."""
    return np.ascontiguousarray(stepped(diffusion_step, grid, iterations, d_dt, order="F"))
