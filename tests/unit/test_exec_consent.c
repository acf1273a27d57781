/*
 * exec, consent: record.anchor (amendments), consent.grant/deny/revoke/delegate, break-glass,
 * access.log (re-decided by the policy), org admission, and the events each block writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consenttest.h"
#include "medchain/envelope.h"

#define DAY       (24ull * 3600 * 1000)
#define ALL_READS (MC_ACTION_READ | MC_ACTION_READ_META)

static void mc_get_record(mc_world *w, const mc_hash *id, mc_record *r)
{
    mc_store_txn *txn;
    assert_ok(mc_store_begin(w->c.st, 0, &txn));
    assert_ok(mc_store_get_record(txn, id, r));
    mc_store_abort(txn);
}

static void mc_get_consent(mc_world *w, const mc_hash *id, mc_consent *out)
{
    mc_store_txn *txn;
    assert_ok(mc_store_begin(w->c.st, 0, &txn));
    assert_ok(mc_store_get_consent(txn, id, out));
    mc_store_abort(txn);
}

static void test_anchor(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_hash r1, r2, r3, dup, other;
    mc_record rec;

    mc_body_anchor_for(w, &r1, 0, &w->pat.id, "cardiology", NULL);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_body_anchor_for(w, &dup, 0, &w->pat.id, "cardiology", NULL);
    mc_add(c, &w->pat, MC_TX_RECORD_ANCHOR, MC_TXR_UNAUTHORIZED); /* a patient is not an author */
    mc_body_anchor_for(w, &dup, 0, &w->doc.id, "cardiology", NULL);
    mc_add(c, &w->er, MC_TX_RECORD_ANCHOR, MC_TXR_NOT_PATIENT); /* a provider is not a patient */
    mc_body_anchor_for(w, &r1, 1, &w->pat.id, "cardiology", NULL);
    mc_add(c, &w->er, MC_TX_RECORD_ANCHOR, MC_TXR_EXISTS); /* same record id as one in this block */
    mc_body_raw(c, "\x01\x02", 2);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_BAD_BODY);
    mc_body_anchor_for(w, &other, 0, &w->pat2.id, "lab", NULL);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_commit(c, 0);

    mc_get_record(w, &r1, &rec);
    assert_memory_equal(rec.patient.b, w->pat.id.b, 32);
    assert_memory_equal(rec.author.b, w->doc.id.b, 32);
    assert_memory_equal(rec.author_org.b, w->hosp.id.b, 32);
    assert_memory_equal(rec.root.b, r1.b, 32);
    assert_string_equal(rec.category, "cardiology");
    assert_false(rec.has_superseded_by);
    assert_int_equal(mc_count_events(w, MC_EV_RECORD), 2);

    /* an amendment: the old record stays and names its successor; both share the root */
    mc_body_anchor_for(w, &r2, 0, &w->pat.id, "cardiology", &r1);
    mc_add(c, &w->er, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_body_anchor_for(w, &r3, 0, &w->pat.id, "cardiology", &r1);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_SUPERSEDED); /* amended once only */
    mc_body_anchor_for(w, &dup, 0, &w->pat.id, "cardiology", &other);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_UNAUTHORIZED); /* another patient's record */
    mc_random(dup.b, 32);
    mc_body_anchor_for(w, &r3, 0, &w->pat.id, "cardiology", &dup);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_NOT_FOUND);
    mc_body_anchor_for(w, &r3, 0, &w->pat2.id, "general", &other);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_UNAUTHORIZED); /* an amendment keeps its category */
    mc_commit(c, 0);
    mc_get_record(w, &r1, &rec);
    assert_true(rec.has_superseded_by);
    assert_memory_equal(rec.superseded_by.b, r2.b, 32);
    mc_get_record(w, &r2, &rec);
    assert_memory_equal(rec.root.b, r1.b, 32);
    assert_true(rec.has_supersedes);

    /* a provider of another org may not amend the hospital's record */
    mc_who lab, labdoc;
    mc_world_admit_org(w, &lab, "Lab B", "lab");
    mc_who_new(&labdoc);
    mc_body_reg(c, MC_ID_PROVIDER, &w->res.id, &labdoc.key, "", NULL);
    mc_add(c, &w->res, MC_TX_IDENTITY_REGISTER, MC_TXR_UNAUTHORIZED); /* research orgs have no providers */
    mc_body_reg(c, MC_ID_PROVIDER, &lab.id, &labdoc.key, "emergency=true", NULL);
    mc_add(c, &lab, MC_TX_IDENTITY_REGISTER,
           MC_TXR_UNAUTHORIZED); /* break-glass is for hospitals and clinics */
    mc_body_reg(c, MC_ID_PROVIDER, &lab.id, &labdoc.key, "", NULL);
    mc_add(c, &lab, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_commit(c, 0);
    mc_body_anchor_for(w, &r3, 0, &w->pat.id, "cardiology", &r2);
    mc_add(c, &labdoc, MC_TX_RECORD_ANCHOR, MC_TXR_UNAUTHORIZED);
    mc_commit(c, 0);
    mc_world_close(w);
    free(w);
}

