/*
 * Offline verification: replay the chain from genesis into a scratch store and compare.
 *
 * Signature checks dominate the cost, so worker threads run ahead of the replay: they verify
 * each transaction against its signer's key in the source's state and record successes in a
 * signature cache. The replay's own pre-pass then finds them there; a signature checked
 * against a key that was since rotated simply misses and is verified again. The cache holds
 * only verified (message, key) pairs, so the shortcut can never pass a bad signature.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec_internal.h"

#define MC_VERIFY_AHEAD 256 /* blocks the workers may run ahead of the replay */

typedef struct {
    mc_store *src;
    mc_sigcache *cache;
    uint64_t tip;
    atomic_uint_fast64_t next;     /* next height for a worker */
    atomic_uint_fast64_t replayed; /* height the replay has reached */
    atomic_int stop;
    pthread_mutex_t lock; /* workers ahead of the replay sleep on progress */
    pthread_cond_t progress;
} mc_verify_shared;

static void mc_verify_advance(mc_verify_shared *v, uint64_t h, int stop)
{
    pthread_mutex_lock(&v->lock);
    atomic_store(&v->replayed, h);
    if (stop) atomic_store(&v->stop, 1);
    pthread_cond_broadcast(&v->progress);
    pthread_mutex_unlock(&v->lock);
}

static void mc_warm_block(mc_verify_shared *v, mc_store_txn *txn, uint64_t h)
{
    mc_slice raw;
    mc_block blk;
    mc_batch b;
    if (mc_store_get_block(txn, h, &raw) || mc_block_decode(&blk, raw.p, raw.n)) return;
    if (mc_batch_decode(&b, blk.batch.p, blk.batch.n)) return;
    for (uint32_t i = 0; i < b.ntx; i++) {
        mc_tx tx;
        mc_identity s;
        if (mc_tx_decode(&tx, b.txs[i].p, b.txs[i].n)) continue;
        if (mc_store_get_identity(txn, &tx.signer, &s)) continue;
        if (mc_tx_verify(&tx, &s.sign_pk) == MC_OK) mc_sigcache_add(v->cache, &tx.id, &tx.sig, &s.sign_pk);
    }
    mc_batch_clear(&b);
}

static void *mc_verify_worker(void *arg)
{
    mc_verify_shared *v = arg;
    mc_store_txn *txn;
    if (mc_store_begin(v->src, 0, &txn)) return NULL;
    for (;;) {
        uint64_t h = atomic_fetch_add(&v->next, 1);
        if (h > v->tip || atomic_load(&v->stop)) break;
        pthread_mutex_lock(&v->lock);
        while (h > atomic_load(&v->replayed) + MC_VERIFY_AHEAD && !atomic_load(&v->stop))
            pthread_cond_wait(&v->progress, &v->lock);
        pthread_mutex_unlock(&v->lock);
        mc_warm_block(v, txn, h);
    }
    mc_store_abort(txn);
    return NULL;
}

static void mc_report(mc_verify_report *r, uint64_t height, const char *fmt, ...) MC_PRINTF(3, 4);
static void mc_report(mc_verify_report *r, uint64_t height, const char *fmt, ...)
{
    if (!r->ok) return; /* keep the first */
    r->ok = 0;
    r->bad_height = height;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->what, sizeof r->what, fmt, ap);
    va_end(ap);
}

/* Names the first difference between a stored block and its replay. */
static void mc_diagnose(mc_verify_report *r, uint64_t h, const mc_block *want, const mc_block *got,
                        const mc_exec_result *res)
{
    const mc_header *a = &want->header, *b = &got->header;
    char id[65];
    if (a->ntx != b->ntx) {
        mc_report(r, h, "block %llu: header says %u transactions, batch holds %u", (unsigned long long)h,
                  a->ntx, b->ntx);
        return;
    }
    for (uint32_t i = 0; i < a->ntx; i++) {
        uint16_t ca = mc_block_result(want, i), cb = mc_block_result(got, i);
        if (ca != cb) {
            mc_hex_encode(id, res->txids[i].b, 32);
            mc_report(r, h, "block %llu, transaction %u (%s): stored result %s, replay gives %s",
                      (unsigned long long)h, i, id, mc_txr_name(ca), mc_txr_name(cb));
            return;
        }
    }
    if (memcmp(a->tx_root.b, b->tx_root.b, 32))
        mc_report(r, h, "block %llu: transactions do not match the header's tx root", (unsigned long long)h);
    else if (memcmp(a->batch_hash.b, b->batch_hash.b, 32))
        mc_report(r, h, "block %llu: batch does not match the header's batch hash", (unsigned long long)h);
    else if (memcmp(a->result_root.b, b->result_root.b, 32))
        mc_report(r, h, "block %llu: results do not match the header's result root", (unsigned long long)h);
    else if (memcmp(a->state_digest.b, b->state_digest.b, 32))
        mc_report(r, h, "block %llu: state digest differs from the replay", (unsigned long long)h);
    else if (a->time_ms != b->time_ms)
        mc_report(r, h, "block %llu: block time differs from the replay", (unsigned long long)h);
    else if (memcmp(a->validators.b, b->validators.b, 32) ||
             memcmp(a->next_validators.b, b->next_validators.b, 32))
        mc_report(r, h, "block %llu: validator set differs from the replay", (unsigned long long)h);
    else
        mc_report(r, h, "block %llu: stored bytes differ from the replay", (unsigned long long)h);
}

