/*
 * A record as a FHIR DocumentReference (fhir.h): a pointer with the ledger's metadata. The
 * ledger holds no content, so nothing here could carry any; the attachment's url is the
 * gatekeeper's, which decides and logs every read.
 */
#include <stdio.h>
#include <string.h>

#include "fhir_internal.h"

/* FHIR's unsignedInt stops at 2^31-1 */
#define MC_FHIR_MAX_UNSIGNED_INT 2147483647ull

static json_t *mc_fhir_attachment(const mc_record *rec)
{
    char hex[65], url[128];
    mc_hex_encode(hex, rec->id.b, 32);
    snprintf(url, sizeof url, "/v1/records/%s/content", hex);
    mc_hex_encode(hex, rec->cipher_hash.b, 32);
    json_t *a = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "contentType", "application/octet-stream", "url", url,
                          "extension", "url", MC_FHIR_EXT_CIPHER, "valueString", hex);
    if (a && rec->size <= MC_FHIR_MAX_UNSIGNED_INT &&
        mc_fhir_set(a, "size", json_integer((json_int_t)rec->size)) != MC_OK) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static int mc_fhir_docref_fill(json_t *d, const mc_record *rec, const char *date)
{
    static const char *const sens[] = {"N", "R", "V"};
    const char *label = rec->sensitivity < MC_ARRAY_LEN(sens) ? sens[rec->sensitivity] : "V";
    char hex[65];
    mc_hex_encode(hex, rec->id.b, 32);
    int rc = MC_OK;
    if (!rc) rc = mc_fhir_set(d, "id", json_string(hex));
    if (!rc) rc = mc_fhir_set(d, "masterIdentifier", mc_fhir_ident_hex(MC_FHIR_SID_RECORD, rec->id.b));
    if (!rc)
        rc = mc_fhir_set(d, "identifier",
                         json_pack("[o]", mc_fhir_ident_hex(MC_FHIR_SID_CIPHER, rec->cipher_hash.b)));
    if (!rc) rc = mc_fhir_set(d, "status", json_string(rec->has_superseded_by ? "superseded" : "current"));
    if (!rc)
        rc = mc_fhir_set(d, "category",
                         json_pack("[o]", mc_fhir_concept(MC_FHIR_SYS_RECORD_CATEGORY, rec->category, NULL)));
    if (!rc) rc = mc_fhir_set(d, "subject", mc_fhir_ref_hex("Patient", rec->patient.b));
    if (!rc) rc = mc_fhir_set(d, "date", json_string(date));
    if (!rc) rc = mc_fhir_set(d, "author", json_pack("[o]", mc_fhir_ref_hex("Practitioner", rec->author.b)));
    if (!rc) rc = mc_fhir_set(d, "custodian", mc_fhir_ref_hex("Organization", rec->custodian.b));
    if (!rc && rec->has_supersedes)
        rc = mc_fhir_set(d, "relatesTo",
                         json_pack("[{s:s,s:o}]", "code", "replaces", "target",
                                   mc_fhir_ref_hex("DocumentReference", rec->supersedes.b)));
    if (!rc)
        rc = mc_fhir_set(d, "securityLabel",
                         json_pack("[o]", mc_fhir_concept(MC_FHIR_SYS_CONFIDENTIAL, label, NULL)));
    if (!rc) rc = mc_fhir_set(d, "content", json_pack("[{s:o}]", "attachment", mc_fhir_attachment(rec)));
    return rc;
}

int mc_fhir_document_reference(json_t **out, const mc_record *rec)
{
    if (!out) return MC_EINVAL;
    *out = NULL;
    char date[32];
    if (!rec || !mc_category_ok(rec->category, strnlen(rec->category, sizeof rec->category)) ||
        mc_fhir_instant(date, rec->time_ms) != MC_OK)
        return MC_EINVAL;
    json_t *d = json_pack("{s:s}", "resourceType", "DocumentReference");
    if (!d) return MC_ENOMEM;
    int rc = mc_fhir_docref_fill(d, rec, date);
    if (rc != MC_OK) {
        json_decref(d);
        return rc;
    }
    *out = d;
    return MC_OK;
}
