/*
 * testnet: a temporary single-node medchain for integration tests and benchmarks: keys,
 * genesis and config in a temporary directory, a real medchaind process, and helpers to build
 * and post transactions. Plain C (no test framework): every function returns MC_OK or an
 * MC_E* code, so cmocka tests assert on it and benchmarks report it.
 */
#ifndef MEDCHAIN_TESTNET_H
#define MEDCHAIN_TESTNET_H

#include <sys/types.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/net.h"

#define TN_MAX_CLIENTS 32

typedef struct {
    char dir[256];  /* temporary directory holding everything */
    char data[300]; /* the node's data dir */
    pid_t pid;      /* the running medchaind, or 0 */
    unsigned port;
    int moved; /* the last tn_start came back on another port: the node re-published its gatekeeper URL (one
                  more block) */
    char url[64];
    mc_hash chain;
    mc_keys org; /* founding org (signs registrations) */
    mc_keys node;
    mc_keys clients[TN_MAX_CLIENTS]; /* extra founding orgs used as independent clients */
    unsigned nclients;
    const char *medchaind; /* path of the medchaind binary */
    const char *medchain;  /* path of the medchain binary */
} tn_chain;

/* Makes keys, genesis and config in a new temporary directory (nclients extra orgs). */
int tn_create(tn_chain *c, unsigned nclients, const char *medchaind, const char *medchain);
/* Sets the type of founding org @p i (0: c->org, then the clients; all start as "hospital") and
 * rewrites the genesis and c->chain: "regulator" lets an org register auditors. Before tn_start. */
int tn_set_org_type(tn_chain *c, unsigned i, const char *type);
/* Sets the genesis threshold (k of the founding orgs admit a new org) and rewrites the genesis
 * and c->chain. Before tn_share_genesis (which copies cs[0]'s) and tn_start. */
int tn_set_threshold(tn_chain *c, uint32_t k);
/* Makes the @p n chains @p cs (each from tn_create, none started) one consortium: the genesis
 * of cs[0] with every chain's node key as a validator (all of cs[0]'s first org), written to
 * each directory, and each c->chain updated. cs[0]'s orgs are the members: its org keys sign
 * on every node. */
int tn_share_genesis(tn_chain *const *cs, unsigned n);
/* The same with node i a validator of founding org @p orgs[i] (0: cs[0]'s org, k: its client
 * k - 1): a consortium of hospitals, each running its own node. */
int tn_share_genesis_orgs(tn_chain *const *cs, unsigned n, const unsigned *orgs);
/* Starts medchaind (extra "key=value" settings, NULL-terminated) and waits until it listens. */
int tn_start(tn_chain *c, const char *const *settings);
/* Sends @p sig to the node and reaps it; returns its exit status (128+signal if killed). */
int tn_kill(tn_chain *c, int sig);
/* Kills the node if running and removes the temporary directory. */
void tn_destroy(tn_chain *c);

/* A client signing requests as @p keys (NULL: unsigned). NULL on failure. */
mc_http *tn_client(tn_chain *c, const mc_keys *keys);
/* A loopback port nothing listens on now (the kernel's pick for a socket bound to port 0). */
unsigned tn_free_port(void);
/* Appends an identity.register of a fresh identity of @p kind with @p attrs signed by @p org. */
int tn_build_register_kind(tn_chain *c, const mc_keys *org, uint64_t nonce, uint8_t kind, const char *attrs,
                           mc_buf *tx, mc_hash *id);
/* The same, with the new identity's keys into @p keys (NULL: dropped). */
int tn_build_register_keys(tn_chain *c, const mc_keys *org, uint64_t nonce, uint8_t kind, const char *attrs,
                           mc_buf *tx, mc_hash *id, mc_keys *keys);
/* Appends an identity.register of a fresh provider (role=physician) signed by @p org with @p nonce. */
int tn_build_register(tn_chain *c, const mc_keys *org, uint64_t nonce, mc_buf *tx, mc_hash *id);
/* A nonce above any used before in this process and by the CLI (which takes wall-clock
 * microseconds): wall-clock microseconds, strictly rising. */
uint64_t tn_nonce(void);
/* Appends {"txs":["hex",...]} for @p n transactions to @p out. */
int tn_txs_json(mc_buf *out, const mc_buf *txs, size_t n);
/* Appends @p n transactions in the binary form (each a u32 length and its bytes). */
int tn_txs_binary(mc_buf *out, const mc_buf *txs, size_t n);
/* POSTs {"txs":[...]} to /v1/tx?wait=WAIT. Returns the HTTP status, or -MC_E* on failure. */
long tn_post_txs(mc_http *h, const char *wait, const mc_buf *txs, size_t n, mc_buf *resp);
/* Runs a command, capturing stdout and stderr into @p out (may be NULL); returns its exit status. */
int tn_run(char *const argv[], mc_buf *out);
/* Runs `medchain verify --data-dir` on the node's data; returns its exit status. */
int tn_verify(tn_chain *c, mc_buf *out);
/* 1 if transaction @p id is on the chain with result OK. */
int tn_tx_committed(mc_http *h, const mc_hash *id);

#endif
