/*
 * chain, part 5 (key release and whole-chart reads): the read request a reader signs, the
 * access.reads body that logs it, the read response, org.gatekeeper and the gatekeeper the state
 * holds (docs/format.md, "Key release"), and which records a request selects.
 *
 * As in test_chain_consent_*.c: a fully populated round trip with the exact layout, then for
 * each canonical-form rule a bad value the encoder refuses and bad bytes the decoder refuses
 * (helpers in chainconsent_util.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainconsent_util.h"

#define DAY (24ull * 3600 * 1000)

/* ------------------------------------------------------------------------------------------ */
/* Read requests                                                                              */

/* version 1 | purpose u32 | action u8 | by u8, then by id: count | ids, or by patient: patient |
 * categories | from | to | after | limit */
#define RQ_PURPOSE 1u
#define RQ_ACTION  5u
#define RQ_BY      6u
#define RQ_NIDS    7u
#define RQ_IDS     11u
#define RQ_PATIENT 7u
#define RQ_NCATS   39u
#define RQ_CATS    43u

/* @p n ids, strictly increasing: the first two bytes count, the rest random. */
static void mc_sample_ids(mc_hash *ids, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        mc_fill(ids[i].b, 32, (uint8_t)(i >> 8));
        ids[i].b[1] = (uint8_t)i;
    }
}

static mc_read_request *mc_sample_by_id(uint32_t n)
{
    mc_read_request *q = calloc(1, sizeof *q);
    assert_non_null(q);
    q->purpose = MC_PURPOSE_TREAT;
    q->action = MC_ACTION_READ;
    q->by = MC_READS_BY_ID;
    q->nids = n;
    mc_sample_ids(q->ids, n);
    return q;
}

/* A page of a patient's records in two categories of the same length (so they can be swapped). */
static mc_read_request *mc_sample_by_patient(void)
{
    mc_read_request *q = calloc(1, sizeof *q);
    assert_non_null(q);
    q->purpose = MC_PURPOSE_PATRQT;
    q->action = MC_ACTION_READ;
    q->by = MC_READS_BY_PATIENT;
    mc_fill(q->patient.b, 32, 0x21);
    q->ncats = 2;
    strcpy(q->cats[0], "imaging");
    strcpy(q->cats[1], "lab.res");
    q->from_ms = 1700000000000ull;
    q->to_ms = q->from_ms + DAY;
    mc_fill(q->after.b, 32, 0x22);
    q->limit = 100;
    return q;
}

/* The purpose and action rules, which both forms share. */
static void mc_refuse_request_head(const mc_read_request *q, const mc_buf *g)
{
    const mc_codec *c = &mc_c_read_request;
    mc_read_request *x = malloc(sizeof *x);
    assert_non_null(x);
    mc_refuse_at(c, g, 0, 1, 0, MC_EINVAL);
    mc_refuse_at(c, g, 0, 1, 2, MC_EINVAL);
    static const uint32_t badp[] = {0, MC_PURPOSE_TREAT | MC_PURPOSE_ETREAT, 1u << 7, 0xffffffffu};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badp); i++) {
        *x = *q;
        x->purpose = badp[i];
        mc_refuse_enc(c, x, MC_EINVAL);
        mc_refuse_at(c, g, RQ_PURPOSE, 4, badp[i], MC_EINVAL);
    }
    /* a read request asks for ciphertext: read, and read only */
    static const uint8_t bada[] = {
        0, MC_ACTION_READ_META, MC_ACTION_READ_DEID, MC_ACTION_READ | MC_ACTION_READ_META, 8, 0xff};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bada); i++) {
        *x = *q;
        x->action = bada[i];
        mc_refuse_enc(c, x, MC_EINVAL);
        mc_refuse_at(c, g, RQ_ACTION, 1, bada[i], MC_EINVAL);
    }
    for (uint8_t by = 0; by < 5; by++) {
        if (by == MC_READS_BY_ID || by == MC_READS_BY_PATIENT) continue;
        *x = *q;
        x->by = by;
        mc_refuse_enc(c, x, MC_EINVAL);
    }
    free(x);
}

