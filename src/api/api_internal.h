/* Internal to the api module. */
#ifndef MEDCHAIN_API_INTERNAL_H
#define MEDCHAIN_API_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "medchain/api.h"

typedef struct mc_nonce_cache mc_nonce_cache;

struct mc_api {
    struct MHD_Daemon *d;
    mc_api_opts opts;
    mc_api_backend be;
    mc_nonce_cache *nonces;
    uint64_t started_ms; /* requests signed before this are refused: the nonce memory is new */
    char *tls_cert, *tls_key;
    /* metrics */
    atomic_uint_fast64_t requests, errors4, errors5, auth_refused, txs_submitted, bytes_in;
    atomic_uint_fast64_t lat_buckets[12]; /* request latency histogram, see metrics.c */
    atomic_uint_fast64_t lat_sum_us;
};

/* One request in flight. */
typedef struct {
    mc_buf body;
    int started;
    int answered; /* a response was queued before the body was read */
    int too_big;
    int target_too_long;
    uint64_t start_ns;
    char target[2048]; /* raw request target: path and query as sent */
} mc_req;

/* What a handler produces. */
typedef struct {
    unsigned status;
    json_t *json; /* owned; NULL for text */
    mc_buf text;  /* the body when is_text */
    int is_text;
    const char *ctype; /* content type of a text body */
} mc_resp;

/* The request as the handlers see it. */
typedef struct {
    mc_api *api;
    struct MHD_Connection *conn;
    const char *method;
    const char *path; /* without query */
    const char *full; /* path and query as signed */
    mc_slice body;
    mc_id signer; /* valid after auth */
} mc_call;

/* errors.c */
void mc_resp_error(mc_resp *r, unsigned status, const char *code, const char *message);
void mc_resp_err(mc_resp *r, int rc, const char *message);
unsigned mc_http_status_for(int rc);

/* auth.c */
int mc_nonce_cache_new(mc_nonce_cache **pp, uint64_t window_ms);
void mc_nonce_cache_free(mc_nonce_cache *c);
/* Checks a signed request (headers, clock, signer, signature, nonce). On failure fills @p r and
 * returns non-zero. */
int mc_api_authenticate(mc_call *call, mc_resp *r);
/* The checks that need no body (headers, clock, signer): run before the body is read, so that
 * only registered identities can make the node buffer a body. */
int mc_api_precheck(mc_call *call, mc_resp *r);
/* 1 for routes that need a signed request. */
int mc_api_route_signed(const char *path);

/* routes.c */
void mc_api_route(mc_call *call, mc_resp *r);

/* render.c: JSON for chain values */
json_t *mc_json_hex(const void *p, size_t n);
json_t *mc_json_identity(const mc_identity *idn);
json_t *mc_json_tx(const mc_tx *tx, int with_body);
json_t *mc_json_header(const mc_header *h, const mc_hash *hash);
/* Appends one submission outcome as a JSON object (hand-written: the hot path). */
int mc_txout_json(mc_buf *out, const mc_api_txout *o);

/* metrics.c */
void mc_api_observe(mc_api *api, unsigned status, uint64_t elapsed_ns);
void mc_api_metrics(mc_api *api, mc_buf *out);

#endif
