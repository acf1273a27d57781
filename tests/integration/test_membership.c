/*
 * Membership and catching up (issue 5), with real processes: four validators on a 3-member
 * etcd cluster that keep only 2 blocks of etcd history below the certified height. A new
 * hospital and its validator node are proposed and approved (2 of the founding orgs) with the
 * medchain CLI; the new node then starts from nothing: etcd no longer holds the early batches,
 * so it fetches the certified blocks from its peers, re-executes and checks each one, follows
 * etcd, becomes a validator (it proposes and attests), and its chain is the others' and passes
 * verify. Finally a node whose store was tampered with (a signer's nonce) computes another
 * header for the next block: the certified one differs, it raises the alarm and stops; the
 * others go on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "etcdtest.h"
#include "medchain/store.h"
#include "nodeapi_util.h"

#define NV 4

typedef struct {
    et_cluster ec;
    tn_chain v[NV + 1]; /* v[NV]: the new member's node */
    char eps[ET_MAX_MEMBERS * 64 + 32];
    const char *settings[4];
    char dir[300]; /* v[NV].dir: key files for the CLI */
} ms_net;

/* Runs the medchain CLI with @p args (NULL-terminated, after the program name); its output into
 * @p out; returns the exit status. */
static int ms_cli(ms_net *m, mc_buf *out, const char *const *args)
{
    char *argv[32];
    int a = 0;
    argv[a++] = (char *)m->v[0].medchain;
    for (int i = 0; args[i] && a < 31; i++) argv[a++] = (char *)args[i];
    argv[a] = NULL;
    mc_buf_reset(out);
    int rc = tn_run(argv, out);
    if (mc_buf_cstr(out)) return -1;
    return rc;
}

/* Writes @p k as a key file dir/@p name protected by the chains' test passphrase. */
static void ms_keyfile(ms_net *m, const char *name, const mc_keys *k, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", m->dir, name);
    assert_int_equal(mc_keyfile_write(path, k, "test-passphrase", MC_KDF_TEST), MC_OK);
}

/* The proposal id `medchain org propose` printed ("proposal <64 hex>"). */
static void ms_proposal(const mc_buf *out, char id[65])
{
    const char *p = strstr((const char *)out->p, "proposal ");
    assert_non_null(p);
    assert_true(strspn(p + 9, "0123456789abcdef") >= 64);
    memcpy(id, p + 9, 64);
    id[64] = 0;
}

