/*
 * Attestations (issue 5): after applying a block the node signs its header with the node key
 * and keeps the attestation in its store (table attest); attestations of other validators
 * arrive the same way (mc_node_attest_receive). A header that a quorum of the validator set
 * for its height (genesis, then admissions: mc_store_get_valset) attested is certified; the
 * node records its highest certified height and wakes POST /v1/tx?wait=certified. When a
 * quorum attested another header than this node's own for a height it applied, the node's
 * state diverges from the consortium's: it raises the alarm and halts (mc_node_halt), so it
 * neither applies nor serves that state as good. A node not in the set of a height (a new
 * member's, before its admission) attests nothing there.
 *
 * Nothing here is in the ordered log: an idle chain stays idle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node_internal.h"

int mc_node_attest_init(mc_node *n)
{
    pthread_mutex_init(&n->cert_lock, NULL);
    pthread_cond_init(&n->cert_cond, NULL);
    n->cert_init = 1;
    return MC_OK;
}

/* Whether this node's key is in the set that certifies @p height (read within @p txn). */
static int mc_node_is_val(mc_node *n, mc_store_txn *txn, uint64_t height)
{
    mc_valset vs;
    mc_id me;
    memcpy(me.b, n->keys.id.b, 32);
    return mc_store_get_valset(txn, height, &vs) == MC_OK && mc_valset_find(&vs, &me) >= 0;
}

typedef struct {
    const mc_id *me;
    int found;
} mc_mine;

static int mc_mine_one(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    mc_mine *m = arg;
    (void)hh, (void)sig;
    if (memcmp(validator->b, m->me->b, 32) == 0) m->found = 1;
    return 0;
}

static int mc_node_attest_tip(mc_node *n, uint64_t height)
{
    mc_store_txn *txn;
    mc_slice raw;
    mc_block blk;
    mc_id me;
    memcpy(me.b, n->keys.id.b, 32);
    mc_mine m = {&me, 0};
    mc_header h;
    memset(&h, 0, sizeof h);
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_scan_attests(txn, height, mc_mine_one, &m);
    if (!rc && !mc_node_is_val(n, txn, height)) m.found = 1; /* not ours to attest */
    if (!rc && !m.found) {
        rc = mc_store_get_block(txn, height, &raw);
        if (!rc && mc_block_decode(&blk, raw.p, raw.n)) rc = MC_ECORRUPT;
        if (!rc) h = blk.header; /* a copy: the block points into the map */
    }
    mc_store_abort(txn);
    if (rc || m.found) return rc;
    mc_hash hh;
    mc_attest a;
    mc_header_hash(&hh, &h);
    return mc_node_attest_applied(n, &h, &hh, &a);
}

int mc_node_attest_load(mc_node *n)
{
    mc_store_txn *txn;
    uint64_t h = 0;
    mc_hash hh;
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_get_certified(txn, &h, &hh);
    if (rc == MC_ENOTFOUND) rc = MC_OK;
    uint64_t ah = 0;
    int arc = rc ? rc : mc_store_get_alarm(txn, &ah);
    mc_store_abort(txn);
    if (arc && arc != MC_ENOTFOUND) rc = arc;
    if (!rc) atomic_store(&n->certified, h);
    if (!rc && arc == MC_OK) {
        /* an alarm raised before the restart stands: halted from the start */
        atomic_store(&n->alarm, 1);
        n->alarm_height = ah;
        mc_log(MC_LOG_ERROR, "node",
               "ALARM (raised before this start): block %llu here differs from the one a quorum certified",
               (unsigned long long)ah);
        mc_node_halt(n, "alarm: this node's header differs from the certified one (see the log)");
        return MC_OK;
    }
    /* the exchange resumes from the tip: heights above the certified one are published and
     * fetched again (a put of the same value is harmless) */
    mc_exec_info info = {0};
    if (!rc) {
        mc_exec_get_info(n->exec, &info);
        atomic_store(&n->attested, info.height);
    }
    /* a crash between a block's commit and its attestation's leaves the tip unattested (the
     * applier attests each block before it applies the next): sign it now */
    if (!rc && info.height > 0) rc = mc_node_attest_tip(n, info.height);
    return rc;
}

