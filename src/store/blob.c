/*
 * The blob store: record ciphertext in files named by their SHA-256 (DESIGN.md section 5).
 *
 * <dir>/ab/cdef...: the address's first byte as two hex digits names a fan-out directory (at
 * most 256 of them), the other 62 digits the file. A put never overwrites a file in place: the
 * bytes go to a temporary file in the same directory (".tmp-XXXXXX", made by mkostemp, so two
 * writers never share one), which is fsynced and renamed over the final name, and then the
 * directory is fsynced so the rename survives a crash. A crash therefore leaves either the
 * whole blob or none of it, plus at most a temporary file that nothing ever reads. A batch of
 * MC_BLOB_BATCH blobs or more (an ingest's upload) does the same with the file system synced
 * once before the renames and once after (syncfs), instead of an fsync per file and directory.
 *
 * A get trusts nothing on disk: it hashes what it read and refuses (MC_ECORRUPT) bytes whose
 * hash is not their name. Blob files are created 0600: they are ciphertext, but still the
 * node's alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medchain/crypto.h"
#include "medchain/store.h"

#define MC_BLOB_DEFAULT_MAX (16ull << 20)
#define MC_BLOB_BATCH       8 /* from this many blobs, one file-system sync instead of an fsync each */
#define MC_BLOB_DIR_MAX     (PATH_MAX - 80) /* room for "/ab/", 62 hex digits, a temporary suffix */

struct mc_blob_store {
    char dir[MC_BLOB_DIR_MAX];
    uint64_t max_bytes;
    int read_only;
};

int mc_store_blob_open(mc_blob_store **pp, const char *dir, const mc_blob_opts *opts)
{
    *pp = NULL;
    if (!dir || !*dir) return MC_EINVAL;
    mc_blob_store *bs = calloc(1, sizeof *bs);
    if (!bs) return MC_ENOMEM;
    if (snprintf(bs->dir, sizeof bs->dir, "%s", dir) >= (int)sizeof bs->dir) {
        free(bs);
        return MC_EINVAL;
    }
    bs->max_bytes = opts && opts->max_bytes ? opts->max_bytes : MC_BLOB_DEFAULT_MAX;
    bs->read_only = opts ? opts->read_only : 0;
    /* a read-only store over a directory that does not exist is empty, not an error: a node
     * that never received ciphertext has none */
    if (!bs->read_only && mc_dir_make(bs->dir) != MC_OK) {
        free(bs);
        return MC_EIO;
    }
    *pp = bs;
    return MC_OK;
}

void mc_store_blob_close(mc_blob_store *bs)
{
    free(bs);
}

uint64_t mc_store_blob_max(const mc_blob_store *bs)
{
    return bs->max_bytes;
}

int mc_store_blob_path(const mc_blob_store *bs, const mc_hash *addr, char *out, size_t cap)
{
    char hex[65];
    mc_hex_encode(hex, addr->b, 32);
    int w = snprintf(out, cap, "%s/%.2s/%s", bs->dir, hex, hex + 2);
    if (w < 0 || (size_t)w >= cap) {
        if (cap) out[0] = 0;
        return MC_EINVAL;
    }
    return MC_OK;
}

/* The fan-out directory of @p addr. */
static void mc_blob_dir(const mc_blob_store *bs, const mc_hash *addr, char *out, size_t cap)
{
    char hex[3];
    mc_hex_encode(hex, addr->b, 1);
    snprintf(out, cap, "%s/%s", bs->dir, hex);
}

static int mc_blob_errno(void)
{
    return errno == ENOENT || errno == ENOTDIR ? MC_ENOTFOUND : MC_EIO;
}

/* Reads all of @p fd, @p size bytes expected, into @p out (appending) if not NULL, and hashes it.
 * @return MC_OK, MC_ECORRUPT (the file changed length under us), MC_EIO, MC_ENOMEM, MC_ETOOBIG. */
