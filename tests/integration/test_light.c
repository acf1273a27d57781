/*
 * Light-client proofs (issue 5, part 3) through the real interface: three medchaind validators
 * ordered by one real etcd member, and the real `medchain proof verify --genesis`, which trusts
 * only the genesis file. A transaction's proof verifies; a lying node's document (its header,
 * a Merkle path, its certificate, a validator-set change, altered) is refused with its reason,
 * from a file and from a fake node serving it over HTTP; a block not yet certified is refused
 * until a quorum attests it.
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
#include "fakenode.h"
#include "testnet.h"

/* The three nodes, the CLI's files and the documents the test alters. */
typedef struct {
    et_cluster ec;
    tn_chain n[3];
    const char *settings[3];
    char eps[600];
    char genesis[400], key[400], pass[400], file[400];
    mc_buf out; /* the last CLI run's output */
} lt_net;

static json_t *lt_get(tn_chain *c, const mc_keys *k, const char *path, long want)
{
    mc_http *h = tn_client(c, k);
    mc_buf r;
    long st = 0;
    mc_buf_init(&r, 16u << 20);
    assert_int_equal(mc_http_request(h, "GET", path, NULL, 0, &st, &r), MC_OK);
    if (st != want) fprintf(stderr, "GET %s: %ld %.*s\n", path, st, (int)r.n, (char *)r.p);
    assert_int_equal(st, want);
    json_t *j = json_loadb((const char *)r.p, r.n, 0, NULL);
    assert_non_null(j);
    mc_buf_free(&r);
    mc_http_free(h);
    return j;
}

/* Submits @p n registrations signed by @p org to @p c; each transaction's outcome in order
 * ({"id","status","height",...}), owned by the caller. */
static json_t *lt_submit(tn_chain *c, const mc_keys *org, size_t n, const char *wait)
{
    mc_http *h = tn_client(c, org);
    mc_buf txs[8], resp;
    mc_hash id;
    assert_true(n <= 8);
    mc_buf_init(&resp, 1u << 20);
    for (size_t i = 0; i < n; i++) {
        mc_buf_init(&txs[i], MC_MAX_TX_BYTES);
        assert_int_equal(tn_build_register(c, org, tn_nonce(), &txs[i], &id), MC_OK);
    }
    assert_int_equal(tn_post_txs(h, wait, txs, n, &resp), 200);
    json_t *j = json_loadb((const char *)resp.p, resp.n, 0, NULL);
    assert_non_null(j);
    json_t *list = json_incref(json_object_get(j, "txs"));
    assert_int_equal(json_array_size(list), n);
    json_decref(j);
    for (size_t i = 0; i < n; i++) mc_buf_free(&txs[i]);
    mc_buf_free(&resp);
    mc_http_free(h);
    return list;
}

static json_t *lt_proof(lt_net *w, int node, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/proofs/tx/%s", id);
    return lt_get(&w->n[node], &w->n[0].org, path, 200);
}

/* The end of lt_run's arguments (a typed null: a bare NULL may be an int). */
#define LT_END ((const char *)NULL)

/* Runs the medchain CLI with the arguments from @p first on (LT_END-terminated); its output in
 * w->out. */
static int lt_run(lt_net *w, const char *first, ...)
{
    char *argv[24] = {(char *)MEDCHAIN_CLI_PATH, (char *)first};
    int a = 2;
    va_list ap;
    va_start(ap, first);
    for (const char *s; a < 23 && (s = va_arg(ap, const char *));) argv[a++] = (char *)s;
    va_end(ap);
    argv[a] = NULL;
    mc_buf_reset(&w->out);
    return tn_run(argv, &w->out);
}

/* proof verify --genesis of transaction @p id fetched from the node at @p url. */
static int lt_verify_tx(lt_net *w, const char *id, const char *url)
{
    return lt_run(w, "proof", "verify", "--genesis", w->genesis, "--tx", id, "--key", w->key,
                  "--passphrase-file", w->pass, "--node", url, LT_END);
}

