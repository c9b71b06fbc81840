/* C versions of the three operations every spec performs on every transition.
 *
 * modelcheck.state defines records as tuple subclasses and works without this module
 * (pure Python, identical behaviour); when it is compiled, records inherit ``replace``
 * from RecordBase here, are built by ``make`` and ``set_at`` is this one. Each saves the
 * interpreter's argument parsing and the temporary tuples of the Python versions:
 * ``replace`` builds the new record in one allocation, ``make`` builds a record from its
 * items without going through ``tuple.__new__``'s generic path.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *str_field_index; /* "_field_index": field name -> tuple position */

/* A new instance of the tuple subclass ``tp`` with ``n`` items, all NULL. */
static PyObject *
alloc_record(PyTypeObject *tp, Py_ssize_t n)
{
    return tp->tp_alloc(tp, n);
}

/* record.replace(**changes): a copy with the named fields changed. */
static PyObject *
record_replace(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs != 0) {
        PyErr_SetString(PyExc_TypeError,
                        "replace() takes keyword arguments only, e.g. s.replace(field=value)");
        return NULL;
    }
    PyTypeObject *tp = Py_TYPE(self);
    Py_ssize_t n = PyTuple_GET_SIZE(self);
    PyObject *result = alloc_record(tp, n);
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(self, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(result, i, item);
    }
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nkw == 0) {
        return result;
    }
    PyObject *index = PyObject_GetAttr((PyObject *)tp, str_field_index);
    if (index == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        PyObject *pos = PyDict_GetItemWithError(index, name); /* borrowed */
        if (pos == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError, "%s.replace() got an unexpected keyword argument %R",
                             tp->tp_name, name);
            }
            Py_DECREF(index);
            Py_DECREF(result);
            return NULL;
        }
        Py_ssize_t i = PyLong_AsSsize_t(pos);
        if (i < 1 || i >= n) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_SystemError, "corrupt record field index");
            }
            Py_DECREF(index);
            Py_DECREF(result);
            return NULL;
        }
        PyObject *value = args[k];
        Py_INCREF(value);
        Py_SETREF(((PyTupleObject *)result)->ob_item[i], value);
    }
    Py_DECREF(index);
    return result;
}

static PyMethodDef record_methods[] = {
    {"replace", (PyCFunction)(void (*)(void))record_replace, METH_FASTCALL | METH_KEYWORDS,
     "Return a copy with the given fields changed."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RecordBase = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "modelcheck._speedups.RecordBase",
    .tp_doc = "Tuple base of modelcheck records, with a C replace().",
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = record_methods,
};

/* make(cls, *items): an instance of the record class ``cls`` holding ``items``. */
static PyObject *
make(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || !PyType_Check(args[0]) ||
        !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "make(cls, *items) needs a tuple subclass");
        return NULL;
    }
    Py_ssize_t n = nargs - 1;
    PyObject *result = alloc_record((PyTypeObject *)args[0], n);
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = args[i + 1];
        Py_INCREF(item);
        PyTuple_SET_ITEM(result, i, item);
    }
    return result;
}

/* set_at(t, index, value): ``t`` with item ``index`` replaced (a plain tuple). */
static PyObject *
set_at(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "set_at(t, index, value) takes 3 arguments");
        return NULL;
    }
    PyObject *t = args[0];
    if (!PyTuple_Check(t)) {
        PyErr_Format(PyExc_TypeError, "set_at() needs a tuple, not %.100s",
                     Py_TYPE(t)->tp_name);
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    Py_ssize_t i = PyNumber_AsSsize_t(args[1], PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (i < 0) {
        i += n;
    }
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "set_at index out of range");
        return NULL;
    }
    PyObject *result = PyTuple_New(n);
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *item = k == i ? args[2] : PyTuple_GET_ITEM(t, k);
        Py_INCREF(item);
        PyTuple_SET_ITEM(result, k, item);
    }
    return result;
}

static PyMethodDef module_methods[] = {
    {"make", (PyCFunction)(void (*)(void))make, METH_FASTCALL,
     "make(cls, *items): a record of class cls holding items."},
    {"set_at", (PyCFunction)(void (*)(void))set_at, METH_FASTCALL,
     "set_at(t, index, value): t with item index replaced by value."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "modelcheck._speedups",
    "C versions of record construction, replace() and set_at().", -1, module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    str_field_index = PyUnicode_InternFromString("_field_index");
    if (str_field_index == NULL) {
        return NULL;
    }
    RecordBase.tp_base = &PyTuple_Type;
    if (PyType_Ready(&RecordBase) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&RecordBase);
    if (PyModule_AddObject(m, "RecordBase", (PyObject *)&RecordBase) < 0) {
        Py_DECREF(&RecordBase);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
