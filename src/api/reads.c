/*
 * POST /v1/reads: a whole chart (or any set of records) in one logged request, with the data
 * keys released by the custodian (DESIGN.md section 4; docs/api.md, "Reads").
 *
 * The body is a read request (mc_read_request, binary) signed like any request. In one snapshot
 * the node resolves it to records (the ids named, or a page of one patient's records in this
 * org's custody), and decides each at its own clock. For each permitted record it reads and
 * checks the ciphertext and opens the record's custodian key with its key-release key. Then one
 * access.reads carries the reader's request and every outcome (permitted or refused) to the
 * ledger; the executor re-decides each. Only once that log committed are the ciphertexts served,
 * with the released data keys sealed in one box to the reader's registered X25519 key, bound to
 * the log's id. A refused read releases nothing; records held elsewhere are named with their
 * custodian and not logged here.
 *
 * Rate: the caller's records per second (read_rate, read_burst), so that a chart opens at once
 * and a flood of reads is refused with 429 and Retry-After before anything is read or logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "medchain/codec.h"

#define MC_READS_MAX_BYTES ((uint64_t)64 << 20) /* ciphertext in one answer; the rest: ask again */
#include "medchain/envelope.h"

/* One request's work: what is resolved in the snapshot, then served. */
typedef struct {
    mc_call *c;
    mc_read_request q;
    mc_id org;     /* this node's org: the custodian it serves for */
    mc_box_pk rpk; /* the reader's registered X25519 key */
    uint32_t n;    /* items */
    mc_read_item items[MC_MAX_READS];
    mc_decision d[MC_MAX_READS];
    mc_record rec[MC_MAX_READS];
    mc_buf blob[MC_MAX_READS];
    mc_env_released_key keys[MC_MAX_READS];
    uint32_t nkeys;
    uint8_t more;
    mc_hash next;
    mc_hash last;   /* a page: the last record looked at */
    size_t scanned; /* a page: records looked at */
    uint64_t bytes; /* ciphertext this answer will hold */
} mc_reads;

/* Adds record @p rid (from the snapshot @p v) as the next item. */
static int mc_reads_add(mc_reads *w, mc_viewer *v, const mc_hash *rid)
{
    mc_read_item *it = &w->items[w->n];
    mc_record *rec = &w->rec[w->n];
    memset(it, 0, sizeof *it);
    it->record = *rid;
    int rc = mc_store_get_record(v->txn, rid, rec);
    if (rc == MC_ENOTFOUND) {
        it->status = MC_READ_UNKNOWN;
        w->n++;
        return MC_OK;
    }
    if (rc) return rc;
    it->custodian = rec->custodian;
    if (memcmp(rec->custodian.b, w->org.b, 32) != 0) { /* named, with what to check its bytes by */
        it->status = MC_READ_ELSEWHERE;
        w->n++;
        mc_decision d;
        if ((rc = mc_viewer_decide(v, NULL, rid, w->q.purpose, w->q.action, &d))) return rc;
        if (!d.permit) return MC_OK;
        it->has_meta = 1;
        it->patient = rec->patient;
        it->cipher_hash = rec->cipher_hash;
        it->commitment = rec->commitment;
        it->size = rec->size;
        return MC_OK;
    }
    if (w->bytes + rec->size > MC_READS_MAX_BYTES && w->bytes) { /* not in this answer: ask again */
        it->status = MC_READ_LATER;
        w->n++;
        return MC_OK;
    }
    if ((rc = mc_viewer_decide(v, NULL, rid, w->q.purpose, w->q.action, &w->d[w->n]))) return rc;
    it->status = w->d[w->n].permit ? MC_READ_SERVED : MC_READ_DENIED;
    it->reason = w->d[w->n].reason;
    if (w->d[w->n].permit) w->bytes += rec->size;
    w->n++;
    return MC_OK;
}

/* A page of the patient's records in this org's custody: P | patient | record id. */
typedef struct {
    mc_reads *w;
    mc_viewer *v;
} mc_reads_scan;

/* Records a page may look at per record it asks for: a page whose filter matches little costs
 * its caller a bounded scan, then answers "more" with the cursor where it stopped. */
#define MC_READS_SCAN_PER 8u

/* Ends the page before record @p rid: more follow, from the last record looked at. */
static int mc_reads_page_full(mc_reads *w)
{
    w->more = 1;
    w->next = w->last;
    return 1; /* stops the scan */
}

