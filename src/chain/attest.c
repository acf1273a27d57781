/* Attestations: a validator's signature over one header of one chain, and quorum counting. */
#include <string.h>

#include "medchain/chain.h"

/*
 * The digest is domain-separated three ways: its own tag (no transaction, batch or request
 * digest can collide with it), the chain id (an attestation for another chain is worthless
 * here) and the height beside the header hash (the header holds its height too; the
 * redundancy costs nothing and keeps a verifier from trusting a header it has not decoded).
 */
void mc_attest_digest(mc_hash *out, const mc_hash *chain, uint64_t height, const mc_hash *header_hash)
{
    uint8_t m[1 + 32 + 8 + 32];
    m[0] = MC_FORMAT_VERSION;
    memcpy(m + 1, chain->b, 32);
    for (int i = 0; i < 8; i++) m[33 + i] = (uint8_t)(height >> (56 - 8 * i));
    memcpy(m + 41, header_hash->b, 32);
    mc_hash_tagged(out, "medchain/attest", m, sizeof m);
}

void mc_attest_sign(mc_attest *a, const mc_hash *chain, uint64_t height, const mc_hash *header_hash,
                    const mc_sign_pk *pk, const mc_sign_sk *sk)
{
    mc_hash d;
    memset(a, 0, sizeof *a);
    a->chain = *chain;
    a->height = height;
    a->header_hash = *header_hash;
    mc_id_from_pk(&a->validator, pk);
    mc_attest_digest(&d, chain, height, header_hash);
    mc_sign(&a->sig, d.b, 32, sk);
}

int mc_attest_encode(mc_buf *out, const mc_attest *a)
{
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, a->chain.b, 32);
    mc_enc_u64(&e, a->height);
    mc_enc_fixed(&e, a->header_hash.b, 32);
    mc_enc_fixed(&e, a->validator.b, 32);
    mc_enc_fixed(&e, a->sig.b, 64);
    return mc_enc_done(&e);
}

int mc_attest_decode(mc_attest *a, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(a, 0, sizeof *a);
    if (!p || n != MC_ATTEST_BYTES) return MC_EINVAL;
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, a->chain.b, 32);
    a->height = mc_dec_u64(&d);
    mc_dec_fixed(&d, a->header_hash.b, 32);
    mc_dec_fixed(&d, a->validator.b, 32);
    mc_dec_fixed(&d, a->sig.b, 64);
    int rc = mc_dec_done(&d);
    if (rc) memset(a, 0, sizeof *a);
    return rc;
}

int mc_attest_verify(const mc_attest *a, const mc_hash *chain, uint64_t height, const mc_hash *header_hash,
                     const mc_sign_pk *pk)
{
    mc_id id;
    mc_hash d;
    if (!a || !chain || !header_hash || !pk) return MC_EINVAL;
    /* the signature is checked over what the caller expects, never over what the attestation
     * claims: a mismatch in any field fails as a bad signature would */
    if (memcmp(a->chain.b, chain->b, 32) || a->height != height ||
        memcmp(a->header_hash.b, header_hash->b, 32))
        return MC_EBADSIG;
    mc_id_from_pk(&id, pk);
    if (memcmp(id.b, a->validator.b, 32) != 0) return MC_EBADSIG;
    mc_attest_digest(&d, chain, height, header_hash);
    return mc_verify(&a->sig, d.b, 32, pk) == MC_OK ? MC_OK : MC_EBADSIG;
}

uint32_t mc_quorum(uint32_t n)
{
    if (n == 0) return 1; /* nothing certifies without validators */
    uint32_t f = (n - 1) / 3;
    /* the smallest q with 2q > n + f: two quorums share more than f validators, hence an
     * honest one, which signs one header per height. For n = 3f + 1 this is 2f + 1. */
    return (n + f) / 2 + 1;
}

int mc_cert_count(const mc_cert *c, const mc_hash *chain, const mc_sign_pk *validators, uint32_t nvalidators,
                  uint32_t *nvalid)
{
    if (nvalid) *nvalid = 0;
    if (!c || !chain || (!validators && nvalidators) || !nvalid) return MC_EINVAL;
    if (c->nsigs > MC_MAX_CERT_SIGS || nvalidators > MC_MAX_VALIDATORS) return MC_EINVAL;
    uint32_t count = 0;
    mc_hash d;
    mc_attest_digest(&d, chain, c->height, &c->header_hash);
    for (uint32_t i = 0; i < c->nsigs; i++) {
        /* signers strictly increasing: no validator counts twice */
        if (i > 0 && memcmp(c->signers[i - 1].b, c->signers[i].b, 32) >= 0) return MC_EINVAL;
        for (uint32_t v = 0; v < nvalidators; v++) {
            mc_id id;
            mc_id_from_pk(&id, &validators[v]);
            if (memcmp(id.b, c->signers[i].b, 32) != 0) continue;
            if (mc_verify(&c->sigs[i], d.b, 32, &validators[v]) == MC_OK) count++;
            break;
        }
    }
    *nvalid = count;
    return MC_OK;
}

int mc_cert_check(const mc_cert *c, const mc_hash *chain, const mc_sign_pk *validators, uint32_t nvalidators)
{
    uint32_t nvalid;
    int rc = mc_cert_count(c, chain, validators, nvalidators, &nvalid);
    if (rc) return rc;
    return nvalid >= mc_quorum(nvalidators) ? MC_OK : MC_EBADSIG;
}

int mc_cert_add(mc_cert *c, const mc_valset *vs, const mc_id *validator, const mc_hash *header_hash,
                const mc_sig *sig)
{
    if (memcmp(header_hash->b, c->header_hash.b, 32) != 0 || mc_valset_find(vs, validator) < 0) return MC_OK;
    if (c->nsigs >= MC_MAX_CERT_SIGS) return MC_ETOOBIG;
    c->signers[c->nsigs] = *validator;
    c->sigs[c->nsigs++] = *sig;
    return MC_OK;
}
