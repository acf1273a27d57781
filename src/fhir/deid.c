/*
 * HIPAA Safe Harbor de-identification of one patient's resources (fhir.h, mc_fhir_deid).
 *
 * Two passes. The first decides what is released (the type allow-list below) and gives each
 * released resource its new id, so that the second, which rewrites every element
 * (deid_walk.c), can point references at released resources and remove every other one.
 *
 * The allow-list is clinical: demographics reduced to the Patient, and the resources a
 * researcher analyses. Claim, ExplanationOfBenefit, Coverage and the like are financial and
 * carry account and plan numbers (identifiers 10 and 11); Organization, Practitioner,
 * Location and the like describe people and places, not the patient's health, and would
 * narrow the patient's geography below a state; anything not listed is dropped because it
 * has not been reviewed.
 *
 * Ages over 89 (164.514(b)(2)(i)(C)): decided by years alone (release year minus birth year
 * of 90 or more), which groups some patients of 89 too: the birth year itself is "indicative
 * of" the age, and a day-exact rule would need the birth date the export must not show. Dates
 * "indicative of such age" go as well: for a grouped patient, every date more than 89 years
 * before the release year (any resource, any element) is removed, since an event in 1930
 * says the patient is at least release year - 1930 years old.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fhir_internal.h"

static const char *const mc_fhir_deid_types[] = {
    "Patient",           "Observation",      "Condition", "Procedure", "Immunization",
    "MedicationRequest", "DiagnosticReport", "Encounter", "CarePlan",  "AllergyIntolerance",
};

#define MC_FHIR_DEID_ID_BYTES 16 /* new ids: 32 hex digits, no dashes (they must not look like UUIDs) */

int mc_fhir_deid_type_allowed(const char *type)
{
    for (size_t i = 0; type && i < MC_ARRAY_LEN(mc_fhir_deid_types); i++)
        if (strcmp(type, mc_fhir_deid_types[i]) == 0) return 1;
    return 0;
}

/* One input resource. */
typedef struct {
    const json_t *res;
    const char *type;
    const char *id;       /* or NULL */
    const char *full_url; /* or NULL */
    char new_id[MC_FHIR_MAX_ID + 1];
} mc_fhir_deid_item;

static int mc_fhir_pseudonym_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 16 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* Collects the resources of @p in (an array of resources, or a Bundle). */
static int mc_fhir_deid_collect(const json_t *in, mc_fhir_deid_item **pitems, size_t *pn)
{
    const json_t *list = in;
    int bundle = 0;
    if (json_is_object(in)) {
        const char *rt = json_string_value(json_object_get(in, "resourceType"));
        if (!rt || strcmp(rt, "Bundle") != 0) return MC_EINVAL;
        list = json_object_get(in, "entry");
        if (list && !json_is_array(list)) return MC_EINVAL;
        bundle = 1;
    } else if (!json_is_array(in)) {
        return MC_EINVAL;
    }
    size_t n = json_array_size(list), npatients = 0;
    if (n > MC_FHIR_MAX_ENTRIES) return MC_ETOOBIG;
    mc_fhir_deid_item *items = calloc(n ? n : 1, sizeof *items);
    if (!items) return MC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(list, i), *res = bundle ? json_object_get(x, "resource") : x;
        mc_fhir_deid_item *it = &items[i];
        it->res = res;
        it->type = json_string_value(json_object_get(res, "resourceType"));
        const json_t *id = json_object_get(res, "id");
        it->id = json_string_value(id);
        it->full_url = bundle ? json_string_value(json_object_get(x, "fullUrl")) : NULL;
        if (!json_is_object(res) || !mc_fhir_type_ok(it->type) || (id && !mc_fhir_id_ok(it->id)) ||
            (strcmp(it->type, "Patient") == 0 && ++npatients > 1)) {
            free(items);
            return MC_EINVAL;
        }
    }
    *pitems = items;
    *pn = n;
    return MC_OK;
}

/* Maps @p from to @p to in the reference table. */
static int mc_fhir_deid_map(json_t *refs, const char *from, const char *to)
{
    return json_object_set_new(refs, from, json_string(to)) == 0 ? MC_OK : MC_ENOMEM;
}

/* Pass one: new ids and the reference table for every released resource. */
static int mc_fhir_deid_plan(mc_fhir_deid_ctx *ctx, mc_fhir_deid_item *items, size_t n)
{
    const mc_fhir_deid_opts *o = ctx->opts;
    int rc = MC_OK;
    for (size_t i = 0; rc == MC_OK && i < n; i++) {
        mc_fhir_deid_item *it = &items[i];
        if (!mc_fhir_deid_type_allowed(it->type)) continue;
        if (strcmp(it->type, "Patient") == 0) {
            snprintf(it->new_id, sizeof it->new_id, "%s", o->pseudonym);
        } else {
            uint8_t r[MC_FHIR_DEID_ID_BYTES];
            if (o->rand)
                o->rand(o->rand_ctx, r, sizeof r);
            else
                mc_random(r, sizeof r);
            mc_hex_encode(it->new_id, r, sizeof r);
        }
        char to[MC_FHIR_MAX_TYPE + MC_FHIR_MAX_ID + 2], from[MC_FHIR_MAX_TYPE + MC_FHIR_MAX_ID + 16];
        snprintf(to, sizeof to, "%s/%s", it->type, it->new_id);
        if (it->id) {
            snprintf(from, sizeof from, "urn:uuid:%s", it->id);
            rc = mc_fhir_deid_map(ctx->refs, from, to);
            snprintf(from, sizeof from, "%s/%s", it->type, it->id);
            if (rc == MC_OK) rc = mc_fhir_deid_map(ctx->refs, from, to);
        }
        if (rc == MC_OK && it->full_url) rc = mc_fhir_deid_map(ctx->refs, it->full_url, to);
    }
    return rc;
}

