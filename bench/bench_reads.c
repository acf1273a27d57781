/*
 * Whole-chart reads (issue 11) through real nodes, the real CLI and HTTP.
 *
 *   chart_open          a grantee at another hospital opens the largest Synthea chart: one
 *                       `medchain record get` of every record (ids from the patient's record list),
 *                       each read through the custodian's gatekeeper in whole-chart requests, logged,
 *                       its key released by the custodian and the record decrypted here; wall time of
 *                       the command, median of --runs (at least 5). On one node: the grantee's org
 *                       runs no node, so it asks the custodian's. With --nodes 4: four hospitals on a
 *                       3-member etcd cluster, the grantee's own hospital's node asked, which sends it
 *                       to the custodian's.
 *   gatekeeper_read     logged record reads per second through POST /v1/reads: R (default 16)
 *                       threads (the patient and the grantee, alternately) each ask for 512 random
 *                       records per request of a chart of 1,000 synthetic 4 KiB records; each record decided,
 * all logged in one access.reads committed before the ciphertexts and the key box are served. Counted in
 * records served. The node's per-signer read rate is raised for it (read_rate, read_burst): the figure is the
 * gatekeeper's, not the limiter's.
 *
 * Each figure is printed beside ed25519_verify measured in the same run, with its ratio to it
 * (for chart_open: the median in Ed25519 verifications' worth of this machine's time). One JSON
 * object per line.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cliworld.h"
#include "common.h"
#include "consortium.h"
#include "medchain/fhir.h"
#include "testnet.h"

#define BD_MAX_RECORDS 4096

typedef struct {
    cw_world w;
    tn_chain *custodian; /* the node of the records' custodian */
    tn_chain *asked;     /* the node the grantee talks to */
    char pid[65], grantee[65];
    char (*rids)[65];
    size_t n;
} bd_world;

/* The largest Synthea patient bundle (by resources) in MEDCHAIN_SYNTHEA_DIR. */
static int bd_largest(char *path, size_t cap, size_t *count)
{
    DIR *d = opendir(MEDCHAIN_SYNTHEA_DIR);
    struct dirent *e;
    *count = 0;
    mc_buf b;
    mc_buf_init(&b, MC_FHIR_MAX_BUNDLE_BYTES);
    while (d && (e = readdir(d))) {
        char f[700];
        size_t nl = strlen(e->d_name);
        if (nl < 6 || strcmp(e->d_name + nl - 5, ".json") || !strchr(e->d_name, '_')) continue;
        snprintf(f, sizeof f, "%s/%s", MEDCHAIN_SYNTHEA_DIR, e->d_name);
        mc_fhir_bundle *fb = NULL;
        mc_fhir_error err;
        mc_buf_reset(&b);
        if (mc_file_read(f, &b) || mc_fhir_bundle_parse(&fb, b.p, b.n, &err)) continue;
        size_t n = mc_fhir_bundle_count(fb);
        if (n > *count) {
            *count = n;
            snprintf(path, cap, "%s", f);
        }
        mc_fhir_bundle_free(fb);
    }
    if (d) closedir(d);
    mc_buf_free(&b);
    return *count ? 0 : -1;
}

/* The patient, a physician of the custodian who ingests the chart, and a grantee at org @p gorg
 * (granted TREAT before the ingest, so that no key is re-wrapped for it: it gets every key from
 * the custodian's release). */
