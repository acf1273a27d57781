/* Signature verification spread over threads: Ed25519 verification is the node's hot spot. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "medchain/crypto.h"

typedef struct {
    mc_verify_item *items;
    size_t n;
    atomic_size_t next;
    atomic_size_t failed;
} mc_verify_job;

/* Work is handed out in small chunks so that both threads finish together. */
static void *mc_verify_worker(void *arg)
{
    mc_verify_job *job = arg;
    for (;;) {
        size_t start = atomic_fetch_add(&job->next, 16);
        if (start >= job->n) break;
        size_t end = start + 16 < job->n ? start + 16 : job->n;
        for (size_t i = start; i < end; i++) {
            mc_verify_item *it = &job->items[i];
            it->ok = mc_verify(it->sig, it->msg, it->n, it->pk) == MC_OK;
            if (!it->ok) atomic_fetch_add(&job->failed, 1);
        }
    }
    return NULL;
}

size_t mc_verify_many(mc_verify_item *items, size_t n, unsigned nthreads)
{
    if (n < 32) nthreads = 1; /* a thread costs more than a few verifications */
    if (nthreads == 0) {
        /* after the small case: glibc reads /sys for this (three system calls), and the
         * executor calls here once per block, mostly with a handful of items */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = cpus > 0 ? (unsigned)cpus : 1;
    }
    if (nthreads > 16) nthreads = 16;
    mc_verify_job job = {.items = items, .n = n};
    atomic_init(&job.next, 0);
    atomic_init(&job.failed, 0);
    pthread_t th[16];
    unsigned started = 0;
    for (unsigned i = 1; i < nthreads; i++)
        if (pthread_create(&th[started], NULL, mc_verify_worker, &job) == 0) started++;
    mc_verify_worker(&job);
    for (unsigned i = 0; i < started; i++) pthread_join(th[i], NULL);
    return atomic_load(&job.failed);
}
