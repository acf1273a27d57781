/*
 * envelope, key release: the box in which a custodian's node hands the released data keys to a
 * reader, bound to the reader's key and to the access log of the read (mc_env_release_seal,
 * mc_env_release_open; docs/format.md, "Key release"), and a record opened with a released key
 * (mc_env_open_key).
 */
#include <stdlib.h>
#include <string.h>

#include "medchain/envelope.h"
#include "testutil.h"

/* A box: ephemeral X25519 pk | MAC | count u32 | (record id | data key) per key. */
#define REL_HEAD (32u + MC_BOX_MACBYTES + 4u)
#define REL_ITEM (32u + MC_ENV_KEYBYTES)

/* @p n random record ids and keys (freed by the caller). */
static mc_env_released_key *rel_keys(size_t n)
{
    mc_env_released_key *k = calloc(n ? n : 1, sizeof *k);
    assert_non_null(k);
    mc_random(k, n * sizeof *k);
    return k;
}

static void rel_seal(mc_buf *box, const mc_env_released_key *keys, size_t n, const mc_hash *log,
                     const mc_test_key *reader)
{
    mc_buf_reset(box);
    assert_ok(mc_env_release_seal(box, keys, n, log, &reader->box_pk));
    assert_int_equal(box->n, REL_HEAD + n * REL_ITEM);
}

/*
 * Opens the @p nbox bytes at @p box (copied to a heap block of exactly that size) as @p reader
 * under @p log with room for @p cap keys, and expects @p rc: on MC_OK the @p n keys @p want, else
 * no key and a count of 0.
 */
static void rel_open(const uint8_t *box, size_t nbox, const mc_hash *log, const mc_test_key *reader,
                     const mc_env_released_key *want, size_t n, size_t cap, int rc)
{
    mc_env_released_key *got = calloc(cap ? cap : 1, sizeof *got);
    uint8_t *copy = malloc(nbox ? nbox : 1);
    assert_true(got && copy);
    if (nbox) memcpy(copy, box, nbox);
    size_t ngot = 99;
    assert_rc(mc_env_release_open(got, cap, &ngot, copy, nbox, log, &reader->box_pk, &reader->box_sk), rc);
    if (rc == MC_OK) {
        assert_int_equal(ngot, n);
        if (n) assert_memory_equal(got, want, n * sizeof *got);
    } else {
        assert_int_equal(ngot, 0);
        assert_true(mc_all_zero(got, cap * sizeof *got));
    }
    mc_wipe(got, (cap ? cap : 1) * sizeof *got);
    free(got);
    free(copy);
}

/* A reader, the log of a read, @p n keys, and a box of them sealed for that reader and log. */
typedef struct {
    mc_test_key reader;
    mc_hash log;
    mc_env_released_key *keys;
    mc_buf box;
} rel_case;

static void rel_case_open(rel_case *k, size_t n)
{
    mc_test_key_new(&k->reader);
    mc_random(k->log.b, 32);
    k->keys = rel_keys(n);
    mc_buf_init(&k->box, 1 << 20);
    if (n <= MC_MAX_READS) rel_seal(&k->box, k->keys, n, &k->log, &k->reader);
}

static void rel_case_close(rel_case *k)
{
    free(k->keys);
    mc_buf_free(&k->box);
}

static void test_release_roundtrip(void **state)
{
    (void)state;
    rel_case k;
    mc_buf again;
    mc_buf_init(&again, 1 << 20);
    const size_t sizes[] = {0, 1, 2, MC_MAX_READS};
    for (size_t s = 0; s < MC_ARRAY_LEN(sizes); s++) {
        size_t n = sizes[s];
        rel_case_open(&k, n);
        rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, n, n, MC_OK);
        rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, n, n + 7, MC_OK);
        /* a fresh ephemeral key each time: nothing of one box in another */
        rel_seal(&again, k.keys, n, &k.log, &k.reader);
        assert_memory_not_equal(k.box.p, again.p, 32);
        assert_memory_not_equal(k.box.p + 32, again.p + 32, MC_BOX_MACBYTES);
        /* the keys are not in the clear */
        if (n) assert_null(memmem(k.box.p, k.box.n, k.keys[n - 1].key, MC_ENV_KEYBYTES));
        rel_case_close(&k);
    }
    /* a seal appends to what the buffer holds */
    rel_case_open(&k, 2);
    mc_buf_reset(&k.box);
    assert_ok(mc_buf_append(&k.box, "hdr", 3));
    assert_ok(mc_env_release_seal(&k.box, k.keys, 2, &k.log, &k.reader.box_pk));
    assert_int_equal(k.box.n, 3 + REL_HEAD + 2 * REL_ITEM);
    assert_memory_equal(k.box.p, "hdr", 3);
    rel_open(k.box.p + 3, k.box.n - 3, &k.log, &k.reader, k.keys, 2, 2, MC_OK);
    rel_case_close(&k);
    mc_buf_free(&again);
}

