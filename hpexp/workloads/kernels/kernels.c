/* hpexp's chapter 7 kernels in plain C, built into a shared library when hpexp is installed and
 * called through ctypes and cffi's ABI mode (kernels.h declares what they call); cffi's API mode
 * and the hand-written CPython extension compile it into their own modules.
 *
 * The arithmetic follows CPython's complex type step by step (the same products, sums and
 * hypot), so julia_rows gives the pure-Python kernel's checksum exactly. pi_count draws from
 * splitmix64, the generator the Cython and numba kernels use too, so those three agree exactly.
 */
#include <math.h>
#include <stdint.h>

#include "kernels.h"

long long julia_rows(const double *xs, long long nx, const double *ys, long long ny,
                     double c_real, double c_imag, long long max_iterations)
{
    long long total = 0;
    for (long long row = 0; row < ny; row++) {
        for (long long col = 0; col < nx; col++) {
            double z_real = xs[col], z_imag = ys[row];
            long long n = 0;
            while (n < max_iterations && hypot(z_real, z_imag) < 2.0) {
                double next_real = (z_real * z_real - z_imag * z_imag) + c_real;
                z_imag = (z_real * z_imag + z_imag * z_real) + c_imag;
                z_real = next_real;
                n++;
            }
            total += n;
        }
    }
    return total;
}

static inline double next_unit(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

long long pi_count(long long samples, uint64_t seed)
{
    uint64_t state = seed;
    long long inside = 0;
    for (long long i = 0; i < samples; i++) {
        double x = next_unit(&state);
        double y = next_unit(&state);
        if (x * x + y * y <= 1.0)
            inside++;
    }
    return inside;
}

/* One step of the 2D diffusion of the book's chapter 7 (diffusion.c's evolve), on a periodic
 * grid and in numpy's order of operations (up + down + left + right - 4 * centre, then
 * centre + d_dt * laplacian), so the grid it gives is the numpy solver's, bit for bit. */
void diffusion_step(const double *in, double *out, long long rows, long long cols, double d_dt)
{
    for (long long i = 0; i < rows; i++) {
        const double *up = in + ((i + rows - 1) % rows) * cols;
        const double *row = in + i * cols;
        const double *down = in + ((i + 1) % rows) * cols;
        double *target = out + i * cols;
        for (long long j = 0; j < cols; j++) {
            long long left = (j + cols - 1) % cols, right = (j + 1) % cols;
            double laplacian = up[j] + down[j] + row[left] + row[right] - 4 * row[j];
            target[j] = row[j] + d_dt * laplacian;
        }
    }
}
