/*
 * test_figures.c -- the cases of issues #24 and #11 against a real hub:
 * what each unit contributes to a quarter, a half and a year (stocks, mixed
 * periods), a year's previous, a target of 0, and the reporting rate over a
 * quarter. Each was reproduced by hand on the code before the fix and
 * failed there; the expected figures are the documented rule's
 * (proto/README.md, "What each unit contributes to a period").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_period.h"
#include "bc_test.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each test's state: a hub on the shipped registry in a temporary folder
 * (tests/support/bc_test.h). */
typedef bc_fixture_t fixture_t;

#define FILED 1767225600   /* 2026-01-01T00:00:00Z */

static void submit(fixture_t *f, const char *unit, const char *period,
                   const char *values)
{
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, unit, period, 1, FILED,
                               values),
                     BAOCAO__ACK_STATUS__ACK_STORED);
}

/* One figure of a query, kept past the reply. */
typedef struct {
    bool has_value, has_prev, has_ly, has_cum;
    int64_t value, prev, ly, cum;
    uint32_t units;
} fig_t;

static fig_t query(fixture_t *f, const char *unit, const char *period,
                   const char *code)
{
    Baocao__Reply *r = bc_query(f->hub.endpoint, unit, period);
    const Baocao__Figure *g = bc_figure(r, code);
    assert_non_null(g);
    fig_t out = {0};
    out.has_value = g->value && g->value->present;
    out.value = out.has_value ? g->value->value : 0;
    out.has_prev = g->previous && g->previous->present;
    out.prev = out.has_prev ? g->previous->value : 0;
    out.has_ly = g->last_year && g->last_year->present;
    out.ly = out.has_ly ? g->last_year->value : 0;
    out.has_cum = g->cumulative && g->cumulative->present;
    out.cum = out.has_cum ? g->cumulative->value : 0;
    out.units = g->reporting_units;
    baocao__reply__free_unpacked(r, NULL);
    return out;
}

/* #24, case 1: A reports stock 10 in October, B 20 in November. The
 * district's stock for Q4, H2, the year and December is each unit's last
 * value, summed: 30, from 2 units (the hub said 20 from 1). */
static void test_stock_over_quarter_half_year(void **state)
{
    fixture_t *f = *state;
    submit(f, "HP-HB-QT", "2025-10", "tt_managed=10");
    submit(f, "HP-HB-HV", "2025-11", "tt_managed=20");
    const char *periods[] = {"2025-Q4", "2025-H2", "2025", "2025-12"};
    for (size_t i = 0; i < 4; i++) {
        fig_t g = query(f, "HP-HB", periods[i], "tt_managed");
        assert_true(g.has_value);
        assert_int_equal(g.value, 30);
        assert_int_equal(g.units, 2);
        assert_int_equal(g.cum, 30);
    }
    /* A quarter that ends the year equals the year, for the province too. */
    assert_int_equal(query(f, "HP", "2025-Q4", "tt_managed").value,
                     query(f, "HP", "2025", "tt_managed").value);
    /* November: A's October value carries, B's own. */
    assert_int_equal(query(f, "HP-HB", "2025-11", "tt_managed").value, 30);
    assert_int_equal(query(f, "HP-HB", "2025-10", "tt_managed").value, 10);
}

/* #24, case 2: a year's previous is the previous year, by the same rule
 * (the hub said 20 for previous, meaning 2025's December alone). */
static void test_year_previous(void **state)
{
    fixture_t *f = *state;
    submit(f, "HP-HB-QT", "2025-10", "tt_managed=10");
    submit(f, "HP-HB-HV", "2025-11", "tt_managed=20");
    fig_t g = query(f, "HP-HB", "2026", "tt_managed");
    assert_true(g.has_prev && g.has_ly);
    assert_int_equal(g.prev, 30);
    assert_int_equal(g.ly, 30);
    /* A quarter's previous is the previous quarter. */
    g = query(f, "HP-HB", "2026-Q1", "tt_managed");
    assert_true(g.has_prev);
    assert_int_equal(g.prev, 30);
    assert_false(g.has_value);   /* a new year starts afresh */
}

