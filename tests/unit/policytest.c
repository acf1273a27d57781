/* Helpers shared by the policy suites: see policytest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policytest.h"

/* ---- the world every row starts from --------------------------------------------------------- */

static const struct {
    uint8_t kind, status;
    int org;
    const char *attrs;
} tp_parties[NPARTY] = {
    [O_A] = {MC_ID_ORG, MC_ID_ACTIVE, O_A, "type=hospital"},
    [O_B] = {MC_ID_ORG, MC_ID_ACTIVE, O_B, "type=hospital"},
    [O_R] = {MC_ID_ORG, MC_ID_ACTIVE, O_R, "type=research"},
    [O_REG] = {MC_ID_ORG, MC_ID_ACTIVE, O_REG, "type=regulator"},
    [O_X] = {MC_ID_ORG, MC_ID_REVOKED, O_X, "type=clinic"},
    [PAT] = {MC_ID_PATIENT, MC_ID_ACTIVE, O_A, ""},
    [PAT2] = {MC_ID_PATIENT, MC_ID_ACTIVE, O_B, ""},
    [DOC_A] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_A, "dept=cardiology,role=physician"},
    [NURSE_A] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_A, "role=nurse"},
    [ER_A] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_A, "emergency=true,role=physician"},
    [NODE_A] = {MC_ID_NODE, MC_ID_ACTIVE, O_A, ""},
    [DOC_B] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_B, "dept=cardiology,role=physician,shift=night"},
    [DOC_B2] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_B, "dept=oncology,role=physician"},
    [ER_B] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_B, "emergency=true,role=physician"},
    [NOER_B] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_B, "emergency=false,role=physician"},
    [NODE_B] = {MC_ID_NODE, MC_ID_ACTIVE, O_B, ""},
    [AUD] = {MC_ID_AUDITOR, MC_ID_ACTIVE, O_REG, ""},
    [RES] = {MC_ID_RESEARCHER, MC_ID_ACTIVE, O_R, ""},
    [DOC_X] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_X, "role=physician"},
    [DOC_REV] = {MC_ID_PROVIDER, MC_ID_REVOKED, O_B, "role=physician"},
    [DELEG] = {MC_ID_PATIENT, MC_ID_ACTIVE, O_A, ""},
    [DELEG_GONE] = {MC_ID_PATIENT, MC_ID_ACTIVE, O_A, ""},
    [NURSE_B] = {MC_ID_PROVIDER, MC_ID_ACTIVE, O_B, "dept=cardiology,role=nurse"},
    [NODE_ER] = {MC_ID_NODE, MC_ID_ACTIVE, O_B, "emergency=true"},
    [GHOST] = {0, 0, 0, NULL},
};

static const struct {
    int patient, author;
    const char *cat;
} tp_records[NREC] = {
    [R1] = {PAT, DOC_A, "lab"}, [R1A] = {PAT, DOC_A, "lab"},  [R2] = {PAT, NURSE_A, "imaging"},
    [RB] = {PAT, DOC_B, "lab"}, [RP2] = {PAT2, DOC_A, "lab"}, [RGHOST] = {PAT, DOC_A, "lab"},
};

/* ---- building the state ---------------------------------------------------------------------- */

mc_id tp_pid[NPARTY];
mc_hash tp_rid[NREC];
static mc_store *tp_store;
static char tp_dir[PATH_MAX];
static mc_store_txn *tp_live; /* the write transaction in use, if a failed test left one */

/* A write transaction on the suite's store (nothing of it is ever committed). */
mc_store_txn *tp_begin(void)
{
    mc_store_abort(tp_live); /* a failed assertion jumps past the abort */
    tp_live = NULL;
    assert_ok(mc_store_begin(tp_store, 1, &tp_live));
    return tp_live;
}

void tp_abort(mc_store_txn *txn)
{
    mc_store_abort(txn);
    tp_live = NULL;
}

void tp_make_id(uint8_t out[32], const char *what, int i)
{
    char s[64];
    snprintf(s, sizeof s, "policy test %s %d", what, i);
    mc_hash h;
    mc_sha256(&h, s, strlen(s));
    memcpy(out, h.b, 32);
}

void tp_consent_id(mc_hash *id, int row, int i)
{
    memset(id->b, 0x5c, 32);
    id->b[0] = (uint8_t)(0x80 - i); /* later consents have smaller ids */
    id->b[1] = (uint8_t)row;
    id->b[2] = (uint8_t)(row >> 8);
}

void tp_emerg_id(mc_hash *id, int row, int i)
{
    memset(id->b, 0xe3, 32);
    id->b[0] = (uint8_t)(0x40 - i);
    id->b[1] = (uint8_t)row;
    id->b[2] = (uint8_t)(row >> 8);
}

