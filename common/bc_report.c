/*
 * bc_report.c -- a report file (`indicator,value`) read into memory.
 *
 * Design: this module checks form, not meaning. It does not know the
 * catalogue (the hub owns it), so an unknown indicator code passes here;
 * what it refuses is what no catalogue could accept: a value that is not a
 * number, an indicator listed twice (which figure would count?), a file
 * without the two columns or without any figure.
 *
 * Number syntax is deliberately narrow and locale-independent:
 *
 *   integer   [+-]digits                      -> is_integer, count
 *   decimal   [+-]digits.digits, .5, 5., 1e3  -> !is_integer, decimal
 *
 * Anything with a decimal point or an exponent is a decimal, even when its
 * value is whole ("12.0", "1e3"): the hub then refuses it for a count, which
 * is what we want, because a "12.0" in a count column usually means a
 * spreadsheet formula or a rate pasted in the wrong row. It also means a
 * Vietnamese thousands separator ("1.178" for 1178) is read as the decimal
 * 1.178 and refused for a count rather than silently accepted as 1.
 * "nan", "inf", hex floats and thousands separators are not numbers.
 * Integers must fit int64_t.
 */
#include "bc_report.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/* Classifies s: 1 integer, 2 decimal, 0 not a number (see the top). */
static int number_shape(const char *s)
{
    const char *p = s;
    size_t int_digits = 0, frac_digits = 0;
    bool point = false;

    if (*p == '+' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9') {
        p++;
        int_digits++;
    }
    if (*p == '.') {
        point = true;
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            frac_digits++;
        }
    }
    if (int_digits + frac_digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        size_t exp_digits = 0;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return 0;
        point = true;   /* an exponent makes it a decimal, see the top */
    }
    if (*p != '\0')
        return 0;
    return point ? 2 : 1;
}

/* strtod obeys LC_NUMERIC; a process that set a comma-decimal locale would
 * misread "12.5". The shape is already checked, so swap our '.' for the
 * current locale's decimal point before converting. */
static double to_double(const char *s)
{
    char buf[128];
    const char *dp = localeconv()->decimal_point;
    size_t n = strlen(s);

    if (!dp || strcmp(dp, ".") == 0 || n >= sizeof buf || strlen(dp) != 1)
        return strtod(s, NULL);
    memcpy(buf, s, n + 1);
    for (char *p = buf; *p; p++)
        if (*p == '.')
            *p = dp[0];
    return strtod(buf, NULL);
}

/* Parses one value into v. Returns 0, or -1 with a reason in why. */
static int parse_value(const char *s, bc_report_value_t *v, const char **why)
{
    switch (number_shape(s)) {
    case 1: {
        char *end;
        long long x;
        errno = 0;
        x = strtoll(s, &end, 10);
        if (errno == ERANGE || *end != '\0') {
            *why = "is out of range";
            return -1;
        }
        v->is_integer = true;
        v->count = (int64_t) x;
        return 0;
    }
    case 2: {
        double d = to_double(s);
        if (!isfinite(d)) {
            *why = "is out of range";
            return -1;
        }
        v->is_integer = false;
        v->decimal = d;
        return 0;
    }
    default:
        *why = s[0] ? "is not a number" : "is empty";
        return -1;
    }
}

/* One row for the duplicate check: sorting these by (code, row) puts
 * equal codes side by side, the earlier row first. No global state, so
 * parsing stays reentrant. */
typedef struct {
    const char *code;     /* the indicator code of the row */
    size_t row;           /* the data row it came from */
} code_row_t;

