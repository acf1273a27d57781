/*
 * The sharing matrix (issue 11): two hospitals, each running its own medchaind on a 3-member
 * etcd cluster, each holding one record of every patient. For each reader (identity, org and
 * selector grantee; a selector's non-matching colleague; a delegate and a delegate's grantee;
 * the break-glass clinician; each record's author; the author's colleague; the data steward; an
 * auditor; a researcher; a stranger) and each state of the patient's consent (inside the window,
 * expired, revoked, under a deny), the reader asks each node with `medchain record get` for both
 * records. It gets the plaintext, byte for byte, if and only if the policy permits, from
 * whichever node it asks; the key comes from the custodian's release whenever the reader holds no
 * key of its own; and every attempt is in the patient's access history.
 *
 * Each state is its own patient, so that one state's consents never touch another's. The
 * expected outcome of every cell is written out below (rule by rule, docs/policy.md), not asked
 * of the node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "cliworld.h"
#include "etcdtest.h"
#include "testnet.h"

enum { SH_INSIDE, SH_EXPIRED, SH_REVOKED, SH_DENIED, SH_STATES };
static const char *const sh_state_name[SH_STATES] = {"inside the window", "expired", "revoked",
                                                     "under a deny"};

/* Founding orgs, by genesis index: A and B run the nodes; the others hold no records. */
enum { SH_A, SH_B, SH_C, SH_D, SH_E, SH_F, SH_REG, SH_RES, SH_ORGS };
static const char *const sh_org[SH_ORGS] = {"hospa", "hospb", "orgc",      "orgd",
                                            "orge",  "orgf",  "regulator", "research"};

/* A reader: name, org, attributes, the purpose it reads for, and what it may read in each state:
 * bit 0 record A (held by hospital A), bit 1 record B (held by hospital B). */
typedef struct {
    const char *name;
    int org;
    const char *attrs;
    const char *purpose;
    int kind_patient; /* enrolled as a patient (a delegate) */
    unsigned may[SH_STATES];
} sh_reader;

#define AB 3u
#define A_ 1u
#define B_ 2u

static const sh_reader sh_readers[] = {
    /* grants to an identity, an org and a selector (org E, dept=cardiology) */
    {"gid", SH_D, "role=physician", "TREAT", 0, {AB, 0, 0, 0}},
    {"gorg", SH_C, "role=physician", "TREAT", 0, {AB, 0, 0, 0}},
    {"gsel", SH_E, "role=physician,dept=cardiology", "TREAT", 0, {AB, 0, 0, 0}},
    {"selother", SH_E, "role=physician,dept=oncology", "TREAT", 0, {0, 0, 0, 0}},
    /* a delegate: named in every state but "revoked" (removed); a deny never reaches it */
    {"fam", SH_A, NULL, "PATRQT", 1, {AB, AB, 0, AB}},
    /* a grant the delegate made, on the patient's behalf */
    {"gdel", SH_F, "role=physician", "TREAT", 0, {AB, 0, 0, 0}},
    /* break-glass: open, over, never opened, or under a deny */
    {"er", SH_B, "role=physician,emergency=true", "ETREAT", 0, {AB, 0, 0, 0}},
    /* the authoring orgs keep treatment and operations access, but a deny to hospital A beats it */
    {"doca", SH_A, "role=physician", "TREAT", 0, {A_, A_, A_, 0}},
    {"docb", SH_B, "role=physician", "TREAT", 0, {B_, B_, B_, B_}},
    {"colleague", SH_A, "role=nurse", "TREAT", 0, {A_, A_, A_, 0}},
    {"steward", SH_A, "role=steward", "HOPERAT", 0, {A_, A_, A_, 0}},
    /* never content */
    {"auditor", SH_REG, NULL, "TREAT", 0, {0, 0, 0, 0}},
    {"researcher", SH_RES, NULL, "TREAT", 0, {0, 0, 0, 0}},
    {"stranger", SH_D, "role=physician", "TREAT", 0, {0, 0, 0, 0}},
};
#define SH_NREADERS (sizeof sh_readers / sizeof sh_readers[0])

static const char *sh_kind(const char *name)
{
    if (!strcmp(name, "auditor")) return "auditor";
    if (!strcmp(name, "researcher")) return "researcher";
    return "provider";
}

