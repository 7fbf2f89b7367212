/*
 * test_silence.c -- the node's judgement of a silent link, and the truth
 * of its exit status (issue #26, items 1 and 6).
 *
 * A field trial found that a node idle for longer than --timeout, which
 * then sent a new report over a slow link (500 ms +- 300 ms), declared
 * the link silent at once and sent the report again: the silence was
 * counted from the last answer, not from the oldest unanswered send, and
 * every report filed after a pause reached the hub twice. Here a real hub
 * and a real node talk through baocao-flaky (tools/flaky_proxy.c, in a
 * thread of this process) with that latency and no faults; the hub's own
 * log (`baocao audit verify`) must show no duplicate.
 *
 * An idle node closes its link (--idle-disconnect) and opens it again
 * when a report is filed; with the hub gone it follows the one backoff
 * and says "hub unreachable", not "check --hub-key".
 *
 * After the link goes silent with reports waiting, the node probes: one
 * connection, opened at once and held through a black hole, that carries
 * the backlog as soon as the link is back, instead of a sleep through
 * the backoff (issue #21, item 4). And `baocao status` tells the truth
 * about it: nothing "in flight" once the connection is gone, the current
 * error and the next try, and no error of an earlier run as if current.
 *
 * And `--max-seconds` used to exit 3 ("time ran out with reports
 * undelivered") after delivering everything: it must exit 0 then.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_mem.h"
#include "bc_report.h"
#include "bc_test.h"
#include "flaky_proxy.h"
#include "node_outbox.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT "HP-HB-QT"
#define SEED 2612601

typedef struct {
    char *dir;                 /* temporary folder */
    bc_hub_t hub;              /* the hub */
    flaky_proxy_t *proxy;      /* the slow link, NULL when not used */
    pthread_t proxy_thread;    /* runs the proxy */
    char link[64];             /* the proxy's endpoint */
    char store[600];           /* the node's outbox */
    bc_proc_t node;            /* the node process */
} fixture_t;

