/*
 * libFuzzer target: the record, consent, access, org and event encodings (docs/format.md,
 * "Records and consent"), the whole-chart read's bodies and the read response a client parses. The first byte
 * selects the decoder (modulo their number), the rest is its input. A decoder either refuses (output zeroed)
 * or accepts a value that passes its rules and encodes back to exactly the input, which decodes again to the
 * same value.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

typedef struct {
    size_t size;
    int (*dec)(void *v, const uint8_t *p, size_t n);
    int (*enc)(mc_buf *out, const void *v);
    void (*check)(const void *v); /* invariants of an accepted value, or NULL */
    int flat;                     /* no pointers inside: equal values are equal bytes */
    void (*clear)(void *v);       /* frees what a decoded value owns, or NULL */
} mc_fuzz_codec;

#define MC_FUZZ_CODEC(type)                                                                                  \
    static int mc_fz_dec_##type(void *v, const uint8_t *p, size_t n)                                         \
    {                                                                                                        \
        return type##_decode((type *)v, p, n);                                                               \
    }                                                                                                        \
    static int mc_fz_enc_##type(mc_buf *out, const void *v)                                                  \
    {                                                                                                        \
        return type##_encode(out, (const type *)v);                                                          \
    }

MC_FUZZ_CODEC(mc_body_anchor)
MC_FUZZ_CODEC(mc_body_consent)
MC_FUZZ_CODEC(mc_body_consent_revoke)
MC_FUZZ_CODEC(mc_body_delegate)
MC_FUZZ_CODEC(mc_body_emergency)
MC_FUZZ_CODEC(mc_body_access_log)
MC_FUZZ_CODEC(mc_body_org_propose)
MC_FUZZ_CODEC(mc_body_org_approve)
MC_FUZZ_CODEC(mc_record)
MC_FUZZ_CODEC(mc_consent)
MC_FUZZ_CODEC(mc_delegate)
MC_FUZZ_CODEC(mc_emergency)
MC_FUZZ_CODEC(mc_access)
MC_FUZZ_CODEC(mc_proposal)
MC_FUZZ_CODEC(mc_event)
MC_FUZZ_CODEC(mc_body_gatekeeper)
MC_FUZZ_CODEC(mc_gatekeeper)
MC_FUZZ_CODEC(mc_read_request)
MC_FUZZ_CODEC(mc_body_access_reads)

static void mc_fz_check_anchor(const void *v)
{
    const mc_body_anchor *b = v;
    MC_FUZZ_CHECK(b->nkeys <= MC_MAX_WRAPPED && b->ntokens <= MC_MAX_TOKENS);
    MC_FUZZ_CHECK(mc_category_ok(b->category, strlen(b->category)));
    for (uint32_t i = 1; i < b->ntokens; i++)
        MC_FUZZ_CHECK(memcmp(b->tokens[i - 1].b, b->tokens[i].b, 32) < 0);
}

static void mc_fz_check_consent(const void *v)
{
    const mc_body_consent *b = v;
    MC_FUZZ_CHECK(b->purposes != 0 && (b->purposes & ~(uint32_t)MC_PURPOSE_ALL_) == 0);
    MC_FUZZ_CHECK(b->actions != 0 && (b->actions & ~(unsigned)MC_ACTION_ALL_) == 0);
    MC_FUZZ_CHECK(b->not_before < b->not_after);
    MC_FUZZ_CHECK((b->grantee_kind == MC_GRANTEE_SELECTOR) == (b->selector.n > 0));
    MC_FUZZ_CHECK((b->scope_kind == MC_SCOPE_CATEGORIES) == (b->ncats > 0));
    MC_FUZZ_CHECK((b->scope_kind == MC_SCOPE_RECORDS) == (b->nrecords > 0));
}

static void mc_fz_check_consent_state(const void *v)
{
    const mc_consent *c = v;
    MC_FUZZ_CHECK(c->body.nkeys == 0);
    mc_fz_check_consent(&c->body);
}

static void mc_fz_check_emergency(const void *v)
{
    const mc_body_emergency *b = v;
    MC_FUZZ_CHECK(b->duration_ms >= 1 && b->duration_ms <= MC_MAX_EMERGENCY_MS);
    MC_FUZZ_CHECK(b->nreasons >= 1 && b->nreasons <= MC_MAX_REASONS);
    for (uint32_t i = 0; i < b->nreasons; i++)
        MC_FUZZ_CHECK(b->reason[i].n > MC_SEAL_OVERHEAD && b->reason[i].n <= MC_MAX_REASON_BYTES);
}

/* A logged decision names one purpose and one action (read, through the content route), so a
 * reader's request target and method exist. */
static void mc_fz_check_decision(const mc_hash *record, uint32_t purpose, uint8_t action, uint8_t permit,
                                 uint16_t reason, uint8_t via)
{
    char target[160];
    MC_FUZZ_CHECK(mc_access_target(target, record, purpose, action, via) == MC_OK);
    MC_FUZZ_CHECK(mc_access_method(via) != NULL);
    MC_FUZZ_CHECK(mc_reason_name(reason) != NULL && mc_reason_text(reason) != NULL);
    MC_FUZZ_CHECK(permit == (reason < MC_RSN_DENY_));
}

