/* python-reactor.c: CPython as a WASI reactor that wasmplay can snapshot.
 *
 * A cold start of python.wasm spends most of a short run initialising the
 * interpreter (about 110 M instructions: the import system, encodings, the
 * stdlib zip's directory, site). The reactor splits that off:
 *
 *   wasmplay_init  initialises CPython from the WASI argv ("python -u -B")
 *                  and environment, then returns. The host copies the
 *                  linear memory that results: the snapshot.
 *   wasmplay_run   runs in a fresh instance whose memory the host has set
 *                  back to the snapshot: it takes the run's own environment,
 *                  preopens, working directory and argv
 *                  ("python -u -B SCRIPT ARGS..."), runs SCRIPT as
 *                  `python SCRIPT` would, ends it as `python` does as far
 *                  as the program can tell (atexit handlers, files flushed)
 *                  without tearing the interpreter down, and exits with
 *                  the status `python` would.
 *
 * What CPython read at initialisation (PYTHON* variables, locale, flags) is
 * the snapshot's; the host only uses a snapshot for runs that agree with it
 * and starts python.wasm cold otherwise.
 */
#include "Python.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>
#include <wasi/libc-environ.h>
#include <wasi/libc.h>

/* In wasi-libc (for snapshotting tools), not in its headers. */
void __wasilibc_reset_preopens(void);

/* The run step's Python half, defined at initialisation (so it is part of
 * the snapshot) and called with (environ as a bytes dict, argv as a list of
 * str, the index of the script in argv). */
static const char prepare_source[] =
    "def _wasmplay_prepare(env, argv, script_index):\n"
    "    import os, sys\n"
    "    # os.environ was filled from the snapshot's environment.\n"
    "    os.environ._data.clear()\n"
    "    os.environ._data.update(env)\n"
    "    script = argv[script_index]\n"
    "    sys.orig_argv = list(argv)\n"
    "    sys.argv = argv[script_index:]\n"
    "    # PYTHONPATH as this run sets it, ahead of the standard library.\n"
    "    before = [p for p in _wasmplay_init_path if p in sys.path]\n"
    "    now = [p for p in os.environ.get('PYTHONPATH', '').split(':') if p]\n"
    "    for p in before:\n"
    "        sys.path.remove(p)\n"
    "    sys.path[0:0] = now\n"
    "    # Directory listings cached at initialisation describe the\n"
    "    # snapshot's directories, not this run's: keep only the stdlib zip.\n"
    "    for p, finder in list(sys.path_importer_cache.items()):\n"
    "        if type(finder).__name__ != 'zipimporter':\n"
    "            del sys.path_importer_cache[p]\n"
    "    # What `python SCRIPT` puts first on the path.\n"
    "    sys.path.insert(0, os.path.dirname(script))\n"
    "    # The modules the snapshot imported ahead are the standard\n"
    "    # library's. Should this run's own directories, searched before it,\n"
    "    # hold a module of one of their names (a random.py, a json/), a cold\n"
    "    # start would import that one, and the stdlib modules importing it\n"
    "    # would see it too: forget them all, so every import resolves as in\n"
    "    # a cold start.\n"
    "    if _wasmplay_preimported:\n"
    "        for d in [sys.path[0]] + now:\n"
    "            try:\n"
    "                entries = os.listdir(d)\n"
    "            except OSError:\n"
    "                continue\n"
    "            if any(e.partition('.')[0] in _wasmplay_preimported for e in entries):\n"
    "                for name in _wasmplay_preimported_modules:\n"
    "                    sys.modules.pop(name, None)\n"
    "                break\n"
    "    # The time zone as this run's TZ says (read when time was imported).\n"
    "    tzset = getattr(sys.modules.get('time'), 'tzset', None)\n"
    "    if tzset is not None:\n"
    "        tzset()\n"
    "    if [p for p in now if p not in _wasmplay_init_path]:\n"
    "        # site imports sitecustomize at start-up; a directory added\n"
    "        # only for this run may hold one.\n"
    "        try:\n"
    "            import sitecustomize\n"
    "        except ImportError as exc:\n"
    "            if exc.name != 'sitecustomize':\n"
    "                raise\n"
    "\n"
    "def _wasmplay_preimport(names):\n"
    "    # Import ahead what LLM-written code imports, so runs start with it\n"
    "    # loaded; returns the top-level names and the modules it added.\n"
    "    import sys\n"
    "    before = set(sys.modules)\n"
    "    for name in names:\n"
    "        try:\n"
    "            __import__(name)\n"
    "        except Exception:\n"
    "            pass\n"
    "    added = set(sys.modules) - before\n"
    "    for held in ('random', 'tempfile', 'uuid', 'secrets', 'statistics'):\n"
    "        if held in added:\n"
    "            raise RuntimeError(held + ' holds per-process random state: it must not be in the snapshot')\n"
    "    return frozenset(m.partition('.')[0] for m in added), sorted(added)\n"