static void test_read_request_by_id(void **state)
{
    (void)state;
    const mc_codec *c = &mc_c_read_request;
    mc_buf g, b;
    mc_buf_init(&g, 1 << 20);
    mc_buf_init(&b, 1 << 20);
    mc_read_request *q = mc_sample_by_id(3), *x = calloc(1, sizeof *x);
    assert_non_null(x);
    mc_roundtrip(c, q, &g);
    assert_int_equal(g.n, RQ_IDS + 3 * 32);
    assert_int_equal(g.p[0], 1);
    assert_int_equal(mc_get_u32be(g.p + RQ_PURPOSE), MC_PURPOSE_TREAT);
    assert_int_equal(g.p[RQ_ACTION], MC_ACTION_READ);
    assert_int_equal(g.p[RQ_BY], MC_READS_BY_ID);
    assert_int_equal(mc_get_u32be(g.p + RQ_NIDS), 3);
    for (uint32_t i = 0; i < 3; i++) assert_memory_equal(g.p + RQ_IDS + 32 * i, q->ids[i].b, 32);
    for (unsigned bit = 0; bit < 7; bit++) { /* every purpose */
        *x = *q;
        x->purpose = 1u << bit;
        mc_roundtrip(c, x, &b);
    }
    mc_read_request *one = mc_sample_by_id(1);
    mc_roundtrip(c, one, &b);
    assert_int_equal(b.n, RQ_IDS + 32);
    free(one);
    /* the most a request names: no bit-flip sweep, that is done above */
    mc_read_request *most = mc_sample_by_id(MC_MAX_READS);
    mc_buf_reset(&b);
    assert_ok(mc_read_request_encode(&b, most));
    assert_int_equal(b.n, RQ_IDS + 32 * MC_MAX_READS);
    assert_ok(mc_read_request_decode(x, b.p, b.n));
    assert_memory_equal(x, most, sizeof *x);
    mc_check_exact(c->exact, b.p, b.n);

    mc_refuse_request_head(q, &g);
    /* 1..MC_MAX_READS ids */
    mc_copy(&b, &g);
    b.n = RQ_IDS;
    mc_put(&b, RQ_NIDS, 4, 0);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_refuse_at(c, &g, RQ_NIDS, 4, MC_MAX_READS + 1, MC_ETOOBIG);
    mc_refuse_at(c, &g, RQ_NIDS, 4, 4, MC_EINVAL); /* more than there are */
    mc_refuse_at(c, &g, RQ_NIDS, 4, 2, MC_EINVAL); /* fewer: a trailing id */
    *x = *q;
    x->nids = 0;
    mc_refuse_enc(c, x, MC_EINVAL);
    most->nids = MC_MAX_READS + 1;
    mc_refuse_enc(c, most, MC_ETOOBIG);
    /* strictly increasing */
    mc_copy(&b, &g);
    mc_swap(&b, RQ_IDS, RQ_IDS + 32, 32);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &g);
    memcpy(b.p + RQ_IDS + 64, b.p + RQ_IDS + 32, 32);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    *x = *q;
    x->ids[0] = q->ids[1];
    x->ids[1] = q->ids[0];
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *q;
    x->ids[2] = x->ids[1];
    mc_refuse_enc(c, x, MC_EINVAL);
    /* nothing of a page in a request by id */
    *x = *q;
    x->ncats = 1;
    strcpy(x->cats[0], "lab");
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *q;
    x->limit = 1;
    mc_refuse_enc(c, x, MC_EINVAL);
    /* no input */
    mc_refuse(c, NULL, 0, MC_EINVAL);
    mc_refuse(c, NULL, g.n, MC_EINVAL);
    free(most);
    free(q);
    free(x);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

static void test_read_request_by_patient(void **state)
{
    (void)state;
    const mc_codec *c = &mc_c_read_request;
    mc_buf g, b;
    mc_buf_init(&g, 1 << 20);
    mc_buf_init(&b, 1 << 20);
    mc_read_request *q = mc_sample_by_patient(), *x = calloc(1, sizeof *x);
    assert_non_null(x);
    mc_roundtrip(c, q, &g);
    const size_t cat1 = RQ_CATS + 4 + 7, from = cat1 + 4 + 7, to = from + 8, after = to + 8,
                 limit = after + 32;
    assert_int_equal(g.n, limit + 4);
    assert_int_equal(g.p[RQ_BY], MC_READS_BY_PATIENT);
    assert_int_equal(mc_get_u32be(g.p + RQ_PURPOSE), MC_PURPOSE_PATRQT);
    assert_memory_equal(g.p + RQ_PATIENT, q->patient.b, 32);
    assert_int_equal(mc_get_u32be(g.p + RQ_NCATS), 2);
    assert_int_equal(mc_get_u32be(g.p + RQ_CATS), 7);
    assert_memory_equal(g.p + RQ_CATS + 4, "imaging", 7);
    assert_memory_equal(g.p + cat1 + 4, "lab.res", 7);
    assert_true(mc_get_u64be(g.p + from) == q->from_ms);
    assert_true(mc_get_u64be(g.p + to) == q->to_ms);
    assert_memory_equal(g.p + after, q->after.b, 32);
    assert_int_equal(mc_get_u32be(g.p + limit), 100);
    /* all categories, no end, from the start, the smallest and largest pages, every category */
    *x = *q;
    x->ncats = 0;
    memset(x->cats, 0, sizeof x->cats);
    mc_roundtrip(c, x, &b);
    assert_int_equal(b.n, RQ_CATS + 8 + 8 + 32 + 4);
    *x = *q;
    x->to_ms = 0;
    mc_roundtrip(c, x, &b);
    x->from_ms = 0;
    memset(x->after.b, 0, 32);
    x->limit = 1;
    mc_roundtrip(c, x, &b);
    x->limit = MC_MAX_READS;
    mc_roundtrip(c, x, &b);
    *x = *q;
    x->ncats = MC_MAX_SCOPE_CATS;
    memset(x->cats, 0, sizeof x->cats);
    for (uint32_t i = 0; i < MC_MAX_SCOPE_CATS; i++) snprintf(x->cats[i], sizeof x->cats[i], "cat%02u", i);
    mc_roundtrip(c, x, &b);

    mc_refuse_request_head(q, &g);
    static const uint8_t badby[] = {0, 3, 0xff};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badby); i++) mc_refuse_at(c, &g, RQ_BY, 1, badby[i], MC_EINVAL);
    *x = *q;
    x->nids = 1; /* no ids in a page */
    mc_refuse_enc(c, x, MC_EINVAL);
    /* categories: at most MC_MAX_SCOPE_CATS, each valid, strictly increasing */
    mc_refuse_at(c, &g, RQ_NCATS, 4, MC_MAX_SCOPE_CATS + 1, MC_ETOOBIG);
    *x = *q;
    x->ncats = MC_MAX_SCOPE_CATS + 1;
    mc_refuse_enc(c, x, MC_ETOOBIG);
    mc_copy(&b, &g);
    mc_swap(&b, RQ_CATS + 4, cat1 + 4, 7);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_copy(&b, &g);
    memcpy(b.p + cat1 + 4, "imaging", 7);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_refuse_at(c, &g, RQ_CATS + 4, 1, 'I', MC_EINVAL);
    mc_refuse_at(c, &g, RQ_CATS + 4, 1, ' ', MC_EINVAL);
    mc_copy(&b, &g);
    mc_splice_str(&b, RQ_CATS, "imaging", ""); /* still in order, but empty */
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    char longcat[MC_MAX_CATEGORY + 2];
    memset(longcat, 'a', MC_MAX_CATEGORY + 1);
    longcat[MC_MAX_CATEGORY + 1] = 0;
    mc_copy(&b, &g);
    mc_splice_str(&b, RQ_CATS, "imaging", longcat);
    mc_refuse(c, b.p, b.n, MC_ETOOBIG);
    *x = *q;
    strcpy(x->cats[0], "lab.res");
    strcpy(x->cats[1], "imaging");
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *q;
    strcpy(x->cats[1], "imaging");
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *q;
    strcpy(x->cats[0], "Imaging");
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *q;
    x->cats[0][0] = 0;
    mc_refuse_enc(c, x, MC_EINVAL);
    /* the window: to after from, or 0 (no end) */
    mc_refuse_at(c, &g, to, 8, q->from_ms, MC_EINVAL);
    mc_refuse_at(c, &g, to, 8, q->from_ms - 1, MC_EINVAL);
    mc_copy(&b, &g);
    mc_put(&b, to, 8, 0);
    assert_ok(mc_read_request_decode(x, b.p, b.n));
    assert_true(x->to_ms == 0);
    *x = *q;
    x->to_ms = x->from_ms;
    mc_refuse_enc(c, x, MC_EINVAL);
    x->to_ms = x->from_ms - 1;
    mc_refuse_enc(c, x, MC_EINVAL);
    /* the page's size: 1..MC_MAX_READS */
    mc_refuse_at(c, &g, limit, 4, 0, MC_EINVAL);
    mc_refuse_at(c, &g, limit, 4, MC_MAX_READS + 1, MC_ETOOBIG);
    *x = *q;
    x->limit = 0;
    mc_refuse_enc(c, x, MC_EINVAL);
    x->limit = MC_MAX_READS + 1;
    mc_refuse_enc(c, x, MC_ETOOBIG);
    free(q);
    free(x);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* An id strictly between @p lo and the next id of mc_sample_ids (same first two bytes, then 0xff). */
