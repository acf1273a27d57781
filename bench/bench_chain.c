/*
 * Benchmarks of the ledger core through the real node and HTTP API.
 *
 *   tx_commit         committed transactions per second: C client threads, each an org
 *                     registering providers, POST batches of B pre-signed transactions
 *                     (application/octet-stream) with wait=committed over keep-alive
 *                     connections (all transaction signing before the clock)
 *   tx_commit_p99_ms  99th percentile of submit -> committed, per transaction
 *   tx_commit_json    the same with the JSON body ({"txs": [hex, ...]}) instead of the binary one
 *   tx_commit_single  the same with one transaction per request
 *   tx_commit_mix     the same with a consent workload instead of registrations: record.anchor,
 *                     consent.grant, access.log (each with the reader's signed request) and
 *                     consent.revoke, 3:3:3:1 (bench/mix.h)
 *   verify            transactions per second re-verified from genesis (medchain verify's engine)
 *   ed25519_verify    the machine's ceiling: Ed25519 verifications per second on every core
 *                     (libsodium through mc_verify_many), the floor under all of the above
 *
 * One JSON object per line: {"name","value","unit",...}. Median of --runs runs.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "medchain/exec.h"
#include "medchain/store.h"
#include "common.h"
#include "mix.h"
#include "testnet.h"

typedef struct {
    tn_chain *c;
    const mc_keys *org;
    mc_buf *bodies; /* pre-built request bodies */
    size_t nbodies;
    size_t per;     /* transactions per body */
    double *lat_ms; /* one latency per body */
    int binary;     /* bodies are application/octet-stream */
    size_t failed;
    pthread_barrier_t *start;
} bench_client;

/* Every transaction must come back committed and OK. */
static int bench_all_ok(void *arg, int rc, long st, const mc_buf *resp)
{
    (void)arg;
    return !rc && st == 200 && strstr((char *)resp->p, "\"result\":\"OK\"") != NULL &&
           !strstr((char *)resp->p, "\"status\":\"rejected\"") && !strstr((char *)resp->p, "BAD_");
}

static void *bench_client_main(void *arg)
{
    bench_client *b = arg;
    mc_http *h = tn_client(b->c, b->org);
    if (h && b->binary) mc_http_set_content_type(h, "application/octet-stream");
    if (h)
        b->failed = bs_post_all(h, "/v1/tx?wait=committed", b->bodies, b->nbodies, b->lat_ms, bench_all_ok,
                                NULL, b->start);
    else
        pthread_barrier_wait(b->start);
    mc_http_free(h);
    return NULL;
}

/* What the clients send: the next transaction of client i, and the end of each request. */
typedef struct {
    int (*next)(void *ctx, unsigned client, mc_buf *tx);
    void (*request_done)(void *ctx, unsigned client);
    void *ctx;
} bench_builder;

typedef struct {
    tn_chain *c;
    uint64_t *nonces;
} bench_reg;

/* Client i is a founding org registering providers. */
static int bench_reg_next(void *ctx, unsigned i, mc_buf *tx)
{
    bench_reg *r = ctx;
    return tn_build_register(r->c, &r->c->clients[i], ++r->nonces[i], tx, NULL);
}

static int bench_mix_next(void *ctx, unsigned i, mc_buf *tx)
{
    return bm_next(&((bm_client *)ctx)[i], tx);
}

static void bench_mix_done(void *ctx, unsigned i)
{
    bm_request_done(&((bm_client *)ctx)[i]);
}

