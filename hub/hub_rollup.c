/*
 * hub_rollup.c -- subtree totals and carried stocks (see hub_rollup.h).
 *
 * The records and their batch cache are hub_agg.h's; the units counts are
 * hub_units.c's, and the contribution rule that reads all of them is
 * hub_contrib.c's. This file keeps agg and carry current as reports change,
 * rebuilds them, and reads them back.
 */
#include "hub_rollup.h"
#include "hub_agg.h"
#include "hub_units.h"
#include "hub_env.h"
#include "hub_reports.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_registry.h"

#include <stdlib.h>
#include <string.h>


/* Applies to the subtree totals the difference between the old current
 * values (may be NULL) and the new ones (may be NULL). */
static int rollup(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *c,
                  const bc_unit_t *u, uint32_t period,
                  const hub_val_t *old, size_t nold,
                  const hub_val_t *new, size_t nnew)
{
    const bc_unit_t *targets[BC_MAX_LEVELS];
    size_t nt = hub_agg_targets(s, u, period, targets, BC_MAX_LEVELS);
    for (size_t t = 0; t < nt; t++) {
        hub_agg_t *a;
        int rc = hub_agg_cache_get(s, txn, c, targets[t]->sid, period, &a);
        if (rc)
            return rc;
        if (!old && new)
            a->reporters++;
        else if (old && !new && a->reporters)
            a->reporters--;
        a->dirty = true;
        /* Merge walk over the two sorted arrays, in increasing sids, so
         * that each is found from where the last one was (hint). Stored
         * values are counts (0 .. BC_COUNT_MAX), so negating one cannot
         * overflow. */
        size_t i = 0, j = 0;
        uint32_t hint = 0;
        while ((i < nold || j < nnew) && !rc) {
            if (j >= nnew || (i < nold && old[i].sid < new[j].sid)) {
                rc = hub_agg_apply_from(a, &hint, old[i].sid, -old[i].value,
                                        -1);
                i++;
            } else if (i >= nold || new[j].sid < old[i].sid) {
                rc = hub_agg_apply_from(a, &hint, new[j].sid, new[j].value,
                                        1);
                j++;
            } else {
                int64_t d;
                if (new[j].value != old[i].value)
                    rc = bc_add_checked(new[j].value, -old[i].value, &d)
                             ? BC_ERANGE
                             : hub_agg_apply_from(a, &hint, new[j].sid, d, 0);
                i++;
                j++;
            }
        }
        if (rc)
            return rc;
    }
    return BC_OK;
}


/* --- stocks carried forward ----------------------------------------------
 * A stock's year to date is its last value, and for a district or a
 * province it is the sum, over its units, of each unit's own last value:
 * a station that did not report in December still has its patients under
 * management, as of November. `carry` (month, unit) keeps exactly that sum
 * for each stock indicator, for every month of a year, so the year to date
 * stays one read. A unit's report for month m changes only months m up to
 * (not including) the next month in which that unit reported the same
 * indicator. */

/* One stock indicator of a report, seen against the unit's other months. */
typedef struct {
    uint32_t sid;              /* indicator */
    bool has_prev;             /* reported in an earlier month of the year */
    int64_t prev;              /* the latest such value */
    unsigned next;             /* first later month reporting it, or 13 */
} span_t;

static const hub_val_t *find_val(const hub_val_t *v, size_t n, uint32_t sid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].sid == sid ? &v[lo] : NULL;
}

/* The stock indicators of old and new (either may be empty), with what
 * the unit reported for them in the other months of the year. Returns the
 * number of spans written to *out (in the arena). */
