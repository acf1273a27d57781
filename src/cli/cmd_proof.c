/*
 * medchain proof verify: a transaction's inclusion proof (GET /v1/proofs/tx/{id}) checked by a
 * light client. With --genesis the client trusts only the genesis config: the header must be
 * certified by a quorum of the validator set of its height, reached from the genesis set
 * through the validator-set changes the document carries (mc_light_check); then the
 * transaction's Merkle path must reach the header's tx root and its result the result root.
 * Nothing the node says is believed, not even its "certified" flag (only used for a hint).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define MC_PROOF_USAGE                                                                                       \
    "usage: medchain proof verify (--file PROOF.json | --tx ID --key KEY [--node URL]) [--genesis "          \
    "GENESIS.bin] "                                                                                          \
    "[--trusted-header HASH]"

/* Exactly @p n bytes of hex from JSON string @p s. @return 0 or -1. */
static int mc_parse_hex(json_t *s, uint8_t *out, size_t n)
{
    const char *z = json_string_value(s);
    return z && mc_hex_decode(out, n, z, strlen(z)) == MC_OK ? 0 : -1;
}

static int mc_parse_proof(json_t *j, mc_merkle_proof *p)
{
    json_t *path = json_object_get(j, "path");
    memset(p, 0, sizeof *p);
    if (!json_is_array(path) || json_array_size(path) > MC_MAX_PROOF_DEPTH) return -1;
    p->index = (uint64_t)json_integer_value(json_object_get(j, "index"));
    p->size = (uint64_t)json_integer_value(json_object_get(j, "size"));
    p->depth = (uint32_t)json_array_size(path);
    for (uint32_t i = 0; i < p->depth; i++)
        if (mc_parse_hex(json_array_get(path, i), p->path[i].b, 32)) return -1;
    return 0;
}

static int mc_parse_header(json_t *s, mc_header *h)
{
    uint8_t raw[MC_HEADER_BYTES];
    return mc_parse_hex(s, raw, sizeof raw) == 0 && mc_header_decode(h, raw, sizeof raw) == MC_OK ? 0 : -1;
}

/* {"height","header_hash","signatures":[{"validator","signature"}]}. @return 0 or -1. */
static int mc_parse_cert(json_t *j, mc_cert *c)
{
    json_t *sigs = json_object_get(j, "signatures"), *height = json_object_get(j, "height");
    memset(c, 0, sizeof *c);
    if (!json_is_integer(height) || json_integer_value(height) < 0 || !json_is_array(sigs) ||
        json_array_size(sigs) > MC_MAX_CERT_SIGS ||
        mc_parse_hex(json_object_get(j, "header_hash"), c->header_hash.b, 32))
        return -1;
    c->height = (uint64_t)json_integer_value(height);
    c->nsigs = (uint32_t)json_array_size(sigs);
    for (uint32_t i = 0; i < c->nsigs; i++) {
        json_t *s = json_array_get(sigs, i);
        if (mc_parse_hex(json_object_get(s, "validator"), c->signers[i].b, 32) ||
            mc_parse_hex(json_object_get(s, "signature"), c->sigs[i].b, 64))
            return -1;
    }
    return 0;
}

