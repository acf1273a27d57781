/*
 * medchain store: the node's LMDB environment (the only module that includes lmdb.h).
 *
 * Tables: meta (chain id, genesis, tip, state digest, orderer position), blocks (height ->
 * block), txidx (tx id -> height, index), state (identities, nonces, validators, ...).
 * The executor applies exactly one write transaction per block, so a crash leaves either the
 * whole block applied or none of it.
 *
 * Every write to the state table through a write transaction is recorded, so that
 * mc_store_state_digest() can fold the block's write set into the state digest.
 *
 * THREAD SAFETY: an mc_store may be shared by threads. A write transaction belongs to one
 * thread; LMDB allows one writer at a time (others wait). Read transactions are independent
 * and may be used from any one thread at a time (the environment is opened with MDB_NOTLS).
 *
 * The module also holds the blob store (mc_blob_store, below): ciphertext files beside LMDB.
 */
#ifndef MEDCHAIN_STORE_H
#define MEDCHAIN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"
#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_store mc_store;
typedef struct mc_store_txn mc_store_txn;

enum mc_store_table {
    MC_T_META = 0,
    MC_T_BLOCKS,
    MC_T_TXIDX,
    MC_T_STATE,
    MC_T_EVENTS,
    MC_T_ATTEST,
    MC_T_BPOS, /**< height -> the orderer position of the batch block h was made from */
    MC_T_COUNT_
};

typedef struct {
    uint64_t map_size; /**< bytes of address space to map; 0: $MEDCHAIN_MAP_SIZE if set, else 64 GiB */
    int read_only;     /**< open without write access (verify, inspection) */
    int no_sync;       /**< skip fsync at commit: scratch stores only (verify's replay) */
} mc_store_opts;

/**
 * Opens (creating if needed, unless read-only) the store in directory @p dir.
 * @return MC_OK, MC_EIO, MC_ECORRUPT, MC_ENOMEM, MC_ENOTFOUND (read-only and absent).
 */
int mc_store_open(mc_store **pp, const char *dir, const mc_store_opts *opts) MC_WARN_UNUSED_RESULT;
void mc_store_close(mc_store *st);
/** Bytes of the map in use (pages up to the highest one written). */
uint64_t mc_store_used_bytes(mc_store *st);

/** Begins a transaction. @return MC_OK, MC_EIO, MC_EAGAIN (too many readers), MC_ENOMEM. */
int mc_store_begin(mc_store *st, int write, mc_store_txn **ptxn) MC_WARN_UNUSED_RESULT;
/** Commits and frees @p txn (also when the commit fails). @return MC_OK, MC_EIO, MC_ETOOBIG (map full). */
int mc_store_commit(mc_store_txn *txn) MC_WARN_UNUSED_RESULT;
/** Aborts and frees @p txn. NULL is harmless. */
void mc_store_abort(mc_store_txn *txn);

/**
 * Looks up @p key. On MC_OK, @p val points into the map: valid only until the next write in
 * this transaction or its end. @return MC_OK, MC_ENOTFOUND, MC_ECORRUPT, MC_EINVAL.
 */
int mc_store_get(mc_store_txn *txn, int table, const void *key, size_t nkey,
                 mc_slice *val) MC_WARN_UNUSED_RESULT;
/** @return MC_OK, MC_EINVAL (read-only txn, bad key), MC_ETOOBIG (map full), MC_EIO, MC_ENOMEM. */
int mc_store_put(mc_store_txn *txn, int table, const void *key, size_t nkey, const void *val,
                 size_t nval) MC_WARN_UNUSED_RESULT;
/** Like mc_store_put, but MC_EEXIST (and nothing written) if the key is present. */
int mc_store_put_new(mc_store_txn *txn, int table, const void *key, size_t nkey, const void *val,
                     size_t nval) MC_WARN_UNUSED_RESULT;

/** Iterates a table in key order from the first key >= @p from (NULL: the first key). */
typedef struct mc_store_iter mc_store_iter;
int mc_store_iter_new(mc_store_txn *txn, int table, const void *from, size_t nfrom,
                      mc_store_iter **pit) MC_WARN_UNUSED_RESULT;
