/*
 * test_disk_faults.c -- a disk that fails under the hub or a node loses
 * nothing and stores nothing twice.
 *
 * Debian's strace injects the faults into the shipped programs: `-e
 * inject=pwrite64:error=EIO:when=N` fails the Nth pwrite of one thread
 * (LMDB writes its meta page and single data pages with pwrite: a failed
 * meta write marks the environment fatal, MDB_PANIC from then on), and
 * `inject=fdatasync:...` fails the sync of a commit. Strace counts per
 * thread, so at the hub N counts the writer thread's calls: its commits.
 *
 * The test plays the supervisor (systemd's Restart=on-failure): whatever
 * exits with BC_EXIT_STORE_FAILED is started again, without the fault.
 * A daemon that lived on half alive (the zombie hub of issue #22) never
 * exits, and the round times out. Each round files new reports at every
 * node, then injects one fault (hub or node, pwrite or fdatasync, at a
 * different position) while they are delivered. At the end every outbox
 * says delivered, the hub holds every report exactly once with the
 * figures filed, and its hash chain verifies.
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
#include "node_outbox.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STRACE "/usr/bin/strace"
#define NODES 4
#define MONTHS_PER_ROUND 3
#define MAX_PASSES 3         /* more months filed if a fault has not fired */
#define FIRST_YEAR 2015
#define HUB (-1)

/* One injected fault: who, which call, its position in that thread. */
typedef struct {
    int who;                   /* HUB or a node index */
    const char *call;          /* pwrite64 or fdatasync */
    int when;                  /* which invocation fails */
} fault_t;

static const fault_t faults[] = {
    {HUB, "pwrite64", 2},  {0, "pwrite64", 2},  {HUB, "fdatasync", 2},
    {1, "fdatasync", 1},   {HUB, "pwrite64", 4}, {2, "pwrite64", 4},
    {HUB, "fdatasync", 3}, {3, "fdatasync", 3},
};
#define ROUNDS (int) (sizeof faults / sizeof faults[0])

typedef struct {
    char *dir;                 /* temporary folder */
    bc_hub_t hub;              /* the hub */
    char bind[128];            /* its endpoint, kept across restarts */
    char units[4096];          /* the test registry */
    bc_proc_t nodes[NODES];    /* node processes */
    char store[NODES][600];    /* their outboxes */
    char code[NODES][32];      /* their units */
    int months;                /* months filed at every node so far */
    int restarts;              /* processes restarted after exit 74 */
} fixture_t;

static int64_t births(int node, int month)
{
    return (node * 13 + month * 5) % 89 + 1;
}

static void period_of(int month, char *out, size_t len)
{
    snprintf(out, len, "%04d-%02d", FIRST_YEAR + month / 12, month % 12 + 1);
}

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir("disk-faults");
    bc_hub_init(&f->hub);
    snprintf(f->units, sizeof f->units, "%s", bc_path(f->dir, "units.csv"));
    FILE *fp = fopen(f->units, "w");
    assert_non_null(fp);
    fprintf(fp, "code,parent_code,level,name\nW,,province,Tỉnh W\n"
                "W-D0,W,district,Huyện 0\n");
    for (int k = 0; k < NODES; k++) {
        snprintf(f->code[k], sizeof f->code[k], "W-D0-C%d", k);
        fprintf(fp, "%s,W-D0,commune,Xã %d\n", f->code[k], k);
        char name[32];
        snprintf(name, sizeof name, "node-%d", k);
        snprintf(f->store[k], sizeof f->store[k], "%s",
                 bc_path(f->dir, name));
    }
    fclose(fp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int k = 0; k < NODES; k++)
        if (f->nodes[k].pid)
            bc_stop(&f->nodes[k], SIGKILL, 5000);
    bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The strace command line for a fault; argv points into buf. */
static const char *const *wrapper(const fault_t *fault, const char *trace,
                                  char buf[128], const char *argv[12])
{
    snprintf(buf, 128, "inject=%s:error=EIO:when=%d", fault->call,
             fault->when);
    const char *w[] = {STRACE, "-f", "-qq", "-o", trace, "-e",
                       "trace=pwrite64,fdatasync", "-e", buf, NULL};
    memcpy(argv, w, sizeof w);
    return argv;
}

