/* Internal to the store module. */
#ifndef MEDCHAIN_STORE_INTERNAL_H
#define MEDCHAIN_STORE_INTERNAL_H

#include <lmdb.h>

#include "medchain/store.h"

struct mc_store {
    MDB_env *env;
    MDB_dbi dbi[MC_T_COUNT_];
    int read_only;
};

/* One recorded state write: offsets into the transaction's write log. */
typedef struct {
    size_t koff, nkey, voff, nval;
    size_t seq; /* order of the write, so the last write to a key wins after sorting */
} mc_store_went;

struct mc_store_txn {
    mc_store *st;
    MDB_txn *t;
    int write;
    mc_buf wlog; /* keys and values of state writes, back to back */
    mc_store_went *wents;
    size_t nwents, capwents;
};

int mc_store_xlate(int mdb_rc);
int mc_store_log_write(mc_store_txn *txn, const void *key, size_t nkey, const void *val, size_t nval);
/* A (height, header hash) pair kept under @p key of @p table: the tip, the certified header. */
int mc_store_height_hash_get(mc_store_txn *txn, int table, const char *key, uint64_t *height, mc_hash *hash);
int mc_store_height_hash_put(mc_store_txn *txn, int table, const char *key, uint64_t height,
                             const mc_hash *hash);

#endif
