/*
 * test_figures_property.c -- a property test of the hub's figures: random
 * report streams against a real hub, every field of every query kind
 * compared with answers computed here, from the stream alone.
 *
 * For each seed: a province with 2 or 3 districts of 3 to 6 communes each
 * (its own registry file), thirty months across two year boundaries
 * (2023-01 .. 2025-06) of flows, stocks and the ratios built from them,
 * with missing reports, omitted indicators and zeros; a few reports filed
 * for a quarter or a half instead of months (and one district filing for
 * itself); corrections of random reports; every submission sent in a
 * shuffled order (an original may arrive after its correction); filing
 * times on both sides of the deadline; annual plans, zeros included. Then
 * every unit x every month, quarter, half and year is queried (value,
 * cumulative, previous, same period last year, cumulative last year,
 * target, reporting_units, a ratio's four parts) and its completeness
 * asked for, and each field is compared with the oracle below.
 *
 * The oracle is written from the documented rules (proto/README.md, "What
 * each unit contributes to a period", "reporting_units", "Completeness")
 * over plain arrays; it shares no code with the hub but the period
 * calendar (bc_period: formatting and deadlines). The seed is printed: a
 * failure replays with BC_SEED=<seed> tests/test_figures_property.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_client.h"
#include "bc_period.h"
#include "bc_test.h"
#include "bc_wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the world ----------------------------------------------------------- */

#define MAXU 24                /* 1 province + 3 districts + 18 communes */
#define NY 3                   /* 2023, 2024, 2025 */
#define Y0 2023
#define NSLOT 19               /* months 0..11, Q 12..15, H 16..17, year 18 */
#define LAST_MONTH_2025 6      /* the stream ends with 2025-06 */

typedef enum { FLOW, STOCK, RATIO } kind_t;

static const struct {
    const char *code;
    kind_t kind;
    int num, den;              /* ratios: indices of the parts here */
} IND[] = {
    {"sxh_cases", FLOW, -1, -1},       {"tcmr_full", FLOW, -1, -1},
    {"anc4", FLOW, -1, -1},            {"births", FLOW, -1, -1},
    {"tt_managed", STOCK, -1, -1},     {"tcmr_u1", STOCK, -1, -1},
    {"ds_bptt_users", STOCK, -1, -1},  {"ds_women_married", STOCK, -1, -1},
    {"tcmr_full_rate", RATIO, 1, 5},   /* flow / stock */
    {"anc4_rate", RATIO, 2, 3},        /* flow / flow */
    {"ds_bptt_rate", RATIO, 6, 7},     /* stock / stock */
};
#define NI (sizeof IND / sizeof IND[0])
#define NREPORTED 8            /* the first 8 are reported; ratios computed */

typedef struct {
    char code[32];             /* unit code */
    int parent;                /* index, -1 for the province */
    bool leaf;                 /* a commune */
} unit_t;

/* One filing: what was sent. */
typedef struct {
    int unit, year, slot;      /* whose, which period */
    uint32_t revision;         /* 1, or a correction's number */
    int64_t filed_at;          /* facility's filing time */
    bool has[NI];              /* indicators present */
    int64_t val[NI];           /* their values */
} filing_t;

typedef struct {
    unit_t u[MAXU];            /* the registry */
    int nu;                    /* its units */
    filing_t *f;               /* every filing */
    size_t nf, capf;           /* used, allocated */
    /* The oracle's view: the current (highest) revision of each report. */
    int cur[MAXU][NY][NSLOT];  /* index in f of the current revision, -1 */
    int64_t first_filed[MAXU][NY][NSLOT]; /* earliest filing of any rev. */
    bool has_plan[MAXU][NY][NI];          /* own annual targets */
    int64_t plan[MAXU][NY][NI];
    uint64_t rng;              /* xorshift state */
} world_t;