static int bd_setup(bd_world *x, const char *custodian_org, const char *grantee_org)
{
    mc_buf out;
    mc_buf_init(&out, 64u << 20);
    char key[500], doc[65], file[700];
    size_t count;
    x->w.quiet = 1;
    int rc = bd_largest(file, sizeof file, &count) || cw_keygen(&x->w, &out, "doc", "provider", doc) ||
             cw_enrol(&x->w, &out, custodian_org, "doc", "role=physician", 0) ||
             cw_keygen(&x->w, &out, "grantee", "provider", x->grantee) ||
             cw_enrol(&x->w, &out, grantee_org, "grantee", "role=physician", 0) ||
             cw_keygen(&x->w, &out, "patient", "patient", x->pid) ||
             cw_enrol(&x->w, &out, custodian_org, "patient", NULL, 1) ||
             cw_cli(&x->w, &out, "grant", "--key", cw_key(&x->w, "patient", key, sizeof key), "--to",
                    x->grantee, "--purpose", "TREAT", "--days", "30", NULL) ||
             cw_cli(&x->w, &out, "ingest", file, "--patient", x->pid, "--no-tokens", "--json", "--key",
                    cw_key(&x->w, "doc", key, sizeof key), "--node", x->custodian->url, NULL);
    json_t *m = rc ? NULL : json_loadb((const char *)out.p, out.n, JSON_DISABLE_EOF_CHECK, NULL);
    x->n = json_array_size(m);
    x->rids = calloc(x->n ? x->n : 1, 65);
    for (size_t i = 0; x->rids && i < x->n; i++)
        snprintf(x->rids[i], 65, "%s", json_string_value(json_object_get(json_array_get(m, i), "record")));
    json_decref(m);
    mc_buf_free(&out);
    if (!rc && (x->n != count || !x->rids || x->n > BD_MAX_RECORDS)) rc = -1;
    if (rc) fprintf(stderr, "bench_reads: cannot set up the chart (%d)\n", rc);
    return rc;
}

static void bench_chart_open(bd_world *x, int runs, double ed, const char *where)
{
    char **args = calloc(x->n + 16, sizeof *args), dir[500], key[500];
    double ms[16];
    int k = 0, ok = 1;
    args[k++] = "record";
    args[k++] = "get";
    for (size_t i = 0; i < x->n; i++) args[k++] = x->rids[i];
    args[k++] = "--out-dir";
    args[k++] = dir;
    args[k++] = "--key";
    args[k++] = (char *)cw_key(&x->w, "grantee", key, sizeof key);
    args[k++] = "--node";
    args[k++] = x->asked->url;
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    for (int r = 0; r < runs; r++) {
        snprintf(dir, sizeof dir, "%s/chart-%d", x->asked->dir, r);
        if (mc_dir_make(dir)) abort();
        uint64_t t0 = mc_time_mono_ns();
        ok &= cw_cliv(&x->w, &out, args, k) == 0;
        ms[r] = (double)(mc_time_mono_ns() - t0) / 1e6;
    }
    double p50 = bs_pct(ms, (size_t)runs, 0.5);
    printf(
        "{\"name\":\"chart_open\",\"value\":%.0f,\"unit\":\"ms\",\"where\":\"%s\",\"runs\":%d,\"min\":%.0f,"
        "\"max\":%.0f,\"records\":%zu,\"ok\":%s,\"ratio\":%.0f,\"ratio_unit\":\"ed25519 verifications\"}\n",
        p50, where, runs, bs_pct(ms, (size_t)runs, 0), bs_pct(ms, (size_t)runs, 1), x->n,
        ok ? "true" : "false", p50 / 1e3 * ed);
    fflush(stdout);
    mc_buf_free(&out);
    free(args);
}

typedef struct {
    bd_world *x;
    const mc_keys *keys;
    double secs;
    size_t served, failed;
    pthread_barrier_t *start;
} bd_reader;

static int bd_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* A request for 512 random distinct records of the chart (sorted), into @p req. */
static void bd_request(bd_world *x, uint32_t *seed, mc_buf *req)
{
    static __thread mc_read_request q;
    static __thread uint8_t pick[BD_MAX_RECORDS];
    size_t want = x->n < MC_MAX_READS ? x->n : MC_MAX_READS, got = 0;
    memset(pick, 0, sizeof pick);
    while (got < want) {
        *seed = *seed * 1103515245u + 12345u;
        size_t i = (*seed >> 8) % x->n;
        if (!pick[i]) pick[i] = 1, got++;
    }
    memset(&q, 0, sizeof q);
    q.purpose = MC_PURPOSE_TREAT;
    q.action = MC_ACTION_READ;
    q.by = MC_READS_BY_ID;
    for (size_t i = 0; i < x->n; i++)
        if (pick[i] && mc_hex_decode(q.ids[q.nids++].b, 32, x->rids[i], 64)) abort();
    qsort(q.ids, q.nids, sizeof q.ids[0], bd_id_cmp); /* the manifest's order is not the ids' */
    mc_buf_reset(req);
    if (mc_read_request_encode(req, &q)) abort();
}

