/* Internal to the exec module. */
#ifndef MEDCHAIN_EXEC_INTERNAL_H
#define MEDCHAIN_EXEC_INTERNAL_H

#include <pthread.h>

#include "medchain/exec.h"

struct mc_exec {
    mc_store *st;
    mc_exec_opts opts;
    pthread_mutex_t lock; /* guards info for readers on other threads */
    mc_exec_info info;
    uint32_t nvalidators;
    mc_id validators[MC_MAX_VALIDATORS];
    /* per-block scratch, reused */
    mc_hash *txids;
    uint16_t *results;
    mc_hash *leaves;
    size_t cap;
};

/* Everything a transaction rule needs. */
typedef struct {
    mc_store_txn *txn;
    const mc_hash *chain;
    uint64_t height;
    uint64_t time_ms;
    const mc_tx *tx;
    const mc_identity *signer;
} mc_exec_ctx;

/* Transaction rules: each returns an enum mc_txr code, or a negative MC_E* store failure. */
int mc_exec_identity_register(const mc_exec_ctx *c);
int mc_exec_identity_rotate(const mc_exec_ctx *c);
int mc_exec_identity_revoke(const mc_exec_ctx *c);

/* Writes meta "digest": the tip's block time and state digest. */
int mc_exec_put_digest_meta(mc_store_txn *txn, uint64_t time_ms, const mc_hash *digest);

/* Loads the chain id, tip and validator list from the store into x->info. */
int mc_exec_load(mc_exec *x);

#endif
