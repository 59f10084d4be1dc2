"""Whether the compiled kernels were built when hpexp was installed, and why not if not."""

import importlib.util
import os
import shlex
import shutil
import sysconfig


def is_built(module: str) -> bool:
    """The compiled module is installed (found without loading it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def not_built_reason(impl: str) -> str:
    """One line: the kernel is missing, the likely cause, and how to get it."""
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    program = (shlex.split(compiler) or ["cc"])[0]
    if shutil.which(program) is None:
        cause = f"no C compiler: {program!r} is not on PATH; install one, then reinstall hpexp"
    else:
        cause = f"the C compiler {program!r} is on PATH now: reinstall hpexp to build it"
    return f"the {impl} kernel was not built when hpexp was installed ({cause})"
