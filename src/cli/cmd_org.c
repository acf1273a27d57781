/*
 * medchain org propose | approve: a member org proposes a new member org (and its validator
 * node); it is admitted once the genesis threshold of member orgs approved (the proposer
 * counts). The new org's and node's public key files come from `medchain keygen`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int mc_org_propose(mc_cli_conn *c, const char *name, const char *type, const char *pub,
                          const char *node_pub)
{
    mc_body_org_propose b;
    mc_cli_pub org, node;
    memset(&b, 0, sizeof b);
    if (strlen(name) > MC_MAX_ATTR_VAL || strlen(type) > MC_MAX_ATTR_VAL)
        return mc_cli_usage("--name and --type take at most %u bytes", MC_MAX_ATTR_VAL);
    snprintf(b.name, sizeof b.name, "%s", name);
    snprintf(b.type, sizeof b.type, "%s", type);
    if (mc_cli_read_pub(pub, &org)) return mc_cli_usage("%s is not a public key file (keygen's .pub)", pub);
    b.sign_pk = org.sign_pk;
    b.box_pk = org.box_pk;
    if (node_pub) {
        if (mc_cli_read_pub(node_pub, &node))
            return mc_cli_usage("%s is not a public key file (keygen's .pub)", node_pub);
        b.has_node = 1;
        b.node_sign_pk = node.sign_pk;
        b.node_box_pk = node.box_pk;
    }
    mc_buf body;
    mc_buf_init(&body, 1024);
    int rc = mc_body_org_propose_encode(&body, &b);
    if (rc) {
        mc_buf_free(&body);
        return mc_cli_usage(rc == MC_EINVAL
                                ? "invalid --name or --type (no ',' or control bytes), or the node "
                                  "key is the org's own"
                                : "the proposal does not encode");
    }
    mc_hash id;
    rc = mc_cli_submit(c, MC_TX_ORG_PROPOSE, &body, "org.propose", 0, &id);
    mc_buf_free(&body);
    if (rc) return rc;
    char hex[65];
    mc_hex_encode(hex, id.b, 32);
    printf("proposal %s (members approve it with: medchain org approve %s)\n", hex, hex);
    return 0;
}

static int mc_org_approve(mc_cli_conn *c, const char *proposal)
{
    mc_body_org_approve b = {{{0}}};
    if (mc_cli_id_arg("PROPOSAL", proposal, b.proposal.b)) return MC_CLI_USAGE;
    mc_buf body;
    mc_buf_init(&body, 64);
    int rc = mc_body_org_approve_encode(&body, &b)
                 ? 1
                 : mc_cli_submit(c, MC_TX_ORG_APPROVE, &body, "org.approve", 0, NULL);
    mc_buf_free(&body);
    return rc;
}

int mc_cmd_org(int argc, char **argv)
{
    static const char usage[] =
        "usage: medchain org propose --key MEMBER_ORG_KEY --name NAME --type TYPE --pub "
        "NEW_ORG.pub [--node-pub NODE.pub]\n"
        "       medchain org approve --key MEMBER_ORG_KEY PROPOSAL_ID";
    mc_cli_common o = {0};
    const char *sub = argc > 1 ? argv[1] : "", *name = NULL, *type = NULL, *pub = NULL, *node_pub = NULL;
    const char *proposal = NULL;
    const mc_cli_opt opts[] = {{"--name", &name, NULL, NULL, NULL, 0},
                               {"--type", &type, NULL, NULL, NULL, 0},
                               {"--pub", &pub, NULL, NULL, NULL, 0},
                               {"--node-pub", &node_pub, NULL, NULL, NULL, 0},
                               {NULL, NULL, NULL, NULL, NULL, 0}};
    int propose = !strcmp(sub, "propose"), approve = !strcmp(sub, "approve");
    if (!propose && !approve) return mc_cli_usage("%s", usage);
    if (mc_cli_args(argc, argv, 2, &o, opts, &proposal, 1)) return MC_CLI_USAGE;
    if (propose && (!name || !type || !pub || proposal)) return mc_cli_usage("%s", usage);
    if (approve && (!proposal || name || type || pub || node_pub)) return mc_cli_usage("%s", usage);
    mc_cli_conn c;
    if (mc_cli_connect(&c, &o, 1)) return 1;
    int rc = propose ? mc_org_propose(&c, name, type, pub, node_pub) : mc_org_approve(&c, proposal);
    mc_cli_close(&c);
    return rc;
}
