/*
 * medchain dev: a fresh single-node chain and a short real scenario, in one command.
 * Everything goes through a real medchaind process and its HTTP API; the chain is verified
 * offline at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

static int mc_dev_key(const char *dir, const char *name, int kind, const char *pass, mc_keys *k,
                      mc_cli_pub *pub)
{
    char path[PATH_MAX];
    memset(k, 0, sizeof *k);
    k->kind = (uint8_t)kind;
    mc_sign_keypair(&pub->sign_pk, &k->sign_sk);
    mc_box_keypair(&pub->box_pk, &k->box_sk);
    mc_id_from_pk(&pub->id, &pub->sign_pk);
    memcpy(k->id.b, pub->id.b, 32);
    pub->kind = (uint8_t)kind;
    snprintf(path, sizeof path, "%s/keys/%s.key", dir, name);
    return mc_cli_write_keys(path, k, pass, MC_KDF_INTERACTIVE);
}

static int mc_dev_write(const char *path, const char *text, int mode)
{
    return mc_file_write_atomic(path, text, strlen(text), mode) ? mc_cli_fail("cannot write %s", path) : 0;
}

/* medchaind sits beside medchain. */
static int mc_dev_daemon_path(char *out, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return -1;
    self[len] = 0;
    char *slash = strrchr(self, '/');
    if (!slash) return -1;
    *slash = 0;
    if (snprintf(out, n, "%.4000s/medchaind", self) >= (int)n) return -1;
    return access(out, X_OK);
}

static pid_t mc_dev_spawn(const char *dir, char *url, size_t nurl)
{
    char bin[PATH_MAX], conf[PATH_MAX], log[PATH_MAX], portf[PATH_MAX];
    if (mc_dev_daemon_path(bin, sizeof bin)) {
        mc_cli_fail("medchaind not found beside the medchain binary");
        return -1;
    }
    snprintf(conf, sizeof conf, "%s/medchaind.conf", dir);
    snprintf(log, sizeof log, "%s/medchaind.log", dir);
    snprintf(portf, sizeof portf, "%s/port", dir);
    unlink(portf);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *args[] = {bin, "--config", conf, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        mc_cli_fail("cannot start %s", bin);
        return -1;
    }
    for (int i = 0; i < 300; i++) { /* up to 15 s */
        mc_buf b;
        mc_buf_init(&b, 64);
        int ok = mc_file_read(portf, &b) == MC_OK && mc_buf_cstr(&b) == MC_OK && atoi((char *)b.p) > 0;
        if (ok) snprintf(url, nurl, "http://127.0.0.1:%d", atoi((char *)b.p));
        mc_buf_free(&b);
        if (ok) return pid;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            mc_cli_fail("medchaind exited during start-up; see %s", log);
            return -1;
        }
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    mc_cli_fail("medchaind did not start listening within 15 s; see %s", log);
    return -1;
}

static int mc_dev_stop(pid_t pid)
{
    int st = 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 1;
}

void mc_dev_step(int n, const char *what)
{
    printf("\n[%d] %s\n", n, what);
}

/* A registration body for a key of @p pub enrolled by the connection's org. */
static void mc_dev_reg(mc_body_register *reg, int kind, const mc_cli_conn *org, const mc_cli_pub *pub)
{
    memset(reg, 0, sizeof *reg);
    reg->kind = (uint8_t)kind;
    memcpy(reg->org.b, org->keys.id.b, 32);
    reg->sign_pk = pub->sign_pk;
    reg->box_pk = pub->box_pk;
}

/* Short forms of ids, for the scenario's lines. */
static const char *mc_dev_short(const uint8_t id[32], char out[17])
{
    char hex[65];
    mc_hex_encode(hex, id, 32);
    snprintf(out, 17, "%.16s", hex);
    return out;
}

/* The cardiologist's logged read of @p rid for treatment: expects a permit (HTTP 200) or a
 * refusal (HTTP 403) for @p reason, logged OK; the log's tx id goes to @p log. 0 when it did. */
static int mc_dev_read(mc_cli_conn *pc, const mc_hash *rid, int permit, int reason, char log[65])
{
    long st = 0;
    json_t *j = NULL;
    int rc = mc_cli_access(pc, rid, MC_PURPOSE_TREAT, MC_ACTION_READ, 0, "    ", &st, &j);
    json_t *d = st == 200 ? j : json_object_get(j, "decision");
    const char *got = json_string_value(json_object_get(d, "reason"));
    const char *id = json_string_value(json_object_get(json_object_get(j, "log"), "id"));
    int ok = rc == (permit ? 0 : MC_CLI_DENIED) && st == (permit ? 200 : 403) && got &&
             !strcmp(got, mc_reason_name(reason)) && id && strlen(id) == 64;
    if (ok)
        memcpy(log, id, 65);
    else
        printf("    expected %s %s (HTTP %d), logged OK\n", permit ? "PERMIT" : "DENY",
               mc_reason_name(reason), permit ? 200 : 403);
    json_decref(j);
    return !ok;
}

