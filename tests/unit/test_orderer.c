/* orderer (solo): submit/next, positions, restart, torn tails, damage, waiting, closing; the side
 * channel's arguments. */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "medchain/chain.h"
#include "medchain/orderer.h"
#include "testutil.h"

/* The log's record header (src/orderer/solo.c): "MCB2" | u32 length | SHA-256 of the batch |
 * the first 4 bytes of SHA-256 of those 40 bytes. */
#define MC_REC_HDR 44u

typedef struct {
    char dir[PATH_MAX];
    char log[PATH_MAX];
    mc_orderer *o;
    mc_buf got;
} mc_tsolo;

static void mc_tsolo_open(mc_tsolo *t)
{
    mc_test_tmpdir(t->dir);
    mc_test_path(t->log, t->dir, "solo.log");
    assert_ok(mc_orderer_solo_open(&t->o, t->dir));
    assert_non_null(t->o);
    mc_buf_init(&t->got, MC_MAX_BATCH_BYTES);
}

static void mc_tsolo_reopen(mc_tsolo *t, int want)
{
    mc_orderer_close(t->o);
    t->o = NULL;
    assert_rc(mc_orderer_solo_open(&t->o, t->dir), want);
    if (want) assert_null(t->o);
}

static void mc_tsolo_close(mc_tsolo *t)
{
    mc_orderer_close(t->o);
    mc_buf_free(&t->got);
    mc_test_rmtree(t->dir);
}

/* Batch @p i of a test: recognisable bytes of a length that varies with i. */
static size_t mc_batch_bytes(uint8_t *out, size_t cap, unsigned i)
{
    size_t n = (i * 37u) % 300u;
    if (n > cap) n = cap;
    for (size_t k = 0; k < n; k++) out[k] = (uint8_t)(i * 7u + k);
    return n;
}

static void mc_submit_n(mc_orderer *o, unsigned from, unsigned n)
{
    uint8_t b[512];
    for (unsigned i = from; i < from + n; i++)
        assert_ok(mc_orderer_submit(o, b, mc_batch_bytes(b, sizeof b, i)));
}

/* Reads the next batch after @p pos (in place) and checks it is batch @p i. */
static void mc_expect_next(mc_tsolo *t, mc_orderer_pos *pos, unsigned i)
{
    uint8_t want[512];
    size_t n = mc_batch_bytes(want, sizeof want, i);
    mc_orderer_pos next;
    memset(&next, 0, sizeof next);
    assert_ok(mc_orderer_next(t->o, pos, &t->got, &next, 1000));
    assert_int_equal(t->got.n, n);
    if (n) assert_memory_equal(t->got.p, want, n);
    assert_int_equal(next.n, 16);
    if (pos->n) {
        assert_true(mc_get_u64be(next.b) == mc_get_u64be(pos->b) + 1);    /* count */
        assert_true(mc_get_u64be(next.b + 8) > mc_get_u64be(pos->b + 8)); /* offset */
    } else {
        assert_true(mc_get_u64be(next.b) == 1);
    }
    *pos = next;
}

