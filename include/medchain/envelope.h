/*
 * medchain envelope: client-side encryption of records (docs/format.md, "Record encryption").
 *
 * A record is encrypted once, on the author's machine, under a fresh random 256-bit data key
 * (XChaCha20-Poly1305, the record id and patient id bound as associated data). The data key is
 * wrapped to each recipient's X25519 key in a "batched sealed box": an mc_wrapper holds one
 * ephemeral key pair for a whole ingest batch (or grant) and remembers the shared key of every
 * recipient it has seen, so wrapping costs a hash and a 32-byte secretbox instead of a scalar
 * multiplication. Each wrapped key is bound to its record: moved to another record, it does
 * not open. The anchor (mc_body_anchor) gets the ciphertext's SHA-256, a salted commitment to
 * the plaintext, the size and the wrapped keys; every reader checks the hash before decrypting
 * and the commitment after.
 *
 * Search tokens (DESIGN.md section 4, after Zhang & Lin's secure indexes): a patient's search
 * key is derived from their X25519 secret; a token is HMAC-SHA-256(search key, keyword) over a
 * normalised "kind:value" keyword, so nobody without the search key learns the keyword.
 *
 * Bytes already decrypted by a reader cannot be taken back: revoking a grant stops custodians
 * serving the ciphertext, nothing more.
 *
 * Every secret this module handles (data keys, shared keys, the ephemeral secret, search keys,
 * plaintext scratch) is wiped after use; MACs and commitments are compared in constant time.
 *
 * THREAD SAFETY: an mc_wrapper must not be used by two threads at once (give each ingest thread
 * its own, or lock); every other function is safe to call concurrently on distinct objects.
 */
#ifndef MEDCHAIN_ENVELOPE_H
#define MEDCHAIN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MC_ENV_VERSION   1u  /**< the first byte of every record ciphertext */
#define MC_ENV_KEYBYTES  32u /**< a data key or a search key */
#define MC_ENV_SALTBYTES 32u /**< the commitment's salt, carried inside the ciphertext */
/** Ciphertext bytes beyond the plaintext: version 1 + nonce 24 + salt 32 + MAC 16. */
#define MC_ENV_OVERHEAD (1u + MC_AEAD_NONCEBYTES + MC_ENV_SALTBYTES + MC_AEAD_ABYTES)
/** The longest normalised keyword ("kind:value"), without its NUL. */
#define MC_ENV_MAX_KEYWORD 128u

/** One recipient of a record's data key: an identity (or org) id and its X25519 key. */
typedef struct {
    mc_id id;
    mc_box_pk pk;
} mc_env_recipient;

/**
 * Wraps data keys for many records and recipients (one per ingest batch, grant, or thread).
 * Holds one ephemeral X25519 key pair and the shared key of each recipient key it has met, and
 * remembers every nonce it has used; it replaces its ephemeral key pair (forgetting both) when
 * a nonce would repeat or a table is full, so no nonce is ever used twice under one shared key
 * whatever the caller passes. Not thread-safe.
 */
typedef struct mc_wrapper mc_wrapper;

/**
 * Creates a wrapper with a fresh ephemeral key pair.
 * @param[out] pp the new wrapper (NULL on failure); free it with mc_wrapper_free().
 * @return MC_OK, MC_EINVAL (@p pp NULL) or MC_ENOMEM.
 */
int mc_wrapper_new(mc_wrapper **pp) MC_WARN_UNUSED_RESULT;

/** Wipes the ephemeral secret and every cached shared key, then frees @p w. NULL is harmless. */
void mc_wrapper_free(mc_wrapper *w);