static int stock_spans(hub_store_t *s, MDB_txn *txn, const bc_unit_t *u,
                       unsigned year, unsigned m, const hub_val_t *old,
                       size_t nold, const hub_val_t *new, size_t nnew,
                       span_t **out, size_t *nout)
{
    span_t *sp = bc_arena_alloc(s->arena, (nold + nnew + 1) * sizeof *sp);
    size_t n = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        const hub_val_t *v = pass ? new : old;
        size_t nv = pass ? nnew : nold;
        for (size_t i = 0; i < nv; i++) {
            if (!hub_env_is_stock(s, v[i].sid))
                continue;
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = sp[j].sid == v[i].sid;
            if (!seen)
                sp[n++] = (span_t){v[i].sid, false, 0, 13};
        }
    }
    *out = sp;
    *nout = n;
    if (!n)
        return BC_OK;
    for (unsigned t = 1; t <= 12; t++) {
        if (t == m)
            continue;
        const hub_val_t *vals = NULL;
        size_t nv = 0;
        int rc = hub_reports_values(s, txn, u->sid,
                                    bc_period_make(year, BC_PT_MONTH, t),
                                    s->arena, &vals, &nv);
        if (rc == BC_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        for (size_t j = 0; j < n; j++) {
            const hub_val_t *hv = find_val(vals, nv, sp[j].sid);
            if (!hv)
                continue;
            if (t < m) {
                sp[j].has_prev = true;
                sp[j].prev = hv->value;
            } else if (sp[j].next == 13) {
                sp[j].next = t;
            }
        }
    }
    return BC_OK;
}

/* Adds (dv, dc) for one stock over months [from, to) of the year, in the
 * carry totals of every unit whose subtree holds u. */
static int carry_apply(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *carry,
                       const bc_unit_t *u, unsigned year, unsigned from,
                       unsigned to, uint32_t sid, int64_t dv, int32_t dc)
{
    const bc_unit_t *targets[BC_MAX_LEVELS];
    /* Month by month: a unit that moves mid-year carries its stock into
     * its new parent's totals from the month of the move. */
    for (unsigned t = from; t < to; t++) {
        bc_period_t month = bc_period_make(year, BC_PT_MONTH, t);
        size_t nt = hub_agg_targets(s, u, month, targets, BC_MAX_LEVELS);
        for (size_t i = 0; i < nt; i++) {
            hub_agg_t *a;
            int rc = hub_agg_cache_get(s, txn, carry, targets[i]->sid, month,
                                       &a);
            if (rc || (rc = hub_agg_apply(a, sid, dv, dc)))
                return rc;
        }
    }
    return BC_OK;
}

/* u's report for a month changes from old to new (either may be empty):
 * moves the carried stocks by the difference it makes. */
static int carry_update(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *carry,
                        const bc_unit_t *u, bc_period_t period,
                        const hub_val_t *old, size_t nold,
                        const hub_val_t *new, size_t nnew)
{
    if (bc_period_type(period) != BC_PT_MONTH || (u->parent < 0
                                                  && !u->nchildren))
        return BC_OK;
    unsigned year = bc_period_year(period), m = bc_period_index(period);
    span_t *sp;
    size_t n;
    int rc = stock_spans(s, txn, u, year, m, old, nold, new, nnew, &sp, &n);
    for (size_t j = 0; j < n && !rc; j++) {
        const hub_val_t *o = find_val(old, nold, sp[j].sid);
        const hub_val_t *w = find_val(new, nnew, sp[j].sid);
        /* What the unit counts for months m.. before and after. */
        bool had = o || sp[j].has_prev, has = w || sp[j].has_prev;
        int64_t before = o ? o->value : sp[j].has_prev ? sp[j].prev : 0;
        int64_t after = w ? w->value : sp[j].has_prev ? sp[j].prev : 0;
        int32_t dc = (int32_t) has - (int32_t) had;
        if (dc == 0 && before == after)
            continue;
        int64_t dv;
        rc = bc_add_checked(after, -before, &dv);
        if (!rc)
            rc = carry_apply(s, txn, carry, u, year, m, sp[j].next, sp[j].sid,
                             dv, dc);
    }
    return rc;
}

/* Rebuilding: a current report counts from its month until the unit's next
 * report of the same stock. */
