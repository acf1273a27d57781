/*
 * Consent: the consent.grant / consent.deny body (one encoding), consent.revoke and
 * consent.delegate, and grants, denies and delegates as held in the state.
 */
#include <stddef.h>
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

/* Keys are ordered by (record, recipient): the first 64 bytes of each item, compared at once. */
_Static_assert(offsetof(mc_rewrapped_key, key) == 32 && offsetof(mc_wrapped_key, recipient) == 0,
               "a re-wrapped key starts with record then recipient");

int mc_chain_cats_ok(const char (*cats)[MC_MAX_CATEGORY + 1], uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!mc_chain_category_field_ok(cats[i]) || (i > 0 && strcmp(cats[i - 1], cats[i]) >= 0)) return 0;
    return 1;
}

static int mc_consent_body_check(const mc_body_consent *b)
{
    if (b->selector.n > MC_MAX_ATTRS || b->ncats > MC_MAX_SCOPE_CATS || b->nrecords > MC_MAX_SCOPE_RECORDS ||
        b->nkeys > MC_MAX_REWRAPPED)
        return MC_ETOOBIG;
    if (b->grantee_kind < MC_GRANTEE_IDENTITY || b->grantee_kind > MC_GRANTEE_SELECTOR) return MC_EINVAL;
    /* a selector says which members of the org: only a selector grantee has one, and never empty */
    if ((b->grantee_kind == MC_GRANTEE_SELECTOR) != (b->selector.n > 0) || !mc_chain_attrs_ok(&b->selector))
        return MC_EINVAL;
    if (b->scope_kind < MC_SCOPE_ALL || b->scope_kind > MC_SCOPE_RECORDS) return MC_EINVAL;
    if ((b->scope_kind == MC_SCOPE_CATEGORIES) != (b->ncats > 0) ||
        (b->scope_kind == MC_SCOPE_RECORDS) != (b->nrecords > 0))
        return MC_EINVAL;
    if (!mc_chain_cats_ok(b->cats, b->ncats)) return MC_EINVAL;
    if (!mc_chain_sorted(b->records, b->nrecords, sizeof b->records[0], sizeof b->records[0]) ||
        !mc_chain_sorted(b->keys, b->nkeys, sizeof b->keys[0], 64))
        return MC_EINVAL;
    if (b->purposes == 0 || (b->purposes & ~(uint32_t)MC_PURPOSE_ALL_) || b->actions == 0 ||
        (b->actions & ~(unsigned)MC_ACTION_ALL_))
        return MC_EINVAL;
    if (b->not_before >= b->not_after) return MC_EINVAL;      /* half-open: never empty */
    if (b->not_after > (uint64_t)INT64_MAX) return MC_EINVAL; /* times are signed 64-bit ms everywhere */
    return MC_OK;
}

static void mc_consent_body_enc(mc_enc *e, const mc_body_consent *b)
{
    mc_enc_fixed(e, b->patient.b, 32);
    mc_enc_u8(e, b->grantee_kind);
    mc_enc_fixed(e, b->grantee.b, 32);
    mc_attrs_enc(e, &b->selector);
    mc_enc_u8(e, b->scope_kind);
    mc_enc_u32(e, b->ncats);
    for (uint32_t i = 0; i < b->ncats; i++) mc_enc_str(e, b->cats[i], MC_MAX_CATEGORY);
    mc_enc_u32(e, b->nrecords);
    for (uint32_t i = 0; i < b->nrecords; i++) mc_enc_fixed(e, b->records[i].b, 32);
    mc_enc_u32(e, b->purposes);
    mc_enc_u8(e, b->actions);
    mc_enc_u64(e, b->not_before);
    mc_enc_u64(e, b->not_after);
    mc_enc_u32(e, b->nkeys);
    for (uint32_t i = 0; i < b->nkeys; i++) {
        mc_enc_fixed(e, b->keys[i].record.b, 32);
        mc_enc_fixed(e, b->keys[i].key.recipient.b, 32);
        mc_enc_fixed(e, b->keys[i].key.sealed, MC_SEALED_KEY_BYTES);
    }
}

