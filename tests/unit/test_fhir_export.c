/*
 * fhir, part 2 (export): Bundles from spans and from JSON, DocumentReference from a record,
 * Consent from grants and denies, AuditEvent (IHE BALP Read) from the access history: the
 * required elements with the right HL7 systems and codes, checked by path; bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/fhir.h"
#include "testutil.h"

#define T0 1700000000123ull /* 2023-11-14T22:13:20.123Z */

/*
 * The value at @p path in @p j: keys and array indexes separated by '.', e.g.
 * "provision.actor.0.reference.reference"; NULL if absent.
 */
static const json_t *at(const json_t *j, const char *path)
{
    char part[128];
    while (j && *path) {
        size_t n = strcspn(path, ".");
        assert_true(n < sizeof part);
        memcpy(part, path, n);
        part[n] = 0;
        path += n + (path[n] == '.');
        if (json_is_array(j)) {
            char *end;
            unsigned long k = strtoul(part, &end, 10);
            j = *end ? NULL : json_array_get(j, k);
        } else {
            j = json_object_get(j, part);
        }
    }
    return j;
}

static const char *at_str(const json_t *j, const char *path)
{
    return json_string_value(at(j, path));
}

/*
 * Asserts the string at @p path. In @p value, "%XX" stands for the 64 hex digits of 32 bytes
 * all 0xXX (the sample ids below are such).
 */
static void want(const json_t *j, const char *path, const char *value)
{
    char v[512];
    size_t o = 0;
    for (const char *q = value; *q && o + 65 < sizeof v; q++) {
        if (q[0] == '%' && q[1] && q[2]) {
            char byte[3] = {q[1], q[2], 0};
            uint8_t b[32];
            memset(b, (int)strtoul(byte, NULL, 16), sizeof b);
            mc_hex_encode(v + o, b, 32);
            o += 64;
            q += 2;
        } else {
            v[o++] = *q;
        }
    }
    v[o] = 0;
    const char *got = at_str(j, path);
    if (!got || strcmp(got, v) != 0) fail_msg("%s: got %s, want %s", path, got ? got : "(none)", v);
}

/* Asserts each (path, value) pair of @p t with want(). */
static void want_all(const json_t *j, const char *const t[][2], size_t n)
{
    for (size_t i = 0; i < n; i++) want(j, t[i][0], t[i][1]);
}

/* 32 bytes of @p v, as a hash or as an id. */
static mc_hash hx(uint8_t v)
{
    mc_hash h;
    memset(h.b, v, sizeof h.b);
    return h;
}
static mc_id idv(uint8_t v)
{
    mc_id id;
    memset(id.b, v, sizeof id.b);
    return id;
}

/* ------------------------------------------------------------------------------------------ */
/* Bundles                                                                                      */

