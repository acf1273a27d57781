/*
 * policy: a seeded property test over random states and requests that the three views of
 * policytest.h agree; then the index's updates and growth, bad arguments, the views' errors and
 * a damaged state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policytest.h"

/* ---- random states: the views agree ------------------------------------------------------------ */

static const char *const tp_sels[] = {"role=physician", "dept=cardiology,role=physician",
                                      "emergency=true", "role=nurse",
                                      "dept=oncology",  "type=hospital"};
static const char *const tp_catsets[] = {
    "imaging", "lab", "notes", "imaging,lab", "imaging,notes", "lab,notes", "imaging,lab,notes"};
static const int tp_orgs[] = {O_A, O_B, O_R, O_REG, O_X};
static const int tp_glass[] = {ER_A, ER_B, DOC_B, NOER_B, DOC_REV, NODE_ER};

static void tp_random_row(tp_row *r, uint64_t *rng)
{
    memset(r, 0, sizeof *r);
    r->name = "random";
    for (int p = 0; p < NPARTY; p++)
        if (mc_test_rand_below(rng, 8) == 0) r->flip |= 1u << p;
    uint32_t nc = mc_test_rand_below(rng, TP_NC + 1);
    for (uint32_t i = 0; i < nc; i++) {
        tp_consent *c = &r->c[i];
        c->on = 1;
        c->deny = mc_test_rand_below(rng, 4) == 0;
        c->revoked = mc_test_rand_below(rng, 5) == 0;
        c->other = mc_test_rand_below(rng, 5) == 0;
        uint32_t g = mc_test_rand_below(rng, 20);
        if (g < 8) {
            c->gk = MC_GRANTEE_IDENTITY;
            c->grantee = (int)mc_test_rand_below(rng, NPARTY);
        } else {
            c->gk = g < 15 ? MC_GRANTEE_ORG : MC_GRANTEE_SELECTOR;
            c->grantee = tp_orgs[mc_test_rand_below(rng, MC_ARRAY_LEN(tp_orgs))];
            if (c->gk == MC_GRANTEE_SELECTOR)
                c->sel = tp_sels[mc_test_rand_below(rng, MC_ARRAY_LEN(tp_sels))];
        }
        uint32_t sk = mc_test_rand_below(rng, 10);
        if (sk < 4) {
            c->sk = MC_SCOPE_ALL;
        } else if (sk < 7) {
            c->sk = MC_SCOPE_CATEGORIES;
            c->cats = tp_catsets[mc_test_rand_below(rng, MC_ARRAY_LEN(tp_catsets))];
        } else {
            c->sk = MC_SCOPE_RECORDS;
            c->nrecs = 1 + (int)mc_test_rand_below(rng, 2);
            c->recs[0] = (int)mc_test_rand_below(rng, NREC);
            c->recs[1] = (c->recs[0] + 1 + (int)mc_test_rand_below(rng, NREC - 1)) % NREC;
        }
        c->purposes = mc_test_rand_below(rng, 3) ? 1u << mc_test_rand_below(rng, 7)
                                                 : 1 + mc_test_rand_below(rng, MC_PURPOSE_ALL_);
        c->actions = (uint8_t)(1 + mc_test_rand_below(rng, MC_ACTION_ALL_));
        c->nb = T - 3000 + mc_test_rand_below(rng, 6000);
        c->na = c->nb + 1 + mc_test_rand_below(rng, 4000);
    }
    uint32_t ne = mc_test_rand_below(rng, TP_NE + 1);
    for (uint32_t i = 0; i < ne; i++) {
        tp_emerg *e = &r->e[i];
        e->on = 1;
        e->provider = tp_glass[mc_test_rand_below(rng, MC_ARRAY_LEN(tp_glass))];
        e->other = mc_test_rand_below(rng, 5) == 0;
        e->start = T - 3000 + mc_test_rand_below(rng, 5000);
        e->end = e->start + 1 + mc_test_rand_below(rng, 3000);
    }
    uint32_t nd = mc_test_rand_below(rng, TP_ND + 1);
    for (uint32_t i = 0; i < nd; i++)
        r->d[i] = (tp_deleg){1, (int)mc_test_rand_below(rng, NPARTY), (int)mc_test_rand_below(rng, 2),
                             mc_test_rand_below(rng, 4) == 0};
}

