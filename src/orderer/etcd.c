/*
 * The etcd orderer: the consortium's batches ordered by an etcd v3 cluster (Raft), spoken to
 * over etcd's JSON gateway (/v3/kv/txn, /v3/watch) with the net module's HTTP client.
 *
 * Key scheme: prefix + 64 hex digits of SHA-256(batch), value the batch. The put is a
 * transaction "create_revision(key) == 0 ? put : nothing", so a batch submitted twice (a retry
 * after a timeout, on another endpoint, or after a crash) is created once. Batch keys are never
 * modified: the revision that created a key is its place in the total order.
 *
 * Reading: a watch on the prefix from revision after+1 replays etcd's history in revision order
 * and then follows it live. Only creations count (a PUT of version 1 whose key is the hash of
 * its value); deletions and overwrites are ignored, so every node derives the same sequence
 * from the same history. A watch below etcd's compaction point is refused with the compaction
 * revision: the history a node needs is gone, which next() reports as MC_ESTALE.
 *
 * Each next() that finds nothing buffered opens a watch, keeps the first message that carries
 * batches (watches are created with "fragment", so a message stays near etcd's request limit)
 * and ends the stream; the other batches of that message serve the following calls.
 *
 * JSON: the gateway speaks only JSON, so this module reads it with jansson, as the api and the
 * CLI do at their edges; nothing consensus-critical sees it (the batch bytes are base64 inside).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/net.h"
#include "medchain/orderer.h"

#define MC_ETCD_MAX_ENDPOINTS     16
#define MC_ETCD_DEFAULT_MAX_BATCH ((1536u << 10) - (8u << 10))
#define MC_ETCD_LINE_CAP          (256u << 20) /* one watch message, in JSON */
#define MC_ETCD_MIN_WAIT_MS       50
#define MC_ETCD_WARN_EVERY_MS     5000

/* A batch taken from a watch message, not yet handed out. */
typedef struct {
    uint64_t rev;
    uint8_t *p;
    size_t n;
} mc_etcd_item;

/* One side (submit or next): its own clients, so the two can run at once. */
typedef struct {
    pthread_mutex_t lock;
    mc_http *http[MC_ETCD_MAX_ENDPOINTS];
    size_t cur; /* the endpoint that worked last */
} mc_etcd_side;

typedef struct {
    mc_orderer base;
    char *ep[MC_ETCD_MAX_ENDPOINTS];
    size_t nep;
    char *prefix;
    char *prefix_b64, *end_b64; /* the watched range [prefix, end) */
    char *ca, *cert, *key;
    int timeout_ms, connect_ms;
    atomic_int closed;
    mc_etcd_side sub, nxt;
    mc_etcd_side aux; /* the side channel (publish, fetch) */
    char *side;       /* its key prefix */
    /* next side, under nxt.lock */
    mc_etcd_item *q;
    size_t qhead, qn, qcap;
    uint64_t q_after; /* the position just before q[qhead] */
    uint64_t last_warn_ms;
} mc_etcd;

/* What one watch stream produced (the chunk callback's state). */
typedef struct {
    mc_etcd *e;
    mc_buf line;
    uint64_t after;
    uint64_t compacted; /* > 0: refused, history compacted up to this revision */
    int failed;         /* an error message or a cancel */
    char why[160];
    int bad; /* a message that did not parse, or memory ran out */
} mc_etcd_watch;

static char *mc_strdup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static uint64_t mc_json_u64(json_t *v)
{
    /* proto3 JSON writes int64 fields as strings; accept numbers too */
    if (json_is_integer(v)) return json_integer_value(v) < 0 ? 0 : (uint64_t)json_integer_value(v);
    uint64_t x = 0;
    if (json_is_string(v) && mc_parse_u64(json_string_value(v), &x) != MC_OK) return 0;
    return x;
}

static char *mc_b64_dup(const void *p, size_t n)
{
    char *s = malloc(mc_base64_len(n) + 1);
    if (s) mc_base64_encode(s, p, n);
    return s;
}

