/*
 * envelope: record ciphertext and anchor fields, batched sealed boxes (wrap, unwrap, rewrap),
 * and known answers (keyword normalisation and tokens: test_envelope_search.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/envelope.h"
#include "testutil.h"
/* the deterministic entry points of the known-answer tests (not public API) */
#include "../../src/envelope/envelope_internal.h"

/* A record's cast: the patient, the custodian org, the author's org; a grantee and a stranger. */
typedef struct {
    mc_test_key patient, custodian, author_org, grantee, stranger;
    mc_env_recipient rcpt[3];
    mc_wrapper *w;
} env_world;

static void env_world_init(env_world *e)
{
    mc_test_key *k[] = {&e->patient, &e->custodian, &e->author_org, &e->grantee, &e->stranger};
    for (size_t i = 0; i < MC_ARRAY_LEN(k); i++) mc_test_key_new(k[i]);
    for (size_t i = 0; i < 3; i++) {
        e->rcpt[i].id = k[i]->id;
        e->rcpt[i].pk = k[i]->box_pk;
    }
    assert_ok(mc_wrapper_new(&e->w));
}

static void env_world_free(env_world *e)
{
    mc_wrapper_free(e->w);
}

/* A fresh anchor for the world's patient with a random record id. */
static void env_anchor(mc_body_anchor *a, const env_world *e)
{
    memset(a, 0, sizeof *a);
    mc_random(a->record.b, sizeof a->record.b);
    a->patient = e->patient.id;
}

static const uint8_t env_key[32] = {7,  7,  7,  7,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                                    13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};
static const uint8_t env_nonce[24] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
static const uint8_t env_salt[32] = {0x5a, 0xa5};

/* Seals @p pt for the world's three recipients as a new record of its patient (under the fixed key,
   nonce and salt above when @p fixed). */
static void env_seal_one(env_world *e, mc_body_anchor *a, mc_buf *c, const uint8_t *pt, size_t n, int fixed)
{
    env_anchor(a, e);
    mc_buf_init(c, 2u << 20);
    if (fixed)
        assert_ok(mc_env_seal_with(c, a, e->w, pt, n, e->rcpt, 3, env_key, env_nonce, env_salt));
    else
        assert_ok(mc_env_seal(c, a, e->w, pt, n, e->rcpt, 3));
}

/* The setup most tests share: a world and one record sealed in it. */
static void env_sealed(env_world *e, mc_body_anchor *a, mc_buf *c, const uint8_t *pt, size_t n, int fixed)
{
    env_world_init(e);
    env_seal_one(e, a, c, pt, n, fixed);
}

static uint8_t *env_plaintext(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    mc_random(p, n);
    return p;
}

/* Opens @p c with @p k's key from @p wk and expects @p want (and, on MC_OK, @p pt back). */
static void env_open_as(const mc_buf *c, const mc_body_anchor *a, const mc_wrapped_key *wk,
                        const mc_test_key *k, const uint8_t *pt, size_t n, int want)
{
    mc_buf out;
    mc_buf_init(&out, 2u << 20);
    assert_rc(mc_env_open(&out, c->p, c->n, a, wk, &k->box_pk, &k->box_sk), want);
    if (want == MC_OK) {
        assert_int_equal(out.n, n);
        if (n) assert_memory_equal(out.p, pt, n);
    } else {
        assert_int_equal(out.n, 0); /* nothing handed out on failure */
    }
    mc_buf_free_wipe(&out);
}

/* Seals a fresh random record of each size in @p sizes in one world and hands it to @p check. */
typedef void (*env_check_fn)(env_world *e, mc_body_anchor *a, mc_buf *c, const uint8_t *pt, size_t n);
static void env_each_size(const size_t *sizes, size_t nsizes, env_check_fn check)
{
    env_world e;
    env_world_init(&e);
    for (size_t s = 0; s < nsizes; s++) {
        uint8_t *pt = env_plaintext(sizes[s]);
        mc_body_anchor a;
        mc_buf c;
        env_seal_one(&e, &a, &c, pt, sizes[s], 0);
        check(&e, &a, &c, pt, sizes[s]);
        mc_buf_free(&c);
        free(pt);
    }
    env_world_free(&e);
}

