/*
 * What the api needs of the node for issue 3: logged reads signed by this node, and a wait on
 * the applied tip for event streams.
 *
 * A logged read is an access.log transaction signed with the node's own key. Its nonce must be
 * above the node's last one on the chain, and two of them must reach the chain in nonce order
 * (a lower nonce applied after a higher one is a replay): the nonce is taken and the
 * transaction queued under log_lock, and the mempool's FIFO and the single batcher keep that
 * order. The counter starts from the store and never goes below what the store has applied.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "node_internal.h"

void mc_node_tip_init(mc_node *n)
{
    pthread_condattr_t ca;
    pthread_mutex_init(&n->tip_lock, NULL);
    pthread_mutex_init(&n->log_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->tip_cond, &ca);
    pthread_condattr_destroy(&ca);
}

int mc_node_tip_load(mc_node *n)
{
    mc_exec_info info;
    mc_exec_get_info(n->exec, &info);
    n->tip_height = info.height;
    /* a key file whose public half is not its secret's would sign what does not verify: then
     * the node's own signatures are left for the executor to check like anyone's */
    static const uint8_t probe[32] = "medchain/node-key-self-check";
    mc_sig sig;
    mc_sign_sk_to_pk(&n->log_pk, &n->keys.sign_sk);
    mc_sign(&sig, probe, sizeof probe, &n->keys.sign_sk);
    n->log_pk_ok = mc_verify(&sig, probe, sizeof probe, &n->log_pk) == MC_OK;
    mc_store_txn *txn;
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    mc_id me;
    memcpy(me.b, n->keys.id.b, 32);
    rc = mc_store_get_nonce(txn, &me, &n->log_nonce);
    mc_store_abort(txn);
    return rc == MC_ENOTFOUND ? MC_OK : rc;
}

void mc_node_tip_moved(mc_node *n, uint64_t height, int stopping)
{
    pthread_mutex_lock(&n->tip_lock);
    if (stopping)
        n->stopping = 1;
    else
        n->tip_height = height;
    pthread_cond_broadcast(&n->tip_cond);
    pthread_mutex_unlock(&n->tip_lock);
}

void mc_node_tip_destroy(mc_node *n)
{
    pthread_cond_destroy(&n->tip_cond);
    pthread_mutex_destroy(&n->tip_lock);
    pthread_mutex_destroy(&n->log_lock);
}

int mc_node_wait_tip(void *ctx, uint64_t height, int timeout_ms)
{
    mc_node *n = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    pthread_mutex_lock(&n->tip_lock);
    while (n->tip_height <= height && !n->stopping)
        if (pthread_cond_timedwait(&n->tip_cond, &n->tip_lock, &ts) == ETIMEDOUT) break;
    int rc = n->tip_height > height ? MC_OK : n->stopping ? MC_ECLOSED : MC_ETIMEDOUT;
    pthread_mutex_unlock(&n->tip_lock);
    return rc;
}

/* The next nonce: above the counter and above what the chain has applied (a restart may find
 * the log's own earlier batches still being replayed). Called with log_lock held. */
static int mc_node_next_nonce(mc_node *n, const mc_id *me, uint64_t *nonce)
{
    mc_store_txn *txn;
    uint64_t last = 0;
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_get_nonce(txn, me, &last);
    mc_store_abort(txn);
    if (rc && rc != MC_ENOTFOUND) return rc;
    if (last > n->log_nonce) n->log_nonce = last;
    *nonce = ++n->log_nonce;
    return MC_OK;
}

void mc_node_log_access(void *ctx, const mc_body_access_log *body, int timeout_ms, mc_api_txout *out)
{
    mc_node *n = ctx;
    mc_buf b, tx;
    mc_id me;
    uint64_t nonce;
    memcpy(me.b, n->keys.id.b, 32);
    memset(out, 0, sizeof *out);
    mc_buf_init(&b, MC_MAX_BODY_BYTES);
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    int rc = mc_body_access_log_encode(&b, body);
    if (!rc) {
        pthread_mutex_lock(&n->log_lock);
        rc = mc_node_next_nonce(n, &me, &nonce);
        if (!rc)
            rc = mc_tx_build(&tx, &out->id, &n->chain, &me, nonce, MC_TX_ACCESS_LOG, b.p, b.n,
                             &n->keys.sign_sk);
        if (rc) pthread_mutex_unlock(&n->log_lock);
    }
    mc_tx t;
    /* the node signed this itself, with a key pair checked at start: neither admission nor the
     * executor need verify it (an Ed25519 verification each, on the path of every logged read) */
    if (!rc && n->log_pk_ok && mc_tx_decode(&t, tx.p, tx.n) == MC_OK)
        mc_sigcache_add(n->sigcache, &t.id, &t.sig, &n->log_pk);
    if (rc) {
        out->state = MC_TXS_FAILED;
        out->err = rc;
    } else {
        mc_slice s = {tx.p, tx.n};
        mc_node_submit_release(n, &s, 1, MC_WAIT_COMMITTED, timeout_ms, out, &n->log_lock);
    }
    mc_buf_free(&b);
    mc_buf_free(&tx);
}
