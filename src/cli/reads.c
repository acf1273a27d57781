/*
 * The client's side of whole-chart reads (POST /v1/reads; docs/api.md "Reads").
 *
 * Records are asked for by id, at most MC_MAX_READS in one signed request. The node this
 * command talks to serves the records its org holds and names the custodian of the others; those
 * are asked of each custodian's own gatekeeper, whose URLs the chain holds (org.gatekeeper), so
 * that nobody needs to know which hospital holds what. A custodian's answer is never its own
 * witness: what it serves is checked against what this command's own node says the chain holds
 * for the record (size, SHA-256, commitment, patient; the own node sends them with each record it
 * names as held elsewhere, when it would let the caller read it), and only records asked of that
 * custodian are taken from it. Each record is then decrypted here with the data key its custodian
 * released to this caller (sealed to the caller's X25519 key, bound to the log of the read), or
 * else with a key wrapped for the caller on the anchor or in a grant. A refusal (429) is waited
 * out as the node's Retry-After says; a read that could not be logged (503) is asked again with a
 * new signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "medchain/codec.h"

#define MC_READS_TRIES 8u /* 429 and 503 answers waited out before giving up on a request */

/* A record held elsewhere, as the own node named it: its custodian and, when the own node would
 * let the caller read it, the chain's metadata to check the custodian's answer against. */
typedef struct {
    mc_hash rid;
    mc_id at;
    int has_meta;
    mc_read_item meta; /* patient, cipher_hash, commitment, size */
} mc_reads_later;

/* The reading of a set of ids. */
typedef struct {
    mc_cli_conn *c; /* keys, and the node that knows the chain */
    uint32_t purpose;
    mc_cli_read_fn fn;
    void *arg;
    mc_cli_read_counts *counts;
    mc_reads_later *later; /* held elsewhere, sorted by custodian then id once the own node answered */
    size_t nlater;
    /* the request being answered: the ids asked (sorted), whether each was answered, and for a
     * custodian's answer, the own node's word on each (NULL: the answer is the own node's) */
    const mc_hash *asked;
    size_t nasked;
    uint8_t *answered;
    const mc_reads_later *trusted;
} mc_reads_pass;

static int mc_reads_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void mc_reads_sleep(unsigned s)
{
    struct timespec ts = {.tv_sec = s ? s : 1, .tv_nsec = 0};
    nanosleep(&ts, NULL);
}

/* POSTs one read request, waiting out 429 and retrying 503. The answer is in @p resp. */
static int mc_reads_post(mc_http *h, const mc_buf *req, mc_buf *resp, const char *where)
{
    for (unsigned t = 0; t < MC_READS_TRIES; t++) {
        long st = 0;
        mc_http_set_content_type(h, "application/octet-stream");
        int rc = mc_http_request(h, "POST", MC_READS_TARGET, req->p, req->n, &st, resp);
        mc_http_set_content_type(h, "application/json");
        if (rc) return mc_cli_fail("reading records at %s: %s", where, mc_strerror(rc));
        if (st == 200) return 0;
        char after[16] = "1";
        if (st == 429 && mc_http_header(h, "Retry-After", after, sizeof after) != MC_OK)
            snprintf(after, sizeof after, "1");
        if (st == 429 || st == 503) {
            unsigned long s = strtoul(after, NULL, 10);
            mc_reads_sleep(st == 429 ? (unsigned)(s > 30 ? 30 : s) : 1);
            continue;
        }
        json_t *j = json_loadb((const char *)resp->p, resp->n, 0, NULL);
        rc = mc_cli_api_fail("read", st, j);
        json_decref(j);
        return rc;
    }
    return mc_cli_fail("reading records at %s: still refused after %u tries", where, MC_READS_TRIES);
}

/* The position of @p rid among the ids asked, or -1 (an answer for an id nobody asked about). */
static long mc_reads_asked(const mc_reads_pass *p, const mc_hash *rid)
{
    size_t lo = 0, hi = p->nasked;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(p->asked[mid].b, rid->b, 32);
        if (c == 0) return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The anchor to check a served item against: the own node's word (its own answer, or what it
 * said of a record held elsewhere). MC_EDENIED when there is none to check by, MC_ECORRUPT when
 * the custodian's answer is not the chain's. */
