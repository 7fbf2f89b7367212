/*
 * hub_year.h -- the periods of one year as slots, and one unit's own
 * reports for them: what the contribution rule (hub_contrib.c) and the
 * units counts (hub_units.c) both walk. Private to the store's rooms.
 *
 * Slots: months 0..11, quarters 12..15, halves 16 and 17, the year 18.
 */
#ifndef HUB_YEAR_H
#define HUB_YEAR_H

#include "hub_store.h"
#include "bc_arena.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

/* Slots of one year's periods: months 0..11, quarters 12..15, halves 16,
 * 17, the year 18. */

#define HUB_YEAR_SLOTS 19

int hub_year_slot(bc_period_t p);

bc_period_t hub_year_period(unsigned year, int slot);

/* The sub-periods a period is made of, in time order: a year of its
 * halves, a half of its quarters, a quarter of its months. Returns their
 * number (0 for a month). */

int hub_year_children(int slot, int child[3]);

/* One unit's own reports for every period of one year. */

typedef struct {
    hub_figures_t rep[HUB_YEAR_SLOTS];  /* figures by slot; allocated only
                                           where has[] (read has[] first) */
    bool has[HUB_YEAR_SLOTS];           /* a report exists for the slot */
} hub_unit_year_t;

/* The slot and every slot inside it, as a bit mask. */

uint32_t hub_year_inside(int slot);

/* Months 1..last (0: none) as a slot mask. */

uint32_t hub_year_months(unsigned last);

/* Loads u's current reports for the periods of `year` in `mask` (others
 * are left without a report), unpacked into `arena` (not reset: the write
 * path's arena holds the batch). uy is initialised even on error. BC_OK
 * or BC_ESTORE. */

int hub_unit_year_load(hub_store_t *s, MDB_txn *txn, bc_arena_t *arena,
                          const bc_unit_t *u, unsigned year, size_t n,
                          uint32_t mask, hub_unit_year_t *uy);

/* Loads the slots of `mask` into uy, which holds u's year as loaded so
 * far (by hub_unit_year_load) and must not have them yet: what a reader's
 * memo of a unit's year reads when asked for more of it (hub_contrib.c).
 * BC_OK or BC_ESTORE (the slots before the failing one are loaded). */

int hub_unit_year_more(hub_store_t *s, MDB_txn *txn, bc_arena_t *arena,
                       const bc_unit_t *u, unsigned year, uint32_t mask,
                       hub_unit_year_t *uy, uint32_t *loaded);

void hub_unit_year_free(hub_unit_year_t *uy);

/* The slots inside `slot` that are longer than a month, itself included. */

int hub_year_long_slots(int slot, int out[7]);

#endif