static void env_check_roundtrip(env_world *e, mc_body_anchor *a, mc_buf *c, const uint8_t *pt, size_t n)
{
    assert_int_equal(c->n, n + MC_ENV_OVERHEAD);
    assert_int_equal(a->size, c->n);
    assert_int_equal(c->p[0], MC_ENV_VERSION);
    mc_hash h;
    mc_sha256(&h, c->p, c->n);
    assert_memory_equal(h.b, a->cipher_hash.b, 32);
    assert_int_equal(a->nkeys, 3);
    for (uint32_t i = 1; i < a->nkeys; i++)
        assert_true(memcmp(a->keys[i - 1].recipient.b, a->keys[i].recipient.b, 32) < 0);
    /* the plaintext does not appear in the ciphertext */
    if (n >= 4096) assert_null(memmem(c->p, c->n, pt + 100, 64));
    for (size_t i = 0; i < 3; i++) {
        const mc_test_key *k = i == 0 ? &e->patient : i == 1 ? &e->custodian : &e->author_org;
        const mc_wrapped_key *wk = mc_env_find_key(a, &k->id);
        assert_non_null(wk);
        env_open_as(c, a, wk, k, pt, n, MC_OK);
    }
    /* open appends to what the buffer holds */
    mc_buf out;
    mc_buf_init(&out, 2u << 20);
    assert_ok(mc_buf_append(&out, "hdr", 3));
    assert_ok(mc_env_open(&out, c->p, c->n, a, mc_env_find_key(a, &e->patient.id), &e->patient.box_pk,
                          &e->patient.box_sk));
    assert_int_equal(out.n, 3 + n);
    assert_memory_equal(out.p, "hdr", 3);
    mc_buf_free(&out);
    /* a second seal of the same plaintext differs entirely (fresh key, nonce and salt) */
    mc_body_anchor b;
    env_anchor(&b, e);
    mc_buf c2;
    mc_buf_init(&c2, 2u << 20);
    assert_ok(mc_env_seal(&c2, &b, e->w, pt, n, e->rcpt, 3));
    assert_memory_not_equal(a->commitment.b, b.commitment.b, 32);
    assert_memory_not_equal(c->p + 1, c2.p + 1, 24);
    mc_buf_free(&c2);
}

static void test_roundtrip_sizes(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 4096, 1u << 20};
    env_each_size(sizes, MC_ARRAY_LEN(sizes), env_check_roundtrip);
}

static void test_stranger(void **state)
{
    (void)state;
    uint8_t pt[100];
    mc_random(pt, sizeof pt);
    env_world e;
    mc_body_anchor a;
    mc_buf c;
    env_sealed(&e, &a, &c, pt, sizeof pt, 0);
    assert_null(mc_env_find_key(&a, &e.stranger.id));
    assert_null(mc_env_find_key(&a, &e.grantee.id));
    /* a stranger holding someone's wrapped key still cannot open it */
    for (uint32_t i = 0; i < a.nkeys; i++)
        env_open_as(&c, &a, &a.keys[i], &e.stranger, pt, sizeof pt, MC_ECRYPTO);
    /* nor can a recipient open another recipient's wrapped key */
    const mc_wrapped_key *pk = mc_env_find_key(&a, &e.patient.id);
    env_open_as(&c, &a, pk, &e.custodian, pt, sizeof pt, MC_ECRYPTO);
    /* the right secret with the wrong public key gives the wrong nonce */
    mc_buf out;
    mc_buf_init(&out, 1 << 16);
    assert_rc(mc_env_open(&out, c.p, c.n, &a, pk, &e.custodian.box_pk, &e.patient.box_sk), MC_ECRYPTO);
    mc_buf_free(&out);
    mc_buf_free(&c);
    env_world_free(&e);
}

static void env_check_tamper(env_world *e, mc_body_anchor *a, mc_buf *c, const uint8_t *pt, size_t n)
{
    const mc_wrapped_key *wk = mc_env_find_key(a, &e->patient.id);
    /* every byte of short records; for the long one, a stride across header, salt, body, tag */
    for (size_t off = 0; off < c->n; off += c->n < 1000 ? 1 : 13) {
        for (uint8_t mask = 1; mask; mask <<= 3) {
            c->p[off] ^= mask;
            env_open_as(c, a, wk, &e->patient, pt, n, MC_ECORRUPT);
            /* the hash is checked first: even a stranger gets ECORRUPT, not ECRYPTO */
            env_open_as(c, a, wk, &e->stranger, pt, n, MC_ECORRUPT);
            c->p[off] ^= mask;
        }
    }
    env_open_as(c, a, wk, &e->patient, pt, n, MC_OK);
    /* wrong size: a byte more, a byte less, the anchor's size off by one */
    mc_buf out;
    mc_buf_init(&out, 1 << 16);
    assert_ok(mc_buf_append(c, "x", 1));
    assert_rc(mc_env_open(&out, c->p, c->n, a, wk, &e->patient.box_pk, &e->patient.box_sk), MC_ECORRUPT);
    c->n--;
    assert_rc(mc_env_open(&out, c->p, c->n - 1, a, wk, &e->patient.box_pk, &e->patient.box_sk), MC_ECORRUPT);
    assert_rc(mc_env_open(&out, c->p, 0, a, wk, &e->patient.box_pk, &e->patient.box_sk), MC_ECORRUPT);
    mc_body_anchor b = *a;
    b.size++;
    assert_rc(mc_env_open(&out, c->p, c->n, &b, wk, &e->stranger.box_pk, &e->stranger.box_sk), MC_ECORRUPT);
    b = *a;
    b.cipher_hash.b[31] ^= 1;
    assert_rc(mc_env_open(&out, c->p, c->n, &b, wk, &e->stranger.box_pk, &e->stranger.box_sk), MC_ECORRUPT);
    assert_int_equal(out.n, 0);
    mc_buf_free(&out);
}

static void test_tamper_found_before_decrypting(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 300, 4096};
    env_each_size(sizes, MC_ARRAY_LEN(sizes), env_check_tamper);
}