/* The last anchor body built, decoded, changed by the caller and encoded again. */
static void mc_anchor_edit(mc_world *w, mc_body_anchor *b)
{
    mc_buf_reset(&w->c.body);
    assert_ok(mc_body_anchor_encode(&w->c.body, b));
}

/* Custody and blobs: the custodian is the author's org; a ciphertext hash is anchored once; a
 * record id is never the patient's search-key slot. */
static void test_anchor_custody(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_body_anchor *b = malloc(sizeof *b);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_hash r1, r2;
    mc_body_anchor_for(w, &r1, 0, &w->pat.id, "cardiology", NULL);
    assert_ok(mc_body_anchor_decode(b, c->body.p, c->body.n));
    b->custodian = w->reg.id; /* another org's gatekeeper: never */
    mc_anchor_edit(w, b);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_UNAUTHORIZED);
    b->custodian = w->hosp.id;
    mc_body_anchor held =
        *b; /* without the custodian's wrapped key no reader but the patient could decrypt */
    b->nkeys = 1;
    b->keys[0] = held.keys[memcmp(held.keys[0].recipient.b, w->pat.id.b, 32) == 0 ? 0 : 1];
    mc_anchor_edit(w, b);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_NO_CUSTODIAN_KEY);
    *b = held;
    mc_anchor_edit(w, b);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_random(r2.b, 32);
    b->record = r2; /* another record claiming the same ciphertext */
    mc_anchor_edit(w, b);
    mc_add(c, &w->er, MC_TX_RECORD_ANCHOR, MC_TXR_EXISTS);
    mc_commit(c, 0);
    mc_add(c, &w->er, MC_TX_RECORD_ANCHOR, MC_TXR_EXISTS); /* and in a later block */
    mc_env_search_key_slot(&b->record, &w->pat.id);
    mc_random(b->cipher_hash.b, 32);
    mc_anchor_edit(w, b);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_UNAUTHORIZED); /* the search-key slot */
    mc_random(b->record.b, 32);
    mc_anchor_edit(w, b);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK); /* the refusals marked nothing */
    mc_commit(c, 0);
    free(b);
    mc_world_close(w);
    free(w);
}

/* The key the custodian's node releases: an anchor with wrapped keys must carry one for its
 * custodian, which the state's record keeps; an anchor with none holds metadata only. */
static void test_anchor_custodian_key(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_body_anchor *b = malloc(sizeof *b);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_hash r1, r2, meta;
    mc_record rec;
    uint8_t want[MC_SEALED_KEY_BYTES];
    mc_body_anchor_for(w, &r1, 0, &w->pat.id, "lab", NULL);
    assert_ok(mc_body_anchor_decode(b, c->body.p, c->body.n));
    const mc_wrapped_key *ck = mc_env_find_key(b, &w->hosp.id);
    assert_non_null(ck);
    memcpy(want, ck->sealed, sizeof want);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    /* wrapped for the patient and for another org, not for the custodian */
    mc_body_anchor_for(w, &r2, 0, &w->pat.id, "lab", NULL);
    assert_ok(mc_body_anchor_decode(b, c->body.p, c->body.n));
    for (uint32_t i = 0; i < b->nkeys; i++)
        if (memcmp(b->keys[i].recipient.b, w->hosp.id.b, 32) == 0) b->keys[i].recipient = w->reg.id;
    if (memcmp(b->keys[0].recipient.b, b->keys[1].recipient.b, 32) > 0) {
        mc_wrapped_key k = b->keys[0];
        b->keys[0] = b->keys[1];
        b->keys[1] = k;
    }
    mc_anchor_edit(w, b);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_NO_CUSTODIAN_KEY);
    /* no wrapped key at all: metadata only */
    mc_random(meta.b, 32);
    b->record = meta;
    b->nkeys = 0;
    memset(b->keys, 0, sizeof b->keys);
    mc_anchor_edit(w, b);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_commit(c, 0);
    mc_get_record(w, &r1, &rec);
    assert_memory_equal(rec.custodian_key, want, sizeof want);
    mc_get_record(w, &meta, &rec);
    assert_true(mc_all_zero(rec.custodian_key, sizeof rec.custodian_key));
    mc_store_txn *txn;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_rc(mc_store_get_record(txn, &r2, &rec), MC_ENOTFOUND);
    mc_store_abort(txn);
    free(b);
    mc_world_close(w);
    free(w);
}

