/*
 * test_query_cache.c -- the hub's reply cache (hub_cache.h, issue #21)
 * against a real hub: a repeated query is answered from the cache (its
 * own tag each time), a report committed since changes the answer at
 * once, a registry reloaded on SIGHUP too, and a slice and a
 * completeness request follow the same rule. The scope half (a cached
 * answer is never given to another identity) is in test_scopes.c, which
 * has the CURVE keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_client.h"
#include "bc_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char BEFORE[] =
    "code,parent_code,level,name,reports,valid_from,valid_to\n"
    "P,,province,P,no,,\nD1,P,district,D1,no,,\nD2,P,district,D2,no,,\n"
    "M,D1,commune,M,yes,,\nE,D1,commune,E,yes,,\nX,D2,commune,X,yes,,\n";
/* E moves from D1 to D2 from 2025-01 on. */
static const char MOVED[] =
    "code,parent_code,level,name,reports,valid_from,valid_to\n"
    "P,,province,P,no,,\nD1,P,district,D1,no,,\nD2,P,district,D2,no,,\n"
    "M,D1,commune,M,yes,,\nE,D1,commune,E,yes,,2024-12\n"
    "E,D2,commune,E,yes,2025-01,\nX,D2,commune,X,yes,,\n";

#define FILED 1767225600   /* 2026-01-01T00:00:00Z */

typedef struct {
    char *dir;            /* temporary folder */
    char units[600];      /* the registry file */
    bc_hub_t hub;         /* the hub under test */
    bc_client_t *client;  /* one link: its tags go 1, 2, 3... */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("qcache");
    snprintf(f->units, sizeof f->units, "%s/units.csv", f->dir);
    bc_write_file(f->units, BEFORE);
    bc_hub_init(&f->hub);
    const char *extra[] = {"--registry", f->units, "--log-level", "debug",
                           NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    char err[256];
    f->client = bc_client_new(f->hub.endpoint, NULL, err, sizeof err);
    assert_non_null(f->client);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    bc_client_destroy(&f->client);
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* How many times the hub's log says it answered from the cache. */
static int cache_hits(fixture_t *f)
{
    FILE *fp = fopen(f->hub.log, "r");
    assert_non_null(fp);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, fp))
        n += strstr(line, "reply from the cache") != NULL;
    fclose(fp);
    return n;
}

/* Waits until the log shows `want` hits (the log is written by another
 * process: a line may land a moment after its reply). */
typedef struct {
    fixture_t *f;
    int want;
} hits_wait_t;

static bool hits_reached(void *arg)
{
    hits_wait_t *w = arg;
    return cache_hits(w->f) >= w->want;
}

static void expect_hits(fixture_t *f, int want)
{
    hits_wait_t w = {f, want};
    if (!bc_eventually(hits_reached, &w, 10000))
        fail_msg("the hub answered %d requests from its cache, expected %d",
                 cache_hits(f), want);
    assert_int_equal(cache_hits(f), want);
}

/* sxh_cases of unit in period, through the fixture's one client (the
 * client checks that the reply carries the request's tag). */
static int64_t cases(fixture_t *f, const char *unit, const char *period)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = (char *) unit;
    q.period = (char *) period;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = NULL;
    assert_int_equal(bc_client_call(f->client, &req, &r, 20000), 0);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_QUERY);
    const Baocao__Figure *g = bc_figure(r, "sxh_cases");
    assert_non_null(g);
    int64_t v = g->value && g->value->present ? g->value->value : -1;
    baocao__reply__free_unpacked(r, NULL);
    return v;
}

static void submit(fixture_t *f, const char *unit, const char *period,
                   const char *values)
{
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, unit, period, 1, FILED,
                               values),
                     BAOCAO__ACK_STATUS__ACK_STORED);
}

/* The same query 130 times: one answer computed, 129 from the cache,
 * each with its own tag (tags past 127 take two bytes on the wire). A
 * report committed since: the next answer has it. */
static void test_commit_invalidates(void **state)
{
    fixture_t *f = *state;
    submit(f, "M", "2025-01", "sxh_cases=4");
    submit(f, "E", "2025-01", "sxh_cases=7");
    int base = cache_hits(f);
    for (int i = 0; i < 130; i++)
        assert_int_equal(cases(f, "D1", "2025-01"), 11);
    expect_hits(f, base + 129);
    /* Another question is another key. */
    assert_int_equal(cases(f, "P", "2025-01"), 11);
    expect_hits(f, base + 129);
}

