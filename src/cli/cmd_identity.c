/* medchain identity register | rotate | revoke | show */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int mc_identity_register(mc_cli_conn *c, const char *pubfile, const char *attrs, const char *cosign,
                                const char *pf)
{
    mc_cli_pub pub;
    mc_body_register b;
    memset(&b, 0, sizeof b);
    if (mc_cli_read_pub(pubfile, &pub)) return 1;
    b.kind = pub.kind;
    memcpy(b.org.b, c->keys.id.b, 32);
    b.sign_pk = pub.sign_pk;
    b.box_pk = pub.box_pk;
    if (attrs && mc_attrs_parse(&b.attrs, attrs))
        return mc_cli_fail("--attrs must be key=value,... (keys a-z0-9_.-, no commas in values, at most %u)",
                           MC_MAX_ATTRS);
    if (cosign) { /* the new identity's own consent (patients) */
        mc_keys k;
        if (mc_cli_load_keys(cosign, pf, &k)) return 1;
        mc_hash msg;
        if (mc_body_register_cosig_msg(&msg, &c->chain, &b))
            return mc_cli_fail("cannot build the co-signature");
        mc_sign(&b.cosig, msg.b, 32, &k.sign_sk);
        b.has_cosig = 1;
        mc_wipe(&k, sizeof k);
    }
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = mc_body_register_encode(&body, &b)
                 ? mc_cli_fail("cannot encode the registration")
                 : mc_cli_submit(c, MC_TX_IDENTITY_REGISTER, &body, "register", 0, NULL);
    mc_buf_free(&body);
    return rc;
}

/* Rotation: new keys are written beside the key file first (FILE.next), the rotation is
 * submitted, and only once it is committed does FILE.next replace FILE. */
static int mc_identity_rotate(mc_cli_conn *c, const mc_cli_common *o)
{
    char pass[1024], next[1100];
    if (mc_passphrase_load(o->passphrase_file, pass, sizeof pass)) return mc_cli_fail("no passphrase");
    mc_keys k = c->keys;
    mc_sign_pk spk;
    mc_box_pk bpk;
    mc_sign_keypair(&spk, &k.sign_sk);
    mc_box_keypair(&bpk, &k.box_sk);
    snprintf(next, sizeof next, "%s.next", o->key);
    int rc = mc_cli_write_keys(next, &k, pass, MC_KDF_INTERACTIVE);
    mc_wipe(pass, sizeof pass);
    mc_wipe(&k, sizeof k);
    if (rc) return rc;
    mc_body_rotate b;
    memcpy(b.id.b, c->keys.id.b, 32);
    b.sign_pk = spk;
    b.box_pk = bpk;
    mc_buf body;
    mc_buf_init(&body, 256);
    rc = mc_body_rotate_encode(&body, &b) ? 1
                                          : mc_cli_submit(c, MC_TX_IDENTITY_ROTATE, &body, "rotate", 0, NULL);
    mc_buf_free(&body);
    if (rc) return rc;
    char pubn[1200], pubo[1200];
    snprintf(pubn, sizeof pubn, "%s.pub", next);
    snprintf(pubo, sizeof pubo, "%s.pub", o->key);
    if (rename(next, o->key) || rename(pubn, pubo))
        return mc_cli_fail("rotated on the chain, but could not move %s into place: do it by hand", next);
    printf("new keys in %s\n", o->key);
    return 0;
}

static int mc_identity_revoke(mc_cli_conn *c, const char *id, unsigned reason)
{
    mc_body_revoke b = {{{0}}, 0};
    if (mc_cli_parse_id(id, b.id.b)) return mc_cli_fail("--id takes 64 hex digits");
    b.reason = (uint16_t)reason;
    mc_buf body;
    mc_buf_init(&body, 256);
    int rc = mc_body_revoke_encode(&body, &b)
                 ? 1
                 : mc_cli_submit(c, MC_TX_IDENTITY_REVOKE, &body, "revoke", 0, NULL);
    mc_buf_free(&body);
    return rc;
}

int mc_cmd_identity(int argc, char **argv)
{
    mc_cli_common o = {0};
    const char *sub = argc > 1 ? argv[1] : "", *pub = NULL, *attrs = NULL, *cosign = NULL, *id = NULL;
    unsigned reason = 0;
    for (int i = 2; i < argc; i++) {
        if (mc_cli_common_opt(&o, argc, argv, &i)) continue;
        if (!strcmp(argv[i], "--pub") && i + 1 < argc)
            pub = argv[++i];
        else if (!strcmp(argv[i], "--attrs") && i + 1 < argc)
            attrs = argv[++i];
        else if (!strcmp(argv[i], "--cosign") && i + 1 < argc)
            cosign = argv[++i];
        else if (!strcmp(argv[i], "--id") && i + 1 < argc)
            id = argv[++i];
        else if (!strcmp(argv[i], "--reason") && i + 1 < argc)
            reason = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!id && argv[i][0] != '-')
            id = argv[i];
        else
            return mc_cli_fail("unknown option %s", argv[i]);
    }
    mc_cli_conn c;
    int rc;
    if (!strcmp(sub, "register")) {
        if (!pub)
            return mc_cli_fail("usage: medchain identity register --key ORG_KEY --pub NEW.pub [--attrs "
                               "k=v,...] [--cosign NEW_KEY]");
        rc = mc_cli_connect(&c, &o, 1) ? 1 : mc_identity_register(&c, pub, attrs, cosign, o.passphrase_file);
    } else if (!strcmp(sub, "rotate")) {
        rc = mc_cli_connect(&c, &o, 1) ? 1 : mc_identity_rotate(&c, &o);
    } else if (!strcmp(sub, "revoke")) {
        if (!id) return mc_cli_fail("usage: medchain identity revoke --key KEY --id ID [--reason 0-3]");
        rc = mc_cli_connect(&c, &o, 1) ? 1 : mc_identity_revoke(&c, id, reason);
    } else if (!strcmp(sub, "show")) {
        if (!id) return mc_cli_fail("usage: medchain identity show --key KEY ID");
        char path[128];
        snprintf(path, sizeof path, "/v1/identities/%.64s", id);
        long st;
        json_t *j = NULL;
        rc = mc_cli_connect(&c, &o, 1) || mc_cli_call(&c, "GET", path, NULL, &st, &j);
        if (!rc) mc_cli_print_json(j);
        rc = rc || st != 200;
        json_decref(j);
    } else {
        return mc_cli_fail("usage: medchain identity register|rotate|revoke|show ...");
    }
    mc_cli_close(&c);
    return rc;
}
