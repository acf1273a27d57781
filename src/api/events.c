/*
 * GET /v1/events: server-sent events from applied blocks (docs/api.md, "Events").
 *
 * The executor writes a block's events in the block's own write transaction, keyed
 * (height, index, n), so a read transaction that sees tip H sees every event up to H and none
 * after. A stream keeps one cursor, the last event it examined (delivered or filtered out), and
 * moves it only after an event is formatted: each event is examined exactly once, in key order,
 * so none is repeated or skipped, across reconnects too (Last-Event-ID).
 *
 * The stream runs on its connection's own thread (the daemon uses one per connection) inside
 * the content-reader callback. It reads in short read transactions (at most MC_SSE_BATCH events
 * delivered or MC_SSE_SCAN examined per transaction), and once caught up with tip H it blocks,
 * holding no transaction, until a block above H is applied (the node's wait_tip), in slices of
 * at most a second so that a client that went away, or the api stopping, ends it promptly. A
 * "keepalive" comment goes out after MC_SSE_KEEPALIVE_MS without a write.
 *
 * Who receives what is decided at delivery, from the state of that transaction: events about
 * the caller's own patient id and those of patients it is an active delegate of; grants,
 * denies, revocations, delegations and expiry notices naming it; break-glass (and break-glass
 * reads) if it is an auditor; org admissions if it is an org. As for the lists (visibility.c),
 * auditors and delegates of a revoked org, and researchers as delegates, get nothing on those
 * grounds. A caller revoked meanwhile gets nothing more: its stream ends.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api_internal.h"

#define MC_SSE_KEEPALIVE_MS 15000u
#define MC_SSE_SLICE_MS     1000u
#define MC_SSE_POLL_MS      250u /* without a wait_tip backend: how often to look again */
#define MC_SSE_BATCH        64u
#define MC_SSE_SCAN         1024u
#define MC_SSE_BUF          (1u << 20)

typedef struct {
    mc_api *api;
    mc_id caller;
    int fd; /* the connection's socket, to notice a client that went away; -1 if unknown */
    int has_pos;
    uint64_t height; /* the last event examined */
    uint32_t index;
    uint16_t n;
    mc_buf out; /* formatted, not yet handed to the daemon */
    size_t off;
    uint64_t last_write_ms;
} mc_sse;

typedef struct {
    mc_sse *s;
    mc_store_txn *txn;
    uint8_t kind;   /* the caller's */
    int org_active; /* the caller's org (mc_store_org_active), in this transaction */
    unsigned delivered, examined;
    int err;
} mc_sse_scan;

static int mc_is_zero(const uint8_t b[32])
{
    static const uint8_t zero[32];
    return memcmp(b, zero, 32) == 0;
}

/* @return 1 deliver, 0 not for this caller, or a negative MC_E* store error. */
static int mc_sse_wants(const mc_sse_scan *sc, const mc_event *ev)
{
    const mc_id *me = &sc->s->caller;
    int about = !mc_is_zero(ev->patient.b);
    if (about && memcmp(ev->patient.b, me->b, 32) == 0) return 1;
    /* a delegate follows the patient only with the standing the policy gives it (visibility.c) */
    if (about && sc->org_active && sc->kind != MC_ID_RESEARCHER) {
        mc_delegate d;
        int rc = mc_store_get_delegate(sc->txn, &ev->patient, me, &d);
        if (rc == MC_OK && d.active) return 1;
        if (rc && rc != MC_ENOTFOUND) return -rc;
    }
    switch (ev->kind) {
    case MC_EV_GRANT:
    case MC_EV_DENY:
    case MC_EV_REVOKE:
    case MC_EV_DELEGATE:
    case MC_EV_GRANT_EXPIRING: /* "other" is the grantee or the delegate */
        if (memcmp(ev->other.b, me->b, 32) == 0) return 1;
        break;
    default: break;
    }
    if (sc->kind == MC_ID_AUDITOR && sc->org_active && (ev->flags & MC_EVF_EMERGENCY)) return 1;
    if (sc->kind == MC_ID_ORG && ev->kind == MC_EV_ORG_ADMITTED) return 1;
    return 0;
}

/* One event in key order. Stops (-1) when the transaction's budget is spent or on an error. */
static int mc_sse_one(void *arg, const mc_event *ev)
{
    mc_sse_scan *sc = arg;
    if (sc->examined == MC_SSE_SCAN || sc->delivered == MC_SSE_BATCH) return -1;
    int wants = mc_sse_wants(sc, ev);
    if (wants < 0) {
        sc->err = -wants;
        return -1;
    }
    if (wants) {
        int rc = mc_sse_format(&sc->s->out, ev);
        if (rc) {
            sc->err = rc;
            return -1;
        }
        sc->delivered++;
    }
    sc->examined++;
    sc->s->has_pos = 1;
    sc->s->height = ev->height;
    sc->s->index = ev->index;
    sc->s->n = ev->n;
    return 0;
}

/*
 * One short read transaction: formats what is next for the caller into s->out.
 * @return MC_OK with *caught_up (every event up to *tip examined), MC_EDENIED (the caller is
 * no longer active), or a store error.
 */
