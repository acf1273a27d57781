/*
 * chain, part 5: the light-client check (mc_light_check). A client trusts only a genesis config;
 * a proof's header must be certified by a quorum of the set its height trusts, reached from the
 * genesis set through validator-set changes that the previous set certified.
 *
 * The chain here: 4 genesis validators (A B C D); block 3 admits E (set A..E from 4), block 6
 * admits F (set A..F from 7); the proof's header is block 9.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"
#include "testutil.h"

#define LT_KEYS 7 /* A..F, and G: never a validator */

typedef struct {
    mc_test_net net;
    mc_test_key k[LT_KEYS];
    mc_light_trust trust;
    mc_valset sets[3];         /* genesis, after block 3, after block 6 */
    mc_light_change change[2]; /* blocks 3 and 6 */
    mc_header h;               /* block 9 */
    mc_cert cert;
} lt_world;

static void lt_set(mc_valset *v, const lt_world *w, uint32_t n, uint64_t from)
{
    memset(v, 0, sizeof *v);
    v->from_height = from;
    v->n = n;
    for (uint32_t i = 0; i < n; i++) v->pks[i] = w->k[i].pk;
}

/* A header of @p w's chain at @p height certified by @p cur, naming @p next for the block after. */
static void lt_header(mc_header *h, const lt_world *w, uint64_t height, const mc_valset *cur,
                      const mc_valset *next)
{
    memset(h, 0, sizeof *h);
    h->version = MC_FORMAT_VERSION;
    h->chain = w->net.chain;
    h->height = height;
    memset(h->prev.b, (int)height, 32);
    memset(h->tx_root.b, 0x70 + (int)height, 32);
    memset(h->state_digest.b, 0x50 + (int)height, 32);
    h->time_ms = MC_TEST_GENESIS_TIME + height * 1000;
    h->ntx = 1;
    mc_valset_hash(&h->validators, cur);
    mc_valset_hash(&h->next_validators, next);
}

/* A certificate of @p h by the keys of @p w whose index bits are set in @p who. */
static void lt_cert(mc_cert *c, const lt_world *w, const mc_header *h, unsigned who)
{
    const mc_test_key *keys[LT_KEYS];
    uint32_t n = 0;
    mc_hash hh;
    mc_header_hash(&hh, h);
    for (uint32_t i = 0; i < LT_KEYS; i++)
        if (who & (1u << i)) keys[n++] = &w->k[i];
    assert_ok(mc_test_cert(c, &w->net.chain, h->height, &hh, keys, n));
}

#define LT_ABC   0x07u /* 3 of the 4 genesis validators */
#define LT_ABCD  0x0fu
#define LT_ABCDE 0x1fu
#define LT_G     0x40u

static lt_world *lt_new(void)
{
    lt_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_ok(mc_test_net_init(&w->net, 4, 0));
    for (uint32_t i = 0; i < 4; i++) w->k[i] = w->net.val[i];
    for (uint32_t i = 4; i < LT_KEYS; i++) mc_test_key_new(&w->k[i]);
    assert_ok(mc_light_trust_genesis(&w->trust, w->net.genesis.p, w->net.genesis.n));
    lt_set(&w->sets[0], w, 4, 1);
    lt_set(&w->sets[1], w, 5, 4);
    lt_set(&w->sets[2], w, 6, 7);
    /* block 3: certified by 3 of 4 (quorum 3); block 6: 4 of 5 (quorum 4); block 9: 4 of 6 (4) */
    lt_header(&w->change[0].header, w, 3, &w->sets[0], &w->sets[1]);
    lt_cert(&w->change[0].cert, w, &w->change[0].header, LT_ABC);
    w->change[0].next = w->sets[1];
    lt_header(&w->change[1].header, w, 6, &w->sets[1], &w->sets[2]);
    lt_cert(&w->change[1].cert, w, &w->change[1].header, LT_ABCD);
    w->change[1].next = w->sets[2];
    lt_header(&w->h, w, 9, &w->sets[2], &w->sets[2]);
    lt_cert(&w->cert, w, &w->h, LT_ABCD);
    return w;
}

