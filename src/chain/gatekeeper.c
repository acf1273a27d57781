/*
 * org.gatekeeper: where a custodian org serves its records and the key its node releases data
 * keys with (DESIGN.md section 4), and both as held in the state.
 */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

/* "http://" or "https://" then at least one visible ASCII byte, no space, within the cap. */
static int mc_gatekeeper_url_ok(const char *u)
{
    size_t n = strnlen(u, MC_MAX_GATEKEEPER_URL + 1);
    if (n > MC_MAX_GATEKEEPER_URL) return 0;
    size_t pre = strncmp(u, "http://", 7) == 0 ? 7 : strncmp(u, "https://", 8) == 0 ? 8 : 0;
    if (!pre || n == pre) return 0;
    for (size_t i = 0; i < n; i++)
        if (u[i] <= 0x20 || u[i] >= 0x7f) return 0;
    return 1;
}

static int mc_gatekeeper_body_check(const mc_body_gatekeeper *b)
{
    if (b->nurls > MC_MAX_GATEKEEPER_URLS) return MC_ETOOBIG;
    if (b->nurls < 1) return MC_EINVAL;
    for (uint32_t i = 0; i < b->nurls; i++)
        if (!mc_gatekeeper_url_ok(b->urls[i])) return MC_EINVAL;
    return MC_OK;
}

static void mc_gatekeeper_body_enc(mc_enc *e, const mc_body_gatekeeper *b)
{
    mc_enc_fixed(e, b->release_pk.b, 32);
    mc_enc_u32(e, b->nurls);
    for (uint32_t i = 0; i < b->nurls; i++) mc_enc_str(e, b->urls[i], MC_MAX_GATEKEEPER_URL);
}

static void mc_gatekeeper_body_dec(mc_dec *d, mc_body_gatekeeper *b)
{
    mc_dec_fixed(d, b->release_pk.b, 32);
    b->nurls = mc_dec_count(d, MC_MAX_GATEKEEPER_URLS);
    for (uint32_t i = 0; i < b->nurls && !d->err; i++) mc_dec_str(d, b->urls[i], sizeof b->urls[i]);
}

int mc_body_gatekeeper_encode(mc_buf *out, const mc_body_gatekeeper *b)
{
    int rc = mc_gatekeeper_body_check(b);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_gatekeeper_body_enc(&e, b);
    return mc_enc_done(&e);
}

int mc_body_gatekeeper_decode(mc_body_gatekeeper *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    mc_gatekeeper_body_dec(&d, b);
    return mc_chain_dec_end(&d, b, sizeof *b, mc_gatekeeper_body_check(b));
}

int mc_gatekeeper_encode(mc_buf *out, const mc_gatekeeper *g)
{
    int rc = mc_gatekeeper_body_check(&g->body);
    if (rc) return rc;
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, g->org.b, 32);
    mc_enc_fixed(&e, g->by.b, 32);
    mc_gatekeeper_body_enc(&e, &g->body);
    mc_enc_u64(&e, g->height);
    return mc_enc_done(&e);
}

int mc_gatekeeper_decode(mc_gatekeeper *g, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(g, 0, sizeof *g);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, g->org.b, 32);
    mc_dec_fixed(&d, g->by.b, 32);
    mc_gatekeeper_body_dec(&d, &g->body);
    g->height = mc_dec_u64(&d);
    return mc_chain_dec_end(&d, g, sizeof *g, mc_gatekeeper_body_check(&g->body));
}
