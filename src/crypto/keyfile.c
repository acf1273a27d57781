/*
 * Passphrase-encrypted key files.
 *
 * Layout (all integers big-endian):
 *   "MCKEY\x01" | kdf level u8 | opslimit u64 | memlimit u64 | salt[16] | nonce[24] |
 *   XChaCha20-Poly1305(key = Argon2id(passphrase, salt), ad = everything before it,
 *                      plaintext = kind u8 | id[32] | sign_sk[64] | box_sk[32])
 * The header is authenticated as associated data, so its KDF costs cannot be lowered.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/crypto.h"

#define MC_KF_MAGIC "MCKEY\x01"
#define MC_KF_HDR   (6 + 1 + 8 + 8 + 16 + 24)
#define MC_KF_PLAIN (1 + 32 + 64 + 32)
#define MC_KF_SIZE  (MC_KF_HDR + MC_KF_PLAIN + MC_AEAD_ABYTES)

static int mc_kdf_params(int level, uint64_t *ops, uint64_t *mem)
{
    switch (level) {
    case MC_KDF_TEST:
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
        return MC_OK;
    case MC_KDF_INTERACTIVE:
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        return MC_OK;
    case MC_KDF_MODERATE:
        *ops = crypto_pwhash_OPSLIMIT_MODERATE;
        *mem = crypto_pwhash_MEMLIMIT_MODERATE;
        return MC_OK;
    default: return MC_EINVAL;
    }
}

static int mc_kdf(uint8_t key[32], const char *pass, const uint8_t salt[16], uint64_t ops, uint64_t mem)
{
    if (crypto_pwhash(key, 32, pass, strlen(pass), salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return MC_ENOMEM;
    return MC_OK;
}

int mc_keyfile_write(const char *path, const mc_keys *keys, const char *passphrase, int kdf_level)
{
    uint8_t file[MC_KF_SIZE], plain[MC_KF_PLAIN], key[32];
    uint64_t ops, mem;
    int rc = MC_EINVAL;
    if (!path || !keys || !passphrase) return MC_EINVAL;
    if ((rc = mc_kdf_params(kdf_level, &ops, &mem))) return rc;

    uint8_t *h = file;
    memcpy(h, MC_KF_MAGIC, 6);
    h[6] = (uint8_t)kdf_level;
    mc_put_u64be(h + 7, ops);
    mc_put_u64be(h + 15, mem);
    randombytes_buf(h + 23, 16);
    randombytes_buf(h + 39, 24);

    plain[0] = keys->kind;
    memcpy(plain + 1, keys->id.b, 32);
    memcpy(plain + 33, keys->sign_sk.b, 64);
    memcpy(plain + 97, keys->box_sk.b, 32);
    if ((rc = mc_kdf(key, passphrase, h + 23, ops, mem))) goto out;
    mc_aead_encrypt(file + MC_KF_HDR, plain, sizeof plain, file, MC_KF_HDR, h + 39, key);
    rc = mc_file_write_atomic(path, file, sizeof file, 0600);
out:
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(key, sizeof key);
    return rc;
}

int mc_keyfile_read(const char *path, const char *passphrase, mc_keys *keys)
{
    uint8_t plain[MC_KF_PLAIN], key[32];
    mc_buf f;
    int rc;
    memset(keys, 0, sizeof *keys);
    if (!path || !passphrase) return MC_EINVAL;
    mc_buf_init(&f, MC_KF_SIZE + 1);
    if ((rc = mc_file_read(path, &f))) {
        if (rc == MC_ETOOBIG) rc = MC_EINVAL;
        goto out;
    }
    rc = MC_EINVAL;
    if (f.n != MC_KF_SIZE || memcmp(f.p, MC_KF_MAGIC, 6) != 0) goto out;
    uint64_t ops = mc_get_u64be(f.p + 7), mem = mc_get_u64be(f.p + 15);
    /* refuse absurd costs from a hostile file before spending memory on them */
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
        goto out;
    if ((rc = mc_kdf(key, passphrase, f.p + 23, ops, mem))) goto out;
    rc = mc_aead_decrypt(plain, f.p + MC_KF_HDR, MC_KF_PLAIN + MC_AEAD_ABYTES, f.p, MC_KF_HDR, f.p + 39, key);
    if (rc) goto out;
    keys->kind = plain[0];
    memcpy(keys->id.b, plain + 1, 32);
    memcpy(keys->sign_sk.b, plain + 33, 64);
    memcpy(keys->box_sk.b, plain + 97, 32);
out:
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(key, sizeof key);
    mc_buf_free_wipe(&f);
    return rc;
}

int mc_passphrase_load(const char *file, char *out, size_t cap)
{
    if (cap == 0) return MC_ETOOBIG;
    out[0] = 0;
    if (file && file[0]) {
        mc_buf b;
        mc_buf_init(&b, cap + 2); /* room for the line ending before it is dropped */
        int rc = mc_file_read(file, &b);
        if (!rc) {
            while (b.n && (b.p[b.n - 1] == '\n' || b.p[b.n - 1] == '\r')) b.n--;
            if (b.n >= cap)
                rc = MC_ETOOBIG;
            else {
                if (b.n) memcpy(out, b.p, b.n);
                out[b.n] = 0;
            }
        }
        mc_buf_free_wipe(&b);
        return rc;
    }
    const char *env = getenv("MEDCHAIN_PASSPHRASE");
    if (!env) return MC_ENOTFOUND;
    if (strlen(env) >= cap) return MC_ETOOBIG;
    memcpy(out, env, strlen(env) + 1);
    return MC_OK;
}
