/* A running node: start-up, the batcher and applier threads, status, metrics, stop. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_internal.h"

void mc_errf(char *err, size_t nerr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, nerr, fmt, ap);
    va_end(ap);
}

void mc_node_halt(mc_node *n, const char *reason)
{
    if (atomic_exchange(&n->halted, 1)) return;
    n->halt_reason = reason;
    pthread_mutex_lock(&n->flight_lock); /* the batcher must not wait for a stopped applier */
    pthread_cond_broadcast(&n->flight_cond);
    pthread_mutex_unlock(&n->flight_lock);
    mc_log(MC_LOG_ERROR, "node", "HALTED: %s; the node no longer applies blocks or accepts transactions",
           reason);
}

/* One of this node's batches left the pipeline (applied, skipped or never ordered). */
static void mc_node_flight_done(mc_node *n)
{
    pthread_mutex_lock(&n->flight_lock);
    if (n->inflight) n->inflight--;
    pthread_cond_broadcast(&n->flight_cond);
    pthread_mutex_unlock(&n->flight_lock);
}

/*
 * A validator quiet for time_beacon_ms proposes an empty batch, so that its latest time on the
 * chain stays fresh: the block time is bounded by the lower median of the validators' latest
 * times (exec/apply.c), and a consortium whose members are idle would otherwise keep an old
 * time, ending grants late. Only in a set of two or more, and only for a validator.
 */
static int mc_node_beacon_due(mc_node *n)
{
    if (atomic_load(&n->halted) || !atomic_load(&n->is_validator)) return 0;
    mc_exec_info info;
    mc_exec_get_info(n->exec, &info);
    mc_store_txn *txn;
    uint64_t mine = 0;
    mc_valset *vs = malloc(sizeof *vs);
    int rc = vs ? mc_store_begin(n->store, 0, &txn) : MC_ENOMEM;
    if (!rc) {
        mc_id me;
        memcpy(me.b, n->keys.id.b, 32);
        rc = mc_store_get_valset(txn, info.height + 1, vs);
        if (!rc) rc = mc_store_get_validator(txn, &me, &mine);
        mc_store_abort(txn);
    }
    int due = !rc && vs->n >= 2 && mine + n->cfg.time_beacon_ms <= mc_time_now_ms();
    free(vs);
    return due;
}

static int mc_probe_none(void *arg, const char *name, const uint8_t *p, size_t n)
{
    (void)arg, (void)name, (void)p, (void)n;
    return 0;
}

/*
 * While submissions fail fast (the ordering service refused the last batch as unavailable), the
 * idle batcher asks the orderer a question only a quorum answers (etcd: a linearizable range
 * read of an empty prefix) every MC_ORDER_PROBE_MS, and takes submissions again as soon as it is
 * answered. Without it, the last batch of an outage, failing just after the quorum came back,
 * kept the node refusing for a while with nothing to probe with (issue 12).
 */
static void mc_node_order_probe(mc_node *n)
{
    int rc = mc_orderer_fetch(n->orderer, "probe/", mc_probe_none, NULL);
    if (rc == MC_OK) {
        atomic_store(&n->order_down_until, 0);
        mc_log(MC_LOG_INFO, "node", "the ordering service answers again: taking submissions");
    } else {
        atomic_store(&n->order_down_until, mc_time_mono_ms() + MC_ORDER_DOWN_MS);
    }
}

/* The batcher found nothing to take for a while: probe the orderer while submissions fail fast,
 * else say whether a time beacon (an empty batch) is due. @return 1 to propose an empty batch. */
static int mc_batcher_idle(mc_node *n, int down)
{
    if (down) {
        mc_node_order_probe(n);
        return 0;
    }
    return mc_node_beacon_due(n);
}

