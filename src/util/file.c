/* Whole-file reads and atomic, durable writes (temp file, fsync, rename, fsync directory). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medchain/util.h"

int mc_file_read(const char *path, mc_buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? MC_ENOTFOUND : MC_EIO;
    int rc = MC_OK;
    uint8_t chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = MC_EIO;
            break;
        }
        if (r == 0) break;
        if ((rc = mc_buf_append(out, chunk, (size_t)r))) break;
    }
    close(fd);
    return rc;
}

int mc_fd_write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return MC_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return MC_OK;
}

int mc_dir_sync(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return MC_EIO;
    int rc = fsync(fd) == 0 ? MC_OK : MC_EIO;
    close(fd);
    return rc;
}

int mc_file_write_atomic(const char *path, const void *p, size_t n, int mode)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) return MC_EINVAL;
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) return MC_EINVAL;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return MC_EIO;
    int rc = mc_fd_write_all(fd, p, n);
    if (!rc && fsync(fd) != 0) rc = MC_EIO;
    if (close(fd) != 0 && !rc) rc = MC_EIO;
    if (!rc && rename(tmp, path) != 0) rc = MC_EIO;
    if (rc) {
        unlink(tmp);
        return rc;
    }
    return mc_dir_sync(dir);
}

/* mkdir, and when it made a new directory, fsync its parent so the new name is durable. */
static int mc_mkdir_durable(char *p)
{
    if (mkdir(p, 0700) != 0) return errno == EEXIST ? MC_OK : MC_EIO;
    char *slash = strrchr(p, '/');
    if (!slash) return mc_dir_sync(".");
    if (slash == p) return mc_dir_sync("/");
    *slash = 0;
    int rc = mc_dir_sync(p);
    *slash = '/';
    return rc;
}

int mc_dir_make(const char *path)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) return MC_EINVAL;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        int rc = mc_mkdir_durable(p);
        *s = '/';
        if (rc) return rc;
    }
    return mc_mkdir_durable(p);
}

int mc_parse_u64(const char *s, uint64_t *out)
{
    *out = 0;
    if (!s || !*s) return MC_EINVAL;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return MC_EINVAL;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return MC_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return MC_OK;
}
