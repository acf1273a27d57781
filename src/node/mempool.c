/*
 * The mempool: transactions admitted and not yet committed, a FIFO of those not yet taken
 * into a batch, and the requests waiting on them. One mutex guards it all.
 *
 * Each waiting request sleeps on its own semaphore, posted once by whoever completes its last
 * slot. (A condition variable shared by all of them, broadcast at every batch ordered and every
 * block applied, woke each of the hundreds of requests waiting on logged reads twice per block,
 * and every one of them then queued for this mutex: the batcher and the applier, who need it
 * on the pipeline's one serial path, waited behind that herd for milliseconds per block.) The
 * woken request does not take the mutex again: once its last slot is done no entry refers to
 * it, and its outcomes were written before the post.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mempool.h"

int mc_mempool_init(mc_mempool *mp, size_t max, size_t max_bytes)
{
    memset(mp, 0, sizeof *mp);
    mp->nbuckets = 1u << 16;
    mp->buckets = calloc(mp->nbuckets, sizeof *mp->buckets);
    if (!mp->buckets) return MC_ENOMEM;
    mp->max = max;
    mp->max_bytes = max_bytes;
    pthread_mutex_init(&mp->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&mp->work, &ca);
    pthread_condattr_destroy(&ca);
    return MC_OK;
}

static void mc_pending_free(mc_pending *p)
{
    while (p->refs) {
        mc_wref *r = p->refs;
        p->refs = r->next;
        free(r);
    }
    free(p->tx);
    free(p);
}

void mc_mempool_destroy(mc_mempool *mp)
{
    if (!mp->buckets) return;
    /* DEAD entries sit only in the FIFO; the rest are in the hash (the batcher has stopped) */
    for (mc_pending *p = mp->qhead, *next; p; p = next) {
        next = p->qnext;
        if (p->state == MC_PENDING_DEAD) mc_pending_free(p);
    }
    for (size_t i = 0; i < mp->nbuckets; i++)
        while (mp->buckets[i]) {
            mc_pending *p = mp->buckets[i];
            mp->buckets[i] = p->hnext;
            mc_pending_free(p);
        }
    free(mp->buckets);
    pthread_cond_destroy(&mp->work);
    pthread_mutex_destroy(&mp->lock);
}

void mc_mempool_lock(mc_mempool *mp)
{
    pthread_mutex_lock(&mp->lock);
}
void mc_mempool_unlock(mc_mempool *mp)
{
    pthread_mutex_unlock(&mp->lock);
}

static mc_pending **mc_slot(mc_mempool *mp, const mc_hash *id)
{
    uint64_t h;
    memcpy(&h, id->b, 8);
    mc_pending **pp = &mp->buckets[h & (mp->nbuckets - 1)];
    while (*pp && memcmp((*pp)->id.b, id->b, 32) != 0) pp = &(*pp)->hnext;
    return pp;
}

/* Takes a sleeping waiter off the sleepers (lock held). */
static void mc_unsleep(mc_mempool *mp, mc_waiter *w)
{
    w->asleep = 0;
    if (w->sprev)
        w->sprev->snext = w->snext;
    else
        mp->sleepers = w->snext;
    if (w->snext) w->snext->sprev = w->sprev;
    w->snext = w->sprev = NULL;
}

/* Wakes a sleeping waiter (lock held): it leaves the sleepers and is posted exactly once. */
static void mc_wake(mc_mempool *mp, mc_waiter *w)
{
    if (!w->asleep) return;
    mc_unsleep(mp, w);
    sem_post(&w->wake);
}

/* Marks one waiter slot; returns 1 if the slot is now done for that waiter. Once a waiter's
 * last slot is done it is woken, and nothing may touch it after (it may have returned). */
static int mc_complete(mc_mempool *mp, mc_waiter *w, size_t slot, int state, int code, int err,
                       uint64_t height, uint32_t index)
{
    mc_api_txout *o = &w->outs[slot];
    o->state = state;
    o->code = code;
    o->err = err;
    o->height = height;
    o->index = index;
    int done = state != MC_TXS_ORDERED || w->wait == MC_WAIT_ORDERED;
    if (done && --w->remaining == 0) {
        atomic_store_explicit(&w->finished, 1, memory_order_release);
        mc_wake(mp, w);
    }
    return done;
}

