/*
 * chain: names, ids, attributes, transactions, identities and bodies, genesis configs,
 * batches and certificates, headers, blocks, Merkle trees and proofs, request digests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"
#include "testutil.h"

/* ------------------------------------------------------------------------------------------ */
/* Decoders behind one signature, for the truncation and trailing-byte sweeps.                  */

typedef int (*mc_decode_fn)(const uint8_t *p, size_t n);

/* A decoder that needs nothing freed, behind the common signature. */
#define MC_DECODER(name, type, decode)                \
    static int name(const uint8_t *p, size_t n)       \
    {                                                 \
        type v;                                       \
        return decode(&v, p, n);                      \
    }
MC_DECODER(mc_dec_tx, mc_tx, mc_tx_decode)
MC_DECODER(mc_dec_block, mc_block, mc_block_decode)
MC_DECODER(mc_dec_header, mc_header, mc_header_decode)
MC_DECODER(mc_dec_identity, mc_identity, mc_identity_decode)
MC_DECODER(mc_dec_register, mc_body_register, mc_body_register_decode)
MC_DECODER(mc_dec_rotate, mc_body_rotate, mc_body_rotate_decode)
MC_DECODER(mc_dec_revoke, mc_body_revoke, mc_body_revoke_decode)
#undef MC_DECODER

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

/*
 * @p p (n bytes) decodes; every proper prefix of it must not, and neither may it with one more
 * byte. Each input is copied to a heap block of exactly its size so ASan sees any over-read.
 */
static void mc_check_exact(mc_decode_fn fn, const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n + 1);
    assert_non_null(c);
    memcpy(c, p, n);
    assert_ok(fn(c, n));
    c[n] = 0;
    assert_rc(fn(c, n + 1), MC_EINVAL); /* a trailing byte */
    c[n] = 0xff;
    assert_rc(fn(c, n + 1), MC_EINVAL);
    free(c);
    for (size_t k = 0; k < n; k++) {
        uint8_t *t = malloc(k ? k : 1);
        assert_non_null(t);
        memcpy(t, p, k);
        int rc = fn(t, k);
        if (rc == MC_OK) print_error("a %zu-byte prefix of %zu bytes decoded\n", k, n);
        assert_true(rc == MC_EINVAL || rc == MC_ETOOBIG);
        free(t);
    }
}

/* ------------------------------------------------------------------------------------------ */

static void test_names(void **state)
{
    (void)state;
    static const char *const kinds[] = {"org", "provider", "patient", "auditor", "researcher", "node"};
    for (int k = MC_ID_ORG; k <= MC_ID_NODE; k++) {
        assert_string_equal(mc_identity_kind_name(k), kinds[k - 1]);
        assert_int_equal(mc_identity_kind_parse(kinds[k - 1]), k);
    }
    assert_null(mc_identity_kind_name(0));
    assert_null(mc_identity_kind_name(7));
    assert_null(mc_identity_kind_name(-1));
    assert_int_equal(mc_identity_kind_parse("Org"), 0);
    assert_int_equal(mc_identity_kind_parse(""), 0);
    assert_int_equal(mc_identity_kind_parse(NULL), 0);

    static const char *const txk[] = {"identity.register", "identity.rotate", "identity.revoke"};
    for (int k = MC_TX_IDENTITY_REGISTER; k <= MC_TX_IDENTITY_REVOKE; k++) {
        assert_string_equal(mc_tx_kind_name(k), txk[k - 1]);
        assert_int_equal(mc_tx_kind_parse(txk[k - 1]), k);
    }
    assert_null(mc_tx_kind_name(0));
    assert_null(mc_tx_kind_name(4));
    assert_int_equal(mc_tx_kind_parse("identity"), 0);
    assert_int_equal(mc_tx_kind_parse(NULL), 0);

    /* result names are part of the API: fixed strings, all distinct */
    assert_string_equal(mc_txr_name(MC_TXR_OK), "OK");
    assert_string_equal(mc_txr_name(MC_TXR_BAD_NONCE), "BAD_NONCE");
    assert_string_equal(mc_txr_name(MC_TXR_SAME_KEY), "SAME_KEY");
    for (int c = 0; c < MC_TXR_COUNT_; c++) {
        assert_non_null(mc_txr_name(c));
        assert_string_not_equal(mc_txr_name(c), "UNKNOWN");
        assert_true(strlen(mc_txr_text(c)) > 0);
        for (int d = 0; d < c; d++) assert_string_not_equal(mc_txr_name(c), mc_txr_name(d));
    }
    assert_string_equal(mc_txr_name(MC_TXR_COUNT_), "UNKNOWN");
    assert_string_equal(mc_txr_name(-1), "UNKNOWN");
    assert_string_equal(mc_txr_text(999), "unknown result");
}

static void test_id_from_pk(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "hashes.txt");
    size_t seen = 0;
    const mc_test_vec *v;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "id", &it));) {
        mc_sign_pk pk;
        mc_id want, got;
        mc_test_vec_fixed(v, "pk", pk.b, 32);
        mc_test_vec_fixed(v, "id", want.b, 32);
        mc_id_from_pk(&got, &pk);
        assert_memory_equal(got.b, want.b, 32);
        seen++;
    }
    assert_int_equal(seen, 3);
    mc_test_vec_free(&f);
}

