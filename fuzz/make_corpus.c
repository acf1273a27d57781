/*
 * Writes the seed corpus of the fuzz targets: valid encodings of every value each target
 * decodes, made with the fixed test keys (Ed25519 is deterministic, so the files are the same
 * on every run), plus a few invalid ones next to them. Usage: fuzz_make_corpus <fuzz/corpus>
 *
 * Files stay small (well under 16 KiB) so the corpus can live in git.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "medchain/chain.h"
#include "medchain/crypto.h"

static const char *mc_corpus_root;

static void mc_corpus_die(const char *what, int rc)
{
    fprintf(stderr, "make_corpus: %s: %s\n", what, mc_strerror(rc));
    exit(1);
}

#define MC_TRY(expr)                                                                                         \
    do {                                                                                                     \
        int rc_ = (expr);                                                                                    \
        if (rc_) mc_corpus_die(#expr, rc_);                                                                  \
    } while (0)

static void mc_corpus_put(const char *target, const char *name, const void *p, size_t n)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/%s", mc_corpus_root, target);
    MC_TRY(mc_dir_make(dir));
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n > 16384) mc_corpus_die(path, MC_ETOOBIG);
    MC_TRY(mc_file_write_atomic(path, p, n, 0644));
}

static void mc_corpus_buf(const char *target, const char *name, const mc_buf *b)
{
    mc_corpus_put(target, name, b->p, b->n);
}

/* The same bytes with one more byte, one byte fewer, and one byte flipped. */
static void mc_corpus_variants(const char *target, const char *name, const mc_buf *b, size_t flip)
{
    char nm[256];
    uint8_t *t = malloc(b->n + 1);
    if (!t) mc_corpus_die("malloc", MC_ENOMEM);
    memcpy(t, b->p, b->n);
    t[b->n] = 0;
    snprintf(nm, sizeof nm, "bad_%s_trailing", name);
    mc_corpus_put(target, nm, t, b->n + 1);
    snprintf(nm, sizeof nm, "bad_%s_truncated", name);
    mc_corpus_put(target, nm, t, b->n - 1);
    t[flip % b->n] ^= 0x80;
    snprintf(nm, sizeof nm, "bad_%s_flipped", name);
    mc_corpus_put(target, nm, t, b->n);
    free(t);
}

/* ---- fuzz_bodies: the first byte selects the decoder, in the order of fuzz_bodies.c ---- */
enum {
    MC_FZ_ANCHOR,
    MC_FZ_CONSENT_BODY,
    MC_FZ_CONSENT_REVOKE,
    MC_FZ_DELEGATE_BODY,
    MC_FZ_EMERGENCY_BODY,
    MC_FZ_ACCESS_LOG,
    MC_FZ_ORG_PROPOSE,
    MC_FZ_ORG_APPROVE,
    MC_FZ_RECORD,
    MC_FZ_CONSENT,
    MC_FZ_DELEGATE,
    MC_FZ_EMERGENCY,
    MC_FZ_ACCESS,
    MC_FZ_PROPOSAL,
    MC_FZ_EVENT,
    MC_FZ_GATEKEEPER_BODY,
    MC_FZ_GATEKEEPER,
    MC_FZ_READ_REQUEST,
    MC_FZ_ACCESS_READS,
    MC_FZ_READ_RESPONSE,
};

/* Writes fuzz_bodies/<name>: the selector byte then what @p enc wrote into @p b (reset first). */
static void mc_corpus_sel(const char *name, uint8_t sel, mc_buf *b, int rc)
{
    if (rc) mc_corpus_die(name, rc);
    MC_TRY(mc_buf_reserve(b, 1));
    memmove(b->p + 1, b->p, b->n);
    b->p[0] = sel;
    b->n++;
    mc_corpus_buf("fuzz_bodies", name, b);
}

static void mc_corpus_hash(mc_hash *h, const char *label)
{
    mc_sha256(h, label, strlen(label));
}

/* Two 32-byte values (ids, hashes) in increasing order. */
static void mc_corpus_order(void *lo, void *hi, const void *a, const void *b)
{
    int less = memcmp(a, b, 32) < 0;
    memcpy(lo, less ? a : b, 32);
    memcpy(hi, less ? b : a, 32);
}

/* A read response: a served record (with a ciphertext and a key box), a refused one, one held
 * elsewhere with the chain's metadata. */
