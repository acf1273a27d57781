/*
 * Catching up from peers (issue 5): when etcd no longer holds the ordered log after this node's
 * position (compacted below the certified height), the node asks its peers for the certified
 * blocks it lacks (GET /v1/sync/blocks, signed by the node key). It trusts no peer: each block's
 * certificate must count a quorum of the validator set of its height (from this node's own
 * store, built by the blocks it already re-verified), the batch must hash to the header's batch
 * hash, and re-executing the batch must give exactly the certified header (checked inside the
 * block's write transaction, mc_node_on_block, so a block that does not is never kept).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/net.h"
#include "node_internal.h"

#define MC_SYNC_LIMIT 64

/* Hex string member @p key of @p j into @p out (reset); 0 or -1. */
static int mc_sync_hex(json_t *j, const char *key, mc_buf *out)
{
    const char *h = json_string_value(json_object_get(j, key));
    size_t n = h ? strlen(h) : 1;
    mc_buf_reset(out);
    if (n % 2 || mc_buf_reserve(out, n / 2 + 1) || mc_hex_decode(out->p, n / 2, h, n)) return -1;
    out->n = n / 2;
    return 0;
}

/* The certificate a peer sent for @p h: its attestations over @p hh, signers as listed. */
static int mc_sync_cert(json_t *list, uint64_t h, const mc_hash *hh, mc_cert *c)
{
    memset(c, 0, sizeof *c);
    c->height = h;
    c->header_hash = *hh;
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        const char *v = json_string_value(json_object_get(a, "validator"));
        const char *s = json_string_value(json_object_get(a, "signature"));
        if (c->nsigs == MC_MAX_CERT_SIGS || !v || !s || strlen(v) != 64 || strlen(s) != 128 ||
            mc_hex_decode(c->signers[c->nsigs].b, 32, v, 64) ||
            mc_hex_decode(c->sigs[c->nsigs].b, 64, s, 128))
            return -1;
        c->nsigs++;
    }
    return 0;
}

/* Keeps the certificate's attestations of block @p h (checked again one by one), so that this
 * node knows the block certified and serves it, and its proofs, as certified. */
static void mc_sync_keep(mc_node *n, const mc_cert *cert, uint64_t h)
{
    for (uint32_t i = 0; i < cert->nsigs; i++) {
        mc_attest a = {n->chain, h, cert->header_hash, cert->signers[i], cert->sigs[i]};
        if (memcmp(a.validator.b, n->keys.id.b, 32) != 0) (void)mc_node_attest_receive(n, &a);
    }
}

/* Checks and applies one block a peer served. MC_OK, MC_EINVAL (the peer's fault: try another),
 * or MC_ECORRUPT (this node's replay differs from a certified header: it diverges). */
static int mc_sync_one(mc_node *n, json_t *e, uint64_t want, mc_buf *raw, mc_orderer_pos *pos)
{
    mc_block blk;
    mc_buf pb;
    mc_buf_init(&pb, MC_ORDERER_POS_MAX);
    int rc = MC_EINVAL;
    if (json_integer_value(json_object_get(e, "height")) != (json_int_t)want ||
        mc_sync_hex(e, "block", raw) || mc_block_decode(&blk, raw->p, raw->n) || blk.header.height != want ||
        memcmp(blk.header.chain.b, n->chain.b, 32) != 0 || mc_sync_hex(e, "pos", &pb) ||
        pb.n > MC_ORDERER_POS_MAX)
        goto out;
    mc_hash hh;
    mc_header_hash(&hh, &blk.header);
    mc_batch b;
    if (mc_batch_decode(&b, blk.batch.p, blk.batch.n)) goto out;
    int same = memcmp(b.hash.b, blk.header.batch_hash.b, 32) == 0;
    mc_batch_clear(&b);
    if (!same) goto out;
    mc_cert *cert = malloc(sizeof *cert);
    mc_valset vs;
    mc_store_txn *txn;
    if (!cert || mc_sync_cert(json_object_get(e, "attestations"), want, &hh, cert) ||
        mc_store_begin(n->store, 0, &txn)) {
        free(cert);
        goto out;
    }
    int ok =
        mc_store_get_valset(txn, want, &vs) == MC_OK && mc_cert_check(cert, &n->chain, vs.pks, vs.n) == MC_OK;
    mc_store_abort(txn);
    if (!ok) { /* not certified by the set this node knows: the peer's word only */
        free(cert);
        goto out;
    }
    mc_exec_result res;
    n->sync_expect = hh;
    n->sync_expecting = 1;
    rc = mc_exec_apply(n->exec, blk.batch.p, blk.batch.n, pb.p, pb.n, &res);
    n->sync_expecting = 0;
    if (rc == MC_OK && !res.applied) rc = MC_ECORRUPT; /* a certified batch this node skips */
    if (!rc) {
        mc_node_applied(n, &res);
        memcpy(pos->b, pb.p, pb.n);
        pos->n = pb.n;
        mc_sync_keep(n, cert, want);
    }
    free(cert);
out:
    mc_buf_free(&pb);
    return rc;
}

/* Fetches and applies from one peer until it has nothing more. Returns the blocks applied
 * (>= 0) or a negated code: -MC_EINVAL (the peer misbehaved or failed), -MC_ECORRUPT (a
 * certified block re-executes differently here), another (the store failed). */
