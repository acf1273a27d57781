/*
 * Integration tests of the record, consent and access routes (docs/api.md, "Records, consent
 * and access") against a real medchaind over HTTP: identities, a record, a grant and a
 * delegation put on the chain with real transactions; what the owner, a grantee, a stranger, a
 * delegate and an auditor each see; logged reads (permitted, refused, wrong target, wrong
 * custodian) and where they show up; the event stream, its resumption without loss or
 * repetition, a live event, and a prompt SIGTERM with a stream open. Then the holes a security
 * review found: record, consent and access transactions shown to anyone by /v1/tx, /v1/proofs
 * and /v1/blocks; a patient taken for a member of the org that enrolled it; decisions made at
 * the caller's signed time; and an org's revocation ignored for its auditors and delegates, and
 * researchers given full lists as delegates.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "testnet.h"

#define IT_MAX_EVENTS 16

/* An identity made by the test: its keys, and the same as a client signs with (borrowed by
 * every client made for it, so it lives as long as the world). */
typedef struct {
    mc_test_key t;
    mc_keys k;
} it_who;

typedef struct {
    tn_chain c;
    mc_keys org, hosp1, regulator; /* founding orgs: the node's, another hospital, a regulator */
    mc_keys research;              /* and a research institute */
    it_who provider, patient;      /* org 0: the record's author; the patient */
    it_who grantee, stranger;      /* org 1 providers: one with a grant, one without */
    it_who delegate, auditor;      /* org 1 provider named delegate; the regulator's auditor */
    uint64_t org_nonce, hosp1_nonce, reg_nonce, research_nonce; /* their last transaction nonces */
    uint64_t patient_nonce, provider_nonce;
    mc_hash rid;       /* a record held by org 0 (this node's org) */
    mc_hash rid_other; /* a record held by org 1: this node may not log its reads */
    mc_hash anchor;    /* the transaction that anchored rid */
    mc_hash grant, delegation;
    char zpid[65], zrid[65], zgid[65], zsid[65], zcid[65]; /* hex: patient, rid, grantee, stranger, grant */
    mc_buf r;                                              /* the last answer */
} it_world;

static void it_hex(char out[65], const void *b)
{
    mc_hex_encode(out, b, 32);
}

static mc_http *it_client(it_world *w, const it_who *who)
{
    mc_http *h = tn_client(&w->c, &who->k);
    assert_non_null(h);
    return h;
}

static long it_req(mc_http *h, const char *method, const char *path, mc_buf *resp)
{
    long st = 0;
    int rc = mc_http_request(h, method, path, NULL, 0, &st, resp);
    return rc ? -rc : st;
}

/* Signs one transaction as @p signer and posts it with wait=committed; it must apply OK. */
static void it_commit(it_world *w, const mc_keys *signer, uint64_t nonce, uint16_t kind, const mc_buf *body,
                      mc_hash *id)
{
    mc_buf tx, resp;
    mc_id sid;
    mc_hash tid;
    memcpy(sid.b, signer->id.b, 32);
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 1u << 20);
    assert_int_equal(
        mc_tx_build(&tx, &tid, &w->c.chain, &sid, nonce, kind, body->p, body->n, &signer->sign_sk), MC_OK);
    mc_http *h = tn_client(&w->c, signer);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &resp), 200);
    if (!strstr((char *)resp.p, "\"result\":\"OK\"")) fail_msg("transaction not applied: %s", (char *)resp.p);
    if (id) *id = tid;
    mc_http_free(h);
    mc_buf_free(&tx);
    mc_buf_free(&resp);
}

static void it_register_attrs(it_world *w, mc_keys *org, uint64_t *nonce, uint8_t kind, const char *attrs,
                              it_who *who)
{
    mc_buf body;
    mc_id oid;
    const mc_test_key *k = &who->t;
    mc_test_key_new(&who->t);
    memset(&who->k, 0, sizeof who->k);
    memcpy(who->k.id.b, k->id.b, 32);
    who->k.sign_sk = k->sk;
    memcpy(oid.b, org->id.b, 32);
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(
        mc_test_body_register(&body, kind, &oid, k, attrs, kind == MC_ID_PATIENT ? k : NULL, &w->c.chain),
        MC_OK);
    it_commit(w, org, ++*nonce, MC_TX_IDENTITY_REGISTER, &body, NULL);
    mc_buf_free(&body);
}

static void it_register(it_world *w, mc_keys *org, uint64_t *nonce, uint8_t kind, it_who *who)
{
    it_register_attrs(w, org, nonce, kind, NULL, who);
}

static void it_anchor(it_world *w, const mc_keys *custodian, mc_hash *rid, mc_hash *anchor)
{
    mc_body_anchor *b = calloc(1, sizeof *b);
    mc_buf body;
    assert_non_null(b);
    mc_random(b->record.b, 32);
    b->patient = w->patient.t.id;
    memcpy(b->custodian.b, custodian->id.b, 32);
    snprintf(b->category, sizeof b->category, "lab");
    mc_random(b->cipher_hash.b, 32);
    mc_random(b->commitment.b, 32);
    b->size = 4096;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_body_anchor_encode(&body, b), MC_OK);
    it_commit(w, &w->provider.k, ++w->provider_nonce, MC_TX_RECORD_ANCHOR, &body, anchor);
    *rid = b->record;
    mc_buf_free(&body);
    free(b);
}

