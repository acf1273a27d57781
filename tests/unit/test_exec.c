/*
 * exec: genesis, every transaction result code, skipped batches, block time, determinism
 * across stores and restarts, and mc_exec_verify on good and damaged chains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/exec.h"
#include "testutil.h"

/* An identity as a test drives it: stable id, current keys, last nonce used. */
typedef struct {
    mc_test_key key;
    mc_id id;
    uint64_t nonce;
} mc_who;

static void mc_who_from(mc_who *w, const mc_test_key *k)
{
    w->key = *k;
    w->id = k->id;
    w->nonce = 0;
}

static void mc_who_new(mc_who *w)
{
    mc_test_key k;
    mc_test_key_new(&k);
    mc_who_from(w, &k);
}

/* A node under test: store, executor, the batch being assembled and its expected results. */
typedef struct {
    char dir[PATH_MAX];
    mc_store *st;
    mc_exec *x;
    mc_exec_opts opts;
    mc_test_net *net;
    mc_buf batch, body;
    mc_test_txs txs;
    uint16_t want[MC_TEST_MAX_TXS];
    mc_exec_result res;
    uint64_t pos;
} mc_tchain;

static void mc_tchain_open_exec(mc_tchain *c)
{
    mc_store_opts so = {.map_size = 256u << 20};
    assert_ok(mc_store_open(&c->st, c->dir, &so));
    assert_ok(mc_exec_open(&c->x, c->st, &c->opts));
}

/* Opens a fresh node on @p net and applies its genesis. */
static void mc_tchain_open(mc_tchain *c, mc_test_net *net, const mc_exec_opts *opts)
{
    memset(c, 0, sizeof *c);
    c->net = net;
    if (opts) c->opts = *opts;
    else c->opts.verify_threads = 1;
    mc_test_tmpdir(c->dir);
    mc_tchain_open_exec(c);
    assert_ok(mc_exec_genesis(c->x, net->genesis.p, net->genesis.n));
    mc_buf_init(&c->batch, MC_MAX_BATCH_BYTES);
    mc_buf_init(&c->body, MC_MAX_BODY_BYTES);
    mc_test_txs_init(&c->txs);
}

/* Closes and reopens store and executor, as after a restart. */
static void mc_tchain_reopen(mc_tchain *c)
{
    mc_exec_free(c->x);
    mc_store_close(c->st);
    mc_tchain_open_exec(c);
}

static void mc_tchain_close(mc_tchain *c)
{
    mc_exec_free(c->x);
    mc_store_close(c->st);
    mc_test_rmtree(c->dir);
    mc_buf_free(&c->batch);
    mc_buf_free(&c->body);
    mc_test_txs_free(&c->txs);
}

/* Applies ordered batch bytes at the next orderer position. */
static const mc_exec_result *mc_tchain_apply(mc_tchain *c, const uint8_t *p, size_t n)
{
    uint8_t pos[8];
    mc_put_u64be(pos, ++c->pos);
    assert_ok(mc_exec_apply(c->x, p, n, pos, sizeof pos, &c->res));
    return &c->res;
}

static void mc_info(mc_tchain *c, mc_exec_info *info) { mc_exec_get_info(c->x, info); }

/* Adds a transaction signed with @p sk as @p signer, expecting result @p want. */
static void mc_add_signed(mc_tchain *c, const mc_hash *chain, const mc_id *signer, const mc_sign_sk *sk,
                          uint64_t nonce, uint16_t kind, uint16_t want)
{
    c->want[c->txs.n] = want;
    assert_ok(mc_test_txs_add(&c->txs, chain, signer, sk, nonce, kind, &c->body, NULL));
}

/* The usual case: @p w signs with its current key and its next nonce. */
static void mc_add(mc_tchain *c, mc_who *w, uint16_t kind, uint16_t want)
{
    mc_add_signed(c, &c->net->chain, &w->id, &w->key.sk, ++w->nonce, kind, want);
}

static void mc_add_raw(mc_tchain *c, const void *p, size_t n, uint16_t want)
{
    c->want[c->txs.n] = want;
    assert_ok(mc_test_txs_raw(&c->txs, p, n));
}