/* A time near the state's edges half of the time: window bounds and one ms before them. */
static uint64_t tp_random_time(const tp_row *r, uint64_t *rng)
{
    uint64_t edges[2 * (TP_NC + TP_NE)];
    size_t n = 0;
    for (int i = 0; i < TP_NC; i++)
        if (r->c[i].on) edges[n++] = r->c[i].nb, edges[n++] = r->c[i].na;
    for (int i = 0; i < TP_NE; i++)
        if (r->e[i].on) edges[n++] = r->e[i].start, edges[n++] = r->e[i].end;
    if (n == 0 || mc_test_rand_below(rng, 2)) return T - 4000 + mc_test_rand_below(rng, 8000);
    return edges[mc_test_rand_below(rng, (uint32_t)n)] - mc_test_rand_below(rng, 2);
}

static void test_views_agree(void **state)
{
    (void)state;
    enum { STATES = 1500, REQUESTS = 24 };
    uint64_t rng = 0x706f6c696379ull; /* change to replay another sequence */
    unsigned seen[MC_RSN_DENY_EMERGENCY_EXPIRED + 1] = {0};
    tp_row *r = malloc(sizeof *r);
    assert_non_null(r);
    mc_policy_request batch[REQUESTS];
    mc_decision many[REQUESTS], one;
    for (int s = 0; s < STATES; s++) {
        tp_random_row(r, &rng);
        tp_views v;
        tp_views_open(&v, r, s);
        for (int q = 0; q < REQUESTS; q++) {
            int who = (int)mc_test_rand_below(&rng, NPARTY);
            int rec = (int)mc_test_rand_below(&rng, NREC);
            uint32_t purpose = mc_test_rand_below(&rng, 20) ? 1u << mc_test_rand_below(&rng, 7)
                                                            : mc_test_rand_below(&rng, 256);
            uint8_t action = mc_test_rand_below(&rng, 20) ? (uint8_t)(1u << mc_test_rand_below(&rng, 3))
                                                          : (uint8_t)mc_test_rand_below(&rng, 16);
            /* the requests the rules single out, more often than chance would make them */
            if (mc_test_rand_below(&rng, 4) == 0) {
                who = tp_glass[mc_test_rand_below(&rng, 2)];
                purpose = MC_PURPOSE_ETREAT;
            } else if (mc_test_rand_below(&rng, 8) == 0) {
                who = RES;
                purpose = MC_PURPOSE_HRESCH;
                action = MC_ACTION_READ_DEID;
            }
            mc_decision d;
            char what[64];
            snprintf(what, sizeof what, "state %d request %d", s, q);
            tp_decide3(&v, who, rec, purpose, action, tp_random_time(r, &rng), &d, what);
            assert_true(d.reason <= MC_RSN_DENY_EMERGENCY_EXPIRED);
            seen[d.reason]++;
            batch[q] = (mc_policy_request){tp_pid[who], tp_rid[rec], purpose, action};
        }
        /* the same requests as one batch at one time: each decided as if alone, in every view */
        uint64_t t = tp_random_time(r, &rng);
        for (int i = 0; i < 3; i++) {
            assert_ok(mc_policy_decide_many(&v.v[i], batch, REQUESTS, t, many));
            for (int q = 0; q < REQUESTS; q++) {
                const mc_policy_request *b = &batch[q];
                assert_ok(
                    mc_policy_decide(&v.v[0], &b->requester, &b->record, b->purpose, b->action, t, &one));
                assert_true(tp_same(&one, &many[q]));
            }
        }
        tp_views_close(&v);
    }
    free(r);
    /* the property is only as good as the decisions it reached: every reason, more than once */
    for (int reason = 1; reason <= MC_RSN_DENY_EMERGENCY_EXPIRED; reason++) {
        if (!mc_reason_name(reason)) continue;
        if (seen[reason] < 3) {
            print_error("reason %s reached %u times\n", tp_rname(reason), seen[reason]);
            fail();
        }
    }
}

