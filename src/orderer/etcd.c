/*
 * The etcd orderer: the consortium's batches ordered by an etcd v3 cluster (Raft), spoken to
 * over etcd's JSON gateway (/v3/kv/txn, /v3/watch) with the net module's HTTP client. This file:
 * open, close, submit and the helpers; etcd_watch.c reads the order (next), etcd_side.c holds the
 * side channel and compaction.
 *
 * Key scheme: prefix + 64 hex digits of SHA-256(batch), value the batch. The put is a
 * transaction "create_revision(key) == 0 ? put : nothing", so a batch submitted twice (a retry
 * after a timeout, on another endpoint, or after a crash) is created once. Batch keys are never
 * modified, only deleted by compaction: the revision that created a key is its place in the
 * total order.
 *
 * JSON: the gateway speaks only JSON, so this module reads it with jansson, as the api and the
 * CLI do at their edges; nothing consensus-critical sees it (the batch bytes are base64 inside).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd_internal.h"
#include "medchain/chain.h"
#include "medchain/crypto.h"

#define MC_ETCD_DEFAULT_MAX_BATCH ((1536u << 10) - (8u << 10))

static char *mc_strdup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

uint64_t mc_etcd_u64(json_t *v)
{
    /* proto3 JSON writes int64 fields as strings; accept numbers too */
    if (json_is_integer(v)) return json_integer_value(v) < 0 ? 0 : (uint64_t)json_integer_value(v);
    uint64_t x = 0;
    if (json_is_string(v) && mc_parse_u64(json_string_value(v), &x) != MC_OK) return 0;
    return x;
}

char *mc_etcd_b64(const void *p, size_t n)
{
    char *s = malloc(mc_base64_len(n) + 1);
    if (s) mc_base64_encode(s, p, n);
    return s;
}

int mc_etcd_new_client(mc_etcd *e, size_t i, mc_http **pp)
{
    mc_http *h;
    /* a response holds at most one watch message or a small answer */
    int rc = mc_http_new(&h, e->ep[i], MC_ETCD_LINE_CAP);
    if (rc) return rc;
    if (e->ca) mc_http_set_ca(h, e->ca);
    if (e->cert) mc_http_set_client_cert(h, e->cert, e->key);
    mc_http_set_connect_timeout(h, e->connect_ms);
    *pp = h;
    return MC_OK;
}

int mc_etcd_client(mc_etcd *e, mc_etcd_side *side, size_t i, mc_http **pp)
{
    if (!side->http[i]) {
        int rc = mc_etcd_new_client(e, i, &side->http[i]);
        if (rc) return rc;
    }
    *pp = side->http[i];
    return MC_OK;
}

void mc_etcd_error_text(const mc_buf *resp, char *out, size_t cap)
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

#define MC_ETCD_RETRY_MS 100 /* pause between rounds over the endpoints in one submit */

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
    char *kb = mc_etcd_b64(key, np + 64), *vb = mc_etcd_b64(batch, n);
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
    /* every endpoint in turn, round after round until the deadline: while a new leader is being
     * elected (a member lost) the live members refuse puts for a moment; the create-if-absent
     * transaction makes every retry safe */
    for (size_t k = 0; !atomic_load(&e->closed); k++) {
        uint64_t now = mc_time_mono_ns() / 1000000;
        if (k > 0 && k % e->nep == 0 && now < deadline) {
            uint64_t ms = deadline - now < MC_ETCD_RETRY_MS ? deadline - now : MC_ETCD_RETRY_MS;
            struct timespec ts = {0, (long)ms * 1000000L};
            nanosleep(&ts, NULL);
            now = mc_time_mono_ns() / 1000000;
        }
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
            uint64_t rev = hd ? mc_etcd_u64(json_object_get(hd, "revision")) : 0;
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
    mc_etcd_watch_close(e);
    pthread_mutex_lock(&e->aux.lock);
    pthread_mutex_unlock(&e->aux.lock);
    mc_etcd_side_free(&e->sub);
    mc_etcd_side_free(&e->aux);
    free(e->side);
    for (size_t i = 0; i < e->nep; i++) free(e->ep[i]);
    pthread_mutex_destroy(&e->wlock);
    pthread_cond_destroy(&e->wcond);
    free(e->prefix);
    free(e->prefix_b64);
    free(e->end_b64);
    free(e->ca);
    free(e->cert);
    free(e->key);
    free(e);
}

static const mc_orderer_ops mc_etcd_ops = {.name = "etcd",
                                           .submit = mc_etcd_submit,
                                           .next = mc_etcd_next,
                                           .close = mc_etcd_close,
                                           .publish = mc_etcd_publish,
                                           .fetch = mc_etcd_fetch,
                                           .compact = mc_etcd_compact,
                                           .publish_many = mc_etcd_publish_many,
                                           .fetch_range = mc_etcd_fetch_range};

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
    pthread_mutex_init(&e->wlock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the reader's deadlines are monotonic */
    pthread_cond_init(&e->wcond, &ca);
    pthread_condattr_destroy(&ca);
    e->q_after = UINT64_MAX;
    pthread_mutex_init(&e->aux.lock, NULL);
    int ok = 1;
    for (size_t i = 0; i < opts->nendpoints; i++)
        ok &= (e->ep[e->nep++] = strdup(opts->endpoints[i])) != NULL;
    e->prefix = strdup(opts->prefix);
    /* the range of every key with the prefix: the prefix with its last byte plus one */
    char end[512];
    memcpy(end, opts->prefix, np);
    end[np - 1] = (char)(end[np - 1] + 1);
    e->prefix_b64 = mc_etcd_b64(opts->prefix, np);
    e->end_b64 = mc_etcd_b64(end, np);
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
