/*
 * The access decision: the rules of include/medchain/policy.h, in their order.
 *
 * Pure: it reads the state only through the view, allocates nothing and never reads a clock.
 * Whatever order a view lists grants, denies or break-glass in, the decision and its basis are
 * the same: among several candidates the smallest id wins (for an expired grant the latest
 * end, for one not yet started the earliest start), so two views over one state agree.
 */
#include <string.h>

#include "policy_internal.h"

static const mc_attrs mc_no_attrs;

/* A set with exactly one bit, inside @p all. */
static int mc_one_bit(uint32_t v, uint32_t all)
{
    return v != 0 && (v & (v - 1)) == 0 && (v & ~all) == 0;
}

static int mc_id_eq(const mc_id *a, const mc_id *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}

static int mc_hash_eq(const mc_hash *a, const mc_hash *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}

/* Every selector pair is among @p have (both sorted, but a selector is short: scan). */
static int mc_attrs_include(const mc_attrs *have, const mc_attrs *want)
{
    if (want->n == 0) return 0; /* a selector names at least one pair; an empty one matches no one */
    for (uint32_t i = 0; i < want->n; i++) {
        const char *v = mc_attrs_get(have, want->a[i].key);
        if (!v || strcmp(v, want->a[i].val) != 0) return 0;
    }
    return 1;
}

/* Patients are enrolled by an org, not members of it: an org or selector grant never reaches them. */
static int mc_is_member(const mc_policy_party *who, const mc_id *org)
{
    return who->kind != MC_ID_PATIENT && mc_id_eq(&who->org, org);
}

static int mc_grantee_matches(const mc_policy_rule *r, const mc_id *requester, const mc_policy_party *who)
{
    switch (r->grantee_kind) {
    case MC_GRANTEE_IDENTITY: return mc_id_eq(r->grantee, requester);
    case MC_GRANTEE_ORG: return mc_is_member(who, r->grantee);
    case MC_GRANTEE_SELECTOR:
        return mc_is_member(who, r->grantee) && mc_attrs_include(who->attrs, r->selector);
    default: return 0;
    }
}

static int mc_scope_matches(const mc_policy_rule *r, const mc_policy_record *rec)
{
    switch (r->scope_kind) {
    case MC_SCOPE_ALL: return 1;
    case MC_SCOPE_CATEGORIES:
        for (uint32_t i = 0; i < r->ncats; i++)
            if (strncmp(r->cats[i], rec->category, MC_MAX_CATEGORY + 1) == 0) return 1;
        return 0;
    case MC_SCOPE_RECORDS:
        /* the root too: a grant on a record covers its amendments */
        for (uint32_t i = 0; i < r->nrecords; i++)
            if (mc_hash_eq(&r->records[i], &rec->id) || mc_hash_eq(&r->records[i], &rec->root)) return 1;
        return 0;
    default: return 0;
    }
}

/* The cheap tests first: most of a patient's rules fail on purpose or action. */
static inline int mc_rule_matches(const mc_policy_rule *rule, const mc_id *requester,
                                  const mc_policy_party *who, const mc_policy_record *rec, uint32_t purpose,
                                  uint8_t action)
{
    if (!(rule->purposes & purpose) || !(rule->actions & action)) return 0;
    return mc_grantee_matches(rule, requester, who) && mc_scope_matches(rule, rec);
}

int mc_policy_rule_matches(const mc_policy_rule *rule, const mc_id *requester, const mc_policy_party *who,
                           const mc_policy_record *rec, uint32_t purpose, uint8_t action)
{
    if (!rule || !requester || !who || !rec) return 0;
    return mc_rule_matches(rule, requester, who, rec, purpose, action);
}

/* The decision as the consent scan sees it. */
typedef struct {
    const mc_id *requester;
    const mc_policy_party *who;
    const mc_policy_record *rec;
    uint32_t purpose;
    uint8_t action;
    uint64_t t;
    int has_deny, has_grant, has_revoked, has_expired, has_not_yet;
    mc_hash deny, grant, revoked, expired, not_yet;
    uint64_t expired_end, not_yet_start;
} mc_scan;

/* Keeps @p id in @p slot if it is the first or smaller than the one held. */
static void mc_keep_min(int *has, mc_hash *slot, const mc_hash *id)
{
    if (!*has || memcmp(id->b, slot->b, 32) < 0) *slot = *id;
    *has = 1;
}

/* Keeps @p id if @p key is better (@p later: larger is better), ties to the smaller id. */
static void mc_keep_best(int *has, mc_hash *slot, uint64_t *held, const mc_hash *id, uint64_t key, int later)
{
    int better =
        !*has || (later ? key > *held : key < *held) || (key == *held && memcmp(id->b, slot->b, 32) < 0);
    if (better) {
        *slot = *id;
        *held = key;
    }
    *has = 1;
}