/* Reads the fields; the caller runs mc_consent_body_check once the decoder has not failed. */
static void mc_consent_body_dec(mc_dec *d, mc_body_consent *b)
{
    mc_dec_fixed(d, b->patient.b, 32);
    b->grantee_kind = mc_dec_u8(d);
    mc_dec_fixed(d, b->grantee.b, 32);
    mc_attrs_dec(d, &b->selector);
    b->scope_kind = mc_dec_u8(d);
    b->ncats = mc_dec_count(d, MC_MAX_SCOPE_CATS);
    for (uint32_t i = 0; i < b->ncats && !d->err; i++) mc_dec_str(d, b->cats[i], sizeof b->cats[i]);
    b->nrecords = mc_dec_count(d, MC_MAX_SCOPE_RECORDS);
    for (uint32_t i = 0; i < b->nrecords && !d->err; i++) mc_dec_fixed(d, b->records[i].b, 32);
    b->purposes = mc_dec_u32(d);
    b->actions = mc_dec_u8(d);
    b->not_before = mc_dec_u64(d);
    b->not_after = mc_dec_u64(d);
    b->nkeys = mc_dec_count(d, MC_MAX_REWRAPPED);
    for (uint32_t i = 0; i < b->nkeys && !d->err; i++) {
        mc_dec_fixed(d, b->keys[i].record.b, 32);
        mc_dec_fixed(d, b->keys[i].key.recipient.b, 32);
        mc_dec_fixed(d, b->keys[i].key.sealed, MC_SEALED_KEY_BYTES);
    }
}

int mc_body_consent_encode(mc_buf *out, const mc_body_consent *b)
{
    int rc = mc_consent_body_check(b);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_consent_body_enc(&e, b);
    return mc_enc_done(&e);
}

int mc_body_consent_decode(mc_body_consent *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_consent_body_dec(&d, b);
    return mc_chain_dec_end(&d, b, sizeof *b, mc_consent_body_check(b));
}

int mc_body_consent_revoke_encode(mc_buf *out, const mc_body_consent_revoke *b)
{
    return mc_chain_txref_encode(out, &b->target);
}

int mc_body_consent_revoke_decode(mc_body_consent_revoke *b, const uint8_t *p, size_t n)
{
    return mc_chain_txref_decode(&b->target, p, n);
}

int mc_body_delegate_encode(mc_buf *out, const mc_body_delegate *b)
{
    if (!mc_chain_flag_ok(b->add)) return MC_EINVAL;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, b->patient.b, 32);
    mc_enc_fixed(&e, b->delegate.b, 32);
    mc_enc_bool(&e, b->add);
    return mc_enc_done(&e);
}

int mc_body_delegate_decode(mc_body_delegate *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_dec_fixed(&d, b->patient.b, 32);
    mc_dec_fixed(&d, b->delegate.b, 32);
    b->add = mc_dec_bool(&d);
    return mc_chain_dec_end(&d, b, sizeof *b, MC_OK);
}

static int mc_consent_check(const mc_consent *c)
{
    int rc = mc_consent_body_check(&c->body);
    if (rc) return rc;
    /* the state keeps a grant's metadata; its keys stay in its block */
    if (!mc_chain_flag_ok(c->deny) || (c->status != MC_CONSENT_ACTIVE && c->status != MC_CONSENT_REVOKED) ||
        c->body.nkeys != 0)
        return MC_EINVAL;
    return MC_OK;
}

int mc_consent_encode(mc_buf *out, const mc_consent *c)
{
    int rc = mc_consent_check(c);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, c->id.b, 32);
    mc_enc_u8(&e, c->deny);
    mc_enc_u8(&e, c->status);
    mc_enc_fixed(&e, c->by.b, 32);
    mc_enc_u64(&e, c->height);
    mc_enc_u64(&e, c->time_ms);
    mc_enc_u64(&e, c->revoked_height);
    mc_enc_u64(&e, c->revoked_time_ms);
    mc_enc_fixed(&e, c->revoked_by.b, 32);
    mc_consent_body_enc(&e, &c->body);
    return mc_enc_done(&e);
}

int mc_consent_decode(mc_consent *c, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(c, 0, sizeof *c);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, c->id.b, 32);
    c->deny = mc_dec_u8(&d);
    c->status = mc_dec_u8(&d);
    mc_dec_fixed(&d, c->by.b, 32);
    c->height = mc_dec_u64(&d);
    c->time_ms = mc_dec_u64(&d);
    c->revoked_height = mc_dec_u64(&d);
    c->revoked_time_ms = mc_dec_u64(&d);
    mc_dec_fixed(&d, c->revoked_by.b, 32);
    mc_consent_body_dec(&d, &c->body);
    return mc_chain_dec_end(&d, c, sizeof *c, mc_consent_check(c));
}

int mc_delegate_encode(mc_buf *out, const mc_delegate *dl)
{
    if (!mc_chain_flag_ok(dl->active)) return MC_EINVAL;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_u8(&e, dl->active);
    mc_enc_u64(&e, dl->height);
    mc_enc_u64(&e, dl->time_ms);
    return mc_enc_done(&e);
}

int mc_delegate_decode(mc_delegate *dl, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(dl, 0, sizeof *dl);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    dl->active = (uint8_t)mc_dec_bool(&d);
    dl->height = mc_dec_u64(&d);
    dl->time_ms = mc_dec_u64(&d);
    return mc_chain_dec_end(&d, dl, sizeof *dl, MC_OK);
}
