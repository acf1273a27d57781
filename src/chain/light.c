/*
 * The light-client check: whether a quorum of the right validators certified a header, trusting
 * only a genesis config. The trust moves from one set to the next through headers the old set
 * certified (their next_validators), so a node serving a proof can neither invent a set nor
 * leave a change out: the header of the proof names the set that certifies it.
 */
#include <string.h>

#include "chain_internal.h"
#include "medchain/chain.h"

static const struct {
    const char *name, *text;
} mc_light_codes[MC_LIGHT_CODE_COUNT_] = {
    [MC_LIGHT_OK] = {"OK", "certified by a quorum of the trusted validator set"},
    [MC_LIGHT_WRONG_CHAIN] = {"WRONG_CHAIN", "the header is of another chain than the trusted genesis"},
    [MC_LIGHT_SET_LEFT_OUT] = {"SET_LEFT_OUT", "the header names another validator set than the one trusted "
                                               "at its height: a validator-set change was left out"},
    [MC_LIGHT_CERT_OTHER_HEADER] =
        {"CERT_OTHER_HEADER", "the certificate is for another header (hash or height) than the one given"},
    [MC_LIGHT_CERT_MALFORMED] = {"CERT_MALFORMED",
                                 "the certificate's signers are not strictly increasing or exceed the cap"},
    [MC_LIGHT_NO_QUORUM] = {"NO_QUORUM", "fewer signatures of the validator set verify than its quorum"},
    [MC_LIGHT_CHANGE_ORDER] = {"CHANGE_ORDER", "the validator-set changes are not in ascending height order "
                                               "below the header's height"},
    [MC_LIGHT_BAD_SET] = {"BAD_SET", "a new validator set is empty, too large or names a key twice"},
    [MC_LIGHT_FORGED_SET] = {"FORGED_SET",
                             "a new validator set is not the one its certified header names (forged)"},
};

const char *mc_light_name(int code)
{
    return code >= 0 && code < MC_LIGHT_CODE_COUNT_ ? mc_light_codes[code].name : "UNKNOWN";
}

const char *mc_light_reason(int code)
{
    return code >= 0 && code < MC_LIGHT_CODE_COUNT_ ? mc_light_codes[code].text : "unknown reason";
}

int mc_light_trust_genesis(mc_light_trust *t, const uint8_t *genesis, size_t n)
{
    mc_genesis g;
    if (!t) return MC_EINVAL;
    memset(t, 0, sizeof *t);
    if (!genesis || mc_genesis_decode(&g, genesis, n) != MC_OK) return MC_EINVAL;
    mc_genesis_chain_id(&t->chain, genesis, n);
    /* the order is part of the set's hash: genesis order, as the executor stores it */
    t->validators.from_height = 1;
    t->validators.n = g.nvalidators;
    for (uint32_t i = 0; i < g.nvalidators; i++) t->validators.pks[i] = g.validators[i].sign_pk;
    return MC_OK;
}

/* Records refusal @p code in @p out; returns MC_EDENIED. */
static int mc_light_refuse(mc_light_report *out, int code)
{
    out->code = code;
    return MC_EDENIED;
}

/*
 * One header against the set @p vs trusted at its height: of this chain, naming @p vs, and
 * certified over exactly its hash and height by a quorum of @p vs.
 */
static int mc_light_header(const mc_light_trust *t, const mc_valset *vs, const mc_header *h, const mc_cert *c,
                           mc_light_report *out)
{
    mc_hash want, hh;
    out->height = h->height;
    out->nvalidators = vs->n;
    out->quorum = mc_quorum(vs->n);
    out->nsigs = c->nsigs;
    if (memcmp(h->chain.b, t->chain.b, 32) != 0) return mc_light_refuse(out, MC_LIGHT_WRONG_CHAIN);
    mc_valset_hash(&want, vs);
    if (memcmp(h->validators.b, want.b, 32) != 0) return mc_light_refuse(out, MC_LIGHT_SET_LEFT_OUT);
    mc_header_hash(&hh, h);
    if (c->height != h->height || memcmp(c->header_hash.b, hh.b, 32) != 0)
        return mc_light_refuse(out, MC_LIGHT_CERT_OTHER_HEADER);
    if (mc_cert_count(c, &t->chain, vs->pks, vs->n, &out->nvalid) != MC_OK)
        return mc_light_refuse(out, MC_LIGHT_CERT_MALFORMED);
    for (uint32_t i = 0; i < c->nsigs; i++) out->noutside += mc_valset_find(vs, &c->signers[i]) < 0;
    return out->nvalid >= out->quorum ? MC_OK : mc_light_refuse(out, MC_LIGHT_NO_QUORUM);
}

int mc_light_check(const mc_light_trust *t, const mc_light_change *changes, size_t n, const mc_header *h,
                   const mc_cert *cert, mc_light_report *out)
{
    if (out) memset(out, 0, sizeof *out);
    if (!t || !h || !cert || !out || (n && !changes) || n > MC_LIGHT_MAX_CHANGES) return MC_EINVAL;
    const mc_valset *cur = &t->validators;
    /* ascending and below the proof's header (a change at or above it cannot concern it),
     * checked first so that the order is named whatever else is wrong */
    for (size_t i = 0; i < n; i++)
        if ((i > 0 && changes[i].header.height <= changes[i - 1].header.height) ||
            changes[i].header.height >= h->height) {
            out->at = i;
            out->height = changes[i].header.height;
            return mc_light_refuse(out, MC_LIGHT_CHANGE_ORDER);
        }
    for (size_t i = 0; i < n; i++) {
        const mc_light_change *ch = &changes[i];
        mc_hash next;
        out->at = i;
        int rc = mc_light_header(t, cur, &ch->header, &ch->cert, out);
        if (rc) return rc;
        if (mc_valset_check(&ch->next) != MC_OK) return mc_light_refuse(out, MC_LIGHT_BAD_SET);
        mc_valset_hash(&next, &ch->next);
        if (memcmp(ch->header.next_validators.b, next.b, 32) != 0)
            return mc_light_refuse(out, MC_LIGHT_FORGED_SET);
        cur = &ch->next;
        memset(out, 0, sizeof *out); /* the next header's figures start afresh */
    }
    out->at = n;
    return mc_light_header(t, cur, h, cert, out);
}
