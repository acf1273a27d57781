/* Identities, attribute lists and the identity.* transaction bodies. */
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

int mc_chain_key_ok(const char *k, size_t n, size_t max)
{
    if (!k || n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return 0;
    }
    return 1;
}

static int mc_attr_key_ok(const char *k, size_t n)
{
    return mc_chain_key_ok(k, n, MC_MAX_ATTR_KEY);
}

int mc_chain_attr_val_ok(const char *v, size_t n)
{
    if (n > MC_MAX_ATTR_VAL) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f || v[i] == ',') return 0;
    return 1;
}

static int mc_attr_cmp(const void *a, const void *b)
{
    return strcmp(((const mc_attr *)a)->key, ((const mc_attr *)b)->key);
}

static int mc_attrs_parse_into(mc_attrs *out, const char *s)
{
    memset(out, 0, sizeof *out);
    if (!s) return MC_EINVAL;
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq) return MC_EINVAL;
        size_t kn = (size_t)(eq - s), vn = len - kn - 1;
        if (out->n == MC_MAX_ATTRS) return MC_ETOOBIG;
        if (!mc_attr_key_ok(s, kn) || !mc_chain_attr_val_ok(eq + 1, vn)) return MC_EINVAL;
        mc_attr *a = &out->a[out->n++];
        memcpy(a->key, s, kn);
        memcpy(a->val, eq + 1, vn);
        if (!end) break;
        s = end + 1;
        if (!*s) return MC_EINVAL; /* trailing comma */
    }
    qsort(out->a, out->n, sizeof out->a[0], mc_attr_cmp);
    for (uint32_t i = 1; i < out->n; i++)
        if (strcmp(out->a[i - 1].key, out->a[i].key) == 0) return MC_EINVAL;
    return MC_OK;
}

int mc_attrs_parse(mc_attrs *out, const char *s)
{
    int rc = mc_attrs_parse_into(out, s);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

const char *mc_attrs_get(const mc_attrs *a, const char *key)
{
    for (uint32_t i = 0; i < a->n; i++)
        if (strcmp(a->a[i].key, key) == 0) return a->a[i].val;
    return NULL;
}

void mc_attrs_enc(mc_enc *e, const mc_attrs *a)
{
    if (a->n > MC_MAX_ATTRS) { /* a count no decoder would accept */
        if (!e->err) e->err = MC_ETOOBIG;
        return;
    }
    mc_enc_u32(e, a->n);
    for (uint32_t i = 0; i < a->n && i < MC_MAX_ATTRS; i++) {
        mc_enc_str(e, a->a[i].key, MC_MAX_ATTR_KEY);
        mc_enc_str(e, a->a[i].val, MC_MAX_ATTR_VAL);
    }
}

int mc_chain_attrs_ok(const mc_attrs *a)
{
    if (a->n > MC_MAX_ATTRS) return 0;
    for (uint32_t i = 0; i < a->n; i++) {
        const mc_attr *x = &a->a[i];
        if (!mc_attr_key_ok(x->key, strnlen(x->key, sizeof x->key)) ||
            !mc_chain_attr_val_ok(x->val, strnlen(x->val, sizeof x->val)) ||
            (i > 0 && strcmp(a->a[i - 1].key, x->key) >= 0))
            return 0;
    }
    return 1;
}

/* Canonical: keys valid and strictly increasing, so one list has one encoding. */
void mc_attrs_dec(mc_dec *d, mc_attrs *a)
{
    memset(a, 0, sizeof *a);
    a->n = mc_dec_count(d, MC_MAX_ATTRS);
    for (uint32_t i = 0; i < a->n && !d->err; i++) {
        mc_dec_str(d, a->a[i].key, sizeof a->a[i].key);
        mc_dec_str(d, a->a[i].val, sizeof a->a[i].val);
    }
    if (!d->err && !mc_chain_attrs_ok(a)) mc_dec_fail(d, MC_EINVAL);
}

static int mc_kind_ok(int kind)
{
    return kind >= MC_ID_ORG && kind <= MC_ID_NODE;
}

int mc_identity_encode(mc_buf *out, const mc_identity *idn)
{
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_u8(&e, MC_FORMAT_VERSION);
    mc_enc_fixed(&e, idn->id.b, 32);
    mc_enc_u8(&e, idn->kind);
    mc_enc_u8(&e, idn->status);
    mc_enc_fixed(&e, idn->org.b, 32);
    mc_enc_fixed(&e, idn->sign_pk.b, 32);
    mc_enc_fixed(&e, idn->box_pk.b, 32);
    mc_enc_u64(&e, idn->registered_at);
    mc_enc_u64(&e, idn->updated_at);
    mc_enc_u16(&e, idn->revoke_reason);
    mc_attrs_enc(&e, &idn->attrs);
    return mc_enc_done(&e);
}

int mc_identity_decode(mc_identity *idn, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(idn, 0, sizeof *idn);
    mc_dec_init(&d, p, n);
    if (mc_dec_u8(&d) != MC_FORMAT_VERSION) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, idn->id.b, 32);
    idn->kind = mc_dec_u8(&d);
    idn->status = mc_dec_u8(&d);
    mc_dec_fixed(&d, idn->org.b, 32);
    mc_dec_fixed(&d, idn->sign_pk.b, 32);
    mc_dec_fixed(&d, idn->box_pk.b, 32);
    idn->registered_at = mc_dec_u64(&d);
    idn->updated_at = mc_dec_u64(&d);
    idn->revoke_reason = mc_dec_u16(&d);
    mc_attrs_dec(&d, &idn->attrs);
    if (!d.err && (!mc_kind_ok(idn->kind) || (idn->status != MC_ID_ACTIVE && idn->status != MC_ID_REVOKED)))
        mc_dec_fail(&d, MC_EINVAL);
    int rc = mc_dec_done(&d);
    if (rc) memset(idn, 0, sizeof *idn);
    return rc;
}