static void *run_proxy(void *arg)
{
    flaky_proxy_run(arg, -1);
    return NULL;
}

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir("silence");
    bc_hub_init(&f->hub);
    const char *extra[] = {"--log-level", "info", NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    snprintf(f->store, sizeof f->store, "%s", bc_path(f->dir, "node"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f->node.pid)
        bc_stop(&f->node, SIGKILL, 5000);
    if (f->proxy) {
        flaky_proxy_stop(f->proxy);
        pthread_join(f->proxy_thread, NULL);
        flaky_proxy_destroy(&f->proxy);
    }
    bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* A link of latency_ms +- jitter_ms each way, no faults. */
static void start_link(fixture_t *f, int latency_ms, int jitter_ms)
{
    flaky_config_t cfg;
    flaky_config_init(&cfg);
    const char *colon = strrchr(f->hub.endpoint, ':');
    cfg.target_host = "127.0.0.1";
    cfg.target_port = atoi(colon + 1);
    cfg.latency_ms = latency_ms;
    cfg.jitter_ms = jitter_ms;
    cfg.seed = SEED;
    cfg.max_seconds = 300;
    f->proxy = flaky_proxy_new(&cfg);
    assert_non_null(f->proxy);
    snprintf(f->link, sizeof f->link, "tcp://127.0.0.1:%d",
             flaky_proxy_port(f->proxy));
    assert_int_equal(pthread_create(&f->proxy_thread, NULL, run_proxy,
                                    f->proxy), 0);
}

/* A link of 500 ms +- 300 ms each way, no faults. */
static void start_slow_link(fixture_t *f)
{
    start_link(f, 500, 300);
}

/* Files one report for `period` with the real outbox code (beside a
 * running node, as `baocao submit` does). */
static void file_report(fixture_t *f, const char *period, int64_t births)
{
    char err[256];
    node_outbox_t *o = node_outbox_open(f->store, err, sizeof err);
    assert_non_null(o);
    bc_report_value_t vals[1] = {{"births", true, births, 0, 0}};
    bc_report_t report = {vals, 1};
    uint8_t id[16];
    uint32_t rev;
    assert_int_equal(node_outbox_file(o, UNIT, period, &report, 1704067200,
                                      id, &rev), BC_OK);
    node_outbox_close(&o);
}

typedef struct {
    const char *store;         /* the outbox */
    uint64_t want;             /* delivered reports to wait for */
} delivered_t;

static bool all_delivered(void *arg)
{
    delivered_t *d = arg;
    char err[256];
    node_stats_t st;
    node_outbox_t *o = node_outbox_open(d->store, err, sizeof err);
    if (!o)
        return false;
    bool ok = node_outbox_stats(o, &st) == BC_OK && st.delivered >= d->want;
    node_outbox_close(&o);
    return ok;
}

/* Starts the node through the link (--timeout 3000, its debug log in
 * `log`) and waits up to wait_ms for the report filed before to be
 * delivered. */
static void start_node(fixture_t *f, char *log, size_t loglen, int wait_ms)
{
    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->link, "--plain", "--timeout", "3000",
                          "--log-level", "debug", NULL};
    snprintf(log, loglen, "%s", bc_path(f->dir, "node.log"));
    f->node = bc_spawn("baocao-node", argv, log);
    delivered_t d = {f->store, 1};
    assert_true(bc_eventually(all_delivered, &d, wait_ms));
}

/* The hub's log: "stored N, duplicate M, ..." from `baocao audit verify`. */
static void hub_counts(fixture_t *f, unsigned long long *stored,
                       unsigned long long *dups)
{
    const char *argv[] = {"audit", "verify", "--store", f->hub.store, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    const char *p = strstr(out, "stored ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "stored %llu, duplicate %llu", stored, dups),
                     2);
    fprintf(stderr, "%s", out);
    free(out);
}

/* Idle longer than --timeout, then send: the report goes once. Twice
 * over, so that the second pause follows a delivery made after a pause. */
static void test_idle_then_send(void **state)
{
    fixture_t *f = *state;
    start_slow_link(f);
    file_report(f, "2023-01", 11);
    char log[4096];
    start_node(f, log, sizeof log, 30000);
    delivered_t d = {f->store, 1};
    for (int round = 0; round < 2; round++) {
        sleep(5);   /* idle: longer than --timeout since the last answer */
        char period[16];
        snprintf(period, sizeof period, "2023-%02d", round + 2);
        file_report(f, period, 12 + round);
        d.want++;
        assert_true(bc_eventually(all_delivered, &d, 30000));
    }
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    unsigned long long stored, dups;
    hub_counts(f, &stored, &dups);
    assert_int_equal(stored, 3);
    if (dups)
        fail_msg("%llu report(s) sent twice after an idle pause (see %s)",
                 dups, log);
    assert_false(bc_file_contains(log, "link is silent"));
}

/* --max-seconds after everything was delivered: exit 0, not 3; with a
 * report left undelivered (no hub there): exit 3. */
static void test_max_seconds_tells_the_truth(void **state)
{
    fixture_t *f = *state;
    file_report(f, "2023-05", 5);
    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->hub.endpoint, "--plain", "--max-seconds", "3",
                          NULL};
    char log[4096];
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "node.log"));
    f->node = bc_spawn("baocao-node", argv, log);
    assert_int_equal(bc_wait(&f->node, 20000), 0);

    /* Nobody listens on the hub's port any more. */
    bc_hub_pause(&f->hub, SIGTERM);
    file_report(f, "2023-06", 6);
    f->node = bc_spawn("baocao-node", argv, log);
    assert_int_equal(bc_wait(&f->node, 20000), 3);
}

/* A loopback port nobody listens on: one the kernel just gave out and
 * took back (from the ephemeral range, above the 20000-32000 that
 * bc_test's hubs use), so that connecting to it is refused. */
static int closed_port(void)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

typedef struct {
    flaky_proxy_t *proxy;      /* the link */
    uint64_t want;             /* connections to wait for */
} conns_t;

