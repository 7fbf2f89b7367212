/*
 * web_xlsx.c -- Excel workbooks of the desk's pages (rules in web_xlsx.h).
 *
 * libxlsxwriter 1.1 writes to a file only, so a workbook goes to a
 * private temporary file (mkstemp under $TMPDIR), is read back into memory
 * and unlinked at once: nothing of an operator's export stays on disk.
 * The workbook is built from the same JSON document as the page and the
 * CSV, so the three always show the same numbers.
 */
#include "web_xlsx.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* The formats every sheet uses. */
typedef struct {
    lxw_format *title;      /* the sheet's title line */
    lxw_format *head;       /* header cells */
    lxw_format *group;      /* a programme's row */
    lxw_format *text;       /* a name */
    lxw_format *count;      /* 1.234 */
    lxw_format *signed_n;   /* +1.234 / -1.234 */
    lxw_format *pct;        /* 8,50 % */
    lxw_format *rate;       /* 8,50 (a rate per 1.000 and the like) */
} formats_t;

static lxw_format *bordered(lxw_workbook *wb)
{
    lxw_format *f = workbook_add_format(wb);
    format_set_border(f, LXW_BORDER_THIN);
    format_set_font_name(f, "Times New Roman");
    format_set_font_size(f, 12);
    return f;
}

static void make_formats(lxw_workbook *wb, formats_t *f)
{
    f->title = workbook_add_format(wb);
    format_set_bold(f->title);
    format_set_font_size(f->title, 14);
    format_set_font_name(f->title, "Times New Roman");
    f->head = bordered(wb);
    format_set_bold(f->head);
    format_set_align(f->head, LXW_ALIGN_CENTER);
    format_set_align(f->head, LXW_ALIGN_VERTICAL_CENTER);
    format_set_text_wrap(f->head);
    format_set_bg_color(f->head, 0xDDE7F0);
    f->group = bordered(wb);
    format_set_bold(f->group);
    format_set_bg_color(f->group, 0xF2F2F2);
    f->text = bordered(wb);
    /* [$-42A]: Vietnamese. Separators by role: the reader's Vietnamese
     * locale draws '.' for thousands and ',' for decimals. */
    f->count = bordered(wb);
    format_set_num_format(f->count, "[$-42A]#,##0");
    f->signed_n = bordered(wb);
    format_set_num_format(f->signed_n, "[$-42A]+#,##0;-#,##0;0");
    f->pct = bordered(wb);
    format_set_num_format(f->pct, "[$-42A]0.00\" %\"");
    f->rate = bordered(wb);
    format_set_num_format(f->rate, "[$-42A]0.00");
}

/* A number from the document, or an empty bordered cell for null. */
static void put_num(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
                    const cJSON *v, lxw_format *fmt, lxw_format *blank)
{
    if (cJSON_IsNumber(v))
        worksheet_write_number(ws, r, c, v->valuedouble, fmt);
    else
        worksheet_write_blank(ws, r, c, blank);
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* "MM/YYYY" of a "YYYY-MM" period. */
static void month_text(const char *period, char *out, size_t len)
{
    if (strlen(period) >= 7)
        snprintf(out, len, "%.2s/%.4s", period + 5, period);
    else
        snprintf(out, len, "%s", period);
}

/* Creates the workbook on a private temporary file. */
static lxw_workbook *open_tmp(char *path, size_t pathlen, char *err,
                              size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, pathlen, "%s/baocao-web-XXXXXX.xlsx",
             dir && *dir ? dir : "/tmp");
    int fd = mkstemps(path, 5);
    if (fd < 0) {
        bc_set_error(err, errlen, "temporary file %s: %s", path,
                     strerror(errno));
        return NULL;
    }
    close(fd);
    lxw_workbook *wb = workbook_new(path);
    if (!wb) {
        unlink(path);
        bc_set_error(err, errlen, "cannot start a workbook in %s", path);
    }
    return wb;
}

/* Closes (writes) the workbook and takes its bytes. */
static int finish(lxw_workbook *wb, const char *path, unsigned char **out,
                  size_t *len, char *err, size_t errlen)
{
    lxw_error e = workbook_close(wb);
    int rc = BC_OK;
    if (e != LXW_NO_ERROR) {
        bc_set_error(err, errlen, "writing the workbook: %s",
                     lxw_strerror(e));
        rc = BC_EIO;
    } else {
        char *buf = NULL;
        int er = bc_read_file(path, &buf, len);
        if (er) {
            bc_set_error(err, errlen, "reading %s back: %s", path,
                         strerror(er));
            rc = BC_EIO;
        }
        *out = (unsigned char *) buf;
    }
    unlink(path);
    return rc;
}