static void test_attrs(void **state)
{
    (void)state;
    mc_attrs a;
    assert_ok(mc_attrs_parse(&a, "role=physician,dept=cardiology,emergency=true"));
    assert_int_equal(a.n, 3);
    /* sorted by key */
    assert_string_equal(a.a[0].key, "dept");
    assert_string_equal(a.a[1].key, "emergency");
    assert_string_equal(a.a[2].key, "role");
    assert_string_equal(mc_attrs_get(&a, "role"), "physician");
    assert_string_equal(mc_attrs_get(&a, "emergency"), "true");
    assert_null(mc_attrs_get(&a, "rol"));
    assert_null(mc_attrs_get(&a, "Role"));

    assert_ok(mc_attrs_parse(&a, ""));
    assert_int_equal(a.n, 0);
    assert_ok(mc_attrs_parse(&a, "k="));
    assert_int_equal(a.n, 1);
    assert_string_equal(a.a[0].val, "");
    assert_ok(mc_attrs_parse(&a, "a.b_c-9=x=y z"));
    assert_string_equal(a.a[0].val, "x=y z");

    char key32[64], val96[128], longs[256];
    memset(key32, 'k', 32);
    key32[32] = 0;
    memset(val96, 'v', 96);
    val96[96] = 0;
    snprintf(longs, sizeof longs, "%s=%s", key32, val96); /* both exactly at their caps */
    assert_ok(mc_attrs_parse(&a, longs));
    assert_int_equal(strlen(a.a[0].key), 32);
    assert_int_equal(strlen(a.a[0].val), 96);
    snprintf(longs, sizeof longs, "%sk=v", key32);
    assert_rc(mc_attrs_parse(&a, longs), MC_EINVAL);
    snprintf(longs, sizeof longs, "k=%sv", val96);
    assert_rc(mc_attrs_parse(&a, longs), MC_EINVAL);

    static const char *const bad[] = {"noequals", "=v", "Role=x", "a b=c", "k=v,", ",k=v", "k=v,,j=w",
                                      "k=v,k=w", "k=\x01", "k=a\x7f", "k/=v", "k=v,j"};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        int rc = mc_attrs_parse(&a, bad[i]);
        if (rc != MC_EINVAL) print_error("accepted \"%s\"\n", bad[i]);
        assert_rc(rc, MC_EINVAL);
    }
    assert_rc(mc_attrs_parse(&a, NULL), MC_EINVAL);

    char many[512] = "";
    for (int i = 0; i < 16; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%sk%02d=v", i ? "," : "", i);
    assert_ok(mc_attrs_parse(&a, many));
    assert_int_equal(a.n, MC_MAX_ATTRS);
    strcat(many, ",k99=v");
    assert_rc(mc_attrs_parse(&a, many), MC_ETOOBIG);
}

/* ------------------------------------------------------------------------------------------ */
/* Transactions                                                                                 */

/* Byte offsets of a transaction's fields (src/chain/tx.c, docs/format.md). */
#define MC_TX_OFF_CHAIN 1
#define MC_TX_OFF_SIGNER 33
#define MC_TX_OFF_NONCE 65
#define MC_TX_OFF_KIND 73
#define MC_TX_OFF_BODYLEN 75
#define MC_TX_OFF_BODY 79

/* The transactions of chain.txt, built from their fields with the C API and compared with the
 * bytes the Python script produced from the documented layout. */