void tp_put_identity(const tp_sink *s, const mc_identity *idn)
{
    if (s->ix) assert_ok(mc_policy_index_put_identity(s->ix, idn));
    if (s->txn) assert_ok(mc_store_put_identity(s->txn, idn));
}

static void tp_put_delegate(const tp_sink *s, const mc_id *patient, const mc_id *who, int active)
{
    mc_delegate d = {.active = (uint8_t)active, .height = 1, .time_ms = T - 5000};
    if (s->ix) assert_ok(mc_policy_index_put_delegate(s->ix, patient, who, active));
    if (s->txn) assert_ok(mc_store_put_delegate(s->txn, patient, who, &d));
}

static void tp_put_consent(const tp_sink *s, const mc_consent *c)
{
    if (s->ix) assert_ok(mc_policy_index_put_consent(s->ix, c));
    if (s->txn) assert_ok(mc_store_put_consent(s->txn, c));
}

void tp_identity(mc_identity *idn, int p, uint32_t flip)
{
    memset(idn, 0, sizeof *idn);
    idn->id = tp_pid[p];
    idn->kind = tp_parties[p].kind;
    int active = tp_parties[p].status == MC_ID_ACTIVE;
    if (flip & (1u << p)) active = !active;
    idn->status = active ? MC_ID_ACTIVE : MC_ID_REVOKED;
    idn->org = tp_pid[tp_parties[p].org];
    memcpy(idn->sign_pk.b, idn->id.b, 32);
    idn->registered_at = 1;
    assert_ok(mc_attrs_parse(&idn->attrs, tp_parties[p].attrs));
}

void tp_record(mc_record *r, int i)
{
    memset(r, 0, sizeof *r);
    r->id = tp_rid[i];
    r->patient = tp_pid[tp_records[i].patient];
    r->author = tp_pid[tp_records[i].author];
    r->author_org = tp_pid[tp_parties[tp_records[i].author].org];
    r->custodian = r->author_org;
    snprintf(r->category, sizeof r->category, "%s", tp_records[i].cat);
    r->root = i == R1A ? tp_rid[R1] : r->id;
    r->has_supersedes = i == R1A;
    if (i == R1A) r->supersedes = tp_rid[R1];
    r->has_superseded_by = i == R1;
    if (i == R1) r->superseded_by = tp_rid[R1A];
    r->size = 100;
    r->height = 2;
    r->time_ms = T - 4000;
}

static int tp_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

void tp_consent_make(mc_consent *c, const tp_consent *s, int row, int i)
{
    memset(c, 0, sizeof *c);
    tp_consent_id(&c->id, row, i);
    c->deny = (uint8_t)s->deny;
    c->status = MC_CONSENT_ACTIVE;
    c->by = tp_pid[s->other ? PAT2 : PAT];
    c->height = 3;
    c->time_ms = T - 3000;
    mc_body_consent *b = &c->body;
    b->patient = tp_pid[s->other ? PAT2 : PAT];
    b->grantee_kind = s->gk ? s->gk : MC_GRANTEE_IDENTITY;
    b->grantee = tp_pid[s->grantee];
    if (s->sel) assert_ok(mc_attrs_parse(&b->selector, s->sel));
    b->scope_kind = s->sk ? s->sk : MC_SCOPE_ALL;
    if (s->cats) {
        const char *p = s->cats;
        while (*p) {
            size_t n = strcspn(p, ",");
            assert_true(n <= MC_MAX_CATEGORY && b->ncats < MC_MAX_SCOPE_CATS);
            memcpy(b->cats[b->ncats], p, n);
            b->cats[b->ncats++][n] = 0;
            p += n + (p[n] == ',');
        }
    }
    for (int k = 0; k < s->nrecs; k++) b->records[b->nrecords++] = tp_rid[s->recs[k]];
    qsort(b->records, b->nrecords, sizeof b->records[0], tp_hash_cmp);
    b->purposes = s->purposes ? s->purposes : MC_PURPOSE_TREAT;
    b->actions = s->actions ? s->actions : (uint8_t)(MC_ACTION_READ | MC_ACTION_READ_META);
    b->not_before = s->na ? s->nb : W0;
    b->not_after = s->na ? s->na : W1;
}

void tp_emergency_make(mc_emergency *e, const tp_emerg *s, int row, int i)
{
    memset(e, 0, sizeof *e);
    tp_emerg_id(&e->id, row, i);
    e->patient = tp_pid[s->other ? PAT2 : PAT];
    e->provider = tp_pid[s->provider];
    e->provider_org = tp_pid[tp_parties[s->provider].org];
    e->start_ms = s->start;
    e->end_ms = s->end;
    e->height = 4;
}

