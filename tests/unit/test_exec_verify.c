/*
 * exec, part 3: determinism across stores, verification threads, caches and restarts (a
 * seeded property test: MC_TEST_SEED replays another run), and mc_exec_verify on good and
 * damaged chains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exectest.h"

/* ------------------------------------------------------------------------------------------ */
/* Determinism: the same ordered batches give the same blocks, digests and state everywhere.   */

#define MC_SIM_ACTORS 40
typedef struct {
    mc_who who;
    uint8_t kind;
    int org;        /* index of its org actor */
    int registered; /* as far as the model knows */
} mc_actor;

/* What a generated transaction would do if it succeeds (applied to the model afterwards). */
typedef struct {
    int op; /* 0 none, 1 register, 2 rotate */
    int target;
    mc_test_key key;
} mc_effect;

typedef struct {
    mc_test_net *net;
    uint64_t rng;
    mc_actor a[MC_SIM_ACTORS];
    int n;
    mc_test_txs *txs;
    mc_buf body;
    mc_effect eff[MC_TEST_MAX_TXS];
    mc_buf history; /* bytes of earlier transactions, for replays */
    size_t hist_off[512];
    size_t hist_len[512];
    int nhist;
} mc_sim;

static uint32_t mc_sim_rand(mc_sim *s, uint32_t n)
{
    return mc_test_rand_below(&s->rng, n);
}

static int mc_sim_pick_registered(mc_sim *s)
{
    for (int tries = 0; tries < 50; tries++) {
        int i = (int)mc_sim_rand(s, (uint32_t)s->n);
        if (s->a[i].registered) return i;
    }
    return 0;
}

static void mc_sim_add(mc_sim *s, int signer, uint16_t kind, const mc_sign_sk *sk, uint64_t nonce,
                       const mc_hash *chain, mc_effect eff)
{
    mc_actor *a = &s->a[signer];
    s->eff[s->txs->n] = eff;
    assert_ok(mc_test_txs_add(s->txs, chain, &a->who.id, sk, nonce, kind, &s->body, NULL));
    mc_slice t = mc_test_txs_get(s->txs, s->txs->n - 1);
    if (s->nhist < 512) {
        s->hist_off[s->nhist] = s->history.n;
        s->hist_len[s->nhist++] = t.n;
        assert_ok(mc_buf_append(&s->history, t.p, t.n));
    }
}

