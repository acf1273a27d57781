/*
 * medchain fhir: FHIR R4 at the edges (DESIGN.md section 6, issue 4).
 *
 *   - ingest: a Bundle's entries, each with the exact bytes of its resource, its type, a record
 *     category, a sensitivity and the search keywords that `medchain ingest` turns into tokens;
 *   - export: Bundles (collection, searchset), DocumentReference pointers to records, Consent
 *     from grants and denies, AuditEvent (IHE BALP "Read") from the access history;
 *   - HIPAA Safe Harbor de-identification of one patient's resources (45 CFR 164.514(b)(2)).
 *
 * Layered above orderer and below api: it reads chain values, never writes state, and nothing
 * consensus-critical includes it. It owns no third-party library; jansson is shared with the
 * other JSON edges (api, cli). Keywords come out in clear here: the caller normalises and
 * HMACs them (DESIGN.md section 4) and must never log them.
 *
 * THREAD SAFETY: every function is safe to call concurrently on distinct objects. A parsed
 * bundle may be read from several threads at once (jansson's reference counts are atomic).
 */
#ifndef MEDCHAIN_FHIR_H
#define MEDCHAIN_FHIR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "medchain/chain.h"
#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MC_FHIR_MAX_BUNDLE_BYTES (64u << 20) /**< one Bundle to ingest */
#define MC_FHIR_MAX_ENTRIES      (1u << 20)  /**< entries in one Bundle */
#define MC_FHIR_MAX_DEPTH        100u        /**< nesting of arrays and objects in a document */
#define MC_FHIR_MAX_KEYWORDS     60u         /**< keywords of one resource (anchor has MC_MAX_TOKENS) */
#define MC_FHIR_MAX_KEYWORD      64u         /**< bytes in one keyword value */
#define MC_FHIR_MAX_TYPE         32u         /**< bytes in a resourceType (the longest R4 type is 32) */
#define MC_FHIR_MAX_ID           64u         /**< bytes in a FHIR id: [A-Za-z0-9.-]{1,64} */
#define MC_FHIR_MAX_FULL_URL     1024u       /**< bytes in an entry's fullUrl */

/**
 * Base of the URIs medchain defines (identifier systems, extensions, its own code systems).
 * The ".invalid" top-level domain (RFC 2606) can never resolve or collide with anyone's; a
 * consortium that publishes StructureDefinitions replaces it with its canonical base.
 */
#define MC_FHIR_NS "https://medchain.invalid/fhir"

/* ------------------------------------------------------------------------------------------ */
/* Ingest: parsing a Bundle                                                                    */

/** Kinds of search keyword (DESIGN.md section 4: codes, resource type, category, year). */
enum mc_fhir_kw {
    MC_FHIR_KW_TYPE = 1, /**< the resourceType, as written ("Observation") */
    MC_FHIR_KW_CATEGORY, /**< the record category (mc_fhir_entry.category) */
    MC_FHIR_KW_YEAR,     /**< year of the main clinical date, four digits */
    MC_FHIR_KW_LOINC,    /**< a code of http://loinc.org */
    MC_FHIR_KW_SNOMED,   /**< a code of http://snomed.info/sct */
    MC_FHIR_KW_RXNORM,   /**< a code of http://www.nlm.nih.gov/research/umls/rxnorm */
    MC_FHIR_KW_CVX,      /**< a code of http://hl7.org/fhir/sid/cvx */
};
/** @return "type", "category", "year", "loinc", "snomed", "rxnorm", "cvx", or NULL. */
const char *mc_fhir_kw_name(int kind);

/** One search keyword, in clear (raw code or name; normalised and HMACed by the caller). */
typedef struct {
    uint8_t kind; /**< enum mc_fhir_kw */
    char value[MC_FHIR_MAX_KEYWORD + 1];
} mc_fhir_keyword;

