/*
 * node_form_grid.c -- the station form's breakdown grids (issue 17; design
 * in node_form.h, calls in node_form_grid.h): what /api/form says of a
 * disaggregated indicator, how a posted cell is read, and how a
 * breakdown's problem reads to staff.
 *
 * Split out of node_form.c unchanged, so that the form's file holds the
 * HTTP server, the fields and the filing, and everything a grid is made
 * of, from the node's copy of the hub's catalogue (node_copy.h), is in
 * one place. A cell's field is the combination's code exactly as
 * bc_report codes a CSV row with category columns, so a posted cell is
 * read back through bc_report as that row: the form and `baocao submit`
 * accept the same cells.
 */
#include "node_form_grid.h"

#include "baocao.pb-c.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *node_form_grid_cell(const bc_registry_t *cat, const bc_indicator_t *ind,
                          uint32_t slot)
{
    const bc_indicator_t *x = bc_registry_indicator(cat,
                                                    ind->first_combo + slot);
    const char *codes[BC_MAX_CATS], *opts[BC_MAX_CATS];
    for (uint32_t k = 0; k < ind->ncats; k++) {
        const bc_category_t *c = bc_registry_category(cat, ind->cats[k]);
        codes[k] = c->code;
        opts[k] = c->opts[x->opts[k]];
    }
    return bc_report_combination(ind->code, ind->ncats, codes, opts);
}

void node_form_grid_add(cJSON *o, const bc_registry_t *cat,
                        const bc_indicator_t *ind)
{
    cJSON *cats = cJSON_AddArrayToObject(o, "categories");
    for (uint32_t k = 0; k < ind->ncats; k++) {
        const bc_category_t *c = bc_registry_category(cat, ind->cats[k]);
        cJSON *jc = cJSON_CreateObject();
        cJSON_AddStringToObject(jc, "code", c->code);
        cJSON *opts = cJSON_AddArrayToObject(jc, "options");
        for (uint32_t i = 0; i < c->nopts; i++) {
            cJSON *jo = cJSON_CreateObject();
            cJSON_AddStringToObject(jo, "code", c->opts[i]);
            cJSON_AddStringToObject(jo, "name", c->names[i]);
            cJSON_AddItemToArray(opts, jo);
        }
        cJSON_AddItemToArray(cats, jc);
    }
    cJSON *cells = cJSON_AddArrayToObject(o, "cells");
    for (uint32_t s = 0; s < ind->ncombos; s++) {
        char *name = node_form_grid_cell(cat, ind, s);
        cJSON_AddItemToArray(cells, cJSON_CreateString(name));
        free(name);
    }
}

void node_form_grid_label(const node_copy_t *copy, const char *field,
                          char *out, size_t len)
{
    out[0] = '\0';
    const bc_registry_t *cat = copy ? node_copy_catalog(copy) : NULL;
    const bc_indicator_t *x = cat ? bc_registry_find_combination(cat, field)
                                  : NULL;
    if (!x)
        return;
    const bc_indicator_t *t = bc_registry_indicator(cat, (uint32_t) x->total);
    size_t w = 0;
    for (uint32_t k = 0; k < t->ncats && w < len; k++)
        w += (size_t) snprintf(out + w, len - w, "%s%s", k ? ", " : "",
                               bc_registry_category(cat, t->cats[k])
                                   ->names[x->opts[k]]);
}

const char *node_form_grid_read(const char *key, const char *text,
                                bc_report_value_t *out)
{
    static const char *const bad = "Ô này không có trong bảng phân tổ";
    bc_report_combo_t combo;
    if (strlen(key) >= NODE_FORM_GRID_MAX_KEY
        || bc_report_split_combination(key, &combo) != BC_OK)
        return bad;
    /* A column the file format keeps for itself is no category. */
    for (size_t k = 0; k < combo.n; k++)
        if (!strcasecmp(combo.cats[k], "indicator")
            || !strcasecmp(combo.cats[k], "value")
            || !strcasecmp(combo.cats[k], "name"))
            return bad;
    char *csv = NULL;
    size_t clen = 0;
    FILE *m = open_memstream(&csv, &clen);
    if (!m)
        return "Không đọc được ô này: thử lại";
    bc_csv_write_field(m, "indicator", false);
    for (size_t k = 0; k < combo.n; k++)
        bc_csv_write_field(m, combo.cats[k], false);
    bc_csv_write_field(m, "value", true);
    bc_csv_write_field(m, combo.indicator, false);
    for (size_t k = 0; k < combo.n; k++)
        bc_csv_write_field(m, combo.opts[k], false);
    bc_csv_write_field(m, text, true);
    fclose(m);
    bc_report_t *r = NULL;
    char err[256];
    const char *why = NULL;
    if (bc_report_parse(csv, clen, "form", &r, err, sizeof err)
        || r->nvalues != 1 || !strchr(r->values[0].indicator, '[')) {
        /* A cell whose key parses but whose text does not is a number
         * problem; the key was checked above. */
        why = "Phải là một số";
    } else {
        *out = r->values[0];
        out->indicator = bc_strdup(r->values[0].indicator);
        out->line = 0;
    }
    bc_report_destroy(&r);
    free(csv);
    return why;
}

void node_form_grid_problem(const node_copy_t *copy, const bc_report_t *report,
                            const node_problem_t *p, char *out, size_t len)
{
    const bc_registry_t *cat = node_copy_catalog(copy);
    const bc_indicator_t *t = bc_registry_indicator(cat, (uint32_t) p->total);
    int64_t sum = 0;
    for (size_t i = 0; i < report->nvalues; i++) {
        const bc_indicator_t *x = bc_registry_find_combination(
            cat, report->values[i].indicator);
        if (x && x->total == (int32_t) t->idx)
            sum += report->values[i].count;
    }
    if (p->reason == BAOCAO__REJECT_REASON__REASON_INCOMPLETE_COMBINATION) {
        size_t w = (size_t) snprintf(out, len, "Chưa nhập đủ các ô của bảng:"
                                     " nhập mọi ô (ghi 0 nếu không có), "
                                     "hoặc để trống cả bảng và chỉ nhập "
                                     "tổng. Còn thiếu: ");
        unsigned shown = 0;
        for (uint32_t s = 0; s < t->ncombos && w < len; s++) {
            char *field = node_form_grid_cell(cat, t, s);
            if (!bc_report_find(report, field)) {
                char label[200];
                node_form_grid_label(copy, field, label, sizeof label);
                if (shown++ < 8)
                    w += (size_t) snprintf(out + w, len - w, "%s%s",
                                           shown > 1 ? "; " : "", label);
            }
            free(field);
        }
        if (shown > 8 && w < len)
            snprintf(out + w, len - w, " và %u ô khác", shown - 8);
    } else if (p->reason == BAOCAO__REJECT_REASON__REASON_VALIDATION) {
        int64_t total = report->values[p->value].count;
        snprintf(out, len, "Tổng đã nhập (%lld) khác tổng các ô (%lld), "
                 "chênh lệch %lld", (long long) total, (long long) sum,
                 (long long) (total - sum));
    } else {
        snprintf(out, len, "Tổng các ô (%lld) quá lớn (tối đa 10^12)",
                 (long long) sum);
    }
}
