/*
 * Signed-request authentication (DESIGN.md section 6).
 *
 * A request is accepted once: its (signer, nonce) pair is remembered for as long as its
 * timestamp is acceptable. The memory is two generations of a fixed-size hash set, each
 * covering 2 x skew: a pair stays at least that long, and a replay after it is refused by the
 * clock check instead. A full generation refuses new requests (EAGAIN) rather than forget.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "medchain/crypto.h"

#define MC_NONCE_SLOTS (1u << 20)

struct mc_nonce_cache {
    pthread_mutex_t lock;
    uint64_t window_ms;
    uint64_t gen_start;
    uint8_t (*gen[2])[16]; /* [0] current, [1] previous; all-zero slot = empty */
    size_t used[2];
};

int mc_nonce_cache_new(mc_nonce_cache **pp, uint64_t window_ms)
{
    mc_nonce_cache *c = calloc(1, sizeof *c);
    *pp = NULL;
    if (!c) return MC_ENOMEM;
    c->gen[0] = calloc(MC_NONCE_SLOTS, 16);
    c->gen[1] = calloc(MC_NONCE_SLOTS, 16);
    if (!c->gen[0] || !c->gen[1]) {
        mc_nonce_cache_free(c);
        return MC_ENOMEM;
    }
    c->window_ms = 2 * window_ms;
    c->gen_start = mc_time_mono_ms();
    pthread_mutex_init(&c->lock, NULL);
    *pp = c;
    return MC_OK;
}