static int mc_reads_anchor(const mc_reads_pass *p, long at, const mc_read_item *it, mc_body_anchor *a)
{
    const mc_read_item *m = it;
    if (p->trusted) {
        if (!p->trusted[at].has_meta) return MC_EDENIED;
        m = &p->trusted[at].meta;
        if (memcmp(m->patient.b, it->patient.b, 32) || memcmp(m->cipher_hash.b, it->cipher_hash.b, 32) ||
            memcmp(m->commitment.b, it->commitment.b, 32) || m->size != it->size)
            return MC_ECORRUPT;
    }
    a->record = it->record;
    a->patient = m->patient;
    a->cipher_hash = m->cipher_hash;
    a->commitment = m->commitment;
    a->size = m->size;
    return MC_OK;
}

/* Decrypts one served item: with the released key, else a key wrapped for the caller. */
static int mc_reads_open(mc_reads_pass *p, long at, const mc_read_item *it, const mc_env_released_key *keys,
                         size_t nkeys, mc_buf *plain)
{
    mc_body_anchor *a = calloc(1, sizeof *a);
    if (!a) return MC_ENOMEM;
    int rc = mc_reads_anchor(p, at, it, a);
    if (rc) {
        free(a);
        return rc;
    }
    rc = MC_ECRYPTO;
    if (plain->p) mc_wipe(plain->p, plain->n);
    mc_buf_reset(plain);
    for (size_t k = 0; k < nkeys && rc == MC_ECRYPTO; k++)
        if (memcmp(keys[k].record.b, it->record.b, 32) == 0)
            rc = mc_env_open_key(plain, it->cipher.p, it->cipher.n, a, keys[k].key);
    if (rc == MC_ECRYPTO) { /* nothing released: a key of the caller's own, if any */
        mc_wrapped_key wk;
        mc_box_pk pk;
        mc_box_sk_to_pk(&pk, &p->c->keys.box_sk);
        if (!mc_cli_fetch_anchor(p->c, &it->record, a, NULL) && !mc_cli_wrapped_key(p->c, a, &wk))
            rc = mc_env_open(plain, it->cipher.p, it->cipher.n, a, &wk, &pk, &p->c->keys.box_sk);
    }
    free(a);
    return rc;
}

static void mc_reads_count(mc_cli_read_counts *n, int status)
{
    switch (status) {
    case MC_READ_SERVED: n->served++; break;
    case MC_READ_DENIED: n->denied++; break;
    case MC_READ_UNKNOWN: n->unknown++; break;
    case MC_READ_NO_CONTENT:
    case MC_READ_CORRUPT: n->no_content++; break;
    default: n->failed++; break;
    }
}

/* Hands one item to the caller (decrypted when served) or keeps it for its custodian. Items for
 * ids not asked, or answered already, are dropped. */
static int mc_reads_item(mc_reads_pass *p, const mc_read_response *r, const mc_read_item *it,
                         const mc_env_released_key *keys, size_t nkeys, mc_buf *plain)
{
    long at = mc_reads_asked(p, &it->record);
    if (at < 0 || p->answered[at] || it->status == MC_READ_LATER) return 0; /* LATER: asked again */
    p->answered[at] = 1;
    if (it->status == MC_READ_ELSEWHERE && !p->trusted) {
        mc_reads_later *l = &p->later[p->nlater++]; /* at most one per id asked: room for all */
        l->rid = it->record;
        l->at = it->custodian;
        l->has_meta = it->has_meta;
        l->meta = *it;
        return 0;
    }
    mc_cli_read out;
    memset(&out, 0, sizeof out);
    out.record = it->record;
    out.status = it->status == MC_READ_ELSEWHERE ? MC_CLI_READ_FAILED : it->status; /* sent on again */
    out.reason = it->reason;
    out.custodian = it->custodian;
    out.log_tx = r->log_tx;
    if (it->status == MC_READ_SERVED) {
        out.patient = it->patient;
        memcpy(out.category, it->category, sizeof out.category);
        out.time_ms = it->time_ms;
        int rc = mc_reads_open(p, at, it, keys, nkeys, plain);
        if (rc) out.status = rc == MC_EDENIED ? MC_CLI_READ_UNCHECKED : MC_CLI_READ_FAILED;
        out.plain = rc ? NULL : plain;
    }
    mc_reads_count(p->counts, out.status);
    return p->fn ? p->fn(p->arg, &out) : 0;
}

