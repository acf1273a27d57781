/* Events as stored (fixed size, MC_EVENT_BYTES): derived from applied blocks, ids and kinds only. */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

static int mc_event_check(const mc_event *ev)
{
    return mc_event_kind_name(ev->kind) &&
                   !(ev->flags & ~(MC_EVF_EMERGENCY | MC_EVF_DENIED | MC_EVF_REMOVED | MC_EVF_CONTENT))
               ? MC_OK
               : MC_EINVAL;
}

int mc_event_encode(mc_buf *out, const mc_event *ev)
{
    int rc = mc_event_check(ev);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_u64(&e, ev->height);
    mc_enc_u32(&e, ev->index);
    mc_enc_u16(&e, ev->n);
    mc_enc_u8(&e, ev->kind);
    mc_enc_u8(&e, ev->flags);
    mc_enc_fixed(&e, ev->patient.b, 32);
    mc_enc_fixed(&e, ev->actor.b, 32);
    mc_enc_fixed(&e, ev->other.b, 32);
    mc_enc_fixed(&e, ev->subject.b, 32);
    mc_enc_u64(&e, ev->time_ms);
    return mc_enc_done(&e);
}

int mc_event_decode(mc_event *ev, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(ev, 0, sizeof *ev);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    ev->height = mc_dec_u64(&d);
    ev->index = mc_dec_u32(&d);
    ev->n = mc_dec_u16(&d);
    ev->kind = mc_dec_u8(&d);
    ev->flags = mc_dec_u8(&d);
    mc_dec_fixed(&d, ev->patient.b, 32);
    mc_dec_fixed(&d, ev->actor.b, 32);
    mc_dec_fixed(&d, ev->other.b, 32);
    mc_dec_fixed(&d, ev->subject.b, 32);
    ev->time_ms = mc_dec_u64(&d);
    return mc_chain_dec_end(&d, ev, sizeof *ev, mc_event_check(ev));
}
