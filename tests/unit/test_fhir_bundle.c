/*
 * fhir, part 1 (ingest): every Synthea patient bundle parses with all its entries, and the
 * hospital and practitioner directories are refused; each resource's span is its exact bytes
 * and re-parses equal to what jansson made of it; resource counts match the data's README;
 * categories, sensitivity, years and keywords; the strict scanner's edge cases; a table of
 * malformed bundles with their errors; one patient's chart (the admitted types, one Patient,
 * references to it only, entries without a resource skipped); bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/fhir.h"
#include "phi.h"
#include "testutil.h"

/* Parses @p text (a C string), asserting @p want; on success returns the bundle. */
static mc_fhir_bundle *parse_text(const char *text, int want, mc_fhir_error *err)
{
    mc_fhir_bundle *b = (mc_fhir_bundle *)1;
    mc_fhir_error e;
    assert_rc(mc_fhir_bundle_parse(&b, (const uint8_t *)text, strlen(text), err ? err : &e), want);
    if (want != MC_OK) assert_null(b);
    return b;
}

/* The entry's keyword list holds (kind, value). */
static int has_kw(const mc_fhir_entry *e, int kind, const char *value)
{
    for (uint32_t i = 0; i < e->nkeywords; i++)
        if (e->keywords[i].kind == kind && strcmp(e->keywords[i].value, value) == 0) return 1;
    return 0;
}

/* The entry has a keyword of @p kind. */
static int has_kind(const mc_fhir_entry *e, int kind)
{
    for (uint32_t i = 0; i < e->nkeywords; i++)
        if (e->keywords[i].kind == kind) return 1;
    return 0;
}

/* Asserts what every described entry must satisfy, whatever its source. */
static void check_entry(const mc_fhir_entry *e)
{
    assert_true(mc_category_ok(e->category, strlen(e->category)));
    assert_true(e->sensitivity <= MC_SENS_VERY_RESTRICTED);
    assert_true(e->nkeywords >= 2 && e->nkeywords <= MC_FHIR_MAX_KEYWORDS);
    assert_int_equal(e->keywords[0].kind, MC_FHIR_KW_TYPE);
    assert_string_equal(e->keywords[0].value, e->type);
    assert_int_equal(e->keywords[1].kind, MC_FHIR_KW_CATEGORY);
    assert_string_equal(e->keywords[1].value, e->category);
    for (uint32_t i = 0; i < e->nkeywords; i++) {
        assert_non_null(mc_fhir_kw_name(e->keywords[i].kind));
        assert_true(strlen(e->keywords[i].value) > 0 && strlen(e->keywords[i].value) <= MC_FHIR_MAX_KEYWORD);
        for (uint32_t j = 0; j < i; j++)
            assert_false(e->keywords[i].kind == e->keywords[j].kind &&
                         strcmp(e->keywords[i].value, e->keywords[j].value) == 0);
    }
}

/* The span is a resource whose re-parse is exactly the resource jansson made. */
static void check_span(const mc_fhir_entry *e)
{
    json_error_t jerr;
    assert_true(e->span.n >= 2 && e->span.p[0] == '{' && e->span.p[e->span.n - 1] == '}');
    json_t *again = json_loadb((const char *)e->span.p, e->span.n, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(again);
    assert_true(json_equal(again, (json_t *)e->resource));
    json_decref(again);
}

/* ------------------------------------------------------------------------------------------ */
/* The Synthea bundles                                                                          */

static const struct {
    const char *type;
    size_t want;
} readme_totals[] = {
    {"Observation", 926},  {"Claim", 157},        {"Encounter", 130},        {"ExplanationOfBenefit", 130},
    {"Organization", 125}, {"Practitioner", 125}, {"Immunization", 123},     {"DiagnosticReport", 64},
    {"Condition", 53},     {"Procedure", 40},     {"MedicationRequest", 27}, {"Patient", 20},
    {"CarePlan", 13},
};

typedef struct {
    size_t count[MC_ARRAY_LEN(readme_totals)];
    size_t other, files, patients, directories, height_8302;
} synthea_tally;

static void tally_type(synthea_tally *t, const char *type)
{
    size_t k = 0;
    while (k < MC_ARRAY_LEN(readme_totals) && strcmp(readme_totals[k].type, type) != 0) k++;
    if (k < MC_ARRAY_LEN(readme_totals))
        t->count[k]++;
    else
        t->other++;
}

static void tally_entry(synthea_tally *t, const mc_fhir_bundle *b, const mc_fhir_entry *e)
{
    tally_type(t, e->type);
    if (strcmp(e->type, "Observation") == 0) {
        assert_true(strcmp(e->category, "vital-signs") == 0 || strcmp(e->category, "laboratory") == 0 ||
                    strcmp(e->category, "survey") == 0);
        assert_true(e->year >= 1900 && e->year <= 2100);
        if (has_kw(e, MC_FHIR_KW_LOINC, "8302-2")) {
            t->height_8302++;
            assert_string_equal(e->category, "vital-signs");
        }
        /* the subject is the bundle's patient */
        const char *subj =
            json_string_value(json_object_get(json_object_get(e->resource, "subject"), "reference"));
        assert_true(mc_fhir_bundle_is_patient_ref(b, subj));
    }
    if (strcmp(e->type, "Immunization") == 0) {
        assert_string_equal(e->category, "immunization");
        assert_true(has_kind(e, MC_FHIR_KW_CVX));
    }
    if (strcmp(e->type, "Condition") == 0) assert_string_equal(e->category, "condition");
    if (strcmp(e->type, "ExplanationOfBenefit") == 0)
        assert_string_equal(e->category, "explanationofbenefit");
    if (strcmp(e->type, "MedicationRequest") == 0) assert_string_equal(e->category, "medicationrequest");
}

static void check_patient(const mc_fhir_bundle *b, synthea_tally *t)
{
    size_t pi = SIZE_MAX;
    assert_ok(mc_fhir_bundle_patient(b, &pi));
    t->patients++;
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_non_null(e);
    assert_ok(mc_fhir_bundle_entry(b, pi, e));
    assert_true(e->is_patient);
    assert_string_equal(e->category, "patient");
    assert_true(e->year > 1900); /* birthDate */
    char ref[128];
    snprintf(ref, sizeof ref, "urn:uuid:%s", e->id);
    assert_true(mc_fhir_bundle_is_patient_ref(b, ref));
    snprintf(ref, sizeof ref, "Patient/%s", e->id);
    assert_true(mc_fhir_bundle_is_patient_ref(b, ref));
    snprintf(ref, sizeof ref, "https://ehr.example/fhir/Patient/%s", e->id);
    assert_true(mc_fhir_bundle_is_patient_ref(b, ref));
    assert_true(mc_fhir_bundle_is_patient_ref(b, e->full_url));
    snprintf(ref, sizeof ref, "Practitioner/%s", e->id);
    assert_false(mc_fhir_bundle_is_patient_ref(b, ref));
    snprintf(ref, sizeof ref, "urn:uuid:%sx", e->id);
    assert_false(mc_fhir_bundle_is_patient_ref(b, ref));
    assert_false(mc_fhir_bundle_is_patient_ref(b, NULL));
    free(e);
}

/* A patient's bundle: every entry is a resource, described, spanned and tallied. */
static void synthea_chart(synthea_tally *t, const mc_buf *text, mc_fhir_entry *e)
{
    mc_fhir_bundle *b = NULL;
    mc_fhir_error err;
    assert_ok(mc_fhir_bundle_parse(&b, text->p, text->n, &err));
    assert_null(err.what);
    assert_string_equal(mc_fhir_bundle_type(b), "transaction");
    assert_int_equal(mc_fhir_bundle_skipped(b), 0);
    assert_int_equal(mc_fhir_bundle_count(b),
                     json_array_size(json_object_get(mc_fhir_bundle_json(b), "entry")));
    for (size_t i = 0; i < mc_fhir_bundle_count(b); i++) {
        assert_ok(mc_fhir_bundle_entry(b, i, e));
        assert_int_equal(e->index, i);
        assert_true(e->span.p >= text->p && e->span.p + e->span.n <= text->p + text->n);
        check_span(e);
        check_entry(e);
        assert_non_null(e->id);
        assert_non_null(e->full_url);
        tally_entry(t, b, e);
    }
    check_patient(b, t);
    mc_fhir_bundle_free(b);
}

/* The hospital and practitioner directories name no patient: refused, as a whole. */
static void synthea_directory(synthea_tally *t, const mc_buf *text)
{
    mc_fhir_bundle *b = (mc_fhir_bundle *)1;
    mc_fhir_error err;
    assert_rc(mc_fhir_bundle_parse(&b, text->p, text->n, &err), MC_EDENIED);
    assert_null(b);
    assert_string_equal(err.what,
                        "no resource about a patient (only Organization, Practitioner and the like)");
    assert_int_equal(err.entry, SIZE_MAX);
    assert_string_equal(err.type, "");
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text->p, text->n, 0, &jerr);
    assert_non_null(root);
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(root, "entry"), i, entry)
    {
        tally_type(t, json_string_value(json_object_get(json_object_get(entry, "resource"), "resourceType")));
    }
    json_decref(root);
    t->directories++;
}