/* Step 7: the cardiologist anchors a cardiology record held by the hospital; its id in @p rid. */
static int mc_dev_anchor(mc_cli_conn *pc, const char *dir, const mc_id *org, const mc_id *patient,
                         mc_hash *rid)
{
    static const char sample[] = "sample bytes standing for an encrypted cardiology record\n";
    char path[PATH_MAX], s1[17], s2[17];
    uint8_t salt[32];
    snprintf(path, sizeof path, "%s/sample-record.txt", dir);
    mc_body_anchor *b = calloc(1, sizeof *b);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    int rc = !b || mc_dev_write(path, sample, 0600);
    if (!rc) {
        b->patient = *patient;
        b->custodian = *org;
        snprintf(b->category, sizeof b->category, "cardiology");
        b->sensitivity = MC_SENS_NORMAL;
        mc_random(b->record.b, 32);
        *rid = b->record;
        rc = mc_cli_hash_file(path, b, salt) || mc_body_anchor_encode(&body, b) ||
             mc_cli_submit(pc, MC_TX_RECORD_ANCHOR, &body, "    anchor", 0, NULL);
    }
    if (!rc)
        printf("    record %s…, cardiology, custodian the hospital %s…; hash, commitment and size (%llu "
               "bytes) from sample bytes that stay here\n",
               mc_dev_short(b->record.b, s1), mc_dev_short(org->b, s2), (unsigned long long)b->size);
    mc_wipe(salt, sizeof salt);
    mc_buf_free(&body);
    free(b);
    return rc;
}

/* Step 9: the patient denies the hospital every treatment read for a day; the deny's id in @p id. */
static int mc_dev_deny(mc_cli_conn *patc, const mc_id *org, mc_hash *id)
{
    char orghex[65];
    mc_hex_encode(orghex, org->b, 32);
    mc_cli_consent_args a = {.org = orghex, .purpose = "TREAT", .actions = "read", .days = "1"};
    mc_body_consent *b = malloc(sizeof *b);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    mc_id self;
    memcpy(self.b, patc->keys.id.b, 32);
    int rc = !b || mc_cli_consent_body(b, &a, &self, 1) || mc_body_consent_encode(&body, b) ||
             mc_cli_submit(patc, MC_TX_CONSENT_DENY, &body, "    deny", 0, id);
    mc_buf_free(&body);
    free(b);
    return rc;
}

/* Step 11: the patient's access history holds exactly the reads logged in @p logs, in order,
 * by @p reader for treatment, permitted, refused, permitted. */
static int mc_dev_history(mc_cli_conn *patc, const mc_hash *reader, char logs[3][65])
{
    static const char *const want[3] = {"PERMIT_AUTHOR_ORG", "DENY_EXPLICIT", "PERMIT_AUTHOR_ORG"};
    char path[200], hex[65], rhex[65];
    json_t *j = NULL;
    mc_hex_encode(hex, patc->keys.id.b, 32);
    mc_hex_encode(rhex, reader->b, 32);
    snprintf(path, sizeof path, "/v1/patients/%s/access", hex);
    if (mc_cli_get(patc, path, &j)) return 1;
    json_t *items = json_object_get(j, "access");
    int bad = json_array_size(items) != 3;
    for (size_t i = 0; i < json_array_size(items) && i < 3; i++) {
        json_t *a = json_array_get(items, i);
        int permit = json_is_true(json_object_get(a, "permit"));
        const char *reason = mc_cli_str(a, "reason"), *who = mc_cli_str(a, "reader");
        printf("    %s %-17s by %.16s…%s for %s %s of record %.16s…, log %.16s… block %lld\n",
               permit ? "PERMIT" : "DENY  ", reason, who, strcmp(who, rhex) ? "" : " (the cardiologist)",
               mc_cli_str(a, "purpose"), mc_cli_str(a, "action"), mc_cli_str(a, "record"),
               mc_cli_str(a, "log_tx"), (long long)json_integer_value(json_object_get(a, "height")));
        bad |= permit != (i != 1) || strcmp(reason, want[i]) || strcmp(who, rhex) ||
               strcmp(mc_cli_str(a, "purpose"), "TREAT") || strcmp(mc_cli_str(a, "log_tx"), logs[i]);
    }
    if (bad) printf("    expected the three reads above, in order: permitted, refused, permitted\n");
    json_decref(j);
    return bad;
}

