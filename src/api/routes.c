/* The /v1 routes. Each reads from one store snapshot (read transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "medchain/codec.h"

const char *mc_api_arg(mc_call *c, const char *name)
{
    return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, name);
}

int mc_api_arg_u64(mc_call *c, const char *name, uint64_t def, uint64_t max, uint64_t *out)
{
    const char *z = mc_api_arg(c, name);
    *out = def;
    if (!z) return MC_OK;
    if (mc_parse_u64(z, out) || *out > max) return MC_EINVAL;
    return MC_OK;
}

int mc_api_parse_id(const char *z, uint8_t out[32], mc_resp *r, const char *what)
{
    if (z && mc_hex_decode(out, 32, z, strlen(z)) == MC_OK) return MC_OK;
    if (r) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s must be 64 hex digits", what);
        mc_resp_error(r, 400, "EINVAL", msg);
    }
    return MC_EINVAL;
}

void mc_api_ok(mc_resp *r, json_t *j)
{
    if (!j) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        return;
    }
    r->status = 200;
    r->json = j;
}

static void mc_route_status(mc_call *c, mc_resp *r)
{
    mc_api_status s = {0};
    c->api->be.status(c->api->be.ctx, &s);
    json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:s,s:I,s:o,s:I,s:o,s:I,s:b}", "version", "medchain/0.1.0",
                          "chain_name", s.chain_name ? s.chain_name : "", "chain", mc_json_hex(s.chain.b, 32),
                          "node", mc_json_hex(s.node_id.b, 32), "orderer", s.orderer ? s.orderer : "",
                          "height", (json_int_t)s.height, "tip", mc_json_hex(s.tip.b, 32), "time_ms",
                          (json_int_t)s.time_ms, "state_digest", mc_json_hex(s.state_digest.b, 32), "mempool",
                          (json_int_t)s.mempool, "halted", s.halted);
    if (j && s.halted && s.halt_reason) json_object_set_new(j, "halt_reason", json_string(s.halt_reason));
    if (j) {
        json_object_set_new(j, "certified_height", json_integer((json_int_t)s.certified));
        json_object_set_new(j, "validators", json_integer((json_int_t)s.validators));
        json_object_set_new(j, "quorum", json_integer((json_int_t)s.quorum));
        json_object_set_new(j, "validator", json_boolean(s.validator));
        json_object_set_new(j, "alarm", json_boolean(s.alarm));
        if (s.alarm) json_object_set_new(j, "alarm_height", json_integer((json_int_t)s.alarm_height));
    }
    mc_api_ok(r, j);
}

static void mc_route_metrics(mc_call *c, mc_resp *r)
{
    mc_api_metrics(c->api, &r->text);
    c->api->be.metrics(c->api->be.ctx, &r->text);
    r->status = 200;
    r->is_text = 1;
}

/*
 * application/octet-stream: transactions back to back, each a u32 length and its canonical
 * bytes. The slices borrow the request body.
 */
static int mc_parse_submit_binary(mc_call *c, mc_resp *r, mc_slice **pslices, size_t *pn)
{
    mc_dec d;
    size_t n = 0;
    mc_dec_init(&d, c->body.p, c->body.n);
    while (mc_dec_left(&d) > 0 && n <= c->api->opts.max_txs) {
        mc_dec_bytes(&d, MC_MAX_TX_BYTES);
        n++;
    }
    if (d.err || n == 0 || n > c->api->opts.max_txs) {
        mc_resp_error(
            r, n > c->api->opts.max_txs ? 413 : 400, n > c->api->opts.max_txs ? "ETOOBIG" : "EINVAL",
            n > c->api->opts.max_txs ? "too many transactions in one request"
                                     : "body must be transactions, each a u32 length and its bytes");
        return MC_EINVAL;
    }
    if (!(*pslices = calloc(n, sizeof **pslices))) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        return MC_ENOMEM;
    }
    mc_dec_init(&d, c->body.p, c->body.n);
    for (size_t i = 0; i < n; i++) (*pslices)[i] = mc_dec_bytes(&d, MC_MAX_TX_BYTES);
    *pn = n;
    return MC_OK;
}

