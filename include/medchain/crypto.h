/*
 * medchain crypto: the only module that includes libsodium and OpenSSL's libcrypto.
 *
 * Ed25519 signatures, X25519 sealed boxes, XChaCha20-Poly1305, Argon2id key files (libsodium);
 * SHA-256 through libcrypto, which uses the CPU's SHA extensions.
 *
 * Call mc_crypto_init() once before anything else here.
 *
 * THREAD SAFETY: all functions are safe to call concurrently on distinct objects; an
 * mc_sigcache may be shared between threads.
 */
#ifndef MEDCHAIN_CRYPTO_H
#define MEDCHAIN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed-size values are value types. */
typedef struct {
    uint8_t b[32];
} mc_hash;
typedef struct {
    uint8_t b[32];
} mc_sign_pk;
typedef struct {
    uint8_t b[64];
} mc_sign_sk; /* libsodium layout: seed || public key */
typedef struct {
    uint8_t b[64];
} mc_sig;
typedef struct {
    uint8_t b[32];
} mc_box_pk;
typedef struct {
    uint8_t b[32];
} mc_box_sk;

/** Initialises libsodium. Idempotent. @return MC_OK or MC_ECRYPTO. */
int mc_crypto_init(void) MC_WARN_UNUSED_RESULT;

/** SHA-256 of @p n bytes. */
void mc_sha256(mc_hash *out, const void *p, size_t n);

/** Incremental SHA-256. The struct is opaque storage for libcrypto's state. */
typedef struct {
    uint64_t opaque[16];
} mc_sha256_ctx;
void mc_sha256_init(mc_sha256_ctx *c);
void mc_sha256_update(mc_sha256_ctx *c, const void *p, size_t n);
void mc_sha256_final(mc_sha256_ctx *c, mc_hash *out);

/**
 * Domain-separated hash: SHA-256(tag || 0x00 || data). Every hash with a meaning in medchain
 * has its own tag (see docs/format.md), so a value of one kind can never pass for another.
 */
void mc_hash_tagged(mc_hash *out, const char *tag, const void *p, size_t n);
/** Starts a tagged hash: after this, update with the data and finish with mc_sha256_final. */
void mc_hash_tagged_init(mc_sha256_ctx *c, const char *tag);

/** HMAC-SHA-256 with a 32-byte key (libsodium). */
void mc_hmac_sha256(mc_hash *out, const uint8_t key[32], const void *p, size_t n);

/** Fills @p p with @p n bytes from the operating system's CSPRNG. */
void mc_random(void *p, size_t n);

/** Wipes a secret buffer in a way the compiler will not remove. */
void mc_wipe(void *p, size_t n);
/** Constant-time equality of two buffers of @p n bytes. @return 1 if equal, else 0. */
int mc_ct_equal(const void *a, const void *b, size_t n);

/** Length of the standard base64 (RFC 4648, padded) text of @p n bytes, without a NUL. */
size_t mc_base64_len(size_t n);
/**
 * Writes the standard padded base64 of @p p into @p out (mc_base64_len(n) + 1 bytes, NUL-terminated).
 * Not constant time: for public data (the etcd orderer's keys and batches).
 */
void mc_base64_encode(char *out, const void *p, size_t n);
/**
 * Decodes standard padded base64 @p s (@p ns chars, no whitespace) into @p out (cap @p cap),
 * length into *n. @return MC_OK, MC_EINVAL (not base64), MC_ETOOBIG (over @p cap).
 */
int mc_base64_decode(uint8_t *out, size_t cap, size_t *n, const char *s, size_t ns) MC_WARN_UNUSED_RESULT;

/** A fresh Ed25519 key pair. */
void mc_sign_keypair(mc_sign_pk *pk, mc_sign_sk *sk);
/** The public half of @p sk. */
void mc_sign_sk_to_pk(mc_sign_pk *pk, const mc_sign_sk *sk);
/** Ed25519 detached signature over @p n bytes. */
void mc_sign(mc_sig *sig, const void *msg, size_t n, const mc_sign_sk *sk);
/**
 * Verifies an Ed25519 signature. libsodium rejects non-canonical signatures and small-order
 * keys, so a valid signature is not malleable.
 * @return MC_OK or MC_EBADSIG.
 */
