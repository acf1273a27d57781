/*
 * A patient's lists (records, a search of its records by token, consents, delegates, access
 * history) and the auditors' chain-wide access view. Each list is a prefix scan of one read
 * transaction (the search a merge of one per token), filtered to what the caller may see and
 * cut at ?limit= (default 100, at most 1000); "next" is the cursor to pass as ?after= for the
 * following page, null when there is none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define MC_PAGE_FULL (-1) /* a scan callback's "stop": the page is full and more remain */
#define MC_PAGE_SKIP (-2) /* the ?after= key itself */

typedef struct {
    mc_viewer *v;
    const mc_id *patient; /* the patient whose lists these are */
    int full;             /* the caller sees the patient's lists in full */
    uint32_t purpose;     /* records: read_meta for this purpose */
    size_t limit, count;
    int more;
    json_t *items;
    mc_skey from; /* the ?after= key, itself excluded */
    char next[80];
    mc_consent *consent; /* scratch */
} mc_page;

int mc_api_parse_cursor(const char *z, int nparts, uint64_t out[3])
{
    char tmp[72], *save = NULL;
    if (!z || strlen(z) >= sizeof tmp) return MC_EINVAL;
    memcpy(tmp, z, strlen(z) + 1);
    int k = 0;
    for (char *t = strtok_r(tmp, ":", &save); t; t = strtok_r(NULL, ":", &save))
        if (k == nparts || mc_parse_u64(t, &out[k++])) return MC_EINVAL;
    if (k != nparts || strstr(z, "::") || z[0] == ':' || z[strlen(z) - 1] == ':') return MC_EINVAL;
    if (nparts > 1 && out[1] > UINT32_MAX) return MC_EINVAL;
    if (nparts > 2 && out[2] > UINT16_MAX) return MC_EINVAL;
    return MC_OK;
}

/*
 * Puts @p item (owned) on the page, with its cursor: @p id, or (@p height, @p index, @p sub) when @p id
 * is NULL. @return MC_OK, MC_PAGE_FULL (it would be one too many: the scan stops), MC_ENOMEM.
 */
static int mc_page_put(mc_page *pg, json_t *item, const uint8_t *id, uint64_t height, uint32_t index,
                       uint16_t sub)
{
    if (pg->count == pg->limit) {
        json_decref(item);
        pg->more = 1;
        return MC_PAGE_FULL;
    }
    if (!item || json_array_append_new(pg->items, item)) return MC_ENOMEM;
    pg->count++;
    if (id)
        mc_hex_encode(pg->next, id, 32);
    else
        snprintf(pg->next, sizeof pg->next, "%llu:%u:%u", (unsigned long long)height, index, (unsigned)sub);
    return MC_OK;
}

/* 1 for the ?after= key itself: the page starts after it. */
static int mc_page_is_after(const mc_page *pg, mc_slice key)
{
    return pg->from.n && key.n == pg->from.n && memcmp(key.p, pg->from.b, key.n) == 0;
}

/* The id after the patient in a key "type | patient | id". @return MC_OK, MC_PAGE_SKIP (the
 * ?after= key), MC_ECORRUPT. */
static int mc_page_key_id(const mc_page *pg, mc_slice key, uint8_t id[32])
{
    if (mc_page_is_after(pg, key)) return MC_PAGE_SKIP;
    if (key.n != 1 + 64) return MC_ECORRUPT;
    memcpy(id, key.p + 33, 32);
    return MC_OK;
}

/* One of the patient's records, if the caller may see it (read_meta for the page's purpose). */
static int mc_page_record(void *arg, const mc_hash *rid)
{
    mc_page *pg = arg;
    mc_record rec;
    int rc = mc_store_get_record(pg->v->txn, rid, &rec);
    if (rc) return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc;             /* indexed, so anchored */
    if (memcmp(rec.patient.b, pg->patient->b, 32) != 0) return MC_OK; /* a search hit of another's */
    if (!pg->full) {
        mc_decision d;
        if ((rc = mc_viewer_decide(pg->v, NULL, rid, pg->purpose, MC_ACTION_READ_META, &d))) return rc;
        if (!d.permit) return MC_OK;
    }
    return mc_page_put(pg, mc_json_record(&rec), rid->b, 0, 0, 0);
}

