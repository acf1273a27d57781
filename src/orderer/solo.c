/*
 * The solo orderer: one node orders its own batches in an append-only log file.
 *
 * Record: "MCB2" | u32 length | SHA-256(batch) | u32 header check | batch, where the header
 * check is the first 4 bytes of SHA-256 of the 40 bytes before it: a damaged length is
 * recognised as damage, never taken for the end of the log.
 *
 * A record is acknowledged only after fdatasync, so a crash can leave only unacknowledged bytes
 * after the last whole record (a header cut short, a batch cut short, pages of it written out
 * of order). open() cuts those off, unless a valid record header appears further on: then a
 * record in the middle is damaged, and open() refuses the log rather than drop what follows.
 * A failed append is cut back at once; after a failed fdatasync the log refuses all appends
 * (the kernel may have dropped the unwritten pages), and the node halts.
 * Position: u64 count of records up to this one | u64 offset of the next record.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/orderer.h"

#define MC_SOLO_HDR 44u

typedef struct {
    mc_orderer base;
    int fd;
    uint64_t end;   /* offset after the last whole record */
    uint64_t count; /* records in the log */
    int closed;
    int failed;  /* an fdatasync failed: no more appends */
    int waiters; /* threads inside next(); close waits for them to leave */
    pthread_mutex_t lock;
    pthread_cond_t grew;
    pthread_cond_t left;
} mc_solo;

static int mc_pread_all(int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *b = p;
    while (n) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return r == 0 ? MC_ENOTFOUND : MC_EIO;
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return MC_OK;
}

static void mc_solo_header(uint8_t h[MC_SOLO_HDR], const uint8_t *batch, size_t n)
{
    mc_hash sum;
    memcpy(h, "MCB2", 4);
    mc_put_u32be(h + 4, (uint32_t)n);
    mc_sha256(&sum, batch, n);
    memcpy(h + 8, sum.b, 32);
    mc_sha256(&sum, h, 40);
    memcpy(h + 40, sum.b, 4);
}

/*
 * Reads and checks the record at @p off of a file of @p fsize bytes.
 * MC_ENOTFOUND: the file ends inside the record (only possible for the last one);
 * MC_ECORRUPT: a check failed.
 */
static int mc_solo_record(int fd, uint64_t off, uint64_t fsize, mc_buf *out, uint64_t *next)
{
    uint8_t h[MC_SOLO_HDR];
    mc_hash sum;
    if (fsize - off < MC_SOLO_HDR) return MC_ENOTFOUND;
    int rc = mc_pread_all(fd, h, sizeof h, off);
    if (rc) return rc;
    mc_sha256(&sum, h, 40);
    if (memcmp(h, "MCB2", 4) != 0 || memcmp(sum.b, h + 40, 4) != 0) return MC_ECORRUPT;
    uint32_t len = mc_get_u32be(h + 4);
    if (len > MC_MAX_BATCH_BYTES) return MC_ECORRUPT;
    if (fsize - off - MC_SOLO_HDR < len) return MC_ENOTFOUND;
    mc_buf_reset(out);
    if ((rc = mc_buf_reserve(out, len))) return rc;
    if ((rc = mc_pread_all(fd, out->p, len, off + MC_SOLO_HDR))) return rc;
    out->n = len;
    mc_sha256(&sum, out->p, len);
    if (memcmp(sum.b, h + 8, 32) != 0) return MC_ECORRUPT;
    *next = off + MC_SOLO_HDR + len;
    return MC_OK;
}

/* 1 if a valid record header starts anywhere after @p off (then what lies at off is damage,
 * not the torn end of the log). */
static int mc_solo_header_after(int fd, uint64_t off, uint64_t fsize)
{
    uint8_t b[65536 + MC_SOLO_HDR];
    for (uint64_t at = off + 1; at + MC_SOLO_HDR <= fsize; at += 65536) {
        size_t n = fsize - at < sizeof b ? (size_t)(fsize - at) : sizeof b;
        if (mc_pread_all(fd, b, n, at)) return 1; /* unreadable: do not cut */
        for (size_t i = 0; i + MC_SOLO_HDR <= n && i < 65536; i++) {
            if (memcmp(b + i, "MCB2", 4) != 0) continue;
            mc_hash sum;
            mc_sha256(&sum, b + i, 40);
            if (memcmp(sum.b, b + i + 40, 4) == 0) return 1;
        }
    }
    return 0;
}

static void mc_pos_make(mc_orderer_pos *pos, uint64_t seq, uint64_t off)
{
    pos->n = 16;
    mc_put_u64be(pos->b, seq);
    mc_put_u64be(pos->b + 8, off);
}

