/*
 * Benchmarks of encrypted records through the real node, the real CLI and HTTP.
 *
 *   ingest           FHIR resources per second, end to end: C (default 8) concurrent `medchain
 *                    ingest` processes (one physician each) ingest the 20 Synthea patient bundles; each
 *                    resource is encrypted, its tokens computed, its anchor committed and its
 *                    ciphertext stored by the gatekeeper before the process exits. Rate = the
 *                    resources of a round over its wall time; median of --runs rounds.
 *   gatekeeper_read_single  authorised 4 KiB reads per second, one record a request, through the
 *                    gatekeeper's GET .../content (bench_reads has the whole-chart figure): R (default 64)
 * threads (the patient and the physician, alternately) GET the ciphertext of random records, each read
 * decided, logged as an access.log transaction and committed before its bytes are served (a 200 carries
 * X-MC-Log-Tx).
 *
 *   blob_put         the blob store alone (no node): 2 KiB ciphertexts (a typical FHIR resource)
 *                    stored in batches of 100, as an ingest upload stores them, each file
 *                    written, renamed and made durable: the file system's ceiling under ingest.
 *
 * --clients N sets both C and R. One JSON object per line: {"name","value","unit",...}.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cliworld.h"
#include "common.h"
#include "medchain/store.h"
#include "testnet.h"

#define BR_PATIENTS 20
#define BR_MAX_C    16

typedef struct {
    cw_world *w;
    char doc[16];
    char pids[BR_PATIENTS][65];
    char files[BR_PATIENTS][600];
    size_t n;
    size_t failed;
} br_author;

static void *br_author_main(void *arg)
{
    br_author *a = arg;
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    char key[500];
    cw_key(a->w, a->doc, key, sizeof key);
    for (size_t i = 0; i < a->n; i++)
        if (cw_cli(a->w, &out, "ingest", a->files[i], "--patient", a->pids[i], "--key", key, NULL))
            a->failed++;
    mc_buf_free(&out);
    return NULL;
}

/* The Synthea patient bundles, and their resource count in total. */
static size_t br_bundles(char files[BR_PATIENTS][600])
{
    char cmd[800];
    snprintf(cmd, sizeof cmd,
             "ls %s/*.json | grep -v -e hospitalInformation -e practitionerInformation | sort",
             MEDCHAIN_SYNTHEA_DIR);
    FILE *f = popen(cmd, "r");
    size_t n = 0;
    while (f && n < BR_PATIENTS && fgets(files[n], 600, f)) {
        files[n][strcspn(files[n], "\n")] = 0;
        n++;
    }
    if (f) pclose(f);
    return n;
}

static size_t br_count_resources(char files[BR_PATIENTS][600], size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        json_error_t e;
        json_t *j = json_load_file(files[i], 0, &e);
        total += json_array_size(json_object_get(j, "entry"));
        json_decref(j);
    }
    return total;
}

static void bench_ingest(tn_chain *c, cw_world *w, unsigned conc, int runs)
{
    static char files[BR_PATIENTS][600];
    size_t nb = br_bundles(files), total = br_count_resources(files, nb);
    br_author au[BR_MAX_C];
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    memset(au, 0, sizeof au);
    w->quiet = 1;
    for (unsigned k = 0; k < conc; k++) {
        char hex[65];
        au[k].w = w;
        snprintf(au[k].doc, sizeof au[k].doc, "doc%u", k);
        if (cw_keygen(w, &out, au[k].doc, "provider", hex) ||
            cw_enrol(w, &out, "hosp", au[k].doc, "role=physician", 0))
            abort();
    }
    for (size_t i = 0; i < nb; i++) {
        char name[16], pid[65], pk[500], dochex[65];
        br_author *a = &au[i % conc];
        snprintf(name, sizeof name, "p%02zu", i);
        if (cw_keygen(w, &out, name, "patient", pid) || cw_enrol(w, &out, "hosp", name, NULL, 1) ||
            cw_pub_id(w, a->doc, dochex) ||
            cw_cli(w, &out, "grant", "--key", cw_key(w, name, pk, sizeof pk), "--to", dochex, "--purpose",
                   "TREAT", "--days", "30", "--share-search-key", NULL))
            abort();
        memcpy(a->pids[a->n], pid, 65);
        memcpy(a->files[a->n++], files[i], 600);
    }
    double rates[16];
    size_t failed = 0;
    for (int r = 0; r <= runs; r++) { /* round 0 warms up */
        pthread_t th[BR_MAX_C];
        uint64_t t0 = mc_time_mono_ns();
        for (unsigned k = 0; k < conc; k++) pthread_create(&th[k], NULL, br_author_main, &au[k]);
        for (unsigned k = 0; k < conc; k++) pthread_join(th[k], NULL);
        double secs = (mc_time_mono_ns() - t0) / 1e9;
        if (r) rates[r - 1] = (double)total / secs;
    }
    for (unsigned k = 0; k < conc; k++) failed += au[k].failed;
    printf(
        "{\"name\":\"ingest\",\"value\":%.0f,\"unit\":\"resources/s\",\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
        "\"resources\":%zu,\"bundles\":%zu,\"concurrency\":%u,\"failed_bundles\":%zu}\n",
        bs_pct(rates, (size_t)runs, 0.5), runs, bs_pct(rates, (size_t)runs, 0),
        bs_pct(rates, (size_t)runs, 1), total, nb, conc, failed);
    fflush(stdout);
    mc_buf_free(&out);
}

