/*
 * hub_figure.c -- one Figure of a QueryReply from a query's figure sets
 * (calls in hub_figure.h).
 *
 * Apart from hub_query.c so that the figures (hub_query.c) and the
 * breakdown rows (hub_breakdown.c) fill a Figure the same way, each
 * depending on this file rather than on each other. A number without
 * data behind it is left absent on the wire, so that a reply with no
 * history or plan stays small.
 */
#include "hub_figure.h"

#include <stddef.h>

/* A number with data behind it, or NULL (absent on the wire: a reply
 * with no history or plan stays small). */
static Baocao__Num *num(Baocao__Num *slot, const hub_figures_t *f, size_t i)
{
    if (f->count[i] == 0)
        return NULL;
    baocao__num__init(slot);
    slot->present = true;
    slot->value = f->value[i];
    return slot;
}

void hub_figure_fill(hub_figure_block_t *b, const bc_indicator_t *ind,
                     const hub_figure_sets_t *s, char *note)
{
    Baocao__Figure *f = &b->fig;
    baocao__figure__init(f);
    f->indicator = ind->code;
    f->name = ind->name;
    f->programme = ind->programme ? ind->programme : "";
    f->kind = (Baocao__IndicatorKind) ind->kind;
    size_t i = ind->idx;
    if (ind->kind != BC_KIND_RATIO) {
        f->value = num(&b->nums[0], &s->value, i);
        f->cumulative = num(&b->nums[1], &s->cum, i);
        f->previous = num(&b->nums[2], &s->prev, i);
        f->last_year = num(&b->nums[3], &s->ly, i);
        f->cumulative_last_year = num(&b->nums[4], &s->cum_ly, i);
        f->target = num(&b->nums[5], &s->target, i);
        f->reporting_units = s->value.count[i];
        f->previous_basis = s->b_prev.basis;
        f->last_year_basis = s->b_ly.basis;
        f->cumulative_basis = s->b_cum.basis;
        f->cumulative_last_year_basis = s->b_cum_ly.basis;
        f->comparison_note = note;
        return;
    }
    /* A ratio: the parts by their own rules; the client divides, and the
     * reply carries the parts so that anyone can check the division. */
    size_t ni = (size_t) ind->numerator, di = (size_t) ind->denominator;
    f->scale = ind->scale;
    f->numerator = num(&b->nums[6], &s->value, ni);
    f->denominator = num(&b->nums[7], &s->value, di);
    f->cumulative_numerator = num(&b->nums[8], &s->cum, ni);
    f->cumulative_denominator = num(&b->nums[9], &s->cum, di);
    /* A rate's own target, in its units (hub_plans.h: never summed). */
    f->target = num(&b->nums[10], &s->target, i);
    /* The units contributing to either part (hub_reader_period). */
    f->reporting_units = s->value.count[i];
}