;

static PyObject *prepare_fn;

/* In the patched pylifecycle.c (python-wasi.patch): when set, finalising
 * stops after the atexit handlers, this hook and flushing sys.stdout and
 * sys.stderr, instead of tearing the interpreter down. */
extern int (*_Py_wasmplay_quick_exit)(void);

/* flush_if_open flushes a file object unless it is closed; errors are
 * dropped, as when finalising deallocates the object. */
static void flush_if_open(PyObject *f) {
    PyObject *closed = PyObject_GetAttrString(f, "closed");
    int is_closed = closed == NULL ? 1 : PyObject_IsTrue(closed);
    Py_XDECREF(closed);
    if (is_closed == 0) {
        PyObject *done = PyObject_CallMethod(f, "flush", NULL);
        Py_XDECREF(done);
    }
    PyErr_Clear();
}

/* opened_for_writing is set once the run opens a file for writing: only
 * then can a file be left open with buffered data in it. */
static int opened_for_writing;

/* watch_opens is an audit hook: every file object (io.open, FileIO) and
 * os.open raises "open" with (path, mode or None, flags). It sets
 * opened_for_writing for a mode or flags that can write. */
static int watch_opens(const char *event, PyObject *args, void *data) {
    (void)data;
    if (opened_for_writing || strcmp(event, "open") != 0 || !PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 3) {
        return 0;
    }
    PyObject *mode = PyTuple_GET_ITEM(args, 1);
    if (PyUnicode_Check(mode)) {
        const char *m = PyUnicode_AsUTF8(mode);
        if (m == NULL || strpbrk(m, "wax+") != NULL) {
            opened_for_writing = 1;
        }
    } else {
        long flags = PyLong_AsLong(PyTuple_GET_ITEM(args, 2));
        if (flags == -1 || (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND)) != 0) {
            opened_for_writing = 1;
        }
    }
    PyErr_Clear();
    return 0;
}

/* end_run_quickly writes what tearing the interpreter down would: the
 * files the program left open, flushed as their objects would be on
 * deallocation (text layers first, then the buffers beneath them);
 * sys.stdout and sys.stderr are flushed after it, as Py_FinalizeEx does.
 * The instance is discarded when the run exits, so nothing else needs
 * freeing. The objects are walked in C: a Python loop over the ~10k
 * objects of an interpreter costs more than finalising did. */
static int end_run_quickly(void) {
    if (!opened_for_writing) {
        return 0; /* no file the run opened can hold unwritten data */
    }
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *io = PyImport_ImportModule("io");
    PyObject *objects = gc ? PyObject_CallMethod(gc, "get_objects", NULL) : NULL;
    PyObject *text = io ? PyObject_GetAttrString(io, "TextIOWrapper") : NULL;
    PyObject *writer = io ? PyObject_GetAttrString(io, "BufferedWriter") : NULL;
    PyObject *random = io ? PyObject_GetAttrString(io, "BufferedRandom") : NULL;
    if (objects != NULL && PyList_Check(objects) && PyType_Check(text) && PyType_Check(writer) && PyType_Check(random)) {
        PyObject *out = PySys_GetObject("stdout"), *err = PySys_GetObject("stderr");
        for (int pass = 0; pass < 2; pass++) {
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objects); i++) {
                PyObject *o = PyList_GET_ITEM(objects, i);
                int match = pass == 0 ? PyObject_TypeCheck(o, (PyTypeObject *)text)
                                      : PyObject_TypeCheck(o, (PyTypeObject *)writer) ||
                                            PyObject_TypeCheck(o, (PyTypeObject *)random);
                if (match && o != out && o != err) {
                    flush_if_open(o);
                }
            }
        }
    }
    PyErr_Clear();
    Py_XDECREF(random);
    Py_XDECREF(writer);
    Py_XDECREF(text);
    Py_XDECREF(objects);
    Py_XDECREF(io);
    Py_XDECREF(gc);
    return 0;
}