static int carry_rebuild_one(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *carry,
                             const bc_unit_t *u, bc_period_t period,
                             const hub_val_t *vals, size_t n)
{
    if (bc_period_type(period) != BC_PT_MONTH)
        return BC_OK;
    unsigned year = bc_period_year(period), m = bc_period_index(period);
    span_t *sp;
    size_t nsp;
    int rc = stock_spans(s, txn, u, year, m, NULL, 0, vals, n, &sp, &nsp);
    for (size_t j = 0; j < nsp && !rc; j++)
        rc = carry_apply(s, txn, carry, u, year, m, sp[j].next, sp[j].sid,
                         find_val(vals, n, sp[j].sid)->value, 1);
    return rc;
}


/* --- batches -------------------------------------------------------------- */

struct hub_rollup_batch_t {
    hub_agg_cache_t agg;           /* subtree totals touched */
    hub_agg_cache_t carry;         /* carried stocks touched */
    hub_agg_cache_t units;         /* contributing-unit counts touched */
};


hub_rollup_batch_t *hub_rollup_batch_new(size_t reports)
{
    hub_rollup_batch_t *self = bc_calloc(1, sizeof *self);
    /* A ward report touches its district, province and country. */
    hub_agg_cache_init(&self->agg, reports * 3, HUB_DB_AGG);
    hub_agg_cache_init(&self->carry, reports, HUB_DB_CARRY);
    /* A month report touches its month, quarter, half and year. */
    hub_agg_cache_init(&self->units, reports * 12, HUB_DB_UNITS);
    return self;
}

void hub_rollup_batch_destroy(hub_rollup_batch_t **self_p)
{
    hub_rollup_batch_t *self = *self_p;
    if (!self)
        return;
    hub_agg_cache_free(&self->agg);
    hub_agg_cache_free(&self->carry);
    hub_agg_cache_free(&self->units);
    free(self);
    *self_p = NULL;
}

int hub_rollup_apply(hub_store_t *s, MDB_txn *txn, hub_rollup_batch_t *batch,
                     const bc_unit_t *u, bc_period_t period,
                     const hub_val_t *old, size_t nold,
                     const hub_val_t *new, size_t nnew)
{
    int rc = rollup(s, txn, &batch->agg, u, period, old, nold, new, nnew);
    if (rc == BC_OK)
        rc = carry_update(s, txn, &batch->carry, u, period, old, nold, new,
                          nnew);
    if (rc == BC_OK)
        rc = hub_units_update(s, txn, &batch->units, u, period, old, nold, new,
                          nnew);
    return rc;
}

int hub_rollup_flush(hub_store_t *s, MDB_txn *txn, hub_rollup_batch_t *batch)
{
    int rc = hub_agg_cache_flush(s, txn, &batch->agg);
    if (rc == BC_OK)
        rc = hub_agg_cache_flush(s, txn, &batch->carry);
    return rc ? rc : hub_agg_cache_flush(s, txn, &batch->units);
}

/* --- rebuilding ------------------------------------------------------------ */

/* What rebuild_one needs, through hub_reports_each's argument. */
typedef struct {
    hub_store_t *s;            /* the store */
    MDB_txn *txn;              /* the write transaction */
    hub_rollup_batch_t *batch; /* totals being rebuilt */
    uint64_t *unit_years;      /* (unit sid << 32 | year) seen, for units */
    size_t n;                  /* used */
    size_t cap;                /* allocated */
} rebuild_t;

