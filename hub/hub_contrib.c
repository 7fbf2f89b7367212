/*
 * hub_contrib.c -- what each unit contributes to a period, summed over a
 * subtree (see hub_contrib.h).
 */
#include "hub_contrib.h"
#include "hub_agg.h"
#include "hub_env.h"
#include "hub_reports.h"
#include "hub_rollup.h"
#include "hub_units.h"
#include "hub_year.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_registry.h"

#include <stdlib.h>
#include <string.h>

/* --- what each unit contributes to a period --------------------------------
 * The rule and why it reads what it reads: hub_contrib.h. */


/* True if the catalogue has a stock (which looks back over months). */
static bool has_stock(const hub_store_t *s)
{
    for (size_t i = 0; i < bc_registry_nindicators(s->reg); i++)
        if (bc_registry_indicator(s->reg, (uint32_t) i)->kind
            == BC_KIND_STOCK)
            return true;
    return false;
}



/* What the unit contributes to a slot from inside it (no look-back):
 * into out, cleared by the caller; count 1 where present. BC_OK, or
 * BC_ERANGE when a flow's sum over the sub-periods would overflow. */
static int contrib_inside(const hub_store_t *s, const hub_unit_year_t *uy,
                          int slot, hub_figures_t *out)
{
    const bc_registry_t *reg = s->reg;
    if (uy->has[slot]) {
        /* Its report for exactly this period wins, whole. */
        memcpy(out->value, uy->rep[slot].value, out->n * sizeof *out->value);
        memcpy(out->count, uy->rep[slot].count, out->n * sizeof *out->count);
        return BC_OK;
    }
    int child[3], nc = hub_year_children(slot, child), rc = BC_OK;
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
static void stock_look_back(const hub_store_t *s, const hub_unit_year_t *uy,
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
static int unit_contrib(const hub_store_t *s, const hub_unit_year_t *uy,
                        bc_period_t p, hub_figures_t *out)
{
    unsigned first, last;
    bc_period_months(p, &first, &last);
    hub_figures_clear(out);
    int rc = contrib_inside(s, uy, hub_year_slot(p), out);
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
static int unit_monthly_part(const hub_store_t *s, const hub_unit_year_t *uy,
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



/* A leaf unit's year in the reader's memo, its slots of `mask` read
 * (those not read yet are read now), as a view in *view: the memo's
 * figures, with has[] only for the slots of mask, so that the view is what
 * hub_unit_year_load(mask) gives. The view is not freed: the memo's
 * figures go with the reader. BC_OK or BC_ESTORE. */
static int year_read(hub_reader_t *self, const bc_unit_t *u, unsigned year,
                     size_t n, uint32_t mask, hub_unit_year_t *view)
{
    hub_year_memo_t *m = NULL;
    for (unsigned i = 0; i < HUB_READER_MEMOS && !m; i++)
        if (self->memo[i].sid == u->sid && self->memo[i].year == year)
            m = &self->memo[i];
    int rc = BC_OK;
    if (!m) {
        m = &self->memo[self->memo_next];
        self->memo_next = (self->memo_next + 1) % HUB_READER_MEMOS;
        if (m->sid)
            hub_unit_year_free(&m->uy);
        m->sid = u->sid;
        m->year = year;
        m->loaded = 0;
        bc_arena_reset(self->arena);
        rc = hub_unit_year_load(self->store, self->txn, self->arena, u, year,
                                n, 0, &m->uy);
    }
    uint32_t more = mask & ~m->loaded;
    if (!rc && more) {
        bc_arena_reset(self->arena);
        rc = hub_unit_year_more(self->store, self->txn, self->arena, u, year,
                                more, &m->uy, &m->loaded);
    }
    *view = m->uy;
    for (int i = 0; i < HUB_YEAR_SLOTS; i++)
        view->has[i] = m->uy.has[i] && (mask >> i & 1);
    return rc;
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
    hub_unit_year_t uy;
    /* Scratch for a unit with sub-units only: a facility's query reads
     * its own reports and needs none (freeing NULL is a no-op). */
    hub_figures_t a = {n, NULL, NULL, 0}, b = {n, NULL, NULL, 0};

    /* Which of a unit's reports the rule reads: those inside the period,
     * and for a stock's look-back the months before it (for the months'
     * part of a unit that filed a longer period, the months up to the
     * period's end). */
    bool stocks = has_stock(s);
    uint32_t inside = hub_year_inside(hub_year_slot(period));
    uint32_t own_mask = inside | (stocks ? hub_year_months(first - 1) : 0);
    uint32_t x_mask = inside | (stocks ? hub_year_months(last) : 0);

    /* A unit without sub-units: its own reports, through the reader's
     * memo of its year. */
    if (!unit->nchildren) {
        if (!unit->sid) {   /* never stored: nothing to remember */
            bc_arena_reset(self->arena);
            if ((rc = hub_unit_year_load(s, self->txn, self->arena, unit,
                                         year, n, own_mask, &uy)) == BC_OK)
                rc = unit_contrib(s, &uy, period, out);
            hub_unit_year_free(&uy);
            goto out_free;
        }
        if ((rc = year_read(self, unit, year, n, own_mask, &uy)) == BC_OK)
            rc = unit_contrib(s, &uy, period, out);
        goto out_free;   /* uy is a view of the memo: nothing to free */
    }

    hub_figures_init(&a, n);
    hub_figures_init(&b, n);
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
    int slots[7], ns = hub_year_long_slots(hub_year_slot(period), slots);
    sid_set_t set = {NULL, 0, 0};
    for (int k = 0; k < ns && !rc; k++)
        rc = hub_reader_period_units(self, hub_year_period(year, slots[k]),
                                     collect_sid, &set);
    for (size_t j = 0; j < set.n && !rc; j++) {
        const bc_unit_t *u = hub_env_unit(s, set.sid[j]);
        if (!u || !bc_registry_is_within_at(reg, u, unit,
                                            bc_registry_month(period)))
            continue;
        bc_arena_reset(self->arena);
        if ((rc = hub_unit_year_load(s, self->txn, self->arena, u, year, n,
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
        hub_unit_year_free(&uy);
    }
    free(set.sid);

    /* How many units contribute: for a month, agg's and carry's counts
     * above, and the ratios' from `units`; for longer periods, all from
     * `units` (the months' counts would count a unit once per month). */
    if (!rc)
        rc = hub_units_read(self, unit, period, &a);
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
