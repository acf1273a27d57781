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
    if (mc_exec_load_valset(x, txn, info.height + 1)) goto out;
    info.initialised = 1;
    rc = MC_OK;
out:
    free(gen);
    mc_store_abort(txn);
    if (!rc) x->info = info;
    return rc;
}

void mc_exec_use_valset(mc_exec *x, const mc_valset *v)
{
    pthread_mutex_lock(&x->lock);
    x->vals = *v;
    pthread_mutex_unlock(&x->lock);
    for (uint32_t i = 0; i < v->n; i++) mc_id_from_pk(&x->val_ids[i], &v->pks[i]);
}

int mc_exec_load_valset(mc_exec *x, mc_store_txn *txn, uint64_t height)
{
    mc_valset v;
    int rc = mc_store_get_valset(txn, height, &v);
    if (rc) return rc == MC_ENOTFOUND ? MC_ECORRUPT : rc;
    mc_exec_use_valset(x, &v);
    return MC_OK;
}

void mc_exec_get_valset(mc_exec *x, mc_valset *out)
{
    pthread_mutex_lock(&x->lock);
    *out = x->vals;
    pthread_mutex_unlock(&x->lock);
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
    mc_valset *vs = calloc(1, sizeof *vs);
    if (!vs) return MC_ENOMEM;
    vs->from_height = 1;
    for (uint32_t i = 0; i < g->nvalidators && !rc; i++) {
        rc = mc_exec_add_validator(txn, &g->validators[i].sign_pk, &g->validators[i].box_pk,
                                   &orgs[g->validators[i].org], 0, g->time_ms);
        vs->pks[vs->n++] = g->validators[i].sign_pk;
    }
    if (!rc) rc = mc_store_put_valset(txn, vs);
    free(vs);
    return rc;
}

int mc_exec_add_validator(mc_store_txn *txn, const mc_sign_pk *sign_pk, const mc_box_pk *box_pk,
                          const mc_id *org, uint64_t height, uint64_t time_ms)
{
    mc_identity idn;
    memset(&idn, 0, sizeof idn);
    mc_id_from_pk(&idn.id, sign_pk);
    idn.kind = MC_ID_NODE;
    idn.status = MC_ID_ACTIVE;
    idn.org = *org;
    idn.sign_pk = *sign_pk;
    idn.box_pk = *box_pk;
    idn.registered_at = height;
    idn.updated_at = height;
    idn.attrs.n = 1;
    strcpy(idn.attrs.a[0].key, "validator");
    strcpy(idn.attrs.a[0].val, "true");
    int rc = mc_store_put_identity(txn, &idn);
    return rc ? rc : mc_store_put_validator(txn, &idn.id, time_ms);
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
    mc_valset *vs = malloc(sizeof *vs);
    if (!vs) {
        rc = MC_ENOMEM;
        goto out;
    }
    rc = mc_store_get_valset(txn, 1, vs);
    if (!rc) mc_valset_hash(&h.validators, vs);
    h.next_validators = h.validators;
    free(vs);
    if (rc) goto out;
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
