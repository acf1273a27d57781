/*
 * medchain orderer: decides the order of signed batches, nothing else (execute after order).
 *
 * A backend takes batches (submit) and hands back every ordered batch, in order, from a
 * position (next). Positions are opaque bytes the node stores in the same store transaction as
 * the block made from the batch, so that after a crash it resumes exactly where it stopped.
 *
 *   solo  in-process, one node: an append-only, checksummed, fsynced log file.
 *   etcd  (the consortium backend) the same interface over an etcd v3 cluster.
 *
 * Durability contract: when submit returns MC_OK the batch is durably ordered; it will be
 * delivered by next() after any crash.
 *
 * Beside the order, optionally: a side channel of small unordered values (publish, fetch;
 * attestations) and compaction of the log below a position (compact).
 *
 * THREAD SAFETY: submit, next, the side channel and compact may be called from different
 * threads concurrently; next from one thread at a time.
 */
#ifndef MEDCHAIN_ORDERER_H
#define MEDCHAIN_ORDERER_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MC_ORDERER_POS_MAX 64u

/** A position in the ordered log: opaque bytes, meaningful only to the backend that made them. */
typedef struct {
    size_t n;
    uint8_t b[MC_ORDERER_POS_MAX];
} mc_orderer_pos;

typedef struct mc_orderer mc_orderer;

/** One side-channel value to publish (all borrowed). */
typedef struct {
    const char *name;
    const void *p;
    size_t n;
} mc_orderer_kv;

/** The operations every backend implements. */
typedef struct {
    const char *name;
    int (*submit)(mc_orderer *o, const uint8_t *batch, size_t n);
    int (*next)(mc_orderer *o, const mc_orderer_pos *after, mc_buf *batch, mc_orderer_pos *pos,
                int timeout_ms);
    void (*close)(mc_orderer *o);
    /* optional (NULL: the backend has no side channel) */
    int (*publish)(mc_orderer *o, const char *name, const uint8_t *p, size_t n);
    int (*fetch)(mc_orderer *o, const char *prefix,
                 int (*fn)(void *arg, const char *name, const uint8_t *p, size_t n), void *arg);
    /* optional (NULL: nothing to compact) */
    int (*compact)(mc_orderer *o, const mc_orderer_pos *upto);
    /* optional (NULL: publish one by one) */
    int (*publish_many)(mc_orderer *o, const mc_orderer_kv *kvs, size_t n);
    /* optional (NULL: the backend has no side channel) */
    int (*fetch_range)(mc_orderer *o, const char *from, const char *to,
                       int (*fn)(void *arg, const char *name, const uint8_t *p, size_t n), void *arg);
} mc_orderer_ops;

struct mc_orderer {
    const mc_orderer_ops *ops;
    size_t max_batch; /**< largest batch submit takes (0: MC_MAX_BATCH_BYTES) */
};

/** The largest batch @p o accepts: a batcher cuts its batches below this. */
size_t mc_orderer_max_batch(const mc_orderer *o);

/**
 * Opens the solo backend with its log in @p dir (created if needed). A torn record at the end
 * of the log (a crash mid-append, never acknowledged) is cut off.
 * @return MC_OK, MC_EIO, MC_ECORRUPT (damage before the end), MC_ENOMEM.
 */
int mc_orderer_solo_open(mc_orderer **pp, const char *dir) MC_WARN_UNUSED_RESULT;

/**
 * Appends a batch to the order. Durable when it returns MC_OK.
 * @return MC_OK, MC_ETOOBIG, MC_EIO, MC_EUNAVAIL (backend cannot order now), MC_ECLOSED.
 */
int mc_orderer_submit(mc_orderer *o, const uint8_t *batch, size_t n) MC_WARN_UNUSED_RESULT;

/**
 * Waits up to @p timeout_ms (>= 0) for the first batch after @p after (a zero-length position
 * means the start of the log) and copies it into @p batch, with its position into @p pos.
 * @return MC_OK, MC_ETIMEDOUT, MC_ECORRUPT (damaged log, or a position past its end), MC_EIO,
 * MC_ESTALE (the backend no longer holds the log after @p after: etcd compacted it),
 * MC_ECLOSED, MC_EINVAL (a position of another backend, negative timeout), MC_ETOOBIG or
 * MC_ENOMEM (the batch does not fit @p batch).
 */
