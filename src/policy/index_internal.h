/*
 * The in-memory policy index (index.c: storage and put_*; index_view.c: the view; index_load.c:
 * loading from the state).
 *
 * A decision must cost a few cache misses, and on a machine whose caches the index does not
 * fit in, each is a trip to memory. So the layout follows the decision's path:
 *
 *   record id    --records table, entries inline-->  the record (one line: it names its
 *                                                    patient's entry)
 *   patient entry = one header line + its first MC_PIX_INLINE_RULES rules, one line each
 *                   (prefetched as soon as the record is found)
 *   requester id --identities table, entries inline--> the identity (one line) --> its org
 *
 * a grant's grantee is inline in its rule (no look-up while matching), and the view
 * remembers, per thread, the patient of the record it returned last, so the delegate, consent
 * and break-glass calls that follow find it without a look-up.
 *
 * Pools hold entries in chunks that never move: their addresses and numbers are stable for the
 * index's life (records name patient entries and orgs, consents their patients, identities
 * their orgs). The inline tables move their entries when they grow: nothing points into them.
 * Nothing is ever deleted: a revocation or a removed delegate is a status, as in the state.
 * Big blocks ask the kernel for huge pages (fewer TLB misses on random look-ups).
 */
#ifndef MEDCHAIN_POLICY_INDEX_INTERNAL_H
#define MEDCHAIN_POLICY_INDEX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy_internal.h"

#define MC_PIX_NONE         UINT32_MAX
#define MC_PIX_INLINE_RULES 10u /* rules in a patient's entry; more go to its overflow vector */

typedef struct {
    uint8_t **chunks;
    uint32_t nchunks, capchunks;
    uint32_t n;     /* entries in use */
    uint32_t shift; /* entries per chunk: 1 << shift */
    size_t size;    /* bytes per entry */
} mc_pix_pool;

/* An open-addressing table over a pool (linear probing, load <= 1/2, never without slots). A
 * slot is 0 (empty) or a tag, the top 32 bits of the key's hash, above (entry number + 1): most
 * probes never touch an entry. A slot's home is its tag's low bits. */
typedef struct {
    uint64_t *slots;
    uint32_t mask;
    uint32_t n;
} mc_pix_table;

/* An open-addressing table holding its entries (linear probing, load <= 1/2). An entry starts
 * with its 32-byte key; a zero "used" byte marks an empty one. */
typedef struct {
    uint8_t *b;
    uint32_t mask;
    uint32_t n;
} mc_pix_itab;

/* An org as its members and records see it (an entry for every id named as an org). */
typedef struct {
    mc_id id;
    uint8_t present; /* put as an identity */
    uint8_t active;
} mc_pix_org;

/* An identity, inline in the identities table: one cache line. */
typedef struct {
    mc_id id;
    uint32_t org; /* its org's entry */
    uint8_t used, kind, active, pad;
    const mc_attrs *attrs; /* interned */
    uint64_t pad2[2];
} mc_pix_ident;

/* A record, inline in the records table: one cache line (its patient's id is in the patient's entry). */
typedef struct {
    mc_hash id;
    uint8_t used;
    uint8_t pad[3];
    uint32_t pidx;       /* its patient's entry */
    uint32_t author_org; /* the author org's entry */
    uint32_t pad2;
    const char *category; /* interned */
    const mc_hash *root;  /* interned; NULL: the record is its own root */
} mc_pix_record;

#define MC_PIX_DENY     0x01u
#define MC_PIX_REVOKED  0x02u
#define MC_PIX_GK_SHIFT 2 /* 2 bits: enum mc_grantee_kind, 0 if unknown */
#define MC_PIX_SK_SHIFT 4 /* 2 bits: enum mc_scope_kind, 0 if unknown */

/*
 * A grant or deny in compact form: one cache line, nothing to follow while matching but the
 * scope's list. A selector grantee names its org by entry (orgs are few, and every decision
 * reads two of them: they stay in cache), which leaves room for the selector. Purposes and
 * actions keep only the known bits: a request names one known bit of each.
 */
typedef struct {
    uint64_t not_before;
    uint64_t not_after;
    union {
        mc_id grantee; /* an identity or an org */
        struct {
            uint32_t org; /* its org's entry */
            uint32_t pad;
            const mc_attrs *selector; /* interned */
        } sel;
    } u;
    const void *items; /* interned char[][MC_MAX_CATEGORY + 1] or mc_hash[]; NULL for all */
    uint32_t pad;
    uint8_t purposes, actions, flags, nitems;
} mc_pix_rule;

