/*
 * chain, part 4: records, consent, delegates, break-glass, access.log, org admission and
 * events: names, bodies and state values (docs/format.md, "Records and consent").
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

#include "medchain/chain.h"
#include "testutil.h"

/* ------------------------------------------------------------------------------------------ */
/* A codec behind one signature, so the checks below serve every type                          */

typedef struct {
    size_t size;
    int (*enc)(mc_buf *out, const void *v);
    int (*dec)(void *v, const uint8_t *p, size_t n);
    mc_decode_fn exact;
    int flat; /* no pointers inside: a decoded value compares equal byte for byte */
} mc_codec;

#define MC_CODEC(id, type, prefix, isflat)                                                                   \
    static int id##_enc(mc_buf *out, const void *v)                                                          \
    {                                                                                                        \
        return prefix##_encode(out, (const type *)v);                                                        \
    }                                                                                                        \
    static int id##_dec(void *v, const uint8_t *p, size_t n)                                                 \
    {                                                                                                        \
        return prefix##_decode((type *)v, p, n);                                                             \
    }                                                                                                        \
    MC_DECODER(id##_exact, type, prefix##_decode)                                                            \
    static const mc_codec id = {sizeof(type), id##_enc, id##_dec, id##_exact, isflat};

MC_CODEC(mc_c_anchor, mc_body_anchor, mc_body_anchor, 1)
MC_CODEC(mc_c_consent_body, mc_body_consent, mc_body_consent, 1)
MC_CODEC(mc_c_consent_revoke, mc_body_consent_revoke, mc_body_consent_revoke, 1)
MC_CODEC(mc_c_delegate_body, mc_body_delegate, mc_body_delegate, 1)
MC_CODEC(mc_c_emergency_body, mc_body_emergency, mc_body_emergency, 0)
MC_CODEC(mc_c_access_log, mc_body_access_log, mc_body_access_log, 1)
MC_CODEC(mc_c_org_propose, mc_body_org_propose, mc_body_org_propose, 1)
MC_CODEC(mc_c_org_approve, mc_body_org_approve, mc_body_org_approve, 1)
MC_CODEC(mc_c_record, mc_record, mc_record, 1)
MC_CODEC(mc_c_consent, mc_consent, mc_consent, 1)
MC_CODEC(mc_c_delegate, mc_delegate, mc_delegate, 1)
MC_CODEC(mc_c_emergency, mc_emergency, mc_emergency, 1)
MC_CODEC(mc_c_access, mc_access, mc_access, 1)
MC_CODEC(mc_c_proposal, mc_proposal, mc_proposal, 1)
MC_CODEC(mc_c_event, mc_event, mc_event, 1)

static int mc_all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

/* The decoder refuses @p p with @p want and leaves its output zeroed. */
static void mc_refuse(const mc_codec *c, const uint8_t *p, size_t n, int want)
{
    void *got = malloc(c->size);
    assert_non_null(got);
    memset(got, 0xaa, c->size);
    assert_rc(c->dec(got, p, n), want);
    assert_true(mc_all_zero(got, c->size));
    free(got);
}

/* The encoder refuses @p v with @p want and writes nothing. */
static void mc_refuse_enc(const mc_codec *c, const void *v, int want)
{
    mc_buf b;
    mc_buf_init(&b, 1 << 20);
    assert_rc(c->enc(&b, v), want);
    assert_int_equal(b.n, 0);
    mc_buf_free(&b);
}

/*
 * Encodes @p v into @p out (reset first), decodes it back (equal to @p v when the type is
 * flat), encodes the decoded value to the same bytes, and sweeps truncations, trailing bytes
 * and single-bit flips: a flipped encoding either is refused or is the canonical encoding of
 * what it decodes to.
 */
static void mc_roundtrip(const mc_codec *c, const void *v, mc_buf *out)
{
    mc_buf_reset(out);
    assert_ok(c->enc(out, v));
    void *got = calloc(1, c->size);
    assert_non_null(got);
    assert_ok(c->dec(got, out->p, out->n));
    if (c->flat) assert_memory_equal(got, v, c->size);
    mc_buf again;
    mc_buf_init(&again, 1 << 20);
    assert_ok(c->enc(&again, got));
    assert_int_equal(again.n, out->n);
    assert_memory_equal(again.p, out->p, out->n);
    mc_check_exact(c->exact, out->p, out->n);

    uint8_t *t = malloc(out->n);
    assert_non_null(t);
    for (size_t i = 0; i < out->n; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            memcpy(t, out->p, out->n);
            t[i] ^= (uint8_t)(1u << bit);
            if (c->dec(got, t, out->n) != MC_OK) {
                assert_true(mc_all_zero(got, c->size));
                continue;
            }
            mc_buf_reset(&again);
            assert_ok(c->enc(&again, got));
            assert_int_equal(again.n, out->n);
            assert_memory_equal(again.p, t, out->n);
        }
    }
    free(t);
    mc_buf_free(&again);
    free(got);
}

/* Byte surgery on a copy of a good encoding. */
static void mc_copy(mc_buf *dst, const mc_buf *src)
{
    mc_buf_reset(dst);
    assert_ok(mc_buf_append(dst, src->p, src->n));
}

/* Sets the @p width-byte big-endian integer at @p off to @p v. */
static void mc_put(mc_buf *b, size_t off, unsigned width, uint64_t v)
{
    assert_true(off + width <= b->n);
    for (unsigned i = 0; i < width; i++) b->p[off + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

/* The decoder refuses @p good with the @p width-byte integer at @p off set to @p v. */
static void mc_refuse_at(const mc_codec *c, const mc_buf *good, size_t off, unsigned width, uint64_t v,
                         int want)
{
    mc_buf b;
    mc_buf_init(&b, 1 << 20);
    mc_copy(&b, good);
    mc_put(&b, off, width, v);
    mc_refuse(c, b.p, b.n, want);
    mc_buf_free(&b);
}

/* Replaces @p del bytes at @p off with @p nins bytes of @p ins. */
static void mc_splice(mc_buf *b, size_t off, size_t del, const void *ins, size_t nins)
{
    assert_true(off + del <= b->n);
    mc_buf t;
    mc_buf_init(&t, 1 << 20);
    assert_ok(mc_buf_append(&t, b->p, off));
    if (nins) assert_ok(mc_buf_append(&t, ins, nins));
    assert_ok(mc_buf_append(&t, b->p + off + del, b->n - off - del));
    mc_buf_reset(b);
    assert_ok(mc_buf_append(b, t.p, t.n));
    mc_buf_free(&t);
}

/* Swaps the @p n bytes at @p a and @p b. */
static void mc_swap(mc_buf *buf, size_t a, size_t b, size_t n)
{
    assert_true(a + n <= buf->n && b + n <= buf->n);
    uint8_t t[256];
    assert_true(n <= sizeof t);
    memcpy(t, buf->p + a, n);
    memmove(buf->p + a, buf->p + b, n);
    memcpy(buf->p + b, t, n);
}

/* A string as it stands on the wire: u32 length then the bytes. */
static void mc_splice_str(mc_buf *b, size_t off, const char *old, const char *new_)
{
    uint8_t t[2048];
    size_t n = strlen(new_);
    assert_true(n + 4 <= sizeof t);
    mc_put_u32be(t, (uint32_t)n);
    memcpy(t + 4, new_, n);
    mc_splice(b, off, 4 + strlen(old), t, 4 + n);
}

/* ------------------------------------------------------------------------------------------ */
/* Sample values                                                                               */

static uint64_t mc_seed = 0x6d65646368616e31ull;

/* Random bytes, with the first byte set to @p first so that lists can be made in order. */
static void mc_fill(void *p, size_t n, uint8_t first)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)mc_test_rand(&mc_seed);
    b[0] = first;
}

static void mc_sample_anchor(mc_body_anchor *b, uint32_t nkeys, uint32_t ntokens)
{
    memset(b, 0, sizeof *b);
    mc_fill(b->record.b, 32, 0x42);
    mc_fill(b->patient.b, 32, 0x01);
    mc_fill(b->custodian.b, 32, 0x02);
    strcpy(b->category, "lab.result_v2-x");
    b->sensitivity = MC_SENS_RESTRICTED;
    mc_fill(b->cipher_hash.b, 32, 0x03);
    mc_fill(b->commitment.b, 32, 0x04);
    b->size = 0x0102030405060708ull;
    b->nkeys = nkeys;
    for (uint32_t i = 0; i < nkeys; i++) {
        mc_fill(b->keys[i].recipient.b, 32, (uint8_t)(8 * i + 1));
        mc_fill(b->keys[i].sealed, MC_SEALED_KEY_BYTES, 0xee);
    }
    b->ntokens = ntokens;
    for (uint32_t i = 0; i < ntokens; i++) mc_fill(b->tokens[i].b, 32, (uint8_t)(2 * i + 1));
    b->has_supersedes = 1;
    mc_fill(b->supersedes.b, 32, 0x05);
}

/* Byte offsets inside an encoded anchor (docs/format.md). */
typedef struct {
    size_t category, sensitivity, nkeys, keys, ntokens, tokens, has_supersedes;
} mc_anchor_layout;

static mc_anchor_layout mc_anchor_layout_of(const mc_body_anchor *b)
{
    mc_anchor_layout l;
    l.category = 96;
    l.sensitivity = l.category + 4 + strlen(b->category);
    l.nkeys = l.sensitivity + 1 + 32 + 32 + 8;
    l.keys = l.nkeys + 4;
    l.ntokens = l.keys + b->nkeys * (32 + MC_SEALED_KEY_BYTES);
    l.tokens = l.ntokens + 4;
    l.has_supersedes = l.tokens + b->ntokens * 32;
    return l;
}

/* A grant to the nurses of the ER of an org, for three categories, with re-wrapped keys. */
static void mc_sample_grant_selector(mc_body_consent *b)
{
    memset(b, 0, sizeof *b);
    mc_fill(b->patient.b, 32, 0x10);
    b->grantee_kind = MC_GRANTEE_SELECTOR;
    mc_fill(b->grantee.b, 32, 0x11);
    assert_ok(mc_attrs_parse(&b->selector, "role=nurse,dept=er"));
    b->scope_kind = MC_SCOPE_CATEGORIES;
    b->ncats = 3;
    strcpy(b->cats[0], "lab");
    strcpy(b->cats[1], "med");
    strcpy(b->cats[2], "rad");
    b->purposes = MC_PURPOSE_TREAT | MC_PURPOSE_HOPERAT;
    b->actions = MC_ACTION_READ | MC_ACTION_READ_META;
    b->not_before = 1700000000000ull;
    b->not_after = 1700000000000ull + 86400000;
    /* (record, recipient) strictly increasing: two recipients of one record, then another */
    b->nkeys = 3;
    mc_fill(b->keys[0].record.b, 32, 0x20);
    mc_fill(b->keys[0].key.recipient.b, 32, 0x30);
    b->keys[1].record = b->keys[0].record;
    mc_fill(b->keys[1].key.recipient.b, 32, 0x31);
    mc_fill(b->keys[2].record.b, 32, 0x21);
    b->keys[2].key.recipient = b->keys[0].key.recipient;
    for (uint32_t i = 0; i < b->nkeys; i++) mc_fill(b->keys[i].key.sealed, MC_SEALED_KEY_BYTES, 0xdd);
}

/* A deny to one identity for three records. */
static void mc_sample_deny_records(mc_body_consent *b)
{
    memset(b, 0, sizeof *b);
    mc_fill(b->patient.b, 32, 0x10);
    b->grantee_kind = MC_GRANTEE_IDENTITY;
    mc_fill(b->grantee.b, 32, 0x12);
    b->scope_kind = MC_SCOPE_RECORDS;
    b->nrecords = 3;
    for (uint32_t i = 0; i < 3; i++) mc_fill(b->records[i].b, 32, (uint8_t)(0x40 + i));
    b->purposes = MC_PURPOSE_ALL_;
    b->actions = MC_ACTION_ALL_;
    b->not_before = 0;
    b->not_after = (uint64_t)INT64_MAX; /* the latest end: times are signed 64-bit */
}

typedef struct {
    size_t grantee_kind, selector, scope_kind, ncats, cats, nrecords, records, purposes, actions, not_before,
        not_after, nkeys, keys, end;
} mc_consent_layout;

/* Byte offsets inside an encoded consent body that starts at @p base. */
static mc_consent_layout mc_consent_layout_of(const mc_body_consent *b, size_t base)
{
    mc_consent_layout l;
    l.grantee_kind = base + 32;
    l.selector = l.grantee_kind + 1 + 32;
    size_t o = l.selector + 4;
    for (uint32_t i = 0; i < b->selector.n; i++)
        o += 8 + strlen(b->selector.a[i].key) + strlen(b->selector.a[i].val);
    l.scope_kind = o;
    l.ncats = o + 1;
    l.cats = l.ncats + 4;
    o = l.cats;
    for (uint32_t i = 0; i < b->ncats; i++) o += 4 + strlen(b->cats[i]);
    l.nrecords = o;
    l.records = o + 4;
    l.purposes = l.records + 32 * b->nrecords;
    l.actions = l.purposes + 4;
    l.not_before = l.actions + 1;
    l.not_after = l.not_before + 8;
    l.nkeys = l.not_after + 8;
    l.keys = l.nkeys + 4;
    l.end = l.keys + b->nkeys * (32 + 32 + MC_SEALED_KEY_BYTES);
    return l;
}

static void mc_sample_emergency_body(mc_body_emergency *b, uint8_t (*reasons)[MC_MAX_REASON_BYTES],
                                     uint32_t n)
{
    memset(b, 0, sizeof *b);
    mc_fill(b->patient.b, 32, 0x10);
    b->duration_ms = 3600 * 1000;
    b->nreasons = n;
    for (uint32_t i = 0; i < n; i++) {
        mc_fill(b->reason_to[i].b, 32, (uint8_t)(0x50 + i));
        mc_fill(reasons[i], MC_MAX_REASON_BYTES, 0x99);
        b->reason[i].p = reasons[i];
        b->reason[i].n = 100; /* all the same length, so items can be swapped */
    }
}

static void mc_sample_access_log(mc_body_access_log *b)
{
    memset(b, 0, sizeof *b);
    mc_fill(b->reader.b, 32, 0x60);
    b->req_time_ms = 1700000000123ull;
    mc_fill(b->req_nonce, MC_REQ_NONCE_BYTES, 0x61);
    mc_fill(b->req_sig.b, 64, 0x62);
    mc_fill(b->record.b, 32, 0x63);
    b->purpose = MC_PURPOSE_TREAT;
    b->action = MC_ACTION_READ;
    b->permit = 1;
    b->reason = MC_RSN_PERMIT_GRANT;
    b->has_basis = 1;
    mc_fill(b->basis.b, 32, 0x64);
}

/* access.log: reader 32 | time 8 | nonce 16 | sig 64 | record 32, then the decision. */
#define MC_LOG_PURPOSE 152u
#define MC_LOG_ACTION  156u
#define MC_LOG_PERMIT  157u
#define MC_LOG_REASON  158u
#define MC_LOG_BASIS   160u

static void mc_sample_access(mc_access *a)
{
    memset(a, 0, sizeof *a);
    mc_fill(a->log_tx.b, 32, 0x70);
    mc_fill(a->patient.b, 32, 0x71);
    mc_fill(a->reader.b, 32, 0x72);
    mc_fill(a->custodian_node.b, 32, 0x73);
    mc_fill(a->record.b, 32, 0x74);
    a->req_time_ms = 1700000000999ull;
    a->purpose = MC_PURPOSE_ETREAT;
    a->action = MC_ACTION_READ;
    a->permit = 1;
    a->emergency = 1;
    a->reason = MC_RSN_PERMIT_EMERGENCY;
    a->has_basis = 1;
    mc_fill(a->basis.b, 32, 0x75);
    a->height = 99;
    a->index = 7;
}

/* mc_access: version 1 | five ids 160 | time 8, then the decision. */
#define MC_ACC_PURPOSE   169u
#define MC_ACC_ACTION    173u
#define MC_ACC_PERMIT    174u
#define MC_ACC_EMERGENCY 175u
#define MC_ACC_REASON    176u
#define MC_ACC_BASIS     178u

static void mc_sample_org(mc_body_org_propose *o)
{
    memset(o, 0, sizeof *o);
    strcpy(o->name, "St. Mary's Hospital (North)");
    strcpy(o->type, "hospital");
    mc_fill(o->sign_pk.b, 32, 0x80);
    mc_fill(o->box_pk.b, 32, 0x81);
}

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                        */

static void test_names(void **state)
{
    (void)state;
    static const char *const purposes[] = {"TREAT",  "ETREAT",  "HPAYMT", "HOPERAT",
                                           "HRESCH", "PUBHLTH", "PATRQT"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(purposes); i++) {
        assert_string_equal(mc_purpose_name(1u << i), purposes[i]);
        assert_int_equal(mc_purpose_parse(purposes[i]), 1u << i);
    }
    assert_int_equal(MC_PURPOSE_ALL_, (1u << MC_ARRAY_LEN(purposes)) - 1);
    static const uint32_t badp[] = {0, 3, MC_PURPOSE_ALL_, 1u << 7, 1u << 31};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badp); i++) assert_null(mc_purpose_name(badp[i]));
    assert_int_equal(mc_purpose_parse("treat"), 0);
    assert_int_equal(mc_purpose_parse(""), 0);
    assert_int_equal(mc_purpose_parse(NULL), 0);

    static const char *const actions[] = {"read", "read_meta", "read_deid"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(actions); i++) {
        assert_string_equal(mc_action_name((uint8_t)(1u << i)), actions[i]);
        assert_int_equal(mc_action_parse(actions[i]), 1u << i);
    }
    static const uint8_t bada[] = {0, 3, 7, 8, 0x80};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bada); i++) assert_null(mc_action_name(bada[i]));
    assert_int_equal(mc_action_parse("READ"), 0);
    assert_int_equal(mc_action_parse(NULL), 0);

    /* reasons: exactly 1..6 and 64..76 have names, all distinct, each with a text */
    assert_string_equal(mc_reason_name(MC_RSN_PERMIT_GRANT), "PERMIT_GRANT");
    assert_string_equal(mc_reason_name(MC_RSN_DENY_EXPLICIT), "DENY_EXPLICIT");
    assert_string_equal(mc_reason_name(MC_RSN_DENY_EMERGENCY_EXPIRED), "DENY_EMERGENCY_EXPIRED");
    for (int r = -1; r < 300; r++) {
        int known = (r >= MC_RSN_PERMIT_OWNER && r <= MC_RSN_PERMIT_AUDITOR_META) ||
                    (r >= MC_RSN_DENY_DEFAULT && r <= MC_RSN_DENY_EMERGENCY_EXPIRED);
        assert_int_equal(mc_reason_name(r) != NULL, known);
        assert_int_equal(mc_reason_text(r) != NULL, known);
        if (!known) continue;
        assert_true(strlen(mc_reason_text(r)) > 0);
        assert_int_equal(strncmp(mc_reason_name(r), r < MC_RSN_DENY_ ? "PERMIT_" : "DENY_", r < 64 ? 7 : 5),
                         0);
        for (int q = 1; q < r; q++)
            if (mc_reason_name(q)) assert_string_not_equal(mc_reason_name(q), mc_reason_name(r));
    }

    static const char *const evs[] = {"record.new",       "record.read",      "consent.grant",
                                      "consent.deny",     "consent.revoke",   "consent.delegate",
                                      "access.emergency", "consent.expiring", "org.admitted"};
    for (int k = MC_EV_RECORD; k <= MC_EV_ORG_ADMITTED; k++)
        assert_string_equal(mc_event_kind_name(k), evs[k - 1]);
    assert_null(mc_event_kind_name(0));
    assert_null(mc_event_kind_name(10));
    assert_null(mc_event_kind_name(-1));

    /* transaction kinds: 10..18 named, 4..9 never assigned and never parsed */
    static const char *const txk[] = {"record.anchor",  "consent.grant",    "consent.deny",
                                      "consent.revoke", "consent.delegate", "access.emergency",
                                      "access.log",     "org.propose",      "org.approve"};
    for (int k = MC_TX_RECORD_ANCHOR; k <= MC_TX_ORG_APPROVE; k++) {
        assert_string_equal(mc_tx_kind_name(k), txk[k - MC_TX_RECORD_ANCHOR]);
        assert_int_equal(mc_tx_kind_parse(txk[k - MC_TX_RECORD_ANCHOR]), k);
    }
    for (int k = 4; k < MC_TX_RECORD_ANCHOR; k++) assert_null(mc_tx_kind_name(k));
    assert_null(mc_tx_kind_name(19));
    assert_int_equal(mc_tx_kind_parse("identity.revoke"), MC_TX_IDENTITY_REVOKE);
    assert_int_equal(mc_tx_kind_parse("access"), 0);
    assert_int_equal(mc_tx_kind_parse(""), 0);

    static const char *const txr[] = {"NOT_PATIENT", "SUPERSEDED", "BAD_WINDOW", "DECISION_MISMATCH",
                                      "STALE"};
    for (int c = MC_TXR_NOT_PATIENT; c <= MC_TXR_STALE; c++) {
        assert_string_equal(mc_txr_name(c), txr[c - MC_TXR_NOT_PATIENT]);
        assert_true(strlen(mc_txr_text(c)) > 0);
        assert_string_not_equal(mc_txr_text(c), "unknown result");
    }
    assert_int_equal(MC_TXR_COUNT_, MC_TXR_STALE + 1);
    assert_string_equal(mc_txr_name(MC_TXR_STALE + 1), "UNKNOWN");
}

