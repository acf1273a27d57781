/* What the benchmark programs share. */
#include <stdlib.h>

#include "common.h"

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
