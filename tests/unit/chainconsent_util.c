/*
 * Shared by the chain consent suites (test_chain_consent_*.c, test_chain_reads.c): one codec
 * signature for every records-and-consent type, the round trip and refusal checks, byte surgery
 * on good encodings and the sample values (see chainconsent_util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainconsent_util.h"

/* ------------------------------------------------------------------------------------------ */
/* A codec behind one signature, so the checks below serve every type                          */

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
    const mc_codec id = {sizeof(type), id##_enc, id##_dec, id##_exact, isflat};

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
MC_CODEC(mc_c_read_request, mc_read_request, mc_read_request, 1)
MC_CODEC(mc_c_access_reads, mc_body_access_reads, mc_body_access_reads, 0)
MC_CODEC(mc_c_gatekeeper_body, mc_body_gatekeeper, mc_body_gatekeeper, 1)
MC_CODEC(mc_c_gatekeeper, mc_gatekeeper, mc_gatekeeper, 1)

/* The decoder refuses @p p with @p want and leaves its output zeroed. */
void mc_refuse(const mc_codec *c, const uint8_t *p, size_t n, int want)
{
    void *got = malloc(c->size);
    assert_non_null(got);
    memset(got, 0xaa, c->size);
    assert_rc(c->dec(got, p, n), want);
    assert_true(mc_all_zero(got, c->size));
    free(got);
}

/* The encoder refuses @p v with @p want and writes nothing. */
void mc_refuse_enc(const mc_codec *c, const void *v, int want)
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
void mc_roundtrip(const mc_codec *c, const void *v, mc_buf *out)
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
void mc_copy(mc_buf *dst, const mc_buf *src)
{
    mc_buf_reset(dst);
    assert_ok(mc_buf_append(dst, src->p, src->n));
}

/* Sets the @p width-byte big-endian integer at @p off to @p v. */
void mc_put(mc_buf *b, size_t off, unsigned width, uint64_t v)
{
    assert_true(off + width <= b->n);
    for (unsigned i = 0; i < width; i++) b->p[off + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

/* The decoder refuses @p good with the @p width-byte integer at @p off set to @p v. */
void mc_refuse_at(const mc_codec *c, const mc_buf *good, size_t off, unsigned width, uint64_t v, int want)
{
    mc_buf b;
    mc_buf_init(&b, 1 << 20);
    mc_copy(&b, good);
    mc_put(&b, off, width, v);
    mc_refuse(c, b.p, b.n, want);
    mc_buf_free(&b);
}

/* Replaces @p del bytes at @p off with @p nins bytes of @p ins. */
void mc_splice(mc_buf *b, size_t off, size_t del, const void *ins, size_t nins)
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
void mc_swap(mc_buf *buf, size_t a, size_t b, size_t n)
{
    assert_true(a + n <= buf->n && b + n <= buf->n);
    uint8_t t[256];
    assert_true(n <= sizeof t);
    memcpy(t, buf->p + a, n);
    memmove(buf->p + a, buf->p + b, n);
    memcpy(buf->p + b, t, n);
}

/* A string as it stands on the wire: u32 length then the bytes. */
void mc_splice_str(mc_buf *b, size_t off, const char *old, const char *new_)
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
void mc_fill(void *p, size_t n, uint8_t first)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)mc_test_rand(&mc_seed);
    b[0] = first;
}

void mc_sample_anchor(mc_body_anchor *b, uint32_t nkeys, uint32_t ntokens)
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

mc_anchor_layout mc_anchor_layout_of(const mc_body_anchor *b)
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
void mc_sample_grant_selector(mc_body_consent *b)
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
void mc_sample_deny_records(mc_body_consent *b)
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

/* Byte offsets inside an encoded consent body that starts at @p base. */
mc_consent_layout mc_consent_layout_of(const mc_body_consent *b, size_t base)
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

void mc_sample_emergency_body(mc_body_emergency *b, uint8_t (*reasons)[MC_MAX_REASON_BYTES], uint32_t n)
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

void mc_sample_access_log(mc_body_access_log *b)
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

void mc_sample_access(mc_access *a)
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

void mc_sample_org(mc_body_org_propose *o)
{
    memset(o, 0, sizeof *o);
    strcpy(o->name, "St. Mary's Hospital (North)");
    strcpy(o->type, "hospital");
    mc_fill(o->sign_pk.b, 32, 0x80);
    mc_fill(o->box_pk.b, 32, 0x81);
}
