/* Composite state keys, prefix scans, presence keys and the events table. */
#include <string.h>

#include "medchain/store.h"

void mc_skey_make(mc_skey *k, uint8_t type, const void *a, size_t na, const void *b, size_t nb, const void *c,
                  size_t nc)
{
    const void *parts[3] = {a, b, c};
    size_t lens[3] = {na, nb, nc};
    k->b[0] = type;
    k->n = 1;
    for (int i = 0; i < 3; i++) {
        size_t n = lens[i] <= 32 ? lens[i] : 32; /* parts are ids, hashes and integers */
        if (n) memcpy(k->b + k->n, parts[i], n);
        k->n += n;
    }
}

int mc_store_scan(mc_store_txn *txn, const mc_skey *prefix, const mc_skey *from, mc_store_scan_fn fn,
                  void *arg)
{
    mc_store_iter *it;
    const mc_skey *start = from ? from : prefix;
    int rc = mc_store_iter_new(txn, MC_T_STATE, start->b, start->n, &it);
    if (rc) return rc;
    mc_slice k, v;
    while ((rc = mc_store_iter_next(it, &k, &v)) == MC_OK) {
        if (k.n < prefix->n || memcmp(k.p, prefix->b, prefix->n) != 0) break;
        if ((rc = fn(arg, k, v)) != 0) break;
    }
    mc_store_iter_free(it);
    return rc == MC_ENOTFOUND ? MC_OK : rc;
}

int mc_store_has(mc_store_txn *txn, const mc_skey *k)
{
    mc_slice v;
    return mc_store_get(txn, MC_T_STATE, k->b, k->n, &v);
}

int mc_store_mark(mc_store_txn *txn, const mc_skey *k)
{
    return mc_store_put(txn, MC_T_STATE, k->b, k->n, "", 0);
}

int mc_store_mark_new(mc_store_txn *txn, const mc_skey *k)
{
    return mc_store_put_new(txn, MC_T_STATE, k->b, k->n, "", 0);
}

static void mc_event_key(uint8_t k[14], uint64_t height, uint32_t index, uint16_t n)
{
    mc_put_u64be(k, height);
    mc_put_u32be(k + 8, index);
    k[12] = (uint8_t)(n >> 8);
    k[13] = (uint8_t)n;
}

int mc_store_put_event(mc_store_txn *txn, const mc_event *ev)
{
    uint8_t k[14], tmp[MC_EVENT_BYTES + 16];
    mc_buf b = {tmp, 0, sizeof tmp, sizeof tmp};
    mc_event_key(k, ev->height, ev->index, ev->n);
    int rc = mc_event_encode(&b, ev);
    if (rc) return rc;
    return mc_store_put(txn, MC_T_EVENTS, k, sizeof k, b.p, b.n);
}

int mc_store_scan_events(mc_store_txn *txn, int after_none, uint64_t height, uint32_t index, uint16_t n,
                         int (*fn)(void *arg, const mc_event *ev), void *arg)
{
    uint8_t from[14];
    mc_store_iter *it;
    mc_event_key(from, height, index, n);
    int rc = mc_store_iter_new(txn, MC_T_EVENTS, after_none ? NULL : from, after_none ? 0 : sizeof from, &it);
    if (rc) return rc;
    mc_slice k, v;
    while ((rc = mc_store_iter_next(it, &k, &v)) == MC_OK) {
        if (!after_none && k.n == sizeof from && memcmp(k.p, from, sizeof from) == 0) continue;
        mc_event ev;
        if (k.n != sizeof from || mc_event_decode(&ev, v.p, v.n) || ev.height != mc_get_u64be(k.p)) {
            rc = MC_ECORRUPT;
            break;
        }
        if ((rc = fn(arg, &ev)) != 0) break;
    }
    mc_store_iter_free(it);
    return rc == MC_ENOTFOUND ? MC_OK : rc;
}
