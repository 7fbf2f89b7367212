/*
 * hub_units.h -- how many units contribute to each figure of a subtree, for
 * every period: `reporting_units` (proto/README.md).
 *
 * Database `units` (period, unit) -> per indicator, the number of units of
 * the subtree that contribute to it in that period by the contribution rule
 * (hub_contrib.h); for a ratio, the units contributing to either part. Only
 * this room writes it, within the rollup's write batch (hub_rollup.c), and
 * it is derived: rebuilt with agg and carry when the registry changes.
 */
#ifndef HUB_UNITS_H
#define HUB_UNITS_H

#include "hub_agg.h"
#include "hub_store.h"

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

int hub_units_update(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *units,
                        const bc_unit_t *u, bc_period_t period,
                        const hub_val_t *old, size_t nold,
                        const hub_val_t *new, size_t nnew);

int hub_units_rebuild(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *units,
                         const uint64_t *unit_years, size_t count);

/* The counts of `units` for (unit, period) into out->count (values 0). */

int hub_units_read(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_figures_t *out);

#endif
