/*
 * medchain record get RID...: reads records through their custodians' gatekeepers in logged
 * requests (reads.c), each checked against its anchor and decrypted here with the data key the
 * custodian released to the caller (or a key wrapped for the caller), and writes the original
 * bytes. Exits non-zero, naming each record, when any record was not read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/envelope.h"

int mc_cli_default_purpose(const mc_cli_conn *c)
{
    return c->keys.kind == MC_ID_PATIENT ? MC_PURPOSE_PATRQT : MC_PURPOSE_TREAT;
}

const char *mc_cli_read_why(const mc_cli_read *r)
{
    switch (r->status) {
    case MC_READ_DENIED: {
        const char *n = mc_reason_name(r->reason);
        return n ? n : "refused";
    }
    case MC_READ_ELSEWHERE: return "its custodian could not be reached";
    case MC_READ_UNKNOWN: return "no such record";
    case MC_READ_NO_CONTENT: return "its ciphertext is not on its custodian's node";
    case MC_READ_CORRUPT: return "ECORRUPT: the custodian's stored ciphertext does not match its anchor";
    case MC_CLI_READ_FAILED:
        return "no answer for it, or it did not match the chain or would not decrypt here";
    case MC_CLI_READ_UNCHECKED:
        return "its custodian served it, but this node would not vouch for it (no read permitted here): not "
               "used";
    default: return "not served";
    }
}

/* One record into the caller's buffer (mc_cli_record_plain). */
typedef struct {
    mc_buf *plain;
    mc_body_anchor *a;
    int status;
    char why[80];
} mc_one_read;

static int mc_one_read_fn(void *arg, const mc_cli_read *r)
{
    mc_one_read *o = arg;
    o->status = r->status;
    snprintf(o->why, sizeof o->why, "%s", mc_cli_read_why(r));
    if (r->status != MC_READ_SERVED) return 0;
    o->a->record = r->record;
    o->a->patient = r->patient;
    o->a->custodian = r->custodian;
    memcpy(o->a->category, r->category, sizeof o->a->category);
    mc_buf_reset(o->plain);
    return mc_buf_append(o->plain, r->plain->p, r->plain->n) ? mc_cli_fail("out of memory") : 0;
}

int mc_cli_record_plain(mc_cli_conn *c, const mc_hash *rid, uint32_t purpose, mc_buf *plain,
                        mc_body_anchor *a)
{
    mc_one_read o = {plain, a, -1, ""};
    mc_cli_read_counts n = {0};
    memset(a, 0, sizeof *a);
    int rc = mc_cli_read_records(c, rid, 1, purpose, mc_one_read_fn, &o, &n);
    if (rc || o.status == MC_READ_SERVED) return rc;
    fprintf(stderr, "medchain: record not read: %s\n", o.status < 0 ? "no answer" : o.why);
    return o.status == MC_READ_DENIED ? MC_CLI_DENIED : 1;
}

/* Writes one record's plaintext to stdout, to --out, or to DIR/<record id> (--out-dir). */
static int mc_record_write(const mc_buf *plain, const char *out, const char *dir, const char *rid)
{
    char path[4200];
    if (dir) snprintf(path, sizeof path, "%s/%s", dir, rid);
    if (dir || out)
        return mc_file_write_atomic(dir ? path : out, plain->p, plain->n, 0600)
                   ? mc_cli_fail("cannot write %s", dir ? path : out)
                   : 0;
    return plain->n && fwrite(plain->p, 1, plain->n, stdout) != plain->n
               ? mc_cli_fail("cannot write the record to stdout")
               : 0;
}

#define MC_GET_MAX 4096u

/* Where record get writes what it reads. */
typedef struct {
    const char *out, *dir;
    int rc;
} mc_get_sink;

static int mc_get_write(void *arg, const mc_cli_read *r)
{
    mc_get_sink *k = arg;
    char hex[65];
    mc_hex_encode(hex, r->record.b, 32);
    if (r->status != MC_READ_SERVED) {
        fprintf(stderr, "medchain: record %s not read: %s\n", hex, mc_cli_read_why(r));
        if (!k->rc || r->status != MC_READ_DENIED) k->rc = r->status == MC_READ_DENIED ? MC_CLI_DENIED : 1;
        return 0;
    }
    return mc_record_write(r->plain, k->out, k->dir, hex);
}

int mc_cli_record_get(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *purpose = NULL, *out = NULL, *dir = NULL;
    const char **rids = calloc(MC_GET_MAX, sizeof *rids);
    mc_hash *ids = calloc(MC_GET_MAX, sizeof *ids);
    mc_cli_opt opts[] = {{.name = "--purpose", .val = &purpose},
                         {.name = "--out", .val = &out},
                         {.name = "--out-dir", .val = &dir},
                         {0}};
    int rc =
        rids && ids ? mc_cli_args(argc, argv, 2, &o, opts, rids, MC_GET_MAX) : mc_cli_fail("out of memory");
    unsigned n = 0;
    uint32_t p = 0;
    while (!rc && n < MC_GET_MAX && rids[n]) n++;
    if (!rc && (!n || (n > 1 && !dir) || (out && dir)))
        rc = mc_cli_usage(
            "usage: medchain record get RID --key KEY [--purpose P] [--out FILE], or RID... --out-dir DIR");
    if (!rc && purpose) rc = mc_cli_parse_purpose(purpose, &p);
    for (unsigned i = 0; i < n && !rc; i++) rc = mc_cli_id_arg("the record", rids[i], ids[i].b);
    mc_cli_conn c;
    memset(&c, 0, sizeof c); /* closed even when never connected */
    if (!rc) rc = mc_cli_connect(&c, &o, 1);
    mc_get_sink k = {out, dir, 0};
    mc_cli_read_counts cnt = {0};
    if (!rc) rc = mc_cli_read_records(&c, ids, n, p, mc_get_write, &k, &cnt);
    if (!rc && k.rc) {
        if (n > 1) fprintf(stderr, "medchain: %zu of %u records read\n", cnt.served, n);
        rc = k.rc;
    }
    free(rids);
    free(ids);
    mc_cli_close(&c);
    return rc;
}
