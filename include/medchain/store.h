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

enum mc_store_table { MC_T_META = 0, MC_T_BLOCKS, MC_T_TXIDX, MC_T_STATE, MC_T_EVENTS, MC_T_COUNT_ };

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
                        mc_access *out) MC_WARN_UNUSED_RESULT;
int mc_store_get_proposal(mc_store_txn *txn, const mc_hash *id, mc_proposal *out) MC_WARN_UNUSED_RESULT;
int mc_store_put_proposal(mc_store_txn *txn, const mc_proposal *p) MC_WARN_UNUSED_RESULT;

/* Events (table MC_T_EVENTS, key height, index, n): derived from blocks, like the txidx. */
int mc_store_put_event(mc_store_txn *txn, const mc_event *ev) MC_WARN_UNUSED_RESULT;
/** Calls @p fn for each event after (height, index, n) (all of them for 0,0,0 with @p after_none). */
int mc_store_scan_events(mc_store_txn *txn, int after_none, uint64_t height, uint32_t index, uint16_t n,
                         int (*fn)(void *arg, const mc_event *ev), void *arg) MC_WARN_UNUSED_RESULT;

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
    MC_SK_ACCESS = 'A',            /**< patient, height (u64 BE), index (u32 BE) -> mc_access */
    MC_SK_ACCESS_ALL = 'L',        /**< height, index -> patient id */
    MC_SK_LOGGED_REQUEST = 'Q',    /**< reader, request nonce -> presence (a read is logged once) */
    MC_SK_TOKEN = 'T',             /**< search token, record id -> presence */
    MC_SK_PROPOSAL = 'O',          /**< proposal id -> mc_proposal */
    MC_SK_PROPOSED_ORG = 'o',      /**< proposed org id -> presence (one proposal per org) */
    MC_SK_RELEASE = 'W',           /**< research release id -> presence (recorded once) */
};

#ifdef __cplusplus
}
#endif
#endif
