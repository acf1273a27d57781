/*
 * Attestations (issue 5): after applying a block the node signs its header with the node key
 * and keeps the attestation in its store (table attest); attestations of other validators
 * arrive the same way (mc_node_attest_receive). A header that a quorum of the genesis
 * validators attested is certified; the node records its highest certified height and wakes
 * POST /v1/tx?wait=certified. When a quorum attested another header than this node's own for
 * a height it applied, the node's state diverges from the consortium's: it raises the alarm
 * and halts (mc_node_halt), so it neither applies nor serves that state as good.
 *
 * Nothing here is in the ordered log: an idle chain stays idle.
 */
#include <stdlib.h>
#include <string.h>

#include "node_internal.h"

int mc_node_attest_init(mc_node *n, const mc_genesis *g)
{
    pthread_mutex_init(&n->cert_lock, NULL);
    pthread_cond_init(&n->cert_cond, NULL);
    n->cert_init = 1;
    n->nvals = g->nvalidators;
    for (uint32_t i = 0; i < g->nvalidators && i < MC_MAX_VALIDATORS; i++) {
        n->val_pks[i] = g->validators[i].sign_pk;
        mc_id_from_pk(&n->val_ids[i], &g->validators[i].sign_pk);
    }
    n->quorum = mc_quorum(n->nvals);
    return MC_OK;
}

int mc_node_attest_load(mc_node *n)
{
    mc_store_txn *txn;
    uint64_t h = 0;
    mc_hash hh;
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_get_certified(txn, &h, &hh);
    mc_store_abort(txn);
    if (rc == MC_ENOTFOUND) rc = MC_OK;
    if (!rc) atomic_store(&n->certified, h);
    return rc;
}

void mc_node_attest_destroy(mc_node *n)
{
    if (!n->cert_init) return;
    pthread_cond_destroy(&n->cert_cond);
    pthread_mutex_destroy(&n->cert_lock);
}

/* Index of validator @p id in the genesis set, or -1. */
static int mc_val_index(const mc_node *n, const mc_id *id)
{
    for (uint32_t i = 0; i < n->nvals; i++)
        if (memcmp(n->val_ids[i].b, id->b, 32) == 0) return (int)i;
    return -1;
}

typedef struct {
    const mc_node *n;
    mc_hash mine;
    uint32_t agree;    /* validators attesting this node's header */
    mc_hash other;     /* the first other header seen */
    uint32_t disagree; /* validators attesting that other header */
} mc_tally;

static int mc_tally_one(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    mc_tally *t = arg;
    (void)sig;
    if (mc_val_index(t->n, validator) < 0) return 0; /* kept only verified: cannot happen */
    if (memcmp(hh->b, t->mine.b, 32) == 0) {
        t->agree++;
    } else if (t->disagree == 0 || memcmp(hh->b, t->other.b, 32) == 0) {
        t->other = *hh;
        t->disagree++;
    }
    return 0;
}

static void mc_node_alarm(mc_node *n, uint64_t height, const mc_hash *mine, const mc_hash *theirs)
{
    char a[17], b[17];
    mc_hex_encode(a, mine->b, 8);
    mc_hex_encode(b, theirs->b, 8);
    if (!atomic_exchange(&n->alarm, 1)) {
        n->alarm_height = height;
        mc_log(MC_LOG_ERROR, "node",
               "ALARM: block %llu here is %s..., but a quorum of validators certified %s...: this node's "
               "state diverges from the consortium's",
               (unsigned long long)height, a, b);
    }
    mc_node_halt(n, "alarm: this node's header differs from the certified one (see the log)");
}

/*
 * Counts the attestations kept for @p height against this node's header (if it applied it)
 * within @p txn, and records a new certified height there. Returns 1 if certified now.
 */
