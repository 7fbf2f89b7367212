/*
 * test_weak_links.c -- delivery that loses nothing and stores nothing twice,
 * proven under faults: 50 real nodes over a flaky link (200 ms latency,
 * 64 kbit/s per connection, cuts every few seconds), a hub SIGKILLed over
 * and over, nodes SIGKILLed mid-send, and a year of backlog piled up while
 * the hub was down.
 *
 * The proxy is tools/flaky_proxy.c run in a thread of this process; the
 * hub and the nodes are the shipped programs. The record to check against
 * is kept independently of the hub: each node's own outbox (what it was
 * told was acknowledged), and the figures this test filed.
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
#include "hub_store.h"
#include "node_outbox.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NODES 50
#define MONTHS 20           /* reports per node: 50 x 20 = 1,000 */
#define SEED 20261122

typedef struct {
    char *dir;                 /* temporary folder */
    bc_hub_t hub;              /* the hub */
    flaky_proxy_t *proxy;      /* the weak link */
    pthread_t proxy_thread;    /* runs the proxy */
    char link[64];             /* the proxy's endpoint, for nodes */
    char units[4096];          /* the test registry */
    bc_proc_t nodes[NODES];    /* node processes */
    char store[NODES][600];    /* their outboxes */
    char code[NODES][32];      /* their units */
} fixture_t;

static void *run_proxy(void *arg)
{
    flaky_proxy_run(arg, -1);
    return NULL;
}

static int64_t births(int node, int month)
{
    return (node * 31 + month * 7) % 97 + 1;
}

static void period_of(int month, char *out, size_t len)
{
    snprintf(out, len, "%04d-%02d", 2022 + month / 12, month % 12 + 1);
}

/* A province W with 5 districts of 10 communes each. */
static void write_registry(fixture_t *f)
{
    snprintf(f->units, sizeof f->units, "%s", bc_path(f->dir, "units.csv"));
    FILE *fp = fopen(f->units, "w");
    assert_non_null(fp);
    fprintf(fp, "code,parent_code,level,name\nW,,province,Tỉnh W\n");
    for (int d = 0; d < 5; d++)
        fprintf(fp, "W-D%d,W,district,Huyện %d\n", d, d);
    for (int k = 0; k < NODES; k++) {
        snprintf(f->code[k], sizeof f->code[k], "W-D%d-C%02d", k / 10, k);
        fprintf(fp, "%s,W-D%d,commune,Xã %d\n", f->code[k], k / 10, k);
    }
    fclose(fp);
}

static void start_proxy(fixture_t *f, uint32_t cut_mean_ms)
{
    flaky_config_t cfg;
    flaky_config_init(&cfg);
    const char *colon = strrchr(f->hub.endpoint, ':');
    cfg.target_host = "127.0.0.1";
    cfg.target_port = atoi(colon + 1);
    cfg.latency_ms = 200;
    cfg.rate_bps = 64000;
    cfg.cut_mean_ms = cut_mean_ms;
    cfg.seed = SEED;
    cfg.max_seconds = 600;
    f->proxy = flaky_proxy_new(&cfg);
    assert_non_null(f->proxy);
    snprintf(f->link, sizeof f->link, "tcp://127.0.0.1:%d",
             flaky_proxy_port(f->proxy));
    assert_int_equal(pthread_create(&f->proxy_thread, NULL, run_proxy,
                                    f->proxy), 0);
    fprintf(stderr, "flaky link seed %d: 200 ms, 64 kbit/s, cut mean %u ms\n",
            SEED, cut_mean_ms);
}

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir("weak");
    bc_hub_init(&f->hub);
    write_registry(f);
    const char *extra[] = {"--registry", f->units, "--log-level", "info",
                           NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int k = 0; k < NODES; k++)
        if (f->nodes[k].pid)
            bc_stop(&f->nodes[k], SIGKILL, 5000);
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

