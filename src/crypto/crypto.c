/* Hashes, signatures, boxes and AEAD over libsodium and libcrypto. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_* are the fastest path for small inputs */
#include <openssl/sha.h>
#include <sodium.h>
#include <string.h>

#include "medchain/crypto.h"

_Static_assert(sizeof(mc_sha256_ctx) >= sizeof(SHA256_CTX), "mc_sha256_ctx too small");
_Static_assert(crypto_sign_BYTES == 64 && crypto_sign_PUBLICKEYBYTES == 32, "ed25519 sizes");
_Static_assert(crypto_box_SEALBYTES == MC_SEAL_OVERHEAD, "seal overhead");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == MC_AEAD_NONCEBYTES, "nonce");

int mc_crypto_init(void)
{
    return sodium_init() < 0 ? MC_ECRYPTO : MC_OK;
}

void mc_sha256(mc_hash *out, const void *p, size_t n)
{
    SHA256(p, n, out->b);
}

void mc_sha256_init(mc_sha256_ctx *c)
{
    SHA256_Init((SHA256_CTX *)c);
}
void mc_sha256_update(mc_sha256_ctx *c, const void *p, size_t n)
{
    SHA256_Update((SHA256_CTX *)c, p, n);
}
void mc_sha256_final(mc_sha256_ctx *c, mc_hash *out)
{
    SHA256_Final(out->b, (SHA256_CTX *)c);
    sodium_memzero(c, sizeof *c);
}

void mc_hash_tagged_init(mc_sha256_ctx *c, const char *tag)
{
    mc_sha256_init(c);
    mc_sha256_update(c, tag, strlen(tag) + 1); /* the tag's NUL is the 0x00 separator */
}

void mc_hash_tagged(mc_hash *out, const char *tag, const void *p, size_t n)
{
    mc_sha256_ctx c;
    mc_hash_tagged_init(&c, tag);
    mc_sha256_update(&c, p, n);
    mc_sha256_final(&c, out);
}

void mc_hmac_sha256(mc_hash *out, const uint8_t key[32], const void *p, size_t n)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, p, n);
    crypto_auth_hmacsha256_final(&st, out->b);
    sodium_memzero(&st, sizeof st);
}

void mc_random(void *p, size_t n)
{
    randombytes_buf(p, n);
}
void mc_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}
int mc_ct_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

size_t mc_base64_len(size_t n)
{
    return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL) - 1;
}

void mc_base64_encode(char *out, const void *p, size_t n)
{
    sodium_bin2base64(out, mc_base64_len(n) + 1, p, n, sodium_base64_VARIANT_ORIGINAL);
}

int mc_base64_decode(uint8_t *out, size_t cap, size_t *n, const char *s, size_t ns)
{
    *n = 0;
    if (ns / 4 * 3 > cap + 2) return MC_ETOOBIG;
    const char *end = NULL;
    size_t got = 0;
    if (sodium_base642bin(out, cap, s, ns, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != s + ns)
        return ns / 4 * 3 > cap ? MC_ETOOBIG : MC_EINVAL;
    *n = got;
    return MC_OK;
}

void mc_sign_keypair(mc_sign_pk *pk, mc_sign_sk *sk)
{
    crypto_sign_keypair(pk->b, sk->b);
}
void mc_sign_sk_to_pk(mc_sign_pk *pk, const mc_sign_sk *sk)
{
    crypto_sign_ed25519_sk_to_pk(pk->b, sk->b);
}

void mc_sign(mc_sig *sig, const void *msg, size_t n, const mc_sign_sk *sk)
{
    crypto_sign_detached(sig->b, NULL, msg, n, sk->b);
}

int mc_verify(const mc_sig *sig, const void *msg, size_t n, const mc_sign_pk *pk)
{
    return crypto_sign_verify_detached(sig->b, msg, n, pk->b) == 0 ? MC_OK : MC_EBADSIG;
}

void mc_box_keypair(mc_box_pk *pk, mc_box_sk *sk)
{
    crypto_box_keypair(pk->b, sk->b);
}
void mc_box_sk_to_pk(mc_box_pk *pk, const mc_box_sk *sk)
{
    crypto_scalarmult_base(pk->b, sk->b);
}

int mc_seal(uint8_t *out, const uint8_t *m, size_t n, const mc_box_pk *pk)
{
    return crypto_box_seal(out, m, n, pk->b) == 0 ? MC_OK : MC_ECRYPTO;
}

int mc_seal_open(uint8_t *out, const uint8_t *c, size_t n, const mc_box_pk *pk, const mc_box_sk *sk)
{
    if (n < MC_SEAL_OVERHEAD) return MC_EINVAL;
    return crypto_box_seal_open(out, c, n, pk->b, sk->b) == 0 ? MC_OK : MC_ECRYPTO;
}

void mc_aead_encrypt(uint8_t *out, const uint8_t *m, size_t n, const uint8_t *ad, size_t nad,
                     const uint8_t nonce[MC_AEAD_NONCEBYTES], const uint8_t key[MC_AEAD_KEYBYTES])
{
    crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, m, n, ad, nad, NULL, nonce, key);
}

int mc_aead_decrypt(uint8_t *out, const uint8_t *c, size_t n, const uint8_t *ad, size_t nad,
                    const uint8_t nonce[MC_AEAD_NONCEBYTES], const uint8_t key[MC_AEAD_KEYBYTES])
{
    if (n < MC_AEAD_ABYTES) return MC_EINVAL;
    return crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, c, n, ad, nad, nonce, key) == 0
               ? MC_OK
               : MC_ECRYPTO;
}

_Static_assert(crypto_box_BEFORENMBYTES == MC_BOX_SHAREDBYTES && crypto_box_NONCEBYTES == MC_BOX_NONCEBYTES &&
                   crypto_box_MACBYTES == MC_BOX_MACBYTES,
               "box afternm sizes");

int mc_box_shared(uint8_t out[MC_BOX_SHAREDBYTES], const mc_box_pk *pk, const mc_box_sk *sk)
{
    /* libsodium refuses a low-order pk (all-zero X25519 output) with -1 */
    if (crypto_box_beforenm(out, pk->b, sk->b) == 0) return MC_OK;
    sodium_memzero(out, MC_BOX_SHAREDBYTES);
    return MC_ECRYPTO;
}

void mc_box_encrypt_afternm(uint8_t *out, const uint8_t *m, size_t n, const uint8_t nonce[MC_BOX_NONCEBYTES],
                            const uint8_t k[MC_BOX_SHAREDBYTES])
{
    crypto_box_easy_afternm(out, m, n, nonce, k);
}

int mc_box_decrypt_afternm(uint8_t *out, const uint8_t *c, size_t n, const uint8_t nonce[MC_BOX_NONCEBYTES],
                           const uint8_t k[MC_BOX_SHAREDBYTES])
{
    if (n < MC_BOX_MACBYTES) return MC_EINVAL;
    if (crypto_box_open_easy_afternm(out, c, n, nonce, k) == 0) return MC_OK;
    sodium_memzero(out, n - MC_BOX_MACBYTES);
    return MC_ECRYPTO;
}
