/* Internal to the api module. */
#ifndef MEDCHAIN_API_INTERNAL_H
#define MEDCHAIN_API_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "medchain/api.h"
#include "medchain/policy.h"

typedef struct mc_nonce_cache mc_nonce_cache;
typedef struct mc_rate_table mc_rate_table;

struct mc_api {
    struct MHD_Daemon *d;
    mc_api_opts opts;
    mc_api_backend be;
    mc_nonce_cache *nonces;
    mc_rate_table *access_rate; /* logged reads per signer */
    mc_rate_table *read_rate;   /* records read through POST /v1/reads per signer */
    atomic_int stopping;        /* mc_api_stop has begun: event streams end */
    uint64_t started_ms;        /* requests signed before this are refused: the nonce memory is new */
    char *tls_cert, *tls_key;
    /* metrics */
    atomic_uint_fast64_t requests, errors4, errors5, auth_refused, txs_submitted, bytes_in;
    atomic_uint_fast64_t lat_buckets[12]; /* request latency histogram, see metrics.c */
    atomic_uint_fast64_t lat_sum_us;
};

/* One request in flight. */
typedef struct {
    mc_buf body;
    size_t max_body; /* this route's body cap: max_content for the content routes, else max_body */
    int started;
    int answered; /* a response was queued before the body was read */
    int too_big;
    int target_too_long;
    uint64_t start_ns;
    char target[8192]; /* raw request target: path and query as sent (a search names up to
                        * 64 tokens of 64 hex digits) */
} mc_req;

/* What a handler produces. */
typedef struct {
    unsigned status;
    json_t *json; /* owned; NULL for text */
    mc_buf text;  /* the body when is_text */
    int is_text;
    const char *ctype;           /* content type of a text body */
    struct MHD_Response *stream; /* owned; a streamed body (events) instead of json or text */
    char retry_after[12];        /* a Retry-After header (seconds) when not empty */
} mc_resp;

/* The request as the handlers see it. */
typedef struct {
    mc_api *api;
    struct MHD_Connection *conn;
    const char *method;
    const char *path; /* without query */
    const char *full; /* path and query as signed */
    mc_slice body;
    /* valid after auth: the caller and its signed request as sent (an access.log carries it) */
    mc_id signer;
    uint8_t signer_kind; /* enum mc_identity_kind */
    mc_id signer_org;    /* the enrolling org for a patient, which is no member of it */
    int org_active;      /* 0 if the caller is staff, a node or an auditor of a revoked org, else 1
                          * (an org: itself, and auth refuses a revoked one; a patient: always) */
    uint64_t time_ms;    /* X-MC-Time as signed: a logged read carries it; never decided at */
    uint8_t nonce[MC_REQ_NONCE_BYTES];
    mc_sig sig;
    mc_hash digest;       /* the request digest sig verified over ... */
    mc_sign_pk signer_pk; /* ... with this key (the signature cache's entry for a logged read) */
} mc_call;

/* errors.c */
void mc_resp_error(mc_resp *r, unsigned status, const char *code, const char *message);
void mc_resp_err(mc_resp *r, int rc, const char *message);
unsigned mc_http_status_for(int rc);
/* 403 EDENIED: the policy (or the route's rule) refuses; @p message is a fixed sentence. */
void mc_resp_denied(mc_resp *r, const char *message);
/* 409 ENOTCUSTODIAN: this node's org does not hold the record. */
void mc_resp_not_custodian(mc_resp *r);
/* 429 ETOOMANY with Retry-After: the caller is over its rate of logged reads. */
void mc_resp_too_many(mc_resp *r);
/* 404 ENOCONTENT: the record is anchored but its ciphertext was not uploaded to this node. */
void mc_resp_no_content(mc_resp *r);

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

/* ratelimit.c: a token bucket per signer in a fixed table (least recently used evicted). */
/* @return MC_OK, MC_EINVAL (@p rate or @p burst 0), MC_ENOMEM. */
int mc_rate_table_new(mc_rate_table **pp, unsigned rate, unsigned burst);
void mc_rate_table_free(mc_rate_table *t);
/* Takes one token from @p signer's bucket. @return MC_OK, or MC_EAGAIN (none left: refuse).
 * Thread-safe. */
int mc_rate_take(mc_rate_table *t, const mc_id *signer);
/* Takes @p n tokens at once. @return MC_OK, MC_EAGAIN (not enough yet: @p retry_s, if not NULL,
 * says in how many seconds there will be), MC_ETOOBIG (more than the burst: never). */
int mc_rate_take_n(mc_rate_table *t, const mc_id *signer, unsigned n, unsigned *retry_s);

