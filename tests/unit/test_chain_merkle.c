/*
 * chain, part 3: Merkle roots (against an independent RFC 6962 reference), inclusion proofs
 * and request digests. The rest of the chain module: test_chain_tx.c, test_chain_block.c.
 */
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"
#include "testutil.h"

/* ------------------------------------------------------------------------------------------ */
/* Merkle trees                                                                                 */

/* RFC 6962 section 2.1, written out again independently of src/chain/merkle.c. */
static void mc_ref_node(mc_hash *out, const mc_hash *l, const mc_hash *r)
{
    mc_sha256_ctx c;
    uint8_t one = 1;
    mc_sha256_init(&c);
    mc_sha256_update(&c, &one, 1);
    mc_sha256_update(&c, l->b, 32);
    mc_sha256_update(&c, r->b, 32);
    mc_sha256_final(&c, out);
}

static void mc_ref_root(mc_hash *out, const mc_hash *leaves, size_t n)
{
    if (n == 0) {
        mc_sha256(out, NULL, 0);
        return;
    }
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    size_t k = 1;
    while (2 * k < n) k *= 2; /* the largest power of two smaller than n */
    mc_hash l, r;
    mc_ref_root(&l, leaves, k);
    mc_ref_root(&r, leaves + k, n - k);
    mc_ref_node(out, &l, &r);
}

/* Length of RFC 6962's PATH(m, D[n]). */
static uint32_t mc_ref_path_len(size_t m, size_t n)
{
    if (n <= 1) return 0;
    size_t k = 1;
    while (2 * k < n) k *= 2;
    return 1 + (m < k ? mc_ref_path_len(m, k) : mc_ref_path_len(m - k, n - k));
}

static void mc_leaf_n(mc_hash *leaf, uint32_t i)
{
    uint8_t b[4];
    mc_put_u32be(b, i);
    mc_merkle_leaf_tx(leaf, b, 4);
}

static void test_merkle_vectors(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "merkle.txt");
    mc_hash *leaves = calloc(1000, sizeof *leaves);
    assert_non_null(leaves);
    for (uint32_t i = 0; i < 1000; i++) mc_leaf_n(&leaves[i], i);
    size_t seen = 0, seenr = 0;
    const mc_test_vec *v;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "merkle", &it)); seen++) {
        uint64_t n = mc_test_vec_u64(v, "n");
        assert_true(n <= 1000);
        mc_hash want, got;
        mc_test_vec_fixed(v, "root", want.b, 32);
        mc_merkle_root(&got, leaves, n);
        assert_memory_equal(got.b, want.b, 32);
    }
    for (size_t it = 0; (v = mc_test_vec_each(&f, "leafresult", &it)); seenr++) {
        mc_hash txid, want, got;
        mc_test_vec_fixed(v, "txid", txid.b, 32);
        mc_test_vec_fixed(v, "leaf", want.b, 32);
        mc_merkle_leaf_result(&got, &txid, (uint16_t)mc_test_vec_u64(v, "code"));
        assert_memory_equal(got.b, want.b, 32);
    }
    assert_true(seen >= 10);
    assert_int_equal(seenr, 4);
    /* leaf hash: SHA-256(0x00 || data) */
    mc_hash a, b;
    mc_merkle_leaf_tx(&a, (const uint8_t *)"\x00xyz", 0);
    mc_sha256(&b, "\x00", 1);
    assert_memory_equal(a.b, b.b, 32);
    mc_merkle_leaf_tx(&a, (const uint8_t *)"xyz", 3);
    mc_sha256(&b, "\x00xyz", 4);
    assert_memory_equal(a.b, b.b, 32);
    free(leaves);
    mc_test_vec_free(&f);
}