static void test_consent(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    uint64_t t = mc_world_next_time(w);
    mc_hash g1, ghost;
    mc_consent s;

    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, &w->doc.id, NULL, "cardiology", NULL,
                        MC_PURPOSE_TREAT, ALL_READS, t, t + 30 * DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_OK);
    mc_add(c, &w->pat2, MC_TX_CONSENT_GRANT, MC_TXR_UNAUTHORIZED); /* not their patient id */
    mc_add(c, &w->fam, MC_TX_CONSENT_GRANT, MC_TXR_UNAUTHORIZED);  /* not (yet) a delegate */
    mc_add(c, &w->doc, MC_TX_CONSENT_GRANT, MC_TXR_UNAUTHORIZED);
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_ORG, &w->doc.id, NULL, NULL, NULL, MC_PURPOSE_TREAT,
                        ALL_READS, t, t + DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_BAD_BODY); /* an org grantee that is no org */
    mc_random(ghost.b, 32);
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, (const mc_id *)&ghost, NULL, NULL, NULL,
                        MC_PURPOSE_TREAT, ALL_READS, t, t + DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_DENY, MC_TXR_NOT_FOUND);
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_ORG, &w->res.id, NULL, NULL, NULL, MC_PURPOSE_HRESCH,
                        MC_ACTION_READ_DEID, t - 2 * DAY, t);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_BAD_WINDOW); /* over when it is applied */
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_ORG, &w->res.id, NULL, NULL, NULL, MC_PURPOSE_HRESCH,
                        MC_ACTION_READ_DEID | MC_ACTION_READ, t, t + DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_UNAUTHORIZED); /* research: de-identified only */
    mc_add(c, &w->pat, MC_TX_CONSENT_DENY, MC_TXR_OK);            /* a deny only takes away */
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, &w->aud.id, NULL, NULL, NULL, MC_PURPOSE_HOPERAT,
                        MC_ACTION_READ, t, t + DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_UNAUTHORIZED); /* regulators: metadata only */
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_ORG, &w->res.id, NULL, NULL, NULL, MC_PURPOSE_HRESCH,
                        MC_ACTION_READ_DEID, t, t + DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_OK); /* research opt-in */
    mc_body_consent_for(w, &w->doc.id, MC_GRANTEE_ORG, &w->res.id, NULL, NULL, NULL, MC_PURPOSE_HRESCH,
                        MC_ACTION_READ_DEID, t, t + DAY);
    mc_add(c, &w->doc, MC_TX_CONSENT_GRANT, MC_TXR_NOT_PATIENT);
    mc_commit(c, 0);
    mc_last_txid(w, 0, &g1);
    mc_get_consent(w, &g1, &s);
    assert_int_equal(s.status, MC_CONSENT_ACTIVE);
    assert_int_equal(s.deny, 0);
    assert_memory_equal(s.by.b, w->pat.id.b, 32);
    assert_int_equal(mc_count_events(w, MC_EV_GRANT), 2);

    /* a delegate may grant and revoke for the patient, until removed */
    mc_body_delegate_for(w, &w->pat.id, &w->fam.id, 1);
    mc_add(c, &w->fam, MC_TX_CONSENT_DELEGATE, MC_TXR_UNAUTHORIZED); /* the patient names delegates */
    mc_add(c, &w->pat, MC_TX_CONSENT_DELEGATE, MC_TXR_OK);
    mc_add(c, &w->pat, MC_TX_CONSENT_DELEGATE, MC_TXR_EXISTS);
    mc_body_delegate_for(w, &w->pat.id, &w->pat.id, 1);
    mc_add(c, &w->pat, MC_TX_CONSENT_DELEGATE, MC_TXR_BAD_BODY);
    mc_commit(c, 0);
    mc_body_revoke_for(w, &g1);
    mc_add(c, &w->doc, MC_TX_CONSENT_REVOKE, MC_TXR_UNAUTHORIZED);
    mc_add(c, &w->fam, MC_TX_CONSENT_REVOKE, MC_TXR_OK);
    mc_add(c, &w->pat, MC_TX_CONSENT_REVOKE, MC_TXR_TARGET_REVOKED);
    mc_body_revoke_for(w, &ghost);
    mc_add(c, &w->pat, MC_TX_CONSENT_REVOKE, MC_TXR_NOT_FOUND);
    mc_commit(c, 0);
    mc_get_consent(w, &g1, &s);
    assert_int_equal(s.status, MC_CONSENT_REVOKED);
    assert_memory_equal(s.revoked_by.b, w->fam.id.b, 32);

    mc_body_delegate_for(w, &w->pat.id, &w->fam.id, 0);
    mc_add(c, &w->pat, MC_TX_CONSENT_DELEGATE, MC_TXR_OK);
    mc_add(c, &w->pat, MC_TX_CONSENT_DELEGATE, MC_TXR_NOT_FOUND);
    t = mc_world_next_time(w);
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_SELECTOR, &w->hosp.id, "role=physician", NULL, NULL,
                        MC_PURPOSE_TREAT, ALL_READS, t, t + DAY);
    mc_add(c, &w->fam, MC_TX_CONSENT_GRANT, MC_TXR_UNAUTHORIZED); /* removed in this very block */
    mc_add(c, &w->pat, MC_TX_CONSENT_DENY, MC_TXR_OK);
    mc_commit(c, 0);
    assert_int_equal(mc_count_events(w, MC_EV_DELEGATE), 2);
    assert_int_equal(mc_count_events(w, MC_EV_DENY), 2);
    assert_int_equal(mc_count_events(w, MC_EV_REVOKE), 1);
    mc_world_close(w);
    free(w);
}

