/* consortium: N real medchaind validators on a real 3-member etcd cluster, and its checks. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "consortium.h"
#include "medchain/store.h"

static void cs_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Writes a sentence into @p why and returns @p rc. */
static int cs_fail(int rc, char *why, size_t nwhy, const char *fmt, ...)
{
    if (why && nwhy) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, nwhy, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static void cs_publish(cs_net *net, unsigned i)
{
    pthread_mutex_lock(&net->lock);
    snprintf(net->url[i], sizeof net->url[i], "%s", net->node[i].pid ? net->node[i].url : "");
    pthread_mutex_unlock(&net->lock);
}

int cs_start(cs_net **pp, unsigned n, unsigned nclients, const char *medchaind, const char *medchain)
{
    return cs_start_orgs(pp, n, nclients, 0, medchaind, medchain);
}

int cs_start_orgs(cs_net **pp, unsigned n, unsigned nclients, int own_orgs, const char *medchaind,
                  const char *medchain)
{
    *pp = NULL;
    if (n == 0 || n > CS_MAX_NODES || nclients > TN_MAX_CLIENTS || (own_orgs && nclients + 1 < n))
        return MC_EINVAL;
    cs_net *net = calloc(1, sizeof *net);
    if (!net) return MC_ENOMEM;
    pthread_mutex_init(&net->lock, NULL);
    int rc = et_start(&net->etcd, CS_ETCD);
    tn_chain *cs[CS_MAX_NODES];
    for (unsigned i = 0; i < n && !rc; i++) {
        /* only node[0]'s orgs go into the shared genesis: the others need none of their own */
        rc = tn_create(&net->node[i], i == 0 ? nclients : 0, medchaind, medchain);
        cs[i] = &net->node[i];
        net->n = i + 1;
    }
    unsigned orgs[CS_MAX_NODES];
    for (unsigned i = 0; i < n; i++) orgs[i] = own_orgs ? i : 0;
    if (!rc) rc = tn_share_genesis_orgs(cs, n, orgs);
    snprintf(net->eps, sizeof net->eps, "etcd_endpoints=%s", net->etcd.endpoints);
    net->settings[0] = "orderer=etcd";
    net->settings[1] = net->eps;
    net->settings[2] = NULL;
    for (unsigned i = 0; i < n && !rc; i++) rc = cs_node_start(net, i);
    if (rc) {
        cs_destroy(net);
        return rc;
    }
    *pp = net;
    return MC_OK;
}

int cs_node_kill(cs_net *net, unsigned i, int sig)
{
    if (i >= net->n) return -1;
    pthread_mutex_lock(&net->lock);
    net->url[i][0] = '\0';
    pthread_mutex_unlock(&net->lock);
    return tn_kill(&net->node[i], sig);
}

int cs_node_start(cs_net *net, unsigned i)
{
    if (i >= net->n || net->node[i].pid) return MC_EINVAL;
    int rc = tn_start(&net->node[i], net->settings);
    cs_publish(net, i);
    return rc;
}

int cs_node_url(cs_net *net, unsigned i, char *url)
{
    pthread_mutex_lock(&net->lock);
    snprintf(url, 64, "%s", i < net->n ? net->url[i] : "");
    pthread_mutex_unlock(&net->lock);
    return url[0] != '\0';
}

int cs_etcd_restart(cs_net *net, unsigned i, int ms)
{
    int rc = et_restart(&net->etcd, i);
    return rc ? rc : et_wait_healthy(&net->etcd, i, ms);
}

mc_http *cs_client(cs_net *net, unsigned i)
{
    if (i >= net->n || !net->node[i].pid) return NULL;
    tn_chain *c = &net->node[i];
    mc_http *h;
    if (mc_http_new(&h, c->url, 0)) return NULL;
    mc_http_set_timeout(h, 60000);
    /* the signer is borrowed: node[0]'s org lives as long as the net */
    mc_http_signer s = {.chain = c->chain, .sk = &net->node[0].org.sign_sk};
    memcpy(s.id.b, net->node[0].org.id.b, 32);
    mc_http_set_signer(h, &s);
    return h;
}

/* GET @p path from node @p i as JSON into *pj (caller decrefs). */
static int cs_get_json(cs_net *net, unsigned i, const char *path, json_t **pj)
{
    *pj = NULL;
    mc_http *h = cs_client(net, i);
    if (!h) return MC_EUNAVAIL;
    mc_buf r;
    mc_buf_init(&r, 64u << 20);
    long st = 0;
    int rc = mc_http_request(h, "GET", path, NULL, 0, &st, &r);
    if (!rc && st != 200) rc = st == 503 ? MC_EUNAVAIL : MC_EINVAL;
    if (!rc && !(*pj = json_loadb((const char *)r.p, r.n, 0, NULL))) rc = MC_EINVAL;
    mc_buf_free(&r);
    mc_http_free(h);
    return rc;
}

static void cs_copy_str(char *dst, size_t n, json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    snprintf(dst, n, "%s", s ? s : "");
}

int cs_status_get(cs_net *net, unsigned i, cs_status *st)
{
    json_t *j;
    memset(st, 0, sizeof *st);
    int rc = cs_get_json(net, i, "/v1/status", &j);
    if (rc) return rc;
    st->height = (uint64_t)json_integer_value(json_object_get(j, "height"));
    st->certified = (uint64_t)json_integer_value(json_object_get(j, "certified_height"));
    st->alarm = json_is_true(json_object_get(j, "alarm"));
    st->halted = json_is_true(json_object_get(j, "halted"));
    cs_copy_str(st->tip, sizeof st->tip, j, "tip");
    cs_copy_str(st->digest, sizeof st->digest, j, "state_digest");
    json_decref(j);
    return MC_OK;
}

/* 1 if every running node has the status of the first; the heights into @p why. */
static int cs_all_same(cs_net *net, cs_status *first, char *why, size_t nwhy)
{
    int same = 1, have = 0;
    size_t off = 0;
    if (why && nwhy) why[0] = '\0';
    for (unsigned i = 0; i < net->n; i++) {
        cs_status st;
        if (!net->node[i].pid) continue;
        if (cs_status_get(net, i, &st)) {
            same = 0;
            continue;
        }
        if (why && off < nwhy)
            off += (size_t)snprintf(why + off, nwhy - off, "%snode %u at %llu%s", off ? ", " : "", i,
                                    (unsigned long long)st.height, st.halted ? " (halted)" : "");
        if (!have) {
            *first = st;
            have = 1;
        } else if (st.height != first->height || strcmp(st.tip, first->tip) ||
                   strcmp(st.digest, first->digest)) {
            same = 0;
        }
    }
    return same && have;
}

int cs_wait_same(cs_net *net, int ms, uint64_t *height, char *why, size_t nwhy)
{
    cs_status a, b;
    for (int waited = 0; waited <= ms; waited += 300) {
        if (cs_all_same(net, &a, why, nwhy)) {
            cs_sleep_ms(300);
            if (cs_all_same(net, &b, why, nwhy) && b.height == a.height) {
                *height = a.height;
                return MC_OK;
            }
        } else {
            cs_sleep_ms(300);
        }
    }
    return MC_ETIMEDOUT;
}

static int cs_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(mc_hash));
}