/* One current report into the totals being rebuilt. */
static int rebuild_one(void *arg, uint32_t unit_sid, uint32_t period,
                       const hub_report_info_t *info, const hub_val_t *vals,
                       size_t n)
{
    (void) info;
    rebuild_t *r = arg;
    const bc_unit_t *u = hub_env_unit(r->s, unit_sid);
    if (!u)
        return BC_OK;   /* a unit no longer in the registry: kept, unrolled */
    int rc = rollup(r->s, r->txn, &r->batch->agg, u, period, NULL, 0, vals, n);
    if (rc == BC_OK)
        rc = carry_rebuild_one(r->s, r->txn, &r->batch->carry, u, period,
                               vals, n);
    /* The units counts are rebuilt per (unit, year), once all are known. */
    uint64_t uy = (uint64_t) unit_sid << 32 | bc_period_year(period);
    if (!r->n || r->unit_years[r->n - 1] != uy) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->unit_years = bc_realloc(r->unit_years,
                                       r->cap * sizeof *r->unit_years);
        }
        r->unit_years[r->n++] = uy;
    }
    return rc;
}

int hub_rollup_rebuild(hub_store_t *s, MDB_txn *txn)
{
    int mrc;
    if ((mrc = mdb_drop(txn, s->dbi[HUB_DB_AGG], 0))
        || (mrc = mdb_drop(txn, s->dbi[HUB_DB_CARRY], 0))
        || (mrc = mdb_drop(txn, s->dbi[HUB_DB_UNITS], 0)))
        return hub_env_err(mrc);
    /* Totals from every current report; the batch holds one aggregate per
     * (ancestor, period), which is small next to the reports themselves. */
    rebuild_t r = {s, txn, hub_rollup_batch_new(1024), NULL, 0, 0};
    int rc = hub_reports_each(s, txn, s->arena, rebuild_one, &r);
    if (rc == BC_OK)
        rc = hub_units_rebuild(s, txn, &r.batch->units, r.unit_years, r.n);
    if (rc == BC_OK)
        rc = hub_rollup_flush(s, txn, r.batch);
    hub_rollup_batch_destroy(&r.batch);
    free(r.unit_years);
    return rc;
}

/* --- reading ----------------------------------------------------------------- */

/* The figures of (unit, period) as stored: a leaf's own report (unpacked
 * into the reader's arena, which this resets) or a subtree's agg record
 * (in place). *p points at n hub_val_t. BC_ENOTFOUND when there are none. */
static int record_values(hub_reader_t *r, const bc_unit_t *unit,
                         uint32_t period, const uint8_t **p, size_t *n,
                         uint32_t *reporters)
{
    hub_store_t *s = r->store;
    bc_arena_reset(r->arena);
    if (!unit->nchildren) {
        const hub_val_t *vals = NULL;
        int rc = hub_reports_values(s, r->txn, unit->sid, period, r->arena,
                                    &vals, n);
        *p = (const uint8_t *) vals;
        *reporters = 1;
        return rc;
    }
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit->sid, period), v;
    int mrc = mdb_get(r->txn, s->dbi[HUB_DB_AGG], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_ENOTFOUND;
    if (mrc)
        return hub_env_err(mrc);
    hub_agg_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    *p = (const uint8_t *) v.mv_data + sizeof h;
    *n = h.nvals;
    *reporters = h.reporters;
    return BC_OK;
}

int hub_reader_figures(hub_reader_t *self, const bc_unit_t *unit,
                       bc_period_t period, hub_figures_t *out)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    hub_figures_clear(out);
    int rc = record_values(self, unit, period, &p, &n, &out->reporters);
    if (rc == BC_ENOTFOUND) {
        out->reporters = 0;
        return BC_OK;
    }
    if (rc == BC_OK)
        hub_figures_spread(self->store, p, n, out);
    return rc;
}

/* One group of hub_reader_pick_units: the units of one kind, sorted by
 * store id, with where each one's row goes. */
typedef struct {
    uint32_t sid;      /* the unit's store id */
    size_t row;        /* its row in the caller's arrays */
} unit_ref_t;

static int by_sid(const void *a, const void *b)
{
    uint32_t x = ((const unit_ref_t *) a)->sid;
    uint32_t y = ((const unit_ref_t *) b)->sid;
    return x < y ? -1 : x > y;
}

