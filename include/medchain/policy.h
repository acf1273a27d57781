/*
 * medchain policy: the one access decision (DESIGN.md section 3, docs/design-consent.md).
 *
 *   mc_policy_decide(view, requester, record, purpose, action, t) -> permit/deny, reason, basis
 *
 * A pure function: it reads the state only through an mc_policy_view and never the clock or
 * the network, so every node, the executor (validating access.log), the gatekeeper and the
 * API's decision endpoint decide the same way. The rules, in the order they are applied:
 *
 *  1. the request names exactly one known purpose and one known action, else DENY_BAD_REQUEST;
 *     the record exists (DENY_UNKNOWN_RECORD); the requester is a registered (DENY_UNKNOWN_
 *     REQUESTER), active (DENY_REQUESTER_REVOKED) identity whose org is active (DENY_ORG_REVOKED;
 *     patients are no members of the org that enrolled them, so this does not apply to them);
 *  2. the patient (owner) is permitted everything on their records (PERMIT_OWNER);
 *  3. an auditor may read metadata (PERMIT_AUDITOR_META) and never content or derivatives
 *     (DENY_AUDITOR_CONTENT), whatever any grant says;
 *  4. a researcher may only read de-identified derivatives for research (action READ_DEID,
 *     purpose HRESCH), else DENY_RESEARCH_IDENTIFIED; that still needs a grant (rule 8);
 *  5. an active delegate of the patient is permitted (PERMIT_DELEGATE);
 *  6. a deny that is active (not revoked, not_before <= t < not_after) and matches the
 *     requester, record, purpose and action beats every permit below (DENY_EXPLICIT);
 *  7. a member of the authoring org (provider, node or the org) reading content or metadata
 *     for TREAT or HOPERAT is permitted (PERMIT_AUTHOR_ORG); a provider with the attribute
 *     emergency=true, holding a break-glass on the patient with start <= t < end, reading
 *     content or metadata for ETREAT is permitted (PERMIT_EMERGENCY; DENY_EMERGENCY_EXPIRED
 *     if its only break-glass is over);
 *  8. an active grant matching requester, record, purpose, action and window permits
 *     (PERMIT_GRANT). Otherwise the reason names the nearest miss: DENY_REVOKED, DENY_EXPIRED,
 *     DENY_NOT_YET (a grant that matched but for that), else DENY_DEFAULT.
 *
 * Matching. Grantee: an identity matches itself; an org matches its members and itself; a
 * selector matches members of its org whose attributes include every selector pair. Scope: all
 * the patient's records; categories (the record's category is listed); record ids (the record's
 * id or the first record of its amendment chain is listed, so a grant on a record covers its
 * amendments). A superseded record is decided like any other: amendments never take access away.
 *
 * THREAD SAFETY: mc_policy_decide is reentrant; a view is used by one thread at a time.
 */
#ifndef MEDCHAIN_POLICY_H
#define MEDCHAIN_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"
#include "medchain/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What the policy needs of an identity. Pointers valid until the view's next identity() call
 * (a view keeps an identity's and a record's pointers apart: the decision reads both at once).
 */
typedef struct {
    uint8_t kind;   /**< enum mc_identity_kind */
    uint8_t active; /**< 1 unless revoked */
    uint8_t
        org_active; /**< mc_store_org_active: 1 unless its org is revoked (an org: itself; a patient: 1) */
    mc_id org;
    const mc_attrs *attrs; /**< never NULL */
} mc_policy_party;

/** What the policy needs of a record. Pointers valid until the view's next record() call. */
typedef struct {
    mc_id patient;
    mc_id author_org;
    mc_hash id;
    mc_hash root; /**< first record of its amendment chain */
    const char *category;
} mc_policy_record;

/** A grant or deny in compact form. Pointers valid during the callback only. */
typedef struct {
    const mc_hash *id;
    uint8_t deny;
    uint8_t revoked;
    uint8_t grantee_kind;
    uint8_t scope_kind;
    uint32_t purposes;
    uint8_t actions;
    uint64_t not_before;
    uint64_t not_after;
    const mc_id *grantee;
    const mc_attrs *selector; /**< MC_GRANTEE_SELECTOR: never NULL */
    uint32_t ncats;
    const char (*cats)[MC_MAX_CATEGORY + 1];
    uint32_t nrecords;
    const mc_hash *records;
} mc_policy_rule;

/** Return nonzero to stop the iteration (that value is returned by consents()). */
typedef int (*mc_policy_rule_fn)(void *arg, const mc_policy_rule *rule);

/**
 * Read-only access to the state. Every callback returns MC_OK, MC_ENOTFOUND (identity, record)
 * or a negative store error, which mc_policy_decide passes on.
 */