typedef struct {
    et_cluster etcd;
    tn_chain node[2];
    cw_world w;
    char id[SH_NREADERS][65];      /* each reader's id */
    char orgid[SH_ORGS][65];       /* each org's id */
    char pid[SH_STATES][65];       /* the patient of each state */
    char rid[SH_STATES][2][65];    /* its record at A and at B */
    char plain[SH_STATES][2][256]; /* their plaintext: the resource's exact bytes */
    uint64_t expires_ms;           /* when the expired state's grants and break-glass end */
    char emergency[SH_STATES][65]; /* each state's break-glass (none when revoked) */
} sh_world;

static sh_world *sh;

static int mc_all_zero_hash(const mc_hash *h)
{
    static const uint8_t zero[32];
    return memcmp(h->b, zero, 32) == 0;
}

static int sh_cli(mc_buf *out, ...)
{
    char *args[48];
    int n = 0;
    va_list ap;
    va_start(ap, out);
    for (const char *a; n < 47 && (a = va_arg(ap, const char *));) args[n++] = (char *)a;
    va_end(ap);
    return cw_cliv(&sh->w, out, args, n);
}

static const char *sh_key(const char *name)
{
    static char path[8][400];
    static int k;
    k = (k + 1) % 8;
    return cw_key(&sh->w, name, path[k], sizeof path[k]);
}

static int sh_reader_index(const char *name)
{
    for (size_t i = 0; i < SH_NREADERS; i++)
        if (!strcmp(sh_readers[i].name, name)) return (int)i;
    fail_msg("no reader %s", name);
    return -1;
}

static const char *sh_id(const char *name)
{
    return sh->id[sh_reader_index(name)];
}

/* The last 64-hex-digit id printed after "tx " in @p out (a consent's id). */
static void sh_txid(const mc_buf *out, char hex[65])
{
    const char *p = strstr((const char *)out->p, "tx ");
    assert_non_null(p);
    memcpy(hex, p + 3, 64);
    hex[64] = 0;
}

/* Two hospitals with a node each on one etcd cluster, and every identity of the matrix. */
static void sh_start(void)
{
    if (!et_binary()) skip();
    sh = calloc(1, sizeof *sh);
    assert_non_null(sh);
    assert_int_equal(et_start(&sh->etcd, 3), MC_OK);
    assert_int_equal(tn_create(&sh->node[0], SH_ORGS - 1, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_create(&sh->node[1], 0, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH), MC_OK);
    assert_int_equal(tn_set_org_type(&sh->node[0], SH_REG, "regulator"), MC_OK);
    assert_int_equal(tn_set_org_type(&sh->node[0], SH_RES, "research"), MC_OK);
    tn_chain *cs[2] = {&sh->node[0], &sh->node[1]};
    const unsigned orgs[2] = {SH_A, SH_B};
    assert_int_equal(tn_share_genesis_orgs(cs, 2, orgs), MC_OK);
    char eps[600], listen[2][64], peers[2][96];
    unsigned port[2] = {tn_free_port(), tn_free_port()};
    snprintf(eps, sizeof eps, "etcd_endpoints=%s", sh->etcd.endpoints);
    for (int i = 0; i < 2; i++) {
        snprintf(listen[i], sizeof listen[i], "listen=127.0.0.1:%u", port[i]);
        snprintf(peers[i], sizeof peers[i], "peers=http://127.0.0.1:%u", port[1 - i]);
        /* idle validators refresh their time every 2 s (time beacons), so the chain's time is
         * the clock's when the expired state is read, whoever was quiet */
        const char *s[] = {"orderer=etcd", eps, listen[i], peers[i], "time_beacon_ms=2000", NULL};
        assert_int_equal(tn_start(&sh->node[i], s), MC_OK);
    }
    assert_int_equal(cw_open(&sh->w, &sh->node[0]), 0);
    sh->w.quiet = 1;
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    for (int k = 0; k < SH_ORGS; k++) {
        const mc_keys *key = k == 0 ? &sh->node[0].org : &sh->node[0].clients[k - 1];
        assert_int_equal(cw_org_key(&sh->w, sh_org[k], key), 0);
        mc_hex_encode(sh->orgid[k], key->id.b, 32);
    }
    for (size_t i = 0; i < SH_NREADERS; i++) {
        const sh_reader *r = &sh_readers[i];
        assert_int_equal(
            cw_keygen(&sh->w, &out, r->name, r->kind_patient ? "patient" : sh_kind(r->name), sh->id[i]), 0);
        assert_int_equal(cw_enrol(&sh->w, &out, sh_org[r->org], r->name, r->attrs, r->kind_patient), 0);
    }
    mc_buf_free(&out);
}

/* Hospital @p h's author ingests a one-resource chart of patient @p s, through its own node
 * (with @p amends, the new version of that record: an amendment). */
static void sh_ingest(int s, int h, const char *amends)
{
    char bundle[600], path[400];
    snprintf(
        sh->plain[s][h], sizeof sh->plain[s][h],
        "{\"resourceType\":\"Observation\",\"id\":\"sharing-%d-%c\",\"status\":\"%s\",\"code\":{\"text\":"
        "\"a reading held by hospital %c\"}}",
        s, 'a' + h, amends ? "amended" : "final", 'A' + h);
    snprintf(bundle, sizeof bundle,
             "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":%s}]}",
             sh->plain[s][h]);
    snprintf(path, sizeof path, "%s/bundle-%d-%d.json", sh->node[0].dir, s, h);
    assert_int_equal(mc_file_write_atomic(path, bundle, strlen(bundle), 0600), MC_OK);
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    assert_int_equal(sh_cli(&out, "ingest", path, "--patient", sh->pid[s], "--no-tokens", "--json", "--key",
                            sh_key(h ? "docb" : "doca"), "--node", sh->node[h].url,
                            amends ? "--supersedes" : NULL, amends, NULL),
                     0);
    json_t *m = json_loadb((const char *)out.p, out.n, 0, NULL);
    const char *rid = json_string_value(json_object_get(json_array_get(m, 0), "record"));
    assert_non_null(rid);
    snprintf(sh->rid[s][h], sizeof sh->rid[s][h], "%s", rid);
    json_decref(m);
    mc_buf_free(&out);
}

