"""Build hooks the declarative ``pyproject.toml`` cannot express.

- Chapter 7's compiled kernels: ``_cython.pyx`` (Cython) and ``kernels.c`` (a plain shared
  library for ctypes). Either one failing to compile (no C compiler) leaves hpexp installable;
  ``impl=cython`` / ``impl=ctypes`` then say in one line that the kernel was not built and why.
- The top-level ``conf/`` ships inside the wheel as ``hpexp/conf``, so a non-editable install
  finds its configs from any directory.
"""

import shutil
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

KERNELS = "hpexp/workloads/kernels"
#: the plain C library's extension name: setuptools needs one; the file is a library
C_LIBRARY = "hpexp.workloads.kernels.libhpexp_kernels"
#: the kernels must round exactly as CPython does: no fused multiply-add
STRICT_FLOATS = ["-O3", "-ffp-contract=off"]


class OptionalBuildExt(build_ext):
    """Compile what can be compiled; a kernel that cannot be is reported, never fatal."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all: distutils' PlatformError and kin
            self.warn(f"hpexp: compiled kernels not built ({exc})")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # CompileError, LinkError: this kernel only
            self.warn(f"hpexp: {ext.name} not built ({exc})")

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
            )
        ],
        build_dir="build/cython",
        quiet=True,
    ),
    Extension(
        C_LIBRARY,
        [f"{KERNELS}/kernels.c"],
        extra_compile_args=STRICT_FLOATS,
        export_symbols=["julia_rows", "pi_count", "diffusion_evolve"],
    ),
]

setup(
    ext_modules=extensions,
    cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithConfigs},
)
