/* etcdtest: real etcd members on free 127.0.0.1 ports, killed by pid. */
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

#include "etcdtest.h"
#include "testnet.h"
#include "medchain/net.h"
#include "medchain/util.h"

extern char **environ;

/* Every member this process started, and every cluster directory it made, so that they are
 * killed and removed at exit even after a failed test. */
static pid_t et_live[64];
static char et_dirs[8][256];

static void et_rmtree(const char *dir)
{
    pid_t pid;
    char *argv[] = {"rm", "-rf", (char *)dir, NULL};
    if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) == 0) waitpid(pid, NULL, 0);
}

static void et_live_cleanup(void)
{
    for (int i = 0; i < 64; i++)
        if (et_live[i] > 0) {
            kill(et_live[i], SIGKILL);
            waitpid(et_live[i], NULL, 0);
            et_live[i] = 0;
        }
    for (int i = 0; i < 8; i++)
        if (et_dirs[i][0]) {
            et_rmtree(et_dirs[i]);
            et_dirs[i][0] = 0;
        }
}

static void et_register(void)
{
    static int registered;
    if (!registered) registered = atexit(et_live_cleanup) == 0;
}

/* Records (@p add) or forgets a cluster directory for the exit cleanup. */
static void et_dir_set(const char *dir, int add)
{
    et_register();
    for (int i = 0; i < 8; i++)
        if (add ? !et_dirs[i][0] : strcmp(et_dirs[i], dir) == 0) {
            if (add)
                snprintf(et_dirs[i], sizeof et_dirs[i], "%s", dir);
            else
                et_dirs[i][0] = 0;
            return;
        }
}

static void et_live_set(pid_t old, pid_t pid)
{
    et_register();
    for (int i = 0; i < 64; i++)
        if (et_live[i] == old) {
            et_live[i] = pid;
            return;
        }
}

const char *et_binary(void)
{
    const char *b = getenv("ETCD_BIN");
    if (!b || !*b) b = "/usr/bin/etcd";
    return access(b, X_OK) == 0 ? b : NULL;
}

static void et_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int et_restart(et_cluster *c, unsigned i)
{
    const char *bin = et_binary();
    if (!bin || i >= c->n) return MC_EUNAVAIL;
    char name[16], data[320], log[320], lc[64], pu[64], initial[ET_MAX_MEMBERS * 64], token[64];
    snprintf(name, sizeof name, "m%u", i);
    snprintf(data, sizeof data, "%s/%s.etcd", c->dir, name);
    snprintf(log, sizeof log, "%s/%s.log", c->dir, name);
    snprintf(lc, sizeof lc, "%s://127.0.0.1:%u", c->tls ? "https" : "http", c->client_port[i]);
    snprintf(pu, sizeof pu, "http://127.0.0.1:%u", c->peer_port[i]);
    snprintf(token, sizeof token, "medchain-test-%d", (int)getpid());
    size_t off = 0;
    for (unsigned k = 0; k < c->n; k++)
        off += (size_t)snprintf(initial + off, sizeof initial - off, "%sm%u=http://127.0.0.1:%u",
                                k ? "," : "", k, c->peer_port[k]);
    char *argv[] = {(char *)bin, "--name",
                    name,        "--data-dir",
                    data,        "--listen-client-urls",
                    lc,          "--advertise-client-urls",
                    lc,          "--listen-peer-urls",
                    pu,          "--initial-advertise-peer-urls",
                    pu,          "--initial-cluster",
                    initial,     "--initial-cluster-state",
                    "new",       "--initial-cluster-token",
                    token,       "--heartbeat-interval",
                    "100",       "--election-timeout",
                    "1000",      "--logger",
                    "zap",       "--log-level",
                    "warn",      NULL,
                    NULL,        NULL,
                    NULL,        NULL,
                    NULL,        NULL,
                    NULL,        NULL};
    if (c->tls) {
        size_t a = 0;
        while (argv[a]) a++;
        argv[a++] = "--cert-file";
        argv[a++] = c->srv_cert;
        argv[a++] = "--key-file";
        argv[a++] = c->srv_key;
        argv[a++] = "--client-cert-auth";
        argv[a++] = "--trusted-ca-file";
        argv[a++] = c->ca;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return MC_EIO;
    c->pid[i] = pid;
    et_live_set(0, pid);
    return MC_OK;
}

int et_wait_healthy(et_cluster *c, unsigned i, int ms)
{
    mc_http *h;
    if (mc_http_new(&h, c->url[i], 1u << 20)) return MC_ENOMEM;
    mc_http_set_timeout(h, 1000);
    if (c->tls) {
        mc_http_set_ca(h, c->ca);
        mc_http_set_client_cert(h, c->cert, c->key);
    }
    mc_buf resp;
    mc_buf_init(&resp, 1u << 20);
    int rc = MC_ETIMEDOUT;
    for (int waited = 0; waited < ms; waited += 100) {
        long st = 0;
        /* a linearizable read: answered only with a quorum and a leader */
        if (mc_http_request(h, "POST", "/v3/kv/range", "{\"key\":\"AA==\"}", 14, &st, &resp) == MC_OK &&
            st == 200) {
            rc = MC_OK;
            break;
        }
        et_sleep_ms(100);
    }
    mc_buf_free(&resp);
    mc_http_free(h);
    return rc;
}

static int et_run(char *const argv[])
{
    pid_t pid;
    int st;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc || waitpid(pid, &st, 0) != pid) return MC_EIO;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? MC_OK : MC_EIO;
}

