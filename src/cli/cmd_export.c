/*
 * medchain export --patient PID: the patient's chart as one FHIR R4 Bundle (collection), built
 * here from what the caller may see: each record's resource, read through its custodian's
 * gatekeeper (whole-chart requests, logged, keys released) and decrypted locally, with a
 * DocumentReference pointing at it; each grant and deny as a Consent; each logged read as an
 * AuditEvent (IHE BALP). An auditor's export is metadata only: it never asks for content. When a
 * record cannot be read the Bundle holds the rest, every missing record is named, and the command
 * exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/fhir.h"

/* Appends @p res (owned) made with result @p rc (the caller calls the builder first: argument
 * evaluation order is unspecified). */
static int mc_append(json_t *arr, int rc, json_t *res, const char *type)
{
    if (rc || !res || json_array_append_new(arr, res))
        return mc_cli_fail("cannot build a FHIR %s: %s", type, mc_strerror(rc ? rc : MC_ENOMEM));
    return 0;
}

/* Records: each one's resource (read through its custodian's gatekeeper, logged, decrypted
 * here) when @p content, then a DocumentReference for each. *missing counts records not read. */
static int mc_export_records(mc_cli_conn *c, const char *pid, uint32_t purpose, int content, json_t *out,
                             size_t *nplain, size_t *missing)
{
    char base[120], param[40];
    snprintf(base, sizeof base, "/v1/patients/%s/records", pid);
    snprintf(param, sizeof param, "purpose=%s",
             mc_purpose_name(purpose ? purpose : (uint32_t)mc_cli_default_purpose(c)));
    json_t *all, *r, *res;
    if (mc_cli_list(c, base, param, "records", NULL, &all)) return 1;
    json_t *list = json_object_get(all, "records");
    size_t n = json_array_size(list), i, before = json_array_size(out);
    mc_record *recs = malloc((n ? n : 1) * sizeof *recs);
    mc_hash *ids = malloc((n ? n : 1) * sizeof *ids);
    int rc = recs && ids ? 0 : mc_cli_fail("out of memory");
    json_array_foreach(list, i, r)
    {
        if (rc || (rc = mc_cli_record_from(r, &recs[i]))) break;
        ids[i] = recs[i].id;
    }
    if (!rc && content && n) rc = mc_cli_read_resources(c, ids, n, purpose, out, missing);
    *nplain = json_array_size(out) - before;
    for (i = 0; i < n && !rc; i++) {
        rc = mc_fhir_document_reference(&res, &recs[i]);
        rc = mc_append(out, rc, res, "DocumentReference");
    }
    free(recs);
    free(ids);
    json_decref(all);
    return rc;
}

static int mc_export_consents(mc_cli_conn *c, const char *pid, json_t *out)
{
    char base[120];
    snprintf(base, sizeof base, "/v1/patients/%s/consents", pid);
    json_t *all, *g, *res;
    if (mc_cli_list(c, base, NULL, "consents", NULL, &all)) return 1;
    mc_consent *con = malloc(sizeof *con);
    int rc = con ? 0 : mc_cli_fail("out of memory");
    size_t i;
    json_array_foreach(json_object_get(all, "consents"), i, g)
    {
        if (rc || (rc = mc_cli_consent_from(c, g, con))) break;
        rc = mc_fhir_consent(&res, con, 0);
        rc = mc_append(out, rc, res, "Consent");
    }
    free(con);
    json_decref(all);
    return rc;
}

static int mc_export_access(mc_cli_conn *c, const char *pid, json_t *out)
{
    char base[120];
    snprintf(base, sizeof base, "/v1/patients/%s/access", pid);
    json_t *all, *x, *res;
    if (mc_cli_list(c, base, NULL, "access", NULL, &all)) return 1;
    int rc = 0;
    size_t i;
    json_array_foreach(json_object_get(all, "access"), i, x)
    {
        mc_access a;
        mc_fhir_audit_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        if (rc || (rc = mc_cli_access_from(x, &a))) break;
        /* the observer is the custodian org of the node that logged the read */
        if ((rc = mc_cli_identity_hex(c, a.custodian_node.b, "org", ctx.custodian_org.b))) break;
        ctx.time_ms = a.req_time_ms;
        rc = mc_fhir_audit_event(&res, &a, &ctx);
        rc = mc_append(out, rc, res, "AuditEvent");
    }
    json_decref(all);
    return rc;
}

int mc_cmd_export(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *patient = NULL, *purpose = NULL, *out = NULL;
    int meta_only = 0;
    mc_cli_opt opts[] = {{.name = "--patient", .val = &patient},
                         {.name = "--purpose", .val = &purpose},
                         {.name = "--out", .val = &out},
                         {.name = "--metadata-only", .flag = &meta_only},
                         {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    if (rc) return rc;
    mc_id pid;
    uint32_t p = 0;
    if (!patient)
        return mc_cli_usage(
            "usage: medchain export --patient PID --key KEY [--purpose P] [--out FILE] [--metadata-only]");
    if ((rc = mc_cli_id_arg("--patient", patient, pid.b))) return rc;
    if (purpose && (rc = mc_cli_parse_purpose(purpose, &p))) return rc;
    char hex[65];
    mc_hex_encode(hex, pid.b, 32);
    mc_cli_conn c;
    memset(&c, 0, sizeof c);
    json_t *res = json_array(), *bundle = NULL;
    size_t nplain = 0, missing = 0;
    rc = !res || mc_cli_connect(&c, &o, 1);
    /* auditors see who read what, never content: their export never asks for it */
    if (!rc && c.keys.kind == MC_ID_AUDITOR) meta_only = 1;
    rc = rc || mc_export_records(&c, hex, p, !meta_only, res, &nplain, &missing) ||
         mc_export_consents(&c, hex, res) || mc_export_access(&c, hex, res);
    if (!rc && mc_fhir_bundle_wrap(&bundle, "collection", res)) rc = mc_cli_fail("cannot build the Bundle");
    char *text = rc ? NULL : json_dumps(bundle, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!rc && !text) rc = mc_cli_fail("out of memory");
    if (!rc && out) {
        if (mc_file_write_atomic(out, text, strlen(text), 0600)) rc = mc_cli_fail("cannot write %s", out);
    } else if (!rc) {
        puts(text);
    }
    if (!rc)
        fprintf(stderr, "exported %zu resources (%zu records decrypted)\n", json_array_size(res), nplain);
    if (!rc && missing) /* what was read is written, and the command says it is not everything */
        rc = mc_cli_fail("incomplete: %zu of the patient's records could not be read (named above)", missing);
    if (text) mc_wipe(text, strlen(text));
    free(text);
    json_decref(bundle);
    json_decref(res);
    mc_cli_close(&c);
    return rc;
}
