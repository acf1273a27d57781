/*
 * The consent story, end to end: a real medchaind and the real `medchain` CLI, nothing else.
 *
 * Hospital A (the node's org), hospital B and a regulator found the chain. A's physician and
 * B's cardiologist anchor records for one patient, who sees both in one summary; the patient
 * grants the cardiologist 30 days of cardiology, with the window ending a few seconds from now
 * (so no clock is faked); the cardiologist's logged read is permitted, and once the block time
 * is past the window the same read is denied (DENY_EXPIRED) and logged too; the patient's
 * access history shows both. A second grant, revoked, gives DENY_REVOKED. B's ER doctor breaks
 * the glass and reads for ETREAT (PERMIT_EMERGENCY, flagged), which the patient and the auditor
 * are told of. Meanwhile the patient follows `medchain events`, killed mid-stream and restarted
 * with --after its last id: the two runs together print exactly what one uninterrupted run
 * prints.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "cliworld.h"
#include "testnet.h"

extern char **environ;

#define ST_DAY_MS (24ull * 3600 * 1000)

static tn_chain st_c;
static cw_world st_w;

#define st_cli(out, ...) cw_cli(&st_w, out, __VA_ARGS__)

static const char *st_key(const char *name, char *path, size_t cap)
{
    return cw_key(&st_w, name, path, cap);
}

static void st_keygen(mc_buf *out, const char *name, const char *kind, char hex[65])
{
    assert_int_equal(cw_keygen(&st_w, out, name, kind, hex), 0);
}

static void st_org_key(const char *name, const mc_keys *k)
{
    assert_int_equal(cw_org_key(&st_w, name, k), 0);
}

/* A patient (the identity named "patient") co-signs its own enrolment. */
static void st_enrol(mc_buf *out, const char *org, const char *name, const char *attrs)
{
    assert_int_equal(cw_enrol(&st_w, out, org, name, attrs, !attrs && !strcmp(name, "patient")), 0);
}

static void st_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The full transaction id in a CLI line "...(tx <id>, block N)". */
static void st_txid(const mc_buf *out, char hex[65])
{
    const char *p = strstr((const char *)out->p, "(tx ");
    assert_non_null(p);
    memcpy(hex, p + 4, 64);
    hex[64] = 0;
    uint8_t b[32];
    assert_int_equal(mc_hex_decode(b, 32, hex, 64), MC_OK);
}

static int st_has(const mc_buf *out, const char *s)
{
    return out->n && strstr((const char *)out->p, s) != NULL;
}

