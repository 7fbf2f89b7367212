/*
 * bc_dhis2.c -- DHIS2 dataValueSet (JSON, CSV) read and written, and the
 * dispatch to ADX (bc_adx.c); DHIS2 periods; the code mapping (formats in
 * bc_dhis2.h).
 *
 * Design: every parser is a thin layer over a well-kept library (cJSON,
 * libcsv through bc_csv; libxml2 for ADX, in bc_adx.c) that turns the
 * file into the same flat list of text values. Judging the values (is it a count? which of our
 * periods? a disaggregation?) is left to bc_dhis2_count and
 * bc_dhis2_period_parse, called by the importer, so that one bad value
 * becomes one conflict with its place in the file instead of failing the
 * whole file. Only what makes the file unreadable as a whole is a parse
 * error here.
 */
#include "bc_dhis2.h"

#include "bc_adx.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- the set ------------------------------------------------------------- */

bc_dhis2_set_t *bc_dhis2_set_new(void)
{
    return bc_calloc(1, sizeof(bc_dhis2_set_t));
}

void bc_dhis2_set_destroy(bc_dhis2_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bc_dhis2_set_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        bc_dhis2_value_t *v = &self->values[i];
        free(v->data_element);
        free(v->period);
        free(v->org_unit);
        free(v->coc);
        free(v->aoc);
        free(v->value);
    }
    free(self->values);
    free(self);
    *self_p = NULL;
}

static bc_dhis2_value_t *set_push(bc_dhis2_set_t *self, const char *de,
                                  const char *period, const char *ou,
                                  const char *coc, const char *value,
                                  size_t where)
{
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        self->values = bc_realloc(self->values,
                                  self->cap * sizeof *self->values);
    }
    bc_dhis2_value_t *v = &self->values[self->n++];
    memset(v, 0, sizeof *v);
    v->data_element = bc_strdup(de ? de : "");
    v->period = bc_strdup(period ? period : "");
    v->org_unit = bc_strdup(ou ? ou : "");
    v->coc = bc_strdup(coc ? coc : "");
    v->aoc = bc_strdup("");
    v->value = bc_strdup(value ? value : "");
    v->where = where;
    return v;
}

void bc_dhis2_set_add(bc_dhis2_set_t *self, const char *data_element,
                      const char *period, const char *org_unit,
                      const char *coc, const char *value, size_t where)
{
    set_push(self, data_element, period, org_unit, coc, value, where);
}

/* --- formats ------------------------------------------------------------- */

int bc_dhis2_format_parse(const char *word, bc_dhis2_format_t *out)
{
    if (!word)
        return BC_EINVAL;
    if (!strcmp(word, "dhis2-json"))
        *out = BC_DHIS2_JSON;
    else if (!strcmp(word, "dhis2-csv"))
        *out = BC_DHIS2_CSV;
    else if (!strcmp(word, "adx"))
        *out = BC_DHIS2_ADX;
    else
        return BC_EINVAL;
    return BC_OK;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcasecmp(s + n - t, tail);
}

bc_dhis2_format_t bc_dhis2_format_guess(const char *name, const char *data,
                                        size_t len)
{
    if (name) {
        if (ends_with(name, ".json"))
            return BC_DHIS2_JSON;
        if (ends_with(name, ".csv"))
            return BC_DHIS2_CSV;
        if (ends_with(name, ".xml") || ends_with(name, ".adx"))
            return BC_DHIS2_ADX;
    }
    size_t i = 0;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        i = 3;   /* a UTF-8 byte-order mark */
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i < len && data[i] == '{')
        return BC_DHIS2_JSON;
    if (i < len && data[i] == '<')
        return BC_DHIS2_ADX;
    return BC_DHIS2_CSV;
}

/* --- JSON ---------------------------------------------------------------- */

/* A field as text: a string as is, a number printed (DHIS2 writes values
 * as strings, other tools as numbers). Absent or null: "". Returns -1 for
 * any other type. */
static int json_text(const cJSON *obj, const char *field, char *buf,
                     size_t len, const char **out)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!f || cJSON_IsNull(f)) {
        *out = "";
        return 0;
    }
    if (cJSON_IsString(f) && f->valuestring) {
        *out = f->valuestring;
        return 0;
    }
    if (cJSON_IsNumber(f)) {
        double d = f->valuedouble;
        /* Whole numbers print as digits; the importer judges the rest.
         * The range first: converting a double beyond long long (1e300, a
         * fuzzer's) is undefined behaviour, not a large number. */
        if (d > -9e15 && d < 9e15 && d == (double) (long long) d)
            snprintf(buf, len, "%lld", (long long) d);
        else
            snprintf(buf, len, "%.17g", d);
        *out = buf;
        return 0;
    }
    return -1;
}

