"""Whether the compiled kernels were built when hpexp was installed, and why not if not."""

import importlib.util
import os
import shlex
import shutil
import sysconfig
from pathlib import Path

#: the Cython kernels, a Python extension module
CYTHON_MODULE = "hpexp.workloads.kernels._cython"
#: the C kernels for ctypes: a plain shared library beside this file (package data, no module:
#: a versioned name, since ``.so`` alone is an extension module's suffix; setup.py names it)
C_LIBRARY = Path(__file__).with_name("libhpexp_kernels.so.1")


def is_built(impl: str) -> bool:
    """``impl``'s compiled kernel is installed (found without loading it); True for the
    kernels that need no compiling."""
    if impl == "ctypes":
        return C_LIBRARY.is_file()
    if impl == "cython":
        try:
            return importlib.util.find_spec(CYTHON_MODULE) is not None
        except ImportError:
            return False
    return True


def not_built_reason(impl: str) -> str:
    """One line: the kernel is missing, the likely cause, and how to get it."""
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    program = (shlex.split(compiler) or ["cc"])[0]
    if shutil.which(program) is None:
        cause = f"no C compiler: {program!r} is not on PATH; install one, then reinstall hpexp"
    else:
        cause = f"the C compiler {program!r} is on PATH now: reinstall hpexp to build it"
    return f"the {impl} kernel was not built when hpexp was installed ({cause})"
