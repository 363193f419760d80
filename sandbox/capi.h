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
typedef wasmtime_linear_memory_t wp_linear_memory_t;
typedef wasmtime_memory_creator_t wp_memory_creator_t;
typedef wasmtime_new_memory_callback_t wp_new_memory_fn;
typedef wasmtime_update_deadline_kind_t wp_update_kind_t;
#else
typedef struct wasm_config_t wasm_config_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
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

extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *);
extern void wasmtime_store_epoch_deadline_callback(wasmtime_store_t *, wp_epoch_fn, void *, void (*)(void *));
extern wasmtime_error_t *wasmtime_context_get_fuel(const wasmtime_context_t *, uint64_t *);
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasmtime_config_host_memory_creator_set(wasm_config_t *, wp_memory_creator_t *);

// ---- per-run state ---------------------------------------------------------

// Why a run was stopped from outside (wp_run.stop).
enum { WP_RUNNING = 0, WP_STOP_CANCEL = 1, WP_STOP_TIMEOUT = 2 };

// wp_run is the state one run shares between its epoch callback, its memory
// callbacks, and Go. It is reference counted: Go holds one reference and
// every linear memory created for the run holds one; the last release frees
// it, so a callback that wasmtime runs late never touches freed memory.
typedef struct wp_run {
  int32_t refs;            // atomic
  int32_t stop;            // atomic: WP_RUNNING, WP_STOP_CANCEL, WP_STOP_TIMEOUT
  uint64_t deadline_ns;    // atomic: monotonic clock; 0: none
  // Samples taken by the epoch callback.
  uint64_t samples;        // atomic: callbacks so far
  uint64_t fuel_left;      // atomic: fuel remaining at the last sample
  uint64_t last_sample_ns; // atomic
  // Fuel ticks: a guest built to call wasmplay.fuel_tick now and then
  // (CPython's eval loop) writes its fuel count back at each one, and is
  // stopped at the next one after a cancel or a timeout, count exact.
  uint64_t ticks;          // atomic: ticks so far
  uint64_t stop_seen_ns;   // atomic: when an epoch first saw the stop of a ticking guest (0: not yet)
  int32_t stopped_in_epoch; // atomic: 1 if the epoch callback stopped the guest (fuel a lower bound)
  // Linear memory, maintained by the memory creator.
  uint64_t mem_cap;        // bytes; 0: no cap
  uint64_t mem_bytes;      // atomic: current size of the main memory
  uint64_t mem_peak;       // atomic
  uint64_t mem_denied;     // atomic: grow requests refused by the cap
  uint64_t mem_denied_req; // atomic: size asked for by the last refused grow
  uint64_t mem_min_refused; // atomic: minimum of a memory refused at creation (0: none)
  int32_t memories;        // atomic: linear memories created for this run
  // An initial image for the next memory created (a snapshot): image_len
  // bytes of image_fd from image_off, mapped copy-on-write at the start of
  // the memory. Set before instantiating; the memory creator takes it (and
  // clears image_len) on the thread that instantiates.
  int32_t image_fd;
  uint64_t image_off;      // a multiple of the host page size
  uint64_t image_len;      // a multiple of the host page size; 0: no image
} wp_run_t;

wp_run_t *wp_run_new(uint64_t mem_cap);
void wp_run_release(wp_run_t *r);
void wp_run_stop(wp_run_t *r, int32_t why);
int32_t wp_run_stopped(wp_run_t *r);
uint64_t wp_load64(uint64_t *p);
int32_t wp_load32(int32_t *p);
void wp_run_set_deadline(wp_run_t *r, uint64_t ns);
void wp_run_set_image(wp_run_t *r, int32_t fd, uint64_t off, uint64_t len);
// How long a stopped guest that ticks may run on to its next tick.
#define WP_STOP_GRACE_NS 20000000ull
// Counts a fuel tick and says whether the run has been stopped.
int32_t wp_run_tick(wp_run_t *r);
uint64_t wp_now_ns(void);

// Installs the sampling epoch callback on a store.
void wp_install_epoch(wasmtime_store_t *store, wp_run_t *r);

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
