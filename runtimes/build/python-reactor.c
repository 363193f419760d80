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
 *                  `python SCRIPT` would, finalises, and exits with the
 *                  status `python` would.
 *
 * What CPython read at initialisation (PYTHON* variables, locale, flags) is
 * the snapshot's; the host only uses a snapshot for runs that agree with it
 * and starts python.wasm cold otherwise.
 */
#include "Python.h"

#include <errno.h>
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
    "    if [p for p in now if p not in _wasmplay_init_path]:\n"
    "        # site imports sitecustomize at start-up; a directory added\n"
    "        # only for this run may hold one.\n"
    "        try:\n"
    "            import sitecustomize\n"
    "        except ImportError as exc:\n"
    "            if exc.name != 'sitecustomize':\n"
    "                raise\n";

static PyObject *prepare_fn;

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