static void test_submit_next(void **state)
{
    (void)state;
    mc_tsolo t;
    mc_tsolo_open(&t);
    assert_string_equal(t.o->ops->name, "solo");
    mc_orderer_pos pos = {0}, p2;
    assert_rc(mc_orderer_next(t.o, &pos, &t.got, &p2, 0), MC_ETIMEDOUT);
    mc_submit_n(t.o, 0, 8); /* batch 0 is empty */
    for (unsigned i = 0; i < 8; i++) mc_expect_next(&t, &pos, i);
    assert_true(mc_get_u64be(pos.b) == 8);
    assert_true(mc_get_u64be(pos.b + 8) == mc_test_file_size(t.log));
    /* at the end: waits the timeout out */
    uint64_t t0 = mc_time_mono_ms();
    assert_rc(mc_orderer_next(t.o, &pos, &t.got, &p2, 150), MC_ETIMEDOUT);
    uint64_t waited = mc_time_mono_ms() - t0;
    assert_true(waited >= 140 && waited < 5000);
    assert_rc(mc_orderer_next(t.o, &pos, &t.got, &p2, 0), MC_ETIMEDOUT);
    /* a NULL position is the start */
    assert_ok(mc_orderer_next(t.o, NULL, &t.got, &p2, 0));
    assert_true(mc_get_u64be(p2.b) == 1);

    /* positions that do not come from this log */
    mc_orderer_pos bad = {5, {0}};
    assert_rc(mc_orderer_next(t.o, &bad, &t.got, &p2, 0), MC_EINVAL);
    bad = pos;
    mc_put_u64be(bad.b + 8, mc_get_u64be(pos.b + 8) + 1000); /* past the end: records lost */
    assert_rc(mc_orderer_next(t.o, &bad, &t.got, &p2, 0), MC_ECORRUPT);
    bad = pos;
    mc_put_u64be(bad.b + 8, 3); /* inside a record */
    assert_rc(mc_orderer_next(t.o, &bad, &t.got, &p2, 0), MC_ECORRUPT);

    /* a batch larger than the caller's buffer is not handed out truncated */
    mc_buf small;
    mc_buf_init(&small, 8);
    mc_orderer_pos start = {0};
    assert_ok(mc_orderer_next(t.o, &start, &small, &p2, 0)); /* batch 0: empty */
    int rc = mc_orderer_next(t.o, &p2, &small, &p2, 0);      /* batch 1: 37 bytes */
    assert_int_not_equal(rc, MC_OK);
    mc_buf_free(&small);

    /* over the cap: refused, nothing appended */
    uint64_t size = mc_test_file_size(t.log);
    uint8_t *huge = calloc(1, (size_t)MC_MAX_BATCH_BYTES + 1);
    assert_non_null(huge);
    assert_rc(mc_orderer_submit(t.o, huge, (size_t)MC_MAX_BATCH_BYTES + 1), MC_ETOOBIG);
    assert_true(mc_test_file_size(t.log) == size);
    free(huge);
    mc_tsolo_close(&t);
}

static int mc_never(void *arg, const char *name, const uint8_t *p, size_t n)
{
    (void)arg, (void)name, (void)p, (void)n;
    fail_msg("the solo backend has no side channel to fetch from");
    return 0;
}

/* The side channel (mc_orderer_publish/fetch): names checked before any backend sees them;
 * solo has none; etcd refuses a side prefix inside the batch prefix. The etcd side channel
 * itself is exercised against real etcd by integration_attest. */