static void lt_free(lt_world *w)
{
    mc_test_net_free(&w->net);
    free(w);
}

/* Runs the check on @p w with its first @p n changes; expects @p code (MC_LIGHT_OK: accepted). */
static mc_light_report lt_run(const lt_world *w, size_t n, int code)
{
    mc_light_report r;
    int rc = mc_light_check(&w->trust, n ? w->change : NULL, n, &w->h, &w->cert, &r);
    if (r.code != code)
        fail_msg("expected %s, got %s (at %zu, height %llu)", mc_light_name(code), mc_light_name(r.code),
                 r.at, (unsigned long long)r.height);
    assert_rc(rc, code == MC_LIGHT_OK ? MC_OK : MC_EDENIED);
    return r;
}

/* The trust is the genesis config's chain id and its validators in order. */
static void test_trust_from_genesis(void **state)
{
    (void)state;
    lt_world *w = lt_new();
    assert_memory_equal(w->trust.chain.b, w->net.chain.b, 32);
    assert_int_equal(w->trust.validators.n, 4);
    mc_hash a, b;
    mc_valset_hash(&a, &w->trust.validators);
    mc_valset_hash(&b, &w->sets[0]);
    assert_memory_equal(a.b, b.b, 32);
    /* not a genesis config: refused, and the trust zeroed */
    mc_light_trust t;
    uint8_t junk[8] = {1, 2, 3};
    assert_rc(mc_light_trust_genesis(&t, junk, sizeof junk), MC_EINVAL);
    assert_int_equal(t.validators.n, 0);
    assert_rc(mc_light_trust_genesis(&t, w->net.genesis.p, w->net.genesis.n - 1), MC_EINVAL);
    assert_rc(mc_light_trust_genesis(&t, NULL, 0), MC_EINVAL);
    assert_rc(mc_light_trust_genesis(NULL, w->net.genesis.p, w->net.genesis.n), MC_EINVAL);
    lt_free(w);
}

/* A header of the genesis set, then through one change, then through two. */
static void test_good_chains(void **state)
{
    (void)state;
    lt_world *w = lt_new();
    mc_light_report r = lt_run(w, 2, MC_LIGHT_OK);
    assert_int_equal(r.at, 2);
    assert_int_equal(r.height, 9);
    assert_int_equal(r.nvalidators, 6);
    assert_int_equal(r.quorum, 4);
    assert_int_equal(r.nvalid, 4);
    assert_int_equal(r.nsigs, 4);
    assert_int_equal(r.noutside, 0);

    /* no change: block 2 under the genesis set, 3 of 4 */
    lt_header(&w->h, w, 2, &w->sets[0], &w->sets[0]);
    lt_cert(&w->cert, w, &w->h, LT_ABC);
    r = lt_run(w, 0, MC_LIGHT_OK);
    assert_int_equal(r.nvalidators, 4);
    assert_int_equal(r.nvalid, 3);
    /* all four sign: more than the quorum is fine */
    lt_cert(&w->cert, w, &w->h, LT_ABCD);
    assert_int_equal(lt_run(w, 0, MC_LIGHT_OK).nvalid, 4);
    /* the change block itself is certified by the old set */
    w->h = w->change[0].header;
    w->cert = w->change[0].cert;
    lt_run(w, 0, MC_LIGHT_OK);

    /* one change: block 5 under A..E, 4 of 5 */
    lt_header(&w->h, w, 5, &w->sets[1], &w->sets[1]);
    lt_cert(&w->cert, w, &w->h, LT_ABCDE & ~1u);
    r = lt_run(w, 1, MC_LIGHT_OK);
    assert_int_equal(r.nvalidators, 5);
    assert_int_equal(r.quorum, 4);
    assert_int_equal(r.nvalid, 4);
    lt_free(w);
}

