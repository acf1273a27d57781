/*
 * exec, part 2: how batches become blocks: skipped batches, the block time, a signature
 * cache that must not change results, and a store failure that applies nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "exectest.h"

/* ------------------------------------------------------------------------------------------ */

static void test_skipped_batches(void **state)
{
    (void)state;
    mc_test_net net, other;
    assert_ok(mc_test_net_init(&net, 2, 0));
    assert_ok(mc_test_net_init(&other, 1, 0));
    mc_tchain c;
    mc_tchain_open(&c, &net, NULL);
    mc_who H, N;
    mc_who_from(&H, &net.org[MC_TEST_ORG_HOSPITAL]);
    mc_who_new(&N);
    mc_body_reg(&c, MC_ID_NODE, &H.id, &N.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_commit(&c, 0);
    mc_exec_info before, after;
    mc_info(&c, &before);
    assert_true(before.height == 1);

    struct {
        const char *what;
        int reason;
    } cases[] = {{"bad proposer signature", MC_EBADSIG},
                 {"unknown proposer", MC_EDENIED},
                 {"registered node, not a validator", MC_EDENIED},
                 {"other chain", MC_EINVAL},
                 {"garbage", MC_EINVAL},
                 {"empty", MC_EINVAL},
                 {"applied before", MC_EEXIST}};
    mc_buf dup;
    mc_buf_init(&dup, 1 << 20);
    assert_ok(mc_buf_append(&dup, c.batch.p, c.batch.n)); /* the batch just applied */
    for (size_t i = 0; i < MC_ARRAY_LEN(cases); i++) {
        mc_body_rev(&c, &N.id, 0);
        mc_add(&c, &H, MC_TX_IDENTITY_REVOKE, MC_TXR_OK);
        mc_test_key stranger;
        mc_test_key_new(&stranger);
        switch (i) {
        case 0:
            assert_ok(mc_test_batch(&c.batch, &net, &net.val[0], &c.txs, NULL));
            c.batch.p[c.batch.n - 1] ^= 0x01;
            break;
        case 1: assert_ok(mc_test_batch(&c.batch, &net, &stranger, &c.txs, NULL)); break;
        case 2: assert_ok(mc_test_batch(&c.batch, &net, &N.key, &c.txs, NULL)); break;
        case 3: assert_ok(mc_test_batch(&c.batch, &other, &other.val[0], &c.txs, NULL)); break;
        case 4:
            mc_buf_reset(&c.batch);
            assert_ok(mc_buf_append(&c.batch, "\x01garbage", 8));
            break;
        case 5: mc_buf_reset(&c.batch); break;
        default:
            mc_buf_reset(&c.batch);
            assert_ok(mc_buf_append(&c.batch, dup.p, dup.n));
            break;
        }
        mc_test_txs_reset(&c.txs);
        const mc_exec_result *r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
        if (r->applied || r->skip_reason != cases[i].reason)
            print_error("%s: applied %d, reason %s\n", cases[i].what, r->applied, mc_errname(r->skip_reason));
        assert_int_equal(r->applied, 0);
        assert_int_equal(r->skip_reason, cases[i].reason);
        mc_info(&c, &after);
        assert_memory_equal(&after, &before, sizeof after); /* no block */
        /* but the orderer position moved on */
        mc_store_txn *txn;
        assert_ok(mc_store_begin(c.st, 0, &txn));
        mc_slice pos;
        assert_ok(mc_store_get_meta(txn, "opos", &pos));
        assert_int_equal(pos.n, 8);
        assert_true(mc_get_u64be(pos.p) == c.pos);
        mc_slice blk;
        assert_rc(mc_store_get_block(txn, 2, &blk), MC_ENOTFOUND);
        mc_store_abort(txn);
    }

    /* a good batch still goes in next, from either validator */
    mc_body_rev(&c, &N.id, 2);
    mc_add(&c, &H, MC_TX_IDENTITY_REVOKE, MC_TXR_OK);
    const mc_exec_result *r = mc_commit(&c, 1);
    assert_true(r->header.height == 2);
    assert_memory_equal(r->header.proposer.b, net.val[1].id.b, 32);
    assert_memory_equal(r->header.prev.b, before.tip.b, 32);

    /* a validator is not revoked by a plain transaction, even by its org ... */
    mc_who R;
    mc_who_from(&R, &net.org[MC_TEST_ORG_REGULATOR]); /* validator 1 belongs to org 1 */
    mc_body_rev(&c, &net.val[1].id, 1);
    mc_add(&c, &R, MC_TX_IDENTITY_REVOKE, MC_TXR_UNAUTHORIZED);
    mc_commit(&c, 0);
    /* ... but one revoked (as governance will) proposes no more */
    {
        mc_store_txn *txn;
        mc_identity v;
        assert_ok(mc_store_begin(c.st, 1, &txn));
        assert_ok(mc_store_get_identity(txn, &net.val[1].id, &v));
        v.status = MC_ID_REVOKED;
        assert_ok(mc_store_put_identity(txn, &v));
        assert_ok(mc_store_commit(txn));
    }
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[1], NULL, NULL));
    r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 0);
    assert_int_equal(r->skip_reason, MC_EDENIED);
    /* an empty batch from a good validator makes an empty block */
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[0], NULL, NULL));
    r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 1);
    assert_int_equal(r->ntx, 0);
    mc_hash empty;
    mc_sha256(&empty, NULL, 0);
    assert_memory_equal(r->header.tx_root.b, empty.b, 32);

    mc_buf_free(&dup);
    mc_tchain_close(&c);
    mc_test_net_free(&net);
    mc_test_net_free(&other);
}

