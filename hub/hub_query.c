/*
 * hub_query.c -- figures and reporting rate (rules in hub_query.h).
 *
 * Replies are built as protobuf-c structs whose strings point into the
 * registry (which outlives the reply) and whose arrays are allocated here;
 * hub_query_free() releases exactly what was allocated.
 *
 * Breakdown rows (issue 17) are hub_breakdown.c's, made from the same
 * figure sets as the figures; both fill a Figure with hub_figure.c.
 */
#include "hub_query.h"
#include "hub_breakdown.h"
#include "hub_figure.h"
#include "hub_history.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unit and period a request names, or the reason it cannot be
 * answered. */
static Baocao__RejectReason resolve(const bc_registry_t *reg, const char *unit,
                                    const char *period, const bc_unit_t **u,
                                    bc_period_t *p, char *msg, size_t msglen)
{
    *u = bc_registry_find_unit(reg, unit);
    if (!*u) {
        snprintf(msg, msglen, "unknown unit '%.60s'", unit);
        return BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT;
    }
    if (bc_period_parse(period, p)) {
        snprintf(msg, msglen, "period '%.30s' is not YYYY-MM, YYYY-Qn, "
                 "YYYY-Hn or YYYY", period);
        return BAOCAO__REJECT_REASON__REASON_BAD_PERIOD;
    }
    /* The registry is a history: a unit has no figures after its end. */
    return hub_history_question(reg, *u, *p, msg, msglen);
}

/* Adds one piece of a year to date into out: flows summed (exact, or
 * BC_ERANGE), a stock the piece's (the last piece wins). */
static int add_piece(const bc_registry_t *reg, hub_figures_t *out,
                     const hub_figures_t *f)
{
    int rc = BC_OK;
    for (size_t i = 0; i < out->n && !rc; i++) {
        if (bc_registry_indicator(reg, (uint32_t) i)->kind
            == BC_KIND_STOCK) {
            out->value[i] = f->value[i];
            out->count[i] = f->count[i];
        } else if (f->count[i]) {
            rc = bc_add_checked(out->value[i], f->value[i], &out->value[i]);
            out->count[i] += f->count[i];
        }
    }
    return rc;
}

/* Year to date, months 1..last of `year`, by the same rule as a period's
 * value: months 1..last are split into the longest periods that fit (the
 * year; else the first half, the third quarter, the first quarter, then
 * single months), so that a unit's report for a quarter or a half counts
 * where its months would. Flows are summed over the pieces; a stock is the
 * last piece's (its last value up to `last`). */
static int year_to_date(hub_reader_t *r, const bc_registry_t *reg,
                        const bc_unit_t *u, unsigned year, unsigned last,
                        hub_figures_t *out, hub_basis_t *basis)
{
    bc_period_t piece[6];
    size_t np = 0;
    unsigned m = 1;
    if (last == 12) {
        piece[np++] = bc_period_make(year, BC_PT_YEAR, 1);
        m = 13;
    }
    if (m == 1 && last >= 6) {
        piece[np++] = bc_period_make(year, BC_PT_HALF, 1);
        m = 7;
    }
    if (m == 7 && last >= 9) {
        piece[np++] = bc_period_make(year, BC_PT_QUARTER, 3);
        m = 10;
    }
    if (m == 1 && last >= 3) {
        piece[np++] = bc_period_make(year, BC_PT_QUARTER, 1);
        m = 4;
    }
    for (; m <= last; m++)
        piece[np++] = bc_period_make(year, BC_PT_MONTH, m);

    hub_figures_t f;
    hub_figures_init(&f, out->n);
    hub_figures_clear(out);
    int rc = BC_OK;
    for (size_t k = 0; k < np && !rc; k++) {
        /* A piece before the unit existed counts the units it replaced. */
        rc = hub_history_period(r, reg, u, piece[k], &f, basis);
        if (!rc)
            rc = add_piece(reg, out, &f);
    }
    hub_figures_free(&f);
    if (rc == BC_OK &&
        basis->basis == BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE)
        hub_figures_clear(out);   /* part of the year is not comparable */
    return rc;
}

/* The approval state of (u, p) for a reply (issue #11), in one block so
 * that free(reply->approval) frees it all; NULL (and *approved false)
 * when none is in force or the store could not say. */
