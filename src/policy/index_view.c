/*
 * The policy view over the in-memory index. It never fails: the index holds everything. The
 * pointers it hands out stay valid until the index is changed or freed (longer than a view
 * promises). Concurrent decisions over one index are safe while nothing puts into it.
 */
#include <string.h>

#include "index_internal.h"

/*
 * The patient of the record this thread's view returned last: mc_policy_decide asks for the
 * record first and then, by id, for that record's patient's delegates, consents and break-glass.
 * Per thread, so that views over one index may decide concurrently; the serial tells this index
 * from one freed before at the same address.
 */
#define MC_PIX_RECORD_PREFETCH 6u /* lines of the patient's entry asked for with its record */

static _Thread_local struct {
    const mc_policy_index *ix;
    uint64_t serial;
    const mc_pix_patient *p;
} mc_last;

static const mc_pix_patient *mc_find_patient(const mc_policy_index *ix, const mc_id *id)
{
    if (mc_last.ix == ix && mc_last.serial == ix->serial && memcmp(mc_last.p->id.b, id->b, 32) == 0)
        return mc_last.p;
    uint32_t e = mc_pix_find(ix, &ix->tpatients, &ix->patients, id);
    return e == MC_PIX_NONE ? NULL : mc_pix_at(&ix->patients, e);
}

static int mc_ixv_identity(void *ctx, const mc_id *id, mc_policy_party *out)
{
    const mc_policy_index *ix = ctx;
    const mc_pix_ident *d = mc_pix_find_ident(ix, id);
    if (!d) return MC_ENOTFOUND;
    const mc_pix_org *org = mc_pix_at(&ix->orgs, d->org);
    out->kind = d->kind;
    out->active = d->active;
    /* an org is its own org; a patient is no member of the org that enrolled it */
    out->org_active = d->kind == MC_ID_PATIENT || (org->present && org->active);
    out->org = org->id;
    out->attrs = d->attrs;
    return MC_OK;
}

static int mc_ixv_record(void *ctx, const mc_hash *id, mc_policy_record *out)
{
    const mc_policy_index *ix = ctx;
    const mc_pix_record *r = mc_pix_find_record(ix, id);
    if (!r) return MC_ENOTFOUND;
    /* the patient's header and first rules come next: load them while the caller looks up
     * the requester (the rest follow as the scan reads on) */
    const mc_pix_patient *p = mc_pix_at(&ix->patients, r->pidx);
    for (uint32_t i = 0; i < MC_PIX_RECORD_PREFETCH; i++) __builtin_prefetch((const char *)p + 64 * i);
    mc_last.ix = ix;
    mc_last.serial = ix->serial;
    mc_last.p = p;
    out->patient = p->id;
    out->author_org = ((const mc_pix_org *)mc_pix_at(&ix->orgs, r->author_org))->id;
    out->id = r->id;
    out->root = r->root ? *r->root : r->id;
    out->category = r->category;
    return MC_OK;
}

static int mc_ixv_is_delegate(void *ctx, const mc_id *patient, const mc_id *who)
{
    const mc_pix_patient *p = mc_find_patient(ctx, patient);
    const mc_pix_extra *x = p ? p->extra : NULL;
    for (uint32_t i = 0; x && i < x->ndelegates; i++)
        if (memcmp(x->delegates[i].who.b, who->b, 32) == 0) return x->delegates[i].active;
    return 0;
}

static int mc_ixv_emergency(void *ctx, const mc_id *patient, const mc_id *provider, uint64_t t, mc_hash *id)
{
    const mc_pix_patient *p = mc_find_patient(ctx, patient);
    const mc_pix_extra *x = p ? p->extra : NULL;
    mc_policy_emerg_acc acc = {0};
    for (uint32_t i = 0; x && i < x->nemergencies; i++) {
        const mc_pix_emergency *e = &x->emergencies[i];
        if (memcmp(e->provider.b, provider->b, 32) == 0)
            mc_policy_emerg_add(&acc, &e->id, e->start_ms, e->end_ms, t);
    }
    if (acc.state) *id = acc.id;
    return acc.state;
}

