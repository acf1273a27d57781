/*
 * The etcd orderer against real etcd processes: order, idempotent resubmission, two nodes'
 * handles seeing one sequence, resuming from a position, compaction, bad arguments, quorum
 * loss in a 3-member cluster (fail fast, nothing acknowledged lost, all resumes), and a
 * medchaind with orderer = etcd committing transactions across a restart.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "etcdtest.h"
#include "medchain/crypto.h"
#include "medchain/orderer.h"
#include "testnet.h"

#define EO_MAX 64

/* One test's cluster and a fresh prefix of its own. */
typedef struct {
    et_cluster c;
    char prefix[96];
    const char *eps[ET_MAX_MEMBERS];
} eo_world;

static void eo_world_start(eo_world *w, unsigned members)
{
    if (!et_binary()) fail_msg("etcd is not installed (/usr/bin/etcd from etcd-server): run scripts/setup");
    assert_int_equal(mc_crypto_init(), MC_OK);
    assert_int_equal(et_start(&w->c, members), MC_OK);
    uint8_t r[8];
    char hex[17];
    mc_random(r, sizeof r);
    mc_hex_encode(hex, r, sizeof r);
    snprintf(w->prefix, sizeof w->prefix, "/medchain-test/%s/batches/", hex);
    for (unsigned i = 0; i < members; i++) w->eps[i] = w->c.url[i];
}

static mc_orderer *eo_open(eo_world *w, int timeout_ms)
{
    mc_etcd_opts o = {
        .endpoints = w->eps, .nendpoints = w->c.n, .prefix = w->prefix, .timeout_ms = timeout_ms};
    mc_orderer *ord = NULL;
    assert_int_equal(mc_orderer_etcd_open(&ord, &o), MC_OK);
    assert_non_null(ord);
    return ord;
}

/* Batch @p i: recognisable bytes of a length that varies with i, never empty. */
static size_t eo_batch(uint8_t *out, unsigned tag, unsigned i)
{
    size_t n = 1 + (i * 37u) % 700u;
    for (size_t k = 0; k < n; k++) out[k] = (uint8_t)(tag * 131u + i * 7u + k);
    return n;
}

/* Reads everything after @p from until a wait of @p idle_ms finds nothing: hashes and positions. */
static size_t eo_read_all(mc_orderer *o, const mc_orderer_pos *from, mc_hash *hashes, mc_orderer_pos *poss,
                          size_t cap, int idle_ms)
{
    mc_orderer_pos pos = {0};
    if (from) pos = *from;
    mc_buf b;
    mc_buf_init(&b, MC_MAX_BATCH_BYTES);
    size_t n = 0;
    for (;;) {
        mc_orderer_pos next;
        int rc = mc_orderer_next(o, &pos, &b, &next, idle_ms);
        if (rc == MC_ETIMEDOUT) break;
        assert_int_equal(rc, MC_OK);
        assert_int_equal(next.n, 8);
        if (pos.n) assert_true(mc_get_u64be(next.b) > mc_get_u64be(pos.b)); /* revisions only grow */
        assert_true(n < cap);
        mc_sha256(&hashes[n], b.p, b.n);
        if (poss) poss[n] = next;
        n++;
        pos = next;
    }
    mc_buf_free(&b);
    return n;
}

static void test_round_trip_in_order(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    mc_orderer *o = eo_open(&w, 3000);
    uint8_t b[1024];
    mc_hash want[10], got[EO_MAX];
    for (unsigned i = 0; i < 10; i++) {
        size_t n = eo_batch(b, 1, i);
        mc_sha256(&want[i], b, n);
        assert_int_equal(mc_orderer_submit(o, b, n), MC_OK);
    }
    assert_int_equal(eo_read_all(o, NULL, got, NULL, EO_MAX, 300), 10);
    for (unsigned i = 0; i < 10; i++) assert_memory_equal(got[i].b, want[i].b, 32);
    /* reading again from the start gives the same sequence, one batch per call */
    mc_orderer_pos none = {0}, pos;
    mc_buf buf;
    mc_buf_init(&buf, MC_MAX_BATCH_BYTES);
    assert_int_equal(mc_orderer_next(o, &none, &buf, &pos, 1000), MC_OK);
    mc_orderer_pos last = pos;
    for (unsigned i = 1; i < 10; i++) assert_int_equal(mc_orderer_next(o, &last, &buf, &last, 1000), MC_OK);
    assert_int_equal(mc_orderer_next(o, &last, &buf, &pos, 200), MC_ETIMEDOUT);
    mc_orderer_close(o);
    mc_buf_free(&buf);
    et_destroy(&w.c);
}