/* A certificate of (@p height, @p hh) signed by the validators of @p net whose bit is in
 * @p who, signers in increasing id order. */
static void mc_make_cert(mc_cert *c, const mc_test_net *net, uint64_t height, const mc_hash *hh, unsigned who)
{
    memset(c, 0, sizeof *c);
    c->height = height;
    c->header_hash = *hh;
    const mc_test_key *k[MC_TEST_MAX_VALS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < net->nval; i++)
        if (who & (1u << i)) k[n++] = &net->val[i];
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && memcmp(k[j - 1]->id.b, k[j]->id.b, 32) > 0; j--) {
            const mc_test_key *t = k[j];
            k[j] = k[j - 1];
            k[j - 1] = t;
        }
    for (uint32_t i = 0; i < n; i++) {
        mc_attest a;
        mc_attest_sign(&a, &net->chain, height, hh, &k[i]->pk, &k[i]->sk);
        c->signers[i] = a.validator;
        c->sigs[i] = a.sig;
    }
    c->nsigs = n;
}

/* A batch carries the certificate of an earlier header (issue 5, like Tendermint's LastCommit):
 * a quorum of the genesis validators over a header on this chain, else the batch is skipped. */
static void test_certificates(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 4, 0)); /* quorum 3 of 4 */
    mc_tchain c;
    mc_tchain_open(&c, &net, NULL);
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[0], NULL, NULL));
    const mc_exec_result *r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 1);
    mc_hash h1 = r->header_hash, wrong = h1;
    wrong.b[0] ^= 1;
    mc_cert cert;
    struct {
        const char *what;
        uint64_t height;
        const mc_hash *hh;
        unsigned who;
        int reason;
    } bad[] = {{"2 of 4", 1, &h1, 0x3, MC_EBADSIG},
               {"another header", 1, &wrong, 0xf, MC_EINVAL},
               {"a height not applied yet", 2, &h1, 0xf, MC_EINVAL},
               {"genesis", 0, &h1, 0xf, MC_EINVAL}};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        mc_make_cert(&cert, &net, bad[i].height, bad[i].hh, bad[i].who);
        assert_ok(mc_test_batch(&c.batch, &net, &net.val[1], NULL, &cert));
        r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
        if (r->applied || r->skip_reason != bad[i].reason)
            print_error("%s: applied %d, reason %s\n", bad[i].what, r->applied, mc_errname(r->skip_reason));
        assert_int_equal(r->applied, 0);
        assert_int_equal(r->skip_reason, bad[i].reason);
    }
    /* one forged signature among four leaves three: still a quorum */
    mc_make_cert(&cert, &net, 1, &h1, 0xf);
    cert.sigs[2].b[0] ^= 1;
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[1], NULL, &cert));
    r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 1);
    assert_true(r->header.height == 2);
    /* 3 of 4, from another proposer: applied, and the block keeps the batch with its certificate */
    mc_hash h2 = r->header_hash;
    mc_make_cert(&cert, &net, 2, &h2, 0xe);
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[0], NULL, &cert));
    r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 1);
    mc_store_txn *txn;
    mc_slice raw;
    mc_block blk;
    mc_batch b;
    assert_ok(mc_store_begin(c.st, 0, &txn));
    assert_ok(mc_store_get_block(txn, 3, &raw));
    assert_ok(mc_block_decode(&blk, raw.p, raw.n));
    assert_ok(mc_batch_decode(&b, blk.batch.p, blk.batch.n));
    assert_true(b.has_cert);
    assert_true(b.cert->height == 2);
    assert_int_equal(b.cert->nsigs, 3);
    assert_ok(mc_cert_check(b.cert, &net.chain,
                            (mc_sign_pk[]){net.val[0].pk, net.val[1].pk, net.val[2].pk, net.val[3].pk}, 4));
    mc_batch_clear(&b);
    mc_store_abort(txn);
    /* an old certificate again is fine (it proves the same) */
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[2], NULL, &cert));
    r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 1);
    mc_tchain_close(&c);
    mc_test_net_free(&net);
}

