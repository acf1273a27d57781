/* Integration-test harness: real medchaind processes in temporary directories. */
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

#include "harness.h"

extern char **environ;

static void it_keys(mc_keys *k, int kind)
{
    mc_sign_pk pk;
    mc_id id;
    memset(k, 0, sizeof *k);
    k->kind = (uint8_t)kind;
    mc_sign_keypair(&pk, &k->sign_sk);
    mc_id_from_pk(&id, &pk);
    memcpy(k->id.b, id.b, 32);
    mc_box_pk bpk;
    mc_box_keypair(&bpk, &k->box_sk);
}

static void it_write(const char *path, const void *p, size_t n)
{
    assert_int_equal(mc_file_write_atomic(path, p, n, 0600), MC_OK);
}

void it_chain_create(it_chain *c, unsigned nclients)
{
    memset(c, 0, sizeof *c);
    assert_int_equal(mc_crypto_init(), MC_OK);
    assert_int_equal(mc_net_init(), MC_OK);
    const char *tmp = getenv("TMPDIR");
    snprintf(c->dir, sizeof c->dir, "%s/medchain-it-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->data, sizeof c->data, "%s/data", c->dir);
    it_keys(&c->org, MC_ID_ORG);
    it_keys(&c->node, MC_ID_NODE);
    assert_true(nclients <= IT_MAX_CLIENTS);
    c->nclients = nclients;
    mc_genesis *g = calloc(1, sizeof *g);
    assert_non_null(g);
    snprintf(g->name, sizeof g->name, "medchain-it");
    g->time_ms = mc_time_now_ms();
    g->norgs = 1 + nclients;
    g->threshold = 1;
    for (unsigned i = 0; i < g->norgs; i++) {
        mc_keys *k = i == 0 ? &c->org : &c->clients[i - 1];
        if (i) it_keys(k, MC_ID_ORG);
        snprintf(g->orgs[i].name, sizeof g->orgs[i].name, "Hospital %u", i);
        snprintf(g->orgs[i].type, sizeof g->orgs[i].type, "hospital");
        mc_sign_sk_to_pk(&g->orgs[i].sign_pk, &k->sign_sk);
        mc_box_sk_to_pk(&g->orgs[i].box_pk, &k->box_sk);
    }
    g->nvalidators = 1;
    mc_sign_sk_to_pk(&g->validators[0].sign_pk, &c->node.sign_sk);
    mc_box_sk_to_pk(&g->validators[0].box_pk, &c->node.box_sk);
    mc_buf gb;
    mc_buf_init(&gb, 1u << 20);
    assert_int_equal(mc_genesis_encode(&gb, g), MC_OK);
    mc_genesis_chain_id(&c->chain, gb.p, gb.n);
    char path[400], conf[2048];
    snprintf(path, sizeof path, "%s/genesis.bin", c->dir);
    it_write(path, gb.p, gb.n);
    mc_buf_free(&gb);
    free(g);
    snprintf(path, sizeof path, "%s/passphrase", c->dir);
    it_write(path, "it-passphrase", 13);
    snprintf(path, sizeof path, "%s/node.key", c->dir);
    assert_int_equal(mc_keyfile_write(path, &c->node, "it-passphrase", MC_KDF_TEST), MC_OK);
    int n = snprintf(conf, sizeof conf,
                     "data_dir = %s\ngenesis = %s/genesis.bin\nnode_key = %s/node.key\n"
                     "passphrase_file = %s/passphrase\nlisten = 127.0.0.1:0\nport_file = %s/port\nlog_level = warn\n",
                     c->data, c->dir, c->dir, c->dir, c->dir);
    snprintf(path, sizeof path, "%s/medchaind.conf", c->dir);
    it_write(path, conf, (size_t)n);
}

void it_node_start(it_chain *c, const char *const *settings)
{
    char conf[400], portf[400], log[400];
    snprintf(conf, sizeof conf, "%s/medchaind.conf", c->dir);
    snprintf(portf, sizeof portf, "%s/port", c->dir);
    snprintf(log, sizeof log, "%s/medchaind.log", c->dir);
    unlink(portf);
    char *argv[64];
    int a = 0;
    argv[a++] = MEDCHAIND_PATH;
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
    assert_int_equal(posix_spawn(&c->pid, MEDCHAIND_PATH, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 400; i++) {
        mc_buf b;
        mc_buf_init(&b, 32);
        int ok = mc_file_read(portf, &b) == MC_OK && mc_buf_cstr(&b) == MC_OK && atoi((char *)b.p) > 0;
        if (ok) c->port = (unsigned)atoi((char *)b.p);
        mc_buf_free(&b);
        if (ok) break;
        int st;
        if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
            c->pid = 0;
            fail_msg("medchaind exited during start-up (see %s)", log);
        }
        struct timespec ts = {0, 25000000};
        nanosleep(&ts, NULL);
    }
    assert_true(c->port > 0);
    snprintf(c->url, sizeof c->url, "http://127.0.0.1:%u", c->port);
}

int it_node_kill(it_chain *c, int sig)
{
    int st = 0;
    if (!c->pid) return -1;
    kill(c->pid, sig);
    waitpid(c->pid, &st, 0);
    c->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void it_chain_destroy(it_chain *c)
{
    if (c->pid) it_node_kill(c, SIGKILL);
    char *argv[] = {"rm", "-rf", c->dir, NULL};
    it_run(argv, NULL);
}

mc_http *it_client(it_chain *c, const mc_keys *keys)
{
    mc_http *h;
    assert_int_equal(mc_http_new(&h, c->url, 0), MC_OK);
    mc_http_set_timeout(h, 120000);
    if (keys) {
        mc_http_signer s = {.chain = c->chain, .sk = &keys->sign_sk};
        memcpy(s.id.b, keys->id.b, 32);
        mc_http_set_signer(h, &s);
    }
    return h;
}

void it_build_register(it_chain *c, const mc_keys *org, uint64_t nonce, mc_buf *tx, mc_hash *id)
{
    mc_body_register b;
    mc_sign_sk sk;
    memset(&b, 0, sizeof b);
    b.kind = MC_ID_PROVIDER;
    memcpy(b.org.b, org->id.b, 32);
    mc_sign_keypair(&b.sign_pk, &sk);
    mc_box_keypair(&b.box_pk, &(mc_box_sk){{0}});
    assert_int_equal(mc_attrs_parse(&b.attrs, "role=physician"), MC_OK);
    mc_buf body;
    mc_buf_init(&body, 4096);
    assert_int_equal(mc_body_register_encode(&body, &b), MC_OK);
    mc_id signer;
    memcpy(signer.b, org->id.b, 32);
    assert_int_equal(mc_tx_build(tx, id, &c->chain, &signer, nonce, MC_TX_IDENTITY_REGISTER, body.p, body.n,
                                 &org->sign_sk), MC_OK);
    mc_buf_free(&body);
}

long it_post_txs(mc_http *h, const char *wait, const mc_buf *txs, size_t n, mc_buf *resp)
{
    mc_buf req;
    mc_buf_init(&req, 64u << 20);
    assert_int_equal(mc_buf_append(&req, "{\"txs\":[", 8), MC_OK);
    for (size_t i = 0; i < n; i++) {
        char *hex = malloc(2 * txs[i].n + 1);
        mc_hex_encode(hex, txs[i].p, txs[i].n);
        assert_int_equal(mc_buf_printf(&req, "%s\"%s\"", i ? "," : "", hex), MC_OK);
        free(hex);
    }
    assert_int_equal(mc_buf_append(&req, "]}", 2), MC_OK);
    char path[64];
    snprintf(path, sizeof path, "/v1/tx?wait=%s", wait);
    long st = 0;
    int rc = mc_http_request(h, "POST", path, req.p, req.n, &st, resp);
    mc_buf_free(&req);
    return rc ? -rc : st;
}

int it_run(char *const argv[], mc_buf *out)
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

int it_verify(it_chain *c, mc_buf *out)
{
    char *argv[] = {MEDCHAIN_CLI_PATH, "verify", "--data-dir", c->data, NULL};
    return it_run(argv, out);
}

int it_tx_committed(mc_http *h, const mc_hash *id)
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