/* The patient grants (or denies) read and read_meta for TREAT on all its records to @p grantee
 * (an identity, an org, or an org's members with the attributes @p selector) until @p not_after. */
static void it_consent(it_world *w, uint16_t kind, uint8_t grantee_kind, const mc_id *grantee,
                       const char *selector, uint64_t not_after, mc_hash *id)
{
    mc_body_consent *b = calloc(1, sizeof *b);
    mc_buf body;
    assert_non_null(b);
    b->patient = w->patient.t.id;
    b->grantee_kind = grantee_kind;
    b->grantee = *grantee;
    if (selector) assert_int_equal(mc_attrs_parse(&b->selector, selector), MC_OK);
    b->scope_kind = MC_SCOPE_ALL;
    b->purposes = MC_PURPOSE_TREAT;
    b->actions = MC_ACTION_READ | MC_ACTION_READ_META;
    b->not_after = not_after;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_body_consent_encode(&body, b), MC_OK);
    it_commit(w, &w->patient.k, ++w->patient_nonce, kind, &body, id);
    mc_buf_free(&body);
    free(b);
}

/* The patient names (@p add) or removes a delegate. */
static void it_delegate(it_world *w, const it_who *who, int add, mc_hash *id)
{
    mc_buf body;
    mc_body_delegate d = {.patient = w->patient.t.id, .delegate = who->t.id, .add = add};
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_body_delegate_encode(&body, &d), MC_OK);
    it_commit(w, &w->patient.k, ++w->patient_nonce, MC_TX_CONSENT_DELEGATE, &body, id);
    mc_buf_free(&body);
}

static void it_grant_and_delegate(it_world *w)
{
    it_consent(w, MC_TX_CONSENT_GRANT, MC_GRANTEE_IDENTITY, &w->grantee.t.id, NULL,
               mc_time_now_ms() + 7ull * 24 * 3600 * 1000, &w->grant);
    it_delegate(w, &w->delegate, 1, &w->delegation);
}

/* A chain with org 2 a regulator and org 3 a research institute, the identities, two records,
 * a grant and a delegation. */
static it_world *it_world_new(void)
{
    it_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(tn_create(&w->c, 3, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_set_org_type(&w->c, 2, "regulator"), MC_OK);
    assert_int_equal(tn_set_org_type(&w->c, 3, "research"), MC_OK);
    assert_int_equal(tn_start(&w->c, NULL), MC_OK);
    w->org = w->c.org;
    w->hosp1 = w->c.clients[0];
    w->regulator = w->c.clients[1];
    w->research = w->c.clients[2];
    it_register(w, &w->org, &w->org_nonce, MC_ID_PROVIDER, &w->provider);
    it_register(w, &w->org, &w->org_nonce, MC_ID_PATIENT, &w->patient);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &w->grantee);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &w->stranger);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &w->delegate);
    it_register(w, &w->regulator, &w->reg_nonce, MC_ID_AUDITOR, &w->auditor);
    it_anchor(w, &w->org, &w->rid, &w->anchor);
    it_anchor(w, &w->hosp1, &w->rid_other, NULL);
    it_grant_and_delegate(w);
    it_hex(w->zpid, w->patient.t.id.b);
    it_hex(w->zrid, w->rid.b);
    it_hex(w->zgid, w->grantee.t.id.b);
    it_hex(w->zsid, w->stranger.t.id.b);
    it_hex(w->zcid, w->grant.b);
    mc_buf_init(&w->r, 4u << 20);
    return w;
}

/* Stops the node (it must stop cleanly) and removes everything. */
static void it_world_free(it_world *w)
{
    if (w->c.pid) assert_int_equal(tn_kill(&w->c, SIGTERM), 0);
    tn_destroy(&w->c);
    mc_buf_free(&w->r);
    free(w);
}

/* POST /v1/records/{rid}/access as @p who; returns the status. */
static long it_read(it_world *w, const it_who *who, const mc_hash *rid, mc_buf *resp)
{
    char target[160];
    assert_int_equal(mc_access_target(target, rid, MC_PURPOSE_TREAT, MC_ACTION_READ), MC_OK);
    mc_http *h = it_client(w, who);
    long st = it_req(h, "POST", target, resp);
    mc_http_free(h);
    return st;
}

static long it_get_as(it_world *w, const it_who *who, const char *path, mc_buf *resp)
{
    mc_http *h = it_client(w, who);
    long st = it_req(h, "GET", path, resp);
    if (st == 401) fprintf(stderr, "401 for %s: %s\n", path, (char *)resp->p);
    mc_http_free(h);
    return st;
}

static int it_has(const mc_buf *b, const char *s)
{
    return strstr((const char *)b->p, s) != NULL;
}

static int it_has_id(const mc_buf *b, const void *id)
{
    char hex[65];
    it_hex(hex, id);
    return it_has(b, hex);
}

static unsigned it_count(const mc_buf *b, const char *s)
{
    unsigned n = 0;
    for (const char *p = (const char *)b->p; (p = strstr(p, s)); p += strlen(s)) n++;
    return n;
}

/* The "next" cursor of a list answer, or "" when it is null. */
static void it_next(const mc_buf *b, char *out, size_t cap)
{
    const char *p = strstr((const char *)b->p, "\"next\":\"");
    out[0] = 0;
    if (!p) return;
    p += 8;
    size_t n = strcspn(p, "\"");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = 0;
}