/* A box opens for its reader's key pair and its log only. */
static void test_release_bound(void **state)
{
    (void)state;
    rel_case k;
    rel_case_open(&k, 3);
    mc_test_key other, mixed;
    mc_test_key_new(&other);
    mc_hash log2 = k.log;
    log2.b[31] ^= 0x80;
    rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 3, 3, MC_OK);
    rel_open(k.box.p, k.box.n, &log2, &k.reader, k.keys, 3, 3, MC_ECRYPTO); /* another log */
    rel_open(k.box.p, k.box.n, &k.log, &other, k.keys, 3, 3, MC_ECRYPTO);   /* another reader */
    mixed = k.reader; /* my secret with another public key: another nonce */
    mixed.box_pk = other.box_pk;
    rel_open(k.box.p, k.box.n, &k.log, &mixed, k.keys, 3, 3, MC_ECRYPTO);
    mixed = other; /* another secret with my public key: another shared key */
    mixed.box_pk = k.reader.box_pk;
    rel_open(k.box.p, k.box.n, &k.log, &mixed, k.keys, 3, 3, MC_ECRYPTO);
    /* the same keys sealed for another log do not open under the first */
    rel_seal(&k.box, k.keys, 3, &log2, &k.reader);
    rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 3, 3, MC_ECRYPTO);
    rel_open(k.box.p, k.box.n, &log2, &k.reader, k.keys, 3, 3, MC_OK);
    rel_case_close(&k);
}

static void test_release_tamper(void **state)
{
    (void)state;
    rel_case k;
    rel_case_open(&k, 3);
    /* every byte: ephemeral key (even its unused top bit: it is in the nonce), MAC, count, items */
    for (size_t off = 0; off < k.box.n; off++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            k.box.p[off] ^= (uint8_t)(1u << bit);
            rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 3, 3, MC_ECRYPTO);
            k.box.p[off] ^= (uint8_t)(1u << bit);
        }
    }
    rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 3, 3, MC_OK);
    rel_case_close(&k);
}

/* Truncated or extended boxes, and a cap smaller than the count. */
static void test_release_shape(void **state)
{
    (void)state;
    rel_case k;
    rel_case_open(&k, 3);
    mc_buf *box = &k.box;
    for (size_t n = 0; n < box->n; n++) {
        /* a length that is no box's is refused unopened; a box's length fails its MAC */
        int shaped = n >= REL_HEAD && (n - REL_HEAD) % REL_ITEM == 0;
        rel_open(box->p, n, &k.log, &k.reader, k.keys, 3, 3, shaped ? MC_ECRYPTO : MC_ECORRUPT);
    }
    assert_ok(mc_buf_append(box, "x", 1));
    rel_open(box->p, box->n, &k.log, &k.reader, k.keys, 3, 4, MC_ECORRUPT);
    uint8_t item[REL_ITEM - 1];
    mc_random(item, sizeof item);
    assert_ok(mc_buf_append(box, item, sizeof item)); /* one item more */
    rel_open(box->p, box->n, &k.log, &k.reader, k.keys, 3, 4, MC_ECRYPTO);
    rel_open(box->p, box->n, &k.log, &k.reader, k.keys, 3, 3, MC_ETOOBIG);
    box->n -= REL_ITEM;
    rel_open(box->p, box->n, &k.log, &k.reader, k.keys, 3, 3, MC_OK);
    rel_open(box->p, box->n, &k.log, &k.reader, k.keys, 3, 2, MC_ETOOBIG);
    rel_open(box->p, box->n, &k.log, &k.reader, k.keys, 3, 0, MC_ETOOBIG);
    rel_case_close(&k);
}