static void test_category(void **state)
{
    (void)state;
    static const char *const good[] = {"a", "lab", "lab.result_v2-x", "0",
                                       "abcdefghijklmnopqrstuvwxyz012345"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(good); i++) assert_true(mc_category_ok(good[i], strlen(good[i])));
    static const char *const bad[] = {
        "", "Lab", "lab result", "lab/x", "lab,x", "é", "abcdefghijklmnopqrstuvwxyz0123456"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bad); i++) assert_false(mc_category_ok(bad[i], strlen(bad[i])));
    assert_false(mc_category_ok("lab\0x", 5));
    assert_true(mc_category_ok("lab\0x", 3));
    assert_false(mc_category_ok(NULL, 0));
}

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
    /* version | 6 ids | category | sensitivity | 2 hashes | size | root | 2 optional | height | time */
    const size_t cat = 1 + 6 * 32, sens = cat + 4 + strlen(r.category), sup = sens + 1 + 64 + 8 + 32,
                 supby = sup + 1 + 32;
    assert_int_equal(g.n, supby + 1 + 32 + 16);
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
    assert_int_equal(g.n, MC_LOG_BASIS + 1 + 32);
    x = l;
    x.has_basis = 0;
    memset(x.basis.b, 0, 32);
    x.permit = 0;
    x.reason = MC_RSN_DENY_DEFAULT;
    mc_roundtrip(c, &x, &b);
    assert_int_equal(b.n, MC_LOG_BASIS + 1);

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

