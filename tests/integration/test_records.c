/*
 * Encrypted records end to end (issue 4), through a real medchaind and the real `medchain` CLI:
 *
 *   - all 20 Synthea patients are enrolled, each grants the hospital's physician TREAT with its
 *     search key, and the physician ingests the patient's FHIR Bundle: one encrypted record per
 *     resource; every record fetched back through the gatekeeper and decrypted is byte-identical
 *     to the resource's bytes in the bundle;
 *   - a search by a LOINC code finds exactly the Observations carrying it (as the physician and
 *     as the patient); someone without the search key cannot search;
 *   - a grant scoped to one category lets another hospital's nurse decrypt records of that
 *     category only; after
 *     its revocation she is refused (logged);
 *   - the patient's export holds every record, its Consents and AuditEvents;
 *   - `medchain deid` releases only opted-in patients and records research.release;
 *   - PHI scan: no name part, SSN, MRN, licence, passport, phone, address line or birth date of
 *     any patient anywhere in the node's data directory (raw bytes of every file), its log, or
 *     the de-identified export;
 *   - a flipped byte in a stored ciphertext: the gatekeeper refuses to serve it and says why.
 */
#include <dirent.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "cliworld.h"
#include "fakenode.h"
#include "medchain/envelope.h"
#include "medchain/fhir.h"
#include "phi.h"
#include "testnet.h"

#define RT_MAX_PATIENTS 20

typedef struct {
    char name[16], id[65], file[600];
    mc_buf bundle;      /* the bundle's bytes */
    mc_fhir_bundle *fb; /* parsed from them */
    json_t *manifest;   /* medchain ingest --json: [{index, record, type, category}] */
} rt_patient;

static tn_chain rt_c;
static cw_world rt_w;
static rt_patient rt_p[RT_MAX_PATIENTS];
static size_t rt_n;
static char rt_doc[65], rt_nurse[65], rt_research[65];

static int rt_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The patient bundles of the Synthea directory, sorted (not the hospital/practitioner ones). */
static void rt_find_bundles(void)
{
    DIR *d = opendir(MEDCHAIN_SYNTHEA_DIR);
    assert_non_null(d);
    char *names[64];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 64;) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json") && strncmp(e->d_name, "hospital", 8) &&
            strncmp(e->d_name, "practitioner", 12))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], rt_cmp);
    assert_int_equal(n, RT_MAX_PATIENTS);
    for (size_t i = 0; i < n; i++) {
        rt_patient *p = &rt_p[i];
        snprintf(p->name, sizeof p->name, "p%02zu", i);
        snprintf(p->file, sizeof p->file, "%s/%s", MEDCHAIN_SYNTHEA_DIR, names[i]);
        mc_buf_init(&p->bundle, MC_FHIR_MAX_BUNDLE_BYTES);
        assert_int_equal(mc_file_read(p->file, &p->bundle), MC_OK);
        mc_fhir_error err;
        assert_int_equal(mc_fhir_bundle_parse(&p->fb, p->bundle.p, p->bundle.n, &err), MC_OK);
        free(names[i]);
    }
    rt_n = n;
}

/* The first JSON value in a command's output. */
static json_t *rt_json(const mc_buf *out)
{
    const char *p = memchr(out->p, '[', out->n), *q = memchr(out->p, '{', out->n);
    const char *s = !p ? q : !q ? p : p < q ? p : q;
    assert_non_null(s);
    json_error_t e;
    json_t *j = json_loadb(s, out->n - (size_t)(s - (const char *)out->p), JSON_DISABLE_EOF_CHECK, &e);
    assert_non_null(j);
    return j;
}

static const char *rt_key(const char *name)
{
    static char path[4][500];
    static int k;
    k = (k + 1) % 4;
    return cw_key(&rt_w, name, path[k], sizeof path[k]);
}

/* The record id at bundle index @p i of patient @p p. */
static const char *rt_rid(const rt_patient *p, size_t i)
{
    json_t *m = json_array_get(p->manifest, i);
    assert_int_equal((size_t)json_integer_value(json_object_get(m, "index")), i);
    return json_string_value(json_object_get(m, "record"));
}