typedef struct {
    tn_chain *c;
    const mc_keys *keys[2];
    char (*rids)[65];
    size_t nrids;
    double secs;
    size_t ok, failed, bytes;
    pthread_barrier_t *start;
} br_reader;

static void *br_reader_main(void *arg)
{
    br_reader *r = arg;
    mc_http *h[2] = {tn_client(r->c, r->keys[0]), tn_client(r->c, r->keys[1])};
    mc_buf resp;
    mc_buf_init(&resp, 1u << 20);
    uint32_t seed;
    mc_random(&seed, sizeof seed);
    pthread_barrier_wait(r->start);
    uint64_t t0 = mc_time_mono_ns(), until = t0 + (uint64_t)(r->secs * 1e9);
    for (unsigned i = 0; h[0] && h[1] && mc_time_mono_ns() < until; i++) {
        seed = seed * 1103515245u + 12345u;
        char path[200];
        snprintf(path, sizeof path, "/v1/records/%s/content?purpose=TREAT&action=read",
                 r->rids[(seed >> 8) % r->nrids]);
        long st = 0;
        if (!mc_http_request(h[i & 1], "GET", path, NULL, 0, &st, &resp) && st == 200 && resp.n > 4096) {
            r->ok++;
            r->bytes += resp.n;
        } else
            r->failed++;
    }
    mc_http_free(h[0]);
    mc_http_free(h[1]);
    mc_buf_free(&resp);
    return NULL;
}

static void bench_gatekeeper(tn_chain *c, cw_world *w, unsigned nreaders, int runs, double secs)
{
    mc_buf out;
    mc_buf_init(&out, 64u << 20);
    char doc[65], pat[65], path[600], key[500];
    w->quiet = 1;
    snprintf(path, sizeof path, "%s/binary.json", c->dir);
    if (cw_keygen(w, &out, "reader_doc", "provider", doc) ||
        cw_enrol(w, &out, "hosp", "reader_doc", "role=physician", 0) ||
        cw_keygen(w, &out, "reader_pat", "patient", pat) ||
        cw_enrol(w, &out, "hosp", "reader_pat", NULL, 1) ||
        cw_cli(w, &out, "grant", "--key", cw_key(w, "reader_pat", key, sizeof key), "--to", doc, "--purpose",
               "TREAT", "--days", "30", "--share-search-key", NULL) ||
        bs_synthetic_bundle(path, 1000) ||
        cw_cli(w, &out, "ingest", path, "--patient", pat, "--key", cw_key(w, "reader_doc", key, sizeof key),
               "--json", NULL))
        abort();
    json_t *m = json_loadb((const char *)out.p, out.n, JSON_DISABLE_EOF_CHECK, NULL);
    size_t nr = json_array_size(m);
    char(*rids)[65] = calloc(nr ? nr : 1, 65);
    for (size_t i = 0; i < nr; i++)
        snprintf(rids[i], 65, "%s", json_string_value(json_object_get(json_array_get(m, i), "record")));
    json_decref(m);
    mc_keys kd, kp;
    if (!nr || mc_keyfile_read(cw_key(w, "reader_doc", key, sizeof key), "test-passphrase", &kd) ||
        mc_keyfile_read(cw_key(w, "reader_pat", key, sizeof key), "test-passphrase", &kp))
        abort();
    double rates[16];
    size_t ok = 0, failed = 0, bytes = 0;
    for (int r = 0; r <= runs; r++) { /* run 0 warms up */
        br_reader *rd = calloc(nreaders, sizeof *rd);
        pthread_t *th = calloc(nreaders, sizeof *th);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, nreaders + 1);
        for (unsigned k = 0; k < nreaders; k++) {
            rd[k] = (br_reader){.c = c,
                                .keys = {k & 1 ? &kd : &kp, k & 1 ? &kp : &kd},
                                .rids = rids,
                                .nrids = nr,
                                .secs = r ? secs : secs / 3,
                                .start = &start};
            pthread_create(&th[k], NULL, br_reader_main, &rd[k]);
        }
        pthread_barrier_wait(&start);
        uint64_t t0 = mc_time_mono_ns();
        size_t rok = 0;
        for (unsigned k = 0; k < nreaders; k++) {
            pthread_join(th[k], NULL);
            rok += rd[k].ok;
            if (r) failed += rd[k].failed, bytes += rd[k].bytes;
        }
        double el = (mc_time_mono_ns() - t0) / 1e9;
        if (r) {
            rates[r - 1] = (double)rok / el;
            ok += rok;
        }
        pthread_barrier_destroy(&start);
        free(rd);
        free(th);
    }
    double ed = bs_ed25519(runs), v = bs_pct(rates, (size_t)runs, 0.5); /* the ceiling, in the same run */
    printf("{\"name\":\"gatekeeper_read_single\",\"value\":%.0f,\"unit\":\"reads/"
           "s\",\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
           "\"readers\":%u,\"records\":%zu,\"bytes_per_read\":%zu,\"reads\":%zu,\"failed\":%zu,\"ratio\":%."
           "3f}\n",
           v, runs, bs_pct(rates, (size_t)runs, 0), bs_pct(rates, (size_t)runs, 1), nreaders, nr,
           ok ? bytes / ok : 0, ok, failed, ed > 0 ? v / ed : 0);
    fflush(stdout);
    mc_wipe(&kd, sizeof kd);
    mc_wipe(&kp, sizeof kp);
    free(rids);
    mc_buf_free(&out);
}