/* Everything of one response: opens the key box, then each item. */
static int mc_reads_answer(mc_reads_pass *p, const mc_buf *resp)
{
    mc_read_response r;
    if (mc_read_response_decode(&r, resp->p, resp->n))
        return mc_cli_fail("the gatekeeper's answer is not a read response");
    mc_env_released_key *keys = calloc(MC_MAX_READS, sizeof *keys);
    size_t nkeys = 0;
    mc_buf plain;
    mc_buf_init(&plain, MC_CLI_MAX_CIPHER);
    int rc = keys ? 0 : mc_cli_fail("out of memory");
    if (!rc && r.keybox.n) {
        mc_box_pk pk;
        mc_box_sk_to_pk(&pk, &p->c->keys.box_sk);
        if (mc_env_release_open(keys, MC_MAX_READS, &nkeys, r.keybox.p, r.keybox.n, &r.log_tx, &pk,
                                &p->c->keys.box_sk))
            nkeys = 0; /* not for this key: each record falls back to a key of the caller's own */
    }
    for (uint32_t i = 0; i < r.n && !rc; i++) rc = mc_reads_item(p, &r, &r.items[i], keys, nkeys, &plain);
    if (keys) mc_wipe(keys, MC_MAX_READS * sizeof *keys);
    free(keys);
    mc_buf_free_wipe(&plain);
    mc_read_response_clear(&r);
    return rc;
}

/* One request for @p n (at most MC_MAX_READS) sorted ids at @p h, asked again for those the
 * answer put off (LATER: an answer holds a bounded amount of ciphertext) while answers make
 * progress; ids still unanswered are counted as failed. */
static int mc_reads_chunk(mc_reads_pass *p, mc_http *h, const char *where, const mc_hash *ids,
                          const mc_reads_later *trusted, uint32_t n, mc_read_request *q, uint8_t *answered)
{
    mc_buf req, resp;
    mc_buf_init(&req, MC_MAX_READ_REQUEST_BYTES);
    mc_buf_init(&resp, (size_t)1 << 30);
    memset(answered, 0, MC_MAX_READS);
    p->asked = ids;
    p->nasked = n;
    p->answered = answered;
    p->trusted = trusted;
    int rc = 0;
    for (uint32_t left = n, before = n + 1; !rc && left && left < before;) {
        memset(q, 0, sizeof *q);
        q->purpose = p->purpose;
        q->action = MC_ACTION_READ;
        q->by = MC_READS_BY_ID;
        for (uint32_t i = 0; i < n; i++)
            if (!answered[i]) q->ids[q->nids++] = ids[i]; /* still sorted */
        mc_buf_reset(&req);
        rc = mc_read_request_encode(&req, q) ? mc_cli_fail("cannot build the read request") : 0;
        if (!rc) rc = mc_reads_post(h, &req, &resp, where);
        if (!rc) rc = mc_reads_answer(p, &resp);
        before = left;
        left = 0;
        for (uint32_t i = 0; i < n; i++) left += !answered[i];
    }
    for (uint32_t i = 0; i < n && !rc; i++) /* an id no answer gave */
        if (!answered[i]) {
            mc_cli_read out = {.record = ids[i], .status = MC_CLI_READ_FAILED};
            mc_reads_count(p->counts, out.status);
            if (p->fn) rc = p->fn(p->arg, &out);
        }
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return rc;
}

/* Asks @p h for @p ids (sorted, distinct), at most MC_MAX_READS a request; @p trusted (NULL for
 * the own node) is the own node's word on each id, in the same order. */