static void test_bundles(void **state)
{
    (void)state;
    static const char text[] =
        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
        "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}},"
        "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o\",\"valueQuantity\":{\"value\":1.25}}}]}";
    mc_fhir_bundle *fb = NULL;
    assert_ok(mc_fhir_bundle_parse(&fb, (const uint8_t *)text, strlen(text), NULL));
    mc_slice spans[2];
    mc_fhir_entry *e = malloc(sizeof *e);
    for (size_t i = 0; i < 2; i++) {
        assert_ok(mc_fhir_bundle_entry(fb, i, e));
        spans[i] = e->span;
    }
    free(e);

    json_t *b = NULL;
    assert_ok(mc_fhir_bundle_build(&b, "collection", spans, 2));
    want(b, "resourceType", "Bundle");
    want(b, "type", "collection");
    assert_null(at(b, "total"));
    assert_int_equal(json_array_size(at(b, "entry")), 2);
    assert_true(json_equal((json_t *)at(b, "entry.1.resource"),
                           (json_t *)at(mc_fhir_bundle_json(fb), "entry.1.resource")));
    assert_null(at(b, "entry.0.search"));
    json_decref(b);

    assert_ok(mc_fhir_bundle_build(&b, "searchset", spans, 2));
    want(b, "type", "searchset");
    assert_int_equal(json_integer_value(at(b, "total")), 2);
    want(b, "entry.0.search.mode", "match");
    want(b, "entry.1.resource.id", "o");
    json_decref(b);

    /* from JSON: deep copies, the caller's array untouched */
    json_t *arr = json_pack("[{s:s,s:s}]", "resourceType", "Condition", "id", "c");
    assert_ok(mc_fhir_bundle_wrap(&b, "searchset", arr));
    want(b, "entry.0.resource.id", "c");
    assert_true(at(b, "entry.0.resource") != json_array_get(arr, 0));
    assert_int_equal(json_integer_value(at(b, "total")), 1);
    json_decref(b);
    assert_ok(mc_fhir_bundle_build(&b, "collection", NULL, 0));
    assert_int_equal(json_array_size(at(b, "entry")), 0);
    json_decref(b);

    /* refused: other types, spans that are not resources, arrays with non-resources */
    static const char *const bad_types[] = {"transaction", "document", "Collection", "", NULL};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad_types); i++) {
        b = (json_t *)1;
        assert_rc(mc_fhir_bundle_build(&b, bad_types[i], spans, 2), MC_EINVAL);
        assert_null(b);
        assert_rc(mc_fhir_bundle_wrap(&b, bad_types[i], arr), MC_EINVAL);
        assert_null(b);
    }
    static const char *const bad_spans[] = {"[]", "{}", "{\"resourceType\":\"x\"}", "{\"a\":1,\"a\":2}",
                                            "",   "{"};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad_spans); i++) {
        mc_slice s = {(const uint8_t *)bad_spans[i], strlen(bad_spans[i])};
        b = (json_t *)1;
        assert_rc(mc_fhir_bundle_build(&b, "collection", &s, 1), MC_EINVAL);
        assert_null(b);
    }
    json_array_append_new(arr, json_integer(3));
    assert_rc(mc_fhir_bundle_wrap(&b, "collection", arr), MC_EINVAL);
    assert_rc(mc_fhir_bundle_wrap(&b, "collection", NULL), MC_EINVAL);
    assert_rc(mc_fhir_bundle_build(&b, "collection", NULL, 1), MC_EINVAL);
    assert_rc(mc_fhir_bundle_build(&b, "collection", spans, (size_t)MC_FHIR_MAX_ENTRIES + 1), MC_ETOOBIG);
    assert_rc(mc_fhir_bundle_build(NULL, "collection", spans, 2), MC_EINVAL);
    assert_rc(mc_fhir_bundle_wrap(NULL, "collection", arr), MC_EINVAL);
    json_decref(arr);
    mc_fhir_bundle_free(fb);
}

/* ------------------------------------------------------------------------------------------ */
/* DocumentReference                                                                             */

static void sample_record(mc_record *r)
{
    *r = (mc_record){.id = hx(0x11),
                     .anchor_tx = hx(0x12),
                     .patient = idv(0x13),
                     .custodian = idv(0x14),
                     .author = idv(0x15),
                     .author_org = idv(0x14),
                     .category = "vital-signs",
                     .sensitivity = MC_SENS_RESTRICTED,
                     .cipher_hash = hx(0xab),
                     .commitment = hx(0x17),
                     .size = 4096,
                     .root = hx(0x11),
                     .height = 9,
                     .time_ms = T0};
}

