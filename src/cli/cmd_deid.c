/*
 * medchain deid --to RESEARCH_ORG --patient PID...: a HIPAA Safe Harbor de-identified FHIR
 * dataset of the patients who opted in, made on the data steward's machine, and a
 * research.release transaction with its hash.
 *
 * A record is in the dataset only if the policy permits the research org read_deid for HRESCH
 * on it (the patient's opt-in grant, less any deny), asked of the node for each record. The
 * steward reads the records its org holds, whoever authored them, through the gatekeeper in
 * whole-chart requests (logged, purpose HOPERAT: creating de-identified data is a health care
 * operation; the data keys released by its own custodian node) and decrypts them locally; a
 * record that cannot be read is skipped and counted, never fatal; each
 * patient's resources go through mc_fhir_deid with a fresh random pseudonym for this release
 * only. The identified data never leaves the steward's machine; the research org receives the
 * output file, whose hash the ledger keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "medchain/fhir.h"

#define MC_DEID_MAX_PATIENTS 1024u

/* 1 if the research org may have @p rid de-identified (the patient opted in), 0 if not. */
static int mc_opted_in(mc_cli_conn *c, const char *rid, const char *org, int *yes)
{
    char path[300];
    snprintf(path, sizeof path, "/v1/decide?record=%s&requester=%s&purpose=HRESCH&action=read_deid", rid,
             org);
    json_t *j;
    if (mc_cli_get(c, path, &j)) return 1;
    *yes = json_is_true(json_object_get(j, "permit"));
    json_decref(j);
    return 0;
}

/* One patient's records held by the steward's org that the research org may have de-identified
 * (each record decided on its own: an opt-in may cover some categories, a deny may exclude
 * some), read in whole-chart requests (purpose HOPERAT, keys released by the custodian),
 * de-identified under a fresh pseudonym and appended to @p out. A record that cannot be read is
 * skipped and counted in @p skipped, never fatal. */
static int mc_deid_patient(mc_cli_conn *c, const char *pid, const char *org, const mc_id *my_org, json_t *out,
                           size_t *taken, size_t *skipped)
{
    char base[120], pseudonym[33];
    uint8_t rnd[16];
    snprintf(base, sizeof base, "/v1/patients/%s/records", pid);
    json_t *all, *mine = json_array(), *r;
    if (!mine || mc_cli_list(c, base, "purpose=HOPERAT", "records", NULL, &all)) {
        json_decref(mine);
        return 1;
    }
    json_t *list = json_object_get(all, "records");
    mc_hash *ids = malloc((json_array_size(list) + 1) * sizeof *ids);
    size_t n = 0, i, missing = 0;
    int rc = ids ? 0 : mc_cli_fail("out of memory");
    json_array_foreach(list, i, r)
    {
        mc_id cust;
        int in = 0;
        if (rc || mc_cli_parse_id(mc_cli_str(r, "id"), ids[n].b) ||
            mc_cli_parse_id(mc_cli_str(r, "custodian"), cust.b) || memcmp(cust.b, my_org->b, 32))
            continue;
        if ((rc = mc_opted_in(c, mc_cli_str(r, "id"), org, &in)) || !in) continue; /* outside the opt-in */
        n++;
    }
    if (!rc && n) rc = mc_cli_read_resources(c, ids, n, MC_PURPOSE_HOPERAT, mine, &missing);
    *skipped += missing;
    json_t *released = NULL;
    mc_random(rnd, sizeof rnd);
    mc_hex_encode(pseudonym, rnd, sizeof rnd);
    mc_fhir_deid_opts opts = {.pseudonym = pseudonym, .release_time_ms = mc_time_now_ms()};
    if (!rc && json_array_size(mine)) {
        if (mc_fhir_deid(&released, mine, &opts))
            rc = mc_cli_fail("a patient's records cannot be de-identified");
        if (!rc && json_array_size(released)) {
            json_array_extend(out, released);
            ++*taken;
        }
    }
    json_decref(released);
    json_decref(mine); /* identified: dropped here, never written */
    json_decref(all);
    free(ids);
    return rc;
}

