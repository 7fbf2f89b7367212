/*
 * bc_registry_indicators.c -- the catalogue: indicators, their kinds and
 * ratios' parts, and the combination slots of the indicators broken down
 * by category (issue 17), after the catalogue's own (design in
 * bc_registry.c).
 */
#include "bc_registry_int.h"

#include "bc_categories.h"
#include "bc_error.h"
#include "bc_history.h"
#include "bc_mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- breakdowns (issue 17) --------------------------------------------
 * The categories, their combinations' options and codes are
 * bc_categories.c's; the registry holds the slots and indexes their
 * codes. */

/* Writes the combination slots of total `t` from slot `at` on. */
static void make_combos(bc_registry_t *reg, uint32_t t, uint32_t at)
{
    bc_indicator_t *ind = &reg->inds[t];
    ind->first_combo = at;
    for (uint32_t c = 0; c < ind->ncombos; c++) {
        bc_indicator_t *x = &reg->inds[at + c];
        *x = *ind;
        x->idx = at + c;
        x->total = (int32_t) t;
        x->ncombos = x->first_combo = 0;
        x->numerator = x->denominator = -1;
        bc_categories_combo_opts(reg->cats, ind, c, x->opts);
        x->code = bc_categories_combo_code(reg->cats, ind, x->opts);
        x->name = bc_strdup(ind->name);
        x->programme = bc_strdup(ind->programme);
        bc_code_index_put(reg->ind_index, x->code, x->idx);
    }
}

/* ---- indicators ------------------------------------------------------- */

static int parse_kind(const char *s, bc_kind_t *out)
{
    if (strcmp(s, "flow") == 0)
        *out = BC_KIND_FLOW;
    else if (strcmp(s, "stock") == 0)
        *out = BC_KIND_STOCK;
    else if (strcmp(s, "ratio") == 0)
        *out = BC_KIND_RATIO;
    else
        return -1;
    return 0;
}

