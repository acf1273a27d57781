/*
 * The per-signer limit on logged reads (docs/api.md "A logged read", docs/operations.md
 * access_rate and access_burst) against a real medchaind started with access_rate=1 and
 * access_burst=3: one signer's first 3 reads are answered (and logged), the next ones are 429
 * ETOOMANY and leave nothing on the chain, and another signer is not limited by them.
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

static void test_access_rate(void **state)
{
    (void)state;
    it_world *w = calloc(1, sizeof *w);
    it_who reader, other;
    assert_non_null(w);
    mc_buf_init(&w->r, 1u << 20);
    assert_int_equal(tn_create(&w->c, 1, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    const char *settings[] = {"access_rate=1", "access_burst=3", NULL};
    assert_int_equal(tn_start(&w->c, settings), MC_OK);
    w->org = w->c.org;
    w->hosp1 = w->c.clients[0];
    it_register(w, &w->org, &w->org_nonce, MC_ID_PROVIDER, &w->provider);
    it_register(w, &w->org, &w->org_nonce, MC_ID_PATIENT, &w->patient);
    /* two providers of the other hospital, with no grant: their reads are refused, and logged */
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &reader);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &other);
    ar_anchor(w);

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
