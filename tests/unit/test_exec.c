/*
 * exec, part 1: genesis, and every transaction result code of identity.register, rotate and
 * revoke. Skipped batches, block time, the signature cache and a full store:
 * test_exec_chain.c. Determinism and mc_exec_verify: test_exec_verify.c.
 */
#include "exectest.h"

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
    mc_add(&c, &R, MC_TX_IDENTITY_REGISTER, MC_TXR_OK); /* the regulator may */
    mc_body_reg(&c, MC_ID_RESEARCHER, &H.id, &RS.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED); /* a hospital enrolling a researcher */
    mc_body_reg(&c, MC_ID_RESEARCHER, &S.id, &RS.key, "", NULL);
    mc_add(&c, &S, MC_TX_IDENTITY_REGISTER, MC_TXR_OK); /* the research institute may */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "", NULL);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG); /* patient without co-signature */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "", &X.key);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG); /* co-signed by someone else */
    mc_buf_reset(&c.body);                                     /* co-signed for another chain */
    assert_ok(mc_test_body_register(&c.body, MC_ID_PATIENT, &H.id, &PT.key, "", &PT.key, &other_chain));
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG);
    mc_body_reg(&c, MC_ID_PROVIDER, &H.id, &X.key, "", &P.key);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_COSIG); /* a co-signature, when given, is checked */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "lang=en", &PT.key);
    mc_add(&c, &H, MC_TX_IDENTITY_REGISTER, MC_TXR_BAD_BODY); /* a patient carries no attributes */
    mc_body_reg(&c, MC_ID_PATIENT, &H.id, &PT.key, "", &PT.key);
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
    mc_add_signed(&c, &other_chain, &H.id, &H.key.sk, ++H.nonce, MC_TX_IDENTITY_REGISTER, MC_TXR_WRONG_CHAIN);
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

    /* a validator is neither revoked nor re-keyed by a plain transaction, even by its own org
     * or itself (validator 0 belongs to the hospital); a node that is not one is */
    mc_who V;
    mc_test_key vk;
    mc_who_from(&V, &net.val[0]);
    mc_test_key_new(&vk);
    mc_body_rev(&c, &V.id, 1);
    mc_add(&c, &H, MC_TX_IDENTITY_REVOKE, MC_TXR_UNAUTHORIZED);
    mc_body_rot(&c, &V.id, &vk);
    mc_add(&c, &H, MC_TX_IDENTITY_ROTATE, MC_TXR_UNAUTHORIZED);
    mc_body_rot(&c, &V.id, &vk);
    mc_add(&c, &V, MC_TX_IDENTITY_ROTATE, MC_TXR_UNAUTHORIZED);

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
    mc_add(&c, &R, MC_TX_IDENTITY_REVOKE, MC_TXR_UNAUTHORIZED); /* not P's org */
    mc_body_rot(&c, &Q.id, &k2);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_UNAUTHORIZED); /* a colleague, not an org */
    mc_body_rev(&c, &H.id, 1);
    mc_add(&c, &P, MC_TX_IDENTITY_REVOKE, MC_TXR_UNAUTHORIZED); /* staff cannot revoke their org */
    mc_body_raw(&c, "short", 5);
    mc_add(&c, &P, MC_TX_IDENTITY_ROTATE, MC_TXR_BAD_BODY);
    mc_body_rev(&c, &P.id, 9);
    mc_add(&c, &P, MC_TX_IDENTITY_REVOKE, MC_TXR_BAD_BODY); /* reason out of range */
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

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis),
        cmocka_unit_test(test_register_results),
        cmocka_unit_test(test_rotate_revoke_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
