/*
 * Attestations and certified headers (issue 5) with one real medchaind, the only validator of
 * its chain: its own attestation certifies each block it applies. POST /v1/tx?wait=certified
 * answers "certified"; GET /v1/blocks/{h} lists the attestation and "certified": true;
 * /v1/status and /metrics show the certified height; a restart keeps it.
 *
 * Then three validators ordered by one real etcd member: attestations go beside the ordered
 * log (attest/<height>/<validator> under the chain's prefix), 2 of 3 certify, one node down
 * changes nothing, two down leave blocks committed but not certified until one returns, and a
 * quorum of attestations for another header than a node's own raises its alarm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <jansson.h>

#include "etcdtest.h"
#include "nodeapi_util.h"

/* The block's attestation verifies against the node's key over the block's header hash. */
static void at_check_block(mc_http *h, tn_chain *c, uint64_t height, int want_certified)
{
    char path[64];
    mc_buf r;
    mc_buf_init(&r, 4u << 20);
    snprintf(path, sizeof path, "/v1/blocks/%llu", (unsigned long long)height);
    assert_int_equal(na_get(h, path, &r), 200);
    json_t *j = na_json(&r);
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
    assert_int_equal(na_status_int(&c, "validators"), 1);
    assert_int_equal(na_status_int(&c, "quorum"), 1);
    /* block 1 is the node's org.gatekeeper, applied before it says it is up (maybe not yet
     * attested) */
    assert_int_equal(na_status_int(&c, "height"), 1);
    assert_true(na_status_int(&c, "certified_height") <= 1);
    assert_int_equal(na_status_int(&c, "alarm"), 0);

    mc_http *h = tn_client(&c, &c.org);
    mc_buf tx, resp;
    mc_hash id;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 4u << 20);
    for (uint64_t nonce = 1; nonce <= 3; nonce++) {
        mc_buf_reset(&tx);
        assert_int_equal(tn_build_register(&c, &c.org, nonce, &tx, &id), MC_OK);
        assert_int_equal(tn_post_txs(h, "certified", &tx, 1, &resp), 200);
        json_t *j = na_json(&resp);
        json_t *t = json_array_get(json_object_get(j, "txs"), 0);
        assert_true(json_is_object(t));
        assert_string_equal(json_string_value(json_object_get(t, "status")), "certified");
        assert_string_equal(json_string_value(json_object_get(t, "result")), "OK");
        json_int_t height = json_integer_value(json_object_get(t, "height"));
        assert_true(height >= 1);
        json_decref(j);
        assert_true(na_status_int(&c, "certified_height") >= height);
        at_check_block(h, &c, (uint64_t)height, 1);
    }
    /* genesis is certified by definition and carries no attestation */
    assert_int_equal(na_get(h, "/v1/blocks/0", &resp), 200);
    json_t *j = na_json(&resp);
    assert_true(json_is_true(json_object_get(j, "certified")));
    assert_int_equal(json_array_size(json_object_get(j, "attestations")), 0);
    json_decref(j);

    /* a bad wait is refused with the choices named */
    mc_buf_reset(&tx);
    assert_int_equal(tn_build_register(&c, &c.org, 4, &tx, &id), MC_OK);
    assert_int_equal(tn_post_txs(h, "signed", &tx, 1, &resp), 400);
    assert_non_null(strstr((char *)resp.p, "certified"));

    /* metrics */
    json_int_t cert = na_status_int(&c, "certified_height");
    mc_http *plain = tn_client(&c, NULL);
    assert_int_equal(na_get(plain, "/metrics", &resp), 200);
    char want[80];
    snprintf(want, sizeof want, "medchain_certified_height %lld\n", (long long)cert);
    assert_non_null(strstr((char *)resp.p, want));
    assert_non_null(strstr((char *)resp.p, "medchain_alarm 0\n"));
    mc_http_free(plain);
    mc_http_free(h);

    /* a restart keeps the certified height; an idle chain stays idle (no block to carry words) */
    json_int_t height = na_status_int(&c, "height");
    assert_int_equal(tn_kill(&c, 15), 0);
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    /* (unless the node came back on another port: its gatekeeper URL changed, and it says so on
     * the chain, in one block) */
    json_int_t moved = c.moved;
    assert_true(na_status_int(&c, "certified_height") >= cert);
    assert_int_equal(na_status_int(&c, "height"), height + moved);
    assert_int_equal(tn_verify(&c, NULL), 0);

    mc_buf_free(&tx);
    mc_buf_free(&resp);
    tn_destroy(&c);
}

