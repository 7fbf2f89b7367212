/*
 * node_form_filing.c -- a posted report read, checked and filed (design
 * in node_form_filing.h).
 *
 * The checks are `baocao submit`'s (node_check.h), against the node's
 * copy of the hub's catalogue and rules (node_copy.h): a rule that fails
 * is shown next to each field it names, with both sides' values; a
 * breakdown's problem next to its total. Breakdown cells are read and
 * labelled by node_form_grid.c.
 */
#include "node_form_filing.h"

#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_report.h"
#include "bc_rules.h"
#include "bc_wire.h"
#include "node_check.h"
#include "node_copy.h"
#include "node_form_grid.h"
#include "node_form_words.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads one value with the parser `baocao submit` uses. Returns NULL when
 * it is a number, else the error to show; what the number may be is
 * node_check's. */
static const char *check_value(const node_form_ind_t *ind, const char *text,
                               bc_report_value_t *out)
{
    if (ind->ratio)
        return "Chỉ tiêu này do hệ thống tính, không nhập";
    char csv[256];
    snprintf(csv, sizeof csv, "indicator,value\n%s,%s\n", ind->code, text);
    bc_report_t *r = NULL;
    char err[256];
    if (bc_report_parse(csv, strlen(csv), "form", &r, err, sizeof err)
        || r->nvalues != 1) {
        bc_report_destroy(&r);
        return "Phải là một số";
    }
    *out = r->values[0];
    out->indicator = NULL;
    out->line = 0;
    bc_report_destroy(&r);
    return NULL;
}

/* Adds msg to the field's entry of obj, after what is there ("; "). */
static void add_note(cJSON *obj, const char *field, const char *msg)
{
    cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!old) {
        cJSON_AddStringToObject(obj, field, msg);
        return;
    }
    char buf[2048];
    snprintf(buf, sizeof buf, "%s; %s", cJSON_GetStringValue(old), msg);
    cJSON_ReplaceItemInObjectCaseSensitive(obj, field,
                                           cJSON_CreateString(buf));
}

/* The report against the node's copy (node_check.h): errors into
 * `errors`, warnings into `warnings`, each next to its field (fields[i]
 * is the field of report value i): a figure's own, with a cell's label;
 * a breakdown's as a whole next to its total; or every total a failing
 * rule names. */
static void check_report(const node_copy_t *copy, const bc_report_t *report,
                         const char *const *fields, bool figures_only,
                         cJSON *errors, cJSON *warnings)
{
    node_check_t chk;
    node_check_report(copy, report, NULL, &chk);
    size_t nind = copy ? bc_registry_nindicators(node_copy_catalog(copy)) : 0;
    bool *placed = bc_calloc(nind + 1, sizeof *placed);
    for (size_t i = 0; i < chk.n; i++) {
        const node_problem_t *p = &chk.items[i];
        /* A field left out unreadable: no sums yet. */
        if (figures_only && (p->value < 0 || p->total >= 0))
            continue;
        cJSON *into = p->error ? errors : warnings;
        char msg[1200];
        if (p->total >= 0) {
            node_form_grid_problem(copy, report, p, msg, sizeof msg);
            add_note(into, bc_registry_indicator(node_copy_catalog(copy),
                                                 (uint32_t) p->total)->code,
                     msg);
        } else if (p->value >= 0) {
            char label[200];
            node_form_grid_label(copy, report->values[p->value].indicator, label,
                       sizeof label);
            snprintf(msg, sizeof msg, "%s%s%s", label, *label ? ": " : "",
                     node_form_words_problem(p));
            add_note(into, fields[p->value], msg);
        } else if (p->rule >= 0) {
            /* Rules are on totals: a cell names its grid's total, which
             * the page shows summed. */
            const bc_rules_t *rules = node_copy_rules(copy);
            const bc_registry_t *cat = node_copy_catalog(copy);
            memset(placed, 0, (nind + 1) * sizeof *placed);
            bool any = false;
            for (size_t k = 0; k < report->nvalues; k++) {
                const char *code = report->values[k].indicator;
                const bc_indicator_t *ind = bc_registry_find_indicator(cat,
                                                                       code);
                if (!ind && (ind = bc_registry_find_combination(cat, code)))
                    ind = bc_registry_indicator(cat, (uint32_t) ind->total);
                if (ind && !placed[ind->idx]
                    && bc_rules_uses(rules, (size_t) p->rule, ind->idx)) {
                    add_note(into, ind->code, p->text);
                    placed[ind->idx] = any = true;
                }
            }
            if (!any)
                add_note(into, "form", p->text);
        } else {
            add_note(into, "form", p->text);
        }
    }
    free(placed);
    node_check_free(&chk);
}

