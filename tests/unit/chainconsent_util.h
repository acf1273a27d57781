/*
 * Helpers shared by the chain consent suites (test_chain_consent_*.c, test_chain_reads.c): a
 * codec behind one signature, the round trip and refusal checks, byte surgery on a good encoding,
 * sample values and the byte offsets inside their encodings (docs/format.md). Failures are cmocka
 * assertions.
 */
#ifndef MEDCHAIN_CHAINCONSENT_UTIL_H
#define MEDCHAIN_CHAINCONSENT_UTIL_H

#include "medchain/chain.h"
#include "testutil.h"

/* ------------------------------------------------------------------------------------------ */
/* A codec behind one signature, so the checks below serve every type                          */

typedef struct {
    size_t size;
    int (*enc)(mc_buf *out, const void *v);
    int (*dec)(void *v, const uint8_t *p, size_t n);
    mc_decode_fn exact;
    int flat; /* no pointers inside: a decoded value compares equal byte for byte */
} mc_codec;

/* One per encoded type (chainconsent_util.c). */
extern const mc_codec mc_c_anchor;
extern const mc_codec mc_c_consent_body;
extern const mc_codec mc_c_consent_revoke;
extern const mc_codec mc_c_delegate_body;
extern const mc_codec mc_c_emergency_body;
extern const mc_codec mc_c_access_log;
extern const mc_codec mc_c_org_propose;
extern const mc_codec mc_c_org_approve;
extern const mc_codec mc_c_record;
extern const mc_codec mc_c_consent;
extern const mc_codec mc_c_delegate;
extern const mc_codec mc_c_emergency;
extern const mc_codec mc_c_access;
extern const mc_codec mc_c_proposal;
extern const mc_codec mc_c_event;
extern const mc_codec mc_c_read_request;
extern const mc_codec mc_c_access_reads;
extern const mc_codec mc_c_gatekeeper_body;
extern const mc_codec mc_c_gatekeeper;

/* The decoder refuses @p p with @p want and leaves its output zeroed. */
void mc_refuse(const mc_codec *c, const uint8_t *p, size_t n, int want);
/* The encoder refuses @p v with @p want and writes nothing. */
void mc_refuse_enc(const mc_codec *c, const void *v, int want);
/* Round trip of @p v into @p out with the truncation, trailing-byte and bit-flip sweeps. */
void mc_roundtrip(const mc_codec *c, const void *v, mc_buf *out);

/* Byte surgery on a copy of a good encoding. */
void mc_copy(mc_buf *dst, const mc_buf *src);
/* Sets the @p width-byte big-endian integer at @p off to @p v. */
void mc_put(mc_buf *b, size_t off, unsigned width, uint64_t v);
/* The decoder refuses @p good with the @p width-byte integer at @p off set to @p v. */
void mc_refuse_at(const mc_codec *c, const mc_buf *good, size_t off, unsigned width, uint64_t v, int want);
/* Replaces @p del bytes at @p off with @p nins bytes of @p ins. */
void mc_splice(mc_buf *b, size_t off, size_t del, const void *ins, size_t nins);
/* Swaps the @p n bytes at @p a and @p b. */
void mc_swap(mc_buf *buf, size_t a, size_t b, size_t n);
/* Replaces the wire string (u32 length then the bytes) @p old at @p off with @p new_. */
void mc_splice_str(mc_buf *b, size_t off, const char *old, const char *new_);

/* Sample values */

/* Random bytes, with the first byte set to @p first so that lists can be made in order. */
void mc_fill(void *p, size_t n, uint8_t first);
void mc_sample_anchor(mc_body_anchor *b, uint32_t nkeys, uint32_t ntokens);

/* Byte offsets inside an encoded anchor (docs/format.md). */
typedef struct {
    size_t category, sensitivity, nkeys, keys, ntokens, tokens, has_supersedes;
} mc_anchor_layout;
mc_anchor_layout mc_anchor_layout_of(const mc_body_anchor *b);

/* A grant to the nurses of the ER of an org, for three categories, with re-wrapped keys. */
void mc_sample_grant_selector(mc_body_consent *b);
/* A deny to one identity for three records. */
void mc_sample_deny_records(mc_body_consent *b);

typedef struct {
    size_t grantee_kind, selector, scope_kind, ncats, cats, nrecords, records, purposes, actions, not_before,
        not_after, nkeys, keys, end;
} mc_consent_layout;
/* Byte offsets inside an encoded consent body that starts at @p base. */
mc_consent_layout mc_consent_layout_of(const mc_body_consent *b, size_t base);

void mc_sample_emergency_body(mc_body_emergency *b, uint8_t (*reasons)[MC_MAX_REASON_BYTES], uint32_t n);
void mc_sample_access_log(mc_body_access_log *b);

/* access.log: reader 32 | time 8 | nonce 16 | sig 64 | record 32, then the decision. */
#define MC_LOG_PURPOSE 152u
#define MC_LOG_ACTION  156u
#define MC_LOG_PERMIT  157u
#define MC_LOG_REASON  158u
#define MC_LOG_BASIS   160u
void mc_sample_access(mc_access *a);

/* mc_access: version 1 | five ids 160 | time 8, then the decision. */
#define MC_ACC_PURPOSE   169u
#define MC_ACC_ACTION    173u
#define MC_ACC_PERMIT    174u
#define MC_ACC_EMERGENCY 175u
#define MC_ACC_REASON    176u
#define MC_ACC_BASIS     178u
void mc_sample_org(mc_body_org_propose *o);

#endif