static void *mc_batcher_main(void *arg)
{
    mc_node *n = arg;
    size_t max = n->cfg.batch_max_txs;
    mc_pending **taken = calloc(max, sizeof *taken);
    mc_slice *slices = calloc(max, sizeof *slices);
    mc_cert *cert = calloc(1, sizeof *cert);
    mc_buf batch;
    mc_buf_init(&batch, MC_MAX_BATCH_BYTES);
    mc_id me;
    memcpy(me.b, n->keys.id.b, 32);
    while (taken && slices && cert) {
        /* back-pressure from the applier: while it is behind, transactions gather */
        pthread_mutex_lock(&n->flight_lock);
        while (n->inflight >= n->cfg.batch_max_inflight && !atomic_load(&n->halted) &&
               !atomic_load(&n->stop_applier))
            pthread_cond_wait(&n->flight_cond, &n->flight_lock);
        pthread_mutex_unlock(&n->flight_lock);
        /* the batch's own fields and signature take well under 4 KiB, a certificate at most
         * MC_CERT_MAX_BYTES */
        int idle = 0, down = mc_time_mono_ms() < atomic_load(&n->order_down_until);
        size_t k = mc_mempool_take_idle(
            &n->mp, taken, max, mc_orderer_max_batch(n->orderer) - 4096 - MC_CERT_MAX_BYTES,
            n->cfg.batch_linger_ms, down ? MC_ORDER_PROBE_MS : n->cfg.time_beacon_ms, &idle);
        if (idle && !mc_batcher_idle(n, down)) continue;
        if (k == 0 && !idle) break; /* closing and drained */
        for (size_t i = 0; i < k; i++) slices[i] = (mc_slice){taken[i]->tx, taken[i]->n};
        uint64_t t0 = mc_time_mono_ns();
        mc_buf_reset(&batch);
        /* the newest certificate this node holds rides along, so certificates reach the chain */
        int has_cert = !atomic_load(&n->halted) && mc_node_cert_next(n, cert);
        int rc = atomic_load(&n->halted)
                     ? MC_EUNAVAIL
                     : mc_batch_build(&batch, NULL, &n->chain, &me, n->batch_seq++, mc_time_now_ms(), slices,
                                      (uint32_t)k, has_cert ? cert : NULL, &n->keys.sign_sk);
        if (!rc) {
            pthread_mutex_lock(&n->flight_lock);
            n->inflight++;
            pthread_mutex_unlock(&n->flight_lock);
            rc = mc_orderer_submit(n->orderer, batch.p, batch.n);
            if (rc) mc_node_flight_done(n);
            if (!rc && has_cert) mc_node_cert_sent(n, cert->height);
        }
        if (rc && k)
            mc_log(MC_LOG_ERROR, "node", "batch of %zu transactions not ordered: %s", k, mc_strerror(rc));
        /* a log that cannot be written (or synced) cannot be trusted with the next batch */
        if (rc == MC_EIO) mc_node_halt(n, "the orderer log could not be written");
        /* no quorum (or no endpoint): new submissions fail at once for a moment rather than each
         * wait out the orderer's timeout behind this batch; the next one after it probes again */
        atomic_store(&n->order_down_until, rc == MC_EUNAVAIL ? mc_time_mono_ms() + MC_ORDER_DOWN_MS : 0);
        atomic_fetch_add(&n->submit_us, (mc_time_mono_ns() - t0) / 1000);
        atomic_fetch_add(&n->batches_submitted, 1);
        mc_mempool_ordered(&n->mp, taken, k, rc);
    }
    mc_buf_free(&batch);
    free(taken);
    free(slices);
    free(cert);
    atomic_store(&n->batcher_done, 1);
    return NULL;
}

void mc_node_refresh_role(mc_node *n)
{
    mc_valset vs;
    mc_id me;
    memcpy(me.b, n->keys.id.b, 32);
    mc_exec_get_valset(n->exec, &vs);
    int v = mc_valset_find(&vs, &me) >= 0;
    if (atomic_exchange(&n->is_validator, v) != v)
        mc_log(MC_LOG_INFO, "node",
               v ? "this node is a validator: it proposes and attests"
                 : "this node is not a validator of the chain: it follows");
}

