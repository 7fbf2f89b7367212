/*
 * hub_history.h -- the registry as a history, as the hub's rooms see it.
 *
 * The registry (bc_registry.h) says which units were valid in which
 * months and where each hung. This room turns that into what the store
 * needs: the units whose totals a report counts in (its unit's ancestors
 * in the tree of the report's period, not today's tree), so that editing
 * the registry never moves a past figure to where it did not belong.
 *
 * It owns no database: it reads the registry only, so hub_rollup.c (agg,
 * carry, units) and hub_query.c call it with their own transactions.
 */
#ifndef HUB_HISTORY_H
#define HUB_HISTORY_H

#include "bc_period.h"
#include "bc_registry.h"

#include <stddef.h>

/* Fills out[] (at most max) with the units whose totals include u's
 * report for `period`: u itself when it has children in any month (its
 * own figures add to its subtree's), then each ancestor in the tree of
 * the period's first month. Returns the number written: 0 when u is alone
 * (no children ever, a root then), and 0 when u is not valid in that
 * month (a unit that ended carries nothing forward; its successors do). */
size_t hub_history_targets(const bc_registry_t *reg, const bc_unit_t *u,
                           bc_period_t period, const bc_unit_t **out,
                           size_t max);

#endif
