/* medchain status | block H | tx ID: read the chain through a node. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* GETs @p path and prints the JSON; signed when a key is given. */
static int mc_get_print(int argc, char **argv, int need_key, const char *fmt, int want_arg)
{
    mc_cli_common o = {0};
    const char *arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (mc_cli_common_opt(&o, argc, argv, &i)) continue;
        if (!arg && argv[i][0] != '-')
            arg = argv[i];
        else
            return mc_cli_fail("unknown option %s", argv[i]);
    }
    if (want_arg && !arg) return mc_cli_fail("usage: medchain %s --key KEY ARG", argv[0]);
    char path[256];
    snprintf(path, sizeof path, fmt, arg ? arg : "");
    mc_cli_conn c;
    long st = 0;
    json_t *j = NULL;
    int rc = mc_cli_connect(&c, &o, need_key) || mc_cli_call(&c, "GET", path, NULL, &st, &j);
    if (!rc) mc_cli_print_json(j);
    json_decref(j);
    mc_cli_close(&c);
    return rc || st != 200;
}

int mc_cmd_status(int argc, char **argv)
{
    return mc_get_print(argc, argv, 0, "/v1/status%s", 0);
}
int mc_cmd_block(int argc, char **argv)
{
    return mc_get_print(argc, argv, 1, "/v1/blocks/%.20s", 1);
}
int mc_cmd_tx(int argc, char **argv)
{
    return mc_get_print(argc, argv, 1, "/v1/tx/%.64s", 1);
}
