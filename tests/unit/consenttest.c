/* The consent suites' world and body builders (consenttest.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consenttest.h"

void mc_world_open(mc_world *w, const mc_exec_opts *opts)
{
    memset(w, 0, sizeof *w);
    assert_ok(mc_test_net_init(&w->net, 1, 0));
    mc_tchain_open(&w->c, &w->net, opts);
    mc_who_from(&w->hosp, &w->net.org[MC_TEST_ORG_HOSPITAL]);
    mc_who_from(&w->reg, &w->net.org[MC_TEST_ORG_REGULATOR]);
    mc_who_from(&w->res, &w->net.org[MC_TEST_ORG_RESEARCH]);
    mc_who_from(&w->node, &w->net.val[0]);
    mc_who *fresh[] = {&w->doc, &w->er, &w->pat, &w->pat2, &w->aud, &w->rsr, &w->fam};
    for (size_t i = 0; i < MC_ARRAY_LEN(fresh); i++) mc_who_new(fresh[i]);
    mc_tchain *c = &w->c;
    mc_body_reg(c, MC_ID_PROVIDER, &w->hosp.id, &w->doc.key, "role=physician", NULL);
    mc_add(c, &w->hosp, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_body_reg(c, MC_ID_PROVIDER, &w->hosp.id, &w->er.key, "emergency=true,role=physician", NULL);
    mc_add(c, &w->hosp, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_who *pats[] = {&w->pat, &w->pat2, &w->fam};
    for (size_t i = 0; i < MC_ARRAY_LEN(pats); i++) {
        mc_body_reg(c, MC_ID_PATIENT, &w->hosp.id, &pats[i]->key, "", &pats[i]->key);
        mc_add(c, &w->hosp, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    }
    mc_body_reg(c, MC_ID_AUDITOR, &w->reg.id, &w->aud.key, "", NULL);
    mc_add(c, &w->reg, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_body_reg(c, MC_ID_RESEARCHER, &w->res.id, &w->rsr.key, "", NULL);
    mc_add(c, &w->res, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_commit(c, 0);
}

void mc_world_close(mc_world *w)
{
    mc_tchain_close(&w->c);
    mc_test_net_free(&w->net);
}

uint64_t mc_world_next_time(const mc_world *w)
{
    return w->net.time_ms;
}

void mc_body_anchor_for(mc_world *w, mc_hash *rid, int keep, const mc_id *patient, const char *category,
                        const mc_hash *supersedes)
{
    mc_body_anchor *b = calloc(1, sizeof *b);
    assert_non_null(b);
    if (!keep) mc_random(rid->b, 32);
    b->record = *rid;
    b->patient = *patient;
    b->custodian = w->hosp.id;
    snprintf(b->category, sizeof b->category, "%s", category);
    b->sensitivity = MC_SENS_NORMAL;
    mc_random(b->cipher_hash.b, 32);
    mc_random(b->commitment.b, 32);
    b->size = 4096;
    /* the patient's and the custodian's (which the executor requires), sorted and distinct */
    int cust_first = memcmp(w->hosp.id.b, patient->b, 32) < 0;
    b->nkeys = memcmp(w->hosp.id.b, patient->b, 32) ? 2 : 1;
    b->keys[cust_first ? 1 : 0].recipient = *patient;
    b->keys[cust_first ? 0 : 1].recipient = w->hosp.id;
    mc_random(b->keys[0].sealed, sizeof b->keys[0].sealed);
    mc_random(b->keys[1].sealed, sizeof b->keys[1].sealed);
    b->ntokens = 2;
    memset(b->tokens[0].b, 0x11, 32);
    memset(b->tokens[1].b, 0x22, 32);
    if (supersedes) {
        b->has_supersedes = 1;
        b->supersedes = *supersedes;
    }
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_anchor_encode(&w->c.body, b));
    free(b);
}

void mc_body_consent_for(mc_world *w, const mc_id *patient, uint8_t gkind, const mc_id *grantee,
                         const char *selector, const char *cats, const mc_hash *rec, uint32_t purposes,
                         uint8_t actions, uint64_t nb, uint64_t na)
{
    mc_body_consent *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->patient = *patient;
    b->grantee_kind = gkind;
    b->grantee = *grantee;
    if (selector) assert_ok(mc_attrs_parse(&b->selector, selector));
    b->scope_kind = MC_SCOPE_ALL;
    if (cats) { /* "a,b": sorted by the caller */
        b->scope_kind = MC_SCOPE_CATEGORIES;
        const char *s = cats;
        while (*s) {
            const char *e = strchr(s, ',');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            memcpy(b->cats[b->ncats++], s, n);
            s += n + (e ? 1 : 0);
        }
    } else if (rec) {
        b->scope_kind = MC_SCOPE_RECORDS;
        b->nrecords = 1;
        b->records[0] = *rec;
    }
    b->purposes = purposes;
    b->actions = actions;
    b->not_before = nb;
    b->not_after = na;
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_consent_encode(&w->c.body, b));
    free(b);
}

void mc_body_revoke_for(mc_world *w, const mc_hash *target)
{
    mc_body_consent_revoke b = {*target};
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_consent_revoke_encode(&w->c.body, &b));
}

void mc_body_delegate_for(mc_world *w, const mc_id *patient, const mc_id *delegate, int add)
{
    mc_body_delegate b = {*patient, *delegate, add};
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_delegate_encode(&w->c.body, &b));
}