/* Appends ids of block @p j's transactions with result OK to *pids. */
static int cs_collect_ok(json_t *j, mc_hash **pids, size_t *nids, size_t *cap)
{
    size_t k;
    json_t *t;
    json_array_foreach(json_object_get(j, "txs"), k, t)
    {
        const char *id = json_string_value(json_object_get(t, "id"));
        const char *res = json_string_value(json_object_get(t, "result"));
        if (!id || !res || strcmp(res, "OK")) continue;
        if (*nids == *cap) {
            size_t ncap = *cap ? 2 * *cap : 4096;
            mc_hash *p = realloc(*pids, ncap * sizeof *p);
            if (!p) return MC_ENOMEM;
            *pids = p;
            *cap = ncap;
        }
        if (mc_hex_decode((*pids)[*nids].b, 32, id, strlen(id))) return MC_ECORRUPT;
        (*nids)++;
    }
    return MC_OK;
}

/* Block @p h of node @p i: its header's JSON (sorted keys; caller frees) and its OK ids. */
static int cs_block(cs_net *net, unsigned i, uint64_t h, char **header, mc_hash **pids, size_t *nids,
                    size_t *cap)
{
    *header = NULL;
    for (size_t offset = 0;;) {
        char path[96];
        json_t *j;
        snprintf(path, sizeof path, "/v1/blocks/%llu?offset=%zu&limit=1000", (unsigned long long)h, offset);
        int rc = cs_get_json(net, i, path, &j);
        if (rc) return rc;
        json_t *hd = json_object_get(j, "header");
        if (!*header) *header = json_dumps(hd, JSON_SORT_KEYS | JSON_COMPACT);
        size_t ntx = (size_t)json_integer_value(json_object_get(hd, "ntx"));
        size_t got = json_array_size(json_object_get(j, "txs"));
        rc = *header ? cs_collect_ok(j, pids, nids, cap) : MC_ENOMEM;
        json_decref(j);
        if (rc) return rc;
        offset += got;
        if (got == 0 || offset >= ntx) return MC_OK;
    }
}