static int mc_reads_scan_one(void *arg, mc_slice key, mc_slice val)
{
    mc_reads_scan *s = arg;
    mc_reads *w = s->w;
    mc_hash rid;
    mc_record rec;
    (void)val;
    if (key.n != 1 + 64) return MC_ECORRUPT;
    memcpy(rid.b, key.p + 33, 32);
    if (memcmp(rid.b, w->q.after.b, 32) <= 0) return MC_OK;
    if (w->n == w->q.limit || w->scanned == (size_t)w->q.limit * MC_READS_SCAN_PER)
        return mc_reads_page_full(w);
    w->scanned++;
    int rc = mc_store_get_record(s->v->txn, &rid, &rec);
    if (rc) return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc;
    w->last = rid;
    if (memcmp(rec.custodian.b, w->org.b, 32) != 0 || !mc_read_request_selects(&w->q, &rec)) return MC_OK;
    /* a page shows only records whose metadata the caller may see (as the patient's lists do):
     * the others are neither listed nor logged, so a page cannot tell what exists */
    mc_decision d;
    if ((rc = mc_viewer_decide(s->v, NULL, &rid, w->q.purpose, MC_ACTION_READ_META, &d))) return rc;
    if (!d.permit) return MC_OK;
    if (w->bytes + rec.size > MC_READS_MAX_BYTES && w->n) return mc_reads_page_full(w);
    return mc_reads_add(w, s->v, &rid);
}

/* 1 if a key box can be sealed to @p pk (not a low-order point). */
static int mc_reads_can_receive(const mc_box_pk *pk)
{
    mc_box_pk epk;
    mc_box_sk esk;
    uint8_t k[MC_BOX_SHAREDBYTES];
    mc_box_keypair(&epk, &esk);
    int ok = mc_box_shared(k, pk, &esk) == MC_OK;
    mc_wipe(&esk, sizeof esk);
    mc_wipe(k, sizeof k);
    return ok;
}

/* Resolves the request and decides each record, in one snapshot. */
static int mc_reads_resolve(mc_reads *w)
{
    mc_store_txn *txn;
    mc_viewer v;
    mc_identity id;
    memset(&v, 0, sizeof v);
    int rc = mc_store_begin(w->c->api->be.store, 0, &txn);
    if (rc) return rc;
    if (!(rc = mc_store_get_identity(txn, &w->c->api->be.node, &id))) w->org = id.org;
    if (rc == MC_ENOTFOUND) rc = MC_ECORRUPT; /* the node must know itself */
    if (!rc && !(rc = mc_store_get_identity(txn, &w->c->signer, &id))) w->rpk = id.box_pk;
    if (!rc && !mc_reads_can_receive(&w->rpk)) rc = MC_ECRYPTO; /* before anything is logged as released */
    if (!rc) rc = mc_viewer_open(&v, w->c, txn);
    for (uint32_t i = 0; !rc && w->q.by == MC_READS_BY_ID && i < w->q.nids; i++)
        rc = mc_reads_add(w, &v, &w->q.ids[i]);
    if (!rc && w->q.by == MC_READS_BY_PATIENT) {
        mc_skey prefix, from;
        mc_reads_scan s = {w, &v};
        mc_skey_make(&prefix, MC_SK_PATIENT_RECORD, w->q.patient.b, 32, NULL, 0, NULL, 0);
        mc_skey_make(&from, MC_SK_PATIENT_RECORD, w->q.patient.b, 32, w->q.after.b, 32, NULL, 0);
        rc = mc_store_scan(txn, &prefix, &from, mc_reads_scan_one, &s);
        if (rc == 1) rc = MC_OK;
    }
    mc_viewer_close(&v);
    mc_store_abort(txn);
    return rc;
}

/* The data key of a record in this org's custody, opened with whichever release key opens it
 * (through @p cache: a chart's records share few ephemeral keys). */
static int mc_reads_unwrap(const mc_api *api, mc_unwrap_cache *cache, const mc_record *rec,
                           uint8_t key[MC_ENV_KEYBYTES])
{
    mc_wrapped_key wk;
    wk.recipient = rec->custodian;
    memcpy(wk.sealed, rec->custodian_key, sizeof wk.sealed);
    for (size_t i = 0; i < api->be.nrelease; i++)
        if (mc_env_unwrap_cached(cache, key, &wk, &rec->id, &api->be.release_pk[i], &api->be.release_sk[i]) ==
            MC_OK)
            return MC_OK;
    return MC_ECRYPTO;
}