int mc_orderer_next(mc_orderer *o, const mc_orderer_pos *after, mc_buf *batch, mc_orderer_pos *pos,
                    int timeout_ms) MC_WARN_UNUSED_RESULT;

/** Wakes waiters with MC_ECLOSED, waits until they have left, and frees the backend. NULL is harmless. */
void mc_orderer_close(mc_orderer *o);

/* ------------------------------------------------------------------------------------------ */
/* The side channel: small values beside the ordered log (attestations), never ordered.        */

#define MC_ORDERER_NAME_MAX  160u  /**< bytes in a side-channel name: [a-z0-9/._-], not starting with '/' */
#define MC_ORDERER_VALUE_MAX 4096u /**< bytes in a side-channel value */

/**
 * Publishes @p n bytes under @p name beside the ordered log: never ordered, never delivered by
 * next(), so publishing makes no block. A later publish under the same name replaces the value.
 * etcd: a plain put of key <side prefix><name>.
 * @return MC_OK (a quorum of the backend has it), MC_EINVAL (bad name), MC_ETOOBIG, MC_EUNAVAIL,
 * MC_ECLOSED, MC_ENOTFOUND (the backend has no side channel: solo, where one node keeps its
 * own word in its store).
 */
int mc_orderer_publish(mc_orderer *o, const char *name, const void *p, size_t n) MC_WARN_UNUSED_RESULT;

#define MC_ORDERER_PUBLISH_MAX 128u /**< values in one mc_orderer_publish_many */

/**
 * Publishes @p n values (1..MC_ORDERER_PUBLISH_MAX) as mc_orderer_publish does, in one request
 * where the backend can: etcd puts them all in one transaction (one Raft round and one sync for
 * all, all or none), so a node that has several heights to attest pays for one. Names and sizes
 * are checked first: nothing is published if one is bad.
 * @return as mc_orderer_publish; MC_EINVAL also for n == 0 or over the maximum.
 */
int mc_orderer_publish_many(mc_orderer *o, const mc_orderer_kv *kvs, size_t n) MC_WARN_UNUSED_RESULT;

/** Called for each value found by mc_orderer_fetch; nonzero stops the fetch (and is returned). */
typedef int (*mc_orderer_kv_fn)(void *arg, const char *name, const uint8_t *p, size_t n);

/**
 * Calls @p fn for every value published (by any node) under a name beginning with @p prefix,
 * in name order, at most 256 of them. @return MC_OK, fn's value, MC_EINVAL, MC_EUNAVAIL,
 * MC_ECLOSED, MC_ENOTFOUND (no side channel), MC_ENOMEM.
 */
int mc_orderer_fetch(mc_orderer *o, const char *prefix, mc_orderer_kv_fn fn, void *arg) MC_WARN_UNUSED_RESULT;

/**
 * As mc_orderer_fetch, for the names from @p from (included) to @p to (excluded) in byte order,
 * at most 256 of them: several heights' attestations in one request
 * ("attest/0000000000000010/" to "attest/0000000000000020/").
 * @return as mc_orderer_fetch; MC_EINVAL also when @p to is not above @p from.
 */
int mc_orderer_fetch_range(mc_orderer *o, const char *from, const char *to, mc_orderer_kv_fn fn,
                           void *arg) MC_WARN_UNUSED_RESULT;

/**
 * Forgets the ordered log at and below @p upto (a position next() returned), so the backend
 * stops holding the history every node has applied (and certified: the caller's choice).
 * Afterwards next() from a position below @p upto returns MC_ESTALE (a node there fetches those
 * blocks from peers), and next() from @p upto onward goes on as before, delivering only batches.
 *
 * etcd: deletes the batch keys created at or below upto's revision (in transactions of 128
 * deletions; the deletions are never delivered as batches) and compacts etcd's history at
 * revision + 1 (at the revision itself when nothing came after it), waiting for the physical
 * compaction. etcd compacts its whole keyspace, not only this prefix: every reader of the
 * cluster must be past the point. A batch re-submitted after its key was deleted is ordered
 * again; the executor's applied-batch check then skips it (exactly-once by the key holds until
 * compaction, by the chain after it). Idempotent: compacting again at or below a point already
 * compacted deletes nothing and returns MC_OK.
 * solo: MC_ENOTFOUND (its log is the node's own record and is never compacted).
 *
 * May run while submit and next run on other threads.
 * @return MC_OK, MC_EINVAL (a position of another backend), MC_ENOTFOUND (the backend cannot
 * compact), MC_EUNAVAIL (no endpoint acknowledged; some keys may be deleted already: call again),
 * MC_ECLOSED, MC_ENOMEM.
 */
