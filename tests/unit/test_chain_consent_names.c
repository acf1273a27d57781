/*
 * chain, part 4 (names): the names of purposes, actions, reasons and the rest, the category rule
 * and the access target path of records and consent (docs/format.md, "Records and consent").
 * The bodies and state values are in test_chain_consent_body.c and test_chain_consent_state.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainconsent_util.h"

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                        */

static void test_names(void **state)
{
    (void)state;
    static const char *const purposes[] = {"TREAT",  "ETREAT",  "HPAYMT", "HOPERAT",
                                           "HRESCH", "PUBHLTH", "PATRQT"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(purposes); i++) {
        assert_string_equal(mc_purpose_name(1u << i), purposes[i]);
        assert_int_equal(mc_purpose_parse(purposes[i]), 1u << i);
    }
    assert_int_equal(MC_PURPOSE_ALL_, (1u << MC_ARRAY_LEN(purposes)) - 1);
    static const uint32_t badp[] = {0, 3, MC_PURPOSE_ALL_, 1u << 7, 1u << 31};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badp); i++) assert_null(mc_purpose_name(badp[i]));
    assert_int_equal(mc_purpose_parse("treat"), 0);
    assert_int_equal(mc_purpose_parse(""), 0);
    assert_int_equal(mc_purpose_parse(NULL), 0);

    static const char *const actions[] = {"read", "read_meta", "read_deid"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(actions); i++) {
        assert_string_equal(mc_action_name((uint8_t)(1u << i)), actions[i]);
        assert_int_equal(mc_action_parse(actions[i]), 1u << i);
    }
    static const uint8_t bada[] = {0, 3, 7, 8, 0x80};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bada); i++) assert_null(mc_action_name(bada[i]));
    assert_int_equal(mc_action_parse("READ"), 0);
    assert_int_equal(mc_action_parse(NULL), 0);

    /* reasons: exactly 1..6 and 64..76 have names, all distinct, each with a text */
    assert_string_equal(mc_reason_name(MC_RSN_PERMIT_GRANT), "PERMIT_GRANT");
    assert_string_equal(mc_reason_name(MC_RSN_DENY_EXPLICIT), "DENY_EXPLICIT");
    assert_string_equal(mc_reason_name(MC_RSN_DENY_EMERGENCY_EXPIRED), "DENY_EMERGENCY_EXPIRED");
    for (int r = -1; r < 300; r++) {
        int known = (r >= MC_RSN_PERMIT_OWNER && r <= MC_RSN_PERMIT_AUDITOR_META) ||
                    (r >= MC_RSN_DENY_DEFAULT && r <= MC_RSN_DENY_EMERGENCY_EXPIRED);
        assert_int_equal(mc_reason_name(r) != NULL, known);
        assert_int_equal(mc_reason_text(r) != NULL, known);
        if (!known) continue;
        assert_true(strlen(mc_reason_text(r)) > 0);
        assert_int_equal(strncmp(mc_reason_name(r), r < MC_RSN_DENY_ ? "PERMIT_" : "DENY_", r < 64 ? 7 : 5),
                         0);
        for (int q = 1; q < r; q++)
            if (mc_reason_name(q)) assert_string_not_equal(mc_reason_name(q), mc_reason_name(r));
    }

    static const char *const evs[] = {"record.new",       "record.read",      "consent.grant",
                                      "consent.deny",     "consent.revoke",   "consent.delegate",
                                      "access.emergency", "consent.expiring", "org.admitted"};
    for (int k = MC_EV_RECORD; k <= MC_EV_ORG_ADMITTED; k++)
        assert_string_equal(mc_event_kind_name(k), evs[k - 1]);
    assert_null(mc_event_kind_name(0));
    assert_null(mc_event_kind_name(10));
    assert_null(mc_event_kind_name(-1));

    /* transaction kinds: 10..19 named, 4..9 never assigned and never parsed */
    static const char *const txk[] = {"record.anchor",    "consent.grant",    "consent.deny",
                                      "consent.revoke",   "consent.delegate", "access.emergency",
                                      "access.log",       "org.propose",      "org.approve",
                                      "research.release", "org.gatekeeper",   "access.reads"};
    for (int k = MC_TX_RECORD_ANCHOR; k <= MC_TX_ACCESS_READS; k++) {
        assert_string_equal(mc_tx_kind_name(k), txk[k - MC_TX_RECORD_ANCHOR]);
        assert_int_equal(mc_tx_kind_parse(txk[k - MC_TX_RECORD_ANCHOR]), k);
    }
    for (int k = 4; k < MC_TX_RECORD_ANCHOR; k++) assert_null(mc_tx_kind_name(k));
    assert_null(mc_tx_kind_name(MC_TX_ACCESS_READS + 1));
    assert_int_equal(mc_tx_kind_parse("identity.revoke"), MC_TX_IDENTITY_REVOKE);
    assert_int_equal(mc_tx_kind_parse("access"), 0);
    assert_int_equal(mc_tx_kind_parse(""), 0);

    static const char *const txr[] = {"NOT_PATIENT", "SUPERSEDED", "BAD_WINDOW",      "DECISION_MISMATCH",
                                      "STALE",       "LIMIT",      "NO_CUSTODIAN_KEY"};
    for (int c = MC_TXR_NOT_PATIENT; c <= MC_TXR_NO_CUSTODIAN_KEY; c++) {
        assert_string_equal(mc_txr_name(c), txr[c - MC_TXR_NOT_PATIENT]);
        assert_true(strlen(mc_txr_text(c)) > 0);
        assert_string_not_equal(mc_txr_text(c), "unknown result");
    }
    assert_int_equal(MC_TXR_COUNT_, MC_TXR_NO_CUSTODIAN_KEY + 1);
    assert_string_equal(mc_txr_name(MC_TXR_NO_CUSTODIAN_KEY + 1), "UNKNOWN");
}