static int mc_blob_read_fd(int fd, uint64_t size, mc_buf *out, mc_hash *digest)
{
    mc_sha256_ctx c;
    uint8_t chunk[65536];
    uint64_t total = 0;
    int rc = MC_OK;
    mc_sha256_init(&c);
    if (out && (rc = mc_buf_reserve(out, (size_t)size))) return rc;
    for (;;) {
        uint8_t *dst = out ? out->p + out->n : chunk;
        size_t want = out ? (size_t)(size - total) : sizeof chunk;
        if (out && want == 0) { /* one more read must find the end */
            dst = chunk;
            want = 1;
        }
        ssize_t r = read(fd, dst, want);
        if (r < 0) {
            if (errno == EINTR) continue;
            return MC_EIO;
        }
        if (r == 0) break;
        if (total + (uint64_t)r > size) return MC_ECORRUPT; /* grew: not what fstat saw */
        mc_sha256_update(&c, dst, (size_t)r);
        total += (uint64_t)r;
        if (out) out->n += (size_t)r;
    }
    if (total != size) return MC_ECORRUPT;
    mc_sha256_final(&c, digest);
    return MC_OK;
}

/* Opens the blob at @p addr and reads it (into @p out when not NULL), checking its hash.
 * @p cap: a larger file is MC_ETOOBIG (0: no cap). */
static int mc_blob_load(const mc_blob_store *bs, const mc_hash *addr, mc_buf *out, uint64_t cap)
{
    char path[PATH_MAX];
    struct stat sb;
    mc_hash got;
    size_t n0 = out ? out->n : 0;
    if (mc_store_blob_path(bs, addr, path, sizeof path)) return MC_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno == ELOOP ? MC_ECORRUPT : mc_blob_errno();
    int rc = fstat(fd, &sb) != 0 ? MC_EIO : !S_ISREG(sb.st_mode) ? MC_ECORRUPT : MC_OK;
    if (!rc && cap && (uint64_t)sb.st_size > cap) rc = MC_ETOOBIG;
    if (!rc) rc = mc_blob_read_fd(fd, (uint64_t)sb.st_size, out, &got);
    close(fd);
    if (!rc && memcmp(got.b, addr->b, 32) != 0) rc = MC_ECORRUPT;
    if (rc && out) out->n = n0; /* nothing of a blob that fails its check is handed out */
    return rc;
}

int mc_store_blob_get(mc_blob_store *bs, const mc_hash *addr, mc_buf *out)
{
    return mc_blob_load(bs, addr, out, bs->max_bytes);
}

int mc_store_blob_check(mc_blob_store *bs, const mc_hash *addr)
{
    return mc_blob_load(bs, addr, NULL, 0);
}

int mc_store_blob_has(mc_blob_store *bs, const mc_hash *addr)
{
    char path[PATH_MAX];
    struct stat sb;
    if (mc_store_blob_path(bs, addr, path, sizeof path)) return MC_EINVAL;
    if (lstat(path, &sb) != 0) return mc_blob_errno();
    return MC_OK;
}

/* Writes one blob durably except for its directory's fsync (the caller's, once per directory);
 * with @p defer, writes it to a temporary file only and leaves its name in @p tmp (the caller
 * syncs the file system, renames, and syncs again). */
static int mc_blob_write(mc_blob_store *bs, const mc_hash *addr, const void *p, size_t n, int defer,
                         char tmp[PATH_MAX])
{
    char dir[MC_BLOB_DIR_MAX + 4], path[PATH_MAX];
    mc_blob_dir(bs, addr, dir, sizeof dir);
    if (mc_store_blob_path(bs, addr, path, sizeof path)) return MC_EINVAL;
    snprintf(tmp, PATH_MAX, "%s/.tmp-XXXXXX", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) { /* the first blob of this fan-out directory */
        if (mc_dir_make(dir) != MC_OK) return MC_EIO;
        snprintf(tmp, PATH_MAX, "%s/.tmp-XXXXXX", dir);
        fd = mkostemp(tmp, O_CLOEXEC);
    }
    if (fd < 0) return MC_EIO;
    int rc = mc_fd_write_all(fd, p, n);
    if (!rc && !defer && fsync(fd) != 0) rc = MC_EIO;
    if (close(fd) != 0 && !rc) rc = MC_EIO;
    if (!rc && !defer && rename(tmp, path) != 0) rc = MC_EIO;
    if (rc) unlink(tmp);
    return rc;
}

/* Syncs the file system holding the store: every file's data and every name, in one journal
 * commit instead of one fsync per file and per directory. */
