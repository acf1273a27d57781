/* The LMDB environment, transactions, raw get/put and iteration. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_internal.h"

static const char *mc_table_names[MC_T_COUNT_] = {"meta",   "blocks", "txidx", "state",
                                                  "events", "attest", "bpos"};

int mc_store_xlate(int mdb_rc)
{
    switch (mdb_rc) {
    case MDB_SUCCESS: return MC_OK;
    case MDB_NOTFOUND: return MC_ENOTFOUND;
    case MDB_KEYEXIST: return MC_EEXIST;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case MDB_BAD_VALSIZE: return MC_ETOOBIG;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH: return MC_ECORRUPT;
    case MDB_READERS_FULL: return MC_EAGAIN;
    case ENOMEM: return MC_ENOMEM;
    case ENOENT: return MC_ENOTFOUND;
    case EINVAL: return MC_EINVAL;
    default: return MC_EIO;
    }
}

int mc_store_open(mc_store **pp, const char *dir, const mc_store_opts *opts)
{
    mc_store_opts def = {0};
    if (!opts) opts = &def;
    *pp = NULL;
    struct stat sb;
    if (opts->read_only && stat(dir, &sb) != 0) return MC_ENOTFOUND;
    if (!opts->read_only && mc_dir_make(dir) != MC_OK) return MC_EIO;

    mc_store *st = calloc(1, sizeof *st);
    if (!st) return MC_ENOMEM;
    st->read_only = opts->read_only;
    int rc = mc_store_xlate(mdb_env_create(&st->env));
    if (rc) goto fail;
    mdb_env_set_maxdbs(st->env, MC_T_COUNT_ + 2);
    mdb_env_set_maxreaders(st->env, 1024);
    /* LMDB only reserves address space; the environment variable exists for tools with a
     * small address space (valgrind) */
    uint64_t map = opts->map_size;
    const char *env = getenv("MEDCHAIN_MAP_SIZE");
    if (!map && env && mc_parse_u64(env, &map) != MC_OK) map = 0;
    if (!map) map = 64ull << 30;
    if ((rc = mc_store_xlate(mdb_env_set_mapsize(st->env, (size_t)map)))) goto fail;
    /*
     * NOMETASYNC: the meta page is not synced on its own; an operating-system crash may undo
     * the last block, which the node then applies again from the orderer's log (the point at
     * which a transaction is acknowledged). Atomicity and consistency are unaffected.
     */
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
    if (opts->read_only)
        flags |= MDB_RDONLY;
    else
        flags |= MDB_NOMETASYNC;
    /* scratch stores: pages written in place and never synced (WRITEMAP would msync the
     * whole map at each commit if syncing were on) */
    if (opts->no_sync) flags |= MDB_NOSYNC | MDB_WRITEMAP | MDB_MAPASYNC;
    if ((rc = mc_store_xlate(mdb_env_open(st->env, dir, flags, 0600)))) goto fail;

    MDB_txn *t;
    if ((rc = mc_store_xlate(mdb_txn_begin(st->env, NULL, opts->read_only ? MDB_RDONLY : 0, &t)))) goto fail;
    for (int i = 0; i < MC_T_COUNT_; i++) {
        rc =
            mc_store_xlate(mdb_dbi_open(t, mc_table_names[i], opts->read_only ? 0 : MDB_CREATE, &st->dbi[i]));
        if (rc) {
            mdb_txn_abort(t);
            if (rc == MC_ENOTFOUND) rc = MC_ECORRUPT; /* a store missing a table */
            goto fail;
        }
    }
    if ((rc = mc_store_xlate(mdb_txn_commit(t)))) goto fail;
    *pp = st;
    return MC_OK;
fail:
    if (st->env) mdb_env_close(st->env);
    free(st);
    return rc;
}

uint64_t mc_store_used_bytes(mc_store *st)
{
    MDB_envinfo info;
    MDB_stat stat;
    if (mdb_env_info(st->env, &info) || mdb_env_stat(st->env, &stat)) return 0;
    return ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
}

void mc_store_close(mc_store *st)
{
    if (!st) return;
    mdb_env_close(st->env);
    free(st);
}

