/*
 * libFuzzer target: a FHIR Bundle for ingest (mc_fhir_bundle_parse). A refused input leaves
 * no bundle and names its error. An accepted one must keep every documented invariant:
 * each entry's span lies inside the input, is an object and re-parses to exactly the
 * resource jansson made; categories are valid, keywords distinct, named and capped; the
 * spans re-built into a collection parse again to as many entries; and the resources
 * de-identify (with fixed random bytes) into output with no UUID and no date finer than a
 * year anywhere, or are refused as malformed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "medchain/fhir.h"

static void mc_fuzz_fhir_rand(void *ctx, void *out, size_t n)
{
    uint8_t *p = out, *k = ctx;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(++*k * 151u);
}

static int mc_fuzz_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int mc_fuzz_hex(char c)
{
    return mc_fuzz_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Aborts if @p s holds dddd-dd or a UUID (8-4-4-4-12 hex digits) anywhere. */
static void mc_fuzz_no_date_or_uuid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        int date = i + 7 <= n;
        for (size_t k = 0; date && k < 7; k++) date = k == 4 ? s[i + k] == '-' : mc_fuzz_digit(s[i + k]);
        MC_FUZZ_CHECK(!date);
        if (i + 36 > n) continue;
        size_t j = i;
        int uuid = 1;
        for (int g = 0; uuid && g < 5; g++) {
            for (int k = 0; uuid && k < groups[g]; k++) uuid = mc_fuzz_hex(s[j++]);
            if (uuid && g < 4) uuid = s[j++] == '-';
        }
        MC_FUZZ_CHECK(!uuid);
    }
}

static void mc_fuzz_fhir_entry(const mc_fhir_entry *e, const uint8_t *p, size_t n)
{
    MC_FUZZ_CHECK(e->span.p >= p && e->span.n >= 2 && e->span.p + e->span.n <= p + n);
    MC_FUZZ_CHECK(e->span.p[0] == '{' && e->span.p[e->span.n - 1] == '}');
    json_error_t jerr;
    json_t *again = json_loadb((const char *)e->span.p, e->span.n, JSON_REJECT_DUPLICATES, &jerr);
    MC_FUZZ_CHECK(again != NULL && json_equal(again, (json_t *)e->resource));
    json_decref(again);
    MC_FUZZ_CHECK(mc_category_ok(e->category, strlen(e->category)));
    MC_FUZZ_CHECK(e->sensitivity <= MC_SENS_VERY_RESTRICTED);
    MC_FUZZ_CHECK(e->year <= 9999);
    MC_FUZZ_CHECK(e->nkeywords >= 2 && e->nkeywords <= MC_FHIR_MAX_KEYWORDS);
    MC_FUZZ_CHECK(strcmp(e->keywords[0].value, e->type) == 0);
    for (uint32_t i = 0; i < e->nkeywords; i++) {
        MC_FUZZ_CHECK(mc_fhir_kw_name(e->keywords[i].kind) != NULL);
        MC_FUZZ_CHECK(e->keywords[i].value[0] != 0);
        for (uint32_t j = 0; j < i; j++)
            MC_FUZZ_CHECK(e->keywords[i].kind != e->keywords[j].kind ||
                          strcmp(e->keywords[i].value, e->keywords[j].value) != 0);
    }
}

/* The spans re-built into a collection parse again, entry for entry. */
static void mc_fuzz_fhir_rebuild(const mc_slice *spans, size_t count)
{
    json_t *b = NULL;
    MC_FUZZ_CHECK(mc_fhir_bundle_build(&b, "collection", spans, count) == MC_OK);
    char *text = json_dumps(b, JSON_COMPACT);
    MC_FUZZ_CHECK(text != NULL);
    mc_fhir_bundle *again = NULL;
    MC_FUZZ_CHECK(mc_fhir_bundle_parse(&again, (const uint8_t *)text, strlen(text), NULL) == MC_OK);
    MC_FUZZ_CHECK(mc_fhir_bundle_count(again) == count);
    mc_fhir_bundle_free(again);
    free(text);
    json_decref(b);
}

static void mc_fuzz_fhir_deid(const mc_fhir_bundle *fb)
{
    uint8_t k = 0;
    mc_fhir_deid_opts o = {"00112233445566778899aabbccddeeff", 1767225600000ull, mc_fuzz_fhir_rand, &k};
    json_t *out = NULL;
    int rc = mc_fhir_deid(&out, mc_fhir_bundle_json(fb), &o);
    MC_FUZZ_CHECK(rc == MC_OK || rc == MC_EINVAL); /* EINVAL: two Patients */
    MC_FUZZ_CHECK((rc == MC_OK) == (out != NULL));
    if (!out) return;
    MC_FUZZ_CHECK(json_array_size(out) <= mc_fhir_bundle_count(fb));
    char *text = json_dumps(out, JSON_COMPACT);
    MC_FUZZ_CHECK(text != NULL);
    mc_fuzz_no_date_or_uuid(text);
    free(text);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_fhir_bundle *fb = (mc_fhir_bundle *)1;
    mc_fhir_error err;
    if (mc_fhir_bundle_parse(&fb, data, size, &err) != MC_OK) {
        MC_FUZZ_CHECK(fb == NULL && err.what != NULL);
        return 0;
    }
    MC_FUZZ_CHECK(fb != NULL && err.what == NULL);
    size_t count = mc_fhir_bundle_count(fb), patients = 0;
    mc_fhir_entry *e = malloc(sizeof *e);
    mc_slice *spans = malloc((count ? count : 1) * sizeof *spans);
    MC_FUZZ_CHECK(e != NULL && spans != NULL);
    for (size_t i = 0; i < count; i++) {
        MC_FUZZ_CHECK(mc_fhir_bundle_entry(fb, i, e) == MC_OK);
        mc_fuzz_fhir_entry(e, data, size);
        spans[i] = e->span;
        patients += e->is_patient;
    }
    MC_FUZZ_CHECK(mc_fhir_bundle_entry(fb, count, e) == MC_EINVAL);
    size_t pi;
    int rc = mc_fhir_bundle_patient(fb, &pi);
    MC_FUZZ_CHECK(patients == (rc == MC_OK));
    mc_fuzz_fhir_rebuild(spans, count);
    mc_fuzz_fhir_deid(fb);
    free(spans);
    free(e);
    mc_fhir_bundle_free(fb);
    return 0;
}