static int mc_etcd_client(mc_etcd *e, mc_etcd_side *side, size_t i, mc_http **pp)
{
    if (!side->http[i]) {
        mc_http *h;
        /* a response holds at most one watch message or a small txn answer */
        int rc = mc_http_new(&h, e->ep[i], MC_ETCD_LINE_CAP);
        if (rc) return rc;
        if (e->ca) mc_http_set_ca(h, e->ca);
        if (e->cert) mc_http_set_client_cert(h, e->cert, e->key);
        mc_http_set_connect_timeout(h, e->connect_ms);
        side->http[i] = h;
    }
    *pp = side->http[i];
    return MC_OK;
}

/* The "error" text of a gateway error body, for a log line (no batch content in it). */
static void mc_etcd_error_text(const mc_buf *resp, char *out, size_t cap)
{
    json_t *j = json_loadb((const char *)resp->p, resp->n, 0, NULL);
    json_t *m = j ? json_object_get(j, "message") : NULL;
    if (!json_is_string(m)) m = j ? json_object_get(j, "error") : NULL;
    if (json_is_object(m)) m = json_object_get(m, "message"); /* the streaming form */
    if (json_is_string(m)) {
        snprintf(out, cap, "%s", json_string_value(m));
    } else { /* not the gateway's JSON: its first printable bytes */
        size_t k = 0;
        for (size_t i = 0; i < resp->n && k + 1 < cap && k < 120; i++)
            out[k++] = resp->p[i] >= 0x20 && resp->p[i] < 0x7f ? (char)resp->p[i] : ' ';
        if (cap) out[k < cap ? k : cap - 1] = 0;
    }
    json_decref(j);
}

static int mc_etcd_submit(mc_orderer *o, const uint8_t *batch, size_t n)
{
    mc_etcd *e = (mc_etcd *)o;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    if (n > mc_orderer_max_batch(o)) return MC_ETOOBIG;
    mc_hash sum;
    mc_sha256(&sum, batch, n);
    size_t np = strlen(e->prefix);
    char key[600];
    memcpy(key, e->prefix, np);
    mc_hex_encode(key + np, sum.b, 32);
    char *kb = mc_b64_dup(key, np + 64), *vb = mc_b64_dup(batch, n);
    mc_buf req, resp;
    mc_buf_init(&req, mc_base64_len(n) + 4096);
    mc_buf_init(&resp, 1u << 20);
    int rc = kb && vb ? MC_OK : MC_ENOMEM;
    /* create the key only if it has never been created: a retry orders nothing twice */
    if (!rc)
        rc = mc_buf_printf(&req,
                           "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
                           "\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"%s\","
                           "\"value\":\"%s\"}}]}",
                           kb, kb, vb);
    free(kb);
    free(vb);
    if (rc) goto out;
    char why[200] = "no endpoint tried";
    uint64_t deadline = mc_time_mono_ns() / 1000000 + (uint64_t)e->timeout_ms;
    pthread_mutex_lock(&e->sub.lock);
    rc = MC_EUNAVAIL;
    for (size_t k = 0; k < e->nep && !atomic_load(&e->closed); k++) {
        uint64_t now = mc_time_mono_ns() / 1000000;
        if (now >= deadline) break;
        size_t i = (e->sub.cur + k) % e->nep;
        mc_http *h;
        long status = 0;
        if ((rc = mc_etcd_client(e, &e->sub, i, &h))) break;
        mc_http_set_timeout(h, (long)(deadline - now));
        rc = mc_http_request(h, "POST", "/v3/kv/txn", req.p, req.n, &status, &resp);
        if (!rc && status == 200) {
            json_t *j = json_loadb((const char *)resp.p, resp.n, 0, NULL);
            json_t *hd = j ? json_object_get(j, "header") : NULL;
            uint64_t rev = hd ? mc_json_u64(json_object_get(hd, "revision")) : 0;
            int created = j && json_is_true(json_object_get(j, "succeeded"));
            json_decref(j);
            if (rev) {
                if (!created)
                    mc_log(MC_LOG_INFO, "orderer", "etcd: batch %.16s was already ordered (a retried submit)",
                           key + np);
                e->sub.cur = i;
                rc = MC_OK;
                break;
            }
            snprintf(why, sizeof why, "%s: an answer without a revision", e->ep[i]);
            rc = MC_EUNAVAIL;
            continue;
        }
        if (!rc) {
            char msg[160];
            mc_etcd_error_text(&resp, msg, sizeof msg);
            snprintf(why, sizeof why, "%s: HTTP %ld: %s", e->ep[i], status, msg);
            if (strstr(msg, "too large")) {
                rc = MC_ETOOBIG;
                break;
            }
            rc = MC_EUNAVAIL;
        } else {
            snprintf(why, sizeof why, "%s: %s", e->ep[i], mc_strerror(rc));
            rc = MC_EUNAVAIL;
        }
    }
    pthread_mutex_unlock(&e->sub.lock);
    if (atomic_load(&e->closed) && rc) rc = MC_ECLOSED;
    if (rc == MC_EUNAVAIL)
        mc_log(MC_LOG_ERROR, "orderer",
               "etcd: batch %.16s NOT ordered: no endpoint acknowledged it within %d ms (no quorum or "
               "unreachable; last: %s)",
               key + np, e->timeout_ms, why);
    else if (rc == MC_ETOOBIG)
        mc_log(MC_LOG_ERROR, "orderer", "etcd: batch of %zu bytes refused as too large (%s)", n, why);
out:
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return rc;
}