/* One random transaction: mostly plausible, some deliberately broken. */
static void mc_sim_tx(mc_sim *s)
{
    static const uint8_t kinds[] = {MC_ID_PROVIDER,   MC_ID_PATIENT, MC_ID_AUDITOR,
                                    MC_ID_RESEARCHER, MC_ID_NODE,    MC_ID_ORG};
    uint32_t what = mc_sim_rand(s, 100);
    mc_effect none = {0, 0, {{{0}}, {{0}}, {{0}}, {{0}}, {{0}}}};
    mc_effect eff = none;
    int signer = mc_sim_pick_registered(s);
    mc_actor *sa = &s->a[signer];
    const mc_sign_sk *sk = &sa->who.key.sk;
    uint64_t nonce = ++sa->who.nonce;
    uint16_t kind = MC_TX_IDENTITY_REGISTER;
    const mc_hash *chain = &s->net->chain;
    mc_hash other;
    mc_test_key k;
    mc_buf_reset(&s->body);
    /* broken transactions below may share ids (an empty body, the same signer and nonce) with
     * different signature bytes: results must not depend on which node cached what */

    if (what < 35) { /* register: usually by an org, sometimes a key already in use */
        signer = (int)mc_sim_rand(s, 3);
        sa = &s->a[signer];
        sk = &sa->who.key.sk;
        nonce = ++sa->who.nonce;
        uint8_t ik = kinds[mc_sim_rand(s, MC_ARRAY_LEN(kinds))];
        int slot = s->n < MC_SIM_ACTORS && mc_sim_rand(s, 5) ? s->n : mc_sim_pick_registered(s);
        if (slot == s->n) {
            mc_who_new(&s->a[slot].who);
            s->a[slot].kind = ik;
            s->a[slot].org = signer;
            s->a[slot].registered = 0;
            s->n++;
        }
        k = s->a[slot].who.key;
        int cosign = ik == MC_ID_PATIENT ? mc_sim_rand(s, 10) != 0 : mc_sim_rand(s, 10) == 0;
        mc_buf_reset(&s->body);
        assert_ok(mc_test_body_register(&s->body, ik, &sa->who.id, &k, mc_sim_rand(s, 2) ? "role=x" : "",
                                        cosign ? &k : NULL, chain));
        eff = (mc_effect){1, slot, k};
    } else if (what < 55) { /* rotate: self or by the org; now and then to the same key */
        int target = mc_sim_rand(s, 2) ? signer : mc_sim_pick_registered(s);
        if (mc_sim_rand(s, 2)) {
            signer = s->a[target].org;
            sa = &s->a[signer];
            sk = &sa->who.key.sk;
            nonce = ++sa->who.nonce;
        }
        if (mc_sim_rand(s, 8))
            mc_test_key_new(&k);
        else
            k = s->a[target].who.key;
        mc_buf_reset(&s->body);
        assert_ok(mc_test_body_rotate(&s->body, &s->a[target].who.id, &k));
        kind = MC_TX_IDENTITY_ROTATE;
        eff = (mc_effect){2, target, k};
    } else if (what < 62) { /* revoke (rarely, so the chain does not die out) */
        int target = mc_sim_pick_registered(s);
        if (target < 3) target = 3 % s->n; /* the founding orgs stay */
        mc_buf_reset(&s->body);
        assert_ok(mc_test_body_revoke(&s->body, &s->a[target].who.id, (uint16_t)mc_sim_rand(s, 5)));
        kind = MC_TX_IDENTITY_REVOKE;
    } else if (what < 70 && s->nhist > 0) { /* replay earlier bytes */
        int h = (int)mc_sim_rand(s, (uint32_t)s->nhist);
        s->eff[s->txs->n] = none;
        assert_ok(mc_test_txs_raw(s->txs, s->history.p + s->hist_off[h], s->hist_len[h]));
        --sa->who.nonce;
        return;
    } else if (what < 74) { /* garbage, or a truncated transaction */
        uint8_t junk[100];
        for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)mc_sim_rand(s, 256);
        s->eff[s->txs->n] = none;
        assert_ok(mc_test_txs_raw(s->txs, junk, 1 + mc_sim_rand(s, sizeof junk - 1)));
        --sa->who.nonce;
        return;
    } else if (what < 78) { /* another chain */
        mc_random(other.b, 32);
        chain = &other;
    } else if (what < 82) { /* signed with a key that is not the signer's */
        static mc_test_key wrong;
        mc_test_key_new(&wrong);
        sk = &wrong.sk;
    } else if (what < 86) { /* an unknown kind */
        kind = (uint16_t)(4 + mc_sim_rand(s, 1000));
    } else if (what < 90) { /* a stale nonce */
        nonce = 1 + mc_sim_rand(s, (uint32_t)nonce);
    } else if (what < 94) { /* a signer nobody registered */
        mc_test_key_new(&k);
        mc_actor ghost = {{k, k.id, 0}, MC_ID_PROVIDER, 0, 0};
        s->eff[s->txs->n] = none;
        mc_buf_reset(&s->body);
        assert_ok(mc_test_body_revoke(&s->body, &s->a[0].who.id, 0));
        assert_ok(
            mc_test_txs_add(s->txs, chain, &ghost.who.id, &k.sk, 1, MC_TX_IDENTITY_REVOKE, &s->body, NULL));
        --sa->who.nonce;
        return;
    } else { /* a body that does not decode for its kind */
        kind = (uint16_t)(1 + mc_sim_rand(s, 3));
        mc_buf_reset(&s->body);
        assert_ok(mc_buf_append(&s->body, "\x07\x07\x07", 1 + mc_sim_rand(s, 3)));
    }
    mc_sim_add(s, signer, kind, sk, nonce, chain, eff);
}

/* Updates the model from a block's results. */
static void mc_sim_learn(mc_sim *s, const mc_exec_result *r)
{
    for (uint32_t i = 0; i < r->ntx; i++) {
        if (r->results[i] != MC_TXR_OK) continue;
        mc_effect *e = &s->eff[i];
        if (e->op == 1) {
            s->a[e->target].registered = 1;
            s->a[e->target].who.key = e->key;
        } else if (e->op == 2) {
            s->a[e->target].who.key = e->key;
        }
    }
}

