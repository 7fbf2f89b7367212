/*
 * hub_rollup.c -- subtree totals and carried stocks (see hub_rollup.h).
 *
 * agg and carry records are a header and an array of hub_val_t (sid,
 * count, value), sorted by sid, in host byte order: an LMDB file is not
 * portable across architectures anyway, and the audit export is the
 * portable form. They are read in place (memcpy: LMDB gives no alignment
 * promise) and updated through a per-batch hash table of growable arrays.
 */
#include "hub_rollup.h"
#include "hub_env.h"
#include "hub_reports.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_registry.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t nvals;            /* hub_val_t entries that follow */
    uint32_t reporters;        /* units in the subtree with a report */
} agg_hdr_t;

/* --- value arrays -------------------------------------------------------- */

/* A growable, sid-sorted array of values: an aggregate being updated. */
typedef struct {
    uint64_t key;              /* unit sid << 32 | period */
    hub_val_t *vals;           /* sorted by sid */
    uint32_t n;                /* used entries */
    uint32_t cap;              /* allocated entries */
    uint32_t reporters;        /* units with a report in the subtree */
    bool dirty;                /* changed since loaded */
} agg_t;

/* Adds (delta value, delta count) for sid, keeping the array sorted and
 * dropping an entry whose count falls to zero. Returns BC_OK, or BC_ERANGE
 * (the total unchanged) when it would not fit int64_t: a total is exact or
 * an error, never a wrapped number. */
static int agg_apply(agg_t *a, uint32_t sid, int64_t dv, int32_t dc)
{
    uint32_t lo = 0, hi = a->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (a->vals[mid].sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    a->dirty = true;
    if (lo < a->n && a->vals[lo].sid == sid) {
        if (bc_add_checked(a->vals[lo].value, dv, &a->vals[lo].value))
            return BC_ERANGE;
        a->vals[lo].count = (uint32_t) ((int64_t) a->vals[lo].count + dc);
        if (a->vals[lo].count == 0) {
            memmove(&a->vals[lo], &a->vals[lo + 1],
                    (a->n - lo - 1) * sizeof(hub_val_t));
            a->n--;
        }
        return BC_OK;
    }
    if (dc <= 0)
        return BC_OK;   /* removing what was never there: nothing to do */
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->vals = bc_realloc(a->vals, a->cap * sizeof(hub_val_t));
    }
    memmove(&a->vals[lo + 1], &a->vals[lo], (a->n - lo) * sizeof(hub_val_t));
    a->vals[lo] = (hub_val_t){sid, (uint32_t) dc, dv};
    a->n++;
    return BC_OK;
}

/* The aggregates touched by one batch, by key: open addressing. */
typedef struct {
    agg_t *slots;              /* table of aggregates, key 0 = empty */
    size_t cap;                /* power of two */
    size_t used;               /* occupied slots */
    int db;                    /* HUB_DB_AGG or HUB_DB_CARRY */
} agg_cache_t;

static void cache_init(agg_cache_t *c, size_t expect, int db)
{
    c->db = db;
    c->cap = 64;
    while (c->cap < expect * 2)
        c->cap *= 2;
    c->slots = bc_calloc(c->cap, sizeof(agg_t));
    c->used = 0;
}

static void cache_free(agg_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].vals);
    bc_free(&c->slots);
}

static size_t cache_slot(const agg_cache_t *c, uint64_t key)
{
    size_t h = (size_t) ((key * 0x9E3779B97F4A7C15ULL) >> 17);
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1))
        if (c->slots[i].key == key || c->slots[i].key == 0)
            return i;
}

static void cache_grow(agg_cache_t *c)
{
    agg_cache_t bigger = {bc_calloc(c->cap * 2, sizeof(agg_t)), c->cap * 2,
                          c->used, c->db};
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key)
            bigger.slots[cache_slot(&bigger, c->slots[i].key)] = c->slots[i];
    free(c->slots);
    *c = bigger;
}

/* Finds or loads the aggregate (unit sid, period). Key 0 cannot occur:
 * unit sids start at 1. */
static int cache_get(hub_store_t *s, MDB_txn *txn, agg_cache_t *c,
                     uint32_t unit_sid, uint32_t period, agg_t **out)
{
    uint64_t key = (uint64_t) unit_sid << 32 | period;
    if ((c->used + 1) * 2 > c->cap)
        cache_grow(c);
    size_t i = cache_slot(c, key);
    agg_t *a = &c->slots[i];
    if (a->key == key) {
        *out = a;
        return BC_OK;
    }
    memset(a, 0, sizeof *a);
    a->key = key;
    c->used++;
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit_sid, period), v;
    int mrc = mdb_get(txn, s->dbi[c->db], &k, &v);
    if (mrc == 0) {
        agg_hdr_t h;
        memcpy(&h, v.mv_data, sizeof h);
        a->n = a->cap = h.nvals;
        a->reporters = h.reporters;
        a->vals = bc_malloc((a->cap ? a->cap : 1) * sizeof(hub_val_t));
        memcpy(a->vals, (uint8_t *) v.mv_data + sizeof h,
               h.nvals * sizeof(hub_val_t));
    } else if (mrc != MDB_NOTFOUND) {
        return hub_env_err(mrc);
    }
    *out = a;
    return BC_OK;
}

