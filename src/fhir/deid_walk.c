/*
 * The element rules of Safe Harbor de-identification (fhir.h, mc_fhir_deid), applied to
 * every element of a resource without a schema: by element name (FHIR names are stable across
 * resource types: "identifier", "telecom", "address" mean the same everywhere) and by value
 * shape (a date is a date wherever it sits). Unknown elements are walked, not trusted: any
 * string in them that looks like a date or an id is removed too.
 *
 * Removal wins every tie: an element that cannot be made safe is dropped, and an object or
 * array left empty by drops is dropped with it, so no husk ({}, []) reveals what was there.
 */
#include <stdlib.h>
#include <string.h>

#include "fhir_internal.h"

/*
 * Removed wherever they appear. Names and contact data (18 identifiers: 1, 4-6, 14, 15),
 * identifiers of every kind (7-13, 18), free text that may hold any of them (narrative,
 * notes, descriptions, CodeableConcept.text, string values), attachments and photos (17),
 * contained resources (which could be anything), device serials (13), instants (which cannot
 * be cut to a year and stay valid), meta (lastUpdated, source, tags) and element ids.
 */
static const char *const mc_fhir_deid_drop[] = {
    "identifier",
    "name",
    "telecom",
    "contact",
    "photo",
    "link",
    "text",
    "note",
    "comment",
    "description",
    "patientInstruction",
    "valueString",
    "valueMarkdown",
    "valueAnnotation",
    "valueAttachment",
    "valueUri",
    "valueUrl",
    "valueUuid",
    "valueOid",
    "valueId",
    "valueIdentifier",
    "valueHumanName",
    "valueContactPoint",
    "valueSignature",
    "signature",
    "presentedForm",
    "contained",
    "lotNumber",
    "serialNumber",
    "udiCarrier",
    "issued",
    "lastUpdated",
    "implicitRules",
    "meta",
    "id",
    "conclusion", /* free text of a DiagnosticReport */
    "title",      /* of a CarePlan, a Composition: written by a person */
    "summary",
    "author",
};

/* Code systems whose Coding display is terminology text (kept); any other system's display
 * may be anything a person typed, so it goes. */
static const char *const mc_fhir_deid_terminologies[] = {
    "http://loinc.org",
    "http://snomed.info/sct",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://hl7.org/fhir/sid/cvx",
    "http://unitsofmeasure.org",
    "urn:ietf:bcp:47",
    "urn:oid:2.16.840.1.113883.6.238", /* CDC race and ethnicity */
};

/* LOINC codes of an Observation whose value is the patient's age. */
static const char *const mc_fhir_deid_age_codes[] = {"30525-0", "21612-7", "29553-5"};

/* Extensions released (US Core demographics); their sub-extensions have relative urls. */
static const char *const mc_fhir_deid_ext_keep[] = {
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
};

/* Elements whose value must be a date: if it is not one it cannot be cut, so it goes. */
static const char *const mc_fhir_deid_date_keys[] = {"date",       "start",   "end",
                                                     "authoredOn", "created", "recorded"};

static int mc_fhir_in(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, list[i]) == 0) return 1;
    return 0;
}

/* 1 if @p coding's system is a terminology (its display is not free text). */
static int mc_fhir_terminology(const json_t *coding)
{
    const char *sys = json_string_value(json_object_get(coding, "system"));
    if (!sys) return 0;
    if (strncmp(sys, "http://terminology.hl7.org/CodeSystem/", 38) == 0 ||
        strncmp(sys, "http://hl7.org/fhir/", 20) == 0)
        return 1;
    return mc_fhir_in(sys, mc_fhir_deid_terminologies, MC_ARRAY_LEN(mc_fhir_deid_terminologies));
}

/* 1 if the object @p in (an Observation) says its value is an age (a LOINC age code). */
static int mc_fhir_is_age_observation(const json_t *in)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(in, "code"), "coding"), i, c)
    {
        const char *sys = json_string_value(json_object_get(c, "system"));
        const char *code = json_string_value(json_object_get(c, "code"));
        if (sys && code && !strcmp(sys, "http://loinc.org") &&
            mc_fhir_in(code, mc_fhir_deid_age_codes, MC_ARRAY_LEN(mc_fhir_deid_age_codes)))
            return 1;
    }
    return 0;
}

/* 1 if element @p key is free text by its name: a string or markdown choice (onsetString,
 * performedString, authorString, ...). */
static int mc_fhir_free_text_key(const char *key)
{
    size_t n = strlen(key);
    return (n > 6 && strcmp(key + n - 6, "String") == 0) || (n > 8 && strcmp(key + n - 8, "Markdown") == 0);
}

