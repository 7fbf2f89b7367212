/*
 * bc_figure.h -- one Figure of a QueryReply (proto/README.md) as an
 * operator reads it: the values as numbers, a rate computed from its
 * parts, and which of them exist.
 *
 * The `baocao query` tool and the operators' desk (baocao-web) both show
 * figures; they read them here, so that a table printed by one and a page
 * of the other cannot disagree on a number (they once did: the desk
 * dropped a rate's target, and a target of 0, which the tool shows).
 *
 * Rules, the same for every reader:
 *   - A count's value, year to date, previous period, same period last
 *     year and year to date last year are the hub's, where present.
 *   - A rate's value and year to date are numerator / denominator x
 *     scale, absent when a part is absent or the denominator is 0. A rate
 *     has no previous or last-year comparison here.
 *   - A target is a target even when it is 0 (zero measles deaths); a
 *     rate's target is in the rate's own units (95 for 95 %). % of plan is
 *     the year to date against the target, one decimal, and is not
 *     defined for a target of 0 (bc_figure_of_plan).
 */
#ifndef BC_FIGURE_H
#define BC_FIGURE_H

#include "baocao.pb-c.h"

#include <stdbool.h>

typedef struct {
    bool has_value, has_cum, has_prev, has_ly, has_cum_ly, has_target;
    double value, cum, prev, ly, cum_ly, target;
    bool is_rate;            /* value and cum are rates, not counts */
} bc_shown_t;

/* The figure f as it is shown (the rules above). */
bc_shown_t bc_figure_shown(const Baocao__Figure *f);

/* % of plan of s, rounded to one decimal as the printed reports give it,
 * into *pct: false (and *pct 0) when the year to date or the target is
 * absent, or the target is 0. */
bool bc_figure_of_plan(const bc_shown_t *s, double *pct);

#endif