/**
 * What ingest needs of one resource. Pointers borrow from the parsed bundle (or the resource
 * passed to mc_fhir_resource_describe) and are valid until it is freed.
 *
 * category: Observation -> the code of its first category coding of system
 *   http://terminology.hl7.org/CodeSystem/observation-category that is a valid category
 *   (vital-signs, laboratory, social-history, survey, imaging, exam, therapy, activity,
 *   procedure), else "observation"; Condition -> "condition"; any other type -> the
 *   lowercased resourceType ("medicationrequest", "explanationofbenefit"). Always passes
 *   mc_category_ok().
 * sensitivity: MC_SENS_NORMAL unless meta.security carries a code of the HL7 confidentiality
 *   system (http://terminology.hl7.org/CodeSystem/v3-Confidentiality): "R" gives
 *   MC_SENS_RESTRICTED, "V" MC_SENS_VERY_RESTRICTED; the highest such label wins.
 * year: of the first of these that holds a date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime):
 *   effectiveDateTime, effectivePeriod.start, effectiveInstant, issued, onsetDateTime,
 *   onsetPeriod.start, recordedDate, performedDateTime, performedPeriod.start, period.start,
 *   occurrenceDateTime, occurrencePeriod.start, authoredOn, billablePeriod.start, created,
 *   date, recorded, birthDate; 0 when none does.
 * keywords: deduplicated (kind, value) pairs, in this order: ("type", resourceType),
 *   ("category", category), ("year", YYYY) when there is a year, then every coding anywhere in
 *   the resource (contained resources and extensions included) whose system is exactly one of
 *   LOINC, SNOMED CT, RxNorm or CVX, in document order. A code is used only if it is 1..64
 *   bytes of visible ASCII (no space). The list stops at MC_FHIR_MAX_KEYWORDS: the first 60
 *   distinct pairs in that order are kept and the rest dropped, so the result is the same on
 *   every run and every node.
 */
typedef struct {
    size_t index;           /**< position in the bundle's entry array (skipped entries count) */
    mc_slice span;          /**< the resource's exact bytes in the parsed input (empty if described) */
    const json_t *resource; /**< the resource object (borrowed) */
    const char *type;       /**< resourceType: [A-Z][A-Za-z]{0,31} */
    const char *id;         /**< the resource's id, or NULL if it has none */
    const char *full_url;   /**< the entry's fullUrl, or NULL */
    int is_patient;         /**< 1: this is the bundle's Patient (mc_fhir_bundle_patient) */
    char category[MC_MAX_CATEGORY + 1];
    uint8_t sensitivity; /**< enum mc_sensitivity */
    uint16_t year;       /**< 1..9999, or 0 */
    uint32_t nkeywords;
    mc_fhir_keyword keywords[MC_FHIR_MAX_KEYWORDS];
} mc_fhir_entry;

/**
 * Why a bundle was refused: a fixed English sentence and where. Nothing in it comes from the
 * bundle's content (no id, name, identifier or reference): it may be shown and logged.
 */
typedef struct {
    const char *what; /**< e.g. "resource is not an object"; NULL after success; static storage */
    size_t entry;     /**< position of the offending entry in the entry array (from 0), or SIZE_MAX */
    char type[MC_FHIR_MAX_TYPE + 1]; /**< its resourceType when the refusal is about what it is, else "" */
} mc_fhir_error;

/** How ingest treats a resource type (mc_fhir_ingest_type). */
enum mc_fhir_type_kind {
    MC_FHIR_TYPE_CHART = 1, /**< a resource of a patient's chart (Patient, Observation, Claim, ...) */
    MC_FHIR_TYPE_SUPPORT,   /**< what a chart refers to (Organization, Practitioner, ...): not alone */
};

