/*
 * `medchain dev`, the encrypted-record steps: the patient grants the cardiologist treatment
 * access with its search key; the cardiologist ingests a small FHIR Bundle (each resource
 * encrypted on the cardiologist's side, anchored, uploaded to the gatekeeper); the patient reads
 * one back through the gatekeeper and decrypts it (byte for byte the bundle's); the cardiologist
 * finds it by its LOINC code, the node seeing only tokens. The bundle is made up here: it
 * describes nobody.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/fhir.h"

static const char mc_dev_bundle[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
    "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"hr-1\",\"status\":\"final\","
    "\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/observation-category\","
    "\"code\":\"vital-signs\"}]}],\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8867-4\","
    "\"display\":\"Heart rate\"}]},\"effectiveDateTime\":\"2026-11-20T09:30:00Z\","
    "\"valueQuantity\":{\"value\":64,\"unit\":\"/min\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"/"
    "min\"}}},"
    "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"af-1\",\"clinicalStatus\":{\"coding\":[{"
    "\"system\":"
    "\"http://terminology.hl7.org/CodeSystem/"
    "condition-clinical\",\"code\":\"active\"}]},\"code\":{\"coding\":"
    "[{\"system\":\"http://snomed.info/sct\",\"code\":\"49436004\",\"display\":\"Atrial fibrillation\"}]},"
    "\"onsetDateTime\":\"2025-03-02\"}},"
    "{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"rx-1\",\"status\":\"active\",\"intent\":"
    "\"order\",\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/"
    "rxnorm\",\"code\":\"855332\",\"display\":\"warfarin 5 MG Oral "
    "Tablet\"}]},\"authoredOn\":\"2026-11-20\"}}]}";

/* The patient grants the cardiologist TREAT reads for 30 days, with the search key. */
static int mc_dev_grant(mc_cli_conn *patc, const mc_cli_conn *pc)
{
    mc_body_consent *b = calloc(1, sizeof *b);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    if (!b) return mc_cli_fail("out of memory");
    memcpy(b->patient.b, patc->keys.id.b, 32);
    b->grantee_kind = MC_GRANTEE_IDENTITY;
    memcpy(b->grantee.b, pc->keys.id.b, 32);
    b->scope_kind = MC_SCOPE_ALL;
    b->purposes = MC_PURPOSE_TREAT;
    b->actions = MC_ACTION_READ | MC_ACTION_READ_META;
    b->not_before = mc_time_now_ms();
    b->not_after = b->not_before + 30ull * 24 * 3600 * 1000;
    int rc = mc_cli_grant_keys(patc, b, 1) || mc_body_consent_encode(&body, b) ||
             mc_cli_submit(patc, MC_TX_CONSENT_GRANT, &body, "    grant", 0, NULL);
    if (!rc) printf("    the grant carries the patient's search key, wrapped to the cardiologist\n");
    free(b);
    mc_buf_free(&body);
    return rc;
}

/* The patient reads the Observation back and decrypts it: the bundle's bytes exactly. */
static int mc_dev_read_back(mc_cli_conn *patc, const mc_hash *rid)
{
    mc_fhir_bundle *fb = NULL;
    mc_fhir_entry *e = malloc(sizeof *e);
    mc_body_anchor *a = malloc(sizeof *a);
    mc_fhir_error err;
    mc_buf plain;
    mc_buf_init(&plain, MC_CLI_MAX_CIPHER);
    int rc = !e || !a ||
             mc_fhir_bundle_parse(&fb, (const uint8_t *)mc_dev_bundle, sizeof mc_dev_bundle - 1, &err) ||
             mc_fhir_bundle_entry(fb, 0, e);
    if (!rc) rc = mc_cli_record_plain(patc, rid, 0, &plain, a);
    if (!rc) {
        int same = plain.n == e->span.n && memcmp(plain.p, e->span.p, plain.n) == 0;
        printf("    served as ciphertext with its key released by the custodian's node, decrypted by the "
               "patient "
               "(%zu bytes): %s\n",
               plain.n, same ? "byte for byte the resource ingested" : "NOT the resource ingested");
        rc = !same;
    }
    mc_buf_free(&plain);
    mc_fhir_bundle_free(fb);
    free(e);
    free(a);
    return rc;
}

int mc_dev_records(mc_cli_conn *pc, mc_cli_conn *patc, const char *dir, int first)
{
    (void)dir;
    mc_cli_ingest in;
    json_t *manifest = json_array(), *found = NULL;
    size_t count = 0;
    mc_hash obs;
    memset(&in, 0, sizeof in);
    memcpy(in.patient.b, patc->keys.id.b, 32);

    mc_dev_step(first,
                "the patient grants the cardiologist treatment reads for 30 days, sharing its search key");
    int rc = mc_dev_grant(patc, pc);
    if (!rc) {
        mc_dev_step(first + 1,
                    "the cardiologist ingests a FHIR Bundle: each resource encrypted on their side, "
                    "anchored, uploaded");
        rc = mc_cli_ingest_setup(pc, &in, 0, 1) ||
             mc_cli_ingest_bundle(pc, &in, (const uint8_t *)mc_dev_bundle, sizeof mc_dev_bundle - 1, manifest,
                                  &count);
    }
    for (size_t i = 0; !rc && i < json_array_size(manifest); i++) {
        json_t *m = json_array_get(manifest, i);
        printf("    record %.16s… %s (%s): ciphertext with the custodian, key wrapped to patient, hospital, "
               "author\n",
               mc_cli_str(m, "record"), mc_cli_str(m, "type"), mc_cli_str(m, "category"));
    }
    if (!rc) rc = mc_cli_parse_id(mc_cli_str(json_array_get(manifest, 0), "record"), obs.b);
    if (!rc) {
        mc_dev_step(
            first + 2,
            "the patient fetches the Observation through the gatekeeper (a logged whole-chart read) and "
            "decrypts it");
        rc = mc_dev_read_back(patc, &obs);
    }
    if (!rc) {
        mc_dev_step(first + 3, "the cardiologist finds it by LOINC 8867-4: tokens only reach the node");
        rc = mc_cli_search(pc, &in.patient, "loinc:8867-4", &found);
        json_t *recs = json_object_get(found, "records");
        const char *id = mc_cli_str(json_array_get(recs, 0), "id");
        char want[65];
        mc_hex_encode(want, obs.b, 32);
        if (!rc) {
            printf("    %zu record found: %.16s… %s\n", json_array_size(recs), id,
                   json_array_size(recs) == 1 && !strcmp(id, want) ? "(the Observation)"
                                                                   : "(NOT the Observation)");
            rc = json_array_size(recs) != 1 || strcmp(id, want) != 0;
        }
    }
    json_decref(found);
    json_decref(manifest);
    mc_wipe(&in, sizeof in);
    return rc;
}
