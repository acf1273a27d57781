/*
 * Integration tests against real medchaind processes over HTTP: submission and queries,
 * refused requests, kill -9 under load with restarts, and tampering found by verify.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "testnet.h"

static long it_get(mc_http *h, const char *path, mc_buf *resp)
{
    long st = 0;
    int rc = mc_http_request(h, "GET", path, NULL, 0, &st, resp);
    return rc ? -rc : st;
}

static uint64_t it_height(tn_chain *c)
{
    mc_http *h = tn_client(c, NULL);
    mc_buf r;
    mc_buf_init(&r, 1 << 16);
    assert_int_equal(it_get(h, "/v1/status", &r), 200);
    const char *p = strstr((char *)r.p, "\"height\":");
    assert_non_null(p);
    uint64_t height = strtoull(p + 9, NULL, 10);
    mc_buf_free(&r);
    mc_http_free(h);
    return height;
}

static void test_submit_query_proof(void **state)
{
    tn_chain c;
    assert_int_equal(tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    mc_http *h = tn_client(&c, &c.org);
    mc_buf tx, resp;
    mc_hash id;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 4u << 20);
    assert_int_equal(tn_build_register(&c, &c.org, 1, &tx, &id), MC_OK);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &resp), 200);
    assert_non_null(strstr((char *)resp.p, "\"status\":\"committed\""));
    assert_non_null(strstr((char *)resp.p, "\"result\":\"OK\""));
    assert_true(tn_tx_committed(h, &id));

    char path[160], hex[65];
    mc_hex_encode(hex, id.b, 32);
    /* block 1 is the node's org.gatekeeper, published before the node says it is up */
    assert_int_equal(it_get(h, "/v1/blocks/1", &resp), 200);
    assert_non_null(strstr((char *)resp.p, "org.gatekeeper"));
    assert_int_equal(it_get(h, "/v1/blocks/2", &resp), 200);
    assert_non_null(strstr((char *)resp.p, hex));
    assert_int_equal(it_get(h, "/v1/blocks/99", &resp), 404);
    assert_int_equal(it_get(h, "/v1/blocks/abc", &resp), 400);
    assert_int_equal(it_get(h, "/v1/tx/00", &resp), 400);
    mc_hex_encode(hex, c.org.id.b, 32);
    snprintf(path, sizeof path, "/v1/identities/%s", hex);
    assert_int_equal(it_get(h, path, &resp), 200);
    assert_non_null(strstr((char *)resp.p, "\"kind\":\"org\""));
    assert_non_null(strstr((char *)resp.p, "\"gatekeeper\":{\"release_pk\":")); /* published at start */

    /* a proof served by the node, checked by the CLI; then a doctored one is refused */
    mc_hex_encode(hex, id.b, 32);
    snprintf(path, sizeof path, "/v1/proofs/tx/%s", hex);
    assert_int_equal(it_get(h, path, &resp), 200);
    char pf[400];
    snprintf(pf, sizeof pf, "%s/proof.json", c.dir);
    assert_int_equal(mc_file_write_atomic(pf, resp.p, resp.n, 0600), MC_OK);
    char *argv[] = {MEDCHAIN_CLI_PATH, "proof", "verify", "--file", pf, NULL};
    mc_buf out;
    mc_buf_init(&out, 1 << 16);
    assert_int_equal(tn_run(argv, &out), 0);
    assert_non_null(strstr((char *)out.p, "proof OK"));
    /* a wrong trusted header is refused */
    char *trusted_argv[] = {MEDCHAIN_CLI_PATH,  "proof", "verify", "--file", pf,
                            "--trusted-header", hex,     NULL};
    assert_int_not_equal(tn_run(trusted_argv, NULL), 0);
    /* the raw header's tx root (bytes 149..180) altered: the path no longer reaches it */
    char *hdr = strstr((char *)resp.p, "\"header\":\"");
    assert_non_null(hdr);
    hdr[10 + 2 * 150] = hdr[10 + 2 * 150] == '0' ? '1' : '0';
    assert_int_equal(mc_file_write_atomic(pf, resp.p, resp.n, 0600), MC_OK);
    mc_buf_reset(&out);
    assert_int_not_equal(tn_run(argv, &out), 0);

    /* the metrics page carries counters only */
    assert_int_equal(it_get(h, "/metrics", &resp), 200);
    assert_non_null(strstr((char *)resp.p, "medchain_height 2"));
    assert_int_equal(tn_kill(&c, SIGTERM), 0);
    mc_buf_reset(&out);
    assert_int_equal(tn_verify(&c, &out), 0);
    assert_non_null(strstr((char *)out.p, "OK: 3 blocks"));
    mc_buf_free(&out);
    mc_buf_free(&tx);
    mc_buf_free(&resp);
    mc_http_free(h);
    tn_destroy(&c);
}

