/*
 * test_queries.c -- the operator's questions against a real hub: rates
 * rebuilt from numerators and denominators, month / cumulative / previous /
 * same period last year, stocks over months, % of plan, reporting rate.
 * Figures come from ../shared/fixtures and the seeds they cite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_arena.h"
#include "bc_client.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_pack.h"
#include "bc_test.h"
#include "bc_wire.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each test's state: a hub on the shipped registry in a temporary folder
 * (tests/support/bc_test.h). */
typedef bc_fixture_t fixture_t;

#define FILED_2023_12 1704067200   /* 2024-01-01T00:00:00Z */

static void file_hongbang(fixture_t *f)
{
    const char *codes[9];
    bc_hongbang_reports(f->dir, codes);   /* writes the CSVs; we reuse codes */
    char err[256];
    bc_csv_t *csv = bc_csv_load(
        bc_shared("fixtures/hong-bang-2023-nutrition.csv"), err, sizeof err);
    assert_non_null(csv);
    for (size_t i = 0; i < 9; i++) {
        char vals[256];
        snprintf(vals, sizeof vals,
                 "sdd_u5=%s,sdd_u2=%s,sdd_malnourished=%s,sdd_underweight=%s",
                 bc_csv_field(csv, i, bc_csv_column(csv, "children_under5")),
                 bc_csv_field(csv, i, bc_csv_column(csv, "children_under2")),
                 bc_csv_field(csv, i, bc_csv_column(csv, "malnourished")),
                 bc_csv_field(csv, i,
                              bc_csv_column(csv, "underweight_children")));
        assert_int_equal(bc_submit(f->hub.endpoint, NULL, codes[i], "2023-12",
                                   1, FILED_2023_12, vals),
                         BAOCAO__ACK_STATUS__ACK_STORED);
    }
    bc_csv_destroy(&csv);
}

/* The district underweight rate is sum(numerators) / sum(denominators):
 * 8.49 % as printed, not the 8.25 % mean of the ward rates. */
static void test_rate_from_parts(void **state)
{
    fixture_t *f = *state;
    file_hongbang(f);
    Baocao__Reply *r = bc_query(f->hub.endpoint, "HP-HB", "2023-12");
    const Baocao__Figure *fig = bc_figure(r, "sdd_underweight_rate");
    assert_non_null(fig);
    assert_int_equal(fig->kind, BAOCAO__INDICATOR_KIND__KIND_RATIO);
    assert_true(fig->numerator->present && fig->denominator->present);
    assert_int_equal(fig->numerator->value, 637);
    assert_int_equal(fig->denominator->value, 7492);
    double rate = (double) fig->numerator->value / fig->denominator->value
                  * fig->scale;
    assert_true(fabs(rate - 8.49) <= 0.02);
    /* The wrong answer, for contrast: the plain mean of the ward rates. */
    double mean = (9.31 + 9.47 + 9.28 + 8.43 + 6.34 + 9.57 + 6.63 + 8.82
                   + 6.44) / 9;
    assert_true(fabs(rate - mean) > 0.2);
    assert_int_equal(fig->reporting_units, 9);
    baocao__reply__free_unpacked(r, NULL);

    /* The CLI shows the rate with its parts. */
    const char *argv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "HP-HB", "--period", "2023-12",
                          "--indicator", "sdd_underweight_rate", "--format",
                          "json", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    cJSON *o = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "figures"),
                                   "sdd_underweight_rate");
    assert_non_null(o);
    assert_true(fabs(cJSON_GetObjectItem(o, "value")->valuedouble - 8.50)
                < 0.01);
    assert_int_equal(cJSON_GetObjectItem(o, "numerator")->valueint, 637);
    cJSON_Delete(doc);
    free(out);
}

/* Hậu Giang, 12/2022: district reports whose province totals match the
 * seed. Month totals are split over the eight districts. */
static const char *hg[8] = {"HG-CT", "HG-CTA", "HG-NB", "HG-PH",
                            "HG-TXLM", "HG-LM", "HG-VTY", "HG-VT"};

