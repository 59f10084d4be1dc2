"""Build hooks the declarative ``pyproject.toml`` cannot express.

- Chapter 7's compiled kernels, one per route: ``_cython.pyx`` (Cython) and
  ``_cython_openmp.pyx`` (its ``prange`` twin, built with OpenMP), ``kernels.c`` as a plain
  shared library (ctypes, cffi's ABI mode), as cffi's API-mode module and inside the
  hand-written extension ``_cext.c``, and ``diffusion.f90`` through ``numpy.f2py``. Any of them
  failing to build (no C or Fortran compiler, no OpenMP) leaves hpexp installable; its ``impl``
  then says in one line that the kernel was not built and why.
- The top-level ``conf/`` ships inside the wheel as ``hpexp/conf``, so a non-editable install
  finds its configs from any directory.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cffi import FFI
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

KERNELS = "hpexp/workloads/kernels"
#: the plain C library's extension name: setuptools needs one; the file is a library
C_LIBRARY = "hpexp.workloads.kernels.libhpexp_kernels"
#: the kernels must round exactly as CPython does: no fused multiply-add
STRICT_FLOATS = ["-O3", "-ffp-contract=off"]


class FortranExtension(Extension):
    """A Fortran module wrapped by ``numpy.f2py`` (its meson backend), not by setuptools."""


def cffi_api_source() -> str:
    """cffi's API-mode C module around ``kernels.c``, written where setuptools compiles it."""
    builder = FFI()
    builder.cdef(Path(KERNELS, "kernels.h").read_text())
    builder.set_source("hpexp.workloads.kernels._cffi_api", '#include "kernels.h"')
    target = Path("build", "cffi", "_cffi_api.c")
    target.parent.mkdir(parents=True, exist_ok=True)
    builder.emit_c_code(str(target))
    return str(target)


class OptionalBuildExt(build_ext):
    """Compile what can be compiled; a kernel that cannot be is reported, never fatal."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all: distutils' PlatformError and kin
            self.warn(f"hpexp: compiled kernels not built ({exc})")

    def build_extension(self, ext: Extension) -> None:
        try:
            if isinstance(ext, FortranExtension):
                self.build_fortran(ext)
            else:
                super().build_extension(ext)
        except Exception as exc:  # CompileError, LinkError, f2py's failure: this kernel only
            self.warn(f"hpexp: {ext.name} not built ({exc})")

    def build_fortran(self, ext: FortranExtension) -> None:
        """``python -m numpy.f2py -c`` in a scratch directory, the module copied into place."""
        compiler = os.environ.get("FC", "gfortran")
        if shutil.which(compiler) is None:
            raise RuntimeError(f"no Fortran compiler: {compiler!r} is not on PATH")
        module = ext.name.rpartition(".")[2]
        with tempfile.TemporaryDirectory() as scratch:
            source = str(Path(ext.sources[0]).resolve())
            command = [sys.executable, "-m", "numpy.f2py", "-c", source, "-m", module]
            command += ["--backend", "meson", "--build-dir", f"{scratch}/build"]
            environment = {**os.environ, "FFLAGS": " ".join(STRICT_FLOATS)}
            done = subprocess.run(
                command, cwd=scratch, env=environment, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise RuntimeError(f"numpy.f2py failed: {done.stdout[-400:]}{done.stderr[-400:]}")
            (built,) = Path(scratch).glob(f"{module}.*.so")
            target = Path(self.get_ext_fullpath(ext.name))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built, target)

    def get_export_symbols(self, ext: Extension) -> list[str]:
        """The C library is no Python module: it exports its own functions, no ``PyInit_``."""
        if ext.name == C_LIBRARY:
            return ext.export_symbols
        return super().get_export_symbols(ext)

    def get_ext_filename(self, fullname: str) -> str:
        """The C library gets a plain library name (``libhpexp_kernels.so.1``):
        ``_c.cpython-311-x86_64-linux-gnu.so`` would claim to be a Python module, and importing
        it (pkgutil, pydoc, sphinx) fails.
        Setuptools asks with the whole dotted name, distutils with its last part."""
        *package, name = fullname.split(".")
        if name == C_LIBRARY.rpartition(".")[2]:
            # ``.so.1``, a versioned library's name: a bare ``.so`` is an extension suffix too
            return str(Path(*package, f"{name}.so.1"))
        return super().get_ext_filename(fullname)


class BuildPyWithConfigs(build_py):
    """Copy ``conf/`` into the built package."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "hpexp" / "conf"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree("conf", target, ignore=shutil.ignore_patterns("__pycache__"))


extensions = [
    *cythonize(
        [
            Extension(
                "hpexp.workloads.kernels._cython",
                [f"{KERNELS}/_cython.pyx"],
                extra_compile_args=STRICT_FLOATS,
            ),
            Extension(
                "hpexp.workloads.kernels._cython_openmp",
                [f"{KERNELS}/_cython_openmp.pyx"],
                extra_compile_args=[*STRICT_FLOATS, "-fopenmp"],
                extra_link_args=["-fopenmp"],
            ),
        ],
        build_dir="build/cython",
        quiet=True,
    ),
    Extension(
        C_LIBRARY,
        [f"{KERNELS}/kernels.c"],
        extra_compile_args=STRICT_FLOATS,
        export_symbols=["julia_rows", "pi_count", "diffusion_step"],
    ),
    Extension(
        "hpexp.workloads.kernels._cffi_api",
        [cffi_api_source(), f"{KERNELS}/kernels.c"],
        include_dirs=[KERNELS],
        extra_compile_args=STRICT_FLOATS,
    ),
    Extension(
        "hpexp.workloads.kernels._cext",
        [f"{KERNELS}/_cext.c", f"{KERNELS}/kernels.c"],
        include_dirs=[KERNELS],
        extra_compile_args=STRICT_FLOATS,
    ),
    FortranExtension("hpexp.workloads.kernels._fortran", [f"{KERNELS}/diffusion.f90"]),
]

setup(
    ext_modules=extensions,
    cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithConfigs},
)
