/* Bundles of type collection or searchset around resources (fhir.h, mc_fhir_bundle_build). */
#include <string.h>

#include "fhir_internal.h"

static int mc_fhir_bundle_type_ok(const char *type)
{
    return type && (strcmp(type, "collection") == 0 || strcmp(type, "searchset") == 0);
}

static int mc_fhir_is_resource(const json_t *r)
{
    return json_is_object(r) && mc_fhir_type_ok(json_string_value(json_object_get(r, "resourceType")));
}

/* Appends one entry holding @p res (stolen). */
static int mc_fhir_bundle_add(json_t *entries, int searchset, json_t *res)
{
    json_t *e = json_pack("{s:o}", "resource", res);
    if (e && searchset && mc_fhir_set(e, "search", json_pack("{s:s}", "mode", "match")) != MC_OK) {
        json_decref(e);
        return MC_ENOMEM;
    }
    return mc_fhir_push(entries, e);
}

/* A Bundle of @p type with an empty entry array in @p *entries (borrowed). */
static json_t *mc_fhir_bundle_new(const char *type, json_t **entries)
{
    json_t *b = json_pack("{s:s,s:s,s:[]}", "resourceType", "Bundle", "type", type, "entry");
    *entries = json_object_get(b, "entry");
    return b;
}

static int mc_fhir_bundle_done(json_t **out, json_t *b, int searchset, int rc)
{
    if (rc == MC_OK && searchset)
        rc = mc_fhir_set(b, "total", json_integer((json_int_t)json_array_size(json_object_get(b, "entry"))));
    if (rc != MC_OK) {
        json_decref(b);
        return rc;
    }
    *out = b;
    return MC_OK;
}

int mc_fhir_bundle_build(json_t **out, const char *type, const mc_slice *spans, size_t n)
{
    if (!out) return MC_EINVAL;
    *out = NULL;
    if (!mc_fhir_bundle_type_ok(type) || (!spans && n)) return MC_EINVAL;
    if (n > MC_FHIR_MAX_ENTRIES) return MC_ETOOBIG;
    json_t *entries, *b = mc_fhir_bundle_new(type, &entries);
    if (!b) return MC_ENOMEM;
    int searchset = type[0] == 's', rc = MC_OK;
    for (size_t i = 0; rc == MC_OK && i < n; i++) {
        json_error_t jerr;
        json_t *r = spans[i].n
                        ? json_loadb((const char *)spans[i].p, spans[i].n, JSON_REJECT_DUPLICATES, &jerr)
                        : NULL;
        if (!mc_fhir_is_resource(r)) {
            json_decref(r);
            rc = MC_EINVAL;
            break;
        }
        rc = mc_fhir_bundle_add(entries, searchset, r);
    }
    return mc_fhir_bundle_done(out, b, searchset, rc);
}

int mc_fhir_bundle_wrap(json_t **out, const char *type, const json_t *resources)
{
    if (!out) return MC_EINVAL;
    *out = NULL;
    if (!mc_fhir_bundle_type_ok(type) || !json_is_array(resources)) return MC_EINVAL;
    if (json_array_size(resources) > MC_FHIR_MAX_ENTRIES) return MC_ETOOBIG;
    json_t *entries, *b = mc_fhir_bundle_new(type, &entries);
    if (!b) return MC_ENOMEM;
    int searchset = type[0] == 's', rc = MC_OK;
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        if (!mc_fhir_is_resource(r)) {
            rc = MC_EINVAL;
            break;
        }
        json_t *copy = json_deep_copy(r);
        if ((rc = copy ? mc_fhir_bundle_add(entries, searchset, copy) : MC_ENOMEM) != MC_OK) break;
    }
    return mc_fhir_bundle_done(out, b, searchset, rc);
}
