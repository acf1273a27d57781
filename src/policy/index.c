/*
 * The in-memory policy index: storage (pools, tables, interned side values) and put_*.
 *
 * Selectors, category lists, record-id lists, categories and amendment roots are interned: the
 * thousand grants a hospital's patients give to "dept=cardiology,role=physician" share one
 * copy. Everything is freed only by mc_policy_index_free.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "index_internal.h"
#include "medchain/crypto.h"

#define MC_PIX_MIN_SLOTS  1024u
#define MC_PIX_MAX_ITEMS  (UINT32_MAX - 1)  /* entries per pool, rules per patient, ... */
#define MC_PIX_HUGE       ((size_t)2 << 20) /* a huge page */
#define MC_PIX_CHUNK_SIZE MC_PIX_HUGE       /* bytes per pool chunk, about */

enum { MC_BLOB_ATTRS = 1, MC_BLOB_CATEGORY, MC_BLOB_CATS, MC_BLOB_RECORDS, MC_BLOB_ROOT };

_Static_assert(sizeof(mc_pix_record) == 64, "a record is one cache line");
_Static_assert(sizeof(mc_pix_rule) == 64, "a rule is one cache line");
_Static_assert(sizeof(mc_pix_ident) == 64, "an identity is one cache line");
_Static_assert(offsetof(mc_pix_patient, rules) == 64, "a patient's header is one cache line");
_Static_assert(sizeof(mc_pix_patient) == 1024, "patients fill huge-page chunks exactly");