void mc_node_attest_destroy(mc_node *n)
{
    if (!n->cert_init) return;
    pthread_cond_destroy(&n->cert_cond);
    pthread_mutex_destroy(&n->cert_lock);
}

typedef struct {
    const mc_valset *vs; /* the set that certifies the height */
    mc_hash mine;
    uint32_t agree;    /* validators attesting this node's header */
    mc_hash other;     /* the first other header seen */
    uint32_t disagree; /* validators attesting that other header */
} mc_tally;

static int mc_tally_one(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    mc_tally *t = arg;
    (void)sig;
    if (mc_valset_find(t->vs, validator) < 0) return 0; /* kept only verified: cannot happen */
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
        /* kept, so that a restart does not serve this state as good again */
        mc_store_txn *txn;
        int rc = mc_store_begin(n->store, 1, &txn);
        if (!rc) rc = mc_store_put_alarm(txn, height);
        if (!rc)
            rc = mc_store_commit(txn);
        else
            mc_store_abort(txn);
        if (rc) mc_log(MC_LOG_ERROR, "node", "the alarm could not be stored: %s", mc_strerror(rc));
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
    mc_valset vs;
    (void)n;
    if (mc_store_get_block(txn, height, &raw) || mc_block_decode(&blk, raw.p, raw.n)) return 0;
    if (mc_store_get_valset(txn, height, &vs)) return 0;
    uint32_t quorum = mc_quorum(vs.n);
    mc_tally t = {.vs = &vs};
    mc_header_hash(&t.mine, &blk.header);
    if (mc_store_scan_attests(txn, height, mc_tally_one, &t)) return 0;
    *mine = t.mine;
    *theirs = t.other;
    if (t.disagree >= quorum) {
        *diverged = 1;
        return 0;
    }
    if (t.agree < quorum) return 0;
    /* compared with the stored height in this write transaction, not the in-memory one: the
     * applier and the exchange thread both certify, and the stored height never goes back */
    uint64_t stored = 0;
    mc_hash shh;
    int rc = mc_store_get_certified(txn, &stored, &shh);
    if (rc && rc != MC_ENOTFOUND) return 0;
    if (height <= stored) return 1; /* certified already (a higher one certifies it too) */
    return mc_store_put_certified(txn, height, &t.mine) == MC_OK;
}

/* What keeping one attestation found, to act on once its transaction committed
 * (node_internal.h: the applier keeps one for the block it applies). */
typedef struct mc_tallied_ mc_tallied;

/* Adds the attestation in @p txn and re-tallies its height there. */
static int mc_node_attest_in(mc_node *n, mc_store_txn *txn, const mc_attest *a, mc_tallied *t)
{
    memset(t, 0, sizeof *t);
    t->height = a->height;
    int rc = mc_store_put_attest(txn, a->height, &a->validator, &a->header_hash, &a->sig);
    if (rc == MC_EEXIST) {
        /* a validator that signed two headers for one height: its first word stands */
        char v[17];
        mc_hex_encode(v, a->validator.b, 8);
        mc_log(MC_LOG_WARN, "node", "validator %s... attested two headers at height %llu; the first is kept",
               v, (unsigned long long)a->height);
        return MC_EEXIST;
    }
    if (!rc) t->certified = mc_node_tally(n, txn, a->height, &t->diverged, &t->mine, &t->theirs);
    return rc;
}