static void test_same_batch_ordered_once(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    mc_orderer *o = eo_open(&w, 3000), *o2 = eo_open(&w, 3000);
    uint8_t b[1024];
    size_t n = eo_batch(b, 2, 5);
    assert_int_equal(mc_orderer_submit(o, b, n), MC_OK);
    assert_int_equal(mc_orderer_submit(o, b, n), MC_OK);  /* a retry */
    assert_int_equal(mc_orderer_submit(o2, b, n), MC_OK); /* the same batch from a restarted node */
    size_t n2 = eo_batch(b, 2, 6);
    assert_int_equal(mc_orderer_submit(o2, b, n2), MC_OK);
    mc_hash got[EO_MAX];
    assert_int_equal(eo_read_all(o, NULL, got, NULL, EO_MAX, 300), 2);
    mc_orderer_close(o);
    mc_orderer_close(o2);
    et_destroy(&w.c);
}

typedef struct {
    mc_orderer *o;
    unsigned tag;
} eo_submitter;

static void *eo_submit_thread(void *arg)
{
    eo_submitter *s = arg;
    uint8_t b[1024];
    for (unsigned i = 0; i < 20; i++) {
        size_t n = eo_batch(b, s->tag, i);
        if (mc_orderer_submit(s->o, b, n) != MC_OK) return (void *)1;
    }
    return NULL;
}

static void test_two_nodes_one_sequence(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    mc_orderer *a = eo_open(&w, 3000), *b = eo_open(&w, 3000);
    eo_submitter sa = {a, 10}, sb = {b, 11};
    pthread_t ta, tb;
    void *ra, *rb;
    pthread_create(&ta, NULL, eo_submit_thread, &sa);
    pthread_create(&tb, NULL, eo_submit_thread, &sb);
    pthread_join(ta, &ra);
    pthread_join(tb, &rb);
    assert_null(ra);
    assert_null(rb);
    static mc_hash ha[EO_MAX], hb[EO_MAX];
    assert_int_equal(eo_read_all(a, NULL, ha, NULL, EO_MAX, 300), 40);
    assert_int_equal(eo_read_all(b, NULL, hb, NULL, EO_MAX, 300), 40);
    assert_memory_equal(ha, hb, sizeof(mc_hash) * 40);
    mc_orderer_close(a);
    mc_orderer_close(b);
    et_destroy(&w.c);
}

static void test_resume_after_reopen(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    mc_orderer *o = eo_open(&w, 3000);
    uint8_t b[1024];
    for (unsigned i = 0; i < 6; i++) assert_int_equal(mc_orderer_submit(o, b, eo_batch(b, 3, i)), MC_OK);
    mc_hash all[EO_MAX], rest[EO_MAX];
    mc_orderer_pos pos[EO_MAX];
    assert_int_equal(eo_read_all(o, NULL, all, pos, EO_MAX, 300), 6);
    mc_orderer_close(o);
    /* a node that applied three batches stored pos[2] with its block: it resumes right after */
    o = eo_open(&w, 3000);
    assert_true(pos[2].n <= MC_ORDERER_POS_MAX);
    assert_int_equal(eo_read_all(o, &pos[2], rest, NULL, EO_MAX, 300), 3);
    assert_memory_equal(rest, all + 3, sizeof(mc_hash) * 3);
    mc_orderer_close(o);
    et_destroy(&w.c);
}

