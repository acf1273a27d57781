/*
 * Who sees what (docs/api.md, "Who sees what"). The patient, its active delegates and auditors
 * see the patient's lists in full; anyone else sees what the policy lets them read, the grants
 * and denies naming them or their org, and their own reads. Every check reads the same read
 * transaction as the route, and decisions are made at the caller's signed time.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

int mc_viewer_open(mc_viewer *v, mc_call *c, mc_store_txn *txn)
{
    memset(v, 0, sizeof *v);
    v->c = c;
    v->txn = txn;
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

int mc_viewer_full(mc_viewer *v, const mc_id *patient)
{
    if (memcmp(patient->b, v->c->signer.b, 32) == 0) return 1;
    if (v->c->signer_kind == MC_ID_AUDITOR) return 1;
    mc_delegate d;
    int rc = mc_store_get_delegate(v->txn, patient, &v->c->signer, &d);
    if (rc == MC_ENOTFOUND) return 0;
    if (rc) return -rc;
    return d.active ? 1 : 0;
}

int mc_viewer_decide(mc_viewer *v, const mc_id *requester, const mc_hash *record, uint32_t purpose,
                     uint8_t action, mc_decision *d)
{
    return mc_policy_decide(&v->view, requester ? requester : &v->c->signer, record, purpose, action,
                            v->c->time_ms, d);
}

int mc_viewer_named(const mc_viewer *v, const mc_consent *con)
{
    /* an identity grantee may itself be an org; a selector names its org */
    const mc_id *g = &con->body.grantee;
    return memcmp(g->b, v->c->signer.b, 32) == 0 || memcmp(g->b, v->c->signer_org.b, 32) == 0;
}

void mc_viewer_fail(mc_resp *r, int rc)
{
    mc_resp_err(r, rc, rc == MC_ENOMEM ? NULL : "state unreadable");
}
