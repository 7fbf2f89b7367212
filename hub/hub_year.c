/*
 * hub_year.c -- a year's periods as slots (see hub_year.h).
 */
#include "hub_year.h"
#include "hub_env.h"
#include "hub_reports.h"
#include "bc_error.h"

int hub_year_slot(bc_period_t p)
{
    unsigned i = bc_period_index(p);
    switch (bc_period_type(p)) {
    case BC_PT_MONTH:   return (int) i - 1;
    case BC_PT_QUARTER: return 11 + (int) i;
    case BC_PT_HALF:    return 15 + (int) i;
    default:            return 18;
    }
}

bc_period_t hub_year_period(unsigned year, int slot)
{
    if (slot < 12)
        return bc_period_make(year, BC_PT_MONTH, (unsigned) slot + 1);
    if (slot < 16)
        return bc_period_make(year, BC_PT_QUARTER, (unsigned) slot - 11);
    if (slot < 18)
        return bc_period_make(year, BC_PT_HALF, (unsigned) slot - 15);
    return bc_period_make(year, BC_PT_YEAR, 1);
}

int hub_year_children(int slot, int child[3])
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

uint32_t hub_year_inside(int slot)
{
    uint32_t mask = 1u << slot;
    int child[3], nc = hub_year_children(slot, child);
    for (int k = 0; k < nc; k++)
        mask |= hub_year_inside(child[k]);
    return mask;
}

uint32_t hub_year_months(unsigned last)
{
    return last ? (1u << last) - 1 : 0;
}

int hub_unit_year_load(hub_store_t *s, MDB_txn *txn, bc_arena_t *arena,
                          const bc_unit_t *u, unsigned year, size_t n,
                          uint32_t mask, hub_unit_year_t *uy)
{
    int rc = BC_OK;
    /* Figures only for the slots with a report: every reader looks at
     * has[] first, and a month's query loads one slot of 19 (allocating
     * and zeroing all 19 was 60 % of a facility query's reads, callgrind,
     * BENCHMARKS.md). */
    for (int i = 0; i < HUB_YEAR_SLOTS; i++) {
        uy->rep[i] = (hub_figures_t){n, NULL, NULL, 0};
        uy->has[i] = false;
    }
    uint32_t loaded = 0;
    rc = hub_unit_year_more(s, txn, arena, u, year, mask, uy, &loaded);
    return rc;
}

int hub_unit_year_more(hub_store_t *s, MDB_txn *txn, bc_arena_t *arena,
                       const bc_unit_t *u, unsigned year, uint32_t mask,
                       hub_unit_year_t *uy, uint32_t *loaded)
{
    int rc = BC_OK;
    for (int i = 0; i < HUB_YEAR_SLOTS && !rc; i++) {
        if (!(mask >> i & 1))
            continue;
        const hub_val_t *vals = NULL;
        size_t nv = 0;
        rc = hub_reports_values(s, txn, u->sid, hub_year_period(year, i),
                                arena, &vals, &nv);
        if (rc == BC_ENOTFOUND) {
            rc = BC_OK;
            *loaded |= 1u << i;
            continue;
        }
        if (rc == BC_OK) {
            uy->has[i] = true;
            hub_figures_init(&uy->rep[i], uy->rep[i].n);
            hub_figures_spread(s, (const uint8_t *) vals, nv, &uy->rep[i]);
            *loaded |= 1u << i;
        }
    }
    return rc;
}

void hub_unit_year_free(hub_unit_year_t *uy)
{
    for (int i = 0; i < HUB_YEAR_SLOTS; i++)
        hub_figures_free(&uy->rep[i]);
}

int hub_year_long_slots(int slot, int out[7])
{
    int n = 0;
    if (slot < 12)
        return 0;
    out[n++] = slot;
    int child[3], nc = hub_year_children(slot, child);
    for (int k = 0; k < nc; k++)
        n += hub_year_long_slots(child[k], out + n);
    return n;
}