static long mc_sync_peer(mc_node *n, const char *url, mc_orderer_pos *pos)
{
    mc_http *h;
    if (mc_http_new(&h, url, 64u << 20)) return -MC_EINVAL;
    mc_http_signer s = {n->chain, {{0}}, &n->keys.sign_sk};
    memcpy(s.id.b, n->keys.id.b, 32);
    mc_http_set_signer(h, &s);
    if (n->cfg.peer_ca[0]) mc_http_set_ca(h, n->cfg.peer_ca);
    mc_http_set_connect_timeout(h, 2000);
    mc_http_set_timeout(h, 30000);
    mc_buf resp, raw;
    mc_buf_init(&resp, 64u << 20);
    mc_buf_init(&raw, MC_MAX_BATCH_BYTES + 65536);
    long applied = 0;
    for (;;) {
        mc_exec_info info;
        mc_exec_get_info(n->exec, &info);
        char path[96];
        snprintf(path, sizeof path, "/v1/sync/blocks?from=%llu&limit=%d", (unsigned long long)info.height + 1,
                 MC_SYNC_LIMIT);
        long st = 0;
        json_t *j = NULL, *e;
        int rc = mc_http_request(h, "GET", path, NULL, 0, &st, &resp);
        if (!rc && st == 200) j = json_loadb((const char *)resp.p, resp.n, 0, NULL);
        json_t *blocks = json_object_get(j, "blocks");
        if (!json_is_array(blocks)) {
            snprintf(n->sync_last, sizeof n->sync_last, "peer %.200s: %s (HTTP %ld)", url,
                     rc ? mc_strerror(rc) : "no blocks", st);
            mc_log(MC_LOG_DEBUG, "node", "catching up: %s", n->sync_last);
            json_decref(j);
            if (!applied) applied = -MC_EINVAL;
            break;
        }
        size_t i, got = json_array_size(blocks);
        json_array_foreach(blocks, i, e)
        {
            if (atomic_load(&n->halted)) break;
            if ((rc = mc_sync_one(n, e, info.height + 1 + i, &raw, pos))) {
                mc_log(MC_LOG_ERROR, "node", "catching up: block %llu from peer %s %s",
                       (unsigned long long)(info.height + 1 + i), url,
                       rc == MC_ECORRUPT ? "is certified, but this node's replay of it differs"
                       : rc == MC_EINVAL ? "is not a certified block of this chain; trying another peer"
                                         : "could not be stored");
                break;
            }
            applied++;
        }
        json_decref(j);
        if (rc) {
            applied = -(long)rc;
            break;
        }
        if (got == 0 || atomic_load(&n->halted)) break;
    }
    mc_buf_free(&resp);
    mc_buf_free(&raw);
    mc_http_free(h);
    return applied;
}

int mc_node_sync(mc_node *n, mc_orderer_pos *pos)
{
    char list[sizeof n->cfg.peers], *save = NULL;
    snprintf(list, sizeof list, "%s", n->cfg.peers);
    long total = 0;
    n->sync_last[0] = 0;
    for (char *t = strtok_r(list, ", ", &save); t && !atomic_load(&n->halted);
         t = strtok_r(NULL, ", ", &save)) {
        long got = mc_sync_peer(n, t, pos);
        if (got < 0 && got != -MC_EINVAL) { /* not the peer's fault: this node's replay or store */
            mc_node_halt(n,
                         got == -MC_ECORRUPT
                             ? "a certified block fetched from a peer does not re-execute to its header here"
                             : "the store refused a block write while catching up");
            return (int)-got;
        }
        if (got > 0) total += got;
        if (got > 0) break; /* caught up with one peer: follow the orderer again */
    }
    if (total > 0) {
        mc_log(MC_LOG_INFO, "node", "caught up %ld blocks from peers; following the orderer again", total);
        return MC_OK;
    }
    uint64_t now = mc_time_mono_ms();
    if (now - n->sync_warn_ms > 10000) {
        n->sync_warn_ms = now;
        mc_log(MC_LOG_WARN, "node",
               "the orderer no longer holds the log after this node's position and no peer served the "
               "blocks it lacks (%s); retrying",
               !n->cfg.peers[0]  ? "set peers= to catch up from other nodes"
               : n->sync_last[0] ? n->sync_last
                                 : "nothing certified to add");
    }
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    return MC_EUNAVAIL;
}

void mc_node_compact(mc_node *n, uint64_t certified)
{
    uint64_t keep = n->cfg.etcd_retain_blocks;
    if (!keep || !n->orderer || certified <= keep || n->compacted == UINT64_MAX) return;
    uint64_t upto = certified - keep, step = keep / 4 ? keep / 4 : 1;
    if (step > 1024) step = 1024;
    if (upto < n->compacted + step) return;
    mc_store_txn *txn;
    mc_slice v;
    mc_orderer_pos pos = {0, {0}};
    if (mc_store_begin(n->store, 0, &txn)) return;
    int rc = mc_store_get_block_pos(txn, upto, &v);
    if (!rc && v.n <= MC_ORDERER_POS_MAX) {
        memcpy(pos.b, v.p, v.n);
        pos.n = v.n;
    }
    mc_store_abort(txn);
    if (rc || !pos.n) { /* a block caught up from peers without a position: try a later one */
        n->compacted = upto;
        return;
    }
    rc = mc_orderer_compact(n->orderer, &pos);
    if (rc == MC_OK) {
        n->compacted = upto;
        mc_log(MC_LOG_DEBUG, "node", "orderer history compacted up to block %llu", (unsigned long long)upto);
    } else if (rc == MC_ENOTFOUND) {
        n->compacted = UINT64_MAX; /* the backend keeps its log (solo) */
    } else {
        mc_log(MC_LOG_WARN, "node", "orderer history not compacted: %s (retrying)", mc_strerror(rc));
    }
}