/** @return MC_OK with the next pair (valid as for mc_store_get), MC_ENOTFOUND at the end. */
int mc_store_iter_next(mc_store_iter *it, mc_slice *key, mc_slice *val) MC_WARN_UNUSED_RESULT;
void mc_store_iter_free(mc_store_iter *it);

/**
 * Folds the state writes of this write transaction (sorted by key, last write per key) into
 * a new digest: tagged hash "medchain/state" of @p prev, @p height and the write set.
 * Clears the recorded write set. @return MC_OK, MC_ENOMEM.
 */
int mc_store_state_digest(mc_store_txn *txn, const mc_hash *prev, uint64_t height,
                          mc_hash *out) MC_WARN_UNUSED_RESULT;

/* Typed accessors: the layout of each table lives here and nowhere else. */

/** The tip: height and header hash of the last applied block. MC_ENOTFOUND before genesis. */
int mc_store_get_tip(mc_store_txn *txn, uint64_t *height, mc_hash *hash) MC_WARN_UNUSED_RESULT;
int mc_store_put_tip(mc_store_txn *txn, uint64_t height, const mc_hash *hash) MC_WARN_UNUSED_RESULT;
/** Named metadata blobs ("genesis", "opos", "digest"). */
int mc_store_get_meta(mc_store_txn *txn, const char *name, mc_slice *val) MC_WARN_UNUSED_RESULT;
int mc_store_put_meta(mc_store_txn *txn, const char *name, const void *val, size_t n) MC_WARN_UNUSED_RESULT;

int mc_store_get_block(mc_store_txn *txn, uint64_t height, mc_slice *block) MC_WARN_UNUSED_RESULT;
int mc_store_put_block(mc_store_txn *txn, uint64_t height, const void *block, size_t n) MC_WARN_UNUSED_RESULT;

/**
 * The orderer position of the batch block @p height was made from (written with the block):
 * a peer serves it with the block, so that a node that caught up from peers follows the
 * orderer from there. Not part of the chain (verify does not compare it).
 */
int mc_store_get_block_pos(mc_store_txn *txn, uint64_t height, mc_slice *pos) MC_WARN_UNUSED_RESULT;
int mc_store_put_block_pos(mc_store_txn *txn, uint64_t height, const void *pos,
                           size_t n) MC_WARN_UNUSED_RESULT;

/** Where a transaction is: its first occurrence, or the one that applied (a replay never moves it). */
int mc_store_get_txloc(mc_store_txn *txn, const mc_hash *txid, uint64_t *height,
                       uint32_t *index) MC_WARN_UNUSED_RESULT;
/** @return MC_OK, or MC_EEXIST when the id is already indexed (left as it was). */
int mc_store_put_txloc(mc_store_txn *txn, const mc_hash *txid, uint64_t height,
                       uint32_t index) MC_WARN_UNUSED_RESULT;
/** Like mc_store_put_txloc, but replaces an existing entry (the occurrence that applied). */
int mc_store_put_txloc_over(mc_store_txn *txn, const mc_hash *txid, uint64_t height,
                            uint32_t index) MC_WARN_UNUSED_RESULT;

/* State records. Keys: one type byte then the id; see docs/format.md. */
int mc_store_get_identity(mc_store_txn *txn, const mc_id *id, mc_identity *out) MC_WARN_UNUSED_RESULT;
int mc_store_put_identity(mc_store_txn *txn, const mc_identity *idn) MC_WARN_UNUSED_RESULT;
/**
 * Whether @p idn belongs to an active org: an org is its own org; a patient is no member of the
 * org that enrolled it (always 1); an unknown org is not active. @return 1, 0, or a negated
 * store error.
 */
int mc_store_org_active(mc_store_txn *txn, const mc_identity *idn);
/** The signer's last used nonce (0 if none). */
int mc_store_get_nonce(mc_store_txn *txn, const mc_id *id, uint64_t *nonce) MC_WARN_UNUSED_RESULT;
int mc_store_put_nonce(mc_store_txn *txn, const mc_id *id, uint64_t nonce) MC_WARN_UNUSED_RESULT;
/** Validator membership and each validator's latest signed batch time. */
int mc_store_get_validator(mc_store_txn *txn, const mc_id *node,
                           uint64_t *last_time_ms) MC_WARN_UNUSED_RESULT;