/* Sends one raw HTTP request with hand-made authentication headers; returns the status. */
static int it_raw(tn_chain *c, const char *method, const char *target, const char *headers, const char *body,
                  char *resp, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[8192];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s",
                     method, target, headers, strlen(body), body);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t got = 0;
    ssize_t r;
    while (got < cap - 1 && (r = read(fd, resp + got, cap - 1 - got)) > 0) got += (size_t)r;
    resp[got] = 0;
    close(fd);
    int status = 0;
    sscanf(resp, "HTTP/1.1 %d", &status);
    return status;
}

static void it_auth_headers(tn_chain *c, const mc_keys *k, uint64_t t, const uint8_t nonce[16],
                            const char *method, const char *target, const char *body, char *out, size_t cap)
{
    mc_hash bh, d;
    mc_sig sig;
    mc_id id;
    memcpy(id.b, k->id.b, 32);
    mc_sha256(&bh, body, strlen(body));
    mc_request_digest(&d, &c->chain, &id, t, nonce, method, target, &bh);
    mc_sign(&sig, d.b, 32, &k->sign_sk);
    char ih[65], nh[33], sh[129];
    mc_hex_encode(ih, k->id.b, 32);
    mc_hex_encode(nh, nonce, 16);
    mc_hex_encode(sh, sig.b, 64);
    snprintf(out, cap, "X-MC-Signer: %s\r\nX-MC-Time: %llu\r\nX-MC-Nonce: %s\r\nX-MC-Signature: %s\r\n", ih,
             (unsigned long long)t, nh, sh);
}