/* Files MONTHS reports into node k's outbox with the real outbox code. */
static void file_reports(fixture_t *f, int k)
{
    char name[32], err[256];
    snprintf(name, sizeof name, "node-%02d", k);
    snprintf(f->store[k], sizeof f->store[k], "%s", bc_path(f->dir, name));
    node_outbox_t *o = node_outbox_open(f->store[k], err, sizeof err);
    assert_non_null(o);
    for (int m = 0; m < MONTHS; m++) {
        bc_report_value_t vals[2] = {
            {"births", true, births(k, m), 0, 0},
            {"sxh_cases", true, k + m, 0, 0}};
        bc_report_t report = {vals, 2};
        char period[16];
        uint8_t id[16];
        uint32_t rev;
        period_of(m, period, sizeof period);
        assert_int_equal(node_outbox_file(o, f->code[k], period, &report,
                                          1704067200, id, &rev), BC_OK);
    }
    node_outbox_close(&o);
}

static void start_node(fixture_t *f, int k)
{
    char log[64];
    snprintf(log, sizeof log, "node-%02d.log", k);
    const char *argv[] = {"--store", f->store[k], "--unit", f->code[k],
                          "--hub", f->link, "--plain", "--drain",
                          "--max-seconds", "400", "--timeout", "4000",
                          "--backoff-min", "200", "--backoff-max", "2000",
                          "--window", "8", "--log-level", "warn", NULL};
    char logpath[4096];
    snprintf(logpath, sizeof logpath, "%s", bc_path(f->dir, log));
    f->nodes[k] = bc_spawn("baocao-node", argv, logpath);
}

static int running_nodes(fixture_t *f)
{
    int n = 0;
    for (int k = 0; k < NODES; k++)
        if (f->nodes[k].pid && bc_wait(&f->nodes[k], 0) < 0)
            n++;
    return n;
}

static void wait_nodes(fixture_t *f)
{
    for (int k = 0; k < NODES; k++) {
        int rc = bc_wait(&f->nodes[k], 420000);
        if (rc != 0) {
            /* The folder goes with the fixture: show the node's last
             * words (an abort's message is on its stderr) before it does. */
            char cmd[4200];
            snprintf(cmd, sizeof cmd, "tail -n 40 %s/node-%02d.log >&2",
                     f->dir, k);
            if (system(cmd) != 0)
                fprintf(stderr, "(no log for node %d)\n", k);
            fail_msg("node %d exited %d (see %s/node-%02d.log)", k, rc,
                     f->dir, k);
        }
    }
}

/* The end state: every node's outbox says all delivered; the hub holds
 * every report exactly once, with the figures filed. */