/* st_has with a formatted needle. */
static int st_hasf(const mc_buf *out, const char *fmt, ...) MC_PRINTF(2, 3);
static int st_hasf(const mc_buf *out, const char *fmt, ...)
{
    char s[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    return st_has(out, s);
}

/* The node's block time (GET /v1/status time_ms). */
static uint64_t st_block_time(void)
{
    mc_http *h = tn_client(&st_c, NULL);
    mc_buf r;
    long st = 0;
    mc_buf_init(&r, 1 << 16);
    assert_non_null(h);
    assert_int_equal(mc_http_request(h, "GET", "/v1/status", NULL, 0, &st, &r), MC_OK);
    assert_int_equal(st, 200);
    json_error_t jerr;
    json_t *j = json_loadb((const char *)r.p, r.n, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_integer(json_object_get(j, "time_ms")));
    uint64_t t = (uint64_t)json_integer_value(json_object_get(j, "time_ms"));
    json_decref(j);
    mc_buf_free(&r);
    mc_http_free(h);
    return t;
}

/* A harmless transaction, so that a block is made: the regulator enrols a throwaway node
 * (the regulator's key is not used by the CLI after the set-up, so the nonces cannot clash). */
static void st_poke(void)
{
    mc_http *h = tn_client(&st_c, &st_c.clients[1]);
    mc_buf tx, r;
    mc_hash id;
    mc_buf_init(&tx, MC_MAX_TX_BYTES);
    mc_buf_init(&r, 1 << 20);
    assert_int_equal(tn_build_register_kind(&st_c, &st_c.clients[1], (mc_time_now_ms() + 1) * 1000,
                                            MC_ID_NODE, "", &tx, &id),
                     MC_OK);
    assert_int_equal(tn_post_txs(h, "committed", &tx, 1, &r), 200);
    assert_true(tn_tx_committed(h, &id));
    mc_buf_free(&tx);
    mc_buf_free(&r);
    mc_http_free(h);
}

/* `medchain events` in the background, its stdout and stderr into @p path. */
static pid_t st_spawn_events(const char *key, const char *after, const char *path)
{
    char *argv[] = {MEDCHAIN_CLI_PATH,        "events",      "--key", (char *)key,
                    after ? "--after" : NULL, (char *)after, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, MEDCHAIN_CLI_PATH, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* The ids ("H:I:N") of the complete event lines in @p text, one per line, into @p ids. */
static unsigned st_event_ids(const char *text, mc_buf *ids)
{
    unsigned n = 0;
    mc_buf_reset(ids);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl) break; /* cut off by the kill: not printed */
        unsigned long long h, i, k;
        int used = 0;
        if (sscanf(p, "%llu:%llu:%llu%n", &h, &i, &k, &used) == 3 && p[used] == ' ') {
            assert_int_equal(mc_buf_append(ids, p, (size_t)used + 1), MC_OK);
            ids->p[ids->n - 1] = '\n';
            n++;
        }
        p = nl + 1;
    }
    assert_int_equal(mc_buf_cstr(ids), MC_OK);
    return n;
}

/* Reads a file into @p out (NUL-terminated). */
static void st_slurp(const char *path, mc_buf *out)
{
    mc_buf_reset(out);
    assert_int_equal(mc_file_read(path, out), MC_OK);
    assert_int_equal(mc_buf_cstr(out), MC_OK);
}

/* Waits (up to 30 s) until the file holds @p needle on a complete line. */
static void st_wait_for(const char *path, const char *needle, mc_buf *out)
{
    for (int i = 0; i < 300; i++) {
        st_slurp(path, out);
        const char *p = strstr((char *)out->p, needle);
        if (p && strchr(p, '\n')) return;
        st_sleep_ms(100);
    }
    fprintf(stderr, "%s never showed '%s':\n%s\n", path, needle, (char *)out->p);
    fail();
}

static void st_stop(pid_t pid, int sig)
{
    int st;
    kill(pid, sig);
    waitpid(pid, &st, 0);
}

/*
 * `medchain access` by @p who on @p record for @p purpose: the exit status must be @p rc, the
 * output must hold @p decision, and the read must be logged OK; its log transaction id goes
 * into @p log.
 */
static void st_access(mc_buf *out, const char *who, const char *record, const char *purpose, int rc,
                      const char *decision, char log[65])
{
    char k[500];
    assert_int_equal(st_cli(out, "access", "--record", record, "--purpose", purpose, "--key",
                            st_key(who, k, sizeof k), NULL),
                     rc);
    assert_true(st_has(out, decision));
    const char *lp = strstr((const char *)out->p, "logged in tx ");
    assert_non_null(lp);
    memcpy(log, lp + 13, 64);
    log[64] = 0;
    assert_non_null(strstr(lp, ": OK\n"));
}

static void test_consent_story(void **state)
{
    (void)state;
    tn_chain *c = &st_c;
    mc_buf out, ev, ids1, ids2, all;
    char k[500], k2[500], path[500], reasonf[500], sh[65];
    char patient[65], physician[65], cardio[65], er[65], auditor[65], org_a[65], org_b[65], regulator[65];
    char r1[65], r2[65], g1[65], g2[65], glass[65], log1[65], log2[65], log3[65], log4[65], logs[80];
    mc_buf_init(&out, 1u << 20);
    mc_buf_init(&ev, 1u << 20);
    mc_buf_init(&ids1, 1u << 16);
    mc_buf_init(&ids2, 1u << 16);
    mc_buf_init(&all, 1u << 16);

    /* a chain of hospital A (the node's org), hospital B and a regulator */
    assert_int_equal(tn_create(c, 2, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_set_org_type(c, 2, "regulator"), MC_OK);
    assert_int_equal(tn_start(c, NULL), MC_OK);
    assert_int_equal(cw_open(&st_w, c), 0);
    st_org_key("org_a", &c->org);
    st_org_key("org_b", &c->clients[0]);
    st_org_key("regulator", &c->clients[1]);
    mc_hex_encode(org_a, c->org.id.b, 32);
    mc_hex_encode(org_b, c->clients[0].id.b, 32);
    mc_hex_encode(regulator, c->clients[1].id.b, 32);

    /* [1] the people: each makes a key, each org enrols its own */
    st_keygen(&out, "patient", "patient", patient);
    st_keygen(&out, "physician", "provider", physician);
    st_keygen(&out, "cardio", "provider", cardio);
    st_keygen(&out, "er", "provider", er);
    st_keygen(&out, "auditor", "auditor", auditor);
    st_enrol(&out, "org_a", "patient", NULL);
    st_enrol(&out, "org_a", "physician", "role=physician,dept=internal");
    st_enrol(&out, "org_b", "cardio", "role=physician,dept=cardiology");
    st_enrol(&out, "org_b", "er", "role=physician,dept=emergency,emergency=true");
    st_enrol(&out, "regulator", "auditor", NULL);

    /* the patient follows their events from here on, in another process */
    char evf1[500], evf2[500];
    snprintf(evf1, sizeof evf1, "%.255s/events1.txt", c->dir);
    snprintf(evf2, sizeof evf2, "%.255s/events2.txt", c->dir);
    pid_t follower = st_spawn_events(st_key("patient", k, sizeof k), NULL, evf1);

    /* bad input is refused before anything is sent */
    uint64_t t0 = st_block_time();
    assert_int_equal(st_cli(&out, "grant", "--key", st_key("patient", k, sizeof k), "--to", cardio,
                            "--purpose", "TREATMENT", "--days", "30", NULL),
                     2);
    assert_true(st_has(&out, "unknown purpose 'TREATMENT'"));
    assert_int_equal(
        st_cli(&out, "grant", "--key", k, "--to", "12ab", "--purpose", "TREAT", "--days", "30", NULL), 2);
    assert_int_equal(st_cli(&out, "grant", "--key", k, "--to", cardio, "--purpose", "TREAT", "--until",
                            "2026-11-24 10:00", NULL),
                     2);
    assert_int_equal(
        st_cli(&out, "access", "--key", k, "--record", cardio, "--purpose", "TREAT,ETREAT", NULL), 2);
    assert_int_equal(st_block_time(), t0);

    /* [2] records at both hospitals: A's physician anchors one custodied by A (read below, on A's
     * node); B's cardiologist anchors one from a file, custodied by B */
    uint8_t rb[32];
    mc_random(rb, 32);
    mc_hex_encode(r1, rb, 32);
    mc_random(rb, 32);
    mc_hex_encode(sh, rb, 32);
    assert_int_equal(st_cli(&out, "record", "anchor", "--key", st_key("physician", k, sizeof k), "--patient",
                            patient, "--category", "cardiology", "--record", r1, "--cipher-hash", sh,
                            "--commitment", sh, "--size", "2048", "--token", sh, NULL),
                     0);
    assert_true(st_has(&out, "anchor: committed, OK"));
    snprintf(path, sizeof path, "%.255s/echo.bin", c->dir);
    assert_int_equal(mc_file_write_atomic(path, "not a real echocardiogram", 25, 0600), MC_OK);
    assert_int_equal(st_cli(&out, "record", "anchor", "--key", st_key("cardio", k, sizeof k), "--patient",
                            patient, "--category", "imaging", "--sensitivity", "R", "--file", path, NULL),
                     0);
    const char *rp = strstr((char *)out.p, "\nrecord ");
    assert_non_null(rp);
    memcpy(r2, rp + 8, 64);
    r2[64] = 0;
    assert_true(st_has(&out, "commitment salt "));

    /* the patient's summary spans both hospitals */
    assert_int_equal(st_cli(&out, "patient", patient, "--key", st_key("patient", k, sizeof k), NULL), 0);
    assert_true(st_hasf(&out, "%s cardiology N custodian %.16s", r1, org_a));
    assert_true(st_hasf(&out, "%s imaging R custodian %.16s", r2, org_b));
    assert_int_equal(st_cli(&out, "record", "list", "--patient", patient, "--key", k, "--json", NULL), 0);
    assert_true(st_has(&out, r1) && st_has(&out, r2));
    assert_int_equal(st_cli(&out, "record", "show", r1, "--key", k, NULL), 0);
    assert_true(st_has(&out, " 2048 bytes, block "));

    /* [3] nothing lets the cardiologist read A's record yet */
    assert_int_equal(st_cli(&out, "decide", "--record", r1, "--purpose", "TREAT", "--key",
                            st_key("cardio", k, sizeof k), NULL),
                     3);
    assert_true(st_has(&out, "DENY DENY_DEFAULT"));

    /* [4] 30 days of cardiology for the cardiologist, the window ending ~8 s from now */
    uint64_t from = mc_time_now_ms() - 30 * ST_DAY_MS + 8000, until = from + 30 * ST_DAY_MS;
    char fs[24], us[24];
    snprintf(fs, sizeof fs, "%llu", (unsigned long long)from);
    snprintf(us, sizeof us, "%llu", (unsigned long long)until);
    assert_int_equal(st_cli(&out, "grant", "--key", st_key("patient", k, sizeof k), "--to", cardio,
                            "--categories", "cardiology", "--purpose", "TREAT", "--from", fs, "--until", us,
                            NULL),
                     0);
    assert_true(st_has(&out, "grant: committed, OK"));
    st_txid(&out, g1);

    /* [5] the cardiologist's read: permitted by the grant, and logged */
    snprintf(path, sizeof path, "PERMIT PERMIT_GRANT (a matching grant) basis %s\n", g1);
    st_access(&out, "cardio", r1, "TREAT", 0, path, log1);

    /* the follower is killed mid-stream; its last id is where the next run resumes */
    st_wait_for(evf1, "record.read", &ev);
    st_stop(follower, SIGKILL);
    st_slurp(evf1, &ev);
    unsigned n1 = st_event_ids((char *)ev.p, &ids1);
    assert_true(n1 >= 4); /* two records, the grant and its expiry notice, the read */
    char last1[64];
    const char *lastl = (char *)ids1.p + ids1.n - 1;
    while (lastl > (char *)ids1.p && lastl[-1] != '\n') lastl--;
    snprintf(last1, sizeof last1, "%.*s", (int)strcspn(lastl, "\n"), lastl);

    /* [6] once the block time is past the window, the same read is denied and logged */
    while (mc_time_now_ms() <= until + 50) st_sleep_ms(100);
    for (int i = 0; i < 100 && st_block_time() <= until; i++) {
        st_poke();
        st_sleep_ms(100);
    }
    assert_true(st_block_time() > until);
    snprintf(path, sizeof path, "DENY DENY_EXPIRED (the matching grant is over) basis %s\n", g1);
    st_access(&out, "cardio", r1, "TREAT", 3, path, log2);

    /* the patient's access history shows both reads */
    assert_int_equal(
        st_cli(&out, "access-log", "--patient", patient, "--key", st_key("patient", k, sizeof k), NULL), 0);
    assert_true(st_hasf(&out, "PERMIT PERMIT_GRANT reader %.16s", cardio));
    assert_true(st_hasf(&out, "DENY DENY_EXPIRED reader %.16s", cardio));
    assert_true(st_has(&out, log1) && st_has(&out, log2));
    assert_true(strstr((char *)out.p, log1) < strstr((char *)out.p, log2)); /* oldest first */
    assert_int_equal(st_cli(&out, "patient", patient, "access", "--key", k, NULL), 0);
    assert_true(st_has(&out, log1) && st_has(&out, log2));

    /* the follower comes back after its last id, while the story goes on */
    follower = st_spawn_events(st_key("patient", k, sizeof k), last1, evf2);

    /* [7] a new grant, then its revocation: a read right after is DENY_REVOKED */
    assert_int_equal(st_cli(&out, "grant", "--key", st_key("patient", k, sizeof k), "--to", cardio,
                            "--categories", "cardiology", "--purpose", "TREAT,HOPERAT", "--days", "30", NULL),
                     0);
    st_txid(&out, g2);
    assert_int_equal(st_cli(&out, "revoke", g2, "--key", k, NULL), 0);
    assert_true(st_has(&out, "revoke: committed, OK"));
    snprintf(path, sizeof path, "DENY DENY_REVOKED (the matching grant was revoked) basis %s\n", g2);
    st_access(&out, "cardio", r1, "TREAT", 3, path, log3);
    /* revoking it again fails on the chain, with the result's name */
    assert_int_equal(st_cli(&out, "revoke", g2, "--key", k, NULL), 1);
    assert_true(st_has(&out, "TARGET_REVOKED"));
    /* the patient asks the policy on the cardiologist's behalf */
    assert_int_equal(
        st_cli(&out, "decide", "--record", r1, "--purpose", "TREAT", "--requester", cardio, "--key", k, NULL),
        3);
    assert_true(st_has(&out, "DENY DENY_REVOKED"));
    assert_int_equal(st_cli(&out, "patient", patient, "consents", "--key", k, NULL), 0);
    assert_true(st_hasf(&out, "%s grant active identity %.16s", g1, cardio));
    assert_true(st_hasf(&out, "%s grant revoked identity %.16s", g2, cardio));
    /* B's record is custodied by B: A's node neither serves nor logs it */
    assert_int_equal(st_cli(&out, "access", "--record", r2, "--purpose", "TREAT", "--key",
                            st_key("patient", k, sizeof k), NULL),
                     1);
    assert_true(st_has(&out, "ENOTCUSTODIAN"));

    /* [8] break-glass: B's ER doctor is refused, breaks the glass, and reads for ETREAT */
    st_access(&out, "er", r1, "ETREAT", 3, "DENY DENY_DEFAULT (nothing permits it)\n", sh);
    snprintf(reasonf, sizeof reasonf, "%.255s/reason.txt", c->dir);
    assert_int_equal(mc_file_write_atomic(reasonf, "unconscious on arrival", 22, 0600), MC_OK);
    assert_int_equal(st_cli(&out, "emergency", "--patient", patient, "--minutes", "30", "--reason-file",
                            reasonf, "--auditor", regulator, "--key", st_key("er", k, sizeof k), NULL),
                     0);
    assert_false(st_has(&out, "unconscious")); /* the reason is sealed, never shown */
    st_txid(&out, glass);
    snprintf(path, sizeof path, "PERMIT PERMIT_EMERGENCY (break-glass inside its window) basis %s\n", glass);
    st_access(&out, "er", r1, "ETREAT", 0, path, log4);
    assert_int_equal(
        st_cli(&out, "access-log", "--patient", patient, "--key", st_key("patient", k, sizeof k), NULL), 0);
    assert_true(st_hasf(&out, "PERMIT PERMIT_EMERGENCY reader %.16s", er));
    assert_true(st_hasf(&out, " emergency log %s", log4));
    assert_true(st_hasf(&out, "DENY DENY_REVOKED reader %.16s", cardio));
    /* one page of two: the oldest two */
    assert_int_equal(st_cli(&out, "access-log", "--patient", patient, "--limit", "2", "--key", k, NULL), 0);
    assert_true(st_has(&out, log1) && st_has(&out, log2) && !st_has(&out, log3) && !st_has(&out, log4));

    /* the auditor: every read on the chain, and the break-glass as an event */
    assert_int_equal(st_cli(&out, "access-log", "--all", "--key", st_key("auditor", k, sizeof k), NULL), 0);
    assert_true(st_has(&out, log1) && st_has(&out, log2) && st_has(&out, log3) && st_has(&out, log4));
    assert_int_equal(st_cli(&out, "access-log", "--all", "--key", st_key("patient", k2, sizeof k2), NULL), 1);
    assert_int_equal(st_cli(&out, "events", "--timeout", "3", "--key", k, NULL), 0);
    assert_true(st_hasf(&out, " access.emergency %s %s %s", patient, glass, er));
    assert_true(st_hasf(&out, " record.read %s %s %s", patient, log4, er));
    assert_false(st_has(&out, "consent.grant")); /* not the auditor's business as an event */

    /* [9] the patient was told too; the resumed follower reaches the last read and stops */
    snprintf(logs, sizeof logs, " %s ", log4);
    st_wait_for(evf2, logs, &ev);
    st_stop(follower, SIGTERM);
    st_slurp(evf2, &ev);
    assert_true(st_hasf(&ev, " access.emergency %s %s %s", patient, glass, er));
    unsigned n2 = st_event_ids((char *)ev.p, &ids2);
    assert_true(n2 >= 6); /* denied read, grant, revoke, revoked read, refusal, break-glass, its read */
    assert_true(st_hasf(&ev, " %s ", log2) && st_has(&ev, " denied"));

    /* one uninterrupted run prints exactly what the two runs printed, in the same order */
    assert_int_equal(st_cli(&out, "events", "--timeout", "3", "--key", st_key("patient", k, sizeof k), NULL),
                     0);
    unsigned nall = st_event_ids((char *)out.p, &all);
    fprintf(stderr, "events: %u before the kill (last %s), %u after the restart, %u in one run\n", n1, last1,
            n2, nall);
    assert_int_equal(nall, n1 + n2);
    assert_int_equal(all.n, ids1.n + ids2.n);
    assert_memory_equal(all.p, ids1.p, ids1.n);
    assert_memory_equal(all.p + ids1.n, ids2.p, ids2.n);
    /* and --count stops after that many */
    assert_int_equal(st_cli(&out, "events", "--count", "2", "--key", k, NULL), 0);
    assert_int_equal(st_event_ids((char *)out.p, &ids2), 2);
    assert_memory_equal(ids2.p, all.p, ids2.n);

    /* the node stops cleanly and the chain verifies from genesis */
    assert_int_equal(tn_kill(c, SIGTERM), 0);
    assert_int_equal(tn_verify(c, &out), 0);
    /* nothing of the reason or the record reached the node's log */
    snprintf(path, sizeof path, "%.255s/medchaind.log", c->dir);
    mc_buf_reset(&out);
    if (mc_file_read(path, &out) == MC_OK && mc_buf_cstr(&out) == MC_OK)
        assert_false(st_has(&out, "unconscious") || st_has(&out, "echocardiogram"));
    mc_buf_free(&out);
    mc_buf_free(&ev);
    mc_buf_free(&ids1);
    mc_buf_free(&ids2);
    mc_buf_free(&all);
    tn_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consent_story),
    };
    return cmocka_run_group_tests_name("integration_consent_story", tests, NULL, NULL);
}
