/*
 * consortium load: client threads, each one founding org with its own nonces, submitting
 * registrations to the consortium's nodes and recording every transaction acknowledged.
 *
 * One org's transactions go to one node at a time and each request waits for its answer, so
 * its nonces reach the ordered log in the order they were made: a request that gets no answer
 * (its node was killed) may or may not have been ordered, and the next one, to another node,
 * uses higher nonces, which are valid after it either way.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "consortium.h"

#define CS_MAX_PER 256

typedef struct {
    struct cs_load *l;
    unsigned k;            /* client index: org node[0].clients[k], first node k mod n */
    mc_http_signer signer; /* borrowed by its client */
    mc_hash *acked;
    size_t nacked, cap;
    int grow_failed;
} cs_loader;

struct cs_load {
    cs_net *net;
    unsigned nthreads, per;
    atomic_int stop;
    pthread_t th[CS_MAX_LOADERS];
    cs_loader ld[CS_MAX_LOADERS];
    pthread_mutex_t lock; /* guards stats */
    cs_load_stats stats;
};

static int cs_record(cs_loader *ld, const mc_hash *id)
{
    if (ld->nacked == ld->cap) {
        size_t ncap = ld->cap ? 2 * ld->cap : 4096;
        mc_hash *p = realloc(ld->acked, ncap * sizeof *p);
        if (!p) return ld->grow_failed = 1, MC_ENOMEM;
        ld->acked = p;
        ld->cap = ncap;
    }
    ld->acked[ld->nacked++] = *id;
    return MC_OK;
}

/* Counts the answer @p resp to @p n transactions with ids @p ids (in order). */
static void cs_tally(cs_loader *ld, const mc_buf *resp, const mc_hash *ids, size_t n)
{
    cs_load *l = ld->l;
    size_t acked = 0, failed = 0, rejected = 0;
    char failure[256] = "";
    json_t *j = json_loadb((const char *)resp->p, resp->n, 0, NULL);
    json_t *txs = json_object_get(j, "txs");
    for (size_t i = 0; i < n && i < json_array_size(txs); i++) {
        json_t *t = json_array_get(txs, i);
        const char *id = json_string_value(json_object_get(t, "id"));
        const char *status = json_string_value(json_object_get(t, "status"));
        char want[65];
        mc_hex_encode(want, ids[i].b, 32);
        if (!id || !status || strcmp(id, want)) continue; /* an answer about something else counts as none */
        if (!strcmp(status, "ordered") || !strcmp(status, "committed") || !strcmp(status, "certified")) {
            if (cs_record(ld, &ids[i]) == MC_OK) acked++;
        } else if (!strcmp(status, "failed")) {
            failed++;
            char *s = json_dumps(t, JSON_COMPACT);
            snprintf(failure, sizeof failure, "%s", s ? s : "");
            free(s);
        } else if (!strcmp(status, "rejected")) {
            rejected++;
        }
    }
    json_decref(j);
    pthread_mutex_lock(&l->lock);
    l->stats.requests++;
    l->stats.acked += acked;
    l->stats.failed += failed;
    l->stats.rejected += rejected;
    if (failure[0]) snprintf(l->stats.last_failure, sizeof l->stats.last_failure, "%s", failure);
    pthread_mutex_unlock(&l->lock);
}