/* After the commit: the alarm, or the new certified height (waking wait=certified). */
static void mc_node_tallied(mc_node *n, const mc_tallied *t)
{
    if (t->diverged) mc_node_alarm(n, t->height, &t->mine, &t->theirs);
    if (t->certified) {
        pthread_mutex_lock(&n->cert_lock);
        if (t->height > atomic_load(&n->certified)) atomic_store(&n->certified, t->height);
        pthread_cond_broadcast(&n->cert_cond);
        pthread_mutex_unlock(&n->cert_lock);
        mc_log(MC_LOG_DEBUG, "node", "block %llu certified", (unsigned long long)t->height);
    }
}

/* Adds the attestation to the store in a transaction of its own and re-tallies its height. */
static int mc_node_attest_keep(mc_node *n, const mc_attest *a)
{
    mc_store_txn *txn;
    mc_tallied t;
    int rc = mc_store_begin(n->store, 1, &txn);
    if (rc) return rc;
    rc = mc_node_attest_in(n, txn, a, &t);
    if (!rc)
        rc = mc_store_commit(txn);
    else
        mc_store_abort(txn);
    if (!rc) mc_node_tallied(n, &t);
    return rc;
}

/*
 * The executor's on_block hook (applier thread): the node's attestation of the block it is
 * applying goes into the block's own write transaction, durable with it and at no extra sync.
 * What it found is acted on in mc_node_attest_after, once the block committed.
 */
int mc_node_on_block(void *arg, mc_store_txn *txn, const mc_header *h, const mc_hash *hh)
{
    mc_node *n = arg;
    mc_sign_pk pk;
    mc_attest a;
    n->blk_tally_ok = 0;
    /* a block fetched from a peer is kept only if it re-executes to the certified header */
    if (n->sync_expecting && memcmp(hh->b, n->sync_expect.b, 32) != 0) return MC_ECORRUPT;
    if (!mc_node_is_val(n, txn, h->height)) return MC_OK; /* a follower (not yet admitted) */
    mc_sign_sk_to_pk(&pk, &n->keys.sign_sk);
    mc_attest_sign(&a, &n->chain, h->height, hh, &pk, &n->keys.sign_sk);
    int rc = mc_node_attest_in(n, txn, &a, &n->blk_tally);
    n->blk_tally_ok = rc == MC_OK;
    return rc == MC_EEXIST ? MC_OK : rc; /* never for a new height: nothing to lose the block over */
}

void mc_node_attest_after(mc_node *n, uint64_t height)
{
    if (!n->blk_tally_ok || n->blk_tally.height != height) {
        /* a follower's block (nothing signed): the exchange still fetches the others' words */
        atomic_store(&n->attested, height);
        return;
    }
    n->blk_tally_ok = 0;
    atomic_fetch_add(&n->attests_made, 1);
    atomic_store(&n->attested, height);
    mc_node_tallied(n, &n->blk_tally);
}

int mc_node_attest_applied(mc_node *n, const mc_header *h, const mc_hash *hh, mc_attest *out)
{
    mc_sign_pk pk;
    mc_sign_sk_to_pk(&pk, &n->keys.sign_sk);
    mc_attest_sign(out, &n->chain, h->height, hh, &pk, &n->keys.sign_sk);
    int rc = mc_node_attest_keep(n, out);
    if (!rc) atomic_fetch_add(&n->attests_made, 1);
    if (!rc) atomic_store(&n->attested, h->height);
    return rc;
}

