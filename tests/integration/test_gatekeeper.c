/*
 * The gatekeeper against a real medchaind over real HTTP (docs/api.md, "The gatekeeper"): the
 * author uploads a record's ciphertext (one record, or many in a batch); readers fetch it with
 * a signed GET that is logged on the ledger (access.log via content) before any byte is served;
 * refused reads (expired, revoked, denied, never granted) are logged and serve nothing; a byte
 * flipped on disk is found on the next read and by `medchain verify`; the search by tokens
 * answers only the patient's records the caller may see. The node never decrypts: the
 * "ciphertext" here is random bytes whose SHA-256 and size are anchored.
 *
 * The node runs with small body caps (max_body_bytes 64 KiB, max_content 1 MiB) so that the
 * content routes' own cap is checked cheaply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "consentapi_util.h"

#define GK_BYTES 4096

typedef struct {
    it_world *w;
    it_who expired, revoked, denied, patient2; /* readers with a past grant, a revoked one, a deny */
    uint64_t expired_end;
    uint8_t data[GK_BYTES]; /* the record's ciphertext (random bytes) */
    mc_hash rid;            /* anchored with data's hash and size; custodian org 0 (this node) */
    mc_hash bare;           /* anchored, never uploaded */
    char zrid[65];
} gk_world;

static gk_world *gk;

/* Anchors @p n bytes at @p p as a record of the world's patient (or @p patient) with @p tokens. */
static void gk_anchor(const void *p, size_t n, const mc_id *patient, const mc_hash *tokens, uint32_t ntokens,
                      mc_hash *rid)
{
    mc_body_anchor *b = calloc(1, sizeof *b);
    assert_non_null(b);
    mc_sha256(&b->cipher_hash, p, n);
    b->size = n;
    if (patient) b->patient = *patient;
    b->ntokens = ntokens;
    for (uint32_t i = 0; i < ntokens; i++) b->tokens[i] = tokens[i];
    it_anchor_body(gk->w, &gk->w->org, b, NULL);
    *rid = b->record;
    free(b);
}

static long gk_put(const it_who *who, const mc_hash *rid, const void *p, size_t n, mc_buf *resp)
{
    char path[160], hex[65];
    long st = 0;
    it_hex(hex, rid->b);
    snprintf(path, sizeof path, "/v1/records/%s/content", hex);
    mc_http *h = it_client(gk->w, who);
    mc_http_set_content_type(h, "application/octet-stream");
    int rc = mc_http_request(h, "PUT", path, p, n, &st, resp);
    mc_http_free(h);
    return rc ? -rc : st;
}

static long gk_post_frames(const it_who *who, const mc_buf *frames, mc_buf *resp)
{
    long st = 0;
    mc_http *h = it_client(gk->w, who);
    mc_http_set_content_type(h, "application/octet-stream");
    int rc = mc_http_request(h, "POST", "/v1/contents", frames->p, frames->n, &st, resp);
    mc_http_free(h);
    return rc ? -rc : st;
}

/* GET the ciphertext as @p who; @p log_tx (65 bytes, may be NULL) gets X-MC-Log-Tx. */
static long gk_get(const it_who *who, const mc_hash *rid, mc_buf *resp, char *log_tx)
{
    char target[160], hash[80], tx[80], reason[40];
    assert_int_equal(mc_access_target(target, rid, MC_PURPOSE_TREAT, MC_ACTION_READ, MC_VIA_CONTENT), MC_OK);
    mc_http *h = it_client(gk->w, who);
    long st = it_req(h, "GET", target, resp);
    if (st == 200) {
        mc_hash want;
        char zwant[65];
        assert_int_equal(mc_http_header(h, "X-MC-Cipher-Hash", hash, sizeof hash), MC_OK);
        assert_int_equal(mc_http_header(h, "X-MC-Log-Tx", tx, sizeof tx), MC_OK);
        assert_int_equal(mc_http_header(h, "X-MC-Reason", reason, sizeof reason), MC_OK);
        assert_int_equal(mc_http_header(h, "Content-Type", hash + 64, 16), MC_ETOOBIG);
        mc_sha256(&want, resp->p, resp->n);
        it_hex(zwant, want.b);
        assert_string_equal(hash, zwant); /* the bytes are the anchored ones */
        assert_true(strncmp(reason, "PERMIT_", 7) == 0);
        if (log_tx) memcpy(log_tx, tx, 65);
    } else if (log_tx) {
        log_tx[0] = 0;
    }
    mc_http_free(h);
    return st;
}

