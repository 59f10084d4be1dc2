# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The Cython kernels' loops spread over OpenMP threads inside one call: the book's ``prange``
with ``schedule="guided"`` inside ``with nogil`` (``julia/cython/nparray_memoryview/parallel``).

``threads`` is OpenMP's ``num_threads``. Each cell's arithmetic is ``_cython.pyx``'s, so the
julia checksum and the diffusion grid are the same whatever the thread count.
"""

from cython.parallel cimport prange
from libc.math cimport hypot


def julia_rows(const double[::1] xs, const double[::1] ys, double complex c,
               long long max_iterations, int threads):
    cdef Py_ssize_t row, col
    cdef long long n, total = 0
    cdef double z_real, z_imag, next_real
    cdef double c_real = c.real, c_imag = c.imag
    for row in prange(ys.shape[0], nogil=True, schedule="guided", num_threads=threads):
        for col in range(xs.shape[0]):
            z_real = xs[col]
            z_imag = ys[row]
            n = 0
            while n < max_iterations and hypot(z_real, z_imag) < 2.0:
                next_real = (z_real * z_real - z_imag * z_imag) + c_real
                z_imag = (z_real * z_imag + z_imag * z_real) + c_imag
                z_real = next_real
                n = n + 1
            total += n
    return total


def diffusion_evolve(double[:, ::1] grid, double[:, ::1] scratch, long long iterations,
                     double d_dt, int threads):
    """``_cython.pyx``'s periodic steps, each step's rows shared out over ``threads``; the
    result is in ``grid`` (``scratch`` is overwritten)."""
    cdef Py_ssize_t rows = grid.shape[0], cols = grid.shape[1]
    cdef Py_ssize_t i, j, up, down, left, right
    cdef long long step
    cdef double laplacian
    cdef double[:, ::1] source = grid
    cdef double[:, ::1] target = scratch
    cdef double[:, ::1] swap
    for step in range(iterations):
        for i in prange(rows, nogil=True, schedule="guided", num_threads=threads):
            up = (i + rows - 1) % rows
            down = (i + 1) % rows
            for j in range(cols):
                left = (j + cols - 1) % cols
                right = (j + 1) % cols
                laplacian = (source[up, j] + source[down, j] + source[i, left]
                             + source[i, right] - 4 * source[i, j])
                target[i, j] = source[i, j] + d_dt * laplacian
        swap = source
        source = target
        target = swap
    if iterations % 2:
        grid[:, :] = source
