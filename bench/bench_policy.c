/*
 * Benchmark of the access decision over the in-memory policy index, on one core.
 *
 *   policy_decide         decisions per second: mc_policy_decide over the index view for a
 *                         realistic mix of 1,048,576 requests (every permit and deny reason),
 *                         with 100,000 patients, 1,000,000 grants and denies, 500,000 records
 *   policy_decide_batch   the same requests through mc_policy_decide_many, 64 at a time: the
 *                         index is told of each request a few decisions ahead, so that the
 *                         memory loads of the next ones overlap the current decision
 *   policy_decide_active  the same mix about 2,000 "active" patients only (a hospital's
 *                         inpatients and the day's visits): their entries stay in the CPU's
 *                         caches, so this is the decision's cost without memory latency
 *   policy_decide_p99_ns  99th percentile of one decision (a sample of single decisions, each
 *                         timed with the monotonic clock; the clock's own cost is reported)
 *
 * The state is made by a seeded generator (the same every run) and put through the index's
 * put_* API: 46 orgs (40 hospitals, one of them revoked, 4 research, 2 regulators), 20,000
 * providers with role/dept attributes (10% of physicians emergency=true, 1% revoked), nodes,
 * auditors, researchers; about 10 grants per patient (identity, org and selector grantees; all,
 * category and record-id scopes; 5% denies, 5% revoked; windows of 30 days to 3 years that
 * began up to 2 years ago, 5% not yet begun), 5 records per patient (some amendments), 5%
 * of patients with a delegate, 5,000 break-glass windows.
 *
 * Names select figures; "policy_decide" (or none) runs them all. One JSON object per line:
 * {"name","value","unit",...}. Median of --runs runs (default 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "medchain/crypto.h"
#include "medchain/policy.h"

#define BP_PATIENTS    100000u
#define BP_GRANTS_PER  10u /* per patient: 1,000,000 in all */
#define BP_RECORDS_PER 5u
#define BP_HOSPITALS   40u
#define BP_RESEARCH    4u
#define BP_REGULATORS  2u
#define BP_ORGS        (BP_HOSPITALS + BP_RESEARCH + BP_REGULATORS)
#define BP_PROVIDERS   20000u
#define BP_RESEARCHERS 400u
#define BP_AUDITORS    40u
#define BP_EMERGENCIES 5000u
#define BP_REQUESTS    (1u << 20)
#define BP_SAMPLES     200000u
#define BP_NOW         1700000000000ull /* ms */
#define BP_DAY         (24ull * 3600 * 1000)

static const char *const bp_cats[] = {"allergy", "discharge",  "genomics",      "imaging", "immunization",
                                      "lab",     "medication", "mental-health", "notes",   "pathology"};
static const char *const bp_roles[] = {"nurse", "pharmacist", "physician", "therapist"};
static const char *const bp_depts[] = {"cardiology", "emergency", "general", "oncology",
                                       "pediatrics", "radiology", "surgery"};

/* ---- a seeded generator ------------------------------------------------------------------ */

static uint64_t bp_rng = 0x6d656463686169ull;

static uint64_t bp_rand(void)
{
    uint64_t z = (bp_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t bp_below(uint32_t n)
{
    return (uint32_t)(bp_rand() % n);
}

static int bp_pct(uint32_t p)
{
    return bp_below(100) < p;
}

static void bp_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = bp_rand();
        memcpy(p + i, &v, n - i < 8 ? n - i : 8);
    }
}

/* A random set bit of @p set. */
static uint32_t bp_bit(uint32_t set)
{
    uint32_t bits[32], n = 0;
    for (uint32_t i = 0; i < 32; i++)
        if (set & (1u << i)) bits[n++] = 1u << i;
    return n ? bits[bp_below(n)] : 0;
}

/* ---- the population ---------------------------------------------------------------------- */

typedef struct {
    uint8_t gk, sk, ncats, nrecs;
    uint8_t cats[3], recs[3]; /* category indices; the patient's record numbers */
    uint32_t grantee;         /* provider, researcher or org index */
    uint32_t purposes;
    uint8_t actions;
} bp_grant;

