/*
 * bc_history.c -- the registry as a history: its rows' validity, their
 * successors, and the trees they describe month by month (issue 12).
 *
 * Design: a unit's rows are spans sorted by month and never overlapping,
 * so "the row of month m" is a scan of a handful of spans, and every
 * month-dependent question (the parent then, within a subtree then, valid
 * for a whole period) is that scan repeated up the tree: no index, no
 * cache to keep in step. What the loader (bc_registry.c) needs checked
 * before a file is accepted lives here too, so that the rules of history
 * sit in one file: months parse, rows of one code do not overlap, a
 * replaced_by names known units with shares that sum to 1, and no month's
 * tree has a cycle or is deeper than BC_MAX_LEVELS. A tree changes only in
 * a month where some row starts, so those months are the only trees to
 * check. Errors name the file, the line and the problem.
 */
#include "bc_history.h"

#include "bc_error.h"
#include "bc_mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what the loader checks --------------------------------------------- */

/* "YYYY-MM" to a month number; "" gives dflt. -1 if malformed. */
int bc_history_parse_month(const char *s, int32_t dflt, int32_t *out)
{
    bc_period_t p;

    if (s[0] == '\0') {
        *out = dflt;
        return 0;
    }
    if (bc_period_parse(s, &p) != 0 || bc_period_type(p) != BC_PT_MONTH)
        return -1;
    *out = bc_registry_month(p);
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const bc_span_t *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

/* Its spans are sorted and disjoint, so walk them once. */
bool bc_history_spans_cover(const bc_unit_t *u, int32_t from, int32_t to)
{
    int64_t cur = from;

    for (uint32_t i = 0; i < u->nspans && cur <= to; i++) {
        const bc_span_t *sp = &u->spans[i];
        if (sp->from <= cur && sp->to >= cur)
            cur = (int64_t) sp->to + 1;
    }
    return cur > to;
}

int bc_history_parse_successors(const bc_registry_t *reg, const char *path,
                                bc_unit_t *u, bc_span_t *sp,
                                const char *field, char *err, size_t errlen)
{
    char *copy = bc_strdup(field), *save = NULL, *tok;
    double sum = 0;
    uint32_t with_share = 0;
    int rc = -1;

    for (const char *c = field; *c; c++)
        if (*c == ';')
            sp->nsucc++;
    sp->nsucc++;
    sp->succ = bc_calloc(sp->nsucc, sizeof *sp->succ);
    sp->nsucc = 0;
    for (tok = strtok_r(copy, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        bc_successor_t *sc = &sp->succ[sp->nsucc];
        char *colon = strchr(tok, ':'), *end;
        int64_t idx;

        while (*tok == ' ')
            tok++;
        if (colon) {
            *colon = '\0';
            sc->share = strtod(colon + 1, &end);
            if (colon[1] == '\0' || *end != '\0' || !isfinite(sc->share) ||
                sc->share <= 0 || sc->share > 1) {
                bc_set_error(err, errlen, "%s:%zu: replaced_by of %s: share "
                        "'%s' of %s is not a fraction in (0, 1]", path,
                        sp->line, u->code, colon + 1, tok);
                goto out;
            }
            sc->has_share = true;
            sum += sc->share;
            with_share++;
        }
        const bc_unit_t *named = bc_registry_find_unit(reg, tok);
        idx = named ? (int64_t) named->idx : -1;
        if (idx < 0) {
            bc_set_error(err, errlen, "%s:%zu: replaced_by of %s names an "
                    "unknown unit '%s'", path, sp->line, u->code, tok);
            goto out;
        }
        if ((uint32_t) idx == u->idx) {
            bc_set_error(err, errlen, "%s:%zu: %s is replaced by itself",
                    path, sp->line, u->code);
            goto out;
        }
        for (uint32_t j = 0; j < sp->nsucc; j++)
            if (sp->succ[j].unit == (uint32_t) idx) {
                bc_set_error(err, errlen, "%s:%zu: replaced_by of %s names "
                        "%s twice", path, sp->line, u->code, tok);
                goto out;
            }
        sc->unit = (uint32_t) idx;
        sp->nsucc++;
    }
    if (sp->nsucc == 0) {
        bc_set_error(err, errlen, "%s:%zu: replaced_by of %s names no unit",
                path, sp->line, u->code);
        goto out;
    }
    if (with_share && with_share != sp->nsucc) {
        bc_set_error(err, errlen, "%s:%zu: replaced_by of %s gives shares "
                "to some successors only: give every one a share, or none",
                path, sp->line, u->code);
        goto out;
    }
    /* Shares are written with a few decimals (0.33;0.33;0.34): a sum a
     * millionth off 1 is rounding, more is a mistake. */
    if (with_share && fabs(sum - 1.0) > 1e-6) {
        bc_set_error(err, errlen, "%s:%zu: the shares in replaced_by of %s "
                "sum to %g, not 1", path, sp->line, u->code, sum);
        goto out;
    }
    rc = 0;

out:
    free(copy);
    return rc;
}

/* Checks the tree of month m for cycles and depth, and sets the depth of
 * the units whose latest row starts at m. state and chain hold nunits. */
static int check_tree(const bc_registry_t *reg, const char *path, int32_t m,
                      uint8_t *state, uint32_t *chain, char *err,
                      size_t errlen)
{
    size_t nunits = bc_registry_nunits(reg);
    uint32_t *depth = bc_calloc(nunits, sizeof *depth);
    int rc = -1;

    memset(state, 0, nunits);        /* 0 new, 1 on walk, 2 done */
    /* Each unit is visited once: walk up until a unit whose depth is
     * known (or a root), then assign depths on the way back down. Meeting
     * a unit of the current walk is a cycle. */
    for (size_t r = 0; r < nunits; r++) {
        size_t n = 0;
        const bc_unit_t *cur = bc_registry_unit(reg, (uint32_t) r);
        uint32_t d;

        if (!bc_registry_span_at(cur, m))
            continue;
        while (cur && state[cur->idx] == 0) {
            state[cur->idx] = 1;
            chain[n++] = cur->idx;
            cur = bc_registry_parent_at(reg, cur, m);
        }
        if (cur && state[cur->idx] == 1) {
            bc_set_error(err, errlen, "%s:%zu: unit %s is its own ancestor (a "
                    "cycle through parent_code)", path,
                    bc_registry_span_at(cur, m)->line, cur->code);
            goto out;
        }
        d = cur ? depth[cur->idx] + 1 : 0;
        while (n > 0) {
            uint32_t i = chain[--n];
            if (d >= BC_MAX_LEVELS) {
                bc_set_error(err, errlen, "%s:%zu: unit %s is %u levels "
                        "deep; the hierarchy may have at most %d levels",
                        path,
                        bc_registry_span_at(bc_registry_unit(reg, i), m)->line,
                        bc_registry_unit(reg, i)->code, d + 1,
                        BC_MAX_LEVELS);
                goto out;
            }
            depth[i] = d++;
            state[i] = 2;
        }
    }
    for (size_t r = 0; r < nunits; r++) {
        bc_unit_t *u = bc_registry_unit(reg, (uint32_t) r);
        if (u->spans[u->nspans - 1].from == m)
            u->depth = depth[r];
    }
    rc = 0;

out:
    free(depth);
    return rc;
}


int bc_history_sort_spans(bc_unit_t *u, const char *path, char *err,
                          size_t errlen)
{
    qsort(u->spans, u->nspans, sizeof *u->spans, cmp_span);
    for (uint32_t k = 1; k < u->nspans; k++)
        if (u->spans[k].from <= u->spans[k - 1].to) {
            size_t a = u->spans[k - 1].line, b = u->spans[k].line;
            bc_set_error(err, errlen, "%s:%zu: duplicate unit code %s "
                    "(first on line %zu) with overlapping validity: "
                    "give the rows valid_from and valid_to that do not "
                    "overlap", path, a > b ? a : b, u->code,
                    a > b ? b : a);
            return -1;
        }
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;
    return x < y ? -1 : x > y;
}

int bc_history_check_trees(bc_registry_t *reg, const char *path,
                           int32_t *latest, char *err, size_t errlen)
{
    /* The tree changes only in a month where some row starts, so checking
     * those months checks them all. */
    size_t nunits = bc_registry_nunits(reg), nstarts = 0, nspans = 0;
    int rc = 0;
    for (size_t i = 0; i < nunits; i++)
        nspans += bc_registry_unit(reg, (uint32_t) i)->nspans;
    int32_t *starts = bc_malloc((nspans ? nspans : 1) * sizeof *starts);
    for (size_t i = 0; i < nunits; i++) {
        const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
        for (uint32_t k = 0; k < u->nspans; k++)
            starts[nstarts++] = u->spans[k].from;
    }
    qsort(starts, nstarts, sizeof *starts, cmp_i32);
    uint8_t *state = bc_malloc(nunits ? nunits : 1);
    uint32_t *chain = bc_malloc((nunits ? nunits : 1) * sizeof *chain);
    for (size_t j = 0; j < nstarts && !rc; j++) {
        if (j && starts[j] == starts[j - 1])
            continue;
        rc = check_tree(reg, path, starts[j], state, chain, err, errlen);
        if (!rc)
            *latest = starts[j];
    }
    free(chain);
    free(state);
    free(starts);
    return rc;
}

void bc_history_link_predecessors(bc_registry_t *reg)
{
    size_t nunits = bc_registry_nunits(reg);
    /* Two passes: count, then fill. */
    for (size_t pass = 0; pass < 2; pass++) {
        if (pass == 1)
            for (size_t q = 0; q < nunits; q++) {
                bc_unit_t *s = bc_registry_unit(reg, (uint32_t) q);
                s->preds = s->npreds ? bc_malloc(s->npreds * sizeof *s->preds)
                                     : NULL;
                s->npreds = 0;
            }
        for (size_t i = 0; i < nunits; i++) {
            const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
            const bc_span_t *last = &u->spans[u->nspans - 1];
            for (uint32_t j = 0; j < last->nsucc; j++) {
                bc_unit_t *s = bc_registry_unit(reg, last->succ[j].unit);
                if (pass == 1)
                    s->preds[s->npreds] = (uint32_t) i;
                s->npreds++;
            }
        }
    }
}

bool bc_history_any(const bc_registry_t *reg)
{
    for (size_t i = 0; i < bc_registry_nunits(reg); i++) {
        const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
        if (u->nspans > 1 || u->spans[0].from != BC_MONTH_OPEN_FROM
            || u->spans[0].to != BC_MONTH_OPEN_TO)
            return true;
    }
    return false;
}

/* ---- the month-dependent questions (bc_registry.h) --------------------- */

int32_t bc_registry_month(bc_period_t p)
{
    unsigned first, last;

    bc_period_months(p, &first, &last);
    return (int32_t) (bc_period_year(p) * 12 + first - 1);
}

char *bc_registry_month_format(int32_t m, char *buf, size_t len)
{
    if (m == BC_MONTH_OPEN_FROM)
        snprintf(buf, len, "ever");
    else if (m == BC_MONTH_OPEN_TO)
        snprintf(buf, len, "open");
    else
        snprintf(buf, len, "%04d-%02d", m / 12, m % 12 + 1);
    return buf;
}

const bc_span_t *bc_registry_span_at(const bc_unit_t *unit, int32_t m)
{
    if (!unit)
        return NULL;
    /* A unit has a handful of rows at most: a linear scan beats a search. */
    for (uint32_t k = 0; k < unit->nspans; k++)
        if (unit->spans[k].from <= m && m <= unit->spans[k].to)
            return &unit->spans[k];
    return NULL;
}

bool bc_registry_valid_in(const bc_unit_t *unit, bc_period_t p)
{
    unsigned first, last;
    int32_t m;

    if (!unit)
        return false;
    bc_period_months(p, &first, &last);
    m = bc_registry_month(p);
    return bc_history_spans_cover(unit, m, m + (int32_t) (last - first));
}

const bc_unit_t *bc_registry_parent_at(const bc_registry_t *self,
                                       const bc_unit_t *unit, int32_t m)
{
    const bc_span_t *sp = bc_registry_span_at(unit, m);

    if (!self || !sp || sp->parent < 0)
        return NULL;
    return bc_registry_unit(self, (uint32_t) sp->parent);
}

bool bc_registry_is_within_at(const bc_registry_t *self,
                              const bc_unit_t *unit,
                              const bc_unit_t *ancestor, int32_t m)
{
    if (!self || !ancestor || !bc_registry_span_at(ancestor, m))
        return false;
    /* The loader checked every month's tree for cycles and depth. */
    for (; unit; unit = bc_registry_parent_at(self, unit, m))
        if (unit == ancestor)
            return bc_registry_span_at(unit, m) != NULL;
    return false;
}

char *bc_registry_validity(const bc_registry_t *self, const bc_unit_t *unit,
                           char *buf, size_t len)
{
    const bc_span_t *first = &unit->spans[0];
    const bc_span_t *last = &unit->spans[unit->nspans - 1];
    char a[16], b[16];
    size_t n;

    if (first->from == BC_MONTH_OPEN_FROM && last->to == BC_MONTH_OPEN_TO)
        n = (size_t) snprintf(buf, len, "valid always");
    else if (last->to == BC_MONTH_OPEN_TO)
        n = (size_t) snprintf(buf, len, "valid from %s",
                              bc_registry_month_format(first->from, a,
                                                       sizeof a));
    else if (first->from == BC_MONTH_OPEN_FROM)
        n = (size_t) snprintf(buf, len, "ended %s",
                              bc_registry_month_format(last->to, b,
                                                       sizeof b));
    else
        n = (size_t) snprintf(buf, len, "valid %s to %s",
                              bc_registry_month_format(first->from, a,
                                                       sizeof a),
                              bc_registry_month_format(last->to, b,
                                                       sizeof b));
    /* A gap between rows (a unit suspended, then restored) is rare enough
     * that "from..to" names the whole life; the successors are the last
     * row's. */
    for (uint32_t j = 0; j < last->nsucc && n < len; j++)
        n += (size_t) snprintf(buf + n, len - n, "%s%s", j ? ", " :
                               "; replaced by ",
                               bc_registry_unit(self,
                                                last->succ[j].unit)->code);
    return buf;
}

