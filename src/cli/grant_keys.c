/*
 * The keys a grant carries, made on the patient's machine: each record in the grant's scope has
 * its data key re-wrapped for the grantee (so the grantee can decrypt what the custodian serves
 * it), and, when asked, the patient's search key too (so the grantee can search and tag). Only
 * the patient holds the keys to re-wrap: a delegate's grant carries none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "medchain/envelope.h"

static int mc_in_scope(const mc_body_consent *b, json_t *rec, const mc_hash *rid)
{
    if (b->scope_kind == MC_SCOPE_ALL) return 1;
    if (b->scope_kind == MC_SCOPE_RECORDS) {
        for (uint32_t i = 0; i < b->nrecords; i++)
            if (!memcmp(b->records[i].b, rid->b, 32)) return 1;
        return 0;
    }
    const char *cat = mc_cli_str(rec, "category");
    for (uint32_t i = 0; i < b->ncats; i++)
        if (!strcmp(b->cats[i], cat)) return 1;
    return 0;
}

static int mc_key_cmp(const void *x, const void *y)
{
    return memcmp(x, y, 64); /* record, then recipient */
}

/* Re-wraps the data key of every record of the patient in the grant's scope. */
static int mc_rewrap_records(mc_cli_conn *c, mc_body_consent *b, mc_wrapper *w, const mc_box_pk *to_pk)
{
    char base[120], pid[65];
    mc_hex_encode(pid, b->patient.b, 32);
    snprintf(base, sizeof base, "/v1/patients/%s/records", pid);
    json_t *all;
    if (mc_cli_list(c, base, NULL, "records", NULL, &all)) return 1;
    mc_body_anchor *a = malloc(sizeof *a);
    mc_box_pk me;
    mc_box_sk_to_pk(&me, &c->keys.box_sk);
    int rc = a ? 0 : mc_cli_fail("out of memory");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(all, "records"), i, r)
    {
        mc_hash rid;
        if (rc || mc_cli_parse_id(mc_cli_str(r, "id"), rid.b) || !mc_in_scope(b, r, &rid)) continue;
        if (b->nkeys == MC_MAX_REWRAPPED) {
            rc =
                mc_cli_fail("more than %u records in this grant's scope: narrow it (--categories, --records)",
                            MC_MAX_REWRAPPED);
            break;
        }
        const mc_wrapped_key *mine;
        if ((rc = mc_cli_fetch_anchor(c, &rid, a, NULL))) break;
        if (!(mine = mc_env_find_key(a, &b->patient)))
            continue; /* not wrapped to the patient: cannot share */
        mc_rewrapped_key *k = &b->keys[b->nkeys];
        k->record = rid;
        if (mc_env_rewrap(w, &k->key, mine, &rid, &me, &c->keys.box_sk, &b->grantee, to_pk))
            rc = mc_cli_fail("a record's key does not open with your key");
        else
            b->nkeys++;
    }
    free(a);
    json_decref(all);
    return rc;
}

int mc_cli_grant_keys(mc_cli_conn *c, mc_body_consent *b, int share_search)
{
    int self = !memcmp(c->keys.id.b, b->patient.b, 32);
    int want_records = (b->actions & MC_ACTION_READ) && b->grantee_kind != MC_GRANTEE_SELECTOR;
    if (!self) {
        if (share_search) return mc_cli_usage("only the patient can share the patient's search key");
        return 0; /* a delegate grants access; the patient's machine shares keys */
    }
    if (share_search && b->grantee_kind == MC_GRANTEE_SELECTOR)
        return mc_cli_usage("a search key is shared with an identity or an org, not a selector");
    if (!want_records && !share_search) return 0;
    mc_box_pk to_pk;
    mc_wrapper *w = NULL;
    if (mc_cli_identity_hex(c, b->grantee.b, "box_pk", to_pk.b)) return 1;
    if (mc_wrapper_new(&w)) return mc_cli_fail("out of memory");
    int rc = want_records ? mc_rewrap_records(c, b, w, &to_pk) : 0;
    if (!rc && share_search) {
        if (b->nkeys == MC_MAX_REWRAPPED) {
            rc = mc_cli_fail("no room left in this grant for the search key: narrow its scope");
        } else {
            uint8_t skey[MC_ENV_KEYBYTES];
            mc_rewrapped_key *k = &b->keys[b->nkeys];
            mc_env_search_key(skey, &c->keys.box_sk);
            mc_env_search_key_slot(&k->record, &b->patient);
            rc = mc_env_wrap(w, &k->key, skey, &k->record, &b->grantee, &to_pk)
                     ? mc_cli_fail("cannot wrap the search key")
                     : 0;
            mc_wipe(skey, sizeof skey);
            if (!rc) b->nkeys++;
        }
    }
    mc_wrapper_free(w);
    qsort(b->keys, b->nkeys, sizeof b->keys[0], mc_key_cmp);
    return rc;
}