static int mc_fhir_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/*
 * A FHIR element name: [a-z][A-Za-z0-9]{0,63}. Anything else ("_x" primitive extensions, or a
 * key no FHIR resource has, which could hold anything) goes with its value.
 */
static int mc_fhir_element_name_ok(const char *key)
{
    if (!(key[0] >= 'a' && key[0] <= 'z')) return 0;
    for (size_t i = 1; key[i]; i++) {
        char c = key[i];
        if (i >= MC_FHIR_MAX_ID ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static int mc_fhir_date_key(const char *key)
{
    return mc_fhir_ends_with(key, "Date") || mc_fhir_ends_with(key, "DateTime") ||
           mc_fhir_ends_with(key, "Instant") ||
           mc_fhir_in(key, mc_fhir_deid_date_keys, MC_ARRAY_LEN(mc_fhir_deid_date_keys));
}

static json_t *mc_fhir_deid_value(mc_fhir_deid_ctx *ctx, const char *key, const json_t *v, unsigned depth);

/* Sets ctx->rc once; returns NULL so callers can `return mc_fhir_deid_fail(...)`. */
static json_t *mc_fhir_deid_fail(mc_fhir_deid_ctx *ctx, int rc)
{
    if (ctx->rc == MC_OK) ctx->rc = rc;
    return NULL;
}

/* 1 if @p v is an empty object or array: a husk left by removals. */
static int mc_fhir_husk(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) || (json_is_array(v) && json_array_size(v) == 0);
}

/*
 * A date is cut to its year (and goes if it is before the year floor of a patient over 89); a
 * string that only looks like it holds a date or an id goes.
 */
static json_t *mc_fhir_deid_string(const mc_fhir_deid_ctx *ctx, const char *key, const json_t *v)
{
    const char *s = json_string_value(v);
    if (mc_fhir_is_date(s)) {
        if (mc_fhir_date_year(s) < ctx->year_floor) return NULL;
        char year[5];
        memcpy(year, s, 4);
        year[4] = 0;
        return json_string(year);
    }
    if (mc_fhir_date_key(key) || mc_fhir_has_date_shape(s) || mc_fhir_has_uuid(s)) return NULL;
    return json_copy((json_t *)v);
}

/* An Age (Quantity) over 89 years goes; other units are not years. */
static int mc_fhir_age_over_89(const json_t *age)
{
    static const char *const not_years[] = {"mo", "wk", "d", "h", "min", "s"};
    const json_t *value = json_object_get(age, "value");
    const char *code = json_string_value(json_object_get(age, "code"));
    if (!json_is_number(value) || json_number_value(value) <= 89) return 0;
    return !(code && mc_fhir_in(code, not_years, MC_ARRAY_LEN(not_years)));
}

/* A Reference: rewritten to the pseudonym or a released resource's new id, else removed. */
static json_t *mc_fhir_deid_reference(mc_fhir_deid_ctx *ctx, const json_t *v)
{
    const char *to = mc_fhir_deid_ref(ctx, json_string_value(json_object_get(v, "reference")));
    if (!to) return NULL;
    json_t *out = json_pack("{s:s}", "reference", to);
    const char *type = json_string_value(json_object_get(v, "type"));
    if (out && type && mc_fhir_type_ok(type) && json_object_set_new(out, "type", json_string(type)) != 0) {
        json_decref(out);
        out = NULL;
    }
    return out ? out : mc_fhir_deid_fail(ctx, MC_ENOMEM);
}

static int mc_fhir_deid_ext_kept(const json_t *ext, int in_ext)
{
    const char *url = json_string_value(json_object_get(ext, "url"));
    if (!url) return 0;
    if (in_ext) return strchr(url, ':') == NULL;
    return mc_fhir_in(url, mc_fhir_deid_ext_keep, MC_ARRAY_LEN(mc_fhir_deid_ext_keep));
}

/* An extension array: the released extensions, each with something left besides its url. */
static json_t *mc_fhir_deid_extensions(mc_fhir_deid_ctx *ctx, const json_t *v, unsigned depth, int in_ext)
{
    json_t *out = json_array(), *x;
    size_t i;
    if (!out) return mc_fhir_deid_fail(ctx, MC_ENOMEM);
    json_array_foreach(v, i, x)
    {
        if (!json_is_object(x) || !mc_fhir_deid_ext_kept(x, in_ext)) continue;
        json_t *e = json_object();
        if (!e || mc_fhir_deid_members(ctx, e, x, depth + 1, NULL) != MC_OK) {
            json_decref(e);
            json_decref(out);
            return mc_fhir_deid_fail(ctx, MC_ENOMEM);
        }
        if (json_object_size(e) > 1 && json_array_append_new(out, e) == 0) continue;
        json_decref(e);
    }
    return out;
}

static json_t *mc_fhir_deid_array(mc_fhir_deid_ctx *ctx, const char *key, const json_t *v, unsigned depth)
{
    json_t *out = json_array(), *x;
    size_t i;
    if (!out) return mc_fhir_deid_fail(ctx, MC_ENOMEM);
    json_array_foreach(v, i, x)
    {
        json_t *nx = mc_fhir_deid_value(ctx, key, x, depth + 1);
        if (ctx->rc != MC_OK) {
            json_decref(nx);
            json_decref(out);
            return NULL;
        }
        if (nx && !mc_fhir_husk(nx) && json_array_append_new(out, nx) != 0) {
            json_decref(out);
            return mc_fhir_deid_fail(ctx, MC_ENOMEM);
        }
        if (nx && mc_fhir_husk(nx)) json_decref(nx);
    }
    return out;
}

static json_t *mc_fhir_deid_value(mc_fhir_deid_ctx *ctx, const char *key, const json_t *v, unsigned depth)
{
    if (depth > MC_FHIR_MAX_DEPTH) return mc_fhir_deid_fail(ctx, MC_EINVAL);
    if (json_is_array(v)) return mc_fhir_deid_array(ctx, key, v, depth);
    if (json_is_string(v)) return mc_fhir_deid_string(ctx, key, v);
    if (!json_is_object(v)) return json_copy((json_t *)v); /* numbers, booleans, null */
    if (strcmp(key, "address") == 0 || strcmp(key, "valueAddress") == 0) return mc_fhir_deid_address(v);
    if (mc_fhir_ends_with(key, "Age") && mc_fhir_age_over_89(v)) return NULL;
    if (json_object_get(v, "reference")) return mc_fhir_deid_reference(ctx, v);
    json_t *out = json_object();
    if (!out) return mc_fhir_deid_fail(ctx, MC_ENOMEM);
    if (mc_fhir_deid_members(ctx, out, v, depth, NULL) != MC_OK) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int mc_fhir_deid_members(mc_fhir_deid_ctx *ctx, json_t *out, const json_t *in, unsigned depth,
                         const char *const *skip_top)
{
    const char *key;
    json_t *x;
    /* a display is a Coding's (terminology text) or a Reference's (a person's name): only the first stays */
    int coding = (json_object_get(in, "system") || json_object_get(in, "code")) && mc_fhir_terminology(in);
    int age_obs = mc_fhir_is_age_observation(in);
    /* only an extension that was released is walked, so its url says its sub-extensions are too */
    int in_ext = json_object_get(in, "url") != NULL;
    if (depth > MC_FHIR_MAX_DEPTH) {
        mc_fhir_deid_fail(ctx, MC_EINVAL);
        return ctx->rc;
    }
    json_object_foreach((json_t *)in, key, x)
    {
        int skip = 0;
        for (const char *const *s = skip_top; s && *s && !skip; s++) skip = strcmp(key, *s) == 0;
        if (strcmp(key, "modifierExtension") == 0) ctx->modifier = 1;
        /* "_x" carries extensions of primitive x: they go with all unlisted extensions */
        if (skip || !mc_fhir_element_name_ok(key) ||
            mc_fhir_in(key, mc_fhir_deid_drop, MC_ARRAY_LEN(mc_fhir_deid_drop)) ||
            (strcmp(key, "display") == 0 && !coding) || strcmp(key, "modifierExtension") == 0 ||
            mc_fhir_free_text_key(key))
            continue;
        /* an observed age over 89 is an identifier too (Safe Harbor groups them as 90+) */
        if (age_obs && strcmp(key, "valueQuantity") == 0 && mc_fhir_age_over_89(x)) continue;
        json_t *nx = strcmp(key, "extension") == 0 ? mc_fhir_deid_extensions(ctx, x, depth + 1, in_ext)
                                                   : mc_fhir_deid_value(ctx, key, x, depth + 1);
        if (ctx->rc != MC_OK) {
            json_decref(nx);
            return ctx->rc;
        }
        if (!nx) continue;
        if (mc_fhir_husk(nx)) {
            json_decref(nx);
            continue;
        }
        if (json_object_set_new(out, key, nx) != 0) {
            mc_fhir_deid_fail(ctx, MC_ENOMEM);
            return ctx->rc;
        }
    }
    return MC_OK;
}
