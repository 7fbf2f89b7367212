/*
 * test_breakdowns.c -- issue 17, against a real hub started with the
 * shipped breakdown catalogue (data/indicators-breakdowns.csv) and
 * categories (data/categories.csv): dengue cases by sex and age from
 * three wards add up at the district and the province for every
 * combination and for the total; parts that do not sum to a stated total
 * are refused with the difference; incomplete and unknown combinations get
 * their typed reasons; a stock by age carries forward by combination; a
 * rate by sex is rebuilt from its parts by sex; a version-1 client that
 * sends totals only keeps working; and Hậu Giang's COVID-19 vaccination by
 * age group (seed 001, 12/2022), filed by three districts, gives the
 * seed's figures. On the code before this change the hub took no
 * --categories and every one of these fails.
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

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub under test */
} fixture_t;

#define FILED 1767225600   /* 2026-01-01T00:00:00Z */

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("breakdowns");
    /* bc_source may return one static buffer: copy each. */
    char cat[1024], cats[1024];
    snprintf(cat, sizeof cat, "%s",
             bc_source("data/indicators-breakdowns.csv"));
    snprintf(cats, sizeof cats, "%s", bc_source("data/categories.csv"));
    const char *extra[] = {"--catalog", cat, "--categories", cats, NULL};
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

/* A report from "code=v;code[cat=opt,cat=opt]=v;..." (options in any
 * order), sent straight to the hub; returns the reply (caller frees). */
