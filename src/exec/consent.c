/*
 * consent.grant, consent.deny, consent.revoke (signed by the patient or an active delegate) and
 * consent.delegate (signed by the patient). A grant or deny is known by its transaction id;
 * revoking one ends it at once (in this block) and forever.
 */
#include <stdlib.h>
#include <string.h>

#include "exec_internal.h"

/* The grantee must exist; an org or a selector names an org; a grant to a research institute or
 * a regulator (or their members) gives no more than they may have. */
static int mc_check_grantee(const mc_exec_ctx *c, const mc_body_consent *b, int deny)
{
    mc_identity g;
    int rc = mc_store_get_identity(c->txn, &b->grantee, &g);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    if (b->grantee_kind != MC_GRANTEE_IDENTITY && g.kind != MC_ID_ORG) return MC_TXR_BAD_BODY;
    if (g.status != MC_ID_ACTIVE) return MC_TXR_TARGET_REVOKED;
    if (deny) return MC_TXR_OK; /* a deny only takes away */
    /* what a grant can give follows the grantee's org: research institutes get de-identified
     * data for research only, regulators metadata only, whoever in them holds the grant */
    mc_identity org;
    if (g.kind != MC_ID_ORG && g.kind != MC_ID_PATIENT) {
        rc = mc_store_get_identity(c->txn, &g.org, &org);
        if (rc) return rc == MC_ENOTFOUND ? MC_TXR_NOT_FOUND : -rc;
    } else {
        org = g;
    }
    const char *type = g.kind == MC_ID_PATIENT ? NULL : mc_attrs_get(&org.attrs, "type");
    if (type && strcmp(type, "research") == 0 &&
        (b->actions != MC_ACTION_READ_DEID || b->purposes != MC_PURPOSE_HRESCH))
        return MC_TXR_UNAUTHORIZED;
    if (type && strcmp(type, "regulator") == 0 && (b->actions & ~MC_ACTION_READ_META))
        return MC_TXR_UNAUTHORIZED;
    return MC_TXR_OK;
}

/* The signer must be the patient or one of its active delegates. */
static int mc_check_speaker(const mc_exec_ctx *c, const mc_id *patient)
{
    int code = mc_exec_check_patient(c, patient);
    if (code != MC_TXR_OK) return code;
    int yes = mc_exec_speaks_for(c->txn, patient, &c->signer->id);
    if (yes < 0) return yes;
    return yes ? MC_TXR_OK : MC_TXR_UNAUTHORIZED;
}

int mc_exec_consent_grant(const mc_exec_ctx *c)
{
    int deny = c->tx->kind == MC_TX_CONSENT_DENY;
    mc_consent *s = calloc(1, sizeof *s);
    mc_body_consent *b = malloc(sizeof *b);
    int code = -MC_ENOMEM;
    if (!s || !b) goto out;
    code = MC_TXR_BAD_BODY;
    if (mc_body_consent_decode(b, c->tx->body.p, c->tx->body.n)) goto out;
    if (deny && b->nkeys) goto out;
    if ((code = mc_check_speaker(c, &b->patient)) != MC_TXR_OK) goto out;
    if ((code = mc_check_grantee(c, b, deny)) != MC_TXR_OK) goto out;
    code = MC_TXR_BAD_WINDOW;
    if (b->not_after <= c->time_ms) goto out; /* over before it began */
    s->id = c->tx->id;
    s->deny = (uint8_t)deny;
    s->status = MC_CONSENT_ACTIVE;
    s->by = c->signer->id;
    s->height = c->height;
    s->time_ms = c->time_ms;
    s->body = *b;
    /* in force from the block that applied it, never before: it cannot permit (or refuse) a
     * read that happened before it existed */
    if (s->body.not_before < c->time_ms) s->body.not_before = c->time_ms;
    s->body.nkeys = 0; /* the keys stay in the block, for the grantee to fetch */
    memset(s->body.keys, 0, sizeof s->body.keys);
    int rc = mc_store_put_consent(c->txn, s);
    code = rc ? -rc
              : mc_exec_emit(c, deny ? MC_EV_DENY : MC_EV_GRANT, 0, &b->patient, &c->signer->id, &b->grantee,
                             &c->tx->id);
out:
    free(s);
    free(b);
    return code;
}

int mc_exec_consent_revoke(const mc_exec_ctx *c)
{
    mc_body_consent_revoke b;
    mc_consent *s = malloc(sizeof *s);
    int code = -MC_ENOMEM, rc;
    if (!s) goto out;
    code = MC_TXR_BAD_BODY;
    if (mc_body_consent_revoke_decode(&b, c->tx->body.p, c->tx->body.n)) goto out;
    rc = mc_store_get_consent(c->txn, &b.target, s);
    code = rc == MC_ENOTFOUND ? MC_TXR_NOT_FOUND : -rc;
    if (rc) goto out;
    if ((code = mc_check_speaker(c, &s->body.patient)) != MC_TXR_OK) goto out;
    code = MC_TXR_TARGET_REVOKED;
    if (s->status != MC_CONSENT_ACTIVE) goto out;
    s->status = MC_CONSENT_REVOKED;
    s->revoked_height = c->height;
    s->revoked_time_ms = c->time_ms;
    s->revoked_by = c->signer->id;
    rc = mc_store_put_consent(c->txn, s);
    code = rc ? -rc
              : mc_exec_emit(c, MC_EV_REVOKE, 0, &s->body.patient, &c->signer->id, &s->body.grantee, &s->id);
out:
    free(s);
    return code;
}

int mc_exec_consent_delegate(const mc_exec_ctx *c)
{
    mc_body_delegate b;
    if (mc_body_delegate_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    if (memcmp(b.patient.b, b.delegate.b, 32) == 0) return MC_TXR_BAD_BODY;
    int code = mc_exec_check_patient(c, &b.patient);
    if (code != MC_TXR_OK) return code;
    if (memcmp(c->signer->id.b, b.patient.b, 32) != 0) return MC_TXR_UNAUTHORIZED; /* the patient only */
    mc_identity d;
    int rc = mc_store_get_identity(c->txn, &b.delegate, &d);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    if (b.add && d.status != MC_ID_ACTIVE) return MC_TXR_TARGET_REVOKED;
    mc_delegate cur;
    rc = mc_store_get_delegate(c->txn, &b.patient, &b.delegate, &cur);
    if (rc && rc != MC_ENOTFOUND) return -rc;
    int active = rc == MC_OK && cur.active;
    if (b.add && active) return MC_TXR_EXISTS;
    if (!b.add && !active) return MC_TXR_NOT_FOUND;
    mc_delegate nd = {(uint8_t)(b.add ? 1 : 0), c->height, c->time_ms};
    if ((rc = mc_store_put_delegate(c->txn, &b.patient, &b.delegate, &nd))) return -rc;
    return mc_exec_emit(c, MC_EV_DELEGATE, b.add ? 0 : MC_EVF_REMOVED, &b.patient, &c->signer->id,
                        &b.delegate, &c->tx->id);
}
