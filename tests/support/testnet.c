/* testnet: a temporary single-node medchain with a real medchaind process. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testnet.h"

extern char **environ;

#define TN_TRY(expr)                                                                                         \
    do {                                                                                                     \
        int tn_rc_ = (expr);                                                                                 \
        if (tn_rc_) return tn_rc_;                                                                           \
    } while (0)

static void tn_keys(mc_keys *k, int kind)
{
    mc_sign_pk pk;
    mc_id id;
    mc_box_pk bpk;
    memset(k, 0, sizeof *k);
    k->kind = (uint8_t)kind;
    mc_sign_keypair(&pk, &k->sign_sk);
    mc_id_from_pk(&id, &pk);
    memcpy(k->id.b, id.b, 32);
    mc_box_keypair(&bpk, &k->box_sk);
}

static int tn_genesis(tn_chain *c)
{
    mc_genesis *g = calloc(1, sizeof *g);
    if (!g) return MC_ENOMEM;
    snprintf(g->name, sizeof g->name, "medchain-test");
    g->time_ms = mc_time_now_ms();
    g->norgs = 1 + c->nclients;
    g->threshold = 1;
    for (unsigned i = 0; i < g->norgs; i++) {
        mc_keys *k = i == 0 ? &c->org : &c->clients[i - 1];
        snprintf(g->orgs[i].name, sizeof g->orgs[i].name, "Hospital %u", i);
        snprintf(g->orgs[i].type, sizeof g->orgs[i].type, "hospital");
        mc_sign_sk_to_pk(&g->orgs[i].sign_pk, &k->sign_sk);
        mc_box_sk_to_pk(&g->orgs[i].box_pk, &k->box_sk);
    }
    g->nvalidators = 1;
    mc_sign_sk_to_pk(&g->validators[0].sign_pk, &c->node.sign_sk);
    mc_box_sk_to_pk(&g->validators[0].box_pk, &c->node.box_sk);
    mc_buf gb;
    char path[400];
    mc_buf_init(&gb, 1u << 20);
    int rc = mc_genesis_encode(&gb, g);
    free(g);
    if (!rc) {
        mc_genesis_chain_id(&c->chain, gb.p, gb.n);
        snprintf(path, sizeof path, "%s/genesis.bin", c->dir);
        rc = mc_file_write_atomic(path, gb.p, gb.n, 0600);
    }
    mc_buf_free(&gb);
    return rc;
}

/*
 * Every chain this process made, so that its node (by pid) and its directory are cleaned up at
 * exit even when a test stops half way (a failed assertion skips the test's own clean-up).
 */
#define TN_MAX_LIVE 64
static struct {
    pid_t pid;
    char dir[256];
} tn_live[TN_MAX_LIVE];

static void tn_live_cleanup(void)
{
    for (int i = 0; i < TN_MAX_LIVE; i++) {
        if (tn_live[i].pid > 0) {
            kill(tn_live[i].pid, SIGKILL);
            waitpid(tn_live[i].pid, NULL, 0);
        }
        if (tn_live[i].dir[0]) {
            char *argv[] = {"rm", "-rf", tn_live[i].dir, NULL};
            tn_run(argv, NULL);
        }
        memset(&tn_live[i], 0, sizeof tn_live[i]);
    }
}

/* The slot of @p dir (or a free one when @p add), or -1. */
static int tn_live_slot(const char *dir, int add)
{
    static int registered;
    if (!registered && add) registered = atexit(tn_live_cleanup) == 0;
    for (int i = 0; i < TN_MAX_LIVE; i++)
        if (tn_live[i].dir[0] && strcmp(tn_live[i].dir, dir) == 0) return i;
    for (int i = 0; add && i < TN_MAX_LIVE; i++)
        if (!tn_live[i].dir[0]) {
            snprintf(tn_live[i].dir, sizeof tn_live[i].dir, "%s", dir);
            return i;
        }
    return -1;
}

static void tn_live_pid(const char *dir, pid_t pid)
{
    int i = tn_live_slot(dir, 0);
    if (i >= 0) tn_live[i].pid = pid;
}

