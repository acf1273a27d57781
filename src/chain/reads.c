/*
 * Whole-chart reads: the read request a reader signs (the body of POST /v1/reads) and the
 * access.reads transaction in which the custodian's node logs it with one outcome per record.
 *
 * The request travels inside the log byte for byte, so the executor can check the reader's
 * signature over exactly what was asked and that every logged record is one the request selects:
 * a custodian can neither invent a read nor log a record the reader did not ask for.
 */
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

#define MC_READ_REQUEST_VERSION 1u

static int mc_read_request_check(const mc_read_request *q)
{
    if (q->nids > MC_MAX_READS || q->ncats > MC_MAX_SCOPE_CATS || q->limit > MC_MAX_READS) return MC_ETOOBIG;
    /* a read request asks for ciphertext: metadata is listed, not logged one by one */
    if (!mc_purpose_name(q->purpose) || q->action != MC_ACTION_READ) return MC_EINVAL;
    if (q->by == MC_READS_BY_ID)
        return q->nids >= 1 && q->ncats == 0 && q->limit == 0 &&
                       mc_chain_sorted(q->ids, q->nids, sizeof q->ids[0], sizeof q->ids[0])
                   ? MC_OK
                   : MC_EINVAL;
    if (q->by != MC_READS_BY_PATIENT || q->nids != 0 || q->limit < 1) return MC_EINVAL;
    if (!mc_chain_cats_ok(q->cats, q->ncats)) return MC_EINVAL;
    return q->to_ms == 0 || q->to_ms > q->from_ms ? MC_OK : MC_EINVAL;
}

int mc_read_request_encode(mc_buf *out, const mc_read_request *q)
{
    int rc = mc_read_request_check(q);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_READ_REQUEST_VERSION);
    mc_enc_u32(&e, q->purpose);
    mc_enc_u8(&e, q->action);
    mc_enc_u8(&e, q->by);
    if (q->by == MC_READS_BY_ID) {
        mc_enc_u32(&e, q->nids);
        for (uint32_t i = 0; i < q->nids; i++) mc_enc_fixed(&e, q->ids[i].b, 32);
        return mc_enc_done(&e);
    }
    mc_enc_fixed(&e, q->patient.b, 32);
    mc_enc_u32(&e, q->ncats);
    for (uint32_t i = 0; i < q->ncats; i++) mc_enc_str(&e, q->cats[i], MC_MAX_CATEGORY);
    mc_enc_u64(&e, q->from_ms);
    mc_enc_u64(&e, q->to_ms);
    mc_enc_fixed(&e, q->after.b, 32);
    mc_enc_u32(&e, q->limit);
    return mc_enc_done(&e);
}

int mc_read_request_decode(mc_read_request *q, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(q, 0, sizeof *q);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_READ_REQUEST_VERSION) mc_dec_fail(&d, MC_EINVAL);
    q->purpose = mc_dec_u32(&d);
    q->action = mc_dec_u8(&d);
    q->by = mc_dec_u8(&d);
    if (q->by != MC_READS_BY_ID && q->by != MC_READS_BY_PATIENT) mc_dec_fail(&d, MC_EINVAL);
    if (d.err) {
        /* nothing more to read */
    } else if (q->by == MC_READS_BY_ID) {
        q->nids = mc_dec_count(&d, MC_MAX_READS);
        for (uint32_t i = 0; i < q->nids && !d.err; i++) mc_dec_fixed(&d, q->ids[i].b, 32);
    } else {
        mc_dec_fixed(&d, q->patient.b, 32);
        q->ncats = mc_dec_count(&d, MC_MAX_SCOPE_CATS);
        for (uint32_t i = 0; i < q->ncats && !d.err; i++) mc_dec_str(&d, q->cats[i], sizeof q->cats[i]);
        q->from_ms = mc_dec_u64(&d);
        q->to_ms = mc_dec_u64(&d);
        mc_dec_fixed(&d, q->after.b, 32);
        q->limit = mc_dec_u32(&d);
    }
    return mc_chain_dec_end(&d, q, sizeof *q, mc_read_request_check(q));
}

