/*
 * Parsing a Bundle for ingest: jansson for the values, the scanner (span.c) for the bytes,
 * then the checks of fhir.h (mc_fhir_bundle_parse) on every entry, and the rules that make it
 * one patient's chart: admitted resource types only, at most one Patient, every reference to a
 * patient pointing at that one. Entries are described on demand (mc_fhir_bundle_entry): a
 * 64 MiB bundle may have a great many small entries.
 */
#include <stdlib.h>
#include <string.h>

#include "fhir_internal.h"

struct mc_fhir_bundle {
    json_t *root;
    const char *type;
    json_t *entries;     /* borrowed from root; NULL when the bundle has none */
    mc_fhir_spans spans; /* one per resource, in order; entries without a resource are left out */
    size_t *at;          /* at[i]: position in the entry array of resource i */
    size_t nskipped;     /* entries without a resource */
    size_t npatients;    /* 0 or 1 once parsed */
    size_t patient;      /* resource index of the Patient when npatients == 1 */
};

static const char *const mc_fhir_bundle_types[] = {
    "document",       "message", "transaction", "transaction-response", "batch",
    "batch-response", "history", "searchset",   "collection",
};

/*
 * The types ingest admits (docs/decisions.md, "One patient's chart at ingest"), sorted for bsearch.
 * Chart: the R4 Patient compartment without the types that gather many patients or are no
 * part of a chart (Group, List, Person, MeasureReport, Schedule, AuditEvent). Support: what a
 * chart's resources refer to, admitted beside them, never alone. Anything else (conformance
 * and terminology resources, Binary, Bundle, Parameters, OperationOutcome, Subscription, a
 * type added to FHIR later) is refused: an allow-list fails closed.
 */
typedef struct {
    const char *name;
    int kind; /* enum mc_fhir_type_kind */
} mc_fhir_type_row;

static const mc_fhir_type_row mc_fhir_ingest_types[] = {
    {"Account", MC_FHIR_TYPE_CHART},
    {"AdverseEvent", MC_FHIR_TYPE_CHART},
    {"AllergyIntolerance", MC_FHIR_TYPE_CHART},
    {"Appointment", MC_FHIR_TYPE_CHART},
    {"AppointmentResponse", MC_FHIR_TYPE_CHART},
    {"Basic", MC_FHIR_TYPE_CHART},
    {"BodyStructure", MC_FHIR_TYPE_CHART},
    {"CarePlan", MC_FHIR_TYPE_CHART},
    {"CareTeam", MC_FHIR_TYPE_CHART},
    {"ChargeItem", MC_FHIR_TYPE_CHART},
    {"Claim", MC_FHIR_TYPE_CHART},
    {"ClaimResponse", MC_FHIR_TYPE_CHART},
    {"ClinicalImpression", MC_FHIR_TYPE_CHART},
    {"Communication", MC_FHIR_TYPE_CHART},
    {"CommunicationRequest", MC_FHIR_TYPE_CHART},
    {"Composition", MC_FHIR_TYPE_CHART},
    {"Condition", MC_FHIR_TYPE_CHART},
    {"Consent", MC_FHIR_TYPE_CHART},
    {"Coverage", MC_FHIR_TYPE_CHART},
    {"CoverageEligibilityRequest", MC_FHIR_TYPE_CHART},
    {"CoverageEligibilityResponse", MC_FHIR_TYPE_CHART},
    {"DetectedIssue", MC_FHIR_TYPE_CHART},
    {"Device", MC_FHIR_TYPE_SUPPORT},
    {"DeviceRequest", MC_FHIR_TYPE_CHART},
    {"DeviceUseStatement", MC_FHIR_TYPE_CHART},
    {"DiagnosticReport", MC_FHIR_TYPE_CHART},
    {"DocumentManifest", MC_FHIR_TYPE_CHART},
    {"DocumentReference", MC_FHIR_TYPE_CHART},
    {"Encounter", MC_FHIR_TYPE_CHART},
    {"EnrollmentRequest", MC_FHIR_TYPE_CHART},
    {"EpisodeOfCare", MC_FHIR_TYPE_CHART},
    {"ExplanationOfBenefit", MC_FHIR_TYPE_CHART},
    {"FamilyMemberHistory", MC_FHIR_TYPE_CHART},
    {"Flag", MC_FHIR_TYPE_CHART},
    {"Goal", MC_FHIR_TYPE_CHART},
    {"ImagingStudy", MC_FHIR_TYPE_CHART},
    {"Immunization", MC_FHIR_TYPE_CHART},
    {"ImmunizationEvaluation", MC_FHIR_TYPE_CHART},
    {"ImmunizationRecommendation", MC_FHIR_TYPE_CHART},
    {"Invoice", MC_FHIR_TYPE_CHART},
    {"Location", MC_FHIR_TYPE_SUPPORT},
    {"Media", MC_FHIR_TYPE_CHART},
    {"Medication", MC_FHIR_TYPE_SUPPORT},
    {"MedicationAdministration", MC_FHIR_TYPE_CHART},
    {"MedicationDispense", MC_FHIR_TYPE_CHART},
    {"MedicationRequest", MC_FHIR_TYPE_CHART},
    {"MedicationStatement", MC_FHIR_TYPE_CHART},
    {"MolecularSequence", MC_FHIR_TYPE_CHART},
    {"NutritionOrder", MC_FHIR_TYPE_CHART},
    {"Observation", MC_FHIR_TYPE_CHART},
    {"Organization", MC_FHIR_TYPE_SUPPORT},
    {"Patient", MC_FHIR_TYPE_CHART},
    {"Practitioner", MC_FHIR_TYPE_SUPPORT},
    {"PractitionerRole", MC_FHIR_TYPE_SUPPORT},
    {"Procedure", MC_FHIR_TYPE_CHART},
    {"Provenance", MC_FHIR_TYPE_CHART},
    {"QuestionnaireResponse", MC_FHIR_TYPE_CHART},
    {"RelatedPerson", MC_FHIR_TYPE_CHART},
    {"RequestGroup", MC_FHIR_TYPE_CHART},
    {"ResearchSubject", MC_FHIR_TYPE_CHART},
    {"RiskAssessment", MC_FHIR_TYPE_CHART},
    {"ServiceRequest", MC_FHIR_TYPE_CHART},
    {"Specimen", MC_FHIR_TYPE_CHART},
    {"Substance", MC_FHIR_TYPE_SUPPORT},
    {"SupplyDelivery", MC_FHIR_TYPE_CHART},
    {"SupplyRequest", MC_FHIR_TYPE_CHART},
    {"VisionPrescription", MC_FHIR_TYPE_CHART},
};

