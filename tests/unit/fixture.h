/*
 * Test fixtures over the public API only: key pairs (random or fixed), a small consortium with
 * its genesis config, and builders for bodies, transactions and batches.
 *
 * No cmocka here: fuzz/make_corpus.c links the same code. Every function returns an MC_E*
 * code; callers in tests assert it is MC_OK.
 */
#ifndef MEDCHAIN_TEST_FIXTURE_H
#define MEDCHAIN_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/util.h"

/** A signing and an encryption key pair, and the id an identity registered with it gets. */
typedef struct {
    mc_sign_pk pk;
    mc_sign_sk sk;
    mc_box_pk box_pk;
    mc_box_sk box_sk;
    mc_id id; /**< mc_id_from_pk(pk) */
} mc_test_key;

/** A fresh random key. */
void mc_test_key_new(mc_test_key *k);
/** Fixed key number @p i (0..MC_TEST_FIXED_KEYS-1), the same on every run (tests/vectors/keys.txt). */
#define MC_TEST_FIXED_KEYS 8
void mc_test_key_fixed(mc_test_key *k, unsigned i);
/** The seed and public key of fixed key @p i, as checked in (for test_crypto to compare). */
void mc_test_key_fixed_raw(unsigned i, uint8_t seed[32], uint8_t pk[32]);

/* The consortium: org 0 is a hospital, org 1 a regulator, org 2 a research institute. */
#define MC_TEST_ORGS          3
#define MC_TEST_ORG_HOSPITAL  0
#define MC_TEST_ORG_REGULATOR 1
#define MC_TEST_ORG_RESEARCH  2
#define MC_TEST_MAX_VALS      4
#define MC_TEST_GENESIS_TIME  1700000000000ull

typedef struct {
    mc_test_key org[MC_TEST_ORGS];
    mc_test_key val[MC_TEST_MAX_VALS]; /**< validator i belongs to org i % MC_TEST_ORGS */
    uint32_t nval;
    mc_genesis g;
    mc_buf genesis;   /**< the encoded genesis config */
    mc_hash chain;    /**< its chain id */
    uint64_t seq;     /**< sequence number of the next batch mc_test_batch builds */
    uint64_t time_ms; /**< time stamp of the next batch; each batch adds 1000 */
} mc_test_net;

/**
 * Sets up a consortium with @p nval validators (1..MC_TEST_MAX_VALS), with fixed keys (orgs
 * use fixed keys 0..2, validators 3..) when @p fixed, else random ones.
 */
int mc_test_net_init(mc_test_net *n, uint32_t nval, int fixed);
void mc_test_net_free(mc_test_net *n);

/** Appends the body of an identity.register (the patient co-signs when @p cosigner). */
int mc_test_body_register(mc_buf *out, uint8_t kind, const mc_id *org, const mc_test_key *newk,
                          const char *attrs, const mc_test_key *cosigner, const mc_hash *chain);
int mc_test_body_rotate(mc_buf *out, const mc_id *id, const mc_test_key *newk);
int mc_test_body_revoke(mc_buf *out, const mc_id *id, uint16_t reason);

/** A list of encoded transactions (or any bytes standing in a batch's transaction slots). */
#define MC_TEST_MAX_TXS 64
typedef struct {
    mc_buf all;
    uint32_t n;
    size_t off[MC_TEST_MAX_TXS + 1];
    mc_slice s[MC_TEST_MAX_TXS]; /**< filled by mc_test_txs_slices() */
} mc_test_txs;

void mc_test_txs_init(mc_test_txs *l);
void mc_test_txs_free(mc_test_txs *l);
/** Empties the list. */
void mc_test_txs_reset(mc_test_txs *l);
/** Adds raw bytes as the next transaction. */
int mc_test_txs_raw(mc_test_txs *l, const void *p, size_t n);
/** Builds, signs with @p sk and adds a transaction; its id into @p id when not NULL. */
int mc_test_txs_add(mc_test_txs *l, const mc_hash *chain, const mc_id *signer, const mc_sign_sk *sk,
                    uint64_t nonce, uint16_t kind, const mc_buf *body, mc_hash *id);
/** The slices of the list (valid until the list changes). */
const mc_slice *mc_test_txs_slices(mc_test_txs *l);
/** The bytes of transaction @p i. */
mc_slice mc_test_txs_get(const mc_test_txs *l, uint32_t i);

/**
 * Builds a batch of @p l (may be NULL: no transactions) proposed and signed by @p proposer for
 * the net's chain, with the net's next sequence number and time stamp. Resets @p out first.
 */
int mc_test_batch(mc_buf *out, mc_test_net *n, const mc_test_key *proposer, mc_test_txs *l,
                  const mc_cert *cert);

/**
 * A certificate of header hash @p hh at @p height signed by the @p n keys @p keys (in any order;
 * the signers come out strictly increasing by id, as the format wants). @return MC_OK, MC_ETOOBIG.
 */
int mc_test_cert(mc_cert *c, const mc_hash *chain, uint64_t height, const mc_hash *hh,
                 const mc_test_key *const *keys, uint32_t n);

#endif