/* As a node's admission would: verify each transaction against the signer's current key and
 * remember the good ones in the signature cache. */
static void mc_admit(mc_store *st, mc_sigcache *cache, const uint8_t *batch, size_t n)
{
    mc_batch b;
    if (mc_batch_decode(&b, batch, n) != MC_OK) return;
    mc_store_txn *txn;
    assert_ok(mc_store_begin(st, 0, &txn));
    for (uint32_t i = 0; i < b.ntx; i++) {
        mc_tx tx;
        mc_identity s;
        if (mc_tx_decode(&tx, b.txs[i].p, b.txs[i].n) || mc_store_get_identity(txn, &tx.signer, &s)) continue;
        if (mc_tx_verify(&tx, &s.sign_pk) == MC_OK) mc_sigcache_add(cache, &tx.id, &tx.sig, &s.sign_pk);
    }
    mc_store_abort(txn);
    mc_batch_clear(&b);
}

#define MC_SIM_BATCHES 60

static void test_determinism(void **state)
{
    (void)state;
    uint64_t seed = mc_test_seed();
    print_message("determinism seed %llu (set MC_TEST_SEED to replay another)\n", (unsigned long long)seed);

    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 3, 1));
    mc_tchain A;
    mc_tchain_open(&A, &net, NULL); /* one verification thread, no cache */

    mc_sim s;
    memset(&s, 0, sizeof s);
    s.net = &net;
    s.rng = seed;
    s.txs = &A.txs;
    mc_buf_init(&s.body, MC_MAX_BODY_BYTES);
    mc_buf_init(&s.history, 1 << 22);
    for (int i = 0; i < MC_TEST_ORGS; i++) {
        mc_who_from(&s.a[i].who, &net.org[i]);
        s.a[i].kind = MC_ID_ORG;
        s.a[i].org = i;
        s.a[i].registered = 1;
    }
    s.n = MC_TEST_ORGS;

    /* generate against node A, recording every batch and what A made of it */
    mc_buf all;
    mc_buf_init(&all, 1 << 26);
    size_t off[MC_SIM_BATCHES + 1];
    int applied[MC_SIM_BATCHES];
    mc_hash hh[MC_SIM_BATCHES], digest[MC_SIM_BATCHES];
    uint32_t counts[MC_TXR_COUNT_] = {0};
    for (int bi = 0; bi < MC_SIM_BATCHES; bi++) {
        uint32_t ntx = mc_sim_rand(&s, 12);
        for (uint32_t t = 0; t < ntx; t++) mc_sim_tx(&s);
        uint32_t v = mc_sim_rand(&s, net.nval);
        net.time_ms += mc_sim_rand(&s, 3000);
        if (mc_sim_rand(&s, 3) == 0) net.time_ms -= 1500; /* clocks disagree */
        assert_ok(mc_test_batch(&A.batch, &net, &net.val[v], &A.txs, NULL));
        uint32_t skip = mc_sim_rand(&s, 12);
        if (skip == 0) A.batch.p[A.batch.n - 3] ^= 0x10; /* bad proposer signature */
        if (skip == 1 && bi > 0) {                       /* a batch ordered twice */
            mc_buf_reset(&A.batch);
            assert_ok(mc_buf_append(&A.batch, all.p + off[bi - 1], all.n - off[bi - 1]));
        }
        off[bi] = all.n;
        assert_ok(mc_buf_append(&all, A.batch.p, A.batch.n));
        const mc_exec_result *r = mc_tchain_apply(&A, A.batch.p, A.batch.n);
        applied[bi] = r->applied;
        if (r->applied) {
            hh[bi] = r->header_hash;
            digest[bi] = r->header.state_digest;
            for (uint32_t t = 0; t < r->ntx; t++) counts[r->results[t]]++;
            mc_sim_learn(&s, r);
        }
        mc_test_txs_reset(&A.txs);
    }
    off[MC_SIM_BATCHES] = all.n;

    /* the mix really was mixed */
    uint32_t kinds = 0, total = 0;
    for (int code = 0; code < MC_TXR_COUNT_; code++) {
        kinds += counts[code] > 0;
        total += counts[code];
    }
    print_message("%u transactions, %u distinct results, %u OK\n", total, kinds, counts[MC_TXR_OK]);
    assert_true(kinds >= 10);
    assert_true(counts[MC_TXR_OK] >= 30);
    assert_true(total >= 200);

    /* node B: several verification threads, a signature cache fed as admission would, and a
     * restart half-way */
    mc_sigcache *cache;
    assert_ok(mc_sigcache_new(&cache, 4096));
    mc_exec_opts bo = {.sigcache = cache, .verify_threads = 3};
    mc_tchain B;
    mc_tchain_open(&B, &net, &bo);
    mc_store_txn *ta, *tb;
    for (int bi = 0; bi < MC_SIM_BATCHES; bi++) {
        if (bi == MC_SIM_BATCHES / 2) mc_tchain_reopen(&B);
        const uint8_t *p = all.p + off[bi];
        size_t n = off[bi + 1] - off[bi];
        mc_admit(B.st, cache, p, n);
        const mc_exec_result *r = mc_tchain_apply(&B, p, n);
        assert_int_equal(r->applied, applied[bi]);
        if (!r->applied) continue;
        assert_memory_equal(r->header_hash.b, hh[bi].b, 32);
        assert_memory_equal(r->header.state_digest.b, digest[bi].b, 32);
        /* the stored blocks are byte-identical */
        uint64_t height = r->header.height;
        assert_ok(mc_store_begin(A.st, 0, &ta));
        assert_ok(mc_store_begin(B.st, 0, &tb));
        mc_slice ba, bb;
        assert_ok(mc_store_get_block(ta, height, &ba));
        assert_ok(mc_store_get_block(tb, height, &bb));
        assert_int_equal(ba.n, bb.n);
        assert_memory_equal(ba.p, bb.p, ba.n);
        mc_store_abort(ta);
        mc_store_abort(tb);
    }
    mc_exec_info ia, ib;
    mc_info(&A, &ia);
    mc_info(&B, &ib);
    assert_true(ia.height == ib.height);
    assert_memory_equal(ia.tip.b, ib.tip.b, 32);
    assert_memory_equal(ia.state_digest.b, ib.state_digest.b, 32);
    assert_true(ia.time_ms == ib.time_ms);
    mc_compare_tables(A.st, B.st);

    /* and verify agrees the chain is sound */
    char scratch[PATH_MAX];
    mc_test_tmpdir(scratch);
    mc_verify_report rep;
    assert_ok(mc_exec_verify(A.st, scratch, 2, &rep));
    if (!rep.ok) print_error("verify: %s\n", rep.what);
    assert_int_equal(rep.ok, 1);
    assert_true(rep.blocks == ia.height + 1);
    assert_true(rep.txs == total);
    mc_test_rmtree(scratch);

    mc_sigcache_free(cache);
    mc_buf_free(&all);
    mc_buf_free(&s.body);
    mc_buf_free(&s.history);
    mc_tchain_close(&A);
    mc_tchain_close(&B);
    mc_test_net_free(&net);
}