static bool connections_seen(void *arg)
{
    conns_t *c = arg;
    flaky_stats_t st;
    flaky_proxy_stats(c->proxy, &st);
    return st.accepted >= c->want;
}

/* The hub is gone behind a link that accepts connections (a mobile
 * operator's gateway, here baocao-flaky, whose connections to the hub's
 * address are refused): each connection is closed while being set up. The node must follow --backoff-min doubling to
 * --backoff-max, not libzmq's own reconnect rhythm: over D seconds, at
 * most log2(max/min) + D/max + 1 tries, plus a little for the +-25 %
 * jitter. And it sleeps meanwhile: no connection is held idle. */
static void test_hub_down_backs_off(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    flaky_config_init(&cfg);
    cfg.target_host = "127.0.0.1";
    cfg.target_port = closed_port();
    cfg.seed = SEED;
    cfg.max_seconds = 300;
    f->proxy = flaky_proxy_new(&cfg);
    assert_non_null(f->proxy);
    snprintf(f->link, sizeof f->link, "tcp://127.0.0.1:%d",
             flaky_proxy_port(f->proxy));
    assert_int_equal(pthread_create(&f->proxy_thread, NULL, run_proxy,
                                    f->proxy), 0);
    file_report(f, "2023-07", 7);
    /* min 250 ms, max 2 s: log2(8) = 3, over 16 s 16 / 2 = 8, + 1 = 12. */
    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->link, "--plain", "--backoff-min", "250",
                          "--backoff-max", "2000", "--timeout", "1000",
                          "--max-seconds", "16", NULL};
    char log[4096];
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "node.log"));
    f->node = bc_spawn("baocao-node", argv, log);
    conns_t c = {f->proxy, 1};
    assert_true(bc_eventually(connections_seen, &c, 10000));
    assert_int_equal(bc_wait(&f->node, 30000), 3);
    flaky_stats_t st;
    flaky_proxy_stats(f->proxy, &st);
    fprintf(stderr, "hub down for 16 s: %llu connection attempts\n",
            (unsigned long long) st.accepted);
    /* 12, and the jitter: the shortest waits are 3/4 of the backoff. */
    if (st.accepted > 15)
        fail_msg("%llu connection attempts in 16 s with the hub down, "
                 "where the backoff allows about 12 (see %s)",
                 (unsigned long long) st.accepted, log);
    assert_true(bc_file_contains(log, "hub unreachable"));
    assert_false(bc_file_contains(log, "check --hub-key"));
}

static bool link_closed(void *arg)
{
    flaky_stats_t st;
    flaky_proxy_stats(arg, &st);
    return st.active == 0;
}

/* An idle node holds no connection (--idle-disconnect), and opens one
 * when a report is filed: nothing crosses a metered link for nothing. */
static void test_idle_node_closes_the_link(void **state)
{
    fixture_t *f = *state;
    start_slow_link(f);
    file_report(f, "2023-08", 8);
    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->link, "--plain", "--idle-disconnect", "2000",
                          "--log-level", "debug", NULL};
    char log[4096];
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "node.log"));
    f->node = bc_spawn("baocao-node", argv, log);
    delivered_t d = {f->store, 1};
    assert_true(bc_eventually(all_delivered, &d, 30000));
    assert_true(bc_eventually(link_closed, f->proxy, 15000));
    flaky_stats_t a, b;
    flaky_proxy_stats(f->proxy, &a);
    sleep(3);   /* idle, disconnected: not a byte */
    flaky_proxy_stats(f->proxy, &b);
    assert_int_equal(b.bytes_up + b.bytes_down, a.bytes_up + a.bytes_down);
    assert_int_equal(b.accepted, a.accepted);
    file_report(f, "2023-09", 9);
    d.want++;
    assert_true(bc_eventually(all_delivered, &d, 30000));
    flaky_proxy_stats(f->proxy, &b);
    assert_int_equal(b.accepted, a.accepted + 1);   /* opened again */
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    unsigned long long stored, dups;
    hub_counts(f, &stored, &dups);
    assert_int_equal(stored, 2);
    assert_int_equal(dups, 0);
}