/**
 * The allow-list of ingest (docs/decisions.md, "One patient's chart at ingest"). Chart types: the R4
 * Patient compartment without Group, List, Person, MeasureReport, Schedule and AuditEvent:
 * Account, AdverseEvent, AllergyIntolerance, Appointment, AppointmentResponse, Basic,
 * BodyStructure, CarePlan, CareTeam, ChargeItem, Claim, ClaimResponse, ClinicalImpression,
 * Communication, CommunicationRequest, Composition, Condition, Consent, Coverage,
 * CoverageEligibilityRequest, CoverageEligibilityResponse, DetectedIssue, DeviceRequest,
 * DeviceUseStatement, DiagnosticReport, DocumentManifest, DocumentReference, Encounter,
 * EnrollmentRequest, EpisodeOfCare, ExplanationOfBenefit, FamilyMemberHistory, Flag, Goal,
 * ImagingStudy, Immunization, ImmunizationEvaluation, ImmunizationRecommendation, Invoice,
 * Media, MedicationAdministration, MedicationDispense, MedicationRequest, MedicationStatement,
 * MolecularSequence, NutritionOrder, Observation, Patient, Procedure, Provenance,
 * QuestionnaireResponse, RelatedPerson, RequestGroup, ResearchSubject, RiskAssessment,
 * ServiceRequest, Specimen, SupplyDelivery, SupplyRequest, VisionPrescription. Support types:
 * Device, Location, Medication, Organization, Practitioner, PractitionerRole, Substance.
 * @return MC_FHIR_TYPE_CHART, MC_FHIR_TYPE_SUPPORT, or 0: refused (every other type, NULL).
 */
int mc_fhir_ingest_type(const char *type);

/** A parsed Bundle (opaque). */
typedef struct mc_fhir_bundle mc_fhir_bundle;

/**
 * Parses a FHIR R4 Bundle for ingest: one patient's chart and nothing else.
 *
 * Form (refused with MC_EINVAL): the document must be strict JSON (RFC 8259, UTF-8, no
 * duplicate keys, nesting at most MC_FHIR_MAX_DEPTH) whose top level is an object with
 * "resourceType": "Bundle" and a known "type" (document, message, transaction,
 * transaction-response, batch, batch-response, history, searchset, collection); "entry", if
 * present, an array of objects. An entry with a "resource" must have a resource object with a
 * "resourceType" of [A-Z][A-Za-z]{0,31}, an optional "id" that is a FHIR id and an optional
 * string "fullUrl" of at most MC_FHIR_MAX_FULL_URL bytes. Each resource's exact bytes are
 * located by a strict scanner of the input, independent of jansson; the two must agree on
 * every entry.
 *
 * An entry without "resource" (a transaction's DELETE, say) is skipped: it is not one of the
 * bundle's resources, and mc_fhir_bundle_skipped() counts it.
 *
 * Content (refused with MC_EDENIED; err->type names the entry's resourceType when the refusal
 * is about an entry):
 *   - a resource whose type mc_fhir_ingest_type() does not admit (StructureDefinition,
 *     SearchParameter, ValueSet, CodeSystem, Group, Binary, a nested Bundle, Parameters,
 *     OperationOutcome, Subscription, ... anything not on the list), also as a contained
 *     resource anywhere inside an entry's resource;
 *   - a second Patient resource (the entry of the second), or a Patient contained in another
 *     resource;
 *   - resources but none of a chart type (a directory of Organizations or Practitioners);
 *   - a reference to another patient: every object anywhere in every resource (contained
 *     resources, extensions, Patient.link included) whose "reference" is a string is read.
 *     One that names a Patient by type and id (its id is the path segment after the last
 *     "Patient/" that starts it or follows a '/': "Patient/<id>", "<base>/Patient/<id>",
 *     "Patient/<id>/_history/<version>") must name the bundle's Patient by its id (so a
 *     Patient without an id may not be referred to that way); when the bundle has no Patient
 *     resource, every such reference must name the same id as the first. Any other
 *     reference is to no other patient: a urn:uuid or other fullUrl resolves to at most the
 *     one Patient entry. A conditional reference ("Patient?...") cannot be checked and is
 *     refused. The first refusal in entry order is reported.
 * A bundle with no resource at all (none, or all skipped) is accepted: it files nothing.
 *
 * The bundle borrows @p p: the bytes must stay unchanged until mc_fhir_bundle_free().
 *
 * @param pp   receives the bundle (free with mc_fhir_bundle_free), NULL on failure
 * @param err  optional: why the input was refused
 * @return MC_OK, MC_EINVAL (malformed; see @p err), MC_EDENIED (not one patient's chart; see
 *         @p err), MC_ETOOBIG (over MC_FHIR_MAX_BUNDLE_BYTES or MC_FHIR_MAX_ENTRIES), MC_ENOMEM.
 */