/* How many of the sorted @p acked are missing from the sorted @p have. */
static size_t cs_missing(const mc_hash *acked, size_t nacked, const mc_hash *have, size_t nhave,
                         size_t *first)
{
    size_t lost = 0, k = 0;
    for (size_t a = 0; a < nacked; a++) {
        while (k < nhave && memcmp(have[k].b, acked[a].b, 32) < 0) k++;
        if (k < nhave && memcmp(have[k].b, acked[a].b, 32) == 0) continue;
        if (!lost++) *first = a;
    }
    return lost;
}

int cs_check_api(cs_net *net, uint64_t height, const mc_hash *acked, size_t nacked, size_t *lost, char *why,
                 size_t nwhy)
{
    mc_hash *ids[CS_MAX_NODES] = {0}, *want = NULL;
    size_t nids[CS_MAX_NODES] = {0}, cap[CS_MAX_NODES] = {0};
    int rc = MC_OK;
    *lost = 0;
    for (uint64_t h = 1; h <= height && !rc; h++) {
        char *ref = NULL;
        int refnode = -1;
        for (unsigned i = 0; i < net->n && !rc; i++) {
            char *hd;
            if (!net->node[i].pid) continue;
            rc = cs_block(net, i, h, &hd, &ids[i], &nids[i], &cap[i]);
            if (rc)
                rc = cs_fail(rc, why, nwhy, "node %u: block %llu unreadable (%s)", i, (unsigned long long)h,
                             mc_strerror(rc));
            else if (!ref) {
                ref = hd;
                refnode = (int)i;
                continue;
            } else if (strcmp(ref, hd))
                rc = cs_fail(MC_ECORRUPT, why, nwhy, "block %llu differs: node %d has %s, node %u has %s",
                             (unsigned long long)h, refnode, ref, i, hd);
            free(hd);
        }
        free(ref);
    }
    if (!rc && nacked && !(want = malloc(nacked * sizeof *want))) rc = MC_ENOMEM;
    if (!rc && nacked) {
        memcpy(want, acked, nacked * sizeof *want);
        qsort(want, nacked, sizeof *want, cs_hash_cmp);
    }
    for (unsigned i = 0; i < net->n && !rc; i++) {
        if (!net->node[i].pid) continue;
        if (nids[i]) qsort(ids[i], nids[i], sizeof(mc_hash), cs_hash_cmp);
        size_t first = 0, miss = cs_missing(want, nacked, ids[i], nids[i], &first);
        if (miss > *lost) *lost = miss;
        if (miss) {
            char hex[65];
            mc_hex_encode(hex, want[first].b, 32);
            rc = cs_fail(MC_ECORRUPT, why, nwhy,
                         "node %u: %zu of %zu acknowledged transactions not committed OK (first: %s)", i,
                         miss, nacked, hex);
        }
    }
    for (unsigned i = 0; i < CS_MAX_NODES; i++) free(ids[i]);
    free(want);
    return rc;
}

/* The next entry of @p table but the etcd position, which is each node's own (where it read up
 * to in etcd, duplicates it skipped included). */
static int cs_iter_next(mc_store_iter *it, int table, mc_slice *k, mc_slice *v)
{
    int rc;
    do rc = mc_store_iter_next(it, k, v);
    while (rc == MC_OK && table == MC_T_META && k->n == 4 && memcmp(k->p, "opos", 4) == 0);
    return rc;
}

