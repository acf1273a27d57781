/*
 * POST /v1/records/{rid}/access: a logged read. The caller's own signed request goes onto the
 * ledger in an access.log transaction signed by this node, so the executor can check the reader
 * asked (its signature over exactly mc_access_target()) and re-decide the read at the block's
 * time: the node can neither invent a read nor flip its outcome. The node decides first with
 * the same policy over its tip at its own clock (never the X-MC-Time the reader chose, which may
 * lie anywhere in the clock skew), so that what it answers is what it logs; a refused read is
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

/* Reads the record, checks custody and decides (at the node's clock, into @p t), all in one
 * snapshot. On failure fills @p r. */
static int mc_access_decide(mc_call *c, mc_resp *r, const mc_hash *rid, uint32_t purpose, uint8_t action,
                            mc_record *rec, mc_decision *d, uint64_t *t)
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
    if ((rc = mc_store_get_record(txn, rid, rec)) == MC_ENOTFOUND) {
        mc_resp_err(r, rc, "no such record");
    } else if (rc || (rc = mc_store_get_identity(txn, &c->api->be.node, node))) {
        mc_viewer_fail(r, rc == MC_ENOTFOUND ? MC_ECORRUPT : rc); /* the node must know itself */
    } else if (memcmp(node->org.b, rec->custodian.b, 32) != 0) {
        mc_resp_not_custodian(r);
        rc = MC_EDENIED;
    } else if ((rc = mc_viewer_open(&v, c, txn)) ||
               (rc = mc_viewer_decide(&v, NULL, rid, purpose, action, d))) {
        mc_viewer_fail(r, rc);
    }
    *t = v.time_ms;
    mc_viewer_close(&v);
    mc_store_abort(txn);
    free(node);
    return rc;
}

/* The answer once the log was submitted: the decision it carries, if the ledger took it. */
static void mc_access_answer(mc_call *c, mc_resp *r, const mc_record *rec, const mc_decision *d, uint64_t t,
                             const mc_api_txout *out)
{
    json_t *log = mc_json_txout(out);
    json_t *decision = mc_json_decision(d, t, &c->signer, &rec->id);
    if (out->state != MC_TXS_COMMITTED || out->code != MC_TXR_OK) {
        /* not on the ledger (refused, timed out, or the state or a grant's window moved under the
         * decision: DECISION_MISMATCH): nothing is served; the caller signs a new request */
        mc_resp_error(r, 503, "EAGAIN", "the read could not be logged; sign a new request and retry");
        json_decref(decision);
    } else if (!d->permit) {
        mc_resp_decision_denied(r, decision, d);
    } else {
        const char *reason = mc_reason_name(d->reason);
        mc_api_ok(r, json_pack("{s:b,s:s,s:o,s:o}", "permit", 1, "reason", reason ? reason : "UNKNOWN",
                               "basis", d->has_basis ? mc_json_hex(d->basis.b, 32) : json_null(), "record",
                               mc_json_record(rec)));
        json_decref(decision);
    }
    if (r->json && log)
        json_object_set_new(r->json, "log", log);
    else
        json_decref(log);
}

void mc_route_access_log(mc_call *c, mc_resp *r, const char *zrid)
{
    mc_hash rid;
    uint32_t purpose;
    uint8_t action;
    char target[160];
    if (mc_api_parse_id(zrid, rid.b, r, "record id") || mc_api_purpose_arg(c, r, 1, &purpose) ||
        mc_api_action_arg(c, r, &action))
        return;
    /* the executor verifies the reader's signature over exactly this target and no body */
    if (mc_access_target(target, &rid, purpose, action, MC_VIA_DECISION) || strcmp(target, c->full) != 0 || c->body.n) {
        mc_resp_error(
            r, 400, "EINVAL",
            "a logged read is POST /v1/records/<rid>/access?purpose=P&action=a exactly, with no body");
        return;
    }
    if (!c->api->be.log_access) {
        mc_resp_err(r, MC_EUNAVAIL, "this node does not log reads");
        return;
    }
    if (mc_rate_take(c->api->access_rate, &c->signer)) {
        mc_resp_too_many(r);
        return;
    }
    mc_record rec;
    mc_decision d;
    uint64_t t = 0;
    if (mc_access_decide(c, r, &rid, purpose, action, &rec, &d, &t)) return;
    mc_body_access_log b;
    memset(&b, 0, sizeof b);
    b.reader = c->signer;
    b.req_time_ms = c->time_ms;
    memcpy(b.req_nonce, c->nonce, MC_REQ_NONCE_BYTES);
    b.req_sig = c->sig;
    b.record = rid;
    b.purpose = purpose;
    b.action = action;
    b.permit = (uint8_t)(d.permit ? 1 : 0);
    b.reason = d.reason;
    b.has_basis = d.has_basis;
    b.basis = d.basis;
    mc_api_txout out;
    memset(&out, 0, sizeof out);
    c->api->be.log_access(c->api->be.ctx, &b, c->api->opts.default_timeout_ms, &out);
    mc_access_answer(c, r, &rec, &d, t, &out);
}