/* An anchor whose hash and size match bytes that are not a valid version-1 ciphertext. */
static void test_bad_version_and_short(void **state)
{
    (void)state;
    env_world e;
    mc_body_anchor a;
    mc_buf c;
    env_sealed(&e, &a, &c, (const uint8_t *)"hello", 5, 0);
    const mc_wrapped_key *wk = mc_env_find_key(&a, &e.patient.id);
    mc_body_anchor b = a;
    c.p[0] = 2;
    mc_sha256(&b.cipher_hash, c.p, c.n);
    env_open_as(&c, &b, wk, &e.patient, NULL, 0, MC_ECORRUPT);
    c.p[0] = MC_ENV_VERSION;
    for (size_t n = 0; n < MC_ENV_OVERHEAD; n++) {
        b = a;
        b.size = n;
        mc_sha256(&b.cipher_hash, c.p, n);
        mc_buf out;
        mc_buf_init(&out, 1 << 16);
        assert_rc(mc_env_open(&out, n ? c.p : NULL, n, &b, wk, &e.patient.box_pk, &e.patient.box_sk),
                  MC_ECORRUPT);
        mc_buf_free(&out);
    }
    mc_buf_free(&c);
    env_world_free(&e);
}

static void test_key_bound_to_record(void **state)
{
    (void)state;
    env_world e;
    env_world_init(&e);
    uint8_t pt[64];
    mc_random(pt, sizeof pt);
    mc_body_anchor a, b;
    env_anchor(&a, &e);
    env_anchor(&b, &e);
    mc_buf ca, cb;
    mc_buf_init(&ca, 1 << 16);
    mc_buf_init(&cb, 1 << 16);
    assert_ok(mc_env_seal(&ca, &a, e.w, pt, sizeof pt, e.rcpt, 3));
    assert_ok(mc_env_seal(&cb, &b, e.w, pt, sizeof pt, e.rcpt, 3));
    /* a's wrapped key presented for b (moved onto b's anchor) does not open */
    const mc_wrapped_key *wa = mc_env_find_key(&a, &e.patient.id);
    mc_body_anchor moved = b;
    *(mc_wrapped_key *)mc_env_find_key(&moved, &e.patient.id) = *wa;
    env_open_as(&cb, &moved, mc_env_find_key(&moved, &e.patient.id), &e.patient, pt, sizeof pt, MC_ECRYPTO);
    uint8_t key[32];
    assert_ok(mc_env_unwrap(key, wa, &a.record, &e.patient.box_pk, &e.patient.box_sk));
    assert_rc(mc_env_unwrap(key, wa, &b.record, &e.patient.box_pk, &e.patient.box_sk), MC_ECRYPTO);
    uint8_t zero[32] = {0};
    assert_memory_equal(key, zero, 32); /* zeroed on failure */
    /* every bit of the wrapped key matters */
    for (size_t off = 0; off < MC_SEALED_KEY_BYTES; off++) {
        mc_wrapped_key t = *wa;
        t.sealed[off] ^= 0x10;
        assert_rc(mc_env_unwrap(key, &t, &a.record, &e.patient.box_pk, &e.patient.box_sk), MC_ECRYPTO);
    }
    mc_buf_free(&ca);
    mc_buf_free(&cb);
    env_world_free(&e);
}

/* The AEAD binds record id and patient id (a valid key for the anchor is not enough), and the
   plaintext must match the anchor's commitment. */
static void test_ad_and_commitment(void **state)
{
    (void)state;
    const uint8_t pt[] = "blood pressure 120/80";
    env_world e;
    mc_body_anchor a;
    mc_buf c;
    env_sealed(&e, &a, &c, pt, sizeof pt, 1);
    const mc_wrapped_key *wk = mc_env_find_key(&a, &e.patient.id);
    env_open_as(&c, &a, wk, &e.patient, pt, sizeof pt, MC_OK);
    /* the same bytes under an anchor naming another patient: the key opens, the tag does not */
    mc_body_anchor b = a;
    b.patient = e.stranger.id;
    env_open_as(&c, &b, wk, &e.patient, pt, sizeof pt, MC_ECORRUPT);
    /* ... naming another record, with the same data key validly wrapped for that record */
    b = a;
    mc_random(b.record.b, 32);
    mc_wrapped_key w2;
    assert_ok(mc_env_wrap(e.w, &w2, env_key, &b.record, &e.patient.id, &e.patient.box_pk));
    env_open_as(&c, &b, &w2, &e.patient, pt, sizeof pt, MC_ECORRUPT);
    /* one commitment: tag "medchain/commitment" over salt then content (as the CLI hashes a file) */
    mc_hash want, got;
    mc_sha256_ctx h;
    mc_hash_tagged_init(&h, "medchain/commitment");
    mc_sha256_update(&h, env_salt, 32);
    mc_sha256_update(&h, pt, sizeof pt);
    mc_sha256_final(&h, &want);
    assert_memory_equal(a.commitment.b, want.b, 32);
    mc_env_commitment(&got, env_salt, pt, sizeof pt);
    assert_memory_equal(got.b, want.b, 32);
    mc_env_commitment_init(&h, env_salt);
    mc_sha256_update(&h, pt, 3);
    mc_sha256_update(&h, pt + 3, sizeof pt - 3);
    mc_sha256_final(&h, &got);
    assert_memory_equal(got.b, want.b, 32);
    /* an anchor with a wrong commitment: decrypts, then is refused */
    for (size_t off = 0; off < 32; off += 7) {
        b = a;
        b.commitment.b[off] ^= 0x80;
        env_open_as(&c, &b, wk, &e.patient, pt, sizeof pt, MC_ECORRUPT);
    }
    /* the commitment of the same content under another salt */
    b = a;
    uint8_t salt2[32] = {1};
    mc_env_commitment(&b.commitment, salt2, pt, sizeof pt);
    env_open_as(&c, &b, wk, &e.patient, pt, sizeof pt, MC_ECORRUPT);
    mc_buf_free(&c);
    env_world_free(&e);
}