typedef struct {
    Baocao__Approval w;        /* first: the reply's pointer is the block's */
    hub_approval_t a;          /* what its strings point into */
    char pb[BC_PERIOD_STRLEN]; /* its period as text */
} approval_block_t;

static Baocao__Approval *approval_of(hub_reader_t *r, const bc_unit_t *u,
                                     bc_period_t p, protobuf_c_boolean *approved)
{
    approval_block_t *b = bc_malloc(sizeof *b);
    *approved = false;
    if (hub_reader_approval(r, u, p, &b->a) != BC_OK || !b->a.present) {
        free(b);
        return NULL;
    }
    hub_approval_to_wire(&b->a, &b->w, b->pb);
    *approved = true;
    return &b->w;
}

/* The reply and the one comparison note its figures share (the bases are
 * the query's, not an indicator's), in one block that hub_query_free
 * frees with the reply. */
typedef struct {
    Baocao__QueryReply reply;  /* first: the reply's pointer is the block's */
    char note[160];            /* every figure's comparison_note */
} reply_block_t;

Baocao__RejectReason hub_query_figures(hub_store_t *store,
                                       const Baocao__Query *q,
                                       Baocao__QueryReply **out, char *msg,
                                       size_t msglen)
{
    const bc_registry_t *reg = hub_store_registry(store);
    Baocao__RejectReason reason = BAOCAO__REJECT_REASON__REASON_NONE;
    *out = NULL;
    const bc_unit_t *u;
    bc_period_t p;
    Baocao__RejectReason why = resolve(reg, q->unit, q->period, &u, &p, msg,
                                       msglen);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE)
        return why;
    size_t nind = bc_registry_nindicators(reg);
    /* "Every indicator": the catalogue's own, not its combinations. */
    size_t nwant = q->n_indicators ? q->n_indicators
                                   : bc_registry_ncatalogue(reg);
    const bc_indicator_t **want = bc_malloc(nwant * sizeof *want);
    for (size_t i = 0; i < nwant; i++) {
        want[i] = q->n_indicators
                      ? bc_registry_find_indicator(reg, q->indicators[i])
                      : bc_registry_indicator(reg, (uint32_t) i);
        if (!want[i]) {
            snprintf(msg, msglen, "unknown indicator '%.60s'",
                     q->indicators[i]);
            free(want);
            return BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR;
        }
    }

    hub_breakdown_ask_t ask;
    if ((why = hub_breakdown_ask(reg, q, &ask, msg, msglen))
        != BAOCAO__REJECT_REASON__REASON_NONE) {
        free(want);
        return why;
    }
    hub_reader_t *r = hub_store_reader(store);
    if (!r) {
        free(want);
        snprintf(msg, msglen, "the store cannot be read now");
        return BAOCAO__REJECT_REASON__REASON_INTERNAL;
    }
    /* The combination slots are computed only for a breakdown: a query
     * for totals (the figures of every screen) reads the catalogue's own
     * indicators alone, which come first (bc_registry.h), so that
     * declaring breakdowns does not make it dearer (issue 17 item 6: 860k
     * instructions against 565k with a fifth of 100 indicators broken
     * down 2 x 4, BENCHMARKS.md). A total is stored under its own id
     * (hub_validate derives it), and a catalogue ratio's parts are
     * catalogue indicators, so no total depends on a combination slot;
     * the readers skip what lies past a set's n (hub_figures_spread). */
    size_t nslots = nind;
    if (!ask.nby && !ask.nf) {
        nslots = bc_registry_ncatalogue(reg);
        for (size_t i = 0; i < nwant; i++)
            if (want[i]->idx >= nslots)
                nslots = nind;   /* a combination asked by its own code */
    }
    hub_figure_sets_t s;
    hub_figures_t *sets[] = {&s.value, &s.cum, &s.prev, &s.ly, &s.cum_ly,
                             &s.target};
    for (size_t i = 0; i < 6; i++)
        hub_figures_init(sets[i], nslots);
    unsigned year = bc_period_year(p), first, last;
    bc_period_months(p, &first, &last);
    bc_period_t ly = bc_period_last_year(p);
    /* Every figure by the one rule (hub_reader_period): the period, the
     * previous one of the same length, the same one a year earlier, and
     * the years to date. */
    int rc = q->as_filed ? hub_reader_figures(r, u, p, &s.value)
                         : hub_reader_period(r, u, p, &s.value);
    /* Comparisons see through a change of the map (hub_history_period):
     * a merged unit's past is the sum of the units it replaced. */
    s.b_prev = s.b_ly = s.b_cum = s.b_cum_ly = (hub_basis_t){0, ""};
    if (!rc) rc = year_to_date(r, reg, u, year, last, &s.cum, &s.b_cum);
    if (!rc && bc_period_prev(p))
        rc = hub_history_period(r, reg, u, bc_period_prev(p), &s.prev,
                                &s.b_prev);
    if (bc_period_type(p) == BC_PT_YEAR && ly && bc_period_prev(p) == ly) {
        /* A year's previous period is last year, and last year to date
         * is that one piece: the same reads, done once (a year asked
         * read them three times, 2.2x a month's CPU in bench_map). */
        if (!rc) {
            memcpy(s.ly.value, s.prev.value, nslots * sizeof *s.ly.value);
            memcpy(s.ly.count, s.prev.count, nslots * sizeof *s.ly.count);
            s.ly.reporters = s.prev.reporters;
            s.b_ly = s.b_prev;
            hub_figures_clear(&s.cum_ly);
            rc = add_piece(reg, &s.cum_ly, &s.prev);
            s.b_cum_ly = s.b_prev;
            if (s.b_cum_ly.basis
                == BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE)
                hub_figures_clear(&s.cum_ly);   /* as year_to_date does */
        }
    } else {
        if (!rc && ly) rc = hub_history_period(r, reg, u, ly, &s.ly, &s.b_ly);
        if (!rc && ly) rc = year_to_date(r, reg, u, year - 1, last,
                                         &s.cum_ly, &s.b_cum_ly);
    }
    if (!rc) rc = hub_reader_targets(r, u, year, &s.target);
    protobuf_c_boolean approved = false;
    Baocao__Approval *approval = rc ? NULL : approval_of(r, u, p, &approved);
    hub_reader_destroy(&r);
    if (rc == BC_ERANGE) {
        /* Not reachable below 768,000 units at 10^12 each (bc_limits.h),
         * but an honest error beats a wrapped total. */
        snprintf(msg, msglen, "a total of %s for %s would overflow a 64-bit "
                 "count", u->code, q->period);
        reason = BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE;
        free(approval);
        goto out_free;
    }
    if (rc) {
        snprintf(msg, msglen, "the store failed while reading");
        reason = BAOCAO__REJECT_REASON__REASON_INTERNAL;
        free(approval);
        goto out_free;
    }

    reply_block_t *rb = bc_malloc(sizeof *rb);
    Baocao__QueryReply *reply = &rb->reply;
    baocao__query_reply__init(reply);
    /* One note: the worst basis's (they share one history). */
    const hub_basis_t *worst = &s.b_prev;
    const hub_basis_t *all[] = {&s.b_ly, &s.b_cum, &s.b_cum_ly};
    for (size_t k = 0; k < 3; k++)
        if (all[k]->basis > worst->basis)
            worst = all[k];
    snprintf(rb->note, sizeof rb->note, "%s", worst->note);
    reply->unit = u->code;
    reply->unit_name = u->name;
    reply->period = bc_strdup(q->period);
    reply->approved = approved;
    reply->approval = approval;
    reply->n_figures = nwant;
    /* The pointers and then the figure blocks, in one allocation that
     * free(reply->figures) releases: a 100-figure reply made 101
     * allocations here and as many frees (callgrind, issue 21). The
     * blocks start after the pointers, at their own alignment. */
    size_t align = _Alignof(hub_figure_block_t);
    size_t at = (nwant * sizeof *reply->figures + align - 1) / align * align;
    reply->figures = bc_malloc(at + nwant * sizeof(hub_figure_block_t));
    char *base = (char *) reply->figures;
    hub_figure_block_t *blocks = (hub_figure_block_t *) (void *) (base + at);
    for (size_t i = 0; i < nwant; i++) {
        hub_figure_fill(&blocks[i], want[i], &s, rb->note);
        reply->figures[i] = &blocks[i].fig;
    }
    if (ask.nby || ask.nf) {
        size_t room = 0;
        for (size_t i = 0; i < nwant; i++)
            room += want[i]->ncombos;
        reply->breakdown = bc_malloc((room ? room : 1)
                                     * sizeof *reply->breakdown);
        for (size_t i = 0; i < nwant && !rc; i++)
            if (want[i]->ncombos)
                rc = hub_breakdown_rows(reg, want[i], &ask, &s, rb->note,
                                        reply->breakdown,
                                        &reply->n_breakdown);
        if (rc) {
            hub_query_free(&reply);
            snprintf(msg, msglen, "a breakdown of %s for %s would overflow "
                     "a 64-bit count", u->code, q->period);
            reason = BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE;
            goto out_free;
        }
    }
    *out = reply;