/* No ciphertext anywhere in @p b (a refusal). */
static void gk_no_bytes(const mc_buf *b)
{
    assert_true(b->n < 2048);
    assert_null(memmem(b->p, b->n, gk->data, 32));
}

/* The entry of the patient's access history logged by @p tx, into @p out. */
static void gk_access_entry(const char *tx, char *out, size_t cap)
{
    char path[160], key[80];
    snprintf(path, sizeof path, "/v1/patients/%s/access?limit=1000", gk->w->zpid);
    assert_int_equal(it_get_as(gk->w, &gk->w->patient, path, &gk->w->r), 200);
    snprintf(key, sizeof key, "\"log_tx\":\"%s\"", tx);
    const char *p = strstr((const char *)gk->w->r.p, key);
    if (!p) fail_msg("log %s is not in the access history", tx);
    size_t n = strcspn(p, "}");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = 0;
}

/* The "log" id of a logged-read answer (403 JSON), into @p out (65 bytes). */
static void gk_log_id(const mc_buf *b, char *out)
{
    const char *p = strstr((const char *)b->p, "\"log\":{\"id\":\"");
    assert_non_null(p);
    memcpy(out, p + 13, 64);
    out[64] = 0;
}

static unsigned gk_reads(void)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/patients/%s/access?limit=1000", gk->w->zpid);
    assert_int_equal(it_get_as(gk->w, &gk->w->patient, path, &gk->w->r), 200);
    return it_count(&gk->w->r, "\"log_tx\"");
}

static int gk_setup(void **state)
{
    (void)state;
    static const char *const settings[] = {"max_body_bytes=65536", "max_content=1048576", NULL};
    gk = calloc(1, sizeof *gk);
    assert_non_null(gk);
    it_world *w = gk->w = it_world_new_settings(settings);
    /* readers of org 1: a grant that runs out soon, a grant revoked, a deny */
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &gk->expired);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &gk->revoked);
    it_register(w, &w->hosp1, &w->hosp1_nonce, MC_ID_PROVIDER, &gk->denied);
    it_register(w, &w->org, &w->org_nonce, MC_ID_PATIENT, &gk->patient2);
    gk->expired_end = mc_time_now_ms() + 4000;
    it_consent(w, MC_TX_CONSENT_GRANT, MC_GRANTEE_IDENTITY, &gk->expired.t.id, NULL, gk->expired_end, NULL);
    uint64_t week = mc_time_now_ms() + 7ull * 24 * 3600 * 1000;
    mc_hash g;
    it_consent(w, MC_TX_CONSENT_GRANT, MC_GRANTEE_IDENTITY, &gk->revoked.t.id, NULL, week, &g);
    mc_body_consent_revoke rv = {.target = g};
    mc_buf body;
    mc_buf_init(&body, 64);
    assert_int_equal(mc_body_consent_revoke_encode(&body, &rv), MC_OK);
    it_commit(w, &w->patient.k, ++w->patient_nonce, MC_TX_CONSENT_REVOKE, &body, NULL);
    mc_buf_free(&body);
    it_consent(w, MC_TX_CONSENT_DENY, MC_GRANTEE_IDENTITY, &gk->denied.t.id, NULL, week, NULL);

    mc_random(gk->data, sizeof gk->data);
    gk_anchor(gk->data, sizeof gk->data, NULL, NULL, 0, &gk->rid);
    it_hex(gk->zrid, gk->rid.b);
    uint8_t other[100];
    mc_random(other, sizeof other);
    gk_anchor(other, sizeof other, NULL, NULL, 0, &gk->bare);
    return 0;
}

static int gk_teardown(void **state)
{
    (void)state;
    it_world_free(gk->w);
    free(gk);
    return 0;
}

