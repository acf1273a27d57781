/*
 * Small cmocka helpers for integration tests that drive real medchaind nodes over their HTTP
 * API (tests/support/testnet): a GET, a status field, a submission of one registration with a
 * wait, and waits on the status. Failures are cmocka assertions.
 */
#ifndef MEDCHAIN_NODEAPI_UTIL_H
#define MEDCHAIN_NODEAPI_UTIL_H

#include <jansson.h>

#include "testnet.h"

/* GET @p path into @p resp: the HTTP status, or a negated MC_E* code. */
long na_get(mc_http *h, const char *path, mc_buf *resp);
/* The JSON in @p b (asserts it parses). Caller decrefs. */
json_t *na_json(const mc_buf *b);
/* GET @p path from node @p c signed as @p keys (asserts HTTP 200): the JSON (caller decrefs). */
json_t *na_get_json(tn_chain *c, const mc_keys *keys, const char *path);
/* An integer or boolean member of node @p c's GET /v1/status. */
json_int_t na_status_int(tn_chain *c, const char *key);
/* A string member of node @p c's GET /v1/status into @p out (65 bytes: ids and hashes). */
void na_status_str(tn_chain *c, const char *key, char out[65]);
/* Waits (up to @p ms) until status member @p key of @p c is at least @p want. */
void na_wait_status(tn_chain *c, const char *key, json_int_t want, int ms);
/* Submits a provider registration signed by @p org with @p nonce to @p c with ?wait=@p wait;
 * asserts the HTTP status @p want_http and the transaction's status @p want; returns its height
 * (the id into @p id when not NULL). */
json_int_t na_submit(tn_chain *c, const mc_keys *org, uint64_t nonce, const char *wait, const char *want,
                     long want_http, mc_hash *id);

#endif
