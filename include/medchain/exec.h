/*
 * medchain exec: the deterministic executor. It turns ordered batches into blocks: same
 * genesis and same batches in, same blocks, results and state digests out, on every node.
 *
 * An invalid transaction stays in its block flagged with a result code (enum mc_txr); it never
 * halts the chain. A batch that is not a validly signed batch of this chain from a validator,
 * or that was already applied, makes no block: the orderer position still advances.
 * Time-based rules use the block time only, never a local clock.
 *
 * THREAD SAFETY: one thread applies; mc_exec_info() may be called from any thread.
 */
#ifndef MEDCHAIN_EXEC_H
#define MEDCHAIN_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_exec mc_exec;

typedef struct {
    mc_sigcache *sigcache;   /**< signatures verified at admission (may be NULL); not owned */
    unsigned verify_threads; /**< threads for a batch's signature checks; 0: one per CPU */
    /**
     * Called (if set) inside each block's write transaction, after the block, its index and
     * the state are written and before the commit, with the new header and its hash: the node
     * keeps its attestation there, durable with the block and at no extra sync. It may write
     * only tables outside the state (the state digest is already computed). Nonzero (an MC_E*
     * code) aborts the block: nothing is applied and mc_exec_apply returns that code.
     */
    int (*on_block)(void *arg, mc_store_txn *txn, const mc_header *h, const mc_hash *hh);
    void *on_block_arg;
} mc_exec_opts;

/** What the chain looks like now. */
typedef struct {
    int initialised;      /**< 0 until genesis has been applied */
    mc_hash chain;        /**< chain id */
    uint64_t height;      /**< height of the tip */
    mc_hash tip;          /**< header hash of the tip */
    uint64_t time_ms;     /**< block time of the tip */
    mc_hash state_digest; /**< state digest of the tip */
    uint64_t txs;         /**< transactions applied since this exec was opened */
} mc_exec_info;

/**
 * Opens an executor over @p st (not owned; must outlive it), reading the tip if the store has
 * a chain. @return MC_OK, MC_ENOMEM, MC_ECORRUPT, MC_EIO.
 */
int mc_exec_open(mc_exec **pp, mc_store *st, const mc_exec_opts *opts) MC_WARN_UNUSED_RESULT;
void mc_exec_free(mc_exec *x);

/**
 * Applies @p genesis as block 0 if the store is empty. If the store already has a chain, checks
 * that it was made from the same genesis. @return MC_OK, MC_EINVAL (not a genesis config, or
 * a different one), MC_EIO, MC_ETOOBIG.
 */
int mc_exec_genesis(mc_exec *x, const uint8_t *genesis, size_t n) MC_WARN_UNUSED_RESULT;

/** How far a block time may run ahead of the lower median of the validators' latest times. */
#define MC_BLOCK_TIME_LEAD_MS 60000u

/**
 * The block time a batch proposed now by validator @p proposer, stamped @p proposer_ms, would
 * get if it were applied next (docs/decisions.md, "Block time"): what a node decides a logged
 * read at, so that its decision is the executor's. Reads the state in @p txn only.
 * @return MC_OK, MC_ENOTFOUND (no chain yet), MC_ECORRUPT, MC_ENOMEM, or a store error.
 * THREAD SAFETY: any thread, with its own read transaction.
 */
int mc_exec_predict_time(mc_store_txn *txn, const mc_id *proposer, uint64_t proposer_ms,
                         uint64_t *out) MC_WARN_UNUSED_RESULT;

void mc_exec_get_info(mc_exec *x, mc_exec_info *info);
/** The validator set that certifies the next block (genesis, then admissions). */
void mc_exec_get_valset(mc_exec *x, mc_valset *out);

/** The outcome of one ordered batch. Arrays are owned by the exec, valid until the next apply. */
typedef struct {
    int applied;     /**< 1: a block was made; 0: the batch was skipped */
    int skip_reason; /**< when skipped: MC_EINVAL (malformed or other chain), MC_EBADSIG,
                          MC_EDENIED (proposer not a validator), MC_EEXIST (seen before) */
    mc_header header;
    mc_hash header_hash;
    uint32_t ntx;
    const mc_hash *txids; /**< ids of the block's transactions */
    const uint16_t *results;
} mc_exec_result;

/**
 * Applies one ordered batch in one store write transaction, together with the orderer
 * position @p pos (opaque bytes, stored as meta "opos"). Invalid content is never an error: it
 * is skipped or flagged. @return MC_OK, or MC_EIO / MC_ETOOBIG / MC_ENOMEM / MC_ECORRUPT when
 * the store fails (then nothing was applied, and the caller must stop).
 */
int mc_exec_apply(mc_exec *x, const uint8_t *batch, size_t n, const void *pos, size_t npos,
                  mc_exec_result *res) MC_WARN_UNUSED_RESULT;

/** Progress and verdict of mc_exec_verify(). */
typedef struct {
    uint64_t blocks;     /**< blocks checked */
    uint64_t txs;        /**< transactions re-verified */
    int ok;              /**< 1 if everything checked out */
    uint64_t bad_height; /**< first bad block, when !ok (UINT64_MAX: not a block) */
    char what[512];      /**< what is wrong, in one sentence (ids as hex, never content) */
} mc_verify_report;

/**
 * Re-checks a whole chain from genesis, offline: every block's encoding, hash links, batch and
 * transaction signatures, Merkle roots and results, by replaying every batch into a fresh
 * scratch store in @p scratch_dir, then compares the replayed state, transaction index and
 * metadata with @p src byte for byte. Names the first damage found.
 * @return MC_OK when the check ran (see report->ok), or MC_EIO / MC_ENOMEM if it could not.
 */
int mc_exec_verify(mc_store *src, const char *scratch_dir, unsigned threads,
                   mc_verify_report *report) MC_WARN_UNUSED_RESULT;

#ifdef __cplusplus
}
#endif
#endif