typedef struct {
    const unit_ref_t *refs;  /* the group, sorted */
    const uint32_t *sids;    /* indicators wanted */
    size_t n;                /* how many */
    int64_t *vals;           /* caller's rows */
    uint32_t *counts;        /* caller's rows */
    uint32_t *reporters;     /* caller's, per row */
} agg_pick_t;

static void agg_row(void *arg, size_t i, const MDB_val *v)
{
    agg_pick_t *a = arg;
    size_t row = a->refs[i].row;
    hub_agg_hdr_t h;
    memcpy(&h, v->mv_data, sizeof h);
    const uint8_t *p = (const uint8_t *) v->mv_data + sizeof h;
    a->reporters[row] = h.reporters;
    /* Values are sorted by sid: a binary search each (a slice wants one
     * or two of a hundred). */
    for (size_t j = 0; j < a->n; j++) {
        size_t lo = 0, hi = h.nvals;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            hub_val_t hv;
            memcpy(&hv, p + mid * sizeof hv, sizeof hv);
            if (hv.sid == a->sids[j]) {
                a->vals[row * a->n + j] = hv.value;
                a->counts[row * a->n + j] = hv.count;
                break;
            }
            if (hv.sid < a->sids[j])
                lo = mid + 1;
            else
                hi = mid;
        }
    }
}

/* A set of units sorted for hub_reader_pick: facilities (read from cur)
 * first, then units with sub-units (agg), each group in store-id order. */
struct hub_pick_t {
    size_t nunits;           /* rows */
    size_t nleaf;            /* refs[0..nleaf): facilities */
    unit_ref_t *refs;        /* the two groups, sorted, with their rows */
    uint32_t *usids;         /* refs' store ids, for hub_env_walk */
    int64_t *lv;             /* facilities' values in sid order, scratch */
    uint32_t *lc;            /* their counts, scratch */
    size_t nsids;            /* indicators the scratch rows are sized for */
};

hub_pick_t *hub_pick_new(const bc_unit_t *const *units, size_t nunits)
{
    hub_pick_t *self = bc_calloc(1, sizeof *self);
    self->nunits = nunits;
    self->refs = bc_malloc((nunits + 1) * sizeof *self->refs);
    self->usids = bc_malloc((nunits + 1) * sizeof *self->usids);
    size_t nleaf = 0, nup = 0;
    for (size_t i = 0; i < nunits; i++)
        if (!units[i]->nchildren)
            self->refs[nleaf++] = (unit_ref_t){units[i]->sid, i};
    for (size_t i = 0; i < nunits; i++)
        if (units[i]->nchildren)
            self->refs[nleaf + nup++] = (unit_ref_t){units[i]->sid, i};
    qsort(self->refs, nleaf, sizeof *self->refs, by_sid);
    qsort(self->refs + nleaf, nup, sizeof *self->refs, by_sid);
    for (size_t i = 0; i < nunits; i++)
        self->usids[i] = self->refs[i].sid;
    self->nleaf = nleaf;
    return self;
}

void hub_pick_destroy(hub_pick_t **self_p)
{
    hub_pick_t *self = *self_p;
    if (!self)
        return;
    free(self->refs);
    free(self->usids);
    free(self->lv);
    free(self->lc);
    free(self);
    *self_p = NULL;
}