/**
 * Wraps a 32-byte key for one recipient, bound to @p record: out->recipient = *to and
 * out->sealed = ephemeral pk 32 || XSalsa20-Poly1305 under the shared key of the ephemeral
 * secret and @p to_pk, nonce = the first 24 bytes of
 * H("medchain/wrap", ephemeral pk || to_pk || record). Exactly MC_SEALED_KEY_BYTES.
 *
 * Used for data keys (@p record = the record id) and for a patient's search key (@p record =
 * mc_env_search_key_slot() of the patient).
 *
 * Never fails for want of memory: when the wrapper's tables cannot grow it takes a fresh
 * ephemeral key pair instead.
 *
 * @return MC_OK, MC_EINVAL (a NULL argument), or MC_ECRYPTO (@p to_pk is a low-order point).
 * On failure @p out is zeroed.
 */
int mc_env_wrap(mc_wrapper *w, mc_wrapped_key *out, const uint8_t key[MC_ENV_KEYBYTES], const mc_hash *record,
                const mc_id *to, const mc_box_pk *to_pk) MC_WARN_UNUSED_RESULT;

/**
 * Opens a key wrapped by mc_env_wrap() for the holder of @p my_sk (one scalar multiplication).
 * @p my_pk must be the public half of @p my_sk (it is part of the nonce).
 * @param[out] key the key; wipe it with mc_wipe() after use. Zeroed on failure.
 * @return MC_OK, MC_EINVAL (a NULL argument), or MC_ECRYPTO (not wrapped for this key or for
 * this record, altered, or a low-order ephemeral key).
 */
int mc_env_unwrap(uint8_t key[MC_ENV_KEYBYTES], const mc_wrapped_key *in, const mc_hash *record,
                  const mc_box_pk *my_pk, const mc_box_sk *my_sk) MC_WARN_UNUSED_RESULT;

/**
 * Remembers the shared keys of the ephemeral keys it has met (the wrapped keys of one ingest
 * batch share one), so that opening many wrapped keys costs a scalar multiplication per batch,
 * not per key: what a custodian releasing a whole chart needs. Holds secrets: free it with
 * mc_unwrap_cache_free(), which wipes them. Not thread-safe: one per request.
 */
typedef struct mc_unwrap_cache mc_unwrap_cache;
#define MC_UNWRAP_CACHE_SLOTS 32u
/** @return MC_OK, MC_EINVAL (@p pp NULL), MC_ENOMEM. */
int mc_unwrap_cache_new(mc_unwrap_cache **pp) MC_WARN_UNUSED_RESULT;
/** Wipes and frees @p c. NULL is harmless. */
void mc_unwrap_cache_free(mc_unwrap_cache *c);
/**
 * mc_env_unwrap() through @p c (NULL: none): the same result and errors.
 */
int mc_env_unwrap_cached(mc_unwrap_cache *c, uint8_t key[MC_ENV_KEYBYTES], const mc_wrapped_key *in,
                         const mc_hash *record, const mc_box_pk *my_pk,
                         const mc_box_sk *my_sk) MC_WARN_UNUSED_RESULT;

/**
 * Re-wraps a key wrapped for me (@p in, bound to @p record) for the grantee @p to: what a
 * patient does on their own machine to give a grantee a record (mc_rewrapped_key of a
 * consent.grant). The key is held only for the call and wiped.
 * @return MC_OK, MC_EINVAL, or MC_ECRYPTO (@p in does not open with my key for this
 * record, or @p to_pk is low-order). On failure @p out is zeroed.
 */
int mc_env_rewrap(mc_wrapper *w, mc_wrapped_key *out, const mc_wrapped_key *in, const mc_hash *record,
                  const mc_box_pk *my_pk, const mc_box_sk *my_sk, const mc_id *to,
                  const mc_box_pk *to_pk) MC_WARN_UNUSED_RESULT;

/**
 * The salted commitment to a plaintext: H("medchain/commitment", salt || plaintext).
 * The one definition; mc_env_commitment_init() is the same hash, streamed.
 */
void mc_env_commitment(mc_hash *out, const uint8_t salt[MC_ENV_SALTBYTES], const void *pt, size_t n);
/** Starts the commitment hash over @p salt: update with the plaintext, finish with mc_sha256_final(). */
void mc_env_commitment_init(mc_sha256_ctx *c, const uint8_t salt[MC_ENV_SALTBYTES]);

