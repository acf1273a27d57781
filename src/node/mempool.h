/* Internal to the node module: admitted transactions and the requests waiting on them. */
#ifndef MEDCHAIN_NODE_MEMPOOL_H
#define MEDCHAIN_NODE_MEMPOOL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "medchain/api.h"
#include "medchain/chain.h"

/* A request waiting on some of its transactions. Fields after @c wait belong to the mempool
 * (mc_mempool_hold sets them). */
typedef struct mc_waiter {
    mc_api_txout *outs;
    size_t n;         /* slots */
    size_t remaining; /* slots not yet done */
    int wait;         /* enum mc_api_wait */
    /* posted once: by whoever completes its last slot (or drains the pool) while it is asleep,
     * who also unlinks it from the pool's sleepers, or by mc_mempool_unhold_locked */
    sem_t wake;
    int held;    /* admission not finished (mc_mempool_hold) */
    int asleep;  /* among the pool's sleepers */
    int leaving; /* its deadline passed while held: post at unhold rather than sleep */
    /* set, with release order before the post, when the last slot was done: the woken thread
     * reads its outcomes after an acquire load of it, without the lock */
    atomic_int finished;
    struct mc_waiter *snext, *sprev;
} mc_waiter;

typedef struct mc_wref {
    mc_waiter *w;
    size_t slot;
    struct mc_wref *next;
} mc_wref;

/*
 * Entry lifecycle. QUEUED (in the FIFO) -> ORDERING (held by the batcher) -> ORDERED -> freed at
 * commit. An entry committed early (its id was already in an applied batch, e.g. a retry after
 * a restart) is answered and unlinked at once, but freed only by whoever still holds it:
 * DONE is freed by the batcher's mc_mempool_ordered(), DEAD is dropped by mc_mempool_take().
 * Nothing reads an entry it does not hold after the lock is released.
 */
enum { MC_PENDING_QUEUED = 0, MC_PENDING_ORDERING, MC_PENDING_ORDERED, MC_PENDING_DONE, MC_PENDING_DEAD };

/* A transaction admitted but not yet committed. */
typedef struct mc_pending {
    mc_hash id;
    int state;
    uint8_t *tx;
    size_t n;
    mc_wref *refs;
    struct mc_pending *hnext; /* hash chain */
    struct mc_pending *qnext; /* queue (QUEUED) or taken list */
} mc_pending;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t work; /* the batcher */
    mc_waiter *sleepers; /* requests asleep in mc_mempool_wait_unlock (for drain) */
    mc_pending **buckets;
    size_t nbuckets;
    mc_pending *qhead, *qtail;
    size_t queued; /* in the FIFO (QUEUED or DEAD) */
    size_t total;  /* linked in the hash: admitted and not yet committed */
    size_t bytes;  /* transaction bytes held */
    size_t max;
    size_t max_bytes;
    int closing; /* no new admissions */
    int drained; /* the pipeline has stopped: wake every waiter for good */
} mc_mempool;

int mc_mempool_init(mc_mempool *mp, size_t max, size_t max_bytes);
void mc_mempool_destroy(mc_mempool *mp);

/* Admits one transaction for waiter slot (lock held by caller via _lock/_unlock).
 * Returns MC_OK (slot will be completed later or already is), MC_EAGAIN (full), MC_ECLOSED. */
void mc_mempool_lock(mc_mempool *mp);
void mc_mempool_unlock(mc_mempool *mp);
int mc_mempool_admit_locked(mc_mempool *mp, const mc_hash *id, const uint8_t *tx, size_t n, mc_waiter *w,
                            size_t slot);
/*
 * Waiting, in three steps, so that the thread that admits a request's transactions need not be
 * the thread that waits on them (the log signer admits for the reads it signs):
 *   mc_mempool_hold(w)            before @p w is shared: it counts one more slot, the hold, and
 *                                 its semaphore is initialised (outs, n and wait already set);
 *   mc_mempool_unhold_locked(w)   by the admitting thread, once it has admitted what it will
 *                                 for @p w (lock held); it must not touch @p w after;
 *   mc_mempool_await(w)           by the waiting thread (lock not held): returns once every slot
 *                                 is done, the deadline passed or the pool drained, with @p w
 *                                 detached from whatever it still waits on.
 * Only this waiter is woken, once, when its last slot is done (or at drain). A deadline that
 * passes before the hold is released waits for the release.
 */
void mc_mempool_hold(mc_waiter *w);
void mc_mempool_unhold_locked(mc_mempool *mp, mc_waiter *w);
void mc_mempool_await(mc_mempool *mp, mc_waiter *w, uint64_t deadline_mono_ms);

/* Batcher: takes up to @p max queued transactions holding at most @p max_bytes (blocking until
 * there is one, or the pool is closing and empty: then returns 0). Lingers up to @p linger_ms
 * for a fuller batch. */
size_t mc_mempool_take(mc_mempool *mp, mc_pending **out, size_t max, size_t max_bytes, unsigned linger_ms);
/* The same, but waits at most @p idle_ms (0: for ever) for a first transaction: when none came
 * (the pool is quiet, not closing), returns 0 with *idle set. */
size_t mc_mempool_take_idle(mc_mempool *mp, mc_pending **out, size_t max, size_t max_bytes,
                            unsigned linger_ms, unsigned idle_ms, int *idle);
/* Batcher: the taken transactions were ordered (rc == MC_OK) or could not be (rc). */
void mc_mempool_ordered(mc_mempool *mp, mc_pending **taken, size_t n, int rc);
/* Applier: a block was applied. */
void mc_mempool_committed(mc_mempool *mp, const mc_hash *ids, const uint16_t *results, size_t n,
                          uint64_t height);
/* Stops admissions; the batcher drains what is queued. */
void mc_mempool_close(mc_mempool *mp);
/* The pipeline has stopped: every waiter returns with what it has. */
void mc_mempool_drain(mc_mempool *mp);
size_t mc_mempool_size(mc_mempool *mp);

#endif
