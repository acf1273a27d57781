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

/* Asserts the string at @p path. */
static void want(const json_t *j, const char *path, const char *value)
{
    const char *got = at_str(j, path);
    if (!got || strcmp(got, value) != 0) fail_msg("%s: got %s, want %s", path, got ? got : "(none)", value);
}

/* "<prefix><hex of 32 bytes all @p fill>". */
static const char *hexref(char *out, const char *prefix, uint8_t fill)
{
    uint8_t b[32];
    char hex[65];
    memset(b, fill, sizeof b);
    mc_hex_encode(hex, b, 32);
    sprintf(out, "%s%s", prefix, hex);
    return out;
}

static void fill(void *p, uint8_t v)
{
    memset(p, v, 32);
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
    static const char *const bad_spans[] = {"[]", "{}", "{\"resourceType\":\"x\"}", "{\"a\":1,\"a\":2}", "", "{"};
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
    memset(r, 0, sizeof *r);
    fill(r->id.b, 0x11);
    fill(r->anchor_tx.b, 0x12);
    fill(r->patient.b, 0x13);
    fill(r->custodian.b, 0x14);
    fill(r->author.b, 0x15);
    fill(r->author_org.b, 0x14);
    strcpy(r->category, "vital-signs");
    r->sensitivity = MC_SENS_RESTRICTED;
    fill(r->cipher_hash.b, 0xab);
    fill(r->commitment.b, 0x17);
    r->size = 4096;
    r->root = r->id;
    r->height = 9;
    r->time_ms = T0;
}