/* The blob store's own rate, in a temporary directory beside the node's. */
static void bench_blob_put(tn_chain *c, int runs)
{
    enum { N = 20000, B = 100, SZ = 2048 };
    uint8_t *data = malloc((size_t)N * SZ);
    mc_hash *addrs = malloc(N * sizeof *addrs);
    mc_slice *blobs = malloc(N * sizeof *blobs);
    double rates[16];
    int ok = data && addrs && blobs;
    for (int r = 0; ok && r < runs; r++) {
        char dir[400];
        mc_blob_store *bs;
        snprintf(dir, sizeof dir, "%.300s/blobs-bench-%d", c->dir, r);
        mc_random(data, (size_t)N * SZ);
        for (size_t i = 0; i < N; i++) {
            blobs[i] = (mc_slice){data + i * SZ, SZ};
            mc_sha256(&addrs[i], blobs[i].p, SZ);
        }
        if (mc_store_blob_open(&bs, dir, NULL)) {
            ok = 0;
            break;
        }
        uint64_t t0 = mc_time_mono_ns();
        for (size_t i = 0; ok && i < N; i += B)
            ok = !mc_store_blob_put_many(bs, addrs + i, blobs + i, B, NULL);
        rates[r] = N / ((mc_time_mono_ns() - t0) / 1e9);
        mc_store_blob_close(bs);
    }
    /* removed after all runs: ext4 allocates inodes slowly right after a mass deletion, which
     * would penalise the runs that follow one */
    for (int r = 0; r < runs; r++) {
        char dir[400];
        snprintf(dir, sizeof dir, "%.300s/blobs-bench-%d", c->dir, r);
        char *rm[] = {"rm", "-rf", dir, NULL};
        tn_run(rm, NULL);
    }
    if (ok)
        printf("{\"name\":\"blob_put\",\"value\":%.0f,\"unit\":\"blobs/"
               "s\",\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
               "\"blobs\":%d,\"bytes\":%d,\"batch\":%d}\n",
               bs_pct(rates, (size_t)runs, 0.5), runs, bs_pct(rates, (size_t)runs, 0),
               bs_pct(rates, (size_t)runs, 1), N, SZ, B);
    fflush(stdout);
    free(data);
    free(addrs);
    free(blobs);
}

int main(int argc, char **argv)
{
    int runs = 3, want_ingest = 0, want_read = 0, want_blob = 0;
    unsigned conc = 8, readers = 64;
    double secs = 5;
    const char *settings[17] = {"access_rate=100000", "access_burst=1000000"};
    int nsettings = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
            conc = readers = (unsigned)atoi(argv[++i]);
        else if ((!strcmp(argv[i], "--per") || !strcmp(argv[i], "--requests") ||
                  !strcmp(argv[i], "--nodes")) &&
                 i + 1 < argc)
            i++; /* bench_chain's: scripts/bench passes every flag to every program */
        else if (!strcmp(argv[i], "--set") && i + 1 < argc && nsettings < 16)
            settings[nsettings++] = argv[++i];
        else if (!strcmp(argv[i], "ingest"))
            want_ingest = 1;
        else if (!strcmp(argv[i], "gatekeeper_read_single"))
            want_read = 1;
        else if (!strcmp(argv[i], "blob_put"))
            want_blob = 1;
        else {
            fprintf(stderr, "usage: bench_records [--runs N] [--clients N] [--set KEY=VALUE] [ingest] "
                            "[gatekeeper_read_single] [blob_put]\n");
            return 2;
        }
    }
    if (!want_ingest && !want_read && !want_blob) want_ingest = want_read = want_blob = 1;
    if (runs < 1 || runs > 15 || conc < 1 || readers > 512) return 2;
    if (conc > BR_MAX_C) conc = BR_MAX_C;
    signal(SIGPIPE, SIG_IGN);
    tn_chain c;
    cw_world w;
    if (tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH) || tn_start(&c, settings) || cw_open(&w, &c) ||
        cw_org_key(&w, "hosp", &c.org)) {
        fprintf(stderr, "bench_records: cannot start a node\n");
        return 1;
    }
    if (want_ingest) bench_ingest(&c, &w, conc, runs);
    if (want_read) bench_gatekeeper(&c, &w, readers, runs, secs);
    if (want_blob) bench_blob_put(&c, runs);
    tn_kill(&c, SIGTERM);
    tn_destroy(&c);
    return 0;
}
