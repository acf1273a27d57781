/*
 * Helpers shared by the policy suites (test_policy_table.c, test_policy_views.c): the world every
 * case starts from (parties, records), a row (the state on top of the world, the request, the
 * expected decision), building a row's state into an index or a store transaction, and deciding
 * through the three views of that state (the index filled by put_*, the store view over a real
 * LMDB write transaction, the index loaded from that transaction), which must agree. Failures are
 * cmocka assertions.
 */
#ifndef MEDCHAIN_POLICYTEST_H
#define MEDCHAIN_POLICYTEST_H

#include "medchain/policy.h"
#include "medchain/store.h"
#include "testutil.h"

#define T  1000000ull /* the time of most requests */
#define W0 (T - 1000) /* a consent's window unless the row says otherwise */
#define W1 (T + 1000)

#define P_TREAT   MC_PURPOSE_TREAT
#define P_ETREAT  MC_PURPOSE_ETREAT
#define P_HPAYMT  MC_PURPOSE_HPAYMT
#define P_HOPERAT MC_PURPOSE_HOPERAT
#define P_HRESCH  MC_PURPOSE_HRESCH
#define P_PUBHLTH MC_PURPOSE_PUBHLTH
#define P_PATRQT  MC_PURPOSE_PATRQT
#define A_READ    MC_ACTION_READ
#define A_META    MC_ACTION_READ_META
#define A_DEID    MC_ACTION_READ_DEID

/* ---- the world every row starts from --------------------------------------------------------- */

enum tp_party {
    O_A, /* hospital A: authors R1, R1A, R2, RP2 */
    O_B, /* hospital B: authors RB */
    O_R, /* a research org */
    O_REG,
    O_X, /* a revoked clinic */
    PAT, /* the patient of R1, R1A, R2, RB */
    PAT2,
    DOC_A, /* dept=cardiology, role=physician */
    NURSE_A,
    ER_A, /* emergency=true */
    NODE_A,
    DOC_B,  /* dept=cardiology, role=physician, shift=night */
    DOC_B2, /* dept=oncology, role=physician */
    ER_B,   /* emergency=true */
    NOER_B, /* emergency=false */
    NODE_B,
    AUD,
    RES,
    DOC_X,      /* a provider of the revoked org */
    DOC_REV,    /* a revoked provider of B */
    DELEG,      /* PAT's delegate */
    DELEG_GONE, /* was PAT's delegate */
    NURSE_B,    /* dept=cardiology, role=nurse */
    NODE_ER,    /* a node of B with emergency=true: break-glass is for providers */
    GHOST,      /* never registered */
    NPARTY
};

enum tp_rec { R1, R1A /* amends R1 */, R2, RB, RP2, RGHOST /* never anchored */, NREC };

/* ---- a row: the state on top of the world, the request, the expected decision --------------- */

typedef struct {
    int on, deny, revoked, other; /* other: PAT2's, not PAT's */
    uint8_t gk;                   /* 0: MC_GRANTEE_IDENTITY */
    int grantee;
    const char *sel;
    uint8_t sk;       /* 0: MC_SCOPE_ALL */
    const char *cats; /* sorted, comma-separated */
    int nrecs, recs[2];
    uint32_t purposes; /* 0: TREAT */
    uint8_t actions;   /* 0: READ and READ_META */
    uint64_t nb, na;   /* na == 0: [W0, W1) */
} tp_consent;

typedef struct {
    int on, provider, other;
    uint64_t start, end;
} tp_emerg;

typedef struct {
    int on, who, active, other;
} tp_deleg;

#define TP_NC 8
#define TP_NE 3
#define TP_ND 2

typedef struct {
    const char *name;
    tp_consent c[TP_NC];
    tp_emerg e[TP_NE];
    tp_deleg d[TP_ND];
    uint32_t flip; /* parties whose status is flipped (active <-> revoked) */
    int who, rec;
    uint32_t purpose;
    uint8_t action;
    uint64_t t;
    uint16_t reason;
    int basis; /* 0 none, BC(i) the row's consent i, BE(i) its break-glass i */
} tp_row;

#define GR(...)                                                                                              \
    {                                                                                                        \
        .on = 1, __VA_ARGS__                                                                                 \
    }
#define DN(...)                                                                                              \
    {                                                                                                        \
        .on = 1, .deny = 1, __VA_ARGS__                                                                      \
    }
#define EM(p, s, e)                                                                                          \
    {                                                                                                        \
        .on = 1, .provider = (p), .start = (s), .end = (e)                                                   \
    }
#define REQ(w, r, p, a, tt) .who = (w), .rec = (r), .purpose = (p), .action = (a), .t = (tt)
#define WANT(rsn, b)        .reason = MC_RSN_##rsn, .basis = (b)
#define ORG                 .gk = MC_GRANTEE_ORG
#define SEL(o, s)           .gk = MC_GRANTEE_SELECTOR, .grantee = (o), .sel = (s)
#define CATS(s)             .sk = MC_SCOPE_CATEGORIES, .cats = (s)
#define RECS1(a)            .sk = MC_SCOPE_RECORDS, .nrecs = 1, .recs = {(a)}
#define RECS2(a, b)         .sk = MC_SCOPE_RECORDS, .nrecs = 2, .recs = {(a), (b)}
#define WIN(a, b)           .nb = (a), .na = (b)
#define BC(i)               (1 + (i))
#define BE(i)               (100 + (i))
#define ALLP                .purposes = MC_PURPOSE_ALL_
#define ALLA                .actions = MC_ACTION_ALL_

/* ---- building the state ---------------------------------------------------------------------- */

extern mc_id tp_pid[NPARTY];
extern mc_hash tp_rid[NREC];

/* A write transaction on the suite's store (nothing of it is ever committed). */
mc_store_txn *tp_begin(void);
void tp_abort(mc_store_txn *txn);
void tp_make_id(uint8_t out[32], const char *what, int i);
void tp_consent_id(mc_hash *id, int row, int i);
void tp_emerg_id(mc_hash *id, int row, int i);

/* Where the state goes: an index, or a store transaction. */
typedef struct {
    mc_policy_index *ix;
    mc_store_txn *txn;
} tp_sink;

void tp_put_identity(const tp_sink *s, const mc_identity *idn);
void tp_identity(mc_identity *idn, int p, uint32_t flip);
void tp_record(mc_record *r, int i);
void tp_consent_make(mc_consent *c, const tp_consent *s, int row, int i);
void tp_emergency_make(mc_emergency *e, const tp_emerg *s, int row, int i);
/* The world, then the row's state, into @p s (a revoked consent is put active, then again revoked). */
void tp_build(const tp_sink *s, const tp_row *r, int row);

/* ---- deciding through the three views -------------------------------------------------------- */

typedef struct {
    mc_policy_index *ix;     /* filled by put_* */
    mc_policy_index *loaded; /* loaded from txn */
    mc_store_txn *txn;
    mc_policy_store_ctx *sctx;
    mc_policy_view v[3];
} tp_views;

void tp_views_open(tp_views *v, const tp_row *r, int row);
void tp_views_close(tp_views *v);
int tp_same(const mc_decision *a, const mc_decision *b);
const char *tp_rname(int reason);
/* Decides through every view; they must agree. @p d gets the decision. */
void tp_decide3(tp_views *v, int who, int rec, uint32_t purpose, uint8_t action, uint64_t t, mc_decision *d,
                const char *what);

/** The group setup and teardown: the ids of the world, and the suite's store in a fresh directory. */
int tp_setup(void **state);
int tp_teardown(void **state);

#endif
