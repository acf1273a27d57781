/* Helpers shared by the exec suites: see exectest.h. */
#include <string.h>

#include "exectest.h"

void mc_who_from(mc_who *w, const mc_test_key *k)
{
    w->key = *k;
    w->id = k->id;
    w->nonce = 0;
}

void mc_who_new(mc_who *w)
{
    mc_test_key k;
    mc_test_key_new(&k);
    mc_who_from(w, &k);
}

static void mc_tchain_open_exec(mc_tchain *c)
{
    mc_store_opts so = {.map_size = 256u << 20};
    assert_ok(mc_store_open(&c->st, c->dir, &so));
    assert_ok(mc_exec_open(&c->x, c->st, &c->opts));
}

void mc_tchain_open(mc_tchain *c, mc_test_net *net, const mc_exec_opts *opts)
{
    memset(c, 0, sizeof *c);
    c->net = net;
    if (opts)
        c->opts = *opts;
    else
        c->opts.verify_threads = 1;
    mc_test_tmpdir(c->dir);
    mc_tchain_open_exec(c);
    assert_ok(mc_exec_genesis(c->x, net->genesis.p, net->genesis.n));
    mc_buf_init(&c->batch, MC_MAX_BATCH_BYTES);
    mc_buf_init(&c->body, MC_MAX_BODY_BYTES);
    mc_test_txs_init(&c->txs);
}

void mc_tchain_reopen(mc_tchain *c)
{
    mc_exec_free(c->x);
    mc_store_close(c->st);
    mc_tchain_open_exec(c);
}

void mc_tchain_close(mc_tchain *c)
{
    mc_exec_free(c->x);
    mc_store_close(c->st);
    mc_test_rmtree(c->dir);
    mc_buf_free(&c->batch);
    mc_buf_free(&c->body);
    mc_test_txs_free(&c->txs);
}

const mc_exec_result *mc_tchain_apply(mc_tchain *c, const uint8_t *p, size_t n)
{
    uint8_t pos[8];
    mc_put_u64be(pos, ++c->pos);
    assert_ok(mc_exec_apply(c->x, p, n, pos, sizeof pos, &c->res));
    return &c->res;
}

void mc_info(mc_tchain *c, mc_exec_info *info)
{
    mc_exec_get_info(c->x, info);
}

void mc_add_signed(mc_tchain *c, const mc_hash *chain, const mc_id *signer, const mc_sign_sk *sk,
                   uint64_t nonce, uint16_t kind, uint16_t want)
{
    c->want[c->txs.n] = want;
    assert_ok(mc_test_txs_add(&c->txs, chain, signer, sk, nonce, kind, &c->body, NULL));
}

void mc_add(mc_tchain *c, mc_who *w, uint16_t kind, uint16_t want)
{
    mc_add_signed(c, &c->net->chain, &w->id, &w->key.sk, ++w->nonce, kind, want);
}

void mc_add_raw(mc_tchain *c, const void *p, size_t n, uint16_t want)
{
    c->want[c->txs.n] = want;
    assert_ok(mc_test_txs_raw(&c->txs, p, n));
}

void mc_body_reg(mc_tchain *c, uint8_t kind, const mc_id *org, const mc_test_key *k, const char *attrs,
                 const mc_test_key *cosigner)
{
    mc_buf_reset(&c->body);
    assert_ok(mc_test_body_register(&c->body, kind, org, k, attrs, cosigner, &c->net->chain));
}

void mc_body_rot(mc_tchain *c, const mc_id *id, const mc_test_key *k)
{
    mc_buf_reset(&c->body);
    assert_ok(mc_test_body_rotate(&c->body, id, k));
}

void mc_body_rev(mc_tchain *c, const mc_id *id, uint16_t reason)
{
    mc_buf_reset(&c->body);
    assert_ok(mc_test_body_revoke(&c->body, id, reason));
}

void mc_body_raw(mc_tchain *c, const void *p, size_t n)
{
    mc_buf_reset(&c->body);
    assert_ok(mc_buf_append(&c->body, p, n));
}

static void mc_expect_results(const mc_exec_result *r, const uint16_t *want, uint32_t n)
{
    assert_int_equal(r->applied, 1);
    assert_int_equal(r->ntx, n);
    int bad = 0;
    for (uint32_t i = 0; i < n; i++)
        if (r->results[i] != want[i]) {
            print_error("transaction %u: result %s, expected %s\n", i, mc_txr_name(r->results[i]),
                        mc_txr_name(want[i]));
            bad = 1;
        }
    assert_int_equal(bad, 0);
}

const mc_exec_result *mc_commit(mc_tchain *c, uint32_t v)
{
    assert_ok(mc_test_batch(&c->batch, c->net, &c->net->val[v], &c->txs, NULL));
    const mc_exec_result *r = mc_tchain_apply(c, c->batch.p, c->batch.n);
    mc_expect_results(r, c->want, c->txs.n);
    mc_test_txs_reset(&c->txs);
    return r;
}

void mc_get_identity(mc_tchain *c, const mc_id *id, mc_identity *out)
{
    mc_store_txn *txn;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_ok(mc_store_get_identity(txn, id, out));
    mc_store_abort(txn);
}

void mc_compare_tables(mc_store *a, mc_store *b)
{
    mc_store_txn *ta, *tb;
    assert_ok(mc_store_begin(a, 0, &ta));
    assert_ok(mc_store_begin(b, 0, &tb));
    for (int t = 0; t < MC_T_COUNT_; t++) {
        if (t == MC_T_ATTEST) continue; /* each node's own and received attestations, not derived */
        mc_store_iter *ia, *ib;
        assert_ok(mc_store_iter_new(ta, t, NULL, 0, &ia));
        assert_ok(mc_store_iter_new(tb, t, NULL, 0, &ib));
        size_t n = 0;
        for (;;) {
            mc_slice ka, va, kb, vb;
            int ra = mc_store_iter_next(ia, &ka, &va), rb = mc_store_iter_next(ib, &kb, &vb);
            assert_int_equal(ra, rb);
            if (ra) break;
            assert_int_equal(ka.n, kb.n);
            assert_memory_equal(ka.p, kb.p, ka.n);
            assert_int_equal(va.n, vb.n);
            assert_memory_equal(va.p, vb.p, va.n);
            n++;
        }
        assert_true(n > 0 || t == MC_T_EVENTS); /* identity-only chains have no events */
        mc_store_iter_free(ia);
        mc_store_iter_free(ib);
    }
    mc_store_abort(ta);
    mc_store_abort(tb);
}
