/*
 * Applying one ordered batch: check the batch, pre-verify signatures in parallel, run each
 * transaction's rule in order, then write the block, its index entries, the state digest and
 * the orderer position in the same store transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "exec_internal.h"

/* Per-transaction scratch for the signature pre-pass. */
typedef struct {
    int decoded;
    mc_tx tx;
    int have_pk;   /* the signer was known at the start of the block */
    mc_sign_pk pk; /* key the pre-pass checked against */
    int sig_ok;
    mc_exec_presig presig; /* an access.log's reader signature */
} mc_txwork;

static int mc_exec_reserve(mc_exec *x, size_t n)
{
    if (n <= x->cap) return MC_OK;
    mc_hash *a = realloc(x->txids, n * sizeof *a);
    if (a) x->txids = a;
    uint16_t *r = realloc(x->results, n * sizeof *r);
    if (r) x->results = r;
    mc_hash *l = realloc(x->leaves, n * sizeof *l);
    if (l) x->leaves = l;
    if (!a || !r || !l) return MC_ENOMEM;
    x->cap = n;
    return MC_OK;
}

static int mc_exec_is_validator(const mc_exec *x, const mc_id *id)
{
    for (uint32_t i = 0; i < x->vals.n; i++)
        if (memcmp(x->val_ids[i].b, id->b, 32) == 0) return 1;
    return 0;
}

