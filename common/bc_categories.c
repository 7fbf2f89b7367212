/*
 * bc_categories.c -- the categories of breakdowns and their combinations
 * (issue 17; rules in bc_categories.h).
 *
 * Split out of bc_registry.c, unchanged in what it accepts, so that the
 * registry's file holds units, indicators, the code index and the digest,
 * and a reader looking for breakdowns finds them by the file's name. The
 * registry still owns the arrays: it expands each broken-down indicator
 * into combination slots, after the catalogue's own, with the codes and
 * options made here, and indexes them with its other codes.
 *
 * Categories are few (a handful, each with a few options), so they are a
 * plain array scanned by code: no index to build or keep.
 */
#include "bc_categories.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Category and option codes become part of combination codes, store keys
 * and form fields: 1 to 32 of letters, digits and - _ . (and '+' for an
 * option: "50+"), so that none needs quoting anywhere. */
static bool code_ok(const char *s, bool plus)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              (plus && c == '+')))
            return false;
    }
    return true;
}

int bc_categories_load(const char *path, const char *data, size_t len,
                       bc_category_t **cats_out, size_t *ncats_out,
                       char *err, size_t errlen)
{
    bc_csv_t *csv = data ? bc_csv_parse(data, len, path, err, errlen)
                         : bc_csv_load(path, err, errlen);
    bc_category_t *cats = NULL;
    size_t ncats = 0;
    int rc = -1;
    if (!csv)
        goto out;
    int c_cat = bc_csv_column(csv, "category");
    int c_opt = bc_csv_column(csv, "option");
    int c_name = bc_csv_column(csv, "name");
    if (c_cat < 0 || c_opt < 0 || c_name < 0) {
        bc_set_error(err, errlen, "%s:1: the header needs the columns "
                     "category, option and name", path);
        goto out;
    }
    size_t rows = bc_csv_rows(csv);
    cats = bc_calloc(rows ? rows : 1, sizeof *cats);
    for (size_t r = 0; r < rows; r++) {
        size_t line = bc_csv_line(csv, r);
        const char *cc = bc_csv_field(csv, r, c_cat);
        const char *oc = bc_csv_field(csv, r, c_opt);
        const char *name = bc_csv_field(csv, r, c_name);
        if (!code_ok(cc, false)) {
            bc_set_error(err, errlen, "%s:%zu: bad category code '%s' (1 to "
                         "32 of A-Z a-z 0-9 - _ .)", path, line, cc);
            goto out;
        }
        if (!code_ok(oc, true)) {
            bc_set_error(err, errlen, "%s:%zu: bad option code '%s' (1 to 32 "
                         "of A-Z a-z 0-9 - _ . +)", path, line, oc);
            goto out;
        }
        bc_category_t *cat = NULL;
        for (size_t k = 0; k < ncats; k++)
            if (strcmp(cats[k].code, cc) == 0)
                cat = &cats[k];
        if (!cat) {
            cat = &cats[ncats];
            cat->idx = (uint32_t) ncats++;
            cat->code = bc_strdup(cc);
            cat->opts = bc_calloc(rows, sizeof *cat->opts);
            cat->names = bc_calloc(rows, sizeof *cat->names);
        }
        if (bc_categories_find_option(cat, oc) >= 0) {
            bc_set_error(err, errlen, "%s:%zu: option %s of %s appears "
                         "twice", path, line, oc, cc);
            goto out;
        }
        cat->opts[cat->nopts] = bc_strdup(oc);
        cat->names[cat->nopts++] = bc_strdup(name[0] ? name : oc);
    }
    rc = 0;
out:
    bc_csv_destroy(&csv);
    if (rc != 0) {
        bc_categories_free(cats, ncats);
        cats = NULL;
        ncats = 0;
    }
    *cats_out = cats;
    *ncats_out = ncats;
    return rc;
}

void bc_categories_free(bc_category_t *cats, size_t n)
{
    for (size_t i = 0; cats && i < n; i++) {
        bc_category_t *c = &cats[i];
        for (uint32_t k = 0; k < c->nopts; k++) {
            free(c->opts[k]);
            free(c->names[k]);
        }
        free(c->opts);
        free(c->names);
        free(c->code);
    }
    free(cats);
}

const bc_category_t *bc_categories_find(const bc_category_t *cats, size_t n,
                                        const char *code)
{
    /* A handful of categories: a scan is the index. */
    for (size_t i = 0; cats && code && i < n; i++)
        if (strcmp(cats[i].code, code) == 0)
            return &cats[i];
    return NULL;
}

