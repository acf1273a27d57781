/* medchain keygen, medchain init. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int mc_kdf_parse(const char *s)
{
    if (!strcmp(s, "test")) return MC_KDF_TEST;
    if (!strcmp(s, "interactive")) return MC_KDF_INTERACTIVE;
    if (!strcmp(s, "moderate")) return MC_KDF_MODERATE;
    return -1;
}

int mc_cmd_keygen(int argc, char **argv)
{
    const char *out = NULL, *kind = "provider", *pf = NULL;
    int kdf = MC_KDF_MODERATE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--kind") && i + 1 < argc)
            kind = argv[++i];
        else if (!strcmp(argv[i], "--passphrase-file") && i + 1 < argc)
            pf = argv[++i];
        else if (!strcmp(argv[i], "--kdf") && i + 1 < argc) {
            if ((kdf = mc_kdf_parse(argv[++i])) < 0)
                return mc_cli_fail("--kdf is test, interactive or moderate");
        } else
            return mc_cli_fail("usage: medchain keygen --out FILE [--kind "
                               "org|provider|patient|auditor|researcher|node|release] "
                               "[--kdf moderate|interactive|test] [--passphrase-file F]");
    }
    if (!out) return mc_cli_fail("keygen needs --out FILE");
    mc_keys k;
    memset(&k, 0, sizeof k);
    int release = !strcmp(kind, "release"); /* a node's key-release key, not an identity */
    if (!release && !(k.kind = (uint8_t)mc_identity_kind_parse(kind)))
        return mc_cli_fail("unknown identity kind '%s'", kind);
    char pass[1024];
    if (mc_passphrase_load(pf, pass, sizeof pass) || !pass[0])
        return mc_cli_fail(
            "a passphrase is needed to protect the key (--passphrase-file or MEDCHAIN_PASSPHRASE)");
    mc_id id;
    if (release) {
        mc_env_release_keys_new(&k);
    } else {
        mc_sign_pk spk;
        mc_box_pk bpk;
        mc_sign_keypair(&spk, &k.sign_sk);
        mc_box_keypair(&bpk, &k.box_sk);
        mc_id_from_pk(&id, &spk);
        memcpy(k.id.b, id.b, 32);
    }
    memcpy(id.b, k.id.b, 32);
    int rc = mc_cli_write_keys(out, &k, pass, kdf);
    mc_wipe(pass, sizeof pass);
    mc_wipe(&k, sizeof k);
    if (rc) return rc;
    char hex[65];
    mc_hex_encode(hex, id.b, 32);
    printf("%s key written to %s (public part in %s.pub)\nid %s\n", kind, out, out, hex);
    return 0;
}

/* --org NAME:TYPE:PUBFILE and --validator ORGINDEX:PUBFILE */
static int mc_split3(char *s, char **a, char **b, char **c)
{
    *a = s;
    if (!(*b = strchr(s, ':'))) return -1;
    *(*b)++ = 0;
    if (!c) return 0;
    if (!(*c = strchr(*b, ':'))) return -1;
    *(*c)++ = 0;
    return 0;
}

int mc_cmd_init(int argc, char **argv)
{
    mc_genesis *g = calloc(1, sizeof *g);
    const char *out = NULL;
    int rc = 1;
    if (!g) return mc_cli_fail("out of memory");
    snprintf(g->name, sizeof g->name, "medchain");
    g->time_ms = mc_time_now_ms();
    g->threshold = 0;
    for (int i = 1; i < argc; i++) {
        char *a, *b, *c;
        mc_cli_pub pub;
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--chain") && i + 1 < argc)
            snprintf(g->name, sizeof g->name, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--threshold") && i + 1 < argc)
            g->threshold = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--time-ms") && i + 1 < argc)
            g->time_ms = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--org") && i + 1 < argc) {
            if (g->norgs == MC_MAX_ORGS || mc_split3(argv[++i], &a, &b, &c)) {
                mc_cli_fail("--org takes NAME:TYPE:PUBFILE");
                goto out;
            }
            if (mc_cli_read_pub(c, &pub)) goto out;
            if (pub.kind != MC_ID_ORG) {
                mc_cli_fail("%s is not an org key", c);
                goto out;
            }
            mc_genesis_org *o = &g->orgs[g->norgs++];
            snprintf(o->name, sizeof o->name, "%s", a);
            snprintf(o->type, sizeof o->type, "%s", b);
            o->sign_pk = pub.sign_pk;
            o->box_pk = pub.box_pk;
        } else if (!strcmp(argv[i], "--validator") && i + 1 < argc) {
            if (g->nvalidators == MC_MAX_VALIDATORS || mc_split3(argv[++i], &a, &b, NULL)) {
                mc_cli_fail("--validator takes ORGNUMBER:PUBFILE (orgs numbered from 1 in --org order)");
                goto out;
            }
            if (mc_cli_read_pub(b, &pub)) goto out;
            if (pub.kind != MC_ID_NODE) {
                mc_cli_fail("%s is not a node key", b);
                goto out;
            }
            mc_genesis_validator *v = &g->validators[g->nvalidators++];
            v->org = (uint32_t)strtoul(a, NULL, 10) - 1;
            v->sign_pk = pub.sign_pk;
            v->box_pk = pub.box_pk;
        } else {
            mc_cli_fail("usage: medchain init --out FILE --chain NAME --org NAME:TYPE:ORG.pub ... "
                        "--validator ORGNUMBER:NODE.pub ... [--threshold K] [--time-ms MS]");
            goto out;
        }
    }
    if (!g->threshold) g->threshold = g->norgs / 2 + 1;
    if (!out) {
        mc_cli_fail("init needs --out FILE");
        goto out;
    }
    mc_buf b;
    mc_buf_init(&b, 1u << 20);
    int erc = mc_genesis_encode(&b, g);
    if (erc) {
        mc_cli_fail("invalid consortium config: %s (need at least one org and one validator, a threshold "
                    "from 1 to the number of orgs, distinct keys, names without commas)",
                    mc_strerror(erc));
    } else if (mc_file_write_atomic(out, b.p, b.n, 0644)) {
        mc_cli_fail("cannot write %s", out);
    } else {
        mc_hash chain;
        char hex[65];
        mc_genesis_chain_id(&chain, b.p, b.n);
        mc_hex_encode(hex, chain.b, 32);
        printf("genesis for chain '%s' written to %s: %u orgs, %u validators, threshold %u\nchain id %s\n",
               g->name, out, g->norgs, g->nvalidators, g->threshold, hex);
        rc = 0;
    }
    mc_buf_free(&b);
out:
    free(g);
    return rc;
}
