/* The executor: genesis, and one block per ordered batch. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "exec_internal.h"

int mc_exec_open(mc_exec **pp, mc_store *st, const mc_exec_opts *opts)
{
    *pp = NULL;
    mc_exec *x = calloc(1, sizeof *x);
    if (!x) return MC_ENOMEM;
    x->st = st;
    if (opts) x->opts = *opts;
    pthread_mutex_init(&x->lock, NULL);
    int rc = mc_exec_load(x);
    if (rc) {
        mc_exec_free(x);
        return rc;
    }
    *pp = x;
    return MC_OK;
}

void mc_exec_free(mc_exec *x)
{
    if (!x) return;
    pthread_mutex_destroy(&x->lock);
    free(x->txids);
    free(x->results);
    free(x->leaves);
    free(x);
}

void mc_exec_get_info(mc_exec *x, mc_exec_info *info)
{
    pthread_mutex_lock(&x->lock);
    *info = x->info;
    pthread_mutex_unlock(&x->lock);
}

int mc_exec_load(mc_exec *x)
{
    mc_store_txn *txn;
    mc_slice g, d;
    mc_genesis *gen = NULL;
    int rc = mc_store_begin(x->st, 0, &txn);
    if (rc) return rc;
    mc_exec_info info = {0};
    rc = mc_store_get_tip(txn, &info.height, &info.tip);
    if (rc == MC_ENOTFOUND) { /* a new store: genesis not applied yet */
        rc = MC_OK;
        goto out;
    }
    if (rc) goto out;
    rc = MC_ECORRUPT;
    if (mc_store_get_meta(txn, "genesis", &g) || mc_store_get_meta(txn, "digest", &d) || d.n != 40) goto out;
    if (!(gen = malloc(sizeof *gen))) {
        rc = MC_ENOMEM;
        goto out;
    }
    if (mc_genesis_decode(gen, g.p, g.n)) goto out;
    mc_genesis_chain_id(&info.chain, g.p, g.n);
    info.time_ms = mc_get_u64be(d.p);
    memcpy(info.state_digest.b, d.p + 8, 32);
    x->threshold = gen->threshold;
    x->nvalidators = gen->nvalidators;
    for (uint32_t i = 0; i < gen->nvalidators; i++) {
        mc_id_from_pk(&x->validators[i], &gen->validators[i].sign_pk);
        x->val_pks[i] = gen->validators[i].sign_pk;
    }
    info.initialised = 1;
    rc = MC_OK;
out:
    free(gen);
    mc_store_abort(txn);
    if (!rc) x->info = info;
    return rc;
}

/* meta "digest": block time and state digest of the tip, so a restart needs no block decode */
int mc_exec_put_digest_meta(mc_store_txn *txn, uint64_t time_ms, const mc_hash *digest)
{
    uint8_t b[40];
    mc_put_u64be(b, time_ms);
    memcpy(b + 8, digest->b, 32);
    return mc_store_put_meta(txn, "digest", b, sizeof b);
}

void mc_exec_org_identity(mc_identity *idn, const mc_sign_pk *sign_pk, const mc_box_pk *box_pk,
                          const char *name, const char *type, uint64_t height)
{
    memset(idn, 0, sizeof *idn);
    mc_id_from_pk(&idn->id, sign_pk);
    idn->kind = MC_ID_ORG;
    idn->status = MC_ID_ACTIVE;
    idn->org = idn->id;
    idn->sign_pk = *sign_pk;
    idn->box_pk = *box_pk;
    idn->registered_at = height;
    idn->updated_at = height;
    idn->attrs.n = 2; /* sorted by key: name < type */
    strcpy(idn->attrs.a[0].key, "name");
    snprintf(idn->attrs.a[0].val, sizeof idn->attrs.a[0].val, "%s", name);
    strcpy(idn->attrs.a[1].key, "type");
    snprintf(idn->attrs.a[1].val, sizeof idn->attrs.a[1].val, "%s", type);
}

static int mc_exec_genesis_identities(mc_store_txn *txn, const mc_genesis *g)
{
    int rc = MC_OK;
    mc_identity idn;
    mc_id orgs[MC_MAX_ORGS] = {{{0}}};
    for (uint32_t i = 0; i < g->norgs && !rc; i++) {
        mc_exec_org_identity(&idn, &g->orgs[i].sign_pk, &g->orgs[i].box_pk, g->orgs[i].name, g->orgs[i].type,
                             0);
        orgs[i] = idn.id;
        rc = mc_store_put_identity(txn, &idn);
    }
    for (uint32_t i = 0; i < g->nvalidators && !rc; i++) {
        memset(&idn, 0, sizeof idn);
        mc_id_from_pk(&idn.id, &g->validators[i].sign_pk);
        idn.kind = MC_ID_NODE;
        idn.status = MC_ID_ACTIVE;
        idn.org = orgs[g->validators[i].org];
        idn.sign_pk = g->validators[i].sign_pk;
        idn.box_pk = g->validators[i].box_pk;
        idn.attrs.n = 1;
        strcpy(idn.attrs.a[0].key, "validator");
        strcpy(idn.attrs.a[0].val, "true");
        if (!(rc = mc_store_put_identity(txn, &idn))) rc = mc_store_put_validator(txn, &idn.id, g->time_ms);
    }
    return rc;
}

int mc_exec_genesis(mc_exec *x, const uint8_t *genesis, size_t n)
{
    mc_genesis *g = malloc(sizeof *g);
    mc_store_txn *txn = NULL;
    mc_buf blk;
    mc_buf_init(&blk, MC_MAX_BATCH_BYTES + 4096);
    int rc = MC_ENOMEM;
    if (!g) goto out;
    if ((rc = mc_genesis_decode(g, genesis, n))) {
        rc = MC_EINVAL;
        goto out;
    }
    mc_hash chain;
    mc_genesis_chain_id(&chain, genesis, n);
    if (x->info.initialised) { /* an existing chain: it must be this genesis */
        rc = memcmp(chain.b, x->info.chain.b, 32) == 0 ? MC_OK : MC_EINVAL;
        goto out;
    }
    if ((rc = mc_store_begin(x->st, 1, &txn))) goto out;
    if ((rc = mc_exec_genesis_identities(txn, g))) goto out;
    mc_header h = {.version = MC_FORMAT_VERSION,
                   .chain = chain,
                   .height = 0,
                   .batch_hash = chain,
                   .time_ms = g->time_ms,
                   .ntx = 0};
    mc_merkle_root(&h.tx_root, NULL, 0);
    mc_merkle_root(&h.result_root, NULL, 0);
    mc_hash zero = {{0}};
    if ((rc = mc_store_state_digest(txn, &zero, 0, &h.state_digest))) goto out;
    mc_hash hh;
    mc_header_hash(&hh, &h);
    if ((rc = mc_block_encode(&blk, &h, genesis, n, NULL, 0))) goto out;
    if ((rc = mc_store_put_block(txn, 0, blk.p, blk.n))) goto out;
    if ((rc = mc_store_put_meta(txn, "genesis", genesis, n))) goto out;
    if ((rc = mc_exec_put_digest_meta(txn, h.time_ms, &h.state_digest))) goto out;
    if ((rc = mc_store_put_tip(txn, 0, &hh))) goto out;
    rc = mc_store_commit(txn);
    txn = NULL;
    if (!rc) rc = mc_exec_load(x);
out:
    mc_store_abort(txn);
    mc_buf_free(&blk);
    free(g);
    return rc;
}
