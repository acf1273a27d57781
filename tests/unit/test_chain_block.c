/*
 * chain, part 2: genesis configs, batches and certificates, headers and blocks.
 * Names, transactions, identities and bodies: test_chain_tx.c. Merkle trees, proofs and
 * request digests: test_chain_merkle.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"
#include "testutil.h"

/* Decoders for the truncation and trailing-byte sweeps (mc_check_exact, testutil.h). */
MC_DECODER(mc_dec_block, mc_block, mc_block_decode)
MC_DECODER(mc_dec_header, mc_header, mc_header_decode)

static int mc_dec_batch(const uint8_t *p, size_t n)
{
    mc_batch b;
    int rc = mc_batch_decode(&b, p, n);
    mc_batch_clear(&b);
    return rc;
}

static int mc_dec_genesis(const uint8_t *p, size_t n)
{
    static mc_genesis g; /* large: not on the stack */
    return mc_genesis_decode(&g, p, n);
}

/* ------------------------------------------------------------------------------------------ */
/* Genesis                                                                                      */

/* The documented layout written with no checks, so the decoder's own checks can be tested. */
static void mc_raw_genesis(mc_buf *out, const mc_genesis *g, uint8_t version)
{
    mc_enc e;
    mc_buf_reset(out);
    mc_enc_init(&e, out);
    mc_enc_u8(&e, version);
    mc_enc_str(&e, g->name, 1000);
    mc_enc_u64(&e, g->time_ms);
    mc_enc_u32(&e, g->threshold);
    mc_enc_u32(&e, g->norgs);
    for (uint32_t i = 0; i < g->norgs && i < MC_MAX_ORGS; i++) {
        mc_enc_str(&e, g->orgs[i].name, 1000);
        mc_enc_str(&e, g->orgs[i].type, 1000);
        mc_enc_fixed(&e, g->orgs[i].sign_pk.b, 32);
        mc_enc_fixed(&e, g->orgs[i].box_pk.b, 32);
    }
    mc_enc_u32(&e, g->nvalidators);
    for (uint32_t i = 0; i < g->nvalidators && i < MC_MAX_VALIDATORS; i++) {
        mc_enc_u32(&e, g->validators[i].org);
        mc_enc_fixed(&e, g->validators[i].sign_pk.b, 32);
        mc_enc_fixed(&e, g->validators[i].box_pk.b, 32);
    }
    assert_ok(mc_enc_done(&e));
}

static void test_genesis_vector(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "chain.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    static mc_genesis g;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "genesis", &it));) {
        uint8_t bytes[2048], x[32];
        char s[200];
        size_t n = mc_test_vec_hex(v, "bytes", bytes, sizeof bytes);
        assert_ok(mc_genesis_decode(&g, bytes, n));
        mc_test_vec_text(v, "name", s, sizeof s);
        assert_string_equal(g.name, s);
        assert_true(g.time_ms == mc_test_vec_u64(v, "time"));
        assert_int_equal(g.threshold, mc_test_vec_u64(v, "threshold"));
        assert_int_equal(g.norgs, 2);
        mc_test_vec_text(v, "org0", s, sizeof s);
        assert_string_equal(g.orgs[0].name, s);
        mc_test_vec_text(v, "type1", s, sizeof s);
        assert_string_equal(g.orgs[1].type, s);
        mc_test_vec_fixed(v, "pk1", x, 32);
        assert_memory_equal(g.orgs[1].sign_pk.b, x, 32);
        mc_test_vec_fixed(v, "box0", x, 32);
        assert_memory_equal(g.orgs[0].box_pk.b, x, 32);
        assert_int_equal(g.nvalidators, 1);
        assert_int_equal(g.validators[0].org, mc_test_vec_u64(v, "valorg"));
        mc_test_vec_fixed(v, "valpk", x, 32);
        assert_memory_equal(g.validators[0].sign_pk.b, x, 32);
        mc_buf b;
        mc_buf_init(&b, 1 << 16);
        assert_ok(mc_genesis_encode(&b, &g));
        assert_int_equal(b.n, n);
        assert_memory_equal(b.p, bytes, n);
        mc_buf_free(&b);
        mc_hash chain, want;
        mc_genesis_chain_id(&chain, bytes, n);
        mc_test_vec_fixed(v, "chain", want.b, 32);
        assert_memory_equal(chain.b, want.b, 32);
        mc_check_exact(mc_dec_genesis, bytes, n);
        seen++;
    }
    assert_int_equal(seen, 1);
    mc_test_vec_free(&f);
}