static int mc_ixv_consents(void *ctx, const mc_id *patient, mc_policy_rule_fn fn, void *arg)
{
    const mc_policy_index *ix = ctx;
    mc_pix_patient *p = (mc_pix_patient *)mc_find_patient(ix, patient);
    if (!p) return MC_OK;
    /* the record asked for the first lines; ask for the rest now, all at once */
    for (uint32_t i = MC_PIX_RECORD_PREFETCH - 1; i < p->nrules && i < MC_PIX_INLINE_RULES; i++)
        __builtin_prefetch(&p->rules[i]);
    if (p->nrules > MC_PIX_INLINE_RULES) __builtin_prefetch(p->over);
    for (uint32_t i = 0; i < p->nrules; i++) {
        const mc_pix_rule *c = mc_pix_rule_at(p, i);
        uint8_t gk = (c->flags >> MC_PIX_GK_SHIFT) & 3, sk = (c->flags >> MC_PIX_SK_SHIFT) & 3;
        int sel = gk == MC_GRANTEE_SELECTOR;
        const mc_id *grantee =
            sel ? &((const mc_pix_org *)mc_pix_at(&ix->orgs, c->u.sel.org))->id : &c->u.grantee;
        mc_policy_rule r = {.id = mc_pix_rule_id(p, i),
                            .deny = c->flags & MC_PIX_DENY ? 1 : 0,
                            .revoked = c->flags & MC_PIX_REVOKED ? 1 : 0,
                            .grantee_kind = gk,
                            .scope_kind = sk,
                            .purposes = c->purposes,
                            .actions = c->actions,
                            .not_before = c->not_before,
                            .not_after = c->not_after,
                            .grantee = grantee,
                            .selector = sel ? c->u.sel.selector : ix->no_attrs,
                            .ncats = sk == MC_SCOPE_CATEGORIES ? c->nitems : 0,
                            .cats = sk == MC_SCOPE_CATEGORIES ? c->items : NULL,
                            .nrecords = sk == MC_SCOPE_RECORDS ? c->nitems : 0,
                            .records = sk == MC_SCOPE_RECORDS ? c->items : NULL};
        int rc = fn(arg, &r);
        if (rc) return rc;
    }
    return MC_OK;
}

/* Stage 0: the record's line and the requester's, asked for together, so that the look-ups
 * overlap. Stage 1: the record is in cache by now: ask for its patient's entry. */
static void mc_ixv_prefetch(void *ctx, const mc_id *requester, const mc_hash *record, int stage)
{
    const mc_policy_index *ix = ctx;
    if (stage == 1) {
        const mc_pix_record *r = mc_pix_find_record(ix, record);
        const uint8_t *p = r ? mc_pix_at(&ix->patients, r->pidx) : NULL;
        for (uint32_t i = 0; p && i < MC_PIX_RECORD_PREFETCH; i++) __builtin_prefetch(p + 64 * i);
        return;
    }
    const mc_pix_itab *r = &ix->records, *i = &ix->idents;
    uint32_t rh = (uint32_t)(mc_pix_hash32(ix, record) >> 32),
             ih = (uint32_t)(mc_pix_hash32(ix, requester) >> 32);
    __builtin_prefetch(r->b + (size_t)(rh & r->mask) * sizeof(mc_pix_record));
    __builtin_prefetch(i->b + (size_t)(ih & i->mask) * sizeof(mc_pix_ident));
}

void mc_policy_index_view(mc_policy_view *view, mc_policy_index *ix)
{
    *view = (mc_policy_view){.ctx = ix,
                             .identity = mc_ixv_identity,
                             .record = mc_ixv_record,
                             .is_delegate = mc_ixv_is_delegate,
                             .emergency = mc_ixv_emergency,
                             .consents = mc_ixv_consents,
                             .prefetch = mc_ixv_prefetch};
}
