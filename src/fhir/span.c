/*
 * The strict JSON scanner that finds each entry's resource bytes in a Bundle.
 *
 * Ingest anchors the exact bytes a hospital sent (their hash is what the ledger commits to),
 * so the resource is cut out of the input, never re-serialised. jansson parses the same bytes
 * separately; the scanner is written against RFC 8259 on its own (UTF-8 checked, escapes and
 * surrogate pairs checked, no trailing bytes, nesting capped) so that a disagreement between
 * the two is a refusal, not a wrong span.
 *
 * It is recursive descent; recursion depth is bounded by MC_FHIR_MAX_DEPTH.
 */
#include <stdlib.h>
#include <string.h>

#include "fhir_internal.h"

typedef struct {
    const uint8_t *p;
    size_t n, i;
    unsigned depth;
    const char *why;
    int rc;
    mc_fhir_spans *out;
} mc_fhir_scan;

/* A key decoded far enough to compare with the few names the scanner looks for. */
#define MC_FHIR_KEY_CAP 16
typedef struct {
    char s[MC_FHIR_KEY_CAP];
    size_t n;
    int overflow;
} mc_fhir_key;

static int mc_fhir_scan_fail(mc_fhir_scan *s, const char *why)
{
    if (s->rc == MC_OK) {
        s->rc = MC_EINVAL;
        s->why = why;
    }
    return -1;
}

static void mc_fhir_scan_ws(mc_fhir_scan *s)
{
    while (s->i < s->n) {
        uint8_t c = s->p[s->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        s->i++;
    }
}

static int mc_fhir_scan_peek(const mc_fhir_scan *s)
{
    return s->i < s->n ? s->p[s->i] : -1;
}

static void mc_fhir_key_put(mc_fhir_key *k, const uint8_t *b, size_t n)
{
    if (!k) return;
    if (k->n + n > sizeof k->s) {
        k->overflow = 1;
        return;
    }
    memcpy(k->s + k->n, b, n);
    k->n += n;
}

static int mc_fhir_hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape at s->i. @return the code unit, or -1. */
static long mc_fhir_scan_u4(mc_fhir_scan *s)
{
    if (s->n - s->i < 4) return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = mc_fhir_hexval(s->p[s->i + (size_t)k]);
        if (h < 0) return -1;
        v = (v << 4) | h;
    }
    s->i += 4;
    return v;
}

