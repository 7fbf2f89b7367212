/*
 * test_validation.c -- issue #11, item 2, against a real hub started with
 * --rules: an error rule refuses a report with REASON_VALIDATION naming the
 * rule and both values (the 500 under-2s against 100 under-5s of the
 * issue) and stores nothing; a warning is stored, flagged in queries and
 * listed by `baocao validate`; a rule that fails only on a district's
 * totals is listed at the district; skipped rules are said; a malformed
 * rules file stops the hub with exit 2, naming the line. On the code
 * before this change each fails: the hub took no --rules, stored the
 * under-2 report, and there was no validate command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub under test */
} fixture_t;

#define FILED 1767225600   /* 2026-01-01T00:00:00Z */

/* The shipped rules and one that only a district's total can break: each
 * ward below 100 dengue cases, the district not. */
static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("rules");
    char *shipped = NULL;
    size_t len = 0;
    FILE *in = fopen(bc_source("data/rules.csv"), "rb");
    assert_non_null(in);
    shipped = calloc(1, 1 << 16);
    len = fread(shipped, 1, (1 << 16) - 1, in);
    fclose(in);
    assert_true(len > 0);
    char *all = calloc(1, len + 256);
    snprintf(all, len + 256, "%s%s", shipped,
             "sxh_outbreak,sxh_cases,<=,100,warning,More than 100 dengue "
             "cases: an outbreak\n");
    bc_write_file(bc_path(f->dir, "rules.csv"), all);
    free(all);
    free(shipped);
    const char *extra[] = {"--rules", bc_path(f->dir, "rules.csv"), NULL};
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Sends one report and returns the Ack (caller frees the reply). */
static Baocao__Reply *send_report(fixture_t *f, const char *unit,
                                  const char *period, const char *code1,
                                  int64_t v1, const char *code2, int64_t v2)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Value vals[2], *ptrs[2] = {&vals[0], &vals[1]};
    const char *codes[2] = {code1, code2};
    int64_t v[2] = {v1, v2};
    for (int i = 0; i < 2; i++) {
        baocao__value__init(&vals[i]);
        vals[i].indicator = (char *) codes[i];
        vals[i].v_case = BAOCAO__VALUE__V_COUNT;
        vals[i].count = v[i];
    }
    uint8_t id[16];
    bc_id_new(id);
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = (char *) period;
    sub.revision = 1;
    sub.filed_at = FILED;
    sub.n_values = code2 ? 2 : 1;
    sub.values = ptrs;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    return r;
}

/* The case: 500 under-2s against 100 under-5s is refused, typed,
 * with both rules it breaks named with their values, and nothing is
 * stored. */