/* Certificates that do not make a quorum of the set: too few, an outsider, another header. */
static void test_certificate_refused(void **state)
{
    (void)state;
    lt_world *w = lt_new();
    /* 3 of 6 where 4 are needed */
    lt_cert(&w->cert, w, &w->h, LT_ABC);
    mc_light_report r = lt_run(w, 2, MC_LIGHT_NO_QUORUM);
    assert_int_equal(r.at, 2);
    assert_int_equal(r.nvalid, 3);
    assert_int_equal(r.quorum, 4);
    /* a fourth signature by G, who is no validator, counts nothing */
    lt_cert(&w->cert, w, &w->h, LT_ABC | LT_G);
    r = lt_run(w, 2, MC_LIGHT_NO_QUORUM);
    assert_int_equal(r.nsigs, 4);
    assert_int_equal(r.nvalid, 3);
    assert_int_equal(r.noutside, 1);
    /* signatures over another header, put under this header's hash */
    mc_header other = w->h;
    other.state_digest.b[0] ^= 1;
    mc_cert forged;
    lt_cert(&forged, w, &other, LT_ABCDE);
    mc_header_hash(&forged.header_hash, &w->h);
    w->cert = forged;
    r = lt_run(w, 2, MC_LIGHT_NO_QUORUM);
    assert_int_equal(r.nvalid, 0);
    assert_int_equal(r.noutside, 0);
    /* ... and a certificate honestly for that other header */
    lt_cert(&w->cert, w, &other, LT_ABCDE);
    lt_run(w, 2, MC_LIGHT_CERT_OTHER_HEADER);
    /* the right header hash at another height */
    lt_cert(&w->cert, w, &w->h, LT_ABCDE);
    w->cert.height++;
    lt_run(w, 2, MC_LIGHT_CERT_OTHER_HEADER);
    /* signed for another chain */
    mc_hash hh, chain = w->net.chain;
    chain.b[0] ^= 1;
    mc_header_hash(&hh, &w->h);
    for (uint32_t i = 0; i < LT_KEYS; i++) {
        mc_attest a;
        mc_attest_sign(&a, &chain, 9, &hh, &w->k[i].pk, &w->k[i].sk);
        for (uint32_t j = 0; j < w->cert.nsigs; j++)
            if (!memcmp(w->cert.signers[j].b, a.validator.b, 32)) w->cert.sigs[j] = a.sig;
    }
    w->cert.height = 9;
    assert_int_equal(lt_run(w, 2, MC_LIGHT_NO_QUORUM).nvalid, 0);
    /* signers out of order, or the same twice */
    lt_cert(&w->cert, w, &w->h, LT_ABCDE);
    mc_id t = w->cert.signers[0];
    mc_sig s = w->cert.sigs[0];
    w->cert.signers[0] = w->cert.signers[1];
    w->cert.sigs[0] = w->cert.sigs[1];
    w->cert.signers[1] = t;
    w->cert.sigs[1] = s;
    lt_run(w, 2, MC_LIGHT_CERT_MALFORMED);
    w->cert.signers[0] = w->cert.signers[1];
    w->cert.sigs[0] = w->cert.sigs[1];
    lt_run(w, 2, MC_LIGHT_CERT_MALFORMED);
    /* a too-weak certificate of a change is refused there */
    lt_cert(&w->cert, w, &w->h, LT_ABCDE);
    lt_cert(&w->change[1].cert, w, &w->change[1].header, LT_ABC);
    r = lt_run(w, 2, MC_LIGHT_NO_QUORUM);
    assert_int_equal(r.at, 1);
    assert_int_equal(r.height, 6);
    assert_int_equal(r.nvalidators, 5);
    /* a change certified by the new set, not by the one before it */
    lt_cert(&w->change[0].cert, w, &w->change[0].header, 0x10u | 0x03u);
    r = lt_run(w, 2, MC_LIGHT_NO_QUORUM);
    assert_int_equal(r.at, 0);
    assert_int_equal(r.noutside, 1);
    lt_free(w);
}

