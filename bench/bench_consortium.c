/*
 * The consortium benchmark (issue 5): 4 medchaind validators on one genesis, ordered by a real
 * 3-member etcd cluster, all on 127.0.0.1 in temporary directories.
 *
 *   consortium  certified transactions per second: C client threads (default 32, each a
 *               founding org registering providers), spread over the 4 nodes, POST batches of
 *               N (default 100) pre-signed transactions (binary body) with wait=certified over keep-alive
 *               connections; every transaction must come back certified with result OK.
 *               p50_ms / p99_ms: submit -> certified, per transaction.
 *   etcd_put    the ordering engine alone: the same number of concurrent clients put values of
 *               the mean size of the batches the run above stored in etcd (POST /v3/kv/put on
 *               the JSON gateway, each client on its own member in turn), so the two rates are
 *               side by side; tx_equiv is puts/s times the mean transactions per batch.
 *
 * --wait committed measures the same up to committed instead (named consortium_committed), to
 * show what certification adds. MEDCHAIN_BENCH_DEBUG=1 in the environment prints etcd's request
 * counts and the nodes' pipeline metrics on stderr. node_cpu_us_per_tx and etcd_cpu_us_per_tx:
 * the CPU time (from /proc) the 4 nodes and the 3 members used in the measured runs, per
 * transaction.
 *
 * One JSON object per line: {"name","value","unit",...}. Median of --runs runs (after one
 * warm-up run that is not counted).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etcdtest.h"
#include "common.h"
#include "testnet.h"

#define BC_NODES 4

typedef struct {
    tn_chain *node; /* the node this client talks to */
    const mc_keys *org;
    mc_buf *bodies; /* pre-built request bodies (binary) */
    size_t nbodies, per;
    double *lat_ms; /* one per body */
    size_t failed;
    pthread_barrier_t *start;
} bc_client;

/* What the clients wait for: "certified" (the figure), or "committed" (--wait committed, to see
 * what certification adds). */
static const char *bc_wait = "certified";

/* The whole of a request came back in the awaited state with result OK. */
static int bc_all_done(void *arg, int rc, long st, const mc_buf *resp)
{
    const bc_client *b = arg;
    static atomic_int told; /* the first failure, for the reason */
    char want[64];
    snprintf(want, sizeof want, "\"status\":\"%s\",\"result\":\"OK\"", bc_wait);
    size_t k = 0;
    for (const char *p = rc ? NULL : (const char *)resp->p; p && (p = strstr(p, want)) != NULL;
         p += strlen(want))
        k++;
    if (k == b->per && st == 200) return 1;
    if (atomic_exchange(&told, 1) == 0)
        fprintf(stderr, "bench_consortium: a request was not %s (rc %d, HTTP %ld): %.300s\n", bc_wait, rc, st,
                !rc && resp->n ? (char *)resp->p : "");
    return 0;
}

static void *bc_client_main(void *arg)
{
    bc_client *b = arg;
    char path[64];
    snprintf(path, sizeof path, "/v1/tx?wait=%s", bc_wait);
    mc_http *h = tn_client(b->node, b->org);
    if (h) mc_http_set_content_type(h, "application/octet-stream");
    if (h)
        b->failed = bs_post_all(h, path, b->bodies, b->nbodies, b->lat_ms, bc_all_done, b, b->start);
    else
        pthread_barrier_wait(b->start);
    mc_http_free(h);
    return NULL;
}

typedef struct {
    tn_chain *nodes;
    et_cluster *ec;
    double node_cpu_s, etcd_cpu_s; /* CPU time the processes used in the measured runs */
    double timed_txs;              /* transactions of the measured runs */
    unsigned nclients;
    size_t per, reqs;
    uint64_t nonces[TN_MAX_CLIENTS];
    uint64_t txs; /* submitted so far, over all runs */
} bc_world;

