/* C versions of the operations every spec and explorer performs on every transition.
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

/* record.replace(**changes): a copy with the named fields changed; the record itself when
 * every change gives a field the very object it holds already (a step that changes
 * nothing then allocates nothing). */
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
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    Py_ssize_t small[16];
    Py_ssize_t *where = small;
    if (nkw > 16) {
        where = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)nkw);
        if (where == NULL) {
            return PyErr_NoMemory();
        }
    }
    PyObject *result = NULL;
    PyObject *index = NULL;
    int same = 1;
    if (nkw > 0) {
        index = PyObject_GetAttr((PyObject *)tp, str_field_index);
        if (index == NULL) {
            goto done;
        }
    }
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        PyObject *pos = PyDict_GetItemWithError(index, name); /* borrowed */
        if (pos == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError, "%s.replace() got an unexpected keyword argument %R",
                             tp->tp_name, name);
            }
            goto done;
        }
        Py_ssize_t i = PyLong_AsSsize_t(pos);
        if (i < 1 || i >= n) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_SystemError, "corrupt record field index");
            }
            goto done;
        }
        where[k] = i;
        same &= PyTuple_GET_ITEM(self, i) == args[k];
    }
    if (same) {
        result = Py_NewRef(self);
        goto done;
    }
    result = alloc_record(tp, n);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(self, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(result, i, item);
    }
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *value = args[k];
        Py_INCREF(value);
        Py_SETREF(((PyTupleObject *)result)->ob_item[where[k]], value);
    }
done:
    Py_XDECREF(index);
    if (where != small) {
        PyMem_Free(where);
    }
    return result;
}