/* Compares table @p table of two stores pair by pair (meta without "opos"). */
static int cs_compare_table(mc_store_txn *a, mc_store_txn *b, int table, const char *name, unsigned node,
                            char *why, size_t nwhy)
{
    mc_store_iter *ia = NULL, *ib = NULL;
    int rc = mc_store_iter_new(a, table, NULL, 0, &ia);
    if (!rc) rc = mc_store_iter_new(b, table, NULL, 0, &ib);
    for (size_t k = 0; !rc; k++) {
        mc_slice ka, va, kb, vb;
        int ra = cs_iter_next(ia, table, &ka, &va), rb = cs_iter_next(ib, table, &kb, &vb);
        if (ra == MC_ENOTFOUND && rb == MC_ENOTFOUND) break;
        if (ra != MC_OK || rb != MC_OK)
            rc = cs_fail(MC_ECORRUPT, why, nwhy, "%s table: node 0 has %s entries than node %u (entry %zu)",
                         name, ra == MC_OK ? "more" : "fewer", node, k);
        else if (ka.n != kb.n || memcmp(ka.p, kb.p, ka.n) || va.n != vb.n || memcmp(va.p, vb.p, va.n)) {
            char hex[67];
            mc_hex_encode(hex, ka.p, ka.n > 33 ? 33 : ka.n);
            rc = cs_fail(MC_ECORRUPT, why, nwhy, "%s table: entry %zu (node 0's key %s) differs on node %u",
                         name, k, hex, node);
        }
    }
    mc_store_iter_free(ia);
    mc_store_iter_free(ib);
    return rc;
}

static int cs_open_store(cs_net *net, unsigned i, mc_store **st, mc_store_txn **txn)
{
    char dir[400];
    mc_store_opts o = {.read_only = 1};
    snprintf(dir, sizeof dir, "%s/store", net->node[i].data);
    *txn = NULL;
    int rc = mc_store_open(st, dir, &o);
    if (!rc && (rc = mc_store_begin(*st, 0, txn))) {
        mc_store_close(*st);
        *st = NULL;
    }
    return rc;
}

int cs_check_stores(cs_net *net, char *why, size_t nwhy)
{
    static const struct {
        int table;
        const char *name;
    } tables[] = {{MC_T_BLOCKS, "blocks"},
                  {MC_T_TXIDX, "transaction index"},
                  {MC_T_STATE, "state"},
                  {MC_T_EVENTS, "events"},
                  {MC_T_META, "meta"}};
    mc_store *s0 = NULL;
    mc_store_txn *t0 = NULL;
    for (unsigned i = 0; i < net->n; i++)
        if (net->node[i].pid) return cs_fail(MC_EINVAL, why, nwhy, "node %u still runs", i);
    int rc = cs_open_store(net, 0, &s0, &t0);
    if (rc) return cs_fail(rc, why, nwhy, "node 0: store unreadable (%s)", mc_strerror(rc));
    uint64_t h0 = 0;
    mc_hash tip0;
    rc = mc_store_get_tip(t0, &h0, &tip0);
    for (unsigned i = 1; i < net->n && !rc; i++) {
        mc_store *s;
        mc_store_txn *t;
        uint64_t h;
        mc_hash tip;
        if ((rc = cs_open_store(net, i, &s, &t))) {
            rc = cs_fail(rc, why, nwhy, "node %u: store unreadable (%s)", i, mc_strerror(rc));
            break;
        }
        rc = mc_store_get_tip(t, &h, &tip);
        if (!rc && (h != h0 || memcmp(tip.b, tip0.b, 32)))
            rc = cs_fail(MC_ECORRUPT, why, nwhy,
                         "node %u's tip is at %llu, node 0's at %llu (or another hash)", i,
                         (unsigned long long)h, (unsigned long long)h0);
        for (size_t k = 0; k < MC_ARRAY_LEN(tables) && !rc; k++)
            rc = cs_compare_table(t0, t, tables[k].table, tables[k].name, i, why, nwhy);
        mc_store_abort(t);
        mc_store_close(s);
    }
    mc_store_abort(t0);
    mc_store_close(s0);
    return rc;
}

int cs_verify_all(cs_net *net, char *why, size_t nwhy)
{
    for (unsigned i = 0; i < net->n; i++) {
        mc_buf out;
        mc_buf_init(&out, 1u << 16);
        int st = tn_verify(&net->node[i], &out);
        if (st)
            cs_fail(MC_ECORRUPT, why, nwhy, "node %u: medchain verify exited %d: %s", i, st,
                    out.n ? (char *)out.p : "");
        mc_buf_free(&out);
        if (st) return MC_ECORRUPT;
    }
    return MC_OK;
}

void cs_destroy(cs_net *net)
{
    if (!net) return;
    for (unsigned i = 0; i < net->n; i++) tn_destroy(&net->node[i]);
    et_destroy(&net->etcd);
    pthread_mutex_destroy(&net->lock);
    free(net);
}
