/*
 * Search keywords of one resource (fhir.h, mc_fhir_entry): type, category, year, then the
 * LOINC, SNOMED CT, RxNorm and CVX codes of every coding anywhere in it, in document order
 * (jansson keeps object members in input order), deduplicated, the first
 * MC_FHIR_MAX_KEYWORDS kept. Walking every coding rather than a list of code-bearing
 * elements means a code in an element nobody listed (component.code, reasonCode,
 * valueCodeableConcept, an extension) is still findable.
 */
#include <stdio.h>
#include <string.h>

#include "fhir_internal.h"

static const struct {
    const char *system;
    uint8_t kind;
} mc_fhir_code_systems[] = {
    {MC_FHIR_SYS_LOINC, MC_FHIR_KW_LOINC},
    {MC_FHIR_SYS_SNOMED, MC_FHIR_KW_SNOMED},
    {MC_FHIR_SYS_RXNORM, MC_FHIR_KW_RXNORM},
    {MC_FHIR_SYS_CVX, MC_FHIR_KW_CVX},
};

const char *mc_fhir_kw_name(int kind)
{
    static const char *const names[] = {NULL, "type", "category", "year", "loinc", "snomed", "rxnorm", "cvx"};
    return kind > 0 && kind < (int)MC_ARRAY_LEN(names) ? names[kind] : NULL;
}

/* A code is kept if it is 1..MC_FHIR_MAX_KEYWORD bytes of visible ASCII. */
static int mc_fhir_code_ok(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (i >= MC_FHIR_MAX_KEYWORD || s[i] <= 0x20 || s[i] >= 0x7f) return 0;
    return i > 0;
}

/* Adds (kind, value) unless present or the list is full. */
static void mc_fhir_kw_add(mc_fhir_entry *e, uint8_t kind, const char *value)
{
    if (e->nkeywords >= MC_FHIR_MAX_KEYWORDS) return;
    for (uint32_t i = 0; i < e->nkeywords; i++)
        if (e->keywords[i].kind == kind && strcmp(e->keywords[i].value, value) == 0) return;
    mc_fhir_keyword *k = &e->keywords[e->nkeywords++];
    k->kind = kind;
    snprintf(k->value, sizeof k->value, "%s", value);
}

static void mc_fhir_kw_coding(mc_fhir_entry *e, const json_t *obj)
{
    const char *sys = json_string_value(json_object_get(obj, "system"));
    const char *code = json_string_value(json_object_get(obj, "code"));
    if (!sys || !code || !mc_fhir_code_ok(code)) return;
    for (size_t i = 0; i < MC_ARRAY_LEN(mc_fhir_code_systems); i++)
        if (strcmp(sys, mc_fhir_code_systems[i].system) == 0)
            mc_fhir_kw_add(e, mc_fhir_code_systems[i].kind, code);
}

static int mc_fhir_kw_walk(mc_fhir_entry *e, const json_t *v, unsigned depth)
{
    if (depth > MC_FHIR_MAX_DEPTH) return MC_EINVAL;
    size_t i;
    const char *key;
    json_t *x;
    if (json_is_object(v)) {
        mc_fhir_kw_coding(e, v);
        json_object_foreach((json_t *)v, key, x)
        {
            if (mc_fhir_kw_walk(e, x, depth + 1) != MC_OK) return MC_EINVAL;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (mc_fhir_kw_walk(e, x, depth + 1) != MC_OK) return MC_EINVAL;
        }
    }
    return MC_OK;
}

int mc_fhir_keywords(mc_fhir_entry *e)
{
    e->nkeywords = 0;
    mc_fhir_kw_add(e, MC_FHIR_KW_TYPE, e->type);
    mc_fhir_kw_add(e, MC_FHIR_KW_CATEGORY, e->category);
    if (e->year) {
        char y[8];
        snprintf(y, sizeof y, "%04u", (unsigned)e->year);
        mc_fhir_kw_add(e, MC_FHIR_KW_YEAR, y);
    }
    /* the walk goes on after the list is full only to check the depth, which is cheap */
    return mc_fhir_kw_walk(e, e->resource, 1);
}