int mc_store_put_validator(mc_store_txn *txn, const mc_id *node, uint64_t last_time_ms) MC_WARN_UNUSED_RESULT;
/**
 * Validator sets (MC_SK_VALSET: from_height u64 BE -> mc_valset): genesis stores the first
 * (from height 1), each admission of a validator node in block h the next (from h + 1).
 */
int mc_store_put_valset(mc_store_txn *txn, const mc_valset *v) MC_WARN_UNUSED_RESULT;
/** The set that certifies block @p height (the last one from at or below it). MC_ENOTFOUND before genesis. */
int mc_store_get_valset(mc_store_txn *txn, uint64_t height, mc_valset *out) MC_WARN_UNUSED_RESULT;
/** Calls @p fn for every set, in height order; nonzero from fn stops and is returned. */
int mc_store_scan_valsets(mc_store_txn *txn, int (*fn)(void *arg, const mc_valset *v),
                          void *arg) MC_WARN_UNUSED_RESULT;
/** Batches already applied (a batch ordered twice is applied once). */
int mc_store_get_batch_seen(mc_store_txn *txn, const mc_hash *batch, uint64_t *height) MC_WARN_UNUSED_RESULT;
int mc_store_put_batch_seen(mc_store_txn *txn, const mc_hash *batch, uint64_t height) MC_WARN_UNUSED_RESULT;

/* Records, consent and the access history (docs/design-consent.md). Keys in docs/format.md. */

/** A state key: one type byte then up to three id-like parts. */
typedef struct {
    uint8_t b[1 + 32 + 32 + 32];
    size_t n;
} mc_skey;
/** Builds a key from @p type and parts (a part with n == 0 is skipped). */
void mc_skey_make(mc_skey *k, uint8_t type, const void *a, size_t na, const void *b, size_t nb, const void *c,
                  size_t nc);

/** Called for each state key under a prefix; return nonzero to stop (that value is returned). */
typedef int (*mc_store_scan_fn)(void *arg, mc_slice key, mc_slice val);
/**
 * Calls @p fn for every state key starting with @p prefix, in key order, from @p from (a key
 * under the prefix; NULL: the first). @return MC_OK, fn's nonzero value, or a store error.
 */
int mc_store_scan(mc_store_txn *txn, const mc_skey *prefix, const mc_skey *from, mc_store_scan_fn fn,
                  void *arg) MC_WARN_UNUSED_RESULT;
/** Presence keys (empty value). @return as mc_store_get / mc_store_put / mc_store_put_new. */
int mc_store_has(mc_store_txn *txn, const mc_skey *k) MC_WARN_UNUSED_RESULT;
int mc_store_mark(mc_store_txn *txn, const mc_skey *k) MC_WARN_UNUSED_RESULT;
int mc_store_mark_new(mc_store_txn *txn, const mc_skey *k) MC_WARN_UNUSED_RESULT;

int mc_store_get_record(mc_store_txn *txn, const mc_hash *id, mc_record *out) MC_WARN_UNUSED_RESULT;
/** Also indexes it under its patient ('P'). */
int mc_store_put_record(mc_store_txn *txn, const mc_record *r) MC_WARN_UNUSED_RESULT;
int mc_store_get_consent(mc_store_txn *txn, const mc_hash *id, mc_consent *out) MC_WARN_UNUSED_RESULT;
/** Also indexes it under its patient ('g') and its end ('X'). */
int mc_store_put_consent(mc_store_txn *txn, const mc_consent *c) MC_WARN_UNUSED_RESULT;
int mc_store_get_delegate(mc_store_txn *txn, const mc_id *patient, const mc_id *delegate,
                          mc_delegate *out) MC_WARN_UNUSED_RESULT;
int mc_store_put_delegate(mc_store_txn *txn, const mc_id *patient, const mc_id *delegate,
                          const mc_delegate *d) MC_WARN_UNUSED_RESULT;