/* Compares one table of the source with the replay's, key by key. */
static int mc_compare_table(mc_store_txn *a, mc_store_txn *b, int table, const char *name,
                            mc_verify_report *r)
{
    mc_store_iter *ia = NULL, *ib = NULL;
    int rc = mc_store_iter_new(a, table, NULL, 0, &ia);
    if (!rc) rc = mc_store_iter_new(b, table, NULL, 0, &ib);
    if (rc) goto out;
    for (;;) {
        mc_slice ka, va, kb, vb;
        int ra = mc_store_iter_next(ia, &ka, &va), rb = mc_store_iter_next(ib, &kb, &vb);
        /* the orderer position is not replayed: it is the source's own */
        while (ra == MC_OK && table == MC_T_META && ka.n == 4 && memcmp(ka.p, "opos", 4) == 0)
            ra = mc_store_iter_next(ia, &ka, &va);
        while (rb == MC_OK && table == MC_T_META && kb.n == 4 && memcmp(kb.p, "opos", 4) == 0)
            rb = mc_store_iter_next(ib, &kb, &vb);
        if (ra == MC_ENOTFOUND && rb == MC_ENOTFOUND) break;
        if ((ra && ra != MC_ENOTFOUND) || (rb && rb != MC_ENOTFOUND)) {
            mc_report(r, UINT64_MAX, "%s table: unreadable (%s)", name, mc_strerror(ra ? ra : rb));
            break;
        }
        const mc_slice *k = ra == MC_OK ? &ka : &kb;
        char hex[2 * 33 + 1];
        size_t kn = k->n > 33 ? 33 : k->n;
        mc_hex_encode(hex, k->p, kn);
        if (ra != MC_OK || rb != MC_OK || ka.n != kb.n || memcmp(ka.p, kb.p, ka.n)) {
            mc_report(r, UINT64_MAX, "%s table: key %s is %s", name, hex,
                      ra != MC_OK ? "missing from the store" : "not produced by the replay");
            break;
        }
        if (va.n != vb.n || memcmp(va.p, vb.p, va.n)) {
            mc_report(r, UINT64_MAX, "%s table: value of key %s differs from the replay", name, hex);
            break;
        }
    }
out:
    mc_store_iter_free(ia);
    mc_store_iter_free(ib);
    return rc;
}

static int mc_replay(mc_verify_shared *v, mc_store_txn *src, mc_exec *x, mc_store *scratch,
                     mc_verify_report *r)
{
    mc_slice opos = {(const uint8_t *)"", 0}, raw, mine;
    mc_hash prev;
    int rc = mc_store_get_meta(src, "opos", &opos);
    if (rc && rc != MC_ENOTFOUND) return rc;
    if (mc_store_get_block(src, 0, &raw)) {
        mc_report(r, 0, "block 0 (genesis) is missing");
        return MC_OK;
    }
    mc_block blk, got;
    if (mc_block_decode(&blk, raw.p, raw.n)) {
        mc_report(r, 0, "block 0 (genesis) does not decode");
        return MC_OK;
    }
    if (mc_exec_genesis(x, blk.batch.p, blk.batch.n)) {
        mc_report(r, 0, "block 0: the genesis config does not decode");
        return MC_OK;
    }
    mc_store_txn *st;
    if ((rc = mc_store_begin(scratch, 0, &st))) return rc;
    rc = mc_store_get_block(st, 0, &mine);
    if (!rc && (mine.n != raw.n || memcmp(mine.p, raw.p, raw.n)))
        mc_report(r, 0, "block 0 (genesis) differs from the block its config produces");
    mc_store_abort(st);
    if (rc || !r->ok) return rc;
    mc_header_hash(&prev, &blk.header);
    r->blocks = 1;

    for (uint64_t h = 1; h <= v->tip; h++) {
        if (h % 64 == 0) mc_verify_advance(v, h, 0);
        if (mc_store_get_block(src, h, &raw)) {
            mc_report(r, h, "block %llu is missing", (unsigned long long)h);
            break;
        }
        if (mc_block_decode(&blk, raw.p, raw.n)) {
            mc_report(r, h, "block %llu does not decode", (unsigned long long)h);
            break;
        }
        if (blk.header.height != h || memcmp(blk.header.prev.b, prev.b, 32)) {
            mc_report(r, h, "block %llu: does not link to block %llu (height or previous hash)",
                      (unsigned long long)h, (unsigned long long)h - 1);
            break;
        }
        mc_exec_result res;
        if ((rc = mc_exec_apply(x, blk.batch.p, blk.batch.n, opos.p, opos.n, &res))) return rc;
        if (!res.applied) {
            mc_report(r, h, "block %llu: its batch is not valid (%s)", (unsigned long long)h,
                      res.skip_reason == MC_EBADSIG ? "proposer signature does not verify"
                                                    : mc_strerror(res.skip_reason));
            break;
        }
        if ((rc = mc_store_begin(scratch, 0, &st))) return rc;
        rc = mc_store_get_block(st, h, &mine);
        if (!rc && (mine.n != raw.n || memcmp(mine.p, raw.p, raw.n))) {
            if (mc_block_decode(&got, mine.p, mine.n) == MC_OK)
                mc_diagnose(r, h, &blk, &got, &res);
            else
                mc_report(r, h, "block %llu: stored bytes differ from the replay", (unsigned long long)h);
        }
        mc_store_abort(st);
        if (rc || !r->ok) break;
        prev = res.header_hash;
        r->blocks++;
        r->txs += res.ntx;
    }
    return rc;
}