static int cache_flush(hub_store_t *s, MDB_txn *txn, agg_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        agg_t *a = &c->slots[i];
        if (!a->key || !a->dirty)
            continue;
        uint8_t kb[8];
        MDB_val k = hub_key_up(kb, (uint32_t) (a->key >> 32), (uint32_t) a->key);
        int mrc;
        if (a->n == 0 && a->reporters == 0) {
            mrc = mdb_del(txn, s->dbi[c->db], &k, NULL);
            if (mrc == MDB_NOTFOUND)
                mrc = 0;
        } else {
            MDB_val v = {sizeof(agg_hdr_t) + a->n * sizeof(hub_val_t), NULL};
            mrc = mdb_put(txn, s->dbi[c->db], &k, &v, MDB_RESERVE);
            if (mrc == 0) {
                agg_hdr_t h = {a->n, a->reporters};
                memcpy(v.mv_data, &h, sizeof h);
                if (a->n)   /* a report with no figures: vals is NULL */
                    memcpy((uint8_t *) v.mv_data + sizeof h, a->vals,
                           a->n * sizeof(hub_val_t));
            }
        }
        if (mrc)
            return hub_env_err(mrc);
        a->dirty = false;
    }
    return BC_OK;
}

/* Units whose totals include a report of `u`: u itself when it has
 * children (its own figures add to its subtree's), then every ancestor. */
static size_t rollup_targets(const hub_store_t *s, const bc_unit_t *u,
                             const bc_unit_t **out, size_t max)
{
    size_t n = 0;
    if (u->nchildren && n < max)
        out[n++] = u;
    for (int32_t p = u->parent; p >= 0 && n < max;
         p = bc_registry_unit(s->reg, (uint32_t) p)->parent)
        out[n++] = bc_registry_unit(s->reg, (uint32_t) p);
    return n;
}

/* Applies to the subtree totals the difference between the old current
 * values (may be NULL) and the new ones (may be NULL). */
