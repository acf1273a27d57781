/*
 * medchain patient PID [records|consents|delegates|access] and medchain access-log: a patient's
 * lists as the node lets the caller see them (GET /v1/patients/{pid}/..., /v1/audit/access).
 * One line per item, full ids for what a later command takes (record, consent, log ids) and
 * short ones for context; --json prints the node's answer. Every page is fetched unless --limit
 * asks for one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An integer member, or 0. */
static unsigned long long mc_int(json_t *j, const char *key)
{
    return (unsigned long long)json_integer_value(json_object_get(j, key));
}

/* A time member as ISO 8601 UTC. */
static const char *mc_time(json_t *j, const char *key, char buf[32])
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v)) return "-";
    mc_cli_format_time(buf, (uint64_t)json_integer_value(v));
    return buf;
}

/* An array of strings joined with commas into @p out. */
static const char *mc_join(json_t *a, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        int w = snprintf(out + n, cap - n, "%s%s", n ? "," : "", s ? s : "?");
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
    return n ? out : "-";
}

void mc_cli_print_record(json_t *r)
{
    char t[32];
    printf("%s %s %s custodian %.16s… author %.16s… %llu bytes, block %llu, %s", mc_cli_str(r, "id"),
           mc_cli_str(r, "category"), mc_cli_str(r, "sensitivity"), mc_cli_str(r, "custodian"),
           mc_cli_str(r, "author"), mc_int(r, "size"), mc_int(r, "height"), mc_time(r, "time_ms", t));
    if (json_object_get(r, "supersedes")) printf(", amends %.16s…", mc_cli_str(r, "supersedes"));
    if (json_object_get(r, "superseded_by")) printf(", amended by %.16s…", mc_cli_str(r, "superseded_by"));
    putchar('\n');
}

static void mc_print_consent(json_t *c)
{
    char a[32], b[32], p[256], x[128], s[2048];
    json_t *g = json_object_get(c, "grantee"), *sc = json_object_get(c, "scope");
    const char *sk = mc_cli_str(sc, "kind");
    const char *scope = !strcmp(sk, "categories") ? mc_join(json_object_get(sc, "categories"), s, sizeof s)
                        : !strcmp(sk, "records")  ? mc_join(json_object_get(sc, "records"), s, sizeof s)
                                                  : "";
    printf("%s %s %s %s %.16s…%s%s scope %s%s%s purposes %s actions %s %s .. %s", mc_cli_str(c, "id"),
           mc_cli_str(c, "type"), mc_cli_str(c, "status"), mc_cli_str(g, "kind"), mc_cli_str(g, "id"),
           json_object_get(g, "selector") ? " where " : "",
           json_object_get(g, "selector") ? mc_cli_str(g, "selector") : "", sk, *scope ? " " : "", scope,
           mc_join(json_object_get(c, "purposes"), p, sizeof p),
           mc_join(json_object_get(c, "actions"), x, sizeof x), mc_time(c, "not_before", a),
           mc_time(c, "not_after", b));
    if (json_object_get(c, "revoked_height")) printf(", revoked at block %llu", mc_int(c, "revoked_height"));
    putchar('\n');
}

static void mc_print_delegate(json_t *d)
{
    char t[32];
    printf("%s %s since block %llu, %s\n", mc_cli_str(d, "id"),
           json_is_true(json_object_get(d, "active")) ? "active" : "removed", mc_int(d, "height"),
           mc_time(d, "time_ms", t));
}

static void mc_print_access(json_t *a)
{
    char t[32];
    int permit = json_is_true(json_object_get(a, "permit"));
    printf("%s %s %s reader %.16s… record %.16s… %s %s%s log %s\n", mc_time(a, "time_ms", t),
           permit ? "PERMIT" : "DENY", mc_cli_str(a, "reason"), mc_cli_str(a, "reader"),
           mc_cli_str(a, "record"), mc_cli_str(a, "purpose"), mc_cli_str(a, "action"),
           json_is_true(json_object_get(a, "emergency")) ? " emergency" : "", mc_cli_str(a, "log_tx"));
}

int mc_cli_list(mc_cli_conn *c, const char *base, const char *param, const char *member, const char *limit,
                json_t **all)
{
    char path[2400], after[80] = ""; /* a search's query holds up to 64 tokens */
    int rc = 0;
    *all = NULL;
    for (unsigned page = 0; page < 100000; page++) {
        int n = snprintf(path, sizeof path, "%s", base);
        const char *sep = "?";
        if (param) n += snprintf(path + n, sizeof path - (size_t)n, "%s%s", sep, param), sep = "&";
        if (limit) n += snprintf(path + n, sizeof path - (size_t)n, "%slimit=%s", sep, limit), sep = "&";
        if (after[0]) snprintf(path + n, sizeof path - (size_t)n, "%safter=%s", sep, after);
        json_t *j;
        if ((rc = mc_cli_get(c, path, &j))) break;
        json_t *items = json_object_get(j, member);
        const char *next = json_string_value(json_object_get(j, "next"));
        if (!*all)
            *all = json_incref(j);
        else
            json_array_extend(json_object_get(*all, member), items);
        int more = !limit && next && json_array_size(items) > 0 && strcmp(next, after) != 0;
        if (more) snprintf(after, sizeof after, "%s", next);
        json_decref(j);
        if (!more) break;
    }
    if (rc) {
        json_decref(*all);
        *all = NULL;
    } else if (*all && !limit) {
        json_object_set_new(*all, "next", json_null());
    }
    return rc;
}