out_free:
    for (size_t i = 0; i < 6; i++)
        hub_figures_free(sets[i]);
    free(want);
    return reason;
}

void hub_query_free(Baocao__QueryReply **reply_p)
{
    Baocao__QueryReply *r = *reply_p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_figures; i++)
        free(r->figures[i]->flags);  /* hub_rules_flag's, or NULL */
    free(r->figures);   /* with the figure blocks after the pointers */
    for (size_t i = 0; i < r->n_breakdown; i++)
        free(r->breakdown[i]);   /* the block holding it (hub_breakdown.c) */
    free(r->breakdown);
    free(r->period);
    free(r->approval);   /* an approval_block_t */
    free(r);   /* the reply_block_t holding it and its note */
    *reply_p = NULL;
}

/* --- slices ---------------------------------------------------------------- */

/* A row and the storage its repeated fields point into, in one block. */
typedef struct {
    Baocao__SliceRow row;     /* first: the reply's pointer is the block's */
    int64_t *parts;           /* months x parts: values, or num then den */
    uint32_t *units;          /* reporting units per month */
} slice_row_t;

static Baocao__RejectReason slice_month(const char *text, const char *which,
                                        bc_period_t *p, char *msg,
                                        size_t msglen)
{
    if (!text || bc_period_parse(text, p) || bc_period_type(*p) != BC_PT_MONTH) {
        snprintf(msg, msglen, "slice %s '%.30s' is not a month YYYY-MM",
                 which, text ? text : "");
        return BAOCAO__REJECT_REASON__REASON_BAD_PERIOD;
    }
    return BAOCAO__REJECT_REASON__REASON_NONE;
}