static int mc_blob_syncfs(const mc_blob_store *bs)
{
    int fd = open(bs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return MC_EIO;
    int rc = syncfs(fd) == 0 ? MC_OK : MC_EIO;
    close(fd);
    return rc;
}

/* A large batch: every blob to a temporary file, one sync of the file system (their data is
 * durable), the renames, and another sync (the names are). A crash leaves whole blobs or
 * temporary files, never a short blob under its name. */
static int mc_blob_put_batch(mc_blob_store *bs, const mc_hash *addrs, const mc_slice *blobs, size_t n,
                             uint8_t *stored)
{
    char(*tmps)[PATH_MAX] = calloc(n, PATH_MAX);
    if (!tmps) return MC_ENOMEM;
    int rc = MC_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        int have = mc_blob_load(bs, &addrs[i], NULL, 0);
        if (have == MC_OK) continue;
        if (have != MC_ENOTFOUND && have != MC_ECORRUPT) rc = have;
        if (!rc)
            rc = mc_blob_write(bs, &addrs[i], blobs[i].n ? blobs[i].p : (const uint8_t *)"", blobs[i].n, 1,
                               tmps[i]);
    }
    if (!rc) rc = mc_blob_syncfs(bs);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        if (!tmps[i][0]) continue;
        if (!rc && (mc_store_blob_path(bs, &addrs[i], path, sizeof path) || rename(tmps[i], path) != 0))
            rc = MC_EIO;
        if (rc) {
            unlink(tmps[i]);
        } else if (stored) {
            stored[i] = 1;
        }
    }
    if (!rc) rc = mc_blob_syncfs(bs);
    free(tmps);
    return rc;
}

int mc_store_blob_put_many(mc_blob_store *bs, const mc_hash *addrs, const mc_slice *blobs, size_t n,
                           uint8_t *stored)
{
    uint8_t dirty[256] = {0}; /* fan-out directories written to */
    int rc = MC_OK;
    if (stored) memset(stored, 0, n);
    if (bs->read_only) return MC_EINVAL;
    /* every address is checked before anything is written */
    for (size_t i = 0; i < n; i++) {
        mc_hash h;
        if (blobs[i].n > bs->max_bytes) return MC_ETOOBIG;
        mc_sha256(&h, blobs[i].n ? blobs[i].p : (const uint8_t *)"", blobs[i].n);
        if (memcmp(h.b, addrs[i].b, 32) != 0) return MC_EINVAL;
    }
    if (n >= MC_BLOB_BATCH) {
        rc = mc_blob_put_batch(bs, addrs, blobs, n, stored);
        if (rc && stored) memset(stored, 0, n);
        return rc;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        /* present and intact: nothing to do; present and damaged: replaced by these bytes,
         * which hash to the address */
        char tmp[PATH_MAX];
        int have = mc_blob_load(bs, &addrs[i], NULL, 0);
        if (have == MC_OK) continue;
        if (have != MC_ENOTFOUND && have != MC_ECORRUPT) return have;
        rc = mc_blob_write(bs, &addrs[i], blobs[i].n ? blobs[i].p : (const uint8_t *)"", blobs[i].n, 0, tmp);
        if (!rc) {
            dirty[addrs[i].b[0]] = 1;
            if (stored) stored[i] = 1;
        }
    }
    /* the renames are durable once their directories are synced: once per directory */
    for (unsigned d = 0; d < 256; d++) {
        if (!dirty[d]) continue;
        char dir[MC_BLOB_DIR_MAX + 4];
        mc_hash a;
        memset(&a, 0, sizeof a);
        a.b[0] = (uint8_t)d;
        mc_blob_dir(bs, &a, dir, sizeof dir);
        if (mc_dir_sync(dir) != MC_OK && !rc) rc = MC_EIO;
    }
    if (rc && stored) memset(stored, 0, n); /* not all durable: none reported stored */
    return rc;
}

int mc_store_blob_put(mc_blob_store *bs, const mc_hash *addr, const void *p, size_t n, int *stored)
{
    mc_slice s = {p, n};
    uint8_t st = 0;
    int rc = mc_store_blob_put_many(bs, addr, &s, 1, &st);
    if (stored) *stored = st;
    return rc;
}
