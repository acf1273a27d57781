/*
 * medchain events: follows GET /v1/events (server-sent events) and prints one line per event,
 *
 *   H:I:N kind patient subject actor other time [emergency] [denied] [removed]
 *
 * (ids in full, "-" for none). When the connection drops, or stays silent past the keep-alives,
 * it reconnects with Last-Event-ID set to the last event it printed: the node replays from its
 * blocks, so every event is printed exactly once, in order, across reconnects and restarts
 * (--after takes the id a previous run printed last).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define MC_SSE_LINE_MAX (64u << 10) /* a line or an event's data: events are a few hundred bytes */
#define MC_SSE_IDLE_MS  45000       /* three missed keep-alives (every 15 s): the stream is dead */

typedef struct {
    mc_buf line;   /* the line being received */
    mc_buf data;   /* the event being received: its data lines */
    char id[64];   /* ... and its id */
    char last[64]; /* the id of the last event printed */
    uint64_t got;  /* events printed */
    uint64_t want; /* --count, 0: no limit */
    int json;      /* print the data as JSON lines */
    int failed;    /* an oversized line or an unwritable stdout: stop for good */
    int fresh;     /* an event arrived on this connection */
} mc_sse;

/* "H:I:N" with three decimal numbers. */
static int mc_event_id_ok(const char *s)
{
    unsigned long long h, i, n;
    int used = 0;
    return strlen(s) < 64 && sscanf(s, "%llu:%llu:%llu%n", &h, &i, &n, &used) == 3 && s[used] == 0 &&
           s[0] >= '0' && s[0] <= '9';
}

static void mc_sse_print(mc_sse *s, json_t *d)
{
    if (s->json) {
        json_object_set_new(d, "id", json_string(s->id));
        char *t = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (t) puts(t);
        free(t);
    } else {
        char when[32] = "-";
        json_t *tm = json_object_get(d, "time_ms");
        if (json_is_integer(tm)) mc_cli_format_time(when, (uint64_t)json_integer_value(tm));
        printf("%s %s %s %s %s %s %s%s%s%s\n", s->id, mc_cli_str(d, "kind"), mc_cli_str(d, "patient"),
               mc_cli_str(d, "subject"), mc_cli_str(d, "actor"), mc_cli_str(d, "other"), when,
               json_is_true(json_object_get(d, "emergency")) ? " emergency" : "",
               json_is_true(json_object_get(d, "denied")) ? " denied" : "",
               json_is_true(json_object_get(d, "removed")) ? " removed" : "");
    }
}

/* An event is complete (a blank line): print it. Returns 1 once --count events are printed. */
static int mc_sse_dispatch(mc_sse *s)
{
    int stop = 0;
    if (s->data.n && s->id[0]) {
        json_error_t jerr;
        json_t *d = json_loadb((const char *)s->data.p, s->data.n, 0, &jerr);
        if (d) {
            mc_sse_print(s, d);
            json_decref(d);
            if (fflush(stdout) || ferror(stdout)) s->failed = stop = 1;
            memcpy(s->last, s->id, sizeof s->last);
            s->got++;
            s->fresh = 1;
            stop |= s->want && s->got >= s->want;
        }
    }
    mc_buf_reset(&s->data);
    s->id[0] = 0;
    return stop;
}

/* One line of the stream (without its end of line). */
static int mc_sse_line(mc_sse *s, char *p, size_t n)
{
    if (n && p[n - 1] == '\r') n--;
    if (n == 0) return mc_sse_dispatch(s);
    if (p[0] == ':') return 0; /* a comment: the keep-alive */
    size_t f = 0;
    while (f < n && p[f] != ':') f++;
    const char *v = f < n ? p + f + 1 : p + n;
    size_t vn = f < n ? n - f - 1 : 0;
    if (vn && *v == ' ') v++, vn--;
    if (f == 2 && !memcmp(p, "id", 2)) {
        snprintf(s->id, sizeof s->id, "%.*s", (int)(vn < 63 ? vn : 63), v);
        if (!mc_event_id_ok(s->id)) s->id[0] = 0;
    } else if (f == 4 && !memcmp(p, "data", 4)) {
        if ((s->data.n && mc_buf_append(&s->data, "\n", 1)) || mc_buf_append(&s->data, v, vn)) {
            s->failed = 1;
            return 1;
        }
    } /* "event:" repeats the data's kind; "retry:" and unknown fields are ignored */
    return 0;
}