/* Ingests patient @p p's bundle as the physician; fetches every record back and compares. */
static void rt_ingest_and_check(rt_patient *p, mc_buf *out)
{
    char dir[6000], path[6200];
    assert_int_equal(
        cw_cli(&rt_w, out, "ingest", p->file, "--patient", p->id, "--key", rt_key("doc"), "--json", NULL), 0);
    p->manifest = rt_json(out);
    size_t n = mc_fhir_bundle_count(p->fb);
    assert_int_equal(json_array_size(p->manifest), n);
    snprintf(dir, sizeof dir, "%.256s/plain-%.15s", rt_c.dir, p->name);
    assert_int_equal(mc_dir_make(dir), MC_OK);
    char **args = calloc(n + 8, sizeof *args);
    int k = 0;
    args[k++] = "record";
    args[k++] = "get";
    for (size_t i = 0; i < n; i++) args[k++] = (char *)rt_rid(p, i);
    args[k++] = "--out-dir";
    args[k++] = dir;
    args[k++] = "--key";
    args[k++] = (char *)rt_key("doc");
    rt_w.quiet = 1;
    assert_int_equal(cw_cliv(&rt_w, out, args, k), 0);
    rt_w.quiet = 0;
    free(args);
    mc_buf got;
    mc_buf_init(&got, MC_FHIR_MAX_BUNDLE_BYTES);
    for (size_t i = 0; i < n; i++) {
        mc_fhir_entry *e = malloc(sizeof *e);
        assert_int_equal(mc_fhir_bundle_entry(p->fb, i, e), MC_OK);
        snprintf(path, sizeof path, "%s/%s", dir, rt_rid(p, i));
        mc_buf_reset(&got);
        assert_int_equal(mc_file_read(path, &got), MC_OK);
        assert_int_equal(got.n, e->span.n); /* byte-identical to the resource in the bundle */
        assert_memory_equal(got.p, e->span.p, got.n);
        free(e);
    }
    mc_buf_free(&got);
    fprintf(stderr, "%s: %zu resources ingested and read back byte-identical\n", p->name, n);
}

static int rt_has(const mc_buf *out, const char *s)
{
    return out->n && strstr((const char *)out->p, s) != NULL;
}

/* Search by the first LOINC code of patient 0's first Observation: exactly its records. */
static void rt_search(mc_buf *out)
{
    rt_patient *p = &rt_p[0];
    char code[80] = "", term[100];
    size_t n = mc_fhir_bundle_count(p->fb);
    mc_fhir_entry *e = malloc(sizeof *e);
    for (size_t i = 0; i < n && !code[0]; i++) {
        assert_int_equal(mc_fhir_bundle_entry(p->fb, i, e), MC_OK);
        for (uint32_t k = 0; k < e->nkeywords && !code[0] && !strcmp(e->type, "Observation"); k++)
            if (e->keywords[k].kind == MC_FHIR_KW_LOINC)
                snprintf(code, sizeof code, "%s", e->keywords[k].value);
    }
    assert_true(code[0]);
    /* the expected set: every resource of the bundle that carries that LOINC code */
    json_t *want = json_object();
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(mc_fhir_bundle_entry(p->fb, i, e), MC_OK);
        for (uint32_t k = 0; k < e->nkeywords; k++)
            if (e->keywords[k].kind == MC_FHIR_KW_LOINC && !strcmp(e->keywords[k].value, code))
                json_object_set_new(want, rt_rid(p, i), json_true());
    }
    free(e);
    assert_true(json_object_size(want) > 0);
    snprintf(term, sizeof term, "loinc:%s", code);
    const char *who[] = {"doc", p->name};
    for (int w = 0; w < 2; w++) {
        assert_int_equal(
            cw_cli(&rt_w, out, "search", "--patient", p->id, "--key", rt_key(who[w]), term, "--json", NULL),
            0);
        json_t *j = rt_json(out), *recs = json_object_get(j, "records"), *r;
        size_t i;
        assert_int_equal(json_array_size(recs), json_object_size(want));
        json_array_foreach(recs, i, r)
            assert_non_null(json_object_get(want, json_string_value(json_object_get(r, "id"))));
        json_decref(j);
    }
    /* the bare code finds the same records (it is tried as every kind of keyword) */
    assert_int_equal(
        cw_cli(&rt_w, out, "search", "--patient", p->id, "--key", rt_key("doc"), code, "--json", NULL), 0);
    json_t *j = rt_json(out);
    assert_int_equal(json_array_size(json_object_get(j, "records")), json_object_size(want));
    json_decref(j);
    /* without the patient's search key there is no search */
    assert_int_not_equal(
        cw_cli(&rt_w, out, "search", "--patient", p->id, "--key", rt_key("nurse"), term, NULL), 0);
    assert_true(rt_has(out, "search key"));
    fprintf(stderr, "search %s: %zu records\n", term, json_object_size(want));
    json_decref(want);
}

