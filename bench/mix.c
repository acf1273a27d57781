/* The tx_commit_mix workload (mix.h). */
#include <stdlib.h>
#include <string.h>

#include "medchain/util.h"
#include "mix.h"

#define BM_TRY(x)                                                                                            \
    do {                                                                                                     \
        int rc_ = (x);                                                                                       \
        if (rc_) return rc_;                                                                                 \
    } while (0)

static void bm_who_new(bm_who *w)
{
    mc_test_key_new(&w->key);
    w->nonce = 0;
}

static int bm_tx(bm_client *m, bm_who *by, uint16_t kind, const mc_buf *body, mc_buf *tx, mc_hash *id)
{
    return mc_tx_build(tx, id, &m->c->chain, &by->key.id, ++by->nonce, kind, body->p, body->n, &by->key.sk);
}

/* Enrolment by the client's org (a patient co-signs its own). */
static int bm_register(bm_client *m, bm_who *w, uint8_t kind, const char *attrs, mc_buf *tx)
{
    mc_buf body;
    mc_id org;
    memcpy(org.b, m->org->id.b, 32);
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_test_body_register(&body, kind, &org, &w->key, attrs, kind == MC_ID_PATIENT ? &w->key : NULL,
                                   &m->c->chain);
    if (!rc)
        rc = mc_tx_build(tx, NULL, &m->c->chain, &org, ++*m->org_nonce, MC_TX_IDENTITY_REGISTER, body.p,
                         body.n, &m->org->sign_sk);
    mc_buf_free(&body);
    return rc;
}

int bm_setup(bm_client *m, tn_chain *c, const mc_keys *org, uint64_t *org_nonce)
{
    memset(m, 0, sizeof *m);
    m->c = c;
    m->org = org;
    m->org_nonce = org_nonce;
    mc_buf txs[2 + BM_PATIENTS], req, resp;
    size_t n = 0;
    int rc = MC_OK;
    for (size_t i = 0; i < MC_ARRAY_LEN(txs); i++) mc_buf_init(&txs[i], MC_MAX_TX_BYTES);
    mc_buf_init(&req, 1u << 20);
    mc_buf_init(&resp, 1u << 20);
    bm_who_new(&m->prov);
    bm_who_new(&m->node);
    if (!rc) rc = bm_register(m, &m->prov, MC_ID_PROVIDER, "role=physician", &txs[n++]);
    if (!rc) rc = bm_register(m, &m->node, MC_ID_NODE, "", &txs[n++]);
    for (int i = 0; i < BM_PATIENTS && !rc; i++) {
        bm_who_new(&m->pat[i]);
        rc = bm_register(m, &m->pat[i], MC_ID_PATIENT, "", &txs[n++]);
    }
    mc_http *h = rc ? NULL : tn_client(c, org);
    if (!rc && !h) rc = MC_EIO;
    if (!rc) {
        long st = tn_post_txs(h, "committed", txs, n, &resp);
        if (st != 200 || strstr((char *)resp.p, "\"status\":\"rejected\"") || !strstr((char *)resp.p, "OK"))
            rc = MC_EIO;
    }
    mc_http_free(h);
    for (size_t i = 0; i < MC_ARRAY_LEN(txs); i++) mc_buf_free(&txs[i]);
    mc_buf_free(&req);
    mc_buf_free(&resp);
    return rc;
}

void bm_request_done(bm_client *m)
{
    m->visible = m->nrecs;
    m->gvisible = m->ngrants;
}

static int bm_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int bm_anchor(bm_client *m, mc_buf *tx)
{
    mc_body_anchor *b = calloc(1, sizeof *b);
    mc_buf body;
    if (!b) return MC_ENOMEM;
    int j = (int)(m->k % BM_PATIENTS);
    mc_random(b->record.b, 32);
    b->patient = m->pat[j].key.id;
    memcpy(b->custodian.b, m->org->id.b, 32);
    strcpy(b->category, "cardiology");
    mc_random(b->cipher_hash.b, 32);
    mc_random(b->commitment.b, 32);
    b->size = 4096;
    b->nkeys = 1;
    b->keys[0].recipient = b->patient;
    mc_random(b->keys[0].sealed, sizeof b->keys[0].sealed);
    b->ntokens = 4;
    for (int i = 0; i < 4; i++) mc_random(b->tokens[i].b, 32);
    qsort(b->tokens, 4, sizeof b->tokens[0], bm_hash_cmp);
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_body_anchor_encode(&body, b);
    if (!rc) rc = bm_tx(m, &m->prov, MC_TX_RECORD_ANCHOR, &body, tx, NULL);
    if (!rc && m->nrecs < BM_KEEP) m->recs[m->nrecs++] = b->record;
    mc_buf_free(&body);
    free(b);
    return rc;
}

