/*
 * chain, part 4 (bodies): the transaction bodies of records and consent: record.anchor, consent
 * grant and deny, revoke, delegate, break-glass, access.log and org admission (docs/format.md,
 * "Records and consent"). The state values are in test_chain_consent_state.c, the names in
 * test_chain_consent_names.c; the helpers in chainconsent_util.c.
 *
 * Each encoding gets a fully populated round trip (encode, decode, equal, encode again to the
 * same bytes, every truncation and a trailing byte refused, every one-bit flip either refused
 * or canonical), and for each canonical-form rule a bad value the encoder refuses and bad bytes
 * (a good encoding patched at the field the rule is about) the decoder refuses, zeroing its
 * output. The offsets used for patching follow the layouts in docs/format.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainconsent_util.h"

/* ------------------------------------------------------------------------------------------ */
/* record.anchor and records                                                                    */

static void test_anchor(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, MC_MAX_BODY_BYTES);
    mc_buf_init(&b, MC_MAX_BODY_BYTES);
    mc_body_anchor a, x;

    /* fully populated, the largest, and the smallest */
    mc_sample_anchor(&a, MC_MAX_WRAPPED, MC_MAX_TOKENS);
    mc_roundtrip(&mc_c_anchor, &a, &g);
    mc_anchor_layout l = mc_anchor_layout_of(&a);
    assert_int_equal(g.n, l.has_supersedes + 1 + 32);
    mc_sample_anchor(&x, 0, 0);
    x.has_supersedes = 0;
    memset(x.supersedes.b, 0, 32);
    mc_roundtrip(&mc_c_anchor, &x, &b);
    assert_int_equal(b.n, 96 + 4 + strlen(x.category) + 1 + 32 + 32 + 8 + 4 + 4 + 1);

    mc_sample_anchor(&a, 3, 4);
    mc_roundtrip(&mc_c_anchor, &a, &g);
    l = mc_anchor_layout_of(&a);

    /* counts over their caps */
    x = a;
    x.nkeys = MC_MAX_WRAPPED + 1;
    mc_refuse_enc(&mc_c_anchor, &x, MC_ETOOBIG);
    mc_refuse_at(&mc_c_anchor, &g, l.nkeys, 4, MC_MAX_WRAPPED + 1, MC_ETOOBIG);
    x = a;
    x.ntokens = MC_MAX_TOKENS + 1;
    mc_refuse_enc(&mc_c_anchor, &x, MC_ETOOBIG);
    mc_refuse_at(&mc_c_anchor, &g, l.ntokens, 4, MC_MAX_TOKENS + 1, MC_ETOOBIG);

    /* the category: valid, non-empty, within its cap */
    static const char *const badcat[] = {"", "Lab", "lab result", "lab,x"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badcat); i++) {
        x = a;
        strcpy(x.category, badcat[i]);
        mc_refuse_enc(&mc_c_anchor, &x, MC_EINVAL);
        mc_copy(&b, &g);
        mc_splice_str(&b, l.category, a.category, badcat[i]);
        mc_refuse(&mc_c_anchor, b.p, b.n, MC_EINVAL);
    }
    x = a;
    memset(x.category, 'a', sizeof x.category); /* not NUL-terminated */
    mc_refuse_enc(&mc_c_anchor, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_splice_str(&b, l.category, a.category, "abcdefghijklmnopqrstuvwxyz0123456");
    mc_refuse(&mc_c_anchor, b.p, b.n, MC_ETOOBIG);
    mc_refuse_at(&mc_c_anchor, &g, l.category + 4, 1, 0x01, MC_EINVAL); /* a control byte */

    /* sensitivity 0..2 */
    for (uint8_t s = 0; s <= MC_SENS_VERY_RESTRICTED; s++) {
        x = a;
        x.sensitivity = s;
        mc_roundtrip(&mc_c_anchor, &x, &b);
    }
    x = a;
    x.sensitivity = 3;
    mc_refuse_enc(&mc_c_anchor, &x, MC_EINVAL);
    mc_refuse_at(&mc_c_anchor, &g, l.sensitivity, 1, 3, MC_EINVAL);

    /* keys strictly increasing by recipient: swapped, duplicated */
    const size_t ks = 32 + MC_SEALED_KEY_BYTES;
    x = a;
    x.keys[1] = a.keys[2];
    x.keys[2] = a.keys[1];
    mc_refuse_enc(&mc_c_anchor, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_swap(&b, l.keys + ks, l.keys + 2 * ks, ks);
    mc_refuse(&mc_c_anchor, b.p, b.n, MC_EINVAL);
    x = a;
    x.keys[1].recipient = a.keys[0].recipient;
    mc_refuse_enc(&mc_c_anchor, &x, MC_EINVAL);
    mc_copy(&b, &g);
    memcpy(b.p + l.keys + ks, b.p + l.keys, 32);
    mc_refuse(&mc_c_anchor, b.p, b.n, MC_EINVAL);

    /* tokens strictly increasing */
    x = a;
    x.tokens[3] = a.tokens[0];
    mc_refuse_enc(&mc_c_anchor, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_swap(&b, l.tokens, l.tokens + 3 * 32, 32);
    mc_refuse(&mc_c_anchor, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &g);
    memcpy(b.p + l.tokens + 32, b.p + l.tokens, 32);
    mc_refuse(&mc_c_anchor, b.p, b.n, MC_EINVAL);

    /* has_supersedes is a boolean */
    x = a;
    x.has_supersedes = 2;
    mc_refuse_enc(&mc_c_anchor, &x, MC_EINVAL);
    mc_refuse_at(&mc_c_anchor, &g, l.has_supersedes, 1, 2, MC_EINVAL);
    mc_refuse_at(&mc_c_anchor, &g, l.has_supersedes, 1, 0, MC_EINVAL); /* says none, but 32 bytes follow */

    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Consent                                                                                      */

static void test_consent_body_roundtrip(void **state)
{
    (void)state;
    mc_buf g;
    mc_buf_init(&g, MC_MAX_BODY_BYTES);
    mc_body_consent *c = calloc(1, sizeof *c);
    assert_non_null(c);

    mc_sample_grant_selector(c);
    mc_roundtrip(&mc_c_consent_body, c, &g);
    assert_int_equal(g.n, mc_consent_layout_of(c, 0).end);
    mc_sample_deny_records(c);
    mc_roundtrip(&mc_c_consent_body, c, &g);
    assert_int_equal(g.n, mc_consent_layout_of(c, 0).end);
    /* an org grantee, every record */
    c->grantee_kind = MC_GRANTEE_ORG;
    c->scope_kind = MC_SCOPE_ALL;
    c->nrecords = 0;
    memset(c->records, 0, sizeof c->records);
    mc_roundtrip(&mc_c_consent_body, c, &g);

    /* every list at its cap: a grant to a selector of 16 attributes, 16 categories, 64 keys */
    mc_sample_grant_selector(c);
    c->selector.n = MC_MAX_ATTRS;
    for (uint32_t i = 0; i < MC_MAX_ATTRS; i++) {
        snprintf(c->selector.a[i].key, sizeof c->selector.a[i].key, "k%02u", i);
        memset(c->selector.a[i].val, 'v', MC_MAX_ATTR_VAL);
    }
    c->ncats = MC_MAX_SCOPE_CATS;
    for (uint32_t i = 0; i < MC_MAX_SCOPE_CATS; i++) {
        memset(c->cats[i], 'a' + (int)i, MC_MAX_CATEGORY);
        c->cats[i][MC_MAX_CATEGORY] = 0;
    }
    c->nkeys = MC_MAX_REWRAPPED;
    for (uint32_t i = 0; i < MC_MAX_REWRAPPED; i++) {
        if (i % 2)
            c->keys[i].record = c->keys[i - 1].record; /* two recipients of each record */
        else
            mc_fill(c->keys[i].record.b, 32, (uint8_t)(i / 2));
        mc_fill(c->keys[i].key.recipient.b, 32, (uint8_t)(i % 2));
        mc_fill(c->keys[i].key.sealed, MC_SEALED_KEY_BYTES, 0xdd);
    }
    mc_buf_reset(&g);
    assert_ok(mc_body_consent_encode(&g, c));
    mc_check_exact(mc_c_consent_body.exact, g.p, g.n);
    /* and 64 records */
    mc_sample_deny_records(c);
    c->nrecords = MC_MAX_SCOPE_RECORDS;
    for (uint32_t i = 0; i < MC_MAX_SCOPE_RECORDS; i++) mc_fill(c->records[i].b, 32, (uint8_t)i);
    mc_buf_reset(&g);
    assert_ok(mc_body_consent_encode(&g, c));
    mc_check_exact(mc_c_consent_body.exact, g.p, g.n);
    free(c);
    mc_buf_free(&g);
}

/* The grant @p x is refused by the encoder with @p want. */
static void mc_consent_refused(const mc_body_consent *x, int want)
{
    mc_refuse_enc(&mc_c_consent_body, x, want);
}

static void test_consent_body_rules(void **state)
{
    (void)state;
    mc_buf g, d, b;
    mc_buf_init(&g, MC_MAX_BODY_BYTES);
    mc_buf_init(&d, MC_MAX_BODY_BYTES);
    mc_buf_init(&b, MC_MAX_BODY_BYTES);
    mc_body_consent *a = calloc(1, sizeof *a), *r = calloc(1, sizeof *r), *x = calloc(1, sizeof *x);
    assert_true(a && r && x);
    mc_sample_grant_selector(a);
    mc_sample_deny_records(r);
    assert_ok(mc_body_consent_encode(&g, a));
    assert_ok(mc_body_consent_encode(&d, r));
    const mc_consent_layout la = mc_consent_layout_of(a, 0), lr = mc_consent_layout_of(r, 0);
    const mc_codec *c = &mc_c_consent_body;

    /* counts over their caps */
    struct {
        const mc_buf *from;
        size_t off;
        uint32_t n;
    } over[] = {{&g, la.selector, MC_MAX_ATTRS + 1},
                {&g, la.ncats, MC_MAX_SCOPE_CATS + 1},
                {&d, lr.nrecords, MC_MAX_SCOPE_RECORDS + 1},
                {&g, la.nkeys, MC_MAX_REWRAPPED + 1},
                {&g, la.nkeys, UINT32_MAX}};
    for (unsigned i = 0; i < MC_ARRAY_LEN(over); i++) {
        mc_refuse_at(c, over[i].from, over[i].off, 4, over[i].n, MC_ETOOBIG);
    }
    *x = *a;
    x->selector.n = MC_MAX_ATTRS + 1;
    mc_consent_refused(x, MC_ETOOBIG);
    *x = *a;
    x->ncats = MC_MAX_SCOPE_CATS + 1;
    mc_consent_refused(x, MC_ETOOBIG);
    *x = *r;
    x->nrecords = MC_MAX_SCOPE_RECORDS + 1;
    mc_consent_refused(x, MC_ETOOBIG);
    *x = *a;
    x->nkeys = MC_MAX_REWRAPPED + 1;
    mc_consent_refused(x, MC_ETOOBIG);

    /* grantee kind 1..3 */
    static const uint8_t badkind[] = {0, 4, 0xff};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badkind); i++) {
        *x = *r;
        x->grantee_kind = badkind[i];
        mc_consent_refused(x, MC_EINVAL);
        mc_refuse_at(c, &d, lr.grantee_kind, 1, badkind[i], MC_EINVAL);
    }
    /* a selector exactly for a selector grantee: present on an identity or an org, absent on a selector */
    for (uint8_t k = MC_GRANTEE_IDENTITY; k <= MC_GRANTEE_ORG; k++) {
        *x = *a;
        x->grantee_kind = k;
        mc_consent_refused(x, MC_EINVAL);
        mc_refuse_at(c, &g, la.grantee_kind, 1, k, MC_EINVAL);
    }
    *x = *r;
    x->grantee_kind = MC_GRANTEE_SELECTOR;
    mc_consent_refused(x, MC_EINVAL);
    mc_refuse_at(c, &d, lr.grantee_kind, 1, MC_GRANTEE_SELECTOR, MC_EINVAL);
    /* the selector's own canonical form: keys valid and strictly increasing */
    *x = *a;
    mc_attr t = x->selector.a[0];
    x->selector.a[0] = x->selector.a[1];
    x->selector.a[1] = t;
    mc_consent_refused(x, MC_EINVAL);
    mc_refuse_at(c, &g, la.selector + 4 + 4, 1, 'z', MC_EINVAL); /* "dept" -> "zept": after "role" */
    *x = *a;
    strcpy(x->selector.a[1].val, "a,b");
    mc_consent_refused(x, MC_EINVAL);

    /* scope kind 1..3 */
    for (unsigned i = 0; i < MC_ARRAY_LEN(badkind); i++) {
        *x = *a;
        x->scope_kind = badkind[i];
        mc_consent_refused(x, MC_EINVAL);
        mc_refuse_at(c, &g, la.scope_kind, 1, badkind[i], MC_EINVAL);
    }
    /* categories exactly for a categories scope, records exactly for a records scope */
    static const uint8_t notcats[] = {MC_SCOPE_ALL, MC_SCOPE_RECORDS};
    for (unsigned i = 0; i < MC_ARRAY_LEN(notcats); i++) {
        *x = *a;
        x->scope_kind = notcats[i];
        mc_consent_refused(x, MC_EINVAL);
        mc_refuse_at(c, &g, la.scope_kind, 1, notcats[i], MC_EINVAL);
    }
    static const uint8_t notrecs[] = {MC_SCOPE_ALL, MC_SCOPE_CATEGORIES};
    for (unsigned i = 0; i < MC_ARRAY_LEN(notrecs); i++) {
        *x = *r;
        x->scope_kind = notrecs[i];
        mc_consent_refused(x, MC_EINVAL);
        mc_refuse_at(c, &d, lr.scope_kind, 1, notrecs[i], MC_EINVAL);
    }
    /* a categories scope with no categories; a records scope with no records */
    *x = *a;
    x->ncats = 0;
    memset(x->cats, 0, sizeof x->cats);
    mc_consent_refused(x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_splice(&b, la.ncats, la.nrecords - la.ncats, "\0\0\0\0", 4);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    *x = *r;
    x->nrecords = 0;
    mc_consent_refused(x, MC_EINVAL);
    mc_copy(&b, &d);
    mc_splice(&b, lr.nrecords, lr.purposes - lr.nrecords, "\0\0\0\0", 4);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    /* both lists on one scope */
    *x = *a;
    x->nrecords = 1;
    mc_consent_refused(x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_put(&b, la.nrecords, 4, 1);
    mc_splice(&b, la.records, 0, r->records[0].b, 32);
    mc_refuse(c, b.p, b.n, MC_EINVAL);

    /* categories: valid, strictly increasing */
    *x = *a;
    strcpy(x->cats[1], "MED");
    mc_consent_refused(x, MC_EINVAL);
    mc_refuse_at(c, &g, la.cats + 7 + 4, 1, 'M', MC_EINVAL);
    *x = *a;
    strcpy(x->cats[2], "lab");
    mc_consent_refused(x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_swap(&b, la.cats, la.cats + 7, 7); /* "lab" and "med": same length */
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &g);
    memcpy(b.p + la.cats + 14, b.p + la.cats + 7, 7); /* "med" twice */
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    *x = *a;
    x->cats[0][0] = 0;
    mc_consent_refused(x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_splice_str(&b, la.cats, "lab", "");
    mc_refuse(c, b.p, b.n, MC_EINVAL);

    /* records strictly increasing */
    *x = *r;
    x->records[2] = r->records[1];
    mc_consent_refused(x, MC_EINVAL);
    mc_copy(&b, &d);
    mc_swap(&b, lr.records, lr.records + 64, 32);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &d);
    memcpy(b.p + lr.records + 32, b.p + lr.records, 32);
    mc_refuse(c, b.p, b.n, MC_EINVAL);

    /* purposes and actions: not empty, nothing unknown */
    static const uint32_t badp[] = {0, 1u << 7, MC_PURPOSE_ALL_ + 1, MC_PURPOSE_TREAT | (1u << 31)};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badp); i++) {
        *x = *a;
        x->purposes = badp[i];
        mc_consent_refused(x, MC_EINVAL);
        mc_refuse_at(c, &g, la.purposes, 4, badp[i], MC_EINVAL);
    }
    static const uint8_t bada[] = {0, 8, MC_ACTION_READ | 0x80};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bada); i++) {
        *x = *a;
        x->actions = bada[i];
        mc_consent_refused(x, MC_EINVAL);
        mc_refuse_at(c, &g, la.actions, 1, bada[i], MC_EINVAL);
    }

    /* the window is not empty: not_before < not_after */
    *x = *a;
    x->not_after = x->not_before;
    mc_consent_refused(x, MC_EINVAL);
    mc_refuse_at(c, &g, la.not_after, 8, a->not_before, MC_EINVAL);
    *x = *a;
    x->not_before = x->not_after + 1;
    mc_consent_refused(x, MC_EINVAL);
    mc_refuse_at(c, &g, la.not_before, 8, a->not_after + 1, MC_EINVAL);
    *x = *a;
    x->not_after = (uint64_t)INT64_MAX + 1; /* beyond a signed 64-bit time */
    mc_consent_refused(x, MC_EINVAL);
    mc_refuse_at(c, &g, la.not_after, 8, (uint64_t)INT64_MAX + 1, MC_EINVAL);
    *x = *a;
    x->not_after = x->not_before + 1; /* the shortest window */
    mc_roundtrip(c, x, &b);

    /* keys strictly increasing by (record, recipient) */
    const size_t ks = 32 + 32 + MC_SEALED_KEY_BYTES;
    mc_copy(&b, &g);
    mc_swap(&b, la.keys + ks, la.keys + 2 * ks, ks); /* by record */
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &g);
    mc_swap(&b, la.keys, la.keys + ks, ks); /* same record, by recipient */
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &g);
    memcpy(b.p + la.keys + ks + 32, b.p + la.keys + 32, 32); /* the same pair twice */
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    *x = *a;
    x->keys[0] = a->keys[1];
    x->keys[1] = a->keys[0];
    mc_consent_refused(x, MC_EINVAL);
    *x = *a;
    x->keys[1].key.recipient = a->keys[0].key.recipient;
    mc_consent_refused(x, MC_EINVAL);
    /* a deny body with keys is simply a grant body: the executor refuses it for a deny */
    *x = *r;
    x->nkeys = 1;
    x->keys[0] = a->keys[0];
    mc_roundtrip(c, x, &b);

    free(a);
    free(r);
    free(x);
    mc_buf_free(&b);
    mc_buf_free(&d);
    mc_buf_free(&g);
}