/* ------------------------------------------------------------------------------------------ */
/* mc_exec_verify                                                                               */

static void mc_verify_expect(mc_store *st, int ok, uint64_t height, const char *needle)
{
    char scratch[PATH_MAX];
    mc_test_tmpdir(scratch);
    mc_verify_report rep;
    memset(&rep, 0xaa, sizeof rep);
    assert_ok(mc_exec_verify(st, scratch, 0, &rep));
    if (rep.ok != ok || (!ok && (rep.bad_height != height || !strstr(rep.what, needle))))
        print_error("verify: ok %d, height %llu, \"%s\"\n", rep.ok, (unsigned long long)rep.bad_height,
                    rep.ok ? "" : rep.what);
    assert_int_equal(rep.ok, ok);
    if (!ok) {
        assert_true(strlen(rep.what) > 0);
        assert_non_null(strstr(rep.what, needle));
        assert_true(rep.bad_height == height);
    }
    mc_test_rmtree(scratch);
}

/* Replaces a stored value through a second write transaction, returning the original. */
static void mc_tamper(mc_store *st, int table, const void *key, size_t nkey, const void *val, size_t n,
                      mc_buf *orig)
{
    mc_store_txn *txn;
    assert_ok(mc_store_begin(st, 1, &txn));
    if (orig) {
        mc_slice s;
        mc_buf_reset(orig);
        assert_ok(mc_store_get(txn, table, key, nkey, &s));
        assert_ok(mc_buf_append(orig, s.p, s.n));
    }
    assert_ok(mc_store_put(txn, table, key, nkey, val, n));
    assert_ok(mc_store_commit(txn));
}