static void test_tx_vectors(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "chain.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    mc_buf body, tx;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    for (size_t it = 0; (v = mc_test_vec_each(&f, "tx*", &it));) {
        mc_hash chain, id, gotid;
        mc_id signer;
        mc_sign_sk sk;
        mc_sign_pk pk;
        uint8_t want[2048], wbody[1024];
        mc_test_vec_fixed(v, "chain", chain.b, 32);
        mc_test_vec_fixed(v, "signer", signer.b, 32);
        mc_test_vec_fixed(v, "sk", sk.b, 32);
        mc_test_vec_fixed(v, "pk", pk.b, 32);
        memcpy(sk.b + 32, pk.b, 32);
        mc_test_vec_fixed(v, "id", id.b, 32);
        size_t nwant = mc_test_vec_hex(v, "tx", want, sizeof want);
        size_t nbody = mc_test_vec_hex(v, "body", wbody, sizeof wbody);
        uint64_t nonce = mc_test_vec_u64(v, "nonce");
        uint16_t kind = (uint16_t)mc_test_vec_u64(v, "kind");

        /* the body: decode the expected bytes, check the fields, encode back */
        mc_buf_reset(&body);
        if (strcmp(v->type, "txrevoke") == 0) {
            mc_body_revoke b;
            mc_id target;
            mc_test_vec_fixed(v, "target", target.b, 32);
            assert_ok(mc_body_revoke_decode(&b, wbody, nbody));
            assert_memory_equal(b.id.b, target.b, 32);
            assert_int_equal(b.reason, mc_test_vec_u64(v, "reason"));
            assert_ok(mc_body_revoke_encode(&body, &b));
        } else if (strcmp(v->type, "txrotate") == 0) {
            mc_body_rotate b;
            uint8_t x[32];
            assert_ok(mc_body_rotate_decode(&b, wbody, nbody));
            mc_test_vec_fixed(v, "target", x, 32);
            assert_memory_equal(b.id.b, x, 32);
            mc_test_vec_fixed(v, "newpk", x, 32);
            assert_memory_equal(b.sign_pk.b, x, 32);
            mc_test_vec_fixed(v, "newbox", x, 32);
            assert_memory_equal(b.box_pk.b, x, 32);
            assert_ok(mc_body_rotate_encode(&body, &b));
        } else {
            assert_string_equal(v->type, "txregister");
            mc_body_register b;
            uint8_t x[32];
            char attrs[256];
            assert_ok(mc_body_register_decode(&b, wbody, nbody));
            assert_int_equal(b.kind, mc_test_vec_u64(v, "idkind"));
            mc_test_vec_fixed(v, "org", x, 32);
            assert_memory_equal(b.org.b, x, 32);
            mc_test_vec_fixed(v, "newpk", x, 32);
            assert_memory_equal(b.sign_pk.b, x, 32);
            mc_test_vec_fixed(v, "newbox", x, 32);
            assert_memory_equal(b.box_pk.b, x, 32);
            mc_test_vec_text(v, "attrs", attrs, sizeof attrs);
            mc_attrs a;
            assert_ok(mc_attrs_parse(&a, attrs));
            assert_memory_equal(&a, &b.attrs, sizeof a);
            assert_int_equal(b.has_cosig, mc_test_vec_u64(v, "cosigned"));
            if (b.has_cosig) {
                mc_hash msg, wmsg;
                mc_sig cosig;
                mc_test_vec_fixed(v, "cosigmsg", wmsg.b, 32);
                mc_test_vec_fixed(v, "cosig", cosig.b, 64);
                assert_ok(mc_body_register_cosig_msg(&msg, &chain, &b));
                assert_memory_equal(msg.b, wmsg.b, 32);
                assert_memory_equal(b.cosig.b, cosig.b, 64);
                mc_sign_pk npk;
                memcpy(npk.b, b.sign_pk.b, 32);
                assert_ok(mc_verify(&b.cosig, msg.b, 32, &npk));
            }
            assert_ok(mc_body_register_encode(&body, &b));
        }
        assert_int_equal(body.n, nbody);
        assert_memory_equal(body.p, wbody, nbody);

        /* the transaction, signed: Ed25519 is deterministic, so the bytes are fixed */
        mc_buf_reset(&tx);
        assert_ok(mc_tx_build(&tx, &gotid, &chain, &signer, nonce, kind, body.p, body.n, &sk));
        assert_int_equal(tx.n, nwant);
        assert_memory_equal(tx.p, want, nwant);
        assert_memory_equal(gotid.b, id.b, 32);

        /* decoded fields sit at their documented offsets */
        mc_tx t;
        assert_ok(mc_tx_decode(&t, want, nwant));
        assert_int_equal(want[0], MC_FORMAT_VERSION);
        assert_int_equal(t.version, MC_FORMAT_VERSION);
        assert_memory_equal(want + MC_TX_OFF_CHAIN, chain.b, 32);
        assert_memory_equal(t.chain.b, chain.b, 32);
        assert_memory_equal(want + MC_TX_OFF_SIGNER, signer.b, 32);
        assert_memory_equal(t.signer.b, signer.b, 32);
        assert_true(mc_get_u64be(want + MC_TX_OFF_NONCE) == nonce && t.nonce == nonce);
        assert_int_equal((want[MC_TX_OFF_KIND] << 8) | want[MC_TX_OFF_KIND + 1], kind);
        assert_int_equal(t.kind, kind);
        assert_int_equal(mc_get_u32be(want + MC_TX_OFF_BODYLEN), nbody);
        assert_ptr_equal(t.body.p, want + MC_TX_OFF_BODY);
        assert_int_equal(t.body.n, nbody);
        assert_int_equal(nwant, MC_TX_OFF_BODY + nbody + 64);
        assert_memory_equal(t.sig.b, want + MC_TX_OFF_BODY + nbody, 64);
        assert_memory_equal(t.id.b, id.b, 32);
        assert_ptr_equal(t.raw.p, want);
        assert_int_equal(t.raw.n, nwant);
        assert_ok(mc_tx_verify(&t, &pk));
        mc_check_exact(mc_dec_tx, want, nwant);
        seen++;
    }
    assert_int_equal(seen, 4);
    mc_buf_free(&body);
    mc_buf_free(&tx);
    mc_test_vec_free(&f);
}

/* A provider registration by org 0 of a fresh net: the transaction most tests start from. */
static void mc_sample_tx(mc_buf *tx, mc_hash *id, mc_test_key *org, mc_hash *chain)
{
    mc_test_key prov;
    mc_test_key_new(org);
    mc_test_key_new(&prov);
    mc_random(chain->b, 32);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_ok(mc_test_body_register(&body, MC_ID_PROVIDER, &org->id, &prov, "role=physician", NULL, NULL));
    assert_ok(mc_tx_build(tx, id, chain, &org->id, 5, MC_TX_IDENTITY_REGISTER, body.p, body.n, &org->sk));
    mc_buf_free(&body);
}

static void test_tx_roundtrip(void **state)
{
    (void)state;
    mc_test_key org, other;
    mc_hash chain, id;
    mc_buf tx;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    assert_ok(mc_buf_append(&tx, "prefix", 6)); /* build appends after what is there */
    mc_sample_tx(&tx, &id, &org, &chain);
    mc_tx t;
    assert_ok(mc_tx_decode(&t, tx.p + 6, tx.n - 6));
    assert_memory_equal(tx.p, "prefix", 6);
    assert_memory_equal(t.chain.b, chain.b, 32);
    assert_memory_equal(t.signer.b, org.id.b, 32);
    assert_true(t.nonce == 5);
    assert_int_equal(t.kind, MC_TX_IDENTITY_REGISTER);
    assert_memory_equal(t.id.b, id.b, 32);
    mc_hash manual;
    mc_hash_tagged(&manual, "medchain/tx", tx.p + 6, tx.n - 6 - 64);
    assert_memory_equal(manual.b, id.b, 32);
    assert_ok(mc_verify(&t.sig, id.b, 32, &org.pk)); /* the signature is over the id */
    assert_ok(mc_tx_verify(&t, &org.pk));
    mc_test_key_new(&other);
    assert_rc(mc_tx_verify(&t, &other.pk), MC_EBADSIG);
    mc_body_register b;
    assert_ok(mc_body_register_decode(&b, t.body.p, t.body.n));
    assert_int_equal(b.kind, MC_ID_PROVIDER);

    /* id_out is optional; an empty body is a body */
    mc_buf_reset(&tx);
    assert_ok(mc_tx_build(&tx, NULL, &chain, &org.id, 1, 99, NULL, 0, &org.sk));
    assert_int_equal(tx.n, MC_TX_OFF_BODY + 64);
    assert_ok(mc_tx_decode(&t, tx.p, tx.n));
    assert_int_equal(t.body.n, 0);
    assert_int_equal(t.kind, 99);
    assert_ok(mc_tx_verify(&t, &org.pk));
    mc_buf_free(&tx);
}

