/*
 * cmd_query.c -- `baocao query`: a unit's figures for a period, with
 * their comparisons (`completeness` and `plan` are in their own files).
 *
 * The hub sends numbers and their parts; this file only presents them.
 * Derived figures (changes, % of plan, rates) are computed here from the
 * parts the hub sent, so that every output format shows the same numbers
 * and anyone can check them against the parts.
 *
 * What a reader sees first is what matters: the table and the CSV leave
 * out the indicators without any data unless --all (most of the 80 are
 * empty for any one report), --programme keeps one programme's, the
 * table groups digits ("7 492") and CSV writes no data as an empty field.
 * JSON is for programs: it keeps every indicator asked for (null for no
 * data) and plain numbers, and only --programme narrows it.
 */
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_figure.h"
#include "bc_mem.h"
#include "bc_table.h"
#include "bc_wire.h"
#include "bc_period.h"
#include "cmd.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- query ----------------------------------------------------------------- */

typedef struct {
    client_opts_t client;   /* hub connection */
    char *unit;             /* unit code */
    char *period;           /* period text */
    char **indicators;      /* indicator codes, NULL = all */
    char *format;           /* table, csv, json */
    char *programme;        /* keep this programme's indicators, or NULL */
    bool all;               /* table/CSV: also the indicators without data */
    char *by;               /* breakdown categories, "sex,age", or NULL */
    char **options;         /* breakdown filter, "sex=nu", repeatable */
} query_cfg_t;

static const bc_option_t query_options[] = {
    CLIENT_OPTIONS(query_cfg_t),
    {"unit", BC_OPT_STRING, offsetof(query_cfg_t, unit), 0, 0, NULL, "CODE",
     "the unit (a facility, a district, a province)"},
    {"period", BC_OPT_STRING, offsetof(query_cfg_t, period), 0, 0, NULL,
     "PERIOD", "YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY"},
    {"indicator", BC_OPT_LIST, offsetof(query_cfg_t, indicators), 0, 0, NULL,
     "CODE", "only this indicator (repeatable); default all"},
    {"format", BC_OPT_STRING, offsetof(query_cfg_t, format), 0, 0, "table",
     "FORMAT", "table, csv or json"},
    {"programme", BC_OPT_STRING, offsetof(query_cfg_t, programme), 0, 0,
     NULL, "TEXT", "only the indicators of this programme: a part of its "
     "name, any case (SDD, KCB, lao, HIV)"},
    {"all", BC_OPT_BOOL, offsetof(query_cfg_t, all), 0, 0, NULL, NULL,
     "table and CSV: also the indicators without any data"},
    {"by", BC_OPT_STRING, offsetof(query_cfg_t, by), 0, 0, NULL,
     "CATEGORY[,CATEGORY]", "also the figures by these categories (sex, "
     "age, sex,age) for the indicators broken down by them: one row per "
     "combination, a column per category"},
    {"option", BC_OPT_LIST, offsetof(query_cfg_t, options), 0, 0, NULL,
     "CATEGORY=OPTION", "only the combinations with this option (sex=nu; "
     "repeatable); alone, one row: the indicator over those combinations"},
};
#define NQUERY (sizeof query_options / sizeof query_options[0])

static void fmt_num(char *buf, size_t len, bool has, double v, bool is_rate)
{
    if (!has)
        snprintf(buf, len, "-");
    else if (is_rate)
        snprintf(buf, len, "%.2f", v);
    else
        snprintf(buf, len, "%.0f", v);
}

static void fmt_delta(char *buf, size_t len, bool has_a, double a, bool has_b,
                      double b)
{
    if (!has_a || !has_b)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%+.0f", a - b);
}

static void fmt_pct(char *buf, size_t len, bool has_a, double a, bool has_b,
                    double b)
{
    if (has_a && has_b && b == 0)
        snprintf(buf, len, "n/a (target 0)");
    else if (!has_a || !has_b)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f", a / b * 100.0);
}