int mc_verify(const mc_sig *sig, const void *msg, size_t n, const mc_sign_pk *pk) MC_WARN_UNUSED_RESULT;

/** One signature to check in mc_verify_many(). */
typedef struct {
    const mc_sig *sig;
    const mc_sign_pk *pk;
    const uint8_t *msg;
    size_t n;
    int ok; /**< out: 1 when the signature verified */
} mc_verify_item;

/**
 * Verifies many signatures using up to @p nthreads threads (0 means one per online CPU).
 * Sets each item's @c ok. @return the number that failed.
 */
size_t mc_verify_many(mc_verify_item *items, size_t n, unsigned nthreads);

/** A fresh X25519 key pair for receiving sealed boxes. */
void mc_box_keypair(mc_box_pk *pk, mc_box_sk *sk);
/** The public half of @p sk. */
void mc_box_sk_to_pk(mc_box_pk *pk, const mc_box_sk *sk);

#define MC_SEAL_OVERHEAD 48u
/**
 * Sealed box (anonymous sender) of @p n bytes to @p pk; @p out must hold n + MC_SEAL_OVERHEAD.
 * @return MC_OK or MC_ECRYPTO.
 */
int mc_seal(uint8_t *out, const uint8_t *m, size_t n, const mc_box_pk *pk) MC_WARN_UNUSED_RESULT;
/**
 * Opens a sealed box; @p out must hold n - MC_SEAL_OVERHEAD bytes.
 * @return MC_OK, MC_EINVAL (too short) or MC_ECRYPTO (not for this key, or altered).
 */
int mc_seal_open(uint8_t *out, const uint8_t *c, size_t n, const mc_box_pk *pk,
                 const mc_box_sk *sk) MC_WARN_UNUSED_RESULT;

/*
 * Boxes with a precomputed shared key (crypto_box_beforenm / _easy_afternm): X25519 then
 * HSalsa20 gives a 32-byte key, then XSalsa20-Poly1305. A sender who boxes many messages to one
 * key pays for the scalar multiplication once. The caller chooses the nonce and must never use
 * one twice under the same shared key.
 */
#define MC_BOX_SHAREDBYTES 32u
#define MC_BOX_NONCEBYTES  24u
#define MC_BOX_MACBYTES    16u
/**
 * The shared key of @p pk and @p sk; wipe it with mc_wipe() after use.
 * @return MC_OK, or MC_ECRYPTO when @p pk is a low-order point (the X25519 result would be all
 * zero, a key anyone knows); then @p out is zeroed.
 */
int mc_box_shared(uint8_t out[MC_BOX_SHAREDBYTES], const mc_box_pk *pk,
                  const mc_box_sk *sk) MC_WARN_UNUSED_RESULT;
/** Boxes @p n bytes under a shared key: @p out holds MC_BOX_MACBYTES (the MAC) + n. */
void mc_box_encrypt_afternm(uint8_t *out, const uint8_t *m, size_t n, const uint8_t nonce[MC_BOX_NONCEBYTES],
                            const uint8_t k[MC_BOX_SHAREDBYTES]);
/**
 * Opens a box made by mc_box_encrypt_afternm(); @p out holds n - MC_BOX_MACBYTES bytes.
 * @return MC_OK, MC_EINVAL (shorter than the MAC) or MC_ECRYPTO (altered, or another key or
 * nonce); on MC_ECRYPTO @p out is zeroed.
 */
int mc_box_decrypt_afternm(uint8_t *out, const uint8_t *c, size_t n, const uint8_t nonce[MC_BOX_NONCEBYTES],
                           const uint8_t k[MC_BOX_SHAREDBYTES]) MC_WARN_UNUSED_RESULT;

