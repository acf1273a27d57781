/*
 * chain, part 1: names, ids, attributes, transactions, identities and bodies.
 * Genesis, batches, certificates, headers and blocks: test_chain_block.c. Merkle trees,
 * proofs and request digests: test_chain_merkle.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"
#include "testutil.h"

/* Decoders for the truncation and trailing-byte sweeps (mc_check_exact, testutil.h). */
MC_DECODER(mc_dec_tx, mc_tx, mc_tx_decode)
MC_DECODER(mc_dec_identity, mc_identity, mc_identity_decode)
MC_DECODER(mc_dec_register, mc_body_register, mc_body_register_decode)
MC_DECODER(mc_dec_rotate, mc_body_rotate, mc_body_rotate_decode)
MC_DECODER(mc_dec_revoke, mc_body_revoke, mc_body_revoke_decode)

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

    static const char *const bad[] = {"noequals", "=v",      "Role=x", "a b=c",   "k=v,", ",k=v",
                                      "k=v,,j=w", "k=v,k=w", "k=\x01", "k=a\x7f", "k/=v", "k=v,j"};
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
#define MC_TX_OFF_CHAIN   1
#define MC_TX_OFF_SIGNER  33
#define MC_TX_OFF_NONCE   65
#define MC_TX_OFF_KIND    73
#define MC_TX_OFF_BODYLEN 75
#define MC_TX_OFF_BODY    79

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
    assert_rc(mc_tx_build(&tx, NULL, &chain, &org.id, 1, 1, big, MC_MAX_BODY_BYTES + 1, &org.sk), MC_ETOOBIG);
    assert_int_equal(tx.n, before); /* nothing appended */
    assert_rc(mc_tx_decode(&t, big, MC_MAX_TX_BYTES + 1), MC_ETOOBIG);
    free(big);

    /* an output buffer too small for the whole transaction is left as it was */
    mc_buf small;
    mc_buf_init(&small, 100);
    assert_ok(mc_buf_append(&small, "ab", 2));
    assert_rc(mc_tx_build(&small, &id, &chain, &org.id, 1, 1, (const uint8_t *)"x", 1, &org.sk), MC_ETOOBIG);
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
    } bad[] = {{0, MC_ID_ACTIVE, "a", "b"},
               {7, MC_ID_ACTIVE, "a", "b"},
               {255, MC_ID_ACTIVE, "a", "b"},
               {MC_ID_ORG, 0, "a", "b"},
               {MC_ID_ORG, 3, "a", "b"},
               {MC_ID_ORG, MC_ID_ACTIVE, "b", "a"},
               {MC_ID_ORG, MC_ID_ACTIVE, "a", "a"},
               {MC_ID_ORG, MC_ID_ACTIVE, "A", "b"},
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

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),         cmocka_unit_test(test_id_from_pk),
        cmocka_unit_test(test_attrs),         cmocka_unit_test(test_tx_vectors),
        cmocka_unit_test(test_tx_roundtrip),  cmocka_unit_test(test_tx_every_byte),
        cmocka_unit_test(test_tx_bad_input),  cmocka_unit_test(test_identity),
        cmocka_unit_test(test_body_register), cmocka_unit_test(test_body_rotate_revoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