static int parse_json(const char *data, size_t len, const char *name,
                      bc_dhis2_set_t *set, char *err, size_t errlen)
{
    int rc = BC_EPARSE;
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= data && at <= data + len
                         ? (size_t) (at - data) : 0;
        bc_set_error(err, errlen, "%s: not JSON (near byte %zu)", name, off);
        return rc;
    }
    if (!cJSON_IsObject(root)) {
        bc_set_error(err, errlen, "%s: not a dataValueSet (the JSON is not "
                     "an object)", name);
        goto out;
    }
    /* The set's period and orgUnit apply to values that have none. */
    char nb[3][64];
    const char *set_period, *set_ou, *set_aoc;
    if (json_text(root, "period", nb[0], sizeof nb[0], &set_period)
        || json_text(root, "orgUnit", nb[1], sizeof nb[1], &set_ou)
        || json_text(root, "attributeOptionCombo", nb[2], sizeof nb[2],
                     &set_aoc)) {
        bc_set_error(err, errlen, "%s: the dataValueSet's period, orgUnit "
                     "or attributeOptionCombo is not text", name);
        goto out;
    }
    const cJSON *dvs = cJSON_GetObjectItemCaseSensitive(root, "dataValues");
    if (!cJSON_IsArray(dvs)) {
        bc_set_error(err, errlen, "%s: not a dataValueSet (no dataValues "
                     "array)", name);
        goto out;
    }
    size_t pos = 0;
    const cJSON *dv;
    cJSON_ArrayForEach(dv, dvs) {
        pos++;
        if (!cJSON_IsObject(dv)) {
            bc_set_error(err, errlen, "%s: dataValues[%zu] is not an object",
                         name, pos - 1);
            goto out;
        }
        static const char *fields[] = {"dataElement", "period", "orgUnit",
                                       "categoryOptionCombo",
                                       "attributeOptionCombo", "value"};
        const char *t[6];
        char buf[6][64];
        for (size_t k = 0; k < 6; k++)
            if (json_text(dv, fields[k], buf[k], sizeof buf[k], &t[k])) {
                bc_set_error(err, errlen, "%s: dataValues[%zu].%s is not "
                             "text or a number", name, pos - 1, fields[k]);
                goto out;
            }
        bc_dhis2_value_t *v = set_push(set, t[0], t[1][0] ? t[1] : set_period,
                                       t[2][0] ? t[2] : set_ou, t[3], t[5],
                                       pos);
        free(v->aoc);
        v->aoc = bc_strdup(t[4][0] ? t[4] : set_aoc);
        const cJSON *del = cJSON_GetObjectItemCaseSensitive(dv, "deleted");
        v->deleted = cJSON_IsTrue(del);
    }
    rc = BC_OK;
out:
    cJSON_Delete(root);
    return rc;
}