static int cmp_code_row(const void *a, const void *b)
{
    const code_row_t *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    if (c)
        return c;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* What a header without our two columns most likely means, for the
 * message: the first line as read (so staff see what we saw), and a guess
 * at the cause. Spreadsheets in a Vietnamese or French locale save CSV
 * with ';', "Unicode text" is UTF-16 with tabs; both look fine on screen. */
static void header_hint(const char *data, size_t len, char *out,
                        size_t outlen)
{
    size_t nul = 0, semi = 0, tab = 0, comma = 0, end = 0;
    while (end < len && data[end] != '\n' && end < 4096)
        end++;
    for (size_t i = 0; i < end; i++) {
        nul += data[i] == '\0';
        semi += data[i] == ';';
        tab += data[i] == '\t';
        comma += data[i] == ',';
    }
    bool utf16 = (len >= 2 && (((uint8_t) data[0] == 0xFF
                                && (uint8_t) data[1] == 0xFE)
                               || ((uint8_t) data[0] == 0xFE
                                   && (uint8_t) data[1] == 0xFF)))
                 || nul > 0;
    /* The header as read, printable ASCII and UTF-8 kept, the rest as '?',
     * a UTF-8 byte-order mark left out. */
    char shown[72];
    size_t n = 0, i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3
                      : utf16 && len >= 2 && (uint8_t) data[0] >= 0xFE ? 2
                                                                       : 0;
    for (; i < end && n + 5 < sizeof shown; i++) {
        unsigned char c = (unsigned char) data[i];
        if (c == '\r' || (utf16 && c == 0))
            continue;
        if (c == '\t') {   /* shown, since it may be the separator */
            shown[n++] = '\\';
            shown[n++] = 't';
            continue;
        }
        shown[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
    }
    if (i < end)
        shown[n++] = '.', shown[n++] = '.', shown[n++] = '.';
    shown[n] = '\0';
    const char *guess = "";
    if (utf16)
        guess = "; the file looks like UTF-16 (\"Unicode text\"): save it "
                "as \"CSV UTF-8\"";
    else if (semi > comma)
        guess = "; the separator looks like ';': save the file with commas "
                "(\"CSV UTF-8, comma delimited\")";
    else if (tab > comma)
        guess = "; the separator looks like a tab: save the file with commas "
                "(\"CSV UTF-8, comma delimited\")";
    snprintf(out, outlen, " (header read: \"%s\"%s)", shown, guess);
}

/* UTF-16 first: its NUL bytes would otherwise surface as a puzzling
 * CSV error (a control byte) on some later line. head: the file's first
 * bytes. Returns BC_OK, or BC_EPARSE with the message. */
static int check_utf16(const char *head, size_t len, const char *name,
                       char *err, size_t errlen)
{
    if (len >= 2 && ((uint8_t) head[0] == 0xFF || (uint8_t) head[0] == 0xFE
                     || memchr(head, '\0', len < 4096 ? len : 4096))) {
        char hint[256];
        header_hint(head, len, hint, sizeof hint);
        if (strstr(hint, "UTF-16")) {
            bc_set_error(err, errlen, "%s:1: not a UTF-8 text file%s", name,
                         hint);
            return BC_EPARSE;
        }
    }
    return BC_OK;
}

/* The report in a parsed table (which it destroys); data and len are the
 * file's first bytes (or all of it), for the header hint. */
/* Category names and options become part of a combination's code: the
 * characters that delimit it, and control bytes, are not allowed. */
static bool part_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s == '[' || *s == ']' || *s == ',' || *s == '='
            || (unsigned char) *s < 0x20)
            return false;
    return true;
}

typedef struct {
    const char *cat;          /* category (header) */
    const char *opt;          /* option (cell) */
} cat_opt_t;

static int cmp_cat_opt(const void *a, const void *b)
{
    return strcmp(((const cat_opt_t *) a)->cat, ((const cat_opt_t *) b)->cat);
}

char *bc_report_combination(const char *indicator, size_t n,
                            const char *const *cats,
                            const char *const *opts)
{
    if (!n)
        return bc_strdup(indicator);
    cat_opt_t *co = bc_malloc(n * sizeof *co);
    size_t len = strlen(indicator) + 3;
    for (size_t k = 0; k < n; k++) {
        co[k] = (cat_opt_t){cats[k], opts[k]};
        len += strlen(cats[k]) + strlen(opts[k]) + 2;
    }
    qsort(co, n, sizeof *co, cmp_cat_opt);
    char *code = bc_malloc(len);
    size_t w = (size_t) snprintf(code, len, "%s[", indicator);
    for (size_t k = 0; k < n; k++)
        w += (size_t) snprintf(code + w, len - w, "%s%s=%s", k ? "," : "",
                               co[k].cat, co[k].opt);
    snprintf(code + w, len - w, "]");
    free(co);
    return code;
}

/* Cuts the code in place in out->text: each piece is checked as a
 * category cell is (part_ok), so a split code is one that
 * bc_report_combination could have written. */
int bc_report_split_combination(const char *code, bc_report_combo_t *out)
{
    if (!code)
        return BC_EPARSE;
    size_t len = strlen(code);
    if (len > BC_REPORT_COMBO_MAX)
        return BC_ERANGE;
    memcpy(out->text, code, len + 1);
    char *br = strchr(out->text, '[');
    if (!br || len < 2 || out->text[len - 1] != ']')
        return BC_EPARSE;
    *br = '\0';
    out->text[len - 1] = '\0';
    out->indicator = out->text;
    out->n = 0;
    if (!part_ok(out->indicator))
        return BC_EPARSE;
    /* Pairs up to the closing ']' (now the NUL): a comma ends each but
     * the last, so an empty pair anywhere is malformed. */
    for (char *p = br + 1;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(p, '=');
        if (!eq)
            return BC_EPARSE;
        *eq = '\0';
        if (!part_ok(p) || !part_ok(eq + 1))
            return BC_EPARSE;
        if (out->n == BC_REPORT_MAX_CATEGORIES)
            return BC_ERANGE;
        out->cats[out->n] = p;
        out->opts[out->n++] = eq + 1;
        if (!comma)
            return BC_OK;
        p = comma + 1;
    }
}

