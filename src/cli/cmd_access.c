/*
 * medchain access (a logged read), medchain decide (a decision, nothing logged) and medchain
 * emergency (break-glass). Exit status of access and decide: 0 permitted, 3 denied, 1 when no
 * decision was made (a refused request, another org's node, no node).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Prints a decision ({"permit","reason","basis"}) as one line; returns its exit status. */
static int mc_print_decision(json_t *d)
{
    int permit = json_is_true(json_object_get(d, "permit"));
    const char *reason = mc_cli_str(d, "reason"),
               *text = json_string_value(json_object_get(d, "reason_text"));
    for (int r = 1; !text && r < 256; r++) /* a logged read's answer names the reason only */
        if (mc_reason_name(r) && !strcmp(mc_reason_name(r), reason)) text = mc_reason_text(r);
    printf("%s %s", permit ? "PERMIT" : "DENY", reason);
    if (text) printf(" (%s)", text);
    if (json_object_get(d, "basis") && !json_is_null(json_object_get(d, "basis")))
        printf(" basis %s", mc_cli_str(d, "basis"));
    putchar('\n');
    return permit ? 0 : MC_CLI_DENIED;
}

/* The record, purpose and action of a read or decision, checked before anything is sent. */
static int mc_access_what(const char *record, const char *purpose, const char *action, mc_hash *rid,
                          uint32_t *p, uint8_t *a)
{
    int rc;
    if (!record || !purpose) return mc_cli_usage("--record RID and --purpose P are needed");
    if ((rc = mc_cli_id_arg("--record", record, rid->b)) || (rc = mc_cli_parse_purpose(purpose, p)) ||
        (rc = mc_cli_parse_action(action ? action : "read", a)))
        return rc;
    return 0;
}

int mc_cli_access(mc_cli_conn *c, const mc_hash *rid, uint32_t purpose, uint8_t action, int json,
                  const char *indent, long *status, json_t **out)
{
    char target[160];
    long st = 0;
    json_t *j = NULL;
    int rc;
    if (out) *out = NULL;
    if (mc_access_target(target, rid, purpose, action, MC_VIA_DECISION))
        return mc_cli_usage("cannot form the request");
    /* the reader signs exactly this request (POST, this target, an empty body): the custodian's
     * node puts it on the ledger with the access.log, so it cannot invent or flip the read */
    rc = mc_cli_call(c, "POST", target, "", &st, &j);
    json_t *d = st == 200 ? j : json_object_get(j, "decision");
    json_t *log = json_object_get(j, "log");
    if (rc) {
        rc = 1;
    } else if ((st != 200 && st != 403) || !d) {
        rc = mc_cli_api_fail("access", st, j);
    } else if (json) {
        mc_cli_print_json(j);
        rc = json_is_true(json_object_get(d, "permit")) ? 0 : MC_CLI_DENIED;
    } else {
        printf("%s", indent);
        rc = mc_print_decision(d);
        const char *result = mc_cli_str(log, "result");
        printf("%slogged in tx %s (block %lld, index %lld): %s\n", indent, mc_cli_str(log, "id"),
               (long long)json_integer_value(json_object_get(log, "height")),
               (long long)json_integer_value(json_object_get(log, "index")), result);
        if (strcmp(result, "OK") != 0) rc = mc_cli_fail("the read was not logged: nothing may be served");
    }
    if (status) *status = st;
    if (out)
        *out = j;
    else
        json_decref(j);
    return rc;
}

int mc_cmd_access(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *record = NULL, *purpose = NULL, *action = NULL;
    mc_cli_opt opts[] = {{.name = "--record", .val = &record},
                         {.name = "--purpose", .val = &purpose},
                         {.name = "--action", .val = &action},
                         {0}};
    mc_hash rid;
    uint32_t p = 0;
    uint8_t a = 0;
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    if (rc || (rc = mc_access_what(record, purpose, action, &rid, &p, &a))) return rc;
    mc_cli_conn c;
    rc = mc_cli_connect(&c, &o, 1) ? 1 : mc_cli_access(&c, &rid, p, a, o.json, "", NULL, NULL);
    mc_cli_close(&c);
    return rc;
}