/* Any change to a byte before the signature changes the id (and so voids the signature); any
 * change to the signature keeps the id but fails verification. */
static void test_tx_every_byte(void **state)
{
    (void)state;
    mc_test_key org;
    mc_hash chain, id;
    mc_buf tx;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_sample_tx(&tx, &id, &org, &chain);
    uint8_t *c = malloc(tx.n);
    assert_non_null(c);
    size_t decoded = 0;
    for (size_t i = 0; i < tx.n; i++) {
        static const uint8_t masks[] = {0x01, 0x80};
        for (size_t m = 0; m < 2; m++) {
            memcpy(c, tx.p, tx.n);
            c[i] ^= masks[m];
            mc_tx t;
            if (mc_tx_decode(&t, c, tx.n) != MC_OK) {
                /* only the version and the body length can make it undecodable */
                assert_true(i == 0 || (i >= MC_TX_OFF_BODYLEN && i < MC_TX_OFF_BODY));
                continue;
            }
            decoded++;
            if (i < tx.n - 64)
                assert_memory_not_equal(t.id.b, id.b, 32);
            else
                assert_memory_equal(t.id.b, id.b, 32);
            assert_rc(mc_tx_verify(&t, &org.pk), MC_EBADSIG);
        }
    }
    assert_true(decoded >= 2 * (tx.n - 5));
    free(c);
    mc_buf_free(&tx);
}

static void test_tx_bad_input(void **state)
{
    (void)state;
    mc_test_key org;
    mc_hash chain, id;
    mc_buf tx;
    mc_buf_init(&tx, 2 * MC_MAX_TX_BYTES);
    mc_sample_tx(&tx, &id, &org, &chain);
    mc_check_exact(mc_dec_tx, tx.p, tx.n);

    mc_tx t;
    memset(&t, 0xaa, sizeof t);
    tx.p[0] = 0;
    assert_rc(mc_tx_decode(&t, tx.p, tx.n), MC_EINVAL);
    mc_tx zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&t, &zero, sizeof t); /* zeroed on failure */
    tx.p[0] = 2;
    assert_rc(mc_tx_decode(&t, tx.p, tx.n), MC_EINVAL);
    tx.p[0] = MC_FORMAT_VERSION;
    assert_rc(mc_tx_decode(&t, NULL, 0), MC_EINVAL);
    assert_rc(mc_tx_decode(&t, tx.p, 0), MC_EINVAL);

    /* a body length over its cap is refused before anything is read */
    uint8_t hdr[MC_TX_OFF_BODY];
    memcpy(hdr, tx.p, MC_TX_OFF_BODYLEN);
    mc_put_u32be(hdr + MC_TX_OFF_BODYLEN, MC_MAX_BODY_BYTES + 1);
    assert_rc(mc_tx_decode(&t, hdr, sizeof hdr), MC_ETOOBIG);
    mc_put_u32be(hdr + MC_TX_OFF_BODYLEN, UINT32_MAX);
    assert_rc(mc_tx_decode(&t, hdr, sizeof hdr), MC_ETOOBIG);

    /* the largest body fits; one more byte does not */
    uint8_t *big = calloc(1, MC_MAX_TX_BYTES + 1);
    assert_non_null(big);
    mc_buf_reset(&tx);
    assert_ok(mc_tx_build(&tx, NULL, &chain, &org.id, 1, 1, big, MC_MAX_BODY_BYTES, &org.sk));
    assert_ok(mc_tx_decode(&t, tx.p, tx.n));
    assert_int_equal(t.body.n, MC_MAX_BODY_BYTES);
    size_t before = tx.n;
    assert_rc(mc_tx_build(&tx, NULL, &chain, &org.id, 1, 1, big, MC_MAX_BODY_BYTES + 1, &org.sk),
              MC_ETOOBIG);
    assert_int_equal(tx.n, before); /* nothing appended */
    assert_rc(mc_tx_decode(&t, big, MC_MAX_TX_BYTES + 1), MC_ETOOBIG);
    free(big);

    /* an output buffer too small for the whole transaction is left as it was */
    mc_buf small;
    mc_buf_init(&small, 100);
    assert_ok(mc_buf_append(&small, "ab", 2));
    assert_rc(mc_tx_build(&small, &id, &chain, &org.id, 1, 1, (const uint8_t *)"x", 1, &org.sk),
              MC_ETOOBIG);
    assert_int_equal(small.n, 2);
    mc_buf_free(&small);
    mc_buf_free(&tx);
}

/* ------------------------------------------------------------------------------------------ */
/* Identities and bodies                                                                        */

static void mc_sample_identity(mc_identity *idn)
{
    mc_test_key k, o;
    mc_test_key_new(&k);
    mc_test_key_new(&o);
    memset(idn, 0, sizeof *idn);
    idn->id = k.id;
    idn->kind = MC_ID_PROVIDER;
    idn->status = MC_ID_ACTIVE;
    idn->org = o.id;
    idn->sign_pk = k.pk;
    idn->box_pk = k.box_pk;
    idn->registered_at = 7;
    idn->updated_at = 0x0102030405060708ull;
    idn->revoke_reason = 2;
    assert_ok(mc_attrs_parse(&idn->attrs, "dept=er,emergency=true,role=nurse"));
}

