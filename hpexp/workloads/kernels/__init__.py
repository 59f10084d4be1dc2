"""Chapter 7's kernels, one module per ``impl``, shared by the julia, pi and diffusion workloads.

A module offers what its :class:`Route` names of ``julia_rows(xs, ys, c, max_iterations) -> int``
(iterations summed over the grid), ``pi_count(samples, stream) -> int`` (points inside the
quarter circle) and ``diffusion(grid, iterations, d_dt) -> grid`` (periodic 2D diffusion steps,
a new array); routes with threads of their own take ``threads=`` too. A module is imported only
where a task first runs, so numba and the compiled libraries never load in a process that does
not use them.
"""

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from hpexp.core.errors import ConfigError, require_choice
from hpexp.core.model import Model
from hpexp.core.workload import CannotRun, Driver
from hpexp.workloads.kernels.availability import is_built, not_built_reason

#: the kernels a route may offer, by the workload that calls them
JULIA, PI, DIFFUSION = "julia_rows", "pi_count", "diffusion"


@dataclass(frozen=True)
class Route:
    """One way to compute the kernels: its module, what it offers, and how it runs.

    ``releases_gil``: other threads run while the kernel computes (numpy's array steps release
    it, the Python between them holds it; numba ``nogil=True``, Cython ``with nogil``, ctypes,
    cffi, f2py ``threadsafe`` and the extension's ``Py_BEGIN_ALLOW_THREADS`` release it for the
    whole loop; pure Python never does). ``threads``: the kernel spreads one call over threads of
    its own, whose number is the job's ``workers`` (so it runs on the ``serial`` executor).
    ``pure_python``: a loop of plain Python, which another interpreter (PyPy) can run.
    """

    module: str
    releases_gil: bool
    kernels: tuple[str, ...] = (JULIA, PI, DIFFUSION)
    threads: bool = False
    pure_python: bool = False


ROUTES = {
    "python": Route("pure_python", releases_gil=False, pure_python=True),
    "python_uniform": Route("book_pi", releases_gil=False, kernels=(PI,), pure_python=True),
    "numpy": Route("vectorised", releases_gil=True),
    "numba": Route("numba_jit", releases_gil=True),
    "cython": Route("cython_ext", releases_gil=True),
    "ctypes": Route("c_library", releases_gil=True),
    "cffi_abi": Route("cffi_abi", releases_gil=True),
    "cffi_api": Route("cffi_api", releases_gil=True),
    "cext": Route("c_extension", releases_gil=True),
    "f2py": Route("fortran", releases_gil=True, kernels=(DIFFUSION,)),
    "cython_prange": Route("cython_openmp", True, kernels=(JULIA, DIFFUSION), threads=True),
    "numba_parallel": Route("numba_parallel", True, kernels=(JULIA, DIFFUSION), threads=True),
}


def impls(kernel: str) -> tuple[str, ...]:
    """The routes that offer ``kernel``, in :data:`ROUTES` order."""
    return tuple(name for name, route in ROUTES.items() if kernel in route.kernels)


def require_impl(key: str, impl: object, kernel: str) -> str:
    """``impl`` as a route offering ``kernel`` whose module exists here, else a one-line
    ConfigError."""
    offered = impls(kernel)
    chosen = require_choice(key, impl, offered)
    if not is_built(chosen):
        usable = " | ".join(name for name in offered if is_built(name))
        raise ConfigError(key, chosen, f"{usable}; {not_built_reason(chosen)}")
    return chosen


def in_kernel_threads_only(impl: str, model: Model) -> None:
    """:class:`CannotRun` for a route with threads of its own on any executor but ``serial``:
    the executor's workers and the kernel's threads would both claim ``workers``, and one
    thread each would quietly be the plain route again."""
    if ROUTES[impl].threads and model is not Model.inline:
        raise CannotRun(
            f"impl={impl} runs its own threads (workers = its thread count): "
            "run it on executor=serial"
        )


def pure_python_only(impl: str) -> None:
    """:class:`CannotRun` unless ``impl`` is a pure-Python loop: another interpreter has
    neither numpy nor hpexp's compiled kernels."""
    if not ROUTES[impl].pure_python:
        raise CannotRun(
            f"impl={impl} cannot run on another interpreter: only a pure-Python loop crosses "
            "(numpy and the compiled kernels are this Python's)"
        )


def route_driver(impl: str, model: Model, elsewhere: Driver) -> Driver | None:
    """A kernel workload's :meth:`~hpexp.core.workload.Workload.driver`: routes with threads of
    their own on ``serial`` only, ``elsewhere`` (the workload's pure-Python loop sent to
    another interpreter) for the interpreter model, the generic path for the rest."""
    in_kernel_threads_only(impl, model)
    if model is Model.interpreter:
        pure_python_only(impl)
        return elsewhere
    return None


def kernel_threads(impl: str, workers: int) -> int:
    """The threads one call of ``impl`` runs on: ``workers`` for a route with threads of its
    own, else 1."""
    return workers if ROUTES[impl].threads else 1


def thread_options(impl: str, threads: int) -> dict[str, int]:
    """The keyword a route with threads of its own takes (``threads``); none for the others."""
    return {"threads": threads} if ROUTES[impl].threads else {}


def load(impl: str) -> ModuleType:
    """The kernel module of ``impl`` (imported on first use in each process)."""
    return importlib.import_module(f"{__name__}.{ROUTES[impl].module}")


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


def stepped(
    step: Callable[[np.ndarray, np.ndarray, float], None],
    grid: np.ndarray,
    iterations: int,
    d_dt: float,
    order: str = "C",
) -> np.ndarray:
    """``iterations`` calls of a compiled one-step kernel ``step(grid, out, d_dt)`` from a Python
    loop that swaps the two grids: the book's own calling convention for its ctypes, cffi, f2py
    and CPython-extension routes, so each step pays the route's call overhead once."""
    grid = np.array(grid, dtype=np.float64, order=order)
    scratch = np.empty_like(grid)
    for _ in range(iterations):
        step(grid, scratch, d_dt)
        grid, scratch = scratch, grid
    return grid


def splitmix_seed(stream: np.random.SeedSequence) -> int:
    """The compiled kernels' 64-bit splitmix64 seed for a task's own random stream."""
    return int(stream.generate_state(1, np.uint64)[0])
