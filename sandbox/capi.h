// The runner's C layer: the pieces of the wasmtime C API that wasmtime-go
// does not expose, and the per-run state they share with Go.
//
// The wasmtime symbols are declared here (only the subset we use) and resolve
// at link time against the libwasmtime.a that wasmtime-go links. capi_test.go
// compiles these declarations against wasmtime's own headers, and checks the
// private fields of wasmtime-go this layer reads against its public API.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

// ---- wasmtime C API (v39) declarations ------------------------------------

// The structs the C layer fills in, laid out as wasmtime's. With
// WP_WITH_WASMTIME_HEADERS (TestCAPI_DeclarationsMatchWasmtimeHeaders), the
// names below become wasmtime's own types, so the compiler checks every
// prototype here against wasmtime.h, and these layouts are compared with
// wasmtime's field by field.
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasm_memorytype_t wasm_memorytype_t;

typedef struct wp_byte_vec_layout {
  size_t size;
  char *data;
} wp_byte_vec_layout_t;

typedef uint8_t *(*wp_memory_get_fn)(void *env, size_t *byte_size, size_t *byte_capacity);
typedef wasmtime_error_t *(*wp_memory_grow_fn)(void *env, size_t new_size);

typedef struct wp_linear_memory_layout {
  void *env;
  wp_memory_get_fn get_memory;
  wp_memory_grow_fn grow_memory;
  void (*finalizer)(void *);
} wp_linear_memory_layout_t;

#ifdef WP_WITH_WASMTIME_HEADERS
#include <wasmtime.h>
typedef wasm_byte_vec_t wp_byte_vec_t;
typedef wasmtime_linear_memory_t wp_linear_memory_t;
typedef wasmtime_memory_creator_t wp_memory_creator_t;
typedef wasmtime_new_memory_callback_t wp_new_memory_fn;
typedef wasmtime_update_deadline_kind_t wp_update_kind_t;
#else
typedef struct wasm_config_t wasm_config_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasi_config_t wasi_config_t;
typedef wp_byte_vec_layout_t wp_byte_vec_t;
typedef wp_linear_memory_layout_t wp_linear_memory_t;
typedef uint8_t wp_update_kind_t;

typedef wasmtime_error_t *(*wp_new_memory_fn)(void *env, const wasm_memorytype_t *ty, size_t minimum,
                                              size_t maximum, size_t reserved_size_in_bytes,
                                              size_t guard_size_in_bytes, wp_linear_memory_t *memory_ret);

typedef struct wp_memory_creator {
  void *env;
  wp_new_memory_fn new_memory;
  void (*finalizer)(void *);
} wp_memory_creator_t;
#endif

typedef wasmtime_error_t *(*wp_epoch_fn)(wasmtime_context_t *, void *, uint64_t *, wp_update_kind_t *);
typedef ptrdiff_t (*wp_write_fn)(void *, const unsigned char *, size_t);

extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *);
extern void wasmtime_store_epoch_deadline_callback(wasmtime_store_t *, wp_epoch_fn, void *, void (*)(void *));
extern wasmtime_error_t *wasmtime_context_get_fuel(const wasmtime_context_t *, uint64_t *);
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern wasmtime_error_t *wasmtime_context_set_wasi(wasmtime_context_t *, wasi_config_t *);
extern void wasmtime_config_host_memory_creator_set(wasm_config_t *, wp_memory_creator_t *);
extern wasi_config_t *wasi_config_new(void);
extern void wasi_config_delete(wasi_config_t *);
extern bool wasi_config_set_argv(wasi_config_t *, size_t, const char **);
extern bool wasi_config_set_env(wasi_config_t *, size_t, const char **, const char **);
extern bool wasi_config_preopen_dir(wasi_config_t *, const char *, const char *, size_t, size_t);
extern void wasi_config_set_stdin_bytes(wasi_config_t *, wp_byte_vec_t *);
extern bool wasi_config_set_stdin_file(wasi_config_t *, const char *);
extern void wasi_config_set_stdout_custom(wasi_config_t *, wp_write_fn, void *, void (*)(void *));
extern void wasi_config_set_stderr_custom(wasi_config_t *, wp_write_fn, void *, void (*)(void *));
extern void wasm_byte_vec_new(wp_byte_vec_t *, size_t, const char *);

// ---- per-run state ---------------------------------------------------------

// Why a run was stopped from outside (wp_run.stop).
enum { WP_RUNNING = 0, WP_STOP_CANCEL = 1, WP_STOP_TIMEOUT = 2 };