static void start_hub(fixture_t *f, const fault_t *fault, int round)
{
    char buf[128], trace[4096];
    const char *argv[12];
    snprintf(trace, sizeof trace, "%s/hub-strace-%d.log", f->dir, round);
    f->hub.wrap = fault ? wrapper(fault, trace, buf, argv) : NULL;
    const char *extra[] = {"--registry", f->units, "--log-level", "info",
                           NULL};
    bc_hub_start(&f->hub, f->dir, *f->bind ? f->bind : NULL, extra);
    f->hub.wrap = NULL;
    if (!*f->bind)
        snprintf(f->bind, sizeof f->bind, "%s", f->hub.endpoint);
}

static void start_node(fixture_t *f, int k, const fault_t *fault, int round)
{
    char log[4096], trace[4096], buf[128];
    const char *wargv[12];
    snprintf(log, sizeof log, "%s/node-%d.log", f->dir, k);
    snprintf(trace, sizeof trace, "%s/node-%d-strace-%d.log", f->dir, k,
             round);
    const char *argv[] = {"--store", f->store[k], "--unit", f->code[k],
                          "--hub", f->bind, "--plain", "--drain",
                          "--max-seconds", "60", "--timeout", "1500",
                          "--backoff-min", "100", "--backoff-max", "500",
                          "--window", "2", "--log-level", "info", NULL};
    f->nodes[k] = fault ? bc_spawn_wrapped(wrapper(fault, trace, buf, wargv),
                                           "baocao-node", argv, log)
                        : bc_spawn("baocao-node", argv, log);
}

/* Files the next MONTHS_PER_ROUND months at every node. */
static void file_round(fixture_t *f)
{
    char err[256];
    for (int k = 0; k < NODES; k++) {
        node_outbox_t *o = node_outbox_open(f->store[k], err, sizeof err);
        assert_non_null(o);
        for (int m = f->months; m < f->months + MONTHS_PER_ROUND; m++) {
            bc_report_value_t val = {"births", true, births(k, m), 0, 0};
            bc_report_t report = {&val, 1};
            char period[16];
            uint8_t id[16];
            uint32_t rev;
            period_of(m, period, sizeof period);
            assert_int_equal(node_outbox_file(o, f->code[k], period, &report,
                                              1704067200, id, &rev), BC_OK);
        }
        node_outbox_close(&o);
    }
    f->months += MONTHS_PER_ROUND;
}

static bool file_has(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, fp))
        found = strstr(line, needle) != NULL;
    fclose(fp);
    return found;
}

/* Supervises one round until every node has drained; restarts whatever
 * exits 74. Returns whether the faulted process exited 74. */
static bool supervise(fixture_t *f, const fault_t *fault, int round)
{
    bool fired = false;
    time_t deadline = time(NULL) + 40;
    for (;;) {
        if (time(NULL) > deadline)
            fail_msg("round %d (%s at %s #%d) did not finish: see %s", round,
                     fault->who == HUB ? "hub" : f->code[fault->who],
                     fault->call, fault->when, f->dir);
        int hub_rc = bc_wait(&f->hub.proc, 0);
        if (hub_rc >= 0) {
            /* Exited by itself: only a store failure may do that. */
            if (hub_rc != BC_EXIT_STORE_FAILED)
                fail_msg("round %d: hub exited %d (see %s)", round, hub_rc,
                         f->hub.log);
            assert_true(file_has(f->hub.log, "dmesg"));
            if (fault->who == HUB)
                fired = true;
            bc_hub_pause(&f->hub, SIGTERM);   /* hold its port */
            start_hub(f, NULL, round);
            f->restarts++;
        }
        int done = 0;
        for (int k = 0; k < NODES; k++) {
            if (!f->nodes[k].pid) {
                done++;
                continue;
            }
            int rc = bc_wait(&f->nodes[k], 0);
            if (rc < 0)
                continue;
            if (rc == BC_EXIT_STORE_FAILED) {
                char log[4096];
                snprintf(log, sizeof log, "%s/node-%d.log", f->dir, k);
                assert_true(file_has(log, f->store[k]));
                if (fault->who == k)
                    fired = true;
                start_node(f, k, NULL, round);
                f->restarts++;
            } else if (rc != 0) {
                fail_msg("round %d: node %d exited %d (see %s)", round, k, rc,
                         f->dir);
            } else {
                f->nodes[k].pid = 0;   /* drained */
            }
        }
        if (done == NODES)
            return fired;
        usleep(20000);
    }
}

