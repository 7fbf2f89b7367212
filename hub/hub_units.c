/*
 * hub_units.c -- the units contributing, kept per period (see hub_units.h).
 */
#include "hub_units.h"
#include "hub_env.h"
#include "hub_year.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_registry.h"

#include <stdlib.h>
#include <string.h>

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
    bool has[HUB_YEAR_SLOTS];      /* a report exists for the slot */
    uint64_t *stock;           /* one bitset: the stock indicators */
    uint64_t *ratio;           /* one bitset: the ratios */
} unit_bits_t;

static void bits_init(const hub_store_t *s, unit_bits_t *b)
{
    size_t n = bc_registry_nindicators(s->reg);
    b->words = (n + 63) / 64 ? (n + 63) / 64 : 1;
    b->rep = bc_calloc(HUB_YEAR_SLOTS * b->words, sizeof *b->rep);
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
    for (int k = 0; k < HUB_YEAR_SLOTS; k++) {
        const hub_val_t *vals = NULL;
        size_t nv = 0;
        int rc = hub_reports_values(s, txn, u->sid, hub_year_period(year, k),
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
    for (int k = 0; k < HUB_YEAR_SLOTS; k++) {
        uint64_t *p = &pres[(size_t) k * W];
        if (b->has[k] || k < 12) {
            memcpy(p, &b->rep[(size_t) k * W], W * sizeof *p);
            continue;
        }
        memset(p, 0, W * sizeof *p);
        int child[3], nc = hub_year_children(k, child);
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
    for (int k = 0; k < HUB_YEAR_SLOTS; k++) {
        unsigned first, last;
        bc_period_months(hub_year_period(2000, k), &first, &last);
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
        for (int k = 0; k < HUB_YEAR_SLOTS; k++) {
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

static int units_apply(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *units,
                       const bc_unit_t *u, unsigned year,
                       const uint64_t *before, const uint64_t *after,
                       const uint64_t *ratio, size_t W)
{
    const bc_unit_t *targets[BC_MAX_LEVELS];
    uint64_t *diff = bc_malloc(W * sizeof *diff);
    int rc = BC_OK;
    for (int k = 0; k < HUB_YEAR_SLOTS && !rc; k++) {
        /* Each slot's period has its own tree (history). */
        size_t nt = hub_agg_targets(s, u, hub_year_period(year, k), targets,
                                    BC_MAX_LEVELS);
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
            hub_agg_t *agg;
            if ((rc = hub_agg_cache_get(s, txn, units, targets[t]->sid,
                                hub_year_period(year, k), &agg)))
                break;
            /* Indicators in catalogue order, which is sid order in a
             * store that got them all at once: the hint then finds each
             * next to the last (hub_agg.h). */
            uint32_t hint = 0;
            for (size_t w = 0; w < W; w++)
                for (uint64_t d = diff[w]; d; d &= d - 1) {
                    unsigned bit = (unsigned) __builtin_ctzll(d);
                    size_t i = w * 64 + bit;
                    bool now = after[(size_t) k * W + w] >> bit & 1;
                    hub_agg_apply_from(agg, &hint,
                              bc_registry_indicator(s->reg, (uint32_t) i)->sid,
                              0, now ? 1 : -1);
                }
        }
    }
    free(diff);
    return rc;
}

int hub_units_update(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *units,
                        const bc_unit_t *u, bc_period_t period,
                        const hub_val_t *old, size_t nold,
                        const hub_val_t *new, size_t nnew)
{
    const bc_unit_t *targets[1];
    if (!hub_agg_targets(s, u, period, targets, 1))
        return BC_OK;   /* a unit alone: its own reports say it all */
    unsigned year = bc_period_year(period);
    int k = hub_year_slot(period);
    unit_bits_t b;
    bits_init(s, &b);
    uint64_t *before = bc_malloc(HUB_YEAR_SLOTS * b.words * sizeof *before);
    uint64_t *after = bc_malloc(HUB_YEAR_SLOTS * b.words * sizeof *after);
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

int hub_units_rebuild(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *units,
                         const uint64_t *unit_years, size_t count)
{
    uint64_t *uys = bc_malloc((count ? count : 1) * sizeof *uys);
    if (count)
        memcpy(uys, unit_years, count * sizeof *uys);
    qsort(uys, count, sizeof *uys, cmp_u64);
    unit_bits_t b;
    bits_init(s, &b);
    uint64_t *pres = bc_malloc(HUB_YEAR_SLOTS * b.words * sizeof *pres);
    int rc = BC_OK;
    for (size_t j = 0; j < count && !rc; j++) {
        if (j && uys[j] == uys[j - 1])
            continue;
        const bc_unit_t *u = hub_env_unit(s, (uint32_t) (uys[j] >> 32));
        const bc_unit_t *targets[1];
        unsigned year = (unsigned) uys[j];
        /* A unit alone in every month of the year: nothing to count. */
        bool alone = true;
        for (unsigned m = 1; m <= 12 && alone && u; m++)
            alone = !hub_agg_targets(s, u, bc_period_make(year, BC_PT_MONTH,
                                                          m), targets, 1);
        if (!u || alone)
            continue;
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

int hub_units_read(hub_reader_t *self, const bc_unit_t *unit,
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
    hub_agg_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    hub_figures_spread(s, (uint8_t *) v.mv_data + sizeof h, h.nvals, out);
    return BC_OK;
}
