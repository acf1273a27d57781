/* Org admission: the org.propose and org.approve bodies and proposals as held in the state. */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

static int mc_org_propose_check(const mc_body_org_propose *b)
{
    if (!mc_chain_org_names_ok(b->name, b->type) || !mc_chain_flag_ok(b->has_node)) return MC_EINVAL;
    /* the node signs batches and attestations: its key must not be the org's own */
    if (b->has_node && memcmp(b->node_sign_pk.b, b->sign_pk.b, 32) == 0) return MC_EINVAL;
    return MC_OK;
}

static void mc_org_propose_enc(mc_enc *e, const mc_body_org_propose *b)
{
    mc_enc_str(e, b->name, MC_MAX_ATTR_VAL);
    mc_enc_str(e, b->type, MC_MAX_ATTR_VAL);
    mc_enc_fixed(e, b->sign_pk.b, 32);
    mc_enc_fixed(e, b->box_pk.b, 32);
    mc_enc_u8(e, b->has_node);
    if (b->has_node) {
        mc_enc_fixed(e, b->node_sign_pk.b, 32);
        mc_enc_fixed(e, b->node_box_pk.b, 32);
    }
}

static void mc_org_propose_dec(mc_dec *d, mc_body_org_propose *b)
{
    mc_dec_str(d, b->name, sizeof b->name);
    mc_dec_str(d, b->type, sizeof b->type);
    mc_dec_fixed(d, b->sign_pk.b, 32);
    mc_dec_fixed(d, b->box_pk.b, 32);
    b->has_node = mc_dec_u8(d);
    if (b->has_node == 1) {
        mc_dec_fixed(d, b->node_sign_pk.b, 32);
        mc_dec_fixed(d, b->node_box_pk.b, 32);
    }
}

int mc_body_org_propose_encode(mc_buf *out, const mc_body_org_propose *b)
{
    int rc = mc_org_propose_check(b);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_org_propose_enc(&e, b);
    return mc_enc_done(&e);
}

int mc_body_org_propose_decode(mc_body_org_propose *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_org_propose_dec(&d, b);
    return mc_chain_dec_end(&d, b, sizeof *b, mc_org_propose_check(b));
}

int mc_body_org_approve_encode(mc_buf *out, const mc_body_org_approve *b)
{
    return mc_chain_txref_encode(out, &b->proposal);
}

int mc_body_org_approve_decode(mc_body_org_approve *b, const uint8_t *p, size_t n)
{
    return mc_chain_txref_decode(&b->proposal, p, n);
}

static int mc_proposal_check(const mc_proposal *pr)
{
    if (pr->napprovals > MC_MAX_APPROVALS) return MC_ETOOBIG;
    if (pr->threshold < 1 || !mc_chain_flag_ok(pr->admitted)) return MC_EINVAL;
    return mc_org_propose_check(&pr->org);
}

int mc_proposal_encode(mc_buf *out, const mc_proposal *pr)
{
    int rc = mc_proposal_check(pr);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, pr->id.b, 32);
    mc_org_propose_enc(&e, &pr->org);
    mc_enc_u8(&e, pr->admitted);
    mc_enc_u32(&e, pr->threshold);
    /* in the order they approved: a list, not a set */
    mc_enc_u32(&e, pr->napprovals);
    for (uint32_t i = 0; i < pr->napprovals; i++) mc_enc_fixed(&e, pr->approvals[i].b, 32);
    mc_enc_u64(&e, pr->height);
    return mc_enc_done(&e);
}

int mc_proposal_decode(mc_proposal *pr, const uint8_t *in, size_t n)
{
    mc_dec d;
    memset(pr, 0, sizeof *pr);
    mc_dec_init(&d, in, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, pr->id.b, 32);
    mc_org_propose_dec(&d, &pr->org);
    pr->admitted = mc_dec_u8(&d);
    pr->threshold = mc_dec_u32(&d);
    pr->napprovals = mc_dec_count(&d, MC_MAX_APPROVALS);
    for (uint32_t i = 0; i < pr->napprovals && !d.err; i++) mc_dec_fixed(&d, pr->approvals[i].b, 32);
    pr->height = mc_dec_u64(&d);
    return mc_chain_dec_end(&d, pr, sizeof *pr, mc_proposal_check(pr));
}