/* Bends a valid config one way; @return 1 if it should be refused with EINVAL. */
static void mc_bend_genesis(mc_genesis *g, int how)
{
    switch (how) {
    case 0: g->threshold = 0; break;
    case 1: g->threshold = g->norgs + 1; break;
    case 2: g->validators[1].org = g->norgs; break;
    case 3: g->validators[0].org = UINT32_MAX; break;
    case 4: g->orgs[2].sign_pk = g->orgs[0].sign_pk; break;
    case 5: g->validators[1].sign_pk = g->validators[0].sign_pk; break;
    case 6: strcpy(g->orgs[1].name, "Health, Authority"); break;
    case 7: strcpy(g->orgs[1].type, "regulator,research"); break;
    case 8: strcpy(g->orgs[0].name, "line\nbreak"); break;
    case 9: g->orgs[0].name[0] = 0; break;
    case 10: g->orgs[2].type[0] = 0; break;
    case 11: g->name[0] = 0; break;
    case 12:
        g->norgs = 0;
        g->threshold = 0;
        g->nvalidators = 0;
        break;
    case 13: g->nvalidators = 0; break;
    default: break;
    }
}
#define MC_GENESIS_BENDS 14

static void test_genesis_invalid(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 3, 0));
    static mc_genesis g, got;
    mc_buf b;
    mc_buf_init(&b, 1 << 20);

    /* the fixture's config round-trips, and its chain id is the tagged hash of the bytes */
    assert_ok(mc_genesis_decode(&got, net.genesis.p, net.genesis.n));
    assert_ok(mc_genesis_encode(&b, &got));
    assert_int_equal(b.n, net.genesis.n);
    assert_memory_equal(b.p, net.genesis.p, b.n);
    mc_hash h;
    mc_hash_tagged(&h, "medchain/chain", net.genesis.p, net.genesis.n);
    assert_memory_equal(h.b, net.chain.b, 32);
    mc_check_exact(mc_dec_genesis, net.genesis.p, net.genesis.n);
    /* version */
    mc_raw_genesis(&b, &net.g, 2);
    assert_rc(mc_genesis_decode(&got, b.p, b.n), MC_EINVAL);
    mc_raw_genesis(&b, &net.g, MC_FORMAT_VERSION);
    assert_ok(mc_genesis_decode(&got, b.p, b.n));

    for (int how = 0; how < MC_GENESIS_BENDS; how++) {
        g = net.g;
        mc_bend_genesis(&g, how);
        mc_buf_reset(&b);
        int rc = mc_genesis_encode(&b, &g);
        if (rc != MC_EINVAL) print_error("bend %d encoded: %s\n", how, mc_errname(rc));
        assert_rc(rc, MC_EINVAL);
        /* and the decoder refuses the same config written by hand */
        mc_raw_genesis(&b, &g, MC_FORMAT_VERSION);
        memset(&got, 0xaa, sizeof got);
        rc = mc_genesis_decode(&got, b.p, b.n);
        if (rc != MC_EINVAL) print_error("bend %d decoded: %s\n", how, mc_errname(rc));
        assert_rc(rc, MC_EINVAL);
        assert_int_equal(got.norgs, 0); /* zeroed on failure */
        assert_int_equal(got.name[0], 0);
    }

    /* counts over their caps */
    g = net.g;
    g.norgs = MC_MAX_ORGS + 1;
    assert_rc(mc_genesis_encode(&b, &g), MC_EINVAL);
    mc_raw_genesis(&b, &g, MC_FORMAT_VERSION);
    assert_rc(mc_genesis_decode(&got, b.p, b.n), MC_ETOOBIG);
    g = net.g;
    g.nvalidators = MC_MAX_VALIDATORS + 1;
    assert_rc(mc_genesis_encode(&b, &g), MC_EINVAL);
    mc_raw_genesis(&b, &g, MC_FORMAT_VERSION);
    assert_rc(mc_genesis_decode(&got, b.p, b.n), MC_ETOOBIG);
    /* a name longer than its cap, written by hand */
    g = net.g;
    mc_raw_genesis(&b, &g, MC_FORMAT_VERSION);
    {
        mc_buf c;
        mc_buf_init(&c, 1 << 20);
        mc_enc e;
        mc_enc_init(&e, &c);
        mc_enc_u8(&e, MC_FORMAT_VERSION);
        char longname[MC_MAX_NAME + 2];
        memset(longname, 'n', MC_MAX_NAME + 1);
        longname[MC_MAX_NAME + 1] = 0;
        mc_enc_str(&e, longname, 1000);
        size_t skip = 1 + 4 + strlen(g.name);
        mc_enc_fixed(&e, b.p + skip, b.n - skip);
        assert_ok(mc_enc_done(&e));
        assert_rc(mc_genesis_decode(&got, c.p, c.n), MC_ETOOBIG);
        mc_buf_free(&c);
    }

    /* the largest config fits */
    g = net.g;
    g.norgs = MC_MAX_ORGS;
    g.nvalidators = MC_MAX_VALIDATORS;
    for (uint32_t i = 0; i < MC_MAX_ORGS; i++) {
        mc_test_key k;
        mc_test_key_new(&k);
        snprintf(g.orgs[i].name, sizeof g.orgs[i].name, "Org %u", i);
        snprintf(g.orgs[i].type, sizeof g.orgs[i].type, "clinic");
        g.orgs[i].sign_pk = k.pk;
        mc_test_key_new(&k);
        g.validators[i].org = i;
        g.validators[i].sign_pk = k.pk;
    }
    g.threshold = MC_MAX_ORGS;
    mc_buf_reset(&b);
    assert_ok(mc_genesis_encode(&b, &g));
    assert_ok(mc_genesis_decode(&got, b.p, b.n));
    assert_int_equal(got.norgs, MC_MAX_ORGS);

    /* a validator that shares an org's key */
    g = net.g;
    g.validators[0].sign_pk = g.orgs[0].sign_pk;
    mc_buf_reset(&b);
    /* (the two would have one id, and the node's identity would replace the org's) */
    assert_rc(mc_genesis_encode(&b, &g), MC_EINVAL);
    mc_buf_free(&b);
    mc_test_net_free(&net);
}