/* Steps 7 to 15: a record, its reads, the patient's deny and its revocation, then encrypted records. @p pc is
 * the cardiologist's connection (signing with the rotated key); @p o the common options whose key file is @p
 * keyf. */
static int mc_dev_consent(mc_cli_conn *org, mc_cli_conn *pc, mc_cli_common *o, char *keyf, size_t nkeyf,
                          const char *dir, const mc_cli_pub *patpub)
{
    mc_hash rid, deny;
    mc_id orgid;
    char logs[3][65], s1[17], s2[17];
    mc_cli_conn patc;
    memcpy(orgid.b, org->keys.id.b, 32);
    mc_dev_step(7,
                "the cardiologist (with the rotated key) anchors a cardiology record held by the hospital");
    if (mc_dev_anchor(pc, dir, &orgid, &patpub->id, &rid)) return 1;

    mc_dev_step(8, "the cardiologist reads it: a logged read, permitted to the authoring org's staff");
    if (mc_dev_read(pc, &rid, 1, MC_RSN_PERMIT_AUTHOR_ORG, logs[0])) return 1;

    mc_dev_step(9, "the patient denies the hospital treatment reads for a day; the next read is refused");
    snprintf(keyf, nkeyf, "%s/keys/patient.key", dir);
    if (mc_cli_connect(&patc, o, 1)) return 1;
    int rc = mc_dev_deny(&patc, &orgid, &deny);
    if (!rc)
        printf("    deny %s… of the hospital org %s…, every record, TREAT, read, from now for one day\n",
               mc_dev_short(deny.b, s1), mc_dev_short(orgid.b, s2));
    rc = rc || mc_dev_read(pc, &rid, 0, MC_RSN_DENY_EXPLICIT, logs[1]);

    if (!rc) {
        mc_dev_step(10, "the patient revokes the deny; the next read is permitted again");
        mc_body_consent_revoke rv;
        memset(&rv, 0, sizeof rv);
        rv.target = deny;
        mc_buf body;
        mc_buf_init(&body, 256);
        rc = mc_body_consent_revoke_encode(&body, &rv) ||
             mc_cli_submit(&patc, MC_TX_CONSENT_REVOKE, &body, "    revoke", 0, NULL) ||
             mc_dev_read(pc, &rid, 1, MC_RSN_PERMIT_AUTHOR_ORG, logs[2]);
        mc_buf_free(&body);
    }
    if (!rc) {
        mc_dev_step(11, "the patient's access history: every read, refused ones too, with who and why");
        rc = mc_dev_history(&patc, &pc->keys.id, logs);
    }
    if (!rc) rc = mc_dev_records(pc, &patc, dir, 12);
    mc_cli_close(&patc);
    return rc;
}

