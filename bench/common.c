/* What the benchmark programs share. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "medchain/crypto.h"

static int bs_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bs_pct(double *v, size_t n, double p)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, bs_cmp);
    return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

size_t bs_post_all(mc_http *h, const char *path, const mc_buf *bodies, size_t n, double *lat_ms, bs_ok_fn ok,
                   void *arg, pthread_barrier_t *start)
{
    mc_buf resp;
    size_t failed = 0;
    mc_buf_init(&resp, 64u << 20);
    if (start) pthread_barrier_wait(start);
    for (size_t i = 0; i < n; i++) {
        long st = 0;
        uint64_t t0 = mc_time_mono_ns();
        int rc = mc_http_request(h, "POST", path, bodies[i].p, bodies[i].n, &st, &resp);
        lat_ms[i] = (double)(mc_time_mono_ns() - t0) / 1e6;
        if (!ok(arg, rc, st, &resp)) failed++;
    }
    mc_buf_free(&resp);
    return failed;
}

double bs_ed25519(int runs)
{
    enum { N = 20000 };
    mc_verify_item *items = calloc(N, sizeof *items);
    mc_sign_pk pk;
    mc_sign_sk sk;
    mc_sig sig;
    uint8_t msg[32] = {1};
    double rates[16];
    if (!items || runs < 1 || runs > 16) {
        free(items);
        return 0;
    }
    mc_sign_keypair(&pk, &sk);
    mc_sign(&sig, msg, sizeof msg, &sk);
    for (size_t i = 0; i < N; i++) items[i] = (mc_verify_item){&sig, &pk, msg, sizeof msg, 0};
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = mc_time_mono_ns();
        size_t bad = mc_verify_many(items, N, 0);
        rates[r] = N / ((double)(mc_time_mono_ns() - t0) / 1e9);
        if (bad) rates[r] = 0;
    }
    double median = bs_pct(rates, (size_t)runs, 0.5);
    printf(
        "{\"name\":\"ed25519_verify\",\"value\":%.0f,\"unit\":\"verifications/s\",\"runs\":%d,\"min\":%.0f,"
        "\"max\":%.0f,\"threads\":%ld}\n",
        median, runs, bs_pct(rates, (size_t)runs, 0), bs_pct(rates, (size_t)runs, 1),
        sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);
    mc_wipe(&sk, sizeof sk);
    free(items);
    return median;
}

int bs_synthetic_bundle(const char *path, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    mc_buf b;
    mc_buf_init(&b, 64u << 20);
    uint8_t raw[2970];
    char data[3960];
    int rc = mc_buf_append(&b, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[", 54);
    for (size_t i = 0; i < n && !rc; i++) {
        mc_random(raw, sizeof raw);
        for (size_t k = 0; k < sizeof data; k++) data[k] = b64[raw[k % sizeof raw] & 63];
        char head[200];
        int hn =
            snprintf(head, sizeof head,
                     "%s{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"s%zu\",\"status\":\"final\","
                     "\"code\":{\"text\":\"synthetic\"},\"valueString\":\"",
                     i ? "," : "", i);
        rc = mc_buf_append(&b, head, (size_t)hn) || mc_buf_append(&b, data, sizeof data) ||
             mc_buf_append(&b, "\"}}", 3);
    }
    if (!rc) rc = mc_buf_append(&b, "]}", 2) || mc_file_write_atomic(path, b.p, b.n, 0600);
    mc_buf_free(&b);
    return rc;
}
