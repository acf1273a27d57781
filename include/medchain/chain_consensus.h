/*
 * medchain chain, the consortium's part (docs/format.md, "Validator set" and "Attestation";
 * docs/decisions.md, "Light clients"): validator sets and their hashes in headers, one
 * validator's attestation of a header, the certificate that a quorum of them makes, and the
 * light-client check that trusts only the genesis config. Included by medchain/chain.h (one
 * module, two headers: this part kept apart for size).
 *
 * Pure functions over bytes: no I/O, no JSON, no clock. Consensus-critical.
 *
 * THREAD SAFETY: every function is safe to call concurrently on distinct objects.
 */
#ifndef MEDCHAIN_CHAIN_CONSENSUS_H
#define MEDCHAIN_CHAIN_CONSENSUS_H

#include "medchain/chain.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Validator sets (docs/format.md, "Validator set")                                            */

/**
 * A validator set: the node keys whose attestations certify the blocks from @c from_height on
 * (until the next set), in order of admission (genesis order first). A set changes only when
 * org.propose / org.approve admit a validator node in block h; the new set starts at h + 1.
 */
typedef struct {
    uint64_t from_height;
    uint32_t n;
    mc_sign_pk pks[MC_MAX_VALIDATORS];
} mc_valset;

/** Tagged hash "medchain/valset" of the count and the keys in order (not from_height). */
void mc_valset_hash(mc_hash *out, const mc_valset *v);
/** @return MC_OK, MC_EINVAL (empty, a key twice), MC_ETOOBIG. */
int mc_valset_encode(mc_buf *out, const mc_valset *v) MC_WARN_UNUSED_RESULT;
/** @return MC_OK, MC_EINVAL (malformed, empty, a key twice), MC_ETOOBIG. */
int mc_valset_decode(mc_valset *v, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/** Index of the key with id @p id in @p v, or -1. */
int mc_valset_find(const mc_valset *v, const mc_id *id);

/* ------------------------------------------------------------------------------------------ */
/* Attestations and certificates (docs/format.md, "Attestation")                               */

#define MC_ATTEST_BYTES 169u /**< an encoded attestation (fixed size) */
/** The largest encoded certificate in a batch: height, header hash, count, 64 (signer, signature). */
#define MC_CERT_MAX_BYTES (8u + 32u + 4u + MC_MAX_CERT_SIGS * 96u)

/**
 * One validator's signature over one header: Ed25519 by the validator's node key over
 * mc_attest_digest(chain, height, header hash). Published outside the ordered log.
 */
typedef struct {
    mc_hash chain;
    uint64_t height;
    mc_hash header_hash;
    mc_id validator; /**< mc_id_from_pk of the signing key */
    mc_sig sig;
} mc_attest;

/** Tagged hash "medchain/attest" of version, chain id, height and header hash: what is signed. */
void mc_attest_digest(mc_hash *out, const mc_hash *chain, uint64_t height, const mc_hash *header_hash);
/** Fills @p a and signs it with @p sk (whose public key is @p pk). */
void mc_attest_sign(mc_attest *a, const mc_hash *chain, uint64_t height, const mc_hash *header_hash,
                    const mc_sign_pk *pk, const mc_sign_sk *sk);
/** Appends exactly MC_ATTEST_BYTES. @return MC_OK, MC_ENOMEM, MC_ETOOBIG (buffer cap). */
int mc_attest_encode(mc_buf *out, const mc_attest *a) MC_WARN_UNUSED_RESULT;
/** @return MC_OK, MC_EINVAL (wrong size or version). On failure @p a is zeroed. */
int mc_attest_decode(mc_attest *a, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/**
 * Checks that @p a signs exactly (@p chain, @p height, @p header_hash) with @p pk, and that its
 * validator id is that key's. @return MC_OK, MC_EBADSIG (any mismatch), MC_EINVAL (NULL).
 */
int mc_attest_verify(const mc_attest *a, const mc_hash *chain, uint64_t height, const mc_hash *header_hash,
                     const mc_sign_pk *pk) MC_WARN_UNUSED_RESULT;

/**
 * Signatures that certify a header among @p n validators: with f = (n - 1) / 3, the smallest q
 * with 2q > n + f (2f + 1 when n = 3f + 1; 1 of 1, 2 of 2, 2 of 3, 3 of 4, 4 of 5).
 */
uint32_t mc_quorum(uint32_t n);
/**
 * Counts the signatures of @p c that verify (mc_attest_digest over its height and header hash)
 * by a key of @p validators. A signer outside the set, or a bad signature, counts nothing.
 * @return MC_OK with @p nvalid, MC_EINVAL (NULL, over the caps, signers not strictly increasing).
 */
int mc_cert_count(const mc_cert *c, const mc_hash *chain, const mc_sign_pk *validators, uint32_t nvalidators,
                  uint32_t *nvalid) MC_WARN_UNUSED_RESULT;
/**
 * Adds one stored attestation to certificate @p c being built for c->height and c->header_hash:
 * kept only when it is over that header hash and by a key of @p vs, skipped otherwise (another
 * header's word, or a key outside the set). Feed attestations in validator id order (as the
 * store lists them) so that the signers stay strictly increasing. Does not verify signatures.
 * @return MC_OK (kept or skipped), MC_ETOOBIG (@p c holds MC_MAX_CERT_SIGS already).
 */
int mc_cert_add(mc_cert *c, const mc_valset *vs, const mc_id *validator, const mc_hash *header_hash,
                const mc_sig *sig) MC_WARN_UNUSED_RESULT;
/** @return MC_OK when at least mc_quorum(nvalidators) signatures count, MC_EBADSIG if not, MC_EINVAL. */
int mc_cert_check(const mc_cert *c, const mc_hash *chain, const mc_sign_pk *validators,
                  uint32_t nvalidators) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* Light clients (docs/decisions.md, "Light clients")                                          */

/** The most validator-set changes one check follows: each change admits one validator. */
#define MC_LIGHT_MAX_CHANGES MC_MAX_VALIDATORS

/**
 * What a light client trusts: the chain id and the first validator set, both taken from a
 * genesis config it holds, never from the node that serves a proof.
 */
typedef struct {
    mc_hash chain;        /**< mc_genesis_chain_id of the genesis bytes */
    mc_valset validators; /**< the genesis validators' keys in genesis order (from height 1) */
} mc_light_trust;

/**
 * Fills @p t from the encoded genesis config @p genesis (@p n bytes).
 * @return MC_OK, MC_EINVAL (NULL, or the bytes are not a genesis config). On failure @p t is zeroed.
 */
int mc_light_trust_genesis(mc_light_trust *t, const uint8_t *genesis, size_t n) MC_WARN_UNUSED_RESULT;

/**
 * One validator-set change as a proof carries it: the header of block c that admitted a
 * validator (its next_validators names the new set), a certificate of that header by the set
 * that certifies c, and the new set's keys in order (which certify c + 1 on).
 */
typedef struct {
    mc_header header;
    mc_cert cert;
    mc_valset next; /**< only n and pks are checked; from_height is not part of the set's hash */
} mc_light_change;

/** Why mc_light_check refused. Values are stable (the CLI prints the name and the sentence). */
enum mc_light_code {
    MC_LIGHT_OK = 0,
    MC_LIGHT_WRONG_CHAIN = 1,       /**< a header of another chain than the trusted genesis */
    MC_LIGHT_SET_LEFT_OUT = 2,      /**< a header names another set than the one reached: a change left out */
    MC_LIGHT_CERT_OTHER_HEADER = 3, /**< the certificate names another header hash or height */
    MC_LIGHT_CERT_MALFORMED = 4,    /**< signers not strictly increasing, or over the cap */
    MC_LIGHT_NO_QUORUM = 5,         /**< fewer valid signatures of the set than its quorum */
    MC_LIGHT_CHANGE_ORDER = 6,      /**< changes not strictly ascending, or not below the header */
    MC_LIGHT_BAD_SET = 7,           /**< a new set that is empty, too large or repeats a key */
    MC_LIGHT_FORGED_SET = 8,        /**< a new set that is not the one its certified header names */
    MC_LIGHT_CODE_COUNT_
};
/** @return the stable name ("NO_QUORUM", ...), or "UNKNOWN". */
const char *mc_light_name(int code);
/** @return a short English sentence saying why (no identifiers), or "unknown reason". */
const char *mc_light_reason(int code);

/** What mc_light_check found, whether it accepted or refused. */
typedef struct {
    int code;             /**< enum mc_light_code */
    size_t at;            /**< the change concerned (0..n-1), or n: the proof's own header */
    uint64_t height;      /**< that header's height */
    uint32_t nvalidators; /**< the set that header was checked against: its size ... */
    uint32_t quorum;      /**< ... its quorum ... */
    uint32_t nvalid;      /**< ... and the certificate's signatures that count */
    uint32_t nsigs;       /**< signatures in the certificate */
    uint32_t noutside;    /**< of them, by keys outside the set (the rest that fail do not verify) */
} mc_light_report;

/**
 * The light-client check: does a quorum of the right validators certify header @p h, trusting
 * only @p t? Starting from the genesis set, each change in @p changes (ascending heights, all
 * below h's) must be a header of this chain that names the current set, certified by a quorum
 * of it, whose next_validators is the hash of the change's new set, which becomes current. Then
 * @p h must be of this chain, name the current set (else a change was left out), and @p cert
 * must be a quorum of that set over exactly h's hash and height. Signatures are checked over
 * the digest the verifier computes (mc_cert_count), never over fields a certificate claims.
 *
 * Pure: no I/O. @p changes may be NULL when @p n is 0.
 * @return MC_OK (accepted; @p out has the final set's figures), MC_EDENIED (refused: out->code
 *         and out->at say why and where), MC_EINVAL (NULL argument, @p n over MC_LIGHT_MAX_CHANGES).
 */
int mc_light_check(const mc_light_trust *t, const mc_light_change *changes, size_t n, const mc_header *h,
                   const mc_cert *cert, mc_light_report *out) MC_WARN_UNUSED_RESULT;

#ifdef __cplusplus
}
#endif
#endif