static void test_revoke_delegate(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 1024);
    mc_buf_init(&b, 1024);

    mc_body_consent_revoke rv;
    mc_fill(rv.target.b, 32, 0xa0);
    mc_roundtrip(&mc_c_consent_revoke, &rv, &g);
    assert_int_equal(g.n, 32);

    mc_body_delegate db, dx;
    memset(&db, 0, sizeof db);
    mc_fill(db.patient.b, 32, 0xa1);
    mc_fill(db.delegate.b, 32, 0xa2);
    for (int add = 0; add <= 1; add++) {
        db.add = add;
        mc_roundtrip(&mc_c_delegate_body, &db, &g);
        assert_int_equal(g.n, 65);
    }
    dx = db;
    dx.add = 2;
    mc_refuse_enc(&mc_c_delegate_body, &dx, MC_EINVAL);
    mc_refuse_at(&mc_c_delegate_body, &g, 64, 1, 2, MC_EINVAL);

    mc_delegate dl, dlx;
    memset(&dl, 0, sizeof dl);
    dl.active = 1;
    dl.height = 5;
    dl.time_ms = 1700000000000ull;
    mc_roundtrip(&mc_c_delegate, &dl, &g);
    assert_int_equal(g.n, 18);
    dlx = dl;
    dlx.active = 0;
    mc_roundtrip(&mc_c_delegate, &dlx, &b);
    dlx.active = 2;
    mc_refuse_enc(&mc_c_delegate, &dlx, MC_EINVAL);
    mc_refuse_at(&mc_c_delegate, &g, 1, 1, 2, MC_EINVAL);
    mc_refuse_at(&mc_c_delegate, &g, 0, 1, 0, MC_EINVAL);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Break-glass and access.log                                                                   */

