"""cffi's ABI mode: the C library (``libhpexp_kernels.so.1``) opened with ``ffi.dlopen`` and
called through the declarations of ``kernels.h``, parsed at import (no compiler at run time)."""

from pathlib import Path

from cffi import FFI

from hpexp.workloads.kernels._cffi_calls import CffiKernels
from hpexp.workloads.kernels.availability import C_LIBRARY

_ffi = FFI()
_ffi.cdef(Path(__file__).with_name("kernels.h").read_text())
_kernels = CffiKernels(_ffi, _ffi.dlopen(str(C_LIBRARY)))

julia_rows = _kernels.julia_rows
pi_count = _kernels.pi_count
diffusion = _kernels.diffusion