static void cs_pause(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void *cs_load_main(void *arg)
{
    cs_loader *ld = arg;
    cs_load *l = ld->l;
    cs_net *net = l->net;
    tn_chain *c0 = &net->node[0];
    const mc_keys *org = &c0->clients[ld->k];
    mc_buf txs[CS_MAX_PER], resp;
    mc_hash ids[CS_MAX_PER];
    mc_http *h = NULL;
    char url[64] = "", want[64];
    unsigned target = ld->k % net->n;
    uint64_t nonce = 0;
    mc_buf_init(&resp, 16u << 20);
    for (unsigned i = 0; i < l->per; i++) mc_buf_init(&txs[i], MC_MAX_TX_BYTES);
    while (!atomic_load(&l->stop) && !ld->grow_failed) {
        if (!cs_node_url(net, target, want)) { /* down: the next node */
            target = (target + 1) % net->n;
            cs_pause(20);
            continue;
        }
        if (strcmp(want, url)) { /* a node restarted elsewhere, or another node */
            mc_http_free(h);
            h = NULL;
            if (mc_http_new(&h, want, 0)) break;
            mc_http_set_timeout(h, 60000);
            mc_http_set_connect_timeout(h, 2000);
            mc_http_set_signer(h, &ld->signer);
            snprintf(url, sizeof url, "%s", want);
        }
        int built = 1;
        for (unsigned i = 0; i < l->per && built; i++) {
            mc_buf_reset(&txs[i]);
            built = tn_build_register(c0, org, ++nonce, &txs[i], &ids[i]) == MC_OK;
        }
        if (!built) break;
        long st = tn_post_txs(h, "committed", txs, l->per, &resp);
        if (st == 200) {
            cs_tally(ld, &resp, ids, l->per);
            continue;
        }
        /* no answer (the node died under us) or an error: nothing in it counts as acknowledged */
        pthread_mutex_lock(&l->lock);
        l->stats.errors++;
        pthread_mutex_unlock(&l->lock);
        target = (target + 1) % net->n;
        cs_pause(50);
    }
    for (unsigned i = 0; i < l->per; i++) mc_buf_free(&txs[i]);
    mc_buf_free(&resp);
    mc_http_free(h);
    return NULL;
}

int cs_load_start(cs_load **pp, cs_net *net, unsigned threads, unsigned per)
{
    *pp = NULL;
    if (threads == 0 || threads > net->node[0].nclients || per == 0 || per > CS_MAX_PER) return MC_EINVAL;
    cs_load *l = calloc(1, sizeof *l);
    if (!l) return MC_ENOMEM;
    l->net = net;
    l->per = per;
    pthread_mutex_init(&l->lock, NULL);
    for (unsigned k = 0; k < threads; k++) {
        cs_loader *ld = &l->ld[k];
        ld->l = l;
        ld->k = k;
        ld->signer.chain = net->node[0].chain;
        memcpy(ld->signer.id.b, net->node[0].clients[k].id.b, 32);
        ld->signer.sk = &net->node[0].clients[k].sign_sk;
        if (pthread_create(&l->th[k], NULL, cs_load_main, ld)) break;
        l->nthreads = k + 1;
    }
    if (l->nthreads != threads) {
        cs_load_free(l);
        return MC_ENOMEM;
    }
    *pp = l;
    return MC_OK;
}

void cs_load_stats_get(cs_load *l, cs_load_stats *s)
{
    pthread_mutex_lock(&l->lock);
    *s = l->stats;
    pthread_mutex_unlock(&l->lock);
}

void cs_load_stop(cs_load *l)
{
    atomic_store(&l->stop, 1);
    for (unsigned k = 0; k < l->nthreads; k++) pthread_join(l->th[k], NULL);
    l->nthreads = 0;
}

const mc_hash *cs_load_acked(cs_load *l, size_t *n)
{
    /* gathered into loader 0's array once, after the threads stopped */
    size_t total = 0;
    for (unsigned k = 0; k < CS_MAX_LOADERS; k++) total += l->ld[k].nacked;
    for (unsigned k = 1; k < CS_MAX_LOADERS && total; k++) {
        cs_loader *ld = &l->ld[k];
        for (size_t i = 0; i < ld->nacked; i++)
            if (cs_record(&l->ld[0], &ld->acked[i])) return *n = 0, NULL;
        ld->nacked = 0;
    }
    *n = l->ld[0].nacked;
    return l->ld[0].acked;
}

void cs_load_free(cs_load *l)
{
    if (!l) return;
    cs_load_stop(l);
    for (unsigned k = 0; k < CS_MAX_LOADERS; k++) free(l->ld[k].acked);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