/* A box made by hand from docs/format.md: ephemeral pk | crypto_box of count and items, nonce the
 * first 24 bytes of H("medchain/release", ephemeral pk | reader pk | log). */
static void rel_box_by_hand(mc_buf *out, uint32_t count, const mc_env_released_key *keys, size_t n,
                            const mc_hash *log, const mc_box_pk *reader_pk)
{
    mc_box_pk eph;
    mc_box_sk eph_sk;
    uint8_t k[MC_BOX_SHAREDBYTES], pt[4 + 4 * REL_ITEM], box[sizeof pt + MC_BOX_MACBYTES];
    assert_true(n <= 4);
    mc_box_keypair(&eph, &eph_sk);
    assert_ok(mc_box_shared(k, reader_pk, &eph_sk));
    mc_put_u32be(pt, count);
    for (size_t i = 0; i < n; i++) {
        memcpy(pt + 4 + i * REL_ITEM, keys[i].record.b, 32);
        memcpy(pt + 4 + i * REL_ITEM + 32, keys[i].key, MC_ENV_KEYBYTES);
    }
    mc_sha256_ctx c;
    mc_hash nonce;
    mc_hash_tagged_init(&c, "medchain/release");
    mc_sha256_update(&c, eph.b, 32);
    mc_sha256_update(&c, reader_pk->b, 32);
    mc_sha256_update(&c, log->b, 32);
    mc_sha256_final(&c, &nonce);
    mc_box_encrypt_afternm(box, pt, 4 + n * REL_ITEM, nonce.b, k);
    mc_buf_reset(out);
    assert_ok(mc_buf_append(out, eph.b, 32));
    assert_ok(mc_buf_append(out, box, MC_BOX_MACBYTES + 4 + n * REL_ITEM));
}

static void test_release_format(void **state)
{
    (void)state;
    rel_case k;
    rel_case_open(&k, 2);
    const mc_box_pk *pk = &k.reader.box_pk;
    rel_box_by_hand(&k.box, 2, k.keys, 2, &k.log, pk);
    rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 2, 2, MC_OK);
    rel_box_by_hand(&k.box, 0, NULL, 0, &k.log, pk);
    rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 0, 0, MC_OK);
    /* a count that disagrees with the items it holds */
    rel_box_by_hand(&k.box, 1, k.keys, 2, &k.log, pk);
    rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 2, 2, MC_ECORRUPT);
    rel_box_by_hand(&k.box, 3, k.keys, 2, &k.log, pk);
    rel_open(k.box.p, k.box.n, &k.log, &k.reader, k.keys, 2, 4, MC_ECORRUPT);
    rel_case_close(&k);
}

