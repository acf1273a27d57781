/* The CLI's side of the API: connections, signed calls, transaction submission. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void mc_cli_say(const char *fmt, va_list ap)
{
    fputs("medchain: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int mc_cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mc_cli_say(fmt, ap);
    va_end(ap);
    return 1;
}

int mc_cli_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mc_cli_say(fmt, ap);
    va_end(ap);
    return MC_CLI_USAGE;
}

int mc_cli_parse_id(const char *s, uint8_t out[32])
{
    return mc_hex_decode(out, 32, s, s ? strlen(s) : 0);
}

int mc_cli_common_opt(mc_cli_common *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **slot = !strcmp(a, "--node")              ? &o->node
                        : !strcmp(a, "--key")             ? &o->key
                        : !strcmp(a, "--passphrase-file") ? &o->passphrase_file
                        : !strcmp(a, "--ca")              ? &o->ca
                                                          : NULL;
    if (!strcmp(a, "--json")) {
        o->json = 1;
        return 1;
    }
    if (!slot || *i + 1 >= argc) return 0;
    *slot = argv[++*i];
    return 1;
}

int mc_cli_load_keys(const char *path, const char *passphrase_file, mc_keys *keys)
{
    char pass[1024];
    int rc = mc_passphrase_load(passphrase_file, pass, sizeof pass);
    if (rc) return mc_cli_fail("no passphrase for %s (use --passphrase-file or MEDCHAIN_PASSPHRASE)", path);
    rc = mc_keyfile_read(path, pass, keys);
    mc_wipe(pass, sizeof pass);
    if (rc == MC_ECRYPTO) return mc_cli_fail("%s: wrong passphrase or damaged key file", path);
    if (rc) return mc_cli_fail("%s: %s", path, mc_strerror(rc));
    return 0;
}

int mc_cli_write_keys(const char *path, const mc_keys *keys, const char *passphrase, int kdf_level)
{
    int rc = mc_keyfile_write(path, keys, passphrase, kdf_level);
    if (rc) return mc_cli_fail("cannot write %s: %s", path, mc_strerror(rc));
    mc_sign_pk spk;
    mc_box_pk bpk;
    mc_sign_sk_to_pk(&spk, &keys->sign_sk);
    mc_box_sk_to_pk(&bpk, &keys->box_sk);
    char id[65], s[65], b[65], text[512], pub[1100];
    mc_hex_encode(id, keys->id.b, 32);
    mc_hex_encode(s, spk.b, 32);
    mc_hex_encode(b, bpk.b, 32);
    const char *kind = keys->kind == MC_KEYKIND_RELEASE ? "release" : mc_identity_kind_name(keys->kind);
    int n = snprintf(text, sizeof text, "medchain-public-key 1\nkind %s\nid %s\nsign_pk %s\nbox_pk %s\n",
                     kind ? kind : "unknown", id, s, b);
    snprintf(pub, sizeof pub, "%s.pub", path);
    if ((rc = mc_file_write_atomic(pub, text, (size_t)n, 0644))) return mc_cli_fail("cannot write %s", pub);
    return 0;
}

int mc_cli_read_pub(const char *path, mc_cli_pub *pub)
{
    mc_buf b;
    mc_buf_init(&b, 4096);
    memset(pub, 0, sizeof *pub);
    int rc = mc_file_read(path, &b);
    if (!rc) rc = mc_buf_cstr(&b);
    if (rc) {
        mc_buf_free(&b);
        return mc_cli_fail("cannot read public key file %s", path);
    }
    char kind[32] = "", id[80] = "", s[80] = "", x[80] = "";
    int ok = sscanf((char *)b.p, "medchain-public-key 1\nkind %31s\nid %79s\nsign_pk %79s\nbox_pk %79s", kind,
                    id, s, x) == 4;
    mc_buf_free(&b);
    pub->kind = (uint8_t)mc_identity_kind_parse(kind);
    if (!ok || !pub->kind || mc_cli_parse_id(id, pub->id.b) || mc_cli_parse_id(s, pub->sign_pk.b) ||
        mc_cli_parse_id(x, pub->box_pk.b))
        return mc_cli_fail("%s is not a medchain public key file", path);
    return 0;
}

void mc_cli_print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) puts(s);
    free(s);
}

int mc_cli_call(mc_cli_conn *c, const char *method, const char *path, const char *body, long *status,
                json_t **out)
{
    *out = NULL;
    int rc = mc_http_request(c->http, method, path, body, body ? strlen(body) : 0, status, &c->resp);
    if (rc)
        return mc_cli_fail("%s %s: %s", method, path,
                           rc == MC_EUNAVAIL ? "cannot reach the node" : mc_strerror(rc));
    json_error_t jerr;
    *out = json_loadb((const char *)c->resp.p, c->resp.n, 0, &jerr);
    if (!*out) return mc_cli_fail("%s %s: the node answered HTTP %ld without JSON", method, path, *status);
    return 0;
}

int mc_cli_connect(mc_cli_conn *c, const mc_cli_common *o, int need_key)
{
    memset(c, 0, sizeof *c);
    mc_buf_init(&c->resp, 64u << 20);
    const char *url = o->node ? o->node : getenv("MEDCHAIN_NODE");
    if (!url) url = "http://127.0.0.1:7700";
    if (mc_net_init() || mc_http_new(&c->http, url, 0)) return mc_cli_fail("bad node URL %s", url);
    const char *ca = o->ca ? o->ca : getenv("MEDCHAIN_CA");
    if (ca) mc_http_set_ca(c->http, ca);
    c->ca = ca;
    if (need_key && !o->key) return mc_cli_fail("this command needs --key FILE");
    if (o->key) {
        if (mc_cli_load_keys(o->key, o->passphrase_file, &c->keys)) return 1;
        c->have_keys = 1;
    }
    long st;
    json_t *j;
    if (mc_cli_call(c, "GET", "/v1/status", NULL, &st, &j)) return 1;
    const char *chain = json_string_value(json_object_get(j, "chain"));
    const char *name = json_string_value(json_object_get(j, "chain_name"));
    int bad = st != 200 || !chain || mc_cli_parse_id(chain, c->chain.b);
    snprintf(c->chain_name, sizeof c->chain_name, "%s", name ? name : "");
    json_decref(j);
    if (bad) return mc_cli_fail("%s did not answer like a medchain node", url);
    if (c->have_keys) {
        mc_http_signer s = {.chain = c->chain, .sk = &c->keys.sign_sk};
        memcpy(s.id.b, c->keys.id.b, 32);
        mc_http_set_signer(c->http, &s);
    }
    return 0;
}

void mc_cli_close(mc_cli_conn *c)
{
    mc_http_free(c->http);
    mc_buf_free(&c->resp);
    mc_wipe(&c->keys, sizeof c->keys);
}

uint64_t mc_cli_nonce(void)
{
    static uint64_t last;
    uint64_t t = mc_time_now_ms() * 1000 + (mc_time_mono_ns() / 1000) % 1000;
    last = t > last ? t : last + 1;
    return last;
}

int mc_cli_submit_as(mc_cli_conn *c, const mc_sign_sk *sk, uint16_t kind, const mc_buf *body,
                     const char *what, int mode, mc_hash *id_out)
{
    mc_buf tx;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_hash id;
    mc_id signer;
    memcpy(signer.b, c->keys.id.b, 32);
    int rc = mc_tx_build(&tx, &id, &c->chain, &signer, mc_cli_nonce(), kind, body->p, body->n,
                         sk ? sk : &c->keys.sign_sk);
    if (rc) {
        mc_buf_free(&tx);
        return mc_cli_fail("cannot build the transaction: %s", mc_strerror(rc));
    }
    if (id_out) *id_out = id;
    char *hex = malloc(2 * tx.n + 1), *req = malloc(2 * tx.n + 16);
    if (!hex || !req) {
        free(hex);
        free(req);
        mc_buf_free(&tx);
        return mc_cli_fail("out of memory");
    }
    mc_hex_encode(hex, tx.p, tx.n);
    sprintf(req, "{\"tx\":\"%s\"}", hex);
    long st;
    json_t *j;
    rc = mc_cli_call(c, "POST", "/v1/tx?wait=committed", req, &st, &j);
    free(hex);
    free(req);
    mc_buf_free(&tx);
    if (rc) return 1;
    json_t *t = json_object_get(j, "tx");
    const char *status = json_string_value(json_object_get(t, "status"));
    const char *result = json_string_value(json_object_get(t, "result"));
    const char *reason = json_string_value(json_object_get(t, "reason"));
    char idhex[65];
    mc_hex_encode(idhex, id.b, 32);
    int ok = status && !strcmp(status, "committed") && result && !strcmp(result, "OK");
    if (mode == MC_CLI_JSON) {
        mc_cli_print_json(j);
    } else if (!t) {
        mc_cli_api_fail(what, st, j);
    } else if (mode != MC_CLI_QUIET || !ok) {
        printf("%s: %s%s%s (tx %s", what, status ? status : "?", result ? ", " : "", result ? result : "",
               idhex);
        json_t *h = json_object_get(t, "height");
        if (h) printf(", block %lld", (long long)json_integer_value(h));
        printf(")%s%s\n", reason ? ": " : "", reason ? reason : "");
    }
    json_decref(j);
    return ok ? 0 : 1;
}

int mc_cli_submit(mc_cli_conn *c, uint16_t kind, const mc_buf *body, const char *what, int mode,
                  mc_hash *id_out)
{
    return mc_cli_submit_as(c, NULL, kind, body, what, mode, id_out);
}