/* Decodes {"tx": hex} or {"txs": [hex, ...]} into one buffer and slices. */
static int mc_parse_submit(mc_call *c, mc_resp *r, uint8_t **pbuf, mc_slice **pslices, size_t *pn,
                           int *single)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)c->body.p, c->body.n, JSON_REJECT_DUPLICATES, &jerr);
    json_t *one = root ? json_object_get(root, "tx") : NULL,
           *many = root ? json_object_get(root, "txs") : NULL;
    size_t n = 0, total = 0;
    int rc = MC_EINVAL;
    if (!root || !json_is_object(root) || (!one) == (!many) || (one && !json_is_string(one)) ||
        (many && !json_is_array(many))) {
        mc_resp_error(r, 400, "EINVAL", "body must be {\"tx\": hex} or {\"txs\": [hex, ...]}");
        goto out;
    }
    *single = one != NULL;
    n = one ? 1 : json_array_size(many);
    if (n == 0 || n > c->api->opts.max_txs) {
        mc_resp_error(r, n ? 413 : 400, n ? "ETOOBIG" : "EINVAL",
                      n ? "too many transactions in one request" : "no transactions");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = one ? one : json_array_get(many, i);
        if (!json_is_string(s) || json_string_length(s) % 2 || json_string_length(s) > 2 * MC_MAX_TX_BYTES) {
            mc_resp_error(r, 400, "EINVAL",
                          "each transaction must be an even-length hex string within the size cap");
            goto out;
        }
        total += json_string_length(s) / 2;
    }
    *pbuf = malloc(total ? total : 1);
    *pslices = calloc(n, sizeof **pslices);
    if (!*pbuf || !*pslices) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        rc = MC_ENOMEM;
        goto out;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *s = one ? one : json_array_get(many, i);
        size_t len = json_string_length(s) / 2;
        if (mc_hex_decode(*pbuf + off, len, json_string_value(s), 2 * len)) {
            mc_resp_error(r, 400, "EINVAL", "transaction is not valid hex");
            goto out;
        }
        (*pslices)[i] = (mc_slice){*pbuf + off, len};
        off += len;
    }
    *pn = n;
    rc = MC_OK;
out:
    json_decref(root);
    return rc;
}

static void mc_route_submit(mc_call *c, mc_resp *r)
{
    uint8_t *buf = NULL;
    mc_slice *txs = NULL;
    mc_api_txout *outs = NULL;
    size_t n = 0;
    int single = 0, wait = MC_WAIT_ORDERED;
    uint64_t timeout;
    const char *w = mc_api_arg(c, "wait");
    if (w && strcmp(w, "committed") == 0)
        wait = MC_WAIT_COMMITTED;
    else if (w && strcmp(w, "certified") == 0)
        wait = MC_WAIT_CERTIFIED;
    else if (w && strcmp(w, "ordered") != 0) {
        mc_resp_error(r, 400, "EINVAL", "wait must be ordered, committed or certified");
        return;
    }
    if (mc_api_arg_u64(c, "timeout_ms", (uint64_t)c->api->opts.default_timeout_ms, 300000, &timeout)) {
        mc_resp_error(r, 400, "EINVAL", "timeout_ms must be a number up to 300000");
        return;
    }
    const char *ctype = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Content-Type");
    int binary = ctype && strncmp(ctype, "application/octet-stream", 24) == 0;
    if (binary ? mc_parse_submit_binary(c, r, &txs, &n) : mc_parse_submit(c, r, &buf, &txs, &n, &single))
        goto out;
    if (!(outs = calloc(n, sizeof *outs))) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        goto out;
    }
    atomic_fetch_add(&c->api->txs_submitted, n);
    c->api->be.submit(c->api->be.ctx, txs, n, wait, (int)timeout, outs);
    /* the outcome list is written by hand: at thousands of transactions a second, building it
     * through a JSON library costs more than the rest of the response */
    r->is_text = 1;
    r->ctype = "application/json";
    int rc = mc_buf_append(&r->text, single ? "{\"tx\":" : "{\"txs\":[", single ? 6 : 8);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i) rc = mc_buf_append(&r->text, ",", 1);
        if (!rc) rc = mc_txout_json(&r->text, &outs[i]);
    }
    if (!rc) rc = mc_buf_append(&r->text, single ? "}" : "]}", single ? 1 : 2);
    if (rc) {
        r->is_text = 0;
        mc_resp_err(r, rc, "response too large");
        goto out;
    }
    r->status = 200;
    if (single) {
        switch (outs[0].state) {
        case MC_TXS_REJECTED: r->status = outs[0].code == MC_TXR_BAD_NONCE ? 409 : 400; break;
        case MC_TXS_FAILED: r->status = mc_http_status_for(outs[0].err); break;
        case MC_TXS_COMMITTED: r->status = wait == MC_WAIT_CERTIFIED ? 202 : 200; break;
        case MC_TXS_CERTIFIED: r->status = 200; break;
        default: r->status = 202; break;
        }
    }
