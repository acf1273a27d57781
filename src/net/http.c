/* The HTTP client over libcurl: keep-alive connections, bounded responses, signed requests. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/net.h"

struct mc_http {
    CURL *curl;
    char *base;
    size_t max_response;
    long timeout_ms;
    const char *ctype;
    const char *ca;
    const char *cert; /* client certificate and key (mutual TLS) */
    const char *key;
    long connect_ms;
    int have_signer;
    mc_http_signer signer;
    mc_buf *sink;
    int overflow;
    mc_http_chunk_fn chunk; /* streaming (mc_http_stream): 2xx bodies go here, not to sink */
    void *chunk_arg;
    int stopped; /* the chunk function asked to end the transfer */
};

int mc_net_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? MC_OK : MC_EUNAVAIL;
}

int mc_http_new(mc_http **pp, const char *base_url, size_t max_response)
{
    *pp = NULL;
    if (!base_url || strncmp(base_url, "http", 4) != 0) return MC_EINVAL;
    mc_http *h = calloc(1, sizeof *h);
    if (!h) return MC_ENOMEM;
    h->curl = curl_easy_init();
    h->base = strdup(base_url);
    if (!h->curl || !h->base) {
        mc_http_free(h);
        return MC_ENOMEM;
    }
    size_t bl = strlen(h->base);
    while (bl > 0 && h->base[bl - 1] == '/') h->base[--bl] = 0;
    h->max_response = max_response ? max_response : (64u << 20);
    h->timeout_ms = 60000;
    h->ctype = "application/json";
    *pp = h;
    return MC_OK;
}

void mc_http_free(mc_http *h)
{
    if (!h) return;
    if (h->curl) curl_easy_cleanup(h->curl);
    free(h->base);
    free(h);
}

void mc_http_set_signer(mc_http *h, const mc_http_signer *s)
{
    h->have_signer = s != NULL;
    if (s) h->signer = *s;
}

void mc_http_set_timeout(mc_http *h, long ms)
{
    h->timeout_ms = ms;
}

void mc_http_set_content_type(mc_http *h, const char *ctype)
{
    h->ctype = ctype;
}

void mc_http_set_ca(mc_http *h, const char *path)
{
    h->ca = path;
}

void mc_http_set_connect_timeout(mc_http *h, long ms)
{
    h->connect_ms = ms;
}

void mc_http_set_client_cert(mc_http *h, const char *cert, const char *key)
{
    h->cert = cert;
    h->key = key;
}

static size_t mc_http_write(char *p, size_t size, size_t nmemb, void *arg)
{
    mc_http *h = arg;
    size_t n = size * nmemb;
    long code = 0;
    if (h->chunk && curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code >= 200 &&
        code < 300) {
        if (h->chunk(h->chunk_arg, p, n) == 0) return n;
        h->stopped = 1;
        return 0; /* aborts the transfer */
    }
    if (mc_buf_append(h->sink, p, n) != MC_OK) {
        h->overflow = 1;
        return 0; /* aborts the transfer */
    }
    return n;
}

/* Adds the four X-MC-* headers that authenticate the request. */
static struct curl_slist *mc_http_sign(mc_http *h, struct curl_slist *hdrs, const char *method,
                                       const char *path, const void *body, size_t n)
{
    uint8_t nonce[MC_REQ_NONCE_BYTES];
    uint64_t now = mc_time_now_ms();
    mc_hash bh, digest;
    mc_sig sig;
    char line[256], hex[129];
    mc_random(nonce, sizeof nonce);
    mc_sha256(&bh, body ? body : "", body ? n : 0);
    mc_request_digest(&digest, &h->signer.chain, &h->signer.id, now, nonce, method, path, &bh);
    mc_sign(&sig, digest.b, 32, h->signer.sk);
    mc_hex_encode(hex, h->signer.id.b, 32);
    snprintf(line, sizeof line, "X-MC-Signer: %s", hex);
    hdrs = curl_slist_append(hdrs, line);
    snprintf(line, sizeof line, "X-MC-Time: %llu", (unsigned long long)now);
    hdrs = curl_slist_append(hdrs, line);
    mc_hex_encode(hex, nonce, sizeof nonce);
    snprintf(line, sizeof line, "X-MC-Nonce: %s", hex);
    hdrs = curl_slist_append(hdrs, line);
    mc_hex_encode(hex, sig.b, 64);
    snprintf(line, sizeof line, "X-MC-Signature: %s", hex);
    return curl_slist_append(hdrs, line);
}

