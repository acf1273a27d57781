/* The orderer interface: dispatch to the backend. */
#include "medchain/chain.h"
#include <string.h>

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

/* Side-channel names stay in a plain alphabet: no ".." or leading '/' to climb out of the side
 * prefix, nothing a key scheme or a log line would misread. */
static int mc_orderer_name_ok(const char *name, int empty_ok)
{
    size_t n = name ? strlen(name) : 0;
    if (!name || (n == 0 && !empty_ok) || n > MC_ORDERER_NAME_MAX || name[0] == '/' || strstr(name, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

int mc_orderer_publish(mc_orderer *o, const char *name, const void *p, size_t n)
{
    if (!o || !mc_orderer_name_ok(name, 0) || (!p && n)) return MC_EINVAL;
    if (n > MC_ORDERER_VALUE_MAX) return MC_ETOOBIG;
    if (!o->ops->publish) return MC_ENOTFOUND;
    return o->ops->publish(o, name, p, n);
}

int mc_orderer_fetch_range(mc_orderer *o, const char *from, const char *to, mc_orderer_kv_fn fn, void *arg)
{
    if (!o || !mc_orderer_name_ok(from, 1) || !mc_orderer_name_ok(to, 0) || strcmp(from, to) >= 0 || !fn)
        return MC_EINVAL;
    if (!o->ops->fetch_range) return MC_ENOTFOUND;
    return o->ops->fetch_range(o, from, to, fn, arg);
}

int mc_orderer_publish_many(mc_orderer *o, const mc_orderer_kv *kvs, size_t n)
{
    if (!o || !kvs || n == 0 || n > MC_ORDERER_PUBLISH_MAX) return MC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!mc_orderer_name_ok(kvs[i].name, 0) || (!kvs[i].p && kvs[i].n)) return MC_EINVAL;
        if (kvs[i].n > MC_ORDERER_VALUE_MAX) return MC_ETOOBIG;
    }
    if (!o->ops->publish) return MC_ENOTFOUND;
    if (o->ops->publish_many) return o->ops->publish_many(o, kvs, n);
    int rc = MC_OK;
    for (size_t i = 0; i < n && !rc; i++) rc = o->ops->publish(o, kvs[i].name, kvs[i].p, kvs[i].n);
    return rc;
}

int mc_orderer_fetch(mc_orderer *o, const char *prefix, mc_orderer_kv_fn fn, void *arg)
{
    if (!o || !mc_orderer_name_ok(prefix, 1) || !fn) return MC_EINVAL;
    if (!o->ops->fetch) return MC_ENOTFOUND;
    return o->ops->fetch(o, prefix, fn, arg);
}

int mc_orderer_compact(mc_orderer *o, const mc_orderer_pos *upto)
{
    if (!o || !upto || upto->n > MC_ORDERER_POS_MAX) return MC_EINVAL;
    if (!o->ops->compact) return MC_ENOTFOUND;
    return o->ops->compact(o, upto);
}
