/* Internal to the cli module: the medchain command's shared pieces. */
#ifndef MEDCHAIN_CLI_H
#define MEDCHAIN_CLI_H

#include <jansson.h>

#include "medchain/chain.h"
#include "medchain/crypto.h"
#include "medchain/envelope.h"
#include "medchain/net.h"

/* Options most commands share. */
typedef struct {
    const char *node;            /* base URL (--node, $MEDCHAIN_NODE, http://127.0.0.1:7700) */
    const char *key;             /* --key: key file to sign with */
    const char *passphrase_file; /* --passphrase-file (else $MEDCHAIN_PASSPHRASE) */
    const char *ca;              /* --ca: PEM certificate to trust for https (else $MEDCHAIN_CA) */
    int json;                    /* --json: print raw JSON */
} mc_cli_common;

/* A connection to a node, signing as the loaded key (when there is one). */
typedef struct {
    mc_http *http;
    mc_keys keys;
    int have_keys;
    mc_hash chain;
    char chain_name[MC_MAX_NAME + 1];
    mc_buf resp;
    const char *ca; /* the PEM CA trusted for https (borrowed), for other nodes too */
} mc_cli_conn;

/* Prints "medchain: <message>" to stderr; returns 1 (the exit code for failures). */
int mc_cli_fail(const char *fmt, ...) MC_PRINTF(1, 2);

/* Loads a key file with the passphrase from the common options. */
int mc_cli_load_keys(const char *path, const char *passphrase_file, mc_keys *keys);
/* Writes a key file and its public companion (path.pub). */
int mc_cli_write_keys(const char *path, const mc_keys *keys, const char *passphrase, int kdf_level);

/* A public key file ("path.pub" written by keygen). */
typedef struct {
    uint8_t kind;
    mc_id id;
    mc_sign_pk sign_pk;
    mc_box_pk box_pk;
} mc_cli_pub;
int mc_cli_read_pub(const char *path, mc_cli_pub *pub);

/* Opens a connection: learns the chain id from /v1/status, loads the key if given. */
int mc_cli_connect(mc_cli_conn *c, const mc_cli_common *o, int need_key);
void mc_cli_close(mc_cli_conn *c);
/* A request; on success *out is the parsed JSON body (caller decrefs), *status the HTTP status. */
int mc_cli_call(mc_cli_conn *c, const char *method, const char *path, const char *body, long *status,
                json_t **out);
/* Signs a transaction of @p kind with the connection's key, submits it and waits until it is
 * committed. Prints one line about the outcome (with the full transaction id) unless @p mode is
 * MC_CLI_QUIET, or the node's JSON answer if it is MC_CLI_JSON. Returns 0 when it was applied OK. */
#define MC_CLI_QUIET 1
#define MC_CLI_JSON  2
int mc_cli_submit(mc_cli_conn *c, uint16_t kind, const mc_buf *body, const char *what, int mode,
                  mc_hash *id_out);
/* The same, signed with @p sk instead of the connection's key (the signer id stays the key's). */
int mc_cli_submit_as(mc_cli_conn *c, const mc_sign_sk *sk, uint16_t kind, const mc_buf *body,
                     const char *what, int mode, mc_hash *id_out);
/* A nonce for the next transaction of this process: wall-clock microseconds, strictly rising. */
uint64_t mc_cli_nonce(void);
/* Parses --node/--key/--passphrase-file/--ca/--json at argv[*i]; returns 1 if it consumed it. */
int mc_cli_common_opt(mc_cli_common *o, int argc, char **argv, int *i);
/* Prints JSON indented. */
void mc_cli_print_json(json_t *j);
/* Parses a 64-hex-digit id. */
int mc_cli_parse_id(const char *s, uint8_t out[32]);

/* Exit code of a usage error or bad input, found before anything is sent: prints
 * "medchain: <message>" and returns 2. */
#define MC_CLI_USAGE 2
int mc_cli_usage(const char *fmt, ...) MC_PRINTF(1, 2);
/* Exit code of a read or decision the policy denied (medchain access, medchain decide). */
#define MC_CLI_DENIED 3

/* One option of a command: a value (--x V), a flag (--x), or a repeatable value (--x V ...). */
typedef struct {
    const char *name;
    const char **val;
    int *flag;
    const char **list;
    unsigned *nlist;
    unsigned cap;
} mc_cli_opt;
/* Parses argv[first..] into the common options, @p opts and at most @p npos positional
 * arguments (set in order). Returns 0, or MC_CLI_USAGE after naming what it could not use. */