static void test_identity(void **state)
{
    (void)state;
    mc_identity idn, got;
    mc_sample_identity(&idn);
    mc_buf b;
    mc_buf_init(&b, 8192);
    assert_ok(mc_identity_encode(&b, &idn));
    assert_ok(mc_identity_decode(&got, b.p, b.n));
    assert_memory_equal(&got, &idn, sizeof idn);
    mc_check_exact(mc_dec_identity, b.p, b.n);
    assert_int_equal(b.p[0], MC_FORMAT_VERSION);
    b.p[0] = 2;
    assert_rc(mc_identity_decode(&got, b.p, b.n), MC_EINVAL);

    /* bad enum values, attribute lists out of canonical order */
    struct {
        uint8_t kind, status;
        const char *k0, *k1;
    } bad[] = {{0, MC_ID_ACTIVE, "a", "b"},         {7, MC_ID_ACTIVE, "a", "b"},
               {255, MC_ID_ACTIVE, "a", "b"},       {MC_ID_ORG, 0, "a", "b"},
               {MC_ID_ORG, 3, "a", "b"},            {MC_ID_ORG, MC_ID_ACTIVE, "b", "a"},
               {MC_ID_ORG, MC_ID_ACTIVE, "a", "a"}, {MC_ID_ORG, MC_ID_ACTIVE, "A", "b"},
               {MC_ID_ORG, MC_ID_ACTIVE, "", "b"}};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        mc_identity x = idn;
        x.kind = bad[i].kind;
        x.status = bad[i].status;
        x.attrs.n = 2;
        strcpy(x.attrs.a[0].key, bad[i].k0);
        strcpy(x.attrs.a[1].key, bad[i].k1);
        mc_buf_reset(&b);
        assert_ok(mc_identity_encode(&b, &x)); /* the encoder writes what it is given */
        memset(&got, 0xaa, sizeof got);
        int rc = mc_identity_decode(&got, b.p, b.n);
        if (rc == MC_OK) print_error("bad identity %zu accepted\n", i);
        assert_rc(rc, MC_EINVAL);
        mc_identity zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&got, &zero, sizeof got);
    }
    /* a value with a ',' is not a canonical attribute value */
    mc_identity x = idn;
    strcpy(x.attrs.a[0].val, "a,b");
    mc_buf_reset(&b);
    assert_ok(mc_identity_encode(&b, &x));
    assert_rc(mc_identity_decode(&got, b.p, b.n), MC_EINVAL);
    mc_buf_free(&b);
}

static void test_body_register(void **state)
{
    (void)state;
    mc_test_key org, pat, other;
    mc_test_key_new(&org);
    mc_test_key_new(&pat);
    mc_test_key_new(&other);
    mc_hash chain, chain2;
    mc_random(chain.b, 32);
    mc_random(chain2.b, 32);
    mc_buf b;
    mc_buf_init(&b, MC_MAX_BODY_BYTES);

    /* a patient's enrolment, co-signed over the chain id and the body */
    assert_ok(mc_test_body_register(&b, MC_ID_PATIENT, &org.id, &pat, "lang=en", &pat, &chain));
    mc_body_register r;
    assert_ok(mc_body_register_decode(&r, b.p, b.n));
    assert_int_equal(r.kind, MC_ID_PATIENT);
    assert_memory_equal(r.org.b, org.id.b, 32);
    assert_memory_equal(r.sign_pk.b, pat.pk.b, 32);
    assert_memory_equal(r.box_pk.b, pat.box_pk.b, 32);
    assert_int_equal(r.attrs.n, 1);
    assert_int_equal(r.has_cosig, 1);
    mc_hash msg, msg2;
    assert_ok(mc_body_register_cosig_msg(&msg, &chain, &r));
    assert_ok(mc_verify(&r.cosig, msg.b, 32, &pat.pk));
    /* the co-signature binds the chain and every field, but not itself */
    assert_ok(mc_body_register_cosig_msg(&msg2, &chain2, &r));
    assert_memory_not_equal(msg.b, msg2.b, 32);
    mc_body_register r2 = r;
    r2.cosig.b[0] ^= 1;
    r2.has_cosig = 0;
    assert_ok(mc_body_register_cosig_msg(&msg2, &chain, &r2));
    assert_memory_equal(msg.b, msg2.b, 32);
    r2 = r;
    r2.kind = MC_ID_PROVIDER;
    assert_ok(mc_body_register_cosig_msg(&msg2, &chain, &r2));
    assert_memory_not_equal(msg.b, msg2.b, 32);
    r2 = r;
    r2.org = other.id;
    assert_ok(mc_body_register_cosig_msg(&msg2, &chain, &r2));
    assert_memory_not_equal(msg.b, msg2.b, 32);
    r2 = r;
    r2.box_pk.b[5] ^= 1;
    assert_ok(mc_body_register_cosig_msg(&msg2, &chain, &r2));
    assert_memory_not_equal(msg.b, msg2.b, 32);
    r2 = r;
    strcpy(r2.attrs.a[0].val, "fr");
    assert_ok(mc_body_register_cosig_msg(&msg2, &chain, &r2));
    assert_memory_not_equal(msg.b, msg2.b, 32);

    mc_buf c;
    mc_buf_init(&c, MC_MAX_BODY_BYTES);
    assert_ok(mc_body_register_encode(&c, &r));
    assert_int_equal(c.n, b.n);
    assert_memory_equal(c.p, b.p, b.n);
    mc_check_exact(mc_dec_register, b.p, b.n);

    /* without a co-signature */
    mc_buf_reset(&b);
    assert_ok(mc_test_body_register(&b, MC_ID_PROVIDER, &org.id, &other, "", NULL, NULL));
    assert_ok(mc_body_register_decode(&r, b.p, b.n));
    assert_int_equal(r.has_cosig, 0);
    assert_int_equal(b.n, 1 + 32 + 32 + 32 + 4 + 1);
    mc_check_exact(mc_dec_register, b.p, b.n);
    /* bad kind byte, bad boolean */
    memset(&r2, 0xaa, sizeof r2);
    b.p[0] = 0;
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_EINVAL);
    mc_body_register zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&r2, &zero, sizeof r2);
    b.p[0] = 7;
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_EINVAL);
    b.p[0] = MC_ID_NODE;
    b.p[b.n - 1] = 2;
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_EINVAL);
    b.p[b.n - 1] = 1; /* says co-signed, but the 64 bytes are missing */
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_EINVAL);

    /* attribute lists must be in canonical order, and within the caps */
    r = zero;
    r.kind = MC_ID_PROVIDER;
    r.attrs.n = 2;
    strcpy(r.attrs.a[0].key, "role");
    strcpy(r.attrs.a[1].key, "dept");
    mc_buf_reset(&b);
    assert_ok(mc_body_register_encode(&b, &r));
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_EINVAL); /* unsorted */
    strcpy(r.attrs.a[1].key, "role");
    mc_buf_reset(&b);
    assert_ok(mc_body_register_encode(&b, &r));
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_EINVAL); /* duplicate */
    /* a count over the cap, written by hand */
    mc_buf_reset(&b);
    mc_enc e;
    mc_enc_init(&e, &b);
    mc_enc_u8(&e, MC_ID_PROVIDER);
    mc_enc_fixed(&e, org.id.b, 32);
    mc_enc_fixed(&e, other.pk.b, 32);
    mc_enc_fixed(&e, other.box_pk.b, 32);
    mc_enc_u32(&e, MC_MAX_ATTRS + 1);
    for (unsigned i = 0; i <= MC_MAX_ATTRS; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%02u", i);
        mc_enc_str(&e, k, 32);
        mc_enc_str(&e, "v", 96);
    }
    mc_enc_bool(&e, 0);
    assert_ok(mc_enc_done(&e));
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_ETOOBIG);
    /* a key longer than its cap */
    mc_buf_reset(&b);
    mc_enc_init(&e, &b);
    mc_enc_u8(&e, MC_ID_PROVIDER);
    mc_enc_fixed(&e, org.id.b, 32);
    mc_enc_fixed(&e, other.pk.b, 32);
    mc_enc_fixed(&e, other.box_pk.b, 32);
    mc_enc_u32(&e, 1);
    mc_enc_str(&e, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 64); /* 33 */
    mc_enc_str(&e, "v", 96);
    mc_enc_bool(&e, 0);
    assert_ok(mc_enc_done(&e));
    assert_rc(mc_body_register_decode(&r2, b.p, b.n), MC_ETOOBIG);

    /* the encoder must not write a list the decoder refuses */
    r = zero;
    r.kind = MC_ID_PROVIDER;
    r.attrs.n = MC_MAX_ATTRS + 1;
    mc_buf_reset(&b);
    assert_rc(mc_body_register_encode(&b, &r), MC_ETOOBIG);
    mc_buf_free(&c);
    mc_buf_free(&b);
}

