/*
 * Loading the index from the state: every identity ('I'), record ('R'), grant or deny ('G'),
 * delegate ('D') and break-glass ('E'). The keys say which ids there are; the values are read
 * through the store's typed accessors, which own their layout.
 */
#include <stdlib.h>
#include <string.h>

#include "index_internal.h"

typedef struct {
    mc_policy_index *ix;
    mc_store_txn *txn;
    union { /* one decoded value at a time */
        mc_identity idn;
        mc_record rec;
        mc_consent consent;
        mc_emergency em;
        mc_delegate dl;
    } u;
    int rc; /* the error that stopped the scan */
} mc_load;

static int mc_load_stop(mc_load *l, int rc)
{
    l->rc = rc == MC_ENOTFOUND ? MC_ECORRUPT : rc; /* a key without its value */
    return 1;
}

static int mc_load_one(void *arg, mc_slice key, mc_slice val)
{
    mc_load *l = arg;
    mc_hash id;
    mc_id who;
    if (key.n != (key.p[0] == MC_SK_DELEGATE ? 65u : 33u)) return mc_load_stop(l, MC_ECORRUPT);
    memcpy(id.b, key.p + 1, 32);
    memcpy(who.b, key.p + 1, 32);
    int rc;
    switch (key.p[0]) {
    case MC_SK_IDENTITY:
        rc = mc_store_get_identity(l->txn, &who, &l->u.idn);
        if (!rc) rc = mc_policy_index_put_identity(l->ix, &l->u.idn);
        break;
    case MC_SK_RECORD:
        rc = mc_store_get_record(l->txn, &id, &l->u.rec);
        if (!rc) rc = mc_policy_index_put_record(l->ix, &l->u.rec);
        break;
    case MC_SK_CONSENT:
        rc = mc_store_get_consent(l->txn, &id, &l->u.consent);
        if (!rc) rc = mc_policy_index_put_consent(l->ix, &l->u.consent);
        break;
    case MC_SK_EMERGENCY:
        rc = mc_store_get_emergency(l->txn, &id, &l->u.em);
        if (!rc) rc = mc_policy_index_put_emergency(l->ix, &l->u.em);
        break;
    default: { /* MC_SK_DELEGATE: patient, delegate */
        mc_id delegate;
        memcpy(delegate.b, key.p + 33, 32);
        rc = mc_store_get_delegate(l->txn, &who, &delegate, &l->u.dl);
        if (!rc) rc = mc_policy_index_put_delegate(l->ix, &who, &delegate, l->u.dl.active);
        break;
    }
    }
    return rc ? mc_load_stop(l, rc) : 0;
}

int mc_policy_index_load(mc_policy_index *ix, mc_store_txn *txn)
{
    if (!ix || !txn) return MC_EINVAL;
    static const uint8_t types[] = {MC_SK_IDENTITY, MC_SK_RECORD, MC_SK_CONSENT, MC_SK_DELEGATE,
                                    MC_SK_EMERGENCY};
    mc_load *l = malloc(sizeof *l); /* a decoded consent is too large for the stack */
    if (!l) return MC_ENOMEM;
    l->ix = ix;
    l->txn = txn;
    l->rc = MC_OK;
    int rc = MC_OK;
    for (size_t i = 0; i < sizeof types && !rc; i++) {
        mc_skey prefix;
        mc_skey_make(&prefix, types[i], NULL, 0, NULL, 0, NULL, 0);
        rc = mc_store_scan(txn, &prefix, NULL, mc_load_one, l);
        if (rc && l->rc) rc = l->rc;
    }
    free(l);
    return rc;
}
