/*
 * test_history.c -- issue 12 against a real hub: the registry as a
 * history. A commune that moves to another district, a district and a
 * commune that end, 24 months filed (2024-01 to 2025-12), and every
 * monthly total, year to date and completeness compared with an
 * independent computation here: the tree of each month is written out in
 * this file as a table, not read from the hub's registry code.
 *
 * On the code before the issue every test here failed: the hub refused
 * the registry (a code on two rows was a duplicate), so it never started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_period.h"
#include "bc_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The history, with the new columns, and an extra column of no meaning
 * (unknown columns keep working). M moves from D1 to D2 in 2025-07; D1
 * ends 2025-06 (replaced by D2); E ends 2025-06 (merged into X). */
static const char UNITS[] =
    "code,parent_code,level,name,reports,valid_from,valid_to,replaced_by,"
    "note\n"
    "P,,province,P,no,,,,\n"
    "D1,P,district,D1,no,,2025-06,D2,\n"
    "D2,P,district,D2,no,,,,\n"
    "M,D1,commune,M,yes,,2025-06,,moved\n"
    "M,D2,commune,M,yes,2025-07,,,moved\n"
    "E,D1,commune,E,yes,,2025-06,X,\n"
    "X,D2,commune,X,yes,,,,\n";

/* The same units before any change, without the validity columns: a
 * registry with no history. */
static const char STATIC_UNITS[] =
    "code,parent_code,level,name,reports\n"
    "P,,province,P,no\nD1,P,district,D1,no\nD2,P,district,D2,no\n"
    "M,D1,commune,M,yes\nE,D1,commune,E,yes\nX,D2,commune,X,yes\n";

/* The same tree as the test sees it: who hangs where, month by month
 * (months as year * 12 + month - 1). */
typedef struct {
    const char *code;
    const char *parent;
    int from, to;
} row_t;

#define JUL25 (2025 * 12 + 6)
static const row_t TREE[] = {
    {"M", "D1", 0, JUL25 - 1}, {"M", "D2", JUL25, 1 << 30},
    {"E", "D1", 0, JUL25 - 1}, {"X", "D2", 0, 1 << 30},
    {"D1", "P", 0, JUL25 - 1}, {"D2", "P", 0, 1 << 30},
};
static const char *LEAVES[] = {"M", "E", "X"};

typedef struct {
    char *dir;          /* temporary folder */
    char units[600];    /* the registry file */
    bc_hub_t hub;       /* the hub under test */
} fixture_t;