int mc_cmd_decide(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *record = NULL, *purpose = NULL, *action = NULL, *requester = NULL;
    mc_cli_opt opts[] = {{.name = "--record", .val = &record},
                         {.name = "--purpose", .val = &purpose},
                         {.name = "--action", .val = &action},
                         {.name = "--requester", .val = &requester},
                         {0}};
    mc_hash rid;
    uint8_t a = 0, who[32];
    uint32_t p = 0;
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    if (rc || (rc = mc_access_what(record, purpose, action, &rid, &p, &a))) return rc;
    if (requester && (rc = mc_cli_id_arg("--requester", requester, who))) return rc;
    char path[400], rhex[65], whex[65];
    mc_hex_encode(rhex, rid.b, 32);
    int n = snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=%s&action=%s", rhex, mc_purpose_name(p),
                     mc_action_name(a));
    if (requester) {
        mc_hex_encode(whex, who, 32);
        snprintf(path + n, sizeof path - (size_t)n, "&requester=%s", whex);
    }
    mc_cli_conn c;
    json_t *j = NULL;
    rc = mc_cli_connect(&c, &o, 1) || mc_cli_get(&c, path, &j);
    if (!rc && o.json) {
        mc_cli_print_json(j);
        rc = json_is_true(json_object_get(j, "permit")) ? 0 : MC_CLI_DENIED;
    } else if (!rc) {
        rc = mc_print_decision(j);
    }
    json_decref(j);
    mc_cli_close(&c);
    return rc;
}

static int mc_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/*
 * Seals @p reason to every recipient and encodes the body. The reason itself (which may say
 * something about the patient) is never printed; @p sealed holds the copies the body borrows.
 */
static int mc_emergency_body(mc_cli_conn *c, mc_body_emergency *b, const mc_buf *reason, uint8_t *sealed,
                             mc_buf *body)
{
    size_t each = reason->n + MC_SEAL_OVERHEAD;
    qsort(b->reason_to, b->nreasons, sizeof b->reason_to[0], mc_id_cmp);
    for (uint32_t i = 0; i < b->nreasons; i++) {
        if (i && !memcmp(b->reason_to[i - 1].b, b->reason_to[i].b, 32))
            return mc_cli_usage("a recipient is named twice");
        mc_box_pk pk;
        if (mc_cli_identity_hex(c, b->reason_to[i].b, "box_pk", pk.b)) return 1;
        if (mc_seal(sealed + i * each, reason->p, reason->n, &pk))
            return mc_cli_fail("cannot seal the reason");
        b->reason[i] = (mc_slice){sealed + i * each, each};
    }
    return mc_body_emergency_encode(body, b) ? mc_cli_fail("cannot encode the break-glass") : 0;
}

/* Opens the copy of break-glass @p b's reason sealed to the caller into @p out. 0 or 1. */
static int mc_emergency_open(mc_cli_conn *c, const mc_body_emergency *b, mc_buf *out)
{
    mc_box_pk pk;
    mc_box_sk_to_pk(&pk, &c->keys.box_sk);
    for (uint32_t i = 0; i < b->nreasons; i++) {
        if (memcmp(b->reason_to[i].b, c->keys.id.b, 32) != 0) continue;
        size_t n = b->reason[i].n - MC_SEAL_OVERHEAD;
        if (mc_buf_reserve(out, n + 1) ||
            mc_seal_open(out->p, b->reason[i].p, b->reason[i].n, &pk, &c->keys.box_sk))
            return mc_cli_fail("the reason sealed to you does not open with your key");
        out->n = n;
        return 0;
    }
    return mc_cli_fail(
        "the reason was not sealed to you (only the patient and the auditors named can open it)");
}

