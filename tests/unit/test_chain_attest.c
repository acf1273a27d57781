/*
 * chain, part 4: attestations (a validator's signature over one header) and the quorum that
 * makes a certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"
#include "testutil.h"

MC_DECODER(mc_dec_attest, mc_attest, mc_attest_decode)

static void mc_fill(mc_hash *h, uint8_t v)
{
    memset(h->b, v, 32);
}

/* The digest is the documented tagged hash (docs/format.md), computed independently. */
static void test_attest_digest_vector(void **state)
{
    mc_hash chain, hh, d, want;
    mc_fill(&chain, 0x11);
    mc_fill(&hh, 0x22);
    mc_attest_digest(&d, &chain, 0x0102030405060708ull, &hh);
    mc_test_unhex(want.b, 32, "0f8f859057f11e654977faf4117c7182b64e9ed6485fdf443c81ae661e8ec217");
    assert_memory_equal(d.b, want.b, 32);
    /* every input moves it */
    mc_hash other;
    mc_attest_digest(&other, &chain, 0x0102030405060709ull, &hh);
    assert_memory_not_equal(d.b, other.b, 32);
    hh.b[31] ^= 1;
    mc_attest_digest(&other, &chain, 0x0102030405060708ull, &hh);
    assert_memory_not_equal(d.b, other.b, 32);
    hh.b[31] ^= 1;
    chain.b[0] ^= 1;
    mc_attest_digest(&other, &chain, 0x0102030405060708ull, &hh);
    assert_memory_not_equal(d.b, other.b, 32);
}

/* The checked-in vector (tests/vectors/chain.txt, made by make_vectors.py from RFC 8032 key 3):
 * digest, signature and the 169 bytes, byte for byte. */
static void test_attest_vector(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "chain.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "attest", &it));) {
        mc_hash chain, hh, digest, want_digest;
        mc_sign_pk pk;
        mc_sign_sk sk;
        mc_id want_id;
        mc_sig want_sig;
        uint8_t want[MC_ATTEST_BYTES];
        mc_test_vec_fixed(v, "chain", chain.b, 32);
        uint64_t height = mc_test_vec_u64(v, "height");
        mc_test_vec_fixed(v, "hash", hh.b, 32);
        mc_test_vec_fixed(v, "pk", pk.b, 32);
        mc_test_vec_fixed(v, "sk", sk.b, 32); /* libsodium layout: seed | public key */
        memcpy(sk.b + 32, pk.b, 32);
        mc_test_vec_fixed(v, "validator", want_id.b, 32);
        mc_test_vec_fixed(v, "digest", want_digest.b, 32);
        mc_test_vec_fixed(v, "sig", want_sig.b, 64);
        mc_test_vec_fixed(v, "bytes", want, sizeof want);
        mc_attest_digest(&digest, &chain, height, &hh);
        assert_memory_equal(digest.b, want_digest.b, 32);
        mc_attest a, d;
        mc_attest_sign(&a, &chain, height, &hh, &pk, &sk);
        assert_memory_equal(a.validator.b, want_id.b, 32);
        assert_memory_equal(a.sig.b, want_sig.b, 64);
        mc_buf b;
        mc_buf_init(&b, 1024);
        assert_ok(mc_attest_encode(&b, &a));
        assert_int_equal(b.n, MC_ATTEST_BYTES);
        assert_memory_equal(b.p, want, sizeof want);
        assert_ok(mc_attest_decode(&d, want, sizeof want));
        assert_ok(mc_attest_verify(&d, &chain, height, &hh, &pk));
        mc_buf_free(&b);
        seen++;
    }
    assert_true(seen >= 1);
    mc_test_vec_free(&f);
}