/* Binary search of the request's sorted ids. */
static int mc_read_request_names(const mc_read_request *q, const mc_hash *id)
{
    uint32_t lo = 0, hi = q->nids;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = memcmp(q->ids[mid].b, id->b, 32);
        if (c == 0) return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int mc_read_request_selects(const mc_read_request *q, const mc_record *r)
{
    if (q->by == MC_READS_BY_ID) return mc_read_request_names(q, &r->id);
    if (memcmp(q->patient.b, r->patient.b, 32) != 0 || memcmp(r->id.b, q->after.b, 32) <= 0) return 0;
    if (r->time_ms < q->from_ms || (q->to_ms && r->time_ms >= q->to_ms)) return 0;
    if (!q->ncats) return 1;
    for (uint32_t i = 0; i < q->ncats; i++)
        if (strcmp(q->cats[i], r->category) == 0) return 1;
    return 0;
}

static int mc_reads_body_check(const mc_body_access_reads *b)
{
    if (b->n > MC_MAX_READS || b->request.n > MC_MAX_READ_REQUEST_BYTES) return MC_ETOOBIG;
    if (b->n < 1 || !mc_chain_sorted(b->out, b->n, sizeof b->out[0], 32)) return MC_EINVAL;
    for (uint32_t i = 0; i < b->n; i++) {
        const mc_read_outcome *o = &b->out[i];
        /* the purpose and action are the request's: checked by the executor against it */
        if (!mc_chain_decision_ok(MC_PURPOSE_TREAT, MC_ACTION_READ, o->permit, o->reason, o->has_basis) ||
            !mc_chain_flag_ok(o->released) || (o->released && !o->permit))
            return MC_EINVAL;
    }
    return MC_OK;
}

int mc_body_access_reads_encode(mc_buf *out, const mc_body_access_reads *b)
{
    int rc = mc_reads_body_check(b);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_chain_req_enc(&e, &b->reader, b->req_time_ms, b->req_nonce, &b->req_sig);
    mc_enc_bytes(&e, b->request.p, b->request.n, MC_MAX_READ_REQUEST_BYTES);
    mc_enc_u32(&e, b->n);
    for (uint32_t i = 0; i < b->n; i++) {
        const mc_read_outcome *o = &b->out[i];
        mc_enc_fixed(&e, o->record.b, 32);
        mc_chain_decision_enc(&e, o->permit, o->reason, o->has_basis, &o->basis);
        mc_enc_u8(&e, o->released);
    }
    return mc_enc_done(&e);
}

int mc_body_access_reads_decode(mc_body_access_reads *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_chain_req_dec(&d, &b->reader, &b->req_time_ms, b->req_nonce, &b->req_sig);
    b->request = mc_dec_bytes(&d, MC_MAX_READ_REQUEST_BYTES);
    b->n = mc_dec_count(&d, MC_MAX_READS);
    for (uint32_t i = 0; i < b->n && !d.err; i++) {
        mc_read_outcome *o = &b->out[i];
        mc_dec_fixed(&d, o->record.b, 32);
        mc_chain_decision_dec(&d, &o->permit, &o->reason, &o->has_basis, &o->basis);
        o->released = mc_dec_u8(&d);
    }
    return mc_chain_dec_end(&d, b, sizeof *b, mc_reads_body_check(b));
}

#define MC_READ_MAGIC    "MCR1"
#define MC_MAX_KEYBOX    (64u + MC_MAX_READS * 64u)
#define MC_READ_ITEM_MIN (32u + 1u + 2u + 32u) /* the smallest item: record, status, reason, custodian */

/* What a reader checks a record's ciphertext against: patient 32 | cipher_hash 32 | commitment
 * 32 | size u64. */
static void mc_read_meta_enc(mc_enc *e, const mc_read_item *it)
{
    mc_enc_fixed(e, it->patient.b, 32);
    mc_enc_fixed(e, it->cipher_hash.b, 32);
    mc_enc_fixed(e, it->commitment.b, 32);
    mc_enc_u64(e, it->size);
}

static void mc_read_meta_dec(mc_dec *d, mc_read_item *it)
{
    mc_dec_fixed(d, it->patient.b, 32);
    mc_dec_fixed(d, it->cipher_hash.b, 32);
    mc_dec_fixed(d, it->commitment.b, 32);
    it->size = mc_dec_u64(d);
}

int mc_read_head_encode(mc_buf *out, const mc_read_response *r)
{
    if (!mc_chain_flag_ok(r->more)) return MC_EINVAL;
    if (r->keybox.n > MC_MAX_KEYBOX) return MC_ETOOBIG;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, MC_READ_MAGIC, 4);
    mc_enc_fixed(&e, r->log_tx.b, 32);
    mc_enc_u64(&e, r->height);
    mc_enc_bytes(&e, r->keybox.p, r->keybox.n, MC_MAX_KEYBOX);
    mc_enc_u8(&e, r->more);
    mc_enc_fixed(&e, r->next.b, 32);
    mc_enc_u32(&e, r->n);
    return mc_enc_done(&e);
}

