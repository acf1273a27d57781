/*
 * JSON for records, consent, the access history, decisions, proposals and events
 * (docs/api.md, "Records, consent and access"). Metadata only: ids, kinds, hashes, sizes and
 * times. The ledger holds no content and nothing here could carry any.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

json_t *mc_json_id_or_null(const uint8_t b[32])
{
    static const uint8_t zero[32];
    return memcmp(b, zero, 32) == 0 ? json_null() : mc_json_hex(b, 32);
}

/* Names of the bits set in @p bits, lowest first. */
static json_t *mc_json_bits(uint32_t bits, uint32_t all, int purposes)
{
    json_t *a = json_array();
    for (uint32_t bit = 1; a && bit && bit <= all; bit <<= 1) {
        if (!(bits & bit)) continue;
        const char *name = purposes ? mc_purpose_name(bit) : mc_action_name((uint8_t)bit);
        if (name) json_array_append_new(a, json_string(name));
    }
    return a;
}

static const char *mc_purpose_or(uint32_t p)
{
    const char *z = mc_purpose_name(p);
    return z ? z : "UNKNOWN";
}

static const char *mc_action_or(uint8_t a)
{
    const char *z = mc_action_name(a);
    return z ? z : "unknown";
}

static const char *mc_reason_or(int reason)
{
    const char *z = mc_reason_name(reason);
    return z ? z : "UNKNOWN";
}

/* How a read was asked for: the decision route, or the gatekeeper's content route. */
static const char *mc_via_name(int content)
{
    return content ? "content" : "decision";
}

json_t *mc_json_record(const mc_record *rec)
{
    static const char *const sens[] = {"N", "R", "V"};
    json_t *j = json_pack("{s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "id",
                          mc_json_hex(rec->id.b, 32), "patient", mc_json_hex(rec->patient.b, 32), "custodian",
                          mc_json_hex(rec->custodian.b, 32), "author", mc_json_hex(rec->author.b, 32),
                          "author_org", mc_json_hex(rec->author_org.b, 32), "category", rec->category,
                          "sensitivity", rec->sensitivity < 3 ? sens[rec->sensitivity] : "?", "cipher_hash",
                          mc_json_hex(rec->cipher_hash.b, 32), "commitment",
                          mc_json_hex(rec->commitment.b, 32), "size", mc_json_u64(rec->size), "root",
                          mc_json_hex(rec->root.b, 32), "anchor_tx", mc_json_hex(rec->anchor_tx.b, 32),
                          "height", (json_int_t)rec->height, "time_ms", (json_int_t)rec->time_ms);
    if (j && rec->has_supersedes) json_object_set_new(j, "supersedes", mc_json_hex(rec->supersedes.b, 32));
    if (j && rec->has_superseded_by)
        json_object_set_new(j, "superseded_by", mc_json_hex(rec->superseded_by.b, 32));
    return j;
}

static json_t *mc_json_grantee(const mc_body_consent *b)
{
    static const char *const kinds[] = {"?", "identity", "org", "selector"};
    json_t *g = json_pack("{s:s,s:o}", "kind", b->grantee_kind <= 3 ? kinds[b->grantee_kind] : "?", "id",
                          mc_json_hex(b->grantee.b, 32));
    if (g && b->grantee_kind == MC_GRANTEE_SELECTOR) {
        char sel[MC_MAX_ATTRS * (MC_MAX_ATTR_KEY + MC_MAX_ATTR_VAL + 2) + 1];
        size_t off = 0;
        sel[0] = 0;
        for (uint32_t i = 0; i < b->selector.n && i < MC_MAX_ATTRS; i++) {
            int n = snprintf(sel + off, sizeof sel - off, "%s%s=%s", i ? "," : "", b->selector.a[i].key,
                             b->selector.a[i].val);
            if (n > 0) off += (size_t)n;
        }
        json_object_set_new(g, "selector", json_string(sel));
    }
    return g;
}

