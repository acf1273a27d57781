/*
 * Validator admission (issue 5): org.propose with a validator node, the new validator set from
 * the block after the admission, the header's validators field, batches and certificates judged
 * by the set of their height, and the set surviving a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consenttest.h"
#include "medchain/store.h"

static void mc_header_at(mc_tchain *c, uint64_t h, mc_header *out, mc_hash *hh)
{
    mc_store_txn *txn;
    mc_slice raw;
    mc_block blk;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_ok(mc_store_get_block(txn, h, &raw));
    assert_ok(mc_block_decode(&blk, raw.p, raw.n));
    *out = blk.header;
    mc_store_abort(txn);
    mc_header_hash(hh, out);
}

/* Applies a batch of no transactions proposed by @p k (with @p cert); returns the result. */
static const mc_exec_result *mc_empty_batch(mc_world *w, const mc_test_key *k, const mc_cert *cert)
{
    mc_buf b;
    mc_buf_init(&b, 1 << 20);
    assert_ok(mc_test_batch(&b, &w->net, k, NULL, cert));
    const mc_exec_result *r = mc_tchain_apply(&w->c, b.p, b.n);
    mc_buf_free(&b);
    return r;
}

/* A certificate of header @p h by the keys @p ks (signers sorted by id, as the format wants). */
static void mc_cert_by(mc_world *w, uint64_t h, const mc_test_key *const *ks, uint32_t n, mc_cert *cert)
{
    mc_header hdr;
    memset(cert, 0, sizeof *cert);
    cert->height = h;
    mc_header_at(&w->c, h, &hdr, &cert->header_hash);
    mc_hash d;
    mc_attest_digest(&d, &w->net.chain, h, &cert->header_hash);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = cert->nsigs;
        while (at > 0 && memcmp(cert->signers[at - 1].b, ks[i]->id.b, 32) > 0) {
            cert->signers[at] = cert->signers[at - 1];
            cert->sigs[at] = cert->sigs[at - 1];
            at--;
        }
        cert->signers[at] = ks[i]->id;
        mc_sign(&cert->sigs[at], d.b, 32, &ks[i]->sk);
        cert->nsigs++;
    }
}

static void test_validator_admission(void **state)
{
    (void)state;
    mc_world *w = malloc(sizeof *w);
    mc_world_open(w, NULL);
    mc_tchain *c = &w->c;
    mc_valset before, after;
    mc_exec_get_valset(c->x, &before);
    assert_int_equal(before.n, 1);
    assert_memory_equal(before.pks[0].b, w->net.val[0].pk.b, 32);

    mc_who org;
    mc_test_key node;
    mc_who_new(&org);
    mc_test_key_new(&node);
    /* before its admission the node's batches are not ordered into blocks */
    const mc_exec_result *r = mc_empty_batch(w, &node, NULL);
    assert_int_equal(r->applied, 0);
    assert_int_equal(r->skip_reason, MC_EDENIED);

    mc_body_org_propose p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "Hospital C");
    snprintf(p.type, sizeof p.type, "hospital");
    p.sign_pk = org.key.pk;
    p.box_pk = org.key.box_pk;
    p.has_node = 1;
    p.node_sign_pk = w->net.val[0].pk; /* a key already in use: refused */
    p.node_box_pk = node.box_pk;
    mc_buf_reset(&c->body);
    assert_ok(mc_body_org_propose_encode(&c->body, &p));
    mc_add(c, &w->hosp, MC_TX_ORG_PROPOSE, MC_TXR_EXISTS);
    p.node_sign_pk = node.pk;
    mc_buf_reset(&c->body);
    assert_ok(mc_body_org_propose_encode(&c->body, &p));
    mc_add(c, &w->hosp, MC_TX_ORG_PROPOSE, MC_TXR_OK);
    mc_commit(c, 0);
    mc_hash prop;
    mc_last_txid(w, 1, &prop);
    mc_body_org_approve a = {prop};
    mc_buf_reset(&c->body);
    assert_ok(mc_body_org_approve_encode(&c->body, &a));
    mc_add(c, &w->reg, MC_TX_ORG_APPROVE, MC_TXR_OK); /* the threshold (2 of 3): admitted */
    r = mc_commit(c, 0);
    uint64_t h = r->header.height;
    mc_hash old_hash, new_hash;
    mc_valset_hash(&old_hash, &before);
    mc_exec_get_valset(c->x, &after);
    mc_valset_hash(&new_hash, &after);
    assert_memory_equal(r->header.validators.b, old_hash.b, 32);      /* block h: still the old set */
    assert_memory_equal(r->header.next_validators.b, new_hash.b, 32); /* and it names the next */

    mc_identity idn;
    mc_get_identity(c, &node.id, &idn);
    assert_int_equal(idn.kind, MC_ID_NODE);
    assert_memory_equal(idn.org.b, org.id.b, 32);
    assert_string_equal(mc_attrs_get(&idn.attrs, "validator"), "true");
    assert_int_equal(after.n, 2);
    assert_int_equal(after.from_height, h + 1);
    assert_memory_equal(after.pks[1].b, node.pk.b, 32);
    mc_store_txn *txn;
    mc_valset at;
    assert_ok(mc_store_begin(c->st, 0, &txn));
    assert_ok(mc_store_get_valset(txn, h, &at));
    assert_int_equal(at.n, 1);
    assert_ok(mc_store_get_valset(txn, h + 1, &at));
    assert_int_equal(at.n, 2);
    assert_ok(mc_store_get_valset(txn, h + 1000, &at));
    assert_int_equal(at.n, 2);
    mc_store_abort(txn);

    /* now the new node proposes, and the next header names the new set */
    r = mc_empty_batch(w, &node, NULL);
    assert_int_equal(r->applied, 1);
    assert_int_equal(r->header.height, h + 1);
    assert_memory_equal(r->header.validators.b, new_hash.b, 32);

    /* certificates count by the set of their height: 1 of 1 for block h, 2 of 2 after it */
    const mc_test_key *v0[] = {&w->net.val[0]}, *both[] = {&w->net.val[0], &node};
    mc_cert cert;
    mc_cert_by(w, h, v0, 1, &cert);
    assert_int_equal(mc_empty_batch(w, &node, &cert)->applied, 1);
    mc_cert_by(w, h + 1, v0, 1, &cert);
    r = mc_empty_batch(w, &node, &cert);
    assert_int_equal(r->applied, 0);
    assert_int_equal(r->skip_reason, MC_EBADSIG);
    mc_cert_by(w, h + 1, both, 2, &cert);
    assert_int_equal(mc_empty_batch(w, &w->net.val[0], &cert)->applied, 1);

    /* a restart keeps the set */
    mc_tchain_reopen(c);
    mc_exec_get_valset(c->x, &at);
    assert_memory_equal(&at, &after, sizeof at);
    assert_int_equal(mc_empty_batch(w, &node, NULL)->applied, 1);
    mc_world_close(w);
    free(w);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_admission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
