"""Whether the compiled kernels were built when hpexp was installed, and why not if not."""

import importlib.util
import os
import shlex
import shutil
import sysconfig
from pathlib import Path

#: the C kernels for ctypes and cffi's ABI mode: a plain shared library beside this file
#: (package data, no module: a versioned name, since ``.so`` alone is an extension module's
#: suffix; setup.py names it)
C_LIBRARY = Path(__file__).with_name("libhpexp_kernels.so.1")
#: the extension module each compiled route needs (the library's routes need :data:`C_LIBRARY`)
EXTENSION_MODULES = {
    "cython": "hpexp.workloads.kernels._cython",
    "cython_prange": "hpexp.workloads.kernels._cython_openmp",
    "cffi_api": "hpexp.workloads.kernels._cffi_api",
    "cext": "hpexp.workloads.kernels._cext",
    "f2py": "hpexp.workloads.kernels._fortran",
}
LIBRARY_ROUTES = ("ctypes", "cffi_abi")


def is_built(impl: str) -> bool:
    """``impl``'s compiled kernel is installed (found without loading it); True for the
    kernels that need no compiling."""
    if impl in LIBRARY_ROUTES:
        return C_LIBRARY.is_file()
    if impl in EXTENSION_MODULES:
        try:
            return importlib.util.find_spec(EXTENSION_MODULES[impl]) is not None
        except ImportError:
            return False
    return True


def _missing(variable: str, default: str, kind: str) -> str | None:
    """Why the compiler named by ``$variable`` (else ``default``) is missing, or None."""
    program = (shlex.split(os.environ.get(variable) or default) or [default])[0]
    if shutil.which(program) is None:
        return f"no {kind} compiler: {program!r} is not on PATH; install one, then reinstall hpexp"
    return None


def not_built_reason(impl: str) -> str:
    """One line: the kernel is missing, the likely cause, and how to get it."""
    cause = _missing("CC", sysconfig.get_config_var("CC") or "cc", "C")
    if cause is None and impl == "f2py":
        cause = _missing("FC", "gfortran", "Fortran")
    if cause is None and impl == "cython_prange":
        cause = "OpenMP (-fopenmp) was not usable when hpexp was built: reinstall hpexp"
    if cause is None:
        cause = "the compilers are on PATH now: reinstall hpexp to build it"
    return f"the {impl} kernel was not built when hpexp was installed ({cause})"
