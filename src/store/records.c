/* Typed records: the key layout of every table (docs/format.md, "Storage"). */
#include <string.h>

#include "medchain/store.h"
#include "store_internal.h"

static void mc_state_key(uint8_t key[33], uint8_t type, const uint8_t id[32])
{
    key[0] = type;
    memcpy(key + 1, id, 32);
}

static int mc_get_u64(mc_store_txn *txn, int table, const void *key, size_t nkey, uint64_t *out)
{
    mc_slice v;
    *out = 0;
    int rc = mc_store_get(txn, table, key, nkey, &v);
    if (rc) return rc;
    if (v.n != 8) return MC_ECORRUPT;
    *out = mc_get_u64be(v.p);
    return MC_OK;
}

static int mc_put_u64(mc_store_txn *txn, int table, const void *key, size_t nkey, uint64_t val)
{
    uint8_t b[8];
    mc_put_u64be(b, val);
    return mc_store_put(txn, table, key, nkey, b, 8);
}

int mc_store_height_hash_get(mc_store_txn *txn, int table, const char *key, uint64_t *height, mc_hash *hash)
{
    mc_slice v;
    *height = 0;
    memset(hash, 0, sizeof *hash);
    int rc = mc_store_get(txn, table, key, strlen(key), &v);
    if (rc) return rc;
    if (v.n != 40) return MC_ECORRUPT;
    *height = mc_get_u64be(v.p);
    memcpy(hash->b, v.p + 8, 32);
    return MC_OK;
}

int mc_store_height_hash_put(mc_store_txn *txn, int table, const char *key, uint64_t height,
                             const mc_hash *hash)
{
    uint8_t b[40];
    mc_put_u64be(b, height);
    memcpy(b + 8, hash->b, 32);
    return mc_store_put(txn, table, key, strlen(key), b, sizeof b);
}

int mc_store_get_tip(mc_store_txn *txn, uint64_t *height, mc_hash *hash)
{
    return mc_store_height_hash_get(txn, MC_T_META, "tip", height, hash);
}

int mc_store_put_tip(mc_store_txn *txn, uint64_t height, const mc_hash *hash)
{
    return mc_store_height_hash_put(txn, MC_T_META, "tip", height, hash);
}

int mc_store_get_meta(mc_store_txn *txn, const char *name, mc_slice *val)
{
    return mc_store_get(txn, MC_T_META, name, strlen(name), val);
}

int mc_store_put_meta(mc_store_txn *txn, const char *name, const void *val, size_t n)
{
    return mc_store_put(txn, MC_T_META, name, strlen(name), val, n);
}

/* A value of @p table keyed by a height (u64 BE). */
static int mc_height_get(mc_store_txn *txn, int table, uint64_t height, mc_slice *val)
{
    uint8_t k[8];
    mc_put_u64be(k, height);
    return mc_store_get(txn, table, k, 8, val);
}

static int mc_height_put(mc_store_txn *txn, int table, uint64_t height, const void *val, size_t n)
{
    uint8_t k[8];
    mc_put_u64be(k, height);
    return mc_store_put(txn, table, k, 8, val, n);
}

int mc_store_get_block(mc_store_txn *txn, uint64_t height, mc_slice *block)
{
    return mc_height_get(txn, MC_T_BLOCKS, height, block);
}

int mc_store_put_block(mc_store_txn *txn, uint64_t height, const void *block, size_t n)
{
    return mc_height_put(txn, MC_T_BLOCKS, height, block, n);
}

int mc_store_get_block_pos(mc_store_txn *txn, uint64_t height, mc_slice *pos)
{
    return mc_height_get(txn, MC_T_BPOS, height, pos);
}

int mc_store_put_block_pos(mc_store_txn *txn, uint64_t height, const void *pos, size_t n)
{
    /* no position (none known): nothing kept */
    return n ? mc_height_put(txn, MC_T_BPOS, height, pos, n) : MC_OK;
}

int mc_store_get_txloc(mc_store_txn *txn, const mc_hash *txid, uint64_t *height, uint32_t *index)
{
    mc_slice v;
    *height = 0;
    *index = 0;
    int rc = mc_store_get(txn, MC_T_TXIDX, txid->b, 32, &v);
    if (rc) return rc;
    if (v.n != 12) return MC_ECORRUPT;
    *height = mc_get_u64be(v.p);
    *index = mc_get_u32be(v.p + 8);
    return MC_OK;
}

