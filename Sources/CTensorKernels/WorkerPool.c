// The engine's worker threads: a fork–join pool whose idle workers spin briefly before they
// sleep.
//
// A training step runs a few hundred short parallel loops (a convolution chunk, a BatchNorm
// pass) separated by short serial stretches (the graph's bookkeeping). A pool that puts its
// workers to sleep after every loop pays a wake-up at the start of the next one, which in a
// virtual machine is an interrupt through the hypervisor: tens of microseconds, repeated
// hundreds of times per step. Here each worker spins for `spin` microseconds (default 200)
// after finishing its share, so a loop that follows soon starts at once; a worker left idle
// longer sleeps on a condition variable and costs nothing. OpenMP runtimes do the same.
//
// Each worker has its own mailbox (task, context, index, and two counters), written by the
// calling thread only while the worker is idle, so no job can overwrite another's fields.

#include "CTensorKernels.h"
#include "AVX2Support.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define CK_POOL_MAX_WORKERS 63

/// One worker's mailbox, on its own cache lines.
struct ck_worker {
    _Alignas(64) _Atomic unsigned long posted;  ///< jobs posted to this worker so far
    _Atomic unsigned long completed;             ///< jobs it has finished
    _Atomic int sleeping;                        ///< 1 while it waits on `wake`
    ck_task task;
    void *context;
    long index;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
};

static struct ck_worker workers[CK_POOL_MAX_WORKERS];
/// Workers started so far (read and written under `pool_lock`).
static int started_workers;
/// Held by the thread that runs a job, for the whole job: a second caller, or a nested call,
/// finds it taken and falls back.
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
/// Nanoseconds an idle worker spins before it sleeps.
static _Atomic long spin_nanoseconds = 200000;
/// Set on the pool's own threads, so that a task calling back into the pool falls back.
static _Thread_local int on_worker_thread;

static inline void ck_cpu_relax(void) {
#if CK_X86
    _mm_pause();
#endif
}

static inline long ck_monotonic_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

/// Waits until `w->posted` passes `seen` and returns the new value: spins first, then sleeps.
static unsigned long ck_wait_for_post(struct ck_worker *w, unsigned long seen) {
    unsigned long posted = atomic_load_explicit(&w->posted, memory_order_acquire);
    if (posted != seen) return posted;
    long spin = atomic_load_explicit(&spin_nanoseconds, memory_order_relaxed);
    if (spin > 0) {
        long deadline = ck_monotonic_nanoseconds() + spin;
        for (unsigned i = 1;; i++) {
            ck_cpu_relax();
            posted = atomic_load_explicit(&w->posted, memory_order_acquire);
            if (posted != seen) return posted;
            if ((i & 63) == 0 && ck_monotonic_nanoseconds() > deadline) break;
        }
    }
    // Sleep. `sleeping` is raised before `posted` is read again, and the poster stores
    // `posted` before it reads `sleeping` (both sequentially consistent), so either this
    // thread sees the new job or the poster sees it asleep and signals under the lock.
    pthread_mutex_lock(&w->lock);
    atomic_store(&w->sleeping, 1);
    while ((posted = atomic_load(&w->posted)) == seen) pthread_cond_wait(&w->wake, &w->lock);
    atomic_store(&w->sleeping, 0);
    pthread_mutex_unlock(&w->lock);
    return posted;
}

static void *ck_worker_main(void *argument) {
    struct ck_worker *w = argument;
    on_worker_thread = 1;
    unsigned long seen = 0;  // the mailbox was reset before the thread started
    for (;;) {
        seen = ck_wait_for_post(w, seen);
        w->task(w->context, w->index);
        atomic_store_explicit(&w->completed, seen, memory_order_release);
    }
    return 0;
}

/// After fork() only the forking thread exists in the child: forget the workers (their
/// mailboxes are reset when they are started again) and release the lock the parent may hold.
static void ck_pool_after_fork_in_child(void) {
    started_workers = 0;
    pthread_mutex_init(&pool_lock, 0);
}

static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;
static void ck_register_fork_handler(void) { pthread_atfork(0, 0, ck_pool_after_fork_in_child); }

/// Starts workers until `count` run (under `pool_lock`); returns how many run.
static int ck_start_workers(int count) {
    pthread_once(&fork_handler_once, ck_register_fork_handler);
    while (started_workers < count) {
        struct ck_worker *w = &workers[started_workers];
        atomic_store(&w->posted, 0);
        atomic_store(&w->completed, 0);
        atomic_store(&w->sleeping, 0);
        pthread_mutex_init(&w->lock, 0);
        pthread_cond_init(&w->wake, 0);
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&w->thread, &attributes, ck_worker_main, w);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        started_workers++;
    }
    return started_workers;
}

int ck_pool_run(long count, ck_task task, void *context) {
    if (count <= 1) {
        if (count == 1) task(context, 0);
        return 0;
    }
    if (count > CK_POOL_MAX_WORKERS + 1 || on_worker_thread) return -1;
    if (pthread_mutex_trylock(&pool_lock) != 0) return -1;
    if (ck_start_workers((int)count - 1) < count - 1) {
        pthread_mutex_unlock(&pool_lock);
        return -1;
    }
    // Only a thread holding `pool_lock` writes `posted`, so a worker's job is done when its
    // `completed` catches up with it.
    for (long k = 1; k < count; k++) {
        struct ck_worker *w = &workers[k - 1];
        w->task = task;
        w->context = context;
        w->index = k;
        atomic_store(&w->posted, atomic_load_explicit(&w->posted, memory_order_relaxed) + 1);
        if (atomic_load(&w->sleeping)) {
            pthread_mutex_lock(&w->lock);
            pthread_cond_signal(&w->wake);
            pthread_mutex_unlock(&w->lock);
        }
    }
    task(context, 0);
    for (long k = 1; k < count; k++) {
        struct ck_worker *w = &workers[k - 1];
        unsigned long posted = atomic_load_explicit(&w->posted, memory_order_relaxed);
        for (unsigned i = 1; atomic_load_explicit(&w->completed, memory_order_acquire) != posted; i++) {
            ck_cpu_relax();
            if ((i & 1023) == 0) sched_yield();
        }
    }
    pthread_mutex_unlock(&pool_lock);
    return 0;
}

void ck_pool_set_spin_microseconds(long microseconds) {
    atomic_store(&spin_nanoseconds, microseconds < 0 ? 0 : microseconds * 1000);
}

long ck_pool_spin_microseconds(void) { return atomic_load(&spin_nanoseconds) / 1000; }