static const char *basis_name(Baocao__Comparison b)
{
    switch (b) {
    case BAOCAO__COMPARISON__COMPARISON_ESTIMATED:      return "estimated";
    case BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE: return "not_comparable";
    default:                                            return "exact";
    }
}

static void json_num(cJSON *o, const char *name, bool has, double v)
{
    if (has)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static void json_part(cJSON *o, const char *name, const Baocao__Num *n)
{
    if (n && n->present)
        cJSON_AddNumberToObject(o, name, (double) n->value);
    else
        cJSON_AddNullToObject(o, name);
}

/* One figure's fields into o (a total's, or a breakdown row's). */
static void json_figure(cJSON *o, const Baocao__Figure *f)
{
    {
        bc_shown_t s = bc_figure_shown(f);
        double pct;
        cJSON_AddStringToObject(o, "name", f->name);
        /* Added field (issue 15). */
        cJSON_AddStringToObject(o, "programme",
                                f->programme ? f->programme : "");
        cJSON_AddStringToObject(o, "kind", bc_kind_name(f->kind));
        json_num(o, "value", s.has_value, s.value);
        json_num(o, "cumulative", s.has_cum, s.cum);
        cJSON_AddNumberToObject(o, "reporting_units", f->reporting_units);
        /* Added field (#11): the warning rules failing on this figure. */
        if (f->n_flags) {
            cJSON *fl = cJSON_AddArrayToObject(o, "flags");
            for (size_t k = 0; k < f->n_flags; k++)
                cJSON_AddItemToArray(fl, cJSON_CreateString(f->flags[k]));
        }
        if (s.is_rate) {
            json_part(o, "numerator", f->numerator);
            json_part(o, "denominator", f->denominator);
            json_part(o, "cumulative_numerator", f->cumulative_numerator);
            json_part(o, "cumulative_denominator", f->cumulative_denominator);
            cJSON_AddNumberToObject(o, "scale", f->scale);
            /* Added fields (#11): a rate's target and % of it achieved. */
            json_num(o, "target", s.has_target, s.target);
            bool has_pct = bc_figure_of_plan(&s, &pct);
            json_num(o, "target_pct", has_pct, pct);
            return;
        }
        json_num(o, "previous", s.has_prev, s.prev);
        json_num(o, "change_previous", s.has_value && s.has_prev,
                 s.value - s.prev);
        json_num(o, "same_period_last_year", s.has_ly, s.ly);
        json_num(o, "change_last_year", s.has_value && s.has_ly,
                 s.value - s.ly);
        json_num(o, "change_last_year_pct",
                 s.has_value && s.has_ly && s.ly != 0,
                 s.ly ? (s.value - s.ly) / s.ly * 100.0 : 0);
        json_num(o, "cumulative_last_year", s.has_cum_ly, s.cum_ly);
        json_num(o, "change_cumulative_last_year", s.has_cum && s.has_cum_ly,
                 s.cum - s.cum_ly);
        json_num(o, "change_cumulative_last_year_pct",
                 s.has_cum && s.has_cum_ly && s.cum_ly != 0,
                 s.cum_ly ? (s.cum - s.cum_ly) / s.cum_ly * 100.0 : 0);
        json_num(o, "target", s.has_target, s.target);
        /* One decimal, as the reports print it. */
        bool has_pct = bc_figure_of_plan(&s, &pct);
        json_num(o, "target_pct", has_pct, pct);
        /* Added fields (issue 12): how the comparisons across a change of
         * the map were computed, only when one was not exact. */
        if (f->previous_basis || f->last_year_basis || f->cumulative_basis
            || f->cumulative_last_year_basis) {
            cJSON *b = cJSON_AddObjectToObject(o, "comparison_basis");
            cJSON_AddStringToObject(b, "previous",
                                    basis_name(f->previous_basis));
            cJSON_AddStringToObject(b, "same_period_last_year",
                                    basis_name(f->last_year_basis));
            cJSON_AddStringToObject(b, "cumulative",
                                    basis_name(f->cumulative_basis));
            cJSON_AddStringToObject(b, "cumulative_last_year",
                                    basis_name(f->cumulative_last_year_basis));
            cJSON_AddStringToObject(o, "comparison_note",
                                    f->comparison_note ? f->comparison_note
                                                       : "");
        }
        /* Added field: why target_pct is null when a target exists. */
        if (s.has_target && s.target == 0)
            cJSON_AddStringToObject(o, "target_pct_note",
                                    "target is 0: % of plan is not defined");
    }
}

static void print_json(const Baocao__QueryReply *q,
                       const Baocao__Figure *const *figures, size_t n,
                       const Baocao__Figure *const *rows, size_t nrows,
                       bool breakdown)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "unit", q->unit);
    cJSON_AddStringToObject(root, "unit_name", q->unit_name);
    cJSON_AddStringToObject(root, "period", q->period);
    /* Issue #11: new fields only, the old ones keep their names. */
    cJSON_AddBoolToObject(root, "approved", q->approved);
    cJSON_AddItemToObject(root, "approval", cmd_approval_json(q->approval));
    cJSON *figs = cJSON_AddObjectToObject(root, "figures");
    for (size_t i = 0; i < n; i++)
        json_figure(cJSON_AddObjectToObject(figs, figures[i]->indicator),
                    figures[i]);
    /* Added field (issue 17), only when --by or --option asked for it:
     * the rows by combination, each with its indicator and options. */
    if (breakdown) {
        cJSON *arr = cJSON_AddArrayToObject(root, "breakdown");
        for (size_t i = 0; i < nrows; i++) {
            const Baocao__Figure *f = rows[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "indicator", f->indicator);
            cJSON *opts = cJSON_AddObjectToObject(o, "options");
            for (size_t k = 0; k < f->n_options; k++)
                cJSON_AddStringToObject(opts, f->options[k]->category,
                                        f->options[k]->option);
            json_figure(o, f);
            cJSON_AddItemToArray(arr, o);
        }
    }
    char *text = cJSON_Print(root);
    printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
}