typedef struct {
    mc_id org[BP_ORGS], node[BP_ORGS], prov[BP_PROVIDERS], res[BP_RESEARCHERS], aud[BP_AUDITORS];
    uint32_t prov_org[BP_PROVIDERS], res_org[BP_RESEARCHERS];
    uint8_t prov_role[BP_PROVIDERS], prov_dept[BP_PROVIDERS], prov_er[BP_PROVIDERS],
        prov_revoked[BP_PROVIDERS];
    uint32_t org_first[BP_ORGS], org_nprov[BP_ORGS]; /* providers are numbered by org */
    mc_id *pat;                                      /* BP_PATIENTS */
    uint32_t *pat_home, *pat_delegate;               /* delegate: patient index + 1, 0 none */
    mc_hash *rec;                                    /* BP_PATIENTS * BP_RECORDS_PER */
    uint32_t *rec_org;
    bp_grant *grants; /* BP_PATIENTS * BP_GRANTS_PER */
    mc_emergency em[BP_EMERGENCIES];
    uint32_t em_patient[BP_EMERGENCIES];
} bp_world;

static int bp_check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "bench_policy: %s: %s\n", what, mc_strerror(rc));
        exit(1);
    }
    return rc;
}

static void bp_put_identity(mc_policy_index *ix, const mc_id *id, uint8_t kind, const mc_id *org, int revoked,
                            const char *attrs)
{
    mc_identity idn;
    memset(&idn, 0, sizeof idn);
    idn.id = *id;
    idn.kind = kind;
    idn.status = revoked ? MC_ID_REVOKED : MC_ID_ACTIVE;
    idn.org = *org;
    bp_check(mc_attrs_parse(&idn.attrs, attrs), "attributes");
    bp_check(mc_policy_index_put_identity(ix, &idn), "put identity");
}

static void bp_parties(bp_world *w, mc_policy_index *ix)
{
    char attrs[256];
    for (uint32_t o = 0; o < BP_ORGS; o++) {
        bp_fill(w->org[o].b, 32);
        bp_fill(w->node[o].b, 32);
        const char *type = o < BP_HOSPITALS                 ? "hospital"
                           : o < BP_HOSPITALS + BP_RESEARCH ? "research"
                                                            : "regulator";
        snprintf(attrs, sizeof attrs, "type=%s", type);
        bp_put_identity(ix, &w->org[o], MC_ID_ORG, &w->org[o], o == 7, attrs); /* one hospital revoked */
        bp_put_identity(ix, &w->node[o], MC_ID_NODE, &w->org[o], 0, "");
    }
    for (uint32_t i = 0; i < BP_PROVIDERS; i++) {
        uint32_t o = i / (BP_PROVIDERS / BP_HOSPITALS);
        if (i % (BP_PROVIDERS / BP_HOSPITALS) == 0) w->org_first[o] = i;
        w->org_nprov[o]++;
        bp_fill(w->prov[i].b, 32);
        w->prov_org[i] = o;
        w->prov_role[i] = (uint8_t)bp_below(MC_ARRAY_LEN(bp_roles));
        w->prov_dept[i] = (uint8_t)bp_below(MC_ARRAY_LEN(bp_depts));
        w->prov_er[i] = w->prov_role[i] == 2 && bp_pct(10);
        w->prov_revoked[i] = bp_pct(1);
        snprintf(attrs, sizeof attrs, "dept=%s,%srole=%s", bp_depts[w->prov_dept[i]],
                 w->prov_er[i] ? "emergency=true," : "", bp_roles[w->prov_role[i]]);
        bp_put_identity(ix, &w->prov[i], MC_ID_PROVIDER, &w->org[o], w->prov_revoked[i], attrs);
    }
    for (uint32_t i = 0; i < BP_RESEARCHERS; i++) {
        bp_fill(w->res[i].b, 32);
        w->res_org[i] = BP_HOSPITALS + i % BP_RESEARCH;
        bp_put_identity(ix, &w->res[i], MC_ID_RESEARCHER, &w->org[w->res_org[i]], 0, "");
    }
    for (uint32_t i = 0; i < BP_AUDITORS; i++) {
        bp_fill(w->aud[i].b, 32);
        bp_put_identity(ix, &w->aud[i], MC_ID_AUDITOR,
                        &w->org[BP_HOSPITALS + BP_RESEARCH + i % BP_REGULATORS], 0, "");
    }
}

/* One of the hospitals a patient is treated at: home most of the time. */
static uint32_t bp_care_org(const bp_world *w, uint32_t p)
{
    return bp_pct(60) ? w->pat_home[p] : (w->pat_home[p] + 1 + bp_below(3)) % BP_HOSPITALS;
}

