/*
 * bc_csv.c -- a CSV file in memory, on top of libcsv.
 *
 * Design: libcsv does the RFC 4180 tokenising (quotes, doubled quotes,
 * embedded commas and newlines) and calls us back once per field and once
 * per row; we collect the fields into flat arrays owned by one bc_csv_t.
 *
 * libcsv knows nothing about lines, and every error message must name one,
 * so the input is fed to libcsv one physical line at a time. A row can only
 * end at the newline that closes a chunk (or at the end of input), so when
 * the row callback fires, the row began at the first non-blank line fed
 * since the previous row ended: that is the number we keep per row.
 *
 * Choices made for the people who edit these files in a spreadsheet:
 *   - a UTF-8 byte-order mark at the very start is skipped;
 *   - spaces and tabs around unquoted fields are trimmed (libcsv's default);
 *   - blank lines, and rows whose fields are all empty (",,,,", what a
 *     spreadsheet exports for an empty row), are skipped;
 *   - header names are matched without regard to case ("Indicator");
 *   - a row shorter than the header reads as "" in the missing fields;
 *   - a row longer than the header is an error unless the extra fields are
 *     empty: a stray unquoted comma in a name would otherwise shift a value
 *     into the wrong column silently.
 *
 * Strict mode (CSV_STRICT | CSV_STRICT_FINI) turns a quote inside an
 * unquoted field and an unterminated quote into errors instead of guesses.
 */
#include "bc_csv.h"

#include "bc_error.h"
#include "bc_mem.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct bc_csv_t {
    char **header;        /* header names, ncols of them */
    size_t ncols;         /* number of header columns */
    char **cells;         /* data fields of all rows, row after row */
    size_t ncells;        /* used length of cells */
    size_t cells_cap;     /* allocated length of cells */
    size_t *row_first;    /* per row: index of its first field in cells */
    size_t *row_count;    /* per row: number of fields it has */
    size_t *row_line;     /* per row: file line (1-based) where it began */
    size_t nrows;         /* number of data rows */
    size_t rows_cap;      /* allocated length of the three row arrays */
};

/* State shared with the libcsv callbacks while parsing one input. */
typedef struct {
    bc_csv_t *csv;        /* the table being filled */
    char **row;           /* fields of the row in progress */
    size_t nrow;          /* number of fields in row */
    size_t row_cap;       /* allocated length of row */
    size_t row_start;     /* line where the row in progress began, 0 = none */
    bool have_header;     /* the header row has been taken */
    bool failed;          /* a row was rejected; stop parsing */
    size_t fail_line;     /* line of the rejected row */
    char fail_msg[128];   /* why it was rejected */
} parse_ctx_t;


static void row_clear(parse_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->nrow; i++)
        bc_free(&ctx->row[i]);
    ctx->nrow = 0;
}

/* libcsv field callback: copy the field into the row in progress. */
static void on_field(void *data, size_t len, void *arg)
{
    parse_ctx_t *ctx = arg;

    if (ctx->failed)
        return;
    if (ctx->nrow == ctx->row_cap) {
        ctx->row_cap = ctx->row_cap ? ctx->row_cap * 2 : 16;
        ctx->row = bc_realloc(ctx->row, ctx->row_cap * sizeof *ctx->row);
    }
    ctx->row[ctx->nrow++] = bc_strndup(data ? (const char *) data : "", len);
}

/* Appends a finished data row, taking ownership of its fields. */
static void commit_row(parse_ctx_t *ctx, size_t line)
{
    bc_csv_t *csv = ctx->csv;

    if (csv->ncells + ctx->nrow > csv->cells_cap) {
        size_t cap = csv->cells_cap ? csv->cells_cap * 2 : 64;
        while (cap < csv->ncells + ctx->nrow)
            cap *= 2;
        csv->cells = bc_realloc(csv->cells, cap * sizeof *csv->cells);
        csv->cells_cap = cap;
    }
    if (csv->nrows == csv->rows_cap) {
        size_t cap = csv->rows_cap ? csv->rows_cap * 2 : 32;
        csv->row_first = bc_realloc(csv->row_first, cap * sizeof(size_t));
        csv->row_count = bc_realloc(csv->row_count, cap * sizeof(size_t));
        csv->row_line = bc_realloc(csv->row_line, cap * sizeof(size_t));
        csv->rows_cap = cap;
    }
    csv->row_first[csv->nrows] = csv->ncells;
    csv->row_count[csv->nrows] = ctx->nrow;
    csv->row_line[csv->nrows] = line;
    csv->nrows++;
    memcpy(csv->cells + csv->ncells, ctx->row, ctx->nrow * sizeof *ctx->row);
    csv->ncells += ctx->nrow;
    ctx->nrow = 0;
}

/* libcsv row callback: the row in progress is complete. */
static void on_row(int term, void *arg)
{
    parse_ctx_t *ctx = arg;
    size_t line = ctx->row_start ? ctx->row_start : 1;
    bool blank = true;

    (void) term;
    ctx->row_start = 0;
    if (ctx->failed) {
        row_clear(ctx);
        return;
    }
    for (size_t i = 0; i < ctx->nrow && blank; i++)
        blank = ctx->row[i][0] == '\0';
    if (blank) {
        row_clear(ctx);
        return;
    }

    if (!ctx->have_header) {
        /* The header row's fields become the column names. */
        ctx->csv->header = ctx->row;
        ctx->csv->ncols = ctx->nrow;
        ctx->row = NULL;
        ctx->nrow = ctx->row_cap = 0;
        ctx->have_header = true;
        return;
    }

    for (size_t i = ctx->csv->ncols; i < ctx->nrow; i++) {
        if (ctx->row[i][0] != '\0') {
            ctx->failed = true;
            ctx->fail_line = line;
            snprintf(ctx->fail_msg, sizeof ctx->fail_msg,
                     "%zu fields, but the header has %zu columns", ctx->nrow,
                     ctx->csv->ncols);
            row_clear(ctx);
            return;
        }
    }
    commit_row(ctx, line);
}