/* P | patient | record id */
static int mc_scan_records(void *arg, mc_slice key, mc_slice val)
{
    mc_page *pg = arg;
    mc_hash rid;
    (void)val;
    int rc = mc_page_key_id(pg, key, rid.b);
    if (rc) return rc == MC_PAGE_SKIP ? MC_OK : rc;
    return mc_page_record(pg, &rid);
}

/* g | patient | consent id */
static int mc_scan_consents(void *arg, mc_slice key, mc_slice val)
{
    mc_page *pg = arg;
    mc_hash cid;
    (void)val;
    int rc = mc_page_key_id(pg, key, cid.b);
    if (rc) return rc == MC_PAGE_SKIP ? MC_OK : rc;
    if ((rc = mc_store_get_consent(pg->v->txn, &cid, pg->consent)))
        return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc;
    if (!pg->full && !mc_viewer_named(pg->v, &pg->consent->body)) return MC_OK;
    return mc_page_put(pg, mc_json_consent(pg->consent), cid.b, 0, 0, 0);
}

/* D | patient | delegate -> mc_delegate */
static int mc_scan_delegates(void *arg, mc_slice key, mc_slice val)
{
    mc_page *pg = arg;
    mc_id who;
    mc_delegate d;
    int rc = mc_page_key_id(pg, key, who.b);
    if (rc) return rc == MC_PAGE_SKIP ? MC_OK : rc;
    if (mc_delegate_decode(&d, val.p, val.n)) return MC_ECORRUPT;
    /* others see only a delegation naming them */
    if (!pg->full && memcmp(who.b, pg->v->c->signer.b, 32) != 0) return MC_OK;
    return mc_page_put(pg,
                       json_pack("{s:o,s:b,s:I,s:I}", "id", mc_json_hex(who.b, 32), "active", (int)d.active,
                                 "height", (json_int_t)d.height, "time_ms", (json_int_t)d.time_ms),
                       who.b, 0, 0, 0);
}

static int mc_page_access(mc_page *pg, const mc_access *a)
{
    /* others see only their own reads */
    if (!pg->full && memcmp(a->reader.b, pg->v->c->signer.b, 32) != 0) return MC_OK;
    return mc_page_put(pg, mc_json_access(a), NULL, a->height, a->index, a->sub);
}

/* A | patient | height | index | sub -> mc_access */
static int mc_scan_access(void *arg, mc_slice key, mc_slice val)
{
    mc_page *pg = arg;
    mc_access a;
    if (mc_page_is_after(pg, key)) return MC_OK;
    if (key.n != 1 + 32 + 14 || mc_access_decode(&a, val.p, val.n)) return MC_ECORRUPT;
    return mc_page_access(pg, &a);
}

/* L | height | index | sub -> patient */
static int mc_scan_access_all(void *arg, mc_slice key, mc_slice val)
{
    mc_page *pg = arg;
    mc_id patient;
    mc_access a;
    if (mc_page_is_after(pg, key)) return MC_OK;
    if (key.n != 1 + 14 || val.n != 32) return MC_ECORRUPT;
    memcpy(patient.b, val.p, 32);
    int rc = mc_store_get_access(pg->v->txn, &patient, mc_get_u64be(key.p + 1), mc_get_u32be(key.p + 9),
                                 (uint16_t)(key.p[13] << 8 | key.p[14]), &a);
    if (rc) return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc;
    return mc_page_access(pg, &a);
}

