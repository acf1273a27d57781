/*
 * libFuzzer target: a stored block (mc_block_decode) with its header (mc_header_decode) and
 * the batch or genesis config it carries; the same bytes also as a bare header, an attestation
 * of a header, a genesis config and an identity record. Everything accepted must encode back to
 * the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static void mc_fuzz_header(const uint8_t *p, size_t n)
{
    mc_header h;
    if (mc_header_decode(&h, p, n) != MC_OK) return;
    MC_FUZZ_CHECK(n == MC_HEADER_BYTES);
    uint8_t tmp[MC_HEADER_BYTES];
    mc_buf out;
    mc_buf_init(&out, MC_HEADER_BYTES);
    MC_FUZZ_CHECK(mc_header_encode(&out, &h) == MC_OK);
    mc_fuzz_same(&out, p, n);
    memcpy(tmp, out.p, out.n);
    mc_buf_free(&out);
    mc_hash a, b;
    mc_header_hash(&a, &h);
    mc_hash_tagged(&b, "medchain/header", tmp, sizeof tmp);
    MC_FUZZ_CHECK(memcmp(a.b, b.b, 32) == 0);
}

static void mc_fuzz_attest(const uint8_t *p, size_t n)
{
    mc_attest a;
    if (mc_attest_decode(&a, p, n) != MC_OK) {
        MC_FUZZ_CHECK(mc_fuzz_zero(&a, sizeof a));
        return;
    }
    MC_FUZZ_CHECK(n == MC_ATTEST_BYTES);
    mc_buf out;
    mc_buf_init(&out, MC_ATTEST_BYTES);
    MC_FUZZ_CHECK(mc_attest_encode(&out, &a) == MC_OK);
    mc_fuzz_same(&out, p, n);
    mc_buf_free(&out);
    /* verifying arbitrary bytes (here against a key that is not the validator's) fails cleanly */
    mc_sign_pk pk;
    memcpy(pk.b, a.validator.b, 32);
    int rc = mc_attest_verify(&a, &a.chain, a.height, &a.header_hash, &pk);
    MC_FUZZ_CHECK(rc == MC_OK || rc == MC_EBADSIG);
}

static void mc_fuzz_block(const uint8_t *p, size_t n)
{
    mc_block blk;
    if (mc_block_decode(&blk, p, n) != MC_OK) return;
    MC_FUZZ_CHECK(blk.nresults == blk.header.ntx);
    mc_fuzz_header(p, MC_HEADER_BYTES);
    uint16_t *res = malloc((blk.nresults ? blk.nresults : 1) * sizeof *res);
    MC_FUZZ_CHECK(res != NULL);
    for (uint32_t i = 0; i < blk.nresults; i++) res[i] = mc_block_result(&blk, i);
    MC_FUZZ_CHECK(mc_block_result(&blk, blk.nresults) == 0xffff);
    mc_buf out;
    mc_buf_init(&out, (size_t)MC_MAX_BATCH_BYTES + 65536);
    MC_FUZZ_CHECK(mc_block_encode(&out, &blk.header, blk.batch.p, blk.batch.n, res, blk.nresults) == MC_OK);
    mc_fuzz_same(&out, p, n);
    mc_buf_free(&out);
    free(res);
    /* block 0 carries the genesis config, every other block a batch */
    if (blk.header.height == 0)
        mc_fuzz_genesis(blk.batch.p, blk.batch.n);
    else
        mc_fuzz_batch(blk.batch.p, blk.batch.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_fuzz_init();
    mc_fuzz_block(data, size);
    mc_fuzz_header(data, size);
    mc_fuzz_attest(data, size);
    mc_fuzz_genesis(data, size);
    mc_fuzz_bodies(data, size);
    return 0;
}