static void test_synthea(void **state)
{
    (void)state;
    char **paths;
    size_t npaths;
    synthea_tally t;
    memset(&t, 0, sizeof t);
    assert_ok(phi_json_files(MEDCHAIN_SYNTHEA_DIR, &paths, &npaths));
    assert_int_equal(npaths, 22); /* 20 patients, the hospitals, the practitioners */
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_non_null(e);
    for (size_t f = 0; f < npaths; f++) {
        mc_buf text;
        mc_buf_init(&text, MC_FHIR_MAX_BUNDLE_BYTES);
        assert_ok(mc_file_read(paths[f], &text));
        const char *name = strrchr(paths[f], '/') + 1;
        if (strncmp(name, "hospitalInformation", 19) == 0 ||
            strncmp(name, "practitionerInformation", 23) == 0)
            synthea_directory(&t, &text);
        else
            synthea_chart(&t, &text, e);
        mc_buf_free(&text);
        t.files++;
    }
    free(e);
    phi_paths_free(paths, npaths);
    for (size_t k = 0; k < MC_ARRAY_LEN(readme_totals); k++) {
        if (t.count[k] != readme_totals[k].want)
            fail_msg("%s: %zu resources, the README says %zu", readme_totals[k].type, t.count[k],
                     readme_totals[k].want);
    }
    assert_int_equal(t.other, 0);
    assert_int_equal(t.patients, 20);
    assert_int_equal(t.directories, 2);
    assert_true(t.height_8302 > 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Categories, sensitivity, years, keywords                                                     */

#define OBS_CAT "http://terminology.hl7.org/CodeSystem/observation-category"
#define CONF    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

/* One resource and what mc_fhir_resource_describe must make of it. */
static const struct {
    const char *json;
    const char *category;
    int year, sensitivity;
    int nkeywords;        /* or -1: not checked */
    const char *kw[3][2]; /* (kind name, value) pairs that must be among the keywords */
} describe_cases[] = {
    /* clang-format off */
    /* the observation-category coding wins over another system's; the year from effectivePeriod */
    {"{\"resourceType\":\"Observation\",\"category\":[{\"coding\":[{\"system\":\"http://example.org/x\","
     "\"code\":\"local\"},{\"system\":\"" OBS_CAT "\",\"code\":\"social-history\"}]}],\"code\":{\"coding\":[{"
     "\"system\":\"http://loinc.org\",\"code\":\"72166-2\"}]},\"effectivePeriod\":{\"start\":\"2019-04-02\"}}",
     "social-history", 2019, MC_SENS_NORMAL, 4, {{"year", "2019"}, {"loinc", "72166-2"}, {"type", "Observation"}}},
    /* no usable category: upper case is not a category */
    {"{\"resourceType\":\"Observation\",\"id\":\"o1\",\"category\":[{\"coding\":[{\"system\":\"" OBS_CAT
     "\",\"code\":\"LAB\"}]}]}",
     "observation", 0, MC_SENS_NORMAL, 2, {{"category", "observation"}}},
    {"{\"resourceType\":\"Condition\",\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":"
     "\"44054006\"}]},\"onsetDateTime\":\"2001-02-03T04:05:06Z\",\"recordedDate\":\"1999\"}",
     "condition", 2001, MC_SENS_NORMAL, 4, {{"snomed", "44054006"}, {"year", "2001"}}},
    {"{\"resourceType\":\"MedicationRequest\",\"medicationCodeableConcept\":{\"coding\":[{\"system\":"
     "\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"314076\"}]},\"reasonCode\":[{\"coding\":[{"
     "\"system\":\"http://snomed.info/sct\",\"code\":\"59621000\"}]}],\"authoredOn\":\"2010-07\"}",
     "medicationrequest", 2010, MC_SENS_NORMAL, 5, {{"rxnorm", "314076"}, {"snomed", "59621000"}}},
    /* a code nested anywhere counts; a near-miss system, a code with a space, an empty code do not */
    {"{\"resourceType\":\"ExplanationOfBenefit\",\"item\":[{\"productOrService\":{\"coding\":[{\"system\":"
     "\"http://hl7.org/fhir/sid/cvx\",\"code\":\"140\"},{\"system\":\"http://loinc.org/\",\"code\":\"1-8\"},"
     "{\"system\":\"http://loinc.org\",\"code\":\"has space\"},{\"system\":\"http://loinc.org\",\"code\":\"\"}]}}],"
     "\"billablePeriod\":{\"start\":\"not a date\"},\"created\":\"2004-05-06T07:08:09+01:00\"}",
     "explanationofbenefit", 2004, MC_SENS_NORMAL, 4, {{"cvx", "140"}}},
    /* sensitivity from the confidentiality labels, the highest wins, other systems do not count */
    {"{\"resourceType\":\"Procedure\",\"meta\":{\"security\":[{\"system\":\"" CONF "\",\"code\":\"R\"}]}}",
     "procedure", 0, MC_SENS_RESTRICTED, 2, {{NULL, NULL}}},
    {"{\"resourceType\":\"Procedure\",\"meta\":{\"security\":[{\"system\":\"" CONF "\",\"code\":\"V\"},"
     "{\"system\":\"" CONF "\",\"code\":\"R\"}]}}",
     "procedure", 0, MC_SENS_VERY_RESTRICTED, 2, {{NULL, NULL}}},
    {"{\"resourceType\":\"Procedure\",\"meta\":{\"security\":[{\"system\":\"http://x\",\"code\":\"V\"},"
     "{\"system\":\"" CONF "\",\"code\":\"N\"}]}}",
     "procedure", 0, MC_SENS_NORMAL, 2, {{NULL, NULL}}},
    /* the longest R4 type name still makes a category */
    {"{\"resourceType\":\"MedicinalProductContraindication\"}",
     "medicinalproductcontraindication", 0, MC_SENS_NORMAL, 2, {{NULL, NULL}}},
    /* clang-format on */
};

static void test_categories(void **state)
{
    (void)state;
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_non_null(e);
    for (size_t i = 0; i < MC_ARRAY_LEN(describe_cases); i++) {
        json_error_t jerr;
        json_t *r = json_loads(describe_cases[i].json, 0, &jerr);
        if (!r) fail_msg("case %zu: %s", i, jerr.text);
        assert_ok(mc_fhir_resource_describe(e, r));
        check_entry(e);
        assert_int_equal(e->span.n, 0);
        assert_null(e->full_url);
        assert_false(e->is_patient);
        assert_string_equal(e->category, describe_cases[i].category);
        assert_int_equal(e->year, describe_cases[i].year);
        assert_int_equal(e->sensitivity, describe_cases[i].sensitivity);
        if (describe_cases[i].nkeywords >= 0 && (int)e->nkeywords != describe_cases[i].nkeywords)
            fail_msg("case %zu: %u keywords, want %d", i, e->nkeywords, describe_cases[i].nkeywords);
        for (size_t k = 0; k < 3 && describe_cases[i].kw[k][0]; k++) {
            int kind = 1;
            while (mc_fhir_kw_name(kind) && strcmp(mc_fhir_kw_name(kind), describe_cases[i].kw[k][0]) != 0)
                kind++;
            if (!has_kw(e, kind, describe_cases[i].kw[k][1]))
                fail_msg("case %zu: no keyword (%s, %s)", i, describe_cases[i].kw[k][0],
                         describe_cases[i].kw[k][1]);
        }
        json_decref(r);
    }
    free(e);
}

/* 100 distinct LOINC codes plus repeats: the first 57 distinct ones follow the 3 fixed keywords. */
static void test_keyword_cap(void **state)
{
    (void)state;
    json_t *r = json_pack("{s:s,s:s,s:[]}", "resourceType", "Observation", "issued", "2020-01-01T00:00:00Z",
                          "component");
    json_t *comp = json_object_get(r, "component");
    for (int i = 0; i < 100; i++) {
        char code[16];
        snprintf(code, sizeof code, "%d-%d", 1000 + i / 2 * 2,
                 i % 2); /* each code twice in a row, then the next */
        json_array_append_new(comp, json_pack("{s:{s:[{s:s,s:s}]}}", "code", "coding", "system",
                                              "http://loinc.org", "code", code));
    }
    mc_fhir_entry *e = malloc(sizeof *e), *again = malloc(sizeof *again);
    assert_non_null(e);
    assert_non_null(again);
    assert_ok(mc_fhir_resource_describe(e, r));
    check_entry(e);
    assert_int_equal(e->nkeywords, MC_FHIR_MAX_KEYWORDS);
    assert_int_equal(e->keywords[2].kind, MC_FHIR_KW_YEAR);
    assert_string_equal(e->keywords[3].value, "1000-0");
    assert_string_equal(e->keywords[4].value, "1000-1");
    assert_string_equal(e->keywords[MC_FHIR_MAX_KEYWORDS - 1].value, "1056-0");
    assert_ok(mc_fhir_resource_describe(again, r));
    assert_memory_equal(e, again, sizeof *e); /* the same on every run */
    free(again);
    free(e);
    json_decref(r);
}

static void test_kw_names(void **state)
{
    (void)state;
    static const char *const names[] = {"type", "category", "year", "loinc", "snomed", "rxnorm", "cvx"};
    for (int k = 0; k < (int)MC_ARRAY_LEN(names); k++) assert_string_equal(mc_fhir_kw_name(k + 1), names[k]);
    assert_null(mc_fhir_kw_name(0));
    assert_null(mc_fhir_kw_name(8));
    assert_null(mc_fhir_kw_name(-1));
}

/* ------------------------------------------------------------------------------------------ */
/* The scanner                                                                                   */

/* Spans are byte-exact whatever the whitespace, escapes and nesting around them. */
static void test_spans(void **state)
{
    (void)state;
    static const char text[] =
        " \r\n\t{\"resourceType\" : \"Bundle\", \"meta\":{\"entry\":[1,2]}, \"type\":\"collection\",\n"
        "  \"\\u0065ntry\" : [ {\"fullUrl\":\"urn:uuid:a\", \"resource\"\t:\t{ "
        "\"resourceType\":\"Observation\","
        " \"valueQuantity\":{\"value\":-1.5e-3}, \"note\":[{\"text\":\"caf\\u00e9 \\ud83d\\ude00 \xc3\xa9 "
        "\\\"q\\\" "
        "\\\\ \\/ \\b\\f\\n\\r\\t\"}], \"x\":[[],{},[[true,false,null]],0,-0,10E+2]} } ,\n"
        "   "
        "{\"resourc\\u0065\":{\"resourceType\":\"Patient\",\"id\":\"p.1-A\"},\"search\":{\"resource\":1}}],"
        " \"zzz\":\"}]\" }  \n";
    mc_fhir_bundle *b = parse_text(text, MC_OK, NULL);
    assert_int_equal(mc_fhir_bundle_count(b), 2);
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_non_null(e);
    assert_ok(mc_fhir_bundle_entry(b, 0, e));
    const char *start = strstr(text, "{ \"resourceType\":\"Observation\"");
    const char *end = strstr(text, "10E+2]}") + strlen("10E+2]}");
    assert_ptr_equal(e->span.p, (const uint8_t *)start);
    assert_int_equal(e->span.n, (size_t)(end - start));
    check_span(e);
    assert_string_equal(e->full_url, "urn:uuid:a");
    assert_false(e->is_patient);
    assert_ok(mc_fhir_bundle_entry(b, 1, e));
    check_span(e);
    assert_true(e->is_patient);
    assert_null(e->full_url);
    size_t pi = 9;
    assert_ok(mc_fhir_bundle_patient(b, &pi));
    assert_int_equal(pi, 1);
    assert_true(mc_fhir_bundle_is_patient_ref(b, "Patient/p.1-A"));
    assert_true(mc_fhir_bundle_is_patient_ref(b, "urn:uuid:p.1-A"));
    assert_false(mc_fhir_bundle_is_patient_ref(b, "Patient/p.1-"));
    assert_false(mc_fhir_bundle_is_patient_ref(b, "ftp:/x/Patient/p.1-A"));
    assert_rc(mc_fhir_bundle_entry(b, 2, e), MC_EINVAL);
    free(e);
    mc_fhir_bundle_free(b);

    /* no entry at all: an empty bundle; and a searchset */
    b = parse_text("{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0}", MC_OK, NULL);
    assert_int_equal(mc_fhir_bundle_count(b), 0);
    assert_string_equal(mc_fhir_bundle_type(b), "searchset");
    assert_rc(mc_fhir_bundle_patient(b, &pi), MC_ENOTFOUND);
    assert_false(mc_fhir_bundle_is_patient_ref(b, "Patient/x"));
    mc_fhir_bundle_free(b);
}

/* Nesting: MC_FHIR_MAX_DEPTH levels parse, one more does not. */
static void test_depth(void **state)
{
    (void)state;
    const char *head = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":"
                       "{\"resourceType\":\"Basic\",\"x\":";
    for (unsigned extra = 0; extra < 2; extra++) {
        unsigned levels = MC_FHIR_MAX_DEPTH - 4 + extra; /* after bundle, entry array, entry, resource */
        mc_buf t;
        mc_buf_init(&t, 1 << 20);
        assert_ok(mc_buf_printf(&t, "%s", head));
        for (unsigned i = 0; i < levels; i++) assert_ok(mc_buf_append(&t, "[", 1));
        assert_ok(mc_buf_append(&t, "1", 1));
        for (unsigned i = 0; i < levels; i++) assert_ok(mc_buf_append(&t, "]", 1));
        assert_ok(mc_buf_printf(&t, "}}]}"));
        assert_ok(mc_buf_cstr(&t));
        mc_fhir_error err;
        mc_fhir_bundle *b = parse_text((const char *)t.p, extra ? MC_EINVAL : MC_OK, &err);
        if (extra) {
            assert_string_equal(err.what, "nested too deep");
        } else {
            mc_fhir_entry *e = malloc(sizeof *e);
            assert_ok(mc_fhir_bundle_entry(b, 0, e));
            check_span(e);
            free(e);
        }
        mc_fhir_bundle_free(b);
        mc_buf_free(&t);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Malformed input                                                                              */

#define BUNDLE(entries) "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":" entries "}"

static const struct {
    const char *text;
    int rc;
    const char *what;
    size_t entry;
} malformed[] = {
    {"", MC_EINVAL, "not valid JSON", SIZE_MAX},
    {"not json", MC_EINVAL, "not valid JSON", SIZE_MAX},
    {"[1,2]", MC_EINVAL, "not a JSON object", SIZE_MAX},
    {"{\"resourceType\":\"Patient\"}", MC_EINVAL, "not a Bundle", SIZE_MAX},
    {"{\"type\":\"collection\"}", MC_EINVAL, "not a Bundle", SIZE_MAX},
    {"{\"resourceType\":\"Bundle\"}", MC_EINVAL, "Bundle.type missing or unknown", SIZE_MAX},
    {"{\"resourceType\":\"Bundle\",\"type\":\"bag\"}", MC_EINVAL, "Bundle.type missing or unknown", SIZE_MAX},
    {"{\"resourceType\":\"Bundle\",\"type\":7}", MC_EINVAL, "Bundle.type missing or unknown", SIZE_MAX},
    {BUNDLE("{}"), MC_EINVAL, "entry is not an array", SIZE_MAX},
    {BUNDLE("null"), MC_EINVAL, "entry is not an array", SIZE_MAX},
    {BUNDLE("[1]"), MC_EINVAL, "entry is not an object", 0},
    {BUNDLE("[{\"request\":{\"method\":\"DELETE\"}},1]"), MC_EINVAL, "entry is not an object", 1},
    {BUNDLE("[{\"resource\":null}]"), MC_EINVAL, "resource is not an object", 0},
    {BUNDLE("[{\"resource\":[]}]"), MC_EINVAL, "resource is not an object", 0},
    {BUNDLE("[{\"resource\":\"Patient\"}]"), MC_EINVAL, "resource is not an object", 0},
    {BUNDLE("[{\"resource\":{}}]"), MC_EINVAL, "resource without resourceType", 0},
    {BUNDLE("[{\"resource\":{\"id\":\"x\"}}]"), MC_EINVAL, "resource without resourceType", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"patient\"}}]"), MC_EINVAL,
     "resourceType is not a FHIR type name", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Pa tient\"}}]"), MC_EINVAL,
     "resourceType is not a FHIR type name", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":3}}]"), MC_EINVAL, "resourceType is not a FHIR type name", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"MedicinalProductContraindicationX\"}}]"), MC_EINVAL,
     "resourceType is not a FHIR type name", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"id\":\"a/b\"}}]"), MC_EINVAL,
     "resource id is not a FHIR id", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"id\":7}}]"), MC_EINVAL,
     "resource id is not a FHIR id", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"id\":\"\"}}]"), MC_EINVAL,
     "resource id is not a FHIR id", 0},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"id\":"
            "\"01234567890123456789012345678901234567890123456789012345678901234\"}}]"),
     MC_EINVAL, "resource id is not a FHIR id", 0},
    {BUNDLE("[{\"fullUrl\":5,\"resource\":{\"resourceType\":\"Basic\"}}]"), MC_EINVAL,
     "fullUrl is not a string of 1..1024 bytes", 0},
    {BUNDLE("[{\"fullUrl\":\"\",\"resource\":{\"resourceType\":\"Basic\"}}]"), MC_EINVAL,
     "fullUrl is not a string of 1..1024 bytes", 0},
    /* strict JSON: duplicates, trailing bytes, bad escapes and UTF-8, NUL, trailing commas */
    {"{\"resourceType\":\"Bundle\",\"resourceType\":\"Bundle\",\"type\":\"collection\"}", MC_EINVAL,
     "not valid JSON", SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\"},\"resource\":{\"resourceType\":\"Basic\"}}]"),
     MC_EINVAL, "not valid JSON", SIZE_MAX},
    {BUNDLE("[]") " x", MC_EINVAL, "not valid JSON", SIZE_MAX},
    {BUNDLE("[],"), MC_EINVAL, "not valid JSON", SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"s\":\"\\x\"}}]"), MC_EINVAL, "not valid JSON",
     SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"s\":\"\\ud800\"}}]"), MC_EINVAL, "not valid JSON",
     SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"s\":\"\xc0\xaf\"}}]"), MC_EINVAL, "not valid JSON",
     SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"s\":\"\\u0000\"}}]"), MC_EINVAL, "not valid JSON",
     SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"n\":01}}]"), MC_EINVAL, "not valid JSON", SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",}}]"), MC_EINVAL, "not valid JSON", SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\"}},]"), MC_EINVAL, "not valid JSON", SIZE_MAX},
    {BUNDLE("[{\"resource\":{\"resourceType\":\"Basic\",\"s\":\"a\tb\"}}]"), MC_EINVAL, "not valid JSON",
     SIZE_MAX},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < MC_ARRAY_LEN(malformed); i++) {
        mc_fhir_error err;
        mc_fhir_bundle *b = (mc_fhir_bundle *)1;
        int rc =
            mc_fhir_bundle_parse(&b, (const uint8_t *)malformed[i].text, strlen(malformed[i].text), &err);
        if (rc != malformed[i].rc || !err.what || strcmp(err.what, malformed[i].what) != 0 ||
            err.entry != malformed[i].entry || err.type[0])
            fail_msg("case %zu (%s): got %s \"%s\" entry %zu, want %s \"%s\" entry %zu", i, malformed[i].text,
                     mc_errname(rc), err.what ? err.what : "(null)", err.entry, mc_errname(malformed[i].rc),
                     malformed[i].what, malformed[i].entry);
        assert_null(b);
        /* without an error struct too */
        assert_rc(
            mc_fhir_bundle_parse(&b, (const uint8_t *)malformed[i].text, strlen(malformed[i].text), NULL),
            malformed[i].rc);
    }
}