static Baocao__Reply *send_spec(fixture_t *f, const char *unit,
                                const char *period, const char *spec)
{
    enum { MAXV = 64, MAXO = 4 };
    Baocao__Value vals[MAXV], *vp[MAXV];
    Baocao__Option opts[MAXV][MAXO], *op[MAXV][MAXO];
    char *copy = strdup(spec), *save = NULL;
    size_t n = 0;
    for (char *tok = strtok_r(copy, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        assert_true(n < MAXV);
        Baocao__Value *v = &vals[n];
        baocao__value__init(v);
        char *eq = strrchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        v->v_case = BAOCAO__VALUE__V_COUNT;
        v->count = strtoll(eq + 1, NULL, 10);
        char *br = strchr(tok, '[');
        if (br) {
            *br = '\0';
            char *end = strchr(br + 1, ']');
            assert_non_null(end);
            *end = '\0';
            char *s2 = NULL;
            size_t k = 0;
            for (char *o = strtok_r(br + 1, ",", &s2); o;
                 o = strtok_r(NULL, ",", &s2)) {
                assert_true(k < MAXO);
                char *e = strchr(o, '=');
                assert_non_null(e);
                *e = '\0';
                baocao__option__init(&opts[n][k]);
                opts[n][k].category = o;
                opts[n][k].option = e + 1;
                op[n][k] = &opts[n][k];
                k++;
            }
            v->n_options = k;
            v->options = op[n];
        }
        v->indicator = tok;
        vp[n] = v;
        n++;
    }
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    uint8_t id[16];
    bc_id_new(id);
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = (char *) period;
    sub.revision = 1;
    sub.filed_at = FILED;
    sub.n_values = n;
    sub.values = vp;
    req.version = 1;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    free(copy);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    return r;
}

static void expect_stored(fixture_t *f, const char *unit, const char *period,
                          const char *spec)
{
    Baocao__Reply *r = send_spec(f, unit, period, spec);
    if (r->ack->status != BAOCAO__ACK_STATUS__ACK_STORED)
        fail_msg("%s %s refused (%d): %s", unit, period, r->ack->reason,
                 r->ack->message);
    baocao__reply__free_unpacked(r, NULL);
}

static void expect_refused(fixture_t *f, const char *unit, const char *period,
                           const char *spec, Baocao__RejectReason reason,
                           const char *needle)
{
    Baocao__Reply *r = send_spec(f, unit, period, spec);
    assert_int_equal(r->ack->status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    if (r->ack->reason != reason || !strstr(r->ack->message, needle))
        fail_msg("reason %d '%s', expected %d with '%s'", r->ack->reason,
                 r->ack->message, reason, needle);
    baocao__reply__free_unpacked(r, NULL);
}

/* A query with `by` ("sex,age", or NULL) and `opt` ("sex=nu", or NULL)
 * for the indicators in `inds` ("a,b"). Caller frees. */
static Baocao__Reply *query_by(fixture_t *f, const char *unit,
                               const char *period, const char *inds,
                               const char *by, const char *opt)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    char ib[256], bb[64], ob[64];
    char *iv[8], *bv[4];
    Baocao__Option o, *op = &o;
    q.unit = (char *) unit;
    q.period = (char *) period;
    snprintf(ib, sizeof ib, "%s", inds);
    char *save = NULL;
    for (char *t = strtok_r(ib, ",", &save); t; t = strtok_r(NULL, ",", &save))
        iv[q.n_indicators++] = t;
    q.indicators = iv;
    if (by) {
        snprintf(bb, sizeof bb, "%s", by);
        for (char *t = strtok_r(bb, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            bv[q.n_by++] = t;
        q.by = bv;
    }
    if (opt) {
        snprintf(ob, sizeof ob, "%s", opt);
        char *e = strchr(ob, '=');
        *e = '\0';
        baocao__option__init(&o);
        o.category = ob;
        o.option = e + 1;
        q.n_options = 1;
        q.options = &op;
    }
    req.version = 1;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_QUERY);
    return r;
}

/* The breakdown row of `code` whose options are exactly "cat=opt,..." in
 * the reply's order, or NULL. */
static const Baocao__Figure *row(const Baocao__Reply *r, const char *code,
                                 const char *opts)
{
    for (size_t i = 0; i < r->query->n_breakdown; i++) {
        const Baocao__Figure *fig = r->query->breakdown[i];
        char buf[200] = "";
        size_t n = 0;
        for (size_t k = 0; k < fig->n_options; k++)
            n += (size_t) snprintf(buf + n, sizeof buf - n, "%s%s=%s",
                                   k ? "," : "", fig->options[k]->category,
                                   fig->options[k]->option);
        if (!strcmp(fig->indicator, code) && !strcmp(buf, opts))
            return fig;
    }
    return NULL;
}

static int64_t row_value(const Baocao__Reply *r, const char *code,
                         const char *opts)
{
    const Baocao__Figure *fig = row(r, code, opts);
    if (!fig)
        fail_msg("no breakdown row %s %s", code, opts);
    if (!fig->value || !fig->value->present)
        fail_msg("breakdown row %s %s has no value", code, opts);
    return fig->value->value;
}

static const char *SEX[2] = {"nam", "nu"};
static const char *AGE[4] = {"0-4", "5-14", "15-49", "50+"};
static const char *WARDS[3] = {"HP-HB-QT", "HP-HB-HV", "HP-HB-SD"};

/* Ward w's dengue cases for sex s, age a: all different, so that a
 * combination summed into the wrong slot shows. */
static int64_t dengue(int w, int s, int a)
{
    return 1 + w * 100 + s * 10 + a * 3;
}

/* The first case: every combination and the total add up at the
 * district and at the province; `by sex` sums over ages, `by age` over
 * sexes, `sex=nu` filters; the total is derived when not stated. */
static void test_dengue_adds_up(void **state)
{
    fixture_t *f = *state;
    int64_t total = 0;
    for (int w = 0; w < 3; w++) {
        char spec[1024];
        size_t n = 0;
        int64_t wt = 0;
        for (int s = 0; s < 2; s++)
            for (int a = 0; a < 4; a++) {
                /* Options in either order: the hub matches them by
                 * category. */
                if ((a + w) % 2)
                    n += (size_t) snprintf(spec + n, sizeof spec - n,
                                           "sxh_cases[sex=%s,age=%s]=%lld;",
                                           SEX[s], AGE[a],
                                           (long long) dengue(w, s, a));
                else
                    n += (size_t) snprintf(spec + n, sizeof spec - n,
                                           "sxh_cases[age=%s,sex=%s]=%lld;",
                                           AGE[a], SEX[s],
                                           (long long) dengue(w, s, a));
                wt += dengue(w, s, a);
            }
        /* Ward 0 also states the total (matching); the others leave it to
         * the hub. */
        if (w == 0)
            snprintf(spec + n, sizeof spec - n, "sxh_cases=%lld",
                     (long long) wt);
        expect_stored(f, WARDS[w], "2025-05", spec);
        total += wt;
    }
    const char *units[] = {"HP-HB", "HP"};
    for (int u = 0; u < 2; u++) {
        Baocao__Reply *r = query_by(f, units[u], "2025-05", "sxh_cases",
                                    "sex,age", NULL);
        const Baocao__Figure *t = bc_figure(r, "sxh_cases");
        assert_non_null(t);
        assert_true(t->value && t->value->present);
        assert_int_equal(t->value->value, total);
        assert_int_equal(t->n_options, 0);
        assert_int_equal(t->reporting_units, 3);
        assert_int_equal(r->query->n_breakdown, 8);
        int64_t sum = 0;
        for (int s = 0; s < 2; s++)
            for (int a = 0; a < 4; a++) {
                char o[64];
                snprintf(o, sizeof o, "sex=%s,age=%s", SEX[s], AGE[a]);
                int64_t want = dengue(0, s, a) + dengue(1, s, a)
                               + dengue(2, s, a);
                assert_int_equal(row_value(r, "sxh_cases", o), want);
                assert_int_equal(row(r, "sxh_cases", o)->reporting_units, 3);
                sum += want;
            }
        assert_int_equal(sum, total);
        baocao__reply__free_unpacked(r, NULL);

        /* By sex: each sex over every age. */
        r = query_by(f, units[u], "2025-05", "sxh_cases", "sex", NULL);
        assert_int_equal(r->query->n_breakdown, 2);
        for (int s = 0; s < 2; s++) {
            int64_t want = 0;
            for (int w = 0; w < 3; w++)
                for (int a = 0; a < 4; a++)
                    want += dengue(w, s, a);
            char o[32];
            snprintf(o, sizeof o, "sex=%s", SEX[s]);
            assert_int_equal(row_value(r, "sxh_cases", o), want);
        }
        baocao__reply__free_unpacked(r, NULL);

        /* By age, women only: the filter's option is on each row. */
        r = query_by(f, units[u], "2025-05", "sxh_cases", "age", "sex=nu");
        assert_int_equal(r->query->n_breakdown, 4);
        for (int a = 0; a < 4; a++) {
            char o[48];
            snprintf(o, sizeof o, "age=%s,sex=nu", AGE[a]);
            assert_int_equal(row_value(r, "sxh_cases", o),
                             dengue(0, 1, a) + dengue(1, 1, a)
                             + dengue(2, 1, a));
        }
        baocao__reply__free_unpacked(r, NULL);

        /* Women, all ages: one row. */
        r = query_by(f, units[u], "2025-05", "sxh_cases", NULL, "sex=nu");
        assert_int_equal(r->query->n_breakdown, 1);
        int64_t women = 0;
        for (int w = 0; w < 3; w++)
            for (int a = 0; a < 4; a++)
                women += dengue(w, 1, a);
        assert_int_equal(row_value(r, "sxh_cases", "sex=nu"), women);
        baocao__reply__free_unpacked(r, NULL);
    }
    /* A flow over periods, by combination: the year to date of May is
     * May's (nothing earlier). */
    Baocao__Reply *r = query_by(f, "HP", "2025-05", "sxh_cases", "sex", NULL);
    const Baocao__Figure *nam = row(r, "sxh_cases", "sex=nam");
    assert_non_null(nam->cumulative);
    assert_int_equal(nam->cumulative->value, nam->value->value);
    baocao__reply__free_unpacked(r, NULL);
}

/* Parts that do not sum to the stated total: REASON_VALIDATION naming
 * both and the difference; nothing stored. Typed reasons for the rest. */
static void test_refusals(void **state)
{
    fixture_t *f = *state;
    char spec[1024];
    size_t n = 0;
    int64_t sum = 0;
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) {
            n += (size_t) snprintf(spec + n, sizeof spec - n,
                                   "sxh_cases[sex=%s,age=%s]=%d;", SEX[s],
                                   AGE[a], s + a);
            sum += s + a;
        }
    assert_int_equal(sum, 16);
    char bad[1100];
    snprintf(bad, sizeof bad, "%ssxh_cases=20", spec);
    expect_refused(f, "HP-HB-TC", "2025-06", bad,
                   BAOCAO__REJECT_REASON__REASON_VALIDATION,
                   "sxh_cases: the combinations sum to 16, the total given "
                   "is 20 (difference 4)");
    int64_t v;
    assert_false(bc_query_value(f->hub.endpoint, "HP-HB-TC", "2025-06",
                                "sxh_cases", &v));
    /* Seven of eight: incomplete, naming the one missing. */
    char *last = strstr(spec, "sxh_cases[sex=nu,age=50+]");
    assert_non_null(last);
    char seven[1100];
    snprintf(seven, sizeof seven, "%.*s", (int) (last - spec), spec);
    expect_refused(f, "HP-HB-TC", "2025-06", seven,
                   BAOCAO__REJECT_REASON__REASON_INCOMPLETE_COMBINATION,
                   "sxh_cases is broken down into 8 combinations and the "
                   "report gives 7: every one or none (the total alone); "
                   "missing sex=nu, age=50+");
    /* A combination naming one category of two. */
    expect_refused(f, "HP-HB-TC", "2025-06", "sxh_cases[sex=nu]=3",
                   BAOCAO__REJECT_REASON__REASON_INCOMPLETE_COMBINATION,
                   "age is missing");
    expect_refused(f, "HP-HB-TC", "2025-06", "sxh_cases[sex=x,age=0-4]=3",
                   BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION,
                   "sxh_cases has no option sex=x");
    expect_refused(f, "HP-HB-TC", "2025-06",
                   "sxh_cases[sex=nu,vax_age=18+]=3",
                   BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION,
                   "sxh_cases is not broken down by vax_age");
    expect_refused(f, "HP-HB-TC", "2025-06",
                   "sxh_cases[sex=nu,sex=nam]=3",
                   BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION,
                   "names twice the category sex");
    expect_refused(f, "HP-HB-TC", "2025-06", "soi_cases[sex=nu]=3",
                   BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION,
                   "soi_cases is not broken down by any category");
    /* The internal code of a combination is not a catalogue code: a
     * value named "sxh_cases[sex=nu,age=0-4]" is an unknown indicator. */
    {
        Baocao__Request req = BAOCAO__REQUEST__INIT;
        Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
        Baocao__Value val = BAOCAO__VALUE__INIT, *vp = &val;
        uint8_t id[16];
        bc_id_new(id);
        val.indicator = "sxh_cases[sex=nu,age=0-4]";
        val.v_case = BAOCAO__VALUE__V_COUNT;
        val.count = 1;
        sub.id.data = id;
        sub.id.len = 16;
        sub.unit = "HP-HB-TC";
        sub.period = "2025-06";
        sub.revision = 1;
        sub.filed_at = FILED;
        sub.n_values = 1;
        sub.values = &vp;
        req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
        req.submit = &sub;
        Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
        assert_int_equal(r->ack->reason,
                         BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR);
        baocao__reply__free_unpacked(r, NULL);
    }
    /* A combination twice. */
    char twice[1200];
    snprintf(twice, sizeof twice, "%ssxh_cases[age=0-4,sex=nam]=1", spec);
    expect_refused(f, "HP-HB-TC", "2025-06", twice,
                   BAOCAO__REJECT_REASON__REASON_DUPLICATE_VALUE, "twice");
    /* A query's unknown category or option is typed too. */
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    char *by[] = {"hair"};
    q.unit = "HP";
    q.period = "2025-06";
    q.n_by = 1;
    q.by = by;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
    assert_int_equal(r->error->reason,
                     BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION);
    assert_non_null(strstr(r->error->message, "unknown category 'hair'"));
    baocao__reply__free_unpacked(r, NULL);
    /* The same figures with the right total are stored. */
    char good[1100];
    snprintf(good, sizeof good, "%ssxh_cases=16", spec);
    expect_stored(f, "HP-HB-TC", "2025-06", good);
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB-TC", "2025-06",
                               "sxh_cases", &v));
    assert_int_equal(v, 16);
}