void mc_nonce_cache_free(mc_nonce_cache *c)
{
    if (!c) return;
    free(c->gen[0]);
    free(c->gen[1]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Linear probing; returns the slot holding @p key or the empty slot where it belongs. */
static size_t mc_nonce_find(uint8_t (*tab)[16], const uint8_t key[16], int *found)
{
    uint64_t h;
    memcpy(&h, key, 8);
    static const uint8_t zero[16];
    for (size_t i = 0, s = h & (MC_NONCE_SLOTS - 1);; i++, s = (s + 1) & (MC_NONCE_SLOTS - 1)) {
        if (memcmp(tab[s], key, 16) == 0) {
            *found = 1;
            return s;
        }
        if (memcmp(tab[s], zero, 16) == 0 || i == MC_NONCE_SLOTS) {
            *found = 0;
            return s;
        }
    }
}

/* @return MC_OK (first time), MC_ESTALE (seen), MC_EAGAIN (full). */
static int mc_nonce_check_and_add(mc_nonce_cache *c, const mc_id *signer, const uint8_t *nonce)
{
    uint8_t key[16];
    mc_hash h;
    uint8_t in[32 + MC_REQ_NONCE_BYTES];
    memcpy(in, signer->b, 32);
    memcpy(in + 32, nonce, MC_REQ_NONCE_BYTES);
    mc_sha256(&h, in, sizeof in);
    memcpy(key, h.b, 16);
    key[15] |= 1; /* never all-zero: that marks an empty slot */
    int rc = MC_OK, found;
    pthread_mutex_lock(&c->lock);
    uint64_t now = mc_time_mono_ms();
    if (now - c->gen_start >= c->window_ms) {
        uint8_t(*old)[16] = c->gen[1];
        memset(old, 0, (size_t)MC_NONCE_SLOTS * 16);
        c->gen[1] = c->gen[0];
        c->used[1] = c->used[0];
        c->gen[0] = old;
        c->used[0] = 0;
        c->gen_start = now;
    }
    mc_nonce_find(c->gen[1], key, &found);
    if (found) {
        rc = MC_ESTALE;
        goto out;
    }
    size_t s = mc_nonce_find(c->gen[0], key, &found);
    if (found)
        rc = MC_ESTALE;
    else if (c->used[0] >= MC_NONCE_SLOTS / 2) /* keep probes short */
        rc = MC_EAGAIN;
    else {
        memcpy(c->gen[0][s], key, 16);
        c->used[0]++;
    }
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static const char *mc_hdr(mc_call *call, const char *name)
{
    return MHD_lookup_connection_value(call->conn, MHD_HEADER_KIND, name);
}

/* The cheap part: headers well formed, time within the skew (and not before this node started:
 * its replay memory starts empty), signer an active registered identity; and whether its org is
 * active (@p org_active), from the same read. */
static int mc_api_auth_headers(mc_call *call, mc_resp *r, mc_identity *idn, int *org_active, uint64_t *t,
                               uint8_t *nonce, mc_sig *sig)
{
    const char *zs = mc_hdr(call, "X-MC-Signer"), *zt = mc_hdr(call, "X-MC-Time"),
               *zn = mc_hdr(call, "X-MC-Nonce"), *zg = mc_hdr(call, "X-MC-Signature");
    mc_api *api = call->api;
    int rc;
    if (!zs || !zt || !zn || !zg) {
        mc_resp_error(r, 401, "EAUTH",
                      "signed request required (X-MC-Signer, X-MC-Time, X-MC-Nonce, X-MC-Signature)");
        goto refused;
    }
    if (mc_hex_decode(call->signer.b, 32, zs, strlen(zs)) || mc_parse_u64(zt, t) ||
        mc_hex_decode(nonce, MC_REQ_NONCE_BYTES, zn, strlen(zn)) ||
        mc_hex_decode(sig->b, 64, zg, strlen(zg))) {
        mc_resp_error(r, 401, "EAUTH", "malformed authentication headers");
        goto refused;
    }
    uint64_t now = mc_time_now_ms();
    if ((*t > now ? *t - now : now - *t) > api->opts.skew_ms) {
        mc_resp_error(r, 401, "ESTALE", "request time outside the allowed clock skew");
        goto refused;
    }
    if (*t < api->started_ms) {
        mc_resp_error(r, 401, "ESTALE", "request signed before this node started; sign it again");
        goto refused;
    }
    mc_store_txn *txn;
    if ((rc = mc_store_begin(api->be.store, 0, &txn))) {
        mc_resp_err(r, rc, "store unavailable");
        return 1;
    }
    rc = mc_store_get_identity(txn, &call->signer, idn);
    if (rc == MC_OK && idn->status == MC_ID_ACTIVE) {
        *org_active = mc_store_org_active(txn, idn);
        if (*org_active < 0) rc = -*org_active;
    }
    mc_store_abort(txn);
    if (rc == MC_ENOTFOUND || (rc == MC_OK && idn->status != MC_ID_ACTIVE)) {
        mc_resp_error(r, 401, "EAUTH", "signer is not an active registered identity");
        goto refused;
    }
    if (rc) {
        mc_resp_err(r, rc, "identity lookup failed");
        return 1;
    }
    return 0;
refused:
    atomic_fetch_add(&api->auth_refused, 1);
    return 1;
}

int mc_api_precheck(mc_call *call, mc_resp *r)
{
    mc_identity idn;
    int org_active;
    uint64_t t;
    uint8_t nonce[MC_REQ_NONCE_BYTES];
    mc_sig sig;
    return mc_api_auth_headers(call, r, &idn, &org_active, &t, nonce, &sig);
}

int mc_api_authenticate(mc_call *call, mc_resp *r)
{
    mc_api *api = call->api;
    mc_identity idn;
    int org_active = 0;
    uint64_t t;
    uint8_t nonce[MC_REQ_NONCE_BYTES];
    mc_sig sig;
    if (mc_api_auth_headers(call, r, &idn, &org_active, &t, nonce, &sig)) return 1;
    mc_hash bh, digest;
    mc_sha256(&bh, call->body.p ? (const void *)call->body.p : "", call->body.n);
    mc_request_digest(&digest, &api->be.chain, &call->signer, t, nonce, call->method, call->full, &bh);
    if (mc_verify(&sig, digest.b, 32, &idn.sign_pk)) {
        mc_resp_error(r, 401, "EBADSIG", "request signature does not verify");
        atomic_fetch_add(&api->auth_refused, 1);
        return 1;
    }
    /* only a verified request may use up a nonce, or anyone could burn others' nonces */
    int rc = mc_nonce_check_and_add(api->nonces, &call->signer, nonce);
    if (rc == MC_ESTALE) {
        mc_resp_error(r, 401, "EREPLAY", "request nonce already used (replay)");
        atomic_fetch_add(&api->auth_refused, 1);
        return 1;
    }
    if (rc) {
        mc_resp_error(r, 503, "EAGAIN", "too many requests in the replay window");
        return 1;
    }
    /* kept as signed: a logged read carries the caller's own request onto the ledger */
    call->signer_kind = idn.kind;
    call->signer_org = idn.org;
    call->org_active = org_active;
    call->time_ms = t;
    memcpy(call->nonce, nonce, MC_REQ_NONCE_BYTES);
    call->sig = sig;
    call->digest = digest;
    call->signer_pk = idn.sign_pk;
    return 0;
}