/* The transaction id in a CLI line "...(tx <id>, block N)". */
static void rt_txid(const mc_buf *out, char hex[65])
{
    const char *p = strstr((const char *)out->p, "(tx ");
    assert_non_null(p);
    memcpy(hex, p + 4, 64);
    hex[64] = 0;
}

/* A category grant: the nurse decrypts that category only; revoked, she is refused. */
static void rt_scoped_grant(mc_buf *out)
{
    rt_patient *p = &rt_p[1];
    size_t n = json_array_size(p->manifest), in = SIZE_MAX, outside = SIZE_MAX;
    const char *cat = json_string_value(json_object_get(json_array_get(p->manifest, 0), "category"));
    for (size_t i = 0; i < n; i++) {
        const char *c = json_string_value(json_object_get(json_array_get(p->manifest, i), "category"));
        if (!strcmp(c, cat) && in == SIZE_MAX) in = i;
        if (strcmp(c, cat) && outside == SIZE_MAX) outside = i;
    }
    assert_true(in != SIZE_MAX && outside != SIZE_MAX);
    char grant[65], path[700];
    assert_int_equal(cw_cli(&rt_w, out, "grant", "--key", rt_key(p->name), "--to", rt_nurse, "--categories",
                            cat, "--purpose", "TREAT", "--days", "1", NULL),
                     0);
    rt_txid(out, grant);
    snprintf(path, sizeof path, "%s/nurse.json", rt_c.dir);
    assert_int_equal(
        cw_cli(&rt_w, out, "record", "get", rt_rid(p, in), "--key", rt_key("nurse"), "--out", path, NULL), 0);
    mc_buf got;
    mc_buf_init(&got, MC_FHIR_MAX_BUNDLE_BYTES);
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_int_equal(mc_file_read(path, &got), MC_OK);
    assert_int_equal(mc_fhir_bundle_entry(p->fb, in, e), MC_OK);
    assert_int_equal(got.n, e->span.n);
    assert_memory_equal(got.p, e->span.p, got.n);
    free(e);
    mc_buf_free(&got);
    /* outside the grant's scope: refused by the gatekeeper (and logged), no key either */
    assert_int_equal(cw_cli(&rt_w, out, "record", "get", rt_rid(p, outside), "--key", rt_key("nurse"), NULL),
                     3);
    assert_int_equal(cw_cli(&rt_w, out, "revoke", grant, "--key", rt_key(p->name), NULL), 0);
    assert_int_equal(cw_cli(&rt_w, out, "record", "get", rt_rid(p, in), "--key", rt_key("nurse"), NULL), 3);
    assert_true(rt_has(out, "DENY_REVOKED"));
    /* the patient's history shows the nurse's reads, permitted and refused */
    assert_int_equal(cw_cli(&rt_w, out, "access-log", "--patient", p->id, "--key", rt_key(p->name), NULL), 0);
    assert_true(rt_has(out, "DENY_REVOKED") && rt_has(out, "PERMIT_GRANT"));
}

/* Patient @p p's own export into @p path: every record decrypted, its DocumentReferences,
 * Consents and AuditEvents. @return the exit code; the counts of what the Bundle holds. */