/* --- dashboard ------------------------------------------------------------- */

static void figures_sheet(lxw_workbook *wb, const formats_t *f,
                          const cJSON *doc)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Chỉ tiêu");
    char month[16], title[512], head_month[32];
    month_text(str(doc, "period"), month, sizeof month);
    snprintf(title, sizeof title, "%s — BÁO CÁO THÁNG %s",
             str(doc, "unit_name"), month);
    worksheet_write_string(ws, 0, 0, title, f->title);
    snprintf(title, sizeof title, "Mã đơn vị: %s. Số liệu do hub tổng hợp.",
             str(doc, "unit"));
    worksheet_write_string(ws, 1, 0, title, NULL);
    snprintf(head_month, sizeof head_month, "Tháng %s", month);
    const char *heads[] = {"STT", "Chỉ tiêu", head_month, "Cộng dồn năm",
                           "Tháng trước", "Cùng kỳ năm trước",
                           "So cùng kỳ (+/-)", "So cùng kỳ (%)",
                           "Kế hoạch năm", "% kế hoạch"};
    const double widths[] = {6, 52, 13, 14, 13, 14, 13, 13, 13, 12};
    for (lxw_col_t c = 0; c < 10; c++) {
        worksheet_write_string(ws, 3, c, heads[c], f->head);
        worksheet_set_column(ws, c, c, widths[c], NULL);
    }
    worksheet_set_row(ws, 3, 32, NULL);
    worksheet_freeze_panes(ws, 4, 2);
    lxw_row_t r = 4;
    unsigned group_no = 0;
    const cJSON *g, *fig;
    static const char *roman[] = {"I", "II", "III", "IV", "V", "VI", "VII",
                                  "VIII", "IX", "X", "XI", "XII", "XIII",
                                  "XIV", "XV", "XVI", "XVII", "XVIII",
                                  "XIX", "XX"};
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "programmes")) {
        char gname[300];
        snprintf(gname, sizeof gname, "%s", group_no < 20
                 ? roman[group_no] : "");
        group_no++;
        worksheet_write_string(ws, r, 0, gname, f->group);
        const char *pn = str(g, "name");
        worksheet_merge_range(ws, r, 1, r, 9, *pn ? pn : "Khác", f->group);
        r++;
        unsigned n = 0;
        cJSON_ArrayForEach(fig, cJSON_GetObjectItem(g, "figures")) {
            bool ratio = !strcmp(str(fig, "kind"), "ratio");
            const cJSON *scale = cJSON_GetObjectItem(fig, "scale");
            lxw_format *vf = !ratio ? f->count
                : cJSON_IsNumber(scale) && scale->valuedouble == 100
                    ? f->pct : f->rate;
            worksheet_write_number(ws, r, 0, ++n, f->count);
            worksheet_write_string(ws, r, 1, str(fig, "name"), f->text);
            put_num(ws, r, 2, cJSON_GetObjectItem(fig, "value"), vf, f->text);
            put_num(ws, r, 3, cJSON_GetObjectItem(fig, "cumulative"), vf,
                    f->text);
            put_num(ws, r, 4, cJSON_GetObjectItem(fig, "previous"), vf,
                    f->text);
            put_num(ws, r, 5, cJSON_GetObjectItem(fig,
                                                  "same_period_last_year"),
                    vf, f->text);
            put_num(ws, r, 6, cJSON_GetObjectItem(fig, "change_last_year"),
                    f->signed_n, f->text);
            put_num(ws, r, 7, cJSON_GetObjectItem(fig,
                                                  "change_last_year_pct"),
                    f->pct, f->text);
            put_num(ws, r, 8, cJSON_GetObjectItem(fig, "target"), f->count,
                    f->text);
            put_num(ws, r, 9, cJSON_GetObjectItem(fig, "target_pct"), f->pct,
                    f->text);
            r++;
        }
    }
}

