/*
 * hub_plans.h -- annual plans: each unit's own targets, and the effective
 * targets that % of plan is computed against.
 *
 * Databases (only this room writes them):
 *
 *   plan      (year, unit) -> own annual targets, as set by an operator
 *   plan_eff  (year, unit) -> own targets where set, else the sum of the
 *             children's effective targets; a rate's target
 *             (e.g. tcmr_full_rate 95, in the rate's own
 *             units) is the unit's own only: rates are never
 *             summed                                      derived
 *
 * Both records are arrays of hub_val_t by indicator sid. plan_eff is
 * refreshed up the tree on every change of plan, and rebuilt from plan when
 * the registry changes.
 */
#ifndef HUB_PLANS_H
#define HUB_PLANS_H

#include "hub_store.h"

#include <lmdb.h>
#include <stddef.h>

/* Sets a unit's own targets for a year (replacing those given; others
 * kept) and refreshes the effective targets up the tree, in one durable
 * transaction. vals use store ids. Returns BC_OK, BC_EFULL, BC_ENOSPC,
 * BC_EFATAL (as for hub_store_ingest), BC_ESTORE, or BC_ERANGE when a sum
 * of targets up the tree would overflow (nothing is stored: totals are
 * checked sums, never wrapped). */
int hub_store_set_plan(hub_store_t *self, const bc_unit_t *unit,
                       unsigned year, const hub_val_t *vals, size_t n);

/* Effective annual targets of a unit. Returns BC_OK or BC_ESTORE. */
int hub_reader_targets(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, hub_figures_t *out);

/* --- for the store's other rooms ----------------------------------------- */

/* A plan of a batch (it->plan: unit, year, vals), in the batch's
 * transaction, then its log entry: STORED, or REJECTED with
 * COUNT_TOO_LARGE when a sum up the tree would overflow (in a nested
 * transaction, aborted: nothing of it stays). Plans are log entries (issue
 * 14): audited, forwarded upward, rebuilt by `audit replay`. BC_OK or a
 * store error (the batch aborts). */
int hub_plans_ingest(hub_store_t *s, MDB_txn *txn, hub_item_t *it,
                     int64_t now_us);

/* Drops plan_eff and recomputes it from plan under the registry the store
 * holds now. BC_OK, BC_EFULL or BC_ESTORE. */
int hub_plans_rebuild(hub_store_t *s, MDB_txn *txn);

#endif
