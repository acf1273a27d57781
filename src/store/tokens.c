/*
 * The search-token index (MC_SK_TOKEN: token | record id, presence keys written by the
 * executor for each anchor's tokens): the records carrying any of several tokens.
 *
 * Each token's keys are one prefix scan in record-id order, so the union in record-id order is
 * a k-way merge of at most MC_MAX_TOKENS heads: take the smallest head, hand it out once, move
 * every head that held it to its next key. A head moves with one short mc_store_scan from the
 * key it held, so the merge reads only as many keys as the caller consumes (a page), however
 * many records a token matches.
 */
#include <stdlib.h>
#include <string.h>

#include "medchain/store.h"

#define MC_TOKEN_FOUND (-1) /* a head's scan callback: the next record id is in hand */

typedef struct {
    mc_hash token;
    mc_hash rid;   /* the head: the smallest record id after `after` */
    int have;      /* 0 once the token's keys are exhausted */
    mc_hash after; /* scan keys strictly after this record id ... */
    int has_after; /* ... when set */
} mc_token_head;

static int mc_token_key(void *arg, mc_slice key, mc_slice val)
{
    mc_token_head *h = arg;
    (void)val;
    if (key.n != 1 + 32 + 32) return MC_ECORRUPT;
    if (h->has_after && memcmp(key.p + 33, h->after.b, 32) == 0) return MC_OK; /* the one we had */
    memcpy(h->rid.b, key.p + 33, 32);
    h->have = 1;
    return MC_TOKEN_FOUND;
}

/* Moves @p h to the first record id after @p after (NULL: its first). */
static int mc_token_advance(mc_store_txn *txn, mc_token_head *h, const mc_hash *after)
{
    mc_skey prefix, from;
    h->have = 0;
    h->has_after = after != NULL;
    if (after) h->after = *after;
    mc_skey_make(&prefix, MC_SK_TOKEN, h->token.b, 32, NULL, 0, NULL, 0);
    mc_skey_make(&from, MC_SK_TOKEN, h->token.b, 32, after ? after->b : NULL, after ? 32 : 0, NULL, 0);
    int rc = mc_store_scan(txn, &prefix, after ? &from : NULL, mc_token_key, h);
    return rc == MC_TOKEN_FOUND ? MC_OK : rc;
}

static int mc_hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

int mc_store_scan_tokens(mc_store_txn *txn, const mc_hash *tokens, size_t ntokens, const mc_hash *after,
                         int (*fn)(void *arg, const mc_hash *record), void *arg)
{
    if (ntokens == 0 || ntokens > MC_MAX_TOKENS || !tokens || !fn) return MC_EINVAL;
    mc_token_head *heads = calloc(ntokens, sizeof *heads);
    if (!heads) return MC_ENOMEM;
    /* one head per distinct token */
    mc_hash sorted[MC_MAX_TOKENS];
    memcpy(sorted, tokens, ntokens * sizeof *tokens);
    qsort(sorted, ntokens, sizeof sorted[0], mc_hash_cmp);
    size_t k = 0;
    for (size_t i = 0; i < ntokens; i++)
        if (i == 0 || memcmp(sorted[i].b, sorted[i - 1].b, 32) != 0) heads[k++].token = sorted[i];
    int rc = MC_OK;
    for (size_t i = 0; i < k && !rc; i++) rc = mc_token_advance(txn, &heads[i], after);
    while (!rc) {
        const mc_hash *min = NULL;
        for (size_t i = 0; i < k; i++)
            if (heads[i].have && (!min || memcmp(heads[i].rid.b, min->b, 32) < 0)) min = &heads[i].rid;
        if (!min) break;
        mc_hash rid = *min;
        if ((rc = fn(arg, &rid)) != 0) break;
        for (size_t i = 0; i < k && !rc; i++)
            if (heads[i].have && memcmp(heads[i].rid.b, rid.b, 32) == 0)
                rc = mc_token_advance(txn, &heads[i], &rid);
    }
    free(heads);
    return rc;
}
