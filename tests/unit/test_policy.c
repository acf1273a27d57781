/*
 * policy: mc_policy_decide over a table of cases, one or more per rule of policy.h and each of
 * its edges, every row run through three views of the same state (the index filled by put_*,
 * the store view over a real LMDB write transaction, the index loaded from that transaction),
 * which must agree with the row and with each other; then a seeded property test over random
 * states and requests that the three views agree; then the index's updates, bad arguments and
 * the views' errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

enum tp_rec { R1, R1A /* amends R1 */, R2, RB, RP2, RGHOST /* never anchored */, NREC };

static const struct {
    int patient, author;
    const char *cat;
} tp_records[NREC] = {
    [R1] = {PAT, DOC_A, "lab"}, [R1A] = {PAT, DOC_A, "lab"},  [R2] = {PAT, NURSE_A, "imaging"},
    [RB] = {PAT, DOC_B, "lab"}, [RP2] = {PAT2, DOC_A, "lab"}, [RGHOST] = {PAT, DOC_A, "lab"},
};

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

/* Consent i of a row has a smaller id than consent i - 1 (the store lists them backwards from
 * the order the index was given them), so "the smaller id" is the later one. */
/* clang-format off */
static const tp_row tp_rows[] = {
    /* 1. the request, the record, the requester */
    {"purpose 0", REQ(DOC_A, R1, 0, A_READ, T), WANT(DENY_BAD_REQUEST, 0)},
    {"two purposes", REQ(DOC_A, R1, P_TREAT | P_HOPERAT, A_READ, T), WANT(DENY_BAD_REQUEST, 0)},
    {"unknown purpose bit", REQ(DOC_A, R1, 1u << 7, A_READ, T), WANT(DENY_BAD_REQUEST, 0)},
    {"action 0", REQ(DOC_A, R1, P_TREAT, 0, T), WANT(DENY_BAD_REQUEST, 0)},
    {"two actions", REQ(DOC_A, R1, P_TREAT, A_READ | A_META, T), WANT(DENY_BAD_REQUEST, 0)},
    {"unknown action bit", REQ(DOC_A, R1, P_TREAT, 1u << 3, T), WANT(DENY_BAD_REQUEST, 0)},
    {"a bad request before an unknown record", REQ(GHOST, RGHOST, 0, A_READ, T), WANT(DENY_BAD_REQUEST, 0)},
    {"unknown record", REQ(DOC_A, RGHOST, P_TREAT, A_READ, T), WANT(DENY_UNKNOWN_RECORD, 0)},
    {"unknown record before unknown requester",
     REQ(GHOST, RGHOST, P_TREAT, A_READ, T), WANT(DENY_UNKNOWN_RECORD, 0)},
    {"unknown requester", REQ(GHOST, R1, P_TREAT, A_READ, T), WANT(DENY_UNKNOWN_REQUESTER, 0)},
    {"unknown requester holding a grant", .c = {GR(.grantee = GHOST)},
     REQ(GHOST, R1, P_TREAT, A_READ, T), WANT(DENY_UNKNOWN_REQUESTER, 0)},
    {"revoked grantee identity", .c = {GR(.grantee = DOC_REV)},
     REQ(DOC_REV, R1, P_TREAT, A_READ, T), WANT(DENY_REQUESTER_REVOKED, 0)},
    {"revoked grantee org", .c = {GR(ORG, .grantee = O_X)},
     REQ(DOC_X, R1, P_TREAT, A_READ, T), WANT(DENY_ORG_REVOKED, 0)},
    {"revoked org as grantee itself", .c = {GR(ORG, .grantee = O_X)},
     REQ(O_X, R1, P_TREAT, A_READ, T), WANT(DENY_REQUESTER_REVOKED, 0)},
    {"revoked owner", .flip = 1u << PAT, REQ(PAT, R1, P_TREAT, A_READ, T), WANT(DENY_REQUESTER_REVOKED, 0)},
    {"revoked delegate identity", .flip = 1u << DELEG,
     REQ(DELEG, R1, P_TREAT, A_READ, T), WANT(DENY_REQUESTER_REVOKED, 0)},
    {"owner whose enrolling org is revoked", .flip = 1u << O_A, REQ(PAT, R1, P_TREAT, A_READ, T),
     WANT(PERMIT_OWNER, 0)},
    {"author org revoked", .flip = 1u << O_A, REQ(DOC_A, R1, P_TREAT, A_READ, T), WANT(DENY_ORG_REVOKED, 0)},
    {"revoked org's member holding an identity grant", .c = {GR(.grantee = DOC_X)},
     REQ(DOC_X, R1, P_TREAT, A_READ, T), WANT(DENY_ORG_REVOKED, 0)},
    {"reinstated org", .flip = 1u << O_X, .c = {GR(ORG, .grantee = O_X)},
     REQ(DOC_X, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},

    /* 2. the owner */
    {"owner", REQ(PAT, R1, P_TREAT, A_READ, T), WANT(PERMIT_OWNER, 0)},
    {"owner, any purpose and action", REQ(PAT, R2, P_HRESCH, A_DEID, T), WANT(PERMIT_OWNER, 0)},
    {"owner beats their own deny", .c = {DN(.grantee = PAT, ALLP, ALLA)},
     REQ(PAT, R1, P_PATRQT, A_READ, T), WANT(PERMIT_OWNER, 0)},
    {"another patient", REQ(PAT2, R1, P_PATRQT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"the other patient's own record", REQ(PAT2, RP2, P_PATRQT, A_READ, T), WANT(PERMIT_OWNER, 0)},

    /* 3. auditors */
    {"auditor metadata", REQ(AUD, R1, P_HOPERAT, A_META, T), WANT(PERMIT_AUDITOR_META, 0)},
    {"auditor metadata, any purpose", REQ(AUD, R2, P_PUBHLTH, A_META, T), WANT(PERMIT_AUDITOR_META, 0)},
    {"auditor content even with a grant", .c = {GR(.grantee = AUD, ALLP, ALLA)},
     REQ(AUD, R1, P_HOPERAT, A_READ, T), WANT(DENY_AUDITOR_CONTENT, 0)},
    {"auditor derivative even with a grant", .c = {GR(ORG, .grantee = O_REG, ALLP, ALLA)},
     REQ(AUD, R1, P_HRESCH, A_DEID, T), WANT(DENY_AUDITOR_CONTENT, 0)},
    {"auditor metadata despite a deny", .c = {DN(.grantee = AUD, ALLP, ALLA)},
     REQ(AUD, R1, P_HOPERAT, A_META, T), WANT(PERMIT_AUDITOR_META, 0)},

    /* 4. researchers */
    {"researcher identified read even with a grant",
     .c = {GR(ORG, .grantee = O_R, .purposes = P_HRESCH, ALLA)},
     REQ(RES, R1, P_HRESCH, A_READ, T), WANT(DENY_RESEARCH_IDENTIFIED, 0)},
    {"researcher metadata even with a grant", .c = {GR(ORG, .grantee = O_R, .purposes = P_HRESCH, ALLA)},
     REQ(RES, R1, P_HRESCH, A_META, T), WANT(DENY_RESEARCH_IDENTIFIED, 0)},
    {"researcher derivative for treatment", .c = {GR(ORG, .grantee = O_R, ALLP, ALLA)},
     REQ(RES, R1, P_TREAT, A_DEID, T), WANT(DENY_RESEARCH_IDENTIFIED, 0)},
    {"researcher derivative for research, org grant",
     .c = {GR(ORG, .grantee = O_R, .purposes = P_HRESCH, .actions = A_DEID)},
     REQ(RES, R1, P_HRESCH, A_DEID, T), WANT(PERMIT_GRANT, BC(0))},
    {"researcher derivative for research, identity grant",
     .c = {GR(.grantee = RES, .purposes = P_HRESCH, .actions = A_DEID)},
     REQ(RES, R2, P_HRESCH, A_DEID, T), WANT(PERMIT_GRANT, BC(0))},
    {"researcher derivative without a grant", REQ(RES, R1, P_HRESCH, A_DEID, T), WANT(DENY_DEFAULT, 0)},
    {"researcher with another patient's grant",
     .c = {GR(ORG, .grantee = O_R, .purposes = P_HRESCH, .actions = A_DEID, .other = 1)},
     REQ(RES, R1, P_HRESCH, A_DEID, T), WANT(DENY_DEFAULT, 0)},
    {"researcher grant beaten by a deny",
     .c = {GR(ORG, .grantee = O_R, .purposes = P_HRESCH, .actions = A_DEID), DN(ORG, .grantee = O_R,
     .purposes = P_HRESCH, .actions = A_DEID)},
     REQ(RES, R1, P_HRESCH, A_DEID, T), WANT(DENY_EXPLICIT, BC(1))},
    {"researcher as delegate still needs a grant", .d = {{1, RES, 1, 0}},
     REQ(RES, R1, P_HRESCH, A_DEID, T), WANT(DENY_DEFAULT, 0)},

    /* 5. delegates */
    {"delegate", REQ(DELEG, R1, P_TREAT, A_READ, T), WANT(PERMIT_DELEGATE, 0)},
    {"delegate, any purpose and action", REQ(DELEG, R2, P_PATRQT, A_DEID, T), WANT(PERMIT_DELEGATE, 0)},
    {"removed delegate", REQ(DELEG_GONE, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"delegate named again", .d = {{1, DELEG_GONE, 1, 0}},
     REQ(DELEG_GONE, R1, P_TREAT, A_READ, T), WANT(PERMIT_DELEGATE, 0)},
    {"delegate removed now", .d = {{1, DELEG, 0, 0}},
     REQ(DELEG, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"delegate of another patient", REQ(DELEG, RP2, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"delegate of the other patient", .d = {{1, DELEG, 1, 1}},
     REQ(DELEG, RP2, P_TREAT, A_READ, T), WANT(PERMIT_DELEGATE, 0)},
    {"delegate beats a deny", .c = {DN(.grantee = DELEG, ALLP, ALLA)},
     REQ(DELEG, R1, P_TREAT, A_READ, T), WANT(PERMIT_DELEGATE, 0)},
    {"provider as delegate", .d = {{1, DOC_B, 1, 0}},
     REQ(DOC_B, R1, P_HPAYMT, A_READ, T), WANT(PERMIT_DELEGATE, 0)},

    /* 6. denies */
    {"deny beats grant", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(1))},
    {"deny beats grant, deny first", .c = {DN(.grantee = DOC_B), GR(.grantee = DOC_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(0))},
    {"deny beats author org", .c = {DN(.grantee = DOC_A)},
     REQ(DOC_A, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(0))},
    {"org deny beats author org's node",
     .c = {DN(ORG, .grantee = O_A, .purposes = P_HOPERAT, .actions = A_META)},
     REQ(NODE_A, R1, P_HOPERAT, A_META, T), WANT(DENY_EXPLICIT, BC(0))},
    {"deny beats break-glass", .c = {DN(.grantee = ER_B, .purposes = P_ETREAT)},
     .e = {EM(ER_B, T - 100, T + 100)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(0))},
    {"deny of another purpose leaves break-glass", .c = {DN(.grantee = ER_B, .purposes = P_TREAT)},
     .e = {EM(ER_B, T - 100, T + 100)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_EMERGENCY, BE(0))},
    {"deny at its start", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, WIN(T, T + 10))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(1))},
    {"deny in its last ms", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, WIN(T - 10, T + 1))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(1))},
    {"deny at its end does not apply", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, WIN(T - 10, T))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"deny before its start does not apply",
     .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, WIN(T + 1, T + 10))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"ended deny leaves author org", .c = {DN(.grantee = DOC_A, WIN(T - 10, T))},
     REQ(DOC_A, R1, P_TREAT, A_READ, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"revoked deny does not apply", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, .revoked = 1)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"revoked deny is no near miss", .c = {DN(.grantee = DOC_B, .revoked = 1)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"ended deny is no near miss", .c = {DN(.grantee = DOC_B, WIN(T - 10, T))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"deny of another category", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, CATS("imaging"))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"deny of the category", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, CATS("lab"))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(1))},
    {"deny of a record covers its amendment", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, RECS1(R1))},
     REQ(DOC_B, R1A, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(1))},
    {"deny of another action", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B, .actions = A_META)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"deny of another purpose", .c = {GR(.grantee = DOC_B, ALLP), DN(.grantee = DOC_B, .purposes = P_HPAYMT)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"deny to someone else", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B2)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"selector deny beats org grant", .c = {GR(ORG, .grantee = O_B), DN(SEL(O_B, "role=physician"))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(1))},
    {"selector deny spares the rest of the org",
     .c = {GR(ORG, .grantee = O_B), DN(SEL(O_B, "dept=oncology"))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"two denies: the smaller id", .c = {GR(.grantee = DOC_B), DN(.grantee = DOC_B), DN(ORG, .grantee = O_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPLICIT, BC(2))},
    {"another patient's deny", .c = {DN(.grantee = DOC_B, .other = 1), GR(.grantee = DOC_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(1))},

    /* 7. the authoring org */
    {"author org provider, treatment", REQ(DOC_A, R1, P_TREAT, A_READ, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"author org provider, operations metadata",
     REQ(NURSE_A, R2, P_HOPERAT, A_META, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"author org node", REQ(NODE_A, R1, P_HOPERAT, A_READ, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"author org itself", REQ(O_A, R1, P_TREAT, A_META, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"author org, payment", REQ(DOC_A, R1, P_HPAYMT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"author org, emergency purpose", REQ(DOC_A, R1, P_ETREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"author org, derivative", REQ(DOC_A, R1, P_TREAT, A_DEID, T), WANT(DENY_DEFAULT, 0)},
    {"another org", REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"author org of one record only", REQ(DOC_A, RB, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"author org of that record", REQ(DOC_B, RB, P_TREAT, A_READ, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"a patient enrolled by the author org is no member",
     REQ(PAT2, RB, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"author org, superseded record", REQ(DOC_A, R1, P_HOPERAT, A_READ, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"author org, the amendment", REQ(DOC_A, R1A, P_HOPERAT, A_READ, T), WANT(PERMIT_AUTHOR_ORG, 0)},
    {"author org beats a grant's near miss", .c = {GR(.grantee = DOC_A, .revoked = 1)},
     REQ(DOC_A, R1, P_TREAT, A_READ, T), WANT(PERMIT_AUTHOR_ORG, 0)},

    /* 7. break-glass */
    {"break-glass inside", .e = {EM(ER_B, T - 100, T + 100)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_EMERGENCY, BE(0))},
    {"break-glass at its start", .e = {EM(ER_B, T, T + 100)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_EMERGENCY, BE(0))},
    {"break-glass in its last ms", .e = {EM(ER_B, T - 100, T + 1)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_EMERGENCY, BE(0))},
    {"break-glass at its end", .e = {EM(ER_B, T - 100, T)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_EMERGENCY_EXPIRED, BE(0))},
    {"break-glass before its start", .e = {EM(ER_B, T + 1, T + 100)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass, metadata", .e = {EM(ER_B, T - 100, T + 100)},
     REQ(ER_B, R2, P_ETREAT, A_META, T), WANT(PERMIT_EMERGENCY, BE(0))},
    {"break-glass, derivative", .e = {EM(ER_B, T - 100, T + 100)},
     REQ(ER_B, R1, P_ETREAT, A_DEID, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass, wrong purpose", .e = {EM(ER_B, T - 100, T + 100)},
     REQ(ER_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass by a provider without emergency=true", .e = {EM(DOC_B, T - 100, T + 100)},
     REQ(DOC_B, R1, P_ETREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass by a node with emergency=true", .e = {EM(NODE_ER, T - 100, T + 100)},
     REQ(NODE_ER, R1, P_ETREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass by a provider with emergency=false", .e = {EM(NOER_B, T - 100, T + 100)},
     REQ(NOER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass of another provider", .e = {EM(ER_A, T - 100, T + 100)},
     REQ(ER_B, RB, P_ETREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass on another patient", .e = {{1, ER_B, 1, T - 100, T + 100}},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"break-glass: one ended, one open", .e = {EM(ER_B, T - 300, T - 200), EM(ER_B, T - 10, T + 10)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_EMERGENCY, BE(1))},
    {"break-glass: one open, one ended", .e = {EM(ER_B, T - 10, T + 10), EM(ER_B, T - 300, T - 200)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_EMERGENCY, BE(0))},
    {"break-glass: two open, the smaller id", .e = {EM(ER_B, T - 10, T + 10), EM(ER_B, T - 20, T + 20)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_EMERGENCY, BE(1))},
    {"break-glass: two ended, the latest end", .e = {EM(ER_B, T - 300, T - 100), EM(ER_B, T - 300, T - 200)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_EMERGENCY_EXPIRED, BE(0))},
    {"break-glass: two ended together, the smaller id",
     .e = {EM(ER_B, T - 300, T - 100), EM(ER_B, T - 200, T - 100)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_EMERGENCY_EXPIRED, BE(1))},
    {"ended break-glass, but a grant", .c = {GR(.grantee = ER_B, .purposes = P_ETREAT)},
     .e = {EM(ER_B, T - 100, T)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"ended break-glass before a grant's near miss",
     .c = {GR(.grantee = ER_B, .purposes = P_ETREAT, .revoked = 1)}, .e = {EM(ER_B, T - 100, T)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_EMERGENCY_EXPIRED, BE(0))},
    {"break-glass by a revoked provider", .flip = 1u << ER_B, .e = {EM(ER_B, T - 100, T + 100)},
     REQ(ER_B, R1, P_ETREAT, A_READ, T), WANT(DENY_REQUESTER_REVOKED, 0)},

    /* 8. grants and their nearest misses */
    {"identity grant", .c = {GR(.grantee = DOC_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"identity grant to someone else", .c = {GR(.grantee = DOC_B2)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"org grant, a provider", .c = {GR(ORG, .grantee = O_B)},
     REQ(DOC_B2, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"org grant, a node", .c = {GR(ORG, .grantee = O_B)},
     REQ(NODE_B, R1, P_TREAT, A_META, T), WANT(PERMIT_GRANT, BC(0))},
    {"org grant, the org", .c = {GR(ORG, .grantee = O_B)},
     REQ(O_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"org grant, another org", .c = {GR(ORG, .grantee = O_B)},
     REQ(DOC_A, RB, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"org grant does not reach the patients it enrolled",
     .c = {GR(ORG, .grantee = O_B, .purposes = P_PATRQT)},
     REQ(PAT2, R1, P_PATRQT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"selector, all pairs", .c = {GR(SEL(O_B, "dept=cardiology,role=physician"))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"selector, one pair missing", .c = {GR(SEL(O_B, "dept=cardiology,role=physician"))},
     REQ(ER_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"selector, one pair different", .c = {GR(SEL(O_B, "dept=cardiology,role=physician"))},
     REQ(DOC_B2, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"selector, second pair different", .c = {GR(SEL(O_B, "dept=cardiology,role=physician"))},
     REQ(NURSE_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"selector, same attributes in another org", .c = {GR(SEL(O_B, "dept=cardiology,role=physician"))},
     REQ(DOC_A, RB, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"selector, the org itself", .c = {GR(SEL(O_B, "role=physician"))},
     REQ(O_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"selector, one pair", .c = {GR(SEL(O_B, "role=physician"))},
     REQ(ER_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"category scope", .c = {GR(.grantee = DOC_B, CATS("lab"))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"category scope, another category", .c = {GR(.grantee = DOC_B, CATS("lab"))},
     REQ(DOC_B, R2, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"category scope, a list", .c = {GR(.grantee = DOC_B, CATS("imaging,lab"))},
     REQ(DOC_B, R2, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"record scope", .c = {GR(.grantee = DOC_B, RECS1(R2))},
     REQ(DOC_B, R2, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"record scope, another record", .c = {GR(.grantee = DOC_B, RECS1(R2))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"record scope, a list", .c = {GR(.grantee = DOC_B, RECS2(R2, RB))},
     REQ(DOC_B, R2, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"record scope, a list, another record", .c = {GR(.grantee = DOC_B, RECS2(R2, RB))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"record scope covers an amendment through its root", .c = {GR(.grantee = DOC_B, RECS1(R1))},
     REQ(DOC_B, R1A, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"superseded record decided like its amendment", .c = {GR(.grantee = DOC_B, RECS1(R1))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"record scope on an amendment covers it", .c = {GR(.grantee = DOC_B, RECS1(R1A))},
     REQ(DOC_B, R1A, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"record scope on an amendment leaves the original", .c = {GR(.grantee = DOC_B, RECS1(R1A))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"category scope, superseded record", .c = {GR(.grantee = DOC_B, CATS("lab"))},
     REQ(DOC_B, R1A, P_TREAT, A_META, T), WANT(PERMIT_GRANT, BC(0))},
    {"purpose mismatch", .c = {GR(.grantee = DOC_B)},
     REQ(DOC_B, R1, P_HPAYMT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"purpose among several", .c = {GR(.grantee = DOC_B, .purposes = P_TREAT | P_HPAYMT)},
     REQ(DOC_B, R1, P_HPAYMT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"action mismatch", .c = {GR(.grantee = DOC_B, .actions = A_META)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"action, metadata", .c = {GR(.grantee = DOC_B, .actions = A_META)},
     REQ(DOC_B, R1, P_TREAT, A_META, T), WANT(PERMIT_GRANT, BC(0))},
    {"every purpose and action", .c = {GR(.grantee = DOC_B, ALLP, ALLA)},
     REQ(DOC_B, R1, P_PUBHLTH, A_DEID, T), WANT(PERMIT_GRANT, BC(0))},
    {"window: t == not_before", .c = {GR(.grantee = DOC_B, WIN(T, T + 10))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"window: t == not_after - 1", .c = {GR(.grantee = DOC_B, WIN(T - 10, T + 1))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"window: t == not_after", .c = {GR(.grantee = DOC_B, WIN(T - 10, T))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPIRED, BC(0))},
    {"window: t < not_before", .c = {GR(.grantee = DOC_B, WIN(T + 1, T + 10))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_NOT_YET, BC(0))},
    {"window: one ms wide", .c = {GR(.grantee = DOC_B, WIN(T, T + 1))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"revoked grant", .c = {GR(.grantee = DOC_B, .revoked = 1)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_REVOKED, BC(0))},
    {"revoked grant and an active one", .c = {GR(.grantee = DOC_B, .revoked = 1), GR(ORG, .grantee = O_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(1))},
    {"ended grant and an active one", .c = {GR(.grantee = DOC_B, WIN(T - 10, T)), GR(ORG, .grantee = O_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(1))},
    {"revoked before ended and not yet",
     .c = {GR(.grantee = DOC_B, WIN(T - 10, T)), GR(.grantee = DOC_B, WIN(T + 5, T + 10)),
     GR(.grantee = DOC_B, .revoked = 1)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_REVOKED, BC(2))},
    {"revoked and ended is revoked", .c = {GR(.grantee = DOC_B, .revoked = 1, WIN(T - 10, T))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_REVOKED, BC(0))},
    {"ended before not yet",
     .c = {GR(.grantee = DOC_B, WIN(T + 5, T + 10)), GR(.grantee = DOC_B, WIN(T - 10, T))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPIRED, BC(1))},
    {"two ended: the latest end",
     .c = {GR(.grantee = DOC_B, WIN(T - 100, T - 10)), GR(.grantee = DOC_B, WIN(T - 100, T - 50))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPIRED, BC(0))},
    {"two ended together: the smaller id",
     .c = {GR(.grantee = DOC_B, WIN(T - 100, T - 10)), GR(.grantee = DOC_B, WIN(T - 90, T - 10))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_EXPIRED, BC(1))},
    {"two not yet: the earliest start",
     .c = {GR(.grantee = DOC_B, WIN(T + 10, T + 99)), GR(.grantee = DOC_B, WIN(T + 50, T + 99))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_NOT_YET, BC(0))},
    {"two not yet together: the smaller id",
     .c = {GR(.grantee = DOC_B, WIN(T + 10, T + 99)), GR(.grantee = DOC_B, WIN(T + 10, T + 50))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_NOT_YET, BC(1))},
    {"two revoked: the smaller id",
     .c = {GR(.grantee = DOC_B, .revoked = 1), GR(ORG, .grantee = O_B, .revoked = 1)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_REVOKED, BC(1))},
    {"two active: the smaller id", .c = {GR(.grantee = DOC_B), GR(ORG, .grantee = O_B)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(1))},
    {"an ended grant of another purpose is no near miss",
     .c = {GR(.grantee = DOC_B, .purposes = P_HPAYMT, WIN(T - 10, T))},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"a revoked grant to someone else is no near miss", .c = {GR(.grantee = DOC_B2, .revoked = 1)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"another patient's grant", .c = {GR(.grantee = DOC_B, .other = 1)},
     REQ(DOC_B, R1, P_TREAT, A_READ, T), WANT(DENY_DEFAULT, 0)},
    {"another patient's grant, their record", .c = {GR(.grantee = DOC_B, .other = 1)},
     REQ(DOC_B, RP2, P_TREAT, A_READ, T), WANT(PERMIT_GRANT, BC(0))},
    {"nothing at all", REQ(DOC_B2, R2, P_HPAYMT, A_META, T), WANT(DENY_DEFAULT, 0)},
};
/* clang-format on */

/* ---- building the state ---------------------------------------------------------------------- */

static mc_id tp_pid[NPARTY];
static mc_hash tp_rid[NREC];
static mc_store *tp_store;
static char tp_dir[PATH_MAX];
static mc_store_txn *tp_live; /* the write transaction in use, if a failed test left one */

/* A write transaction on the suite's store (nothing of it is ever committed). */
static mc_store_txn *tp_begin(void)
{
    mc_store_abort(tp_live); /* a failed assertion jumps past the abort */
    tp_live = NULL;
    assert_ok(mc_store_begin(tp_store, 1, &tp_live));
    return tp_live;
}

static void tp_abort(mc_store_txn *txn)
{
    mc_store_abort(txn);
    tp_live = NULL;
}

static void tp_make_id(uint8_t out[32], const char *what, int i)
{
    char s[64];
    snprintf(s, sizeof s, "policy test %s %d", what, i);
    mc_hash h;
    mc_sha256(&h, s, strlen(s));
    memcpy(out, h.b, 32);
}

static void tp_consent_id(mc_hash *id, int row, int i)
{
    memset(id->b, 0x5c, 32);
    id->b[0] = (uint8_t)(0x80 - i); /* later consents have smaller ids */
    id->b[1] = (uint8_t)row;
    id->b[2] = (uint8_t)(row >> 8);
}

static void tp_emerg_id(mc_hash *id, int row, int i)
{
    memset(id->b, 0xe3, 32);
    id->b[0] = (uint8_t)(0x40 - i);
    id->b[1] = (uint8_t)row;
    id->b[2] = (uint8_t)(row >> 8);
}

/* Where the state goes: an index, or a store transaction. */
typedef struct {
    mc_policy_index *ix;
    mc_store_txn *txn;
} tp_sink;

static void tp_put_identity(const tp_sink *s, const mc_identity *idn)
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

static void tp_identity(mc_identity *idn, int p, uint32_t flip)
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

static void tp_record(mc_record *r, int i)
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

static void tp_consent_make(mc_consent *c, const tp_consent *s, int row, int i)
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

static void tp_emergency_make(mc_emergency *e, const tp_emerg *s, int row, int i)
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
static void tp_build(const tp_sink *s, const tp_row *r, int row)
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

typedef struct {
    mc_policy_index *ix;     /* filled by put_* */
    mc_policy_index *loaded; /* loaded from txn */
    mc_store_txn *txn;
    mc_policy_store_ctx *sctx;
    mc_policy_view v[3];
} tp_views;

static const char *tp_view_names[3] = {"index", "store", "loaded index"};

static void tp_views_open(tp_views *v, const tp_row *r, int row)
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

static void tp_views_close(tp_views *v)
{
    tp_abort(v->txn); /* nothing of a row stays in the store */
    free(v->sctx);
    mc_policy_index_free(v->ix);
    mc_policy_index_free(v->loaded);
}

static int tp_same(const mc_decision *a, const mc_decision *b)
{
    return a->permit == b->permit && a->reason == b->reason && a->has_basis == b->has_basis &&
           memcmp(a->basis.b, b->basis.b, 32) == 0;
}

static const char *tp_rname(int reason)
{
    const char *n = mc_reason_name(reason);
    return n ? n : "?";
}

/* Decides through every view; they must agree. @p d gets the decision. */
static void tp_decide3(tp_views *v, int who, int rec, uint32_t purpose, uint8_t action, uint64_t t,
                       mc_decision *d, const char *what)
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

static void test_table(void **state)
{
    (void)state;
    for (int row = 0; row < (int)MC_ARRAY_LEN(tp_rows); row++) {
        const tp_row *r = &tp_rows[row];
        tp_views v;
        tp_views_open(&v, r, row);
        mc_decision d;
        tp_decide3(&v, r->who, r->rec, r->purpose, r->action, r->t, &d, r->name);
        mc_hash want;
        memset(&want, 0, sizeof want);
        if (r->basis >= BE(0))
            tp_emerg_id(&want, row, r->basis - BE(0));
        else if (r->basis)
            tp_consent_id(&want, row, r->basis - BC(0));
        int ok = d.reason == r->reason && d.permit == (r->reason < MC_RSN_DENY_) &&
                 d.has_basis == (r->basis != 0) && memcmp(d.basis.b, want.b, 32) == 0;
        if (!ok) {
            print_error("row \"%s\": got %s%s (basis %02x), want %s (basis %02x)\n", r->name,
                        tp_rname(d.reason), d.permit ? " permit" : "", d.has_basis ? d.basis.b[0] : 0,
                        tp_rname(r->reason), r->basis ? want.b[0] : 0);
            fail();
        }
        tp_views_close(&v);
    }
}

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

static int tp_setup(void **state)
{
    (void)state;
    for (int p = 0; p < NPARTY; p++) tp_make_id(tp_pid[p].b, "party", p);
    for (int i = 0; i < NREC; i++) tp_make_id(tp_rid[i].b, "record", i);
    mc_test_tmpdir(tp_dir);
    mc_store_opts o = {.map_size = 64u << 20};
    return mc_store_open(&tp_store, tp_dir, &o) == MC_OK ? 0 : -1;
}

static int tp_teardown(void **state)
{
    (void)state;
    tp_abort(tp_live);
    mc_store_close(tp_store);
    mc_test_rmtree(tp_dir);
    return 0;
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),         cmocka_unit_test(test_views_agree),
        cmocka_unit_test(test_index_updates), cmocka_unit_test(test_index_growth),
        cmocka_unit_test(test_bad_args),      cmocka_unit_test(test_view_errors),
        cmocka_unit_test(test_store_damage),
    };
    return cmocka_run_group_tests(tests, tp_setup, tp_teardown);
}