/* Bodies, built into c->body. */
static void mc_body_reg(mc_tchain *c, uint8_t kind, const mc_id *org, const mc_test_key *k, const char *attrs,
                        const mc_test_key *cosigner)
{
    mc_buf_reset(&c->body);
    assert_ok(mc_test_body_register(&c->body, kind, org, k, attrs, cosigner, &c->net->chain));
}

static void mc_body_rot(mc_tchain *c, const mc_id *id, const mc_test_key *k)
{
    mc_buf_reset(&c->body);
    assert_ok(mc_test_body_rotate(&c->body, id, k));
}

static void mc_body_rev(mc_tchain *c, const mc_id *id, uint16_t reason)
{
    mc_buf_reset(&c->body);
    assert_ok(mc_test_body_revoke(&c->body, id, reason));
}

static void mc_body_raw(mc_tchain *c, const void *p, size_t n)
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

/* Proposes the assembled transactions as one batch by validator @p v, applies it and checks
 * every result against what was expected. */
static const mc_exec_result *mc_commit(mc_tchain *c, uint32_t v)
{
    assert_ok(mc_test_batch(&c->batch, c->net, &c->net->val[v], &c->txs, NULL));
    const mc_exec_result *r = mc_tchain_apply(c, c->batch.p, c->batch.n);
    mc_expect_results(r, c->want, c->txs.n);
    mc_test_txs_reset(&c->txs);
    return r;
}

static void mc_get_identity(mc_tchain *c, const mc_id *id, mc_identity *out)
{
    mc_store_txn *txn;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_ok(mc_store_get_identity(txn, id, out));
    mc_store_abort(txn);
}

/* ------------------------------------------------------------------------------------------ */