static PyMethodDef record_methods[] = {
    {"replace", (PyCFunction)(void (*)(void))record_replace, METH_FASTCALL | METH_KEYWORDS,
     "Return a copy with the given fields changed (itself if none changes)."},
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

/* set_at(t, index, value): ``t`` with item ``index`` replaced (a plain tuple); ``t`` itself
 * when it is a plain tuple that holds that very object there already. */
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
    if (PyTuple_GET_ITEM(t, i) == args[2] && PyTuple_CheckExact(t)) {
        return Py_NewRef(t); /* that very object is there already: nothing changes */
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


/* ---- fingerprints ----------------------------------------------------------------------
 *
 * The C version of modelcheck.fingerprint.fingerprint_py, which documents the encoding and
 * is the reference: a 64-bit hash of a canonical encoding of the value (its kind, its
 * class's name where it has one, its exact contents, its parts' fingerprints, a
 * frozenset's sorted), mixed with xxHash64's round and finished with its avalanche.
 *
 * Containers met below the top of a state are remembered in a small direct-mapped cache
 * keyed by the object's address. The cache holds a reference to each object it remembers,
 * so an address in it always names that same (immutable) object; a successor state shares
 * most of its parts with its parent, so most parts are looked up rather than walked.
 */

#include <stdint.h>
#include <string.h>

#define FP_P1 0x9E3779B185EBCA87ULL
#define FP_P2 0xC2B2AE3D27D4EB4FULL
#define FP_P3 0x165667B19E3779F9ULL
#define FP_P5 0x27D4EB2F165667C5ULL
#define FP_NAN_BITS 0x7FF8000000000000ULL

enum {
    K_UNSUPPORTED = 0, K_NONE = 1, K_FALSE, K_TRUE, K_INT, K_BIGINT, K_FLOAT, K_STR, K_BYTES,
    K_TUPLE, K_FROZENSET, K_RECORD, K_NAMED, K_ENUM, K_DATACLASS, K_CUSTOM, K_SUBCLASS,
};

static inline uint64_t
fp_round(uint64_t acc, uint64_t word)
{
    acc += word * FP_P2;
    acc = (acc << 31) | (acc >> 33);
    return acc * FP_P1;
}

static inline uint64_t
fp_avalanche(uint64_t h)
{
    h ^= h >> 33;
    h *= FP_P2;
    h ^= h >> 29;
    h *= FP_P3;
    return h ^ (h >> 32);
}

static inline uint64_t
fp_begin(uint64_t kind)
{
    return kind * FP_P1 + FP_P5;
}

static inline uint64_t
load_le64(const unsigned char *p, Py_ssize_t n)
{
    uint64_t w = 0;
    for (Py_ssize_t i = n - 1; i >= 0; i--) {
        w = (w << 8) | p[i];
    }
    return w;
}

static uint64_t
fp_bytes(uint64_t kind, const unsigned char *p, Py_ssize_t n)
{
    uint64_t acc = fp_round(fp_begin(kind), (uint64_t)n);
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(&w, p + i, 8);
#else
        w = load_le64(p + i, 8);
#endif
        acc = fp_round(acc, w);
    }
    if (i < n) {
        acc = fp_round(acc, load_le64(p + i, n - i));
    }
    return fp_avalanche(acc);
}

/* 256 entries (4 KiB) stay in the first-level cache beside the states being hashed; with
 * 4,096 the look-ups' cache misses cost more than the walks they saved (TwoPhase N=7 ran
 * 7% slower than with Python's hash, and 0% slower with 256). */
#define FP_CACHE_BITS 8
typedef struct {
    PyObject *obj; /* a strong reference, or NULL */
    uint64_t fp;
} fp_entry;
static fp_entry fp_cache[1 << FP_CACHE_BITS];

static inline fp_entry *
fp_slot(PyObject *o)
{
    uint64_t x = ((uint64_t)(uintptr_t)o >> 4) * FP_P1;
    return &fp_cache[x >> (64 - FP_CACHE_BITS)];
}

static void
fp_remember(PyObject *o, uint64_t fp)
{
    fp_entry *e = fp_slot(o);
    PyObject *old = e->obj;
    Py_INCREF(o);
    e->obj = o;
    e->fp = fp;
    Py_XDECREF(old); /* last: a destructor may run and fingerprint again */
}

static PyObject *fp_plans;       /* class -> plan tuple, see modelcheck.fingerprint.plan */
static PyObject *fp_plan_fn;     /* modelcheck.fingerprint.plan */
static PyObject *str_name_attr;  /* "_name_" */
static PyObject *str_fingerprint_attr; /* "__fingerprint__" */

static int fp_value(PyObject *v, uint64_t *out, int below);

static int
fp_str(PyObject *v, uint64_t *out)
{
    Py_ssize_t n;
    if (PyUnicode_IS_COMPACT_ASCII(v)) { /* its UTF-8 bytes are its data */
        *out = fp_bytes(K_STR, (const unsigned char *)PyUnicode_DATA(v), PyUnicode_GET_LENGTH(v));
        return 0;
    }
    const char *p = PyUnicode_AsUTF8AndSize(v, &n);
    if (p != NULL) {
        *out = fp_bytes(K_STR, (const unsigned char *)p, n);
        return 0;
    }
    /* Lone surrogates have no UTF-8 form: encode them as Python's surrogatepass does. */
    PyErr_Clear();
    PyObject *b = PyUnicode_AsEncodedString(v, "utf-8", "surrogatepass");
    if (b == NULL) {
        return -1;
    }
    *out = fp_bytes(K_STR, (const unsigned char *)PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
    Py_DECREF(b);
    return 0;
}

static int
fp_int(PyObject *v, uint64_t *out)
{
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (!overflow) {
        *out = fp_avalanche(fp_round(fp_begin(K_INT), (uint64_t)x));
        return 0;
    }
    /* Beyond 64 bits: the minimal little-endian two's complement bytes, as to_bytes. */
    PyObject *bits = PyObject_CallMethod(v, "bit_length", NULL);
    if (bits == NULL) {
        return -1;
    }
    Py_ssize_t nbits = PyLong_AsSsize_t(bits);
    Py_DECREF(bits);
    if (nbits == -1 && PyErr_Occurred()) {
        return -1;
    }
    PyObject *b = NULL;
    PyObject *meth = PyObject_GetAttrString(v, "to_bytes");
    PyObject *args = Py_BuildValue("(ns)", (nbits + 8) / 8, "little");
    PyObject *kw = Py_BuildValue("{s:O}", "signed", Py_True);
    if (meth != NULL && args != NULL && kw != NULL) {
        b = PyObject_Call(meth, args, kw);
    }
    Py_XDECREF(meth);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    if (b == NULL) {
        return -1;
    }
    *out = fp_bytes(K_BIGINT, (const unsigned char *)PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
    Py_DECREF(b);
    return 0;
}

static uint64_t
fp_float(double d)
{
    uint64_t bits;
    if (d != d) {
        bits = FP_NAN_BITS;
    }
    else {
        memcpy(&bits, &d, 8);
    }
    return fp_avalanche(fp_round(fp_begin(K_FLOAT), bits));
}

/* kind, length, [name,] then the fingerprint of every item of the tuple ``v``. */
static int
fp_tuple(uint64_t kind, PyObject *v, const uint64_t *name, uint64_t *out)
{
    Py_ssize_t n = PyTuple_GET_SIZE(v);
    uint64_t acc = fp_round(fp_begin(kind), (uint64_t)n);
    if (name != NULL) {
        acc = fp_round(acc, *name);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t h;
        if (fp_value(PyTuple_GET_ITEM(v, i), &h, 1) < 0) {
            return -1;
        }
        acc = fp_round(acc, h);
    }
    *out = fp_avalanche(acc);
    return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int
fp_frozenset(PyObject *v, uint64_t *out)
{
    Py_ssize_t n = PySet_GET_SIZE(v);
    uint64_t small[32];
    uint64_t *hs = small;
    if (n > 32) {
        hs = PyMem_Malloc(sizeof(uint64_t) * (size_t)n);
        if (hs == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    Py_ssize_t k = 0;
    int rc = 0;
#if PY_VERSION_HEX < 0x030D0000
    /* Walk the set's table without an iterator object (a public function until 3.13). */
    Py_ssize_t pos = 0;
    PyObject *x;
    Py_hash_t ignored;
    while (_PySet_NextEntry(v, &pos, &x, &ignored)) {
        if (k >= n || fp_value(x, &hs[k], 1) < 0) {
            rc = -1;
            break;
        }
        k++;
    }
#else
    PyObject *it = PyObject_GetIter(v);
    if (it == NULL) {
        rc = -1;
    }
    else {
        PyObject *x;
        while ((x = PyIter_Next(it)) != NULL) {
            int bad = k >= n || fp_value(x, &hs[k], 1) < 0;
            Py_DECREF(x);
            if (bad) {
                rc = -1;
                break;
            }
            k++;
        }
        Py_DECREF(it);
        if (rc == 0 && PyErr_Occurred()) {
            rc = -1;
        }
    }
#endif
    if (rc < 0 && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_RuntimeError, "a frozenset changed size while fingerprinted");
    }
    if (rc == 0) {
        if (k <= 16) { /* insertion sort: sets in states are small */
            for (Py_ssize_t i = 1; i < k; i++) {
                uint64_t h = hs[i];
                Py_ssize_t j = i;
                for (; j > 0 && hs[j - 1] > h; j--) {
                    hs[j] = hs[j - 1];
                }
                hs[j] = h;
            }
        }
        else {
            qsort(hs, (size_t)k, sizeof(uint64_t), cmp_u64);
        }
        uint64_t acc = fp_round(fp_begin(K_FROZENSET), (uint64_t)k);
        for (Py_ssize_t i = 0; i < k; i++) {
            acc = fp_round(acc, hs[i]);
        }
        *out = fp_avalanche(acc);
    }
    if (hs != small) {
        PyMem_Free(hs);
    }
    return rc;
}

/* The plan of class ``tp`` (a borrowed reference), asking modelcheck.fingerprint.plan. */
static PyObject *
fp_plan_of(PyTypeObject *tp)
{
    PyObject *p = PyDict_GetItemWithError(fp_plans, (PyObject *)tp);
    if (p != NULL || PyErr_Occurred()) {
        return p;
    }
    if (fp_plan_fn == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "modelcheck.fingerprint is not initialised");
        return NULL;
    }
    p = PyObject_CallOneArg(fp_plan_fn, (PyObject *)tp);
    if (p == NULL) {
        return NULL;
    }
    if (!PyTuple_Check(p) || PyTuple_GET_SIZE(p) != 4 || !PyLong_Check(PyTuple_GET_ITEM(p, 0))
        || !PyLong_Check(PyTuple_GET_ITEM(p, 1))) {
        Py_DECREF(p);
        PyErr_SetString(PyExc_SystemError, "bad fingerprint plan");
        return NULL;
    }
    int rc = PyDict_SetItem(fp_plans, (PyObject *)tp, p);
    Py_DECREF(p);
    return rc < 0 ? NULL : p; /* the dict holds it now */
}

/* A map (modelcheck.Map) whose items are the dict held in its attribute ``attr``: the
 * encoding of a class defining __fingerprint__ that returns (k1, v1, k2, v2, ...). */
static int
fp_map(PyObject *v, PyObject *attr, uint64_t name, uint64_t *out)
{
    PyObject *d = PyObject_GetAttr(v, attr);
    if (d == NULL) {
        return -1;
    }
    if (!PyDict_CheckExact(d)) {
        Py_DECREF(d);
        PyErr_SetString(PyExc_TypeError, "a Map's items are not a dict");
        return -1;
    }
    Py_ssize_t n = PyDict_GET_SIZE(d);
    uint64_t acc = fp_round(fp_begin(K_TUPLE), (uint64_t)(2 * n));
    Py_ssize_t pos = 0, seen = 0;
    PyObject *key, *value;
    int rc = 0;
    while (PyDict_Next(d, &pos, &key, &value)) {
        uint64_t hk, hv;
        if (++seen > n || fp_value(key, &hk, 1) < 0 || fp_value(value, &hv, 1) < 0) {
            rc = -1;
            break;
        }
        acc = fp_round(fp_round(acc, hk), hv);
    }
    if (rc == 0 && seen != n) {
        rc = -1;
    }
    if (rc < 0 && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_RuntimeError, "a Map's items changed while fingerprinted");
    }
    Py_DECREF(d);
    if (rc == 0) {
        *out = fp_avalanche(fp_round(fp_round(fp_begin(K_CUSTOM), name), fp_avalanche(acc)));
    }
    return rc;
}

/* A value of a class that is not one of the builtins handled inline. */
static int
fp_planned(PyObject *v, uint64_t *out)
{
    PyObject *plan = fp_plan_of(Py_TYPE(v));
    if (plan == NULL) {
        return -1;
    }
    long kind = PyLong_AsLong(PyTuple_GET_ITEM(plan, 0));
    uint64_t name = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(plan, 1));
    if (PyErr_Occurred()) {
        return -1;
    }
    uint64_t h;
    PyObject *part;
    switch (kind) {
    case K_RECORD:
        return fp_tuple(K_RECORD, v, NULL, out); /* item 0 is the record's type tag */
    case K_NAMED:
        return fp_tuple(K_NAMED, v, &name, out);
    case K_ENUM:
        part = PyObject_GetAttr(v, str_name_attr);
        break;
    case K_CUSTOM:
        if (PyTuple_Check(PyTuple_GET_ITEM(plan, 2))) {
            /* A modelcheck.Map: the plan names its dict, whose items are in canonical
             * order; fingerprinted as the tuple (k1, v1, k2, v2, ...) that __fingerprint__
             * returns, without building it. */
            return fp_map(v, PyTuple_GET_ITEM(PyTuple_GET_ITEM(plan, 2), 0), name, out);
        }
        part = PyObject_CallMethodNoArgs(v, str_fingerprint_attr);
        break;
    case K_DATACLASS: {
        PyObject *fields = PyTuple_GET_ITEM(plan, 2);
        Py_ssize_t n = PyTuple_GET_SIZE(fields);
        uint64_t acc = fp_round(fp_round(fp_begin(K_DATACLASS), (uint64_t)n), name);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *x = PyObject_GetAttr(v, PyTuple_GET_ITEM(fields, i));
            if (x == NULL) {
                return -1;
            }
            int rc = fp_value(x, &h, 1);
            Py_DECREF(x);
            if (rc < 0) {
                return -1;
            }
            acc = fp_round(acc, h);
        }
        *out = fp_avalanche(acc);
        return 0;
    }
    case K_SUBCLASS: {
        int rc;
        if (PyLong_Check(v)) {
            rc = fp_int(v, &h);
        }
        else if (PyUnicode_Check(v)) {
            rc = fp_str(v, &h);
        }
        else if (PyFloat_Check(v)) {
            h = fp_float(PyFloat_AS_DOUBLE(v));
            rc = 0;
        }
        else if (PyBytes_Check(v)) {
            h = fp_bytes(K_BYTES, (const unsigned char *)PyBytes_AS_STRING(v),
                         PyBytes_GET_SIZE(v));
            rc = 0;
        }
        else {
            rc = fp_frozenset(v, &h);
        }
        if (rc < 0) {
            return -1;
        }
        *out = fp_avalanche(fp_round(fp_round(fp_begin(K_SUBCLASS), name), h));
        return 0;
    }
    default: {
        PyObject *msg = PyTuple_GET_ITEM(plan, 3);
        if (PyUnicode_Check(msg)) {
            PyErr_SetObject(PyExc_TypeError, msg);
        }
        else {
            PyErr_Format(PyExc_TypeError, "cannot fingerprint a value of type %.200s",
                         Py_TYPE(v)->tp_name);
        }
        return -1;
    }
    }
    /* An enum's member name, or what __fingerprint__ returned. */
    if (part == NULL) {
        return -1;
    }
    int rc = fp_value(part, &h, 1);
    Py_DECREF(part);
    if (rc < 0) {
        return -1;
    }
    *out = fp_avalanche(fp_round(fp_round(fp_begin((uint64_t)kind), name), h));
    return 0;
}

/* The fingerprint of ``v`` into ``*out``; ``below``: ``v`` is a part of a state, whose
 * fingerprint is worth remembering when ``v`` is a container. */
static int
fp_value(PyObject *v, uint64_t *out, int below)
{
    PyTypeObject *tp = Py_TYPE(v);
    if (tp == &PyLong_Type) { /* ints are often fresh objects: not worth remembering */
        return fp_int(v, out);
    }
    fp_entry *e = NULL;
    if (below) {
        e = fp_slot(v);
        if (e->obj == v) {
            *out = e->fp;
            return 0;
        }
    }
    int rc = 0;
    if (tp == &PyUnicode_Type) {
        rc = fp_str(v, out);
    }
    else if (v == Py_None) {
        *out = fp_avalanche(fp_begin(K_NONE));
    }
    else if (tp == &PyBool_Type) {
        *out = fp_avalanche(fp_begin(v == Py_True ? K_TRUE : K_FALSE));
    }
    else if (tp == &PyFloat_Type) {
        *out = fp_float(PyFloat_AS_DOUBLE(v));
    }
    else if (tp == &PyBytes_Type) {
        *out = fp_bytes(K_BYTES, (const unsigned char *)PyBytes_AS_STRING(v),
                        PyBytes_GET_SIZE(v));
    }
    else {
        if (Py_EnterRecursiveCall(" while fingerprinting a state")) {
            return -1;
        }
        if (tp == &PyTuple_Type) {
            rc = fp_tuple(K_TUPLE, v, NULL, out);
        }
        else if (tp == &PyFrozenSet_Type) {
            rc = fp_frozenset(v, out);
        }
        else if (PyType_IsSubtype(tp, &RecordBase)) {
            rc = fp_tuple(K_RECORD, v, NULL, out);
        }
        else {
            rc = fp_planned(v, out);
        }
        Py_LeaveRecursiveCall();
    }
    if (rc == 0 && e != NULL) {
        fp_remember(v, *out);
    }
    return rc;
}

static PyObject *
fingerprint(PyObject *module, PyObject *v)
{
    uint64_t h;
    if (fp_value(v, &h, 0) < 0) {
        return NULL;
    }
    return PyLong_FromLongLong((long long)h);
}

/* fingerprints_into(states, out): out[i] = fingerprint(states[i]). */
static PyObject *
fingerprints_into(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "fingerprints_into(states, out) takes 2 arguments");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "fingerprints_into() needs a list of states");
    if (seq == NULL) {
        return NULL;
    }
    Py_buffer buf;
    if (PyObject_GetBuffer(args[1], &buf, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        Py_DECREF(seq);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *result = NULL;
    if (buf.itemsize != 8 || buf.format == NULL || (strcmp(buf.format, "q") != 0 &&
                                                    strcmp(buf.format, "l") != 0)) {
        PyErr_SetString(PyExc_TypeError, "fingerprints_into() needs an int64 buffer");
    }
    else if (buf.len / 8 < n) {
        PyErr_SetString(PyExc_ValueError, "fingerprints_into(): the buffer is too short");
    }
    else {
        int64_t *out = (int64_t *)buf.buf;
        PyObject **items = PySequence_Fast_ITEMS(seq);
        Py_ssize_t i = 0;
        for (; i < n; i++) {
            uint64_t h;
            if (fp_value(items[i], &h, 0) < 0) {
                break;
            }
            out[i] = (int64_t)h;
        }
        if (i == n) {
            result = Py_NewRef(Py_None);
        }
    }
    PyBuffer_Release(&buf);
    Py_DECREF(seq);
    return result;
}

static PyObject *
set_plan_function(PyObject *module, PyObject *fn)
{
    Py_XSETREF(fp_plan_fn, Py_NewRef(fn));
    PyDict_Clear(fp_plans);
    Py_RETURN_NONE;
}

static PyObject *
forget_fingerprints(PyObject *module, PyObject *unused)
{
    for (size_t i = 0; i < (1u << FP_CACHE_BITS); i++) {
        Py_CLEAR(fp_cache[i].obj);
    }
    PyDict_Clear(fp_plans);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"make", (PyCFunction)(void (*)(void))make, METH_FASTCALL,
     "make(cls, *items): a record of class cls holding items."},
    {"set_at", (PyCFunction)(void (*)(void))set_at, METH_FASTCALL,
     "set_at(t, index, value): t with item index replaced by value."},
    {"fingerprint", fingerprint, METH_O,
     "fingerprint(value): the 64-bit fingerprint of a state (see modelcheck.fingerprint)."},
    {"fingerprints_into", (PyCFunction)(void (*)(void))fingerprints_into, METH_FASTCALL,
     "fingerprints_into(states, out): out[i] = fingerprint(states[i]), out an int64 buffer."},
    {"set_plan_function", set_plan_function, METH_O,
     "set_plan_function(fn): how values of other classes are encoded (fn(cls) -> plan)."},
    {"forget_fingerprints", forget_fingerprints, METH_NOARGS,
     "Drop the remembered fingerprints of containers and the plans of classes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "modelcheck._speedups",
    "C versions of record construction, replace(), set_at() and state fingerprints.", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    str_field_index = PyUnicode_InternFromString("_field_index");
    str_name_attr = PyUnicode_InternFromString("_name_");
    str_fingerprint_attr = PyUnicode_InternFromString("__fingerprint__");
    fp_plans = PyDict_New();
    if (str_field_index == NULL || str_name_attr == NULL || str_fingerprint_attr == NULL ||
        fp_plans == NULL) {
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
