/* qjs-reactor.c: QuickJS as a WASI reactor that wasmplay can snapshot (see
 * python-reactor.c for the idea). It is compiled in place of quickjs.c, which
 * it includes, so that a restored context can draw a fresh Math.random seed.
 *
 *   wasmplay_init  creates the runtime and a context with the std and os
 *                  modules, as `qjs --std` does before it loads any file,
 *                  and returns the address of its stack frame.
 *   wasmplay_run   takes the run's preopens and environment, then does the
 *                  rest of `qjs --std [--include FILE]... SCRIPT ARGS...`:
 *                  scriptArgs, the includes, the script, the event loop;
 *                  and exits with qjs's status.
 */
#include "quickjs.c"

/* quickjs.c forbids the C allocator in what follows it; this file only
 * uses it for argv, as qjs's main does. */
#undef malloc
#undef free
#undef realloc

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>
#include <wasi/libc-environ.h>
#include <wasi/libc.h>

#include "quickjs-libc.h"

/* In wasi-libc (for snapshotting tools), not in its headers. */
void __wasilibc_reset_preopens(void);

static JSRuntime *wp_rt;
static JSContext *wp_ctx;

static char **wp_read_args(int *argc) {
    size_t count = 0, size = 0;
    if (__wasi_args_sizes_get(&count, &size) != 0) {
        return NULL;
    }
    char **argv = calloc(count + 1, sizeof(char *));
    char *buf = malloc(size ? size : 1);
    if (argv == NULL || buf == NULL || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
        return NULL;
    }
    *argc = (int)count;
    return argv;
}

/* wp_eval_buf and wp_eval_file do what qjs's eval_buf and eval_file do. */
static int wp_eval_buf(JSContext *ctx, const void *buf, int len, const char *filename, int flags) {
    JSValue val;
    if ((flags & JS_EVAL_TYPE_MASK) == JS_EVAL_TYPE_MODULE) {
        val = JS_Eval(ctx, buf, len, filename, flags | JS_EVAL_FLAG_COMPILE_ONLY);
        if (!JS_IsException(val)) {
            js_module_set_import_meta(ctx, val, TRUE, TRUE);
            val = JS_EvalFunction(ctx, val);
        }
        val = js_std_await(ctx, val);
    } else {
        val = JS_Eval(ctx, buf, len, filename, flags);
    }
    int ret = 0;
    if (JS_IsException(val)) {
        js_std_dump_error(ctx);
        ret = -1;
    }
    JS_FreeValue(ctx, val);
    return ret;
}

static int wp_eval_file(JSContext *ctx, const char *filename) {
    size_t len;
    uint8_t *buf = js_load_file(ctx, &len, filename);
    if (buf == NULL) {
        perror(filename);
        exit(1);
    }
    int module = has_suffix(filename, ".mjs") || JS_DetectModule((const char *)buf, len);
    int ret = wp_eval_buf(ctx, buf, len, filename, module ? JS_EVAL_TYPE_MODULE : JS_EVAL_TYPE_GLOBAL);
    js_free(ctx, buf);
    return ret;
}

static JSContext *wp_new_context(JSRuntime *rt) {
    JSContext *ctx = JS_NewContext(rt);
    if (ctx == NULL) {
        return NULL;
    }
    js_init_module_std(ctx, "std");
    js_init_module_os(ctx, "os");
    return ctx;
}

__attribute__((export_name("wasmplay_init"))) int wasmplay_init(void) {
    int argc = 0;
    char **argv = wp_read_args(&argc);
    if (argv == NULL) {
        fprintf(stderr, "wasmplay reactor: cannot read argv\n");
        exit(128);
    }
    int load_std = 0;
    for (int i = 1; i < argc; i++) {
        load_std |= strcmp(argv[i], "--std") == 0;
    }
    wp_rt = JS_NewRuntime();
    if (wp_rt == NULL) {
        fprintf(stderr, "qjs: cannot allocate JS runtime\n");
        exit(2);
    }
    js_std_set_worker_new_context_func(wp_new_context);
    js_std_init_handlers(wp_rt);
    wp_ctx = wp_new_context(wp_rt);
    if (wp_ctx == NULL) {
        fprintf(stderr, "qjs: cannot allocate JS context\n");
        exit(2);
    }
    JS_SetModuleLoaderFunc(wp_rt, NULL, js_module_loader, NULL);
    JS_SetHostPromiseRejectionTracker(wp_rt, js_std_promise_rejection_tracker, NULL);
    if (load_std) {
        const char *str = "import * as std from 'std';\n"
                          "import * as os from 'os';\n"
                          "globalThis.std = std;\n"
                          "globalThis.os = os;\n";
        wp_eval_buf(wp_ctx, str, strlen(str), "<input>", JS_EVAL_TYPE_MODULE);
    }
    return (int)(uintptr_t)__builtin_frame_address(0);
}

__attribute__((export_name("wasmplay_run"))) void wasmplay_run(void) {
    __wasilibc_reset_preopens();
    __wasilibc_populate_preopens();
    __wasilibc_deinitialize_environ();
    __wasilibc_initialize_environ();

    int argc = 0;
    char **argv = wp_read_args(&argc);
    if (argv == NULL || wp_ctx == NULL) {
        fprintf(stderr, "wasmplay reactor: %s\n", wp_ctx == NULL ? "wasmplay_init did not run" : "cannot read argv");
        exit(128);
    }
    /* The snapshot's seed and stack top are the initialisation's. */
    js_random_init(wp_ctx);
    JS_UpdateStackTop(wp_rt);

    /* argv: qjs, --std, --include FILE..., SCRIPT, its arguments. */
    int script = 1;
    while (script < argc && argv[script][0] == '-') {
        script += strcmp(argv[script], "--include") == 0 ? 2 : 1;
    }
    if (script >= argc) {
        fprintf(stderr, "wasmplay reactor: no script in argv\n");
        exit(128);
    }
    js_std_add_helpers(wp_ctx, argc - script, argv + script);
    for (int i = 1; i < script; i++) {
        if (strcmp(argv[i], "--include") == 0 && wp_eval_file(wp_ctx, argv[i + 1]) != 0) {
            exit(1);
        }
    }
    if (wp_eval_file(wp_ctx, argv[script]) != 0) {
        exit(1);
    }
    js_std_loop(wp_ctx);
    exit(0);
}