/* Only the author uploads, only the anchored bytes, only to the custodian; idempotent. */
static void test_upload(void **state)
{
    (void)state;
    it_world *w = gk->w;
    uint8_t bad[GK_BYTES];
    memcpy(bad, gk->data, sizeof bad);
    bad[100] ^= 1;
    assert_int_equal(gk_put(&w->patient, &gk->rid, gk->data, GK_BYTES, &w->r), 403);
    assert_true(it_has(&w->r, "\"EDENIED\""));
    assert_int_equal(gk_put(&w->grantee, &gk->rid, gk->data, GK_BYTES, &w->r), 403);
    assert_int_equal(gk_put(&w->provider, &gk->rid, bad, GK_BYTES, &w->r), 409);
    assert_true(it_has(&w->r, "\"EMISMATCH\""));
    assert_int_equal(gk_put(&w->provider, &gk->rid, gk->data, GK_BYTES - 1, &w->r), 409);
    assert_true(it_has(&w->r, "\"EMISMATCH\""));
    /* a record held by org 1: not this node's to keep */
    assert_int_equal(gk_put(&w->grantee, &w->rid_other, gk->data, GK_BYTES, &w->r),
                     409); /* its author, on org 0's node */
    assert_true(it_has(&w->r, "\"ENOTCUSTODIAN\""));
    mc_hash nope;
    mc_random(nope.b, 32);
    assert_int_equal(gk_put(&w->provider, &nope, gk->data, GK_BYTES, &w->r), 404);

    assert_int_equal(gk_put(&w->provider, &gk->rid, gk->data, GK_BYTES, &w->r), 201);
    assert_true(it_has(&w->r, "\"stored\":true"));
    assert_int_equal(gk_put(&w->provider, &gk->rid, gk->data, GK_BYTES, &w->r), 200);
    assert_true(it_has(&w->r, "\"stored\":false"));

    /* wrong methods and targets */
    char path[160];
    snprintf(path, sizeof path, "/v1/records/%s/content", gk->zrid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 400); /* a read names purpose and action */
    snprintf(path, sizeof path, "/v1/records/%s/content?purpose=TREAT&action=read_meta", gk->zrid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 400);
    snprintf(path, sizeof path, "/v1/records/%s/content?action=read&purpose=TREAT", gk->zrid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 400); /* not the target signed for */
    mc_http *h = it_client(w, &w->patient);
    snprintf(path, sizeof path, "/v1/records/%s/content?purpose=TREAT&action=read", gk->zrid);
    assert_int_equal(it_req(h, "POST", path, &w->r), 405);
    assert_int_equal(it_req(h, "GET", "/v1/contents", &w->r), 405);
    mc_http_free(h);
}

/* The patient and a grantee get the bytes, each read logged (via content) before it is served. */
static void test_read_permitted(void **state)
{
    (void)state;
    it_world *w = gk->w;
    char tx[65], entry[1024];
    unsigned before = gk_reads();
    assert_int_equal(gk_get(&w->patient, &gk->rid, &w->r, tx), 200);
    assert_int_equal(w->r.n, GK_BYTES);
    assert_memory_equal(w->r.p, gk->data, GK_BYTES);
    gk_access_entry(tx, entry, sizeof entry);
    assert_non_null(strstr(entry, "\"permit\":true"));
    assert_non_null(strstr(entry, "\"reason\":\"PERMIT_OWNER\""));
    assert_non_null(strstr(entry, "\"via\":\"content\""));
    assert_non_null(strstr(entry, gk->zrid));

    assert_int_equal(gk_get(&w->grantee, &gk->rid, &w->r, tx), 200);
    assert_memory_equal(w->r.p, gk->data, GK_BYTES);
    gk_access_entry(tx, entry, sizeof entry);
    assert_non_null(strstr(entry, "\"reason\":\"PERMIT_GRANT\""));
    assert_non_null(strstr(entry, w->zgid));
    assert_non_null(strstr(entry, "\"via\":\"content\""));
    assert_int_equal(gk_reads(), before + 2);

    /* the decision route's reads say so */
    assert_int_equal(it_read(w, &w->patient, &gk->rid, &w->r), 200);
    assert_true(it_has(&w->r, "\"permit\":true"));
    char id[65];
    gk_log_id(&w->r, id);
    gk_access_entry(id, entry, sizeof entry);
    assert_non_null(strstr(entry, "\"via\":\"decision\""));
}

