/*
 * medchain record anchor | list | show: a record's metadata on the ledger (never its content).
 *
 * Until the encrypted blob store lands (issue 4), anchor takes the ciphertext's hash, the
 * plaintext commitment and the size as given, or computes them from --file without sending the
 * file anywhere: its SHA-256, its length, and a commitment salted with 32 fresh random bytes
 * (printed, so that the author can open the commitment later).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int mc_cli_hash_file(const char *path, mc_body_anchor *b, uint8_t salt[32])
{
    FILE *f = fopen(path, "rb");
    if (!f) return mc_cli_usage("cannot read %s", path);
    mc_sha256_ctx h, cm;
    mc_sha256_init(&h);
    mc_hash_tagged_init(&cm, "medchain/commitment");
    mc_random(salt, 32);
    mc_sha256_update(&cm, salt, 32);
    uint8_t buf[65536];
    size_t n;
    b->size = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        mc_sha256_update(&h, buf, n);
        mc_sha256_update(&cm, buf, n);
        b->size += n;
    }
    int bad = ferror(f);
    fclose(f);
    mc_wipe(buf, sizeof buf);
    if (bad) return mc_cli_usage("cannot read %s", path);
    mc_sha256_final(&h, &b->cipher_hash);
    mc_sha256_final(&cm, &b->commitment);
    return 0;
}

static int mc_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

typedef struct {
    const char *patient, *category, *sens, *custodian, *record, *cipher, *commit, *size, *supersedes, *file;
    const char *tokens[MC_MAX_TOKENS];
    unsigned ntokens;
} mc_anchor_args;

/* Everything but the custodian from the arguments, checked before anything is sent. */
static int mc_anchor_body(const mc_anchor_args *a, mc_body_anchor *b, uint8_t salt[32], int *salted)
{
    int rc;
    *salted = 0;
    if (!a->patient || !a->category)
        return mc_cli_usage(
            "usage: medchain record anchor --key KEY --patient PID --category C [--sensitivity "
            "N|R|V] [--custodian ORG] [--record RID] (--file PATH | --cipher-hash H "
            "--commitment H --size N) [--token HEX]... [--supersedes RID]");
    if ((rc = mc_cli_id_arg("--patient", a->patient, b->patient.b))) return rc;
    if (!mc_category_ok(a->category, strlen(a->category)))
        return mc_cli_usage("--category takes 1 to %u of a-z 0-9 _ . -", MC_MAX_CATEGORY);
    memcpy(b->category, a->category, strlen(a->category) + 1);
    const char *s = a->sens ? a->sens : "N";
    if (!strcmp(s, "N"))
        b->sensitivity = MC_SENS_NORMAL;
    else if (!strcmp(s, "R"))
        b->sensitivity = MC_SENS_RESTRICTED;
    else if (!strcmp(s, "V"))
        b->sensitivity = MC_SENS_VERY_RESTRICTED;
    else
        return mc_cli_usage("--sensitivity is N, R or V");
    if (a->custodian && (rc = mc_cli_id_arg("--custodian", a->custodian, b->custodian.b))) return rc;
    if (a->record && (rc = mc_cli_id_arg("--record", a->record, b->record.b))) return rc;
    if (!a->record) mc_random(b->record.b, 32);
    if (a->supersedes && (rc = mc_cli_id_arg("--supersedes", a->supersedes, b->supersedes.b))) return rc;
    b->has_supersedes = a->supersedes != NULL;
    int given = (a->cipher != NULL) + (a->commit != NULL) + (a->size != NULL);
    if (a->file ? given != 0 : given != 3)
        return mc_cli_usage("give --file PATH, or all of --cipher-hash, --commitment and --size");
    if (a->file) {
        if ((rc = mc_cli_hash_file(a->file, b, salt))) return rc;
        *salted = 1;
    } else if ((rc = mc_cli_id_arg("--cipher-hash", a->cipher, b->cipher_hash.b)) ||
               (rc = mc_cli_id_arg("--commitment", a->commit, b->commitment.b))) {
        return rc;
    } else if (mc_parse_u64(a->size, &b->size)) {
        return mc_cli_usage("--size takes a number of bytes");
    }
    for (unsigned i = 0; i < a->ntokens; i++)
        if ((rc = mc_cli_id_arg("--token", a->tokens[i], b->tokens[i].b))) return rc;
    qsort(b->tokens, a->ntokens, sizeof b->tokens[0], mc_hash_cmp);
    for (unsigned i = 0; i < a->ntokens; i++) /* strictly increasing: duplicates go */
        if (!b->ntokens || memcmp(b->tokens[b->ntokens - 1].b, b->tokens[i].b, 32))
            b->tokens[b->ntokens++] = b->tokens[i];
    return 0;
}