/* Permitted record @p i: its ciphertext read and checked, and its data key opened. A record
 * whose ciphertext is not here (or not the anchored bytes) is not served, and not logged. */
static int mc_reads_prepare_one(mc_reads *w, mc_unwrap_cache *cache, uint32_t i)
{
    mc_api *api = w->c->api;
    mc_read_item *it = &w->items[i];
    if (it->status != MC_READ_SERVED) return MC_OK;
    int rc = mc_store_blob_get(api->be.blobs, &w->rec[i].cipher_hash, &w->blob[i]);
    if (rc == MC_ECORRUPT)
        mc_log(MC_LOG_ERROR, "api",
               "a stored ciphertext does not match its anchor: not served; run medchain verify");
    if (rc == MC_ENOTFOUND || rc == MC_ECORRUPT) {
        it->status = rc == MC_ENOTFOUND ? MC_READ_NO_CONTENT : MC_READ_CORRUPT;
        it->reason = 0;
        return MC_OK;
    }
    if (rc) return rc;
    if (mc_reads_unwrap(api, cache, &w->rec[i], w->keys[w->nkeys].key) == MC_OK) {
        w->keys[w->nkeys++].record = it->record;
        it->released = 1;
    }
    return MC_OK;
}

/* For every permitted record: its ciphertext read and checked, and its data key opened. */
static int mc_reads_prepare(mc_reads *w)
{
    mc_unwrap_cache *cache = NULL;
    int rc = mc_unwrap_cache_new(&cache);
    for (uint32_t i = 0; i < w->n && !rc; i++) rc = mc_reads_prepare_one(w, cache, i);
    mc_unwrap_cache_free(cache);
    return rc;
}

/* The access.reads body: the reader's request and every logged outcome. @return the count. */
static uint32_t mc_reads_outcomes(mc_reads *w, mc_body_access_reads *b)
{
    mc_call *c = w->c;
    memset(b, 0, sizeof *b);
    b->reader = c->signer;
    b->req_time_ms = c->time_ms;
    memcpy(b->req_nonce, c->nonce, MC_REQ_NONCE_BYTES);
    b->req_sig = c->sig;
    b->request = c->body;
    for (uint32_t i = 0; i < w->n; i++) {
        const mc_read_item *it = &w->items[i];
        if (it->status != MC_READ_SERVED && it->status != MC_READ_DENIED) continue;
        mc_read_outcome *o = &b->out[b->n++];
        o->record = it->record;
        o->permit = w->d[i].permit;
        o->reason = w->d[i].reason;
        o->has_basis = w->d[i].has_basis;
        o->basis = w->d[i].basis;
        o->released = it->released;
    }
    return b->n;
}

/* Logs the outcomes (if any) and waits for the block. @return 1 if served may go on. */
static int mc_reads_log(mc_reads *w, mc_resp *r, mc_api_txout *out)
{
    mc_body_access_reads *b = malloc(sizeof *b);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    memset(out, 0, sizeof *out);
    int rc = b ? MC_OK : MC_ENOMEM, ok = 1;
    if (!rc && mc_reads_outcomes(w, b)) {
        if (!(rc = mc_body_access_reads_encode(&body, b))) {
            /* the executor's pre-pass finds the reader's signature here rather than verify it again */
            if (w->c->api->be.sigcache)
                mc_sigcache_add(w->c->api->be.sigcache, &w->c->digest, &w->c->sig, &w->c->signer_pk);
            w->c->api->be.log_tx(w->c->api->be.ctx, MC_TX_ACCESS_READS, body.p, body.n,
                                 w->c->api->opts.default_timeout_ms, out);
            ok = out->state == MC_TXS_COMMITTED && out->code == MC_TXR_OK;
        }
    }
    if (rc) {
        mc_resp_err(r, rc,
                    rc == MC_ETOOBIG ? "the read does not fit in one log: ask for fewer records" : NULL);
        ok = 0;
    } else if (!ok) {
        mc_resp_error(r, 503, "EAGAIN", "the read could not be logged; sign a new request and retry");
    }
    mc_buf_free(&body);
    free(b);
    return ok;
}

