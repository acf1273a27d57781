/*
 * The node's key-release keys and their publication (DESIGN.md section 4, docs/decisions.md
 * "Key release").
 *
 * Every record its org holds has its data key wrapped to the org's key-release key: an X25519
 * key of this node, in its own key file under the node's passphrase (DATA/release.key unless
 * release_key names one; made on first start). The gatekeeper opens a record's custodian key
 * with it after a permitting decision and seals the data key to the reader (src/api/reads.c).
 * Retired keys (release_keys_retired) are kept so that records wrapped to them still open.
 *
 * The public half and the gatekeeper's URLs are published on the chain in an org.gatekeeper
 * transaction signed by this node. A publisher thread checks the state after start and sends
 * one whenever what the chain holds for the org differs (first start, a rotated key, a new
 * URL), retrying until it is applied: a node admitted later publishes once it is on the chain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "medchain/envelope.h"
#include "node_internal.h"

/* Reads one release key file into the next slot. */
static int mc_release_read(mc_node *n, const char *path, const char *pass, char *err, size_t nerr)
{
    mc_keys k;
    if (n->nrelease == MC_NODE_MAX_RELEASE_KEYS) {
        mc_errf(err, nerr, "too many key-release keys (at most %u)", MC_NODE_MAX_RELEASE_KEYS);
        return MC_ETOOBIG;
    }
    int rc = mc_keyfile_read(path, pass, &k);
    if (rc) {
        mc_errf(err, nerr, "cannot open the key-release key %s: %s", path, mc_strerror(rc));
        return rc;
    }
    if (k.kind != MC_KEYKIND_RELEASE) {
        mc_wipe(&k, sizeof k);
        mc_errf(err, nerr, "%s is not a key-release key (make one with medchain keygen --kind release)",
                path);
        return MC_EINVAL;
    }
    n->release_sk[n->nrelease] = k.box_sk;
    mc_box_sk_to_pk(&n->release_pk[n->nrelease++], &k.box_sk);
    mc_wipe(&k, sizeof k);
    return MC_OK;
}

/* Makes DATA/release.key on a node's first start. */
static int mc_release_make(const char *path, const char *pass, char *err, size_t nerr)
{
    mc_keys k;
    mc_env_release_keys_new(&k);
    int rc = mc_keyfile_write(path, &k, pass, MC_KDF_INTERACTIVE);
    mc_wipe(&k, sizeof k);
    if (rc)
        mc_errf(err, nerr, "cannot write the key-release key %s: %s", path, mc_strerror(rc));
    else
        mc_log(MC_LOG_INFO, "node", "made a key-release key in %s (back it up with the node key)", path);
    return rc;
}

int mc_node_release_load(mc_node *n, const char *pass, char *err, size_t nerr)
{
    char path[1100];
    if (n->cfg.release_key[0])
        snprintf(path, sizeof path, "%s", n->cfg.release_key);
    else
        snprintf(path, sizeof path, "%s/release.key", n->cfg.data_dir);
    int rc = MC_OK;
    if (!n->cfg.release_key[0] && access(path, F_OK) != 0 && errno == ENOENT)
        rc = mc_release_make(path, pass, err, nerr);
    if (!rc) rc = mc_release_read(n, path, pass, err, nerr);
    char list[sizeof n->cfg.release_keys_retired], *save = NULL;
    snprintf(list, sizeof list, "%s", n->cfg.release_keys_retired);
    for (char *t = strtok_r(list, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save))
        rc = mc_release_read(n, t, pass, err, nerr);
    return rc;
}

/* The org.gatekeeper this node should have on the chain: its current key and its URLs. */
static int mc_release_body(mc_node *n, mc_body_gatekeeper *b)
{
    char list[sizeof n->cfg.public_url], *save = NULL;
    memset(b, 0, sizeof *b);
    b->release_pk = n->release_pk[0];
    if (n->cfg.public_url[0]) {
        snprintf(list, sizeof list, "%s", n->cfg.public_url);
    } else {
        char host[128];
        snprintf(host, sizeof host, "%s", n->cfg.listen);
        char *colon = strrchr(host, ':');
        if (colon) *colon = 0;
        if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !host[0])
            snprintf(host, sizeof host, "127.0.0.1");
        snprintf(list, sizeof list, "%s://%s:%u", n->cfg.tls_cert[0] ? "https" : "http", host,
                 (unsigned)mc_api_port(n->api));
    }
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (b->nurls == MC_MAX_GATEKEEPER_URLS || strlen(t) > MC_MAX_GATEKEEPER_URL) return MC_EINVAL;
        snprintf(b->urls[b->nurls++], sizeof b->urls[0], "%s", t);
    }
    mc_buf probe;
    mc_buf_init(&probe, MC_MAX_BODY_BYTES);
    int rc = mc_body_gatekeeper_encode(&probe, b);
    mc_buf_free(&probe);
    return rc;
}

