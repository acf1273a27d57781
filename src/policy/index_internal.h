/*
 * The in-memory policy index (index.c: storage and put_*; index_view.c: the view; index_load.c:
 * loading from the state).
 *
 * Entries live in pools of fixed-size chunks that never move, so an entry's address and index
 * are stable for the index's life; open-addressing tables map an id to an entry index. Nothing
 * is ever deleted: a revocation or a removed delegate is a status, as in the state. A decision
 * costs three table look-ups (record, requester, patient; the org is a stored index) and a scan
 * of the patient's compact rules, and allocates nothing.
 */
#ifndef MEDCHAIN_POLICY_INDEX_INTERNAL_H
#define MEDCHAIN_POLICY_INDEX_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "policy_internal.h"

#define MC_PIX_NONE        UINT32_MAX
#define MC_PIX_CHUNK_SHIFT 12u /* entries per chunk: 4096 */

typedef struct {
    uint8_t **chunks;
    uint32_t nchunks, capchunks;
    uint32_t n;  /* entries in use */
    size_t size; /* bytes per entry */
} mc_pix_pool;

/* An open-addressing table (linear probing, load <= 1/2, never empty of slots). A slot is 0
 * (empty) or a tag, the top 32 bits of the key's hash, above (entry index + 1): most probes
 * never touch an entry. A slot's home is its tag's low bits. */
typedef struct {
    uint64_t *slots;
    uint32_t mask;
    uint32_t n;
} mc_pix_table;

typedef struct {
    mc_id id;
    uint32_t org;    /* the entry of its org (which may be a placeholder) */
    uint8_t present; /* 0: a placeholder for an org named by a member before it was put */
    uint8_t kind;
    uint8_t active;
    const mc_attrs *attrs; /* interned */
} mc_pix_ident;

typedef struct {
    mc_hash id;
    mc_hash root;
    mc_id patient;
    mc_id author_org;
    const char *category; /* interned */
} mc_pix_record;

/* A grant or deny in compact form; the selector and the scope's lists are interned (shared). */
typedef struct {
    mc_hash id;
    mc_id grantee;
    uint64_t not_before;
    uint64_t not_after;
    uint32_t purposes;
    uint32_t nitems; /* categories or record ids */
    uint8_t deny, revoked, grantee_kind, scope_kind, actions;
    const mc_attrs *selector; /* never NULL */
    const void *items;        /* char[][MC_MAX_CATEGORY + 1] or mc_hash[] */
} mc_pix_rule;

typedef struct {
    mc_id who;
    uint8_t active;
} mc_pix_delegate;

typedef struct {
    mc_hash id;
    mc_id provider;
    uint64_t start_ms, end_ms;
} mc_pix_emergency;

typedef struct {
    mc_id id;
    uint32_t nrules, caprules;
    uint32_t ndelegates, capdelegates;
    uint32_t nemergencies, capemergencies;
    mc_pix_rule *rules;
    mc_pix_delegate *delegates;
    mc_pix_emergency *emergencies;
} mc_pix_patient;

/* Where a grant or deny is: its patient's entry and its position in that patient's rules. */
typedef struct {
    mc_hash id;
    uint32_t patient;
    uint32_t pos;
} mc_pix_consent;

/* An interned value: kind, bytes. */
typedef struct {
    uint64_t hash;
    uint32_t kind;
    uint32_t n;
    void *p;
} mc_pix_blob;

struct mc_policy_index {
    uint64_t seed; /* keys the hash: ids are chosen by their authors, so collisions must not be */
    mc_pix_pool idents, records, patients, consents, blobs;
    mc_pix_table tidents, trecords, tpatients, tconsents, tblobs;
    const mc_attrs *no_attrs;
};

static inline void *mc_pix_at(const mc_pix_pool *p, uint32_t i)
{
    return p->chunks[i >> MC_PIX_CHUNK_SHIFT] + (size_t)(i & ((1u << MC_PIX_CHUNK_SHIFT) - 1)) * p->size;
}

uint64_t mc_pix_hash(const mc_policy_index *ix, const void *p, size_t n);

/* The entry whose 32-byte key (its first member) is @p key, or MC_PIX_NONE. */
static inline uint32_t mc_pix_find(const mc_policy_index *ix, const mc_pix_table *t, const mc_pix_pool *pool,
                                   const void *key)
{
    uint64_t h = mc_pix_hash(ix, key, 32);
    uint32_t tag = (uint32_t)(h >> 32);
    for (uint32_t i = tag & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (!s) return MC_PIX_NONE;
        if ((uint32_t)(s >> 32) == tag) {
            uint32_t e = (uint32_t)s - 1;
            if (memcmp(mc_pix_at(pool, e), key, 32) == 0) return e;
        }
    }
}

#endif