/* A consent of patient @p s (signed by @p by) to reader @p to (or, with @p org, its org, with
 * @p where), for @p purpose, until @p until; its id into @p id when not NULL. */
static void sh_consent(int s, const char *verb, const char *by, const char *to, int org, const char *where,
                       const char *purpose, const char *until, char id[65])
{
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    char *args[32];
    int n = 0;
    args[n++] = (char *)verb;
    args[n++] = "--key";
    args[n++] = (char *)sh_key(by);
    args[n++] = "--patient";
    args[n++] = sh->pid[s];
    args[n++] = org ? "--org" : "--to";
    args[n++] = org ? sh->orgid[sh_readers[sh_reader_index(to)].org] : (char *)sh_id(to);
    if (where) {
        args[n++] = "--where";
        args[n++] = (char *)where;
    }
    args[n++] = "--purpose";
    args[n++] = (char *)purpose;
    args[n++] = until[0] == '+' ? "--days" : "--until";
    args[n++] = (char *)(until[0] == '+' ? until + 1 : until);
    assert_int_equal(cw_cliv(&sh->w, &out, args, n), 0);
    if (id) sh_txid(&out, id);
    mc_buf_free(&out);
}

/* The grants of state @p s, until @p until: to gid, org C, org E's cardiologists, and (by the
 * delegate) to gdel; the delegate named; break-glass for er (unless revoked). Their ids in @p ids. */
static void sh_grants(int s, const char *until, char ids[4][65])
{
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    char pname[16], reason[400];
    snprintf(pname, sizeof pname, "patient%d", s);
    assert_int_equal(sh_cli(&out, "delegate", "--key", sh_key(pname), "--add", sh_id("fam"), NULL), 0);
    sh_consent(s, "grant", pname, "gid", 0, NULL, "TREAT", until, ids[0]);
    sh_consent(s, "grant", pname, "gorg", 1, NULL, "TREAT", until, ids[1]);
    sh_consent(s, "grant", pname, "gsel", 1, "dept=cardiology", "TREAT", until, ids[2]);
    sh_consent(s, "grant", "fam", "gdel", 0, NULL, "TREAT", until, ids[3]);
    if (s != SH_REVOKED) {
        snprintf(reason, sizeof reason, "%s/reason.txt", sh->node[0].dir);
        assert_int_equal(mc_file_write_atomic(reason, "unconscious in the ER", 21, 0600), MC_OK);
        assert_int_equal(sh_cli(&out, "emergency", "--key", sh_key("er"), "--patient", sh->pid[s],
                                "--minutes", "1", "--reason-file", reason, "--auditor", sh->orgid[SH_REG],
                                "--auditor", sh_id("auditor"), "--node", sh->node[1].url, NULL),
                         0);
        sh_txid(&out, sh->emergency[s]);
    }
    mc_buf_free(&out);
}