/* Every proper prefix of a valid bundle is refused (and never read past its end). */
static void test_prefixes(void **state)
{
    (void)state;
    static const char text[] =
        BUNDLE("[{\"fullUrl\":\"urn:uuid:1\",\"resource\":{\"resourceType\":\"Observation\","
               "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8302-2\"}]},"
               "\"valueQuantity\":{\"value\":1.5e2},\"status\":\"final\"}}]");
    size_t n = strlen(text);
    for (size_t k = 0; k < n; k++) {
        uint8_t *p = malloc(k ? k : 1);
        memcpy(p, text, k);
        mc_fhir_bundle *b = (mc_fhir_bundle *)1;
        assert_rc(mc_fhir_bundle_parse(&b, p, k, NULL), MC_EINVAL);
        assert_null(b);
        free(p);
    }
    mc_fhir_bundle *b = parse_text(text, MC_OK, NULL);
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_ok(mc_fhir_bundle_entry(b, 0, e));
    assert_true(has_kw(e, MC_FHIR_KW_LOINC, "8302-2"));
    free(e);
    mc_fhir_bundle_free(b);
}

static void test_too_big(void **state)
{
    (void)state;
    /* the cap is checked before the bytes are read: a length over it is enough */
    static const uint8_t byte = '{';
    mc_fhir_error err;
    mc_fhir_bundle *b = (mc_fhir_bundle *)1;
    assert_rc(mc_fhir_bundle_parse(&b, &byte, (size_t)MC_FHIR_MAX_BUNDLE_BYTES + 1, &err), MC_ETOOBIG);
    assert_null(b);
    assert_string_equal(err.what, "bundle over 64 MiB");
}

