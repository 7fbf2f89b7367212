/*
 * hub_history.c -- period-dependent ancestors (see hub_history.h).
 *
 * The walk is the registry's month lookup repeated up the tree: each unit
 * has a handful of rows at most, so a linear scan per level costs less
 * than any index, and the loader has already refused a month whose tree
 * has a cycle or is deeper than BC_MAX_LEVELS, so the walk ends.
 */
#include "hub_history.h"

size_t hub_history_targets(const bc_registry_t *reg, const bc_unit_t *u,
                           bc_period_t period, const bc_unit_t **out,
                           size_t max)
{
    int32_t m = bc_registry_month(period);
    size_t n = 0;

    if (!bc_registry_span_at(u, m))
        return 0;
    if (u->nchildren && n < max)
        out[n++] = u;
    for (const bc_unit_t *p = bc_registry_parent_at(reg, u, m); p && n < max;
         p = bc_registry_parent_at(reg, p, m))
        out[n++] = p;
    return n;
}
