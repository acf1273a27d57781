/* Test fixtures: keys, a small consortium, builders. Public API only. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

/* tests/vectors/keys.txt: seed i = SHA-256("medchain test key " || i), public key by RFC 8032
 * key generation (computed by tests/vectors/make_vectors.py, not by the code under test). */
static const char *const mc_test_fixed_hex[MC_TEST_FIXED_KEYS][2] = {
    {"eb2a207f4ac404357aba95ec0aa0b9a9a944937acfce8071aae939628657bb7c",
     "01eb49c0897ef44999c17cba54438a8cfae3152ea66be3a6a489423e52125f4f"},
    {"e421eedcb17a9ad8a5587a82bf4c4354ada298252ddac776280e62dcedc13f99",
     "e444309d65aa9b3c0506342998241d20009f5e0a46ae6d8d2ce5702aaab2cbdf"},
    {"9445e36d9928607029d083869e4344a1137ed64632fb1aa428a31f3720feb17f",
     "679a6f028ee000af3d7b746888c47c7995b4fbd327841748b65cad23d109e99f"},
    {"3ec5cfe848a693f2fea67a0be6100c7608dab194a7ba1e05fbda079ba6277701",
     "65abeff3ecfdec6a8e87052cecbd55b00a9cb45936c94d2790bbfed69366fe0a"},
    {"da30363e80e92da6faa0ee2ba02746cd13b6b0176573c4e125cec34f13aaa35f",
     "c5e54a12f901a8a877aaa62e5edfe09f5255d49501b9a39da73e00dd0ce569ef"},
    {"081981378321c7326827d68884683c5ac9cae581bcad67b6a44d9410b84cd53b",
     "c364f772beb5ed122e8113f0668839e988af1f699852718b88e29811a15ff61c"},
    {"102568970c73121b0e75154c37f2a3f4f338287ce688e422f82a7c09291bedeb",
     "adc18c963b180057c9399cae0449d09f55450e068a57005454603a5071dfc4b1"},
    {"3b9fc07a3e8774c6d010f6ddfb2758c79bf786e77b5d7c7d7770c6abfa7c08a3",
     "840e47630ac24a5140a022a5e77e907678b490285b76e9ff2d03e1215ea607a5"},
};

void mc_test_key_new(mc_test_key *k)
{
    mc_sign_keypair(&k->pk, &k->sk);
    mc_box_keypair(&k->box_pk, &k->box_sk);
    mc_id_from_pk(&k->id, &k->pk);
}

void mc_test_key_fixed_raw(unsigned i, uint8_t seed[32], uint8_t pk[32])
{
    i %= MC_TEST_FIXED_KEYS;
    if (mc_hex_decode(seed, 32, mc_test_fixed_hex[i][0], 64) ||
        mc_hex_decode(pk, 32, mc_test_fixed_hex[i][1], 64))
        memset(seed, 0, 32); /* cannot happen: the table is valid hex */
}

void mc_test_key_fixed(mc_test_key *k, unsigned i)
{
    /* libsodium's secret key layout is seed || public key (crypto.h) */
    mc_test_key_fixed_raw(i, k->sk.b, k->sk.b + 32);
    memcpy(k->pk.b, k->sk.b + 32, 32);
    char tag[64];
    snprintf(tag, sizeof tag, "medchain test box key %u", i % MC_TEST_FIXED_KEYS);
    mc_hash h;
    mc_sha256(&h, tag, strlen(tag));
    memcpy(k->box_sk.b, h.b, 32);
    mc_box_sk_to_pk(&k->box_pk, &k->box_sk);
    mc_id_from_pk(&k->id, &k->pk);
}

static const char *const mc_test_org_names[MC_TEST_ORGS][2] = {
    {"General Hospital", "hospital"},
    {"Health Authority", "regulator"},
    {"Research Institute", "research"},
};

int mc_test_net_init(mc_test_net *n, uint32_t nval, int fixed)
{
    memset(n, 0, sizeof *n);
    if (nval == 0 || nval > MC_TEST_MAX_VALS) return MC_EINVAL;
    mc_genesis *g = &n->g;
    snprintf(g->name, sizeof g->name, "medchain-test");
    g->time_ms = MC_TEST_GENESIS_TIME;
    g->threshold = 2;
    g->norgs = MC_TEST_ORGS;
    for (uint32_t i = 0; i < MC_TEST_ORGS; i++) {
        if (fixed)
            mc_test_key_fixed(&n->org[i], i);
        else
            mc_test_key_new(&n->org[i]);
        snprintf(g->orgs[i].name, sizeof g->orgs[i].name, "%s", mc_test_org_names[i][0]);
        snprintf(g->orgs[i].type, sizeof g->orgs[i].type, "%s", mc_test_org_names[i][1]);
        g->orgs[i].sign_pk = n->org[i].pk;
        g->orgs[i].box_pk = n->org[i].box_pk;
    }
    n->nval = g->nvalidators = nval;
    for (uint32_t i = 0; i < nval; i++) {
        if (fixed)
            mc_test_key_fixed(&n->val[i], MC_TEST_ORGS + i);
        else
            mc_test_key_new(&n->val[i]);
        g->validators[i].org = i % MC_TEST_ORGS;
        g->validators[i].sign_pk = n->val[i].pk;
        g->validators[i].box_pk = n->val[i].box_pk;
    }
    mc_buf_init(&n->genesis, 1 << 20);
    int rc = mc_genesis_encode(&n->genesis, g);
    if (rc) return rc;
    mc_genesis_chain_id(&n->chain, n->genesis.p, n->genesis.n);
    n->seq = 1;
    n->time_ms = MC_TEST_GENESIS_TIME + 1000;
    return MC_OK;
}