static void test_attest_roundtrip(void **state)
{
    mc_test_key k;
    mc_test_key_fixed(&k, 0);
    mc_hash chain, hh;
    mc_fill(&chain, 0x33);
    mc_fill(&hh, 0x44);
    mc_attest a, b;
    mc_attest_sign(&a, &chain, 7, &hh, &k.pk, &k.sk);
    assert_memory_equal(a.validator.b, k.id.b, 32);
    assert_ok(mc_attest_verify(&a, &chain, 7, &hh, &k.pk));

    mc_buf buf;
    mc_buf_init(&buf, 1024);
    assert_ok(mc_attest_encode(&buf, &a));
    assert_int_equal(buf.n, MC_ATTEST_BYTES);
    /* canonical form: version | chain | height | header hash | validator | signature */
    assert_int_equal(buf.p[0], MC_FORMAT_VERSION);
    assert_memory_equal(buf.p + 1, chain.b, 32);
    static const uint8_t h7[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    assert_memory_equal(buf.p + 33, h7, 8);
    assert_memory_equal(buf.p + 41, hh.b, 32);
    assert_memory_equal(buf.p + 73, k.id.b, 32);
    assert_memory_equal(buf.p + 105, a.sig.b, 64);
    assert_ok(mc_attest_decode(&b, buf.p, buf.n));
    assert_memory_equal(&a, &b, sizeof a);
    assert_ok(mc_attest_verify(&b, &chain, 7, &hh, &k.pk));
    /* Ed25519 is deterministic: signing again gives the same bytes */
    mc_attest c;
    mc_attest_sign(&c, &chain, 7, &hh, &k.pk, &k.sk);
    assert_memory_equal(c.sig.b, a.sig.b, 64);
    mc_check_exact(mc_dec_attest, buf.p, buf.n);

    /* another version, and the decoder's bad arguments */
    buf.p[0] = MC_FORMAT_VERSION + 1;
    assert_rc(mc_attest_decode(&b, buf.p, buf.n), MC_EINVAL);
    assert_rc(mc_attest_decode(&b, NULL, MC_ATTEST_BYTES), MC_EINVAL);
    mc_buf_free(&buf);
}

static void test_attest_refused(void **state)
{
    mc_test_key k, other;
    mc_test_key_fixed(&k, 0);
    mc_test_key_fixed(&other, 1);
    mc_hash chain, hh, chain2, hh2;
    mc_fill(&chain, 0x33);
    mc_fill(&hh, 0x44);
    chain2 = chain;
    chain2.b[5] ^= 0x80;
    hh2 = hh;
    hh2.b[0] ^= 1;
    mc_attest a;
    mc_attest_sign(&a, &chain, 7, &hh, &k.pk, &k.sk);
    assert_rc(mc_attest_verify(&a, &chain, 8, &hh, &k.pk), MC_EBADSIG);     /* wrong height */
    assert_rc(mc_attest_verify(&a, &chain, 7, &hh2, &k.pk), MC_EBADSIG);    /* wrong header */
    assert_rc(mc_attest_verify(&a, &chain2, 7, &hh, &k.pk), MC_EBADSIG);    /* wrong chain */
    assert_rc(mc_attest_verify(&a, &chain, 7, &hh, &other.pk), MC_EBADSIG); /* wrong key */
    /* a forged claim: the fields say (8, hh2) but the signature is over (7, hh) */
    mc_attest f = a;
    f.height = 8;
    assert_rc(mc_attest_verify(&f, &chain, 8, &hh, &k.pk), MC_EBADSIG);
    f = a;
    f.header_hash = hh2;
    assert_rc(mc_attest_verify(&f, &chain, 7, &hh2, &k.pk), MC_EBADSIG);
    /* another validator's id on this signature */
    f = a;
    f.validator = other.id;
    assert_rc(mc_attest_verify(&f, &chain, 7, &hh, &other.pk), MC_EBADSIG);
    /* one bit of the signature */
    f = a;
    f.sig.b[10] ^= 4;
    assert_rc(mc_attest_verify(&f, &chain, 7, &hh, &k.pk), MC_EBADSIG);
    assert_rc(mc_attest_verify(NULL, &chain, 7, &hh, &k.pk), MC_EINVAL);
    assert_rc(mc_attest_verify(&a, &chain, 7, &hh, NULL), MC_EINVAL);
}

static void test_quorum(void **state)
{
    static const uint32_t want[][2] = {{0, 1}, {1, 1}, {2, 2}, {3, 2},  {4, 3},
                                       {5, 4}, {6, 4}, {7, 5}, {10, 7}, {64, 43}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(mc_quorum(want[i][0]), want[i][1]);
    /* the defining properties for every size up to the cap */
    for (uint32_t n = 1; n <= MC_MAX_VALIDATORS; n++) {
        uint32_t f = (n - 1) / 3, q = mc_quorum(n);
        assert_true(2 * q > n + f);        /* two quorums share an honest validator */
        assert_true(2 * (q - 1) <= n + f); /* and it is the smallest such */
        assert_true(q <= n - f);           /* f silent validators cannot stop certification */
        if (n % 3 == 1) assert_int_equal(q, 2 * f + 1);
    }
}

/* n validators with fixed keys, sorted by id, and a certificate signed by the first k of them. */
static void mc_make_cert(mc_cert *c, mc_test_key *keys, mc_sign_pk *pks, uint32_t n, uint32_t k,
                         const mc_hash *chain, uint64_t height, const mc_hash *hh)
{
    for (uint32_t i = 0; i < n; i++) mc_test_key_fixed(&keys[i], i);
    /* sort by id (insertion sort, n is small) */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && memcmp(keys[j - 1].id.b, keys[j].id.b, 32) > 0; j--) {
            mc_test_key t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    for (uint32_t i = 0; i < n; i++) pks[i] = keys[i].pk;
    memset(c, 0, sizeof *c);
    c->height = height;
    c->header_hash = *hh;
    for (uint32_t i = 0; i < k; i++) {
        mc_attest a;
        mc_attest_sign(&a, chain, height, hh, &keys[i].pk, &keys[i].sk);
        c->signers[i] = a.validator;
        c->sigs[i] = a.sig;
    }
    c->nsigs = k;
}

static void test_cert_count(void **state)
{
    mc_test_key keys[4];
    mc_sign_pk pks[4];
    mc_hash chain, hh, other;
    mc_fill(&chain, 0x55);
    mc_fill(&hh, 0x66);
    mc_fill(&other, 0x67);
    mc_cert c;
    uint32_t nvalid;
    for (uint32_t k = 0; k <= 4; k++) {
        mc_make_cert(&c, keys, pks, 4, k, &chain, 9, &hh);
        assert_ok(mc_cert_count(&c, &chain, pks, 4, &nvalid));
        assert_int_equal(nvalid, k);
        assert_rc(mc_cert_check(&c, &chain, pks, 4), k >= 3 ? MC_OK : MC_EBADSIG);
    }
    /* single validator: its own signature certifies */
    mc_make_cert(&c, keys, pks, 1, 1, &chain, 1, &hh);
    assert_ok(mc_cert_check(&c, &chain, pks, 1));

    mc_make_cert(&c, keys, pks, 4, 3, &chain, 9, &hh);
    /* the same signatures for another header, height or chain count nothing */
    mc_cert bad = c;
    bad.header_hash = other;
    assert_ok(mc_cert_count(&bad, &chain, pks, 4, &nvalid));
    assert_int_equal(nvalid, 0);
    bad = c;
    bad.height = 10;
    assert_rc(mc_cert_check(&bad, &chain, pks, 4), MC_EBADSIG);
    assert_rc(mc_cert_check(&c, &other, pks, 4), MC_EBADSIG);
    /* a signer outside the validator set counts nothing (only 3 of the 4 are validators) */
    assert_ok(mc_cert_count(&c, &chain, pks + 1, 3, &nvalid));
    assert_int_equal(nvalid, 2);
    /* one bad signature: 2 of 4 left, not certified */
    bad = c;
    bad.sigs[1].b[0] ^= 1;
    assert_ok(mc_cert_count(&bad, &chain, pks, 4, &nvalid));
    assert_int_equal(nvalid, 2);
    assert_rc(mc_cert_check(&bad, &chain, pks, 4), MC_EBADSIG);
    /* one validator twice does not count twice: refused outright */
    bad = c;
    bad.signers[2] = bad.signers[1];
    bad.sigs[2] = bad.sigs[1];
    assert_rc(mc_cert_count(&bad, &chain, pks, 4, &nvalid), MC_EINVAL);
    assert_int_equal(nvalid, 0);
    /* signers out of order */
    bad = c;
    bad.signers[0] = c.signers[1];
    bad.signers[1] = c.signers[0];
    assert_rc(mc_cert_check(&bad, &chain, pks, 4), MC_EINVAL);
    /* bad arguments */
    bad = c;
    bad.nsigs = MC_MAX_CERT_SIGS + 1;
    assert_rc(mc_cert_count(&bad, &chain, pks, 4, &nvalid), MC_EINVAL);
    assert_rc(mc_cert_count(NULL, &chain, pks, 4, &nvalid), MC_EINVAL);
    assert_rc(mc_cert_count(&c, &chain, NULL, 4, &nvalid), MC_EINVAL);
    assert_rc(mc_cert_count(&c, &chain, pks, 4, NULL), MC_EINVAL);
    assert_rc(mc_cert_check(&c, &chain, pks, 0), MC_EBADSIG);
}

/* Building a certificate from stored words: only this header's, only by the set's keys. */
static void test_cert_add(void **state)
{
    (void)state;
    mc_test_key k[5];
    mc_valset vs = {.from_height = 1, .n = 4};
    for (uint32_t i = 0; i < 5; i++) mc_test_key_fixed(&k[i], i);
    for (uint32_t i = 0; i < 4; i++) vs.pks[i] = k[i].pk;
    mc_cert c;
    memset(&c, 0, sizeof c);
    mc_fill(&c.header_hash, 0x42);
    mc_hash other;
    mc_fill(&other, 0x43);
    mc_sig sig;
    memset(sig.b, 7, 64);
    assert_ok(mc_cert_add(&c, &vs, &k[1].id, &c.header_hash, &sig));
    assert_ok(mc_cert_add(&c, &vs, &k[2].id, &other, &sig));         /* another header: skipped */
    assert_ok(mc_cert_add(&c, &vs, &k[4].id, &c.header_hash, &sig)); /* not in the set: skipped */
    assert_int_equal(c.nsigs, 1);
    assert_memory_equal(c.signers[0].b, k[1].id.b, 32);
    assert_memory_equal(c.sigs[0].b, sig.b, 64);
    c.nsigs = MC_MAX_CERT_SIGS;
    assert_rc(mc_cert_add(&c, &vs, &k[3].id, &c.header_hash, &sig), MC_ETOOBIG);
    assert_ok(mc_cert_add(&c, &vs, &k[3].id, &other, &sig)); /* skipped before the cap matters */
    assert_int_equal(c.nsigs, MC_MAX_CERT_SIGS);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attest_digest_vector),
        cmocka_unit_test(test_attest_vector),
        cmocka_unit_test(test_attest_roundtrip),
        cmocka_unit_test(test_attest_refused),
        cmocka_unit_test(test_quorum),
        cmocka_unit_test(test_cert_count),
        cmocka_unit_test(test_cert_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
