/* Internal to the fhir module. */
#ifndef MEDCHAIN_FHIR_INTERNAL_H
#define MEDCHAIN_FHIR_INTERNAL_H

#include <jansson.h>

#include "medchain/fhir.h"

/* HL7 and other code systems the builders and readers use. */
#define MC_FHIR_SYS_LOINC          "http://loinc.org"
#define MC_FHIR_SYS_SNOMED         "http://snomed.info/sct"
#define MC_FHIR_SYS_RXNORM         "http://www.nlm.nih.gov/research/umls/rxnorm"
#define MC_FHIR_SYS_CVX            "http://hl7.org/fhir/sid/cvx"
#define MC_FHIR_SYS_OBS_CATEGORY   "http://terminology.hl7.org/CodeSystem/observation-category"
#define MC_FHIR_SYS_CONFIDENTIAL   "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
#define MC_FHIR_SYS_ACT_REASON     "http://terminology.hl7.org/CodeSystem/v3-ActReason"
#define MC_FHIR_SYS_ACT_CODE       "http://terminology.hl7.org/CodeSystem/v3-ActCode"
#define MC_FHIR_SYS_PARTICIPATION  "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
#define MC_FHIR_SYS_OBS_VALUE      "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
#define MC_FHIR_SYS_CONSENT_SCOPE  "http://terminology.hl7.org/CodeSystem/consentscope"
#define MC_FHIR_SYS_CONSENT_ACTION "http://terminology.hl7.org/CodeSystem/consentaction"
#define MC_FHIR_SYS_DCM            "http://dicom.nema.org/resources/ontology/DCM"
#define MC_FHIR_SYS_RESTFUL        "http://hl7.org/fhir/restful-interaction"
#define MC_FHIR_SYS_ENTITY_TYPE    "http://terminology.hl7.org/CodeSystem/audit-entity-type"
#define MC_FHIR_SYS_OBJECT_ROLE    "http://terminology.hl7.org/CodeSystem/object-role"
#define MC_FHIR_SYS_SOURCE_TYPE    "http://terminology.hl7.org/CodeSystem/security-source-type"

/* medchain's own systems, under MC_FHIR_NS */
#define MC_FHIR_SYS_RECORD_CATEGORY MC_FHIR_NS "/CodeSystem/record-category"
#define MC_FHIR_SYS_ACTION          MC_FHIR_NS "/CodeSystem/action"
#define MC_FHIR_SID_RECORD          MC_FHIR_NS "/sid/record"
#define MC_FHIR_SID_TX              MC_FHIR_NS "/sid/tx"
#define MC_FHIR_SID_CIPHER          MC_FHIR_NS "/sid/ciphertext-sha256"
#define MC_FHIR_EXT_CIPHER          MC_FHIR_NS "/StructureDefinition/ciphertext-sha256"
#define MC_FHIR_EXT_REVOKED         MC_FHIR_NS "/StructureDefinition/revoked"
#define MC_FHIR_EXT_SELECTOR        MC_FHIR_NS "/StructureDefinition/grantee-selector"
#define MC_FHIR_EXT_AGE_GROUP       MC_FHIR_NS "/StructureDefinition/age-group"

/* ---- span.c: the strict scanner of a Bundle's bytes ---- */

/**
 * One span per element of the top-level "entry" array, in order: the exact bytes of that
 * element's "resource" value, or {NULL, 0} when the element is not an object or has none.
 */
typedef struct {
    mc_slice *a;
    size_t n, cap;
} mc_fhir_spans;

/**
 * Scans @p p as one strict JSON value (RFC 8259) and collects the spans. @p *why is a fixed
 * sentence on MC_EINVAL. @return MC_OK, MC_EINVAL, MC_ETOOBIG (over MC_FHIR_MAX_ENTRIES), MC_ENOMEM.
 */
int mc_fhir_scan_entries(const uint8_t *p, size_t n, mc_fhir_spans *out, const char **why);
void mc_fhir_spans_free(mc_fhir_spans *s);

/* ---- names.c: FHIR lexical rules ---- */