static int mc_fhir_type_cmp(const void *key, const void *row)
{
    return strcmp(key, ((const mc_fhir_type_row *)row)->name);
}

int mc_fhir_ingest_type(const char *type)
{
    if (!type) return 0;
    const mc_fhir_type_row *row = bsearch(type, mc_fhir_ingest_types, MC_ARRAY_LEN(mc_fhir_ingest_types),
                                          sizeof mc_fhir_ingest_types[0], mc_fhir_type_cmp);
    return row ? row->kind : 0;
}

static int mc_fhir_refuse(mc_fhir_error *err, const char *what, size_t entry, int rc)
{
    if (err) {
        err->what = what;
        err->entry = entry;
    }
    return rc;
}

/* A refusal of entry @p entry for what it is, not how it is written: names its type too. */
static int mc_fhir_refuse_as(mc_fhir_error *err, const char *what, size_t entry, const char *type)
{
    /* @p type passed mc_fhir_type_ok: a type name, never content */
    if (err) memcpy(err->type, type, strlen(type) + 1);
    return mc_fhir_refuse(err, what, entry, MC_EDENIED);
}

static const char *mc_fhir_entry_type(const json_t *entry)
{
    return json_string_value(json_object_get(json_object_get(entry, "resource"), "resourceType"));
}

/* The checks of one entry that has a resource (fhir.h). @return NULL or why it is refused. */
static const char *mc_fhir_check_entry(const json_t *entry, mc_slice span)
{
    const json_t *res = json_object_get(entry, "resource");
    if (!json_is_object(res)) return "resource is not an object";
    const json_t *type = json_object_get(res, "resourceType");
    if (!type) return "resource without resourceType";
    if (!mc_fhir_type_ok(json_string_value(type))) return "resourceType is not a FHIR type name";
    const json_t *id = json_object_get(res, "id");
    if (id && !mc_fhir_id_ok(json_string_value(id))) return "resource id is not a FHIR id";
    const json_t *url = json_object_get(entry, "fullUrl");
    if (url && (!json_is_string(url) || json_string_length(url) == 0 ||
                json_string_length(url) > MC_FHIR_MAX_FULL_URL))
        return "fullUrl is not a string of 1..1024 bytes";
    if (!span.p || span.n < 2 || span.p[0] != '{') return "scanner and parser disagree on the resource";
    return NULL;
}