static size_t at_attestations(tn_chain *c, const mc_keys *org, json_int_t height, int *certified)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%lld", (long long)height);
    json_t *j = na_get_json(c, org, path);
    size_t k = json_array_size(json_object_get(j, "attestations"));
    *certified = json_is_true(json_object_get(j, "certified"));
    json_decref(j);
    return k;
}

/* Puts validator @p v's attestation of @p hh at @p height straight into etcd. */
static void at_forge(et_cluster *ec, tn_chain *v, json_int_t height, const mc_hash *hh)
{
    mc_sign_pk pk;
    mc_sign_sk_to_pk(&pk, &v->node.sign_sk);
    mc_attest a;
    mc_attest_sign(&a, &v->chain, (uint64_t)height, hh, &pk, &v->node.sign_sk);
    mc_buf b;
    mc_buf_init(&b, 1024);
    assert_int_equal(mc_attest_encode(&b, &a), MC_OK);
    char chain[65], vid[65], key[256], kb[400], vb[400], req[1024], resp[4096];
    mc_hex_encode(chain, v->chain.b, 32);
    mc_hex_encode(vid, a.validator.b, 32);
    snprintf(key, sizeof key, "/medchain/%s/attest/%016llx/%s", chain, (unsigned long long)height, vid);
    mc_base64_encode(kb, key, strlen(key));
    mc_base64_encode(vb, b.p, b.n);
    snprintf(req, sizeof req, "{\"key\":\"%s\",\"value\":\"%s\"}", kb, vb);
    assert_int_equal(et_call(ec, "kv/put", req, resp, sizeof resp), MC_OK);
    mc_buf_free(&b);
}

