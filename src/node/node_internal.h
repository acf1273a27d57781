/* Internal to the node module. */
#ifndef MEDCHAIN_NODE_INTERNAL_H
#define MEDCHAIN_NODE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "medchain/api.h"
#include "medchain/crypto.h"
#include "medchain/exec.h"
#include "medchain/node.h"
#include "medchain/orderer.h"
#include "medchain/store.h"
#include "mempool.h"

#define MC_NODE_MAX_RELEASE_KEYS 8u

struct mc_node {
    mc_node_config cfg;
    mc_store *store;
    mc_exec *exec;
    mc_orderer *orderer;
    mc_sigcache *sigcache;
    mc_blob_store *blobs; /* record ciphertext (DATA/blobs), for the api's gatekeeper */
    mc_api *api;
    mc_mempool mp;
    mc_keys keys; /* this validator's keys */
    /* key-release keys (release_key.c): the current one first, then retired ones */
    mc_box_sk release_sk[MC_NODE_MAX_RELEASE_KEYS];
    mc_box_pk release_pk[MC_NODE_MAX_RELEASE_KEYS];
    size_t nrelease;
    pthread_t publisher; /* publishes org.gatekeeper until the chain has it */
    int publisher_started;
    int release_warned; /* said once that another node of the org published its gatekeeper */
    mc_hash chain;
    char chain_name[MC_MAX_NAME + 1];
    uint64_t batch_seq;
    pthread_t batcher, applier;
    int batcher_started, applier_started;
    int running; /* start-up completed (stop then reports what it does) */
    atomic_int batcher_done;
    atomic_int stop_applier;
    atomic_int halted;
    /* group commit: the batcher keeps at most batch_max_inflight of its batches ordered but not
     * yet applied, so that under load transactions gather into fewer, larger blocks */
    pthread_mutex_t flight_lock;
    pthread_cond_t flight_cond;
    unsigned inflight;
    const char *halt_reason;
    /* the applied tip, for event streams waiting on the next block (mc_node_wait_tip) */
    pthread_mutex_t tip_lock;
    pthread_cond_t tip_cond; /* broadcast after each applied block, and at stop */
    uint64_t tip_height;
    int stopping; /* under tip_lock: waiting streams end */
    /* access.log transactions signed by this node: requests queue under log_lock, and the one
     * log signer thread numbers (log_nonce is its own), signs and admits them in queue order, so
     * they reach the mempool's FIFO (and the chain) in increasing order */
    pthread_mutex_t log_lock;
    pthread_cond_t log_cond; /* the signer: something queued, or stop */
    struct mc_log_req *log_head, *log_tail;
    int log_idle; /* the signer waits on log_cond: the next request to queue signals it */
    int log_stop;
    pthread_t log_thread;
    int log_started;
    uint64_t log_nonce;
    /* this node's public key, and whether its key pair signs what it verifies (checked once at
     * start): only then are its own access.log signatures put in the signature cache unverified */
    mc_sign_pk log_pk;
    int log_pk_ok;
    /* attestations (attest.c): the highest certified height (wakes wait=certified under
     * cert_lock), and the divergence alarm; validator sets are read from the store per height */
    atomic_uint_fast64_t certified;
    atomic_int is_validator;               /* in the set for the next block: proposes, attests */
    atomic_uint_fast64_t order_down_until; /* monotonic ms: the orderer refused the last batch */
    atomic_int alarm;
    uint64_t alarm_height;
    pthread_mutex_t cert_lock;
    pthread_cond_t cert_cond;
    int cert_init;
    atomic_uint_fast64_t attests_made, attests_received;
    atomic_uint_fast64_t attested; /* the last height this node applied (and attested, if a validator) */
    pthread_t att_thread;          /* publishes and fetches attestations (etcd) */
    int att_started;
    atomic_int att_stop;
    atomic_uint_fast64_t cert_sent; /* height of the last certificate put in one of our batches */
    /* what the on_block hook found in the block's transaction (applier thread only) */
    struct mc_tallied_ {
        uint64_t height;
        int certified, diverged;
        mc_hash mine, theirs;
    } blk_tally;
    int blk_tally_ok;
    /* sync.c: while a synced block is applied, the header hash it must give (applier thread) */
    int sync_expecting;
    mc_hash sync_expect;
    uint64_t sync_warn_ms;
    char sync_last[320]; /* why the last peer did not help (for the rate-limited warning) */
    uint64_t compacted;  /* the orderer's history is compacted up to this block (att thread) */
    /* metrics */
    atomic_uint_fast64_t blocks, txs_applied, batches_skipped, batches_submitted, admitted, rejected;
    atomic_uint_fast64_t apply_us, submit_us;
};

/* submit.c: the api backend's submit callback. */
void mc_node_submit(void *ctx, const mc_slice *txs, size_t n, int wait, int timeout_ms, mc_api_txout *out);
/* Admits @p count transactions of this node's, each for its own one-slot waiter @p ws[i] (held:
 * mc_mempool_hold), in this order and under one hold of the mempool's lock, and returns with
 * that lock held (for the caller to release the holds). A refused or failed transaction has
 * its waiter's slot filled. Does not wait. */