/* ------------------------------------------------------------------------------------------ */
/* Batches                                                                                      */

/* Byte offsets in a batch (src/chain/batch.c). */
#define MC_BATCH_OFF_NTX (1 + 32 + 32 + 8 + 8)

static void mc_sample_cert(mc_cert *c, mc_test_net *net, uint32_t n)
{
    memset(c, 0, sizeof *c);
    c->height = 3;
    mc_random(c->header_hash.b, 32);
    c->nsigs = n;
    /* signers strictly increasing */
    uint32_t order[MC_TEST_MAX_VALS];
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (memcmp(net->val[order[j]].id.b, net->val[order[i]].id.b, 32) < 0) {
                uint32_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    for (uint32_t i = 0; i < n; i++) {
        c->signers[i] = net->val[order[i]].id;
        mc_sign(&c->sigs[i], c->header_hash.b, 32, &net->val[order[i]].sk);
    }
}

static void test_batch_roundtrip(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 3, 0));
    mc_test_txs txs;
    mc_test_txs_init(&txs);
    mc_buf body, out;
    mc_buf_init(&body, 1024);
    mc_buf_init(&out, 1 << 20);
    assert_ok(mc_test_body_revoke(&body, &net.org[1].id, 2));
    for (uint64_t i = 1; i <= 3; i++)
        assert_ok(mc_test_txs_add(&txs, &net.chain, &net.org[0].id, &net.org[0].sk, i, MC_TX_IDENTITY_REVOKE,
                                  &body, NULL));
    assert_ok(mc_test_txs_raw(&txs, "", 0)); /* an empty slot is still a slot */

    mc_hash hash;
    const mc_slice *s = mc_test_txs_slices(&txs);
    assert_ok(mc_batch_build(&out, &hash, &net.chain, &net.val[0].id, 77, 123456789, s, txs.n, NULL,
                             &net.val[0].sk));
    mc_batch b;
    assert_ok(mc_batch_decode(&b, out.p, out.n));
    assert_int_equal(b.version, MC_FORMAT_VERSION);
    assert_memory_equal(b.chain.b, net.chain.b, 32);
    assert_memory_equal(b.proposer.b, net.val[0].id.b, 32);
    assert_true(b.seq == 77 && b.time_ms == 123456789);
    assert_int_equal(b.ntx, 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(b.txs[i].n, s[i].n);
        if (s[i].n) assert_memory_equal(b.txs[i].p, s[i].p, s[i].n);
    }
    assert_int_equal(b.has_cert, 0);
    assert_null(b.cert);
    assert_memory_equal(b.hash.b, hash.b, 32);
    mc_hash manual;
    mc_hash_tagged(&manual, "medchain/batch", out.p, out.n - 64);
    assert_memory_equal(manual.b, hash.b, 32);
    assert_ok(mc_verify(&b.sig, b.hash.b, 32, &net.val[0].pk));
    assert_rc(mc_verify(&b.sig, b.hash.b, 32, &net.val[1].pk), MC_EBADSIG);
    assert_ptr_equal(b.raw.p, out.p);
    mc_batch_clear(&b);
    assert_null(b.txs);
    mc_check_exact(mc_dec_batch, out.p, out.n);

    /* with a certificate */
    mc_cert cert;
    mc_sample_cert(&cert, &net, 3);
    mc_buf_reset(&out);
    assert_ok(mc_batch_build(&out, NULL, &net.chain, &net.val[1].id, 1, 2, NULL, 0, &cert, &net.val[1].sk));
    assert_ok(mc_batch_decode(&b, out.p, out.n));
    assert_int_equal(b.ntx, 0);
    assert_int_equal(b.has_cert, 1);
    assert_non_null(b.cert);
    assert_true(b.cert->height == 3);
    assert_int_equal(b.cert->nsigs, 3);
    assert_memory_equal(b.cert->header_hash.b, cert.header_hash.b, 32);
    assert_memory_equal(b.cert->signers, cert.signers, 3 * sizeof cert.signers[0]);
    assert_memory_equal(b.cert->sigs, cert.sigs, 3 * sizeof cert.sigs[0]);
    mc_batch_clear(&b);
    mc_check_exact(mc_dec_batch, out.p, out.n);
    mc_batch_clear(&b); /* twice is harmless */

    mc_test_txs_free(&txs);
    mc_buf_free(&body);
    mc_buf_free(&out);
    mc_test_net_free(&net);
}