static void check_everything_once(fixture_t *f)
{
    char err[256];
    for (int k = 0; k < NODES; k++) {
        node_outbox_t *o = node_outbox_open(f->store[k], err, sizeof err);
        node_stats_t st;
        assert_int_equal(node_outbox_stats(o, &st), BC_OK);
        assert_int_equal(st.delivered, MONTHS);
        assert_int_equal(st.pending + st.in_flight + st.rejected, 0);
        node_outbox_close(&o);
    }
    for (int m = 0; m < MONTHS; m++) {
        char period[16];
        period_of(m, period, sizeof period);
        Baocao__Reply *r = bc_query(f->hub.endpoint, "W", period);
        const Baocao__Figure *fig = bc_figure(r, "births");
        int64_t want = 0;
        for (int k = 0; k < NODES; k++)
            want += births(k, m);
        assert_int_equal(fig->value->value, want);
        assert_int_equal(fig->reporting_units, NODES);
        baocao__reply__free_unpacked(r, NULL);
    }
    /* The hub's log: exactly 1,000 stored, however many resends. */
    const char *argv[] = {"audit", "verify", "--store", f->hub.store, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    char want[64];
    snprintf(want, sizeof want, "stored %d,", NODES * MONTHS);
    if (!strstr(out, want))
        fail_msg("hub log: %s", out);
    fprintf(stderr, "%s", out);
    free(out);
}

static void report_link(fixture_t *f)
{
    flaky_stats_t st;
    flaky_proxy_stats(f->proxy, &st);
    fprintf(stderr, "link: %llu connections, %llu cuts, %llu bytes up, "
            "%llu bytes down\n", (unsigned long long) st.accepted,
            (unsigned long long) st.cuts, (unsigned long long) st.bytes_up,
            (unsigned long long) st.bytes_down);
}

/* 50 nodes, 1,000 reports, a link that cuts every few seconds; a few nodes
 * are killed mid-send and restarted. */
static void test_flaky_link(void **state)
{
    fixture_t *f = *state;
    start_proxy(f, 3000);
    for (int k = 0; k < NODES; k++)
        file_reports(f, k);
    for (int k = 0; k < NODES; k++)
        start_node(f, k);
    /* Kill five nodes at odd moments and bring them back. */
    srand(SEED);
    for (int i = 0; i < 5; i++) {
        usleep((useconds_t) (200 + rand() % 800) * 1000);
        int k = rand() % NODES;
        if (bc_wait(&f->nodes[k], 0) < 0) {
            bc_stop(&f->nodes[k], SIGKILL, 5000);
            start_node(f, k);
        }
    }
    wait_nodes(f);
    report_link(f);
    check_everything_once(f);
}

/* The same stream while the hub is SIGKILLed at random moments, at least
 * 20 times, and restarted on its port. */
static void test_hub_killed(void **state)
{
    fixture_t *f = *state;
    start_proxy(f, 5000);
    for (int k = 0; k < NODES; k++)
        file_reports(f, k);
    for (int k = 0; k < NODES; k++)
        start_node(f, k);
    char bind[128];
    snprintf(bind, sizeof bind, "%s", f->hub.endpoint);
    const char *extra[] = {"--registry", f->units, "--log-level", "info",
                           NULL};
    srand(SEED + 1);
    int kills = 0;
    while (kills < 20 || running_nodes(f) > 0) {
        if (running_nodes(f) == 0)
            break;
        usleep((useconds_t) (50 + rand() % 250) * 1000);
        if (kills >= 40)
            continue;   /* enough: let the stream finish */
        bc_hub_pause(&f->hub, SIGKILL);
        usleep((useconds_t) (rand() % 200) * 1000);
        bc_hub_start(&f->hub, f->dir, bind, extra);
        kills++;
    }
    fprintf(stderr, "hub killed %d times during the stream\n", kills);
    assert_true(kills >= 20);
    wait_nodes(f);
    report_link(f);
    check_everything_once(f);
}

typedef struct {
    uint64_t seq[3];           /* log seq by revision (1-based index) */
} revs_t;

static void on_rev(void *arg, uint32_t revision, uint64_t seq,
                   int64_t filed_at, int64_t received_at_us)
{
    revs_t *r = arg;
    (void) filed_at;
    (void) received_at_us;
    if (revision < 3)
        r->seq[revision] = seq;
}

/* A year piles up on a node while the hub is down, with corrections to
 * two months; the backlog drains over the capped link, in order, and the
 * corrections win. */
static void test_backlog_drains_in_order(void **state)
{
    fixture_t *f = *state;
    char bind[128], err[256];
    snprintf(bind, sizeof bind, "%s", f->hub.endpoint);
    start_proxy(f, 0);
    bc_hub_pause(&f->hub, SIGTERM);

    snprintf(f->store[0], sizeof f->store[0], "%s",
             bc_path(f->dir, "node-backlog"));
    node_outbox_t *o = node_outbox_open(f->store[0], err, sizeof err);
    size_t payload = 0;
    int reports = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int m = 0; m < 12; m++) {
            if (pass == 1 && m != 2 && m != 6)
                continue;   /* corrections for March and July */
            /* A full monthly report: every count in the catalogue. */
            bc_report_value_t vals[40];
            char codes[40][32];
            static const char *inds[] = {
                "sxh_cases", "tcm_cases", "soi_cases", "births", "lao_new",
                "kcb_visits", "kcb_inpatients", "sieu_am", "xquang",
                "hiv_new", "sdd_u5", "sdd_u2", "sdd_malnourished",
                "sdd_underweight", "tt_managed", "tcmr_full"};
            size_t n = sizeof inds / sizeof inds[0];
            for (size_t i = 0; i < n; i++) {
                snprintf(codes[i], sizeof codes[i], "%s", inds[i]);
                vals[i] = (bc_report_value_t){codes[i], true,
                                              (int64_t) (m * 100 + i
                                                         + pass * 1000), 0, 0};
            }
            bc_report_t report = {vals, n};
            char period[16];
            snprintf(period, sizeof period, "2023-%02d", m + 1);
            uint8_t id[16];
            uint32_t rev;
            assert_int_equal(node_outbox_file(o, f->code[0], period, &report,
                                              1704067200, id, &rev), BC_OK);
            assert_int_equal(rev, (uint32_t) pass + 1);
            reports++;
        }
    node_outbox_close(&o);
    /* The protobuf payload of each report, as the outbox holds it. */
    o = node_outbox_open(f->store[0], err, sizeof err);
    node_pending_t pend[32];
    size_t np;
    assert_int_equal(node_outbox_pending(o, 0, 32, pend, &np), BC_OK);
    assert_int_equal(np, (size_t) reports);
    for (size_t i = 0; i < np; i++)
        payload += pend[i].blob_len;
    node_pending_free(pend, np);
    node_outbox_close(&o);

    start_node(f, 0);
    sleep(1);   /* the node finds no hub */
    assert_true(bc_wait(&f->nodes[0], 0) < 0);
    flaky_stats_t before;
    flaky_proxy_stats(f->proxy, &before);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *extra[] = {"--registry", f->units, NULL};
    bc_hub_start(&f->hub, f->dir, bind, extra);
    assert_int_equal(bc_wait(&f->nodes[0], 120000), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    flaky_stats_t after;
    flaky_proxy_stats(f->proxy, &after);
    double secs = (double) (t1.tv_sec - t0.tv_sec)
                  + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    uint64_t up = after.bytes_up - before.bytes_up;
    fprintf(stderr, "backlog: %d reports, protobuf payload %zu bytes (%.0f a "
            "report), %llu bytes up the link (%.0f a report, ZMTP framing "
            "and handshakes included); drained in %.2f s from hub start; "
            "the bandwidth alone needs %.2f s, plus 0.4 s round trip\n",
            reports, payload, (double) payload / reports,
            (unsigned long long) up, (double) up / reports, secs,
            (double) up * 8 / 64000);

    /* In order: each month's first revision was logged after the month
     * before it; the corrections are current. */
    hub_store_t *store = hub_store_open_readonly(f->hub.store, err,
                                                 sizeof err);
    assert_non_null(store);
    hub_reader_t *r = hub_store_reader(store);
    uint64_t last = 0;
    for (int m = 0; m < 12; m++) {
        char period[16];
        snprintf(period, sizeof period, "2023-%02d", m + 1);
        bc_period_t p;
        bc_period_parse(period, &p);
        revs_t revs = {{0}};
        assert_int_equal(hub_reader_revisions_code(r, f->code[0], p, on_rev,
                                                   &revs), BC_OK);
        assert_true(revs.seq[1] > last);
        last = revs.seq[1];
        if (m == 2 || m == 6) {
            assert_true(revs.seq[2] > revs.seq[1]);
            assert_int_equal(hub_reader_current_revision(r, f->code[0], p),
                             2);
        }
    }
    hub_reader_destroy(&r);
    hub_store_close(&store);
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, f->code[0], "2023-03",
                               "births", &v));
    assert_int_equal(v, 2 * 100 + 3 + 1000);
    assert_true(bc_query_value(f->hub.endpoint, f->code[0], "2023-04",
                               "births", &v));
    assert_int_equal(v, 3 * 100 + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flaky_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hub_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_drains_in_order, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.weak_links", tests, NULL,
                                       NULL);
}