unsigned node_form_file(const node_form_catalog_t *catalog,
                        node_outbox_t *outbox, const char *unit,
                        const char *store, const node_form_post_t *p,
                        cJSON **doc_out)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *errors = cJSON_AddObjectToObject(doc, "errors");
    bc_period_t period;
    char ptext[BC_PERIOD_STRLEN];
    if (bc_period_parse(p->period, &period))
        cJSON_AddStringToObject(errors, "period",
                                "Kỳ báo cáo phải có dạng YYYY-MM (ví dụ "
                                "2023-12), YYYY-Qn, YYYY-Hn hoặc YYYY");
    else if (bc_period_start(period) > (int64_t) time(NULL))
        cJSON_AddStringToObject(errors, "period", "Kỳ báo cáo chưa bắt đầu");
    else
        bc_period_format(period, ptext);
    /* The node's copy of the hub's catalogue: the checks (node_check.h)
     * and the cells' labels. */
    int rc;
    char err[512];
    node_copy_t *copy = node_copy_load(store, &rc, err, sizeof err);
    if (!copy && rc != BC_ENOTFOUND)
        BC_WARN("form: %s", err);
    size_t cap = catalog->ninds + p->ncells + 1;
    bc_report_t report = {bc_calloc(cap, sizeof *report.values), 0};
    const char **fields = bc_calloc(cap, sizeof *fields);
    char **codes = bc_calloc(cap, sizeof *codes);  /* cells' codes, owned */
    size_t ncodes = 0;
    for (size_t i = 0; i < catalog->ninds; i++) {
        const char *text = p->vals[i];
        if (!text || !*text)
            continue;        /* left empty: not reported */
        bc_report_value_t v;
        const char *why = check_value(&catalog->inds[i], text, &v);
        if (why) {
            cJSON_AddStringToObject(errors, catalog->inds[i].code, why);
            continue;
        }
        v.indicator = catalog->inds[i].code;
        fields[report.nvalues] = catalog->inds[i].code;
        report.values[report.nvalues++] = v;
    }
    /* Grid cells (issue 17), each read as a CSV row of the breakdown. */
    for (size_t i = 0; i < p->ncells; i++) {
        const node_form_cell_t *c = &p->cells[i];
        if (!*c->val)
            continue;        /* an empty cell: not reported */
        bc_report_value_t v;
        const char *why = node_form_grid_read(c->key, c->val, &v);
        if (why) {
            char label[200], msg[400];
            node_form_grid_label(copy, c->key, label, sizeof label);
            snprintf(msg, sizeof msg, "%s%s%s", label, *label ? ": " : "",
                     why);
            add_note(errors, c->key, msg);
            continue;
        }
        codes[ncodes++] = v.indicator;
        fields[report.nvalues] = c->key;
        report.values[report.nvalues++] = v;
    }
    if (!report.nvalues && !cJSON_GetArraySize(errors))
        cJSON_AddStringToObject(errors, "form", "Chưa nhập số liệu nào");
    cJSON *warnings = cJSON_AddObjectToObject(doc, "warnings");
    if (report.nvalues) {
        /* With a field unreadable, the figures alone: a rule would sum
         * the report without it. */
        bool figures_only = cJSON_GetArraySize(errors) > 0;
        check_report(copy, &report, fields, figures_only, errors, warnings);
        cJSON_AddBoolToObject(doc, "checked", copy != NULL);
        if (!copy)
            cJSON_AddStringToObject(doc, "unchecked",
                                    "Máy chưa nhận được danh mục và quy tắc "
                                    "kiểm tra của tỉnh: báo cáo chưa được "
                                    "kiểm tra, tỉnh sẽ kiểm tra khi nhận");
    }
    unsigned status = MHD_HTTP_BAD_REQUEST;
    if (!cJSON_GetArraySize(errors)) {
        uint8_t id[BC_ID_LEN];
        uint32_t rev;
        rc = node_outbox_file(outbox, unit, ptext, &report,
                              (int64_t) time(NULL), id, &rev);
        if (rc) {
            cJSON_AddStringToObject(errors, "form", "Không lưu được báo cáo "
                                    "vào máy: thử lại");
            BC_ERROR("form: filing failed: %s", bc_strerror(rc));
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        } else {
            char hex[BC_ID_HEXLEN + 1];
            cJSON_AddStringToObject(doc, "id", bc_id_hex(id, BC_ID_LEN, hex));
            cJSON_AddStringToObject(doc, "period", ptext);
            cJSON_AddNumberToObject(doc, "revision", rev);
            cJSON_AddNumberToObject(doc, "figures", (double) report.nvalues);
            BC_INFO("form: filed %s %s revision %u (%zu figures)", unit,
                    ptext, rev, report.nvalues);
            status = MHD_HTTP_OK;
        }
    }
    for (size_t i = 0; i < ncodes; i++)
        free(codes[i]);
    free(codes);
    free(fields);
    free(report.values);
    node_copy_destroy(&copy);
    *doc_out = doc;
    return status;
}