out:
    free(buf);
    free(txs);
    free(outs);
}

/* Everything below reads one snapshot. */
void mc_api_with_snapshot(mc_call *c, mc_resp *r, mc_read_route fn, const char *arg)
{
    mc_store_txn *txn;
    if (c->api->be.alarmed && c->api->be.alarmed(c->api->be.ctx)) {
        mc_resp_error(r, 503, "EUNAVAIL",
                      "this node's state diverges from the certified chain (alarm: see /v1/status); "
                      "read from another node");
        return;
    }
    int rc = mc_store_begin(c->api->be.store, 0, &txn);
    if (rc) {
        mc_resp_err(r, rc, "store unavailable");
        return;
    }
    fn(c, r, txn, arg);
    mc_store_abort(txn);
}

typedef struct {
    json_t *list;
    const mc_hash *hh;
} mc_attest_list;

static int mc_attest_one(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    mc_attest_list *l = arg;
    /* only words for this node's header: another one is an equivocation or a divergence,
     * which the node itself reports (alarm) */
    if (memcmp(hh->b, l->hh->b, 32) != 0) return 0;
    json_array_append_new(l->list, json_pack("{s:o,s:o}", "validator", mc_json_hex(validator->b, 32),
                                             "signature", mc_json_hex(sig->b, 64)));
    return 0;
}

/* "attestations" (the validators' signatures over this header that the node holds) and
 * "certified": at or below the node's highest certified height, whose header chains to this one. */
void mc_api_block_attests(mc_store_txn *txn, json_t *j, uint64_t h, const mc_hash *hh)
{
    mc_attest_list l = {json_array(), hh};
    uint64_t ch = 0;
    mc_hash chh;
    if (mc_store_scan_attests(txn, h, mc_attest_one, &l) != MC_OK) json_array_clear(l.list);
    int certified = h == 0 || (mc_store_get_certified(txn, &ch, &chh) == MC_OK && h <= ch);
    json_object_set_new(j, "attestations", l.list);
    json_object_set_new(j, "certified", json_boolean(certified));
}

/* A block's listing shows every transaction's id, kind and result; the signer and the nonce (which
 * links a signer's transactions) only where the caller may see the transaction itself. */