static int rt_export_one(rt_patient *p, mc_buf *out, const char *path, size_t *docs, size_t *other)
{
    int rc = cw_cli(&rt_w, out, "export", "--patient", p->id, "--key", rt_key(p->name), "--out", path, NULL);
    json_error_t e;
    json_t *b = json_load_file(path, 0, &e), *entry;
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "resourceType")), "Bundle");
    size_t i, consents = 0, audits = 0;
    *docs = *other = 0;
    json_array_foreach(json_object_get(b, "entry"), i, entry)
    {
        const char *t =
            json_string_value(json_object_get(json_object_get(entry, "resource"), "resourceType"));
        assert_non_null(t);
        *docs += !strcmp(t, "DocumentReference");
        consents += !strcmp(t, "Consent");
        audits += !strcmp(t, "AuditEvent");
        *other += strcmp(t, "DocumentReference") && strcmp(t, "Consent") && strcmp(t, "AuditEvent");
    }
    assert_true(consents >= 1);                          /* the grant to the physician */
    assert_true(audits >= json_array_size(p->manifest)); /* at least the physician's reads of every record */
    json_decref(b);
    return rc;
}

/* Every patient's export at the node's default read rates: complete, whatever the chart's size. */
static void rt_export(mc_buf *out)
{
    char path[600];
    snprintf(path, sizeof path, "%s/export.json", rt_c.dir);
    size_t total = 0;
    for (size_t k = 0; k < rt_n; k++) {
        rt_patient *p = &rt_p[k];
        size_t docs, other, n = json_array_size(p->manifest);
        assert_int_equal(rt_export_one(p, out, path, &docs, &other), 0);
        assert_int_equal(docs, n);
        assert_int_equal(other, n); /* every resource, decrypted by the patient */
        total += n;
    }
    fprintf(stderr, "export: %zu patients, %zu records, each chart complete\n", rt_n, total);
}

/* A PHI scan's result must be "nothing found"; a hit is named (which kind of probe, where). */
static void rt_no_phi(int rc, const phi_hit *hit)
{
    if (rc == 1) fprintf(stderr, "PHI found: a %s probe in %s\n", hit->probe->what, hit->file);
    assert_int_equal(rc, 0);
}

/* The resources of patient @p p's bundle that a de-identified release keeps (by type). */
static size_t rt_deid_expected(const rt_patient *p)
{
    size_t n = mc_fhir_bundle_count(p->fb), keep = 0;
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_non_null(e);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(mc_fhir_bundle_entry(p->fb, i, e), MC_OK);
        keep += mc_fhir_deid_type_allowed(e->type) != 0;
    }
    free(e);
    return keep;
}

/* The data steward's de-identified release of @p npat patients into @p path (exit code). */
static int rt_deid_run(mc_buf *out, const char *path, size_t npat)
{
    char *args[64];
    int k = 0;
    args[k++] = "deid";
    args[k++] = "--key";
    args[k++] = (char *)rt_key("steward");
    args[k++] = "--to";
    args[k++] = rt_research;
    args[k++] = "--out";
    args[k++] = (char *)path;
    for (size_t i = 0; i < npat; i++) {
        args[k++] = "--patient";
        args[k++] = rt_p[i].id;
    }
    return cw_cliv(&rt_w, out, args, k);
}

/* Every patient opts in but the last five; the hospital's data steward, who authored none of the
 * records, releases exactly the opted-in charts, complete, with no PHI of anyone. */
static void rt_deid(mc_buf *out, const phi_probes *probes)
{
    char path[600];
    size_t opted = rt_n - 5, want = 0;
    for (size_t i = 0; i < opted; i++) {
        assert_int_equal(cw_cli(&rt_w, out, "grant", "--key", rt_key(rt_p[i].name), "--org", rt_research,
                                "--purpose", "HRESCH", "--actions", "read_deid", "--days", "365", NULL),
                         0);
        want += rt_deid_expected(&rt_p[i]);
    }
    snprintf(path, sizeof path, "%s/deid.json", rt_c.dir);
    assert_int_equal(rt_deid_run(out, path, rt_n), 0);
    assert_true(rt_has(out, "release: committed, OK"));
    char line[64];
    snprintf(line, sizeof line, ": %zu patients, %zu resources", opted, want);
    assert_true(rt_has(out, line));
    json_error_t e;
    json_t *b = json_load_file(path, 0, &e), *entry;
    assert_non_null(b);
    size_t i, patients = 0;
    json_array_foreach(json_object_get(b, "entry"), i, entry) patients += !strcmp(
        json_string_value(json_object_get(json_object_get(entry, "resource"), "resourceType")), "Patient");
    assert_int_equal(patients, opted);
    assert_int_equal(json_array_size(json_object_get(b, "entry")), want);
    json_decref(b);
    phi_hit hit;
    rt_no_phi(phi_scan_file(probes, path, &hit), &hit);
    fprintf(stderr, "deid: %zu opted-in patients, %zu resources, complete\n", opted, want);
}