/**
 * Encrypts a record and fills its anchor.
 *
 * Appends to @p cipher: version 1 | nonce 24 | XChaCha20-Poly1305(salt 32 || plaintext), with
 * a fresh random data key, nonce and salt, and associated data
 * H("medchain/record-ad", a->record || a->patient). That is n + MC_ENV_OVERHEAD bytes.
 *
 * In: a->record (not all zero) and a->patient, set by the caller; @p rcpt, 1..MC_MAX_WRAPPED
 * recipients in any order with distinct ids (normally the patient, the custodian org, and the
 * author's org).
 * Out: a->cipher_hash (SHA-256 of the appended bytes), a->commitment, a->size, and
 * a->keys / a->nkeys, one wrapped key per recipient, sorted by recipient id. Other fields of
 * @p a are left alone.
 *
 * @return MC_OK; MC_EINVAL (a NULL argument, no recipients, a duplicate recipient id, an
 * all-zero record id); MC_ETOOBIG (more than MC_MAX_WRAPPED recipients, or @p cipher would
 * pass its cap); MC_ENOMEM; MC_ECRYPTO (a recipient key is a low-order point). On failure
 * @p cipher is as it was, the anchor's output fields are zeroed and nothing secret is left.
 */
int mc_env_seal(mc_buf *cipher, mc_body_anchor *a, mc_wrapper *w, const uint8_t *pt, size_t n,
                const mc_env_recipient *rcpt, size_t nrcpt) MC_WARN_UNUSED_RESULT;

/**
 * The key wrapped for @p me on @p a, or NULL if there is none. The pointer is into @p a and is
 * valid as long as @p a is unchanged.
 */
const mc_wrapped_key *mc_env_find_key(const mc_body_anchor *a, const mc_id *me);

/**
 * Checks and decrypts a record.
 *
 * First, before any decryption: @p n must equal a->size and SHA-256(@p c) a->cipher_hash.
 * Then unwraps @p wk (from mc_env_find_key(), or a re-wrapped key of a grant) with my key,
 * decrypts with the associated data of a->record and a->patient, and checks the plaintext
 * against a->commitment. The data key and all scratch are wiped.
 *
 * @param[out] pt the plaintext (without the salt) is appended; on failure @p pt is as it was.
 * @return MC_OK; MC_EINVAL (a NULL argument); MC_ECORRUPT (the bytes are not the anchor's:
 * wrong size or hash, wrong version, too short; or they do not decrypt under the anchor's
 * record and patient; or the commitment differs); MC_ECRYPTO (@p wk does not open with my key
 * for this record); MC_ETOOBIG (@p pt would pass its cap); MC_ENOMEM.
 */
int mc_env_open(mc_buf *pt, const uint8_t *c, size_t n, const mc_body_anchor *a, const mc_wrapped_key *wk,
                const mc_box_pk *my_pk, const mc_box_sk *my_sk) MC_WARN_UNUSED_RESULT;

/**
 * Checks and decrypts a record with its data key @p key (one released by a custodian, see
 * mc_env_release_open()): the same checks as mc_env_open() but for the unwrap.
 * @return MC_OK; MC_EINVAL; MC_ECORRUPT (not the anchor's bytes, or they do not open under
 * @p key for this record and patient, or the commitment differs); MC_ETOOBIG; MC_ENOMEM.
 */
int mc_env_open_key(mc_buf *pt, const uint8_t *c, size_t n, const mc_body_anchor *a,
                    const uint8_t key[MC_ENV_KEYBYTES]) MC_WARN_UNUSED_RESULT;

/** A data key released by a custodian, beside the record it opens. Secret: wipe after use. */
typedef struct {
    mc_hash record;
    uint8_t key[MC_ENV_KEYBYTES];
} mc_env_released_key;