/* Hậu Giang's COVID-19 vaccination by age group (seed 001, figures to
 * 12/12/2022: dose 1 for 18 and over 534,385, 12-17 74,059, 5-11 91,140;
 * dose 2 520,903, 73,157 and 79,817), split over three districts as
 * their reports would carry them. The province gives the seed's figures,
 * by age group and in total. */
static const struct {
    const char *unit;
    int64_t d1[3], d2[3];   /* 5-11, 12-17, 18+ */
} VAX[3] = {
    {"HG-CT", {35000, 30000, 200000}, {30000, 29000, 195000}},
    {"HG-NB", {30000, 25000, 180000}, {27000, 25000, 176000}},
    {"HG-VT", {26140, 19059, 154385}, {22817, 19157, 149903}},
};
static const char *VAX_AGE[3] = {"5-11", "12-17", "18+"};

static void file_vax(fixture_t *f, int d, const char *period, int64_t bump)
{
    char spec[512];
    size_t n = 0;
    for (int a = 0; a < 3; a++)
        n += (size_t) snprintf(spec + n, sizeof spec - n,
                               "covid_vax_dose1[vax_age=%s]=%lld;"
                               "covid_vax_dose2[vax_age=%s]=%lld;",
                               VAX_AGE[a], (long long) (VAX[d].d1[a] + bump),
                               VAX_AGE[a], (long long) VAX[d].d2[a]);
    expect_stored(f, VAX[d].unit, period, spec);
}