/* Table and CSV: a comparison computed from a share of a split unit is
 * marked, one that is not comparable says so instead of a number. */
static void mark_cell(char *cell, size_t len, Baocao__Comparison b)
{
    if (b == BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE)
        snprintf(cell, len, "not comparable");
    else if (b == BAOCAO__COMPARISON__COMPARISON_ESTIMATED &&
             strcmp(cell, "-") != 0 && strlen(cell) + 7 < len)
        strcat(cell, " (est.)");
}

/* Table and CSV share the columns. */
static const char *query_cols[] = {
    "indicator", "name", "value", "cumulative", "prev", "vs prev",
    "last year", "vs LY", "cum LY", "vs cum LY", "vs cum LY %", "target",
    "% plan", "numerator", "denominator", "units"};
#define NCOLS (sizeof query_cols / sizeof query_cols[0])

static void figure_row(const Baocao__Figure *f, char cells[NCOLS][48])
{
    bc_shown_t s = bc_figure_shown(f);
    snprintf(cells[0], 48, "%s", f->indicator);
    fmt_num(cells[2], 48, s.has_value, s.value, s.is_rate);
    fmt_num(cells[3], 48, s.has_cum, s.cum, s.is_rate);
    fmt_num(cells[4], 48, s.has_prev, s.prev, false);
    fmt_delta(cells[5], 48, s.has_value, s.value, s.has_prev, s.prev);
    fmt_num(cells[6], 48, s.has_ly, s.ly, false);
    fmt_delta(cells[7], 48, s.has_value, s.value, s.has_ly, s.ly);
    fmt_num(cells[8], 48, s.has_cum_ly, s.cum_ly, false);
    fmt_delta(cells[9], 48, s.has_cum, s.cum, s.has_cum_ly, s.cum_ly);
    if (s.has_cum && s.has_cum_ly && s.cum_ly != 0)
        snprintf(cells[10], 48, "%+.1f", (s.cum - s.cum_ly) / s.cum_ly * 100);
    else
        snprintf(cells[10], 48, "-");
    fmt_num(cells[11], 48, s.has_target, s.target, false);
    fmt_pct(cells[12], 48, s.has_cum, s.cum, s.has_target, s.target);
    if (s.is_rate) {
        fmt_num(cells[13], 48, f->numerator && f->numerator->present,
                f->numerator ? (double) f->numerator->value : 0, false);
        fmt_num(cells[14], 48, f->denominator && f->denominator->present,
                f->denominator ? (double) f->denominator->value : 0, false);
    } else {
        snprintf(cells[13], 48, "-");
        snprintf(cells[14], 48, "-");
    }
    snprintf(cells[15], 48, "%u", f->reporting_units);
    mark_cell(cells[3], 48, f->cumulative_basis);
    mark_cell(cells[4], 48, f->previous_basis);
    mark_cell(cells[5], 48, f->previous_basis);
    mark_cell(cells[6], 48, f->last_year_basis);
    mark_cell(cells[7], 48, f->last_year_basis);
    mark_cell(cells[8], 48, f->cumulative_last_year_basis);
    Baocao__Comparison cb = f->cumulative_basis > f->cumulative_last_year_basis
                                ? f->cumulative_basis
                                : f->cumulative_last_year_basis;
    mark_cell(cells[9], 48, cb);
    mark_cell(cells[10], 48, cb);
}