int mc_store_get_emergency(mc_store_txn *txn, const mc_hash *id, mc_emergency *out) MC_WARN_UNUSED_RESULT;
/** Also indexes it under (patient, provider) ('e'). */
int mc_store_put_emergency(mc_store_txn *txn, const mc_emergency *e) MC_WARN_UNUSED_RESULT;
/** Appends to the patient's access history ('A') and the chain-wide one ('L'). */
int mc_store_put_access(mc_store_txn *txn, const mc_access *a) MC_WARN_UNUSED_RESULT;
int mc_store_get_access(mc_store_txn *txn, const mc_id *patient, uint64_t height, uint32_t index,
                        uint16_t sub, mc_access *out) MC_WARN_UNUSED_RESULT;
/** An org's published gatekeeper (org.gatekeeper, state key 'K'). @return MC_OK, MC_ENOTFOUND,
 * MC_ECORRUPT (a value that does not decode or names another org), or a store error; @p out is
 * zeroed on failure. */
int mc_store_get_gatekeeper(mc_store_txn *txn, const mc_id *org, mc_gatekeeper *out) MC_WARN_UNUSED_RESULT;
/** Writes (or replaces) g->org's gatekeeper. @return MC_OK, MC_EINVAL (does not encode), or a
 * store error. */
int mc_store_put_gatekeeper(mc_store_txn *txn, const mc_gatekeeper *g) MC_WARN_UNUSED_RESULT;
int mc_store_get_proposal(mc_store_txn *txn, const mc_hash *id, mc_proposal *out) MC_WARN_UNUSED_RESULT;
int mc_store_put_proposal(mc_store_txn *txn, const mc_proposal *p) MC_WARN_UNUSED_RESULT;

/* Events (table MC_T_EVENTS, key height, index, n): derived from blocks, like the txidx. */
int mc_store_put_event(mc_store_txn *txn, const mc_event *ev) MC_WARN_UNUSED_RESULT;
/** Calls @p fn for each event after (height, index, n) (all of them for 0,0,0 with @p after_none). */
int mc_store_scan_events(mc_store_txn *txn, int after_none, uint64_t height, uint32_t index, uint16_t n,
                         int (*fn)(void *arg, const mc_event *ev), void *arg) MC_WARN_UNUSED_RESULT;

/**
 * The search-token index (MC_SK_TOKEN: token | record id): calls @p fn once for every record id
 * that carries any of @p tokens (1..MC_MAX_TOKENS of them, duplicates allowed), in increasing
 * order of record id, starting after @p after (NULL: from the first). A merge of one prefix scan
 * per token, so it reads only as far as @p fn goes. @p fn returns nonzero to stop (that value
 * is returned). @return MC_OK, fn's value, MC_EINVAL (no tokens, or too many), a store error.
 */
int mc_store_scan_tokens(mc_store_txn *txn, const mc_hash *tokens, size_t ntokens, const mc_hash *after,
                         int (*fn)(void *arg, const mc_hash *record), void *arg) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* Attestations (table MC_T_ATTEST, key height | validator id): not part of the state digest,  */
/* not derived from blocks: what this node signed and what it received from other validators. */

/**
 * Keeps validator @p validator's attestation of @p header_hash at @p height. The caller has
 * verified it (mc_attest_verify). The first one kept for a (height, validator) stays: the same
 * again is MC_OK, a different one MC_EEXIST (equivocation, or this node's different header).
 * @return MC_OK, MC_EEXIST, MC_EINVAL (read-only txn), MC_ETOOBIG, MC_EIO.
 */
int mc_store_put_attest(mc_store_txn *txn, uint64_t height, const mc_id *validator,
                        const mc_hash *header_hash, const mc_sig *sig) MC_WARN_UNUSED_RESULT;
/** Called for each attestation of one height, in validator id order; nonzero stops the scan. */
typedef int (*mc_store_attest_fn)(void *arg, const mc_id *validator, const mc_hash *header_hash,
                                  const mc_sig *sig);