static void test_seed_vaccination(void **state)
{
    fixture_t *f = *state;
    for (int d = 0; d < 3; d++)
        file_vax(f, d, "2022-12", 0);
    Baocao__Reply *r = query_by(f, "HG", "2022-12",
                                "covid_vax_dose1,covid_vax_dose2", "vax_age",
                                NULL);
    assert_int_equal(row_value(r, "covid_vax_dose1", "vax_age=18+"), 534385);
    assert_int_equal(row_value(r, "covid_vax_dose1", "vax_age=12-17"), 74059);
    assert_int_equal(row_value(r, "covid_vax_dose1", "vax_age=5-11"), 91140);
    assert_int_equal(row_value(r, "covid_vax_dose2", "vax_age=18+"), 520903);
    assert_int_equal(row_value(r, "covid_vax_dose2", "vax_age=12-17"), 73157);
    assert_int_equal(row_value(r, "covid_vax_dose2", "vax_age=5-11"), 79817);
    const Baocao__Figure *t1 = bc_figure(r, "covid_vax_dose1");
    const Baocao__Figure *t2 = bc_figure(r, "covid_vax_dose2");
    assert_int_equal(t1->value->value, 534385 + 74059 + 91140);
    assert_int_equal(t2->value->value, 520903 + 73157 + 79817);
    assert_int_equal(t1->reporting_units, 3);
    baocao__reply__free_unpacked(r, NULL);
}

/* A stock by age carries forward by combination: in October every
 * district reports; in November only Châu Thành, with 1,000 more of each
 * group for dose 1. November's province is Châu Thành's new figures plus
 * the others' October ones, group by group; December (no report) carries
 * November's. */
static void test_stock_carries(void **state)
{
    fixture_t *f = *state;
    for (int d = 0; d < 3; d++)
        file_vax(f, d, "2022-10", 0);
    file_vax(f, 0, "2022-11", 1000);
    const char *months[] = {"2022-11", "2022-12"};
    for (int m = 0; m < 2; m++) {
        Baocao__Reply *r = query_by(f, "HG", months[m], "covid_vax_dose1",
                                    "vax_age", NULL);
        int64_t total = 0;
        for (int a = 0; a < 3; a++) {
            char o[32];
            snprintf(o, sizeof o, "vax_age=%s", VAX_AGE[a]);
            int64_t want = VAX[0].d1[a] + 1000 + VAX[1].d1[a] + VAX[2].d1[a];
            assert_int_equal(row_value(r, "covid_vax_dose1", o), want);
            total += want;
        }
        assert_int_equal(bc_figure(r, "covid_vax_dose1")->value->value,
                         total);
        baocao__reply__free_unpacked(r, NULL);
    }
    /* The year to date of a stock is its last value, by combination. */
    Baocao__Reply *r = query_by(f, "HG-CT", "2022-11", "covid_vax_dose1",
                                "vax_age", NULL);
    const Baocao__Figure *g = row(r, "covid_vax_dose1", "vax_age=18+");
    assert_int_equal(g->cumulative->value, VAX[0].d1[2] + 1000);
    assert_int_equal(g->previous->value, VAX[0].d1[2]);
    baocao__reply__free_unpacked(r, NULL);
}

/* Average length of stay by sex: days over inpatients, each aggregated by
 * sex first. The wards' rates for men are 4 and 0.33; the district's is
 * 50 / 40 = 1.25, not their mean (2.17). */
