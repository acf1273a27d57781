/*
 * The per-signer limit on logged reads (POST /v1/records/{rid}/access): each one makes this node
 * sign and commit an access.log (a ledger entry, an event to the patient) and holds a thread
 * until the block, so any registered identity that knows a record id could otherwise flood the
 * ledger with refused reads.
 *
 * A token bucket per signer, in a fixed table: a signer's bucket holds up to burst tokens, gains
 * rate tokens per second (monotonic clock: a wall-clock step neither refills nor empties it), and
 * a read takes one (a whole-chart read, one per record: mc_rate_take_n). When the table is full the least
 * recently used bucket is evicted. That forgets the least: an idle bucket refills to full, and a full bucket
 * is the same as none. Only a signer that has been silent the longest of MC_RATE_SLOTS signers loses its
 * debt.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define MC_RATE_SLOTS 1024u

typedef struct {
    mc_id signer;
    uint64_t tokens_milli; /* tokens x 1000: whole-millisecond refills stay exact */
    uint64_t last_ms;      /* monotonic, of the last refill; 0: an empty slot */
} mc_rate_slot;

struct mc_rate_table {
    pthread_mutex_t lock;
    uint64_t rate;      /* tokens per second = milli-tokens per millisecond */
    uint64_t cap_milli; /* burst x 1000 */
    mc_rate_slot slots[MC_RATE_SLOTS];
};

int mc_rate_table_new(mc_rate_table **pp, unsigned rate, unsigned burst)
{
    *pp = NULL;
    if (!rate || !burst) return MC_EINVAL;
    mc_rate_table *t = calloc(1, sizeof *t);
    if (!t) return MC_ENOMEM;
    if (pthread_mutex_init(&t->lock, NULL)) {
        free(t);
        return MC_ENOMEM;
    }
    t->rate = rate;
    t->cap_milli = (uint64_t)burst * 1000;
    *pp = t;
    return MC_OK;
}

void mc_rate_table_free(mc_rate_table *t)
{
    if (!t) return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int mc_rate_take(mc_rate_table *t, const mc_id *signer)
{
    return mc_rate_take_n(t, signer, 1, NULL);
}

/* The signer's bucket, refilled to @p now (a new one is full). Under t->lock. */
static mc_rate_slot *mc_rate_slot_of(mc_rate_table *t, const mc_id *signer, uint64_t now)
{
    mc_rate_slot *s = NULL, *oldest = &t->slots[0];
    for (size_t i = 0; i < MC_RATE_SLOTS; i++) {
        mc_rate_slot *x = &t->slots[i];
        if (x->last_ms && memcmp(x->signer.b, signer->b, 32) == 0) {
            s = x;
            break;
        }
        if (x->last_ms < oldest->last_ms) oldest = x; /* an empty slot (0) is the oldest */
    }
    if (!s) {
        s = oldest;
        s->signer = *signer;
        s->tokens_milli = t->cap_milli;
        s->last_ms = now;
    } else if (now > s->last_ms) {
        /* cap the elapsed time first so that elapsed x rate cannot overflow */
        uint64_t dt = now - s->last_ms, full = t->cap_milli / t->rate + 1;
        uint64_t add = (dt < full ? dt : full) * t->rate;
        s->tokens_milli = t->cap_milli - s->tokens_milli <= add ? t->cap_milli : s->tokens_milli + add;
        s->last_ms = now;
    }
    return s;
}

int mc_rate_take_n(mc_rate_table *t, const mc_id *signer, unsigned n, unsigned *retry_s)
{
    /* never 0: that marks an empty slot */
    uint64_t now = mc_time_mono_ms() + 1, want = (uint64_t)n * 1000;
    int rc = MC_OK;
    if (retry_s) *retry_s = 0;
    pthread_mutex_lock(&t->lock);
    mc_rate_slot *s = mc_rate_slot_of(t, signer, now);
    if (want > t->cap_milli) {
        rc = MC_ETOOBIG; /* more than a full bucket: never */
    } else if (s->tokens_milli >= want) {
        s->tokens_milli -= want;
    } else {
        rc = MC_EAGAIN;
        /* milli-tokens missing / milli-tokens per millisecond, in whole seconds rounded up */
        if (retry_s) *retry_s = (unsigned)(((want - s->tokens_milli) / t->rate + 999) / 1000);
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}
