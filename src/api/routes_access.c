/*
 * Logged reads: POST /v1/records/{rid}/access (the decision) and, through the same steps, the
 * gatekeeper's GET /v1/records/{rid}/content (the ciphertext, routes_content.c).
 *
 * The caller's own signed request goes onto the ledger in an access.log transaction signed by
 * this node, so the executor can check the reader asked (its signature over exactly
 * mc_access_target(), by the method of its route) and re-decide the read at the block's time:
 * the node can neither invent a read nor flip its outcome. The node decides first with the same
 * policy over its tip at its own clock (never the X-MC-Time the reader chose, which may lie
 * anywhere in the clock skew), so that what it answers is what it logs; a refused read is
 * logged too. If a grant's window opens or closes between that decision and the block, the
 * executor's decision differs, the log fails (DECISION_MISMATCH) and nothing is served: 503.
 * Only a node of the record's custodian org may log it.
 *
 * Each logged read costs a ledger entry, an event to the patient and a thread held until the
 * block, so each signer has a rate (ratelimit.c): over it, 429 ETOOMANY before anything is read,
 * decided or logged.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* Reads the record, checks custody and decides (at the node's clock, into lr->t), all in one
 * snapshot. On failure fills @p r. */
static int mc_access_decide(mc_call *c, mc_resp *r, mc_logged_read *lr)
{
    mc_store_txn *txn;
    mc_identity *node = malloc(sizeof *node);
    mc_viewer v;
    memset(&v, 0, sizeof v);
    int rc = node ? mc_store_begin(c->api->be.store, 0, &txn) : MC_ENOMEM;
    if (rc) {
        free(node);
        mc_viewer_fail(r, rc);
        return rc;
    }
    if ((rc = mc_store_get_record(txn, &lr->rid, &lr->rec)) == MC_ENOTFOUND) {
        mc_resp_err(r, rc, "no such record");
    } else if (rc || (rc = mc_store_get_identity(txn, &c->api->be.node, node))) {
        mc_viewer_fail(r, rc == MC_ENOTFOUND ? MC_ECORRUPT : rc); /* the node must know itself */
    } else if (memcmp(node->org.b, lr->rec.custodian.b, 32) != 0) {
        mc_resp_not_custodian(r);
        rc = MC_EDENIED;
    } else if ((rc = mc_viewer_open(&v, c, txn)) ||
               (rc = mc_viewer_decide(&v, NULL, &lr->rid, lr->purpose, lr->action, &lr->d))) {
        mc_viewer_fail(r, rc);
    }
    lr->t = v.time_ms;
    mc_viewer_close(&v);
    mc_store_abort(txn);
    free(node);
    return rc;
}

int mc_logged_read_decide(mc_call *c, mc_resp *r, const char *zrid, uint8_t via, mc_logged_read *lr)
{
    static const char *const usage[MC_VIA_COUNT_] = {
        "a logged read is POST /v1/records/<rid>/access?purpose=P&action=a exactly, with no body",
        "a ciphertext read is GET /v1/records/<rid>/content?purpose=P&action=read exactly, with no body"};
    char target[160];
    memset(lr, 0, sizeof *lr);
    lr->via = via;
    if (mc_api_parse_id(zrid, lr->rid.b, r, "record id") || mc_api_purpose_arg(c, r, 1, &lr->purpose) ||
        mc_api_action_arg(c, r, &lr->action))
        return 1;
    /* the executor verifies the reader's signature over exactly this target and no body */
    if (mc_access_target(target, &lr->rid, lr->purpose, lr->action, via) || strcmp(target, c->full) != 0 ||
        c->body.n) {
        mc_resp_error(r, 400, "EINVAL", usage[via]);
        return 1;
    }
    if (!c->api->be.log_tx) {
        mc_resp_err(r, MC_EUNAVAIL, "this node does not log reads");
        return 1;
    }
    if (mc_rate_take(c->api->access_rate, &c->signer)) {
        mc_resp_too_many(r);
        return 1;
    }
    return mc_access_decide(c, r, lr) ? 1 : 0;
}

void mc_logged_read_log(mc_call *c, mc_logged_read *lr)
{
    mc_body_access_log b;
    memset(&b, 0, sizeof b);
    b.reader = c->signer;
    b.req_time_ms = c->time_ms;
    memcpy(b.req_nonce, c->nonce, MC_REQ_NONCE_BYTES);
    b.req_sig = c->sig;
    b.record = lr->rid;
    b.purpose = lr->purpose;
    b.action = lr->action;
    b.permit = (uint8_t)(lr->d.permit ? 1 : 0);
    b.reason = lr->d.reason;
    b.has_basis = lr->d.has_basis;
    b.basis = lr->d.basis;
    b.via = lr->via;
    /* authentication verified the reader's signature over this very request (its digest is
     * what the access.log's reader signature covers): the executor's pre-pass finds it here
     * rather than verify it again (docs/decisions.md) */
    if (c->api->be.sigcache) mc_sigcache_add(c->api->be.sigcache, &c->digest, &c->sig, &c->signer_pk);
    memset(&lr->out, 0, sizeof lr->out);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_body_access_log_encode(&body, &b);
    if (rc) {
        lr->out.state = MC_TXS_FAILED;
        lr->out.err = rc;
    } else {
        c->api->be.log_tx(c->api->be.ctx, MC_TX_ACCESS_LOG, body.p, body.n, c->api->opts.default_timeout_ms,
                          &lr->out);
    }
    mc_buf_free(&body);
}

int mc_logged_read_served(mc_call *c, mc_resp *r, const mc_logged_read *lr)
{
    if (lr->out.state == MC_TXS_COMMITTED && lr->out.code == MC_TXR_OK && lr->d.permit) return 1;
    if (lr->out.state != MC_TXS_COMMITTED || lr->out.code != MC_TXR_OK) {
        /* not on the ledger (refused, timed out, or the state or a grant's window moved under the
         * decision: DECISION_MISMATCH): nothing is served; the caller signs a new request */
        mc_resp_error(r, 503, "EAGAIN", "the read could not be logged; sign a new request and retry");
    } else {
        mc_resp_decision_denied(r, mc_json_decision(&lr->d, lr->t, &c->signer, &lr->rid), &lr->d);
    }
    json_t *log = mc_json_txout(&lr->out);
    if (r->json && log)
        json_object_set_new(r->json, "log", log);
    else
        json_decref(log);
    return 0;
}

void mc_route_access_log(mc_call *c, mc_resp *r, const char *zrid)
{
    mc_logged_read lr;
    if (mc_logged_read_decide(c, r, zrid, MC_VIA_DECISION, &lr)) return;
    mc_logged_read_log(c, &lr);
    if (!mc_logged_read_served(c, r, &lr)) return;
    const char *reason = mc_reason_name(lr.d.reason);
    mc_api_ok(r, json_pack("{s:b,s:s,s:o,s:o,s:o}", "permit", 1, "reason", reason ? reason : "UNKNOWN",
                           "basis", lr.d.has_basis ? mc_json_hex(lr.d.basis.b, 32) : json_null(), "record",
                           mc_json_record(&lr.rec), "log", mc_json_txout(&lr.out)));
}