int mc_fhir_bundle_parse(mc_fhir_bundle **pp, const uint8_t *p, size_t n,
                         mc_fhir_error *err) MC_WARN_UNUSED_RESULT;

/** Frees a bundle and everything borrowed from it. NULL is harmless. */
void mc_fhir_bundle_free(mc_fhir_bundle *b);

/** @return the Bundle's type ("transaction", ...), valid until mc_fhir_bundle_free. */
const char *mc_fhir_bundle_type(const mc_fhir_bundle *b);
/** @return the number of resources: the entries less those skipped. */
size_t mc_fhir_bundle_count(const mc_fhir_bundle *b);
/** @return the number of entries without a resource, skipped by the parse. */
size_t mc_fhir_bundle_skipped(const mc_fhir_bundle *b);
/** @return the whole parsed document (borrowed, read-only, valid until mc_fhir_bundle_free). */
const json_t *mc_fhir_bundle_json(const mc_fhir_bundle *b);

/**
 * Describes resource @p i, 0 <= i < mc_fhir_bundle_count() (see mc_fhir_entry; out->index is
 * its entry's position in the entry array, which differs from @p i after a skipped entry).
 * @return MC_OK, MC_EINVAL (i out of range; then @p out is zeroed).
 */
int mc_fhir_bundle_entry(const mc_fhir_bundle *b, size_t i, mc_fhir_entry *out) MC_WARN_UNUSED_RESULT;

/**
 * The bundle's Patient: the one resource whose resourceType is "Patient" (a parsed bundle has
 * at most one).
 * @return MC_OK (and its resource index, for mc_fhir_bundle_entry, in @p index), MC_ENOTFOUND
 *         (none), MC_EINVAL (@p b NULL).
 */
int mc_fhir_bundle_patient(const mc_fhir_bundle *b, size_t *index) MC_WARN_UNUSED_RESULT;

/**
 * @return 1 if the reference string @p ref names the bundle's Patient: its entry's fullUrl,
 *         "urn:uuid:<id>", "Patient/<id>", or an absolute URL ending in "/Patient/<id>" (the
 *         last two optionally followed by "/_history/<version>"); else 0 (also when the bundle
 *         has no Patient).
 */
int mc_fhir_bundle_is_patient_ref(const mc_fhir_bundle *b, const char *ref);

/**
 * Describes one resource that did not come from a parsed bundle (span empty, full_url NULL,
 * is_patient 0). @p resource must stay alive while @p out is used.
 * @return MC_OK, MC_EINVAL (not an object, no valid resourceType, id not a FHIR id, nesting
 *         over MC_FHIR_MAX_DEPTH; then @p out is zeroed).
 */
int mc_fhir_resource_describe(mc_fhir_entry *out, const json_t *resource) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* Export                                                                                       */

/**
 * A Bundle of @p type "collection" or "searchset" holding the resources whose JSON text is in
 * @p spans (each must parse as one object with a valid resourceType). A searchset gets
 * "total" and each entry "search": {"mode": "match"}. Entries carry no fullUrl.
 * @param out  receives a new reference (json_decref it), NULL on failure
 * @return MC_OK, MC_EINVAL (bad type, a span that is not a resource), MC_ETOOBIG (n over
 *         MC_FHIR_MAX_ENTRIES), MC_ENOMEM.
 */