/* #11, item 1: HG-CT filed 2023-Q1 sxh_cases = 50 (and, by mistake, its
 * February too); HG-VT filed January to March at 10 each; HG-CT filed
 * April at 12. The quarter report wins for HG-CT's quarter. */
static void test_mixed_periods(void **state)
{
    fixture_t *f = *state;
    submit(f, "HG-CT", "2023-Q1", "sxh_cases=50");
    submit(f, "HG-CT", "2023-02", "sxh_cases=7");
    submit(f, "HG-VT", "2023-01", "sxh_cases=10");
    submit(f, "HG-VT", "2023-02", "sxh_cases=10");
    submit(f, "HG-VT", "2023-03", "sxh_cases=10");
    submit(f, "HG-CT", "2023-04", "sxh_cases=12");
    fig_t g = query(f, "HG", "2023-Q1", "sxh_cases");
    assert_int_equal(g.value, 80);            /* the hub said 50 */
    assert_int_equal(g.units, 2);
    assert_int_equal(query(f, "HG", "2023", "sxh_cases").value, 92);
    assert_int_equal(query(f, "HG-CT", "2023", "sxh_cases").value, 62);
    assert_int_equal(query(f, "HG", "2023-H1", "sxh_cases").value, 92);
    /* Year to date follows the same rule. */
    assert_int_equal(query(f, "HG", "2023-04", "sxh_cases").cum, 92);
    assert_int_equal(query(f, "HG", "2023-05", "sxh_cases").cum, 92);
    assert_int_equal(query(f, "HG-CT", "2023-Q2", "sxh_cases").cum, 62);
    /* The month itself is still the month's reports. */
    assert_int_equal(query(f, "HG", "2023-02", "sxh_cases").value, 17);
}

/* #24, cases 3 and 4: reporting_units over a quarter counts the distinct
 * units whose reports contributed (the hub said 1: the largest month's
 * count); for a ratio, the units contributing to either part (the hub
 * said 1: the smaller of the parts' counts). */
static void test_reporting_units(void **state)
{
    fixture_t *f = *state;
    submit(f, "HP-HB-QT", "2025-01", "sxh_cases=5");
    submit(f, "HP-HB-HV", "2025-02", "sxh_cases=7");
    fig_t g = query(f, "HP-HB", "2025-Q1", "sxh_cases");
    assert_int_equal(g.value, 12);
    assert_int_equal(g.units, 2);
    assert_int_equal(query(f, "HP", "2025", "sxh_cases").units, 2);
    assert_int_equal(query(f, "HP-HB", "2025-01", "sxh_cases").units, 1);
    /* The same unit in two months of the quarter is one unit. */
    submit(f, "HP-HB-QT", "2025-03", "sxh_cases=1");
    assert_int_equal(query(f, "HP-HB", "2025-Q1", "sxh_cases").units, 2);

    /* tcmr_full_rate = tcmr_full (a flow) / tcmr_u1 (a stock). */
    submit(f, "HP-HB-QT", "2025-05", "tcmr_full=5");
    submit(f, "HP-HB-HV", "2025-05", "tcmr_u1=100");
    Baocao__Reply *r = bc_query(f->hub.endpoint, "HP-HB", "2025-05");
    const Baocao__Figure *rate = bc_figure(r, "tcmr_full_rate");
    assert_int_equal(rate->numerator->value, 5);
    assert_int_equal(rate->denominator->value, 100);
    assert_int_equal(rate->reporting_units, 2);
    baocao__reply__free_unpacked(r, NULL);
    /* In June nobody reports: the stock part still counts, as of May. */
    r = bc_query(f->hub.endpoint, "HP-HB", "2025-06");
    rate = bc_figure(r, "tcmr_full_rate");
    assert_true(!rate->numerator || !rate->numerator->present);
    assert_int_equal(rate->denominator->value, 100);
    assert_int_equal(rate->reporting_units, 1);
    baocao__reply__free_unpacked(r, NULL);

    /* A restart with a changed registry rebuilds the counts from the
     * reports: the same answers. */
    char reg[4096], line[512];
    snprintf(reg, sizeof reg, "%s", bc_path(f->dir, "units.csv"));
    FILE *in = fopen(bc_source("data/units.csv"), "r");
    FILE *out = fopen(reg, "w");
    assert_non_null(in);
    assert_non_null(out);
    while (fgets(line, sizeof line, in))
        fputs(line, out);
    fputs("HP-XX,HP,district,Quận mới,yes,no,\n", out);
    fclose(in);
    fclose(out);
    assert_int_equal(bc_hub_pause(&f->hub, SIGTERM), 0);
    const char *extra[] = {"--registry", reg, NULL};
    bc_hub_start(&f->hub, f->dir, f->hub.endpoint, extra);
    assert_int_equal(query(f, "HP-HB", "2025-Q1", "sxh_cases").units, 2);
    assert_int_equal(query(f, "HP", "2025", "sxh_cases").units, 2);
    r = bc_query(f->hub.endpoint, "HP-HB", "2025-05");
    assert_int_equal(bc_figure(r, "tcmr_full_rate")->reporting_units, 2);
    baocao__reply__free_unpacked(r, NULL);
}