int mc_cli_args(int argc, char **argv, int first, mc_cli_common *o, const mc_cli_opt *opts, const char **pos,
                unsigned npos);
/* Parses an id option, naming it in the error. Returns 0 or MC_CLI_USAGE. */
int mc_cli_id_arg(const char *opt, const char *s, uint8_t out[32]);
/* A time: Unix milliseconds, or ISO 8601 UTC (2026-11-24T10:00:00Z, optional .mmm). 0 or -1. */
int mc_cli_parse_time(const char *s, uint64_t *ms);
/* Formats Unix milliseconds as ISO 8601 UTC into @p out (at least 32 bytes). */
void mc_cli_format_time(char out[32], uint64_t ms);
/* Comma lists of purposes (TREAT,HOPERAT; any case) and actions (read,read_meta) as bit sets.
 * Return 0, or MC_CLI_USAGE after naming the unknown name. */
int mc_cli_parse_purposes(const char *s, uint32_t *bits);
int mc_cli_parse_actions(const char *s, uint8_t *bits);
/* Exactly one purpose / action. Return 0 or MC_CLI_USAGE. */
int mc_cli_parse_purpose(const char *s, uint32_t *bit);
int mc_cli_parse_action(const char *s, uint8_t *bit);

/* GETs @p path (signed). On HTTP 200 *out is the JSON (caller decrefs) and 0 is returned;
 * otherwise the node's error is printed and 1 returned. */
int mc_cli_get(mc_cli_conn *c, const char *path, json_t **out);
/* The 32-byte member @p field ("org", "box_pk") of identity @p id as the chain holds it
 * (GET /v1/identities/{id}). Returns 0, or 1 after saying why. */
int mc_cli_identity_hex(mc_cli_conn *c, const uint8_t id[32], const char *field, uint8_t out[32]);
/* The key-release key org @p org published (org.gatekeeper). Returns 0, or 1 after saying why. */
int mc_cli_release_pk(mc_cli_conn *c, const mc_id *org, mc_box_pk *pk);
/* Prints the node's error answer ("<what>: HTTP 403 EDENIED: <message>") and returns 1. */
int mc_cli_api_fail(const char *what, long status, json_t *j);
/* A string member of @p j, or "-" when absent. */
const char *mc_cli_str(json_t *j, const char *key);

/* Prints one record (the API's JSON shape) as a line. */
void mc_cli_print_record(json_t *r);
/* A list route (@p base, e.g. "/v1/patients/<pid>/consents", with @p param "purpose=TREAT" or
 * NULL) page after page following "next", or one page of at most @p limit: *all is the first
 * answer with every page's @p member items appended (caller decrefs). Returns 0 or 1. */
int mc_cli_list(mc_cli_conn *c, const char *base, const char *param, const char *member, const char *limit,
                json_t **all);
/* Prints a patient's records (@p pid lower-case hex; @p purpose a name or NULL; every page, or
 * one of at most @p limit). Returns 0 or 1. */
int mc_cli_show_records(mc_cli_conn *c, const char *pid, const char *purpose, const char *limit, int json);

/* Hashes the file @p path into @p b (record.anchor): cipher_hash its SHA-256, size its length and
 * commitment tagged "medchain/commitment" over salt | bytes, with 32 fresh random bytes of salt
 * written to @p salt. Returns 0, or MC_CLI_USAGE when the file cannot be read. */
int mc_cli_hash_file(const char *path, mc_body_anchor *b, uint8_t salt[32]);

/* A grant's or deny's arguments as the command line gives them (NULL: not given). */
typedef struct {
    const char *patient, *to, *org, *where, *cats, *records, *purpose, *actions, *from, *until, *days;
} mc_cli_consent_args;
/* A grant's or deny's body from the arguments; the patient defaults to @p self (the signer).
 * Returns 0, or MC_CLI_USAGE after naming what it could not use. */
int mc_cli_consent_body(mc_body_consent *b, const mc_cli_consent_args *a, const mc_id *self, int deny);

/* A logged read of record @p rid for @p purpose and @p action (POST mc_access_target(), empty
 * body, signed by the connection's key). Prints the decision and where it was logged, each line
 * after @p indent, or (@p json) the node's answer. Returns 0 permitted, MC_CLI_DENIED refused,
 * 1 when no decision was made or the read was not logged OK. With @p status / @p out, the HTTP
 * status and the node's answer (caller decrefs; NULL when there is none). */