/* Patient @p s: enrolled, a record at each hospital, and the consents of its state. */
static void sh_patient(int s)
{
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    char pname[16], ids[4][65], until[32];
    snprintf(pname, sizeof pname, "patient%d", s);
    assert_int_equal(cw_keygen(&sh->w, &out, pname, "patient", sh->pid[s]), 0);
    assert_int_equal(cw_enrol(&sh->w, &out, "hospa", pname, NULL, 1), 0);
    sh_ingest(s, 0, NULL);
    sh_ingest(s, 1, NULL);
    if (s == SH_EXPIRED) {
        /* grants that end in 20 s; the break-glass lasts its minute */
        sh->expires_ms = mc_time_now_ms() + 60000;
        snprintf(until, sizeof until, "%llu", (unsigned long long)(mc_time_now_ms() + 20000));
    } else {
        snprintf(until, sizeof until, "+30");
    }
    sh_grants(s, until, ids);
    if (s == SH_REVOKED) {
        for (int k = 0; k < 4; k++)
            assert_int_equal(sh_cli(&out, "revoke", ids[k], "--key", sh_key(k == 3 ? "fam" : pname), NULL),
                             0);
        assert_int_equal(sh_cli(&out, "delegate", "--key", sh_key(pname), "--remove", sh_id("fam"), NULL), 0);
    }
    if (s == SH_DENIED) {
        sh_consent(s, "deny", pname, "gid", 0, NULL, "TREAT", "+30", NULL);
        sh_consent(s, "deny", pname, "gorg", 1, NULL, "TREAT", "+30", NULL);
        sh_consent(s, "deny", pname, "gsel", 1, "dept=cardiology", "TREAT", "+30", NULL);
        sh_consent(s, "deny", pname, "gdel", 0, NULL, "TREAT", "+30", NULL);
        sh_consent(s, "deny", pname, "er", 0, NULL, "ETREAT", "+30", NULL);
        sh_consent(s, "deny", pname, "doca", 1, NULL, "TREAT,HOPERAT", "+30", NULL); /* all of hospital A */
    }
    mc_buf_free(&out);
}

/* Reader @p r asks node @p n for both records of state @p s: each is there, byte for byte, iff
 * the table says so. @return the records read. */
static unsigned sh_read(int s, size_t r, int n)
{
    const sh_reader *rd = &sh_readers[r];
    char dir[500], path[600];
    snprintf(dir, sizeof dir, "%s/read-%d-%zu-%d", sh->node[0].dir, s, r, n);
    assert_int_equal(mc_dir_make(dir), MC_OK);
    mc_buf out, got;
    mc_buf_init(&out, 1u << 20);
    mc_buf_init(&got, 1u << 20);
    int rc = sh_cli(&out, "record", "get", sh->rid[s][0], sh->rid[s][1], "--out-dir", dir, "--purpose",
                    rd->purpose, "--key", sh_key(rd->name), "--node", sh->node[n].url, NULL);
    unsigned want = rd->may[s], have = 0;
    for (int h = 0; h < 2; h++) {
        snprintf(path, sizeof path, "%s/%s", dir, sh->rid[s][h]);
        mc_buf_reset(&got);
        if (mc_file_read(path, &got) != MC_OK) continue;
        have |= 1u << h;
        if (got.n != strlen(sh->plain[s][h]) || memcmp(got.p, sh->plain[s][h], got.n) != 0)
            fail_msg("%s, %s, node %d: record %c is not the plaintext", rd->name, sh_state_name[s], n,
                     'A' + h);
    }
    if (have != want)
        fail_msg("%s (%s), %s, asking node %d: read %s%s, expected %s%s (exit %d: %.*s)", rd->name,
                 rd->purpose, sh_state_name[s], n, have & 1 ? "A" : "", have & 2 ? "B" : "",
                 want & 1 ? "A" : "", want & 2 ? "B" : "", rc, (int)out.n, (char *)out.p);
    if (rc != (want == AB ? 0 : 3)) /* a refused record: exit 3 */
        fail_msg("%s, %s, node %d: exit %d: %.*s", rd->name, sh_state_name[s], n, rc, (int)out.n,
                 (char *)out.p);
    mc_buf_free(&out);
    mc_buf_free(&got);
    return have;
}

