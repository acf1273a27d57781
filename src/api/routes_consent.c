/*
 * The record, consent and access routes (docs/api.md, "Records, consent and access"): where
 * each path goes, and the single-item reads: one record, one grant or deny, a decision, an org
 * admission proposal. Each reads one snapshot and answers only what the caller may see.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

int mc_api_purpose_arg(mc_call *c, mc_resp *r, int required, uint32_t *out)
{
    const char *z = mc_api_arg(c, "purpose");
    *out = z ? mc_purpose_parse(z) : required ? 0 : MC_PURPOSE_TREAT;
    if (*out) return MC_OK;
    mc_resp_error(r, 400, "EINVAL",
                  "purpose must be one of TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, PATRQT");
    return MC_EINVAL;
}

int mc_api_action_arg(mc_call *c, mc_resp *r, uint8_t *out)
{
    const char *z = mc_api_arg(c, "action");
    *out = z ? mc_action_parse(z) : 0;
    if (*out) return MC_OK;
    mc_resp_error(r, 400, "EINVAL", "action must be one of read, read_meta, read_deid");
    return MC_EINVAL;
}

void mc_resp_decision_denied(mc_resp *r, json_t *decision, const mc_decision *d)
{
    const char *text = mc_reason_text(d->reason);
    mc_resp_denied(r, text ? text : "the policy denies this");
    if (r->json && decision)
        json_object_set_new(r->json, "decision", decision);
    else
        json_decref(decision);
}

static void mc_route_record(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    mc_hash rid;
    mc_record rec;
    mc_decision d;
    mc_viewer v;
    uint32_t purpose;
    if (mc_api_parse_id(arg, rid.b, r, "record id") || mc_api_purpose_arg(c, r, 0, &purpose)) return;
    int rc = mc_store_get_record(txn, &rid, &rec);
    if (rc) {
        if (rc == MC_ENOTFOUND)
            mc_resp_err(r, rc, "no such record");
        else
            mc_viewer_fail(r, rc);
        return;
    }
    if ((rc = mc_viewer_open(&v, c, txn)) ||
        (rc = mc_viewer_decide(&v, NULL, &rid, purpose, MC_ACTION_READ_META, &d)))
        mc_viewer_fail(r, rc);
    else if (!d.permit)
        mc_resp_decision_denied(r, mc_json_decision(&d, v.time_ms, &c->signer, &rid), &d);
    else
        mc_api_ok(r, mc_json_record(&rec));
    mc_viewer_close(&v);
}

static void mc_route_consent_one(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    mc_hash cid;
    mc_viewer v;
    if (mc_api_parse_id(arg, cid.b, r, "consent id")) return;
    int rc = mc_viewer_open(&v, c, txn);
    mc_consent *con = rc ? NULL : malloc(sizeof *con);
    if (!rc && !con) rc = MC_ENOMEM;
    if (!rc) rc = mc_store_get_consent(txn, &cid, con);
    int full = rc ? 0 : mc_viewer_full(&v, &con->body.patient);
    if (full < 0) rc = -full;
    if (rc == MC_ENOTFOUND)
        mc_resp_err(r, rc, "no such grant or deny");
    else if (rc)
        mc_viewer_fail(r, rc);
    else if (!full && !mc_viewer_named(&v, &con->body))
        mc_resp_denied(r, "only the patient, its delegates, auditors and those it names see a grant or deny");
    else
        mc_api_ok(r, mc_json_consent(con));
    free(con);
    mc_viewer_close(&v);
}

/* Staff (a provider, a node, the org itself) of an active org that holds @p rec, asking about an
 * org (`medchain deid`'s check that a research org may have the record de-identified): the
 * custodian decides exactly that at serve time. It learns permit or deny and the reason, never
 * the basis (which grant or deny), and nothing about persons. */
static int mc_viewer_custodian(const mc_viewer *v, const mc_record *rec, const mc_id *requester)
{
    const mc_call *c = v->c;
    int staff =
        c->signer_kind == MC_ID_PROVIDER || c->signer_kind == MC_ID_NODE || c->signer_kind == MC_ID_ORG;
    if (!staff || !c->org_active || memcmp(c->signer_org.b, rec->custodian.b, 32) != 0) return 0;
    mc_identity who;
    int rc = mc_store_get_identity(v->txn, requester, &who);
    return rc == MC_OK ? who.kind == MC_ID_ORG : rc == MC_ENOTFOUND ? 0 : -rc;
}