static void mc_id_above(mc_hash *out, const mc_hash *lo)
{
    memset(out->b, 0xff, 32);
    out->b[0] = lo->b[0];
    out->b[1] = lo->b[1];
}

static void test_read_request_selects(void **state)
{
    (void)state;
    mc_record r;
    memset(&r, 0, sizeof r);
    /* by id: a binary search of the ids, at every size and position */
    for (uint32_t n = 1; n <= 20; n++) {
        mc_read_request *q = mc_sample_by_id(n);
        for (uint32_t i = 0; i < n; i++) {
            r.id = q->ids[i];
            assert_int_equal(mc_read_request_selects(q, &r), 1);
            mc_id_above(&r.id, &q->ids[i]); /* between two ids, or above the last */
            assert_int_equal(mc_read_request_selects(q, &r), 0);
        }
        memset(r.id.b, 0, 32); /* below the first */
        assert_int_equal(mc_read_request_selects(q, &r), 0);
        memset(r.id.b, 0xff, 32);
        assert_int_equal(mc_read_request_selects(q, &r), 0);
        free(q);
    }

    /* by patient */
    mc_read_request *q = mc_sample_by_patient();
    mc_record ok;
    memset(&ok, 0, sizeof ok);
    ok.patient = q->patient;
    q->after.b[31] = 0x10;
    ok.id = q->after;
    ok.id.b[31] = 0x11; /* the first id above the cursor */
    ok.time_ms = q->from_ms;
    strcpy(ok.category, "lab.res");
    assert_int_equal(mc_read_request_selects(q, &ok), 1);
    r = ok;
    r.patient.b[5] ^= 1; /* another patient's */
    assert_int_equal(mc_read_request_selects(q, &r), 0);
    r = ok;
    r.id = q->after; /* at the cursor */
    assert_int_equal(mc_read_request_selects(q, &r), 0);
    r.id.b[0]--; /* below it */
    assert_int_equal(mc_read_request_selects(q, &r), 0);
    memset(r.id.b, 0xff, 32);
    assert_int_equal(mc_read_request_selects(q, &r), 1);
    /* [from, to) */
    r = ok;
    r.time_ms = q->from_ms - 1;
    assert_int_equal(mc_read_request_selects(q, &r), 0);
    r.time_ms = q->to_ms - 1;
    assert_int_equal(mc_read_request_selects(q, &r), 1);
    r.time_ms = q->to_ms;
    assert_int_equal(mc_read_request_selects(q, &r), 0);
    q->to_ms = 0; /* no end */
    r.time_ms = UINT64_MAX;
    assert_int_equal(mc_read_request_selects(q, &r), 1);
    r.time_ms = q->from_ms - 1;
    assert_int_equal(mc_read_request_selects(q, &r), 0);
    /* the listed categories, exactly */
    static const struct {
        const char *cat;
        int want;
    } cats[] = {{"imaging", 1}, {"lab.res", 1}, {"lab", 0}, {"lab.res2", 0}, {"med", 0}, {"a", 0}};
    for (unsigned i = 0; i < MC_ARRAY_LEN(cats); i++) {
        r = ok;
        strcpy(r.category, cats[i].cat);
        assert_int_equal(mc_read_request_selects(q, &r), cats[i].want);
    }
    q->ncats = 0; /* none listed: all */
    assert_int_equal(mc_read_request_selects(q, &r), 1);
    memset(q->after.b, 0, 32); /* from the start */
    r.id = ok.id;
    r.id.b[0] = 0;
    assert_int_equal(mc_read_request_selects(q, &r), 1);
    free(q);
}