static void mc_corpus_response(mc_buf *b, const mc_read_request *q, const mc_test_key *pat,
                               const mc_test_key *org)
{
    static const uint8_t cipher[96] = {1};
    static const uint8_t box[52 + 64] = {7};
    mc_read_response r;
    mc_read_item it[3];
    memset(&r, 0, sizeof r);
    memset(it, 0, sizeof it);
    mc_corpus_hash(&r.log_tx, "reads-tx");
    r.height = 12;
    r.keybox = (mc_slice){box, sizeof box};
    r.n = 3;
    for (int i = 0; i < 3; i++) {
        it[i].record = q->ids[i < 2 ? i : 1];
        it[i].custodian = org->id;
    }
    mc_corpus_hash(&it[2].record, "record-3");
    it[0].status = MC_READ_SERVED;
    it[0].reason = MC_RSN_PERMIT_EMERGENCY;
    it[0].patient = pat->id;
    mc_corpus_hash(&it[0].cipher_hash, "ciphertext");
    mc_corpus_hash(&it[0].commitment, "commitment");
    it[0].size = sizeof cipher;
    strcpy(it[0].category, "laboratory");
    it[0].time_ms = MC_TEST_GENESIS_TIME + 4000;
    it[0].released = 1;
    it[0].cipher = (mc_slice){cipher, sizeof cipher};
    it[1].status = MC_READ_DENIED;
    it[1].reason = MC_RSN_DENY_EXPLICIT;
    it[2].status = MC_READ_ELSEWHERE;
    it[2].has_meta = 1;
    it[2].patient = pat->id;
    it[2].cipher_hash = it[0].cipher_hash;
    it[2].commitment = it[0].commitment;
    it[2].size = 4096;
    mc_buf_reset(b);
    int rc = mc_read_head_encode(b, &r);
    for (int i = 0; i < 3 && !rc; i++) rc = mc_read_item_encode(b, &it[i]);
    mc_corpus_sel("read_response", MC_FZ_READ_RESPONSE, b, rc);
}

/* Key release and whole-chart reads: org.gatekeeper, its state, a read request, access.reads. */
static void mc_corpus_reads(mc_buf *b, const mc_test_key *pat, const mc_test_key *prov,
                            const mc_test_key *org)
{
    mc_gatekeeper g;
    memset(&g, 0, sizeof g);
    g.org = org->id;
    g.by = prov->id;
    g.body.release_pk = prov->box_pk;
    g.body.nurls = 2;
    strcpy(g.body.urls[0], "https://gatekeeper.general.invalid:7700");
    strcpy(g.body.urls[1], "http://10.1.2.3:7700");
    g.height = 1;
    mc_buf_reset(b);
    mc_corpus_sel("gatekeeper", MC_FZ_GATEKEEPER_BODY, b, mc_body_gatekeeper_encode(b, &g.body));
    mc_buf_reset(b);
    mc_corpus_sel("gatekeeper_state", MC_FZ_GATEKEEPER, b, mc_gatekeeper_encode(b, &g));

    mc_read_request *q = calloc(1, sizeof *q);
    mc_body_access_reads *r = calloc(1, sizeof *r);
    mc_buf req;
    mc_buf_init(&req, MC_MAX_READ_REQUEST_BYTES);
    if (!q || !r) mc_corpus_die("calloc", MC_ENOMEM);
    q->purpose = MC_PURPOSE_TREAT;
    q->action = MC_ACTION_READ;
    q->by = MC_READS_BY_PATIENT;
    q->patient = pat->id;
    q->ncats = 1;
    strcpy(q->cats[0], "laboratory");
    q->to_ms = MC_TEST_GENESIS_TIME + 86400000;
    q->limit = 100;
    mc_buf_reset(b);
    mc_corpus_sel("read_request_page", MC_FZ_READ_REQUEST, b, mc_read_request_encode(b, q));
    memset(q, 0, sizeof *q);
    q->purpose = MC_PURPOSE_ETREAT;
    q->action = MC_ACTION_READ;
    q->by = MC_READS_BY_ID;
    q->nids = 2;
    mc_corpus_hash(&q->ids[0], "record-1");
    mc_corpus_hash(&q->ids[1], "record-2");
    if (memcmp(q->ids[0].b, q->ids[1].b, 32) > 0) {
        mc_hash t = q->ids[0];
        q->ids[0] = q->ids[1];
        q->ids[1] = t;
    }
    mc_buf_reset(b);
    mc_corpus_sel("read_request_ids", MC_FZ_READ_REQUEST, b, mc_read_request_encode(b, q));
    if (mc_read_request_encode(&req, q)) mc_corpus_die("read request", MC_EINVAL);
    r->reader = prov->id;
    r->req_time_ms = MC_TEST_GENESIS_TIME + 1234;
    memset(r->req_nonce, 0x4e, sizeof r->req_nonce);
    memset(r->req_sig.b, 0x53, sizeof r->req_sig.b);
    r->request = (mc_slice){req.p, req.n};
    r->n = 2;
    r->out[0] = (mc_read_outcome){
        .record = q->ids[0], .permit = 1, .reason = MC_RSN_PERMIT_EMERGENCY, .has_basis = 1, .released = 1};
    mc_corpus_hash(&r->out[0].basis, "emergency-tx");
    r->out[1] =
        (mc_read_outcome){.record = q->ids[1], .permit = 0, .reason = MC_RSN_DENY_EXPLICIT, .has_basis = 1};
    mc_corpus_hash(&r->out[1].basis, "deny-tx");
    mc_buf_reset(b);
    mc_corpus_sel("access_reads", MC_FZ_ACCESS_READS, b, mc_body_access_reads_encode(b, r));
    mc_corpus_response(b, q, pat, org);
    mc_buf_free(&req);
    free(q);
    free(r);
}

