/* The C kernels' functions: what ctypes, cffi (its cdef reads this file: plain declarations
 * only, no preprocessor lines) and the CPython extension call. */
long long julia_rows(const double *xs, long long nx, const double *ys, long long ny,
                     double c_real, double c_imag, long long max_iterations);
long long pi_count(long long samples, uint64_t seed);
void diffusion_step(const double *in, double *out, long long rows, long long cols, double d_dt);
