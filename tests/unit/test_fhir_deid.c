/*
 * fhir, part 3 (de-identification): all 20 Synthea patients de-identified by Safe Harbor with
 * none of their PHI probes, no date finer than a year, no UUID (so no original id) left in
 * the output, references consistent, the same output for the same random bytes; ages over 89
 * grouped; the ZIP rule; each element rule on a hand-made patient; bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "medchain/fhir.h"
#include "phi.h"
#include "testutil.h"

#define RELEASE_MS   1767225600000ull /* 2026-01-01T00:00:00Z */
#define RELEASE_YEAR 2026
static const char pseudonym[] = "5eed0f00d5eed0f00d5eed0f00d5eed0";

/* The seeded generator the tests hand to mc_fhir_deid. */
static void seeded_rand(void *ctx, void *out, size_t n)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)mc_test_rand(ctx);
}

/* De-identifies @p in with @p seed (asserts success). */
static json_t *deid(const json_t *in, uint64_t seed)
{
    mc_fhir_deid_opts o = {pseudonym, RELEASE_MS, seeded_rand, &seed};
    json_t *out = (json_t *)1;
    assert_ok(mc_fhir_deid(&out, in, &o));
    assert_true(json_is_array(out));
    return out;
}

static json_t *load(const char *path)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j) fail_msg("%s: %s", path, err.text);
    return j;
}

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j) fail_msg("test JSON: %s at %d", err.text, err.position);
    return j;
}

/* Fails if @p s holds dddd-dd anywhere (a date finer than a year, or what looks like one). */
static void assert_no_date(const char *s, const char *where)
{
    for (const char *p = s; p[0]; p++) {
        int k = 0;
        while (k < 4 && p[k] >= '0' && p[k] <= '9') k++;
        if (k == 4 && p[4] == '-' && p[5] >= '0' && p[5] <= '9' && p[6] >= '0' && p[6] <= '9')
            fail_msg("%s: a date survived: ...%.24s...", where, p > s + 16 ? p - 16 : s);
    }
}

static int is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Fails if @p s holds a UUID (8-4-4-4-12 hex digits). */
static void assert_no_uuid(const char *s, const char *where)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t n = strlen(s);
    for (size_t i = 0; i + 36 <= n; i++) {
        size_t j = i;
        int ok = 1;
        for (int g = 0; ok && g < 5; g++) {
            for (int k = 0; ok && k < groups[g]; k++) ok = is_hex(s[j++]);
            if (ok && g < 4) ok = s[j++] == '-';
        }
        if (ok) fail_msg("%s: a UUID survived: %.36s", where, s + i);
    }
}

/* The resource of @p arr with @p type and @p id, or NULL. */
static const json_t *find(const json_t *arr, const char *type, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach(arr, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "resourceType")), type) == 0 &&
            (!id || strcmp(json_string_value(json_object_get(r, "id")), id) == 0))
            return r;
    }
    return NULL;
}

/* Every "reference" in @p v is "<Type>/<id>" of a resource in @p all. @return how many. */
static size_t check_refs(const json_t *all, const json_t *v)
{
    size_t n = 0, i;
    const char *key;
    json_t *x;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, x)
        {
            if (strcmp(key, "reference") == 0) {
                char type[64];
                const char *ref = json_string_value(x), *slash = ref ? strchr(ref, '/') : NULL;
                assert_non_null(slash);
                assert_true((size_t)(slash - ref) < sizeof type);
                memcpy(type, ref, (size_t)(slash - ref));
                type[slash - ref] = 0;
                if (!find(all, type, slash + 1)) fail_msg("reference %s resolves to nothing released", ref);
                n++;
            } else {
                n += check_refs(all, x);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) n += check_refs(all, x);
    }
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* The Synthea patients                                                                          */

/* The ids and fullUrls of every entry of @p in are absent from @p dump. */
static void assert_no_original_ids(const json_t *in, const char *dump, const char *where)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in, "entry"), i, e)
    {
        const char *id = json_string_value(json_object_get(json_object_get(e, "resource"), "id"));
        const char *url = json_string_value(json_object_get(e, "fullUrl"));
        if (id && strstr(dump, id)) fail_msg("%s: original id %s survived", where, id);
        if (url && strstr(dump, url)) fail_msg("%s: original fullUrl %s survived", where, url);
    }
}

/* Counts the released types of a bundle's entries. */
static size_t count_released(const json_t *in)
{
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(json_object_get(in, "entry"), i, e) n += (size_t)mc_fhir_deid_type_allowed(
        json_string_value(json_object_get(json_object_get(e, "resource"), "resourceType")));
    return n;
}