/* A rule beyond a patient's inline ones, with its id. */
typedef struct {
    mc_pix_rule r;
    mc_hash id;
} mc_pix_over;

typedef struct {
    mc_id who;
    uint8_t active;
} mc_pix_delegate;

typedef struct {
    mc_hash id;
    mc_id provider;
    uint64_t start_ms, end_ms;
} mc_pix_emergency;

/* What few patients have: delegates, break-glass. */
typedef struct {
    uint32_t ndelegates, capdelegates;
    uint32_t nemergencies, capemergencies;
    mc_pix_delegate *delegates;
    mc_pix_emergency *emergencies;
} mc_pix_extra;

/* A patient: a header line, then its first rules, one line each, then their ids (read only
 * for the few rules a decision keeps as candidates). */
typedef struct {
    mc_id id;
    uint32_t nrules;
    uint32_t capover;
    mc_pix_over *over;   /* rules MC_PIX_INLINE_RULES.. */
    mc_pix_extra *extra; /* NULL if none */
    uint64_t pad;
    mc_pix_rule rules[MC_PIX_INLINE_RULES];
    mc_hash ids[MC_PIX_INLINE_RULES];
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
    uint64_t seed;   /* keys the hash: ids are chosen by their authors, so collisions must not be */
    uint64_t serial; /* tells this index from one freed before at the same address */
    mc_pix_pool orgs, patients, consents, blobs;
    mc_pix_table torgs, tpatients, tconsents, tblobs;
    mc_pix_itab idents, records;
    const mc_attrs *no_attrs;
};

static inline void *mc_pix_at(const mc_pix_pool *p, uint32_t i)
{
    return p->chunks[i >> p->shift] + (size_t)(i & ((1u << p->shift) - 1)) * p->size;
}

static inline mc_pix_rule *mc_pix_rule_at(mc_pix_patient *p, uint32_t i)
{
    return i < MC_PIX_INLINE_RULES ? &p->rules[i] : &p->over[i - MC_PIX_INLINE_RULES].r;
}

static inline mc_hash *mc_pix_rule_id(mc_pix_patient *p, uint32_t i)
{
    return i < MC_PIX_INLINE_RULES ? &p->ids[i] : &p->over[i - MC_PIX_INLINE_RULES].id;
}

uint64_t mc_pix_hash(const mc_policy_index *ix, const void *p, size_t n);

/* mc_pix_hash of a 32-byte key, inline: every look-up starts with one. */
static inline uint64_t mc_pix_hash32(const mc_policy_index *ix, const void *key)
{
    const uint8_t *b = key;
    uint64_t h = ix->seed ^ (32 * 0x9e3779b97f4a7c15ull);
    for (int i = 0; i < 4; i++) {
        uint64_t w;
        memcpy(&w, b + 8 * i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    h *= 0x94d049bb133111ebull; /* the empty tail */
    return h ^ (h >> 29);
}

/* The entry whose 32-byte key (its first member) is @p key, or MC_PIX_NONE. */
static inline uint32_t mc_pix_find(const mc_policy_index *ix, const mc_pix_table *t, const mc_pix_pool *pool,
                                   const void *key)
{
    uint32_t tag = (uint32_t)(mc_pix_hash32(ix, key) >> 32);
    for (uint32_t i = tag & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (!s) return MC_PIX_NONE;
        if ((uint32_t)(s >> 32) == tag) {
            uint32_t e = (uint32_t)s - 1;
            if (memcmp(mc_pix_at(pool, e), key, 32) == 0) return e;
        }
    }
}

/* The entry of @p key in an inline table of @p size-byte entries whose used byte is at @p used, or NULL. */
static inline void *mc_pix_ifind(const mc_policy_index *ix, const mc_pix_itab *t, size_t size, size_t used,
                                 const void *key)
{
    for (uint32_t i = (uint32_t)(mc_pix_hash32(ix, key) >> 32) & t->mask;; i = (i + 1) & t->mask) {
        uint8_t *e = t->b + (size_t)i * size;
        if (!e[used]) return NULL;
        if (memcmp(e, key, 32) == 0) return e;
    }
}

static inline mc_pix_ident *mc_pix_find_ident(const mc_policy_index *ix, const mc_id *id)
{
    return mc_pix_ifind(ix, &ix->idents, sizeof(mc_pix_ident), offsetof(mc_pix_ident, used), id);
}

static inline mc_pix_record *mc_pix_find_record(const mc_policy_index *ix, const mc_hash *id)
{
    return mc_pix_ifind(ix, &ix->records, sizeof(mc_pix_record), offsetof(mc_pix_record, used), id);
}

#endif
