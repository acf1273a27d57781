/* Typed state records for records, consent, break-glass, the access history and org admission. */
#include <string.h>

#include "medchain/store.h"

/* Puts the encoding in @p b (then frees it) under @p k. */
static int mc_put_encoded(mc_store_txn *txn, const mc_skey *k, mc_buf *b, int rc)
{
    if (!rc) rc = mc_store_put(txn, MC_T_STATE, k->b, k->n, b->p, b->n);
    mc_buf_free(b);
    return rc;
}

static int mc_get_value(mc_store_txn *txn, const mc_skey *k, mc_slice *v)
{
    return mc_store_get(txn, MC_T_STATE, k->b, k->n, v);
}

/* A value that does not decode, or names another id than its key, is damage. */
static int mc_check(int rc, const void *want, const void *got)
{
    if (rc) return rc == MC_ENOTFOUND ? rc : MC_ECORRUPT;
    return memcmp(want, got, 32) == 0 ? MC_OK : MC_ECORRUPT;
}

int mc_store_get_record(mc_store_txn *txn, const mc_hash *id, mc_record *out)
{
    mc_skey k;
    mc_slice v;
    mc_skey_make(&k, MC_SK_RECORD, id->b, 32, NULL, 0, NULL, 0);
    int rc = mc_get_value(txn, &k, &v);
    if (!rc && mc_record_decode(out, v.p, v.n)) rc = MC_ECORRUPT;
    rc = mc_check(rc, id->b, out->id.b);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int mc_store_put_record(mc_store_txn *txn, const mc_record *r)
{
    mc_skey k;
    mc_buf b;
    mc_buf_init(&b, MC_MAX_BODY_BYTES);
    mc_skey_make(&k, MC_SK_PATIENT_RECORD, r->patient.b, 32, r->id.b, 32, NULL, 0);
    int rc = mc_store_mark(txn, &k);
    mc_skey_make(&k, MC_SK_RECORD, r->id.b, 32, NULL, 0, NULL, 0);
    return mc_put_encoded(txn, &k, &b, rc ? rc : mc_record_encode(&b, r));
}

int mc_store_get_consent(mc_store_txn *txn, const mc_hash *id, mc_consent *out)
{
    mc_skey k;
    mc_slice v;
    mc_skey_make(&k, MC_SK_CONSENT, id->b, 32, NULL, 0, NULL, 0);
    int rc = mc_get_value(txn, &k, &v);
    if (!rc && mc_consent_decode(out, v.p, v.n)) rc = MC_ECORRUPT;
    rc = mc_check(rc, id->b, out->id.b);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int mc_store_put_consent(mc_store_txn *txn, const mc_consent *c)
{
    mc_skey k;
    mc_buf b;
    uint8_t end[8];
    mc_buf_init(&b, MC_MAX_BODY_BYTES);
    mc_put_u64be(end, c->body.not_after);
    mc_skey_make(&k, MC_SK_PATIENT_CONSENT, c->body.patient.b, 32, c->id.b, 32, NULL, 0);
    int rc = mc_store_mark(txn, &k);
    mc_skey_make(&k, MC_SK_CONSENT_END, end, 8, c->id.b, 32, NULL, 0);
    if (!rc) rc = mc_store_mark(txn, &k);
    mc_skey_make(&k, MC_SK_CONSENT, c->id.b, 32, NULL, 0, NULL, 0);
    return mc_put_encoded(txn, &k, &b, rc ? rc : mc_consent_encode(&b, c));
}

int mc_store_get_delegate(mc_store_txn *txn, const mc_id *patient, const mc_id *delegate, mc_delegate *out)
{
    mc_skey k;
    mc_slice v;
    mc_skey_make(&k, MC_SK_DELEGATE, patient->b, 32, delegate->b, 32, NULL, 0);
    int rc = mc_get_value(txn, &k, &v);
    if (!rc && mc_delegate_decode(out, v.p, v.n)) rc = MC_ECORRUPT;
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int mc_store_put_delegate(mc_store_txn *txn, const mc_id *patient, const mc_id *delegate,
                          const mc_delegate *d)
{
    mc_skey k;
    mc_buf b;
    mc_buf_init(&b, 256);
    mc_skey_make(&k, MC_SK_DELEGATE, patient->b, 32, delegate->b, 32, NULL, 0);
    return mc_put_encoded(txn, &k, &b, mc_delegate_encode(&b, d));
}

int mc_store_get_emergency(mc_store_txn *txn, const mc_hash *id, mc_emergency *out)
{
    mc_skey k;
    mc_slice v;
    mc_skey_make(&k, MC_SK_EMERGENCY, id->b, 32, NULL, 0, NULL, 0);
    int rc = mc_get_value(txn, &k, &v);
    if (!rc && mc_emergency_decode(out, v.p, v.n)) rc = MC_ECORRUPT;
    rc = mc_check(rc, id->b, out->id.b);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int mc_store_put_emergency(mc_store_txn *txn, const mc_emergency *e)
{
    mc_skey k;
    mc_buf b;
    mc_buf_init(&b, 1024);
    mc_skey_make(&k, MC_SK_PATIENT_EMERGENCY, e->patient.b, 32, e->provider.b, 32, e->id.b, 32);
    int rc = mc_store_mark(txn, &k);
    mc_skey_make(&k, MC_SK_EMERGENCY, e->id.b, 32, NULL, 0, NULL, 0);
    return mc_put_encoded(txn, &k, &b, rc ? rc : mc_emergency_encode(&b, e));
}

/* An access entry's position: height u64 | index u32 | sub u16, big-endian (key order). */
static void mc_access_pos(uint8_t pos[14], uint64_t height, uint32_t index, uint16_t sub)
{
    mc_put_u64be(pos, height);
    mc_put_u32be(pos + 8, index);
    pos[12] = (uint8_t)(sub >> 8);
    pos[13] = (uint8_t)sub;
}

static void mc_access_key(mc_skey *k, const mc_id *patient, uint64_t height, uint32_t index, uint16_t sub)
{
    uint8_t pos[14];
    mc_access_pos(pos, height, index, sub);
    mc_skey_make(k, MC_SK_ACCESS, patient->b, 32, pos, 14, NULL, 0);
}

int mc_store_put_access(mc_store_txn *txn, const mc_access *a)
{
    mc_skey k;
    mc_buf b;
    uint8_t pos[14];
    mc_buf_init(&b, 1024);
    mc_access_pos(pos, a->height, a->index, a->sub);
    mc_skey_make(&k, MC_SK_ACCESS_ALL, pos, 14, NULL, 0, NULL, 0);
    int rc = mc_store_put(txn, MC_T_STATE, k.b, k.n, a->patient.b, 32);
    mc_access_key(&k, &a->patient, a->height, a->index, a->sub);
    return mc_put_encoded(txn, &k, &b, rc ? rc : mc_access_encode(&b, a));
}

int mc_store_get_access(mc_store_txn *txn, const mc_id *patient, uint64_t height, uint32_t index,
                        uint16_t sub, mc_access *out)
{
    mc_skey k;
    mc_slice v;
    mc_access_key(&k, patient, height, index, sub);
    int rc = mc_get_value(txn, &k, &v);
    if (!rc && mc_access_decode(out, v.p, v.n)) rc = MC_ECORRUPT;
    if (!rc && (out->height != height || out->index != index || out->sub != sub)) rc = MC_ECORRUPT;
    rc = mc_check(rc, patient->b, out->patient.b);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int mc_store_get_gatekeeper(mc_store_txn *txn, const mc_id *org, mc_gatekeeper *out)
{
    mc_skey k;
    mc_slice v;
    mc_skey_make(&k, MC_SK_GATEKEEPER, org->b, 32, NULL, 0, NULL, 0);
    int rc = mc_get_value(txn, &k, &v);
    if (!rc && mc_gatekeeper_decode(out, v.p, v.n)) rc = MC_ECORRUPT;
    rc = mc_check(rc, org->b, out->org.b);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int mc_store_put_gatekeeper(mc_store_txn *txn, const mc_gatekeeper *g)
{
    mc_skey k;
    mc_buf b;
    mc_buf_init(&b, 2048);
    mc_skey_make(&k, MC_SK_GATEKEEPER, g->org.b, 32, NULL, 0, NULL, 0);
    return mc_put_encoded(txn, &k, &b, mc_gatekeeper_encode(&b, g));
}

int mc_store_get_proposal(mc_store_txn *txn, const mc_hash *id, mc_proposal *out)
{
    mc_skey k;
    mc_slice v;
    mc_skey_make(&k, MC_SK_PROPOSAL, id->b, 32, NULL, 0, NULL, 0);
    int rc = mc_get_value(txn, &k, &v);
    if (!rc && mc_proposal_decode(out, v.p, v.n)) rc = MC_ECORRUPT;
    rc = mc_check(rc, id->b, out->id.b);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

int mc_store_put_proposal(mc_store_txn *txn, const mc_proposal *p)
{
    mc_skey k;
    mc_buf b;
    mc_buf_init(&b, 8192);
    mc_skey_make(&k, MC_SK_PROPOSAL, p->id.b, 32, NULL, 0, NULL, 0);
    return mc_put_encoded(txn, &k, &b, mc_proposal_encode(&b, p));
}