/* Groups the digits of a number's whole part by three with a space
 * ("7492" -> "7 492", "-12345.50" -> "-12 345.50"): a space reads the same
 * to those who write 7.492 and to those who write 7,492, and the decimal
 * point stays unambiguous. Anything that is not a number is left alone. */
static void group_digits(char *cell, size_t len)
{
    const char *p = cell;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = strspn(p, "0123456789");
    if (digits < 4 || digits > 40 || (p[digits] && p[digits] != '.'))
        return;
    char out[64];
    size_t o = 0, lead = (size_t) (p - cell);
    memcpy(out, cell, lead);
    o = lead;
    for (size_t k = 0; k < digits; k++) {
        if (k && (digits - k) % 3 == 0)
            out[o++] = ' ';
        out[o++] = p[k];
    }
    size_t rest = strlen(p + digits);
    if (o + rest + 1 > len || o + rest + 1 > sizeof out)
        return;   /* no room: better ungrouped than cut */
    memcpy(out + o, p + digits, rest + 1);
    memcpy(cell, out, o + rest + 1);
}

/* The option a breakdown row has for category `cat`, or NULL (a total). */
static const char *option_of(const Baocao__Figure *f, const char *cat)
{
    for (size_t k = 0; k < f->n_options; k++)
        if (!strcmp(f->options[k]->category, cat))
            return f->options[k]->option;
    return NULL;
}

/* Table and CSV: the totals, then the breakdown rows, with one column per
 * category after the name (issue 17): a total's is empty in CSV (as in a
 * filed CSV, empty = total) and "all" in the table. */