static void test_ratio_by_sex(void **state)
{
    fixture_t *f = *state;
    expect_stored(f, "HP-HB-QT", "2025-07",
                  "kcb_inpatient_days[sex=nam]=40;"
                  "kcb_inpatient_days[sex=nu]=30;"
                  "kcb_inpatients[sex=nam]=10;kcb_inpatients[sex=nu]=5");
    expect_stored(f, "HP-HB-HV", "2025-07",
                  "kcb_inpatient_days[sex=nam]=10;"
                  "kcb_inpatient_days[sex=nu]=90;"
                  "kcb_inpatients[sex=nam]=30;kcb_inpatients[sex=nu]=15");
    Baocao__Reply *r = query_by(f, "HP-HB", "2025-07", "kcb_alos", "sex",
                                NULL);
    const Baocao__Figure *t = bc_figure(r, "kcb_alos");
    assert_int_equal(t->numerator->value, 170);
    assert_int_equal(t->denominator->value, 60);
    const Baocao__Figure *nam = row(r, "kcb_alos", "sex=nam");
    const Baocao__Figure *nu = row(r, "kcb_alos", "sex=nu");
    assert_non_null(nam);
    assert_non_null(nu);
    assert_int_equal(nam->kind, BAOCAO__INDICATOR_KIND__KIND_RATIO);
    assert_int_equal(nam->numerator->value, 50);
    assert_int_equal(nam->denominator->value, 40);
    assert_int_equal(nu->numerator->value, 120);
    assert_int_equal(nu->denominator->value, 20);
    assert_true(nam->scale == 1);
    double rate = (double) nam->numerator->value / nam->denominator->value
                  * nam->scale;
    assert_true(rate > 1.2499 && rate < 1.2501);
    assert_int_equal(nam->reporting_units, 2);
    baocao__reply__free_unpacked(r, NULL);
}

/* A version-1 client knows nothing of options: it sends the total only,
 * and it is stored and counted in the total as before. The breakdown rows
 * count only reports that gave a breakdown (proto/README.md), so the
 * district's rows are the broken-down ward's. */
static void test_old_client_totals(void **state)
{
    fixture_t *f = *state;
    expect_stored(f, "HP-HB-TL", "2025-08", "sxh_cases=12;soi_cases=2");
    char spec[1024];
    size_t n = 0;
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++)
            n += (size_t) snprintf(spec + n, sizeof spec - n,
                                   "sxh_cases[sex=%s,age=%s]=1;", SEX[s],
                                   AGE[a]);
    expect_stored(f, "HP-HB-HL", "2025-08", spec);
    expect_stored(f, "HP-HB-MK", "2025-08", "sxh_cases=5;tcm_cases=4");
    Baocao__Reply *r = query_by(f, "HP-HB", "2025-08", "sxh_cases,tcm_cases",
                                "sex", NULL);
    assert_int_equal(bc_figure(r, "sxh_cases")->value->value, 12 + 8 + 5);
    assert_int_equal(bc_figure(r, "sxh_cases")->reporting_units, 3);
    assert_int_equal(bc_figure(r, "tcm_cases")->value->value, 4);
    assert_int_equal(row_value(r, "sxh_cases", "sex=nam"), 4);
    assert_int_equal(row(r, "sxh_cases", "sex=nu")->reporting_units, 1);
    /* tcm_cases is broken down by age only: no rows by sex. */
    assert_null(row(r, "tcm_cases", "sex=nam"));
    assert_int_equal(r->query->n_breakdown, 2);
    baocao__reply__free_unpacked(r, NULL);
    /* Without `by`, a reply is what it always was: no breakdown rows. */
    r = query_by(f, "HP-HB", "2025-08", "sxh_cases", NULL, NULL);
    assert_int_equal(r->query->n_breakdown, 0);
    baocao__reply__free_unpacked(r, NULL);
}

/* `baocao query --by` and `--option` in CSV, JSON and the table: the
 * totals as before, then a row per combination with a column per
 * category (empty for a total, as in a filed CSV). */
static void test_query_command(void **state)
{
    fixture_t *f = *state;
    expect_stored(f, "HP-HB-QT", "2025-09",
                  "tcm_cases[age=0-4]=7;tcm_cases[age=5-14]=3;"
                  "tcm_cases[age=15-49]=1;tcm_cases[age=50+]=0;soi_cases=2");
    expect_stored(f, "HP-HB-HV", "2025-09",
                  "tcm_cases[age=0-4]=5;tcm_cases[age=5-14]=2;"
                  "tcm_cases[age=15-49]=0;tcm_cases[age=50+]=1");
    const char *csv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                         "--unit", "HP-HB", "--period", "2025-09",
                         "--indicator", "tcm_cases", "--by", "age",
                         "--format", "csv", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", csv, &out), 0);
    if (!strstr(out, "indicator,name,age,value,") ||
        !strstr(out, "\ntcm_cases,Tay chân miệng: số ca mắc mới,,19,") ||
        !strstr(out, "\ntcm_cases,Tay chân miệng: số ca mắc mới,0-4,12,") ||
        !strstr(out, "\ntcm_cases,Tay chân miệng: số ca mắc mới,50+,1,"))
        fail_msg("CSV:\n%s", out);
    free(out);
    const char *json[] = {"query", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "HP-HB", "--period", "2025-09",
                          "--indicator", "tcm_cases", "--option", "age=5-14",
                          "--format", "json", NULL};
    assert_int_equal(bc_run("baocao", json, &out), 0);
    /* The figures object is what it was; breakdown is the new field. */
    if (!strstr(out, "\"breakdown\":") ||
        !strstr(out, "\"options\":\t{\n\t\t\t\t\"age\":\t\"5-14\"") ||
        !strstr(out, "\"value\":\t5,"))
        fail_msg("JSON:\n%s", out);
    free(out);
    const char *table[] = {"query", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "HP-HB", "--period", "2025-09",
                           "--by", "age", NULL};
    assert_int_equal(bc_run("baocao", table, &out), 0);
    /* Every indicator: soi_cases is a total only ("all"), and the rows of
     * tcm_cases by age follow. */
    if (!strstr(out, "age") || !strstr(out, " all ") ||
        !strstr(out, " 15-49 "))
        fail_msg("table:\n%s", out);
    free(out);
    /* A category the hub does not know: the hub's typed refusal. */
    const char *bad[] = {"query", "--hub", f->hub.endpoint, "--plain",
                         "--unit", "HP-HB", "--period", "2025-09",
                         "--by", "hair", NULL};
    assert_int_not_equal(bc_run("baocao", bad, &out), 0);
    free(out);
    const char *shape[] = {"query", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "HP-HB", "--period", "2025-09",
                           "--option", "sex", NULL};
    assert_int_equal(bc_run("baocao", shape, &out), 2);
    free(out);
}

