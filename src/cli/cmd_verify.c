/* medchain verify: a node's whole chain re-checked offline from genesis, and its stored ciphertext
 * (medchain proof verify is in cmd_proof.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "medchain/exec.h"
#include "medchain/orderer.h"
#include "medchain/store.h"

/* Every block's batch must be in the orderer log, in order (skipped batches are passed over).
 * Returns 1 when it checked, 0 when the data dir has no solo log: a node ordered by etcd keeps
 * its order there, which an offline check cannot read (the blocks' own batches were replayed). */
static int mc_check_log(const char *data_dir, mc_store *st, mc_verify_report *r)
{
    char dir[PATH_MAX];
    struct stat sb;
    snprintf(dir, sizeof dir, "%s/orderer", data_dir);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return 0;
    mc_store_txn *txn;
    uint64_t tip, off = 0, next;
    mc_hash tiph;
    mc_buf b;
    mc_buf_init(&b, MC_MAX_BATCH_BYTES);
    if (mc_store_begin(st, 0, &txn)) return 1;
    int rc = mc_store_get_tip(txn, &tip, &tiph);
    for (uint64_t h = 1; !rc && h <= tip && r->ok; h++) {
        mc_slice raw;
        mc_block blk;
        if (mc_store_get_block(txn, h, &raw) || mc_block_decode(&blk, raw.p, raw.n))
            break; /* replay named it */
        for (;;) {
            int lrc = mc_orderer_solo_read(dir, off, &b, &next);
            if (lrc) {
                r->ok = 0;
                r->bad_height = h;
                snprintf(r->what, sizeof r->what,
                         lrc == MC_ECORRUPT ? "orderer log: record at offset %llu is damaged (checksum)"
                                            : "orderer log: the batch of block %llu is missing",
                         lrc == MC_ECORRUPT ? (unsigned long long)off : (unsigned long long)h);
                break;
            }
            off = next;
            mc_batch bt;
            int match =
                mc_batch_decode(&bt, b.p, b.n) == MC_OK && !memcmp(bt.hash.b, blk.header.batch_hash.b, 32);
            mc_batch_clear(&bt);
            if (match) break;
        }
    }
    mc_store_abort(txn);
    mc_buf_free(&b);
    return 1;
}

/* The blob check (DESIGN.md section 5): each record whose ciphertext the data dir keeps. */
typedef struct {
    mc_blob_store *bs;
    mc_verify_report *r;
    uint64_t checked;
} mc_blob_walk;

static int mc_check_blob(void *arg, mc_slice key, mc_slice val)
{
    mc_blob_walk *w = arg;
    mc_record rec;
    char id[65], path[PATH_MAX];
    (void)key;
    if (mc_record_decode(&rec, val.p, val.n)) return 0; /* the replay compared the state already */
    int rc = mc_store_blob_check(w->bs, &rec.cipher_hash);
    if (rc == MC_ENOTFOUND) return 0; /* not uploaded here (or held by another custodian) */
    if (rc == MC_OK) {
        w->checked++;
        return 0;
    }
    mc_hex_encode(id, rec.id.b, 32);
    if (mc_store_blob_path(w->bs, &rec.cipher_hash, path, sizeof path)) path[0] = 0;
    w->r->ok = 0;
    w->r->bad_height = UINT64_MAX;
    snprintf(w->r->what, sizeof w->r->what, "record %s: stored ciphertext %s %s", id, path,
             rc == MC_ECORRUPT ? "does not hash to the anchor's cipher_hash" : "cannot be read");
    return -1; /* the first damage is named */
}

/* Every record in the state whose ciphertext is in DATA/blobs must hash to its anchor. */
static uint64_t mc_check_blobs(const char *data_dir, mc_store *st, mc_verify_report *r)
{
    char dir[PATH_MAX];
    mc_blob_walk w = {.r = r};
    mc_blob_opts bo = {.read_only = 1, .max_bytes = UINT64_MAX};
    mc_store_txn *txn;
    mc_skey prefix;
    snprintf(dir, sizeof dir, "%s/blobs", data_dir);
    if (mc_store_blob_open(&w.bs, dir, &bo)) return 0;
    if (mc_store_begin(st, 0, &txn) == MC_OK) {
        mc_skey_make(&prefix, MC_SK_RECORD, NULL, 0, NULL, 0, NULL, 0);
        int rc = mc_store_scan(txn, &prefix, NULL, mc_check_blob, &w);
        if (rc > 0 && r->ok) {
            r->ok = 0;
            r->bad_height = UINT64_MAX;
            snprintf(r->what, sizeof r->what, "the records in the state cannot be read (%s)",
                     mc_strerror(rc));
        }
        mc_store_abort(txn);
    }
    mc_store_blob_close(w.bs);
    return w.checked;
}

int mc_cmd_verify(int argc, char **argv)
{
    const char *dir = NULL;
    unsigned threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data-dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else
            return mc_cli_fail("usage: medchain verify --data-dir DIR [--threads N]");
    }
    if (!dir) return mc_cli_fail("usage: medchain verify --data-dir DIR");
    char path[PATH_MAX], scratch[] = "/tmp/medchain-verify-XXXXXX";
    snprintf(path, sizeof path, "%s/store", dir);
    mc_store *st;
    mc_store_opts so = {.read_only = 1};
    int rc = mc_store_open(&st, path, &so);
    if (rc) return mc_cli_fail("cannot open the store in %s: %s", path, mc_strerror(rc));
    if (!mkdtemp(scratch)) {
        mc_store_close(st);
        return mc_cli_fail("cannot make a scratch directory");
    }
    uint64_t t0 = mc_time_mono_ns();
    mc_verify_report r;
    rc = mc_exec_verify(st, scratch, threads, &r);
    uint64_t nblobs = 0;
    int logged = 1;
    if (!rc && r.ok) logged = mc_check_log(dir, st, &r);
    if (!rc && r.ok) nblobs = mc_check_blobs(dir, st, &r);
    double secs = (mc_time_mono_ns() - t0) / 1e9;
    mc_store_close(st);
    snprintf(path, sizeof path, "%s/data.mdb", scratch);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", scratch);
    unlink(path);
    rmdir(scratch);
    if (rc) return mc_cli_fail("verification could not run: %s", mc_strerror(rc));
    if (!r.ok) {
        printf("DAMAGED: %s\n", r.what);
        return 1;
    }
    printf("OK: %llu blocks and %llu transactions verified from genesis in %.2f s (%.0f tx/s); %llu stored "
           "ciphertexts match their anchors%s\n",
           (unsigned long long)r.blocks, (unsigned long long)r.txs, secs, secs > 0 ? r.txs / secs : 0.0,
           (unsigned long long)nblobs,
           logged ? ""
                  : "; no local orderer log (ordered by etcd): the order itself was not checked offline");
    return 0;
}
