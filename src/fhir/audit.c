/*
 * One logged read as a FHIR AuditEvent in the IHE BALP "Read" shape (Basic Audit Log
 * Patterns, IHE.BasicAudit.PatientRead; fhir.h, mc_fhir_audit_event). R4 AuditEvent has no
 * identifier element: the access.log transaction is the resource id and an entity.
 */
#include <string.h>

#include "fhir_internal.h"

#define MC_FHIR_BALP_PATIENT_READ                                                                            \
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"

/* audit-entity-type and object-role codes of the entities below */
static json_t *mc_fhir_entity(json_t *what, const char *type, const char *type_disp, const char *role,
                              const char *role_disp)
{
    return json_pack("{s:o,s:o,s:o}", "what", what, "type",
                     mc_fhir_coding(MC_FHIR_SYS_ENTITY_TYPE, type, type_disp), "role",
                     mc_fhir_coding(MC_FHIR_SYS_OBJECT_ROLE, role, role_disp));
}

static json_t *mc_fhir_audit_agents(const mc_access *a, const mc_fhir_audit_ctx *ctx, const char *purpose,
                                    const char *purpose_disp)
{
    const char *rtype =
        memcmp(a->reader.b, a->patient.b, 32) == 0 ? "Patient" : mc_fhir_identity_type(ctx->reader_kind);
    json_t *reader = json_pack("{s:o,s:o,s:b,s:[o]}", "type",
                               mc_fhir_concept(MC_FHIR_SYS_PARTICIPATION, "IRCP", "information recipient"),
                               "who", mc_fhir_ref_hex(rtype, a->reader.b), "requestor", 1, "purposeOfUse",
                               mc_fhir_concept(MC_FHIR_SYS_ACT_REASON, purpose, purpose_disp));
    json_t *server =
        json_pack("{s:o,s:o,s:b}", "type", mc_fhir_concept(MC_FHIR_SYS_DCM, "110153", "Source Role ID"),
                  "who", mc_fhir_ref_hex("Device", a->custodian_node.b), "requestor", 0);
    return json_pack("[o,o]", reader, server);
}

static json_t *mc_fhir_audit_entities(const mc_access *a)
{
    json_t *log = json_pack("{s:o}", "identifier", mc_fhir_ident_hex(MC_FHIR_SID_TX, a->log_tx.b));
    json_t *ents = json_pack(
        "[o,o,o]", mc_fhir_entity(mc_fhir_ref_hex("Patient", a->patient.b), "1", "Person", "1", "Patient"),
        mc_fhir_entity(mc_fhir_ref_hex("DocumentReference", a->record.b), "2", "System Object", "4",
                       "Domain Resource"),
        mc_fhir_entity(log, "2", "System Object", "4", "Domain Resource"));
    /* what was asked for: medchain's action and route (the decision only, or the ciphertext) */
    const char *action = mc_action_name(a->action);
    json_t *detail =
        json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "action", "valueString", action ? action : "unknown",
                  "type", "via", "valueString", a->via == MC_VIA_CONTENT ? "content" : "decision");
    json_t *logent = json_array_get(ents, 2);
    int rc = logent ? mc_fhir_set(logent, "name", json_string("access.log")) : MC_ENOMEM;
    if (rc == MC_OK)
        rc = mc_fhir_set(logent, "detail", detail);
    else
        json_decref(detail);
    if (rc != MC_OK) {
        json_decref(ents);
        return NULL;
    }
    if (a->has_basis) {
        /* a grant or deny is a Consent; a break-glass has no FHIR resource: its transaction id */
        json_t *what = a->emergency
                           ? json_pack("{s:o}", "identifier", mc_fhir_ident_hex(MC_FHIR_SID_TX, a->basis.b))
                           : mc_fhir_ref_hex("Consent", a->basis.b);
        if (mc_fhir_push(ents, mc_fhir_entity(what, "2", "System Object", "13", "Security Resource")) !=
            MC_OK) {
            json_decref(ents);
            return NULL;
        }
    }
    return ents;
}

int mc_fhir_audit_event(json_t **out, const mc_access *a, const mc_fhir_audit_ctx *ctx)
{
    if (!out) return MC_EINVAL;
    *out = NULL;
    char when[32], hex[65];
    const char *purpose = a ? mc_purpose_name(a->purpose) : NULL;
    if (!a || !ctx || !purpose || mc_fhir_instant(when, ctx->time_ms) != MC_OK) return MC_EINVAL;
    const char *reason = mc_reason_name(a->reason);
    mc_hex_encode(hex, a->log_tx.b, 32);
    json_t *ev = json_pack(
        "{s:s,s:s,s:{s:[s]},s:o,s:[o],s:s,s:s,s:s,s:s,s:[o],s:o,s:{s:o,s:[o]},s:o}", "resourceType",
        "AuditEvent", "id", hex, "meta", "profile", MC_FHIR_BALP_PATIENT_READ, "type",
        mc_fhir_coding(MC_FHIR_SYS_DCM, "110110", "Patient Record"), "subtype",
        mc_fhir_coding(MC_FHIR_SYS_RESTFUL, "read", "read"), "action", "R", "recorded", when, "outcome",
        a->permit ? "0" : "4", "outcomeDesc", reason ? reason : "UNKNOWN", "purposeOfEvent",
        mc_fhir_concept(MC_FHIR_SYS_ACT_REASON, purpose, mc_fhir_purpose_display(a->purpose)), "agent",
        mc_fhir_audit_agents(a, ctx, purpose, mc_fhir_purpose_display(a->purpose)), "source", "observer",
        mc_fhir_ref_hex("Organization", ctx->custodian_org.b), "type",
        mc_fhir_coding(MC_FHIR_SYS_SOURCE_TYPE, "4", "Application Server"), "entity",
        mc_fhir_audit_entities(a));
    if (!ev) return MC_ENOMEM;
    *out = ev;
    return MC_OK;
}