static void test_emergency_and_access_log(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_hash rec, em;
    mc_decision d;

    mc_body_anchor_for(w, &rec, 0, &w->pat.id, "cardiology", NULL);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_body_emergency_for(w, &w->pat.id, 3600 * 1000, &w->pat.id, &w->aud.id);
    mc_add(c, &w->doc, MC_TX_ACCESS_EMERGENCY, MC_TXR_UNAUTHORIZED); /* no emergency=true */
    mc_add(c, &w->er, MC_TX_ACCESS_EMERGENCY, MC_TXR_OK);
    mc_body_emergency_for(w, &w->pat.id, 3600 * 1000, &w->aud.id, NULL);
    mc_add(c, &w->er, MC_TX_ACCESS_EMERGENCY, MC_TXR_BAD_BODY); /* the patient must be told */
    mc_body_emergency_for(w, &w->pat.id, 3600 * 1000, &w->pat.id, NULL);
    mc_add(c, &w->er, MC_TX_ACCESS_EMERGENCY, MC_TXR_BAD_BODY); /* and an auditor */
    mc_body_emergency_for(w, &w->pat.id, 3600 * 1000, &w->pat.id, &w->doc.id);
    mc_add(c, &w->er, MC_TX_ACCESS_EMERGENCY, MC_TXR_BAD_BODY); /* a provider is no auditor */
    mc_body_emergency_for(w, &w->pat.id, 3600 * 1000, &w->pat.id, &w->reg.id);
    mc_add(c, &w->er, MC_TX_ACCESS_EMERGENCY, MC_TXR_OK); /* a regulator org will do */
    mc_body_emergency_for(w, &w->doc.id, 3600 * 1000, &w->doc.id, &w->aud.id);
    mc_add(c, &w->er, MC_TX_ACCESS_EMERGENCY, MC_TXR_NOT_PATIENT);
    mc_commit(c, 0);
    mc_hash em2;
    mc_last_txid(w, 2, &em);
    mc_last_txid(w, 6, &em2);
    assert_int_equal(mc_count_events(w, MC_EV_EMERGENCY), 2);

    uint64_t t = mc_world_next_time(w);
    /* a break-glass read, logged by the hospital's node and re-decided by the executor */
    mc_body_access_for(w, &w->er, &rec, MC_PURPOSE_ETREAT, MC_ACTION_READ, t, 0, &d);
    assert_int_equal(d.reason, MC_RSN_PERMIT_EMERGENCY);
    assert_true(memcmp(d.basis.b, em.b, 32) == 0 || memcmp(d.basis.b, em2.b, 32) == 0);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_OK);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_EXISTS);      /* the same read, logged again */
    mc_add(c, &w->doc, MC_TX_ACCESS_LOG, MC_TXR_UNAUTHORIZED); /* only a custodian's node logs */
    /* a stranger's refused read is logged as refused */
    mc_body_access_for(w, &w->pat2, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, t, 0, &d);
    assert_int_equal(d.permit, 0);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_OK);
    /* a custodian cannot flip a read */
    mc_body_access_for(w, &w->pat2, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, t, MC_ACCESS_FLIP, &d);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_DECISION_MISMATCH);
    /* nor invent one: the reader's signature must cover this very read */
    mc_body_access_for(w, &w->pat2, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, t, MC_ACCESS_FORGE, &d);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_BAD_COSIG);
    mc_body_access_for(w, &w->pat2, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, t - MC_ACCESS_LOG_MAX_AGE_MS - 1,
                       0, &d);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_STALE);
    /* the patient's read through the gatekeeper: signed GET .../content, logged via content */
    mc_body_access_for(w, &w->pat, &rec, MC_PURPOSE_PATRQT, MC_ACTION_READ, t, MC_ACCESS_CONTENT, &d);
    assert_int_equal(d.permit, 1);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_OK);
    /* a request signed for one route is no request for the other */
    mc_body_access_for(w, &w->pat, &rec, MC_PURPOSE_PATRQT, MC_ACTION_READ, t,
                       MC_ACCESS_CONTENT | MC_ACCESS_OTHER_ROUTE, &d);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_BAD_COSIG);
    mc_body_access_for(w, &w->pat, &rec, MC_PURPOSE_PATRQT, MC_ACTION_READ, t, MC_ACCESS_OTHER_ROUTE, &d);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_BAD_COSIG);
    mc_commit(c, 0);
    assert_int_equal(mc_count_events(w, MC_EV_READ), 3);

    mc_store_txn *txn;
    mc_access a;
    mc_info(c, &(mc_exec_info){0});
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_ok(mc_store_get_access(txn, &w->pat.id, c->res.header.height, 0, 0, &a));
    assert_int_equal(a.permit, 1);
    assert_int_equal(a.emergency, 1);
    assert_memory_equal(a.reader.b, w->er.id.b, 32);
    assert_int_equal(a.via, MC_VIA_DECISION);
    assert_ok(mc_store_get_access(txn, &w->pat.id, c->res.header.height, 3, 0, &a));
    assert_int_equal(a.permit, 0);
    assert_int_equal(a.emergency, 0);
    assert_ok(mc_store_get_access(txn, &w->pat.id, c->res.header.height, 7, 0, &a));
    assert_int_equal(a.permit, 1);
    assert_int_equal(a.via, MC_VIA_CONTENT);
    assert_memory_equal(a.reader.b, w->pat.id.b, 32);
    mc_store_abort(txn);

    /* a node of another org is not the custodian */
    mc_who node2;
    mc_who_new(&node2);
    mc_body_reg(c, MC_ID_NODE, &w->reg.id, &node2.key, "", NULL);
    mc_add(c, &w->reg, MC_TX_IDENTITY_REGISTER, MC_TXR_OK);
    mc_commit(c, 0);
    mc_body_access_for(w, &w->pat, &rec, MC_PURPOSE_PATRQT, MC_ACTION_READ, mc_world_next_time(w), 0, &d);
    mc_add(c, &node2, MC_TX_ACCESS_LOG, MC_TXR_UNAUTHORIZED);
    mc_commit(c, 0);
    mc_world_close(w);
    free(w);
}