static void check_patient_resource(const json_t *pat)
{
    assert_non_null(pat);
    const char *bd = json_string_value(json_object_get(pat, "birthDate"));
    assert_non_null(bd); /* Synthea's patients are young: no 90+ here */
    assert_int_equal(strlen(bd), 4);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(pat, "address"), i, a)
    {
        const char *key;
        json_t *v;
        json_object_foreach(a, key, v)
        {
            assert_true(strcmp(key, "state") == 0 || strcmp(key, "postalCode") == 0);
        }
        const char *zip = json_string_value(json_object_get(a, "postalCode"));
        if (zip) assert_int_equal(strlen(zip), 3);
    }
    static const char *const gone[] = {"name", "telecom", "identifier", "text", "contact"};
    for (size_t k = 0; k < MC_ARRAY_LEN(gone); k++) assert_null(json_object_get(pat, gone[k]));
}

/* One patient bundle: de-identified, checked, written to @p dir for the tree scan. */
static void check_one_patient(const char *path, phi_probes *all, const char *dir, size_t k)
{
    json_t *in = load(path);
    phi_probes *probes = phi_probes_new();
    assert_non_null(probes);
    assert_ok(phi_probes_add_bundle(probes, in));
    assert_true(phi_probes_count(probes) >=
                8); /* names, SSN, MRN, licence, passport, phone, line, birth date */
    assert_ok(phi_probes_add_bundle(all, in));

    json_t *out = deid(in, 1000 + k);
    char *dump = json_dumps(out, JSON_COMPACT);
    assert_non_null(dump);
    const phi_probe *hit = phi_scan_bytes(probes, dump, strlen(dump));
    if (hit) fail_msg("%s: PHI probe \"%s\" (%s) in the de-identified output", path, hit->value, hit->what);
    assert_no_date(dump, path);
    assert_no_uuid(dump, path);
    assert_no_original_ids(in, dump, path);

    /* what is released, and how it hangs together */
    assert_int_equal(json_array_size(out), count_released(in));
    size_t i;
    json_t *r;
    json_array_foreach(out, i, r)
    {
        const char *type = json_string_value(json_object_get(r, "resourceType"));
        assert_true(mc_fhir_deid_type_allowed(type));
        const char *id = json_string_value(json_object_get(r, "id"));
        assert_non_null(id);
        assert_int_equal(strlen(id), strcmp(type, "Patient") == 0 ? strlen(pseudonym) : 32);
        assert_null(json_object_get(r, "text"));
    }
    check_patient_resource(find(out, "Patient", pseudonym));
    assert_true(check_refs(out, out) > json_array_size(out) / 2); /* subjects, encounters, results */

    /* the same random bytes give the same release; others give other ids only */
    json_t *again = deid(in, 1000 + k), *other = deid(in, 7);
    assert_true(json_equal(out, again));
    assert_false(json_equal(out, other));
    assert_int_equal(json_array_size(other), json_array_size(out));

    /* a Bundle of it is a valid collection that parses for ingest */
    json_t *bundle = NULL;
    assert_ok(mc_fhir_bundle_wrap(&bundle, "collection", out));
    char *bdump = json_dumps(bundle, JSON_COMPACT);
    mc_fhir_bundle *fb = NULL;
    assert_ok(mc_fhir_bundle_parse(&fb, (const uint8_t *)bdump, strlen(bdump), NULL));
    assert_int_equal(mc_fhir_bundle_count(fb), json_array_size(out));
    mc_fhir_bundle_free(fb);

    char file[PATH_MAX], name[64];
    snprintf(name, sizeof name, "release-%02zu.json", k);
    mc_test_path(file, dir, name);
    mc_test_file_write(file, bdump, strlen(bdump));

    free(bdump);
    json_decref(bundle);
    json_decref(again);
    json_decref(other);
    free(dump);
    json_decref(out);
    json_decref(in);
    phi_probes_free(probes);
}

