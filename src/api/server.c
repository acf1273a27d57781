/*
 * The HTTP server: one thread per connection (libmicrohttpd), bodies read into a capped
 * buffer, one dispatch per request, JSON responses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "api_internal.h"

static enum MHD_Result mc_api_send(struct MHD_Connection *conn, mc_resp *r)
{
    struct MHD_Response *resp;
    if (r->stream) { /* headers set by the route; MHD holds its own reference once queued */
        resp = r->stream;
        r->stream = NULL;
    } else if (r->is_text) {
        resp = MHD_create_response_from_buffer(r->text.n, r->text.p, MHD_RESPMEM_MUST_COPY);
        if (resp)
            MHD_add_response_header(resp, "Content-Type", r->ctype ? r->ctype : "text/plain; version=0.0.4");
    } else {
        char *s = json_dumps(r->json, JSON_COMPACT);
        if (!s) return MHD_NO;
        size_t n = strlen(s);
        resp = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(s);
        else
            MHD_add_response_header(resp, "Content-Type", "application/json");
    }
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->retry_after[0]) MHD_add_response_header(resp, "Retry-After", r->retry_after);
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

int mc_resp_bytes(mc_resp *r, unsigned status, void *p, size_t n, const char *ctype)
{
    struct MHD_Response *resp;
    if (n == 0) {
        free(p);
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else if (!(resp = MHD_create_response_from_buffer(n, p, MHD_RESPMEM_MUST_FREE))) {
        free(p); /* not taken over */
    }
    if (!resp) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        return MC_ENOMEM;
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    json_decref(r->json);
    r->json = NULL;
    r->is_text = 0;
    r->stream = resp;
    r->status = status;
    return MC_OK;
}

void mc_resp_header(mc_resp *r, const char *name, const char *value)
{
    if (r->stream) MHD_add_response_header(r->stream, name, value);
}

/* Called first for every request with the raw target (path and query, as the client signed
 * it): allocates the request's state, with the body cap of its route (ciphertext uploads have
 * their own, larger one). */
static void *mc_api_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    mc_api *api = cls;
    mc_req *req = calloc(1, sizeof *req);
    if (!req) return NULL;
    req->max_body = mc_api_content_path(uri) ? api->opts.max_content : api->opts.max_body;
    mc_buf_init(&req->body, req->max_body);
    req->start_ns = mc_time_mono_ns();
    size_t n = strlen(uri);
    if (n < sizeof req->target)
        memcpy(req->target, uri, n + 1);
    else
        req->target_too_long = 1;
    return req;
}

static enum MHD_Result mc_api_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload,
                                      size_t *upload_size, void **con_cls)
{
    mc_api *api = cls;
    mc_req *req = *con_cls;
    if (!req) return MHD_NO;
    if (!req->started) { /* first call: headers only; refuse what can be refused before any body */
        req->started = 1;
        mc_resp r = {0};
        mc_buf_init(&r.text, 0);
        const char *zl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        uint64_t len = 0;
        mc_call call = {.api = api, .conn = conn, .method = method, .path = url, .full = req->target};
        if (zl && (mc_parse_u64(zl, &len) || len > req->max_body)) {
            char msg[96];
            snprintf(msg, sizeof msg, "request body over the limit of %zu bytes", req->max_body);
            mc_resp_error(&r, 413, "ETOOBIG", msg);
        } else if (!req->target_too_long && mc_api_route_signed(url)) {
            mc_api_precheck(&call, &r);
        }
        if (!r.status) return MHD_YES;
        enum MHD_Result ret = mc_api_send(conn, &r);
        mc_api_observe(api, r.status, mc_time_mono_ns() - req->start_ns);
        json_decref(r.json);
        req->answered = 1;
        return ret;
    }
    if (req->answered) { /* refused early: drop the body */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* over the cap: keep reading (and dropping) so the client gets a clean 413 */
        if (!req->too_big && mc_buf_append(&req->body, upload, *upload_size) != MC_OK) {
            req->too_big = 1;
            mc_buf_free(&req->body);
        }
        atomic_fetch_add(&api->bytes_in, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }

    mc_resp r = {0};
    mc_buf_init(&r.text, 16u << 20);
    if (req->too_big) {
        char msg[96];
        snprintf(msg, sizeof msg, "request body over the limit of %zu bytes", req->max_body);
        mc_resp_error(&r, 413, "ETOOBIG", msg);
    } else if (req->target_too_long) {
        mc_resp_error(&r, MHD_HTTP_URI_TOO_LONG, "ETOOBIG", "request target too long");
    } else {
        mc_call call = {.api = api,
                        .conn = conn,
                        .method = method,
                        .path = url,
                        .full = req->target,
                        .body = {req->body.p, req->body.n}};
        mc_api_route(&call, &r);
    }
    if (!r.status) mc_resp_error(&r, 500, "EINTERNAL", "no response");
    unsigned status = r.status;
    enum MHD_Result ret = mc_api_send(conn, &r);
    mc_api_observe(api, status, mc_time_mono_ns() - req->start_ns);
    json_decref(r.json);
    mc_buf_free(&r.text);
    return ret;
}

static void mc_api_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    mc_req *req = *con_cls;
    if (!req) return;
    mc_buf_free(&req->body);
    free(req);
    *con_cls = NULL;
}