/* Asking about someone else needs standing: the record's patient, a delegate, an auditor (in
 * full), or the record's custodian asking about an org (*limited: no basis). */
static int mc_decide_standing(mc_viewer *v, const mc_hash *rid, const mc_id *requester, mc_resp *r,
                              int *limited)
{
    mc_record rec;
    int rc = mc_store_get_record(v->txn, rid, &rec);
    int full = rc == MC_OK          ? mc_viewer_full(v, &rec.patient)
               : rc == MC_ENOTFOUND ? mc_viewer_auditor(v)
                                    : -rc;
    *limited = 0;
    if (full == 0 && rc == MC_OK) full = *limited = mc_viewer_custodian(v, &rec, requester);
    if (full < 0) {
        mc_viewer_fail(r, -full);
        return 1;
    }
    if (!full) {
        mc_resp_denied(r, "only the patient, its delegates and auditors may ask for another requester (a "
                          "record's custodian: for an org)");
        return 1;
    }
    return 0;
}

static void mc_route_decide(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    (void)arg;
    mc_hash rid;
    mc_id requester = c->signer;
    uint32_t purpose;
    uint8_t action;
    mc_decision d;
    mc_viewer v;
    int limited = 0;
    const char *zr = mc_api_arg(c, "record"), *zq = mc_api_arg(c, "requester");
    if (mc_api_parse_id(zr, rid.b, r, "record") || (zq && mc_api_parse_id(zq, requester.b, r, "requester")))
        return;
    if (mc_api_purpose_arg(c, r, 1, &purpose) || mc_api_action_arg(c, r, &action)) return;
    int rc = mc_viewer_open(&v, c, txn);
    if (rc) {
        mc_viewer_fail(r, rc);
    } else if (memcmp(requester.b, c->signer.b, 32) != 0 &&
               mc_decide_standing(&v, &rid, &requester, r, &limited)) {
        /* r says why */
    } else if ((rc = mc_viewer_decide(&v, &requester, &rid, purpose, action, &d))) {
        mc_viewer_fail(r, rc);
    } else {
        if (limited) d.has_basis = 0; /* which grant or deny is the patient's business */
        mc_api_ok(r, mc_json_decision(&d, v.time_ms, &requester, &rid));
    }
    mc_viewer_close(&v);
}

static void mc_route_proposal(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    (void)c;
    mc_hash id;
    if (mc_api_parse_id(arg, id.b, r, "proposal id")) return;
    mc_proposal *p = malloc(sizeof *p);
    int rc = p ? mc_store_get_proposal(txn, &id, p) : MC_ENOMEM;
    if (rc == MC_ENOTFOUND)
        mc_resp_err(r, rc, "no such proposal");
    else if (rc)
        mc_viewer_fail(r, rc);
    else
        mc_api_ok(r, mc_json_proposal(p));
    free(p);
}

int mc_api_route_consent(mc_call *c, mc_resp *r)
{
    const char *p = c->path, *arg = NULL;
    mc_read_route fn = NULL;
    char rid[65];
    if (strcmp(p, "/v1/events") == 0) {
        if (strcmp(c->method, "GET") != 0) goto bad_method;
        mc_route_events(c, r);
        return 1;
    }
    size_t n = strlen("/v1/records/");
    if (strncmp(p, "/v1/records/", n) == 0 && strlen(p + n) == 64 + 7 && strcmp(p + n + 64, "/access") == 0) {
        if (strcmp(c->method, "POST") != 0) goto bad_method;
        memcpy(rid, p + n, 64);
        rid[64] = 0;
        mc_route_access_log(c, r, rid);
        return 1;
    }
    if (strcmp(p, "/v1/decide") == 0)
        fn = mc_route_decide;
    else if (strcmp(p, "/v1/audit/access") == 0)
        fn = mc_route_audit_access;
    else if (strncmp(p, "/v1/patients/", 13) == 0)
        fn = mc_route_patient, arg = p + 13;
    else if ((arg = mc_api_segment(p, "/v1/records/")))
        fn = mc_route_record;
    else if ((arg = mc_api_segment(p, "/v1/consents/")))
        fn = mc_route_consent_one;
    else if ((arg = mc_api_segment(p, "/v1/proposals/")))
        fn = mc_route_proposal;
    if (!fn) return 0;
    if (strcmp(c->method, "GET") != 0) goto bad_method;
    mc_api_with_snapshot(c, r, fn, arg);
    return 1;
bad_method:
    mc_resp_error(r, 405, "EMETHOD", "method not allowed on this route");
    return 1;
}
