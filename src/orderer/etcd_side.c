/*
 * The etcd orderer's calls beside the order: the side channel (attestations and the like,
 * beside the batches and never under their prefix, so the watch that orders batches never sees
 * them and publishing makes no block), and compaction of the batches below a position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_internal.h"
#include "medchain/crypto.h"

#define MC_ETCD_TXN_OPS 128 /* etcd's default --max-txn-ops */

int mc_etcd_aux_call(mc_etcd *e, const char *path, const mc_buf *req, mc_buf *resp, long *pstatus)
{
    uint64_t deadline = mc_time_mono_ms() + (uint64_t)e->timeout_ms;
    int rc = MC_EUNAVAIL;
    long status = 0;
    pthread_mutex_lock(&e->aux.lock);
    for (size_t k = 0; k < e->nep && !atomic_load(&e->closed); k++) {
        uint64_t now = mc_time_mono_ms();
        if (now >= deadline) break;
        size_t i = (e->aux.cur + k) % e->nep;
        mc_http *h;
        if ((rc = mc_etcd_client(e, &e->aux, i, &h))) break;
        mc_http_set_timeout(h, (long)(deadline - now));
        rc = mc_http_request(h, "POST", path, req->p, req->n, &status, resp);
        if (!rc && status == 200) {
            e->aux.cur = i;
            break;
        }
        rc = MC_EUNAVAIL;
    }
    pthread_mutex_unlock(&e->aux.lock);
    if (pstatus) *pstatus = status;
    if (atomic_load(&e->closed) && rc) rc = MC_ECLOSED;
    return rc;
}

/* Appends the put of side-channel value @p kv to a transaction being built in @p req. */
static int mc_etcd_put_op(mc_etcd *e, const mc_orderer_kv *kv, int first, mc_buf *req)
{
    char key[800];
    int nk = snprintf(key, sizeof key, "%s%s", e->side, kv->name);
    if (nk < 0 || (size_t)nk >= sizeof key) return MC_EINVAL;
    /* a side prefix above the batch prefix ("/c/" over "/c/batches/"): never a batch key */
    if (strncmp(key, e->prefix, strlen(e->prefix)) == 0) return MC_EINVAL;
    char *kb = mc_etcd_b64(key, (size_t)nk), *vb = mc_etcd_b64(kv->p, kv->n);
    int rc = kb && vb ? mc_buf_printf(req, "%s{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}",
                                      first ? "" : ",", kb, vb)
                      : MC_ENOMEM;
    free(kb);
    free(vb);
    return rc;
}

/* All the values in one etcd transaction: one round of Raft for all, all or none. */
int mc_etcd_publish_many(mc_orderer *o, const mc_orderer_kv *kvs, size_t n)
{
    mc_etcd *e = (mc_etcd *)o;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    mc_buf req, resp;
    mc_buf_init(&req, MC_ORDERER_PUBLISH_MAX * (MC_ORDERER_VALUE_MAX * 2 + 1024));
    mc_buf_init(&resp, 64u << 10);
    int rc = mc_buf_append(&req, "{\"success\":[", 12);
    for (size_t i = 0; i < n && !rc; i++) rc = mc_etcd_put_op(e, &kvs[i], i == 0, &req);
    if (!rc) rc = mc_buf_append(&req, "]}", 2);
    if (!rc) rc = mc_etcd_aux_call(e, "/v3/kv/txn", &req, &resp, NULL);
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return rc;
}

int mc_etcd_publish(mc_orderer *o, const char *name, const uint8_t *p, size_t n)
{
    mc_orderer_kv kv = {name, p, n};
    return mc_etcd_publish_many(o, &kv, 1);
}

int mc_etcd_fetch(mc_orderer *o, const char *prefix, mc_orderer_kv_fn fn, void *arg)
{
    return mc_etcd_fetch_range(o, prefix, NULL, fn, arg);
}

