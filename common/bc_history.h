/*
 * bc_history.h -- the registry's history rules, for its loader
 * (bc_registry.c) only: the rest of the system asks the month-dependent
 * questions through bc_registry.h (bc_registry_span_at, _parent_at, ...),
 * which bc_history.c answers.
 *
 * Every check returns 0, or -1 with a message in err naming the file
 * (`path`), the line and the problem.
 */
#ifndef BC_HISTORY_H
#define BC_HISTORY_H

#include "bc_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM" to a month number; "" gives dflt. -1 if malformed. */
int bc_history_parse_month(const char *s, int32_t dflt, int32_t *out);

/* Sorts a unit's spans by month; -1 if two overlap (a duplicate code). */
int bc_history_sort_spans(bc_unit_t *u, const char *path, char *err,
                          size_t errlen);

/* True if u is valid in every month of [from, to]. */
bool bc_history_spans_cover(const bc_unit_t *u, int32_t from, int32_t to);

/* Parses a replaced_by field into sp (successors, shares): known units,
 * not u itself, none twice, shares for all or none, summing to 1. Every
 * code of the file must be indexed already. */
int bc_history_parse_successors(const bc_registry_t *reg, const char *path,
                                bc_unit_t *u, bc_span_t *sp,
                                const char *field, char *err, size_t errlen);

/* Checks every tree the file describes for cycles and depth, sets each
 * unit's depth (in its latest row's tree) and *latest, the latest month
 * any row starts (today's tree). Parents must be resolved. */
int bc_history_check_trees(bc_registry_t *reg, const char *path,
                           int32_t *latest, char *err, size_t errlen);

/* Fills each unit's preds: the units whose latest row's replaced_by names
 * it. */
void bc_history_link_predecessors(bc_registry_t *reg);

/* True if some unit has more than one row, a bounded row or successors. */
bool bc_history_any(const bc_registry_t *reg);

#endif