static void test_batch_bad(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 3, 0));
    mc_buf out;
    mc_buf_init(&out, 1 << 20);
    mc_batch b;
    mc_cert cert;

    /* certificate signers out of order, or twice: refused (one certificate, one encoding) */
    mc_sample_cert(&cert, &net, 3);
    mc_id t = cert.signers[0];
    cert.signers[0] = cert.signers[1];
    cert.signers[1] = t;
    assert_ok(mc_batch_build(&out, NULL, &net.chain, &net.val[0].id, 1, 2, NULL, 0, &cert, &net.val[0].sk));
    memset(&b, 0xaa, sizeof b);
    assert_rc(mc_batch_decode(&b, out.p, out.n), MC_EINVAL);
    assert_null(b.txs);
    assert_null(b.cert);
    mc_sample_cert(&cert, &net, 3);
    cert.signers[2] = cert.signers[1];
    mc_buf_reset(&out);
    assert_ok(mc_batch_build(&out, NULL, &net.chain, &net.val[0].id, 1, 2, NULL, 0, &cert, &net.val[0].sk));
    assert_rc(mc_batch_decode(&b, out.p, out.n), MC_EINVAL);
    /* too many signatures */
    mc_sample_cert(&cert, &net, 3);
    cert.nsigs = MC_MAX_CERT_SIGS + 1;
    mc_buf_reset(&out);
    assert_ok(mc_buf_append(&out, "keep", 4));
    assert_rc(mc_batch_build(&out, NULL, &net.chain, &net.val[0].id, 1, 2, NULL, 0, &cert, &net.val[0].sk),
              MC_ETOOBIG);
    assert_int_equal(out.n, 4);
    assert_rc(mc_batch_build(&out, NULL, &net.chain, &net.val[0].id, 1, 2, NULL, MC_MAX_BATCH_TXS + 1, NULL,
                             &net.val[0].sk),
              MC_ETOOBIG);
    assert_int_equal(out.n, 4);

    /* a valid batch with one transaction, then bent by hand */
    mc_test_txs txs;
    mc_test_txs_init(&txs);
    assert_ok(mc_test_txs_raw(&txs, "tx-bytes", 8));
    assert_ok(mc_test_batch(&out, &net, &net.val[0], &txs, NULL));
    size_t n = out.n;
    uint8_t *c = malloc(n + 8);
    assert_non_null(c);