/* Files with the real CLI into a node's outbox and drains it to the hub. */
static void file_csv(fixture_t *f, const char *unit, const char *period,
                     const char *csv, const char *how)
{
    char store[600], file[600];
    snprintf(store, sizeof store, "%s", bc_path(f->dir, unit));
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "report.csv"));
    bc_write_file(file, csv);
    const char *sub[] = {"submit", "--store", store, "--unit", unit,
                         "--period", period, "--file", file, how, NULL};
    char *out = NULL;
    int rc = bc_run("baocao", sub, &out);
    if (rc)
        fail_msg("baocao submit exit %d: %s", rc, out ? out : "");
    free(out);
    const char *node[] = {"--store", store, "--unit", unit, "--hub",
                          f->hub.endpoint, "--plain", "--drain",
                          "--max-seconds", "60", "--timeout", "2000", NULL};
    bc_proc_t p = bc_spawn("baocao-node", node, NULL);
    assert_int_equal(bc_wait(&p, 90000), 0);
}

/* Filing a breakdown as staff do: `indicator,sex,age,value`, empty
 * category cells for a total, other indicators on the same sheet; then a
 * correction with --merge that gives the breakdown again replaces all of
 * it, and one that leaves the indicator out keeps it. */
static void test_csv_filing(void **state)
{
    fixture_t *f = *state;
    char csv[2048];
    size_t n = (size_t) snprintf(csv, sizeof csv,
                                 "indicator,sex,age,value\n");
    int64_t total = 0;
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) {
            n += (size_t) snprintf(csv + n, sizeof csv - n,
                                   "sxh_cases,%s,%s,%d\n", SEX[s], AGE[a],
                                   2 * s + a);
            total += 2 * s + a;
        }
    /* tcm_cases by age only: its sex cell is empty. */
    n += (size_t) snprintf(csv + n, sizeof csv - n,
                           "tcm_cases,,0-4,3\ntcm_cases,,5-14,1\n"
                           "tcm_cases,,15-49,0\ntcm_cases,,50+,0\n"
                           "sxh_cases,,,%lld\nsoi_cases,,,4\n",
                           (long long) total);
    file_csv(f, "HP-HB-QT", "2025-10", csv, NULL);
    Baocao__Reply *r = query_by(f, "HP-HB", "2025-10",
                                "sxh_cases,tcm_cases,soi_cases", "age", NULL);
    assert_int_equal(bc_figure(r, "sxh_cases")->value->value, total);
    assert_int_equal(bc_figure(r, "tcm_cases")->value->value, 4);
    assert_int_equal(bc_figure(r, "soi_cases")->value->value, 4);
    assert_int_equal(row_value(r, "sxh_cases", "age=50+"), 3 + 5);
    assert_int_equal(row_value(r, "tcm_cases", "age=0-4"), 3);
    baocao__reply__free_unpacked(r, NULL);
    /* A correction of the breakdown alone, merged: every combination is
     * the new one, the total derived again, soi_cases kept. */
    n = (size_t) snprintf(csv, sizeof csv, "indicator,age,sex,value\n");
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++)
            n += (size_t) snprintf(csv + n, sizeof csv - n,
                                   "sxh_cases,%s,%s,1\n", AGE[a], SEX[s]);
    file_csv(f, "HP-HB-QT", "2025-10", csv, "--merge");
    r = query_by(f, "HP-HB", "2025-10", "sxh_cases,soi_cases", "sex", NULL);
    assert_int_equal(bc_figure(r, "sxh_cases")->value->value, 8);
    assert_int_equal(bc_figure(r, "soi_cases")->value->value, 4);
    assert_int_equal(row_value(r, "sxh_cases", "sex=nu"), 4);
    baocao__reply__free_unpacked(r, NULL);
    /* The node's copy of the catalogue knows the categories: an option
     * the hub does not have is refused at filing, nothing filed. */
    char store[600], file[600];
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "HP-HB-QT"));
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "bad.csv"));
    bc_write_file(file, "indicator,sex,age,value\nsxh_cases,nu,99+,1\n");
    const char *sub[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                         "--period", "2025-11", "--file", file, NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao", sub, &out), 1);
    if (!strstr(out, "sxh_cases[age=99+,sex=nu] is not a combination of "
                     "the hub's categories"))
        fail_msg("submit said: %s", out);
    free(out);
}

static int run_export(fixture_t *f, const char *unit, const char *scope,
                      const char *format, const char *map, const char *out,
                      char **err)
{
    char reg[1024], cat[1024], cats[1024];
    snprintf(reg, sizeof reg, "%s", bc_source("data/units.csv"));
    snprintf(cat, sizeof cat, "%s",
             bc_source("data/indicators-breakdowns.csv"));
    snprintf(cats, sizeof cats, "%s", bc_source("data/categories.csv"));
    const char *argv[24] = {"export", "--hub", f->hub.endpoint, "--plain",
                            "--unit", unit, "--period", "2025-05",
                            "--format", format, "--out", out, "--registry",
                            reg, "--mapping", map, "--catalog", cat,
                            "--categories", cats};
    size_t n = 20;
    if (scope)
        argv[n++] = scope;
    argv[n] = NULL;
    return bc_run_all("baocao", argv, err);
}