/* The scenario proper, against a running node. */
static int mc_dev_scenario(const char *url, const char *dir, const mc_keys *prov, const mc_cli_pub *provpub,
                           const mc_keys *pat, const mc_cli_pub *patpub)
{
    mc_cli_common o = {.node = url};
    char keyf[PATH_MAX], passf[PATH_MAX], hex[65];
    snprintf(keyf, sizeof keyf, "%s/keys/org.key", dir);
    snprintf(passf, sizeof passf, "%s/passphrase", dir);
    o.key = keyf;
    o.passphrase_file = passf;
    mc_cli_conn org, pc;
    int rc = 1;
    if (mc_cli_connect(&org, &o, 1)) return 1;
    mc_hex_encode(hex, org.chain.b, 32);
    printf("    chain '%s', id %.16s…, node at %s\n", org.chain_name, hex, url);

    mc_dev_step(2, "Example General Hospital registers a cardiologist (provider, role=physician)");
    mc_body_register reg;
    mc_dev_reg(&reg, MC_ID_PROVIDER, &org, provpub);
    mc_buf body;
    mc_buf_init(&body, MC_MAX_BODY_BYTES);
    if (mc_attrs_parse(&reg.attrs, "role=physician,dept=cardiology,emergency=true") ||
        mc_body_register_encode(&body, &reg) ||
        mc_cli_submit(&org, MC_TX_IDENTITY_REGISTER, &body, "    register provider", 0, NULL))
        goto out;

    mc_dev_step(3, "the hospital enrols a patient, who co-signs the enrolment with their own key");
    mc_dev_reg(&reg, MC_ID_PATIENT, &org, patpub);
    mc_hash msg;
    if (mc_body_register_cosig_msg(&msg, &org.chain, &reg)) goto out;
    mc_sign(&reg.cosig, msg.b, 32, &pat->sign_sk);
    reg.has_cosig = 1;
    mc_buf_reset(&body);
    if (mc_body_register_encode(&body, &reg) ||
        mc_cli_submit(&org, MC_TX_IDENTITY_REGISTER, &body, "    register patient", 0, NULL))
        goto out;
    mc_hex_encode(hex, patpub->id.b, 32);
    printf("    the patient's on-chain id is %.16s… (derived from their key: no name, no MRN)\n", hex);

    mc_dev_step(4, "the cardiologist rotates their signing key");
    snprintf(keyf, sizeof keyf, "%s/keys/provider.key", dir);
    if (mc_cli_connect(&pc, &o, 1)) goto out;
    mc_keys fresh = *prov;
    mc_body_rotate rot;
    memcpy(rot.id.b, prov->id.b, 32);
    mc_sign_keypair(&rot.sign_pk, &fresh.sign_sk);
    mc_box_keypair(&rot.box_pk, &fresh.box_sk);
    mc_buf_reset(&body);
    int step = mc_body_rotate_encode(&body, &rot) ||
               mc_cli_submit(&pc, MC_TX_IDENTITY_ROTATE, &body, "    rotate", 0, NULL);
    if (!step) {
        char pass[1024];
        step = mc_passphrase_load(passf, pass, sizeof pass) ||
               mc_cli_write_keys(keyf, &fresh, pass, MC_KDF_INTERACTIVE);
        mc_wipe(pass, sizeof pass);
    }

    if (!step) { /* requests are now signed with the new key; only the transaction uses the old one */
        pc.keys.sign_sk = fresh.sign_sk;
        pc.keys.box_sk = fresh.box_sk; /* the rotation replaced the box key too */
        mc_http_signer sg = {.chain = pc.chain, .sk = &pc.keys.sign_sk};
        memcpy(sg.id.b, pc.keys.id.b, 32);
        mc_http_set_signer(pc.http, &sg);
    }
    if (!step) {
        mc_dev_step(5, "a transaction signed with the old key is refused (and changes nothing)");
        mc_body_revoke rv = {.reason = 0};
        memcpy(rv.id.b, prov->id.b, 32);
        mc_buf_reset(&body);
        step =
            mc_body_revoke_encode(&body, &rv) || !mc_cli_submit_as(&pc, &prov->sign_sk, MC_TX_IDENTITY_REVOKE,
                                                                   &body, "    revoke with old key", 0, NULL);

        mc_dev_step(6, "the provider's identity on the chain now shows the new key");
        char path[128];
        long st;
        json_t *j = NULL;
        mc_hex_encode(hex, prov->id.b, 32);
        snprintf(path, sizeof path, "/v1/identities/%s", hex);
        if (!step && !mc_cli_call(&org, "GET", path, NULL, &st, &j) && st == 200) {
            char want[65];
            mc_hex_encode(want, rot.sign_pk.b, 32);
            const char *got = json_string_value(json_object_get(j, "sign_pk"));
            printf("    kind %s, status %s, sign_pk %.16s… %s\n",
                   json_string_value(json_object_get(j, "kind")),
                   json_string_value(json_object_get(j, "status")), got ? got : "?",
                   got && !strcmp(got, want) ? "(the rotated key)" : "(NOT the rotated key)");
            step = !got || strcmp(got, want);
        } else {
            step = 1;
        }
        json_decref(j);
    }
    if (!step) step = mc_dev_consent(&org, &pc, &o, keyf, sizeof keyf, dir, patpub);
    mc_wipe(&fresh, sizeof fresh);
    mc_cli_close(&pc);
    rc = step;
out:
    mc_buf_free(&body);
    mc_cli_close(&org);
    return rc;
}

