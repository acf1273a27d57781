/*
 * medchain ingest BUNDLE.json --patient PID: one encrypted record per FHIR resource.
 *
 * Everything secret happens here, on the author's machine: each resource's exact bytes are
 * encrypted under a fresh data key (envelope), the key wrapped to the patient, the custodian (its
 * node's published key-release key) and the author; its search tokens are HMACs under the patient's search
 * key (the patient's own grant to the author carries it). The node receives anchors (metadata, wrapped keys,
 * tokens) in one batch, waits for them to commit, then the ciphertexts in one upload, which the gatekeeper
 * checks against the anchors. The whole bundle is one round trip of each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/codec.h"
#include "medchain/envelope.h"
#include "medchain/fhir.h"

#define MC_INGEST_CHUNK  1000u      /* anchors in one request (nodes take 4,096 by default) */
#define MC_INGEST_UPLOAD (8u << 20) /* bytes in one upload (nodes take 16 MiB by default) */

static int mc_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* The search tokens of one resource, sorted and without duplicates. */
static void mc_ingest_tokens(mc_body_anchor *b, const mc_fhir_entry *r, const uint8_t skey[32])
{
    char kw[MC_ENV_MAX_KEYWORD];
    b->ntokens = 0;
    for (size_t i = 0; i < r->nkeywords && b->ntokens < MC_MAX_TOKENS; i++)
        if (mc_env_keyword(kw, sizeof kw, mc_fhir_kw_name(r->keywords[i].kind), r->keywords[i].value) ==
            MC_OK)
            mc_env_token(&b->tokens[b->ntokens++], skey, kw);
    qsort(b->tokens, b->ntokens, sizeof b->tokens[0], mc_hash_cmp);
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->ntokens; i++)
        if (!k || memcmp(b->tokens[k - 1].b, b->tokens[i].b, 32)) b->tokens[k++] = b->tokens[i];
    b->ntokens = k;
}

/* Seals resource @p r into an anchor transaction (appended to @p txs) and an upload frame
 * (appended to @p frames). */
static int mc_ingest_one(mc_cli_conn *c, const mc_cli_ingest *in, mc_wrapper *w, const mc_fhir_entry *r,
                         mc_body_anchor *b, mc_buf *cipher, mc_buf *body, mc_buf *tx, mc_enc *txs,
                         mc_buf *frames)
{
    memset(b, 0, sizeof *b);
    mc_random(b->record.b, 32);
    b->has_supersedes = in->has_supersedes;
    b->supersedes = in->supersedes;
    b->patient = in->patient;
    b->custodian = in->custodian;
    if (!mc_category_ok(r->category, strlen(r->category))) return MC_EINVAL;
    memcpy(b->category, r->category, strlen(r->category) + 1);
    b->sensitivity = r->sensitivity;
    if (in->tokens) mc_ingest_tokens(b, r, in->search_key);
    mc_buf_reset(cipher);
    int rc = mc_env_seal(cipher, b, w, r->span.p, r->span.n, in->rcpt, in->nrcpt);
    mc_buf_reset(body);
    mc_buf_reset(tx);
    mc_hash id;
    mc_id me;
    memcpy(me.b, c->keys.id.b, 32);
    if (!rc) rc = mc_body_anchor_encode(body, b);
    if (!rc)
        rc = mc_tx_build(tx, &id, &c->chain, &me, mc_cli_nonce(), MC_TX_RECORD_ANCHOR, body->p, body->n,
                         &c->keys.sign_sk);
    if (!rc) {
        mc_enc_bytes(txs, tx->p, tx->n, MC_MAX_TX_BYTES);
        uint8_t len[4] = {(uint8_t)(cipher->n >> 24), (uint8_t)(cipher->n >> 16), (uint8_t)(cipher->n >> 8),
                          (uint8_t)cipher->n};
        rc = mc_buf_append(frames, b->record.b, 32) || mc_buf_append(frames, len, 4) ||
                     mc_buf_append(frames, cipher->p, cipher->n)
                 ? MC_ENOMEM
                 : MC_OK;
    }
    return rc;
}

/* Anchors one chunk (its transactions in @p txs, @p n of them) and then uploads its ciphertexts;
 * empties both buffers for the next chunk. */
