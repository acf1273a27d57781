/*
 * exec, key release and whole-chart reads: access.reads (one signed read request, one outcome per
 * record, each re-decided by the policy) and org.gatekeeper (where a custodian serves, and its
 * key-release key).
 */
#include <stdlib.h>
#include <string.h>

#include "consenttest.h"

#define DAY (24ull * 3600 * 1000)
/* The outcomes of an encoded access.reads carrying a request of @p rn bytes (docs/format.md): reader |
 * time | nonce | signature | request | count, then each record | permit | reason u16 | has_basis |
 * basis (if any) | released. */
#define MC_RD_OUTS(rn) (32u + 8u + MC_REQ_NONCE_BYTES + 64u + 4u + (rn) + 4u)

/* A read request, the access.reads that logs it, and the request's bytes it borrows. */
typedef struct {
    mc_read_request q;
    mc_body_access_reads b;
    uint8_t req[MC_MAX_READ_REQUEST_BYTES];
} mc_rd;

static int mc_hash_order(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static mc_rd *mc_rd_by_id(const mc_hash *recs, uint32_t n)
{
    mc_rd *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->q.purpose = MC_PURPOSE_TREAT;
    r->q.action = MC_ACTION_READ;
    r->q.by = MC_READS_BY_ID;
    r->q.nids = n;
    memcpy(r->q.ids, recs, n * sizeof *recs);
    qsort(r->q.ids, n, sizeof r->q.ids[0], mc_hash_order);
    return r;
}

/* A page of @p patient's records (of @p cat unless NULL), anchored at any time, from the start. */
static mc_rd *mc_rd_by_patient(const mc_id *patient, const char *cat, uint32_t limit)
{
    mc_rd *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->q.purpose = MC_PURPOSE_TREAT;
    r->q.action = MC_ACTION_READ;
    r->q.by = MC_READS_BY_PATIENT;
    r->q.patient = *patient;
    if (cat) {
        r->q.ncats = 1;
        strcpy(r->q.cats[0], cat);
    }
    r->q.limit = limit;
    return r;
}

/* Encodes the access.reads as it stands into c.body. */
static void mc_rd_body(mc_world *w, const mc_rd *r)
{
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_access_reads_encode(&w->c.body, &r->b));
}

/* The reader's signature over the request the body carries (a stranger's when @p forge). */
static void mc_rd_sign(mc_world *w, mc_rd *r, const mc_who *reader, int forge)
{
    mc_hash body;
    mc_sha256(&body, r->b.request.p, r->b.request.n);
    mc_sign_request(w, reader, r->b.req_time_ms, r->b.req_nonce, "POST", MC_READS_TARGET, &body, forge,
                    &r->b.req_sig);
}

/*
 * The request made by @p reader at @p t and logged with outcomes for the @p n records @p recs,
 * each with the decision the policy gives at the next block's time, its key released when
 * permitted; into c.body.
 */
static void mc_rd_log(mc_world *w, mc_rd *r, const mc_who *reader, uint64_t t, const mc_hash *recs,
                      uint32_t n)
{
    mc_buf req = {r->req, 0, sizeof r->req, sizeof r->req};
    assert_ok(mc_read_request_encode(&req, &r->q));
    mc_body_access_reads *b = &r->b;
    memset(b, 0, sizeof *b);
    b->reader = reader->id;
    b->req_time_ms = t;
    mc_random(b->req_nonce, sizeof b->req_nonce);
    b->request = (mc_slice){r->req, req.n};
    mc_rd_sign(w, r, reader, 0);
    b->n = n;
    for (uint32_t i = 0; i < n; i++) b->out[i].record = recs[i];
    qsort(b->out, n, sizeof b->out[0], mc_hash_order);
    for (uint32_t i = 0; i < n; i++) {
        mc_read_outcome *o = &b->out[i];
        mc_decision d;
        mc_world_decide(w, &reader->id, &o->record, r->q.purpose, r->q.action, mc_world_next_time(w), &d);
        o->permit = (uint8_t)d.permit;
        o->reason = d.reason;
        o->has_basis = d.has_basis;
        o->basis = d.basis;
        o->released = (uint8_t)d.permit;
    }
    mc_rd_body(w, r);
}