#define MC_RESET_COPY() memcpy(c, out.p, n)
    MC_RESET_COPY();
    c[0] = 2;
    assert_rc(mc_batch_decode(&b, c, n), MC_EINVAL); /* version */
    MC_RESET_COPY();
    mc_put_u32be(c + MC_BATCH_OFF_NTX, MC_MAX_BATCH_TXS + 1);
    assert_rc(mc_batch_decode(&b, c, n), MC_ETOOBIG); /* count over the cap */
    MC_RESET_COPY();
    mc_put_u32be(c + MC_BATCH_OFF_NTX, MC_MAX_BATCH_TXS); /* more than the bytes can hold */
    assert_rc(mc_batch_decode(&b, c, n), MC_EINVAL);
    MC_RESET_COPY();
    mc_put_u32be(c + MC_BATCH_OFF_NTX + 4, MC_MAX_TX_BYTES + 1); /* a transaction over its cap */
    assert_rc(mc_batch_decode(&b, c, n), MC_ETOOBIG);
    MC_RESET_COPY();
    c[MC_BATCH_OFF_NTX + 4 + 4 + 8] = 2; /* has_cert must be 0 or 1 */
    assert_rc(mc_batch_decode(&b, c, n), MC_EINVAL);
    MC_RESET_COPY();
    c[MC_BATCH_OFF_NTX + 4 + 4 + 8] = 1; /* says a certificate follows: none does */
    int rc = mc_batch_decode(&b, c, n);  /* the signature read as a certificate: short, or a count */
    assert_true(rc == MC_EINVAL || rc == MC_ETOOBIG);
    assert_rc(mc_batch_decode(&b, NULL, 0), MC_EINVAL);
    mc_check_exact(mc_dec_batch, out.p, out.n);
#undef MC_RESET_COPY
    free(c);

    /* the batch hash covers every byte before the signature */
    mc_hash h0;
    assert_ok(mc_batch_decode(&b, out.p, out.n));
    h0 = b.hash;
    mc_batch_clear(&b);
    for (size_t i = 0; i < out.n; i++) {
        out.p[i] ^= 0x01;
        if (mc_batch_decode(&b, out.p, out.n) == MC_OK) {
            if (i < out.n - 64)
                assert_memory_not_equal(b.hash.b, h0.b, 32);
            else
                assert_memory_equal(b.hash.b, h0.b, 32);
            mc_batch_clear(&b);
        }
        out.p[i] ^= 0x01;
    }

    /* over the byte cap: refused before reading */
    uint8_t *huge = calloc(1, (size_t)MC_MAX_BATCH_BYTES + 1);
    assert_non_null(huge);
    assert_rc(mc_batch_decode(&b, huge, (size_t)MC_MAX_BATCH_BYTES + 1), MC_ETOOBIG);
    free(huge);

    mc_test_txs_free(&txs);
    mc_buf_free(&out);
    mc_test_net_free(&net);
}

/* ------------------------------------------------------------------------------------------ */
/* Headers and blocks                                                                           */