static int64_t share(int64_t total, int d)
{
    return total / 8 + (d < total % 8 ? 1 : 0);
}

static void file_haugiang(fixture_t *f)
{
    /* Province month totals: Jan..Oct 2022 carry what the cumulative
     * leaves after Nov and Dec. */
    int64_t sxh22[12] = {74, 74, 74, 74, 74, 74, 74, 74, 74, 75, 244, 193};
    int64_t tcm22[12] = {54, 54, 54, 54, 54, 54, 54, 54, 54, 53, 143, 119};
    int64_t sxh21[12] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 10};
    int64_t tt22[12] = {2700, 2710, 2720, 2730, 2740, 2750, 2760, 2780, 2800,
                        2820, 2850, 2865};
    for (int m = 0; m < 12; m++)
        for (int d = 0; d < 8; d++) {
            char period[16], vals[256];
            snprintf(period, sizeof period, "2022-%02d", m + 1);
            snprintf(vals, sizeof vals, "sxh_cases=%lld,tcm_cases=%lld,"
                     "tt_managed=%lld", (long long) share(sxh22[m], d),
                     (long long) share(tcm22[m], d),
                     (long long) share(tt22[m], d));
            assert_int_equal(bc_submit(f->hub.endpoint, NULL, hg[d], period,
                                       1, 1672531200, vals),
                             BAOCAO__ACK_STATUS__ACK_STORED);
            snprintf(period, sizeof period, "2021-%02d", m + 1);
            snprintf(vals, sizeof vals, "sxh_cases=%lld",
                     (long long) share(sxh21[m], d));
            assert_int_equal(bc_submit(f->hub.endpoint, NULL, hg[d], period,
                                       1, 1640995200, vals),
                             BAOCAO__ACK_STATUS__ACK_STORED);
        }
}

static void test_comparisons_and_stocks(void **state)
{
    fixture_t *f = *state;
    file_haugiang(f);
    Baocao__Reply *r = bc_query(f->hub.endpoint, "HG", "2022-12");
    const Baocao__Figure *sxh = bc_figure(r, "sxh_cases");
    assert_int_equal(sxh->value->value, 193);
    assert_int_equal(sxh->previous->value, 244);
    assert_int_equal(sxh->value->value - sxh->previous->value, -51);
    assert_int_equal(sxh->cumulative->value, 1178);
    assert_int_equal(sxh->cumulative_last_year->value, 55);
    assert_int_equal(sxh->cumulative->value
                         - sxh->cumulative_last_year->value, 1123);
    assert_int_equal(sxh->last_year->value, 10);
    assert_int_equal(sxh->reporting_units, 8);
    const Baocao__Figure *tcm = bc_figure(r, "tcm_cases");
    assert_int_equal(tcm->value->value, 119);
    assert_int_equal(tcm->previous->value, 143);
    assert_int_equal(tcm->cumulative->value, 801);
    /* A stock's year to date is its last value, not the sum of months. */
    const Baocao__Figure *tt = bc_figure(r, "tt_managed");
    assert_int_equal(tt->value->value, 2865);
    assert_int_equal(tt->cumulative->value, 2865);
    assert_true(!tt->last_year || !tt->last_year->present);   /* not 0 */
    baocao__reply__free_unpacked(r, NULL);

    /* Longer periods, combined from months by each rule. */
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HG", "2022-Q4", "sxh_cases",
                               &v));
    assert_int_equal(v, 75 + 244 + 193);
    assert_true(bc_query_value(f->hub.endpoint, "HG", "2022-H2",
                               "tt_managed", &v));
    assert_int_equal(v, 2865);
    assert_true(bc_query_value(f->hub.endpoint, "HG", "2022", "sxh_cases",
                               &v));
    assert_int_equal(v, 1178);
    /* A district reads its own share. */
    assert_true(bc_query_value(f->hub.endpoint, "HG-CT", "2022-12",
                               "sxh_cases", &v));
    assert_int_equal(v, share(193, 0));
}