/* CPU seconds (user and system) process @p pid has used so far; 0 if unknown. */
static double bc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of the nodes (into *nodes) and of the etcd members (into *etcd) so far. */
static void bc_cpu(const bc_world *w, double *nodes, double *etcd)
{
    *nodes = *etcd = 0;
    for (unsigned i = 0; i < BC_NODES; i++) *nodes += bc_cpu_s(w->nodes[i].pid);
    for (unsigned i = 0; i < w->ec->n; i++) *etcd += bc_cpu_s(w->ec->pid[i]);
}

/* One run: returns certified tx/s; appends per-request latencies to @p lat. */
static double bc_run(bc_world *w, size_t reqs, double *lat, size_t *nlat, size_t *failed)
{
    bc_client cl[TN_MAX_CLIENTS];
    pthread_t th[TN_MAX_CLIENTS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, w->nclients + 1);
    mc_buf tx;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    tn_chain *c0 = &w->nodes[0];
    for (unsigned i = 0; i < w->nclients; i++) { /* all signing before the clock */
        cl[i] = (bc_client){&w->nodes[i % BC_NODES],
                            &c0->clients[i],
                            calloc(reqs, sizeof(mc_buf)),
                            reqs,
                            w->per,
                            calloc(reqs, sizeof(double)),
                            0,
                            &start};
        if (!cl[i].bodies || !cl[i].lat_ms) abort();
        for (size_t r = 0; r < reqs; r++) {
            mc_buf_init(&cl[i].bodies[r], 64u << 20);
            for (size_t k = 0; k < w->per; k++) {
                mc_buf_reset(&tx);
                if (tn_build_register(c0, &c0->clients[i], ++w->nonces[i], &tx, NULL) ||
                    tn_txs_binary(&cl[i].bodies[r], &tx, 1))
                    abort();
            }
        }
    }
    for (unsigned i = 0; i < w->nclients; i++) pthread_create(&th[i], NULL, bc_client_main, &cl[i]);
    double n0, e0, n1, e1;
    bc_cpu(w, &n0, &e0);
    pthread_barrier_wait(&start);
    uint64_t t0 = mc_time_mono_ns();
    for (unsigned i = 0; i < w->nclients; i++) pthread_join(th[i], NULL);
    double secs = (double)(mc_time_mono_ns() - t0) / 1e9;
    bc_cpu(w, &n1, &e1);
    w->node_cpu_s += n1 - n0;
    w->etcd_cpu_s += e1 - e0;
    w->timed_txs += (double)w->nclients * (double)(w->per * reqs);
    for (unsigned i = 0; i < w->nclients; i++) {
        for (size_t r = 0; r < reqs; r++) {
            lat[(*nlat)++] = cl[i].lat_ms[r];
            mc_buf_free(&cl[i].bodies[r]);
        }
        *failed += cl[i].failed;
        free(cl[i].bodies);
        free(cl[i].lat_ms);
    }
    mc_buf_free(&tx);
    pthread_barrier_destroy(&start);
    w->txs += (uint64_t)w->nclients * w->per * reqs;
    return (double)w->nclients * (double)(w->per * reqs) / secs;
}

/* Prints the line of a rate measured over @p runs runs with latencies @p lat. */
static void bc_print(const char *name, const char *unit, double *rates, int runs, double *lat, size_t nlat,
                     const char *extra)
{
    double med = bs_pct(rates, (size_t)runs, 0.5), lo = bs_pct(rates, (size_t)runs, 0),
           hi = bs_pct(rates, (size_t)runs, 1);
    double p50 = bs_pct(lat, nlat, 0.5), p99 = bs_pct(lat, nlat, 0.99);
    printf("{\"name\":\"%s\",\"value\":%.0f,\"unit\":\"%s\",\"p99_ms\":%.2f,\"p50_ms\":%.2f,\"runs\":%d,"
           "\"min\":%.0f,\"max\":%.0f%s}\n",
           name, med, unit, p99, p50, runs, lo, hi, extra);
    fflush(stdout);
}

