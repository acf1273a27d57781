/* The orderer interface: dispatch to the backend. */
#include "medchain/chain.h"
#include "medchain/orderer.h"

int mc_orderer_submit(mc_orderer *o, const uint8_t *batch, size_t n)
{
    return o->ops->submit(o, batch, n);
}

int mc_orderer_next(mc_orderer *o, const mc_orderer_pos *after, mc_buf *batch, mc_orderer_pos *pos,
                    int timeout_ms)
{
    return o->ops->next(o, after, batch, pos, timeout_ms);
}

void mc_orderer_close(mc_orderer *o)
{
    if (o) o->ops->close(o);
}

size_t mc_orderer_max_batch(const mc_orderer *o)
{
    return o->max_batch ? o->max_batch : MC_MAX_BATCH_BYTES;
}
