/* Shared checks of the fuzz targets (see fuzz_common.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "medchain/crypto.h"

void mc_fuzz_check(int cond, const char *what, const char *file, int line)
{
    if (cond) return;
    fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
    abort();
}

void mc_fuzz_init(void)
{
    static int done;
    if (done) return;
    MC_FUZZ_CHECK(mc_crypto_init() == MC_OK);
    done = 1;
}

void mc_fuzz_same(const mc_buf *buf, const uint8_t *p, size_t n)
{
    MC_FUZZ_CHECK(buf->n == n);
    MC_FUZZ_CHECK(n == 0 || memcmp(buf->p, p, n) == 0);
}

int mc_fuzz_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

void mc_fuzz_bodies(const uint8_t *p, size_t n)
{
    mc_buf out;
    mc_buf_init(&out, 1 << 20);

    mc_body_register reg;
    if (mc_body_register_decode(&reg, p, n) == MC_OK) {
        MC_FUZZ_CHECK(reg.kind >= MC_ID_ORG && reg.kind <= MC_ID_NODE);
        MC_FUZZ_CHECK(reg.attrs.n <= MC_MAX_ATTRS);
        for (uint32_t i = 1; i < reg.attrs.n; i++)
            MC_FUZZ_CHECK(strcmp(reg.attrs.a[i - 1].key, reg.attrs.a[i].key) < 0);
        MC_FUZZ_CHECK(mc_body_register_encode(&out, &reg) == MC_OK);
        mc_fuzz_same(&out, p, n);
        mc_hash msg, chain = {{0}};
        MC_FUZZ_CHECK(mc_body_register_cosig_msg(&msg, &chain, &reg) == MC_OK);
    } else {
        MC_FUZZ_CHECK(mc_fuzz_zero(&reg, sizeof reg));
    }

    mc_body_rotate rot;
    mc_buf_reset(&out);
    if (mc_body_rotate_decode(&rot, p, n) == MC_OK) {
        MC_FUZZ_CHECK(mc_body_rotate_encode(&out, &rot) == MC_OK);
        mc_fuzz_same(&out, p, n);
    } else {
        MC_FUZZ_CHECK(mc_fuzz_zero(&rot, sizeof rot));
    }

    mc_body_revoke rev;
    mc_buf_reset(&out);
    if (mc_body_revoke_decode(&rev, p, n) == MC_OK) {
        MC_FUZZ_CHECK(rev.reason <= 3);
        MC_FUZZ_CHECK(mc_body_revoke_encode(&out, &rev) == MC_OK);
        mc_fuzz_same(&out, p, n);
    } else {
        MC_FUZZ_CHECK(mc_fuzz_zero(&rev, sizeof rev));
    }

    mc_identity idn;
    mc_buf_reset(&out);
    if (mc_identity_decode(&idn, p, n) == MC_OK) {
        MC_FUZZ_CHECK(mc_identity_kind_name(idn.kind) != NULL);
        MC_FUZZ_CHECK(idn.status == MC_ID_ACTIVE || idn.status == MC_ID_REVOKED);
        MC_FUZZ_CHECK(mc_identity_encode(&out, &idn) == MC_OK);
        mc_fuzz_same(&out, p, n);
    } else {
        MC_FUZZ_CHECK(mc_fuzz_zero(&idn, sizeof idn));
    }
    mc_buf_free(&out);
}

void mc_fuzz_tx(const uint8_t *p, size_t n)
{
    mc_tx tx;
    if (mc_tx_decode(&tx, p, n) != MC_OK) {
        MC_FUZZ_CHECK(mc_fuzz_zero(&tx, sizeof tx));
        return;
    }
    /* layout: version | chain | signer | u64 nonce | u16 kind | u32 len | body | sig[64] */
    MC_FUZZ_CHECK(tx.version == MC_FORMAT_VERSION);
    MC_FUZZ_CHECK(tx.raw.p == p && tx.raw.n == n);
    MC_FUZZ_CHECK(n <= MC_MAX_TX_BYTES && tx.body.n <= MC_MAX_BODY_BYTES);
    MC_FUZZ_CHECK(n == 1 + 32 + 32 + 8 + 2 + 4 + tx.body.n + 64);
    MC_FUZZ_CHECK(tx.body.n == 0 || tx.body.p == p + 79);
    MC_FUZZ_CHECK(mc_get_u32be(p + 75) == tx.body.n);
    MC_FUZZ_CHECK(memcmp(tx.sig.b, p + n - 64, 64) == 0);
    mc_hash id;
    mc_hash_tagged(&id, "medchain/tx", p, n - 64);
    MC_FUZZ_CHECK(memcmp(id.b, tx.id.b, 32) == 0);
    mc_sign_pk pk;
    memcpy(pk.b, tx.signer.b, 32); /* any key: the answer must be a clean yes or no */
    int rc = mc_tx_verify(&tx, &pk);
    MC_FUZZ_CHECK(rc == MC_OK || rc == MC_EBADSIG);
    mc_fuzz_bodies(tx.body.p, tx.body.n);
}