static void test_synthea_patients(void **state)
{
    (void)state;
    char **paths, dir[PATH_MAX];
    size_t npaths, patients = 0;
    assert_ok(phi_json_files(MEDCHAIN_SYNTHEA_DIR, &paths, &npaths));
    phi_probes *all = phi_probes_new();
    assert_non_null(all);
    mc_test_tmpdir(dir);
    for (size_t f = 0; f < npaths; f++) {
        if (strstr(paths[f], "Information")) continue; /* the hospital and practitioner bundles */
        check_one_patient(paths[f], all, dir, patients++);
    }
    assert_int_equal(patients, 20);

    /* nothing of anyone in any release file; a planted probe is found, with its file */
    phi_hit hit;
    assert_int_equal(phi_scan_tree(all, dir, &hit), 0);
    assert_null(hit.probe);
    char sub[PATH_MAX], planted[PATH_MAX];
    mc_test_path(sub, dir, "nested");
    assert_ok(mc_dir_make(sub));
    mc_test_path(planted, sub, "leak.bin");
    const phi_probe *p = phi_probes_get(all, phi_probes_count(all) - 1);
    mc_buf big;
    mc_buf_init(&big, 4u << 20);
    /* across the scanner's 1 MiB chunk boundary */
    for (size_t i = 0; i < (1u << 20) - 3; i++) assert_ok(mc_buf_append(&big, "x", 1));
    assert_ok(mc_buf_printf(&big, "%s", p->value));
    mc_test_file_write(planted, big.p, big.n);
    mc_buf_free(&big);
    assert_int_equal(phi_scan_tree(all, dir, &hit), 1);
    assert_ptr_equal(hit.probe, p);
    assert_string_equal(hit.file, planted);
    assert_int_equal(phi_scan_file(all, planted, &hit), 1);
    char missing[PATH_MAX];
    mc_test_path(missing, dir, "no-such-file");
    assert_int_equal(phi_scan_file(all, missing, &hit), -MC_EIO);
    assert_int_equal(phi_scan_tree(all, missing, &hit), -MC_EIO);
    mc_test_rmtree(dir);
    phi_probes_free(all);
    phi_paths_free(paths, npaths);
}

/* ------------------------------------------------------------------------------------------ */
/* Ages over 89                                                                                 */

/* The first Synthea patient with its birthDate replaced, de-identified: the Patient. */
static json_t *patient_born(const char *birth)
{
    char **paths;
    size_t n;
    assert_ok(phi_json_files(MEDCHAIN_SYNTHEA_DIR, &paths, &n));
    json_t *in = load(paths[0]);
    phi_paths_free(paths, n);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in, "entry"), i, e)
    {
        json_t *r = json_object_get(e, "resource");
        if (strcmp(json_string_value(json_object_get(r, "resourceType")), "Patient") == 0)
            assert_int_equal(json_object_set_new(r, "birthDate", json_string(birth)), 0);
    }
    json_t *out = deid(in, 5);
    json_t *pat = json_incref((json_t *)find(out, "Patient", pseudonym));
    assert_non_null(pat);
    json_decref(out);
    json_decref(in);
    return pat;
}

/* @return 1 if @p pat carries the 90+ extension. */
static int grouped(const json_t *pat)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(pat, "extension"), i, x)
    {
        const char *url = json_string_value(json_object_get(x, "url"));
        if (url && strcmp(url, MC_FHIR_NS "/StructureDefinition/age-group") == 0) {
            assert_string_equal(json_string_value(json_object_get(x, "valueString")), "90+");
            return 1;
        }
    }
    return 0;
}

static void test_age_90(void **state)
{
    (void)state;
    static const struct {
        unsigned years_before; /* birth year = release year - this (below RELEASE_YEAR) */
        const char *rest;
        int grouped;
    } cases[] = {
        {95, "-03-04", 1}, {90, "-12-31", 1}, /* 89 on the release day, but the year says 90 */
        {90, "", 1},       {89, "-01-01", 0}, {30, "-06-07", 0}, {120, "", 1},
    };
    for (size_t i = 0; i < MC_ARRAY_LEN(cases); i++) {
        char birth[16], year[8];
        snprintf(year, sizeof year, "%04u", (RELEASE_YEAR - cases[i].years_before) % 10000u);
        snprintf(birth, sizeof birth, "%s%s", year, cases[i].rest);
        json_t *pat = patient_born(birth);
        assert_int_equal(grouped(pat), cases[i].grouped);
        if (cases[i].grouped)
            assert_null(json_object_get(pat, "birthDate"));
        else
            assert_string_equal(json_string_value(json_object_get(pat, "birthDate")), year);
        char *dump = json_dumps(pat, JSON_COMPACT);
        if (cases[i].grouped) assert_null(strstr(dump, year));
        free(dump);
        json_decref(pat);
    }
}

