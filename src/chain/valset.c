/* Validator sets: the keys that certify a range of blocks, and their hash in each header. */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

void mc_valset_hash(mc_hash *out, const mc_valset *v)
{
    mc_sha256_ctx c;
    uint8_t n[4];
    mc_put_u32be(n, v->n);
    mc_hash_tagged_init(&c, "medchain/valset");
    mc_sha256_update(&c, n, 4);
    for (uint32_t i = 0; i < v->n && i < MC_MAX_VALIDATORS; i++) mc_sha256_update(&c, v->pks[i].b, 32);
    mc_sha256_final(&c, out);
}

int mc_valset_find(const mc_valset *v, const mc_id *id)
{
    for (uint32_t i = 0; i < v->n && i < MC_MAX_VALIDATORS; i++) {
        mc_id k;
        mc_id_from_pk(&k, &v->pks[i]);
        if (memcmp(k.b, id->b, 32) == 0) return (int)i;
    }
    return -1;
}

int mc_valset_check(const mc_valset *v)
{
    if (v->n > MC_MAX_VALIDATORS) return MC_ETOOBIG;
    if (v->n == 0) return MC_EINVAL;
    for (uint32_t i = 0; i < v->n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (memcmp(v->pks[i].b, v->pks[j].b, 32) == 0) return MC_EINVAL;
    return MC_OK;
}

int mc_valset_encode(mc_buf *out, const mc_valset *v)
{
    int rc = mc_valset_check(v);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_u64(&e, v->from_height);
    mc_enc_u32(&e, v->n);
    for (uint32_t i = 0; i < v->n; i++) mc_enc_fixed(&e, v->pks[i].b, 32);
    return mc_enc_done(&e);
}

int mc_valset_decode(mc_valset *v, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(v, 0, sizeof *v);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    v->from_height = mc_dec_u64(&d);
    v->n = mc_dec_u32(&d);
    if (!d.err && v->n > MC_MAX_VALIDATORS) mc_dec_fail(&d, MC_ETOOBIG);
    for (uint32_t i = 0; i < v->n && !d.err; i++) mc_dec_fixed(&d, v->pks[i].b, 32);
    return mc_chain_dec_end(&d, v, sizeof *v, d.err ? MC_OK : mc_valset_check(v));
}