static int mc_reads_at(mc_reads_pass *p, mc_http *h, const char *where, const mc_hash *ids,
                       const mc_reads_later *trusted, size_t n)
{
    mc_read_request *q = calloc(1, sizeof *q);
    uint8_t *answered = calloc(MC_MAX_READS, 1);
    int rc = q && answered ? 0 : mc_cli_fail("out of memory");
    for (size_t off = 0; off < n && !rc; off += MC_MAX_READS)
        rc = mc_reads_chunk(p, h, where, ids + off, trusted ? trusted + off : NULL,
                            (uint32_t)(n - off < MC_MAX_READS ? n - off : MC_MAX_READS), q, answered);
    free(q);
    free(answered);
    return rc;
}

/* A client for @p url signing as the connection's key. */
static int mc_reads_peer(mc_cli_conn *c, const char *url, mc_http **ph)
{
    if (mc_http_new(ph, url, 0)) return 1;
    if (c->ca) mc_http_set_ca(*ph, c->ca);
    mc_http_signer s = {.chain = c->chain, .sk = &c->keys.sign_sk};
    memcpy(s.id.b, c->keys.id.b, 32);
    mc_http_set_signer(*ph, &s);
    return 0;
}

/* Asks the custodian of @p later[0..n) (one org, ids sorted) at the URLs its gatekeeper published. */
static int mc_reads_custodian(mc_reads_pass *p, const mc_reads_later *later, size_t n)
{
    char path[100], hex[65];
    json_t *j;
    mc_hex_encode(hex, later[0].at.b, 32);
    snprintf(path, sizeof path, "/v1/identities/%s", hex);
    if (mc_cli_get(p->c, path, &j)) return 1;
    json_t *urls = json_object_get(json_object_get(j, "gatekeeper"), "urls"), *u;
    mc_hash *ids = malloc(n * sizeof *ids);
    size_t i;
    int rc = ids ? -1 : mc_cli_fail("out of memory");
    for (i = 0; ids && i < n; i++) ids[i] = later[i].rid;
    json_array_foreach(urls, i, u)
    {
        mc_http *h;
        const char *url = json_string_value(u);
        if (rc >= 0 || !url || mc_reads_peer(p->c, url, &h)) continue;
        rc = mc_reads_at(p, h, url, ids, later, n);
        mc_http_free(h);
    }
    json_decref(j);
    free(ids);
    if (rc < 0) return mc_cli_fail("custodian %.16s… published no gatekeeper this command can reach", hex);
    return rc;
}

static int mc_reads_later_cmp(const void *a, const void *b)
{
    const mc_reads_later *x = a, *y = b;
    int c = memcmp(x->at.b, y->at.b, 32);
    return c ? c : memcmp(x->rid.b, y->rid.b, 32);
}

/* The ids held elsewhere, custodian by custodian. */
static int mc_reads_elsewhere(mc_reads_pass *p)
{
    qsort(p->later, p->nlater, sizeof *p->later, mc_reads_later_cmp);
    int rc = 0;
    for (size_t i = 0, j; i < p->nlater && !rc; i = j) {
        for (j = i + 1; j < p->nlater && memcmp(p->later[j].at.b, p->later[i].at.b, 32) == 0; j++) continue;
        rc = mc_reads_custodian(p, &p->later[i], j - i);
    }
    return rc;
}

int mc_cli_read_records(mc_cli_conn *c, const mc_hash *ids, size_t n, uint32_t purpose, mc_cli_read_fn fn,
                        void *arg, mc_cli_read_counts *counts)
{
    mc_reads_pass p;
    memset(&p, 0, sizeof p);
    memset(counts, 0, sizeof *counts);
    p.c = c;
    p.purpose = purpose ? purpose : (uint32_t)mc_cli_default_purpose(c);
    p.fn = fn;
    p.arg = arg;
    p.counts = counts;
    mc_hash *sorted = malloc((n ? n : 1) * sizeof *sorted);
    p.later = malloc((n ? n : 1) * sizeof *p.later);
    int rc = sorted && p.later ? 0 : mc_cli_fail("out of memory");
    size_t m = 0;
    if (!rc && n) {
        memcpy(sorted, ids, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, mc_reads_hash_cmp);
        for (size_t i = 0; i < n; i++)
            if (!m || memcmp(sorted[m - 1].b, sorted[i].b, 32) != 0) sorted[m++] = sorted[i];
    }
    if (!rc && m) rc = mc_reads_at(&p, c->http, "the node", sorted, NULL, m);
    if (!rc && p.nlater) rc = mc_reads_elsewhere(&p);
    free(sorted);
    free(p.later);
    return rc;
}

