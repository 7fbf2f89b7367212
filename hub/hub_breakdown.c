/*
 * hub_breakdown.c -- a query's breakdown rows (issue 17; calls in
 * hub_breakdown.h): `by` and `options` resolved against the catalogue's
 * categories, and one row per combination of the `by` categories'
 * options.
 *
 * Split out of hub_query.c unchanged, so that the figures' file holds how
 * a figure is read and compared, and the breakdown's grouping is found by
 * its name. Breakdown rows are sums of the figure sets' combination
 * slots, which hub_query_figures has already computed like any
 * indicator's: a row by sex adds each sex's combinations over every age,
 * figure by figure (value, year to date, comparisons, target), and a
 * ratio's row adds its parts' combinations before the client divides. A
 * row is filled by hub_figure_fill, as a figure is, from a
 * three-slot set (the row's value and a ratio's two parts).
 */
#include "hub_breakdown.h"

#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A breakdown row: the figure block, then its options. */
typedef struct {
    hub_figure_block_t fb;             /* first: the reply's pointer */
    Baocao__Option opt[2 * BC_MAX_CATS];
    Baocao__Option *optp[2 * BC_MAX_CATS];
} breakdown_block_t;

Baocao__RejectReason hub_breakdown_ask(const bc_registry_t *reg,
                                       const Baocao__Query *q,
                                       hub_breakdown_ask_t *a, char *msg,
                                       size_t msglen)
{
    memset(a, 0, sizeof *a);
    if (q->n_by > BC_MAX_CATS || q->n_options > BC_MAX_CATS) {
        snprintf(msg, msglen, "at most %d categories in `by` and %d "
                 "options", BC_MAX_CATS, BC_MAX_CATS);
        return BAOCAO__REJECT_REASON__REASON_BAD_REQUEST;
    }
    for (size_t i = 0; i < q->n_by; i++) {
        const bc_category_t *c = bc_registry_find_category(reg, q->by[i]);
        if (!c) {
            snprintf(msg, msglen, "unknown category '%.40s'", q->by[i]);
            return BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION;
        }
        for (size_t j = 0; j < a->nby; j++)
            if (a->by[j] == c->idx) {
                snprintf(msg, msglen, "category %s named twice", c->code);
                return BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION;
            }
        a->by[a->nby++] = c->idx;
    }
    for (size_t i = 0; i < q->n_options; i++) {
        const Baocao__Option *o = q->options[i];
        const bc_category_t *c = bc_registry_find_category(reg, o->category);
        int opt = bc_registry_find_option(c, o->option);
        if (!c || opt < 0) {
            snprintf(msg, msglen, "unknown %s '%.40s%s%.40s'",
                     c ? "option" : "category", o->category, c ? "=" : "",
                     c ? o->option : "");
            return BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION;
        }
        for (size_t j = 0; j < a->nf; j++)
            if (a->fcat[j] == c->idx) {
                snprintf(msg, msglen, "two options for %s", c->code);
                return BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION;
            }
        a->fcat[a->nf] = c->idx;
        a->fopt[a->nf++] = (uint32_t) opt;
    }
    return BAOCAO__REJECT_REASON__REASON_NONE;
}

/* The position of category `cat` in ind's categories, or -1. */
static int cat_pos(const bc_indicator_t *ind, uint32_t cat)
{
    for (uint32_t k = 0; k < ind->ncats; k++)
        if (ind->cats[k] == cat)
            return (int) k;
    return -1;
}

/* Adds slot `from` of each set into slot `to` of g's (values summed,
 * counts the largest: a report gives every combination or none, so each
 * combination of an indicator has the same reporters). */
static int group_add(hub_figure_sets_t *g, size_t to,
                     const hub_figure_sets_t *s, size_t from)
{
    hub_figures_t *gs[] = {&g->value, &g->cum, &g->prev, &g->ly, &g->cum_ly,
                           &g->target};
    const hub_figures_t *ss[] = {&s->value, &s->cum, &s->prev, &s->ly,
                                 &s->cum_ly, &s->target};
    for (size_t k = 0; k < 6; k++) {
        if (!ss[k]->count[from])
            continue;
        if (bc_add_checked(gs[k]->value[to], ss[k]->value[from],
                           &gs[k]->value[to]))
            return BC_ERANGE;
        if (ss[k]->count[from] > gs[k]->count[to])
            gs[k]->count[to] = ss[k]->count[from];
    }
    return BC_OK;
}

