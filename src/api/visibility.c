/*
 * Who sees what (docs/api.md, "Who sees what"). The patient, its active delegates and auditors
 * see the patient's lists in full; anyone else sees what the policy lets them read, the grants
 * and denies naming them or their org, and their own reads. Every check reads the same read
 * transaction as the route.
 *
 * The same standing as the policy's (include/medchain/policy.h): staff, nodes and auditors of a
 * revoked org have none (rule 1); a researcher sees de-identified data only, so never a list in
 * full, delegate or not (rule 4); a patient is enrolled by an org but is no member of it, so a
 * grant to that org is not the patient's business.
 *
 * Decisions are made at the node's clock (the later of its own clock and the tip block's
 * time), never at the X-MC-Time the caller signed: the node accepts that within the clock skew,
 * so a caller could otherwise read up to the skew after a grant ended.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "medchain/exec.h"

static int mc_id_eq(const mc_id *a, const mc_id *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}

/* The time this node's next block would have (mc_exec_predict_time at its clock): decisions are
 * made at it, so that what the node answers is what the executor decides when it logs a read. */
static int mc_viewer_clock(mc_call *c, mc_store_txn *txn, uint64_t *out)
{
    int rc = mc_exec_predict_time(txn, &c->api->be.node, mc_time_now_ms(), out);
    return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc;
}

int mc_viewer_open(mc_viewer *v, mc_call *c, mc_store_txn *txn)
{
    memset(v, 0, sizeof *v);
    v->c = c;
    v->txn = txn;
    int rc = mc_viewer_clock(c, txn, &v->time_ms);
    if (rc) return rc;
    v->pc = malloc(sizeof *v->pc); /* a consent and two identities: too big for a stack frame */
    if (!v->pc) return MC_ENOMEM;
    mc_policy_store_view(&v->view, v->pc, txn);
    return MC_OK;
}

void mc_viewer_close(mc_viewer *v)
{
    free(v->pc);
    v->pc = NULL;
}

int mc_viewer_auditor(const mc_viewer *v)
{
    return v->c->signer_kind == MC_ID_AUDITOR && v->c->org_active;
}

int mc_viewer_full(mc_viewer *v, const mc_id *patient)
{
    const mc_call *c = v->c;
    if (mc_id_eq(patient, &c->signer)) return 1;
    if (!c->org_active || c->signer_kind == MC_ID_RESEARCHER) return 0;
    if (c->signer_kind == MC_ID_AUDITOR) return 1;
    mc_delegate d;
    int rc = mc_store_get_delegate(v->txn, patient, &c->signer, &d);
    if (rc == MC_ENOTFOUND) return 0;
    if (rc) return -rc;
    return d.active ? 1 : 0;
}

int mc_viewer_decide(mc_viewer *v, const mc_id *requester, const mc_hash *record, uint32_t purpose,
                     uint8_t action, mc_decision *d)
{
    return mc_policy_decide(&v->view, requester ? requester : &v->c->signer, record, purpose, action,
                            v->time_ms, d);
}

int mc_viewer_named(const mc_viewer *v, const mc_body_consent *b)
{
    /* an identity grantee may itself be an org; a selector names its org */
    const mc_call *c = v->c;
    return mc_id_eq(&b->grantee, &c->signer) ||
           (c->signer_kind != MC_ID_PATIENT && mc_id_eq(&b->grantee, &c->signer_org));
}

/* What a record, consent or access transaction is about: decoded from its body and, for a
 * revocation or a logged read, from the state. */
typedef struct {
    union {
        mc_body_anchor anchor;
        mc_body_consent consent;
        mc_body_consent_revoke revoke;
        mc_body_delegate delegate;
        mc_body_emergency emergency;
        mc_body_access_log log;
        mc_body_access_reads reads;
    } b;
    mc_consent target; /* consent.revoke: the grant or deny it ends */
    mc_record rec;     /* access.log: the record read */
    const mc_id *patient;
    const mc_body_consent *consent; /* the grant or deny, whose grantee is a party */
    const mc_id *named;             /* the delegate named, the reader */
} mc_tx_about;