/* ---- the index: updates, growth -------------------------------------------------------------- */

/* One decision through the index alone. */
static int tp_ix_decide(mc_policy_index *ix, int who, int rec, uint32_t purpose, uint8_t action, uint64_t t)
{
    mc_policy_view v;
    mc_decision d;
    mc_policy_index_view(&v, ix);
    assert_ok(mc_policy_decide(&v, &tp_pid[who], &tp_rid[rec], purpose, action, t, &d));
    assert_int_equal(d.permit, d.reason < MC_RSN_DENY_);
    return d.reason;
}

static void test_index_updates(void **state)
{
    (void)state;
    mc_policy_index *ix;
    assert_ok(mc_policy_index_new(&ix));
    tp_sink s = {ix, NULL};
    /* a member before its org: the org is unknown, so not active */
    mc_identity idn;
    tp_identity(&idn, DOC_B, 0);
    tp_put_identity(&s, &idn);
    tp_row empty;
    memset(&empty, 0, sizeof empty);
    tp_build(&s, &empty, 0); /* records and every party after all */
    mc_policy_index_free(ix);

    assert_ok(mc_policy_index_new(&ix));
    s.ix = ix;
    tp_identity(&idn, DOC_B, 0);
    tp_put_identity(&s, &idn);
    mc_record rec;
    tp_record(&rec, R1);
    assert_ok(mc_policy_index_put_record(ix, &rec));
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_DENY_ORG_REVOKED);
    /* the placeholder of the org is no identity */
    assert_int_equal(tp_ix_decide(ix, O_B, R1, P_TREAT, A_READ, T), MC_RSN_DENY_UNKNOWN_REQUESTER);
    tp_identity(&idn, O_B, 0);
    tp_put_identity(&s, &idn);
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_DENY_DEFAULT);

    /* a grant, then the same grant revoked: in place */
    tp_consent spec = {.on = 1, .grantee = DOC_B};
    mc_consent *c = malloc(sizeof *c);
    assert_non_null(c);
    tp_consent_make(c, &spec, 0, 0);
    assert_ok(mc_policy_index_put_consent(ix, c));
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_PERMIT_GRANT);
    c->status = MC_CONSENT_REVOKED;
    assert_ok(mc_policy_index_put_consent(ix, c));
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_DENY_REVOKED);
    c->status = MC_CONSENT_ACTIVE;
    assert_ok(mc_policy_index_put_consent(ix, c));
    /* the same id for another patient is refused */
    c->body.patient = tp_pid[PAT2];
    assert_rc(mc_policy_index_put_consent(ix, c), MC_EINVAL);
    c->body.patient = tp_pid[PAT];

    /* the requester revoked, then its org */
    tp_identity(&idn, DOC_B, 1u << DOC_B);
    tp_put_identity(&s, &idn);
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_DENY_REQUESTER_REVOKED);
    tp_identity(&idn, DOC_B, 0);
    tp_put_identity(&s, &idn);
    tp_identity(&idn, O_B, 1u << O_B);
    tp_put_identity(&s, &idn);
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_DENY_ORG_REVOKED);
    tp_identity(&idn, O_B, 0);
    tp_put_identity(&s, &idn);
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_PERMIT_GRANT);

    /* a record put again with another category */
    spec = (tp_consent){.on = 1, .grantee = DOC_B, .sk = MC_SCOPE_CATEGORIES, .cats = "lab"};
    tp_consent_make(c, &spec, 0, 0);
    assert_ok(mc_policy_index_put_consent(ix, c));
    snprintf(rec.category, sizeof rec.category, "imaging");
    assert_ok(mc_policy_index_put_record(ix, &rec));
    assert_int_equal(tp_ix_decide(ix, DOC_B, R1, P_TREAT, A_READ, T), MC_RSN_DENY_DEFAULT);
    free(c);

    /* delegates: named, removed, named again */
    tp_identity(&idn, O_A, 0);
    tp_put_identity(&s, &idn);
    tp_identity(&idn, DELEG, 0);
    tp_put_identity(&s, &idn);
    int want[] = {MC_RSN_PERMIT_DELEGATE, MC_RSN_DENY_DEFAULT, MC_RSN_PERMIT_DELEGATE};
    for (int i = 0; i < 3; i++) {
        assert_ok(mc_policy_index_put_delegate(ix, &tp_pid[PAT], &tp_pid[DELEG], i != 1));
        assert_int_equal(tp_ix_decide(ix, DELEG, R1, P_TREAT, A_READ, T), want[i]);
    }

    /* break-glass put again with another end */
    tp_identity(&idn, ER_B, 0);
    tp_put_identity(&s, &idn);
    tp_emerg es = EM(ER_B, T - 10, T + 10);
    mc_emergency e;
    tp_emergency_make(&e, &es, 0, 0);
    assert_ok(mc_policy_index_put_emergency(ix, &e));
    assert_int_equal(tp_ix_decide(ix, ER_B, R1, P_ETREAT, A_READ, T), MC_RSN_PERMIT_EMERGENCY);
    e.end_ms = T;
    assert_ok(mc_policy_index_put_emergency(ix, &e));
    assert_int_equal(tp_ix_decide(ix, ER_B, R1, P_ETREAT, A_READ, T), MC_RSN_DENY_EMERGENCY_EXPIRED);
    mc_policy_index_free(ix);
}