/* ------------------------------------------------------------------------------------------ */
/* One patient's chart                                                                          */

#define TX(entries) "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" entries "]}"
#define PAT(id)                                                                                              \
    "{\"fullUrl\":\"urn:uuid:u-" id "\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"" id "\"}}"
#define RES(type, body) "{\"resource\":{\"resourceType\":\"" type "\"" body "}}"
#define SUBJ(ref)       ",\"subject\":{\"reference\":\"" ref "\"}"
#define OBS(ref)        RES("Observation", SUBJ(ref))

#define OTHER  "reference to a Patient other than the bundle's Patient"
#define TWO    "references to two different Patients"
#define TYPE   "resource type not admitted to a patient's chart"
#define NESTED "a contained resource of a type not admitted to a patient's chart"
#define NOPAT  "no resource about a patient (only Organization, Practitioner and the like)"

/* A bundle and what the parse must say of it (what NULL: accepted). */
static const struct {
    const char *text;
    int rc;
    const char *what;
    size_t entry;
    const char *type;
} chart_cases[] = {
    /* the Patient, by every form of reference to it */
    {TX(PAT("pa") "," OBS("Patient/pa") "," OBS("urn:uuid:u-pa") "," OBS("Patient/pa/_history/2")), MC_OK,
     NULL, 0, ""},
    {TX(PAT("pa") "," OBS("https://ehr.example/fhir/Patient/pa") "," OBS("http://x/Patient/pa/_history/7")),
     MC_OK, NULL, 0, ""},
    /* references to no patient are not checked: other types, unresolved urn:uuids, contained */
    {TX(PAT("pa") "," OBS("urn:uuid:org") "," OBS("MyPatient/pb") "," OBS("Practitioner/pb") "," OBS("#pb")),
     MC_OK, NULL, 0, ""},
    /* another patient: as subject, deep in an extension, by absolute URL, by its version */
    {TX(PAT("pa") "," OBS("Patient/pb")), MC_EDENIED, OTHER, 1, "Observation"},
    {TX(PAT("pa") "," RES("Claim",
                          ",\"patient\":{\"reference\":\"Patient/pa\"},\"item\":[{\"extension\":[{\"url\":"
                          "\"x\",\"valueReference\":{\"reference\":\"Patient/pb\"}}]}]")),
     MC_EDENIED, OTHER, 1, "Claim"},
    {TX(PAT("pa") "," RES("Coverage",
                          ",\"beneficiary\":{\"reference\":\"https://other.example/fhir/Patient/pb\"}")),
     MC_EDENIED, OTHER, 1, "Coverage"},
    {TX(PAT("pa") "," OBS("Patient/pb/_history/1")), MC_EDENIED, OTHER, 1, "Observation"},
    {TX(PAT("pa") "," OBS("Patient/pa/$everything")), MC_OK, NULL, 0, ""},
    {TX(PAT("pa") "," OBS("Patient/pb/$everything")), MC_EDENIED, OTHER, 1, "Observation"},
    {TX(PAT("pa") "," OBS("http://x/Patient/fhir/Patient/pb")), MC_EDENIED, OTHER, 1, "Observation"},
    {TX(PAT("pa") "," OBS("Patient/")), MC_EDENIED, OTHER, 1, "Observation"},
    {TX(PAT("pa") "," OBS("Patient/pax")), MC_EDENIED, OTHER, 1, "Observation"},
    {TX(PAT("pa") "," OBS("Patient/p")), MC_EDENIED, OTHER, 1, "Observation"},
    /* the Patient's own links, and the first offending entry in order, before the Patient */
    {TX(PAT("pa") "," RES("Patient", ",\"id\":\"pb\"")), MC_EDENIED,
     "a second Patient: one bundle is one patient's", 1, "Patient"},
    {TX("{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"pa\",\"link\":[{\"other\":{\"reference\":"
        "\"Patient/pb\"},\"type\":\"replaced-by\"}]}}"),
     MC_EDENIED, OTHER, 0, "Patient"},
    {TX(OBS("Patient/pa") "," OBS("Patient/pb") "," PAT("pa")), MC_EDENIED, OTHER, 1, "Observation"},
    /* a Patient without an id can be referred to by its fullUrl only */
    {TX("{\"fullUrl\":\"urn:uuid:u1\",\"resource\":{\"resourceType\":\"Patient\"}}," OBS("urn:uuid:u1")),
     MC_OK, NULL, 0, ""},
    {TX("{\"fullUrl\":\"urn:uuid:u1\",\"resource\":{\"resourceType\":\"Patient\"}}," OBS("Patient/u1")),
     MC_EDENIED, OTHER, 1, "Observation"},
    /* no Patient: references must agree with each other */
    {TX(OBS("Patient/pa") "," RES("Condition", SUBJ("http://x/fhir/Patient/pa"))), MC_OK, NULL, 0, ""},
    {TX(OBS("Patient/pa") "," RES("Condition", SUBJ("Patient/pb"))), MC_EDENIED, TWO, 1, "Condition"},
    {TX(RES("Basic", "") "," OBS("urn:uuid:anything")), MC_OK, NULL, 0, ""},
    /* what cannot be checked, and patients hidden inside resources */
    {TX(PAT("pa") "," OBS("Patient?identifier=http://hospital.example/mrn|123")), MC_EDENIED,
     "conditional reference to a Patient: it cannot be checked", 1, "Observation"},
    {TX(PAT("pa") "," RES("Observation",
                          ",\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"c\"}]" SUBJ("#c"))),
     MC_EDENIED, "a Patient contained in another resource", 1, "Observation"},
    {TX(PAT("pa") "," RES("DiagnosticReport", ",\"contained\":[{\"resourceType\":\"Binary\",\"id\":\"c\"}]")),
     MC_EDENIED, NESTED, 1, "DiagnosticReport"},
    {TX(PAT("pa") "," RES("MedicationRequest",
                          ",\"contained\":[{\"resourceType\":\"Medication\",\"id\":\"m\"}]")),
     MC_OK, NULL, 0, ""},
    /* a directory is no chart; supporting types beside a chart are */
    {TX(RES("Organization", "") "," RES("Practitioner", "") "," RES("Location", "")), MC_EDENIED, NOPAT,
     SIZE_MAX, ""},
    {TX(RES("Organization", "") "," RES("Encounter", "")), MC_OK, NULL, 0, ""},
    /* refused types, wherever they are */
    {TX(PAT("pa") "," RES("Group", ",\"member\":[{\"entity\":{\"reference\":\"Patient/pa\"}}]")), MC_EDENIED,
     TYPE, 1, "Group"},
    {TX(RES("Binary", ",\"contentType\":\"application/fhir+ndjson\"") "," PAT("pa")), MC_EDENIED, TYPE, 0,
     "Binary"},
    {TX(PAT("pa") "," RES("Bundle", ",\"type\":\"collection\"")), MC_EDENIED, TYPE, 1, "Bundle"},
    {TX(PAT("pa") "," RES("AuditEvent", "")), MC_EDENIED, TYPE, 1, "AuditEvent"},
    {TX(PAT("pa") "," RES("Person", "")), MC_EDENIED, TYPE, 1, "Person"},
};

