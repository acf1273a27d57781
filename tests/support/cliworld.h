/*
 * A world driven through the real `medchain` CLI, for integration tests and benchmarks: key
 * files in a directory of the chain's temporary directory, identities made with `keygen` and
 * enrolled with `identity register`. Every function returns 0 on success (a command's exit status
 * otherwise, or -1); the caller asserts.
 */
#ifndef MEDCHAIN_CLIWORLD_H
#define MEDCHAIN_CLIWORLD_H

#include <stddef.h>

#include "testnet.h"

typedef struct {
    tn_chain *c;
    char keys[400]; /* the key files' directory */
    int quiet;      /* do not echo commands and their output to stderr */
} cw_world;

/* Makes the key directory and points the CLI at the node (MEDCHAIN_NODE, MEDCHAIN_PASSPHRASE). */
int cw_open(cw_world *w, tn_chain *c);
/* Runs `medchain ARGS...` (NULL-terminated), stdout and stderr into @p out (echoed unless quiet);
 * returns the exit status. */
int cw_cli(cw_world *w, mc_buf *out, ...);
/* The same with an argument vector of @p nargs (argv[0] is set here). */
int cw_cliv(cw_world *w, mc_buf *out, char **args, int nargs);
/* The key file path of identity @p name. */
const char *cw_key(const cw_world *w, const char *name, char *path, size_t cap);
/* The id in NAME.key.pub, as hex. */
int cw_pub_id(const cw_world *w, const char *name, char hex[65]);
/* A fresh key of @p kind made by `medchain keygen` (fast test KDF); its id into @p hex. */
int cw_keygen(cw_world *w, mc_buf *out, const char *name, const char *kind, char hex[65]);
/* An org's key file, written from keys testnet made for the genesis. */
int cw_org_key(cw_world *w, const char *name, const mc_keys *k);
/* `medchain identity register` of NAME.key.pub by org key @p org with @p attrs (or none); a
 * patient (@p cosign) co-signs with their own key. */
int cw_enrol(cw_world *w, mc_buf *out, const char *org, const char *name, const char *attrs, int cosign);

#endif
