/*
 * envelope, search: the patient's search key, keyword normalisation and tokens (known answers of
 * the token and the search-key slot are in test_envelope.c with the others).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/envelope.h"
#include "testutil.h"

static void test_keyword_table(void **state)
{
    (void)state;
    static const struct {
        const char *kind, *value, *want;
    } ok[] = {
        {" LOINC ", "8302-2 ", "loinc:8302-2"},
        {"loinc", "8302-2", "loinc:8302-2"},
        {"SNOMED", "  Essential   Hypertension ", "snomed:essential hypertension"},
        {"rxnorm", "197361", "rxnorm:197361"},
        {"cvx", "08", "cvx:08"},
        {"Type", "Observation", "type:observation"},
        {"category", "Vital-Signs", "category:vital-signs"},
        {"year", " 2019 ", "year:2019"},
        {"word", "CAF\xc3\x89 Au Lait", "word:caf\xc3\x89 au lait"}, /* only ASCII is folded */
        {"word", "a:b", "word:a:b"},
    };
    char out[MC_ENV_MAX_KEYWORD + 1];
    for (size_t i = 0; i < MC_ARRAY_LEN(ok); i++) {
        assert_ok(mc_env_keyword(out, sizeof out, ok[i].kind, ok[i].value));
        assert_string_equal(out, ok[i].want);
    }
    static const struct {
        const char *kind, *value;
    } bad[] = {
        {"loinc", ""},
        {"loinc", "   "},
        {"icd10", "I10"},
        {"", "x"},
        {"lo inc", "x"},
        {"loinc", "83\t02"},
        {"loinc", "8302\n"},
        {"loinc", "\x7f"},
        {"lo\x01inc", "x"},
        {"year", "19"},
        {"year", "20a9"},
        {"year", "20199"},
        {"loinc-long-kind-name", "x"},
    };
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        memset(out, 'z', sizeof out);
        assert_rc(mc_env_keyword(out, sizeof out, bad[i].kind, bad[i].value), MC_EINVAL);
        assert_string_equal(out, "");
    }
    assert_rc(mc_env_keyword(NULL, 10, "loinc", "x"), MC_EINVAL);
    assert_rc(mc_env_keyword(out, sizeof out, NULL, "x"), MC_EINVAL);
    assert_rc(mc_env_keyword(out, sizeof out, "loinc", NULL), MC_EINVAL);
    /* length: "word:" + 123 bytes is the longest keyword */
    char v[200];
    memset(v, 'a', sizeof v);
    v[123] = '\0';
    assert_ok(mc_env_keyword(out, sizeof out, "word", v));
    assert_int_equal(strlen(out), MC_ENV_MAX_KEYWORD);
    assert_rc(mc_env_keyword(out, MC_ENV_MAX_KEYWORD, "word", v), MC_ETOOBIG); /* no room for the NUL */
    assert_string_equal(out, "");
    assert_rc(mc_env_keyword(out, 0, "word", v), MC_ETOOBIG);
    v[123] = 'a';
    v[124] = '\0';
    assert_rc(mc_env_keyword(out, sizeof out, "word", v), MC_ETOOBIG);
    v[124] = 'a';
    v[199] = '\0';
    assert_rc(mc_env_keyword(out, sizeof out, "word", v), MC_ETOOBIG);
    /* spaces outside count for nothing */
    char sp[200];
    snprintf(sp, sizeof sp, "   %.*s   ", 123, v);
    assert_ok(mc_env_keyword(out, sizeof out, "word", sp));
}

static void test_tokens(void **state)
{
    (void)state;
    mc_test_key p1, p2;
    mc_test_key_new(&p1);
    mc_test_key_new(&p2);
    uint8_t s1[32], s1b[32], s2[32];
    mc_env_search_key(s1, &p1.box_sk);
    mc_env_search_key(s1b, &p1.box_sk);
    mc_env_search_key(s2, &p2.box_sk);
    assert_memory_equal(s1, s1b, 32); /* the patient can always derive it again */
    assert_memory_not_equal(s1, s2, 32);
    char a[MC_ENV_MAX_KEYWORD + 1], b[MC_ENV_MAX_KEYWORD + 1];
    assert_ok(mc_env_keyword(a, sizeof a, " LOINC ", "8302-2 "));
    assert_ok(mc_env_keyword(b, sizeof b, "loinc", "8302-2"));
    mc_hash ta, tb, tc;
    mc_env_token(&ta, s1, a);
    mc_env_token(&tb, s1, b);
    assert_memory_equal(ta.b, tb.b, 32); /* spelled differently, found the same */
    mc_env_token(&tc, s2, b);
    assert_memory_not_equal(ta.b, tc.b, 32); /* another patient's token says nothing about this one */
    assert_ok(mc_env_keyword(b, sizeof b, "loinc", "8302-3"));
    mc_env_token(&tc, s1, b);
    assert_memory_not_equal(ta.b, tc.b, 32);
    assert_ok(mc_env_keyword(b, sizeof b, "snomed", "8302-2"));
    mc_env_token(&tc, s1, b);
    assert_memory_not_equal(ta.b, tc.b, 32); /* the kind is part of the keyword */
    /* the search key travels to a grantee like a data key, in the patient's slot */
    mc_hash slot1, slot2;
    mc_env_search_key_slot(&slot1, &p1.id);
    mc_env_search_key_slot(&slot2, &p2.id);
    assert_memory_not_equal(slot1.b, slot2.b, 32);
    mc_test_key g;
    mc_test_key_new(&g);
    mc_wrapper *w;
    assert_ok(mc_wrapper_new(&w));
    mc_wrapped_key wk;
    uint8_t got[32];
    assert_ok(mc_env_wrap(w, &wk, s1, &slot1, &g.id, &g.box_pk));
    assert_ok(mc_env_unwrap(got, &wk, &slot1, &g.box_pk, &g.box_sk));
    assert_memory_equal(got, s1, 32);
    assert_rc(mc_env_unwrap(got, &wk, &slot2, &g.box_pk, &g.box_sk), MC_ECRYPTO);
    mc_wrapper_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyword_table),
        cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
