/*
 * The etcd orderer's reader: next() hands out the batches of one long-lived watch stream.
 *
 * A watch on the prefix from revision after+1 replays etcd's history in revision order and then
 * follows it live. Only creations count (a PUT of version 1 whose key is the hash of its value);
 * deletions (compaction's, or anyone's) and overwrites are skipped, so every node derives the
 * same sequence from the same history. A watch below etcd's compaction point is cancelled with
 * the compaction revision: the history the reader needs is gone (MC_ESTALE).
 *
 * One stream thread per reading position ("generation") keeps a watch open, parses its
 * newline-separated JSON messages as they arrive and queues the batches; next() takes them from
 * the queue, so a batch costs no connection and no request of its own. The thread reconnects
 * from the last revision it queued when the stream fails (another endpoint, after a pause) or
 * when nothing at all arrived for a second (so that a dead connection is noticed and close()
 * never waits long). Watches are created with "fragment" (a message stays near etcd's request
 * limit) and the "hasleader" metadata (a member cut off from the quorum cancels the watch
 * instead of going quiet). The queue holds at most MC_ETCD_QUEUE_CAP bytes: beyond it the
 * thread stops reading and TCP holds etcd back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd_internal.h"
#include "medchain/chain.h"
#include "medchain/crypto.h"

#define MC_ETCD_QUEUE_CAP (64u << 20) /* bytes of batches queued ahead of next() */
#define MC_ETCD_IDLE_MS   1000        /* a stream silent this long is reopened */

/* One stream thread's state (owned by the thread). */
typedef struct {
    mc_etcd *e;
    uint64_t gen;
    mc_buf line;        /* the message being received */
    uint64_t compacted; /* > 0: refused, history compacted up to this revision */
    int failed;         /* an error message or a cancel */
    int bad;            /* a message that did not parse, or memory ran out */
    int stop;           /* another generation took over, or the handle is closing */
    char why[160];
} mc_etcd_stream;

static void mc_etcd_wait_until(mc_etcd *e, uint64_t deadline_ms)
{
    struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&e->wcond, &e->wlock, &ts);
}

/* Under wlock: this stream is no longer wanted. */
static int mc_etcd_unwanted(const mc_etcd_stream *s)
{
    return s->e->gen != s->gen || atomic_load(&s->e->closed) || s->e->stale;
}

static void mc_etcd_q_clear(mc_etcd *e)
{
    for (size_t i = e->qhead; i < e->qn; i++) free(e->q[i].p);
    e->qhead = e->qn = 0;
    e->qbytes = 0;
}

/* Under wlock: queues a batch (taking @p p) unless an older or equal revision. */
static int mc_etcd_q_push(mc_etcd *e, uint64_t rev, uint8_t *p, size_t n)
{
    if (rev <= e->tail) { /* never twice, never backwards */
        free(p);
        return MC_OK;
    }
    if (e->qn == e->qcap) {
        if (e->qhead > 0) { /* reuse the room handed out already */
            memmove(e->q, e->q + e->qhead, (e->qn - e->qhead) * sizeof *e->q);
            e->qn -= e->qhead;
            e->qhead = 0;
        } else {
            size_t cap = e->qcap ? e->qcap * 2 : 64;
            mc_etcd_item *q = realloc(e->q, cap * sizeof *q);
            if (!q) {
                free(p);
                return MC_ENOMEM;
            }
            e->q = q;
            e->qcap = cap;
        }
    }
    e->q[e->qn++] = (mc_etcd_item){rev, p, n};
    e->qbytes += n;
    e->tail = rev;
    pthread_cond_broadcast(&e->wcond);
    return MC_OK;
}

