/*
 * record.anchor: a provider puts a record's metadata on the ledger (never its content).
 * An amendment names the record it supersedes; the old record stays, marked superseded, and
 * only its authoring org may amend it, once.
 *
 * The custodian is the author's own org: an org holds what its staff write, and nobody can make
 * another org's gatekeeper store or serve bytes under their record. A ciphertext hash is anchored
 * once (state key H), so a blob belongs to exactly one record and a read of one record can never
 * serve another's ciphertext. A record id may not be the patient's search-key slot
 * (mc_env_search_key_slot), where grants carry the search key. The data key of an encrypted
 * record must be wrapped for the custodian (recipient: the custodian org's id, sealed to its
 * key-release key), whose node releases it to every reader the policy permits (DESIGN.md
 * section 4); an anchor with no wrapped key at all holds metadata only (`record anchor`).
 */
#include <stdlib.h>
#include <string.h>

#include "exec_internal.h"
#include "medchain/envelope.h"

/* Whether @p b may amend the record it supersedes (read into @p old). */
static int mc_amend_check(const mc_exec_ctx *c, const mc_body_anchor *b, mc_record *old)
{
    int rc = mc_store_get_record(c->txn, &b->supersedes, old);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_FOUND;
    if (rc) return -rc;
    if (memcmp(old->patient.b, b->patient.b, 32) != 0) return MC_TXR_UNAUTHORIZED;
    if (memcmp(old->author_org.b, c->signer->org.b, 32) != 0) return MC_TXR_UNAUTHORIZED;
    /* a category-scoped deny must keep covering the record's amendments */
    if (strcmp(old->category, b->category) != 0) return MC_TXR_UNAUTHORIZED;
    if (old->has_superseded_by) return MC_TXR_SUPERSEDED;
    return MC_TXR_OK;
}

/* Marks @p old superseded by the new record @p r, which joins its amendment chain. */
static int mc_amend(const mc_exec_ctx *c, mc_record *old, mc_record *r)
{
    old->has_superseded_by = 1;
    old->superseded_by = r->id;
    r->root = old->root;
    int rc = mc_store_put_record(c->txn, old);
    return rc ? -rc : MC_TXR_OK;
}

/*
 * The custodian: an active org, the author's own; the record id not the patient's search-key
 * slot; and, for an encrypted record (one with wrapped keys), its data key wrapped for the
 * custodian (to its published release key: every reader the policy permits gets the key from
 * the custodian's node) into @p ck. An anchor with no wrapped key is metadata only.
 */
static int mc_anchor_custody(const mc_exec_ctx *c, const mc_body_anchor *b, const mc_wrapped_key **ck)
{
    mc_identity cust;
    int rc = mc_store_get_identity(c->txn, &b->custodian, &cust);
    if (rc) return rc == MC_ENOTFOUND ? MC_TXR_NOT_FOUND : -rc;
    if (cust.kind != MC_ID_ORG) return MC_TXR_NOT_FOUND;
    if (cust.status != MC_ID_ACTIVE) return MC_TXR_TARGET_REVOKED;
    mc_hash slot;
    mc_env_search_key_slot(&slot, &b->patient);
    if (memcmp(b->custodian.b, c->signer->org.b, 32) != 0 || memcmp(b->record.b, slot.b, 32) == 0)
        return MC_TXR_UNAUTHORIZED;
    *ck = mc_env_find_key(b, &b->custodian);
    return b->nkeys && !*ck ? MC_TXR_NO_CUSTODIAN_KEY : MC_TXR_OK;
}

int mc_exec_record_anchor(const mc_exec_ctx *c)
{
    mc_body_anchor *b = malloc(sizeof *b);
    if (!b) return -MC_ENOMEM;
    int code = MC_TXR_BAD_BODY, rc;
    if (mc_body_anchor_decode(b, c->tx->body.p, c->tx->body.n)) goto out;
    code = MC_TXR_UNAUTHORIZED;
    if (c->signer->kind != MC_ID_PROVIDER) goto out;
    if ((code = mc_exec_check_patient(c, &b->patient)) != MC_TXR_OK) goto out;
    const mc_wrapped_key *ck = NULL;
    if ((code = mc_anchor_custody(c, b, &ck)) != MC_TXR_OK) goto out;
    mc_record r;
    rc = mc_store_get_record(c->txn, &b->record, &r);
    code = rc == MC_OK ? MC_TXR_EXISTS : -rc;
    if (rc != MC_ENOTFOUND) goto out;
    mc_record old;
    if (b->has_supersedes && (code = mc_amend_check(c, b, &old)) != MC_TXR_OK) goto out;
    mc_skey hk; /* the last check: from here on the anchor applies */
    mc_skey_make(&hk, MC_SK_CIPHER, b->cipher_hash.b, 32, NULL, 0, NULL, 0);
    rc = mc_store_mark_new(c->txn, &hk);
    code = rc == MC_EEXIST ? MC_TXR_EXISTS : -rc;
    if (rc) goto out;

    memset(&r, 0, sizeof r);
    r.id = b->record;
    r.anchor_tx = c->tx->id;
    r.patient = b->patient;
    r.custodian = b->custodian;
    r.author = c->signer->id;
    r.author_org = c->signer->org;
    memcpy(r.category, b->category, sizeof r.category);
    r.sensitivity = b->sensitivity;
    r.cipher_hash = b->cipher_hash;
    r.commitment = b->commitment;
    r.size = b->size;
    r.root = b->record;
    r.has_supersedes = b->has_supersedes;
    r.supersedes = b->supersedes;
    r.height = c->height;
    r.time_ms = c->time_ms;
    if (ck) memcpy(r.custodian_key, ck->sealed, MC_SEALED_KEY_BYTES);
    if (b->has_supersedes && (code = mc_amend(c, &old, &r)) != MC_TXR_OK) goto out;
    code = -(rc = mc_store_put_record(c->txn, &r));
    for (uint32_t i = 0; i < b->ntokens && !rc; i++) {
        mc_skey k;
        mc_skey_make(&k, MC_SK_TOKEN, b->tokens[i].b, 32, b->record.b, 32, NULL, 0);
        code = -(rc = mc_store_mark(c->txn, &k));
    }
    if (!rc)
        code = mc_exec_emit(c, MC_EV_RECORD, 0, &b->patient, &c->signer->id, &c->signer->org, &b->record);
out:
    free(b);
    return code;
}
