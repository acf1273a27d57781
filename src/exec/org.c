/*
 * org.propose and org.approve: a member org proposes a new member; it joins (an org identity,
 * like a founding org) once the genesis threshold of distinct active member orgs approve,
 * the proposer included. A proposal that brings a validator node admits it with the org: the
 * node's identity, and a new validator set (the old one and the node) from the next block on.
 */
#include <stdlib.h>
#include <string.h>

#include "exec_internal.h"

/* MC_TXR_OK when no identity has key @p pk, MC_TXR_EXISTS, or a negated store error. */
static int mc_key_free(const mc_exec_ctx *c, const mc_sign_pk *pk)
{
    mc_id id;
    mc_identity existing;
    mc_id_from_pk(&id, pk);
    int rc = mc_store_get_identity(c->txn, &id, &existing);
    return rc == MC_OK ? MC_TXR_EXISTS : rc == MC_ENOTFOUND ? MC_TXR_OK : -rc;
}

/* The org's validator node: its identity, and the set from the next block on with it added. */
static int mc_admit_node(const mc_exec_ctx *c, const mc_body_org_propose *o, const mc_id *org)
{
    mc_valset v;
    int code = mc_key_free(c, &o->node_sign_pk);
    if (code != MC_TXR_OK) return code;
    int rc = mc_store_get_valset(c->txn, c->height + 1, &v);
    if (rc) return -rc;
    if (v.n == MC_MAX_VALIDATORS) return MC_TXR_LIMIT;
    v.pks[v.n++] = o->node_sign_pk;
    v.from_height = c->height + 1;
    if ((rc = mc_exec_add_validator(c->txn, &o->node_sign_pk, &o->node_box_pk, org, c->height, c->time_ms)) ||
        (rc = mc_store_put_valset(c->txn, &v)))
        return -rc;
    return MC_TXR_OK;
}

static int mc_admit(const mc_exec_ctx *c, mc_proposal *p)
{
    mc_identity idn;
    mc_exec_org_identity(&idn, &p->org.sign_pk, &p->org.box_pk, p->org.name, p->org.type, c->height);
    int rc, code = mc_key_free(c, &p->org.sign_pk);
    if (code != MC_TXR_OK) return code;
    if (p->org.has_node && (code = mc_admit_node(c, &p->org, &idn.id)) != MC_TXR_OK) return code;
    if ((rc = mc_store_put_identity(c->txn, &idn))) return -rc;
    p->admitted = 1;
    return mc_exec_emit(c, MC_EV_ORG_ADMITTED, 0, NULL, &c->signer->id, &idn.id, &p->id);
}

/* Records the signer's approval, admits at the threshold, and stores the proposal. */
static int mc_approve(const mc_exec_ctx *c, mc_proposal *p)
{
    for (uint32_t i = 0; i < p->napprovals; i++)
        if (memcmp(p->approvals[i].b, c->signer->id.b, 32) == 0) return MC_TXR_EXISTS;
    if (p->napprovals == MC_MAX_APPROVALS) return MC_TXR_EXISTS;
    p->approvals[p->napprovals++] = c->signer->id;
    int code = MC_TXR_OK;
    if (p->napprovals >= p->threshold && (code = mc_admit(c, p)) != MC_TXR_OK) return code;
    int rc = mc_store_put_proposal(c->txn, p);
    return rc ? -rc : MC_TXR_OK;
}

int mc_exec_org_propose(const mc_exec_ctx *c)
{
    if (c->signer->kind != MC_ID_ORG) return MC_TXR_UNAUTHORIZED;
    mc_proposal *p = calloc(1, sizeof *p);
    if (!p) return -MC_ENOMEM;
    int code = MC_TXR_BAD_BODY, rc;
    if (mc_body_org_propose_decode(&p->org, c->tx->body.p, c->tx->body.n)) goto out;
    mc_id id;
    mc_id_from_pk(&id, &p->org.sign_pk);
    if ((code = mc_key_free(c, &p->org.sign_pk)) != MC_TXR_OK) goto out;
    if (p->org.has_node && (code = mc_key_free(c, &p->org.node_sign_pk)) != MC_TXR_OK) goto out;
    mc_skey k;
    mc_skey_make(&k, MC_SK_PROPOSED_ORG, id.b, 32, NULL, 0, NULL, 0);
    rc = mc_store_mark_new(c->txn, &k);
    code = rc == MC_EEXIST ? MC_TXR_EXISTS : -rc;
    if (rc) goto out;
    p->id = c->tx->id;
    p->threshold = c->threshold ? c->threshold : 1;
    p->height = c->height;
    code = mc_approve(c, p);
out:
    free(p);
    return code;
}

int mc_exec_org_approve(const mc_exec_ctx *c)
{
    if (c->signer->kind != MC_ID_ORG) return MC_TXR_UNAUTHORIZED;
    mc_body_org_approve b;
    if (mc_body_org_approve_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    mc_proposal *p = malloc(sizeof *p);
    if (!p) return -MC_ENOMEM;
    int rc = mc_store_get_proposal(c->txn, &b.proposal, p);
    int code = rc == MC_ENOTFOUND ? MC_TXR_NOT_FOUND : -rc;
    if (!rc) code = p->admitted ? MC_TXR_EXISTS : mc_approve(c, p);
    free(p);
    return code;
}