/* The on_block hook runs inside the block's write transaction: what it writes commits with the
 * block, and its failure applies nothing. */
typedef struct {
    int fail;
    int calls;
    uint64_t height;
    mc_hash hh;
} mc_hook_state;

static int mc_hook(void *arg, mc_store_txn *txn, const mc_header *h, const mc_hash *hh)
{
    mc_hook_state *s = arg;
    s->calls++;
    s->height = h->height;
    s->hh = *hh;
    mc_header_hash(&s->hh, h);
    assert_memory_equal(s->hh.b, hh->b, 32);
    mc_slice raw;
    assert_ok(mc_store_get_block(txn, h->height, &raw)); /* the block is there already */
    mc_id v;
    mc_sig sig;
    memset(v.b, 7, 32);
    memset(sig.b, 9, 64);
    assert_ok(mc_store_put_attest(txn, h->height, &v, hh, &sig));
    return s->fail;
}

static int mc_hook_count(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    (void)validator, (void)hh, (void)sig;
    (*(int *)arg)++;
    return 0;
}

static void test_on_block_hook(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 1, 0));
    mc_hook_state hs = {0};
    mc_exec_opts o = {.verify_threads = 1, .on_block = mc_hook, .on_block_arg = &hs};
    mc_tchain c;
    mc_tchain_open(&c, &net, &o);
    assert_int_equal(hs.calls, 0); /* not for genesis */
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[0], NULL, NULL));
    const mc_exec_result *r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 1);
    assert_int_equal(hs.calls, 1);
    assert_true(hs.height == 1);
    assert_memory_equal(hs.hh.b, r->header_hash.b, 32);
    /* a failing hook: nothing applied, its write gone with the block's */
    hs.fail = MC_EIO;
    assert_ok(mc_test_batch(&c.batch, &net, &net.val[0], NULL, NULL));
    uint8_t pos[8];
    mc_put_u64be(pos, 99);
    mc_exec_result res;
    assert_rc(mc_exec_apply(c.x, c.batch.p, c.batch.n, pos, sizeof pos, &res), MC_EIO);
    mc_exec_info info;
    mc_info(&c, &info);
    assert_true(info.height == 1);
    mc_store_txn *txn;
    int n1 = 0, n2 = 0;
    assert_ok(mc_store_begin(c.st, 0, &txn));
    assert_ok(mc_store_scan_attests(txn, 1, mc_hook_count, &n1));
    assert_ok(mc_store_scan_attests(txn, 2, mc_hook_count, &n2));
    mc_slice raw;
    assert_rc(mc_store_get_block(txn, 2, &raw), MC_ENOTFOUND);
    mc_store_abort(txn);
    assert_int_equal(n1, 1);
    assert_int_equal(n2, 0);
    /* and the same batch applies once the hook succeeds */
    hs.fail = 0;
    r = mc_tchain_apply(&c, c.batch.p, c.batch.n);
    assert_int_equal(r->applied, 1);
    assert_true(r->header.height == 2);
    mc_tchain_close(&c);
    mc_test_net_free(&net);
}