/*
 * Entry @p i: skipped (no resource), refused, or kept as resource b->spans.n (its span moved
 * down over the skipped ones). Counts the chart resources in @p nchart.
 */
static int mc_fhir_admit_entry(mc_fhir_bundle *b, size_t i, size_t *nchart, mc_fhir_error *err)
{
    const json_t *entry = json_array_get(b->entries, i);
    if (!json_is_object(entry)) return mc_fhir_refuse(err, "entry is not an object", i, MC_EINVAL);
    if (!json_object_get(entry, "resource")) { /* a DELETE in a transaction, say: nothing to file */
        b->nskipped++;
        return MC_OK;
    }
    const char *why = mc_fhir_check_entry(entry, b->spans.a[i]);
    if (why) return mc_fhir_refuse(err, why, i, MC_EINVAL);
    const char *type = mc_fhir_entry_type(entry);
    int kind = mc_fhir_ingest_type(type);
    if (!kind) return mc_fhir_refuse_as(err, "resource type not admitted to a patient's chart", i, type);
    if (strcmp(type, "Patient") == 0) {
        if (b->npatients)
            return mc_fhir_refuse_as(err, "a second Patient: one bundle is one patient's", i, type);
        b->npatients = 1;
        b->patient = b->spans.n;
    }
    *nchart += kind == MC_FHIR_TYPE_CHART;
    b->at[b->spans.n] = i;
    b->spans.a[b->spans.n++] = b->spans.a[i];
    return MC_OK;
}

/* Whose chart the references must agree on: the Patient's id, else the first one named. */
typedef struct {
    int have_patient;
    const char *id; /* NULL: none yet (no Patient), or a Patient without an id */
    size_t nid;
} mc_fhir_chart;

/*
 * If @p ref names a Patient by type and id, the id: the path segment after the last "Patient/"
 * at its start or after a '/' ("Patient/<id>", "<base>/Patient/<id>", "Patient/<id>/_history/2").
 * @return the id (its length in @p nid; it runs to the next '/' or the end), or NULL.
 */
static const char *mc_fhir_patient_ref(const char *ref, size_t *nid)
{
    const char *id = NULL;
    for (const char *p = strstr(ref, "Patient/"); p; p = strstr(p + 1, "Patient/"))
        if (p == ref || p[-1] == '/') id = p + 8;
    if (id) *nid = strcspn(id, "/");
    return id;
}

/* @return NULL if reference @p ref is to no patient or to the chart's one, else why not. */
static const char *mc_fhir_check_ref(mc_fhir_chart *c, const char *ref)
{
    size_t n = 0;
    if (!ref) return NULL;
    /* "Patient?identifier=...": the server would pick the patient; nothing here can check it */
    if (strncmp(ref, "Patient?", 8) == 0) return "conditional reference to a Patient: it cannot be checked";
    /* a urn:uuid (or any other) fullUrl can only be the one Patient's: there is no other */
    const char *id = mc_fhir_patient_ref(ref, &n);
    if (!id) return NULL;
    if (!c->have_patient && !c->id) {
        c->id = id;
        c->nid = n;
    }
    if (c->id && n == c->nid && memcmp(id, c->id, n) == 0) return NULL;
    return c->have_patient ? "reference to a Patient other than the bundle's Patient"
                           : "references to two different Patients";
}

/* A resource inside a resource (contained): admitted types only, never a Patient. */
static const char *mc_fhir_check_nested(const json_t *obj)
{
    const char *type = json_string_value(json_object_get(obj, "resourceType"));
    if (!type) return NULL;
    if (strcmp(type, "Patient") == 0) return "a Patient contained in another resource";
    return mc_fhir_ingest_type(type) ? NULL
                                     : "a contained resource of a type not admitted to a patient's chart";
}

