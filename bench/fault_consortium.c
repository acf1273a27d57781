/*
 * fault_consortium: kill/restart cycles on a consortium under continuous load (issue 5).
 *
 * 4 medchaind validators on a 3-member etcd cluster (tests/support/consortium), client threads
 * submitting to different nodes. Each cycle kills one process with SIGKILL (a random node, or
 * about one time in four a random etcd member: never more than one member down), waits a
 * little, restarts it and waits until it has caught up (a node at the height the others had
 * when it came back, an etcd member answering through the quorum). At the end: every
 * acknowledged transaction committed OK on every node, one chain (headers through the API,
 * then byte-identical stores), `medchain verify` passing on each. The closing line is JSON:
 *   {"name":"consortium_faults","cycles":20,"acknowledged":N,"lost":0,"identical":true,...}
 * with max_etcd_stall_ms: the longest time from an etcd member's kill until the load had a full
 * round of requests acknowledged again (leader election and the nodes' failover included).
 * Exit status 0 only when nothing was lost, the nodes are identical and verify passes.
 *
 *   fault_consortium [--cycles N] [--seed S] [--clients K] [--per P]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consortium.h"

#define FC_NODES 4

static void fc_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The highest height among the running nodes other than @p skip. */
static uint64_t fc_top(cs_net *net, unsigned skip)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < net->n; i++) {
        cs_status st;
        if (i != skip && net->node[i].pid && cs_status_get(net, i, &st) == MC_OK && st.height > top)
            top = st.height;
    }
    return top;
}

/* Node @p i killed, down @p down_ms, restarted, caught up (60 s at most). */
static int fc_node_cycle(cs_net *net, unsigned i, int down_ms, uint64_t *lag)
{
    int st = cs_node_kill(net, i, SIGKILL);
    if (st != 128 + SIGKILL) fprintf(stderr, "fault_consortium: node %u exited %d before its kill\n", i, st);
    fc_sleep_ms(down_ms);
    int rc = cs_node_start(net, i);
    if (rc) return rc;
    uint64_t want = fc_top(net, i);
    cs_status s = {0};
    cs_status_get(net, i, &s);
    *lag = want > s.height ? want - s.height : 0;
    for (int waited = 0; waited < 60000; waited += 100) {
        if (cs_status_get(net, i, &s) == MC_OK && s.height >= want) return MC_OK;
        fc_sleep_ms(100);
    }
    fprintf(stderr, "fault_consortium: node %u at %llu, not caught up to %llu in 60 s\n", i,
            (unsigned long long)s.height, (unsigned long long)want);
    return MC_ETIMEDOUT;
}

static size_t fc_acked(cs_load *l)
{
    cs_load_stats s;
    cs_load_stats_get(l, &s);
    return s.acked;
}

/* etcd member @p m killed, down @p down_ms, restarted and answering through the quorum. The time
 * from the kill until the load had a full round (a request per client) acknowledged after it
 * into *stall_ms: how long the consortium stood still, leader election included. */
static int fc_etcd_cycle(cs_net *net, cs_load *l, unsigned m, int down_ms, size_t round, int *stall_ms)
{
    uint64_t t0 = mc_time_mono_ns();
    size_t at_kill = fc_acked(l);
    et_kill(&net->etcd, m);
    *stall_ms = -1;
    int waited = 0;
    for (; waited < down_ms; waited += 20) {
        if (*stall_ms < 0 && fc_acked(l) >= at_kill + round)
            *stall_ms = (int)((mc_time_mono_ns() - t0) / 1000000);
        fc_sleep_ms(20);
    }
    int rc = cs_etcd_restart(net, m, 60000);
    if (rc) fprintf(stderr, "fault_consortium: etcd member %u not healthy 60 s after its restart\n", m);
    for (; !rc && *stall_ms < 0 && waited < 60000; waited += 20) {
        if (fc_acked(l) >= at_kill + round) *stall_ms = (int)((mc_time_mono_ns() - t0) / 1000000);
        fc_sleep_ms(20);
    }
    return rc;
}

/* Stops the load; the end-of-run checks. Returns the number of acknowledged transactions. */
static size_t fc_check(cs_net *net, cs_load *l, size_t *lost, int *identical, int *verified, uint64_t *height)
{
    char why[4096];
    size_t nacked = 0;
    cs_load_stop(l);
    const mc_hash *acked = cs_load_acked(l, &nacked);
    *identical = *verified = 0;
    *lost = nacked;
    if (cs_wait_same(net, 120000, height, why, sizeof why)) {
        fprintf(stderr, "fault_consortium: the nodes did not reach one height and tip: %s\n", why);
        return nacked;
    }
    int rc = cs_check_api(net, *height, acked, nacked, lost, why, sizeof why);
    if (rc) fprintf(stderr, "fault_consortium: %s\n", why);
    for (unsigned i = 0; i < net->n; i++)
        if (cs_node_kill(net, i, SIGTERM) != 0)
            fprintf(stderr, "fault_consortium: node %u did not stop cleanly\n", i);
    if (rc == MC_OK) {
        rc = cs_check_stores(net, why, sizeof why);
        *identical = rc == MC_OK;
        if (rc) fprintf(stderr, "fault_consortium: %s\n", why);
    }
    rc = cs_verify_all(net, why, sizeof why);
    *verified = rc == MC_OK;
    if (rc) fprintf(stderr, "fault_consortium: %s\n", why);
    return nacked;
}

