/*
 * The gatekeeper (DESIGN.md sections 2 and 4): a custodian's node keeps the ciphertext of the
 * records its org holds, and serves it only when the policy says yes and the read is on the
 * ledger.
 *
 *   PUT  /v1/records/{rid}/content   the record's author uploads the anchored ciphertext
 *   POST /v1/contents                the same for many records at once (ingest)
 *   GET  /v1/records/{rid}/content   a logged read that answers with the ciphertext
 *
 * An upload is accepted only from the anchor's author (while its org is active), only on a node
 * of the record's custodian org, and only if the bytes are exactly the anchored ciphertext:
 * their SHA-256 is the anchor's cipher_hash and their length its size. The node never decrypts
 * and never sees a key; what it stores is checked again on every read (src/store/blob.c).
 *
 * A read runs the logged-read steps of routes_access.c (rate, custody, decision at the node's
 * clock, access.log with via content, wait for the block). Before a permitted read is logged,
 * the ciphertext is read and its hash checked: a record whose ciphertext is not here is 404
 * ENOCONTENT, one whose stored bytes do not match the anchor is 500 ECORRUPT; neither is
 * logged, since nothing is served. The bytes served are the ones checked, and only once the
 * log committed with the node's decision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "medchain/codec.h"

#define MC_CONTENT_MAX_FRAMES 8192u /* records in one POST /v1/contents */

/* "/v1/records/<64 hex>/content" (@p n bytes of @p p, no query): the record id's hex, else NULL. */
static const char *mc_content_rid(const char *p, size_t n)
{
    static const char pre[] = "/v1/records/", post[] = "/content";
    size_t np = sizeof pre - 1, nq = sizeof post - 1;
    if (n != np + 64 + nq || strncmp(p, pre, np) != 0 || strncmp(p + np + 64, post, nq) != 0) return NULL;
    uint8_t id[32]; /* the larger body cap only for a well-formed record id */
    return mc_hex_decode(id, sizeof id, p + np, 64) == MC_OK ? p + np : NULL;
}

int mc_api_content_path(const char *uri)
{
    size_t n = strcspn(uri, "?");
    return mc_content_rid(uri, n) != NULL || (n == 12 && strncmp(uri, "/v1/contents", 12) == 0);
}

/* Why an upload of one record is refused. */
typedef struct {
    unsigned status; /* 0: accepted */
    const char *code, *message;
} mc_content_fault;

static void mc_fault(mc_content_fault *f, unsigned status, const char *code, const char *message)
{
    f->status = status;
    f->code = code;
    f->message = message;
}

/* The org this node belongs to (the custodian it may store for). */
static int mc_content_node_org(mc_call *c, mc_store_txn *txn, mc_id *org)
{
    mc_identity node;
    int rc = mc_store_get_identity(txn, &c->api->be.node, &node);
    if (rc) return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc; /* the node must know itself */
    *org = node.org;
    return MC_OK;
}

/*
 * Checks the upload of @p bytes as record @p rid's ciphertext by the caller, on a node of org
 * @p node_org. @return MC_OK (@p f says whether it is refused), or a store error.
 */
static int mc_content_check(mc_call *c, mc_store_txn *txn, const mc_id *node_org, const mc_hash *rid,
                            mc_slice bytes, mc_content_fault *f)
{
    mc_record rec;
    mc_hash h;
    mc_fault(f, 0, NULL, NULL);
    int rc = mc_store_get_record(txn, rid, &rec);
    if (rc == MC_ENOTFOUND) {
        mc_fault(f, 404, "ENOTFOUND", "no such record: anchor it first");
        return MC_OK;
    }
    if (rc) return rc;
    if (memcmp(rec.author.b, c->signer.b, 32) != 0 || !c->org_active) {
        mc_fault(f, 403, "EDENIED",
                 "only the record's author, staff of an active org, may upload its ciphertext");
    } else if (memcmp(rec.custodian.b, node_org->b, 32) != 0) {
        mc_fault(f, 409, "ENOTCUSTODIAN",
                 "this node's org is not the record's custodian; upload to a node of the custodian org");
    } else {
        mc_sha256(&h, bytes.n ? bytes.p : (const uint8_t *)"", bytes.n);
        if (bytes.n != rec.size || memcmp(h.b, rec.cipher_hash.b, 32) != 0)
            mc_fault(f, 409, "EMISMATCH",
                     "the bytes are not the anchored ciphertext (SHA-256 or size differs)");
    }
    return MC_OK;
}