/**
 * The custodian's side of key release: seals @p n (at most MC_MAX_READS) record ids and data
 * keys in one box to the reader's X25519 key @p reader_pk, bound to @p log_tx, the access log
 * that records the read (docs/format.md, "Key release"). A fresh ephemeral key per box.
 * Appends 32 + 16 + 4 + 64 n bytes to @p out.
 * @return MC_OK, MC_EINVAL, MC_ETOOBIG (too many keys, or @p out's cap), MC_ENOMEM,
 * MC_ECRYPTO (a low-order reader key).
 */
int mc_env_release_seal(mc_buf *out, const mc_env_released_key *keys, size_t n, const mc_hash *log_tx,
                        const mc_box_pk *reader_pk) MC_WARN_UNUSED_RESULT;

/**
 * The reader's side: opens a box made by mc_env_release_seal() for @p log_tx with my key pair,
 * into @p keys (room for @p cap), setting @p n. Wipe @p keys after use.
 * @return MC_OK; MC_EINVAL; MC_ECORRUPT (not a box's shape, or its count disagrees);
 * MC_ECRYPTO (not for my key, or for another log, or altered); MC_ETOOBIG (more than @p cap).
 */
int mc_env_release_open(mc_env_released_key *keys, size_t cap, size_t *n, const uint8_t *box, size_t nbox,
                        const mc_hash *log_tx, const mc_box_pk *my_pk,
                        const mc_box_sk *my_sk) MC_WARN_UNUSED_RESULT;

/**
 * A fresh key-release key, as its key file holds it (mc_keyfile_write): kind MC_KEYKIND_RELEASE,
 * a new X25519 key pair (the key), and id H("medchain/release-key", its public key). Wipe
 * @p k after use.
 */
void mc_env_release_keys_new(mc_keys *k);

/**
 * A patient's search key: HMAC-SHA-256 keyed with their X25519 secret over
 * "medchain/search-key". Deterministic, so the patient can always derive it again. It is a
 * secret: wipe it after use. (It changes when the patient's X25519 key is rotated.)
 */
void mc_env_search_key(uint8_t out[MC_ENV_KEYBYTES], const mc_box_sk *patient_box_sk);

/**
 * The "record id" under which a patient's search key is wrapped to a grantee with
 * mc_env_wrap() / opened with mc_env_unwrap(): H("medchain/search-key-slot", patient).
 */
void mc_env_search_key_slot(mc_hash *out, const mc_id *patient);

/**
 * Normalises a keyword to "kind:value" (NUL-terminated in @p out).
 *
 * @p kind, trimmed and lower-cased, is one of loinc, snomed, rxnorm, cvx, type, category,
 * year, word. @p value: ASCII spaces trimmed at both ends and runs of them inside collapsed to
 * one, ASCII letters lower-cased, other bytes (UTF-8 included) kept as given; a year is exactly
 * four digits. E.g. (" LOINC ", "8302-2 ") gives "loinc:8302-2".
 *
 * @return MC_OK; MC_EINVAL (NULL argument, unknown kind, empty value, a control byte (below
 * 0x20, or 0x7f) in kind or value, a year that is not four digits); MC_ETOOBIG (longer than
 * MC_ENV_MAX_KEYWORD, or than @p cap - 1). On failure @p out is "" when @p cap > 0.
 */
int mc_env_keyword(char *out, size_t cap, const char *kind, const char *value) MC_WARN_UNUSED_RESULT;

/**
 * A search token: HMAC-SHA-256(@p skey, @p keyword), @p keyword as made by mc_env_keyword()
 * (its bytes without the NUL). Tokens for the same patient and keyword are equal, so the
 * holder of the search key can find records by keyword; without it a token says nothing.
 */
void mc_env_token(mc_hash *tok, const uint8_t skey[MC_ENV_KEYBYTES], const char *keyword);

#ifdef __cplusplus
}
#endif
#endif
