/*
 * unit_node_mempool: the mempool's waiters (src/node/mempool.h, internal to the node module).
 * Each waiter is woken alone, once, when its last slot is done; a deadline detaches it; a hold
 * keeps it from leaving before the thread admitting for it lets go; drain wakes every sleeper.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mempool.h"
#include "medchain/util.h"

static mc_hash mp_id(uint8_t k)
{
    mc_hash h;
    memset(h.b, 0, sizeof h.b);
    h.b[0] = k;
    h.b[31] = 0x5a;
    return h;
}

/* Admits tx @p k for slot @p slot of @p w (held by the caller). */
static void mp_admit(mc_mempool *mp, mc_waiter *w, size_t slot, uint8_t k)
{
    mc_hash id = mp_id(k);
    uint8_t tx[8] = {k};
    w->outs[slot].id = id;
    assert_int_equal(mc_mempool_admit_locked(mp, &id, tx, sizeof tx, w, slot), MC_OK);
}

/* Takes everything queued and says it was ordered. */
static size_t mp_order_all(mc_mempool *mp)
{
    mc_pending *taken[16];
    size_t k = mc_mempool_take(mp, taken, 16, 1u << 20, 0);
    mc_mempool_ordered(mp, taken, k, MC_OK);
    return k;
}

static void mp_commit(mc_mempool *mp, uint8_t k, uint16_t result)
{
    mc_hash id = mp_id(k);
    mc_mempool_committed(mp, &id, &result, 1, 7);
}

typedef struct {
    mc_mempool *mp;
    mc_waiter *w;
    uint64_t deadline;
    atomic_int returned;
} mp_sleeper;

static void *mp_sleeper_main(void *arg)
{
    mp_sleeper *s = arg;
    mc_mempool_await(s->mp, s->w, s->deadline);
    atomic_store(&s->returned, 1);
    return NULL;
}

static void mp_nap(void)
{
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
}

/* Two requests wait on their own transactions: ordering wakes neither (they wait for the
 * commit), the commit of one wakes that one only, with its result and height. */
/* A fresh mempool with one waiter for one transaction (nonce @p nonce) admitted and released. */
static void mp_one(mc_mempool *mp, mc_waiter *w, mc_api_txout *o, int wait, uint8_t nonce)
{
    assert_int_equal(mc_mempool_init(mp, 100, 1u << 20), MC_OK);
    memset(o, 0, sizeof *o);
    memset(w, 0, sizeof *w);
    w->outs = o;
    w->n = 1;
    w->wait = wait;
    mc_mempool_hold(w);
    mc_mempool_lock(mp);
    mp_admit(mp, w, 0, nonce);
    mc_mempool_unhold_locked(mp, w);
    mc_mempool_unlock(mp);
}

static void test_commit_wakes_its_waiter(void **state)
{
    (void)state;
    mc_mempool mp;
    assert_int_equal(mc_mempool_init(&mp, 100, 1u << 20), MC_OK);
    mc_api_txout oa[2], ob[1];
    mc_waiter wa = {.outs = oa, .n = 2, .wait = MC_WAIT_COMMITTED};
    mc_waiter wb = {.outs = ob, .n = 1, .wait = MC_WAIT_COMMITTED};
    memset(oa, 0, sizeof oa);
    memset(ob, 0, sizeof ob);
    mc_mempool_hold(&wa);
    mc_mempool_hold(&wb);
    mc_mempool_lock(&mp);
    mp_admit(&mp, &wa, 0, 1);
    mp_admit(&mp, &wa, 1, 2);
    mp_admit(&mp, &wb, 0, 3);
    mc_mempool_unhold_locked(&mp, &wa);
    mc_mempool_unhold_locked(&mp, &wb);
    mc_mempool_unlock(&mp);
    uint64_t far = mc_time_mono_ms() + 10000;
    mp_sleeper sa = {&mp, &wa, far, 0}, sb = {&mp, &wb, far, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, mp_sleeper_main, &sa);
    pthread_create(&tb, NULL, mp_sleeper_main, &sb);
    assert_int_equal(mp_order_all(&mp), 3);
    mp_nap();
    assert_false(atomic_load(&sa.returned) || atomic_load(&sb.returned));
    assert_int_equal(oa[0].state, MC_TXS_ORDERED);
    mp_commit(&mp, 3, MC_TXR_OK);
    pthread_join(tb, NULL);
    assert_int_equal(ob[0].state, MC_TXS_COMMITTED);
    assert_int_equal(ob[0].height, 7);
    mp_commit(&mp, 1, MC_TXR_OK);
    mp_nap();
    assert_false(atomic_load(&sa.returned)); /* one slot still to go */
    mp_commit(&mp, 2, MC_TXR_BAD_NONCE);
    pthread_join(ta, NULL);
    assert_int_equal(oa[1].state, MC_TXS_COMMITTED);
    assert_int_equal(oa[1].code, MC_TXR_BAD_NONCE);
    assert_int_equal(mc_mempool_size(&mp), 0);
    mc_mempool_destroy(&mp);
}

/* A deadline detaches the waiter: a later commit finds nobody to tell. */
static void test_deadline_detaches(void **state)
{
    (void)state;
    mc_mempool mp;
    mc_api_txout o[1];
    mc_waiter w;
    mp_one(&mp, &w, o, MC_WAIT_COMMITTED, 9);
    mc_mempool_await(&mp, &w, mc_time_mono_ms() + 30);
    assert_int_equal(o[0].state, MC_TXS_PENDING);
    assert_int_equal(w.remaining, 0);
    assert_int_equal(mp_order_all(&mp), 1);
    mp_commit(&mp, 9, MC_TXR_OK); /* must not touch w */
    assert_int_equal(o[0].state, MC_TXS_PENDING);
    mc_mempool_destroy(&mp);
}