/* 503 unless this node keeps ciphertext. */
static int mc_content_unavailable(mc_call *c, mc_resp *r)
{
    if (c->api->be.blobs) return 0;
    mc_resp_err(r, MC_EUNAVAIL, "this node keeps no ciphertext");
    return 1;
}

static json_t *mc_json_content(const mc_hash *rid, uint64_t size, int stored)
{
    return json_pack("{s:o,s:o,s:b}", "record", mc_json_hex(rid->b, 32), "size", mc_json_u64(size), "stored",
                     stored);
}

/* PUT /v1/records/{rid}/content */
static void mc_route_content_put(mc_call *c, mc_resp *r, const char *zrid)
{
    mc_hash rid;
    mc_id org;
    mc_content_fault f;
    mc_store_txn *txn;
    if (mc_api_parse_id(zrid, rid.b, r, "record id") || mc_content_unavailable(c, r)) return;
    int rc = mc_store_begin(c->api->be.store, 0, &txn);
    if (!rc) rc = mc_content_node_org(c, txn, &org);
    if (!rc) rc = mc_content_check(c, txn, &org, &rid, c->body, &f);
    mc_store_abort(txn);
    if (rc) {
        mc_viewer_fail(r, rc);
        return;
    }
    if (f.status) {
        mc_resp_error(r, f.status, f.code, f.message);
        return;
    }
    int stored = 0;
    mc_hash addr;
    mc_sha256(&addr, c->body.n ? c->body.p : (const uint8_t *)"", c->body.n);
    if ((rc = mc_store_blob_put(c->api->be.blobs, &addr, c->body.p, c->body.n, &stored))) {
        mc_resp_err(r, rc, "the ciphertext could not be stored");
        return;
    }
    mc_api_ok(r, mc_json_content(&rid, c->body.n, stored));
    if (r->json) r->status = stored ? 201 : 200;
}

/* Frames "record id 32 | u32 length | bytes", back to back, into @p rids and @p blobs (borrowing
 * the body). @return the count, or 0 after filling r. */
static size_t mc_content_frames(mc_call *c, mc_resp *r, mc_hash **prids, mc_slice **pblobs)
{
    mc_dec d;
    size_t n = 0;
    mc_dec_init(&d, c->body.p, c->body.n);
    while (mc_dec_left(&d) > 0 && !d.err && n <= MC_CONTENT_MAX_FRAMES) {
        uint8_t id[32];
        mc_dec_fixed(&d, id, 32);
        mc_dec_bytes(&d, c->api->opts.max_content);
        n++;
    }
    if (n > MC_CONTENT_MAX_FRAMES) {
        mc_resp_error(r, 413, "ETOOBIG", "too many records in one request (at most 8192)");
        return 0;
    }
    if (d.err || n == 0) {
        mc_resp_error(r, 400, "EINVAL", "body must be frames of record id (32 bytes), u32 length, bytes");
        return 0;
    }
    *prids = calloc(n, sizeof **prids);
    *pblobs = calloc(n, sizeof **pblobs);
    if (!*prids || !*pblobs) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        return 0;
    }
    mc_dec_init(&d, c->body.p, c->body.n);
    for (size_t i = 0; i < n; i++) {
        mc_dec_fixed(&d, (*prids)[i].b, 32);
        (*pblobs)[i] = mc_dec_bytes(&d, c->api->opts.max_content);
    }
    return n;
}

/* Checks every frame in one snapshot into @p list. @return MC_OK (@p first: the first refusal,
 * status 0 if none), or a store error. */
static int mc_content_check_all(mc_call *c, const mc_hash *rids, const mc_slice *blobs, size_t n,
                                json_t *list, mc_content_fault *first)
{
    mc_store_txn *txn;
    mc_id org;
    mc_fault(first, 0, NULL, NULL);
    int rc = mc_store_begin(c->api->be.store, 0, &txn);
    if (!rc) rc = mc_content_node_org(c, txn, &org);
    for (size_t i = 0; i < n && !rc; i++) {
        mc_content_fault f;
        if ((rc = mc_content_check(c, txn, &org, &rids[i], blobs[i], &f))) break;
        if (f.status && !first->status) *first = f;
        if (json_array_append_new(list, json_pack("{s:o,s:s}", "record", mc_json_hex(rids[i].b, 32), "status",
                                                  f.status ? f.code : "ok")))
            rc = MC_ENOMEM;
    }
    mc_store_abort(txn);
    return rc;
}

