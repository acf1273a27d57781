/*
 * Integration tests of logged reads and the event stream (docs/api.md, "Records, consent and
 * access") against a real medchaind over HTTP: logged reads (permitted, refused, wrong target,
 * wrong custodian) and where they show up; the event stream, its resumption without loss or
 * repetition, a live event, and a prompt SIGTERM with a stream open. Then what a security
 * review found in the streams and lists: an org's revocation ignored for its auditors and
 * delegates, and researchers given full lists as delegates. The world and the request helpers
 * are in consentapi_util.{c,h}.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "consentapi_util.h"

#define IT_MAX_EVENTS 16

static void test_logged_reads(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    char path[320];

    /* the grantee's read is permitted and on the ledger */
    assert_int_equal(it_read(w, &w->grantee, &w->rid, &w->r), 200);
    assert_true(it_has(&w->r, "\"permit\":true") && it_has(&w->r, "\"reason\":\"PERMIT_GRANT\""));
    assert_true(it_has(&w->r, "\"log\":{") && it_has(&w->r, "\"result\":\"OK\"") &&
                it_has(&w->r, "\"anchor_tx\""));
    /* a stranger's is refused with the reason, and logged too */
    assert_int_equal(it_read(w, &w->stranger, &w->rid, &w->r), 403);
    assert_true(it_has(&w->r, "\"code\":\"EDENIED\"") && it_has(&w->r, "\"reason\":\"DENY_DEFAULT\""));
    assert_true(it_has(&w->r, "\"decision\":{") && it_has(&w->r, "\"result\":\"OK\""));
    assert_false(it_has(&w->r, "\"anchor_tx\""));

    /* the target signed must be exactly mc_access_target(): else nothing is logged */
    mc_http *h = it_client(w, &w->grantee);
    snprintf(path, sizeof path, "/v1/records/%s/access?action=read&purpose=TREAT", w->zrid);
    assert_int_equal(it_req(h, "POST", path, &w->r), 400);
    assert_true(it_has(&w->r, "EINVAL"));
    snprintf(path, sizeof path, "/v1/records/%s/access?purpose=TREAT", w->zrid);
    assert_int_equal(it_req(h, "POST", path, &w->r), 400);
    snprintf(path, sizeof path, "/v1/records/%s/access?purpose=TREAT&action=read", w->zrid);
    assert_int_equal(it_req(h, "GET", path, &w->r), 405);
    mc_http_free(h);
    /* a record held by another org: this node logs nothing */
    assert_int_equal(it_read(w, &w->grantee, &w->rid_other, &w->r), 409);
    assert_true(it_has(&w->r, "ENOTCUSTODIAN"));
    mc_hash unknown;
    mc_random(unknown.b, 32);
    assert_int_equal(it_read(w, &w->grantee, &unknown, &w->r), 404);

    /* the patient's history has both reads, oldest first; a page at a time */
    snprintf(path, sizeof path, "/v1/patients/%s/access", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 2);
    const char *g = strstr((char *)w->r.p, w->zgid), *s = strstr((char *)w->r.p, w->zsid);
    assert_true(g && s && g < s);
    assert_true(it_has(&w->r, "\"permit\":false") && it_has(&w->r, "\"next\":null"));
    snprintf(path, sizeof path, "/v1/patients/%s/access?limit=1", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 1);
    assert_true(it_has(&w->r, w->zgid));
    char next[80];
    it_next(&w->r, next, sizeof next);
    assert_non_null(strchr(next, ':'));
    snprintf(path, sizeof path, "/v1/patients/%s/access?limit=1&after=%s", w->zpid, next);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_true(it_has(&w->r, w->zsid) && !it_has(&w->r, w->zgid) && it_has(&w->r, "\"next\":null"));
    snprintf(path, sizeof path, "/v1/patients/%s/access?after=x:1", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 400);
    /* others see only their own reads */
    snprintf(path, sizeof path, "/v1/patients/%s/access", w->zpid);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 1);
    assert_true(it_has(&w->r, w->zsid) && !it_has(&w->r, w->zgid));
    /* the auditor sees every read on the chain */
    assert_int_equal(it_get_as(w, &w->auditor, "/v1/audit/access", &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"log_tx\""), 2);
    assert_true(it_has(&w->r, w->zsid) && it_has(&w->r, w->zgid));

    assert_int_equal(tn_kill(&w->c, SIGTERM), 0);
    assert_int_equal(tn_verify(&w->c, &w->r), 0); /* the logged reads replay to the same state */
    it_world_free(w);
}

