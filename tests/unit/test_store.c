/* store: the LMDB environment, raw get/put/iterate, typed records and the state digest. */
#include <stdio.h>
#include <string.h>

#include "medchain/store.h"
#include "testutil.h"

/* A store in its own scratch directory. */
typedef struct {
    char dir[PATH_MAX];
    mc_store *st;
} mc_tstore;

static void mc_tstore_open(mc_tstore *t)
{
    mc_test_tmpdir(t->dir);
    mc_store_opts o = {.map_size = 64u << 20};
    assert_ok(mc_store_open(&t->st, t->dir, &o));
}

static void mc_tstore_close(mc_tstore *t)
{
    mc_store_close(t->st);
    mc_test_rmtree(t->dir);
}

static mc_store_txn *mc_begin(mc_store *st, int write)
{
    mc_store_txn *txn = NULL;
    assert_ok(mc_store_begin(st, write, &txn));
    assert_non_null(txn);
    return txn;
}

static void mc_put_str(mc_store_txn *txn, int table, const char *k, const char *v)
{
    assert_ok(mc_store_put(txn, table, k, strlen(k), v, strlen(v)));
}

static void mc_expect(mc_store_txn *txn, int table, const char *k, const char *v)
{
    mc_slice s;
    if (!v) {
        assert_rc(mc_store_get(txn, table, k, strlen(k), &s), MC_ENOTFOUND);
        assert_null(s.p);
        assert_int_equal(s.n, 0);
        return;
    }
    assert_ok(mc_store_get(txn, table, k, strlen(k), &s));
    assert_int_equal(s.n, strlen(v));
    assert_memory_equal(s.p, v, s.n);
}

