/*
 * etcdtest: real etcd members for tests (/usr/bin/etcd from Debian's etcd-server): one member
 * or a cluster on free 127.0.0.1 ports, each in its own directory under a temporary directory,
 * killed by pid (at the latest at exit) and restartable on the same data. Plain C; functions
 * return MC_OK or an MC_E* code.
 */
#ifndef MEDCHAIN_ETCDTEST_H
#define MEDCHAIN_ETCDTEST_H

#include <sys/types.h>

#define ET_MAX_MEMBERS 5

typedef struct {
    char dir[256];
    unsigned n;
    pid_t pid[ET_MAX_MEMBERS];
    unsigned client_port[ET_MAX_MEMBERS];
    unsigned peer_port[ET_MAX_MEMBERS];
    char url[ET_MAX_MEMBERS][64];        /* client URL of each member */
    char endpoints[ET_MAX_MEMBERS * 64]; /* all client URLs, comma-separated */
    int tls;                             /* https with client certificates (et_start_tls) */
    char ca[300], cert[300], key[300];   /* PEM: the CA, a client certificate and its key */
    char srv_cert[300], srv_key[300];    /* the members' certificate (IP 127.0.0.1) and key */
} et_cluster;

/* The etcd binary (ETCD_BIN in the environment, else /usr/bin/etcd); NULL if not installed. */
const char *et_binary(void);
/* Starts an @p n-member cluster and waits until it has a leader (up to 30 s). */
int et_start(et_cluster *c, unsigned n);
/* As et_start, over https only: a fresh CA, the members' certificate, a client certificate
 * (openssl), and --client-cert-auth: a client without a certificate from the CA is refused. */
int et_start_tls(et_cluster *c, unsigned n);
/* SIGKILLs member @p i and reaps it. */
void et_kill(et_cluster *c, unsigned i);
/* Restarts member @p i on its data (does not wait for it). */
int et_restart(et_cluster *c, unsigned i);
/* Waits until member @p i answers reads through the quorum (up to @p ms). */
int et_wait_healthy(et_cluster *c, unsigned i, int ms);
/* POSTs @p json to /v3/<path> on the first live member; the answer into @p resp (may be NULL). */
int et_call(et_cluster *c, const char *path, const char *json, char *resp, size_t cap);
/* Kills every member and removes the directory. */
void et_destroy(et_cluster *c);

#endif