/* The count and mean size of the batches stored in etcd under the chain's prefix. */
static int bc_batch_stats(et_cluster *ec, const mc_hash *chain, uint64_t *count, size_t *mean)
{
    char hex[65], key[160], k64[256], e64[256], req[800];
    mc_hex_encode(hex, chain->b, 32);
    int nk = snprintf(key, sizeof key, "/medchain/%s/batches/", hex);
    mc_base64_encode(k64, key, (size_t)nk);
    key[nk - 1] = '0'; /* '/' + 1: every key under the prefix */
    mc_base64_encode(e64, key, (size_t)nk);
    mc_http *h;
    if (mc_http_new(&h, ec->url[0], 256u << 20)) return MC_ENOMEM;
    mc_buf resp;
    mc_buf_init(&resp, 256u << 20);
    long st = 0;
    snprintf(req, sizeof req, "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true}", k64, e64);
    int rc = mc_http_request(h, "POST", "/v3/kv/range", req, strlen(req), &st, &resp);
    const char *cnt = rc ? NULL : strstr((char *)resp.p, "\"count\":\"");
    *count = cnt ? strtoull(cnt + 9, NULL, 10) : 0;
    snprintf(req, sizeof req, "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":\"200\"}", k64, e64);
    if (!rc) rc = mc_http_request(h, "POST", "/v3/kv/range", req, strlen(req), &st, &resp);
    size_t n = 0, bytes = 0;
    for (const char *p = rc ? NULL : (const char *)resp.p; p && (p = strstr(p, "\"value\":\"")) != NULL;) {
        p += 9;
        const char *q = strchr(p, '"');
        if (!q) break;
        size_t len = (size_t)(q - p) / 4 * 3;
        len -= (q > p && q[-1] == '=') + (q - 1 > p && q[-2] == '=');
        bytes += len;
        n++;
        p = q;
    }
    *mean = n ? bytes / n : 0;
    mc_buf_free(&resp);
    mc_http_free(h);
    return rc ? rc : (n && *count ? MC_OK : MC_ENOTFOUND);
}

typedef struct {
    const char *url;
    unsigned id;
    const char *value64; /* the value, base64 */
    size_t nputs;
    double *lat_ms;
    size_t failed;
    pthread_barrier_t *start;
} bc_putter;

static void *bc_putter_main(void *arg)
{
    bc_putter *p = arg;
    mc_http *h;
    if (mc_http_new(&h, p->url, 1u << 20)) return NULL;
    mc_http_set_timeout(h, 30000);
    mc_buf req, resp;
    mc_buf_init(&req, strlen(p->value64) + 1024);
    mc_buf_init(&resp, 1u << 20);
    pthread_barrier_wait(p->start);
    for (size_t i = 0; i < p->nputs; i++) {
        char key[96], k64[160];
        int nk = snprintf(key, sizeof key, "/medchain-bench/etcd_put/%u/%zu", p->id, i);
        mc_base64_encode(k64, key, (size_t)nk);
        mc_buf_reset(&req);
        long st = 0;
        uint64_t t0 = mc_time_mono_ns();
        int rc = mc_buf_printf(&req, "{\"key\":\"%s\",\"value\":\"%s\"}", k64, p->value64);
        if (!rc) rc = mc_http_request(h, "POST", "/v3/kv/put", req.p, req.n, &st, &resp);
        p->lat_ms[i] = (double)(mc_time_mono_ns() - t0) / 1e6;
        if (rc || st != 200) p->failed++;
    }
    mc_buf_free(&req);
    mc_buf_free(&resp);
    mc_http_free(h);
    return NULL;
}