static void test_org_admission(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_test_key newk;
    mc_body_org_propose p;
    mc_hash prop;
    mc_identity idn;
    mc_test_key_new(&newk);
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "Hospital B");
    snprintf(p.type, sizeof p.type, "hospital");
    p.sign_pk = newk.pk;
    p.box_pk = newk.box_pk;
    mc_buf_reset(&c->body);
    assert_ok(mc_body_org_propose_encode(&c->body, &p));
    mc_add(c, &w->doc, MC_TX_ORG_PROPOSE, MC_TXR_UNAUTHORIZED);
    mc_add(c, &w->hosp, MC_TX_ORG_PROPOSE, MC_TXR_OK);
    mc_add(c, &w->reg, MC_TX_ORG_PROPOSE, MC_TXR_EXISTS); /* one open proposal per org */
    mc_commit(c, 0);
    mc_last_txid(w, 1, &prop);
    mc_body_org_approve a = {prop};
    mc_buf_reset(&c->body);
    assert_ok(mc_body_org_approve_encode(&c->body, &a));
    mc_add(c, &w->hosp, MC_TX_ORG_APPROVE, MC_TXR_EXISTS); /* the proposer has approved */
    mc_commit(c, 0);
    mc_store_txn *txn;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_rc(mc_store_get_identity(txn, &newk.id, &idn), MC_ENOTFOUND); /* 1 of 2 */
    mc_store_abort(txn);
    mc_add(c, &w->reg, MC_TX_ORG_APPROVE, MC_TXR_OK);
    mc_add(c, &w->res, MC_TX_ORG_APPROVE, MC_TXR_EXISTS); /* admitted already */
    mc_commit(c, 0);
    mc_get_identity(c, &newk.id, &idn);
    assert_int_equal(idn.kind, MC_ID_ORG);
    assert_string_equal(mc_attrs_get(&idn.attrs, "name"), "Hospital B");
    assert_int_equal(mc_count_events(w, MC_EV_ORG_ADMITTED), 1);
    mc_world_close(w);
    free(w);
}

static void test_expiry_notice(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    uint64_t t = mc_world_next_time(w);
    /* blocks are 1 s apart: this grant enters its last day three blocks from now */
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, &w->doc.id, NULL, NULL, NULL, MC_PURPOSE_TREAT,
                        ALL_READS, t, t + DAY + 2500);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_OK);
    mc_add(c, &w->pat, MC_TX_CONSENT_DENY, MC_TXR_OK); /* denies do not expire noisily */
    mc_commit(c, 0);
    for (int i = 0; i < 2; i++) mc_commit(c, 0);
    assert_int_equal(mc_count_events(w, MC_EV_GRANT_EXPIRING), 0);
    mc_commit(c, 0);
    assert_int_equal(mc_count_events(w, MC_EV_GRANT_EXPIRING), 1);
    for (int i = 0; i < 3; i++) mc_commit(c, 0);
    assert_int_equal(mc_count_events(w, MC_EV_GRANT_EXPIRING), 1); /* once */
    mc_world_close(w);
    free(w);
}

static void test_consent_in_force_from_creation(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    uint64_t t = mc_world_next_time(w);
    mc_hash g;
    mc_consent s;
    /* signed as if it had always been there: it is in force from its block on */
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, &w->doc.id, NULL, NULL, NULL, MC_PURPOSE_TREAT,
                        ALL_READS, 0, t + DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_OK);
    mc_commit(c, 0);
    mc_last_txid(w, 0, &g);
    mc_get_consent(w, &g, &s);
    assert_true(s.body.not_before == t);
    assert_true(s.body.not_after == t + DAY);
    mc_world_close(w);
    free(w);
}