static void test_rewrap_chain(void **state)
{
    (void)state;
    mc_test_key second;
    mc_test_key_new(&second);
    uint8_t *pt = env_plaintext(5000);
    env_world e;
    mc_body_anchor a;
    mc_buf c;
    env_sealed(&e, &a, &c, pt, 5000, 0);
    /* the patient re-wraps for a grantee on their own machine, with their own wrapper */
    mc_wrapper *pw;
    assert_ok(mc_wrapper_new(&pw));
    mc_wrapped_key g, g2, bad;
    assert_ok(mc_env_rewrap(pw, &g, mc_env_find_key(&a, &e.patient.id), &a.record, &e.patient.box_pk,
                            &e.patient.box_sk, &e.grantee.id, &e.grantee.box_pk));
    assert_memory_equal(g.recipient.b, e.grantee.id.b, 32);
    env_open_as(&c, &a, &g, &e.grantee, pt, 5000, MC_OK);
    env_open_as(&c, &a, &g, &e.stranger, pt, 5000, MC_ECRYPTO);
    /* and the grantee can pass it on (a delegate, a referral) */
    assert_ok(mc_env_rewrap(pw, &g2, &g, &a.record, &e.grantee.box_pk, &e.grantee.box_sk, &second.id,
                            &second.box_pk));
    env_open_as(&c, &a, &g2, &second, pt, 5000, MC_OK);
    /* a key I cannot open, or one for another record, cannot be re-wrapped; out is zeroed */
    mc_hash other;
    mc_random(other.b, 32);
    mc_wrapped_key zero;
    memset(&zero, 0, sizeof zero);
    assert_rc(mc_env_rewrap(pw, &bad, &g, &a.record, &e.stranger.box_pk, &e.stranger.box_sk, &second.id,
                            &second.box_pk),
              MC_ECRYPTO);
    assert_memory_equal(&bad, &zero, sizeof bad);
    assert_rc(
        mc_env_rewrap(pw, &bad, &g, &other, &e.grantee.box_pk, &e.grantee.box_sk, &second.id, &second.box_pk),
        MC_ECRYPTO);
    assert_rc(mc_env_rewrap(NULL, &bad, &g, &a.record, &e.grantee.box_pk, &e.grantee.box_sk, &second.id,
                            &second.box_pk),
              MC_EINVAL);
    assert_rc(mc_env_rewrap(pw, NULL, &g, &a.record, &e.grantee.box_pk, &e.grantee.box_sk, &second.id,
                            &second.box_pk),
              MC_EINVAL);
    assert_rc(mc_env_rewrap(pw, &bad, NULL, &a.record, &e.grantee.box_pk, &e.grantee.box_sk, &second.id,
                            &second.box_pk),
              MC_EINVAL);
    assert_rc(
        mc_env_rewrap(pw, &bad, &g, &a.record, &e.grantee.box_pk, &e.grantee.box_sk, NULL, &second.box_pk),
        MC_EINVAL);
    mc_wrapper_free(pw);
    mc_buf_free(&c);
    free(pt);
    env_world_free(&e);
}