static int bm_grant(bm_client *m, mc_buf *tx)
{
    mc_body_consent *b = calloc(1, sizeof *b);
    mc_buf body;
    mc_hash id;
    if (!b) return MC_ENOMEM;
    int j = (int)((m->k * 7 + m->ngrants) % BM_PATIENTS);
    b->patient = m->pat[j].key.id;
    b->grantee_kind = MC_GRANTEE_IDENTITY;
    b->grantee = m->prov.key.id;
    b->scope_kind = MC_SCOPE_CATEGORIES;
    b->ncats = 1;
    strcpy(b->cats[0], "cardiology");
    b->purposes = MC_PURPOSE_TREAT;
    b->actions = MC_ACTION_READ | MC_ACTION_READ_META;
    b->not_before = mc_time_now_ms();
    b->not_after = b->not_before + 30ull * 24 * 3600 * 1000;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_body_consent_encode(&body, b);
    if (!rc) rc = bm_tx(m, &m->pat[j], MC_TX_CONSENT_GRANT, &body, tx, &id);
    if (!rc && m->ngrants < BM_KEEP) {
        m->grant_pat[m->ngrants] = (uint8_t)j;
        m->grants[m->ngrants++] = id;
    }
    mc_buf_free(&body);
    free(b);
    return rc;
}

static int bm_revoke(bm_client *m, mc_buf *tx)
{
    uint8_t tmp[64];
    mc_buf body = {tmp, 0, sizeof tmp, sizeof tmp};
    size_t g = m->revoked++;
    mc_body_consent_revoke b = {m->grants[g]};
    BM_TRY(mc_body_consent_revoke_encode(&body, &b));
    return bm_tx(m, &m->pat[m->grant_pat[g]], MC_TX_CONSENT_REVOKE, &body, tx, NULL);
}

/* The provider reads a record its org authored: permitted (PERMIT_AUTHOR_ORG), logged by the node. */
static int bm_access(bm_client *m, mc_buf *tx)
{
    mc_body_access_log b;
    char target[160];
    mc_hash digest, empty;
    uint8_t tmp[512];
    mc_buf body = {tmp, 0, sizeof tmp, sizeof tmp};
    memset(&b, 0, sizeof b);
    b.reader = m->prov.key.id;
    b.req_time_ms = mc_time_now_ms();
    mc_random(b.req_nonce, sizeof b.req_nonce);
    b.record = m->recs[m->k % m->visible];
    b.purpose = MC_PURPOSE_TREAT;
    b.action = MC_ACTION_READ;
    BM_TRY(mc_access_target(target, &b.record, b.purpose, b.action, MC_VIA_DECISION));
    mc_sha256(&empty, "", 0);
    mc_request_digest(&digest, &m->c->chain, &b.reader, b.req_time_ms, b.req_nonce, "POST", target, &empty);
    mc_sign(&b.req_sig, digest.b, 32, &m->prov.key.sk);
    b.permit = 1;
    b.reason = MC_RSN_PERMIT_AUTHOR_ORG;
    BM_TRY(mc_body_access_log_encode(&body, &b));
    return bm_tx(m, &m->node, MC_TX_ACCESS_LOG, &body, tx, NULL);
}

int bm_next(bm_client *m, mc_buf *tx)
{
    unsigned slot = (unsigned)(m->k++ % 10); /* 3 anchors, 3 grants, 3 reads, 1 revoke in 10 */
    if (slot == 9 && m->revoked < m->gvisible) return bm_revoke(m, tx);
    if ((slot == 2 || slot == 5 || slot == 8) && m->visible) return bm_access(m, tx);
    if (slot == 1 || slot == 4 || slot == 7 || slot == 9) return bm_grant(m, tx);
    return bm_anchor(m, tx);
}