/* A list route's items (every page, or one of at most @p limit) printed with @p print, or (--json)
 * in one answer. */
static int mc_show_list(mc_cli_conn *c, const char *base, const char *param, const char *member,
                        void (*print)(json_t *), const char *limit, int json)
{
    json_t *all;
    int rc = mc_cli_list(c, base, param, member, limit, &all);
    if (rc) return rc;
    if (json) {
        mc_cli_print_json(all);
    } else {
        json_t *items = json_object_get(all, member);
        for (size_t i = 0; i < json_array_size(items); i++) print(json_array_get(items, i));
    }
    json_decref(all);
    return 0;
}

int mc_cli_show_records(mc_cli_conn *c, const char *pid, const char *purpose, const char *limit, int json)
{
    char path[200], param[40];
    snprintf(path, sizeof path, "/v1/patients/%s/records", pid);
    snprintf(param, sizeof param, "purpose=%s", purpose ? purpose : "");
    return mc_show_list(c, path, purpose ? param : NULL, "records", mc_cli_print_record, limit, json);
}

/* --limit: one page of 1 to 1,000 items (the node's cap). */
static int mc_limit_arg(const char *limit)
{
    uint64_t n;
    if (limit && (mc_parse_u64(limit, &n) || n < 1 || n > 1000))
        return mc_cli_usage("--limit takes 1 to 1000");
    return 0;
}

int mc_cmd_patient(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *pos[2] = {NULL, NULL}, *purpose = NULL, *limit = NULL;
    mc_cli_opt opts[] = {{.name = "--purpose", .val = &purpose}, {.name = "--limit", .val = &limit}, {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, pos, 2);
    if (rc) return rc;
    const char *what = pos[1] ? pos[1] : "records";
    uint8_t pid[32];
    uint32_t p;
    if (!pos[0])
        return mc_cli_usage("usage: medchain patient PID [records|consents|delegates|access] --key KEY");
    if ((rc = mc_cli_id_arg("the patient", pos[0], pid))) return rc;
    char phex[65];
    mc_hex_encode(phex, pid, 32);
    if ((purpose && (rc = mc_cli_parse_purpose(purpose, &p))) || (rc = mc_limit_arg(limit))) return rc;
    if (strcmp(what, "records") && strcmp(what, "consents") && strcmp(what, "delegates") &&
        strcmp(what, "access"))
        return mc_cli_usage("medchain patient PID takes records, consents, delegates or access");
    mc_cli_conn c;
    char path[200];
    if (mc_cli_connect(&c, &o, 1)) {
        rc = 1;
    } else if (!strcmp(what, "records")) {
        rc = mc_cli_show_records(&c, phex, purpose ? mc_purpose_name(p) : NULL, limit, o.json);
    } else {
        snprintf(path, sizeof path, "/v1/patients/%s/%s", phex, what);
        rc = mc_show_list(&c, path, NULL, what,
                          !strcmp(what, "access")     ? mc_print_access
                          : !strcmp(what, "consents") ? mc_print_consent
                                                      : mc_print_delegate,
                          limit, o.json);
    }
    mc_cli_close(&c);
    return rc;
}

int mc_cmd_access_log(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *patient = NULL, *limit = NULL;
    int all = 0;
    mc_cli_opt opts[] = {{.name = "--patient", .val = &patient},
                         {.name = "--limit", .val = &limit},
                         {.name = "--all", .flag = &all},
                         {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    if (rc) return rc;
    uint8_t pid[32];
    char path[200], phex[65];
    if (!patient == !all) return mc_cli_usage("usage: medchain access-log (--patient PID | --all) --key KEY");
    if ((patient && (rc = mc_cli_id_arg("--patient", patient, pid))) || (rc = mc_limit_arg(limit))) return rc;
    if (patient) {
        mc_hex_encode(phex, pid, 32);
        snprintf(path, sizeof path, "/v1/patients/%s/access", phex);
    } else {
        snprintf(path, sizeof path, "/v1/audit/access");
    }
    mc_cli_conn c;
    rc = mc_cli_connect(&c, &o, 1) ? 1
                                   : mc_show_list(&c, path, NULL, "access", mc_print_access, limit, o.json);
    mc_cli_close(&c);
    return rc;
}