static void bp_patients(bp_world *w, mc_policy_index *ix)
{
    mc_record r;
    memset(&r, 0, sizeof r);
    for (uint32_t p = 0; p < BP_PATIENTS; p++) {
        bp_fill(w->pat[p].b, 32);
        w->pat_home[p] = bp_below(BP_HOSPITALS);
        bp_put_identity(ix, &w->pat[p], MC_ID_PATIENT, &w->org[w->pat_home[p]], 0, "");
        for (uint32_t k = 0; k < BP_RECORDS_PER; k++) {
            uint32_t i = p * BP_RECORDS_PER + k;
            bp_fill(w->rec[i].b, 32);
            w->rec_org[i] = bp_care_org(w, p);
            r.id = w->rec[i];
            r.patient = w->pat[p];
            r.author_org = w->org[w->rec_org[i]];
            r.custodian = r.author_org;
            snprintf(r.category, sizeof r.category, "%s", bp_cats[bp_below(MC_ARRAY_LEN(bp_cats))]);
            /* the last record amends the first one time in five */
            r.root = k == BP_RECORDS_PER - 1 && bp_pct(20) ? w->rec[p * BP_RECORDS_PER] : r.id;
            bp_check(mc_policy_index_put_record(ix, &r), "put record");
        }
    }
    for (uint32_t p = 0; p < BP_PATIENTS; p++) {
        w->pat_delegate[p] = 0;
        if (!bp_pct(5)) continue;
        uint32_t d = bp_below(BP_PATIENTS);
        int active = !bp_pct(20);
        bp_check(mc_policy_index_put_delegate(ix, &w->pat[p], &w->pat[d], 1), "put delegate");
        if (!active) bp_check(mc_policy_index_put_delegate(ix, &w->pat[p], &w->pat[d], 0), "put delegate");
        w->pat_delegate[p] = d + 1;
    }
}

