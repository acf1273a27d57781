/* crypto: hashes, HMAC, Ed25519, sealed boxes, AEAD, key files, the signature cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "medchain/crypto.h"
#include "testutil.h"

static void test_init_idempotent(void **state)
{
    (void)state;
    assert_ok(mc_crypto_init());
    assert_ok(mc_crypto_init());
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "hashes.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    uint8_t *msg = malloc(1 << 16);
    assert_non_null(msg);
    for (size_t it = 0; (v = mc_test_vec_each(&f, "sha256", &it));) {
        size_t n = mc_test_vec_hex(v, "msg", msg, 1 << 16);
        mc_hash want, got;
        mc_test_vec_fixed(v, "hash", want.b, 32);
        mc_sha256(&got, msg, n);
        assert_memory_equal(got.b, want.b, 32);
        /* incremental, split at every point of short inputs and a few of long ones */
        for (size_t cut = 0; cut <= n; cut += n < 70 ? 1 : 97) {
            mc_sha256_ctx c;
            mc_sha256_init(&c);
            mc_sha256_update(&c, msg, cut);
            mc_sha256_update(&c, msg + cut, 0);
            mc_sha256_update(&c, msg + cut, n - cut);
            memset(&got, 0, sizeof got);
            mc_sha256_final(&c, &got);
            assert_memory_equal(got.b, want.b, 32);
        }
        seen++;
    }
    assert_true(seen >= 5);
    free(msg);
    mc_test_vec_free(&f);
}

static void test_tagged_hash_vectors(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "hashes.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "tagged", &it));) {
        char tag[64];
        uint8_t msg[256];
        mc_test_vec_text(v, "tag", tag, sizeof tag);
        size_t n = mc_test_vec_hex(v, "msg", msg, sizeof msg);
        mc_hash want, got;
        mc_test_vec_fixed(v, "hash", want.b, 32);
        mc_hash_tagged(&got, tag, msg, n);
        assert_memory_equal(got.b, want.b, 32);
        mc_sha256_ctx c;
        mc_hash_tagged_init(&c, tag);
        mc_sha256_update(&c, msg, n / 2);
        mc_sha256_update(&c, msg + n / 2, n - n / 2);
        mc_sha256_final(&c, &got);
        assert_memory_equal(got.b, want.b, 32);
        /* the tag separates domains: another tag, another hash */
        mc_hash_tagged(&got, "medchain/other", msg, n);
        assert_memory_not_equal(got.b, want.b, 32);
        seen++;
    }
    assert_true(seen >= 3);
    /* the 0x00 separator: tag "ab" + data "c" differs from tag "a" + data "bc" */
    mc_hash a, b;
    mc_hash_tagged(&a, "ab", "c", 1);
    mc_hash_tagged(&b, "a", "bc", 2);
    assert_memory_not_equal(a.b, b.b, 32);
    mc_test_vec_free(&f);
}

static void test_hmac_vectors(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "hashes.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "hmac", &it));) {
        uint8_t key[32], msg[512];
        mc_test_vec_fixed(v, "key", key, 32);
        size_t n = mc_test_vec_hex(v, "msg", msg, sizeof msg);
        mc_hash want, got;
        mc_test_vec_fixed(v, "mac", want.b, 32);
        mc_hmac_sha256(&got, key, msg, n);
        assert_memory_equal(got.b, want.b, 32);
        key[31] ^= 1;
        mc_hmac_sha256(&got, key, msg, n);
        assert_memory_not_equal(got.b, want.b, 32);
        seen++;
    }
    assert_true(seen >= 3);
    mc_test_vec_free(&f);
}