static void test_who_sees_what(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    char path[320];

    /* the owner sees the summary across providers, the consents and the delegates */
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_true(it_has_id(&w->r, w->rid.b) && it_has_id(&w->r, w->rid_other.b));
    assert_true(it_has(&w->r, "\"category\":\"lab\"") && it_has(&w->r, "\"sensitivity\":\"N\""));
    /* a delegate sees the same; the grantee sees what its grant covers; a stranger nothing */
    assert_int_equal(it_get_as(w, &w->delegate, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"anchor_tx\""), 2);
    assert_int_equal(it_get_as(w, &w->grantee, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"anchor_tx\""), 2);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    snprintf(path, sizeof path, "/v1/patients/%s/records?limit=1", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    char next[80];
    it_next(&w->r, next, sizeof next);
    assert_int_equal(strlen(next), 64);
    snprintf(path, sizeof path, "/v1/patients/%s/records?limit=1&after=%s", w->zpid, next);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"anchor_tx\""), 1);
    assert_true(it_has(&w->r, "\"next\":null"));
    assert_false(it_has(&w->r, next));

    snprintf(path, sizeof path, "/v1/patients/%s/consents", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_true(it_has(&w->r, w->zcid) && it_has(&w->r, "\"type\":\"grant\"") &&
                it_has(&w->r, "\"purposes\":[\"TREAT\"]"));
    assert_int_equal(it_get_as(w, &w->grantee, path, &w->r), 200); /* it names the grantee */
    assert_true(it_has(&w->r, w->zcid));
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"consents\":[]"));
    snprintf(path, sizeof path, "/v1/consents/%s", w->zcid);
    assert_int_equal(it_get_as(w, &w->grantee, path, &w->r), 200);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 403);
    assert_true(it_has(&w->r, "EDENIED"));
    snprintf(path, sizeof path, "/v1/patients/%s/delegates", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_true(it_has_id(&w->r, w->delegate.t.id.b) && it_has(&w->r, "\"active\":true"));

    /* one record: permitted to the owner and the grantee, refused with the reason otherwise */
    snprintf(path, sizeof path, "/v1/records/%s", w->zrid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_get_as(w, &w->grantee, path, &w->r), 200);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 403);
    assert_true(it_has(&w->r, "\"code\":\"EDENIED\"") && it_has(&w->r, "\"reason\":\"DENY_DEFAULT\""));
    snprintf(path, sizeof path, "/v1/records/%s?purpose=HPAYMT", w->zrid); /* outside the grant */
    assert_int_equal(it_get_as(w, &w->grantee, path, &w->r), 403);

    /* decisions: one's own; another's only with standing */
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=TREAT&action=read", w->zrid);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"permit\":false") && it_has(&w->r, "\"reason\":\"DENY_DEFAULT\""));
    assert_int_equal(it_get_as(w, &w->grantee, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"permit\":true") && it_has(&w->r, "\"reason\":\"PERMIT_GRANT\"") &&
                it_has(&w->r, w->zcid));
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=TREAT&action=read&requester=%s", w->zrid,
             w->zgid);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 403);
    assert_true(it_has(&w->r, "EDENIED"));
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"reason\":\"PERMIT_GRANT\""));
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=NOPE&action=read", w->zrid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 400);

    /* the auditors' view is for auditors */
    assert_int_equal(it_get_as(w, &w->patient, "/v1/audit/access", &w->r), 403);
    assert_int_equal(it_get_as(w, &w->auditor, "/v1/audit/access", &w->r), 200);
    assert_true(it_has(&w->r, "\"access\":[]"));
    snprintf(path, sizeof path, "/v1/patients/%s/records?purpose=BAD", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 400);
    snprintf(path, sizeof path, "/v1/patients/%s/nothing", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 404);
    snprintf(path, sizeof path, "/v1/proposals/%s", w->zrid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 404);

    it_world_free(w);
}