int hub_breakdown_rows(const bc_registry_t *reg, const bc_indicator_t *w,
                       const hub_breakdown_ask_t *a,
                       const hub_figure_sets_t *s, char *note,
                       Baocao__Figure **rows, size_t *nrows)
{
    int bypos[BC_MAX_CATS], fpos[BC_MAX_CATS];
    uint32_t ngroups = 1;
    for (size_t i = 0; i < a->nby; i++) {
        if ((bypos[i] = cat_pos(w, a->by[i])) < 0)
            return BC_OK;   /* not broken down by it: no rows */
        ngroups *= bc_registry_category(reg, a->by[i])->nopts;
    }
    for (size_t i = 0; i < a->nf; i++)
        if ((fpos[i] = cat_pos(w, a->fcat[i])) < 0)
            return BC_OK;
    /* The group's parts in slots 0 (the figure), 1 and 2 (a ratio's). */
    const bc_indicator_t *nu = NULL, *de = NULL;
    if (w->kind == BC_KIND_RATIO) {
        nu = bc_registry_indicator(reg, (uint32_t) w->numerator);
        de = bc_registry_indicator(reg, (uint32_t) w->denominator);
    }
    int rc = BC_OK;
    for (uint32_t gi = 0; gi < ngroups && !rc; gi++) {
        uint32_t gopt[BC_MAX_CATS], rest = gi;
        for (size_t i = a->nby; i-- > 0;) {
            uint32_t no = bc_registry_category(reg, a->by[i])->nopts;
            gopt[i] = rest % no;
            rest /= no;
        }
        hub_figure_sets_t g;
        hub_figures_t *gs[] = {&g.value, &g.cum, &g.prev, &g.ly, &g.cum_ly,
                               &g.target};
        for (size_t k = 0; k < 6; k++)
            hub_figures_init(gs[k], 3);
        g.b_prev = s->b_prev;
        g.b_ly = s->b_ly;
        g.b_cum = s->b_cum;
        g.b_cum_ly = s->b_cum_ly;
        for (uint32_t c = 0; c < w->ncombos && !rc; c++) {
            const bc_indicator_t *x =
                bc_registry_indicator(reg, w->first_combo + c);
            bool match = true;
            for (size_t i = 0; i < a->nby && match; i++)
                match = x->opts[bypos[i]] == gopt[i];
            for (size_t i = 0; i < a->nf && match; i++)
                match = x->opts[fpos[i]] == a->fopt[i];
            if (!match)
                continue;
            rc = group_add(&g, 0, s, x->idx);
            if (!rc && nu)
                rc = group_add(&g, 1, s, nu->first_combo + c);
            if (!rc && de)
                rc = group_add(&g, 2, s, de->first_combo + c);
        }
        if (nu)   /* a rate's target is its own, never summed */
            g.target.count[0] = 0;
        if (!rc) {
            bc_indicator_t fake = *w;
            fake.idx = 0;
            fake.numerator = 1;
            fake.denominator = 2;
            breakdown_block_t *b = bc_calloc(1, sizeof *b);
            hub_figure_fill(&b->fb, &fake, &g, note);
            size_t no = 0;
            for (size_t i = 0; i < a->nby; i++, no++) {
                const bc_category_t *cat =
                    bc_registry_category(reg, a->by[i]);
                baocao__option__init(&b->opt[no]);
                b->opt[no].category = cat->code;
                b->opt[no].option = cat->opts[gopt[i]];
            }
            for (size_t i = 0; i < a->nf; i++, no++) {
                const bc_category_t *cat =
                    bc_registry_category(reg, a->fcat[i]);
                baocao__option__init(&b->opt[no]);
                b->opt[no].category = cat->code;
                b->opt[no].option = cat->opts[a->fopt[i]];
            }
            for (size_t i = 0; i < no; i++)
                b->optp[i] = &b->opt[i];
            b->fb.fig.n_options = no;
            b->fb.fig.options = b->optp;
            rows[(*nrows)++] = &b->fb.fig;
        }
        for (size_t k = 0; k < 6; k++)
            hub_figures_free(gs[k]);
    }
    return rc;
}