/* ---- events -------------------------------------------------------------------------------- */

typedef struct {
    mc_buf text;
    size_t parsed;
    unsigned want, got;
    char ids[IT_MAX_EVENTS][32];
    char kinds[IT_MAX_EVENTS][32];
} it_events;

static void it_events_init(it_events *e, unsigned want)
{
    memset(e, 0, sizeof *e);
    mc_buf_init(&e->text, 1u << 20);
    e->want = want;
}

/* Copies the value of the line starting with @p field in @p block (up to @p end). */
static void it_field(const char *block, const char *end, const char *field, char out[32])
{
    out[0] = 0;
    for (const char *p = block; p < end; p = strchr(p, '\n') + 1) {
        size_t n = strlen(field);
        if (strncmp(p, field, n) == 0) {
            size_t len = strcspn(p + n, "\n");
            if (len > 31) len = 31;
            memcpy(out, p + n, len);
            out[len] = 0;
        }
        if (!strchr(p, '\n')) break;
    }
}

static int it_on_chunk(void *arg, const char *p, size_t n)
{
    it_events *e = arg;
    if (mc_buf_append(&e->text, p, n) || mc_buf_cstr(&e->text)) return 1;
    const char *base = (const char *)e->text.p, *end;
    while (e->got < e->want && (end = strstr(base + e->parsed, "\n\n"))) {
        const char *block = base + e->parsed;
        if (strncmp(block, "id: ", 4) == 0 && e->got < IT_MAX_EVENTS) {
            it_field(block, end, "id: ", e->ids[e->got]);
            it_field(block, end, "event: ", e->kinds[e->got]);
            e->got++;
        }
        e->parsed = (size_t)(end - base) + 2;
    }
    return e->got >= e->want;
}

/* Streams /v1/events as @p who until @p e->want events came (or the stream ends). */
static int it_stream(it_world *w, const it_who *who, const char *path, const char *last_id, it_events *e)
{
    char header[96];
    long st = 0;
    mc_buf err;
    mc_buf_init(&err, 1 << 16);
    if (last_id) snprintf(header, sizeof header, "Last-Event-ID: %s", last_id);
    mc_http *h = it_client(w, who);
    int rc = mc_http_stream(h, path, last_id ? header : NULL, 30000, &st, it_on_chunk, e, &err);
    mc_http_free(h);
    mc_buf_free(&err);
    return rc ? -rc : (int)st;
}