static void test_recipients(void **state)
{
    (void)state;
    env_world e;
    env_world_init(&e);
    mc_env_recipient r[MC_MAX_WRAPPED + 1];
    mc_test_key k[MC_MAX_WRAPPED + 1];
    for (size_t i = 0; i < MC_ARRAY_LEN(r); i++) {
        mc_test_key_new(&k[i]);
        r[i].id = k[i].id;
        r[i].pk = k[i].box_pk;
    }
    /* put them in decreasing order so the input is certainly unsorted */
    for (size_t i = 1; i < MC_ARRAY_LEN(r); i++)
        for (size_t j = i; j > 0 && memcmp(r[j - 1].id.b, r[j].id.b, 32) < 0; j--) {
            mc_env_recipient t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    mc_body_anchor a;
    env_anchor(&a, &e);
    mc_buf c;
    mc_buf_init(&c, 1 << 16);
    assert_ok(mc_env_seal(&c, &a, e.w, (const uint8_t *)"x", 1, r, MC_MAX_WRAPPED));
    assert_int_equal(a.nkeys, MC_MAX_WRAPPED);
    for (uint32_t i = 1; i < a.nkeys; i++)
        assert_true(memcmp(a.keys[i - 1].recipient.b, a.keys[i].recipient.b, 32) < 0);
    for (size_t i = 0; i < MC_MAX_WRAPPED; i++) { /* each key went to its own recipient */
        const mc_wrapped_key *wk = mc_env_find_key(&a, &r[i].id);
        assert_non_null(wk);
        uint8_t key[32];
        const mc_test_key *owner = NULL;
        for (size_t j = 0; j < MC_ARRAY_LEN(k); j++)
            if (!memcmp(k[j].id.b, r[i].id.b, 32)) owner = &k[j];
        assert_ok(mc_env_unwrap(key, wk, &a.record, &owner->box_pk, &owner->box_sk));
    }
    /* the encoder takes what seal made */
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    a.custodian = e.custodian.id;
    memcpy(a.category, "lab", 4);
    assert_ok(mc_body_anchor_encode(&body, &a));
    mc_buf_free(&body);
    /* refusals leave the buffer as it was and the anchor's outputs zeroed */
    size_t before = c.n;
    mc_body_anchor z;
    env_anchor(&z, &e);
    mc_body_anchor b = z;
    assert_rc(mc_env_seal(&c, &b, e.w, (const uint8_t *)"x", 1, r, MC_MAX_WRAPPED + 1), MC_ETOOBIG);
    assert_rc(mc_env_seal(&c, &b, e.w, (const uint8_t *)"x", 1, r, 0), MC_EINVAL);
    mc_env_recipient dup[3] = {r[0], r[1], r[0]};
    b = a; /* outputs filled: they must be cleared */
    assert_rc(mc_env_seal(&c, &b, e.w, (const uint8_t *)"x", 1, dup, 3), MC_EINVAL);
    assert_int_equal(b.nkeys, 0);
    assert_int_equal(b.size, 0);
    uint8_t zero[32] = {0};
    assert_memory_equal(b.cipher_hash.b, zero, 32);
    assert_memory_equal(b.commitment.b, zero, 32);
    assert_memory_equal(b.record.b, a.record.b, 32); /* inputs untouched */
    b = z;
    memset(b.record.b, 0, 32); /* a record id never set */
    assert_rc(mc_env_seal(&c, &b, e.w, (const uint8_t *)"x", 1, r, 2), MC_EINVAL);
    b = z;
    assert_rc(mc_env_seal(NULL, &b, e.w, (const uint8_t *)"x", 1, r, 2), MC_EINVAL);
    assert_rc(mc_env_seal(&c, NULL, e.w, (const uint8_t *)"x", 1, r, 2), MC_EINVAL);
    assert_rc(mc_env_seal(&c, &b, NULL, (const uint8_t *)"x", 1, r, 2), MC_EINVAL);
    assert_rc(mc_env_seal(&c, &b, e.w, NULL, 1, r, 2), MC_EINVAL);
    assert_rc(mc_env_seal(&c, &b, e.w, (const uint8_t *)"x", 1, NULL, 2), MC_EINVAL);
    assert_int_equal(c.n, before);
    /* the ciphertext buffer's cap */
    mc_buf small;
    mc_buf_init(&small, MC_ENV_OVERHEAD + 9);
    b = z;
    assert_rc(mc_env_seal(&small, &b, e.w, (const uint8_t *)"0123456789", 10, r, 2), MC_ETOOBIG);
    assert_int_equal(small.n, 0);
    assert_int_equal(b.nkeys, 0);
    assert_ok(mc_env_seal(&small, &b, e.w, (const uint8_t *)"012345678", 9, r, 2));
    assert_int_equal(small.n, MC_ENV_OVERHEAD + 9);
    mc_buf_free(&small);
    /* find_key: absent, bad arguments, a count past the array is not followed */
    assert_null(mc_env_find_key(&a, &e.stranger.id));
    assert_null(mc_env_find_key(NULL, &r[0].id));
    assert_null(mc_env_find_key(&a, NULL));
    b = a;
    b.nkeys = 1000;
    assert_non_null(mc_env_find_key(&b, &b.keys[MC_MAX_WRAPPED - 1].recipient));
    mc_buf_free(&c);
    env_world_free(&e);
}

static void test_open_bad_args(void **state)
{
    (void)state;
    env_world e;
    mc_body_anchor a;
    mc_buf c, out;
    env_sealed(&e, &a, &c, (const uint8_t *)"abcdef", 6, 0);
    const mc_wrapped_key *wk = mc_env_find_key(&a, &e.patient.id);
    const mc_box_pk *pk = &e.patient.box_pk;
    const mc_box_sk *sk = &e.patient.box_sk;
    mc_buf_init(&out, 5); /* one byte short of the plaintext */
    assert_rc(mc_env_open(&out, c.p, c.n, &a, wk, pk, sk), MC_ETOOBIG);
    assert_int_equal(out.n, 0);
    mc_buf_free(&out);
    mc_buf_init(&out, 6);
    assert_rc(mc_env_open(NULL, c.p, c.n, &a, wk, pk, sk), MC_EINVAL);
    assert_rc(mc_env_open(&out, NULL, c.n, &a, wk, pk, sk), MC_EINVAL);
    assert_rc(mc_env_open(&out, c.p, c.n, NULL, wk, pk, sk), MC_EINVAL);
    assert_rc(mc_env_open(&out, c.p, c.n, &a, NULL, pk, sk), MC_EINVAL);
    assert_rc(mc_env_open(&out, c.p, c.n, &a, wk, NULL, sk), MC_EINVAL);
    assert_rc(mc_env_open(&out, c.p, c.n, &a, wk, pk, NULL), MC_EINVAL);
    assert_ok(mc_env_open(&out, c.p, c.n, &a, wk, pk, sk));
    assert_memory_equal(out.p, "abcdef", 6);
    mc_buf_free(&out);
    /* wrap and unwrap arguments */
    uint8_t key[32] = {0};
    mc_wrapped_key w;
    assert_rc(mc_env_wrap(NULL, &w, key, &a.record, &e.patient.id, pk), MC_EINVAL);
    assert_rc(mc_env_wrap(e.w, NULL, key, &a.record, &e.patient.id, pk), MC_EINVAL);
    assert_rc(mc_env_wrap(e.w, &w, NULL, &a.record, &e.patient.id, pk), MC_EINVAL);
    assert_rc(mc_env_wrap(e.w, &w, key, NULL, &e.patient.id, pk), MC_EINVAL);
    assert_rc(mc_env_wrap(e.w, &w, key, &a.record, NULL, pk), MC_EINVAL);
    assert_rc(mc_env_wrap(e.w, &w, key, &a.record, &e.patient.id, NULL), MC_EINVAL);
    assert_rc(mc_env_unwrap(NULL, wk, &a.record, pk, sk), MC_EINVAL);
    assert_rc(mc_env_unwrap(key, NULL, &a.record, pk, sk), MC_EINVAL);
    assert_rc(mc_env_unwrap(key, wk, NULL, pk, sk), MC_EINVAL);
    assert_rc(mc_env_unwrap(key, wk, &a.record, NULL, sk), MC_EINVAL);
    assert_rc(mc_env_unwrap(key, wk, &a.record, pk, NULL), MC_EINVAL);
    mc_wrapper *p = (mc_wrapper *)&p;
    assert_rc(mc_wrapper_new(NULL), MC_EINVAL);
    assert_rc(mc_wrapper_new_fixed(&p, NULL), MC_EINVAL);
    assert_null(p);
    mc_wrapper_free(NULL);
    mc_buf_free(&c);
    env_world_free(&e);
}

/* Low-order X25519 points: the shared secret would be all zero, known to everyone. */
static void test_low_order_refused(void **state)
{
    (void)state;
    env_world e;
    env_world_init(&e);
    static const char *const low[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };
    for (size_t i = 0; i < MC_ARRAY_LEN(low); i++) {
        mc_box_pk bad;
        mc_test_unhex(bad.b, 32, low[i]);
        uint8_t k[MC_BOX_SHAREDBYTES], zero[32] = {0};
        assert_rc(mc_box_shared(k, &bad, &e.patient.box_sk), MC_ECRYPTO);
        assert_memory_equal(k, zero, 32);
        /* wrapping to it */
        mc_wrapped_key w;
        mc_hash rid;
        mc_random(rid.b, 32);
        assert_rc(mc_env_wrap(e.w, &w, env_key, &rid, &e.stranger.id, &bad), MC_ECRYPTO);
        mc_wrapped_key zw;
        memset(&zw, 0, sizeof zw);
        assert_memory_equal(&w, &zw, sizeof w);
        /* a record with such a recipient is not sealed */
        mc_env_recipient r[2] = {e.rcpt[0], {e.stranger.id, bad}};
        mc_body_anchor a;
        env_anchor(&a, &e);
        mc_buf c;
        mc_buf_init(&c, 1 << 16);
        assert_rc(mc_env_seal(&c, &a, e.w, (const uint8_t *)"x", 1, r, 2), MC_ECRYPTO);
        assert_int_equal(c.n, 0);
        assert_int_equal(a.nkeys, 0);
        /* a wrapped key whose ephemeral key is low-order is refused */
        assert_ok(mc_env_wrap(e.w, &w, env_key, &rid, &e.patient.id, &e.patient.box_pk));
        memcpy(w.sealed, bad.b, 32);
        assert_rc(mc_env_unwrap(k, &w, &rid, &e.patient.box_pk, &e.patient.box_sk), MC_ECRYPTO);
        mc_buf_free(&c);
    }
    /* the wrapper still works afterwards (the refused key was not cached) */
    mc_body_anchor a;
    env_anchor(&a, &e);
    mc_buf c;
    mc_buf_init(&c, 1 << 16);
    assert_ok(mc_env_seal(&c, &a, e.w, (const uint8_t *)"x", 1, e.rcpt, 3));
    env_open_as(&c, &a, mc_env_find_key(&a, &e.custodian.id), &e.custodian, (const uint8_t *)"x", 1, MC_OK);
    mc_buf_free(&c);
    env_world_free(&e);
}

/* The wrapper never reuses a nonce: a repeat takes a fresh ephemeral key; tables have caps. */
static void test_wrapper_nonces_and_caps(void **state)
{
    (void)state;
    env_world e;
    env_world_init(&e);
    mc_hash rid;
    mc_random(rid.b, 32);
    uint8_t k1[32], k2[32], got[32];
    mc_random(k1, 32);
    mc_random(k2, 32);
    mc_wrapped_key w1, w2, w3;
    assert_ok(mc_env_wrap(e.w, &w1, k1, &rid, &e.patient.id, &e.patient.box_pk));
    assert_ok(mc_env_wrap(e.w, &w3, k1, &rid, &e.custodian.id, &e.custodian.box_pk));
    assert_memory_equal(w1.sealed, w3.sealed, 32); /* one ephemeral key for a batch */
    /* the same record to the same key again, with another key: must not share the nonce */
    assert_ok(mc_env_wrap(e.w, &w2, k2, &rid, &e.patient.id, &e.patient.box_pk));
    assert_memory_not_equal(w1.sealed, w2.sealed, 32);
    assert_ok(mc_env_unwrap(got, &w1, &rid, &e.patient.box_pk, &e.patient.box_sk));
    assert_memory_equal(got, k1, 32);
    assert_ok(mc_env_unwrap(got, &w2, &rid, &e.patient.box_pk, &e.patient.box_sk));
    assert_memory_equal(got, k2, 32);
    /* many records to one recipient: the nonce table fills and the ephemeral key rotates */
    mc_box_pk first;
    memcpy(first.b, w2.sealed, 32);
    size_t rotations = 0, n = 40000;
    mc_wrapped_key prev = w2, w;
    for (size_t i = 0; i < n; i++) {
        mc_put_u64be(rid.b, i);
        assert_ok(mc_env_wrap(e.w, &w, k1, &rid, &e.patient.id, &e.patient.box_pk));
        rotations += memcmp(w.sealed, prev.sealed, 32) != 0;
        if (i % 9973 == 0 || i == n - 1) {
            assert_ok(mc_env_unwrap(got, &w, &rid, &e.patient.box_pk, &e.patient.box_sk));
            assert_memory_equal(got, k1, 32);
        }
        prev = w;
    }
    assert_int_equal(rotations, 1);
    /* many recipients: the shared-key table fills and rotates too; every key still opens */
    enum { NPEER = 2100 };
    mc_box_sk *sk = malloc(NPEER * sizeof *sk);
    mc_box_pk *pk = malloc(NPEER * sizeof *pk);
    assert_non_null(sk);
    assert_non_null(pk);
    rotations = 0;
    for (size_t i = 0; i < NPEER; i++) {
        mc_box_keypair(&pk[i], &sk[i]);
        assert_ok(mc_env_wrap(e.w, &w, k2, &rid, &e.stranger.id, &pk[i]));
        rotations += memcmp(w.sealed, prev.sealed, 32) != 0;
        if (i % 500 == 0 || i == NPEER - 1) {
            assert_ok(mc_env_unwrap(got, &w, &rid, &pk[i], &sk[i]));
            assert_memory_equal(got, k2, 32);
        }
        prev = w;
    }
    assert_int_equal(rotations, 1);
    mc_wipe(sk, NPEER * sizeof *sk);
    free(sk);
    free(pk);
    env_world_free(&e);
}

/*
 * Known answers, computed independently of libsodium: pure-Python Salsa20/HSalsa20, Poly1305
 * and HChaCha20, with X25519 and ChaCha20-Poly1305 from pyca/cryptography (OpenSSL); the script
 * first checked itself against draft-irtf-cfrg-xchacha A.3.1, RFC 8439 2.5.2 and NaCl's box test.
 * Inputs: ephemeral sk 01..20, recipient sk 21..40, record id 80..9f, patient id c0..df, data
 * key 40..5f, AEAD nonce 60..77, salt e0..ff (byte ranges), plaintext below.
 */
#define KAT_RCPT_PK "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b"
#define KAT_WRAPPED                                                                                          \
    "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7cdbfffad7e0decbbfe158db4ba2df235aa6ee2b" \
    "6cfcd8eca4e64f0c9f247370bc06c9fb250ebe633daa54f0f1300adcb2"
#define KAT_CIPHER                                                                                           \
    "01606162636465666768696a6b6c6d6e6f7071727374757677759f118697f705cc155add91b62f33040cd65b45099410b019"   \
    "9601316bada1fdd363644d3ad314535296acadc03f353f2b88a2630a8801ff338cf6f949378cb2bb05281051f13249306752"   \
    "da7b1e22"
#define KAT_CIPHER_HASH "41b8f8d2fbc6df87d2f597ecd622e51cfd2bee481a0edf7e9f41c96b2ab43ba1"
#define KAT_COMMITMENT  "a56d607e82bbbda2296a8bb2401c78a5327cc16654f5d0665f7fccc0bc4ef9cf"
#define KAT_SEARCH_KEY  "2239f928a045714b20cbaef76576842609f240bcf3bae120247cb2a93698a5ca"
#define KAT_TOKEN       "707bba0a557342b39fe060c2c8d04c7be8ab215df3e3be92794bb2ffde8c360d" /* loinc:8302-2 */
#define KAT_SLOT        "9c1396b393b5891cf98c3efd6cd4ce7c6333cd91a96118ec3995e30a503ce99c"
static const char kat_pt[] = "medchain envelope known answer\n";

static void kat_range(uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(first + i);
}

static void test_known_answers(void **state)
{
    (void)state;
    mc_box_sk eph, rsk;
    mc_box_pk rpk, want_pk;
    mc_id rid_to;
    mc_body_anchor a;
    uint8_t key[32], nonce[24], salt[32], want[MC_ENV_OVERHEAD + sizeof kat_pt], got[32];
    memset(&a, 0, sizeof a);
    kat_range(eph.b, 32, 0x01);
    kat_range(rsk.b, 32, 0x21);
    kat_range(a.record.b, 32, 0x80);
    kat_range(a.patient.b, 32, 0xc0);
    kat_range(key, 32, 0x40);
    kat_range(nonce, 24, 0x60);
    kat_range(salt, 32, 0xe0);
    memset(rid_to.b, 0x33, 32);
    mc_box_sk_to_pk(&rpk, &rsk);
    mc_test_unhex(want_pk.b, 32, KAT_RCPT_PK);
    assert_memory_equal(rpk.b, want_pk.b, 32);
    /* wrap */
    mc_wrapper *w;
    assert_ok(mc_wrapper_new_fixed(&w, &eph));
    mc_wrapped_key wk;
    uint8_t want_w[MC_SEALED_KEY_BYTES];
    mc_test_unhex(want_w, sizeof want_w, KAT_WRAPPED);
    assert_ok(mc_env_wrap(w, &wk, key, &a.record, &rid_to, &rpk));
    assert_memory_equal(wk.sealed, want_w, sizeof want_w);
    assert_memory_equal(wk.recipient.b, rid_to.b, 32);
    assert_ok(mc_env_unwrap(got, &wk, &a.record, &rpk, &rsk));
    assert_memory_equal(got, key, 32);
    mc_wrapper_free(w);
    /* the whole record: ciphertext, its hash, the commitment, the wrapped key in the anchor */
    assert_ok(mc_wrapper_new_fixed(&w, &eph));
    mc_env_recipient r = {rid_to, rpk};
    mc_buf c;
    mc_buf_init(&c, 1 << 16);
    assert_ok(
        mc_env_seal_with(&c, &a, w, (const uint8_t *)kat_pt, sizeof kat_pt - 1, &r, 1, key, nonce, salt));
    mc_test_unhex(want, sizeof kat_pt - 1 + MC_ENV_OVERHEAD, KAT_CIPHER);
    assert_int_equal(c.n, sizeof kat_pt - 1 + MC_ENV_OVERHEAD);
    assert_memory_equal(c.p, want, c.n);
    mc_hash h;
    mc_test_unhex(h.b, 32, KAT_CIPHER_HASH);
    assert_memory_equal(a.cipher_hash.b, h.b, 32);
    mc_test_unhex(h.b, 32, KAT_COMMITMENT);
    assert_memory_equal(a.commitment.b, h.b, 32);
    assert_int_equal(a.nkeys, 1);
    assert_memory_equal(a.keys[0].sealed, want_w, sizeof want_w);
    env_open_as(&c, &a, &a.keys[0], &(mc_test_key){.box_pk = rpk, .box_sk = rsk}, (const uint8_t *)kat_pt,
                sizeof kat_pt - 1, MC_OK);
    mc_buf_free(&c);
    mc_wrapper_free(w);
    /* search key, token, search-key slot */
    uint8_t skey[32];
    mc_env_search_key(skey, &rsk);
    mc_test_unhex(got, 32, KAT_SEARCH_KEY);
    assert_memory_equal(skey, got, 32);
    char kw[MC_ENV_MAX_KEYWORD + 1];
    assert_ok(mc_env_keyword(kw, sizeof kw, "LOINC", " 8302-2"));
    mc_env_token(&h, skey, kw);
    mc_test_unhex(got, 32, KAT_TOKEN);
    assert_memory_equal(h.b, got, 32);
    mc_env_search_key_slot(&h, &a.patient);
    mc_test_unhex(got, 32, KAT_SLOT);
    assert_memory_equal(h.b, got, 32);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_sizes),
        cmocka_unit_test(test_stranger),
        cmocka_unit_test(test_tamper_found_before_decrypting),
        cmocka_unit_test(test_bad_version_and_short),
        cmocka_unit_test(test_key_bound_to_record),
        cmocka_unit_test(test_ad_and_commitment),
        cmocka_unit_test(test_rewrap_chain),
        cmocka_unit_test(test_recipients),
        cmocka_unit_test(test_open_bad_args),
        cmocka_unit_test(test_low_order_refused),
        cmocka_unit_test(test_wrapper_nonces_and_caps),
        cmocka_unit_test(test_known_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