/* @return MC_OK (what could be known is set; a body that does not decode, or a target the state
 * does not hold, leaves only the signer as a party), or a store error. */
static int mc_tx_about_read(mc_store_txn *txn, const mc_tx *tx, mc_tx_about *a)
{
    const uint8_t *p = tx->body.p;
    size_t n = tx->body.n;
    int rc = MC_OK;
    a->patient = NULL;
    a->consent = NULL;
    a->named = NULL;
    switch (tx->kind) {
    case MC_TX_RECORD_ANCHOR:
        if (!mc_body_anchor_decode(&a->b.anchor, p, n)) a->patient = &a->b.anchor.patient;
        break;
    case MC_TX_CONSENT_GRANT:
    case MC_TX_CONSENT_DENY:
        if (!mc_body_consent_decode(&a->b.consent, p, n)) {
            a->patient = &a->b.consent.patient;
            a->consent = &a->b.consent;
        }
        break;
    case MC_TX_CONSENT_REVOKE:
        if (mc_body_consent_revoke_decode(&a->b.revoke, p, n)) break;
        rc = mc_store_get_consent(txn, &a->b.revoke.target, &a->target);
        if (rc == MC_OK) {
            a->patient = &a->target.body.patient;
            a->consent = &a->target.body; /* its grantee learns it was revoked */
        }
        break;
    case MC_TX_CONSENT_DELEGATE:
        if (!mc_body_delegate_decode(&a->b.delegate, p, n)) {
            a->patient = &a->b.delegate.patient;
            a->named = &a->b.delegate.delegate;
        }
        break;
    case MC_TX_ACCESS_EMERGENCY:
        if (!mc_body_emergency_decode(&a->b.emergency, p, n)) a->patient = &a->b.emergency.patient;
        break;
    case MC_TX_ACCESS_LOG:
        if (mc_body_access_log_decode(&a->b.log, p, n)) break;
        a->named = &a->b.log.reader;
        rc = mc_store_get_record(txn, &a->b.log.record, &a->rec);
        if (rc == MC_OK) a->patient = &a->rec.patient;
        break;
    case MC_TX_ACCESS_READS:
        /* the reader only: its request may name several patients' records (each patient sees its
         * own reads in its access history, which names this transaction) */
        if (!mc_body_access_reads_decode(&a->b.reads, p, n)) a->named = &a->b.reads.reader;
        break;
    default: break;
    }
    return rc == MC_ENOTFOUND ? MC_OK : rc;
}

int mc_viewer_may_see_tx(mc_viewer *v, const mc_tx *tx)
{
    /* identities and org admission are the consortium's business: every member sees them */
    if ((tx->kind < MC_TX_RECORD_ANCHOR || tx->kind > MC_TX_ACCESS_LOG) && tx->kind != MC_TX_ACCESS_READS)
        return 1;
    if (mc_id_eq(&tx->signer, &v->c->signer) || mc_viewer_auditor(v)) return 1;
    mc_tx_about *a = malloc(sizeof *a); /* a consent body and a consent: too big for a stack frame */
    if (!a) return -MC_ENOMEM;
    int rc = mc_tx_about_read(v->txn, tx, a), yes = 0;
    if (rc)
        yes = -rc;
    else if ((a->named && mc_id_eq(a->named, &v->c->signer)) ||
             (a->consent && mc_viewer_named(v, a->consent)))
        yes = 1;
    else if (a->patient)
        yes = mc_viewer_full(v, a->patient); /* the patient and its delegates */
    free(a);
    return yes;
}

void mc_viewer_fail(mc_resp *r, int rc)
{
    mc_resp_err(r, rc, rc == MC_ENOMEM ? NULL : "state unreadable");
}