void mc_node_applied(mc_node *n, const mc_exec_result *res)
{
    atomic_fetch_add(&n->blocks, 1);
    atomic_fetch_add(&n->txs_applied, res->ntx);
    mc_log(MC_LOG_DEBUG, "node", "block %llu applied: %u transactions",
           (unsigned long long)res->header.height, res->ntx);
    mc_mempool_committed(&n->mp, res->txids, res->results, res->ntx, res->header.height);
    mc_node_tip_moved(n, res->header.height, 0);
    mc_node_refresh_role(n);
    /* the node's word on the header, kept with the block (attest.c, mc_node_on_block) */
    mc_node_attest_after(n, res->header.height);
}

static int mc_load_pos(mc_node *n, mc_orderer_pos *pos)
{
    mc_store_txn *txn;
    mc_slice v;
    memset(pos, 0, sizeof *pos);
    int rc = mc_store_begin(n->store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_get_meta(txn, "opos", &v);
    if (rc == MC_OK) {
        if (v.n > MC_ORDERER_POS_MAX)
            rc = MC_ECORRUPT;
        else {
            memcpy(pos->b, v.p, v.n);
            pos->n = v.n;
        }
    } else if (rc == MC_ENOTFOUND) {
        rc = MC_OK;
    }
    mc_store_abort(txn);
    return rc;
}

static void *mc_applier_main(void *arg)
{
    mc_node *n = arg;
    mc_orderer_pos pos, next;
    mc_buf batch;
    mc_buf_init(&batch, MC_MAX_BATCH_BYTES);
    if (mc_load_pos(n, &pos)) {
        mc_node_halt(n, "stored orderer position unreadable");
        goto out;
    }
    while (!atomic_load(&n->halted)) {
        int rc = mc_orderer_next(n->orderer, &pos, &batch, &next, 100);
        if (rc == MC_ETIMEDOUT) {
            /* stop only once the batcher has handed over everything it took */
            if (atomic_load(&n->stop_applier) && atomic_load(&n->batcher_done)) break;
            continue;
        }
        if (rc == MC_ECLOSED) break;
        if (rc == MC_ESTALE) { /* etcd compacted the log after our position: peers have it */
            rc = mc_node_sync(n, &pos);
            if (rc == MC_OK || rc == MC_EUNAVAIL) continue; /* caught up some, or retry later */
            break;                                          /* halted (it said why) */
        }
        if (rc) {
            mc_node_halt(n, "the orderer log is unreadable or damaged");
            break;
        }
        mc_exec_result res;
        uint64_t t0 = mc_time_mono_ns();
        rc = mc_exec_apply(n->exec, batch.p, batch.n, next.b, next.n, &res);
        if (rc) {
            mc_node_halt(n, "the store refused a block write");
            break;
        }
        atomic_fetch_add(&n->apply_us, (mc_time_mono_ns() - t0) / 1000);
        pos = next;
        /* our own batch left the pipeline (a skipped one may have been ours too) */
        if (!res.applied || memcmp(res.header.proposer.b, n->keys.id.b, 32) == 0) mc_node_flight_done(n);
        if (!res.applied) {
            atomic_fetch_add(&n->batches_skipped, 1);
            mc_log(MC_LOG_WARN, "node", "ordered batch skipped: %s", mc_strerror(res.skip_reason));
            continue;
        }
        mc_node_applied(n, &res);
    }
out:
    mc_buf_free(&batch);
    return NULL;
}

static void mc_node_status(void *ctx, mc_api_status *s)
{
    mc_node *n = ctx;
    mc_exec_info info;
    mc_exec_get_info(n->exec, &info);
    s->chain_name = n->chain_name;
    s->chain = n->chain;
    memcpy(s->node_id.b, n->keys.id.b, 32);
    s->orderer = n->cfg.orderer;
    s->height = info.height;
    s->tip = info.tip;
    s->time_ms = info.time_ms;
    s->state_digest = info.state_digest;
    s->mempool = mc_mempool_size(&n->mp);
    s->halted = atomic_load(&n->halted);
    s->halt_reason = n->halt_reason;
    s->certified = atomic_load(&n->certified);
    s->alarm = atomic_load(&n->alarm);
    s->alarm_height = s->alarm ? n->alarm_height : 0;
    mc_valset vs;
    mc_exec_get_valset(n->exec, &vs);
    s->validators = vs.n;
    s->quorum = mc_quorum(vs.n);
    s->validator = atomic_load(&n->is_validator);
}

static void mc_node_metrics(void *ctx, mc_buf *out)
{
    mc_node *n = ctx;
    mc_exec_info info;
    mc_exec_get_info(n->exec, &info);
    int rc = mc_buf_printf(
        out,
        "# TYPE medchain_height gauge\nmedchain_height %llu\n"
        "# TYPE medchain_blocks_applied_total counter\nmedchain_blocks_applied_total %llu\n"
        "# TYPE medchain_txs_applied_total counter\nmedchain_txs_applied_total %llu\n"
        "# TYPE medchain_batches_skipped_total counter\nmedchain_batches_skipped_total %llu\n"
        "# TYPE medchain_batches_submitted_total counter\nmedchain_batches_submitted_total %llu\n"
        "# TYPE medchain_txs_admitted_total counter\nmedchain_txs_admitted_total %llu\n"
        "# TYPE medchain_txs_rejected_total counter\nmedchain_txs_rejected_total %llu\n"
        "# TYPE medchain_mempool_size gauge\nmedchain_mempool_size %zu\n"
        "# TYPE medchain_block_apply_seconds_total counter\nmedchain_block_apply_seconds_total %g\n"
        "# TYPE medchain_batch_submit_seconds_total counter\nmedchain_batch_submit_seconds_total %g\n"
        "# HELP medchain_halted 1 when the node stopped applying blocks (see /v1/status).\n"
        "# TYPE medchain_halted gauge\nmedchain_halted %d\n"
        "# TYPE medchain_certified_height gauge\nmedchain_certified_height %llu\n"
        "# HELP medchain_alarm 1 when a quorum of validators certified another header than this node's.\n"
        "# TYPE medchain_alarm gauge\nmedchain_alarm %d\n"
        "# TYPE medchain_attestations_made_total counter\nmedchain_attestations_made_total %llu\n"
        "# TYPE medchain_attestations_received_total counter\nmedchain_attestations_received_total %llu\n",
        (unsigned long long)info.height, (unsigned long long)atomic_load(&n->blocks),
        (unsigned long long)atomic_load(&n->txs_applied),
        (unsigned long long)atomic_load(&n->batches_skipped),
        (unsigned long long)atomic_load(&n->batches_submitted), (unsigned long long)atomic_load(&n->admitted),
        (unsigned long long)atomic_load(&n->rejected), mc_mempool_size(&n->mp),
        atomic_load(&n->apply_us) / 1e6, atomic_load(&n->submit_us) / 1e6, atomic_load(&n->halted),
        (unsigned long long)atomic_load(&n->certified), atomic_load(&n->alarm),
        (unsigned long long)atomic_load(&n->attests_made),
        (unsigned long long)atomic_load(&n->attests_received));
    (void)rc;
}

/* Reads the genesis config, applies it on a new store or checks it on an old one. */
static int mc_node_genesis(mc_node *n, char *err, size_t nerr)
{
    mc_buf g;
    mc_buf_init(&g, 1u << 20);
    int rc = mc_file_read(n->cfg.genesis, &g);
    if (rc) {
        mc_errf(err, nerr, "cannot read genesis file %s: %s", n->cfg.genesis, mc_strerror(rc));
        goto out;
    }
    mc_genesis *gen = malloc(sizeof *gen);
    if (!gen || mc_genesis_decode(gen, g.p, g.n)) {
        mc_errf(err, nerr, "%s is not a medchain genesis config", n->cfg.genesis);
        free(gen);
        rc = MC_EINVAL;
        goto out;
    }
    snprintf(n->chain_name, sizeof n->chain_name, "%s", gen->name);
    free(gen);
    /* a node that is no validator yet (a new member's, before its admission is on the chain
     * it syncs) follows: it applies and serves blocks, but neither proposes nor attests */
    mc_node_attest_init(n);
    mc_genesis_chain_id(&n->chain, g.p, g.n);
    rc = mc_exec_genesis(n->exec, g.p, g.n);
    if (rc)
        mc_errf(err, nerr,
                rc == MC_EINVAL ? "the data directory holds a different chain"
                                : "applying genesis failed: %s",
                mc_strerror(rc));
out:
    mc_buf_free(&g);
    return rc;
}

/* The etcd orderer from the etcd_* settings; the prefix defaults to the chain's. */
static int mc_node_open_etcd(mc_node *n, char *err, size_t nerr)
{
    char list[sizeof n->cfg.etcd_endpoints], prefix[160], *save = NULL;
    const char *eps[16];
    size_t nep = 0;
    snprintf(list, sizeof list, "%s", n->cfg.etcd_endpoints);
    for (char *t = strtok_r(list, ", ", &save); t && nep < 16; t = strtok_r(NULL, ", ", &save))
        eps[nep++] = t;
    if (!n->cfg.etcd_prefix[0]) {
        char hex[65];
        mc_hex_encode(hex, n->chain.b, 32);
        snprintf(prefix, sizeof prefix, "/medchain/%s/batches/", hex);
    }
    mc_etcd_opts eo = {.endpoints = eps,
                       .nendpoints = nep,
                       .prefix = n->cfg.etcd_prefix[0] ? n->cfg.etcd_prefix : prefix,
                       .ca = n->cfg.etcd_ca[0] ? n->cfg.etcd_ca : NULL,
                       .cert = n->cfg.etcd_cert[0] ? n->cfg.etcd_cert : NULL,
                       .key = n->cfg.etcd_key[0] ? n->cfg.etcd_key : NULL,
                       .timeout_ms = (int)n->cfg.etcd_timeout_ms,
                       .max_batch = n->cfg.etcd_max_batch_bytes};
    int rc = mc_orderer_etcd_open(&n->orderer, &eo);
    if (rc)
        mc_errf(err, nerr, "cannot use the etcd orderer (etcd_endpoints '%s', prefix '%s'): %s",
                n->cfg.etcd_endpoints, eo.prefix, mc_strerror(rc));
    else
        mc_log(MC_LOG_INFO, "node", "orderer: etcd at %s, prefix %s", n->cfg.etcd_endpoints, eo.prefix);
    return rc;
}

static int mc_node_open(mc_node *n, char *err, size_t nerr)
{
    char pass[1024], path[1100];
    int rc = mc_passphrase_load(n->cfg.passphrase_file, pass, sizeof pass);
    if (rc) {
        mc_errf(err, nerr, "no passphrase for the node key (set passphrase_file or MEDCHAIN_PASSPHRASE)");
        return MC_EINVAL;
    }
    rc = mc_keyfile_read(n->cfg.node_key, pass, &n->keys);
    if (rc) {
        mc_wipe(pass, sizeof pass);
        mc_errf(err, nerr, "cannot open node key %s: %s", n->cfg.node_key, mc_strerror(rc));
        return rc;
    }
    snprintf(path, sizeof path, "%s/store", n->cfg.data_dir);
    mc_store_opts so = {.map_size = (uint64_t)n->cfg.map_size_mb << 20};
    if ((rc = mc_store_open(&n->store, path, &so))) {
        mc_wipe(pass, sizeof pass);
        mc_errf(err, nerr, "cannot open store in %s: %s", path, mc_strerror(rc));
        return rc;
    }
    rc = mc_node_release_load(n, pass, err, nerr); /* the data dir exists now */
    mc_wipe(pass, sizeof pass);
    if (rc) return rc;
    if ((rc = mc_sigcache_new(&n->sigcache, 1u << 18))) return rc;
    snprintf(path, sizeof path, "%s/blobs", n->cfg.data_dir);
    mc_blob_opts bo = {.max_bytes = n->cfg.max_content};
    if ((rc = mc_store_blob_open(&n->blobs, path, &bo))) {
        mc_errf(err, nerr, "cannot open the blob store in %s: %s", path, mc_strerror(rc));
        return rc;
    }
    mc_exec_opts xo = {.sigcache = n->sigcache,
                       .verify_threads = n->cfg.verify_threads,
                       .on_block = mc_node_on_block,
                       .on_block_arg = n};
    if ((rc = mc_exec_open(&n->exec, n->store, &xo))) {
        mc_errf(err, nerr, "cannot read the chain in %s: %s", path, mc_strerror(rc));
        return rc;
    }
    if ((rc = mc_node_genesis(n, err, nerr))) return rc;
    if (!strcmp(n->cfg.orderer, "etcd")) return mc_node_open_etcd(n, err, nerr);
    snprintf(path, sizeof path, "%s/orderer", n->cfg.data_dir);
    if ((rc = mc_orderer_solo_open(&n->orderer, path))) {
        mc_errf(err, nerr, "cannot open the solo orderer log in %s: %s", path, mc_strerror(rc));
        return rc;
    }
    return MC_OK;
}

static int mc_node_listen(mc_node *n, char *err, size_t nerr)
{
    char host[128];
    snprintf(host, sizeof host, "%s", n->cfg.listen);
    char *colon = strrchr(host, ':');
    uint64_t port;
    if (!colon || mc_parse_u64(colon + 1, &port) || port > 65535) {
        mc_errf(err, nerr, "listen must be host:port");
        return MC_EINVAL;
    }
    *colon = 0;
    mc_api_opts ao = {.bind = host,
                      .port = (uint16_t)port,
                      .max_body = n->cfg.max_body_bytes,
                      .max_content = n->cfg.max_content,
                      .max_conns = n->cfg.max_connections,
                      .skew_ms = n->cfg.clock_skew_ms,
                      .max_txs = n->cfg.max_txs_per_request,
                      .default_timeout_ms = (int)n->cfg.wait_timeout_ms,
                      .access_rate = n->cfg.access_rate,
                      .access_burst = n->cfg.access_burst,
                      .read_rate = n->cfg.read_rate,
                      .read_burst = n->cfg.read_burst,
                      .tls_cert = n->cfg.tls_cert[0] ? n->cfg.tls_cert : NULL,
                      .tls_key = n->cfg.tls_key[0] ? n->cfg.tls_key : NULL};
    mc_api_backend be = {.ctx = n,
                         .store = n->store,
                         .chain = n->chain,
                         .submit = mc_node_submit,
                         .status = mc_node_status,
                         .metrics = mc_node_metrics,
                         .log_tx = mc_node_log_tx,
                         .release_sk = n->release_sk,
                         .release_pk = n->release_pk,
                         .nrelease = n->nrelease,
                         .wait_tip = mc_node_wait_tip,
                         .blobs = n->blobs,
                         .sigcache = n->sigcache,
                         .alarmed = mc_node_alarmed};
    memcpy(be.node.b, n->keys.id.b, 32);
    int rc = mc_api_start(&n->api, &ao, &be);
    if (rc) {
        mc_errf(err, nerr, "cannot listen on %s: %s", n->cfg.listen, mc_strerror(rc));
        return rc;
    }
    return MC_OK;
}

/* The port file says the node is up: written last. */
static int mc_node_port_file(mc_node *n, char *err, size_t nerr)
{
    if (!n->cfg.port_file[0]) return MC_OK;
    char buf[16];
    int len = snprintf(buf, sizeof buf, "%u\n", mc_api_port(n->api));
    int rc = mc_file_write_atomic(n->cfg.port_file, buf, (size_t)len, 0644);
    if (rc) mc_errf(err, nerr, "cannot write port file %s", n->cfg.port_file);
    return rc;
}

int mc_node_start(mc_node **pp, const mc_node_config *cfg, char *err, size_t nerr)
{
    *pp = NULL;
    err[0] = 0;
    mc_node *n = calloc(1, sizeof *n);
    if (!n) return MC_ENOMEM;
    n->cfg = *cfg;
    n->batch_seq = mc_time_mono_ns();
    pthread_mutex_init(&n->flight_lock, NULL);
    pthread_cond_init(&n->flight_cond, NULL);
    mc_node_tip_init(n);
    int rc = mc_mempool_init(&n->mp, cfg->mempool_max, (size_t)cfg->mempool_max_mb << 20);
    if (!rc) rc = mc_node_open(n, err, nerr);
    if (!rc) rc = mc_node_tip_load(n);
    if (!rc) rc = mc_node_attest_load(n);
    if (!rc) mc_node_refresh_role(n);
    if (!rc && pthread_create(&n->applier, NULL, mc_applier_main, n) == 0) n->applier_started = 1;
    if (!rc && pthread_create(&n->batcher, NULL, mc_batcher_main, n) == 0) n->batcher_started = 1;
    if (!rc && (!n->applier_started || !n->batcher_started)) rc = MC_ENOMEM;
    if (!rc) rc = mc_node_attest_start(n);
    if (!rc) rc = mc_node_log_start(n);
    if (!rc) rc = mc_node_listen(n, err, nerr);
    if (!rc) rc = mc_node_release_start(n, err, nerr);
    if (!rc) rc = mc_node_port_file(n, err, nerr);
    if (rc) {
        if (!err[0]) mc_errf(err, nerr, "start-up failed: %s", mc_strerror(rc));
        mc_node_stop(n);
        return rc;
    }
    mc_exec_info info;
    mc_exec_get_info(n->exec, &info);
    char chain[17];
    mc_hex_encode(chain, n->chain.b, 8);
    mc_log(MC_LOG_INFO, "node", "started: chain %s, height %llu, orderer %s, listening on port %u", chain,
           (unsigned long long)info.height, cfg->orderer, mc_api_port(n->api));
    n->running = 1;
    *pp = n;
    return MC_OK;
}

uint16_t mc_node_port(const mc_node *n)
{
    return n->api ? mc_api_port(n->api) : 0;
}

void mc_node_stop(mc_node *n)
{
    if (!n) return;
    if (n->running) mc_log(MC_LOG_INFO, "node", "stopping: ordering and applying what was admitted");
    mc_node_tip_moved(n, 0, 1); /* event streams end now: the api's stop joins their threads */
    mc_mempool_close(&n->mp);
    pthread_mutex_lock(&n->flight_lock);
    pthread_cond_broadcast(&n->flight_cond);
    pthread_mutex_unlock(&n->flight_lock);
    if (n->batcher_started) pthread_join(n->batcher, NULL);
    atomic_store(&n->batcher_done, 1);
    atomic_store(&n->stop_applier, 1);
    if (n->applier_started) pthread_join(n->applier, NULL);
    mc_mempool_drain(&n->mp);
    mc_node_release_stop(n); /* it may wait on the log signer: before the api and the signer stop */
    mc_api_stop(n->api);
    mc_node_log_stop(n); /* after the api: no request waits on the log signer any more */
    mc_node_attest_stop(n);
    mc_orderer_close(n->orderer);
    mc_exec_free(n->exec);
    mc_store_close(n->store);
    mc_store_blob_close(n->blobs);
    mc_sigcache_free(n->sigcache);
    mc_mempool_destroy(&n->mp);
    mc_wipe(&n->keys, sizeof n->keys);
    mc_wipe(n->release_sk, sizeof n->release_sk);
    pthread_cond_destroy(&n->flight_cond);
    pthread_mutex_destroy(&n->flight_lock);
    mc_node_tip_destroy(n);
    mc_node_attest_destroy(n);
    if (n->running) mc_log(MC_LOG_INFO, "node", "stopped");
    free(n);
}