static double json_figure(const char *out, const char *code, const char *key)
{
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    cJSON *o = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "figures"), code);
    assert_non_null(o);
    cJSON *item = cJSON_GetObjectItem(o, key);
    assert_non_null(item);
    assert_true(cJSON_IsNumber(item));
    double v = item->valuedouble;
    cJSON_Delete(doc);
    return v;
}

/* % of plan, one decimal, from the figures (seed 000: ultrasound 7,354 of
 * 15,000 = 49.0 %; visits 79,458 of 200,000 = 39.7 %, which the source
 * misprints as 40.0 %). */
static void test_percent_of_plan(void **state)
{
    fixture_t *f = *state;
    for (int m = 1; m <= 12; m++) {
        char period[16], vals[128];
        snprintf(period, sizeof period, "2023-%02d", m);
        snprintf(vals, sizeof vals, "sieu_am=%d,kcb_visits=%d",
                 m < 12 ? 612 : 622, m < 12 ? 6621 : 6627);
        assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB", period, 1,
                                   FILED_2023_12, vals),
                         BAOCAO__ACK_STATUS__ACK_STORED);
    }
    char plan[4096];
    snprintf(plan, sizeof plan, "%s", bc_path(f->dir, "plan.csv"));
    bc_write_file(plan, "indicator,target\nsieu_am,15000\nkcb_visits,200000\n");
    const char *pargv[] = {"plan", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "HP-HB", "--year", "2023", "--file",
                           plan, NULL};
    assert_int_equal(bc_run("baocao", pargv, NULL), 0);

    const char *argv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "HP-HB", "--period", "2023-12",
                          "--format", "json", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_int_equal((int) json_figure(out, "sieu_am", "cumulative"), 7354);
    assert_int_equal((int) json_figure(out, "kcb_visits", "cumulative"),
                     79458);
    assert_true(fabs(json_figure(out, "sieu_am", "target_pct") - 49.0)
                < 1e-9);
    assert_true(fabs(json_figure(out, "kcb_visits", "target_pct") - 39.7)
                < 1e-9);
    free(out);

    /* A province without its own plan sums its units' targets; a plan of
     * its own wins. */
    Baocao__Reply *r = bc_query(f->hub.endpoint, "HP", "2023-12");
    assert_int_equal(bc_figure(r, "sieu_am")->target->value, 15000);
    baocao__reply__free_unpacked(r, NULL);
    bc_write_file(plan, "indicator,target\nsieu_am,40000\n");
    const char *hargv[] = {"plan", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "HP", "--year", "2023", "--file", plan,
                           NULL};
    assert_int_equal(bc_run("baocao", hargv, NULL), 0);
    r = bc_query(f->hub.endpoint, "HP", "2023-12");
    assert_int_equal(bc_figure(r, "sieu_am")->target->value, 40000);
    assert_int_equal(bc_figure(r, "kcb_visits")->target->value, 200000);
    baocao__reply__free_unpacked(r, NULL);
    /* A rate may be planned (issue #11, item 8), in its own units, and
     * its target is never summed: HP's own plan has it, HP-HB's has not. */
    bc_write_file(plan, "indicator,target\nsdd_underweight_rate,5\n");
    assert_int_equal(bc_run("baocao", hargv, NULL), 0);
    r = bc_query(f->hub.endpoint, "HP", "2023-12");
    assert_int_equal(bc_figure(r, "sdd_underweight_rate")->target->value, 5);
    baocao__reply__free_unpacked(r, NULL);
    r = bc_query(f->hub.endpoint, "HP-HB", "2023-12");
    const Baocao__Figure *ur = bc_figure(r, "sdd_underweight_rate");
    assert_true(!ur->target || !ur->target->present);
    baocao__reply__free_unpacked(r, NULL);
}

/* Six of nine wards report for 2023-11, one of them after the deadline
 * (5 working days after the period: end of Thu 2023-12-07, UTC+7). */