static void test_random_wipe_ct(void **state)
{
    (void)state;
    uint8_t a[64], b[64], z[64] = {0};
    mc_random(a, sizeof a);
    mc_random(b, sizeof b);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, z, sizeof a);
    mc_random(a, 0);
    assert_int_equal(mc_ct_equal(a, a, sizeof a), 1);
    memcpy(b, a, sizeof a);
    assert_int_equal(mc_ct_equal(a, b, sizeof a), 1);
    for (size_t i = 0; i < sizeof a; i += 9) {
        b[i] ^= 0x10;
        assert_int_equal(mc_ct_equal(a, b, sizeof a), 0);
        b[i] ^= 0x10;
    }
    assert_int_equal(mc_ct_equal(a, z, 0), 1);
    mc_wipe(a, sizeof a);
    assert_memory_equal(a, z, sizeof a);
}

/* The RFC 8032 TEST 1-3 vectors: signing with seed || pk gives the RFC's signature. */
/* RFC 4648 section 10 vectors, and text that is not base64. */
static void test_base64(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char out[16];
        uint8_t back[16];
        size_t n = 99;
        assert_int_equal(mc_base64_len(strlen(plain[i])), strlen(b64[i]));
        mc_base64_encode(out, plain[i], strlen(plain[i]));
        assert_string_equal(out, b64[i]);
        assert_ok(mc_base64_decode(back, sizeof back, &n, b64[i], strlen(b64[i])));
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(back, plain[i], n);
    }
    uint8_t o[16];
    size_t n = 99;
    assert_rc(mc_base64_decode(o, sizeof o, &n, "Zm9", 3), MC_EINVAL); /* unpadded */
    assert_int_equal(n, 0);
    assert_rc(mc_base64_decode(o, sizeof o, &n, "Zm9v!", 5), MC_EINVAL);
    assert_rc(mc_base64_decode(o, sizeof o, &n, "Zm 9v", 5), MC_EINVAL); /* no whitespace */
    assert_rc(mc_base64_decode(o, 5, &n, "Zm9vYmFy", 8), MC_ETOOBIG);
    assert_rc(mc_base64_decode(o, 3, &n, "Zm9vYg==", 8), MC_ETOOBIG);
    assert_ok(mc_base64_decode(o, 4, &n, "Zm9vYg==", 8));
    assert_int_equal(n, 4);
}

static void test_ed25519_rfc8032(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "ed25519.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "ed25519", &it));) {
        mc_sign_sk sk;
        mc_sign_pk pk, pk2;
        mc_sig want, got;
        uint8_t msg[64];
        mc_test_vec_fixed(v, "sk", sk.b, 32);
        mc_test_vec_fixed(v, "pk", pk.b, 32);
        memcpy(sk.b + 32, pk.b, 32);
        size_t n = mc_test_vec_hex(v, "msg", msg, sizeof msg);
        mc_test_vec_fixed(v, "sig", want.b, 64);
        mc_sign_sk_to_pk(&pk2, &sk);
        assert_memory_equal(pk2.b, pk.b, 32);
        mc_sign(&got, msg, n, &sk);
        assert_memory_equal(got.b, want.b, 64);
        assert_ok(mc_verify(&want, msg, n, &pk));
        /* any changed bit of signature, message or key fails */
        for (size_t j = 0; j < 64; j += 7) {
            got = want;
            got.b[j] ^= 0x01;
            assert_rc(mc_verify(&got, msg, n, &pk), MC_EBADSIG);
        }
        uint8_t longer[65];
        memcpy(longer, msg, n);
        longer[n] = 0;
        assert_rc(mc_verify(&want, longer, n + 1, &pk), MC_EBADSIG);
        if (n) {
            msg[0] ^= 0x80;
            assert_rc(mc_verify(&want, msg, n, &pk), MC_EBADSIG);
        }
        pk2 = pk;
        pk2.b[0] ^= 0x02;
        assert_rc(mc_verify(&want, msg, n, &pk2), MC_EBADSIG);
        seen++;
    }
    assert_int_equal(seen, 3);
    mc_test_vec_free(&f);
}

/* The group order L, little-endian: adding it to S gives a second, non-canonical encoding. */
static const uint8_t mc_ed25519_l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                         0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

