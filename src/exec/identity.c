/*
 * identity.register, identity.rotate, identity.revoke.
 *
 * Orgs enrol their staff, nodes and patients (each kind of org only its own kinds of staff);
 * orgs themselves join only through the genesis config or governance. A patient's enrolment also carries the
 * patient's own signature, and no attributes. An identity's keys are rotated, and an identity revoked, by
 * itself or by its org; a validator's only through governance.
 */
#include <string.h>

#include "exec_internal.h"

static int mc_signer_may_manage(const mc_identity *signer, const mc_identity *target)
{
    if (memcmp(signer->id.b, target->id.b, 32) == 0) return 1;
    return signer->kind == MC_ID_ORG && memcmp(signer->id.b, target->org.b, 32) == 0;
}

static int mc_type_is(const char *type, const char *want)
{
    return type && strcmp(type, want) == 0;
}

/*
 * Who an org may enrol: a regulator enrols auditors and nodes; a research institute
 * researchers and nodes; a care org (anything else) providers, patients and nodes. Only
 * hospitals and clinics may give a provider emergency=true (break-glass).
 */
static int mc_org_may_enrol(const mc_identity *org, const mc_body_register *b)
{
    const char *type = mc_attrs_get(&org->attrs, "type");
    const char *em = mc_attrs_get(&b->attrs, "emergency");
    if (b->kind == MC_ID_NODE) return 1;
    if (mc_type_is(type, "regulator")) return b->kind == MC_ID_AUDITOR;
    if (mc_type_is(type, "research")) return b->kind == MC_ID_RESEARCHER;
    if (b->kind != MC_ID_PROVIDER && b->kind != MC_ID_PATIENT) return 0;
    return !em || (b->kind == MC_ID_PROVIDER && (mc_type_is(type, "hospital") || mc_type_is(type, "clinic")));
}

int mc_exec_identity_register(const mc_exec_ctx *c)
{
    mc_body_register b;
    if (mc_body_register_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    const mc_identity *s = c->signer;
    if (b.kind == MC_ID_ORG || s->kind != MC_ID_ORG) return MC_TXR_UNAUTHORIZED;
    if (memcmp(b.org.b, s->id.b, 32) != 0) return MC_TXR_UNAUTHORIZED;
    if (!mc_org_may_enrol(s, &b)) return MC_TXR_UNAUTHORIZED;
    /* a patient's identity carries nothing but keys: no attribute could hold a name or a
     * record number on the ledger */
    if (b.kind == MC_ID_PATIENT && b.attrs.n) return MC_TXR_BAD_BODY;
    if (b.kind == MC_ID_PATIENT && !b.has_cosig) return MC_TXR_BAD_COSIG;
    if (b.has_cosig) {
        mc_hash msg;
        if (mc_body_register_cosig_msg(&msg, c->chain, &b)) return MC_TXR_BAD_BODY;
        if (mc_verify(&b.cosig, msg.b, 32, &b.sign_pk)) return MC_TXR_BAD_COSIG;
    }
    mc_identity idn;
    memset(&idn, 0, sizeof idn);
    mc_id_from_pk(&idn.id, &b.sign_pk);
    mc_identity existing;
    int rc = mc_store_get_identity(c->txn, &idn.id, &existing);
    if (rc == MC_OK) return MC_TXR_EXISTS;
    if (rc != MC_ENOTFOUND) return -rc;
    idn.kind = b.kind;
    idn.status = MC_ID_ACTIVE;
    idn.org = s->id;
    idn.sign_pk = b.sign_pk;
    idn.box_pk = b.box_pk;
    idn.registered_at = c->height;
    idn.updated_at = c->height;
    idn.attrs = b.attrs;
    rc = mc_store_put_identity(c->txn, &idn);
    return rc ? -rc : MC_TXR_OK;
}

/* Loads the target of a rotation or revocation and checks the signer may manage it. */
static int mc_load_target(const mc_exec_ctx *c, const mc_id *id, mc_identity *t)
{
    int rc = mc_store_get_identity(c->txn, id, t);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    if (!mc_signer_may_manage(c->signer, t)) return MC_TXR_UNAUTHORIZED;
    if (t->status != MC_ID_ACTIVE) return MC_TXR_TARGET_REVOKED;
    /* a validator's keys change only through governance: revoking or re-keying the only
     * validator of a chain would stop it for good */
    uint64_t last;
    rc = mc_store_get_validator(c->txn, id, &last);
    if (rc == MC_OK) return MC_TXR_UNAUTHORIZED;
    if (rc != MC_ENOTFOUND) return -rc;
    return MC_TXR_OK;
}

int mc_exec_identity_rotate(const mc_exec_ctx *c)
{
    mc_body_rotate b;
    mc_identity t;
    if (mc_body_rotate_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    int code = mc_load_target(c, &b.id, &t);
    if (code != MC_TXR_OK) return code;
    if (memcmp(t.sign_pk.b, b.sign_pk.b, 32) == 0) return MC_TXR_SAME_KEY;
    t.sign_pk = b.sign_pk;
    t.box_pk = b.box_pk;
    t.updated_at = c->height;
    int rc = mc_store_put_identity(c->txn, &t);
    return rc ? -rc : MC_TXR_OK;
}

int mc_exec_identity_revoke(const mc_exec_ctx *c)
{
    mc_body_revoke b;
    mc_identity t;
    if (mc_body_revoke_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    int code = mc_load_target(c, &b.id, &t);
    if (code != MC_TXR_OK) return code;
    t.status = MC_ID_REVOKED;
    t.revoke_reason = b.reason;
    t.updated_at = c->height;
    int rc = mc_store_put_identity(c->txn, &t);
    return rc ? -rc : MC_TXR_OK;
}