int mc_mempool_admit_locked(mc_mempool *mp, const mc_hash *id, const uint8_t *tx, size_t n, mc_waiter *w,
                            size_t slot)
{
    if (mp->closing) return MC_ECLOSED;
    mc_pending **pp = mc_slot(mp, id), *p = *pp;
    if (p && p->state == MC_PENDING_ORDERED && w->wait == MC_WAIT_ORDERED) {
        w->outs[slot].state = MC_TXS_ORDERED; /* a retry of something already ordered */
        return MC_OK;
    }
    if (!p) {
        if (mp->total >= mp->max || n > mp->max_bytes - mp->bytes) return MC_EAGAIN;
        p = calloc(1, sizeof *p);
        if (!p || !(p->tx = malloc(n ? n : 1))) {
            free(p);
            return MC_ENOMEM;
        }
        p->id = *id;
        memcpy(p->tx, tx, n);
        p->n = n;
        *pp = p;
        if (mp->qtail)
            mp->qtail->qnext = p;
        else
            mp->qhead = p;
        mp->qtail = p;
        mp->queued++;
        mp->total++;
        mp->bytes += n;
        pthread_cond_signal(&mp->work);
    }
    mc_wref *r = malloc(sizeof *r);
    if (!r) return MC_ENOMEM;
    *r = (mc_wref){w, slot, p->refs};
    p->refs = r;
    w->outs[slot].state = p->state == MC_PENDING_ORDERED ? MC_TXS_ORDERED : MC_TXS_PENDING;
    w->remaining++;
    return MC_OK;
}

static void mc_deadline(struct timespec *ts, uint64_t deadline_ms)
{
    ts->tv_sec = (time_t)(deadline_ms / 1000);
    ts->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
}

void mc_mempool_hold(mc_waiter *w)
{
    sem_init(&w->wake, 0, 0);
    w->remaining = 1;
    w->held = 1;
    w->asleep = w->leaving = 0;
    atomic_init(&w->finished, 0);
    w->snext = w->sprev = NULL;
}

void mc_mempool_unhold_locked(mc_mempool *mp, mc_waiter *w)
{
    w->held = 0;
    if (--w->remaining == 0) {
        atomic_store_explicit(&w->finished, 1, memory_order_release);
        sem_post(&w->wake);
    } else if (w->leaving || mp->drained) {
        sem_post(&w->wake); /* it detaches itself */
    } else {
        w->asleep = 1;
        w->sprev = NULL;
        w->snext = mp->sleepers;
        if (mp->sleepers) mp->sleepers->sprev = w;
        mp->sleepers = w;
    }
}

static void mc_sem_wait(sem_t *s)
{
    while (sem_wait(s) != 0 && errno == EINTR) continue;
}

/* Takes @p w off everything still pending (lock held): its memory goes away on return. */
static void mc_detach(mc_mempool *mp, mc_waiter *w)
{
    for (size_t i = 0; w->remaining && i < w->n; i++) {
        mc_api_txout *o = &w->outs[i];
        if (o->state != MC_TXS_PENDING && !(o->state == MC_TXS_ORDERED && w->wait == MC_WAIT_COMMITTED))
            continue;
        mc_pending *p = *mc_slot(mp, &o->id);
        if (!p) continue;
        for (mc_wref **rr = &p->refs; *rr;) {
            if ((*rr)->w == w && (*rr)->slot == i) {
                mc_wref *dead = *rr;
                *rr = dead->next;
                free(dead);
                w->remaining--;
            } else {
                rr = &(*rr)->next;
            }
        }
    }
}

void mc_mempool_await(mc_mempool *mp, mc_waiter *w, uint64_t deadline)
{
    struct timespec ts;
    int r;
    mc_deadline(&ts, deadline);
    do r = sem_clockwait(&w->wake, CLOCK_MONOTONIC, &ts);
    while (r != 0 && errno == EINTR);
    if (r == 0 && atomic_load_explicit(&w->finished, memory_order_acquire)) {
        /* every slot done: nothing refers to w any more */
        sem_destroy(&w->wake);
        return;
    }
    pthread_mutex_lock(&mp->lock);
    if (r != 0) {
        if (w->held) { /* timed out before admission ended: the admitting thread posts when it lets go */
            w->leaving = 1;
            pthread_mutex_unlock(&mp->lock);
            mc_sem_wait(&w->wake);
            pthread_mutex_lock(&mp->lock);
        } else if (w->asleep) { /* timed out and nobody posted: leave the sleepers */
            mc_unsleep(mp, w);
        } else { /* posted (under the lock, so already) just after the timeout */
            mc_sem_wait(&w->wake);
        }
    }
    mc_detach(mp, w);
    pthread_mutex_unlock(&mp->lock);
    sem_destroy(&w->wake);
}

size_t mc_mempool_take(mc_mempool *mp, mc_pending **out, size_t max, size_t max_bytes, unsigned linger_ms)
{
    return mc_mempool_take_idle(mp, out, max, max_bytes, linger_ms, 0, NULL);
}

