/* Bounded growable buffers (after curl's dynbuf): every append checks the hard cap first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/util.h"

void mc_buf_init(mc_buf *b, size_t max)
{
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
    b->max = max;
}

void mc_buf_free(mc_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
}

void mc_buf_free_wipe(mc_buf *b)
{
    if (b->p) {
        /* volatile stores so the wipe is not optimised away before free() */
        volatile uint8_t *v = b->p;
        for (size_t i = 0; i < b->cap; i++) v[i] = 0;
    }
    mc_buf_free(b);
}

void mc_buf_reset(mc_buf *b)
{
    b->n = 0;
}

int mc_buf_reserve(mc_buf *b, size_t more)
{
    /* +1 keeps room for the NUL of mc_buf_cstr without a second reallocation */
    if (more > b->max || b->n > b->max - more) return MC_ETOOBIG;
    size_t need = b->n + more + 1;
    if (need <= b->cap) return MC_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->max < SIZE_MAX && cap > b->max + 1) cap = b->max + 1;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return MC_ENOMEM;
    b->p = p;
    b->cap = cap;
    return MC_OK;
}

int mc_buf_append(mc_buf *b, const void *p, size_t n)
{
    if (n == 0) return MC_OK;
    int rc = mc_buf_reserve(b, n);
    if (rc) return rc;
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return MC_OK;
}

int mc_buf_printf(mc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) return MC_EINVAL;
    int rc = mc_buf_reserve(b, (size_t)len);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
    return MC_OK;
}

int mc_buf_cstr(mc_buf *b)
{
    int rc = mc_buf_reserve(b, 0);
    if (rc) return rc;
    b->p[b->n] = 0;
    return MC_OK;
}
