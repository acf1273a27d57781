/* The CLI's argument parsing: options, ids, times, purposes and actions; and reading answers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int mc_cli_args(int argc, char **argv, int first, mc_cli_common *o, const mc_cli_opt *opts, const char **pos,
                unsigned npos)
{
    unsigned npos_seen = 0;
    for (int i = first; i < argc; i++) {
        if (mc_cli_common_opt(o, argc, argv, &i)) continue;
        const mc_cli_opt *op = opts;
        while (op && op->name && strcmp(op->name, argv[i]) != 0) op++;
        if (op && op->name) {
            if (op->flag) {
                *op->flag = 1;
                continue;
            }
            if (i + 1 >= argc) return mc_cli_usage("%s needs a value", argv[i]);
            if (op->val) {
                *op->val = argv[++i];
            } else {
                if (*op->nlist == op->cap) return mc_cli_usage("at most %u %s", op->cap, op->name);
                op->list[(*op->nlist)++] = argv[++i];
            }
        } else if (argv[i][0] != '-' && npos_seen < npos) {
            pos[npos_seen++] = argv[i];
        } else {
            return mc_cli_usage("unexpected argument %s", argv[i]);
        }
    }
    return 0;
}

int mc_cli_id_arg(const char *opt, const char *s, uint8_t out[32])
{
    if (mc_cli_parse_id(s, out)) return mc_cli_usage("%s takes an id of 64 hex digits", opt);
    return 0;
}

int mc_cli_parse_time(const char *s, uint64_t *ms)
{
    if (!s || !*s) return -1;
    if (mc_parse_u64(s, ms) == MC_OK) return 0;
    struct tm tm;
    unsigned frac = 0;
    int used = 0;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &used) != 6 ||
        used != 19)
        return -1;
    const char *p = s + used;
    if (*p == '.') { /* milliseconds, exactly three digits */
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || !isdigit((unsigned char)p[3]))
            return -1;
        frac = (unsigned)((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
        p += 4;
    }
    if (strcmp(p, "Z") != 0) return -1; /* UTC only: no offsets, no local time */
    if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
        return -1;
    int mday = tm.tm_mday;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t < 0 || tm.tm_mday != mday) return -1; /* 2026-02-30 normalised to March: refused */
    *ms = (uint64_t)t * 1000 + frac;
    return 0;
}

void mc_cli_format_time(char out[32], uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "%llu", (unsigned long long)ms);
}

/* A comma list of names, each turned into a bit by @p one; upper-cases names if @p upper.
 * @p known lists the names for the error message. */
static int mc_cli_bits(const char *s, const char *what, const char *known, int upper,
                       uint32_t (*one)(const char *), uint32_t *bits)
{
    char name[32];
    *bits = 0;
    if (!s || !*s) return mc_cli_usage("no %s given", what);
    for (const char *p = s;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof name)
            return mc_cli_usage("unknown %s '%.*s' (one of %s)", what, (int)n, p, known);
        for (size_t i = 0; i < n; i++)
            name[i] = upper ? (char)toupper((unsigned char)p[i]) : (char)tolower((unsigned char)p[i]);
        name[n] = 0;
        uint32_t b = one(name);
        if (!b) return mc_cli_usage("unknown %s '%s' (one of %s)", what, name, known);
        *bits |= b;
        if (!p[n]) return 0;
        p += n + 1;
    }
}

static uint32_t mc_cli_action_bit(const char *name)
{
    return mc_action_parse(name);
}

int mc_cli_parse_purposes(const char *s, uint32_t *bits)
{
    return mc_cli_bits(s, "purpose", "TREAT, ETREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, PATRQT", 1,
                       mc_purpose_parse, bits);
}

int mc_cli_parse_actions(const char *s, uint8_t *bits)
{
    uint32_t b;
    int rc = mc_cli_bits(s, "action", "read, read_meta, read_deid", 0, mc_cli_action_bit, &b);
    *bits = (uint8_t)b;
    return rc;
}

int mc_cli_parse_purpose(const char *s, uint32_t *bit)
{
    int rc = mc_cli_parse_purposes(s, bit);
    if (!rc && (*bit & (*bit - 1))) return mc_cli_usage("give exactly one purpose");
    return rc;
}

int mc_cli_parse_action(const char *s, uint8_t *bit)
{
    int rc = mc_cli_parse_actions(s, bit);
    if (!rc && (*bit & (*bit - 1))) return mc_cli_usage("give exactly one action");
    return rc;
}

const char *mc_cli_str(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "-";
}

int mc_cli_api_fail(const char *what, long status, json_t *j)
{
    json_t *e = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    return mc_cli_fail("%s: HTTP %ld%s%s: %s", what, status, code ? " " : "", code ? code : "",
                       msg ? msg : "no answer");
}

int mc_cli_get(mc_cli_conn *c, const char *path, json_t **out)
{
    long st;
    if (mc_cli_call(c, "GET", path, NULL, &st, out)) return 1;
    if (st == 200) return 0;
    mc_cli_api_fail(path, st, *out);
    json_decref(*out);
    *out = NULL;
    return 1;
}

int mc_cli_identity_hex(mc_cli_conn *c, const uint8_t id[32], const char *field, uint8_t out[32])
{
    char path[128], hex[65];
    mc_hex_encode(hex, id, 32);
    snprintf(path, sizeof path, "/v1/identities/%s", hex);
    json_t *j;
    if (mc_cli_get(c, path, &j)) return 1;
    const char *s = json_string_value(json_object_get(j, field));
    int rc = !s || mc_cli_parse_id(s, out);
    json_decref(j);
    return rc ? mc_cli_fail("identity %.16s… has no %s on the chain", hex, field) : 0;
}

int mc_cli_release_pk(mc_cli_conn *c, const mc_id *org, mc_box_pk *pk)
{
    char path[128], hex[65];
    mc_hex_encode(hex, org->b, 32);
    snprintf(path, sizeof path, "/v1/identities/%s", hex);
    json_t *j;
    if (mc_cli_get(c, path, &j)) return 1;
    const char *s = json_string_value(json_object_get(json_object_get(j, "gatekeeper"), "release_pk"));
    int rc = !s || mc_cli_parse_id(s, pk->b);
    json_decref(j);
    return rc ? mc_cli_fail(
                    "org %.16s… has published no key-release key yet: start its node, which publishes "
                    "one, and try again",
                    hex)
              : 0;
}
