/*
 * Parsing a Bundle for ingest: jansson for the values, the scanner (span.c) for the bytes,
 * then the checks of fhir.h (mc_fhir_bundle_parse) on every entry. Entries are described on
 * demand (mc_fhir_bundle_entry): a 64 MiB bundle may have a great many small entries.
 */
#include <stdlib.h>
#include <string.h>

#include "fhir_internal.h"

struct mc_fhir_bundle {
    json_t *root;
    const char *type;
    json_t *entries; /* borrowed from root; NULL when the bundle has none */
    mc_fhir_spans spans;
    size_t npatients;
    size_t patient; /* index of the Patient when npatients == 1 */
};

static const char *const mc_fhir_bundle_types[] = {
    "document",       "message", "transaction", "transaction-response", "batch",
    "batch-response", "history", "searchset",   "collection",
};

static int mc_fhir_refuse(mc_fhir_error *err, const char *what, size_t entry, int rc)
{
    if (err) {
        err->what = what;
        err->entry = entry;
    }
    return rc;
}

/* The checks of one entry (fhir.h). @return NULL or why it is refused. */
static const char *mc_fhir_check_entry(const json_t *entry, mc_slice span)
{
    if (!json_is_object(entry)) return "entry is not an object";
    const json_t *res = json_object_get(entry, "resource");
    if (!res) return "entry without resource";
    if (!json_is_object(res)) return "resource is not an object";
    const json_t *type = json_object_get(res, "resourceType");
    if (!type) return "resource without resourceType";
    if (!mc_fhir_type_ok(json_string_value(type))) return "resourceType is not a FHIR type name";
    const json_t *id = json_object_get(res, "id");
    if (id && !mc_fhir_id_ok(json_string_value(id))) return "resource id is not a FHIR id";
    const json_t *url = json_object_get(entry, "fullUrl");
    if (url && (!json_is_string(url) || json_string_length(url) == 0 ||
                json_string_length(url) > MC_FHIR_MAX_FULL_URL))
        return "fullUrl is not a string of 1..1024 bytes";
    if (!span.p || span.n < 2 || span.p[0] != '{') return "scanner and parser disagree on the resource";
    return NULL;
}

static int mc_fhir_bundle_check(mc_fhir_bundle *b, const uint8_t *p, size_t n, mc_fhir_error *err)
{
    const json_t *root = b->root;
    if (!json_is_object(root)) return mc_fhir_refuse(err, "not a JSON object", SIZE_MAX, MC_EINVAL);
    const char *rt = json_string_value(json_object_get(root, "resourceType"));
    if (!rt || strcmp(rt, "Bundle") != 0) return mc_fhir_refuse(err, "not a Bundle", SIZE_MAX, MC_EINVAL);
    const char *type = json_string_value(json_object_get(root, "type"));
    for (size_t i = 0; type && i < MC_ARRAY_LEN(mc_fhir_bundle_types); i++)
        if (strcmp(type, mc_fhir_bundle_types[i]) == 0) b->type = mc_fhir_bundle_types[i];
    if (!b->type) return mc_fhir_refuse(err, "Bundle.type missing or unknown", SIZE_MAX, MC_EINVAL);
    json_t *entries = json_object_get(root, "entry");
    if (entries && !json_is_array(entries))
        return mc_fhir_refuse(err, "entry is not an array", SIZE_MAX, MC_EINVAL);
    size_t count = json_array_size(entries);
    if (count > MC_FHIR_MAX_ENTRIES) return mc_fhir_refuse(err, "too many entries", SIZE_MAX, MC_ETOOBIG);

    const char *why = NULL;
    int rc = mc_fhir_scan_entries(p, n, &b->spans, &why);
    if (rc != MC_OK) return mc_fhir_refuse(err, why, SIZE_MAX, rc);
    if (b->spans.n != count)
        return mc_fhir_refuse(err, "scanner and parser disagree on the entries", SIZE_MAX, MC_EINVAL);
    b->entries = entries;
    for (size_t i = 0; i < count; i++) {
        const json_t *entry = json_array_get(entries, i);
        why = mc_fhir_check_entry(entry, b->spans.a[i]);
        if (why) return mc_fhir_refuse(err, why, i, MC_EINVAL);
        const char *t =
            json_string_value(json_object_get(json_object_get(entry, "resource"), "resourceType"));
        if (strcmp(t, "Patient") == 0 && b->npatients++ == 0) b->patient = i;
    }
    return MC_OK;
}