static void test_document_reference(void **state)
{
    (void)state;
    mc_record r;
    sample_record(&r);
    json_t *d = NULL;
    assert_ok(mc_fhir_document_reference(&d, &r));
    static const char *const docref[][2] = {
        {"resourceType", "DocumentReference"},
        {"id", "%11"},
        {"status", "current"},
        {"masterIdentifier.value", "%11"},
        {"subject.reference", "Patient/%13"},
        {"custodian.reference", "Organization/%14"},
        {"author.0.reference", "Practitioner/%15"},
        {"category.0.coding.0.code", "vital-signs"},
        {"category.0.coding.0.system", MC_FHIR_NS "/CodeSystem/record-category"},
        {"date", "2023-11-14T22:13:20.123Z"},
        {"securityLabel.0.coding.0.system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"},
        {"securityLabel.0.coding.0.code", "R"},
        {"content.0.attachment.url", "/v1/records/%11/content"},
        {"content.0.attachment.contentType", "application/octet-stream"},
        {"content.0.attachment.extension.0.url", MC_FHIR_NS "/StructureDefinition/ciphertext-sha256"},
        {"content.0.attachment.extension.0.valueString", "%ab"},
        {"identifier.0.system", MC_FHIR_NS "/sid/ciphertext-sha256"},
        {"identifier.0.value", "%ab"},
    };
    want_all(d, docref, MC_ARRAY_LEN(docref));
    assert_int_equal(json_integer_value(at(d, "content.0.attachment.size")), 4096);
    assert_null(at(d, "content.0.attachment.data")); /* never content */
    assert_null(at(d, "relatesTo"));
    json_decref(d);

    /* an amendment, itself amended; a size FHIR cannot write */
    r.has_supersedes = 1;
    r.supersedes = hx(0x21);
    r.has_superseded_by = 1;
    r.superseded_by = hx(0x22);
    r.size = 1ull << 31;
    r.sensitivity = MC_SENS_NORMAL;
    assert_ok(mc_fhir_document_reference(&d, &r));
    static const char *const amended[][2] = {
        {"status", "superseded"},
        {"relatesTo.0.code", "replaces"},
        {"relatesTo.0.target.reference", "DocumentReference/%21"},
        {"securityLabel.0.coding.0.code", "N"},
    };
    want_all(d, amended, MC_ARRAY_LEN(amended));
    assert_null(at(d, "content.0.attachment.size"));
    json_decref(d);

    /* refused: a bad category, a time past 9999 */
    mc_record bad = r;
    strcpy(bad.category, "Vital Signs");
    d = (json_t *)1;
    assert_rc(mc_fhir_document_reference(&d, &bad), MC_EINVAL);
    assert_null(d);
    bad = r;
    bad.category[0] = 0;
    assert_rc(mc_fhir_document_reference(&d, &bad), MC_EINVAL);
    bad = r;
    bad.time_ms = 253402300800000ull;
    assert_rc(mc_fhir_document_reference(&d, &bad), MC_EINVAL);
    bad.time_ms = 253402300799999ull;
    assert_ok(mc_fhir_document_reference(&d, &bad));
    want(d, "date", "9999-12-31T23:59:59.999Z");
    json_decref(d);
    assert_rc(mc_fhir_document_reference(&d, NULL), MC_EINVAL);
    assert_rc(mc_fhir_document_reference(NULL, &r), MC_EINVAL);
}

/* ------------------------------------------------------------------------------------------ */
/* Consent                                                                                       */

static void sample_grant(mc_consent *c)
{
    memset(c, 0, sizeof *c);
    c->id = hx(0x31);
    c->status = MC_CONSENT_ACTIVE;
    c->by = idv(0x13);
    c->height = 5;
    c->time_ms = T0;
    mc_body_consent *b = &c->body;
    b->patient = idv(0x13);
    b->grantee_kind = MC_GRANTEE_IDENTITY;
    b->grantee = idv(0x15);
    b->scope_kind = MC_SCOPE_ALL;
    b->purposes = MC_PURPOSE_TREAT | MC_PURPOSE_HOPERAT;
    b->actions = MC_ACTION_READ;
    b->not_before = T0;
    b->not_after = T0 + 86400000ull;
}

