/* What the benchmark programs share: percentiles, and a client's timed loop of requests. */
#ifndef MEDCHAIN_BENCH_COMMON_H
#define MEDCHAIN_BENCH_COMMON_H

#include <pthread.h>
#include <stddef.h>

#include "medchain/net.h"

/* The @p p quantile (0..1, nearest rank) of @p v[0..n); sorts @p v in place. 0 when n is 0. */
double bs_pct(double *v, size_t n, double p);

/* Judges one answer (rc of mc_http_request, HTTP status, body): non-zero if it is a success. */
typedef int (*bs_ok_fn)(void *arg, int rc, long status, const mc_buf *resp);

/*
 * Waits at @p start (if not NULL), then POSTs the @p n bodies to @p path on @p h one after the
 * other, timing each into @p lat_ms[i] (milliseconds). @return how many @p ok refused.
 */
size_t bs_post_all(mc_http *h, const char *path, const mc_buf *bodies, size_t n, double *lat_ms, bs_ok_fn ok,
                   void *arg, pthread_barrier_t *start);

/*
 * The machine's ceiling in this run: Ed25519 verifications per second on every core (median of
 * @p runs of 20,000), printed as the "ed25519_verify" line; every throughput figure is also
 * given as a ratio to it. @return the median (0 on failure).
 */
double bs_ed25519(int runs);

/* A synthetic FHIR Bundle of @p n Observations of about 4 KiB each (random base64 text, no one's
 * data) written to @p path. @return 0, or non-zero on failure. */
int bs_synthetic_bundle(const char *path, size_t n);

#endif