/* Applies an empty batch by validator @p v stamped @p t; @return the block time. */
static uint64_t mc_block_at(mc_tchain *c, uint32_t v, uint64_t t)
{
    c->net->time_ms = t;
    assert_ok(mc_test_batch(&c->batch, c->net, &c->net->val[v], NULL, NULL));
    const mc_exec_result *r = mc_tchain_apply(c, c->batch.p, c->batch.n);
    assert_int_equal(r->applied, 1);
    mc_exec_info info;
    mc_info(c, &info);
    assert_true(info.time_ms == r->header.time_ms);
    return r->header.time_ms;
}

static void test_block_time(void **state)
{
    (void)state;
    const uint64_t T = MC_TEST_GENESIS_TIME;
    /* one validator: its clock, but never backwards */
    mc_test_net one;
    assert_ok(mc_test_net_init(&one, 1, 0));
    mc_tchain c;
    mc_tchain_open(&c, &one, NULL);
    assert_true(mc_block_at(&c, 0, T + 1000) == T + 1000);
    assert_true(mc_block_at(&c, 0, T + 5000) == T + 5000);
    assert_true(mc_block_at(&c, 0, T + 3000) == T + 5000);
    assert_true(mc_block_at(&c, 0, 0) == T + 5000);
    assert_true(mc_block_at(&c, 0, T + 5001) == T + 5001);
    mc_tchain_close(&c);

    /* three validators: the proposer's clock, within the lead above the lower median of their
     * latest times, so one liar moves the time at most the lead ahead of the others, never back */
    const uint64_t L = MC_BLOCK_TIME_LEAD_MS;
    mc_test_net three;
    assert_ok(mc_test_net_init(&three, 3, 0));
    mc_tchain_open(&c, &three, NULL);
    assert_true(mc_block_at(&c, 0, T + 1000) == T + 1000);       /* the others at T: within the lead */
    assert_true(mc_block_at(&c, 0, T + 1000000000ull) == T + L); /* a liar: the lead, no more */
    assert_true(mc_block_at(&c, 0, UINT64_MAX) == T + L);
    assert_true(mc_block_at(&c, 1, T + 2000) == T + L);            /* never back */
    assert_true(mc_block_at(&c, 2, T + L + 3000) == T + L + 3000); /* the honest two carry it on */
    assert_true(mc_block_at(&c, 1, T + 500) == T + L + 3000);      /* a clock going back is ignored */
    assert_true(mc_block_at(&c, 2, 1) == T + L + 3000);
    assert_true(mc_block_at(&c, 1, T + L + 4000) == T + L + 4000);
    /* the validators' latest times are state, so they survive a restart */
    mc_tchain_reopen(&c);
    assert_true(mc_block_at(&c, 2, T + L + 3500) == T + L + 4000);
    assert_true(mc_block_at(&c, 2, T + L + 9000) == T + L + 9000);
    mc_tchain_close(&c);
    mc_test_net_free(&one);
    mc_test_net_free(&three);
}

/*
 * A signature cache hit must not stand in for a different signature: two nodes, one with a
 * cache, must give a transaction the same result.
 */