static void print_rows(const Baocao__QueryReply *q,
                       const Baocao__Figure *const *figures, size_t n,
                       out_format_t fmt, char *const *cats, size_t ncats)
{
    char cells[NCOLS][48];
    size_t width = NCOLS + ncats;
    const char **row = bc_calloc(width, sizeof *row);
    char appr[BC_PEER_MAX + 200] = "";
    /* Column j of the output: 0-1 the indicator and name, then the
     * categories, then query_cols[2..]. */
#define COL_HEAD(j) ((j) < 2 ? query_cols[j] : (j) < 2 + ncats \
                     ? cats[(j) - 2] : query_cols[(j) - ncats])
    if (fmt == FMT_CSV) {
        /* The approval state (issue #11) in two last columns, the same on
         * every row: a spreadsheet filter keeps it beside each figure. */
        if (q->approval)
            cmd_approval_text(q->approval, appr, sizeof appr, false);
        for (size_t j = 0; j < width; j++)
            bc_csv_write_field(stdout, COL_HEAD(j), false);
        bc_csv_write_field(stdout, "approved", false);
        bc_csv_write_field(stdout, "approval", true);
        for (size_t i = 0; i < n; i++) {
            figure_row(figures[i], cells);
            /* No data is an empty field, which every spreadsheet reads as
             * empty; "-" would be read as text. */
            for (size_t j = 0; j < width; j++) {
                const char *v;
                if (j == 1)
                    v = figures[i]->name;
                else if (j >= 2 && j < 2 + ncats)
                    v = option_of(figures[i], cats[j - 2]);
                else {
                    size_t c = j < 2 ? j : j - ncats;
                    v = strcmp(cells[c], "-") ? cells[c] : "";
                }
                bc_csv_write_field(stdout, v ? v : "", false);
            }
            bc_csv_write_field(stdout, q->approved ? "yes" : "no", false);
            bc_csv_write_field(stdout, appr, true);
        }
        free(row);
        return;
    }
    printf("%s (%s), %s\n", q->unit_name, q->unit, q->period);
    if (q->approval) {
        cmd_approval_text(q->approval, appr, sizeof appr, true);
        printf("approved (locked): %s\n", appr);
    }
    printf("\n");
    /* A table shows only the columns that hold something for at least one
     * indicator: a month with no plan and no history stays narrow. */
    char (*all)[NCOLS][48] = calloc(n ? n : 1, sizeof *all);
    bool keep[NCOLS] = {true, true};
    for (size_t i = 0; i < n; i++) {
        figure_row(figures[i], all[i]);
        for (size_t c = 2; c < NCOLS; c++) {
            if (strcmp(all[i][c], "-") != 0)
                keep[c] = true;
            if (c != 12 && c != 10)   /* percentages stay as they are */
                group_digits(all[i][c], sizeof all[i][c]);
        }
    }
    const char **heads = bc_calloc(width, sizeof *heads);
    size_t *cols = bc_calloc(width, sizeof *cols), nkeep = 0;
    for (size_t j = 0; j < width; j++) {
        bool is_cat = j >= 2 && j < 2 + ncats;
        if (is_cat || keep[j < 2 ? j : j - ncats]) {
            heads[nkeep] = COL_HEAD(j);
            cols[nkeep++] = j;
        }
    }
#undef COL_HEAD
    bc_table_t *t = bc_table_new(nkeep, heads);
    for (size_t k = 2 + ncats; k < nkeep; k++)
        bc_table_align(t, k, BC_ALIGN_RIGHT);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < nkeep; k++) {
            size_t j = cols[k];
            if (j == 1)
                row[k] = figures[i]->name;
            else if (j >= 2 && j < 2 + ncats) {
                const char *o = option_of(figures[i], cats[j - 2]);
                row[k] = o ? o : "all";
            } else
                row[k] = all[i][j < 2 ? j : j - ncats];
        }
        bc_table_add(t, row);
    }
    bc_table_print(t, stdout);
    bc_table_destroy(&t);
    free(all);
    free(heads);
    free(cols);
    free(row);
    /* Flagged figures (#11): below the table, so its columns stay. */
    for (size_t i = 0; i < q->n_figures; i++)
        for (size_t k = 0; k < q->figures[i]->n_flags; k++)
            printf("%s flagged %s by warning rule %s (baocao validate "
                   "lists it)\n", k ? "" : "\n", q->figures[i]->indicator,
                   q->figures[i]->flags[k]);
    /* Why a comparison is estimated or missing: one note (the figures of a
     * reply share one history). */
    for (size_t i = 0; i < q->n_figures; i++)
        if (q->figures[i]->comparison_note &&
            q->figures[i]->comparison_note[0]) {
            printf("\nnote: %s\n", q->figures[i]->comparison_note);
            break;
        }
}

/* True if any number of the figure is present: value, history, target,
 * or a ratio's parts. */
static bool has_data(const Baocao__Figure *f)
{
    const Baocao__Num *nums[] = {f->value, f->cumulative, f->previous,
                                 f->last_year, f->cumulative_last_year,
                                 f->target, f->numerator, f->denominator,
                                 f->cumulative_numerator,
                                 f->cumulative_denominator};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (nums[i] && nums[i]->present)
            return true;
    return false;
}

/* Whether `text` holds `part`, ASCII letters compared without case (the
 * programme names are Vietnamese; their abbreviations, SDD, KCB, HIV, and
 * any exact part match). */
