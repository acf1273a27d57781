/* fakenode: fixed answers over HTTP/1.1, one request per connection (Connection: close). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakenode.h"
#include "medchain/util.h"

/* Reads the request head (up to the blank line) and answers it. */
static void fn_answer(fn_server *f, int c)
{
    char req[16384], path[512] = "";
    size_t n = 0;
    while (n < sizeof req - 1) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0) return;
        ssize_t r = read(c, req + n, sizeof req - 1 - n);
        if (r <= 0) return;
        n += (size_t)r;
        req[n] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    if (sscanf(req, "%*s %511s", path) != 1) return;
    char *q = strchr(path, '?');
    if (q) *q = 0;
    const char *body = "{\"error\":\"ENOTFOUND\"}", *ctype = "application/json";
    size_t len;
    int found = 1;
    mc_buf bytes;
    mc_buf_init(&bytes, 64u << 20);
    pthread_mutex_lock(&f->lock);
    int reads = !strcmp(path, "/v1/reads") && f->reads.n && !mc_buf_append(&bytes, f->reads.p, f->reads.n);
    pthread_mutex_unlock(&f->lock);
    if (!strcmp(path, "/v1/status"))
        body = f->status;
    else if (!strncmp(path, "/v1/proofs/tx/", 14))
        body = f->proof;
    else if (reads)
        body = (const char *)bytes.p, ctype = "application/octet-stream";
    else
        found = 0;
    len = reads ? bytes.n : strlen(body);
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      found ? "200 OK" : "404 Not Found", ctype, len);
    int ok = write(c, head, (size_t)hn) == hn;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(c, body + off, len - off);
        if (w <= 0)
            ok = 0;
        else
            off += (size_t)w;
    }
    mc_buf_free(&bytes);
    if (ok) atomic_fetch_add(&f->served, 1);
}

void fn_set_reads(fn_server *f, const void *p, size_t n)
{
    pthread_mutex_lock(&f->lock);
    mc_buf_reset(&f->reads);
    if (mc_buf_append(&f->reads, p, n)) mc_buf_reset(&f->reads);
    pthread_mutex_unlock(&f->lock);
}

static void *fn_main(void *arg)
{
    fn_server *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p = {f->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0) continue;
        fn_answer(f, c);
        close(c);
    }
    return NULL;
}

int fn_start(fn_server *f, const char *status, const char *proof)
{
    int rc = MC_ENOMEM;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    pthread_mutex_init(&f->lock, NULL);
    mc_buf_init(&f->reads, 64u << 20);
    f->status = strdup(status);
    f->proof = strdup(proof);
    if (!f->status || !f->proof) goto fail;
    rc = MC_EIO;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t al = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((f->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(f->fd, (struct sockaddr *)&a, sizeof a) ||
        listen(f->fd, 16) || getsockname(f->fd, (struct sockaddr *)&a, &al))
        goto fail;
    f->port = ntohs(a.sin_port);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", f->port);
    if (pthread_create(&f->thread, NULL, fn_main, f) != 0) goto fail;
    return MC_OK;
fail:
    if (f->fd >= 0) close(f->fd);
    free(f->status);
    free(f->proof);
    memset(f, 0, sizeof *f);
    return rc;
}

int fn_served(fn_server *f)
{
    return atomic_load(&f->served);
}

void fn_stop(fn_server *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->thread, NULL);
    close(f->fd);
    free(f->status);
    free(f->proof);
    f->status = f->proof = NULL;
    mc_buf_free(&f->reads);
    pthread_mutex_destroy(&f->lock);
}
