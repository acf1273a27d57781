/*
 * chain, part 4 (state values): what the chain keeps for records and consent: records, consent
 * entries, break-glass and access entries, org proposals, and the events (docs/format.md,
 * "Records and consent"). The bodies are in test_chain_consent_body.c; the helpers in
 * chainconsent_util.c.
 *
 * Each encoding gets a fully populated round trip and, for each canonical-form rule, a bad value
 * the encoder refuses and bad bytes the decoder refuses, as in test_chain_consent_body.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainconsent_util.h"

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                    */

static void test_record(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 4096);
    mc_buf_init(&b, 4096);
    mc_record r, x;
    memset(&r, 0, sizeof r);
    mc_fill(r.id.b, 32, 1);
    mc_fill(r.anchor_tx.b, 32, 2);
    mc_fill(r.patient.b, 32, 3);
    mc_fill(r.custodian.b, 32, 4);
    mc_fill(r.author.b, 32, 5);
    mc_fill(r.author_org.b, 32, 6);
    strcpy(r.category, "imaging.ct");
    r.sensitivity = MC_SENS_VERY_RESTRICTED;
    mc_fill(r.cipher_hash.b, 32, 7);
    mc_fill(r.commitment.b, 32, 8);
    r.size = 123456789;
    mc_fill(r.root.b, 32, 9);
    r.has_supersedes = 1;
    mc_fill(r.supersedes.b, 32, 10);
    r.has_superseded_by = 1;
    mc_fill(r.superseded_by.b, 32, 11);
    r.height = 77;
    r.time_ms = 1700000000000ull;
    mc_roundtrip(&mc_c_record, &r, &g);
    /* version | 6 ids | category | sensitivity | 2 hashes | size | root | 2 optional | height | time
     * | custodian key */
    const size_t cat = 1 + 6 * 32, sens = cat + 4 + strlen(r.category), sup = sens + 1 + 64 + 8 + 32,
                 supby = sup + 1 + 32;
    assert_int_equal(g.n, supby + 1 + 32 + 16 + MC_SEALED_KEY_BYTES);
    assert_int_equal(g.p[0], MC_FORMAT_VERSION);
    x = r;
    x.has_supersedes = x.has_superseded_by = 0;
    memset(x.supersedes.b, 0, 32);
    memset(x.superseded_by.b, 0, 32);
    mc_roundtrip(&mc_c_record, &x, &b);

    mc_refuse_at(&mc_c_record, &g, 0, 1, 2, MC_EINVAL);
    x = r;
    strcpy(x.category, "CT");
    mc_refuse_enc(&mc_c_record, &x, MC_EINVAL);
    mc_refuse_at(&mc_c_record, &g, cat + 4, 1, 'I', MC_EINVAL);
    x = r;
    x.category[0] = 0;
    mc_refuse_enc(&mc_c_record, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_splice_str(&b, cat, r.category, "");
    mc_refuse(&mc_c_record, b.p, b.n, MC_EINVAL);
    x = r;
    x.sensitivity = 3;
    mc_refuse_enc(&mc_c_record, &x, MC_EINVAL);
    mc_refuse_at(&mc_c_record, &g, sens, 1, 0xff, MC_EINVAL);
    x = r;
    x.has_supersedes = 2;
    mc_refuse_enc(&mc_c_record, &x, MC_EINVAL);
    mc_refuse_at(&mc_c_record, &g, sup, 1, 2, MC_EINVAL);
    x = r;
    x.has_superseded_by = -1;
    mc_refuse_enc(&mc_c_record, &x, MC_EINVAL);
    mc_refuse_at(&mc_c_record, &g, supby, 1, 2, MC_EINVAL);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Consent                                                                                    */

static void test_consent_state(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, MC_MAX_BODY_BYTES);
    mc_buf_init(&b, MC_MAX_BODY_BYTES);
    mc_consent *s = calloc(1, sizeof *s), *x = calloc(1, sizeof *x);
    assert_true(s && x);
    mc_fill(s->id.b, 32, 0x90);
    s->deny = 0;
    s->status = MC_CONSENT_REVOKED;
    mc_fill(s->by.b, 32, 0x91);
    s->height = 10;
    s->time_ms = 1700000000000ull;
    s->revoked_height = 12;
    s->revoked_time_ms = 1700000002000ull;
    mc_fill(s->revoked_by.b, 32, 0x92);
    mc_sample_grant_selector(&s->body);
    s->body.nkeys = 0;
    memset(s->body.keys, 0, sizeof s->body.keys);
    mc_roundtrip(&mc_c_consent, s, &g);
    /* version | id | deny | status | by | 4 u64 | revoked_by, then the body */
    const size_t body = 1 + 32 + 1 + 1 + 32 + 32 + 32;
    const mc_consent_layout l = mc_consent_layout_of(&s->body, body);
    assert_int_equal(g.n, l.end);
    *x = *s;
    x->deny = 1;
    x->status = MC_CONSENT_ACTIVE;
    mc_sample_deny_records(&x->body);
    mc_roundtrip(&mc_c_consent, x, &b);

    mc_refuse_at(&mc_c_consent, &g, 0, 1, 0, MC_EINVAL);
    *x = *s;
    x->deny = 2;
    mc_refuse_enc(&mc_c_consent, x, MC_EINVAL);
    mc_refuse_at(&mc_c_consent, &g, 33, 1, 2, MC_EINVAL);
    static const uint8_t badst[] = {0, 3};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badst); i++) {
        *x = *s;
        x->status = badst[i];
        mc_refuse_enc(&mc_c_consent, x, MC_EINVAL);
        mc_refuse_at(&mc_c_consent, &g, 34, 1, badst[i], MC_EINVAL);
    }
    /* no keys in the state (they stay in the grant's block) */
    *x = *s;
    x->body.nkeys = 1;
    x->body.keys[0].key.sealed[0] = 1;
    mc_refuse_enc(&mc_c_consent, x, MC_EINVAL);
    uint8_t key[32 + 32 + MC_SEALED_KEY_BYTES];
    mc_fill(key, sizeof key, 0x01);
    mc_copy(&b, &g);
    mc_put(&b, l.nkeys, 4, 1);
    mc_splice(&b, l.keys, 0, key, sizeof key);
    mc_refuse(&mc_c_consent, b.p, b.n, MC_EINVAL);
    /* the embedded body follows the body's rules */
    *x = *s;
    x->body.purposes = 0;
    mc_refuse_enc(&mc_c_consent, x, MC_EINVAL);
    mc_refuse_at(&mc_c_consent, &g, l.purposes, 4, 0, MC_EINVAL);
    mc_refuse_at(&mc_c_consent, &g, l.scope_kind, 1, MC_SCOPE_ALL, MC_EINVAL);
    mc_refuse_at(&mc_c_consent, &g, l.ncats, 4, MC_MAX_SCOPE_CATS + 1, MC_ETOOBIG);
    free(s);
    free(x);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Break-glass and access                                                                     */

