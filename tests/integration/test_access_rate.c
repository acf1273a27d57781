/*
 * The per-signer limit on logged reads (docs/api.md "A logged read", docs/operations.md
 * access_rate and access_burst) against a real medchaind started with access_rate=1 and
 * access_burst=3: one signer's first 3 reads are answered (and logged), the next ones are 429
 * ETOOMANY and leave nothing on the chain, and another signer is not limited by them.
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "testnet.h"

/* An identity made by the test, and the same keys as a client signs with. */
typedef struct {
    mc_test_key t;
    mc_keys k;
} ar_who;

/* Signs one transaction as @p signer and posts it with wait=committed; it must apply OK. */
static void ar_commit(tn_chain *c, const mc_keys *signer, uint64_t nonce, uint16_t kind, const mc_buf *body)
{
    mc_buf tx, resp;
    mc_id sid;
    mc_hash tid;
    memcpy(sid.b, signer->id.b, 32);
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 1u << 20);
    assert_int_equal(mc_tx_build(&tx, &tid, &c->chain, &sid, nonce, kind, body->p, body->n, &signer->sign_sk),
                     MC_OK);
    mc_http *h = tn_client(c, signer);
    assert_non_null(h);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &resp), 200);
    if (!strstr((char *)resp.p, "\"result\":\"OK\"")) fail_msg("transaction not applied: %s", (char *)resp.p);
    mc_http_free(h);
    mc_buf_free(&tx);
    mc_buf_free(&resp);
}

/* Registers a fresh identity of @p kind enrolled by @p org (a patient co-signs). */
static void ar_register(tn_chain *c, const mc_keys *org, uint64_t *nonce, uint8_t kind, ar_who *who)
{
    mc_buf body;
    mc_id oid;
    mc_test_key_new(&who->t);
    memset(&who->k, 0, sizeof who->k);
    memcpy(who->k.id.b, who->t.id.b, 32);
    who->k.sign_sk = who->t.sk;
    memcpy(oid.b, org->id.b, 32);
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_test_body_register(&body, kind, &oid, &who->t, NULL,
                                           kind == MC_ID_PATIENT ? &who->t : NULL, &c->chain),
                     MC_OK);
    ar_commit(c, org, ++*nonce, MC_TX_IDENTITY_REGISTER, &body);
    mc_buf_free(&body);
}

/* @p author anchors a record of @p patient held by @p custodian (the node's org). */
static void ar_anchor(tn_chain *c, const ar_who *author, const ar_who *patient, const mc_keys *custodian,
                      mc_hash *rid)
{
    mc_body_anchor *b = calloc(1, sizeof *b);
    mc_buf body;
    assert_non_null(b);
    mc_random(b->record.b, 32);
    b->patient = patient->t.id;
    memcpy(b->custodian.b, custodian->id.b, 32);
    snprintf(b->category, sizeof b->category, "lab");
    mc_random(b->cipher_hash.b, 32);
    mc_random(b->commitment.b, 32);
    b->size = 4096;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_body_anchor_encode(&body, b), MC_OK);
    ar_commit(c, &author->k, 1, MC_TX_RECORD_ANCHOR, &body);
    *rid = b->record;
    mc_buf_free(&body);
    free(b);
}

/* One request as @p who; returns the HTTP status (or -MC_E*). */
static long ar_req(tn_chain *c, const ar_who *who, const char *method, const char *path, mc_buf *resp)
{
    long st = 0;
    mc_http *h = tn_client(c, &who->k);
    assert_non_null(h);
    mc_buf_reset(resp);
    int rc = mc_http_request(h, method, path, NULL, 0, &st, resp);
    mc_http_free(h);
    if (rc) return -rc;
    assert_int_equal(mc_buf_cstr(resp), MC_OK);
    return st;
}

/* A logged read of @p rid (TREAT, read) as @p who. */
static long ar_read(tn_chain *c, const ar_who *who, const mc_hash *rid, mc_buf *resp)
{
    char target[160];
    assert_int_equal(mc_access_target(target, rid, MC_PURPOSE_TREAT, MC_ACTION_READ), MC_OK);
    return ar_req(c, who, "POST", target, resp);
}

static size_t ar_count(const mc_buf *b, const char *needle)
{
    size_t n = 0;
    for (const char *p = (const char *)b->p; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static void test_access_rate(void **state)
{
    (void)state;
    tn_chain *c = calloc(1, sizeof *c);
    ar_who *provider = calloc(1, sizeof *provider), *patient = calloc(1, sizeof *patient);
    ar_who *reader = calloc(1, sizeof *reader), *other = calloc(1, sizeof *other);
    assert_true(c && provider && patient && reader && other);
    assert_int_equal(tn_create(c, 1, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    const char *settings[] = {"access_rate=1", "access_burst=3", NULL};
    assert_int_equal(tn_start(c, settings), MC_OK);
    uint64_t org_nonce = 0, hosp_nonce = 0;
    ar_register(c, &c->org, &org_nonce, MC_ID_PROVIDER, provider);
    ar_register(c, &c->org, &org_nonce, MC_ID_PATIENT, patient);
    /* two providers of the other hospital, with no grant: their reads are refused, and logged */
    ar_register(c, &c->clients[0], &hosp_nonce, MC_ID_PROVIDER, reader);
    ar_register(c, &c->clients[0], &hosp_nonce, MC_ID_PROVIDER, other);
    mc_hash rid;
    ar_anchor(c, provider, patient, &c->org, &rid);

    mc_buf r;
    mc_buf_init(&r, 1u << 20);
    /* the bucket starts full (3) and gains one a second: the 4th and 5th within the second are
     * over the limit */
    uint64_t t0 = mc_time_mono_ms();
    for (int i = 0; i < 3; i++) {
        long st = ar_read(c, reader, &rid, &r);
        if (st != 200 && st != 403) fail_msg("read %d: %ld %s", i + 1, st, (char *)r.p);
        assert_true(strstr((char *)r.p, "\"log\":{") != NULL);
    }
    for (int i = 3; i < 5; i++) {
        assert_int_equal(ar_read(c, reader, &rid, &r), 429);
        assert_non_null(strstr((char *)r.p, "\"code\":\"ETOOMANY\""));
        assert_null(strstr((char *)r.p, "\"log\""));
    }
    uint64_t dt = mc_time_mono_ms() - t0;
    /* a slower run would have earned a token back: then the test proves nothing */
    if (dt >= 1000)
        fail_msg("the five reads took %llu ms, over the 1 s a token takes", (unsigned long long)dt);

    /* the refused ones left nothing on the chain: the patient's history has the 3 answered */
    char path[200], zpid[65];
    mc_hex_encode(zpid, patient->t.id.b, 32);
    snprintf(path, sizeof path, "/v1/patients/%s/access", zpid);
    assert_int_equal(ar_req(c, patient, "GET", path, &r), 200);
    assert_int_equal(ar_count(&r, "\"log_tx\""), 3);

    /* another signer has its own bucket */
    assert_int_equal(ar_read(c, other, &rid, &r), 403);
    assert_non_null(strstr((char *)r.p, "\"code\":\"EDENIED\""));
    assert_int_equal(ar_req(c, patient, "GET", path, &r), 200);
    assert_int_equal(ar_count(&r, "\"log_tx\""), 4);

    mc_buf_free(&r);
    assert_int_equal(tn_kill(c, SIGTERM), 0);
    tn_destroy(c);
    free(provider);
    free(patient);
    free(reader);
    free(other);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