static void mc_sample_header(mc_header *h)
{
    memset(h, 0, sizeof *h);
    h->version = MC_FORMAT_VERSION;
    mc_random(h->chain.b, 32);
    h->height = 9;
    mc_random(h->prev.b, 32);
    mc_random(h->batch_hash.b, 32);
    mc_random(h->proposer.b, 32);
    h->time_ms = 1700000000000ull;
    h->ntx = 2;
    mc_random(h->tx_root.b, 32);
    mc_random(h->result_root.b, 32);
    mc_random(h->state_digest.b, 32);
}

static void test_header(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "chain.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    mc_buf b;
    mc_buf_init(&b, 4096);
    for (size_t it = 0; (v = mc_test_vec_each(&f, "header", &it));) {
        mc_header h;
        memset(&h, 0, sizeof h);
        h.version = MC_FORMAT_VERSION;
        mc_test_vec_fixed(v, "chain", h.chain.b, 32);
        h.height = mc_test_vec_u64(v, "height");
        mc_test_vec_fixed(v, "prev", h.prev.b, 32);
        mc_test_vec_fixed(v, "batch", h.batch_hash.b, 32);
        mc_test_vec_fixed(v, "proposer", h.proposer.b, 32);
        h.time_ms = mc_test_vec_u64(v, "time");
        h.ntx = (uint32_t)mc_test_vec_u64(v, "ntx");
        mc_test_vec_fixed(v, "txroot", h.tx_root.b, 32);
        mc_test_vec_fixed(v, "resroot", h.result_root.b, 32);
        mc_test_vec_fixed(v, "digest", h.state_digest.b, 32);
        mc_test_vec_fixed(v, "validators", h.validators.b, 32);
        mc_test_vec_fixed(v, "nextvals", h.next_validators.b, 32);
        uint8_t want[MC_HEADER_BYTES];
        mc_test_vec_fixed(v, "bytes", want, sizeof want);
        mc_hash wh, gh;
        mc_test_vec_fixed(v, "hash", wh.b, 32);
        mc_buf_reset(&b);
        assert_ok(mc_header_encode(&b, &h));
        assert_int_equal(b.n, MC_HEADER_BYTES);
        assert_memory_equal(b.p, want, sizeof want);
        mc_header_hash(&gh, &h);
        assert_memory_equal(gh.b, wh.b, 32);
        mc_header d;
        assert_ok(mc_header_decode(&d, want, sizeof want));
        assert_memory_equal(&d, &h, sizeof h);
        seen++;
    }
    assert_int_equal(seen, 1);
    mc_test_vec_free(&f);

    mc_header h, d;
    mc_sample_header(&h);
    mc_buf_reset(&b);
    assert_ok(mc_buf_append(&b, "x", 1));
    assert_ok(mc_header_encode(&b, &h)); /* appends exactly MC_HEADER_BYTES */
    assert_int_equal(b.n, 1 + MC_HEADER_BYTES);
    assert_ok(mc_header_decode(&d, b.p + 1, MC_HEADER_BYTES));
    assert_memory_equal(&d, &h, sizeof h);
    mc_check_exact(mc_dec_header, b.p + 1, MC_HEADER_BYTES);
    /* fixed size: any other length is refused */
    assert_rc(mc_header_decode(&d, b.p + 1, MC_HEADER_BYTES - 1), MC_EINVAL);
    assert_rc(mc_header_decode(&d, b.p, MC_HEADER_BYTES + 1), MC_EINVAL);
    assert_rc(mc_header_decode(&d, b.p, 0), MC_EINVAL);
    uint8_t raw[MC_HEADER_BYTES];
    memcpy(raw, b.p + 1, sizeof raw);
    raw[0] = 0;
    memset(&d, 0xaa, sizeof d);
    assert_rc(mc_header_decode(&d, raw, sizeof raw), MC_EINVAL);
    assert_int_equal(d.version, 0);
    assert_true(d.height == 0);
    raw[0] = MC_FORMAT_VERSION;
    mc_put_u32be(raw + 1 + 32 + 8 + 32 + 32 + 32 + 8, MC_MAX_BATCH_TXS + 1);
    assert_rc(mc_header_decode(&d, raw, sizeof raw), MC_ETOOBIG);

    /* every field is in the hash */
    mc_hash h0, h1;
    mc_header_hash(&h0, &h);
    mc_header x;
#define MC_CHANGED(stmt)                                                                                     \
    do {                                                                                                     \
        x = h;                                                                                               \
        stmt;                                                                                                \
        mc_header_hash(&h1, &x);                                                                             \
        assert_memory_not_equal(h0.b, h1.b, 32);                                                             \
    } while (0)
    MC_CHANGED(x.chain.b[0] ^= 1);
    MC_CHANGED(x.height++);
    MC_CHANGED(x.prev.b[31] ^= 1);
    MC_CHANGED(x.batch_hash.b[3] ^= 1);
    MC_CHANGED(x.proposer.b[9] ^= 1);
    MC_CHANGED(x.time_ms++);
    MC_CHANGED(x.ntx++);
    MC_CHANGED(x.tx_root.b[0] ^= 1);
    MC_CHANGED(x.result_root.b[0] ^= 1);
    MC_CHANGED(x.state_digest.b[0] ^= 1);
    MC_CHANGED(x.validators.b[31] ^= 1);
    MC_CHANGED(x.next_validators.b[0] ^= 1);
#undef MC_CHANGED
    x = h;
    x.version = 7; /* the encoder writes the current format version, whatever the struct says */
    mc_header_hash(&h1, &x);
    assert_memory_equal(h0.b, h1.b, 32);
    mc_buf_free(&b);
}

