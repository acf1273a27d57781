/*
 * consortium: a temporary consortium on 127.0.0.1 for integration tests and fault programs: a
 * 3-member etcd cluster (etcdtest) and N real medchaind validators of one genesis ordered by it
 * (testnet), a load generator that submits signed transactions to different nodes and records
 * every acknowledged one, and the checks that the consortium holds: nothing acknowledged lost,
 * the same chain on every node (headers through the API, then every block, state and index
 * byte in the stores), `medchain verify` passing on each. Plain C (no test framework): every
 * function returns MC_OK or an MC_E* code and, on failure, a sentence in the caller's buffer.
 *
 * THREAD SAFETY: the cs_* functions on a cs_net are called from one thread; the load's threads
 * read only what cs_node_url publishes, under the net's lock.
 */
#ifndef MEDCHAIN_CONSORTIUM_H
#define MEDCHAIN_CONSORTIUM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "etcdtest.h"
#include "testnet.h"

#define CS_MAX_NODES   8
#define CS_ETCD        3 /* etcd members */
#define CS_MAX_LOADERS TN_MAX_CLIENTS

typedef struct {
    et_cluster etcd;
    tn_chain node[CS_MAX_NODES]; /* node[0]'s orgs (org, clients) are the founding members */
    unsigned n;
    char eps[ET_MAX_MEMBERS * 64 + 32]; /* "etcd_endpoints=..." */
    const char *settings[3];            /* orderer=etcd, the endpoints, NULL */
    pthread_mutex_t lock;               /* guards url */
    char url[CS_MAX_NODES][64];         /* each running node's URL, "" while it is down */
} cs_net;

/* What a node's GET /v1/status says. */
typedef struct {
    uint64_t height, certified;
    char tip[65], digest[65];
    int alarm, halted;
} cs_status;

/* Starts @p etcd members (0: CS_ETCD) and @p n validators of one genesis (node[0] with
 * @p nclients extra founding orgs for the load) on them. *pp is NULL on failure. */
int cs_start(cs_net **pp, unsigned n, unsigned nclients, const char *medchaind, const char *medchain);
/* The same; with @p own_orgs, node i is the validator of founding org i (node[0]'s org, then its
 * clients: @p nclients >= n - 1), a consortium of hospitals each running its own node. */
int cs_start_orgs(cs_net **pp, unsigned n, unsigned nclients, int own_orgs, const char *medchaind,
                  const char *medchain);
/* Sends @p sig to node @p i and reaps it (its URL unpublished first); its exit status. */
int cs_node_kill(cs_net *net, unsigned i, int sig);
/* Starts node @p i again on its data and publishes its (new) URL. */
int cs_node_start(cs_net *net, unsigned i);
/* Node @p i's URL into @p url (64 bytes); 0 if it is down. Any thread. */
int cs_node_url(cs_net *net, unsigned i, char *url);
/* Restarts etcd member @p i and waits (up to @p ms) until it answers through a quorum. */
int cs_etcd_restart(cs_net *net, unsigned i, int ms);
/* A client of node @p i signing as the founding org; NULL if down or on failure. Caller frees. */
mc_http *cs_client(cs_net *net, unsigned i);
/* Node @p i's GET /v1/status. */
int cs_status_get(cs_net *net, unsigned i, cs_status *st);
/* Waits up to @p ms until every running node reports the same height and tip, twice in a row
 * 300 ms apart (the load stopped); the height into @p height. MC_ETIMEDOUT with the heights
 * in @p why otherwise. */
int cs_wait_same(cs_net *net, int ms, uint64_t *height, char *why, size_t nwhy);
/* Every running node serves the same header (all fields, hash) at every height 1..@p height,
 * and every id in @p acked (sorted or not; @p nacked of them) is among its committed-OK
 * transactions; the count missing on the worst node into *lost. MC_ECORRUPT with the first
 * difference in @p why. */
int cs_check_api(cs_net *net, uint64_t height, const mc_hash *acked, size_t nacked, size_t *lost, char *why,
                 size_t nwhy);
/* With every node stopped: the stores hold byte-identical blocks, transaction index, state,
 * events and meta (but each node's own etcd position, "opos"), the same tip and digest.
 * MC_ECORRUPT with the first difference in @p why. */
int cs_check_stores(cs_net *net, char *why, size_t nwhy);
/* `medchain verify` on every stopped node's data: MC_ECORRUPT with its output if one fails. */
int cs_verify_all(cs_net *net, char *why, size_t nwhy);
/* Kills every node and etcd member (by pid) and removes the directories. NULL is harmless. */
void cs_destroy(cs_net *net);

/* The load: @p threads clients (each one founding org of node[0], its own nonces), client k
 * submitting @p per transactions per request with wait=committed to node k mod n, moving on to
 * the next node when its node is down or fails the request. A transaction is acknowledged when
 * the answer says ordered, committed or certified. */
typedef struct cs_load cs_load;

typedef struct {
    size_t acked;           /* transactions acknowledged */
    size_t requests;        /* requests answered */
    size_t failed;          /* transactions answered "failed" (not acknowledged; e.g. etcd without quorum) */
    size_t rejected;        /* transactions refused at admission */
    size_t errors;          /* requests without an answer (a node killed or down) */
    char last_failure[256]; /* the last "failed" transaction's answer, as the node gave it */
} cs_load_stats;

int cs_load_start(cs_load **pp, cs_net *net, unsigned threads, unsigned per);
/* A copy of the counters so far. */
void cs_load_stats_get(cs_load *l, cs_load_stats *s);
/* Stops the clients and waits for them; the acknowledged ids stay (cs_load_acked). */
void cs_load_stop(cs_load *l);
/* The acknowledged ids (valid until cs_load_free; the load must be stopped). */
const mc_hash *cs_load_acked(cs_load *l, size_t *n);
void cs_load_free(cs_load *l);

#endif
