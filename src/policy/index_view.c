/*
 * The policy view over the in-memory index. It never fails: the index holds everything. The
 * pointers it hands out stay valid until the index is changed or freed (longer than a view
 * promises). Concurrent decisions over one index are safe while nothing puts into it.
 */
#include <string.h>

#include "index_internal.h"

static const mc_pix_patient *mc_find_patient(const mc_policy_index *ix, const mc_id *id)
{
    uint32_t e = mc_pix_find(ix, &ix->tpatients, &ix->patients, id);
    return e == MC_PIX_NONE ? NULL : mc_pix_at(&ix->patients, e);
}

static int mc_ixv_identity(void *ctx, const mc_id *id, mc_policy_party *out)
{
    const mc_policy_index *ix = ctx;
    uint32_t e = mc_pix_find(ix, &ix->tidents, &ix->idents, id);
    const mc_pix_ident *d = e == MC_PIX_NONE ? NULL : mc_pix_at(&ix->idents, e);
    if (!d || !d->present) return MC_ENOTFOUND;
    const mc_pix_ident *org = mc_pix_at(&ix->idents, d->org);
    out->kind = d->kind;
    out->active = d->active;
    out->org_active = org->present && org->active; /* an org is its own org */
    out->org = org->id;
    out->attrs = d->attrs;
    return MC_OK;
}

static int mc_ixv_record(void *ctx, const mc_hash *id, mc_policy_record *out)
{
    const mc_policy_index *ix = ctx;
    uint32_t e = mc_pix_find(ix, &ix->trecords, &ix->records, id);
    if (e == MC_PIX_NONE) return MC_ENOTFOUND;
    const mc_pix_record *r = mc_pix_at(&ix->records, e);
    out->patient = r->patient;
    out->author_org = r->author_org;
    out->id = r->id;
    out->root = r->root;
    out->category = r->category;
    return MC_OK;
}

static int mc_ixv_is_delegate(void *ctx, const mc_id *patient, const mc_id *who)
{
    const mc_pix_patient *p = mc_find_patient(ctx, patient);
    for (uint32_t i = 0; p && i < p->ndelegates; i++)
        if (memcmp(p->delegates[i].who.b, who->b, 32) == 0) return p->delegates[i].active;
    return 0;
}

static int mc_ixv_emergency(void *ctx, const mc_id *patient, const mc_id *provider, uint64_t t, mc_hash *id)
{
    const mc_pix_patient *p = mc_find_patient(ctx, patient);
    mc_policy_emerg_acc acc = {0};
    for (uint32_t i = 0; p && i < p->nemergencies; i++) {
        const mc_pix_emergency *e = &p->emergencies[i];
        if (memcmp(e->provider.b, provider->b, 32) == 0)
            mc_policy_emerg_add(&acc, &e->id, e->start_ms, e->end_ms, t);
    }
    if (acc.state) *id = acc.id;
    return acc.state;
}

static int mc_ixv_consents(void *ctx, const mc_id *patient, mc_policy_rule_fn fn, void *arg)
{
    const mc_pix_patient *p = mc_find_patient(ctx, patient);
    for (uint32_t i = 0; p && i < p->nrules; i++) {
        const mc_pix_rule *c = &p->rules[i];
        int cats = c->scope_kind == MC_SCOPE_CATEGORIES, recs = c->scope_kind == MC_SCOPE_RECORDS;
        mc_policy_rule r = {.id = &c->id,
                            .deny = c->deny,
                            .revoked = c->revoked,
                            .grantee_kind = c->grantee_kind,
                            .scope_kind = c->scope_kind,
                            .purposes = c->purposes,
                            .actions = c->actions,
                            .not_before = c->not_before,
                            .not_after = c->not_after,
                            .grantee = &c->grantee,
                            .selector = c->selector,
                            .ncats = cats ? c->nitems : 0,
                            .cats = cats ? c->items : NULL,
                            .nrecords = recs ? c->nitems : 0,
                            .records = recs ? c->items : NULL};
        int rc = fn(arg, &r);
        if (rc) return rc;
    }
    return MC_OK;
}

void mc_policy_index_view(mc_policy_view *view, mc_policy_index *ix)
{
    *view = (mc_policy_view){.ctx = ix,
                             .identity = mc_ixv_identity,
                             .record = mc_ixv_record,
                             .is_delegate = mc_ixv_is_delegate,
                             .emergency = mc_ixv_emergency,
                             .consents = mc_ixv_consents};
}