static void test_ed25519_keys_and_malleability(void **state)
{
    (void)state;
    mc_sign_pk pk, pk2;
    mc_sign_sk sk;
    mc_sign_keypair(&pk, &sk);
    mc_sign_sk_to_pk(&pk2, &sk);
    assert_memory_equal(pk.b, pk2.b, 32);
    mc_sign_pk other;
    mc_sign_sk osk;
    mc_sign_keypair(&other, &osk);
    assert_memory_not_equal(pk.b, other.b, 32);

    const char *m = "medical record anchor";
    mc_sig sig, sig2;
    mc_sign(&sig, m, strlen(m), &sk);
    mc_sign(&sig2, m, strlen(m), &sk);
    assert_memory_equal(sig.b, sig2.b, 64); /* deterministic */
    assert_ok(mc_verify(&sig, m, strlen(m), &pk));
    assert_rc(mc_verify(&sig, m, strlen(m), &other), MC_EBADSIG);
    mc_sign(&sig2, "", 0, &sk);
    assert_ok(mc_verify(&sig2, "", 0, &pk));
    assert_rc(mc_verify(&sig2, m, strlen(m), &pk), MC_EBADSIG);

    /* S + L verifies mathematically but is not canonical: refused */
    mc_sig mall = sig;
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned s = (unsigned)mall.b[32 + i] + mc_ed25519_l[i] + carry;
        mall.b[32 + i] = (uint8_t)s;
        carry = s >> 8;
    }
    assert_rc(mc_verify(&mall, m, strlen(m), &pk), MC_EBADSIG);

    /* small-order keys are refused even with a signature that would pass for them */
    mc_sign_pk zero = {{0}}, ident = {{1}};
    mc_sig blank = {{0}};
    blank.b[0] = 1; /* R = identity, S = 0 */
    assert_rc(mc_verify(&blank, m, strlen(m), &ident), MC_EBADSIG);
    assert_rc(mc_verify(&blank, m, strlen(m), &zero), MC_EBADSIG);
    assert_rc(mc_verify(&sig, m, strlen(m), &zero), MC_EBADSIG);
}

/* The fixed test keys of fixture.c agree with tests/vectors/keys.txt and actually sign. */
static void test_fixed_keys(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "keys.txt");
    assert_int_equal(f.n, MC_TEST_FIXED_KEYS);
    const mc_test_vec *v;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "key", &it));) {
        uint8_t seed[32], pk[32], seed2[32], pk2[32];
        unsigned idx = (unsigned)mc_test_vec_u64(v, "i");
        mc_test_vec_fixed(v, "seed", seed, 32);
        mc_test_vec_fixed(v, "pk", pk, 32);
        mc_test_key_fixed_raw(idx, seed2, pk2);
        assert_memory_equal(seed, seed2, 32);
        assert_memory_equal(pk, pk2, 32);
        mc_test_key k;
        mc_test_key_fixed(&k, idx);
        mc_sig sig;
        mc_sign(&sig, "x", 1, &k.sk);
        assert_ok(mc_verify(&sig, "x", 1, &k.pk));
        mc_box_pk bpk;
        mc_box_sk_to_pk(&bpk, &k.box_sk);
        assert_memory_equal(bpk.b, k.box_pk.b, 32);
    }
    mc_test_vec_free(&f);
}