static char *status_json(const char *store)
{
    const char *argv[] = {"status", "--store", store, "--format", "json",
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    return out;
}

typedef struct {
    const char *store;         /* the outbox */
    const char *want;          /* text the status JSON must hold */
} status_has_t;

static bool status_has(void *arg)
{
    status_has_t *h = arg;
    char *js = status_json(h->store);
    bool ok = strstr(js, h->want) != NULL;
    free(js);
    return ok;
}

/* A link that goes black with a report in flight. The node judges it
 * silent and probes: it opens one connection at once and holds it for as
 * long as the black hole lasts (here 12 s, where the old node slept
 * through its backoff, then held a connection for 3 x --timeout, gave up
 * on it as "hub unreachable", slept again: five connections or more).
 * When the link is back, that same connection carries the report: no
 * further connection is made. Meanwhile `baocao status` shows the report
 * waiting to be sent (not in flight: nothing of it is on the wire), the
 * error, and when the probe is renewed. */
static void test_probe_holds_through_a_black_hole(void **state)
{
    fixture_t *f = *state;
    start_slow_link(f);
    file_report(f, "2023-10", 10);
    char log[4096];
    start_node(f, log, sizeof log, 30000);
    delivered_t d = {f->store, 1};

    flaky_proxy_blackhole(f->proxy, 1);
    flaky_stats_t a, b;
    flaky_proxy_stats(f->proxy, &a);
    file_report(f, "2023-11", 11);
    /* Sent, unanswered, judged silent: then waiting, not in flight. */
    status_has_t h = {f->store, "no answer from"};
    assert_true(bc_eventually(status_has, &h, 20000));
    char *js = status_json(f->store);
    if (!strstr(js, "\"in_flight\":\t0") || !strstr(js, "\"pending\":\t1")
        || !strstr(js, "\"next_retry\""))
        fail_msg("status after the link went silent:\n%s", js);
    free(js);
    sleep(10);
    flaky_proxy_stats(f->proxy, &b);
    uint64_t during = b.accepted - a.accepted;
    flaky_proxy_blackhole(f->proxy, 0);
    d.want++;
    assert_true(bc_eventually(all_delivered, &d, 30000));
    flaky_stats_t c;
    flaky_proxy_stats(f->proxy, &c);
    fprintf(stderr, "black hole of ~12 s: %llu connection(s) during it, "
            "%llu after\n", (unsigned long long) during,
            (unsigned long long) (c.accepted - b.accepted));
    if (during != 1 || c.accepted != b.accepted)
        fail_msg("%llu connections during the black hole and %llu after: "
                 "the probe should hold one (see %s)",
                 (unsigned long long) during,
                 (unsigned long long) (c.accepted - b.accepted), log);
    assert_true(bc_file_contains(log, "the hub answers again"));
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    unsigned long long stored, dups;
    hub_counts(f, &stored, &dups);
    assert_int_equal(stored, 2);
}

typedef struct {
    const char *endpoint;      /* the hub, directly */
    const char *period;        /* the report's period */
} stored_t;

static bool hub_has(void *arg)
{
    stored_t *s = arg;
    int64_t v = 0;
    return bc_query_value(s->endpoint, UNIT, s->period, "births", &v)
           && v > 0;
}

/* Through a link of a second each way: report 1 delivered, then report 2
 * filed and stored by the hub, its Ack still on the way down (about a
 * second) when this returns: the moment to lose it. The node's log is in
 * `log`. */
static void ack_on_its_way(fixture_t *f, char *log, size_t loglen)
{
    start_link(f, 1000, 0);
    file_report(f, "2023-10", 10);
    start_node(f, log, loglen, 60000);
    file_report(f, "2023-11", 11);
    stored_t s = {f->hub.endpoint, "2023-11"};
    assert_true(bc_eventually(hub_has, &s, 30000));
}

/* The answer to a report is lost after the hub stored it (the link goes
 * black while the Ack crosses it). The probe that follows the silence
 * asks which of the reports it sent the hub holds (Ping.held_asked): the
 * report is settled from the Pong, not sent again, and the hub's log
 * shows no duplicate. Before, every such report crossed the link twice
 * (the harsh profile's duplicates, integration.harsh_link). */
static void test_probe_asks_what_the_hub_holds(void **state)
{
    fixture_t *f = *state;
    char log[4096];
    ack_on_its_way(f, log, sizeof log);
    delivered_t d = {f->store, 1};
    /* Black out the link while the Ack is in it. */
    flaky_proxy_blackhole(f->proxy, 1);
    status_has_t h = {f->store, "no answer from"};
    assert_true(bc_eventually(status_has, &h, 60000));
    flaky_proxy_blackhole(f->proxy, 0);
    d.want++;
    assert_true(bc_eventually(all_delivered, &d, 60000));
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    if (!bc_file_contains(log, "the hub held them"))
        fail_msg("report 2 was not settled by the probe (see %s)", log);
    unsigned long long stored, dups;
    hub_counts(f, &stored, &dups);
    assert_int_equal(stored, 2);
    assert_int_equal(dups, 0);
}

/* A node killed once the hub has stored a report but before its Ack came
 * back: the next run asks the hub first (the Ping's held_asked, at
 * start) and settles the report from the Pong instead of sending it
 * again; the hub's log shows no duplicate. Before, the restart resent
 * its whole window, every report answered ACK_DUPLICATE. */
static void test_restart_asks_what_the_hub_holds(void **state)
{
    fixture_t *f = *state;
    char log[4096];
    ack_on_its_way(f, log, sizeof log);
    delivered_t d = {f->store, 1};
    /* The node dies before the Ack arrives. */
    assert_int_equal(bc_stop(&f->node, SIGKILL, 10000), 128 + SIGKILL);
    delivered_t both = {f->store, 2};
    assert_false(all_delivered(&both));   /* its Ack never came */

    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->link, "--plain", "--timeout", "3000",
                          "--log-level", "debug", NULL};
    char log2[4096];
    snprintf(log2, sizeof log2, "%s", bc_path(f->dir, "node-2.log"));
    f->node = bc_spawn("baocao-node", argv, log2);
    d.want++;
    assert_true(bc_eventually(all_delivered, &d, 60000));
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    unsigned long long stored, dups;
    hub_counts(f, &stored, &dups);
    assert_int_equal(stored, 2);
    if (dups)
        fail_msg("%llu report(s) sent again after the restart (see %s)",
                 dups, log2);
    if (!bc_file_contains(log2, "were not answered")
        || !bc_file_contains(log2, "the hub held them"))
        fail_msg("report 2 was not settled by the question at start (see "
                 "%s)", log2);
}

