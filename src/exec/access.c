/*
 * access.emergency (break-glass) and access.log (one read, permitted or denied).
 *
 * Break-glass is for providers whose org gave them emergency=true; it opens a window of at
 * most a day on one patient, starting at the block time, and is always notified to the patient
 * and to auditors. A read is logged by a node of the record's custodian org with the reader's
 * own signed request, and is valid only if the policy, at the block time, gives the logged
 * decision: a custodian can neither invent a read nor flip its outcome, and the reader cannot
 * choose the time it is decided at. The request is the decision route's POST or the
 * gatekeeper's GET of the ciphertext (the body's via): the reader signed one or the other.
 */
#include <stdlib.h>
#include <string.h>

#include "exec_internal.h"
#include "medchain/policy.h"

int mc_exec_access_emergency(const mc_exec_ctx *c)
{
    mc_body_emergency b;
    if (mc_body_emergency_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    const char *em = mc_attrs_get(&c->signer->attrs, "emergency");
    if (c->signer->kind != MC_ID_PROVIDER || !em || strcmp(em, "true") != 0) return MC_TXR_UNAUTHORIZED;
    int code = mc_exec_check_patient(c, &b.patient);
    if (code != MC_TXR_OK) return code;
    /* the patient and at least one auditor (or regulator org) must be able to read why */
    int to_patient = 0, to_auditor = 0;
    for (uint32_t i = 0; i < b.nreasons; i++) {
        if (memcmp(b.reason_to[i].b, b.patient.b, 32) == 0) {
            to_patient = 1;
            continue;
        }
        int yes = mc_exec_is_auditor(c->txn, &b.reason_to[i]);
        if (yes < 0) return yes;
        to_auditor |= yes;
    }
    if (!to_patient || !to_auditor) return MC_TXR_BAD_BODY;
    mc_emergency e = {.id = c->tx->id,
                      .patient = b.patient,
                      .provider = c->signer->id,
                      .provider_org = c->signer->org,
                      .start_ms = c->time_ms,
                      .end_ms = c->time_ms + b.duration_ms,
                      .height = c->height};
    int rc = mc_store_put_emergency(c->txn, &e);
    if (rc) return -rc;
    return mc_exec_emit(c, MC_EV_EMERGENCY, MC_EVF_EMERGENCY, &b.patient, &c->signer->id, &c->signer->org,
                        &e.id);
}

int mc_exec_signed_request(const mc_hash *chain, const mc_tx *tx, mc_exec_request *out)
{
    memset(out, 0, sizeof *out);
    if (tx->kind == MC_TX_ACCESS_READS) {
        mc_body_access_reads *b = malloc(sizeof *b);
        if (!b) return MC_ENOMEM;
        int rc = mc_body_access_reads_decode(b, tx->body.p, tx->body.n);
        if (!rc) {
            mc_hash body;
            mc_sha256(&body, b->request.n ? b->request.p : (const uint8_t *)"", b->request.n);
            out->reader = b->reader;
            out->time_ms = b->req_time_ms;
            memcpy(out->nonce, b->req_nonce, MC_REQ_NONCE_BYTES);
            out->sig = b->req_sig;
            mc_request_digest(&out->digest, chain, &b->reader, b->req_time_ms, b->req_nonce, "POST",
                              MC_READS_TARGET, &body);
        }
        free(b);
        return rc ? MC_EINVAL : MC_OK;
    }
    mc_body_access_log b;
    char target[160];
    mc_hash empty;
    if (tx->kind != MC_TX_ACCESS_LOG || mc_body_access_log_decode(&b, tx->body.p, tx->body.n))
        return MC_EINVAL;
    const char *method = mc_access_method(b.via);
    if (!method || mc_access_target(target, &b.record, b.purpose, b.action, b.via)) return MC_EINVAL;
    mc_sha256(&empty, "", 0);
    out->reader = b.reader;
    out->time_ms = b.req_time_ms;
    memcpy(out->nonce, b.req_nonce, MC_REQ_NONCE_BYTES);
    out->sig = b.req_sig;
    mc_request_digest(&out->digest, chain, &b.reader, b.req_time_ms, b.req_nonce, method, target, &empty);
    return MC_OK;
}

int mc_exec_access_presig(mc_store_txn *txn, const mc_hash *chain, mc_sigcache *cache, const mc_tx *tx,
                          mc_exec_presig *ps)
{
    mc_exec_request q;
    mc_identity reader;
    memset(ps, 0, sizeof *ps);
    int rc = mc_exec_signed_request(chain, tx, &q);
    if (rc) return rc == MC_ENOMEM ? rc : MC_OK; /* the rule says why */
    rc = mc_store_get_identity(txn, &q.reader, &reader);
    if (rc) return rc == MC_ENOTFOUND ? MC_OK : rc;
    ps->checked = 1;
    ps->pk = reader.sign_pk;
    ps->sig = q.sig;
    ps->digest = q.digest;
    /* the custodian's api verified this request when the reader made it, and said so in the
     * cache: the entry names these signature bytes, this digest and this key, nothing else */
    ps->ok = cache && mc_sigcache_has(cache, &ps->digest, &ps->sig, &ps->pk);
    return MC_OK;
}

/* The reader's signature over the read request it made (checked by the pre-pass when the
 * reader's key is the one it had at the start of the block). */
static int mc_check_request(const mc_exec_ctx *c, const mc_exec_request *q, const mc_identity *reader)
{
    const mc_exec_presig *ps = c->presig;
    if (ps && ps->checked && memcmp(ps->pk.b, reader->sign_pk.b, 32) == 0 &&
        memcmp(ps->digest.b, q->digest.b, 32) == 0 && memcmp(ps->sig.b, q->sig.b, sizeof ps->sig.b) == 0)
        return ps->ok ? MC_TXR_OK : MC_TXR_BAD_COSIG;
    return mc_verify(&q->sig, q->digest.b, 32, &reader->sign_pk) == MC_OK ? MC_TXR_OK : MC_TXR_BAD_COSIG;
}

int mc_exec_check_logged(const mc_exec_ctx *c, mc_identity *reader, mc_skey *once)
{
    mc_exec_request q;
    if (c->signer->kind != MC_ID_NODE) return MC_TXR_UNAUTHORIZED;
    int rc = mc_exec_signed_request(c->chain, c->tx, &q);
    if (rc) return rc == MC_ENOMEM ? -rc : MC_TXR_BAD_BODY;
    if (q.time_ms + MC_ACCESS_LOG_MAX_AGE_MS < c->time_ms ||
        q.time_ms > c->time_ms + MC_ACCESS_LOG_MAX_AHEAD_MS)
        return MC_TXR_STALE;
    rc = mc_store_get_identity(c->txn, &q.reader, reader);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    int code = mc_check_request(c, &q, reader);
    if (code != MC_TXR_OK) return code;
    mc_skey_make(once, MC_SK_LOGGED_REQUEST, q.reader.b, 32, q.nonce, MC_REQ_NONCE_BYTES, NULL, 0);
    rc = mc_store_has(c->txn, once);
    if (rc == MC_OK) return MC_TXR_EXISTS; /* this read is on the ledger already */
    return rc == MC_ENOTFOUND ? MC_TXR_OK : -rc;
}

int mc_exec_redecide(mc_store_txn *txn, const mc_id *reader, const mc_hash *record, uint32_t purpose,
                     uint8_t action, uint64_t t, mc_decision *d)
{
    mc_policy_view view;
    mc_policy_store_ctx *pc = malloc(sizeof *pc);
    if (!pc) return MC_ENOMEM;
    mc_policy_store_view(&view, pc, txn);
    int rc = mc_policy_decide(&view, reader, record, purpose, action, t, d);
    free(pc);
    return rc;
}

static int mc_same_decision(const mc_decision *d, const mc_body_access_log *b)
{
    if (d->permit != b->permit || d->reason != b->reason || d->has_basis != b->has_basis) return 0;
    return !d->has_basis || memcmp(d->basis.b, b->basis.b, 32) == 0;
}

int mc_exec_access_log(const mc_exec_ctx *c)
{
    mc_body_access_log b;
    if (mc_body_access_log_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    if (c->signer->kind != MC_ID_NODE) return MC_TXR_UNAUTHORIZED;
    mc_record rec;
    int rc = mc_store_get_record(c->txn, &b.record, &rec);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    if (memcmp(rec.custodian.b, c->signer->org.b, 32) != 0) return MC_TXR_UNAUTHORIZED;
    mc_identity reader;
    mc_skey k;
    int code = mc_exec_check_logged(c, &reader, &k);
    if (code != MC_TXR_OK) return code;
    mc_decision d;
    if ((rc = mc_exec_redecide(c->txn, &b.reader, &b.record, b.purpose, b.action, c->time_ms, &d)))
        return -rc;
    if (!mc_same_decision(&d, &b)) return MC_TXR_DECISION_MISMATCH;

    if ((rc = mc_store_mark(c->txn, &k))) return -rc;
    int emergency = b.permit && b.reason == MC_RSN_PERMIT_EMERGENCY;
    mc_access a = {.log_tx = c->tx->id,
                   .patient = rec.patient,
                   .reader = b.reader,
                   .custodian_node = c->signer->id,
                   .record = b.record,
                   .req_time_ms = b.req_time_ms,
                   .purpose = b.purpose,
                   .action = b.action,
                   .permit = b.permit,
                   .emergency = (uint8_t)emergency,
                   .reason = b.reason,
                   .has_basis = b.has_basis,
                   .basis = b.basis,
                   .height = c->height,
                   .index = c->index,
                   .via = b.via};
    if ((rc = mc_store_put_access(c->txn, &a))) return -rc;
    return mc_exec_emit(c, MC_EV_READ, mc_exec_read_flags(&a), &rec.patient, &b.reader, &reader.org,
                        &c->tx->id);
}

unsigned mc_exec_read_flags(const mc_access *a)
{
    /* every break-glass read is flagged (and so reaches auditors), permitted or not */
    return (a->emergency || a->purpose == MC_PURPOSE_ETREAT ? MC_EVF_EMERGENCY : 0) |
           (a->permit ? 0 : MC_EVF_DENIED) | (a->via == MC_VIA_CONTENT ? MC_EVF_CONTENT : 0);
}
