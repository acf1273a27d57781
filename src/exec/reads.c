/*
 * access.reads (a whole-chart read: one signed request, one outcome per record) and
 * org.gatekeeper (where a custodian serves, and the key its node releases data keys with).
 *
 * An access.reads is valid only if everything an access.log must be is true of it (signed by a
 * node, the reader's own signature over the request it carries, fresh, logged once) and, for
 * every outcome: the record exists, is in the custody of the signing node's org, is one the
 * request selects, and the policy at the block time gives the logged decision for the request's
 * purpose and action. A key is released only on a permitted content read. Each outcome becomes
 * one entry of the patient's access history; each patient gets one read event per log.
 */
#include <stdlib.h>
#include <string.h>

#include "exec_internal.h"

int mc_exec_org_gatekeeper(const mc_exec_ctx *c)
{
    mc_body_gatekeeper b;
    if (mc_body_gatekeeper_decode(&b, c->tx->body.p, c->tx->body.n)) return MC_TXR_BAD_BODY;
    const mc_identity *s = c->signer;
    if (s->kind != MC_ID_NODE && s->kind != MC_ID_ORG) return MC_TXR_UNAUTHORIZED;
    mc_gatekeeper g = {
        .org = s->kind == MC_ID_ORG ? s->id : s->org, .by = s->id, .body = b, .height = c->height};
    int rc = mc_store_put_gatekeeper(c->txn, &g);
    return rc ? -rc : MC_TXR_OK;
}

/* Whether outcome @p o may stand: the record is held by the signer's org and selected by @p q,
 * and the policy agrees. @p rec receives the record. */
static int mc_reads_outcome(const mc_exec_ctx *c, const mc_read_request *q, const mc_id *reader,
                            const mc_read_outcome *o, mc_record *rec)
{
    int rc = mc_store_get_record(c->txn, &o->record, rec);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    if (memcmp(rec->custodian.b, c->signer->org.b, 32) != 0 || !mc_read_request_selects(q, rec))
        return MC_TXR_UNAUTHORIZED;
    mc_decision d;
    if ((rc = mc_exec_redecide(c->txn, reader, &o->record, q->purpose, q->action, c->time_ms, &d)))
        return -rc;
    int same = d.permit == o->permit && d.reason == o->reason && d.has_basis == o->has_basis &&
               (!d.has_basis || memcmp(d.basis.b, o->basis.b, 32) == 0);
    return same ? MC_TXR_OK : MC_TXR_DECISION_MISMATCH;
}

/* One read event per patient of the log (a page may span patients when read by id). */
static int mc_reads_emit(const mc_exec_ctx *c, const mc_id *patients, const unsigned *flags, size_t np,
                         const mc_identity *reader)
{
    int code = MC_TXR_OK;
    for (size_t i = 0; i < np && code == MC_TXR_OK; i++)
        code = mc_exec_emit(c, MC_EV_READ, flags[i], &patients[i], &reader->id, &reader->org, &c->tx->id);
    return code;
}

/* Writes outcome @p k as an access entry, and notes its patient for the events. */
static int mc_reads_put(const mc_exec_ctx *c, const mc_body_access_reads *b, const mc_read_request *q,
                        uint32_t k, const mc_record *rec, mc_id *patients, unsigned *flags, size_t *np)
{
    const mc_read_outcome *o = &b->out[k];
    mc_access a = {.log_tx = c->tx->id,
                   .patient = rec->patient,
                   .reader = b->reader,
                   .custodian_node = c->signer->id,
                   .record = o->record,
                   .req_time_ms = b->req_time_ms,
                   .purpose = q->purpose,
                   .action = q->action,
                   .permit = o->permit,
                   .emergency = (uint8_t)(o->permit && o->reason == MC_RSN_PERMIT_EMERGENCY),
                   .reason = o->reason,
                   .has_basis = o->has_basis,
                   .basis = o->basis,
                   .height = c->height,
                   .index = c->index,
                   .via = MC_VIA_CONTENT,
                   .sub = (uint16_t)k,
                   .released = o->released,
                   .chart = 1};
    int rc = mc_store_put_access(c->txn, &a);
    if (rc) return -rc;
    size_t i = 0;
    while (i < *np && memcmp(patients[i].b, rec->patient.b, 32) != 0) i++;
    if (i == *np) patients[(*np)++] = rec->patient;
    flags[i] |= mc_exec_read_flags(&a);
    return MC_TXR_OK;
}

static int mc_reads_apply(const mc_exec_ctx *c, const mc_body_access_reads *b, const mc_read_request *q)
{
    mc_identity reader;
    mc_skey once;
    int code = mc_exec_check_logged(c, &reader, &once);
    if (code != MC_TXR_OK) return code;
    if (q->by == MC_READS_BY_PATIENT && b->n > q->limit) return MC_TXR_BAD_BODY;
    mc_record rec;
    for (uint32_t k = 0; k < b->n; k++)
        if ((code = mc_reads_outcome(c, q, &b->reader, &b->out[k], &rec)) != MC_TXR_OK) return code;
    int rc = mc_store_mark(c->txn, &once);
    if (rc) return -rc;
    mc_id *patients = malloc(b->n * sizeof *patients);
    unsigned *flags = calloc(b->n, sizeof *flags);
    size_t np = 0;
    code = patients && flags ? MC_TXR_OK : -MC_ENOMEM;
    for (uint32_t k = 0; k < b->n && code == MC_TXR_OK; k++) {
        if ((rc = mc_store_get_record(c->txn, &b->out[k].record, &rec))) code = -rc;
        if (code == MC_TXR_OK) code = mc_reads_put(c, b, q, k, &rec, patients, flags, &np);
    }
    if (code == MC_TXR_OK) code = mc_reads_emit(c, patients, flags, np, &reader);
    free(patients);
    free(flags);
    return code;
}

int mc_exec_access_reads(const mc_exec_ctx *c)
{
    mc_body_access_reads *b = malloc(sizeof *b);
    mc_read_request *q = malloc(sizeof *q);
    int code = b && q ? MC_TXR_BAD_BODY : -MC_ENOMEM;
    if (code == MC_TXR_BAD_BODY && !mc_body_access_reads_decode(b, c->tx->body.p, c->tx->body.n) &&
        !mc_read_request_decode(q, b->request.p, b->request.n))
        code = mc_reads_apply(c, b, q);
    free(b);
    free(q);
    return code;
}