/* Every reader of state @p s, through each node. */
static void sh_matrix(int s)
{
    unsigned permitted = 0;
    for (size_t r = 0; r < SH_NREADERS; r++)
        for (int n = 0; n < 2; n++) permitted += (unsigned)__builtin_popcount(sh_read(s, r, n));
    fprintf(stderr, "sharing, %s: %zu readers x 2 nodes x 2 records, %u reads permitted and decrypted\n",
            sh_state_name[s], SH_NREADERS, permitted);
}

/* Every attempt of state @p s is in its patient's access history: two per reader and record (one
 * through each node), at the record's custodian; each permitted content read released its key. */
/* Patient @p s's access history, as the patient sees it (caller decrefs). */
static json_t *sh_access(int s)
{
    char pname[16], path[200];
    snprintf(pname, sizeof pname, "patient%d", s);
    snprintf(path, sizeof path, "/v1/patients/%s/access?limit=1000", sh->pid[s]);
    mc_http *h = tn_client(&sh->node[1], NULL);
    mc_keys pk;
    char kp[400];
    assert_int_equal(mc_keyfile_read(cw_key(&sh->w, pname, kp, sizeof kp), "test-passphrase", &pk), MC_OK);
    mc_http_signer sg = {.chain = sh->node[0].chain, .sk = &pk.sign_sk};
    memcpy(sg.id.b, pk.id.b, 32);
    mc_http_set_signer(h, &sg);
    mc_buf resp;
    mc_buf_init(&resp, 8u << 20);
    long st = 0;
    assert_int_equal(mc_http_request(h, "GET", path, NULL, 0, &st, &resp), MC_OK);
    assert_int_equal(st, 200);
    json_t *j = json_loadb((const char *)resp.p, resp.n, 0, NULL);
    assert_non_null(j);
    mc_buf_free(&resp);
    mc_wipe(&pk, sizeof pk);
    mc_http_free(h);
    return j;
}

/* How many of patient @p s's logged reads were by reader @p r. */
static size_t sh_reads_by(int s, size_t r)
{
    json_t *j = sh_access(s), *a;
    size_t i, n = 0;
    json_array_foreach(json_object_get(j, "access"), i, a) n +=
        !strcmp(json_string_value(json_object_get(a, "reader")), sh->id[r]);
    json_decref(j);
    return n;
}

/* An auditor's export is metadata only: it writes a Bundle and asks for no content, so the
 * patient's accounting of disclosures gains nothing from it. */
static void sh_auditor_export(void)
{
    size_t aud = (size_t)sh_reader_index("auditor"), before = sh_reads_by(SH_INSIDE, aud);
    mc_buf out;
    mc_buf_init(&out, 8u << 20);
    char path[500];
    snprintf(path, sizeof path, "%s/auditor-export.json", sh->node[0].dir);
    assert_int_equal(sh_cli(&out, "export", "--patient", sh->pid[SH_INSIDE], "--out", path, "--key",
                            sh_key("auditor"), NULL),
                     0);
    assert_non_null(strstr((char *)out.p, "(0 records decrypted)"));
    assert_int_equal(sh_reads_by(SH_INSIDE, aud), before);
    mc_buf_free(&out);
}

static void sh_history(int s)
{
    json_t *j = sh_access(s), *a;
    for (size_t r = 0; r < SH_NREADERS; r++) {
        unsigned n[2] = {0, 0}, released = 0;
        size_t i;
        json_array_foreach(json_object_get(j, "access"), i, a)
        {
            if (strcmp(json_string_value(json_object_get(a, "reader")), sh->id[r]) != 0) continue;
            const char *rec = json_string_value(json_object_get(a, "record"));
            int hh = !strcmp(rec, sh->rid[s][1]);
            n[hh]++;
            released += json_is_true(json_object_get(a, "key_released"));
            assert_true(json_is_true(json_object_get(a, "permit")) == !!(sh_readers[r].may[s] & (1u << hh)));
        }
        if (n[0] != 2 || n[1] != 2)
            fail_msg("%s, %s: %u and %u reads of records A and B in the history, expected 2 each",
                     sh_readers[r].name, sh_state_name[s], n[0], n[1]);
        assert_int_equal(released, 2u * (unsigned)__builtin_popcount(sh_readers[r].may[s]));
    }
    json_decref(j);
}

