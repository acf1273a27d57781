/*
 * medchain chain: the protocol's values and their canonical encodings (docs/format.md):
 * transactions and their bodies, identities, the genesis (consortium) config, batches, block
 * headers, blocks, Merkle roots and inclusion proofs, and the digest a signed API request signs.
 *
 * Pure functions over bytes: no I/O, no JSON, no clock. Consensus-critical.
 *
 * THREAD SAFETY: every function is safe to call concurrently on distinct objects.
 */
#ifndef MEDCHAIN_CHAIN_H
#define MEDCHAIN_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/codec.h"
#include "medchain/crypto.h"
#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An identity's id: tagged hash of the signing key it was registered with; stable for life. */
typedef struct {
    uint8_t b[32];
} mc_id;

/* Caps: every length and count on the wire has one. */
#define MC_FORMAT_VERSION  1u
#define MC_MAX_TX_BYTES    65536u      /**< one encoded transaction */
#define MC_MAX_BODY_BYTES  61440u      /**< a transaction body */
#define MC_MAX_BATCH_TXS   8192u       /**< transactions in one batch (block) */
#define MC_MAX_BATCH_BYTES (32u << 20) /**< one encoded batch */
#define MC_MAX_ATTRS       16u         /**< attributes on one identity */
#define MC_MAX_ATTR_KEY    32u         /**< bytes in an attribute key */
#define MC_MAX_ATTR_VAL    96u         /**< bytes in an attribute value */
#define MC_MAX_NAME        128u        /**< an org's or chain's display name */
#define MC_MAX_ORGS        64u         /**< founding orgs in a genesis config */
#define MC_MAX_VALIDATORS  64u         /**< validators in a genesis config */
#define MC_MAX_CERT_SIGS   64u         /**< signatures in one certificate */
#define MC_MAX_PROOF_DEPTH 64u         /**< hashes in a Merkle inclusion proof */
#define MC_HEADER_BYTES    245u        /**< an encoded header (fixed size) */

/** Identity kinds (DESIGN.md section 1). */
enum mc_identity_kind {
    MC_ID_ORG = 1,
    MC_ID_PROVIDER = 2,
    MC_ID_PATIENT = 3,
    MC_ID_AUDITOR = 4,
    MC_ID_RESEARCHER = 5,
    MC_ID_NODE = 6,
};
/** @return "org", "provider", ... or NULL for an unknown kind. */
const char *mc_identity_kind_name(int kind);
/** @return the kind for a name, or 0. */
int mc_identity_kind_parse(const char *name);

enum mc_identity_status { MC_ID_ACTIVE = 1, MC_ID_REVOKED = 2 };

/** Transaction kinds. Values are part of the format and never reused. */
enum mc_tx_kind {
    MC_TX_IDENTITY_REGISTER = 1,
    MC_TX_IDENTITY_ROTATE = 2,
    MC_TX_IDENTITY_REVOKE = 3,
};
/** @return "identity.register", ... or NULL. */
const char *mc_tx_kind_name(int kind);
int mc_tx_kind_parse(const char *name);

/**
 * Result of one transaction in a block. An invalid transaction stays in its block with one of
 * these; it never halts the chain. Values are part of the format.
 */
enum mc_txr {
    MC_TXR_OK = 0,
    MC_TXR_MALFORMED = 1,   /**< the bytes do not decode as a transaction */
    MC_TXR_WRONG_CHAIN = 2, /**< signed for another chain */
    MC_TXR_UNKNOWN_KIND = 3,
    MC_TXR_UNKNOWN_SIGNER = 4,
    MC_TXR_SIGNER_REVOKED = 5,
    MC_TXR_BAD_SIG = 6,
    MC_TXR_BAD_NONCE = 7,    /**< nonce not above the signer's last one: a replay */
    MC_TXR_BAD_BODY = 8,     /**< the body does not decode for its kind */
    MC_TXR_UNAUTHORIZED = 9, /**< this signer may not do this */
    MC_TXR_EXISTS = 10,
    MC_TXR_NOT_FOUND = 11,
    MC_TXR_TARGET_REVOKED = 12,
    MC_TXR_BAD_COSIG = 13, /**< a required co-signature is missing or wrong */
    MC_TXR_SAME_KEY = 14,  /**< a rotation to the key already in use */
    MC_TXR_COUNT_
};
/** @return the stable name ("OK", "BAD_NONCE", ...), or "UNKNOWN". */
const char *mc_txr_name(int code);
/** @return a short English explanation (no PHI). */
const char *mc_txr_text(int code);