/* DHIS2 (issue "Upward"): each ward's dengue by sex and age goes out as
 * eight data values with their categoryOptionCombo from the mapping's coc
 * rows (ADX: the options as attributes); a ward that filed the total only
 * goes out as the total; the district, whose combinations do not make up
 * its total, as the total, said on stderr. Imported back through the same
 * mapping for another month, the hub has the same combinations. */
static void test_dhis2(void **state)
{
    fixture_t *f = *state;
    for (int w = 0; w < 3; w++) {
        char spec[1024];
        size_t n = 0;
        for (int s = 0; s < 2; s++)
            for (int a = 0; a < 4; a++)
                n += (size_t) snprintf(spec + n, sizeof spec - n,
                                       "sxh_cases[sex=%s,age=%s]=%lld;",
                                       SEX[s], AGE[a],
                                       (long long) dengue(w, s, a));
        expect_stored(f, WARDS[w], "2025-05", spec);
    }
    expect_stored(f, "HP-HB-TL", "2025-05", "sxh_cases=5");
    char map[600], out[600], *err = NULL;
    snprintf(map, sizeof map, "%s", bc_path(f->dir, "map.csv"));
    snprintf(out, sizeof out, "%s", bc_path(f->dir, "out.json"));
    char rows[2048];
    /* The ours column holds commas: quoted. */
    size_t n = (size_t) snprintf(rows, sizeof rows,
                          "kind,ours,theirs\nindicator,sxh_cases,"
                          "deSxhCases1\n");
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++)
            n += (size_t) snprintf(rows + n, sizeof rows - n,
                                   "coc,\"age=%s,sex=%s\",cocS%dA%d\n",
                                   AGE[a], SEX[s], s, a);
    bc_write_file(map, rows);
    int erc = run_export(f, "HP-HB", "--children", "dhis2-json", map, out,
                         &err);
    if (erc)
        fail_msg("export exit %d: %s", erc, err ? err : "");
    free(err);
    char *text = bc_read_text(out);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    const cJSON *dv = cJSON_GetObjectItem(j, "dataValues");
    int combos = 0, totals = 0;
    for (int i = 0; i < cJSON_GetArraySize(dv); i++) {
        const cJSON *v = cJSON_GetArrayItem(dv, i);
        const char *de = cJSON_GetObjectItem(v, "dataElement")->valuestring;
        const char *ou = cJSON_GetObjectItem(v, "orgUnit")->valuestring;
        const cJSON *coc = cJSON_GetObjectItem(v, "categoryOptionCombo");
        const char *val = cJSON_GetObjectItem(v, "value")->valuestring;
        if (strcmp(de, "deSxhCases1"))
            continue;
        if (coc && coc->valuestring[0]) {
            combos++;
            if (!strcmp(ou, "HP-HB-HV") && !strcmp(coc->valuestring, "cocS1A2")) {
                char want[32];
                snprintf(want, sizeof want, "%lld", (long long) dengue(1, 1, 2));
                assert_string_equal(val, want);
            }
        } else {
            totals++;
            assert_string_equal(ou, "HP-HB-TL");
            assert_string_equal(val, "5");
        }
    }
    assert_int_equal(combos, 3 * 8);
    assert_int_equal(totals, 1);
    cJSON_Delete(j);

    /* The district: its combinations do not make up its total. */
    assert_int_equal(run_export(f, "HP-HB", NULL, "dhis2-json", map, out,
                                &err), 0);
    assert_non_null(strstr(err, "HP-HB 202505 sxh_cases: some reports gave "
                                "its total only"));
    free(err);
    text = bc_read_text(out);
    assert_null(strstr(text, "cocS"));
    free(text);

    /* ADX: the options as attributes. */
    char adx[600];
    snprintf(adx, sizeof adx, "%s", bc_path(f->dir, "out.xml"));
    assert_int_equal(run_export(f, "HP-HB", "--children", "adx", map, adx,
                                &err), 0);
    free(err);
    text = bc_read_text(adx);
    if (!strstr(text, "dataElement=\"deSxhCases1\" age=\"0-4\" sex=\"nam\""))
        fail_msg("ADX:\n%.2000s", text);
    free(text);

    /* Back in, as July, through the same coc rows. */
    assert_int_equal(run_export(f, "HP-HB", "--children", "dhis2-json", map,
                                out, &err), 0);
    free(err);
    text = bc_read_text(out);
    for (char *p = strstr(text, "202505"); p; p = strstr(p, "202505"))
        memcpy(p, "202507", 6);
    bc_write_file(out, text);
    free(text);
    char store[600];
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "import-node"));
    const char *imp[] = {"import", "--store", store, "--file", out,
                         "--mapping", map, NULL};
    char *summary = NULL;
    int rc = bc_run("baocao", imp, &summary);
    if (rc)
        fail_msg("import exit %d: %s", rc, summary ? summary : "");
    free(summary);
    const char *node[] = {"--store", store, "--unit", "HP-HB", "--hub",
                          f->hub.endpoint, "--plain", "--drain",
                          "--max-seconds", "60", "--timeout", "2000", NULL};
    bc_proc_t p = bc_spawn("baocao-node", node, NULL);
    assert_int_equal(bc_wait(&p, 90000), 0);
    Baocao__Reply *r5 = query_by(f, "HP-HB", "2025-05", "sxh_cases",
                                 "sex,age", NULL);
    Baocao__Reply *r7 = query_by(f, "HP-HB", "2025-07", "sxh_cases",
                                 "sex,age", NULL);
    assert_int_equal(r7->query->n_breakdown, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(r7->query->breakdown[i]->value->value,
                         r5->query->breakdown[i]->value->value);
    assert_int_equal(bc_figure(r7, "sxh_cases")->value->value,
                     bc_figure(r5, "sxh_cases")->value->value);
    baocao__reply__free_unpacked(r5, NULL);
    baocao__reply__free_unpacked(r7, NULL);
}