/* Hospital A amends its record of the first state: the new version is read like any record, by
 * a grantee at another org through the other hospital's node, and by the patient. */
static void sh_amendment(void)
{
    char old[65];
    snprintf(old, sizeof old, "%s", sh->rid[SH_INSIDE][0]);
    sh_ingest(SH_INSIDE, 0, old);
    assert_string_not_equal(old, sh->rid[SH_INSIDE][0]);
    assert_non_null(strstr(sh->plain[SH_INSIDE][0], "amended"));
    assert_int_equal(sh_read(SH_INSIDE, (size_t)sh_reader_index("gorg"), 1), AB);
    assert_int_equal(sh_read(SH_INSIDE, (size_t)sh_reader_index("doca"), 1), A_);
    mc_buf out, got;
    mc_buf_init(&out, 1u << 20);
    mc_buf_init(&got, 1u << 20);
    char path[500];
    snprintf(path, sizeof path, "%s/amended-by-patient", sh->node[0].dir);
    assert_int_equal(sh_cli(&out, "record", "get", sh->rid[SH_INSIDE][0], "--out", path, "--key",
                            sh_key("patient0"), "--node", sh->node[1].url, NULL),
                     0);
    assert_int_equal(mc_file_read(path, &got), MC_OK);
    assert_int_equal(got.n, strlen(sh->plain[SH_INSIDE][0]));
    assert_memory_equal(got.p, sh->plain[SH_INSIDE][0], got.n);
    mc_buf_free(&got);
    mc_buf_free(&out);
    fprintf(stderr, "sharing: an amendment by hospital A read by an org grantee and by the patient\n");
}

/* The break-glass reason opens for the patient and the auditor it was sealed to, not a stranger. */
static void sh_emergency_show(void)
{
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    const char *e = sh->emergency[SH_INSIDE];
    assert_int_equal(sh_cli(&out, "emergency", "show", e, "--key", sh_key("patient0"), NULL), 0);
    assert_non_null(strstr((char *)out.p, "reason: unconscious in the ER"));
    assert_int_equal(sh_cli(&out, "emergency", "show", e, "--key", sh_key("auditor"), NULL), 0);
    assert_non_null(strstr((char *)out.p, "reason: unconscious in the ER"));
    assert_int_not_equal(sh_cli(&out, "emergency", "show", e, "--key", sh_key("stranger"), NULL), 0);
    assert_null(strstr((char *)out.p, "unconscious"));
    mc_buf_free(&out);
}

/* POST /v1/reads of a page of patient @p s's records at node @p n (purpose PATRQT, signed by the
 * patient), after @p after (NULL: from the start), at most @p limit, in category @p cat (or all);
 * the decoded answer into @p r (clear it). */
static void sh_page_as(const char *who, int s, int n, const mc_hash *after, uint32_t limit, const char *cat,
                       mc_buf *resp, mc_read_response *r)
{
    char pname[16], kp[400];
    mc_keys pk;
    snprintf(pname, sizeof pname, "%s", who);
    assert_int_equal(mc_keyfile_read(cw_key(&sh->w, pname, kp, sizeof kp), "test-passphrase", &pk), MC_OK);
    mc_read_request *q = calloc(1, sizeof *q);
    assert_non_null(q);
    q->purpose = strncmp(who, "patient", 7) ? MC_PURPOSE_TREAT : MC_PURPOSE_PATRQT;
    q->action = MC_ACTION_READ;
    q->by = MC_READS_BY_PATIENT;
    assert_int_equal(mc_hex_decode(q->patient.b, 32, sh->pid[s], 64), MC_OK);
    if (after) q->after = *after;
    q->limit = limit;
    if (cat) snprintf(q->cats[q->ncats++], sizeof q->cats[0], "%s", cat);
    mc_buf req;
    mc_buf_init(&req, MC_MAX_READ_REQUEST_BYTES);
    assert_int_equal(mc_read_request_encode(&req, q), MC_OK);
    mc_http *h = tn_client(&sh->node[n], &pk);
    mc_http_set_content_type(h, "application/octet-stream");
    long st = 0;
    assert_int_equal(mc_http_request(h, "POST", MC_READS_TARGET, req.p, req.n, &st, resp), MC_OK);
    assert_int_equal(st, 200);
    assert_int_equal(mc_read_response_decode(r, resp->p, resp->n), MC_OK);
    mc_http_free(h);
    mc_buf_free(&req);
    free(q);
    mc_wipe(&pk, sizeof pk);
}