static int bp_cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void bp_grants(bp_world *w, mc_policy_index *ix)
{
    static const uint32_t purposes[] = {MC_PURPOSE_TREAT,
                                        MC_PURPOSE_TREAT,
                                        MC_PURPOSE_TREAT,
                                        MC_PURPOSE_TREAT | MC_PURPOSE_HOPERAT,
                                        MC_PURPOSE_TREAT | MC_PURPOSE_ETREAT,
                                        MC_PURPOSE_HPAYMT,
                                        MC_PURPOSE_PUBHLTH};
    static const uint8_t actions[] = {
        MC_ACTION_READ | MC_ACTION_READ_META, MC_ACTION_READ | MC_ACTION_READ_META,
        MC_ACTION_READ | MC_ACTION_READ_META, MC_ACTION_READ_META, MC_ACTION_READ};
    mc_consent *c = calloc(1, sizeof *c);
    if (!c) bp_check(MC_ENOMEM, "grants");
    for (uint32_t p = 0; p < BP_PATIENTS; p++) {
        for (uint32_t k = 0; k < BP_GRANTS_PER; k++) {
            bp_grant *g = &w->grants[p * BP_GRANTS_PER + k];
            mc_body_consent *b = &c->body;
            memset(g, 0, sizeof *g);
            bp_fill(c->id.b, 32);
            c->deny = bp_pct(5);
            c->status = MC_CONSENT_ACTIVE;
            b->patient = w->pat[p];
            b->selector.n = 0;
            b->ncats = b->nrecords = 0;
            g->purposes = purposes[bp_below(MC_ARRAY_LEN(purposes))];
            g->actions = actions[bp_below(MC_ARRAY_LEN(actions))];
            uint32_t kind = bp_below(100), o = bp_care_org(w, p);
            if (kind < 45) { /* a clinician */
                g->gk = MC_GRANTEE_IDENTITY;
                g->grantee = w->org_first[o] + bp_below(w->org_nprov[o]);
                b->grantee = w->prov[g->grantee];
            } else if (kind < 50) { /* research: de-identified only */
                g->gk = bp_pct(50) ? MC_GRANTEE_IDENTITY : MC_GRANTEE_ORG;
                g->grantee =
                    g->gk == MC_GRANTEE_ORG ? BP_HOSPITALS + bp_below(BP_RESEARCH) : bp_below(BP_RESEARCHERS);
                b->grantee = g->gk == MC_GRANTEE_ORG ? w->org[g->grantee] : w->res[g->grantee];
                g->purposes = MC_PURPOSE_HRESCH;
                g->actions = MC_ACTION_READ_DEID;
            } else if (kind < 80) {
                g->gk = MC_GRANTEE_ORG;
                g->grantee = o;
                b->grantee = w->org[o];
            } else { /* "role=physician", "dept=X" or both */
                g->gk = MC_GRANTEE_SELECTOR;
                g->grantee = o;
                b->grantee = w->org[o];
                uint32_t form = bp_below(3), d = bp_below(MC_ARRAY_LEN(bp_depts));
                char sel[128];
                snprintf(sel, sizeof sel,
                         form == 0   ? "role=physician"
                         : form == 1 ? "dept=%s"
                                     : "dept=%s,role=physician",
                         bp_depts[d]);
                bp_check(mc_attrs_parse(&b->selector, sel), "selector");
            }
            uint32_t scope = bp_below(100);
            if (scope < 40) {
                g->sk = MC_SCOPE_ALL;
            } else if (scope < 80) {
                g->sk = MC_SCOPE_CATEGORIES;
                uint32_t first = bp_below(MC_ARRAY_LEN(bp_cats)), n = 1 + bp_below(3);
                for (uint32_t i = 0; i < n && first + i < MC_ARRAY_LEN(bp_cats); i++) { /* sorted */
                    g->cats[g->ncats++] = (uint8_t)(first + i);
                    snprintf(b->cats[b->ncats++], sizeof b->cats[0], "%s", bp_cats[first + i]);
                }
            } else {
                g->sk = MC_SCOPE_RECORDS;
                uint32_t first = bp_below(BP_RECORDS_PER), n = 1 + bp_below(3);
                for (uint32_t i = 0; i < n && first + i < BP_RECORDS_PER; i++) {
                    g->recs[g->nrecs++] = (uint8_t)(first + i);
                    b->records[b->nrecords++] = w->rec[p * BP_RECORDS_PER + first + i];
                }
                qsort(b->records, b->nrecords, sizeof b->records[0], bp_cmp_hash);
            }
            b->grantee_kind = g->gk;
            b->scope_kind = g->sk;
            b->purposes = g->purposes;
            b->actions = g->actions;
            if (bp_pct(5)) { /* begins within the month */
                b->not_before = BP_NOW + BP_DAY * (1 + bp_below(30));
            } else {
                b->not_before = BP_NOW - (uint64_t)bp_below(730) * BP_DAY - bp_below(86400000);
            }
            b->not_after = b->not_before + BP_DAY * (30 + bp_below(3 * 365 - 30));
            bp_check(mc_policy_index_put_consent(ix, c), "put consent");
            if (bp_pct(5)) { /* revoked later: put again */
                c->status = MC_CONSENT_REVOKED;
                bp_check(mc_policy_index_put_consent(ix, c), "put consent again");
            }
        }
    }
    free(c);
}

static void bp_emergencies(bp_world *w, mc_policy_index *ix)
{
    uint32_t er[BP_PROVIDERS], ner = 0;
    for (uint32_t i = 0; i < BP_PROVIDERS; i++)
        if (w->prov_er[i]) er[ner++] = i;
    for (uint32_t i = 0; i < BP_EMERGENCIES; i++) {
        mc_emergency *e = &w->em[i];
        uint32_t who = er[bp_below(ner)];
        bp_fill(e->id.b, 32);
        w->em_patient[i] = bp_below(BP_PATIENTS);
        e->patient = w->pat[w->em_patient[i]];
        e->provider = w->prov[who];
        e->provider_org = w->org[w->prov_org[who]];
        e->start_ms = BP_NOW - bp_below(36 * 3600) * 1000ull;
        e->end_ms = e->start_ms + (1 + bp_below(24)) * 3600 * 1000ull;
        bp_check(mc_policy_index_put_emergency(ix, e), "put emergency");
    }
}

/* ---- the requests ------------------------------------------------------------------------- */

typedef mc_policy_request bp_req; /* requester, record, purpose, action */

static uint32_t bp_record_of(uint32_t p)
{
    return p * BP_RECORDS_PER + bp_below(BP_RECORDS_PER);
}

/* A request someone would make of a grant: its grantee (or a colleague), in its scope, for it. */
/* The patients requests are about: all of them, or only the first bp_active (0: all). */
static uint32_t bp_active;