/* The blob file of record @p rid on the node. */
static void rt_blob_path(const char *rid, char *path, size_t cap)
{
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    assert_int_equal(cw_cli(&rt_w, &out, "record", "show", rid, "--key", rt_key("doc"), "--json", NULL), 0);
    json_t *j = rt_json(&out);
    json_t *rec = json_object_get(j, "record") ? json_object_get(j, "record") : j;
    const char *h = json_string_value(json_object_get(rec, "cipher_hash"));
    assert_non_null(h);
    snprintf(path, cap, "%s/blobs/%.2s/%s", rt_c.data, h, h + 2);
    json_decref(j);
    mc_buf_free(&out);
}

/* A record whose ciphertext is gone from its custodian: the patient's export says so, names it
 * and exits non-zero (the Bundle holds the rest); the steward's release skips and counts it. */
static void rt_partial(mc_buf *out)
{
    rt_patient *p = &rt_p[3];
    const char *rid = rt_rid(p, 2);
    char blob[700], aside[760], path[600];
    rt_blob_path(rid, blob, sizeof blob);
    snprintf(aside, sizeof aside, "%s.aside", blob);
    assert_int_equal(rename(blob, aside), 0);
    snprintf(path, sizeof path, "%s/export-partial.json", rt_c.dir);
    size_t docs, other, n = json_array_size(p->manifest);
    assert_int_equal(rt_export_one(p, out, path, &docs, &other), 1);
    assert_true(rt_has(out, rid));
    assert_true(rt_has(out, "incomplete: 1 of the patient's records could not be read"));
    assert_int_equal(docs, n);
    assert_int_equal(other, n - 1);
    snprintf(path, sizeof path, "%s/deid-partial.json", rt_c.dir);
    assert_int_equal(rt_deid_run(out, path, 4), 0);
    assert_true(rt_has(out, "1 opted-in records could not be read"));
    assert_int_equal(rename(aside, blob), 0);
}