static void *bd_reader_main(void *arg)
{
    bd_reader *r = arg;
    mc_http *h = tn_client(r->x->custodian, r->keys);
    mc_buf req, resp;
    mc_buf_init(&req, MC_MAX_READ_REQUEST_BYTES);
    mc_buf_init(&resp, 256u << 20);
    uint32_t seed;
    mc_random(&seed, sizeof seed);
    if (h) mc_http_set_content_type(h, "application/octet-stream");
    pthread_barrier_wait(r->start);
    uint64_t until = mc_time_mono_ns() + (uint64_t)(r->secs * 1e9);
    while (h && mc_time_mono_ns() < until) {
        bd_request(r->x, &seed, &req);
        long st = 0;
        mc_read_response rr;
        if (mc_http_request(h, "POST", MC_READS_TARGET, req.p, req.n, &st, &resp) || st != 200 ||
            mc_read_response_decode(&rr, resp.p, resp.n)) {
            r->failed++;
            continue;
        }
        for (uint32_t i = 0; i < rr.n; i++) rr.items[i].status == MC_READ_SERVED ? r->served++ : r->failed++;
        mc_read_response_clear(&rr);
    }
    mc_http_free(h);
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return NULL;
}

/* A second chart of 1,000 synthetic 4 KiB records for the same patient, whose ids replace the
 * chart's in @p x: requests of 512 records, as a whole-chart reader of a large chart makes. */
static int bd_big_chart(bd_world *x)
{
    char path[600], key[500];
    mc_buf out;
    mc_buf_init(&out, 64u << 20);
    snprintf(path, sizeof path, "%s/synthetic.json", x->custodian->dir);
    int rc = bs_synthetic_bundle(path, 1000) ||
             cw_cli(&x->w, &out, "ingest", path, "--patient", x->pid, "--no-tokens", "--json", "--key",
                    cw_key(&x->w, "doc", key, sizeof key), "--node", x->custodian->url, NULL);
    json_t *m = rc ? NULL : json_loadb((const char *)out.p, out.n, JSON_DISABLE_EOF_CHECK, NULL);
    size_t n = json_array_size(m);
    char(*rids)[65] = n == 1000 ? calloc(n, 65) : NULL;
    for (size_t i = 0; rids && i < n; i++)
        snprintf(rids[i], 65, "%s", json_string_value(json_object_get(json_array_get(m, i), "record")));
    json_decref(m);
    mc_buf_free(&out);
    if (!rids) return -1;
    free(x->rids);
    x->rids = rids;
    x->n = n;
    return 0;
}

static void bench_gatekeeper_read(bd_world *x, unsigned nreaders, int runs, double secs, double ed)
{
    mc_keys kg, kp;
    char key[500];
    if (bd_big_chart(x)) abort();
    if (mc_keyfile_read(cw_key(&x->w, "grantee", key, sizeof key), "test-passphrase", &kg) ||
        mc_keyfile_read(cw_key(&x->w, "patient", key, sizeof key), "test-passphrase", &kp))
        abort();
    double rates[16];
    size_t served = 0, failed = 0;
    for (int r = 0; r <= runs; r++) { /* run 0 warms up */
        bd_reader *rd = calloc(nreaders, sizeof *rd);
        pthread_t *th = calloc(nreaders, sizeof *th);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, nreaders + 1);
        for (unsigned k = 0; k < nreaders; k++) {
            rd[k] =
                (bd_reader){.x = x, .keys = k & 1 ? &kg : &kp, .secs = r ? secs : secs / 3, .start = &start};
            pthread_create(&th[k], NULL, bd_reader_main, &rd[k]);
        }
        pthread_barrier_wait(&start);
        uint64_t t0 = mc_time_mono_ns();
        size_t got = 0;
        for (unsigned k = 0; k < nreaders; k++) {
            pthread_join(th[k], NULL);
            got += rd[k].served;
            if (r) failed += rd[k].failed;
        }
        if (r) {
            rates[r - 1] = (double)got / ((double)(mc_time_mono_ns() - t0) / 1e9);
            served += got;
        }
        pthread_barrier_destroy(&start);
        free(rd);
        free(th);
    }
    double v = bs_pct(rates, (size_t)runs, 0.5);
    printf(
        "{\"name\":\"gatekeeper_read\",\"value\":%.0f,\"unit\":\"records/"
        "s\",\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
        "\"readers\":%u,\"per_request\":%d,\"records\":%zu,\"served\":%zu,\"failed\":%zu,\"ratio\":%.3f}\n",
        v, runs, bs_pct(rates, (size_t)runs, 0), bs_pct(rates, (size_t)runs, 1), nreaders,
        (int)(x->n < MC_MAX_READS ? x->n : MC_MAX_READS), x->n, served, failed, ed > 0 ? v / ed : 0);
    fflush(stdout);
    mc_wipe(&kg, sizeof kg);
    mc_wipe(&kp, sizeof kp);
}