/* Flips one byte of block @p h at @p off (negative: from the end), checks verify names the
 * block, then puts the block back. */
static void mc_tamper_block(mc_store *st, uint64_t h, long off, const char *needle)
{
    uint8_t key[8];
    mc_put_u64be(key, h);
    mc_buf orig, bad;
    mc_buf_init(&orig, 1 << 24);
    mc_buf_init(&bad, 1 << 24);
    mc_store_txn *txn;
    assert_ok(mc_store_begin(st, 0, &txn));
    mc_slice s;
    assert_ok(mc_store_get_block(txn, h, &s));
    assert_ok(mc_buf_append(&bad, s.p, s.n));
    mc_store_abort(txn);
    size_t at = off < 0 ? bad.n - (size_t)-off : (size_t)off;
    bad.p[at] ^= 0x01;
    mc_tamper(st, MC_T_BLOCKS, key, 8, bad.p, bad.n, &orig);
    char want[64];
    snprintf(want, sizeof want, "block %llu", (unsigned long long)h);
    mc_verify_expect(st, 0, h, want);
    if (needle) mc_verify_expect(st, 0, h, needle);
    mc_tamper(st, MC_T_BLOCKS, key, 8, orig.p, orig.n, NULL);
    mc_buf_free(&orig);
    mc_buf_free(&bad);
}