static void mc_fz_check_access_log(const void *v)
{
    const mc_body_access_log *b = v;
    mc_fz_check_decision(&b->record, b->purpose, b->action, b->permit, b->reason, b->via);
}

static void mc_fz_check_access(const void *v)
{
    const mc_access *a = v;
    mc_fz_check_decision(&a->record, a->purpose, a->action, a->permit, a->reason, a->via);
}

static void mc_fz_check_event(const void *v)
{
    MC_FUZZ_CHECK(mc_event_kind_name(((const mc_event *)v)->kind) != NULL);
}

static void mc_fz_check_read_request(const void *v)
{
    const mc_read_request *q = v;
    MC_FUZZ_CHECK(q->action == MC_ACTION_READ && mc_purpose_name(q->purpose) != NULL);
    MC_FUZZ_CHECK(q->by == MC_READS_BY_ID ? q->nids >= 1 && q->nids <= MC_MAX_READS
                                          : q->limit >= 1 && q->limit <= MC_MAX_READS);
}

static void mc_fz_check_access_reads(const void *v)
{
    const mc_body_access_reads *b = v;
    MC_FUZZ_CHECK(b->n >= 1 && b->n <= MC_MAX_READS && b->request.n <= MC_MAX_READ_REQUEST_BYTES);
    for (uint32_t i = 0; i < b->n; i++) MC_FUZZ_CHECK(!b->out[i].released || b->out[i].permit);
}

/* A read response (what a client parses from a gatekeeper it may not trust): decoded, then its
 * head and items encoded again. */
static int mc_fz_dec_response(void *v, const uint8_t *p, size_t n)
{
    return mc_read_response_decode((mc_read_response *)v, p, n);
}

static int mc_fz_enc_response(mc_buf *out, const void *v)
{
    const mc_read_response *r = v;
    int rc = mc_read_head_encode(out, r);
    for (uint32_t i = 0; i < r->n && !rc; i++) rc = mc_read_item_encode(out, &r->items[i]);
    return rc;
}

static void mc_fz_clear_response(void *v)
{
    mc_read_response_clear((mc_read_response *)v);
}

/* Each decoder and encoder of @p type, the invariants @p check, whether it is @p flat. */
#define MC_FZ(type, check, flat)                                                                             \
    {                                                                                                        \
        sizeof(type), mc_fz_dec_##type, mc_fz_enc_##type, check, flat, NULL                                  \
    }

/* The order is the selector byte's meaning (fuzz/make_corpus.c writes files for it): append only. */
static const mc_fuzz_codec mc_fz_codecs[] = {
    MC_FZ(mc_body_anchor, mc_fz_check_anchor, 1),
    MC_FZ(mc_body_consent, mc_fz_check_consent, 1),
    MC_FZ(mc_body_consent_revoke, NULL, 1),
    MC_FZ(mc_body_delegate, NULL, 1),
    MC_FZ(mc_body_emergency, mc_fz_check_emergency, 0), /* borrows its reasons */
    MC_FZ(mc_body_access_log, mc_fz_check_access_log, 1),
    MC_FZ(mc_body_org_propose, NULL, 1),
    MC_FZ(mc_body_org_approve, NULL, 1),
    MC_FZ(mc_record, NULL, 1),
    MC_FZ(mc_consent, mc_fz_check_consent_state, 1),
    MC_FZ(mc_delegate, NULL, 1),
    MC_FZ(mc_emergency, NULL, 1),
    MC_FZ(mc_access, mc_fz_check_access, 1),
    MC_FZ(mc_proposal, NULL, 1),
    MC_FZ(mc_event, mc_fz_check_event, 1),
    MC_FZ(mc_body_gatekeeper, NULL, 1),
    MC_FZ(mc_gatekeeper, NULL, 1),
    MC_FZ(mc_read_request, mc_fz_check_read_request, 1),
    MC_FZ(mc_body_access_reads, mc_fz_check_access_reads, 0), /* borrows its request */
    {sizeof(mc_read_response), mc_fz_dec_response, mc_fz_enc_response, NULL, 0, mc_fz_clear_response},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_fuzz_init();
    if (size == 0) return 0;
    const mc_fuzz_codec *c = &mc_fz_codecs[data[0] % MC_ARRAY_LEN(mc_fz_codecs)];
    const uint8_t *p = data + 1;
    size_t n = size - 1;

    void *v = malloc(c->size), *again = malloc(c->size);
    MC_FUZZ_CHECK(v != NULL && again != NULL);
    memset(v, 0xa5, c->size);
    if (c->dec(v, p, n) != MC_OK) {
        MC_FUZZ_CHECK(mc_fuzz_zero(v, c->size));
    } else {
        if (c->check) c->check(v);
        mc_buf out;
        mc_buf_init(&out, 1 << 20);
        MC_FUZZ_CHECK(c->enc(&out, v) == MC_OK);
        mc_fuzz_same(&out, p, n);
        /* the re-encoding decodes to the same value (slices of a break-glass now point into out) */
        MC_FUZZ_CHECK(c->dec(again, out.p, out.n) == MC_OK);
        if (c->flat) MC_FUZZ_CHECK(memcmp(v, again, c->size) == 0);
        if (c->clear) c->clear(again);
        mc_buf_free(&out);
    }
    if (c->clear) c->clear(v); /* after a refusal too: zeroed, so harmless */
    free(again);
    free(v);
    return 0;
}