static void test_error_rule_refuses(void **state)
{
    fixture_t *f = *state;
    Baocao__Reply *r = send_report(f, "HP-HB-QT", "2025-12", "sdd_u5", 100,
                                   "sdd_u2", 500);
    assert_int_equal(r->ack->status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(r->ack->reason,
                     BAOCAO__REJECT_REASON__REASON_VALIDATION);
    assert_non_null(strstr(r->ack->message,
                           "u2_le_u5: sdd_u2 (500) <= sdd_u5 (100)"));
    baocao__reply__free_unpacked(r, NULL);
    int64_t v;
    assert_false(bc_query_value(f->hub.endpoint, "HP-HB-QT", "2025-12",
                                "sdd_u5", &v));
    /* Two rules at once, each named: underweight above both its wholes. */
    r = send_report(f, "HP-HB-QT", "2025-12", "sdd_u5", 100,
                    "sdd_underweight", 300);
    assert_int_equal(r->ack->reason,
                     BAOCAO__REJECT_REASON__REASON_VALIDATION);
    assert_non_null(strstr(r->ack->message, "underweight_le_u5"));
    baocao__reply__free_unpacked(r, NULL);
    /* Within the rules: stored. */
    r = send_report(f, "HP-HB-QT", "2025-12", "sdd_u5", 100, "sdd_u2", 40);
    assert_int_equal(r->ack->status, BAOCAO__ACK_STATUS__ACK_STORED);
    baocao__reply__free_unpacked(r, NULL);
}

static cJSON *validate_json(fixture_t *f, const char *unit,
                            const char *period)
{
    const char *argv[] = {"validate", "--hub", f->hub.endpoint, "--plain",
                          "--unit", unit, "--period", period, "--format",
                          "json", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    cJSON *o = cJSON_Parse(out);
    assert_non_null(o);
    free(out);
    return o;
}

/* True if the reply lists `rule` failing at `unit` with these sides. */
static bool listed(cJSON *o, const char *unit, const char *rule,
                   double left, double right)
{
    cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(o, "violations")) {
        if (strcmp(cJSON_GetObjectItem(v, "unit")->valuestring, unit) == 0
            && strcmp(cJSON_GetObjectItem(v, "rule")->valuestring, rule) == 0
            && cJSON_GetObjectItem(v, "left")->valuedouble == left
            && cJSON_GetObjectItem(v, "right")->valuedouble == right)
            return true;
    }
    return false;
}

/* A warning is stored, flagged in the query, and listed by validate, at
 * the ward and (its totals break it too) at the district. */
static void test_warning_stored_flagged_listed(void **state)
{
    fixture_t *f = *state;
    Baocao__Reply *r = send_report(f, "HP-HB-QT", "2025-11",
                                   "kcb_inpatient_days", 500, "kcb_bed_days",
                                   300);
    assert_int_equal(r->ack->status, BAOCAO__ACK_STATUS__ACK_STORED);
    baocao__reply__free_unpacked(r, NULL);

    Baocao__Reply *q = bc_query(f->hub.endpoint, "HP-HB-QT", "2025-11");
    const Baocao__Figure *fig = bc_figure(q, "kcb_bed_occupancy");
    assert_non_null(fig);
    assert_int_equal(fig->n_flags, 1);
    assert_string_equal(fig->flags[0], "bed_days_occupancy");
    assert_int_equal(bc_figure(q, "kcb_inpatient_days")->n_flags, 1);
    assert_int_equal(bc_figure(q, "sxh_cases")->n_flags, 0);
    baocao__reply__free_unpacked(q, NULL);

    cJSON *o = validate_json(f, "HP-HB", "2025-11");
    assert_true(listed(o, "HP-HB-QT", "bed_days_occupancy", 500, 300));
    assert_true(listed(o, "HP-HB", "bed_days_occupancy", 500, 300));
    /* Every other rule lacks figures somewhere: validate says so. */
    cJSON *sk = cJSON_GetObjectItem(o, "skipped");
    assert_true(cJSON_GetArraySize(sk) > 0);
    assert_int_equal(cJSON_GetObjectItem(o, "units")->valuedouble, 10);
    cJSON_Delete(o);

    /* The table says it in words. */
    const char *argv[] = {"validate", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "HP-HB-QT", "--period", "2025-11", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_non_null(strstr(out, "bed_days_occupancy"));
    assert_non_null(strstr(out, "skipped: u2_le_u5 at 1 of 1 units"));
    free(out);
}

/* No ward breaks sxh_outbreak (60 and 70 cases), their district (130)
 * does: listed at the district alone. */
static void test_aggregate_only(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2025-10",
                               1, FILED, "sxh_cases=60"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-HV", "2025-10",
                               1, FILED, "sxh_cases=70"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    cJSON *o = validate_json(f, "HP-HB", "2025-10");
    assert_true(listed(o, "HP-HB", "sxh_outbreak", 130, 100));
    assert_false(listed(o, "HP-HB-QT", "sxh_outbreak", 60, 100));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o,
                                                            "violations")),
                     1);
    cJSON_Delete(o);
    /* And for the quarter, by the contribution rule. */
    o = validate_json(f, "HP", "2025-Q4");
    assert_true(listed(o, "HP", "sxh_outbreak", 130, 100));
    cJSON_Delete(o);
    /* Bad input: a typed refusal, exit 1, the hub keeps serving. */
    const char *argv[] = {"validate", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "NOPE", "--period", "2025-10", NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao", argv, &out), 1);
    assert_non_null(strstr(out, "unknown_unit"));
    free(out);
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2025-10",
                               "sxh_cases", &v));
    assert_int_equal(v, 130);
}

/* Files `csv` with the real CLI into the node outbox `store` for
 * HP-HB-QT, 2025-09, then delivers it with a real node; returns what
 * `baocao submit` said. */
static char *file_and_drain(fixture_t *f, const char *store, const char *csv)
{
    const char *file = bc_path(f->dir, "report.csv");
    bc_write_file(file, csv);
    /* The node's copy of the hub's rules (item 3), which the last drain
     * brought, would refuse a bad report at filing: without it the report
     * goes to the hub, whose refusal is what these tests are about. */
    unlink(bc_path(store, "hub-copy.pb"));
    const char *argv[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                          "--period", "2025-09", "--file", file, NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao", argv, &out), 0);
    const char *nargv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                           f->hub.endpoint, "--plain", "--drain",
                           "--max-seconds", "60", "--timeout", "2000", NULL};
    bc_proc_t p = bc_spawn("baocao-node", nargv, NULL);
    bc_wait(&p, 90000);
    return out;
}

/* Item 4: two filings the hub refuses (a validation rule) do not use up
 * revisions 1 and 2: the accepted one is revision 1, and `audit history
 * --figures` shows all three with their figures and outcomes. Before the
 * fix the accepted filing was revision 3. */