typedef struct {
    void *ctx;
    int (*identity)(void *ctx, const mc_id *id, mc_policy_party *out);
    int (*record)(void *ctx, const mc_hash *id, mc_policy_record *out);
    /** @return 1 if @p who is an active delegate of @p patient, 0 if not, or an error. */
    int (*is_delegate)(void *ctx, const mc_id *patient, const mc_id *who);
    /**
     * Break-glass of @p provider on @p patient: @return 1 with @p id set if one permits at
     * @p t; 2 with @p id set to the latest that has ended; 0 if none; or an error.
     */
    int (*emergency)(void *ctx, const mc_id *patient, const mc_id *provider, uint64_t t, mc_hash *id);
    /** Calls @p fn for each of the patient's grants and denies, revoked ones included. */
    int (*consents)(void *ctx, const mc_id *patient, mc_policy_rule_fn fn, void *arg);
    /**
     * Optional (NULL: none): told ahead that @p requester and @p record are about to be looked
     * up, so that a view in memory can start its loads early and at once instead of one after
     * the other. Stage 0: the requester and the record; stage 1 (later, for a batch): what
     * the decision reads after them (the patient's rules).
     */
    void (*prefetch)(void *ctx, const mc_id *requester, const mc_hash *record, int stage);
} mc_policy_view;

typedef struct {
    int permit;      /**< 1 permit, 0 deny */
    uint16_t reason; /**< enum mc_reason */
    int has_basis;
    mc_hash basis; /**< the grant, deny or break-glass it rests on */
} mc_decision;

/**
 * Decides whether @p requester may perform @p action (one enum mc_action bit) on @p record for
 * @p purpose (one enum mc_purpose bit) at time @p t (ms; the block time for the executor).
 * @return MC_OK with @p out filled (a decision, even "deny"), or a view error (out is a deny).
 */
int mc_policy_decide(const mc_policy_view *view, const mc_id *requester, const mc_hash *record,
                     uint32_t purpose, uint8_t action, uint64_t t, mc_decision *out) MC_WARN_UNUSED_RESULT;

/** One request of a batch. */
typedef struct {
    mc_id requester;
    mc_hash record;
    uint32_t purpose;
    uint8_t action;
} mc_policy_request;

/**
 * Decides @p n requests at time @p t, each exactly as mc_policy_decide would; over a view that
 * prefetches, the memory loads of the next requests overlap the current decision. Allocates
 * nothing. @return MC_OK with every @p out filled, or the first view error (that request's
 * out is a deny; the later ones are not decided).
 */
int mc_policy_decide_many(const mc_policy_view *view, const mc_policy_request *reqs, size_t n, uint64_t t,
                          mc_decision *out) MC_WARN_UNUSED_RESULT;

/** Does @p rule match (grantee, scope, purpose, action; ignoring window and revocation)? */
int mc_policy_rule_matches(const mc_policy_rule *rule, const mc_id *requester, const mc_policy_party *who,
                           const mc_policy_record *rec, uint32_t purpose, uint8_t action);

/* ---- The view over the store (what the executor and the API use) ------------------------ */

/** Scratch a store view decodes into; one per view. */
typedef struct {
    mc_store_txn *txn;
    mc_identity idn;
    mc_record rec;
    mc_consent consent;
} mc_policy_store_ctx;

/** Fills @p view to read from @p txn through @p ctx (which must outlive the view's use). */
void mc_policy_store_view(mc_policy_view *view, mc_policy_store_ctx *ctx, mc_store_txn *txn);

/* ---- The in-memory index (the benchmark's and a long-running node's fast view) ------------ */

typedef struct mc_policy_index mc_policy_index;

/** @return MC_OK, MC_ENOMEM. */
int mc_policy_index_new(mc_policy_index **pp) MC_WARN_UNUSED_RESULT;
void mc_policy_index_free(mc_policy_index *ix);
/** Inserts or replaces. @return MC_OK, MC_ENOMEM. */
int mc_policy_index_put_identity(mc_policy_index *ix, const mc_identity *idn) MC_WARN_UNUSED_RESULT;
int mc_policy_index_put_record(mc_policy_index *ix, const mc_record *rec) MC_WARN_UNUSED_RESULT;
int mc_policy_index_put_consent(mc_policy_index *ix, const mc_consent *c) MC_WARN_UNUSED_RESULT;
int mc_policy_index_put_delegate(mc_policy_index *ix, const mc_id *patient, const mc_id *delegate,
                                 int active) MC_WARN_UNUSED_RESULT;
int mc_policy_index_put_emergency(mc_policy_index *ix, const mc_emergency *e) MC_WARN_UNUSED_RESULT;
/** Loads everything the policy reads from the state of @p txn. @return MC_OK, MC_ENOMEM, store errors. */
int mc_policy_index_load(mc_policy_index *ix, mc_store_txn *txn) MC_WARN_UNUSED_RESULT;
/** Fills @p view to read from @p ix (which must outlive the view's use). */
void mc_policy_index_view(mc_policy_view *view, mc_policy_index *ix);

#ifdef __cplusplus
}
#endif
#endif
