/* medchaind: the medchain node. A thin main over libmedchain's node module. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medchain/crypto.h"
#include "medchain/node.h"

static void usage(FILE *f)
{
    fputs("usage: medchaind [options]\n"
          "\n"
          "Runs a medchain node: orders, executes and stores the chain, serves the HTTP API.\n"
          "\n"
          "  -c, --config FILE          read settings from FILE (key = value lines)\n"
          "  -d, --data-dir DIR         store and orderer log (default ./medchain-data)\n"
          "  -g, --genesis FILE         genesis config made by `medchain init`\n"
          "  -k, --key FILE             this validator's key file\n"
          "  -p, --passphrase-file FILE passphrase of the key file (else $MEDCHAIN_PASSPHRASE)\n"
          "  -l, --listen HOST:PORT     API address (default 127.0.0.1:7700; port 0 picks one)\n"
          "      --release-key FILE     the key-release key file (default DATA/release.key, made on first "
          "start)\n"
          "      --public-url URL       where other hospitals reach this gatekeeper (default http://LISTEN)\n"
          "      --port-file FILE       write the bound port to FILE once listening\n"
          "      --log-level LEVEL      debug, info, warn or error (default info)\n"
          "  -s, --set KEY=VALUE        any config key (see docs/operations.md)\n"
          "  -h, --help                 this text\n"
          "  -V, --version              the version\n"
          "\n"
          "Flags override the config file. SIGTERM or SIGINT stops the node gracefully.\n",
          f);
}

static int set_or_die(mc_node_config *cfg, const char *k, const char *v)
{
    int rc = mc_node_config_set(cfg, k, v);
    if (rc)
        fprintf(stderr, "medchaind: %s '%s'\n", rc == MC_ENOTFOUND ? "unknown setting" : "bad value for", k);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"data-dir", required_argument, 0, 'd'},
                                         {"genesis", required_argument, 0, 'g'},
                                         {"key", required_argument, 0, 'k'},
                                         {"passphrase-file", required_argument, 0, 'p'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"port-file", required_argument, 0, 'P'},
                                         {"release-key", required_argument, 0, 'R'},
                                         {"public-url", required_argument, 0, 'U'},
                                         {"log-level", required_argument, 0, 'L'},
                                         {"set", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {"version", no_argument, 0, 'V'},
                                         {0, 0, 0, 0}};
    mc_node_config cfg;
    mc_node_config_defaults(&cfg);
    char err[512];
    /* the config file first, so that flags override it whatever their order */
    for (int i = 1; i < argc - 1; i++)
        if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
            if (mc_node_config_load(&cfg, argv[i + 1], err, sizeof err)) {
                fprintf(stderr, "medchaind: %s\n", err);
                return 2;
            }
        }
    int c;
    while ((c = getopt_long(argc, argv, "c:d:g:k:p:l:s:hV", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'c': break;
        case 'd': rc = set_or_die(&cfg, "data_dir", optarg); break;
        case 'g': rc = set_or_die(&cfg, "genesis", optarg); break;
        case 'k': rc = set_or_die(&cfg, "node_key", optarg); break;
        case 'p': rc = set_or_die(&cfg, "passphrase_file", optarg); break;
        case 'R': rc = set_or_die(&cfg, "release_key", optarg); break;
        case 'U': rc = set_or_die(&cfg, "public_url", optarg); break;
        case 'l': rc = set_or_die(&cfg, "listen", optarg); break;
        case 'P': rc = set_or_die(&cfg, "port_file", optarg); break;
        case 'L': rc = set_or_die(&cfg, "log_level", optarg); break;
        case 's': {
            char kv[2048];
            snprintf(kv, sizeof kv, "%s", optarg);
            char *eq = strchr(kv, '=');
            if (!eq) {
                fprintf(stderr, "medchaind: --set takes KEY=VALUE\n");
                return 2;
            }
            *eq = 0;
            rc = set_or_die(&cfg, kv, eq + 1);
            break;
        }
        case 'h': usage(stdout); return 0;
        case 'V': puts("medchaind 0.1.0"); return 0;
        default: usage(stderr); return 2;
        }
        if (rc) return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "medchaind: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!cfg.genesis[0] || !cfg.node_key[0]) {
        fprintf(stderr, "medchaind: --genesis and --key are required (see --help)\n");
        return 2;
    }
    mc_log_set_level(cfg.log_level);
    if (mc_crypto_init()) {
        fprintf(stderr, "medchaind: libsodium failed to initialise\n");
        return 1;
    }
    /* signals are taken by sigwait below, never by the node's threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    mc_node *node;
    if (mc_node_start(&node, &cfg, err, sizeof err)) {
        fprintf(stderr, "medchaind: %s\n", err);
        return 1;
    }
    int sig = 0;
    sigwait(&set, &sig);
    mc_log(MC_LOG_INFO, "node", "signal %d received", sig);
    mc_node_stop(node);
    return 0;
}