/* The outcome of record @p rec (asserts there is one). */
static mc_read_outcome *mc_rd_out(mc_rd *r, const mc_hash *rec)
{
    for (uint32_t i = 0; i < r->b.n; i++)
        if (memcmp(r->b.out[i].record.b, rec->b, 32) == 0) return &r->b.out[i];
    fail_msg("no outcome for that record");
    return NULL;
}

/* A record of @p patient anchored by @p by into the custody of its org @p org. */
static void mc_anchor_held_by(mc_world *w, mc_who *by, const mc_id *org, const mc_id *patient, mc_hash *rid)
{
    mc_body_anchor *b = malloc(sizeof *b);
    assert_non_null(b);
    mc_body_anchor_for(w, rid, 0, patient, "cardiology", NULL);
    assert_ok(mc_body_anchor_decode(b, w->c.body.p, w->c.body.n));
    b->custodian = *org;
    b->nkeys = 1;
    b->keys[0].recipient = *org;
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_anchor_encode(&w->c.body, b));
    mc_add(&w->c, by, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    free(b);
}

/* The read events stored so far. */
typedef struct {
    unsigned n;
    mc_event ev[8];
} mc_reads_events;

static int mc_collect_read(void *arg, const mc_event *ev)
{
    mc_reads_events *e = arg;
    if (ev->kind == MC_EV_READ && e->n < MC_ARRAY_LEN(e->ev)) e->ev[e->n++] = *ev;
    return 0;
}

static void mc_read_events(mc_world *w, mc_reads_events *e)
{
    mc_store_txn *txn;
    memset(e, 0, sizeof *e);
    assert_ok(mc_store_begin(w->c.st, 0, &txn));
    assert_ok(mc_store_scan_events(txn, 1, 0, 0, 0, mc_collect_read, e));
    mc_store_abort(txn);
}

/* The world of these tests: three records of two patients by the hospital's staff, and the
 * patient's deny of the doctor's reads of lab results. The ids are in the order lab, card, card2,
 * so that the patient's denied outcome comes before a permitted one. */
typedef struct {
    mc_world *w;
    mc_hash card, lab, card2, deny;
} mc_chart;