static void test_emergency_state(void **state)
{
    (void)state;
    mc_buf g;
    mc_buf_init(&g, 1024);
    mc_emergency e;
    memset(&e, 0, sizeof e);
    mc_fill(e.id.b, 32, 0xb0);
    mc_fill(e.patient.b, 32, 0xb1);
    mc_fill(e.provider.b, 32, 0xb2);
    mc_fill(e.provider_org.b, 32, 0xb3);
    e.start_ms = 1700000000000ull;
    e.end_ms = e.start_ms + MC_MAX_EMERGENCY_MS;
    e.height = 42;
    mc_roundtrip(&mc_c_emergency, &e, &g);
    assert_int_equal(g.n, 1 + 4 * 32 + 3 * 8);
    g.p[0] = 2;
    mc_refuse(&mc_c_emergency, g.p, g.n, MC_EINVAL);
    mc_buf_free(&g);
}

static void test_access_state(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 1024);
    mc_buf_init(&b, 1024);
    mc_access a, x;
    const mc_codec *c = &mc_c_access;
    mc_sample_access(&a);
    mc_roundtrip(c, &a, &g);
    assert_int_equal(g.n,
                     MC_ACC_BASIS + 1 + 32 + 8 + 4 + 1 + 2 + 1 + 1); /* ... via | sub | released | chart */
    x = a;
    x.via = MC_VIA_CONTENT;
    mc_roundtrip(c, &x, &b);
    assert_int_equal(b.p[b.n - 5], MC_VIA_CONTENT); /* then sub 2, released, chart */
    x = a;
    x.permit = 0;
    x.emergency = 0;
    x.reason = MC_RSN_DENY_EMERGENCY_EXPIRED;
    x.has_basis = 0;
    memset(x.basis.b, 0, 32);
    mc_roundtrip(c, &x, &b);

    mc_refuse_at(c, &g, 0, 1, 0, MC_EINVAL);
    struct {
        size_t off, width;
        uint32_t v;
    } bad[] = {
        {MC_ACC_PURPOSE, 4, 0},
        {MC_ACC_PURPOSE, 4, MC_PURPOSE_TREAT | MC_PURPOSE_ETREAT},
        {MC_ACC_PURPOSE, 4, 1u << 7},
        {MC_ACC_ACTION, 1, 0},
        {MC_ACC_ACTION, 1, 6},
        {MC_ACC_ACTION, 1, 8},
        {MC_ACC_PERMIT, 1, 0}, /* a deny with a permit reason */
        {MC_ACC_PERMIT, 1, 2},
        {MC_ACC_EMERGENCY, 1, 2},
        {MC_ACC_REASON, 2, 0},
        {MC_ACC_REASON, 2, 7},
        {MC_ACC_REASON, 2, MC_RSN_DENY_DEFAULT}, /* a permit with a deny reason */
        {MC_ACC_REASON, 2, MC_RSN_DENY_EMERGENCY_EXPIRED + 1},
        {MC_ACC_BASIS, 1, 2},
        {MC_ACC_BASIS + 1 + 32 + 8 + 4, 1, MC_VIA_COUNT_}, /* via, the last byte */
        {MC_ACC_BASIS + 1 + 32 + 8 + 4, 1, 0xff},
    };
    for (unsigned i = 0; i < MC_ARRAY_LEN(bad); i++) {
        mc_refuse_at(c, &g, bad[i].off, (unsigned)bad[i].width, bad[i].v, MC_EINVAL);
    }
    x = a;
    x.purpose = 0;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = a;
    x.action = MC_ACTION_READ | MC_ACTION_READ_DEID;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = a;
    x.permit = 0;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = a;
    x.emergency = 2;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = a;
    x.reason = 200;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = a;
    x.has_basis = 2;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = a;
    x.via = MC_VIA_COUNT_;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = a;
    x.action = MC_ACTION_READ_META;
    x.via = MC_VIA_CONTENT;
    mc_refuse_enc(c, &x, MC_EINVAL);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Org admission                                                                              */

