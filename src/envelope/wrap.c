/*
 * The batched sealed box: data keys wrapped to recipients' X25519 keys under one ephemeral
 * key pair per wrapper, with each recipient's shared key computed once.
 *
 * A libsodium sealed box costs two scalar multiplications and a key pair per message (86 us
 * here); ingest wraps 2-3 keys per record at 5,000 records/s on 2 cores. Reusing an ephemeral
 * key is sound because each wrap has its own nonce, H(eph_pk || recipient pk || record id): the
 * nonce also binds the wrapped key to its record.
 *
 * Invariant: under one ephemeral key, no nonce is ever used twice. The wrapper remembers the
 * nonces it has used (their first 16 bytes; two different nonces sharing them cost only a
 * needless rotation) and takes a fresh ephemeral key pair when a nonce would repeat (the
 * same record wrapped to the same key twice) or a table is full. Rotation forgets every
 * shared key, so the next wrap to each recipient pays one scalar multiplication again.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope_internal.h"

#define MC_WRAP_PEER_SLOTS0    16u
#define MC_WRAP_PEER_SLOTS_MAX 4096u /* up to 2,048 recipients: 260 KiB */
#define MC_WRAP_SEEN_SLOTS0    256u
#define MC_WRAP_SEEN_SLOTS_MAX 65536u /* up to 32,768 wrapped keys per ephemeral key: 1 MiB */

typedef struct {
    mc_box_pk pk;
    uint8_t k[MC_BOX_SHAREDBYTES]; /* secret: wiped on rotation, growth and free */
    uint8_t used;
} mc_wrap_peer;

/* A nonce's first 16 bytes; all zero marks an empty slot (a real one is so with p = 2^-128). */
typedef struct {
    uint64_t a, b;
} mc_wrap_seen;

struct mc_wrapper {
    mc_box_pk eph_pk;
    mc_box_sk eph_sk;
    mc_wrap_peer *peer; /* open addressing, peer_slots a power of two, at most half full */
    size_t npeer, peer_slots;
    mc_wrap_seen *seen; /* likewise */
    size_t nseen, seen_slots;
};

static uint64_t mc_wrap_load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void mc_wrap_free_tables(mc_wrapper *w)
{
    if (w->peer) mc_wipe(w->peer, w->peer_slots * sizeof *w->peer);
    free(w->peer);
    free(w->seen);
    w->peer = NULL;
    w->seen = NULL;
}

/* A fresh ephemeral key pair: forgets every shared key and used nonce (they belonged to the old one). */
static void mc_wrap_rotate(mc_wrapper *w)
{
    mc_wipe(&w->eph_sk, sizeof w->eph_sk);
    mc_box_keypair(&w->eph_pk, &w->eph_sk);
    mc_wipe(w->peer, w->peer_slots * sizeof *w->peer);
    memset(w->seen, 0, w->seen_slots * sizeof *w->seen);
    w->npeer = w->nseen = 0;
}

static mc_wrap_peer *mc_wrap_peer_slot(mc_wrap_peer *t, size_t slots, const mc_box_pk *pk)
{
    size_t i = (size_t)mc_wrap_load64(pk->b) & (slots - 1);
    while (t[i].used && memcmp(t[i].pk.b, pk->b, sizeof pk->b)) i = (i + 1) & (slots - 1);
    return &t[i];
}

static mc_wrap_seen *mc_wrap_seen_slot(mc_wrap_seen *t, size_t slots, const mc_wrap_seen *s)
{
    size_t i = (size_t)s->a & (slots - 1);
    while ((t[i].a | t[i].b) && (t[i].a != s->a || t[i].b != s->b)) i = (i + 1) & (slots - 1);
    return &t[i];
}

/* Doubles the peer table (@p peers) or the nonce table, rehashing its entries.
   @return MC_OK, MC_ENOMEM, or MC_ETOOBIG when it is at its cap. */
static int mc_wrap_grow(mc_wrapper *w, int peers)
{
    size_t old = peers ? w->peer_slots : w->seen_slots, slots = old * 2;
    if (slots > (peers ? MC_WRAP_PEER_SLOTS_MAX : MC_WRAP_SEEN_SLOTS_MAX)) return MC_ETOOBIG;
    void *t = calloc(slots, peers ? sizeof *w->peer : sizeof *w->seen);
    if (!t) return MC_ENOMEM;
    if (peers) {
        mc_wrap_peer *p = t;
        for (size_t i = 0; i < old; i++)
            if (w->peer[i].used) *mc_wrap_peer_slot(p, slots, &w->peer[i].pk) = w->peer[i];
        mc_wipe(w->peer, old * sizeof *w->peer);
        free(w->peer);
        w->peer = p;
        w->peer_slots = slots;
    } else {
        mc_wrap_seen *n = t;
        for (size_t i = 0; i < old; i++)
            if (w->seen[i].a | w->seen[i].b) *mc_wrap_seen_slot(n, slots, &w->seen[i]) = w->seen[i];
        free(w->seen);
        w->seen = n;
        w->seen_slots = slots;
    }
    return MC_OK;
}

