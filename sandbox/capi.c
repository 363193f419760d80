// The runner's C layer; see capi.h.
#define _GNU_SOURCE
#include "capi.h"
#include "_cgo_export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t wp_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t wp_load64(uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
int32_t wp_load32(int32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

void wp_run_set_deadline(wp_run_t *r, uint64_t ns) { __atomic_store_n(&r->deadline_ns, ns, __ATOMIC_RELEASE); }

void wp_run_set_image(wp_run_t *r, int32_t fd, uint64_t off, uint64_t len) {
  r->image_fd = fd;
  r->image_off = off;
  r->image_len = len;
}

// ---- run lifetime ----------------------------------------------------------

wp_run_t *wp_run_new(uint64_t mem_cap) {
  wp_run_t *r = calloc(1, sizeof(*r));
  if (r == NULL) return NULL;
  r->refs = 1;
  r->mem_cap = mem_cap;
  return r;
}

static void wp_run_retain(wp_run_t *r) { __atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL); }

void wp_run_release(wp_run_t *r) {
  if (r == NULL) return;
  if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  free(r);
}

void wp_run_stop(wp_run_t *r, int32_t why) {
  int32_t expected = WP_RUNNING;
  // The first reason wins: a cancel that lands after a timeout stays a timeout.
  __atomic_compare_exchange_n(&r->stop, &expected, why, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

int32_t wp_run_stopped(wp_run_t *r) { return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); }

// ---- epoch callback: live samples, cancel and timeout ----------------------

static wasmtime_error_t *wp_epoch_cb(wasmtime_context_t *ctx, void *data, uint64_t *delta, wp_update_kind_t *kind) {
  wp_run_t *r = data;
  uint64_t now = wp_now_ns();
  uint64_t deadline = __atomic_load_n(&r->deadline_ns, __ATOMIC_ACQUIRE);
  if (deadline != 0 && now >= deadline) wp_run_stop(r, WP_STOP_TIMEOUT);
  int32_t why = wp_run_stopped(r);
  if (why != WP_RUNNING) {
    // A guest that ticks stops at its next tick, where its fuel count has
    // been written back: it gets WP_STOP_GRACE_NS to reach it (a loop in C
    // code that calls nothing may not), whatever epochs come meanwhile.
    if (__atomic_load_n(&r->ticks, __ATOMIC_ACQUIRE) > 0) {
      uint64_t since = 0;
      __atomic_compare_exchange_n(&r->stop_seen_ns, &since, now, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
      if (since == 0 || now - since < WP_STOP_GRACE_NS) {
        *delta = 1;
        *kind = 0; // WASMTIME_UPDATE_DEADLINE_CONTINUE
        return NULL;
      }
    }
    __atomic_store_n(&r->stopped_in_epoch, 1, __ATOMIC_RELEASE);
    return wasmtime_error_new(why == WP_STOP_TIMEOUT ? "wasmplay: wall-clock timeout" : "wasmplay: run canceled");
  }
  uint64_t fuel = 0;
  wasmtime_error_t *err = wasmtime_context_get_fuel(ctx, &fuel);
  if (err != NULL) {
    wasmtime_error_delete(err);
    fuel = UINT64_MAX;
  }
  __atomic_store_n(&r->fuel_left, fuel, __ATOMIC_RELAXED);
  __atomic_store_n(&r->last_sample_ns, now, __ATOMIC_RELAXED);
  __atomic_add_fetch(&r->samples, 1, __ATOMIC_RELEASE);
  *delta = 1;
  *kind = 0; // WASMTIME_UPDATE_DEADLINE_CONTINUE
  return NULL;
}

int32_t wp_run_tick(wp_run_t *r) {
  __atomic_add_fetch(&r->ticks, 1, __ATOMIC_RELEASE);
  uint64_t deadline = __atomic_load_n(&r->deadline_ns, __ATOMIC_ACQUIRE);
  if (deadline != 0 && wp_now_ns() >= deadline) wp_run_stop(r, WP_STOP_TIMEOUT);
  return wp_run_stopped(r);
}

void wp_install_epoch(wasmtime_store_t *store, wp_run_t *r) {
  // No finalizer: Go releases its reference only after the store is closed.
  wasmtime_store_epoch_deadline_callback(store, wp_epoch_cb, r, NULL);
}

// ---- linear memories: the cap, live size, peak and refused growth ----------

static __thread wp_run_t *wp_current_run;
static int64_t wp_live_mems;

void wp_set_current_run(wp_run_t *r) { wp_current_run = r; }
int64_t wp_live_memories(void) { return __atomic_load_n(&wp_live_mems, __ATOMIC_ACQUIRE); }

typedef struct wp_mem {
  uint8_t *base;
  size_t size;    // accessible bytes
  size_t reserve; // bytes the memory may grow to without moving
  size_t mapped;  // reserve + guard: the length of the mapping
  wp_run_t *run;  // the run it belongs to (never NULL)
} wp_mem_t;

static size_t wp_page_round(size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return (n + page - 1) / page * page;
}

static void wp_run_mem_add(wp_run_t *r, uint64_t delta) {
  if (r == NULL) return;
  uint64_t now = __atomic_add_fetch(&r->mem_bytes, delta, __ATOMIC_ACQ_REL);
  uint64_t peak = __atomic_load_n(&r->mem_peak, __ATOMIC_ACQUIRE);
  while (now > peak && !__atomic_compare_exchange_n(&r->mem_peak, &peak, now, true, __ATOMIC_ACQ_REL,
                                                    __ATOMIC_ACQUIRE)) {
  }
}

static uint8_t *wp_mem_get(void *env, size_t *byte_size, size_t *byte_capacity) {
  wp_mem_t *m = env;
  *byte_size = m->size;
  *byte_capacity = m->reserve;
  return m->base;
}

static wasmtime_error_t *wp_mem_grow(void *env, size_t new_size) {
  wp_mem_t *m = env;
  if (new_size <= m->size) return NULL;
  wp_run_t *r = m->run;
  if (r != NULL && r->mem_cap != 0) {
    uint64_t others = __atomic_load_n(&r->mem_bytes, __ATOMIC_ACQUIRE) - m->size;
    if (others + new_size > r->mem_cap) {
      __atomic_add_fetch(&r->mem_denied, 1, __ATOMIC_ACQ_REL);
      __atomic_store_n(&r->mem_denied_req, others + new_size, __ATOMIC_RELEASE);
      // wasmtime turns a failed grow into memory.grow returning -1: the
      // guest's allocator fails (MemoryError, InternalError) instead of the
      // host growing past the cap.
      return wasmtime_error_new("wasmplay: memory cap reached");
    }
  }
  if (new_size > m->reserve) return wasmtime_error_new("wasmplay: memory reservation exhausted");
  if (mprotect(m->base + m->size, new_size - m->size, PROT_READ | PROT_WRITE) != 0)
    return wasmtime_error_new("wasmplay: mprotect failed while growing memory");
  wp_run_mem_add(r, new_size - m->size);
  m->size = new_size;
  return NULL;
}

static void wp_mem_final(void *env) {
  wp_mem_t *m = env;
  munmap(m->base, m->mapped);
  if (m->run != NULL) wp_run_release(m->run);
  free(m);
  __atomic_sub_fetch(&wp_live_mems, 1, __ATOMIC_ACQ_REL);
}

static wasmtime_error_t *wp_new_memory(void *env, const wasm_memorytype_t *ty, size_t minimum, size_t maximum,
                                       size_t reserved, size_t guard, wp_linear_memory_t *ret) {
  (void)env;
  (void)ty;
  wp_run_t *r = wp_current_run;
  // Fail closed: a memory nobody accounts for would have no cap at all.
  if (r == NULL) return wasmtime_error_new("wasmplay: a linear memory was created outside any run");
  if (r->mem_cap != 0) {
    uint64_t others = __atomic_load_n(&r->mem_bytes, __ATOMIC_ACQUIRE);
    if (others + minimum > r->mem_cap) {
      __atomic_store_n(&r->mem_min_refused, minimum, __ATOMIC_RELEASE);
      return wasmtime_error_new("wasmplay: the module's initial memory is larger than the memory cap");
    }
  }
  size_t reserve = reserved;
  if (reserve == 0) {
    // A memory wasmtime lets move: we still never move it, so reserve what
    // it may ever reach under the cap (or its declared maximum, at most 4 GiB).
    reserve = maximum;
    if (r->mem_cap != 0 && r->mem_cap < reserve) reserve = r->mem_cap;
    if (reserve > ((size_t)4 << 30)) reserve = (size_t)4 << 30;
    if (reserve < minimum) reserve = minimum;
  }
  reserve = wp_page_round(reserve);
  if (minimum > reserve) return wasmtime_error_new("wasmplay: memory minimum exceeds its reservation");
  size_t mapped = reserve + wp_page_round(guard);
  void *base = mmap(NULL, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return wasmtime_error_new("wasmplay: could not reserve address space for a memory");
  size_t image_len = r->image_len;
  if (image_len != 0) {
    // The snapshot's image, mapped copy-on-write over the start of the
    // reservation: a run faults in only the pages it touches, from the
    // page cache, instead of copying them all. The pages stay inaccessible
    // like the rest of the reservation until the memory grows over them.
    r->image_len = 0;
    if (image_len > reserve || image_len % wp_page_round(1) != 0) {
      munmap(base, mapped);
      return wasmtime_error_new("wasmplay: the snapshot does not fit the memory's reservation");
    }
    if (mmap(base, image_len, PROT_NONE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, r->image_fd, (off_t)r->image_off) ==
        MAP_FAILED) {
      munmap(base, mapped);
      return wasmtime_error_new("wasmplay: could not map the snapshot into a memory");
    }
  }
  if (minimum > 0 && mprotect(base, minimum, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, mapped);
    return wasmtime_error_new("wasmplay: could not commit a memory's initial pages");
  }
  wp_mem_t *m = calloc(1, sizeof(*m));
  if (m == NULL) {
    munmap(base, mapped);
    return wasmtime_error_new("wasmplay: out of host memory");
  }
  m->base = base;
  m->size = minimum;
  m->reserve = reserve;
  m->mapped = mapped;
  m->run = r;
  wp_run_retain(r);
  __atomic_add_fetch(&r->memories, 1, __ATOMIC_ACQ_REL);
  wp_run_mem_add(r, minimum);
  __atomic_add_fetch(&wp_live_mems, 1, __ATOMIC_ACQ_REL);
  ret->env = m;
  ret->get_memory = wp_mem_get;
  ret->grow_memory = wp_mem_grow;
  ret->finalizer = wp_mem_final;
  return NULL;
}

void wp_config_set_memory_creator(wasm_config_t *cfg) {
  wp_memory_creator_t creator = {NULL, wp_new_memory, NULL};
  wasmtime_config_host_memory_creator_set(cfg, &creator);
}

// ---- long-lived threads with large stacks for guest calls ------------------

typedef struct wp_thread {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  uintptr_t job;  // the handle to run; 0: none
  int busy;       // a caller owns this thread until its job is done
  int done;       // the job finished
  struct wp_thread *next;
} wp_thread_t;

struct wp_threads {
  pthread_mutex_t mu;
  size_t stack_bytes;
  wp_thread_t *all; // every thread, busy or idle
};

static void *wp_thread_loop(void *arg) {
  wp_thread_t *t = arg;
  pthread_mutex_lock(&t->mu);
  for (;;) {
    while (t->job == 0) pthread_cond_wait(&t->cond, &t->mu);
    uintptr_t job = t->job;
    pthread_mutex_unlock(&t->mu);
    wpThreadMain(job);
    pthread_mutex_lock(&t->mu);
    t->job = 0;
    t->done = 1;
    pthread_cond_broadcast(&t->cond);
  }
  return NULL;
}

wp_threads_t *wp_threads_new(size_t stack_bytes) {
  wp_threads_t *p = calloc(1, sizeof(*p));
  if (p == NULL) return NULL;
  pthread_mutex_init(&p->mu, NULL);
  p->stack_bytes = stack_bytes;
  return p;
}

// wp_threads_take returns an idle thread marked busy, starting one if
// needed (NULL and *err set on failure).
static wp_thread_t *wp_threads_take(wp_threads_t *p, int *err) {
  pthread_mutex_lock(&p->mu);
  for (wp_thread_t *t = p->all; t != NULL; t = t->next) {
    if (!t->busy) {
      t->busy = 1;
      pthread_mutex_unlock(&p->mu);
      return t;
    }
  }
  wp_thread_t *t = calloc(1, sizeof(*t));
  if (t == NULL) {
    pthread_mutex_unlock(&p->mu);
    *err = ENOMEM;
    return NULL;
  }
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cond, NULL);
  t->busy = 1;
  pthread_attr_t attr;
  pthread_t tid;
  int rc = pthread_attr_init(&attr);
  if (rc == 0) rc = pthread_attr_setstacksize(&attr, p->stack_bytes);
  if (rc == 0) rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (rc == 0) rc = pthread_create(&tid, &attr, wp_thread_loop, t);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    pthread_mutex_unlock(&p->mu);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->mu);
    free(t);
    *err = rc;
    return NULL;
  }
  t->next = p->all;
  p->all = t;
  pthread_mutex_unlock(&p->mu);
  return t;
}

int wp_threads_run(wp_threads_t *p, uintptr_t handle) {
  int err = 0;
  wp_thread_t *t = wp_threads_take(p, &err);
  if (t == NULL) return err;
  pthread_mutex_lock(&t->mu);
  t->done = 0;
  t->job = handle;
  pthread_cond_broadcast(&t->cond);
  while (!t->done) pthread_cond_wait(&t->cond, &t->mu);
  pthread_mutex_unlock(&t->mu);
  pthread_mutex_lock(&p->mu);
  t->busy = 0;
  pthread_mutex_unlock(&p->mu);
  return 0;
}

size_t wp_thread_stack_size(void) {
  pthread_attr_t attr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
  pthread_attr_getstacksize(&attr, &size);
  pthread_attr_destroy(&attr);
  return size;
}