int bc_categories_find_option(const bc_category_t *cat, const char *code)
{
    for (uint32_t i = 0; cat && code && i < cat->nopts; i++)
        if (strcmp(cat->opts[i], code) == 0)
            return (int) i;
    return -1;
}

size_t bc_categories_parse_list(const bc_category_t *cats, size_t ncats,
                                bc_indicator_t *ind, const char *text,
                                const char *path, size_t line, char *err,
                                size_t errlen)
{
    size_t combos = 1;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t) (e - p) : strlen(p);
        char code[40];
        if (n == 0 || n >= sizeof code) {
            bc_set_error(err, errlen, "%s:%zu: %s: bad categories '%s' "
                         "(codes separated by ;)", path, line, ind->code,
                         text);
            return 0;
        }
        memcpy(code, p, n);
        code[n] = '\0';
        const bc_category_t *cat = bc_categories_find(cats, ncats, code);
        if (!cat) {
            bc_set_error(err, errlen, "%s:%zu: %s is broken down by an "
                         "unknown category '%s'%s", path, line, ind->code,
                         code, ncats ? "" : " (no --categories file)");
            return 0;
        }
        for (uint32_t k = 0; k < ind->ncats; k++)
            if (ind->cats[k] == cat->idx) {
                bc_set_error(err, errlen, "%s:%zu: %s names category %s "
                             "twice", path, line, ind->code, code);
                return 0;
            }
        if (ind->ncats == BC_MAX_CATS) {
            bc_set_error(err, errlen, "%s:%zu: %s: at most %d categories",
                         path, line, ind->code, BC_MAX_CATS);
            return 0;
        }
        ind->cats[ind->ncats++] = cat->idx;
        combos *= cat->nopts;
        if (combos > BC_MAX_COMBOS) {
            bc_set_error(err, errlen, "%s:%zu: %s: more than %d "
                         "combinations", path, line, ind->code,
                         BC_MAX_COMBOS);
            return 0;
        }
        p += n;
        if (*p == ';')
            p++;
    }
    return combos;
}

void bc_categories_combo_opts(const bc_category_t *cats,
                              const bc_indicator_t *ind, uint32_t c,
                              uint32_t *opts)
{
    for (uint32_t k = ind->ncats; k-- > 0;) {
        uint32_t no = cats[ind->cats[k]].nopts;
        opts[k] = c % no;
        c /= no;
    }
}

uint32_t bc_categories_combo_index(const bc_category_t *cats,
                                   const bc_indicator_t *ind,
                                   const uint32_t *opts)
{
    uint32_t c = 0;
    for (uint32_t k = 0; k < ind->ncats; k++) {
        const bc_category_t *cat = &cats[ind->cats[k]];
        assert(opts[k] < cat->nopts);
        c = c * cat->nopts + opts[k];
    }
    return c;
}

char *bc_categories_combo_code(const bc_category_t *cats,
                               const bc_indicator_t *ind,
                               const uint32_t *opts)
{
    char code[BC_MAX_CATS * 72 + BC_CODE_MAX + 4];
    size_t n = (size_t) snprintf(code, sizeof code, "%s[", ind->code);
    for (uint32_t k = 0; k < ind->ncats; k++) {
        const bc_category_t *cat = &cats[ind->cats[k]];
        n += (size_t) snprintf(code + n, sizeof code - n, "%s%s=%s",
                               k ? "," : "", cat->code, cat->opts[opts[k]]);
    }
    snprintf(code + n, sizeof code - n, "]");
    return bc_strdup(code);
}

bool bc_categories_resolve(const bc_category_t *cats, size_t ncats,
                           const bc_indicator_t *ind,
                           const bc_report_combo_t *combo, uint32_t *opts)
{
    bool seen[BC_MAX_CATS] = {false};
    for (size_t i = 0; i < combo->n; i++) {
        const bc_category_t *c = bc_categories_find(cats, ncats,
                                                    combo->cats[i]);
        uint32_t k = 0;
        while (c && k < ind->ncats && ind->cats[k] != c->idx)
            k++;
        int o = bc_categories_find_option(c, combo->opts[i]);
        if (!c || k == ind->ncats || o < 0 || seen[k])
            return false;
        seen[k] = true;
        opts[k] = (uint32_t) o;
    }
    for (uint32_t k = 0; k < ind->ncats; k++)
        if (!seen[k])
            return false;
    return true;
}
