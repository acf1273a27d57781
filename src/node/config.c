/* medchaind configuration: defaults, "key = value" files, and the same keys as flags. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/chain.h"
#include "medchain/node.h"

void mc_node_config_defaults(mc_node_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "./medchain-data");
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:7700");
    snprintf(c->orderer, sizeof c->orderer, "solo");
    c->etcd_retain_blocks = 10000;
    c->batch_max_txs = 4096;
    c->batch_linger_ms = 0;
    c->batch_max_inflight = 2;
    c->mempool_max = 200000;
    c->mempool_max_mb = 512;
    c->max_body_bytes = 8u << 20;
    c->max_content = 16u << 20;
    c->max_connections = 512;
    c->max_txs_per_request = 4096;
    c->clock_skew_ms = 30000;
    c->wait_timeout_ms = 30000;
    c->access_rate = 20;
    c->access_burst = 100;
    c->read_rate = 2000;
    c->time_beacon_ms = 30000;
    c->read_burst = 8192;
    c->log_level = MC_LOG_INFO;
    c->map_size_mb = 0; /* the store's default (64 GiB) */
}

static int mc_set_str(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap) return MC_EINVAL;
    memcpy(dst, v, strlen(v) + 1);
    return MC_OK;
}

static int mc_set_uint(unsigned *dst, const char *v, unsigned lo, unsigned hi)
{
    uint64_t x;
    if (mc_parse_u64(v, &x) || x < lo || x > hi) return MC_EINVAL;
    *dst = (unsigned)x;
    return MC_OK;
}