/*
 * Whether this node should publish @p b: 1 when the chain holds it for this node's org already,
 * or when another node of the org published the org's gatekeeper (one node per org releases
 * keys: several nodes of one org share its key file and list every URL in public_url, and the
 * node that published it keeps it current; this one does not fight it); 0 when it should (none
 * yet, or its own earlier one differs: a rotated key, another URL), or it is not on the chain yet.
 */
static int mc_release_published(mc_node *n, const mc_body_gatekeeper *b)
{
    mc_store_txn *txn;
    mc_identity me;
    mc_gatekeeper g;
    mc_id id;
    memcpy(id.b, n->keys.id.b, 32);
    if (mc_store_begin(n->store, 0, &txn)) return 0;
    int rc = mc_store_get_identity(txn, &id, &me);
    if (!rc) rc = mc_store_get_gatekeeper(txn, &me.org, &g);
    mc_store_abort(txn);
    if (rc) return 0;
    int same = memcmp(g.body.release_pk.b, b->release_pk.b, 32) == 0 && g.body.nurls == b->nurls;
    for (uint32_t i = 0; same && i < b->nurls; i++) same = strcmp(g.body.urls[i], b->urls[i]) == 0;
    if (same) return 1;
    if (memcmp(g.by.b, id.b, 32) == 0) return 0;
    if (!n->release_warned) {
        n->release_warned = 1;
        mc_log(
            MC_LOG_WARN, "node",
            "another node of this org published its gatekeeper: that node releases the org's data keys; give "
            "this node the same release_key file if it is to serve reads too");
    }
    return 1;
}

static int mc_release_stopping(mc_node *n)
{
    pthread_mutex_lock(&n->tip_lock);
    int s = n->stopping;
    pthread_mutex_unlock(&n->tip_lock);
    return s;
}

/* One attempt: 1 once the chain holds @p b for this org (already, or by this transaction). */
static int mc_release_try(mc_node *n, const mc_body_gatekeeper *b, const mc_buf *body)
{
    if (mc_release_published(n, b)) return 1;
    mc_api_txout out;
    mc_node_log_tx(n, MC_TX_ORG_GATEKEEPER, body->p, body->n, 5000, &out);
    if (out.state != MC_TXS_COMMITTED || out.code != MC_TXR_OK) return 0;
    mc_log(MC_LOG_INFO, "node", "published this org's gatekeeper (key-release key and %u URL%s)", b->nurls,
           b->nurls == 1 ? "" : "s");
    return 1;
}

typedef struct {
    mc_node *n;
    mc_body_gatekeeper b;
    mc_buf body;
} mc_release_job;

static void *mc_release_main(void *arg)
{
    mc_release_job *j = arg;
    mc_node *n = j->n;
    while (!mc_release_stopping(n) && !mc_release_try(n, &j->b, &j->body)) {
        mc_exec_info info;
        mc_exec_get_info(n->exec, &info);
        (void)mc_node_wait_tip(n, info.height, 1000); /* a block or a second, then look again */
    }
    mc_buf_free(&j->body);
    free(j);
    return NULL;
}

int mc_node_release_start(mc_node *n, char *err, size_t nerr)
{
    mc_release_job *j = calloc(1, sizeof *j);
    if (!j) return MC_ENOMEM;
    j->n = n;
    mc_buf_init(&j->body, MC_MAX_BODY_BYTES);
    if (mc_release_body(n, &j->b) || mc_body_gatekeeper_encode(&j->body, &j->b)) {
        mc_errf(err, nerr,
                "public_url must be 1 to %u http:// or https:// URLs of at most %u bytes, comma-separated",
                MC_MAX_GATEKEEPER_URLS, MC_MAX_GATEKEEPER_URL);
        mc_buf_free(&j->body);
        free(j);
        return MC_EINVAL;
    }
    /* the first attempt before the node says it is up, so that it starts serving with its
     * gatekeeper known to the chain; if that cannot be yet (no quorum, not yet a member), a
     * thread keeps trying */
    if (mc_release_try(n, &j->b, &j->body)) {
        mc_buf_free(&j->body);
        free(j);
        return MC_OK;
    }
    if (pthread_create(&n->publisher, NULL, mc_release_main, j) != 0) {
        mc_buf_free(&j->body);
        free(j);
        return MC_ENOMEM;
    }
    n->publisher_started = 1;
    return MC_OK;
}

void mc_node_release_stop(mc_node *n)
{
    if (n->publisher_started) pthread_join(n->publisher, NULL);
    n->publisher_started = 0;
}