static void test_release_limits_and_args(void **state)
{
    (void)state;
    rel_case k;
    rel_case_open(&k, MC_MAX_READS + 1); /* one key too many: nothing sealed */
    mc_buf *box = &k.box;
    const mc_box_pk *pk = &k.reader.box_pk;
    const mc_box_sk *sk = &k.reader.box_sk;
    assert_rc(mc_env_release_seal(box, k.keys, MC_MAX_READS + 1, &k.log, pk), MC_ETOOBIG);
    assert_int_equal(box->n, 0);
    /* the buffer's cap */
    mc_buf small;
    mc_buf_init(&small, REL_HEAD + REL_ITEM - 1);
    assert_rc(mc_env_release_seal(&small, k.keys, 1, &k.log, pk), MC_ETOOBIG);
    assert_int_equal(small.n, 0);
    assert_ok(mc_env_release_seal(&small, k.keys, 0, &k.log, pk));
    mc_buf_free(&small);
    /* a low-order reader key would give a shared key anyone knows */
    mc_box_pk zero;
    memset(zero.b, 0, 32);
    assert_rc(mc_env_release_seal(box, k.keys, 1, &k.log, &zero), MC_ECRYPTO);
    assert_int_equal(box->n, 0);
    /* NULL arguments */
    assert_rc(mc_env_release_seal(NULL, k.keys, 1, &k.log, pk), MC_EINVAL);
    assert_rc(mc_env_release_seal(box, NULL, 1, &k.log, pk), MC_EINVAL);
    assert_rc(mc_env_release_seal(box, k.keys, 1, NULL, pk), MC_EINVAL);
    assert_rc(mc_env_release_seal(box, k.keys, 1, &k.log, NULL), MC_EINVAL);
    assert_int_equal(box->n, 0);
    assert_ok(mc_env_release_seal(box, NULL, 0, &k.log, pk));
    assert_int_equal(box->n, REL_HEAD);
    rel_seal(box, k.keys, 1, &k.log, &k.reader);
    mc_env_released_key got;
    size_t n = 99;
    assert_rc(mc_env_release_open(NULL, 1, &n, box->p, box->n, &k.log, pk, sk), MC_EINVAL);
    assert_int_equal(n, 0);
    assert_rc(mc_env_release_open(&got, 1, NULL, box->p, box->n, &k.log, pk, sk), MC_EINVAL);
    n = 99;
    assert_rc(mc_env_release_open(&got, 1, &n, NULL, box->n, &k.log, pk, sk), MC_EINVAL);
    assert_int_equal(n, 0);
    n = 99;
    assert_rc(mc_env_release_open(&got, 1, &n, box->p, box->n, NULL, pk, sk), MC_EINVAL);
    assert_int_equal(n, 0);
    assert_rc(mc_env_release_open(&got, 1, &n, box->p, box->n, &k.log, NULL, sk), MC_EINVAL);
    assert_rc(mc_env_release_open(&got, 1, &n, box->p, box->n, &k.log, pk, NULL), MC_EINVAL);
    assert_ok(mc_env_release_open(&got, 1, &n, box->p, box->n, &k.log, pk, sk));
    assert_int_equal(n, 1);
    assert_memory_equal(&got, k.keys, sizeof got);
    rel_case_close(&k);
}

/* ------------------------------------------------------------------------------------------ */
/* A record opened with its data key                                                           */

/* A patient and a custodian, and a record of the patient's sealed for both. */
typedef struct {
    mc_test_key patient, custodian;
    mc_wrapper *w;
    mc_body_anchor a;
    mc_buf c;
    uint8_t key[MC_ENV_KEYBYTES]; /* the data key, as the custodian unwraps it */
} rel_record;

static void rel_record_seal(rel_record *r, const mc_test_key *patient, const mc_test_key *custodian,
                            const uint8_t *pt, size_t n)
{
    memset(r, 0, sizeof *r);
    r->patient = *patient;
    r->custodian = *custodian;
    mc_env_recipient rcpt[2] = {{patient->id, patient->box_pk}, {custodian->id, custodian->box_pk}};
    assert_ok(mc_wrapper_new(&r->w));
    mc_random(r->a.record.b, 32);
    r->a.patient = patient->id;
    mc_buf_init(&r->c, 2u << 20);
    assert_ok(mc_env_seal(&r->c, &r->a, r->w, pt, n, rcpt, 2));
    const mc_wrapped_key *wk = mc_env_find_key(&r->a, &custodian->id);
    assert_non_null(wk);
    assert_ok(mc_env_unwrap(r->key, wk, &r->a.record, &custodian->box_pk, &custodian->box_sk));
}

static void rel_record_free(rel_record *r)
{
    mc_wrapper_free(r->w);
    mc_buf_free(&r->c);
    mc_wipe(r->key, sizeof r->key);
}

/* Opens ciphertext @p c with anchor @p a and @p key, expecting @p want (and @p pt on MC_OK). */
static void rel_open_key(const mc_buf *c, const mc_body_anchor *a, const uint8_t *key, const uint8_t *pt,
                         size_t n, int want)
{
    mc_buf out;
    mc_buf_init(&out, 2u << 20);
    assert_rc(mc_env_open_key(&out, c->p, c->n, a, key), want);
    assert_int_equal(out.n, want == MC_OK ? n : 0);
    if (want == MC_OK && n) assert_memory_equal(out.p, pt, n);
    mc_buf_free_wipe(&out);
}

