/*
 * A consortium of real processes (issue 5): 4 medchaind validators of one genesis on a
 * 3-member etcd cluster, under load from client threads that submit to different nodes.
 *
 * - No faults: every node holds the same chain (the same header at every height through the
 *   API; then, stopped, byte-identical blocks, index, state, events and digest in LMDB), every
 *   acknowledged transaction is committed OK on every node, `medchain verify` passes on each.
 * - Faults under load: a node killed with SIGKILL and restarted catches up; one etcd member
 *   down, the chain goes on; two down, submissions are refused at once with a clear error
 *   (503 EUNAVAIL); both back, all resumes; at the end nothing acknowledged is lost and the
 *   nodes are identical.
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "consortium.h"
#include "medchain/store.h"

#define CT_NODES   4
#define CT_CLIENTS 4
#define CT_PER     20 /* transactions per request */

static void ct_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static cs_net *ct_start(void)
{
    if (!et_binary()) fail_msg("etcd is not installed (/usr/bin/etcd from etcd-server): run scripts/setup");
    cs_net *net;
    assert_int_equal(cs_start(&net, CT_NODES, CT_CLIENTS, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    return net;
}

static size_t ct_acked(cs_load *l)
{
    cs_load_stats s;
    cs_load_stats_get(l, &s);
    return s.acked;
}

/* Waits up to @p ms until the load has had more than @p than transactions acknowledged. */
static void ct_wait_acked(cs_load *l, size_t than, int ms, const char *what)
{
    for (int waited = 0; waited < ms && ct_acked(l) <= than; waited += 100) ct_sleep_ms(100);
    cs_load_stats s;
    cs_load_stats_get(l, &s);
    if (s.acked <= than)
        fail_msg("%s: no transaction acknowledged in %d ms (%zu acknowledged, %zu failed, %zu errors; last "
                 "failure %s)",
                 what, ms, s.acked, s.failed, s.errors, s.last_failure);
}

/* Stops the load, then: all nodes at one height with one chain, nothing acknowledged lost. */
static void ct_check_live(cs_net *net, cs_load *l)
{
    char why[2048];
    uint64_t height = 0;
    size_t nacked, lost = 0;
    cs_load_stop(l);
    int rc = cs_wait_same(net, 60000, &height, why, sizeof why);
    if (rc) fail_msg("the nodes did not reach one height and tip: %s", why);
    const mc_hash *acked = cs_load_acked(l, &nacked);
    assert_true(nacked > 0);
    rc = cs_check_api(net, height, acked, nacked, &lost, why, sizeof why);
    if (rc) fail_msg("%s", why);
    assert_int_equal(lost, 0);
    /* the transaction route agrees, on every node, for a sample */
    for (unsigned i = 0; i < net->n; i++) {
        mc_http *h = cs_client(net, i);
        assert_non_null(h);
        for (size_t k = 0; k < nacked; k += 1 + nacked / 16) assert_true(tn_tx_committed(h, &acked[k]));
        assert_true(tn_tx_committed(h, &acked[nacked - 1]));
        mc_http_free(h);
    }
    cs_load_stats s;
    cs_load_stats_get(l, &s);
    print_message("%zu acknowledged, height %llu, %zu failed, %zu rejected, %zu unanswered requests\n",
                  nacked, (unsigned long long)height, s.failed, s.rejected, s.errors);
}

/* Stops every node cleanly, then compares their stores and verifies each. */
static void ct_check_stopped(cs_net *net)
{
    char why[2048];
    for (unsigned i = 0; i < net->n; i++) assert_int_equal(cs_node_kill(net, i, SIGTERM), 0);
    int rc = cs_check_stores(net, why, sizeof why);
    if (rc) fail_msg("%s", why);
    rc = cs_verify_all(net, why, sizeof why);
    if (rc) fail_msg("%s", why);
}

/* The checks find what they look for: one state entry more on a stopped node fails the store
 * comparison and that node's verify; an id never submitted is reported lost. */
static void ct_checks_can_fail(cs_net *net)
{
    char why[2048], dir[400];
    mc_store *st;
    mc_store_txn *txn;
    snprintf(dir, sizeof dir, "%s/store", net->node[3].data);
    assert_int_equal(mc_store_open(&st, dir, NULL), MC_OK);
    assert_int_equal(mc_store_begin(st, 1, &txn), MC_OK);
    assert_int_equal(mc_store_put(txn, MC_T_STATE, "zz-not-from-a-block", 19, "x", 1), MC_OK);
    assert_int_equal(mc_store_commit(txn), MC_OK);
    mc_store_close(st);
    assert_int_equal(cs_check_stores(net, why, sizeof why), MC_ECORRUPT);
    assert_non_null(strstr(why, "state table"));
    assert_non_null(strstr(why, "node 3"));
    assert_int_equal(cs_verify_all(net, why, sizeof why), MC_ECORRUPT);
    assert_non_null(strstr(why, "node 3"));

    assert_int_equal(cs_node_start(net, 0), MC_OK);
    cs_status s;
    assert_int_equal(cs_status_get(net, 0, &s), MC_OK);
    mc_hash never;
    size_t lost = 0;
    mc_random(never.b, 32);
    assert_int_equal(cs_check_api(net, s.height, &never, 1, &lost, why, sizeof why), MC_ECORRUPT);
    assert_int_equal(lost, 1);
    assert_non_null(strstr(why, "not committed OK"));
}

/* How many distinct proposers the blocks on node 0 have. */
static unsigned ct_proposers(cs_net *net)
{
    cs_status st;
    assert_int_equal(cs_status_get(net, 0, &st), MC_OK);
    char seen[CS_MAX_NODES][65];
    unsigned n = 0;
    mc_http *h = cs_client(net, 0);
    mc_buf r;
    mc_buf_init(&r, 16u << 20);
    for (uint64_t height = 1; height <= st.height; height++) {
        char path[64];
        long code = 0;
        snprintf(path, sizeof path, "/v1/blocks/%llu?limit=1", (unsigned long long)height);
        assert_int_equal(mc_http_request(h, "GET", path, NULL, 0, &code, &r), MC_OK);
        assert_int_equal(code, 200);
        json_t *j = json_loadb((const char *)r.p, r.n, 0, NULL);
        const char *p = json_string_value(json_object_get(json_object_get(j, "header"), "proposer"));
        assert_non_null(p);
        unsigned k = 0;
        while (k < n && strcmp(seen[k], p)) k++;
        if (k == n && n < CS_MAX_NODES) snprintf(seen[n++], sizeof seen[0], "%s", p);
        json_decref(j);
    }
    mc_buf_free(&r);
    mc_http_free(h);
    return n;
}

static void test_identical_chains(void **state)
{
    (void)state;
    cs_net *net = ct_start();
    cs_status st;
    assert_int_equal(cs_status_get(net, 2, &st), MC_OK);
    /* each node published its org's gatekeeper (one block each) before it said it was up */
    assert_int_equal(st.height, net->n);
    cs_load *l;
    /* client k submits to node k: four nodes propose batches into one order */
    assert_int_equal(cs_load_start(&l, net, CT_CLIENTS, CT_PER), MC_OK);
    ct_wait_acked(l, 400, 20000, "no faults");
    ct_sleep_ms(1500);
    ct_check_live(net, l);
    cs_load_stats s;
    cs_load_stats_get(l, &s);
    assert_int_equal(s.failed + s.rejected + s.errors, 0);
    /* every node proposed blocks of the one chain */
    assert_int_equal(ct_proposers(net), CT_NODES);
    for (unsigned i = 0; i < net->n; i++) {
        assert_int_equal(cs_status_get(net, i, &st), MC_OK);
        assert_false(st.alarm);
        assert_false(st.halted);
    }
    cs_load_free(l);
    ct_check_stopped(net);
    ct_checks_can_fail(net);
    cs_destroy(net);
}

/* Node @p i's log and status on stderr: what a failure needs to be understood. */
static void ct_dump_log(cs_net *net, unsigned i)
{
    char path[400];
    mc_buf b;
    mc_buf_init(&b, 16u << 20);
    snprintf(path, sizeof path, "%s/medchaind.log", net->node[i].dir);
    if (mc_file_read(path, &b) == MC_OK) {
        size_t from = b.n > 6000 ? b.n - 6000 : 0;
        fprintf(stderr, "--- the end of node %u's log:\n%.*s---\n", i, (int)(b.n - from), (char *)b.p + from);
    }
    cs_status st;
    if (cs_status_get(net, i, &st) == MC_OK)
        fprintf(stderr, "node %u: height %llu, certified %llu, alarm %d, halted %d\n", i,
                (unsigned long long)st.height, (unsigned long long)st.certified, st.alarm, st.halted);
    mc_buf_free(&b);
}

/* POSTs transaction @p tx alone to node @p i with wait=committed; the HTTP status. */
static long ct_submit_one(cs_net *net, unsigned i, const mc_buf *tx, mc_buf *resp)
{
    mc_buf body;
    mc_buf_init(&body, 1u << 20);
    assert_int_equal(mc_buf_printf(&body, "{\"tx\":\""), MC_OK);
    assert_int_equal(mc_buf_reserve(&body, 2 * tx->n + 3), MC_OK);
    mc_hex_encode((char *)body.p + body.n, tx->p, tx->n);
    body.n += 2 * tx->n;
    assert_int_equal(mc_buf_append(&body, "\"}", 2), MC_OK);
    mc_http *h = cs_client(net, i);
    assert_non_null(h);
    long st = 0;
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx?wait=committed", body.p, body.n, &st, resp), MC_OK);
    mc_http_free(h);
    mc_buf_free(&body);
    return st;
}

static void test_faults_under_load(void **state)
{
    (void)state;
    cs_net *net = ct_start();
    cs_load *l;
    assert_int_equal(cs_load_start(&l, net, CT_CLIENTS, CT_PER), MC_OK);
    ct_wait_acked(l, 200, 20000, "start");

    /* a node killed under load and restarted: it catches up from etcd */
    assert_int_equal(cs_node_kill(net, 1, SIGKILL), 128 + SIGKILL);
    size_t before = ct_acked(l);
    ct_wait_acked(l, before + 100, 20000, "node 1 down");
    assert_int_equal(cs_node_start(net, 1), MC_OK);
    cs_status s0, s1;
    assert_int_equal(cs_status_get(net, 0, &s0), MC_OK);
    for (int tries = 0; tries < 200; tries++) {
        assert_int_equal(cs_status_get(net, 1, &s1), MC_OK);
        if (s1.height >= s0.height) break;
        ct_sleep_ms(100);
    }
    if (s1.height < s0.height)
        fail_msg("restarted node 1 at height %llu, node 0 was at %llu 20 s earlier",
                 (unsigned long long)s1.height, (unsigned long long)s0.height);

    /* one etcd member down: the others are a quorum, the chain goes on */
    et_kill(&net->etcd, 0);
    before = ct_acked(l);
    ct_wait_acked(l, before + 100, 20000, "one etcd member down");
    assert_int_equal(cs_etcd_restart(net, 0, 30000), MC_OK);

    /* two down: no quorum; submissions are refused within seconds with 503 EUNAVAIL */
    et_kill(&net->etcd, 0);
    et_kill(&net->etcd, 1);
    mc_buf resp, tx;
    mc_hash id;
    mc_buf_init(&resp, 1u << 20);
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    assert_int_equal(tn_build_register(&net->node[0], &net->node[0].org, 1, &tx, &id), MC_OK);
    uint64_t t0 = mc_time_mono_ns();
    long st = ct_submit_one(net, 2, &tx, &resp);
    uint64_t took_ms = (mc_time_mono_ns() - t0) / 1000000;
    print_message("without quorum, after %llu ms: %ld %s\n", (unsigned long long)took_ms, st, (char *)resp.p);
    assert_int_equal(st, 503);
    assert_non_null(strstr((char *)resp.p, "\"status\":\"failed\""));
    assert_non_null(strstr((char *)resp.p, "\"error\":\"EUNAVAIL\""));
    assert_true(took_ms < 10000);
    /* the load's requests are refused the same way, none acknowledged */
    cs_load_stats s;
    cs_load_stats_get(l, &s);
    for (int waited = 0; waited < 15000 && s.failed == 0; waited += 100) {
        ct_sleep_ms(100);
        cs_load_stats_get(l, &s);
    }
    assert_true(s.failed > 0);
    assert_non_null(strstr(s.last_failure, "\"error\":\"EUNAVAIL\""));

    /* both back: all resumes, and the refused transaction, sent again (the same bytes), is
     * committed once: etcd may have ordered it after all when its quorum returned, so its
     * outcome was unknown to the client, and resubmitting is safe */
    assert_int_equal(et_restart(&net->etcd, 0), MC_OK);
    assert_int_equal(cs_etcd_restart(net, 1, 30000), MC_OK);
    assert_int_equal(et_wait_healthy(&net->etcd, 0, 30000), MC_OK);
    before = ct_acked(l);
    ct_wait_acked(l, before + 100, 30000, "etcd back");
    st = ct_submit_one(net, 3, &tx, &resp);
    if (st != 200) {
        ct_dump_log(net, 3);
        fail_msg("the refused transaction sent again: %ld %s", st, (char *)resp.p);
    }
    assert_non_null(strstr((char *)resp.p, "\"result\":\"OK\""));
    for (unsigned i = 0; i < net->n; i++) {
        mc_http *h = cs_client(net, i);
        for (int tries = 0; tries < 100 && !tn_tx_committed(h, &id); tries++) ct_sleep_ms(100);
        assert_true(tn_tx_committed(h, &id));
        mc_http_free(h);
    }
    mc_buf_free(&tx);
    mc_buf_free(&resp);

    ct_check_live(net, l);
    cs_load_free(l);

    /*
     * LEAD: "a fifth node joins after admission by vote" goes here (org.propose / org.approve
     * admit a fifth org and its validator; a node started from nothing syncs, verifies, and
     * then holds the same chain: cs_wait_same and cs_check_api over five nodes).
     *
     * LEAD: "tampered state is detected" goes here (a stopped node's state altered in LMDB;
     * restarted, it raises its alarm and halts, the others go on).
     */

    ct_check_stopped(net);
    cs_destroy(net);
}

int main(void)
{
    const char *filter = getenv("MEDCHAIN_TEST_FILTER");
    if (filter) cmocka_set_test_filter(filter);
    if (!et_binary()) {
        fprintf(stderr,
                "integration_consortium: etcd is not installed (/usr/bin/etcd, Debian's etcd-server); "
                "run scripts/setup. Failing, not skipping.\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_chains),
        cmocka_unit_test(test_faults_under_load),
    };
    return cmocka_run_group_tests_name("integration_consortium", tests, NULL, NULL);
}