/* Refused reads are logged as refused and serve nothing. */
static void test_read_refused(void **state)
{
    (void)state;
    it_world *w = gk->w;
    static const struct {
        size_t who; /* offset of the reader in gk_world, or of the world's stranger */
        const char *reason;
    } cases[] = {{offsetof(gk_world, revoked), "DENY_REVOKED"},
                 {offsetof(gk_world, denied), "DENY_EXPLICIT"},
                 {0, "DENY_DEFAULT"},
                 {offsetof(gk_world, expired), "DENY_EXPIRED"}};
    while (mc_time_now_ms() < gk->expired_end + 300) it_sleep_ms(100);
    for (unsigned i = 0; i < MC_ARRAY_LEN(cases); i++) {
        const it_who *who = cases[i].who ? (const it_who *)((const char *)gk + cases[i].who) : &w->stranger;
        char want[64], id[65], entry[1024];
        assert_int_equal(gk_get(who, &gk->rid, &w->r, NULL), 403);
        gk_no_bytes(&w->r);
        snprintf(want, sizeof want, "\"reason\":\"%s\"", cases[i].reason);
        if (!it_has(&w->r, want)) fail_msg("case %u: %s", i, (char *)w->r.p);
        assert_true(it_has(&w->r, "\"EDENIED\"") && it_has(&w->r, "\"result\":\"OK\""));
        gk_log_id(&w->r, id);
        gk_access_entry(id, entry, sizeof entry);
        assert_non_null(strstr(entry, "\"permit\":false"));
        assert_non_null(strstr(entry, want));
        assert_non_null(strstr(entry, "\"via\":\"content\""));
    }
}

/* A record anchored but not uploaded, and one held by another org: nothing logged. */
static void test_read_missing(void **state)
{
    (void)state;
    it_world *w = gk->w;
    unsigned before = gk_reads();
    assert_int_equal(gk_get(&w->patient, &gk->bare, &w->r, NULL), 404);
    assert_true(it_has(&w->r, "\"ENOCONTENT\""));
    assert_int_equal(gk_get(&w->patient, &w->rid_other, &w->r, NULL), 409);
    assert_true(it_has(&w->r, "\"ENOTCUSTODIAN\""));
    assert_int_equal(gk_reads(), before);
}

/* One byte flipped on disk: 500 ECORRUPT, not served, not logged; verify names it; a new upload
 * by the author repairs it. */
static void test_corrupt_blob(void **state)
{
    (void)state;
    it_world *w = gk->w;
    char path[600], hex[65];
    mc_hash h;
    mc_sha256(&h, gk->data, GK_BYTES);
    it_hex(hex, h.b);
    snprintf(path, sizeof path, "%s/blobs/%.2s/%s", w->c.data, hex, hex + 2);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 1000, SEEK_SET), 0);
    int ch = fgetc(f);
    assert_int_equal(fseek(f, 1000, SEEK_SET), 0);
    fputc(ch ^ 0x20, f);
    fclose(f);

    unsigned before = gk_reads();
    assert_int_equal(gk_get(&w->patient, &gk->rid, &w->r, NULL), 500);
    assert_true(it_has(&w->r, "\"ECORRUPT\""));
    assert_true(it_has(&w->r, "stored ciphertext does not match its anchor"));
    gk_no_bytes(&w->r);
    assert_int_equal(gk_reads(), before);

    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    assert_int_equal(tn_verify(&w->c, &out), 1);
    assert_true(it_has(&out, "DAMAGED"));
    assert_true(it_has(&out, gk->zrid));
    assert_true(it_has(&out, path));

    assert_int_equal(gk_put(&w->provider, &gk->rid, gk->data, GK_BYTES, &w->r), 201); /* repaired */
    assert_int_equal(gk_get(&w->patient, &gk->rid, &w->r, NULL), 200);
    assert_memory_equal(w->r.p, gk->data, GK_BYTES);
    assert_int_equal(tn_verify(&w->c, &out), 0);
    assert_true(it_has(&out, "stored ciphertexts match"));
    mc_buf_free(&out);
}

static void gk_frame(mc_buf *b, const mc_hash *rid, const void *p, uint32_t n)
{
    uint8_t len[4];
    mc_put_u32be(len, n);
    assert_int_equal(mc_buf_append(b, rid->b, 32), MC_OK);
    assert_int_equal(mc_buf_append(b, len, 4), MC_OK);
    assert_int_equal(mc_buf_append(b, p, n), MC_OK);
}

