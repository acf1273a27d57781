/*
 * The world and request helpers shared by the consent API integration suites
 * (test_consent_api_views.c, test_consent_api_reads.c): a real medchaind over HTTP with its
 * identities, two records, a grant and a delegation put on the chain with real transactions;
 * signed requests as any of them; and what to look for in an answer. Failures are cmocka
 * assertions.
 */
#ifndef MEDCHAIN_CONSENTAPI_UTIL_H
#define MEDCHAIN_CONSENTAPI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "fixture.h"
#include "testnet.h"

/* An identity made by the test: its keys, and the same as a client signs with (borrowed by
 * every client made for it, so it lives as long as the world). */
typedef struct {
    mc_test_key t;
    mc_keys k;
} it_who;

typedef struct {
    tn_chain c;
    mc_keys org, hosp1, regulator; /* founding orgs: the node's, another hospital, a regulator */
    mc_keys research;              /* and a research institute */
    it_who provider, patient;      /* org 0: the record's author; the patient */
    it_who grantee, stranger;      /* org 1 providers: one with a grant, one without */
    it_who delegate, auditor;      /* org 1 provider named delegate; the regulator's auditor */
    uint64_t org_nonce, hosp1_nonce, reg_nonce, research_nonce; /* their last transaction nonces */
    uint64_t patient_nonce, provider_nonce, grantee_nonce;
    mc_hash rid;       /* a record held by org 0 (this node's org) */
    mc_hash rid_other; /* a record held by org 1: this node may not log its reads */
    mc_hash anchor;    /* the transaction that anchored rid */
    mc_hash grant, delegation;
    char zpid[65], zrid[65], zgid[65], zsid[65], zcid[65]; /* hex: patient, rid, grantee, stranger, grant */
    mc_buf r;                                              /* the last answer */
} it_world;

void it_hex(char out[65], const void *b);
mc_http *it_client(it_world *w, const it_who *who);
long it_req(mc_http *h, const char *method, const char *path, mc_buf *resp);
/* Signs one transaction as @p signer and posts it with wait=committed; it must apply OK. */
void it_commit(it_world *w, const mc_keys *signer, uint64_t nonce, uint16_t kind, const mc_buf *body,
               mc_hash *id);
void it_register_attrs(it_world *w, mc_keys *org, uint64_t *nonce, uint8_t kind, const char *attrs,
                       it_who *who);
void it_register(it_world *w, mc_keys *org, uint64_t *nonce, uint8_t kind, it_who *who);
/* The patient grants (or denies) read and read_meta for TREAT on all its records to @p grantee
 * (an identity, an org, or an org's members with the attributes @p selector) until @p not_after. */
void it_consent(it_world *w, uint16_t kind, uint8_t grantee_kind, const mc_id *grantee, const char *selector,
                uint64_t not_after, mc_hash *id);
/* The patient names (@p add) or removes a delegate. */
void it_delegate(it_world *w, const it_who *who, int add, mc_hash *id);
/* A chain with org 2 a regulator and org 3 a research institute, the identities, two records,
 * a grant and a delegation. */
it_world *it_world_new(void);
/* The same, the node started with extra "key=value" @p settings (NULL-terminated; NULL: none). */
it_world *it_world_new_settings(const char *const *settings);
/* Anchors a record as the world's provider, custodian @p custodian: a fresh record id (into
 * b->record), the world's patient unless b->patient is set, category "lab", a random commitment;
 * the rest (cipher_hash, size, tokens, ...) as in @p b. It must apply OK. */
void it_anchor_body(it_world *w, const mc_keys *custodian, mc_body_anchor *b, mc_hash *anchor);
/* Stops the node (it must stop cleanly) and removes everything. */
void it_world_free(it_world *w);
/* POST /v1/records/{rid}/access as @p who; returns the status. */
long it_read(it_world *w, const it_who *who, const mc_hash *rid, mc_buf *resp);
long it_get_as(it_world *w, const it_who *who, const char *path, mc_buf *resp);
int it_has(const mc_buf *b, const char *s);
unsigned it_count(const mc_buf *b, const char *s);
/* The "next" cursor of a list answer, or "" when it is null. */
void it_next(const mc_buf *b, char *out, size_t cap);
void it_sleep_ms(long ms);

#endif
