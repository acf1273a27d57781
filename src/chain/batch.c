/* Batches: the signed unit a validator hands to the orderer. */
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"

static void mc_cert_enc(mc_enc *e, const mc_cert *c)
{
    mc_enc_u64(e, c->height);
    mc_enc_fixed(e, c->header_hash.b, 32);
    mc_enc_u32(e, c->nsigs);
    for (uint32_t i = 0; i < c->nsigs && i < MC_MAX_CERT_SIGS; i++) {
        mc_enc_fixed(e, c->signers[i].b, 32);
        mc_enc_fixed(e, c->sigs[i].b, 64);
    }
}

static void mc_cert_dec(mc_dec *d, mc_cert *c)
{
    c->height = mc_dec_u64(d);
    mc_dec_fixed(d, c->header_hash.b, 32);
    c->nsigs = mc_dec_count(d, MC_MAX_CERT_SIGS);
    for (uint32_t i = 0; i < c->nsigs && !d->err; i++) {
        mc_dec_fixed(d, c->signers[i].b, 32);
        mc_dec_fixed(d, c->sigs[i].b, 64);
        /* signers strictly increasing: one certificate, one encoding, no double counting */
        if (i > 0 && memcmp(c->signers[i - 1].b, c->signers[i].b, 32) >= 0) mc_dec_fail(d, MC_EINVAL);
    }
}

void mc_batch_clear(mc_batch *b)
{
    free(b->txs);
    free(b->cert);
    memset(b, 0, sizeof *b);
}

int mc_batch_decode(mc_batch *b, const uint8_t *p, size_t n)
{
    memset(b, 0, sizeof *b);
    if (!p) return MC_EINVAL;
    if (n > MC_MAX_BATCH_BYTES) return MC_ETOOBIG;
    mc_dec d;
    mc_dec_init(&d, p, n);
    b->version = mc_dec_u8(&d);
    if (!d.err && b->version != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, b->chain.b, 32);
    mc_dec_fixed(&d, b->proposer.b, 32);
    b->seq = mc_dec_u64(&d);
    b->time_ms = mc_dec_u64(&d);
    b->ntx = mc_dec_count(&d, MC_MAX_BATCH_TXS);
    /* each tx needs at least its u32 length: refuse counts the bytes cannot hold before
     * allocating for them */
    if (!d.err && (size_t)b->ntx * 4 > mc_dec_left(&d)) mc_dec_fail(&d, MC_EINVAL);
    if (!d.err && b->ntx) {
        b->txs = calloc(b->ntx, sizeof *b->txs);
        if (!b->txs) mc_dec_fail(&d, MC_ENOMEM);
    }
    for (uint32_t i = 0; i < b->ntx && !d.err; i++) b->txs[i] = mc_dec_bytes(&d, MC_MAX_TX_BYTES);
    b->has_cert = mc_dec_bool(&d);
    if (b->has_cert && !d.err) {
        b->cert = calloc(1, sizeof *b->cert);
        if (!b->cert)
            mc_dec_fail(&d, MC_ENOMEM);
        else
            mc_cert_dec(&d, b->cert);
    }
    size_t unsigned_len = d.off;
    mc_dec_fixed(&d, b->sig.b, 64);
    int rc = mc_dec_done(&d);
    if (rc) {
        mc_batch_clear(b);
        return rc;
    }
    mc_hash_tagged(&b->hash, "medchain/batch", p, unsigned_len);
    b->raw.p = p;
    b->raw.n = n;
    return MC_OK;
}

int mc_batch_build(mc_buf *out, mc_hash *hash_out, const mc_hash *chain, const mc_id *proposer, uint64_t seq,
                   uint64_t time_ms, const mc_slice *txs, uint32_t ntx, const mc_cert *cert,
                   const mc_sign_sk *sk)
{
    if (ntx > MC_MAX_BATCH_TXS) return MC_ETOOBIG;
    size_t start = out->n;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, chain->b, 32);
    mc_enc_fixed(&e, proposer->b, 32);
    mc_enc_u64(&e, seq);
    mc_enc_u64(&e, time_ms);
    mc_enc_u32(&e, ntx);
    for (uint32_t i = 0; i < ntx; i++) mc_enc_bytes(&e, txs[i].p, txs[i].n, MC_MAX_TX_BYTES);
    mc_enc_bool(&e, cert != NULL);
    if (cert) {
        if (cert->nsigs > MC_MAX_CERT_SIGS) e.err = e.err ? e.err : MC_ETOOBIG;
        mc_cert_enc(&e, cert);
    }
    int rc = mc_enc_done(&e);
    if (!rc && out->n - start > MC_MAX_BATCH_BYTES) rc = MC_ETOOBIG;
    if (rc) {
        out->n = start;
        return rc;
    }
    mc_hash h;
    mc_hash_tagged(&h, "medchain/batch", out->p + start, out->n - start);
    mc_sig sig;
    mc_sign(&sig, h.b, 32, sk);
    mc_enc_fixed(&e, sig.b, 64);
    if ((rc = mc_enc_done(&e))) {
        out->n = start;
        return rc;
    }
    if (hash_out) *hash_out = h;
    return MC_OK;
}
