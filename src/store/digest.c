/*
 * The state digest. Each block's state writes, sorted by key with the last write to a key
 * kept, are hashed together with the previous digest and the height:
 *   digest_h = H("medchain/state" || digest_{h-1} || u64 h || for each write:
 *                u32 nkey || key || u32 nval || value)
 * so the digest commits to the whole state history, and two nodes whose states differ in any
 * byte ever written have different digests from that block on. Sorting makes the digest
 * independent of the order in which the executor happened to write.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

int mc_store_log_write(mc_store_txn *txn, const void *key, size_t nkey, const void *val, size_t nval)
{
    if (txn->nwents == txn->capwents) {
        size_t cap = txn->capwents ? txn->capwents * 2 : 256;
        mc_store_went *w = realloc(txn->wents, cap * sizeof *w);
        if (!w) return MC_ENOMEM;
        txn->wents = w;
        txn->capwents = cap;
    }
    mc_store_went *e = &txn->wents[txn->nwents];
    e->koff = txn->wlog.n;
    e->nkey = nkey;
    int rc = mc_buf_append(&txn->wlog, key, nkey);
    if (rc) return rc;
    e->voff = txn->wlog.n;
    e->nval = nval;
    if ((rc = mc_buf_append(&txn->wlog, val, nval))) return rc;
    e->seq = txn->nwents++;
    return MC_OK;
}

/* qsort has no context argument in C11: the log being sorted is passed through here. */
static _Thread_local const uint8_t *mc_digest_log;

static int mc_went_cmp(const void *a, const void *b)
{
    const mc_store_went *x = a, *y = b;
    size_t n = x->nkey < y->nkey ? x->nkey : y->nkey;
    int c = memcmp(mc_digest_log + x->koff, mc_digest_log + y->koff, n);
    if (c) return c;
    if (x->nkey != y->nkey) return x->nkey < y->nkey ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int mc_store_state_digest(mc_store_txn *txn, const mc_hash *prev, uint64_t height, mc_hash *out)
{
    mc_digest_log = txn->wlog.p;
    if (txn->nwents > 1) qsort(txn->wents, txn->nwents, sizeof *txn->wents, mc_went_cmp);
    mc_sha256_ctx c;
    uint8_t b[8];
    mc_hash_tagged_init(&c, "medchain/state");
    mc_sha256_update(&c, prev->b, 32);
    mc_put_u64be(b, height);
    mc_sha256_update(&c, b, 8);
    for (size_t i = 0; i < txn->nwents; i++) {
        const mc_store_went *e = &txn->wents[i];
        /* keep only the last write to each key: skip if the next entry has the same key */
        if (i + 1 < txn->nwents && txn->wents[i + 1].nkey == e->nkey &&
            memcmp(txn->wlog.p + txn->wents[i + 1].koff, txn->wlog.p + e->koff, e->nkey) == 0)
            continue;
        mc_put_u32be(b, (uint32_t)e->nkey);
        mc_sha256_update(&c, b, 4);
        mc_sha256_update(&c, txn->wlog.p + e->koff, e->nkey);
        mc_put_u32be(b, (uint32_t)e->nval);
        mc_sha256_update(&c, b, 4);
        mc_sha256_update(&c, txn->wlog.p + e->voff, e->nval);
    }
    mc_sha256_final(&c, out);
    txn->nwents = 0;
    mc_buf_reset(&txn->wlog);
    return MC_OK;
}