static unsigned fc_arg(int argc, char **argv, const char *name, unsigned dflt)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return (unsigned)strtoul(argv[i + 1], NULL, 10);
    return dflt;
}

int main(int argc, char **argv)
{
    unsigned cycles = fc_arg(argc, argv, "--cycles", 20), clients = fc_arg(argc, argv, "--clients", 4),
             per = fc_arg(argc, argv, "--per", 20), seed = fc_arg(argc, argv, "--seed", (unsigned)time(NULL));
    if (!et_binary()) {
        fprintf(stderr, "fault_consortium: etcd is not installed (/usr/bin/etcd): run scripts/setup\n");
        return 1;
    }
    srand(seed);
    uint64_t t0 = mc_time_mono_ns();
    cs_net *net;
    cs_load *l;
    int rc = cs_start(&net, FC_NODES, clients, MEDCHAIND_PATH, MEDCHAIN_CLI_PATH);
    if (rc) {
        fprintf(stderr, "fault_consortium: the consortium did not start: %s\n", mc_strerror(rc));
        return 1;
    }
    if ((rc = cs_load_start(&l, net, clients, per))) {
        fprintf(stderr, "fault_consortium: the load did not start: %s\n", mc_strerror(rc));
        cs_destroy(net);
        return 1;
    }
    fc_sleep_ms(2000);
    unsigned node_kills = 0, etcd_kills = 0, done = 0;
    uint64_t max_lag = 0;
    int max_stall = 0;
    for (; done < cycles && !rc; done++) {
        int down_ms = 300 + rand() % 1700;
        cs_load_stats s;
        cs_load_stats_get(l, &s);
        if (rand() % 4 == 0) {
            unsigned m = (unsigned)rand() % CS_ETCD;
            fprintf(stderr, "cycle %u: etcd member %u down %d ms (%zu acknowledged so far)\n", done + 1, m,
                    down_ms, s.acked);
            int stall = 0;
            rc = fc_etcd_cycle(net, l, m, down_ms, (size_t)clients * per, &stall);
            if (stall < 0 || stall > max_stall) max_stall = stall < 0 ? 60000 : stall;
            fprintf(stderr, "  the load went on %d ms after the kill\n", stall);
            etcd_kills++;
        } else {
            unsigned i = (unsigned)rand() % FC_NODES;
            uint64_t lag = 0;
            fprintf(stderr, "cycle %u: node %u down %d ms (%zu acknowledged so far)\n", done + 1, i, down_ms,
                    s.acked);
            rc = fc_node_cycle(net, i, down_ms, &lag);
            if (lag > max_lag) max_lag = lag;
            node_kills++;
        }
        fc_sleep_ms(500 + rand() % 1000); /* the load goes on between faults */
    }
    size_t lost = 0;
    int identical = 0, verified = 0;
    uint64_t height = 0;
    cs_load_stats s;
    cs_load_stats_get(l, &s);
    size_t acked = fc_check(net, l, &lost, &identical, &verified, &height);
    double secs = (double)(mc_time_mono_ns() - t0) / 1e9;
    printf("{\"name\":\"consortium_faults\",\"cycles\":%u,\"node_kills\":%u,\"etcd_kills\":%u,"
           "\"acknowledged\":%zu,\"lost\":%zu,\"identical\":%s,\"verified\":%s,\"height\":%llu,"
           "\"failed\":%zu,\"unanswered\":%zu,\"max_catch_up_blocks\":%llu,\"max_etcd_stall_ms\":%d,"
           "\"seed\":%u,\"seconds\":%.1f}\n",
           done, node_kills, etcd_kills, acked, lost, identical ? "true" : "false",
           verified ? "true" : "false", (unsigned long long)height, s.failed, s.errors,
           (unsigned long long)max_lag, max_stall, seed, secs);
    if (s.last_failure[0])
        fprintf(stderr, "fault_consortium: the last transaction answered failed: %s\n", s.last_failure);
    cs_load_free(l);
    cs_destroy(net);
    return rc || lost || !identical || !verified || acked == 0;
}