/** Calls @p fn for every attestation kept for @p height. @return MC_OK, fn's value, a store error. */
int mc_store_scan_attests(mc_store_txn *txn, uint64_t height, mc_store_attest_fn fn,
                          void *arg) MC_WARN_UNUSED_RESULT;
/**
 * The certificate of header @p header_hash at @p height from the attestations kept for it: those
 * over that hash by the validator set of that height, in validator id order (a batch
 * certificate's order), at most MC_MAX_CERT_SIGS. *certified says whether they reach the set's
 * quorum. Signatures are not checked again (they were when kept). @return MC_OK or a store error.
 */
int mc_store_cert(mc_store_txn *txn, uint64_t height, const mc_hash *header_hash, mc_cert *out,
                  int *certified) MC_WARN_UNUSED_RESULT;
/** The highest certified header (key "cert" of MC_T_ATTEST). @return MC_OK, MC_ENOTFOUND (none yet),
 * MC_ECORRUPT. */
int mc_store_get_certified(mc_store_txn *txn, uint64_t *height, mc_hash *header_hash) MC_WARN_UNUSED_RESULT;
int mc_store_put_certified(mc_store_txn *txn, uint64_t height,
                           const mc_hash *header_hash) MC_WARN_UNUSED_RESULT;
/**
 * The divergence alarm (key "alarm" of MC_T_ATTEST): the height at which a quorum certified
 * another header than this node's. Kept so that a restart does not serve the state as good
 * again; cleared only by rebuilding the data directory. @return MC_OK, MC_ENOTFOUND, MC_ECORRUPT.
 */
int mc_store_get_alarm(mc_store_txn *txn, uint64_t *height) MC_WARN_UNUSED_RESULT;
int mc_store_put_alarm(mc_store_txn *txn, uint64_t height) MC_WARN_UNUSED_RESULT;

/* ------------------------------------------------------------------------------------------ */
/* The blob store: record ciphertext, content-addressed (DESIGN.md section 5, src/store/blob.c) */

/**
 * Ciphertext files named by their SHA-256, in a directory of their own beside the LMDB store
 * (a node uses DATA/blobs): the file of address ab|cdef... is <dir>/ab/cdef... (62 hex digits),
 * so each of the 256 fan-out directories holds 1/256 of them. A put checks that the bytes hash
 * to the address, writes them to a temporary file in the same directory, fsyncs it, renames it
 * to its name and fsyncs the directory: after a crash a blob is there whole or not at all (a
 * leftover temporary file ".tmp-*" is never read, and may be deleted while the node is
 * stopped). A get reads the file and checks its hash on every read: bytes that do not hash to
 * their name are MC_ECORRUPT and never handed out. The store knows nothing of records or
 * consent: whoever calls it decides who may put or get what.
 *
 * THREAD SAFETY: an mc_blob_store may be used by any number of threads at once; concurrent
 * puts of one blob each rename whole, identical bytes over its name.
 */
typedef struct mc_blob_store mc_blob_store;
typedef struct {
    uint64_t max_bytes; /**< the largest blob put or got; 0: 16 MiB */
    int read_only;      /**< no puts, and a missing directory is an empty store (verify) */
} mc_blob_opts;

/**
 * Opens the blob store in @p dir (created if needed, unless read-only). @p opts may be NULL.
 * @return MC_OK, MC_EINVAL (path too long), MC_EIO (cannot create it), MC_ENOMEM.
 */
int mc_store_blob_open(mc_blob_store **pp, const char *dir, const mc_blob_opts *opts) MC_WARN_UNUSED_RESULT;
/** NULL is harmless. */
void mc_store_blob_close(mc_blob_store *bs);
/** The size cap the store was opened with. */
uint64_t mc_store_blob_max(const mc_blob_store *bs);
/**
 * Stores @p n bytes under @p addr, durably. Idempotent: when the blob is there and intact,
 * nothing is written; when it is there but damaged, these bytes (which hash to @p addr) replace
 * it. @p stored (may be NULL): 1 if a file was written, 0 if it was there already.
 * @return MC_OK, MC_EINVAL (the bytes do not hash to @p addr, or the store is read-only),
 * MC_ETOOBIG (over the cap), MC_EIO.
 */