/* A key and a certificate signed by the CA in @p dir, with @p ext (a v3 extension line). */
static int et_issue(const char *dir, const char *name, const char *cn, const char *ext, char *cert, char *key)
{
    char csr[320], extf[320], subj[64], cak[320];
    snprintf(key, 300, "%s/%s.key", dir, name);
    snprintf(cert, 300, "%s/%s.pem", dir, name);
    snprintf(csr, sizeof csr, "%s/%s.csr", dir, name);
    snprintf(extf, sizeof extf, "%s/%s.ext", dir, name);
    snprintf(cak, sizeof cak, "%s/ca.key", dir);
    snprintf(subj, sizeof subj, "/CN=%s", cn);
    int rc = mc_file_write_atomic(extf, ext, strlen(ext), 0600);
    char *req[] = {"openssl", "req",     "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                   "-nodes",  "-keyout", key,    "-out",    csr,  "-subj",    subj,
                   NULL};
    char cap[320];
    snprintf(cap, sizeof cap, "%s/ca.pem", dir);
    char *sign[] = {"openssl",         "x509", "-req", "-in",   csr, "-CA",      cap,  "-CAkey", cak,
                    "-CAcreateserial", "-out", cert,   "-days", "2", "-extfile", extf, NULL};
    if (!rc) rc = et_run(req);
    if (!rc) rc = et_run(sign);
    return rc;
}

static int et_start_mode(et_cluster *c, unsigned n, int tls);

int et_start_tls(et_cluster *c, unsigned n)
{
    return et_start_mode(c, n, 1);
}

int et_start(et_cluster *c, unsigned n)
{
    return et_start_mode(c, n, 0);
}

static int et_make_certs(et_cluster *c)
{
    char cak[320];
    snprintf(c->ca, sizeof c->ca, "%s/ca.pem", c->dir);
    snprintf(cak, sizeof cak, "%s/ca.key", c->dir);
    char *ca[] = {"openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "ec",
                  "-pkeyopt",
                  "ec_paramgen_curve:P-256",
                  "-nodes",
                  "-keyout",
                  cak,
                  "-out",
                  c->ca,
                  "-days",
                  "2",
                  "-subj",
                  "/CN=medchain-test-etcd-ca",
                  NULL};
    int rc = et_run(ca);
    if (!rc)
        rc = et_issue(c->dir, "member", "127.0.0.1",
                      "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n", c->srv_cert,
                      c->srv_key);
    if (!rc)
        rc = et_issue(c->dir, "client", "medchain-node", "extendedKeyUsage=clientAuth\n", c->cert, c->key);
    return rc;
}

