/*
 * A realistic consent workload for tx_commit_mix: each client is a hospital with a provider, a
 * node and patients; its requests mix record.anchor (30%), consent.grant (30%), access.log
 * (30%, the provider's reads logged by the hospital's node with the reader's signed request)
 * and consent.revoke (10%).
 */
#ifndef MEDCHAIN_BENCH_MIX_H
#define MEDCHAIN_BENCH_MIX_H

#include "fixture.h"
#include "testnet.h"

#define BM_PATIENTS 256
#define BM_KEEP     4096

typedef struct {
    mc_test_key key; /* its id is key.id */
    uint64_t nonce;
} bm_who;

typedef struct {
    tn_chain *c;
    const mc_keys *org;
    uint64_t *org_nonce;
    bm_who prov, node, pat[BM_PATIENTS];
    mc_hash recs[BM_KEEP];
    size_t nrecs, visible; /* records anchored; those in earlier (committed) requests */
    mc_hash grants[BM_KEEP];
    uint8_t grant_pat[BM_KEEP];
    size_t ngrants, revoked, gvisible;
    size_t k;
} bm_client;

/** Registers the client's provider, node and patients (committed before returning). */
int bm_setup(bm_client *m, tn_chain *c, const mc_keys *org, uint64_t *org_nonce);
/** Marks a request boundary: what was built so far is committed before the next request. */
void bm_request_done(bm_client *m);
/** Builds the next transaction of the mix into @p tx. */
int bm_next(bm_client *m, mc_buf *tx);

#endif