static void test_sigcache_cannot_change_results(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 1, 0));
    mc_sigcache *cache;
    assert_ok(mc_sigcache_new(&cache, 1024));
    mc_exec_opts with = {.sigcache = cache, .verify_threads = 1};
    mc_tchain A, B;
    mc_tchain_open(&A, &net, NULL);
    mc_tchain_open(&B, &net, &with);
    mc_who H, P;
    mc_who_from(&H, &net.org[MC_TEST_ORG_HOSPITAL]);
    mc_who_new(&P);
    mc_body_reg(&A, MC_ID_PROVIDER, &H.id, &P.key, "", NULL);
    mc_hash id;
    assert_ok(
        mc_test_txs_add(&A.txs, &net.chain, &H.id, &H.key.sk, 1, MC_TX_IDENTITY_REGISTER, &A.body, &id));
    mc_slice t0 = mc_test_txs_get(&A.txs, 0);
    mc_buf genuine;
    mc_buf_init(&genuine, MC_MAX_TX_BYTES);
    assert_ok(mc_buf_append(&genuine, t0.p, t0.n));
    /* node B admitted the genuine transaction */
    mc_tx gtx;
    assert_ok(mc_tx_decode(&gtx, genuine.p, genuine.n));
    mc_sigcache_add(cache, &id, &gtx.sig, &H.key.pk);
    /* the proposer alters its signature: same id, signature no longer valid */
    A.txs.all.p[A.txs.all.n - 1] ^= 0x01;
    assert_ok(mc_test_batch(&A.batch, &net, &net.val[0], &A.txs, NULL));
    const mc_exec_result *ra = mc_tchain_apply(&A, A.batch.p, A.batch.n);
    assert_int_equal(ra->applied, 1);
    assert_int_equal(ra->results[0], MC_TXR_BAD_SIG);
    mc_hash ha = ra->header_hash;
    const mc_exec_result *rb = mc_tchain_apply(&B, A.batch.p, A.batch.n);
    assert_int_equal(rb->applied, 1);
    /* the cache vouches only for the exact signature bytes it saw: both nodes say BAD_SIG */
    assert_int_equal(rb->results[0], MC_TXR_BAD_SIG);
    assert_memory_equal(rb->header_hash.b, ha.b, 32);

    /* the genuine transaction in a later block is fine (its nonce was never used) ... */
    mc_test_txs_reset(&A.txs);
    mc_add_raw(&A, genuine.p, genuine.n, MC_TXR_OK);
    mc_commit(&A, 0);
    /* ... and A's chain is sound, so verify must say so */
    char scratch[PATH_MAX];
    mc_test_tmpdir(scratch);
    mc_verify_report rep;
    assert_ok(mc_exec_verify(A.st, scratch, 2, &rep));
    /* the look-ahead workers cache the genuine signature; the broken copy must still fail */
    if (!rep.ok) print_error("verify of a sound chain: %s\n", rep.what);
    assert_true(rep.ok);
    mc_test_rmtree(scratch);
    mc_buf_free(&genuine);
    mc_tchain_close(&A);
    mc_tchain_close(&B);
    mc_sigcache_free(cache);
    mc_test_net_free(&net);
}

/* A store failure (map full) applies nothing and is returned; the chain carries on after. */
static void test_store_full(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 1, 0));
    char dir[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_store *st;
    mc_store_opts so = {.map_size = 1u << 20};
    assert_ok(mc_store_open(&st, dir, &so));
    mc_exec *x;
    assert_ok(mc_exec_open(&x, st, NULL));
    assert_ok(mc_exec_genesis(x, net.genesis.p, net.genesis.n));
    mc_exec_info before, after;
    mc_exec_get_info(x, &before);

    mc_test_txs txs;
    mc_test_txs_init(&txs);
    uint8_t *junk = calloc(1, MC_MAX_TX_BYTES);
    assert_non_null(junk);
    for (int i = 0; i < 20; i++) {
        junk[0] = (uint8_t)i;
        assert_ok(mc_test_txs_raw(&txs, junk, MC_MAX_TX_BYTES));
    }
    mc_buf batch;
    mc_buf_init(&batch, MC_MAX_BATCH_BYTES);
    assert_ok(mc_test_batch(&batch, &net, &net.val[0], &txs, NULL));
    mc_exec_result res;
    assert_rc(mc_exec_apply(x, batch.p, batch.n, "p1", 2, &res), MC_ETOOBIG);
    assert_int_equal(res.applied, 0);
    mc_exec_get_info(x, &after);
    assert_memory_equal(&after, &before, sizeof after);
    mc_store_txn *txn;
    assert_ok(mc_store_begin(st, 0, &txn));
    mc_slice s;
    assert_rc(mc_store_get_block(txn, 1, &s), MC_ENOTFOUND);
    assert_rc(mc_store_get_meta(txn, "opos", &s), MC_ENOTFOUND);
    mc_store_abort(txn);

    assert_ok(mc_test_batch(&batch, &net, &net.val[0], NULL, NULL));
    assert_ok(mc_exec_apply(x, batch.p, batch.n, "p2", 2, &res));
    assert_int_equal(res.applied, 1);
    assert_true(res.header.height == 1);

    free(junk);
    mc_buf_free(&batch);
    mc_test_txs_free(&txs);
    mc_exec_free(x);
    mc_store_close(st);
    mc_test_rmtree(dir);
    mc_test_net_free(&net);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skipped_batches),
        cmocka_unit_test(test_block_time),
        cmocka_unit_test(test_sigcache_cannot_change_results),
        cmocka_unit_test(test_store_full),
        cmocka_unit_test(test_certificates),
        cmocka_unit_test(test_on_block_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
