/* A world driven through the real medchain CLI (cliworld.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliworld.h"

int cw_open(cw_world *w, tn_chain *c)
{
    w->c = c;
    snprintf(w->keys, sizeof w->keys, "%.255s/keys", c->dir);
    if (mc_dir_make(w->keys)) return -1;
    setenv("MEDCHAIN_NODE", c->url, 1);
    setenv("MEDCHAIN_PASSPHRASE", "test-passphrase", 1);
    return 0;
}

int cw_cliv(cw_world *w, mc_buf *out, char **args, int nargs)
{
    char **argv = calloc((size_t)nargs + 2, sizeof *argv);
    if (!argv) return -1;
    int n = 0;
    argv[n++] = (char *)w->c->medchain;
    for (int i = 0; i < nargs; i++) argv[n++] = args[i];
    argv[n] = NULL;
    mc_buf_reset(out);
    int rc = tn_run(argv, out);
    if (!w->quiet) {
        fprintf(stderr, "$ medchain");
        for (int i = 1; i < n && i < 64; i++) fprintf(stderr, " %.20s", argv[i]);
        fprintf(stderr, "  -> %d\n%s", rc, out->n ? (char *)out->p : "");
    }
    free(argv);
    return rc;
}

int cw_cli(cw_world *w, mc_buf *out, ...)
{
    char *args[63];
    int n = 0;
    va_list ap;
    va_start(ap, out);
    for (char *a; n < 62 && (a = va_arg(ap, char *));) args[n++] = a;
    va_end(ap);
    return cw_cliv(w, out, args, n);
}

const char *cw_key(const cw_world *w, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s.key", w->keys, name);
    return path;
}

int cw_pub_id(const cw_world *w, const char *name, char hex[65])
{
    char path[500];
    mc_buf b;
    snprintf(path, sizeof path, "%s/%s.key.pub", w->keys, name);
    mc_buf_init(&b, 4096);
    int rc = mc_file_read(path, &b) || mc_buf_cstr(&b) ? -1 : 0;
    const char *p = rc ? NULL : strstr((char *)b.p, "\nid ");
    if (p && strlen(p) >= 68) {
        memcpy(hex, p + 4, 64);
        hex[64] = 0;
    } else {
        rc = -1;
    }
    mc_buf_free(&b);
    return rc;
}

int cw_keygen(cw_world *w, mc_buf *out, const char *name, const char *kind, char hex[65])
{
    char path[500];
    int rc = cw_cli(w, out, "keygen", "--out", cw_key(w, name, path, sizeof path), "--kind", kind, "--kdf",
                    "test", NULL);
    return rc ? rc : cw_pub_id(w, name, hex);
}

int cw_org_key(cw_world *w, const char *name, const mc_keys *k)
{
    char path[500];
    return mc_keyfile_write(cw_key(w, name, path, sizeof path), k, "test-passphrase", MC_KDF_TEST) ? -1 : 0;
}

int cw_enrol(cw_world *w, mc_buf *out, const char *org, const char *name, const char *attrs, int cosign)
{
    char k[500], self[500], pub[500];
    snprintf(pub, sizeof pub, "%s/%s.key.pub", w->keys, name);
    cw_key(w, org, k, sizeof k);
    cw_key(w, name, self, sizeof self);
    int rc = attrs ? cw_cli(w, out, "identity", "register", "--key", k, "--pub", pub, "--attrs", attrs, NULL)
             : cosign
                 ? cw_cli(w, out, "identity", "register", "--key", k, "--pub", pub, "--cosign", self, NULL)
                 : cw_cli(w, out, "identity", "register", "--key", k, "--pub", pub, NULL);
    if (rc) return rc;
    return out->n && strstr((char *)out->p, "register: committed, OK") ? 0 : -1;
}
