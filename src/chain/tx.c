/* Transactions: decode (zero-copy), build and sign, verify. */
#include <string.h>

#include "medchain/chain.h"

/* Offset of the signature: everything before it is what the tx id hashes. */
static void mc_tx_compute_id(mc_hash *id, const uint8_t *p, size_t unsigned_len)
{
    mc_hash_tagged(id, "medchain/tx", p, unsigned_len);
}

int mc_tx_decode(mc_tx *tx, const uint8_t *p, size_t n)
{
    memset(tx, 0, sizeof *tx);
    if (!p || n > MC_MAX_TX_BYTES) return n > MC_MAX_TX_BYTES ? MC_ETOOBIG : MC_EINVAL;
    mc_dec d;
    mc_dec_init(&d, p, n);
    tx->version = mc_dec_u8(&d);
    if (!d.err && tx->version != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, tx->chain.b, 32);
    mc_dec_fixed(&d, tx->signer.b, 32);
    tx->nonce = mc_dec_u64(&d);
    tx->kind = mc_dec_u16(&d);
    tx->body = mc_dec_bytes(&d, MC_MAX_BODY_BYTES);
    size_t unsigned_len = d.off;
    mc_dec_fixed(&d, tx->sig.b, 64);
    int rc = mc_dec_done(&d);
    if (rc) {
        memset(tx, 0, sizeof *tx);
        return rc;
    }
    mc_tx_compute_id(&tx->id, p, unsigned_len);
    tx->raw.p = p;
    tx->raw.n = n;
    return MC_OK;
}

int mc_tx_build(mc_buf *out, mc_hash *id_out, const mc_hash *chain, const mc_id *signer, uint64_t nonce,
                uint16_t kind, const uint8_t *body, size_t nbody, const mc_sign_sk *sk)
{
    size_t start = out->n;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, chain->b, 32);
    mc_enc_fixed(&e, signer->b, 32);
    mc_enc_u64(&e, nonce);
    mc_enc_u16(&e, kind);
    mc_enc_bytes(&e, body, nbody, MC_MAX_BODY_BYTES);
    int rc = mc_enc_done(&e);
    if (rc) {
        out->n = start;
        return rc;
    }
    mc_hash id;
    mc_tx_compute_id(&id, out->p + start, out->n - start);
    mc_sig sig;
    mc_sign(&sig, id.b, 32, sk);
    mc_enc_fixed(&e, sig.b, 64);
    if ((rc = mc_enc_done(&e))) {
        out->n = start;
        return rc;
    }
    if (id_out) *id_out = id;
    return MC_OK;
}

void mc_tx_id_undecodable(mc_hash *id, const uint8_t *p, size_t n)
{
    mc_tx_compute_id(id, p, n);
}

void mc_tx_id_of(mc_hash *id, const uint8_t *p, size_t n)
{
    mc_tx tx;
    if (mc_tx_decode(&tx, p, n) == MC_OK)
        *id = tx.id;
    else
        mc_tx_id_undecodable(id, p, n);
}

int mc_tx_verify(const mc_tx *tx, const mc_sign_pk *pk)
{
    return mc_verify(&tx->sig, tx->id.b, 32, pk);
}