static int mc_scan_rule(void *arg, const mc_policy_rule *r)
{
    mc_scan *s = arg;
    if (!mc_rule_matches(r, s->requester, s->who, s->rec, s->purpose, s->action)) return 0;
    int in_window = r->not_before <= s->t && s->t < r->not_after;
    if (r->deny) {
        /* a revoked deny, or one outside its window, has no effect at all */
        if (!r->revoked && in_window) mc_keep_min(&s->has_deny, &s->deny, r->id);
    } else if (r->revoked) {
        mc_keep_min(&s->has_revoked, &s->revoked, r->id);
    } else if (in_window) {
        mc_keep_min(&s->has_grant, &s->grant, r->id);
    } else if (s->t >= r->not_after) {
        mc_keep_best(&s->has_expired, &s->expired, &s->expired_end, r->id, r->not_after, 1);
    } else {
        mc_keep_best(&s->has_not_yet, &s->not_yet, &s->not_yet_start, r->id, r->not_before, 0);
    }
    return 0;
}

static int mc_set(mc_decision *out, uint16_t reason, const mc_hash *basis)
{
    out->permit = reason < MC_RSN_DENY_;
    out->reason = reason;
    out->has_basis = basis != NULL;
    if (basis) out->basis = *basis;
    return MC_OK;
}

/* A view's error (negative) as the error mc_policy_decide returns; anything else is damage. */
static int mc_view_err(int rc)
{
    return rc < 0 ? -rc : MC_ECORRUPT;
}

static int mc_is_content_or_meta(uint8_t action)
{
    return action == MC_ACTION_READ || action == MC_ACTION_READ_META;
}

/* Rule 7, first half: staff, nodes and the org itself keep treatment and operations access. */
static int mc_author_org_permits(const mc_policy_party *who, const mc_policy_record *rec, uint32_t purpose,
                                 uint8_t action)
{
    int staff = who->kind == MC_ID_PROVIDER || who->kind == MC_ID_NODE || who->kind == MC_ID_ORG;
    return staff && mc_id_eq(&who->org, &rec->author_org) && mc_is_content_or_meta(action) &&
           (purpose == MC_PURPOSE_TREAT || purpose == MC_PURPOSE_HOPERAT);
}

/* Rule 7, second half: who may use break-glass at all (the view then says whether it is open). */
static int mc_may_break_glass(const mc_policy_party *who, uint32_t purpose, uint8_t action)
{
    const char *em = mc_attrs_get(who->attrs, "emergency");
    return who->kind == MC_ID_PROVIDER && em && strcmp(em, "true") == 0 && purpose == MC_PURPOSE_ETREAT &&
           mc_is_content_or_meta(action);
}