static void test_completeness(void **state)
{
    fixture_t *f = *state;
    const char *on_time[] = {"HP-HB-QT", "HP-HB-HV", "HP-HB-SD", "HP-HB-TC",
                             "HP-HB-TL"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(bc_submit(f->hub.endpoint, NULL, on_time[i],
                                   "2023-11", 1, 1701486000, "sdd_u5=1"),
                         BAOCAO__ACK_STATUS__ACK_STORED);
    /* Late: filed one second after the deadline. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-HL", "2023-11",
                               1, 1701968400, "sdd_u5=1"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    /* A correction filed late does not make an on-time report late. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-11",
                               2, 1702000000, "sdd_u5=2"),
                     BAOCAO__ACK_STATUS__ACK_STORED);

    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = "HP-HB";
    q.period = "2023-11";
    q.level = "";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
    const Baocao__CompletenessReply *c = r->completeness;
    assert_int_equal(c->expected, 9);
    assert_int_equal(c->reported, 6);
    assert_int_equal(c->on_time, 5);
    assert_int_equal(c->deadline, 1701968400);
    const char *missing[3];
    size_t nmissing = 0;
    for (size_t i = 0; i < c->n_units; i++) {
        const Baocao__UnitReport *u = c->units[i];
        if (u->state == BAOCAO__REPORT_STATE__STATE_MISSING) {
            if (nmissing < 3)
                missing[nmissing] = u->unit;
            nmissing++;
        }
        if (!strcmp(u->unit, "HP-HB-HL"))
            assert_int_equal(u->state, BAOCAO__REPORT_STATE__STATE_LATE);
        if (!strcmp(u->unit, "HP-HB-QT")) {
            assert_int_equal(u->state, BAOCAO__REPORT_STATE__STATE_ON_TIME);
            assert_int_equal(u->revision, 2);
        }
    }
    assert_int_equal(nmissing, 3);
    assert_string_equal(missing[0], "HP-HB-HVT");
    assert_string_equal(missing[1], "HP-HB-PBC");
    assert_string_equal(missing[2], "HP-HB-MK");
    baocao__reply__free_unpacked(r, NULL);

    /* The CLI prints the rate as a number and a percentage. */
    const char *argv[] = {"completeness", "--hub", f->hub.endpoint,
                          "--plain", "--unit", "HP-HB", "--period",
                          "2023-11", "--format", "json", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetObjectItem(doc, "missing")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(doc, "late")->valueint, 1);
    assert_true(fabs(cJSON_GetObjectItem(doc, "reporting_rate_pct")
                         ->valuedouble - 66.7) < 1e-9);
    cJSON_Delete(doc);
    free(out);
}

/* Reports filed for a whole quarter or year are read as filed; a level
 * other than the leaves can be asked for in the reporting rate. */
static void test_longer_periods_and_levels(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-Q1",
                               1, FILED_2023_12, "births=9"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-HV", "2023",
                               1, FILED_2023_12, "births=40"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2023-Q1", "births",
                               &v));
    assert_int_equal(v, 9);
    /* The year: Hùng Vương's year report, plus Quán Toan's quarter (its
     * contribution to the year: #11, mixed periods). */
    assert_true(bc_query_value(f->hub.endpoint, "HP", "2023", "births", &v));
    assert_int_equal(v, 40 + 9);
    assert_false(bc_query_value(f->hub.endpoint, "HP-HB", "2023-Q2", "births",
                                &v));

    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = "HG";
    q.period = "2023-01";
    q.level = "district";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
    assert_int_equal(r->completeness->expected, 8);
    assert_int_equal(r->completeness->reported, 0);
    baocao__reply__free_unpacked(r, NULL);
    /* A district's own deadline is 15 working days (a commune's is 5):
     * 2023-01 ends on Wed 2023-02-01 00:00 +07; the 15th working day after
     * is Tue 2023-02-21, so the deadline is 2023-02-21T17:00:00Z. */
    q.unit = "HP";
    q.level = "district";
    r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->completeness->expected, 1);
    assert_int_equal(r->completeness->deadline, 1676998800);
    baocao__reply__free_unpacked(r, NULL);
}

static int64_t ytd(fixture_t *f, const char *unit, const char *period)
{
    Baocao__Reply *r = bc_query(f->hub.endpoint, unit, period);
    const Baocao__Figure *fig = bc_figure(r, "tt_managed");
    int64_t v = fig->cumulative ? fig->cumulative->value : -1;
    baocao__reply__free_unpacked(r, NULL);
    return v;
}