static void test_merkle_roots_reference(void **state)
{
    (void)state;
    mc_hash leaves[17];
    memset(leaves, 0, sizeof leaves);
    for (size_t n = 0; n <= 17; n++) {
        for (size_t i = 0; i < n; i++) mc_random(leaves[i].b, 32);
        mc_hash got, want;
        mc_merkle_root(&got, leaves, n);
        mc_ref_root(&want, leaves, n);
        assert_memory_equal(got.b, want.b, 32);
        if (n >= 1) {
            /* every leaf counts, and so does the order */
            leaves[n - 1].b[0] ^= 1;
            mc_merkle_root(&got, leaves, n);
            assert_memory_not_equal(got.b, want.b, 32);
            leaves[n - 1].b[0] ^= 1;
        }
        if (n >= 2) {
            mc_hash t = leaves[0];
            leaves[0] = leaves[1];
            leaves[1] = t;
            mc_merkle_root(&got, leaves, n);
            assert_memory_not_equal(got.b, want.b, 32);
        }
    }
    /* no second preimage by duplicating the last leaf (CVE-2012-2459) */
    mc_hash three[4], r3, r4;
    for (int i = 0; i < 3; i++) mc_random(three[i].b, 32);
    three[3] = three[2];
    mc_merkle_root(&r3, three, 3);
    mc_merkle_root(&r4, three, 4);
    assert_memory_not_equal(r3.b, r4.b, 32);
}

static void mc_expect_proof_fails(const mc_hash *leaf, const mc_merkle_proof *p, const mc_hash *root)
{
    assert_rc(mc_merkle_verify(leaf, p, root), MC_EINVAL);
}

static void test_merkle_proofs(void **state)
{
    (void)state;
    enum { MAXN = 33 };
    mc_hash leaves[MAXN];
    for (uint32_t i = 0; i < MAXN; i++) mc_leaf_n(&leaves[i], i);
    size_t checked_size = 0;
    for (size_t n = 1; n <= MAXN; n++) {
        mc_hash root;
        mc_merkle_root(&root, leaves, n);
        for (size_t i = 0; i < n; i++) {
            mc_merkle_proof p, q;
            assert_ok(mc_merkle_prove(&p, leaves, n, i));
            assert_true(p.index == i && p.size == n);
            assert_int_equal(p.depth, mc_ref_path_len(i, n));
            assert_ok(mc_merkle_verify(&leaves[i], &p, &root));

            /* another leaf, another root */
            mc_hash bad = leaves[i];
            bad.b[7] ^= 1;
            mc_expect_proof_fails(&bad, &p, &root);
            bad = root;
            bad.b[0] ^= 1;
            mc_expect_proof_fails(&leaves[i], &p, &bad);
            /* every other index of the same tree */
            for (size_t j = 0; j < n + 2; j++) {
                if (j == i) continue;
                q = p;
                q.index = j;
                mc_expect_proof_fails(&leaves[i], &q, &root);
                if (j < n) mc_expect_proof_fails(&leaves[j], &q, &root);
            }
            /* another size: a different path shape must fail; a size whose path has the same
             * shape recomputes this same root, which is why a root is only ever trusted
             * together with its size (a header carries ntx beside tx_root) */
            for (size_t m = 1; m <= MAXN + 1; m++) {
                if (m == n) continue;
                q = p;
                q.size = m;
                if (i >= m || mc_ref_path_len(i, m) != p.depth) {
                    mc_expect_proof_fails(&leaves[i], &q, &root);
                    checked_size++;
                }
            }
            q = p;
            q.size = 0;
            mc_expect_proof_fails(&leaves[i], &q, &root);
            q.size = UINT64_MAX;
            mc_expect_proof_fails(&leaves[i], &q, &root);
            /* a flipped byte anywhere in the path */
            for (uint32_t d = 0; d < p.depth; d++)
                for (int byte = 0; byte < 32; byte += 31) {
                    q = p;
                    q.path[d].b[byte] ^= 0x40;
                    mc_expect_proof_fails(&leaves[i], &q, &root);
                }
            /* an extra or a missing path element */
            if (p.depth < MC_MAX_PROOF_DEPTH) {
                q = p;
                mc_random(q.path[q.depth].b, 32);
                q.depth++;
                mc_expect_proof_fails(&leaves[i], &q, &root);
                q.path[q.depth - 1] = root;
                mc_expect_proof_fails(&leaves[i], &q, &root);
            }
            if (p.depth > 0) {
                q = p;
                q.depth--;
                mc_expect_proof_fails(&leaves[i], &q, &root);
                /* missing the first element instead of the last */
                memmove(q.path, p.path + 1, q.depth * sizeof q.path[0]);
                mc_expect_proof_fails(&leaves[i], &q, &root);
            }
            q = p;
            q.depth = MC_MAX_PROOF_DEPTH + 1;
            mc_expect_proof_fails(&leaves[i], &q, &root);
        }
    }
    assert_true(checked_size > 10000);

    /* bad arguments to prove */
    mc_merkle_proof p;
    memset(&p, 0xaa, sizeof p);
    assert_rc(mc_merkle_prove(&p, leaves, 5, 5), MC_EINVAL);
    assert_int_equal(p.depth, 0);
    assert_true(p.size == 0);
    assert_rc(mc_merkle_prove(&p, leaves, 0, 0), MC_EINVAL);
    assert_rc(mc_merkle_prove(&p, NULL, 0, 0), MC_EINVAL);

    /* a large tree */
    enum { BIG = 1000 };
    mc_hash *big = calloc(BIG, sizeof *big);
    assert_non_null(big);
    for (uint32_t i = 0; i < BIG; i++) mc_leaf_n(&big[i], i);
    mc_hash root;
    mc_merkle_root(&root, big, BIG);
    static const size_t idx[] = {0, 1, 511, 512, 767, 998, 999};
    for (size_t k = 0; k < MC_ARRAY_LEN(idx); k++) {
        assert_ok(mc_merkle_prove(&p, big, BIG, idx[k]));
        assert_ok(mc_merkle_verify(&big[idx[k]], &p, &root));
        assert_int_equal(p.depth, mc_ref_path_len(idx[k], BIG));
    }
    free(big);
}

