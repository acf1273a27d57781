/*
 * Helpers shared by the exec suites (test_exec.c, test_exec_chain.c, test_exec_verify.c): an
 * identity as a test drives it, and a node under test that assembles batches of transactions
 * with their expected results, applies them and checks every result. Failures are cmocka
 * assertions.
 */
#ifndef MEDCHAIN_EXECTEST_H
#define MEDCHAIN_EXECTEST_H

#include "medchain/exec.h"
#include "testutil.h"

/* An identity as a test drives it: stable id, current keys, last nonce used. */
typedef struct {
    mc_test_key key;
    mc_id id;
    uint64_t nonce;
} mc_who;

void mc_who_from(mc_who *w, const mc_test_key *k);
/** A fresh random key, not registered anywhere yet. */
void mc_who_new(mc_who *w);

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

/** Opens a fresh node on @p net and applies its genesis (one verification thread, no cache,
 * when @p opts is NULL). */
void mc_tchain_open(mc_tchain *c, mc_test_net *net, const mc_exec_opts *opts);
/** Closes and reopens store and executor, as after a restart. */
void mc_tchain_reopen(mc_tchain *c);
void mc_tchain_close(mc_tchain *c);
/** Applies ordered batch bytes at the next orderer position. */
const mc_exec_result *mc_tchain_apply(mc_tchain *c, const uint8_t *p, size_t n);
void mc_info(mc_tchain *c, mc_exec_info *info);

/** Adds a transaction signed with @p sk as @p signer, expecting result @p want. */
void mc_add_signed(mc_tchain *c, const mc_hash *chain, const mc_id *signer, const mc_sign_sk *sk,
                   uint64_t nonce, uint16_t kind, uint16_t want);
/** The usual case: @p w signs with its current key and its next nonce. */
void mc_add(mc_tchain *c, mc_who *w, uint16_t kind, uint16_t want);
/** Adds raw bytes as the next transaction, expecting result @p want. */
void mc_add_raw(mc_tchain *c, const void *p, size_t n, uint16_t want);

/* Bodies, built into c->body. */
void mc_body_reg(mc_tchain *c, uint8_t kind, const mc_id *org, const mc_test_key *k, const char *attrs,
                 const mc_test_key *cosigner);
void mc_body_rot(mc_tchain *c, const mc_id *id, const mc_test_key *k);
void mc_body_rev(mc_tchain *c, const mc_id *id, uint16_t reason);
void mc_body_raw(mc_tchain *c, const void *p, size_t n);

/**
 * Proposes the assembled transactions as one batch by validator @p v, applies it and checks
 * every result against what was expected.
 */
const mc_exec_result *mc_commit(mc_tchain *c, uint32_t v);
/** Reads identity @p id from the node's store (asserts it is there). */
void mc_get_identity(mc_tchain *c, const mc_id *id, mc_identity *out);

/** Asserts that every table of @p a and @p b holds the same keys and values. */
void mc_compare_tables(mc_store *a, mc_store *b);

#endif
