/* Integration-test helpers over a node's HTTP API (nodeapi_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "nodeapi_util.h"

long na_get(mc_http *h, const char *path, mc_buf *resp)
{
    long st = 0;
    int rc = mc_http_request(h, "GET", path, NULL, 0, &st, resp);
    return rc ? -rc : st;
}

json_t *na_json(const mc_buf *b)
{
    json_t *j = json_loadb((const char *)b->p, b->n, 0, NULL);
    assert_non_null(j);
    return j;
}

json_t *na_get_json(tn_chain *c, const mc_keys *keys, const char *path)
{
    mc_http *h = tn_client(c, keys);
    mc_buf r;
    mc_buf_init(&r, 8u << 20);
    assert_int_equal(na_get(h, path, &r), 200);
    json_t *j = na_json(&r);
    mc_buf_free(&r);
    mc_http_free(h);
    return j;
}

static json_t *na_status(tn_chain *c)
{
    return na_get_json(c, NULL, "/v1/status");
}

json_int_t na_status_int(tn_chain *c, const char *key)
{
    json_t *j = na_status(c);
    json_t *v = json_object_get(j, key);
    assert_non_null(v);
    json_int_t x = json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
    json_decref(j);
    return x;
}

void na_status_str(tn_chain *c, const char *key, char out[65])
{
    json_t *j = na_status(c);
    const char *v = json_string_value(json_object_get(j, key));
    assert_non_null(v);
    snprintf(out, 65, "%s", v);
    json_decref(j);
}

void na_wait_status(tn_chain *c, const char *key, json_int_t want, int ms)
{
    for (int waited = 0; waited < ms; waited += 50) {
        if (na_status_int(c, key) >= want) return;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("node on port %u: %s did not reach %lld within %d ms (it is %lld)", c->port, key,
             (long long)want, ms, (long long)na_status_int(c, key));
}

json_int_t na_submit(tn_chain *c, const mc_keys *org, uint64_t nonce, const char *wait, const char *want,
                     long want_http, mc_hash *id)
{
    mc_http *h = tn_client(c, org);
    mc_buf tx, resp, body;
    mc_hash tid;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&resp, 1u << 20);
    mc_buf_init(&body, 1u << 20);
    assert_int_equal(tn_build_register(c, org, nonce, &tx, &tid), MC_OK);
    if (id) *id = tid;
    char path[96], hex[2 * MC_MAX_TX_BYTES + 1];
    snprintf(path, sizeof path, "/v1/tx?wait=%s", wait);
    mc_hex_encode(hex, tx.p, tx.n);
    assert_int_equal(mc_buf_printf(&body, "{\"tx\":\"%s\"}", hex), MC_OK);
    long st = 0;
    assert_int_equal(mc_http_request(h, "POST", path, body.p, body.n, &st, &resp), MC_OK);
    if (st != want_http)
        fprintf(stderr, "answer %ld from %s (nonce %llu): %.*s\n", st, c->url, (unsigned long long)nonce,
                (int)resp.n, (char *)resp.p);
    assert_int_equal(st, want_http);
    json_t *j = na_json(&resp);
    json_t *t = json_object_get(j, "tx");
    const char *got = json_string_value(json_object_get(t, "status"));
    assert_non_null(got);
    assert_string_equal(got, want);
    json_int_t height = json_integer_value(json_object_get(t, "height"));
    json_decref(j);
    mc_buf_free(&body);
    mc_buf_free(&tx);
    mc_buf_free(&resp);
    mc_http_free(h);
    return height;
}