/* One measured run: returns tx/s; appends latencies (per request, weighted by txs) to lat. */
static double bench_run(tn_chain *c, unsigned nclients, size_t per, size_t reqs, int binary,
                        const bench_builder *bld, double *lat, size_t *nlat, size_t *failed)
{
    bench_client cl[TN_MAX_CLIENTS];
    pthread_t th[TN_MAX_CLIENTS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, nclients + 1);
    mc_buf tx[64];
    for (size_t k = 0; k < per; k++) mc_buf_init(&tx[k], MC_MAX_TX_BYTES);
    for (unsigned i = 0; i < nclients; i++) { /* all signing happens here, before the clock */
        cl[i] = (bench_client){
            c, &c->clients[i], calloc(reqs, sizeof(mc_buf)), reqs, per, calloc(reqs, sizeof(double)), binary,
            0, &start};
        for (size_t r = 0; r < reqs; r++) {
            mc_buf_init(&cl[i].bodies[r], 64u << 20);
            for (size_t k = 0; k < per; k++) {
                mc_buf_reset(&tx[k]);
                if (bld->next(bld->ctx, i, &tx[k])) abort();
            }
            if (bld->request_done) bld->request_done(bld->ctx, i);
            if ((binary ? tn_txs_binary : tn_txs_json)(&cl[i].bodies[r], tx, per)) abort();
        }
    }
    for (unsigned i = 0; i < nclients; i++) pthread_create(&th[i], NULL, bench_client_main, &cl[i]);
    pthread_barrier_wait(&start);
    uint64_t t0 = mc_time_mono_ns();
    for (unsigned i = 0; i < nclients; i++) pthread_join(th[i], NULL);
    double secs = (mc_time_mono_ns() - t0) / 1e9;
    for (unsigned i = 0; i < nclients; i++) {
        for (size_t r = 0; r < reqs; r++) {
            lat[(*nlat)++] = cl[i].lat_ms[r];
            mc_buf_free(&cl[i].bodies[r]);
        }
        *failed += cl[i].failed;
        free(cl[i].bodies);
        free(cl[i].lat_ms);
    }
    for (size_t k = 0; k < per; k++) mc_buf_free(&tx[k]);
    pthread_barrier_destroy(&start);
    return (double)(nclients * per * reqs) / secs;
}

static const char *bench_names[16];
static int bench_nnames;
static const char *bench_settings[17]; /* --set key=value, passed to medchaind */
static int bench_nsettings;

/* With no names given every figure is wanted. */
static int bench_wanted(const char *name)
{
    for (int i = 0; i < bench_nnames; i++)
        if (!strcmp(bench_names[i], name)) return 1;
    return bench_nnames == 0;
}

/* tx_commit with @p per transactions per request. */
static void bench_commit(tn_chain *c, const char *name, unsigned nclients, size_t per, size_t reqs,
                         int binary, int runs, const bench_builder *bld, int report_p99)
{
    double rates[16];
    double *lat = calloc((size_t)runs * nclients * reqs, sizeof *lat);
    size_t nlat = 0, failed = 0;
    /* warm-up run, not counted */
    bench_run(c, nclients, per, reqs / 4 + 1, binary, bld, lat, &nlat, &failed);
    nlat = 0;
    failed = 0;
    for (int r = 0; r < runs; r++)
        rates[r] = bench_run(c, nclients, per, reqs, binary, bld, lat, &nlat, &failed);
    double med = bs_pct(rates, (size_t)runs, 0.5);
    double p50 = bs_pct(lat, nlat, 0.50), p99 = bs_pct(lat, nlat, 0.99);
    printf("{\"name\":\"%s\",\"value\":%.0f,\"unit\":\"tx/s\",\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
           "\"clients\":%u,\"txs_per_request\":%zu,\"body\":\"%s\",\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"failed_"
           "requests\":%zu}\n",
           name, med, runs, rates[0] < rates[runs - 1] ? bs_pct(rates, (size_t)runs, 0) : rates[0],
           bs_pct(rates, (size_t)runs, 1), nclients, per, binary ? "binary" : "json", p50, p99, failed);
    if (report_p99)
        printf("{\"name\":\"%s_p99_ms\",\"value\":%.2f,\"unit\":\"ms\",\"p50_ms\":%.2f,\"requests\":%zu}\n",
               name, p99, p50, nlat);
    fflush(stdout);
    free(lat);
}

