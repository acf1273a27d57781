/*
 * A grant or deny as a FHIR R4 Consent (fhir.h, mc_fhir_consent). Scope patient-privacy
 * needs a patient (ppc-2) and a policy or policyRule (ppc-1): the rule is OPTIN for a grant and
 * OPTOUT for a deny (v3-ActCode). Codes come from the HL7 systems named in fhir_internal.h.
 */
#include <stdio.h>
#include <string.h>

#include "fhir_internal.h"

/* A time as a dateTime string, or NULL when @p ms is 0 or past year 9999 (an open bound). */
static json_t *mc_fhir_bound(uint64_t ms)
{
    char t[32];
    if (ms == 0 || mc_fhir_instant(t, ms) != MC_OK) return NULL;
    return json_string(t);
}

static json_t *mc_fhir_period(const mc_body_consent *b)
{
    json_t *p = json_object(), *start = mc_fhir_bound(b->not_before), *end = mc_fhir_bound(b->not_after);
    if (p && ((start && json_object_set(p, "start", start) != 0) ||
              (end && json_object_set(p, "end", end) != 0))) {
        json_decref(p);
        p = NULL;
    }
    json_decref(start);
    json_decref(end);
    return p;
}

/* A selector grantee's attribute pairs: one sub-extension per pair, its key as the url. */
static json_t *mc_fhir_selector(const mc_attrs *sel)
{
    json_t *subs = json_array();
    for (uint32_t i = 0; subs && i < sel->n && i < MC_MAX_ATTRS; i++) {
        if (mc_fhir_push(subs, json_pack("{s:s,s:s}", "url", sel->a[i].key, "valueString", sel->a[i].val)) !=
            MC_OK) {
            json_decref(subs);
            subs = NULL;
        }
    }
    return subs ? json_pack("[{s:s,s:o}]", "url", MC_FHIR_EXT_SELECTOR, "extension", subs) : NULL;
}

static json_t *mc_fhir_actor(const mc_body_consent *b, int grantee_kind)
{
    const char *type =
        b->grantee_kind == MC_GRANTEE_IDENTITY ? mc_fhir_identity_type(grantee_kind) : "Organization";
    json_t *ref = mc_fhir_ref_hex(type, b->grantee.b);
    if (ref && b->grantee_kind == MC_GRANTEE_SELECTOR &&
        mc_fhir_set(ref, "extension", mc_fhir_selector(&b->selector)) != MC_OK) {
        json_decref(ref);
        ref = NULL;
    }
    return json_pack("[{s:o,s:o}]", "role",
                     mc_fhir_concept(MC_FHIR_SYS_PARTICIPATION, "IRCP", "information recipient"), "reference",
                     ref);
}