static void test_consent(void **state)
{
    (void)state;
    mc_consent *c = malloc(sizeof *c);
    assert_non_null(c);
    sample_grant(c);
    char s[200];
    json_t *j = NULL;
    assert_ok(mc_fhir_consent(&j, c, MC_ID_PROVIDER));
    static const char *const grant[][2] = {
        {"resourceType", "Consent"},
        {"id", "%31"},
        {"identifier.0.value", "%31"},
        {"status", "active"},
        {"scope.coding.0.system", "http://terminology.hl7.org/CodeSystem/consentscope"},
        {"scope.coding.0.code", "patient-privacy"},
        {"category.0.coding.0.system", "http://loinc.org"},
        {"category.0.coding.0.code", "59284-0"},
        {"patient.reference", "Patient/%13"},
        {"dateTime", "2023-11-14T22:13:20.123Z"},
        {"performer.0.reference", "Patient/%13"},
        {"policyRule.coding.0.system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
        {"policyRule.coding.0.code", "OPTIN"},
        {"provision.type", "permit"},
        {"provision.period.start", "2023-11-14T22:13:20.123Z"},
        {"provision.period.end", "2023-11-15T22:13:20.123Z"},
        {"provision.actor.0.role.coding.0.system",
         "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"},
        {"provision.actor.0.role.coding.0.code", "IRCP"},
        {"provision.actor.0.reference.reference", "Practitioner/%15"},
        {"provision.action.0.coding.0.system", "http://terminology.hl7.org/CodeSystem/consentaction"},
        {"provision.action.0.coding.0.code", "access"},
        {"provision.action.0.coding.1.code", "read"},
        {"provision.purpose.0.system", "http://terminology.hl7.org/CodeSystem/v3-ActReason"},
        {"provision.purpose.0.code", "TREAT"},
        {"provision.purpose.1.code", "HOPERAT"},
    };
    want_all(j, grant, MC_ARRAY_LEN(grant));
    assert_int_equal(json_array_size(at(j, "provision.action")), 1);
    assert_int_equal(json_array_size(at(j, "provision.purpose")), 2);
    assert_null(at(j, "provision.data"));
    assert_null(at(j, "provision.code"));
    assert_null(at(j, "extension"));
    json_decref(j);

    /* every purpose and action, a selector grantee by a delegate, a category scope, open bounds */
    c->body.purposes = MC_PURPOSE_ALL_;
    c->body.actions = MC_ACTION_ALL_;
    c->body.grantee_kind = MC_GRANTEE_SELECTOR;
    assert_ok(mc_attrs_parse(&c->body.selector, "dept=cardiology,role=physician"));
    c->body.scope_kind = MC_SCOPE_CATEGORIES;
    c->body.ncats = 2;
    strcpy(c->body.cats[0], "laboratory");
    strcpy(c->body.cats[1], "vital-signs");
    c->body.not_before = 0;
    c->body.not_after = UINT64_MAX;
    c->by = idv(0x41);
    assert_ok(mc_fhir_consent(&j, c, 0));
    static const char *const purposes[] = {"TREAT",  "ETREAT",  "HPAYMT", "HOPERAT",
                                           "HRESCH", "PUBHLTH", "PATRQT"};
    for (size_t i = 0; i < MC_ARRAY_LEN(purposes); i++) {
        snprintf(s, sizeof s, "provision.purpose.%zu.code", i);
        want(j, s, purposes[i]);
        snprintf(s, sizeof s, "provision.purpose.%zu.display", i);
        assert_non_null(at_str(j, s));
    }
    static const char *const selector[][2] = {
        {"provision.action.1.coding.1.code", "read_meta"},
        {"provision.action.2.coding.0.code", "use"},
        {"provision.action.2.coding.1.code", "read_deid"},
        {"provision.actor.0.reference.reference", "Organization/%15"},
        {"provision.actor.0.reference.extension.0.url", MC_FHIR_NS "/StructureDefinition/grantee-selector"},
        {"provision.actor.0.reference.extension.0.extension.0.url", "dept"},
        {"provision.actor.0.reference.extension.0.extension.0.valueString", "cardiology"},
        {"provision.actor.0.reference.extension.0.extension.1.url", "role"},
        {"provision.actor.0.reference.extension.0.extension.1.valueString", "physician"},
        {"provision.code.1.coding.0.code", "vital-signs"},
        {"provision.code.0.coding.0.system", MC_FHIR_NS "/CodeSystem/record-category"},
        {"performer.0.reference", "RelatedPerson/%41"},
    };
    want_all(j, selector, MC_ARRAY_LEN(selector));
    assert_null(at(j, "provision.period"));
    json_decref(j);

    /* a revoked deny on records, to an org; a body not yet on the chain */
    c->deny = 1;
    c->status = MC_CONSENT_REVOKED;
    c->revoked_time_ms = T0 + 1000;
    c->body.grantee_kind = MC_GRANTEE_ORG;
    c->body.scope_kind = MC_SCOPE_RECORDS;
    c->body.nrecords = 2;
    c->body.records[0] = hx(0x51);
    c->body.records[1] = hx(0x52);
    c->body.not_before = T0;
    memset(c->id.b, 0, 32);
    c->time_ms = 0;
    assert_ok(mc_fhir_consent(&j, c, MC_ID_PATIENT));
    static const char *const revoked_deny[][2] = {
        {"status", "inactive"},
        {"extension.0.url", MC_FHIR_NS "/StructureDefinition/revoked"},
        {"extension.0.valueDateTime", "2023-11-14T22:13:21.123Z"},
        {"policyRule.coding.0.code", "OPTOUT"},
        {"provision.type", "deny"},
        {"provision.period.start", "2023-11-14T22:13:20.123Z"},
        {"provision.data.1.reference.reference", "DocumentReference/%52"},
        {"provision.data.0.meaning", "instance"},
        {"provision.actor.0.reference.reference", "Organization/%15"},
    };
    want_all(j, revoked_deny, MC_ARRAY_LEN(revoked_deny));
    assert_null(at(j, "provision.period.end"));
    assert_null(at(j, "id"));
    assert_null(at(j, "identifier"));
    assert_null(at(j, "dateTime"));
    json_decref(j);

    /* the grantee identity's kind picks its FHIR type */
    c->body.grantee_kind = MC_GRANTEE_IDENTITY;
    assert_ok(mc_fhir_consent(&j, c, MC_ID_PATIENT));
    want(j, "provision.actor.0.reference.reference", "Patient/%15");
    json_decref(j);
    assert_ok(mc_fhir_consent(&j, c, MC_ID_ORG));
    want(j, "provision.actor.0.reference.reference", "Organization/%15");
    json_decref(j);

    /* refused */
    mc_consent *bad = malloc(sizeof *bad);
    static const struct {
        int field;
        uint64_t v;
    } cases[] = {
        {0, 0}, {0, 4}, {1, 0}, {1, 4}, {2, 0}, {2, 1u << 7}, {3, 0}, {3, 1u << 3}, {4, 253402300800000ull}};
    for (size_t i = 0; i < MC_ARRAY_LEN(cases); i++) {
        *bad = *c;
        switch (cases[i].field) {
        case 0: bad->body.grantee_kind = (uint8_t)cases[i].v; break;
        case 1: bad->body.scope_kind = (uint8_t)cases[i].v; break;
        case 2: bad->body.purposes = (uint32_t)cases[i].v; break;
        case 3: bad->body.actions = (uint8_t)cases[i].v; break;
        default: bad->time_ms = cases[i].v; break;
        }
        j = (json_t *)1;
        assert_rc(mc_fhir_consent(&j, bad, 0), MC_EINVAL);
        assert_null(j);
    }
    assert_rc(mc_fhir_consent(&j, NULL, 0), MC_EINVAL);
    assert_rc(mc_fhir_consent(NULL, c, 0), MC_EINVAL);
    free(bad);
    free(c);
}

/* ------------------------------------------------------------------------------------------ */
/* AuditEvent                                                                                    */

static void sample_access(mc_access *a)
{
    *a = (mc_access){.log_tx = hx(0x61),
                     .patient = idv(0x13),
                     .reader = idv(0x15),
                     .custodian_node = idv(0x62),
                     .record = hx(0x11),
                     .req_time_ms = T0 - 500,
                     .purpose = MC_PURPOSE_TREAT,
                     .action = MC_ACTION_READ,
                     .permit = 1,
                     .reason = MC_RSN_PERMIT_GRANT,
                     .has_basis = 1,
                     .basis = hx(0x31),
                     .height = 12,
                     .via = MC_VIA_CONTENT};
}

static void test_audit_event(void **state)
{
    (void)state;
    mc_access a;
    sample_access(&a);
    mc_fhir_audit_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.custodian_org = idv(0x14);
    ctx.time_ms = T0;
    ctx.reader_kind = MC_ID_PROVIDER;
    json_t *j = NULL;
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    static const char *const permitted[][2] = {
        {"resourceType", "AuditEvent"},
        {"id", "%61"},
        {"meta.profile.0",
         "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"},
        {"type.system", "http://dicom.nema.org/resources/ontology/DCM"},
        {"type.code", "110110"},
        {"type.display", "Patient Record"},
        {"subtype.0.system", "http://hl7.org/fhir/restful-interaction"},
        {"subtype.0.code", "read"},
        {"action", "R"},
        {"recorded", "2023-11-14T22:13:20.123Z"},
        {"outcome", "0"},
        {"outcomeDesc", "PERMIT_GRANT"},
        {"purposeOfEvent.0.coding.0.system", "http://terminology.hl7.org/CodeSystem/v3-ActReason"},
        {"purposeOfEvent.0.coding.0.code", "TREAT"},
        {"agent.0.who.reference", "Practitioner/%15"},
        {"agent.0.purposeOfUse.0.coding.0.code", "TREAT"},
        {"agent.1.who.reference", "Device/%62"},
        {"source.observer.reference", "Organization/%14"},
        {"source.type.0.code", "4"},
        {"entity.0.what.reference", "Patient/%13"},
        {"entity.0.type.code", "1"},
        {"entity.0.role.system", "http://terminology.hl7.org/CodeSystem/object-role"},
        {"entity.0.role.code", "1"},
        {"entity.0.role.display", "Patient"},
        {"entity.1.what.reference", "DocumentReference/%11"},
        {"entity.2.what.identifier.system", MC_FHIR_NS "/sid/tx"},
        {"entity.2.what.identifier.value", "%61"},
        {"entity.2.detail.0.valueString", "read"},
        {"entity.2.detail.1.valueString", "content"},
        {"entity.3.what.reference", "Consent/%31"},
        {"entity.3.role.code", "13"},
    };
    want_all(j, permitted, MC_ARRAY_LEN(permitted));
    assert_true(json_is_true(at(j, "agent.0.requestor")));
    assert_true(json_is_false(at(j, "agent.1.requestor")));
    assert_int_equal(json_array_size(at(j, "entity")), 4);
    json_decref(j);

    /* a refused read by an unknown kind of reader, no basis */
    a.permit = 0;
    a.reason = MC_RSN_DENY_DEFAULT;
    a.has_basis = 0;
    a.action = MC_ACTION_READ_META;
    a.via = MC_VIA_DECISION;
    a.purpose = MC_PURPOSE_HRESCH;
    ctx.reader_kind = 0;
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    static const char *const refused[][2] = {
        {"outcome", "4"},
        {"outcomeDesc", "DENY_DEFAULT"},
        {"purposeOfEvent.0.coding.0.code", "HRESCH"},
        {"agent.0.who.reference", "Practitioner/%15"},
        {"entity.2.detail.0.valueString", "read_meta"},
        {"entity.2.detail.1.valueString", "decision"},
    };
    want_all(j, refused, MC_ARRAY_LEN(refused));
    assert_int_equal(json_array_size(at(j, "entity")), 3);
    json_decref(j);

    /* the patient reads their own record; a break-glass read */
    a.reader = a.patient;
    a.permit = 1;
    a.reason = MC_RSN_PERMIT_OWNER;
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    want(j, "agent.0.who.reference", "Patient/%13");
    json_decref(j);
    sample_access(&a);
    a.emergency = 1;
    a.purpose = MC_PURPOSE_ETREAT;
    a.reason = MC_RSN_PERMIT_EMERGENCY;
    a.basis = hx(0x71);
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    want(j, "purposeOfEvent.0.coding.0.code", "ETREAT");
    want(j, "entity.3.what.identifier.value", "%71");
    assert_null(at(j, "entity.3.what.reference"));
    json_decref(j);
    a.reason = 999;
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    want(j, "outcomeDesc", "UNKNOWN");
    json_decref(j);

    /* refused: not one known purpose, a time past 9999, missing arguments */
    static const uint32_t bad_purposes[] = {0, MC_PURPOSE_TREAT | MC_PURPOSE_HPAYMT, 1u << 7};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad_purposes); i++) {
        mc_access b = a;
        b.purpose = bad_purposes[i];
        j = (json_t *)1;
        assert_rc(mc_fhir_audit_event(&j, &b, &ctx), MC_EINVAL);
        assert_null(j);
    }
    ctx.time_ms = 253402300800000ull;
    assert_rc(mc_fhir_audit_event(&j, &a, &ctx), MC_EINVAL);
    assert_rc(mc_fhir_audit_event(&j, NULL, &ctx), MC_EINVAL);
    assert_rc(mc_fhir_audit_event(&j, &a, NULL), MC_EINVAL);
    assert_rc(mc_fhir_audit_event(NULL, &a, &ctx), MC_EINVAL);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundles),
        cmocka_unit_test(test_document_reference),
        cmocka_unit_test(test_consent),
        cmocka_unit_test(test_audit_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