/* Validator sets: the known answer, round trip, and what decode refuses. */
static void test_valset(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "chain.txt");
    const mc_test_vec *v;
    size_t it = 0;
    assert_non_null(v = mc_test_vec_each(&f, "valset", &it));
    mc_valset vs, d;
    memset(&vs, 0, sizeof vs);
    vs.from_height = 7;
    vs.n = 2;
    mc_test_vec_fixed(v, "pk0", vs.pks[0].b, 32);
    mc_test_vec_fixed(v, "pk1", vs.pks[1].b, 32);
    mc_hash want, got;
    mc_test_vec_fixed(v, "hash", want.b, 32);
    mc_valset_hash(&got, &vs);
    assert_memory_equal(got.b, want.b, 32);
    uint8_t bytes[1 + 8 + 4 + 64];
    mc_test_vec_fixed(v, "bytes", bytes, sizeof bytes);
    mc_buf b;
    mc_buf_init(&b, 4096);
    assert_ok(mc_valset_encode(&b, &vs));
    assert_int_equal(b.n, sizeof bytes);
    assert_memory_equal(b.p, bytes, sizeof bytes);
    assert_ok(mc_valset_decode(&d, b.p, b.n));
    assert_memory_equal(&d, &vs, sizeof vs);
    mc_id id;
    mc_id_from_pk(&id, &vs.pks[1]);
    assert_int_equal(mc_valset_find(&vs, &id), 1);
    id.b[0] ^= 1;
    assert_int_equal(mc_valset_find(&vs, &id), -1);
    /* the order counts: the same keys the other way round hash differently */
    d = vs;
    d.pks[0] = vs.pks[1];
    d.pks[1] = vs.pks[0];
    mc_valset_hash(&got, &d);
    assert_memory_not_equal(got.b, want.b, 32);
    /* refused: a key twice, an empty set, a count over the cap, trailing or missing bytes */
    d = vs;
    d.pks[1] = d.pks[0];
    mc_buf_reset(&b);
    assert_int_equal(mc_valset_encode(&b, &d), MC_EINVAL);
    memcpy(bytes + 1 + 8 + 4 + 32, bytes + 1 + 8 + 4, 32); /* pk0 twice */
    assert_int_equal(mc_valset_decode(&d, bytes, sizeof bytes), MC_EINVAL);
    d.n = 0;
    assert_int_equal(mc_valset_encode(&b, &d), MC_EINVAL);
    uint8_t over[1 + 8 + 4] = {1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 65};
    assert_int_equal(mc_valset_decode(&d, over, sizeof over), MC_ETOOBIG);
    mc_buf_reset(&b);
    assert_ok(mc_valset_encode(&b, &vs));
    assert_int_not_equal(mc_valset_decode(&d, b.p, b.n - 1), MC_OK);
    assert_ok(mc_buf_append(&b, "x", 1));
    assert_int_not_equal(mc_valset_decode(&d, b.p, b.n), MC_OK);
    mc_buf_free(&b);
    mc_test_vec_free(&f);
}

