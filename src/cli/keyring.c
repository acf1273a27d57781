/*
 * Where the CLI finds the secrets it may use, all on this machine: the patient's search key (its
 * own, derived from its box key, or one a grant wrapped for the caller) and a record's data key
 * (wrapped to the caller in the anchor, or re-wrapped for it in a grant). Nothing secret is
 * sent anywhere; the node only ever sees wrapped keys and tokens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/envelope.h"

/* Calls @p fn on each active grant of @p patient to the caller (as an identity) that the node
 * shows it, with the grant's body fetched from its block, until @p fn returns non-zero. */
static int mc_cli_each_grant_to_me(mc_cli_conn *c, const mc_id *patient,
                                   int (*fn)(void *arg, const mc_body_consent *b), void *arg)
{
    char base[120], pid[65], me[65];
    mc_hex_encode(pid, patient->b, 32);
    mc_hex_encode(me, c->keys.id.b, 32);
    snprintf(base, sizeof base, "/v1/patients/%s/consents", pid);
    json_t *all;
    if (mc_cli_list(c, base, NULL, "consents", NULL, &all)) return -1;
    mc_body_consent *b = malloc(sizeof *b);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int found = b ? 0 : -1;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(all, "consents"), i, g)
    {
        json_t *to = json_object_get(g, "grantee");
        const char *gid = json_string_value(json_object_get(to, "id"));
        mc_hash id;
        if (found || strcmp(mc_cli_str(g, "type"), "grant") || strcmp(mc_cli_str(g, "status"), "active") ||
            !gid || strcmp(gid, me) || mc_cli_parse_id(mc_cli_str(g, "id"), id.b))
            continue;
        if (mc_cli_fetch_tx(c, &id, MC_TX_CONSENT_GRANT, &body) || mc_body_consent_decode(b, body.p, body.n))
            continue;
        found = fn(arg, b);
    }
    mc_buf_free(&body);
    free(b);
    json_decref(all);
    return found;
}

typedef struct {
    const mc_id *me;
    mc_hash slot; /* the record id, or the patient's search-key slot */
    mc_wrapped_key wk;
} mc_key_find;

static int mc_key_in_grant(void *arg, const mc_body_consent *b)
{
    mc_key_find *f = arg;
    for (uint32_t i = 0; i < b->nkeys; i++)
        if (!memcmp(b->keys[i].record.b, f->slot.b, 32) &&
            !memcmp(b->keys[i].key.recipient.b, f->me->b, 32)) {
            f->wk = b->keys[i].key;
            return 1;
        }
    return 0;
}

int mc_cli_search_key(mc_cli_conn *c, const mc_id *patient, uint8_t key[32])
{
    mc_id me;
    memcpy(me.b, c->keys.id.b, 32);
    if (!memcmp(patient->b, me.b, 32)) {
        mc_env_search_key(key, &c->keys.box_sk);
        return 0;
    }
    mc_key_find f = {.me = &me};
    mc_env_search_key_slot(&f.slot, patient);
    int rc = mc_cli_each_grant_to_me(c, patient, mc_key_in_grant, &f);
    if (rc < 0) return 1;
    if (rc == 0)
        return mc_cli_fail(
            "the patient has not shared a search key with you (a grant made with --share-search-key)");
    mc_box_pk pk;
    mc_box_sk_to_pk(&pk, &c->keys.box_sk);
    if (mc_env_unwrap(key, &f.wk, &f.slot, &pk, &c->keys.box_sk))
        return mc_cli_fail("the search key shared with you does not open with your key");
    return 0;
}

int mc_cli_wrapped_key(mc_cli_conn *c, const mc_body_anchor *a, mc_wrapped_key *out)
{
    mc_id me;
    memcpy(me.b, c->keys.id.b, 32);
    const mc_wrapped_key *wk = mc_env_find_key(a, &me);
    if (wk) {
        *out = *wk;
        return 0;
    }
    mc_key_find f = {.me = &me, .slot = a->record};
    int rc = mc_cli_each_grant_to_me(c, &a->patient, mc_key_in_grant, &f);
    if (rc < 0) return 1;
    if (rc == 0)
        return mc_cli_fail("no key to this record was wrapped for you (ask the patient for a grant)");
    *out = f.wk;
    return 0;
}