/* For a grouped patient, dates more than 89 years back go: they would tell how old. */
static void test_age_90_dates(void **state)
{
    (void)state;
    for (int old = 0; old < 2; old++) {
        char text[1024];
        int by = RELEASE_YEAR - (old ? 95 : 60);
        snprintf(text, sizeof text,
                 "[{\"resourceType\":\"Patient\",\"id\":\"p\",\"birthDate\":\"%04d-01-02\"},"
                 "{\"resourceType\":\"Observation\",\"effectiveDateTime\":\"%04d-05-06\"},"
                 "{\"resourceType\":\"Observation\",\"effectiveDateTime\":\"%04d-05-06T01:02:03Z\"},"
                 "{\"resourceType\":\"Encounter\",\"period\":{\"start\":\"%04d\",\"end\":\"%04d-12\"}}]",
                 by, RELEASE_YEAR - 91, RELEASE_YEAR - 89, RELEASE_YEAR - 90, RELEASE_YEAR - 80);
        json_t *in = parse(text), *out = deid(in, 3);
        const json_t *pat = json_array_get(out, 0), *o1 = json_array_get(out, 1),
                     *o2 = json_array_get(out, 2), *enc = json_array_get(out, 3);
        assert_int_equal(json_array_size(out), 4);
        assert_int_equal(grouped(pat), old);
        const char *early = json_string_value(json_object_get(o1, "effectiveDateTime"));
        const char *start = json_string_value(json_object_get(json_object_get(enc, "period"), "start"));
        if (old) {
            assert_null(early);
            assert_null(start);
        } else {
            assert_int_equal(atoi(early), RELEASE_YEAR - 91);
            assert_int_equal(atoi(start), RELEASE_YEAR - 90);
        }
        assert_int_equal(atoi(json_string_value(json_object_get(o2, "effectiveDateTime"))),
                         RELEASE_YEAR - 89);
        assert_int_equal(atoi(json_string_value(json_object_get(json_object_get(enc, "period"), "end"))),
                         RELEASE_YEAR - 80);
        json_decref(out);
        json_decref(in);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* ZIP codes                                                                                    */

static void test_zip3(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        int rc;
    } cases[] = {
        {"02108", "021", MC_OK},  {"02108-1234", "021", MC_OK}, {"021", "021", MC_OK},
        {"9021", "902", MC_OK},   {"03601", "000", MC_OK},      {"05901", "000", MC_OK},
        {"06390", "000", MC_OK},  {"10201", "000", MC_OK},      {"20301", "000", MC_OK},
        {"55601", "000", MC_OK},  {"69201", "000", MC_OK},      {"79001", "000", MC_OK},
        {"82101", "000", MC_OK},  {"82301", "000", MC_OK},      {"83001", "000", MC_OK},
        {"83101", "000", MC_OK},  {"87801", "000", MC_OK},      {"87901", "000", MC_OK},
        {"88401", "000", MC_OK},  {"89001", "000", MC_OK},      {"89301", "000", MC_OK},
        {"03701", "037", MC_OK},  {"89101", "891", MC_OK},      {"00000", "000", MC_OK},
        {"02", "", MC_EINVAL},    {"", "", MC_EINVAL},          {"SW1A 1AA", "", MC_EINVAL},
        {"0a108", "", MC_EINVAL}, {" 02108", "", MC_EINVAL},    {NULL, "", MC_EINVAL},
    };
    for (size_t i = 0; i < MC_ARRAY_LEN(cases); i++) {
        char out[4] = "xyz";
        assert_rc(mc_fhir_deid_zip3(out, cases[i].in), cases[i].rc);
        assert_string_equal(out, cases[i].out);
    }
    assert_rc(mc_fhir_deid_zip3(NULL, "02108"), MC_EINVAL);
}

/* ------------------------------------------------------------------------------------------ */
/* Each rule, on a hand-made patient                                                            */

static const char rules_bundle[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
    "{\"fullUrl\":\"urn:uuid:11111111-2222-3333-4444-555555555555\",\"resource\":{\"resourceType\":"
    "\"Patient\","
    " \"id\":\"11111111-2222-3333-4444-555555555555\",\"meta\":{\"lastUpdated\":\"2020-01-01T00:00:00Z\"},"
    " \"text\":{\"status\":\"generated\",\"div\":\"<div>Zebulon</div>\"},"
    " \"extension\":[{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/"
    "us-core-race\",\"extension\":["
    "   "
    "{\"url\":\"ombCategory\",\"valueCoding\":{\"system\":\"urn:oid:2.16.840.1.113883.6.238\",\"code\":"
    "\"2106-3\","
    "    \"display\":\"White\"}},{\"url\":\"text\",\"valueString\":\"White\"}]},"
    "  "
    "{\"url\":\"http://hl7.org/fhir/StructureDefinition/"
    "patient-mothersMaidenName\",\"valueString\":\"Quixby\"},"
    "  "
    "{\"url\":\"http://hl7.org/fhir/StructureDefinition/"
    "patient-birthPlace\",\"valueAddress\":{\"city\":\"Yarrow\"}},"
    "  {\"url\":\"http://example.org/shoe-size\",\"valueInteger\":44}],"
    " \"identifier\":[{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"999-11-2222\"}],"
    " \"name\":[{\"family\":\"Zebulon\",\"given\":[\"Xanthe\"]}],\"telecom\":[{\"value\":\"555-000-1111\"}],"
    " \"gender\":\"female\",\"birthDate\":\"1980-02-29\",\"_birthDate\":{\"extension\":[{\"url\":"
    "  "
    "\"http://hl7.org/fhir/StructureDefinition/"
    "patient-birthTime\",\"valueDateTime\":\"1980-02-29T10:00:00Z\"}]},"
    " \"deceasedDateTime\":\"2020-03-04T05:06:07+01:00\","
    " \"address\":[{\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/geolocation\"}],"
    "   \"line\":[\"1 Quill "
    "Road\"],\"city\":\"Yarrow\",\"state\":\"WY\",\"postalCode\":\"83001\",\"country\":\"US\"},"
    "  {\"state\":\"MA\",\"postalCode\":\"02108-1234\"},{\"city\":\"Nowhere\",\"postalCode\":\"X1\"}],"
    " \"contact\":[{\"name\":{\"family\":\"Quixby\"}}],\"maritalStatus\":{\"coding\":[{\"system\":"
    "  \"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus\",\"code\":\"M\"}],\"text\":\"Married\"},"
    " \"generalPractitioner\":[{\"reference\":\"Practitioner/doc-1\",\"display\":\"Dr. Vexley\"}]}},"
    "{\"fullUrl\":\"urn:uuid:aaaaaaaa-0000-0000-0000-000000000001\",\"resource\":{\"resourceType\":"
    "\"Encounter\","
    " \"id\":\"aaaaaaaa-0000-0000-0000-000000000001\",\"status\":\"finished\",\"subject\":{\"reference\":"
    " \"urn:uuid:11111111-2222-3333-4444-555555555555\",\"display\":\"Xanthe Zebulon\"},"
    " \"participant\":[{\"individual\":{\"reference\":\"urn:uuid:bbbbbbbb-0000-0000-0000-000000000002\","
    "  \"display\":\"Dr. Vexley\"}}],\"period\":{\"start\":\"2019-05-06T07:08:09Z\",\"end\":\"2019-05-06\"},"
    " \"serviceProvider\":{\"reference\":\"Organization/"
    "org-1\"},\"location\":[{\"location\":{\"display\":\"Ward 9\"}}]}},"
    "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"obs-1\",\"status\":\"final\","
    " \"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8302-2\",\"display\":\"Body "
    "Height\"}],"
    "  \"text\":\"height taken by Zebulon's "
    "aunt\"},\"subject\":{\"reference\":\"Patient/11111111-2222-3333-4444-555555555555\"},"
    " \"encounter\":{\"reference\":\"Encounter/aaaaaaaa-0000-0000-0000-000000000001\"},"
    " \"effectiveDateTime\":\"2019-05-06T07:08:09Z\",\"issued\":\"2019-05-06T07:08:09.123Z\","
    " \"Quixby\":{\"a\":1},\"odd key\":1,\"_status\":{\"id\":\"x\"},"
    " \"valueQuantity\":{\"value\":170.5,\"unit\":\"cm\",\"system\":\"http://"
    "unitsofmeasure.org\",\"code\":\"cm\"},"
    " \"note\":[{\"text\":\"seen 2019-05-06 at "
    "home\"}],\"performer\":[{\"reference\":\"Practitioner/doc-1\"}],"
    " \"component\":[{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\"}]},"
    "  \"valueString\":\"call 555-000-1111\"},{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\","
    "  "
    "\"code\":\"21112-8\"}]},\"valueDateTime\":\"1980-02-29\"}],\"derivedFrom\":[{\"reference\":\"#"
    "contained\"}],"
    " \"contained\":[{\"resourceType\":\"Basic\",\"id\":\"contained\"}],\"device\":{\"reference\":"
    "  \"https://ehr.example/fhir/Observation/obs-1/_history/2\"}}},"
    "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c-1\",\"subject\":{\"reference\":"
    " \"urn:uuid:11111111-2222-3333-4444-555555555555\"},\"onsetAge\":{\"value\":93,\"unit\":\"a\","
    " \"code\":\"a\"},\"abatementAge\":{\"value\":95,\"code\":\"mo\"},\"recordedDate\":\"not a date\","
    " \"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\"}]}}},"
    "{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"p-1\",\"modifierExtension\":[{\"url\":"
    " \"http://example.org/not-done\",\"valueBoolean\":true}],\"subject\":{\"reference\":\"Patient/"
    "11111111-2222-3333-4444-555555555555\"}}},"
    "{\"resource\":{\"resourceType\":\"Claim\",\"id\":\"claim-1\",\"patient\":{\"reference\":"
    " \"Patient/11111111-2222-3333-4444-555555555555\"}}},"
    "{\"resource\":{\"resourceType\":\"Practitioner\",\"id\":\"doc-1\",\"name\":[{\"family\":\"Vexley\"}]}}]"
    "}";

static void test_rules(void **state)
{
    (void)state;
    json_t *in = parse(rules_bundle);
    json_t *out = deid(in, 42);
    char *dump = json_dumps(out, JSON_COMPACT);
    static const char *const gone[] = {
        "Zebulon",      "Xanthe", "Quixby",      "Yarrow",      "Vexley",    "999-11-2222", "555-000-1111",
        "1 Quill Road", "Ward 9", "shoe-size",   "geolocation", "birthTime", "Married",     "1980-02",
        "2019-05",      "obs-1",  "doc-1",       "org-1",       "contained", "83001",       "02108",
        "Nowhere",      "\"US\"", "lastUpdated", "issued",      "odd key",   "_status"};
    for (size_t i = 0; i < MC_ARRAY_LEN(gone); i++)
        if (strstr(dump, gone[i])) fail_msg("\"%s\" survived: %s", gone[i], dump);
    assert_no_date(dump, "rules");
    assert_no_uuid(dump, "rules");

    /* released: Patient, Encounter, Observation, Condition; the Procedure has a modifier extension */
    assert_int_equal(json_array_size(out), 4);
    assert_null(find(out, "Procedure", NULL));
    assert_null(find(out, "Claim", NULL));
    assert_null(find(out, "Practitioner", NULL));

    const json_t *pat = find(out, "Patient", pseudonym);
    assert_non_null(pat);
    assert_string_equal(json_string_value(json_object_get(pat, "birthDate")), "1980");
    assert_string_equal(json_string_value(json_object_get(pat, "deceasedDateTime")), "2020");
    assert_string_equal(json_string_value(json_object_get(pat, "gender")), "female");
    assert_null(json_object_get(pat, "_birthDate"));
    assert_null(json_object_get(pat, "generalPractitioner"));
    json_t *addr = json_object_get(pat, "address");
    assert_int_equal(json_array_size(addr), 2); /* the third had nothing left */
    json_t *want_addr =
        parse("[{\"state\":\"WY\",\"postalCode\":\"000\"},{\"state\":\"MA\",\"postalCode\":\"021\"}]");
    assert_true(json_equal(addr, want_addr));
    json_decref(want_addr);
    json_t *want_ext =
        parse("[{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race\",\"extension\":"
              "[{\"url\":\"ombCategory\",\"valueCoding\":{\"system\":\"urn:oid:2.16.840.1.113883.6.238\","
              "\"code\":\"2106-3\",\"display\":\"White\"}}]}]");
    assert_true(json_equal(json_object_get(pat, "extension"), want_ext));
    json_decref(want_ext);
    json_t *want_meta =
        parse("{\"security\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationValue\","
              "\"code\":\"PSEUDED\",\"display\":\"pseudonymized\"}]}");
    assert_true(json_equal(json_object_get(pat, "meta"), want_meta));
    json_decref(want_meta);
    json_t *want_ms =
        parse("{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus\","
              "\"code\":\"M\"}]}");
    assert_true(json_equal(json_object_get(pat, "maritalStatus"), want_ms));
    json_decref(want_ms);

    const json_t *enc = find(out, "Encounter", NULL);
    assert_non_null(enc);
    char pref[80];
    snprintf(pref, sizeof pref, "Patient/%s", pseudonym);
    json_t *want_subj = json_pack("{s:s}", "reference", pref);
    assert_true(json_equal(json_object_get(enc, "subject"), want_subj));
    assert_null(json_object_get(enc, "participant"));
    assert_null(json_object_get(enc, "serviceProvider"));
    assert_null(json_object_get(enc, "location"));
    json_t *want_period = parse("{\"start\":\"2019\",\"end\":\"2019\"}");
    assert_true(json_equal(json_object_get(enc, "period"), want_period));
    json_decref(want_period);

    const json_t *obs = find(out, "Observation", NULL);
    assert_non_null(obs);
    assert_true(json_equal(json_object_get(obs, "subject"), want_subj));
    char eref[80];
    snprintf(eref, sizeof eref, "Encounter/%s", json_string_value(json_object_get(enc, "id")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(obs, "encounter"), "reference")),
                        eref);
    json_t *want_code = parse(
        "{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8302-2\",\"display\":\"Body Height\"}]}");
    assert_true(json_equal(json_object_get(obs, "code"), want_code));
    json_decref(want_code);
    json_t *want_q =
        parse("{\"value\":170.5,\"unit\":\"cm\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"cm\"}");
    assert_true(json_equal(json_object_get(obs, "valueQuantity"), want_q));
    json_decref(want_q);
    assert_string_equal(json_string_value(json_object_get(obs, "effectiveDateTime")), "2019");
    assert_string_equal(json_string_value(json_object_get(obs, "status")), "final");
    static const char *const obs_gone[] = {"issued", "note", "performer", "derivedFrom", "contained", "text"};
    for (size_t i = 0; i < MC_ARRAY_LEN(obs_gone); i++) assert_null(json_object_get(obs, obs_gone[i]));
    /* the absolute URL names this very Observation: rewritten by type and id */
    char oref[80];
    snprintf(oref, sizeof oref, "Observation/%s", json_string_value(json_object_get(obs, "id")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(obs, "device"), "reference")),
                        oref);
    json_t *comp = json_object_get(obs, "component");
    assert_int_equal(json_array_size(comp), 2);
    assert_null(json_object_get(json_array_get(comp, 0), "valueString"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(comp, 1), "valueDateTime")), "1980");

    const json_t *cond = find(out, "Condition", NULL);
    assert_non_null(cond);
    assert_null(json_object_get(cond, "onsetAge"));         /* 93 years */
    assert_non_null(json_object_get(cond, "abatementAge")); /* 95 months */
    assert_null(json_object_get(cond, "recordedDate"));     /* not a date: cannot be cut */
    assert_true(json_equal(json_object_get(cond, "subject"), want_subj));
    assert_int_equal(check_refs(out, out), 5);

    json_decref(want_subj);
    free(dump);
    json_decref(out);

    /* the same resources as an array: patient references by Type/id and urn:uuid:id still found */
    json_t *arr = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in, "entry"), i, e)
        json_array_append(arr, json_object_get(e, "resource"));
    out = deid(arr, 42);
    assert_int_equal(json_array_size(out), 4);
    assert_int_equal(check_refs(out, out), 5);
    json_decref(out);
    json_decref(arr);
    json_decref(in);
}

