/*
 * hub_contrib.h -- what a subtree holds for a period: the contribution rule.
 *
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
 * them costs its own 19 reports of the year.
 *
 * It writes nothing: it reads agg and carry (hub_rollup.h), the units
 * counts (hub_units.h) and the reports of the few units that filed a longer
 * period (hub_reports.h).
 */
#ifndef HUB_CONTRIB_H
#define HUB_CONTRIB_H

#include "hub_store.h"

/* What `unit` (its subtree, or itself when it has no sub-units) counts for
 * `period`, of any length, by the one rule of proto/README.md ("What each
 * unit contributes to a period"): each unit contributes its report for
 * exactly that period if it filed one; else its sub-periods (halves,
 * quarters, months) combined by kind, flows summed and a stock the last
 * value present; a stock not reported inside the period is the unit's last
 * monthly value earlier in the same year. The figure is the sum of the
 * units' contributions; count[i] is the number of units contributing to
 * indicator i (0: no data). Reads the month totals (agg), the carried
 * stocks at the period's end (carry) and, for periods longer than a month,
 * the few units that filed a longer report inside it (one range scan of
 * cur per such period). Returns BC_OK, BC_ESTORE, or BC_ERANGE when a
 * sum would overflow (checked: never a wrapped number). */
int hub_reader_period(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_figures_t *out);

#endif
