/*
 * hub_figure.h -- one Figure of a QueryReply (proto/README.md) from the
 * figure sets a query reads, for hub_query.c (the figures) and
 * hub_breakdown.c (the breakdown rows, made like figures). The rest of
 * the hub asks through hub_query_figures.
 */
#ifndef HUB_FIGURE_H
#define HUB_FIGURE_H

#include "hub_history.h"
#include "hub_store.h"

#include "baocao.pb-c.h"
#include "bc_registry.h"

/* The six figure sets behind a query's answer. */
typedef struct {
    hub_figures_t value, cum, prev, ly, cum_ly, target;  /* the period,
                                                   year to date, previous
                                                   period, last year, last
                                                   year to date, targets */
    hub_basis_t b_prev, b_ly, b_cum, b_cum_ly;  /* how each comparison was
                                                   computed (history) */
} hub_figure_sets_t;

/* Each Figure is allocated together with its Num fields in one block. */
typedef struct {
    Baocao__Figure fig;        /* the figure */
    Baocao__Num nums[13];      /* storage for its Num fields */
} hub_figure_block_t;

/* Fills b's figure for indicator ind from the sets s (slot ind->idx; a
 * ratio's parts from slots ind->numerator and ind->denominator), with
 * `note` as its comparison note. Its strings point into ind and note. */
void hub_figure_fill(hub_figure_block_t *b, const bc_indicator_t *ind,
                     const hub_figure_sets_t *s, char *note);

#endif