/* The contribution rule is for answers; a DHIS2 export of raw data values
 * (--descendants) asks for the reports as filed (Query.as_filed): Quán
 * Toan's November stock carries into the district's December answer, but
 * is not exported as a December report of Quán Toan. */
static void test_export_as_filed(void **state)
{
    fixture_t *f = *state;
    submit(f, "HP-HB-QT", "2025-11", "tt_managed=10");
    submit(f, "HP-HB-HV", "2025-12", "tt_managed=20");
    assert_int_equal(query(f, "HP-HB", "2025-12", "tt_managed").value, 30);
    char out[4096];
    snprintf(out, sizeof out, "%s", bc_path(f->dir, "export.json"));
    const char *argv[] = {"export", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "HP-HB", "--period", "2025-12",
                          "--format", "dhis2-json", "--out", out,
                          "--registry", bc_source("data/units.csv"),
                          "--catalog", bc_source("data/indicators.csv"),
                          "--descendants", NULL};
    assert_int_equal(bc_run("baocao", argv, NULL), 0);
    FILE *fp = fopen(out, "r");
    assert_non_null(fp);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = '\0';
    assert_non_null(strstr(text, "HP-HB-HV"));
    assert_null(strstr(text, "HP-HB-QT"));     /* the hub before: 10 */
    assert_null(strstr(text, "\"HP-HB\""));    /* the district filed none */
}

/* #24 item 5: a target of 0 is a target; % of plan is then undefined and
 * the reply says why. */
static void test_zero_target(void **state)
{
    fixture_t *f = *state;
    submit(f, "HP-HB", "2025-03", "soi_cases=0");
    char plan[4096];
    snprintf(plan, sizeof plan, "%s", bc_path(f->dir, "plan.csv"));
    bc_write_file(plan, "indicator,target\nsoi_cases,0\n");
    const char *pargv[] = {"plan", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "HP-HB", "--year", "2025", "--file",
                           plan, NULL};
    assert_int_equal(bc_run("baocao", pargv, NULL), 0);
    const char *argv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "HP-HB", "--period", "2025-03",
                          "--indicator", "soi_cases", "--format", "json",
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    cJSON *o = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "figures"),
                                   "soi_cases");
    assert_non_null(o);
    cJSON *t = cJSON_GetObjectItem(o, "target");
    assert_true(cJSON_IsNumber(t));
    assert_int_equal(t->valueint, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "target_pct")));
    cJSON *note = cJSON_GetObjectItem(o, "target_pct_note");
    assert_true(cJSON_IsString(note));
    assert_non_null(strstr(note->valuestring, "target is 0"));
    cJSON_Delete(doc);
    free(out);
}

