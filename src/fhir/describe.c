/*
 * What ingest records about one resource besides its bytes: category, sensitivity and the
 * year of its main clinical date (the rules are in fhir.h, mc_fhir_entry).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fhir_internal.h"

static const char *mc_fhir_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The first coding of Observation.category in the observation-category system whose code is a category. */
static int mc_fhir_observation_category(char out[MC_MAX_CATEGORY + 1], const json_t *res)
{
    size_t i, j;
    json_t *cc, *coding;
    json_array_foreach(json_object_get(res, "category"), i, cc)
    {
        json_array_foreach(json_object_get(cc, "coding"), j, coding)
        {
            const char *sys = mc_fhir_str(coding, "system"), *code = mc_fhir_str(coding, "code");
            if (!sys || !code || strcmp(sys, MC_FHIR_SYS_OBS_CATEGORY) != 0) continue;
            size_t n = strlen(code);
            if (!mc_category_ok(code, n)) continue;
            memcpy(out, code, n + 1);
            return 1;
        }
    }
    return 0;
}

static void mc_fhir_category(mc_fhir_entry *e)
{
    if (strcmp(e->type, "Observation") == 0) {
        if (!mc_fhir_observation_category(e->category, e->resource)) strcpy(e->category, "observation");
        return;
    }
    /* "Condition" lowercases to "condition" like every other type: one rule covers both */
    size_t i = 0;
    for (; i < MC_MAX_CATEGORY && e->type[i]; i++) e->category[i] = (char)tolower((unsigned char)e->type[i]);
    e->category[i] = 0;
}

static uint8_t mc_fhir_sensitivity(const json_t *res)
{
    uint8_t s = MC_SENS_NORMAL;
    size_t i;
    json_t *coding;
    json_array_foreach(json_object_get(json_object_get(res, "meta"), "security"), i, coding)
    {
        const char *sys = mc_fhir_str(coding, "system"), *code = mc_fhir_str(coding, "code");
        if (!sys || !code || strcmp(sys, MC_FHIR_SYS_CONFIDENTIAL) != 0) continue;
        if (strcmp(code, "V") == 0) s = MC_SENS_VERY_RESTRICTED;
        if (strcmp(code, "R") == 0 && s < MC_SENS_RESTRICTED) s = MC_SENS_RESTRICTED;
    }
    return s;
}

/* The main clinical date: the first of these that holds a FHIR date. */
static const struct {
    const char *key, *sub;
} mc_fhir_date_fields[] = {
    {"effectiveDateTime", NULL},
    {"effectivePeriod", "start"},
    {"effectiveInstant", NULL},
    {"issued", NULL},
    {"onsetDateTime", NULL},
    {"onsetPeriod", "start"},
    {"recordedDate", NULL},
    {"performedDateTime", NULL},
    {"performedPeriod", "start"},
    {"period", "start"},
    {"occurrenceDateTime", NULL},
    {"occurrencePeriod", "start"},
    {"authoredOn", NULL},
    {"billablePeriod", "start"},
    {"created", NULL},
    {"date", NULL},
    {"recorded", NULL},
    {"birthDate", NULL},
};

static uint16_t mc_fhir_year(const json_t *res)
{
    for (size_t i = 0; i < MC_ARRAY_LEN(mc_fhir_date_fields); i++) {
        const json_t *v = json_object_get(res, mc_fhir_date_fields[i].key);
        if (v && mc_fhir_date_fields[i].sub) v = json_object_get(v, mc_fhir_date_fields[i].sub);
        int y = mc_fhir_date_year(json_string_value(v));
        if (y > 0) return (uint16_t)y;
    }
    return 0;
}

void mc_fhir_classify(mc_fhir_entry *e)
{
    mc_fhir_category(e);
    e->sensitivity = mc_fhir_sensitivity(e->resource);
    e->year = mc_fhir_year(e->resource);
}

int mc_fhir_resource_describe(mc_fhir_entry *out, const json_t *resource)
{
    if (!out) return MC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!json_is_object(resource)) return MC_EINVAL;
    const char *type = mc_fhir_str(resource, "resourceType");
    const json_t *id = json_object_get(resource, "id");
    if (!mc_fhir_type_ok(type) || (id && !mc_fhir_id_ok(json_string_value(id)))) return MC_EINVAL;
    out->resource = resource;
    out->type = type;
    out->id = json_string_value(id);
    mc_fhir_classify(out);
    int rc = mc_fhir_keywords(out);
    if (rc != MC_OK) memset(out, 0, sizeof *out);
    return rc;
}