static void test_chart(void **state)
{
    (void)state;
    for (size_t i = 0; i < MC_ARRAY_LEN(chart_cases); i++) {
        mc_fhir_error err;
        mc_fhir_bundle *b = (mc_fhir_bundle *)1;
        const char *text = chart_cases[i].text;
        int rc = mc_fhir_bundle_parse(&b, (const uint8_t *)text, strlen(text), &err);
        const char *want = chart_cases[i].what;
        if (rc != chart_cases[i].rc || (want ? !err.what || strcmp(err.what, want) != 0 : err.what != NULL) ||
            (want && (err.entry != chart_cases[i].entry || strcmp(err.type, chart_cases[i].type) != 0)))
            fail_msg("case %zu: got %s \"%s\" entry %zu (%s), want %s \"%s\" entry %zu (%s)", i,
                     mc_errname(rc), err.what ? err.what : "(null)", err.entry, err.type,
                     mc_errname(chart_cases[i].rc), want ? want : "(null)", chart_cases[i].entry,
                     chart_cases[i].type);
        if (rc == MC_OK) {
            assert_int_equal(mc_fhir_bundle_count(b),
                             json_array_size(json_object_get(mc_fhir_bundle_json(b), "entry")));
            mc_fhir_bundle_free(b);
        } else {
            assert_null(b);
        }
    }
}