/* medchain emergency show TXID: the break-glass, and its reason opened with the caller's key. */
static int mc_emergency_show(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *id = NULL;
    int rc = mc_cli_args(argc, argv, 2, &o, NULL, &id, 1);
    mc_hash tx;
    if (!rc && !id) rc = mc_cli_usage("usage: medchain emergency show EMERGENCY_ID --key KEY");
    if (!rc) rc = mc_cli_id_arg("the break-glass id", id, tx.b);
    if (rc) return rc;
    mc_cli_conn c;
    mc_buf body, reason;
    mc_body_emergency b;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    mc_buf_init(&reason, MC_MAX_REASON_BYTES);
    rc = mc_cli_connect(&c, &o, 1) || mc_cli_fetch_tx(&c, &tx, MC_TX_ACCESS_EMERGENCY, &body);
    if (!rc && mc_body_emergency_decode(&b, body.p, body.n))
        rc = mc_cli_fail("the break-glass does not decode");
    if (!rc) rc = mc_emergency_open(&c, &b, &reason);
    if (!rc) {
        char pat[65];
        mc_hex_encode(pat, b.patient.b, 32);
        printf("break-glass %s on patient %s for %llu minutes\nreason: %.*s\n", id, pat,
               (unsigned long long)(b.duration_ms / 60000), (int)reason.n, (const char *)reason.p);
    }
    mc_buf_free_wipe(&reason);
    mc_buf_free(&body);
    mc_cli_close(&c);
    return rc;
}

int mc_cmd_emergency(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "show")) return mc_emergency_show(argc, argv);
    mc_cli_common o = {0};
    const char *patient = NULL, *minutes = NULL, *file = NULL, *auditors[MC_MAX_REASONS - 1];
    unsigned nauditors = 0;
    mc_cli_opt opts[] = {
        {.name = "--patient", .val = &patient},
        {.name = "--minutes", .val = &minutes},
        {.name = "--reason-file", .val = &file},
        {.name = "--auditor", .list = auditors, .nlist = &nauditors, .cap = MC_MAX_REASONS - 1},
        {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    if (rc) return rc;
    if (!patient || !minutes || !file)
        return mc_cli_usage(
            "usage: medchain emergency --key KEY --patient PID --minutes N --reason-file FILE "
            "[--auditor ORG]...");
    mc_body_emergency b;
    uint64_t min;
    memset(&b, 0, sizeof b);
    if ((rc = mc_cli_id_arg("--patient", patient, b.patient.b))) return rc;
    if (mc_parse_u64(minutes, &min) || min == 0 || min * 60000 > MC_MAX_EMERGENCY_MS)
        return mc_cli_usage("--minutes takes 1 to %llu", (unsigned long long)(MC_MAX_EMERGENCY_MS / 60000));
    b.duration_ms = min * 60000;
    b.reason_to[b.nreasons++] = b.patient; /* the patient always learns why */
    for (unsigned i = 0; i < nauditors; i++)
        if ((rc = mc_cli_id_arg("--auditor", auditors[i], b.reason_to[b.nreasons++].b))) return rc;
    mc_buf reason, body;
    mc_buf_init(&reason, MC_MAX_REASON_BYTES - MC_SEAL_OVERHEAD);
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    if (mc_file_read(file, &reason) || reason.n == 0) {
        mc_buf_free_wipe(&reason);
        return mc_cli_usage("--reason-file: cannot read %s, or it is empty or over %u bytes", file,
                            MC_MAX_REASON_BYTES - MC_SEAL_OVERHEAD);
    }
    uint8_t *sealed = malloc((size_t)b.nreasons * (reason.n + MC_SEAL_OVERHEAD));
    mc_cli_conn c;
    if (!sealed) {
        rc = mc_cli_fail("out of memory");
    } else {
        rc = mc_cli_connect(&c, &o, 1);
        if (!rc) rc = mc_emergency_body(&c, &b, &reason, sealed, &body);
        if (!rc)
            rc =
                mc_cli_submit(&c, MC_TX_ACCESS_EMERGENCY, &body, "emergency", o.json ? MC_CLI_JSON : 0, NULL);
        mc_cli_close(&c);
    }
    mc_buf_free_wipe(&reason);
    mc_buf_free(&body);
    free(sealed);
    return rc;
}
