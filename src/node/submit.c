/*
 * Admission: what POST /v1/tx does before a transaction enters the mempool. Everything that
 * would make the transaction invalid on its own (bytes, chain, kind, signer, signature, a
 * nonce already used) is refused here and never ordered; the signature check is remembered
 * in the signature cache so the executor does not pay for it again.
 */
#include <stdlib.h>
#include <string.h>

#include "node_internal.h"

/* Fills @p o for a transaction already on the chain (a retry after the fact). */
static int mc_already_committed(mc_store_txn *txn, const mc_hash *id, mc_api_txout *o)
{
    uint64_t h;
    uint32_t i;
    mc_slice raw;
    mc_block blk;
    if (mc_store_get_txloc(txn, id, &h, &i) || mc_store_get_block(txn, h, &raw) ||
        mc_block_decode(&blk, raw.p, raw.n))
        return 0;
    o->state = MC_TXS_COMMITTED;
    o->code = mc_block_result(&blk, i);
    o->height = h;
    o->index = i;
    return 1;
}

/* Stateless and read-only checks. Returns MC_TXR_OK or the code to refuse with. */
static int mc_admit_check(mc_node *n, mc_store_txn *txn, const mc_tx *tx, mc_api_txout *o)
{
    if (memcmp(tx->chain.b, n->chain.b, 32) != 0) return MC_TXR_WRONG_CHAIN;
    if (!mc_tx_kind_name(tx->kind)) return MC_TXR_UNKNOWN_KIND;
    mc_identity s;
    int rc = mc_store_get_identity(txn, &tx->signer, &s);
    if (rc) return MC_TXR_UNKNOWN_SIGNER;
    if (s.status != MC_ID_ACTIVE) return MC_TXR_SIGNER_REVOKED;
    uint64_t last;
    if (mc_store_get_nonce(txn, &tx->signer, &last) == MC_OK && tx->nonce <= last)
        return mc_already_committed(txn, &tx->id, o) ? -1 : MC_TXR_BAD_NONCE;
    if (!mc_sigcache_has(n->sigcache, &tx->id, &tx->sig, &s.sign_pk)) {
        if (mc_tx_verify(tx, &s.sign_pk)) return MC_TXR_BAD_SIG;
        mc_sigcache_add(n->sigcache, &tx->id, &tx->sig, &s.sign_pk);
    }
    return MC_TXR_OK;
}

/* Where transaction @p i's outcome goes: slot i of the one waiter @p one, or the only slot of
 * waiter @p each[i]. */
static mc_api_txout *mc_out_of(mc_waiter *one, mc_waiter *const *each, size_t i)
{
    return one ? &one->outs[i] : each[i]->outs;
}

/*
 * Checks @p count transactions in one snapshot and admits those that pass, in this order and
 * under one hold of the mempool's lock, for the waiter(s) (see mc_out_of). Refused and failed
 * transactions have their outcome filled. Returns with the mempool locked.
 */
static void mc_node_admit(mc_node *n, const mc_slice *txs, size_t count, mc_waiter *one,
                          mc_waiter *const *each)
{
    mc_store_txn *txn = NULL;
    uint8_t *ok = calloc(count ? count : 1, 1);
    int rc = ok ? mc_store_begin(n->store, 0, &txn) : MC_ENOMEM;
    if (!rc && atomic_load(&n->halted)) rc = MC_EUNAVAIL;
    if (!rc && !atomic_load(&n->is_validator)) rc = MC_EDENIED; /* a follower orders nothing */
    if (!rc && mc_time_mono_ms() < atomic_load(&n->order_down_until)) rc = MC_EUNAVAIL; /* fail fast */
    for (size_t i = 0; i < count; i++) {
        mc_api_txout *o = mc_out_of(one, each, i);
        memset(o, 0, sizeof *o);
        if (rc) {
            o->state = MC_TXS_FAILED;
            o->err = rc;
            continue;
        }
        mc_tx tx;
        if (mc_tx_decode(&tx, txs[i].p, txs[i].n)) {
            mc_tx_id_undecodable(&o->id, txs[i].p, txs[i].n);
            o->state = MC_TXS_REJECTED;
            o->code = MC_TXR_MALFORMED;
            continue;
        }
        o->id = tx.id;
        int code = mc_admit_check(n, txn, &tx, o);
        if (code < 0) continue; /* already committed: o says where */
        if (code != MC_TXR_OK) {
            o->state = MC_TXS_REJECTED;
            o->code = code;
            continue;
        }
        ok[i] = 1;
    }
    mc_store_abort(txn);
    size_t admitted = 0, rejected = 0;
    mc_mempool_lock(&n->mp);
    for (size_t i = 0; i < count && !rc; i++) {
        mc_api_txout *o = mc_out_of(one, each, i);
        if (!ok[i]) {
            rejected += o->state == MC_TXS_REJECTED;
            continue;
        }
        int arc =
            mc_mempool_admit_locked(&n->mp, &o->id, txs[i].p, txs[i].n, one ? one : each[i], one ? i : 0);
        if (arc) {
            o->state = MC_TXS_FAILED;
            o->err = arc;
        } else {
            admitted++;
        }
    }
    atomic_fetch_add(&n->admitted, admitted);
    atomic_fetch_add(&n->rejected, rejected);
    free(ok);
}

void mc_node_submit(void *ctx, const mc_slice *txs, size_t count, int wait, int timeout_ms, mc_api_txout *out)
{
    mc_node *n = ctx;
    /* the mempool knows ordered and committed; certification is waited for here, after */
    mc_waiter w = {.outs = out, .n = count, .wait = wait == MC_WAIT_CERTIFIED ? MC_WAIT_COMMITTED : wait};
    uint64_t deadline = mc_time_mono_ms() + (uint64_t)timeout_ms;
    mc_mempool_hold(&w);
    mc_node_admit(n, txs, count, &w, NULL);
    mc_mempool_unhold_locked(&n->mp, &w);
    mc_mempool_unlock(&n->mp);
    mc_mempool_await(&n->mp, &w, deadline);
    if (wait != MC_WAIT_CERTIFIED) return;
    /* certification is monotonic: waiting for the highest block once covers every transaction;
     * a transaction whose block is not certified by the deadline stays "committed" */
    uint64_t top = 0;
    for (size_t i = 0; i < count; i++)
        if (out[i].state == MC_TXS_COMMITTED && out[i].height > top) top = out[i].height;
    if (top) (void)mc_node_wait_certified(n, top, deadline);
    uint64_t cert = atomic_load(&n->certified);
    for (size_t i = 0; i < count; i++)
        if (out[i].state == MC_TXS_COMMITTED && out[i].height <= cert) out[i].state = MC_TXS_CERTIFIED;
}

void mc_node_admit_locked(mc_node *n, const mc_slice *txs, mc_waiter *const *ws, size_t count)
{
    if (count)
        mc_node_admit(n, txs, count, NULL, ws);
    else
        mc_mempool_lock(&n->mp);
}