/* Every object of @p v (the resource at @p depth 1): its nested resources and references. */
static const char *mc_fhir_chart_walk(mc_fhir_chart *c, const json_t *v, unsigned depth)
{
    const char *why = depth > MC_FHIR_MAX_DEPTH ? "nested too deep" : NULL;
    if (json_is_array(v))
        for (size_t i = 0; !why && i < json_array_size(v); i++)
            why = mc_fhir_chart_walk(c, json_array_get(v, i), depth + 1);
    if (why || !json_is_object(v)) return why;
    if (depth > 1) why = mc_fhir_check_nested(v);
    if (!why) why = mc_fhir_check_ref(c, json_string_value(json_object_get(v, "reference")));
    for (void *it = json_object_iter((json_t *)v); !why && it; it = json_object_iter_next((json_t *)v, it))
        why = mc_fhir_chart_walk(c, json_object_iter_value(it), depth + 1);
    return why;
}

/* Every reference to a patient, in every resource, is to the same one (fhir.h). */
static int mc_fhir_check_chart(const mc_fhir_bundle *b, mc_fhir_error *err)
{
    mc_fhir_chart c = {.have_patient = b->npatients == 1};
    if (c.have_patient) {
        const json_t *entry = json_array_get(b->entries, b->at[b->patient]);
        c.id = json_string_value(json_object_get(json_object_get(entry, "resource"), "id"));
        c.nid = c.id ? strlen(c.id) : 0;
    }
    for (size_t i = 0; i < b->spans.n; i++) {
        const json_t *entry = json_array_get(b->entries, b->at[i]);
        const char *why = mc_fhir_chart_walk(&c, json_object_get(entry, "resource"), 1);
        if (why) return mc_fhir_refuse_as(err, why, b->at[i], mc_fhir_entry_type(entry));
    }
    return MC_OK;
}

/* The entries: each one checked, then the bundle as one patient's chart. */
static int mc_fhir_check_entries(mc_fhir_bundle *b, mc_fhir_error *err)
{
    size_t count = json_array_size(b->entries), nchart = 0;
    b->at = malloc((count ? count : 1) * sizeof *b->at);
    if (!b->at) return mc_fhir_refuse(err, "out of memory", SIZE_MAX, MC_ENOMEM);
    b->spans.n = 0; /* kept resources are moved down as they are admitted */
    for (size_t i = 0; i < count; i++) {
        int rc = mc_fhir_admit_entry(b, i, &nchart, err);
        if (rc != MC_OK) return rc;
    }
    if (b->spans.n && !nchart)
        return mc_fhir_refuse(err,
                              "no resource about a patient (only Organization, Practitioner and the like)",
                              SIZE_MAX, MC_EDENIED);
    return mc_fhir_check_chart(b, err);
}

static int mc_fhir_bundle_check(mc_fhir_bundle *b, const uint8_t *p, size_t n, mc_fhir_error *err)
{
    const json_t *root = b->root;
    if (!json_is_object(root)) return mc_fhir_refuse(err, "not a JSON object", SIZE_MAX, MC_EINVAL);
    const char *rt = json_string_value(json_object_get(root, "resourceType"));
    if (!rt || strcmp(rt, "Bundle") != 0) return mc_fhir_refuse(err, "not a Bundle", SIZE_MAX, MC_EINVAL);
    const char *type = json_string_value(json_object_get(root, "type"));
    for (size_t i = 0; type && i < MC_ARRAY_LEN(mc_fhir_bundle_types); i++)
        if (strcmp(type, mc_fhir_bundle_types[i]) == 0) b->type = mc_fhir_bundle_types[i];
    if (!b->type) return mc_fhir_refuse(err, "Bundle.type missing or unknown", SIZE_MAX, MC_EINVAL);
    json_t *entries = json_object_get(root, "entry");
    if (entries && !json_is_array(entries))
        return mc_fhir_refuse(err, "entry is not an array", SIZE_MAX, MC_EINVAL);
    size_t count = json_array_size(entries);
    if (count > MC_FHIR_MAX_ENTRIES) return mc_fhir_refuse(err, "too many entries", SIZE_MAX, MC_ETOOBIG);

    const char *why = NULL;
    int rc = mc_fhir_scan_entries(p, n, &b->spans, &why);
    if (rc != MC_OK) return mc_fhir_refuse(err, why, SIZE_MAX, rc);
    if (b->spans.n != count)
        return mc_fhir_refuse(err, "scanner and parser disagree on the entries", SIZE_MAX, MC_EINVAL);
    b->entries = entries;
    return mc_fhir_check_entries(b, err);
}