static void test_genesis(void **state)
{
    (void)state;
    mc_test_net net, other;
    assert_ok(mc_test_net_init(&net, 2, 0));
    assert_ok(mc_test_net_init(&other, 1, 0));
    char dir[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_store *st;
    mc_store_opts so = {.map_size = 64u << 20};
    assert_ok(mc_store_open(&st, dir, &so));
    mc_exec *x;
    assert_ok(mc_exec_open(&x, st, NULL));
    mc_exec_info info;
    mc_exec_get_info(x, &info);
    assert_int_equal(info.initialised, 0);
    mc_exec_result res;
    assert_rc(mc_exec_apply(x, (const uint8_t *)"b", 1, "p", 1, &res), MC_EINVAL); /* no chain yet */

    /* not a genesis config */
    assert_rc(mc_exec_genesis(x, (const uint8_t *)"garbage", 7), MC_EINVAL);
    assert_rc(mc_exec_genesis(x, net.genesis.p, net.genesis.n - 1), MC_EINVAL);
    assert_rc(mc_exec_genesis(x, NULL, 0), MC_EINVAL);
    mc_exec_get_info(x, &info);
    assert_int_equal(info.initialised, 0);

    assert_ok(mc_exec_genesis(x, net.genesis.p, net.genesis.n));
    mc_exec_get_info(x, &info);
    assert_int_equal(info.initialised, 1);
    assert_memory_equal(info.chain.b, net.chain.b, 32);
    assert_true(info.height == 0);
    assert_true(info.time_ms == MC_TEST_GENESIS_TIME);
    assert_true(info.txs == 0);

    /* block 0 holds the genesis config */
    mc_store_txn *txn;
    assert_ok(mc_store_begin(st, 0, &txn));
    mc_slice raw;
    assert_ok(mc_store_get_block(txn, 0, &raw));
    mc_block blk;
    assert_ok(mc_block_decode(&blk, raw.p, raw.n));
    mc_header *h = &blk.header;
    assert_true(h->height == 0);
    assert_memory_equal(h->chain.b, net.chain.b, 32);
    mc_hash zero = {{0}}, empty;
    mc_sha256(&empty, NULL, 0);
    assert_memory_equal(h->prev.b, zero.b, 32);
    assert_memory_equal(h->batch_hash.b, net.chain.b, 32);
    assert_true(h->time_ms == MC_TEST_GENESIS_TIME);
    assert_int_equal(h->ntx, 0);
    assert_memory_equal(h->tx_root.b, empty.b, 32);
    assert_memory_equal(h->result_root.b, empty.b, 32);
    assert_memory_equal(h->state_digest.b, info.state_digest.b, 32);
    assert_int_equal(blk.batch.n, net.genesis.n);
    assert_memory_equal(blk.batch.p, net.genesis.p, net.genesis.n);
    mc_hash hh;
    mc_header_hash(&hh, h);
    assert_memory_equal(hh.b, info.tip.b, 32);
    uint64_t th;
    mc_hash tip;
    assert_ok(mc_store_get_tip(txn, &th, &tip));
    assert_true(th == 0);
    assert_memory_equal(tip.b, hh.b, 32);
    mc_slice g;
    assert_ok(mc_store_get_meta(txn, "genesis", &g));
    assert_int_equal(g.n, net.genesis.n);

    /* the founding orgs and validators are identities */
    static const char *const types[] = {"hospital", "regulator", "research"};
    for (int i = 0; i < MC_TEST_ORGS; i++) {
        mc_identity idn;
        assert_ok(mc_store_get_identity(txn, &net.org[i].id, &idn));
        assert_int_equal(idn.kind, MC_ID_ORG);
        assert_int_equal(idn.status, MC_ID_ACTIVE);
        assert_memory_equal(idn.org.b, net.org[i].id.b, 32);
        assert_memory_equal(idn.sign_pk.b, net.org[i].pk.b, 32);
        assert_memory_equal(idn.box_pk.b, net.org[i].box_pk.b, 32);
        assert_string_equal(mc_attrs_get(&idn.attrs, "type"), types[i]);
        assert_string_equal(mc_attrs_get(&idn.attrs, "name"), net.g.orgs[i].name);
    }
    for (uint32_t i = 0; i < net.nval; i++) {
        mc_identity idn;
        assert_ok(mc_store_get_identity(txn, &net.val[i].id, &idn));
        assert_int_equal(idn.kind, MC_ID_NODE);
        assert_memory_equal(idn.org.b, net.org[i % MC_TEST_ORGS].id.b, 32);
        assert_string_equal(mc_attrs_get(&idn.attrs, "validator"), "true");
        uint64_t last;
        assert_ok(mc_store_get_validator(txn, &net.val[i].id, &last));
        assert_true(last == MC_TEST_GENESIS_TIME);
    }
    mc_store_abort(txn);

    /* the same genesis again is fine; another one is refused */
    assert_ok(mc_exec_genesis(x, net.genesis.p, net.genesis.n));
    assert_rc(mc_exec_genesis(x, other.genesis.p, other.genesis.n), MC_EINVAL);
    mc_exec_info again;
    mc_exec_get_info(x, &again);
    assert_memory_equal(&again, &info, sizeof info);

    /* a restart reads the same chain back */
    mc_exec_free(x);
    assert_ok(mc_exec_open(&x, st, NULL));
    mc_exec_get_info(x, &again);
    assert_memory_equal(&again, &info, sizeof info);
    assert_rc(mc_exec_genesis(x, other.genesis.p, other.genesis.n), MC_EINVAL);
    mc_exec_free(x);
    mc_exec_free(NULL);

    /* a store whose chain metadata is damaged is refused at open */
    assert_ok(mc_store_begin(st, 1, &txn));
    assert_ok(mc_store_put_meta(txn, "digest", "short", 5));
    assert_ok(mc_store_commit(txn));
    x = (mc_exec *)&net;
    assert_rc(mc_exec_open(&x, st, NULL), MC_ECORRUPT);
    assert_null(x);
    assert_ok(mc_store_begin(st, 1, &txn));
    assert_ok(mc_store_put_meta(txn, "digest", raw.p, 40)); /* right size, content irrelevant */
    assert_ok(mc_store_put_meta(txn, "genesis", "not a genesis", 13));
    assert_ok(mc_store_commit(txn));
    assert_rc(mc_exec_open(&x, st, NULL), MC_ECORRUPT);

    mc_store_close(st);
    mc_test_rmtree(dir);
    mc_test_net_free(&net);
    mc_test_net_free(&other);
}

/* identity.register: every way it can go, in one block. */
static void test_register_results(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 1, 0));
    mc_tchain c;
    mc_tchain_open(&c, &net, NULL);
    mc_who H, R, S;
    mc_who_from(&H, &net.org[MC_TEST_ORG_HOSPITAL]);
    mc_who_from(&R, &net.org[MC_TEST_ORG_REGULATOR]);
    mc_who_from(&S, &net.org[MC_TEST_ORG_RESEARCH]);
    mc_who P, A, RS, PT, N, U, X;
    mc_who_new(&P);
    mc_who_new(&A);
    mc_who_new(&RS);
    mc_who_new(&PT);
    mc_who_new(&N);
    mc_who_new(&U);
    mc_who_new(&X);
    mc_hash other_chain;
    mc_random(other_chain.b, 32);

    mc_body_reg(&c, MC_ID_PROVIDER, &H.id, &P.key, "dept=cardiology,role=physician", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_EXISTS); /* the same key again */
    mc_body_reg(&c, MC_ID_ORG, &H.id, &X.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED); /* an org registering an org */
    mc_body_reg(&c, MC_ID_AUDITOR, &H.id, &A.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED); /* a hospital enrolling an auditor */
    mc_body_reg(&c, MC_ID_AUDITOR, &R.id, &A.key, "", NULL);
    mc_add(&c, &R, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);           /* the regulator may */
    mc_body_reg(&c, MC_ID_RESEARCHER, &H.id, &RS.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED); /* a hospital enrolling a researcher */
    mc_body_reg(&c, MC_ID_RESEARCHER, &S.id, &RS.key, "", NULL);
    mc_add(&c, &S, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);           /* the research institute may */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG);    /* patient without co-signature */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "", &X.key);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG);    /* co-signed by someone else */
    mc_buf_reset(&c.body); /* co-signed for another chain */
    assert_ok(mc_test_body_register(&c.body, MC_ID_PATIENT, &H.id, &PT.key, "", &PT.key, &other_chain));
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG);
    mc_body_reg(&c, MC_ID_PROVIDER, &H.id, &X.key, "", &P.key);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG);    /* a co-signature, when given, is checked */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "lang=en", &PT.key);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_body_reg(&c, MC_ID_PROVIDER, &R.id, &X.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED); /* enrolling into another org */
    mc_body_raw(&c, "\x02junk", 5);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_BODY);
    mc_body_raw(&c, "", 0);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_BODY);
    mc_add(&c, &H, 99, MC_TXR_UNKNOWN_KIND);
    mc_add(&c, &H, 0, MC_TXR_UNKNOWN_KIND);
    mc_body_reg(&c, MC_ID_PROVIDER, &U.id, &X.key, "", NULL);
    mc_add(&c, &U, MC_TX_IDENTITY_REGISTER, MC_TXR_UNKNOWN_SIGNER);
    mc_add_signed(&c, &net.chain, &H.id, &X.key.sk, ++H.nonce, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_SIG);
    mc_add_signed(&c, &other_chain, &H.id, &H.key.sk, ++H.nonce, MC_TX_IDENTITY_REGISTER,
                  MC_TXR_WRONG_CHAIN);
    mc_add_raw(&c, "not a transaction", 17, MC_TXR_MALFORMED);
    mc_add_raw(&c, "", 0, MC_TXR_MALFORMED);
    mc_add_signed(&c, &net.chain, &H.id, &H.key.sk, 1, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_NONCE);
    mc_add_signed(&c, &net.chain, &H.id, &H.key.sk, 2, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_NONCE);
    /* P was registered earlier in this block, so it may sign; but a provider enrols no one */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &X.key, "", &X.key);
    mc_add(&c, &P, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED);
    mc_body_reg(&c, MC_ID_PATIENT, &P.id, &X.key, "", &X.key);
    mc_add(&c, &P, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED);
    mc_body_reg(&c, MC_ID_NODE, &H.id, &N.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    uint32_t ntx = c.txs.n;
    mc_test_txs keep; /* the first transaction's bytes, for the replay below */
    mc_test_txs_init(&keep);
    mc_slice first = mc_test_txs_get(&c.txs, 0);
    assert_ok(mc_test_txs_raw(&keep, first.p, first.n));
    const mc_exec_result *r = mc_commit(&c, 0);
    assert_true(r->header.height == 1);
    mc_hash first_id = r->txids[0];

    /* what the block wrote */
    mc_identity idn;
    mc_get_identity(&c, &P.id, &idn);
    assert_int_equal(idn.kind, MC_ID_PROVIDER);
    assert_int_equal(idn.status, MC_ID_ACTIVE);
    assert_memory_equal(idn.org.b, H.id.b, 32);
    assert_memory_equal(idn.sign_pk.b, P.key.pk.b, 32);
    assert_true(idn.registered_at == 1 && idn.updated_at == 1);
    assert_string_equal(mc_attrs_get(&idn.attrs, "role"), "physician");
    mc_get_identity(&c, &PT.id, &idn);
    assert_int_equal(idn.kind, MC_ID_PATIENT);
    mc_get_identity(&c, &A.id, &idn);
    assert_memory_equal(idn.org.b, R.id.b, 32);
    mc_store_txn *txn;
    assert_ok(mc_store_begin(c.st, 0, &txn));
    mc_identity none;
    assert_rc(mc_store_get_identity(txn, &X.id, &none), MC_ENOTFOUND); /* nothing refused was written */
    uint64_t nonce, height;
    uint32_t index;
    assert_ok(mc_store_get_nonce(txn, &H.id, &nonce));
    assert_true(nonce == H.nonce); /* refused-by-rule transactions still use their nonce */
    assert_ok(mc_store_get_txloc(txn, &first_id, &height, &index));
    assert_true(height == 1 && index == 0);
    mc_store_abort(txn);
    mc_exec_info info;
    mc_info(&c, &info);
    assert_true(info.txs == ntx);

    /* the same transaction bytes in a later batch: a replay */
    mc_slice again = mc_test_txs_get(&keep, 0);
    mc_add_raw(&c, again.p, again.n, MC_TXR_BAD_NONCE);
    r = mc_commit(&c, 0);
    assert_memory_equal(r->txids[0].b, first_id.b, 32);
    assert_ok(mc_store_begin(c.st, 0, &txn));
    assert_ok(mc_store_get_txloc(txn, &first_id, &height, &index));
    assert_true(height == 1 && index == 0); /* the index keeps the first occurrence */
    mc_store_abort(txn);

    mc_test_txs_free(&keep);
    mc_tchain_close(&c);
    mc_test_net_free(&net);
}