/* After a skipped entry, a resource whose id and name carry a person's name. */
#define REFUSED_FMT                                                                                          \
    TX(PAT("pa") ",{\"request\":{\"method\":\"DELETE\",\"url\":\"Observation/1\"}},"                         \
                 "{\"resource\":{\"resourceType\":\"%s\",\"id\":\"Jane-Doe\",\"name\":\"Jane Doe\"}}")

/* The non-clinical types: each refused as an entry, naming its position and type only. */
static void test_types_refused(void **state)
{
    (void)state;
    /* clang-format off */
    static const char *const refused[] = {
        "StructureDefinition", "SearchParameter", "CapabilityStatement", "OperationDefinition", "ValueSet",
        "CodeSystem", "ConceptMap", "ImplementationGuide", "Group", "Binary", "Bundle", "Parameters",
        "OperationOutcome", "Subscription", "List", "MeasureReport", "Schedule", "Questionnaire", "Library",
        "Measure", "Task", "HealthcareService", "Endpoint", "Aaa", "Zzz",
        "MedicinalProductContraindication",
    };
    /* clang-format on */
    for (size_t i = 0; i < MC_ARRAY_LEN(refused); i++) {
        char text[512];
        snprintf(text, sizeof text, REFUSED_FMT, refused[i]);
        assert_int_equal(mc_fhir_ingest_type(refused[i]), 0);
        mc_fhir_error err;
        mc_fhir_bundle *b = (mc_fhir_bundle *)1;
        assert_rc(mc_fhir_bundle_parse(&b, (const uint8_t *)text, strlen(text), &err), MC_EDENIED);
        assert_null(b);
        assert_string_equal(err.what, TYPE);
        assert_int_equal(err.entry, 2); /* its position in the entry array, the skipped entry counted */
        assert_string_equal(err.type, refused[i]);
        assert_null(strstr(err.what, "Jane")); /* nothing of the content reaches the error */
    }
}