static int mc_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Block time: the proposer's clock, but never below the lower median m of every validator's
 * latest signed batch time (the proposer's updated first) and never more than
 * MC_BLOCK_TIME_LEAD_MS above it; never below the previous block time. With f < n/2 faulty
 * validators m lies between honest clocks, so a liar moves the time at most the lead ahead of
 * them, never back. The lead lets an honest proposer's fresh clock stand when the others have
 * been idle (their latest times stale): without it, a consortium's time would lag by as long as
 * its quietest member has been quiet, and grants would end that much late. (Validators also
 * refresh their time by proposing an empty batch when idle: node.c, time_beacon_ms.)
 */
static uint64_t mc_block_time_from(uint64_t *t, uint32_t n, uint64_t proposer_ms, uint64_t prev_ms)
{
    qsort(t, n, sizeof t[0], mc_u64_cmp);
    uint64_t m = t[(n - 1) / 2], lead = m + MC_BLOCK_TIME_LEAD_MS;
    uint64_t bt = proposer_ms < m ? m : proposer_ms > lead ? lead : proposer_ms;
    return bt > prev_ms ? bt : prev_ms;
}

static int mc_exec_block_time(mc_exec *x, mc_store_txn *txn, const mc_batch *b, uint64_t *out)
{
    uint64_t t[MC_MAX_VALIDATORS];
    uint64_t last;
    int rc = mc_store_get_validator(txn, &b->proposer, &last);
    if (rc) return rc;
    if (b->time_ms > last && (rc = mc_store_put_validator(txn, &b->proposer, b->time_ms))) return rc;
    for (uint32_t i = 0; i < x->vals.n; i++)
        if ((rc = mc_store_get_validator(txn, &x->val_ids[i], &t[i]))) return rc;
    *out = mc_block_time_from(t, x->vals.n, b->time_ms, x->info.time_ms);
    return MC_OK;
}

int mc_exec_predict_time(mc_store_txn *txn, const mc_id *proposer, uint64_t proposer_ms, uint64_t *out)
{
    uint64_t height, t[MC_MAX_VALIDATORS];
    mc_hash tip;
    mc_slice raw;
    mc_header h;
    mc_valset *vs = malloc(sizeof *vs);
    *out = 0;
    int rc = vs ? mc_store_get_tip(txn, &height, &tip) : MC_ENOMEM;
    if (!rc) rc = mc_store_get_block(txn, height, &raw);
    if (!rc && (raw.n < MC_HEADER_BYTES || mc_header_decode(&h, raw.p, MC_HEADER_BYTES))) rc = MC_ECORRUPT;
    if (!rc) rc = mc_store_get_valset(txn, height + 1, vs);
    for (uint32_t i = 0; !rc && i < vs->n; i++) {
        mc_id id;
        mc_id_from_pk(&id, &vs->pks[i]);
        rc = mc_store_get_validator(txn, &id, &t[i]);
        if (!rc && memcmp(id.b, proposer->b, 32) == 0 && proposer_ms > t[i]) t[i] = proposer_ms;
    }
    if (!rc) *out = mc_block_time_from(t, vs->n, proposer_ms, h.time_ms);
    free(vs);
    return rc;
}

/* Checks a batch before any transaction is looked at. Returns MC_OK or the skip reason. */
/*
 * A certificate a batch carries (docs/format.md, "Attestation"): a quorum of the genesis
 * validators' signatures over a header already on this chain. Every node holds the same blocks
 * and genesis, so every node decides alike; a batch with a false certificate is skipped whole
 * (only a faulty proposer makes one: an honest one sends only what it verified).
 */
static int mc_exec_check_cert(mc_exec *x, mc_store_txn *txn, const mc_cert *c)
{
    mc_slice raw;
    mc_block blk;
    mc_hash hh;
    if (c->height == 0 || c->height > x->info.height) return MC_EINVAL;
    int rc = mc_store_get_block(txn, c->height, &raw);
    if (rc) return rc == MC_ENOTFOUND ? MC_EINVAL : -rc;
    if (mc_block_decode(&blk, raw.p, raw.n)) return -MC_ECORRUPT;
    mc_header_hash(&hh, &blk.header);
    if (memcmp(hh.b, c->header_hash.b, 32) != 0) return MC_EINVAL;
    mc_valset *vs = malloc(sizeof *vs); /* the set that certified that height */
    if (!vs) return -MC_ENOMEM;
    rc = mc_store_get_valset(txn, c->height, vs);
    rc = rc ? -rc : mc_cert_check(c, &x->info.chain, vs->pks, vs->n);
    free(vs);
    if (rc < 0) return rc;
    return rc == MC_OK ? MC_OK : rc == MC_EBADSIG ? MC_EBADSIG : MC_EINVAL;
}

static int mc_exec_check_batch(mc_exec *x, mc_store_txn *txn, const mc_batch *b)
{
    if (memcmp(b->chain.b, x->info.chain.b, 32) != 0) return MC_EINVAL;
    if (!mc_exec_is_validator(x, &b->proposer)) return MC_EDENIED;
    mc_identity node;
    int rc = mc_store_get_identity(txn, &b->proposer, &node);
    if (rc == MC_ENOTFOUND) return MC_EDENIED;
    if (rc) return rc < 0 ? rc : -rc; /* store failure: surfaced, not a skip */
    if (node.status != MC_ID_ACTIVE) return MC_EDENIED;
    if (mc_verify(&b->sig, b->hash.b, 32, &node.sign_pk)) return MC_EBADSIG;
    uint64_t seen;
    rc = mc_store_get_batch_seen(txn, &b->hash, &seen);
    if (rc == MC_OK) return MC_EEXIST;
    if (rc != MC_ENOTFOUND) return -rc;
    if (b->has_cert) return mc_exec_check_cert(x, txn, b->cert);
    return MC_OK;
}

/* Decodes every transaction and checks, in parallel, each signature that the signature cache
 * does not already vouch for, against the signer's key at the start of the block. */
static int mc_exec_prepass(mc_exec *x, mc_store_txn *txn, const mc_batch *b, mc_txwork *w)
{
    mc_verify_item *items = calloc(b->ntx ? 2 * (size_t)b->ntx : 1, sizeof *items);
    size_t *map = calloc(b->ntx ? 2 * (size_t)b->ntx : 1, sizeof *map); /* index, +ntx: inner signature */
    size_t nitems = 0;
    int rc = MC_OK;
    if (!items || !map) {
        rc = MC_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < b->ntx; i++) {
        w[i].decoded = mc_tx_decode(&w[i].tx, b->txs[i].p, b->txs[i].n) == MC_OK;
        if (!w[i].decoded) continue;
        mc_identity s;
        int r = mc_store_get_identity(txn, &w[i].tx.signer, &s);
        if (r == MC_ENOTFOUND) continue;
        if (r) {
            rc = r;
            goto out;
        }
        if (w[i].tx.kind == MC_TX_ACCESS_LOG || w[i].tx.kind == MC_TX_ACCESS_READS) {
            mc_exec_presig *ps = &w[i].presig;
            if ((rc = mc_exec_access_presig(txn, &x->info.chain, x->opts.sigcache, &w[i].tx, ps))) goto out;
            if (ps->checked && !ps->ok) {
                items[nitems] = (mc_verify_item){&ps->sig, &ps->pk, ps->digest.b, 32, 0};
                map[nitems++] = b->ntx + i;
            }
        }
        w[i].have_pk = 1;
        w[i].pk = s.sign_pk;
        if (x->opts.sigcache && mc_sigcache_has(x->opts.sigcache, &w[i].tx.id, &w[i].tx.sig, &s.sign_pk)) {
            w[i].sig_ok = 1;
            continue;
        }
        items[nitems] = (mc_verify_item){&w[i].tx.sig, &w[i].pk, w[i].tx.id.b, 32, 0};
        map[nitems++] = i;
    }
    mc_verify_many(items, nitems, x->opts.verify_threads);
    for (size_t k = 0; k < nitems; k++) {
        if (map[k] < b->ntx)
            w[map[k]].sig_ok = items[k].ok;
        else
            w[map[k] - b->ntx].presig.ok = items[k].ok;
    }
out:
    free(items);
    free(map);
    return rc;
}

typedef int (*mc_exec_rule)(const mc_exec_ctx *);

static mc_exec_rule mc_exec_rule_for(uint16_t kind)
{
    switch (kind) {
    case MC_TX_IDENTITY_REGISTER: return mc_exec_identity_register;
    case MC_TX_IDENTITY_ROTATE: return mc_exec_identity_rotate;
    case MC_TX_IDENTITY_REVOKE: return mc_exec_identity_revoke;
    case MC_TX_RECORD_ANCHOR: return mc_exec_record_anchor;
    case MC_TX_CONSENT_GRANT:
    case MC_TX_CONSENT_DENY: return mc_exec_consent_grant;
    case MC_TX_CONSENT_REVOKE: return mc_exec_consent_revoke;
    case MC_TX_CONSENT_DELEGATE: return mc_exec_consent_delegate;
    case MC_TX_ACCESS_EMERGENCY: return mc_exec_access_emergency;
    case MC_TX_ACCESS_LOG: return mc_exec_access_log;
    case MC_TX_ORG_PROPOSE: return mc_exec_org_propose;
    case MC_TX_ORG_APPROVE: return mc_exec_org_approve;
    case MC_TX_RESEARCH_RELEASE: return mc_exec_research_release;
    case MC_TX_ORG_GATEKEEPER: return mc_exec_org_gatekeeper;
    case MC_TX_ACCESS_READS: return mc_exec_access_reads;
    default: return NULL;
    }
}

/* Runs one transaction. Returns its result code (>= 0) or a negated store error. */
static int mc_exec_one(mc_exec *x, mc_store_txn *txn, mc_txwork *w, uint64_t height, uint64_t time_ms,
                       uint32_t index)
{
    if (!w->decoded) return MC_TXR_MALFORMED;
    const mc_tx *tx = &w->tx;
    if (memcmp(tx->chain.b, x->info.chain.b, 32) != 0) return MC_TXR_WRONG_CHAIN;
    mc_exec_rule rule = mc_exec_rule_for(tx->kind);
    if (!rule) return MC_TXR_UNKNOWN_KIND;
    mc_identity signer;
    int rc = mc_store_get_identity(txn, &tx->signer, &signer);
    if (rc == MC_ENOTFOUND) return MC_TXR_UNKNOWN_SIGNER;
    if (rc) return -rc;
    if (signer.status != MC_ID_ACTIVE) return MC_TXR_SIGNER_REVOKED;
    /* staff and nodes of a revoked org act no more (patients keep control of their consent) */
    int org_ok = mc_store_org_active(txn, &signer);
    if (org_ok < 0) return org_ok;
    if (!org_ok) return MC_TXR_SIGNER_REVOKED;
    /* the key may have changed earlier in this block (a rotation): then check again */
    int ok = w->have_pk && memcmp(w->pk.b, signer.sign_pk.b, 32) == 0
                 ? w->sig_ok
                 : mc_tx_verify(tx, &signer.sign_pk) == MC_OK;
    if (!ok) return MC_TXR_BAD_SIG;
    uint64_t last;
    if ((rc = mc_store_get_nonce(txn, &tx->signer, &last))) return -rc;
    if (tx->nonce <= last) return MC_TXR_BAD_NONCE;
    /* a signed, fresh transaction uses its nonce even if its rule refuses it, so the same
     * bytes can never be replayed into a later block */
    if ((rc = mc_store_put_nonce(txn, &tx->signer, tx->nonce))) return -rc;
    uint16_t nevents = 0;
    mc_exec_ctx c = {txn,     &x->info.chain, height,   time_ms,      tx,
                     &signer, index,          &nevents, x->threshold, &w->presig};
    return rule(&c);
}

static int mc_exec_skip(mc_exec *x, mc_store_txn *txn, const void *pos, size_t npos, mc_exec_result *res,
                        int reason)
{
    res->applied = 0;
    res->skip_reason = reason;
    int rc = mc_store_put_meta(txn, "opos", pos, npos);
    if (!rc)
        rc = mc_store_commit(txn);
    else
        mc_store_abort(txn);
    return rc;
}

int mc_exec_apply(mc_exec *x, const uint8_t *bytes, size_t n, const void *pos, size_t npos,
                  mc_exec_result *res)
{
    memset(res, 0, sizeof *res);
    if (!x->info.initialised) return MC_EINVAL;
    mc_store_txn *txn = NULL;
    mc_txwork *w = NULL;
    mc_batch b;
    mc_buf blk;
    mc_buf_init(&blk, MC_MAX_BATCH_BYTES + 65536 + 4 * MC_MAX_BATCH_TXS);
    int rc = mc_store_begin(x->st, 1, &txn);
    if (rc) return rc;

    if (mc_batch_decode(&b, bytes, n) != MC_OK) return mc_exec_skip(x, txn, pos, npos, res, MC_EINVAL);
    rc = mc_exec_check_batch(x, txn, &b);
    if (rc > 0) {
        mc_batch_clear(&b);
        return mc_exec_skip(x, txn, pos, npos, res, rc);
    }
    if (rc < 0) {
        rc = -rc;
        goto out;
    }

    uint64_t height = x->info.height + 1, time_ms;
    if ((rc = mc_exec_reserve(x, b.ntx ? b.ntx : 1))) goto out;
    if (!(w = calloc(b.ntx ? b.ntx : 1, sizeof *w))) {
        rc = MC_ENOMEM;
        goto out;
    }
    if ((rc = mc_exec_block_time(x, txn, &b, &time_ms))) goto out;
    if ((rc = mc_exec_prepass(x, txn, &b, w))) goto out;

    for (uint32_t i = 0; i < b.ntx; i++) {
        int code = mc_exec_one(x, txn, &w[i], height, time_ms, i);
        if (code < 0) {
            rc = -code;
            goto out;
        }
        x->results[i] = (uint16_t)code;
        if (w[i].decoded)
            x->txids[i] = w[i].tx.id;
        else /* undecodable bytes still get an id, so the block can name them */
            mc_tx_id_undecodable(&x->txids[i], b.txs[i].p, b.txs[i].n);
        /* the index names the first occurrence of an id, unless a later one is the one that
         * applied (a copy with broken signature bytes must not shadow the real transaction) */
        rc = code == MC_TXR_OK ? mc_store_put_txloc_over(txn, &x->txids[i], height, i)
                               : mc_store_put_txloc(txn, &x->txids[i], height, i);
        if (rc && rc != MC_EEXIST) goto out;
        mc_merkle_leaf_tx(&x->leaves[i], b.txs[i].p, b.txs[i].n);
    }

    if ((rc = mc_exec_expiry_notices(txn, height, b.ntx, x->info.time_ms, time_ms))) goto out;

    mc_header h = {.version = MC_FORMAT_VERSION,
                   .chain = x->info.chain,
                   .height = height,
                   .prev = x->info.tip,
                   .batch_hash = b.hash,
                   .proposer = b.proposer,
                   .time_ms = time_ms,
                   .ntx = b.ntx};
    mc_valset next; /* an admission in this block: the set changes from the next block on */
    if ((rc = mc_store_get_valset(txn, height + 1, &next))) goto out;
    mc_valset_hash(&h.validators, &x->vals);
    mc_valset_hash(&h.next_validators, &next);
    mc_merkle_root(&h.tx_root, x->leaves, b.ntx);
    for (uint32_t i = 0; i < b.ntx; i++) mc_merkle_leaf_result(&x->leaves[i], &x->txids[i], x->results[i]);
    mc_merkle_root(&h.result_root, x->leaves, b.ntx);
    if ((rc = mc_store_put_batch_seen(txn, &b.hash, height))) goto out;
    if ((rc = mc_store_state_digest(txn, &x->info.state_digest, height, &h.state_digest))) goto out;
    mc_hash hh;
    mc_header_hash(&hh, &h);
    if ((rc = mc_block_encode(&blk, &h, bytes, n, x->results, b.ntx))) goto out;
    if ((rc = mc_store_put_block(txn, height, blk.p, blk.n))) goto out;
    if ((rc = mc_exec_put_digest_meta(txn, time_ms, &h.state_digest))) goto out;
    if ((rc = mc_store_put_tip(txn, height, &hh))) goto out;
    if ((rc = mc_store_put_meta(txn, "opos", pos, npos))) goto out;
    if ((rc = mc_store_put_block_pos(txn, height, pos, npos))) goto out;
    if (x->opts.on_block && (rc = x->opts.on_block(x->opts.on_block_arg, txn, &h, &hh))) goto out;
    int changed = next.from_height == height + 1;
    rc = mc_store_commit(txn);
    txn = NULL;
    if (rc) goto out;
    if (changed) mc_exec_use_valset(x, &next);

    pthread_mutex_lock(&x->lock);
    x->info.height = height;
    x->info.tip = hh;
    x->info.time_ms = time_ms;
    x->info.state_digest = h.state_digest;
    x->info.txs += b.ntx;
    pthread_mutex_unlock(&x->lock);
    res->applied = 1;
    res->header = h;
    res->header_hash = hh;
    res->ntx = b.ntx;
    res->txids = x->txids;
    res->results = x->results;
out:
    mc_store_abort(txn);
    mc_batch_clear(&b);
    mc_buf_free(&blk);
    free(w);
    return rc;
}