static void test_side_channel(void **state)
{
    (void)state;
    mc_tsolo t;
    mc_tsolo_open(&t);
    static const char *bad[] = {"",         "/attest/1",  "attest/../batches/x",
                                "Attest/1", "attest/1 2", "attest/\x01"};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++)
        assert_rc(mc_orderer_publish(t.o, bad[i], "v", 1), MC_EINVAL);
    char longname[MC_ORDERER_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_rc(mc_orderer_publish(t.o, longname, "v", 1), MC_EINVAL);
    assert_rc(mc_orderer_publish(t.o, NULL, "v", 1), MC_EINVAL);
    assert_rc(mc_orderer_publish(t.o, "attest/1", NULL, 1), MC_EINVAL);
    assert_rc(mc_orderer_publish(NULL, "attest/1", "v", 1), MC_EINVAL);
    static uint8_t big[MC_ORDERER_VALUE_MAX + 1];
    assert_rc(mc_orderer_publish(t.o, "attest/1", big, sizeof big), MC_ETOOBIG);
    assert_rc(mc_orderer_publish(t.o, "attest/0000000000000001/ab-c_d.e", "v", 1), MC_ENOTFOUND);
    assert_rc(mc_orderer_fetch(t.o, "attest/", mc_never, NULL), MC_ENOTFOUND);
    assert_rc(mc_orderer_fetch(t.o, "", mc_never, NULL), MC_ENOTFOUND); /* everything: allowed */
    assert_rc(mc_orderer_fetch(t.o, "/x", mc_never, NULL), MC_EINVAL);
    assert_rc(mc_orderer_fetch(t.o, "attest/", NULL, NULL), MC_EINVAL);
    /* nothing published reached the ordered log */
    mc_orderer_pos none = {0}, pos;
    assert_rc(mc_orderer_next(t.o, &none, &t.got, &pos, 0), MC_ETIMEDOUT);
    mc_tsolo_close(&t);

    /* etcd: the side prefix must lie outside the batch prefix (nothing is contacted at open) */
    const char *eps[] = {"http://127.0.0.1:1"};
    mc_etcd_opts eo = {.endpoints = eps, .nendpoints = 1, .prefix = "/medchain/c/batches/"};
    mc_orderer *o = NULL;
    eo.side_prefix = "/medchain/c/batches/side/";
    assert_rc(mc_orderer_etcd_open(&o, &eo), MC_EINVAL);
    assert_null(o);
    eo.side_prefix = "/medchain/c/side";
    assert_rc(mc_orderer_etcd_open(&o, &eo), MC_EINVAL);
    eo.side_prefix = "/medchain/c/";
    assert_ok(mc_orderer_etcd_open(&o, &eo));
    /* a side prefix above the batch prefix: a name that would land among the batches is refused */
    assert_rc(mc_orderer_publish(o, "batches/0000", "v", 1), MC_EINVAL);
    mc_orderer_close(o);
    eo.side_prefix = NULL; /* the default: "/medchain/c/" */
    assert_ok(mc_orderer_etcd_open(&o, &eo));
    assert_rc(mc_orderer_publish(o, "batches/0000", "v", 1), MC_EINVAL);
    mc_orderer_close(o);
}

static void test_solo_read(void **state)
{
    (void)state;
    mc_tsolo t;
    mc_tsolo_open(&t);
    mc_submit_n(t.o, 1, 4);
    uint64_t off = 0, next;
    uint8_t want[512];
    for (unsigned i = 1; i <= 4; i++) {
        assert_ok(mc_orderer_solo_read(t.dir, off, &t.got, &next));
        size_t n = mc_batch_bytes(want, sizeof want, i);
        assert_int_equal(t.got.n, n);
        assert_memory_equal(t.got.p, want, n);
        assert_true(next == off + MC_REC_HDR + n);
        off = next;
    }
    assert_rc(mc_orderer_solo_read(t.dir, off, &t.got, &next), MC_ENOTFOUND);
    assert_rc(mc_orderer_solo_read(t.dir, off + 100, &t.got, &next), MC_ENOTFOUND);
    assert_rc(mc_orderer_solo_read(t.dir, 1, &t.got, &next), MC_ECORRUPT);
    char none[PATH_MAX];
    mc_test_path(none, t.dir, "absent");
    assert_rc(mc_orderer_solo_read(none, 0, &t.got, &next), MC_ENOTFOUND);
    mc_tsolo_close(&t);
}