static void check_everything_once(fixture_t *f)
{
    char err[256];
    int total = NODES * f->months;
    for (int k = 0; k < NODES; k++) {
        node_outbox_t *o = node_outbox_open(f->store[k], err, sizeof err);
        assert_non_null(o);
        assert_int_equal(node_outbox_repaired(o), 0);
        node_stats_t st;
        assert_int_equal(node_outbox_stats(o, &st), BC_OK);
        assert_int_equal(st.delivered, f->months);
        assert_int_equal(st.pending + st.in_flight + st.rejected, 0);
        node_outbox_close(&o);
        /* The hub never answered without a real status. */
        char log[4096];
        snprintf(log, sizeof log, "%s/node-%d.log", f->dir, k);
        assert_false(file_has(log, "not a final answer"));
    }
    int64_t year[ROUNDS * MAX_PASSES * MONTHS_PER_ROUND / 12 + 1] = {0};
    for (int m = 0; m < f->months; m++)
        for (int k = 0; k < NODES; k++)
            year[m / 12] += births(k, m);
    for (int y = 0; y * 12 < f->months; y++) {
        char period[16];
        snprintf(period, sizeof period, "%04d-12", FIRST_YEAR + y);
        int64_t v = 0;
        if (f->months >= (y + 1) * 12) {
            Baocao__Reply *r = bc_query(f->hub.endpoint, "W", period);
            const Baocao__Figure *fig = bc_figure(r, "births");
            assert_non_null(fig);
            v = fig->cumulative->value;
            baocao__reply__free_unpacked(r, NULL);
            assert_int_equal(v, year[y]);
            fprintf(stderr, "year %d total at the province: %lld\n",
                    FIRST_YEAR + y, (long long) v);
        }
    }
    for (int m = 0; m < f->months; m++) {
        char period[16];
        period_of(m, period, sizeof period);
        int64_t want = 0, v = 0;
        for (int k = 0; k < NODES; k++)
            want += births(k, m);
        assert_true(bc_query_value(f->hub.endpoint, "W", period, "births",
                                   &v));
        assert_int_equal(v, want);
    }
    /* The hub's log: every report exactly once, the chain intact. */
    bc_hub_stop(&f->hub);
    const char *argv[] = {"audit", "verify", "--store", f->hub.store, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    char want[64];
    snprintf(want, sizeof want, "stored %d,", total);
    if (!strstr(out, want))
        fail_msg("hub log: %s (want %s)", out, want);
    fprintf(stderr, "%s", out);
    free(out);
}

static void test_disk_faults(void **state)
{
    fixture_t *f = *state;
    if (access(STRACE, X_OK) != 0) {
        fprintf(stderr, "SKIPPED: %s is missing (scripts/install-deps.sh "
                "installs Debian's strace)\n", STRACE);
        skip();
    }
    /* A first clean start creates the store: the faults then hit the
     * writer thread's commits, not the creation of the store. */
    start_hub(f, NULL, -1);
    for (int round = 0; round < ROUNDS; round++) {
        const fault_t *fault = &faults[round];
        if (fault->who == HUB) {
            bc_hub_pause(&f->hub, SIGTERM);
            start_hub(f, fault, round);
        }
        /* Under load the hub groups more reports per commit: if the round
         * made too few calls for the fault to fire, file more. */
        bool fired = false;
        for (int pass = 0; pass < MAX_PASSES && !fired; pass++) {
            file_round(f);
            for (int k = 0; k < NODES; k++)
                start_node(f, k, fault->who == k ? fault : NULL, round);
            fired = supervise(f, fault, round);
        }
        fprintf(stderr, "round %d: EIO on %s #%d at the %s: %s\n", round,
                fault->call, fault->when,
                fault->who == HUB ? "hub" : f->code[fault->who],
                fired ? "exited 74, restarted" : "NOT FIRED");
        if (!fired)
            fail_msg("round %d: the fault did not stop its process", round);
    }
    fprintf(stderr, "%d restarts after exit %d\n", f->restarts,
            BC_EXIT_STORE_FAILED);
    check_everything_once(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_disk_faults, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.disk_faults", tests, NULL,
                                       NULL);
}