int mc_fhir_bundle_build(json_t **out, const char *type, const mc_slice *spans,
                         size_t n) MC_WARN_UNUSED_RESULT;

/** As mc_fhir_bundle_build, from a JSON array of resource objects (deep-copied). */
int mc_fhir_bundle_wrap(json_t **out, const char *type, const json_t *resources) MC_WARN_UNUSED_RESULT;

/**
 * A DocumentReference pointing at a record (never its content): id and masterIdentifier the
 * record id; status "current" ("superseded" once amended); subject Patient/<patient id hex>;
 * category the record category (system MC_FHIR_NS "/CodeSystem/record-category"); date the
 * anchor's block time; author Practitioner/<author hex>; custodian Organization/<custodian
 * hex>; securityLabel the HL7 confidentiality code (N, R, V); relatesTo "replaces" the record
 * it amends; one content.attachment with url "/v1/records/<rid hex>/content",
 * contentType application/octet-stream, size (omitted above 2^31-1, FHIR's unsignedInt), and
 * the ciphertext SHA-256 as an identifier (system MC_FHIR_NS "/sid/ciphertext-sha256") and as
 * an extension of the attachment (MC_FHIR_NS "/StructureDefinition/ciphertext-sha256").
 * @param out  receives a new reference, NULL on failure
 * @return MC_OK, MC_EINVAL (category not valid, time past year 9999), MC_ENOMEM.
 */
int mc_fhir_document_reference(json_t **out, const mc_record *rec) MC_WARN_UNUSED_RESULT;

/**
 * A Consent for a grant or deny: id the consent transaction (omitted when zero, for a body
 * not yet on the chain); status "active", or "inactive" once revoked (with the revocation
 * time in extension MC_FHIR_NS "/StructureDefinition/revoked"); scope patient-privacy
 * (http://terminology.hl7.org/CodeSystem/consentscope); category LOINC 59284-0; patient
 * Patient/<hex>; dateTime the block time; performer the signer (Patient/<hex> if the patient,
 * else RelatedPerson/<hex>, a delegate); policyRule v3-ActCode OPTIN (grant) or OPTOUT (deny);
 * provision: type permit or deny, period [not_before, not_after) (each bound omitted when 0 or
 * past year 9999), actor with role v3-ParticipationType IRCP and the grantee (identity:
 * <Type>/<hex> by @p grantee_kind; org: Organization/<hex>; selector: Organization/<hex> with
 * extension MC_FHIR_NS "/StructureDefinition/grantee-selector" holding one sub-extension per
 * attribute pair, url the key and valueString the value),
 * action (consentaction "access" for read and read_meta, "use" for read_deid, each with the
 * medchain action code of MC_FHIR_NS "/CodeSystem/action"), purpose (v3-ActReason codes
 * TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, PATRQT), and the scope: data
 * DocumentReference/<hex> for record scopes, code (MC_FHIR_NS "/CodeSystem/record-category")
 * for category scopes, nothing for "all".
 * @param grantee_kind enum mc_identity_kind of an identity grantee (MC_ID_PATIENT: Patient,
 *        MC_ID_ORG: Organization, otherwise or 0: Practitioner); ignored for org and selector.
 * @return MC_OK, MC_EINVAL (unknown grantee or scope kind, no purpose or action, time past
 *         year 9999), MC_ENOMEM.
 */
int mc_fhir_consent(json_t **out, const mc_consent *c, int grantee_kind) MC_WARN_UNUSED_RESULT;

/** What an AuditEvent needs besides the access entry. */
typedef struct {
    mc_id custodian_org; /**< the custodian org that logged the read: source.observer */
    uint64_t time_ms;    /**< the block time of the access.log: recorded */
    int reader_kind;     /**< enum mc_identity_kind of the reader, or 0 (see below) */
} mc_fhir_audit_ctx;