static bool contains_nocase(const char *text, const char *part)
{
    size_t n = strlen(part);
    for (; *text; text++) {
        size_t k = 0;
        while (k < n && text[k]
               && (text[k] == part[k]
                   || ((unsigned char) text[k] < 128
                       && (unsigned char) part[k] < 128
                       && tolower((unsigned char) text[k])
                              == tolower((unsigned char) part[k]))))
            k++;
        if (k == n)
            return true;
    }
    return n == 0;
}

/* Chooses the figures to print: --programme's, and for a table or CSV
 * without --all those with data (an indicator named with --indicator is
 * always shown: it was asked for). Returns how many went into out. */
static size_t choose_figures(const Baocao__QueryReply *q, const query_cfg_t *cfg,
                             out_format_t fmt, const Baocao__Figure **out,
                             size_t *nprog, size_t *nempty)
{
    size_t n = 0;
    *nprog = *nempty = 0;
    for (size_t i = 0; i < q->n_figures; i++) {
        const Baocao__Figure *f = q->figures[i];
        if (cfg->programme
            && !contains_nocase(f->programme ? f->programme : "",
                                cfg->programme))
            continue;
        (*nprog)++;
        if (fmt != FMT_JSON && !cfg->all && !cfg->indicators && !has_data(f)) {
            (*nempty)++;
            continue;
        }
        out[n++] = f;
    }
    return n;
}

/* The programmes the reply holds, for the message when --programme
 * matches none. */
static void list_programmes(const Baocao__QueryReply *q, FILE *out)
{
    for (size_t i = 0; i < q->n_figures; i++) {
        const char *p = q->figures[i]->programme;
        bool seen = !p || !*p;
        for (size_t k = 0; k < i && !seen; k++)
            seen = q->figures[k]->programme
                   && !strcmp(q->figures[k]->programme, p);
        if (!seen)
            fprintf(out, "  %s\n", p);
    }
}

