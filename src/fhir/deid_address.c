/*
 * Safe Harbor geography (45 CFR 164.514(b)(2)(i)(B)): nothing smaller than a state survives
 * except the first three digits of the ZIP code, and those only where the three-digit area
 * holds more than 20,000 people; the others become "000". The list is HHS's (2000 Census),
 * from the OCR de-identification guidance.
 */
#include <string.h>

#include "fhir_internal.h"

static const char mc_fhir_zip3_restricted[][4] = {"036", "059", "063", "102", "203", "556",
                                                  "692", "790", "821", "823", "830", "831",
                                                  "878", "879", "884", "890", "893"};

int mc_fhir_deid_zip3(char out[4], const char *zip)
{
    if (!out) return MC_EINVAL;
    out[0] = 0;
    if (!zip) return MC_EINVAL;
    for (int i = 0; i < 3; i++)
        if (zip[i] < '0' || zip[i] > '9') return MC_EINVAL;
    memcpy(out, zip, 3);
    out[3] = 0;
    for (size_t i = 0; i < MC_ARRAY_LEN(mc_fhir_zip3_restricted); i++)
        if (memcmp(out, mc_fhir_zip3_restricted[i], 3) == 0) memcpy(out, "000", 4);
    return MC_OK;
}

json_t *mc_fhir_deid_address(const json_t *addr)
{
    if (!json_is_object(addr)) return NULL;
    json_t *out = json_object();
    if (!out) return NULL;
    const char *state = json_string_value(json_object_get(addr, "state"));
    char zip3[4];
    int ok = 1;
    /* a state is a name or a code; anything longer or odder is not one */
    if (state && !mc_fhir_has_uuid(state) && !mc_fhir_has_date_shape(state) && strlen(state) <= 64)
        ok = json_object_set_new(out, "state", json_string(state)) == 0;
    if (ok && mc_fhir_deid_zip3(zip3, json_string_value(json_object_get(addr, "postalCode"))) == MC_OK)
        ok = json_object_set_new(out, "postalCode", json_string(zip3)) == 0;
    if (!ok || json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}