/* Every node in @p idx reports the same tip at the same height (waits up to 20 s). */
static json_int_t ms_same_tip(ms_net *m, const unsigned *idx, unsigned n)
{
    char tip0[65], tip[65];
    for (int tries = 0; tries < 400; tries++) {
        json_int_t h0 = na_status_int(&m->v[idx[0]], "height");
        na_status_str(&m->v[idx[0]], "tip", tip0);
        int same = 1;
        for (unsigned i = 1; i < n && same; i++) {
            na_status_str(&m->v[idx[i]], "tip", tip);
            same = na_status_int(&m->v[idx[i]], "height") == h0 && strcmp(tip, tip0) == 0;
        }
        if (same) return h0;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the nodes do not reach the same tip");
    return -1;
}

/* The header (JSON, every field) of each block 0..@p h is the same on nodes @p a and @p b. */
static void ms_same_headers(ms_net *m, unsigned a, unsigned b, json_int_t h)
{
    mc_http *ha = tn_client(&m->v[a], &m->v[0].org), *hb = tn_client(&m->v[b], &m->v[0].org);
    mc_buf ra, rb;
    mc_buf_init(&ra, 8u << 20);
    mc_buf_init(&rb, 8u << 20);
    for (json_int_t i = 0; i <= h; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/blocks/%lld?limit=1", (long long)i);
        assert_int_equal(na_get(ha, path, &ra), 200);
        assert_int_equal(na_get(hb, path, &rb), 200);
        json_t *ja = na_json(&ra), *jb = na_json(&rb);
        assert_true(json_equal(json_object_get(ja, "header"), json_object_get(jb, "header")));
        json_decref(ja);
        json_decref(jb);
    }
    mc_buf_free(&ra);
    mc_buf_free(&rb);
    mc_http_free(ha);
    mc_http_free(hb);
}

static void ms_start(ms_net *m)
{
    const char *d = MEDCHAIND_PATH, *cli = MEDCHAIN_CLI_PATH;
    if (!et_binary()) skip();
    assert_int_equal(et_start(&m->ec, 3), MC_OK);
    tn_chain *cs[NV];
    for (unsigned i = 0; i < NV; i++) {
        assert_int_equal(tn_create(&m->v[i], i == 0 ? 1 : 0, d, cli), MC_OK);
        cs[i] = &m->v[i];
    }
    assert_int_equal(tn_set_threshold(&m->v[0], 2), MC_OK); /* 2 of the 2 founding orgs */
    assert_int_equal(tn_share_genesis(cs, NV), MC_OK);
    snprintf(m->eps, sizeof m->eps, "etcd_endpoints=%s", m->ec.endpoints);
    m->settings[0] = "orderer=etcd";
    m->settings[1] = m->eps;
    m->settings[2] = "etcd_retain_blocks=2";
    m->settings[3] = NULL;
    /* each founding node lists the others as peers, as scripts/cluster does: a node that starts
     * after the others compacted etcd (each node's start publishes its gatekeeper in a block)
     * catches up from them */
    unsigned port[NV];
    for (unsigned i = 0; i < NV; i++) port[i] = tn_free_port();
    for (unsigned i = 0; i < NV; i++) {
        char listen[64], peers[600];
        int w = snprintf(peers, sizeof peers, "peers=");
        for (unsigned j = 0; j < NV; j++)
            if (j != i)
                w += snprintf(peers + w, sizeof peers - (size_t)w, "%shttp://127.0.0.1:%u", w > 6 ? "," : "",
                              port[j]);
        snprintf(listen, sizeof listen, "listen=127.0.0.1:%u", port[i]);
        const char *s[] = {m->settings[0], m->settings[1], m->settings[2], listen, peers, NULL};
        assert_int_equal(tn_start(&m->v[i], s), MC_OK);
    }
}

static void test_membership(void **state)
{
    (void)state;
    ms_net *m = calloc(1, sizeof *m);
    assert_non_null(m);
    ms_start(m);
    const mc_keys *org = &m->v[0].org, *other = &m->v[0].clients[0];
    for (unsigned i = 0; i < 8; i++)
        na_submit(&m->v[i % NV], org, tn_nonce(), "certified", "certified", 200, NULL);
    assert_int_equal(na_status_int(&m->v[0], "validators"), NV);

    /* the new member: its org and node keys from `medchain keygen` */
    tn_chain *nv = &m->v[NV];
    assert_int_equal(tn_create(nv, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    snprintf(m->dir, sizeof m->dir, "%.255s", nv->dir);
    char gsrc[400], gdst[400], pass[400], okey[400], nkey[400], k0[400], k1[400], opub[420], npub[420];
    snprintf(gsrc, sizeof gsrc, "%s/genesis.bin", m->v[0].dir);
    snprintf(gdst, sizeof gdst, "%s/genesis.bin", m->dir);
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    assert_int_equal(mc_file_read(gsrc, &out), MC_OK);
    assert_int_equal(mc_file_write_atomic(gdst, out.p, out.n, 0600), MC_OK);
    nv->chain = m->v[0].chain;
    snprintf(pass, sizeof pass, "%s/passphrase", m->dir);
    snprintf(okey, sizeof okey, "%s/neworg.key", m->dir);
    snprintf(nkey, sizeof nkey, "%s/newnode.key", m->dir);
    snprintf(opub, sizeof opub, "%s.pub", okey);
    snprintf(npub, sizeof npub, "%s.pub", nkey);
    const char *kg1[] = {"keygen", "--out", okey, "--kind", "org", "--kdf", "test", "--passphrase-file",
                         pass,     NULL};
    const char *kg2[] = {"keygen", "--out", nkey, "--kind", "node", "--kdf", "test", "--passphrase-file",
                         pass,     NULL};
    assert_int_equal(ms_cli(m, &out, kg1), 0);
    assert_int_equal(ms_cli(m, &out, kg2), 0);
    ms_keyfile(m, "member0.key", org, k0, sizeof k0);
    ms_keyfile(m, "member1.key", other, k1, sizeof k1);

    /* proposed by one member: not admitted yet (2 of 2 needed); a bad proposal is refused */
    const char *bad[] = {"org",    "propose",           "--node", m->v[1].url, "--key",
                         k0,       "--passphrase-file", pass,     "--name",    "Hospital, E",
                         "--type", "hospital",          "--pub",  opub,        NULL};
    assert_int_equal(ms_cli(m, &out, bad), 2); /* a usage error, nothing sent */
    const char *prop[] = {
        "org",        "propose", "--node",     m->v[1].url, "--key",    k0,      "--passphrase-file",
        pass,         "--name",  "Hospital E", "--type",    "hospital", "--pub", opub,
        "--node-pub", npub,      NULL};
    int rc = ms_cli(m, &out, prop);
    if (rc) fprintf(stderr, "%s\n", (char *)out.p);
    assert_int_equal(rc, 0);
    char pid[65];
    ms_proposal(&out, pid);
    na_submit(&m->v[0], org, tn_nonce(), "certified", "certified", 200, NULL);
    assert_int_equal(na_status_int(&m->v[0], "validators"), NV);
    /* the new node starts from nothing before its admission: etcd no longer holds the early
     * batches and its peers serve blocks to the consortium's nodes only, so it waits; it is no
     * validator, and refuses submissions with a clear error */
    char peers[600], nodekey[450];
    snprintf(peers, sizeof peers, "peers=%s,%s,%s,%s", m->v[0].url, m->v[1].url, m->v[2].url, m->v[3].url);
    snprintf(nodekey, sizeof nodekey, "node_key=%s", nkey);
    const char *ns[] = {"orderer=etcd",   m->eps, "etcd_retain_blocks=2", peers, nodekey,
                        "log_level=info", NULL};
    assert_int_equal(tn_start(nv, ns), MC_OK);
    assert_int_equal(na_status_int(nv, "validator"), 0);
    assert_int_equal(na_status_int(nv, "height"), 0);
    mc_http *h5 = tn_client(nv, org);
    mc_buf tx, resp;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 1u << 16);
    mc_hash tid;
    assert_int_equal(tn_build_register(nv, org, tn_nonce(), &tx, &tid), MC_OK);
    long hst = tn_post_txs(h5, "committed", &tx, 1, &resp);
    assert_int_equal(mc_buf_cstr(&resp), MC_OK);
    assert_int_equal(hst, 200); /* the list form: each transaction's outcome */
    assert_non_null(strstr((char *)resp.p, "\"status\":\"failed\",\"error\":\"EDENIED\""));
    assert_non_null(strstr((char *)resp.p, "not a validator"));
    mc_buf_free(&tx);
    mc_buf_free(&resp);
    mc_http_free(h5);
    na_submit(nv, org, tn_nonce(), "committed", "failed", 403, NULL); /* the single form: 403 */

    /* the second member approves: the org and its node are admitted, the set grows next block */
    const char *appr[] = {"org", "approve",           "--node", m->v[2].url, "--key",
                          k1,    "--passphrase-file", pass,     pid,         NULL};
    rc = ms_cli(m, &out, appr);
    if (rc) fprintf(stderr, "%s\n", (char *)out.p);
    assert_int_equal(rc, 0);
    for (unsigned i = 0; i < NV; i++) na_wait_status(&m->v[i], "validators", NV + 1, 10000);
    /* 4 of 5 certify now; the history below the certified height is compacted out of etcd */
    for (unsigned i = 0; i < 6; i++)
        na_submit(&m->v[i % NV], org, tn_nonce(), "certified", "certified", 200, NULL);

    /* once admitted, it catches up from its peers, then follows etcd */
    unsigned all[NV + 1] = {0, 1, 2, 3, 4};
    json_int_t h = ms_same_tip(m, all, NV + 1);
    assert_int_equal(na_status_int(nv, "validator"), 1);
    char logp[400];
    snprintf(logp, sizeof logp, "%s/medchaind.log", m->dir);
    assert_int_equal(mc_file_read(logp, &out), MC_OK);
    assert_int_equal(mc_buf_cstr(&out), MC_OK);
    assert_non_null(strstr((char *)out.p, "caught up")); /* from peers: etcd had compacted */
    /* it kept the certificates it checked: it serves the early blocks as certified */
    json_t *jb = na_get_json(nv, org, "/v1/blocks/1?limit=1");
    assert_true(json_is_true(json_object_get(jb, "certified")));
    assert_true(json_array_size(json_object_get(jb, "attestations")) >= 3);
    json_decref(jb);
    /* it proposes and attests: a transaction sent to it is certified, with its attestation */
    json_int_t hn = na_submit(nv, org, tn_nonce(), "certified", "certified", 200, NULL);
    assert_true(hn > h);
    na_wait_status(nv, "certified_height", hn, 10000);
    h = ms_same_tip(m, all, NV + 1);
    ms_same_headers(m, 0, NV, h);

    /* divergence: node 3's store is tampered with (the second member's nonce, far ahead) */
    assert_int_equal(tn_kill(&m->v[3], 15), 0);
    mc_store *st;
    mc_store_txn *txn;
    char sdir[400];
    snprintf(sdir, sizeof sdir, "%s/store", m->v[3].data);
    assert_int_equal(mc_store_open(&st, sdir, NULL), MC_OK);
    assert_int_equal(mc_store_begin(st, 1, &txn), MC_OK);
    mc_id oid;
    memcpy(oid.b, other->id.b, 32);
    assert_int_equal(mc_store_put_nonce(txn, &oid, UINT64_MAX / 2), MC_OK);
    assert_int_equal(mc_store_commit(txn), MC_OK);
    mc_store_close(st);
    assert_int_equal(tn_start(&m->v[3], m->settings), MC_OK);
    json_int_t hd = na_submit(&m->v[0], other, tn_nonce(), "certified", "certified", 200, NULL);
    na_wait_status(&m->v[3], "alarm", 1, 15000);
    assert_int_equal(na_status_int(&m->v[3], "alarm_height"), hd);
    assert_int_equal(na_status_int(&m->v[3], "halted"), 1);
    /* the others go on: 4 of 5 still certify */
    json_int_t ha = na_submit(&m->v[1], org, tn_nonce(), "certified", "certified", 200, NULL);
    assert_true(ha > hd);
    unsigned good[NV] = {0, 1, 2, 4};
    h = ms_same_tip(m, good, NV);

    /* the new node's chain verifies offline, from genesis */
    assert_int_equal(tn_kill(nv, 15), 0);
    rc = tn_verify(nv, &out);
    if (rc) fprintf(stderr, "%s\n", (char *)out.p);
    assert_int_equal(rc, 0);

    mc_buf_free(&out);
    for (unsigned i = 0; i <= NV; i++) tn_destroy(&m->v[i]);
    et_destroy(&m->ec);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_membership),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