static void test_access_target(void **state)
{
    (void)state;
    mc_hash rec;
    for (int i = 0; i < 32; i++) rec.b[i] = (uint8_t)(0xa0 + i);
    char out[160];
    assert_ok(mc_access_target(out, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ));
    assert_string_equal(out, "/v1/records/a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                             "/access?purpose=TREAT&action=read");
    for (uint32_t p = 1; p <= MC_PURPOSE_ALL_; p <<= 1)
        for (uint8_t a = 1; a <= MC_ACTION_ALL_; a = (uint8_t)(a << 1)) {
            char want[160];
            char hex[65];
            mc_hex_encode(hex, rec.b, 32);
            snprintf(want, sizeof want, "/v1/records/%s/access?purpose=%s&action=%s", hex, mc_purpose_name(p),
                     mc_action_name(a));
            assert_ok(mc_access_target(out, &rec, p, a));
            assert_string_equal(out, want);
        }
    static const uint32_t badp[] = {0, 3, 1u << 7, MC_PURPOSE_ALL_};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badp); i++) {
        memset(out, 'x', sizeof out);
        assert_rc(mc_access_target(out, &rec, badp[i], MC_ACTION_READ), MC_EINVAL);
        assert_string_equal(out, "");
    }
    static const uint8_t bada[] = {0, 3, 8, MC_ACTION_ALL_};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bada); i++)
        assert_rc(mc_access_target(out, &rec, MC_PURPOSE_TREAT, bada[i]), MC_EINVAL);
}

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
    assert_int_equal(g.n, MC_ACC_BASIS + 1 + 32 + 8 + 4);
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
    assert_int_equal(g.n, type + 4 + strlen(o.type) + 64);
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

    mc_body_org_approve ap;
    mc_fill(ap.proposal.b, 32, 0xc0);
    mc_roundtrip(&mc_c_org_approve, &ap, &g);
    assert_int_equal(g.n, 32);
    mc_buf_free(&b);
    mc_buf_free(&g);
}

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
    const size_t org = 33, after = org + 4 + strlen(p->org.name) + 4 + strlen(p->org.type) + 64;
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
    for (uint8_t f = 0; f <= (MC_EVF_EMERGENCY | MC_EVF_DENIED | MC_EVF_REMOVED); f++) {
        x = ev;
        x.flags = f;
        mc_roundtrip(c, &x, &b);
    }
    static const uint8_t badflags[] = {8, 0x80, 0xff};
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
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_category),
        cmocka_unit_test(test_anchor),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_consent_body_roundtrip),
        cmocka_unit_test(test_consent_body_rules),
        cmocka_unit_test(test_consent_state),
        cmocka_unit_test(test_revoke_delegate),
        cmocka_unit_test(test_emergency_body),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_access_target),
        cmocka_unit_test(test_emergency_state),
        cmocka_unit_test(test_access_state),
        cmocka_unit_test(test_org_bodies),
        cmocka_unit_test(test_proposal),
        cmocka_unit_test(test_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