/* A stock's year to date over a district: each ward's own last value,
 * summed, even for wards that stopped reporting; order of arrival and
 * corrections do not matter. */
static void test_stock_carried_forward(void **state)
{
    fixture_t *f = *state;
    const char *ep = f->hub.endpoint;
    int64_t t = FILED_2023_12;
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-QT", "2023-01", 1, t,
                               "tt_managed=10"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", "2023-01", 1, t,
                               "tt_managed=20"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-SD", "2023-01", 1, t,
                               "tt_managed=30"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-QT", "2023-02", 1, t,
                               "tt_managed=12"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", "2023-02", 1, t,
                               "tt_managed=21"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-QT", "2023-03", 1, t,
                               "tt_managed=15"), BAOCAO__ACK_STATUS__ACK_STORED);
    /* March: Quán Toan 15, Hùng Vương still 21 (Feb), Sở Dầu 30 (Jan). */
    assert_int_equal(ytd(f, "HP-HB", "2023-03"), 15 + 21 + 30);
    assert_int_equal(ytd(f, "HP-HB", "2023-02"), 12 + 21 + 30);
    assert_int_equal(ytd(f, "HP", "2023-Q1"), 66);
    assert_int_equal(ytd(f, "HP-HB", "2023"), 66);
    /* The month's value follows the same rule as the year to date: each
     * ward's last value up to the month's end (#24: one stock rule for
     * every period length). */
    int64_t v;
    assert_true(bc_query_value(ep, "HP-HB", "2023-03", "tt_managed", &v));
    assert_int_equal(v, 15 + 21 + 30);
    /* A correction to February carries into March. */
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", "2023-02", 2, t,
                               "tt_managed=25"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ytd(f, "HP-HB", "2023-03"), 15 + 25 + 30);
    /* A late March report for Sở Dầu, then its February arriving after
     * it: February changes, March keeps Sở Dầu's March figure. */
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-SD", "2023-03", 1, t,
                               "tt_managed=33"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-SD", "2023-02", 1, t,
                               "tt_managed=31"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ytd(f, "HP-HB", "2023-02"), 12 + 25 + 31);
    assert_int_equal(ytd(f, "HP-HB", "2023-03"), 15 + 25 + 33);
    /* A correction that drops the figure: Quán Toan's March no longer
     * reports it, so its February value carries again. */
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-QT", "2023-03", 2, t,
                               "births=1"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ytd(f, "HP-HB", "2023-03"), 12 + 25 + 33);
    /* The next year starts afresh. */
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-QT", "2024-01", 1, t,
                               "tt_managed=9"), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ytd(f, "HP-HB", "2024-01"), 9);
}

static Baocao__Reply *slice(fixture_t *f, const char *unit,
                            const char *indicator, const char *from,
                            const char *to, bool self)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__SliceQuery q = BAOCAO__SLICE_QUERY__INIT;
    q.unit = (char *) unit;
    q.indicator = (char *) indicator;
    q.from = (char *) from;
    q.to = (char *) to;
    q.include_self = self;
    req.body_case = BAOCAO__REQUEST__BODY_SLICE;
    req.slice = &q;
    return bc_send(f->hub.endpoint, &req);
}

static const Baocao__SliceRow *slice_row(const Baocao__SliceReply *s,
                                         const char *unit)
{
    for (size_t i = 0; i < s->n_rows; i++)
        if (!strcmp(s->rows[i]->unit, unit))
            return s->rows[i];
    return NULL;
}

/* SliceQuery: one indicator for every child over a range of months, in one
 * request, with the same numbers Query gives month by month. */