static int rollup(hub_store_t *s, MDB_txn *txn, agg_cache_t *c,
                  const bc_unit_t *u, uint32_t period,
                  const hub_val_t *old, size_t nold,
                  const hub_val_t *new, size_t nnew)
{
    const bc_unit_t *targets[BC_MAX_LEVELS];
    size_t nt = rollup_targets(s, u, targets, BC_MAX_LEVELS);
    for (size_t t = 0; t < nt; t++) {
        agg_t *a;
        int rc = cache_get(s, txn, c, targets[t]->sid, period, &a);
        if (rc)
            return rc;
        if (!old && new)
            a->reporters++;
        else if (old && !new && a->reporters)
            a->reporters--;
        a->dirty = true;
        /* Merge walk over the two sorted arrays. Stored values are
         * counts (0 .. BC_COUNT_MAX), so negating one cannot overflow. */
        size_t i = 0, j = 0;
        while ((i < nold || j < nnew) && !rc) {
            if (j >= nnew || (i < nold && old[i].sid < new[j].sid)) {
                rc = agg_apply(a, old[i].sid, -old[i].value, -1);
                i++;
            } else if (i >= nold || new[j].sid < old[i].sid) {
                rc = agg_apply(a, new[j].sid, new[j].value, 1);
                j++;
            } else {
                int64_t d;
                if (new[j].value != old[i].value)
                    rc = bc_add_checked(new[j].value, -old[i].value, &d)
                             ? BC_ERANGE : agg_apply(a, new[j].sid, d, 0);
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
static int carry_apply(hub_store_t *s, MDB_txn *txn, agg_cache_t *carry,
                       const bc_unit_t *u, unsigned year, unsigned from,
                       unsigned to, uint32_t sid, int64_t dv, int32_t dc)
{
    const bc_unit_t *targets[BC_MAX_LEVELS];
    size_t nt = rollup_targets(s, u, targets, BC_MAX_LEVELS);
    for (unsigned t = from; t < to; t++)
        for (size_t i = 0; i < nt; i++) {
            agg_t *a;
            int rc = cache_get(s, txn, carry, targets[i]->sid,
                               bc_period_make(year, BC_PT_MONTH, t), &a);
            if (rc || (rc = agg_apply(a, sid, dv, dc)))
                return rc;
        }
    return BC_OK;
}

/* u's report for a month changes from old to new (either may be empty):
 * moves the carried stocks by the difference it makes. */
static int carry_update(hub_store_t *s, MDB_txn *txn, agg_cache_t *carry,
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
static int carry_rebuild_one(hub_store_t *s, MDB_txn *txn, agg_cache_t *carry,
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
    agg_cache_t agg;           /* subtree totals touched */
    agg_cache_t carry;         /* carried stocks touched */
    agg_cache_t units;         /* contributing-unit counts touched */
};

/* The `units` counts (defined with the contribution rule, below). */
static int units_update(hub_store_t *s, MDB_txn *txn, agg_cache_t *units,
                        const bc_unit_t *u, bc_period_t period,
                        const hub_val_t *old, size_t nold,
                        const hub_val_t *new, size_t nnew);
static int units_rebuild(hub_store_t *s, MDB_txn *txn, agg_cache_t *units,
                         const uint64_t *unit_years, size_t n);

hub_rollup_batch_t *hub_rollup_batch_new(size_t reports)
{
    hub_rollup_batch_t *self = bc_calloc(1, sizeof *self);
    /* A ward report touches its district, province and country. */
    cache_init(&self->agg, reports * 3, HUB_DB_AGG);
    cache_init(&self->carry, reports, HUB_DB_CARRY);
    /* A month report touches its month, quarter, half and year. */
    cache_init(&self->units, reports * 12, HUB_DB_UNITS);
    return self;
}

void hub_rollup_batch_destroy(hub_rollup_batch_t **self_p)
{
    hub_rollup_batch_t *self = *self_p;
    if (!self)
        return;
    cache_free(&self->agg);
    cache_free(&self->carry);
    cache_free(&self->units);
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
        rc = units_update(s, txn, &batch->units, u, period, old, nold, new,
                          nnew);
    return rc;
}

int hub_rollup_flush(hub_store_t *s, MDB_txn *txn, hub_rollup_batch_t *batch)
{
    int rc = cache_flush(s, txn, &batch->agg);
    if (rc == BC_OK)
        rc = cache_flush(s, txn, &batch->carry);
    return rc ? rc : cache_flush(s, txn, &batch->units);
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
        rc = units_rebuild(s, txn, &r.batch->units, r.unit_years, r.n);
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
    agg_hdr_t h;
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
    agg_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    hub_figures_spread(s, (uint8_t *) v.mv_data + sizeof h, h.nvals, out);
    return BC_OK;
}

/* --- what each unit contributes to a period ---------------------------------
 * The rule (proto/README.md, "What each unit contributes to a period"): a
 * unit contributes its report for exactly the period if it filed one; else
 * its sub-periods combined by kind (flows summed, a stock the last one
 * present), down to its months; a stock not found inside the period is the
 * unit's last monthly value earlier in the year. A subtree's figure is the
 * sum of its units' contributions.
 *
 * Most units report monthly only, and for them the contribution is what
 * agg (flows, month by month) and carry (stocks, last value up to a month)
 * already sum over a subtree. So a subtree's figure is read from those, and
 * corrected for the few units that filed a report for a longer period
 * inside the one asked for: cur is keyed period first, so those units are
 * one range scan per longer period (at most 7, for a year), and each of
 * them costs its own 19 reports of the year. */

/* Slots of one year's periods: months 0..11, quarters 12..15, halves 16,
 * 17, the year 18. */
#define YEAR_SLOTS 19

static int slot_of(bc_period_t p)
{
    unsigned i = bc_period_index(p);
    switch (bc_period_type(p)) {
    case BC_PT_MONTH:   return (int) i - 1;
    case BC_PT_QUARTER: return 11 + (int) i;
    case BC_PT_HALF:    return 15 + (int) i;
    default:            return 18;
    }
}

static bc_period_t period_of_slot(unsigned year, int slot)
{
    if (slot < 12)
        return bc_period_make(year, BC_PT_MONTH, (unsigned) slot + 1);
    if (slot < 16)
        return bc_period_make(year, BC_PT_QUARTER, (unsigned) slot - 11);
    if (slot < 18)
        return bc_period_make(year, BC_PT_HALF, (unsigned) slot - 15);
    return bc_period_make(year, BC_PT_YEAR, 1);
}

/* The sub-periods a period is made of, in time order: a year of its
 * halves, a half of its quarters, a quarter of its months. Returns their
 * number (0 for a month). */
static int slot_children(int slot, int child[3])
{
    if (slot < 12)
        return 0;
    if (slot < 16) {
        int q = slot - 12;
        for (int i = 0; i < 3; i++)
            child[i] = q * 3 + i;
        return 3;
    }
    if (slot < 18) {
        int h = slot - 16;
        child[0] = 12 + h * 2;
        child[1] = 12 + h * 2 + 1;
        return 2;
    }
    child[0] = 16;
    child[1] = 17;
    return 2;
}

/* One unit's own reports for every period of one year. */
typedef struct {
    hub_figures_t rep[YEAR_SLOTS];  /* figures by slot */
    bool has[YEAR_SLOTS];           /* a report exists for the slot */
} unit_year_t;

/* The slot and every slot inside it, as a bit mask. */
static uint32_t slots_inside(int slot)
{
    uint32_t mask = 1u << slot;
    int child[3], nc = slot_children(slot, child);
    for (int k = 0; k < nc; k++)
        mask |= slots_inside(child[k]);
    return mask;
}

/* Months 1..last (0: none) as a slot mask. */
static uint32_t months_upto(unsigned last)
{
    return last ? (1u << last) - 1 : 0;
}

/* True if the catalogue has a stock (which looks back over months). */
static bool has_stock(const hub_store_t *s)
{
    for (size_t i = 0; i < bc_registry_nindicators(s->reg); i++)
        if (bc_registry_indicator(s->reg, (uint32_t) i)->kind
            == BC_KIND_STOCK)
            return true;
    return false;
}

/* Loads u's current reports for the periods of `year` in `mask` (others
 * are left without a report), unpacked into `arena` (not reset: the write
 * path's arena holds the batch). uy is initialised even on error. BC_OK
 * or BC_ESTORE. */
static int unit_year_load(hub_store_t *s, MDB_txn *txn, bc_arena_t *arena,
                          const bc_unit_t *u, unsigned year, size_t n,
                          uint32_t mask, unit_year_t *uy)
{
    int rc = BC_OK;
    for (int i = 0; i < YEAR_SLOTS; i++) {
        hub_figures_init(&uy->rep[i], n);
        uy->has[i] = false;
    }
    for (int i = 0; i < YEAR_SLOTS && !rc; i++) {
        if (!(mask >> i & 1))
            continue;
        const hub_val_t *vals = NULL;
        size_t nv = 0;
        rc = hub_reports_values(s, txn, u->sid, period_of_slot(year, i),
                                arena, &vals, &nv);
        if (rc == BC_ENOTFOUND) {
            rc = BC_OK;
            continue;
        }
        if (rc == BC_OK) {
            uy->has[i] = true;
            hub_figures_spread(s, (const uint8_t *) vals, nv, &uy->rep[i]);
        }
    }
    return rc;
}

static void unit_year_free(unit_year_t *uy)
{
    for (int i = 0; i < YEAR_SLOTS; i++)
        hub_figures_free(&uy->rep[i]);
}

/* What the unit contributes to a slot from inside it (no look-back):
 * into out, cleared by the caller; count 1 where present. BC_OK, or
 * BC_ERANGE when a flow's sum over the sub-periods would overflow. */
static int contrib_inside(const hub_store_t *s, const unit_year_t *uy,
                          int slot, hub_figures_t *out)
{
    const bc_registry_t *reg = s->reg;
    if (uy->has[slot]) {
        /* Its report for exactly this period wins, whole. */
        memcpy(out->value, uy->rep[slot].value, out->n * sizeof *out->value);
        memcpy(out->count, uy->rep[slot].count, out->n * sizeof *out->count);
        return BC_OK;
    }
    int child[3], nc = slot_children(slot, child), rc = BC_OK;
    if (!nc)
        return BC_OK;
    hub_figures_t c;
    hub_figures_init(&c, out->n);
    /* Latest sub-period first: a stock takes the last one present. */
    for (int k = nc - 1; k >= 0 && !rc; k--) {
        hub_figures_clear(&c);
        rc = contrib_inside(s, uy, child[k], &c);
        for (size_t i = 0; i < out->n && !rc; i++) {
            if (!c.count[i])
                continue;
            if (bc_registry_indicator(reg, (uint32_t) i)->kind
                == BC_KIND_STOCK) {
                if (!out->count[i]) {
                    out->value[i] = c.value[i];
                    out->count[i] = 1;
                }
            } else {
                rc = bc_add_checked(out->value[i], c.value[i],
                                    &out->value[i]);
                out->count[i] = 1;
            }
        }
    }
    hub_figures_free(&c);
    return rc;
}

/* A stock's last monthly value at or before month `from` (1..12) fills
 * the stocks still absent in out. */
static void stock_look_back(const hub_store_t *s, const unit_year_t *uy,
                            int from, hub_figures_t *out)
{
    for (size_t i = 0; i < out->n; i++) {
        if (out->count[i]
            || bc_registry_indicator(s->reg, (uint32_t) i)->kind
                   != BC_KIND_STOCK)
            continue;
        for (int m = from; m >= 1; m--)
            if (uy->has[m - 1] && uy->rep[m - 1].count[i]) {
                out->value[i] = uy->rep[m - 1].value[i];
                out->count[i] = 1;
                break;
            }
    }
}

/* The unit's contribution to `slot` by the rule above. BC_OK or
 * BC_ERANGE (a sum would overflow). */
static int unit_contrib(const hub_store_t *s, const unit_year_t *uy,
                        bc_period_t p, hub_figures_t *out)
{
    unsigned first, last;
    bc_period_months(p, &first, &last);
    hub_figures_clear(out);
    int rc = contrib_inside(s, uy, slot_of(p), out);
    if (rc)
        return rc;
    stock_look_back(s, uy, (int) first - 1, out);
    /* A unit contributes to a ratio when it contributes to either part
     * (the "any part" rule of proto/README.md). */
    for (size_t i = 0; i < out->n; i++) {
        const bc_indicator_t *ind = bc_registry_indicator(s->reg, (uint32_t) i);
        if (ind->kind == BC_KIND_RATIO)
            out->count[i] = out->count[ind->numerator]
                            || out->count[ind->denominator];
    }
    return BC_OK;
}

/* What agg and carry hold for this unit over the period: its months'
 * flows summed, its last monthly stock up to the period's end. BC_OK or
 * BC_ERANGE (a sum would overflow). */
static int unit_monthly_part(const hub_store_t *s, const unit_year_t *uy,
                             bc_period_t p, hub_figures_t *out)
{
    unsigned first, last;
    bc_period_months(p, &first, &last);
    hub_figures_clear(out);
    for (unsigned m = first; m <= last; m++) {
        if (!uy->has[m - 1])
            continue;
        const hub_figures_t *f = &uy->rep[m - 1];
        for (size_t i = 0; i < out->n; i++)
            if (f->count[i]
                && bc_registry_indicator(s->reg, (uint32_t) i)->kind
                       != BC_KIND_STOCK) {
                if (bc_add_checked(out->value[i], f->value[i],
                                   &out->value[i]))
                    return BC_ERANGE;
                out->count[i] = 1;
            }
    }
    stock_look_back(s, uy, (int) last, out);
    return BC_OK;
}

/* Unit sids collected by a period scan, without repeats. */
typedef struct {
    uint32_t *sid;             /* collected sids */
    size_t n;                  /* used */
    size_t cap;                /* allocated */
} sid_set_t;

static int collect_sid(void *arg, uint32_t sid)
{
    sid_set_t *set = arg;
    for (size_t i = 0; i < set->n; i++)
        if (set->sid[i] == sid)
            return BC_OK;
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->sid = bc_realloc(set->sid, set->cap * sizeof *set->sid);
    }
    set->sid[set->n++] = sid;
    return BC_OK;
}

/* The slots inside `slot` that are longer than a month, itself included. */
static int long_slots(int slot, int out[7])
{
    int n = 0;
    if (slot < 12)
        return 0;
    out[n++] = slot;
    int child[3], nc = slot_children(slot, child);
    for (int k = 0; k < nc; k++)
        n += long_slots(child[k], out + n);
    return n;
}

/* --- units contributing ------------------------------------------------
 * `units` (period, unit) holds, per indicator, how many units of the
 * subtree contribute to it in that period by the rule above; for a ratio,
 * the units contributing to either part. Kept for the quarters, halves and
 * year (and for a month, its ratios: agg and carry already count a month's
 * flows and stocks by unit): a change of one unit's report
 * recomputes, from that unit's own reports of the year, which indicators
 * it contributes to in each of the 19 periods before and after the
 * change, and moves the counts of the units above it by the difference.
 * Counts, not sets of units: one record per (period, subtree), however
 * many units it holds; the cost is on the write path (the unit's 19
 * reports of the year are read), measured in BENCHMARKS.md. */

/* Presence only needs bits: which indicators a unit contributes to is
 * the same rule as unit_contrib's with "or" for every combination (a flow
 * is present if any sub-period has it, a stock if the latest present one
 * exists, i.e. if any does; the look-back if any earlier month has it). So
 * the write path works on bitsets of the catalogue, one per period of the
 * year, and never on figures: a few words per period, no allocation per
 * period. hub_reader_period's figures and these counts are the same rule;
 * the property test (tests/integration/test_figures_property.c) checks
 * both against an oracle. */

typedef struct {
    size_t words;              /* 64-bit words per bitset */
    uint64_t *rep;             /* NSLOT bitsets: indicators of each report */
    bool has[YEAR_SLOTS];      /* a report exists for the slot */
    uint64_t *stock;           /* one bitset: the stock indicators */
    uint64_t *ratio;           /* one bitset: the ratios */
} unit_bits_t;

static void bits_init(const hub_store_t *s, unit_bits_t *b)
{
    size_t n = bc_registry_nindicators(s->reg);
    b->words = (n + 63) / 64 ? (n + 63) / 64 : 1;
    b->rep = bc_calloc(YEAR_SLOTS * b->words, sizeof *b->rep);
    b->stock = bc_calloc(b->words, sizeof *b->stock);
    b->ratio = bc_calloc(b->words, sizeof *b->ratio);
    for (size_t i = 0; i < n; i++) {
        bc_kind_t kind = bc_registry_indicator(s->reg, (uint32_t) i)->kind;
        if (kind == BC_KIND_STOCK)
            b->stock[i / 64] |= 1ull << (i % 64);
        else if (kind == BC_KIND_RATIO)
            b->ratio[i / 64] |= 1ull << (i % 64);
    }
    memset(b->has, 0, sizeof b->has);
}

static void bits_free(unit_bits_t *b)
{
    bc_free(&b->rep);
    bc_free(&b->stock);
    bc_free(&b->ratio);
}

/* Slot k's report is vals (has false: none). */
static void bits_set(const hub_store_t *s, unit_bits_t *b, int k, bool has,
                     const hub_val_t *vals, size_t nv)
{
    uint64_t *w = &b->rep[(size_t) k * b->words];
    memset(w, 0, b->words * sizeof *w);
    b->has[k] = has;
    for (size_t j = 0; has && j < nv; j++) {
        int32_t idx = hub_env_indicator(s, vals[j].sid);
        if (idx >= 0)
            w[idx / 64] |= 1ull << (idx % 64);
    }
}

/* The unit's reports of the year, from cur (unpacked into the write
 * path's arena, which is not reset: it holds the batch). */
static int bits_load(hub_store_t *s, MDB_txn *txn, const bc_unit_t *u,
                     unsigned year, unit_bits_t *b)
{
    for (int k = 0; k < YEAR_SLOTS; k++) {
        const hub_val_t *vals = NULL;
        size_t nv = 0;
        int rc = hub_reports_values(s, txn, u->sid, period_of_slot(year, k),
                                    s->arena, &vals, &nv);
        if (rc == BC_ENOTFOUND)
            rc = BC_OK, vals = NULL;
        if (rc)
            return rc;
        bits_set(s, b, k, vals != NULL, vals, nv);
    }
    return BC_OK;
}

/* pres (NSLOT bitsets): what the unit contributes to, per period. */
static void bits_presence(const hub_store_t *s, const unit_bits_t *b,
                          uint64_t *pres)
{
    size_t W = b->words, n = bc_registry_nindicators(s->reg);
    /* Inside each period, bottom-up: months, quarters, halves, year. */
    for (int k = 0; k < YEAR_SLOTS; k++) {
        uint64_t *p = &pres[(size_t) k * W];
        if (b->has[k] || k < 12) {
            memcpy(p, &b->rep[(size_t) k * W], W * sizeof *p);
            continue;
        }
        memset(p, 0, W * sizeof *p);
        int child[3], nc = slot_children(k, child);
        for (int c = 0; c < nc; c++)
            for (size_t w = 0; w < W; w++)
                p[w] |= pres[(size_t) child[c] * W + w];
    }
    /* A stock looks back over the months before the period. */
    uint64_t *before = bc_calloc(13 * W, sizeof *before);  /* months < m */
    for (int m = 2; m <= 12; m++)
        for (size_t w = 0; w < W; w++)
            before[(size_t) m * W + w] = before[(size_t) (m - 1) * W + w]
                                         | b->rep[(size_t) (m - 2) * W + w];
    for (int k = 0; k < YEAR_SLOTS; k++) {
        unsigned first, last;
        bc_period_months(period_of_slot(2000, k), &first, &last);
        for (size_t w = 0; w < W; w++)
            pres[(size_t) k * W + w] |= b->stock[w]
                                        & before[(size_t) first * W + w];
    }
    free(before);
    /* A ratio: either part. */
    for (size_t i = 0; i < n; i++) {
        const bc_indicator_t *ind = bc_registry_indicator(s->reg, (uint32_t) i);
        if (ind->kind != BC_KIND_RATIO)
            continue;
        size_t a = (size_t) ind->numerator, d = (size_t) ind->denominator;
        for (int k = 0; k < YEAR_SLOTS; k++) {
            uint64_t *p = &pres[(size_t) k * W];
            if ((p[a / 64] >> (a % 64) & 1) || (p[d / 64] >> (d % 64) & 1))
                p[i / 64] |= 1ull << (i % 64);
        }
    }
}

/* Moves the counts of every unit whose subtree holds u from `before` to
 * `after` presence (before NULL: contributes to nothing). For a month,
 * only the ratios are counted here: a flow's month count is agg's and a
 * stock's is carry's, which hold exactly the units contributing. */
static int units_apply(hub_store_t *s, MDB_txn *txn, agg_cache_t *units,
                       const bc_unit_t *u, unsigned year,
                       const uint64_t *before, const uint64_t *after,
                       const uint64_t *ratio, size_t W)
{
    const bc_unit_t *targets[64];
    size_t nt = rollup_targets(s, u, targets, 64);
    uint64_t *diff = bc_malloc(W * sizeof *diff);
    int rc = BC_OK;
    for (int k = 0; k < YEAR_SLOTS && !rc; k++) {
        bool any = false;
        for (size_t w = 0; w < W; w++) {
            uint64_t b = before ? before[(size_t) k * W + w] : 0;
            diff[w] = (after[(size_t) k * W + w] ^ b)
                      & (k < 12 ? ratio[w] : ~0ull);
            any |= diff[w] != 0;
        }
        if (!any)
            continue;
        for (size_t t = 0; t < nt && !rc; t++) {
            agg_t *agg;
            if ((rc = cache_get(s, txn, units, targets[t]->sid,
                                period_of_slot(year, k), &agg)))
                break;
            for (size_t w = 0; w < W; w++)
                for (uint64_t d = diff[w]; d; d &= d - 1) {
                    unsigned bit = (unsigned) __builtin_ctzll(d);
                    size_t i = w * 64 + bit;
                    bool now = after[(size_t) k * W + w] >> bit & 1;
                    agg_apply(agg,
                              bc_registry_indicator(s->reg, (uint32_t) i)->sid,
                              0, now ? 1 : -1);
                }
        }
    }
    free(diff);
    return rc;
}

static int units_update(hub_store_t *s, MDB_txn *txn, agg_cache_t *units,
                        const bc_unit_t *u, bc_period_t period,
                        const hub_val_t *old, size_t nold,
                        const hub_val_t *new, size_t nnew)
{
    const bc_unit_t *targets[1];
    if (!rollup_targets(s, u, targets, 1))
        return BC_OK;   /* a unit alone: its own reports say it all */
    unsigned year = bc_period_year(period);
    int k = slot_of(period);
    unit_bits_t b;
    bits_init(s, &b);
    uint64_t *before = bc_malloc(YEAR_SLOTS * b.words * sizeof *before);
    uint64_t *after = bc_malloc(YEAR_SLOTS * b.words * sizeof *after);
    int rc = bits_load(s, txn, u, year, &b);
    if (rc == BC_OK) {
        bits_set(s, &b, k, old != NULL, old, nold);
        bits_presence(s, &b, before);
        bits_set(s, &b, k, new != NULL, new, nnew);
        bits_presence(s, &b, after);
        rc = units_apply(s, txn, units, u, year, before, after, b.ratio,
                         b.words);
    }
    free(before);
    free(after);
    bits_free(&b);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static int units_rebuild(hub_store_t *s, MDB_txn *txn, agg_cache_t *units,
                         const uint64_t *unit_years, size_t count)
{
    uint64_t *uys = bc_malloc((count ? count : 1) * sizeof *uys);
    if (count)
        memcpy(uys, unit_years, count * sizeof *uys);
    qsort(uys, count, sizeof *uys, cmp_u64);
    unit_bits_t b;
    bits_init(s, &b);
    uint64_t *pres = bc_malloc(YEAR_SLOTS * b.words * sizeof *pres);
    int rc = BC_OK;
    for (size_t j = 0; j < count && !rc; j++) {
        if (j && uys[j] == uys[j - 1])
            continue;
        const bc_unit_t *u = hub_env_unit(s, (uint32_t) (uys[j] >> 32));
        const bc_unit_t *targets[1];
        if (!u || !rollup_targets(s, u, targets, 1))
            continue;
        unsigned year = (unsigned) uys[j];
        bc_arena_reset(s->arena);
        if ((rc = bits_load(s, txn, u, year, &b)) == BC_OK) {
            bits_presence(s, &b, pres);
            rc = units_apply(s, txn, units, u, year, NULL, pres, b.ratio,
                             b.words);
        }
    }
    free(pres);
    bits_free(&b);
    free(uys);
    return rc;
}

/* The counts of `units` for (unit, period) into out->count (values 0). */
static int units_read(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_figures_t *out)
{
    hub_store_t *s = self->store;
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit->sid, period), v;
    hub_figures_clear(out);
    int mrc = mdb_get(self->txn, s->dbi[HUB_DB_UNITS], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return hub_env_err(mrc);
    agg_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    hub_figures_spread(s, (uint8_t *) v.mv_data + sizeof h, h.nvals, out);
    return BC_OK;
}

int hub_reader_period(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_figures_t *out)
{
    hub_store_t *s = self->store;
    const bc_registry_t *reg = s->reg;
    size_t n = out->n;
    unsigned year = bc_period_year(period), first, last;
    bc_period_months(period, &first, &last);
    hub_figures_clear(out);
    int rc = BC_OK;
    unit_year_t uy;
    hub_figures_t a, b;
    hub_figures_init(&a, n);
    hub_figures_init(&b, n);

    /* Which of a unit's reports the rule reads: those inside the period,
     * and for a stock's look-back the months before it (for the months'
     * part of a unit that filed a longer period, the months up to the
     * period's end). */
    bool stocks = has_stock(s);
    uint32_t inside = slots_inside(slot_of(period));
    uint32_t own_mask = inside | (stocks ? months_upto(first - 1) : 0);
    uint32_t x_mask = inside | (stocks ? months_upto(last) : 0);

    /* A unit without sub-units: its own reports. */
    if (!unit->nchildren) {
        bc_arena_reset(self->arena);
        if ((rc = unit_year_load(s, self->txn, self->arena, unit, year, n,
                                 own_mask, &uy)) == BC_OK)
            rc = unit_contrib(s, &uy, period, out);
        unit_year_free(&uy);
        goto out_free;
    }

    /* Monthly reporters: flows from each month's totals, stocks from the
     * carried last values at the period's end. */
    for (unsigned m = first; m <= last && !rc; m++) {
        rc = hub_reader_figures(self, unit,
                                bc_period_make(year, BC_PT_MONTH, m), &a);
        for (size_t i = 0; i < n && !rc; i++) {
            if (!a.count[i]
                || bc_registry_indicator(reg, (uint32_t) i)->kind
                       == BC_KIND_STOCK)
                continue;
            rc = bc_add_checked(out->value[i], a.value[i], &out->value[i]);
            if (a.count[i] > out->count[i])
                out->count[i] = a.count[i];
        }
    }
    if (!rc)
        rc = hub_reader_carried(self, unit, year, last, &a);
    for (size_t i = 0; i < n && !rc; i++)
        if (bc_registry_indicator(reg, (uint32_t) i)->kind == BC_KIND_STOCK) {
            out->value[i] = a.value[i];
            out->count[i] = a.count[i];
        }

    /* Units that filed a longer period inside this one: their own
     * contribution replaces their months. */
    int slots[7], ns = long_slots(slot_of(period), slots);
    sid_set_t set = {NULL, 0, 0};
    for (int k = 0; k < ns && !rc; k++)
        rc = hub_reader_period_units(self, period_of_slot(year, slots[k]),
                                     collect_sid, &set);
    for (size_t j = 0; j < set.n && !rc; j++) {
        const bc_unit_t *u = hub_env_unit(s, set.sid[j]);
        if (!u || !bc_registry_is_within(reg, u, unit))
            continue;
        bc_arena_reset(self->arena);
        if ((rc = unit_year_load(s, self->txn, self->arena, u, year, n,
                                 x_mask, &uy)) == BC_OK
            && (rc = unit_contrib(s, &uy, period, &a)) == BC_OK
            && (rc = unit_monthly_part(s, &uy, period, &b)) == BC_OK) {
            /* Counts are `units`' (below); only the figures move. Both
             * are exact sums of counts (0 .. 10^12 each), so negating b
             * cannot overflow; the sums are checked. */
            int64_t d;
            for (size_t i = 0; i < n && !rc; i++)
                rc = bc_add_checked(a.value[i], -b.value[i], &d)
                         ? BC_ERANGE
                         : bc_add_checked(out->value[i], d, &out->value[i]);
        }
        unit_year_free(&uy);
    }
    free(set.sid);

    /* How many units contribute: for a month, agg's and carry's counts
     * above, and the ratios' from `units`; for longer periods, all from
     * `units` (the months' counts would count a unit once per month). */
    if (!rc)
        rc = units_read(self, unit, period, &a);
    bool month = bc_period_type(period) == BC_PT_MONTH;
    for (size_t i = 0; i < n && !rc; i++)
        if (!month || bc_registry_indicator(reg, (uint32_t) i)->kind
                          == BC_KIND_RATIO)
            out->count[i] = a.count[i];

out_free:
    for (size_t i = 0; i < n; i++)
        if (out->count[i] > out->reporters)
            out->reporters = out->count[i];
    hub_figures_free(&a);
    hub_figures_free(&b);
    return rc;
}