/*
 * The side channel: attestations and the like, beside the batches and never under their
 * prefix, so the watch that orders batches never sees them and publishing makes no block.
 */

/* POSTs @p req to @p path on the endpoints in turn until one answers 200 (within timeout_ms). */
static int mc_etcd_aux_call(mc_etcd *e, const char *path, const mc_buf *req, mc_buf *resp)
{
    uint64_t deadline = mc_time_mono_ns() / 1000000 + (uint64_t)e->timeout_ms;
    int rc = MC_EUNAVAIL;
    pthread_mutex_lock(&e->aux.lock);
    for (size_t k = 0; k < e->nep && !atomic_load(&e->closed); k++) {
        uint64_t now = mc_time_mono_ns() / 1000000;
        if (now >= deadline) break;
        size_t i = (e->aux.cur + k) % e->nep;
        mc_http *h;
        long status = 0;
        if ((rc = mc_etcd_client(e, &e->aux, i, &h))) break;
        mc_http_set_timeout(h, (long)(deadline - now));
        mc_buf_reset(resp);
        rc = mc_http_request(h, "POST", path, req->p, req->n, &status, resp);
        if (!rc && status == 200) {
            e->aux.cur = i;
            break;
        }
        rc = MC_EUNAVAIL;
    }
    pthread_mutex_unlock(&e->aux.lock);
    if (atomic_load(&e->closed) && rc) rc = MC_ECLOSED;
    return rc;
}

static int mc_etcd_publish(mc_orderer *o, const char *name, const uint8_t *p, size_t n)
{
    mc_etcd *e = (mc_etcd *)o;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    char key[800];
    int nk = snprintf(key, sizeof key, "%s%s", e->side, name);
    if (nk < 0 || (size_t)nk >= sizeof key) return MC_EINVAL;
    /* a side prefix above the batch prefix ("/c/" over "/c/batches/"): never a batch key */
    if (strncmp(key, e->prefix, strlen(e->prefix)) == 0) return MC_EINVAL;
    char *kb = mc_b64_dup(key, (size_t)nk), *vb = mc_b64_dup(p, n);
    mc_buf req, resp;
    mc_buf_init(&req, 64u << 10);
    mc_buf_init(&resp, 64u << 10);
    int rc = kb && vb ? mc_buf_printf(&req, "{\"key\":\"%s\",\"value\":\"%s\"}", kb, vb) : MC_ENOMEM;
    free(kb);
    free(vb);
    if (!rc) rc = mc_etcd_aux_call(e, "/v3/kv/put", &req, &resp);
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return rc;
}