static int write_json(FILE *out, const bc_dhis2_set_t *set, bool code)
{
    cJSON *root = cJSON_CreateObject();
    if (code)
        cJSON_AddStringToObject(root, "idScheme", "CODE");
    cJSON *arr = cJSON_AddArrayToObject(root, "dataValues");
    for (size_t i = 0; i < set->n; i++) {
        const bc_dhis2_value_t *v = &set->values[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "dataElement", v->data_element);
        cJSON_AddStringToObject(o, "period", v->period);
        cJSON_AddStringToObject(o, "orgUnit", v->org_unit);
        /* No categoryOptionCombo means DHIS2's default one, whatever the
         * idScheme (its UID would not resolve as a code). */
        if (v->coc[0])
            cJSON_AddStringToObject(o, "categoryOptionCombo", v->coc);
        cJSON_AddStringToObject(o, "value", v->value);
        cJSON_AddItemToArray(arr, o);
    }
    char *text = cJSON_Print(root);
    int rc = fprintf(out, "%s\n", text) < 0 ? BC_EIO : BC_OK;
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

/* --- CSV ----------------------------------------------------------------- */

enum { C_DE, C_PE, C_OU, C_COC, C_AOC, C_VALUE, C_DELETED, C_COUNT };

/* Header words DHIS2 has used for each column (its own 2012 documentation
 * spells one "dataelelement"), and the position in today's layout. */
static const struct {
    const char *names[4];   /* accepted header words, lower case */
    int position;           /* column in DHIS2's layout */
} csv_cols[C_COUNT] = {
    [C_DE] = {{"dataelement", "dataelelement", "de", NULL}, 0},
    [C_PE] = {{"period", "pe", NULL, NULL}, 1},
    [C_OU] = {{"orgunit", "ou", NULL, NULL}, 2},
    [C_COC] = {{"catoptcombo", "categoryoptioncombo", "coc", NULL}, 3},
    [C_AOC] = {{"attroptcombo", "attributeoptioncombo", "aoc", NULL}, 4},
    [C_VALUE] = {{"value", NULL, NULL, NULL}, 5},
    [C_DELETED] = {{"deleted", NULL, NULL, NULL}, 10},
};

static int parse_csv(const char *data, size_t len, const char *name,
                     bc_dhis2_set_t *set, char *err, size_t errlen)
{
    bc_csv_t *csv = bc_csv_parse(data, len, name, err, errlen);
    if (!csv)
        return BC_EPARSE;
    int col[C_COUNT];
    bool named = false;
    size_t ncols = bc_csv_columns(csv);
    for (int c = 0; c < C_COUNT; c++) {
        col[c] = -1;
        for (size_t h = 0; h < ncols && col[c] < 0; h++)
            for (int k = 0; k < 4 && csv_cols[c].names[k]; k++)
                if (!strcasecmp(bc_csv_header(csv, h), csv_cols[c].names[k]))
                    col[c] = (int) h;
        named |= col[c] >= 0;
    }
    /* A header DHIS2 would not recognise either: DHIS2 ignores the first
     * row and reads by position, and so do we. */
    if (!named)
        for (int c = 0; c < C_COUNT; c++)
            col[c] = csv_cols[c].position;
    if (col[C_DE] < 0 || col[C_PE] < 0 || col[C_OU] < 0 || col[C_VALUE] < 0) {
        bc_set_error(err, errlen, "%s:1: the header names some DHIS2 columns "
                     "but not all of dataelement, period, orgunit and value",
                     name);
        bc_csv_destroy(&csv);
        return BC_EPARSE;
    }
    for (size_t r = 0; r < bc_csv_rows(csv); r++) {
#define F(c) (col[c] >= 0 ? bc_csv_field(csv, r, col[c]) : "")
        bc_dhis2_value_t *v = set_push(set, F(C_DE), F(C_PE), F(C_OU),
                                       F(C_COC), F(C_VALUE),
                                       bc_csv_line(csv, r));
        free(v->aoc);
        v->aoc = bc_strdup(F(C_AOC));
        v->deleted = !strcasecmp(F(C_DELETED), "true");
#undef F
    }
    bc_csv_destroy(&csv);
    return BC_OK;
}

/* One CSV field through libcsv's writer (RFC 4180 quoting). */
static int csv_put(FILE *out, const char *s, bool last)
{
    if (csv_fwrite(out, s, strlen(s)) != 0)
        return BC_EIO;
    return fputc(last ? '\n' : ',', out) == EOF ? BC_EIO : BC_OK;
}

static int write_csv(FILE *out, const bc_dhis2_set_t *set)
{
    static const char *head[] = {"dataelement", "period", "orgunit",
                                 "catoptcombo", "attroptcombo", "value"};
    int rc = BC_OK;
    for (size_t k = 0; k < 6 && !rc; k++)
        rc = csv_put(out, head[k], k == 5);
    for (size_t i = 0; i < set->n && !rc; i++) {
        const bc_dhis2_value_t *v = &set->values[i];
        const char *row[] = {v->data_element, v->period, v->org_unit,
                             v->coc, v->aoc, v->value};
        for (size_t k = 0; k < 6 && !rc; k++)
            rc = csv_put(out, row[k], k == 5);
    }
    return rc;
}

/* --- dispatch ------------------------------------------------------------ */

int bc_dhis2_parse(const char *data, size_t len, bc_dhis2_format_t fmt,
                   const char *name, bc_dhis2_set_t **out, char *err,
                   size_t errlen)
{
    if (!out || (!data && len))
        return BC_EINVAL;
    *out = NULL;
    if (!name)
        name = "(dhis2)";
    if (!data)
        data = "";
    bc_dhis2_set_t *set = bc_dhis2_set_new();
    int rc;
    switch (fmt) {
    case BC_DHIS2_JSON: rc = parse_json(data, len, name, set, err, errlen); break;
    case BC_DHIS2_CSV:  rc = parse_csv(data, len, name, set, err, errlen); break;
    case BC_DHIS2_ADX:  rc = bc_adx_parse(data, len, name, set, err, errlen); break;
    default:            rc = BC_EINVAL; break;
    }
    if (rc)
        bc_dhis2_set_destroy(&set);
    *out = set;
    return rc;
}

int bc_dhis2_write(FILE *out, bc_dhis2_format_t fmt,
                   const bc_dhis2_set_t *set, bool id_scheme_code)
{
    switch (fmt) {
    case BC_DHIS2_JSON: return write_json(out, set, id_scheme_code);
    case BC_DHIS2_CSV:  return write_csv(out, set);
    case BC_DHIS2_ADX:  return bc_adx_write(out, set);
    default:            return BC_EINVAL;
    }
}

/* --- periods ------------------------------------------------------------- */

/* Reads exactly n digits at s; -1 if they are not all digits. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int bc_dhis2_period_parse(const char *text, bc_period_t *out)
{
    if (!text)
        return BC_EPERIOD;
    size_t n = strlen(text);
    int year = n >= 4 ? digits(text, 4) : -1;
    bc_period_t p = 0;
    if (year < 0)
        return BC_EPERIOD;
    if (n == 4)
        p = bc_period_make((unsigned) year, BC_PT_YEAR, 1);
    else if (n == 6 && (text[4] == 'Q' || text[4] == 'S')
             && digits(text + 5, 1) > 0)
        p = bc_period_make((unsigned) year,
                           text[4] == 'Q' ? BC_PT_QUARTER : BC_PT_HALF,
                           (unsigned) digits(text + 5, 1));
    else if (n == 6 && digits(text + 4, 2) > 0)
        p = bc_period_make((unsigned) year, BC_PT_MONTH,
                           (unsigned) digits(text + 4, 2));
    else if (n == 14 && text[4] == '-' && text[7] == '-' && text[10] == '/'
             && text[11] == 'P' && digits(text + 8, 2) == 1) {
        /* ADX: a start date and a duration; the start must be where such a
         * period begins. */
        int month = digits(text + 5, 2);
        int count = digits(text + 12, 1);
        char unit = text[13];
        if (month < 1 || month > 12 || count < 1)
            return BC_EPERIOD;
        if (unit == 'M' && count == 1)
            p = bc_period_make((unsigned) year, BC_PT_MONTH, (unsigned) month);
        else if (unit == 'M' && count == 3 && (month - 1) % 3 == 0)
            p = bc_period_make((unsigned) year, BC_PT_QUARTER,
                               (unsigned) (month - 1) / 3 + 1);
        else if (unit == 'M' && count == 6 && (month - 1) % 6 == 0)
            p = bc_period_make((unsigned) year, BC_PT_HALF,
                               (unsigned) (month - 1) / 6 + 1);
        else if (unit == 'Y' && count == 1 && month == 1)
            p = bc_period_make((unsigned) year, BC_PT_YEAR, 1);
    }
    if (!p)
        return BC_EPERIOD;
    *out = p;
    return BC_OK;
}