/* Free text in choice and narrative elements, local codes' displays and observed ages over 89
 * (the security review's cases) do not survive; terminology displays and ordinary values do. */
static void test_free_text(void **state)
{
    (void)state;
    json_t *in = parse(
        "[{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"male\"},"
        "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"subject\":{\"reference\":\"Patient/p1\"},"
        "\"onsetString\":\"after his wife Mary Jones left\",\"code\":{\"coding\":[{\"system\":"
        "\"http://snomed.info/sct\",\"code\":\"38341003\",\"display\":\"Hypertension\"}]}},"
        "{\"resourceType\":\"Procedure\",\"id\":\"x1\",\"status\":\"completed\",\"subject\":{\"reference\":"
        "\"Patient/p1\"},\"performedString\":\"by Dr Alice Smith\"},"
        "{\"resourceType\":\"DiagnosticReport\",\"id\":\"d1\",\"status\":\"final\",\"code\":{\"coding\":[{"
        "\"system\":\"http://loinc.org\",\"code\":\"24323-8\"}]},\"conclusion\":\"John Doe, MRN 1234567\"},"
        "{\"resourceType\":\"CarePlan\",\"id\":\"cp1\",\"status\":\"active\",\"intent\":\"plan\",\"title\":"
        "\"Plan for Nurse Jane Roe\",\"activity\":[{\"progress\":[{\"authorString\":\"Nurse Jane Roe\"}]}]},"
        "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":{\"coding\":[{"
        "\"system\":\"urn:local\",\"code\":\"x\",\"display\":\"call phone 555-1234\"}]},\"valueQuantity\":"
        "{\"value\":7.5,\"unit\":\"mmol/L\"}},"
        "{\"resourceType\":\"Observation\",\"id\":\"o2\",\"status\":\"final\",\"code\":{\"coding\":[{"
        "\"system\":\"http://loinc.org\",\"code\":\"30525-0\",\"display\":\"Age\"}]},\"valueQuantity\":"
        "{\"value\":95,\"unit\":\"a\",\"code\":\"a\"}}]");
    json_t *out = deid(in, 7);
    char *dump = json_dumps(out, JSON_COMPACT);
    static const char *const gone[] = {"Mary",    "Jones", "Alice", "Smith",    "John Doe",
                                       "1234567", "Jane",  "Roe",   "555-1234", "\"value\":95"};
    for (size_t i = 0; i < MC_ARRAY_LEN(gone); i++)
        if (strstr(dump, gone[i])) fail_msg("\"%s\" survived: %s", gone[i], dump);
    static const char *const kept[] = {"Hypertension", "38341003", "24323-8", "7.5", "\"Age\""};
    for (size_t i = 0; i < MC_ARRAY_LEN(kept); i++)
        if (!strstr(dump, kept[i])) fail_msg("\"%s\" was lost: %s", kept[i], dump);
    free(dump);
    json_decref(out);
    json_decref(in);
}

static void test_allow_list(void **state)
{
    (void)state;
    static const char *const yes[] = {"Patient",      "Observation",       "Condition",        "Procedure",
                                      "Immunization", "MedicationRequest", "DiagnosticReport", "Encounter",
                                      "CarePlan",     "AllergyIntolerance"};
    static const char *const no[] = {
        "Claim",    "ExplanationOfBenefit", "Coverage", "Organization", "Practitioner",
        "Location", "RelatedPerson",        "Basic",    "patient",      ""};
    for (size_t i = 0; i < MC_ARRAY_LEN(yes); i++) assert_true(mc_fhir_deid_type_allowed(yes[i]));
    for (size_t i = 0; i < MC_ARRAY_LEN(no); i++) assert_false(mc_fhir_deid_type_allowed(no[i]));
    assert_false(mc_fhir_deid_type_allowed(NULL));
}

static void test_bad_args(void **state)
{
    (void)state;
    uint64_t seed = 1;
    json_t *ok = parse("[{\"resourceType\":\"Observation\",\"id\":\"a\"}]"), *out = (json_t *)1;
    mc_fhir_deid_opts o = {pseudonym, RELEASE_MS, seeded_rand, &seed};
    static const char *const bad_pseudonyms[] = {
        NULL,
        "",
        "0123456789abcde",
        "0123456789ABCDEF",
        "0123456789abcdef-",
        "0123456789abcdeg",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad_pseudonyms); i++) {
        mc_fhir_deid_opts b = o;
        b.pseudonym = bad_pseudonyms[i];
        assert_rc(mc_fhir_deid(&out, ok, &b), MC_EINVAL);
        assert_null(out);
    }
    mc_fhir_deid_opts b = o;
    b.release_time_ms = 0;
    assert_rc(mc_fhir_deid(&out, ok, &b), MC_EINVAL);
    b.release_time_ms = 253402300800000ull; /* year 10000 */
    assert_rc(mc_fhir_deid(&out, ok, &b), MC_EINVAL);
    assert_rc(mc_fhir_deid(&out, ok, NULL), MC_EINVAL);
    assert_rc(mc_fhir_deid(NULL, ok, &o), MC_EINVAL);

    static const char *const bad_inputs[] = {
        "{\"resourceType\":\"Patient\"}",
        "{\"resourceType\":\"Bundle\",\"entry\":{}}",
        "[1]",
        "[{\"id\":\"x\"}]",
        "[{\"resourceType\":\"Observation\",\"id\":\"a b\"}]",
        "[{\"resourceType\":\"Patient\",\"id\":\"a\"},{\"resourceType\":\"Patient\",\"id\":\"b\"}]",
        "{\"resourceType\":\"Bundle\",\"entry\":[{\"fullUrl\":\"x\"}]}",
    };
    for (size_t i = 0; i < MC_ARRAY_LEN(bad_inputs); i++) {
        json_t *in = parse(bad_inputs[i]);
        out = (json_t *)1;
        assert_rc(mc_fhir_deid(&out, in, &o), MC_EINVAL);
        assert_null(out);
        json_decref(in);
    }
    assert_rc(mc_fhir_deid(&out, NULL, &o), MC_EINVAL);

    /* nesting over the cap */
    json_t *deep = json_pack("{s:s}", "resourceType", "Observation"), *cur = deep;
    for (unsigned i = 0; i < MC_FHIR_MAX_DEPTH + 1; i++) {
        json_t *next = json_object();
        json_object_set_new(cur, "x", next);
        json_object_set_new(next, "k", json_integer(1));
        cur = next;
    }
    json_t *arr = json_pack("[o]", deep);
    assert_rc(mc_fhir_deid(&out, arr, &o), MC_EINVAL);
    assert_null(out);
    json_decref(arr);

    /* an empty input releases nothing; the default generator works */
    json_t *empty = json_array();
    o.rand = NULL;
    assert_ok(mc_fhir_deid(&out, empty, &o));
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    assert_ok(mc_fhir_deid(&out, ok, &o));
    assert_int_equal(json_array_size(out), 1);
    json_decref(out);
    json_decref(empty);
    json_decref(ok);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthea_patients),
        cmocka_unit_test(test_age_90),
        cmocka_unit_test(test_age_90_dates),
        cmocka_unit_test(test_zip3),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_free_text),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