static void test_compacted_history_is_stale(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    mc_orderer *o = eo_open(&w, 3000);
    uint8_t b[1024];
    for (unsigned i = 0; i < 4; i++) assert_int_equal(mc_orderer_submit(o, b, eo_batch(b, 4, i)), MC_OK);
    mc_hash h[EO_MAX];
    mc_orderer_pos pos[EO_MAX];
    assert_int_equal(eo_read_all(o, NULL, h, pos, EO_MAX, 300), 4);
    /* compact etcd's history at the last batch's revision */
    char req[128], resp[4096];
    snprintf(req, sizeof req, "{\"revision\":\"%llu\",\"physical\":true}",
             (unsigned long long)mc_get_u64be(pos[3].b));
    assert_int_equal(et_call(&w.c, "kv/compaction", req, resp, sizeof resp), MC_OK);
    /* a node still at the first batch cannot derive the rest from etcd any more */
    mc_buf buf;
    mc_buf_init(&buf, MC_MAX_BATCH_BYTES);
    mc_orderer_pos next;
    assert_int_equal(mc_orderer_next(o, &pos[0], &buf, &next, 1000), MC_ESTALE);
    /* a node at the compaction point follows on */
    assert_int_equal(mc_orderer_next(o, &pos[3], &buf, &next, 200), MC_ETIMEDOUT);
    assert_int_equal(mc_orderer_submit(o, b, eo_batch(b, 4, 9)), MC_OK);
    assert_int_equal(mc_orderer_next(o, &pos[3], &buf, &next, 1000), MC_OK);
    mc_orderer_close(o);
    mc_buf_free(&buf);
    et_destroy(&w.c);
}

/* The number of batch keys under the world's prefix. */
static unsigned eo_count_keys(eo_world *w)
{
    char k64[200], e64[200], end[96], req[600], resp[4096];
    size_t n = strlen(w->prefix);
    memcpy(end, w->prefix, n);
    end[n - 1] = (char)(end[n - 1] + 1);
    mc_base64_encode(k64, w->prefix, n);
    mc_base64_encode(e64, end, n);
    snprintf(req, sizeof req, "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true}", k64, e64);
    assert_int_equal(et_call(&w->c, "kv/range", req, resp, sizeof resp), MC_OK);
    const char *c = strstr(resp, "\"count\":\"");
    return c ? (unsigned)atoi(c + 9) : 0;
}

static void test_compact_below_a_position(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    mc_orderer *o = eo_open(&w, 3000), *reader = eo_open(&w, 3000);
    uint8_t b[1024];
    for (unsigned i = 0; i < 6; i++) assert_int_equal(mc_orderer_submit(o, b, eo_batch(b, 8, i)), MC_OK);
    mc_hash h[EO_MAX], rest[EO_MAX];
    mc_orderer_pos pos[EO_MAX];
    assert_int_equal(eo_read_all(reader, NULL, h, pos, EO_MAX, 300), 6);
    /* a reader following live while the compaction happens sees no deletion as a batch */
    assert_int_equal(mc_orderer_compact(o, &pos[3]), MC_OK);
    assert_int_equal(eo_count_keys(&w), 2);
    assert_int_equal(eo_read_all(reader, &pos[5], rest, NULL, EO_MAX, 300), 0);
    /* below the point: gone, even right below it; from the point on: the rest, then live */
    mc_buf buf;
    mc_buf_init(&buf, MC_MAX_BATCH_BYTES);
    mc_orderer_pos next, none = {0}, below = pos[3];
    mc_put_u64be(below.b, mc_get_u64be(pos[3].b) - 1);
    assert_int_equal(mc_orderer_next(o, &pos[0], &buf, &next, 1000), MC_ESTALE);
    assert_int_equal(mc_orderer_next(o, &pos[0], &buf, &next, 1000), MC_ESTALE); /* and stays so */
    assert_int_equal(mc_orderer_next(o, &below, &buf, &next, 1000), MC_ESTALE);
    assert_int_equal(mc_orderer_next(o, &none, &buf, &next, 1000), MC_ESTALE);
    assert_int_equal(eo_read_all(o, &pos[3], rest, NULL, EO_MAX, 300), 2);
    assert_memory_equal(rest, h + 4, sizeof(mc_hash) * 2);
    assert_int_equal(mc_orderer_submit(o, b, eo_batch(b, 8, 9)), MC_OK);
    assert_int_equal(eo_read_all(o, &pos[3], rest, NULL, EO_MAX, 300), 3);
    assert_int_equal(eo_read_all(reader, &pos[5], rest, NULL, EO_MAX, 300), 1);
    /* again at the same point, or below it: nothing to do */
    assert_int_equal(mc_orderer_compact(o, &pos[3]), MC_OK);
    assert_int_equal(mc_orderer_compact(o, &pos[1]), MC_OK);
    assert_int_equal(eo_count_keys(&w), 3);
    /* bad arguments; solo has nothing to compact */
    mc_orderer_pos solo = {.n = 16}, zero = {.n = 8};
    assert_int_equal(mc_orderer_compact(o, &solo), MC_EINVAL);
    assert_int_equal(mc_orderer_compact(o, &zero), MC_EINVAL);
    assert_int_equal(mc_orderer_compact(o, NULL), MC_EINVAL);
    assert_int_equal(mc_orderer_compact(NULL, &pos[3]), MC_EINVAL);
    char dir[] = "/tmp/medchain-eo-solo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    mc_orderer *s;
    assert_int_equal(mc_orderer_solo_open(&s, dir), MC_OK);
    assert_int_equal(mc_orderer_compact(s, &pos[3]), MC_ENOTFOUND);
    mc_orderer_close(s);
    char *rm[] = {"rm", "-rf", dir, NULL};
    tn_run(rm, NULL);
    mc_orderer_close(reader);
    mc_orderer_close(o);
    mc_buf_free(&buf);
    et_destroy(&w.c);
}

