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

struct mc_node {
    mc_node_config cfg;
    mc_store *store;
    mc_exec *exec;
    mc_orderer *orderer;
    mc_sigcache *sigcache;
    mc_api *api;
    mc_mempool mp;
    mc_keys keys; /* this validator's keys */
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
    /* metrics */
    atomic_uint_fast64_t blocks, txs_applied, batches_skipped, batches_submitted, admitted, rejected;
    atomic_uint_fast64_t apply_us, submit_us;
};

/* submit.c: the api backend's submit callback. */
void mc_node_submit(void *ctx, const mc_slice *txs, size_t n, int wait, int timeout_ms, mc_api_txout *out);
/* Stops applying and reports why (log, metric, /v1/status). */
void mc_node_halt(mc_node *n, const char *reason);

#endif