/* Each field of the proof's header altered, the certificate kept. */
static void test_header_altered(void **state)
{
    (void)state;
    static const struct {
        size_t off;
        int code;
    } fields[] = {
        {offsetof(mc_header, tx_root), MC_LIGHT_CERT_OTHER_HEADER},
        {offsetof(mc_header, result_root), MC_LIGHT_CERT_OTHER_HEADER},
        {offsetof(mc_header, state_digest), MC_LIGHT_CERT_OTHER_HEADER},
        {offsetof(mc_header, prev), MC_LIGHT_CERT_OTHER_HEADER},
        {offsetof(mc_header, next_validators), MC_LIGHT_CERT_OTHER_HEADER},
        {offsetof(mc_header, validators), MC_LIGHT_SET_LEFT_OUT},
        {offsetof(mc_header, chain), MC_LIGHT_WRONG_CHAIN},
    };
    lt_world *w = lt_new();
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        mc_header keep = w->h;
        ((uint8_t *)&w->h)[fields[i].off + 7] ^= 0x20;
        assert_int_equal(lt_run(w, 2, fields[i].code).at, 2);
        w->h = keep;
        /* the same in a change's header */
        keep = w->change[0].header;
        ((uint8_t *)&w->change[0].header)[fields[i].off + 7] ^= 0x20;
        assert_int_equal(lt_run(w, 2, fields[i].code).at, 0);
        w->change[0].header = keep;
    }
    /* the height: the certificate no longer names it */
    w->h.height = 10;
    lt_run(w, 2, MC_LIGHT_CERT_OTHER_HEADER);
    w->h.height = 9;
    w->h.time_ms++;
    lt_run(w, 2, MC_LIGHT_CERT_OTHER_HEADER);
    w->h.time_ms--;
    w->h.ntx++;
    lt_run(w, 2, MC_LIGHT_CERT_OTHER_HEADER);
    w->h.ntx--;
    lt_run(w, 2, MC_LIGHT_OK);
    lt_free(w);
}

/* A node that leaves a change out, or invents one. */
static void test_changes_refused(void **state)
{
    (void)state;
    lt_world *w = lt_new();
    /* none of them: block 9 names a set the genesis set never handed on */
    lt_run(w, 0, MC_LIGHT_SET_LEFT_OUT);
    /* the first only */
    assert_int_equal(lt_run(w, 1, MC_LIGHT_SET_LEFT_OUT).at, 1);
    /* the second only: its header names A..E, not the genesis set */
    mc_light_change keep = w->change[0];
    w->change[0] = w->change[1];
    assert_int_equal(lt_run(w, 1, MC_LIGHT_SET_LEFT_OUT).at, 0);
    w->change[0] = keep;

    /* a forged new set: the attacker's key G in place of E */
    keep = w->change[0];
    w->change[0].next.pks[4] = w->k[6].pk;
    mc_light_report r = lt_run(w, 2, MC_LIGHT_FORGED_SET);
    assert_int_equal(r.at, 0);
    assert_int_equal(r.height, 3);
    /* the same set in another order is another set */
    w->change[0] = keep;
    w->change[0].next.pks[0] = w->k[1].pk;
    w->change[0].next.pks[1] = w->k[0].pk;
    lt_run(w, 2, MC_LIGHT_FORGED_SET);
    /* a set with a key twice, an empty one, one over the cap */
    w->change[0] = keep;
    w->change[0].next.pks[4] = w->k[0].pk;
    lt_run(w, 2, MC_LIGHT_BAD_SET);
    w->change[0].next.n = 0;
    lt_run(w, 2, MC_LIGHT_BAD_SET);
    w->change[0].next.n = MC_MAX_VALIDATORS + 1;
    lt_run(w, 2, MC_LIGHT_BAD_SET);
    w->change[0] = keep;

    /* a whole forged change: a header naming a set with G, certified by G and three of the
     * genesis set's keys taken for the liar's (only 3 of the real 4 would sign it) */
    mc_valset evil = w->sets[1];
    evil.pks[4] = w->k[6].pk;
    lt_header(&w->change[0].header, w, 3, &w->sets[0], &evil);
    lt_cert(&w->change[0].cert, w, &w->change[0].header, 0x03u | LT_G);
    w->change[0].next = evil;
    assert_int_equal(lt_run(w, 2, MC_LIGHT_NO_QUORUM).at, 0);
    w->change[0] = keep;

    /* out of order, a change at or above the proof's height */
    mc_light_change swapped[2] = {w->change[1], w->change[0]};
    memcpy(w->change, swapped, sizeof swapped);
    assert_int_equal(lt_run(w, 2, MC_LIGHT_CHANGE_ORDER).at, 1);
    w->change[0] = swapped[1];
    w->change[1] = swapped[0];
    w->change[1].header.height = 9;
    assert_int_equal(lt_run(w, 2, MC_LIGHT_CHANGE_ORDER).at, 1);
    w->change[1].header.height = 3;
    assert_int_equal(lt_run(w, 2, MC_LIGHT_CHANGE_ORDER).at, 1);
    lt_free(w);
}

