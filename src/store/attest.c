/*
 * Attestations received or made, and the highest certified header, all in table attest: keys
 * height | validator (40 bytes), "cert" and "alarm" (4 and 5 bytes; they sort after every
 * height below 2^56).
 * Nothing here is in meta, which `medchain verify` compares with a replay: attestations are
 * each node's own view, not derived from blocks.
 */
#include <string.h>

#include "store_internal.h"

int mc_store_put_attest(mc_store_txn *txn, uint64_t height, const mc_id *validator,
                        const mc_hash *header_hash, const mc_sig *sig)
{
    uint8_t k[8 + 32], v[32 + 64];
    mc_put_u64be(k, height);
    memcpy(k + 8, validator->b, 32);
    memcpy(v, header_hash->b, 32);
    memcpy(v + 32, sig->b, 64);
    /* one word per validator and height: a second, different one (equivocation) never
     * replaces the first */
    int rc = mc_store_put_new(txn, MC_T_ATTEST, k, sizeof k, v, sizeof v);
    if (rc == MC_EEXIST) {
        mc_slice old;
        if (mc_store_get(txn, MC_T_ATTEST, k, sizeof k, &old) == MC_OK && old.n == sizeof v &&
            memcmp(old.p, v, sizeof v) == 0)
            rc = MC_OK;
    }
    return rc;
}

int mc_store_scan_attests(mc_store_txn *txn, uint64_t height, mc_store_attest_fn fn, void *arg)
{
    uint8_t from[8];
    mc_put_u64be(from, height);
    mc_store_iter *it;
    int rc = mc_store_iter_new(txn, MC_T_ATTEST, from, sizeof from, &it);
    if (rc) return rc;
    for (;;) {
        mc_slice k, v;
        rc = mc_store_iter_next(it, &k, &v);
        if (rc == MC_ENOTFOUND) {
            rc = MC_OK;
            break;
        }
        if (rc) break;
        if (k.n != 40 || mc_get_u64be(k.p) != height) break; /* past this height */
        if (v.n != 96) {
            rc = MC_ECORRUPT;
            break;
        }
        mc_id validator;
        mc_hash hh;
        mc_sig sig;
        memcpy(validator.b, k.p + 8, 32);
        memcpy(hh.b, v.p, 32);
        memcpy(sig.b, v.p + 32, 64);
        if ((rc = fn(arg, &validator, &hh, &sig))) break;
    }
    mc_store_iter_free(it);
    return rc;
}

typedef struct {
    mc_cert *c;
    const mc_valset *vs;
} mc_cert_fill;

static int mc_cert_fill_one(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    mc_cert_fill *f = arg;
    /* listed in validator id order, the order a certificate wants; past MC_MAX_CERT_SIGS (more
     * than any quorum) the rest is left out */
    return mc_cert_add(f->c, f->vs, validator, hh, sig) == MC_OK ? 0 : -1;
}

int mc_store_cert(mc_store_txn *txn, uint64_t height, const mc_hash *header_hash, mc_cert *out,
                  int *certified)
{
    mc_valset vs;
    *certified = 0;
    memset(out, 0, sizeof *out);
    out->height = height;
    out->header_hash = *header_hash;
    mc_cert_fill f = {out, &vs};
    int rc = mc_store_get_valset(txn, height, &vs);
    if (!rc) rc = mc_store_scan_attests(txn, height, mc_cert_fill_one, &f);
    if (rc < 0) rc = MC_OK; /* the cap (a store error is positive) */
    if (!rc) *certified = out->nsigs >= mc_quorum(vs.n);
    return rc;
}

int mc_store_get_certified(mc_store_txn *txn, uint64_t *height, mc_hash *header_hash)
{
    return mc_store_height_hash_get(txn, MC_T_ATTEST, "cert", height, header_hash);
}

int mc_store_put_certified(mc_store_txn *txn, uint64_t height, const mc_hash *header_hash)
{
    return mc_store_height_hash_put(txn, MC_T_ATTEST, "cert", height, header_hash);
}

int mc_store_get_alarm(mc_store_txn *txn, uint64_t *height)
{
    mc_slice v;
    *height = 0;
    int rc = mc_store_get(txn, MC_T_ATTEST, "alarm", 5, &v);
    if (rc) return rc;
    if (v.n != 8) return MC_ECORRUPT;
    *height = mc_get_u64be(v.p);
    return MC_OK;
}

int mc_store_put_alarm(mc_store_txn *txn, uint64_t height)
{
    uint8_t v[8];
    mc_put_u64be(v, height);
    return mc_store_put(txn, MC_T_ATTEST, "alarm", 5, v, sizeof v);
}