/* One valid value of each encoding (fixed keys and labels: the same bytes on every run). */
static void mc_corpus_bodies(const mc_test_key *org, const mc_test_key *prov, const mc_test_key *pat)
{
    mc_buf b;
    mc_buf_init(&b, 1 << 20);

    mc_body_anchor *an = calloc(1, sizeof *an);
    if (!an) mc_corpus_die("calloc", MC_ENOMEM);
    mc_corpus_hash(&an->record, "record-2");
    an->patient = pat->id;
    an->custodian = org->id;
    strcpy(an->category, "lab");
    an->sensitivity = MC_SENS_RESTRICTED;
    mc_corpus_hash(&an->cipher_hash, "ciphertext");
    mc_corpus_hash(&an->commitment, "commitment");
    an->size = 4096;
    an->nkeys = 2;
    mc_corpus_order(&an->keys[0].recipient, &an->keys[1].recipient, &pat->id, &prov->id);
    memset(an->keys[0].sealed, 0x5a, MC_SEALED_KEY_BYTES);
    memset(an->keys[1].sealed, 0xa5, MC_SEALED_KEY_BYTES);
    an->ntokens = 2;
    mc_hash t1, t2;
    mc_corpus_hash(&t1, "token-1");
    mc_corpus_hash(&t2, "token-2");
    mc_corpus_order(&an->tokens[0], &an->tokens[1], &t1, &t2);
    an->has_supersedes = 1;
    mc_corpus_hash(&an->supersedes, "record-1");
    mc_buf_reset(&b);
    mc_corpus_sel("anchor", MC_FZ_ANCHOR, &b, mc_body_anchor_encode(&b, an));
    mc_corpus_variants("fuzz_bodies", "anchor", &b, 1 + 96 + 4 + 3); /* sensitivity */
    free(an);

    mc_body_consent *g = calloc(1, sizeof *g);
    mc_consent *cs = calloc(1, sizeof *cs);
    if (!g || !cs) mc_corpus_die("calloc", MC_ENOMEM);
    g->patient = pat->id;
    g->grantee_kind = MC_GRANTEE_SELECTOR;
    g->grantee = org->id;
    MC_TRY(mc_attrs_parse(&g->selector, "dept=cardiology,role=physician"));
    g->scope_kind = MC_SCOPE_CATEGORIES;
    g->ncats = 2;
    strcpy(g->cats[0], "imaging");
    strcpy(g->cats[1], "lab");
    g->purposes = MC_PURPOSE_TREAT | MC_PURPOSE_HOPERAT;
    g->actions = MC_ACTION_READ | MC_ACTION_READ_META;
    g->not_before = MC_TEST_GENESIS_TIME;
    g->not_after = MC_TEST_GENESIS_TIME + 30ull * 86400 * 1000;
    g->nkeys = 1;
    mc_corpus_hash(&g->keys[0].record, "record-2");
    g->keys[0].key.recipient = prov->id;
    memset(g->keys[0].key.sealed, 0x3c, MC_SEALED_KEY_BYTES);
    mc_buf_reset(&b);
    mc_corpus_sel("consent_grant", MC_FZ_CONSENT_BODY, &b, mc_body_consent_encode(&b, g));
    mc_corpus_variants("fuzz_bodies", "consent_grant", &b, 1 + 32); /* grantee kind */
    memset(g, 0, sizeof *g);
    g->patient = pat->id;
    g->grantee_kind = MC_GRANTEE_IDENTITY;
    g->grantee = prov->id;
    g->scope_kind = MC_SCOPE_RECORDS;
    g->nrecords = 1;
    mc_corpus_hash(&g->records[0], "record-1");
    g->purposes = MC_PURPOSE_ALL_;
    g->actions = MC_ACTION_ALL_;
    g->not_before = 0;
    g->not_after = (uint64_t)INT64_MAX;
    mc_buf_reset(&b);
    mc_corpus_sel("consent_deny", MC_FZ_CONSENT_BODY, &b, mc_body_consent_encode(&b, g));

    mc_corpus_hash(&cs->id, "deny-tx");
    cs->deny = 1;
    cs->status = MC_CONSENT_REVOKED;
    cs->by = pat->id;
    cs->height = 5;
    cs->time_ms = MC_TEST_GENESIS_TIME + 5000;
    cs->revoked_height = 9;
    cs->revoked_time_ms = MC_TEST_GENESIS_TIME + 9000;
    cs->revoked_by = pat->id;
    cs->body = *g;
    mc_buf_reset(&b);
    mc_corpus_sel("consent_state", MC_FZ_CONSENT, &b, mc_consent_encode(&b, cs));
    free(cs);
    free(g);

    mc_body_consent_revoke rv;
    mc_corpus_hash(&rv.target, "grant-tx");
    mc_buf_reset(&b);
    mc_corpus_sel("consent_revoke", MC_FZ_CONSENT_REVOKE, &b, mc_body_consent_revoke_encode(&b, &rv));

    mc_body_delegate dg = {pat->id, prov->id, 1};
    mc_buf_reset(&b);
    mc_corpus_sel("delegate", MC_FZ_DELEGATE_BODY, &b, mc_body_delegate_encode(&b, &dg));
    mc_delegate dl = {1, 7, MC_TEST_GENESIS_TIME + 7000};
    mc_buf_reset(&b);
    mc_corpus_sel("delegate_state", MC_FZ_DELEGATE, &b, mc_delegate_encode(&b, &dl));

    static uint8_t sealed[2][MC_SEAL_OVERHEAD + 16];
    memset(sealed[0], 0x11, sizeof sealed[0]);
    memset(sealed[1], 0x22, sizeof sealed[1]);
    mc_body_emergency em;
    memset(&em, 0, sizeof em);
    em.patient = pat->id;
    em.duration_ms = 4ull * 3600 * 1000;
    em.nreasons = 2;
    mc_corpus_order(&em.reason_to[0], &em.reason_to[1], &pat->id, &org->id);
    em.reason[0] = (mc_slice){sealed[0], sizeof sealed[0]};
    em.reason[1] = (mc_slice){sealed[1], sizeof sealed[1]};
    mc_buf_reset(&b);
    mc_corpus_sel("emergency", MC_FZ_EMERGENCY_BODY, &b, mc_body_emergency_encode(&b, &em));
    mc_corpus_variants("fuzz_bodies", "emergency", &b, 1 + 32 + 8 + 3); /* reason count */
    mc_emergency es;
    memset(&es, 0, sizeof es);
    mc_corpus_hash(&es.id, "emergency-tx");
    es.patient = pat->id;
    es.provider = prov->id;
    es.provider_org = org->id;
    es.start_ms = MC_TEST_GENESIS_TIME;
    es.end_ms = MC_TEST_GENESIS_TIME + em.duration_ms;
    es.height = 3;
    mc_buf_reset(&b);
    mc_corpus_sel("emergency_state", MC_FZ_EMERGENCY, &b, mc_emergency_encode(&b, &es));

    mc_body_access_log lg;
    memset(&lg, 0, sizeof lg);
    lg.reader = prov->id;
    lg.req_time_ms = MC_TEST_GENESIS_TIME + 1234;
    memset(lg.req_nonce, 0x4e, sizeof lg.req_nonce);
    memset(lg.req_sig.b, 0x53, sizeof lg.req_sig.b);
    mc_corpus_hash(&lg.record, "record-2");
    lg.purpose = MC_PURPOSE_TREAT;
    lg.action = MC_ACTION_READ;
    lg.permit = 1;
    lg.reason = MC_RSN_PERMIT_GRANT;
    lg.has_basis = 1;
    mc_corpus_hash(&lg.basis, "grant-tx");
    mc_buf_reset(&b);
    mc_corpus_sel("access_log", MC_FZ_ACCESS_LOG, &b, mc_body_access_log_encode(&b, &lg));
    mc_corpus_variants("fuzz_bodies", "access_log", &b, 1 + 157); /* permit */
    /* the same read through the gatekeeper */
    lg.via = MC_VIA_CONTENT;
    mc_buf_reset(&b);
    mc_corpus_sel("access_log_content", MC_FZ_ACCESS_LOG, &b, mc_body_access_log_encode(&b, &lg));
    mc_access ac;
    memset(&ac, 0, sizeof ac);
    mc_corpus_hash(&ac.log_tx, "log-tx");
    ac.patient = pat->id;
    ac.reader = prov->id;
    mc_hash node;
    mc_corpus_hash(&node, "node");
    memcpy(ac.custodian_node.b, node.b, 32);
    ac.record = lg.record;
    ac.req_time_ms = lg.req_time_ms;
    ac.purpose = MC_PURPOSE_HRESCH;
    ac.action = MC_ACTION_READ;
    ac.permit = 0;
    ac.reason = MC_RSN_DENY_RESEARCH_IDENTIFIED;
    ac.height = 11;
    ac.index = 2;
    mc_buf_reset(&b);
    mc_corpus_sel("access_state", MC_FZ_ACCESS, &b, mc_access_encode(&b, &ac));

    mc_proposal *pr = calloc(1, sizeof *pr);
    if (!pr) mc_corpus_die("calloc", MC_ENOMEM);
    strcpy(pr->org.name, "Lakeside Clinic");
    strcpy(pr->org.type, "clinic");
    pr->org.sign_pk = prov->pk;
    pr->org.box_pk = prov->box_pk;
    mc_buf_reset(&b);
    mc_corpus_sel("org_propose", MC_FZ_ORG_PROPOSE, &b, mc_body_org_propose_encode(&b, &pr->org));
    mc_corpus_hash(&pr->id, "propose-tx");
    pr->admitted = 1;
    pr->threshold = 2;
    pr->napprovals = 2;
    pr->approvals[0] = org->id;
    pr->approvals[1] = pat->id;
    pr->height = 12;
    mc_buf_reset(&b);
    mc_corpus_sel("proposal_state", MC_FZ_PROPOSAL, &b, mc_proposal_encode(&b, pr));
    mc_body_org_approve ap = {pr->id};
    mc_buf_reset(&b);
    mc_corpus_sel("org_approve", MC_FZ_ORG_APPROVE, &b, mc_body_org_approve_encode(&b, &ap));
    free(pr);

    mc_record *rc = calloc(1, sizeof *rc);
    if (!rc) mc_corpus_die("calloc", MC_ENOMEM);
    mc_corpus_hash(&rc->id, "record-2");
    mc_corpus_hash(&rc->anchor_tx, "anchor-tx");
    rc->patient = pat->id;
    rc->custodian = org->id;
    rc->author = prov->id;
    rc->author_org = org->id;
    strcpy(rc->category, "lab");
    rc->sensitivity = MC_SENS_NORMAL;
    mc_corpus_hash(&rc->cipher_hash, "ciphertext");
    mc_corpus_hash(&rc->commitment, "commitment");
    rc->size = 4096;
    mc_corpus_hash(&rc->root, "record-1");
    rc->has_supersedes = 1;
    rc->supersedes = rc->root;
    rc->height = 4;
    rc->time_ms = MC_TEST_GENESIS_TIME + 4000;
    mc_buf_reset(&b);
    mc_corpus_sel("record_state", MC_FZ_RECORD, &b, mc_record_encode(&b, rc));
    free(rc);

    mc_event ev;
    memset(&ev, 0, sizeof ev);
    ev.height = 11;
    ev.index = 2;
    ev.kind = MC_EV_READ;
    ev.flags = MC_EVF_DENIED;
    ev.patient = pat->id;
    ev.actor = prov->id;
    mc_corpus_hash(&ev.subject, "log-tx");
    ev.time_ms = MC_TEST_GENESIS_TIME + 11000;
    mc_buf_reset(&b);
    mc_corpus_sel("event", MC_FZ_EVENT, &b, mc_event_encode(&b, &ev));
    mc_corpus_variants("fuzz_bodies", "event", &b, 1 + 1 + 8 + 4 + 2); /* kind */
    mc_corpus_reads(&b, pat, prov, org);
    mc_buf_free(&b);
}