void mc_fuzz_batch(const uint8_t *p, size_t n)
{
    mc_batch b;
    if (mc_batch_decode(&b, p, n) != MC_OK) {
        MC_FUZZ_CHECK(mc_fuzz_zero(&b, sizeof b));
        return;
    }
    MC_FUZZ_CHECK(b.version == MC_FORMAT_VERSION);
    MC_FUZZ_CHECK(b.raw.p == p && b.raw.n == n && n >= 64);
    MC_FUZZ_CHECK(b.ntx <= MC_MAX_BATCH_TXS);
    MC_FUZZ_CHECK(memcmp(b.sig.b, p + n - 64, 64) == 0);
    mc_hash h;
    mc_hash_tagged(&h, "medchain/batch", p, n - 64);
    MC_FUZZ_CHECK(memcmp(h.b, b.hash.b, 32) == 0);
    const uint8_t *prev_end = p + 1 + 32 + 32 + 8 + 8 + 4;
    for (uint32_t i = 0; i < b.ntx; i++) {
        MC_FUZZ_CHECK(b.txs[i].n <= MC_MAX_TX_BYTES);
        /* transactions lie in order, each after its u32 length, inside the batch */
        if (b.txs[i].n) {
            MC_FUZZ_CHECK(b.txs[i].p == prev_end + 4);
            MC_FUZZ_CHECK(b.txs[i].p + b.txs[i].n <= p + n - 64);
        }
        prev_end += 4 + b.txs[i].n;
        mc_fuzz_tx(b.txs[i].p, b.txs[i].n);
    }
    MC_FUZZ_CHECK(b.has_cert == (b.cert != NULL));
    if (b.cert) {
        MC_FUZZ_CHECK(b.cert->nsigs <= MC_MAX_CERT_SIGS);
        for (uint32_t i = 1; i < b.cert->nsigs; i++)
            MC_FUZZ_CHECK(memcmp(b.cert->signers[i - 1].b, b.cert->signers[i].b, 32) < 0);
    }
    mc_batch_clear(&b);
    MC_FUZZ_CHECK(mc_fuzz_zero(&b, sizeof b));
}

void mc_fuzz_genesis(const uint8_t *p, size_t n)
{
    mc_genesis *g = malloc(sizeof *g);
    MC_FUZZ_CHECK(g != NULL);
    if (mc_genesis_decode(g, p, n) == MC_OK) {
        MC_FUZZ_CHECK(g->norgs >= 1 && g->norgs <= MC_MAX_ORGS);
        MC_FUZZ_CHECK(g->nvalidators >= 1 && g->nvalidators <= MC_MAX_VALIDATORS);
        MC_FUZZ_CHECK(g->threshold >= 1 && g->threshold <= g->norgs);
        for (uint32_t i = 0; i < g->nvalidators; i++) MC_FUZZ_CHECK(g->validators[i].org < g->norgs);
        mc_buf out;
        mc_buf_init(&out, 1 << 20);
        MC_FUZZ_CHECK(mc_genesis_encode(&out, g) == MC_OK);
        mc_fuzz_same(&out, p, n);
        mc_buf_free(&out);
    } else {
        MC_FUZZ_CHECK(mc_fuzz_zero(g, sizeof *g));
    }
    free(g);
}
