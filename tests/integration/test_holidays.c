/*
 * test_holidays.c -- issue #11, item 7, against real hubs: with
 * --holidays data/holidays.csv a district's 15 working days after January
 * 2026 skip Tết (16-19 February 2026: the eve and the first three days),
 * so the deadline moves from the end of 20 February to the end of 26
 * February, and a report filed on 24 February is on time; without the
 * file the same report is late. Before this change the hub took no
 * --holidays and counted Tết as working days.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEB20_END 1771606800   /* 2026-02-21T00:00+07:00 */
#define FEB26_END 1772125200   /* 2026-02-27T00:00+07:00 */
#define FILED_FEB24 1771902000 /* 2026-02-24T10:00+07:00 */

/* Completeness of the districts of HP for 2026-01: the reply's deadline
 * and HP-HB's state. */
static void completeness(const char *endpoint, int64_t *deadline,
                         Baocao__ReportState *state)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = "HP";
    q.period = "2026-01";
    q.level = "district";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    Baocao__Reply *r = bc_send(endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
    *deadline = r->completeness->deadline;
    *state = BAOCAO__REPORT_STATE__STATE_UNSPECIFIED;
    for (size_t i = 0; i < r->completeness->n_units; i++)
        if (!strcmp(r->completeness->units[i]->unit, "HP-HB"))
            *state = r->completeness->units[i]->state;
    baocao__reply__free_unpacked(r, NULL);
}

static void run(const char *tag, bool with_holidays, int64_t *deadline,
                Baocao__ReportState *state)
{
    char *dir = bc_tmpdir(tag);
    bc_hub_t hub;
    bc_hub_init(&hub);
    char file[4096];   /* bc_source's buffer is reused by bc_hub_start */
    snprintf(file, sizeof file, "%s", bc_source("data/holidays.csv"));
    const char *extra[] = {"--holidays", file, NULL};
    bc_hub_start(&hub, dir, NULL, with_holidays ? extra : NULL);
    assert_int_equal(bc_submit(hub.endpoint, NULL, "HP-HB", "2026-01", 1,
                               FILED_FEB24, "sxh_cases=3"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    completeness(hub.endpoint, deadline, state);
    assert_int_equal(bc_hub_stop(&hub), 0);
    bc_rmtree(dir);
    free(dir);
}

static void test_deadline_past_tet(void **state)
{
    int64_t deadline;
    Baocao__ReportState st;
    run("holidays-on", true, &deadline, &st);
    assert_int_equal(deadline, FEB26_END);
    assert_int_equal(st, BAOCAO__REPORT_STATE__STATE_ON_TIME);
    run("holidays-off", false, &deadline, &st);
    assert_int_equal(deadline, FEB20_END);
    assert_int_equal(st, BAOCAO__REPORT_STATE__STATE_LATE);
    (void) state;
}

/* A holidays file with a mistake stops the hub (exit 2), naming the
 * line. */
static void test_bad_file(void **state)
{
    char *dir = bc_tmpdir("holidays-bad");
    const char *path = bc_path(dir, "h.csv");
    bc_write_file(path, "date,name\n2026-02-17,Tết\n2026-02-30,nope\n");
    char store[600];
    snprintf(store, sizeof store, "%s/store", dir);
    const char *argv[] = {"--store", store, "--registry",
                          bc_source("data/units.csv"), "--catalog",
                          bc_source("data/indicators.csv"), "--plain",
                          "--bind", "tcp://127.0.0.1:*", "--holidays", path,
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao-hub", argv, &out), 2);
    assert_non_null(strstr(out, "h.csv:3: '2026-02-30' is not a date"));
    free(out);
    bc_write_file(path, "date,name\n2026-02-17,Tết\n2026-02-17,again\n");
    assert_int_equal(bc_run_all("baocao-hub", argv, &out), 2);
    assert_non_null(strstr(out, "h.csv:3: this date is already on line 2"));
    free(out);
    bc_rmtree(dir);
    free(dir);
    (void) state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_past_tet),
        cmocka_unit_test(test_bad_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