static void test_refused_requests_change_nothing(void **state)
{
    tn_chain c;
    assert_int_equal(tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    uint64_t before_start = mc_time_now_ms() - 1;
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    char hdr[1024], resp[65536], hex[65];
    uint8_t nonce[16];
    mc_hex_encode(hex, c.org.id.b, 32);
    char target[160];
    snprintf(target, sizeof target, "/v1/identities/%s", hex);

    assert_int_equal(it_raw(&c, "GET", target, "", "", resp, sizeof resp), 401); /* unsigned */
    mc_random(nonce, 16);
    it_auth_headers(&c, &c.org, mc_time_now_ms(), nonce, "GET", target, "", hdr, sizeof hdr);
    assert_int_equal(it_raw(&c, "GET", target, hdr, "", resp, sizeof resp), 200);
    assert_int_equal(it_raw(&c, "GET", target, hdr, "", resp, sizeof resp), 401); /* replay */
    assert_non_null(strstr(resp, "EREPLAY"));
    mc_random(nonce, 16);
    it_auth_headers(&c, &c.org, mc_time_now_ms() - 120000, nonce, "GET", target, "", hdr, sizeof hdr);
    assert_int_equal(it_raw(&c, "GET", target, hdr, "", resp, sizeof resp), 401); /* stale */
    assert_non_null(strstr(resp, "ESTALE"));
    /* within the skew, but signed before the node started: its replay memory cannot vouch */
    mc_random(nonce, 16);
    it_auth_headers(&c, &c.org, before_start, nonce, "GET", target, "", hdr, sizeof hdr);
    assert_int_equal(it_raw(&c, "GET", target, hdr, "", resp, sizeof resp), 401);
    assert_non_null(strstr(resp, "before this node started"));
    mc_random(nonce, 16);
    it_auth_headers(&c, &c.org, mc_time_now_ms(), nonce, "GET", "/v1/blocks/0", "", hdr, sizeof hdr);
    assert_int_equal(it_raw(&c, "GET", target, hdr, "", resp, sizeof resp), 401); /* signed another path */
    assert_non_null(strstr(resp, "EBADSIG"));
    mc_keys stranger;
    memset(&stranger, 0, sizeof stranger);
    mc_sign_pk spk;
    mc_sign_keypair(&spk, &stranger.sign_sk);
    mc_id sid;
    mc_id_from_pk(&sid, &spk);
    memcpy(stranger.id.b, sid.b, 32);
    mc_random(nonce, 16);
    it_auth_headers(&c, &stranger, mc_time_now_ms(), nonce, "GET", target, "", hdr, sizeof hdr);
    assert_int_equal(it_raw(&c, "GET", target, hdr, "", resp, sizeof resp), 401); /* unknown signer */

    /* a POST whose body was changed after signing */
    mc_random(nonce, 16);
    it_auth_headers(&c, &c.org, mc_time_now_ms(), nonce, "POST", "/v1/tx", "{\"tx\":\"00\"}", hdr,
                    sizeof hdr);
    assert_int_equal(it_raw(&c, "POST", "/v1/tx", hdr, "{\"tx\":\"01\"}", resp, sizeof resp), 401);

    uint64_t before = it_height(&c);
    mc_http *h = tn_client(&c, &c.org);
    mc_buf tx, r;
    mc_hash id;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&r, 1 << 20);
    /* malformed bodies */
    long st;
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx", "{nope", 5, &st, &r), MC_OK);
    assert_int_equal(st, 400);
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx", "{\"tx\":\"zz\"}", 11, &st, &r), MC_OK);
    assert_int_equal(st, 400);
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx", "{\"tx\":\"00\"}", 11, &st, &r), MC_OK);
    assert_int_equal(st, 400);
    assert_non_null(strstr((char *)r.p, "MALFORMED"));
    /* oversize body */
    size_t big = 9u << 20;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx", huge, big, &st, &r), MC_OK);
    assert_int_equal(st, 413);
    free(huge);
    /* a transaction with a bad signature */
    assert_int_equal(tn_build_register(&c, &c.org, 5, &tx, &id), MC_OK);
    tx.p[tx.n - 1] ^= 1;
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &r), 200);
    assert_non_null(strstr((char *)r.p, "BAD_SIG"));
    /* a good one, then the same bytes again: acknowledged once, applied once */
    mc_buf_reset(&tx);
    assert_int_equal(tn_build_register(&c, &c.org, 6, &tx, &id), MC_OK);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &r), 200);
    uint64_t after_one = it_height(&c);
    assert_int_equal(after_one, before + 1);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &r), 200);
    assert_non_null(strstr((char *)r.p, "\"status\":\"committed\""));
    assert_int_equal(it_height(&c), after_one);
    /* the binary body: two transactions, each a u32 length and its bytes */
    mc_buf two[2], bin;
    mc_buf_init(&bin, 1 << 20);
    for (int i = 0; i < 2; i++) {
        mc_buf_init(&two[i], MC_MAX_TX_BYTES);
        assert_int_equal(tn_build_register(&c, &c.org, 10 + (uint64_t)i, &two[i], &id), MC_OK);
    }
    assert_int_equal(tn_txs_binary(&bin, two, 2), MC_OK);
    mc_http_set_content_type(h, "application/octet-stream");
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx?wait=committed", bin.p, bin.n, &st, &r), MC_OK);
    assert_int_equal(st, 200);
    assert_non_null(strstr((char *)r.p, "\"status\":\"committed\",\"result\":\"OK\""));
    assert_true(tn_tx_committed(h, &id));
    uint64_t after_bin = it_height(&c);
    bin.n -= 3; /* a length that runs past the body */
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx?wait=committed", bin.p, bin.n, &st, &r), MC_OK);
    assert_int_equal(st, 400);
    assert_int_equal(it_height(&c), after_bin);
    mc_http_set_content_type(h, "application/json");
    for (int i = 0; i < 2; i++) mc_buf_free(&two[i]);
    mc_buf_free(&bin);
    after_one = after_bin;
    /* a lower nonce is a replay */
    mc_buf_reset(&tx);
    assert_int_equal(tn_build_register(&c, &c.org, 3, &tx, &id), MC_OK);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &r), 200);
    assert_non_null(strstr((char *)r.p, "BAD_NONCE"));
    assert_int_equal(it_height(&c), after_one);
    mc_buf_free(&tx);
    mc_buf_free(&r);
    mc_http_free(h);
    assert_int_equal(tn_kill(&c, SIGTERM), 0);
    assert_int_equal(tn_verify(&c, NULL), 0);
    tn_destroy(&c);
}

