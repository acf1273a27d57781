/* Integration-test harness: a temporary consortium of one real medchaind process. */
#ifndef MEDCHAIN_IT_HARNESS_H
#define MEDCHAIN_IT_HARNESS_H

#include <sys/types.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/net.h"

#define IT_MAX_CLIENTS 8

typedef struct {
    char dir[256];      /* temporary directory holding everything */
    char data[300];     /* the node's data dir */
    pid_t pid;          /* the running medchaind, or 0 */
    unsigned port;
    char url[64];
    mc_hash chain;
    mc_keys org;        /* founding org (signs registrations) */
    mc_keys node;
    mc_keys clients[IT_MAX_CLIENTS]; /* extra founding orgs used as independent clients */
    unsigned nclients;
} it_chain;

/* Makes keys, genesis and config in a new temporary directory (nclients extra orgs). */
void it_chain_create(it_chain *c, unsigned nclients);
/* Starts medchaind (extra "key=value" settings may be given, NULL-terminated) and waits for it. */
void it_node_start(it_chain *c, const char *const *settings);
/* SIGKILL or SIGTERM the node and reap it; returns the exit status for SIGTERM. */
int it_node_kill(it_chain *c, int sig);
/* Removes the temporary directory (node must be stopped). */
void it_chain_destroy(it_chain *c);

/* A client signing requests as @p keys. */
mc_http *it_client(it_chain *c, const mc_keys *keys);
/* Builds an identity.register of a fresh provider signed by @p org with @p nonce. */
void it_build_register(it_chain *c, const mc_keys *org, uint64_t nonce, mc_buf *tx, mc_hash *id);
/* POSTs a body to /v1/tx?wait=...; returns the HTTP status, body in resp. */
long it_post_txs(mc_http *h, const char *wait, const mc_buf *txs, size_t n, mc_buf *resp);
/* Runs `medchain verify --data-dir` and returns its exit status; output into out (may be NULL). */
int it_verify(it_chain *c, mc_buf *out);
/* Runs a command and captures stdout+stderr; returns the exit status. */
int it_run(char *const argv[], mc_buf *out);
/* 1 if the committed transaction @p id is on the node (GET /v1/tx/{id} says OK). */
int it_tx_committed(mc_http *h, const mc_hash *id);

#endif