static void test_verify_many(void **state)
{
    (void)state;
    enum { N = 200 };
    mc_sign_pk pk[4];
    mc_sign_sk sk[4];
    for (int i = 0; i < 4; i++) mc_sign_keypair(&pk[i], &sk[i]);
    static mc_sig sigs[N];
    static uint8_t msgs[N][32];
    static mc_verify_item items[N];
    size_t bad = 0;
    for (int i = 0; i < N; i++) {
        mc_random(msgs[i], 32);
        mc_sign(&sigs[i], msgs[i], 32, &sk[i % 4]);
        if (i % 7 == 3) { /* a wrong signature */
            sigs[i].b[i % 64] ^= 0x04;
            bad++;
        }
    }
    unsigned threads[] = {0, 1, 2, 4, 64};
    for (size_t t = 0; t < MC_ARRAY_LEN(threads); t++) {
        for (size_t n = 0; n <= N; n += (n < 40 ? 1 : 80)) {
            size_t want = 0;
            for (size_t i = 0; i < n; i++) {
                items[i] = (mc_verify_item){&sigs[i], &pk[i % 4], msgs[i], 32, -1};
                if (i % 7 == 3) want++;
            }
            assert_int_equal(mc_verify_many(items, n, threads[t]), want);
            for (size_t i = 0; i < n; i++) assert_int_equal(items[i].ok, i % 7 != 3);
        }
    }
    /* a good signature under the wrong key fails too */
    items[0] = (mc_verify_item){&sigs[0], &pk[1], msgs[0], 32, 1};
    assert_int_equal(mc_verify_many(items, 1, 1), 1);
    assert_int_equal(items[0].ok, 0);
    assert_int_equal(bad, (N + 3) / 7);
}

static void test_box_seal(void **state)
{
    (void)state;
    mc_box_pk pk, pk2, opk;
    mc_box_sk sk, osk;
    mc_box_keypair(&pk, &sk);
    mc_box_keypair(&opk, &osk);
    mc_box_sk_to_pk(&pk2, &sk);
    assert_memory_equal(pk.b, pk2.b, 32);
    assert_memory_not_equal(pk.b, opk.b, 32);

    uint8_t key[32], c[32 + MC_SEAL_OVERHEAD], c2[32 + MC_SEAL_OVERHEAD], out[32];
    mc_random(key, sizeof key);
    assert_ok(mc_seal(c, key, sizeof key, &pk));
    assert_ok(mc_seal(c2, key, sizeof key, &pk));
    assert_memory_not_equal(c, c2, sizeof c); /* fresh ephemeral key each time */
    memset(out, 0, sizeof out);
    assert_ok(mc_seal_open(out, c, sizeof c, &pk, &sk));
    assert_memory_equal(out, key, sizeof key);
    assert_rc(mc_seal_open(out, c, sizeof c, &opk, &osk), MC_ECRYPTO); /* not for this key */
    assert_rc(mc_seal_open(out, c, sizeof c, &pk, &osk), MC_ECRYPTO);
    for (size_t i = 0; i < sizeof c; i += 5) { /* any altered byte */
        c[i] ^= 0x20;
        assert_rc(mc_seal_open(out, c, sizeof c, &pk, &sk), MC_ECRYPTO);
        c[i] ^= 0x20;
    }
    assert_rc(mc_seal_open(out, c, sizeof c - 1, &pk, &sk), MC_ECRYPTO); /* truncated */
    assert_rc(mc_seal_open(out, c, MC_SEAL_OVERHEAD - 1, &pk, &sk), MC_EINVAL);
    assert_rc(mc_seal_open(out, c, 0, &pk, &sk), MC_EINVAL);
    /* an empty message seals to exactly the overhead */
    uint8_t e[MC_SEAL_OVERHEAD];
    assert_ok(mc_seal(e, NULL, 0, &pk));
    assert_ok(mc_seal_open(out, e, sizeof e, &pk, &sk));
}