static void children_sheet(lxw_workbook *wb, const formats_t *f,
                           const cJSON *doc)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Xếp hạng");
    char month[16], title[512];
    month_text(str(doc, "period"), month, sizeof month);
    snprintf(title, sizeof title, "%s — %s, THÁNG %s",
             str(doc, "unit_name"), str(doc, "indicator_name"), month);
    worksheet_write_string(ws, 0, 0, title, f->title);
    const char *heads[] = {"Hạng", "Đơn vị", "Mã", "Tháng", "Cộng dồn năm",
                           "% kế hoạch", "Tỷ trọng"};
    const double widths[] = {7, 32, 14, 13, 14, 12, 12};
    for (lxw_col_t c = 0; c < 7; c++) {
        worksheet_write_string(ws, 2, c, heads[c], f->head);
        worksheet_set_column(ws, c, c, widths[c], NULL);
    }
    /* The page computes rates of the chosen indicator the same way. */
    bool ratio = false;
    double scale = 0;
    const cJSON *g, *fig;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "programmes"))
        cJSON_ArrayForEach(fig, cJSON_GetObjectItem(g, "figures"))
            if (!strcmp(str(fig, "indicator"), str(doc, "indicator"))) {
                ratio = !strcmp(str(fig, "kind"), "ratio");
                const cJSON *s = cJSON_GetObjectItem(fig, "scale");
                scale = cJSON_IsNumber(s) ? s->valuedouble : 0;
            }
    lxw_format *vf = !ratio ? f->count : scale == 100 ? f->pct : f->rate;
    lxw_row_t r = 3;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "children")) {
        put_num(ws, r, 0, cJSON_GetObjectItem(c, "rank"), f->count, f->text);
        worksheet_write_string(ws, r, 1, str(c, "name"), f->text);
        worksheet_write_string(ws, r, 2, str(c, "unit"), f->text);
        put_num(ws, r, 3, cJSON_GetObjectItem(c, "value"), vf, f->text);
        put_num(ws, r, 4, cJSON_GetObjectItem(c, "cumulative"), vf, f->text);
        put_num(ws, r, 5, cJSON_GetObjectItem(c, "target_pct"), f->pct,
                f->text);
        put_num(ws, r, 6, cJSON_GetObjectItem(c, "share"), f->pct, f->text);
        r++;
    }
}

int web_xlsx_dashboard(const cJSON *doc, unsigned char **out, size_t *len,
                       char *err, size_t errlen)
{
    char path[4096];
    lxw_workbook *wb = open_tmp(path, sizeof path, err, errlen);
    if (!wb)
        return BC_EIO;
    formats_t f;
    make_formats(wb, &f);
    figures_sheet(wb, &f, doc);
    children_sheet(wb, &f, doc);
    return finish(wb, path, out, len, err, errlen);
}

/* --- completeness ---------------------------------------------------------- */

int web_xlsx_completeness(const cJSON *doc, unsigned char **out,
                          size_t *len, char *err, size_t errlen)
{
    char path[4096];
    lxw_workbook *wb = open_tmp(path, sizeof path, err, errlen);
    if (!wb)
        return BC_EIO;
    formats_t f;
    make_formats(wb, &f);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Tình hình gửi báo cáo");
    char title[512];
    snprintf(title, sizeof title, "%s — TÌNH HÌNH GỬI BÁO CÁO NĂM %.4s",
             str(doc, "unit_name"), str(doc, "period"));
    worksheet_write_string(ws, 0, 0, title, f.title);
    const cJSON *months = cJSON_GetObjectItem(doc, "months"), *m, *u;
    worksheet_write_string(ws, 2, 0, "Đơn vị", f.head);
    worksheet_set_column(ws, 0, 0, 32, NULL);
    lxw_col_t c = 1;
    cJSON_ArrayForEach(m, months) {
        char h[16];
        snprintf(h, sizeof h, "T%d", atoi(str(m, "period") + 5));
        worksheet_write_string(ws, 2, c, h, f.head);
        worksheet_set_column(ws, c, c, 10, NULL);
        c++;
    }
    worksheet_write_string(ws, 2, c, "Tỷ lệ gửi", f.head);
    worksheet_set_column(ws, c, c, 12, NULL);
    lxw_row_t r = 3;
    cJSON_ArrayForEach(u, cJSON_GetObjectItem(doc, "units")) {
        worksheet_write_string(ws, r, 0, str(u, "name"), f.text);
        const cJSON *states = cJSON_GetObjectItem(u, "states");
        for (lxw_col_t k = 1; k < c; k++) {
            const cJSON *st = cJSON_GetArrayItem(states, k - 1);
            const char *s = cJSON_IsString(st) ? st->valuestring : "";
            worksheet_write_string(ws, r, k,
                                   !strcmp(s, "on_time") ? "đúng hạn"
                                   : !strcmp(s, "late") ? "muộn"
                                   : !strcmp(s, "missing") ? "chưa gửi" : "",
                                   f.text);
        }
        put_num(ws, r, c, cJSON_GetObjectItem(u, "rate_pct"), f.pct, f.text);
        r++;
    }
    worksheet_write_string(ws, r, 0, "Tỷ lệ gửi", f.group);
    c = 1;
    cJSON_ArrayForEach(m, months)
        put_num(ws, r, c++, cJSON_GetObjectItem(m, "rate_pct"), f.pct,
                f.text);
    return finish(wb, path, out, len, err, errlen);
}
