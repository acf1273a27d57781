/*
 * The API's JSON answers back into medchain's values, for the FHIR exports (which are built from
 * the same values the ledger holds). A consent's scope and window come from its transaction's
 * body as the ledger holds it, not from the JSON.
 */
#include <string.h>

#include "cli.h"

static int mc_hex_field(json_t *j, const char *key, uint8_t out[32])
{
    return mc_cli_parse_id(json_string_value(json_object_get(j, key)), out) ? 1 : 0;
}

static uint64_t mc_u64_field(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    if (json_is_integer(v)) return (uint64_t)json_integer_value(v);
    uint64_t x = 0;
    const char *s = json_string_value(v);
    return s && !mc_parse_u64(s, &x) ? x : 0;
}

int mc_cli_record_from(json_t *j, mc_record *r)
{
    memset(r, 0, sizeof *r);
    const char *cat = json_string_value(json_object_get(j, "category"));
    const char *sens = json_string_value(json_object_get(j, "sensitivity"));
    int bad = mc_hex_field(j, "id", r->id.b) | mc_hex_field(j, "patient", r->patient.b) |
                  mc_hex_field(j, "custodian", r->custodian.b) | mc_hex_field(j, "author", r->author.b) |
                  mc_hex_field(j, "author_org", r->author_org.b) |
                  mc_hex_field(j, "cipher_hash", r->cipher_hash.b) |
                  mc_hex_field(j, "commitment", r->commitment.b) | mc_hex_field(j, "root", r->root.b) |
                  mc_hex_field(j, "anchor_tx", r->anchor_tx.b) | !cat ||
              !mc_category_ok(cat, strlen(cat)) | !sens;
    if (bad) return mc_cli_fail("the node sent a record this CLI cannot read");
    memcpy(r->category, cat, strlen(cat) + 1);
    r->sensitivity = !strcmp(sens, "R")   ? MC_SENS_RESTRICTED
                     : !strcmp(sens, "V") ? MC_SENS_VERY_RESTRICTED
                                          : MC_SENS_NORMAL;
    r->size = mc_u64_field(j, "size");
    r->height = mc_u64_field(j, "height");
    r->time_ms = mc_u64_field(j, "time_ms");
    r->has_supersedes = !mc_hex_field(j, "supersedes", r->supersedes.b);
    r->has_superseded_by = !mc_hex_field(j, "superseded_by", r->superseded_by.b);
    return 0;
}

int mc_cli_consent_from(mc_cli_conn *c, json_t *j, mc_consent *out)
{
    memset(out, 0, sizeof *out);
    const char *type = mc_cli_str(j, "type");
    out->deny = !strcmp(type, "deny");
    out->status = !strcmp(mc_cli_str(j, "status"), "revoked") ? MC_CONSENT_REVOKED : MC_CONSENT_ACTIVE;
    if (mc_hex_field(j, "id", out->id.b) | mc_hex_field(j, "by", out->by.b))
        return mc_cli_fail("the node sent a consent this CLI cannot read");
    out->height = mc_u64_field(j, "height");
    out->time_ms = mc_u64_field(j, "time_ms");
    if (out->status == MC_CONSENT_REVOKED) {
        out->revoked_height = mc_u64_field(j, "revoked_height");
        out->revoked_time_ms = mc_u64_field(j, "revoked_time_ms");
        if (mc_hex_field(j, "revoked_by", out->revoked_by.b))
            return mc_cli_fail("a revoked consent without its revoker");
    }
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_cli_fetch_tx(c, &out->id, out->deny ? MC_TX_CONSENT_DENY : MC_TX_CONSENT_GRANT, &body);
    if (!rc && mc_body_consent_decode(&out->body, body.p, body.n))
        rc = mc_cli_fail("a consent body does not decode");
    out->body.nkeys = 0; /* the keys are the grantee's business, not the export's */
    mc_buf_free(&body);
    return rc;
}

static uint16_t mc_reason_code(const char *name)
{
    for (int i = 1; i < 128; i++) {
        const char *n = mc_reason_name(i);
        if (n && !strcmp(n, name)) return (uint16_t)i;
    }
    return 0;
}

int mc_cli_access_from(json_t *j, mc_access *a)
{
    memset(a, 0, sizeof *a);
    int bad = mc_hex_field(j, "log_tx", a->log_tx.b) | mc_hex_field(j, "patient", a->patient.b) |
              mc_hex_field(j, "reader", a->reader.b) | mc_hex_field(j, "node", a->custodian_node.b) |
              mc_hex_field(j, "record", a->record.b);
    a->req_time_ms = mc_u64_field(j, "time_ms");
    a->purpose = mc_purpose_parse(mc_cli_str(j, "purpose"));
    a->action = mc_action_parse(mc_cli_str(j, "action"));
    a->permit = json_is_true(json_object_get(j, "permit"));
    a->emergency = json_is_true(json_object_get(j, "emergency"));
    a->reason = mc_reason_code(mc_cli_str(j, "reason"));
    a->has_basis = !mc_hex_field(j, "basis", a->basis.b);
    a->height = mc_u64_field(j, "height");
    a->index = (uint32_t)mc_u64_field(j, "index");
    a->via = !strcmp(mc_cli_str(j, "via"), "content");
    if (bad || !a->purpose || !a->action || !a->reason)
        return mc_cli_fail("the node sent an access this CLI cannot read");
    return 0;
}