int mc_cli_access(mc_cli_conn *c, const mc_hash *rid, uint32_t purpose, uint8_t action, int json,
                  const char *indent, long *status, json_t **out);

/* Encrypted records (vault.c, keyring.c, fromjson.c, cmd_record_get.c): the client's side of
 * the gatekeeper. Decryption and every secret stay on this machine. */
#define MC_CLI_MAX_CIPHER ((size_t)64 << 20) /* one record's ciphertext or plaintext */
/* Fetches transaction @p id (GET /v1/tx/{id}) and checks it is what it claims; its body into
 * @p body. Returns 0 or 1 after saying why. */
int mc_cli_fetch_tx(mc_cli_conn *c, const mc_hash *id, uint16_t kind, mc_buf *body);
/* Record @p rid's anchor body, from its anchor transaction (wrapped keys, tokens); with
 * @p record, the node's JSON of the record too (caller decrefs). Returns 0 or 1. */
int mc_cli_fetch_anchor(mc_cli_conn *c, const mc_hash *rid, mc_body_anchor *a, json_t **record);
/* Submits @p n transactions (the binary form in @p txs) in one request and waits until they are
 * committed; *nok counts those applied OK. Returns 0 when all were, else 1 after saying why. */
int mc_cli_submit_many(mc_cli_conn *c, const mc_buf *txs, size_t n, const char *what, size_t *nok);
/* Uploads ciphertexts (POST /v1/contents, frames record id | u32 length | bytes). 0 or 1. */
int mc_cli_put_contents(mc_cli_conn *c, const mc_buf *frames, size_t n, const char *what);
/* The patient's search key: the caller's own (it is the patient) or one a grant to the caller
 * carries. Returns 0 or 1 after saying why. */
int mc_cli_search_key(mc_cli_conn *c, const mc_id *patient, uint8_t key[32]);
/* A wrapped data key of @p a's record for the caller: from the anchor, or re-wrapped in a
 * grant to the caller. Returns 0 or 1 after saying why. */
int mc_cli_wrapped_key(mc_cli_conn *c, const mc_body_anchor *a, mc_wrapped_key *out);
/* The purpose of a read when none is given: PATRQT for a patient's key, else TREAT. */
int mc_cli_default_purpose(const mc_cli_conn *c);
/* Fetches (logged), checks and decrypts record @p rid for @p purpose (0: the default) into
 * @p plain; its anchor into @p a. Returns 0, MC_CLI_DENIED, or 1 after saying why. */
int mc_cli_record_plain(mc_cli_conn *c, const mc_hash *rid, uint32_t purpose, mc_buf *plain,
                        mc_body_anchor *a);
/* The data keys a grant carries for its grantee (grant_keys.c): re-wrapped for the records in
 * its scope when it gives read, and the patient's search key when @p share_search. Only the
 * patient can. Returns 0, MC_CLI_USAGE or 1. */
int mc_cli_grant_keys(mc_cli_conn *c, mc_body_consent *b, int share_search);
/* What every record of one ingest shares: the patient, the custodian, the recipients of the
 * data keys (the patient, the custodian org, the author) and the patient's search key. */
typedef struct {
    mc_id patient, custodian;
    mc_env_recipient rcpt[3];
    size_t nrcpt;
    int tokens;
    uint8_t search_key[32];
    int has_supersedes; /* an amendment: the bundle's one resource is the new version of ... */
    mc_hash supersedes; /* ... this record (of the same patient, category and authoring org) */
} mc_cli_ingest;
/* Fills @p in's recipients (the patient's and custodian's box keys from the chain, the caller's
 * own) and, with @p tokens, the patient's search key; the custodian defaults to the caller's org
 * unless @p have_custodian. @p in->patient must be set. Returns 0 or 1 after saying why. */
int mc_cli_ingest_setup(mc_cli_conn *c, mc_cli_ingest *in, int have_custodian, int tokens);
/* The patient's records carrying @p term (a code, a word, or kind:value), found by tokens made
 * here under the patient's search key: *all is {"records":[...]} (caller decrefs). 0 or 1. */
int mc_cli_search(mc_cli_conn *c, const mc_id *patient, const char *term, json_t **all);
/* Seals every resource of the FHIR Bundle @p p, anchors them in one request and uploads their
 * ciphertexts in another; with @p manifest, one {index, record, type, category} per resource.
 * Returns 0, MC_CLI_USAGE (not a Bundle) or 1. */