/* The question at start does not hide a hub that cannot be reached: a
 * node that starts with a report sent by an earlier run, behind a link
 * that carries nothing, says "hub unreachable" as any node does; once
 * the link is back the report is delivered once. */
static void test_restart_unreachable_is_told(void **state)
{
    fixture_t *f = *state;
    start_slow_link(f);
    flaky_proxy_blackhole(f->proxy, 1);
    file_report(f, "2023-09", 9);
    /* As an earlier run leaves it: sent, never answered. */
    char err[256];
    node_outbox_t *o = node_outbox_open(f->store, err, sizeof err);
    assert_non_null(o);
    uint64_t seq = 1;
    assert_int_equal(node_outbox_mark_sent(o, &seq, 1, 1704067300), BC_OK);
    node_outbox_close(&o);

    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->link, "--plain", "--timeout", "500",
                          "--backoff-min", "200", "--backoff-max", "400",
                          "--log-level", "debug", NULL};
    char log[4096];
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "node.log"));
    f->node = bc_spawn("baocao-node", argv, log);
    status_has_t h = {f->store, "hub unreachable"};
    assert_true(bc_eventually(status_has, &h, 20000));
    assert_true(bc_file_contains(log, "were not answered"));
    flaky_proxy_blackhole(f->proxy, 0);
    delivered_t d = {f->store, 1};
    assert_true(bc_eventually(all_delivered, &d, 30000));
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    unsigned long long stored, dups;
    hub_counts(f, &stored, &dups);
    assert_int_equal(stored, 1);
    assert_int_equal(dups, 0);
}

