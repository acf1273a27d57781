/*
 * Verified-signature cache. A slot holds the digest of (message, signature, public key), so a
 * hit can never vouch for other signature bytes or another key; a miss only costs a
 * verification. One mutex per 64 slots keeps admission threads and the executor apart.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/crypto.h"

#define MC_SIGCACHE_STRIPES 64u

struct mc_sigcache {
    size_t mask;
    mc_hash *slots; /* all-zero: empty */
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

static size_t mc_sigcache_key(const mc_sigcache *c, const mc_hash *msg, const mc_sig *sig,
                              const mc_sign_pk *pk, mc_hash *key)
{
    uint8_t in[32 + 64 + 32];
    memcpy(in, msg->b, 32);
    memcpy(in + 32, sig->b, 64);
    memcpy(in + 96, pk->b, 32);
    mc_hash_tagged(key, "medchain/sigcache", in, sizeof in);
    key->b[31] |= 1; /* never all-zero, which marks an empty slot */
    uint64_t i;
    memcpy(&i, key->b, 8);
    return (size_t)i & c->mask;
}

void mc_sigcache_add(mc_sigcache *c, const mc_hash *msg, const mc_sig *sig, const mc_sign_pk *pk)
{
    mc_hash key;
    size_t i = mc_sigcache_key(c, msg, sig, pk, &key);
    pthread_mutex_t *l = &c->locks[i % MC_SIGCACHE_STRIPES];
    pthread_mutex_lock(l);
    c->slots[i] = key;
    pthread_mutex_unlock(l);
}

int mc_sigcache_has(mc_sigcache *c, const mc_hash *msg, const mc_sig *sig, const mc_sign_pk *pk)
{
    mc_hash key;
    size_t i = mc_sigcache_key(c, msg, sig, pk, &key);
    pthread_mutex_t *l = &c->locks[i % MC_SIGCACHE_STRIPES];
    pthread_mutex_lock(l);
    int hit = memcmp(c->slots[i].b, key.b, 32) == 0;
    pthread_mutex_unlock(l);
    return hit;
}