static void test_slice(void **state)
{
    fixture_t *f = *state;
    file_hongbang(f);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-SD", "2023-11",
                               1, FILED_2023_12, "sdd_u5=1000,sdd_underweight=50"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    Baocao__Reply *r = slice(f, "HP-HB", "sdd_u5", "2023-01", "2024-12",
                             true);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_SLICE);
    const Baocao__SliceReply *s = r->slice;
    assert_int_equal(s->kind, BAOCAO__INDICATOR_KIND__KIND_FLOW);
    assert_int_equal(s->n_months, 24);
    assert_string_equal(s->months[0], "2023-01");
    assert_string_equal(s->months[23], "2024-12");
    assert_int_equal(s->n_rows, 10);           /* the district + 9 wards */
    assert_string_equal(s->rows[0]->unit, "HP-HB");
    assert_true(s->rows[0]->has_children);
    assert_int_equal(s->rows[0]->n_values, 24);
    assert_int_equal(s->rows[0]->n_reporting_units, 24);
    /* December: 7492 for the district, as Query says; 1257 for Sở Dầu. */
    assert_int_equal(s->rows[0]->values[11], 7492);
    assert_int_equal(s->rows[0]->reporting_units[11], 9);
    const Baocao__SliceRow *sd = slice_row(s, "HP-HB-SD");
    assert_non_null(sd);
    assert_false(sd->has_children);
    assert_int_equal(sd->values[11], 1257);
    assert_int_equal(sd->reporting_units[11], 1);
    assert_int_equal(sd->values[10], 1000);
    assert_int_equal(sd->reporting_units[10], 1);
    assert_int_equal(sd->reporting_units[9], 0);   /* nothing in October */
    assert_int_equal(sd->reporting_units[12], 0);  /* nor in 2024 */
    /* November for the district: only Sở Dầu's 1000. */
    assert_int_equal(s->rows[0]->values[10], 1000);
    assert_int_equal(s->rows[0]->reporting_units[10], 1);
    /* Every cell agrees with Query's value for that unit and month. */
    for (size_t i = 0; i < s->n_rows; i++)
        for (size_t k = 10; k < 12; k++) {
            int64_t v = 0;
            bool has = bc_query_value(f->hub.endpoint, s->rows[i]->unit,
                                      s->months[k], "sdd_u5", &v);
            assert_int_equal(has, s->rows[i]->reporting_units[k] > 0);
            if (has)
                assert_int_equal(v, s->rows[i]->values[k]);
        }
    baocao__reply__free_unpacked(r, NULL);

    /* A ratio carries its parts per month: 637 / 7492 in December. */
    r = slice(f, "HP-HB", "sdd_underweight_rate", "2023-11", "2023-12",
              false);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_SLICE);
    s = r->slice;
    assert_int_equal(s->n_rows, 9);
    assert_int_equal(s->scale, 100);
    int64_t num = 0, den = 0;
    for (size_t i = 0; i < s->n_rows; i++) {
        assert_int_equal(s->rows[i]->n_values, 0);
        assert_int_equal(s->rows[i]->n_numerators, 2);
        num += s->rows[i]->numerators[1];
        den += s->rows[i]->denominators[1];
    }
    assert_int_equal(num, 637);
    assert_int_equal(den, 7492);
    sd = slice_row(s, "HP-HB-SD");
    assert_int_equal(sd->numerators[0], 50);
    assert_int_equal(sd->denominators[0], 1000);
    baocao__reply__free_unpacked(r, NULL);

    /* Bad slices get a typed error, and the hub goes on answering. */
    struct {
        const char *unit, *ind, *from, *to;
        Baocao__RejectReason want;
    } bad[] = {
        {"NOPE", "sdd_u5", "2023-01", "2023-12",
         BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT},
        {"HP-HB", "nope", "2023-01", "2023-12",
         BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR},
        {"HP-HB", "sdd_u5", "2023", "2023-12",
         BAOCAO__REJECT_REASON__REASON_BAD_PERIOD},
        {"HP-HB", "sdd_u5", "2023-01", "2023-13",
         BAOCAO__REJECT_REASON__REASON_BAD_PERIOD},
        {"HP-HB", "sdd_u5", "2023-12", "2023-01",
         BAOCAO__REJECT_REASON__REASON_BAD_REQUEST},
        {"HP-HB", "sdd_u5", "2000-01", "2023-12",
         BAOCAO__REJECT_REASON__REASON_BAD_REQUEST},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = slice(f, bad[i].unit, bad[i].ind, bad[i].from, bad[i].to, false);
        assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
        assert_int_equal(r->error->reason, bad[i].want);
        baocao__reply__free_unpacked(r, NULL);
    }
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2023-12", "sdd_u5",
                               &v));
    assert_int_equal(v, 7492);
}