static void test_open_close(void **state)
{
    (void)state;
    char dir[PATH_MAX], sub[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_store *st = NULL;
    /* read-only: absent is ENOTFOUND, nothing is created */
    mc_test_path(sub, dir, "absent");
    mc_store_opts ro = {.read_only = 1};
    assert_rc(mc_store_open(&st, sub, &ro), MC_ENOTFOUND);
    assert_null(st);
    /* default options (64 GiB of address space, only mapped) and a nested new directory */
    mc_test_path(sub, dir, "a/b/store");
    assert_ok(mc_store_open(&st, sub, NULL));
    mc_store_txn *txn = mc_begin(st, 1);
    mc_put_str(txn, MC_T_META, "k", "v");
    assert_ok(mc_store_commit(txn));
    mc_store_close(st);
    mc_store_close(NULL);
    /* reopened read-only: the data is there, writes are refused */
    assert_ok(mc_store_open(&st, sub, &ro));
    txn = NULL;
    assert_rc(mc_store_begin(st, 1, &txn), MC_EINVAL);
    assert_null(txn);
    txn = mc_begin(st, 0);
    mc_expect(txn, MC_T_META, "k", "v");
    mc_store_abort(txn);
    mc_store_close(st);
    /* a directory that is a file: refused */
    mc_test_path(sub, dir, "file");
    mc_test_file_write(sub, "x", 1);
    assert_rc(mc_store_open(&st, sub, NULL), MC_EIO);
    assert_null(st);
    /* a directory that holds something that is not an LMDB environment */
    mc_test_path(sub, dir, "junk");
    assert_ok(mc_dir_make(sub));
    char f[PATH_MAX];
    mc_test_path(f, sub, "data.mdb");
    char junk[8192];
    memset(junk, 'J', sizeof junk);
    mc_test_file_write(f, junk, sizeof junk);
    int rc = mc_store_open(&st, sub, NULL);
    assert_true(rc == MC_ECORRUPT || rc == MC_EINVAL || rc == MC_EIO);
    assert_null(st);
    mc_test_rmtree(dir);
}

static void test_get_put(void **state)
{
    (void)state;
    mc_tstore t;
    mc_tstore_open(&t);
    mc_store_txn *txn = mc_begin(t.st, 1);
    mc_expect(txn, MC_T_STATE, "k1", NULL);
    mc_put_str(txn, MC_T_STATE, "k1", "one");
    mc_put_str(txn, MC_T_BLOCKS, "k1", "blocks-one"); /* tables are separate */
    mc_expect(txn, MC_T_STATE, "k1", "one");
    mc_expect(txn, MC_T_BLOCKS, "k1", "blocks-one");
    mc_expect(txn, MC_T_META, "k1", NULL);
    mc_put_str(txn, MC_T_STATE, "k1", "uno"); /* overwrite */
    mc_expect(txn, MC_T_STATE, "k1", "uno");
    assert_ok(mc_store_put(txn, MC_T_STATE, "empty", 5, "", 0)); /* an empty value */
    mc_expect(txn, MC_T_STATE, "empty", "");

    /* put_new: only when absent, nothing written otherwise */
    assert_rc(mc_store_put_new(txn, MC_T_STATE, "k1", 2, "x", 1), MC_EEXIST);
    mc_expect(txn, MC_T_STATE, "k1", "uno");
    assert_ok(mc_store_put_new(txn, MC_T_STATE, "k2", 2, "two", 3));
    mc_expect(txn, MC_T_STATE, "k2", "two");

    /* bad arguments */
    mc_slice s;
    char big[512];
    memset(big, 'k', sizeof big);
    assert_rc(mc_store_get(txn, -1, "k", 1, &s), MC_EINVAL);
    assert_rc(mc_store_get(txn, MC_T_COUNT_, "k", 1, &s), MC_EINVAL);
    assert_rc(mc_store_get(txn, MC_T_STATE, "k", 0, &s), MC_EINVAL);
    assert_rc(mc_store_get(txn, MC_T_STATE, big, 512, &s), MC_EINVAL);
    assert_rc(mc_store_put(txn, MC_T_COUNT_, "k", 1, "v", 1), MC_EINVAL);
    assert_rc(mc_store_put(txn, -1, "k", 1, "v", 1), MC_EINVAL);
    assert_rc(mc_store_put(txn, MC_T_STATE, "k", 0, "v", 1), MC_EINVAL);
    assert_rc(mc_store_put(txn, MC_T_STATE, big, 512, "v", 1), MC_EINVAL);
    assert_rc(mc_store_put_new(txn, MC_T_STATE, big, 512, "v", 1), MC_EINVAL);
    assert_ok(mc_store_put(txn, MC_T_STATE, big, 511, "v", 1)); /* the largest key */
    assert_ok(mc_store_get(txn, MC_T_STATE, big, 511, &s));
    assert_ok(mc_store_commit(txn));

    /* committed: visible to later transactions; a reader cannot write */
    txn = mc_begin(t.st, 0);
    mc_expect(txn, MC_T_STATE, "k1", "uno");
    mc_expect(txn, MC_T_STATE, "k2", "two");
    assert_rc(mc_store_put(txn, MC_T_STATE, "k3", 2, "v", 1), MC_EINVAL);
    assert_rc(mc_store_put_new(txn, MC_T_STATE, "k3", 2, "v", 1), MC_EINVAL);
    mc_hash d;
    assert_ok(mc_store_state_digest(txn, &d, 0, &d)); /* nothing written: harmless */
    mc_store_abort(txn);

    /* aborted: gone */
    txn = mc_begin(t.st, 1);
    mc_put_str(txn, MC_T_STATE, "k3", "three");
    mc_put_str(txn, MC_T_STATE, "k1", "changed");
    mc_store_abort(txn);
    mc_store_abort(NULL);
    txn = mc_begin(t.st, 0);
    mc_expect(txn, MC_T_STATE, "k3", NULL);
    mc_expect(txn, MC_T_STATE, "k1", "uno");
    mc_store_abort(txn);

    /* survives a reopen */
    mc_store_close(t.st);
    mc_store_opts o = {.map_size = 64u << 20};
    assert_ok(mc_store_open(&t.st, t.dir, &o));
    txn = mc_begin(t.st, 0);
    mc_expect(txn, MC_T_STATE, "k2", "two");
    mc_store_abort(txn);
    mc_tstore_close(&t);
}

static void test_map_full(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_store *st;
    mc_store_opts o = {.map_size = 1u << 20};
    assert_ok(mc_store_open(&st, dir, &o));
    mc_store_txn *txn = mc_begin(st, 1);
    static uint8_t val[64 * 1024];
    int rc = MC_OK;
    uint32_t i;
    for (i = 0; i < 100 && rc == MC_OK; i++) {
        uint8_t k[4];
        mc_put_u32be(k, i);
        rc = mc_store_put(txn, MC_T_BLOCKS, k, 4, val, sizeof val);
    }
    assert_rc(rc, MC_ETOOBIG); /* 6.4 MB into a 1 MiB map */
    assert_true(i > 2);
    mc_store_abort(txn);
    mc_store_close(st);
    mc_test_rmtree(dir);
}

static void test_iterate(void **state)
{
    (void)state;
    mc_tstore t;
    mc_tstore_open(&t);
    mc_store_txn *txn = mc_begin(t.st, 1);
    mc_store_iter *it = NULL;
    mc_slice k, v;
    /* an empty table */
    assert_ok(mc_store_iter_new(txn, MC_T_TXIDX, NULL, 0, &it));
    assert_rc(mc_store_iter_next(it, &k, &v), MC_ENOTFOUND);
    mc_store_iter_free(it);
    /* written out of order, read in key order (shorter keys first on a common prefix) */
    static const char *const keys[] = {"b", "a", "ab", "c", "aa", "ba"};
    static const char *const sorted[] = {"a", "aa", "ab", "b", "ba", "c"};
    for (size_t i = 0; i < MC_ARRAY_LEN(keys); i++) {
        char val[16];
        snprintf(val, sizeof val, "v-%s", keys[i]);
        mc_put_str(txn, MC_T_TXIDX, keys[i], val);
    }
    assert_ok(mc_store_iter_new(txn, MC_T_TXIDX, NULL, 0, &it));
    for (size_t i = 0; i < MC_ARRAY_LEN(sorted); i++) {
        assert_ok(mc_store_iter_next(it, &k, &v));
        assert_int_equal(k.n, strlen(sorted[i]));
        assert_memory_equal(k.p, sorted[i], k.n);
        assert_int_equal(v.n, k.n + 2);
        assert_memory_equal(v.p + 2, sorted[i], k.n);
    }
    assert_rc(mc_store_iter_next(it, &k, &v), MC_ENOTFOUND);
    assert_rc(mc_store_iter_next(it, &k, &v), MC_ENOTFOUND);
    mc_store_iter_free(it);
    /* from a key: the first key >= it */
    assert_ok(mc_store_iter_new(txn, MC_T_TXIDX, "ab", 2, &it));
    assert_ok(mc_store_iter_next(it, &k, &v));
    assert_memory_equal(k.p, "ab", 2);
    assert_ok(mc_store_iter_next(it, &k, &v));
    assert_memory_equal(k.p, "b", 1);
    mc_store_iter_free(it);
    assert_ok(mc_store_iter_new(txn, MC_T_TXIDX, "bb", 2, &it));
    assert_ok(mc_store_iter_next(it, &k, &v));
    assert_int_equal(k.n, 1);
    assert_memory_equal(k.p, "c", 1);
    assert_rc(mc_store_iter_next(it, &k, &v), MC_ENOTFOUND);
    mc_store_iter_free(it);
    assert_ok(mc_store_iter_new(txn, MC_T_TXIDX, "d", 1, &it));
    assert_rc(mc_store_iter_next(it, &k, &v), MC_ENOTFOUND);
    mc_store_iter_free(it);
    /* a NULL start with a length is the first key */
    assert_ok(mc_store_iter_new(txn, MC_T_TXIDX, NULL, 5, &it));
    assert_ok(mc_store_iter_next(it, &k, &v));
    assert_memory_equal(k.p, "a", 1);
    mc_store_iter_free(it);
    mc_store_iter_free(NULL);
    it = (mc_store_iter *)&t;
    assert_rc(mc_store_iter_new(txn, MC_T_COUNT_, NULL, 0, &it), MC_EINVAL);
    assert_null(it);
    assert_ok(mc_store_commit(txn));
    /* in a read transaction too */
    txn = mc_begin(t.st, 0);
    assert_ok(mc_store_iter_new(txn, MC_T_TXIDX, NULL, 0, &it));
    size_t n = 0;
    while (mc_store_iter_next(it, &k, &v) == MC_OK) n++;
    assert_int_equal(n, MC_ARRAY_LEN(keys));
    mc_store_iter_free(it);
    mc_store_abort(txn);
    mc_tstore_close(&t);
}

static void test_typed_records(void **state)
{
    (void)state;
    mc_tstore t;
    mc_tstore_open(&t);
    mc_store_txn *txn = mc_begin(t.st, 1);

    /* tip */
    uint64_t h = 99;
    mc_hash hash, hash2;
    memset(hash.b, 0x77, 32);
    assert_rc(mc_store_get_tip(txn, &h, &hash2), MC_ENOTFOUND);
    assert_true(h == 0);
    assert_ok(mc_store_put_tip(txn, 12, &hash));
    assert_ok(mc_store_get_tip(txn, &h, &hash2));
    assert_true(h == 12);
    assert_memory_equal(hash2.b, hash.b, 32);

    /* meta */
    mc_slice s;
    assert_rc(mc_store_get_meta(txn, "genesis", &s), MC_ENOTFOUND);
    assert_ok(mc_store_put_meta(txn, "genesis", "G", 1));
    assert_ok(mc_store_get_meta(txn, "genesis", &s));
    assert_int_equal(s.n, 1);
    assert_rc(mc_store_put_meta(txn, "", "x", 1), MC_EINVAL);

    /* blocks, by height */
    assert_rc(mc_store_get_block(txn, 5, &s), MC_ENOTFOUND);
    assert_ok(mc_store_put_block(txn, 5, "block five", 10));
    assert_ok(mc_store_put_block(txn, 0x0100000000000000ull, "far", 3));
    assert_ok(mc_store_get_block(txn, 5, &s));
    assert_memory_equal(s.p, "block five", 10);
    assert_ok(mc_store_get_block(txn, 0x0100000000000000ull, &s));
    assert_int_equal(s.n, 3);
    assert_rc(mc_store_get_block(txn, 4, &s), MC_ENOTFOUND);

    /* transaction locations: first one wins */
    uint32_t idx = 9;
    assert_rc(mc_store_get_txloc(txn, &hash, &h, &idx), MC_ENOTFOUND);
    assert_true(h == 0 && idx == 0);
    assert_ok(mc_store_put_txloc(txn, &hash, 3, 7));
    assert_rc(mc_store_put_txloc(txn, &hash, 4, 0), MC_EEXIST);
    assert_ok(mc_store_get_txloc(txn, &hash, &h, &idx));
    assert_true(h == 3 && idx == 7);

    /* identities */
    mc_test_key k, o;
    mc_test_key_new(&k);
    mc_test_key_new(&o);
    mc_identity idn, got;
    memset(&idn, 0, sizeof idn);
    idn.id = k.id;
    idn.kind = MC_ID_PATIENT;
    idn.status = MC_ID_ACTIVE;
    idn.org = o.id;
    idn.sign_pk = k.pk;
    idn.box_pk = k.box_pk;
    idn.registered_at = 4;
    assert_ok(mc_attrs_parse(&idn.attrs, "lang=en"));
    memset(&got, 0xaa, sizeof got);
    assert_rc(mc_store_get_identity(txn, &k.id, &got), MC_ENOTFOUND);
    assert_int_equal(got.kind, 0);
    assert_ok(mc_store_put_identity(txn, &idn));
    assert_ok(mc_store_get_identity(txn, &k.id, &got));
    assert_memory_equal(&got, &idn, sizeof idn);
    /* a record the decoder refuses (kind 0) reads back as ECORRUPT, never as an identity */
    mc_identity bad = idn;
    bad.kind = 0;
    mc_random(bad.id.b, 32);
    if (mc_store_put_identity(txn, &bad) == MC_OK)
        assert_rc(mc_store_get_identity(txn, &bad.id, &got), MC_ECORRUPT);

    /* nonces: absent is 0 */
    uint64_t nonce = 5;
    assert_ok(mc_store_get_nonce(txn, &k.id, &nonce));
    assert_true(nonce == 0);
    assert_ok(mc_store_put_nonce(txn, &k.id, 41));
    assert_ok(mc_store_get_nonce(txn, &k.id, &nonce));
    assert_true(nonce == 41);

    /* validators */
    uint64_t last = 1;
    assert_rc(mc_store_get_validator(txn, &o.id, &last), MC_ENOTFOUND);
    assert_ok(mc_store_put_validator(txn, &o.id, 1700000000000ull));
    assert_ok(mc_store_get_validator(txn, &o.id, &last));
    assert_true(last == 1700000000000ull);

    /* batches seen */
    assert_rc(mc_store_get_batch_seen(txn, &hash, &h), MC_ENOTFOUND);
    assert_ok(mc_store_put_batch_seen(txn, &hash, 8));
    assert_ok(mc_store_get_batch_seen(txn, &hash, &h));
    assert_true(h == 8);

    /* the state keys are one type byte then the id (docs/format.md) */
    uint8_t key[33];
    key[0] = MC_SK_NONCE;
    memcpy(key + 1, k.id.b, 32);
    assert_ok(mc_store_get(txn, MC_T_STATE, key, 33, &s));
    assert_int_equal(s.n, 8);
    assert_true(mc_get_u64be(s.p) == 41);
    key[0] = MC_SK_IDENTITY;
    assert_ok(mc_store_get(txn, MC_T_STATE, key, 33, &s));
    key[0] = MC_SK_VALIDATOR;
    memcpy(key + 1, o.id.b, 32);
    assert_ok(mc_store_get(txn, MC_T_STATE, key, 33, &s));
    key[0] = MC_SK_BATCH;
    memcpy(key + 1, hash.b, 32);
    assert_ok(mc_store_get(txn, MC_T_STATE, key, 33, &s));

    /* damaged records are ECORRUPT, not garbage */
    assert_ok(mc_store_put(txn, MC_T_META, "tip", 3, "short", 5));
    assert_rc(mc_store_get_tip(txn, &h, &hash2), MC_ECORRUPT);
    key[0] = MC_SK_NONCE;
    memcpy(key + 1, k.id.b, 32);
    assert_ok(mc_store_put(txn, MC_T_STATE, key, 33, "1234567", 7));
    assert_rc(mc_store_get_nonce(txn, &k.id, &nonce), MC_ECORRUPT);
    assert_ok(mc_store_put(txn, MC_T_TXIDX, hash.b, 32, "x", 1));
    assert_rc(mc_store_get_txloc(txn, &hash, &h, &idx), MC_ECORRUPT);
    key[0] = MC_SK_VALIDATOR;
    memcpy(key + 1, o.id.b, 32);
    assert_ok(mc_store_put(txn, MC_T_STATE, key, 33, "", 0));
    assert_rc(mc_store_get_validator(txn, &o.id, &last), MC_ECORRUPT);
    key[0] = MC_SK_IDENTITY;
    memcpy(key + 1, k.id.b, 32);
    assert_ok(mc_store_put(txn, MC_T_STATE, key, 33, "not an identity", 15));
    assert_rc(mc_store_get_identity(txn, &k.id, &got), MC_ECORRUPT);
    /* an identity record under another id's key */
    mc_identity other = idn;
    other.id = o.id;
    assert_ok(mc_store_put_identity(txn, &other));
    mc_slice ov;
    uint8_t okey[33];
    okey[0] = MC_SK_IDENTITY;
    memcpy(okey + 1, o.id.b, 32);
    assert_ok(mc_store_get(txn, MC_T_STATE, okey, 33, &ov));
    uint8_t copy[4096];
    assert_true(ov.n <= sizeof copy);
    memcpy(copy, ov.p, ov.n);
    assert_ok(mc_store_put(txn, MC_T_STATE, key, 33, copy, ov.n));
    assert_rc(mc_store_get_identity(txn, &k.id, &got), MC_ECORRUPT);
    mc_store_abort(txn);
    mc_tstore_close(&t);
}

/* ------------------------------------------------------------------------------------------ */
/* The state digest                                                                             */

typedef struct {
    const char *k, *v;
} mc_kv;

/* Writes @p n pairs in one write transaction, then returns the digest over @p prev at @p h. */
static void mc_digest_of(mc_store *st, const mc_kv *w, size_t n, const mc_hash *prev, uint64_t h,
                         mc_hash *out)
{
    mc_store_txn *txn = mc_begin(st, 1);
    for (size_t i = 0; i < n; i++) mc_put_str(txn, MC_T_STATE, w[i].k, w[i].v);
    assert_ok(mc_store_state_digest(txn, prev, h, out));
    mc_store_abort(txn);
}

/* The documented formula (src/store/digest.c), computed here by hand over a sorted write set. */
static void mc_digest_manual(const mc_kv *sorted, size_t n, const mc_hash *prev, uint64_t h, mc_hash *out)
{
    mc_sha256_ctx c;
    uint8_t b[8];
    mc_hash_tagged_init(&c, "medchain/state");
    mc_sha256_update(&c, prev->b, 32);
    mc_put_u64be(b, h);
    mc_sha256_update(&c, b, 8);
    for (size_t i = 0; i < n; i++) {
        mc_put_u32be(b, (uint32_t)strlen(sorted[i].k));
        mc_sha256_update(&c, b, 4);
        mc_sha256_update(&c, sorted[i].k, strlen(sorted[i].k));
        mc_put_u32be(b, (uint32_t)strlen(sorted[i].v));
        mc_sha256_update(&c, b, 4);
        mc_sha256_update(&c, sorted[i].v, strlen(sorted[i].v));
    }
    mc_sha256_final(&c, out);
}

static void test_state_digest(void **state)
{
    (void)state;
    mc_tstore a, b;
    mc_tstore_open(&a);
    mc_tstore_open(&b);
    mc_hash prev, d1, d2, d3, want;
    memset(prev.b, 0x42, 32);

    static const mc_kv final[] = {{"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}, {"gammaa", ""}};
    static const mc_kv order1[] = {{"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}, {"gammaa", ""}};
    static const mc_kv order2[] = {{"gammaa", ""}, {"gamma", "333"}, {"beta", "22"}, {"alpha", "1"}};
    /* the same final values through overwritten intermediate ones */
    static const mc_kv order3[] = {{"beta", "x"},   {"gamma", "0"}, {"alpha", "1"},   {"beta", "yy"},
                                   {"gammaa", "z"}, {"beta", "22"}, {"gamma", "333"}, {"gammaa", ""}};
    mc_digest_of(a.st, order1, 4, &prev, 7, &d1);
    mc_digest_of(b.st, order2, 4, &prev, 7, &d2);
    mc_digest_of(b.st, order3, 8, &prev, 7, &d3);
    mc_digest_manual(final, 4, &prev, 7, &want);
    assert_memory_equal(d1.b, want.b, 32);
    assert_memory_equal(d2.b, want.b, 32);
    assert_memory_equal(d3.b, want.b, 32);

    /* any final value, key, the previous digest or the height changes it */
    static const mc_kv changed_val[] = {{"alpha", "1"}, {"beta", "23"}, {"gamma", "333"}, {"gammaa", ""}};
    static const mc_kv changed_len[] = {{"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}, {"gammaa", "\x01"}};
    static const mc_kv changed_key[] = {{"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}, {"gammab", ""}};
    static const mc_kv fewer[] = {{"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}};
    /* the length prefixes keep key and value apart: "gamma"+"a3" vs "gammaa"+"3" */
    static const mc_kv shifted[] = {{"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}, {"gamm", "aa"}};
    const mc_kv *variants[] = {changed_val, changed_len, changed_key, shifted};
    for (size_t i = 0; i < MC_ARRAY_LEN(variants); i++) {
        mc_digest_of(a.st, variants[i], 4, &prev, 7, &d2);
        assert_memory_not_equal(d2.b, d1.b, 32);
    }
    mc_digest_of(a.st, fewer, 3, &prev, 7, &d2);
    assert_memory_not_equal(d2.b, d1.b, 32);
    mc_digest_of(a.st, order1, 4, &prev, 8, &d2);
    assert_memory_not_equal(d2.b, d1.b, 32);
    prev.b[31] ^= 1;
    mc_digest_of(a.st, order1, 4, &prev, 7, &d2);
    assert_memory_not_equal(d2.b, d1.b, 32);
    prev.b[31] ^= 1;

    /* only state writes count; a refused put_new is not a write; the set is cleared after */
    mc_store_txn *txn = mc_begin(a.st, 1);
    for (size_t i = 0; i < 4; i++) mc_put_str(txn, MC_T_STATE, order1[i].k, order1[i].v);
    mc_put_str(txn, MC_T_META, "tip", "ignored");
    mc_put_str(txn, MC_T_BLOCKS, "blk", "ignored");
    mc_put_str(txn, MC_T_TXIDX, "tx", "ignored");
    assert_rc(mc_store_put_new(txn, MC_T_STATE, "alpha", 5, "other", 5), MC_EEXIST);
    assert_ok(mc_store_put_new(txn, MC_T_STATE, "new", 3, "n", 1));
    assert_ok(mc_store_state_digest(txn, &prev, 7, &d2));
    static const mc_kv with_new[] = {
        {"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}, {"gammaa", ""}, {"new", "n"}};
    mc_digest_manual(with_new, 5, &prev, 7, &want);
    assert_memory_equal(d2.b, want.b, 32);
    assert_ok(mc_store_state_digest(txn, &d2, 8, &d3)); /* a second block in the same txn */
    mc_digest_manual(NULL, 0, &d2, 8, &want);
    assert_memory_equal(d3.b, want.b, 32);
    assert_ok(mc_store_commit(txn));

    /* many writes in random order: the same digest as in sorted order */
    enum { N = 600 };
    static char keys[N][16], vals[N][16];
    static mc_kv w[N];
    uint64_t rng = 12345;
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "key%05d", i);
        snprintf(vals[i], sizeof vals[i], "v%llu", (unsigned long long)mc_test_rand(&rng) % 1000);
        w[i] = (mc_kv){keys[i], vals[i]};
    }
    mc_digest_manual(w, N, &prev, 1, &want);
    for (int i = N - 1; i > 0; i--) { /* shuffle */
        int j = (int)mc_test_rand_below(&rng, (uint32_t)i + 1);
        mc_kv t = w[i];
        w[i] = w[j];
        w[j] = t;
    }
    mc_digest_of(b.st, w, N, &prev, 1, &d1);
    assert_memory_equal(d1.b, want.b, 32);

    mc_tstore_close(&a);
    mc_tstore_close(&b);
}

/* Collects what mc_store_scan_tokens hands out; stops after @c stop ids (0: never). */
typedef struct {
    mc_hash got[16];
    size_t n, stop;
} mc_tok_got;

static int mc_tok_collect(void *arg, const mc_hash *rid)
{
    mc_tok_got *g = arg;
    assert_true(g->n < 16);
    g->got[g->n++] = *rid;
    return g->stop && g->n == g->stop ? 42 : 0;
}

/* The search-token index: the union of several tokens' records, in record-id order, each once. */
static void test_scan_tokens(void **state)
{
    (void)state;
    mc_tstore t;
    mc_tstore_open(&t);
    mc_hash tok[4], rid[6];
    for (int i = 0; i < 4; i++) memset(tok[i].b, 0x10 * (i + 1), 32);
    for (int i = 0; i < 6; i++) memset(rid[i].b, 0x20 + i, 32); /* increasing */
    /* token 0: r1 r3 r5; token 1: r0 r3; token 2: r4; token 3: nothing */
    static const int marks[][2] = {{0, 1}, {0, 3}, {0, 5}, {1, 0}, {1, 3}, {2, 4}};
    mc_store_txn *txn = mc_begin(t.st, 1);
    for (size_t i = 0; i < MC_ARRAY_LEN(marks); i++) {
        mc_skey k;
        mc_skey_make(&k, MC_SK_TOKEN, tok[marks[i][0]].b, 32, rid[marks[i][1]].b, 32, NULL, 0);
        assert_ok(mc_store_mark(txn, &k));
    }
    /* neighbours under other type bytes must not leak in */
    mc_skey k;
    mc_skey_make(&k, MC_SK_TOKEN + 1, tok[3].b, 32, rid[2].b, 32, NULL, 0);
    assert_ok(mc_store_mark(txn, &k));
    assert_ok(mc_store_commit(txn));

    txn = mc_begin(t.st, 0);
    mc_tok_got g = {0};
    mc_hash q[4] = {tok[0], tok[1], tok[0], tok[3]}; /* a repeat, and one with no records */
    assert_ok(mc_store_scan_tokens(txn, q, 4, NULL, mc_tok_collect, &g));
    static const int want[] = {0, 1, 3, 5};
    assert_int_equal(g.n, 4);
    for (size_t i = 0; i < g.n; i++) assert_memory_equal(g.got[i].b, rid[want[i]].b, 32);
    /* after r1 */
    memset(&g, 0, sizeof g);
    assert_ok(mc_store_scan_tokens(txn, q, 2, &rid[1], mc_tok_collect, &g));
    assert_int_equal(g.n, 2);
    assert_memory_equal(g.got[0].b, rid[3].b, 32);
    assert_memory_equal(g.got[1].b, rid[5].b, 32);
    /* the callback stops the merge, and its value comes back */
    mc_tok_got s = {.stop = 2};
    mc_hash all[3] = {tok[2], tok[1], tok[0]};
    assert_rc(mc_store_scan_tokens(txn, all, 3, NULL, mc_tok_collect, &s), 42);
    assert_int_equal(s.n, 2);
    assert_memory_equal(s.got[0].b, rid[0].b, 32);
    assert_memory_equal(s.got[1].b, rid[1].b, 32);
    memset(&g, 0, sizeof g);
    assert_ok(mc_store_scan_tokens(txn, all, 3, NULL, mc_tok_collect, &g));
    assert_int_equal(g.n, 5); /* r0 r1 r3 r4 r5 */
    memset(&g, 0, sizeof g);
    assert_ok(mc_store_scan_tokens(txn, &tok[3], 1, NULL, mc_tok_collect, &g));
    assert_int_equal(g.n, 0);
    /* bad arguments */
    mc_hash many[MC_MAX_TOKENS + 1];
    memset(many, 0, sizeof many);
    assert_rc(mc_store_scan_tokens(txn, q, 0, NULL, mc_tok_collect, &g), MC_EINVAL);
    assert_rc(mc_store_scan_tokens(txn, many, MC_MAX_TOKENS + 1, NULL, mc_tok_collect, &g), MC_EINVAL);
    assert_rc(mc_store_scan_tokens(txn, NULL, 1, NULL, mc_tok_collect, &g), MC_EINVAL);
    assert_rc(mc_store_scan_tokens(txn, q, 1, NULL, NULL, &g), MC_EINVAL);
    assert_ok(mc_store_scan_tokens(txn, many, MC_MAX_TOKENS, NULL, mc_tok_collect, &g));
    mc_store_abort(txn);

    /* a damaged key under the prefix is damage */
    txn = mc_begin(t.st, 1);
    uint8_t bad[1 + 32 + 5];
    bad[0] = MC_SK_TOKEN;
    memcpy(bad + 1, tok[2].b, 32);
    memset(bad + 33, 0, 5);
    assert_ok(mc_store_put(txn, MC_T_STATE, bad, sizeof bad, "", 0));
    assert_ok(mc_store_commit(txn));
    txn = mc_begin(t.st, 0);
    assert_rc(mc_store_scan_tokens(txn, &tok[2], 1, NULL, mc_tok_collect, &g), MC_ECORRUPT);
    mc_store_abort(txn);
    mc_tstore_close(&t);
}

/* Attestations: per (height, validator), the first one kept; scans stay within one height. */
typedef struct {
    size_t n;
    mc_id ids[8];
    uint8_t first_hash_byte[8];
} mc_att_seen;

static int mc_att_collect(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    mc_att_seen *s = arg;
    if (s->n >= 8) return 99;
    s->ids[s->n] = *validator;
    s->first_hash_byte[s->n] = hh->b[0];
    assert_int_equal(sig->b[0], hh->b[0]);
    s->n++;
    return 0;
}

static void test_attest(void **state)
{
    (void)state;
    mc_tstore t;
    mc_tstore_open(&t);
    mc_store_txn *txn = mc_begin(t.st, 1);
    mc_id v[3];
    mc_hash hh;
    mc_sig sig;
    for (int i = 0; i < 3; i++) memset(v[i].b, 0x30 + (3 - i), 32); /* stored out of order */
    for (uint64_t h = 4; h <= 6; h++)
        for (int i = 0; i < 3; i++) {
            memset(hh.b, (int)(h * 16 + (uint64_t)i), 32);
            memset(sig.b, hh.b[0], 64);
            assert_ok(mc_store_put_attest(txn, h, &v[i], &hh, &sig));
        }
    /* the same again is fine; another header for (5, v[0]) is refused and changes nothing */
    memset(hh.b, 5 * 16, 32);
    memset(sig.b, hh.b[0], 64);
    assert_ok(mc_store_put_attest(txn, 5, &v[0], &hh, &sig));
    memset(hh.b, 0xee, 32);
    assert_rc(mc_store_put_attest(txn, 5, &v[0], &hh, &sig), MC_EEXIST);
    assert_ok(mc_store_commit(txn));

    txn = mc_begin(t.st, 0);
    mc_att_seen s = {0};
    assert_ok(mc_store_scan_attests(txn, 5, mc_att_collect, &s));
    assert_int_equal(s.n, 3);
    /* validator id order */
    assert_memory_equal(s.ids[0].b, v[2].b, 32);
    assert_memory_equal(s.ids[2].b, v[0].b, 32);
    assert_int_equal(s.first_hash_byte[2], 5 * 16);
    memset(&s, 0, sizeof s);
    assert_ok(mc_store_scan_attests(txn, 7, mc_att_collect, &s));
    assert_int_equal(s.n, 0);
    assert_ok(mc_store_scan_attests(txn, 3, mc_att_collect, &s));
    assert_int_equal(s.n, 0);
    /* a read-only transaction writes nothing */
    assert_rc(mc_store_put_attest(txn, 9, &v[0], &hh, &sig), MC_EINVAL);

    /* the certified height */
    uint64_t ch = 1;
    mc_hash chh;
    assert_rc(mc_store_get_certified(txn, &ch, &chh), MC_ENOTFOUND);
    assert_true(ch == 0);
    mc_store_abort(txn);
    txn = mc_begin(t.st, 1);
    assert_ok(mc_store_put_certified(txn, 6, &hh));
    assert_ok(mc_store_get_certified(txn, &ch, &chh));
    assert_true(ch == 6);
    assert_memory_equal(chh.b, hh.b, 32);
    assert_ok(mc_store_put(txn, MC_T_ATTEST, "cert", 4, "short", 5));
    assert_rc(mc_store_get_certified(txn, &ch, &chh), MC_ECORRUPT);
    /* the alarm, and neither special key shows in a height's scan */
    uint64_t ah = 1;
    assert_rc(mc_store_get_alarm(txn, &ah), MC_ENOTFOUND);
    assert_true(ah == 0);
    assert_ok(mc_store_put_alarm(txn, 5));
    assert_ok(mc_store_get_alarm(txn, &ah));
    assert_true(ah == 5);
    memset(&s, 0, sizeof s);
    assert_ok(mc_store_scan_attests(txn, 6, mc_att_collect, &s));
    assert_int_equal(s.n, 3);
    mc_store_abort(txn);
    mc_tstore_close(&t);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_close),    cmocka_unit_test(test_get_put),
        cmocka_unit_test(test_map_full),      cmocka_unit_test(test_iterate),
        cmocka_unit_test(test_typed_records), cmocka_unit_test(test_state_digest),
        cmocka_unit_test(test_scan_tokens),   cmocka_unit_test(test_attest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
