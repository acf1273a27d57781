/*
 * A record's ciphertext and the anchor fields that describe it: seal on the author's machine,
 * open on a reader's.
 *
 * Ciphertext: version 1 | nonce 24 | XChaCha20-Poly1305(salt 32 || plaintext). The salt rides
 * inside the encryption so that every reader, not only the author, can recompute the
 * commitment after decrypting. A reader checks in this order: size and SHA-256 against the
 * anchor (a flipped byte is found before any key is touched), then the wrapped key, then the
 * AEAD tag (which binds record id and patient id), then the commitment.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope_internal.h"

#define MC_ENV_HDR (1u + MC_AEAD_NONCEBYTES) /* version | nonce */

void mc_env_commitment_init(mc_sha256_ctx *c, const uint8_t salt[MC_ENV_SALTBYTES])
{
    mc_hash_tagged_init(c, "medchain/commitment");
    mc_sha256_update(c, salt, MC_ENV_SALTBYTES);
}

void mc_env_commitment(mc_hash *out, const uint8_t salt[MC_ENV_SALTBYTES], const void *pt, size_t n)
{
    mc_sha256_ctx c;
    mc_env_commitment_init(&c, salt);
    if (n) mc_sha256_update(&c, pt, n);
    mc_sha256_final(&c, out);
}

void mc_env_record_ad(mc_hash *ad, const mc_hash *record, const mc_id *patient)
{
    uint8_t in[sizeof record->b + sizeof patient->b];
    memcpy(in, record->b, sizeof record->b);
    memcpy(in + sizeof record->b, patient->b, sizeof patient->b);
    mc_hash_tagged(ad, "medchain/record-ad", in, sizeof in);
}

static void mc_env_anchor_clear(mc_body_anchor *a)
{
    memset(&a->cipher_hash, 0, sizeof a->cipher_hash);
    memset(&a->commitment, 0, sizeof a->commitment);
    a->size = 0;
    a->nkeys = 0;
    memset(a->keys, 0, sizeof a->keys);
}

/* Recipient order (by id), refusing duplicates; @p n <= MC_MAX_WRAPPED. */
static int mc_env_order(size_t *ord, const mc_env_recipient *r, size_t n)
{
    for (size_t i = 0; i < n; i++) { /* insertion sort: at most 16 */
        size_t j = i;
        for (; j > 0 && memcmp(r[ord[j - 1]].id.b, r[i].id.b, sizeof r[i].id.b) > 0; j--) ord[j] = ord[j - 1];
        ord[j] = i;
    }
    for (size_t i = 1; i < n; i++)
        if (!memcmp(r[ord[i - 1]].id.b, r[ord[i]].id.b, sizeof r[i].id.b)) return MC_EINVAL;
    return MC_OK;
}

static int mc_env_is_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

int mc_env_seal_with(mc_buf *cipher, mc_body_anchor *a, mc_wrapper *w, const uint8_t *pt, size_t n,
                     const mc_env_recipient *rcpt, size_t nrcpt, const uint8_t key[MC_ENV_KEYBYTES],
                     const uint8_t nonce[MC_AEAD_NONCEBYTES], const uint8_t salt[MC_ENV_SALTBYTES])
{
    if (!a) return MC_EINVAL;
    mc_env_anchor_clear(a);
    if (!cipher || !w || (!pt && n) || !rcpt || !key || !nonce || !salt) return MC_EINVAL;
    if (nrcpt == 0 || mc_env_is_zero(a->record.b, sizeof a->record.b)) return MC_EINVAL;
    if (nrcpt > MC_MAX_WRAPPED || n > SIZE_MAX - MC_ENV_OVERHEAD) return MC_ETOOBIG;
    size_t ord[MC_MAX_WRAPPED];
    int rc = mc_env_order(ord, rcpt, nrcpt);
    if (rc) return rc;
    /* wrap first: a bad recipient key fails before a megabyte is encrypted */
    for (size_t i = 0; i < nrcpt; i++) {
        rc = mc_env_wrap(w, &a->keys[i], key, &a->record, &rcpt[ord[i]].id, &rcpt[ord[i]].pk);
        if (rc) goto fail;
    }
    size_t total = n + MC_ENV_OVERHEAD;
    if ((rc = mc_buf_reserve(cipher, total))) goto fail;
    uint8_t *c = cipher->p + cipher->n, *body = c + MC_ENV_HDR;
    c[0] = MC_ENV_VERSION;
    memcpy(c + 1, nonce, MC_AEAD_NONCEBYTES);
    /* salt || plaintext is laid out in place and encrypted in place (libsodium's stream XOR
       and Poly1305 over the output allow c == m): no second copy of the plaintext */
    memcpy(body, salt, MC_ENV_SALTBYTES);
    if (n) memcpy(body + MC_ENV_SALTBYTES, pt, n);
    mc_hash ad;
    mc_env_record_ad(&ad, &a->record, &a->patient);
    mc_aead_encrypt(body, body, MC_ENV_SALTBYTES + n, ad.b, sizeof ad.b, nonce, key);
    cipher->n += total;
    mc_sha256(&a->cipher_hash, c, total);
    mc_env_commitment(&a->commitment, salt, pt, n);
    a->size = total;
    a->nkeys = (uint32_t)nrcpt;
    return MC_OK;
fail:
    mc_env_anchor_clear(a);
    return rc;
}