static int report_from_csv(bc_csv_t *csv, const char *data, size_t len,
                           const char *name, bc_report_t **out, char *err,
                           size_t errlen)
{
    bc_report_t *rep = NULL;
    code_row_t *order = NULL;
    int c_ind, c_val, rc = BC_EPARSE;
    size_t n;

    if (!csv)
        goto out;

    /* Step 1: the shape of the file. */
    if (bc_csv_columns(csv) == 0) {
        bc_set_error(err, errlen, "%s: empty file", name);
        goto out;
    }
    c_ind = bc_csv_column(csv, "indicator");
    c_val = bc_csv_column(csv, "value");
    if (c_ind < 0 || c_val < 0) {
        char hint[256];
        header_hint(data, len, hint, sizeof hint);
        bc_set_error(err, errlen, "%s:1: the header needs the columns indicator "
                "and value (missing %s)%s", name,
                c_ind < 0 ? "indicator" : "value", hint);
        goto out;
    }
    n = bc_csv_rows(csv);
    if (n == 0) {
        bc_set_error(err, errlen, "%s: empty file (a header and no figures)",
                name);
        goto out;
    }
    /* Breakdowns: the columns between indicator and value. */
    int cat_cols[BC_REPORT_MAX_CATEGORIES];
    const char *cat_names[BC_REPORT_MAX_CATEGORIES];
    size_t ncat = 0;
    for (int c = c_ind + 1; c < c_val; c++) {
        const char *h = bc_csv_header(csv, (size_t) c);
        if (strcasecmp(h, "name") == 0)
            continue;
        if (ncat == BC_REPORT_MAX_CATEGORIES || !part_ok(h)) {
            bc_set_error(err, errlen, "%s:1: the columns between indicator "
                    "and value are categories (sex, age): at most %d, each "
                    "named without [ ] , =; not '%s'", name,
                    BC_REPORT_MAX_CATEGORIES, h);
            goto out;
        }
        cat_cols[ncat] = c;
        cat_names[ncat++] = h;
    }

    /* Step 2: one value per row. */
    rep = bc_calloc(1, sizeof *rep);
    rep->values = bc_calloc(n, sizeof *rep->values);
    for (size_t r = 0; r < n; r++) {
        bc_report_value_t *v = &rep->values[r];
        const char *code = bc_csv_field(csv, r, c_ind);
        const char *val = bc_csv_field(csv, r, c_val);
        const char *why = NULL;

        const char *opts[BC_REPORT_MAX_CATEGORIES];
        const char *cats[BC_REPORT_MAX_CATEGORIES];
        size_t nopt = 0;
        for (size_t k = 0; k < ncat; k++) {
            const char *cell = bc_csv_field(csv, r, cat_cols[k]);
            if (!cell[0])
                continue;   /* empty: this category's total */
            if (!part_ok(cell)) {
                bc_set_error(err, errlen, "%s:%zu: %s '%s' of %s: an option "
                        "has no [ ] , = or control characters", name,
                        bc_csv_line(csv, r), cat_names[k], cell, code);
                goto out;   /* v->indicator is still NULL: freed as such */
            }
            cats[nopt] = cat_names[k];
            opts[nopt++] = cell;
        }
        v->indicator = bc_report_combination(code, nopt, cats, opts);
        v->line = bc_csv_line(csv, r);
        rep->nvalues = r + 1;
        if (code[0] == '\0') {
            bc_set_error(err, errlen, "%s:%zu: no indicator code", name,
                    bc_csv_line(csv, r));
            goto out;
        }
        if (strchr(code, '[')) {
            bc_set_error(err, errlen, "%s:%zu: indicator code '%s' has a '[': "
                    "a breakdown goes in category columns between indicator "
                    "and value (indicator,sex,age,value)", name,
                    bc_csv_line(csv, r), code);
            goto out;
        }
        if (parse_value(val, v, &why) != 0) {
            bc_set_error(err, errlen, "%s:%zu: value '%s' of %s %s", name,
                    bc_csv_line(csv, r), val, v->indicator, why);
            goto out;
        }
    }

    /* Step 3: no indicator twice. Sorting keeps this O(n log n) for the
     * large files a fuzzer or a bad export can produce. */
    order = bc_malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) {
        order[i].code = rep->values[i].indicator;
        order[i].row = i;
    }
    qsort(order, n, sizeof *order, cmp_code_row);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(order[i - 1].code, order[i].code) == 0) {
            bc_set_error(err, errlen, "%s:%zu: %s %s is listed twice "
                    "(first on line %zu)", name,
                    bc_csv_line(csv, order[i].row),
                    strchr(order[i].code, '[') ? "combination" : "indicator",
                    order[i].code,
                    bc_csv_line(csv, order[i - 1].row));
            goto out;
        }
    }

    *out = rep;
    rep = NULL;
    rc = BC_OK;