/* A commit of a new report (another unit): the district's and the
 * province's figures move at once, then are cached again. */
static void test_new_report_seen(void **state)
{
    fixture_t *f = *state;
    submit(f, "M", "2025-02", "sxh_cases=4");
    assert_int_equal(cases(f, "D1", "2025-02"), 4);
    assert_int_equal(cases(f, "D1", "2025-02"), 4);
    int base = cache_hits(f);
    submit(f, "E", "2025-02", "sxh_cases=7");
    assert_int_equal(cases(f, "D1", "2025-02"), 11);
    expect_hits(f, base);                /* computed again, not served */
    assert_int_equal(cases(f, "D1", "2025-02"), 11);
    expect_hits(f, base + 1);
}

/* SIGHUP: E moves to D2; the answers cached under the old registry are
 * not served under the new one. */
static void test_reload_invalidates(void **state)
{
    fixture_t *f = *state;
    submit(f, "E", "2025-03", "sxh_cases=7");
    submit(f, "X", "2025-03", "sxh_cases=5");
    assert_int_equal(cases(f, "D2", "2025-03"), 5);
    assert_int_equal(cases(f, "D2", "2025-03"), 5);
    assert_int_equal(cases(f, "D1", "2025-03"), 7);
    assert_int_equal(cases(f, "D1", "2025-03"), 7);
    bc_write_file(f->units, MOVED);
    assert_int_equal(kill(f->hub.proc.pid, SIGHUP), 0);
    int base = cache_hits(f);
    /* Wait for the reload through the answer itself (the reload runs
     * between two turns of the hub's loop). */
    for (int i = 0; i < 200 && cases(f, "D2", "2025-03") != 12; i++)
        usleep(50000);
    assert_true(bc_file_contains(f->hub.log, "registry reloaded"));
    assert_int_equal(cases(f, "D2", "2025-03"), 12);
    assert_int_equal(cases(f, "D1", "2025-03"), -1);   /* no report left */
    assert_true(cache_hits(f) >= base);
}

/* Slices and completeness: cached, and a commit shows in them. */
static void test_slice_and_completeness(void **state)
{
    fixture_t *f = *state;
    submit(f, "M", "2025-04", "sxh_cases=4");
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery cq = BAOCAO__COMPLETENESS_QUERY__INIT;
    cq.unit = "D1";
    cq.period = "2025-04";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &cq;
    size_t got[3];
    int base = cache_hits(f);
    for (int i = 0; i < 3; i++) {
        if (i == 2)
            submit(f, "E", "2025-04", "sxh_cases=7");
        Baocao__Reply *r = NULL;
        assert_int_equal(bc_client_call(f->client, &req, &r, 20000), 0);
        assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
        got[i] = r->completeness->received_reports;
        baocao__reply__free_unpacked(r, NULL);
    }
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 1);
    assert_int_equal(got[2], 2);
    expect_hits(f, base + 1);

    /* A slice of D1's communes: M's and E's April. */
    Baocao__SliceQuery sq = BAOCAO__SLICE_QUERY__INIT;
    sq.unit = "D1";
    sq.indicator = "sxh_cases";
    sq.from = "2025-04";
    sq.to = "2025-04";
    sq.include_self = true;
    Baocao__Request sreq = BAOCAO__REQUEST__INIT;
    sreq.body_case = BAOCAO__REQUEST__BODY_SLICE;
    sreq.slice = &sq;
    int64_t total[3];
    for (int i = 0; i < 3; i++) {
        if (i == 2)
            submit(f, "M", "2025-05", "sxh_cases=1");   /* another month */
        Baocao__Reply *r = NULL;
        assert_int_equal(bc_client_call(f->client, &sreq, &r, 20000), 0);
        assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_SLICE);
        assert_true(r->slice->n_rows >= 1);
        assert_int_equal(r->slice->rows[0]->n_values, 1);
        total[i] = r->slice->rows[0]->values[0];
        baocao__reply__free_unpacked(r, NULL);
    }
    assert_int_equal(total[0], 11);
    assert_int_equal(total[1], 11);
    assert_int_equal(total[2], 11);
    /* Completeness and slice: one hit each (the second), none after the
     * commits. */
    expect_hits(f, base + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_invalidates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_new_report_seen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload_invalidates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slice_and_completeness, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