static void test_open_key(void **state)
{
    (void)state;
    mc_test_key patient, custodian;
    mc_test_key_new(&patient);
    mc_test_key_new(&custodian);
    const size_t sizes[] = {0, 1, 4096};
    uint8_t *pt = malloc(4096);
    assert_non_null(pt);
    mc_random(pt, 4096);
    rel_record r, o;
    for (size_t s = 0; s < MC_ARRAY_LEN(sizes); s++) {
        rel_record_seal(&r, &patient, &custodian, pt, sizes[s]);
        rel_open_key(&r.c, &r.a, r.key, pt, sizes[s], MC_OK);
        rel_record_free(&r);
    }
    rel_record_seal(&r, &patient, &custodian, pt, 100);
    rel_record_seal(&o, &patient, &custodian, pt, 100); /* the same plaintext, another record */
    /* a wrong key: one bit off, or another record's */
    uint8_t bad[MC_ENV_KEYBYTES];
    memcpy(bad, r.key, sizeof bad);
    bad[0] ^= 1;
    rel_open_key(&r.c, &r.a, bad, pt, 100, MC_ECORRUPT);
    rel_open_key(&r.c, &r.a, o.key, pt, 100, MC_ECORRUPT);
    /* another record's anchor: its bytes are not these; with its bytes, not this key */
    rel_open_key(&r.c, &o.a, r.key, pt, 100, MC_ECORRUPT);
    rel_open_key(&o.c, &o.a, r.key, pt, 100, MC_ECORRUPT);
    rel_open_key(&o.c, &o.a, o.key, pt, 100, MC_OK);
    /* the anchor's record, patient and commitment are all checked */
    mc_body_anchor x = r.a;
    x.record = o.a.record;
    rel_open_key(&r.c, &x, r.key, pt, 100, MC_ECORRUPT);
    x = r.a;
    x.patient.b[3] ^= 1;
    rel_open_key(&r.c, &x, r.key, pt, 100, MC_ECORRUPT);
    x = r.a;
    x.commitment.b[0] ^= 1;
    rel_open_key(&r.c, &x, r.key, pt, 100, MC_ECORRUPT);
    /* altered ciphertext, even re-anchored */
    for (size_t off = 0; off < r.c.n; off += 7) {
        r.c.p[off] ^= 0x10;
        rel_open_key(&r.c, &r.a, r.key, pt, 100, MC_ECORRUPT);
        x = r.a;
        mc_sha256(&x.cipher_hash, r.c.p, r.c.n);
        rel_open_key(&r.c, &x, r.key, pt, 100, MC_ECORRUPT);
        r.c.p[off] ^= 0x10;
    }
    /* the plaintext is appended */
    mc_buf out;
    mc_buf_init(&out, 1 << 16);
    assert_ok(mc_buf_append(&out, "hdr", 3));
    assert_ok(mc_env_open_key(&out, r.c.p, r.c.n, &r.a, r.key));
    assert_int_equal(out.n, 103);
    assert_memory_equal(out.p + 3, pt, 100);
    mc_buf_reset(&out);
    /* NULL arguments */
    assert_rc(mc_env_open_key(NULL, r.c.p, r.c.n, &r.a, r.key), MC_EINVAL);
    assert_rc(mc_env_open_key(&out, NULL, r.c.n, &r.a, r.key), MC_EINVAL);
    assert_rc(mc_env_open_key(&out, r.c.p, r.c.n, NULL, r.key), MC_EINVAL);
    assert_rc(mc_env_open_key(&out, r.c.p, r.c.n, &r.a, NULL), MC_EINVAL);
    assert_int_equal(out.n, 0);
    mc_buf_free(&out);
    rel_record_free(&r);
    rel_record_free(&o);
    free(pt);
}

/* The whole path: the custodian unwraps each record's key, releases them in one box, the reader
 * opens the box and each record with the key beside its id, and no other. */
/* The unwrap cache gives what mc_env_unwrap gives: over many ephemeral keys (more than its slots),
 * with two recipient keys, and refuses what mc_env_unwrap refuses. */