static void test_document_reference(void **state)
{
    (void)state;
    mc_record r;
    sample_record(&r);
    char s[200], rid[65];
    hexref(s, "", 0x11);
    strcpy(rid, s);
    json_t *d = NULL;
    assert_ok(mc_fhir_document_reference(&d, &r));
    want(d, "resourceType", "DocumentReference");
    want(d, "id", rid);
    want(d, "status", "current");
    want(d, "masterIdentifier.value", rid);
    want(d, "subject.reference", hexref(s, "Patient/", 0x13));
    want(d, "custodian.reference", hexref(s, "Organization/", 0x14));
    want(d, "author.0.reference", hexref(s, "Practitioner/", 0x15));
    want(d, "category.0.coding.0.code", "vital-signs");
    want(d, "category.0.coding.0.system", MC_FHIR_NS "/CodeSystem/record-category");
    want(d, "date", "2023-11-14T22:13:20.123Z");
    want(d, "securityLabel.0.coding.0.system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality");
    want(d, "securityLabel.0.coding.0.code", "R");
    snprintf(s, sizeof s, "/v1/records/%s/content", rid);
    want(d, "content.0.attachment.url", s);
    want(d, "content.0.attachment.contentType", "application/octet-stream");
    assert_int_equal(json_integer_value(at(d, "content.0.attachment.size")), 4096);
    want(d, "content.0.attachment.extension.0.url", MC_FHIR_NS "/StructureDefinition/ciphertext-sha256");
    want(d, "content.0.attachment.extension.0.valueString", hexref(s, "", 0xab));
    want(d, "identifier.0.system", MC_FHIR_NS "/sid/ciphertext-sha256");
    want(d, "identifier.0.value", hexref(s, "", 0xab));
    assert_null(at(d, "content.0.attachment.data")); /* never content */
    assert_null(at(d, "relatesTo"));
    json_decref(d);

    /* an amendment, itself amended; a size FHIR cannot write */
    r.has_supersedes = 1;
    fill(r.supersedes.b, 0x21);
    r.has_superseded_by = 1;
    fill(r.superseded_by.b, 0x22);
    r.size = 1ull << 31;
    r.sensitivity = MC_SENS_NORMAL;
    assert_ok(mc_fhir_document_reference(&d, &r));
    want(d, "status", "superseded");
    want(d, "relatesTo.0.code", "replaces");
    want(d, "relatesTo.0.target.reference", hexref(s, "DocumentReference/", 0x21));
    want(d, "securityLabel.0.coding.0.code", "N");
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
    fill(c->id.b, 0x31);
    c->status = MC_CONSENT_ACTIVE;
    fill(c->by.b, 0x13);
    c->height = 5;
    c->time_ms = T0;
    mc_body_consent *b = &c->body;
    fill(b->patient.b, 0x13);
    b->grantee_kind = MC_GRANTEE_IDENTITY;
    fill(b->grantee.b, 0x15);
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
    want(j, "resourceType", "Consent");
    want(j, "id", hexref(s, "", 0x31));
    want(j, "identifier.0.value", hexref(s, "", 0x31));
    want(j, "status", "active");
    want(j, "scope.coding.0.system", "http://terminology.hl7.org/CodeSystem/consentscope");
    want(j, "scope.coding.0.code", "patient-privacy");
    want(j, "category.0.coding.0.system", "http://loinc.org");
    want(j, "category.0.coding.0.code", "59284-0");
    want(j, "patient.reference", hexref(s, "Patient/", 0x13));
    want(j, "dateTime", "2023-11-14T22:13:20.123Z");
    want(j, "performer.0.reference", hexref(s, "Patient/", 0x13));
    want(j, "policyRule.coding.0.system", "http://terminology.hl7.org/CodeSystem/v3-ActCode");
    want(j, "policyRule.coding.0.code", "OPTIN");
    want(j, "provision.type", "permit");
    want(j, "provision.period.start", "2023-11-14T22:13:20.123Z");
    want(j, "provision.period.end", "2023-11-15T22:13:20.123Z");
    want(j, "provision.actor.0.role.coding.0.system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationType");
    want(j, "provision.actor.0.role.coding.0.code", "IRCP");
    want(j, "provision.actor.0.reference.reference", hexref(s, "Practitioner/", 0x15));
    want(j, "provision.action.0.coding.0.system", "http://terminology.hl7.org/CodeSystem/consentaction");
    want(j, "provision.action.0.coding.0.code", "access");
    want(j, "provision.action.0.coding.1.code", "read");
    assert_int_equal(json_array_size(at(j, "provision.action")), 1);
    want(j, "provision.purpose.0.system", "http://terminology.hl7.org/CodeSystem/v3-ActReason");
    want(j, "provision.purpose.0.code", "TREAT");
    want(j, "provision.purpose.1.code", "HOPERAT");
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
    fill(c->by.b, 0x41);
    assert_ok(mc_fhir_consent(&j, c, 0));
    static const char *const purposes[] = {"TREAT", "ETREAT", "HPAYMT", "HOPERAT", "HRESCH", "PUBHLTH", "PATRQT"};
    for (size_t i = 0; i < MC_ARRAY_LEN(purposes); i++) {
        snprintf(s, sizeof s, "provision.purpose.%zu.code", i);
        want(j, s, purposes[i]);
        snprintf(s, sizeof s, "provision.purpose.%zu.display", i);
        assert_non_null(at_str(j, s));
    }
    want(j, "provision.action.1.coding.1.code", "read_meta");
    want(j, "provision.action.2.coding.0.code", "use");
    want(j, "provision.action.2.coding.1.code", "read_deid");
    want(j, "provision.actor.0.reference.reference", hexref(s, "Organization/", 0x15));
    want(j, "provision.actor.0.reference.extension.0.valueString", "dept=cardiology,role=physician");
    want(j, "provision.code.1.coding.0.code", "vital-signs");
    want(j, "provision.code.0.coding.0.system", MC_FHIR_NS "/CodeSystem/record-category");
    want(j, "performer.0.reference", hexref(s, "RelatedPerson/", 0x41));
    assert_null(at(j, "provision.period"));
    json_decref(j);

    /* a revoked deny on records, to an org; a body not yet on the chain */
    c->deny = 1;
    c->status = MC_CONSENT_REVOKED;
    c->revoked_time_ms = T0 + 1000;
    c->body.grantee_kind = MC_GRANTEE_ORG;
    c->body.scope_kind = MC_SCOPE_RECORDS;
    c->body.nrecords = 2;
    fill(c->body.records[0].b, 0x51);
    fill(c->body.records[1].b, 0x52);
    c->body.not_before = T0;
    memset(c->id.b, 0, 32);
    c->time_ms = 0;
    assert_ok(mc_fhir_consent(&j, c, MC_ID_PATIENT));
    want(j, "status", "inactive");
    want(j, "extension.0.url", MC_FHIR_NS "/StructureDefinition/revoked");
    want(j, "extension.0.valueDateTime", "2023-11-14T22:13:21.123Z");
    want(j, "policyRule.coding.0.code", "OPTOUT");
    want(j, "provision.type", "deny");
    want(j, "provision.period.start", "2023-11-14T22:13:20.123Z");
    assert_null(at(j, "provision.period.end"));
    want(j, "provision.data.1.reference.reference", hexref(s, "DocumentReference/", 0x52));
    want(j, "provision.data.0.meaning", "instance");
    want(j, "provision.actor.0.reference.reference", hexref(s, "Organization/", 0x15));
    assert_null(at(j, "id"));
    assert_null(at(j, "identifier"));
    assert_null(at(j, "dateTime"));
    json_decref(j);

    /* the grantee identity's kind picks its FHIR type */
    c->body.grantee_kind = MC_GRANTEE_IDENTITY;
    assert_ok(mc_fhir_consent(&j, c, MC_ID_PATIENT));
    want(j, "provision.actor.0.reference.reference", hexref(s, "Patient/", 0x15));
    json_decref(j);
    assert_ok(mc_fhir_consent(&j, c, MC_ID_ORG));
    want(j, "provision.actor.0.reference.reference", hexref(s, "Organization/", 0x15));
    json_decref(j);

    /* refused */
    mc_consent *bad = malloc(sizeof *bad);
    static const struct {
        int field;
        uint64_t v;
    } cases[] = {{0, 0}, {0, 4}, {1, 0}, {1, 4}, {2, 0}, {2, 1u << 7}, {3, 0}, {3, 1u << 3}, {4, 253402300800000ull}};
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
    memset(a, 0, sizeof *a);
    fill(a->log_tx.b, 0x61);
    fill(a->patient.b, 0x13);
    fill(a->reader.b, 0x15);
    fill(a->custodian_node.b, 0x62);
    fill(a->record.b, 0x11);
    a->req_time_ms = T0 - 500;
    a->purpose = MC_PURPOSE_TREAT;
    a->action = MC_ACTION_READ;
    a->permit = 1;
    a->reason = MC_RSN_PERMIT_GRANT;
    a->has_basis = 1;
    fill(a->basis.b, 0x31);
    a->height = 12;
    a->via = MC_VIA_CONTENT;
}