static void test_logged_reads(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    char path[320];

    /* the grantee's read is permitted and on the ledger */
    assert_int_equal(it_read(w, &w->grantee, &w->rid, &w->r), 200);
    assert_true(it_has(&w->r, "\"permit\":true") && it_has(&w->r, "\"reason\":\"PERMIT_GRANT\""));
    assert_true(it_has(&w->r, "\"log\":{") && it_has(&w->r, "\"result\":\"OK\"") &&
                it_has(&w->r, "\"anchor_tx\""));
    /* a stranger's is refused with the reason, and logged too */
    assert_int_equal(it_read(w, &w->stranger, &w->rid, &w->r), 403);
    assert_true(it_has(&w->r, "\"code\":\"EDENIED\"") && it_has(&w->r, "\"reason\":\"DENY_DEFAULT\""));
    assert_true(it_has(&w->r, "\"decision\":{") && it_has(&w->r, "\"result\":\"OK\""));
    assert_false(it_has(&w->r, "\"anchor_tx\""));

    /* the target signed must be exactly mc_access_target(): else nothing is logged */
    mc_http *h = it_client(w, &w->grantee);
    snprintf(path, sizeof path, "/v1/records/%s/access?action=read&purpose=TREAT", w->zrid);
    assert_int_equal(it_req(h, "POST", path, &w->r), 400);
    assert_true(it_has(&w->r, "EINVAL"));
    snprintf(path, sizeof path, "/v1/records/%s/access?purpose=TREAT", w->zrid);
    assert_int_equal(it_req(h, "POST", path, &w->r), 400);
    snprintf(path, sizeof path, "/v1/records/%s/access?purpose=TREAT&action=read", w->zrid);
    assert_int_equal(it_req(h, "GET", path, &w->r), 405);
    mc_http_free(h);
    /* a record held by another org: this node logs nothing */
    assert_int_equal(it_read(w, &w->grantee, &w->rid_other, &w->r), 409);
    assert_true(it_has(&w->r, "ENOTCUSTODIAN"));
    mc_hash unknown;
    mc_random(unknown.b, 32);
    assert_int_equal(it_read(w, &w->grantee, &unknown, &w->r), 404);

    /* the patient's history has both reads, oldest first; a page at a time */
    snprintf(path, sizeof path, "/v1/patients/%s/access", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 2);
    const char *g = strstr((char *)w->r.p, w->zgid), *s = strstr((char *)w->r.p, w->zsid);
    assert_true(g && s && g < s);
    assert_true(it_has(&w->r, "\"permit\":false") && it_has(&w->r, "\"next\":null"));
    snprintf(path, sizeof path, "/v1/patients/%s/access?limit=1", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 1);
    assert_true(it_has(&w->r, w->zgid));
    char next[80];
    it_next(&w->r, next, sizeof next);
    assert_non_null(strchr(next, ':'));
    snprintf(path, sizeof path, "/v1/patients/%s/access?limit=1&after=%s", w->zpid, next);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_true(it_has(&w->r, w->zsid) && !it_has(&w->r, w->zgid) && it_has(&w->r, "\"next\":null"));
    snprintf(path, sizeof path, "/v1/patients/%s/access?after=x:1", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 400);
    /* others see only their own reads */
    snprintf(path, sizeof path, "/v1/patients/%s/access", w->zpid);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 1);
    assert_true(it_has(&w->r, w->zsid) && !it_has(&w->r, w->zgid));
    /* the auditor sees every read on the chain */
    assert_int_equal(it_get_as(w, &w->auditor, "/v1/audit/access", &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 2);
    assert_true(it_has(&w->r, w->zsid) && it_has(&w->r, w->zgid));

    assert_int_equal(tn_kill(&w->c, SIGTERM), 0);
    assert_int_equal(tn_verify(&w->c, &w->r), 0); /* the logged reads replay to the same state */
    it_world_free(w);
}

/* ---- events -------------------------------------------------------------------------------- */

typedef struct {
    mc_buf text;
    size_t parsed;
    unsigned want, got;
    char ids[IT_MAX_EVENTS][32];
    char kinds[IT_MAX_EVENTS][32];
} it_events;

static void it_events_init(it_events *e, unsigned want)
{
    memset(e, 0, sizeof *e);
    mc_buf_init(&e->text, 1u << 20);
    e->want = want;
}

/* Copies the value of the line starting with @p field in @p block (up to @p end). */
static void it_field(const char *block, const char *end, const char *field, char out[32])
{
    out[0] = 0;
    for (const char *p = block; p < end; p = strchr(p, '\n') + 1) {
        size_t n = strlen(field);
        if (strncmp(p, field, n) == 0) {
            size_t len = strcspn(p + n, "\n");
            if (len > 31) len = 31;
            memcpy(out, p + n, len);
            out[len] = 0;
        }
        if (!strchr(p, '\n')) break;
    }
}

static int it_on_chunk(void *arg, const char *p, size_t n)
{
    it_events *e = arg;
    if (mc_buf_append(&e->text, p, n) || mc_buf_cstr(&e->text)) return 1;
    const char *base = (const char *)e->text.p, *end;
    while (e->got < e->want && (end = strstr(base + e->parsed, "\n\n"))) {
        const char *block = base + e->parsed;
        if (strncmp(block, "id: ", 4) == 0 && e->got < IT_MAX_EVENTS) {
            it_field(block, end, "id: ", e->ids[e->got]);
            it_field(block, end, "event: ", e->kinds[e->got]);
            e->got++;
        }
        e->parsed = (size_t)(end - base) + 2;
    }
    return e->got >= e->want;
}

/* Streams /v1/events as @p who until @p e->want events came (or the stream ends). */
static int it_stream(it_world *w, const it_who *who, const char *path, const char *last_id, it_events *e)
{
    char header[96];
    long st = 0;
    mc_buf err;
    mc_buf_init(&err, 1 << 16);
    if (last_id) snprintf(header, sizeof header, "Last-Event-ID: %s", last_id);
    mc_http *h = it_client(w, who);
    int rc = mc_http_stream(h, path, last_id ? header : NULL, 30000, &st, it_on_chunk, e, &err);
    mc_http_free(h);
    mc_buf_free(&err);
    return rc ? -rc : (int)st;
}