/* identity.rotate and identity.revoke, including a rotation used within its own block. */
static void test_rotate_revoke_results(void **state)
{
    (void)state;
    mc_test_net net;
    assert_ok(mc_test_net_init(&net, 1, 0));
    mc_tchain c;
    mc_tchain_open(&c, &net, NULL);
    mc_who H, R, P, Q, PT, N, U;
    mc_who_from(&H, &net.org[MC_TEST_ORG_HOSPITAL]);
    mc_who_from(&R, &net.org[MC_TEST_ORG_REGULATOR]);
    mc_who_new(&P);
    mc_who_new(&Q);
    mc_who_new(&PT);
    mc_who_new(&N);
    mc_who_new(&U);
    mc_body_reg(&c, MC_ID_PROVIDER, &H.id, &P.key, "role=physician", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_body_reg(&c, MC_ID_PROVIDER, &H.id, &Q.key, "role=nurse", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "", &PT.key);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_body_reg(&c, MC_ID_NODE, &H.id, &N.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_commit(&c, 0);

    mc_test_key k1 = P.key, k2, k3, k4;
    mc_test_key_new(&k2);
    mc_test_key_new(&k3);
    mc_test_key_new(&k4);
    mc_body_rot(&c, &P.id, &k1);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_SAME_KEY);
    mc_body_rot(&c, &U.id, &k2);
    mc_add(&c, &H, MC_TX_IDENTITY_ROTATE, MC_TXR_NOT_FOUND);
    mc_body_rev(&c, &U.id, 0);
    mc_add(&c, &H, MC_TX_IDENTITY_REVOKE, MC_TXR_NOT_FOUND);
    mc_body_rev(&c, &P.id, 1);
    mc_add(&c, &R, MC_TX_IDENTITY_REVOKE, MC_TXR_UNAUTHORIZED);  /* not P's org */
    mc_body_rot(&c, &Q.id, &k2);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_UNAUTHORIZED);  /* a colleague, not an org */
    mc_body_rev(&c, &H.id, 1);
    mc_add(&c, &P, MC_TX_IDENTITY_REVOKE, MC_TXR_UNAUTHORIZED);  /* staff cannot revoke their org */
    mc_body_raw(&c, "short", 5);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_BAD_BODY);
    mc_body_rev(&c, &P.id, 9);
    mc_add(&c, &P, MC_TX_IDENTITY_REVOKE, MC_TXR_BAD_BODY);        /* reason out of range */
    /* P rotates to k2; then signs with k2 in the same block (OK), rotating on to k3 */
    mc_body_rot(&c, &P.id, &k2);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_OK);
    P.key = k2;
    mc_body_rot(&c, &P.id, &k3);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_OK);
    /* the keys it had before are dead at once, within the block */
    mc_body_rot(&c, &P.id, &k4);
    mc_add_signed(&c, &net.chain, &P.id, &k1.sk, ++P.nonce, MC_TX_IDENTITY_ROTATE, MC_TXR_BAD_SIG);
    mc_add_signed(&c, &net.chain, &P.id, &k2.sk, ++P.nonce, MC_TX_IDENTITY_ROTATE, MC_TXR_BAD_SIG);
    P.key = k3;
    /* the org may rotate its staff's keys too */
    mc_add(&c, &H, MC_TX_IDENTITY_ROTATE, MC_TXR_OK);
    P.key = k4;
    mc_body_rev(&c, &P.id, 0);
    mc_add_signed(&c, &net.chain, &P.id, &k3.sk, ++P.nonce, MC_TX_IDENTITY_REVOKE, MC_TXR_BAD_SIG);
    /* revocation by the org, then nothing more for or by the patient */
    mc_body_rev(&c, &PT.id, 1);
    mc_add(&c, &H, MC_TX_IDENTITY_REVOKE, MC_TXR_OK);
    mc_body_rot(&c, &PT.id, &k2);
    mc_add(&c, &H, MC_TX_IDENTITY_ROTATE, MC_TXR_TARGET_REVOKED);
    mc_body_rev(&c, &PT.id, 2);
    mc_add(&c, &H, MC_TX_IDENTITY_REVOKE, MC_TXR_TARGET_REVOKED);
    mc_body_rot(&c, &PT.id, &k2);
    mc_add(&c, &PT, MC_TX_IDENTITY_ROTATE, MC_TXR_SIGNER_REVOKED);
    /* self-revocation of a node */
    mc_body_rev(&c, &N.id, 3);
    mc_add(&c, &N, MC_TX_IDENTITY_REVOKE, MC_TXR_OK);
    const mc_exec_result *r = mc_commit(&c, 0);
    uint64_t height = r->header.height;
    assert_true(height == 2);

    mc_identity idn;
    mc_get_identity(&c, &P.id, &idn);
    assert_memory_equal(idn.sign_pk.b, k4.pk.b, 32);
    assert_memory_equal(idn.box_pk.b, k4.box_pk.b, 32);
    assert_true(idn.registered_at == 1 && idn.updated_at == 2);
    assert_int_equal(idn.status, MC_ID_ACTIVE);
    mc_get_identity(&c, &PT.id, &idn);
    assert_int_equal(idn.status, MC_ID_REVOKED);
    assert_int_equal(idn.revoke_reason, 1);
    mc_get_identity(&c, &N.id, &idn);
    assert_int_equal(idn.status, MC_ID_REVOKED);
    assert_int_equal(idn.revoke_reason, 3);

    /* the next block: the current key works, an old one does not, revoked signers are refused */
    mc_body_rot(&c, &P.id, &k1);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_OK);
    mc_add_signed(&c, &net.chain, &P.id, &k4.sk, ++P.nonce, MC_TX_IDENTITY_ROTATE, MC_TXR_BAD_SIG);
    mc_body_rev(&c, &N.id, 0);
    mc_add(&c, &N, MC_TX_IDENTITY_REVOKE, MC_TXR_SIGNER_REVOKED);
    mc_commit(&c, 0);
    mc_tchain_close(&c);
    mc_test_net_free(&net);
}

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
    } cases[] = {{"bad proposer signature", MC_EBADSIG}, {"unknown proposer", MC_EDENIED},
                 {"registered node, not a validator", MC_EDENIED}, {"other chain", MC_EINVAL},
                 {"garbage", MC_EINVAL},                  {"empty", MC_EINVAL},
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

    /* a validator revoked by its org proposes no more */
    mc_who R;
    mc_who_from(&R, &net.org[MC_TEST_ORG_REGULATOR]); /* validator 1 belongs to org 1 */
    mc_body_rev(&c, &net.val[1].id, 1);
    mc_add(&c, &R, MC_TX_IDENTITY_REVOKE, MC_TXR_OK);
    mc_commit(&c, 0);
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

    /* three validators: the median of their latest times, so one liar moves nothing */
    mc_test_net three;
    assert_ok(mc_test_net_init(&three, 3, 0));
    mc_tchain_open(&c, &three, NULL);
    assert_true(mc_block_at(&c, 0, T + 1000000000ull) == T);
    assert_true(mc_block_at(&c, 0, UINT64_MAX) == T);
    assert_true(mc_block_at(&c, 1, T + 2000) == T + 2000);
    assert_true(mc_block_at(&c, 2, T + 3000) == T + 3000);
    assert_true(mc_block_at(&c, 1, T + 500) == T + 3000); /* a clock going back is ignored */
    assert_true(mc_block_at(&c, 2, 1) == T + 3000);
    assert_true(mc_block_at(&c, 1, T + 4000) == T + 4000);
    /* the validators' latest times are state, so they survive a restart */
    mc_tchain_reopen(&c);
    assert_true(mc_block_at(&c, 2, T + 3500) == T + 4000);
    assert_true(mc_block_at(&c, 2, T + 9000) == T + 9000);
    mc_tchain_close(&c);
    mc_test_net_free(&one);
    mc_test_net_free(&three);
}

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