static void test_aead(void **state)
{
    (void)state;
    uint8_t key[MC_AEAD_KEYBYTES], nonce[MC_AEAD_NONCEBYTES];
    mc_random(key, sizeof key);
    mc_random(nonce, sizeof nonce);
    const char *m = "Observation: HbA1c 6.1%";
    const char *ad = "record-id|patient-id";
    size_t n = strlen(m), nad = strlen(ad);
    uint8_t c[64], out[64];
    mc_aead_encrypt(c, (const uint8_t *)m, n, (const uint8_t *)ad, nad, nonce, key);
    assert_memory_not_equal(c, m, n);
    assert_ok(mc_aead_decrypt(out, c, n + MC_AEAD_ABYTES, (const uint8_t *)ad, nad, nonce, key));
    assert_memory_equal(out, m, n);

    for (size_t i = 0; i < n + MC_AEAD_ABYTES; i++) { /* ciphertext and tag */
        c[i] ^= 0x01;
        assert_rc(mc_aead_decrypt(out, c, n + MC_AEAD_ABYTES, (const uint8_t *)ad, nad, nonce, key),
                  MC_ECRYPTO);
        c[i] ^= 0x01;
    }
    assert_rc(mc_aead_decrypt(out, c, n + MC_AEAD_ABYTES, (const uint8_t *)ad, nad - 1, nonce, key),
              MC_ECRYPTO);
    assert_rc(mc_aead_decrypt(out, c, n + MC_AEAD_ABYTES, NULL, 0, nonce, key), MC_ECRYPTO);
    nonce[0] ^= 1;
    assert_rc(mc_aead_decrypt(out, c, n + MC_AEAD_ABYTES, (const uint8_t *)ad, nad, nonce, key), MC_ECRYPTO);
    nonce[0] ^= 1;
    key[31] ^= 1;
    assert_rc(mc_aead_decrypt(out, c, n + MC_AEAD_ABYTES, (const uint8_t *)ad, nad, nonce, key), MC_ECRYPTO);
    key[31] ^= 1;
    assert_rc(mc_aead_decrypt(out, c, n + MC_AEAD_ABYTES - 1, (const uint8_t *)ad, nad, nonce, key),
              MC_ECRYPTO);
    assert_rc(mc_aead_decrypt(out, c, MC_AEAD_ABYTES - 1, (const uint8_t *)ad, nad, nonce, key), MC_EINVAL);
    /* empty plaintext: a bare tag that still authenticates the associated data */
    mc_aead_encrypt(c, NULL, 0, (const uint8_t *)ad, nad, nonce, key);
    assert_ok(mc_aead_decrypt(out, c, MC_AEAD_ABYTES, (const uint8_t *)ad, nad, nonce, key));
    assert_rc(mc_aead_decrypt(out, c, MC_AEAD_ABYTES, (const uint8_t *)"x", 1, nonce, key), MC_ECRYPTO);
}

/* Key file layout (src/crypto/keyfile.c): magic[6] | level | ops u64 | mem u64 | salt[16] |
 * nonce[24] | ciphertext(129) | tag(16). */
#define MC_KF_OPS   7
#define MC_KF_SALT  23
#define MC_KF_NONCE 39
#define MC_KF_CT    63
#define MC_KF_SIZE  (63 + 129 + 16)

static void mc_make_keys(mc_keys *k)
{
    mc_sign_pk pk;
    mc_box_pk bpk;
    mc_sign_keypair(&pk, &k->sign_sk);
    mc_box_keypair(&bpk, &k->box_sk);
    mc_random(k->id.b, 32);
    k->kind = 3;
}

static void test_keyfile_roundtrip(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_test_path(path, dir, "patient.key");
    mc_keys k, r;
    mc_make_keys(&k);
    assert_ok(mc_keyfile_write(path, &k, "correct horse battery staple", MC_KDF_TEST));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, MC_KF_SIZE);
    assert_ok(mc_keyfile_read(path, "correct horse battery staple", &r));
    assert_memory_equal(&r, &k, sizeof k);
    /* the secrets are not in the file in clear */
    mc_buf b;
    mc_buf_init(&b, 4096);
    assert_ok(mc_file_read(path, &b));
    assert_memory_equal(b.p, "MCKEY\x01", 6);
    assert_int_equal(b.p[6], MC_KDF_TEST);
    assert_null(memmem(b.p, b.n, k.sign_sk.b, 32));
    assert_null(memmem(b.p, b.n, k.box_sk.b, 32));
    assert_null(memmem(b.p, b.n, k.id.b, 32));
    mc_buf_free(&b);
    /* overwriting works; an empty passphrase is a passphrase */
    assert_ok(mc_keyfile_write(path, &k, "", MC_KDF_TEST));
    assert_ok(mc_keyfile_read(path, "", &r));
    assert_memory_equal(&r, &k, sizeof k);
    mc_wipe(&k, sizeof k);
    mc_test_rmtree(dir);
}