/* A bundle larger than one request (1,000 anchors): ingested in chunks, every record there. */
static void rt_large_bundle(mc_buf *out)
{
    rt_patient *p = &rt_p[3];
    char path[600], got[700];
    mc_buf b;
    mc_buf_init(&b, 8u << 20);
    assert_int_equal(
        mc_buf_append(&b, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[", 54), MC_OK);
    for (int i = 0; i < 1100; i++) {
        char e[200];
        int n = snprintf(
            e, sizeof e,
            "%s{\"resource\":{\"resourceType\":\"Basic\",\"id\":\"b%d\",\"code\":{\"text\":\"n%d\"}}}",
            i ? "," : "", i, i);
        assert_int_equal(mc_buf_append(&b, e, (size_t)n), MC_OK);
    }
    assert_int_equal(mc_buf_append(&b, "]}", 2), MC_OK);
    snprintf(path, sizeof path, "%.256s/large.json", rt_c.dir);
    assert_int_equal(mc_file_write_atomic(path, b.p, b.n, 0600), MC_OK);
    mc_buf_free(&b);
    assert_int_equal(
        cw_cli(&rt_w, out, "ingest", path, "--patient", p->id, "--key", rt_key("doc"), "--json", NULL), 0);
    json_t *m = rt_json(out);
    assert_int_equal(json_array_size(m), 1100);
    const char *last = json_string_value(json_object_get(json_array_get(m, 1099), "record"));
    snprintf(got, sizeof got, "%.256s/large-last.json", rt_c.dir);
    assert_int_equal(cw_cli(&rt_w, out, "record", "get", last, "--key", rt_key("doc"), "--out", got, NULL),
                     0);
    mc_buf r;
    mc_buf_init(&r, 1u << 20);
    assert_int_equal(mc_file_read(got, &r), MC_OK);
    assert_int_equal(mc_buf_cstr(&r), MC_OK);
    assert_string_equal((char *)r.p,
                        "{\"resourceType\":\"Basic\",\"id\":\"b1099\",\"code\":{\"text\":\"n1099\"}}");
    mc_buf_free(&r);
    json_decref(m);
    /* the patient's whole chart, now twice the size of the largest Synthea chart seen outside
     * (583), read at the node's default rates: complete, nothing refused */
    size_t docs, other, n = json_array_size(p->manifest) + 1100;
    snprintf(path, sizeof path, "%.256s/export-large.json", rt_c.dir);
    assert_int_equal(rt_export_one(p, out, path, &docs, &other), 0);
    assert_int_equal(docs, n);
    assert_int_equal(other, n);
    assert_false(rt_has(out, "ETOOMANY"));
    fprintf(stderr, "export of a %zu-record chart at default settings: complete\n", n);
}

/* A forged record: @p pt sealed for record @p rid of patient @p pid under a data key of the
 * forger's choosing (docs/format.md, "Record encryption"), served with its own metadata and the
 * key in a box sealed to the reader @p to: all a lying gatekeeper can make. Appended to @p out. */
static void rt_forge(mc_buf *out, const mc_hash *rid, const mc_id *pid, const mc_id *custodian,
                     const mc_box_pk *to, const char *pt)
{
    uint8_t key[32], nonce[24], salt[32], in[64];
    mc_random(key, 32);
    mc_random(nonce, 24);
    mc_random(salt, 32);
    size_t n = strlen(pt);
    uint8_t *body = malloc(32 + n + 16), *cipher = malloc(1 + 24 + 32 + n + 16);
    assert_non_null(body);
    assert_non_null(cipher);
    memcpy(body, salt, 32);
    memcpy(body + 32, pt, n);
    mc_hash ad;
    memcpy(in, rid->b, 32);
    memcpy(in + 32, pid->b, 32);
    mc_hash_tagged(&ad, "medchain/record-ad", in, 64);
    cipher[0] = 1;
    memcpy(cipher + 1, nonce, 24);
    mc_aead_encrypt(cipher + 25, body, 32 + n, ad.b, 32, nonce, key);
    mc_read_item it;
    memset(&it, 0, sizeof it);
    it.record = *rid;
    it.status = MC_READ_SERVED;
    it.reason = MC_RSN_PERMIT_OWNER;
    it.custodian = *custodian;
    it.patient = *pid;
    it.size = 1 + 24 + 32 + n + 16;
    mc_sha256(&it.cipher_hash, cipher, it.size);
    mc_env_commitment(&it.commitment, salt, pt, n);
    snprintf(it.category, sizeof it.category, "observation");
    it.released = 1;
    it.cipher = (mc_slice){cipher, it.size};
    mc_env_released_key k = {.record = *rid};
    memcpy(k.key, key, 32);
    mc_buf box;
    mc_buf_init(&box, 4096);
    mc_read_response head;
    memset(&head, 0, sizeof head);
    mc_random(head.log_tx.b, 32);
    assert_int_equal(mc_env_release_seal(&box, &k, 1, &head.log_tx, to), MC_OK);
    head.keybox = (mc_slice){box.p, box.n};
    head.n = 2;
    assert_int_equal(mc_read_head_encode(out, &head), MC_OK);
    assert_int_equal(mc_read_item_encode(out, &it), MC_OK);
    mc_random(it.record.b, 32); /* and an answer for a record nobody asked about */
    assert_int_equal(mc_read_item_encode(out, &it), MC_OK);
    mc_buf_free(&box);
    free(body);
    free(cipher);
}

/*
 * A lying gatekeeper: hospital B publishes its gatekeeper at a fake node's URL, its nurse anchors
 * a record of a patient there, and the fake answers with a record it forged, decryptable by the
 * patient with the key it put in the box. The CLI, asked through hospital A's node, takes from it
 * nothing the chain does not vouch for: the record is not read, nothing is written.
 */
static void rt_lying_gatekeeper(mc_buf *out)
{
    fn_server f;
    assert_int_equal(fn_start(&f, "{}", "{}"), MC_OK);
    mc_body_gatekeeper g;
    memset(&g, 0, sizeof g);
    mc_box_sk sk;
    mc_box_keypair(&g.release_pk, &sk);
    g.nurls = 1;
    snprintf(g.urls[0], sizeof g.urls[0], "%s", f.url);
    mc_buf body, tx, resp;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 1u << 20);
    mc_hash id;
    mc_id hospb;
    memcpy(hospb.b, rt_c.clients[1].id.b, 32);
    assert_int_equal(mc_body_gatekeeper_encode(&body, &g), MC_OK);
    assert_int_equal(mc_tx_build(&tx, &id, &rt_c.chain, &hospb, tn_nonce(), MC_TX_ORG_GATEKEEPER, body.p,
                                 body.n, &rt_c.clients[1].sign_sk),
                     MC_OK);
    mc_http *h = tn_client(&rt_c, &rt_c.org);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &resp), 200);
    assert_true(tn_tx_committed(h, &id));
    mc_http_free(h);
    /* a record of patient 0 held by hospital B (metadata only: the fake serves the bytes) */
    rt_patient *p = &rt_p[0];
    char file[600], got[600];
    snprintf(file, sizeof file, "%s/b-record.txt", rt_c.dir);
    snprintf(got, sizeof got, "%s/b-record.out", rt_c.dir);
    assert_int_equal(mc_file_write_atomic(file, "held by b", 9, 0600), MC_OK);
    assert_int_equal(cw_cli(&rt_w, out, "record", "anchor", "--key", rt_key("nurse"), "--patient", p->id,
                            "--category", "observation", "--file", file, NULL),
                     0);
    const char *at = strstr((const char *)out->p, "record ");
    assert_non_null(at);
    char rid[65];
    memcpy(rid, at + 7, 64);
    rid[64] = 0;
    mc_keys pk;
    char kp[600];
    assert_int_equal(mc_keyfile_read(cw_key(&rt_w, p->name, kp, sizeof kp), "test-passphrase", &pk), MC_OK);
    mc_box_pk to;
    mc_box_sk_to_pk(&to, &pk.box_sk);
    mc_hash r;
    mc_id pid;
    assert_int_equal(mc_hex_decode(r.b, 32, rid, 64), MC_OK);
    memcpy(pid.b, pk.id.b, 32);
    mc_buf forged;
    mc_buf_init(&forged, 1u << 20);
    rt_forge(&forged, &r, &pid, &hospb, &to, "{\"resourceType\":\"Observation\",\"status\":\"forged\"}");
    fn_set_reads(&f, forged.p, forged.n);
    assert_int_equal(cw_cli(&rt_w, out, "record", "get", rid, "--key", rt_key(p->name), "--out", got, NULL),
                     1);
    assert_true(fn_served(&f) >= 1); /* it was asked, at the URL hospital B published */
    assert_true(rt_has(out, "did not match the chain"));
    assert_int_not_equal(mc_file_read(got, &forged), MC_OK); /* nothing written */
    mc_wipe(&pk, sizeof pk);
    mc_buf_free(&forged);
    mc_buf_free(&body);
    mc_buf_free(&tx);
    mc_buf_free(&resp);
    fn_stop(&f);
}

