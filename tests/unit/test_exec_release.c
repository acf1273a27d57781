/*
 * research.release: its canonical body, and who may record a de-identified release to whom.
 */
#include <stdlib.h>
#include <string.h>

#include "consenttest.h"

static void mc_release_body(mc_world *w, const mc_hash *release, const mc_id *to, uint32_t np, uint32_t nr)
{
    mc_body_release b;
    memset(&b, 0, sizeof b);
    b.release = *release;
    b.recipient = *to;
    memset(b.dataset.b, 0x5a, 32);
    b.npatients = np;
    b.nresources = nr;
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_release_encode(&w->c.body, &b));
}

static void test_release_body(void **state)
{
    (void)state;
    mc_body_release b, d;
    memset(&b, 0, sizeof b);
    mc_random(&b, sizeof b);
    b.npatients = 3;
    b.nresources = 300;
    uint8_t raw[200];
    mc_buf out = {raw, 0, sizeof raw, sizeof raw};
    assert_ok(mc_body_release_encode(&out, &b));
    assert_int_equal(out.n, 32 * 3 + 8);
    assert_ok(mc_body_release_decode(&d, out.p, out.n));
    assert_memory_equal(&b, &d, sizeof b);
    assert_rc(mc_body_release_decode(&d, out.p, out.n - 1), MC_EINVAL); /* truncated */
    raw[out.n] = 0;
    assert_rc(mc_body_release_decode(&d, out.p, out.n + 1), MC_EINVAL); /* trailing byte */
    b.npatients = 0;                                                    /* nobody released */
    mc_buf_reset(&out);
    assert_rc(mc_body_release_encode(&out, &b), MC_EINVAL);
    b.npatients = 5;
    b.nresources = 4; /* fewer resources than patients: each patient has at least one */
    assert_rc(mc_body_release_encode(&out, &b), MC_EINVAL);
    assert_string_equal(mc_tx_kind_name(MC_TX_RESEARCH_RELEASE), "research.release");
}

static void test_release_rules(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_hash rel, rel2;
    mc_random(rel.b, 32);
    mc_random(rel2.b, 32);

    mc_release_body(w, &rel, &w->res.id, 2, 40);
    mc_add(c, &w->pat, MC_TX_RESEARCH_RELEASE, MC_TXR_UNAUTHORIZED); /* a patient is no steward */
    mc_add(c, &w->rsr, MC_TX_RESEARCH_RELEASE, MC_TXR_UNAUTHORIZED); /* nor the researcher */
    mc_add(c, &w->doc, MC_TX_RESEARCH_RELEASE, MC_TXR_OK);
    mc_add(c, &w->hosp, MC_TX_RESEARCH_RELEASE, MC_TXR_EXISTS); /* one release id, once */
    mc_release_body(w, &rel2, &w->reg.id, 2, 40);
    mc_add(c, &w->doc, MC_TX_RESEARCH_RELEASE, MC_TXR_UNAUTHORIZED); /* a regulator is no research org */
    mc_release_body(w, &rel2, &w->doc.id, 2, 40);
    mc_add(c, &w->doc, MC_TX_RESEARCH_RELEASE, MC_TXR_UNAUTHORIZED); /* nor is a person */
    mc_id ghost;
    mc_random(ghost.b, 32);
    mc_release_body(w, &rel2, &ghost, 2, 40);
    mc_add(c, &w->doc, MC_TX_RESEARCH_RELEASE, MC_TXR_NOT_FOUND);
    mc_release_body(w, &rel2, &w->res.id, 1, 1);
    mc_add(c, &w->hosp, MC_TX_RESEARCH_RELEASE, MC_TXR_OK); /* the org itself may record it */
    uint8_t junk[7] = {1, 2, 3, 4, 5, 6, 7};
    mc_buf_reset(&c->body);
    assert_ok(mc_buf_append(&c->body, junk, sizeof junk));
    mc_add(c, &w->doc, MC_TX_RESEARCH_RELEASE, MC_TXR_BAD_BODY);
    mc_commit(c, 0);
    mc_world_close(w);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_body),
        cmocka_unit_test(test_release_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