static void test_body_rotate_revoke(void **state)
{
    (void)state;
    mc_test_key k, n;
    mc_test_key_new(&k);
    mc_test_key_new(&n);
    mc_buf b;
    mc_buf_init(&b, 1024);
    assert_ok(mc_test_body_rotate(&b, &k.id, &n));
    assert_int_equal(b.n, 96);
    mc_body_rotate ro;
    assert_ok(mc_body_rotate_decode(&ro, b.p, b.n));
    assert_memory_equal(ro.id.b, k.id.b, 32);
    assert_memory_equal(ro.sign_pk.b, n.pk.b, 32);
    assert_memory_equal(ro.box_pk.b, n.box_pk.b, 32);
    mc_check_exact(mc_dec_rotate, b.p, b.n);

    for (uint16_t reason = 0; reason <= 3; reason++) {
        mc_buf_reset(&b);
        assert_ok(mc_test_body_revoke(&b, &k.id, reason));
        assert_int_equal(b.n, 34);
        mc_body_revoke rv;
        assert_ok(mc_body_revoke_decode(&rv, b.p, b.n));
        assert_int_equal(rv.reason, reason);
        assert_memory_equal(rv.id.b, k.id.b, 32);
        mc_check_exact(mc_dec_revoke, b.p, b.n);
    }
    static const uint16_t bad[] = {4, 5, 0x100, 0xffff};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        mc_buf_reset(&b);
        assert_ok(mc_test_body_revoke(&b, &k.id, bad[i]));
        mc_body_revoke rv;
        memset(&rv, 0xaa, sizeof rv);
        assert_rc(mc_body_revoke_decode(&rv, b.p, b.n), MC_EINVAL);
        assert_int_equal(rv.reason, 0);
    }
    mc_buf_free(&b);
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
    case 12: g->norgs = 0; g->threshold = 0; g->nvalidators = 0; break;
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
        assert_ok(mc_test_txs_add(&txs, &net.chain, &net.org[0].id, &net.org[0].sk, i,
                                  MC_TX_IDENTITY_REVOKE, &body, NULL));
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
    assert_rc(mc_batch_build(&out, NULL, &net.chain, &net.val[0].id, 1, 2, NULL, MC_MAX_BATCH_TXS + 1,
                             NULL, &net.val[0].sk),
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
    int rc = mc_batch_decode(&b, c, n); /* the signature read as a certificate: short, or a count */
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
#define MC_CHANGED(stmt)                      \
    do {                                      \
        x = h;                                \
        stmt;                                 \
        mc_header_hash(&h1, &x);              \
        assert_memory_not_equal(h0.b, h1.b, 32); \
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
#undef MC_CHANGED
    x = h;
    x.version = 7; /* the encoder writes the current format version, whatever the struct says */
    mc_header_hash(&h1, &x);
    assert_memory_equal(h0.b, h1.b, 32);
    mc_buf_free(&b);
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

/* ------------------------------------------------------------------------------------------ */
/* Merkle trees                                                                                 */

/* RFC 6962 section 2.1, written out again independently of src/chain/merkle.c. */
static void mc_ref_node(mc_hash *out, const mc_hash *l, const mc_hash *r)
{
    mc_sha256_ctx c;
    uint8_t one = 1;
    mc_sha256_init(&c);
    mc_sha256_update(&c, &one, 1);
    mc_sha256_update(&c, l->b, 32);
    mc_sha256_update(&c, r->b, 32);
    mc_sha256_final(&c, out);
}

static void mc_ref_root(mc_hash *out, const mc_hash *leaves, size_t n)
{
    if (n == 0) {
        mc_sha256(out, NULL, 0);
        return;
    }
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    size_t k = 1;
    while (2 * k < n) k *= 2; /* the largest power of two smaller than n */
    mc_hash l, r;
    mc_ref_root(&l, leaves, k);
    mc_ref_root(&r, leaves + k, n - k);
    mc_ref_node(out, &l, &r);
}

/* Length of RFC 6962's PATH(m, D[n]). */
static uint32_t mc_ref_path_len(size_t m, size_t n)
{
    if (n <= 1) return 0;
    size_t k = 1;
    while (2 * k < n) k *= 2;
    return 1 + (m < k ? mc_ref_path_len(m, k) : mc_ref_path_len(m - k, n - k));
}

static void mc_leaf_n(mc_hash *leaf, uint32_t i)
{
    uint8_t b[4];
    mc_put_u32be(b, i);
    mc_merkle_leaf_tx(leaf, b, 4);
}

static void test_merkle_vectors(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "merkle.txt");
    mc_hash *leaves = calloc(1000, sizeof *leaves);
    assert_non_null(leaves);
    for (uint32_t i = 0; i < 1000; i++) mc_leaf_n(&leaves[i], i);
    size_t seen = 0, seenr = 0;
    const mc_test_vec *v;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "merkle", &it)); seen++) {
        uint64_t n = mc_test_vec_u64(v, "n");
        assert_true(n <= 1000);
        mc_hash want, got;
        mc_test_vec_fixed(v, "root", want.b, 32);
        mc_merkle_root(&got, leaves, n);
        assert_memory_equal(got.b, want.b, 32);
    }
    for (size_t it = 0; (v = mc_test_vec_each(&f, "leafresult", &it)); seenr++) {
        mc_hash txid, want, got;
        mc_test_vec_fixed(v, "txid", txid.b, 32);
        mc_test_vec_fixed(v, "leaf", want.b, 32);
        mc_merkle_leaf_result(&got, &txid, (uint16_t)mc_test_vec_u64(v, "code"));
        assert_memory_equal(got.b, want.b, 32);
    }
    assert_true(seen >= 10);
    assert_int_equal(seenr, 4);
    /* leaf hash: SHA-256(0x00 || data) */
    mc_hash a, b;
    mc_merkle_leaf_tx(&a, (const uint8_t *)"\x00xyz", 0);
    mc_sha256(&b, "\x00", 1);
    assert_memory_equal(a.b, b.b, 32);
    mc_merkle_leaf_tx(&a, (const uint8_t *)"xyz", 3);
    mc_sha256(&b, "\x00xyz", 4);
    assert_memory_equal(a.b, b.b, 32);
    free(leaves);
    mc_test_vec_free(&f);
}