/* Months from a to b inclusive, or 0 when b is before a. */
static size_t month_span(bc_period_t a, bc_period_t b)
{
    long ia = (long) bc_period_year(a) * 12 + (long) bc_period_index(a) - 1;
    long ib = (long) bc_period_year(b) * 12 + (long) bc_period_index(b) - 1;
    return ib < ia ? 0 : (size_t) (ib - ia + 1);
}

static slice_row_t *slice_row(const bc_unit_t *u, const bc_indicator_t *ind,
                              size_t nparts, size_t nm)
{
    slice_row_t *b = bc_calloc(1, sizeof *b);
    baocao__slice_row__init(&b->row);
    b->row.unit = u->code;
    b->row.name = u->name;
    b->row.has_children = u->nchildren > 0;
    b->parts = bc_calloc(nm * nparts, sizeof *b->parts);
    b->units = bc_calloc(nm, sizeof *b->units);
    b->row.n_reporting_units = nm;
    b->row.reporting_units = b->units;
    if (ind->kind == BC_KIND_RATIO) {
        b->row.n_numerators = b->row.n_denominators = nm;
        b->row.numerators = b->parts;
        b->row.denominators = b->parts + nm;
    } else {
        b->row.n_values = nm;
        b->row.values = b->parts;
    }
    return b;
}

/* Month k of every row, from one batched read (hub_reader_pick). */
static int slice_month_fill(hub_reader_t *r, hub_pick_t *set,
                            Baocao__SliceRow **rows, size_t nrows,
                            bc_period_t month, size_t k, size_t nm,
                            const uint32_t *sids, size_t nparts,
                            int64_t *vals, uint32_t *counts,
                            uint32_t *reporters)
{
    int rc = hub_reader_pick(r, set, month, sids, nparts, vals, counts,
                             reporters);
    for (size_t i = 0; i < nrows && !rc; i++) {
        slice_row_t *b = (slice_row_t *) rows[i];
        for (size_t j = 0; j < nparts; j++)
            b->parts[j * nm + k] = vals[i * nparts + j];
        const uint32_t *c = counts + i * nparts;
        b->units[k] = nparts == 2 && c[1] < c[0] ? c[1] : c[0];
    }
    return rc;
}