static void test_request_digest(void **state)
{
    (void)state;
    mc_test_vecfile f;
    mc_test_vec_load(&f, "chain.txt");
    const mc_test_vec *v;
    size_t seen = 0;
    for (size_t it = 0; (v = mc_test_vec_each(&f, "request", &it));) {
        mc_hash chain, body, want, got, other;
        mc_id signer;
        uint8_t nonce[MC_REQ_NONCE_BYTES];
        char method[16], path[64];
        mc_test_vec_fixed(v, "chain", chain.b, 32);
        mc_test_vec_fixed(v, "signer", signer.b, 32);
        mc_test_vec_fixed(v, "nonce", nonce, sizeof nonce);
        mc_test_vec_fixed(v, "bodyhash", body.b, 32);
        mc_test_vec_fixed(v, "digest", want.b, 32);
        mc_test_vec_text(v, "method", method, sizeof method);
        mc_test_vec_text(v, "path", path, sizeof path);
        uint64_t t = mc_test_vec_u64(v, "time");
        mc_request_digest(&got, &chain, &signer, t, nonce, method, path, &body);
        assert_memory_equal(got.b, want.b, 32);
        /* each input is bound */
        mc_request_digest(&other, &chain, &signer, t + 1, nonce, method, path, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        mc_request_digest(&other, &chain, &signer, t, nonce, "GET", path, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        /* the length prefixes keep method and path apart */
        mc_request_digest(&other, &chain, &signer, t, nonce, "POST/", path + 1, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        nonce[15] ^= 1;
        mc_request_digest(&other, &chain, &signer, t, nonce, method, path, &body);
        assert_memory_not_equal(other.b, want.b, 32);
        seen++;
    }
    assert_int_equal(seen, 1);
    mc_test_vec_free(&f);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merkle_vectors),
        cmocka_unit_test(test_merkle_roots_reference),
        cmocka_unit_test(test_merkle_proofs),
        cmocka_unit_test(test_request_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