/* Room for one more peer and one more nonce (each table at most half full): grow, or rotate
   when a table cannot grow. */
static void mc_wrap_room(mc_wrapper *w)
{
    int peers;
    while ((peers = (w->npeer + 1) * 2 > w->peer_slots) || (w->nseen + 1) * 2 > w->seen_slots)
        if (mc_wrap_grow(w, peers)) {
            mc_wrap_rotate(w);
            return;
        }
}

static int mc_wrapper_init(mc_wrapper **pp, const mc_box_sk *eph_sk)
{
    if (!pp) return MC_EINVAL;
    *pp = NULL;
    mc_wrapper *w = calloc(1, sizeof *w);
    if (!w) return MC_ENOMEM;
    w->peer_slots = MC_WRAP_PEER_SLOTS0;
    w->seen_slots = MC_WRAP_SEEN_SLOTS0;
    w->peer = calloc(w->peer_slots, sizeof *w->peer);
    w->seen = calloc(w->seen_slots, sizeof *w->seen);
    if (!w->peer || !w->seen) {
        mc_wrap_free_tables(w);
        free(w);
        return MC_ENOMEM;
    }
    if (eph_sk) {
        w->eph_sk = *eph_sk;
        mc_box_sk_to_pk(&w->eph_pk, &w->eph_sk);
    } else {
        mc_box_keypair(&w->eph_pk, &w->eph_sk);
    }
    *pp = w;
    return MC_OK;
}

int mc_wrapper_new(mc_wrapper **pp)
{
    return mc_wrapper_init(pp, NULL);
}

int mc_wrapper_new_fixed(mc_wrapper **pp, const mc_box_sk *eph_sk)
{
    if (!eph_sk) {
        if (pp) *pp = NULL;
        return MC_EINVAL;
    }
    return mc_wrapper_init(pp, eph_sk);
}

void mc_wrapper_free(mc_wrapper *w)
{
    if (!w) return;
    mc_wrap_free_tables(w);
    mc_wipe(w, sizeof *w);
    free(w);
}

void mc_env_box_nonce(uint8_t nonce[MC_BOX_NONCEBYTES], const char *tag, const mc_box_pk *eph,
                      const mc_box_pk *to, const mc_hash *bound)
{
    mc_sha256_ctx c;
    mc_hash h;
    mc_hash_tagged_init(&c, tag);
    mc_sha256_update(&c, eph->b, sizeof eph->b);
    mc_sha256_update(&c, to->b, sizeof to->b);
    mc_sha256_update(&c, bound->b, sizeof bound->b);
    mc_sha256_final(&c, &h);
    memcpy(nonce, h.b, MC_BOX_NONCEBYTES);
}

/* The first 24 bytes of H("medchain/wrap", eph_pk || recipient pk || record). */
static void mc_wrap_nonce(uint8_t nonce[MC_BOX_NONCEBYTES], const mc_box_pk *eph, const mc_box_pk *to,
                          const mc_hash *record)
{
    mc_env_box_nonce(nonce, "medchain/wrap", eph, to, record);
}

int mc_env_wrap(mc_wrapper *w, mc_wrapped_key *out, const uint8_t key[MC_ENV_KEYBYTES], const mc_hash *record,
                const mc_id *to, const mc_box_pk *to_pk)
{
    if (!out) return MC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!w || !key || !record || !to || !to_pk) return MC_EINVAL;
    mc_wrap_room(w);
    uint8_t nonce[MC_BOX_NONCEBYTES];
    mc_wrap_nonce(nonce, &w->eph_pk, to_pk, record);
    mc_wrap_seen s = {mc_wrap_load64(nonce), mc_wrap_load64(nonce + 8)};
    mc_wrap_seen *slot = mc_wrap_seen_slot(w->seen, w->seen_slots, &s);
    if (slot->a | slot->b) { /* this nonce was used: a fresh ephemeral key makes a fresh one */
        mc_wrap_rotate(w);
        mc_wrap_nonce(nonce, &w->eph_pk, to_pk, record);
        s = (mc_wrap_seen){mc_wrap_load64(nonce), mc_wrap_load64(nonce + 8)};
        slot = mc_wrap_seen_slot(w->seen, w->seen_slots, &s);
    }
    mc_wrap_peer *p = mc_wrap_peer_slot(w->peer, w->peer_slots, to_pk);
    if (!p->used) {
        int rc = mc_box_shared(p->k, to_pk, &w->eph_sk);
        if (rc) return rc; /* a low-order key: nothing cached, nothing used */
        p->pk = *to_pk;
        p->used = 1;
        w->npeer++;
    }
    *slot = s;
    w->nseen++;
    out->recipient = *to;
    memcpy(out->sealed, w->eph_pk.b, sizeof w->eph_pk.b);
    mc_box_encrypt_afternm(out->sealed + sizeof w->eph_pk.b, key, MC_ENV_KEYBYTES, nonce, p->k);
    return MC_OK;
}