/* One event of a watch message: a creation of a batch key is queued. @return non-zero to stop. */
static int mc_etcd_event(mc_etcd_stream *s, json_t *ev)
{
    mc_etcd *e = s->e;
    size_t np = strlen(e->prefix);
    json_t *type = json_object_get(ev, "type"), *kv = json_object_get(ev, "kv");
    /* proto3 JSON leaves out the default type, PUT; a DELETE is never a batch */
    if ((type && !(json_is_string(type) && !strcmp(json_string_value(type), "PUT"))) || !kv) return 0;
    if (mc_etcd_u64(json_object_get(kv, "version")) != 1) return 0; /* an overwrite, not a creation */
    uint64_t rev = mc_etcd_u64(json_object_get(kv, "create_revision"));
    const char *kb = json_string_value(json_object_get(kv, "key"));
    const char *vb = json_string_value(json_object_get(kv, "value"));
    if (!vb) vb = ""; /* proto3 JSON leaves an empty value out */
    uint8_t key[600];
    size_t nk, nv, nvb = strlen(vb);
    if (!kb || mc_base64_decode(key, sizeof key, &nk, kb, strlen(kb)) || nk != np + 64) return 0;
    uint8_t *val = malloc(nvb / 4 * 3 + 1);
    if (!val) {
        s->bad = 1;
        return 1;
    }
    mc_hash sum;
    char hex[65] = "";
    int decoded = mc_base64_decode(val, nvb / 4 * 3 + 1, &nv, vb, nvb) == MC_OK;
    if (decoded) {
        mc_sha256(&sum, val, nv);
        mc_hex_encode(hex, sum.b, 32);
    }
    /* a value that is not base64, or a key that is not the hash of its value, was not
     * written by a node: the same skip on every node, since every node sees the same history */
    if (!decoded || nv > MC_MAX_BATCH_BYTES || memcmp(key + np, hex, 64) != 0) {
        mc_log(MC_LOG_WARN, "orderer", "etcd: ignoring a foreign entry at revision %llu under the prefix",
               (unsigned long long)rev);
        free(val);
        return 0;
    }
    pthread_mutex_lock(&e->wlock);
    while (!mc_etcd_unwanted(s) && e->qbytes > MC_ETCD_QUEUE_CAP) /* next() is behind: wait for it */
        pthread_cond_wait(&e->wcond, &e->wlock);
    int rc = MC_OK;
    if (mc_etcd_unwanted(s)) {
        free(val);
        s->stop = 1;
    } else if ((rc = mc_etcd_q_push(e, rev, val, nv)) != MC_OK) {
        s->bad = 1;
    }
    pthread_mutex_unlock(&e->wlock);
    return s->stop || rc != MC_OK;
}

/* One complete JSON line of the watch stream. @return non-zero to end the stream. */
static int mc_etcd_message(mc_etcd_stream *s, const char *p, size_t n)
{
    json_t *j = json_loadb(p, n, 0, NULL);
    if (!j) {
        s->bad = 1;
        return 1;
    }
    int stop = 0;
    json_t *err = json_object_get(j, "error"), *res = json_object_get(j, "result");
    if (err || !res) {
        json_t *m = json_is_object(err) ? json_object_get(err, "message") : err;
        snprintf(s->why, sizeof s->why, "%s", json_is_string(m) ? json_string_value(m) : "watch error");
        s->failed = stop = 1;
    } else if (json_is_true(json_object_get(res, "canceled"))) {
        s->compacted = mc_etcd_u64(json_object_get(res, "compact_revision"));
        json_t *m = json_object_get(res, "cancel_reason");
        snprintf(s->why, sizeof s->why, "watch cancelled: %s", json_is_string(m) ? json_string_value(m) : "");
        s->failed = stop = 1;
    } else {
        json_t *events = json_object_get(res, "events"), *ev;
        size_t i;
        json_array_foreach(events, i, ev)
        {
            if ((stop = mc_etcd_event(s, ev))) break;
        }
    }
    json_decref(j);
    return stop;
}

static int mc_etcd_chunk(void *arg, const char *p, size_t n)
{
    mc_etcd_stream *s = arg;
    if (atomic_load(&s->e->closed)) return s->stop = 1;
    if (mc_buf_append(&s->line, p, n)) {
        s->bad = 1;
        return 1;
    }
    for (;;) {
        uint8_t *nl = memchr(s->line.p, '\n', s->line.n);
        if (!nl) return 0;
        size_t len = (size_t)(nl - s->line.p);
        int stop = len ? mc_etcd_message(s, (const char *)s->line.p, len) : 0;
        memmove(s->line.p, nl + 1, s->line.n - len - 1);
        s->line.n -= len + 1;
        if (stop) return 1;
    }
}

