/*
 * medchain grant | deny | revoke | delegate: a patient's (or a delegate's) consent transactions.
 * Every argument is checked before anything is sent; a grant's or deny's id is the id of its
 * transaction, printed on success, and is what `medchain revoke` takes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MC_DAY_MS (24ull * 3600 * 1000)

static int mc_cat_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int mc_rec_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* --categories a,b: sorted, without duplicates. */
static int mc_consent_cats(mc_body_consent *b, const char *list)
{
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (!mc_category_ok(p, n)) return mc_cli_usage("--categories: '%.*s' is not a category", (int)n, p);
        if (b->ncats == MC_MAX_SCOPE_CATS) return mc_cli_usage("at most %u categories", MC_MAX_SCOPE_CATS);
        memcpy(b->cats[b->ncats], p, n);
        b->cats[b->ncats++][n] = 0;
        if (!p[n]) break;
        p += n + 1;
    }
    qsort(b->cats, b->ncats, sizeof b->cats[0], mc_cat_cmp);
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->ncats; i++)
        if (!k || strcmp(b->cats[k - 1], b->cats[i]) != 0)
            memmove(b->cats[k++], b->cats[i], sizeof b->cats[0]);
    b->ncats = k;
    return 0;
}

/* --records r1,r2: sorted, without duplicates. */
static int mc_consent_records(mc_body_consent *b, const char *list)
{
    char hex[65];
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (b->nrecords == MC_MAX_SCOPE_RECORDS)
            return mc_cli_usage("at most %u records", MC_MAX_SCOPE_RECORDS);
        snprintf(hex, sizeof hex, "%.*s", (int)(n < 64 ? n : 64), p);
        if (n != 64 || mc_cli_parse_id(hex, b->records[b->nrecords++].b))
            return mc_cli_usage("--records takes record ids of 64 hex digits, separated by commas");
        if (!p[n]) break;
        p += n + 1;
    }
    qsort(b->records, b->nrecords, sizeof b->records[0], mc_rec_cmp);
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->nrecords; i++)
        if (!k || memcmp(b->records[k - 1].b, b->records[i].b, 32) != 0) b->records[k++] = b->records[i];
    b->nrecords = k;
    return 0;
}

/* The window: --from (default now) and --until or --days. */
static int mc_consent_window(mc_body_consent *b, const mc_cli_consent_args *a)
{
    uint64_t days;
    b->not_before = mc_time_now_ms();
    if (a->from && mc_cli_parse_time(a->from, &b->not_before))
        return mc_cli_usage("--from takes Unix milliseconds or a UTC time like 2026-11-24T10:00:00Z");
    if (!a->until == !a->days) return mc_cli_usage("give one of --until TIME and --days N");
    if (a->until && mc_cli_parse_time(a->until, &b->not_after))
        return mc_cli_usage("--until takes Unix milliseconds or a UTC time like 2026-11-24T10:00:00Z");
    if (a->days) {
        if (mc_parse_u64(a->days, &days) || days == 0 || days > 36500)
            return mc_cli_usage("--days takes a number of days from 1 to 36500");
        b->not_after = b->not_before + days * MC_DAY_MS;
    }
    if (b->not_after <= b->not_before) return mc_cli_usage("the window ends before it begins");
    return 0;
}

static int mc_no_id(const mc_id *id)
{
    static const mc_id none;
    return memcmp(id->b, none.b, 32) == 0;
}

int mc_cli_consent_body(mc_body_consent *b, const mc_cli_consent_args *a, const mc_id *self, int deny)
{
    int rc;
    memset(b, 0, sizeof *b);
    b->patient = *self;
    if (a->patient && (rc = mc_cli_id_arg("--patient", a->patient, b->patient.b))) return rc;
    if (mc_no_id(&b->patient)) return mc_cli_usage("--patient PID is needed (no KEY.pub here)");
    if (!a->to == !a->org)
        return mc_cli_usage("name the grantee: --to ID, --org ORG or --org ORG --where k=v");
    if (a->where && !a->org) return mc_cli_usage("--where goes with --org ORG");
    b->grantee_kind = a->to ? MC_GRANTEE_IDENTITY : a->where ? MC_GRANTEE_SELECTOR : MC_GRANTEE_ORG;
    if ((rc = mc_cli_id_arg(a->to ? "--to" : "--org", a->to ? a->to : a->org, b->grantee.b))) return rc;
    if (a->where && (mc_attrs_parse(&b->selector, a->where) || !b->selector.n))
        return mc_cli_usage("--where takes key=value,... (keys a-z0-9_.-, at most %u)", MC_MAX_ATTRS);
    if (a->cats && a->records) return mc_cli_usage("give --categories or --records, not both");
    b->scope_kind = a->cats ? MC_SCOPE_CATEGORIES : a->records ? MC_SCOPE_RECORDS : MC_SCOPE_ALL;
    if (a->cats && (rc = mc_consent_cats(b, a->cats))) return rc;
    if (a->records && (rc = mc_consent_records(b, a->records))) return rc;
    if (!a->purpose) return mc_cli_usage("--purpose is needed (TREAT, HOPERAT, ...)");
    if ((rc = mc_cli_parse_purposes(a->purpose, &b->purposes))) return rc;
    /* a deny without --actions denies every action; a grant gives the record and its metadata */
    const char *actions = a->actions ? a->actions : deny ? "read,read_meta,read_deid" : "read,read_meta";
    if ((rc = mc_cli_parse_actions(actions, &b->actions))) return rc;
    return mc_consent_window(b, a);
}