static void slice_row_free(Baocao__SliceRow *row)
{
    slice_row_t *b = (slice_row_t *) row;
    if (!b)
        return;
    free(b->parts);
    free(b->units);
    free(b);
}

Baocao__RejectReason hub_query_slice(hub_store_t *store,
                                     const Baocao__SliceQuery *q,
                                     Baocao__SliceReply **out, char *msg,
                                     size_t msglen)
{
    const bc_registry_t *reg = hub_store_registry(store);
    *out = NULL;
    const bc_unit_t *u = bc_registry_find_unit(reg, q->unit);
    if (!u) {
        snprintf(msg, msglen, "unknown unit '%.60s'", q->unit);
        return BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT;
    }
    const bc_indicator_t *ind = bc_registry_find_indicator(reg, q->indicator);
    if (!ind) {
        snprintf(msg, msglen, "unknown indicator '%.60s'", q->indicator);
        return BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR;
    }
    bc_period_t from, to;
    Baocao__RejectReason why = slice_month(q->from, "from", &from, msg,
                                           msglen);
    if (why == BAOCAO__REJECT_REASON__REASON_NONE)
        why = slice_month(q->to, "to", &to, msg, msglen);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE)
        return why;
    size_t nm = month_span(from, to);
    if (nm == 0 || nm > HUB_SLICE_MAX_MONTHS) {
        snprintf(msg, msglen, "a slice runs forwards over 1 to %d months",
                 HUB_SLICE_MAX_MONTHS);
        return BAOCAO__REJECT_REASON__REASON_BAD_REQUEST;
    }
    /* The store ids of what each cell reads: the indicator, or a ratio's
     * two parts. */
    uint32_t sids[2];
    size_t nparts = 1;
    if (ind->kind == BC_KIND_RATIO) {
        sids[0] = bc_registry_indicator(reg, (uint32_t) ind->numerator)->sid;
        sids[1] = bc_registry_indicator(reg,
                                        (uint32_t) ind->denominator)->sid;
        nparts = 2;
    } else {
        sids[0] = ind->sid;
    }

    hub_reader_t *r = hub_store_reader(store);
    if (!r) {
        snprintf(msg, msglen, "the store cannot be read now");
        return BAOCAO__REJECT_REASON__REASON_INTERNAL;
    }
    Baocao__SliceReply *reply = bc_calloc(1, sizeof *reply);
    baocao__slice_reply__init(reply);
    reply->unit = u->code;
    reply->unit_name = u->name;
    reply->indicator = ind->code;
    reply->name = ind->name;
    reply->kind = (Baocao__IndicatorKind) ind->kind;
    reply->scale = ind->kind == BC_KIND_RATIO ? ind->scale : 0;
    reply->n_months = nm;
    reply->months = bc_calloc(nm, sizeof *reply->months);
    char *texts = bc_calloc(nm, BC_PERIOD_STRLEN);
    unsigned y0 = bc_period_year(from), m0 = bc_period_index(from);
    for (size_t k = 0; k < nm; k++) {
        unsigned mm = (m0 - 1 + (unsigned) k) % 12 + 1;
        unsigned yy = y0 + (m0 - 1 + (unsigned) k) / 12;
        reply->months[k] = bc_period_format(bc_period_make(yy, BC_PT_MONTH,
                                                           mm),
                                            texts + k * BC_PERIOD_STRLEN);
    }
    size_t nrows = u->nchildren + (q->include_self ? 1 : 0);
    reply->rows = bc_calloc(nrows ? nrows : 1, sizeof *reply->rows);
    const bc_unit_t **units = bc_calloc(nrows ? nrows : 1, sizeof *units);
    for (size_t i = 0; i < nrows; i++) {
        units[i] = q->include_self && i == 0
            ? u
            : bc_registry_unit(reg,
                               u->children[i - (q->include_self ? 1 : 0)]);
        reply->rows[i] = &slice_row(units[i], ind, nparts, nm)->row;
    }
    reply->n_rows = nrows;
    /* Month by month: each month's cells of all rows lie together in the
     * store (period-first keys), one cursor walk reads them. */
    int64_t *vals = bc_calloc(nrows * nparts + 1, sizeof *vals);
    uint32_t *counts = bc_calloc(nrows * nparts + 1, sizeof *counts);
    uint32_t *reporters = bc_calloc(nrows + 1, sizeof *reporters);
    int rc = BC_OK;
    hub_pick_t *set = hub_pick_new(units, nrows);   /* sorted once */
    for (size_t k = 0; k < nm && !rc; k++) {
        unsigned mm = (m0 - 1 + (unsigned) k) % 12 + 1;
        unsigned yy = y0 + (m0 - 1 + (unsigned) k) / 12;
        rc = slice_month_fill(r, set, reply->rows, nrows,
                              bc_period_make(yy, BC_PT_MONTH, mm), k, nm,
                              sids, nparts, vals, counts, reporters);
    }
    hub_pick_destroy(&set);
    free(vals);
    free(counts);
    free(reporters);
    free(units);
    hub_reader_destroy(&r);
    if (rc) {
        hub_slice_free(&reply);
        snprintf(msg, msglen, "the store failed while reading");
        return BAOCAO__REJECT_REASON__REASON_INTERNAL;
    }
    *out = reply;
    return BAOCAO__REJECT_REASON__REASON_NONE;
}

