/*
 * envelope internals shared by its files, and two deterministic entry points for the
 * known-answer tests (tests/unit/test_envelope.c). Not part of the public API: production code
 * takes its ephemeral keys, data keys, nonces and salts from the CSPRNG.
 */
#ifndef MEDCHAIN_ENVELOPE_INTERNAL_H
#define MEDCHAIN_ENVELOPE_INTERNAL_H

#include "medchain/envelope.h"

/** The associated data of a record's AEAD: H("medchain/record-ad", record || patient). */
void mc_env_record_ad(mc_hash *ad, const mc_hash *record, const mc_id *patient);

/** A box nonce: the first 24 bytes of H(@p tag, @p eph | @p to | @p bound) (wraps, key boxes). */
void mc_env_box_nonce(uint8_t nonce[MC_BOX_NONCEBYTES], const char *tag, const mc_box_pk *eph,
                      const mc_box_pk *to, const mc_hash *bound);

/** mc_wrapper_new() with the ephemeral secret @p eph_sk instead of a random one (tests only). */
int mc_wrapper_new_fixed(mc_wrapper **pp, const mc_box_sk *eph_sk) MC_WARN_UNUSED_RESULT;

/**
 * mc_env_seal() with the data key, AEAD nonce and salt given (tests only; mc_env_seal() draws
 * them from the CSPRNG and calls this).
 */
int mc_env_seal_with(mc_buf *cipher, mc_body_anchor *a, mc_wrapper *w, const uint8_t *pt, size_t n,
                     const mc_env_recipient *rcpt, size_t nrcpt, const uint8_t key[MC_ENV_KEYBYTES],
                     const uint8_t nonce[MC_AEAD_NONCEBYTES],
                     const uint8_t salt[MC_ENV_SALTBYTES]) MC_WARN_UNUSED_RESULT;

#endif