static int et_start_mode(et_cluster *c, unsigned n, int tls)
{
    memset(c, 0, sizeof *c);
    c->tls = tls;
    if (n == 0 || n > ET_MAX_MEMBERS) return MC_EINVAL;
    if (!et_binary()) {
        fprintf(stderr,
                "etcdtest: etcd is not installed (/usr/bin/etcd, Debian's etcd-server): run scripts/setup\n");
        return MC_EUNAVAIL;
    }
    int rc = mc_net_init();
    if (rc) return rc;
    const char *tmp = getenv("TMPDIR");
    snprintf(c->dir, sizeof c->dir, "%s/medchain-etcd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(c->dir)) return MC_EIO;
    et_dir_set(c->dir, 1);
    c->n = n;
    if (c->tls && (rc = et_make_certs(c))) {
        fprintf(stderr, "etcdtest: openssl could not make the test certificates\n");
        return rc;
    }
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        c->client_port[i] = tn_free_port();
        c->peer_port[i] = tn_free_port();
        if (!c->client_port[i] || !c->peer_port[i] || c->client_port[i] == c->peer_port[i]) return MC_EIO;
        snprintf(c->url[i], sizeof c->url[i], "%s://127.0.0.1:%u", c->tls ? "https" : "http",
                 c->client_port[i]);
        off +=
            (size_t)snprintf(c->endpoints + off, sizeof c->endpoints - off, "%s%s", i ? "," : "", c->url[i]);
    }
    for (unsigned i = 0; i < n; i++)
        if ((rc = et_restart(c, i))) return rc;
    for (unsigned i = 0; i < n; i++)
        if ((rc = et_wait_healthy(c, i, 30000))) {
            fprintf(stderr, "etcdtest: member %u did not become healthy (see %s/m%u.log)\n", i, c->dir, i);
            return rc;
        }
    return MC_OK;
}

void et_kill(et_cluster *c, unsigned i)
{
    if (i >= c->n || c->pid[i] <= 0) return;
    kill(c->pid[i], SIGKILL);
    waitpid(c->pid[i], NULL, 0);
    et_live_set(c->pid[i], 0);
    c->pid[i] = 0;
}

int et_call(et_cluster *c, const char *path, const char *json, char *resp, size_t cap)
{
    int rc = MC_EUNAVAIL;
    for (unsigned i = 0; i < c->n && rc; i++) {
        if (c->pid[i] <= 0) continue;
        mc_http *h;
        char p[128];
        if (mc_http_new(&h, c->url[i], 1u << 20)) return MC_ENOMEM;
        mc_http_set_timeout(h, 5000);
        if (c->tls) {
            mc_http_set_ca(h, c->ca);
            mc_http_set_client_cert(h, c->cert, c->key);
        }
        mc_buf b;
        mc_buf_init(&b, 1u << 20);
        long st = 0;
        snprintf(p, sizeof p, "/v3/%s", path);
        rc = mc_http_request(h, "POST", p, json, strlen(json), &st, &b);
        if (!rc && st != 200) rc = MC_EUNAVAIL;
        if (resp && cap) snprintf(resp, cap, "%s", b.n ? (char *)b.p : "");
        mc_buf_free(&b);
        mc_http_free(h);
    }
    return rc;
}

void et_destroy(et_cluster *c)
{
    for (unsigned i = 0; i < c->n; i++) et_kill(c, i);
    if (c->dir[0]) {
        et_rmtree(c->dir);
        et_dir_set(c->dir, 0);
    }
    memset(c, 0, sizeof *c);
}