/* routes.c */
void mc_api_route(mc_call *call, mc_resp *r);
/* Helpers the route files share. */
const char *mc_api_arg(mc_call *c, const char *name);
/* A query number: @p def when absent. @return MC_OK or MC_EINVAL (not a number, over @p max). */
int mc_api_arg_u64(mc_call *c, const char *name, uint64_t def, uint64_t max, uint64_t *out);
/* "<prefix><segment>" where the segment has no further '/': the segment, else NULL. */
const char *mc_api_segment(const char *path, const char *prefix);
/* 64 hex digits (@p z may be NULL). @return MC_OK, or MC_EINVAL after filling @p r (if not NULL)
 * with 400 "<what> must be 64 hex digits". */
int mc_api_parse_id(const char *z, uint8_t out[32], mc_resp *r, const char *what);
/* r = 200 with @p j (owned), or 500 ENOMEM when @p j is NULL. */
void mc_api_ok(mc_resp *r, json_t *j);
/* Runs @p fn inside one read transaction. */
/* Sets "attestations" (the signatures over header @p hh of height @p h this node holds, in
 * validator id order) and "certified" (at or below the node's certified height) on @p j. */
void mc_api_block_attests(mc_store_txn *txn, json_t *j, uint64_t h, const mc_hash *hh);
/* Loads the block holding transaction @p arg (64 hex digits), its batch (free with
 * mc_batch_clear) and the transaction. @return 0, or 1 with r filled (400, 404, 500). */
int mc_api_locate_tx(mc_store_txn *txn, const char *arg, mc_resp *r, mc_block *blk, mc_batch *b,
                     uint32_t *index, mc_tx *tx);
/* 1 if the caller may see @p tx whole, else 0 with r filled (403, or the store's error). */
int mc_api_tx_visible(mc_call *c, mc_resp *r, mc_store_txn *txn, const mc_tx *tx);
/* GET /v1/proofs/tx/{id} (routes_proof.c): Merkle proofs, the certificate, validator changes. */
void mc_route_proof(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg);
/* GET /v1/sync/blocks (routes_sync.c): certified blocks for a node catching up. */
void mc_route_sync(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg);

typedef void (*mc_read_route)(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg);
void mc_api_with_snapshot(mc_call *c, mc_resp *r, mc_read_route fn, const char *arg);

/* routes_consent.c: the issue-3 routes (records, consent, access, events). @return 1 if @p c's
 * path is one of them (and r is filled), 0 if not. */
int mc_api_route_consent(mc_call *c, mc_resp *r);
/* ?purpose= (TREAT when absent, unless @p required) and ?action=; on a bad value fill r (400) and
 * return MC_EINVAL. */
int mc_api_purpose_arg(mc_call *c, mc_resp *r, int required, uint32_t *out);
int mc_api_action_arg(mc_call *c, mc_resp *r, uint8_t *out);
/* 403 EDENIED with the policy's reason and "decision" (owned). */
void mc_resp_decision_denied(mc_resp *r, json_t *decision, const mc_decision *d);
/* routes_patient.c: a patient's lists and the auditors' access view. */
/* "H:I" (nparts 2) or "H:I:N" (3), decimal, into out[0..nparts). @return MC_OK or MC_EINVAL. */
int mc_api_parse_cursor(const char *z, int nparts, uint64_t out[3]);
void mc_route_patient(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg);
void mc_route_audit_access(mc_call *c, mc_resp *r, mc_store_txn *txn, const char *arg);
/* routes_access.c: the logged read that POST /v1/records/{rid}/access (the decision) and
 * GET /v1/records/{rid}/content (the ciphertext) share, and the first of them. */
typedef struct {
    mc_hash rid;
    uint32_t purpose;
    uint8_t action;
    uint8_t via;      /* enum mc_access_via: which of the two routes */
    mc_record rec;    /* the record, as the decision saw it */
    mc_decision d;    /* the node's decision ... */
    uint64_t t;       /* ... at its clock */
    mc_api_txout out; /* the access.log, once submitted */
} mc_logged_read;
/*
 * Parses and checks a logged read of record @p zrid through route @p via (the target exactly
 * mc_access_target(), no body), takes a token of the caller's rate, and decides at the node's
 * clock on a node of the custodian org. @return 0 with @p lr filled, or non-zero with r filled
 * (nothing to log).
 */
int mc_logged_read_decide(mc_call *c, mc_resp *r, const char *zrid, uint8_t via, mc_logged_read *lr);
/* Puts the access.log of @p lr (the caller's signed request and the decision) on the ledger and
 * waits until it is committed; lr->out says how it went. */
void mc_logged_read_log(mc_call *c, mc_logged_read *lr);
/* 1 if @p lr was logged (committed, result OK) and permitted: serve it. Else 0 and r is filled:
 * 503 EAGAIN (not logged: nothing may be served), or 403 with the decision (a refused read,
 * logged), each with "log". */
int mc_logged_read_served(mc_call *c, mc_resp *r, const mc_logged_read *lr);
void mc_route_access_log(mc_call *c, mc_resp *r, const char *rid);
/* routes_content.c: the gatekeeper (PUT and GET /v1/records/{rid}/content, POST /v1/contents).
 * @return 1 if @p c's path is one of them (and r is filled), 0 if not. */