static void mc_route_block(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    uint64_t h, offset, limit;
    mc_slice raw;
    mc_block blk;
    mc_batch b;
    if (mc_parse_u64(arg, &h)) {
        mc_resp_error(r, 400, "EINVAL", "height must be a non-negative integer");
        return;
    }
    if (mc_api_arg_u64(c, "offset", 0, MC_MAX_BATCH_TXS, &offset) ||
        mc_api_arg_u64(c, "limit", 1000, 1000, &limit)) {
        mc_resp_error(r, 400, "EINVAL", "offset and limit must be numbers (limit at most 1000)");
        return;
    }
    int rc = mc_store_get_block(txn, h, &raw);
    if (rc) {
        mc_resp_err(r, rc, rc == MC_ENOTFOUND ? "no block at that height" : "block unreadable");
        return;
    }
    if (mc_block_decode(&blk, raw.p, raw.n)) {
        mc_resp_err(r, MC_ECORRUPT, "stored block does not decode");
        return;
    }
    mc_viewer v;
    if ((rc = mc_viewer_open(&v, c, txn))) {
        mc_viewer_close(&v);
        mc_viewer_fail(r, rc);
        return;
    }
    mc_hash hh;
    mc_header_hash(&hh, &blk.header);
    json_t *j = json_pack("{s:o}", "header", mc_json_header(&blk.header, &hh));
    json_t *txs = json_array();
    int seen = 1;
    if (h > 0 && mc_batch_decode(&b, blk.batch.p, blk.batch.n) == MC_OK) {
        json_object_set_new(j, "batch",
                            json_pack("{s:o,s:I,s:I,s:b}", "proposer", mc_json_hex(b.proposer.b, 32), "seq",
                                      (json_int_t)b.seq, "time_ms", (json_int_t)b.time_ms, "has_certificate",
                                      b.has_cert));
        /* the certificate the proposer carried: an earlier header's quorum, now on the chain */
        if (b.has_cert) json_object_set_new(json_object_get(j, "batch"), "certificate", mc_json_cert(b.cert));
        for (uint64_t i = offset; i < b.ntx && i < offset + limit && seen >= 0; i++) {
            mc_tx tx;
            json_t *t;
            if (mc_tx_decode(&tx, b.txs[i].p, b.txs[i].n) == MC_OK) {
                t = mc_json_tx(&tx, 0);
                if (t && (seen = mc_viewer_may_see_tx(&v, &tx)) == 0) {
                    json_object_del(t, "signer");
                    json_object_del(t, "nonce");
                }
            } else {
                mc_hash id;
                mc_tx_id_undecodable(&id, b.txs[i].p, b.txs[i].n);
                t = json_pack("{s:o}", "id", mc_json_hex(id.b, 32));
            }
            json_object_set_new(t, "index", json_integer((json_int_t)i));
            json_object_set_new(t, "result", json_string(mc_txr_name(mc_block_result(&blk, (uint32_t)i))));
            json_array_append_new(txs, t);
        }
        mc_batch_clear(&b);
    }
    mc_viewer_close(&v);
    mc_api_block_attests(txn, j, h, &hh);
    json_object_set_new(j, "txs", txs);
    json_object_set_new(j, "offset", json_integer((json_int_t)offset));
    if (seen < 0) {
        json_decref(j);
        mc_viewer_fail(r, -seen);
        return;
    }
    mc_api_ok(r, j);
}

/* Loads the block holding a transaction and the transaction itself. */
int mc_api_locate_tx(mc_store_txn *txn, const char *arg, mc_resp *r, mc_block *blk, mc_batch *b,
                     uint32_t *index, mc_tx *tx)
{
    mc_hash id;
    uint64_t h;
    mc_slice raw;
    memset(b, 0, sizeof *b);
    if (mc_api_parse_id(arg, id.b, r, "transaction id")) return 1;
    int rc = mc_store_get_txloc(txn, &id, &h, index);
    if (rc) {
        mc_resp_err(r, rc, rc == MC_ENOTFOUND ? "no such transaction on the chain" : "index unreadable");
        return 1;
    }
    if (mc_store_get_block(txn, h, &raw) || mc_block_decode(blk, raw.p, raw.n) ||
        mc_batch_decode(b, blk->batch.p, blk->batch.n) || *index >= b->ntx) {
        mc_batch_clear(b);
        mc_resp_err(r, MC_ECORRUPT, "stored block does not decode");
        return 1;
    }
    if (mc_tx_decode(tx, b->txs[*index].p, b->txs[*index].n)) memset(tx, 0, sizeof *tx);
    tx->id = id;
    return 0;
}

/*
 * /v1/tx and /v1/proofs/tx show a transaction whole: a record, consent or access transaction
 * only to its parties (mc_viewer_may_see_tx). @return 1 if the caller may see @p tx, else 0
 * with r filled (403, or the store's error).
 */
int mc_api_tx_visible(mc_call *c, mc_resp *r, mc_store_txn *txn, const mc_tx *tx)
{
    mc_viewer v;
    int rc = mc_viewer_open(&v, c, txn);
    int yes = rc ? -rc : mc_viewer_may_see_tx(&v, tx);
    mc_viewer_close(&v);
    if (yes < 0)
        mc_viewer_fail(r, -yes);
    else if (!yes)
        mc_resp_denied(r, "only the parties to this transaction and auditors may see it");
    return yes == 1;
}

