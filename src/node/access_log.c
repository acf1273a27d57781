/*
 * What the api needs of the node: transactions signed by this node (logged reads: access.log,
 * access.reads; its gatekeeper: org.gatekeeper), and a wait on the applied tip for event streams.
 *
 * A logged read is an access.log or access.reads transaction signed with the node's own key. Its nonce must
 * be above the node's last one on the chain, and two of them must reach the chain in nonce order (a lower
 * nonce applied after a higher one is a replay). One thread, the log signer, numbers, signs and admits them:
 * requests queue their bodies, and the signer takes everything queued, numbers it in queue order, signs it
 * and admits it to the mempool in that order under one hold of the mempool's lock; the mempool's FIFO and the
 * single batcher keep that order. The counter starts from the store and never goes below what the store has
 * applied.
 *
 * (Before, each request took a node-wide mutex, numbered, signed and admitted its own
 * transaction and let go. Under load every hand-over of that mutex waited for the next
 * request's thread to be scheduled, among hundreds of connection threads on a few cores: about
 * half a millisecond each, which capped logged reads near 2,000 a second whatever the number of
 * readers. The signer hands over nothing: it works through whatever queued meanwhile.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node_internal.h"

void mc_node_tip_init(mc_node *n)
{
    pthread_condattr_t ca;
    pthread_mutex_init(&n->tip_lock, NULL);
    pthread_mutex_init(&n->log_lock, NULL);
    pthread_cond_init(&n->log_cond, NULL);
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
    pthread_cond_destroy(&n->log_cond);
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

/* One logged read for the signer. Lives on the requesting thread's stack; the signer touches
 * nothing of it after releasing the hold on its waiter. */
struct mc_log_req {
    uint16_t kind;
    mc_slice body; /* the encoded body (the requester's) */
    mc_buf tx;     /* filled by the signer */
    mc_api_txout *out;
    mc_waiter w; /* held until the signer has admitted the transaction (or failed it) */
    struct mc_log_req *next;
};

/* The nonces of a round: above the counter and above what the chain has applied (a restart
 * may find the log's own earlier batches still being replayed). Signer thread only. */
static int mc_node_nonce_floor(mc_node *n, const mc_id *me)
{
    mc_store_txn *txn;
    uint64_t last = 0;
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_get_nonce(txn, me, &last);
    mc_store_abort(txn);
    if (rc && rc != MC_ENOTFOUND) return rc;
    if (last > n->log_nonce) n->log_nonce = last;
    return MC_OK;
}

/* Numbers, signs and admits one round of requests, in queue order. */
static void mc_node_log_round(mc_node *n, struct mc_log_req *head)
{
    mc_id me;
    size_t count = 0;
    memcpy(me.b, n->keys.id.b, 32);
    int rc = mc_node_nonce_floor(n, &me);
    for (struct mc_log_req *q = head; q; q = q->next) count++;
    mc_slice *txs = calloc(count, sizeof *txs);
    mc_waiter **ws = calloc(count, sizeof *ws);
    if (!rc && (!txs || !ws)) rc = MC_ENOMEM;
    size_t k = 0;
    for (struct mc_log_req *q = head; q; q = q->next) {
        int r = rc;
        if (!r)
            r = mc_tx_build(&q->tx, &q->out->id, &n->chain, &me, ++n->log_nonce, q->kind, q->body.p,
                            q->body.n, &n->keys.sign_sk);
        mc_tx t;
        /* the node signed this itself, with a key pair checked at start: neither admission nor
         * the executor need verify it (an Ed25519 verification each, on the path of every
         * logged read) */
        if (!r && n->log_pk_ok && mc_tx_decode(&t, q->tx.p, q->tx.n) == MC_OK)
            mc_sigcache_add(n->sigcache, &t.id, &t.sig, &n->log_pk);
        if (r) {
            q->out->state = MC_TXS_FAILED;
            q->out->err = r;
            continue;
        }
        txs[k] = (mc_slice){q->tx.p, q->tx.n};
        ws[k++] = &q->w;
    }
    mc_node_admit_locked(n, txs, ws, k);
    for (struct mc_log_req *q = head, *next; q; q = next) {
        next = q->next; /* q is the requester's: read before letting go */
        mc_mempool_unhold_locked(&n->mp, &q->w);
    }
    mc_mempool_unlock(&n->mp);
    free(txs);
    free(ws);
}

static void *mc_node_log_main(void *arg)
{
    mc_node *n = arg;
    for (;;) {
        pthread_mutex_lock(&n->log_lock);
        while (!n->log_head && !n->log_stop) {
            n->log_idle = 1;
            pthread_cond_wait(&n->log_cond, &n->log_lock);
        }
        n->log_idle = 0;
        struct mc_log_req *head = n->log_head;
        n->log_head = n->log_tail = NULL;
        int stop = n->log_stop;
        pthread_mutex_unlock(&n->log_lock);
        if (head) mc_node_log_round(n, head);
        if (stop && !head) break;
    }
    return NULL;
}

int mc_node_log_start(mc_node *n)
{
    if (pthread_create(&n->log_thread, NULL, mc_node_log_main, n) != 0) return MC_ENOMEM;
    n->log_started = 1;
    return MC_OK;
}

void mc_node_log_stop(mc_node *n)
{
    if (!n->log_started) return;
    pthread_mutex_lock(&n->log_lock);
    n->log_stop = 1;
    pthread_cond_signal(&n->log_cond);
    pthread_mutex_unlock(&n->log_lock);
    pthread_join(n->log_thread, NULL);
    n->log_started = 0;
}

void mc_node_log_tx(void *ctx, uint16_t kind, const uint8_t *body, size_t nbody, int timeout_ms,
                    mc_api_txout *out)
{
    mc_node *n = ctx;
    struct mc_log_req q;
    uint64_t deadline = mc_time_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    memset(out, 0, sizeof *out);
    memset(&q, 0, sizeof q);
    q.out = out;
    q.w = (mc_waiter){.outs = out, .n = 1, .wait = MC_WAIT_COMMITTED};
    q.kind = kind;
    q.body = (mc_slice){body, nbody};
    mc_buf_init(&q.tx, MC_MAX_TX_BYTES);
    int rc = nbody <= MC_MAX_BODY_BYTES ? MC_OK : MC_ETOOBIG;
    if (!rc) {
        int wake = 0;
        pthread_mutex_lock(&n->log_lock);
        if (n->log_stop || !n->log_started) {
            rc = MC_EUNAVAIL;
        } else {
            mc_mempool_hold(&q.w);
            if (n->log_tail)
                n->log_tail->next = &q;
            else
                n->log_head = &q;
            n->log_tail = &q;
            /* only the first request queued while the signer sleeps wakes it, after letting
             * go of the lock the signer needs at once */
            wake = n->log_idle;
            n->log_idle = 0;
        }
        pthread_mutex_unlock(&n->log_lock);
        if (wake) pthread_cond_signal(&n->log_cond);
        if (!rc) mc_mempool_await(&n->mp, &q.w, deadline); /* one wake-up: committed or failed */
    }
    if (rc) {
        out->state = MC_TXS_FAILED;
        out->err = rc;
    }
    mc_buf_free(&q.tx);
}