static int mc_solo_submit(mc_orderer *o, const uint8_t *batch, size_t n)
{
    mc_solo *s = (mc_solo *)o;
    if (n > MC_MAX_BATCH_BYTES) return MC_ETOOBIG;
    uint8_t h[MC_SOLO_HDR];
    mc_solo_header(h, batch, n);
    pthread_mutex_lock(&s->lock);
    int rc = MC_OK;
    if (s->closed) {
        rc = MC_ECLOSED;
        goto out;
    }
    if (s->failed) {
        rc = MC_EIO;
        goto out;
    }
    struct iovec iov[2] = {{h, sizeof h}, {(void *)batch, n}};
    size_t want = sizeof h + n;
    ssize_t w = pwritev(s->fd, iov, 2, (off_t)s->end);
    if (w < 0 || (size_t)w != want) {
        /* cut the partial record back, so no stray bytes follow the last whole record */
        if (ftruncate(s->fd, (off_t)s->end) != 0) s->failed = 1;
        rc = MC_EIO;
        goto out;
    }
    if (fdatasync(s->fd) != 0) {
        s->failed = 1;
        rc = MC_EIO;
        goto out;
    }
    s->end += want;
    s->count++;
    pthread_cond_broadcast(&s->grew);
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int mc_solo_next(mc_orderer *o, const mc_orderer_pos *after, mc_buf *batch, mc_orderer_pos *pos,
                        int timeout_ms)
{
    mc_solo *s = (mc_solo *)o;
    uint64_t seq = 0, off = 0;
    if (timeout_ms < 0) return MC_EINVAL;
    if (after && after->n) {
        if (after->n != 16) return MC_EINVAL;
        seq = mc_get_u64be(after->b);
        off = mc_get_u64be(after->b + 8);
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    if (s->closed) {
        pthread_mutex_unlock(&s->lock);
        return MC_ECLOSED;
    }
    s->waiters++;
    while (!s->closed && off >= s->end) {
        if (pthread_cond_timedwait(&s->grew, &s->lock, &until) == ETIMEDOUT) break;
    }
    int closed = s->closed;
    uint64_t end = s->end, next;
    int rc = MC_OK;
    if (closed)
        rc = MC_ECLOSED;
    else if (off > end)
        rc = MC_ECORRUPT; /* a position past the log: the log lost records */
    else if (off == end)
        rc = MC_ETIMEDOUT;
    /* the read happens inside the waiter count, so close() cannot free the fd under it */
    pthread_mutex_unlock(&s->lock);
    if (!rc) {
        rc = mc_solo_record(s->fd, off, end, batch, &next);
        if (rc == MC_ENOTFOUND) rc = MC_ECORRUPT; /* below end, every record is whole */
        if (!rc) mc_pos_make(pos, seq + 1, next);
    }
    pthread_mutex_lock(&s->lock);
    if (--s->waiters == 0) pthread_cond_broadcast(&s->left);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void mc_solo_close(mc_orderer *o)
{
    mc_solo *s = (mc_solo *)o;
    pthread_mutex_lock(&s->lock);
    s->closed = 1;
    pthread_cond_broadcast(&s->grew);
    while (s->waiters > 0) pthread_cond_wait(&s->left, &s->lock);
    pthread_mutex_unlock(&s->lock);
    close(s->fd);
    pthread_cond_destroy(&s->left);
    pthread_cond_destroy(&s->grew);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const mc_orderer_ops mc_solo_ops = {
    .name = "solo", .submit = mc_solo_submit, .next = mc_solo_next, .close = mc_solo_close};

static int mc_solo_path(char *out, size_t n, const char *dir)
{
    return snprintf(out, n, "%s/solo.log", dir) < (int)n ? MC_OK : MC_EINVAL;
}

int mc_orderer_solo_open(mc_orderer **pp, const char *dir)
{
    char path[PATH_MAX];
    *pp = NULL;
    if (mc_dir_make(dir) || mc_solo_path(path, sizeof path, dir)) return MC_EIO;
    mc_solo *s = calloc(1, sizeof *s);
    if (!s) return MC_ENOMEM;
    s->base.ops = &mc_solo_ops;
    s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    /* the file's name must be durable before anything in it is acknowledged */
    if (s->fd < 0 || mc_dir_sync(dir) != MC_OK) {
        if (s->fd >= 0) close(s->fd);
        free(s);
        return MC_EIO;
    }
    struct stat sb;
    int rc = fstat(s->fd, &sb) == 0 ? MC_OK : MC_EIO;
    mc_buf tmp;
    mc_buf_init(&tmp, MC_MAX_BATCH_BYTES);
    uint64_t fsize = rc ? 0 : (uint64_t)sb.st_size, off = 0, next;
    while (!rc && off < fsize) {
        rc = mc_solo_record(s->fd, off, fsize, &tmp, &next);
        if (rc == MC_OK) {
            off = next;
            s->count++;
            continue;
        }
        /* torn: nothing valid follows; damage: a valid record header does */
        if ((rc == MC_ENOTFOUND || rc == MC_ECORRUPT) && !mc_solo_header_after(s->fd, off, fsize)) rc = MC_OK;
        break;
    }
    mc_buf_free(&tmp);
    if (!rc && off < fsize) {
        mc_log(MC_LOG_WARN, "orderer", "solo log: cutting a torn record of %llu bytes at offset %llu",
               (unsigned long long)(fsize - off), (unsigned long long)off);
        if (ftruncate(s->fd, (off_t)off) != 0 || fsync(s->fd) != 0) rc = MC_EIO;
    }
    if (rc) {
        close(s->fd);
        free(s);
        return rc;
    }
    s->end = off;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca; /* timeouts on the monotonic clock: a wall-clock step cannot stall a wait */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->grew, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&s->left, NULL);
    *pp = &s->base;
    return MC_OK;
}

int mc_orderer_solo_read(const char *dir, uint64_t offset, mc_buf *batch, uint64_t *next_offset)
{
    char path[PATH_MAX];
    if (mc_solo_path(path, sizeof path, dir)) return MC_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? MC_ENOTFOUND : MC_EIO;
    struct stat sb;
    int rc = fstat(fd, &sb) == 0 ? MC_OK : MC_EIO;
    if (!rc)
        rc = offset >= (uint64_t)sb.st_size
                 ? MC_ENOTFOUND
                 : mc_solo_record(fd, offset, (uint64_t)sb.st_size, batch, next_offset);
    close(fd);
    return rc;
}