char *bc_dhis2_period_iso(bc_period_t p, char *buf)
{
    unsigned y = bc_period_year(p), i = bc_period_index(p);
    switch (bc_period_type(p)) {
    case BC_PT_MONTH:   snprintf(buf, BC_DHIS2_PERIOD_STRLEN, "%04u%02u", y, i); break;
    case BC_PT_QUARTER: snprintf(buf, BC_DHIS2_PERIOD_STRLEN, "%04uQ%u", y, i); break;
    case BC_PT_HALF:    snprintf(buf, BC_DHIS2_PERIOD_STRLEN, "%04uS%u", y, i); break;
    default:            snprintf(buf, BC_DHIS2_PERIOD_STRLEN, "%04u", y); break;
    }
    return buf;
}

char *bc_dhis2_period_adx(bc_period_t p, char *buf)
{
    unsigned y = bc_period_year(p), first, last;
    bc_period_months(p, &first, &last);
    if (bc_period_type(p) == BC_PT_YEAR)
        snprintf(buf, BC_DHIS2_PERIOD_STRLEN, "%04u-01-01/P1Y", y);
    else
        snprintf(buf, BC_DHIS2_PERIOD_STRLEN, "%04u-%02u-01/P%uM", y, first,
                 last - first + 1);
    return buf;
}