static void mc_chart_open(mc_chart *h)
{
    h->w = malloc(sizeof *h->w);
    assert_non_null(h->w);
    mc_world *w = h->w;
    mc_world_open(w, NULL);
    uint64_t t = mc_world_next_time(w);
    mc_hash *ids[] = {&h->lab, &h->card, &h->card2};
    for (uint8_t i = 0; i < 3; i++) {
        mc_random(ids[i]->b, 32);
        ids[i]->b[0] = (uint8_t)(0x10 * (i + 1));
    }
    mc_body_anchor_for(w, &h->card, 1, &w->pat.id, "cardiology", NULL);
    mc_add(&w->c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_body_anchor_for(w, &h->lab, 1, &w->pat.id, "lab", NULL);
    mc_add(&w->c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_body_anchor_for(w, &h->card2, 1, &w->pat2.id, "cardiology", NULL);
    mc_add(&w->c, &w->er, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, &w->doc.id, NULL, "lab", NULL,
                        MC_PURPOSE_TREAT | MC_PURPOSE_HOPERAT, MC_ACTION_READ, t, t + DAY);
    mc_add(&w->c, &w->pat, MC_TX_CONSENT_DENY, MC_TXR_OK);
    mc_commit(&w->c, 0);
    mc_last_txid(w, 3, &h->deny);
}

static void mc_chart_close(mc_chart *h)
{
    mc_world_close(h->w);
    free(h->w);
}

/* A read of three records of two patients, one denied, logged by the custodian's node (not the
 * first transaction of its block, a while after the request): one access entry per outcome, in
 * order, and one read event per patient. */
static void test_reads_logged(void **state)
{
    (void)state;
    mc_chart h;
    mc_chart_open(&h);
    mc_world *w = h.w;
    mc_tchain *c = &w->c;
    const uint64_t t = mc_world_next_time(w) - 1500;
    const mc_hash recs[] = {h.card, h.lab, h.card2};
    mc_rd *r = mc_rd_by_id(recs, 3);
    r->q.purpose = MC_PURPOSE_HOPERAT;
    mc_hash other;
    mc_body_anchor_for(w, &other, 0, &w->pat.id, "lab", NULL);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    mc_read_outcome *lab = mc_rd_out(r, &h.lab), *card2 = mc_rd_out(r, &h.card2);
    assert_int_equal(lab->permit, 0);
    assert_int_equal(lab->reason, MC_RSN_DENY_EXPLICIT);
    assert_memory_equal(lab->basis.b, h.deny.b, 32);
    assert_int_equal(mc_rd_out(r, &h.card)->reason, MC_RSN_PERMIT_AUTHOR_ORG);
    card2->released = 0; /* permitted, but no key released (a record with none for its custodian) */
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    mc_commit(c, 0);
    const uint64_t height = c->res.header.height;
    mc_hash log;
    mc_last_txid(w, 1, &log);

    mc_store_txn *txn;
    mc_access a;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    for (uint16_t k = 0; k < 3; k++) {
        const mc_read_outcome *o = &r->b.out[k];
        const mc_id *patient = memcmp(o->record.b, h.card2.b, 32) == 0 ? &w->pat2.id : &w->pat.id;
        assert_ok(mc_store_get_access(txn, patient, height, 1, k, &a));
        assert_memory_equal(a.log_tx.b, log.b, 32);
        assert_memory_equal(a.patient.b, patient->b, 32);
        assert_memory_equal(a.reader.b, w->doc.id.b, 32);
        assert_memory_equal(a.custodian_node.b, w->node.id.b, 32);
        assert_memory_equal(a.record.b, o->record.b, 32);
        assert_true(a.req_time_ms == t);
        assert_int_equal(a.purpose, MC_PURPOSE_HOPERAT);
        assert_int_equal(a.action, MC_ACTION_READ);
        assert_int_equal(a.permit, o->permit);
        assert_int_equal(a.reason, o->reason);
        assert_int_equal(a.has_basis, o->has_basis);
        assert_memory_equal(a.basis.b, o->basis.b, 32);
        assert_int_equal(a.emergency, 0);
        assert_true(a.height == height && a.index == 1 && a.sub == k);
        assert_int_equal(a.via, MC_VIA_CONTENT);
        assert_int_equal(a.released, o->released);
        assert_int_equal(a.chart, 1);
        /* under its own patient only */
        assert_rc(
            mc_store_get_access(txn, patient == &w->pat.id ? &w->pat2.id : &w->pat.id, height, 1, k, &a),
            MC_ENOTFOUND);
    }
    assert_rc(mc_store_get_access(txn, &w->pat.id, height, 1, 3, &a), MC_ENOTFOUND);
    mc_store_abort(txn);
    assert_int_equal(mc_rd_out(r, &h.card)->released, 1);

    mc_reads_events e;
    mc_read_events(w, &e);
    assert_int_equal(e.n, 2);
    for (unsigned i = 0; i < e.n; i++) {
        const mc_event *ev = &e.ev[i];
        int first = memcmp(ev->patient.b, w->pat.id.b, 32) == 0;
        assert_true(first || memcmp(ev->patient.b, w->pat2.id.b, 32) == 0);
        assert_true(ev->height == height && ev->index == 1);
        /* a denied record of the patient's flags the patient's event */
        assert_int_equal(ev->flags, MC_EVF_CONTENT | (first ? MC_EVF_DENIED : 0));
        assert_memory_equal(ev->actor.b, w->doc.id.b, 32);
        assert_memory_equal(ev->other.b, w->hosp.id.b, 32);
        assert_memory_equal(ev->subject.b, log.b, 32);
    }
    assert_memory_not_equal(e.ev[0].patient.b, e.ev[1].patient.b, 32);
    free(r);
    mc_chart_close(&h);
}

/* Pages of one patient's records: the page's patient, categories, window and cursor, and limit. */
static void test_reads_by_patient(void **state)
{
    (void)state;
    mc_chart h;
    mc_chart_open(&h);
    mc_world *w = h.w;
    mc_tchain *c = &w->c;
    const uint64_t t = mc_world_next_time(w);
    const mc_hash both[] = {h.card, h.lab}, card[] = {h.card}, lab[] = {h.lab}, card2[] = {h.card2};
    mc_rd *r = mc_rd_by_patient(&w->pat.id, NULL, 2);
    mc_rd_log(w, r, &w->doc, t, both, 2);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    r->q.limit = 1; /* more outcomes than the page holds */
    mc_rd_log(w, r, &w->doc, t, both, 2);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_BODY);
    mc_rd_log(w, r, &w->doc, t, lab, 1);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    mc_rd_log(w, r, &w->doc, t, card2, 1); /* another patient's */
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    free(r);
    r = mc_rd_by_patient(&w->pat.id, "cardiology", 5);
    mc_rd_log(w, r, &w->doc, t, card, 1);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    r->q.purpose = MC_PURPOSE_HPAYMT; /* decided for the request's purpose: the author's org treats */
    mc_rd_log(w, r, &w->doc, t, card, 1);
    assert_int_equal(r->b.out[0].reason, MC_RSN_DENY_DEFAULT);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    r->q.purpose = MC_PURPOSE_TREAT;
    mc_rd_log(w, r, &w->doc, t, both, 2); /* the lab result is not in the page's categories */
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    r->q.after = h.card; /* after the cursor only */
    mc_rd_log(w, r, &w->doc, t, card, 1);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    /* the window [from, to) around the time it was anchored at */
    mc_store_txn *txn;
    mc_record rec;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_ok(mc_store_get_record(txn, &h.card, &rec));
    mc_store_abort(txn);
    const uint64_t at = rec.time_ms;
    assert_true(at == t - 1000);
    memset(r->q.after.b, 0, 32);
    r->q.from_ms = at + 1;
    mc_rd_log(w, r, &w->doc, t, card, 1);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    r->q.from_ms = at;
    r->q.to_ms = at + 1;
    mc_rd_log(w, r, &w->doc, t, card, 1);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    r->q.from_ms = at - 1000;
    r->q.to_ms = at;
    mc_rd_log(w, r, &w->doc, t, card, 1);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    mc_commit(c, 0);
    assert_int_equal(mc_count_events(w, MC_EV_READ), 5);
    free(r);
    mc_chart_close(&h);
}

/* What makes a logged read invalid; none of the refused ones writes anything. */
static void test_reads_refused(void **state)
{
    (void)state;
    mc_chart h;
    mc_chart_open(&h);
    mc_world *w = h.w;
    mc_tchain *c = &w->c;
    /* a node of the regulator; a lab with a doctor and a record of the patient in its custody */
    mc_who node2, lab, labdoc, stranger;
    mc_who_new(&node2);
    mc_body_reg(c, MC_ID_NODE, &w->reg.id, &node2.key, "", NULL);
    mc_add(c, &w->reg, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_commit(c, 0);
    mc_world_admit_org(w, &lab, "Lab B", "lab");
    mc_who_new(&labdoc);
    mc_body_reg(c, MC_ID_PROVIDER, &lab.id, &labdoc.key, "", NULL);
    mc_add(c, &lab, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_commit(c, 0);
    mc_hash held, ghost;
    mc_anchor_held_by(w, &labdoc, &lab.id, &w->pat.id, &held);
    mc_commit(c, 0);
    mc_random(ghost.b, 32);
    mc_who_new(&stranger);

    const uint64_t t = mc_world_next_time(w);
    const mc_hash recs[] = {h.card, h.lab, h.card2}, two[] = {h.card, h.lab}, one[] = {h.card};
    mc_rd *r = mc_rd_by_id(recs, 3), *r1 = mc_rd_by_id(one, 1);
    /* who logs: a node of the custodian org, and no one else */
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    mc_add(c, &w->doc, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    mc_add(c, &w->hosp, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    mc_add(c, &w->pat, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    mc_add(c, &node2, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED); /* not the custodian's node */
    /* a record the signer's org does not hold, though the request names it */
    const mc_hash mixed[] = {h.card, held};
    mc_rd *rm = mc_rd_by_id(mixed, 2);
    mc_rd_log(w, rm, &w->doc, t, mixed, 2);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    /* a record the request does not name */
    mc_rd_log(w, r1, &w->doc, t, two, 2);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_UNAUTHORIZED);
    /* a record that does not exist */
    const mc_hash withghost[] = {h.card, ghost};
    mc_rd *rg = mc_rd_by_id(withghost, 2);
    mc_rd_log(w, rg, &w->doc, t, withghost, 2);
    assert_int_equal(mc_rd_out(rg, &ghost)->reason, MC_RSN_DENY_UNKNOWN_RECORD);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_NOT_FOUND);

    /* a decision that is not the policy's: outcome, reason, basis */
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    mc_read_outcome *o = mc_rd_out(r, &h.card);
    o->permit = 0;
    o->released = 0;
    o->reason = MC_RSN_DENY_DEFAULT;
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_DECISION_MISMATCH);
    o->permit = 1;
    o->reason = MC_RSN_PERMIT_OWNER;
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_DECISION_MISMATCH);
    o->reason = MC_RSN_PERMIT_AUTHOR_ORG;
    o->has_basis = 1; /* a basis the policy did not give */
    o->basis = h.deny;
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_DECISION_MISMATCH);
    o->has_basis = 0;
    memset(o->basis.b, 0, 32);
    o = mc_rd_out(r, &h.lab);
    o->basis.b[7] ^= 1;
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_DECISION_MISMATCH);
    o->basis.b[7] ^= 1;
    o->has_basis = 0;
    memset(o->basis.b, 0, 32);
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_DECISION_MISMATCH);
    o->has_basis = 1;
    o->basis = h.deny;
    /* a key released on a denied record: not even a body (patched in: the encoder refuses it) */
    mc_rd_body(w, r);
    mc_buf_reset(&c->body);
    o->released = 1;
    assert_rc(mc_body_access_reads_encode(&c->body, &r->b), MC_EINVAL);
    o->released = 0;
    mc_rd_body(w, r);
    size_t off = MC_RD_OUTS(r->b.request.n);
    for (uint32_t i = 0; r->b.out + i != o; i++) off += 37 + (r->b.out[i].has_basis ? 32 : 0);
    off += 36 + 32; /* its released byte, after its basis */
    c->body.p[off] = 1;
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_BODY);
    c->body.p[off] = 0;
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK); /* the same bytes, valid: nothing was marked */
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_EXISTS);

    /* the reader's signature: forged, over another request, another time, by someone unknown */
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    mc_rd_sign(w, r, &w->doc, 1);
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_COSIG);
    mc_rd_log(w, r1, &w->doc, t, one, 1);
    mc_sig sig1 = r1->b.req_sig;
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    memcpy(r->b.req_nonce, r1->b.req_nonce, MC_REQ_NONCE_BYTES);
    r->b.req_sig = sig1; /* signed for one record, logged for three */
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_COSIG);
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    r->b.req_time_ms++;
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_COSIG);
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    r->b.reader = w->pat2.id; /* another reader's id */
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_COSIG);
    mc_rd_log(w, r, &stranger, t, recs, 3);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_NOT_FOUND);

    /* fresh: at most MC_ACCESS_LOG_MAX_AGE_MS old, MC_ACCESS_LOG_MAX_AHEAD_MS ahead */
    mc_rd_log(w, r, &w->doc, t - MC_ACCESS_LOG_MAX_AGE_MS - 1, recs, 3);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_STALE);
    mc_rd_log(w, r, &w->doc, t + MC_ACCESS_LOG_MAX_AHEAD_MS + 1, recs, 3);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_STALE);
    mc_rd_log(w, r, &w->doc, t - MC_ACCESS_LOG_MAX_AGE_MS, recs, 3);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    mc_rd_log(w, r, &w->doc, t + MC_ACCESS_LOG_MAX_AHEAD_MS, recs, 3);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);

    /* bodies that are no access.reads, or carry no read request */
    mc_body_raw(c, "\x01\x02\x03", 3);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_BODY);
    mc_rd_log(w, r, &w->doc, t, recs, 3);
    r->b.request.n--; /* a truncated request, signed as it is */
    mc_rd_sign(w, r, &w->doc, 0);
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_BODY);
    r->b.request.n = 0;
    mc_rd_sign(w, r, &w->doc, 0);
    mc_rd_body(w, r);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_BAD_BODY);
    mc_commit(c, 0);
    assert_int_equal(mc_count_events(w, MC_EV_READ), 3 * 2); /* the three valid logs, two patients each */

    /* logged once, in any later block too */
    mc_rd_log(w, r, &w->doc, mc_world_next_time(w), recs, 3);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_OK);
    mc_commit(c, 0);
    mc_add(c, &w->node, MC_TX_ACCESS_READS, MC_TXR_EXISTS);
    mc_commit(c, 0);
    free(r);
    free(r1);
    free(rm);
    free(rg);
    mc_chart_close(&h);
}