/* The side keys in [from, to), or with the prefix @p from when @p to is NULL. */
int mc_etcd_fetch_range(mc_orderer *o, const char *from, const char *to, mc_orderer_kv_fn fn, void *arg)
{
    mc_etcd *e = (mc_etcd *)o;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    char key[800], end[800];
    size_t ns = strlen(e->side);
    int nk = snprintf(key, sizeof key, "%s%s", e->side, from);
    int ne = to ? snprintf(end, sizeof end, "%s%s", e->side, to) : nk;
    if (nk <= 0 || (size_t)nk >= sizeof key || ne <= 0 || (size_t)ne >= sizeof end) return MC_EINVAL;
    if (!to) {
        /* every key with this prefix: the prefix with its last byte plus one (never 0xff: the
         * names' alphabet and the side prefix's final '/') */
        memcpy(end, key, (size_t)nk);
        end[nk - 1] = (char)(end[nk - 1] + 1);
    }
    char *kb = mc_etcd_b64(key, (size_t)nk), *eb = mc_etcd_b64(end, (size_t)ne);
    mc_buf req, resp;
    mc_buf_init(&req, 4096);
    mc_buf_init(&resp, 4u << 20);
    int rc = kb && eb ? mc_buf_printf(&req, "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":\"256\"}", kb, eb)
                      : MC_ENOMEM;
    free(kb);
    free(eb);
    if (!rc) rc = mc_etcd_aux_call(e, "/v3/kv/range", &req, &resp, NULL);
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

/* The revision of etcd's answer header. */
static uint64_t mc_etcd_head(json_t *j)
{
    return mc_etcd_u64(json_object_get(json_object_get(j, "header"), "revision"));
}

/*
 * Deletes up to MC_ETCD_TXN_OPS batch keys created at or below @p rev in one transaction.
 * *ndel: how many (0: none left); *head: etcd's revision after it.
 */
static int mc_etcd_delete_some(mc_etcd *e, uint64_t rev, mc_buf *req, mc_buf *resp, size_t *ndel,
                               uint64_t *head)
{
    *ndel = 0;
    mc_buf_reset(req);
    int rc = mc_buf_printf(
        req,
        "{\"key\":\"%s\",\"range_end\":\"%s\",\"keys_only\":true,\"max_create_revision\":\"%llu\","
        "\"limit\":\"%u\"}",
        e->prefix_b64, e->end_b64, (unsigned long long)rev, MC_ETCD_TXN_OPS);
    if (!rc) rc = mc_etcd_aux_call(e, "/v3/kv/range", req, resp, NULL);
    json_t *j = rc ? NULL : json_loadb((const char *)resp->p, resp->n, 0, NULL), *kv;
    if (!rc && !j) rc = MC_EUNAVAIL;
    json_t *kvs = j ? json_object_get(j, "kvs") : NULL;
    size_t i;
    if (j) *head = mc_etcd_head(j);
    mc_buf_reset(req);
    if (!rc) rc = mc_buf_append(req, "{\"success\":[", 12);
    json_array_foreach(kvs, i, kv)
    {
        const char *k = json_string_value(json_object_get(kv, "key"));
        if (!rc && k) {
            rc = mc_buf_printf(req, "%s{\"request_delete_range\":{\"key\":\"%s\"}}", *ndel ? "," : "", k);
            ++*ndel;
        }
    }
    json_decref(j);
    if (!rc && *ndel) {
        rc = mc_buf_append(req, "]}", 2);
        if (!rc) rc = mc_etcd_aux_call(e, "/v3/kv/txn", req, resp, NULL);
        json_t *t = rc ? NULL : json_loadb((const char *)resp->p, resp->n, 0, NULL);
        if (t) *head = mc_etcd_head(t);
        json_decref(t);
    }
    return rc;
}

int mc_etcd_compact(mc_orderer *o, const mc_orderer_pos *upto)
{
    mc_etcd *e = (mc_etcd *)o;
    if (atomic_load(&e->closed)) return MC_ECLOSED;
    uint64_t rev = mc_get_u64be(upto->b);
    if (upto->n != 8 || rev == 0 || rev >= (uint64_t)INT64_MAX) return MC_EINVAL;
    mc_buf req, resp;
    mc_buf_init(&req, 64u << 10);
    mc_buf_init(&resp, 4u << 20);
    size_t total = 0, n = 0;
    uint64_t head = 0;
    int rc;
    /* the keys first: their deletions are new revisions above rev, which next() skips */
    while (!(rc = mc_etcd_delete_some(e, rev, &req, &resp, &n, &head)) && n) total += n;
    /* then the history: at rev + 1 when etcd is past it, so that a watch from any position
     * below rev (even rev - 1) is refused as compacted, while one from rev goes on */
    uint64_t at = head > rev ? rev + 1 : rev;
    long status = 0;
    mc_buf_reset(&req);
    if (!rc) rc = mc_buf_printf(&req, "{\"revision\":\"%llu\",\"physical\":true}", (unsigned long long)at);
    if (!rc) rc = mc_etcd_aux_call(e, "/v3/kv/compaction", &req, &resp, &status);
    if (rc == MC_EUNAVAIL && status && resp.n && strstr((char *)resp.p, "compacted")) {
        rc = MC_OK; /* compacted at or above it already */
    } else if (rc == MC_EUNAVAIL && status) {
        char msg[160];
        mc_etcd_error_text(&resp, msg, sizeof msg);
        mc_log(MC_LOG_ERROR, "orderer", "etcd: compaction at revision %llu refused: HTTP %ld: %s",
               (unsigned long long)at, status, msg);
    }
    if (!rc)
        mc_log(
            MC_LOG_INFO, "orderer",
            "etcd: compacted: %zu batch keys created at or below revision %llu deleted, history compacted at "
            "%llu",
            total, (unsigned long long)rev, (unsigned long long)at);
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return rc;
}