static void mc_emergency_equal(const mc_body_emergency *a, const mc_body_emergency *b)
{
    assert_memory_equal(a->patient.b, b->patient.b, 32);
    assert_int_equal(a->duration_ms, b->duration_ms);
    assert_int_equal(a->nreasons, b->nreasons);
    for (uint32_t i = 0; i < a->nreasons; i++) {
        assert_memory_equal(a->reason_to[i].b, b->reason_to[i].b, 32);
        assert_int_equal(a->reason[i].n, b->reason[i].n);
        assert_memory_equal(a->reason[i].p, b->reason[i].p, a->reason[i].n);
    }
}

static void test_emergency_body(void **state)
{
    (void)state;
    static uint8_t reasons[MC_MAX_REASONS][MC_MAX_REASON_BYTES];
    mc_buf g, b;
    mc_buf_init(&g, MC_MAX_BODY_BYTES);
    mc_buf_init(&b, MC_MAX_BODY_BYTES);
    mc_body_emergency e, x, got;
    const mc_codec *c = &mc_c_emergency_body;

    /* every reason at its longest; then a short one; decoding borrows from the bytes */
    mc_sample_emergency_body(&e, reasons, MC_MAX_REASONS);
    for (uint32_t i = 0; i < e.nreasons; i++) e.reason[i].n = MC_MAX_REASON_BYTES;
    e.duration_ms = MC_MAX_EMERGENCY_MS;
    mc_roundtrip(c, &e, &g);
    assert_int_equal(g.n, 32 + 8 + 4 + MC_MAX_REASONS * (32 + 4 + MC_MAX_REASON_BYTES));
    assert_ok(mc_body_emergency_decode(&got, g.p, g.n));
    mc_emergency_equal(&got, &e);
    assert_ptr_equal(got.reason[0].p, g.p + 32 + 8 + 4 + 32 + 4);

    mc_sample_emergency_body(&e, reasons, 3);
    e.reason[1].n = MC_SEAL_OVERHEAD + 1;
    e.duration_ms = 1;
    mc_roundtrip(c, &e, &g);
    assert_ok(mc_body_emergency_decode(&got, g.p, g.n));
    mc_emergency_equal(&got, &e);

    mc_sample_emergency_body(&e, reasons, 3);
    mc_roundtrip(c, &e, &g);
    const size_t item = 32 + 4 + 100, items = 44;

    /* duration 1 .. MC_MAX_EMERGENCY_MS */
    static const uint64_t baddur[] = {0, MC_MAX_EMERGENCY_MS + 1, UINT64_MAX};
    for (unsigned i = 0; i < MC_ARRAY_LEN(baddur); i++) {
        x = e;
        x.duration_ms = baddur[i];
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_refuse_at(c, &g, 32, 8, baddur[i], MC_EINVAL);
    }
    /* 1 .. MC_MAX_REASONS reasons */
    x = e;
    x.nreasons = 0;
    mc_refuse_enc(c, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_put(&b, 40, 4, 0);
    b.n = items;
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    x = e;
    x.nreasons = MC_MAX_REASONS + 1;
    mc_refuse_enc(c, &x, MC_ETOOBIG);
    mc_refuse_at(c, &g, 40, 4, MC_MAX_REASONS + 1, MC_ETOOBIG);
    /* recipients strictly increasing */
    x = e;
    x.reason_to[0] = e.reason_to[2];
    x.reason_to[2] = e.reason_to[0];
    mc_refuse_enc(c, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_swap(&b, items, items + item, 32);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &g);
    memcpy(b.p + items + 2 * item, b.p + items + item, 32);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    /* each reason: a sealed box of at least one byte, at most MC_MAX_REASON_BYTES */
    static const uint8_t box[MC_MAX_REASON_BYTES + 1];
    x = e;
    x.reason[1].n = MC_SEAL_OVERHEAD;
    mc_refuse_enc(c, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_put(&b, items + item + 32, 4, MC_SEAL_OVERHEAD);
    mc_splice(&b, items + item + 36, 100, box, MC_SEAL_OVERHEAD);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    x = e;
    x.reason[1].n = 0;
    x.reason[1].p = NULL;
    mc_refuse_enc(c, &x, MC_EINVAL);
    mc_copy(&b, &g);
    mc_put(&b, items + item + 32, 4, 0);
    mc_splice(&b, items + item + 36, 100, NULL, 0);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    x = e;
    x.reason[2].p = box;
    x.reason[2].n = MC_MAX_REASON_BYTES + 1;
    mc_refuse_enc(c, &x, MC_ETOOBIG);
    mc_copy(&b, &g);
    mc_put(&b, items + 2 * item + 32, 4, MC_MAX_REASON_BYTES + 1);
    mc_splice(&b, items + 2 * item + 36, 100, box, MC_MAX_REASON_BYTES + 1);
    mc_refuse(c, b.p, b.n, MC_ETOOBIG);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* A decision the body and the state accept: a known reason on its side. */
static int mc_decision_known(uint8_t permit, uint16_t reason)
{
    return mc_reason_name(reason) != NULL && permit == (reason < MC_RSN_DENY_);
}

static void test_access_log(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 1024);
    mc_buf_init(&b, 1024);
    mc_body_access_log l, x;
    const mc_codec *c = &mc_c_access_log;
    mc_sample_access_log(&l);
    mc_roundtrip(c, &l, &g);
    assert_int_equal(g.n, MC_LOG_BASIS + 1 + 32 + 1);
    x = l;
    x.has_basis = 0;
    memset(x.basis.b, 0, 32);
    x.permit = 0;
    x.reason = MC_RSN_DENY_DEFAULT;
    mc_roundtrip(c, &x, &b);
    assert_int_equal(b.n, MC_LOG_BASIS + 1 + 1);

    /* via, the last byte: the decision route, or the gatekeeper's content route for a read */
    x = l;
    x.via = MC_VIA_CONTENT;
    mc_roundtrip(c, &x, &b);
    assert_int_equal(b.p[b.n - 1], MC_VIA_CONTENT);
    static const uint8_t badvia[] = {MC_VIA_COUNT_, 3, 0x80, 0xff};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badvia); i++) {
        x = l;
        x.via = badvia[i];
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_refuse_at(c, &g, g.n - 1, 1, badvia[i], MC_EINVAL);
    }
    /* ciphertext is never metadata or a derivative: the content route logs reads only */
    for (uint8_t a = MC_ACTION_READ_META; a <= MC_ACTION_READ_DEID; a = (uint8_t)(a << 1)) {
        x = l;
        x.action = a;
        x.via = MC_VIA_CONTENT;
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_copy(&b, &g);
        mc_put(&b, MC_LOG_ACTION, 1, a);
        mc_refuse_at(c, &b, b.n - 1, 1, MC_VIA_CONTENT, MC_EINVAL);
    }

    /* every single purpose with every single action */
    for (uint32_t p = 1; p <= MC_PURPOSE_ALL_; p <<= 1)
        for (uint8_t a = 1; a <= MC_ACTION_ALL_; a = (uint8_t)(a << 1)) {
            x = l;
            x.purpose = p;
            x.action = a;
            mc_buf_reset(&b);
            assert_ok(mc_body_access_log_encode(&b, &x));
            mc_body_access_log got;
            assert_ok(mc_body_access_log_decode(&got, b.p, b.n));
            assert_memory_equal(&got, &x, sizeof x);
        }
    /* purpose and action: exactly one known bit each */
    static const uint32_t badp[] = {0, MC_PURPOSE_TREAT | MC_PURPOSE_HPAYMT, 1u << 7, 1u << 31,
                                    MC_PURPOSE_ALL_};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badp); i++) {
        x = l;
        x.purpose = badp[i];
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_refuse_at(c, &g, MC_LOG_PURPOSE, 4, badp[i], MC_EINVAL);
    }
    static const uint8_t bada[] = {0, 3, 8, 0x80, MC_ACTION_ALL_};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bada); i++) {
        x = l;
        x.action = bada[i];
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_refuse_at(c, &g, MC_LOG_ACTION, 1, bada[i], MC_EINVAL);
    }
    /* the decision: every (permit, reason) pair, accepted exactly when the reason is known and on its side */
    for (unsigned permit = 0; permit <= 2; permit++)
        for (uint32_t r = 0; r <= 0xffff; r++) {
            mc_copy(&b, &g);
            mc_put(&b, MC_LOG_PERMIT, 1, permit);
            mc_put(&b, MC_LOG_REASON, 2, r);
            mc_body_access_log got;
            int ok = permit <= 1 && mc_decision_known((uint8_t)permit, (uint16_t)r);
            int rc = mc_body_access_log_decode(&got, b.p, b.n);
            if ((rc == MC_OK) != ok) print_error("permit %u reason %u: %d\n", permit, r, rc);
            assert_int_equal(rc, ok ? MC_OK : MC_EINVAL);
            x = l;
            x.permit = (uint8_t)permit;
            x.reason = (uint16_t)r;
            mc_buf_reset(&b);
            assert_rc(mc_body_access_log_encode(&b, &x), ok ? MC_OK : MC_EINVAL);
        }
    /* has_basis is a boolean */
    x = l;
    x.has_basis = 2;
    mc_refuse_enc(c, &x, MC_EINVAL);
    mc_refuse_at(c, &g, MC_LOG_BASIS, 1, 2, MC_EINVAL);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Org admission                                                                                */