/* --- values -------------------------------------------------------------- */

int bc_dhis2_count(const char *text, long long *out, const char **why)
{
    const char *p = text;
    if (!*p) {
        *why = "is empty";
        return BC_EINVAL;
    }
    bool neg = *p == '-';
    if (*p == '+' || *p == '-')
        p++;
    size_t nd = strspn(p, "0123456789");
    if (nd == 0 || (p[nd] && p[nd] != '.' && p[nd] != 'e' && p[nd] != 'E')) {
        *why = "is not a number";
        return BC_EINVAL;
    }
    if (p[nd]) {
        /* A fraction or an exponent: a number, but not a count (the hub
         * would refuse it as NOT_INTEGER). */
        char *end;
        errno = 0;
        strtod(text, &end);
        *why = *end ? "is not a number" : "is not a whole number";
        return BC_EINVAL;
    }
    if (neg) {
        *why = "is negative";
        return BC_EINVAL;
    }
    errno = 0;
    long long v = strtoll(p, NULL, 10);
    if (errno == ERANGE) {
        *why = "is out of range";
        return BC_EINVAL;
    }
    *out = v;
    return BC_OK;
}

bool bc_dhis2_is_default_combo(const char *combo)
{
    return !combo || !combo[0] || !strcmp(combo, "default")
           || !strcmp(combo, BC_DHIS2_DEFAULT_COC);
}

/* --- mapping ------------------------------------------------------------- */

typedef struct {
    bc_dhis2_kind_t kind;   /* unit or indicator */
    char *ours;             /* our code */
    char *theirs;           /* DHIS2's identifier */
    size_t line;            /* line in the file, for messages */
} map_row_t;

struct bc_dhis2_map_t {
    map_row_t *rows;        /* the rows, file order */
    size_t n;               /* how many */
    map_row_t **by_ours;    /* sorted by (kind, ours) */
    map_row_t **by_theirs;  /* sorted by (kind, theirs) */
};

static int cmp_ours(const void *a, const void *b)
{
    const map_row_t *x = *(map_row_t *const *) a, *y = *(map_row_t *const *) b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->ours, y->ours);
}

static int cmp_theirs(const void *a, const void *b)
{
    const map_row_t *x = *(map_row_t *const *) a, *y = *(map_row_t *const *) b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->theirs, y->theirs);
}

static const char *kind_word(bc_dhis2_kind_t k)
{
    return k == BC_DHIS2_UNIT ? "unit"
           : k == BC_DHIS2_COC ? "coc" : "indicator";
}