static int eo_collect(void *arg, const char *name, const uint8_t *p, size_t n)
{
    char *out = arg;
    size_t k = strlen(out);
    snprintf(out + k, 512 - k, "%s=%.*s;", name, (int)n, (const char *)p);
    return 0;
}

/* Several side-channel values in one transaction: all there, and nothing when one is bad; a
 * range of names read in one request. */
static void test_publish_many(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    mc_orderer *o = eo_open(&w, 3000);
    mc_orderer_kv kvs[3] = {{"attest/01/a", "x", 1}, {"attest/02/a", "yy", 2}, {"attest/02/b", "", 0}};
    assert_int_equal(mc_orderer_publish_many(o, kvs, 3), MC_OK);
    assert_int_equal(mc_orderer_publish(o, "attest/03/a", "z", 1), MC_OK);
    char got[512] = "";
    assert_int_equal(mc_orderer_fetch(o, "attest/", eo_collect, got), MC_OK);
    assert_string_equal(got, "attest/01/a=x;attest/02/a=yy;attest/02/b=;attest/03/a=z;");
    /* a range of names: heights 02 to 03, the end excluded */
    got[0] = 0;
    assert_int_equal(mc_orderer_fetch_range(o, "attest/02/", "attest/03/", eo_collect, got), MC_OK);
    assert_string_equal(got, "attest/02/a=yy;attest/02/b=;");
    got[0] = 0;
    assert_int_equal(mc_orderer_fetch_range(o, "attest/01/b", "attest/09/", eo_collect, got), MC_OK);
    assert_string_equal(got, "attest/02/a=yy;attest/02/b=;attest/03/a=z;");
    assert_int_equal(mc_orderer_fetch_range(o, "attest/03/", "attest/02/", eo_collect, got), MC_EINVAL);
    assert_int_equal(mc_orderer_fetch_range(o, "attest/02/", "attest/02/", eo_collect, got), MC_EINVAL);
    assert_int_equal(mc_orderer_fetch_range(o, "attest/02/", "../", eo_collect, got), MC_EINVAL);
    assert_int_equal(mc_orderer_fetch_range(o, "attest/02/", "attest/03/", NULL, got), MC_EINVAL);
    mc_orderer_kv bad[2] = {{"attest/04/a", "v", 1}, {"../x", "v", 1}};
    assert_int_equal(mc_orderer_publish_many(o, bad, 2), MC_EINVAL);
    got[0] = 0;
    assert_int_equal(mc_orderer_fetch(o, "attest/04/", eo_collect, got), MC_OK);
    assert_string_equal(got, "");
    assert_int_equal(mc_orderer_publish_many(o, kvs, 0), MC_EINVAL);
    assert_int_equal(mc_orderer_publish_many(o, kvs, MC_ORDERER_PUBLISH_MAX + 1), MC_EINVAL);
    assert_int_equal(mc_orderer_publish_many(o, NULL, 1), MC_EINVAL);
    assert_int_equal(mc_orderer_publish_many(NULL, kvs, 1), MC_EINVAL);
    /* nothing of it under the batch prefix: no batch */
    mc_hash h[EO_MAX];
    assert_int_equal(eo_read_all(o, NULL, h, NULL, EO_MAX, 300), 0);
    mc_orderer_close(o);
    et_destroy(&w.c);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(mc_net_init(), MC_OK);
    mc_orderer *o = (mc_orderer *)1;
    const char *good[] = {"http://127.0.0.1:1"}, *bad[] = {"ftp://127.0.0.1:1"};
    mc_etcd_opts opts = {.endpoints = good, .nendpoints = 1, .prefix = "/p/"};
    opts.nendpoints = 0;
    assert_int_equal(mc_orderer_etcd_open(&o, &opts), MC_EINVAL);
    assert_null(o);
    opts.nendpoints = 1;
    opts.prefix = "/no-slash";
    assert_int_equal(mc_orderer_etcd_open(&o, &opts), MC_EINVAL);
    opts.prefix = "";
    assert_int_equal(mc_orderer_etcd_open(&o, &opts), MC_EINVAL);
    opts.prefix = "/p/";
    opts.endpoints = bad;
    assert_int_equal(mc_orderer_etcd_open(&o, &opts), MC_EINVAL);
    opts.endpoints = good;
    opts.cert = "cert.pem"; /* a certificate without its key */
    assert_int_equal(mc_orderer_etcd_open(&o, &opts), MC_EINVAL);
    opts.cert = NULL;
    assert_int_equal(mc_orderer_etcd_open(&o, NULL), MC_EINVAL);
    /* nothing listens on port 1: refused at once, never acknowledged; a reader waits */
    opts.max_batch = 4096;
    assert_int_equal(mc_orderer_etcd_open(&o, &opts), MC_OK);
    assert_int_equal(mc_orderer_max_batch(o), 4096);
    static uint8_t big[4097];
    assert_int_equal(mc_orderer_submit(o, big, sizeof big), MC_ETOOBIG);
    uint64_t t0 = mc_time_mono_ns();
    assert_int_equal(mc_orderer_submit(o, big, 10), MC_EUNAVAIL);
    assert_true(mc_time_mono_ns() - t0 < 3500000000ull);
    mc_buf buf;
    mc_buf_init(&buf, MC_MAX_BATCH_BYTES);
    mc_orderer_pos solo = {.n = 16}, pos, none = {0};
    assert_int_equal(mc_orderer_next(o, &solo, &buf, &pos, 10), MC_EINVAL); /* another backend's */
    assert_int_equal(mc_orderer_next(o, &none, &buf, &pos, -1), MC_EINVAL);
    assert_int_equal(mc_orderer_next(o, &none, &buf, &pos, 100), MC_ETIMEDOUT);
    mc_orderer_close(o);
    mc_buf_free(&buf);
}