/* One CodeableConcept per action bit: the consentaction code and medchain's own. */
static json_t *mc_fhir_actions(uint8_t actions)
{
    json_t *a = json_array();
    for (uint8_t bit = 1; a && bit && bit <= MC_ACTION_ALL_; bit = (uint8_t)(bit << 1)) {
        if (!(actions & bit)) continue;
        const char *fhir = bit == MC_ACTION_READ_DEID ? "use" : "access";
        json_t *cc = json_pack("{s:[o,o]}", "coding", mc_fhir_coding(MC_FHIR_SYS_CONSENT_ACTION, fhir, NULL),
                               mc_fhir_coding(MC_FHIR_SYS_ACTION, mc_action_name(bit), NULL));
        if (mc_fhir_push(a, cc) != MC_OK) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

static json_t *mc_fhir_purposes(uint32_t purposes)
{
    json_t *a = json_array();
    for (uint32_t bit = 1; a && bit && bit <= MC_PURPOSE_ALL_; bit <<= 1) {
        if (!(purposes & bit)) continue;
        json_t *c =
            mc_fhir_coding(MC_FHIR_SYS_ACT_REASON, mc_purpose_name(bit), mc_fhir_purpose_display(bit));
        if (mc_fhir_push(a, c) != MC_OK) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* data (record scope) or code (category scope); nothing for the whole record set. */
static int mc_fhir_scope(json_t *prov, const mc_body_consent *b)
{
    json_t *a = json_array();
    if (!a) return MC_ENOMEM;
    int rc = MC_OK;
    if (b->scope_kind == MC_SCOPE_RECORDS) {
        for (uint32_t i = 0; rc == MC_OK && i < b->nrecords && i < MC_MAX_SCOPE_RECORDS; i++)
            rc = mc_fhir_push(a, json_pack("{s:s,s:o}", "meaning", "instance", "reference",
                                           mc_fhir_ref_hex("DocumentReference", b->records[i].b)));
        if (rc == MC_OK) return mc_fhir_set(prov, "data", a);
    } else if (b->scope_kind == MC_SCOPE_CATEGORIES) {
        for (uint32_t i = 0; rc == MC_OK && i < b->ncats && i < MC_MAX_SCOPE_CATS; i++)
            rc = mc_fhir_push(a, mc_fhir_concept(MC_FHIR_SYS_RECORD_CATEGORY, b->cats[i], NULL));
        if (rc == MC_OK) return mc_fhir_set(prov, "code", a);
    }
    json_decref(a);
    return rc;
}

static int mc_fhir_provision(json_t *c, const mc_consent *cs, int grantee_kind)
{
    const mc_body_consent *b = &cs->body;
    json_t *prov = json_pack("{s:s,s:o,s:o,s:o,s:o}", "type", cs->deny ? "deny" : "permit", "period",
                             mc_fhir_period(b), "actor", mc_fhir_actor(b, grantee_kind), "action",
                             mc_fhir_actions(b->actions), "purpose", mc_fhir_purposes(b->purposes));
    if (!prov) return MC_ENOMEM;
    if (json_object_size(json_object_get(prov, "period")) == 0) json_object_del(prov, "period");
    int rc = mc_fhir_scope(prov, b);
    if (rc != MC_OK) {
        json_decref(prov);
        return rc;
    }
    return mc_fhir_set(c, "provision", prov);
}

static int mc_fhir_consent_fill(json_t *c, const mc_consent *cs, int grantee_kind, const char *when)
{
    static const mc_hash zero;
    int rc = MC_OK;
    if (memcmp(cs->id.b, zero.b, 32) != 0) {
        char hex[65];
        mc_hex_encode(hex, cs->id.b, 32);
        rc = mc_fhir_set(c, "id", json_string(hex));
        if (!rc)
            rc = mc_fhir_set(c, "identifier", json_pack("[o]", mc_fhir_ident_hex(MC_FHIR_SID_TX, cs->id.b)));
    }
    int revoked = cs->status == MC_CONSENT_REVOKED;
    json_t *rv = revoked ? mc_fhir_bound(cs->revoked_time_ms) : NULL;
    if (!rc && rv)
        rc = mc_fhir_set(c, "extension",
                         json_pack("[{s:s,s:O}]", "url", MC_FHIR_EXT_REVOKED, "valueDateTime", rv));
    json_decref(rv);
    if (!rc) rc = mc_fhir_set(c, "status", json_string(revoked ? "inactive" : "active"));
    if (!rc)
        rc = mc_fhir_set(c, "scope",
                         mc_fhir_concept(MC_FHIR_SYS_CONSENT_SCOPE, "patient-privacy", "Privacy Consent"));
    if (!rc)
        rc =
            mc_fhir_set(c, "category", json_pack("[o]", mc_fhir_concept(MC_FHIR_SYS_LOINC, "59284-0", NULL)));
    if (!rc) rc = mc_fhir_set(c, "patient", mc_fhir_ref_hex("Patient", cs->body.patient.b));
    if (!rc && when) rc = mc_fhir_set(c, "dateTime", json_string(when));
    int by_patient = memcmp(cs->by.b, cs->body.patient.b, 32) == 0;
    if (!rc)
        rc = mc_fhir_set(
            c, "performer",
            json_pack("[o]", mc_fhir_ref_hex(by_patient ? "Patient" : "RelatedPerson", cs->by.b)));
    if (!rc)
        rc = mc_fhir_set(c, "policyRule",
                         mc_fhir_concept(MC_FHIR_SYS_ACT_CODE, cs->deny ? "OPTOUT" : "OPTIN", NULL));
    if (!rc) rc = mc_fhir_provision(c, cs, grantee_kind);
    return rc;
}

int mc_fhir_consent(json_t **out, const mc_consent *c, int grantee_kind)
{
    if (!out) return MC_EINVAL;
    *out = NULL;
    if (!c) return MC_EINVAL;
    const mc_body_consent *b = &c->body;
    char when[32] = "";
    if (b->grantee_kind < MC_GRANTEE_IDENTITY || b->grantee_kind > MC_GRANTEE_SELECTOR ||
        b->scope_kind < MC_SCOPE_ALL || b->scope_kind > MC_SCOPE_RECORDS ||
        !(b->purposes & MC_PURPOSE_ALL_) || !(b->actions & MC_ACTION_ALL_) ||
        (c->time_ms && mc_fhir_instant(when, c->time_ms) != MC_OK))
        return MC_EINVAL;
    json_t *j = json_pack("{s:s}", "resourceType", "Consent");
    if (!j) return MC_ENOMEM;
    int rc = mc_fhir_consent_fill(j, c, grantee_kind, when[0] ? when : NULL);
    if (rc != MC_OK) {
        json_decref(j);
        return rc;
    }
    *out = j;
    return MC_OK;
}