static int mc_etcd_fetch(mc_orderer *o, const char *prefix, mc_orderer_kv_fn fn, void *arg)
{
    mc_etcd *e = (mc_etcd *)o;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    char key[800], end[800];
    size_t ns = strlen(e->side);
    int nk = snprintf(key, sizeof key, "%s%s", e->side, prefix);
    if (nk <= 0 || (size_t)nk >= sizeof key) return MC_EINVAL;
    /* every key with this prefix: the prefix with its last byte plus one (never 0xff: the
     * names' alphabet and the side prefix's final '/') */
    memcpy(end, key, (size_t)nk);
    end[nk - 1] = (char)(end[nk - 1] + 1);
    char *kb = mc_b64_dup(key, (size_t)nk), *eb = mc_b64_dup(end, (size_t)nk);
    mc_buf req, resp;
    mc_buf_init(&req, 4096);
    mc_buf_init(&resp, 4u << 20);
    int rc = kb && eb ? mc_buf_printf(&req, "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":\"256\"}", kb, eb)
                      : MC_ENOMEM;
    free(kb);
    free(eb);
    if (!rc) rc = mc_etcd_aux_call(e, "/v3/kv/range", &req, &resp);
    json_t *j = rc ? NULL : json_loadb((const char *)resp.p, resp.n, 0, NULL);
    if (!rc && !j) rc = MC_EUNAVAIL;
    json_t *kvs = j ? json_object_get(j, "kvs") : NULL, *kv;
    size_t i;
    uint8_t *val = malloc(MC_ORDERER_VALUE_MAX + 3);
    if (!rc && !val) rc = MC_ENOMEM;
    if (!rc && json_is_array(kvs)) {
        json_array_foreach(kvs, i, kv)
        {
            const char *k64 = json_string_value(json_object_get(kv, "key"));
            const char *v64 = json_string_value(json_object_get(kv, "value"));
            uint8_t kraw[800];
            char name[MC_ORDERER_NAME_MAX + 1];
            size_t nkr, nv = 0;
            if (!k64 || mc_base64_decode(kraw, sizeof kraw, &nkr, k64, strlen(k64)) || nkr <= ns ||
                nkr - ns > MC_ORDERER_NAME_MAX || memcmp(kraw, e->side, ns) != 0)
                continue;
            if (v64 && mc_base64_decode(val, MC_ORDERER_VALUE_MAX + 3, &nv, v64, strlen(v64))) continue;
            if (nv > MC_ORDERER_VALUE_MAX) continue; /* not a node's: skipped alike everywhere */
            memcpy(name, kraw + ns, nkr - ns);
            name[nkr - ns] = 0;
            if (strlen(name) != nkr - ns) continue; /* a NUL inside */
            if ((rc = fn(arg, name, val, nv))) break;
        }
    }
    free(val);
    json_decref(j);
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return rc;
}

static void mc_etcd_q_clear(mc_etcd *e)
{
    for (size_t i = e->qhead; i < e->qn; i++) free(e->q[i].p);
    e->qhead = e->qn = 0;
}

static int mc_etcd_q_push(mc_etcd *e, uint64_t rev, uint8_t *p, size_t n)
{
    if (e->qn == e->qcap) {
        size_t cap = e->qcap ? e->qcap * 2 : 16;
        mc_etcd_item *q = realloc(e->q, cap * sizeof *q);
        if (!q) return MC_ENOMEM;
        e->q = q;
        e->qcap = cap;
    }
    e->q[e->qn++] = (mc_etcd_item){rev, p, n};
    return MC_OK;
}

/* The events of one watch message: creations of batch keys go to the queue, in order. */
static void mc_etcd_events(mc_etcd_watch *w, json_t *events)
{
    mc_etcd *e = w->e;
    size_t np = strlen(e->prefix), i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        json_t *type = json_object_get(ev, "type"), *kv = json_object_get(ev, "kv");
        if ((type && !(json_is_string(type) && !strcmp(json_string_value(type), "PUT"))) || !kv) continue;
        if (mc_json_u64(json_object_get(kv, "version")) != 1) continue; /* an overwrite, not a creation */
        uint64_t rev = mc_json_u64(json_object_get(kv, "create_revision"));
        uint64_t last = e->qn > e->qhead ? e->q[e->qn - 1].rev : w->after;
        if (rev <= last) continue; /* never twice, never backwards */
        const char *kb = json_string_value(json_object_get(kv, "key"));
        const char *vb = json_string_value(json_object_get(kv, "value"));
        if (!vb) vb = ""; /* proto3 JSON leaves an empty value out */
        uint8_t key[600];
        size_t nk, nv, nvb = strlen(vb);
        if (!kb || mc_base64_decode(key, sizeof key, &nk, kb, strlen(kb)) || nk != np + 64) continue;
        uint8_t *val = malloc(nvb / 4 * 3 + 1);
        if (!val) {
            w->bad = 1;
            return;
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
            continue;
        }
        if (mc_etcd_q_push(e, rev, val, nv)) {
            free(val);
            w->bad = 1;
            return;
        }
    }
}