static uint64_t mc_load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t mc_pix_hash(const mc_policy_index *ix, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = ix->seed ^ (n * 0x9e3779b97f4a7c15ull);
    for (; n >= 8; n -= 8, b += 8) {
        h = (h ^ mc_load64(b)) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    uint64_t tail = 0;
    memcpy(&tail, b, n);
    h = (h ^ tail) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

/* @p n bytes, not zeroed; a big block is aligned to and advised into huge pages. */
static void *mc_pix_alloc(size_t n)
{
    if (n < MC_PIX_HUGE / 2) return malloc(n);
    size_t round = (n + MC_PIX_HUGE - 1) & ~(MC_PIX_HUGE - 1);
    void *p = aligned_alloc(MC_PIX_HUGE, round);
    if (p) (void)madvise(p, round, MADV_HUGEPAGE); /* a hint: without it, only slower */
    return p;
}

/* ---- pools -------------------------------------------------------------------------------- */

static void mc_pool_init(mc_pix_pool *p, size_t size)
{
    memset(p, 0, sizeof *p);
    p->size = size;
    while (((size_t)2 << p->shift) * size <= MC_PIX_CHUNK_SIZE) p->shift++;
}

static void mc_pool_free(mc_pix_pool *p)
{
    for (uint32_t i = 0; i < p->nchunks; i++) free(p->chunks[i]);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

/* A new zeroed entry at the end. @return MC_OK, MC_ENOMEM. */
static int mc_pool_add(mc_pix_pool *p, uint32_t *idx)
{
    if (p->n >= MC_PIX_MAX_ITEMS) return MC_ENOMEM;
    uint32_t chunk = p->n >> p->shift;
    if (chunk == p->nchunks) {
        if (p->nchunks == p->capchunks) {
            uint32_t cap = p->capchunks ? p->capchunks * 2 : 16;
            uint8_t **c = realloc(p->chunks, (size_t)cap * sizeof *c);
            if (!c) return MC_ENOMEM;
            p->chunks = c;
            p->capchunks = cap;
        }
        p->chunks[chunk] = mc_pix_alloc(((size_t)1 << p->shift) * p->size); /* zeroed entry by entry */
        if (!p->chunks[chunk]) return MC_ENOMEM;
        p->nchunks++;
    }
    *idx = p->n++;
    memset(mc_pix_at(p, *idx), 0, p->size);
    return MC_OK;
}

/* ---- tables ------------------------------------------------------------------------------- */

/* Growing rehashes from the slots alone: a slot's home is its tag's low bits. */
static void mc_table_place(uint64_t *slots, uint32_t mask, uint64_t s)
{
    uint32_t i = (uint32_t)(s >> 32) & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = s;
}

/* A zeroed table of @p n entries of @p size bytes. */
static void *mc_table_alloc(size_t n, size_t size)
{
    void *p = mc_pix_alloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

static int mc_table_init(mc_pix_table *t)
{
    t->slots = mc_table_alloc(MC_PIX_MIN_SLOTS, sizeof *t->slots);
    t->mask = MC_PIX_MIN_SLOTS - 1;
    t->n = 0;
    return t->slots ? MC_OK : MC_ENOMEM;
}

/* Adds entry @p idx with hash @p h (the caller knows it is absent). @return MC_OK, MC_ENOMEM. */
static int mc_table_add(mc_pix_table *t, uint64_t h, uint32_t idx)
{
    uint64_t cap = (uint64_t)t->mask + 1;
    if ((uint64_t)(t->n + 1) * 2 > cap) {
        uint64_t ncap = cap * 2;
        if (ncap > (1ull << 32)) return MC_ENOMEM;
        uint64_t *s = mc_table_alloc(ncap, sizeof *s);
        if (!s) return MC_ENOMEM;
        for (uint64_t i = 0; i < cap; i++)
            if (t->slots[i]) mc_table_place(s, (uint32_t)(ncap - 1), t->slots[i]);
        free(t->slots);
        t->slots = s;
        t->mask = (uint32_t)(ncap - 1);
    }
    mc_table_place(t->slots, t->mask, (h & 0xffffffff00000000ull) | ((uint64_t)idx + 1));
    t->n++;
    return MC_OK;
}

/* The entry keyed @p key (32 bytes) in @p pool, created zeroed with that key if absent. */
static int mc_get_or_add(mc_policy_index *ix, mc_pix_table *t, mc_pix_pool *pool, const void *key,
                         uint32_t *idx)
{
    *idx = mc_pix_find(ix, t, pool, key);
    if (*idx != MC_PIX_NONE) return MC_OK;
    int rc = mc_pool_add(pool, idx);
    if (rc) return rc;
    memcpy(mc_pix_at(pool, *idx), key, 32);
    rc = mc_table_add(t, mc_pix_hash32(ix, key), *idx);
    if (rc) pool->n--; /* the entry was the last one: take it back */
    return rc;
}

/* Inline tables (identities, records): an entry is its key, the rest, and a used byte. */
static void mc_itab_place(const mc_policy_index *ix, uint8_t *b, uint32_t mask, size_t size, size_t used,
                          const uint8_t *e)
{
    uint32_t i = (uint32_t)(mc_pix_hash32(ix, e) >> 32) & mask;
    while (b[(size_t)i * size + used]) i = (i + 1) & mask;
    memcpy(b + (size_t)i * size, e, size);
}

static int mc_itab_init(mc_pix_itab *t, size_t size)
{
    t->b = mc_table_alloc(MC_PIX_MIN_SLOTS, size);
    t->mask = MC_PIX_MIN_SLOTS - 1;
    t->n = 0;
    return t->b ? MC_OK : MC_ENOMEM;
}

/* The entry of @p key, added (zeroed but for its key and used byte) if absent. Adding may move
 * every entry: pointers into the table last until the next add. */
static int mc_itab_get_or_add(mc_policy_index *ix, mc_pix_itab *t, size_t size, size_t used, const void *key,
                              void **out)
{
    *out = mc_pix_ifind(ix, t, size, used, key);
    if (*out) return MC_OK;
    uint64_t cap = (uint64_t)t->mask + 1;
    if ((uint64_t)(t->n + 1) * 2 > cap) {
        if (cap * 2 > (1ull << 32)) return MC_ENOMEM;
        uint8_t *b = mc_table_alloc(cap * 2, size);
        if (!b) return MC_ENOMEM;
        for (uint64_t i = 0; i < cap; i++)
            if (t->b[i * size + used])
                mc_itab_place(ix, b, (uint32_t)(cap * 2 - 1), size, used, t->b + i * size);
        free(t->b);
        t->b = b;
        t->mask = (uint32_t)(cap * 2 - 1);
    }
    uint8_t e[sizeof(mc_pix_record)] = {0};
    memcpy(e, key, 32);
    e[used] = 1;
    mc_itab_place(ix, t->b, t->mask, size, used, e);
    t->n++;
    *out = mc_pix_ifind(ix, t, size, used, key);
    return MC_OK;
}

/* ---- interned side values ----------------------------------------------------------------- */

/*
 * The one shared copy of @p n bytes of kind @p kind, allocated as @p size >= n bytes (the rest
 * zero). @return MC_OK, MC_ENOMEM.
 */
static int mc_intern(mc_policy_index *ix, uint32_t kind, const void *p, size_t n, size_t size,
                     const void **out)
{
    uint64_t h = mc_pix_hash(ix, p, n) ^ kind;
    uint32_t tag = (uint32_t)(h >> 32);
    const mc_pix_table *t = &ix->tblobs;
    for (uint32_t i = tag & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        if ((uint32_t)(t->slots[i] >> 32) != tag) continue;
        const mc_pix_blob *b = mc_pix_at(&ix->blobs, (uint32_t)t->slots[i] - 1);
        if (b->kind == kind && b->n == n && memcmp(b->p, p, n) == 0) {
            *out = b->p;
            return MC_OK;
        }
    }
    uint32_t idx;
    void *copy = calloc(1, size);
    if (!copy) return MC_ENOMEM;
    memcpy(copy, p, n);
    int rc = mc_pool_add(&ix->blobs, &idx);
    if (!rc) {
        mc_pix_blob *b = mc_pix_at(&ix->blobs, idx);
        *b = (mc_pix_blob){h, kind, (uint32_t)n, copy};
        rc = mc_table_add(&ix->tblobs, h, idx);
        if (rc) ix->blobs.n--;
    }
    if (rc) {
        free(copy);
        return rc;
    }
    *out = copy;
    return MC_OK;
}

static void mc_copy_str(char *dst, const char *src, size_t cap)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Attributes in canonical form (unused bytes zero), interned as a whole mc_attrs. */
static int mc_intern_attrs(mc_policy_index *ix, const mc_attrs *a, const mc_attrs **out)
{
    mc_attrs c;
    memset(&c, 0, sizeof c);
    c.n = a->n <= MC_MAX_ATTRS ? a->n : MC_MAX_ATTRS;
    for (uint32_t i = 0; i < c.n; i++) {
        mc_copy_str(c.a[i].key, a->a[i].key, sizeof c.a[i].key);
        mc_copy_str(c.a[i].val, a->a[i].val, sizeof c.a[i].val);
    }
    const void *p;
    int rc = mc_intern(ix, MC_BLOB_ATTRS, &c, offsetof(mc_attrs, a) + c.n * sizeof c.a[0], sizeof c, &p);
    *out = rc ? NULL : p;
    return rc;
}

/* A rule's scope list, interned. */
static int mc_intern_items(mc_policy_index *ix, const mc_body_consent *b, mc_pix_rule *r)
{
    if (b->scope_kind == MC_SCOPE_CATEGORIES) {
        char cats[MC_MAX_SCOPE_CATS][MC_MAX_CATEGORY + 1];
        memset(cats, 0, sizeof cats);
        r->nitems = (uint8_t)(b->ncats <= MC_MAX_SCOPE_CATS ? b->ncats : MC_MAX_SCOPE_CATS);
        for (uint32_t i = 0; i < r->nitems; i++) mc_copy_str(cats[i], b->cats[i], sizeof cats[i]);
        size_t n = r->nitems * sizeof cats[0];
        return mc_intern(ix, MC_BLOB_CATS, cats, n, n ? n : 1, &r->items);
    }
    if (b->scope_kind == MC_SCOPE_RECORDS) {
        r->nitems = (uint8_t)(b->nrecords <= MC_MAX_SCOPE_RECORDS ? b->nrecords : MC_MAX_SCOPE_RECORDS);
        size_t n = r->nitems * sizeof b->records[0];
        return mc_intern(ix, MC_BLOB_RECORDS, b->records, n, n ? n : 1, &r->items);
    }
    return MC_OK;
}

/* ---- the index ---------------------------------------------------------------------------- */

int mc_policy_index_new(mc_policy_index **pp)
{
    if (!pp) return MC_EINVAL;
    *pp = NULL;
    mc_policy_index *ix = calloc(1, sizeof *ix);
    if (!ix) return MC_ENOMEM;
    mc_random(&ix->seed, sizeof ix->seed);
    mc_random(&ix->serial, sizeof ix->serial);
    mc_pool_init(&ix->orgs, sizeof(mc_pix_org));
    mc_pool_init(&ix->patients, sizeof(mc_pix_patient));
    mc_pool_init(&ix->consents, sizeof(mc_pix_consent));
    mc_pool_init(&ix->blobs, sizeof(mc_pix_blob));
    mc_pix_table *tables[] = {&ix->torgs, &ix->tpatients, &ix->tconsents, &ix->tblobs};
    int rc = mc_itab_init(&ix->idents, sizeof(mc_pix_ident));
    if (!rc) rc = mc_itab_init(&ix->records, sizeof(mc_pix_record));
    for (size_t i = 0; i < MC_ARRAY_LEN(tables) && !rc; i++) rc = mc_table_init(tables[i]);
    mc_attrs none;
    memset(&none, 0, sizeof none);
    if (!rc) rc = mc_intern_attrs(ix, &none, &ix->no_attrs);
    if (rc) {
        mc_policy_index_free(ix);
        return rc;
    }
    *pp = ix;
    return MC_OK;
}

void mc_policy_index_free(mc_policy_index *ix)
{
    if (!ix) return;
    for (uint32_t i = 0; i < ix->patients.n; i++) {
        mc_pix_patient *p = mc_pix_at(&ix->patients, i);
        free(p->over);
        if (p->extra) {
            free(p->extra->delegates);
            free(p->extra->emergencies);
            free(p->extra);
        }
    }
    for (uint32_t i = 0; i < ix->blobs.n; i++) free(((mc_pix_blob *)mc_pix_at(&ix->blobs, i))->p);
    mc_pix_pool *pools[] = {&ix->orgs, &ix->patients, &ix->consents, &ix->blobs};
    mc_pix_table *tables[] = {&ix->torgs, &ix->tpatients, &ix->tconsents, &ix->tblobs};
    for (size_t i = 0; i < MC_ARRAY_LEN(pools); i++) {
        mc_pool_free(pools[i]);
        free(tables[i]->slots);
    }
    free(ix->idents.b);
    free(ix->records.b);
    free(ix);
}

/* Makes room for one more element in a vector of @p size-byte elements. */
static int mc_vec_reserve(void **v, uint32_t n, uint32_t *cap, size_t size)
{
    if (n < *cap) return MC_OK;
    if (n >= MC_PIX_MAX_ITEMS) return MC_ENOMEM;
    uint32_t ncap = *cap ? (*cap > MC_PIX_MAX_ITEMS / 2 ? MC_PIX_MAX_ITEMS : *cap * 2) : 4;
    void *p = realloc(*v, (size_t)ncap * size);
    if (!p) return MC_ENOMEM;
    *v = p;
    *cap = ncap;
    return MC_OK;
}

static int mc_patient(mc_policy_index *ix, const mc_id *id, uint32_t *idx, mc_pix_patient **out)
{
    int rc = mc_get_or_add(ix, &ix->tpatients, &ix->patients, id, idx);
    *out = rc ? NULL : mc_pix_at(&ix->patients, *idx);
    return rc;
}

/* A patient's delegates and break-glass, made on first use. */
static int mc_patient_extra(mc_policy_index *ix, const mc_id *id, mc_pix_extra **out)
{
    uint32_t pi;
    mc_pix_patient *p;
    int rc = mc_patient(ix, id, &pi, &p);
    if (rc) return rc;
    if (!p->extra && !(p->extra = calloc(1, sizeof *p->extra))) return MC_ENOMEM;
    *out = p->extra;
    return MC_OK;
}

/* The org entry of @p id, made (from the identity, if it was put) on first use. */
static int mc_org(mc_policy_index *ix, const mc_id *id, uint32_t *idx)
{
    int rc = mc_get_or_add(ix, &ix->torgs, &ix->orgs, id, idx);
    if (rc || ((mc_pix_org *)mc_pix_at(&ix->orgs, *idx))->present) return rc;
    const mc_pix_ident *d = mc_pix_find_ident(ix, id);
    mc_pix_org *o = mc_pix_at(&ix->orgs, *idx);
    o->present = d != NULL;
    o->active = d && d->active;
    return MC_OK;
}

int mc_policy_index_put_identity(mc_policy_index *ix, const mc_identity *idn)
{
    if (!ix || !idn) return MC_EINVAL;
    const mc_attrs *attrs;
    void *e;
    uint32_t org;
    int rc = mc_intern_attrs(ix, &idn->attrs, &attrs);
    if (!rc)
        rc = mc_itab_get_or_add(ix, &ix->idents, sizeof(mc_pix_ident), offsetof(mc_pix_ident, used), &idn->id,
                                &e);
    if (rc) return rc;
    mc_pix_ident *d = e;
    d->kind = idn->kind;
    d->active = idn->status == MC_ID_ACTIVE;
    d->attrs = attrs;
    /* its org (perhaps itself, perhaps not put yet); then its own org entry, if it has one */
    if ((rc = mc_org(ix, &idn->org, &org))) return rc;
    d->org = org;
    uint32_t self = mc_pix_find(ix, &ix->torgs, &ix->orgs, &idn->id);
    if (self != MC_PIX_NONE) {
        mc_pix_org *o = mc_pix_at(&ix->orgs, self);
        o->present = 1;
        o->active = d->active;
    }
    return MC_OK;
}

int mc_policy_index_put_record(mc_policy_index *ix, const mc_record *rec)
{
    if (!ix || !rec) return MC_EINVAL;
    char cat[MC_MAX_CATEGORY + 1];
    mc_copy_str(cat, rec->category, sizeof cat);
    const void *category, *root = NULL;
    uint32_t pi, org;
    mc_pix_patient *p;
    void *e;
    int rc = mc_intern(ix, MC_BLOB_CATEGORY, cat, strlen(cat) + 1, strlen(cat) + 1, &category);
    if (!rc && memcmp(rec->root.b, rec->id.b, 32) != 0)
        rc = mc_intern(ix, MC_BLOB_ROOT, rec->root.b, 32, 32, &root);
    if (!rc) rc = mc_patient(ix, &rec->patient, &pi, &p);
    if (!rc) rc = mc_org(ix, &rec->author_org, &org);
    if (!rc)
        rc = mc_itab_get_or_add(ix, &ix->records, sizeof(mc_pix_record), offsetof(mc_pix_record, used),
                                &rec->id, &e);
    if (rc) return rc;
    mc_pix_record *r = e;
    r->pidx = pi;
    r->author_org = org;
    r->category = category;
    r->root = root;
    return MC_OK;
}

int mc_policy_index_put_consent(mc_policy_index *ix, const mc_consent *c)
{
    if (!ix || !c) return MC_EINVAL;
    const mc_body_consent *b = &c->body;
    uint8_t gk = b->grantee_kind <= MC_GRANTEE_SELECTOR ? b->grantee_kind : 0;
    uint8_t sk = b->scope_kind <= MC_SCOPE_RECORDS ? b->scope_kind : 0;
    mc_pix_rule r = {.not_before = b->not_before,
                     .not_after = b->not_after,
                     .purposes = (uint8_t)(b->purposes & MC_PURPOSE_ALL_),
                     .actions = (uint8_t)(b->actions & MC_ACTION_ALL_),
                     .flags = (uint8_t)((c->deny ? MC_PIX_DENY : 0) |
                                        (c->status != MC_CONSENT_ACTIVE ? MC_PIX_REVOKED : 0) |
                                        gk << MC_PIX_GK_SHIFT | sk << MC_PIX_SK_SHIFT)};
    int rc = mc_intern_items(ix, b, &r);
    if (rc) return rc;
    if (gk == MC_GRANTEE_SELECTOR) {
        rc = mc_org(ix, &b->grantee, &r.u.sel.org);
        if (!rc) rc = mc_intern_attrs(ix, &b->selector, &r.u.sel.selector);
        if (rc) return rc;
    } else {
        r.u.grantee = b->grantee;
    }
    uint32_t ce = mc_pix_find(ix, &ix->tconsents, &ix->consents, &c->id);
    if (ce != MC_PIX_NONE) { /* put again (revoked): in place, under the patient it was put for */
        const mc_pix_consent *pc = mc_pix_at(&ix->consents, ce);
        mc_pix_patient *p = mc_pix_at(&ix->patients, pc->patient);
        if (memcmp(p->id.b, b->patient.b, 32) != 0) return MC_EINVAL; /* an id names one consent */
        *mc_pix_rule_at(p, pc->pos) = r;
        return MC_OK;
    }
    uint32_t pi;
    mc_pix_patient *p;
    if ((rc = mc_patient(ix, &b->patient, &pi, &p))) return rc;
    if (p->nrules >= MC_PIX_MAX_ITEMS) return MC_ENOMEM;
    if (p->nrules >= MC_PIX_INLINE_RULES &&
        (rc = mc_vec_reserve((void **)&p->over, p->nrules - MC_PIX_INLINE_RULES, &p->capover,
                             sizeof *p->over)))
        return rc;
    if ((rc = mc_get_or_add(ix, &ix->tconsents, &ix->consents, &c->id, &ce))) return rc;
    mc_pix_consent *pc = mc_pix_at(&ix->consents, ce);
    pc->patient = pi;
    pc->pos = p->nrules;
    *mc_pix_rule_id(p, p->nrules) = c->id;
    *mc_pix_rule_at(p, p->nrules++) = r;
    return MC_OK;
}

int mc_policy_index_put_delegate(mc_policy_index *ix, const mc_id *patient, const mc_id *delegate, int active)
{
    if (!ix || !patient || !delegate) return MC_EINVAL;
    mc_pix_extra *x;
    int rc = mc_patient_extra(ix, patient, &x);
    if (rc) return rc;
    for (uint32_t i = 0; i < x->ndelegates; i++) {
        if (memcmp(x->delegates[i].who.b, delegate->b, 32) == 0) {
            x->delegates[i].active = active != 0;
            return MC_OK;
        }
    }
    if ((rc = mc_vec_reserve((void **)&x->delegates, x->ndelegates, &x->capdelegates, sizeof *x->delegates)))
        return rc;
    x->delegates[x->ndelegates++] = (mc_pix_delegate){*delegate, active != 0};
    return MC_OK;
}

int mc_policy_index_put_emergency(mc_policy_index *ix, const mc_emergency *e)
{
    if (!ix || !e) return MC_EINVAL;
    mc_pix_extra *x;
    int rc = mc_patient_extra(ix, &e->patient, &x);
    if (rc) return rc;
    mc_pix_emergency em = {e->id, e->provider, e->start_ms, e->end_ms};
    for (uint32_t i = 0; i < x->nemergencies; i++) {
        if (memcmp(x->emergencies[i].id.b, e->id.b, 32) == 0) {
            x->emergencies[i] = em;
            return MC_OK;
        }
    }
    rc = mc_vec_reserve((void **)&x->emergencies, x->nemergencies, &x->capemergencies, sizeof em);
    if (rc) return rc;
    x->emergencies[x->nemergencies++] = em;
    return MC_OK;
}