static void test_restart(void **state)
{
    (void)state;
    mc_tsolo t;
    mc_tsolo_open(&t);
    mc_submit_n(t.o, 1, 3);
    mc_orderer_pos pos = {0}, saved;
    mc_expect_next(&t, &pos, 1);
    mc_expect_next(&t, &pos, 2);
    saved = pos; /* as a node stores it with the block */
    mc_tsolo_reopen(&t, MC_OK);
    mc_expect_next(&t, &saved, 3);
    mc_orderer_pos start = {0};
    mc_expect_next(&t, &start, 1);
    /* new batches follow the old ones */
    mc_submit_n(t.o, 4, 2);
    mc_expect_next(&t, &saved, 4);
    mc_expect_next(&t, &saved, 5);
    assert_true(mc_get_u64be(saved.b) == 5);
    mc_tsolo_reopen(&t, MC_OK);
    pos = (mc_orderer_pos){0};
    for (unsigned i = 1; i <= 5; i++) mc_expect_next(&t, &pos, i);
    assert_rc(mc_orderer_next(t.o, &pos, &t.got, &saved, 0), MC_ETIMEDOUT);
    mc_tsolo_close(&t);

    /* a directory that cannot be made */
    char dir[PATH_MAX], file[PATH_MAX], sub[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_test_path(file, dir, "file");
    mc_test_file_write(file, "x", 1);
    mc_test_path(sub, file, "solo");
    mc_orderer *o = (mc_orderer *)dir;
    assert_rc(mc_orderer_solo_open(&o, sub), MC_EIO);
    assert_null(o);
    mc_orderer_close(NULL);
    mc_test_rmtree(dir);
}

/* Checks the log holds exactly batches 1..n, readable from the start, and takes a new one. */
static void mc_expect_log(mc_tsolo *t, unsigned n)
{
    mc_orderer_pos pos = {0}, p2;
    for (unsigned i = 1; i <= n; i++) mc_expect_next(t, &pos, i);
    assert_rc(mc_orderer_next(t->o, &pos, &t->got, &p2, 0), MC_ETIMEDOUT);
    assert_true(mc_get_u64be(pos.b + 8) == mc_test_file_size(t->log));
    mc_submit_n(t->o, n + 1, 1);
    mc_expect_next(t, &pos, n + 1);
}

/* A whole log record for batch @p i (the bytes submit writes); @return its size. */
static size_t mc_log_record(uint8_t *rec, size_t cap, unsigned i)
{
    size_t n = mc_batch_bytes(rec + MC_REC_HDR, cap - MC_REC_HDR, i);
    memcpy(rec, "MCB2", 4);
    mc_put_u32be(rec + 4, (uint32_t)n);
    mc_hash sum;
    mc_sha256(&sum, rec + MC_REC_HDR, n);
    memcpy(rec + 8, sum.b, 32);
    mc_sha256(&sum, rec, 40);
    memcpy(rec + 40, sum.b, 4);
    return MC_REC_HDR + n;
}

/* A log of batches 1..n followed by @p tail, as a crash mid-append leaves it: open() must cut
 * the tail off and keep the n batches. */
static void mc_expect_tail_cut(unsigned n, const void *tail, size_t ntail)
{
    mc_tsolo t;
    mc_tsolo_open(&t);
    mc_submit_n(t.o, 1, n);
    mc_orderer_close(t.o);
    t.o = NULL;
    uint64_t full = mc_test_file_size(t.log);
    mc_test_file_append(t.log, tail, ntail);
    assert_ok(mc_orderer_solo_open(&t.o, t.dir));
    assert_true(mc_test_file_size(t.log) == full);
    mc_expect_log(&t, n);
    mc_tsolo_close(&t);
}

static void test_torn_tail(void **state)
{
    (void)state;
    uint8_t rec[MC_REC_HDR + 512];
    /* the file cut a few bytes short: the last record goes, the rest stay */
    mc_tsolo t;
    mc_tsolo_open(&t);
    mc_submit_n(t.o, 1, 4);
    mc_orderer_close(t.o);
    t.o = NULL;
    uint64_t full = mc_test_file_size(t.log);
    mc_test_file_truncate(t.log, full - 3);
    assert_ok(mc_orderer_solo_open(&t.o, t.dir));
    assert_true(mc_test_file_size(t.log) == full - mc_log_record(rec, sizeof rec, 4));
    mc_expect_log(&t, 3);
    mc_tsolo_close(&t);

    size_t n = mc_log_record(rec, sizeof rec, 9);
    mc_expect_tail_cut(3, rec, n / 2);          /* part of a record's batch */
    mc_expect_tail_cut(2, rec, MC_REC_HDR - 1); /* part of a record's header */
    mc_expect_tail_cut(2, "MCB", 3);
    rec[MC_REC_HDR] ^= 0xff;       /* a whole last record whose data never */
    mc_expect_tail_cut(2, rec, n); /* reached the disk: its checksum fails */
    mc_expect_tail_cut(0, rec, n);

    /* an empty log file is an empty log */
    mc_tsolo_open(&t);
    mc_tsolo_reopen(&t, MC_OK);
    mc_expect_log(&t, 0);
    mc_tsolo_close(&t);
}

static void test_damage(void **state)
{
    (void)state;
    mc_tsolo t;
    uint8_t b[512];
    uint64_t off2 = MC_REC_HDR + mc_batch_bytes(b, sizeof b, 1); /* where record 2 starts */
    /* a flipped payload byte, checksum byte or magic byte in a record before the last */
    static const struct {
        uint64_t at;
        const char *what;
    } hits[] = {{MC_REC_HDR + 5, "payload"}, {8 + 3, "checksum"}, {1, "magic"}, {41, "header check"}};
    for (size_t i = 0; i < MC_ARRAY_LEN(hits); i++) {
        mc_tsolo_open(&t);
        mc_submit_n(t.o, 1, 4);
        mc_orderer_close(t.o);
        t.o = NULL;
        uint64_t size = mc_test_file_size(t.log);
        mc_test_file_xor(t.log, off2 + hits[i].at, 0x20);
        int rc = mc_orderer_solo_open(&t.o, t.dir);
        if (rc != MC_ECORRUPT) print_error("damaged %s opened: %s\n", hits[i].what, mc_errname(rc));
        assert_rc(rc, MC_ECORRUPT);
        assert_null(t.o);
        assert_true(mc_test_file_size(t.log) == size); /* nothing cut */
        mc_buf_free(&t.got);
        mc_test_rmtree(t.dir);
    }

    /* damage after open is found by next() */
    mc_tsolo_open(&t);
    mc_submit_n(t.o, 1, 3);
    mc_test_file_xor(t.log, off2 + MC_REC_HDR + 2, 0x01);
    mc_orderer_pos pos = {0}, p2;
    mc_expect_next(&t, &pos, 1);
    assert_rc(mc_orderer_next(t.o, &pos, &t.got, &p2, 0), MC_ECORRUPT);
    mc_tsolo_close(&t);

    /* a damaged length field in the middle is damage too, not a torn tail */
    mc_tsolo_open(&t);
    mc_submit_n(t.o, 1, 4);
    mc_orderer_close(t.o);
    t.o = NULL;
    uint64_t size = mc_test_file_size(t.log);
    mc_test_file_xor(t.log, off2 + 5, 0x10); /* record 2 now claims ~1 MiB more */
    /* the header check catches it: nothing after it is dropped */
    assert_rc(mc_orderer_solo_open(&t.o, t.dir), MC_ECORRUPT);
    assert_true(mc_test_file_size(t.log) == size);
    mc_tsolo_close(&t);
}

typedef struct {
    mc_orderer *o;
    mc_buf got;
    int rc;
    uint64_t took;
    int timeout;
} mc_waiter;

static void *mc_wait_next(void *arg)
{
    mc_waiter *w = arg;
    mc_orderer_pos start = {0}, pos;
    uint64_t t0 = mc_time_mono_ms();
    w->rc = mc_orderer_next(w->o, &start, &w->got, &pos, w->timeout);
    w->took = mc_time_mono_ms() - t0;
    return NULL;
}

static void test_next_wakes_on_submit(void **state)
{
    (void)state;
    mc_tsolo t;
    mc_tsolo_open(&t);
    mc_waiter w = {t.o, {0}, -1, 0, 10000};
    mc_buf_init(&w.got, 1024);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, mc_wait_next, &w), 0);
    usleep(50000);
    assert_ok(mc_orderer_submit(t.o, (const uint8_t *)"wake", 4));
    pthread_join(th, NULL);
    assert_rc(w.rc, MC_OK);
    assert_int_equal(w.got.n, 4);
    assert_memory_equal(w.got.p, "wake", 4);
    assert_true(w.took < 5000); /* woken, not timed out */
    mc_buf_free(&w.got);
    mc_tsolo_close(&t);
}