/* H:I:N ids compare in that order. */
static int it_id_cmp(const char *a, const char *b)
{
    unsigned long long x[3], y[3];
    assert_int_equal(sscanf(a, "%llu:%llu:%llu", &x[0], &x[1], &x[2]), 3);
    assert_int_equal(sscanf(b, "%llu:%llu:%llu", &y[0], &y[1], &y[2]), 3);
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

typedef struct {
    it_world *w;
    const it_who *who;
    const char *last_id;
    it_events e;
    int rc;
} it_stream_job;

static void *it_stream_main(void *arg)
{
    it_stream_job *j = arg;
    j->rc = it_stream(j->w, j->who, "/v1/events", j->last_id, &j->e);
    return NULL;
}

static void it_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_events(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    it_events *e = malloc(sizeof *e);
    assert_non_null(e);
    assert_int_equal(it_read(w, &w->grantee, &w->rid, &w->r), 200);
    assert_int_equal(it_read(w, &w->stranger, &w->rid, &w->r), 403);

    /* the patient's events from the beginning, in chain order */
    static const char *const kinds[] = {"record.new",       "record.new",  "consent.grant",
                                        "consent.delegate", "record.read", "record.read"};
    it_events_init(e, 6);
    assert_int_equal(it_stream(w, &w->patient, "/v1/events", NULL, e), 200);
    assert_int_equal(e->got, 6);
    char ids[6][32];
    for (unsigned i = 0; i < 6; i++) {
        assert_string_equal(e->kinds[i], kinds[i]);
        memcpy(ids[i], e->ids[i], 32);
        if (i) assert_true(it_id_cmp(ids[i - 1], ids[i]) < 0);
    }
    assert_true(it_has(&e->text, "\"denied\":true") && it_has(&e->text, "\"kind\":\"record.read\""));
    mc_buf_free(&e->text);

    /* a reconnect after the third continues at the fourth: nothing lost, nothing repeated */
    it_events_init(e, 3);
    assert_int_equal(it_stream(w, &w->patient, "/v1/events", ids[2], e), 200);
    for (unsigned i = 0; i < 3; i++) assert_string_equal(e->ids[i], ids[3 + i]);
    mc_buf_free(&e->text);
    char path[96];
    snprintf(path, sizeof path, "/v1/events?after=%s", ids[4]);
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->patient, path, NULL, e), 200);
    assert_string_equal(e->ids[0], ids[5]);
    mc_buf_free(&e->text);

    /* the grantee hears of its grant only; the delegate of everything about the patient */
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->grantee, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "consent.grant");
    assert_string_equal(e->ids[0], ids[2]);
    mc_buf_free(&e->text);
    it_events_init(e, 6);
    assert_int_equal(it_stream(w, &w->delegate, "/v1/events", NULL, e), 200);
    assert_string_equal(e->ids[5], ids[5]);
    mc_buf_free(&e->text);

    /* a live stream, caught up, gets the next read as it is applied */
    it_stream_job *j = calloc(1, sizeof *j);
    assert_non_null(j);
    j->w = w;
    j->who = &w->patient;
    j->last_id = ids[5];
    it_events_init(&j->e, 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, it_stream_main, j), 0);
    it_sleep_ms(500);
    assert_int_equal(it_read(w, &w->grantee, &w->rid, &w->r), 200);
    pthread_join(t, NULL);
    assert_int_equal(j->rc, 200);
    assert_int_equal(j->e.got, 1);
    assert_string_equal(j->e.kinds[0], "record.read");
    assert_true(it_id_cmp(ids[5], j->e.ids[0]) < 0);
    mc_buf_free(&j->e.text);
    assert_int_equal(it_stream(w, &w->patient, "/v1/events?after=1:2", NULL, e), 400);

    /* SIGTERM with a stream open and idle: the node stops promptly and cleanly */
    memset(j, 0, sizeof *j);
    j->w = w;
    j->who = &w->stranger; /* hears nothing: the stream just waits */
    it_events_init(&j->e, 1);
    assert_int_equal(pthread_create(&t, NULL, it_stream_main, j), 0);
    it_sleep_ms(500);
    uint64_t t0 = mc_time_mono_ms();
    assert_int_equal(tn_kill(&w->c, SIGTERM), 0);
    uint64_t took = mc_time_mono_ms() - t0;
    pthread_join(t, NULL);
    assert_true(took < 5000);
    assert_int_equal(j->e.got, 0);
    mc_buf_free(&j->e.text);
    free(j);
    it_world_free(w);
    free(e);
}

/* ---- the security review's findings ------------------------------------------------------ */

/* The number after "<key>": in a JSON answer (the first one), or UINT64_MAX if absent. */
static uint64_t it_json_u64(const mc_buf *b, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr((const char *)b->p, pat);
    return p ? strtoull(p + strlen(pat), NULL, 10) : UINT64_MAX;
}

/* The 64 hex digits after @p prefix in an answer into @p out. */
static void it_json_id(const mc_buf *b, const char *prefix, char out[65])
{
    const char *p = strstr((const char *)b->p, prefix);
    assert_non_null(p);
    p += strlen(prefix);
    assert_true(strspn(p, "0123456789abcdef") >= 64);
    memcpy(out, p, 64);
    out[64] = 0;
}

/*
 * A request signed as @p who at time @p t (not the client's clock), with no body, over a plain
 * HTTP/1.1 exchange: the client library always signs at its own clock. @p resp gets the body.
 * @return the status, or -1.
 */