static void test_org_bodies(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 1024);
    mc_buf_init(&b, 1024);
    mc_body_org_propose o, x;
    const mc_codec *c = &mc_c_org_propose;
    mc_sample_org(&o);
    mc_roundtrip(c, &o, &g);
    const size_t type = 4 + strlen(o.name);
    assert_int_equal(g.n, type + 4 + strlen(o.type) + 64 + 1);
    /* names at their longest */
    x = o;
    memset(x.name, 'n', MC_MAX_ATTR_VAL);
    memset(x.type, 't', MC_MAX_ATTR_VAL);
    mc_roundtrip(c, &x, &b);

    /* name and type: non-empty, NUL-terminated within the cap, no ',' or control bytes */
    static const char *const badname[] = {"", "a,b", "tab\there"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badname); i++) {
        x = o;
        strcpy(x.name, badname[i]);
        mc_refuse_enc(c, &x, MC_EINVAL);
        x = o;
        strcpy(x.type, badname[i]);
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_copy(&b, &g);
        mc_splice_str(&b, 0, o.name, badname[i]);
        mc_refuse(c, b.p, b.n, MC_EINVAL);
        mc_copy(&b, &g);
        mc_splice_str(&b, type, o.type, badname[i]);
        mc_refuse(c, b.p, b.n, MC_EINVAL);
    }
    x = o;
    memset(x.name, 'n', sizeof x.name);
    mc_refuse_enc(c, &x, MC_EINVAL);
    char longname[MC_MAX_ATTR_VAL + 2];
    memset(longname, 'n', MC_MAX_ATTR_VAL + 1);
    longname[MC_MAX_ATTR_VAL + 1] = 0;
    mc_copy(&b, &g);
    mc_splice_str(&b, 0, o.name, longname);
    mc_refuse(c, b.p, b.n, MC_ETOOBIG);
    mc_refuse_at(c, &g, 4, 1, 0x7f, MC_EINVAL);

    /* with a validator node: a flag then its two keys; the flag is 0 or 1, and the node's key
     * is not the org's */
    x = o;
    x.has_node = 1;
    mc_fill(x.node_sign_pk.b, 32, 0x51);
    mc_fill(x.node_box_pk.b, 32, 0x52);
    mc_roundtrip(c, &x, &b);
    assert_int_equal(b.n, g.n + 64);
    mc_refuse_at(c, &b, g.n - 1, 1, 2, MC_EINVAL);
    x.node_sign_pk = x.sign_pk;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = o;
    x.has_node = 2;
    mc_refuse_enc(c, &x, MC_EINVAL);
    mc_copy(&b, &g);
    b.n--; /* the flag missing */
    mc_refuse(c, b.p, b.n, MC_EINVAL);

    mc_body_org_approve ap;
    mc_fill(ap.proposal.b, 32, 0xc0);
    mc_roundtrip(&mc_c_org_approve, &ap, &g);
    assert_int_equal(g.n, 32);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anchor),
        cmocka_unit_test(test_consent_body_roundtrip),
        cmocka_unit_test(test_consent_body_rules),
        cmocka_unit_test(test_revoke_delegate),
        cmocka_unit_test(test_emergency_body),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_org_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