static json_t *mc_json_scope(const mc_body_consent *b)
{
    static const char *const kinds[] = {"?", "all", "categories", "records"};
    json_t *cats = json_array(), *recs = json_array();
    for (uint32_t i = 0; cats && i < b->ncats && i < MC_MAX_SCOPE_CATS; i++)
        json_array_append_new(cats, json_string(b->cats[i]));
    for (uint32_t i = 0; recs && i < b->nrecords && i < MC_MAX_SCOPE_RECORDS; i++)
        json_array_append_new(recs, mc_json_hex(b->records[i].b, 32));
    return json_pack("{s:s,s:o,s:o}", "kind", b->scope_kind <= 3 ? kinds[b->scope_kind] : "?", "categories",
                     cats, "records", recs);
}

json_t *mc_json_consent(const mc_consent *con)
{
    const mc_body_consent *b = &con->body;
    json_t *j = json_pack(
        "{s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I}", "id", mc_json_hex(con->id.b, 32), "type",
        con->deny ? "deny" : "grant", "status", con->status == MC_CONSENT_REVOKED ? "revoked" : "active",
        "patient", mc_json_hex(b->patient.b, 32), "by", mc_json_hex(con->by.b, 32), "grantee",
        mc_json_grantee(b), "scope", mc_json_scope(b), "purposes",
        mc_json_bits(b->purposes, MC_PURPOSE_ALL_, 1), "actions", mc_json_bits(b->actions, MC_ACTION_ALL_, 0),
        "not_before", (json_int_t)b->not_before, "not_after", (json_int_t)b->not_after, "height",
        (json_int_t)con->height, "time_ms", (json_int_t)con->time_ms);
    if (j && con->status == MC_CONSENT_REVOKED) {
        json_object_set_new(j, "revoked_height", json_integer((json_int_t)con->revoked_height));
        json_object_set_new(j, "revoked_time_ms", json_integer((json_int_t)con->revoked_time_ms));
        json_object_set_new(j, "revoked_by", mc_json_hex(con->revoked_by.b, 32));
    }
    return j;
}

static json_t *mc_json_access_core(const mc_access *a);

json_t *mc_json_access(const mc_access *a)
{
    json_t *j = mc_json_access_core(a);
    if (j && json_object_update_new(j, json_pack("{s:I,s:b,s:b}", "sub", (json_int_t)a->sub, "key_released",
                                                 (int)a->released, "chart", (int)a->chart))) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The fields every access entry has had since access.log. */
static json_t *mc_json_access_core(const mc_access *a)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:s,s:s,s:b,s:s,s:o,s:b,s:I,s:I,s:s}", "log_tx",
                     mc_json_hex(a->log_tx.b, 32), "patient", mc_json_hex(a->patient.b, 32), "reader",
                     mc_json_hex(a->reader.b, 32), "node", mc_json_hex(a->custodian_node.b, 32), "record",
                     mc_json_hex(a->record.b, 32), "time_ms", (json_int_t)a->req_time_ms, "purpose",
                     mc_purpose_or(a->purpose), "action", mc_action_or(a->action), "permit", (int)a->permit,
                     "reason", mc_reason_or(a->reason), "basis",
                     a->has_basis ? mc_json_hex(a->basis.b, 32) : json_null(), "emergency", (int)a->emergency,
                     "height", (json_int_t)a->height, "index", (json_int_t)a->index, "via",
                     mc_via_name(a->via == MC_VIA_CONTENT));
}

json_t *mc_json_proposal(const mc_proposal *p)
{
    json_t *approvals = json_array();
    for (uint32_t i = 0; approvals && i < p->napprovals && i < MC_MAX_APPROVALS; i++)
        json_array_append_new(approvals, mc_json_hex(p->approvals[i].b, 32));
    mc_id org;
    mc_id_from_pk(&org, &p->org.sign_pk);
    return json_pack("{s:o,s:o,s:s,s:s,s:o,s:o,s:b,s:I,s:o,s:I}", "id", mc_json_hex(p->id.b, 32), "org",
                     mc_json_hex(org.b, 32), "name", p->org.name, "type", p->org.type, "sign_pk",
                     mc_json_hex(p->org.sign_pk.b, 32), "box_pk", mc_json_hex(p->org.box_pk.b, 32),
                     "admitted", (int)p->admitted, "threshold", (json_int_t)p->threshold, "approvals",
                     approvals, "height", (json_int_t)p->height);
}