static void test_rejected_filing_keeps_revision(void **state)
{
    fixture_t *f = *state;
    char store[600];
    snprintf(store, sizeof store, "%s/node", f->dir);
    const char *bad = "indicator,value\nsdd_u5,100\nsdd_u2,500\n";
    char *out = file_and_drain(f, store, bad);
    assert_non_null(strstr(out, "revision 1"));
    free(out);
    /* The same figures again: the refused filing is not "the revision it
     * replaces", so this is not "identical; nothing filed". */
    out = file_and_drain(f, store, "indicator,value\nsdd_u5,100\n"
                                   "sdd_u2,400\n");
    assert_non_null(strstr(out, "revision 1"));
    free(out);
    out = file_and_drain(f, store, "indicator,value\nsdd_u5,100\n"
                                   "sdd_u2,40\n");
    assert_non_null(strstr(out, "revision 1"));
    free(out);
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB-QT", "2025-09",
                               "sdd_u2", &v));
    assert_int_equal(v, 40);
    /* A correction after it is revision 2. */
    out = file_and_drain(f, store, "indicator,value\nsdd_u5,100\n"
                                   "sdd_u2,41\n");
    assert_non_null(strstr(out, "revision 2"));
    free(out);

    const char *hargv[] = {"audit", "history", "--store", f->hub.store,
                           "--unit", "HP-HB-QT", "--period", "2025-09",
                           "--figures", NULL};
    assert_int_equal(bc_run("baocao", hargv, &out), 0);
    const char *a = strstr(out, "rejected: validation");
    assert_non_null(a);
    assert_non_null(strstr(a, "sdd_u5=100 sdd_u2=500"));
    const char *b = strstr(a + 1, "rejected: validation");
    assert_non_null(b);
    assert_non_null(strstr(b, "sdd_u2=400"));
    const char *c = strstr(b, "\n1 ");
    assert_non_null(c);
    assert_non_null(strstr(c, "stored (replaced by 2)"));
    assert_non_null(strstr(c, "sdd_u2=40\n"));
    assert_non_null(strstr(c, "\n2 "));
    assert_non_null(strstr(c, "stored (current)"));
    free(out);
}

/* Item 8: a plan sets full immunisation at 95 %; a ward with 90 of 100
 * children fully immunised has achieved 90 / 95 = 94.7 % of it. Before
 * this change a rate could not be planned (the plan exited 1). */
static void test_rate_target(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2025-08",
                               1, FILED, "tcmr_full=90,tcmr_u1=100"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    const char *plan = bc_path(f->dir, "plan.csv");
    bc_write_file(plan, "indicator,target\ntcmr_full_rate,95\n");
    const char *pargv[] = {"plan", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "HP-HB-QT", "--year", "2025", "--file",
                           plan, NULL};
    assert_int_equal(bc_run("baocao", pargv, NULL), 0);
    const char *qargv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "HP-HB-QT", "--period", "2025-08",
                           "--indicator", "tcmr_full_rate", "--format",
                           "json", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", qargv, &out), 0);
    cJSON *o = cJSON_Parse(out);
    assert_non_null(o);
    cJSON *fig = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "figures"),
                                     "tcmr_full_rate");
    assert_non_null(fig);
    assert_int_equal(cJSON_GetObjectItem(fig, "target")->valuedouble, 95);
    assert_true(cJSON_GetObjectItem(fig, "target_pct")->valuedouble == 94.7);
    cJSON_Delete(o);
    free(out);
}

/* A rules file with a mistake stops the hub at start (exit 2), naming the
 * file's line and the problem. */
static void test_bad_rules_file(void **state)
{
    fixture_t *f = *state;
    const char *path = bc_path(f->dir, "bad-rules.csv");
    bc_write_file(path, "code,left,operator,right,importance,message\n"
                        "ok,sdd_u2,<=,sdd_u5,error,\n"
                        "bad,sdd_u2 + nope,<=,sdd_u5,error,\n");
    char store[600];
    snprintf(store, sizeof store, "%s/other-store", f->dir);
    const char *argv[] = {"--store", store, "--registry",
                          bc_source("data/units.csv"), "--catalog",
                          bc_source("data/indicators.csv"), "--plain",
                          "--bind", "tcp://127.0.0.1:*", "--rules", path,
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao-hub", argv, &out), 2);
    assert_non_null(strstr(out, "bad-rules.csv:3"));
    assert_non_null(strstr(out, "unknown indicator 'nope'"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_error_rule_refuses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_warning_stored_flagged_listed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregate_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_rules_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rejected_filing_keeps_revision,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_target, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