int mc_store_blob_put(mc_blob_store *bs, const mc_hash *addr, const void *p, size_t n,
                      int *stored) MC_WARN_UNUSED_RESULT;
/**
 * Stores @p n blobs: every address is checked first, and if one fails nothing is written;
 * each fan-out directory is fsynced once for all of them. @p stored (may be NULL) gets n flags
 * as for mc_store_blob_put (all 0 on failure). @return as mc_store_blob_put; on MC_EIO part of
 * the blobs may be on disk (each whole).
 */
int mc_store_blob_put_many(mc_blob_store *bs, const mc_hash *addrs, const mc_slice *blobs, size_t n,
                           uint8_t *stored) MC_WARN_UNUSED_RESULT;
/**
 * Reads the blob @p addr, appending it to @p out, and checks that it hashes to @p addr.
 * On any failure @p out is left as it was. @return MC_OK, MC_ENOTFOUND, MC_ECORRUPT (the bytes
 * on disk are not the blob: never serve them), MC_ETOOBIG (over the store's cap or @p out's),
 * MC_EIO, MC_ENOMEM.
 */
int mc_store_blob_get(mc_blob_store *bs, const mc_hash *addr, mc_buf *out) MC_WARN_UNUSED_RESULT;
/** Reads and hashes the blob @p addr without keeping it, whatever its size. @return as mc_store_blob_get. */
int mc_store_blob_check(mc_blob_store *bs, const mc_hash *addr) MC_WARN_UNUSED_RESULT;
/** Whether a file is there for @p addr (not checked). @return MC_OK, MC_ENOTFOUND, MC_EIO. */
int mc_store_blob_has(mc_blob_store *bs, const mc_hash *addr) MC_WARN_UNUSED_RESULT;
/** The file name of @p addr, "<dir>/ab/cdef...". @return MC_OK, MC_EINVAL (@p cap too small). */
int mc_store_blob_path(const mc_blob_store *bs, const mc_hash *addr, char *out,
                       size_t cap) MC_WARN_UNUSED_RESULT;

/** State key type bytes (docs/format.md). */
enum {
    MC_SK_IDENTITY = 'I',
    MC_SK_NONCE = 'N',
    MC_SK_VALIDATOR = 'V',
    MC_SK_BATCH = 'B',
    MC_SK_RECORD = 'R',            /**< record id -> mc_record */
    MC_SK_PATIENT_RECORD = 'P',    /**< patient, record id -> presence */
    MC_SK_CONSENT = 'G',           /**< grant or deny id -> mc_consent */
    MC_SK_PATIENT_CONSENT = 'g',   /**< patient, consent id -> presence */
    MC_SK_CONSENT_END = 'X',       /**< not_after (u64 BE), consent id -> presence */
    MC_SK_DELEGATE = 'D',          /**< patient, delegate -> mc_delegate */
    MC_SK_EMERGENCY = 'E',         /**< emergency id -> mc_emergency */
    MC_SK_PATIENT_EMERGENCY = 'e', /**< patient, provider, emergency id -> presence */
    MC_SK_ACCESS = 'A',            /**< patient, height (u64 BE), index (u32 BE), sub (u16 BE) -> mc_access */
    MC_SK_ACCESS_ALL = 'L',        /**< height, index, sub -> patient id */
    MC_SK_LOGGED_REQUEST = 'Q',    /**< reader, request nonce -> presence (a read is logged once) */
    MC_SK_TOKEN = 'T',             /**< search token, record id -> presence */
    MC_SK_PROPOSAL = 'O',          /**< proposal id -> mc_proposal */
    MC_SK_PROPOSED_ORG = 'o',      /**< proposed org id -> presence (one proposal per org) */
    MC_SK_RELEASE = 'W',           /**< research release id -> presence (recorded once) */
    MC_SK_CIPHER = 'H',            /**< ciphertext SHA-256 -> presence (one record per blob) */
    MC_SK_VALSET = 'S',            /**< from height (u64 BE) -> mc_valset */
    MC_SK_GATEKEEPER = 'K',        /**< org id -> mc_gatekeeper */
};

#ifdef __cplusplus
}
#endif
#endif