static void test_unwrap_cached(void **state)
{
    (void)state;
    mc_box_pk pk[2];
    mc_box_sk sk[2];
    mc_box_keypair(&pk[0], &sk[0]);
    mc_box_keypair(&pk[1], &sk[1]);
    mc_unwrap_cache *c;
    assert_int_equal(mc_unwrap_cache_new(NULL), MC_EINVAL);
    assert_ok(mc_unwrap_cache_new(&c));
    mc_id to = {{7}};
    for (int round = 0; round < 3 * (int)MC_UNWRAP_CACHE_SLOTS; round++) {
        mc_wrapper *w;
        assert_ok(mc_wrapper_new(&w)); /* a fresh ephemeral key each round */
        for (int k = 0; k < 4; k++) {
            uint8_t key[32], got[32], want[32];
            mc_hash rec;
            mc_random(key, sizeof key);
            mc_random(rec.b, sizeof rec.b);
            int who = (round + k) & 1;
            mc_wrapped_key wk;
            assert_ok(mc_env_wrap(w, &wk, key, &rec, &to, &pk[who]));
            assert_ok(mc_env_unwrap_cached(c, got, &wk, &rec, &pk[who], &sk[who]));
            assert_ok(mc_env_unwrap(want, &wk, &rec, &pk[who], &sk[who]));
            assert_memory_equal(got, key, 32);
            assert_memory_equal(want, key, 32);
            /* the other key, another record, a flipped byte: refused, and the output zeroed */
            assert_int_equal(mc_env_unwrap_cached(c, got, &wk, &rec, &pk[!who], &sk[!who]), MC_ECRYPTO);
            assert_true(mc_all_zero(got, 32));
            rec.b[0] ^= 1;
            assert_int_equal(mc_env_unwrap_cached(c, got, &wk, &rec, &pk[who], &sk[who]), MC_ECRYPTO);
            rec.b[0] ^= 1;
            wk.sealed[40] ^= 1;
            assert_int_equal(mc_env_unwrap_cached(c, got, &wk, &rec, &pk[who], &sk[who]), MC_ECRYPTO);
        }
        mc_wrapper_free(w);
    }
    uint8_t out[32];
    mc_wrapped_key wk;
    memset(&wk, 0, sizeof wk);
    assert_int_equal(mc_env_unwrap_cached(c, NULL, &wk, &(mc_hash){{0}}, &pk[0], &sk[0]), MC_EINVAL);
    assert_int_equal(mc_env_unwrap_cached(c, out, NULL, &(mc_hash){{0}}, &pk[0], &sk[0]), MC_EINVAL);
    mc_unwrap_cache_free(c);
    mc_unwrap_cache_free(NULL);
}

static void test_release_then_open(void **state)
{
    (void)state;
    mc_test_key patient, custodian, reader;
    mc_test_key_new(&patient);
    mc_test_key_new(&custodian);
    mc_test_key_new(&reader);
    uint8_t pt[3][64];
    rel_record r[3];
    mc_env_released_key keys[3], got[3];
    for (int i = 0; i < 3; i++) {
        mc_random(pt[i], sizeof pt[i]);
        rel_record_seal(&r[i], &patient, &custodian, pt[i], sizeof pt[i]);
        keys[i].record = r[i].a.record;
        memcpy(keys[i].key, r[i].key, MC_ENV_KEYBYTES);
    }
    mc_hash log;
    mc_random(log.b, 32);
    mc_buf box;
    mc_buf_init(&box, 1 << 16);
    rel_seal(&box, keys, 3, &log, &reader);
    size_t n = 0;
    assert_ok(mc_env_release_open(got, 3, &n, box.p, box.n, &log, &reader.box_pk, &reader.box_sk));
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(got[i].record.b, r[i].a.record.b, 32);
        rel_open_key(&r[i].c, &r[i].a, got[i].key, pt[i], sizeof pt[i], MC_OK);
        rel_open_key(&r[i].c, &r[i].a, got[(i + 1) % 3].key, pt[i], sizeof pt[i], MC_ECORRUPT);
    }
    mc_wipe(got, sizeof got);
    mc_wipe(keys, sizeof keys);
    for (int i = 0; i < 3; i++) rel_record_free(&r[i]);
    mc_buf_free(&box);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_roundtrip), cmocka_unit_test(test_release_bound),
        cmocka_unit_test(test_release_tamper),    cmocka_unit_test(test_release_shape),
        cmocka_unit_test(test_release_format),    cmocka_unit_test(test_release_limits_and_args),
        cmocka_unit_test(test_open_key),          cmocka_unit_test(test_release_then_open),
        cmocka_unit_test(test_unwrap_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