/* One request; the body goes to h->sink, or to h->chunk when streaming. @p header: one extra
 * header line or NULL; @p idle_ms > 0 ends a transfer on which nothing arrived for that long. */
static int mc_http_perform(mc_http *h, const char *method, const char *path, const void *body, size_t n,
                           const char *header, long idle_ms, long *status)
{
    *status = 0;
    size_t ul = strlen(h->base) + strlen(path) + 1;
    char *url = malloc(ul);
    if (!url) return MC_ENOMEM;
    snprintf(url, ul, "%s%s", h->base, path);
    char ct[160];
    snprintf(ct, sizeof ct, "Content-Type: %s", h->ctype);
    struct curl_slist *hdrs = curl_slist_append(NULL, ct);
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    if (header) hdrs = curl_slist_append(hdrs, header);
    if (h->have_signer) hdrs = mc_http_sign(h, hdrs, method, path, body, n);
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    if (idle_ms > 0) { /* under one byte a second for that long: the peer is gone */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, idle_ms < 1000 ? 1L : idle_ms / 1000);
    }
    if (h->ca) curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
    if (h->cert) curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
    if (h->key) curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
    if (h->connect_ms > 0) curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mc_http_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    h->overflow = 0;
    h->stopped = 0;
    CURLcode cc = curl_easy_perform(c);
    int rc = MC_OK;
    if (h->overflow)
        rc = MC_ETOOBIG;
    else if (h->stopped)
        rc = MC_OK;
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        rc = MC_ETIMEDOUT;
    else if (cc != CURLE_OK)
        rc = MC_EUNAVAIL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdrs);
    free(url);
    return rc;
}

int mc_http_request(mc_http *h, const char *method, const char *path, const void *body, size_t n,
                    long *status, mc_buf *resp)
{
    mc_buf_reset(resp);
    h->sink = resp;
    h->chunk = NULL;
    int rc = mc_http_perform(h, method, path, body, n, NULL, 0, status);
    if (!rc) rc = mc_buf_cstr(resp);
    if (rc) *status = 0;
    return rc;
}

int mc_http_header(mc_http *h, const char *name, char *out, size_t cap)
{
    struct curl_header *hd = NULL;
    if (cap) out[0] = 0;
    if (curl_easy_header(h->curl, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || !hd) return MC_ENOTFOUND;
    size_t n = strlen(hd->value);
    if (n >= cap) return MC_ETOOBIG;
    memcpy(out, hd->value, n + 1);
    return MC_OK;
}

int mc_http_stream_body(mc_http *h, const char *method, const char *path, const void *body, size_t n,
                        const char *header, long idle_ms, long *status, mc_http_chunk_fn fn, void *arg,
                        mc_buf *err)
{
    mc_buf_reset(err);
    h->sink = err;
    h->chunk = fn;
    h->chunk_arg = arg;
    int rc = mc_http_perform(h, method, path, body, n, header, idle_ms, status);
    h->chunk = NULL;
    if (!rc && mc_buf_cstr(err)) rc = MC_ETOOBIG;
    return rc;
}

int mc_http_stream(mc_http *h, const char *path, const char *header, long idle_ms, long *status,
                   mc_http_chunk_fn fn, void *arg, mc_buf *err)
{
    return mc_http_stream_body(h, "GET", path, NULL, 0, header, idle_ms, status, fn, arg, err);
}
