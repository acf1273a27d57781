/*
 * medchain search --patient PID CODE|WORD: encrypted keyword search (DESIGN §4). The keyword
 * becomes tokens here, HMACs under the patient's search key; the node matches tokens against the
 * tokens anchors carry and never learns the keyword. A bare term is tried as every kind of
 * keyword (a LOINC, SNOMED CT, RxNorm or CVX code, a resource type, a category, a year, a
 * word); "kind:value" asks for one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/envelope.h"

static const char *const mc_search_kinds[] = {"loinc", "snomed",   "rxnorm", "cvx",
                                              "type",  "category", "year",   "word"};

/* The query string "token=HEX&token=HEX..." for @p term. */
static int mc_search_query(char *q, size_t cap, const char *term, const uint8_t skey[32])
{
    char kw[MC_ENV_MAX_KEYWORD], kind[16], hex[65];
    const char *colon = strchr(term, ':');
    size_t n = 0, ntok = 0;
    for (size_t i = 0; i < MC_ARRAY_LEN(mc_search_kinds); i++) {
        const char *value = term;
        if (colon) {
            size_t kl = (size_t)(colon - term);
            if (kl >= sizeof kind) break;
            memcpy(kind, term, kl);
            kind[kl] = 0;
            value = colon + 1;
        } else {
            snprintf(kind, sizeof kind, "%s", mc_search_kinds[i]);
        }
        if (mc_env_keyword(kw, sizeof kw, kind, value) == MC_OK) {
            mc_hash tok;
            mc_env_token(&tok, skey, kw);
            mc_hex_encode(hex, tok.b, 32);
            n += (size_t)snprintf(q + n, cap - n, "%stoken=%s", ntok++ ? "&" : "", hex);
            mc_wipe(kw, sizeof kw);
        }
        if (colon) break;
    }
    return ntok ? 0
                : mc_cli_usage("not a keyword: give a code, a word, or kind:value (kinds: loinc, snomed, "
                               "rxnorm, cvx, type, category, year, word)");
}

int mc_cli_search(mc_cli_conn *c, const mc_id *patient, const char *term, json_t **all)
{
    uint8_t skey[32];
    char q[1200], base[120], hex[65];
    mc_hex_encode(hex, patient->b, 32);
    snprintf(base, sizeof base, "/v1/patients/%s/search", hex);
    *all = NULL;
    int rc = mc_cli_search_key(c, patient, skey) || mc_search_query(q, sizeof q, term, skey) ||
             mc_cli_list(c, base, q, "records", NULL, all);
    mc_wipe(skey, sizeof skey);
    return rc;
}

int mc_cmd_search(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *patient = NULL, *term = NULL;
    mc_cli_opt opts[] = {{.name = "--patient", .val = &patient}, {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, &term, 1);
    if (rc) return rc;
    if (!patient || !term || !*term)
        return mc_cli_usage("usage: medchain search --patient PID --key KEY CODE|WORD|kind:value [--json]");
    mc_id pid;
    if ((rc = mc_cli_id_arg("--patient", patient, pid.b))) return rc;
    mc_cli_conn c;
    memset(&c, 0, sizeof c);
    json_t *all = NULL;
    rc = mc_cli_connect(&c, &o, 1) || mc_cli_search(&c, &pid, term, &all);
    if (!rc && o.json) {
        mc_cli_print_json(all);
    } else if (!rc) {
        json_t *items = json_object_get(all, "records");
        for (size_t i = 0; i < json_array_size(items); i++) mc_cli_print_record(json_array_get(items, i));
        fprintf(stderr, "%zu record%s\n", json_array_size(items), json_array_size(items) == 1 ? "" : "s");
    }
    json_decref(all);
    mc_cli_close(&c);
    return rc;
}
