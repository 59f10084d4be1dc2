/* A hand-written CPython extension around the C kernels (kernels.c): the book's
 * cpython_module route, where Python's own C API parses the arguments and hands the arrays'
 * memory to C.
 *
 * The arrays arrive through the buffer protocol (PEP 3118), which numpy arrays speak: the same
 * zero-copy view of their memory as the book's numpy C API, without numpy's headers at build
 * time. Every call releases the GIL around the C loop, as ctypes and cffi do, so threads
 * calling it overlap.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "kernels.h"

/* A C-contiguous buffer of doubles with `ndim` dimensions, or an exception set. */
static int double_buffer(PyObject *object, Py_buffer *view, int ndim, int writable,
                         const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0)
        return -1;
    if (view->ndim != ndim || view->format == NULL || view->format[0] != 'd'
        || view->format[1] != '\0') {
        PyErr_Format(PyExc_TypeError, "%s must be a %d-D C-contiguous array of float64", name,
                     ndim);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *py_julia_rows(PyObject *self, PyObject *args)
{
    PyObject *xs_object, *ys_object;
    double c_real, c_imag;
    long long max_iterations, total;
    Py_buffer xs, ys;
    if (!PyArg_ParseTuple(args, "OOddL", &xs_object, &ys_object, &c_real, &c_imag,
                          &max_iterations))
        return NULL;
    if (double_buffer(xs_object, &xs, 1, 0, "xs") < 0)
        return NULL;
    if (double_buffer(ys_object, &ys, 1, 0, "ys") < 0) {
        PyBuffer_Release(&xs);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    total = julia_rows(xs.buf, xs.shape[0], ys.buf, ys.shape[0], c_real, c_imag, max_iterations);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&xs);
    PyBuffer_Release(&ys);
    return PyLong_FromLongLong(total);
}

static PyObject *py_pi_count(PyObject *self, PyObject *args)
{
    long long samples, inside;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "LK", &samples, &seed))
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    inside = pi_count(samples, (uint64_t)seed);
    Py_END_ALLOW_THREADS
    return PyLong_FromLongLong(inside);
}

static PyObject *py_diffusion_step(PyObject *self, PyObject *args)
{
    PyObject *grid_object, *out_object;
    double d_dt;
    Py_buffer grid, out;
    if (!PyArg_ParseTuple(args, "OOd", &grid_object, &out_object, &d_dt))
        return NULL;
    if (double_buffer(grid_object, &grid, 2, 0, "grid") < 0)
        return NULL;
    if (double_buffer(out_object, &out, 2, 1, "out") < 0) {
        PyBuffer_Release(&grid);
        return NULL;
    }
    if (grid.shape[0] != out.shape[0] || grid.shape[1] != out.shape[1]) {
        PyErr_SetString(PyExc_ValueError, "grid and out must have the same shape");
    } else {
        Py_BEGIN_ALLOW_THREADS
        diffusion_step(grid.buf, out.buf, grid.shape[0], grid.shape[1], d_dt);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&grid);
    PyBuffer_Release(&out);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"julia_rows", py_julia_rows, METH_VARARGS,
     "julia_rows(xs, ys, c_real, c_imag, max_iterations) -> iterations summed over the grid"},
    {"pi_count", py_pi_count, METH_VARARGS,
     "pi_count(samples, seed) -> points inside the quarter circle (splitmix64)"},
    {"diffusion_step", py_diffusion_step, METH_VARARGS,
     "diffusion_step(grid, out, d_dt): one periodic diffusion step of grid into out"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_cext", "The C kernels as a hand-written CPython extension.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__cext(void) { return PyModule_Create(&module); }