/* Verifies @p doc from a file against the genesis: 0, or the refusal naming @p want. */
static void lt_check_file(lt_net *w, json_t *doc, const char *want)
{
    assert_int_equal(json_dump_file(doc, w->file, 0), 0);
    int st = lt_run(w, "proof", "verify", "--genesis", w->genesis, "--file", w->file, LT_END);
    if (!want) {
        if (st != 0) fail_msg("refused: %s", (char *)w->out.p);
        assert_non_null(strstr((char *)w->out.p, "proof OK"));
        return;
    }
    if (st == 0 || !strstr((char *)w->out.p, want))
        fail_msg("want a refusal naming %s, got %d: %s", want, st, (char *)w->out.p);
    assert_int_equal(st, 1);
    assert_non_null(strstr((char *)w->out.p, "REFUSED"));
}

/* lt_check_file on @p doc, which it frees. */
static void lt_refused(lt_net *w, json_t *doc, const char *want)
{
    lt_check_file(w, doc, want);
    json_decref(doc);
}

/* A copy of @p doc with byte @p off of its hex string @p key flipped. */
static json_t *lt_flip(json_t *doc, const char *key, size_t off)
{
    json_t *c = json_deep_copy(doc);
    const char *z = json_string_value(json_object_get(c, key));
    assert_non_null(z);
    assert_true(2 * off + 1 < strlen(z));
    char *s = strdup(z);
    s[2 * off] = s[2 * off] == '0' ? '1' : '0';
    json_object_set_new(c, key, json_string(s));
    free(s);
    return c;
}

/* The header's byte offsets (docs/format.md, "Header"). */
#define LT_OFF_CHAIN      1
#define LT_OFF_TX_ROOT    149
#define LT_OFF_STATE      213
#define LT_OFF_VALIDATORS 245

/* A certificate entry {"validator","signature"} by @p sk over @p hhex at @p height. */
static json_t *lt_sig(const mc_sign_sk *sk, const mc_hash *chain, uint64_t height, const char *hhex)
{
    mc_hash hh;
    mc_sign_pk pk;
    mc_attest a;
    char v[65], s[129];
    assert_int_equal(mc_hex_decode(hh.b, 32, hhex, strlen(hhex)), MC_OK);
    mc_sign_sk_to_pk(&pk, sk);
    mc_attest_sign(&a, chain, height, &hh, &pk, sk);
    mc_hex_encode(v, a.validator.b, 32);
    mc_hex_encode(s, a.sig.b, 64);
    return json_pack("{s:s,s:s}", "validator", v, "signature", s);
}

/* Keeps @p keep real signatures of the certificate at @p cert and adds one by @p outsider
 * (NULL: none), in validator id order. */
static void lt_cert_swap(json_t *cert, size_t keep, const mc_sign_sk *outsider, const mc_hash *chain)
{
    json_t *sigs = json_object_get(cert, "signatures");
    while (json_array_size(sigs) > keep) json_array_remove(sigs, json_array_size(sigs) - 1);
    if (!outsider) return;
    json_t *s = lt_sig(outsider, chain, (uint64_t)json_integer_value(json_object_get(cert, "height")),
                       json_string_value(json_object_get(cert, "header_hash")));
    const char *v = json_string_value(json_object_get(s, "validator"));
    size_t at = 0;
    while (at < json_array_size(sigs) &&
           strcmp(json_string_value(json_object_get(json_array_get(sigs, at), "validator")), v) < 0)
        at++;
    json_array_insert_new(sigs, at, s);
}

/* The genesis keys (the nodes' in order) and @p extra, as a "validators" list. */
static json_t *lt_keys(lt_net *w, const mc_sign_pk *extra)
{
    json_t *a = json_array();
    char hex[65];
    for (int i = 0; i < 4; i++) {
        mc_sign_pk pk = *extra;
        if (i < 3) mc_sign_sk_to_pk(&pk, &w->n[i].node.sign_sk);
        mc_hex_encode(hex, pk.b, 32);
        json_array_append_new(a, json_string(hex));
    }
    return a;
}

/* A validator_changes entry built from another proof's header and certificate. */
static json_t *lt_change(json_t *from, json_t *keys)
{
    return json_pack("{s:O,s:O,s:O,s:o}", "height", json_object_get(from, "height"), "header",
                     json_object_get(from, "header"), "certificate", json_object_get(from, "certificate"),
                     "validators", keys);
}