static uint64_t rnd(world_t *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static int pick(world_t *w, int n)
{
    return (int) (rnd(w) % (uint64_t) n);
}

static bool chance(world_t *w, int percent)
{
    return pick(w, 100) < percent;
}

static bc_period_t slot_period(int year, int slot)
{
    unsigned y = (unsigned) year;
    if (slot < 12)
        return bc_period_make(y, BC_PT_MONTH, (unsigned) slot + 1);
    if (slot < 16)
        return bc_period_make(y, BC_PT_QUARTER, (unsigned) slot - 11);
    if (slot < 18)
        return bc_period_make(y, BC_PT_HALF, (unsigned) slot - 15);
    return bc_period_make(y, BC_PT_YEAR, 1);
}

/* First and last month (1..12) of a slot. */
static void slot_months(int slot, int *first, int *last)
{
    if (slot < 12) {
        *first = *last = slot + 1;
    } else if (slot < 16) {
        *first = (slot - 12) * 3 + 1;
        *last = *first + 2;
    } else if (slot < 18) {
        *first = (slot - 16) * 6 + 1;
        *last = *first + 5;
    } else {
        *first = 1;
        *last = 12;
    }
}

/* Whether the period has begun within the stream (2025 ends in June). */
static bool slot_in_stream(int y, int slot)
{
    int first, last;
    slot_months(slot, &first, &last);
    return y < NY - 1 || last <= LAST_MONTH_2025;
}

static bool slot_can_query(int y, int slot)
{
    int first, last;
    slot_months(slot, &first, &last);
    return y < NY - 1 || first <= LAST_MONTH_2025;
}

static filing_t *new_filing(world_t *w)
{
    if (w->nf == w->capf) {
        w->capf = w->capf ? w->capf * 2 : 512;
        w->f = realloc(w->f, w->capf * sizeof *w->f);
        assert_non_null(w->f);
    }
    filing_t *f = &w->f[w->nf++];
    memset(f, 0, sizeof *f);
    return f;
}

static void random_values(world_t *w, filing_t *f)
{
    bool any = false;
    for (size_t i = 0; i < NREPORTED; i++) {
        f->has[i] = chance(w, 75);
        /* Zeros are figures too. */
        f->val[i] = chance(w, 10) ? 0
                    : IND[i].kind == STOCK ? 50 + pick(w, 400) : pick(w, 40);
        any |= f->has[i];
    }
    if (!any)
        f->has[pick(w, NREPORTED)] = true;
}

/* Filing time: from a day to four weeks after the period's end, so that
 * some are late (a commune has 5 working days). */
static int64_t filing_time(world_t *w, int y, int slot)
{
    return bc_period_end(slot_period(Y0 + y, slot)) + 3600
           + (int64_t) pick(w, 28) * 86400 + pick(w, 86400);
}

static void build_world(world_t *w, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->rng = seed * 2654435761u + 88172645463325252ull;
    /* Registry: PX, its districts PX-D<d>, their communes PX-D<d>-C<c>. */
    snprintf(w->u[0].code, sizeof w->u[0].code, "PX");
    w->u[0].parent = -1;
    w->nu = 1;
    int nd = 2 + pick(w, 2);
    for (int d = 0; d < nd; d++) {
        int di = w->nu++;
        snprintf(w->u[di].code, sizeof w->u[di].code, "PX-D%d", d + 1);
        w->u[di].parent = 0;
        int nc = 3 + pick(w, 4);
        for (int c = 0; c < nc; c++) {
            int ci = w->nu++;
            snprintf(w->u[ci].code, sizeof w->u[ci].code, "PX-D%d-C%d", d + 1,
                     c + 1);
            w->u[ci].parent = di;
            w->u[ci].leaf = true;
        }
    }
    /* Reports: communes monthly, now and then a quarter or a half instead
     * (or besides); district 1 files for itself now and then. */
    for (int u = 0; u < w->nu; u++) {
        bool files = w->u[u].leaf || u == 1;
        if (!files)
            continue;
        for (int y = 0; y < NY; y++)
            for (int slot = 0; slot < 18; slot++) {
                if (!slot_in_stream(y, slot))
                    continue;
                int p = slot < 12 ? (w->u[u].leaf ? 80 : 15) : 6;
                if (!chance(w, p))
                    continue;
                filing_t *f = new_filing(w);
                f->unit = u;
                f->year = y;
                f->slot = slot;
                f->revision = 1;
                f->filed_at = filing_time(w, y, slot);
                random_values(w, f);
            }
    }
    /* Corrections, filed after later months. */
    size_t originals = w->nf;
    int ncorr = 28 + pick(w, 30);
    for (int k = 0; k < ncorr; k++) {
        filing_t base = w->f[pick(w, (int) originals)];
        uint32_t rev = 1;
        for (size_t j = 0; j < w->nf; j++)
            if (w->f[j].unit == base.unit && w->f[j].year == base.year
                && w->f[j].slot == base.slot && w->f[j].revision > rev)
                rev = w->f[j].revision;
        filing_t *f = new_filing(w);
        *f = base;
        f->revision = rev + 1;
        f->filed_at = base.filed_at + 40 * 86400 + pick(w, 200) * 86400;
        random_values(w, f);
    }
    /* The oracle's current revisions. */
    memset(w->cur, -1, sizeof w->cur);
    for (size_t j = 0; j < w->nf; j++) {
        const filing_t *f = &w->f[j];
        int *c = &w->cur[f->unit][f->year][f->slot];
        if (*c < 0 || w->f[*c].revision < f->revision)
            *c = (int) j;
        int64_t *ff = &w->first_filed[f->unit][f->year][f->slot];
        if (!*ff || f->filed_at < *ff)
            *ff = f->filed_at;
    }
    /* Plans: some units, some years, some indicators; zeros allowed. */
    for (int u = 0; u < w->nu; u++)
        for (int y = 0; y < NY; y++)
            for (size_t i = 0; i < NREPORTED; i++)
                if (chance(w, 15)) {
                    w->has_plan[u][y][i] = true;
                    w->plan[u][y][i] = chance(w, 15) ? 0 : pick(w, 5000);
                }
}

/* --- the oracle -------------------------------------------------------------- */

static bool within(const world_t *w, int u, int root)
{
    for (; u >= 0; u = w->u[u].parent)
        if (u == root)
            return true;
    return false;
}

/* The unit's own figure for indicator i in its current report for the
 * slot, if the report exists and holds it; *filed says a report exists. */
static bool reported(const world_t *w, int u, int y, int slot, int i,
                     int64_t *v, bool *filed)
{
    int c = w->cur[u][y][slot];
    *filed = c >= 0;
    if (c < 0 || !w->f[c].has[i])
        return false;
    *v = w->f[c].val[i];
    return true;
}

/* Inside the period: its own report wins whole; else its sub-periods,
 * flows summed and a stock the latest one present. */
static bool inside(const world_t *w, int u, int y, int slot, int i,
                   int64_t *v)
{
    int c = w->cur[u][y][slot];
    if (c >= 0) {
        if (!w->f[c].has[i])
            return false;
        *v = w->f[c].val[i];
        return true;
    }
    int sub[3], ns = 0;
    if (slot >= 18) {
        sub[ns++] = 16;
        sub[ns++] = 17;
    } else if (slot >= 16) {
        sub[ns++] = 12 + (slot - 16) * 2;
        sub[ns++] = 13 + (slot - 16) * 2;
    } else if (slot >= 12) {
        for (int k = 0; k < 3; k++)
            sub[ns++] = (slot - 12) * 3 + k;
    }
    bool any = false;
    int64_t sum = 0;
    for (int k = ns - 1; k >= 0; k--) {
        int64_t x;
        if (!inside(w, u, y, sub[k], i, &x))
            continue;
        if (IND[i].kind == STOCK) {
            *v = x;
            return true;
        }
        sum += x;
        any = true;
    }
    *v = sum;
    return any;
}

/* What unit u contributes to indicator i (not a ratio) for the slot. */
static bool contrib(const world_t *w, int u, int y, int slot, int i,
                    int64_t *v)
{
    if (inside(w, u, y, slot, i, v))
        return true;
    if (IND[i].kind != STOCK)
        return false;
    int first, last;
    slot_months(slot, &first, &last);
    for (int m = first - 1; m >= 1; m--) {
        bool filed;
        if (reported(w, u, y, m - 1, i, v, &filed))
            return true;
    }
    return false;
}

/* A subtree's figure for the slot: the sum of the contributions and how
 * many units contributed (for a ratio: to either part). */
typedef struct {
    bool has;
    int64_t v;
    uint32_t units;
} onum_t;

static onum_t subtree(const world_t *w, int root, int y, int slot, int i)
{
    onum_t r = {false, 0, 0};
    if (y < 0 || y >= NY)
        return r;
    for (int u = 0; u < w->nu; u++) {
        if (!within(w, u, root))
            continue;
        int64_t x;
        if (IND[i].kind == RATIO) {
            int64_t a, b;
            if (contrib(w, u, y, slot, IND[i].num, &a)
                || contrib(w, u, y, slot, IND[i].den, &b))
                r.units++;
            continue;
        }
        if (contrib(w, u, y, slot, i, &x)) {
            r.has = true;
            r.v += x;
            r.units++;
        }
    }
    return r;
}

/* Year to date, months 1..last: the year; else H1, Q3, Q1 and months.
 * Flows summed over the pieces, a stock the last piece's. */
static onum_t ytd(const world_t *w, int root, int y, int last, int i)
{
    int piece[6], np = 0, m = 1;
    if (last == 12) {
        piece[np++] = 18;
        m = 13;
    }
    if (m == 1 && last >= 6) {
        piece[np++] = 16;
        m = 7;
    }
    if (m == 7 && last >= 9) {
        piece[np++] = 14;
        m = 10;
    }
    if (m == 1 && last >= 3) {
        piece[np++] = 12;
        m = 4;
    }
    for (; m <= last; m++)
        piece[np++] = m - 1;
    onum_t r = {false, 0, 0};
    for (int k = 0; k < np; k++) {
        onum_t p = subtree(w, root, y, piece[k], i);
        if (IND[i].kind == STOCK) {
            r = p;
        } else if (p.has) {
            r.has = true;
            r.v += p.v;
        }
    }
    return r;
}

/* Effective target: own, else the sum of the children's effective. */
static onum_t target(const world_t *w, int u, int y, int i)
{
    onum_t r = {false, 0, 0};
    if (w->has_plan[u][y][i]) {
        r.has = true;
        r.v = w->plan[u][y][i];
        return r;
    }
    for (int c = 0; c < w->nu; c++)
        if (w->u[c].parent == u) {
            onum_t t = target(w, c, y, i);
            if (t.has) {
                r.has = true;
                r.v += t.v;
            }
        }
    return r;
}

/* The previous slot of the same length, and its year offset. */
static void prev_slot(int y, int slot, int *py, int *ps)
{
    int first_of_type = slot < 12 ? 0 : slot < 16 ? 12 : slot < 18 ? 16 : 18;
    int count = slot < 12 ? 12 : slot < 16 ? 4 : slot < 18 ? 2 : 1;
    if (slot > first_of_type) {
        *py = y;
        *ps = slot - 1;
    } else {
        *py = y - 1;
        *ps = first_of_type + count - 1;
    }
}

/* --- comparing ----------------------------------------------------------------- */

typedef struct {
    uint64_t seed;             /* for the failure message */
    size_t fields;             /* fields compared */
    size_t wrong;              /* fields that differed */
} tally_t;

static void check_num(tally_t *t, const char *what, const char *unit,
                      const char *period, const char *ind, onum_t want,
                      const Baocao__Num *got)
{
    bool has = got && got->present;
    t->fields++;
    if (has == want.has && (!has || got->value == want.v))
        return;
    if (t->wrong++ < 20)
        print_message("seed %" PRIu64 ": %s %s %s %s: hub %s%" PRId64
                      ", expected %s%" PRId64 "\n", t->seed, unit, period,
                      ind, what, has ? "" : "(absent) ",
                      has ? got->value : 0, want.has ? "" : "(absent) ",
                      want.has ? want.v : 0);
}

static void check_u32(tally_t *t, const char *what, const char *unit,
                      const char *period, const char *ind, uint32_t want,
                      uint32_t got)
{
    t->fields++;
    if (want == got)
        return;
    if (t->wrong++ < 20)
        print_message("seed %" PRIu64 ": %s %s %s %s: hub %u, expected %u\n",
                      t->seed, unit, period, ind, what, got, want);
}

static Baocao__Reply *call(bc_client_t *c, Baocao__Request *req)
{
    Baocao__Reply *reply = NULL;
    assert_int_equal(bc_client_call(c, req, &reply, 20000), 0);
    return reply;
}

static void check_query(const world_t *w, bc_client_t *c, tally_t *t, int u,
                        int y, int slot)
{
    char period[BC_PERIOD_STRLEN];
    bc_period_format(slot_period(Y0 + y, slot), period);
    char *codes[NI];
    for (size_t i = 0; i < NI; i++)
        codes[i] = (char *) IND[i].code;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = (char *) w->u[u].code;
    q.period = period;
    q.n_indicators = NI;
    q.indicators = codes;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = call(c, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_QUERY);
    assert_int_equal(r->query->n_figures, NI);
    int first, last, py, ps;
    slot_months(slot, &first, &last);
    prev_slot(y, slot, &py, &ps);
    const char *uc = w->u[u].code;
    for (size_t i = 0; i < NI; i++) {
        const Baocao__Figure *g = r->query->figures[i];
        assert_string_equal(g->indicator, IND[i].code);
        onum_t val = subtree(w, u, y, slot, (int) i);
        check_u32(t, "reporting_units", uc, period, IND[i].code, val.units,
                  g->reporting_units);
        if (IND[i].kind == RATIO) {
            int a = IND[i].num, b = IND[i].den;
            check_num(t, "numerator", uc, period, IND[i].code,
                      subtree(w, u, y, slot, a), g->numerator);
            check_num(t, "denominator", uc, period, IND[i].code,
                      subtree(w, u, y, slot, b), g->denominator);
            check_num(t, "cumulative_numerator", uc, period, IND[i].code,
                      ytd(w, u, y, last, a), g->cumulative_numerator);
            check_num(t, "cumulative_denominator", uc, period, IND[i].code,
                      ytd(w, u, y, last, b), g->cumulative_denominator);
            continue;
        }
        check_num(t, "value", uc, period, IND[i].code, val, g->value);
        check_num(t, "cumulative", uc, period, IND[i].code,
                  ytd(w, u, y, last, (int) i), g->cumulative);
        check_num(t, "previous", uc, period, IND[i].code,
                  subtree(w, u, py, ps, (int) i), g->previous);
        check_num(t, "last_year", uc, period, IND[i].code,
                  subtree(w, u, y - 1, slot, (int) i), g->last_year);
        onum_t none = {false, 0, 0};
        check_num(t, "cumulative_last_year", uc, period, IND[i].code,
                  y > 0 ? ytd(w, u, y - 1, last, (int) i) : none,
                  g->cumulative_last_year);
        check_num(t, "target", uc, period, IND[i].code,
                  target(w, u, y, (int) i), g->target);
    }
    baocao__reply__free_unpacked(r, NULL);
}

/* Reports of one unit for a slot, as DHIS2 counts them. */
typedef struct {
    uint32_t expected, received, on_time;
} ocount_t;

static void count(const world_t *w, int u, int y, int slot, ocount_t *c)
{
    int first, last;
    slot_months(slot, &first, &last);
    if (w->cur[u][y][slot] >= 0) {
        uint32_t months = (uint32_t) (last - first + 1);
        c->expected += months;
        c->received += months;
        if (w->first_filed[u][y][slot]
            < bc_period_deadline(slot_period(Y0 + y, slot), 5))
            c->on_time += months;
        return;
    }
    if (slot < 12) {
        c->expected++;
    } else if (slot < 16) {
        for (int m = first; m <= last; m++)
            count(w, u, y, m - 1, c);
    } else if (slot < 18) {
        count(w, u, y, 12 + (slot - 16) * 2, c);
        count(w, u, y, 13 + (slot - 16) * 2, c);
    } else {
        count(w, u, y, 16, c);
        count(w, u, y, 17, c);
    }
}

static void check_completeness(const world_t *w, bc_client_t *c, tally_t *t,
                               int root, int y, int slot)
{
    char period[BC_PERIOD_STRLEN];
    bc_period_t p = slot_period(Y0 + y, slot);
    bc_period_format(p, period);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = (char *) w->u[root].code;
    q.period = period;
    q.level = "";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    Baocao__Reply *r = call(c, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
    const Baocao__CompletenessReply *cr = r->completeness;
    const char *rc = w->u[root].code;
    uint32_t units = 0, complete = 0, on_time = 0;
    ocount_t all = {0, 0, 0};
    for (int u = 0; u < w->nu; u++) {
        if (!w->u[u].leaf || !within(w, u, root))
            continue;
        units++;
        ocount_t one = {0, 0, 0};
        count(w, u, y, slot, &one);
        all.expected += one.expected;
        all.received += one.received;
        all.on_time += one.on_time;
        Baocao__ReportState state =
            one.received == 0 ? BAOCAO__REPORT_STATE__STATE_MISSING
            : one.received < one.expected ? BAOCAO__REPORT_STATE__STATE_PARTIAL
            : one.on_time == one.expected ? BAOCAO__REPORT_STATE__STATE_ON_TIME
                                          : BAOCAO__REPORT_STATE__STATE_LATE;
        complete += state == BAOCAO__REPORT_STATE__STATE_ON_TIME
                    || state == BAOCAO__REPORT_STATE__STATE_LATE;
        on_time += state == BAOCAO__REPORT_STATE__STATE_ON_TIME;
        const Baocao__UnitReport *ur = NULL;
        for (size_t k = 0; k < cr->n_units; k++)
            if (!strcmp(cr->units[k]->unit, w->u[u].code))
                ur = cr->units[k];
        t->fields++;
        if (!ur) {
            if (t->wrong++ < 20)
                print_message("seed %" PRIu64 ": completeness %s %s: %s "
                              "missing from the list\n", t->seed, rc, period,
                              w->u[u].code);
            continue;
        }
        const char *uc = w->u[u].code;
        check_u32(t, "state", rc, period, uc, (uint32_t) state,
                  (uint32_t) ur->state);
        check_u32(t, "expected_reports", rc, period, uc, one.expected,
                  ur->expected_reports);
        check_u32(t, "received_reports", rc, period, uc, one.received,
                  ur->received_reports);
        check_u32(t, "on_time_reports", rc, period, uc, one.on_time,
                  ur->on_time_reports);
        int cur = w->cur[u][y][slot];
        check_u32(t, "revision", rc, period, uc,
                  cur >= 0 ? w->f[cur].revision : 0, ur->revision);
        check_u32(t, "filed_at", rc, period, uc,
                  cur >= 0 ? (uint32_t) w->first_filed[u][y][slot] : 0,
                  (uint32_t) ur->filed_at);
    }
    check_u32(t, "expected", rc, period, "", units, cr->expected);
    check_u32(t, "reported", rc, period, "", complete, cr->reported);
    check_u32(t, "on_time", rc, period, "", on_time, cr->on_time);
    check_u32(t, "expected_reports", rc, period, "", all.expected,
              cr->expected_reports);
    check_u32(t, "received_reports", rc, period, "", all.received,
              cr->received_reports);
    check_u32(t, "on_time_reports", rc, period, "", all.on_time,
              cr->on_time_reports);
    check_u32(t, "n_units", rc, period, "", units, (uint32_t) cr->n_units);
    check_u32(t, "deadline", rc, period, "",
              (uint32_t) bc_period_deadline(p, 5), (uint32_t) cr->deadline);
    baocao__reply__free_unpacked(r, NULL);
}

/* --- driving a real hub ---------------------------------------------------------- */

static void write_registry(const world_t *w, const char *path)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "code,parent_code,level,name,reports,on_behalf,key\n");
    for (int u = 0; u < w->nu; u++) {
        const unit_t *x = &w->u[u];
        fprintf(fp, "%s,%s,%s,%s,%s,no,\n", x->code,
                x->parent >= 0 ? w->u[x->parent].code : "",
                x->parent < 0 ? "province" : x->leaf ? "commune" : "district",
                x->code, x->parent < 0 ? "no" : "yes");
    }
    fclose(fp);
}