static int mc_ingest_flush(mc_cli_conn *c, mc_buf *txs, mc_buf *frames, size_t n)
{
    size_t ok = 0;
    int rc = n ? mc_cli_submit_many(c, txs, n, "anchor", &ok) : 0;
    if (!rc && n) rc = mc_cli_put_contents(c, frames, n, "upload");
    mc_buf_reset(txs);
    mc_wipe(frames->p, frames->n);
    mc_buf_reset(frames);
    return rc;
}

/* Why the bundle was refused, in the user's terms: the entry by position (from 0, as in the
 * --json manifest) and type, never anything of its content. Nothing has been anchored. */
static int mc_ingest_refused(int rc, const mc_fhir_error *err)
{
    const char *what = err->what ? err->what : mc_strerror(rc);
    const char *head =
        rc == MC_EDENIED ? "not one patient's chart, nothing ingested" : "not a FHIR R4 Bundle";
    if (err->entry == SIZE_MAX) return mc_cli_usage("%s: %s", head, what);
    if (!err->type[0]) return mc_cli_usage("%s: entry %zu: %s", head, err->entry, what);
    return mc_cli_usage("%s: entry %zu (%s): %s", head, err->entry, err->type, what);
}

int mc_cli_ingest_bundle(mc_cli_conn *c, const mc_cli_ingest *in, const uint8_t *p, size_t n,
                         json_t *manifest, size_t *count)
{
    mc_fhir_bundle *fb = NULL;
    *count = 0;
    mc_fhir_error err;
    int rc = mc_fhir_bundle_parse(&fb, p, n, &err);
    if (rc) return mc_ingest_refused(rc, &err);
    size_t skipped = mc_fhir_bundle_skipped(fb);
    if (skipped)
        fprintf(stderr, "medchain: %zu %s without a resource skipped\n", skipped,
                skipped == 1 ? "entry" : "entries");
    size_t total = mc_fhir_bundle_count(fb), chunk = 0;
    if (in->has_supersedes && total != 1) {
        mc_fhir_bundle_free(fb);
        return mc_cli_usage(
            "--supersedes amends one record: the bundle must hold exactly one resource, not %zu", total);
    }
    mc_wrapper *w = NULL;
    mc_body_anchor *b = malloc(sizeof *b);
    mc_fhir_entry *r = malloc(sizeof *r);
    mc_buf cipher, body, tx, txs, frames;
    mc_buf_init(&cipher, MC_CLI_MAX_CIPHER);
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&txs, (size_t)MC_INGEST_CHUNK * (MC_MAX_TX_BYTES + 4));
    mc_buf_init(&frames, MC_INGEST_UPLOAD + MC_CLI_MAX_CIPHER + 36);
    rc = !b || !r || mc_wrapper_new(&w) ? MC_ENOMEM : MC_OK;
    for (size_t i = 0; i < total && !rc; i++) {
        if ((rc = mc_fhir_bundle_entry(fb, i, r))) break;
        if (r->span.n + MC_ENV_OVERHEAD > MC_INGEST_UPLOAD) { /* checked before anything is anchored */
            rc = mc_cli_usage("entry %zu is over %u MiB: not ingested", r->index, MC_INGEST_UPLOAD >> 20);
            break;
        }
        /* a chunk is anchored, then uploaded, before the next is sealed: no request is over the
         * node's caps (transactions per request, an upload's bytes and frames) */
        if (chunk == MC_INGEST_CHUNK || frames.n + r->span.n + MC_ENV_OVERHEAD + 36 > MC_INGEST_UPLOAD) {
            if ((rc = mc_ingest_flush(c, &txs, &frames, chunk))) break;
            *count += chunk;
            chunk = 0;
        }
        mc_enc e; /* appends to the chunk's transactions */
        mc_enc_init(&e, &txs);
        int sealed = mc_ingest_one(c, in, w, r, b, &cipher, &body, &tx, &e, &frames);
        if (!sealed) sealed = mc_enc_done(&e);
        if (sealed) {
            rc = mc_cli_fail("cannot seal entry %zu: %s", r->index, mc_strerror(sealed));
            break;
        }
        chunk++;
        if (manifest) {
            char hex[65];
            mc_hex_encode(hex, b->record.b, 32);
            json_array_append_new(manifest,
                                  json_pack("{s:I,s:s,s:s,s:s}", "index", (json_int_t)r->index, "record", hex,
                                            "type", r->type, "category", b->category));
        }
    }
    if (!rc && (rc = mc_ingest_flush(c, &txs, &frames, chunk)) == 0) *count += chunk;
    if (rc == MC_ENOMEM) rc = mc_cli_fail("out of memory");
    mc_wrapper_free(w);
    free(b);
    free(r);
    mc_buf_free(&cipher);
    mc_buf_free(&body);
    mc_buf_free(&tx);
    mc_buf_free(&txs);
    mc_wipe(frames.p, frames.n);
    mc_buf_free(&frames);
    mc_fhir_bundle_free(fb);
    return rc;
}