static void mc_expect_read_fails(const char *path, const char *pass, int want)
{
    mc_keys r, zero;
    memset(&r, 0xaa, sizeof r);
    memset(&zero, 0, sizeof zero);
    assert_rc(mc_keyfile_read(path, pass, &r), want);
    assert_memory_equal(&r, &zero, sizeof r); /* zeroed on failure */
}

static void test_keyfile_bad(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX], copy[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_test_path(path, dir, "k");
    mc_test_path(copy, dir, "copy");
    mc_keys k;
    mc_make_keys(&k);
    const char *pass = "pass phrase";

    assert_rc(mc_keyfile_write(path, &k, pass, 3), MC_EINVAL);
    assert_rc(mc_keyfile_write(path, &k, pass, -1), MC_EINVAL);
    assert_rc(mc_keyfile_write(NULL, &k, pass, MC_KDF_TEST), MC_EINVAL);
    assert_rc(mc_keyfile_write(path, NULL, pass, MC_KDF_TEST), MC_EINVAL);
    assert_rc(mc_keyfile_write(path, &k, NULL, MC_KDF_TEST), MC_EINVAL);
    char nodir[PATH_MAX];
    mc_test_path(nodir, dir, "no/such/k");
    assert_rc(mc_keyfile_write(nodir, &k, pass, MC_KDF_TEST), MC_EIO);

    mc_expect_read_fails(path, pass, MC_ENOTFOUND);
    assert_ok(mc_keyfile_write(path, &k, pass, MC_KDF_TEST));
    mc_expect_read_fails(path, "pass phrasE", MC_ECRYPTO);
    mc_expect_read_fails(path, "", MC_ECRYPTO);
    mc_expect_read_fails(path, NULL, MC_EINVAL);
    mc_expect_read_fails(NULL, pass, MC_EINVAL);
    mc_expect_read_fails(dir, pass, MC_EIO); /* a directory */

    mc_buf orig;
    mc_buf_init(&orig, 4096);
    assert_ok(mc_file_read(path, &orig));
    assert_int_equal(orig.n, MC_KF_SIZE);

    /* every byte matters: the header is associated data, the rest is authenticated */
    for (size_t i = 0; i < orig.n; i++) {
        mc_test_file_write(copy, orig.p, orig.n);
        mc_test_file_xor(copy, i, 0x01);
        mc_keys r;
        int rc = mc_keyfile_read(copy, pass, &r);
        if (rc == MC_OK) print_error("altered byte %zu was accepted\n", i);
        if (i < 6) {
            assert_rc(rc, MC_EINVAL); /* not a key file */
        } else if (i >= MC_KF_OPS && i < MC_KF_SALT) {
            /* a cost changed by one bit is either refused as absurd or, when still in range,
             * caught by the authentication of the header */
            assert_true(rc == MC_EINVAL || rc == MC_ECRYPTO);
        } else {
            assert_rc(rc, MC_ECRYPTO); /* level, salt, nonce, ciphertext, tag */
        }
    }
    /* a lowered cost that is still in range is refused by the authentication, not obeyed */
    mc_test_file_write(copy, orig.p, orig.n);
    mc_test_file_xor(copy, MC_KF_OPS + 7, 0x01); /* opslimit 1 -> 0: out of range */
    mc_expect_read_fails(copy, pass, MC_EINVAL);
    uint8_t huge[8];
    mc_put_u64be(huge, UINT64_MAX);
    uint8_t *t = malloc(orig.n);
    assert_non_null(t);
    memcpy(t, orig.p, orig.n);
    memcpy(t + MC_KF_OPS + 8, huge, 8); /* memlimit absurd: refused before any allocation */
    mc_test_file_write(copy, t, orig.n);
    mc_expect_read_fails(copy, pass, MC_EINVAL);
    memcpy(t, orig.p, orig.n);
    mc_put_u64be(t + MC_KF_OPS, 3); /* opslimit 3 is legal but not what was written */
    mc_test_file_write(copy, t, orig.n);
    mc_expect_read_fails(copy, pass, MC_ECRYPTO);
    free(t);

    /* truncated, extended, empty */
    mc_test_file_write(copy, orig.p, orig.n - 1);
    mc_expect_read_fails(copy, pass, MC_EINVAL);
    mc_test_file_write(copy, orig.p, orig.n);
    mc_test_file_append(copy, "", 1);
    mc_expect_read_fails(copy, pass, MC_EINVAL);
    mc_test_file_write(copy, orig.p, 0);
    mc_expect_read_fails(copy, pass, MC_EINVAL);
    /* the unaltered copy reads: the failures above came from the alterations */
    mc_test_file_write(copy, orig.p, orig.n);
    mc_keys r;
    assert_ok(mc_keyfile_read(copy, pass, &r));
    assert_memory_equal(&r, &k, sizeof k);

    mc_buf_free(&orig);
    mc_test_rmtree(dir);
}