/* A logged read is decided at its block's time, whatever time the reader signed. */
static void test_access_log_decided_at_block_time(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_hash rec;
    mc_decision d;
    uint64_t t = mc_world_next_time(w);
    mc_body_anchor_for(w, &rec, 0, &w->pat.id, "cardiology", NULL);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    /* the grant ends exactly at the block time of the log's block (blocks are 1 s apart) */
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, &w->pat2.id, NULL, NULL, NULL, MC_PURPOSE_TREAT,
                        ALL_READS, t, t + 1000);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_OK);
    mc_commit(c, 0);
    /* signed half a second before the end, when the grant permitted it */
    mc_body_access_for(w, &w->pat2, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, t + 500, 0, &d);
    assert_int_equal(d.reason, MC_RSN_PERMIT_GRANT);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_DECISION_MISMATCH);
    mc_world_decide(w, &w->pat2.id, &rec, MC_PURPOSE_TREAT, MC_ACTION_READ, t + 1000, &d);
    assert_int_equal(d.reason, MC_RSN_DENY_EXPIRED);
    mc_commit(c, 0);
    mc_world_close(w);
    free(w);
}

/* The reader's request signature as the custodian's api puts it in the signature cache. */
static void mc_cache_request(mc_world *w, mc_sigcache *cache, const mc_who *reader)
{
    mc_body_access_log b;
    char target[160];
    mc_hash digest, empty;
    mc_sign_pk pk;
    assert_ok(mc_body_access_log_decode(&b, w->c.body.p, w->c.body.n));
    assert_ok(mc_access_target(target, &b.record, b.purpose, b.action, b.via));
    mc_sha256(&empty, "", 0);
    mc_request_digest(&digest, &w->net.chain, &b.reader, b.req_time_ms, b.req_nonce, mc_access_method(b.via),
                      target, &empty);
    mc_sign_sk_to_pk(&pk, &reader->key.sk);
    mc_sigcache_add(cache, &digest, &b.req_sig, &pk);
}

/* The access.log pre-pass takes the signature cache's word for exactly the request signature it
 * holds (the api verified it), and verifies any other. */
static void test_access_log_sigcache(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_sigcache *cache;
    assert_ok(mc_sigcache_new(&cache, 1024));
    mc_exec_opts o = {.sigcache = cache, .verify_threads = 1};
    mc_world_open(w, &o);
    mc_tchain *c = &w->c;
    mc_hash rec;
    mc_decision d;
    mc_body_anchor_for(w, &rec, 0, &w->pat.id, "lab", NULL);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_OK);
    mc_commit(c, 0);
    uint64_t t = mc_world_next_time(w);
    /* a genuine request in the cache, a forged one not: the forgery is caught */
    mc_body_access_for(w, &w->pat, &rec, MC_PURPOSE_PATRQT, MC_ACTION_READ, t, MC_ACCESS_CONTENT, &d);
    mc_cache_request(w, cache, &w->pat);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_OK);
    mc_body_access_for(w, &w->pat, &rec, MC_PURPOSE_PATRQT, MC_ACTION_READ, t, MC_ACCESS_FORGE, &d);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_BAD_COSIG);
    /* what the cache vouches for is not checked again: a bad signature planted in it passes,
     * which shows the shortcut is taken (only the node's own api can put entries there) */
    mc_body_access_for(w, &w->pat, &rec, MC_PURPOSE_PATRQT, MC_ACTION_READ, t, MC_ACCESS_FORGE, &d);
    mc_cache_request(w, cache, &w->pat);
    mc_add(c, &w->node, MC_TX_ACCESS_LOG, MC_TXR_OK);
    mc_commit(c, 0);
    mc_world_close(w);
    mc_sigcache_free(cache);
    free(w);
}

/* Staff and nodes of a revoked org act no more; patients it enrolled keep control. */
static void test_revoked_org(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_hash rec;
    mc_body_rev(c, &w->hosp.id, 2);
    mc_add(c, &w->hosp, MC_TX_IDENTITY_REVOKE, MC_TXR_OK);
    mc_body_anchor_for(w, &rec, 0, &w->pat.id, "cardiology", NULL);
    mc_add(c, &w->doc, MC_TX_RECORD_ANCHOR, MC_TXR_SIGNER_REVOKED);
    uint64_t t = mc_world_next_time(w);
    mc_body_consent_for(w, &w->pat.id, MC_GRANTEE_IDENTITY, &w->aud.id, NULL, NULL, NULL, MC_PURPOSE_HOPERAT,
                        MC_ACTION_READ_META, t, t + DAY);
    mc_add(c, &w->pat, MC_TX_CONSENT_GRANT, MC_TXR_OK);
    mc_commit(c, 0);
    mc_world_close(w);
    free(w);
}