static void test_block(void **state)
{
    (void)state;
    mc_header h;
    mc_sample_header(&h);
    h.ntx = 3;
    const uint16_t results[3] = {MC_TXR_OK, MC_TXR_BAD_SIG, 0xabcd};
    const uint8_t batch[] = "the batch bytes";
    mc_buf b;
    mc_buf_init(&b, 1 << 16);
    assert_ok(mc_block_encode(&b, &h, batch, sizeof batch, results, 3));
    assert_int_equal(b.n, MC_HEADER_BYTES + 4 + sizeof batch + 4 + 6);
    mc_block blk;
    assert_ok(mc_block_decode(&blk, b.p, b.n));
    assert_memory_equal(&blk.header, &h, sizeof h);
    assert_int_equal(blk.batch.n, sizeof batch);
    assert_memory_equal(blk.batch.p, batch, sizeof batch);
    assert_int_equal(blk.nresults, 3);
    for (uint32_t i = 0; i < 3; i++) assert_int_equal(mc_block_result(&blk, i), results[i]);
    assert_int_equal(mc_block_result(&blk, 3), 0xffff);
    assert_int_equal(mc_block_result(&blk, UINT32_MAX), 0xffff);
    mc_check_exact(mc_dec_block, b.p, b.n);

    /* the header's ntx must match the results */
    mc_header h2 = h;
    h2.ntx = 2;
    mc_buf_reset(&b);
    assert_ok(mc_block_encode(&b, &h2, batch, sizeof batch, results, 3));
    memset(&blk, 0xaa, sizeof blk);
    assert_rc(mc_block_decode(&blk, b.p, b.n), MC_EINVAL);
    assert_int_equal(blk.nresults, 0);
    assert_null(blk.results);
    /* a bad header inside a block */
    mc_buf_reset(&b);
    assert_ok(mc_block_encode(&b, &h, batch, sizeof batch, results, 3));
    b.p[0] = 9;
    assert_rc(mc_block_decode(&blk, b.p, b.n), MC_EINVAL);
    b.p[0] = MC_FORMAT_VERSION;
    /* batch length and result count over their caps */
    mc_put_u32be(b.p + MC_HEADER_BYTES, MC_MAX_BATCH_BYTES + 1);
    assert_rc(mc_block_decode(&blk, b.p, b.n), MC_ETOOBIG);
    mc_put_u32be(b.p + MC_HEADER_BYTES, sizeof batch);
    mc_put_u32be(b.p + MC_HEADER_BYTES + 4 + sizeof batch, MC_MAX_BATCH_TXS + 1);
    assert_rc(mc_block_decode(&blk, b.p, b.n), MC_ETOOBIG);
    mc_put_u32be(b.p + MC_HEADER_BYTES + 4 + sizeof batch, 3);
    assert_ok(mc_block_decode(&blk, b.p, b.n));
    assert_rc(mc_block_decode(&blk, NULL, 0), MC_EINVAL);

    /* genesis block: no results */
    h.ntx = 0;
    mc_buf_reset(&b);
    assert_ok(mc_block_encode(&b, &h, batch, sizeof batch, NULL, 0));
    assert_ok(mc_block_decode(&blk, b.p, b.n));
    assert_int_equal(blk.nresults, 0);
    mc_check_exact(mc_dec_block, b.p, b.n);
    /* the encoder refuses a batch over the cap and leaves the buffer as it was */
    size_t before = b.n;
    static const uint8_t one = 0;
    assert_rc(mc_block_encode(&b, &h, &one, (size_t)MC_MAX_BATCH_BYTES + 1, NULL, 0), MC_ETOOBIG);
    assert_int_equal(b.n, before);
    mc_buf_free(&b);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis_vector),  cmocka_unit_test(test_genesis_invalid),
        cmocka_unit_test(test_batch_roundtrip), cmocka_unit_test(test_batch_bad),
        cmocka_unit_test(test_header),          cmocka_unit_test(test_block),
        cmocka_unit_test(test_valset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