/* The response: head, key box, items with their ciphertext. */
static int mc_reads_answer(mc_reads *w, mc_resp *r, const mc_api_txout *out)
{
    mc_read_response head;
    mc_buf box, all;
    memset(&head, 0, sizeof head);
    mc_buf_init(&box, 64u + MC_MAX_READS * 64u);
    mc_buf_init(&all, SIZE_MAX);
    int rc = MC_OK;
    if (w->nkeys) rc = mc_env_release_seal(&box, w->keys, w->nkeys, &out->id, &w->rpk);
    head.log_tx = out->id;
    head.height = out->height;
    head.keybox = (mc_slice){box.p, box.n};
    head.more = w->more;
    head.next = w->next;
    head.n = w->n;
    if (!rc) rc = mc_read_head_encode(&all, &head);
    for (uint32_t i = 0; i < w->n && !rc; i++) {
        mc_read_item *it = &w->items[i];
        if (it->status == MC_READ_SERVED) {
            const mc_record *rec = &w->rec[i];
            it->patient = rec->patient;
            it->cipher_hash = rec->cipher_hash;
            it->commitment = rec->commitment;
            it->size = rec->size;
            memcpy(it->category, rec->category, sizeof it->category);
            it->time_ms = rec->time_ms;
            it->cipher = (mc_slice){w->blob[i].p, w->blob[i].n};
        }
        rc = mc_read_item_encode(&all, it);
    }
    mc_buf_free(&box);
    if (rc) {
        mc_buf_free(&all);
        mc_resp_err(r, rc, "the response could not be built");
        return rc;
    }
    char tx[65];
    mc_hex_encode(tx, out->id.b, 32);
    if (mc_resp_bytes(r, 200, all.p, all.n, "application/octet-stream")) return MC_ENOMEM; /* all.p taken */
    mc_resp_header(r, "X-MC-Log-Tx", tx);
    return MC_OK;
}

/* Parses the body and takes the caller's tokens. @return 0 to go on, else r is filled. */
static int mc_reads_admit(mc_reads *w, mc_resp *r)
{
    mc_call *c = w->c;
    if (strcmp(c->full, MC_READS_TARGET) != 0) { /* the executor checks the reader signed exactly it */
        mc_resp_error(r, 400, "EINVAL", "a read request is POST /v1/reads exactly, with no query");
        return 1;
    }
    if (mc_read_request_decode(&w->q, c->body.p, c->body.n)) {
        mc_resp_error(
            r, 400, "EINVAL",
            "the body must be a read request (docs/format.md, \"Read requests\"): purpose, action read, "
            "and 1 to 512 record ids in increasing order or a patient's page");
        return 1;
    }
    if (!c->api->be.log_tx || !c->api->be.blobs) {
        mc_resp_err(r, MC_EUNAVAIL, "this node serves no records");
        return 1;
    }
    unsigned retry = 0, n = w->q.by == MC_READS_BY_ID ? w->q.nids : w->q.limit;
    int rc = mc_rate_take_n(c->api->read_rate, &c->signer, n, &retry);
    if (rc == MC_ETOOBIG) {
        mc_resp_error(r, 413, "ETOOBIG",
                      "more records in one request than this node lets a signer read at once");
        return 1;
    }
    if (rc) {
        mc_resp_error(r, 429, "ETOOMANY", "too many records read by this signer; retry after the time given");
        snprintf(r->retry_after, sizeof r->retry_after, "%u", retry ? retry : 1);
        return 1;
    }
    return 0;
}

void mc_route_reads(mc_call *c, mc_resp *r)
{
    mc_reads *w = calloc(1, sizeof *w);
    mc_api_txout out;
    if (!w) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        return;
    }
    w->c = c;
    for (uint32_t i = 0; i < MC_MAX_READS; i++) mc_buf_init(&w->blob[i], c->api->opts.max_content);
    int rc = MC_OK;
    if (mc_reads_admit(w, r)) goto out;
    if ((rc = mc_reads_resolve(w)) || (rc = mc_reads_prepare(w))) {
        if (rc == MC_ECRYPTO)
            mc_resp_error(r, 400, "EINVAL", "your registered X25519 key cannot receive keys: rotate it");
        else
            mc_viewer_fail(r, rc);
        goto out;
    }
    if (mc_reads_log(w, r, &out)) (void)mc_reads_answer(w, r, &out);
out:
    for (uint32_t i = 0; i < MC_MAX_READS; i++) mc_buf_free(&w->blob[i]);
    mc_wipe(w->keys, sizeof w->keys);
    free(w);
}