/* The world, then the row's state, into @p s (a revoked consent is put active, then again revoked). */
void tp_build(const tp_sink *s, const tp_row *r, int row)
{
    mc_identity idn;
    for (int p = 0; p < NPARTY; p++) {
        if (p == GHOST) continue;
        tp_identity(&idn, p, r->flip);
        tp_put_identity(s, &idn);
    }
    mc_record rec;
    for (int i = 0; i < NREC; i++) {
        if (i == RGHOST) continue;
        tp_record(&rec, i);
        if (s->ix) assert_ok(mc_policy_index_put_record(s->ix, &rec));
        if (s->txn) assert_ok(mc_store_put_record(s->txn, &rec));
    }
    tp_put_delegate(s, &tp_pid[PAT], &tp_pid[DELEG], 1);
    tp_put_delegate(s, &tp_pid[PAT], &tp_pid[DELEG_GONE], 1);
    tp_put_delegate(s, &tp_pid[PAT], &tp_pid[DELEG_GONE], 0);
    for (int i = 0; i < TP_ND; i++)
        if (r->d[i].on)
            tp_put_delegate(s, &tp_pid[r->d[i].other ? PAT2 : PAT], &tp_pid[r->d[i].who], r->d[i].active);
    mc_consent *c = malloc(sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < TP_NC; i++) {
        if (!r->c[i].on) continue;
        tp_consent_make(c, &r->c[i], row, i);
        tp_put_consent(s, c);
        if (r->c[i].revoked) {
            c->status = MC_CONSENT_REVOKED;
            c->revoked_height = 5;
            c->revoked_time_ms = T - 2000;
            c->revoked_by = c->by;
            tp_put_consent(s, c);
        }
    }
    free(c);
    mc_emergency e;
    for (int i = 0; i < TP_NE; i++) {
        if (!r->e[i].on) continue;
        tp_emergency_make(&e, &r->e[i], row, i);
        if (s->ix) assert_ok(mc_policy_index_put_emergency(s->ix, &e));
        if (s->txn) assert_ok(mc_store_put_emergency(s->txn, &e));
    }
}

/* ---- deciding through the three views -------------------------------------------------------- */

static const char *tp_view_names[3] = {"index", "store", "loaded index"};

void tp_views_open(tp_views *v, const tp_row *r, int row)
{
    memset(v, 0, sizeof *v);
    assert_ok(mc_policy_index_new(&v->ix));
    assert_ok(mc_policy_index_new(&v->loaded));
    v->txn = tp_begin();
    tp_sink a = {v->ix, NULL}, b = {NULL, v->txn};
    tp_build(&a, r, row);
    tp_build(&b, r, row);
    assert_ok(mc_policy_index_load(v->loaded, v->txn));
    v->sctx = malloc(sizeof *v->sctx);
    assert_non_null(v->sctx);
    mc_policy_index_view(&v->v[0], v->ix);
    mc_policy_store_view(&v->v[1], v->sctx, v->txn);
    mc_policy_index_view(&v->v[2], v->loaded);
}

void tp_views_close(tp_views *v)
{
    tp_abort(v->txn); /* nothing of a row stays in the store */
    free(v->sctx);
    mc_policy_index_free(v->ix);
    mc_policy_index_free(v->loaded);
}

int tp_same(const mc_decision *a, const mc_decision *b)
{
    return a->permit == b->permit && a->reason == b->reason && a->has_basis == b->has_basis &&
           memcmp(a->basis.b, b->basis.b, 32) == 0;
}

const char *tp_rname(int reason)
{
    const char *n = mc_reason_name(reason);
    return n ? n : "?";
}

/* Decides through every view; they must agree. @p d gets the decision. */
void tp_decide3(tp_views *v, int who, int rec, uint32_t purpose, uint8_t action, uint64_t t, mc_decision *d,
                const char *what)
{
    mc_id requester = who < NPARTY ? tp_pid[who] : tp_pid[GHOST];
    mc_hash record = tp_rid[rec];
    mc_decision got[3];
    for (int i = 0; i < 3; i++) {
        assert_ok(mc_policy_decide(&v->v[i], &requester, &record, purpose, action, t, &got[i]));
        if (i > 0 && !tp_same(&got[0], &got[i])) {
            print_error("%s: the %s says %s, the %s %s\n", what, tp_view_names[0], tp_rname(got[0].reason),
                        tp_view_names[i], tp_rname(got[i].reason));
            fail();
        }
    }
    *d = got[0];
}

int tp_setup(void **state)
{
    (void)state;
    for (int p = 0; p < NPARTY; p++) tp_make_id(tp_pid[p].b, "party", p);
    for (int i = 0; i < NREC; i++) tp_make_id(tp_rid[i].b, "record", i);
    mc_test_tmpdir(tp_dir);
    mc_store_opts o = {.map_size = 64u << 20};
    return mc_store_open(&tp_store, tp_dir, &o) == MC_OK ? 0 : -1;
}

int tp_teardown(void **state)
{
    (void)state;
    tp_abort(tp_live);
    mc_store_close(tp_store);
    mc_test_rmtree(tp_dir);
    return 0;
}