/* Enough entries to grow every table and cross chunk boundaries; each still found. */
static void test_index_growth(void **state)
{
    (void)state;
    enum { N = 9000 };
    mc_policy_index *ix;
    assert_ok(mc_policy_index_new(&ix));
    mc_identity org;
    tp_identity(&org, O_A, 0);
    assert_ok(mc_policy_index_put_identity(ix, &org));
    mc_identity *idn = calloc(1, sizeof *idn);
    mc_record *rec = calloc(1, sizeof *rec);
    mc_consent *c = calloc(1, sizeof *c);
    assert_true(idn && rec && c);
    for (int i = 0; i < N; i++) {
        *idn = org;
        tp_make_id(idn->id.b, "grown patient", i);
        idn->kind = MC_ID_PATIENT;
        idn->org = org.id;
        snprintf(idn->attrs.a[0].key, sizeof idn->attrs.a[0].key, "n");
        snprintf(idn->attrs.a[0].val, sizeof idn->attrs.a[0].val, "%d", i % 50); /* 50 shared sets */
        idn->attrs.n = 1;
        assert_ok(mc_policy_index_put_identity(ix, idn));
        memset(rec, 0, sizeof *rec);
        tp_make_id(rec->id.b, "grown record", i);
        rec->root = rec->id;
        rec->patient = idn->id;
        rec->author_org = org.id;
        snprintf(rec->category, sizeof rec->category, "c%d", i % 7);
        assert_ok(mc_policy_index_put_record(ix, rec));
        memset(c, 0, sizeof *c);
        tp_make_id(c->id.b, "grown consent", i);
        c->status = MC_CONSENT_ACTIVE;
        c->body.patient = idn->id;
        c->body.grantee_kind = MC_GRANTEE_ORG;
        c->body.grantee = org.id;
        c->body.scope_kind = MC_SCOPE_CATEGORIES;
        c->body.ncats = 1;
        snprintf(c->body.cats[0], sizeof c->body.cats[0], "c%d", i % 7);
        c->body.purposes = MC_PURPOSE_HPAYMT;
        c->body.actions = MC_ACTION_READ;
        c->body.not_before = W0;
        c->body.not_after = W1;
        assert_ok(mc_policy_index_put_consent(ix, c));
    }
    mc_policy_view v;
    mc_policy_index_view(&v, ix);
    for (int i = 0; i < N; i++) {
        mc_id who;
        mc_hash rid;
        mc_decision d;
        tp_make_id(who.b, "grown patient", i);
        tp_make_id(rid.b, "grown record", i);
        assert_ok(mc_policy_decide(&v, &who, &rid, P_TREAT, A_READ, T, &d));
        assert_int_equal(d.reason, MC_RSN_PERMIT_OWNER);
        assert_ok(mc_policy_decide(&v, &org.id, &rid, P_HPAYMT, A_READ, T, &d));
        assert_int_equal(d.reason, MC_RSN_PERMIT_GRANT);
        tp_make_id(who.b, "grown patient", (i + 1) % N);
        assert_ok(mc_policy_decide(&v, &who, &rid, P_TREAT, A_READ, T, &d));
        assert_int_equal(d.reason, MC_RSN_DENY_DEFAULT);
    }
    free(idn);
    free(rec);
    free(c);
    mc_policy_index_free(ix);
}