/* ------------------------------------------------------------------------------------------ */
/* Determinism: random valid and invalid consent traffic on two fresh executors.               */

typedef struct {
    mc_world *w;
    uint64_t rng;
    mc_who *actors[10];
    mc_hash recs[64];
    int nrecs;
    mc_hash consents[64];
    int nconsents;
} mc_csim;

static uint32_t mc_csim_rand(mc_csim *s, uint32_t n)
{
    return mc_test_rand_below(&s->rng, n);
}

static mc_who *mc_csim_actor(mc_csim *s)
{
    return s->actors[mc_csim_rand(s, MC_ARRAY_LEN(s->actors))];
}

static const mc_hash *mc_csim_record(mc_csim *s, mc_hash *junk)
{
    if (s->nrecs == 0 || mc_csim_rand(s, 10) == 0) {
        mc_random(junk->b, 32);
        return junk;
    }
    return &s->recs[mc_csim_rand(s, (uint32_t)s->nrecs)];
}

/* Adds one random transaction to the world's pending list (results are not predicted). */
static void mc_csim_tx(mc_csim *s, uint64_t t)
{
    static const char *const cats[] = {"cardiology", "lab", "imaging", "mental-health"};
    mc_world *w = s->w;
    mc_tchain *c = &w->c;
    mc_who *by = mc_csim_actor(s), *who = mc_csim_actor(s);
    mc_hash junk, rid;
    mc_decision d;
    uint16_t kind;
    uint32_t what = mc_csim_rand(s, 100);
    if (what < 20) {
        const mc_hash *sup = mc_csim_rand(s, 4) == 0 ? mc_csim_record(s, &junk) : NULL;
        mc_body_anchor_for(w, &rid, 0, mc_csim_rand(s, 2) ? &w->pat.id : &who->id, cats[mc_csim_rand(s, 4)],
                           sup);
        if (s->nrecs < 64) s->recs[s->nrecs++] = rid;
        by = mc_csim_rand(s, 4) ? (mc_csim_rand(s, 2) ? &w->doc : &w->er) : by;
        kind = MC_TX_RECORD_ANCHOR;
    } else if (what < 45) {
        static const uint8_t gk[] = {MC_GRANTEE_IDENTITY, MC_GRANTEE_ORG, MC_GRANTEE_SELECTOR};
        uint8_t k = gk[mc_csim_rand(s, 3)];
        const mc_id *grantee = k == MC_GRANTEE_IDENTITY ? &who->id
                               : mc_csim_rand(s, 2)     ? &w->hosp.id
                                                        : &w->res.id;
        uint64_t nb = t - DAY + mc_csim_rand(s, 4) * DAY / 2, na = nb + 1 + mc_csim_rand(s, 3) * DAY;
        uint32_t sc = mc_csim_rand(s, 3);
        mc_body_consent_for(w, mc_csim_rand(s, 5) ? &w->pat.id : &w->pat2.id, k, grantee,
                            k == MC_GRANTEE_SELECTOR ? "role=physician" : NULL,
                            sc == 1 ? "cardiology,lab" : NULL, sc == 2 ? mc_csim_record(s, &junk) : NULL,
                            1u + mc_csim_rand(s, MC_PURPOSE_ALL_),
                            (uint8_t)(1u + mc_csim_rand(s, MC_ACTION_ALL_)), nb, na);
        by = mc_csim_rand(s, 4) ? &w->pat : by;
        kind = mc_csim_rand(s, 4) ? MC_TX_CONSENT_GRANT : MC_TX_CONSENT_DENY;
    } else if (what < 55) {
        mc_random(junk.b, 32);
        mc_body_revoke_for(w, s->nconsents && mc_csim_rand(s, 8)
                                  ? &s->consents[mc_csim_rand(s, (uint32_t)s->nconsents)]
                                  : &junk);
        by = mc_csim_rand(s, 3) ? &w->pat : by;
        kind = MC_TX_CONSENT_REVOKE;
    } else if (what < 63) {
        mc_body_delegate_for(w, &w->pat.id, &who->id, (int)mc_csim_rand(s, 2));
        by = mc_csim_rand(s, 3) ? &w->pat : by;
        kind = MC_TX_CONSENT_DELEGATE;
    } else if (what < 70) {
        mc_body_emergency_for(w, mc_csim_rand(s, 4) ? &w->pat.id : &who->id, 1 + mc_csim_rand(s, 7200000),
                              &w->pat.id, mc_csim_rand(s, 5) ? &w->aud.id : NULL);
        by = mc_csim_rand(s, 3) ? &w->er : by;
        kind = MC_TX_ACCESS_EMERGENCY;
    } else if (what < 95) {
        uint32_t p = 1u << mc_csim_rand(s, 7);
        uint8_t a = (uint8_t)(1u << mc_csim_rand(s, 3));
        uint64_t at = mc_csim_rand(s, 10) ? t : t - MC_ACCESS_LOG_MAX_AGE_MS - 5;
        int flip = mc_csim_rand(s, 8) == 0 ? MC_ACCESS_FLIP : mc_csim_rand(s, 12) == 0 ? MC_ACCESS_FORGE : 0;
        mc_body_access_for(w, who, mc_csim_record(s, &junk), p, a, at, flip, &d);
        by = mc_csim_rand(s, 6) ? &w->node : by;
        kind = MC_TX_ACCESS_LOG;
    } else {
        uint8_t junkb[40];
        mc_random(junkb, sizeof junkb);
        mc_body_raw(c, junkb, 1 + mc_csim_rand(s, sizeof junkb - 1));
        kind = (uint16_t)(10 + mc_csim_rand(s, 9));
    }
    mc_hash id;
    assert_ok(
        mc_test_txs_add(&c->txs, &w->net.chain, &by->id, &by->key.sk, ++by->nonce, kind, &c->body, &id));
    if ((kind == MC_TX_CONSENT_GRANT || kind == MC_TX_CONSENT_DENY) && s->nconsents < 64)
        s->consents[s->nconsents++] = id;
}