#define MC_AEAD_KEYBYTES   32u
#define MC_AEAD_NONCEBYTES 24u
#define MC_AEAD_ABYTES     16u
/** XChaCha20-Poly1305: @p out holds n + MC_AEAD_ABYTES. */
void mc_aead_encrypt(uint8_t *out, const uint8_t *m, size_t n, const uint8_t *ad, size_t nad,
                     const uint8_t nonce[MC_AEAD_NONCEBYTES], const uint8_t key[MC_AEAD_KEYBYTES]);
/** @return MC_OK, MC_EINVAL (too short) or MC_ECRYPTO (altered or wrong key/ad). */
int mc_aead_decrypt(uint8_t *out, const uint8_t *c, size_t n, const uint8_t *ad, size_t nad,
                    const uint8_t nonce[MC_AEAD_NONCEBYTES],
                    const uint8_t key[MC_AEAD_KEYBYTES]) MC_WARN_UNUSED_RESULT;

/** The secrets of one identity, as held in its key file. Wipe with mc_wipe() after use. */
typedef struct {
    mc_hash id;         /**< the identity this key belongs to (stable across rotations) */
    uint8_t kind;       /**< identity kind (chain-level meaning; opaque here) */
    mc_sign_sk sign_sk; /**< Ed25519 secret key */
    mc_box_sk box_sk;   /**< X25519 secret key */
} mc_keys;

/** Argon2id cost of a key file. TEST is fast and weak: for test suites only. */
enum mc_kdf_level { MC_KDF_TEST = 0, MC_KDF_INTERACTIVE = 1, MC_KDF_MODERATE = 2 };

/**
 * Writes @p keys to @p path (mode 0600, atomically), encrypted under @p passphrase with
 * Argon2id and XChaCha20-Poly1305. @return MC_OK, MC_EINVAL, MC_ENOMEM, MC_ECRYPTO, MC_EIO.
 */
int mc_keyfile_write(const char *path, const mc_keys *keys, const char *passphrase,
                     int kdf_level) MC_WARN_UNUSED_RESULT;
/**
 * Reads and decrypts a key file. @return MC_OK, MC_ENOTFOUND, MC_EIO, MC_EINVAL (not a key
 * file), MC_ECRYPTO (wrong passphrase or altered file). On failure @p keys is zeroed.
 */
int mc_keyfile_read(const char *path, const char *passphrase, mc_keys *keys) MC_WARN_UNUSED_RESULT;

/**
 * Loads a key file's passphrase from @p file (trailing newlines dropped) or, when @p file is
 * NULL or empty, from the environment variable MEDCHAIN_PASSPHRASE.
 * @return MC_OK, MC_ENOTFOUND (neither given), MC_EIO, MC_ETOOBIG (longer than cap - 1).
 */
int mc_passphrase_load(const char *file, char *out, size_t cap) MC_WARN_UNUSED_RESULT;

/**
 * A cache of signatures already verified (after Bitcoin Core's sigcache): the node verifies a
 * transaction's signature once at admission, and the executor finds it here instead of paying
 * for a second verification. An entry is a digest of (message, signature, public key): a hit
 * vouches for exactly those signature bytes, so a copy of a transaction with altered signature
 * bytes misses and is verified like any other. Fixed size; old entries are overwritten, and a
 * miss only costs a verification.
 */
typedef struct mc_sigcache mc_sigcache;
/** @return MC_OK or MC_ENOMEM. @p slots is rounded up to a power of two. */
int mc_sigcache_new(mc_sigcache **pp, size_t slots) MC_WARN_UNUSED_RESULT;
void mc_sigcache_free(mc_sigcache *c);
/** Records that @p sig verified over @p msg with @p pk. */
void mc_sigcache_add(mc_sigcache *c, const mc_hash *msg, const mc_sig *sig, const mc_sign_pk *pk);
/** @return 1 if (msg, sig, pk) was added before and not yet overwritten. */
int mc_sigcache_has(mc_sigcache *c, const mc_hash *msg, const mc_sig *sig, const mc_sign_pk *pk);

#ifdef __cplusplus
}
#endif
#endif