static void mc_api_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    mc_log(MC_LOG_WARN, "api", "http: %s", line);
}

static char *mc_read_pem(const char *path)
{
    mc_buf b;
    mc_buf_init(&b, 1u << 20);
    if (mc_file_read(path, &b) != MC_OK || mc_buf_cstr(&b) != MC_OK) {
        mc_buf_free(&b);
        return NULL;
    }
    return (char *)b.p;
}

int mc_api_start(mc_api **pp, const mc_api_opts *opts, const mc_api_backend *backend)
{
    *pp = NULL;
    mc_api *api = calloc(1, sizeof *api);
    if (!api) return MC_ENOMEM;
    api->opts = *opts;
    api->be = *backend;
    if (!api->opts.max_body) api->opts.max_body = 8u << 20;
    if (!api->opts.max_content) api->opts.max_content = 16u << 20;
    if (!api->opts.max_conns) api->opts.max_conns = 512;
    if (!api->opts.skew_ms) api->opts.skew_ms = 30000;
    if (!api->opts.max_txs) api->opts.max_txs = 4096;
    if (!api->opts.default_timeout_ms) api->opts.default_timeout_ms = 30000;
    if (!api->opts.access_rate) api->opts.access_rate = 20;
    if (!api->opts.access_burst) api->opts.access_burst = 100;
    if (!api->opts.read_rate) api->opts.read_rate = 2000;
    if (!api->opts.read_burst) api->opts.read_burst = 8192;
    api->started_ms = mc_time_now_ms();
    int rc = mc_nonce_cache_new(&api->nonces, api->opts.skew_ms);
    if (rc) goto fail;
    if ((rc = mc_rate_table_new(&api->access_rate, api->opts.access_rate, api->opts.access_burst))) goto fail;
    if ((rc = mc_rate_table_new(&api->read_rate, api->opts.read_rate, api->opts.read_burst))) goto fail;

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(opts->port);
    if (inet_pton(AF_INET, opts->bind ? opts->bind : "127.0.0.1", &sa.sin_addr) != 1) {
        rc = MC_EINVAL;
        goto fail;
    }
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (opts->tls_cert || opts->tls_key) {
        api->tls_cert = opts->tls_cert ? mc_read_pem(opts->tls_cert) : NULL;
        api->tls_key = opts->tls_key ? mc_read_pem(opts->tls_key) : NULL;
        if (!api->tls_cert || !api->tls_key) {
            rc = MC_EINVAL;
            goto fail;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, api->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, api->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    api->d = MHD_start_daemon(
        flags, 0, NULL, NULL, mc_api_handler, api, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)api->opts.max_conns, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_NOTIFY_COMPLETED, mc_api_completed, api, MHD_OPTION_URI_LOG_CALLBACK, mc_api_uri_log, api,
        MHD_OPTION_EXTERNAL_LOGGER, mc_api_mhd_log, api, MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512u << 10),
        MHD_OPTION_ARRAY, (flags & MHD_USE_TLS) ? tls : tls + 2, MHD_OPTION_END);
    if (!api->d) {
        rc = MC_EIO;
        goto fail;
    }
    *pp = api;
    return MC_OK;
fail:
    mc_nonce_cache_free(api->nonces);
    mc_rate_table_free(api->access_rate);
    mc_rate_table_free(api->read_rate);
    free(api->tls_cert);
    free(api->tls_key);
    free(api);
    return rc;
}

uint16_t mc_api_port(const mc_api *api)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(api->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void mc_api_stop(mc_api *api)
{
    if (!api) return;
    /* open event streams notice this within a second and end, so the daemon's join of their
     * connection threads below does not wait on them */
    atomic_store(&api->stopping, 1);
    MHD_stop_daemon(api->d);
    mc_nonce_cache_free(api->nonces);
    mc_rate_table_free(api->access_rate);
    mc_rate_table_free(api->read_rate);
    free(api->tls_cert);
    free(api->tls_key);
    free(api);
}