int mc_cmd_dev(int argc, char **argv)
{
    const char *given = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            given = argv[++i];
        else
            return mc_cli_fail("usage: medchain dev [--dir DIR]");
    }
    char dir[PATH_MAX] = "/tmp/medchain-dev-XXXXXX", path[PATH_MAX], text[8192], url[128];
    if (given) {
        if (snprintf(dir, sizeof dir, "%s", given) >= (int)sizeof dir || mc_dir_make(dir))
            return mc_cli_fail("cannot create %s", given);
        snprintf(path, sizeof path, "%s/data", dir);
        struct stat sb;
        if (stat(path, &sb) == 0)
            return mc_cli_fail("%s already holds a chain; give an empty directory", dir);
    } else if (!mkdtemp(dir)) {
        return mc_cli_fail("cannot create a temporary directory");
    }
    printf("medchain dev: a fresh single-node chain in %s\n", dir);
    mc_dev_step(1, "keys and genesis: one hospital (org), its validator node, a cardiologist, a patient");
    uint8_t rnd[24];
    char pass[49];
    mc_random(rnd, sizeof rnd);
    mc_hex_encode(pass, rnd, sizeof rnd);
    snprintf(path, sizeof path, "%s/passphrase", dir);
    if (mc_dev_write(path, pass, 0600)) return 1;
    snprintf(path, sizeof path, "%s/keys", dir);
    if (mc_dir_make(path)) return mc_cli_fail("cannot create %s", path);
    mc_keys org, node, prov, pat;
    mc_cli_pub orgp, nodep, provp, patp;
    if (mc_dev_key(dir, "org", MC_ID_ORG, pass, &org, &orgp) ||
        mc_dev_key(dir, "node", MC_ID_NODE, pass, &node, &nodep) ||
        mc_dev_key(dir, "provider", MC_ID_PROVIDER, pass, &prov, &provp) ||
        mc_dev_key(dir, "patient", MC_ID_PATIENT, pass, &pat, &patp))
        return 1;
    mc_wipe(pass, sizeof pass);
    mc_genesis *g = calloc(1, sizeof *g);
    mc_buf gb;
    mc_buf_init(&gb, 1u << 20);
    if (!g) return mc_cli_fail("out of memory");
    snprintf(g->name, sizeof g->name, "medchain-dev");
    g->time_ms = mc_time_now_ms();
    g->threshold = 1;
    g->norgs = 1;
    snprintf(g->orgs[0].name, sizeof g->orgs[0].name, "Example General Hospital");
    snprintf(g->orgs[0].type, sizeof g->orgs[0].type, "hospital");
    g->orgs[0].sign_pk = orgp.sign_pk;
    g->orgs[0].box_pk = orgp.box_pk;
    g->nvalidators = 1;
    g->validators[0] = (mc_genesis_validator){0, nodep.sign_pk, nodep.box_pk};
    snprintf(path, sizeof path, "%s/genesis.bin", dir);
    int rc = mc_genesis_encode(&gb, g) || mc_file_write_atomic(path, gb.p, gb.n, 0644);
    free(g);
    mc_buf_free(&gb);
    if (rc) return mc_cli_fail("cannot write the genesis config");
    snprintf(text, sizeof text,
             "# medchaind config written by `medchain dev`\n"
             "data_dir = %s/data\ngenesis = %s/genesis.bin\nnode_key = %s/keys/node.key\n"
             "passphrase_file = %s/passphrase\nlisten = 127.0.0.1:0\nport_file = %s/port\n",
             dir, dir, dir, dir, dir);
    snprintf(path, sizeof path, "%s/medchaind.conf", dir);
    if (mc_dev_write(path, text, 0644)) return 1;

    pid_t pid = mc_dev_spawn(dir, url, sizeof url);
    if (pid < 0) return 1;
    printf("    medchaind started (pid %ld), log in %s/medchaind.log\n", (long)pid, dir);
    rc = mc_dev_scenario(url, dir, &prov, &provp, &pat, &patp);
    mc_wipe(&org, sizeof org);
    mc_wipe(&node, sizeof node);
    mc_wipe(&prov, sizeof prov);
    mc_wipe(&pat, sizeof pat);

    mc_dev_step(16, "stop the node (SIGTERM) and verify the whole chain offline from genesis");
    if (mc_dev_stop(pid)) {
        mc_cli_fail("medchaind did not stop cleanly; see %s/medchaind.log", dir);
        rc = 1;
    }
    snprintf(path, sizeof path, "%s/data", dir);
    char *vargs[] = {"verify", "--data-dir", path, NULL};
    printf("    ");
    fflush(stdout);
    if (mc_cmd_verify(3, vargs)) rc = 1;
    printf("\n%s. Data, keys and config are in %s\n"
           "Run the node again with:  medchaind --config %s/medchaind.conf\n",
           rc ? "The scenario FAILED" : "All steps behaved as expected", dir, dir);
    return rc;
}