int mc_fhir_bundle_parse(mc_fhir_bundle **pp, const uint8_t *p, size_t n, mc_fhir_error *err)
{
    if (err) {
        err->what = NULL;
        err->entry = SIZE_MAX;
        err->type[0] = 0;
    }
    if (!pp) return mc_fhir_refuse(err, "bad argument", SIZE_MAX, MC_EINVAL);
    *pp = NULL;
    if (!p && n) return mc_fhir_refuse(err, "bad argument", SIZE_MAX, MC_EINVAL);
    if (n > MC_FHIR_MAX_BUNDLE_BYTES) return mc_fhir_refuse(err, "bundle over 64 MiB", SIZE_MAX, MC_ETOOBIG);
    if (n == 0) return mc_fhir_refuse(err, "not valid JSON", SIZE_MAX, MC_EINVAL);

    mc_fhir_bundle *b = calloc(1, sizeof *b);
    if (!b) return mc_fhir_refuse(err, "out of memory", SIZE_MAX, MC_ENOMEM);
    json_error_t jerr;
    b->root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
    int rc;
    if (!b->root)
        rc = mc_fhir_refuse(
            err, json_error_code(&jerr) == json_error_out_of_memory ? "out of memory" : "not valid JSON",
            SIZE_MAX, json_error_code(&jerr) == json_error_out_of_memory ? MC_ENOMEM : MC_EINVAL);
    else
        rc = mc_fhir_bundle_check(b, p, n, err);
    if (rc != MC_OK) {
        mc_fhir_bundle_free(b);
        return rc;
    }
    *pp = b;
    return MC_OK;
}

void mc_fhir_bundle_free(mc_fhir_bundle *b)
{
    if (!b) return;
    json_decref(b->root);
    mc_fhir_spans_free(&b->spans);
    free(b->at);
    free(b);
}

const char *mc_fhir_bundle_type(const mc_fhir_bundle *b)
{
    return b ? b->type : NULL;
}

size_t mc_fhir_bundle_count(const mc_fhir_bundle *b)
{
    return b ? b->spans.n : 0;
}

size_t mc_fhir_bundle_skipped(const mc_fhir_bundle *b)
{
    return b ? b->nskipped : 0;
}

const json_t *mc_fhir_bundle_json(const mc_fhir_bundle *b)
{
    return b ? b->root : NULL;
}

int mc_fhir_bundle_entry(const mc_fhir_bundle *b, size_t i, mc_fhir_entry *out)
{
    if (!out) return MC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!b || i >= b->spans.n) return MC_EINVAL;
    const json_t *entry = json_array_get(b->entries, b->at[i]);
    int rc = mc_fhir_resource_describe(out, json_object_get(entry, "resource"));
    if (rc != MC_OK) return rc;
    out->index = b->at[i];
    out->span = b->spans.a[i];
    out->full_url = json_string_value(json_object_get(entry, "fullUrl"));
    out->is_patient = b->npatients == 1 && b->patient == i;
    return MC_OK;
}

int mc_fhir_bundle_patient(const mc_fhir_bundle *b, size_t *index)
{
    if (!b) return MC_EINVAL;
    if (b->npatients == 0) return MC_ENOTFOUND;
    if (index) *index = b->patient;
    return MC_OK;
}

/* 1 if @p ref is @p prefix followed by exactly @p id. */
static int mc_fhir_ref_is(const char *ref, const char *prefix, const char *id)
{
    size_t np = strlen(prefix);
    return strncmp(ref, prefix, np) == 0 && strcmp(ref + np, id) == 0;
}

int mc_fhir_bundle_is_patient_ref(const mc_fhir_bundle *b, const char *ref)
{
    if (!b || !ref || b->npatients != 1) return 0;
    const json_t *entry = json_array_get(b->entries, b->at[b->patient]);
    const char *url = json_string_value(json_object_get(entry, "fullUrl"));
    const char *pid = json_string_value(json_object_get(json_object_get(entry, "resource"), "id"));
    if (url && strcmp(ref, url) == 0) return 1;
    if (!pid) return 0;
    if (mc_fhir_ref_is(ref, "urn:uuid:", pid)) return 1;
    size_t n = 0;
    const char *id = mc_fhir_patient_ref(ref, &n);
    if (!id || n != strlen(pid) || memcmp(id, pid, n) != 0) return 0;
    if (id[n] && strncmp(id + n, "/_history/", 10) != 0) return 0;
    return id - ref == 8 || strstr(ref, "://") != NULL; /* relative, or an absolute URL */
}
