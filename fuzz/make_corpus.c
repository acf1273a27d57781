/*
 * Writes the seed corpus of the fuzz targets: valid encodings of every value each target
 * decodes, made with the fixed test keys (Ed25519 is deterministic, so the files are the same
 * on every run), plus a few invalid ones next to them. Usage: fuzz_make_corpus <fuzz/corpus>
 *
 * Files stay small (well under 16 KiB) so the corpus can live in git.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "medchain/chain.h"
#include "medchain/crypto.h"

static const char *mc_corpus_root;

static void mc_corpus_die(const char *what, int rc)
{
    fprintf(stderr, "make_corpus: %s: %s\n", what, mc_strerror(rc));
    exit(1);
}

#define MC_TRY(expr)                                                                                         \
    do {                                                                                                     \
        int rc_ = (expr);                                                                                    \
        if (rc_) mc_corpus_die(#expr, rc_);                                                                  \
    } while (0)

static void mc_corpus_put(const char *target, const char *name, const void *p, size_t n)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/%s", mc_corpus_root, target);
    MC_TRY(mc_dir_make(dir));
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n > 16384) mc_corpus_die(path, MC_ETOOBIG);
    MC_TRY(mc_file_write_atomic(path, p, n, 0644));
}

static void mc_corpus_buf(const char *target, const char *name, const mc_buf *b)
{
    mc_corpus_put(target, name, b->p, b->n);
}

/* The same bytes with one more byte, one byte fewer, and one byte flipped. */
static void mc_corpus_variants(const char *target, const char *name, const mc_buf *b, size_t flip)
{
    char nm[256];
    uint8_t *t = malloc(b->n + 1);
    if (!t) mc_corpus_die("malloc", MC_ENOMEM);
    memcpy(t, b->p, b->n);
    t[b->n] = 0;
    snprintf(nm, sizeof nm, "bad_%s_trailing", name);
    mc_corpus_put(target, nm, t, b->n + 1);
    snprintf(nm, sizeof nm, "bad_%s_truncated", name);
    mc_corpus_put(target, nm, t, b->n - 1);
    t[flip % b->n] ^= 0x80;
    snprintf(nm, sizeof nm, "bad_%s_flipped", name);
    mc_corpus_put(target, nm, t, b->n);
    free(t);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <fuzz/corpus directory>\n", argv[0]);
        return 2;
    }
    mc_corpus_root = argv[1];
    MC_TRY(mc_crypto_init());

    mc_test_net net;
    MC_TRY(mc_test_net_init(&net, 2, 1));
    const mc_test_key *org = &net.org[MC_TEST_ORG_HOSPITAL];
    mc_test_key prov, pat, newk;
    mc_test_key_fixed(&prov, 5);
    mc_test_key_fixed(&pat, 6);
    mc_test_key_fixed(&newk, 7);

    mc_buf body, one;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    mc_buf_init(&one, 1 << 20);
    mc_test_txs txs;
    mc_test_txs_init(&txs);

    /* ---- fuzz_tx: transactions of every kind, their bodies, an identity record ---- */
    MC_TRY(mc_test_body_register(&body, MC_ID_PROVIDER, &org->id, &prov,
                                 "dept=cardiology,emergency=true,role=physician", NULL, NULL));
    mc_corpus_buf("fuzz_tx", "body_register_provider", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 1, MC_TX_IDENTITY_REGISTER, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_register(&body, MC_ID_PATIENT, &org->id, &pat, "", &pat, &net.chain));
    mc_corpus_buf("fuzz_tx", "body_register_patient", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 2, MC_TX_IDENTITY_REGISTER, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_rotate(&body, &prov.id, &newk));
    mc_corpus_buf("fuzz_tx", "body_rotate", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &prov.id, &prov.sk, 1, MC_TX_IDENTITY_ROTATE, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_revoke(&body, &prov.id, 1));
    mc_corpus_buf("fuzz_tx", "body_revoke", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 3, MC_TX_IDENTITY_REVOKE, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_buf_append(&body, "\x01\x02\x03", 3));
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 4, 99, &body, NULL));

    static const char *const txnames[] = {"tx_register_provider", "tx_register_patient", "tx_rotate",
                                          "tx_revoke", "tx_unknown_kind"};
    for (uint32_t i = 0; i < txs.n; i++) {
        mc_slice s = mc_test_txs_get(&txs, i);
        mc_corpus_put("fuzz_tx", txnames[i], s.p, s.n);
    }
    mc_slice s0 = mc_test_txs_get(&txs, 0);
    mc_buf_reset(&one);
    MC_TRY(mc_buf_append(&one, s0.p, s0.n));
    mc_corpus_variants("fuzz_tx", "tx", &one, 0); /* flips the version byte */

    mc_identity idn;
    memset(&idn, 0, sizeof idn);
    idn.id = prov.id;
    idn.kind = MC_ID_PROVIDER;
    idn.status = MC_ID_REVOKED;
    idn.org = org->id;
    idn.sign_pk = prov.pk;
    idn.box_pk = prov.box_pk;
    idn.registered_at = 3;
    idn.updated_at = 9;
    idn.revoke_reason = 2;
    MC_TRY(mc_attrs_parse(&idn.attrs, "dept=oncology,role=nurse"));
    mc_buf_reset(&one);
    MC_TRY(mc_identity_encode(&one, &idn));
    mc_corpus_buf("fuzz_tx", "identity_record", &one);

    /* ---- fuzz_batch: empty, several transactions, with a certificate ---- */
    MC_TRY(mc_test_batch(&one, &net, &net.val[0], NULL, NULL));
    mc_corpus_buf("fuzz_batch", "batch_empty", &one);
    MC_TRY(mc_test_batch(&one, &net, &net.val[0], &txs, NULL));
    mc_corpus_buf("fuzz_batch", "batch_txs", &one);
    mc_corpus_variants("fuzz_batch", "batch", &one, 1 + 32 + 32 + 8 + 8 + 3); /* tx count */
    mc_cert cert;
    memset(&cert, 0, sizeof cert);
    cert.height = 1;
    mc_sha256(&cert.header_hash, "header", 6);
    cert.nsigs = 2;
    int lo = memcmp(net.val[0].id.b, net.val[1].id.b, 32) < 0 ? 0 : 1;
    cert.signers[0] = net.val[lo].id;
    cert.signers[1] = net.val[1 - lo].id;
    mc_sign(&cert.sigs[0], cert.header_hash.b, 32, &net.val[lo].sk);
    mc_sign(&cert.sigs[1], cert.header_hash.b, 32, &net.val[1 - lo].sk);
    mc_test_txs_reset(&txs);
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_revoke(&body, &pat.id, 3));
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 5, MC_TX_IDENTITY_REVOKE, &body, NULL));
    MC_TRY(mc_test_txs_raw(&txs, "garbage", 7));
    MC_TRY(mc_test_batch(&one, &net, &net.val[1], &txs, &cert));
    mc_corpus_buf("fuzz_batch", "batch_cert", &one);
    /* the same certificate with its signers out of order: must be refused */
    cert.signers[0] = net.val[1 - lo].id;
    cert.signers[1] = net.val[lo].id;
    MC_TRY(mc_test_batch(&one, &net, &net.val[1], &txs, &cert));
    mc_corpus_buf("fuzz_batch", "bad_batch_cert_unsorted", &one);

    /* ---- fuzz_block: genesis block, a block, a header, a genesis config ---- */
    mc_header h;
    memset(&h, 0, sizeof h);
    h.version = MC_FORMAT_VERSION;
    h.chain = net.chain;
    h.batch_hash = net.chain;
    h.time_ms = net.g.time_ms;
    mc_merkle_root(&h.tx_root, NULL, 0);
    mc_merkle_root(&h.result_root, NULL, 0);
    mc_sha256(&h.state_digest, "state0", 6);
    {
        mc_buf blk;
        mc_buf_init(&blk, 1 << 20);
        MC_TRY(mc_block_encode(&blk, &h, net.genesis.p, net.genesis.n, NULL, 0));
        mc_corpus_buf("fuzz_block", "block_genesis", &blk);
        mc_buf_reset(&blk);
        MC_TRY(mc_header_encode(&blk, &h));
        mc_corpus_buf("fuzz_block", "header", &blk);

        mc_buf batch;
        mc_buf_init(&batch, 1 << 20);
        MC_TRY(mc_test_batch(&batch, &net, &net.val[0], &txs, NULL));
        h.height = 1;
        mc_sha256(&h.prev, "prev", 4);
        mc_sha256(&h.batch_hash, "batch", 5);
        h.proposer = net.val[0].id;
        h.time_ms += 1000;
        h.ntx = txs.n;
        uint16_t results[2] = {MC_TXR_OK, MC_TXR_MALFORMED};
        mc_buf_reset(&blk);
        MC_TRY(mc_block_encode(&blk, &h, batch.p, batch.n, results, 2));
        mc_corpus_buf("fuzz_block", "block_1", &blk);
        mc_corpus_variants("fuzz_block", "block", &blk, MC_HEADER_BYTES - 32 * 3 - 1); /* ntx */
        mc_buf_free(&batch);
        mc_buf_free(&blk);
    }
    mc_corpus_buf("fuzz_block", "genesis", &net.genesis);
    mc_corpus_variants("fuzz_block", "genesis", &net.genesis, 0);

    mc_test_txs_free(&txs);
    mc_buf_free(&body);
    mc_buf_free(&one);
    mc_test_net_free(&net);
    return 0;
}