/* Applies every block of @p src after height @p from to @p dst, and checks the headers agree. */
static void mc_replay_into(mc_store *src, mc_tchain *dst, uint64_t from, uint64_t to)
{
    for (uint64_t h = from + 1; h <= to; h++) {
        mc_store_txn *txn;
        mc_slice raw;
        mc_block b;
        assert_ok(mc_store_begin(src, 0, &txn));
        assert_ok(mc_store_get_block(txn, h, &raw));
        assert_ok(mc_block_decode(&b, raw.p, raw.n));
        uint8_t *batch = malloc(b.batch.n);
        assert_non_null(batch);
        memcpy(batch, b.batch.p, b.batch.n);
        mc_header want = b.header;
        mc_store_abort(txn);
        const mc_exec_result *r = mc_tchain_apply(dst, batch, b.batch.n);
        free(batch);
        assert_int_equal(r->applied, 1);
        mc_hash hw, hg;
        mc_header_hash(&hw, &want);
        mc_header_hash(&hg, &r->header);
        assert_memory_equal(hw.b, hg.b, 32);
    }
}

static void test_determinism(void **state)
{
    (void)state;
    uint64_t seed = mc_test_seed();
    print_message("consent determinism seed %llu (set MC_TEST_SEED to replay another)\n",
                  (unsigned long long)seed);
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_csim s = {w,
                 seed,
                 {&w->doc, &w->er, &w->pat, &w->pat2, &w->aud, &w->rsr, &w->fam, &w->hosp, &w->node, &w->reg},
                 {{{0}}},
                 0,
                 {{{0}}},
                 0};
    unsigned ok = 0, bad = 0;
    for (int blk = 0; blk < 40; blk++) {
        uint64_t t = mc_world_next_time(w);
        uint32_t n = 1 + mc_csim_rand(&s, 24);
        for (uint32_t i = 0; i < n; i++) mc_csim_tx(&s, t);
        assert_ok(mc_test_batch(&w->c.batch, &w->net, &w->net.val[0], &w->c.txs, NULL));
        const mc_exec_result *r = mc_tchain_apply(&w->c, w->c.batch.p, w->c.batch.n);
        assert_int_equal(r->applied, 1);
        for (uint32_t i = 0; i < r->ntx; i++) r->results[i] == MC_TXR_OK ? ok++ : bad++;
        mc_test_txs_reset(&w->c.txs);
    }
    print_message("%u applied, %u refused\n", ok, bad);
    assert_true(ok > 100 && bad > 100); /* both kinds of traffic, plenty of each */

    /* a second executor with other threads and a warm signature cache */
    mc_exec_info info;
    mc_info(&w->c, &info);
    mc_tchain other;
    mc_sigcache *cache;
    assert_ok(mc_sigcache_new(&cache, 4096));
    mc_exec_opts opts = {.sigcache = cache, .verify_threads = 2};
    mc_tchain_open(&other, &w->net, &opts);
    mc_replay_into(w->c.st, &other, 0, info.height / 2);
    mc_tchain_reopen(&other); /* and a restart half way */
    mc_replay_into(w->c.st, &other, info.height / 2, info.height);
    mc_compare_tables(w->c.st, other.st);
    mc_tchain_close(&other);
    mc_sigcache_free(cache);
    mc_world_close(w);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anchor),
        cmocka_unit_test(test_anchor_custody),
        cmocka_unit_test(test_anchor_custodian_key),
        cmocka_unit_test(test_consent),
        cmocka_unit_test(test_emergency_and_access_log),
        cmocka_unit_test(test_org_admission),
        cmocka_unit_test(test_expiry_notice),
        cmocka_unit_test(test_consent_in_force_from_creation),
        cmocka_unit_test(test_access_log_decided_at_block_time),
        cmocka_unit_test(test_access_log_sigcache),
        cmocka_unit_test(test_revoked_org),
        cmocka_unit_test(test_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
