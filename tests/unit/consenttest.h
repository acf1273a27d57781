/*
 * A small world for the consent suites: a chain with a hospital (whose node is the validator),
 * a regulator and a research org; providers, patients, an auditor, a researcher; and builders
 * for the record, consent, break-glass and access.log bodies and the signed requests they carry.
 * Failures are cmocka assertions.
 */
#ifndef MEDCHAIN_CONSENTTEST_H
#define MEDCHAIN_CONSENTTEST_H

#include "exectest.h"
#include "medchain/policy.h"

typedef struct {
    mc_test_net net;
    mc_tchain c;
    mc_who hosp, reg, res; /* the founding orgs */
    mc_who node;           /* validator 0, a node of the hospital */
    mc_who doc;            /* provider, role=physician */
    mc_who er;             /* provider, emergency=true */
    mc_who pat, pat2;      /* patients */
    mc_who aud;            /* auditor (regulator) */
    mc_who rsr;            /* researcher */
    mc_who fam;            /* a relative of pat, registered as a patient, to be a delegate */
} mc_world;

/** Builds the world: genesis, then one block registering everyone above. */
void mc_world_open(mc_world *w, const mc_exec_opts *opts);
void mc_world_close(mc_world *w);
/** Block time of the next block mc_commit makes. */
uint64_t mc_world_next_time(const mc_world *w);

/** record.anchor body into c.body: a fresh random id (into @p rid) unless @p rid is preset and @p keep. */
void mc_body_anchor_for(mc_world *w, mc_hash *rid, int keep, const mc_id *patient, const char *category,
                        const mc_hash *supersedes);
/** consent.grant/deny body into c.body. @p scope: NULL (all), "cat:a,b" or a record id via @p rec. */
void mc_body_consent_for(mc_world *w, const mc_id *patient, uint8_t gkind, const mc_id *grantee,
                         const char *selector, const char *cats, const mc_hash *rec, uint32_t purposes,
                         uint8_t actions, uint64_t nb, uint64_t na);
void mc_body_revoke_for(mc_world *w, const mc_hash *target);
void mc_body_delegate_for(mc_world *w, const mc_id *patient, const mc_id *delegate, int add);
/** The reason is sealed to @p to1 and, unless NULL, @p to2. */
void mc_body_emergency_for(mc_world *w, const mc_id *patient, uint64_t ms, const mc_id *to1,
                           const mc_id *to2);
/**
 * @p reader's signature over one API request (mc_request_digest with the world's chain id) at
 * @p t with @p nonce, to @p method @p target with body hash @p body; a stranger's when @p forge.
 */
void mc_sign_request(mc_world *w, const mc_who *reader, uint64_t t, const uint8_t nonce[MC_REQ_NONCE_BYTES],
                     const char *method, const char *target, const mc_hash *body, int forge, mc_sig *sig);
/**
 * access.log body into c.body for a read by @p reader at @p t, with the decision the policy
 * gives now (over the node's store). @p flip: 0, or any of MC_ACCESS_FLIP (the logged decision
 * is inverted), MC_ACCESS_FORGE (the request is signed with a key that is not the reader's),
 * MC_ACCESS_CONTENT (a read through the gatekeeper: GET .../content, logged via content),
 * MC_ACCESS_OTHER_ROUTE (the reader signed the other route's request than the one logged).
 */
#define MC_ACCESS_FLIP        1
#define MC_ACCESS_FORGE       2
#define MC_ACCESS_CONTENT     4
#define MC_ACCESS_OTHER_ROUTE 8
void mc_body_access_for(mc_world *w, const mc_who *reader, const mc_hash *rec, uint32_t purpose,
                        uint8_t action, uint64_t t, int flip, mc_decision *d);
/** The id of the transaction at @p index of the last block. */
void mc_last_txid(mc_world *w, uint32_t index, mc_hash *id);
/** Counts the events of @p kind (0: all) stored so far. */
unsigned mc_count_events(mc_world *w, int kind);
/** Admits a new member org (fresh keys into @p org) by the hospital's proposal and the regulator's approval.
 */
void mc_world_admit_org(mc_world *w, mc_who *org, const char *name, const char *type);
/** Decides over the node's current state. */
void mc_world_decide(mc_world *w, const mc_id *who, const mc_hash *rec, uint32_t purpose, uint8_t action,
                     uint64_t t, mc_decision *d);

#endif