/* H:I:N ids compare in that order. */
static int it_id_cmp(const char *a, const char *b)
{
    unsigned long long x[3], y[3];
    assert_int_equal(sscanf(a, "%llu:%llu:%llu", &x[0], &x[1], &x[2]), 3);
    assert_int_equal(sscanf(b, "%llu:%llu:%llu", &y[0], &y[1], &y[2]), 3);
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

typedef struct {
    it_world *w;
    const it_who *who;
    const char *last_id;
    it_events e;
    int rc;
} it_stream_job;

static void *it_stream_main(void *arg)
{
    it_stream_job *j = arg;
    j->rc = it_stream(j->w, j->who, "/v1/events", j->last_id, &j->e);
    return NULL;
}

static void test_events(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    it_events *e = malloc(sizeof *e);
    assert_non_null(e);
    assert_int_equal(it_read(w, &w->grantee, &w->rid, &w->r), 200);
    assert_int_equal(it_read(w, &w->stranger, &w->rid, &w->r), 403);

    /* the patient's events from the beginning, in chain order */
    static const char *const kinds[] = {"record.new",       "record.new",  "consent.grant",
                                        "consent.delegate", "record.read", "record.read"};
    it_events_init(e, 6);
    assert_int_equal(it_stream(w, &w->patient, "/v1/events", NULL, e), 200);
    assert_int_equal(e->got, 6);
    char ids[6][32];
    for (unsigned i = 0; i < 6; i++) {
        assert_string_equal(e->kinds[i], kinds[i]);
        memcpy(ids[i], e->ids[i], 32);
        if (i) assert_true(it_id_cmp(ids[i - 1], ids[i]) < 0);
    }
    assert_true(it_has(&e->text, "\"denied\":true") && it_has(&e->text, "\"kind\":\"record.read\""));
    mc_buf_free(&e->text);

    /* a reconnect after the third continues at the fourth: nothing lost, nothing repeated */
    it_events_init(e, 3);
    assert_int_equal(it_stream(w, &w->patient, "/v1/events", ids[2], e), 200);
    for (unsigned i = 0; i < 3; i++) assert_string_equal(e->ids[i], ids[3 + i]);
    mc_buf_free(&e->text);
    char path[96];
    snprintf(path, sizeof path, "/v1/events?after=%s", ids[4]);
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->patient, path, NULL, e), 200);
    assert_string_equal(e->ids[0], ids[5]);
    mc_buf_free(&e->text);

    /* the grantee hears of its grant only; the delegate of everything about the patient */
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->grantee, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "consent.grant");
    assert_string_equal(e->ids[0], ids[2]);
    mc_buf_free(&e->text);
    it_events_init(e, 6);
    assert_int_equal(it_stream(w, &w->delegate, "/v1/events", NULL, e), 200);
    assert_string_equal(e->ids[5], ids[5]);
    mc_buf_free(&e->text);

    /* a live stream, caught up, gets the next read as it is applied */
    it_stream_job *j = calloc(1, sizeof *j);
    assert_non_null(j);
    j->w = w;
    j->who = &w->patient;
    j->last_id = ids[5];
    it_events_init(&j->e, 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, it_stream_main, j), 0);
    it_sleep_ms(500);
    assert_int_equal(it_read(w, &w->grantee, &w->rid, &w->r), 200);
    pthread_join(t, NULL);
    assert_int_equal(j->rc, 200);
    assert_int_equal(j->e.got, 1);
    assert_string_equal(j->e.kinds[0], "record.read");
    assert_true(it_id_cmp(ids[5], j->e.ids[0]) < 0);
    mc_buf_free(&j->e.text);
    assert_int_equal(it_stream(w, &w->patient, "/v1/events?after=1:2", NULL, e), 400);

    /* SIGTERM with a stream open and idle: the node stops promptly and cleanly */
    memset(j, 0, sizeof *j);
    j->w = w;
    j->who = &w->stranger; /* hears nothing: the stream just waits */
    it_events_init(&j->e, 1);
    assert_int_equal(pthread_create(&t, NULL, it_stream_main, j), 0);
    it_sleep_ms(500);
    uint64_t t0 = mc_time_mono_ms();
    assert_int_equal(tn_kill(&w->c, SIGTERM), 0);
    uint64_t took = mc_time_mono_ms() - t0;
    pthread_join(t, NULL);
    assert_true(took < 5000);
    assert_int_equal(j->e.got, 0);
    mc_buf_free(&j->e.text);
    free(j);
    it_world_free(w);
    free(e);
}

/* ---- the security review's findings ------------------------------------------------------ */

/* Streams /v1/events as @p who for at most @p ms, collecting up to @p e->want events. */
static int it_stream_for(it_world *w, const it_who *who, long ms, it_events *e)
{
    long st = 0;
    mc_buf err;
    mc_buf_init(&err, 1 << 16);
    mc_http *h = it_client(w, who);
    mc_http_set_timeout(h, ms);
    int rc = mc_http_stream(h, "/v1/events", NULL, 30000, &st, it_on_chunk, e, &err);
    mc_http_free(h);
    mc_buf_free(&err);
    return rc ? -rc : (int)st;
}

/* A break-glass by a provider of org 0 allowed to, its reason sealed (here: random bytes) to the
 * patient and the auditor. */
static void it_break_glass(it_world *w, it_who *medic, mc_hash *id)
{
    mc_body_emergency b;
    uint8_t reasons[2][MC_SEAL_OVERHEAD + 16];
    mc_buf body;
    memset(&b, 0, sizeof b);
    b.patient = w->patient.t.id;
    b.duration_ms = 3600ull * 1000;
    b.nreasons = 2;
    int pfirst = memcmp(w->patient.t.id.b, w->auditor.t.id.b, 32) < 0;
    b.reason_to[pfirst ? 0 : 1] = w->patient.t.id;
    b.reason_to[pfirst ? 1 : 0] = w->auditor.t.id;
    for (int i = 0; i < 2; i++) {
        mc_random(reasons[i], sizeof reasons[i]);
        b.reason[i] = (mc_slice){reasons[i], sizeof reasons[i]};
    }
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    assert_int_equal(mc_body_emergency_encode(&body, &b), MC_OK);
    it_commit(w, &medic->k, 1, MC_TX_ACCESS_EMERGENCY, &body, id);
    mc_buf_free(&body);
}

/* Revoked orgs' auditors and delegates, and researchers as delegates, see no more than the
 * policy lets them. */