static void mc_txloc_val(uint8_t b[12], uint64_t height, uint32_t index)
{
    mc_put_u64be(b, height);
    mc_put_u32be(b + 8, index);
}

int mc_store_put_txloc(mc_store_txn *txn, const mc_hash *txid, uint64_t height, uint32_t index)
{
    uint8_t b[12];
    mc_txloc_val(b, height, index);
    return mc_store_put_new(txn, MC_T_TXIDX, txid->b, 32, b, sizeof b);
}

int mc_store_put_txloc_over(mc_store_txn *txn, const mc_hash *txid, uint64_t height, uint32_t index)
{
    uint8_t b[12];
    mc_txloc_val(b, height, index);
    return mc_store_put(txn, MC_T_TXIDX, txid->b, 32, b, sizeof b);
}

int mc_store_get_identity(mc_store_txn *txn, const mc_id *id, mc_identity *out)
{
    uint8_t k[33];
    mc_slice v;
    mc_state_key(k, MC_SK_IDENTITY, id->b);
    int rc = mc_store_get(txn, MC_T_STATE, k, sizeof k, &v);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    rc = mc_identity_decode(out, v.p, v.n);
    if (rc) return MC_ECORRUPT;
    /* the key and the record must agree, or a swapped value would pass for another id */
    return memcmp(out->id.b, id->b, 32) == 0 ? MC_OK : MC_ECORRUPT;
}

int mc_store_put_identity(mc_store_txn *txn, const mc_identity *idn)
{
    uint8_t k[33], tmp[4096];
    mc_buf b = {tmp, 0, sizeof tmp, sizeof tmp - 1}; /* stack-backed: an identity fits */
    mc_state_key(k, MC_SK_IDENTITY, idn->id.b);
    int rc = mc_identity_encode(&b, idn);
    if (rc) return rc;
    return mc_store_put(txn, MC_T_STATE, k, sizeof k, b.p, b.n);
}

int mc_store_org_active(mc_store_txn *txn, const mc_identity *idn)
{
    if (idn->kind == MC_ID_PATIENT) return 1;
    if (idn->kind == MC_ID_ORG) return idn->status == MC_ID_ACTIVE;
    mc_identity org;
    int rc = mc_store_get_identity(txn, &idn->org, &org);
    if (rc == MC_ENOTFOUND) return 0;
    if (rc) return -rc;
    return org.status == MC_ID_ACTIVE;
}

int mc_store_get_nonce(mc_store_txn *txn, const mc_id *id, uint64_t *nonce)
{
    uint8_t k[33];
    mc_state_key(k, MC_SK_NONCE, id->b);
    int rc = mc_get_u64(txn, MC_T_STATE, k, sizeof k, nonce);
    return rc == MC_ENOTFOUND ? MC_OK : rc;
}

int mc_store_put_nonce(mc_store_txn *txn, const mc_id *id, uint64_t nonce)
{
    uint8_t k[33];
    mc_state_key(k, MC_SK_NONCE, id->b);
    return mc_put_u64(txn, MC_T_STATE, k, sizeof k, nonce);
}

int mc_store_get_validator(mc_store_txn *txn, const mc_id *node, uint64_t *last_time_ms)
{
    uint8_t k[33];
    mc_state_key(k, MC_SK_VALIDATOR, node->b);
    return mc_get_u64(txn, MC_T_STATE, k, sizeof k, last_time_ms);
}

int mc_store_put_validator(mc_store_txn *txn, const mc_id *node, uint64_t last_time_ms)
{
    uint8_t k[33];
    mc_state_key(k, MC_SK_VALIDATOR, node->b);
    return mc_put_u64(txn, MC_T_STATE, k, sizeof k, last_time_ms);
}

int mc_store_get_batch_seen(mc_store_txn *txn, const mc_hash *batch, uint64_t *height)
{
    uint8_t k[33];
    mc_state_key(k, MC_SK_BATCH, batch->b);
    return mc_get_u64(txn, MC_T_STATE, k, sizeof k, height);
}

int mc_store_put_batch_seen(mc_store_txn *txn, const mc_hash *batch, uint64_t height)
{
    uint8_t k[33];
    mc_state_key(k, MC_SK_BATCH, batch->b);
    return mc_put_u64(txn, MC_T_STATE, k, sizeof k, height);
}