/* #24 item 4: over a quarter, monthly reports are counted against units
 * x 3. Quán Toan files its three months on time, Hùng Vương January on
 * time and February late, Sở Dầu the quarter itself on time. */
static void test_quarter_completeness(void **state)
{
    fixture_t *f = *state;
    const char *ep = f->hub.endpoint;
    bc_period_t m[3];
    for (unsigned i = 0; i < 3; i++)
        m[i] = bc_period_make(2025, BC_PT_MONTH, i + 1);
    bc_period_t q1 = bc_period_make(2025, BC_PT_QUARTER, 1);
    const char *mt[3] = {"2025-01", "2025-02", "2025-03"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(bc_submit(ep, NULL, "HP-HB-QT", mt[i], 1,
                                   bc_period_end(m[i]) + 3600, "sdd_u5=1"),
                         BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", mt[0], 1,
                               bc_period_end(m[0]) + 3600, "sdd_u5=1"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", mt[1], 1,
                               bc_period_deadline(m[1], 5) + 1, "sdd_u5=1"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-SD", "2025-Q1", 1,
                               bc_period_end(q1) + 3600, "sdd_u5=3"),
                     BAOCAO__ACK_STATUS__ACK_STORED);

    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = "HP-HB";
    q.period = "2025-Q1";
    q.level = "";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    Baocao__Reply *r = bc_send(ep, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
    const Baocao__CompletenessReply *c = r->completeness;
    assert_int_equal(c->expected, 9);
    assert_int_equal(c->expected_reports, 27);
    assert_int_equal(c->received_reports, 8);
    assert_int_equal(c->on_time_reports, 7);
    assert_int_equal(c->reported, 2);   /* units complete: QT, SD */
    assert_int_equal(c->on_time, 2);
    for (size_t i = 0; i < c->n_units; i++) {
        const Baocao__UnitReport *u = c->units[i];
        if (!strcmp(u->unit, "HP-HB-QT")) {
            assert_int_equal(u->state, BAOCAO__REPORT_STATE__STATE_ON_TIME);
            assert_int_equal(u->received_reports, 3);
        } else if (!strcmp(u->unit, "HP-HB-HV")) {
            assert_int_equal(u->state, BAOCAO__REPORT_STATE__STATE_PARTIAL);
            assert_int_equal(u->received_reports, 2);
            assert_int_equal(u->on_time_reports, 1);
            assert_int_equal(u->expected_reports, 3);
        } else if (!strcmp(u->unit, "HP-HB-SD")) {
            assert_int_equal(u->state, BAOCAO__REPORT_STATE__STATE_ON_TIME);
            assert_int_equal(u->received_reports, 3);
        } else {
            assert_int_equal(u->state, BAOCAO__REPORT_STATE__STATE_MISSING);
        }
    }
    baocao__reply__free_unpacked(r, NULL);

    /* The year: 12 expected from each of 9 units; the CLI's rate is
     * reports over expected reports. */
    const char *argv[] = {"completeness", "--hub", ep, "--plain", "--unit",
                          "HP-HB", "--period", "2025", "--format", "json",
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetObjectItem(doc, "expected_reports")->valueint,
                     108);
    assert_int_equal(cJSON_GetObjectItem(doc, "received_reports")->valueint,
                     8);
    assert_int_equal(cJSON_GetObjectItem(doc, "partial")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(doc, "missing")->valueint, 6);
    assert_true(cJSON_GetObjectItem(doc, "reporting_rate_pct")->valuedouble
                > 7.3);
    assert_true(cJSON_GetObjectItem(doc, "reporting_rate_pct")->valuedouble
                < 7.5);
    cJSON_Delete(doc);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stock_over_quarter_half_year,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_year_previous, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_mixed_periods, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reporting_units, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_export_as_filed, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_zero_target, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_quarter_completeness,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.figures", tests, NULL,
                                       NULL);
}