static uint32_t bp_patient(void)
{
    return bp_below(bp_active ? bp_active : BP_PATIENTS);
}

static void bp_req_grant(const bp_world *w, bp_req *q)
{
    uint32_t p = bp_patient();
    const bp_grant *g = &w->grants[p * BP_GRANTS_PER + bp_below(BP_GRANTS_PER)];
    if (g->gk == MC_GRANTEE_IDENTITY)
        q->requester = g->purposes == MC_PURPOSE_HRESCH ? w->res[g->grantee] : w->prov[g->grantee];
    else if (g->grantee >= BP_HOSPITALS)
        q->requester =
            w->res[(g->grantee - BP_HOSPITALS) + BP_RESEARCH * bp_below(BP_RESEARCHERS / BP_RESEARCH)];
    else
        q->requester = w->prov[w->org_first[g->grantee] + bp_below(w->org_nprov[g->grantee])];
    uint32_t r = bp_record_of(p);
    if (g->sk == MC_SCOPE_RECORDS) r = p * BP_RECORDS_PER + g->recs[bp_below(g->nrecs)];
    q->record = w->rec[r];
    q->purpose = bp_bit(g->purposes);
    q->action = (uint8_t)bp_bit(g->actions);
}

static void bp_requests(const bp_world *w, bp_req *reqs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        bp_req *q = &reqs[i];
        uint32_t kind = bp_below(100), p = bp_patient(), r = bp_record_of(p);
        q->record = w->rec[r];
        q->purpose = MC_PURPOSE_TREAT;
        q->action = MC_ACTION_READ;
        if (kind < 35) {
            bp_req_grant(w, q);
        } else if (kind < 50) { /* the authoring org's staff */
            uint32_t o = w->rec_org[r];
            q->requester = bp_pct(90) ? w->prov[w->org_first[o] + bp_below(w->org_nprov[o])] : w->node[o];
            q->purpose = bp_pct(80) ? MC_PURPOSE_TREAT : MC_PURPOSE_HOPERAT;
            q->action = bp_pct(70) ? MC_ACTION_READ : MC_ACTION_READ_META;
        } else if (kind < 65) { /* anyone, anything: mostly nothing permits it */
            q->requester = w->prov[bp_below(BP_PROVIDERS)];
            q->purpose = 1u << bp_below(7);
            q->action = (uint8_t)(1u << bp_below(3));
        } else if (kind < 70) {
            q->requester = w->pat[p];
            q->purpose = MC_PURPOSE_PATRQT;
        } else if (kind < 73) { /* a delegate, named or removed, or someone who never was */
            q->requester =
                w->pat_delegate[p] ? w->pat[w->pat_delegate[p] - 1] : w->pat[bp_below(BP_PATIENTS)];
        } else if (kind < 78) {
            q->requester = w->aud[bp_below(BP_AUDITORS)];
            q->purpose = MC_PURPOSE_HOPERAT;
            q->action = bp_pct(70) ? MC_ACTION_READ_META : MC_ACTION_READ;
        } else if (kind < 85) {
            q->requester = w->res[bp_below(BP_RESEARCHERS)];
            q->purpose = MC_PURPOSE_HRESCH;
            q->action = bp_pct(70) ? MC_ACTION_READ_DEID : MC_ACTION_READ;
        } else if (kind < 92) { /* break-glass: open, ended, or by someone who holds none */
            uint32_t e = bp_below(BP_EMERGENCIES);
            q->requester = w->em[e].provider;
            q->record = w->rec[bp_record_of(w->em_patient[e])];
            q->purpose = MC_PURPOSE_ETREAT;
        } else if (kind < 95) { /* unknown requester or record */
            q->requester = w->prov[bp_below(BP_PROVIDERS)];
            bp_fill(bp_pct(50) ? q->requester.b : q->record.b, 32);
        } else if (kind < 98) { /* no single purpose */
            q->requester = w->prov[bp_below(BP_PROVIDERS)];
            q->purpose = bp_pct(50) ? 0 : MC_PURPOSE_TREAT | MC_PURPOSE_HPAYMT;
        } else { /* a revoked provider, or one of the revoked org */
            uint32_t k;
            do k = bp_below(BP_PROVIDERS);
            while (!w->prov_revoked[k] && w->prov_org[k] != 7);
            q->requester = w->prov[k];
        }
    }
}

/* ---- measuring ---------------------------------------------------------------------------- */

