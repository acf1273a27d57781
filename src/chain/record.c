/* Record anchors (the record.anchor body) and records as held in the state. */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

int mc_category_ok(const char *s, size_t n)
{
    return mc_chain_key_ok(s, n, MC_MAX_CATEGORY); /* the alphabet of attribute keys */
}

/* Encoders run this before writing and decoders after reading: one set of rules for both. */
static int mc_anchor_check(const mc_body_anchor *b)
{
    if (b->nkeys > MC_MAX_WRAPPED || b->ntokens > MC_MAX_TOKENS) return MC_ETOOBIG;
    if (!mc_chain_category_field_ok(b->category) || b->sensitivity > MC_SENS_VERY_RESTRICTED ||
        !mc_chain_flag_ok(b->has_supersedes))
        return MC_EINVAL;
    /* sets: one order, no duplicates, so one encoding */
    if (!mc_chain_sorted(b->keys, b->nkeys, sizeof b->keys[0], sizeof b->keys[0].recipient) ||
        !mc_chain_sorted(b->tokens, b->ntokens, sizeof b->tokens[0], sizeof b->tokens[0]))
        return MC_EINVAL;
    return MC_OK;
}

int mc_body_anchor_encode(mc_buf *out, const mc_body_anchor *b)
{
    int rc = mc_anchor_check(b);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, b->record.b, 32);
    mc_enc_fixed(&e, b->patient.b, 32);
    mc_enc_fixed(&e, b->custodian.b, 32);
    mc_enc_str(&e, b->category, MC_MAX_CATEGORY);
    mc_enc_u8(&e, b->sensitivity);
    mc_enc_fixed(&e, b->cipher_hash.b, 32);
    mc_enc_fixed(&e, b->commitment.b, 32);
    mc_enc_u64(&e, b->size);
    mc_enc_u32(&e, b->nkeys);
    for (uint32_t i = 0; i < b->nkeys; i++) {
        mc_enc_fixed(&e, b->keys[i].recipient.b, 32);
        mc_enc_fixed(&e, b->keys[i].sealed, MC_SEALED_KEY_BYTES);
    }
    mc_enc_u32(&e, b->ntokens);
    for (uint32_t i = 0; i < b->ntokens; i++) mc_enc_fixed(&e, b->tokens[i].b, 32);
    mc_enc_bool(&e, b->has_supersedes);
    if (b->has_supersedes) mc_enc_fixed(&e, b->supersedes.b, 32);
    return mc_enc_done(&e);
}

int mc_body_anchor_decode(mc_body_anchor *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_dec_fixed(&d, b->record.b, 32);
    mc_dec_fixed(&d, b->patient.b, 32);
    mc_dec_fixed(&d, b->custodian.b, 32);
    mc_dec_str(&d, b->category, sizeof b->category);
    b->sensitivity = mc_dec_u8(&d);
    mc_dec_fixed(&d, b->cipher_hash.b, 32);
    mc_dec_fixed(&d, b->commitment.b, 32);
    b->size = mc_dec_u64(&d);
    b->nkeys = mc_dec_count(&d, MC_MAX_WRAPPED);
    for (uint32_t i = 0; i < b->nkeys && !d.err; i++) {
        mc_dec_fixed(&d, b->keys[i].recipient.b, 32);
        mc_dec_fixed(&d, b->keys[i].sealed, MC_SEALED_KEY_BYTES);
    }
    b->ntokens = mc_dec_count(&d, MC_MAX_TOKENS);
    for (uint32_t i = 0; i < b->ntokens && !d.err; i++) mc_dec_fixed(&d, b->tokens[i].b, 32);
    b->has_supersedes = mc_dec_bool(&d);
    if (b->has_supersedes) mc_dec_fixed(&d, b->supersedes.b, 32);
    return mc_chain_dec_end(&d, b, sizeof *b, mc_anchor_check(b));
}

static int mc_record_check(const mc_record *r)
{
    if (!mc_chain_category_field_ok(r->category) || r->sensitivity > MC_SENS_VERY_RESTRICTED ||
        !mc_chain_flag_ok(r->has_supersedes) || !mc_chain_flag_ok(r->has_superseded_by))
        return MC_EINVAL;
    return MC_OK;
}

int mc_record_encode(mc_buf *out, const mc_record *r)
{
    int rc = mc_record_check(r);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, r->id.b, 32);
    mc_enc_fixed(&e, r->anchor_tx.b, 32);
    mc_enc_fixed(&e, r->patient.b, 32);
    mc_enc_fixed(&e, r->custodian.b, 32);
    mc_enc_fixed(&e, r->author.b, 32);
    mc_enc_fixed(&e, r->author_org.b, 32);
    mc_enc_str(&e, r->category, MC_MAX_CATEGORY);
    mc_enc_u8(&e, r->sensitivity);
    mc_enc_fixed(&e, r->cipher_hash.b, 32);
    mc_enc_fixed(&e, r->commitment.b, 32);
    mc_enc_u64(&e, r->size);
    mc_enc_fixed(&e, r->root.b, 32);
    mc_enc_bool(&e, r->has_supersedes);
    if (r->has_supersedes) mc_enc_fixed(&e, r->supersedes.b, 32);
    mc_enc_bool(&e, r->has_superseded_by);
    if (r->has_superseded_by) mc_enc_fixed(&e, r->superseded_by.b, 32);
    mc_enc_u64(&e, r->height);
    mc_enc_u64(&e, r->time_ms);
    mc_enc_fixed(&e, r->custodian_key, MC_SEALED_KEY_BYTES);
    return mc_enc_done(&e);
}

int mc_record_decode(mc_record *r, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(r, 0, sizeof *r);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, r->id.b, 32);
    mc_dec_fixed(&d, r->anchor_tx.b, 32);
    mc_dec_fixed(&d, r->patient.b, 32);
    mc_dec_fixed(&d, r->custodian.b, 32);
    mc_dec_fixed(&d, r->author.b, 32);
    mc_dec_fixed(&d, r->author_org.b, 32);
    mc_dec_str(&d, r->category, sizeof r->category);
    r->sensitivity = mc_dec_u8(&d);
    mc_dec_fixed(&d, r->cipher_hash.b, 32);
    mc_dec_fixed(&d, r->commitment.b, 32);
    r->size = mc_dec_u64(&d);
    mc_dec_fixed(&d, r->root.b, 32);
    r->has_supersedes = mc_dec_bool(&d);
    if (r->has_supersedes) mc_dec_fixed(&d, r->supersedes.b, 32);
    r->has_superseded_by = mc_dec_bool(&d);
    if (r->has_superseded_by) mc_dec_fixed(&d, r->superseded_by.b, 32);
    r->height = mc_dec_u64(&d);
    r->time_ms = mc_dec_u64(&d);
    mc_dec_fixed(&d, r->custodian_key, MC_SEALED_KEY_BYTES);
    return mc_chain_dec_end(&d, r, sizeof *r, mc_record_check(r));
}