static void start(fixture_t *f, const char *units_text)
{
    bc_write_file(f->units, units_text);
    const char *extra[] = {"--registry", f->units, NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
}

/* A fresh hub on an empty store and the registry units_text. */
static void restart_fresh(fixture_t *f, const char *units_text)
{
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    bc_rmtree(f->hub.store);
    start(f, units_text);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("history");
    snprintf(f->units, sizeof f->units, "%s/units.csv", f->dir);
    bc_hub_init(&f->hub);
    start(f, UNITS);
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

#define FILED 1767225600   /* 2026-01-01T00:00:00Z */

static const char *parent_at(const char *code, int m)
{
    for (size_t i = 0; i < sizeof TREE / sizeof TREE[0]; i++)
        if (!strcmp(TREE[i].code, code) && TREE[i].from <= m &&
            m <= TREE[i].to)
            return TREE[i].parent;
    return NULL;
}

static bool valid_at(const char *code, int m)
{
    return !strcmp(code, "P") || parent_at(code, m) != NULL;
}

static bool within_at(const char *code, const char *anc, int m)
{
    for (const char *c = code; c; c = parent_at(c, m))
        if (!strcmp(c, anc))
            return true;
    return false;
}

/* The figures filed: a flow that differs per unit and month, and a stock
 * filed in some months only (so that carrying forward shows). */
static int64_t flow_of(int u, int m)
{
    return 100 * (u + 1) + m % 24;
}

static bool stock_filed(int u, int m)
{
    return (m + u) % 5 == 0;
}

static int64_t stock_of(int u, int m)
{
    return 1000 * (u + 1) + m % 100;
}

static int month_no(int year, int month)
{
    return year * 12 + month - 1;
}

static void period_text(int m, char *buf)
{
    snprintf(buf, 16, "%04d-%02d", m / 12, m % 12 + 1);
}

/* A unit and what it files each month, for file_months. */
typedef struct {
    const char *code;
    const char *values;
} filing_t;

/* Files, for each month first..last, one report of each of the n units
 * of `each` in that order; every one must be stored. */
static void file_months(fixture_t *f, int first, int last,
                        const filing_t *each, size_t n)
{
    for (int m = first; m <= last; m++) {
        char period[16];
        period_text(m, period);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(bc_submit(f->hub.endpoint, NULL, each[i].code,
                                       period, 1, FILED, each[i].values),
                             BAOCAO__ACK_STATUS__ACK_STORED);
    }
}

/* E and X, 7 and 5 cases a month: the two reporting units of the tests
 * that reload the registry. */
static const filing_t E_AND_X[] = {{"E", "sxh_cases=7"}, {"X", "sxh_cases=5"}};

/* Files 2024-01..2025-12 for every leaf valid in the month. */
static void file_all(fixture_t *f)
{
    for (int m = month_no(2024, 1); m <= month_no(2025, 12); m++)
        for (int u = 0; u < 3; u++) {
            char period[16], values[80];
            if (!valid_at(LEAVES[u], m))
                continue;
            period_text(m, period);
            if (stock_filed(u, m))
                snprintf(values, sizeof values, "sxh_cases=%lld,tt_managed="
                         "%lld", (long long) flow_of(u, m),
                         (long long) stock_of(u, m));
            else
                snprintf(values, sizeof values, "sxh_cases=%lld",
                         (long long) flow_of(u, m));
            assert_int_equal(bc_submit(f->hub.endpoint, NULL, LEAVES[u],
                                       period, 1, FILED, values),
                             BAOCAO__ACK_STATUS__ACK_STORED);
        }
}

/* The independent computation: a unit's flow in month m is the sum over
 * the leaves under it in month m; its stock is, over those leaves, each
 * leaf's last value filed this year up to m. has: whether any counts. */
static int64_t expect_flow(const char *unit, int m, bool *has)
{
    int64_t sum = 0;
    *has = false;
    for (int u = 0; u < 3; u++)
        if (valid_at(LEAVES[u], m) && within_at(LEAVES[u], unit, m)) {
            sum += flow_of(u, m);
            *has = true;
        }
    return sum;
}

static int64_t expect_stock(const char *unit, int m, bool *has)
{
    int64_t sum = 0;
    *has = false;
    for (int u = 0; u < 3; u++) {
        if (!valid_at(LEAVES[u], m) || !within_at(LEAVES[u], unit, m))
            continue;
        for (int k = m; k >= m - m % 12; k--)
            if (stock_filed(u, k)) {
                sum += stock_of(u, k);
                *has = true;
                break;
            }
    }
    return sum;
}

typedef struct {
    bool has_value, has_cum;
    int64_t value, cum;
} fig_t;

static fig_t query(fixture_t *f, const char *unit, const char *period,
                   const char *code)
{
    Baocao__Reply *r = bc_query(f->hub.endpoint, unit, period);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_QUERY);
    const Baocao__Figure *g = bc_figure(r, code);
    assert_non_null(g);
    fig_t out = {0};
    out.has_value = g->value && g->value->present;
    out.value = out.has_value ? g->value->value : 0;
    out.has_cum = g->cumulative && g->cumulative->present;
    out.cum = out.has_cum ? g->cumulative->value : 0;
    baocao__reply__free_unpacked(r, NULL);
    return out;
}

/* Every month, every unit valid then: the flow, its year to date and the
 * stock are the tree of that month's (the hub's monthly totals used to be
 * today's tree's). */
static void check_all(fixture_t *f)
{
    const char *units[] = {"P", "D1", "D2", "M", "E", "X"};
    for (int m = month_no(2024, 1); m <= month_no(2025, 12); m++)
        for (size_t i = 0; i < 6; i++) {
            char period[16];
            bool has, hs;
            if (!valid_at(units[i], m))
                continue;
            period_text(m, period);
            int64_t flow = expect_flow(units[i], m, &has);
            int64_t cum = 0;
            bool any = false;
            for (int k = m - m % 12; k <= m; k++) {
                bool h;
                cum += expect_flow(units[i], k, &h);
                any |= h;
            }
            int64_t stock = expect_stock(units[i], m, &hs);
            fig_t g = query(f, units[i], period, "sxh_cases");
            if (g.has_value != has || g.value != flow || g.cum != cum ||
                g.has_cum != any)
                fail_msg("%s %s sxh_cases: hub %lld (ytd %lld), expected "
                         "%lld (ytd %lld)", units[i], period,
                         (long long) g.value, (long long) g.cum,
                         (long long) flow, (long long) cum);
            fig_t s = query(f, units[i], period, "tt_managed");
            if (s.has_value != hs || s.value != stock)
                fail_msg("%s %s tt_managed: hub %lld (%s), expected %lld "
                         "(%s)", units[i], period, (long long) s.value,
                         s.has_value ? "present" : "absent",
                         (long long) stock, hs ? "present" : "absent");
        }
}

/* The move: M's months before 2025-07 count in D1's totals, after in
 * D2's, and its stock carries across the move into D2. */
static void test_move_and_end(void **state)
{
    fixture_t *f = *state;
    file_all(f);
    check_all(f);
    /* Spot checks that need no table: June under D1, July under D2. */
    assert_int_equal(query(f, "D1", "2025-06", "sxh_cases").value,
                     flow_of(0, month_no(2025, 6)) +
                         flow_of(1, month_no(2025, 6)));
    assert_int_equal(query(f, "D2", "2025-07", "sxh_cases").value,
                     flow_of(0, month_no(2025, 7)) +
                         flow_of(2, month_no(2025, 7)));
}

/* A report outside its unit's validity is refused with a typed reason
 * that names the validity; nothing is stored. */
static void test_outside_validity(void **state)
{
    fixture_t *f = *state;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Value v = BAOCAO__VALUE__INIT;
    Baocao__Value *vals[] = {&v};
    uint8_t id[16] = {12, 1};
    v.indicator = "sxh_cases";
    v.v_case = BAOCAO__VALUE__V_COUNT;
    v.count = 5;
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = "E";
    sub.period = "2025-07";
    sub.revision = 1;
    sub.filed_at = FILED;
    sub.n_values = 1;
    sub.values = vals;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    assert_int_equal(r->ack->status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(r->ack->reason,
                     BAOCAO__REJECT_REASON__REASON_NOT_VALID_IN_PERIOD);
    if (!strstr(r->ack->message, "E is not valid in 2025-07 (ended "
                "2025-06; replaced by X)"))
        fail_msg("message: %s", r->ack->message);
    baocao__reply__free_unpacked(r, NULL);
    /* A quarter that straddles the end is outside too. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "E", "2025-Q3", 1,
                               FILED, "sxh_cases=1"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "E", "2025-Q2", 1,
                               FILED, "sxh_cases=1"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_false(query(f, "P", "2025-07", "sxh_cases").has_value);
}

static const Baocao__CompletenessReply *completeness(fixture_t *f,
                                                     const char *unit,
                                                     const char *period,
                                                     Baocao__Reply **r)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = (char *) unit;
    q.period = (char *) period;
    q.level = "";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal((*r)->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
    return (*r)->completeness;
}

/* Completeness expects exactly the units valid in the period, in that
 * period's tree. */
static void test_completeness(void **state)
{
    fixture_t *f = *state;
    file_all(f);
    const char *units[] = {"P", "D1", "D2"};
    for (int m = month_no(2025, 5); m <= month_no(2025, 8); m++)
        for (size_t i = 0; i < 3; i++) {
            char period[16];
            Baocao__Reply *r;
            if (!valid_at(units[i], m))
                continue;
            period_text(m, period);
            uint32_t want = 0;
            for (int u = 0; u < 3; u++)
                want += valid_at(LEAVES[u], m) &&
                        within_at(LEAVES[u], units[i], m);
            const Baocao__CompletenessReply *c = completeness(f, units[i],
                                                              period, &r);
            if (c->expected != want || c->reported != want)
                fail_msg("%s %s: expected %u, reported %u; want %u",
                         units[i], period, c->expected, c->reported, want);
            baocao__reply__free_unpacked(r, NULL);
        }
}

/* A unit ends, the hub restarts on the new registry (its derived totals
 * are rebuilt from the stored reports): the totals of the months it
 * reported are the same before and after. */
static void test_end_keeps_totals(void **state)
{
    fixture_t *f = *state;
    restart_fresh(f, STATIC_UNITS);
    file_months(f, month_no(2025, 1), month_no(2025, 6), E_AND_X, 1);
    int64_t before[6], h1_before = query(f, "P", "2025-H1", "sxh_cases").value;
    for (int i = 0; i < 6; i++) {
        char period[16];
        period_text(month_no(2025, 1 + i), period);
        before[i] = query(f, "P", period, "sxh_cases").value;
        assert_int_equal(before[i], 7);
    }
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    start(f, UNITS);
    for (int i = 0; i < 6; i++) {
        char period[16];
        period_text(month_no(2025, 1 + i), period);
        assert_int_equal(query(f, "P", period, "sxh_cases").value, before[i]);
        assert_int_equal(query(f, "D1", period, "sxh_cases").value,
                         before[i]);
    }
    assert_int_equal(query(f, "P", "2025-H1", "sxh_cases").value, h1_before);
}

/* Asking about a unit that ended: a typed error naming its successors
 * for periods after the end, for the query and completeness alike; the
 * answer as before for periods while it was valid, including one that
 * straddles the end. */
static void test_ended_unit(void **state)
{
    fixture_t *f = *state;
    file_all(f);
    const char *units[] = {"E", "D1"};
    const char *want[] = {"E ended 2025-06; replaced by X",
                          "D1 ended 2025-06; replaced by D2"};
    for (int i = 0; i < 2; i++) {
        Baocao__Reply *r = bc_query(f->hub.endpoint, units[i], "2025-07");
        assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
        assert_int_equal(r->error->reason,
                         BAOCAO__REJECT_REASON__REASON_UNIT_ENDED);
        if (!strstr(r->error->message, want[i]))
            fail_msg("message: %s", r->error->message);
        baocao__reply__free_unpacked(r, NULL);

        Baocao__Request req = BAOCAO__REQUEST__INIT;
        Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
        q.unit = (char *) units[i];
        q.period = "2026-01";
        q.level = "";
        req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
        req.completeness = &q;
        r = bc_send(f->hub.endpoint, &req);
        assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
        assert_int_equal(r->error->reason,
                         BAOCAO__REJECT_REASON__REASON_UNIT_ENDED);
        baocao__reply__free_unpacked(r, NULL);
    }
    /* While valid, and a half that straddles the end: as before. */
    assert_int_equal(query(f, "E", "2025-06", "sxh_cases").value,
                     flow_of(1, month_no(2025, 6)));
    int64_t h2 = 0;
    bool has;
    for (int m = month_no(2025, 1); m <= month_no(2025, 6); m++)
        h2 += expect_flow("D1", m, &has);
    assert_int_equal(query(f, "D1", "2025", "sxh_cases").value, h2);

    /* The tool shows the message and exits 1. */
    char *out = NULL;
    const char *argv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "D1", "--period", "2025-08", NULL};
    assert_int_equal(bc_run_all("baocao", argv, &out), 1);
    if (!out || !strstr(out, "D1 ended 2025-06; replaced by D2"))
        fail_msg("baocao query said: %s", out ? out : "(nothing)");
    free(out);
}

/* ---- comparisons across a merge and a split ---------------------------
 * A and B merge into C, S splits into S1 (0.6) and S2 (0.4), T splits into
 * T1 and T2 without shares; all on 2025-07. */
static const char CHANGES[] =
    "code,parent_code,level,name,reports,valid_from,valid_to,replaced_by\n"
    "P,,province,P,no,,,\n"
    "D,P,district,D,no,,,\n"
    "A,D,commune,A,yes,,2025-06,C\n"
    "B,D,commune,B,yes,,2025-06,C\n"
    "C,D,commune,C,yes,2025-07,,\n"
    "S,D,commune,S,yes,,2025-06,S1:0.6;S2:0.4\n"
    "S1,D,commune,S1,yes,2025-07,,\n"
    "S2,D,commune,S2,yes,2025-07,,\n"
    "T,D,commune,T,yes,,2025-06,T1;T2\n"
    "T1,D,commune,T1,yes,2025-07,,\n"
    "T2,D,commune,T2,yes,2025-07,,\n";
static const char *CH_UNITS[] = {"A", "B", "C", "S", "S1", "S2", "T", "T1",
                                 "T2"};
#define CH_N 9

static bool ch_new(int u)
{
    return u == 2 || u == 4 || u == 5 || u == 7 || u == 8;
}

static bool ch_valid(int u, int m)
{
    return ch_new(u) ? m >= JUL25 : m < JUL25;
}

/* Multiples of 10, so that 0.6 and 0.4 of them are whole. */
static int64_t ch_flow(int u, int m)
{
    return 10 * (7 * (u + 1) + m % 13);
}

static bool ch_stock_filed(int u, int m)
{
    return (m + u) % 4 == 0;
}

static int64_t ch_stock(int u, int m)
{
    return 10 * (100 * (u + 1) + m % 17);
}

/* A unit's own month, as the test filed it: the flow, and the stock as
 * carried (its last value filed this year up to m). */
static void ch_own(int u, int m, int64_t *flow, int64_t *stock,
                   bool *has_stock)
{
    *flow = ch_flow(u, m);
    *has_stock = false;
    *stock = 0;
    for (int k = m; k >= m - m % 12 && ch_valid(u, k); k--)
        if (ch_stock_filed(u, k)) {
            *stock = ch_stock(u, k);
            *has_stock = true;
            return;
        }
}

/* The comparable month of a new unit: its own when it existed, else its
 * predecessors' weighted by their shares. comparable false: a split
 * without shares. */
static void ch_month(int u, int m, int64_t *flow, int64_t *stock,
                     bool *has_stock, bool *comparable)
{
    int64_t f, s;
    bool hs;
    *comparable = true;
    if (ch_valid(u, m)) {
        ch_own(u, m, flow, stock, has_stock);
        return;
    }
    *flow = *stock = 0;
    *has_stock = false;
    if (u == 2) {                      /* C = A + B */
        for (int p = 0; p < 2; p++) {
            ch_own(p, m, &f, &s, &hs);
            *flow += f;
            *stock += s;
            *has_stock |= hs;
        }
    } else if (u == 4 || u == 5) {     /* S1 = 0.6 S, S2 = 0.4 S */
        int w = u == 4 ? 6 : 4;
        ch_own(3, m, &f, &s, &hs);
        *flow = f * w / 10;
        *stock = s * w / 10;
        *has_stock = hs;
    } else {                           /* T1, T2: no shares */
        *comparable = false;
    }
}

static void ch_file_all(fixture_t *f)
{
    for (int m = month_no(2024, 1); m <= month_no(2025, 12); m++)
        for (int u = 0; u < CH_N; u++) {
            char period[16], values[80];
            if (!ch_valid(u, m))
                continue;
            period_text(m, period);
            if (ch_stock_filed(u, m))
                snprintf(values, sizeof values, "sxh_cases=%lld,tt_managed="
                         "%lld", (long long) ch_flow(u, m),
                         (long long) ch_stock(u, m));
            else
                snprintf(values, sizeof values, "sxh_cases=%lld",
                         (long long) ch_flow(u, m));
            assert_int_equal(bc_submit(f->hub.endpoint, NULL, CH_UNITS[u],
                                       period, 1, FILED, values),
                             BAOCAO__ACK_STATUS__ACK_STORED);
        }
}

/* Checks one Num against an expectation: absent when not comparable. */
static void check_num(const Baocao__Num *n, bool comparable, int64_t want,
                      const char *what, const char *unit, const char *period)
{
    bool present = n && n->present;
    if (!comparable) {
        if (present)
            fail_msg("%s %s %s: %lld, expected no figure (not comparable)",
                     unit, period, what, (long long) n->value);
        return;
    }
    if (!present || n->value != want)
        fail_msg("%s %s %s: %s%lld, expected %lld", unit, period, what,
                 present ? "" : "absent ", present ? (long long) n->value : 0,
                 (long long) want);
}

/* Every month of 2025-07..2025-12 for C, S1, S2, T1, T2: the previous
 * month, the same month last year, the year to date and last year's, by
 * the test's own arithmetic over what it filed. */
static void test_merge_and_splits(void **state)
{
    fixture_t *f = *state;
    restart_fresh(f, CHANGES);
    ch_file_all(f);
    for (int u = 0; u < CH_N; u++) {
        if (!ch_new(u))
            continue;
        for (int m = JUL25; m <= month_no(2025, 12); m++) {
            char period[16];
            period_text(m, period);
            int64_t pf, ps, lf, ls, cum = 0, cum_ly = 0, fl, st;
            bool phs, lhs, pc, lc, cc = true, hs, c;
            ch_month(u, m - 1, &pf, &ps, &phs, &pc);
            ch_month(u, m - 12, &lf, &ls, &lhs, &lc);
            for (int k = m - m % 12; k <= m; k++) {
                ch_month(u, k, &fl, &st, &hs, &c);
                cum += fl;
                cc &= c;
            }
            bool ccl = true;
            for (int k = m - 12 - (m - 12) % 12; k <= m - 12; k++) {
                ch_month(u, k, &fl, &st, &hs, &c);
                cum_ly += fl;
                ccl &= c;
            }
            Baocao__Reply *r = bc_query(f->hub.endpoint, CH_UNITS[u], period);
            const Baocao__Figure *g = bc_figure(r, "sxh_cases");
            assert_non_null(g);
            check_num(g->value, true, ch_flow(u, m), "value", CH_UNITS[u],
                      period);
            check_num(g->previous, pc, pf, "previous", CH_UNITS[u], period);
            check_num(g->last_year, lc, lf, "last year", CH_UNITS[u], period);
            check_num(g->cumulative, cc, cum, "cumulative", CH_UNITS[u],
                      period);
            check_num(g->cumulative_last_year, ccl, cum_ly,
                      "cumulative last year", CH_UNITS[u], period);
            /* The marks. */
            Baocao__Comparison want_ly =
                u == 2 ? BAOCAO__COMPARISON__COMPARISON_EXACT
                : u <= 5 ? BAOCAO__COMPARISON__COMPARISON_ESTIMATED
                         : BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE;
            assert_int_equal(g->last_year_basis, want_ly);
            assert_int_equal(g->cumulative_last_year_basis, want_ly);
            assert_int_equal(g->cumulative_basis, want_ly);
            assert_int_equal(g->previous_basis,
                             m == JUL25 ? want_ly
                                        : BAOCAO__COMPARISON__COMPARISON_EXACT);
            if (want_ly == BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE &&
                !strstr(g->comparison_note, "T was split"))
                fail_msg("note: %s", g->comparison_note);
            /* A stock's previous and last year's month: the predecessors'
             * carried values, weighted. */
            const Baocao__Figure *k = bc_figure(r, "tt_managed");
            assert_non_null(k);
            check_num(k->previous, pc && phs, ps, "stock previous",
                      CH_UNITS[u], period);
            check_num(k->last_year, lc && lhs, ls, "stock last year",
                      CH_UNITS[u], period);
            baocao__reply__free_unpacked(r, NULL);
        }
        /* The year 2025: its previous period, last year and last year to
         * date are all 2024, the predecessors' whole year (the hub reads
         * it once for the three); a stock's is their December's. */
        int64_t year_ly = 0, fl, st, dec_st;
        bool hs, c, yc = true, dec_hs;
        for (int k = month_no(2024, 1); k <= month_no(2024, 12); k++) {
            ch_month(u, k, &fl, &st, &hs, &c);
            year_ly += fl;
            yc &= c;
        }
        ch_month(u, month_no(2024, 12), &fl, &dec_st, &dec_hs, &c);
        Baocao__Reply *r = bc_query(f->hub.endpoint, CH_UNITS[u], "2025");
        const Baocao__Figure *g = bc_figure(r, "sxh_cases");
        assert_non_null(g);
        check_num(g->previous, yc, year_ly, "previous", CH_UNITS[u], "2025");
        check_num(g->last_year, yc, year_ly, "last year", CH_UNITS[u],
                  "2025");
        check_num(g->cumulative_last_year, yc, year_ly,
                  "cumulative last year", CH_UNITS[u], "2025");
        Baocao__Comparison want = u == 2 ? BAOCAO__COMPARISON__COMPARISON_EXACT
            : u <= 5 ? BAOCAO__COMPARISON__COMPARISON_ESTIMATED
                     : BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE;
        assert_int_equal(g->previous_basis, want);
        assert_int_equal(g->last_year_basis, want);
        assert_int_equal(g->cumulative_last_year_basis, want);
        const Baocao__Figure *k = bc_figure(r, "tt_managed");
        assert_non_null(k);
        check_num(k->previous, yc && dec_hs, dec_st, "stock previous",
                  CH_UNITS[u], "2025");
        check_num(k->last_year, yc && dec_hs, dec_st, "stock last year",
                  CH_UNITS[u], "2025");
        check_num(k->cumulative_last_year, yc && dec_hs, dec_st,
                  "stock cumulative last year", CH_UNITS[u], "2025");
        baocao__reply__free_unpacked(r, NULL);
    }
    /* The district's totals are the tree's: unchanged by the marks. */
    for (int m = month_no(2024, 1); m <= month_no(2025, 12); m++) {
        char period[16];
        int64_t want = 0;
        for (int u = 0; u < CH_N; u++)
            if (ch_valid(u, m))
                want += ch_flow(u, m);
        period_text(m, period);
        assert_int_equal(query(f, "D", period, "sxh_cases").value, want);
    }
    /* JSON: null where not comparable, the basis and the note added. */
    char *out = NULL;
    const char *argv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "T1", "--period", "2025-08",
                          "--indicator", "sxh_cases", "--format", "json",
                          NULL};
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_non_null(out);
    if (!strstr(out, "\"same_period_last_year\":\tnull") ||
        !strstr(out, "\"same_period_last_year\":\t\"not_comparable\"") ||
        !strstr(out, "\"comparison_note\""))
        fail_msg("json: %s", out);
    free(out);
    const char *argv2[] = {"query", "--hub", f->hub.endpoint, "--plain",
                           "--unit", "S1", "--period", "2025-08",
                           "--indicator", "sxh_cases", "--format", "csv",
                           NULL};
    assert_int_equal(bc_run("baocao", argv2, &out), 0);
    if (!out || !strstr(out, "(est.)"))
        fail_msg("csv: %s", out ? out : "");
    free(out);
}

typedef struct {
    const char *log;     /* the hub's log */
    const char *needle;  /* the line awaited */
} log_wait_t;

static bool log_has(void *arg)
{
    log_wait_t *w = arg;
    return bc_file_contains(w->log, w->needle);
}

/* Rewrites the registry file, sends SIGHUP and waits for the hub's verdict
 * (the n-th "reloaded" or "refused" line). */
static void reload(fixture_t *f, const char *units_text, const char *needle)
{
    bc_write_file(f->units, units_text);
    assert_int_equal(kill(f->hub.proc.pid, SIGHUP), 0);
    log_wait_t w = {f->hub.log, needle};
    if (!bc_eventually(log_has, &w, 10000))
        fail_msg("the hub's log never said '%s'", needle);
}

/* SIGHUP: a unit ends (E, 2025-06, replaced by X) in a registry reloaded
 * by a running hub; the province's totals of the months E reported stay
 * the same, and E's reports after its end are refused from then on. A
 * registry that would drop E's stored reports (E removed), or that is
 * malformed (overlapping rows), is refused with the row, and the hub keeps
 * serving the registry it had. */
static void test_sighup_reload(void **state)
{
    fixture_t *f = *state;
    static const char REMOVED[] =
        "code,parent_code,level,name,reports\n"
        "P,,province,P,no\nD1,P,district,D1,no\nD2,P,district,D2,no\n"
        "M,D1,commune,M,yes\nX,D2,commune,X,yes\n";
    static const char OVERLAP[] =
        "code,parent_code,level,name,reports,valid_from,valid_to\n"
        "P,,province,P,no,,\nD1,P,district,D1,no,,\nD2,P,district,D2,no,,\n"
        "M,D1,commune,M,yes,,\nE,D1,commune,E,yes,,2025-06\n"
        "E,D2,commune,E,yes,2025-05,\nX,D2,commune,X,yes,,\n";
    restart_fresh(f, STATIC_UNITS);
    file_months(f, month_no(2025, 1), month_no(2025, 6), E_AND_X, 2);
    int64_t before[6];
    for (int i = 0; i < 6; i++) {
        char period[16];
        period_text(month_no(2025, 1 + i), period);
        before[i] = query(f, "P", period, "sxh_cases").value;
        assert_int_equal(before[i], 12);
    }
    int64_t h1 = query(f, "P", "2025-H1", "sxh_cases").value;

    /* E removed: refused, naming E; nothing changes. */
    reload(f, REMOVED, "registry reload refused");
    assert_true(bc_file_contains(f->hub.log, "a stored report of E for "
                                 "2025-01 would be dropped"));
    assert_int_equal(query(f, "P", "2025-03", "sxh_cases").value, 12);
    /* Overlapping rows: refused, naming the line. */
    bc_write_file(f->units, OVERLAP);
    assert_int_equal(kill(f->hub.proc.pid, SIGHUP), 0);
    log_wait_t w = {f->hub.log, "duplicate unit code E (first on line 6) "
                    "with overlapping validity"};
    assert_true(bc_eventually(log_has, &w, 10000));
    assert_true(bc_file_contains(f->hub.log, ":7: duplicate unit code E"));
    /* Still the old registry: E may file for July. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "E", "2025-07", 1,
                               FILED, "sxh_cases=1"),
                     BAOCAO__ACK_STATUS__ACK_STORED);

    /* A registry that ends E in 2025-06 is refused while E's July report
     * is stored... */
    reload(f, UNITS, "outside E's validity (units file line 7: ended "
           "2025-06; replaced by X)");
    /* ...and accepted once that report is withdrawn from the hub's view:
     * a fresh hub on the same reports, without July. */
    restart_fresh(f, STATIC_UNITS);
    file_months(f, month_no(2025, 1), month_no(2025, 6), E_AND_X, 2);
    reload(f, UNITS, "registry reloaded");
    for (int i = 0; i < 6; i++) {
        char period[16];
        period_text(month_no(2025, 1 + i), period);
        assert_int_equal(query(f, "P", period, "sxh_cases").value, before[i]);
    }
    assert_int_equal(query(f, "P", "2025-H1", "sxh_cases").value, h1);
    /* The new registry is in force: E has ended. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "E", "2025-07", 1,
                               FILED, "sxh_cases=1"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    /* And the hub still answers. */
    assert_int_equal(query(f, "X", "2025-03", "sxh_cases").value, 5);
}

/* The first line of `baocao audit ARGS...` output that starts with
 * `prefix`, into out (at most 200 bytes). */
static void audit_line(const char *const *argv, const char *prefix,
                       char out[200])
{
    char *text = NULL;
    assert_int_equal(bc_run("baocao", argv, &text), 0);
    assert_non_null(text);
    const char *p = strstr(text, prefix);
    if (!p)
        fail_msg("no '%s' in: %s", prefix, text);
    size_t n = strcspn(p, "\n");
    snprintf(out, 200, "%.*s", (int) (n < 199 ? n : 199), p);
    free(text);
}

/* Export, then replay with no --registry or --catalog: the registry
 * versions the hub logged (at start, and at a SIGHUP reload that ended E)
 * rebuild the same store: the same digest, the same chain head. */
/* The target of sxh_cases for a unit and a year (0 when none). */
static int64_t target_of(fixture_t *f, const char *unit, const char *year)
{
    Baocao__Reply *r = bc_query(f->hub.endpoint, unit, year);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_QUERY);
    const Baocao__Figure *g = bc_figure(r, "sxh_cases");
    int64_t t = g && g->target && g->target->present ? g->target->value : -1;
    baocao__reply__free_unpacked(r, NULL);
    return t;
}