int mc_node_config_set(mc_node_config *c, const char *k, const char *v)
{
    unsigned tmp;
    int rc;
    if (!strcmp(k, "data_dir")) return mc_set_str(c->data_dir, sizeof c->data_dir, v);
    if (!strcmp(k, "genesis")) return mc_set_str(c->genesis, sizeof c->genesis, v);
    if (!strcmp(k, "node_key")) return mc_set_str(c->node_key, sizeof c->node_key, v);
    if (!strcmp(k, "passphrase_file")) return mc_set_str(c->passphrase_file, sizeof c->passphrase_file, v);
    if (!strcmp(k, "release_key")) return mc_set_str(c->release_key, sizeof c->release_key, v);
    if (!strcmp(k, "release_keys_retired"))
        return mc_set_str(c->release_keys_retired, sizeof c->release_keys_retired, v);
    if (!strcmp(k, "public_url")) return mc_set_str(c->public_url, sizeof c->public_url, v);
    if (!strcmp(k, "listen")) return strchr(v, ':') ? mc_set_str(c->listen, sizeof c->listen, v) : MC_EINVAL;
    if (!strcmp(k, "tls_cert")) return mc_set_str(c->tls_cert, sizeof c->tls_cert, v);
    if (!strcmp(k, "tls_key")) return mc_set_str(c->tls_key, sizeof c->tls_key, v);
    if (!strcmp(k, "port_file")) return mc_set_str(c->port_file, sizeof c->port_file, v);
    if (!strcmp(k, "orderer"))
        return strcmp(v, "solo") && strcmp(v, "etcd") ? MC_EINVAL
                                                      : mc_set_str(c->orderer, sizeof c->orderer, v);
    if (!strcmp(k, "etcd_endpoints")) return mc_set_str(c->etcd_endpoints, sizeof c->etcd_endpoints, v);
    if (!strcmp(k, "etcd_prefix")) {
        size_t n = strlen(v);
        return n && v[n - 1] == '/' ? mc_set_str(c->etcd_prefix, sizeof c->etcd_prefix, v) : MC_EINVAL;
    }
    if (!strcmp(k, "etcd_ca")) return mc_set_str(c->etcd_ca, sizeof c->etcd_ca, v);
    if (!strcmp(k, "etcd_cert")) return mc_set_str(c->etcd_cert, sizeof c->etcd_cert, v);
    if (!strcmp(k, "etcd_key")) return mc_set_str(c->etcd_key, sizeof c->etcd_key, v);
    if (!strcmp(k, "etcd_timeout_ms")) return mc_set_uint(&c->etcd_timeout_ms, v, 100, 600000);
    if (!strcmp(k, "etcd_max_batch_bytes")) {
        if ((rc = mc_set_uint(&tmp, v, 65536, 32u << 20))) return rc;
        c->etcd_max_batch_bytes = tmp;
        return MC_OK;
    }
    if (!strcmp(k, "etcd_retain_blocks")) return mc_set_uint(&c->etcd_retain_blocks, v, 0, 1u << 30);
    if (!strcmp(k, "peers")) return mc_set_str(c->peers, sizeof c->peers, v);
    if (!strcmp(k, "peer_ca")) return mc_set_str(c->peer_ca, sizeof c->peer_ca, v);
    if (!strcmp(k, "batch_max_txs")) return mc_set_uint(&c->batch_max_txs, v, 1, 8192);
    if (!strcmp(k, "batch_linger_ms")) return mc_set_uint(&c->batch_linger_ms, v, 0, 1000);
    if (!strcmp(k, "batch_max_inflight")) return mc_set_uint(&c->batch_max_inflight, v, 1, 64);
    if (!strcmp(k, "mempool_max")) return mc_set_uint(&c->mempool_max, v, 1, 10000000);
    if (!strcmp(k, "mempool_max_mb")) return mc_set_uint(&c->mempool_max_mb, v, 1, 1u << 20);
    if (!strcmp(k, "max_connections")) return mc_set_uint(&c->max_connections, v, 1, 100000);
    if (!strcmp(k, "max_txs_per_request")) return mc_set_uint(&c->max_txs_per_request, v, 1, 8192);
    if (!strcmp(k, "clock_skew_ms")) return mc_set_uint(&c->clock_skew_ms, v, 1000, 3600000);
    if (!strcmp(k, "wait_timeout_ms")) return mc_set_uint(&c->wait_timeout_ms, v, 1, 300000);
    if (!strcmp(k, "access_rate")) return mc_set_uint(&c->access_rate, v, 1, 100000);
    if (!strcmp(k, "access_burst")) return mc_set_uint(&c->access_burst, v, 1, 1000000);
    if (!strcmp(k, "time_beacon_ms")) { /* 0 (never), or at least a second: never a busy loop */
        int bad = mc_set_uint(&c->time_beacon_ms, v, 0, 86400000);
        return bad || c->time_beacon_ms == 0 || c->time_beacon_ms >= 1000 ? bad : MC_EINVAL;
    }
    if (!strcmp(k, "read_rate")) return mc_set_uint(&c->read_rate, v, 1, 1000000);
    if (!strcmp(k, "read_burst")) return mc_set_uint(&c->read_burst, v, MC_MAX_READS, 10000000);
    if (!strcmp(k, "verify_threads")) return mc_set_uint(&c->verify_threads, v, 0, 64);
    if (!strcmp(k, "map_size_mb")) return mc_set_uint(&c->map_size_mb, v, 16, 1u << 24);
    if (!strcmp(k, "max_body_bytes")) {
        if ((rc = mc_set_uint(&tmp, v, 1024, 1u << 30))) return rc;
        c->max_body_bytes = tmp;
        return MC_OK;
    }
    if (!strcmp(k, "max_content")) {
        if ((rc = mc_set_uint(&tmp, v, 1024, 1u << 30))) return rc;
        c->max_content = tmp;
        return MC_OK;
    }
    if (!strcmp(k, "log_level")) {
        int l = mc_log_parse_level(v);
        if (l < 0) return MC_EINVAL;
        c->log_level = l;
        return MC_OK;
    }
    return MC_ENOTFOUND;
}

static char *mc_trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

int mc_node_config_load(mc_node_config *c, const char *path, char *err, size_t nerr)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, nerr, "cannot open config file %s", path);
        return errno == ENOENT ? MC_ENOTFOUND : MC_EIO;
    }
    char line[2048];
    int lineno = 0, rc = MC_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = mc_trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, nerr, "%s:%d: expected key = value", path, lineno);
            rc = MC_EINVAL;
            break;
        }
        *eq = 0;
        char *k = mc_trim(s), *v = mc_trim(eq + 1);
        rc = mc_node_config_set(c, k, v);
        if (rc) {
            snprintf(err, nerr, "%s:%d: %s '%s'", path, lineno,
                     rc == MC_ENOTFOUND ? "unknown key" : "bad value for", k);
            rc = MC_EINVAL;
            break;
        }
    }
    fclose(f);
    return rc;
}