/** Ids are derived from the registration signing key: tagged hash "medchain/id". */
void mc_id_from_pk(mc_id *id, const mc_sign_pk *pk);

/* ------------------------------------------------------------------------------------------ */
/* Transactions                                                                                */

/**
 * A decoded transaction. Decoding borrows: @c body and @c raw point into the bytes decoded,
 * which must outlive the struct.
 */
typedef struct {
    uint8_t version;
    mc_hash chain; /**< the chain id (hash of the genesis config) it is signed for */
    mc_id signer;
    uint64_t nonce; /**< must be above the signer's last nonce on the chain */
    uint16_t kind;
    mc_slice body; /**< canonical encoding of the kind's body */
    mc_sig sig;    /**< Ed25519 over the tx id, by the signer's current key */
    mc_hash id;    /**< computed: tagged hash "medchain/tx" of everything before sig */
    mc_slice raw;  /**< the whole encoding */
} mc_tx;

/**
 * Decodes one transaction. Checks structure and caps only (not the signature, which needs the
 * signer's key from the state). @return MC_OK, MC_EINVAL, MC_ETOOBIG. On failure @p tx is zeroed.
 */
int mc_tx_decode(mc_tx *tx, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/**
 * Encodes and signs a transaction: appends its bytes to @p out and, if @p id_out, its id.
 * @return MC_OK, MC_ETOOBIG, MC_ENOMEM.
 */
int mc_tx_build(mc_buf *out, mc_hash *id_out, const mc_hash *chain, const mc_id *signer, uint64_t nonce,
                uint16_t kind, const uint8_t *body, size_t nbody, const mc_sign_sk *sk) MC_WARN_UNUSED_RESULT;

/**
 * The id of bytes that do not decode as a transaction: the tagged hash "medchain/tx" of all of
 * them, so that a block, its result tree and the index can still name them.
 */
void mc_tx_id_undecodable(mc_hash *id, const uint8_t *p, size_t n);
/** The id of any bytes in a batch: the transaction id if they decode, else as above. */
void mc_tx_id_of(mc_hash *id, const uint8_t *p, size_t n);

/** Verifies the transaction's signature against @p pk. @return MC_OK or MC_EBADSIG. */
int mc_tx_verify(const mc_tx *tx, const mc_sign_pk *pk) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* Identities and their transaction bodies                                                     */

typedef struct {
    char key[MC_MAX_ATTR_KEY + 1];
    char val[MC_MAX_ATTR_VAL + 1];
} mc_attr;

/** An attribute list, sorted by key with no duplicates (the canonical order). */
typedef struct {
    uint32_t n;
    mc_attr a[MC_MAX_ATTRS];
} mc_attrs;

/**
 * Parses "k=v,k2=v2" into @p out and sorts it. Keys are [a-z0-9_.-]+, values have no ',' or
 * control bytes. @return MC_OK, MC_EINVAL (syntax, duplicate key), MC_ETOOBIG.
 */
int mc_attrs_parse(mc_attrs *out, const char *s) MC_WARN_UNUSED_RESULT;
/** @return the value of @p key, or NULL. */
const char *mc_attrs_get(const mc_attrs *a, const char *key);

/** An identity as held in the state. */
typedef struct {
    mc_id id;
    uint8_t kind;           /**< enum mc_identity_kind */
    uint8_t status;         /**< enum mc_identity_status */
    mc_id org;              /**< the org it belongs to (an org: itself) */
    mc_sign_pk sign_pk;     /**< current signing key */
    mc_box_pk box_pk;       /**< current encryption key */
    uint64_t registered_at; /**< height */
    uint64_t updated_at;    /**< height of the last rotation or revocation */
    uint16_t revoke_reason;
    mc_attrs attrs;
} mc_identity;

int mc_identity_encode(mc_buf *out, const mc_identity *idn) MC_WARN_UNUSED_RESULT;
int mc_identity_decode(mc_identity *idn, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** Body of identity.register. The new id is mc_id_from_pk(sign_pk). */
typedef struct {
    uint8_t kind;
    mc_id org; /**< the enrolling org; must be the transaction's signer */
    mc_sign_pk sign_pk;
    mc_box_pk box_pk;
    mc_attrs attrs;
    int has_cosig;
    mc_sig cosig; /**< patients: the patient's own consent to enrolment */
} mc_body_register;

/** Body of identity.rotate: new keys for @c id (signed by the identity or its org). */
typedef struct {
    mc_id id;
    mc_sign_pk sign_pk;
    mc_box_pk box_pk;
} mc_body_rotate;

/** Body of identity.revoke (signed by the identity or its org). */
typedef struct {
    mc_id id;
    uint16_t reason; /**< 0 unspecified, 1 key compromise, 2 left the org, 3 superseded */
} mc_body_revoke;

int mc_body_register_encode(mc_buf *out, const mc_body_register *b) MC_WARN_UNUSED_RESULT;
int mc_body_register_decode(mc_body_register *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/**
 * The message a patient co-signs to consent to enrolment: tagged hash "medchain/enrol" of the
 * chain id and the body up to (not including) the co-signature.
 */
int mc_body_register_cosig_msg(mc_hash *msg, const mc_hash *chain,
                               const mc_body_register *b) MC_WARN_UNUSED_RESULT;
int mc_body_rotate_encode(mc_buf *out, const mc_body_rotate *b) MC_WARN_UNUSED_RESULT;
int mc_body_rotate_decode(mc_body_rotate *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
int mc_body_revoke_encode(mc_buf *out, const mc_body_revoke *b) MC_WARN_UNUSED_RESULT;
int mc_body_revoke_decode(mc_body_revoke *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* Genesis (consortium config)                                                                 */

typedef struct {
    char name[MC_MAX_ATTR_VAL + 1]; /**< display name of the member (a hospital, not a person) */
    char type[MC_MAX_ATTR_VAL + 1]; /**< hospital, clinic, lab, insurer, regulator, research */
    mc_sign_pk sign_pk;
    mc_box_pk box_pk;
} mc_genesis_org;

typedef struct {
    uint32_t org; /**< index into the orgs */
    mc_sign_pk sign_pk;
    mc_box_pk box_pk;
} mc_genesis_validator;

typedef struct {
    char name[MC_MAX_NAME + 1]; /**< the chain's name, e.g. "medchain-dev" */
    uint64_t time_ms;           /**< genesis block time */
    uint32_t threshold;         /**< k of n members to admit an org */
    uint32_t norgs;
    mc_genesis_org orgs[MC_MAX_ORGS];
    uint32_t nvalidators;
    mc_genesis_validator validators[MC_MAX_VALIDATORS];
} mc_genesis;

/** @return MC_OK, MC_EINVAL (empty, bad index, threshold out of 1..norgs), MC_ETOOBIG. */
int mc_genesis_encode(mc_buf *out, const mc_genesis *g) MC_WARN_UNUSED_RESULT;
int mc_genesis_decode(mc_genesis *g, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/** The chain id: tagged hash "medchain/chain" of the encoded genesis config. */
void mc_genesis_chain_id(mc_hash *chain, const uint8_t *genesis, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* Batches, headers, blocks                                                                    */

/** A certificate: 2f+1 validator signatures over an earlier header (carried in a batch). */
typedef struct {
    uint64_t height;
    mc_hash header_hash;
    uint32_t nsigs;
    mc_id signers[MC_MAX_CERT_SIGS];
    mc_sig sigs[MC_MAX_CERT_SIGS];
} mc_cert;

/** A decoded batch: the unit the orderer orders. Borrows from the decoded bytes. */
typedef struct {
    uint8_t version;
    mc_hash chain;
    mc_id proposer;   /**< the validator node that built and signed it */
    uint64_t seq;     /**< the proposer's own batch counter (distinguishes equal batches) */
    uint64_t time_ms; /**< the proposer's clock when it built the batch */
    uint32_t ntx;
    mc_slice *txs; /**< ntx encoded transactions (owned array, borrowed bytes) */
    int has_cert;
    mc_cert *cert; /**< owned, when has_cert */
    mc_sig sig;
    mc_hash hash; /**< computed: tagged hash "medchain/batch" of everything before sig */
    mc_slice raw;
} mc_batch;

/** @return MC_OK, MC_EINVAL, MC_ETOOBIG, MC_ENOMEM. Free with mc_batch_clear(). */
int mc_batch_decode(mc_batch *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
void mc_batch_clear(mc_batch *b);

/**
 * Encodes and signs a batch of already-encoded transactions.
 * @return MC_OK, MC_EINVAL, MC_ETOOBIG, MC_ENOMEM.
 */
int mc_batch_build(mc_buf *out, mc_hash *hash_out, const mc_hash *chain, const mc_id *proposer, uint64_t seq,
                   uint64_t time_ms, const mc_slice *txs, uint32_t ntx, const mc_cert *cert,
                   const mc_sign_sk *sk) MC_WARN_UNUSED_RESULT;

typedef struct {
    uint8_t version;
    mc_hash chain;
    uint64_t height;
    mc_hash prev;       /**< hash of the previous header (zero at genesis) */
    mc_hash batch_hash; /**< the ordered batch (at genesis: hash of the genesis config) */
    mc_id proposer;
    uint64_t time_ms; /**< block time: deterministic, never goes backwards */
    uint32_t ntx;
    mc_hash tx_root;      /**< Merkle root of the transactions */
    mc_hash result_root;  /**< Merkle root of (tx id, result) pairs */
    mc_hash state_digest; /**< digest of the state after this block */
} mc_header;

/** Appends exactly MC_HEADER_BYTES. */
int mc_header_encode(mc_buf *out, const mc_header *h) MC_WARN_UNUSED_RESULT;
int mc_header_decode(mc_header *h, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/** Tagged hash "medchain/header" of the encoded header. */
void mc_header_hash(mc_hash *out, const mc_header *h);

/**
 * A stored block: header, the batch bytes it was made from (at genesis, the genesis config),
 * and a result code for each transaction. Borrows from the decoded bytes.
 */
typedef struct {
    mc_header header;
    mc_slice batch;
    uint32_t nresults;
    const uint8_t *results; /**< nresults big-endian u16 codes */
} mc_block;

int mc_block_encode(mc_buf *out, const mc_header *h, const uint8_t *batch, size_t nbatch,
                    const uint16_t *results, uint32_t nresults) MC_WARN_UNUSED_RESULT;
int mc_block_decode(mc_block *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/** Result code of transaction @p i (i < nresults). */
uint16_t mc_block_result(const mc_block *b, uint32_t i);

/* ------------------------------------------------------------------------------------------ */
/* Merkle trees (RFC 6962 / RFC 9162 shape)                                                    */

/** Leaf hash of a transaction: SHA-256(0x00 || encoded tx). */
void mc_merkle_leaf_tx(mc_hash *out, const uint8_t *tx, size_t n);
/** Leaf hash of a result: SHA-256(0x00 || tx id || u16 code). */
void mc_merkle_leaf_result(mc_hash *out, const mc_hash *txid, uint16_t code);
/** Root over @p n leaf hashes (SHA-256 of nothing when n == 0). */
void mc_merkle_root(mc_hash *root, const mc_hash *leaves, size_t n);

typedef struct {
    uint64_t index;
    uint64_t size;
    uint32_t depth;
    mc_hash path[MC_MAX_PROOF_DEPTH];
} mc_merkle_proof;

/** Inclusion proof for leaf @p index. @return MC_OK or MC_EINVAL (index out of range). */
int mc_merkle_prove(mc_merkle_proof *proof, const mc_hash *leaves, size_t n,
                    size_t index) MC_WARN_UNUSED_RESULT;
/** @return MC_OK if @p leaf is at proof->index in a tree of proof->size with @p root, else MC_EINVAL. */
int mc_merkle_verify(const mc_hash *leaf, const mc_merkle_proof *proof,
                     const mc_hash *root) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* Signed API requests (DESIGN.md section 6)                                                   */

#define MC_REQ_NONCE_BYTES 16u
/**
 * The digest a client signs for one HTTP request: tagged hash "medchain/request" of chain id,
 * signer id, time, nonce, method, path (with query) and SHA-256 of the body.
 */
void mc_request_digest(mc_hash *out, const mc_hash *chain, const mc_id *signer, uint64_t time_ms,
                       const uint8_t nonce[MC_REQ_NONCE_BYTES], const char *method, const char *path,
                       const mc_hash *body_hash);

#ifdef __cplusplus
}
#endif
#endif