static void test_merkle_roots_reference(void **state)
{
    (void)state;
    mc_hash leaves[17];
    memset(leaves, 0, sizeof leaves);
    for (size_t n = 0; n <= 17; n++) {
        for (size_t i = 0; i < n; i++) mc_random(leaves[i].b, 32);
        mc_hash got, want;
        mc_merkle_root(&got, leaves, n);
        mc_ref_root(&want, leaves, n);
        assert_memory_equal(got.b, want.b, 32);
        if (n >= 1) {
            /* every leaf counts, and so does the order */
            leaves[n - 1].b[0] ^= 1;
            mc_merkle_root(&got, leaves, n);
            assert_memory_not_equal(got.b, want.b, 32);
            leaves[n - 1].b[0] ^= 1;
        }
        if (n >= 2) {
            mc_hash t = leaves[0];
            leaves[0] = leaves[1];
            leaves[1] = t;
            mc_merkle_root(&got, leaves, n);
            assert_memory_not_equal(got.b, want.b, 32);
        }
    }
    /* no second preimage by duplicating the last leaf (CVE-2012-2459) */
    mc_hash three[4], r3, r4;
    for (int i = 0; i < 3; i++) mc_random(three[i].b, 32);
    three[3] = three[2];
    mc_merkle_root(&r3, three, 3);
    mc_merkle_root(&r4, three, 4);
    assert_memory_not_equal(r3.b, r4.b, 32);
}

static void mc_expect_proof_fails(const mc_hash *leaf, const mc_merkle_proof *p, const mc_hash *root)
{
    assert_rc(mc_merkle_verify(leaf, p, root), MC_EINVAL);
}

