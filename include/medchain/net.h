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
/** Time allowed to connect (TCP and TLS handshake), in milliseconds (0, the default: curl's 300 s). */
void mc_http_set_connect_timeout(mc_http *h, long ms);
/**
 * Presents the PEM client certificate @p cert with its unencrypted PEM key @p key on HTTPS
 * connections (mutual TLS, e.g. to etcd); NULL for none. Both strings are borrowed.
 */
void mc_http_set_client_cert(mc_http *h, const char *cert, const char *key);

/**
 * Sends one request. @p path includes the query. @p body may be NULL for none.
 * On MC_OK, *status holds the HTTP status and @p resp (reset first) the body, NUL-terminated.
 * @return MC_OK, MC_EUNAVAIL (connection refused or reset), MC_ETIMEDOUT, MC_ETOOBIG, MC_ENOMEM.
 */
int mc_http_request(mc_http *h, const char *method, const char *path, const void *body, size_t n,
                    long *status, mc_buf *resp) MC_WARN_UNUSED_RESULT;

/**
 * The value of header @p name (case-insensitive; the first if repeated) of the last response
 * of mc_http_request, into @p out (NUL-terminated). @return MC_OK, MC_ENOTFOUND (absent, or no
 * response yet), MC_ETOOBIG (longer than @p cap - 1).
 */
int mc_http_header(mc_http *h, const char *name, char *out, size_t cap) MC_WARN_UNUSED_RESULT;

/**
 * Receives a streamed response body piece by piece, as it arrives (@p p is not NUL-terminated
 * and valid during the call only). @return 0 to go on, non-zero to end the transfer.
 */
typedef int (*mc_http_chunk_fn)(void *arg, const char *p, size_t n);

/**
 * A GET whose 2xx body is handed to @p fn as it arrives instead of being buffered: for
 * server-sent events (GET /v1/events). It ends when the server closes the stream, when @p fn
 * returns non-zero, when nothing at all (not even a keep-alive) arrives for @p idle_ms (> 0;
 * whole seconds), or after the client's total timeout (mc_http_set_timeout; 0: none). A body
 * that is not 2xx (an error) goes to @p err, reset first and NUL-terminated. @p header is one
 * extra request header line ("Last-Event-ID: 12:0:1") or NULL. Signed like mc_http_request.
 * @return MC_OK (closed by the server or by @p fn; *status holds the HTTP status),
 * MC_EUNAVAIL (connection refused or dropped), MC_ETIMEDOUT (idle or total time over),
 * MC_ETOOBIG (an error body over the cap), MC_ENOMEM.
 */
int mc_http_stream(mc_http *h, const char *path, const char *header, long idle_ms, long *status,
                   mc_http_chunk_fn fn, void *arg, mc_buf *err) MC_WARN_UNUSED_RESULT;

/**
 * As mc_http_stream, with a method and a request body (@p body may be NULL for none): for
 * streams a POST opens, such as etcd's /v3/watch. @p idle_ms 0: no idle limit.
 * @return as mc_http_stream.
 */
int mc_http_stream_body(mc_http *h, const char *method, const char *path, const void *body, size_t n,
                        const char *header, long idle_ms, long *status, mc_http_chunk_fn fn, void *arg,
                        mc_buf *err) MC_WARN_UNUSED_RESULT;

#ifdef __cplusplus
}
#endif
#endif