static long it_req_at(it_world *w, const it_who *who, const char *method, const char *path, uint64_t t,
                      mc_buf *resp)
{
    uint8_t nonce[MC_REQ_NONCE_BYTES];
    mc_hash bh, digest;
    mc_sig sig;
    char zid[65], znonce[2 * MC_REQ_NONCE_BYTES + 1], zsig[129], req[1024];
    mc_random(nonce, sizeof nonce);
    mc_sha256(&bh, "", 0);
    mc_request_digest(&digest, &w->c.chain, &who->t.id, t, nonce, method, path, &bh);
    mc_sign(&sig, digest.b, 32, &who->k.sign_sk);
    mc_hex_encode(zid, who->t.id.b, 32);
    mc_hex_encode(znonce, nonce, sizeof nonce);
    mc_hex_encode(zsig, sig.b, 64);
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
                     "X-MC-Signer: %s\r\nX-MC-Time: %llu\r\nX-MC-Nonce: %s\r\nX-MC-Signature: %s\r\n\r\n",
                     method, path, zid, (unsigned long long)t, znonce, zsig);
    assert_true(n > 0 && (size_t)n < sizeof req);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)w->c.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    long st = -1;
    mc_buf_reset(resp);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && send(fd, req, (size_t)n, 0) == n) {
        char buf[4096];
        ssize_t got;
        while ((got = recv(fd, buf, sizeof buf, 0)) > 0)
            if (mc_buf_append(resp, buf, (size_t)got)) break;
    }
    close(fd);
    if (mc_buf_cstr(resp)) return -1;
    const char *z = (const char *)resp->p, *body = strstr(z, "\r\n\r\n");
    if (strncmp(z, "HTTP/1.1 ", 9) == 0 && body) {
        st = strtol(z + 9, NULL, 10);
        size_t off = (size_t)(body + 4 - z);
        memmove(resp->p, resp->p + off, resp->n - off + 1); /* with its NUL */
        resp->n -= off;
    }
    return st;
}

/* Streams /v1/events as @p who for at most @p ms, collecting up to @p e->want events. */
static int it_stream_for(it_world *w, const it_who *who, long ms, it_events *e)
{
    long st = 0;
    mc_buf err;
    mc_buf_init(&err, 1 << 16);
    mc_http *h = it_client(w, who);
    mc_http_set_timeout(h, ms);
    int rc = mc_http_stream(h, "/v1/events", NULL, 30000, &st, it_on_chunk, e, &err);
    mc_http_free(h);
    mc_buf_free(&err);
    return rc ? -rc : (int)st;
}

/* GET @p path as each of @p who (NULL-terminated); each must answer @p status. */
static void it_all_get(it_world *w, const it_who *const *who, const char *path, long status)
{
    for (; *who; who++) {
        long st = it_get_as(w, *who, path, &w->r);
        if (st != status) fail_msg("GET %s: %ld, expected %ld: %s", path, st, status, (char *)w->r.p);
        if (status == 403)
            assert_true(it_has(&w->r, "\"code\":\"EDENIED\"") && !it_has(&w->r, "\"raw\"") &&
                        !it_has(&w->r, "\"tx\":"));
    }
}

/* /v1/tx and /v1/proofs/tx of a record, consent or access transaction: its parties only. */
static void test_tx_parties(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    char path[320], zid[65], entry[256];
    it_who other; /* another patient of the same hospital */
    it_register(w, &w->org, &w->org_nonce, MC_ID_PATIENT, &other);

    /* the grant: the patient, the grantee, the delegate and auditors; not a stranger nor
     * another patient */
    snprintf(path, sizeof path, "/v1/tx/%s", w->zcid);
    it_all_get(w, (const it_who *[]){&w->patient, &w->grantee, &w->delegate, &w->auditor, NULL}, path, 200);
    assert_true(it_has(&w->r, "\"raw\"") && it_has(&w->r, w->zpid));
    uint64_t height = it_json_u64(&w->r, "height");
    it_all_get(w, (const it_who *[]){&w->stranger, &other, NULL}, path, 403);
    snprintf(path, sizeof path, "/v1/proofs/tx/%s", w->zcid);
    it_all_get(w, (const it_who *[]){&w->patient, &w->grantee, NULL}, path, 200);
    assert_true(it_has(&w->r, "\"tx_proof\""));
    it_all_get(w, (const it_who *[]){&w->stranger, &other, NULL}, path, 403);
    /* its block lists it to others without the signer or the nonce */
    snprintf(path, sizeof path, "/v1/blocks/%llu", (unsigned long long)height);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    snprintf(entry, sizeof entry,
             "{\"id\":\"%s\",\"kind\":\"consent.grant\",\"signer\":\"%s\",\"nonce\":", w->zcid, w->zpid);
    assert_true(it_has(&w->r, entry));
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 200);
    snprintf(entry, sizeof entry, "{\"id\":\"%s\",\"kind\":\"consent.grant\",\"index\":", w->zcid);
    assert_true(it_has(&w->r, entry) && !it_has(&w->r, w->zpid));

    /* the anchor: its signer, the patient and auditors */
    it_hex(zid, w->anchor.b);
    snprintf(path, sizeof path, "/v1/tx/%s", zid);
    it_all_get(w, (const it_who *[]){&w->provider, &w->patient, &w->delegate, &w->auditor, NULL}, path, 200);
    it_all_get(w, (const it_who *[]){&w->stranger, &w->grantee, &other, NULL}, path, 403);
    /* the delegation: the delegate named */
    it_hex(zid, w->delegation.b);
    snprintf(path, sizeof path, "/v1/tx/%s", zid);
    it_all_get(w, (const it_who *[]){&w->patient, &w->delegate, &w->auditor, NULL}, path, 200);
    it_all_get(w, (const it_who *[]){&w->stranger, &w->grantee, &other, NULL}, path, 403);

    /* a logged read: its reader (and the patient's side); not another reader */
    char zlog1[65], zlog2[65];
    assert_int_equal(it_read(w, &w->grantee, &w->rid, &w->r), 200);
    it_json_id(&w->r, "\"log\":{\"id\":\"", zlog1);
    assert_int_equal(it_read(w, &w->stranger, &w->rid, &w->r), 403);
    it_json_id(&w->r, "\"log\":{\"id\":\"", zlog2);
    snprintf(path, sizeof path, "/v1/tx/%s", zlog1);
    it_all_get(w, (const it_who *[]){&w->grantee, &w->patient, &w->delegate, &w->auditor, NULL}, path, 200);
    it_all_get(w, (const it_who *[]){&w->stranger, &other, NULL}, path, 403);
    snprintf(path, sizeof path, "/v1/tx/%s", zlog2);
    it_all_get(w, (const it_who *[]){&w->stranger, &w->patient, NULL}, path, 200);
    it_all_get(w, (const it_who *[]){&w->grantee, NULL}, path, 403);

    /* a revocation: the grantee of the grant it ends */
    mc_body_consent_revoke rv = {.target = w->grant};
    mc_buf body;
    mc_hash revoke;
    mc_buf_init(&body, 64);
    assert_int_equal(mc_body_consent_revoke_encode(&body, &rv), MC_OK);
    it_commit(w, &w->patient.k, ++w->patient_nonce, MC_TX_CONSENT_REVOKE, &body, &revoke);
    mc_buf_free(&body);
    it_hex(zid, revoke.b);
    snprintf(path, sizeof path, "/v1/tx/%s", zid);
    it_all_get(w, (const it_who *[]){&w->patient, &w->grantee, &w->delegate, &w->auditor, NULL}, path, 200);
    it_all_get(w, (const it_who *[]){&w->stranger, &other, NULL}, path, 403);
    it_world_free(w);
}