int mc_orderer_compact(mc_orderer *o, const mc_orderer_pos *upto) MC_WARN_UNUSED_RESULT;

/** Settings of the etcd backend; strings are copied by open. */
typedef struct {
    const char *const *endpoints; /**< client URLs ("http(s)://host:port"), tried in turn on failure */
    size_t nendpoints;
    const char
        *prefix;      /**< key prefix of the chain's batches, ending in '/' ("/medchain/<chain>/batches/") */
    const char *ca;   /**< PEM CA file to trust for https endpoints (NULL: the system's) */
    const char *cert; /**< PEM client certificate (mutual TLS), or NULL */
    const char *key;  /**< its unencrypted PEM key, or NULL */
    int timeout_ms;   /**< a submit gives up after this, over all endpoints (0: 3000) */
    int connect_timeout_ms; /**< per connection attempt (0: 1000) */
    size_t max_batch; /**< largest batch (0: 1.5 MiB - 8 KiB, under etcd's default --max-request-bytes) */
    /**
     * Key prefix of the side channel (mc_orderer_publish), ending in '/', outside the batch
     * prefix. NULL: the batch prefix without a last "batches/" ("/medchain/<chain>/"), or else
     * the batch prefix without its '/' and with "-side/" ("/x/" gives "/x-side/").
     */
    const char *side_prefix;
} mc_etcd_opts;

/**
 * Opens the etcd backend (the consortium's): batches are appended under @p opts->prefix over
 * etcd's v3 JSON gateway and read back in revision order with a long-lived watch stream.
 * Nothing is contacted at open.
 *
 * - submit puts key prefix + hex SHA-256(batch), value the batch, in a transaction that creates
 *   the key only if it does not exist: a retried submit of the same batch (after a timeout or a
 *   crash) orders it once (while its key exists: see mc_orderer_compact). MC_OK means a quorum of etcd
 * committed it. MC_EUNAVAIL means no endpoint acknowledged it within timeout_ms (no quorum, all unreachable);
 * the batch was not acknowledged, though etcd may still have committed it (it is then delivered by next,
 * once). MC_ETOOBIG over max_batch or etcd's request limit.
 * - next delivers the keys created under the prefix in revision order; a position is the etcd
 *   revision of the batch, 8 bytes big-endian. It returns MC_ESTALE when etcd's history after
 *   @p after was compacted (the node must catch up from a peer), MC_ETIMEDOUT when nothing came
 *   within the timeout, also when no endpoint could be reached (logged, rate-limited): a
 *   follower waits for etcd to come back rather than halt. The first next() from a position
 *   starts a thread that keeps one watch open from there (reopened from the last revision it
 *   read after an error, on the next endpoint, and after a second with nothing received) and
 *   queues up to 64 MiB of batches ahead; the following calls take them from the queue with no
 *   request of their own. A next() from any other position starts over from it.
 * - close waits for a submit in progress (at most timeout_ms) and for the watch thread (about a
 *   second at most).
 *
 * @return MC_OK, MC_EINVAL (no endpoint, an URL not http(s), a prefix not ending in '/'), MC_ENOMEM.
 */
int mc_orderer_etcd_open(mc_orderer **pp, const mc_etcd_opts *opts) MC_WARN_UNUSED_RESULT;

/** Reads one record of a solo log file at @p offset (for verify): the batch and the next offset. */
int mc_orderer_solo_read(const char *dir, uint64_t offset, mc_buf *batch,
                         uint64_t *next_offset) MC_WARN_UNUSED_RESULT;

#ifdef __cplusplus
}
#endif
#endif