int bc_registry_load_indicators(bc_registry_t *reg, const char *path,
                                const char *data, size_t len, char *err,
                                size_t errlen)
{
    bc_csv_t *csv = NULL;
    int c_code, c_name, c_kind, c_num, c_den, c_scale, c_prog, c_cats;
    int rc = -1;
    size_t ncombos = 0;

    csv = bc_registry_open_csv(path, data, len, err, errlen);
    if (!csv)
        goto out;

    /* Step 1: the columns. */
    c_code = bc_csv_column(csv, "code");
    c_name = bc_csv_column(csv, "name");
    c_kind = bc_csv_column(csv, "kind");
    c_num = bc_csv_column(csv, "numerator");
    c_den = bc_csv_column(csv, "denominator");
    c_scale = bc_csv_column(csv, "scale");
    c_prog = bc_csv_column(csv, "programme");
    c_cats = bc_csv_column(csv, "categories");
    if (c_code < 0 || c_name < 0 || c_kind < 0 || c_num < 0 || c_den < 0 ||
        c_scale < 0) {
        bc_set_error(err, errlen, "%s:1: the header needs the columns code, "
                "name, kind, numerator, denominator and scale", path);
        goto out;
    }
    if (bc_csv_rows(csv) == 0) {
        bc_set_error(err, errlen, "%s: no indicators", path);
        goto out;
    }
    if (bc_csv_rows(csv) > UINT32_MAX / 2) {
        bc_set_error(err, errlen, "%s: too many indicators", path);
        goto out;
    }

    /* Step 2: one indicator per row. */
    reg->ninds = bc_csv_rows(csv);
    reg->inds = bc_calloc(reg->ninds, sizeof *reg->inds);
    reg->ind_index = bc_code_index_new(reg->ninds);
    for (size_t r = 0; r < reg->ninds; r++) {
        bc_indicator_t *ind = &reg->inds[r];
        size_t line = bc_csv_line(csv, r);
        const char *code = bc_csv_field(csv, r, c_code);
        const char *kind = bc_csv_field(csv, r, c_kind);
        int64_t dup;

        ind->idx = (uint32_t) r;
        ind->numerator = ind->denominator = -1;
        ind->total = -1;
        ind->code = bc_strdup(code);
        ind->name = bc_strdup(bc_csv_field(csv, r, c_name));
        ind->programme = bc_strdup(bc_csv_field(csv, r, c_prog));
        if (!bc_registry_code_ok(code)) {
            bc_set_error(err, errlen, "%s:%zu: bad indicator code '%s' (1 to %d "
                    "of A-Z a-z 0-9 - _ .)", path, line, code, CODE_MAX);
            goto out;
        }
        if (ind->name[0] == '\0') {
            bc_set_error(err, errlen, "%s:%zu: indicator %s has no name", path,
                    line, code);
            goto out;
        }
        if (parse_kind(kind, &ind->kind) < 0) {
            bc_set_error(err, errlen, "%s:%zu: indicator %s has an unknown kind "
                    "'%s' (flow, stock or ratio)", path, line, code, kind);
            goto out;
        }
        dup = bc_code_index_put(reg->ind_index, ind->code, ind->idx);
        if (dup >= 0) {
            bc_set_error(err, errlen, "%s:%zu: duplicate indicator code %s "
                    "(first on line %zu)", path, line, code,
                    bc_csv_line(csv, (size_t) dup));
            goto out;
        }
        const char *cats = bc_csv_field(csv, r, c_cats);
        if (cats[0]) {
            ind->ncombos = (uint32_t) bc_categories_parse_list(
                reg->cats, reg->ncats, ind, cats, path, line, err, errlen);
            if (!ind->ncombos)
                goto out;
            ncombos += ind->ncombos;
        }
    }
    reg->ncatalogue = reg->ninds;

    /* Step 3: ratio parts, now that every code is known. A part must be a
     * count: a ratio of ratios has no meaningful sum to aggregate. */
    for (size_t r = 0; r < reg->ninds; r++) {
        bc_indicator_t *ind = &reg->inds[r];
        size_t line = bc_csv_line(csv, r);
        const char *num = bc_csv_field(csv, r, c_num);
        const char *den = bc_csv_field(csv, r, c_den);
        const char *scale = bc_csv_field(csv, r, c_scale);
        int64_t n, d;
        char *end;

        if (ind->kind != BC_KIND_RATIO) {
            if (num[0] || den[0] || scale[0]) {
                bc_set_error(err, errlen, "%s:%zu: %s is not a ratio: leave "
                        "numerator, denominator and scale empty", path,
                        line, ind->code);
                goto out;
            }
            continue;
        }
        n = bc_code_index_get(reg->ind_index, num, strlen(num));
        d = bc_code_index_get(reg->ind_index, den, strlen(den));
        if (n < 0 || d < 0) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s has an unknown %s '%s'",
                    path, line, ind->code,
                    n < 0 ? "numerator" : "denominator", n < 0 ? num : den);
            goto out;
        }
        if (reg->inds[n].kind == BC_KIND_RATIO ||
            reg->inds[d].kind == BC_KIND_RATIO) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s is built on another "
                    "ratio; its parts must be flow or stock counts", path,
                    line, ind->code);
            goto out;
        }
        ind->numerator = (int32_t) n;
        ind->denominator = (int32_t) d;
        ind->scale = strtod(scale, &end);
        /* Bounded so that any rate of checked totals stays finite and
         * exact enough in a double (bc_limits.h). */
        if (scale[0] == '\0' || *end != '\0' || !isfinite(ind->scale) ||
            ind->scale <= 0 || ind->scale > BC_RATIO_SCALE_MAX) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s needs a positive scale "
                    "up to 1000000 (100, 1000, ...), not '%s'", path, line,
                    ind->code, scale);
            goto out;
        }
        /* A rate by sex is women's numerator over women's denominator:
         * only parts broken down the same way give one. */
        for (int part = 0; part < 2 && ind->ncats; part++) {
            const bc_indicator_t *pt = &reg->inds[part ? d : n];
            if (pt->ncats != ind->ncats
                || memcmp(pt->cats, ind->cats, ind->ncats * sizeof *ind->cats)) {
                bc_set_error(err, errlen, "%s:%zu: ratio %s is broken down "
                        "by categories its %s %s is not broken down by the "
                        "same way", path, line, ind->code,
                        part ? "denominator" : "numerator", pt->code);
                goto out;
            }
        }
    }

    /* Step 4: the combination slots, after the file's indicators so that
     * theirs keep their idx (and a catalogue without breakdowns is what
     * it always was). */
    if (ncombos) {
        size_t nfile = reg->ninds;
        reg->ninds += ncombos;
        reg->inds = bc_realloc(reg->inds, reg->ninds * sizeof *reg->inds);
        memset(reg->inds + nfile, 0, ncombos * sizeof *reg->inds);
        bc_code_index_destroy(&reg->ind_index);
        reg->ind_index = bc_code_index_new(reg->ninds);
        for (size_t r = 0; r < nfile; r++)
            bc_code_index_put(reg->ind_index, reg->inds[r].code,
                              (uint32_t) r);
        uint32_t at = (uint32_t) nfile;
        for (size_t r = 0; r < nfile; r++) {
            if (!reg->inds[r].ncombos)
                continue;
            make_combos(reg, (uint32_t) r, at);
            at += reg->inds[r].ncombos;
        }
        for (size_t r = 0; r < nfile; r++) {
            const bc_indicator_t *ind = &reg->inds[r];
            if (ind->kind != BC_KIND_RATIO || !ind->ncombos)
                continue;
            const bc_indicator_t *nu = &reg->inds[ind->numerator];
            const bc_indicator_t *de = &reg->inds[ind->denominator];
            for (uint32_t c = 0; c < ind->ncombos; c++) {
                reg->inds[ind->first_combo + c].numerator =
                    (int32_t) (nu->first_combo + c);
                reg->inds[ind->first_combo + c].denominator =
                    (int32_t) (de->first_combo + c);
            }
        }
    }
    rc = 0;

out:
    bc_csv_destroy(&csv);
    return rc;
}
