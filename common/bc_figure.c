/*
 * bc_figure.c -- a Figure as an operator reads it (rules in bc_figure.h).
 */
#include "bc_figure.h"

#include <math.h>

static bool rate(const Baocao__Num *num, const Baocao__Num *den,
                 double scale, double *out)
{
    if (!num || !den || !num->present || !den->present || den->value == 0)
        return false;
    *out = (double) num->value / (double) den->value * scale;
    return true;
}

static bool get(const Baocao__Num *n, double *out)
{
    if (!n || !n->present)
        return false;
    *out = (double) n->value;
    return true;
}

bc_shown_t bc_figure_shown(const Baocao__Figure *f)
{
    bc_shown_t s = {0};
    if (f->kind == BAOCAO__INDICATOR_KIND__KIND_RATIO) {
        s.is_rate = true;
        s.has_value = rate(f->numerator, f->denominator, f->scale, &s.value);
        s.has_cum = rate(f->cumulative_numerator, f->cumulative_denominator,
                         f->scale, &s.cum);
        s.has_target = get(f->target, &s.target);
        return s;
    }
    s.has_value = get(f->value, &s.value);
    s.has_cum = get(f->cumulative, &s.cum);
    s.has_prev = get(f->previous, &s.prev);
    s.has_ly = get(f->last_year, &s.ly);
    s.has_cum_ly = get(f->cumulative_last_year, &s.cum_ly);
    s.has_target = get(f->target, &s.target);
    return s;
}

bool bc_figure_of_plan(const bc_shown_t *s, double *pct)
{
    *pct = 0;
    if (!s->has_cum || !s->has_target || s->target == 0)
        return false;
    *pct = round(s->cum / s->target * 1000.0) / 10.0;
    return true;
}
