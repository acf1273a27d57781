/* Validator sets in the state: one entry per set, keyed by the first height it certifies. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static void mc_valset_key(mc_skey *k, uint64_t height)
{
    uint8_t h[8];
    mc_put_u64be(h, height);
    mc_skey_make(k, MC_SK_VALSET, h, 8, NULL, 0, NULL, 0);
}

int mc_store_put_valset(mc_store_txn *txn, const mc_valset *v)
{
    mc_skey k;
    mc_buf b;
    mc_buf_init(&b, 16 + 32 * MC_MAX_VALIDATORS);
    int rc = mc_valset_encode(&b, v);
    mc_valset_key(&k, v->from_height);
    if (!rc) rc = mc_store_put(txn, MC_T_STATE, k.b, k.n, b.p, b.n);
    mc_buf_free(&b);
    return rc;
}

typedef struct {
    int (*fn)(void *arg, const mc_valset *v);
    void *arg;
    mc_valset *v;
} mc_valset_scan;

static int mc_valset_one(void *arg, mc_slice key, mc_slice val)
{
    mc_valset_scan *s = arg;
    (void)key;
    if (mc_valset_decode(s->v, val.p, val.n)) return MC_ECORRUPT;
    return s->fn(s->arg, s->v);
}

int mc_store_scan_valsets(mc_store_txn *txn, int (*fn)(void *arg, const mc_valset *v), void *arg)
{
    mc_skey prefix;
    mc_skey_make(&prefix, MC_SK_VALSET, NULL, 0, NULL, 0, NULL, 0);
    mc_valset_scan s = {fn, arg, malloc(sizeof(mc_valset))};
    if (!s.v) return MC_ENOMEM;
    int rc = mc_store_scan(txn, &prefix, NULL, mc_valset_one, &s);
    free(s.v);
    return rc;
}

typedef struct {
    uint64_t height;
    mc_valset *out;
    int found;
} mc_valset_at;

static int mc_valset_upto(void *arg, const mc_valset *v)
{
    mc_valset_at *a = arg;
    if (v->from_height > a->height) return -1; /* past it: stop */
    *a->out = *v;
    a->found = 1;
    return 0;
}

int mc_store_get_valset(mc_store_txn *txn, uint64_t height, mc_valset *out)
{
    memset(out, 0, sizeof *out);
    mc_valset_at a = {height, out, 0};
    int rc = mc_store_scan_valsets(txn, mc_valset_upto, &a);
    if (rc > 0) return rc;
    return a.found ? MC_OK : MC_ENOTFOUND;
}