int tn_create(tn_chain *c, unsigned nclients, const char *medchaind, const char *medchain)
{
    memset(c, 0, sizeof *c);
    if (nclients > TN_MAX_CLIENTS) return MC_EINVAL;
    TN_TRY(mc_crypto_init());
    TN_TRY(mc_net_init());
    c->medchaind = medchaind;
    c->medchain = medchain;
    const char *tmp = getenv("TMPDIR");
    snprintf(c->dir, sizeof c->dir, "%s/medchain-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(c->dir)) return MC_EIO;
    tn_live_slot(c->dir, 1);
    snprintf(c->data, sizeof c->data, "%s/data", c->dir);
    tn_keys(&c->org, MC_ID_ORG);
    tn_keys(&c->node, MC_ID_NODE);
    c->nclients = nclients;
    for (unsigned i = 0; i < nclients; i++) tn_keys(&c->clients[i], MC_ID_ORG);
    TN_TRY(tn_genesis(c));
    char path[400], conf[2048];
    snprintf(path, sizeof path, "%s/passphrase", c->dir);
    TN_TRY(mc_file_write_atomic(path, "test-passphrase", 15, 0600));
    snprintf(path, sizeof path, "%s/node.key", c->dir);
    TN_TRY(mc_keyfile_write(path, &c->node, "test-passphrase", MC_KDF_TEST));
    /* no time beacons (empty batches of idle validators): tests count blocks and compare chains at
     * rest; the sharing test turns them on */
    int n =
        snprintf(conf, sizeof conf,
                 "data_dir = %s\ngenesis = %s/genesis.bin\nnode_key = %s/node.key\n"
                 "passphrase_file = %s/passphrase\nlisten = 127.0.0.1:0\nport_file = %s/port\nlog_level = "
                 "warn\ntime_beacon_ms = 0\n",
                 c->data, c->dir, c->dir, c->dir, c->dir);
    snprintf(path, sizeof path, "%s/medchaind.conf", c->dir);
    return mc_file_write_atomic(path, conf, (size_t)n, 0600);
}

/* Rewrites @p c's genesis after @p edit changed it (nonzero from edit: MC_EINVAL). */
static int tn_edit_genesis(tn_chain *c, int (*edit)(mc_genesis *g, const void *arg), const void *arg)
{
    char path[400];
    mc_buf gb;
    mc_genesis *g = calloc(1, sizeof *g);
    if (!g) return MC_ENOMEM;
    snprintf(path, sizeof path, "%s/genesis.bin", c->dir);
    mc_buf_init(&gb, 1u << 20);
    int rc = mc_file_read(path, &gb);
    if (!rc) rc = mc_genesis_decode(g, gb.p, gb.n);
    if (!rc && edit(g, arg)) rc = MC_EINVAL;
    if (!rc) {
        mc_buf_reset(&gb);
        rc = mc_genesis_encode(&gb, g);
    }
    if (!rc) {
        mc_genesis_chain_id(&c->chain, gb.p, gb.n);
        rc = mc_file_write_atomic(path, gb.p, gb.n, 0600);
    }
    mc_buf_free(&gb);
    free(g);
    return rc;
}

typedef struct {
    unsigned i;
    const char *type;
} tn_org_type;

static int tn_edit_type(mc_genesis *g, const void *arg)
{
    const tn_org_type *t = arg;
    if (t->i >= g->norgs || strlen(t->type) >= sizeof g->orgs[t->i].type) return -1;
    snprintf(g->orgs[t->i].type, sizeof g->orgs[t->i].type, "%s", t->type);
    return 0;
}

int tn_set_org_type(tn_chain *c, unsigned i, const char *type)
{
    tn_org_type t = {i, type};
    return tn_edit_genesis(c, tn_edit_type, &t);
}

static int tn_edit_threshold(mc_genesis *g, const void *arg)
{
    uint32_t k = *(const uint32_t *)arg;
    if (k < 1 || k > g->norgs) return -1;
    g->threshold = k;
    return 0;
}

int tn_set_threshold(tn_chain *c, uint32_t k)
{
    return tn_edit_genesis(c, tn_edit_threshold, &k);
}

unsigned tn_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

int tn_start(tn_chain *c, const char *const *settings)
{
    char conf[400], portf[400], log[400];
    snprintf(conf, sizeof conf, "%s/medchaind.conf", c->dir);
    snprintf(portf, sizeof portf, "%s/port", c->dir);
    snprintf(log, sizeof log, "%s/medchaind.log", c->dir);
    unlink(portf);
    char *argv[64];
    int a = 0;
    argv[a++] = (char *)c->medchaind;
    argv[a++] = "--config";
    argv[a++] = conf;
    for (int i = 0; settings && settings[i] && a < 60; i++) {
        argv[a++] = "--set";
        argv[a++] = (char *)settings[i];
    }
    argv[a] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&c->pid, c->medchaind, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return MC_EIO;
    tn_live_pid(c->dir, c->pid);
    unsigned prev = c->port;
    c->port = 0;
    for (int i = 0; i < 400 && !c->port; i++) {
        mc_buf b;
        mc_buf_init(&b, 32);
        if (mc_file_read(portf, &b) == MC_OK && mc_buf_cstr(&b) == MC_OK && atoi((char *)b.p) > 0)
            c->port = (unsigned)atoi((char *)b.p);
        mc_buf_free(&b);
        int st;
        if (!c->port && waitpid(c->pid, &st, WNOHANG) == c->pid) {
            c->pid = 0;
            tn_live_pid(c->dir, 0);
            fprintf(stderr, "testnet: medchaind exited during start-up (see %s)\n", log);
            return MC_EUNAVAIL;
        }
        struct timespec ts = {0, 25000000};
        if (!c->port) nanosleep(&ts, NULL);
    }
    if (!c->port) return MC_ETIMEDOUT;
    c->moved = prev && prev != c->port;
    snprintf(c->url, sizeof c->url, "http://127.0.0.1:%u", c->port);
    return MC_OK;
}

int tn_kill(tn_chain *c, int sig)
{
    int st = 0;
    if (!c->pid) return -1;
    kill(c->pid, sig);
    waitpid(c->pid, &st, 0);
    c->pid = 0;
    tn_live_pid(c->dir, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void tn_destroy(tn_chain *c)
{
    if (c->pid) tn_kill(c, SIGKILL);
    char *argv[] = {"rm", "-rf", c->dir, NULL};
    if (c->dir[0]) tn_run(argv, NULL);
    int i = c->dir[0] ? tn_live_slot(c->dir, 0) : -1;
    if (i >= 0) memset(&tn_live[i], 0, sizeof tn_live[i]);
    mc_wipe(c, sizeof *c);
}

mc_http *tn_client(tn_chain *c, const mc_keys *keys)
{
    mc_http *h;
    if (mc_http_new(&h, c->url, 0)) return NULL;
    mc_http_set_timeout(h, 120000);
    if (keys) {
        mc_http_signer s = {.chain = c->chain, .sk = &keys->sign_sk};
        memcpy(s.id.b, keys->id.b, 32);
        mc_http_set_signer(h, &s);
    }
    return h;
}

int tn_build_register_kind(tn_chain *c, const mc_keys *org, uint64_t nonce, uint8_t kind, const char *attrs,
                           mc_buf *tx, mc_hash *id)
{
    return tn_build_register_keys(c, org, nonce, kind, attrs, tx, id, NULL);
}

int tn_build_register_keys(tn_chain *c, const mc_keys *org, uint64_t nonce, uint8_t kind, const char *attrs,
                           mc_buf *tx, mc_hash *id, mc_keys *keys)
{
    mc_body_register b;
    mc_sign_sk sk;
    mc_box_sk bsk;
    memset(&b, 0, sizeof b);
    b.kind = kind;
    memcpy(b.org.b, org->id.b, 32);
    mc_sign_keypair(&b.sign_pk, &sk);
    mc_box_keypair(&b.box_pk, &bsk);
    if (keys) { /* the new identity's keys, for the caller to sign as it */
        memset(keys, 0, sizeof *keys);
        keys->kind = kind;
        keys->sign_sk = sk;
        keys->box_sk = bsk;
        mc_id nid;
        mc_id_from_pk(&nid, &b.sign_pk);
        memcpy(keys->id.b, nid.b, 32);
    }
    TN_TRY(mc_attrs_parse(&b.attrs, attrs));
    uint8_t tmp[1024];
    mc_buf body = {tmp, 0, sizeof tmp, sizeof tmp - 1}; /* stack-backed: a body fits */
    TN_TRY(mc_body_register_encode(&body, &b));
    mc_id signer;
    memcpy(signer.b, org->id.b, 32);
    return mc_tx_build(tx, id, &c->chain, &signer, nonce, MC_TX_IDENTITY_REGISTER, body.p, body.n,
                       &org->sign_sk);
}

int tn_build_register(tn_chain *c, const mc_keys *org, uint64_t nonce, mc_buf *tx, mc_hash *id)
{
    return tn_build_register_kind(c, org, nonce, MC_ID_PROVIDER, "role=physician", tx, id);
}

int tn_txs_json(mc_buf *out, const mc_buf *txs, size_t n)
{
    TN_TRY(mc_buf_append(out, "{\"txs\":[", 8));
    for (size_t i = 0; i < n; i++) {
        TN_TRY(mc_buf_reserve(out, 2 * txs[i].n + 4));
        if (i) out->p[out->n++] = ',';
        out->p[out->n++] = '"';
        mc_hex_encode((char *)out->p + out->n, txs[i].p, txs[i].n);
        out->n += 2 * txs[i].n;
        out->p[out->n++] = '"';
    }
    return mc_buf_append(out, "]}", 2);
}

int tn_txs_binary(mc_buf *out, const mc_buf *txs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t len[4];
        mc_put_u32be(len, (uint32_t)txs[i].n);
        TN_TRY(mc_buf_append(out, len, 4));
        TN_TRY(mc_buf_append(out, txs[i].p, txs[i].n));
    }
    return MC_OK;
}

uint64_t tn_nonce(void)
{
    static uint64_t last;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t t = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    last = t > last ? t : last + 1;
    return last;
}

long tn_post_txs(mc_http *h, const char *wait, const mc_buf *txs, size_t n, mc_buf *resp)
{
    mc_buf req;
    mc_buf_init(&req, 64u << 20);
    int rc = tn_txs_json(&req, txs, n);
    char path[64];
    snprintf(path, sizeof path, "/v1/tx?wait=%s", wait);
    long st = 0;
    if (!rc) rc = mc_http_request(h, "POST", path, req.p, req.n, &st, resp);
    mc_buf_free(&req);
    return rc ? -rc : st;
}

int tn_run(char *const argv[], mc_buf *out)
{
    int pipefd[2];
    if (pipe(pipefd)) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc) {
        close(pipefd[0]);
        return -1;
    }
    char buf[4096];
    ssize_t r;
    int full = 0;
    while ((r = read(pipefd[0], buf, sizeof buf)) > 0)
        if (out && !full) full = mc_buf_append(out, buf, (size_t)r) != MC_OK;
    close(pipefd[0]);
    if (out && mc_buf_cstr(out) != MC_OK) full = 1;
    (void)full; /* output past the cap is dropped; the exit status still counts */
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tn_verify(tn_chain *c, mc_buf *out)
{
    char *argv[] = {(char *)c->medchain, "verify", "--data-dir", c->data, NULL};
    return tn_run(argv, out);
}

int tn_tx_committed(mc_http *h, const mc_hash *id)
{
    char path[128], hex[65];
    mc_hex_encode(hex, id->b, 32);
    snprintf(path, sizeof path, "/v1/tx/%s", hex);
    mc_buf resp;
    mc_buf_init(&resp, 1u << 20);
    long st = 0;
    int ok = mc_http_request(h, "GET", path, NULL, 0, &st, &resp) == MC_OK && st == 200 &&
             strstr((char *)resp.p, "\"result\":\"OK\"") != NULL;
    mc_buf_free(&resp);
    return ok;
}

int tn_share_genesis(tn_chain *const *cs, unsigned n)
{
    return tn_share_genesis_orgs(cs, n, NULL);
}

int tn_share_genesis_orgs(tn_chain *const *cs, unsigned n, const unsigned *orgs)
{
    char path[400];
    mc_buf gb;
    if (n == 0 || n > MC_MAX_VALIDATORS) return MC_EINVAL;
    mc_genesis *g = calloc(1, sizeof *g);
    if (!g) return MC_ENOMEM;
    snprintf(path, sizeof path, "%s/genesis.bin", cs[0]->dir);
    mc_buf_init(&gb, 1u << 20);
    int rc = mc_file_read(path, &gb);
    if (!rc) rc = mc_genesis_decode(g, gb.p, gb.n);
    if (!rc) {
        g->nvalidators = n;
        for (unsigned i = 0; i < n; i++) {
            if (orgs && orgs[i] >= g->norgs) rc = MC_EINVAL;
            g->validators[i].org = orgs ? orgs[i] : 0;
            mc_sign_sk_to_pk(&g->validators[i].sign_pk, &cs[i]->node.sign_sk);
            mc_box_sk_to_pk(&g->validators[i].box_pk, &cs[i]->node.box_sk);
        }
        mc_buf_reset(&gb);
        if (!rc) rc = mc_genesis_encode(&gb, g);
    }
    for (unsigned i = 0; i < n && !rc; i++) {
        mc_genesis_chain_id(&cs[i]->chain, gb.p, gb.n);
        snprintf(path, sizeof path, "%s/genesis.bin", cs[i]->dir);
        rc = mc_file_write_atomic(path, gb.p, gb.n, 0600);
    }
    mc_buf_free(&gb);
    free(g);
    return rc;
}