/* ---- bad arguments, view errors, damaged state ------------------------------------------------ */

static void test_bad_args(void **state)
{
    (void)state;
    mc_policy_index *ix = NULL;
    mc_policy_view v;
    mc_decision d;
    assert_rc(mc_policy_index_new(NULL), MC_EINVAL);
    assert_ok(mc_policy_index_new(&ix));
    mc_policy_index_view(&v, ix);
    const mc_id *who = &tp_pid[PAT];
    const mc_hash *rec = &tp_rid[R1];
    assert_rc(mc_policy_decide(NULL, who, rec, P_TREAT, A_READ, T, &d), MC_EINVAL);
    assert_int_equal(d.permit, 0);
    assert_int_equal(d.reason, MC_RSN_DENY_DEFAULT);
    assert_rc(mc_policy_decide(&v, NULL, rec, P_TREAT, A_READ, T, &d), MC_EINVAL);
    assert_rc(mc_policy_decide(&v, who, NULL, P_TREAT, A_READ, T, &d), MC_EINVAL);
    assert_rc(mc_policy_decide(&v, who, rec, P_TREAT, A_READ, T, NULL), MC_EINVAL);
    mc_policy_request req = {*who, *rec, P_TREAT, A_READ};
    assert_rc(mc_policy_decide_many(NULL, &req, 1, T, &d), MC_EINVAL);
    assert_rc(mc_policy_decide_many(&v, NULL, 1, T, &d), MC_EINVAL);
    assert_rc(mc_policy_decide_many(&v, &req, 1, T, NULL), MC_EINVAL);
    assert_ok(mc_policy_decide_many(&v, NULL, 0, T, NULL));
    assert_ok(mc_policy_decide_many(&v, &req, 1, T, &d)); /* the index is empty */
    assert_int_equal(d.reason, MC_RSN_DENY_UNKNOWN_RECORD);
    assert_rc(mc_policy_index_put_identity(NULL, NULL), MC_EINVAL);
    assert_rc(mc_policy_index_put_identity(ix, NULL), MC_EINVAL);
    assert_rc(mc_policy_index_put_record(ix, NULL), MC_EINVAL);
    assert_rc(mc_policy_index_put_consent(ix, NULL), MC_EINVAL);
    assert_rc(mc_policy_index_put_delegate(ix, NULL, who, 1), MC_EINVAL);
    assert_rc(mc_policy_index_put_delegate(ix, who, NULL, 1), MC_EINVAL);
    assert_rc(mc_policy_index_put_emergency(ix, NULL), MC_EINVAL);
    assert_rc(mc_policy_index_load(ix, NULL), MC_EINVAL);
    mc_policy_index_free(ix);
    mc_policy_index_free(NULL);

    /* mc_policy_rule_matches: NULLs, kinds it does not know, an empty selector */
    mc_attrs none = {0}, phys;
    assert_ok(mc_attrs_parse(&phys, "role=physician"));
    mc_policy_party party = {
        .kind = MC_ID_PROVIDER, .active = 1, .org_active = 1, .org = tp_pid[O_B], .attrs = &phys};
    mc_policy_record prec = {.patient = tp_pid[PAT],
                             .author_org = tp_pid[O_A],
                             .id = tp_rid[R1],
                             .root = tp_rid[R1],
                             .category = "lab"};
    mc_policy_rule rule = {.id = &tp_rid[R2],
                           .grantee_kind = MC_GRANTEE_SELECTOR,
                           .scope_kind = MC_SCOPE_ALL,
                           .purposes = P_TREAT,
                           .actions = A_READ,
                           .not_after = W1,
                           .grantee = &tp_pid[O_B],
                           .selector = &phys};
    const mc_id *doc = &tp_pid[DOC_B];
    assert_int_equal(mc_policy_rule_matches(&rule, doc, &party, &prec, P_TREAT, A_READ), 1);
    assert_int_equal(mc_policy_rule_matches(NULL, doc, &party, &prec, P_TREAT, A_READ), 0);
    assert_int_equal(mc_policy_rule_matches(&rule, NULL, &party, &prec, P_TREAT, A_READ), 0);
    assert_int_equal(mc_policy_rule_matches(&rule, doc, NULL, &prec, P_TREAT, A_READ), 0);
    assert_int_equal(mc_policy_rule_matches(&rule, doc, &party, NULL, P_TREAT, A_READ), 0);
    rule.selector = &none;
    assert_int_equal(mc_policy_rule_matches(&rule, doc, &party, &prec, P_TREAT, A_READ), 0);
    rule.selector = &phys;
    rule.grantee_kind = 9;
    assert_int_equal(mc_policy_rule_matches(&rule, doc, &party, &prec, P_TREAT, A_READ), 0);
    rule.grantee_kind = MC_GRANTEE_ORG;
    rule.scope_kind = 9;
    assert_int_equal(mc_policy_rule_matches(&rule, doc, &party, &prec, P_TREAT, A_READ), 0);
}

