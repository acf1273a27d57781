/*
 * Access: break-glass (access.emergency) and logged reads (access.log), the request a reader
 * signs (through the decision route or the gatekeeper's content route), and both as held in
 * the state.
 */
#include <stdio.h>
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

static int mc_emergency_body_check(const mc_body_emergency *b)
{
    if (b->nreasons > MC_MAX_REASONS) return MC_ETOOBIG;
    if (b->duration_ms < 1 || b->duration_ms > MC_MAX_EMERGENCY_MS || b->nreasons < 1) return MC_EINVAL;
    for (uint32_t i = 0; i < b->nreasons; i++) {
        if (b->reason[i].n > MC_MAX_REASON_BYTES) return MC_ETOOBIG;
        /* a sealed box of at least one byte of reason */
        if (b->reason[i].n < MC_SEAL_OVERHEAD + 1 || !b->reason[i].p) return MC_EINVAL;
    }
    if (!mc_chain_sorted(b->reason_to, b->nreasons, sizeof b->reason_to[0], sizeof b->reason_to[0]))
        return MC_EINVAL;
    return MC_OK;
}

int mc_body_emergency_encode(mc_buf *out, const mc_body_emergency *b)
{
    int rc = mc_emergency_body_check(b);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, b->patient.b, 32);
    mc_enc_u64(&e, b->duration_ms);
    mc_enc_u32(&e, b->nreasons);
    for (uint32_t i = 0; i < b->nreasons; i++) {
        mc_enc_fixed(&e, b->reason_to[i].b, 32);
        mc_enc_bytes(&e, b->reason[i].p, b->reason[i].n, MC_MAX_REASON_BYTES);
    }
    return mc_enc_done(&e);
}

int mc_body_emergency_decode(mc_body_emergency *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_dec_fixed(&d, b->patient.b, 32);
    b->duration_ms = mc_dec_u64(&d);
    b->nreasons = mc_dec_count(&d, MC_MAX_REASONS);
    for (uint32_t i = 0; i < b->nreasons && !d.err; i++) {
        mc_dec_fixed(&d, b->reason_to[i].b, 32);
        b->reason[i] = mc_dec_bytes(&d, MC_MAX_REASON_BYTES);
    }
    return mc_chain_dec_end(&d, b, sizeof *b, mc_emergency_body_check(b));
}

int mc_chain_decision_ok(uint32_t purpose, uint8_t action, uint8_t permit, uint16_t reason, int has_basis)
{
    if (!mc_purpose_name(purpose) || !mc_action_name(action)) return 0; /* names only single bits */
    if (!mc_chain_flag_ok(permit) || !mc_chain_flag_ok(has_basis) || !mc_reason_name(reason)) return 0;
    return permit == (reason < MC_RSN_DENY_);
}

void mc_chain_req_enc(mc_enc *e, const mc_id *reader, uint64_t time_ms, const uint8_t *nonce,
                      const mc_sig *sig)
{
    mc_enc_fixed(e, reader->b, 32);
    mc_enc_u64(e, time_ms);
    mc_enc_fixed(e, nonce, MC_REQ_NONCE_BYTES);
    mc_enc_fixed(e, sig->b, 64);
}

void mc_chain_req_dec(mc_dec *d, mc_id *reader, uint64_t *time_ms, uint8_t *nonce, mc_sig *sig)
{
    mc_dec_fixed(d, reader->b, 32);
    *time_ms = mc_dec_u64(d);
    mc_dec_fixed(d, nonce, MC_REQ_NONCE_BYTES);
    mc_dec_fixed(d, sig->b, 64);
}

void mc_chain_decision_enc(mc_enc *e, uint8_t permit, uint16_t reason, int has_basis, const mc_hash *basis)
{
    mc_enc_u8(e, permit);
    mc_enc_u16(e, reason);
    mc_enc_bool(e, has_basis);
    if (has_basis) mc_enc_fixed(e, basis->b, 32);
}

void mc_chain_decision_dec(mc_dec *d, uint8_t *permit, uint16_t *reason, int *has_basis, mc_hash *basis)
{
    *permit = mc_dec_u8(d);
    *reason = mc_dec_u16(d);
    *has_basis = mc_dec_bool(d);
    if (*has_basis) mc_dec_fixed(d, basis->b, 32);
}

/* A read through the gatekeeper (content) is a read of the ciphertext: action read only. */
static int mc_via_ok(uint8_t via, uint8_t action)
{
    return via == MC_VIA_DECISION || (via == MC_VIA_CONTENT && action == MC_ACTION_READ);
}

static int mc_access_log_check(const mc_body_access_log *b)
{
    return mc_chain_decision_ok(b->purpose, b->action, b->permit, b->reason, b->has_basis) &&
                   mc_via_ok(b->via, b->action)
               ? MC_OK
               : MC_EINVAL;
}

int mc_body_access_log_encode(mc_buf *out, const mc_body_access_log *b)
{
    int rc = mc_access_log_check(b);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_chain_req_enc(&e, &b->reader, b->req_time_ms, b->req_nonce, &b->req_sig);
    mc_enc_fixed(&e, b->record.b, 32);
    mc_enc_u32(&e, b->purpose);
    mc_enc_u8(&e, b->action);
    mc_chain_decision_enc(&e, b->permit, b->reason, b->has_basis, &b->basis);
    mc_enc_u8(&e, b->via);
    return mc_enc_done(&e);
}