void hub_slice_free(Baocao__SliceReply **reply_p)
{
    Baocao__SliceReply *r = *reply_p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_rows; i++)
        slice_row_free(r->rows[i]);
    free(r->rows);
    if (r->n_months)
        free(r->months[0]);   /* the one buffer of all the month texts */
    free(r->months);
    free(r);
    *reply_p = NULL;
}

unsigned hub_deadline_days(const hub_deadline_t *table, size_t n,
                           const char *level, unsigned fallback)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].level, level) == 0)
            return table[i].days;
    return fallback;
}

/* A unit's reports for a period, counted as DHIS2 counts them. */
typedef struct {
    uint32_t expected;         /* reports expected: months in the period */
    uint32_t received;         /* received (a longer report stands for the
                                  months it covers) */
    uint32_t on_time;          /* received by their deadline */
} report_count_t;

/* Counts u's reports for p: its report for exactly p stands for all of
 * p's months (on time if first filed by p's deadline); else p's
 * sub-periods are counted, down to the months, each against its own
 * deadline. The first filing of any revision decides timeliness
 * (proto/README.md). */
static void count_reports(hub_reader_t *r, const bc_unit_t *u, bc_period_t p,
                          unsigned days, const bc_holidays_t *hol,
                          report_count_t *out)
{
    unsigned first, last, year = bc_period_year(p);
    bc_period_months(p, &first, &last);
    hub_report_info_t info;
    hub_reader_report(r, u, p, &info);
    if (info.present) {
        uint32_t months = last - first + 1;
        out->expected += months;
        out->received += months;
        if (info.first_filed_at < bc_holidays_deadline(hol, p, days))
            out->on_time += months;
        return;
    }
    unsigned i = bc_period_index(p);
    switch (bc_period_type(p)) {
    case BC_PT_MONTH:
        out->expected++;
        return;
    case BC_PT_QUARTER:
        for (unsigned m = first; m <= last; m++)
            count_reports(r, u, bc_period_make(year, BC_PT_MONTH, m), days,
                          hol, out);
        return;
    case BC_PT_HALF:
        for (unsigned q = 2 * i - 1; q <= 2 * i; q++)
            count_reports(r, u, bc_period_make(year, BC_PT_QUARTER, q), days,
                          hol, out);
        return;
    default:
        for (unsigned h = 1; h <= 2; h++)
            count_reports(r, u, bc_period_make(year, BC_PT_HALF, h), days,
                          hol, out);
        return;
    }
}