bc_dhis2_map_t *bc_dhis2_map_parse(const char *data, size_t len,
                                   const char *name, char *err,
                                   size_t errlen)
{
    if (!name)
        name = "(mapping)";
    bc_csv_t *csv = bc_csv_parse(data ? data : "", data ? len : 0, name, err,
                                 errlen);
    if (!csv)
        return NULL;
    bc_dhis2_map_t *m = bc_calloc(1, sizeof *m);
    int ck = bc_csv_column(csv, "kind"), co = bc_csv_column(csv, "ours"),
        ct = bc_csv_column(csv, "theirs");
    if (ck < 0 || co < 0 || ct < 0) {
        bc_set_error(err, errlen, "%s:1: the header needs the columns kind, "
                     "ours and theirs", name);
        goto fail;
    }
    size_t rows = bc_csv_rows(csv);
    m->rows = bc_calloc(rows ? rows : 1, sizeof *m->rows);
    for (size_t r = 0; r < rows; r++) {
        const char *k = bc_csv_field(csv, r, ck), *o = bc_csv_field(csv, r, co),
                   *t = bc_csv_field(csv, r, ct);
        size_t line = bc_csv_line(csv, r);
        map_row_t *row = &m->rows[m->n];
        if (!strcmp(k, "unit"))
            row->kind = BC_DHIS2_UNIT;
        else if (!strcmp(k, "indicator"))
            row->kind = BC_DHIS2_INDICATOR;
        else if (!strcmp(k, "coc"))
            row->kind = BC_DHIS2_COC;
        else {
            bc_set_error(err, errlen, "%s:%zu: kind '%s' is not unit, "
                         "indicator or coc", name, line, k);
            goto fail;
        }
        if (!o[0] || !t[0]) {
            bc_set_error(err, errlen, "%s:%zu: a %s row needs both codes",
                         name, line, k);
            goto fail;
        }
        row->ours = bc_strdup(o);
        row->theirs = bc_strdup(t);
        row->line = line;
        m->n++;
    }
    m->by_ours = bc_calloc(m->n ? m->n : 1, sizeof *m->by_ours);
    m->by_theirs = bc_calloc(m->n ? m->n : 1, sizeof *m->by_theirs);
    for (size_t i = 0; i < m->n; i++)
        m->by_ours[i] = m->by_theirs[i] = &m->rows[i];
    qsort(m->by_ours, m->n, sizeof *m->by_ours, cmp_ours);
    qsort(m->by_theirs, m->n, sizeof *m->by_theirs, cmp_theirs);
    /* Both directions must be functions, or an export re-imported would
     * not come back to the same codes. */
    for (size_t i = 1; i < m->n; i++) {
        const map_row_t *a = m->by_ours[i - 1], *b = m->by_ours[i];
        if (!cmp_ours(&a, &b)) {
            bc_set_error(err, errlen, "%s:%zu: %s %s is mapped twice (first "
                         "on line %zu)", name, a->line > b->line ? a->line
                         : b->line, kind_word(a->kind), a->ours,
                         a->line < b->line ? a->line : b->line);
            goto fail;
        }
        a = m->by_theirs[i - 1];
        b = m->by_theirs[i];
        if (!cmp_theirs(&a, &b)) {
            bc_set_error(err, errlen, "%s:%zu: DHIS2 %s %s is the mapping of "
                         "two codes (first on line %zu)", name,
                         a->line > b->line ? a->line : b->line,
                         kind_word(a->kind), a->theirs,
                         a->line < b->line ? a->line : b->line);
            goto fail;
        }
    }
    bc_csv_destroy(&csv);
    return m;
fail:
    bc_csv_destroy(&csv);
    bc_dhis2_map_destroy(&m);
    return NULL;
}

bc_dhis2_map_t *bc_dhis2_map_load(const char *path, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int e = bc_read_file(path, &buf, &len);
    if (e) {
        bc_set_error(err, errlen, "%s: %s", path, strerror(e));
        return NULL;
    }
    bc_dhis2_map_t *m = bc_dhis2_map_parse(buf, len, path, err, errlen);
    free(buf);
    return m;
}

void bc_dhis2_map_destroy(bc_dhis2_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bc_dhis2_map_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free(self->rows[i].ours);
        free(self->rows[i].theirs);
    }
    free(self->rows);
    free(self->by_ours);
    free(self->by_theirs);
    free(self);
    *self_p = NULL;
}

const char *bc_dhis2_map_theirs(const bc_dhis2_map_t *self,
                                bc_dhis2_kind_t kind, const char *ours)
{
    if (!self || !self->n)
        return ours;
    map_row_t key = {kind, (char *) ours, NULL, 0}, *kp = &key;
    map_row_t **hit = bsearch(&kp, self->by_ours, self->n,
                              sizeof *self->by_ours, cmp_ours);
    return hit ? (*hit)->theirs : ours;
}

const char *bc_dhis2_map_ours(const bc_dhis2_map_t *self,
                              bc_dhis2_kind_t kind, const char *theirs)
{
    if (!self || !self->n)
        return theirs;
    map_row_t key = {kind, NULL, (char *) theirs, 0}, *kp = &key;
    map_row_t **hit = bsearch(&kp, self->by_theirs, self->n,
                              sizeof *self->by_theirs, cmp_theirs);
    return hit ? (*hit)->ours : theirs;
}

const char *bc_dhis2_map_find_ours(const bc_dhis2_map_t *self,
                                   bc_dhis2_kind_t kind, const char *theirs)
{
    if (!self || !self->n)
        return NULL;
    map_row_t key = {kind, NULL, (char *) theirs, 0}, *kp = &key;
    map_row_t **hit = bsearch(&kp, self->by_theirs, self->n,
                              sizeof *self->by_theirs, cmp_theirs);
    return hit ? (*hit)->ours : NULL;
}

size_t bc_dhis2_map_size(const bc_dhis2_map_t *self)
{
    return self ? self->n : 0;
}