size_t mc_mempool_take_idle(mc_mempool *mp, mc_pending **out, size_t max, size_t max_bytes,
                            unsigned linger_ms, unsigned idle_ms, int *idle)
{
    struct timespec until;
    if (idle) *idle = 0;
    if (idle_ms) mc_deadline(&until, mc_time_mono_ms() + idle_ms);
    pthread_mutex_lock(&mp->lock);
    while (!mp->queued && !mp->closing) {
        if (!idle_ms) {
            pthread_cond_wait(&mp->work, &mp->lock);
        } else if (pthread_cond_timedwait(&mp->work, &mp->lock, &until) == ETIMEDOUT && !mp->queued &&
                   !mp->closing) {
            pthread_mutex_unlock(&mp->lock);
            if (idle) *idle = 1;
            return 0;
        }
    }
    if (linger_ms && mp->queued && mp->queued < max && !mp->closing) {
        struct timespec ts;
        mc_deadline(&ts, mc_time_mono_ms() + linger_ms);
        while (mp->queued < max && !mp->closing)
            if (pthread_cond_timedwait(&mp->work, &mp->lock, &ts) == ETIMEDOUT) break;
    }
    size_t n = 0, bytes = 0;
    while (n < max && mp->qhead) {
        mc_pending *p = mp->qhead;
        if (p->state == MC_PENDING_QUEUED && n > 0 && p->n + 4 > max_bytes - bytes) break; /* next batch */
        mp->qhead = p->qnext;
        if (!mp->qhead) mp->qtail = NULL;
        p->qnext = NULL;
        mp->queued--;
        if (p->state == MC_PENDING_DEAD) { /* committed while it waited here */
            mc_pending_free(p);
            continue;
        }
        p->state = MC_PENDING_ORDERING;
        bytes += p->n + 4;
        out[n++] = p;
    }
    pthread_mutex_unlock(&mp->lock);
    return n;
}

/* Takes @p p out of the hash (by identity: a newer entry may have the same id). */
static void mc_unlink(mc_mempool *mp, mc_pending *p)
{
    uint64_t h;
    memcpy(&h, p->id.b, 8);
    for (mc_pending **pp = &mp->buckets[h & (mp->nbuckets - 1)]; *pp; pp = &(*pp)->hnext)
        if (*pp == p) {
            *pp = p->hnext;
            p->hnext = NULL;
            mp->total--;
            mp->bytes -= p->n;
            return;
        }
}

void mc_mempool_ordered(mc_mempool *mp, mc_pending **taken, size_t n, int rc)
{
    pthread_mutex_lock(&mp->lock);
    for (size_t i = 0; i < n; i++) {
        mc_pending *p = taken[i];
        if (p->state == MC_PENDING_DONE) { /* the applier answered it already; ours to free */
            mc_pending_free(p);
            continue;
        }
        for (mc_wref **rr = &p->refs; *rr;) {
            mc_wref *r = *rr;
            int done = rc ? mc_complete(mp, r->w, r->slot, MC_TXS_FAILED, 0, rc, 0, 0)
                          : mc_complete(mp, r->w, r->slot, MC_TXS_ORDERED, 0, 0, 0, 0);
            if (done) {
                *rr = r->next;
                free(r);
            } else {
                rr = &r->next;
            }
        }
        if (rc) {
            mc_unlink(mp, p);
            mc_pending_free(p);
        } else {
            p->state = MC_PENDING_ORDERED;
        }
    }
    pthread_mutex_unlock(&mp->lock);
}

void mc_mempool_committed(mc_mempool *mp, const mc_hash *ids, const uint16_t *results, size_t n,
                          uint64_t height)
{
    pthread_mutex_lock(&mp->lock);
    for (size_t i = 0; i < n; i++) {
        mc_pending *p = *mc_slot(mp, &ids[i]);
        if (!p) continue;
        /* every waiter learns the real outcome, whichever copy of the id this was */
        for (mc_wref *r = p->refs; r; r = r->next)
            mc_complete(mp, r->w, r->slot, MC_TXS_COMMITTED, results[i], 0, height, (uint32_t)i);
        while (p->refs) {
            mc_wref *r = p->refs;
            p->refs = r->next;
            free(r);
        }
        mc_unlink(mp, p);
        if (p->state == MC_PENDING_ORDERED)
            mc_pending_free(p);
        else /* still held by the FIFO or the batcher: it frees it */
            p->state = p->state == MC_PENDING_QUEUED ? MC_PENDING_DEAD : MC_PENDING_DONE;
    }
    pthread_mutex_unlock(&mp->lock);
}

void mc_mempool_close(mc_mempool *mp)
{
    pthread_mutex_lock(&mp->lock);
    mp->closing = 1;
    pthread_cond_broadcast(&mp->work);
    pthread_mutex_unlock(&mp->lock);
}

void mc_mempool_drain(mc_mempool *mp)
{
    pthread_mutex_lock(&mp->lock);
    mp->drained = 1;
    while (mp->sleepers) mc_wake(mp, mp->sleepers);
    pthread_mutex_unlock(&mp->lock);
}

size_t mc_mempool_size(mc_mempool *mp)
{
    pthread_mutex_lock(&mp->lock);
    size_t n = mp->total;
    pthread_mutex_unlock(&mp->lock);
    return n;
}