/* `baocao export --children/--descendants` of a period as DHIS2 CSV. */
static char *export_csv(fixture_t *f, const char *unit, const char *period,
                        const char *scope)
{
    char cat[4096];
    snprintf(cat, sizeof cat, "%s", bc_source("data/indicators.csv"));
    const char *argv[] = {"export", "--hub", f->hub.endpoint, "--plain",
                          "--unit", unit, "--period", period, scope,
                          "--format", "dhis2-csv", "--registry", f->units,
                          "--catalog", cat, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    /* Fields may be quoted: compare without the quotes. */
    char *w = out;
    for (const char *r = out; *r; r++)
        if (*r != '"')
            *w++ = *r;
    *w = '\0';
    return out;
}

/* Issue 12's leftovers: plan totals and `export --children/--descendants`
 * follow the tree of the period asked, as queries do. M hangs under D1
 * until 2025-06 and under D2 after: a 2025 plan of M adds to D1 (a year
 * uses the tree of its January), a 2026 one to D2; D2's children in
 * 2025-03 are X alone, in 2025-09 M and X; D1 is no child of P in
 * 2025-09. */
static void test_plans_and_export_follow_the_period(void **state)
{
    fixture_t *f = *state;
    file_all(f);
    char plan[4096];
    snprintf(plan, sizeof plan, "%s", bc_path(f->dir, "plan.csv"));
    bc_write_file(plan, "indicator,target\nsxh_cases,100\n");
    const char *years[] = {"2025", "2026"};
    for (int y = 0; y < 2; y++) {
        const char *argv[] = {"plan", "--hub", f->hub.endpoint, "--plain",
                              "--unit", "M", "--year", years[y], "--file",
                              plan, NULL};
        assert_int_equal(bc_run("baocao", argv, NULL), 0);
    }
    assert_int_equal(target_of(f, "M", "2025"), 100);
    assert_int_equal(target_of(f, "D1", "2025"), 100);
    assert_int_equal(target_of(f, "D2", "2025"), -1);
    assert_int_equal(target_of(f, "P", "2025"), 100);
    assert_int_equal(target_of(f, "D2", "2026"), 100);
    assert_int_equal(target_of(f, "P", "2026"), 100);

    char *out = export_csv(f, "D2", "2025-03", "--children");
    assert_non_null(strstr(out, ",202503,X,"));
    assert_null(strstr(out, ",202503,M,"));
    free(out);
    out = export_csv(f, "D2", "2025-09", "--children");
    assert_non_null(strstr(out, ",202509,X,"));
    assert_non_null(strstr(out, ",202509,M,"));
    free(out);
    out = export_csv(f, "P", "2025-09", "--children");
    assert_non_null(strstr(out, ",202509,D2,"));
    assert_null(strstr(out, ",202509,D1,"));
    free(out);
    out = export_csv(f, "D1", "2025-03", "--descendants");
    assert_non_null(strstr(out, ",202503,M,"));
    assert_non_null(strstr(out, ",202503,E,"));
    free(out);
    out = export_csv(f, "D2", "2025-03", "--descendants");
    assert_null(strstr(out, ",202503,M,"));
    free(out);
}

static void test_replay_from_export_alone(void **state)
{
    fixture_t *f = *state;
    restart_fresh(f, STATIC_UNITS);
    static const filing_t E_AND_M[] = {{"E", "sxh_cases=3,tt_managed=9"},
                                       {"M", "sxh_cases=4"}};
    file_months(f, month_no(2025, 4), month_no(2025, 6), E_AND_M, 2);
    reload(f, UNITS, "registry reloaded");
    /* Under the new registry: E refused after its end, M filed under D2. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "E", "2025-07", 1,
                               FILED, "sxh_cases=3"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "M", "2025-07", 1,
                               FILED, "sxh_cases=5"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_hub_stop(&f->hub), 0);

    char exp[700], into[700], live[200], again[200], h1[200], h2[200];
    snprintf(exp, sizeof exp, "%s/log.bca", f->dir);
    snprintf(into, sizeof into, "%s/replayed", f->dir);
    const char *eargv[] = {"audit", "export", "--store", f->hub.store,
                           "--out", exp, NULL};
    assert_int_equal(bc_run("baocao", eargv, NULL), 0);
    /* No --registry, no --catalog (and no data/ here to fall back on). */
    const char *rargv[] = {"audit", "replay", exp, "--into", into, NULL};
    char *out = NULL;
    int rc = bc_run_all("baocao", rargv, &out);
    if (rc != 0)
        fail_msg("replay exited %d: %s", rc, out ? out : "");
    free(out);
    const char *d1[] = {"audit", "digest", "--store", f->hub.store, NULL};
    const char *d2[] = {"audit", "digest", "--store", into, NULL};
    audit_line(d1, "", live);
    audit_line(d2, "", again);
    assert_string_equal(live, again);
    const char *v1[] = {"audit", "verify", "--store", f->hub.store, NULL};
    const char *v2[] = {"audit", "verify", "--store", into, NULL};
    audit_line(v1, "head: ", h1);
    audit_line(v2, "head: ", h2);
    assert_string_equal(h1, h2);
    audit_line(v1, "stored", h1);
    if (!strstr(h1, "registry versions 2"))
        fail_msg("verify: %s", h1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_move_and_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outside_validity, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_completeness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_end_keeps_totals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sighup_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ended_unit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_and_splits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_plans_and_export_follow_the_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_from_export_alone, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