/* read_args returns the WASI argv (NULL-terminated) and its length. */
static char **read_args(int *argc) {
    size_t count = 0, size = 0;
    if (__wasi_args_sizes_get(&count, &size) != 0) {
        return NULL;
    }
    char **argv = calloc(count + 1, sizeof(char *));
    char *buf = malloc(size ? size : 1);
    if (argv == NULL || buf == NULL) {
        return NULL;
    }
    if (__wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
        return NULL;
    }
    *argc = (int)count;
    return argv;
}

/* start_in_pwd moves to the directory PWD names, as python.wasm's main()
 * does (WASI starts programs in "/"). */
static void start_in_pwd(void) {
    const char *pwd = getenv("PWD");
    if (pwd != NULL && pwd[0] == '/') {
        (void)chdir(pwd);
    }
}

static void fail(const char *what) {
    fprintf(stderr, "wasmplay reactor: %s\n", what);
    if (PyErr_Occurred()) {
        PyErr_Print();
    }
    exit(128);
}

/* The standard modules the snapshot imports ahead, from evidence: the
 * imports of the 974 MBPP programs (re 78, math 42, collections 27, heapq
 * 18, itertools 12, sys 8, cmath 4, operator 3, array 3, bisect 2, copy 1,
 * datetime 1) and of typical LLM-written scripts (json, dataclasses,
 * typing, functools, string, textwrap, enum). Modules holding per-process
 * random state (random, tempfile, uuid, secrets, statistics, and what
 * imports them) stay out: they are seeded at import, so each run must
 * import them itself. */
static const char *const preimported[] = {
    "re", "math", "collections", "heapq", "itertools", "operator", "bisect", "copy", "cmath", "array",
    "datetime", "json", "dataclasses", "typing", "functools", "string", "textwrap", "enum", NULL,
};

/* preimport imports them into the interpreter the snapshot is taken of,
 * and leaves in globals what the prepare step needs to undo it. */
static void preimport(PyObject *globals) {
    PyObject *names = PyList_New(0);
    for (int i = 0; names != NULL && preimported[i] != NULL; i++) {
        PyObject *name = PyUnicode_FromString(preimported[i]);
        if (name == NULL || PyList_Append(names, name) < 0) {
            fail("cannot list the modules to import ahead");
        }
        Py_DECREF(name);
    }
    PyObject *fn = PyDict_GetItemString(globals, "_wasmplay_preimport");
    PyObject *got = fn && names ? PyObject_CallOneArg(fn, names) : NULL;
    Py_XDECREF(names);
    if (got == NULL || !PyTuple_Check(got) || PyTuple_GET_SIZE(got) != 2) {
        fail("cannot import the modules ahead");
    }
    if (PyDict_SetItemString(globals, "_wasmplay_preimported", PyTuple_GET_ITEM(got, 0)) < 0 ||
        PyDict_SetItemString(globals, "_wasmplay_preimported_modules", PyTuple_GET_ITEM(got, 1)) < 0) {
        fail("cannot record the modules imported ahead");
    }
    Py_DECREF(got);
}

/* wasmplay_init initialises the interpreter and returns the address of its
 * own stack frame: the stack below it is dead once it returns, so the host
 * need not keep it in the snapshot. */
