/*
 * research.release: a data steward (a provider, or the org itself) of an active org records a
 * de-identified dataset released to an active research org, once per release id. Which
 * patients opted in is checked by the steward's tool against the ledger before export
 * (`medchain deid`); the ledger keeps only the dataset's hash and counts.
 */
#include <string.h>

#include "exec_internal.h"

static int mc_is_research_org(const mc_identity *o)
{
    const char *type = mc_attrs_get(&o->attrs, "type");
    return o->kind == MC_ID_ORG && o->status == MC_ID_ACTIVE && type && strcmp(type, "research") == 0;
}

int mc_exec_research_release(const mc_exec_ctx *c)
{
    mc_body_release b;
    if (mc_body_release_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    if (c->signer->kind != MC_ID_PROVIDER && c->signer->kind != MC_ID_ORG) return MC_TXR_UNAUTHORIZED;
    mc_identity to;
    int rc = mc_store_get_identity(c->txn, &b.recipient, &to);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    if (!mc_is_research_org(&to))
        return to.kind == MC_ID_ORG && to.status != MC_ID_ACTIVE ? MC_TXR_TARGET_REVOKED
                                                                 : MC_TXR_UNAUTHORIZED;
    mc_skey k;
    mc_skey_make(&k, MC_SK_RELEASE, b.release.b, 32, NULL, 0, NULL, 0);
    rc = mc_store_mark_new(c->txn, &k);
    return rc == MC_EEXIST ? MC_TXR_EXISTS : -rc;
}