static int mc_sse_chunk(void *arg, const char *p, size_t n)
{
    mc_sse *s = arg;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (mc_buf_append(&s->line, p + i, 1)) {
                s->failed = 1;
                return 1;
            }
            continue;
        }
        int stop = mc_sse_line(s, (char *)s->line.p, s->line.n);
        mc_buf_reset(&s->line);
        if (stop) return 1;
    }
    return 0;
}

static void mc_sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Follows the stream until --count events, --timeout, or an error that reconnecting cannot mend. */
static int mc_events_follow(mc_cli_conn *c, mc_sse *s, uint64_t timeout_s)
{
    uint64_t deadline = timeout_s ? mc_time_mono_ms() + timeout_s * 1000 : 0, backoff = 200;
    mc_buf err;
    mc_buf_init(&err, 1u << 16);
    int rc = 0;
    for (;;) {
        uint64_t now = mc_time_mono_ms();
        if (deadline && now >= deadline) break;
        char header[96];
        snprintf(header, sizeof header, "Last-Event-ID: %s", s->last);
        mc_http_set_timeout(c->http, deadline ? (long)(deadline - now) : 0);
        long st = 0;
        s->fresh = 0;
        int hrc = mc_http_stream(c->http, "/v1/events", s->last[0] ? header : NULL, MC_SSE_IDLE_MS, &st,
                                 mc_sse_chunk, s, &err);
        if (s->failed) {
            rc = mc_cli_fail("events: cannot go on (an oversized event, or the output is closed)");
            break;
        }
        if (s->want && s->got >= s->want) break;
        if (!hrc && st >= 400 && st < 500) { /* refused: reconnecting would be refused again */
            json_error_t jerr;
            json_t *j = json_loadb((const char *)err.p, err.n, 0, &jerr);
            rc = mc_cli_api_fail("events", st, j);
            json_decref(j);
            break;
        }
        if (hrc == MC_ETOOBIG || hrc == MC_ENOMEM) {
            rc = mc_cli_fail("events: %s", mc_strerror(hrc));
            break;
        }
        /* dropped, silent, closed by the node, or the node busy: a partial event is discarded
         * (it comes again after the last complete one) and the stream resumes after the last id */
        mc_buf_reset(&s->line);
        mc_buf_reset(&s->data);
        s->id[0] = 0;
        backoff = s->fresh ? 200 : backoff * 2 > 5000 ? 5000 : backoff * 2;
        now = mc_time_mono_ms();
        if (deadline && now + backoff >= deadline) break;
        mc_sleep_ms(backoff);
    }
    if (!rc && s->want && s->got < s->want)
        rc = mc_cli_fail("events: %llu of %llu events before the timeout", (unsigned long long)s->got,
                         (unsigned long long)s->want);
    mc_buf_free(&err);
    return rc;
}

int mc_cmd_events(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *after = NULL, *count = NULL, *timeout = NULL;
    mc_cli_opt opts[] = {{.name = "--after", .val = &after},
                         {.name = "--count", .val = &count},
                         {.name = "--timeout", .val = &timeout},
                         {0}};
    int rc = mc_cli_args(argc, argv, 1, &o, opts, NULL, 0);
    if (rc) return rc;
    mc_sse s;
    uint64_t secs = 0;
    memset(&s, 0, sizeof s);
    if (after && !mc_event_id_ok(after)) return mc_cli_usage("--after takes an event id H:I:N");
    if (count && (mc_parse_u64(count, &s.want) || !s.want))
        return mc_cli_usage("--count takes a number above 0");
    if (timeout && (mc_parse_u64(timeout, &secs) || !secs))
        return mc_cli_usage("--timeout takes a number of seconds above 0");
    if (after) snprintf(s.last, sizeof s.last, "%s", after);
    s.json = o.json;
    mc_buf_init(&s.line, MC_SSE_LINE_MAX);
    mc_buf_init(&s.data, MC_SSE_LINE_MAX);
    mc_cli_conn c;
    rc = mc_cli_connect(&c, &o, 1) ? 1 : mc_events_follow(&c, &s, secs);
    mc_cli_close(&c);
    mc_buf_free(&s.line);
    mc_buf_free(&s.data);
    return rc;
}