// Output streams.
enum { WP_STDOUT = 0, WP_STDERR = 1 };

// wp_out is an append-only log of what the guest wrote, in order, with a
// separate cap per stream. Bytes past a stream's cap are counted and dropped
// (the write is still reported as complete, so the guest keeps running).
// The log and segment arrays are allocated once at their full size and never
// move, so Go can copy a prefix out after reading the counts under the lock.
typedef struct wp_out {
  pthread_mutex_t mu;
  uint8_t *log;          // kept bytes of both streams, in write order
  uint64_t log_cap;      // cap[0] + cap[1]
  uint32_t *seg_start;   // byte offset in log where segment i starts
  uint8_t *seg_stream;   // stream of segment i
  uint32_t seg_cap;      // capacity of the segment arrays
  uint32_t nsegs;        // segments in use
  uint64_t nbytes;       // bytes in use in log
  uint64_t cap[2];       // per-stream caps
  uint64_t kept[2];      // per-stream kept bytes
  uint64_t total[2];     // per-stream bytes the guest wrote, kept or not
  int32_t segs_full;     // set when interleaving exhausted seg_cap
} wp_out_t;

// wp_run is the state one run shares between its epoch callback, its memory
// and output callbacks, and Go. It is reference counted: Go holds one
// reference, every linear memory created for the run and every output stream
// callback hold one; the last release frees it, so a callback that wasmtime
// runs late never touches freed memory.
typedef struct wp_run {
  int32_t refs;            // atomic
  int32_t stop;            // atomic: WP_RUNNING, WP_STOP_CANCEL, WP_STOP_TIMEOUT
  uint64_t deadline_ns;    // atomic: monotonic clock; 0: none
  // Samples taken by the epoch callback.
  uint64_t samples;        // atomic: callbacks so far
  uint64_t fuel_left;      // atomic: fuel remaining at the last sample
  uint64_t last_sample_ns; // atomic
  // Linear memory, maintained by the memory creator.
  uint64_t mem_cap;        // bytes; 0: no cap
  uint64_t mem_bytes;      // atomic: current size of the main memory
  uint64_t mem_peak;       // atomic
  uint64_t mem_denied;     // atomic: grow requests refused by the cap
  uint64_t mem_denied_req; // atomic: size asked for by the last refused grow
  uint64_t mem_min_refused; // atomic: minimum of a memory refused at creation (0: none)
  int32_t memories;        // atomic: linear memories created for this run
  wp_out_t out;
} wp_run_t;

wp_run_t *wp_run_new(uint64_t stdout_cap, uint64_t stderr_cap, uint32_t seg_cap, uint64_t mem_cap);
void wp_run_release(wp_run_t *r);
void wp_run_stop(wp_run_t *r, int32_t why);
int32_t wp_run_stopped(wp_run_t *r);
uint64_t wp_load64(uint64_t *p);
int32_t wp_load32(int32_t *p);
void wp_run_set_deadline(wp_run_t *r, uint64_t ns);
uint64_t wp_now_ns(void);

// Installs the sampling epoch callback on a store.
void wp_install_epoch(wasmtime_store_t *store, wp_run_t *r);

// Routes the guest's stdout and stderr into r->out.
void wp_set_output(wasi_config_t *cfg, wp_run_t *r);

// Copies the counts of r->out under its lock.
void wp_out_counts(wp_run_t *r, uint32_t *nsegs, uint64_t *nbytes, uint64_t *total_out, uint64_t *total_err,
                   int32_t *segs_full);

// Sets the memory creator on an engine config.
void wp_config_set_memory_creator(wasm_config_t *cfg);

// Sets or clears the run whose memories the current thread will create.
void wp_set_current_run(wp_run_t *r);

// A pool of long-lived threads with large stacks that run guest code. A
// thread is reused across runs, so wasmtime's per-thread setup and the
// stack's page faults are paid once, not per run.
typedef struct wp_threads wp_threads_t;
wp_threads_t *wp_threads_new(size_t stack_bytes);

// Runs the exported Go function wpThreadMain(handle) on an idle pool
// thread (starting one if all are busy) and waits for it. Returns 0 or an
// errno.
int wp_threads_run(wp_threads_t *p, uintptr_t handle);

// Stack size of the calling thread (0 if unknown).
size_t wp_thread_stack_size(void);

// Counts of live wasmplay linear memories (for leak tests).
int64_t wp_live_memories(void);