static void test_proposal(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 8192);
    mc_buf_init(&b, 8192);
    mc_proposal *p = calloc(1, sizeof *p), *x = calloc(1, sizeof *x);
    assert_true(p && x);
    const mc_codec *c = &mc_c_proposal;
    mc_fill(p->id.b, 32, 0xd0);
    mc_sample_org(&p->org);
    p->admitted = 1;
    p->threshold = 2;
    p->napprovals = 3;
    /* in the order they approved: not sorted */
    mc_fill(p->approvals[0].b, 32, 0xd3);
    mc_fill(p->approvals[1].b, 32, 0xd1);
    mc_fill(p->approvals[2].b, 32, 0xd2);
    p->height = 1234;
    mc_roundtrip(c, p, &g);
    const size_t org = 33, after = org + 4 + strlen(p->org.name) + 4 + strlen(p->org.type) + 64 + 1;
    assert_int_equal(g.n, after + 1 + 4 + 4 + 3 * 32 + 8);
    *x = *p;
    x->napprovals = MC_MAX_APPROVALS;
    for (uint32_t i = 0; i < MC_MAX_APPROVALS; i++) mc_fill(x->approvals[i].b, 32, (uint8_t)i);
    x->admitted = 0;
    mc_roundtrip(c, x, &b);
    *x = *p;
    x->napprovals = 0;
    memset(x->approvals, 0, sizeof x->approvals);
    mc_roundtrip(c, x, &b);

    mc_refuse_at(c, &g, 0, 1, 2, MC_EINVAL);
    *x = *p;
    x->admitted = 2;
    mc_refuse_enc(c, x, MC_EINVAL);
    mc_refuse_at(c, &g, after, 1, 2, MC_EINVAL);
    *x = *p;
    x->threshold = 0;
    mc_refuse_enc(c, x, MC_EINVAL);
    mc_refuse_at(c, &g, after + 1, 4, 0, MC_EINVAL);
    *x = *p;
    x->napprovals = MC_MAX_APPROVALS + 1;
    mc_refuse_enc(c, x, MC_ETOOBIG);
    mc_refuse_at(c, &g, after + 5, 4, MC_MAX_APPROVALS + 1, MC_ETOOBIG);
    *x = *p;
    x->org.type[0] = 0;
    mc_refuse_enc(c, x, MC_EINVAL);
    mc_refuse_at(c, &g, org + 4, 1, ',', MC_EINVAL);
    free(p);
    free(x);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Events                                                                                       */

