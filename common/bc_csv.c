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
 * Control bytes (NUL and the rest below 0x20 but tab and line ends, and
 * DEL) refuse the row: a NUL once cut "5\0junk" to 5.
 *
 * bc_csv_load_limited reads a file a block at a time and stops at the
 * first row past its row limit, or once past its byte limit, so that a
 * huge file costs bounded memory and time.
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
#include <stdint.h>
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
    size_t max_rows;      /* most data rows accepted (SIZE_MAX: any) */
    bool over_limit;      /* failed because of max_rows */
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
    /* A NUL would cut the field short ("5\0junk" read as 5) and other
     * control bytes are never part of a code, a name or a number: refuse
     * the row. Tabs and line ends stay (quoted names may hold them). */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = ((const unsigned char *) data)[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) {
            ctx->failed = true;
            ctx->fail_line = ctx->row_start ? ctx->row_start : 1;
            snprintf(ctx->fail_msg, sizeof ctx->fail_msg, "control byte "
                     "0x%02X in a field (only text is allowed)", c);
            return;
        }
    }
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
    if (ctx->csv->nrows >= ctx->max_rows) {
        /* Refused here, at the first row past the limit: the rest of the
         * file is never read. */
        ctx->failed = ctx->over_limit = true;
        ctx->fail_line = line;
        snprintf(ctx->fail_msg, sizeof ctx->fail_msg, "more than %zu data "
                 "rows", ctx->max_rows);
        row_clear(ctx);
        return;
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

/* One input being parsed, fed in pieces: from a buffer all at once, or
 * from a file a block at a time (so that a file past a limit is refused
 * having read only up to it). */
typedef struct {
    struct csv_parser parser; /* libcsv's state */
    bool parser_ready;        /* parser initialised */
    parse_ctx_t ctx;          /* our callbacks' state */
    const char *name;         /* for messages */
    size_t line;              /* physical line being fed, 1-based */
    bool mid_line;            /* the last piece did not end its line */
    bool started;             /* some input was fed (BOM check done) */
} reader_t;

static int reader_init(reader_t *r, const char *name, size_t max_rows,
                       char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->ctx.csv = bc_calloc(1, sizeof *r->ctx.csv);
    r->ctx.max_rows = max_rows;
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)
        != 0) {
        bc_set_error(err, errlen, "%s: cannot initialise the CSV parser", name);
        return BC_EPARSE;
    }
    r->parser_ready = true;
    /* libcsv's buffer grows through our wrapper, so running out of memory
     * behaves as everywhere else in the project. */
    csv_set_realloc_func(&r->parser, bc_realloc);
    csv_set_free_func(&r->parser, free);
    return BC_OK;
}

static void reader_free(reader_t *r)
{
    if (r->parser_ready)
        csv_free(&r->parser);
    row_clear(&r->ctx);
    free(r->ctx.row);
    bc_csv_destroy(&r->ctx.csv);
}

/* The message for a row the callbacks refused. */
static int reader_rejected(reader_t *r, char *err, size_t errlen)
{
    bc_set_error(err, errlen, "%s:%zu: %s", r->name, r->ctx.fail_line,
                 r->ctx.fail_msg);
    return r->ctx.over_limit ? BC_ERANGE : BC_EPARSE;
}

/* Feeds len bytes, one physical line at a time so that rows know their
 * line; a piece may end mid-line (the next feed continues it). */
static int reader_feed(reader_t *r, const char *data, size_t len, char *err,
                       size_t errlen)
{
    size_t pos = 0;
    /* A BOM is an encoding marker, not part of the first header name. */
    if (!r->started && len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    r->started = r->started || len > 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t) (nl - (data + pos)) + 1 : len - pos;

        if (!r->mid_line)
            r->line++;
        if (r->ctx.row_start == 0 && !chunk_blank(data + pos, n))
            r->ctx.row_start = r->line;
        if (csv_parse(&r->parser, data + pos, n, on_field, on_row, &r->ctx)
            != n) {
            int e = csv_error(&r->parser);
            if (e == CSV_EPARSE)
                bc_set_error(err, errlen, "%s:%zu: malformed quoted field (a "
                        "quote inside an unquoted field, or text after a "
                        "closing quote)", r->name, r->line);
            else
                bc_set_error(err, errlen, "%s:%zu: %s", r->name, r->line,
                        csv_strerror(e));
            return BC_EPARSE;
        }
        if (r->ctx.failed)
            return reader_rejected(r, err, errlen);
        r->mid_line = nl == NULL;
        pos += n;
    }
    return BC_OK;
}

/* The end of input closes the last row, unless a quote is still open.
 * Returns the table (the reader no longer owns it) or NULL. */
static bc_csv_t *reader_finish(reader_t *r, char *err, size_t errlen)
{
    if (csv_fini(&r->parser, on_field, on_row, &r->ctx) != 0) {
        bc_set_error(err, errlen, "%s:%zu: unterminated quote", r->name,
                r->ctx.row_start ? r->ctx.row_start : r->line);
        return NULL;
    }
    if (r->ctx.failed) {
        reader_rejected(r, err, errlen);
        return NULL;
    }
    bc_csv_t *csv = r->ctx.csv;
    r->ctx.csv = NULL;
    return csv;
}

bc_csv_t *bc_csv_parse(const char *data, size_t len, const char *name,
                       char *err, size_t errlen)
{
    reader_t r;
    bc_csv_t *csv = NULL;

    if (!name)
        name = "(buffer)";
    if (!data && len > 0) {
        bc_set_error(err, errlen, "%s: no data", name);
        return NULL;
    }
    if (reader_init(&r, name, SIZE_MAX, err, errlen) == BC_OK
        && reader_feed(&r, data, len, err, errlen) == BC_OK)
        csv = reader_finish(&r, err, errlen);
    reader_free(&r);
    return csv;
}

bc_csv_t *bc_csv_load_limited(const char *path, size_t max_rows,
                              size_t max_bytes, int *rc, char *err,
                              size_t errlen)
{
    reader_t r;
    bc_csv_t *csv = NULL;
    char block[65536];
    size_t total = 0;
    int res;
    FILE *f;

    if (!path) {
        bc_set_error(err, errlen, "no file name");
        *rc = BC_EINVAL;
        return NULL;
    }
    f = fopen(path, "rb");
    if (!f) {
        bc_set_error(err, errlen, "%s: %s", path, strerror(errno));
        *rc = BC_EIO;
        return NULL;
    }
    res = reader_init(&r, path, max_rows, err, errlen);
    while (res == BC_OK) {
        size_t got = fread(block, 1, sizeof block, f);
        if (got == 0) {
            if (ferror(f)) {
                bc_set_error(err, errlen, "%s: %s", path,
                             strerror(errno ? errno : EIO));
                res = BC_EIO;
            }
            break;
        }
        total += got;
        if (total > max_bytes) {
            bc_set_error(err, errlen, "%s:%zu: the file is larger than %zu "
                         "bytes", path, r.line + 1, max_bytes);
            res = BC_ERANGE;
            break;
        }
        res = reader_feed(&r, block, got, err, errlen);
    }
    fclose(f);
    if (res == BC_OK && !(csv = reader_finish(&r, err, errlen)))
        res = r.ctx.over_limit ? BC_ERANGE : BC_EPARSE;
    reader_free(&r);
    *rc = res;
    return csv;
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

void bc_csv_write_field(FILE *out, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', out);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', out);
            fputc(*s, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
    fputc(last ? '\n' : ',', out);
}