/* A view that fails where it is told to. */
typedef struct {
    int fail_at; /* 0 record, 1 identity, 2 is_delegate, 3 consents, 4 emergency */
    int rc;      /* what it returns there */
    mc_attrs attrs;
} tp_failing;

static int tp_f_identity(void *ctx, const mc_id *id, mc_policy_party *out)
{
    tp_failing *f = ctx;
    if (f->fail_at == 1) return f->rc;
    *out = (mc_policy_party){
        .kind = MC_ID_PROVIDER, .active = 1, .org_active = 1, .org = tp_pid[O_B], .attrs = &f->attrs};
    return MC_OK;
}

static int tp_f_record(void *ctx, const mc_hash *id, mc_policy_record *out)
{
    tp_failing *f = ctx;
    if (f->fail_at == 0) return f->rc;
    *out = (mc_policy_record){
        .patient = tp_pid[PAT], .author_org = tp_pid[O_A], .id = *id, .root = *id, .category = "lab"};
    return MC_OK;
}

static int tp_f_is_delegate(void *ctx, const mc_id *patient, const mc_id *who)
{
    tp_failing *f = ctx;
    return f->fail_at == 2 ? f->rc : 0;
}

static int tp_f_emergency(void *ctx, const mc_id *patient, const mc_id *provider, uint64_t t, mc_hash *id)
{
    tp_failing *f = ctx;
    return f->fail_at == 4 ? f->rc : 0;
}

static int tp_f_consents(void *ctx, const mc_id *patient, mc_policy_rule_fn fn, void *arg)
{
    tp_failing *f = ctx;
    return f->fail_at == 3 ? f->rc : MC_OK;
}