int mc_cli_ingest_bundle(mc_cli_conn *c, const mc_cli_ingest *in, const uint8_t *p, size_t n,
                         json_t *manifest, size_t *count);
/* The API's JSON back into the ledger's values (fromjson.c), for the FHIR exports. 0 or 1. */
int mc_cli_record_from(json_t *j, mc_record *r);
int mc_cli_consent_from(mc_cli_conn *c, json_t *j, mc_consent *out);
int mc_cli_access_from(json_t *j, mc_access *a);
int mc_cli_record_get(int argc, char **argv);

/* Whole-chart reads (reads.c): one record's outcome, handed to an mc_cli_read_fn. */
#define MC_CLI_READ_FAILED    9  /* served, but it would not check or decrypt here; or no answer */
#define MC_CLI_READ_UNCHECKED 10 /* served by a custodian, but the own node gave nothing to check it by */
typedef struct {
    mc_hash record;
    uint8_t status;  /* enum mc_read_status, or MC_CLI_READ_FAILED */
    uint16_t reason; /* the decision's reason (SERVED, DENIED) */
    mc_id custodian;
    mc_id patient; /* SERVED: */
    char category[MC_MAX_CATEGORY + 1];
    uint64_t time_ms;
    const mc_buf *plain; /* SERVED: the checked plaintext, valid during the call */
    mc_hash log_tx;      /* the access.reads that logged it (zero if not logged) */
} mc_cli_read;
/* Called for each record read; nonzero stops the reading (and is returned). */
typedef int (*mc_cli_read_fn)(void *arg, const mc_cli_read *r);
typedef struct {
    size_t served, denied, unknown, no_content, failed;
} mc_cli_read_counts;
/* Reads records @p ids (any order and custodians; duplicates once) for @p purpose (0: the
 * default) through each custodian's gatekeeper, at most MC_MAX_READS a request, and decrypts
 * each here; @p fn gets every outcome. Returns 0 when every request was answered (whatever the
 * outcomes: see @p counts), else 1 after saying why. */
int mc_cli_read_records(mc_cli_conn *c, const mc_hash *ids, size_t n, uint32_t purpose, mc_cli_read_fn fn,
                        void *arg, mc_cli_read_counts *counts);
/* Reads records @p ids as FHIR resources (each plaintext a JSON object) and appends them to
 * @p out in @p ids order; every record not read is named on stderr (the first 20) and counted in
 * @p nmissing. Returns 0 when every request was answered, else 1 after saying why. */
int mc_cli_read_resources(mc_cli_conn *c, const mc_hash *ids, size_t n, uint32_t purpose, json_t *out,
                          size_t *nmissing);
/* The reason name of a read that was not served, for messages ("DENY_DEFAULT", "not uploaded"). */
const char *mc_cli_read_why(const mc_cli_read *r);
/* `medchain dev`: prints step @p n of the scenario; the encrypted-record steps (cmd_dev_records.c)
 * from @p first, with the cardiologist's connection @p pc and the patient's @p patc. */
void mc_dev_step(int n, const char *what);
int mc_dev_records(mc_cli_conn *pc, mc_cli_conn *patc, const char *dir, int first);

/* Commands. Each returns the process exit code. */
int mc_cmd_keygen(int argc, char **argv);
int mc_cmd_init(int argc, char **argv);
int mc_cmd_dev(int argc, char **argv);
int mc_cmd_status(int argc, char **argv);
int mc_cmd_block(int argc, char **argv);
int mc_cmd_tx(int argc, char **argv);
int mc_cmd_identity(int argc, char **argv);
int mc_cmd_org(int argc, char **argv);
int mc_cmd_verify(int argc, char **argv);
int mc_cmd_proof(int argc, char **argv);
int mc_cmd_patient(int argc, char **argv);
int mc_cmd_record(int argc, char **argv);
int mc_cmd_grant(int argc, char **argv);
int mc_cmd_deny(int argc, char **argv);
int mc_cmd_revoke(int argc, char **argv);
int mc_cmd_delegate(int argc, char **argv);
int mc_cmd_emergency(int argc, char **argv);
int mc_cmd_access(int argc, char **argv);
int mc_cmd_access_log(int argc, char **argv);
int mc_cmd_decide(int argc, char **argv);
int mc_cmd_events(int argc, char **argv);
int mc_cmd_ingest(int argc, char **argv);
int mc_cmd_search(int argc, char **argv);
int mc_cmd_export(int argc, char **argv);
int mc_cmd_deid(int argc, char **argv);

#endif
