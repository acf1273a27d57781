/*
 * The etcd orderer's parts, shared by its three files:
 *   etcd.c        open, close, submit, and the HTTP and JSON helpers;
 *   etcd_watch.c  next(): one long-lived watch stream per reading position, on its own thread;
 *   etcd_side.c   the side channel (publish, fetch) and compaction.
 */
#ifndef MEDCHAIN_ORDERER_ETCD_INTERNAL_H
#define MEDCHAIN_ORDERER_ETCD_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "medchain/net.h"
#include "medchain/orderer.h"

#define MC_ETCD_MAX_ENDPOINTS 16
#define MC_ETCD_LINE_CAP      (256u << 20) /* one watch message, in JSON */
#define MC_ETCD_WARN_EVERY_MS 5000

/* A batch taken from the watch stream, not yet handed out by next(). */
typedef struct {
    uint64_t rev;
    uint8_t *p;
    size_t n;
} mc_etcd_item;

/* A set of clients (one per endpoint) used by one kind of call, so kinds never wait on each other. */
typedef struct {
    pthread_mutex_t lock;
    mc_http *http[MC_ETCD_MAX_ENDPOINTS];
    size_t cur; /* the endpoint that worked last */
} mc_etcd_side;

typedef struct {
    mc_orderer base;
    char *ep[MC_ETCD_MAX_ENDPOINTS];
    size_t nep;
    char *prefix;
    char *prefix_b64, *end_b64; /* the watched range [prefix, end) */
    char *ca, *cert, *key;
    int timeout_ms, connect_ms;
    atomic_int closed;
    mc_etcd_side sub; /* submit */
    mc_etcd_side aux; /* the side channel and compaction */
    char *side;       /* the side channel's key prefix */

    /* The reader (etcd_watch.c), all under wlock. A stream thread of generation gen fills the
     * queue with the batches after q_after, in revision order; next() takes from its head. A
     * next() from another position starts a new generation: the old thread leaves at its next
     * message or idle timeout, without touching the queue again. */
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    mc_etcd_item *q;
    size_t qhead, qn, qcap, qbytes;
    uint64_t q_after; /* the position just before q[qhead] (UINT64_MAX: no reader yet) */
    uint64_t tail;    /* the revision of the last batch queued (or q_after) */
    uint64_t gen;     /* the current generation */
    uint64_t stale;   /* > 0: the current generation's history was compacted up to this */
    unsigned live;    /* stream threads running (close waits for 0) */
    size_t wcur;      /* the endpoint the reader uses */
    int down;         /* the last connection attempt failed */
    char why[200];    /* and why */
    uint64_t last_warn_ms;
} mc_etcd;

/* An int64 of etcd's JSON (a string in proto3 JSON, or a number); 0 if absent or bad. */
uint64_t mc_etcd_u64(json_t *v);
/* @p n bytes as base64, NUL-terminated, malloc'ed; NULL when out of memory. */
char *mc_etcd_b64(const void *p, size_t n);
/* The client of @p side for endpoint @p i, made on first use. */
int mc_etcd_client(mc_etcd *e, mc_etcd_side *side, size_t i, mc_http **pp);
/* A new client for endpoint @p i, with the handle's TLS settings (the caller frees it). */
int mc_etcd_new_client(mc_etcd *e, size_t i, mc_http **pp);
/* The message of a gateway error body, for a log line (no batch content in it). */
void mc_etcd_error_text(const mc_buf *resp, char *out, size_t cap);
/* POSTs @p req to @p path on the endpoints in turn (the aux clients) until one answers 200
 * within timeout_ms. On another status, @p status and @p resp hold the last answer.
 * @return MC_OK, MC_EUNAVAIL, MC_ECLOSED, MC_ENOMEM. */
int mc_etcd_aux_call(mc_etcd *e, const char *path, const mc_buf *req, mc_buf *resp, long *status);

int mc_etcd_next(mc_orderer *o, const mc_orderer_pos *after, mc_buf *batch, mc_orderer_pos *pos,
                 int timeout_ms);
/* Ends the reader: wakes next() and the stream threads, waits for them, frees the queue. */
void mc_etcd_watch_close(mc_etcd *e);
int mc_etcd_publish(mc_orderer *o, const char *name, const uint8_t *p, size_t n);
int mc_etcd_publish_many(mc_orderer *o, const mc_orderer_kv *kvs, size_t n);
int mc_etcd_fetch(mc_orderer *o, const char *prefix, mc_orderer_kv_fn fn, void *arg);
int mc_etcd_fetch_range(mc_orderer *o, const char *from, const char *to, mc_orderer_kv_fn fn, void *arg);
int mc_etcd_compact(mc_orderer *o, const mc_orderer_pos *upto);

#endif