int hub_reader_pick(hub_reader_t *self, hub_pick_t *set, bc_period_t period,
                    const uint32_t *sids, size_t n, int64_t *vals,
                    uint32_t *counts, uint32_t *reporters)
{
    hub_store_t *s = self->store;
    size_t nunits = set->nunits, nleaf = set->nleaf;
    memset(vals, 0, nunits * n * sizeof *vals);
    memset(counts, 0, nunits * n * sizeof *counts);
    memset(reporters, 0, nunits * sizeof *reporters);
    if (!nunits)
        return BC_OK;
    if (set->nsids < n) {
        free(set->lv);
        free(set->lc);
        set->lv = bc_malloc((nleaf * n + 1) * sizeof *set->lv);
        set->lc = bc_malloc((nleaf * n + 1) * sizeof *set->lc);
        set->nsids = n;
    }
    /* Facilities: their own reports, into scratch rows in sid order, then
     * moved to the caller's rows. */
    int64_t *lv = set->lv;
    uint32_t *lc = set->lc;
    memset(lv, 0, nleaf * n * sizeof *lv);
    memset(lc, 0, nleaf * n * sizeof *lc);
    const unit_ref_t *refs = set->refs;
    int rc = hub_reports_pick_units(s, self->txn, period, set->usids, nleaf,
                                    sids, n, lv, lc);
    for (size_t i = 0; i < nleaf && !rc; i++) {
        size_t row = refs[i].row;
        memcpy(vals + row * n, lv + i * n, n * sizeof *vals);
        memcpy(counts + row * n, lc + i * n, n * sizeof *counts);
        for (size_t j = 0; j < n; j++)
            if (lc[i * n + j])
                reporters[row] = 1;
    }
    if (!rc) {
        agg_pick_t a = {refs + nleaf, sids, n, vals, counts, reporters};
        rc = hub_env_walk(self->txn, s->dbi[HUB_DB_AGG], period,
                          set->usids + nleaf, nunits - nleaf, agg_row, &a);
    }
    return rc;
}

int hub_reader_pick_units(hub_reader_t *self, const bc_unit_t *const *units,
                          size_t nunits, bc_period_t period,
                          const uint32_t *sids, size_t n, int64_t *vals,
                          uint32_t *counts, uint32_t *reporters)
{
    hub_pick_t *set = hub_pick_new(units, nunits);
    int rc = hub_reader_pick(self, set, period, sids, n, vals, counts,
                             reporters);
    hub_pick_destroy(&set);
    return rc;
}

int hub_reader_months(hub_reader_t *self, const bc_unit_t *unit,
                      unsigned year, unsigned first, unsigned last,
                      hub_figures_t *out)
{
    hub_store_t *s = self->store;
    hub_figures_clear(out);
    if (first < 1 || last > 12 || first > last)
        return BC_OK;
    const bc_registry_t *reg = s->reg;
    /* At most twelve point lookups, oldest month first so that a stock
     * ends on its last value. */
    for (unsigned m = first; m <= last; m++) {
        const uint8_t *p = NULL;
        size_t n = 0;
        uint32_t reporters = 0;
        int rc = record_values(self, unit, bc_period_make(year, BC_PT_MONTH, m),
                               &p, &n, &reporters);
        if (rc == BC_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        if (reporters > out->reporters)
            out->reporters = reporters;
        for (size_t i = 0; i < n; i++) {
            hub_val_t hv;
            memcpy(&hv, p + i * sizeof hv, sizeof hv);
            int32_t idx = hub_env_indicator(s, hv.sid);
            if (idx < 0 || (size_t) idx >= out->n)
                continue;
            if (bc_registry_indicator(reg, (uint32_t) idx)->kind
                == BC_KIND_STOCK) {
                /* A stock's figure over months is its last value. */
                out->value[idx] = hv.value;
                out->count[idx] = hv.count;
            } else {
                /* Months combined: exact, or the query fails (BC_ERANGE). */
                if (bc_add_checked(out->value[idx], hv.value,
                                   &out->value[idx]))
                    return BC_ERANGE;
                if (hv.count > out->count[idx])
                    out->count[idx] = hv.count;
            }
        }
    }
    return BC_OK;
}

int hub_reader_carried(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, unsigned month, hub_figures_t *out)
{
    hub_store_t *s = self->store;
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit->sid,
                           bc_period_make(year, BC_PT_MONTH, month)), v;
    hub_figures_clear(out);
    int mrc = mdb_get(self->txn, s->dbi[HUB_DB_CARRY], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return hub_env_err(mrc);
    hub_agg_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    hub_figures_spread(s, (uint8_t *) v.mv_data + sizeof h, h.nvals, out);
    return BC_OK;
}