static size_t mc_fhir_utf8_put(uint8_t out[4], unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* One escape after the backslash (at s->i). */
static int mc_fhir_scan_escape(mc_fhir_scan *s, mc_fhir_key *k)
{
    if (s->i >= s->n) return mc_fhir_scan_fail(s, "unterminated string");
    uint8_t c = s->p[s->i++], b[4];
    static const char simple[] = "\"\\/bfnrt", mapped[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(simple, c) : NULL;
    if (hit) {
        b[0] = (uint8_t)mapped[hit - simple];
        mc_fhir_key_put(k, b, 1);
        return 0;
    }
    if (c != 'u') return mc_fhir_scan_fail(s, "bad escape in a string");
    long u = mc_fhir_scan_u4(s);
    if (u < 0) return mc_fhir_scan_fail(s, "bad \\u escape in a string");
    unsigned long cp = (unsigned long)u;
    if (u >= 0xdc00 && u <= 0xdfff) return mc_fhir_scan_fail(s, "lone low surrogate in a string");
    if (u >= 0xd800 && u <= 0xdbff) {
        if (s->n - s->i < 2 || s->p[s->i] != '\\' || s->p[s->i + 1] != 'u')
            return mc_fhir_scan_fail(s, "lone high surrogate in a string");
        s->i += 2;
        long lo = mc_fhir_scan_u4(s);
        if (lo < 0xdc00 || lo > 0xdfff) return mc_fhir_scan_fail(s, "bad surrogate pair in a string");
        cp = 0x10000 + (((unsigned long)u - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
    }
    if (cp == 0) return mc_fhir_scan_fail(s, "NUL in a string"); /* jansson refuses it too */
    mc_fhir_key_put(k, b, mc_fhir_utf8_put(b, cp));
    return 0;
}

/* One UTF-8 sequence starting at s->i (first byte >= 0x80), RFC 3629: no overlongs, no surrogates. */
static int mc_fhir_scan_utf8(mc_fhir_scan *s, mc_fhir_key *k)
{
    const uint8_t *q = s->p + s->i;
    size_t left = s->n - s->i, len;
    uint8_t lo = 0x80, hi = 0xbf;
    if (q[0] >= 0xc2 && q[0] <= 0xdf) {
        len = 2;
    } else if (q[0] >= 0xe0 && q[0] <= 0xef) {
        len = 3;
        if (q[0] == 0xe0) lo = 0xa0;
        if (q[0] == 0xed) hi = 0x9f;
    } else if (q[0] >= 0xf0 && q[0] <= 0xf4) {
        len = 4;
        if (q[0] == 0xf0) lo = 0x90;
        if (q[0] == 0xf4) hi = 0x8f;
    } else {
        return mc_fhir_scan_fail(s, "invalid UTF-8");
    }
    if (left < len || q[1] < lo || q[1] > hi) return mc_fhir_scan_fail(s, "invalid UTF-8");
    for (size_t j = 2; j < len; j++)
        if (q[j] < 0x80 || q[j] > 0xbf) return mc_fhir_scan_fail(s, "invalid UTF-8");
    mc_fhir_key_put(k, q, len);
    s->i += len;
    return 0;
}

/* A string at s->i (which is '"'); decodes it into @p k if given. */
static int mc_fhir_scan_string(mc_fhir_scan *s, mc_fhir_key *k)
{
    s->i++;
    for (;;) {
        if (s->i >= s->n) return mc_fhir_scan_fail(s, "unterminated string");
        uint8_t c = s->p[s->i];
        if (c == '"') {
            s->i++;
            return 0;
        }
        if (c < 0x20) return mc_fhir_scan_fail(s, "control character in a string");
        if (c == '\\') {
            s->i++;
            if (mc_fhir_scan_escape(s, k)) return -1;
        } else if (c >= 0x80) {
            if (mc_fhir_scan_utf8(s, k)) return -1;
        } else {
            mc_fhir_key_put(k, &c, 1);
            s->i++;
        }
    }
}

static size_t mc_fhir_scan_digits(mc_fhir_scan *s)
{
    size_t start = s->i;
    while (s->i < s->n && s->p[s->i] >= '0' && s->p[s->i] <= '9') s->i++;
    return s->i - start;
}

static int mc_fhir_scan_number(mc_fhir_scan *s)
{
    if (mc_fhir_scan_peek(s) == '-') s->i++;
    if (mc_fhir_scan_peek(s) == '0') {
        s->i++;
    } else if (mc_fhir_scan_digits(s) == 0) {
        return mc_fhir_scan_fail(s, "bad number");
    }
    if (mc_fhir_scan_peek(s) == '.') {
        s->i++;
        if (mc_fhir_scan_digits(s) == 0) return mc_fhir_scan_fail(s, "bad number");
    }
    int c = mc_fhir_scan_peek(s);
    if (c == 'e' || c == 'E') {
        s->i++;
        c = mc_fhir_scan_peek(s);
        if (c == '+' || c == '-') s->i++;
        if (mc_fhir_scan_digits(s) == 0) return mc_fhir_scan_fail(s, "bad number");
    }
    return 0;
}

static int mc_fhir_scan_literal(mc_fhir_scan *s, const char *lit)
{
    size_t len = strlen(lit);
    if (s->n - s->i < len || memcmp(s->p + s->i, lit, len) != 0) return mc_fhir_scan_fail(s, "not JSON");
    s->i += len;
    return 0;
}

static int mc_fhir_scan_value(mc_fhir_scan *s);

/* What to do with the members of an object: called with each decoded key before its value. */
typedef int (*mc_fhir_member_fn)(mc_fhir_scan *s, const mc_fhir_key *key, void *ctx);

static int mc_fhir_key_is(const mc_fhir_key *k, const char *name)
{
    return !k->overflow && k->n == strlen(name) && memcmp(k->s, name, k->n) == 0;
}

static int mc_fhir_scan_enter(mc_fhir_scan *s)
{
    if (++s->depth > MC_FHIR_MAX_DEPTH) return mc_fhir_scan_fail(s, "nested too deep");
    s->i++;
    mc_fhir_scan_ws(s);
    return 0;
}

/*
 * The items of the object or array at s->i up to @p close, separated by commas: each is
 * scanned by @p item. Empty containers and trailing commas are told apart here once.
 */
static int mc_fhir_scan_items(mc_fhir_scan *s, int close, int (*item)(mc_fhir_scan *s, void *ctx), void *ctx)
{
    if (mc_fhir_scan_enter(s)) return -1;
    if (mc_fhir_scan_peek(s) != close) {
        for (;;) {
            if (item(s, ctx)) return -1;
            mc_fhir_scan_ws(s);
            int c = mc_fhir_scan_peek(s);
            if (c == close) break;
            if (c != ',')
                return mc_fhir_scan_fail(s, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
            s->i++;
            mc_fhir_scan_ws(s);
        }
    }
    s->i++;
    s->depth--;
    return 0;
}

/* How an object's members are scanned: @c fn (may be NULL: skipped) gets each decoded key. */
typedef struct {
    mc_fhir_member_fn fn;
    void *ctx;
} mc_fhir_members;

static int mc_fhir_scan_member(mc_fhir_scan *s, void *ctx)
{
    const mc_fhir_members *m = ctx;
    if (mc_fhir_scan_peek(s) != '"') return mc_fhir_scan_fail(s, "object key expected");
    mc_fhir_key key = {{0}, 0, 0};
    if (mc_fhir_scan_string(s, &key)) return -1;
    mc_fhir_scan_ws(s);
    if (mc_fhir_scan_peek(s) != ':') return mc_fhir_scan_fail(s, "':' expected");
    s->i++;
    mc_fhir_scan_ws(s);
    return m->fn ? m->fn(s, &key, m->ctx) : mc_fhir_scan_value(s);
}

/* An object at s->i; @p fn (may be NULL) scans each member's value, else it is skipped. */
static int mc_fhir_scan_object(mc_fhir_scan *s, mc_fhir_member_fn fn, void *ctx)
{
    mc_fhir_members m = {fn, ctx};
    return mc_fhir_scan_items(s, '}', mc_fhir_scan_member, &m);
}

static int mc_fhir_scan_element(mc_fhir_scan *s, void *ctx)
{
    (void)ctx;
    return mc_fhir_scan_value(s);
}

/* An array at s->i; @p fn (may be NULL) scans each element, else it is skipped. */
static int mc_fhir_scan_array(mc_fhir_scan *s, int (*fn)(mc_fhir_scan *s, void *ctx))
{
    return mc_fhir_scan_items(s, ']', fn ? fn : mc_fhir_scan_element, NULL);
}

static int mc_fhir_scan_value(mc_fhir_scan *s)
{
    switch (mc_fhir_scan_peek(s)) {
    case '{': return mc_fhir_scan_object(s, NULL, NULL);
    case '[': return mc_fhir_scan_array(s, NULL);
    case '"': return mc_fhir_scan_string(s, NULL);
    case 't': return mc_fhir_scan_literal(s, "true");
    case 'f': return mc_fhir_scan_literal(s, "false");
    case 'n': return mc_fhir_scan_literal(s, "null");
    case -1: return mc_fhir_scan_fail(s, "unexpected end of input");
    default: return mc_fhir_scan_number(s);
    }
}

/* ---- the Bundle's shape: top object -> "entry" array -> each element's "resource" ---- */

static int mc_fhir_scan_entry_member(mc_fhir_scan *s, const mc_fhir_key *key, void *ctx)
{
    mc_slice *span = ctx;
    if (!mc_fhir_key_is(key, "resource")) return mc_fhir_scan_value(s);
    if (span->p) return mc_fhir_scan_fail(s, "duplicate key \"resource\"");
    size_t start = s->i;
    if (mc_fhir_scan_value(s)) return -1;
    span->p = s->p + start;
    span->n = s->i - start;
    return 0;
}

static int mc_fhir_scan_entry(mc_fhir_scan *s, void *ctx)
{
    (void)ctx;
    mc_fhir_spans *o = s->out;
    if (o->n == MC_FHIR_MAX_ENTRIES) {
        s->rc = MC_ETOOBIG;
        s->why = "too many entries";
        return -1;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        mc_slice *a = realloc(o->a, cap * sizeof *a);
        if (!a) {
            s->rc = MC_ENOMEM;
            s->why = "out of memory";
            return -1;
        }
        o->a = a;
        o->cap = cap;
    }
    size_t k = o->n++;
    o->a[k] = (mc_slice){NULL, 0};
    if (mc_fhir_scan_peek(s) != '{') return mc_fhir_scan_value(s);
    mc_slice span = {NULL, 0};
    if (mc_fhir_scan_object(s, mc_fhir_scan_entry_member, &span)) return -1;
    o->a[k] = span;
    return 0;
}

static int mc_fhir_scan_top_member(mc_fhir_scan *s, const mc_fhir_key *key, void *ctx)
{
    int *seen = ctx;
    if (!mc_fhir_key_is(key, "entry")) return mc_fhir_scan_value(s);
    if (*seen) return mc_fhir_scan_fail(s, "duplicate key \"entry\"");
    *seen = 1;
    if (mc_fhir_scan_peek(s) != '[') return mc_fhir_scan_value(s); /* the caller refuses it */
    return mc_fhir_scan_array(s, mc_fhir_scan_entry);
}

void mc_fhir_spans_free(mc_fhir_spans *s)
{
    if (!s) return;
    free(s->a);
    memset(s, 0, sizeof *s);
}

int mc_fhir_scan_entries(const uint8_t *p, size_t n, mc_fhir_spans *out, const char **why)
{
    mc_fhir_scan s = {p, n, 0, 0, NULL, MC_OK, out};
    int seen = 0;
    memset(out, 0, sizeof *out);
    mc_fhir_scan_ws(&s);
    if (mc_fhir_scan_peek(&s) != '{') {
        mc_fhir_scan_fail(&s, "not a JSON object");
    } else if (mc_fhir_scan_object(&s, mc_fhir_scan_top_member, &seen) == 0) {
        mc_fhir_scan_ws(&s);
        if (s.i != s.n) mc_fhir_scan_fail(&s, "bytes after the JSON value");
    }
    if (s.rc != MC_OK) {
        mc_fhir_spans_free(out);
        if (why) *why = s.why;
    }
    return s.rc;
}