int cmd_query(int argc, char **argv)
{
    query_cfg_t cfg;
    size_t npos;
    int status = EXIT_USAGE;
    out_format_t fmt;
    bc_client_t *client = NULL;
    char *bybuf = NULL, *bys[8];
    char *cats[16];
    size_t ncats = 0;
    Baocao__Option opts[8], *optp[8];
    char *optbuf[8] = {NULL};
    size_t nopts = 0;
    int rc = cmd_parse("query", "--hub ENDPOINT --unit CODE --period PERIOD "
                       "[--indicator CODE]... [--programme TEXT] [--all] "
                       "[--by CATEGORY[,CATEGORY]] [--option CAT=OPT]... "
                       "[--format table|csv|json]",
                       query_options, NQUERY, &cfg, argc, argv, NULL, 0,
                       &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc || cmd_format("query", cfg.format, &fmt))
        goto out_free;
    if (!cfg.unit || !cfg.period) {
        fprintf(stderr, "baocao query: --unit and --period are required\n");
        goto out_free;
    }
    /* Breakdowns (issue 17): the hub checks the names; here only the
     * shape, so that a typo is exit 2 before connecting. */
    Baocao__Query q = BAOCAO__QUERY__INIT;
    if (cfg.by) {
        bybuf = bc_strdup(cfg.by);
        char *save = NULL;
        for (char *t = strtok_r(bybuf, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            if (q.n_by == 4) {
                fprintf(stderr, "baocao query: --by takes at most 4 "
                        "categories\n");
                goto out_free;
            }
            bys[q.n_by++] = t;
            cats[ncats++] = t;
        }
        if (!q.n_by) {
            fprintf(stderr, "baocao query: --by needs a category (sex, "
                    "age, sex,age)\n");
            goto out_free;
        }
        q.by = bys;
    }
    for (char **p = cfg.options; p && *p; p++) {
        char *eq = strchr(*p, '=');
        if (!eq || eq == *p || !eq[1] || nopts == 4) {
            fprintf(stderr, "baocao query: --option takes CATEGORY=OPTION "
                    "(sex=nu), at most 4 times; not '%s'\n", *p);
            goto out_free;
        }
        optbuf[nopts] = bc_strdup(*p);
        optbuf[nopts][eq - *p] = '\0';
        baocao__option__init(&opts[nopts]);
        opts[nopts].category = optbuf[nopts];
        opts[nopts].option = optbuf[nopts] + (eq - *p) + 1;
        optp[nopts] = &opts[nopts];
        bool seen = false;
        for (size_t k = 0; k < ncats; k++)
            seen |= !strcmp(cats[k], optbuf[nopts]);
        if (!seen)
            cats[ncats++] = optbuf[nopts];
        nopts++;
    }
    q.n_options = nopts;
    q.options = optp;
    /* A connect failure is one of the options: exit 2 (cmd.h). */
    if (!(client = cmd_connect("query", &cfg.client)))
        goto out_free;
    status = EXIT_FAIL;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    q.unit = cfg.unit;
    q.period = cfg.period;
    for (char **p = cfg.indicators; p && *p; p++)
        q.n_indicators++;
    q.indicators = cfg.indicators;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *reply;
    if (cmd_call("query", client, &req, &reply, cfg.client.timeout_ms))
        goto out_close;
    if (reply->body_case == BAOCAO__REPLY__BODY_QUERY) {
        const Baocao__QueryReply *qr = reply->query;
        const Baocao__Figure **figs = bc_calloc(qr->n_figures
                                                + qr->n_breakdown + 1,
                                                sizeof *figs);
        size_t nprog, nempty;
        size_t n = choose_figures(qr, &cfg, fmt, figs, &nprog, &nempty);
        /* The breakdown rows after the totals, chosen the same way. */
        size_t nrows = 0;
        const Baocao__Figure **rows = figs + n;
        for (size_t i = 0; i < qr->n_breakdown; i++) {
            const Baocao__Figure *f = qr->breakdown[i];
            if (cfg.programme
                && !contains_nocase(f->programme ? f->programme : "",
                                    cfg.programme))
                continue;
            if (fmt != FMT_JSON && !cfg.all && !cfg.indicators
                && !has_data(f))
                continue;
            rows[nrows++] = f;
        }
        if (cfg.programme && !nprog) {
            fprintf(stderr, "baocao query: no indicator of a programme "
                    "matching '%s'; the programmes are:\n", cfg.programme);
            list_programmes(qr, stderr);
            status = EXIT_USAGE;
        } else {
            if (fmt == FMT_JSON) {
                print_json(qr, figs, n, rows, nrows, ncats > 0);
            } else {
                /* Each total followed by its rows, so they read together. */
                const Baocao__Figure **ord = bc_calloc(n + nrows + 1,
                                                       sizeof *ord);
                bool *used = bc_calloc(nrows + 1, sizeof *used);
                size_t m = 0;
                for (size_t i = 0; i < n; i++) {
                    ord[m++] = figs[i];
                    for (size_t k = 0; k < nrows; k++)
                        if (!used[k]
                            && !strcmp(rows[k]->indicator, figs[i]->indicator)) {
                            ord[m++] = rows[k];
                            used[k] = true;
                        }
                }
                for (size_t k = 0; k < nrows; k++)
                    if (!used[k])
                        ord[m++] = rows[k];
                print_rows(qr, ord, m, fmt, cats, ncats);
                free(used);
                free(ord);
            }
            /* Say what was left out, on stderr so that CSV stays data. */
            if (nempty)
                fprintf(fmt == FMT_TABLE ? stdout : stderr,
                        "%s%zu indicator%s without data not shown (--all "
                        "shows them)\n", fmt == FMT_TABLE ? "\n" : "",
                        nempty, nempty == 1 ? "" : "s");
            status = EXIT_OK;
        }
        free(figs);
    }
    baocao__reply__free_unpacked(reply, NULL);
out_close:
    bc_client_destroy(&client);
out_free:
    free(bybuf);
    for (size_t k = 0; k < nopts; k++)
        free(optbuf[k]);
    bc_config_free(query_options, NQUERY, &cfg);
    return status;
}