/* Load: client threads submit batches of registrations and record what was acknowledged. */
typedef struct {
    tn_chain *c;
    const mc_keys *org;
    uint64_t nonce;
    mc_hash *acked;
    size_t nacked, cap;
    volatile int *stop;
} it_loader;

static void *it_load(void *arg)
{
    it_loader *l = arg;
    mc_http *h = tn_client(l->c, l->org);
    mc_buf txs[25], resp;
    if (!h) return NULL;
    mc_hash ids[25];
    mc_buf_init(&resp, 1 << 20);
    for (int i = 0; i < 25; i++) mc_buf_init(&txs[i], MC_MAX_TX_BYTES);
    while (!*l->stop && l->nacked + 25 <= l->cap) {
        int built = 0;
        for (int i = 0; i < 25; i++) {
            mc_buf_reset(&txs[i]);
            built += tn_build_register(l->c, l->org, ++l->nonce, &txs[i], &ids[i]) == MC_OK;
        }
        if (built != 25) break;
        long st = tn_post_txs(h, "ordered", txs, 25, &resp);
        if (st != 200) break; /* the node died: nothing in this request was acknowledged */
        /* each transaction acknowledged ordered (or committed) must survive */
        const char *p = (char *)resp.p;
        for (int i = 0; i < 25; i++) {
            char hex[65];
            mc_hex_encode(hex, ids[i].b, 32);
            const char *at = strstr(p, hex);
            if (at && (strncmp(at + 64, "\",\"status\":\"ordered\"", 20) == 0 ||
                       strncmp(at + 64, "\",\"status\":\"committed\"", 22) == 0))
                l->acked[l->nacked++] = ids[i];
        }
    }
    for (int i = 0; i < 25; i++) mc_buf_free(&txs[i]);
    mc_buf_free(&resp);
    mc_http_free(h);
    return NULL;
}