static void test_passphrase_load(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX], out[16];
    mc_test_tmpdir(dir);
    mc_test_path(path, dir, "pass");
    unsetenv("MEDCHAIN_PASSPHRASE");

    /* from a file, trailing newlines dropped (only trailing ones) */
    mc_test_file_write(path, "open sesame\r\n\n", 14);
    assert_ok(mc_passphrase_load(path, out, sizeof out));
    assert_string_equal(out, "open sesame");
    mc_test_file_write(path, "a\nb\n", 4);
    assert_ok(mc_passphrase_load(path, out, sizeof out));
    assert_string_equal(out, "a\nb");
    /* an empty file is an empty passphrase (no copy from an unallocated buffer) */
    mc_test_file_write(path, "", 0);
    assert_ok(mc_passphrase_load(path, out, sizeof out));
    assert_string_equal(out, "");
    /* the file wins over the environment */
    assert_int_equal(setenv("MEDCHAIN_PASSPHRASE", "from env", 1), 0);
    mc_test_file_write(path, "from file", 9);
    assert_ok(mc_passphrase_load(path, out, sizeof out));
    assert_string_equal(out, "from file");
    /* no file (NULL or empty name): the environment */
    assert_ok(mc_passphrase_load(NULL, out, sizeof out));
    assert_string_equal(out, "from env");
    assert_ok(mc_passphrase_load("", out, sizeof out));
    assert_string_equal(out, "from env");
    /* too long for the caller's buffer */
    assert_int_equal(setenv("MEDCHAIN_PASSPHRASE", "0123456789abcdef", 1), 0); /* 16 */
    assert_rc(mc_passphrase_load(NULL, out, sizeof out), MC_ETOOBIG);
    assert_int_equal(setenv("MEDCHAIN_PASSPHRASE", "0123456789abcde", 1), 0); /* 15 fits */
    assert_ok(mc_passphrase_load(NULL, out, sizeof out));
    assert_string_equal(out, "0123456789abcde");
    mc_test_file_write(path, "0123456789abcdefXYZ", 19);
    out[0] = 'x';
    assert_rc(mc_passphrase_load(path, out, sizeof out), MC_ETOOBIG);
    assert_string_equal(out, "");
    assert_rc(mc_passphrase_load(path, out, 0), MC_ETOOBIG);
    /* a passphrase that fits once its newline is dropped */
    mc_test_file_write(path, "0123456789abcde\n", 16);
    assert_ok(mc_passphrase_load(path, out, sizeof out));
    assert_string_equal(out, "0123456789abcde");
    /* neither given; a file that is not there; a directory */
    unsetenv("MEDCHAIN_PASSPHRASE");
    assert_rc(mc_passphrase_load(NULL, out, sizeof out), MC_ENOTFOUND);
    assert_rc(mc_passphrase_load("", out, sizeof out), MC_ENOTFOUND);
    char none[PATH_MAX];
    mc_test_path(none, dir, "absent");
    assert_rc(mc_passphrase_load(none, out, sizeof out), MC_ENOTFOUND);
    assert_rc(mc_passphrase_load(dir, out, sizeof out), MC_EIO);
    mc_test_rmtree(dir);
}

