/*
 * The policy view over a store transaction (read or write): what the executor uses to check an
 * access.log and the API to answer a decision request. Each call decodes into the scratch of
 * its mc_policy_store_ctx, so the pointers it hands out last until the next call of the same
 * kind. A state key without its value is damage (MC_ECORRUPT), never "no such thing".
 */
#include <string.h>

#include "policy_internal.h"

/* A store error as a view error (see policy_internal.h). */
static int mc_sv_err(int rc)
{
    return rc > 0 ? -rc : rc;
}

static int mc_sv_identity(void *ctx, const mc_id *id, mc_policy_party *out)
{
    mc_policy_store_ctx *c = ctx;
    int rc = mc_store_get_identity(c->txn, id, &c->idn);
    if (rc) return rc == MC_ENOTFOUND ? rc : mc_sv_err(rc);
    out->kind = c->idn.kind;
    out->active = c->idn.status == MC_ID_ACTIVE;
    out->org = c->idn.org;
    out->attrs = &c->idn.attrs;
    rc = mc_store_org_active(c->txn, &c->idn);
    if (rc < 0) return mc_sv_err(-rc);
    out->org_active = (uint8_t)rc;
    return MC_OK;
}

static int mc_sv_record(void *ctx, const mc_hash *id, mc_policy_record *out)
{
    mc_policy_store_ctx *c = ctx;
    int rc = mc_store_get_record(c->txn, id, &c->rec);
    if (rc) return rc == MC_ENOTFOUND ? rc : mc_sv_err(rc);
    out->patient = c->rec.patient;
    out->author_org = c->rec.author_org;
    out->id = c->rec.id;
    out->root = c->rec.root;
    out->category = c->rec.category;
    return MC_OK;
}

static int mc_sv_is_delegate(void *ctx, const mc_id *patient, const mc_id *who)
{
    mc_policy_store_ctx *c = ctx;
    mc_delegate d;
    int rc = mc_store_get_delegate(c->txn, patient, who, &d);
    if (rc == MC_ENOTFOUND) return 0;
    if (rc) return mc_sv_err(rc);
    return d.active ? 1 : 0;
}

typedef struct {
    mc_policy_store_ctx *c;
    const mc_id *patient;
    const mc_id *provider;
    uint64_t t;
    mc_policy_emerg_acc acc;
    mc_policy_rule_fn fn; /* consents */
    void *arg;
    int stopped; /* by fn, or by an error: then rc holds its value */
    int rc;
} mc_sv_scan;

static int mc_sv_stop(mc_sv_scan *s, int rc)
{
    s->stopped = 1;
    s->rc = rc;
    return 1;
}

/* The id at the end of a presence key, and the value it names (which must be there). */
static int mc_sv_emergency_one(void *arg, mc_slice key, mc_slice val)
{
    mc_sv_scan *s = arg;
    mc_hash id;
    mc_emergency e;
    if (key.n != 1 + 32 + 32 + 32) return mc_sv_stop(s, -MC_ECORRUPT);
    memcpy(id.b, key.p + 65, 32);
    int rc = mc_store_get_emergency(s->c->txn, &id, &e);
    if (rc) return mc_sv_stop(s, rc == MC_ENOTFOUND ? -MC_ECORRUPT : mc_sv_err(rc));
    if (memcmp(e.patient.b, s->patient->b, 32) != 0 || memcmp(e.provider.b, s->provider->b, 32) != 0)
        return mc_sv_stop(s, -MC_ECORRUPT);
    mc_policy_emerg_add(&s->acc, &e.id, e.start_ms, e.end_ms, s->t);
    return 0;
}

/* mc_store_scan's result once the callbacks may have stopped it. */
static int mc_sv_scan_result(const mc_sv_scan *s, int rc)
{
    if (s->stopped) return s->rc;
    return mc_sv_err(rc);
}

static int mc_sv_emergency(void *ctx, const mc_id *patient, const mc_id *provider, uint64_t t, mc_hash *id)
{
    mc_sv_scan s = {.c = ctx, .patient = patient, .provider = provider, .t = t};
    mc_skey prefix;
    mc_skey_make(&prefix, MC_SK_PATIENT_EMERGENCY, patient->b, 32, provider->b, 32, NULL, 0);
    int rc = mc_sv_scan_result(&s, mc_store_scan(s.c->txn, &prefix, NULL, mc_sv_emergency_one, &s));
    if (rc) return rc;
    if (s.acc.state) *id = s.acc.id;
    return s.acc.state;
}

static int mc_sv_consent_one(void *arg, mc_slice key, mc_slice val)
{
    mc_sv_scan *s = arg;
    mc_consent *k = &s->c->consent;
    mc_hash id;
    if (key.n != 1 + 32 + 32) return mc_sv_stop(s, -MC_ECORRUPT);
    memcpy(id.b, key.p + 33, 32);
    int rc = mc_store_get_consent(s->c->txn, &id, k);
    if (rc) return mc_sv_stop(s, rc == MC_ENOTFOUND ? -MC_ECORRUPT : mc_sv_err(rc));
    if (memcmp(k->body.patient.b, s->patient->b, 32) != 0) return mc_sv_stop(s, -MC_ECORRUPT);
    mc_policy_rule r = {.id = &k->id,
                        .deny = k->deny ? 1 : 0,
                        .revoked = k->status != MC_CONSENT_ACTIVE,
                        .grantee_kind = k->body.grantee_kind,
                        .scope_kind = k->body.scope_kind,
                        .purposes = k->body.purposes,
                        .actions = k->body.actions,
                        .not_before = k->body.not_before,
                        .not_after = k->body.not_after,
                        .grantee = &k->body.grantee,
                        .selector = &k->body.selector,
                        .ncats = k->body.ncats <= MC_MAX_SCOPE_CATS ? k->body.ncats : MC_MAX_SCOPE_CATS,
                        .cats = k->body.cats,
                        .nrecords = k->body.nrecords <= MC_MAX_SCOPE_RECORDS ? k->body.nrecords
                                                                             : MC_MAX_SCOPE_RECORDS,
                        .records = k->body.records};
    rc = s->fn(s->arg, &r);
    return rc ? mc_sv_stop(s, rc) : 0;
}

static int mc_sv_consents(void *ctx, const mc_id *patient, mc_policy_rule_fn fn, void *arg)
{
    mc_sv_scan s = {.c = ctx, .patient = patient, .fn = fn, .arg = arg};
    mc_skey prefix;
    mc_skey_make(&prefix, MC_SK_PATIENT_CONSENT, patient->b, 32, NULL, 0, NULL, 0);
    return mc_sv_scan_result(&s, mc_store_scan(s.c->txn, &prefix, NULL, mc_sv_consent_one, &s));
}

void mc_policy_store_view(mc_policy_view *view, mc_policy_store_ctx *ctx, mc_store_txn *txn)
{
    ctx->txn = txn;
    *view = (mc_policy_view){.ctx = ctx,
                             .identity = mc_sv_identity,
                             .record = mc_sv_record,
                             .is_delegate = mc_sv_is_delegate,
                             .emergency = mc_sv_emergency,
                             .consents = mc_sv_consents};
}