static void test_quorum_loss_fails_fast(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 3);
    mc_orderer *o = eo_open(&w, 2000);
    uint8_t b[1024];
    mc_hash acked[EO_MAX], unacked[EO_MAX], got[EO_MAX];
    size_t nacked = 0, nunacked = 0;
    unsigned i = 0;
    for (; i < 5; i++) {
        size_t n = eo_batch(b, 5, i);
        assert_int_equal(mc_orderer_submit(o, b, n), MC_OK);
        mc_sha256(&acked[nacked++], b, n);
    }
    /* a reader following live on member 0: its stream fails over with it, from where it was */
    mc_orderer *r = eo_open(&w, 2000);
    static mc_orderer_pos poss[EO_MAX];
    assert_int_equal(eo_read_all(r, NULL, got, poss, EO_MAX, 300), 5);
    mc_orderer_pos at = poss[4];
    /* one member down: the others are a quorum; the handle moves to another endpoint. If the
     * member was the leader, puts wait for an election (1 to 2 s here), so a submit may be
     * refused meanwhile; retried (the same batch: idempotent), it goes through */
    et_kill(&w.c, 0);
    for (; i < 10; i++) {
        size_t n = eo_batch(b, 5, i);
        int src = MC_EUNAVAIL;
        for (int tries = 0; tries < 3 && src == MC_EUNAVAIL; tries++) src = mc_orderer_submit(o, b, n);
        assert_int_equal(src, MC_OK);
        mc_sha256(&acked[nacked++], b, n);
    }
    /* two down: no quorum; refused within a few seconds, and not acknowledged */
    et_kill(&w.c, 1);
    for (int k = 0; k < 2; k++, i++) {
        size_t n = eo_batch(b, 5, i);
        uint64_t t0 = mc_time_mono_ns();
        assert_int_equal(mc_orderer_submit(o, b, n), MC_EUNAVAIL);
        assert_true(mc_time_mono_ns() - t0 < 5000000000ull);
        mc_sha256(&unacked[nunacked++], b, n);
    }
    /* a reader waits rather than fails; it keeps its position (one stream, reopened on the
     * members that are left, and later on those that come back) */
    mc_buf buf;
    mc_buf_init(&buf, MC_MAX_BATCH_BYTES);
    size_t ngot = 5;
    int rc;
    while ((rc = mc_orderer_next(r, &at, &buf, &at, 300)) == MC_OK) mc_sha256(&got[ngot++], buf.p, buf.n);
    assert_int_equal(rc, MC_ETIMEDOUT);
    /* both back: everything acknowledged is there, in order, and ordering goes on */
    assert_int_equal(et_restart(&w.c, 0), MC_OK);
    assert_int_equal(et_restart(&w.c, 1), MC_OK);
    assert_int_equal(et_wait_healthy(&w.c, 2, 30000), MC_OK);
    for (int k = 0; k < 3; k++, i++) {
        size_t n = eo_batch(b, 5, i);
        int src = MC_EUNAVAIL;
        for (int tries = 0; tries < 10 && src == MC_EUNAVAIL; tries++) src = mc_orderer_submit(o, b, n);
        assert_int_equal(src, MC_OK);
        mc_sha256(&acked[nacked++], b, n);
    }
    ngot += eo_read_all(r, &at, got + ngot, NULL, EO_MAX - ngot, 500);
    /* the acknowledged batches appear in the order acknowledged; a refused one may appear (its
     * outcome was unknown to the submitter), at most once */
    size_t k = 0, extra = 0;
    for (size_t g = 0; g < ngot; g++) {
        if (k < nacked && memcmp(got[g].b, acked[k].b, 32) == 0) {
            k++;
            continue;
        }
        int known = 0;
        for (size_t u = 0; u < nunacked; u++) known |= memcmp(got[g].b, unacked[u].b, 32) == 0;
        assert_true(known);
        extra++;
    }
    assert_int_equal(k, nacked);
    assert_true(extra <= nunacked);
    mc_orderer_close(o);
    mc_orderer_close(r);
    mc_buf_free(&buf);
    et_destroy(&w.c);
}