/* An error recorded by an earlier run is not the current one: a node
 * that starts and delivers clears it (it used to stay "last error" for
 * ever, the new process not knowing it was there). */
static void test_old_error_is_not_current(void **state)
{
    fixture_t *f = *state;
    start_slow_link(f);
    flaky_proxy_blackhole(f->proxy, 1);
    file_report(f, "2023-12", 12);
    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->link, "--plain", "--timeout", "500",
                          "--backoff-min", "200", "--backoff-max", "400",
                          NULL};
    char log[4096];
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "node.log"));
    f->node = bc_spawn("baocao-node", argv, log);
    /* The first run records why it cannot deliver, and stops. */
    status_has_t h = {f->store, "hub unreachable"};
    assert_true(bc_eventually(status_has, &h, 20000));
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    flaky_proxy_blackhole(f->proxy, 0);
    /* The next run delivers: no error is current. */
    const char *argv2[] = {"--store", f->store, "--unit", UNIT, "--hub",
                           f->link, "--plain", "--timeout", "5000", NULL};
    f->node = bc_spawn("baocao-node", argv2, log);
    delivered_t d = {f->store, 1};
    assert_true(bc_eventually(all_delivered, &d, 30000));
    char *js = status_json(f->store);
    if (!strstr(js, "\"last_error\":\t\"\""))
        fail_msg("an earlier run's error shown as current:\n%s", js);
    free(js);
    assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
}

/* A hub that is alive but slow to answer: its commit's data sync takes
 * 3 s (Debian's strace delays the fdatasync calls of its writer thread;
 * LMDB writes the meta page through an O_DSYNC descriptor), longer than
 * the node's 2 s limit, shorter than 3 x it. The
 * node's heartbeat Pings, answered by the hub's main loop meanwhile, are
 * signs of life: the report goes once. Before, the node judged the link
 * silent at 2 s and sent the report again (a duplicate in the hub's
 * log). */
static void test_slow_hub_answers_heartbeats(void **state)
{
    fixture_t *f = *state;
    if (access("/usr/bin/strace", X_OK) != 0) {
        fprintf(stderr, "no /usr/bin/strace (scripts/install-deps.sh "
                "installs it)\n");
        fail();
    }
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s", bc_path(f->dir, "slow"));
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *wrap[] = {"/usr/bin/strace", "-f", "-qq", "-o", "/dev/null",
                          "-e", "trace=fdatasync", "-e",
                          "inject=fdatasync:delay_enter=3000000", NULL};
    bc_hub_init(&f->hub);
    f->hub.wrap = wrap;
    const char *extra[] = {"--log-level", "info", NULL};
    bc_hub_start(&f->hub, dir, NULL, extra);
    f->hub.wrap = NULL;
    file_report(f, "2024-01", 21);
    const char *argv[] = {"--store", f->store, "--unit", UNIT, "--hub",
                          f->hub.endpoint, "--plain", "--timeout", "2000",
                          "--drain", "--max-seconds", "60", "--log-level",
                          "debug", NULL};
    char log[4096];
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "node.log"));
    f->node = bc_spawn("baocao-node", argv, log);
    assert_int_equal(bc_wait(&f->node, 90000), 0);
    unsigned long long stored, dups;
    hub_counts(f, &stored, &dups);
    assert_int_equal(stored, 1);
    if (dups)
        fail_msg("%llu duplicate(s): a slow hub taken for a silent link "
                 "(see %s)", dups, log);
    assert_false(bc_file_contains(log, "link is silent"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_then_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_seconds_tells_the_truth,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_hub_down_backs_off, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_node_closes_the_link,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_holds_through_a_black_hole,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_asks_what_the_hub_holds,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_unreachable_is_told,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_asks_what_the_hub_holds,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_error_is_not_current, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slow_hub_answers_heartbeats,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.silence", tests, NULL,
                                       NULL);
}
