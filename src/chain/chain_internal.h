/* Internal to the chain module: checks and codec pieces that several encodings share. */
#ifndef MEDCHAIN_CHAIN_INTERNAL_H
#define MEDCHAIN_CHAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "medchain/chain.h"
#include "medchain/codec.h"

/* A machine name (attribute key, record category): 1..@p max bytes of [a-z0-9_.-]. */
int mc_chain_key_ok(const char *k, size_t n, size_t max);

/* A category held in a char array of MC_MAX_CATEGORY + 1 (maybe not NUL-terminated: refused). */
static inline int mc_chain_category_field_ok(const char *s)
{
    return mc_category_ok(s, strnlen(s, MC_MAX_CATEGORY + 1));
}

/* An attribute value: at most MC_MAX_ATTR_VAL bytes, no control bytes, no ','. */
int mc_chain_attr_val_ok(const char *v, size_t n);

/*
 * An attribute list: u32 count, then key and value of each. The encoder fails with MC_ETOOBIG
 * on a count over MC_MAX_ATTRS; the decoder also refuses keys that are invalid or not strictly
 * increasing, and invalid values (MC_EINVAL).
 */
void mc_attrs_enc(mc_enc *e, const mc_attrs *a);
void mc_attrs_dec(mc_dec *d, mc_attrs *a);
/* 1 if @p a is what mc_attrs_dec accepts: within the cap, valid, keys strictly increasing. */
int mc_chain_attrs_ok(const mc_attrs *a);

/*
 * An org's display name and type (genesis members, org.propose): both non-empty, NUL-terminated
 * within MC_MAX_ATTR_VAL bytes and valid attribute values, since they become the org identity's
 * attributes.
 */
int mc_chain_org_names_ok(const char *name, const char *type);

/*
 * 1 if the @p n items of @p stride bytes at @p base have their first @p nkey bytes strictly
 * increasing (memcmp order): the canonical order of a set of ids, hashes or (id, id) pairs.
 */
static inline int mc_chain_sorted(const void *base, uint32_t n, size_t stride, size_t nkey)
{
    const uint8_t *p = base;
    for (uint32_t i = 1; i < n; i++)
        if (memcmp(p + (i - 1) * stride, p + i * stride, nkey) >= 0) return 0;
    return 1;
}

/*
 * The end of a decoder: the decoder's first error, else trailing bytes, else @p check (the
 * value's rules, computed on what was read: counts are capped even after a failure); on any
 * error the value (@p n bytes at @p v) is zeroed.
 */
static inline int mc_chain_dec_end(const mc_dec *d, void *v, size_t n, int check)
{
    int rc = mc_dec_done(d);
    if (!rc) rc = check;
    if (rc) memset(v, 0, n);
    return rc;
}

/* A body that is one transaction id (consent.revoke, org.approve): exactly its 32 bytes. */
static inline int mc_chain_txref_encode(mc_buf *out, const mc_hash *h)
{
    return mc_buf_append(out, h->b, sizeof h->b);
}

static inline int mc_chain_txref_decode(mc_hash *h, const uint8_t *p, size_t n)
{
    if (!p || n != sizeof h->b) {
        memset(h, 0, sizeof *h);
        return MC_EINVAL;
    }
    memcpy(h->b, p, sizeof h->b);
    return MC_OK;
}

/* 1 if @p v is 0 or 1: every flag on the wire is a boolean byte. */
static inline int mc_chain_flag_ok(int v)
{
    return v == 0 || v == 1;
}

/* Categories held in char arrays: each valid, strictly increasing (a set of names). */
int mc_chain_cats_ok(const char (*cats)[MC_MAX_CATEGORY + 1], uint32_t n);

/*
 * A logged decision as access.log, access.reads and the state hold it: one known purpose, one
 * known action, and a known reason on the side of the decision (below MC_RSN_DENY_ permits).
 */
int mc_chain_decision_ok(uint32_t purpose, uint8_t action, uint8_t permit, uint16_t reason, int has_basis);

/* A reader's signed request as the logs carry it: reader 32 | time u64 | nonce 16 | signature 64. */
void mc_chain_req_enc(mc_enc *e, const mc_id *reader, uint64_t time_ms, const uint8_t *nonce,
                      const mc_sig *sig);
void mc_chain_req_dec(mc_dec *d, mc_id *reader, uint64_t *time_ms, uint8_t *nonce, mc_sig *sig);

/* A decision as the logs and the state carry it: permit u8 | reason u16 | has_basis u8 | [basis 32]. */
void mc_chain_decision_enc(mc_enc *e, uint8_t permit, uint16_t reason, int has_basis, const mc_hash *basis);
void mc_chain_decision_dec(mc_dec *d, uint8_t *permit, uint16_t *reason, int *has_basis, mc_hash *basis);

/* A validator set's keys: 1..MC_MAX_VALIDATORS, none twice. @return MC_OK, MC_EINVAL, MC_ETOOBIG. */
int mc_valset_check(const mc_valset *v);

#endif
