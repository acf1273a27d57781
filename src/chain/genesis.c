/* The genesis (consortium) config and the chain id derived from it. */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

int mc_chain_org_names_ok(const char *name, const char *type)
{
    /* names and types become attribute values of the org's identity */
    size_t nn = strnlen(name, MC_MAX_ATTR_VAL + 1), nt = strnlen(type, MC_MAX_ATTR_VAL + 1);
    return nn > 0 && nt > 0 && mc_chain_attr_val_ok(name, nn) && mc_chain_attr_val_ok(type, nt);
}

static int mc_genesis_check(const mc_genesis *g)
{
    if (g->norgs == 0 || g->norgs > MC_MAX_ORGS) return MC_EINVAL;
    if (g->nvalidators == 0 || g->nvalidators > MC_MAX_VALIDATORS) return MC_EINVAL;
    if (g->threshold == 0 || g->threshold > g->norgs) return MC_EINVAL;
    if (g->name[0] == 0) return MC_EINVAL;
    for (uint32_t i = 0; i < g->nvalidators; i++)
        if (g->validators[i].org >= g->norgs) return MC_EINVAL;
    for (uint32_t i = 0; i < g->norgs; i++)
        if (!mc_chain_org_names_ok(g->orgs[i].name, g->orgs[i].type)) return MC_EINVAL;
    /* the same key twice would give two members one id */
    for (uint32_t i = 0; i < g->norgs; i++)
        for (uint32_t j = i + 1; j < g->norgs; j++)
            if (memcmp(g->orgs[i].sign_pk.b, g->orgs[j].sign_pk.b, 32) == 0) return MC_EINVAL;
    for (uint32_t i = 0; i < g->nvalidators; i++) {
        for (uint32_t j = i + 1; j < g->nvalidators; j++)
            if (memcmp(g->validators[i].sign_pk.b, g->validators[j].sign_pk.b, 32) == 0) return MC_EINVAL;
        for (uint32_t j = 0; j < g->norgs; j++) /* a node must not share an org's id */
            if (memcmp(g->validators[i].sign_pk.b, g->orgs[j].sign_pk.b, 32) == 0) return MC_EINVAL;
    }
    return MC_OK;
}

int mc_genesis_encode(mc_buf *out, const mc_genesis *g)
{
    int rc = mc_genesis_check(g);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_str(&e, g->name, MC_MAX_NAME);
    mc_enc_u64(&e, g->time_ms);
    mc_enc_u32(&e, g->threshold);
    mc_enc_u32(&e, g->norgs);
    for (uint32_t i = 0; i < g->norgs; i++) {
        mc_enc_str(&e, g->orgs[i].name, MC_MAX_ATTR_VAL);
        mc_enc_str(&e, g->orgs[i].type, MC_MAX_ATTR_VAL);
        mc_enc_fixed(&e, g->orgs[i].sign_pk.b, 32);
        mc_enc_fixed(&e, g->orgs[i].box_pk.b, 32);
    }
    mc_enc_u32(&e, g->nvalidators);
    for (uint32_t i = 0; i < g->nvalidators; i++) {
        mc_enc_u32(&e, g->validators[i].org);
        mc_enc_fixed(&e, g->validators[i].sign_pk.b, 32);
        mc_enc_fixed(&e, g->validators[i].box_pk.b, 32);
    }
    return mc_enc_done(&e);
}

int mc_genesis_decode(mc_genesis *g, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(g, 0, sizeof *g);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_str(&d, g->name, sizeof g->name);
    g->time_ms = mc_dec_u64(&d);
    g->threshold = mc_dec_u32(&d);
    g->norgs = mc_dec_count(&d, MC_MAX_ORGS);
    for (uint32_t i = 0; i < g->norgs && !d.err; i++) {
        mc_dec_str(&d, g->orgs[i].name, sizeof g->orgs[i].name);
        mc_dec_str(&d, g->orgs[i].type, sizeof g->orgs[i].type);
        mc_dec_fixed(&d, g->orgs[i].sign_pk.b, 32);
        mc_dec_fixed(&d, g->orgs[i].box_pk.b, 32);
    }
    g->nvalidators = mc_dec_count(&d, MC_MAX_VALIDATORS);
    for (uint32_t i = 0; i < g->nvalidators && !d.err; i++) {
        g->validators[i].org = mc_dec_u32(&d);
        mc_dec_fixed(&d, g->validators[i].sign_pk.b, 32);
        mc_dec_fixed(&d, g->validators[i].box_pk.b, 32);
    }
    int rc = mc_dec_done(&d);
    if (!rc) rc = mc_genesis_check(g);
    if (rc) memset(g, 0, sizeof *g);
    return rc;
}

void mc_genesis_chain_id(mc_hash *chain, const uint8_t *genesis, size_t n)
{
    mc_hash_tagged(chain, "medchain/chain", genesis, n);
}