/* Connects, signs and submits @p body (freed here); shared by every command in this file. */
static int mc_consent_send(mc_cli_common *o, uint16_t kind, const char *what, mc_buf *body)
{
    mc_cli_conn c;
    int rc =
        mc_cli_connect(&c, o, 1) ? 1 : mc_cli_submit(&c, kind, body, what, o->json ? MC_CLI_JSON : 0, NULL);
    mc_cli_close(&c);
    mc_buf_free(body);
    return rc;
}

/* The signer's own id from its public key file (KEY.pub), so that nothing needs the passphrase
 * before the arguments are known to be good. */
static int mc_consent_self(const mc_cli_common *o, mc_id *self)
{
    char pub[4200];
    mc_cli_pub p;
    if (!o->key) return mc_cli_usage("this command needs --key FILE");
    snprintf(pub, sizeof pub, "%s.pub", o->key);
    memset(self, 0, sizeof *self);
    FILE *f = fopen(pub, "r");
    if (!f) return 0; /* unknown: --patient is then required */
    fclose(f);
    if (mc_cli_read_pub(pub, &p)) return MC_CLI_USAGE;
    *self = p.id;
    return 0;
}

/* Encodes and submits a grant or deny; a grant made by the patient first gets its keys
 * (re-wrapped data keys of the records in its scope; the search key with --share-search-key). */
static int mc_consent_submit(mc_cli_common *o, mc_body_consent *b, int deny, int share_search, int no_keys)
{
    mc_cli_conn c;
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_cli_connect(&c, o, 1);
    if (!rc && !deny && !no_keys) rc = mc_cli_grant_keys(&c, b, share_search);
    if (!rc && mc_body_consent_encode(&body, b)) rc = mc_cli_usage("this consent cannot be encoded");
    if (!rc)
        rc = mc_cli_submit(&c, deny ? MC_TX_CONSENT_DENY : MC_TX_CONSENT_GRANT, &body,
                           deny ? "deny" : "grant", o->json ? MC_CLI_JSON : 0, NULL);
    if (!rc && !deny && !o->json && b->nkeys) printf("keys re-wrapped for the grantee: %u\n", b->nkeys);
    mc_cli_close(&c);
    mc_buf_free(&body);
    return rc;
}

static int mc_consent_cmd(int argc, char **argv, int deny)
{
    mc_cli_common o = {0};
    mc_cli_consent_args a = {0};
    int share = 0, no_keys = 0;
    mc_cli_opt opts[] = {
        {.name = "--patient", .val = &a.patient}, {.name = "--to", .val = &a.to},
        {.name = "--org", .val = &a.org},         {.name = "--where", .val = &a.where},
        {.name = "--categories", .val = &a.cats}, {.name = "--records", .val = &a.records},
        {.name = "--purpose", .val = &a.purpose}, {.name = "--actions", .val = &a.actions},
        {.name = "--from", .val = &a.from},       {.name = "--until", .val = &a.until},
        {.name = "--days", .val = &a.days},       {.name = "--share-search-key", .flag = &share},
        {.name = "--no-keys", .flag = &no_keys},  {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    mc_id self;
    if (rc || (rc = mc_consent_self(&o, &self))) return rc;
    if (deny && (share || no_keys)) return mc_cli_usage("a deny carries no keys");
    mc_body_consent *b = malloc(sizeof *b);
    if (!b) return mc_cli_fail("out of memory");
    rc = mc_cli_consent_body(b, &a, &self, deny);
    if (!rc) rc = mc_consent_submit(&o, b, deny, share, no_keys);
    free(b);
    return rc;
}

int mc_cmd_grant(int argc, char **argv)
{
    return mc_consent_cmd(argc, argv, 0);
}

int mc_cmd_deny(int argc, char **argv)
{
    return mc_consent_cmd(argc, argv, 1);
}

int mc_cmd_revoke(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *id = NULL;
    int rc = mc_cli_args(argc, argv, 1, &o, NULL, &id, 1);
    if (rc) return rc;
    if (!id) return mc_cli_usage("usage: medchain revoke CONSENT_ID --key KEY");
    mc_body_consent_revoke b;
    memset(&b, 0, sizeof b);
    if ((rc = mc_cli_id_arg("the consent", id, b.target.b))) return rc;
    mc_buf body;
    mc_buf_init(&body, 256);
    if (mc_body_consent_revoke_encode(&body, &b)) {
        mc_buf_free(&body);
        return mc_cli_fail("cannot encode the revocation");
    }
    return mc_consent_send(&o, MC_TX_CONSENT_REVOKE, "revoke", &body);
}

int mc_cmd_delegate(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *patient = NULL, *add = NULL, *remove = NULL;
    mc_cli_opt opts[] = {{.name = "--patient", .val = &patient},
                         {.name = "--add", .val = &add},
                         {.name = "--remove", .val = &remove},
                         {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    mc_body_delegate b;
    if (rc || (rc = mc_consent_self(&o, &b.patient))) return rc;
    if (!add == !remove)
        return mc_cli_usage("usage: medchain delegate [--patient PID] (--add|--remove) ID --key KEY");
    if (patient && (rc = mc_cli_id_arg("--patient", patient, b.patient.b))) return rc;
    if (mc_no_id(&b.patient)) return mc_cli_usage("--patient PID is needed (no KEY.pub here)");
    if ((rc = mc_cli_id_arg(add ? "--add" : "--remove", add ? add : remove, b.delegate.b))) return rc;
    b.add = add != NULL;
    mc_buf body;
    mc_buf_init(&body, 256);
    if (mc_body_delegate_encode(&body, &b)) {
        mc_buf_free(&body);
        return mc_cli_fail("cannot encode the delegation");
    }
    return mc_consent_send(&o, MC_TX_CONSENT_DELEGATE, "delegate", &body);
}