static void test_audit_event(void **state)
{
    (void)state;
    mc_access a;
    sample_access(&a);
    mc_fhir_audit_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    fill(ctx.custodian_org.b, 0x14);
    ctx.time_ms = T0;
    ctx.reader_kind = MC_ID_PROVIDER;
    char s[200];
    json_t *j = NULL;
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    want(j, "resourceType", "AuditEvent");
    want(j, "id", hexref(s, "", 0x61));
    want(j, "meta.profile.0", "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead");
    want(j, "type.system", "http://dicom.nema.org/resources/ontology/DCM");
    want(j, "type.code", "110110");
    want(j, "type.display", "Patient Record");
    want(j, "subtype.0.system", "http://hl7.org/fhir/restful-interaction");
    want(j, "subtype.0.code", "read");
    want(j, "action", "R");
    want(j, "recorded", "2023-11-14T22:13:20.123Z");
    want(j, "outcome", "0");
    want(j, "outcomeDesc", "PERMIT_GRANT");
    want(j, "purposeOfEvent.0.coding.0.system", "http://terminology.hl7.org/CodeSystem/v3-ActReason");
    want(j, "purposeOfEvent.0.coding.0.code", "TREAT");
    assert_true(json_is_true(at(j, "agent.0.requestor")));
    want(j, "agent.0.who.reference", hexref(s, "Practitioner/", 0x15));
    want(j, "agent.0.purposeOfUse.0.coding.0.code", "TREAT");
    assert_true(json_is_false(at(j, "agent.1.requestor")));
    want(j, "agent.1.who.reference", hexref(s, "Device/", 0x62));
    want(j, "source.observer.reference", hexref(s, "Organization/", 0x14));
    want(j, "source.type.0.code", "4");
    want(j, "entity.0.what.reference", hexref(s, "Patient/", 0x13));
    want(j, "entity.0.type.code", "1");
    want(j, "entity.0.role.system", "http://terminology.hl7.org/CodeSystem/object-role");
    want(j, "entity.0.role.code", "1");
    want(j, "entity.0.role.display", "Patient");
    want(j, "entity.1.what.reference", hexref(s, "DocumentReference/", 0x11));
    want(j, "entity.2.what.identifier.system", MC_FHIR_NS "/sid/tx");
    want(j, "entity.2.what.identifier.value", hexref(s, "", 0x61));
    want(j, "entity.2.detail.0.valueString", "read");
    want(j, "entity.2.detail.1.valueString", "content");
    want(j, "entity.3.what.reference", hexref(s, "Consent/", 0x31));
    want(j, "entity.3.role.code", "13");
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
    want(j, "outcome", "4");
    want(j, "outcomeDesc", "DENY_DEFAULT");
    want(j, "purposeOfEvent.0.coding.0.code", "HRESCH");
    want(j, "agent.0.who.reference", hexref(s, "Practitioner/", 0x15));
    want(j, "entity.2.detail.0.valueString", "read_meta");
    want(j, "entity.2.detail.1.valueString", "decision");
    assert_int_equal(json_array_size(at(j, "entity")), 3);
    json_decref(j);

    /* the patient reads their own record; a break-glass read */
    a.reader = a.patient;
    a.permit = 1;
    a.reason = MC_RSN_PERMIT_OWNER;
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    want(j, "agent.0.who.reference", hexref(s, "Patient/", 0x13));
    json_decref(j);
    sample_access(&a);
    a.emergency = 1;
    a.purpose = MC_PURPOSE_ETREAT;
    a.reason = MC_RSN_PERMIT_EMERGENCY;
    fill(a.basis.b, 0x71);
    assert_ok(mc_fhir_audit_event(&j, &a, &ctx));
    want(j, "purposeOfEvent.0.coding.0.code", "ETREAT");
    want(j, "entity.3.what.identifier.value", hexref(s, "", 0x71));
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
