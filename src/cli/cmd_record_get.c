/*
 * medchain record get RID: fetches a record's ciphertext through its custodian's gatekeeper (a
 * logged read), checks its hash against the anchor, decrypts it here with a key wrapped for the
 * caller, checks the plaintext commitment, and prints the original bytes.
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

int mc_cli_record_plain(mc_cli_conn *c, const mc_hash *rid, uint32_t purpose, mc_buf *plain,
                        mc_body_anchor *a)
{
    mc_buf cipher;
    mc_wrapped_key wk;
    long st = 0;
    if (!purpose) purpose = (uint32_t)mc_cli_default_purpose(c);
    mc_buf_init(&cipher, MC_CLI_MAX_CIPHER);
    /* the read first: it is decided and logged whatever comes next */
    int rc = mc_cli_get_content(c, rid, purpose, &cipher, &st);
    if (!rc) rc = mc_cli_fetch_anchor(c, rid, a, NULL) || mc_cli_wrapped_key(c, a, &wk);
    if (!rc) {
        mc_box_pk pk;
        mc_box_sk_to_pk(&pk, &c->keys.box_sk);
        mc_buf_reset(plain);
        int e = mc_env_open(plain, cipher.p, cipher.n, a, &wk, &pk, &c->keys.box_sk);
        if (e == MC_ECORRUPT)
            rc = mc_cli_fail(
                "the ciphertext served does not match the record's anchor: refusing to decrypt it");
        else if (e)
            rc = mc_cli_fail("cannot decrypt the record: %s", mc_strerror(e));
    }
    mc_buf_free(&cipher);
    return rc;
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

int mc_cli_record_get(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *purpose = NULL, *out = NULL, *dir = NULL;
    const char **rids = calloc(MC_GET_MAX, sizeof *rids);
    mc_cli_opt opts[] = {{.name = "--purpose", .val = &purpose},
                         {.name = "--out", .val = &out},
                         {.name = "--out-dir", .val = &dir},
                         {0}};
    int rc = rids ? mc_cli_args(argc, argv, 2, &o, opts, rids, MC_GET_MAX) : mc_cli_fail("out of memory");
    unsigned n = 0;
    uint32_t p = 0;
    while (!rc && n < MC_GET_MAX && rids[n]) n++;
    if (!rc && (!n || (n > 1 && !dir) || (out && dir)))
        rc = mc_cli_usage(
            "usage: medchain record get RID --key KEY [--purpose P] [--out FILE], or RID... --out-dir DIR");
    if (!rc && purpose) rc = mc_cli_parse_purpose(purpose, &p);
    mc_hash id;
    for (unsigned i = 0; i < n && !rc; i++) rc = mc_cli_id_arg("the record", rids[i], id.b);
    if (rc) {
        free(rids);
        return rc;
    }
    mc_cli_conn c;
    memset(&c, 0, sizeof c); /* closed even when never connected */
    mc_buf plain;
    mc_body_anchor *a = malloc(sizeof *a);
    mc_buf_init(&plain, MC_CLI_MAX_CIPHER);
    rc = !a ? mc_cli_fail("out of memory") : mc_cli_connect(&c, &o, 1);
    for (unsigned i = 0; i < n && !rc; i++) {
        if (mc_cli_id_arg("the record", rids[i], id.b) || (rc = mc_cli_record_plain(&c, &id, p, &plain, a)))
            break;
        rc = mc_record_write(&plain, out, dir, rids[i]);
        mc_wipe(plain.p, plain.n);
    }
    mc_buf_free(&plain);
    free(a);
    free(rids);
    mc_cli_close(&c);
    return rc;
}