/* Many records in one request: all checked before any is stored. */
static void test_batch(void **state)
{
    (void)state;
    it_world *w = gk->w;
    uint8_t data[5][1000];
    mc_hash rid[5];
    mc_buf frames;
    mc_buf_init(&frames, 1u << 20);
    for (int i = 0; i < 5; i++) {
        mc_random(data[i], sizeof data[i]);
        gk_anchor(data[i], sizeof data[i], NULL, NULL, 0, &rid[i]);
    }
    for (int i = 0; i < 3; i++) gk_frame(&frames, &rid[i], data[i], sizeof data[i]);
    assert_int_equal(gk_post_frames(&w->patient, &frames, &w->r), 403); /* not the author */
    assert_int_equal(gk_post_frames(&w->provider, &frames, &w->r), 200);
    assert_true(it_has(&w->r, "\"stored\":3") && it_has(&w->r, "\"present\":0"));
    assert_int_equal(it_count(&w->r, "\"stored\":true"), 3);
    assert_int_equal(gk_post_frames(&w->provider, &frames, &w->r), 200); /* idempotent */
    assert_true(it_has(&w->r, "\"stored\":0") && it_has(&w->r, "\"present\":3"));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(gk_get(&w->patient, &rid[i], &w->r, NULL), 200);
        assert_memory_equal(w->r.p, data[i], sizeof data[i]);
    }

    /* one bad frame: nothing of the request is stored, and the answer says which */
    mc_buf_reset(&frames);
    gk_frame(&frames, &rid[3], data[3], sizeof data[3]);
    data[4][0] ^= 1;
    gk_frame(&frames, &rid[4], data[4], sizeof data[4]);
    assert_int_equal(gk_post_frames(&w->provider, &frames, &w->r), 409);
    assert_true(it_has(&w->r, "\"code\":\"EMISMATCH\""));
    assert_int_equal(it_count(&w->r, "\"status\":\"ok\""), 1);
    assert_int_equal(it_count(&w->r, "\"status\":\"EMISMATCH\""), 1);
    assert_int_equal(gk_get(&w->patient, &rid[3], &w->r, NULL), 404);

    /* malformed frames */
    frames.n -= 1;
    assert_int_equal(gk_post_frames(&w->provider, &frames, &w->r), 400);
    mc_buf_reset(&frames);
    assert_int_equal(gk_post_frames(&w->provider, &frames, &w->r), 400);
    mc_buf_free(&frames);
}

/* The content routes have their own body cap (max_content); the others keep max_body_bytes. */
static void test_body_caps(void **state)
{
    (void)state;
    it_world *w = gk->w;
    size_t n = 200u << 10; /* over max_body_bytes, under max_content */
    uint8_t *big = malloc((size_t)2 << 20);
    assert_non_null(big);
    mc_random(big, (size_t)2 << 20);
    mc_hash rid;
    gk_anchor(big, n, NULL, NULL, 0, &rid);
    assert_int_equal(gk_put(&w->provider, &rid, big, n, &w->r), 201);
    assert_int_equal(gk_get(&w->patient, &rid, &w->r, NULL), 200);
    assert_int_equal(w->r.n, n);
    assert_memory_equal(w->r.p, big, n);
    assert_int_equal(gk_put(&w->provider, &rid, big, (size_t)2 << 20, &w->r), 413); /* over max_content */
    assert_true(it_has(&w->r, "\"ETOOBIG\""));
    mc_http *h = it_client(w, &w->provider);
    long st = 0;
    assert_int_equal(mc_http_request(h, "POST", "/v1/tx", big, n, &st, &w->r), MC_OK);
    assert_int_equal(st, 413); /* other routes: max_body_bytes */
    mc_http_free(h);
    free(big);
}

static long gk_search(const it_who *who, const char *zpid, const mc_hash *tokens, unsigned n,
                      const char *extra)
{
    char path[8192], hex[65];
    int off = snprintf(path, sizeof path, "/v1/patients/%s/search?", zpid);
    assert_true(n <= 100);
    for (unsigned i = 0; i < n; i++) { /* at most 100 x 71 bytes */
        it_hex(hex, tokens[i].b);
        off += snprintf(path + off, sizeof path - (size_t)off, "%stoken=%s", i ? "&" : "", hex);
    }
    if (extra) snprintf(path + off, sizeof path - (size_t)off, "%s", extra);
    return it_get_as(gk->w, who, path, &gk->w->r);
}

static int gk_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* Search by token: exactly the patient's records carrying one of the tokens, that the caller
 * may see. */