/* ------------------------------------------------------------------------------------------ */
/* access.reads                                                                               */

/* reader 32 | time 8 | nonce 16 | sig 64 | request bytes, then count and the outcomes */
#define RD_REQUEST 120u
#define RD_OUT(rn) (RD_REQUEST + 4 + (rn) + 4)
/* An outcome: record 32 | permit | reason u16 | has_basis | basis 32 if any | released */
#define RO_PERMIT   32u
#define RO_REASON   33u
#define RO_BASIS    35u
#define RO_RELEASED 36u /* without a basis */

static uint8_t mc_request_bytes[64 * 1024];

/* Three outcomes, in record order: a permit with its key released, a permit by a grant, a deny
 * by a deny; the request is a made-up one (the executor decodes it, not the body's codec). */
static mc_body_access_reads *mc_sample_reads(uint32_t n)
{
    mc_body_access_reads *b = calloc(1, sizeof *b);
    assert_non_null(b);
    mc_fill(b->reader.b, 32, 0x60);
    b->req_time_ms = 1700000000123ull;
    mc_fill(b->req_nonce, MC_REQ_NONCE_BYTES, 0x61);
    mc_fill(b->req_sig.b, 64, 0x62);
    mc_fill(mc_request_bytes, 75, 0x01);
    b->request = (mc_slice){mc_request_bytes, 75};
    b->n = n;
    for (uint32_t i = 0; i < n; i++) {
        mc_read_outcome *o = &b->out[i];
        mc_fill(o->record.b, 32, (uint8_t)(i >> 8));
        o->record.b[1] = (uint8_t)i;
        switch (i % 3) {
        case 0:
            o->permit = 1;
            o->reason = MC_RSN_PERMIT_AUTHOR_ORG;
            o->released = 1;
            break;
        case 1:
            o->permit = 1;
            o->reason = MC_RSN_PERMIT_GRANT;
            o->has_basis = 1;
            mc_fill(o->basis.b, 32, 0x63);
            break;
        default:
            o->reason = MC_RSN_DENY_EXPLICIT;
            o->has_basis = 1;
            mc_fill(o->basis.b, 32, 0x64);
        }
    }
    return b;
}

/* Decodes @p g and checks it holds @p b, its request pointing into @p g. */
static void mc_check_reads_decoded(const mc_body_access_reads *b, const mc_buf *g)
{
    mc_body_access_reads *x = malloc(sizeof *x);
    assert_non_null(x);
    assert_ok(mc_body_access_reads_decode(x, g->p, g->n));
    assert_memory_equal(x->reader.b, b->reader.b, 32);
    assert_true(x->req_time_ms == b->req_time_ms);
    assert_memory_equal(x->req_nonce, b->req_nonce, MC_REQ_NONCE_BYTES);
    assert_memory_equal(x->req_sig.b, b->req_sig.b, 64);
    assert_int_equal(x->request.n, b->request.n);
    assert_ptr_equal(x->request.p, g->p + RD_REQUEST + 4);
    assert_memory_equal(x->request.p, b->request.p, b->request.n);
    assert_int_equal(x->n, b->n);
    assert_memory_equal(x->out, b->out, b->n * sizeof b->out[0]);
    free(x);
}

