/*
 * Events (GET /v1/events) are written by the executor as it applies a block, so they come
 * from applied blocks only, in a fixed order: (height, index, n). They name ids, never content.
 */
#include <string.h>

#include "exec_internal.h"

static int mc_exec_put_event(mc_store_txn *txn, uint64_t height, uint32_t index, uint16_t n, uint64_t time_ms,
                             int kind, unsigned flags, const mc_id *patient, const mc_id *actor,
                             const mc_id *other, const mc_hash *subject)
{
    mc_event ev;
    memset(&ev, 0, sizeof ev);
    ev.height = height;
    ev.index = index;
    ev.n = n;
    ev.kind = (uint8_t)kind;
    ev.flags = (uint8_t)flags;
    if (patient) ev.patient = *patient;
    if (actor) ev.actor = *actor;
    if (other) ev.other = *other;
    if (subject) ev.subject = *subject;
    ev.time_ms = time_ms;
    return mc_store_put_event(txn, &ev);
}

int mc_exec_emit(const mc_exec_ctx *c, int kind, unsigned flags, const mc_id *patient, const mc_id *actor,
                 const mc_id *other, const mc_hash *subject)
{
    int rc = mc_exec_put_event(c->txn, c->height, c->index, (*c->nevents)++, c->time_ms, kind, flags, patient,
                               actor, other, subject);
    return rc ? -rc : MC_TXR_OK;
}

typedef struct {
    mc_store_txn *txn;
    uint64_t height, time_ms, until;
    uint32_t ntx;
    uint64_t count; /* notices so far: index ntx + count / 65536, n = count % 65536 */
} mc_expiry_scan;

#define MC_SCAN_STOP 0x7fffffff /* not an MC_E* code */

static int mc_expiry_one(void *arg, mc_slice key, mc_slice val)
{
    mc_expiry_scan *s = arg;
    (void)val;
    if (key.n != 1 + 8 + 32) return MC_ECORRUPT;
    if (mc_get_u64be(key.p + 1) >= s->until) return MC_SCAN_STOP; /* past the window */
    mc_hash id;
    mc_consent c;
    memcpy(id.b, key.p + 9, 32);
    int rc = mc_store_get_consent(s->txn, &id, &c);
    if (rc) return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc;
    if (c.deny || c.status != MC_CONSENT_ACTIVE) return 0;
    uint64_t k = s->count++;
    return mc_exec_put_event(s->txn, s->height, s->ntx + (uint32_t)(k >> 16), (uint16_t)k, s->time_ms,
                             MC_EV_GRANT_EXPIRING, 0, &c.body.patient, &c.by, &c.body.grantee, &c.id);
}

int mc_exec_expiry_notices(mc_store_txn *txn, uint64_t height, uint32_t ntx, uint64_t prev_time,
                           uint64_t time_ms)
{
    if (time_ms <= prev_time) return MC_OK;
    mc_expiry_scan s = {txn, height, time_ms, time_ms + MC_EXPIRY_NOTICE_MS, ntx, 0};
    uint8_t from[8];
    mc_skey prefix, start;
    mc_put_u64be(from, prev_time + MC_EXPIRY_NOTICE_MS);
    mc_skey_make(&prefix, MC_SK_CONSENT_END, NULL, 0, NULL, 0, NULL, 0);
    mc_skey_make(&start, MC_SK_CONSENT_END, from, 8, NULL, 0, NULL, 0);
    int rc = mc_store_scan(txn, &prefix, &start, mc_expiry_one, &s);
    return rc == MC_SCAN_STOP ? MC_OK : rc;
}