int mc_cli_ingest_setup(mc_cli_conn *c, mc_cli_ingest *in, int have_custodian, int tokens)
{
    in->tokens = tokens;
    if (!have_custodian && mc_cli_identity_hex(c, c->keys.id.b, "org", in->custodian.b)) return 1;
    in->rcpt[0].id = in->patient;
    if (mc_cli_identity_hex(c, in->patient.b, "box_pk", in->rcpt[0].pk.b)) return 1;
    /* the custodian's key is its node's key-release key: it releases the data key to every
     * reader the policy permits (DESIGN.md section 4) */
    in->rcpt[1].id = in->custodian;
    if (mc_cli_release_pk(c, &in->custodian, &in->rcpt[1].pk)) return 1;
    memcpy(in->rcpt[2].id.b, c->keys.id.b, 32);
    mc_box_sk_to_pk(&in->rcpt[2].pk, &c->keys.box_sk);
    in->nrcpt = memcmp(in->rcpt[2].id.b, in->patient.b, 32) ? 3 : 2;
    return tokens ? mc_cli_search_key(c, &in->patient, in->search_key) : 0;
}

int mc_cmd_ingest(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *patient = NULL, *custodian = NULL, *file = NULL, *supersedes = NULL;
    int no_tokens = 0;
    mc_cli_opt opts[] = {{.name = "--patient", .val = &patient},
                         {.name = "--custodian", .val = &custodian},
                         {.name = "--supersedes", .val = &supersedes},
                         {.name = "--no-tokens", .flag = &no_tokens},
                         {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, &file, 1);
    if (rc) return rc;
    mc_cli_ingest in;
    memset(&in, 0, sizeof in);
    if (!file || !patient)
        return mc_cli_usage("usage: medchain ingest BUNDLE.json --key KEY --patient PID [--custodian ORG] "
                            "[--supersedes RID] [--no-tokens] [--json]");
    if ((rc = mc_cli_id_arg("--patient", patient, in.patient.b))) return rc;
    if (supersedes && (rc = mc_cli_id_arg("--supersedes", supersedes, in.supersedes.b))) return rc;
    in.has_supersedes = supersedes != NULL;
    if (custodian && (rc = mc_cli_id_arg("--custodian", custodian, in.custodian.b))) return rc;
    mc_buf bundle;
    mc_buf_init(&bundle, MC_FHIR_MAX_BUNDLE_BYTES);
    if (mc_file_read(file, &bundle)) {
        mc_buf_free(&bundle);
        return mc_cli_usage("cannot read %s (or it is over %u MiB)", file,
                            (unsigned)(MC_FHIR_MAX_BUNDLE_BYTES >> 20));
    }
    mc_cli_conn c;
    json_t *manifest = o.json ? json_array() : NULL;
    size_t count = 0;
    rc = mc_cli_connect(&c, &o, 1) || mc_cli_ingest_setup(&c, &in, custodian != NULL, !no_tokens);
    if (!rc) rc = mc_cli_ingest_bundle(&c, &in, bundle.p, bundle.n, manifest, &count);
    if (rc != MC_CLI_USAGE) rc = rc != 0; /* 2: a refused bundle, found before anything is anchored */
    char *text = !rc && manifest ? json_dumps(manifest, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text) puts(text); /* one line: a manifest may hold a million entries */
    free(text);
    if (!rc && !manifest) printf("ingested %zu resources: %zu records anchored and uploaded\n", count, count);
    json_decref(manifest);
    mc_wipe(&in, sizeof in);
    mc_buf_free(&bundle);
    mc_cli_close(&c);
    return rc;
}
