# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""hpexp's chapter 7 kernels in Cython: typed loops that run ``with nogil``, so threads overlap.

The same arithmetic as ``kernels.c`` (CPython's complex steps, splitmix64 for pi): the checksum
equals the pure-Python kernel's, and pi's estimate equals the C and numba kernels'.
"""

from libc.math cimport hypot
from libc.stdint cimport uint64_t


def julia_rows(const double[::1] xs, const double[::1] ys, double complex c,
               long long max_iterations):
    cdef Py_ssize_t row, col
    cdef long long n, total = 0
    cdef double z_real, z_imag, next_real
    cdef double c_real = c.real, c_imag = c.imag
    with nogil:
        for row in range(ys.shape[0]):
            for col in range(xs.shape[0]):
                z_real = xs[col]
                z_imag = ys[row]
                n = 0
                while n < max_iterations and hypot(z_real, z_imag) < 2.0:
                    next_real = (z_real * z_real - z_imag * z_imag) + c_real
                    z_imag = (z_real * z_imag + z_imag * z_real) + c_imag
                    z_real = next_real
                    n += 1
                total += n
    return total


cdef inline double next_unit(uint64_t *state) noexcept nogil:
    state[0] += 0x9E3779B97F4A7C15ULL
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    z = z ^ (z >> 31)
    return <double>(z >> 11) * (1.0 / 9007199254740992.0)


def pi_count(long long samples, uint64_t seed):
    cdef uint64_t state = seed
    cdef long long i, inside = 0
    cdef double x, y
    with nogil:
        for i in range(samples):
            x = next_unit(&state)
            y = next_unit(&state)
            if x * x + y * y <= 1.0:
                inside += 1
    return inside


def diffusion_evolve(double[:, ::1] grid, double[:, ::1] scratch, long long iterations,
                     double d_dt):
    """``kernels.c``'s periodic diffusion steps in numpy's order of operations; the result is
    in ``grid`` (``scratch`` is overwritten)."""
    cdef Py_ssize_t rows = grid.shape[0], cols = grid.shape[1]
    cdef Py_ssize_t i, j, up, down, left, right
    cdef long long step
    cdef double laplacian
    cdef double[:, ::1] source = grid
    cdef double[:, ::1] target = scratch
    cdef double[:, ::1] swap
    with nogil:
        for step in range(iterations):
            for i in range(rows):
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