static void test_verify(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 2, 0));
    mc_tchain c;
    mc_tchain_open(&c, &net, NULL);
    mc_who H;
    mc_who_from(&H, &net.org[MC_TEST_ORG_HOSPITAL]);
    mc_who staff[6];
    for (int b = 0; b < 6; b++) {
        mc_who_new(&staff[b]);
        mc_body_reg(&c, MC_ID_PROVIDER, &H.id, &staff[b].key, "role=nurse", NULL);
        mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
        mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_EXISTS);
        mc_add_raw(&c, "junk", 4, MC_TXR_MALFORMED);
        mc_commit(&c, (uint32_t)b % 2);
    }
    mc_exec_info info;
    mc_info(&c, &info);
    assert_true(info.height == 6);

    /* a sound chain */
    char scratch[PATH_MAX];
    mc_test_tmpdir(scratch);
    mc_verify_report rep;
    assert_ok(mc_exec_verify(c.st, scratch, 3, &rep));
    assert_int_equal(rep.ok, 1);
    assert_true(rep.blocks == 7 && rep.txs == 18);
    mc_test_rmtree(scratch);
    mc_verify_expect(c.st, 1, 0, NULL);

    /* damaged blocks, each named with its height and put back afterwards */
    mc_tamper_block(c.st, 3, MC_HEADER_BYTES - 65, "state digest");  /* header: state digest */
    mc_tamper_block(c.st, 3, MC_HEADER_BYTES - 33, "validator set"); /* header: validator set */
    mc_tamper_block(c.st, 3, MC_HEADER_BYTES - 1, "validator set");  /* header: the next one */
    mc_tamper_block(c.st, 4, -1, "stored result");                   /* a result code */
    mc_tamper_block(c.st, 2, -15, "not valid");                      /* the batch's signature */
    mc_tamper_block(c.st, 5, 1 + 32 + 8, "does not link");           /* the previous-hash link */
    mc_tamper_block(c.st, 6, 1 + 32 + 8 + 32 + 32 + 32 + 3, NULL);   /* the block time */
    mc_tamper_block(c.st, 0, -5, "block 0");                         /* the genesis config */
    mc_tamper_block(c.st, 1, 0, "does not decode");                  /* the version byte */
    mc_verify_expect(c.st, 1, 0, NULL);

    /* a damaged state value: found by comparing the replayed state */
    mc_identity idn;
    mc_get_identity(&c, &staff[2].id, &idn);
    mc_identity evil = idn;
    strcpy(evil.attrs.a[0].val, "surgeon");
    uint8_t key[33], val[4096];
    key[0] = MC_SK_IDENTITY;
    memcpy(key + 1, idn.id.b, 32);
    mc_buf enc = {val, 0, sizeof val, sizeof val - 1};
    assert_ok(mc_identity_encode(&enc, &evil));
    mc_buf orig;
    mc_buf_init(&orig, 1 << 20);
    mc_tamper(c.st, MC_T_STATE, key, 33, enc.p, enc.n, &orig);
    mc_verify_expect(c.st, 0, UINT64_MAX, "state table");
    mc_tamper(c.st, MC_T_STATE, key, 33, orig.p, orig.n, NULL);
    /* an extra state record nobody wrote */
    key[0] = MC_SK_NONCE;
    mc_random(key + 1, 32);
    mc_tamper(c.st, MC_T_STATE, key, 33, "\0\0\0\0\0\0\0\1", 8, NULL);
    mc_verify_expect(c.st, 0, UINT64_MAX, "not produced by the replay");
    mc_buf_free(&orig);
    mc_tchain_close(&c);

    /* a fresh chain for the other tables */
    mc_tchain_open(&c, &net, NULL);
    mc_who_from(&H, &net.org[MC_TEST_ORG_HOSPITAL]);
    mc_who P;
    mc_who_new(&P);
    mc_body_reg(&c, MC_ID_PROVIDER, &H.id, &P.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    const mc_exec_result *r = mc_commit(&c, 0);
    mc_hash txid = r->txids[0];
    mc_verify_expect(c.st, 1, 0, NULL);
    mc_buf_init(&orig, 1 << 20);
    /* the transaction index */
    uint8_t loc[12];
    mc_put_u64be(loc, 1);
    mc_put_u32be(loc + 8, 5);
    mc_tamper(c.st, MC_T_TXIDX, txid.b, 32, loc, sizeof loc, &orig);
    mc_verify_expect(c.st, 0, UINT64_MAX, "transaction index");
    mc_tamper(c.st, MC_T_TXIDX, txid.b, 32, orig.p, orig.n, NULL);
    /* the tip */
    mc_hash wrong;
    mc_random(wrong.b, 32);
    uint8_t tip[40];
    mc_put_u64be(tip, 1);
    memcpy(tip + 8, wrong.b, 32);
    mc_tamper(c.st, MC_T_META, "tip", 3, tip, sizeof tip, &orig);
    mc_verify_expect(c.st, 0, 1, "tip");
    mc_tamper(c.st, MC_T_META, "tip", 3, orig.p, orig.n, NULL);
    /* meta: the recorded digest */
    uint8_t dig[40];
    memset(dig, 0x11, sizeof dig);
    mc_tamper(c.st, MC_T_META, "digest", 6, dig, sizeof dig, &orig);
    mc_verify_expect(c.st, 0, UINT64_MAX, "meta table");
    mc_tamper(c.st, MC_T_META, "digest", 6, orig.p, orig.n, NULL);
    /* the orderer position is the node's own: not compared */
    mc_tamper(c.st, MC_T_META, "opos", 4, "anything", 8, NULL);
    mc_verify_expect(c.st, 1, 0, NULL);
    /* a block beyond the tip is not part of the chain the tip names */
    mc_store_txn *txn;
    assert_ok(mc_store_begin(c.st, 0, &txn));
    mc_slice b1;
    assert_ok(mc_store_get_block(txn, 1, &b1));
    mc_buf copy;
    mc_buf_init(&copy, 1 << 20);
    assert_ok(mc_buf_append(&copy, b1.p, b1.n));
    mc_store_abort(txn);
    uint8_t k9[8];
    mc_put_u64be(k9, 9);
    mc_tamper(c.st, MC_T_BLOCKS, k9, 8, copy.p, copy.n, NULL);
    mc_verify_expect(c.st, 0, UINT64_MAX, "blocks table");
    mc_buf_free(&copy);
    mc_buf_free(&orig);
    mc_tchain_close(&c);

    /* an empty store holds no chain */
    char dir[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_store *st;
    mc_store_opts so = {.map_size = 16u << 20};
    assert_ok(mc_store_open(&st, dir, &so));
    mc_verify_expect(st, 0, 0, "no chain");
    mc_store_close(st);
    mc_test_rmtree(dir);
    mc_test_net_free(&net);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