static void test_search(void **state)
{
    (void)state;
    it_world *w = gk->w;
    mc_hash t[3], two[2], ra, rb, rc, rd;
    char za[65], zb[65], zc[65], zd[65], zpid2[65], next[80];
    uint8_t x[16];
    for (int i = 0; i < 3; i++) mc_random(t[i].b, 32);
    two[0] = t[0];
    two[1] = t[1];
    qsort(two, 2, sizeof two[0], gk_cmp);      /* an anchor's tokens are strictly increasing */
    mc_random(x, sizeof x);                    /* each anchor its own bytes: a ciphertext is anchored once */
    gk_anchor(x, sizeof x, NULL, two, 2, &ra); /* t0, t1 */
    x[0]++;
    gk_anchor(x, sizeof x, NULL, &t[1], 1, &rb); /* t1 */
    x[0]++;
    gk_anchor(x, sizeof x, NULL, &t[2], 1, &rc); /* t2 */
    x[0]++;
    gk_anchor(x, sizeof x, &gk->patient2.t.id, &t[0], 1, &rd); /* another patient's, t0 */
    it_hex(za, ra.b);
    it_hex(zb, rb.b);
    it_hex(zc, rc.b);
    it_hex(zd, rd.b);
    it_hex(zpid2, gk->patient2.t.id.b);

    assert_int_equal(gk_search(&w->patient, w->zpid, &t[0], 1, NULL), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 1);
    assert_true(it_has(&w->r, za) && !it_has(&w->r, zd));
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 2, NULL), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 2);
    assert_true(it_has(&w->r, za) && it_has(&w->r, zb) && !it_has(&w->r, zc));
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 3, "&limit=1000"), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 3);
    assert_true(it_has(&w->r, "\"next\":null"));
    assert_int_equal(gk_search(&w->patient, w->zpid, &t[2], 1, NULL), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 1);
    assert_true(it_has(&w->r, zc));
    /* a token repeated counts once */
    mc_hash same[2] = {t[2], t[2]};
    assert_int_equal(gk_search(&w->patient, w->zpid, same, 2, NULL), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 1);

    /* pages */
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 2, "&limit=1"), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 1);
    it_next(&w->r, next, sizeof next);
    assert_true(next[0] != 0);
    char more[120];
    snprintf(more, sizeof more, "&limit=1&after=%s", next);
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 2, more), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 1);
    assert_false(it_has(&w->r, next));
    snprintf(more, sizeof more, "&limit=1&after=%s", memcmp(ra.b, rb.b, 32) > 0 ? za : zb);
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 2, more), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));

    /* the other patient finds its own record by the same token, not this patient's */
    assert_int_equal(gk_search(&gk->patient2, zpid2, &t[0], 1, NULL), 200);
    assert_true(it_has(&w->r, zd) && !it_has(&w->r, za));
    assert_int_equal(gk_search(&gk->patient2, w->zpid, &t[0], 1, NULL), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    /* a grantee sees what its grant lets it read; a stranger nothing */
    assert_int_equal(gk_search(&w->grantee, w->zpid, t, 3, NULL), 200);
    assert_int_equal(it_count(&w->r, "\"cipher_hash\""), 3);
    assert_int_equal(gk_search(&w->stranger, w->zpid, t, 3, NULL), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    assert_int_equal(gk_search(&gk->denied, w->zpid, t, 3, NULL), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));

    /* bad requests */
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 0, NULL), 400);
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 1, "&token=xyz"), 400);
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 1, "&after=12"), 400);
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 1, "&limit=0"), 400);
    assert_int_equal(gk_search(&w->patient, w->zpid, t, 1, "&purpose=NOPE"), 400);
    mc_hash many[65];
    for (int i = 0; i < 65; i++) mc_random(many[i].b, 32);
    assert_int_equal(gk_search(&w->patient, w->zpid, many, 64, NULL), 200);
    assert_int_equal(gk_search(&w->patient, w->zpid, many, 65, NULL), 400);
    assert_int_equal(gk_search(&w->patient, zd, &t[0], 1, NULL), 404); /* a record id is no patient */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload),       cmocka_unit_test(test_read_permitted),
        cmocka_unit_test(test_read_refused), cmocka_unit_test(test_read_missing),
        cmocka_unit_test(test_corrupt_blob), cmocka_unit_test(test_batch),
        cmocka_unit_test(test_body_caps),    cmocka_unit_test(test_search),
    };
    return cmocka_run_group_tests(tests, gk_setup, gk_teardown);
}