int mc_env_seal(mc_buf *cipher, mc_body_anchor *a, mc_wrapper *w, const uint8_t *pt, size_t n,
                const mc_env_recipient *rcpt, size_t nrcpt)
{
    uint8_t key[MC_ENV_KEYBYTES], nonce[MC_AEAD_NONCEBYTES], salt[MC_ENV_SALTBYTES];
    mc_random(key, sizeof key);
    mc_random(nonce, sizeof nonce);
    mc_random(salt, sizeof salt);
    int rc = mc_env_seal_with(cipher, a, w, pt, n, rcpt, nrcpt, key, nonce, salt);
    mc_wipe(key, sizeof key);
    mc_wipe(salt, sizeof salt);
    return rc;
}

const mc_wrapped_key *mc_env_find_key(const mc_body_anchor *a, const mc_id *me)
{
    if (!a || !me) return NULL;
    size_t n = a->nkeys < MC_MAX_WRAPPED ? a->nkeys : MC_MAX_WRAPPED;
    for (size_t i = 0; i < n; i++)
        if (!memcmp(a->keys[i].recipient.b, me->b, sizeof me->b)) return &a->keys[i];
    return NULL;
}

static int mc_env_check_cipher(const uint8_t *c, size_t n, const mc_body_anchor *a);

int mc_env_open(mc_buf *pt, const uint8_t *c, size_t n, const mc_body_anchor *a, const mc_wrapped_key *wk,
                const mc_box_pk *my_pk, const mc_box_sk *my_sk)
{
    if (!pt || (!c && n) || !a || !wk || !my_pk || !my_sk) return MC_EINVAL;
    /* the bytes must be the anchor's before any key is touched */
    int rc = mc_env_check_cipher(c, n, a);
    if (rc) return rc;
    uint8_t key[MC_ENV_KEYBYTES];
    rc = mc_env_unwrap(key, wk, &a->record, my_pk, my_sk);
    if (!rc) rc = mc_env_open_key(pt, c, n, a, key);
    mc_wipe(key, sizeof key);
    return rc;
}

/* The bytes are the anchor's (size, SHA-256) and a version-1 ciphertext. */
static int mc_env_check_cipher(const uint8_t *c, size_t n, const mc_body_anchor *a)
{
    mc_hash h;
    mc_sha256(&h, n ? c : (const uint8_t *)"", n);
    if (n != a->size || !mc_ct_equal(h.b, a->cipher_hash.b, sizeof h.b)) return MC_ECORRUPT;
    if (n < MC_ENV_OVERHEAD || c[0] != MC_ENV_VERSION) return MC_ECORRUPT;
    return MC_OK;
}

int mc_env_open_key(mc_buf *pt, const uint8_t *c, size_t n, const mc_body_anchor *a,
                    const uint8_t key[MC_ENV_KEYBYTES])
{
    if (!pt || (!c && n) || !a || !key) return MC_EINVAL;
    int rc = mc_env_check_cipher(c, n, a);
    if (rc) return rc;
    size_t m = n - MC_ENV_HDR - MC_AEAD_ABYTES; /* salt || plaintext */
    uint8_t *s = malloc(m);
    if (!s) return MC_ENOMEM;
    mc_hash ad, cm;
    mc_env_record_ad(&ad, &a->record, &a->patient);
    /* a tag that fails: the wrong key, or bytes sealed for another record or patient */
    if (mc_aead_decrypt(s, c + MC_ENV_HDR, n - MC_ENV_HDR, ad.b, sizeof ad.b, c + 1, key)) {
        rc = MC_ECORRUPT;
        goto out;
    }
    mc_env_commitment(&cm, s, s + MC_ENV_SALTBYTES, m - MC_ENV_SALTBYTES);
    rc = mc_ct_equal(cm.b, a->commitment.b, sizeof cm.b)
             ? mc_buf_append(pt, s + MC_ENV_SALTBYTES, m - MC_ENV_SALTBYTES)
             : MC_ECORRUPT;
out:
    mc_wipe(s, m);
    free(s);
    return rc;
}