/* The allow-list: every admitted type by its kind (an unsorted table would lose some). */
static void test_ingest_types(void **state)
{
    (void)state;
    /* clang-format off */
    static const char *const chart[] = {
        "Account", "AdverseEvent", "AllergyIntolerance", "Appointment", "AppointmentResponse", "Basic",
        "BodyStructure", "CarePlan", "CareTeam", "ChargeItem", "Claim", "ClaimResponse",
        "ClinicalImpression", "Communication", "CommunicationRequest", "Composition", "Condition",
        "Consent", "Coverage", "CoverageEligibilityRequest", "CoverageEligibilityResponse", "DetectedIssue",
        "DeviceRequest", "DeviceUseStatement", "DiagnosticReport", "DocumentManifest", "DocumentReference",
        "Encounter", "EnrollmentRequest", "EpisodeOfCare", "ExplanationOfBenefit", "FamilyMemberHistory",
        "Flag", "Goal", "ImagingStudy", "Immunization", "ImmunizationEvaluation",
        "ImmunizationRecommendation", "Invoice", "Media", "MedicationAdministration", "MedicationDispense",
        "MedicationRequest", "MedicationStatement", "MolecularSequence", "NutritionOrder", "Observation",
        "Patient", "Procedure", "Provenance", "QuestionnaireResponse", "RelatedPerson", "RequestGroup",
        "ResearchSubject", "RiskAssessment", "ServiceRequest", "Specimen", "SupplyDelivery",
        "SupplyRequest", "VisionPrescription",
    };
    /* clang-format on */
    static const char *const support[] = {"Device",       "Location",         "Medication", "Organization",
                                          "Practitioner", "PractitionerRole", "Substance"};
    for (size_t i = 0; i < MC_ARRAY_LEN(chart); i++)
        if (mc_fhir_ingest_type(chart[i]) != MC_FHIR_TYPE_CHART) fail_msg("%s is not a chart type", chart[i]);
    for (size_t i = 0; i < MC_ARRAY_LEN(support); i++)
        if (mc_fhir_ingest_type(support[i]) != MC_FHIR_TYPE_SUPPORT)
            fail_msg("%s is not a support type", support[i]);
    assert_int_equal(mc_fhir_ingest_type(NULL), 0);
    assert_int_equal(mc_fhir_ingest_type(""), 0);
    assert_int_equal(mc_fhir_ingest_type("observation"), 0);
    assert_int_equal(mc_fhir_ingest_type("Observations"), 0);
    assert_int_equal(mc_fhir_ingest_type("Observatio"), 0);
}

