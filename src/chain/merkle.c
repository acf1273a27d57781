/*
 * Merkle trees in the shape of RFC 6962 / RFC 9162: leaves H(0x00 || data), interior nodes
 * H(0x01 || left || right), the left subtree the largest power of two below n. Unbalanced
 * trees need no duplicated leaves, so there is no CVE-2012-2459-style second root.
 */
#include <string.h>

#include "medchain/chain.h"

void mc_merkle_leaf_tx(mc_hash *out, const uint8_t *tx, size_t n)
{
    mc_sha256_ctx c;
    uint8_t prefix = 0;
    mc_sha256_init(&c);
    mc_sha256_update(&c, &prefix, 1);
    mc_sha256_update(&c, tx, n);
    mc_sha256_final(&c, out);
}

void mc_merkle_leaf_result(mc_hash *out, const mc_hash *txid, uint16_t code)
{
    uint8_t buf[35];
    buf[0] = 0;
    memcpy(buf + 1, txid->b, 32);
    buf[33] = (uint8_t)(code >> 8);
    buf[34] = (uint8_t)code;
    mc_sha256(out, buf, sizeof buf);
}

static void mc_merkle_node(mc_hash *out, const mc_hash *l, const mc_hash *r)
{
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l->b, 32);
    memcpy(buf + 33, r->b, 32);
    mc_sha256(out, buf, sizeof buf);
}

static size_t mc_split(size_t n)
{
    size_t k = 1;
    while (k << 1 < n) k <<= 1;
    return k;
}

static void mc_mth(mc_hash *out, const mc_hash *leaves, size_t n)
{
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    size_t k = mc_split(n);
    mc_hash l, r;
    mc_mth(&l, leaves, k);
    mc_mth(&r, leaves + k, n - k);
    mc_merkle_node(out, &l, &r);
}

void mc_merkle_root(mc_hash *root, const mc_hash *leaves, size_t n)
{
    if (n == 0) {
        mc_sha256(root, "", 0);
        return;
    }
    mc_mth(root, leaves, n);
}

/* PATH(m, D[n]) of RFC 6962 section 2.1.1; hashes are appended leaf-side first. */
static void mc_path(mc_merkle_proof *p, const mc_hash *leaves, size_t n, size_t m)
{
    if (n <= 1) return;
    size_t k = mc_split(n);
    mc_hash sib;
    if (m < k) {
        mc_path(p, leaves, k, m);
        mc_mth(&sib, leaves + k, n - k);
    } else {
        mc_path(p, leaves + k, n - k, m - k);
        mc_mth(&sib, leaves, k);
    }
    p->path[p->depth++] = sib;
}

int mc_merkle_prove(mc_merkle_proof *proof, const mc_hash *leaves, size_t n, size_t index)
{
    memset(proof, 0, sizeof *proof);
    if (index >= n) return MC_EINVAL;
    proof->index = index;
    proof->size = n;
    mc_path(proof, leaves, n, index);
    return MC_OK;
}

/* RFC 9162 section 2.1.3.2. */
int mc_merkle_verify(const mc_hash *leaf, const mc_merkle_proof *proof, const mc_hash *root)
{
    if (proof->index >= proof->size || proof->depth > MC_MAX_PROOF_DEPTH) return MC_EINVAL;
    uint64_t fn = proof->index, sn = proof->size - 1;
    mc_hash r = *leaf;
    for (uint32_t i = 0; i < proof->depth; i++) {
        const mc_hash *p = &proof->path[i];
        if (sn == 0) return MC_EINVAL;
        if ((fn & 1) || fn == sn) {
            mc_merkle_node(&r, p, &r);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            mc_merkle_node(&r, &r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return MC_EINVAL;
    return mc_ct_equal(r.b, root->b, 32) ? MC_OK : MC_EINVAL;
}
