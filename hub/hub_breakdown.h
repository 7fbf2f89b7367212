/*
 * hub_breakdown.h -- a query's breakdown (issue 17), for hub_query.c only:
 * what Query.by and Query.options ask, and the rows answering them
 * (proto/README.md, "Breakdowns (issue 17)"). The rest of the hub asks through
 * hub_query_figures.
 */
#ifndef HUB_BREAKDOWN_H
#define HUB_BREAKDOWN_H

#include "hub_figure.h"

#include "baocao.pb-c.h"
#include "bc_registry.h"

#include <stddef.h>
#include <stdint.h>

/* What a query's `by` and `options` ask, as categories and options. */
typedef struct {
    uint32_t by[BC_MAX_CATS];          /* category idx */
    size_t nby;                        /* length of by */
    uint32_t fcat[BC_MAX_CATS];        /* filter: category idx */
    uint32_t fopt[BC_MAX_CATS];        /* and its option */
    size_t nf;                         /* length of fcat and fopt */
} hub_breakdown_ask_t;

/* Resolves q->by (categories to group by) and q->options (an option of a
 * category to keep) into a, against the catalogue reg. REASON_NONE, or
 * the reason with a message in msg: more than BC_MAX_CATS of either
 * (REASON_BAD_REQUEST), an unknown category or option, a category named
 * twice in `by`, two options for one category
 * (REASON_UNKNOWN_COMBINATION). */
Baocao__RejectReason hub_breakdown_ask(const bc_registry_t *reg,
                                       const Baocao__Query *q,
                                       hub_breakdown_ask_t *a, char *msg,
                                       size_t msglen);

/* The breakdown rows of one asked indicator: one per combination of the
 * `by` categories' options, each summing the combinations that have
 * them and the filter's options. Appends to rows (room for w->ncombos),
 * each a block the caller frees with free(); note is every row's
 * comparison_note. An indicator not broken down by every asked category
 * gives no rows. BC_OK, or BC_ERANGE when a sum would overflow. */
int hub_breakdown_rows(const bc_registry_t *reg, const bc_indicator_t *w,
                       const hub_breakdown_ask_t *a,
                       const hub_figure_sets_t *s, char *note,
                       Baocao__Figure **rows, size_t *nrows);

#endif