static void bench_verify(tn_chain *c, int runs)
{
    char path[400], scratch[] = "/tmp/medchain-bench-verify-XXXXXX";
    snprintf(path, sizeof path, "%s/store", c->data);
    mc_store *st;
    mc_store_opts so = {.read_only = 1};
    if (mc_store_open(&st, path, &so)) return;
    double rates[16];
    uint64_t txs = 0, blocks = 0;
    int ok = 1;
    for (int r = 0; r < runs; r++) {
        if (!mkdtemp(scratch)) break;
        mc_verify_report rep;
        uint64_t t0 = mc_time_mono_ns();
        int rc = mc_exec_verify(st, scratch, 0, &rep);
        double secs = (mc_time_mono_ns() - t0) / 1e9;
        ok = ok && !rc && rep.ok;
        rates[r] = rep.txs / secs;
        txs = rep.txs;
        blocks = rep.blocks;
        char *rm[] = {"rm", "-rf", scratch, NULL};
        tn_run(rm, NULL);
        memcpy(scratch + strlen(scratch) - 6, "XXXXXX", 6);
    }
    mc_store_close(st);
    printf("{\"name\":\"verify\",\"value\":%.0f,\"unit\":\"tx/s\",\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
           "\"txs\":%llu,\"blocks\":%llu,\"ok\":%s}\n",
           bs_pct(rates, (size_t)runs, 0.5), runs, bs_pct(rates, (size_t)runs, 0),
           bs_pct(rates, (size_t)runs, 1), (unsigned long long)txs, (unsigned long long)blocks,
           ok ? "true" : "false");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int runs = 3;
    unsigned clients = 16;
    size_t per = 50, reqs = 60;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
            clients = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--per") && i + 1 < argc)
            per = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--requests") && i + 1 < argc)
            reqs = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
            i++; /* bench_reads': scripts/bench passes every flag to every program */
        else if (!strcmp(argv[i], "--set") && i + 1 < argc && bench_nsettings < 16)
            bench_settings[bench_nsettings++] = argv[++i];
        else if (argv[i][0] != '-' && bench_nnames < 16)
            bench_names[bench_nnames++] = argv[i];
        else {
            fprintf(stderr, "usage: bench_chain [--runs N] [--clients N] [--per N] [--requests N] [--set "
                            "KEY=VALUE] [NAME ...]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 15 || clients < 1 || clients > TN_MAX_CLIENTS || per < 1 || per > 64) {
        fprintf(stderr, "bench_chain: --runs 1..15, --clients 1..%d, --per 1..64\n", TN_MAX_CLIENTS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (mc_crypto_init()) return 1;
    if (bench_wanted("ed25519_verify")) (void)bs_ed25519(runs);
    if (bench_nnames == 1 && bench_wanted("ed25519_verify")) return 0;
    tn_chain c;
    if (tn_create(&c, TN_MAX_CLIENTS, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH) || tn_start(&c, bench_settings)) {
        fprintf(stderr, "bench_chain: cannot start a node\n");
        return 1;
    }
    uint64_t nonces[TN_MAX_CLIENTS] = {0};
    bench_reg reg = {&c, nonces};
    bench_builder regs = {bench_reg_next, NULL, &reg};
    if (bench_wanted("tx_commit") || bench_wanted("tx_commit_p99_ms") || bench_wanted("verify"))
        bench_commit(&c, "tx_commit", clients, per, reqs, 1, runs, &regs, 1);
    if (bench_wanted("tx_commit_json"))
        bench_commit(&c, "tx_commit_json", clients, per, reqs, 0, runs, &regs, 0);
    if (bench_wanted("tx_commit_single")) bench_commit(&c, "tx_commit_single", 32, 1, 300, 1, runs, &regs, 0);
    if (bench_wanted("tx_commit_mix")) {
        bm_client *mix = calloc(clients, sizeof *mix);
        for (unsigned i = 0; mix && i < clients; i++)
            if (bm_setup(&mix[i], &c, &c.clients[i], &nonces[i])) {
                fprintf(stderr, "bench_chain: cannot set up the consent workload\n");
                abort();
            }
        bench_builder mixes = {bench_mix_next, bench_mix_done, mix};
        if (mix) bench_commit(&c, "tx_commit_mix", clients, per, reqs, 1, runs, &mixes, 1);
        free(mix);
    }
    tn_kill(&c, SIGTERM);
    if (bench_wanted("verify")) bench_verify(&c, runs);
    tn_destroy(&c);
    return 0;
}