static void test_access_reads_body(void **state)
{
    (void)state;
    const mc_codec *c = &mc_c_access_reads;
    mc_buf g, bb;
    mc_buf_init(&g, 1 << 20);
    mc_buf_init(&bb, 1 << 20);
    mc_body_access_reads *b = mc_sample_reads(3), *x = malloc(sizeof *x);
    assert_non_null(x);
    mc_roundtrip(c, b, &g);
    mc_check_reads_decoded(b, &g);
    const size_t o0 = RD_OUT(75), o1 = o0 + 37, o2 = o1 + 69;
    assert_int_equal(g.n, o2 + 69);
    assert_memory_equal(g.p, b->reader.b, 32);
    assert_true(mc_get_u64be(g.p + 32) == b->req_time_ms);
    assert_int_equal(mc_get_u32be(g.p + RD_REQUEST), 75);
    assert_int_equal(mc_get_u32be(g.p + o0 - 4), 3);
    assert_memory_equal(g.p + o0, b->out[0].record.b, 32);
    const uint8_t out0[] = {1, 0, MC_RSN_PERMIT_AUTHOR_ORG, 0, 1};
    assert_memory_equal(g.p + o0 + RO_PERMIT, out0, sizeof out0);
    const uint8_t out2[] = {0, 0, MC_RSN_DENY_EXPLICIT, 1};
    assert_memory_equal(g.p + o2 + RO_PERMIT, out2, sizeof out2);
    assert_memory_equal(g.p + o2 + RO_BASIS + 1, b->out[2].basis.b, 32);
    assert_int_equal(g.p[g.n - 1], 0);
    /* an empty request still decodes here (the executor refuses it) */
    *x = *b;
    x->request.n = 0;
    mc_roundtrip(c, x, &bb);
    /* the most outcomes: no bit-flip sweep */
    mc_body_access_reads *most = mc_sample_reads(MC_MAX_READS);
    mc_buf_reset(&bb);
    assert_ok(mc_body_access_reads_encode(&bb, most));
    mc_check_reads_decoded(most, &bb);
    mc_check_exact(c->exact, bb.p, bb.n);

    /* 1..MC_MAX_READS outcomes */
    mc_copy(&bb, &g);
    bb.n = o0;
    mc_put(&bb, o0 - 4, 4, 0);
    mc_refuse(c, bb.p, bb.n, MC_EINVAL);
    mc_refuse_at(c, &g, o0 - 4, 4, MC_MAX_READS + 1, MC_ETOOBIG);
    *x = *b;
    x->n = 0;
    mc_refuse_enc(c, x, MC_EINVAL);
    most->n = MC_MAX_READS + 1;
    mc_refuse_enc(c, most, MC_ETOOBIG);
    /* the request within its cap */
    mc_refuse_at(c, &g, RD_REQUEST, 4, MC_MAX_READ_REQUEST_BYTES + 1, MC_ETOOBIG);
    *x = *b;
    x->request.n = MC_MAX_READ_REQUEST_BYTES + 1;
    mc_refuse_enc(c, x, MC_ETOOBIG);
    x->request.n = MC_MAX_READ_REQUEST_BYTES;
    mc_buf_reset(&bb);
    assert_ok(mc_body_access_reads_encode(&bb, x));
    /* outcomes strictly increasing by record */
    mc_copy(&bb, &g);
    mc_swap(&bb, o0, o1, 32);
    mc_refuse(c, bb.p, bb.n, MC_EINVAL);
    mc_copy(&bb, &g);
    memcpy(bb.p + o1, bb.p + o0, 32);
    mc_refuse(c, bb.p, bb.n, MC_EINVAL);
    *x = *b;
    x->out[1].record = b->out[0].record;
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *b;
    x->out[0].record = b->out[2].record;
    x->out[2].record = b->out[0].record;
    mc_refuse_enc(c, x, MC_EINVAL);
    /* each a consistent decision; a key released only on a permit */
    struct {
        size_t off;
        unsigned width;
        uint32_t v;
    } bad[] = {
        {o2 + RO_RELEASED + 32, 1, 1}, /* released, denied */
        {o0 + RO_RELEASED, 1, 2},
        {o0 + RO_PERMIT, 1, 0}, /* a deny with a permit reason (and its key released) */
        {o1 + RO_PERMIT, 1, 0},
        {o2 + RO_PERMIT, 1, 1}, /* a permit with a deny reason */
        {o0 + RO_PERMIT, 1, 2},
        {o0 + RO_REASON, 2, 0},
        {o0 + RO_REASON, 2, MC_RSN_PERMIT_AUDITOR_META + 1},
        {o2 + RO_REASON, 2, MC_RSN_DENY_EMERGENCY_EXPIRED + 1},
        {o0 + RO_BASIS, 1, 2},
    };
    for (unsigned i = 0; i < MC_ARRAY_LEN(bad); i++)
        mc_refuse_at(c, &g, bad[i].off, bad[i].width, bad[i].v, MC_EINVAL);
    *x = *b;
    x->out[2].released = 1;
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *b;
    x->out[0].released = 2;
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *b;
    x->out[1].permit = 0;
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *b;
    x->out[2].permit = 1;
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *b;
    x->out[0].reason = 7;
    mc_refuse_enc(c, x, MC_EINVAL);
    *x = *b;
    x->out[1].has_basis = 2;
    mc_refuse_enc(c, x, MC_EINVAL);
    mc_refuse(c, NULL, 0, MC_EINVAL);
    free(most);
    free(b);
    free(x);
    mc_buf_free(&bb);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* org.gatekeeper and the gatekeeper held in the state                                          */

#define GK_NURLS 32u
#define GK_URLS  36u

static void mc_sample_gatekeeper(mc_body_gatekeeper *b)
{
    memset(b, 0, sizeof *b);
    mc_fill(b->release_pk.b, 32, 0xa0);
    b->nurls = 2;
    strcpy(b->urls[0], "https://gk.hospital.example:8443/v1");
    strcpy(b->urls[1], "http://10.0.0.7:8080");
}

/* URLs a gatekeeper may not publish (the encoder refuses them; on the wire, so does the decoder). */
static const char *const mc_bad_urls[] = {
    "",
    "ftp://gk.example",
    "http://",
    "https://",
    "http:/gk",
    "httpx://gk",
    "gk.example",
    "http://gk example",
    "http://gk\texample",
    "http://gk\x7f",
    "https://caf\xc3\xa9.example",
    "http://\x01",
};

static void test_gatekeeper_body(void **state)
{
    (void)state;
    const mc_codec *c = &mc_c_gatekeeper_body;
    mc_buf g, b;
    mc_buf_init(&g, 8192);
    mc_buf_init(&b, 8192);
    mc_body_gatekeeper k, x;
    mc_sample_gatekeeper(&k);
    mc_roundtrip(c, &k, &g);
    const size_t url1 = GK_URLS + 4 + strlen(k.urls[0]);
    assert_int_equal(g.n, url1 + 4 + strlen(k.urls[1]));
    assert_memory_equal(g.p, k.release_pk.b, 32);
    assert_int_equal(mc_get_u32be(g.p + GK_NURLS), 2);
    assert_int_equal(mc_get_u32be(g.p + GK_URLS), strlen(k.urls[0]));
    assert_memory_equal(g.p + url1 + 4, k.urls[1], strlen(k.urls[1]));
    /* four URLs, the longest URL, the shortest */
    x = k;
    x.nurls = MC_MAX_GATEKEEPER_URLS;
    strcpy(x.urls[2], "http://a");
    memset(x.urls[3], 'a', MC_MAX_GATEKEEPER_URL);
    memcpy(x.urls[3], "https://", 8);
    mc_roundtrip(c, &x, &b);
    assert_int_equal(b.n, 32 + 4 + 4 * 4 + strlen(k.urls[0]) + strlen(k.urls[1]) + 8 + MC_MAX_GATEKEEPER_URL);

    for (unsigned i = 0; i < MC_ARRAY_LEN(mc_bad_urls); i++) {
        x = k;
        strcpy(x.urls[1], mc_bad_urls[i]);
        mc_refuse_enc(c, &x, MC_EINVAL);
        mc_copy(&b, &g);
        mc_splice_str(&b, url1, k.urls[1], mc_bad_urls[i]);
        mc_refuse(c, b.p, b.n, MC_EINVAL);
    }
    /* a NUL inside a URL on the wire */
    mc_copy(&b, &g);
    b.p[url1 + 4 + 9] = 0;
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    /* over the cap: one byte more, and an array with no NUL */
    x = k;
    memset(x.urls[0], 'a', MC_MAX_GATEKEEPER_URL + 1);
    memcpy(x.urls[0], "https://", 8);
    mc_refuse_enc(c, &x, MC_EINVAL);
    x.urls[0][MC_MAX_GATEKEEPER_URL] = 0;
    mc_buf_reset(&b);
    assert_ok(mc_body_gatekeeper_encode(&b, &x));
    char longer[MC_MAX_GATEKEEPER_URL + 2];
    memset(longer, 'a', sizeof longer);
    memcpy(longer, "https://", 8);
    longer[MC_MAX_GATEKEEPER_URL + 1] = 0;
    mc_copy(&b, &g);
    mc_splice_str(&b, GK_URLS, k.urls[0], longer);
    mc_refuse(c, b.p, b.n, MC_ETOOBIG);
    /* 1..MC_MAX_GATEKEEPER_URLS */
    x = k;
    x.nurls = 0;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x.nurls = MC_MAX_GATEKEEPER_URLS + 1;
    mc_refuse_enc(c, &x, MC_ETOOBIG);
    mc_copy(&b, &g);
    b.n = GK_URLS;
    mc_put(&b, GK_NURLS, 4, 0);
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    mc_refuse_at(c, &g, GK_NURLS, 4, MC_MAX_GATEKEEPER_URLS + 1, MC_ETOOBIG);
    mc_refuse_at(c, &g, GK_NURLS, 4, 3, MC_EINVAL); /* more than there are */
    mc_refuse_at(c, &g, GK_NURLS, 4, 1, MC_EINVAL); /* a trailing URL */
    mc_refuse(c, NULL, 0, MC_EINVAL);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

static void test_gatekeeper_state(void **state)
{
    (void)state;
    const mc_codec *c = &mc_c_gatekeeper;
    mc_buf g, b;
    mc_buf_init(&g, 8192);
    mc_buf_init(&b, 8192);
    mc_gatekeeper k, x;
    memset(&k, 0, sizeof k);
    mc_fill(k.org.b, 32, 0xb0);
    mc_fill(k.by.b, 32, 0xb1);
    mc_sample_gatekeeper(&k.body);
    k.height = 0x0102030405060708ull;
    mc_roundtrip(c, &k, &g);
    /* version | org | by | the body | height */
    const size_t body = 1 + 64, url1 = body + GK_URLS + 4 + strlen(k.body.urls[0]);
    assert_int_equal(g.n, url1 + 4 + strlen(k.body.urls[1]) + 8);
    assert_int_equal(g.p[0], MC_FORMAT_VERSION);
    assert_memory_equal(g.p + 1, k.org.b, 32);
    assert_memory_equal(g.p + 33, k.by.b, 32);
    assert_memory_equal(g.p + body, k.body.release_pk.b, 32);
    assert_true(mc_get_u64be(g.p + g.n - 8) == k.height);

    mc_refuse_at(c, &g, 0, 1, 0, MC_EINVAL);
    mc_refuse_at(c, &g, 0, 1, 2, MC_EINVAL);
    /* the body's rules hold in the state */
    mc_refuse_at(c, &g, body + GK_NURLS, 4, MC_MAX_GATEKEEPER_URLS + 1, MC_ETOOBIG);
    mc_copy(&b, &g);
    mc_splice_str(&b, url1, k.body.urls[1], "ftp://gk");
    mc_refuse(c, b.p, b.n, MC_EINVAL);
    x = k;
    x.body.nurls = 0;
    mc_refuse_enc(c, &x, MC_EINVAL);
    x = k;
    strcpy(x.body.urls[0], "https://");
    mc_refuse_enc(c, &x, MC_EINVAL);
    x.body.nurls = MC_MAX_GATEKEEPER_URLS + 1;
    mc_refuse_enc(c, &x, MC_ETOOBIG);
    mc_refuse(c, NULL, 0, MC_EINVAL);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* The read response                                                                          */

/* "MCR1" | log tx 32 | height u64 | key box bytes | more u8 | next 32 | count u32 */
#define RR_KEYBOX 44u
#define RR_HEAD   (RR_KEYBOX + 4 + 1 + 32 + 4)
/* An item: record 32 | status | reason u16 | custodian 32, then SERVED: patient | cipher hash |
 * commitment | size u64 | category | time u64 | released | ciphertext bytes */
#define RI_STATUS 32u
#define RI_SIZE   (67u + 96u)
#define RI_HEAD   67u

static uint8_t mc_keybox[64 + 2 * 64], mc_cipher[100];

/* One item of every status, the served one first. */
static void mc_sample_response(mc_read_response *r, mc_read_item *items)
{
    memset(r, 0, sizeof *r);
    mc_fill(r->log_tx.b, 32, 0xc0);
    r->height = 1234;
    mc_fill(mc_keybox, sizeof mc_keybox, 0xc1);
    r->keybox = (mc_slice){mc_keybox, sizeof mc_keybox};
    r->more = 1;
    mc_fill(r->next.b, 32, 0xc2);
    r->n = MC_READ_CORRUPT + 1;
    r->items = items;
    memset(items, 0, r->n * sizeof *items);
    for (uint32_t i = 0; i < r->n; i++) {
        mc_read_item *it = &items[i];
        mc_fill(it->record.b, 32, (uint8_t)(0xd0 + i));
        it->status = (uint8_t)i;
        if (i != MC_READ_UNKNOWN) mc_fill(it->custodian.b, 32, 0xe0);
    }
    mc_read_item *s = &items[MC_READ_SERVED];
    s->reason = MC_RSN_PERMIT_GRANT;
    mc_fill(s->patient.b, 32, 0xe1);
    mc_fill(s->cipher_hash.b, 32, 0xe2);
    mc_fill(s->commitment.b, 32, 0xe3);
    mc_fill(mc_cipher, sizeof mc_cipher, 0x01);
    s->size = sizeof mc_cipher;
    s->cipher = (mc_slice){mc_cipher, sizeof mc_cipher};
    strcpy(s->category, "lab");
    s->time_ms = 1700000000000ull;
    s->released = 1;
    items[MC_READ_DENIED].reason = MC_RSN_DENY_DEFAULT;
}

static void mc_encode_response(mc_buf *out, const mc_read_response *r)
{
    mc_buf_reset(out);
    assert_ok(mc_read_head_encode(out, r));
    for (uint32_t i = 0; i < r->n; i++) assert_ok(mc_read_item_encode(out, &r->items[i]));
}

static int mc_response_exact(const uint8_t *p, size_t n)
{
    mc_read_response r;
    int rc = mc_read_response_decode(&r, p, n);
    if (rc) assert_true(mc_all_zero(&r, sizeof r));
    mc_read_response_clear(&r);
    return rc;
}

static void mc_refuse_response(const mc_buf *good, size_t off, unsigned width, uint64_t v, int want)
{
    mc_buf b;
    mc_buf_init(&b, 1 << 20);
    mc_copy(&b, good);
    mc_put(&b, off, width, v);
    assert_rc(mc_response_exact(b.p, b.n), want);
    mc_buf_free(&b);
}

/* A record held elsewhere, named with the chain's metadata to check the custodian by: it round
 * trips, 97 bytes more than without; has_meta is a flag. */
static void test_read_elsewhere_meta(void **state)
{
    (void)state;
    mc_read_item it;
    memset(&it, 0, sizeof it);
    it.status = MC_READ_ELSEWHERE;
    mc_fill(it.record.b, 32, 1);
    mc_fill(it.custodian.b, 32, 2);
    mc_buf a, b;
    mc_buf_init(&a, 4096);
    mc_buf_init(&b, 4096);
    assert_ok(mc_read_item_encode(&a, &it));
    it.has_meta = 1;
    mc_fill(it.patient.b, 32, 3);
    mc_fill(it.cipher_hash.b, 32, 4);
    mc_fill(it.commitment.b, 32, 5);
    it.size = 4242;
    mc_read_response r = {.n = 1};
    assert_ok(mc_read_head_encode(&b, &r));
    size_t head = b.n;
    assert_ok(mc_read_item_encode(&b, &it));
    assert_int_equal(b.n - head, a.n + 32 * 3 + 8);
    mc_read_response x;
    assert_ok(mc_read_response_decode(&x, b.p, b.n));
    assert_int_equal(x.items[0].has_meta, 1);
    assert_memory_equal(x.items[0].patient.b, it.patient.b, 32);
    assert_memory_equal(x.items[0].cipher_hash.b, it.cipher_hash.b, 32);
    assert_memory_equal(x.items[0].commitment.b, it.commitment.b, 32);
    assert_true(x.items[0].size == 4242);
    mc_read_response_clear(&x);
    b.p[head + 32 + 1 + 2 + 32] = 2; /* has_meta not a flag */
    assert_int_not_equal(mc_read_response_decode(&x, b.p, b.n), MC_OK);
    mc_buf_free(&a);
    mc_buf_free(&b);
}

static void test_read_response(void **state)
{
    (void)state;
    mc_buf g, b;
    mc_buf_init(&g, 1 << 20);
    mc_buf_init(&b, 1 << 20);
    mc_read_item items[MC_READ_CORRUPT + 1];
    mc_read_response r, x;
    mc_sample_response(&r, items);
    mc_encode_response(&g, &r);
    const size_t item0 = RR_HEAD + sizeof mc_keybox,
                 served = RI_SIZE + 8 + 4 + 3 + 8 + 1 + 4 + sizeof mc_cipher;
    /* the ELSEWHERE item carries its has_meta byte (0: no metadata to check by) */
    assert_int_equal(g.n, item0 + served + MC_READ_CORRUPT * RI_HEAD + 1);
    assert_memory_equal(g.p, "MCR1", 4);
    assert_memory_equal(g.p + 4, r.log_tx.b, 32);
    assert_true(mc_get_u64be(g.p + 36) == 1234);
    assert_int_equal(mc_get_u32be(g.p + RR_KEYBOX), sizeof mc_keybox);
    assert_int_equal(g.p[item0 - 37], 1);
    assert_memory_equal(g.p + item0 - 36, r.next.b, 32);
    assert_int_equal(mc_get_u32be(g.p + item0 - 4), r.n);
    assert_true(mc_get_u64be(g.p + item0 + RI_SIZE) == sizeof mc_cipher);
    assert_memory_equal(g.p + item0 + served - sizeof mc_cipher, mc_cipher, sizeof mc_cipher);
    assert_int_equal(g.p[item0 + served + RI_STATUS], MC_READ_DENIED);

    assert_ok(mc_read_response_decode(&x, g.p, g.n));
    assert_memory_equal(x.log_tx.b, r.log_tx.b, 32);
    assert_true(x.height == r.height && x.more == 1 && x.n == r.n);
    assert_memory_equal(x.next.b, r.next.b, 32);
    assert_ptr_equal(x.keybox.p, g.p + RR_KEYBOX + 4);
    assert_int_equal(x.keybox.n, sizeof mc_keybox);
    for (uint32_t i = 0; i < r.n; i++) {
        mc_read_item want;
        memcpy(&want, &items[i], sizeof want);
        if (i == MC_READ_SERVED) {
            assert_ptr_equal(x.items[i].cipher.p, g.p + item0 + served - sizeof mc_cipher);
            want.cipher = x.items[i].cipher;
        }
        assert_memory_equal(&x.items[i], &want, sizeof want);
    }
    mc_read_response_clear(&x);
    assert_true(mc_all_zero(&x, sizeof x));
    mc_read_response_clear(&x); /* twice, and NULL: harmless */
    mc_read_response_clear(NULL);
    /* truncated at every length, and a byte more */
    mc_check_exact(mc_response_exact, g.p, g.n);
    /* nothing logged, nothing released, the last page, no items */
    mc_read_response e;
    memset(&e, 0, sizeof e);
    mc_encode_response(&b, &e);
    assert_int_equal(b.n, RR_HEAD);
    assert_ok(mc_read_response_decode(&x, b.p, b.n));
    assert_true(x.n == 0 && x.items == NULL && x.keybox.n == 0);
    mc_check_exact(mc_response_exact, b.p, b.n);

    mc_refuse_response(&g, 0, 4, 0x4d435232, MC_EINVAL); /* "MCR2" */
    mc_refuse_response(&g, 0, 1, 'm', MC_EINVAL);
    mc_refuse_response(&g, RR_KEYBOX, 4, 64 + MC_MAX_READS * 64 + 1, MC_ETOOBIG);
    mc_refuse_response(&g, item0 - 37, 1, 2, MC_EINVAL);    /* more */
    mc_refuse_response(&g, item0 - 37, 1, 0xff, MC_EINVAL); /* more */
    mc_refuse_response(&g, item0 - 4, 4, 4 * MC_MAX_READS + 1, MC_ETOOBIG);
    mc_refuse_response(&g, item0 - 4, 4, MC_MAX_READS + 1, MC_ETOOBIG); /* never more than the ids asked */
    mc_refuse_response(&g, item0 - 4, 4, r.n + 1, MC_EINVAL);
    mc_refuse_response(&g, item0 - 4, 4, r.n - 1, MC_EINVAL);
    mc_refuse_response(&g, item0 + RI_SIZE, 8, sizeof mc_cipher + 1, MC_EINVAL); /* size != ciphertext */
    mc_refuse_response(&g, item0 + RI_SIZE, 8, sizeof mc_cipher - 1, MC_EINVAL);
    mc_refuse_response(&g, item0 + served - sizeof mc_cipher - 5, 1, 2, MC_EINVAL); /* released */
    const size_t last = g.n - RI_HEAD;
    mc_refuse_response(&g, last + RI_STATUS, 1, MC_READ_LATER + 1, MC_EINVAL);
    mc_refuse_response(&g, last + RI_STATUS, 1, 0xff, MC_EINVAL);
    assert_rc(mc_response_exact(NULL, 0), MC_EINVAL);
    /* the encoder refuses an unknown status, and writes nothing */
    mc_read_item bad = items[MC_READ_CORRUPT];
    bad.status = MC_READ_LATER + 1;
    mc_buf_reset(&b);
    assert_rc(mc_read_item_encode(&b, &bad), MC_EINVAL);
    assert_int_equal(b.n, 0);
    /* and a key box over its cap */
    static uint8_t big[64 + MC_MAX_READS * 64 + 1];
    e.keybox = (mc_slice){big, sizeof big};
    assert_rc(mc_read_head_encode(&b, &e), MC_ETOOBIG);
    e.keybox.n--;
    mc_buf_reset(&b);
    assert_ok(mc_read_head_encode(&b, &e));
    mc_buf_free(&b);
    mc_buf_free(&g);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_request_by_id),   cmocka_unit_test(test_read_request_by_patient),
        cmocka_unit_test(test_read_request_selects), cmocka_unit_test(test_access_reads_body),
        cmocka_unit_test(test_gatekeeper_body),      cmocka_unit_test(test_gatekeeper_state),
        cmocka_unit_test(test_read_response),        cmocka_unit_test(test_read_elsewhere_meta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