int mc_policy_decide(const mc_policy_view *view, const mc_id *requester, const mc_hash *record,
                     uint32_t purpose, uint8_t action, uint64_t t, mc_decision *out)
{
    if (out) *out = (mc_decision){.permit = 0, .reason = MC_RSN_DENY_DEFAULT};
    if (!view || !requester || !record || !out) return MC_EINVAL;

    /* 1. a well-formed request about a known record by an active identity of an active org */
    if (!mc_one_bit(purpose, MC_PURPOSE_ALL_) || !mc_one_bit(action, MC_ACTION_ALL_))
        return mc_set(out, MC_RSN_DENY_BAD_REQUEST, NULL);
    if (view->prefetch) view->prefetch(view->ctx, requester, record, 0);
    /* both look-ups before looking at either, so that they overlap; the record's verdict first */
    mc_policy_party who;
    mc_policy_record rec;
    int rc_who = view->identity(view->ctx, requester, &who);
    int rc = view->record(view->ctx, record, &rec);
    if (rc == MC_ENOTFOUND) return mc_set(out, MC_RSN_DENY_UNKNOWN_RECORD, NULL);
    if (rc) return mc_view_err(rc);
    if (rc_who == MC_ENOTFOUND) return mc_set(out, MC_RSN_DENY_UNKNOWN_REQUESTER, NULL);
    if (rc_who) return mc_view_err(rc_who);
    if (!who.active) return mc_set(out, MC_RSN_DENY_REQUESTER_REVOKED, NULL);
    /* a patient is no member of the org that enrolled it: it keeps its records if that org goes */
    if (!who.org_active && who.kind != MC_ID_PATIENT) return mc_set(out, MC_RSN_DENY_ORG_REVOKED, NULL);
    /* (the record's and the identity's pointers stay valid together: see mc_policy_view) */
    if (!who.attrs) who.attrs = &mc_no_attrs;
    if (!rec.category) rec.category = "";

    /* 2. the owner */
    if (mc_id_eq(requester, &rec.patient)) return mc_set(out, MC_RSN_PERMIT_OWNER, NULL);

    /* 3. auditors: metadata, never content, whatever a grant says */
    if (who.kind == MC_ID_AUDITOR)
        return mc_set(
            out, action == MC_ACTION_READ_META ? MC_RSN_PERMIT_AUDITOR_META : MC_RSN_DENY_AUDITOR_CONTENT,
            NULL);

    /* 4. researchers: de-identified derivatives for research only, and only with a grant
     * (so not as a delegate either: rule 5 is for the people who manage consent) */
    int researcher = who.kind == MC_ID_RESEARCHER;
    if (researcher && !(action == MC_ACTION_READ_DEID && purpose == MC_PURPOSE_HRESCH))
        return mc_set(out, MC_RSN_DENY_RESEARCH_IDENTIFIED, NULL);

    /* 5. an active delegate of the patient */
    if (!researcher) {
        rc = view->is_delegate(view->ctx, &rec.patient, requester);
        if (rc < 0 || rc > 1) return mc_view_err(rc);
        if (rc == 1) return mc_set(out, MC_RSN_PERMIT_DELEGATE, NULL);
    }

    /* one pass over the patient's grants and denies serves rules 6 and 8 */
    mc_scan s; /* (only the flags need zeroing: a candidate is read only once one was kept) */
    s.requester = requester;
    s.who = &who;
    s.rec = &rec;
    s.purpose = purpose;
    s.action = action;
    s.t = t;
    s.has_deny = s.has_grant = s.has_revoked = s.has_expired = s.has_not_yet = 0;
    rc = view->consents(view->ctx, &rec.patient, mc_scan_rule, &s);
    if (rc) return mc_view_err(rc);

    /* 6. an active matching deny beats every permit below */
    if (s.has_deny) return mc_set(out, MC_RSN_DENY_EXPLICIT, &s.deny);

    /* 7. the authoring org; break-glass */
    if (mc_author_org_permits(&who, &rec, purpose, action))
        return mc_set(out, MC_RSN_PERMIT_AUTHOR_ORG, NULL);
    int glass = 0;
    mc_hash glass_id;
    if (mc_may_break_glass(&who, purpose, action)) {
        glass = view->emergency(view->ctx, &rec.patient, requester, t, &glass_id);
        if (glass < 0 || glass > 2) return mc_view_err(glass);
        if (glass == 1) return mc_set(out, MC_RSN_PERMIT_EMERGENCY, &glass_id);
    }

    /* 8. a grant; else the nearest miss */
    if (s.has_grant) return mc_set(out, MC_RSN_PERMIT_GRANT, &s.grant);
    if (glass == 2) return mc_set(out, MC_RSN_DENY_EMERGENCY_EXPIRED, &glass_id);
    if (s.has_revoked) return mc_set(out, MC_RSN_DENY_REVOKED, &s.revoked);
    if (s.has_expired) return mc_set(out, MC_RSN_DENY_EXPIRED, &s.expired);
    if (s.has_not_yet) return mc_set(out, MC_RSN_DENY_NOT_YET, &s.not_yet);
    return mc_set(out, MC_RSN_DENY_DEFAULT, NULL);
}

/*
 * Requests ahead of the current one are announced to the view twice: far ahead (stage 0: their
 * requester and record), then nearer (stage 1: what the record leads to, by then in cache).
 */
#define MC_AHEAD_FAR  8u
#define MC_AHEAD_NEAR 4u

int mc_policy_decide_many(const mc_policy_view *view, const mc_policy_request *reqs, size_t n, uint64_t t,
                          mc_decision *out)
{
    if (!view || (n && (!reqs || !out))) return MC_EINVAL;
    for (size_t i = 0; view->prefetch && i < n && i < MC_AHEAD_FAR; i++)
        view->prefetch(view->ctx, &reqs[i].requester, &reqs[i].record, 0);
    for (size_t i = 0; i < n; i++) {
        if (view->prefetch && i + MC_AHEAD_FAR < n)
            view->prefetch(view->ctx, &reqs[i + MC_AHEAD_FAR].requester, &reqs[i + MC_AHEAD_FAR].record, 0);
        if (view->prefetch && i + MC_AHEAD_NEAR < n)
            view->prefetch(view->ctx, &reqs[i + MC_AHEAD_NEAR].requester, &reqs[i + MC_AHEAD_NEAR].record, 1);
        const mc_policy_request *q = &reqs[i];
        int rc = mc_policy_decide(view, &q->requester, &q->record, q->purpose, q->action, t, &out[i]);
        if (rc) return rc;
    }
    return MC_OK;
}

void mc_policy_emerg_add(mc_policy_emerg_acc *acc, const mc_hash *id, uint64_t start_ms, uint64_t end_ms,
                         uint64_t t)
{
    if (start_ms <= t && t < end_ms) {
        int has = acc->state == 1;
        mc_keep_min(&has, &acc->id, id);
        acc->state = 1;
    } else if (end_ms <= t && acc->state != 1) {
        int has = acc->state == 2;
        mc_keep_best(&has, &acc->id, &acc->end_ms, id, end_ms, 1);
        acc->state = 2;
    }
}