/* One node: the custodian's; the grantee's org (a founding client org) runs none. */
static int bd_one_node(int runs, unsigned readers, double secs, int want_open, int want_read, double ed)
{
    tn_chain c;
    bd_world x;
    memset(&x, 0, sizeof x);
    const char *settings[] = {"read_rate=1000000", "read_burst=10000000", NULL};
    if (tn_create(&c, 1, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH) || tn_start(&c, settings) || cw_open(&x.w, &c) ||
        cw_org_key(&x.w, "hosp", &c.org) || cw_org_key(&x.w, "hospb", &c.clients[0]))
        return 1;
    x.custodian = x.asked = &c;
    int rc = bd_setup(&x, "hosp", "hospb");
    if (!rc && want_open) bench_chart_open(&x, runs < 5 ? 5 : runs, ed, "one node");
    if (!rc && want_read) bench_gatekeeper_read(&x, readers, runs, secs, ed);
    free(x.rids);
    tn_destroy(&c);
    return rc;
}

/* Four hospitals, each its own node, on a 3-member etcd cluster: the records at hospital 0,
 * the grantee at hospital 1, asking its own node. */
static int bd_cluster(int runs, double ed)
{
    cs_net *net;
    bd_world x;
    memset(&x, 0, sizeof x);
    if (cs_start_orgs(&net, 4, 3, 1, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH)) return 1;
    int rc = cw_open(&x.w, &net->node[0]) || cw_org_key(&x.w, "hosp", &net->node[0].org) ||
             cw_org_key(&x.w, "hospb", &net->node[0].clients[0]);
    x.custodian = &net->node[0];
    x.asked = &net->node[1];
    if (!rc) rc = bd_setup(&x, "hosp", "hospb");
    if (!rc) bench_chart_open(&x, runs < 5 ? 5 : runs, ed, "4-node cluster");
    free(x.rids);
    cs_destroy(net);
    return rc;
}

int main(int argc, char **argv)
{
    int runs = 3, want_open = 0, want_read = 0, nodes = 1;
    unsigned readers = 16;
    double secs = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
            readers = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
            nodes = atoi(argv[++i]);
        else if ((!strcmp(argv[i], "--per") || !strcmp(argv[i], "--requests") || !strcmp(argv[i], "--set") ||
                  !strcmp(argv[i], "--wait")) &&
                 i + 1 < argc)
            i++; /* the other programs': scripts/bench passes every flag to every program */
        else if (!strcmp(argv[i], "chart_open"))
            want_open = 1;
        else if (!strcmp(argv[i], "gatekeeper_read"))
            want_read = 1;
        else {
            fprintf(stderr, "usage: bench_reads [--runs N] [--clients N] [--nodes 1|4] [chart_open] "
                            "[gatekeeper_read]\n");
            return 2;
        }
    }
    if (!want_open && !want_read) want_open = want_read = 1;
    if (runs < 1 || runs > 15 || readers < 1 || readers > 256 || (nodes != 1 && nodes != 4)) return 2;
    signal(SIGPIPE, SIG_IGN);
    double ed = bs_ed25519(runs);
    int rc = bd_one_node(runs, readers, secs, want_open, want_read, ed);
    if (!rc && want_open && nodes == 4) rc = bd_cluster(runs, ed);
    if (rc) fprintf(stderr, "bench_reads: failed (%d)\n", rc);
    return rc ? 1 : 0;
}