void mc_body_emergency_for(mc_world *w, const mc_id *patient, uint64_t ms, const mc_id *to1, const mc_id *to2)
{
    static uint8_t sealed[2][MC_SEAL_OVERHEAD + 16];
    mc_body_emergency b;
    memset(&b, 0, sizeof b);
    b.patient = *patient;
    b.duration_ms = ms;
    const mc_id *to[2] = {to1, to2};
    if (to2 && memcmp(to1->b, to2->b, 32) > 0) { /* recipients strictly increasing */
        to[0] = to2;
        to[1] = to1;
    }
    b.nreasons = to2 ? 2 : 1;
    for (uint32_t i = 0; i < b.nreasons; i++) {
        b.reason_to[i] = *to[i];
        mc_random(sealed[i], sizeof sealed[i]);
        b.reason[i] = (mc_slice){sealed[i], sizeof sealed[i]};
    }
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_emergency_encode(&w->c.body, &b));
}

void mc_world_decide(mc_world *w, const mc_id *who, const mc_hash *rec, uint32_t purpose, uint8_t action,
                     uint64_t t, mc_decision *d)
{
    mc_store_txn *txn;
    mc_policy_view v;
    mc_policy_store_ctx *pc = malloc(sizeof *pc);
    assert_non_null(pc);
    assert_ok(mc_store_begin(w->c.st, 0, &txn));
    mc_policy_store_view(&v, pc, txn);
    assert_ok(mc_policy_decide(&v, who, rec, purpose, action, t, d));
    mc_store_abort(txn);
    free(pc);
}

void mc_sign_request(mc_world *w, const mc_who *reader, uint64_t t, const uint8_t nonce[MC_REQ_NONCE_BYTES],
                     const char *method, const char *target, const mc_hash *body, int forge, mc_sig *sig)
{
    mc_hash digest;
    mc_test_key forger;
    mc_request_digest(&digest, &w->net.chain, &reader->id, t, nonce, method, target, body);
    mc_test_key_new(&forger);
    mc_sign(sig, digest.b, 32, forge ? &forger.sk : &reader->key.sk);
}

void mc_body_access_for(mc_world *w, const mc_who *reader, const mc_hash *rec, uint32_t purpose,
                        uint8_t action, uint64_t t, int flip, mc_decision *d)
{
    mc_body_access_log b;
    char target[160];
    mc_hash empty;
    memset(&b, 0, sizeof b);
    b.reader = reader->id;
    b.req_time_ms = t;
    mc_random(b.req_nonce, sizeof b.req_nonce);
    b.record = *rec;
    b.purpose = purpose;
    b.action = action;
    b.via = (flip & MC_ACCESS_CONTENT) ? MC_VIA_CONTENT : MC_VIA_DECISION;
    uint8_t signed_via = (flip & MC_ACCESS_OTHER_ROUTE) ? (uint8_t)!b.via : b.via;
    assert_ok(mc_access_target(target, rec, purpose, action, signed_via));
    mc_sha256(&empty, "", 0);
    mc_sign_request(w, reader, t, b.req_nonce, mc_access_method(signed_via), target, &empty,
                    flip & MC_ACCESS_FORGE, &b.req_sig);
    mc_world_decide(w, &reader->id, rec, purpose, action, t, d);
    if (flip & MC_ACCESS_FLIP) { /* the custodian lies about the outcome */
        d->permit = !d->permit;
        d->reason = d->permit ? MC_RSN_PERMIT_GRANT : MC_RSN_DENY_DEFAULT;
    }
    b.permit = (uint8_t)d->permit;
    b.reason = d->reason;
    b.has_basis = d->has_basis;
    b.basis = d->basis;
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_access_log_encode(&w->c.body, &b));
}

void mc_last_txid(mc_world *w, uint32_t index, mc_hash *id)
{
    assert_true(index < w->c.res.ntx);
    *id = w->c.res.txids[index];
}

static int mc_count_one(void *arg, const mc_event *ev)
{
    unsigned *n = arg;
    if (!n[1] || ev->kind == n[1]) n[0]++;
    return 0;
}

unsigned mc_count_events(mc_world *w, int kind)
{
    unsigned n[2] = {0, (unsigned)kind};
    mc_store_txn *txn;
    assert_ok(mc_store_begin(w->c.st, 0, &txn));
    assert_ok(mc_store_scan_events(txn, 1, 0, 0, 0, mc_count_one, n));
    mc_store_abort(txn);
    return n[0];
}

void mc_world_admit_org(mc_world *w, mc_who *org, const char *name, const char *type)
{
    mc_tchain *c = &w->c;
    mc_body_org_propose p;
    mc_hash prop;
    mc_who_new(org);
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.type, sizeof p.type, "%s", type);
    p.sign_pk = org->key.pk;
    p.box_pk = org->key.box_pk;
    mc_buf_reset(&c->body);
    assert_ok(mc_body_org_propose_encode(&c->body, &p));
    mc_add(c, &w->hosp, MC_TX_ORG_PROPOSE, MC_TXR_OK);
    mc_commit(c, 0);
    mc_last_txid(w, 0, &prop);
    mc_body_org_approve a = {prop};
    mc_buf_reset(&c->body);
    assert_ok(mc_body_org_approve_encode(&c->body, &a));
    mc_add(c, &w->reg, MC_TX_ORG_APPROVE, MC_TXR_OK); /* the genesis threshold is 2 */
    mc_commit(c, 0);
}