/* ?after=: an id (records, consents, delegates) or H:I:S (access; H:I for H:I:0) appended to @p prefix. */
static int mc_page_after(mc_call *c, mc_page *pg, const mc_skey *prefix, int by_pos)
{
    const char *z = mc_api_arg(c, "after");
    uint8_t part[32];
    size_t n = by_pos ? 14 : 32;
    uint64_t v[3] = {0, 0, 0};
    if (!z) return MC_OK;
    if (by_pos) {
        if (mc_api_parse_cursor(z, 3, v) && mc_api_parse_cursor(z, 2, v)) return MC_EINVAL;
        mc_put_u64be(part, v[0]);
        mc_put_u32be(part + 8, (uint32_t)v[1]);
        part[12] = (uint8_t)(v[2] >> 8);
        part[13] = (uint8_t)v[2];
    } else if (mc_api_parse_id(z, part, NULL, NULL)) {
        return MC_EINVAL;
    }
    pg->from = *prefix;
    memcpy(pg->from.b + pg->from.n, part, n);
    pg->from.n += n;
    return MC_OK;
}

/* ?limit= into pg->limit. @return MC_OK, or MC_EINVAL after filling r. */
static int mc_page_limit(mc_call *c, mc_resp *r, mc_page *pg)
{
    uint64_t limit;
    if (mc_api_arg_u64(c, "limit", 100, 1000, &limit) || limit == 0) {
        mc_resp_error(r, 400, "EINVAL", "limit must be a number from 1 to 1000");
        return MC_EINVAL;
    }
    pg->limit = (size_t)limit;
    return MC_OK;
}

/* The answer of a scan that gave @p rc: {"patient"?, "<name>": [...], "next"}. */
static void mc_page_answer(mc_resp *r, mc_page *pg, int rc, const char *name, const mc_id *patient)
{
    if (!pg->items) rc = MC_ENOMEM;
    if (rc != MC_OK && rc != MC_PAGE_FULL) {
        json_decref(pg->items);
        mc_viewer_fail(r, rc);
        return;
    }
    json_t *j = json_object();
    if (j && patient) json_object_set_new(j, "patient", mc_json_hex(patient->b, 32));
    if (j) json_object_set_new(j, name, pg->items);
    if (j) json_object_set_new(j, "next", pg->more ? json_string(pg->next) : json_null());
    if (!j) json_decref(pg->items);
    mc_api_ok(r, j);
}

/* Runs one list: page set-up, scan, answer. */
static void mc_page_run(mc_call *c, mc_resp *r, mc_page *pg, const mc_skey *prefix, int by_pos,
                        mc_store_scan_fn fn, const char *name, const mc_id *patient)
{
    if (mc_page_limit(c, r, pg)) return;
    if (mc_page_after(c, pg, prefix, by_pos)) {
        mc_resp_error(r, 400, "EINVAL",
                      by_pos ? "after must be H:I:S" : "after must be an id of 64 hex digits");
        return;
    }
    pg->items = json_array();
    int rc = pg->items ? mc_store_scan(pg->v->txn, prefix, pg->from.n ? &pg->from : NULL, fn, pg) : MC_ENOMEM;
    mc_page_answer(r, pg, rc, name, patient);
}

/* The ?token= arguments (each 64 hex digits), in the order given. */
typedef struct {
    mc_hash tokens[MC_MAX_TOKENS];
    size_t n;
    int bad; /* malformed, or more than MC_MAX_TOKENS */
} mc_token_args;

static enum MHD_Result mc_token_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    mc_token_args *t = cls;
    (void)kind;
    if (!key || strcmp(key, "token") != 0) return MHD_YES;
    if (t->n == MC_MAX_TOKENS || mc_api_parse_id(value, t->tokens[t->n].b, NULL, NULL))
        t->bad = 1;
    else
        t->n++;
    return MHD_YES;
}

/*
 * GET /v1/patients/{pid}/search?token=HEX[&token=HEX...]: the patient's records carrying any of
 * the tokens (searchable encryption: the node matches opaque HMAC tokens and never sees a
 * keyword), filtered and paged as the record list is.
 */
