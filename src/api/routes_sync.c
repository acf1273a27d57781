/*
 * GET /v1/sync/blocks?from=H&limit=N: certified blocks, as stored, for a node catching up from
 * its peers (a new member's node, or one whose position etcd compacted away). Each block comes
 * with the orderer position of its batch and the attestations this node holds for it; the
 * caller re-executes every batch and checks the certificate itself, so it trusts nothing here.
 * Only the validator nodes of the set for the next block may ask: the blocks hold every
 * transaction (no content, but the whole ledger, unfiltered by who may see what).
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define MC_SYNC_MAX_BLOCKS 256u
#define MC_SYNC_MAX_BYTES  (8u << 20) /* of block bytes in one answer (twice that in hex) */

/* Whether @p who is in the validator set for the block after @p tip. @return MC_OK (@p yes says),
 * or a store error. */
static int mc_sync_validator(mc_store_txn *txn, const mc_id *who, uint64_t tip, int *yes)
{
    mc_valset *vs = malloc(sizeof *vs);
    *yes = 0;
    int rc = vs ? mc_store_get_valset(txn, tip + 1, vs) : MC_ENOMEM;
    for (uint32_t i = 0; !rc && i < vs->n && !*yes; i++) {
        mc_id id;
        mc_id_from_pk(&id, &vs->pks[i]);
        *yes = memcmp(id.b, who->b, 32) == 0;
    }
    free(vs);
    return rc;
}

void mc_route_sync(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    uint64_t from, limit, cert = 0, tip = 0;
    mc_hash chh, tiph;
    int validator = 0;
    (void)arg;
    int rc = mc_store_get_tip(txn, &tip, &tiph);
    if (!rc) rc = mc_sync_validator(txn, &c->signer, tip, &validator);
    if (rc) {
        mc_resp_err(r, rc, "the chain is unreadable");
        return;
    }
    /* the blocks hold every transaction, unfiltered: only for the consortium's validators (an
     * org of any kind may enrol a node identity; a research org's node is no validator) */
    if (c->signer_kind != MC_ID_NODE || !c->org_active || !validator) {
        mc_resp_error(r, 403, "EDENIED", "only the consortium's validator nodes fetch blocks to catch up");
        return;
    }
    if (mc_api_arg_u64(c, "from", 1, UINT64_MAX, &from) || from == 0 ||
        mc_api_arg_u64(c, "limit", 64, MC_SYNC_MAX_BLOCKS, &limit) || limit == 0) {
        mc_resp_error(r, 400, "EINVAL", "from must be a height of 1 or more, limit 1 to 256");
        return;
    }
    rc = mc_store_get_certified(txn, &cert, &chh);
    if (rc == MC_ENOTFOUND) rc = MC_OK; /* nothing certified yet */
    if (rc) {
        mc_resp_err(r, rc, "the chain is unreadable");
        return;
    }
    json_t *blocks = json_array();
    size_t bytes = 0;
    for (uint64_t h = from; h <= cert && h < from + limit && bytes < MC_SYNC_MAX_BYTES; h++) {
        mc_slice raw, pos = {NULL, 0};
        mc_block blk;
        if ((rc = mc_store_get_block(txn, h, &raw)) || (rc = mc_block_decode(&blk, raw.p, raw.n))) break;
        rc = mc_store_get_block_pos(txn, h, &pos);
        if (rc && rc != MC_ENOTFOUND) break;
        rc = MC_OK;
        mc_hash hh;
        mc_header_hash(&hh, &blk.header);
        json_t *b = json_pack("{s:I,s:o,s:o}", "height", (json_int_t)h, "block", mc_json_hex(raw.p, raw.n),
                              "pos", mc_json_hex(pos.p, pos.n));
        mc_api_block_attests(txn, b, h, &hh);
        json_array_append_new(blocks, b);
        bytes += raw.n;
    }
    if (rc) {
        json_decref(blocks);
        mc_resp_err(r, rc == MC_EINVAL ? MC_ECORRUPT : rc, "a stored block is unreadable");
        return;
    }
    mc_api_ok(r, json_pack("{s:I,s:I,s:o}", "tip", (json_int_t)tip, "certified", (json_int_t)cert, "blocks",
                           blocks));
}