/* The part of a register body the patient co-signs: everything but the co-signature. */
static void mc_register_enc_unsigned(mc_enc *e, const mc_body_register *b)
{
    mc_enc_u8(e, b->kind);
    mc_enc_fixed(e, b->org.b, 32);
    mc_enc_fixed(e, b->sign_pk.b, 32);
    mc_enc_fixed(e, b->box_pk.b, 32);
    mc_attrs_enc(e, &b->attrs);
}

int mc_body_register_encode(mc_buf *out, const mc_body_register *b)
{
    mc_enc e;
    mc_enc_init(&e, out);
    mc_register_enc_unsigned(&e, b);
    mc_enc_bool(&e, b->has_cosig);
    if (b->has_cosig) mc_enc_fixed(&e, b->cosig.b, 64);
    return mc_enc_done(&e);
}

int mc_body_register_decode(mc_body_register *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    memset(b, 0, sizeof *b);
    mc_dec_init(&d, p, n);
    b->kind = mc_dec_u8(&d);
    if (!d.err && !mc_kind_ok(b->kind)) mc_dec_fail(&d, MC_EINVAL);
    mc_dec_fixed(&d, b->org.b, 32);
    mc_dec_fixed(&d, b->sign_pk.b, 32);
    mc_dec_fixed(&d, b->box_pk.b, 32);
    mc_attrs_dec(&d, &b->attrs);
    b->has_cosig = mc_dec_bool(&d);
    if (b->has_cosig) mc_dec_fixed(&d, b->cosig.b, 64);
    int rc = mc_dec_done(&d);
    if (rc) memset(b, 0, sizeof *b);
    return rc;
}

int mc_body_register_cosig_msg(mc_hash *msg, const mc_hash *chain, const mc_body_register *b)
{
    uint8_t tmp[4096];
    mc_buf buf = {tmp, 0, sizeof tmp, sizeof tmp - 1}; /* stack-backed: never reallocated */
    mc_enc e;
    mc_enc_init(&e, &buf);
    mc_enc_fixed(&e, chain->b, 32);
    mc_register_enc_unsigned(&e, b);
    int rc = mc_enc_done(&e);
    if (rc) return rc;
    mc_hash_tagged(msg, "medchain/enrol", buf.p, buf.n);
    return MC_OK;
}

int mc_body_rotate_encode(mc_buf *out, const mc_body_rotate *b)
{
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, b->id.b, 32);
    mc_enc_fixed(&e, b->sign_pk.b, 32);
    mc_enc_fixed(&e, b->box_pk.b, 32);
    return mc_enc_done(&e);
}

int mc_body_rotate_decode(mc_body_rotate *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    mc_dec_init(&d, p, n);
    mc_dec_fixed(&d, b->id.b, 32);
    mc_dec_fixed(&d, b->sign_pk.b, 32);
    mc_dec_fixed(&d, b->box_pk.b, 32);
    int rc = mc_dec_done(&d);
    if (rc) memset(b, 0, sizeof *b);
    return rc;
}

int mc_body_revoke_encode(mc_buf *out, const mc_body_revoke *b)
{
    mc_enc e;
    mc_enc_init(&e, out);
    mc_enc_fixed(&e, b->id.b, 32);
    mc_enc_u16(&e, b->reason);
    return mc_enc_done(&e);
}

int mc_body_revoke_decode(mc_body_revoke *b, const uint8_t *p, size_t n)
{
    mc_dec d;
    mc_dec_init(&d, p, n);
    mc_dec_fixed(&d, b->id.b, 32);
    b->reason = mc_dec_u16(&d);
    if (!d.err && b->reason > 3) mc_dec_fail(&d, MC_EINVAL);
    int rc = mc_dec_done(&d);
    if (rc) memset(b, 0, sizeof *b);
    return rc;
}