static void mc_route_tx(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    mc_block blk;
    mc_batch b;
    mc_tx tx;
    uint32_t i;
    if (mc_api_locate_tx(txn, arg, r, &blk, &b, &i, &tx)) return;
    if (!mc_api_tx_visible(c, r, txn, &tx)) {
        mc_batch_clear(&b);
        return;
    }
    uint16_t code = mc_block_result(&blk, i);
    json_t *j = tx.raw.p ? mc_json_tx(&tx, 1) : json_pack("{s:o}", "id", mc_json_hex(tx.id.b, 32));
    json_object_set_new(j, "height", json_integer((json_int_t)blk.header.height));
    json_object_set_new(j, "index", json_integer(i));
    json_object_set_new(j, "result", json_string(mc_txr_name(code)));
    if (code != MC_TXR_OK) json_object_set_new(j, "reason", json_string(mc_txr_text(code)));
    mc_batch_clear(&b);
    mc_api_ok(r, j);
}

static void mc_route_identity(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    mc_id id;
    mc_identity idn;
    if (mc_api_parse_id(arg, id.b, r, "identity id")) return;
    int rc = mc_store_get_identity(txn, &id, &idn);
    if (rc) {
        mc_resp_err(r, rc, rc == MC_ENOTFOUND ? "no such identity" : "identity unreadable");
        return;
    }
    json_t *j = mc_json_identity(&idn);
    mc_gatekeeper g;
    if (j && idn.kind == MC_ID_ORG && (rc = mc_store_get_gatekeeper(txn, &id, &g)) != MC_ENOTFOUND) {
        if (rc) {
            json_decref(j);
            mc_viewer_fail(r, rc);
            return;
        }
        json_object_set_new(j, "gatekeeper", mc_json_gatekeeper(&g));
    }
    mc_api_ok(r, j);
}

const char *mc_api_segment(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0 || !path[n] || strchr(path + n, '/')) return NULL;
    return path + n;
}

int mc_api_route_signed(const char *path)
{
    return strncmp(path, "/v1/", 4) == 0 && strcmp(path, "/v1/status") != 0;
}

void mc_api_route(mc_call *c, mc_resp *r)
{
    const char *p = c->path, *arg;
    int get = strcmp(c->method, "GET") == 0, post = strcmp(c->method, "POST") == 0;
    if (strcmp(p, "/v1/status") == 0 || strcmp(p, "/metrics") == 0) {
        if (!get) goto bad_method;
        if (p[1] == 'v')
            mc_route_status(c, r);
        else
            mc_route_metrics(c, r);
        return;
    }
    if (strncmp(p, "/v1/", 4) != 0) goto not_found;
    if (mc_api_authenticate(c, r)) return;
    if (strcmp(p, "/v1/tx") == 0 || strcmp(p, MC_READS_TARGET) == 0) { /* the two POST routes */
        if (!post) goto bad_method;
        (strcmp(p, "/v1/tx") == 0 ? mc_route_submit : mc_route_reads)(c, r);
        return;
    }
    if (mc_api_route_content(c, r) || mc_api_route_consent(c, r)) return;
    mc_read_route fn = NULL;
    if (strcmp(p, "/v1/sync/blocks") == 0)
        fn = mc_route_sync, arg = "";
    else if ((arg = mc_api_segment(p, "/v1/blocks/")))
        fn = mc_route_block;
    else if ((arg = mc_api_segment(p, "/v1/tx/")))
        fn = mc_route_tx;
    else if ((arg = mc_api_segment(p, "/v1/proofs/tx/")))
        fn = mc_route_proof;
    else if ((arg = mc_api_segment(p, "/v1/identities/")))
        fn = mc_route_identity;
    if (!fn) goto not_found;
    if (!get) goto bad_method;
    mc_api_with_snapshot(c, r, fn, arg);
    return;
bad_method:
    mc_resp_error(r, 405, "EMETHOD", "method not allowed on this route");
    return;
not_found:
    mc_resp_error(r, 404, "ENOTFOUND", "no such route");
}
