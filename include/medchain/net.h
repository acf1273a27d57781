/*
 * medchain net: the HTTP client (the only module that includes curl). Used by the CLI and the
 * benchmarks to talk to medchaind, and by the etcd orderer backend.
 *
 * A client keeps its connection alive between requests. Responses are read into a bounded
 * buffer. Signed requests carry the headers of DESIGN.md section 6:
 *   X-MC-Signer: hex id   X-MC-Time: unix ms   X-MC-Nonce: 32 hex   X-MC-Signature: 128 hex
 * over mc_request_digest().
 *
 * THREAD SAFETY: call mc_net_init() once before threads start. One mc_http per thread.
 */
#ifndef MEDCHAIN_NET_H
#define MEDCHAIN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Global initialisation of the HTTP library. @return MC_OK or MC_EUNAVAIL. */
int mc_net_init(void) MC_WARN_UNUSED_RESULT;

typedef struct mc_http mc_http;

/** The identity a client signs requests as (borrowed; must outlive the client's use). */
typedef struct {
    mc_hash chain;
    mc_id id;
    const mc_sign_sk *sk;
} mc_http_signer;

/**
 * A client for @p base_url (e.g. "http://127.0.0.1:7700"). @p max_response caps response bodies
 * (0: 64 MiB). @return MC_OK, MC_ENOMEM, MC_EINVAL.
 */
int mc_http_new(mc_http **pp, const char *base_url, size_t max_response) MC_WARN_UNUSED_RESULT;
void mc_http_free(mc_http *h);
/** Requests from now on are signed as @p s (NULL: unsigned). */
void mc_http_set_signer(mc_http *h, const mc_http_signer *s);
/** Content type of request bodies from now on (default "application/json"); the string is borrowed. */
void mc_http_set_content_type(mc_http *h, const char *ctype);
/** Trusts the PEM certificate(s) in @p path for HTTPS (else the system's store); borrowed. */
void mc_http_set_ca(mc_http *h, const char *path);
/** Total time allowed for one request, in milliseconds (default 60000). */
void mc_http_set_timeout(mc_http *h, long ms);

/**
 * Sends one request. @p path includes the query. @p body may be NULL for none.
 * On MC_OK, *status holds the HTTP status and @p resp (reset first) the body, NUL-terminated.
 * @return MC_OK, MC_EUNAVAIL (connection refused or reset), MC_ETIMEDOUT, MC_ETOOBIG, MC_ENOMEM.
 */
int mc_http_request(mc_http *h, const char *method, const char *path, const void *body, size_t n,
                    long *status, mc_buf *resp) MC_WARN_UNUSED_RESULT;

#ifdef __cplusplus
}
#endif
#endif