/** 1 if @p s is a resource type name: [A-Z][A-Za-z]{0,31}. */
int mc_fhir_type_ok(const char *s);
/** 1 if @p s is a FHIR id: [A-Za-z0-9.-]{1,64}. */
int mc_fhir_id_ok(const char *s);
/** 1 if @p s is a FHIR date, dateTime or instant (YYYY, YYYY-MM, YYYY-MM-DD, with a time). */
int mc_fhir_is_date(const char *s);
/** The year (1..9999) at the start of a FHIR date @p s, or 0 if @p s is not one. */
int mc_fhir_date_year(const char *s);
/** 1 if @p s contains a run shaped like a date (4 digits, '-', 2 digits). */
int mc_fhir_has_date_shape(const char *s);
/** 1 if @p s contains a UUID (8-4-4-4-12 hex digits). */
int mc_fhir_has_uuid(const char *s);

/* ---- jsonb.c: small JSON builders shared by the export builders ---- */

/** "YYYY-MM-DDThh:mm:ss.sssZ" for @p ms. @return MC_OK or MC_EINVAL (past year 9999). */
int mc_fhir_instant(char out[32], uint64_t ms);
/** A Coding; @p display may be NULL. */
json_t *mc_fhir_coding(const char *system, const char *code, const char *display);
/** A CodeableConcept of one Coding. */
json_t *mc_fhir_concept(const char *system, const char *code, const char *display);
/** A Reference {"reference": "<type>/<hex of b>"}. */
json_t *mc_fhir_ref_hex(const char *type, const uint8_t b[32]);
/** An Identifier {"system": ..., "value": <hex of b>}. */
json_t *mc_fhir_ident_hex(const char *system, const uint8_t b[32]);
/** FHIR type of an identity of @p kind (enum mc_identity_kind): Patient, Organization or Practitioner. */
const char *mc_fhir_identity_type(int kind);
/** The display of a v3-ActReason purpose code, or NULL. */
const char *mc_fhir_purpose_display(uint32_t bit);
/** Sets @p key of @p obj to @p v (stolen); a NULL @p v is an allocation failure. @return MC_OK or MC_ENOMEM.
 */
int mc_fhir_set(json_t *obj, const char *key, json_t *v);
/** Appends @p v (stolen) to @p arr. @return MC_OK or MC_ENOMEM. */
int mc_fhir_push(json_t *arr, json_t *v);

/* ---- describe.c / keywords.c ---- */

/** Fills category, sensitivity and year of @p out from its resource and type. */
void mc_fhir_classify(mc_fhir_entry *out);
/** Fills the keywords of @p out (after mc_fhir_classify). @return MC_OK or MC_EINVAL (too deep). */
int mc_fhir_keywords(mc_fhir_entry *out);

/* ---- deid.c / deid_walk.c / deid_address.c: Safe Harbor ---- */

typedef struct {
    const mc_fhir_deid_opts *opts;
    json_t *refs;   /* original reference string -> "<Type>/<new id>" */
    int rc;         /* first error of the walk */
    int modifier;   /* the resource being walked has a modifierExtension */
    int grouped;    /* the patient is 90 or older at the release (by years) */
    int year_floor; /* dates of an earlier year go (they would tell how far past 90); 0: none */
} mc_fhir_deid_ctx;

/**
 * The de-identified copy of the members of @p in (an object at nesting @p depth) added to
 * @p out, skipping @p skip_top (a NULL-terminated list of keys, or NULL). @return MC_OK, or the
 * error also left in ctx->rc.
 */
int mc_fhir_deid_members(mc_fhir_deid_ctx *ctx, json_t *out, const json_t *in, unsigned depth,
                         const char *const *skip_top);
/** The Safe Harbor address: state and a three-digit ZIP only; NULL when nothing is left. */
json_t *mc_fhir_deid_address(const json_t *addr);
/** The rewritten form of reference @p ref, or NULL if it must go (borrowed from ctx->refs). */
const char *mc_fhir_deid_ref(const mc_fhir_deid_ctx *ctx, const char *ref);

#endif