_Static_assert(MC_SEALED_KEY_BYTES == sizeof(mc_box_pk) + MC_BOX_MACBYTES + MC_ENV_KEYBYTES,
               "a wrapped key is eph_pk | MAC | key");

/* Opens @p in with the shared key @p k of its ephemeral key and mine (@p my_pk in the nonce). */
static int mc_unwrap_shared(uint8_t key[MC_ENV_KEYBYTES], const mc_wrapped_key *in, const mc_hash *record,
                            const mc_box_pk *my_pk, const uint8_t k[MC_BOX_SHAREDBYTES])
{
    mc_box_pk eph;
    uint8_t nonce[MC_BOX_NONCEBYTES];
    memcpy(eph.b, in->sealed, sizeof eph.b);
    mc_wrap_nonce(nonce, &eph, my_pk, record);
    return mc_box_decrypt_afternm(key, in->sealed + sizeof eph.b, MC_BOX_MACBYTES + MC_ENV_KEYBYTES, nonce,
                                  k);
}

int mc_env_unwrap(uint8_t key[MC_ENV_KEYBYTES], const mc_wrapped_key *in, const mc_hash *record,
                  const mc_box_pk *my_pk, const mc_box_sk *my_sk)
{
    if (!key) return MC_EINVAL;
    memset(key, 0, MC_ENV_KEYBYTES);
    if (!in || !record || !my_pk || !my_sk) return MC_EINVAL;
    mc_box_pk eph;
    memcpy(eph.b, in->sealed, sizeof eph.b);
    uint8_t k[MC_BOX_SHAREDBYTES];
    int rc = mc_box_shared(k, &eph, my_sk);
    if (!rc) rc = mc_unwrap_shared(key, in, record, my_pk, k);
    mc_wipe(k, sizeof k);
    return rc;
}

/* Shared keys by ephemeral public key: the wrapped keys of one ingest batch share theirs. */
struct mc_unwrap_cache {
    size_t n, next;
    mc_box_pk eph[MC_UNWRAP_CACHE_SLOTS];
    mc_box_pk mine[MC_UNWRAP_CACHE_SLOTS];                /* the recipient key it was computed with */
    uint8_t k[MC_UNWRAP_CACHE_SLOTS][MC_BOX_SHAREDBYTES]; /* secret */
};

int mc_unwrap_cache_new(mc_unwrap_cache **pp)
{
    if (!pp) return MC_EINVAL;
    *pp = calloc(1, sizeof **pp);
    return *pp ? MC_OK : MC_ENOMEM;
}

void mc_unwrap_cache_free(mc_unwrap_cache *c)
{
    if (!c) return;
    mc_wipe(c, sizeof *c);
    free(c);
}

int mc_env_unwrap_cached(mc_unwrap_cache *c, uint8_t key[MC_ENV_KEYBYTES], const mc_wrapped_key *in,
                         const mc_hash *record, const mc_box_pk *my_pk, const mc_box_sk *my_sk)
{
    if (!c) return mc_env_unwrap(key, in, record, my_pk, my_sk);
    if (!key) return MC_EINVAL;
    memset(key, 0, MC_ENV_KEYBYTES);
    if (!in || !record || !my_pk || !my_sk) return MC_EINVAL;
    mc_box_pk eph;
    memcpy(eph.b, in->sealed, sizeof eph.b);
    size_t i = 0;
    while (i < c->n && (memcmp(c->eph[i].b, eph.b, 32) != 0 || memcmp(c->mine[i].b, my_pk->b, 32) != 0)) i++;
    if (i == c->n) { /* a miss: compute it into the next slot, round robin */
        uint8_t k[MC_BOX_SHAREDBYTES];
        int rc = mc_box_shared(k, &eph, my_sk);
        if (rc) return rc;
        i = c->n < MC_UNWRAP_CACHE_SLOTS ? c->n++ : c->next++ % MC_UNWRAP_CACHE_SLOTS;
        c->eph[i] = eph;
        c->mine[i] = *my_pk;
        memcpy(c->k[i], k, sizeof k);
        mc_wipe(k, sizeof k);
    }
    return mc_unwrap_shared(key, in, record, my_pk, c->k[i]);
}

int mc_env_rewrap(mc_wrapper *w, mc_wrapped_key *out, const mc_wrapped_key *in, const mc_hash *record,
                  const mc_box_pk *my_pk, const mc_box_sk *my_sk, const mc_id *to, const mc_box_pk *to_pk)
{
    if (!out) return MC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!w || !to || !to_pk) return MC_EINVAL;
    uint8_t key[MC_ENV_KEYBYTES];
    int rc = mc_env_unwrap(key, in, record, my_pk, my_sk);
    if (!rc) rc = mc_env_wrap(w, out, key, record, to, to_pk);
    mc_wipe(key, sizeof key);
    return rc;
}
