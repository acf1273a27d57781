/*
 * medchain chain: the protocol's values and their canonical encodings (docs/format.md):
 * transactions and their bodies, identities, the genesis (consortium) config, batches, block
 * headers, blocks, Merkle roots and inclusion proofs, and the digest a signed API request signs;
 * validator sets, attestations, certificates and the light-client check are in
 * medchain/chain_consensus.h, which this header includes.
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
#define MC_HEADER_BYTES    309u        /**< an encoded header (fixed size) */
#define MC_REQ_NONCE_BYTES 16u         /**< nonce of a signed API request */

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

/** The kind byte of a key-release key's file (not an identity: DESIGN.md section 4). */
#define MC_KEYKIND_RELEASE 82u

enum mc_identity_status { MC_ID_ACTIVE = 1, MC_ID_REVOKED = 2 };

/** Transaction kinds. Values are part of the format and never reused. */
enum mc_tx_kind {
    MC_TX_IDENTITY_REGISTER = 1,
    MC_TX_IDENTITY_ROTATE = 2,
    MC_TX_IDENTITY_REVOKE = 3,
    MC_TX_RECORD_ANCHOR = 10,
    MC_TX_CONSENT_GRANT = 11,
    MC_TX_CONSENT_DENY = 12,
    MC_TX_CONSENT_REVOKE = 13,
    MC_TX_CONSENT_DELEGATE = 14,
    MC_TX_ACCESS_EMERGENCY = 15,
    MC_TX_ACCESS_LOG = 16,
    MC_TX_ORG_PROPOSE = 17,
    MC_TX_ORG_APPROVE = 18,
    MC_TX_RESEARCH_RELEASE = 19,
    MC_TX_ORG_GATEKEEPER = 20,
    MC_TX_ACCESS_READS = 21,
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
    MC_TXR_BAD_COSIG = 13,         /**< a required co-signature is missing or wrong */
    MC_TXR_SAME_KEY = 14,          /**< a rotation to the key already in use */
    MC_TXR_NOT_PATIENT = 15,       /**< the named patient is not an active patient identity */
    MC_TXR_SUPERSEDED = 16,        /**< amends a record that another amendment already superseded */
    MC_TXR_BAD_WINDOW = 17,        /**< a time window that is empty, already over, or too long */
    MC_TXR_DECISION_MISMATCH = 18, /**< an access.log whose decision is not the policy's */
    MC_TXR_STALE = 19,             /**< a logged request too far from the block time */
    MC_TXR_LIMIT = 20,             /**< a consortium-wide cap reached (MC_MAX_VALIDATORS) */
    MC_TXR_NO_CUSTODIAN_KEY = 21, /**< an anchor without a data key wrapped for its custodian's release key */
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
/* Records and consent (docs/design-consent.md)                                                */

/** Purposes of use (HL7 v3 PurposeOfUse), as a bit set. Values are part of the format. */
enum mc_purpose {
    MC_PURPOSE_TREAT = 1u << 0,   /**< treatment */
    MC_PURPOSE_ETREAT = 1u << 1,  /**< emergency treatment (break-glass) */
    MC_PURPOSE_HPAYMT = 1u << 2,  /**< payment */
    MC_PURPOSE_HOPERAT = 1u << 3, /**< healthcare operations */
    MC_PURPOSE_HRESCH = 1u << 4,  /**< research (de-identified only) */
    MC_PURPOSE_PUBHLTH = 1u << 5, /**< public health */
    MC_PURPOSE_PATRQT = 1u << 6,  /**< the patient's own request */
    MC_PURPOSE_ALL_ = (1u << 7) - 1
};
/** @return the bit for "TREAT", "ETREAT", ... or 0. */
uint32_t mc_purpose_parse(const char *name);
/** @return the name of a single purpose bit, or NULL. */
const char *mc_purpose_name(uint32_t bit);

/** Actions on a record, as a bit set. */
enum mc_action {
    MC_ACTION_READ = 1u << 0,      /**< the content */
    MC_ACTION_READ_META = 1u << 1, /**< the anchor's metadata */
    MC_ACTION_READ_DEID = 1u << 2, /**< a de-identified derivative */
    MC_ACTION_ALL_ = (1u << 3) - 1
};
/** @return the bit for "read", "read_meta", "read_deid", or 0. */
uint8_t mc_action_parse(const char *name);
/** @return the name of a single action bit, or NULL. */
const char *mc_action_name(uint8_t bit);

/** Confidentiality (HL7 N / R / V). */
enum mc_sensitivity { MC_SENS_NORMAL = 0, MC_SENS_RESTRICTED = 1, MC_SENS_VERY_RESTRICTED = 2 };

/**
 * Reasons of a policy decision (policy.h). Values are part of the format (access.log carries
 * them); below MC_RSN_DENY_ a reason permits.
 */
enum mc_reason {
    MC_RSN_PERMIT_OWNER = 1,        /**< the patient reads their own record */
    MC_RSN_PERMIT_DELEGATE = 2,     /**< an active delegate of the patient */
    MC_RSN_PERMIT_AUTHOR_ORG = 3,   /**< the authoring org, for treatment or operations */
    MC_RSN_PERMIT_GRANT = 4,        /**< a matching grant (basis: its id) */
    MC_RSN_PERMIT_EMERGENCY = 5,    /**< break-glass inside its window (basis: its id) */
    MC_RSN_PERMIT_AUDITOR_META = 6, /**< an auditor reads metadata, never content */
    MC_RSN_DENY_ = 64,
    MC_RSN_DENY_DEFAULT = 64,  /**< nothing permits it */
    MC_RSN_DENY_EXPLICIT = 65, /**< a matching deny (basis: its id) */
    MC_RSN_DENY_EXPIRED = 66,  /**< the only matching grant is over (basis: its id) */
    MC_RSN_DENY_NOT_YET = 67,  /**< the only matching grant has not started (basis: its id) */
    MC_RSN_DENY_REVOKED = 68,  /**< the only matching grant was revoked (basis: its id) */
    MC_RSN_DENY_UNKNOWN_REQUESTER = 69,
    MC_RSN_DENY_REQUESTER_REVOKED = 70,
    MC_RSN_DENY_ORG_REVOKED = 71, /**< the requester's org is revoked */
    MC_RSN_DENY_AUDITOR_CONTENT = 72,
    MC_RSN_DENY_RESEARCH_IDENTIFIED = 73, /**< researchers get de-identified data only */
    MC_RSN_DENY_UNKNOWN_RECORD = 74,
    MC_RSN_DENY_BAD_REQUEST = 75,       /**< not exactly one known purpose and one known action */
    MC_RSN_DENY_EMERGENCY_EXPIRED = 76, /**< break-glass whose window is over (basis: its id) */
};
/** @return the stable name ("PERMIT_GRANT", ...) or NULL. */
const char *mc_reason_name(int reason);
/** @return a short English explanation (no PHI), or NULL. */
const char *mc_reason_text(int reason);

#define MC_MAX_CATEGORY            32u  /**< bytes in a record category: [a-z0-9_.-]+ */
#define MC_MAX_WRAPPED             16u  /**< wrapped data keys on one anchor */
#define MC_MAX_TOKENS              64u  /**< search tokens on one anchor */
#define MC_MAX_SCOPE_CATS          16u  /**< categories in one grant's scope */
#define MC_MAX_SCOPE_RECORDS       64u  /**< record ids in one grant's scope */
#define MC_MAX_REWRAPPED           320u /**< re-wrapped keys carried by one grant (fits in a body) */
#define MC_MAX_REASONS             8u   /**< sealed copies of a break-glass reason */
#define MC_MAX_REASON_BYTES        1024u
#define MC_SEALED_KEY_BYTES        (32u + MC_SEAL_OVERHEAD) /**< a 256-bit data key in a sealed box */
#define MC_MAX_EMERGENCY_MS        (24ull * 3600 * 1000)    /**< break-glass lasts at most a day */
#define MC_ACCESS_LOG_MAX_AGE_MS   (2ull * 60 * 1000)       /**< a logged read is at most this old */
#define MC_ACCESS_LOG_MAX_AHEAD_MS (60ull * 1000)           /**< ... and at most this far ahead */

/** A data key sealed to one recipient. */
typedef struct {
    mc_id recipient;
    uint8_t sealed[MC_SEALED_KEY_BYTES];
} mc_wrapped_key;

/** Body of record.anchor: where a record is and how to check it; never its content. */
typedef struct {
    mc_hash record; /**< record id (random, chosen by the author) */
    mc_id patient;
    mc_id custodian; /**< the org holding the ciphertext */
    char category[MC_MAX_CATEGORY + 1];
    uint8_t sensitivity; /**< enum mc_sensitivity */
    mc_hash cipher_hash; /**< SHA-256 of the ciphertext */
    mc_hash commitment;  /**< salted commitment to the plaintext */
    uint64_t size;       /**< ciphertext bytes */
    uint32_t nkeys;
    mc_wrapped_key keys[MC_MAX_WRAPPED]; /**< recipients strictly increasing */
    uint32_t ntokens;
    mc_hash tokens[MC_MAX_TOKENS]; /**< strictly increasing */
    int has_supersedes;
    mc_hash supersedes; /**< the record this one amends (never overwrites) */
} mc_body_anchor;

int mc_body_anchor_encode(mc_buf *out, const mc_body_anchor *b) MC_WARN_UNUSED_RESULT;
int mc_body_anchor_decode(mc_body_anchor *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/** @return 1 if @p s (length @p n) is a valid category: 1..MC_MAX_CATEGORY of [a-z0-9_.-]. */
int mc_category_ok(const char *s, size_t n);

enum mc_grantee_kind { MC_GRANTEE_IDENTITY = 1, MC_GRANTEE_ORG = 2, MC_GRANTEE_SELECTOR = 3 };
enum mc_scope_kind { MC_SCOPE_ALL = 1, MC_SCOPE_CATEGORIES = 2, MC_SCOPE_RECORDS = 3 };

/** A data key re-wrapped for a grantee, for one record in the grant's scope. */
typedef struct {
    mc_hash record;
    mc_wrapped_key key;
} mc_rewrapped_key;

/**
 * Body of consent.grant and consent.deny (a deny carries no keys). The grantee is an identity,
 * an org (all its members), or a selector: members of org @c grantee whose attributes include
 * every pair in @c selector (at least one). The window is half-open: not_before <= t < not_after.
 */
typedef struct {
    mc_id patient;
    uint8_t grantee_kind; /**< enum mc_grantee_kind */
    mc_id grantee;        /**< identity or org id */
    mc_attrs selector;    /**< MC_GRANTEE_SELECTOR only; empty otherwise */
    uint8_t scope_kind;   /**< enum mc_scope_kind */
    uint32_t ncats;
    char cats[MC_MAX_SCOPE_CATS][MC_MAX_CATEGORY + 1]; /**< MC_SCOPE_CATEGORIES: 1.., strictly increasing */
    uint32_t nrecords;
    mc_hash records[MC_MAX_SCOPE_RECORDS]; /**< MC_SCOPE_RECORDS: 1.., strictly increasing */
    uint32_t purposes;                     /**< enum mc_purpose bits, not empty */
    uint8_t actions;                       /**< enum mc_action bits, not empty */
    uint64_t not_before;
    uint64_t not_after; /**< > not_before */
    uint32_t nkeys;
    mc_rewrapped_key keys[MC_MAX_REWRAPPED]; /**< sorted by (record, recipient), no duplicates */
} mc_body_consent;

/**
 * consent.grant and consent.deny share this encoding (a body with keys is a grant: the executor
 * refuses keys on a deny). @return MC_OK, MC_EINVAL (not canonical, docs/format.md), MC_ETOOBIG.
 */
int mc_body_consent_encode(mc_buf *out, const mc_body_consent *b) MC_WARN_UNUSED_RESULT;
int mc_body_consent_decode(mc_body_consent *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** Body of consent.revoke: ends the grant or deny whose transaction id is @c target. */
typedef struct {
    mc_hash target;
} mc_body_consent_revoke;
int mc_body_consent_revoke_encode(mc_buf *out, const mc_body_consent_revoke *b) MC_WARN_UNUSED_RESULT;
int mc_body_consent_revoke_decode(mc_body_consent_revoke *b, const uint8_t *p,
                                  size_t n) MC_WARN_UNUSED_RESULT;

/** Body of consent.delegate: names (add = 1) or removes (add = 0) a delegate of the patient. */
typedef struct {
    mc_id patient;
    mc_id delegate;
    int add;
} mc_body_delegate;
int mc_body_delegate_encode(mc_buf *out, const mc_body_delegate *b) MC_WARN_UNUSED_RESULT;
int mc_body_delegate_decode(mc_body_delegate *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** Body of access.emergency: break-glass on one patient for at most a day. Borrows from the bytes. */
typedef struct {
    mc_id patient;
    uint64_t duration_ms;            /**< 1 .. MC_MAX_EMERGENCY_MS; the window starts at the block time */
    uint32_t nreasons;               /**< 1 .. MC_MAX_REASONS */
    mc_id reason_to[MC_MAX_REASONS]; /**< recipients (the patient, auditor orgs), strictly increasing */
    mc_slice
        reason[MC_MAX_REASONS]; /**< the reason sealed to each: MC_SEAL_OVERHEAD+1 .. MC_MAX_REASON_BYTES */
} mc_body_emergency;
int mc_body_emergency_encode(mc_buf *out, const mc_body_emergency *b) MC_WARN_UNUSED_RESULT;
int mc_body_emergency_decode(mc_body_emergency *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** How a logged read reached the custodian's node: the request the reader signed. */
enum mc_access_via {
    MC_VIA_DECISION = 0, /**< POST /v1/records/<rid>/access?purpose=P&action=a: the decision only */
    MC_VIA_CONTENT = 1,  /**< GET /v1/records/<rid>/content?purpose=P&action=read: the ciphertext */
    MC_VIA_COUNT_
};

/**
 * Body of access.log, signed by a node of the record's custodian org: one read, permitted or
 * denied, with the reader's own signed request so that a custodian cannot invent or flip a
 * read. The request is mc_access_method(via) to mc_access_target() with an empty body, signed by
 * the reader (mc_request_digest). The executor re-decides it with the policy at the block time.
 */
typedef struct {
    mc_id reader;
    uint64_t req_time_ms;
    uint8_t req_nonce[MC_REQ_NONCE_BYTES];
    mc_sig req_sig;
    mc_hash record;
    uint32_t purpose; /**< exactly one enum mc_purpose bit */
    uint8_t action;   /**< exactly one enum mc_action bit */
    uint8_t permit;   /**< the decision: 1 permit, 0 deny */
    uint16_t reason;  /**< enum mc_reason, consistent with permit */
    int has_basis;
    mc_hash basis; /**< the grant, deny or emergency it rests on */
    uint8_t via;   /**< enum mc_access_via; MC_VIA_CONTENT only with action read */
} mc_body_access_log;
int mc_body_access_log_encode(mc_buf *out, const mc_body_access_log *b) MC_WARN_UNUSED_RESULT;
int mc_body_access_log_decode(mc_body_access_log *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/**
 * The request target a reader signs to read @p record @p via a route: "/v1/records/<hex>/access?
 * purpose=P&action=a" (MC_VIA_DECISION) or "/v1/records/<hex>/content?purpose=P&action=read"
 * (MC_VIA_CONTENT), names as mc_purpose_name / mc_action_name. On failure @p out is "".
 * @return MC_OK, MC_EINVAL (not single known bits, an unknown via, content with another action).
 */
int mc_access_target(char out[160], const mc_hash *record, uint32_t purpose, uint8_t action,
                     uint8_t via) MC_WARN_UNUSED_RESULT;
/** The method of that request: "POST" (MC_VIA_DECISION), "GET" (MC_VIA_CONTENT), NULL (unknown). */
const char *mc_access_method(uint8_t via);

/* ------------------------------------------------------------------------------------------ */
/* Key release and whole-chart reads (DESIGN.md section 4; docs/format.md, "Key release")      */

#define MC_MAX_READS           512u        /**< records named or served by one read request */
#define MC_MAX_GATEKEEPER_URLS 4u          /**< URLs one custodian publishes */
#define MC_MAX_GATEKEEPER_URL  200u        /**< bytes in one of them */
#define MC_READS_TARGET        "/v1/reads" /**< the target of every read request (method POST) */

/**
 * Body of org.gatekeeper, signed by a node of the org (or the org): the org's key-release key
 * (an X25519 key held by that node in its own key file; every record the org holds has its
 * data key wrapped to it, under the org's id as recipient) and the URLs at which its gatekeeper
 * serves. A later one replaces it (rotation): the node keeps the retired keys to open the
 * records wrapped to them.
 */
typedef struct {
    mc_box_pk release_pk;
    uint32_t nurls; /**< 1 .. MC_MAX_GATEKEEPER_URLS */
    char urls[MC_MAX_GATEKEEPER_URLS]
             [MC_MAX_GATEKEEPER_URL + 1]; /**< "http://" or "https://", visible ASCII */
} mc_body_gatekeeper;
/**
 * Appends @p b's canonical encoding (docs/format.md, "Key release and whole-chart reads").
 * @return MC_OK, MC_EINVAL (a URL that is not http(s) and visible ASCII, no URL), MC_ETOOBIG
 * (over MC_MAX_GATEKEEPER_URLS, or @p out's cap). The decoder refuses the same, and trailing
 * bytes; on failure @p b is zeroed.
 */
int mc_body_gatekeeper_encode(mc_buf *out, const mc_body_gatekeeper *b) MC_WARN_UNUSED_RESULT;
int mc_body_gatekeeper_decode(mc_body_gatekeeper *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** An org's gatekeeper as held in the state (key 'K', org id). */
typedef struct {
    mc_id org;
    mc_id by; /**< the node (or org) that published it */
    mc_body_gatekeeper body;
    uint64_t height;
} mc_gatekeeper;
/** The state value (version first). @return as mc_body_gatekeeper_encode; the decoder also
 * refuses another version. On failure @p g is zeroed. */
int mc_gatekeeper_encode(mc_buf *out, const mc_gatekeeper *g) MC_WARN_UNUSED_RESULT;
int mc_gatekeeper_decode(mc_gatekeeper *g, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** How a read request names its records. */
enum mc_reads_by { MC_READS_BY_ID = 1, MC_READS_BY_PATIENT = 2 };

/**
 * A read request: the body of POST /v1/reads, signed by the reader like any request, and
 * carried whole in the access.reads that logs it. Canonical binary (docs/format.md): version 1
 * | purpose u32 (one bit) | action u8 (read: a read request asks for ciphertext) | by u8, then either record
 * ids (u32 count 1..MC_MAX_READS, strictly increasing) or a page of one patient's records: patient 32 |
 * categories (u32 count <= MC_MAX_SCOPE_CATS, strictly increasing; none: all) | from_ms u64 |
 * to_ms u64 (anchored in [from, to); to 0: no end) | after 32 (ids above it; zero: from the
 * start) | limit u32 (1..MC_MAX_READS).
 */
typedef struct {
    uint32_t purpose;
    uint8_t action;
    uint8_t by; /**< enum mc_reads_by */
    uint32_t nids;
    mc_hash ids[MC_MAX_READS];
    mc_id patient;
    uint32_t ncats;
    char cats[MC_MAX_SCOPE_CATS][MC_MAX_CATEGORY + 1];
    uint64_t from_ms, to_ms;
    mc_hash after;
    uint32_t limit;
} mc_read_request;
/** Appends @p q's canonical encoding. @return MC_OK, MC_EINVAL (not the rules above),
 * MC_ETOOBIG (over a count's cap, or @p out's). */
int mc_read_request_encode(mc_buf *out, const mc_read_request *q) MC_WARN_UNUSED_RESULT;
/** @return MC_OK, MC_EINVAL (not the canonical form), MC_ETOOBIG. Zeroes @p q on failure. */
int mc_read_request_decode(mc_read_request *q, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** One record's outcome in an access.reads. */
typedef struct {
    mc_hash record;
    uint8_t permit;
    uint16_t reason; /**< enum mc_reason, consistent with permit */
    int has_basis;
    mc_hash basis;
    uint8_t released; /**< 1: the custodian released the data key to the reader (permit, read only) */
} mc_read_outcome;

/**
 * Body of access.reads, signed by a node of the custodian org of every record in it: one read
 * request and the decision on each record it served, in strictly increasing record order. The
 * executor checks the reader's signature over POST MC_READS_TARGET with this request as the body,
 * that each record is one the request selects, and re-decides each at the block time.
 * @c request borrows from the decoded bytes.
 */
typedef struct {
    mc_id reader;
    uint64_t req_time_ms;
    uint8_t req_nonce[MC_REQ_NONCE_BYTES];
    mc_sig req_sig;
    mc_slice request; /**< the encoded mc_read_request the reader signed */
    uint32_t n;       /**< 1 .. MC_MAX_READS */
    mc_read_outcome out[MC_MAX_READS];
} mc_body_access_reads;
/**
 * Appends @p b's canonical encoding. @return MC_OK, MC_EINVAL (no outcome, outcomes not strictly
 * increasing by record, a decision inconsistent with its reason, a key released on a refusal),
 * MC_ETOOBIG (over MC_MAX_READS outcomes or MC_MAX_READ_REQUEST_BYTES of request). The decoder
 * refuses the same, and trailing bytes; on failure @p b is zeroed. The request it decodes
 * borrows from @p p.
 */
int mc_body_access_reads_encode(mc_buf *out, const mc_body_access_reads *b) MC_WARN_UNUSED_RESULT;
int mc_body_access_reads_decode(mc_body_access_reads *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/** The largest encoded read request an access.reads can carry. */
#define MC_MAX_READ_REQUEST_BYTES 20480u

/** What became of one record of a read request (the response of POST /v1/reads). */
enum mc_read_status {
    MC_READ_SERVED = 0,     /**< permitted and logged: its ciphertext follows */
    MC_READ_DENIED = 1,     /**< refused, and logged */
    MC_READ_ELSEWHERE = 2,  /**< another org is its custodian (named): ask its gatekeeper; not logged */
    MC_READ_UNKNOWN = 3,    /**< no such record; not logged */
    MC_READ_NO_CONTENT = 4, /**< permitted, but its ciphertext is not on this node; not logged */
    MC_READ_CORRUPT = 5,    /**< permitted, but the stored ciphertext does not match its anchor; not logged */
    MC_READ_LATER = 6,      /**< not in this answer (it would pass the bytes an answer may hold): ask again */
};

/** One record of a read response. Slices borrow from the response bytes. */
typedef struct {
    mc_hash record;
    uint8_t status;  /**< enum mc_read_status */
    uint16_t reason; /**< the decision's reason (SERVED, DENIED), else 0 */
    mc_id custodian; /**< SERVED, DENIED, ELSEWHERE, NO_CONTENT */
    /* SERVED only: what the reader checks the ciphertext against, and the ciphertext */
    mc_id patient;
    mc_hash cipher_hash;
    mc_hash commitment;
    uint64_t size;
    char category[MC_MAX_CATEGORY + 1];
    uint64_t time_ms; /**< anchored at (block time) */
    uint8_t released; /**< 1: its data key is in the response's key box */
    mc_slice cipher;  /**< size bytes */
    /**
     * ELSEWHERE only: 1 when the node would let the caller read it; then patient, cipher_hash,
     * commitment and size above are the chain's, for the reader to check what the custodian
     * serves against (a custodian's answer is never its own witness).
     */
    uint8_t has_meta;
} mc_read_item;

/**
 * The response of POST /v1/reads (application/octet-stream): "MCR1" | log tx 32 (all zero:
 * nothing was logged) | height u64 | key box `bytes` (mc_env_release_seal; empty: no key
 * released) | more u8 | next 32 (the cursor of the next page when more) | count u32 | items.
 */
typedef struct {
    mc_hash log_tx;
    uint64_t height;
    mc_slice keybox;
    uint8_t more;
    mc_hash next;
    uint32_t n;
    mc_read_item *items; /**< n items, owned: mc_read_response_clear() */
} mc_read_response;
/** Appends one item in the response's encoding. @return MC_OK, MC_EINVAL, MC_ETOOBIG. */
int mc_read_item_encode(mc_buf *out, const mc_read_item *it) MC_WARN_UNUSED_RESULT;
/** Appends the response's head (everything before the items). @return MC_OK, MC_EINVAL (more
 * not a flag), MC_ETOOBIG (a key box over its cap, or @p out's cap); nothing is appended on a
 * refusal. */
int mc_read_head_encode(mc_buf *out, const mc_read_response *r) MC_WARN_UNUSED_RESULT;
/**
 * Decodes a response; @p r borrows from @p p (which must outlive it) but for r->items.
 * @return MC_OK, MC_EINVAL (not a response), MC_ETOOBIG, MC_ENOMEM. On failure @p r is cleared.
 */
int mc_read_response_decode(mc_read_response *r, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/** Frees @p r's items and zeroes it. NULL is harmless. */
void mc_read_response_clear(mc_read_response *r);

/**
 * Body of org.propose: a new member org, admitted once the genesis threshold of members
 * approve, with (optionally) its validator node: on admission in block h the node joins the
 * validator set, which certifies the blocks from h + 1 on.
 */
typedef struct {
    char name[MC_MAX_ATTR_VAL + 1]; /**< display name (a hospital, not a person) */
    char type[MC_MAX_ATTR_VAL + 1]; /**< hospital, clinic, lab, insurer, regulator, research */
    mc_sign_pk sign_pk;
    mc_box_pk box_pk;
    uint8_t has_node; /**< 1: the org brings a validator node (the keys below) */
    mc_sign_pk node_sign_pk;
    mc_box_pk node_box_pk;
} mc_body_org_propose;
int mc_body_org_propose_encode(mc_buf *out, const mc_body_org_propose *b) MC_WARN_UNUSED_RESULT;
int mc_body_org_propose_decode(mc_body_org_propose *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** Body of org.approve: a member org approves proposal @c proposal (the propose tx id). */
typedef struct {
    mc_hash proposal;
} mc_body_org_approve;
int mc_body_org_approve_encode(mc_buf *out, const mc_body_org_approve *b) MC_WARN_UNUSED_RESULT;
int mc_body_org_approve_decode(mc_body_org_approve *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/**
 * Body of research.release: a custodian's data steward records that it released a
 * de-identified dataset (HIPAA Safe Harbor, `medchain deid`) to a research org. Only the
 * dataset's hash and its size go on the ledger: never which patients are in it.
 */
typedef struct {
    mc_hash release;    /**< release id (random, chosen by the steward; once) */
    mc_id recipient;    /**< the research org that receives the dataset */
    mc_hash dataset;    /**< SHA-256 of the exported dataset file */
    uint32_t npatients; /**< opted-in patients in it, at least 1 */
    uint32_t nresources;
} mc_body_release;
int mc_body_release_encode(mc_buf *out, const mc_body_release *b) MC_WARN_UNUSED_RESULT;
int mc_body_release_decode(mc_body_release *b, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/* State values (docs/format.md, "State"): what the executor keeps about records and consent. */

/** A record as held in the state: its anchor's metadata and what the ledger learned of it. */
typedef struct {
    mc_hash id;
    mc_hash anchor_tx; /**< the record.anchor transaction (wrapped keys, tokens: in its block) */
    mc_id patient;
    mc_id custodian;
    mc_id author;     /**< the anchor's signer */
    mc_id author_org; /**< the author's org */
    char category[MC_MAX_CATEGORY + 1];
    uint8_t sensitivity;
    mc_hash cipher_hash;
    mc_hash commitment;
    uint64_t size;
    mc_hash root; /**< the first record of its amendment chain (itself if it amends nothing) */
    int has_supersedes;
    mc_hash supersedes;
    int has_superseded_by;
    mc_hash superseded_by;
    uint64_t height;
    uint64_t time_ms;
    /** the data key wrapped for the custodian (to its key-release key): what its node releases */
    uint8_t custodian_key[MC_SEALED_KEY_BYTES];
} mc_record;
int mc_record_encode(mc_buf *out, const mc_record *r) MC_WARN_UNUSED_RESULT;
int mc_record_decode(mc_record *r, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;
/**
 * 1 if record @p r is one that read request @p q selects, leaving aside a page's limit: named
 * by id; or of the page's patient, of a listed category (if any), anchored in the time window
 * and with an id above the cursor. 0 otherwise.
 */
int mc_read_request_selects(const mc_read_request *q, const mc_record *r);

enum mc_consent_status { MC_CONSENT_ACTIVE = 1, MC_CONSENT_REVOKED = 2 };

/** A grant or deny as held in the state (its body without keys). */
typedef struct {
    mc_hash id;     /**< its transaction id */
    uint8_t deny;   /**< 1: a consent.deny */
    uint8_t status; /**< enum mc_consent_status */
    mc_id by;       /**< the patient or the delegate who signed it */
    uint64_t height;
    uint64_t time_ms;
    uint64_t revoked_height; /**< when revoked */
    uint64_t revoked_time_ms;
    mc_id revoked_by;
    mc_body_consent body; /**< nkeys == 0 */
} mc_consent;
int mc_consent_encode(mc_buf *out, const mc_consent *c) MC_WARN_UNUSED_RESULT;
int mc_consent_decode(mc_consent *c, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** A delegate of a patient as held in the state. */
typedef struct {
    uint8_t active;
    uint64_t height; /**< of the last change */
    uint64_t time_ms;
} mc_delegate;
int mc_delegate_encode(mc_buf *out, const mc_delegate *d) MC_WARN_UNUSED_RESULT;
int mc_delegate_decode(mc_delegate *d, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** A break-glass as held in the state. */
typedef struct {
    mc_hash id; /**< its transaction id */
    mc_id patient;
    mc_id provider;
    mc_id provider_org;
    uint64_t start_ms; /**< the block time it was applied at */
    uint64_t end_ms;   /**< start + duration: permits while start <= t < end */
    uint64_t height;
} mc_emergency;
int mc_emergency_encode(mc_buf *out, const mc_emergency *e) MC_WARN_UNUSED_RESULT;
int mc_emergency_decode(mc_emergency *e, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

/** One read as held in the state's access history (a summary of its access.log). */
typedef struct {
    mc_hash log_tx; /**< the access.log transaction */
    mc_id patient;
    mc_id reader;
    mc_id custodian_node; /**< the log's signer */
    mc_hash record;
    uint64_t req_time_ms;
    uint32_t purpose;
    uint8_t action;
    uint8_t permit;
    uint8_t emergency; /**< 1: permitted by break-glass */
    uint16_t reason;
    int has_basis;
    mc_hash basis;
    uint64_t height;
    uint32_t index;
    uint8_t via;      /**< enum mc_access_via: whether ciphertext was asked for */
    uint16_t sub;     /**< the n-th record of its access.reads (0 for an access.log) */
    uint8_t released; /**< 1: the data key was released to the reader (access.reads) */
    uint8_t chart;    /**< 1: logged by an access.reads (via is then MC_VIA_CONTENT) */
} mc_access;
int mc_access_encode(mc_buf *out, const mc_access *a) MC_WARN_UNUSED_RESULT;
int mc_access_decode(mc_access *a, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

#define MC_MAX_APPROVALS MC_MAX_ORGS
/** An org admission proposal as held in the state. */
typedef struct {
    mc_hash id; /**< the propose transaction id */
    mc_body_org_propose org;
    uint8_t admitted;   /**< 1 once the threshold was reached */
    uint32_t threshold; /**< approvals needed (the genesis threshold) */
    uint32_t napprovals;
    mc_id approvals[MC_MAX_APPROVALS]; /**< member orgs, in the order they approved */
    uint64_t height;
} mc_proposal;
int mc_proposal_encode(mc_buf *out, const mc_proposal *p) MC_WARN_UNUSED_RESULT;
int mc_proposal_decode(mc_proposal *p, const uint8_t *in, size_t n) MC_WARN_UNUSED_RESULT;

/** Event kinds (GET /v1/events). Values are part of the stored format. */
enum mc_event_kind {
    MC_EV_RECORD = 1,         /**< a new record for the patient (subject: record id) */
    MC_EV_READ = 2,           /**< someone read (or was refused) a record (subject: log tx) */
    MC_EV_GRANT = 3,          /**< a grant given (subject: grant id) */
    MC_EV_DENY = 4,           /**< a deny recorded (subject: deny id) */
    MC_EV_REVOKE = 5,         /**< a grant or deny revoked (subject: its id) */
    MC_EV_DELEGATE = 6,       /**< a delegate named or removed (other: the delegate) */
    MC_EV_EMERGENCY = 7,      /**< break-glass on the patient (subject: its id) */
    MC_EV_GRANT_EXPIRING = 8, /**< a grant ends within MC_EXPIRY_NOTICE_MS */
    MC_EV_ORG_ADMITTED = 9,   /**< a new member org (subject: proposal id) */
};
#define MC_EXPIRY_NOTICE_MS (24ull * 3600 * 1000)
/** @return "record.new", "record.read", ... or NULL. */
const char *mc_event_kind_name(int kind);

/** One event, derived from an applied block. Names only ids and kinds, never content. */
typedef struct {
    uint64_t height;
    uint32_t index; /**< the transaction's index; block-level events use the block's ntx */
    uint16_t n;     /**< n-th event of that transaction */
    uint8_t kind;   /**< enum mc_event_kind */
    uint8_t flags;  /**< MC_EVF_* */
    mc_id patient;  /**< whose record or consent (zero for org events) */
    mc_id actor;    /**< who did it (the signer; for reads: the reader) */
    mc_id other;    /**< the grantee / delegate / zero */
    mc_hash subject;
    uint64_t time_ms; /**< block time */
} mc_event;
#define MC_EVF_EMERGENCY 1u   /**< break-glass: also delivered to every auditor */
#define MC_EVF_DENIED    2u   /**< a read that was refused */
#define MC_EVF_REMOVED   4u   /**< a delegate removed (not named) */
#define MC_EVF_CONTENT   8u   /**< a read of the ciphertext (access.log via MC_VIA_CONTENT) */
#define MC_EVENT_BYTES   153u /**< an encoded event (fixed size, version byte first) */
int mc_event_encode(mc_buf *out, const mc_event *ev) MC_WARN_UNUSED_RESULT;
int mc_event_decode(mc_event *ev, const uint8_t *p, size_t n) MC_WARN_UNUSED_RESULT;

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
    mc_hash tx_root;         /**< Merkle root of the transactions */
    mc_hash result_root;     /**< Merkle root of (tx id, result) pairs */
    mc_hash state_digest;    /**< digest of the state after this block */
    mc_hash validators;      /**< mc_valset_hash of the validator set that certifies this block */
    mc_hash next_validators; /**< ... and of the set that certifies the next one (an admission here) */
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

/* Validator sets, attestations and certificates, light clients: the consortium's part. */
#include "medchain/chain_consensus.h"

#endif