void mc_node_admit_locked(mc_node *n, const mc_slice *txs, mc_waiter *const *ws, size_t count);
/* access_log.c: the api backend's log_access and wait_tip callbacks, and their state. */
void mc_node_log_tx(void *ctx, uint16_t kind, const uint8_t *body, size_t nbody, int timeout_ms,
                    mc_api_txout *out);
int mc_node_wait_tip(void *ctx, uint64_t height, int timeout_ms);
/* Initialises the locks (first thing at start: stop destroys them). */
void mc_node_tip_init(mc_node *n);
/* Reads the tip and the node's last nonce from the store (before the applier runs). */
int mc_node_tip_load(mc_node *n);
/* The applier applied block @p height, or (@p stopping) the node is stopping and event streams
 * end now, not when the api stops: wakes them. */
void mc_node_tip_moved(mc_node *n, uint64_t height, int stopping);
void mc_node_tip_destroy(mc_node *n);
/* Starts the log signer thread (before the api), and stops it (after the api: no request may be
 * waiting on it). */
int mc_node_log_start(mc_node *n);
/* Writes a start-up failure's sentence to @p err. */
void mc_errf(char *err, size_t nerr, const char *fmt, ...) MC_PRINTF(3, 4);
/* release_key.c: the key-release keys (loaded, or made on first start) and their publication. */
int mc_node_release_load(mc_node *n, const char *pass, char *err, size_t nerr);
int mc_node_release_start(mc_node *n, char *err, size_t nerr);
void mc_node_release_stop(mc_node *n);
void mc_node_log_stop(mc_node *n);
/* attest.c: the validator set from genesis (at start), the stored certified height (before the
 * applier runs), and the locks' end (at stop). */
int mc_node_attest_init(mc_node *n);
/* After the orderer refused a batch as unavailable, submissions fail at once for this long. */
#define MC_ORDER_DOWN_MS  1000u
#define MC_ORDER_PROBE_MS 100u /* while down: how often the idle batcher asks the orderer again */

/* After a block was applied (orderer or sync): mempool, waiters, role, attestation. */
void mc_node_applied(mc_node *n, const mc_exec_result *res);
/*
 * sync.c: the orderer no longer holds the log after @p pos (MC_ESTALE): fetches certified
 * blocks from the peers (cfg.peers), checks each certificate against the validator set of its
 * height, re-executes each batch and keeps the block only if it gives the certified header.
 * Moves @p pos to the last applied block's orderer position. @return MC_OK (applied some),
 * MC_EUNAVAIL (no peer could help now: try later; logged, rate-limited), or another code after
 * halting the node (a certified block that does not re-execute to its header: an alarm).
 */
int mc_node_sync(mc_node *n, mc_orderer_pos *pos);
/* sync.c: with etcd_retain_blocks set, deletes the ordered batches of the blocks more than that
 * many below @p certified and compacts the orderer's history there (attestation thread). */
void mc_node_compact(mc_node *n, uint64_t certified);

/* Reads whether this node's key is in the validator set for the next block (is_validator). */
void mc_node_refresh_role(mc_node *n);
int mc_node_attest_load(mc_node *n);
void mc_node_attest_destroy(mc_node *n);
/* Signs the header this node applied (hash @p hh), keeps the attestation (in @p out) and
 * re-tallies the height. @return MC_OK or a store error. */
int mc_node_attest_applied(mc_node *n, const mc_header *h, const mc_hash *hh, mc_attest *out);
/* Verifies another validator's attestation against the genesis set, keeps it and re-tallies.
 * @return MC_OK, MC_EDENIED (not a validator), MC_EBADSIG, MC_EEXIST (it attested another
 * header at that height before), a store error. */
int mc_node_attest_receive(mc_node *n, const mc_attest *a);
/* Waits until block @p height is certified. @return MC_OK, MC_ETIMEDOUT (at @p deadline_ms,
 * monotonic), MC_EUNAVAIL (halted or alarmed). */
int mc_node_wait_certified(mc_node *n, uint64_t height, uint64_t deadline_ms);
/* The exchange thread (etcd orderer only): publishes this node's attestations beside the
 * ordered log and fetches the others' for heights applied but not certified. */
int mc_node_attest_start(mc_node *n);
void mc_node_attest_stop(mc_node *n);
/* The executor's on_block hook: signs and keeps this node's attestation inside the block's
 * write transaction; mc_node_attest_after (applier, once mc_exec_apply succeeded) acts on it. */
int mc_node_on_block(void *arg, mc_store_txn *txn, const mc_header *h, const mc_hash *hh);
void mc_node_attest_after(mc_node *n, uint64_t height);
/* The certificate of the highest certified header, when newer than the last one this node's
 * batches carried (like Tendermint's LastCommit): 1 with @p out filled, else 0. After the batch
 * carrying it is ordered, mc_node_cert_sent. */
int mc_node_cert_next(mc_node *n, mc_cert *out);
void mc_node_cert_sent(mc_node *n, uint64_t height);
/* The api backend's alarmed callback. */
int mc_node_alarmed(void *ctx);
/* Stops applying and reports why (log, metric, /v1/status). */
void mc_node_halt(mc_node *n, const char *reason);

#endif