/* One complete JSON line of the watch stream. @return non-zero to end the stream. */
static int mc_etcd_message(mc_etcd_watch *w, const char *p, size_t n)
{
    json_t *j = json_loadb(p, n, 0, NULL);
    if (!j) {
        w->bad = 1;
        return 1;
    }
    int stop = 0;
    json_t *err = json_object_get(j, "error"), *res = json_object_get(j, "result");
    if (err || !res) {
        json_t *m = json_is_object(err) ? json_object_get(err, "message") : err;
        snprintf(w->why, sizeof w->why, "%s", json_is_string(m) ? json_string_value(m) : "watch error");
        w->failed = 1;
        stop = 1;
    } else if (json_is_true(json_object_get(res, "canceled"))) {
        w->compacted = mc_json_u64(json_object_get(res, "compact_revision"));
        json_t *m = json_object_get(res, "cancel_reason");
        snprintf(w->why, sizeof w->why, "watch cancelled: %s", json_is_string(m) ? json_string_value(m) : "");
        w->failed = 1;
        stop = 1;
    } else {
        json_t *events = json_object_get(res, "events");
        if (json_is_array(events)) mc_etcd_events(w, events);
        /* keep reading the fragments of one message, then hand out what came */
        if (w->bad || (w->e->qn > w->e->qhead && !json_is_true(json_object_get(res, "fragment")))) stop = 1;
    }
    json_decref(j);
    return stop;
}

static int mc_etcd_chunk(void *arg, const char *p, size_t n)
{
    mc_etcd_watch *w = arg;
    if (atomic_load(&w->e->closed)) return 1;
    if (mc_buf_append(&w->line, p, n)) {
        w->bad = 1;
        return 1;
    }
    for (;;) {
        uint8_t *nl = memchr(w->line.p, '\n', w->line.n);
        if (!nl) return 0;
        size_t len = (size_t)(nl - w->line.p);
        int stop = len ? mc_etcd_message(w, (const char *)w->line.p, len) : 0;
        memmove(w->line.p, nl + 1, w->line.n - len - 1);
        w->line.n -= len + 1;
        if (stop) return 1;
    }
}

static void mc_etcd_pop(mc_etcd *e, mc_buf *batch, mc_orderer_pos *pos, int *rc)
{
    mc_etcd_item *it = &e->q[e->qhead];
    mc_buf_reset(batch);
    *rc = mc_buf_append(batch, it->p, it->n);
    if (*rc) return; /* left queued: the caller may retry with a larger buffer */
    pos->n = 8;
    mc_put_u64be(pos->b, it->rev);
    e->q_after = it->rev;
    free(it->p);
    if (++e->qhead == e->qn) e->qhead = e->qn = 0;
}