/**
 * An AuditEvent in the IHE BALP "Read" shape (Basic Audit Log Patterns, PatientRead) for one
 * logged read: id the access.log transaction; type DCM 110110 "Patient Record"; subtype
 * restful-interaction "read"; action "R"; recorded the block time; outcome "0" for a permit,
 * "4" (minor failure: a refusal, like HTTP 403) for a deny, outcomeDesc the reason name
 * (mc_reason_name); purposeOfEvent the v3-ActReason purpose; agent[0] the reader (requestor
 * true, type v3-ParticipationType IRCP, who Patient/<hex> when the reader is the patient,
 * else by reader_kind: MC_ID_PATIENT Patient, MC_ID_ORG Organization, otherwise
 * Practitioner), agent[1] the custodian node (requestor false, who Device/<hex>, DCM 110153
 * "Source Role ID"); source.observer Organization/<custodian hex>, type security-source-type
 * 4 "Application Server"; entity: the patient (audit-entity-type 1, object-role 1 "Patient"),
 * the record (DocumentReference/<hex>, type 2, role 4 "Domain Resource"), the access.log
 * transaction (identifier system MC_FHIR_NS "/sid/tx", type 2, role 4, name "access.log",
 * detail "action" (read, read_meta, read_deid) and "via" (decision, content)),
 * and when the decision rests on one, its basis (Consent/<hex>, or for break-glass the
 * access.emergency transaction by identifier; role 13 "Security Resource").
 * @return MC_OK, MC_EINVAL (purpose not one known bit, time past year 9999), MC_ENOMEM.
 */
int mc_fhir_audit_event(json_t **out, const mc_access *a, const mc_fhir_audit_ctx *ctx) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* De-identification (HIPAA Safe Harbor)                                                       */

/** Fills @p out with @p n random bytes (tests pass a seeded generator). */
typedef void (*mc_fhir_rand_fn)(void *ctx, void *out, size_t n);

typedef struct {
    const char *pseudonym;    /**< the patient's per-release pseudonym: 16..64 lowercase hex digits */
    uint64_t release_time_ms; /**< the release date, for the age-over-89 rule; must be set */
    mc_fhir_rand_fn rand;     /**< source of the fresh resource ids; NULL: mc_random */
    void *rand_ctx;
} mc_fhir_deid_opts;

