/* The world and request helpers shared by the consent API integration suites (consentapi_util.h). */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "consentapi_util.h"

void it_hex(char out[65], const void *b)
{
    mc_hex_encode(out, b, 32);
}

mc_http *it_client(it_world *w, const it_who *who)
{
    mc_http *h = tn_client(&w->c, &who->k);
    assert_non_null(h);
    return h;
}

long it_req(mc_http *h, const char *method, const char *path, mc_buf *resp)
{
    long st = 0;
    int rc = mc_http_request(h, method, path, NULL, 0, &st, resp);
    return rc ? -rc : st;
}

/* Signs one transaction as @p signer and posts it with wait=committed; it must apply OK. */
void it_commit(it_world *w, const mc_keys *signer, uint64_t nonce, uint16_t kind, const mc_buf *body,
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

void it_register_attrs(it_world *w, mc_keys *org, uint64_t *nonce, uint8_t kind, const char *attrs,
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

void it_register(it_world *w, mc_keys *org, uint64_t *nonce, uint8_t kind, it_who *who)
{
    it_register_attrs(w, org, nonce, kind, NULL, who);
}

void it_anchor_body(it_world *w, const mc_keys *custodian, mc_body_anchor *b, mc_hash *anchor)
{
    mc_buf body;
    static const uint8_t zero[32];
    mc_random(b->record.b, 32);
    if (!memcmp(b->patient.b, zero, 32)) b->patient = w->patient.t.id;
    memcpy(b->custodian.b, custodian->id.b, 32);
    snprintf(b->category, sizeof b->category, "lab");
    mc_random(b->commitment.b, 32);
    if (!b->nkeys) { /* the custodian's key (the executor requires it), opened by nobody here */
        b->nkeys = 1;
        b->keys[0].recipient = b->custodian;
        mc_random(b->keys[0].sealed, sizeof b->keys[0].sealed);
    }
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_body_anchor_encode(&body, b), MC_OK);
    /* the custodian is the author's org: org 0's records are the provider's, org 1's the grantee's */
    int org1 = custodian == &w->hosp1;
    it_commit(w, org1 ? &w->grantee.k : &w->provider.k, org1 ? ++w->grantee_nonce : ++w->provider_nonce,
              MC_TX_RECORD_ANCHOR, &body, anchor);
    mc_buf_free(&body);
}

static void it_anchor(it_world *w, const mc_keys *custodian, mc_hash *rid, mc_hash *anchor)
{
    mc_body_anchor *b = calloc(1, sizeof *b);
    assert_non_null(b);
    mc_random(b->cipher_hash.b, 32);
    b->size = 4096;
    it_anchor_body(w, custodian, b, anchor);
    *rid = b->record;
    free(b);
}

/* The patient grants (or denies) read and read_meta for TREAT on all its records to @p grantee
 * (an identity, an org, or an org's members with the attributes @p selector) until @p not_after. */
void it_consent(it_world *w, uint16_t kind, uint8_t grantee_kind, const mc_id *grantee, const char *selector,
                uint64_t not_after, mc_hash *id)
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
void it_delegate(it_world *w, const it_who *who, int add, mc_hash *id)
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
it_world *it_world_new(void)
{
    return it_world_new_settings(NULL);
}

it_world *it_world_new_settings(const char *const *settings)
{
    it_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(tn_create(&w->c, 3, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_set_org_type(&w->c, 2, "regulator"), MC_OK);
    assert_int_equal(tn_set_org_type(&w->c, 3, "research"), MC_OK);
    assert_int_equal(tn_start(&w->c, settings), MC_OK);
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
void it_world_free(it_world *w)
{
    if (w->c.pid) assert_int_equal(tn_kill(&w->c, SIGTERM), 0);
    tn_destroy(&w->c);
    mc_buf_free(&w->r);
    free(w);
}

/* POST /v1/records/{rid}/access as @p who; returns the status. */
long it_read(it_world *w, const it_who *who, const mc_hash *rid, mc_buf *resp)
{
    char target[160];
    assert_int_equal(mc_access_target(target, rid, MC_PURPOSE_TREAT, MC_ACTION_READ, MC_VIA_DECISION), MC_OK);
    mc_http *h = it_client(w, who);
    long st = it_req(h, "POST", target, resp);
    mc_http_free(h);
    return st;
}

long it_get_as(it_world *w, const it_who *who, const char *path, mc_buf *resp)
{
    mc_http *h = it_client(w, who);
    long st = it_req(h, "GET", path, resp);
    if (st == 401) fprintf(stderr, "401 for %s: %s\n", path, (char *)resp->p);
    mc_http_free(h);
    return st;
}

int it_has(const mc_buf *b, const char *s)
{
    return strstr((const char *)b->p, s) != NULL;
}

unsigned it_count(const mc_buf *b, const char *s)
{
    unsigned n = 0;
    for (const char *p = (const char *)b->p; (p = strstr(p, s)); p += strlen(s)) n++;
    return n;
}

/* The "next" cursor of a list answer, or "" when it is null. */
void it_next(const mc_buf *b, char *out, size_t cap)
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
void it_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