static void test_event(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 1024);
    mc_buf_init(&b, 1024);
    mc_event ev, x;
    const mc_codec *c = &mc_c_event;
    memset(&ev, 0, sizeof ev);
    ev.height = 0x0102030405060708ull;
    ev.index = 0x0a0b0c0d;
    ev.n = 0x0e0f;
    ev.kind = MC_EV_READ;
    ev.flags = MC_EVF_EMERGENCY | MC_EVF_DENIED;
    mc_fill(ev.patient.b, 32, 0xe0);
    mc_fill(ev.actor.b, 32, 0xe1);
    mc_fill(ev.other.b, 32, 0xe2);
    mc_fill(ev.subject.b, 32, 0xe3);
    ev.time_ms = 1700000000000ull;
    mc_roundtrip(c, &ev, &g);
    assert_int_equal(g.n, MC_EVENT_BYTES);
    assert_int_equal(g.p[0], MC_FORMAT_VERSION);
    for (uint8_t k = MC_EV_RECORD; k <= MC_EV_ORG_ADMITTED; k++) {
        x = ev;
        x.kind = k;
        x.flags = 0;
        mc_roundtrip(c, &x, &b);
        assert_int_equal(b.n, MC_EVENT_BYTES);
    }

    mc_refuse_at(c, &g, 0, 1, 0, MC_EINVAL);
    static const uint8_t badkind[] = {0, MC_EV_ORG_ADMITTED + 1, 0xff};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badkind); i++) {
        x = ev;
        x.kind = badkind[i];
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_refuse_at(c, &g, 1 + 8 + 4 + 2, 1, badkind[i], MC_EINVAL);
    }
    for (uint8_t f = 0; f <= (MC_EVF_EMERGENCY | MC_EVF_DENIED | MC_EVF_REMOVED | MC_EVF_CONTENT); f++) {
        x = ev;
        x.flags = f;
        mc_roundtrip(c, &x, &b);
    }
    static const uint8_t badflags[] = {16, 0x80, 0xff};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badflags); i++) {
        x = ev;
        x.flags = badflags[i];
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_refuse_at(c, &g, 1 + 8 + 4 + 2 + 1, 1, badflags[i], MC_EINVAL);
    }
    mc_buf_free(&b);
    mc_buf_free(&g);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record),          cmocka_unit_test(test_consent_state),
        cmocka_unit_test(test_emergency_state), cmocka_unit_test(test_access_state),
        cmocka_unit_test(test_proposal),        cmocka_unit_test(test_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