/* Three validators over one etcd member, and the CLI's files (the first org's key file). */
static lt_net *lt_start(void)
{
    lt_net *w = calloc(1, sizeof *w);
    assert_non_null(w);
    if (!et_binary()) fail_msg("etcd is not installed (/usr/bin/etcd: scripts/setup installs etcd-server)");
    assert_int_equal(et_start(&w->ec, 1), MC_OK);
    tn_chain *cs[3] = {&w->n[0], &w->n[1], &w->n[2]};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tn_create(&w->n[i], 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_share_genesis(cs, 3), MC_OK);
    snprintf(w->eps, sizeof w->eps, "etcd_endpoints=%s", w->ec.endpoints);
    w->settings[0] = "orderer=etcd";
    w->settings[1] = w->eps;
    for (int i = 0; i < 3; i++) assert_int_equal(tn_start(&w->n[i], w->settings), MC_OK);
    snprintf(w->genesis, sizeof w->genesis, "%s/genesis.bin", w->n[0].dir);
    snprintf(w->key, sizeof w->key, "%s/org.key", w->n[0].dir);
    snprintf(w->pass, sizeof w->pass, "%s/passphrase", w->n[0].dir);
    snprintf(w->file, sizeof w->file, "%s/proof.json", w->n[0].dir);
    assert_int_equal(mc_keyfile_write(w->key, &w->n[0].org, "test-passphrase", MC_KDF_TEST), MC_OK);
    mc_buf_init(&w->out, 1u << 20);
    return w;
}

static void lt_stop(lt_net *w)
{
    mc_buf_free(&w->out);
    for (int i = 0; i < 3; i++) tn_destroy(&w->n[i]);
    et_destroy(&w->ec);
    free(w);
}