/* https with client certificates: with the CA and a certificate it orders; without, refused. */
static void test_tls_client_certificates(void **state)
{
    (void)state;
    eo_world w;
    assert_int_equal(mc_crypto_init(), MC_OK);
    assert_int_equal(et_start_tls(&w.c, 1), MC_OK);
    snprintf(w.prefix, sizeof w.prefix, "/medchain-test/tls/batches/");
    w.eps[0] = w.c.url[0];
    assert_true(strncmp(w.c.url[0], "https://", 8) == 0);
    mc_etcd_opts opts = {.endpoints = w.eps,
                         .nendpoints = 1,
                         .prefix = w.prefix,
                         .ca = w.c.ca,
                         .cert = w.c.cert,
                         .key = w.c.key,
                         .timeout_ms = 3000};
    mc_orderer *o, *anon;
    assert_int_equal(mc_orderer_etcd_open(&o, &opts), MC_OK);
    uint8_t b[1024];
    size_t n = eo_batch(b, 7, 1);
    assert_int_equal(mc_orderer_submit(o, b, n), MC_OK);
    mc_hash got[EO_MAX], want;
    mc_sha256(&want, b, n);
    assert_int_equal(eo_read_all(o, NULL, got, NULL, EO_MAX, 300), 1);
    assert_memory_equal(got[0].b, want.b, 32);
    opts.cert = opts.key = NULL; /* the server asks for a client certificate */
    assert_int_equal(mc_orderer_etcd_open(&anon, &opts), MC_OK);
    assert_int_equal(mc_orderer_submit(anon, b, eo_batch(b, 7, 2)), MC_EUNAVAIL);
    mc_orderer_close(anon);
    mc_orderer_close(o);
    et_destroy(&w.c);
}