json_t *mc_json_decision(const mc_decision *d, uint64_t time_ms, const mc_id *requester,
                         const mc_hash *record)
{
    const char *text = mc_reason_text(d->reason);
    return json_pack("{s:b,s:s,s:s,s:o,s:I,s:o,s:o}", "permit", d->permit, "reason", mc_reason_or(d->reason),
                     "reason_text", text ? text : "", "basis",
                     d->has_basis ? mc_json_hex(d->basis.b, 32) : json_null(), "time_ms", (json_int_t)time_ms,
                     "requester", mc_json_hex(requester->b, 32), "record", mc_json_hex(record->b, 32));
}

json_t *mc_json_txout(const mc_api_txout *o)
{
    static const char *const states[] = {"rejected", "pending", "ordered", "committed", "failed"};
    json_t *j = json_pack("{s:o,s:s}", "id", mc_json_hex(o->id.b, 32), "status",
                          o->state >= 0 && o->state <= 4 ? states[o->state] : "unknown");
    if (!j) return NULL;
    if (o->state == MC_TXS_REJECTED || o->state == MC_TXS_COMMITTED)
        json_object_set_new(j, "result", json_string(mc_txr_name(o->code)));
    if (o->state == MC_TXS_COMMITTED) {
        json_object_set_new(j, "height", json_integer((json_int_t)o->height));
        json_object_set_new(j, "index", json_integer((json_int_t)o->index));
    }
    if (o->state == MC_TXS_FAILED) json_object_set_new(j, "error", json_string(mc_errname(o->err)));
    return j;
}

int mc_sse_format(mc_buf *out, const mc_event *ev)
{
    const char *kind = mc_event_kind_name(ev->kind);
    json_t *data =
        json_pack("{s:s,s:o,s:o,s:o,s:o,s:I,s:I,s:b,s:b,s:b}", "kind", kind ? kind : "unknown", "patient",
                  mc_json_id_or_null(ev->patient.b), "actor", mc_json_id_or_null(ev->actor.b), "other",
                  mc_json_id_or_null(ev->other.b), "subject", mc_json_id_or_null(ev->subject.b), "time_ms",
                  (json_int_t)ev->time_ms, "height", (json_int_t)ev->height, "emergency",
                  (ev->flags & MC_EVF_EMERGENCY) != 0, "denied", (ev->flags & MC_EVF_DENIED) != 0, "removed",
                  (ev->flags & MC_EVF_REMOVED) != 0);
    if (data && ev->kind == MC_EV_READ)
        json_object_set_new(data, "via", json_string(mc_via_name((ev->flags & MC_EVF_CONTENT) != 0)));
    char *z = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!z) return MC_ENOMEM;
    int rc = mc_buf_printf(out, "id: %llu:%u:%u\nevent: %s\ndata: %s\n\n", (unsigned long long)ev->height,
                           ev->index, (unsigned)ev->n, kind ? kind : "unknown", z);
    free(z);
    return rc;
}

json_t *mc_json_gatekeeper(const mc_gatekeeper *g)
{
    json_t *urls = json_array();
    for (uint32_t i = 0; urls && i < g->body.nurls && i < MC_MAX_GATEKEEPER_URLS; i++)
        json_array_append_new(urls, json_string(g->body.urls[i]));
    return json_pack("{s:o,s:o,s:o*,s:I}", "release_pk", mc_json_hex(g->body.release_pk.b, 32), "by",
                     mc_json_hex(g->by.b, 32), "urls", urls, "height", (json_int_t)g->height);
}