/* POST /v1/contents: every frame is checked before anything is stored; all or nothing. */
static void mc_route_contents_post(mc_call *c, mc_resp *r)
{
    mc_hash *rids = NULL, *addrs = NULL;
    mc_slice *blobs = NULL;
    uint8_t *stored = NULL;
    json_t *list = json_array();
    mc_content_fault first;
    size_t n = mc_content_unavailable(c, r) ? 0 : mc_content_frames(c, r, &rids, &blobs);
    if (!n) goto out;
    int rc = list ? mc_content_check_all(c, rids, blobs, n, list, &first) : MC_ENOMEM;
    if (rc) {
        mc_viewer_fail(r, rc);
        goto out;
    }
    if (first.status) { /* nothing stored: the list says which records were refused */
        mc_resp_error(r, first.status, first.code, first.message);
        if (r->json) json_object_set(r->json, "contents", list);
        goto out;
    }
    addrs = malloc(n * sizeof *addrs);
    stored = calloc(n, 1);
    if (!addrs || !stored) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        mc_sha256(&addrs[i], blobs[i].n ? blobs[i].p : (const uint8_t *)"", blobs[i].n);
    if ((rc = mc_store_blob_put_many(c->api->be.blobs, addrs, blobs, n, stored))) {
        mc_resp_err(r, rc, "the ciphertext could not be stored");
        goto out;
    }
    size_t nstored = 0;
    json_array_clear(list);
    for (size_t i = 0; i < n && list; i++) {
        nstored += stored[i];
        if (json_array_append_new(list, mc_json_content(&rids[i], blobs[i].n, stored[i]))) break;
    }
    mc_api_ok(r, json_pack("{s:O,s:I,s:I}", "contents", list, "stored", (json_int_t)nstored, "present",
                           (json_int_t)(n - nstored)));
out:
    json_decref(list);
    free(rids);
    free(addrs);
    free(blobs);
    free(stored);
}

/* GET /v1/records/{rid}/content?purpose=P&action=read: a logged read that serves the ciphertext. */
static void mc_route_content_get(mc_call *c, mc_resp *r, const char *zrid)
{
    mc_logged_read lr;
    mc_buf blob;
    mc_buf_init(&blob, c->api->opts.max_content);
    if (mc_content_unavailable(c, r) || mc_logged_read_decide(c, r, zrid, MC_VIA_CONTENT, &lr)) return;
    if (lr.d.permit) { /* what would be served must be there, and be the anchored bytes */
        int rc = mc_store_blob_get(c->api->be.blobs, &lr.rec.cipher_hash, &blob);
        if (rc == MC_ENOTFOUND) {
            mc_resp_no_content(r);
        } else if (rc == MC_ECORRUPT) {
            char id[17];
            mc_hex_encode(id, lr.rid.b, 8);
            mc_log(
                MC_LOG_ERROR, "api",
                "the stored ciphertext of record %s... does not match its anchor: not served; run medchain "
                "verify",
                id);
            mc_resp_error(r, 500, "ECORRUPT", "stored ciphertext does not match its anchor");
        } else if (rc) {
            mc_resp_err(r, rc, "the stored ciphertext could not be read");
        }
        if (rc) {
            mc_buf_free(&blob);
            return;
        }
    }
    mc_logged_read_log(c, &lr);
    if (!mc_logged_read_served(c, r, &lr)) {
        mc_buf_free(&blob);
        return;
    }
    char hash[65], tx[65];
    const char *reason = mc_reason_name(lr.d.reason);
    mc_hex_encode(hash, lr.rec.cipher_hash.b, 32);
    mc_hex_encode(tx, lr.out.id.b, 32);
    if (mc_resp_bytes(r, 200, blob.p, blob.n, "application/octet-stream")) return; /* blob.p taken */
    mc_resp_header(r, "X-MC-Cipher-Hash", hash);
    mc_resp_header(r, "X-MC-Log-Tx", tx);
    mc_resp_header(r, "X-MC-Reason", reason ? reason : "UNKNOWN");
}

int mc_api_route_content(mc_call *c, mc_resp *r)
{
    const char *p = c->path, *zrid = mc_content_rid(p, strlen(p));
    char rid[65];
    if (strcmp(p, "/v1/contents") == 0) {
        if (strcmp(c->method, "POST") != 0) goto bad_method;
        mc_route_contents_post(c, r);
        return 1;
    }
    if (!zrid) return 0;
    memcpy(rid, zrid, 64);
    rid[64] = 0;
    if (strcmp(c->method, "PUT") == 0)
        mc_route_content_put(c, r, rid);
    else if (strcmp(c->method, "GET") == 0)
        mc_route_content_get(c, r, rid);
    else
        goto bad_method;
    return 1;
bad_method:
    mc_resp_error(r, 405, "EMETHOD", "method not allowed on this route");
    return 1;
}