__attribute__((export_name("wasmplay_init"))) int wasmplay_init(void) {
    int argc = 0;
    char **argv = read_args(&argc);
    if (argv == NULL) {
        fail("cannot read argv");
    }
    start_in_pwd();

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 1;
    PyStatus status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        Py_ExitStatusException(status);
    }

    PyObject *globals = PyDict_New();
    if (globals == NULL || PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) < 0) {
        fail("cannot make the prepare namespace");
    }
    PyObject *sys_path = PySys_GetObject("path");
    PyObject *init_path = sys_path ? PySequence_List(sys_path) : NULL;
    if (init_path == NULL || PyDict_SetItemString(globals, "_wasmplay_init_path", init_path) < 0) {
        fail("cannot record sys.path");
    }
    /* Keep only the PYTHONPATH entries: they lead sys.path. */
    const char *pythonpath = getenv("PYTHONPATH");
    Py_ssize_t entries = 0;
    if (pythonpath != NULL && pythonpath[0] != '\0') {
        entries = 1;
        for (const char *p = pythonpath; *p; p++) {
            entries += *p == ':';
        }
    }
    if (PyList_SetSlice(init_path, entries, PyList_GET_SIZE(init_path), NULL) < 0) {
        fail("cannot record PYTHONPATH");
    }
    Py_DECREF(init_path);
    PyObject *done = PyRun_String(prepare_source, Py_file_input, globals, globals);
    if (done == NULL) {
        fail("cannot define the prepare step");
    }
    Py_DECREF(done);
    prepare_fn = PyDict_GetItemString(globals, "_wasmplay_prepare");
    if (prepare_fn == NULL) {
        fail("the prepare step is missing");
    }
    Py_INCREF(prepare_fn);
    preimport(globals);
    if (PySys_AddAuditHook(watch_opens, NULL) < 0) {
        fail("cannot watch the files a run opens");
    }
    Py_DECREF(globals);
    return (int)(uintptr_t)__builtin_frame_address(0);
}

/* environ_dict returns the process environment as CPython's os.environ
 * keeps it on POSIX: bytes to bytes. */
static PyObject *environ_dict(void) {
    PyObject *env = PyDict_New();
    if (env == NULL) {
        return NULL;
    }
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL || eq == *e) {
            continue;
        }
        PyObject *k = PyBytes_FromStringAndSize(*e, eq - *e);
        PyObject *v = PyBytes_FromString(eq + 1);
        if (k == NULL || v == NULL || PyDict_SetItem(env, k, v) < 0) {
            Py_XDECREF(k);
            Py_XDECREF(v);
            Py_DECREF(env);
            return NULL;
        }
        Py_DECREF(k);
        Py_DECREF(v);
    }
    return env;
}

/* wasmplay_run runs the script argv names and exits (never returns). */
__attribute__((export_name("wasmplay_run"))) void wasmplay_run(void) {
    /* The snapshot's preopens and environment are not this run's. */
    __wasilibc_reset_preopens();
    __wasilibc_populate_preopens();
    __wasilibc_deinitialize_environ();
    __wasilibc_initialize_environ();
    start_in_pwd();

    int argc = 0;
    char **argv = read_args(&argc);
    if (argv == NULL || prepare_fn == NULL) {
        fail(prepare_fn == NULL ? "wasmplay_init did not run" : "cannot read argv");
    }
    /* argv is the cold start's: python, options, the script, its args. */
    int script = 1;
    while (script < argc && argv[script][0] == '-') {
        script++;
    }
    if (script >= argc) {
        fail("no script in argv");
    }

    PyObject *env = environ_dict();
    PyObject *args = PyList_New(argc);
    if (env == NULL || args == NULL) {
        fail("cannot pass the environment");
    }
    for (int i = 0; i < argc; i++) {
        PyObject *arg = PyUnicode_DecodeFSDefault(argv[i]);
        if (arg == NULL) {
            fail("cannot decode argv");
        }
        PyList_SET_ITEM(args, i, arg);
    }
    PyObject *ok = PyObject_CallFunction(prepare_fn, "OOi", env, args, script);
    Py_DECREF(env);
    Py_DECREF(args);
    int status = 0;
    if (ok == NULL) {
        /* As site reports a failing sitecustomize; the script still runs. */
        PyErr_Print();
    }
    Py_XDECREF(ok);

    /* The run ends like `python SCRIPT` as far as the program can tell
     * (atexit, open files and the standard streams flushed, the exit
     * status), without the teardown: Py_FinalizeEx below, and the one
     * sys.exit() reaches through Py_Exit, stop after the hook. */
    _Py_wasmplay_quick_exit = end_run_quickly;
    opened_for_writing = 0;

    FILE *fp = fopen(argv[script], "rb");
    if (fp == NULL) {
        fprintf(stderr, "python: can't open file '%s': [Errno %d] %s\n", argv[script], errno, strerror(errno));
        status = 2;
    } else {
        PyCompilerFlags flags = _PyCompilerFlags_INIT;
        status = PyRun_SimpleFileExFlags(fp, argv[script], 1, &flags) != 0;
    }
    if (Py_FinalizeEx() < 0) {
        status = 120;
    }
    exit(status);
}
