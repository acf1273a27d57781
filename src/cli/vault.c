/*
 * The CLI's record I/O: what `ingest`, `record get`, `search`, `export` and `deid` share.
 * Anchors fetched from the ledger (the wrapped keys and tokens are in the anchor's block), many
 * transactions submitted in one request, ciphertext uploaded and fetched through the gatekeeper.
 * Everything here moves ciphertext or metadata; decryption happens in the callers, locally.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/codec.h"

int mc_cli_fetch_tx(mc_cli_conn *c, const mc_hash *id, uint16_t kind, mc_buf *body)
{
    char path[96], hex[65];
    mc_hex_encode(hex, id->b, 32);
    snprintf(path, sizeof path, "/v1/tx/%s", hex);
    json_t *j;
    if (mc_cli_get(c, path, &j)) return 1;
    const char *raw = json_string_value(json_object_get(j, "raw"));
    size_t n = raw ? strlen(raw) / 2 : 0;
    uint8_t *p = n ? malloc(n) : NULL;
    mc_tx tx;
    int rc = !p || mc_hex_decode(p, n, raw, 2 * n) || mc_tx_decode(&tx, p, n) || tx.kind != kind ||
             memcmp(tx.id.b, id->b, 32) != 0;
    if (!rc) {
        mc_buf_reset(body);
        rc = mc_buf_append(body, tx.body.p, tx.body.n) != MC_OK;
    }
    free(p);
    json_decref(j);
    return rc ? mc_cli_fail("transaction %s: not what the ledger should hold", hex) : 0;
}

/* The anchor transaction's body, if the node shows it to the caller (its parties: the patient,
 * the author, the custodian); 0 when it was fetched, 1 when not shown, else an error. */
static int mc_cli_anchor_tx(mc_cli_conn *c, const mc_hash *tx, mc_body_anchor *a)
{
    char path[96], hex[65];
    mc_hex_encode(hex, tx->b, 32);
    snprintf(path, sizeof path, "/v1/tx/%s", hex);
    long st = 0;
    json_t *j;
    if (mc_cli_call(c, "GET", path, NULL, &st, &j)) return -1;
    json_decref(j);
    if (st == 403) return 1; /* a grantee sees the record, not its anchor's transaction */
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_cli_fetch_tx(c, tx, MC_TX_RECORD_ANCHOR, &body) ? -1 : 0;
    if (!rc && mc_body_anchor_decode(a, body.p, body.n))
        rc = mc_cli_fail("the anchor %s does not decode", hex) ? -1 : 0;
    mc_buf_free(&body);
    return rc;
}

int mc_cli_fetch_anchor(mc_cli_conn *c, const mc_hash *rid, mc_body_anchor *a, json_t **record)
{
    char path[96], hex[65];
    mc_hex_encode(hex, rid->b, 32);
    snprintf(path, sizeof path, "/v1/records/%s", hex);
    json_t *j;
    if (mc_cli_get(c, path, &j)) return 1;
    json_t *rj = json_object_get(j, "record") ? json_object_get(j, "record") : j;
    mc_record rec;
    int rc = mc_cli_record_from(rj, &rec);
    if (!rc && memcmp(rec.id.b, rid->b, 32))
        rc = mc_cli_fail("record %s: the node answered for another", hex);
    int shown = rc ? -1 : mc_cli_anchor_tx(c, &rec.anchor_tx, a);
    if (shown < 0) {
        rc = 1;
    } else if (shown == 1) { /* what a reader needs, from the record: no wrapped keys */
        memset(a, 0, sizeof *a);
        a->record = rec.id;
        a->patient = rec.patient;
        a->custodian = rec.custodian;
        memcpy(a->category, rec.category, sizeof a->category);
        a->sensitivity = rec.sensitivity;
        a->cipher_hash = rec.cipher_hash;
        a->commitment = rec.commitment;
        a->size = rec.size;
    } else if (memcmp(a->record.b, rid->b, 32) || memcmp(a->cipher_hash.b, rec.cipher_hash.b, 32) ||
               memcmp(a->commitment.b, rec.commitment.b, 32) || a->size != rec.size) {
        rc = mc_cli_fail("record %s: its anchor and the node's record disagree", hex);
    }
    if (!rc && record) *record = json_incref(rj);
    json_decref(j);
    return rc;
}

int mc_cli_submit_many(mc_cli_conn *c, const mc_buf *txs, size_t n, const char *what, size_t *nok)
{
    long st;
    *nok = 0;
    mc_http_set_content_type(c->http, "application/octet-stream");
    int rc = mc_http_request(c->http, "POST", "/v1/tx?wait=committed", txs->p, txs->n, &st, &c->resp);
    mc_http_set_content_type(c->http, NULL);
    if (rc) return mc_cli_fail("%s: %s", what, rc == MC_EUNAVAIL ? "cannot reach the node" : mc_strerror(rc));
    json_t *j = json_loadb((const char *)c->resp.p, c->resp.n, 0, NULL);
    json_t *list = json_object_get(j, "txs");
    if (st != 200 || json_array_size(list) != n) {
        rc = mc_cli_api_fail(what, st, j);
        json_decref(j);
        return rc;
    }
    size_t i;
    json_t *t;
    const char *first = NULL;
    json_array_foreach(list, i, t)
    {
        const char *s = json_string_value(json_object_get(t, "status"));
        const char *r = json_string_value(json_object_get(t, "result"));
        if (s && !strcmp(s, "committed") && r && !strcmp(r, "OK"))
            (*nok)++;
        else if (!first)
            first = r ? r : s ? s : "?";
    }
    if (first) mc_cli_fail("%s: %zu of %zu not applied (first: %s)", what, n - *nok, n, first);
    json_decref(j);
    return first ? 1 : 0;
}

int mc_cli_put_contents(mc_cli_conn *c, const mc_buf *frames, size_t n, const char *what)
{
    long st;
    mc_http_set_content_type(c->http, "application/octet-stream");
    int rc = mc_http_request(c->http, "POST", "/v1/contents", frames->p, frames->n, &st, &c->resp);
    mc_http_set_content_type(c->http, NULL);
    if (rc) return mc_cli_fail("%s: %s", what, rc == MC_EUNAVAIL ? "cannot reach the node" : mc_strerror(rc));
    if (st == 200 || st == 201) return 0;
    json_t *j = json_loadb((const char *)c->resp.p, c->resp.n, 0, NULL);
    rc = mc_cli_api_fail(what, st, j);
    json_decref(j);
    (void)n;
    return rc;
}