/**
 * De-identifies one patient's resources by the Safe Harbor method. @p in is a JSON array of
 * resources or a Bundle (its entries' resources); it holds at most one Patient. The output is
 * a new JSON array of the released resources, in input order (mc_fhir_bundle_wrap makes a
 * Bundle of it). Rules (src/fhir/deid.c and deid_walk.c give their reasons):
 *
 *   - types: only Patient, Observation, Condition, Procedure, Immunization, MedicationRequest,
 *     DiagnosticReport, Encounter, CarePlan and AllergyIntolerance are released; every other
 *     (Claim, ExplanationOfBenefit, Coverage, Organization, Practitioner, ...) is dropped, as
 *     is a resource with a modifierExtension (its meaning would change without it);
 *   - ids: the Patient's id becomes the pseudonym, every other id 32 fresh random hex digits;
 *     a reference to the patient becomes "Patient/<pseudonym>", one to another released
 *     resource "<Type>/<new id>"; any other reference (practitioners, organizations, claims,
 *     contained "#x") is removed, with its display and identifier, and elements left empty
 *     by removals are removed too;
 *   - removed anywhere: identifier, name, telecom, contact, photo, link, text (narratives and
 *     CodeableConcept.text), note, comment, description, patientInstruction, conclusion, title,
 *     summary, author, every element whose name ends in String or Markdown (onsetString,
 *     performedString, authorString, ...), the display of a Coding outside the known
 *     terminologies (LOINC, SNOMED CT, RxNorm, CVX, UCUM, HL7, BCP 47, CDC race), an
 *     Observation's valueQuantity over 89 when its LOINC code says it is an age, valueAnnotation,
 * valueAttachment, presentedForm, contained, lotNumber, serialNumber, udiCarrier, issued and lastUpdated
 * (instants: no year-only form), implicitRules, meta (replaced by a security label PSEUDED of
 * v3-ObservationValue), element ids, the value[x] kinds that hold identifiers or addresses of the web
 *     (valueUri, valueUrl, valueUuid, valueOid, valueId, valueIdentifier, valueHumanName,
 *     valueContactPoint, valueSignature, signature), primitive
 *     extensions ("_x"), and any member whose name is not a FHIR element name
 *     ([a-z][A-Za-z0-9]{0,63}), since a key could carry anything;
 *   - displays: a Coding's display (terminology text) stays; any other display (a Reference's
 *     names a person) goes;
 *   - extensions: only us-core-race, us-core-ethnicity and us-core-birthsex stay (their codings;
 *     their free text goes by the rule above); mothersMaidenName, birthPlace, geolocation and
 *     all others are removed;
 *   - address (also valueAddress): only state, and postalCode cut to its first three digits
 *     ("000" for the restricted prefixes, mc_fhir_deid_zip3); no postalCode if it has fewer;
 *   - dates: every string that is a FHIR date, dateTime or instant, wherever it is, is cut to
 *     its year; a string that is not one but contains something shaped like a date (dddd-dd)
 *     or a UUID is removed, as is any non-date value of an element named like a date
 *     (*Date, *DateTime, *Instant, date, start, end, authoredOn, created, recorded), so no
 *     original id and no day or month survives;
 *   - ages over 89: if the Patient's birth year is 90 or more years before the release year
 *     (conservatively, by years alone), birthDate is removed and the Patient gets extension
 *     MC_FHIR_NS "/StructureDefinition/age-group" with valueString "90+", and every date of
 *     a year more than 89 years before the release year, in any resource, is removed (it would
 *     tell how far past 90 the patient is); any Age element (onsetAge, ...) over 89 years is
 *     removed, whoever the patient.
 *
 * Not covered, and the releaser's to judge (Safe Harbor's "no actual knowledge" clause):
 * values that identify by themselves in elements kept as clinical content (a Coding display
 * from a local code system, a rare value, an age recorded as an Observation value), and
 * anything in a resource type added to the allow-list later without review.
 *
 * The pseudonym must be random and fresh for each release (HIPAA 164.514(c): a re-
 * identification code may not be derived from the person's data); it is the caller's.
 *
 * Deterministic given the input, the options and the random bytes drawn.
 * @param out receives a new reference, NULL on failure
 * @return MC_OK, MC_EINVAL (bad pseudonym or release time, an entry that is not a resource,
 *         more than one Patient, nesting over MC_FHIR_MAX_DEPTH), MC_ETOOBIG (more than
 *         MC_FHIR_MAX_ENTRIES resources), MC_ENOMEM.
 */
int mc_fhir_deid(json_t **out, const json_t *in, const mc_fhir_deid_opts *opts) MC_WARN_UNUSED_RESULT;

/**
 * Safe Harbor ZIP rule: the first three digits of @p zip ("02108-1234" -> "021"), or "000" for
 * the three-digit prefixes of 20,000 people or fewer (HHS list: 036, 059, 063, 102, 203, 556,
 * 692, 790, 821, 823, 830, 831, 878, 879, 884, 890, 893).
 * @return MC_OK, MC_EINVAL (fewer than three leading digits; @p out is then "").
 */
int mc_fhir_deid_zip3(char out[4], const char *zip) MC_WARN_UNUSED_RESULT;

/** @return 1 if resources of @p type are released by mc_fhir_deid (the allow-list), else 0. */
int mc_fhir_deid_type_allowed(const char *type);

#ifdef __cplusplus
}
#endif
#endif