/* "validator_changes" into a new array (caller frees). @return 0, or -1 after saying why. */
static int mc_parse_changes(json_t *arr, mc_light_change **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!arr)
        arr = json_array(); /* none: a chain whose set never changed */
    else
        json_incref(arr);
    int rc = -1;
    if (!json_is_array(arr) || json_array_size(arr) > MC_LIGHT_MAX_CHANGES) {
        mc_cli_fail("REFUSED: the proof's validator_changes is not a list of at most %u",
                    MC_LIGHT_MAX_CHANGES);
        goto out;
    }
    *n = json_array_size(arr);
    if (!(*out = calloc(*n ? *n : 1, sizeof **out))) {
        mc_cli_fail("out of memory");
        goto out;
    }
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(arr, i), *keys = json_object_get(e, "validators");
        mc_light_change *ch = &(*out)[i];
        int bad = mc_parse_header(json_object_get(e, "header"), &ch->header) ||
                  mc_parse_cert(json_object_get(e, "certificate"), &ch->cert) || !json_is_array(keys) ||
                  json_array_size(keys) > MC_MAX_VALIDATORS;
        ch->next.n = bad ? 0 : (uint32_t)json_array_size(keys);
        for (uint32_t k = 0; k < ch->next.n && !bad; k++)
            bad = mc_parse_hex(json_array_get(keys, k), ch->next.pks[k].b, 32);
        if (bad) {
            mc_cli_fail(
                "REFUSED: validator change %zu of the proof is malformed (header, certificate or keys)", i);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(arr);
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* Says why mc_light_check refused, naming the header concerned; @p node_certified 0 when the
 * document itself said "certified": false for it. Returns 1. */
static int mc_proof_refused(const mc_light_report *r, size_t nchanges, int node_certified)
{
    char where[96], detail[256] = "";
    if (r->at < nchanges)
        snprintf(where, sizeof where, "validator change %zu (block %llu)", r->at,
                 (unsigned long long)r->height);
    else
        snprintf(where, sizeof where, "block %llu", (unsigned long long)r->height);
    if (r->code == MC_LIGHT_NO_QUORUM)
        snprintf(detail, sizeof detail,
                 " (%u of %u signatures count, quorum %u of %u validators; %u by keys outside the set%s)",
                 r->nvalid, r->nsigs, r->quorum, r->nvalidators, r->noutside,
                 node_certified ? ""
                                : "; the node says it holds no certificate of it (yet): try again later, "
                                  "or ask another node");
    return mc_cli_fail("REFUSED (%s): %s: %s%s", mc_light_name(r->code), where, mc_light_reason(r->code),
                       detail);
}

/* The light-client check of @p h against the genesis config in @p genesis_path. Returns 0 when
 * accepted (@p rep filled), else 1 after saying why. */
static int mc_proof_light(json_t *doc, const char *genesis_path, const mc_header *h, mc_light_report *rep,
                          size_t *nchanges)
{
    mc_buf g;
    mc_light_trust *t = malloc(sizeof *t);
    mc_cert *cert = malloc(sizeof *cert);
    mc_light_change *changes = NULL;
    int rc = 1;
    mc_buf_init(&g, 1u << 20);
    if (!t || !cert) {
        mc_cli_fail("out of memory");
        goto out;
    }
    if (mc_file_read(genesis_path, &g) || mc_light_trust_genesis(t, g.p, g.n)) {
        mc_cli_fail("%s is not a genesis config", genesis_path);
        goto out;
    }
    json_t *cj = json_object_get(doc, "certificate");
    if (!cj) {
        mc_cli_fail("REFUSED: the proof carries no certificate of its header");
        goto out;
    }
    if (mc_parse_cert(cj, cert)) {
        mc_cli_fail("REFUSED: the proof's certificate is malformed");
        goto out;
    }
    if (mc_parse_changes(json_object_get(doc, "validator_changes"), &changes, nchanges)) goto out;
    if (mc_light_check(t, changes, *nchanges, h, cert, rep) != MC_OK) {
        /* the node's own word on the header refused, only to word the refusal */
        json_t *said =
            rep->at < *nchanges ? json_array_get(json_object_get(doc, "validator_changes"), rep->at) : doc;
        mc_proof_refused(rep, *nchanges, !json_is_false(json_object_get(said, "certified")));
        goto out;
    }
    rc = 0;
out:
    mc_buf_free(&g);
    free(t);
    free(cert);
    free(changes);
    return rc;
}

/* The Merkle checks: the transaction's leaf reaches the header's tx root, its claimed result
 * the result root. Returns 0, or 1 after saying why. */
static int mc_proof_merkle(json_t *doc, const mc_header *h, const uint8_t *tx, size_t tn, const mc_tx *t,
                           uint64_t *index)
{
    const char *result = json_string_value(json_object_get(doc, "result"));
    mc_merkle_proof tp, rp;
    mc_hash leaf;
    if (mc_parse_proof(json_object_get(doc, "tx_proof"), &tp) ||
        mc_parse_proof(json_object_get(doc, "result_proof"), &rp))
        return mc_cli_fail("REFUSED: malformed Merkle path");
    mc_merkle_leaf_tx(&leaf, tx, tn);
    if (tp.size != h->ntx || mc_merkle_verify(&leaf, &tp, &h->tx_root))
        return mc_cli_fail("REFUSED: the transaction is not in the block's transaction tree (Merkle path)");
    int code = -1;
    for (int c = 0; c < MC_TXR_COUNT_; c++)
        if (!strcmp(mc_txr_name(c), result)) code = c;
    mc_merkle_leaf_result(&leaf, &t->id, (uint16_t)(code < 0 ? 0xffff : code));
    if (code < 0 || rp.index != tp.index || rp.size != h->ntx ||
        mc_merkle_verify(&leaf, &rp, &h->result_root))
        return mc_cli_fail("REFUSED: the claimed result %s is not in the block's result tree (Merkle path)",
                           result);
    *index = tp.index;
    return 0;
}

/* Checks a proof document; trusts nothing in it. */
static int mc_proof_check(json_t *doc, const char *want_id, const char *trusted, const char *genesis)
{
    const char *txhex = json_string_value(json_object_get(doc, "tx"));
    const char *result = json_string_value(json_object_get(doc, "result"));
    if (!txhex || !result) return mc_cli_fail("not a proof document");
    size_t tn = strlen(txhex) / 2, nchanges = 0;
    uint8_t *tx = malloc(tn ? tn : 1);
    mc_tx t;
    mc_header h;
    mc_light_report rep;
    uint64_t index = 0;
    int rc = 1;
    if (!tx || mc_hex_decode(tx, tn, txhex, strlen(txhex)) || mc_tx_decode(&t, tx, tn)) {
        mc_cli_fail("REFUSED: the proof's transaction does not decode");
        goto out;
    }
    if (mc_parse_header(json_object_get(doc, "header"), &h)) {
        mc_cli_fail("REFUSED: the proof's header does not decode");
        goto out;
    }
    char idhex[65], hh[65];
    mc_hex_encode(idhex, t.id.b, 32);
    if (want_id && strcasecmp(want_id, idhex)) {
        mc_cli_fail("REFUSED: the proof is for transaction %s, not %s", idhex, want_id);
        goto out;
    }
    mc_hash hhash;
    mc_header_hash(&hhash, &h);
    mc_hex_encode(hh, hhash.b, 32);
    if (trusted && strcasecmp(trusted, hh)) {
        mc_cli_fail("REFUSED: the proof's header %s is not the trusted header %s", hh, trusted);
        goto out;
    }
    /* the header first (is it the chain's?), then the transaction in it */
    if (genesis && mc_proof_light(doc, genesis, &h, &rep, &nchanges)) goto out;
    if (mc_proof_merkle(doc, &h, tx, tn, &t, &index)) goto out;
    if (genesis)
        printf("proof OK: transaction %s is number %llu of block %llu (header %s), result %s; certified by "
               "%u of "
               "%u validators (quorum %u), trusting only the genesis config (%zu validator-set change%s "
               "followed)\n",
               idhex, (unsigned long long)index, (unsigned long long)h.height, hh, result, rep.nvalid,
               rep.nvalidators, rep.quorum, nchanges, nchanges == 1 ? "" : "s");
    else
        printf("proof OK: transaction %s is number %llu of block %llu (header %s), result %s%s\n", idhex,
               (unsigned long long)index, (unsigned long long)h.height, hh, result,
               trusted ? ""
                       : "\n(the header itself is trusted only as far as the node that served it; pass "
                         "--genesis GENESIS.bin to check its certificate)");
    rc = 0;
out:
    free(tx);
    return rc;
}

int mc_cmd_proof(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *file = NULL, *tx = NULL, *trusted = NULL, *genesis = NULL;
    if (argc < 2 || strcmp(argv[1], "verify")) return mc_cli_usage(MC_PROOF_USAGE);
    const mc_cli_opt opts[] = {{.name = "--file", .val = &file},
                               {.name = "--tx", .val = &tx},
                               {.name = "--trusted-header", .val = &trusted},
                               {.name = "--genesis", .val = &genesis},
                               {0}};
    int rc = mc_cli_args(argc, argv, 2, &o, opts, NULL, 0);
    if (rc) return rc;
    if (!file == !tx) return mc_cli_usage("proof verify needs --file or --tx (one of them)");
    uint8_t id[32];
    if (tx && mc_cli_id_arg("--tx", tx, id)) return MC_CLI_USAGE;
    json_t *doc = NULL;
    if (file) {
        json_error_t e;
        if (!(doc = json_load_file(file, 0, &e))) return mc_cli_fail("%s is not JSON", file);
    } else {
        mc_cli_conn c;
        char path[128];
        long st;
        snprintf(path, sizeof path, "/v1/proofs/tx/%.64s", tx);
        if (mc_cli_connect(&c, &o, 1) == 0 && mc_cli_call(&c, "GET", path, NULL, &st, &doc) == 0 &&
            st != 200) {
            mc_cli_api_fail("no proof", st, doc);
            json_decref(doc);
            doc = NULL;
        }
        mc_cli_close(&c);
        if (!doc) return 1;
    }
    rc = mc_proof_check(doc, tx, trusted, genesis);
    json_decref(doc);
    return rc;
}
