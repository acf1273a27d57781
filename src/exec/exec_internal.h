/* Internal to the exec module. */
#ifndef MEDCHAIN_EXEC_INTERNAL_H
#define MEDCHAIN_EXEC_INTERNAL_H

#include <pthread.h>

#include "medchain/exec.h"
#include "medchain/policy.h"

struct mc_exec {
    mc_store *st;
    mc_exec_opts opts;
    pthread_mutex_t lock; /* guards info for readers on other threads */
    mc_exec_info info;
    uint32_t threshold; /* k of n members to admit an org (genesis) */
    mc_valset vals;     /* the validator set that certifies the next block (genesis, then admissions) */
    mc_id val_ids[MC_MAX_VALIDATORS];
    /* per-block scratch, reused */
    mc_hash *txids;
    uint16_t *results;
    mc_hash *leaves;
    size_t cap;
};

/* A signature inside a body (an access.log's reader request), checked by the parallel pre-pass
 * against the key its signer had at the start of the block. */
typedef struct {
    int checked;
    mc_sign_pk pk;
    mc_hash digest;
    mc_sig sig;
    int ok;
} mc_exec_presig;

/* Everything a transaction rule needs. */
typedef struct {
    mc_store_txn *txn;
    const mc_hash *chain;
    uint64_t height;
    uint64_t time_ms;
    const mc_tx *tx;
    const mc_identity *signer;
    uint32_t index;               /* the transaction's index in the block */
    uint16_t *nevents;            /* events this transaction has emitted so far */
    uint32_t threshold;           /* the genesis admission threshold */
    const mc_exec_presig *presig; /* this transaction's pre-checked inner signature, if any */
} mc_exec_ctx;

/* Makes @p v the set that certifies the next block. */
void mc_exec_use_valset(mc_exec *x, const mc_valset *v);
/* Loads x->vals: the set that certifies block @p height. MC_ECORRUPT when the store has none. */
int mc_exec_load_valset(mc_exec *x, mc_store_txn *txn, uint64_t height);
/* Stores a validator node of @p org (its identity and its batch-time slot): genesis, admission. */
int mc_exec_add_validator(mc_store_txn *txn, const mc_sign_pk *sign_pk, const mc_box_pk *box_pk,
                          const mc_id *org, uint64_t height, uint64_t time_ms);

/* Transaction rules: each returns an enum mc_txr code, or a negative MC_E* store failure. */
int mc_exec_identity_register(const mc_exec_ctx *c);
int mc_exec_identity_rotate(const mc_exec_ctx *c);
int mc_exec_identity_revoke(const mc_exec_ctx *c);

int mc_exec_record_anchor(const mc_exec_ctx *c);
int mc_exec_consent_grant(const mc_exec_ctx *c); /* grant and deny */
int mc_exec_consent_revoke(const mc_exec_ctx *c);
int mc_exec_consent_delegate(const mc_exec_ctx *c);
int mc_exec_access_emergency(const mc_exec_ctx *c);
int mc_exec_access_log(const mc_exec_ctx *c);
/* The request a reader signed, as an access.log or access.reads carries it. */
typedef struct {
    mc_id reader;
    uint64_t time_ms;
    uint8_t nonce[MC_REQ_NONCE_BYTES];
    mc_sig sig;
    mc_hash digest; /* mc_request_digest of the request */
} mc_exec_request;
/* The signed request of access.log or access.reads @p tx. @return MC_OK, MC_EINVAL (another kind,
 * or a body that does not decode), MC_ENOMEM. */
int mc_exec_signed_request(const mc_hash *chain, const mc_tx *tx, mc_exec_request *out);
/* Fills @p ps for an access.log or access.reads whose reader is known (for the pre-pass); ps->ok
 * is already 1 when @p cache (may be NULL) vouches for the signature, and it needs no check. */
int mc_exec_access_presig(mc_store_txn *txn, const mc_hash *chain, mc_sigcache *cache, const mc_tx *tx,
                          mc_exec_presig *ps);
/* The checks every logged read passes: signed by a node, not stale, the reader known (into
 * @p reader) and its signature good, not logged before (@p once: the key to mark when it
 * applies). @return MC_TXR_OK, another result code, or a negated store error. */
int mc_exec_check_logged(const mc_exec_ctx *c, mc_identity *reader, mc_skey *once);
/* The policy's decision at @p t over the block's state. @return MC_OK or an MC_E* code. */
int mc_exec_redecide(mc_store_txn *txn, const mc_id *reader, const mc_hash *record, uint32_t purpose,
                     uint8_t action, uint64_t t, mc_decision *d);
/* The event flags of a read: break-glass, refused, ciphertext. */
unsigned mc_exec_read_flags(const mc_access *a);
int mc_exec_access_reads(const mc_exec_ctx *c);
int mc_exec_org_gatekeeper(const mc_exec_ctx *c);
int mc_exec_org_propose(const mc_exec_ctx *c);
int mc_exec_org_approve(const mc_exec_ctx *c);
int mc_exec_research_release(const mc_exec_ctx *c);

/* Records an event of the current transaction. Returns MC_TXR_OK or a negated store error. */
int mc_exec_emit(const mc_exec_ctx *c, int kind, unsigned flags, const mc_id *patient, const mc_id *actor,
                 const mc_id *other, const mc_hash *subject);
/* Emits consent.expiring for grants whose end enters the notice window in this block. */
int mc_exec_expiry_notices(mc_store_txn *txn, uint64_t height, uint32_t ntx, uint64_t prev_time,
                           uint64_t time_ms);
/* @return 1 if @p who is @p patient or an active delegate of it, 0 if not, or a negated error. */
int mc_exec_speaks_for(mc_store_txn *txn, const mc_id *patient, const mc_id *who);
/* @return MC_TXR_OK if @p patient is an active patient, MC_TXR_NOT_PATIENT, or a negated error. */
int mc_exec_check_patient(const mc_exec_ctx *c, const mc_id *patient);
/* @return 1 if @p id is an active auditor or regulator org, 0 if not, or a negated error. */
int mc_exec_is_auditor(mc_store_txn *txn, const mc_id *id);
/* An org identity as genesis and governance make it. */
void mc_exec_org_identity(mc_identity *idn, const mc_sign_pk *sign_pk, const mc_box_pk *box_pk,
                          const char *name, const char *type, uint64_t height);

/* Writes meta "digest": the tip's block time and state digest. */
int mc_exec_put_digest_meta(mc_store_txn *txn, uint64_t time_ms, const mc_hash *digest);

/* Loads the chain id, tip and validator list from the store into x->info. */
int mc_exec_load(mc_exec *x);

#endif