static void test_medchaind_with_etcd(void **state)
{
    (void)state;
    eo_world w;
    eo_world_start(&w, 1);
    tn_chain c;
    assert_int_equal(tn_create(&c, 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    char eps[600];
    snprintf(eps, sizeof eps, "etcd_endpoints=%s", w.c.endpoints);
    const char *settings[] = {"orderer=etcd", eps, NULL};
    assert_int_equal(tn_start(&c, settings), MC_OK);
    mc_http *h = tn_client(&c, &c.org);
    mc_buf tx[2], resp;
    mc_hash id[2];
    mc_buf_init(&resp, 1u << 20);
    for (int k = 0; k < 2; k++) mc_buf_init(&tx[k], 1u << 16);
    assert_int_equal(tn_build_register(&c, &c.org, 1, &tx[0], &id[0]), MC_OK);
    assert_int_equal(tn_post_txs(h, "committed", &tx[0], 1, &resp), 200);
    assert_true(tn_tx_committed(h, &id[0]));
    /* the batch is in etcd under the chain's prefix */
    char hex[65], key[160], b64[256], req[800], out[8192];
    mc_hex_encode(hex, c.chain.b, 32);
    int nk = snprintf(key, sizeof key, "/medchain/%s/batches/", hex);
    mc_base64_encode(b64, key, (size_t)nk);
    key[nk - 1] = '0';
    char end64[256];
    mc_base64_encode(end64, key, (size_t)nk);
    snprintf(req, sizeof req, "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true}", b64, end64);
    assert_int_equal(et_call(&w.c, "kv/range", req, out, sizeof out), MC_OK);
    assert_non_null(strstr(out, "\"count\":\"2\"")); /* the node's org.gatekeeper, then this one */
    /* a restart resumes from the stored position: nothing applied twice, and it goes on */
    assert_int_equal(tn_kill(&c, SIGTERM), 0);
    assert_int_equal(tn_start(&c, settings), MC_OK);
    mc_http_free(h);
    h = tn_client(&c, &c.org);
    assert_true(tn_tx_committed(h, &id[0]));
    assert_int_equal(tn_build_register(&c, &c.org, 2, &tx[1], &id[1]), MC_OK);
    assert_int_equal(tn_post_txs(h, "committed", &tx[1], 1, &resp), 200);
    assert_true(tn_tx_committed(h, &id[1]));
    mc_buf st;
    mc_buf_init(&st, 1u << 16);
    long s = 0;
    assert_int_equal(mc_http_request(h, "GET", "/v1/status", NULL, 0, &s, &st), MC_OK);
    /* the gatekeeper, tx 0, tx 1, and the gatekeeper again if the node came back on another port */
    assert_non_null(strstr((char *)st.p, c.moved ? "\"height\":4" : "\"height\":3"));
    assert_non_null(strstr((char *)st.p, "etcd"));
    /* etcd gone: submissions are refused with a clear error, never acknowledged */
    et_kill(&w.c, 0);
    mc_buf tx3;
    mc_hash id3;
    mc_buf_init(&tx3, 1u << 16);
    assert_int_equal(tn_build_register(&c, &c.org, 3, &tx3, &id3), MC_OK);
    uint64_t t0 = mc_time_mono_ns();
    assert_int_equal(tn_post_txs(h, "ordered", &tx3, 1, &resp), 200);
    assert_true(mc_time_mono_ns() - t0 < 10000000000ull);
    assert_non_null(strstr((char *)resp.p, "\"status\":\"failed\""));
    assert_non_null(strstr((char *)resp.p, "\"error\":\"EUNAVAIL\""));
    assert_false(tn_tx_committed(h, &id3));
    mc_buf_free(&tx3);
    mc_buf_free(&st);
    for (int k = 0; k < 2; k++) mc_buf_free(&tx[k]);
    mc_buf_free(&resp);
    mc_http_free(h);
    tn_destroy(&c);
    et_destroy(&w.c);
}

int main(void)
{
    const char *filter = getenv("MEDCHAIN_TEST_FILTER");
    if (filter) cmocka_set_test_filter(filter);
    if (!et_binary()) {
        fprintf(stderr,
                "integration_etcd_orderer: etcd is not installed (/usr/bin/etcd, Debian's etcd-server); "
                "run scripts/setup. Failing, not skipping.\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_round_trip_in_order),
        cmocka_unit_test(test_same_batch_ordered_once),
        cmocka_unit_test(test_two_nodes_one_sequence),
        cmocka_unit_test(test_resume_after_reopen),
        cmocka_unit_test(test_compacted_history_is_stale),
        cmocka_unit_test(test_quorum_loss_fails_fast),
        cmocka_unit_test(test_tls_client_certificates),
        cmocka_unit_test(test_medchaind_with_etcd),
        cmocka_unit_test(test_compact_below_a_position),
        cmocka_unit_test(test_publish_many),
    };
    return cmocka_run_group_tests_name("integration_etcd_orderer", tests, NULL, NULL);
}
