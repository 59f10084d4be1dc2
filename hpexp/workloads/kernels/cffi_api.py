"""cffi's API mode: ``kernels.c`` compiled into its own extension module when hpexp was
installed (setup.py), so calls go through C-level bindings checked by the compiler."""

from hpexp.workloads.kernels._cffi_api import ffi, lib
from hpexp.workloads.kernels._cffi_calls import CffiKernels

_kernels = CffiKernels(ffi, lib)

julia_rows = _kernels.julia_rows
pi_count = _kernels.pi_count
diffusion = _kernels.diffusion
