/*
 * fakenode: a tiny HTTP server in the test process that plays a lying medchain node: it answers
 * GET /v1/status and GET /v1/proofs/tx/{id} with fixed JSON bodies, and POST /v1/reads with fixed
 * bytes once set (any other path: 404), one request per connection, on a free 127.0.0.1 port,
 * from its own thread. Enough for a client (`medchain proof verify --node`, `medchain record get`
 * through a lying gatekeeper) that must not believe what it is served.
 */
#ifndef MEDCHAIN_FAKENODE_H
#define MEDCHAIN_FAKENODE_H

#include <pthread.h>
#include <stdatomic.h>

#include "medchain/util.h"

typedef struct {
    int fd; /* the listening socket */
    unsigned port;
    char url[64];
    pthread_t thread;
    atomic_int stop;
    atomic_int served; /* requests answered */
    char *status;      /* owned copies of the bodies */
    char *proof;
    pthread_mutex_t lock; /* guards reads */
    mc_buf reads;         /* the answer to POST /v1/reads (empty: 404) */
} fn_server;

/* Listens and starts serving @p status and @p proof (copied). @return MC_OK, MC_EIO, MC_ENOMEM. */
int fn_start(fn_server *f, const char *status, const char *proof);
/* From now on POST /v1/reads is answered 200 with @p n bytes at @p p (copied). */
void fn_set_reads(fn_server *f, const void *p, size_t n);
/* The number of requests answered so far. */
int fn_served(fn_server *f);
/* Stops the thread, closes the socket, frees the copies. */
void fn_stop(fn_server *f);

#endif
