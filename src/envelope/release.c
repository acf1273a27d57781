/*
 * Key release (DESIGN.md section 4): after a permitted read, the custodian's node opens the data
 * keys wrapped to its key-release key and seals all of them, each beside its record id, in one
 * box to the reader's registered X25519 key, bound to the access log that records the read.
 *
 * Box: ephemeral X25519 pk 32 | XSalsa20-Poly1305 (crypto_box with a fresh ephemeral key) of
 * count u32 | (record id 32 | data key 32) * count, nonce = the first 24 bytes of
 * H("medchain/release", ephemeral pk | reader pk | log tx id). A box made for one log does not
 * open under another; a key paired with the wrong record fails that record's AEAD.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope_internal.h"

static void mc_release_nonce(uint8_t nonce[MC_BOX_NONCEBYTES], const mc_box_pk *eph, const mc_box_pk *to,
                             const mc_hash *log_tx)
{
    mc_env_box_nonce(nonce, "medchain/release", eph, to, log_tx);
}

#define MC_RELEASE_ITEM (32u + MC_ENV_KEYBYTES)

int mc_env_release_seal(mc_buf *out, const mc_env_released_key *keys, size_t n, const mc_hash *log_tx,
                        const mc_box_pk *reader_pk)
{
    if (!out || (n && !keys) || !log_tx || !reader_pk) return MC_EINVAL;
    if (n > MC_MAX_READS) return MC_ETOOBIG;
    size_t np = 4 + n * MC_RELEASE_ITEM, nbox = 32 + MC_BOX_MACBYTES + np;
    uint8_t *pt = malloc(np), *box = malloc(nbox);
    mc_box_pk eph;
    mc_box_sk eph_sk;
    uint8_t k[MC_BOX_SHAREDBYTES], nonce[MC_BOX_NONCEBYTES];
    int rc = pt && box ? MC_OK : MC_ENOMEM;
    if (!rc) {
        mc_box_keypair(&eph, &eph_sk);
        rc = mc_box_shared(k, reader_pk, &eph_sk);
    }
    if (!rc) {
        mc_put_u32be(pt, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
            memcpy(pt + 4 + i * MC_RELEASE_ITEM, keys[i].record.b, 32);
            memcpy(pt + 4 + i * MC_RELEASE_ITEM + 32, keys[i].key, MC_ENV_KEYBYTES);
        }
        mc_release_nonce(nonce, &eph, reader_pk, log_tx);
        memcpy(box, eph.b, 32);
        mc_box_encrypt_afternm(box + 32, pt, np, nonce, k);
        rc = mc_buf_append(out, box, nbox);
    }
    if (pt) mc_wipe(pt, np);
    mc_wipe(&eph_sk, sizeof eph_sk);
    mc_wipe(k, sizeof k);
    free(pt);
    free(box);
    return rc;
}

int mc_env_release_open(mc_env_released_key *keys, size_t cap, size_t *n, const uint8_t *box, size_t nbox,
                        const mc_hash *log_tx, const mc_box_pk *my_pk, const mc_box_sk *my_sk)
{
    if (n) *n = 0;
    if ((!keys && cap) || !n || !box || !log_tx || !my_pk || !my_sk) return MC_EINVAL;
    if (nbox < 32 + MC_BOX_MACBYTES + 4 || (nbox - 32 - MC_BOX_MACBYTES - 4) % MC_RELEASE_ITEM)
        return MC_ECORRUPT;
    size_t np = nbox - 32 - MC_BOX_MACBYTES, count = (np - 4) / MC_RELEASE_ITEM;
    if (count > cap) return MC_ETOOBIG;
    uint8_t *pt = malloc(np), k[MC_BOX_SHAREDBYTES], nonce[MC_BOX_NONCEBYTES];
    mc_box_pk eph;
    memcpy(eph.b, box, 32);
    int rc = pt ? mc_box_shared(k, &eph, my_sk) : MC_ENOMEM;
    if (!rc) {
        mc_release_nonce(nonce, &eph, my_pk, log_tx);
        rc = mc_box_decrypt_afternm(pt, box + 32, nbox - 32, nonce, k);
    }
    if (!rc && mc_get_u32be(pt) != count) rc = MC_ECORRUPT;
    for (size_t i = 0; !rc && i < count; i++) {
        memcpy(keys[i].record.b, pt + 4 + i * MC_RELEASE_ITEM, 32);
        memcpy(keys[i].key, pt + 4 + i * MC_RELEASE_ITEM + 32, MC_ENV_KEYBYTES);
    }
    if (!rc) *n = count;
    if (pt) mc_wipe(pt, np);
    mc_wipe(k, sizeof k);
    free(pt);
    return rc;
}

void mc_env_release_keys_new(mc_keys *k)
{
    mc_box_pk pk;
    mc_sign_pk spk;
    memset(k, 0, sizeof *k);
    k->kind = MC_KEYKIND_RELEASE;
    mc_box_keypair(&pk, &k->box_sk);
    mc_sign_keypair(&spk, &k->sign_sk); /* unused: the key file holds both halves */
    mc_hash_tagged(&k->id, "medchain/release-key", pk.b, sizeof pk.b);
}