static void sh_page(int s, int n, const mc_hash *after, uint32_t limit, const char *cat, mc_buf *resp,
                    mc_read_response *r)
{
    char pname[16];
    snprintf(pname, sizeof pname, "patient%d", s);
    sh_page_as(pname, s, n, after, limit, cat, resp, r);
}

/* A page of one patient's records at a custodian, by cursor: only its records held there, in
 * the category asked, each key in the box; the next page from the cursor; another category: none. */
static void sh_pages(void)
{
    mc_buf resp;
    mc_buf_init(&resp, 8u << 20);
    mc_read_response r1, r2, r3;
    sh_page(SH_INSIDE, 0, NULL, 1, NULL, &resp, &r1); /* two records at A: the first and its amendment */
    assert_int_equal(r1.n, 1);
    assert_int_equal(r1.more, 1);
    assert_int_equal(r1.items[0].status, MC_READ_SERVED);
    assert_int_equal(r1.items[0].released, 1);
    assert_true(r1.keybox.n > 0);
    assert_memory_equal(r1.next.b, r1.items[0].record.b, 32);
    mc_hash first = r1.items[0].record;
    mc_read_response_clear(&r1);
    mc_buf resp2;
    mc_buf_init(&resp2, 8u << 20);
    sh_page(SH_INSIDE, 0, &first, 512, NULL, &resp2, &r2);
    assert_int_equal(r2.n, 1);
    assert_int_equal(r2.more, 0);
    assert_true(memcmp(r2.items[0].record.b, first.b, 32) > 0);
    char a[65], b[65];
    mc_hex_encode(a, first.b, 32);
    mc_hex_encode(b, r2.items[0].record.b, 32);
    /* the two are the record at A and its amendment, in id order; hospital B's is not here */
    assert_true(!strcmp(a, sh->rid[SH_INSIDE][0]) || !strcmp(b, sh->rid[SH_INSIDE][0]));
    assert_true(strcmp(a, sh->rid[SH_INSIDE][1]) && strcmp(b, sh->rid[SH_INSIDE][1]));
    mc_read_response_clear(&r2);
    sh_page(SH_INSIDE, 0, NULL, 512, "laboratory", &resp2, &r3); /* the records are "observation" */
    assert_int_equal(r3.n, 0);
    assert_int_equal(r3.keybox.n, 0);
    mc_read_response_clear(&r3);
    /* a stranger's page shows nothing (not even refusals: a page cannot tell what exists) and
     * logs nothing */
    sh_page_as("stranger", SH_INSIDE, 0, NULL, 512, NULL, &resp2, &r3);
    assert_int_equal(r3.n, 0);
    assert_int_equal(r3.more, 0);
    assert_true(mc_all_zero_hash(&r3.log_tx));
    mc_read_response_clear(&r3);
    mc_buf_free(&resp);
    mc_buf_free(&resp2);
    fprintf(stderr, "sharing: a patient's pages at a custodian, by cursor and category\n");
}

static void test_sharing_matrix(void **state)
{
    (void)state;
    sh_start();
    /* the expired state first: its grants end 20 s and its break-glass 60 s from now */
    sh_patient(SH_EXPIRED);
    for (int s = 0; s < SH_STATES; s++)
        if (s != SH_EXPIRED) sh_patient(s);
    for (int s = 0; s < SH_STATES; s++) {
        if (s == SH_EXPIRED)
            while (mc_time_now_ms() < sh->expires_ms + 1000) sleep(1);
        sh_matrix(s);
        sh_history(s);
    }
    sh_emergency_show();
    sh_auditor_export();
    sh_amendment();
    sh_pages();
}

static int sh_teardown(void **state)
{
    (void)state;
    if (!sh) return 0;
    for (int i = 0; i < 2; i++) tn_destroy(&sh->node[i]);
    et_destroy(&sh->etcd);
    free(sh);
    sh = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(test_sharing_matrix, sh_teardown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