static int mc_etcd_next(mc_orderer *o, const mc_orderer_pos *after, mc_buf *batch, mc_orderer_pos *pos,
                        int timeout_ms)
{
    mc_etcd *e = (mc_etcd *)o;
    if (timeout_ms < 0 || (after && after->n != 0 && after->n != 8)) return MC_EINVAL;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    uint64_t from = after && after->n ? mc_get_u64be(after->b) : 0;
    if (from >= (uint64_t)INT64_MAX) return MC_EINVAL;
    int rc = MC_ETIMEDOUT;
    pthread_mutex_lock(&e->nxt.lock);
    if (e->qn > e->qhead && e->q_after == from) {
        mc_etcd_pop(e, batch, pos, &rc);
        goto out;
    }
    mc_etcd_q_clear(e);
    char body[1024];
    int nb = snprintf(body, sizeof body,
                      "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\",\"start_revision\":\"%llu\","
                      "\"fragment\":true}}",
                      e->prefix_b64, e->end_b64, (unsigned long long)from + 1);
    if (nb < 0 || (size_t)nb >= sizeof body) {
        rc = MC_EINVAL;
        goto out;
    }
    mc_etcd_watch w = {.e = e, .after = from};
    mc_buf err;
    mc_buf_init(&w.line, MC_ETCD_LINE_CAP);
    mc_buf_init(&err, 1u << 16);
    uint64_t start = mc_time_mono_ns() / 1000000, deadline = start + (uint64_t)timeout_ms;
    int unreachable = 0;
    char why[200] = "";
    rc = MC_ETIMEDOUT;
    for (size_t tries = 0; !atomic_load(&e->closed); tries++) {
        uint64_t now = mc_time_mono_ns() / 1000000;
        if (tries > 0 && now >= deadline) break;
        long wait = now >= deadline ? 0 : (long)(deadline - now);
        if (wait < MC_ETCD_MIN_WAIT_MS) wait = MC_ETCD_MIN_WAIT_MS;
        size_t i = e->nxt.cur;
        mc_http *h;
        long status = 0;
        if ((rc = mc_etcd_client(e, &e->nxt, i, &h))) break;
        mc_http_set_timeout(h, wait);
        mc_buf_reset(&w.line);
        w.failed = w.bad = 0;
        w.compacted = 0;
        /* hasleader: a member cut off from the quorum cancels the watch instead of going quiet */
        rc = mc_http_stream_body(h, "POST", "/v3/watch", body, (size_t)nb, "Grpc-Metadata-hasleader: true", 0,
                                 &status, mc_etcd_chunk, &w, &err);
        if (e->qn > e->qhead) break; /* batches came: whatever ended the stream after them */
        if (w.compacted) {
            rc = MC_ESTALE;
            break;
        }
        if (w.bad) {
            rc = MC_ENOMEM;
            snprintf(why, sizeof why, "%s: a watch message over the cap or unreadable", e->ep[i]);
        } else if (rc == MC_ETIMEDOUT) {
            break; /* connected and waited: nothing new */
        } else if (rc == MC_OK && status >= 200 && status < 300 && !w.failed) {
            snprintf(why, sizeof why, "%s: the watch ended early", e->ep[i]);
        } else {
            if (w.failed)
                snprintf(why, sizeof why, "%s: %s", e->ep[i], w.why);
            else if (rc == MC_OK) {
                char msg[160];
                mc_etcd_error_text(&err, msg, sizeof msg);
                snprintf(why, sizeof why, "%s: HTTP %ld: %s", e->ep[i], status, msg);
            } else
                snprintf(why, sizeof why, "%s: %s", e->ep[i], mc_strerror(rc));
        }
        /* this endpoint failed: the next one, after a pause that keeps a dead cluster from
         * being hammered */
        unreachable = 1;
        rc = MC_ETIMEDOUT;
        e->nxt.cur = (i + 1) % e->nep;
        now = mc_time_mono_ns() / 1000000;
        if (now + 20 < deadline) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    mc_buf_free(&w.line);
    mc_buf_free(&err);
    if (e->qn > e->qhead) {
        e->q_after = from;
        mc_etcd_pop(e, batch, pos, &rc);
    } else if (rc == MC_ESTALE) {
        mc_log(MC_LOG_ERROR, "orderer",
               "etcd: the ordered log after revision %llu is gone (etcd compacted it up to %llu): this node "
               "must catch up from a peer's blocks",
               (unsigned long long)from, (unsigned long long)w.compacted);
    } else if (unreachable && rc == MC_ETIMEDOUT) {
        uint64_t now = mc_time_now_ms();
        if (now - e->last_warn_ms >= MC_ETCD_WARN_EVERY_MS) {
            e->last_warn_ms = now;
            mc_log(MC_LOG_WARN, "orderer", "etcd: cannot follow the ordered log (%s); retrying", why);
        }
    }
    if (atomic_load(&e->closed) && rc) rc = MC_ECLOSED;
out:
    pthread_mutex_unlock(&e->nxt.lock);
    return rc;
}

static void mc_etcd_side_free(mc_etcd_side *s)
{
    for (size_t i = 0; i < MC_ETCD_MAX_ENDPOINTS; i++) mc_http_free(s->http[i]);
    pthread_mutex_destroy(&s->lock);
}

static void mc_etcd_close(mc_orderer *o)
{
    mc_etcd *e = (mc_etcd *)o;
    atomic_store(&e->closed, 1);
    /* wait for a submit or next in progress: both are bounded by their timeouts */
    pthread_mutex_lock(&e->sub.lock);
    pthread_mutex_unlock(&e->sub.lock);
    pthread_mutex_lock(&e->nxt.lock);
    mc_etcd_q_clear(e);
    pthread_mutex_unlock(&e->nxt.lock);
    pthread_mutex_lock(&e->aux.lock);
    pthread_mutex_unlock(&e->aux.lock);
    mc_etcd_side_free(&e->sub);
    mc_etcd_side_free(&e->nxt);
    mc_etcd_side_free(&e->aux);
    free(e->side);
    for (size_t i = 0; i < e->nep; i++) free(e->ep[i]);
    free(e->q);
    free(e->prefix);
    free(e->prefix_b64);
    free(e->end_b64);
    free(e->ca);
    free(e->cert);
    free(e->key);
    free(e);
}

static const mc_orderer_ops mc_etcd_ops = {"etcd",        mc_etcd_submit,  mc_etcd_next,
                                           mc_etcd_close, mc_etcd_publish, mc_etcd_fetch};

/* The side prefix by default (mc_etcd_opts.side_prefix). */
static char *mc_etcd_side_default(const char *prefix)
{
    size_t np = strlen(prefix), nb = strlen("batches/");
    char buf[600];
    if (np > nb && memcmp(prefix + np - nb, "batches/", nb) == 0 && prefix[np - nb - 1] == '/')
        snprintf(buf, sizeof buf, "%.*s", (int)(np - nb), prefix);
    else
        snprintf(buf, sizeof buf, "%.*s-side/", (int)(np - 1), prefix);
    return strdup(buf);
}

int mc_orderer_etcd_open(mc_orderer **pp, const mc_etcd_opts *opts)
{
    *pp = NULL;
    if (!opts || !opts->endpoints || opts->nendpoints == 0 || opts->nendpoints > MC_ETCD_MAX_ENDPOINTS ||
        !opts->prefix)
        return MC_EINVAL;
    size_t np = strlen(opts->prefix);
    if (np == 0 || np > 500 || opts->prefix[np - 1] != '/') return MC_EINVAL;
    for (size_t i = 0; i < opts->nendpoints; i++) {
        const char *u = opts->endpoints[i];
        if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)) return MC_EINVAL;
    }
    if ((opts->cert == NULL) != (opts->key == NULL)) return MC_EINVAL;
    if (opts->side_prefix) {
        size_t ns = strlen(opts->side_prefix);
        /* side keys must never fall in the watched batch range */
        if (ns == 0 || ns > 500 || opts->side_prefix[ns - 1] != '/' ||
            strncmp(opts->side_prefix, opts->prefix, np) == 0)
            return MC_EINVAL;
    }
    mc_etcd *e = calloc(1, sizeof *e);
    if (!e) return MC_ENOMEM;
    e->base.ops = &mc_etcd_ops;
    e->base.max_batch = opts->max_batch ? opts->max_batch : MC_ETCD_DEFAULT_MAX_BATCH;
    if (e->base.max_batch > MC_MAX_BATCH_BYTES) e->base.max_batch = MC_MAX_BATCH_BYTES;
    e->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 3000;
    e->connect_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 1000;
    pthread_mutex_init(&e->sub.lock, NULL);
    pthread_mutex_init(&e->nxt.lock, NULL);
    pthread_mutex_init(&e->aux.lock, NULL);
    int ok = 1;
    for (size_t i = 0; i < opts->nendpoints; i++)
        ok &= (e->ep[e->nep++] = strdup(opts->endpoints[i])) != NULL;
    e->prefix = strdup(opts->prefix);
    /* the range of every key with the prefix: the prefix with its last byte plus one */
    char end[512];
    memcpy(end, opts->prefix, np);
    end[np - 1] = (char)(end[np - 1] + 1);
    e->prefix_b64 = mc_b64_dup(opts->prefix, np);
    e->end_b64 = mc_b64_dup(end, np);
    e->side = opts->side_prefix ? strdup(opts->side_prefix) : mc_etcd_side_default(opts->prefix);
    e->ca = mc_strdup_or_null(opts->ca);
    e->cert = mc_strdup_or_null(opts->cert);
    e->key = mc_strdup_or_null(opts->key);
    ok &= e->prefix && e->side && e->prefix_b64 && e->end_b64 && (!opts->ca || !*opts->ca || e->ca) &&
          (!opts->cert || e->cert) && (!opts->key || e->key);
    if (!ok) {
        mc_etcd_close(&e->base);
        return MC_ENOMEM;
    }
    *pp = &e->base;
    return MC_OK;
}