/* Raw etcd puts of @p size bytes by @p nclients concurrent clients: puts/s; latencies appended. */
static double bc_etcd_put(et_cluster *ec, unsigned nclients, size_t size, size_t nputs, double *lat,
                          size_t *nlat, size_t *failed)
{
    bc_putter pt[TN_MAX_CLIENTS];
    pthread_t th[TN_MAX_CLIENTS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, nclients + 1);
    uint8_t *raw = malloc(size ? size : 1);
    char *v64 = malloc(mc_base64_len(size) + 1);
    if (!raw || !v64) abort();
    mc_random(raw, size);
    mc_base64_encode(v64, raw, size);
    for (unsigned i = 0; i < nclients; i++) {
        pt[i] = (bc_putter){ec->url[i % ec->n], i, v64, nputs, calloc(nputs, sizeof(double)), 0, &start};
        if (!pt[i].lat_ms) abort();
        pthread_create(&th[i], NULL, bc_putter_main, &pt[i]);
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = mc_time_mono_ns();
    for (unsigned i = 0; i < nclients; i++) pthread_join(th[i], NULL);
    double secs = (double)(mc_time_mono_ns() - t0) / 1e9;
    for (unsigned i = 0; i < nclients; i++) {
        memcpy(lat + *nlat, pt[i].lat_ms, nputs * sizeof(double));
        *nlat += nputs;
        *failed += pt[i].failed;
        free(pt[i].lat_ms);
    }
    free(raw);
    free(v64);
    pthread_barrier_destroy(&start);
    return (double)(nclients * nputs) / secs;
}

/* MEDCHAIN_BENCH_DEBUG set: each etcd member's request counts and each node's pipeline figures
 * on stderr, to see where a run's time went. */
static void bc_debug(const char *url, const char *const *keep)
{
    mc_http *h;
    if (!getenv("MEDCHAIN_BENCH_DEBUG") || mc_http_new(&h, url, 16u << 20)) return;
    mc_buf r;
    mc_buf_init(&r, 16u << 20);
    long st = 0;
    if (mc_http_request(h, "GET", "/metrics", NULL, 0, &st, &r) == MC_OK)
        for (char *line = strtok((char *)r.p, "\n"); line; line = strtok(NULL, "\n"))
            for (size_t k = 0; keep[k]; k++)
                if (line[0] != '#' && strstr(line, keep[k])) fprintf(stderr, "%s %s\n", url, line);
    mc_buf_free(&r);
    mc_http_free(h);
}

static int bc_usage(void)
{
    fprintf(stderr,
            "usage: bench_consortium [--runs 1..15] [--clients 1..%d] [--per 1..1000] [--requests N] "
            "[--set KEY=VALUE] [--wait certified|committed] [consortium] [etcd_put]\n",
            TN_MAX_CLIENTS);
    return 2;
}

int main(int argc, char **argv)
{
    int runs = 3, want_cons = 0, want_put = 0, nset = 0;
    bc_world w = {.nclients = 32, .per = 100, .reqs = 20};
    const char *settings[24] = {"orderer=etcd", NULL};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
            w.nclients = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--per") && i + 1 < argc)
            w.per = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--requests") && i + 1 < argc)
            w.reqs = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--set") && i + 1 < argc && nset < 20)
            settings[2 + nset++] = argv[++i];
        else if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
            i++; /* bench_reads': scripts/bench passes every flag to every program */
        else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
            bc_wait = !strcmp(argv[++i], "committed") ? "committed" : "certified";
        else if (!strcmp(argv[i], "consortium"))
            want_cons = 1;
        else if (!strcmp(argv[i], "etcd_put"))
            want_put = 1;
        else
            return bc_usage();
    }
    if (runs < 1 || runs > 15 || w.nclients < 1 || w.nclients > TN_MAX_CLIENTS || w.per < 1 || w.per > 1000 ||
        w.reqs < 1)
        return bc_usage();
    (void)want_cons;
    (void)want_put; /* etcd_put needs the batch size of a consortium run: both are always measured */
    signal(SIGPIPE, SIG_IGN);
    if (mc_crypto_init() || mc_net_init()) return 1;
    static et_cluster ec;
    static tn_chain nodes[BC_NODES];
    tn_chain *cs[BC_NODES];
    char eps[600];
    int rc = et_start(&ec, 3);
    for (unsigned i = 0; !rc && i < BC_NODES; i++) {
        cs[i] = &nodes[i];
        rc = tn_create(&nodes[i], i == 0 ? TN_MAX_CLIENTS : 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH);
    }
    if (!rc) rc = tn_share_genesis(cs, BC_NODES);
    snprintf(eps, sizeof eps, "etcd_endpoints=%s", ec.endpoints);
    settings[1] = eps;
    for (unsigned i = 0; !rc && i < BC_NODES; i++) rc = tn_start(&nodes[i], settings);
    if (rc) {
        fprintf(stderr, "bench_consortium: cannot start 3 etcd members and %d nodes: %s\n", BC_NODES,
                mc_strerror(rc));
        return 1;
    }
    w.nodes = nodes;
    w.ec = &ec;
    size_t nl = (size_t)runs * w.nclients * w.reqs, nlat = 0, failed = 0;
    double rates[16], *lat = calloc(nl + (size_t)runs * w.nclients * 200, sizeof *lat);
    if (!lat) return 1;
    bc_run(&w, w.reqs / 4 + 1, lat, &nlat, &failed); /* warm-up, not counted */
    nlat = failed = 0;
    w.node_cpu_s = w.etcd_cpu_s = w.timed_txs = 0;
    for (int r = 0; r < runs; r++) rates[r] = bc_run(&w, w.reqs, lat, &nlat, &failed);
    uint64_t nbatches = 0;
    size_t mean = 0;
    rc = bc_batch_stats(&ec, &nodes[0].chain, &nbatches, &mean);
    double txs_per_batch = nbatches ? (double)w.txs / (double)nbatches : 0;
    char extra[400];
    snprintf(extra, sizeof extra,
             ",\"nodes\":%d,\"etcd_members\":3,\"clients\":%u,\"txs_per_request\":%zu,\"requests\":%zu,"
             "\"failed_requests\":%zu,\"batches\":%llu,\"txs_per_batch\":%.1f,\"batch_bytes\":%zu,"
             "\"node_cpu_us_per_tx\":%.0f,\"etcd_cpu_us_per_tx\":%.0f",
             BC_NODES, w.nclients, w.per, nlat, failed, (unsigned long long)nbatches, txs_per_batch, mean,
             w.node_cpu_s * 1e6 / w.timed_txs, w.etcd_cpu_s * 1e6 / w.timed_txs);
    bc_print(!strcmp(bc_wait, "certified") ? "consortium" : "consortium_committed", "tx/s", rates, runs, lat,
             nlat, extra);
    static const char *const etcd_keep[] = {"grpc_server_handled_total", NULL};
    static const char *const node_keep[] = {"seconds_total", "blocks_applied", "batches_submitted",
                                            "certified",     "attestations",   NULL};
    for (unsigned i = 0; i < ec.n; i++) bc_debug(ec.url[i], etcd_keep);
    for (unsigned i = 0; i < BC_NODES; i++) bc_debug(nodes[i].url, node_keep);
    /* the nodes stop before etcd is measured alone: the machine's two cores are etcd's */
    for (unsigned i = 0; i < BC_NODES; i++) tn_destroy(&nodes[i]);
    if (!rc) {
        size_t nputs = 200;
        nlat = failed = 0;
        bc_etcd_put(&ec, w.nclients, mean, nputs / 4, lat, &nlat, &failed);
        nlat = failed = 0;
        for (int r = 0; r < runs; r++)
            rates[r] = bc_etcd_put(&ec, w.nclients, mean, nputs, lat, &nlat, &failed);
        double med = bs_pct(rates, (size_t)runs, 0.5);
        snprintf(extra, sizeof extra,
                 ",\"clients\":%u,\"value_bytes\":%zu,\"puts\":%zu,\"failed\":%zu,\"tx_equiv\":%.0f",
                 w.nclients, mean, nlat, failed, med * txs_per_batch);
        bc_print("etcd_put", "puts/s", rates, runs, lat, nlat, extra);
    } else {
        fprintf(stderr, "bench_consortium: could not read the batches back from etcd: %s\n", mc_strerror(rc));
    }
    free(lat);
    et_destroy(&ec);
    return 0;
}