/* ------------------------------------------------------------------------------------------ */
/* org.gatekeeper                                                                               */

static void mc_body_gatekeeper_for(mc_world *w, mc_body_gatekeeper *b, const char *url)
{
    memset(b, 0, sizeof *b);
    mc_random(b->release_pk.b, 32);
    b->nurls = 1;
    strcpy(b->urls[0], url);
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_gatekeeper_encode(&w->c.body, b));
}

static void mc_get_gatekeeper(mc_world *w, const mc_id *org, mc_gatekeeper *g, int want)
{
    mc_store_txn *txn;
    assert_ok(mc_store_begin(w->c.st, 0, &txn));
    assert_rc(mc_store_get_gatekeeper(txn, org, g), want);
    mc_store_abort(txn);
}

static void test_org_gatekeeper(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    assert_non_null(w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_body_gatekeeper b1, b2, b3;
    mc_gatekeeper g;
    mc_get_gatekeeper(w, &w->hosp.id, &g, MC_ENOTFOUND);
    mc_body_gatekeeper_for(w, &b1, "https://gk.hospital.example");
    mc_add(c, &w->doc, MC_TX_ORG_GATEKEEPER, MC_TXR_UNAUTHORIZED); /* a provider */
    mc_add(c, &w->pat, MC_TX_ORG_GATEKEEPER, MC_TXR_UNAUTHORIZED);
    mc_add(c, &w->aud, MC_TX_ORG_GATEKEEPER, MC_TXR_UNAUTHORIZED);
    mc_add(c, &w->node, MC_TX_ORG_GATEKEEPER, MC_TXR_OK); /* for its org */
    mc_body_gatekeeper_for(w, &b2, "http://gk.regulator.example:8080");
    mc_add(c, &w->reg, MC_TX_ORG_GATEKEEPER, MC_TXR_OK); /* the org itself */
    mc_body_raw(c, "\x00\x01", 2);
    mc_add(c, &w->node, MC_TX_ORG_GATEKEEPER, MC_TXR_BAD_BODY);
    mc_body_raw(c, "", 0);
    mc_add(c, &w->node, MC_TX_ORG_GATEKEEPER, MC_TXR_BAD_BODY);
    mc_commit(c, 0);
    const uint64_t h1 = c->res.header.height;
    mc_get_gatekeeper(w, &w->hosp.id, &g, MC_OK);
    assert_memory_equal(g.org.b, w->hosp.id.b, 32);
    assert_memory_equal(g.by.b, w->node.id.b, 32);
    assert_memory_equal(&g.body, &b1, sizeof b1);
    assert_true(g.height == h1);
    mc_get_gatekeeper(w, &w->reg.id, &g, MC_OK);
    assert_memory_equal(g.org.b, w->reg.id.b, 32);
    assert_memory_equal(g.by.b, w->reg.id.b, 32);
    assert_memory_equal(&g.body, &b2, sizeof b2);
    mc_get_gatekeeper(w, &w->res.id, &g, MC_ENOTFOUND);

    /* a later one replaces it (a rotated key): by the org, then by its node in the same block */
    mc_body_gatekeeper_for(w, &b2, "https://gk2.hospital.example");
    mc_add(c, &w->hosp, MC_TX_ORG_GATEKEEPER, MC_TXR_OK);
    mc_commit(c, 0);
    mc_get_gatekeeper(w, &w->hosp.id, &g, MC_OK);
    assert_memory_equal(g.by.b, w->hosp.id.b, 32);
    assert_memory_equal(&g.body, &b2, sizeof b2);
    assert_true(g.height == h1 + 1);
    mc_add(c, &w->hosp, MC_TX_ORG_GATEKEEPER, MC_TXR_OK);
    mc_body_gatekeeper_for(w, &b3, "https://gk3.hospital.example");
    mc_add(c, &w->node, MC_TX_ORG_GATEKEEPER, MC_TXR_OK);
    mc_commit(c, 0);
    mc_get_gatekeeper(w, &w->hosp.id, &g, MC_OK);
    assert_memory_equal(g.by.b, w->node.id.b, 32);
    assert_memory_equal(&g.body, &b3, sizeof b3);
    mc_world_close(w);
    free(w);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_logged),
        cmocka_unit_test(test_reads_by_patient),
        cmocka_unit_test(test_reads_refused),
        cmocka_unit_test(test_org_gatekeeper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
