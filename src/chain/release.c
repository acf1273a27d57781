/*
 * research.release: the record of a de-identified dataset handed to a research org. Its body
 * names the dataset by hash and counts; which patients it holds stays off the ledger.
 */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

int mc_body_release_encode(mc_buf *out, const mc_body_release *b)
{
    if (b->npatients == 0 || b->nresources < b->npatients) return MC_EINVAL;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, b->release.b, 32);
    mc_enc_fixed(&e, b->recipient.b, 32);
    mc_enc_fixed(&e, b->dataset.b, 32);
    mc_enc_u32(&e, b->npatients);
    mc_enc_u32(&e, b->nresources);
    return mc_enc_done(&e);
}

int mc_body_release_decode(mc_body_release *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_dec_fixed(&d, b->release.b, 32);
    mc_dec_fixed(&d, b->recipient.b, 32);
    mc_dec_fixed(&d, b->dataset.b, 32);
    b->npatients = mc_dec_u32(&d);
    b->nresources = mc_dec_u32(&d);
    int check = b->npatients == 0 || b->nresources < b->npatients ? MC_EINVAL : MC_OK;
    return mc_chain_dec_end(&d, b, sizeof *b, check);
}