static int mc_record_anchor(int argc, char **argv)
{
    mc_cli_common o = {0};
    mc_anchor_args a = {0};
    mc_cli_opt opts[] = {{.name = "--patient", .val = &a.patient},
                         {.name = "--category", .val = &a.category},
                         {.name = "--sensitivity", .val = &a.sens},
                         {.name = "--custodian", .val = &a.custodian},
                         {.name = "--record", .val = &a.record},
                         {.name = "--cipher-hash", .val = &a.cipher},
                         {.name = "--commitment", .val = &a.commit},
                         {.name = "--size", .val = &a.size},
                         {.name = "--supersedes", .val = &a.supersedes},
                         {.name = "--file", .val = &a.file},
                         {.name = "--token", .list = a.tokens, .nlist = &a.ntokens, .cap = MC_MAX_TOKENS},
                         {0}};
    int rc = mc_cli_args(argc, argv, 2, &o, opts, NULL, 0), salted;
    if (rc) return rc;
    mc_body_anchor *b = calloc(1, sizeof *b);
    uint8_t salt[32];
    if (!b) return mc_cli_fail("out of memory");
    if ((rc = mc_anchor_body(&a, b, salt, &salted))) {
        free(b);
        return rc;
    }
    mc_cli_conn c;
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    rc = mc_cli_connect(&c, &o, 1) ||
         (!a.custodian && mc_cli_identity_hex(&c, c.keys.id.b, "org", b->custodian.b));
    if (!rc && mc_body_anchor_encode(&body, b)) rc = mc_cli_fail("cannot encode the anchor");
    if (!rc) rc = mc_cli_submit(&c, MC_TX_RECORD_ANCHOR, &body, "anchor", o.json ? MC_CLI_JSON : 0, NULL);
    if (!rc && !o.json) {
        char hex[65];
        mc_hex_encode(hex, b->record.b, 32);
        printf("record %s\n", hex);
        if (salted) {
            mc_hex_encode(hex, salt, 32);
            printf("commitment salt %s (keep it to open the commitment)\n", hex);
        }
    }
    mc_buf_free(&body);
    mc_cli_close(&c);
    free(b);
    return rc;
}

int mc_cmd_record(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "anchor")) return mc_record_anchor(argc, argv);
    if (!strcmp(sub, "get")) return mc_cli_record_get(argc, argv);
    mc_cli_common o = {0};
    const char *patient = NULL, *purpose = NULL, *rid = NULL;
    mc_cli_opt opts[] = {{.name = "--patient", .val = &patient}, {.name = "--purpose", .val = &purpose}, {0}};
    int list = !strcmp(sub, "list"), rc;
    if (!list && strcmp(sub, "show"))
        return mc_cli_usage("usage: medchain record anchor|get|list|show ... (see docs/cli.md)");
    if ((rc = mc_cli_args(argc, argv, 2, &o, opts, &rid, list ? 0 : 1))) return rc;
    uint8_t id[32];
    uint32_t p = 0;
    char hex[65], path[200];
    if (list ? !patient : !rid)
        return mc_cli_usage(list ? "usage: medchain record list --patient PID [--purpose P] --key KEY"
                                 : "usage: medchain record show RID [--purpose P] --key KEY");
    if ((rc = mc_cli_id_arg(list ? "--patient" : "the record", list ? patient : rid, id))) return rc;
    if (purpose && (rc = mc_cli_parse_purpose(purpose, &p))) return rc;
    mc_hex_encode(hex, id, 32);
    mc_cli_conn c;
    json_t *j = NULL;
    if (mc_cli_connect(&c, &o, 1)) {
        rc = 1;
    } else if (list) {
        rc = mc_cli_show_records(&c, hex, purpose ? mc_purpose_name(p) : NULL, NULL, o.json);
    } else {
        snprintf(path, sizeof path, "/v1/records/%s%s%s", hex, purpose ? "?purpose=" : "",
                 purpose ? mc_purpose_name(p) : "");
        rc = mc_cli_get(&c, path, &j);
        if (!rc && o.json) mc_cli_print_json(j);
        if (!rc && !o.json) mc_cli_print_record(j);
    }
    json_decref(j);
    mc_cli_close(&c);
    return rc;
}