static void send_filing(bc_client_t *c, const world_t *w, const filing_t *f)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Value vals[NI], *ptrs[NI];
    size_t n = 0;
    for (size_t i = 0; i < NREPORTED; i++) {
        if (!f->has[i])
            continue;
        baocao__value__init(&vals[n]);
        vals[n].indicator = (char *) IND[i].code;
        vals[n].v_case = BAOCAO__VALUE__V_COUNT;
        vals[n].count = f->val[i];
        ptrs[n] = &vals[n];
        n++;
    }
    uint8_t id[16];
    bc_id_new(id);
    char period[BC_PERIOD_STRLEN];
    bc_period_format(slot_period(Y0 + f->year, f->slot), period);
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = (char *) w->u[f->unit].code;
    sub.period = period;
    sub.revision = f->revision;
    sub.filed_at = f->filed_at;
    sub.n_values = n;
    sub.values = ptrs;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Baocao__Reply *r = call(c, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    /* An original arriving after its correction is superseded. */
    if (r->ack->status != BAOCAO__ACK_STATUS__ACK_STORED
        && r->ack->status != BAOCAO__ACK_STATUS__ACK_SUPERSEDED)
        fail_msg("%s %s rev %u: ack %d (%s)", sub.unit, period, f->revision,
                 r->ack->status, r->ack->message);
    baocao__reply__free_unpacked(r, NULL);
}