int mc_body_access_log_decode(mc_body_access_log *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_chain_req_dec(&d, &b->reader, &b->req_time_ms, b->req_nonce, &b->req_sig);
    mc_dec_fixed(&d, b->record.b, 32);
    b->purpose = mc_dec_u32(&d);
    b->action = mc_dec_u8(&d);
    mc_chain_decision_dec(&d, &b->permit, &b->reason, &b->has_basis, &b->basis);
    b->via = mc_dec_u8(&d);
    return mc_chain_dec_end(&d, b, sizeof *b, mc_access_log_check(b));
}

int mc_access_target(char out[160], const mc_hash *record, uint32_t purpose, uint8_t action, uint8_t via)
{
    static const char *const route[MC_VIA_COUNT_] = {"access", "content"};
    out[0] = 0;
    const char *pn = mc_purpose_name(purpose), *an = mc_action_name(action);
    if (!pn || !an || via >= MC_VIA_COUNT_ || !mc_via_ok(via, action)) return MC_EINVAL;
    char hex[65];
    mc_hex_encode(hex, record->b, 32);
    int w = snprintf(out, 160, "/v1/records/%s/%s?purpose=%s&action=%s", hex, route[via], pn, an);
    if (w > 0 && w < 160) return MC_OK; /* at most 117 bytes: never truncated */
    out[0] = 0;
    return MC_EINVAL;
}

const char *mc_access_method(uint8_t via)
{
    return via == MC_VIA_DECISION ? "POST" : via == MC_VIA_CONTENT ? "GET" : NULL;
}

int mc_emergency_encode(mc_buf *out, const mc_emergency *em)
{
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, em->id.b, 32);
    mc_enc_fixed(&e, em->patient.b, 32);
    mc_enc_fixed(&e, em->provider.b, 32);
    mc_enc_fixed(&e, em->provider_org.b, 32);
    mc_enc_u64(&e, em->start_ms);
    mc_enc_u64(&e, em->end_ms);
    mc_enc_u64(&e, em->height);
    return mc_enc_done(&e);
}

int mc_emergency_decode(mc_emergency *em, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(em, 0, sizeof *em);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, em->id.b, 32);
    mc_dec_fixed(&d, em->patient.b, 32);
    mc_dec_fixed(&d, em->provider.b, 32);
    mc_dec_fixed(&d, em->provider_org.b, 32);
    em->start_ms = mc_dec_u64(&d);
    em->end_ms = mc_dec_u64(&d);
    em->height = mc_dec_u64(&d);
    return mc_chain_dec_end(&d, em, sizeof *em, MC_OK);
}

static int mc_access_check(const mc_access *a)
{
    return mc_chain_decision_ok(a->purpose, a->action, a->permit, a->reason, a->has_basis) &&
                   mc_chain_flag_ok(a->emergency) && mc_via_ok(a->via, a->action) &&
                   mc_chain_flag_ok(a->released) && mc_chain_flag_ok(a->chart) &&
                   (!a->released || a->permit) && (!a->chart || a->via == MC_VIA_CONTENT) &&
                   (a->chart || (!a->sub && !a->released))
               ? MC_OK
               : MC_EINVAL;
}

int mc_access_encode(mc_buf *out, const mc_access *a)
{
    int rc = mc_access_check(a);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, a->log_tx.b, 32);
    mc_enc_fixed(&e, a->patient.b, 32);
    mc_enc_fixed(&e, a->reader.b, 32);
    mc_enc_fixed(&e, a->custodian_node.b, 32);
    mc_enc_fixed(&e, a->record.b, 32);
    mc_enc_u64(&e, a->req_time_ms);
    mc_enc_u32(&e, a->purpose);
    mc_enc_u8(&e, a->action);
    mc_enc_u8(&e, a->permit);
    mc_enc_u8(&e, a->emergency);
    mc_enc_u16(&e, a->reason);
    mc_enc_bool(&e, a->has_basis);
    if (a->has_basis) mc_enc_fixed(&e, a->basis.b, 32);
    mc_enc_u64(&e, a->height);
    mc_enc_u32(&e, a->index);
    mc_enc_u8(&e, a->via);
    mc_enc_u16(&e, a->sub);
    mc_enc_u8(&e, a->released);
    mc_enc_u8(&e, a->chart);
    return mc_enc_done(&e);
}

int mc_access_decode(mc_access *a, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(a, 0, sizeof *a);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, a->log_tx.b, 32);
    mc_dec_fixed(&d, a->patient.b, 32);
    mc_dec_fixed(&d, a->reader.b, 32);
    mc_dec_fixed(&d, a->custodian_node.b, 32);
    mc_dec_fixed(&d, a->record.b, 32);
    a->req_time_ms = mc_dec_u64(&d);
    a->purpose = mc_dec_u32(&d);
    a->action = mc_dec_u8(&d);
    a->permit = mc_dec_u8(&d);
    a->emergency = mc_dec_u8(&d);
    a->reason = mc_dec_u16(&d);
    a->has_basis = mc_dec_bool(&d);
    if (a->has_basis) mc_dec_fixed(&d, a->basis.b, 32);
    a->height = mc_dec_u64(&d);
    a->index = mc_dec_u32(&d);
    a->via = mc_dec_u8(&d);
    a->sub = mc_dec_u16(&d);
    a->released = mc_dec_u8(&d);
    a->chart = mc_dec_u8(&d);
    return mc_chain_dec_end(&d, a, sizeof *a, mc_access_check(a));
}