/* Entries without a resource are skipped and counted; resources keep their positions. */
static void test_skipped(void **state)
{
    (void)state;
    static const char text[] = TX("{\"request\":{\"method\":\"DELETE\",\"url\":\"Observation/old\"}}," PAT(
        "pa") ","
              "{\"fullUrl\":\"urn:uuid:gone\",\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/pb\"}},"
              "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\"" SUBJ(
                  "urn:uuid:u-pa") "}},"
                                   "{\"request\":{\"method\":\"DELETE\",\"url\":\"Condition/"
                                   "c\"},\"search\":{\"resource\":1}}");
    mc_fhir_bundle *b = parse_text(text, MC_OK, NULL);
    assert_int_equal(mc_fhir_bundle_count(b), 2);
    assert_int_equal(mc_fhir_bundle_skipped(b), 3);
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_non_null(e);
    size_t pi = 9;
    assert_ok(mc_fhir_bundle_patient(b, &pi));
    assert_int_equal(pi, 0);
    assert_ok(mc_fhir_bundle_entry(b, 0, e));
    assert_int_equal(e->index, 1);
    assert_true(e->is_patient);
    assert_string_equal(e->type, "Patient");
    check_span(e);
    assert_ok(mc_fhir_bundle_entry(b, 1, e));
    assert_int_equal(e->index, 3);
    assert_false(e->is_patient);
    assert_string_equal(e->id, "o1");
    check_span(e);
    assert_ptr_equal(e->span.p, (const uint8_t *)strstr(text, "{\"resourceType\":\"Observation\""));
    assert_rc(mc_fhir_bundle_entry(b, 2, e), MC_EINVAL);
    assert_true(mc_fhir_bundle_is_patient_ref(b, "urn:uuid:u-pa"));
    assert_false(mc_fhir_bundle_is_patient_ref(b, "urn:uuid:gone"));
    mc_fhir_bundle_free(b);

    /* nothing but deletions: no resource, nothing refused */
    b = parse_text(TX("{\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/pa\"}}"), MC_OK, NULL);
    assert_int_equal(mc_fhir_bundle_count(b), 0);
    assert_int_equal(mc_fhir_bundle_skipped(b), 1);
    assert_rc(mc_fhir_bundle_patient(b, &pi), MC_ENOTFOUND);
    assert_rc(mc_fhir_bundle_entry(b, 0, e), MC_EINVAL);
    mc_fhir_bundle_free(b);
    free(e);
}

static void test_bad_args(void **state)
{
    (void)state;
    mc_fhir_bundle *b;
    mc_fhir_entry *e = malloc(sizeof *e);
    assert_rc(mc_fhir_bundle_parse(NULL, (const uint8_t *)"{}", 2, NULL), MC_EINVAL);
    assert_rc(mc_fhir_bundle_parse(&b, NULL, 2, NULL), MC_EINVAL);
    assert_rc(mc_fhir_bundle_entry(NULL, 0, e), MC_EINVAL);
    assert_rc(mc_fhir_bundle_entry(NULL, 0, NULL), MC_EINVAL);
    assert_rc(mc_fhir_bundle_patient(NULL, NULL), MC_EINVAL);
    assert_int_equal(mc_fhir_bundle_count(NULL), 0);
    assert_null(mc_fhir_bundle_type(NULL));
    assert_int_equal(mc_fhir_bundle_skipped(NULL), 0);
    assert_null(mc_fhir_bundle_json(NULL));
    assert_false(mc_fhir_bundle_is_patient_ref(NULL, "Patient/x"));
    mc_fhir_bundle_free(NULL);

    json_t *bad[] = {json_array(),
                     json_string("x"),
                     json_pack("{s:s}", "id", "x"),
                     json_pack("{s:s}", "resourceType", "lower"),
                     json_pack("{s:s,s:s}", "resourceType", "Basic", "id", "a b"),
                     json_pack("{s:s,s:i}", "resourceType", "Basic", "id", 3)};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        memset(e, 0x5a, sizeof *e);
        assert_rc(mc_fhir_resource_describe(e, bad[i]), MC_EINVAL);
        assert_null(e->type);
        assert_int_equal(e->nkeywords, 0);
        json_decref(bad[i]);
    }
    assert_rc(mc_fhir_resource_describe(e, NULL), MC_EINVAL);
    assert_rc(mc_fhir_resource_describe(NULL, NULL), MC_EINVAL);

    /* nesting over the cap in a resource built in memory */
    json_t *deep = json_pack("{s:s}", "resourceType", "Basic"), *cur = deep;
    for (unsigned i = 0; i < MC_FHIR_MAX_DEPTH + 1; i++) {
        json_t *next = json_object();
        json_object_set_new(cur, "x", next);
        cur = next;
    }
    assert_rc(mc_fhir_resource_describe(e, deep), MC_EINVAL);
    json_decref(deep);
    free(e);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthea),       cmocka_unit_test(test_categories),
        cmocka_unit_test(test_keyword_cap),   cmocka_unit_test(test_kw_names),
        cmocka_unit_test(test_spans),         cmocka_unit_test(test_depth),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_too_big),       cmocka_unit_test(test_chart),
        cmocka_unit_test(test_types_refused), cmocka_unit_test(test_ingest_types),
        cmocka_unit_test(test_skipped),       cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
