/* The digest a signed API request carries a signature over (DESIGN.md section 6). */
#include <string.h>

#include "medchain/chain.h"

static void mc_update_str(mc_sha256_ctx *c, const char *s)
{
    uint8_t len[4];
    size_t n = strlen(s);
    mc_put_u32be(len, (uint32_t)n);
    mc_sha256_update(c, len, 4);
    mc_sha256_update(c, s, n);
}

void mc_request_digest(mc_hash *out, const mc_hash *chain, const mc_id *signer, uint64_t time_ms,
                       const uint8_t nonce[MC_REQ_NONCE_BYTES], const char *method, const char *path,
                       const mc_hash *body_hash)
{
    mc_sha256_ctx c;
    uint8_t t[8];
    mc_hash_tagged_init(&c, "medchain/request");
    mc_sha256_update(&c, chain->b, 32);
    mc_sha256_update(&c, signer->b, 32);
    mc_put_u64be(t, time_ms);
    mc_sha256_update(&c, t, 8);
    mc_sha256_update(&c, nonce, MC_REQ_NONCE_BYTES);
    mc_update_str(&c, method);
    mc_update_str(&c, path);
    mc_sha256_update(&c, body_hash->b, 32);
    mc_sha256_final(&c, out);
}