const char *mc_fhir_deid_ref(const mc_fhir_deid_ctx *ctx, const char *ref)
{
    if (!ref) return NULL;
    const char *to = json_string_value(json_object_get(ctx->refs, ref));
    if (to || !strstr(ref, "://")) return to;
    /* an absolute URL "<base>/<Type>/<id>[/_history/<v>]": by its type and id */
    char tail[MC_FHIR_MAX_TYPE + MC_FHIR_MAX_ID + 2];
    size_t n = strlen(ref);
    const char *hist = strstr(ref, "/_history/");
    if (hist) n = (size_t)(hist - ref);
    size_t slashes = 0, start = n;
    while (start > 0 && slashes < 2)
        if (ref[--start] == '/') slashes++;
    if (slashes < 2 || n - start - 1 >= sizeof tail) return NULL;
    memcpy(tail, ref + start + 1, n - start - 1);
    tail[n - start - 1] = 0;
    return json_string_value(json_object_get(ctx->refs, tail));
}

static int mc_fhir_year_of_ms(uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    return gmtime_r(&t, &tm) ? tm.tm_year + 1900 : 0;
}

/*
 * Ages over 89, decided once for the release: the patient is grouped if born 90 or more years
 * before the release year; then every date before the year the patient turned 90 or so goes
 * too (an event in year Y says the patient is at least release year - Y old).
 */
static void mc_fhir_deid_age_plan(mc_fhir_deid_ctx *ctx, const mc_fhir_deid_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i].type, "Patient") != 0) continue;
        int by = mc_fhir_date_year(json_string_value(json_object_get(items[i].res, "birthDate")));
        int ry = mc_fhir_year_of_ms(ctx->opts->release_time_ms);
        if (by == 0 || ry - by < 90) return;
        ctx->grouped = 1;
        ctx->year_floor = ry - 89;
    }
}

/* The grouped Patient: the birth date goes and the group is said instead. */
static int mc_fhir_deid_age(json_t *out)
{
    json_object_del(out, "birthDate");
    json_t *ext = json_object_get(out, "extension");
    if (!ext) {
        if (mc_fhir_set(out, "extension", json_array()) != MC_OK) return MC_ENOMEM;
        ext = json_object_get(out, "extension");
    }
    return mc_fhir_push(ext, json_pack("{s:s,s:s}", "url", MC_FHIR_EXT_AGE_GROUP, "valueString", "90+"));
}

/* Pass two for one released resource: appended to @p arr unless it carries a modifier extension. */
static int mc_fhir_deid_one(mc_fhir_deid_ctx *ctx, const mc_fhir_deid_item *it, json_t *arr)
{
    static const char *const skip[] = {"resourceType", NULL};
    json_t *o =
        json_pack("{s:s,s:s,s:{s:[{s:s,s:s,s:s}]}}", "resourceType", it->type, "id", it->new_id, "meta",
                  "security", "system", MC_FHIR_SYS_OBS_VALUE, "code", "PSEUDED", "display", "pseudonymized");
    if (!o) return MC_ENOMEM;
    ctx->modifier = 0;
    int rc = mc_fhir_deid_members(ctx, o, it->res, 1, skip);
    if (rc == MC_OK && ctx->grouped && strcmp(it->type, "Patient") == 0) rc = mc_fhir_deid_age(o);
    if (rc != MC_OK || ctx->modifier) {
        json_decref(o);
        return rc;
    }
    return mc_fhir_push(arr, o);
}

int mc_fhir_deid(json_t **out, const json_t *in, const mc_fhir_deid_opts *opts)
{
    if (!out) return MC_EINVAL;
    *out = NULL;
    char check[32];
    if (!opts || !mc_fhir_pseudonym_ok(opts->pseudonym) || opts->release_time_ms == 0 ||
        mc_fhir_instant(check, opts->release_time_ms) != MC_OK)
        return MC_EINVAL;
    mc_fhir_deid_item *items = NULL;
    size_t n = 0;
    int rc = mc_fhir_deid_collect(in, &items, &n);
    if (rc != MC_OK) return rc;
    mc_fhir_deid_ctx ctx = {opts, json_object(), MC_OK, 0, 0, 0};
    mc_fhir_deid_age_plan(&ctx, items, n);
    json_t *arr = json_array();
    rc = ctx.refs && arr ? mc_fhir_deid_plan(&ctx, items, n) : MC_ENOMEM;
    for (size_t i = 0; rc == MC_OK && i < n; i++)
        if (mc_fhir_deid_type_allowed(items[i].type)) rc = mc_fhir_deid_one(&ctx, &items[i], arr);
    json_decref(ctx.refs);
    free(items);
    if (rc != MC_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return MC_OK;
}