static void test_close_wakes_waiters(void **state)
{
    (void)state;
    /* close wakes the waiter and waits for it to leave before freeing anything */
    mc_tsolo t;
    mc_tsolo_open(&t);
    mc_waiter w = {t.o, {0}, -1, 0, 10000};
    mc_buf_init(&w.got, 1024);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, mc_wait_next, &w), 0);
    usleep(50000);
    mc_orderer_close(t.o);
    t.o = NULL;
    pthread_join(th, NULL);
    assert_rc(w.rc, MC_ECLOSED);
    assert_true(w.took < 5000);
    mc_buf_free(&w.got);
    mc_tsolo_close(&t);
}

typedef struct {
    mc_orderer *o;
    unsigned base;
    int failures;
} mc_submitter;

static void *mc_submit_many(void *arg)
{
    mc_submitter *s = arg;
    for (unsigned i = 0; i < 25; i++) {
        uint8_t b[8];
        mc_put_u32be(b, s->base);
        mc_put_u32be(b + 4, i);
        if (mc_orderer_submit(s->o, b, sizeof b) != MC_OK) s->failures++;
    }
    return NULL;
}

static void test_concurrent_submit(void **state)
{
    (void)state;
    mc_tsolo t;
    mc_tsolo_open(&t);
    pthread_t th[4];
    mc_submitter s[4];
    for (unsigned i = 0; i < 4; i++) {
        s[i] = (mc_submitter){t.o, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, mc_submit_many, &s[i]), 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(s[i].failures, 0);
    }
    /* every batch is there once, and each submitter's batches in its own order */
    unsigned next_of[4] = {0};
    mc_orderer_pos pos = {0};
    for (unsigned k = 0; k < 100; k++) {
        assert_ok(mc_orderer_next(t.o, &pos, &t.got, &pos, 0));
        assert_int_equal(t.got.n, 8);
        unsigned who = mc_get_u32be(t.got.p), i = mc_get_u32be(t.got.p + 4);
        assert_true(who < 4);
        assert_int_equal(i, next_of[who]);
        next_of[who]++;
    }
    assert_rc(mc_orderer_next(t.o, &pos, &t.got, &pos, 0), MC_ETIMEDOUT);
    mc_tsolo_close(&t);
}

/* An append the file system cuts short is cut back: the next append and the next open find a
 * clean log (no stray bytes left after the last whole record). */
static void test_failed_append_is_cut_back(void **state)
{
    (void)state;
    mc_tsolo t;
    mc_tsolo_open(&t);
    mc_submit_n(t.o, 1, 2);
    uint64_t size = mc_test_file_size(t.log);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)size + 100; /* room for part of a record only */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    static uint8_t big[4096];
    memset(big, 'x', sizeof big);
    int rc = mc_orderer_submit(t.o, big, sizeof big);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_rc(rc, MC_EIO);
    assert_true(mc_test_file_size(t.log) == size);
    mc_submit_n(t.o, 3, 1);
    mc_orderer_close(t.o);
    t.o = NULL;
    assert_ok(mc_orderer_solo_open(&t.o, t.dir));
    mc_expect_log(&t, 3);
    mc_tsolo_close(&t);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_next),
        cmocka_unit_test(test_solo_read),
        cmocka_unit_test(test_side_channel),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_failed_append_is_cut_back),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_next_wakes_on_submit),
        cmocka_unit_test(test_close_wakes_waiters),
        cmocka_unit_test(test_concurrent_submit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
