/*
 * Verified-signature cache. A slot holds the full (message hash, public key) pair, so a hit
 * can never be a false positive; a miss only costs a verification. One mutex per 64 slots
 * keeps admission threads and the executor from contending.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/crypto.h"

#define MC_SIGCACHE_STRIPES 64u

typedef struct {
    mc_hash msg;
    mc_sign_pk pk;
    uint8_t used;
} mc_sigcache_slot;

struct mc_sigcache {
    size_t mask;
    mc_sigcache_slot *slots;
    pthread_mutex_t locks[MC_SIGCACHE_STRIPES];
};

int mc_sigcache_new(mc_sigcache **pp, size_t slots)
{
    *pp = NULL;
    size_t n = 1024;
    while (n < slots && n < ((size_t)1 << 26)) n <<= 1;
    mc_sigcache *c = calloc(1, sizeof *c);
    if (!c) return MC_ENOMEM;
    c->slots = malloc(n * sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return MC_ENOMEM;
    }
    /* touched now, so page faults do not land on the admission path later */
    memset(c->slots, 0, n * sizeof *c->slots);
    c->mask = n - 1;
    for (unsigned i = 0; i < MC_SIGCACHE_STRIPES; i++) pthread_mutex_init(&c->locks[i], NULL);
    *pp = c;
    return MC_OK;
}

void mc_sigcache_free(mc_sigcache *c)
{
    if (!c) return;
    for (unsigned i = 0; i < MC_SIGCACHE_STRIPES; i++) pthread_mutex_destroy(&c->locks[i]);
    free(c->slots);
    free(c);
}

/* The message is already a hash, so its first bytes index the table evenly. */
static size_t mc_sigcache_index(const mc_sigcache *c, const mc_hash *msg, const mc_sign_pk *pk)
{
    uint64_t a, b;
    memcpy(&a, msg->b, 8);
    memcpy(&b, pk->b, 8);
    return (size_t)(a ^ (b * 0x9E3779B97F4A7C15ull)) & c->mask;
}

void mc_sigcache_add(mc_sigcache *c, const mc_hash *msg, const mc_sign_pk *pk)
{
    size_t i = mc_sigcache_index(c, msg, pk);
    pthread_mutex_t *l = &c->locks[i % MC_SIGCACHE_STRIPES];
    pthread_mutex_lock(l);
    c->slots[i].msg = *msg;
    c->slots[i].pk = *pk;
    c->slots[i].used = 1;
    pthread_mutex_unlock(l);
}

int mc_sigcache_has(mc_sigcache *c, const mc_hash *msg, const mc_sign_pk *pk)
{
    size_t i = mc_sigcache_index(c, msg, pk);
    pthread_mutex_t *l = &c->locks[i % MC_SIGCACHE_STRIPES];
    pthread_mutex_lock(l);
    const mc_sigcache_slot *s = &c->slots[i];
    int hit = s->used && memcmp(s->msg.b, msg->b, 32) == 0 && memcmp(s->pk.b, pk->b, 32) == 0;
    pthread_mutex_unlock(l);
    return hit;
}
