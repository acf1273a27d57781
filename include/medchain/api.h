/*
 * medchain api: the node's HTTP API under /v1 (the only module that includes microhttpd.h;
 * JSON through jansson). Documented in docs/api.md.
 *
 * Every /v1 route but /v1/status requires a signed request (DESIGN.md section 6): the X-MC-*
 * headers carry an Ed25519 signature by a registered, active identity over mc_request_digest().
 * A request whose time is further than the allowed skew from the node's clock, or whose
 * (signer, nonce) was seen before, is refused and changes nothing. Bodies and lists are capped.
 * Errors are JSON: {"error":{"code":"EBADSIG","message":"..."}} with a stable code.
 *
 * The api knows nothing of mempools and orderers: the node hands it an mc_api_backend.
 *
 * THREAD SAFETY: requests are served on their own threads; backend callbacks must be
 * thread-safe.
 */
#ifndef MEDCHAIN_API_H
#define MEDCHAIN_API_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/store.h"
#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How long POST /v1/tx waits before answering. */
enum mc_api_wait {
    MC_WAIT_ORDERED = 0,   /**< until durably ordered: it will be in a block (default) */
    MC_WAIT_COMMITTED = 1, /**< until applied in a block, with its result */
    MC_WAIT_CERTIFIED = 2, /**< until its block is certified by a quorum of validators */
};

/** Where one submitted transaction stands. */
enum mc_api_txstate {
    MC_TXS_REJECTED = 0,  /**< refused at admission; never ordered (code says why) */
    MC_TXS_PENDING = 1,   /**< accepted, not yet ordered (the wait timed out) */
    MC_TXS_ORDERED = 2,   /**< durably ordered */
    MC_TXS_COMMITTED = 3, /**< applied; code is its result in the block */
    MC_TXS_FAILED = 4,    /**< the node could not order it (err says why); not acknowledged */
    MC_TXS_CERTIFIED = 5, /**< committed, and its block certified; code is its result */
};

typedef struct {
    mc_hash id;
    int state;       /**< enum mc_api_txstate */
    int code;        /**< enum mc_txr (REJECTED, COMMITTED) */
    int err;         /**< MC_E* (FAILED), else MC_OK */
    uint64_t height; /**< COMMITTED, CERTIFIED */
    uint32_t index;  /**< COMMITTED, CERTIFIED */
} mc_api_txout;

/** A snapshot of the node for /v1/status. */
typedef struct {
    const char *chain_name;
    mc_hash chain;
    mc_id node_id;
    const char *orderer;
    uint64_t height;
    mc_hash tip;
    uint64_t time_ms;
    mc_hash state_digest;
    uint64_t mempool;
    int halted; /**< the node stopped applying (see halt_reason) */
    const char *halt_reason;
    uint64_t certified;    /**< highest certified height (0: genesis only) */
    int alarm;             /**< a quorum certified another header than this node's */
    uint64_t alarm_height; /**< where (when alarm) */
    uint32_t validators;   /**< n: the validator set for the next block (genesis, then admissions) */
    uint32_t quorum;       /**< attestations that certify a header */
    int validator;         /**< this node is in that set (else it follows: no proposing) */
} mc_api_status;

/** What the node provides to the api. */
typedef struct {
    void *ctx;
    mc_store *store;
    mc_hash chain;
    /** Admits, then waits as asked (at most @p timeout_ms) and fills @p out[0..n). */
    void (*submit)(void *ctx, const mc_slice *txs, size_t n, int wait, int timeout_ms, mc_api_txout *out);
    void (*status)(void *ctx, mc_api_status *out);
    /** Appends the node's own Prometheus metrics. */
    void (*metrics)(void *ctx, mc_buf *out);
    /** This node's identity: its org in the state is the custodian it may log reads for. */
    mc_id node;
    /**
     * A transaction of @p kind signed by the node (a logged read: access.log, access.reads):
     * builds it around @p body with the node's key and next nonce, submits it and waits until it
     * is committed (at most @p timeout_ms). Fills @p out as submit does (out->id: its id). NULL:
     * the node logs no reads (the read routes answer 503 EUNAVAIL).
     */
    void (*log_tx)(void *ctx, uint16_t kind, const uint8_t *body, size_t nbody, int timeout_ms,
                   mc_api_txout *out);
    /**
     * The node's key-release keys (DESIGN.md section 4): the current one first, then retired
     * ones. The gatekeeper opens a record's custodian key with whichever opens it and releases
     * the data key to permitted readers. Owned by the node; valid until mc_api_stop().
     */
    const mc_box_sk *release_sk;
    const mc_box_pk *release_pk;
    size_t nrelease;
    /**
     * Blocks until a block above @p height has been applied. Never holds a store transaction.
     * @return MC_OK (the tip moved), MC_ETIMEDOUT (after @p timeout_ms), MC_ECLOSED (the node is
     * stopping: event streams end). NULL: event streams poll.
     */
    int (*wait_tip)(void *ctx, uint64_t height, int timeout_ms);
    /**
     * The node's ciphertext (DATA/blobs): the gatekeeper's content routes store and serve
     * record ciphertext here. NULL: those routes answer 503 EUNAVAIL.
     */
    mc_blob_store *blobs;
    /**
     * The node's verified-signature cache (may be NULL). When a logged read's request signature
     * verified at authentication, the api records it here, so the executor's access.log pre-pass
     * does not verify the same signature a second time.
     */
    mc_sigcache *sigcache;
    /**
     * Whether the node raised the divergence alarm (a quorum of validators certified another
     * header than its own): the read routes then answer 503 EUNAVAIL rather than serve its
     * state as good. NULL: never.
     */
    int (*alarmed)(void *ctx);
} mc_api_backend;

typedef struct {
    const char *bind;       /**< address to listen on, e.g. "127.0.0.1" */
    uint16_t port;          /**< 0: pick a free port (see mc_api_port) */
    size_t max_body;        /**< request body cap in bytes */
    size_t max_content;     /**< body cap of the content routes (ciphertext uploads); 0: 16 MiB */
    unsigned max_conns;     /**< simultaneous connections */
    uint64_t skew_ms;       /**< allowed clock difference for signed requests */
    size_t max_txs;         /**< transactions in one POST /v1/tx */
    int default_timeout_ms; /**< wait cap for POST /v1/tx */
    const char *tls_cert;   /**< PEM file: serve HTTPS (with tls_key) */
    const char *tls_key;
    unsigned access_rate;  /**< logged reads per second per signer (0: 20); beyond, 429 ETOOMANY */
    unsigned access_burst; /**< logged reads a signer may make at once (0: 100) */
    unsigned read_rate;    /**< records per second per signer through POST /v1/reads (0: 2000) */
    unsigned read_burst;   /**< records a signer may read at once that way (0: 8192: a whole chart) */
} mc_api_opts;

typedef struct mc_api mc_api;

/**
 * Starts serving. @p backend is copied; its pointers must outlive the api.
 * @return MC_OK, MC_EIO (cannot listen), MC_ENOMEM, MC_EINVAL.
 */
int mc_api_start(mc_api **pp, const mc_api_opts *opts, const mc_api_backend *backend) MC_WARN_UNUSED_RESULT;
/** The port actually listened on. */
uint16_t mc_api_port(const mc_api *api);
/** Stops listening, ends connections (event streams included) and frees. NULL is harmless. */
void mc_api_stop(mc_api *api);

#ifdef __cplusplus
}
#endif
#endif