Baocao__RejectReason hub_query_completeness(hub_store_t *store,
                                            const Baocao__CompletenessQuery *q,
                                            const hub_deadline_t *deadlines,
                                            size_t ndeadlines,
                                            const bc_holidays_t *holidays,
                                            Baocao__CompletenessReply **out,
                                            char *msg, size_t msglen)
{
    const bc_registry_t *reg = hub_store_registry(store);
    *out = NULL;
    const bc_unit_t *root;
    bc_period_t p;
    Baocao__RejectReason why = resolve(reg, q->unit, q->period, &root, &p,
                                       msg, msglen);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE)
        return why;
    /* A level no unit has is a mistake (a typo, an old tier), not a
     * subtree where nobody is expected: say so rather than answer empty. */
    if (q->level && q->level[0]) {
        bool known = false;
        for (size_t i = 0; i < bc_registry_nunits(reg) && !known; i++)
            known = strcmp(bc_registry_unit(reg, (uint32_t) i)->level,
                           q->level) == 0;
        if (!known) {
            snprintf(msg, msglen, "no unit of the registry has level "
                     "'%.40s'", q->level);
            return BAOCAO__REJECT_REASON__REASON_BAD_REQUEST;
        }
    }
    /* Exactly the units valid in the period, in its tree. */
    size_t n = bc_registry_expected_in(reg, root, q->level, p, NULL, 0);
    uint32_t *idx = bc_malloc((n ? n : 1) * sizeof *idx);
    bc_registry_expected_in(reg, root, q->level, p, idx, n);

    hub_reader_t *r = hub_store_reader(store);
    if (!r) {
        free(idx);
        snprintf(msg, msglen, "the store cannot be read now");
        return BAOCAO__REJECT_REASON__REASON_INTERNAL;
    }
    Baocao__CompletenessReply *reply = bc_malloc(sizeof *reply);
    baocao__completeness_reply__init(reply);
    reply->unit = root->code;
    reply->period = bc_strdup(q->period);
    reply->expected = (uint32_t) n;
    reply->n_units = n;
    reply->units = bc_malloc((n ? n : 1) * sizeof *reply->units);
    int64_t shown_deadline = 0;
    for (size_t i = 0; i < n; i++) {
        const bc_unit_t *u = bc_registry_unit(reg, idx[i]);
        Baocao__UnitReport *ur = bc_malloc(sizeof *ur);
        baocao__unit_report__init(ur);
        ur->unit = u->code;
        ur->name = u->name;
        unsigned days = hub_deadline_days(deadlines, ndeadlines, u->level, 5);
        int64_t deadline = bc_holidays_deadline(holidays, p, days);
        if (deadline > shown_deadline)
            shown_deadline = deadline;
        hub_report_info_t info;
        hub_reader_report(r, u, p, &info);
        report_count_t rc = {0, 0, 0};
        count_reports(r, u, p, days, holidays, &rc);
        ur->expected_reports = rc.expected;
        ur->received_reports = rc.received;
        ur->on_time_reports = rc.on_time;
        reply->expected_reports += rc.expected;
        reply->received_reports += rc.received;
        reply->on_time_reports += rc.on_time;
        if (info.present) {
            ur->filed_at = info.first_filed_at;
            ur->received_at = info.first_received_at / 1000000;
            ur->revision = info.revision;
        }
        if (rc.received == 0) {
            ur->state = BAOCAO__REPORT_STATE__STATE_MISSING;
        } else if (rc.received < rc.expected) {
            ur->state = BAOCAO__REPORT_STATE__STATE_PARTIAL;
        } else if (rc.on_time == rc.expected) {
            ur->state = BAOCAO__REPORT_STATE__STATE_ON_TIME;
            reply->reported++;
            reply->on_time++;
        } else {
            ur->state = BAOCAO__REPORT_STATE__STATE_LATE;
            reply->reported++;
        }
        ur->approval = approval_of(r, u, p, &ur->approved);
        reply->units[i] = ur;
    }
    reply->approval = approval_of(r, root, p, &reply->approved);
    reply->deadline = shown_deadline;
    hub_reader_destroy(&r);
    free(idx);
    *out = reply;
    return BAOCAO__REJECT_REASON__REASON_NONE;
}

void hub_completeness_free(Baocao__CompletenessReply **reply_p)
{
    Baocao__CompletenessReply *r = *reply_p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_units; i++) {
        free(r->units[i]->approval);   /* approval_block_t's */
        free(r->units[i]);
    }
    free(r->units);
    free(r->approval);
    free(r->period);
    free(r);
    *reply_p = NULL;
}