/* An honest document is accepted; each lie is refused with its reason. */
static void lt_lies(lt_net *w, json_t *p1, json_t *p2)
{
    mc_hash chain = w->n[0].chain;
    mc_sign_pk epk;
    mc_sign_sk esk;
    mc_sign_keypair(&epk, &esk);
    json_t *d;

    lt_check_file(w, p2, NULL);
    /* (a) the header: a field outside the Merkle roots, a root, the set it names, the chain */
    lt_refused(w, lt_flip(p2, "header", LT_OFF_STATE), "CERT_OTHER_HEADER");
    lt_refused(w, lt_flip(p2, "header", LT_OFF_TX_ROOT), "CERT_OTHER_HEADER");
    lt_refused(w, lt_flip(p2, "header", LT_OFF_VALIDATORS), "left out");
    lt_refused(w, lt_flip(p2, "header", LT_OFF_CHAIN), "WRONG_CHAIN");
    /* (b) a Merkle path hash, and the claimed result */
    d = json_deep_copy(p2);
    json_t *path = json_object_get(json_object_get(d, "tx_proof"), "path");
    assert_true(json_array_size(path) >= 1);
    json_t *hop = json_array_get(path, 0);
    char *s = strdup(json_string_value(hop));
    s[0] = s[0] == 'a' ? 'b' : 'a';
    json_string_set(hop, s);
    free(s);
    lt_refused(w, d, "transaction tree");
    d = json_deep_copy(p2);
    json_object_set_new(d, "result", json_string("BAD_SIG"));
    lt_refused(w, d, "result tree");
    /* (c) the certificate: below the quorum; a signature by a key outside the set; another
     * header's; none; one signature altered */
    d = json_deep_copy(p2);
    lt_cert_swap(json_object_get(d, "certificate"), 1, NULL, &chain);
    lt_refused(w, d, "NO_QUORUM");
    assert_non_null(strstr((char *)w->out.p, "1 of 1 signatures count, quorum 2 of 3"));
    d = json_deep_copy(p2);
    lt_cert_swap(json_object_get(d, "certificate"), 1, &esk, &chain);
    lt_refused(w, d, "1 by keys outside the set");
    d = json_deep_copy(p2);
    json_object_set(d, "certificate", json_object_get(p1, "certificate"));
    lt_refused(w, d, "CERT_OTHER_HEADER");
    d = json_deep_copy(p2);
    json_object_del(d, "certificate");
    lt_refused(w, d, "no certificate");
    d = json_deep_copy(p2);
    json_t *sigs = json_object_get(json_object_get(d, "certificate"), "signatures");
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        json_t *one = json_array_get(sigs, i);
        json_object_set(one, "validator", json_object_get(json_array_get(sigs, 0), "validator"));
    }
    lt_refused(w, d, "CERT_MALFORMED"); /* one validator counted twice */
    /* (d) validator changes: a real certified header handing on to a set it never named; a
     * made-up header naming the liar's set, signed by the liar; a malformed entry */
    d = json_deep_copy(p2);
    json_object_set_new(d, "validator_changes", json_pack("[o]", lt_change(p1, lt_keys(w, &epk))));
    lt_refused(w, d, "FORGED_SET");
    {
        uint8_t raw[MC_HEADER_BYTES];
        const char *hx = json_string_value(json_object_get(p1, "header"));
        mc_header h;
        mc_valset vs = {.n = 4};
        assert_int_equal(mc_hex_decode(raw, sizeof raw, hx, strlen(hx)), MC_OK);
        assert_int_equal(mc_header_decode(&h, raw, sizeof raw), MC_OK);
        for (int i = 0; i < 3; i++) mc_sign_sk_to_pk(&vs.pks[i], &w->n[i].node.sign_sk);
        vs.pks[3] = epk;
        mc_valset_hash(&h.next_validators, &vs);
        mc_buf b;
        mc_buf_init(&b, 1024);
        assert_int_equal(mc_header_encode(&b, &h), MC_OK);
        char hex[2 * MC_HEADER_BYTES + 1], hh[65];
        mc_hex_encode(hex, b.p, b.n);
        mc_hash hash;
        mc_header_hash(&hash, &h);
        mc_hex_encode(hh, hash.b, 32);
        json_t *cert = json_pack("{s:I,s:s,s:[o]}", "height", (json_int_t)h.height, "header_hash", hh,
                                 "signatures", lt_sig(&esk, &chain, h.height, hh));
        json_t *ch = json_pack("{s:I,s:s,s:o,s:o}", "height", (json_int_t)h.height, "header", hex,
                               "certificate", cert, "validators", lt_keys(w, &epk));
        d = json_deep_copy(p2);
        json_object_set_new(d, "validator_changes", json_pack("[o]", ch));
        lt_refused(w, d, "REFUSED (NO_QUORUM): validator change 0");
        mc_buf_free(&b);
    }
    d = json_deep_copy(p2);
    json_object_set_new(d, "validator_changes", json_pack("[{s:s}]", "header", "00"));
    lt_refused(w, d, "malformed");
    /* another chain's genesis: nothing of this chain verifies */
    assert_int_equal(json_dump_file(p2, w->file, 0), 0);
    tn_chain other;
    assert_int_equal(tn_create(&other, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    char og[400];
    snprintf(og, sizeof og, "%s/genesis.bin", other.dir);
    assert_int_equal(lt_run(w, "proof", "verify", "--genesis", og, "--file", w->file, LT_END), 1);
    assert_non_null(strstr((char *)w->out.p, "WRONG_CHAIN"));
    tn_destroy(&other);
}

/* The same through --tx --node: a fake node serving the document @p doc. */
static int lt_via_fake(lt_net *w, json_t *doc)
{
    json_t *status = lt_get(&w->n[0], NULL, "/v1/status", 200);
    char *zs = json_dumps(status, 0), *zd = json_dumps(doc, 0);
    fn_server f;
    assert_int_equal(fn_start(&f, zs, zd), MC_OK);
    int st = lt_verify_tx(w, json_string_value(json_object_get(doc, "id")), f.url);
    assert_true(fn_served(&f) >= 2); /* the status and the proof */
    fn_stop(&f);
    free(zs);
    free(zd);
    json_decref(status);
    return st;
}

/* Waits until each of the first @p nodes nodes reports status member @p key at least @p want. */
static void lt_wait_status(lt_net *w, int nodes, const char *key, json_int_t want)
{
    for (int i = 0; i < nodes; i++)
        for (int tries = 0;; tries++) {
            json_t *j = lt_get(&w->n[i], NULL, "/v1/status", 200);
            json_int_t v = json_integer_value(json_object_get(j, key));
            json_decref(j);
            if (v >= want) break;
            if (tries == 200) fail_msg("node %d: %s %lld, want %lld", i, key, (long long)v, (long long)want);
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
        }
}

/* The height of the last of the outcomes @p t, once every node holds it certified. */
static json_int_t lt_certified_everywhere(lt_net *w, json_t *t)
{
    json_int_t h = json_integer_value(json_object_get(json_array_get(t, json_array_size(t) - 1), "height"));
    assert_true(h > 0);
    lt_wait_status(w, 3, "certified_height", h);
    return h;
}

static void test_light_client(void **state)
{
    (void)state;
    lt_net *w = lt_start();
    /* a transaction alone in its block, then three submitted together (one has a Merkle path) */
    json_t *t1 = lt_submit(&w->n[0], &w->n[0].org, 1, "certified");
    json_t *t2 = lt_submit(&w->n[1], &w->n[0].org, 3, "certified");
    lt_certified_everywhere(w, t2); /* the proofs come from node 2 */
    json_t *p1 = lt_proof(w, 2, json_string_value(json_object_get(json_array_get(t1, 0), "id"))), *p2 = NULL;
    for (size_t i = 0; i < 3 && !p2; i++) {
        json_t *p = lt_proof(w, 2, json_string_value(json_object_get(json_array_get(t2, i), "id")));
        if (json_array_size(json_object_get(json_object_get(p, "tx_proof"), "path")) > 0)
            p2 = p;
        else
            json_decref(p);
    }
    assert_non_null(p2);
    assert_true(json_is_true(json_object_get(p2, "certified")));
    assert_int_equal(json_array_size(json_object_get(p2, "validator_changes")), 0);
    assert_true(json_array_size(json_object_get(json_object_get(p2, "certificate"), "signatures")) >= 2);

    /* fetched from a real node: OK, certified by a quorum of the genesis set */
    const char *id2 = json_string_value(json_object_get(p2, "id"));
    int st = lt_verify_tx(w, id2, w->n[1].url);
    if (st) fail_msg("%s", (char *)w->out.p);
    assert_non_null(strstr((char *)w->out.p, "proof OK"));
    assert_non_null(strstr((char *)w->out.p, "of 3 validators (quorum 2)"));
    lt_lies(w, p1, p2);

    /* a lying node over HTTP: the honest document passes through the fake, an altered one not */
    assert_int_equal(lt_via_fake(w, p2), 0);
    json_t *d = lt_flip(p2, "header", LT_OFF_STATE);
    assert_int_equal(lt_via_fake(w, d), 1);
    assert_non_null(strstr((char *)w->out.p, "REFUSED (CERT_OTHER_HEADER)"));
    json_decref(d);

    /* two validators down: committed, not certified; the client refuses until a quorum attests */
    assert_int_equal(tn_kill(&w->n[1], 9), 128 + 9);
    assert_int_equal(tn_kill(&w->n[2], 9), 128 + 9);
    json_t *t3 = lt_submit(&w->n[0], &w->n[0].org, 1, "certified&timeout_ms=1500");
    const char *id3 = json_string_value(json_object_get(json_array_get(t3, 0), "id"));
    json_t *p3 = lt_proof(w, 0, id3);
    assert_false(json_is_true(json_object_get(p3, "certified")));
    assert_int_equal(lt_verify_tx(w, id3, w->n[0].url), 1);
    assert_non_null(strstr((char *)w->out.p, "NO_QUORUM"));
    assert_non_null(strstr((char *)w->out.p, "holds no certificate of it (yet)"));
    assert_int_equal(tn_start(&w->n[1], w->settings), MC_OK);
    for (int i = 0; i < 200; i++) {
        st = lt_verify_tx(w, id3, w->n[0].url);
        if (st == 0) break;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    if (st) fail_msg("still refused once a quorum is back: %s", (char *)w->out.p);

    json_decref(p3);
    json_decref(t3);
    json_decref(p1);
    json_decref(p2);
    json_decref(t1);
    json_decref(t2);
    lt_stop(w);
}

/* A fourth hospital and its validator node admitted by vote (the genesis threshold is 1): the
 * set of 3 hands on to a set of 4 in a header it certified; a proof after the change carries it
 * and needs it; a proof before does not. */
static void test_light_client_set_change(void **state)
{
    (void)state;
    lt_net *w = lt_start();
    json_t *t0 = lt_submit(&w->n[0], &w->n[0].org, 1, "certified");
    char okey[400], nkey[400], opub[420], npub[420];
    snprintf(okey, sizeof okey, "%s/neworg.key", w->n[0].dir);
    snprintf(nkey, sizeof nkey, "%s/newnode.key", w->n[0].dir);
    snprintf(opub, sizeof opub, "%s.pub", okey);
    snprintf(npub, sizeof npub, "%s.pub", nkey);
    assert_int_equal(lt_run(w, "keygen", "--out", okey, "--kind", "org", "--kdf", "test", "--passphrase-file",
                            w->pass, LT_END),
                     0);
    assert_int_equal(lt_run(w, "keygen", "--out", nkey, "--kind", "node", "--kdf", "test",
                            "--passphrase-file", w->pass, LT_END),
                     0);
    int st = lt_run(w, "org", "propose", "--node", w->n[1].url, "--key", w->key, "--passphrase-file", w->pass,
                    "--name", "Hospital D", "--type", "hospital", "--pub", opub, "--node-pub", npub, LT_END);
    if (st) fail_msg("%s", (char *)w->out.p);
    lt_wait_status(w, 3, "validators", 4);
    /* the new node never starts: 3 of 4 is the quorum, and the old three give it */
    json_t *t1 = lt_submit(&w->n[2], &w->n[0].org, 1, "certified");
    lt_certified_everywhere(w, t1);
    const char *id0 = json_string_value(json_object_get(json_array_get(t0, 0), "id"));
    const char *id1 = json_string_value(json_object_get(json_array_get(t1, 0), "id"));

    assert_int_equal(lt_verify_tx(w, id0, w->n[1].url), 0);
    assert_non_null(
        strstr((char *)w->out.p, "of 3 validators (quorum 2), trusting only the genesis config (0 "));
    st = lt_verify_tx(w, id1, w->n[1].url);
    if (st) fail_msg("%s", (char *)w->out.p);
    assert_non_null(
        strstr((char *)w->out.p, "of 4 validators (quorum 3), trusting only the genesis config (1 "));

    json_t *p1 = lt_proof(w, 0, id1), *d;
    json_t *changes = json_object_get(p1, "validator_changes");
    assert_int_equal(json_array_size(changes), 1);
    json_t *ch = json_array_get(changes, 0);
    assert_int_equal(json_array_size(json_object_get(ch, "validators")), 4);
    assert_true(json_integer_value(json_object_get(ch, "height")) <
                json_integer_value(json_object_get(p1, "height")));
    lt_check_file(w, p1, NULL);
    /* the change left out, from a file and from a fake node */
    d = json_deep_copy(p1);
    json_object_set_new(d, "validator_changes", json_array());
    assert_int_equal(lt_via_fake(w, d), 1);
    assert_non_null(strstr((char *)w->out.p, "left out"));
    lt_refused(w, d, "SET_LEFT_OUT");
    /* the new set forged: the liar's key for the new node's */
    mc_sign_pk epk;
    mc_sign_sk esk;
    mc_sign_keypair(&epk, &esk);
    d = json_deep_copy(p1);
    json_object_set_new(json_array_get(json_object_get(d, "validator_changes"), 0), "validators",
                        lt_keys(w, &epk));
    lt_refused(w, d, "FORGED_SET");
    /* the change's header altered, its certificate below the quorum, the change twice */
    d = json_deep_copy(p1);
    ch = json_array_get(json_object_get(d, "validator_changes"), 0);
    json_t *flipped = lt_flip(ch, "header", LT_OFF_STATE);
    json_array_set_new(json_object_get(d, "validator_changes"), 0, flipped);
    lt_refused(w, d, "REFUSED (CERT_OTHER_HEADER): validator change 0");
    d = json_deep_copy(p1);
    ch = json_array_get(json_object_get(d, "validator_changes"), 0);
    lt_cert_swap(json_object_get(ch, "certificate"), 1, NULL, &w->n[0].chain);
    lt_refused(w, d, "REFUSED (NO_QUORUM): validator change 0");
    d = json_deep_copy(p1);
    json_array_append(json_object_get(d, "validator_changes"),
                      json_array_get(json_object_get(d, "validator_changes"), 0));
    lt_refused(w, d, "CHANGE_ORDER");

    json_decref(p1);
    json_decref(t0);
    json_decref(t1);
    lt_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_light_client),
        cmocka_unit_test(test_light_client_set_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