out:
    free(order);
    bc_report_destroy(&rep);
    bc_csv_destroy(&csv);
    return rc;
}

int bc_report_parse(const char *data, size_t len, const char *name,
                    bc_report_t **out, char *err, size_t errlen)
{
    if (!out)
        return BC_EINVAL;
    *out = NULL;
    if (!name)
        name = "(report)";
    if (check_utf16(data, len, name, err, errlen))
        return BC_EPARSE;
    return report_from_csv(bc_csv_parse(data, len, name, err, errlen), data,
                           len, name, out, err, errlen);
}

int bc_report_load_limited(const char *path, size_t max_values,
                           size_t max_bytes, bc_report_t **out, char *err,
                           size_t errlen)
{
    char head[4096];
    size_t hlen = 0;
    int rc;
    if (!out)
        return BC_EINVAL;
    *out = NULL;
    if (!path)
        return BC_EINVAL;
    /* The first block alone, for the UTF-16 check and the header hint;
     * the table is then read a block at a time within the limits. */
    FILE *f = fopen(path, "rb");
    if (f) {
        hlen = fread(head, 1, sizeof head, f);
        fclose(f);
        if (check_utf16(head, hlen, path, err, errlen))
            return BC_EPARSE;
    }
    bc_csv_t *csv = bc_csv_load_limited(path, max_values, max_bytes, &rc, err,
                                        errlen);
    if (!csv)
        return rc;
    return report_from_csv(csv, head, hlen, path, out, err, errlen);
}