static uint32_t mc_sim_rand(mc_sim *s, uint32_t n) { return mc_test_rand_below(&s->rng, n); }

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
    static const uint8_t kinds[] = {MC_ID_PROVIDER, MC_ID_PATIENT, MC_ID_AUDITOR, MC_ID_RESEARCHER,
                                    MC_ID_NODE, MC_ID_ORG};
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
        assert_ok(mc_test_txs_add(s->txs, chain, &ghost.who.id, &k.sk, 1, MC_TX_IDENTITY_REVOKE, &s->body,
                                  NULL));
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

static void mc_compare_tables(mc_store *a, mc_store *b)
{
    mc_store_txn *ta, *tb;
    assert_ok(mc_store_begin(a, 0, &ta));
    assert_ok(mc_store_begin(b, 0, &tb));
    for (int t = 0; t < MC_T_COUNT_; t++) {
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
        assert_true(n > 0);
        mc_store_iter_free(ia);
        mc_store_iter_free(ib);
    }
    mc_store_abort(ta);
    mc_store_abort(tb);
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
    uint64_t seed = 0x6d656463ull;
    const char *env = getenv("MC_TEST_SEED");
    if (env && mc_parse_u64(env, &seed) != MC_OK) fail_msg("bad MC_TEST_SEED");
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
        if (skip == 0) A.batch.p[A.batch.n - 3] ^= 0x10;             /* bad proposer signature */
        if (skip == 1 && bi > 0) {                                  /* a batch ordered twice */
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
    mc_tamper_block(c.st, 3, MC_HEADER_BYTES - 1, "state digest");  /* header: state digest */
    mc_tamper_block(c.st, 4, -1, "stored result");                   /* a result code */
    mc_tamper_block(c.st, 2, -15, "not valid");                       /* the batch's signature */
    mc_tamper_block(c.st, 5, 1 + 32 + 8, "does not link");           /* the previous-hash link */
    mc_tamper_block(c.st, 6, 1 + 32 + 8 + 32 + 32 + 32 + 3, NULL);   /* the block time */
    mc_tamper_block(c.st, 0, -5, "block 0");                          /* the genesis config */
    mc_tamper_block(c.st, 1, 0, "does not decode");                   /* the version byte */
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
        cmocka_unit_test(test_genesis),
        cmocka_unit_test(test_register_results),
        cmocka_unit_test(test_rotate_revoke_results),
        cmocka_unit_test(test_skipped_batches),
        cmocka_unit_test(test_block_time),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_sigcache_cannot_change_results),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_store_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
