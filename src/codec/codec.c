/* The canonical encoding: fixed-width big-endian integers, u32-prefixed byte strings. */
#include <string.h>

#include "medchain/codec.h"

void mc_enc_init(mc_enc *e, mc_buf *out)
{
    e->out = out;
    e->err = MC_OK;
}

void mc_enc_fixed(mc_enc *e, const void *p, size_t n)
{
    if (e->err) return;
    e->err = mc_buf_append(e->out, p, n);
}

void mc_enc_u8(mc_enc *e, uint8_t v)
{
    mc_enc_fixed(e, &v, 1);
}

void mc_enc_u16(mc_enc *e, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    mc_enc_fixed(e, b, 2);
}

void mc_enc_u32(mc_enc *e, uint32_t v)
{
    uint8_t b[4];
    mc_put_u32be(b, v);
    mc_enc_fixed(e, b, 4);
}

void mc_enc_u64(mc_enc *e, uint64_t v)
{
    uint8_t b[8];
    mc_put_u64be(b, v);
    mc_enc_fixed(e, b, 8);
}

void mc_enc_bool(mc_enc *e, int v)
{
    mc_enc_u8(e, v ? 1 : 0);
}

void mc_enc_bytes(mc_enc *e, const void *p, size_t n, size_t max)
{
    if (e->err) return;
    if (n > max || n > UINT32_MAX) {
        e->err = MC_ETOOBIG;
        return;
    }
    mc_enc_u32(e, (uint32_t)n);
    mc_enc_fixed(e, p, n);
}

void mc_enc_str(mc_enc *e, const char *s, size_t max)
{
    mc_enc_bytes(e, s, s ? strlen(s) : 0, max);
}

int mc_enc_done(const mc_enc *e)
{
    return e->err;
}

void mc_dec_init(mc_dec *d, const void *p, size_t n)
{
    d->p = p;
    d->n = p ? n : 0;
    d->off = 0;
    d->err = MC_OK;
}

void mc_dec_fail(mc_dec *d, int rc)
{
    if (!d->err) d->err = rc;
}

size_t mc_dec_left(const mc_dec *d)
{
    return d->err ? 0 : d->n - d->off;
}

/* Returns a pointer to the next n bytes and advances, or NULL (and fails) if short. */
static const uint8_t *mc_dec_take(mc_dec *d, size_t n)
{
    if (d->err) return NULL;
    if (n > d->n - d->off) {
        d->err = MC_EINVAL;
        return NULL;
    }
    const uint8_t *p = d->p + d->off;
    d->off += n;
    return p;
}

uint8_t mc_dec_u8(mc_dec *d)
{
    const uint8_t *p = mc_dec_take(d, 1);
    return p ? p[0] : 0;
}

uint16_t mc_dec_u16(mc_dec *d)
{
    const uint8_t *p = mc_dec_take(d, 2);
    return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t mc_dec_u32(mc_dec *d)
{
    const uint8_t *p = mc_dec_take(d, 4);
    return p ? mc_get_u32be(p) : 0;
}

uint64_t mc_dec_u64(mc_dec *d)
{
    const uint8_t *p = mc_dec_take(d, 8);
    return p ? mc_get_u64be(p) : 0;
}

int mc_dec_bool(mc_dec *d)
{
    uint8_t v = mc_dec_u8(d);
    if (v > 1) mc_dec_fail(d, MC_EINVAL);
    return v == 1;
}

void mc_dec_fixed(mc_dec *d, void *out, size_t n)
{
    const uint8_t *p = mc_dec_take(d, n);
    if (p)
        memcpy(out, p, n);
    else
        memset(out, 0, n);
}

mc_slice mc_dec_bytes(mc_dec *d, size_t max)
{
    mc_slice s = {NULL, 0};
    uint32_t n = mc_dec_u32(d);
    if (d->err) return s;
    if (n > max) {
        d->err = MC_ETOOBIG;
        return s;
    }
    const uint8_t *p = mc_dec_take(d, n);
    if (p) {
        s.p = p;
        s.n = n;
    }
    return s;
}

void mc_dec_str(mc_dec *d, char *out, size_t cap)
{
    if (cap) out[0] = 0;
    mc_slice s = mc_dec_bytes(d, cap ? cap - 1 : 0);
    if (d->err) return;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < 0x20 || s.p[i] == 0x7f) {
            d->err = MC_EINVAL;
            return;
        }
    }
    if (s.n) memcpy(out, s.p, s.n); /* an empty string may come with no pointer */
    out[s.n] = 0;
}

uint32_t mc_dec_count(mc_dec *d, uint32_t max)
{
    uint32_t n = mc_dec_u32(d);
    if (!d->err && n > max) d->err = MC_ETOOBIG;
    return d->err ? 0 : n;
}

int mc_dec_done(const mc_dec *d)
{
    if (d->err) return d->err;
    return d->off == d->n ? MC_OK : MC_EINVAL;
}