static int bp_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double bp_pctile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, bp_cmp_double);
    return n ? v[(size_t)(p * (double)(n - 1) + 0.5)] : 0;
}

/* One pass over every request; @return decisions per second. */
static double bp_run(const mc_policy_view *v, const bp_req *reqs, uint32_t n, uint32_t *reasons)
{
    mc_decision d;
    uint64_t t0 = mc_time_mono_ns();
    for (uint32_t i = 0; i < n; i++) {
        const bp_req *q = &reqs[i];
        if (mc_policy_decide(v, &q->requester, &q->record, q->purpose, q->action, BP_NOW, &d))
            bp_check(MC_EINVAL, "decide");
        reasons[d.reason & 127]++;
    }
    return (double)n / ((double)(mc_time_mono_ns() - t0) / 1e9);
}

/* The same, @p batch requests per call of mc_policy_decide_many. */
static double bp_run_batch(const mc_policy_view *v, const bp_req *reqs, uint32_t n, uint32_t batch)
{
    mc_decision d[256];
    uint64_t t0 = mc_time_mono_ns();
    for (uint32_t i = 0; i < n; i += batch)
        if (mc_policy_decide_many(v, &reqs[i], n - i < batch ? n - i : batch, BP_NOW, d))
            bp_check(MC_EINVAL, "decide");
    return (double)n / ((double)(mc_time_mono_ns() - t0) / 1e9);
}

/* @p runs passes over every request (one by one, or @p batch at a time), one line: the median. */
static void bp_measure(const char *name, const mc_policy_view *v, const bp_req *reqs, uint32_t batch,
                       int runs, const char *extra)
{
    double rates[15];
    uint32_t reasons[128];
    for (int r = 0; r < runs; r++)
        rates[r] = batch ? bp_run_batch(v, reqs, BP_REQUESTS, batch) : bp_run(v, reqs, BP_REQUESTS, reasons);
    double med = bp_pctile(rates, (size_t)runs, 0.5);
    printf("{\"name\":\"%s\",\"value\":%.0f,\"unit\":\"decisions/s\",\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
           "\"cores\":1,\"requests\":%u,%s}\n",
           name, med, runs, rates[0], rates[runs - 1], BP_REQUESTS, extra);
    fflush(stdout);
}

static const char *bp_names[16];
static int bp_nnames;

/* With no names given every figure is wanted; "policy_decide" brings all of its family. */
static int bp_wanted(const char *name)
{
    for (int i = 0; i < bp_nnames; i++)
        if (!strcmp(bp_names[i], name) || !strcmp(bp_names[i], "policy_decide")) return 1;
    return bp_nnames == 0;
}