/* ---- fuzz_fhir: short synthetic Bundles (made up here, never Synthea content) ---- */

/* One person, one of each released kind of resource, codes of every searched system. */
static const char mc_corpus_fhir_patient[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[\n"
    "{\"fullUrl\":\"urn:uuid:0a0a0a0a-1111-4222-8333-444455556666\",\"resource\":{\"resourceType\":"
    "\"Patient\","
    "\"id\":\"0a0a0a0a-1111-4222-8333-444455556666\",\"text\":{\"status\":\"generated\",\"div\":\"<div>Testa<"
    "/div>\"},"
    "\"extension\":[{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/"
    "us-core-race\",\"extension\":[{\"url\":"
    "\"ombCategory\",\"valueCoding\":{\"system\":\"urn:oid:2.16.840.1.113883.6.238\",\"code\":\"2106-3\"}},{"
    "\"url\":"
    "\"text\",\"valueString\":\"x\"}]},{\"url\":\"http://hl7.org/fhir/StructureDefinition/"
    "patient-mothersMaidenName\","
    "\"valueString\":\"Maida Vale\"}],\"identifier\":[{\"type\":{\"coding\":[{\"system\":"
    "\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"SS\"}]},\"value\":\"999-00-0000\"}],"
    "\"name\":[{\"family\":\"Testa\",\"given\":[\"Fuzzy\"],\"prefix\":[\"Ms.\"]}],\"telecom\":[{\"system\":"
    "\"phone\","
    "\"value\":\"555-010-0000\"}],\"gender\":\"female\",\"birthDate\":\"1931-02-03\",\"address\":[{\"line\":"
    "[\"1 Example "
    "Way\"],\"city\":\"Sampleton\",\"state\":\"MA\",\"postalCode\":\"03601\",\"extension\":[{\"url\":"
    "\"http://hl7.org/fhir/StructureDefinition/"
    "geolocation\",\"extension\":[{\"url\":\"latitude\",\"valueDecimal\":"
    "42.5}]}]}]}},\n"
    "{\"fullUrl\":\"urn:uuid:0b0b0b0b-1111-4222-8333-444455556666\",\"resource\":{\"resourceType\":"
    "\"Encounter\","
    "\"id\":\"0b0b0b0b-1111-4222-8333-444455556666\",\"status\":\"finished\",\"subject\":{\"reference\":"
    "\"urn:uuid:0a0a0a0a-1111-4222-8333-444455556666\",\"display\":\"Fuzzy "
    "Testa\"},\"participant\":[{\"individual\":"
    "{\"reference\":\"Practitioner/doc\",\"display\":\"Dr. "
    "Who\"}}],\"period\":{\"start\":\"2020-01-02T03:04:05+01:00\","
    "\"end\":\"2020-01-02\"}}},\n"
    "{\"fullUrl\":\"urn:uuid:0c0c0c0c-1111-4222-8333-444455556666\",\"resource\":{\"resourceType\":"
    "\"Observation\","
    "\"id\":\"0c0c0c0c-1111-4222-8333-444455556666\",\"status\":\"final\",\"category\":[{\"coding\":[{"
    "\"system\":"
    "\"http://terminology.hl7.org/CodeSystem/"
    "observation-category\",\"code\":\"vital-signs\"}]}],\"code\":{\"coding\":"
    "[{\"system\":\"http://loinc.org\",\"code\":\"8302-2\",\"display\":\"Body Height\"}],\"text\":\"Body "
    "Height\"},"
    "\"subject\":{\"reference\":\"Patient/"
    "0a0a0a0a-1111-4222-8333-444455556666\"},\"encounter\":{\"reference\":"
    "\"urn:uuid:0b0b0b0b-1111-4222-8333-444455556666\"},\"effectiveDateTime\":\"2020-01-02T03:04:05Z\","
    "\"issued\":"
    "\"2020-01-02T03:04:05.678Z\",\"valueQuantity\":{\"value\":1.75e2,\"unit\":\"cm\"},\"note\":[{\"text\":"
    "\"seen 2020-01-02\"}],\"meta\":{\"security\":[{\"system\":"
    "\"http://terminology.hl7.org/CodeSystem/v3-Confidentiality\",\"code\":\"R\"}]}}},\n"
    "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"cond-1\",\"code\":{\"coding\":[{\"system\":"
    "\"http://snomed.info/sct\",\"code\":\"44054006\"}]},\"subject\":{\"reference\":"
    "\"urn:uuid:0a0a0a0a-1111-4222-8333-444455556666\"},\"onsetAge\":{\"value\":91,\"code\":\"a\"},"
    "\"recordedDate\":"
    "\"2019\"}},\n"
    "{\"resource\":{\"resourceType\":\"Immunization\",\"id\":\"imm-1\",\"vaccineCode\":{\"coding\":[{"
    "\"system\":"
    "\"http://hl7.org/fhir/sid/cvx\",\"code\":\"140\"}]},\"patient\":{\"reference\":"
    "\"urn:uuid:0a0a0a0a-1111-4222-8333-444455556666\"},\"occurrenceDateTime\":\"2018-10\",\"lotNumber\":"
    "\"L1\"}},\n"
    "{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"mr-1\",\"medicationCodeableConcept\":{"
    "\"coding\":"
    "[{\"system\":\"http://www.nlm.nih.gov/research/umls/"
    "rxnorm\",\"code\":\"314076\"}]},\"authoredOn\":\"2017\","
    "\"contained\":[{\"resourceType\":\"Medication\",\"id\":\"m\"}],\"modifierExtension\":[{\"url\":\"http://"
    "x/y\","
    "\"valueBoolean\":true}]}},\n"
    "{\"resource\":{\"resourceType\":\"Claim\",\"id\":\"claim-1\",\"patient\":{\"reference\":\"Patient/x\"},"
    "\"billablePeriod\":{\"start\":\"2020-01-02\"}}}]}"; /* no final newline: truncated must be invalid */

/* JSON the scanner must read as jansson does: escapes, surrogates, raw UTF-8, odd spacing, numbers. */
static const char mc_corpus_fhir_escapes[] =
    " \t\r\n{ \"\\u0072esourceType\" : \"Bundle\" , \"meta\":{\"entry\":[0]}, \"type\" : \"collection\" ,\n"
    "\"entry\" : [ { \"resourc\\u0065\" :{\"resourceType\":\"Basic\",\"id\":\"b.1-X\",\"s\":\"caf\xc3\xa9 "
    "\\ud83d\\ude00 \\\"q\\\" \\\\ \\/ "
    "\\b\\f\\n\\r\\t\",\"n\":[0,-0,-1.5e-3,10E+2,1e2,true,false,null,[],{}]} } ,"
    "{\"fullUrl\":\"https://ehr.example/fhir/Patient/p1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":"
    "\"p1\"},\"search\":{\"resource\":1}} ] , \"zz\" : \"}]\" }\n";

/* Two Patients: parses, but is not one patient's (de-identification refuses it). */
static const char mc_corpus_fhir_two[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":2,\"entry\":[{\"resource\":{"
    "\"resourceType\":"
    "\"Patient\",\"id\":\"a\"}},{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"b\"}}]}";

static const struct {
    const char *name, *text;
} mc_corpus_fhir_bad[] = {
    {"bad_not_json", "{\"resourceType\":\"Bundle\",\"type\":"},
    {"bad_not_bundle", "{\"resourceType\":\"Patient\",\"id\":\"a\"}"},
    {"bad_entry_not_array", "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":{}}"},
    {"bad_no_resource", "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"fullUrl\":\"x\"}]}"},
    {"bad_no_resource_type",
     "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"resource\":{}}]}"},
    {"bad_duplicate_key",
     "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"resource\":{\"resourceType\":"
     "\"Basic\"},\"resource\":{\"resourceType\":\"Basic\"}}]}"},
    {"bad_lone_surrogate", "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"resource\":{"
                           "\"resourceType\":\"Basic\",\"s\":\"\\ud800x\"}}]}"},
};

static void mc_corpus_fhir(void)
{
    mc_corpus_put("fuzz_fhir", "bundle_patient", mc_corpus_fhir_patient, strlen(mc_corpus_fhir_patient));
    mc_corpus_put("fuzz_fhir", "bundle_escapes", mc_corpus_fhir_escapes, strlen(mc_corpus_fhir_escapes));
    mc_corpus_put("fuzz_fhir", "bundle_two_patients", mc_corpus_fhir_two, strlen(mc_corpus_fhir_two));
    for (size_t i = 0; i < MC_ARRAY_LEN(mc_corpus_fhir_bad); i++)
        mc_corpus_put("fuzz_fhir", mc_corpus_fhir_bad[i].name, mc_corpus_fhir_bad[i].text,
                      strlen(mc_corpus_fhir_bad[i].text));
    /* deeper than MC_FHIR_MAX_DEPTH (100): refused */
    char deep[512];
    size_t n = (size_t)snprintf(deep, sizeof deep, "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"x\":");
    for (int i = 0; i < 100; i++) deep[n++] = '[';
    for (int i = 0; i < 100; i++) deep[n++] = ']';
    deep[n++] = '}';
    mc_corpus_put("fuzz_fhir", "bad_too_deep", deep, n);
    mc_buf b;
    mc_buf_init(&b, 1 << 16);
    MC_TRY(mc_buf_append(&b, mc_corpus_fhir_patient, strlen(mc_corpus_fhir_patient)));
    mc_corpus_variants("fuzz_fhir", "bundle_patient", &b, 2); /* flips the 'r' of resourceType */
    mc_buf_free(&b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <fuzz/corpus directory>\n", argv[0]);
        return 2;
    }
    mc_corpus_root = argv[1];
    MC_TRY(mc_crypto_init());

    mc_test_net net;
    MC_TRY(mc_test_net_init(&net, 2, 1));
    const mc_test_key *org = &net.org[MC_TEST_ORG_HOSPITAL];
    mc_test_key prov, pat, newk;
    mc_test_key_fixed(&prov, 5);
    mc_test_key_fixed(&pat, 6);
    mc_test_key_fixed(&newk, 7);

    mc_buf body, one;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    mc_buf_init(&one, 1 << 20);
    mc_test_txs txs;
    mc_test_txs_init(&txs);

    /* ---- fuzz_tx: transactions of every kind, their bodies, an identity record ---- */
    MC_TRY(mc_test_body_register(&body, MC_ID_PROVIDER, &org->id, &prov,
                                 "dept=cardiology,emergency=true,role=physician", NULL, NULL));
    mc_corpus_buf("fuzz_tx", "body_register_provider", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 1, MC_TX_IDENTITY_REGISTER, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_register(&body, MC_ID_PATIENT, &org->id, &pat, "", &pat, &net.chain));
    mc_corpus_buf("fuzz_tx", "body_register_patient", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 2, MC_TX_IDENTITY_REGISTER, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_rotate(&body, &prov.id, &newk));
    mc_corpus_buf("fuzz_tx", "body_rotate", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &prov.id, &prov.sk, 1, MC_TX_IDENTITY_ROTATE, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_revoke(&body, &prov.id, 1));
    mc_corpus_buf("fuzz_tx", "body_revoke", &body);
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 3, MC_TX_IDENTITY_REVOKE, &body, NULL));
    mc_buf_reset(&body);
    MC_TRY(mc_buf_append(&body, "\x01\x02\x03", 3));
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 4, 99, &body, NULL));

    static const char *const txnames[] = {"tx_register_provider", "tx_register_patient", "tx_rotate",
                                          "tx_revoke", "tx_unknown_kind"};
    for (uint32_t i = 0; i < txs.n; i++) {
        mc_slice s = mc_test_txs_get(&txs, i);
        mc_corpus_put("fuzz_tx", txnames[i], s.p, s.n);
    }
    mc_slice s0 = mc_test_txs_get(&txs, 0);
    mc_buf_reset(&one);
    MC_TRY(mc_buf_append(&one, s0.p, s0.n));
    mc_corpus_variants("fuzz_tx", "tx", &one, 0); /* flips the version byte */

    mc_identity idn;
    memset(&idn, 0, sizeof idn);
    idn.id = prov.id;
    idn.kind = MC_ID_PROVIDER;
    idn.status = MC_ID_REVOKED;
    idn.org = org->id;
    idn.sign_pk = prov.pk;
    idn.box_pk = prov.box_pk;
    idn.registered_at = 3;
    idn.updated_at = 9;
    idn.revoke_reason = 2;
    MC_TRY(mc_attrs_parse(&idn.attrs, "dept=oncology,role=nurse"));
    mc_buf_reset(&one);
    MC_TRY(mc_identity_encode(&one, &idn));
    mc_corpus_buf("fuzz_tx", "identity_record", &one);

    /* ---- fuzz_batch: empty, several transactions, with a certificate ---- */
    MC_TRY(mc_test_batch(&one, &net, &net.val[0], NULL, NULL));
    mc_corpus_buf("fuzz_batch", "batch_empty", &one);
    MC_TRY(mc_test_batch(&one, &net, &net.val[0], &txs, NULL));
    mc_corpus_buf("fuzz_batch", "batch_txs", &one);
    mc_corpus_variants("fuzz_batch", "batch", &one, 1 + 32 + 32 + 8 + 8 + 3); /* tx count */
    mc_cert cert;
    memset(&cert, 0, sizeof cert);
    cert.height = 1;
    mc_sha256(&cert.header_hash, "header", 6);
    cert.nsigs = 2;
    int lo = memcmp(net.val[0].id.b, net.val[1].id.b, 32) < 0 ? 0 : 1;
    cert.signers[0] = net.val[lo].id;
    cert.signers[1] = net.val[1 - lo].id;
    mc_sign(&cert.sigs[0], cert.header_hash.b, 32, &net.val[lo].sk);
    mc_sign(&cert.sigs[1], cert.header_hash.b, 32, &net.val[1 - lo].sk);
    mc_test_txs_reset(&txs);
    mc_buf_reset(&body);
    MC_TRY(mc_test_body_revoke(&body, &pat.id, 3));
    MC_TRY(mc_test_txs_add(&txs, &net.chain, &org->id, &org->sk, 5, MC_TX_IDENTITY_REVOKE, &body, NULL));
    MC_TRY(mc_test_txs_raw(&txs, "garbage", 7));
    MC_TRY(mc_test_batch(&one, &net, &net.val[1], &txs, &cert));
    mc_corpus_buf("fuzz_batch", "batch_cert", &one);
    /* the same certificate with its signers out of order: must be refused */
    cert.signers[0] = net.val[1 - lo].id;
    cert.signers[1] = net.val[lo].id;
    MC_TRY(mc_test_batch(&one, &net, &net.val[1], &txs, &cert));
    mc_corpus_buf("fuzz_batch", "bad_batch_cert_unsorted", &one);

    /* ---- fuzz_block: genesis block, a block, a header, an attestation, a genesis config ---- */
    mc_header h;
    memset(&h, 0, sizeof h);
    h.version = MC_FORMAT_VERSION;
    h.chain = net.chain;
    h.batch_hash = net.chain;
    h.time_ms = net.g.time_ms;
    mc_merkle_root(&h.tx_root, NULL, 0);
    mc_merkle_root(&h.result_root, NULL, 0);
    mc_sha256(&h.state_digest, "state0", 6);
    {
        mc_buf blk;
        mc_buf_init(&blk, 1 << 20);
        MC_TRY(mc_block_encode(&blk, &h, net.genesis.p, net.genesis.n, NULL, 0));
        mc_corpus_buf("fuzz_block", "block_genesis", &blk);
        mc_buf_reset(&blk);
        MC_TRY(mc_header_encode(&blk, &h));
        mc_corpus_buf("fuzz_block", "header", &blk);

        mc_buf batch;
        mc_buf_init(&batch, 1 << 20);
        MC_TRY(mc_test_batch(&batch, &net, &net.val[0], &txs, NULL));
        h.height = 1;
        mc_sha256(&h.prev, "prev", 4);
        mc_sha256(&h.batch_hash, "batch", 5);
        h.proposer = net.val[0].id;
        h.time_ms += 1000;
        h.ntx = txs.n;
        uint16_t results[2] = {MC_TXR_OK, MC_TXR_MALFORMED};
        mc_buf_reset(&blk);
        MC_TRY(mc_block_encode(&blk, &h, batch.p, batch.n, results, 2));
        mc_corpus_buf("fuzz_block", "block_1", &blk);
        mc_corpus_variants("fuzz_block", "block", &blk, MC_HEADER_BYTES - 32 * 3 - 1); /* ntx */
        /* validator 0's attestation of that header */
        mc_hash hh;
        mc_attest att;
        mc_header_hash(&hh, &h);
        mc_attest_sign(&att, &net.chain, h.height, &hh, &net.val[0].pk, &net.val[0].sk);
        mc_buf_reset(&blk);
        MC_TRY(mc_attest_encode(&blk, &att));
        mc_corpus_buf("fuzz_block", "attest", &blk);
        mc_corpus_variants("fuzz_block", "attest", &blk, 0); /* the version byte */
        mc_buf_free(&batch);
        mc_buf_free(&blk);
    }
    mc_corpus_buf("fuzz_block", "genesis", &net.genesis);
    mc_corpus_variants("fuzz_block", "genesis", &net.genesis, 0);

    mc_corpus_bodies(org, &prov, &pat);
    mc_corpus_fhir();

    mc_test_txs_free(&txs);
    mc_buf_free(&body);
    mc_buf_free(&one);
    mc_test_net_free(&net);
    return 0;
}