/* Why a stream ended badly, for the rate-limited warning. */
static void mc_etcd_stream_why(const mc_etcd_stream *s, const char *ep, int rc, long status,
                               const mc_buf *err, char *out, size_t cap)
{
    if (s->bad) {
        snprintf(out, cap, "%s: a watch message over the cap or unreadable", ep);
    } else if (s->failed) {
        snprintf(out, cap, "%s: %s", ep, s->why);
    } else if (rc == MC_OK && status >= 200 && status < 300) {
        snprintf(out, cap, "%s: the watch ended early", ep);
    } else if (rc == MC_OK) {
        char msg[160];
        mc_etcd_error_text(err, msg, sizeof msg);
        snprintf(out, cap, "%s: HTTP %ld: %s", ep, status, msg);
    } else {
        snprintf(out, cap, "%s: %s", ep, mc_strerror(rc));
    }
}

/* Opens one watch from the revision after the last queued one and reads it until it ends. */
static int mc_etcd_stream_once(mc_etcd_stream *s, size_t ep, uint64_t from, long *status, mc_buf *err)
{
    mc_etcd *e = s->e;
    char body[1024];
    int nb = snprintf(body, sizeof body,
                      "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\",\"start_revision\":\"%llu\","
                      "\"fragment\":true}}",
                      e->prefix_b64, e->end_b64, (unsigned long long)from + 1);
    if (nb < 0 || (size_t)nb >= sizeof body) return MC_EINVAL;
    mc_http *h;
    int rc = mc_etcd_new_client(e, ep, &h);
    if (rc) return rc;
    mc_http_set_timeout(h, 0); /* a stream has no end; the idle limit notices a dead one */
    mc_buf_reset(&s->line);
    s->failed = s->bad = 0;
    rc = mc_http_stream_body(h, "POST", "/v3/watch", body, (size_t)nb, "Grpc-Metadata-hasleader: true",
                             MC_ETCD_IDLE_MS, status, mc_etcd_chunk, s, err);
    mc_http_free(h);
    return rc;
}

static void *mc_etcd_stream_main(void *arg)
{
    mc_etcd_stream *s = arg;
    mc_etcd *e = s->e;
    mc_buf err;
    mc_buf_init(&err, 1u << 16);
    unsigned fails = 0;
    pthread_mutex_lock(&e->wlock);
    while (!mc_etcd_unwanted(s)) {
        uint64_t from = e->tail;
        size_t ep = e->wcur;
        pthread_mutex_unlock(&e->wlock);
        long status = 0;
        int rc = mc_etcd_stream_once(s, ep, from, &status, &err);
        char why[200] = "";
        /* silent for a second on a good stream: reopened at once, on the same endpoint */
        int idle = rc == MC_ETIMEDOUT && status == 200 && !s->failed && !s->bad;
        if (!idle && !s->stop && !s->compacted)
            mc_etcd_stream_why(s, e->ep[ep], rc, status, &err, why, sizeof why);
        pthread_mutex_lock(&e->wlock);
        if (s->compacted && !mc_etcd_unwanted(s)) {
            e->stale = s->compacted;
            pthread_cond_broadcast(&e->wcond);
        }
        if (idle || s->stop || s->compacted || mc_etcd_unwanted(s)) {
            fails = 0;
            if (idle) e->down = 0;
            continue;
        }
        /* this endpoint failed: the next one, after a pause that keeps a dead cluster from
         * being hammered (longer once every endpoint failed) */
        e->down = 1;
        snprintf(e->why, sizeof e->why, "%s", why);
        e->wcur = (ep + 1) % e->nep;
        fails++;
        mc_etcd_wait_until(e, mc_time_mono_ms() + (fails < e->nep ? 20 : 200));
    }
    e->live--;
    pthread_cond_broadcast(&e->wcond);
    pthread_mutex_unlock(&e->wlock);
    mc_buf_free(&s->line);
    mc_buf_free(&err);
    free(s);
    return NULL;
}

