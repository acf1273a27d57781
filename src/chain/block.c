/* Block headers (fixed size) and stored blocks (header, batch bytes, result codes). */
#include <string.h>

#include "medchain/chain.h"

int mc_header_encode(mc_buf *out, const mc_header *h)
{
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, h->chain.b, 32);
    mc_enc_u64(&e, h->height);
    mc_enc_fixed(&e, h->prev.b, 32);
    mc_enc_fixed(&e, h->batch_hash.b, 32);
    mc_enc_fixed(&e, h->proposer.b, 32);
    mc_enc_u64(&e, h->time_ms);
    mc_enc_u32(&e, h->ntx);
    mc_enc_fixed(&e, h->tx_root.b, 32);
    mc_enc_fixed(&e, h->result_root.b, 32);
    mc_enc_fixed(&e, h->state_digest.b, 32);
    mc_enc_fixed(&e, h->validators.b, 32);
    mc_enc_fixed(&e, h->next_validators.b, 32);
    return mc_enc_done(&e);
}

int mc_header_decode(mc_header *h, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(h, 0, sizeof *h);
    if (n != MC_HEADER_BYTES) return MC_EINVAL;
    mc_dec_init(&d, p, n);
    h->version = mc_dec_u8(&d);
    if (h->version != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, h->chain.b, 32);
    h->height = mc_dec_u64(&d);
    mc_dec_fixed(&d, h->prev.b, 32);
    mc_dec_fixed(&d, h->batch_hash.b, 32);
    mc_dec_fixed(&d, h->proposer.b, 32);
    h->time_ms = mc_dec_u64(&d);
    h->ntx = mc_dec_u32(&d);
    if (!d.err && h->ntx > MC_MAX_BATCH_TXS) mc_dec_fail(&d, MC_ETOOBIG);
    mc_dec_fixed(&d, h->tx_root.b, 32);
    mc_dec_fixed(&d, h->result_root.b, 32);
    mc_dec_fixed(&d, h->state_digest.b, 32);
    mc_dec_fixed(&d, h->validators.b, 32);
    mc_dec_fixed(&d, h->next_validators.b, 32);
    int rc = mc_dec_done(&d);
    if (rc) memset(h, 0, sizeof *h);
    return rc;
}

void mc_header_hash(mc_hash *out, const mc_header *h)
{
    uint8_t tmp[MC_HEADER_BYTES + 1];
    mc_buf b = {tmp, 0, sizeof tmp, MC_HEADER_BYTES}; /* stack-backed, exactly one header */
    if (mc_header_encode(&b, h) != MC_OK) {           /* cannot happen: fixed size */
        memset(out, 0, sizeof *out);
        return;
    }
    mc_hash_tagged(out, "medchain/header", b.p, b.n);
}

int mc_block_encode(mc_buf *out, const mc_header *h, const uint8_t *batch, size_t nbatch,
                    const uint16_t *results, uint32_t nresults)
{
    size_t start = out->n;
    int rc = mc_header_encode(out, h);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_bytes(&e, batch, nbatch, MC_MAX_BATCH_BYTES);
    mc_enc_u32(&e, nresults);
    for (uint32_t i = 0; i < nresults; i++) mc_enc_u16(&e, results[i]);
    if ((rc = mc_enc_done(&e))) out->n = start;
    return rc;
}

int mc_block_decode(mc_block *b, const uint8_t *p, size_t n)
{
    memset(b, 0, sizeof *b);
    if (!p || n < MC_HEADER_BYTES) return MC_EINVAL;
    int rc = mc_header_decode(&b->header, p, MC_HEADER_BYTES);
    if (rc) return rc;
    mc_dec d;
    mc_dec_init(&d, p + MC_HEADER_BYTES, n - MC_HEADER_BYTES);
    b->batch = mc_dec_bytes(&d, MC_MAX_BATCH_BYTES);
    b->nresults = mc_dec_count(&d, MC_MAX_BATCH_TXS);
    if (!d.err && b->nresults != b->header.ntx) mc_dec_fail(&d, MC_EINVAL);
    if (!d.err && mc_dec_left(&d) != (size_t)b->nresults * 2) mc_dec_fail(&d, MC_EINVAL);
    if (!d.err) {
        b->results = d.p + d.off;
        d.off += (size_t)b->nresults * 2;
    }
    rc = mc_dec_done(&d);
    if (rc) memset(b, 0, sizeof *b);
    return rc;
}

uint16_t mc_block_result(const mc_block *b, uint32_t i)
{
    if (i >= b->nresults) return 0xffff;
    return (uint16_t)(b->results[2 * i] << 8 | b->results[2 * i + 1]);
}
