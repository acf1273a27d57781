/* Prometheus metrics of the API: counters and a request-latency histogram. No labels carry ids. */
#include <stdio.h>

#include "api_internal.h"

static const uint64_t mc_lat_bounds_us[11] = {250,   500,   1000,   2500,   5000,   10000,
                                              25000, 50000, 100000, 250000, 1000000};

void mc_api_observe(mc_api *api, unsigned status, uint64_t elapsed_ns)
{
    atomic_fetch_add(&api->requests, 1);
    if (status >= 400 && status < 500) atomic_fetch_add(&api->errors4, 1);
    if (status >= 500) atomic_fetch_add(&api->errors5, 1);
    uint64_t us = elapsed_ns / 1000;
    unsigned b = 0;
    while (b < 11 && us > mc_lat_bounds_us[b]) b++;
    atomic_fetch_add(&api->lat_buckets[b], 1);
    atomic_fetch_add(&api->lat_sum_us, us);
}

void mc_api_metrics(mc_api *api, mc_buf *out)
{
    int rc = mc_buf_printf(
        out,
        "# HELP medchain_http_requests_total HTTP requests served.\n"
        "# TYPE medchain_http_requests_total counter\n"
        "medchain_http_requests_total %llu\n"
        "# TYPE medchain_http_client_errors_total counter\n"
        "medchain_http_client_errors_total %llu\n"
        "# TYPE medchain_http_server_errors_total counter\n"
        "medchain_http_server_errors_total %llu\n"
        "# TYPE medchain_http_auth_refused_total counter\n"
        "medchain_http_auth_refused_total %llu\n"
        "# TYPE medchain_http_request_bytes_total counter\n"
        "medchain_http_request_bytes_total %llu\n"
        "# TYPE medchain_tx_submitted_total counter\n"
        "medchain_tx_submitted_total %llu\n"
        "# HELP medchain_http_request_seconds Request latency.\n"
        "# TYPE medchain_http_request_seconds histogram\n",
        (unsigned long long)atomic_load(&api->requests), (unsigned long long)atomic_load(&api->errors4),
        (unsigned long long)atomic_load(&api->errors5), (unsigned long long)atomic_load(&api->auth_refused),
        (unsigned long long)atomic_load(&api->bytes_in),
        (unsigned long long)atomic_load(&api->txs_submitted));
    uint64_t cum = 0;
    for (unsigned b = 0; b < 12 && !rc; b++) {
        cum += atomic_load(&api->lat_buckets[b]);
        if (b < 11)
            rc = mc_buf_printf(out, "medchain_http_request_seconds_bucket{le=\"%g\"} %llu\n",
                               mc_lat_bounds_us[b] / 1e6, (unsigned long long)cum);
        else
            rc = mc_buf_printf(out,
                               "medchain_http_request_seconds_bucket{le=\"+Inf\"} %llu\n"
                               "medchain_http_request_seconds_sum %g\n"
                               "medchain_http_request_seconds_count %llu\n",
                               (unsigned long long)cum, atomic_load(&api->lat_sum_us) / 1e6,
                               (unsigned long long)cum);
    }
    (void)rc; /* a truncated metrics page is still served */
}