int main(int argc, char **argv)
{
    int runs = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if ((!strcmp(argv[i], "--clients") || !strcmp(argv[i], "--per") ||
                  !strcmp(argv[i], "--requests") || !strcmp(argv[i], "--set") ||
                  !strcmp(argv[i], "--nodes")) &&
                 i + 1 < argc)
            i++; /* bench_chain's: scripts/bench passes every flag to both */
        else if (argv[i][0] != '-' && bp_nnames < 16)
            bp_names[bp_nnames++] = argv[i];
        else {
            fprintf(stderr, "usage: bench_policy [--runs N] [policy_decide] [policy_decide_batch] "
                            "[policy_decide_p99_ns]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 15) {
        fprintf(stderr, "bench_policy: --runs 1..15\n");
        return 2;
    }
    if (!bp_wanted("policy_decide") && !bp_wanted("policy_decide_batch") &&
        !bp_wanted("policy_decide_active") && !bp_wanted("policy_decide_p99_ns"))
        return 0;
    if (mc_crypto_init()) return 1;

    bp_world *w = calloc(1, sizeof *w);
    if (!w) return 1;
    w->pat = calloc(BP_PATIENTS, sizeof *w->pat);
    w->pat_home = calloc(BP_PATIENTS, sizeof *w->pat_home);
    w->pat_delegate = calloc(BP_PATIENTS, sizeof *w->pat_delegate);
    w->rec = calloc((size_t)BP_PATIENTS * BP_RECORDS_PER, sizeof *w->rec);
    w->rec_org = calloc((size_t)BP_PATIENTS * BP_RECORDS_PER, sizeof *w->rec_org);
    w->grants = calloc((size_t)BP_PATIENTS * BP_GRANTS_PER, sizeof *w->grants);
    bp_req *reqs = calloc(BP_REQUESTS, sizeof *reqs);
    if (!w->pat || !w->pat_home || !w->pat_delegate || !w->rec || !w->rec_org || !w->grants || !reqs)
        return 1;

    mc_policy_index *ix;
    uint64_t t0 = mc_time_mono_ns();
    bp_check(mc_policy_index_new(&ix), "index");
    bp_parties(w, ix);
    bp_patients(w, ix);
    bp_grants(w, ix);
    bp_emergencies(w, ix);
    double build_s = (double)(mc_time_mono_ns() - t0) / 1e9;
    bp_requests(w, reqs, BP_REQUESTS);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    mc_policy_view v;
    mc_policy_index_view(&v, ix);
    uint32_t reasons[128] = {0};
    bp_run(&v, reqs, BP_REQUESTS, reasons); /* warm-up; counts the mix */
    uint32_t permits = 0;
    for (int r = 1; r < MC_RSN_DENY_; r++) permits += reasons[r];

    if (bp_wanted("policy_decide")) {
        char extra[256];
        snprintf(extra, sizeof extra,
                 "\"patients\":%u,\"grants\":%u,\"records\":%u,\"permit_share\":%.3f,\"build_s\":%.1f,"
                 "\"max_rss_mb\":%ld",
                 BP_PATIENTS, BP_PATIENTS * BP_GRANTS_PER, BP_PATIENTS * BP_RECORDS_PER,
                 (double)permits / BP_REQUESTS, build_s, ru.ru_maxrss / 1024);
        bp_measure("policy_decide", &v, reqs, 0, runs, extra);
        printf("{\"name\":\"policy_decide_mix\",\"unit\":\"share of requests\"");
        for (int r = 1; r < 128; r++)
            if (reasons[r]) printf(",\"%s\":%.3f", mc_reason_name(r), (double)reasons[r] / BP_REQUESTS);
        printf("}\n");
        fflush(stdout);
    }
    if (bp_wanted("policy_decide_batch"))
        bp_measure("policy_decide_batch", &v, reqs, 64, runs, "\"batch\":64");
    if (bp_wanted("policy_decide_active")) {
        bp_req *act = calloc(BP_REQUESTS, sizeof *act);
        if (!act) return 1;
        bp_active = 2000;
        bp_requests(w, act, BP_REQUESTS);
        bp_active = 0;
        bp_run(&v, act, BP_REQUESTS, reasons); /* warm-up */
        bp_measure("policy_decide_active", &v, act, 0, runs, "\"active_patients\":2000");
        free(act);
    }
    if (bp_wanted("policy_decide_p99_ns")) {
        double *lat = calloc(BP_SAMPLES, sizeof *lat), *clk = calloc(BP_SAMPLES, sizeof *clk);
        if (!lat || !clk) return 1;
        mc_decision d;
        for (uint32_t i = 0; i < BP_SAMPLES; i++) {
            const bp_req *q = &reqs[(uint32_t)(bp_rand() % BP_REQUESTS)];
            uint64_t a = mc_time_mono_ns();
            if (mc_policy_decide(&v, &q->requester, &q->record, q->purpose, q->action, BP_NOW, &d)) return 1;
            lat[i] = (double)(mc_time_mono_ns() - a);
            a = mc_time_mono_ns();
            clk[i] = (double)(mc_time_mono_ns() - a);
        }
        printf("{\"name\":\"policy_decide_p99_ns\",\"value\":%.0f,\"unit\":\"ns\",\"p50_ns\":%.0f,\"p999_"
               "ns\":%.0f,"
               "\"max_ns\":%.0f,\"samples\":%u,\"clock_p50_ns\":%.0f}\n",
               bp_pctile(lat, BP_SAMPLES, 0.99), bp_pctile(lat, BP_SAMPLES, 0.5),
               bp_pctile(lat, BP_SAMPLES, 0.999), bp_pctile(lat, BP_SAMPLES, 1), BP_SAMPLES,
               bp_pctile(clk, BP_SAMPLES, 0.5));
        free(lat);
        free(clk);
    }
    mc_policy_index_free(ix);
    free(reqs);
    free(w->pat);
    free(w->pat_home);
    free(w->pat_delegate);
    free(w->rec);
    free(w->rec_org);
    free(w->grants);
    free(w);
    return 0;
}
