/*
 * The per-signer limit on logged reads (docs/api.md "A logged read", docs/operations.md
 * access_rate and access_burst) against a real medchaind started with access_rate=1 and
 * access_burst=3: one signer's first 3 reads are answered (and logged), the next ones are 429
 * ETOOMANY and leave nothing on the chain, and another signer is not limited by them. And the
 * same for whole-chart reads (POST /v1/reads), counted in records: read_rate=100, read_burst=600.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "consentapi_util.h"

/* The provider anchors a record of the patient held by the node's org. (consentapi_util's
 * it_world_new anchors its records itself, but starts the node with no settings.) */
static void ar_anchor(it_world *w)
{
    mc_body_anchor *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->size = 4096;
    it_anchor_body(w, &w->org, b, &w->anchor);
    w->rid = b->record;
    free(b);
}

/* A node started with @p settings, the hospital's provider and patient, a record of the
 * patient's held by the node's org, and two providers of another hospital with no grant (their
 * reads are refused, and logged). */
static it_world *ar_world(const char *const *settings, it_who *reader, it_who *other)
{
    it_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    mc_buf_init(&w->r, 8u << 20);
    assert_int_equal(tn_create(&w->c, 1, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_start(&w->c, settings), MC_OK);
    w->org = w->c.org;
    w->hosp1 = w->c.clients[0];
    it_register(w, &w->org, &w->org_nonce, MC_ID_PROVIDER, &w->provider);
    it_register(w, &w->org, &w->org_nonce, MC_ID_PATIENT, &w->patient);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, reader);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, other);
    ar_anchor(w);
    return w;
}

static int ar_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void test_access_rate(void **state)
{
    (void)state;
    it_who reader, other;
    const char *settings[] = {"access_rate=1", "access_burst=3", NULL};
    it_world *w = ar_world(settings, &reader, &other);

    /* the bucket starts full (3) and gains one a second: the 4th and 5th within the second are
     * over the limit */
    uint64_t t0 = mc_time_mono_ms();
    for (int i = 0; i < 3; i++) {
        long st = it_read(w, &reader, &w->rid, &w->r);
        if (st != 200 && st != 403) fail_msg("read %d: %ld %s", i + 1, st, (char *)w->r.p);
        assert_true(it_has(&w->r, "\"log\":{"));
    }
    for (int i = 3; i < 5; i++) {
        assert_int_equal(it_read(w, &reader, &w->rid, &w->r), 429);
        assert_true(it_has(&w->r, "\"code\":\"ETOOMANY\""));
        assert_false(it_has(&w->r, "\"log\""));
    }
    uint64_t dt = mc_time_mono_ms() - t0;
    /* a slower run would have earned a token back: then the test proves nothing */
    if (dt >= 1000)
        fail_msg("the five reads took %llu ms, over the 1 s a token takes", (unsigned long long)dt);

    /* the refused ones left nothing on the chain: the patient's history has the 3 answered */
    char path[200];
    it_hex(w->zpid, w->patient.t.id.b);
    snprintf(path, sizeof path, "/v1/patients/%s/access", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 3);

    /* another signer has its own bucket */
    assert_int_equal(it_read(w, &other, &w->rid, &w->r), 403);
    assert_true(it_has(&w->r, "\"code\":\"EDENIED\""));
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 4);
    it_world_free(w);
}

/* POST /v1/reads of the anchored record and 511 unknown ones, signed by @p who: the status. */
static long ar_reads(it_world *w, const it_who *who, char *retry, size_t cap)
{
    mc_read_request *q = calloc(1, sizeof *q);
    assert_non_null(q);
    q->purpose = MC_PURPOSE_TREAT;
    q->action = MC_ACTION_READ;
    q->by = MC_READS_BY_ID;
    q->nids = MC_MAX_READS;
    q->ids[0] = w->rid;
    for (uint32_t i = 1; i < q->nids; i++) mc_random(q->ids[i].b, 32);
    qsort(q->ids, q->nids, sizeof q->ids[0], ar_id_cmp);
    mc_buf req;
    mc_buf_init(&req, MC_MAX_READ_REQUEST_BYTES);
    assert_int_equal(mc_read_request_encode(&req, q), MC_OK);
    mc_http *h = tn_client(&w->c, &who->k);
    mc_http_set_content_type(h, "application/octet-stream");
    long st = 0;
    assert_int_equal(mc_http_request(h, "POST", MC_READS_TARGET, req.p, req.n, &st, &w->r), MC_OK);
    if (retry && mc_http_header(h, "Retry-After", retry, cap) != MC_OK) retry[0] = 0;
    mc_http_free(h);
    mc_buf_free(&req);
    free(q);
    return st;
}

/* Whole-chart reads take one token per record named: a signer's 512 go through, its next 512 at
 * once are 429 with Retry-After and leave nothing on the chain; another signer is not limited. */
static void test_read_rate(void **state)
{
    (void)state;
    it_who reader, other;
    const char *settings[] = {"read_rate=100", "read_burst=600", NULL};
    it_world *w = ar_world(settings, &reader, &other);
    char retry[16];
    assert_int_equal(ar_reads(w, &reader, NULL, 0), 200); /* 512 of 600 */
    mc_read_response r;
    assert_int_equal(mc_read_response_decode(&r, w->r.p, w->r.n), MC_OK);
    assert_int_equal(r.n, MC_MAX_READS);
    mc_read_response_clear(&r);
    assert_int_equal(ar_reads(w, &reader, retry, sizeof retry), 429); /* 512 more: 424 short */
    assert_true(it_has(&w->r, "\"code\":\"ETOOMANY\""));
    assert_true(atoi(retry) >= 4 && atoi(retry) <= 6); /* 424 tokens at 100 a second */
    assert_int_equal(ar_reads(w, &other, NULL, 0), 200);
    /* the target is exactly /v1/reads: the executor checks the reader signed exactly that */
    mc_http *h = tn_client(&w->c, &other.k);
    long st = 0;
    assert_int_equal(mc_http_request(h, "POST", "/v1/reads?x=1", "", 0, &st, &w->r), MC_OK);
    assert_int_equal(st, 400);
    mc_http_free(h);
    /* the refused request left nothing: two reads of the anchored record on the chain (refused) */
    char path[200];
    it_hex(w->zpid, w->patient.t.id.b);
    snprintf(path, sizeof path, "/v1/patients/%s/access", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 2);
    assert_true(it_has(&w->r, "\"chart\":true"));
    it_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_rate),
        cmocka_unit_test(test_read_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