int mc_read_item_encode(mc_buf *out, const mc_read_item *it)
{
    if (it->status > MC_READ_LATER) return MC_EINVAL;
    if (it->status == MC_READ_SERVED && (it->cipher.n != it->size || !mc_chain_flag_ok(it->released)))
        return MC_EINVAL;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, it->record.b, 32);
    mc_enc_u8(&e, it->status);
    mc_enc_u16(&e, it->reason);
    mc_enc_fixed(&e, it->custodian.b, 32);
    if (it->status == MC_READ_ELSEWHERE) {
        mc_enc_bool(&e, it->has_meta);
        if (it->has_meta) mc_read_meta_enc(&e, it);
        return mc_enc_done(&e);
    }
    if (it->status == MC_READ_SERVED) {
        mc_read_meta_enc(&e, it);
        mc_enc_str(&e, it->category, MC_MAX_CATEGORY);
        mc_enc_u64(&e, it->time_ms);
        mc_enc_u8(&e, it->released);
        mc_enc_bytes(&e, it->cipher.p, it->cipher.n, UINT32_MAX);
    }
    return mc_enc_done(&e);
}

static void mc_read_item_dec(mc_dec *d, mc_read_item *it)
{
    mc_dec_fixed(d, it->record.b, 32);
    it->status = mc_dec_u8(d);
    it->reason = mc_dec_u16(d);
    mc_dec_fixed(d, it->custodian.b, 32);
    if (it->status > MC_READ_LATER) mc_dec_fail(d, MC_EINVAL);
    if (it->status == MC_READ_ELSEWHERE) {
        it->has_meta = mc_dec_bool(d);
        if (it->has_meta) mc_read_meta_dec(d, it);
        return;
    }
    if (it->status != MC_READ_SERVED) return;
    mc_read_meta_dec(d, it);
    mc_dec_str(d, it->category, sizeof it->category);
    it->time_ms = mc_dec_u64(d);
    it->released = mc_dec_u8(d);
    it->cipher = mc_dec_bytes(d, UINT32_MAX);
    if (!d->err && (it->cipher.n != it->size || !mc_chain_flag_ok(it->released))) mc_dec_fail(d, MC_EINVAL);
}

int mc_read_response_decode(mc_read_response *r, const uint8_t *p, size_t n)
{
    mc_dec d;
    uint8_t magic[4];
    memset(r, 0, sizeof *r);
    mc_dec_init(&d, p, n);
    mc_dec_fixed(&d, magic, 4);
    if (!d.err && memcmp(magic, MC_READ_MAGIC, 4) != 0) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, r->log_tx.b, 32);
    r->height = mc_dec_u64(&d);
    r->keybox = mc_dec_bytes(&d, MC_MAX_KEYBOX);
    r->more = mc_dec_u8(&d);
    mc_dec_fixed(&d, r->next.b, 32);
    uint32_t count = mc_dec_count(&d, MC_MAX_READS); /* a node answers for at most the ids asked */
    if (!d.err && (uint64_t)count * MC_READ_ITEM_MIN > mc_dec_left(&d))
        mc_dec_fail(&d, MC_EINVAL); /* before any allocation */
    if (!d.err && count) {
        r->items = calloc(count, sizeof *r->items);
        if (!r->items) mc_dec_fail(&d, MC_ENOMEM);
    }
    for (uint32_t i = 0; i < count && !d.err; i++) mc_read_item_dec(&d, &r->items[i]);
    r->n = count;
    int rc = mc_dec_done(&d);
    if (!rc && !mc_chain_flag_ok(r->more)) rc = MC_EINVAL;
    if (rc) mc_read_response_clear(r);
    return rc;
}

void mc_read_response_clear(mc_read_response *r)
{
    if (!r) return;
    free(r->items);
    memset(r, 0, sizeof *r);
}
