/*
 * GET /v1/proofs/tx/{id}: what a light client needs to check a transaction while trusting only
 * the genesis config (mc_light_check, `medchain proof verify --genesis`): the transaction, its
 * Merkle paths to the header's tx and result roots, the header, the certificate of that header
 * (the attestations this node holds), and every validator-set change up to its height, each
 * with the header that announced it and that header's certificate. Nothing here is trusted by
 * the client: a node that lies is caught by the check, which is why the route may serve
 * whatever it holds, including too few signatures ("certified": false).
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

static json_t *mc_json_proof(const mc_merkle_proof *p)
{
    json_t *path = json_array();
    for (uint32_t i = 0; i < p->depth; i++) json_array_append_new(path, mc_json_hex(p->path[i].b, 32));
    return json_pack("{s:I,s:I,s:o}", "index", (json_int_t)p->index, "size", (json_int_t)p->size, "path",
                     path);
}

/* The encoded header in hex, or NULL. */
static json_t *mc_json_header_bytes(const mc_header *h)
{
    uint8_t raw[MC_HEADER_BYTES + 1]; /* mc_buf keeps room for a NUL */
    mc_buf hb = {raw, 0, sizeof raw, MC_HEADER_BYTES};
    return mc_header_encode(&hb, h) == MC_OK ? mc_json_hex(hb.p, hb.n) : NULL;
}

/* The sets after genesis that certify blocks up to a height, collected first so that the
 * store is not read inside its own scan. */
typedef struct {
    uint64_t upto;
    uint32_t n;
    mc_valset *sets; /* MC_LIGHT_MAX_CHANGES */
} mc_proof_sets;

static int mc_proof_set_one(void *arg, const mc_valset *v)
{
    mc_proof_sets *s = arg;
    if (v->from_height > s->upto) return -1; /* in height order: the rest are later */
    if (v->from_height <= 1) return 0;       /* genesis: the client holds it */
    if (s->n >= MC_LIGHT_MAX_CHANGES) return MC_ECORRUPT;
    s->sets[s->n++] = *v;
    return 0;
}

/* One change: block c = from_height - 1 announced the set (its next_validators), certified by
 * the set before. */
static int mc_proof_change(mc_store_txn *txn, const mc_valset *v, mc_cert *c, json_t **out)
{
    mc_slice raw;
    mc_block blk;
    mc_hash hh;
    int certified;
    *out = NULL;
    int rc = mc_store_get_block(txn, v->from_height - 1, &raw);
    if (!rc && mc_block_decode(&blk, raw.p, raw.n)) rc = MC_ECORRUPT;
    if (!rc) {
        mc_header_hash(&hh, &blk.header);
        rc = mc_store_cert(txn, blk.header.height, &hh, c, &certified);
    }
    if (rc) return rc;
    json_t *keys = json_array();
    for (uint32_t i = 0; i < v->n; i++) json_array_append_new(keys, mc_json_hex(v->pks[i].b, 32));
    *out = json_pack("{s:I,s:o,s:o,s:b,s:o}", "height", (json_int_t)blk.header.height, "header",
                     mc_json_header_bytes(&blk.header), "certificate", mc_json_cert(c), "certified",
                     certified, "validators", keys);
    return *out ? MC_OK : MC_ENOMEM;
}

/* "validator_changes" for a proof at @p height, in ascending height. */
static int mc_proof_changes(mc_store_txn *txn, uint64_t height, mc_cert *c, json_t **out)
{
    mc_proof_sets s = {height, 0, malloc(MC_LIGHT_MAX_CHANGES * sizeof(mc_valset))};
    *out = json_array();
    int rc = s.sets && *out ? MC_OK : MC_ENOMEM;
    if (!rc) rc = mc_store_scan_valsets(txn, mc_proof_set_one, &s);
    if (rc < 0) rc = MC_OK; /* stopped past the height */
    for (uint32_t i = 0; i < s.n && !rc; i++) {
        json_t *one;
        rc = mc_proof_change(txn, &s.sets[i], c, &one);
        if (!rc) json_array_append_new(*out, one);
    }
    free(s.sets);
    return rc;
}

/* The Merkle paths of transaction @p i of @p b (in @p blk) into @p j. @return MC_OK, MC_ENOMEM,
 * MC_ECORRUPT. */
static int mc_proof_paths(const mc_block *blk, const mc_batch *b, uint32_t i, json_t *j)
{
    mc_hash *leaves = malloc((b->ntx ? b->ntx : 1) * sizeof *leaves);
    mc_merkle_proof *tp = malloc(sizeof *tp), *rp = malloc(sizeof *rp);
    int rc = leaves && tp && rp ? MC_OK : MC_ENOMEM;
    for (uint32_t k = 0; k < b->ntx && !rc; k++) mc_merkle_leaf_tx(&leaves[k], b->txs[k].p, b->txs[k].n);
    if (!rc && mc_merkle_prove(tp, leaves, b->ntx, i)) rc = MC_ECORRUPT;
    /* the result tree needs every tx id: recompute them as the executor did */
    for (uint32_t k = 0; k < b->ntx && !rc; k++) {
        mc_hash id;
        mc_tx_id_of(&id, b->txs[k].p, b->txs[k].n);
        mc_merkle_leaf_result(&leaves[k], &id, mc_block_result(blk, k));
    }
    if (!rc && mc_merkle_prove(rp, leaves, b->ntx, i)) rc = MC_ECORRUPT;
    if (!rc) {
        json_object_set_new(j, "tx_proof", mc_json_proof(tp));
        json_object_set_new(j, "result_proof", mc_json_proof(rp));
    }
    free(leaves);
    free(tp);
    free(rp);
    return rc;
}

void mc_route_proof(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    mc_block blk;
    mc_batch b;
    mc_tx tx;
    uint32_t i;
    json_t *j = NULL, *changes = NULL;
    if (mc_api_locate_tx(txn, arg, r, &blk, &b, &i, &tx)) return;
    if (!mc_api_tx_visible(c, r, txn, &tx)) {
        mc_batch_clear(&b);
        return;
    }
    mc_cert *cert = malloc(sizeof *cert);
    mc_hash hh;
    int certified = 0, rc = cert ? MC_OK : MC_ENOMEM;
    mc_header_hash(&hh, &blk.header);
    if (!rc)
        j = json_pack("{s:o,s:o,s:I,s:s,s:o,s:o}", "id", mc_json_hex(tx.id.b, 32), "tx",
                      mc_json_hex(b.txs[i].p, b.txs[i].n), "height", (json_int_t)blk.header.height, "result",
                      mc_txr_name(mc_block_result(&blk, i)), "header", mc_json_header_bytes(&blk.header),
                      "header_fields", mc_json_header(&blk.header, &hh));
    if (!rc && !j) rc = MC_ENOMEM;
    if (!rc) rc = mc_proof_paths(&blk, &b, i, j);
    if (!rc) rc = mc_store_cert(txn, blk.header.height, &hh, cert, &certified);
    if (!rc) {
        json_object_set_new(j, "certified", json_boolean(certified));
        json_object_set_new(j, "certificate", mc_json_cert(cert));
        rc = mc_proof_changes(txn, blk.header.height, cert, &changes);
    }
    if (rc) {
        json_decref(j);
        json_decref(changes);
        mc_resp_err(r, rc, rc == MC_ENOMEM ? NULL : "proof could not be built");
    } else {
        json_object_set_new(j, "validator_changes", changes);
        mc_api_ok(r, j);
    }
    mc_batch_clear(&b);
    free(cert);
}