static void send_plans(bc_client_t *c, const world_t *w)
{
    for (int u = 0; u < w->nu; u++)
        for (int y = 0; y < NY; y++) {
            Baocao__Target tg[NI], *ptrs[NI];
            size_t n = 0;
            for (size_t i = 0; i < NREPORTED; i++) {
                if (!w->has_plan[u][y][i])
                    continue;
                baocao__target__init(&tg[n]);
                tg[n].indicator = (char *) IND[i].code;
                tg[n].target = w->plan[u][y][i];
                ptrs[n] = &tg[n];
                n++;
            }
            if (!n)
                continue;
            Baocao__Request req = BAOCAO__REQUEST__INIT;
            Baocao__PlanSet ps = BAOCAO__PLAN_SET__INIT;
            ps.unit = (char *) w->u[u].code;
            ps.year = (uint32_t) (Y0 + y);
            ps.n_targets = n;
            ps.targets = ptrs;
            req.body_case = BAOCAO__REQUEST__BODY_PLAN;
            req.plan = &ps;
            Baocao__Reply *r = call(c, &req);
            assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_PLAN);
            baocao__reply__free_unpacked(r, NULL);
        }
}

static void run_seed(uint64_t seed)
{
    world_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    build_world(w, seed);
    print_message("seed %" PRIu64 ": %d units, %zu filings (replay: BC_SEED=%"
                  PRIu64 " tests/test_figures_property)\n", seed, w->nu,
                  w->nf, seed);
    char *dir = bc_tmpdir("property");
    char reg[4096];
    snprintf(reg, sizeof reg, "%s", bc_path(dir, "units.csv"));
    write_registry(w, reg);
    bc_hub_t hub;
    bc_hub_init(&hub);
    const char *extra[] = {"--registry", reg, NULL};
    bc_hub_start(&hub, dir, NULL, extra);
    char err[256];
    bc_client_t *c = bc_client_new(hub.endpoint, NULL, err, sizeof err);
    assert_non_null(c);

    /* Every filing, in a shuffled order. */
    size_t *order = malloc(w->nf * sizeof *order);
    assert_non_null(order);
    for (size_t j = 0; j < w->nf; j++)
        order[j] = j;
    for (size_t j = w->nf; j > 1; j--) {
        size_t k = rnd(w) % j, tmp = order[j - 1];
        order[j - 1] = order[k];
        order[k] = tmp;
    }
    for (size_t j = 0; j < w->nf; j++)
        send_filing(c, w, &w->f[order[j]]);
    free(order);
    send_plans(c, w);

    tally_t t = {seed, 0, 0};
    for (int u = 0; u < w->nu; u++)
        for (int y = 0; y < NY; y++)
            for (int slot = 0; slot < NSLOT; slot++) {
                if (!slot_can_query(y, slot))
                    continue;
                check_query(w, c, &t, u, y, slot);
                if (!w->u[u].leaf || chance(w, 30))
                    check_completeness(w, c, &t, u, y, slot);
            }
    print_message("seed %" PRIu64 ": %zu fields compared, %zu wrong\n", seed,
                  t.fields, t.wrong);
    bc_client_destroy(&c);
    assert_int_equal(bc_hub_stop(&hub), 0);
    bc_rmtree(dir);
    free(dir);
    free(w->f);
    free(w);
    assert_int_equal(t.wrong, 0);
}

static void test_property(void **state)
{
    (void) state;
    const char *env = getenv("BC_SEED");
    if (env && *env) {
        run_seed(strtoull(env, NULL, 10));
        return;
    }
    static const uint64_t seeds[] = {20240601, 7, 1789};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++)
        run_seed(seeds[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property),
    };
    return cmocka_run_group_tests_name("integration.figures_property", tests,
                                       NULL, NULL);
}