int mc_store_begin(mc_store *st, int write, mc_store_txn **ptxn)
{
    *ptxn = NULL;
    if (write && st->read_only) return MC_EINVAL;
    mc_store_txn *txn = calloc(1, sizeof *txn);
    if (!txn) return MC_ENOMEM;
    txn->st = st;
    txn->write = write;
    int rc = mc_store_xlate(mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &txn->t));
    if (rc) {
        free(txn);
        return rc;
    }
    if (write) mc_buf_init(&txn->wlog, (size_t)1 << 31);
    *ptxn = txn;
    return MC_OK;
}

static void mc_store_txn_free(mc_store_txn *txn)
{
    mc_buf_free(&txn->wlog);
    free(txn->wents);
    free(txn);
}

int mc_store_commit(mc_store_txn *txn)
{
    int rc = mc_store_xlate(mdb_txn_commit(txn->t));
    mc_store_txn_free(txn);
    return rc;
}

void mc_store_abort(mc_store_txn *txn)
{
    if (!txn) return;
    mdb_txn_abort(txn->t);
    mc_store_txn_free(txn);
}

int mc_store_get(mc_store_txn *txn, int table, const void *key, size_t nkey, mc_slice *val)
{
    val->p = NULL;
    val->n = 0;
    if (table < 0 || table >= MC_T_COUNT_ || nkey == 0 || nkey > 511) return MC_EINVAL;
    MDB_val k = {nkey, (void *)key}, v;
    int rc = mc_store_xlate(mdb_get(txn->t, txn->st->dbi[table], &k, &v));
    if (rc) return rc;
    val->p = v.mv_data;
    val->n = v.mv_size;
    return MC_OK;
}

static int mc_store_put_flags(mc_store_txn *txn, int table, const void *key, size_t nkey, const void *val,
                              size_t nval, unsigned flags)
{
    if (!txn->write || table < 0 || table >= MC_T_COUNT_ || nkey == 0 || nkey > 511) return MC_EINVAL;
    MDB_val k = {nkey, (void *)key}, v = {nval, (void *)val};
    int rc = mc_store_xlate(mdb_put(txn->t, txn->st->dbi[table], &k, &v, flags));
    if (rc) return rc;
    if (table == MC_T_STATE) rc = mc_store_log_write(txn, key, nkey, val, nval);
    return rc;
}

int mc_store_put(mc_store_txn *txn, int table, const void *key, size_t nkey, const void *val, size_t nval)
{
    return mc_store_put_flags(txn, table, key, nkey, val, nval, 0);
}

int mc_store_put_new(mc_store_txn *txn, int table, const void *key, size_t nkey, const void *val, size_t nval)
{
    return mc_store_put_flags(txn, table, key, nkey, val, nval, MDB_NOOVERWRITE);
}

struct mc_store_iter {
    MDB_cursor *c;
    int started;
    MDB_val from;
};

int mc_store_iter_new(mc_store_txn *txn, int table, const void *from, size_t nfrom, mc_store_iter **pit)
{
    *pit = NULL;
    if (table < 0 || table >= MC_T_COUNT_) return MC_EINVAL;
    mc_store_iter *it = calloc(1, sizeof *it);
    if (!it) return MC_ENOMEM;
    int rc = mc_store_xlate(mdb_cursor_open(txn->t, txn->st->dbi[table], &it->c));
    if (rc) {
        free(it);
        return rc;
    }
    it->from.mv_data = (void *)from;
    it->from.mv_size = from ? nfrom : 0;
    *pit = it;
    return MC_OK;
}

int mc_store_iter_next(mc_store_iter *it, mc_slice *key, mc_slice *val)
{
    MDB_val k = it->from, v;
    int op = it->started ? MDB_NEXT : (it->from.mv_size ? MDB_SET_RANGE : MDB_FIRST);
    it->started = 1;
    int rc = mc_store_xlate(mdb_cursor_get(it->c, &k, &v, (MDB_cursor_op)op));
    if (rc) return rc;
    key->p = k.mv_data;
    key->n = k.mv_size;
    val->p = v.mv_data;
    val->n = v.mv_size;
    return MC_OK;
}

void mc_store_iter_free(mc_store_iter *it)
{
    if (!it) return;
    mdb_cursor_close(it->c);
    free(it);
}