static void test_merkle_proofs(void **state)
{
    (void)state;
    enum { MAXN = 33 };
    mc_hash leaves[MAXN];
    for (uint32_t i = 0; i < MAXN; i++) mc_leaf_n(&leaves[i], i);
    size_t checked_size = 0;
    for (size_t n = 1; n <= MAXN; n++) {
        mc_hash root;
        mc_merkle_root(&root, leaves, n);
        for (size_t i = 0; i < n; i++) {
            mc_merkle_proof p, q;
            assert_ok(mc_merkle_prove(&p, leaves, n, i));
            assert_true(p.index == i && p.size == n);
            assert_int_equal(p.depth, mc_ref_path_len(i, n));
            assert_ok(mc_merkle_verify(&leaves[i], &p, &root));

            /* another leaf, another root */
            mc_hash bad = leaves[i];
            bad.b[7] ^= 1;
            mc_expect_proof_fails(&bad, &p, &root);
            bad = root;
            bad.b[0] ^= 1;
            mc_expect_proof_fails(&leaves[i], &p, &bad);
            /* every other index of the same tree */
            for (size_t j = 0; j < n + 2; j++) {
                if (j == i) continue;
                q = p;
                q.index = j;
                mc_expect_proof_fails(&leaves[i], &q, &root);
                if (j < n) mc_expect_proof_fails(&leaves[j], &q, &root);
            }
            /* another size: a different path shape must fail; a size whose path has the same
             * shape recomputes this same root, which is why a root is only ever trusted
             * together with its size (a header carries ntx beside tx_root) */
            for (size_t m = 1; m <= MAXN + 1; m++) {
                if (m == n) continue;
                q = p;
                q.size = m;
                if (i >= m || mc_ref_path_len(i, m) != p.depth) {
                    mc_expect_proof_fails(&leaves[i], &q, &root);
                    checked_size++;
                }
            }
            q = p;
            q.size = 0;
            mc_expect_proof_fails(&leaves[i], &q, &root);
            q.size = UINT64_MAX;
            mc_expect_proof_fails(&leaves[i], &q, &root);
            /* a flipped byte anywhere in the path */
            for (uint32_t d = 0; d < p.depth; d++)
                for (int byte = 0; byte < 32; byte += 31) {
                    q = p;
                    q.path[d].b[byte] ^= 0x40;
                    mc_expect_proof_fails(&leaves[i], &q, &root);
                }
            /* an extra or a missing path element */
            if (p.depth < MC_MAX_PROOF_DEPTH) {
                q = p;
                mc_random(q.path[q.depth].b, 32);
                q.depth++;
                mc_expect_proof_fails(&leaves[i], &q, &root);
                q.path[q.depth - 1] = root;
                mc_expect_proof_fails(&leaves[i], &q, &root);
            }
            if (p.depth > 0) {
                q = p;
                q.depth--;
                mc_expect_proof_fails(&leaves[i], &q, &root);
                /* missing the first element instead of the last */
                memmove(q.path, p.path + 1, q.depth * sizeof q.path[0]);
                mc_expect_proof_fails(&leaves[i], &q, &root);
            }
            q = p;
            q.depth = MC_MAX_PROOF_DEPTH + 1;
            mc_expect_proof_fails(&leaves[i], &q, &root);
        }
    }
    assert_true(checked_size > 10000);

    /* bad arguments to prove */
    mc_merkle_proof p;
    memset(&p, 0xaa, sizeof p);
    assert_rc(mc_merkle_prove(&p, leaves, 5, 5), MC_EINVAL);
    assert_int_equal(p.depth, 0);
    assert_true(p.size == 0);
    assert_rc(mc_merkle_prove(&p, leaves, 0, 0), MC_EINVAL);
    assert_rc(mc_merkle_prove(&p, NULL, 0, 0), MC_EINVAL);

    /* a large tree */
    enum { BIG = 1000 };
    mc_hash *big = calloc(BIG, sizeof *big);
    assert_non_null(big);
    for (uint32_t i = 0; i < BIG; i++) mc_leaf_n(&big[i], i);
    mc_hash root;
    mc_merkle_root(&root, big, BIG);
    static const size_t idx[] = {0, 1, 511, 512, 767, 998, 999};
    for (size_t k = 0; k < MC_ARRAY_LEN(idx); k++) {
        assert_ok(mc_merkle_prove(&p, big, BIG, idx[k]));
        assert_ok(mc_merkle_verify(&big[idx[k]], &p, &root));
        assert_int_equal(p.depth, mc_ref_path_len(idx[k], BIG));
    }
    free(big);
}

static void test_request_digest(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "chain.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "request", &it));) {
        mc_hash chain, body, want, got, other;
        mc_id signer;
        uint8_t nonce[MC_REQ_NONCE_BYTES];
        char method[16], path[64];
        mc_test_vec_fixed(v, "chain", chain.b, 32);
        mc_test_vec_fixed(v, "signer", signer.b, 32);
        mc_test_vec_fixed(v, "nonce", nonce, sizeof nonce);
        mc_test_vec_fixed(v, "bodyhash", body.b, 32);
        mc_test_vec_fixed(v, "digest", want.b, 32);
        mc_test_vec_text(v, "method", method, sizeof method);
        mc_test_vec_text(v, "path", path, sizeof path);
        uint64_t t = mc_test_vec_u64(v, "time");
        mc_request_digest(&got, &chain, &signer, t, nonce, method, path, &body);
        assert_memory_equal(got.b, want.b, 32);
        /* each input is bound */
        mc_request_digest(&other, &chain, &signer, t + 1, nonce, method, path, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        mc_request_digest(&other, &chain, &signer, t, nonce, "GET", path, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        /* the length prefixes keep method and path apart */
        mc_request_digest(&other, &chain, &signer, t, nonce, "POST/", path + 1, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        nonce[15] ^= 1;
        mc_request_digest(&other, &chain, &signer, t, nonce, method, path, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        seen++;
    }
    assert_int_equal(seen, 1);
    mc_test_vec_free(&f);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_id_from_pk),
        cmocka_unit_test(test_attrs),
        cmocka_unit_test(test_tx_vectors),
        cmocka_unit_test(test_tx_roundtrip),
        cmocka_unit_test(test_tx_every_byte),
        cmocka_unit_test(test_tx_bad_input),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_body_register),
        cmocka_unit_test(test_body_rotate_revoke),
        cmocka_unit_test(test_genesis_vector),
        cmocka_unit_test(test_genesis_invalid),
        cmocka_unit_test(test_batch_roundtrip),
        cmocka_unit_test(test_batch_bad),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_merkle_vectors),
        cmocka_unit_test(test_merkle_roots_reference),
        cmocka_unit_test(test_merkle_proofs),
        cmocka_unit_test(test_request_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
