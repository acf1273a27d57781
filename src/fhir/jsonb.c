/* Small JSON builders shared by the export builders: times, codings, references, identifiers. */
#include <stdio.h>
#include <time.h>

#include "fhir_internal.h"

/* 9999-12-31T23:59:59.999Z: the last instant FHIR can write (four-digit years). */
#define MC_FHIR_MAX_MS 253402300799999ull

int mc_fhir_instant(char out[32], uint64_t ms)
{
    out[0] = 0;
    if (ms > MC_FHIR_MAX_MS) return MC_EINVAL;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return MC_EINVAL;
    /* every field is in range (the year by the check above); the modulos tell the compiler so */
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
             (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(ms % 1000));
    return MC_OK;
}

json_t *mc_fhir_coding(const char *system, const char *code, const char *display)
{
    json_t *c = json_pack("{s:s,s:s}", "system", system, "code", code);
    if (c && display && json_object_set_new(c, "display", json_string(display)) != 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

json_t *mc_fhir_concept(const char *system, const char *code, const char *display)
{
    json_t *c = mc_fhir_coding(system, code, display);
    return c ? json_pack("{s:[o]}", "coding", c) : NULL;
}

json_t *mc_fhir_ref_hex(const char *type, const uint8_t b[32])
{
    char hex[65], ref[MC_FHIR_MAX_TYPE + 66];
    mc_hex_encode(hex, b, 32);
    snprintf(ref, sizeof ref, "%s/%s", type, hex);
    return json_pack("{s:s}", "reference", ref);
}

json_t *mc_fhir_ident_hex(const char *system, const uint8_t b[32])
{
    char hex[65];
    mc_hex_encode(hex, b, 32);
    return json_pack("{s:s,s:s}", "system", system, "value", hex);
}

const char *mc_fhir_identity_type(int kind)
{
    switch (kind) {
    case MC_ID_PATIENT: return "Patient";
    case MC_ID_ORG: return "Organization";
    default: return "Practitioner";
    }
}

const char *mc_fhir_purpose_display(uint32_t bit)
{
    switch (bit) {
    case MC_PURPOSE_TREAT: return "treatment";
    case MC_PURPOSE_ETREAT: return "Emergency Treatment";
    case MC_PURPOSE_HPAYMT: return "healthcare payment";
    case MC_PURPOSE_HOPERAT: return "healthcare operations";
    case MC_PURPOSE_HRESCH: return "healthcare research";
    case MC_PURPOSE_PUBHLTH: return "public health";
    case MC_PURPOSE_PATRQT: return "patient requested";
    default: return NULL;
    }
}

int mc_fhir_set(json_t *obj, const char *key, json_t *v)
{
    if (!v) return MC_ENOMEM;
    return json_object_set_new(obj, key, v) == 0 ? MC_OK : MC_ENOMEM;
}

int mc_fhir_push(json_t *arr, json_t *v)
{
    if (!v) return MC_ENOMEM;
    return json_array_append_new(arr, v) == 0 ? MC_OK : MC_ENOMEM;
}
