/* medchain: the command-line client. A thin main over the cli module's commands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"keygen", mc_cmd_keygen, "make a passphrase-protected key file (and FILE.pub)"},
    {"init", mc_cmd_init, "write a genesis (consortium) config"},
    {"dev", mc_cmd_dev, "a fresh single-node chain with a short real scenario"},
    {"status", mc_cmd_status, "a node's chain, height and health"},
    {"block", mc_cmd_block, "one block and its transactions"},
    {"tx", mc_cmd_tx, "one transaction, its block and result"},
    {"identity", mc_cmd_identity, "register, rotate, revoke or show an identity"},
    {"org", mc_cmd_org, "propose or approve a new member org and its validator node"},
    {"verify", mc_cmd_verify, "re-check a node's whole chain from genesis, offline"},
    {"proof", mc_cmd_proof, "verify a transaction's proof against a certified header, trusting only genesis"},
    {"patient", mc_cmd_patient, "a patient's records, consents, delegates or access history"},
    {"record", mc_cmd_record, "anchor (encrypted), get (decrypted), list or show records"},
    {"ingest", mc_cmd_ingest, "encrypt and anchor a FHIR Bundle, one record per resource"},
    {"search", mc_cmd_search, "find a patient's records by code or word (encrypted search)"},
    {"export", mc_cmd_export, "a patient's records, consents and access log as a FHIR Bundle"},
    {"deid", mc_cmd_deid, "a de-identified research release of opted-in patients"},
    {"grant", mc_cmd_grant, "grant access to a patient's records (patient or delegate)"},
    {"deny", mc_cmd_deny, "deny access explicitly (beats any grant)"},
    {"revoke", mc_cmd_revoke, "end a grant or deny"},
    {"delegate", mc_cmd_delegate, "name or remove a patient's delegate"},
    {"emergency", mc_cmd_emergency, "break-glass on a patient (providers with emergency=true)"},
    {"access", mc_cmd_access, "read a record through its custodian's node, logged"},
    {"access-log", mc_cmd_access_log, "a patient's access history, or every read (auditors)"},
    {"decide", mc_cmd_decide, "what the policy decides for a read, without reading"},
    {"events", mc_cmd_events, "follow the events the node lets you see"},
};

static void usage(FILE *f)
{
    fputs("usage: medchain COMMAND [options]\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
    fputs("\ncommon options: --node URL (or $MEDCHAIN_NODE), --key FILE, --passphrase-file FILE\n"
          "(or $MEDCHAIN_PASSPHRASE), --ca FILE (or $MEDCHAIN_CA) to trust a node's https certificate.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts("medchain 0.1.0");
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    if (mc_crypto_init()) {
        fputs("medchain: libsodium failed to initialise\n", stderr);
        return 1;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "medchain: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