static void test_kill9_under_load_loses_nothing(void **state)
{
    enum { CLIENTS = 4 };
    /* scripts/soak sets MEDCHAIN_SOAK_CYCLES (20 or more); the test suite runs 3 */
    const char *zc = getenv("MEDCHAIN_SOAK_CYCLES");
    int CYCLES = zc && atoi(zc) > 0 ? atoi(zc) : 3;
    tn_chain c;
    assert_int_equal(tn_create(&c, CLIENTS, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    it_loader l[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        l[i] = (it_loader){&c, &c.clients[i], 0, calloc(200000, sizeof(mc_hash)), 0, 200000, NULL};
        assert_non_null(l[i].acked);
    }
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        volatile int stop = 0;
        assert_int_equal(tn_start(&c, NULL), MC_OK);
        pthread_t th[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            l[i].stop = &stop;
            assert_int_equal(pthread_create(&th[i], NULL, it_load, &l[i]), 0);
        }
        usleep(700000 + 200000 * (useconds_t)cycle);
        tn_kill(&c, SIGKILL); /* under load */
        stop = 1;
        for (int i = 0; i < CLIENTS; i++) pthread_join(th[i], NULL);
    }
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    mc_http *h = tn_client(&c, &c.org);
    size_t total = 0;
    /* wait until the node has applied everything in its log */
    for (int i = 0; i < CLIENTS; i++) {
        total += l[i].nacked;
        for (size_t k = 0; k < l[i].nacked; k++) {
            int ok = 0;
            for (int tries = 0; tries < 100 && !(ok = tn_tx_committed(h, &l[i].acked[k])); tries++)
                usleep(50000);
            if (!ok) {
                char hex[65];
                mc_hex_encode(hex, l[i].acked[k].b, 32);
                fail_msg("acknowledged transaction %s lost", hex);
            }
        }
        free(l[i].acked);
    }
    print_message("%zu acknowledged transactions over %d kill -9 cycles: all present\n", total, CYCLES);
    assert_true(total > 0);
    mc_http_free(h);
    assert_int_equal(tn_kill(&c, SIGTERM), 0);
    assert_int_equal(tn_verify(&c, NULL), 0);
    tn_destroy(&c);
}

/* Flips one byte in every occurrence of @p needle in @p path (LMDB keeps stale copies of
 * pages, so the live one is not necessarily the first). */
static void it_flip(const char *path, const uint8_t *needle, size_t n)
{
    mc_buf f;
    mc_buf_init(&f, 1u << 30);
    assert_int_equal(mc_file_read(path, &f), MC_OK);
    int found = 0;
    for (uint8_t *at = f.p; (at = memmem(at, f.n - (size_t)(at - f.p), needle, n)); at += n, found++)
        at[n / 2] ^= 0x40;
    assert_true(found > 0);
    assert_int_equal(mc_file_write_atomic(path, f.p, f.n, 0600), MC_OK);
    mc_buf_free(&f);
}

static void test_tampering_is_named(void **state)
{
    tn_chain c;
    assert_int_equal(tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    mc_http *h = tn_client(&c, &c.org);
    mc_buf tx[3], r;
    mc_hash id;
    mc_buf_init(&r, 1 << 20);
    for (int i = 0; i < 3; i++) {
        mc_buf_init(&tx[i], MC_MAX_TX_BYTES);
        assert_int_equal(tn_build_register(&c, &c.org, (uint64_t)i + 1, &tx[i], &id), MC_OK);
        assert_int_equal(tn_post_txs(h, "committed", &tx[i], 1, &r), 200);
    }
    mc_http_free(h);
    assert_int_equal(tn_kill(&c, SIGTERM), 0);
    assert_int_equal(tn_verify(&c, NULL), 0);

    char store[400], log[400];
    snprintf(store, sizeof store, "%s/store/data.mdb", c.data);
    snprintf(log, sizeof log, "%s/orderer/solo.log", c.data);
    char backup[400]; /* in the chain's temporary directory: removed with it, even after a failure */
    snprintf(backup, sizeof backup, "%s/store-backup.mdb", c.dir);
    char *cp[] = {"cp", store, backup, NULL};
    assert_int_equal(tn_run(cp, NULL), 0);

    /* the signature of the second transaction, inside its stored block */
    mc_buf out;
    mc_buf_init(&out, 1 << 16);
    it_flip(store, tx[1].p + tx[1].n - 64, 64);
    assert_int_equal(tn_verify(&c, &out), 1);
    assert_non_null(strstr((char *)out.p, "DAMAGED"));
    assert_non_null(strstr((char *)out.p, "block 3")); /* block 1: the node's org.gatekeeper */

    /* restore, then damage the orderer log instead */
    char *restore[] = {"cp", backup, store, NULL};
    assert_int_equal(tn_run(restore, NULL), 0);
    assert_int_equal(tn_verify(&c, NULL), 0);
    it_flip(log, tx[2].p + 40, 32);
    mc_buf_reset(&out);
    assert_int_equal(tn_verify(&c, &out), 1);
    assert_non_null(strstr((char *)out.p, "orderer log"));
    unlink(backup);
    for (int i = 0; i < 3; i++) mc_buf_free(&tx[i]);
    mc_buf_free(&r);
    mc_buf_free(&out);
    tn_destroy(&c);
}

/* HTTPS: the node serves TLS with the certificate it is given; a client that trusts that
 * certificate gets through, a plain-HTTP client does not. */
static void test_tls(void **state)
{
    tn_chain c;
    assert_int_equal(tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    char key[400], cert[400], kset[420], cset[420];
    snprintf(key, sizeof key, "%s/tls.key", c.dir);
    snprintf(cert, sizeof cert, "%s/tls.crt", c.dir);
    char *gen[] = {"openssl",
                   "req",
                   "-x509",
                   "-newkey",
                   "ec",
                   "-pkeyopt",
                   "ec_paramgen_curve:prime256v1",
                   "-nodes",
                   "-days",
                   "1",
                   "-subj",
                   "/CN=127.0.0.1",
                   "-addext",
                   "subjectAltName=IP:127.0.0.1",
                   "-keyout",
                   key,
                   "-out",
                   cert,
                   NULL};
    assert_int_equal(tn_run(gen, NULL), 0);
    snprintf(kset, sizeof kset, "tls_key=%s", key);
    snprintf(cset, sizeof cset, "tls_cert=%s", cert);
    const char *settings[] = {kset, cset, NULL};
    assert_int_equal(tn_start(&c, settings), MC_OK);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%u", c.port);
    mc_http *h;
    assert_int_equal(mc_http_new(&h, url, 0), MC_OK);
    mc_http_set_ca(h, cert);
    mc_buf r;
    mc_buf_init(&r, 1 << 16);
    assert_int_equal(it_get(h, "/v1/status", &r), 200);
    assert_non_null(strstr((char *)r.p, "\"chain_name\":\"medchain-test\""));
    /* signed requests work over TLS as well */
    mc_http_signer sg = {.chain = c.chain, .sk = &c.org.sign_sk};
    memcpy(sg.id.b, c.org.id.b, 32);
    mc_http_set_signer(h, &sg);
    assert_int_equal(it_get(h, "/v1/blocks/0", &r), 200);
    mc_http_free(h);
    /* a client that does not trust the certificate is refused by its own TLS check */
    assert_int_equal(mc_http_new(&h, url, 0), MC_OK);
    assert_true(it_get(h, "/v1/status", &r) < 0);
    mc_http_free(h);
    /* plain HTTP to the TLS port gets no answer */
    mc_http *plain = tn_client(&c, NULL);
    assert_true(it_get(plain, "/v1/status", &r) != 200);
    mc_http_free(plain);
    mc_buf_free(&r);
    assert_int_equal(tn_kill(&c, SIGTERM), 0);
    tn_destroy(&c);
}

/* The whole ledger, unfiltered (GET /v1/sync/blocks), goes to the consortium's validator nodes
 * only: not to another node identity the org enrolled, nor to the org itself. */
static void test_sync_only_to_validators(void **state)
{
    (void)state;
    tn_chain c;
    assert_int_equal(tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_start(&c, NULL), MC_OK);
    mc_http *h = tn_client(&c, &c.org);
    mc_buf tx, resp;
    mc_hash id;
    mc_keys other;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 4u << 20);
    assert_int_equal(tn_build_register_keys(&c, &c.org, 1, MC_ID_NODE, "", &tx, &id, &other), MC_OK);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &resp), 200);
    assert_true(tn_tx_committed(h, &id));
    assert_int_equal(it_get(h, "/v1/sync/blocks?from=1", &resp), 403); /* the org */
    mc_http *ho = tn_client(&c, &other);
    assert_int_equal(it_get(ho, "/v1/sync/blocks?from=1", &resp), 403); /* a node, but no validator */
    assert_non_null(strstr((char *)resp.p, "validator"));
    mc_http *hv = tn_client(&c, &c.node);
    assert_int_equal(it_get(hv, "/v1/sync/blocks?from=1", &resp), 200); /* the validator */
    assert_non_null(strstr((char *)resp.p, "\"blocks\""));
    mc_wipe(&other, sizeof other);
    mc_http_free(ho);
    mc_http_free(hv);
    mc_http_free(h);
    mc_buf_free(&tx);
    mc_buf_free(&resp);
    tn_destroy(&c);
}

int main(void)
{
    const char *filter = getenv("MEDCHAIN_TEST_FILTER");
    if (filter) cmocka_set_test_filter(filter);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_query_proof),
        cmocka_unit_test(test_refused_requests_change_nothing),
        cmocka_unit_test(test_kill9_under_load_loses_nothing),
        cmocka_unit_test(test_tampering_is_named),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_sync_only_to_validators),
    };
    return cmocka_run_group_tests_name("integration_node", tests, NULL, NULL);
}