static int mc_node_tally(mc_node *n, mc_store_txn *txn, uint64_t height, int *diverged, mc_hash *mine,
                         mc_hash *theirs)
{
    mc_slice raw;
    mc_block blk;
    *diverged = 0;
    if (mc_store_get_block(txn, height, &raw) || mc_block_decode(&blk, raw.p, raw.n)) return 0;
    mc_tally t = {.n = n};
    mc_header_hash(&t.mine, &blk.header);
    if (mc_store_scan_attests(txn, height, mc_tally_one, &t)) return 0;
    *mine = t.mine;
    *theirs = t.other;
    if (t.disagree >= n->quorum) {
        *diverged = 1;
        return 0;
    }
    if (t.agree < n->quorum || height <= atomic_load(&n->certified)) return 0;
    return mc_store_put_certified(txn, height, &t.mine) == MC_OK;
}

/* Adds the attestation to the store and re-tallies its height. */
static int mc_node_attest_keep(mc_node *n, const mc_attest *a)
{
    mc_store_txn *txn;
    int rc = mc_store_begin(n->store, 1, &txn);
    if (rc) return rc;
    rc = mc_store_put_attest(txn, a->height, &a->validator, &a->header_hash, &a->sig);
    if (rc == MC_EEXIST) {
        /* a validator that signed two headers for one height: its first word stands */
        char v[17];
        mc_hex_encode(v, a->validator.b, 8);
        mc_log(MC_LOG_WARN, "node", "validator %s... attested two headers at height %llu; the first is kept",
               v, (unsigned long long)a->height);
        mc_store_abort(txn);
        return MC_EEXIST;
    }
    int diverged = 0, certified = 0;
    mc_hash mine, theirs;
    if (!rc) certified = mc_node_tally(n, txn, a->height, &diverged, &mine, &theirs);
    if (!rc)
        rc = mc_store_commit(txn);
    else
        mc_store_abort(txn);
    if (rc) return rc;
    if (diverged) mc_node_alarm(n, a->height, &mine, &theirs);
    if (certified) {
        pthread_mutex_lock(&n->cert_lock);
        if (a->height > atomic_load(&n->certified)) atomic_store(&n->certified, a->height);
        pthread_cond_broadcast(&n->cert_cond);
        pthread_mutex_unlock(&n->cert_lock);
        mc_log(MC_LOG_DEBUG, "node", "block %llu certified", (unsigned long long)a->height);
    }
    return MC_OK;
}

int mc_node_attest_applied(mc_node *n, const mc_header *h, const mc_hash *hh, mc_attest *out)
{
    mc_sign_pk pk;
    mc_sign_sk_to_pk(&pk, &n->keys.sign_sk);
    mc_attest_sign(out, &n->chain, h->height, hh, &pk, &n->keys.sign_sk);
    int rc = mc_node_attest_keep(n, out);
    if (!rc) atomic_fetch_add(&n->attests_made, 1);
    return rc;
}

int mc_node_attest_receive(mc_node *n, const mc_attest *a)
{
    int v = mc_val_index(n, &a->validator);
    if (v < 0) return MC_EDENIED;
    if (mc_attest_verify(a, &n->chain, a->height, &a->header_hash, &n->val_pks[v])) return MC_EBADSIG;
    int rc = mc_node_attest_keep(n, a);
    if (!rc) atomic_fetch_add(&n->attests_received, 1);
    return rc;
}

int mc_node_wait_certified(mc_node *n, uint64_t height, uint64_t deadline_ms)
{
    int rc = MC_OK;
    pthread_mutex_lock(&n->cert_lock);
    while (atomic_load(&n->certified) < height) {
        if (atomic_load(&n->alarm) || atomic_load(&n->halted)) {
            rc = MC_EUNAVAIL;
            break;
        }
        uint64_t now = mc_time_mono_ms();
        if (now >= deadline_ms) {
            rc = MC_ETIMEDOUT;
            break;
        }
        /* wake at least every 100 ms: the halt is not broadcast on this condition */
        uint64_t step = deadline_ms - now < 100 ? deadline_ms - now : 100;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(step / 1000);
        ts.tv_nsec += (long)(step % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&n->cert_cond, &n->cert_lock, &ts);
    }
    pthread_mutex_unlock(&n->cert_lock);
    return rc;
}

int mc_node_alarmed(void *ctx)
{
    mc_node *n = ctx;
    return atomic_load(&n->alarm);
}