int mc_fhir_bundle_parse(mc_fhir_bundle **pp, const uint8_t *p, size_t n, mc_fhir_error *err)
{
    if (err) {
        err->what = NULL;
        err->entry = SIZE_MAX;
    }
    if (!pp) return mc_fhir_refuse(err, "bad argument", SIZE_MAX, MC_EINVAL);
    *pp = NULL;
    if (!p && n) return mc_fhir_refuse(err, "bad argument", SIZE_MAX, MC_EINVAL);
    if (n > MC_FHIR_MAX_BUNDLE_BYTES) return mc_fhir_refuse(err, "bundle over 64 MiB", SIZE_MAX, MC_ETOOBIG);
    if (n == 0) return mc_fhir_refuse(err, "not valid JSON", SIZE_MAX, MC_EINVAL);

    mc_fhir_bundle *b = calloc(1, sizeof *b);
    if (!b) return mc_fhir_refuse(err, "out of memory", SIZE_MAX, MC_ENOMEM);
    json_error_t jerr;
    b->root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
    int rc;
    if (!b->root)
        rc = mc_fhir_refuse(
            err, json_error_code(&jerr) == json_error_out_of_memory ? "out of memory" : "not valid JSON",
            SIZE_MAX, json_error_code(&jerr) == json_error_out_of_memory ? MC_ENOMEM : MC_EINVAL);
    else
        rc = mc_fhir_bundle_check(b, p, n, err);
    if (rc != MC_OK) {
        mc_fhir_bundle_free(b);
        return rc;
    }
    *pp = b;
    return MC_OK;
}

void mc_fhir_bundle_free(mc_fhir_bundle *b)
{
    if (!b) return;
    json_decref(b->root);
    mc_fhir_spans_free(&b->spans);
    free(b);
}

const char *mc_fhir_bundle_type(const mc_fhir_bundle *b)
{
    return b ? b->type : NULL;
}

size_t mc_fhir_bundle_count(const mc_fhir_bundle *b)
{
    return b ? b->spans.n : 0;
}

const json_t *mc_fhir_bundle_json(const mc_fhir_bundle *b)
{
    return b ? b->root : NULL;
}

int mc_fhir_bundle_entry(const mc_fhir_bundle *b, size_t i, mc_fhir_entry *out)
{
    if (!out) return MC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!b || i >= b->spans.n) return MC_EINVAL;
    const json_t *entry = json_array_get(b->entries, i);
    int rc = mc_fhir_resource_describe(out, json_object_get(entry, "resource"));
    if (rc != MC_OK) return rc;
    out->index = i;
    out->span = b->spans.a[i];
    out->full_url = json_string_value(json_object_get(entry, "fullUrl"));
    out->is_patient = b->npatients == 1 && b->patient == i;
    return MC_OK;
}

int mc_fhir_bundle_patient(const mc_fhir_bundle *b, size_t *index)
{
    if (!b) return MC_EINVAL;
    if (b->npatients == 0) return MC_ENOTFOUND;
    if (b->npatients > 1) return MC_EINVAL;
    if (index) *index = b->patient;
    return MC_OK;
}

/* 1 if @p ref is @p prefix followed by exactly @p id. */
static int mc_fhir_ref_is(const char *ref, const char *prefix, const char *id)
{
    size_t np = strlen(prefix);
    return strncmp(ref, prefix, np) == 0 && strcmp(ref + np, id) == 0;
}

int mc_fhir_bundle_is_patient_ref(const mc_fhir_bundle *b, const char *ref)
{
    if (!b || !ref || b->npatients != 1) return 0;
    const json_t *entry = json_array_get(b->entries, b->patient);
    const char *url = json_string_value(json_object_get(entry, "fullUrl"));
    const char *id = json_string_value(json_object_get(json_object_get(entry, "resource"), "id"));
    if (url && strcmp(ref, url) == 0) return 1;
    if (!id) return 0;
    if (mc_fhir_ref_is(ref, "urn:uuid:", id) || mc_fhir_ref_is(ref, "Patient/", id)) return 1;
    /* an absolute URL: "<scheme>://.../Patient/<id>" */
    const char *slash = strrchr(ref, '/');
    if (!strstr(ref, "://") || !slash || slash - ref < 8) return 0;
    return memcmp(slash - 8, "/Patient", 8) == 0 && strcmp(slash + 1, id) == 0;
}