/* A deadline that passes while the waiter is held waits for the hold to end, then leaves
 * detached (the admitting thread may still be writing its slot until then). */
static void test_deadline_waits_for_hold(void **state)
{
    (void)state;
    mc_mempool mp;
    assert_int_equal(mc_mempool_init(&mp, 100, 1u << 20), MC_OK);
    mc_api_txout o[1];
    mc_waiter w = {.outs = o, .n = 1, .wait = MC_WAIT_COMMITTED};
    memset(o, 0, sizeof o);
    mc_mempool_hold(&w);
    mp_sleeper s = {&mp, &w, mc_time_mono_ms() + 10, 0};
    pthread_t t;
    pthread_create(&t, NULL, mp_sleeper_main, &s);
    mp_nap();
    mp_nap();
    assert_false(atomic_load(&s.returned)); /* past its deadline, but held */
    mc_mempool_lock(&mp);
    mp_admit(&mp, &w, 0, 4);
    mc_mempool_unhold_locked(&mp, &w);
    mc_mempool_unlock(&mp);
    pthread_join(t, NULL);
    assert_int_equal(w.remaining, 0);
    assert_int_equal(mp_order_all(&mp), 1);
    mp_commit(&mp, 4, MC_TXR_OK);
    assert_int_equal(o[0].state, MC_TXS_PENDING);
    mc_mempool_destroy(&mp);
}

/* A waiter whose transactions were all refused (nothing admitted) returns at once. */
static void test_nothing_admitted(void **state)
{
    (void)state;
    mc_mempool mp;
    assert_int_equal(mc_mempool_init(&mp, 100, 1u << 20), MC_OK);
    mc_api_txout o[1];
    mc_waiter w = {.outs = o, .n = 1, .wait = MC_WAIT_COMMITTED};
    memset(o, 0, sizeof o);
    o[0].state = MC_TXS_REJECTED;
    mc_mempool_hold(&w);
    mc_mempool_lock(&mp);
    mc_mempool_unhold_locked(&mp, &w);
    mc_mempool_unlock(&mp);
    uint64_t t0 = mc_time_mono_ms();
    mc_mempool_await(&mp, &w, t0 + 10000);
    assert_true(mc_time_mono_ms() - t0 < 5000);
    assert_int_equal(o[0].state, MC_TXS_REJECTED);
    mc_mempool_destroy(&mp);
}

/* wait=ORDERED: the batch ordered is the answer. */
static void test_wait_ordered(void **state)
{
    (void)state;
    mc_mempool mp;
    mc_api_txout o[1];
    mc_waiter w;
    mp_one(&mp, &w, o, MC_WAIT_ORDERED, 5);
    mp_sleeper s = {&mp, &w, mc_time_mono_ms() + 10000, 0};
    pthread_t t;
    pthread_create(&t, NULL, mp_sleeper_main, &s);
    assert_int_equal(mp_order_all(&mp), 1);
    pthread_join(t, NULL);
    assert_int_equal(o[0].state, MC_TXS_ORDERED);
    mp_commit(&mp, 5, MC_TXR_OK);
    mc_mempool_destroy(&mp);
}

/* Drain wakes every sleeper, and a hold released after it does not put the waiter to sleep. */
static void test_drain(void **state)
{
    (void)state;
    mc_mempool mp;
    assert_int_equal(mc_mempool_init(&mp, 100, 1u << 20), MC_OK);
    mc_api_txout oa[1], ob[1];
    mc_waiter wa = {.outs = oa, .n = 1, .wait = MC_WAIT_COMMITTED};
    mc_waiter wb = {.outs = ob, .n = 1, .wait = MC_WAIT_COMMITTED};
    memset(oa, 0, sizeof oa);
    memset(ob, 0, sizeof ob);
    mc_mempool_hold(&wa);
    mc_mempool_hold(&wb);
    mc_mempool_lock(&mp);
    mp_admit(&mp, &wa, 0, 6);
    mp_admit(&mp, &wb, 0, 8);
    mc_mempool_unhold_locked(&mp, &wa);
    mc_mempool_unlock(&mp);
    uint64_t far = mc_time_mono_ms() + 10000;
    mp_sleeper sa = {&mp, &wa, far, 0}, sb = {&mp, &wb, far, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, mp_sleeper_main, &sa);
    pthread_create(&tb, NULL, mp_sleeper_main, &sb);
    mp_nap();
    mc_mempool_close(&mp);
    mc_mempool_drain(&mp);
    pthread_join(ta, NULL);
    mc_mempool_lock(&mp);
    mc_mempool_unhold_locked(&mp, &wb);
    mc_mempool_unlock(&mp);
    pthread_join(tb, NULL);
    assert_int_equal(wa.remaining, 0);
    assert_int_equal(wb.remaining, 0);
    mc_mempool_destroy(&mp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_wakes_its_waiter),
        cmocka_unit_test(test_deadline_detaches),
        cmocka_unit_test(test_deadline_waits_for_hold),
        cmocka_unit_test(test_nothing_admitted),
        cmocka_unit_test(test_wait_ordered),
        cmocka_unit_test(test_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