int bc_report_load(const char *path, bc_report_t **out, char *err,
                   size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;

    if (!out)
        return BC_EINVAL;
    *out = NULL;
    if (!path)
        return BC_EINVAL;
    /* A missing or unreadable file is BC_EIO (errno in the message), not a
     * parse error the user would look for inside the file. */
    int e = bc_read_file(path, &buf, &len);
    if (e) {
        bc_set_error(err, errlen, "%s: %s", path, strerror(e));
        return BC_EIO;
    }
    int rc = bc_report_parse(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}

void bc_report_destroy(bc_report_t **self_p)
{
    bc_report_t *self;

    if (!self_p || !*self_p)
        return;
    self = *self_p;
    for (size_t i = 0; i < self->nvalues; i++)
        free(self->values[i].indicator);
    free(self->values);
    free(self);
    *self_p = NULL;
}

const bc_report_value_t *bc_report_find(const bc_report_t *self,
                                        const char *code)
{
    /* Linear: a report holds tens of figures, and this runs once per
     * filing. */
    for (size_t i = 0; self && i < self->nvalues; i++)
        if (strcmp(self->values[i].indicator, code) == 0)
            return &self->values[i];
    return NULL;
}

static bool value_same(const bc_report_value_t *a,
                       const bc_report_value_t *b)
{
    if (a->is_integer != b->is_integer)
        return false;
    return a->is_integer ? a->count == b->count : a->decimal == b->decimal;
}

bool bc_report_same(const bc_report_t *a, const bc_report_t *b)
{
    /* No indicator twice in either (bc_report_parse refuses it), so equal
     * counts and every value of a found in b means the same set. */
    if (a->nvalues != b->nvalues)
        return false;
    for (size_t i = 0; i < a->nvalues; i++) {
        const bc_report_value_t *o = bc_report_find(b, a->values[i].indicator);
        if (!o || !value_same(&a->values[i], o))
            return false;
    }
    return true;
}

/* Length of a code's indicator: up to a combination's '['. */
static size_t base_len(const char *code)
{
    const char *b = strchr(code, '[');
    return b ? (size_t) (b - code) : strlen(code);
}

bool bc_report_holds(const bc_report_t *next, const char *code)
{
    size_t n = base_len(code);
    for (size_t i = 0; i < next->nvalues; i++) {
        const char *c = next->values[i].indicator;
        if (base_len(c) == n && strncmp(c, code, n) == 0)
            return true;
    }
    return false;
}

bc_report_t *bc_report_merge(const bc_report_t *prev,
                             const bc_report_t *next)
{
    bc_report_t *m = bc_calloc(1, sizeof *m);
    size_t cap = next->nvalues + prev->nvalues;
    m->values = bc_calloc(cap ? cap : 1, sizeof *m->values);
    for (size_t i = 0; i < next->nvalues; i++) {
        m->values[m->nvalues] = next->values[i];
        m->values[m->nvalues++].indicator = bc_strdup(next->values[i].indicator);
    }
    for (size_t i = 0; i < prev->nvalues; i++) {
        if (bc_report_holds(next, prev->values[i].indicator))
            continue;
        m->values[m->nvalues] = prev->values[i];
        m->values[m->nvalues++].indicator = bc_strdup(prev->values[i].indicator);
    }
    return m;
}

/* The wire pieces of one combination, in the block to_wire returns. */
typedef struct {
    bc_report_combo_t combo;  /* the code cut into its pieces */
    Baocao__Option opt[BC_REPORT_MAX_CATEGORIES];
    Baocao__Option *optp[BC_REPORT_MAX_CATEGORIES];
} wire_combo_t;

/* Splits code `c` (`ind[cat=opt,...]`) into v's indicator and options, in
 * a new block appended to *blocks. Returns false (v untouched) for a
 * code that is not a combination, or one too long to be one the
 * catalogue knows: it goes as written, and the hub names it unknown. */
static bool combo_to_wire(const char *c, Baocao__Value *v, void ***blocks,
                          size_t *nblocks)
{
    if (!strchr(c, '['))
        return false;
    wire_combo_t *w = bc_calloc(1, sizeof *w);
    if (bc_report_split_combination(c, &w->combo) != BC_OK) {
        free(w);
        return false;
    }
    for (size_t k = 0; k < w->combo.n; k++) {
        baocao__option__init(&w->opt[k]);
        w->opt[k].category = (char *) w->combo.cats[k];
        w->opt[k].option = (char *) w->combo.opts[k];
        w->optp[k] = &w->opt[k];
    }
    v->indicator = (char *) w->combo.indicator;
    v->n_options = w->combo.n;
    v->options = w->optp;
    *blocks = bc_realloc(*blocks, (*nblocks + 2) * sizeof **blocks);
    (*blocks)[(*nblocks)++] = w;
    (*blocks)[*nblocks] = NULL;
    return true;
}

/* The block to_wire returns: a NULL-terminated list of wire_combo_t. */
void bc_report_wire_free(void *b)
{
    void **list = b;
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

void *bc_report_to_wire(const bc_report_t *r, Baocao__Value *vals,
                        Baocao__Value **ptrs)
{
    void **blocks = NULL;
    size_t nblocks = 0;
    for (size_t i = 0; i < r->nvalues; i++) {
        baocao__value__init(&vals[i]);
        vals[i].indicator = r->values[i].indicator;
        combo_to_wire(r->values[i].indicator, &vals[i], &blocks, &nblocks);
        if (r->values[i].is_integer) {
            vals[i].v_case = BAOCAO__VALUE__V_COUNT;
            vals[i].count = r->values[i].count;
        } else {
            vals[i].v_case = BAOCAO__VALUE__V_DECIMAL;
            vals[i].decimal = r->values[i].decimal;
        }
        ptrs[i] = &vals[i];
    }
    return blocks;
}

size_t bc_report_wire_size(const bc_report_t *r, const char *unit,
                           const char *period)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    uint8_t id[16] = {0};
    size_t n = r->nvalues ? r->nvalues : 1;
    Baocao__Value *vals = bc_calloc(n, sizeof *vals);
    Baocao__Value **ptrs = bc_calloc(n, sizeof *ptrs);
    void *blocks = bc_report_to_wire(r, vals, ptrs);
    /* The largest varints, so that no later send can be larger. */
    sub.id.data = id;
    sub.id.len = sizeof id;
    sub.unit = (char *) unit;
    sub.period = (char *) period;
    sub.revision = UINT32_MAX;
    sub.filed_at = INT64_MAX;
    sub.n_values = r->nvalues;
    sub.values = ptrs;
    req.version = UINT32_MAX;
    req.tag = UINT64_MAX;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    size_t len = baocao__request__get_packed_size(&req);
    bc_report_wire_free(blocks);
    free(vals);
    free(ptrs);
    return len;
}