/* A patient is enrolled by an org, not a member of it: its grants to the org are not the patient's. */
static void test_patients_are_not_members(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    char path[320], zorg[65], zsel[65];
    it_who other; /* another patient of the same hospital */
    mc_hash org_grant, sel_grant;
    mc_id org0;
    memcpy(org0.b, w->org.id.b, 32);
    it_register(w, &w->org, &w->org_nonce, MC_ID_PATIENT, &other);
    uint64_t end = mc_time_now_ms() + 3600ull * 1000;
    it_consent(w, MC_TX_CONSENT_GRANT, MC_GRANTEE_ORG, &org0, NULL, end, &org_grant);
    it_consent(w, MC_TX_CONSENT_GRANT, MC_GRANTEE_SELECTOR, &org0, "role=nurse", end, &sel_grant);
    it_hex(zorg, org_grant.b);
    it_hex(zsel, sel_grant.b);

    /* the hospital's staff see both; another patient it enrolled sees neither */
    snprintf(path, sizeof path, "/v1/patients/%s/consents", w->zpid);
    assert_int_equal(it_get_as(w, &w->provider, path, &w->r), 200);
    assert_true(it_has(&w->r, zorg) && it_has(&w->r, zsel));
    assert_int_equal(it_get_as(w, &other, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"consents\":[]"));
    const it_who *staff[] = {&w->provider, NULL}, *patient[] = {&other, NULL};
    snprintf(path, sizeof path, "/v1/consents/%s", zorg);
    it_all_get(w, staff, path, 200);
    assert_int_equal(it_get_as(w, &other, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/consents/%s", zsel);
    it_all_get(w, staff, path, 200);
    assert_int_equal(it_get_as(w, &other, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/tx/%s", zorg);
    it_all_get(w, staff, path, 200);
    it_all_get(w, patient, path, 403);
    snprintf(path, sizeof path, "/v1/tx/%s", zsel);
    it_all_get(w, patient, path, 403);
    it_world_free(w);
}

/* Every decision is made at the node's clock, never at the time the caller says it signed. */
static void test_decided_at_node_clock(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    char path[320], target[160];
    mc_hash g;
    uint64_t end = mc_time_now_ms() + 4000;
    it_consent(w, MC_TX_CONSENT_GRANT, MC_GRANTEE_IDENTITY, &w->stranger.t.id, NULL, end, &g);
    snprintf(path, sizeof path, "/v1/records/%s", w->zrid);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 200); /* in force */
    while (mc_time_now_ms() < end + 300) it_sleep_ms(100);

    /* signed "before the end", as the clock skew allows: still decided now, so expired */
    uint64_t t = end - 1000;
    assert_int_equal(it_req_at(w, &w->stranger, "GET", path, t, &w->r), 403);
    assert_true(it_has(&w->r, "\"reason\":\"DENY_EXPIRED\""));
    assert_true(it_json_u64(&w->r, "time_ms") >= end);
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=TREAT&action=read", w->zrid);
    assert_int_equal(it_req_at(w, &w->stranger, "GET", path, t, &w->r), 200);
    assert_true(it_has(&w->r, "\"permit\":false") && it_has(&w->r, "\"reason\":\"DENY_EXPIRED\""));
    assert_true(it_json_u64(&w->r, "time_ms") >= end);
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_req_at(w, &w->stranger, "GET", path, t, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    /* a logged read is refused (and logged) at the node's clock; with the executor deciding at
     * the request time instead, the log would not commit: either way nothing is served */
    assert_int_equal(mc_access_target(target, &w->rid, MC_PURPOSE_TREAT, MC_ACTION_READ), MC_OK);
    long st = it_req_at(w, &w->stranger, "POST", target, t, &w->r);
    assert_true(st == 403 || st == 503);
    assert_false(it_has(&w->r, "\"anchor_tx\""));
    if (st == 403) assert_true(it_has(&w->r, "\"reason\":\"DENY_EXPIRED\""));
    it_world_free(w);
}

/* A break-glass by a provider of org 0 allowed to, its reason sealed (here: random bytes) to the
 * patient and the auditor. */
static void it_break_glass(it_world *w, it_who *medic, mc_hash *id)
{
    mc_body_emergency b;
    uint8_t reasons[2][MC_SEAL_OVERHEAD + 16];
    mc_buf body;
    memset(&b, 0, sizeof b);
    b.patient = w->patient.t.id;
    b.duration_ms = 3600ull * 1000;
    b.nreasons = 2;
    int pfirst = memcmp(w->patient.t.id.b, w->auditor.t.id.b, 32) < 0;
    b.reason_to[pfirst ? 0 : 1] = w->patient.t.id;
    b.reason_to[pfirst ? 1 : 0] = w->auditor.t.id;
    for (int i = 0; i < 2; i++) {
        mc_random(reasons[i], sizeof reasons[i]);
        b.reason[i] = (mc_slice){reasons[i], sizeof reasons[i]};
    }
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_body_emergency_encode(&body, &b), MC_OK);
    it_commit(w, &medic->k, 1, MC_TX_ACCESS_EMERGENCY, &body, id);
    mc_buf_free(&body);
}

/* Revoked orgs' auditors and delegates, and researchers as delegates, see no more than the
 * policy lets them. */
static void test_revoked_orgs_and_researchers(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    it_events *e = malloc(sizeof *e);
    char path[320], zglass[65];
    it_who researcher, medic;
    mc_hash glass;
    assert_non_null(e);
    it_register(w, &w->research, &w->research_nonce, MC_ID_RESEARCHER, &researcher);
    it_register_attrs(w, &w->org, &w->org_nonce, MC_ID_PROVIDER, "emergency=true", &medic);
    it_delegate(w, &researcher, 1, NULL);
    it_break_glass(w, &medic, &glass);
    it_hex(zglass, glass.b);

    /* a researcher named delegate: de-identified data only, so no list in full */
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    snprintf(path, sizeof path, "/v1/patients/%s/consents", w->zpid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"consents\":[]"));
    snprintf(path, sizeof path, "/v1/consents/%s", w->zcid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/tx/%s", w->zcid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=TREAT&action=read&requester=%s", w->zrid,
             w->zgid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 403);
    it_events_init(e, 1); /* its own delegation first: none of the patient's records */
    assert_int_equal(it_stream(w, &researcher, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "consent.delegate");
    mc_buf_free(&e->text);

    /* the auditor, while the regulator is active: everything, break-glass events included */
    assert_int_equal(it_get_as(w, &w->auditor, "/v1/audit/access", &w->r), 200);
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"anchor_tx\""), 2);
    snprintf(path, sizeof path, "/v1/tx/%s", zglass);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 403);
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->auditor, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "access.emergency");
    mc_buf_free(&e->text);

    /* the regulator and the delegate's hospital revoke themselves */
    mc_buf body;
    mc_id rid, hid;
    memcpy(rid.b, w->regulator.id.b, 32);
    memcpy(hid.b, w->hosp1.id.b, 32);
    mc_buf_init(&body, 64);
    assert_int_equal(mc_test_body_revoke(&body, &rid, 2), MC_OK);
    it_commit(w, &w->regulator, ++w->reg_nonce, MC_TX_IDENTITY_REVOKE, &body, NULL);
    mc_buf_reset(&body);
    assert_int_equal(mc_test_body_revoke(&body, &hid, 2), MC_OK);
    it_commit(w, &w->hosp1, ++w->hosp1_nonce, MC_TX_IDENTITY_REVOKE, &body, NULL);
    mc_buf_free(&body);

    /* the auditor of a revoked regulator: no audit view, no lists in full, no break-glass */
    assert_int_equal(it_get_as(w, &w->auditor, "/v1/audit/access", &w->r), 403);
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    snprintf(path, sizeof path, "/v1/patients/%s/consents", w->zpid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"consents\":[]"));
    snprintf(path, sizeof path, "/v1/tx/%s", zglass);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=TREAT&action=read&requester=%s", w->zrid,
             w->zgid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 403);
    it_events_init(e, 1);
    assert_int_equal(it_stream_for(w, &w->auditor, 2000, e), -MC_ETIMEDOUT);
    assert_int_equal(e->got, 0);
    mc_buf_free(&e->text);

    /* a delegate of a revoked hospital: likewise */
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->delegate, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    snprintf(path, sizeof path, "/v1/tx/%s", w->zcid);
    assert_int_equal(it_get_as(w, &w->delegate, path, &w->r), 403);
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->delegate, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "consent.delegate");
    mc_buf_free(&e->text);
    /* the patient keeps everything */
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"anchor_tx\""), 2);
    free(e);
    it_world_free(w);
}

int main(void)
{
    const char *filter = getenv("MEDCHAIN_TEST_FILTER");
    if (filter) cmocka_set_test_filter(filter);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who_sees_what),
        cmocka_unit_test(test_logged_reads),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_tx_parties),
        cmocka_unit_test(test_patients_are_not_members),
        cmocka_unit_test(test_decided_at_node_clock),
        cmocka_unit_test(test_revoked_orgs_and_researchers),
    };
    return cmocka_run_group_tests_name("integration_consent_api", tests, NULL, NULL);
}
