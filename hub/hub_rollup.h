/*
 * hub_rollup.h -- totals up the hierarchy: each subtree's figures for a
 * period, kept current as reports arrive, and the stocks carried forward.
 *
 * Databases (both derived, both rebuilt from `cur` when the registry
 * changes):
 *
 *   agg    (period, unit) -> the subtree's totals: per indicator the sum
 *          and the number of reports behind it, and the units that reported
 *   carry  (month, unit)  -> per stock indicator, the sum over the subtree's
 *          units of each unit's last value in the year up to that month
 *   units  (period, unit) -> per indicator, how many units of the subtree
 *          contribute to it in that period (hub_reader_period's rule), for
 *          every quarter, half and year, and for months the ratios only (a
 *          month's flow and stock counts are agg's and carry's): the
 *          distinct-unit counts behind reporting_units, kept as counts
 *
 * Every accepted revision moves the totals of its unit's ancestors by the
 * difference it makes (one read and one write per ancestor, shared by all
 * submissions of a batch), so a query for a province reads one record
 * instead of 10,000. A leaf unit's figures are its own report (hub_reports).
 */
#ifndef HUB_ROLLUP_H
#define HUB_ROLLUP_H

#include "hub_store.h"

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* The figures reported for exactly (unit, period): its own report for a
 * unit without children, the subtree's totals otherwise. Leaves `out`
 * cleared when there are none. Returns BC_OK or BC_ESTORE. */
int hub_reader_figures(hub_reader_t *self, const bc_unit_t *unit,
                       bc_period_t period, hub_figures_t *out);

/* A few indicators (by store id) of many units for one period, read as
 * hub_reader_figures reads them but without spreading the catalogue: row
 * i of vals and counts (n entries each) is units[i]'s, reporters[i] its reporters. Facilities
 * and units above are read each from their own database with one cursor
 * a group (hub_env_walk), which is what keeps a SliceQuery of 100 units x
 * 24 months at 48 tree descents instead of 2,400. BC_OK or BC_ESTORE. */
int hub_reader_pick_units(hub_reader_t *self, const bc_unit_t *const *units,
                          size_t nunits, bc_period_t period,
                          const uint32_t *sids, size_t n, int64_t *vals,
                          uint32_t *counts, uint32_t *reporters);

/* The units of hub_reader_pick_units sorted once for many periods: a
 * SliceQuery reads the same 100 units for 24 months, and sorting them for
 * each month was a quarter of a province slice's instructions (callgrind,
 * BENCHMARKS.md "SliceQuery"). Holds no pointer into `units` after it
 * returns; never fails (out of memory aborts, bc_mem.h). */
typedef struct hub_pick_t hub_pick_t;
hub_pick_t *hub_pick_new(const bc_unit_t *const *units, size_t nunits);
void hub_pick_destroy(hub_pick_t **self_p);

/* hub_reader_pick_units over the units of `set`, in the order given to
 * hub_pick_new: the same figures, rows and return codes. `set` keeps
 * scratch rows between calls (one reader's use at a time). */
int hub_reader_pick(hub_reader_t *self, hub_pick_t *set, bc_period_t period,
                    const uint32_t *sids, size_t n, int64_t *vals,
                    uint32_t *counts, uint32_t *reporters);

/* Combines months first..last of `year` by each indicator's rule: flows
 * summed (checked), stocks the last value present. Returns BC_OK,
 * BC_ESTORE, or BC_ERANGE when a sum over the months would overflow. */
int hub_reader_months(hub_reader_t *self, const bc_unit_t *unit,
                      unsigned year, unsigned first, unsigned last,
                      hub_figures_t *out);

/* For a unit with sub-units: each stock indicator's sum, over the units of
 * its subtree, of each unit's last value reported in `year` up to `month`
 * (a unit silent since October still counts, as of October). Other
 * indicators are left absent. Returns BC_OK or BC_ESTORE. */
int hub_reader_carried(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, unsigned month, hub_figures_t *out);

/* --- for the store's other rooms ----------------------------------------- */

/* The totals one write batch touches, kept in memory until the batch is
 * flushed: a district's total is read and written once per batch, not once
 * per ward report. */
typedef struct hub_rollup_batch_t hub_rollup_batch_t;

/* A batch sized for about `reports` reports. */
hub_rollup_batch_t *hub_rollup_batch_new(size_t reports);
void hub_rollup_batch_destroy(hub_rollup_batch_t **self_p);

/* Unit u's current report for `period` changes from old to new (either may
 * be NULL with length 0, both sorted by sid): moves the subtree totals and
 * the carried stocks of every unit above by the difference it makes.
 * BC_OK, BC_EFULL, BC_ESTORE, or BC_ERANGE when a total would overflow
 * int64_t (the batch is then aborted: a total is never wrapped). */
int hub_rollup_apply(hub_store_t *s, MDB_txn *txn, hub_rollup_batch_t *batch,
                     const bc_unit_t *u, bc_period_t period,
                     const hub_val_t *old, size_t nold,
                     const hub_val_t *new, size_t nnew);

/* Writes the batch's changed totals. BC_OK, BC_EFULL or BC_ESTORE. */
int hub_rollup_flush(hub_store_t *s, MDB_txn *txn, hub_rollup_batch_t *batch);

/* Drops agg, carry and units and recomputes them from every current
 * report, under the registry the store holds now. BC_OK, BC_EFULL,
 * BC_ESTORE or BC_ERANGE (a total would overflow). */
int hub_rollup_rebuild(hub_store_t *s, MDB_txn *txn);

#endif
