/*
 * Attestations and certified headers (issue 5) with one real medchaind, the only validator of
 * its chain: its own attestation certifies each block it applies. POST /v1/tx?wait=certified
 * answers "certified"; GET /v1/blocks/{h} lists the attestation and "certified": true;
 * /v1/status and /metrics show the certified height; a restart keeps it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "testnet.h"

static long at_get(mc_http *h, const char *path, mc_buf *resp)
{
    long st = 0;
    int rc = mc_http_request(h, "GET", path, NULL, 0, &st, resp);
    return rc ? -rc : st;
}

static json_t *at_json(const mc_buf *b)
{
    json_t *j = json_loadb((const char *)b->p, b->n, 0, NULL);
    assert_non_null(j);
    return j;
}

static json_int_t at_status_int(tn_chain *c, const char *key)
{
    mc_http *h = tn_client(c, NULL);
    mc_buf r;
    mc_buf_init(&r, 1 << 16);
    assert_int_equal(at_get(h, "/v1/status", &r), 200);
    json_t *j = at_json(&r);
    json_t *v = json_object_get(j, key);
    assert_non_null(v);
    json_int_t x = json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
    json_decref(j);
    mc_buf_free(&r);
    mc_http_free(h);
    return x;
}

/* The block's attestation verifies against the node's key over the block's header hash. */
static void at_check_block(mc_http *h, tn_chain *c, uint64_t height, int want_certified)
{
    char path[64];
    mc_buf r;
    mc_buf_init(&r, 4u << 20);
    snprintf(path, sizeof path, "/v1/blocks/%llu", (unsigned long long)height);
    assert_int_equal(at_get(h, path, &r), 200);
    json_t *j = at_json(&r);
    assert_int_equal(json_is_true(json_object_get(j, "certified")), want_certified);
    json_t *atts = json_object_get(j, "attestations");
    assert_true(json_is_array(atts));
    assert_int_equal(json_array_size(atts), 1);
    json_t *a = json_array_get(atts, 0);
    const char *vhex = json_string_value(json_object_get(a, "validator"));
    const char *shex = json_string_value(json_object_get(a, "signature"));
    const char *hhex = json_string_value(json_object_get(json_object_get(j, "header"), "hash"));
    assert_non_null(vhex);
    assert_non_null(shex);
    assert_non_null(hhex);
    char want[65];
    mc_hex_encode(want, c->node.id.b, 32);
    assert_string_equal(vhex, want);
    mc_attest att = {.chain = c->chain, .height = height};
    memcpy(att.validator.b, c->node.id.b, 32);
    mc_sign_pk pk;
    mc_sign_sk_to_pk(&pk, &c->node.sign_sk);
    assert_int_equal(mc_hex_decode(att.header_hash.b, 32, hhex, strlen(hhex)), MC_OK);
    assert_int_equal(mc_hex_decode(att.sig.b, 64, shex, strlen(shex)), MC_OK);
    assert_int_equal(mc_attest_verify(&att, &c->chain, height, &att.header_hash, &pk), MC_OK);
    /* and not for the next height */
    assert_int_equal(mc_attest_verify(&att, &c->chain, height + 1, &att.header_hash, &pk), MC_EBADSIG);
    json_decref(j);
    mc_buf_free(&r);
}

static void test_single_validator_certifies(void **state)
{
    (void)state;
    tn_chain c;
    assert_int_equal(tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    assert_int_equal(at_status_int(&c, "validators"), 1);
    assert_int_equal(at_status_int(&c, "quorum"), 1);
    assert_int_equal(at_status_int(&c, "certified_height"), 0);
    assert_int_equal(at_status_int(&c, "alarm"), 0);

    mc_http *h = tn_client(&c, &c.org);
    mc_buf tx, resp;
    mc_hash id;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 4u << 20);
    for (uint64_t nonce = 1; nonce <= 3; nonce++) {
        mc_buf_reset(&tx);
        assert_int_equal(tn_build_register(&c, &c.org, nonce, &tx, &id), MC_OK);
        assert_int_equal(tn_post_txs(h, "certified", &tx, 1, &resp), 200);
        json_t *j = at_json(&resp);
        json_t *t = json_array_get(json_object_get(j, "txs"), 0);
        assert_true(json_is_object(t));
        assert_string_equal(json_string_value(json_object_get(t, "status")), "certified");
        assert_string_equal(json_string_value(json_object_get(t, "result")), "OK");
        json_int_t height = json_integer_value(json_object_get(t, "height"));
        assert_true(height >= 1);
        json_decref(j);
        assert_true(at_status_int(&c, "certified_height") >= height);
        at_check_block(h, &c, (uint64_t)height, 1);
    }
    /* genesis is certified by definition and carries no attestation */
    assert_int_equal(at_get(h, "/v1/blocks/0", &resp), 200);
    json_t *j = at_json(&resp);
    assert_true(json_is_true(json_object_get(j, "certified")));
    assert_int_equal(json_array_size(json_object_get(j, "attestations")), 0);
    json_decref(j);

    /* a bad wait is refused with the choices named */
    mc_buf_reset(&tx);
    assert_int_equal(tn_build_register(&c, &c.org, 4, &tx, &id), MC_OK);
    assert_int_equal(tn_post_txs(h, "signed", &tx, 1, &resp), 400);
    assert_non_null(strstr((char *)resp.p, "certified"));

    /* metrics */
    json_int_t cert = at_status_int(&c, "certified_height");
    mc_http *plain = tn_client(&c, NULL);
    assert_int_equal(at_get(plain, "/metrics", &resp), 200);
    char want[80];
    snprintf(want, sizeof want, "medchain_certified_height %lld\n", (long long)cert);
    assert_non_null(strstr((char *)resp.p, want));
    assert_non_null(strstr((char *)resp.p, "medchain_alarm 0\n"));
    mc_http_free(plain);
    mc_http_free(h);

    /* a restart keeps the certified height; an idle chain stays idle (no block to carry words) */
    json_int_t height = at_status_int(&c, "height");
    assert_int_equal(tn_kill(&c, 15), 0);
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    assert_int_equal(at_status_int(&c, "certified_height"), cert);
    assert_int_equal(at_status_int(&c, "height"), height);
    assert_int_equal(tn_verify(&c, NULL), 0);

    mc_buf_free(&tx);
    mc_buf_free(&resp);
    tn_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_validator_certifies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