int mc_exec_verify(mc_store *src, const char *scratch_dir, unsigned threads, mc_verify_report *r)
{
    memset(r, 0, sizeof *r);
    r->ok = 1;
    mc_store *scratch = NULL;
    mc_store_txn *stx = NULL, *sctx = NULL;
    mc_exec *x = NULL;
    pthread_t th[16];
    unsigned nth = 0;
    mc_hash tiphash;
    mc_verify_shared v = {.src = src};
    pthread_mutex_init(&v.lock, NULL);
    pthread_cond_init(&v.progress, NULL);
    int rc = mc_sigcache_new(&v.cache, 1u << 20);
    if (rc) {
        pthread_cond_destroy(&v.progress);
        pthread_mutex_destroy(&v.lock);
        return rc;
    }
    if ((rc = mc_store_begin(src, 0, &stx))) goto out;
    rc = mc_store_get_tip(stx, &v.tip, &tiphash);
    if (rc) {
        mc_report(r, 0, rc == MC_ENOTFOUND ? "the store holds no chain" : "the tip record is unreadable");
        rc = MC_OK;
        goto out;
    }
    /* the replay writes what the source holds, and a little more (free pages differ) */
    mc_store_opts so = {.no_sync = 1, .map_size = 2 * mc_store_used_bytes(src) + (256ull << 20)};
    if ((rc = mc_store_open(&scratch, scratch_dir, &so))) goto out;
    mc_exec_opts xo = {.sigcache = v.cache, .verify_threads = 1};
    if ((rc = mc_exec_open(&x, scratch, &xo))) goto out;

    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (unsigned)cpus : 1;
    }
    atomic_init(&v.next, 1);
    atomic_init(&v.replayed, 0);
    atomic_init(&v.stop, 0);
    for (unsigned i = 0; i < threads && i < 16; i++)
        if (pthread_create(&th[nth], NULL, mc_verify_worker, &v) == 0) nth++;

    rc = mc_replay(&v, stx, x, scratch, r);
    mc_verify_advance(&v, v.tip, 1);
    for (unsigned i = 0; i < nth; i++) pthread_join(th[i], NULL);
    nth = 0;
    if (rc || !r->ok) goto out;

    mc_exec_info info;
    mc_exec_get_info(x, &info);
    if (memcmp(info.tip.b, tiphash.b, 32)) {
        mc_report(r, v.tip, "the tip record does not match block %llu", (unsigned long long)v.tip);
        goto out;
    }
    if ((rc = mc_store_begin(scratch, 0, &sctx))) goto out;
    static const struct {
        int table;
        const char *name;
    } tables[] = {{MC_T_STATE, "state"},
                  {MC_T_TXIDX, "transaction index"},
                  {MC_T_META, "meta"},
                  {MC_T_BLOCKS, "blocks"},
                  {MC_T_EVENTS, "events"}};
    for (size_t i = 0; i < MC_ARRAY_LEN(tables) && r->ok && !rc; i++)
        rc = mc_compare_table(stx, sctx, tables[i].table, tables[i].name, r);
out:
    mc_verify_advance(&v, v.tip, 1);
    for (unsigned i = 0; i < nth; i++) pthread_join(th[i], NULL);
    pthread_cond_destroy(&v.progress);
    pthread_mutex_destroy(&v.lock);
    mc_store_abort(sctx);
    mc_store_abort(stx);
    mc_exec_free(x);
    mc_store_close(scratch);
    mc_sigcache_free(v.cache);
    return rc;
}
