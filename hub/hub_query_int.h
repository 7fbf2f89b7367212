/*
 * hub_query_int.h -- the figures of a query's answer, shared by
 * hub_query.c (the figures) and hub_breakdown.c (the breakdown rows, made
 * like figures). Nothing else includes it; the rest of the hub sees only
 * hub_query.h.
 */
#ifndef HUB_QUERY_INT_H
#define HUB_QUERY_INT_H

#include "hub_query.h"
#include "hub_history.h"

#include "baocao.pb-c.h"
#include "bc_registry.h"

/* The six figure sets behind a query's answer. */
typedef struct {
    hub_figures_t value, cum, prev, ly, cum_ly, target;
    hub_basis_t b_prev, b_ly, b_cum, b_cum_ly;  /* how each comparison was
                                                   computed (history) */
} figure_sets_t;

/* Each Figure is allocated together with its Num fields in one block. */
typedef struct {
    Baocao__Figure fig;        /* the figure */
    Baocao__Num nums[13];      /* storage for its Num fields */
} figure_block_t;

/* Fills b's figure for indicator ind from the sets s (slot ind->idx; a
 * ratio's parts from slots ind->numerator and ind->denominator), with
 * `note` as its comparison note. Its strings point into ind and note. */
void hub_query_fill_figure(figure_block_t *b, const bc_indicator_t *ind,
                           const figure_sets_t *s, char *note);

#endif