/* The first line of `baocao ARGV` that starts with `prefix`, into out. */
static void first_line(const char *const *argv, const char *prefix,
                       char *out, size_t len)
{
    char *text = NULL;
    assert_int_equal(bc_run("baocao", argv, &text), 0);
    const char *p = text;
    while (p && strncmp(p, prefix, strlen(prefix))) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p)
        fail_msg("no '%s' in: %s", prefix, text);
    snprintf(out, len, "%.*s", (int) strcspn(p, "\n"), p);
    free(text);
}

/* The log carries the categories file with the registry version (field 4
 * of RegistryVersion): an export alone rebuilds the store, breakdowns
 * included, with the same digest, and a hub on the rebuilt store answers
 * the same combinations. */
static void test_audit_replay(void **state)
{
    fixture_t *f = *state;
    for (int w = 0; w < 3; w++) {
        char spec[1024];
        size_t n = 0;
        for (int s = 0; s < 2; s++)
            for (int a = 0; a < 4; a++)
                n += (size_t) snprintf(spec + n, sizeof spec - n,
                                       "sxh_cases[sex=%s,age=%s]=%lld;",
                                       SEX[s], AGE[a],
                                       (long long) dengue(w, s, a));
        expect_stored(f, WARDS[w], "2025-05", spec);
    }
    expect_refused(f, "HP-HB-TC", "2025-05", "sxh_cases[sex=nu]=1",
                   BAOCAO__REJECT_REASON__REASON_INCOMPLETE_COMBINATION,
                   "age is missing");
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    char exp[700], again[700], into[800], live[200], rebuilt[200];
    snprintf(exp, sizeof exp, "%s/log.bca", f->dir);
    snprintf(again, sizeof again, "%s/again", f->dir);
    snprintf(into, sizeof into, "%s/hub", again);
    const char *eargv[] = {"audit", "export", "--store", f->hub.store,
                           "--out", exp, NULL};
    assert_int_equal(bc_run("baocao", eargv, NULL), 0);
    const char *rargv[] = {"audit", "replay", exp, "--into", into, NULL};
    char *out = NULL;
    int rc = bc_run_all("baocao", rargv, &out);
    if (rc != 0)
        fail_msg("replay exited %d: %s", rc, out ? out : "");
    free(out);
    const char *d1[] = {"audit", "digest", "--store", f->hub.store, NULL};
    const char *d2[] = {"audit", "digest", "--store", into, NULL};
    first_line(d1, "", live, sizeof live);
    first_line(d2, "", rebuilt, sizeof rebuilt);
    assert_string_equal(live, rebuilt);
    /* A hub on the rebuilt store: the same combinations. */
    char cat[1024], cats[1024];
    snprintf(cat, sizeof cat, "%s",
             bc_source("data/indicators-breakdowns.csv"));
    snprintf(cats, sizeof cats, "%s", bc_source("data/categories.csv"));
    const char *extra[] = {"--catalog", cat, "--categories", cats, NULL};
    bc_hub_start(&f->hub, again, NULL, extra);
    Baocao__Reply *r = query_by(f, "HP", "2025-05", "sxh_cases", "sex,age",
                                NULL);
    assert_int_equal(r->query->n_breakdown, 8);
    assert_int_equal(row_value(r, "sxh_cases", "sex=nu,age=15-49"),
                     dengue(0, 1, 2) + dengue(1, 1, 2) + dengue(2, 1, 2));
    baocao__reply__free_unpacked(r, NULL);
}

/* The catalogue a node asks for lists the categories and which
 * indicators are broken down, and no internal combination codes. */
static void test_catalogue_reply(void **state)
{
    fixture_t *f = *state;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CatalogQuery cq = BAOCAO__CATALOG_QUERY__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_CATALOG;
    req.catalog = &cq;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_CATALOG);
    const Baocao__CatalogReply *c = r->catalog;
    assert_int_equal(c->n_indicators, 82);
    assert_int_equal(c->n_categories, 3);
    assert_string_equal(c->categories[0]->code, "sex");
    assert_int_equal(c->categories[1]->n_options, 4);
    assert_string_equal(c->categories[1]->options[3], "50+");
    bool sxh = false;
    for (size_t i = 0; i < c->n_indicators; i++) {
        assert_null(strchr(c->indicators[i]->code, '['));
        if (!strcmp(c->indicators[i]->code, "sxh_cases")) {
            sxh = true;
            assert_int_equal(c->indicators[i]->n_categories, 2);
            assert_string_equal(c->indicators[i]->categories[1], "age");
        }
    }
    assert_true(sxh);
    baocao__reply__free_unpacked(r, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dengue_adds_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_vaccination, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stock_carries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ratio_by_sex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_client_totals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_reply, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_command, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv_filing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhis2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_replay, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