static void test_category(void **state)
{
    (void)state;
    static const char *const good[] = {"a", "lab", "lab.result_v2-x", "0",
                                       "abcdefghijklmnopqrstuvwxyz012345"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(good); i++) assert_true(mc_category_ok(good[i], strlen(good[i])));
    static const char *const bad[] = {
        "", "Lab", "lab result", "lab/x", "lab,x", "é", "abcdefghijklmnopqrstuvwxyz0123456"};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bad); i++) assert_false(mc_category_ok(bad[i], strlen(bad[i])));
    assert_false(mc_category_ok("lab\0x", 5));
    assert_true(mc_category_ok("lab\0x", 3));
    assert_false(mc_category_ok(NULL, 0));
}

/* ------------------------------------------------------------------------------------------ */
/* Access target                                                                              */

static void test_access_target(void **state)
{
    (void)state;
    mc_hash rec;
    for (int i = 0; i < 32; i++) rec.b[i] = (uint8_t)(0xa0 + i);
    char out[160];
    assert_ok(mc_access_target(out, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, MC_VIA_DECISION));
    assert_string_equal(out, "/v1/records/a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                             "/access?purpose=TREAT&action=read");
    assert_ok(mc_access_target(out, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, MC_VIA_CONTENT));
    assert_string_equal(out, "/v1/records/a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                             "/content?purpose=TREAT&action=read");
    assert_string_equal(mc_access_method(MC_VIA_DECISION), "POST");
    assert_string_equal(mc_access_method(MC_VIA_CONTENT), "GET");
    assert_null(mc_access_method(MC_VIA_COUNT_));
    assert_null(mc_access_method(0xff));
    for (uint32_t p = 1; p <= MC_PURPOSE_ALL_; p <<= 1)
        for (uint8_t a = 1; a <= MC_ACTION_ALL_; a = (uint8_t)(a << 1)) {
            char want[160];
            char hex[65];
            mc_hex_encode(hex, rec.b, 32);
            snprintf(want, sizeof want, "/v1/records/%s/access?purpose=%s&action=%s", hex, mc_purpose_name(p),
                     mc_action_name(a));
            assert_ok(mc_access_target(out, &rec, p, a, MC_VIA_DECISION));
            assert_string_equal(out, want);
            /* the gatekeeper serves ciphertext: action read only */
            snprintf(want, sizeof want, "/v1/records/%s/content?purpose=%s&action=read", hex,
                     mc_purpose_name(p));
            memset(out, 'x', sizeof out);
            assert_rc(mc_access_target(out, &rec, p, a, MC_VIA_CONTENT),
                      a == MC_ACTION_READ ? MC_OK : MC_EINVAL);
            assert_string_equal(out, a == MC_ACTION_READ ? want : "");
        }
    static const uint32_t badp[] = {0, 3, 1u << 7, MC_PURPOSE_ALL_};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badp); i++)
        for (uint8_t via = 0; via < MC_VIA_COUNT_; via++) {
            memset(out, 'x', sizeof out);
            assert_rc(mc_access_target(out, &rec, badp[i], MC_ACTION_READ, via), MC_EINVAL);
            assert_string_equal(out, "");
        }
    static const uint8_t bada[] = {0, 3, 8, MC_ACTION_ALL_};
    for (unsigned i = 0; i < MC_ARRAY_LEN(bada); i++)
        for (uint8_t via = 0; via < MC_VIA_COUNT_; via++)
            assert_rc(mc_access_target(out, &rec, MC_PURPOSE_TREAT, bada[i], via), MC_EINVAL);
    static const uint8_t badvia[] = {MC_VIA_COUNT_, 7, 0xff};
    for (unsigned i = 0; i < MC_ARRAY_LEN(badvia); i++) {
        memset(out, 'x', sizeof out);
        assert_rc(mc_access_target(out, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, badvia[i]), MC_EINVAL);
        assert_string_equal(out, "");
    }
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_category),
        cmocka_unit_test(test_access_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