/* True if the chunk holds only spaces, tabs and line ends: libcsv skips such
 * a line without starting a row. */
static bool chunk_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

bc_csv_t *bc_csv_parse(const char *data, size_t len, const char *name,
                       char *err, size_t errlen)
{
    struct csv_parser parser;
    parse_ctx_t ctx;
    bc_csv_t *csv = NULL;
    size_t pos = 0, line = 0;
    bool parser_ready = false;

    if (!name)
        name = "(buffer)";
    if (!data && len > 0) {
        bc_set_error(err, errlen, "%s: no data", name);
        return NULL;
    }
    memset(&ctx, 0, sizeof ctx);
    csv = bc_calloc(1, sizeof *csv);
    ctx.csv = csv;

    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)
        != 0) {
        bc_set_error(err, errlen, "%s: cannot initialise the CSV parser", name);
        goto out_fail;
    }
    parser_ready = true;
    /* libcsv's buffer grows through our wrapper, so running out of memory
     * behaves as everywhere else in the project. */
    csv_set_realloc_func(&parser, bc_realloc);
    csv_set_free_func(&parser, free);

    /* A BOM is an encoding marker, not part of the first header name. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;

    /* Feed one physical line at a time so that rows know their line. */
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t) (nl - (data + pos)) + 1 : len - pos;

        line++;
        if (ctx.row_start == 0 && !chunk_blank(data + pos, n))
            ctx.row_start = line;
        if (csv_parse(&parser, data + pos, n, on_field, on_row, &ctx) != n) {
            int e = csv_error(&parser);
            if (e == CSV_EPARSE)
                bc_set_error(err, errlen, "%s:%zu: malformed quoted field (a "
                        "quote inside an unquoted field, or text after a "
                        "closing quote)", name, line);
            else
                bc_set_error(err, errlen, "%s:%zu: %s", name, line,
                        csv_strerror(e));
            goto out_fail;
        }
        if (ctx.failed)
            goto out_rejected;
        pos += n;
    }

    /* The end of input closes the last row, unless a quote is still open. */
    if (csv_fini(&parser, on_field, on_row, &ctx) != 0) {
        bc_set_error(err, errlen, "%s:%zu: unterminated quote",
                name, ctx.row_start ? ctx.row_start : line);
        goto out_fail;
    }
    if (ctx.failed)
        goto out_rejected;

    csv_free(&parser);
    row_clear(&ctx);
    free(ctx.row);
    return csv;

out_rejected:
    bc_set_error(err, errlen, "%s:%zu: %s", name, ctx.fail_line, ctx.fail_msg);
out_fail:
    if (parser_ready)
        csv_free(&parser);
    row_clear(&ctx);
    free(ctx.row);
    bc_csv_destroy(&csv);
    return NULL;
}

/* Reads a whole file into a malloc'ed buffer; returns 0 or an errno. */
int bc_read_file(const char *path, char **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    if (!f)
        return errno;
    for (;;) {
        size_t got;
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 16384;
            buf = bc_realloc(buf, cap);
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

bc_csv_t *bc_csv_load(const char *path, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    bc_csv_t *csv;
    int e;

    if (!path) {
        bc_set_error(err, errlen, "no file name");
        return NULL;
    }
    e = bc_read_file(path, &data, &len);
    if (e) {
        bc_set_error(err, errlen, "%s: %s", path, strerror(e));
        return NULL;
    }
    csv = bc_csv_parse(data, len, path, err, errlen);
    free(data);
    return csv;
}

void bc_csv_destroy(bc_csv_t **self_p)
{
    bc_csv_t *self;

    if (!self_p || !*self_p)
        return;
    self = *self_p;
    for (size_t i = 0; i < self->ncols; i++)
        free(self->header[i]);
    free(self->header);
    for (size_t i = 0; i < self->ncells; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self->row_first);
    free(self->row_count);
    free(self->row_line);
    free(self);
    *self_p = NULL;
}

size_t bc_csv_rows(const bc_csv_t *self)
{
    return self ? self->nrows : 0;
}

size_t bc_csv_columns(const bc_csv_t *self)
{
    return self ? self->ncols : 0;
}

int bc_csv_column(const bc_csv_t *self, const char *name)
{
    if (!self || !name)
        return -1;
    /* Without regard to case: a spreadsheet user who types "Indicator"
     * means the same column, and no two of our columns differ by case. */
    for (size_t i = 0; i < self->ncols; i++)
        if (strcasecmp(self->header[i], name) == 0)
            return (int) i;
    return -1;
}

const char *bc_csv_header(const bc_csv_t *self, size_t col)
{
    if (!self || col >= self->ncols)
        return NULL;
    return self->header[col];
}

const char *bc_csv_field(const bc_csv_t *self, size_t row, int col)
{
    /* Out-of-range reads as "" so callers can treat optional columns
     * (column -1) and short rows the same way. */
    if (!self || row >= self->nrows || col < 0 ||
        (size_t) col >= self->row_count[row])
        return "";
    return self->cells[self->row_first[row] + (size_t) col];
}

size_t bc_csv_line(const bc_csv_t *self, size_t row)
{
    if (!self || row >= self->nrows)
        return 0;
    return self->row_line[row];
}