static void test_revoked_orgs_and_researchers(void **state)
{
    (void)state;
    it_world *w = it_world_new();
    it_events *e = malloc(sizeof *e);
    char path[320], zglass[65];
    it_who researcher, medic;
    mc_hash glass;
    assert_non_null(e);
    it_register(w, &w->research, &w->research_nonce, MC_ID_RESEARCHER, &researcher);
    it_register_attrs(w, &w->org, &w->org_nonce, MC_ID_PROVIDER, "emergency=true", &medic);
    it_delegate(w, &researcher, 1, NULL);
    it_break_glass(w, &medic, &glass);
    it_hex(zglass, glass.b);

    /* a researcher named delegate: de-identified data only, so no list in full */
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    snprintf(path, sizeof path, "/v1/patients/%s/consents", w->zpid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"consents\":[]"));
    snprintf(path, sizeof path, "/v1/consents/%s", w->zcid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/tx/%s", w->zcid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=TREAT&action=read&requester=%s", w->zrid,
             w->zgid);
    assert_int_equal(it_get_as(w, &researcher, path, &w->r), 403);
    it_events_init(e, 1); /* its own delegation first: none of the patient's records */
    assert_int_equal(it_stream(w, &researcher, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "consent.delegate");
    mc_buf_free(&e->text);

    /* the auditor, while the regulator is active: everything, break-glass events included */
    assert_int_equal(it_get_as(w, &w->auditor, "/v1/audit/access", &w->r), 200);
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"anchor_tx\""), 2);
    snprintf(path, sizeof path, "/v1/tx/%s", zglass);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_int_equal(it_get_as(w, &w->stranger, path, &w->r), 403);
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->auditor, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "access.emergency");
    mc_buf_free(&e->text);

    /* the regulator and the delegate's hospital revoke themselves */
    mc_buf body;
    mc_id rid, hid;
    memcpy(rid.b, w->regulator.id.b, 32);
    memcpy(hid.b, w->hosp1.id.b, 32);
    mc_buf_init(&body, 64);
    assert_int_equal(mc_test_body_revoke(&body, &rid, 2), MC_OK);
    it_commit(w, &w->regulator, ++w->reg_nonce, MC_TX_IDENTITY_REVOKE, &body, NULL);
    mc_buf_reset(&body);
    assert_int_equal(mc_test_body_revoke(&body, &hid, 2), MC_OK);
    it_commit(w, &w->hosp1, ++w->hosp1_nonce, MC_TX_IDENTITY_REVOKE, &body, NULL);
    mc_buf_free(&body);

    /* the auditor of a revoked regulator: no audit view, no lists in full, no break-glass */
    assert_int_equal(it_get_as(w, &w->auditor, "/v1/audit/access", &w->r), 403);
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    snprintf(path, sizeof path, "/v1/patients/%s/consents", w->zpid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"consents\":[]"));
    snprintf(path, sizeof path, "/v1/tx/%s", zglass);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 403);
    snprintf(path, sizeof path, "/v1/decide?record=%s&purpose=TREAT&action=read&requester=%s", w->zrid,
             w->zgid);
    assert_int_equal(it_get_as(w, &w->auditor, path, &w->r), 403);
    it_events_init(e, 1);
    assert_int_equal(it_stream_for(w, &w->auditor, 2000, e), -MC_ETIMEDOUT);
    assert_int_equal(e->got, 0);
    mc_buf_free(&e->text);

    /* a delegate of a revoked hospital: likewise */
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->delegate, path, &w->r), 200);
    assert_true(it_has(&w->r, "\"records\":[]"));
    snprintf(path, sizeof path, "/v1/tx/%s", w->zcid);
    assert_int_equal(it_get_as(w, &w->delegate, path, &w->r), 403);
    it_events_init(e, 1);
    assert_int_equal(it_stream(w, &w->delegate, "/v1/events", NULL, e), 200);
    assert_string_equal(e->kinds[0], "consent.delegate");
    mc_buf_free(&e->text);
    /* the patient keeps everything */
    snprintf(path, sizeof path, "/v1/patients/%s/records", w->zpid);
    assert_int_equal(it_get_as(w, &w->patient, path, &w->r), 200);
    assert_int_equal(it_count(&w->r, "\"anchor_tx\""), 2);
    free(e);
    it_world_free(w);
}

int main(void)
{
    const char *filter = getenv("MEDCHAIN_TEST_FILTER");
    if (filter) cmocka_set_test_filter(filter);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logged_reads),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_revoked_orgs_and_researchers),
    };
    return cmocka_run_group_tests_name("integration_consent_api_reads", tests, NULL, NULL);
}