void mc_test_net_free(mc_test_net *n)
{
    mc_buf_free(&n->genesis);
}

int mc_test_body_register(mc_buf *out, uint8_t kind, const mc_id *org, const mc_test_key *newk,
                          const char *attrs, const mc_test_key *cosigner, const mc_hash *chain)
{
    mc_body_register b;
    memset(&b, 0, sizeof b);
    b.kind = kind;
    b.org = *org;
    b.sign_pk = newk->pk;
    b.box_pk = newk->box_pk;
    int rc = mc_attrs_parse(&b.attrs, attrs ? attrs : "");
    if (rc) return rc;
    if (cosigner) {
        mc_hash msg;
        if ((rc = mc_body_register_cosig_msg(&msg, chain, &b))) return rc;
        b.has_cosig = 1;
        mc_sign(&b.cosig, msg.b, 32, &cosigner->sk);
    }
    return mc_body_register_encode(out, &b);
}

int mc_test_body_rotate(mc_buf *out, const mc_id *id, const mc_test_key *newk)
{
    mc_body_rotate b = {.id = *id, .sign_pk = newk->pk, .box_pk = newk->box_pk};
    return mc_body_rotate_encode(out, &b);
}

int mc_test_body_revoke(mc_buf *out, const mc_id *id, uint16_t reason)
{
    mc_body_revoke b = {.id = *id, .reason = reason};
    return mc_body_revoke_encode(out, &b);
}

void mc_test_txs_init(mc_test_txs *l)
{
    memset(l, 0, sizeof *l);
    mc_buf_init(&l->all, (size_t)MC_TEST_MAX_TXS * (MC_MAX_TX_BYTES + 64));
}

void mc_test_txs_free(mc_test_txs *l)
{
    mc_buf_free(&l->all);
}

void mc_test_txs_reset(mc_test_txs *l)
{
    mc_buf_reset(&l->all);
    l->n = 0;
}

int mc_test_txs_raw(mc_test_txs *l, const void *p, size_t n)
{
    if (l->n == MC_TEST_MAX_TXS) return MC_ETOOBIG;
    l->off[l->n] = l->all.n;
    int rc = mc_buf_append(&l->all, p, n);
    if (rc) return rc;
    l->off[++l->n] = l->all.n;
    return MC_OK;
}

int mc_test_txs_add(mc_test_txs *l, const mc_hash *chain, const mc_id *signer, const mc_sign_sk *sk,
                    uint64_t nonce, uint16_t kind, const mc_buf *body, mc_hash *id)
{
    if (l->n == MC_TEST_MAX_TXS) return MC_ETOOBIG;
    l->off[l->n] = l->all.n;
    int rc =
        mc_tx_build(&l->all, id, chain, signer, nonce, kind, body ? body->p : NULL, body ? body->n : 0, sk);
    if (rc) return rc;
    l->off[++l->n] = l->all.n;
    return MC_OK;
}

mc_slice mc_test_txs_get(const mc_test_txs *l, uint32_t i)
{
    mc_slice s = {l->all.p + l->off[i], l->off[i + 1] - l->off[i]};
    return s;
}

const mc_slice *mc_test_txs_slices(mc_test_txs *l)
{
    for (uint32_t i = 0; i < l->n; i++) l->s[i] = mc_test_txs_get(l, i);
    return l->s;
}

int mc_test_batch(mc_buf *out, mc_test_net *n, const mc_test_key *proposer, mc_test_txs *l,
                  const mc_cert *cert)
{
    mc_buf_reset(out);
    const mc_slice *s = l ? mc_test_txs_slices(l) : NULL;
    int rc = mc_batch_build(out, NULL, &n->chain, &proposer->id, n->seq, n->time_ms, s, l ? l->n : 0, cert,
                            &proposer->sk);
    if (rc) return rc;
    n->seq++;
    n->time_ms += 1000;
    return MC_OK;
}

int mc_test_cert(mc_cert *c, const mc_hash *chain, uint64_t height, const mc_hash *hh,
                 const mc_test_key *const *keys, uint32_t n)
{
    const mc_test_key *k[MC_MAX_CERT_SIGS];
    memset(c, 0, sizeof *c);
    if (n > MC_MAX_CERT_SIGS) return MC_ETOOBIG;
    memcpy(k, keys, n * sizeof *k);
    /* signers strictly increasing by id (insertion sort: n is small) */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && memcmp(k[j - 1]->id.b, k[j]->id.b, 32) > 0; j--) {
            const mc_test_key *t = k[j];
            k[j] = k[j - 1];
            k[j - 1] = t;
        }
    c->height = height;
    c->header_hash = *hh;
    for (uint32_t i = 0; i < n; i++) {
        mc_attest a;
        mc_attest_sign(&a, chain, height, hh, &k[i]->pk, &k[i]->sk);
        c->signers[i] = a.validator;
        c->sigs[i] = a.sig;
    }
    c->nsigs = n;
    return MC_OK;
}