/* One byte flipped in a stored ciphertext: not served, and the reason given. */
static void rt_flip(mc_buf *out)
{
    rt_patient *p = &rt_p[2];
    const char *rid = rt_rid(p, 0);
    char path[700];
    rt_blob_path(rid, path, sizeof path);
    mc_buf blob;
    mc_buf_init(&blob, 64u << 20);
    assert_int_equal(mc_file_read(path, &blob), MC_OK);
    blob.p[blob.n / 2] ^= 0x01;
    assert_int_equal(mc_file_write_atomic(path, blob.p, blob.n, 0600), MC_OK);
    mc_buf_free(&blob);
    assert_int_not_equal(cw_cli(&rt_w, out, "record", "get", rid, "--key", rt_key("doc"), NULL), 0);
    assert_true(rt_has(out, "ECORRUPT"));
    assert_true(rt_has(out, "does not match"));
}

static void test_records(void **state)
{
    (void)state;
    tn_chain *c = &rt_c;
    mc_buf out;
    mc_buf_init(&out, 64u << 20);
    rt_find_bundles();
    /* hospital A (the node's org), a research institute and hospital B */
    assert_int_equal(tn_create(c, 2, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_set_org_type(c, 1, "research"), MC_OK);
    assert_int_equal(tn_start(c, NULL), MC_OK); /* default settings: a whole chart reads at once */
    assert_int_equal(cw_open(&rt_w, c), 0);
    assert_int_equal(cw_org_key(&rt_w, "hosp", &c->org), 0);
    assert_int_equal(cw_org_key(&rt_w, "research", &c->clients[0]), 0);
    assert_int_equal(cw_org_key(&rt_w, "hospb", &c->clients[1]), 0);
    mc_hex_encode(rt_research, c->clients[0].id.b, 32);
    assert_int_equal(cw_keygen(&rt_w, &out, "doc", "provider", rt_doc), 0);
    assert_int_equal(cw_enrol(&rt_w, &out, "hosp", "doc", "role=physician", 0), 0);
    assert_int_equal(cw_keygen(&rt_w, &out, "nurse", "provider", rt_nurse), 0);
    assert_int_equal(cw_enrol(&rt_w, &out, "hospb", "nurse", "role=nurse", 0), 0); /* another hospital's */
    char steward[65]; /* the hospital's data steward: authors nothing */
    assert_int_equal(cw_keygen(&rt_w, &out, "steward", "provider", steward), 0);
    assert_int_equal(cw_enrol(&rt_w, &out, "hosp", "steward", "role=steward", 0), 0);

    phi_probes *probes = phi_probes_new();
    assert_non_null(probes);
    for (size_t i = 0; i < rt_n; i++) {
        rt_patient *p = &rt_p[i];
        size_t pi;
        mc_fhir_entry *e = malloc(sizeof *e);
        assert_int_equal(mc_fhir_bundle_patient(p->fb, &pi), MC_OK);
        assert_int_equal(mc_fhir_bundle_entry(p->fb, pi, e), MC_OK);
        assert_int_equal(phi_probes_add_patient(probes, e->resource), 0);
        free(e);
        assert_int_equal(cw_keygen(&rt_w, &out, p->name, "patient", p->id), 0);
        assert_int_equal(cw_enrol(&rt_w, &out, "hosp", p->name, NULL, 1), 0);
        assert_int_equal(cw_cli(&rt_w, &out, "grant", "--key", rt_key(p->name), "--to", rt_doc, "--purpose",
                                "TREAT,HOPERAT", "--days", "30", "--share-search-key", NULL),
                         0);
        rt_ingest_and_check(p, &out);
    }
    rt_search(&out);
    rt_scoped_grant(&out);
    rt_export(&out);
    rt_deid(&out, probes);
    rt_partial(&out);
    rt_large_bundle(&out);

    /* nothing identifying anywhere the node writes */
    char log[6000];
    phi_hit hit;
    snprintf(log, sizeof log, "%s/medchaind.log", c->dir);
    rt_no_phi(phi_scan_tree(probes, c->data, &hit), &hit);
    rt_no_phi(phi_scan_file(probes, log, &hit), &hit);
    fprintf(stderr, "PHI scan: %zu probes, none found in %s or the node's log\n", phi_probes_count(probes),
            c->data);

    rt_lying_gatekeeper(&out);
    rt_flip(&out);
    phi_probes_free(probes);
    for (size_t i = 0; i < rt_n; i++) {
        json_decref(rt_p[i].manifest);
        mc_fhir_bundle_free(rt_p[i].fb);
        mc_buf_free(&rt_p[i].bundle);
    }
    mc_buf_free(&out);
    assert_int_equal(tn_kill(c, SIGTERM), 0);
    tn_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_records)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
