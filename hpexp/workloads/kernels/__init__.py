"""Chapter 7's kernels, one module per ``impl``, shared by the julia, pi and diffusion workloads.

Every module offers ``julia_rows(xs, ys, c, max_iterations) -> int`` (iterations summed over the
grid), ``pi_count(samples, stream) -> int`` (points inside the quarter circle) and
``diffusion(grid, iterations, d_dt) -> grid`` (periodic 2D diffusion steps, a new array). A
module is imported only where a task first runs, so numba and the compiled libraries never load
in a process that does not use them.
"""

import importlib
import time
from types import ModuleType

import numpy as np

from hpexp.core.errors import ConfigError, require_choice
from hpexp.workloads.kernels.availability import is_built, not_built_reason

IMPLS = ("python", "numpy", "numba", "cython", "ctypes")
#: whether other threads run while the kernel computes: numpy's array steps release the GIL
#: (the Python between them holds it); numba (``nogil=True``), Cython (``with nogil``) and ctypes
#: calls release it for the whole loop; pure Python never does
RELEASES_GIL = {"python": False, "numpy": True, "numba": True, "cython": True, "ctypes": True}
_MODULES = {
    "python": "pure_python",
    "numpy": "vectorised",
    "numba": "numba_jit",
    "cython": "cython_ext",
    "ctypes": "c_library",
}


def require_impl(key: str, impl: object) -> str:
    """``impl`` as one of :data:`IMPLS` whose kernel exists here, else a one-line ConfigError."""
    chosen = require_choice(key, impl, IMPLS)
    if not is_built(chosen):
        usable = " | ".join(name for name in IMPLS if is_built(name))
        raise ConfigError(key, chosen, f"{usable}; {not_built_reason(chosen)}")
    return chosen


def load(impl: str) -> ModuleType:
    """The kernel module of ``impl`` (imported on first use in each process)."""
    return importlib.import_module(f"{__name__}.{_MODULES[impl]}")


def warm(impl: str) -> float:
    """Load ``impl``'s kernels, compiling numba's (or reading its cache); the seconds it took.

    Called from a workload's ``prepare``, so compiling is setup and never inside ``wall_s``.
    """
    started = time.perf_counter()
    module = load(impl)
    compile_all = getattr(module, "compile_all", None)
    if compile_all is not None:
        compile_all()
    return time.perf_counter() - started


def splitmix_seed(stream: np.random.SeedSequence) -> int:
    """The compiled kernels' 64-bit splitmix64 seed for a task's own random stream."""
    return int(stream.generate_state(1, np.uint64)[0])
