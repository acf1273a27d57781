/*
 * The client's side of whole-chart reads (POST /v1/reads; docs/api.md "Reads").
 *
 * Records are asked for by id, at most MC_MAX_READS in one signed request. The node this
 * command talks to serves the records its org holds and names the custodian of the others; those
 * are asked of each custodian's own gatekeeper, whose URLs the chain holds (org.gatekeeper), so
 * that nobody needs to know which hospital holds what. Each served record is checked against its
 * anchor and decrypted here with the data key its custodian released to this caller (sealed to
 * the caller's X25519 key, bound to the log of the read), or else with a key wrapped for the
 * caller on the anchor or in a grant. A refusal (429) is waited out as the node's Retry-After
 * says; a read that could not be logged (503) is asked again with a new signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "medchain/codec.h"

#define MC_READS_TRIES 8u /* 429 and 503 answers waited out before giving up on a request */

/* One pass over a set of ids at one gatekeeper. */
typedef struct {
    mc_cli_conn *c; /* keys, and the node that knows the chain */
    uint32_t purpose;
    mc_cli_read_fn fn;
    void *arg;
    mc_cli_read_counts *counts;
    mc_hash *later; /* ids held elsewhere, with their custodians */
    mc_id *later_at;
    size_t nlater;
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

/* Decrypts one served item: with the released key, else a key wrapped for the caller. */
static int mc_reads_open(mc_reads_pass *p, const mc_read_item *it, const mc_env_released_key *keys,
                         size_t nkeys, mc_buf *plain)
{
    mc_body_anchor *a = calloc(1, sizeof *a);
    if (!a) return MC_ENOMEM;
    a->record = it->record;
    a->patient = it->patient;
    a->cipher_hash = it->cipher_hash;
    a->commitment = it->commitment;
    a->size = it->size;
    int rc = MC_ECRYPTO;
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

/* Hands one item to the caller (decrypted when served) or keeps it for its custodian. */
static int mc_reads_item(mc_reads_pass *p, const mc_read_response *r, const mc_read_item *it,
                         const mc_env_released_key *keys, size_t nkeys, int first_pass, mc_buf *plain)
{
    mc_cli_read out;
    memset(&out, 0, sizeof out);
    out.record = it->record;
    out.status = it->status;
    out.reason = it->reason;
    out.custodian = it->custodian;
    out.log_tx = r->log_tx;
    if (it->status == MC_READ_ELSEWHERE && first_pass) {
        p->later[p->nlater] = it->record;
        p->later_at[p->nlater++] = it->custodian;
        return 0;
    }
    if (it->status == MC_READ_SERVED) {
        out.patient = it->patient;
        memcpy(out.category, it->category, sizeof out.category);
        out.time_ms = it->time_ms;
        int rc = mc_reads_open(p, it, keys, nkeys, plain);
        if (rc) out.status = MC_CLI_READ_FAILED;
        out.plain = rc ? NULL : plain;
    }
    switch (out.status) {
    case MC_READ_SERVED: p->counts->served++; break;
    case MC_READ_DENIED: p->counts->denied++; break;
    case MC_READ_UNKNOWN: p->counts->unknown++; break;
    case MC_READ_NO_CONTENT:
    case MC_READ_CORRUPT: p->counts->no_content++; break;
    default: p->counts->failed++; break;
    }
    return p->fn ? p->fn(p->arg, &out) : 0;
}

/* Everything of one response: opens the key box, then each item. */
static int mc_reads_answer(mc_reads_pass *p, const mc_buf *resp, int first_pass)
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
    for (uint32_t i = 0; i < r.n && !rc; i++)
        rc = mc_reads_item(p, &r, &r.items[i], keys, nkeys, first_pass, &plain);
    if (keys) mc_wipe(keys, MC_MAX_READS * sizeof *keys);
    free(keys);
    if (plain.p) mc_wipe(plain.p, plain.n);
    mc_buf_free(&plain);
    mc_read_response_clear(&r);
    return rc;
}

/* Asks @p h for @p ids (sorted, distinct), at most MC_MAX_READS a request. */
static int mc_reads_at(mc_reads_pass *p, mc_http *h, const char *where, const mc_hash *ids, size_t n,
                       int first_pass)
{
    mc_read_request *q = calloc(1, sizeof *q);
    mc_buf req, resp;
    mc_buf_init(&req, MC_MAX_READ_REQUEST_BYTES);
    mc_buf_init(&resp, (size_t)1 << 30);
    int rc = q ? 0 : mc_cli_fail("out of memory");
    for (size_t off = 0; off < n && !rc; off += MC_MAX_READS) {
        q->purpose = p->purpose;
        q->action = MC_ACTION_READ;
        q->by = MC_READS_BY_ID;
        q->nids = (uint32_t)(n - off < MC_MAX_READS ? n - off : MC_MAX_READS);
        memcpy(q->ids, ids + off, q->nids * sizeof q->ids[0]);
        mc_buf_reset(&req);
        rc = mc_read_request_encode(&req, q) ? mc_cli_fail("cannot build the read request") : 0;
        if (!rc) rc = mc_reads_post(h, &req, &resp, where);
        if (!rc) rc = mc_reads_answer(p, &resp, first_pass);
    }
    mc_buf_free(&req);
    mc_buf_free(&resp);
    free(q);
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

/* Asks the custodian @p org, at the URLs its gatekeeper published, for @p ids. */
static int mc_reads_custodian(mc_reads_pass *p, const mc_id *org, const mc_hash *ids, size_t n)
{
    char path[100], hex[65];
    json_t *j;
    mc_hex_encode(hex, org->b, 32);
    snprintf(path, sizeof path, "/v1/identities/%s", hex);
    if (mc_cli_get(p->c, path, &j)) return 1;
    json_t *urls = json_object_get(json_object_get(j, "gatekeeper"), "urls"), *u;
    size_t i;
    int rc = -1;
    json_array_foreach(urls, i, u)
    {
        mc_http *h;
        const char *url = json_string_value(u);
        if (!url || mc_reads_peer(p->c, url, &h)) continue;
        rc = mc_reads_at(p, h, url, ids, n, 0);
        mc_http_free(h);
        if (rc == 0) break;
    }
    json_decref(j);
    if (rc < 0) return mc_cli_fail("custodian %.16s… published no gatekeeper this command can reach", hex);
    return rc;
}

/* The ids held elsewhere, custodian by custodian. */
static int mc_reads_elsewhere(mc_reads_pass *p)
{
    mc_hash *ids = malloc((p->nlater ? p->nlater : 1) * sizeof *ids);
    uint8_t *done = calloc(p->nlater ? p->nlater : 1, 1);
    int rc = ids && done ? 0 : mc_cli_fail("out of memory");
    for (size_t i = 0; i < p->nlater && !rc; i++) {
        if (done[i]) continue;
        size_t k = 0;
        for (size_t j = i; j < p->nlater; j++)
            if (!done[j] && memcmp(p->later_at[j].b, p->later_at[i].b, 32) == 0) {
                ids[k++] = p->later[j];
                done[j] = 1;
            }
        rc = mc_reads_custodian(p, &p->later_at[i], ids, k); /* ids stay sorted: later is */
    }
    free(ids);
    free(done);
    return rc;
}

int mc_cli_read_records(mc_cli_conn *c, const mc_hash *ids, size_t n, uint32_t purpose, mc_cli_read_fn fn,
                        void *arg, mc_cli_read_counts *counts)
{
    mc_reads_pass p = {
        c, purpose ? purpose : (uint32_t)mc_cli_default_purpose(c), fn, arg, counts, NULL, NULL, 0};
    memset(counts, 0, sizeof *counts);
    mc_hash *sorted = malloc((n ? n : 1) * sizeof *sorted);
    p.later = malloc((n ? n : 1) * sizeof *p.later);
    p.later_at = malloc((n ? n : 1) * sizeof *p.later_at);
    int rc = sorted && p.later && p.later_at ? 0 : mc_cli_fail("out of memory");
    size_t m = 0;
    if (!rc && n) {
        memcpy(sorted, ids, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, mc_reads_hash_cmp);
        for (size_t i = 0; i < n; i++)
            if (!m || memcmp(sorted[m - 1].b, sorted[i].b, 32) != 0) sorted[m++] = sorted[i];
    }
    if (!rc && m) rc = mc_reads_at(&p, c->http, "the node", sorted, m, 1);
    if (!rc && p.nlater) rc = mc_reads_elsewhere(&p);
    free(sorted);
    free(p.later);
    free(p.later_at);
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

static int mc_reads_slot_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

int mc_cli_read_resources(mc_cli_conn *c, const mc_hash *ids, size_t n, uint32_t purpose, json_t *out,
                          size_t *nmissing)
{
    mc_reads_slot *slots = malloc((n ? n : 1) * sizeof *slots);
    mc_reads_json x = {slots, n, calloc(n ? n : 1, sizeof *x.res), calloc(n ? n : 1, 1), 0, 0};
    mc_cli_read_counts counts;
    int rc = slots && x.res && x.seen ? 0 : mc_cli_fail("out of memory");
    for (size_t i = 0; i < n && !rc; i++) slots[i] = (mc_reads_slot){ids[i], i};
    if (!rc) qsort(slots, n, sizeof *slots, mc_reads_slot_cmp);
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
