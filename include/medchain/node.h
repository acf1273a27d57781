/*
 * medchain node: a running medchaind. Wires the store, executor, orderer, mempool and HTTP API
 * together and runs the two pipeline threads:
 *
 *   batcher  takes admitted transactions from the mempool, signs them into a batch and submits
 *            it to the orderer (acknowledging "ordered" once the orderer has it durably);
 *   applier  follows the orderer from the stored position and applies each batch as a block
 *            (acknowledging "committed" with each transaction's result).
 *
 * THREAD SAFETY: mc_node_start/mc_node_stop from one thread; the node's own threads do the rest.
 */
#ifndef MEDCHAIN_NODE_H
#define MEDCHAIN_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char data_dir[1024];        /**< store, orderer log, blobs (record ciphertext) */
    char genesis[1024];         /**< genesis config file (binary, from `medchain init`) */
    char node_key[1024];        /**< this validator's key file */
    char passphrase_file[1024]; /**< file holding the key file's passphrase (else $MEDCHAIN_PASSPHRASE) */
    /**
     * The key-release key file (DESIGN.md section 4): X25519, under the same passphrase. Empty:
     * DATA/release.key, made on first start. Its public half is published on the chain
     * (org.gatekeeper) with public_url.
     */
    char release_key[1024];
    char release_keys_retired[2048]; /**< comma-separated older release key files, kept to open older records
                                      */
    char public_url[1024];       /**< comma-separated URLs of this gatekeeper (default: http(s)://listen) */
    char listen[128];            /**< "host:port"; port 0 picks a free one */
    char orderer[16];            /**< "solo" or "etcd" */
    char etcd_endpoints[1024];   /**< etcd: comma-separated client URLs, tried in turn */
    char etcd_prefix[512];       /**< etcd: batch key prefix, ending in '/' (default per chain) */
    char etcd_ca[1024];          /**< etcd: PEM CA to trust for https endpoints */
    char etcd_cert[1024];        /**< etcd: PEM client certificate (mutual TLS) */
    char etcd_key[1024];         /**< etcd: its PEM key */
    unsigned etcd_timeout_ms;    /**< etcd: a batch not acknowledged within this is refused (0: 3000) */
    size_t etcd_max_batch_bytes; /**< etcd: largest batch (0: under etcd's 1.5 MiB) */
    /**
     * etcd: blocks of etcd history kept below the certified height; older batches are deleted
     * and etcd compacted (a node that falls further behind catches up from its peers). 0: never.
     */
    unsigned etcd_retain_blocks;
    char peers[2048];    /**< other nodes' API URLs, comma-separated: where to catch up from */
    char peer_ca[1024];  /**< PEM CA to trust for https peers (else the system's) */
    char tls_cert[1024]; /**< PEM certificate: serve HTTPS */
    char tls_key[1024];
    char port_file[1024];        /**< if set, the bound port is written here once listening */
    unsigned batch_max_txs;      /**< transactions per batch (block) */
    unsigned batch_linger_ms;    /**< wait for more transactions before cutting a small batch */
    unsigned batch_max_inflight; /**< own batches ordered but not yet applied before cutting another */
    /**
     * A validator of a set of two or more that proposed nothing for this long proposes an empty
     * batch, so the chain's time stays fresh (docs/decisions.md, "Block time"). 0: never.
     */
    unsigned time_beacon_ms;
    unsigned mempool_max;    /**< admitted transactions not yet committed */
    unsigned mempool_max_mb; /**< bytes of those transactions, in MiB */
    size_t max_body_bytes;   /**< HTTP request body cap */
    size_t max_content;      /**< body cap of ciphertext uploads, and the largest blob kept or served */
    unsigned max_connections;
    unsigned max_txs_per_request;
    unsigned clock_skew_ms;   /**< allowed skew for signed requests */
    unsigned wait_timeout_ms; /**< default wait for POST /v1/tx */
    unsigned access_rate;     /**< logged reads per second per signer */
    unsigned access_burst;    /**< logged reads a signer may make at once */
    unsigned read_rate;       /**< records per second per signer through POST /v1/reads */
    unsigned read_burst;      /**< records a signer may read at once that way */
    unsigned verify_threads;  /**< 0: one per CPU */
    unsigned map_size_mb;     /**< LMDB map size (address space reserved for the store) */
    int log_level;
} mc_node_config;

/** Fills in the defaults (listen 127.0.0.1:7700, solo orderer, ...). */
void mc_node_config_defaults(mc_node_config *cfg);
/**
 * Sets one key ("data_dir", "listen", "batch_max_txs", ... as in docs/operations.md).
 * @return MC_OK, MC_ENOTFOUND (unknown key), MC_EINVAL (bad value).
 */
int mc_node_config_set(mc_node_config *cfg, const char *key, const char *value) MC_WARN_UNUSED_RESULT;
/**
 * Reads a config file of "key = value" lines ('#' starts a comment). On error writes the line
 * number and problem to @p err. @return MC_OK, MC_ENOTFOUND (no file), MC_EINVAL, MC_EIO.
 */
int mc_node_config_load(mc_node_config *cfg, const char *path, char *err, size_t nerr) MC_WARN_UNUSED_RESULT;

typedef struct mc_node mc_node;

/**
 * Opens everything, applies genesis on a new data dir, resumes from the stored orderer
 * position, starts the pipeline and the API. On error writes a sentence to @p err.
 * @return MC_OK or an MC_E* code.
 */
int mc_node_start(mc_node **pp, const mc_node_config *cfg, char *err, size_t nerr) MC_WARN_UNUSED_RESULT;
/** The port the API listens on. */
uint16_t mc_node_port(const mc_node *n);
/**
 * Graceful stop: refuses new requests, orders what was admitted, applies what was ordered,
 * then closes everything and frees @p n.
 */
void mc_node_stop(mc_node *n);

#ifdef __cplusplus
}
#endif
#endif