static int mc_sse_fill(mc_sse *s, int *caught_up, uint64_t *tip)
{
    mc_store_txn *txn;
    mc_identity idn;
    mc_hash hash;
    *caught_up = 0;
    int rc = mc_store_begin(s->api->be.store, 0, &txn);
    if (rc) return rc;
    rc = mc_store_get_identity(txn, &s->caller, &idn);
    if (rc == MC_ENOTFOUND || (!rc && idn.status != MC_ID_ACTIVE)) rc = MC_EDENIED;
    int org_active = rc ? 0 : mc_store_org_active(txn, &idn);
    if (org_active < 0) rc = -org_active;
    if (!rc) rc = mc_store_get_tip(txn, tip, &hash);
    mc_sse_scan sc = {.s = s, .txn = txn, .kind = rc ? 0 : idn.kind, .org_active = org_active};
    if (!rc) rc = mc_store_scan_events(txn, !s->has_pos, s->height, s->index, s->n, mc_sse_one, &sc);
    mc_store_abort(txn);
    if (rc == -1) return sc.err; /* stopped early: an error, or the budget (caught_up stays 0) */
    if (!rc) *caught_up = 1;
    return rc;
}

/* 1 if the client closed its end (no SSE client sends anything after its request). */
static int mc_sse_gone(const mc_sse *s)
{
    if (s->fd < 0) return 0;
    struct pollfd p = {.fd = s->fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) <= 0) return 0;
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) return 1;
    char c;
    return (p.revents & POLLIN) && recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/*
 * Blocks until a block above @p tip is applied (MC_OK), a keepalive is due (MC_ETIMEDOUT), or
 * the stream must end (MC_ECLOSED: the client went away, the api or the node is stopping).
 */
static int mc_sse_wait(mc_sse *s, uint64_t tip)
{
    const mc_api_backend *be = &s->api->be;
    for (;;) {
        uint64_t idle = mc_time_mono_ms() - s->last_write_ms;
        if (idle >= MC_SSE_KEEPALIVE_MS) return MC_ETIMEDOUT;
        if (atomic_load(&s->api->stopping) || mc_sse_gone(s)) return MC_ECLOSED;
        uint64_t slice = MC_SSE_KEEPALIVE_MS - idle;
        if (slice > MC_SSE_SLICE_MS) slice = MC_SSE_SLICE_MS;
        if (!be->wait_tip) {
            struct timespec ts = {0, (long)MC_SSE_POLL_MS * 1000000L};
            nanosleep(&ts, NULL);
            return MC_OK;
        }
        int rc = be->wait_tip(be->ctx, tip, (int)slice);
        if (rc != MC_ETIMEDOUT) return rc == MC_OK ? MC_OK : MC_ECLOSED;
    }
}

/* The daemon asks for the next bytes. Blocks until there are some: returning 0 would make a
 * thread-per-connection daemon call again at once. */
static ssize_t mc_sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    mc_sse *s = cls;
    (void)pos;
    for (;;) {
        if (s->off < s->out.n) {
            size_t n = s->out.n - s->off < max ? s->out.n - s->off : max;
            memcpy(buf, s->out.p + s->off, n);
            s->off += n;
            s->last_write_ms = mc_time_mono_ms();
            return (ssize_t)n;
        }
        mc_buf_reset(&s->out);
        s->off = 0;
        if (atomic_load(&s->api->stopping)) return MHD_CONTENT_READER_END_OF_STREAM;
        int caught_up;
        uint64_t tip;
        int rc = mc_sse_fill(s, &caught_up, &tip);
        if (rc == MC_EDENIED) return MHD_CONTENT_READER_END_OF_STREAM;
        if (rc) {
            mc_log(MC_LOG_WARN, "api", "event stream ended: %s", mc_strerror(rc));
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (s->out.n || !caught_up) continue;
        rc = mc_sse_wait(s, tip);
        if (rc == MC_ECLOSED) return MHD_CONTENT_READER_END_OF_STREAM;
        if (rc == MC_ETIMEDOUT && mc_buf_append(&s->out, ": keepalive\n\n", 13))
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void mc_sse_free(void *cls)
{
    mc_sse *s = cls;
    mc_buf_free(&s->out);
    free(s);
}

void mc_route_events(mc_call *c, mc_resp *r)
{
    const char *z = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (!z || !*z) z = mc_api_arg(c, "after");
    uint64_t v[3] = {0, 0, 0};
    if (z && mc_api_parse_cursor(z, 3, v)) {
        mc_resp_error(r, 400, "EINVAL", "Last-Event-ID and after must be H:I:N");
        return;
    }
    mc_sse *s = calloc(1, sizeof *s);
    if (!s) {
        mc_resp_err(r, MC_ENOMEM, NULL);
        return;
    }
    s->api = c->api;
    s->caller = c->signer;
    s->has_pos = z != NULL;
    s->height = v[0];
    s->index = (uint32_t)v[1];
    s->n = (uint16_t)v[2];
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->fd = ci ? ci->connect_fd : -1;
    s->last_write_ms = mc_time_mono_ms();
    mc_buf_init(&s->out, MC_SSE_BUF);
    /* the first bytes go out at once: the client sees the answer before any event */
    struct MHD_Response *resp = NULL;
    if (mc_buf_append(&s->out, "retry: 3000\n\n", 13) == MC_OK)
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8192, mc_sse_read, s, mc_sse_free);
    if (!resp) {
        mc_sse_free(s);
        mc_resp_err(r, MC_ENOMEM, NULL);
        return;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    r->status = 200;
    r->stream = resp;
}