int mc_node_attest_receive(mc_node *n, const mc_attest *a)
{
    mc_valset vs;
    mc_store_txn *txn;
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_get_valset(txn, a->height, &vs);
    mc_store_abort(txn);
    if (rc) return rc == MC_ENOTFOUND ? MC_EDENIED : rc;
    int v = mc_valset_find(&vs, &a->validator);
    if (v < 0) return MC_EDENIED;
    if (mc_attest_verify(a, &n->chain, a->height, &a->header_hash, &vs.pks[v])) return MC_EBADSIG;
    rc = mc_node_attest_keep(n, a);
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

/* ------------------------------------------------------------------------------------------ */
/* Exchange over the orderer's side channel: key attest/<height, 16 hex>/<validator, 64 hex>.   */

#define MC_ATT_FETCH_SPAN 64 /* heights fetched per round (one range read) */

typedef struct {
    const mc_id *me;
    mc_attest a;
    int found;
} mc_own_find;

static int mc_own_one(void *arg, const mc_id *validator, const mc_hash *hh, const mc_sig *sig)
{
    mc_own_find *f = arg;
    if (memcmp(validator->b, f->me->b, 32) != 0) return 0;
    f->a.header_hash = *hh;
    f->a.validator = *validator;
    f->a.sig = *sig;
    f->found = 1;
    return 1;
}

/* Up to MC_ORDERER_PUBLISH_MAX of this node's attestations, ready for one publish_many. */
typedef struct {
    char names[MC_ORDERER_PUBLISH_MAX][128];
    uint8_t raws[MC_ORDERER_PUBLISH_MAX][MC_ATTEST_BYTES + 1]; /* + 1: an mc_buf's NUL room */
    mc_orderer_kv kvs[MC_ORDERER_PUBLISH_MAX];
    size_t n;
} mc_att_out;

/* Adds this node's attestation of @p height (from the store) to @p out, if it made one. */
static int mc_att_encode(mc_node *n, uint64_t height, mc_att_out *out)
{
    mc_own_find f = {0};
    mc_id me;
    memcpy(me.b, n->keys.id.b, 32);
    f.me = &me;
    mc_store_txn *txn;
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_scan_attests(txn, height, mc_own_one, &f);
    mc_store_abort(txn);
    if (rc == 1) rc = MC_OK;
    if (rc) return rc;
    if (!f.found) return MC_OK; /* not attested (a follower's block, a store error): nothing to say */
    f.a.chain = n->chain;
    f.a.height = height;
    size_t k = out->n;
    mc_buf b = {out->raws[k], 0, sizeof out->raws[k], MC_ATTEST_BYTES}; /* in place: exactly one */
    if ((rc = mc_attest_encode(&b, &f.a))) return rc;
    char hex[65];
    mc_hex_encode(hex, me.b, 32);
    snprintf(out->names[k], sizeof out->names[k], "attest/%016llx/%s", (unsigned long long)height, hex);
    out->kvs[k] = (mc_orderer_kv){out->names[k], out->raws[k], b.n};
    out->n++;
    return MC_OK;
}

/* Publishes this node's attestations of the heights after *published up to @p applied, as many
 * as one etcd transaction takes at a time; moves *published. */
static int mc_att_publish(mc_node *n, mc_att_out *out, uint64_t *published, uint64_t applied)
{
    int rc = MC_OK;
    while (*published < applied && !rc && !atomic_load(&n->att_stop)) {
        uint64_t h = *published;
        out->n = 0;
        while (h < applied && out->n < MC_ORDERER_PUBLISH_MAX && !rc) rc = mc_att_encode(n, ++h, out);
        if (!rc && out->n) rc = mc_orderer_publish_many(n->orderer, out->kvs, out->n);
        if (!rc) *published = h;
    }
    return rc;
}

typedef struct {
    mc_node *n;
    uint64_t height;
} mc_att_fetch;

static int mc_att_got(void *arg, const char *name, const uint8_t *p, size_t np)
{
    mc_att_fetch *f = arg;
    mc_attest a;
    char want[128], hex[65];
    f->height = strncmp(name, "attest/", 7) == 0 ? strtoull(name + 7, NULL, 16) : 0; /* checked below */
    if (mc_attest_decode(&a, p, np)) return 0; /* not a node's: ignored alike everywhere */
    mc_hex_encode(hex, a.validator.b, 32);
    snprintf(want, sizeof want, "attest/%016llx/%s", (unsigned long long)f->height, hex);
    /* under its own name only: a validator speaks for itself, at the height it names */
    if (strcmp(name, want) != 0 || a.height != f->height) return 0;
    if (memcmp(a.validator.b, f->n->keys.id.b, 32) == 0) return 0; /* our own, kept already */
    int rc = mc_node_attest_receive(f->n, &a);
    if (rc && rc != MC_EEXIST && rc != MC_EDENIED && rc != MC_EBADSIG) return rc;
    if (rc == MC_EBADSIG || rc == MC_EDENIED)
        mc_log(MC_LOG_WARN, "node", "attestation %s refused: %s", name, mc_strerror(rc));
    return 0;
}

static void mc_att_sleep_ms(unsigned ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void *mc_att_main(void *arg)
{
    mc_node *n = arg;
    uint64_t published = atomic_load(&n->certified); /* a re-publish is harmless */
    uint64_t warn_ms = 0;
    mc_att_out *out = malloc(sizeof *out);
    if (!out) {
        mc_log(MC_LOG_ERROR, "node", "attestations cannot be exchanged: out of memory");
        return NULL;
    }
    while (!atomic_load(&n->att_stop)) {
        uint64_t applied = atomic_load(&n->attested), before = published;
        int rc = mc_att_publish(n, out, &published, applied);
        int busy = published > before;
        uint64_t cert = atomic_load(&n->certified);
        /* only heights this node applied and does not yet hold certified, all in one range read:
         * an idle chain, once certified, costs nothing */
        if (!rc && cert < applied) {
            uint64_t last = applied < cert + MC_ATT_FETCH_SPAN ? applied : cert + MC_ATT_FETCH_SPAN;
            char from[64], to[64];
            snprintf(from, sizeof from, "attest/%016llx/", (unsigned long long)cert + 1);
            snprintf(to, sizeof to, "attest/%016llx/", (unsigned long long)last + 1);
            mc_att_fetch f = {n, 0};
            rc = mc_orderer_fetch_range(n->orderer, from, to, mc_att_got, &f);
        }
        if (rc && rc != MC_ECLOSED && mc_time_mono_ms() - warn_ms > 5000) {
            warn_ms = mc_time_mono_ms();
            mc_log(MC_LOG_WARN, "node", "attestations not exchanged: %s (retrying)", mc_strerror(rc));
        }
        if (atomic_load(&n->certified) > cert) busy = 1;
        mc_node_compact(n, atomic_load(&n->certified));
        mc_att_sleep_ms(busy ? 5 : (atomic_load(&n->certified) < applied ? 50 : 20));
    }
    free(out);
    return NULL;
}

int mc_node_attest_start(mc_node *n)
{
    if (!n->orderer || !n->orderer->ops->publish) return MC_OK; /* solo: the node's word stays home */
    if (pthread_create(&n->att_thread, NULL, mc_att_main, n) != 0) return MC_ENOMEM;
    n->att_started = 1;
    return MC_OK;
}

void mc_node_attest_stop(mc_node *n)
{
    atomic_store(&n->att_stop, 1);
    if (n->att_started) pthread_join(n->att_thread, NULL);
    n->att_started = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Certificates for the batches this node proposes                                             */

int mc_node_cert_next(mc_node *n, mc_cert *out)
{
    if (atomic_load(&n->certified) <= atomic_load(&n->cert_sent)) return 0;
    mc_store_txn *txn;
    if (mc_store_begin(n->store, 0, &txn)) return 0;
    uint64_t h = 0;
    mc_hash hh;
    int certified = 0;
    int ok = mc_store_get_certified(txn, &h, &hh) == MC_OK && h > atomic_load(&n->cert_sent);
    if (ok) ok = mc_store_cert(txn, h, &hh, out, &certified) == MC_OK;
    mc_store_abort(txn);
    return ok && certified;
}

void mc_node_cert_sent(mc_node *n, uint64_t height)
{
    if (height > atomic_load(&n->cert_sent)) atomic_store(&n->cert_sent, height);
}
