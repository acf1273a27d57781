/* JSON renderings of chain values. Only ids, keys, hashes and chain metadata: never PHI. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api_internal.h"

json_t *mc_json_hex(const void *p, size_t n)
{
    char stack[129], *s = n <= 64 ? stack : malloc(2 * n + 1);
    if (!s) return json_null();
    mc_hex_encode(s, p, n);
    json_t *j = json_string(s);
    if (s != stack) free(s);
    return j;
}

json_t *mc_json_u64(uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX) return json_integer((json_int_t)v);
    char z[24];
    snprintf(z, sizeof z, "%llu", (unsigned long long)v);
    return json_string(z);
}

static json_t *mc_json_attrs(const mc_attrs *a)
{
    json_t *o = json_object();
    for (uint32_t i = 0; i < a->n; i++) json_object_set_new(o, a->a[i].key, json_string(a->a[i].val));
    return o;
}

json_t *mc_json_identity(const mc_identity *idn)
{
    const char *kind = mc_identity_kind_name(idn->kind);
    return json_pack("{s:o,s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:i,s:o}", "id", mc_json_hex(idn->id.b, 32), "kind",
                     kind ? kind : "unknown", "status", idn->status == MC_ID_ACTIVE ? "active" : "revoked",
                     "org", mc_json_hex(idn->org.b, 32), "sign_pk", mc_json_hex(idn->sign_pk.b, 32), "box_pk",
                     mc_json_hex(idn->box_pk.b, 32), "registered_at", (json_int_t)idn->registered_at,
                     "updated_at", (json_int_t)idn->updated_at, "revoke_reason", (int)idn->revoke_reason,
                     "attributes", mc_json_attrs(&idn->attrs));
}

static json_t *mc_json_body(const mc_tx *tx)
{
    switch (tx->kind) {
    case MC_TX_IDENTITY_REGISTER: {
        mc_body_register b;
        if (mc_body_register_decode(&b, tx->body.p, tx->body.n)) break;
        mc_id id;
        mc_id_from_pk(&id, &b.sign_pk);
        const char *kind = mc_identity_kind_name(b.kind);
        return json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:b}", "id", mc_json_hex(id.b, 32), "kind",
                         kind ? kind : "unknown", "org", mc_json_hex(b.org.b, 32), "sign_pk",
                         mc_json_hex(b.sign_pk.b, 32), "box_pk", mc_json_hex(b.box_pk.b, 32), "attributes",
                         mc_json_attrs(&b.attrs), "cosigned", b.has_cosig);
    }
    case MC_TX_IDENTITY_ROTATE: {
        mc_body_rotate b;
        if (mc_body_rotate_decode(&b, tx->body.p, tx->body.n)) break;
        return json_pack("{s:o,s:o,s:o}", "id", mc_json_hex(b.id.b, 32), "sign_pk",
                         mc_json_hex(b.sign_pk.b, 32), "box_pk", mc_json_hex(b.box_pk.b, 32));
    }
    case MC_TX_IDENTITY_REVOKE: {
        mc_body_revoke b;
        if (mc_body_revoke_decode(&b, tx->body.p, tx->body.n)) break;
        return json_pack("{s:o,s:i}", "id", mc_json_hex(b.id.b, 32), "reason", (int)b.reason);
    }
    default: break;
    }
    return json_null();
}

json_t *mc_json_tx(const mc_tx *tx, int with_body)
{
    const char *kind = mc_tx_kind_name(tx->kind);
    json_t *j =
        json_pack("{s:o,s:s,s:o,s:o}", "id", mc_json_hex(tx->id.b, 32), "kind", kind ? kind : "unknown",
                  "signer", mc_json_hex(tx->signer.b, 32), "nonce", mc_json_u64(tx->nonce));
    if (j && with_body) {
        json_object_set_new(j, "body", mc_json_body(tx));
        json_object_set_new(j, "raw", mc_json_hex(tx->raw.p, tx->raw.n));
    }
    return j;
}

json_t *mc_json_header(const mc_header *h, const mc_hash *hash)
{
    return json_pack(
        "{s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:i,s:o,s:o,s:o,s:o,s:o}", "height", (json_int_t)h->height, "hash",
        mc_json_hex(hash->b, 32), "chain", mc_json_hex(h->chain.b, 32), "prev", mc_json_hex(h->prev.b, 32),
        "batch_hash", mc_json_hex(h->batch_hash.b, 32), "proposer", mc_json_hex(h->proposer.b, 32), "time_ms",
        (json_int_t)h->time_ms, "ntx", (int)h->ntx, "tx_root", mc_json_hex(h->tx_root.b, 32), "result_root",
        mc_json_hex(h->result_root.b, 32), "state_digest", mc_json_hex(h->state_digest.b, 32), "validators",
        mc_json_hex(h->validators.b, 32), "next_validators", mc_json_hex(h->next_validators.b, 32));
}

json_t *mc_json_cert(const mc_cert *c)
{
    json_t *sigs = json_array();
    for (uint32_t i = 0; sigs && i < c->nsigs && i < MC_MAX_CERT_SIGS; i++)
        json_array_append_new(sigs, json_pack("{s:o,s:o}", "validator", mc_json_hex(c->signers[i].b, 32),
                                              "signature", mc_json_hex(c->sigs[i].b, 64)));
    return json_pack("{s:I,s:o,s:o}", "height", (json_int_t)c->height, "header_hash",
                     mc_json_hex(c->header_hash.b, 32), "signatures", sigs);
}

/* Why a submission failed, in words an operator can act on. */
static const char *mc_txout_failure(int err)
{
    switch (err) {
    case MC_EDENIED: return "this node is not a validator of the chain (yet): submit to a validator's node";
    case MC_EUNAVAIL:
        return "not ordered: the ordering service (etcd) has no quorum or cannot be reached, or this node "
               "halted; the outcome is unknown: resend the same bytes later (it is applied at most once)";
    default: return mc_strerror(err);
    }
}

int mc_txout_json(mc_buf *out, const mc_api_txout *o)
{
    static const char *states[] = {"rejected", "pending", "ordered", "committed", "failed", "certified"};
    char id[65];
    mc_hex_encode(id, o->id.b, 32);
    int rc = mc_buf_printf(out, "{\"id\":\"%s\",\"status\":\"%s\"", id,
                           o->state >= 0 && o->state <= 5 ? states[o->state] : "unknown");
    int done = o->state == MC_TXS_COMMITTED || o->state == MC_TXS_CERTIFIED;
    if (!rc && (o->state == MC_TXS_REJECTED || done)) {
        rc = mc_buf_printf(out, ",\"result\":\"%s\"", mc_txr_name(o->code));
        if (!rc && o->code != MC_TXR_OK) rc = mc_buf_printf(out, ",\"reason\":\"%s\"", mc_txr_text(o->code));
    }
    if (!rc && done)
        rc = mc_buf_printf(out, ",\"height\":%llu,\"index\":%u", (unsigned long long)o->height, o->index);
    if (!rc && o->state == MC_TXS_FAILED)
        rc = mc_buf_printf(out, ",\"error\":\"%s\",\"reason\":\"%s\"", mc_errname(o->err),
                           mc_txout_failure(o->err));
    if (!rc) rc = mc_buf_append(out, "}", 1);
    return rc;
}