/* Reading many records as FHIR resources, in the order asked (export, deid). */
typedef struct {
    mc_hash rid;
    size_t at;
} mc_reads_slot;

typedef struct {
    const mc_reads_slot *slots;
    size_t n;
    json_t **res;   /* one per id, NULL until read */
    uint8_t *seen;  /* one per id: an answer came for it */
    size_t shown;   /* missing records named so far */
    size_t missing; /* not read, or not a JSON object */
} mc_reads_json;

#define MC_READS_SHOW_MISSING 20u

static void mc_reads_missing(mc_reads_json *x, const mc_hash *rid, const char *why)
{
    char hex[65];
    mc_hex_encode(hex, rid->b, 32);
    if (x->shown++ < MC_READS_SHOW_MISSING) fprintf(stderr, "medchain: record %s not read: %s\n", hex, why);
    x->missing++;
}

static int mc_reads_json_fn(void *arg, const mc_cli_read *r)
{
    mc_reads_json *x = arg;
    size_t lo = 0, hi = x->n;
    while (lo < hi) { /* the slot of r->record (slots are sorted by id) */
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(x->slots[mid].rid.b, r->record.b, 32) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == x->n || memcmp(x->slots[lo].rid.b, r->record.b, 32) != 0) return 0; /* not asked for */
    if (x->seen[x->slots[lo].at]++) return 0; /* the same id asked twice: answered once */
    if (r->status != MC_READ_SERVED) {
        mc_reads_missing(x, &r->record, mc_cli_read_why(r));
        return 0;
    }
    json_t *j = json_loadb((const char *)r->plain->p, r->plain->n, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        mc_reads_missing(x, &r->record, "its plaintext is not a FHIR resource");
        return 0;
    }
    json_decref(x->res[x->slots[lo].at]);
    x->res[x->slots[lo].at] = j;
    return 0;
}

int mc_cli_read_resources(mc_cli_conn *c, const mc_hash *ids, size_t n, uint32_t purpose, json_t *out,
                          size_t *nmissing)
{
    mc_reads_slot *slots = malloc((n ? n : 1) * sizeof *slots);
    mc_reads_json x = {slots, n, calloc(n ? n : 1, sizeof *x.res), calloc(n ? n : 1, 1), 0, 0};
    mc_cli_read_counts counts = {0};
    int rc = slots && x.res && x.seen ? 0 : mc_cli_fail("out of memory");
    for (size_t i = 0; i < n && !rc; i++) slots[i] = (mc_reads_slot){ids[i], i};
    if (!rc) qsort(slots, n, sizeof *slots, mc_reads_hash_cmp);
    if (!rc) rc = mc_cli_read_records(c, ids, n, purpose, mc_reads_json_fn, &x, &counts);
    for (size_t i = 0; i < n && !rc; i++) {
        if (!x.seen[i] && !x.res[i]) mc_reads_missing(&x, &ids[i], "no gatekeeper answered for it");
        if (x.res[i] && json_array_append_new(out, x.res[i])) rc = mc_cli_fail("out of memory");
        x.res[i] = NULL;
    }
    for (size_t i = 0; x.res && i < n; i++) json_decref(x.res[i]);
    if (x.shown > MC_READS_SHOW_MISSING)
        fprintf(stderr, "medchain: ... and %zu more records not read\n", x.shown - MC_READS_SHOW_MISSING);
    *nmissing = x.missing;
    free(slots);
    free(x.res);
    free(x.seen);
    return rc;
}