static void test_view_errors(void **state)
{
    (void)state;
    static const struct {
        int at, rc, want;
    } cases[] = {
        {0, -MC_EIO, MC_EIO},        {0, -MC_ECORRUPT, MC_ECORRUPT},
        {0, MC_EINVAL, MC_ECORRUPT}, {1, -MC_ENOMEM, MC_ENOMEM},
        {1, MC_EIO, MC_ECORRUPT},    {2, -MC_EIO, MC_EIO},
        {2, 2, MC_ECORRUPT},         {3, -MC_ENOMEM, MC_ENOMEM},
        {3, MC_EIO, MC_ECORRUPT},    {4, -MC_ECORRUPT, MC_ECORRUPT},
        {4, 3, MC_ECORRUPT},
    };
    for (size_t i = 0; i < MC_ARRAY_LEN(cases); i++) {
        tp_failing f = {.fail_at = cases[i].at, .rc = cases[i].rc};
        assert_ok(mc_attrs_parse(&f.attrs, "emergency=true"));
        mc_policy_view v = {.ctx = &f,
                            .identity = tp_f_identity,
                            .record = tp_f_record,
                            .is_delegate = tp_f_is_delegate,
                            .emergency = tp_f_emergency,
                            .consents = tp_f_consents}; /* no prefetch: it is optional */
        mc_decision d;
        assert_rc(mc_policy_decide(&v, &tp_pid[ER_B], &tp_rid[R1], P_ETREAT, A_READ, T, &d), cases[i].want);
        assert_int_equal(d.permit, 0);
        mc_policy_request reqs[2] = {{tp_pid[ER_B], tp_rid[R1], P_ETREAT, A_READ},
                                     {tp_pid[ER_B], tp_rid[R1], 0, 0}};
        mc_decision ds[2];
        assert_rc(mc_policy_decide_many(&v, reqs, 2, T, ds), cases[i].want); /* stops at the first */
        assert_int_equal(ds[0].permit, 0);
        assert_int_equal(d.has_basis, 0);
    }
}

/* The store view and the loader refuse a state whose keys name values that are not there. */
static void test_store_damage(void **state)
{
    (void)state;
    tp_row empty;
    memset(&empty, 0, sizeof empty);
    mc_policy_store_ctx *ctx = malloc(sizeof *ctx);
    assert_non_null(ctx);
    mc_policy_view v;
    mc_decision d;
    mc_skey k;
    mc_hash ghost;
    tp_make_id(ghost.b, "ghost consent", 0);

    for (int what = 0; what < 4; what++) {
        mc_store_txn *txn = tp_begin();
        tp_sink s = {NULL, txn};
        tp_build(&s, &empty, 0);
        mc_policy_store_view(&v, ctx, txn);
        int who = DOC_B;
        uint32_t purpose = P_TREAT;
        if (what == 0) { /* a patient's consent list names a consent that is not there */
            mc_skey_make(&k, MC_SK_PATIENT_CONSENT, tp_pid[PAT].b, 32, ghost.b, 32, NULL, 0);
            assert_ok(mc_store_mark(txn, &k));
        } else if (what == 1) { /* a break-glass the same way */
            mc_skey_make(&k, MC_SK_PATIENT_EMERGENCY, tp_pid[PAT].b, 32, tp_pid[ER_B].b, 32, ghost.b, 32);
            assert_ok(mc_store_mark(txn, &k));
            who = ER_B;
            purpose = P_ETREAT;
        } else if (what == 2) { /* an identity that does not decode */
            mc_skey_make(&k, MC_SK_IDENTITY, tp_pid[DOC_B].b, 32, NULL, 0, NULL, 0);
            assert_ok(mc_store_put(txn, MC_T_STATE, k.b, k.n, "x", 1));
        } else { /* a consent under another patient's list */
            tp_consent spec = {.on = 1, .grantee = DOC_B, .other = 1};
            mc_consent *c = malloc(sizeof *c);
            assert_non_null(c);
            tp_consent_make(c, &spec, 0, 0);
            assert_ok(mc_store_put_consent(txn, c));
            mc_skey_make(&k, MC_SK_PATIENT_CONSENT, tp_pid[PAT].b, 32, c->id.b, 32, NULL, 0);
            assert_ok(mc_store_mark(txn, &k));
            free(c);
        }
        assert_rc(mc_policy_decide(&v, &tp_pid[who], &tp_rid[R1], purpose, A_READ, T, &d), MC_ECORRUPT);
        assert_int_equal(d.permit, 0);
        if (what == 2) { /* the loader reads every identity */
            mc_policy_index *ix;
            assert_ok(mc_policy_index_new(&ix));
            assert_rc(mc_policy_index_load(ix, txn), MC_ECORRUPT);
            mc_policy_index_free(ix);
        }
        tp_abort(txn);
    }
    free(ctx);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views_agree),  cmocka_unit_test(test_index_updates),
        cmocka_unit_test(test_index_growth), cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_view_errors),  cmocka_unit_test(test_store_damage),
    };
    return cmocka_run_group_tests(tests, tp_setup, tp_teardown);
}