/* A reply's bytes with its tag left out: two links' tags differ. */
static uint8_t *untagged(Baocao__Reply *r, size_t *len)
{
    uint64_t tag = r->tag;
    r->tag = 0;
    uint8_t *b = bc_pack(&r->base, len);
    r->tag = tag;
    return b;
}

/* bc_client_call_arena (the web's and the bench's path) decodes the same
 * replies as bc_client_call: a whole district's figures and a slice, held
 * in one arena at once; and an answer that comes after its call timed out
 * is skipped there too, the next call getting its own. */
static void test_replies_in_an_arena(void **state)
{
    fixture_t *f = *state;
    file_hongbang(f);
    char err[256];
    bc_client_t *c = bc_client_new(f->hub.endpoint, NULL, err, sizeof err);
    assert_non_null(c);
    bc_arena_t *arena = bc_arena_new(4096);   /* small: several blocks */

    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = "HP-HB";
    q.period = "2023-12";
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *plain = NULL, *in_arena = NULL, *sl = NULL;
    assert_int_equal(bc_client_call(c, &req, &plain, 20000), BC_OK);
    assert_int_equal(bc_client_call_arena(c, &req, arena, &in_arena, 20000),
                     BC_OK);
    Baocao__SliceQuery sq = BAOCAO__SLICE_QUERY__INIT;
    sq.unit = "HP-HB";
    sq.indicator = "sdd_u5";
    sq.from = "2023-01";
    sq.to = "2024-12";
    Baocao__Request sreq = BAOCAO__REQUEST__INIT;
    sreq.body_case = BAOCAO__REQUEST__BODY_SLICE;
    sreq.slice = &sq;
    assert_int_equal(bc_client_call_arena(c, &sreq, arena, &sl, 20000),
                     BC_OK);
    /* The first arena reply is still whole after the second. */
    assert_int_equal(in_arena->body_case, BAOCAO__REPLY__BODY_QUERY);
    assert_true(in_arena->query->n_figures > 4);
    assert_int_equal(bc_figure(in_arena, "sdd_u5")->value->value, 7492);
    size_t n1, n2;
    uint8_t *b1 = untagged(plain, &n1), *b2 = untagged(in_arena, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    assert_int_equal(sl->body_case, BAOCAO__REPLY__BODY_SLICE);
    assert_int_equal(sl->slice->n_rows, 9);
    baocao__reply__free_unpacked(plain, NULL);
    bc_arena_reset(arena);

    /* A late answer: the hub stopped, the call times out; resumed, the
     * hub answers it first, and the next call skips it for its own. */
    pid_t hub = f->hub.proc.group ? -f->hub.proc.pid : f->hub.proc.pid;
    assert_int_equal(kill(hub, SIGSTOP), 0);
    Baocao__Reply *late = NULL;
    assert_int_equal(bc_client_call_arena(c, &sreq, arena, &late, 300),
                     BC_ETIMEOUT);
    assert_null(late);
    assert_int_equal(kill(hub, SIGCONT), 0);
    Baocao__Reply *own = NULL;
    assert_int_equal(bc_client_call_arena(c, &req, arena, &own, 20000),
                     BC_OK);
    assert_int_equal(own->body_case, BAOCAO__REPLY__BODY_QUERY);
    assert_int_equal(bc_figure(own, "sdd_u5")->value->value, 7492);
    bc_arena_destroy(&arena);
    bc_client_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rate_from_parts, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_comparisons_and_stocks,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_percent_of_plan, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_completeness, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stock_carried_forward,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_longer_periods_and_levels,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_slice, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_replies_in_an_arena,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.queries", tests, NULL,
                                       NULL);
}