static int mc_deid_release(mc_cli_conn *c, const mc_id *to, const char *text, size_t npat, size_t nres,
                           int json)
{
    mc_body_release b;
    memset(&b, 0, sizeof b);
    mc_random(b.release.b, 32);
    b.recipient = *to;
    mc_sha256(&b.dataset, text, strlen(text));
    b.npatients = (uint32_t)npat;
    b.nresources = (uint32_t)nres;
    mc_buf body;
    mc_buf_init(&body, 256);
    int rc = mc_body_release_encode(&body, &b)
                 ? mc_cli_fail("cannot encode the release")
                 : mc_cli_submit(c, MC_TX_RESEARCH_RELEASE, &body, "release", json ? MC_CLI_JSON : 0, NULL);
    mc_buf_free(&body);
    if (!rc && !json) {
        char hex[65];
        mc_hex_encode(hex, b.dataset.b, 32);
        printf("dataset sha256 %s: %zu patients, %zu resources\n", hex, npat, nres);
    }
    return rc;
}

int mc_cmd_deid(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *to = NULL, *out = NULL;
    const char **pats = calloc(MC_DEID_MAX_PATIENTS, sizeof *pats);
    unsigned npats = 0;
    mc_cli_opt opts[] = {{.name = "--to", .val = &to},
                         {.name = "--out", .val = &out},
                         {.name = "--patient", .list = pats, .nlist = &npats, .cap = MC_DEID_MAX_PATIENTS},
                         {0}};
    int rc = pats ? mc_cli_args(argc, argv, 1, &o, opts, NULL, 0) : mc_cli_fail("out of memory");
    mc_id org, pid;
    memset(&org, 0, sizeof org);
    if (!rc && (!to || !out || !npats))
        rc = mc_cli_usage(
            "usage: medchain deid --key KEY --to RESEARCH_ORG --patient PID [--patient PID]... --out FILE");
    if (!rc) rc = mc_cli_id_arg("--to", to, org.b);
    for (unsigned i = 0; i < npats && !rc; i++) rc = mc_cli_id_arg("--patient", pats[i], pid.b);
    if (rc) {
        free(pats);
        return rc;
    }
    mc_cli_conn c;
    memset(&c, 0, sizeof c); /* closed even when never connected */
    mc_id my_org;
    char orghex[65], pidhex[65];
    mc_hex_encode(orghex, org.b, 32);
    json_t *res = json_array(), *bundle = NULL;
    size_t taken = 0, skipped = 0;
    rc = !res || mc_cli_connect(&c, &o, 1) || mc_cli_identity_hex(&c, c.keys.id.b, "org", my_org.b);
    for (unsigned i = 0; i < npats && !rc; i++) {
        (void)mc_cli_id_arg("--patient", pats[i], pid.b);
        mc_hex_encode(pidhex, pid.b, 32);
        rc = mc_deid_patient(&c, pidhex, orghex, &my_org, res, &taken, &skipped);
    }
    if (!rc && skipped)
        fprintf(stderr,
                "medchain: %zu opted-in records could not be read and are not in the dataset (named above)\n",
                skipped);
    if (!rc && !taken)
        rc = mc_cli_fail("none of these patients opted in to research by this org: nothing released");
    if (!rc && mc_fhir_bundle_wrap(&bundle, "collection", res)) rc = mc_cli_fail("cannot build the Bundle");
    char *text = rc ? NULL : json_dumps(bundle, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.unreleased", out);
    /* the dataset is written aside, released on the ledger, and only then given its name */
    if (!rc && (!text || mc_file_write_atomic(tmp, text, strlen(text), 0600)))
        rc = mc_cli_fail("cannot write %s", tmp);
    if (!rc) rc = mc_deid_release(&c, &org, text, taken, json_array_size(res), o.json);
    if (!rc && rename(tmp, out) != 0) rc = mc_cli_fail("cannot rename %s to %s", tmp, out);
    if (rc && text) unlink(tmp);
    free(text);
    json_decref(bundle);
    json_decref(res);
    free(pats);
    mc_cli_close(&c);
    return rc;
}