static void test_three_validators_over_etcd(void **state)
{
    (void)state;
    if (!et_binary()) fail_msg("etcd is not installed (/usr/bin/etcd: scripts/setup installs etcd-server)");
    et_cluster ec;
    assert_int_equal(et_start(&ec, 1), MC_OK);
    tn_chain nodes[3];
    tn_chain *cs[3] = {&nodes[0], &nodes[1], &nodes[2]};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tn_create(&nodes[i], 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_share_genesis(cs, 3), MC_OK);
    char eps[600];
    snprintf(eps, sizeof eps, "etcd_endpoints=%s", ec.endpoints);
    const char *settings[] = {"orderer=etcd", eps, NULL};
    for (int i = 0; i < 3; i++) assert_int_equal(tn_start(&nodes[i], settings), MC_OK);
    const mc_keys *org = &nodes[0].org;
    assert_int_equal(na_status_int(&nodes[1], "validators"), 3);
    assert_int_equal(na_status_int(&nodes[1], "quorum"), 2);

    /* submitted to one node, certified by the attestations of at least two */
    json_int_t h1 = na_submit(&nodes[0], org, 1, "certified", "certified", 200, NULL);
    json_int_t h2 = na_submit(&nodes[2], org, 2, "certified", "certified", 200, NULL);
    assert_true(h2 > h1);
    for (int i = 0; i < 3; i++) na_wait_status(&nodes[i], "certified_height", h2, 10000);
    int cert;
    /* every node holds a quorum of words for it: a node stops fetching a height once it is
     * certified, so the third may or may not have reached it (an idle chain costs nothing) */
    for (int i = 0; i < 3; i++) {
        size_t k = at_attestations(&nodes[i], org, h2, &cert);
        assert_true(k >= 2 && k <= 3);
        assert_true(cert);
    }
    json_int_t idle = na_status_int(&nodes[0], "height");
    /* a later batch carries the newest certificate its proposer held, so it is on the chain */
    json_int_t hc = na_submit(&nodes[1], org, 3, "committed", "committed", 200, NULL);
    {
        char path[64];
        snprintf(path, sizeof path, "/v1/blocks/%lld", (long long)hc);
        json_t *j = na_get_json(&nodes[1], org, path);
        json_t *cj = json_object_get(json_object_get(j, "batch"), "certificate");
        assert_non_null(cj);
        json_int_t ch = json_integer_value(json_object_get(cj, "height"));
        assert_true(ch >= h2 && ch < hc);
        assert_true(json_array_size(json_object_get(cj, "signatures")) >= 2);
        json_decref(j);
    }
    idle = na_status_int(&nodes[0], "height");

    /* one validator down: 2 of 3 still certify */
    assert_int_equal(tn_kill(&nodes[2], 9), 128 + 9);
    json_int_t h3 = na_submit(&nodes[1], org, 4, "certified", "certified", 200, NULL);
    assert_true(h3 > idle);
    /* two down: committed, not certified (202, with its height), until one returns */
    assert_int_equal(tn_kill(&nodes[1], 9), 128 + 9);
    json_int_t h4 = na_submit(&nodes[0], org, 5, "certified&timeout_ms=1500", "committed", 202, NULL);
    assert_true(h4 > h3);
    assert_int_equal(at_attestations(&nodes[0], org, h4, &cert), 1);
    assert_false(cert);
    assert_true(na_status_int(&nodes[0], "certified_height") < h4);
    assert_int_equal(tn_start(&nodes[1], settings), MC_OK);
    na_wait_status(&nodes[0], "certified_height", h4, 10000);
    na_wait_status(&nodes[1], "certified_height", h4, 10000);

    /* divergence: with the others down again, node 0 applies a block only it attested; then a
     * quorum (nodes 1 and 2's keys) attests another header at that height */
    assert_int_equal(tn_kill(&nodes[1], 9), 128 + 9);
    json_int_t h5 = na_submit(&nodes[0], org, 6, "committed", "committed", 200, NULL);
    assert_int_equal(na_status_int(&nodes[0], "alarm"), 0);
    mc_hash other;
    memset(other.b, 0x5a, 32);
    at_forge(&ec, &nodes[1], h5, &other);
    at_forge(&ec, &nodes[2], h5, &other);
    for (int tries = 0; tries < 200 && !na_status_int(&nodes[0], "alarm"); tries++) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(na_status_int(&nodes[0], "alarm"), 1);
    assert_int_equal(na_status_int(&nodes[0], "alarm_height"), h5);
    assert_int_equal(na_status_int(&nodes[0], "halted"), 1);
    assert_true(na_status_int(&nodes[0], "certified_height") < h5);
    mc_http *plain = tn_client(&nodes[0], NULL);
    mc_buf r;
    mc_buf_init(&r, 1u << 20);
    assert_int_equal(na_get(plain, "/metrics", &r), 200);
    assert_non_null(strstr((char *)r.p, "medchain_alarm 1\n"));
    mc_http_free(plain);
    /* its state is not served as good */
    mc_http *h = tn_client(&nodes[0], org);
    char path[64];
    snprintf(path, sizeof path, "/v1/blocks/%lld", (long long)h5);
    assert_int_equal(na_get(h, path, &r), 503);
    assert_non_null(strstr((char *)r.p, "diverges"));
    mc_http_free(h);
    mc_buf_free(&r);
    /* a restart does not make it good again: the alarm was kept */
    assert_int_equal(tn_kill(&nodes[0], 15), 0);
    /* offline, the chain it applied still verifies; its order lives in etcd, which verify says */
    mc_buf vout;
    mc_buf_init(&vout, 1u << 16);
    assert_int_equal(tn_verify(&nodes[0], &vout), 0);
    assert_int_equal(mc_buf_cstr(&vout), MC_OK);
    assert_non_null(strstr((char *)vout.p, "ordered by etcd"));
    mc_buf_free(&vout);
    assert_int_equal(tn_start(&nodes[0], settings), MC_OK);
    assert_int_equal(na_status_int(&nodes[0], "alarm"), 1);
    assert_int_equal(na_status_int(&nodes[0], "alarm_height"), h5);
    assert_int_equal(na_status_int(&nodes[0], "halted"), 1);

    for (int i = 0; i < 3; i++) tn_destroy(&nodes[i]);
    et_destroy(&ec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_validator_certifies),
        cmocka_unit_test(test_three_validators_over_etcd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