static void test_sigcache(void **state)
{
    (void)state;
    mc_sigcache *c = NULL;
    assert_ok(mc_sigcache_new(&c, 0)); /* rounded up to a usable size */
    mc_hash m1, m2;
    mc_sign_pk pk1, pk2;
    mc_sig s1, s2;
    mc_random(m1.b, 32);
    mc_random(pk1.b, 32);
    mc_random(s1.b, 64);
    m2 = m1;
    m2.b[31] ^= 1;
    pk2 = pk1;
    pk2.b[31] ^= 1;
    s2 = s1;
    s2.b[63] ^= 1;
    assert_int_equal(mc_sigcache_has(c, &m1, &s1, &pk1), 0);
    mc_sigcache_add(c, &m1, &s1, &pk1);
    assert_int_equal(mc_sigcache_has(c, &m1, &s1, &pk1), 1);
    /* every part of the triple counts: never a hit for another message, key or signature */
    assert_int_equal(mc_sigcache_has(c, &m2, &s1, &pk1), 0);
    assert_int_equal(mc_sigcache_has(c, &m1, &s1, &pk2), 0);
    assert_int_equal(mc_sigcache_has(c, &m1, &s2, &pk1), 0);
    mc_sigcache_free(c);
    mc_sigcache_free(NULL);

    /* many entries in a big cache mostly stay */
    assert_ok(mc_sigcache_new(&c, 5000));
    enum { N = 500 };
    static mc_hash ms[N];
    for (int i = 0; i < N; i++) {
        mc_random(ms[i].b, 32);
        mc_sigcache_add(c, &ms[i], &s1, &pk1);
    }
    int hits = 0;
    for (int i = 0; i < N; i++) hits += mc_sigcache_has(c, &ms[i], &s1, &pk1);
    assert_true(hits > N * 8 / 10);
    mc_sigcache_free(c);
}

typedef struct {
    mc_sigcache *c;
    int seed;
    int misses;
} mc_cache_job;

static void *mc_cache_worker(void *arg)
{
    mc_cache_job *j = arg;
    mc_sign_pk pk;
    mc_sig sig;
    memset(pk.b, j->seed, 32);
    memset(sig.b, j->seed, 64);
    for (int i = 0; i < 2000; i++) {
        mc_hash m;
        mc_sha256(&m, &i, sizeof i);
        m.b[0] ^= (uint8_t)j->seed;
        mc_sigcache_add(j->c, &m, &sig, &pk);
        if (!mc_sigcache_has(j->c, &m, &sig, &pk)) j->misses++;
    }
    return NULL;
}

static void test_sigcache_threads(void **state)
{
    (void)state;
    mc_sigcache *c;
    assert_ok(mc_sigcache_new(&c, 1 << 16));
    pthread_t th[4];
    mc_cache_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (mc_cache_job){c, i + 1, 0};
        assert_int_equal(pthread_create(&th[i], NULL, mc_cache_worker, &jobs[i]), 0);
    }
    int misses = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        misses += jobs[i].misses;
    }
    /* a just-added entry can only be lost to another thread's colliding add */
    assert_true(misses < 100);
    mc_sigcache_free(c);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_idempotent),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_tagged_hash_vectors),
        cmocka_unit_test(test_hmac_vectors),
        cmocka_unit_test(test_random_wipe_ct),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_ed25519_keys_and_malleability),
        cmocka_unit_test(test_fixed_keys),
        cmocka_unit_test(test_verify_many),
        cmocka_unit_test(test_box_seal),
        cmocka_unit_test(test_aead),
        cmocka_unit_test(test_keyfile_roundtrip),
        cmocka_unit_test(test_keyfile_bad),
        cmocka_unit_test(test_passphrase_load),
        cmocka_unit_test(test_sigcache),
        cmocka_unit_test(test_sigcache_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