/* Under wlock: a new generation reading after @p from, with its own stream thread. */
static int mc_etcd_restart(mc_etcd *e, uint64_t from)
{
    mc_etcd_q_clear(e);
    e->q_after = e->tail = from;
    e->gen++;
    e->stale = 0;
    e->down = 0;
    pthread_cond_broadcast(&e->wcond); /* the old generation's thread leaves */
    mc_etcd_stream *s = calloc(1, sizeof *s);
    if (!s) return MC_ENOMEM;
    s->e = e;
    s->gen = e->gen;
    mc_buf_init(&s->line, MC_ETCD_LINE_CAP);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &a, mc_etcd_stream_main, s);
    pthread_attr_destroy(&a);
    if (rc) {
        free(s);
        e->q_after = UINT64_MAX; /* the next call tries again */
        return MC_ENOMEM;
    }
    e->live++;
    return MC_OK;
}

/* Under wlock: hands out the head of the queue. */
static int mc_etcd_pop(mc_etcd *e, mc_buf *batch, mc_orderer_pos *pos)
{
    mc_etcd_item *it = &e->q[e->qhead];
    mc_buf_reset(batch);
    int rc = mc_buf_append(batch, it->p, it->n);
    if (rc) return rc; /* left queued: the caller may retry with a larger buffer */
    pos->n = 8;
    mc_put_u64be(pos->b, it->rev);
    e->q_after = it->rev;
    int was_full = e->qbytes > MC_ETCD_QUEUE_CAP;
    e->qbytes -= it->n;
    free(it->p);
    if (++e->qhead == e->qn) e->qhead = e->qn = 0;
    if (was_full && e->qbytes <= MC_ETCD_QUEUE_CAP) pthread_cond_broadcast(&e->wcond);
    return MC_OK;
}

int mc_etcd_next(mc_orderer *o, const mc_orderer_pos *after, mc_buf *batch, mc_orderer_pos *pos,
                 int timeout_ms)
{
    mc_etcd *e = (mc_etcd *)o;
    if (timeout_ms < 0 || (after && after->n != 0 && after->n != 8)) return MC_EINVAL;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    uint64_t from = after && after->n ? mc_get_u64be(after->b) : 0;
    if (from >= (uint64_t)INT64_MAX) return MC_EINVAL;
    int rc = MC_OK;
    uint64_t deadline = mc_time_mono_ms() + (uint64_t)timeout_ms;
    pthread_mutex_lock(&e->wlock);
    if (from != e->q_after) rc = mc_etcd_restart(e, from); /* a new reading position */
    while (!rc && e->qn == e->qhead && !e->stale && !atomic_load(&e->closed) && mc_time_mono_ms() < deadline)
        mc_etcd_wait_until(e, deadline);
    if (rc) {
        /* no thread: nothing to wait for */
    } else if (e->qn > e->qhead) {
        rc = mc_etcd_pop(e, batch, pos);
    } else if (atomic_load(&e->closed)) {
        rc = MC_ECLOSED;
    } else if (e->stale) {
        rc = MC_ESTALE;
        mc_log(MC_LOG_ERROR, "orderer",
               "etcd: the ordered log after revision %llu is gone (etcd compacted it up to %llu): this node "
               "must catch up from a peer's blocks",
               (unsigned long long)from, (unsigned long long)e->stale);
    } else {
        rc = MC_ETIMEDOUT;
        uint64_t now = mc_time_now_ms();
        if (e->down && now - e->last_warn_ms >= MC_ETCD_WARN_EVERY_MS) {
            e->last_warn_ms = now;
            mc_log(MC_LOG_WARN, "orderer", "etcd: cannot follow the ordered log (%s); retrying", e->why);
        }
    }
    pthread_mutex_unlock(&e->wlock);
    return rc;
}

void mc_etcd_watch_close(mc_etcd *e)
{
    pthread_mutex_lock(&e->wlock);
    pthread_cond_broadcast(&e->wcond);
    /* a thread leaves at its next message, pause or idle limit: within about a second */
    while (e->live > 0) pthread_cond_wait(&e->wcond, &e->wlock);
    mc_etcd_q_clear(e);
    free(e->q);
    e->q = NULL;
    e->qcap = 0;
    pthread_mutex_unlock(&e->wlock);
}