static void mc_page_search(mc_call *c, mc_resp *r, mc_page *pg, const mc_id *patient)
{
    mc_token_args *t = calloc(1, sizeof *t);
    mc_hash after;
    const char *za = mc_api_arg(c, "after");
    if (!t) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        return;
    }
    MHD_get_connection_values(c->conn, MHD_GET_ARGUMENT_KIND, mc_token_arg, t);
    if (t->bad || t->n == 0) {
        mc_resp_error(r, 400, "EINVAL", "token must be given 1 to 64 times, each 64 hex digits");
    } else if (za && mc_api_parse_id(za, after.b, NULL, NULL)) {
        mc_resp_error(r, 400, "EINVAL", "after must be an id of 64 hex digits");
    } else if (!mc_page_limit(c, r, pg)) {
        pg->items = json_array();
        int rc = pg->items ? mc_store_scan_tokens(pg->v->txn, t->tokens, t->n, za ? &after : NULL,
                                                  mc_page_record, pg)
                           : MC_ENOMEM;
        mc_page_answer(r, pg, rc, "records", patient);
    }
    free(t);
}

void mc_route_patient(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    static const struct {
        const char *name;
        uint8_t key;
        int by_pos;
        mc_store_scan_fn fn;
    } lists[] = {{"records", MC_SK_PATIENT_RECORD, 0, mc_scan_records},
                 {"search", MC_SK_TOKEN, 0, NULL}, /* the records with given tokens */
                 {"consents", MC_SK_PATIENT_CONSENT, 0, mc_scan_consents},
                 {"delegates", MC_SK_DELEGATE, 0, mc_scan_delegates},
                 {"access", MC_SK_ACCESS, 1, mc_scan_access}};
    size_t which = sizeof lists / sizeof lists[0];
    for (size_t i = 0; strlen(arg) > 65 && arg[64] == '/' && i < sizeof lists / sizeof lists[0]; i++)
        if (strcmp(arg + 65, lists[i].name) == 0) which = i;
    if (which == sizeof lists / sizeof lists[0]) {
        mc_resp_error(r, 404, "ENOTFOUND", "no such route");
        return;
    }
    char hex[65];
    mc_id pid;
    mc_identity *idn = malloc(sizeof *idn);
    mc_viewer v;
    mc_page pg;
    memset(&pg, 0, sizeof pg);
    memcpy(hex, arg, 64);
    hex[64] = 0;
    int rc = mc_viewer_open(&v, c, txn);
    pg.v = &v;
    pg.patient = &pid;
    pg.consent = malloc(sizeof *pg.consent);
    if (!rc && (!idn || !pg.consent)) rc = MC_ENOMEM;
    if (rc) {
        mc_viewer_fail(r, rc);
    } else if (mc_api_parse_id(hex, pid.b, r, "patient id")) {
        /* r says why */
    } else if ((rc = mc_store_get_identity(txn, &pid, idn)) == MC_ENOTFOUND ||
               (!rc && idn->kind != MC_ID_PATIENT)) {
        mc_resp_error(r, 404, "ENOTFOUND", "no such patient");
    } else if (rc || (pg.full = mc_viewer_full(&v, &pid)) < 0) {
        mc_viewer_fail(r, rc ? rc : -pg.full);
    } else if (which > 1 || !mc_api_purpose_arg(c, r, 0, &pg.purpose)) { /* records and search: ?purpose= */
        mc_skey prefix;
        mc_skey_make(&prefix, lists[which].key, pid.b, 32, NULL, 0, NULL, 0);
        if (lists[which].fn)
            mc_page_run(c, r, &pg, &prefix, lists[which].by_pos, lists[which].fn, lists[which].name, &pid);
        else
            mc_page_search(c, r, &pg, &pid);
    }
    free(idn);
    free(pg.consent);
    mc_viewer_close(&v);
}

void mc_route_audit_access(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg)
{
    (void)arg;
    mc_viewer v;
    mc_page pg;
    memset(&pg, 0, sizeof pg);
    int rc = mc_viewer_open(&v, c, txn);
    pg.v = &v;
    pg.full = 1;
    if (rc) {
        mc_viewer_fail(r, rc);
    } else if (!mc_viewer_auditor(&v)) {
        mc_resp_denied(r, "only auditors of an active org see every patient's access history");
    } else {
        mc_skey prefix;
        mc_skey_make(&prefix, MC_SK_ACCESS_ALL, NULL, 0, NULL, 0, NULL, 0);
        mc_page_run(c, r, &pg, &prefix, 1, mc_scan_access_all, "access", NULL);
    }
    mc_viewer_close(&v);
}