int mc_api_route_content(mc_call *c, mc_resp *r);
/* 1 if the request target @p uri (path, maybe a query) is a content route: its body cap is
 * max_content. */
int mc_api_content_path(const char *uri);
/* events.c: GET /v1/events. */
void mc_route_events(mc_call *c, mc_resp *r);

/* render.c: JSON for chain values */
json_t *mc_json_hex(const void *p, size_t n);
/* A u64 the format does not cap (a nonce, a size): an integer up to INT64_MAX (JSON integers are
 * signed 64-bit here), else its decimal digits as a string, never a negative number. */
json_t *mc_json_u64(uint64_t v);
json_t *mc_json_identity(const mc_identity *idn);
json_t *mc_json_tx(const mc_tx *tx, int with_body);
json_t *mc_json_header(const mc_header *h, const mc_hash *hash);
/* {"height","header_hash","signatures":[{"validator","signature"}]}, as a batch carries it. */
json_t *mc_json_cert(const mc_cert *c);
/* Appends one submission outcome as a JSON object (hand-written: the hot path). */
int mc_txout_json(mc_buf *out, const mc_api_txout *o);

/* render_consent.c: records, consent and access (metadata only: the ledger holds no content).
 * Each returns a new reference, or NULL when out of memory. */
json_t *mc_json_id_or_null(const uint8_t b[32]); /* null for the all-zero id */
json_t *mc_json_record(const mc_record *rec);
json_t *mc_json_consent(const mc_consent *con);
json_t *mc_json_access(const mc_access *a);
/* An org's gatekeeper: its key-release key, its URLs, who published it and when. */
json_t *mc_json_gatekeeper(const mc_gatekeeper *g);
json_t *mc_json_proposal(const mc_proposal *p);
/* {"permit","reason","reason_text","basis","time_ms","requester","record"} */
json_t *mc_json_decision(const mc_decision *d, uint64_t time_ms, const mc_id *requester,
                         const mc_hash *record);
/* {"id","status","result"} of a submitted transaction */
json_t *mc_json_txout(const mc_api_txout *o);
/* Appends one server-sent event ("id:", "event:", "data:" lines and a blank line). */
int mc_sse_format(mc_buf *out, const mc_event *ev);

/* reads.c: POST /v1/reads, a whole chart in one logged request, keys released. */
void mc_route_reads(mc_call *c, mc_resp *r);

/* visibility.c: who sees what (docs/api.md "Who sees what"), over one read transaction. */
typedef struct {
    mc_call *c;
    mc_store_txn *txn;
    mc_policy_view view;
    mc_policy_store_ctx *pc; /* owned */
    uint64_t time_ms;        /* the time the node's next block would have: decisions are made at it */
} mc_viewer;
/* @return MC_OK, MC_ENOMEM, or a store error (the tip unreadable). */
int mc_viewer_open(mc_viewer *v, mc_call *c, mc_store_txn *txn);
void mc_viewer_close(mc_viewer *v);
/* 1 if the caller is an auditor of an active org. */
int mc_viewer_auditor(const mc_viewer *v);
/* 1 if the caller sees @p patient's lists in full (the patient; an auditor, or an active
 * delegate who is no researcher, of an active org), 0 if not, or a negative MC_E* store error. */
int mc_viewer_full(mc_viewer *v, const mc_id *patient);
/* The policy's decision for the caller (or @p requester) at v->time_ms. */
int mc_viewer_decide(mc_viewer *v, const mc_id *requester, const mc_hash *record, uint32_t purpose,
                     uint8_t action, mc_decision *d);
/* 1 if the grant or deny @p b names the caller, or the caller's org when the caller is a member
 * of it (a patient is not a member of the org that enrolled it). */
int mc_viewer_named(const mc_viewer *v, const mc_body_consent *b);
/*
 * 1 if the caller may see transaction @p tx whole (signer, nonce, body, bytes), 0 if not, or a
 * negative MC_E* store error. Identity and org transactions: every caller. Record, consent and
 * access transactions (kinds 10..16): their parties only (docs/api.md, GET /v1/tx/{id}).
 */
int mc_viewer_may_see_tx(mc_viewer *v, const mc_tx *tx);
/* Fills r with the error for a failed store read or decision (@p rc > 0). */
void mc_viewer_fail(mc_resp *r, int rc);

/* server.c: a body of bytes rather than JSON (the ciphertext). @p p (malloc'd, may be NULL when
 * @p n is 0) is owned from now on and freed whatever happens. @return MC_OK, or MC_ENOMEM after
 * filling r with 500. */
int mc_resp_bytes(mc_resp *r, unsigned status, void *p, size_t n, const char *ctype);
/* Adds a header to the response of mc_resp_bytes (a no-op otherwise). */
void mc_resp_header(mc_resp *r, const char *name, const char *value);

/* metrics.c */
void mc_api_observe(mc_api *api, unsigned status, uint64_t elapsed_ns);
void mc_api_metrics(mc_api *api, mc_buf *out);

#endif