/* Trust from another genesis: every header is of another chain. */
static void test_wrong_genesis(void **state)
{
    (void)state;
    lt_world *w = lt_new();
    mc_test_net other;
    assert_ok(mc_test_net_init(&other, 4, 0));
    assert_ok(mc_light_trust_genesis(&w->trust, other.genesis.p, other.genesis.n));
    assert_int_equal(lt_run(w, 2, MC_LIGHT_WRONG_CHAIN).at, 0);
    assert_int_equal(lt_run(w, 0, MC_LIGHT_WRONG_CHAIN).at, 0);
    /* the right chain id with another first set (a client that took its keys elsewhere) */
    w->trust.chain = w->net.chain;
    assert_int_equal(lt_run(w, 2, MC_LIGHT_SET_LEFT_OUT).at, 0);
    mc_test_net_free(&other);
    lt_free(w);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    lt_world *w = lt_new();
    mc_light_report r;
    r.code = 99;
    assert_rc(mc_light_check(NULL, w->change, 2, &w->h, &w->cert, &r), MC_EINVAL);
    assert_int_equal(r.code, MC_LIGHT_OK);
    assert_rc(mc_light_check(&w->trust, NULL, 2, &w->h, &w->cert, &r), MC_EINVAL);
    assert_rc(mc_light_check(&w->trust, w->change, 2, NULL, &w->cert, &r), MC_EINVAL);
    assert_rc(mc_light_check(&w->trust, w->change, 2, &w->h, NULL, &r), MC_EINVAL);
    assert_rc(mc_light_check(&w->trust, w->change, 2, &w->h, &w->cert, NULL), MC_EINVAL);
    assert_rc(mc_light_check(&w->trust, w->change, MC_LIGHT_MAX_CHANGES + 1, &w->h, &w->cert, &r), MC_EINVAL);
    w->cert.nsigs = MC_MAX_CERT_SIGS + 1;
    assert_rc(mc_light_check(&w->trust, w->change, 2, &w->h, &w->cert, &r), MC_EDENIED);
    assert_int_equal(r.code, MC_LIGHT_CERT_MALFORMED);
    lt_free(w);
}

/* Every code has its own name and sentence. */
static void test_names(void **state)
{
    (void)state;
    for (int i = 0; i < MC_LIGHT_CODE_COUNT_; i++) {
        assert_non_null(mc_light_name(i));
        assert_string_not_equal(mc_light_name(i), "UNKNOWN");
        assert_string_not_equal(mc_light_reason(i), "unknown reason");
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(mc_light_name(i), mc_light_name(j));
            assert_string_not_equal(mc_light_reason(i), mc_light_reason(j));
        }
    }
    assert_string_equal(mc_light_name(MC_LIGHT_CODE_COUNT_), "UNKNOWN");
    assert_string_equal(mc_light_name(-1), "UNKNOWN");
    assert_string_equal(mc_light_reason(-1), "unknown reason");
    assert_non_null(strstr(mc_light_reason(MC_LIGHT_SET_LEFT_OUT), "left out"));
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_from_genesis),  cmocka_unit_test(test_good_chains),
        cmocka_unit_test(test_certificate_refused), cmocka_unit_test(test_header_altered),
        cmocka_unit_test(test_changes_refused),     cmocka_unit_test(test_wrong_genesis),
        cmocka_unit_test(test_bad_arguments),       cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
