/*
 * bc_table.c -- plain-text tables measured in terminal cells.
 *
 * Design: cells are copied into one flat array; widths are computed only at
 * print time, so rows can be added in any order. Width is the sum of
 * wcwidth() over the characters decoded with mbrtowc(): precomposed
 * Vietnamese letters (NFC, "ồ" = U+1ED3) are one cell, combining marks (NFD,
 * "o" + U+0302 + U+0300) are zero, East Asian wide characters two.
 *
 * mbrtowc() decodes according to LC_CTYPE, and a C program starts in the
 * "C" locale, where UTF-8 is not decoded at all. Rather than make every
 * program remember setlocale(), the first width measurement switches
 * LC_CTYPE to C.UTF-8 if the current codeset is not UTF-8 (only LC_CTYPE:
 * number formatting and messages stay as they were). setlocale() is not
 * thread-safe, so measure once in the main thread before starting threads
 * if that matters.
 *
 * Bytes that are not valid UTF-8 count one cell each and control characters
 * zero, so a damaged name misaligns one row at worst, never the program.
 */
#include "bc_table.h"

#include "bc_mem.h"

#include <assert.h>
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#define COL_GAP "  "   /* between columns */

struct bc_table_t {
    size_t ncols;         /* number of columns */
    char **headers;       /* ncols header texts */
    bc_align_t *align;    /* ncols alignments */
    char **cells;         /* nrows * ncols cell texts, row after row */
    size_t nrows;         /* rows added */
    size_t rows_cap;      /* rows that cells has room for */
};

/* True if LC_CTYPE decodes UTF-8. */
static bool ctype_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

/* Makes LC_CTYPE a UTF-8 one, once; see the top for why. */
static void ensure_utf8_ctype(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    if (ctype_is_utf8())
        return;
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        setlocale(LC_CTYPE, "en_US.UTF-8");
}

size_t bc_display_width(const char *utf8)
{
    mbstate_t st;
    size_t width = 0, len, i = 0;

    if (!utf8)
        return 0;
    ensure_utf8_ctype();
    len = strlen(utf8);
    memset(&st, 0, sizeof st);
    while (i < len) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, utf8 + i, len - i, &st);
        int w;

        if (n == (size_t) -1 || n == (size_t) -2) {
            /* Invalid or truncated sequence: one cell for the byte, and a
             * fresh state for what follows. */
            width++;
            i++;
            memset(&st, 0, sizeof st);
            continue;
        }
        if (n == 0)
            break;
        w = wcwidth(wc);
        if (w > 0)
            width += (size_t) w;
        i += n;
    }
    return width;
}

bc_table_t *bc_table_new(size_t ncols, const char *const *headers)
{
    bc_table_t *t;

    if (ncols == 0)
        return NULL;
    t = bc_calloc(1, sizeof *t);
    t->ncols = ncols;
    t->headers = bc_calloc(ncols, sizeof *t->headers);
    t->align = bc_calloc(ncols, sizeof *t->align);
    for (size_t c = 0; c < ncols; c++)
        t->headers[c] = bc_strdup(headers && headers[c] ? headers[c] : "");
    return t;
}

void bc_table_destroy(bc_table_t **self_p)
{
    bc_table_t *t;

    if (!self_p || !*self_p)
        return;
    t = *self_p;
    for (size_t c = 0; c < t->ncols; c++)
        free(t->headers[c]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->headers);
    free(t->align);
    free(t->cells);
    free(t);
    *self_p = NULL;
}

void bc_table_align(bc_table_t *self, size_t col, bc_align_t align)
{
    assert(self && col < self->ncols);
    self->align[col] = align;
}

void bc_table_add(bc_table_t *self, const char *const *cells)
{
    assert(self);
    if (self->nrows == self->rows_cap) {
        self->rows_cap = self->rows_cap ? self->rows_cap * 2 : 16;
        self->cells = bc_realloc(self->cells, self->rows_cap * self->ncols *
                                                  sizeof *self->cells);
    }
    for (size_t c = 0; c < self->ncols; c++) {
        const char *s = cells && cells[c] ? cells[c] : "";
        self->cells[self->nrows * self->ncols + c] = bc_strdup(s);
    }
    self->nrows++;
}

static void put_spaces(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

/* Prints one line; the last column, left-aligned, gets no trailing pad so
 * that lines do not end in spaces. */
static void print_line(const bc_table_t *t, char *const *texts,
                       const size_t *widths, FILE *out)
{
    for (size_t c = 0; c < t->ncols; c++) {
        size_t w = bc_display_width(texts[c]);
        size_t pad = widths[c] > w ? widths[c] - w : 0;
        bool last = c + 1 == t->ncols;

        if (c > 0)
            fputs(COL_GAP, out);
        if (t->align[c] == BC_ALIGN_RIGHT) {
            put_spaces(out, pad);
            fputs(texts[c], out);
        } else {
            fputs(texts[c], out);
            if (!last)
                put_spaces(out, pad);
        }
    }
    fputc('\n', out);
}

void bc_table_print(const bc_table_t *self, FILE *out)
{
    size_t *widths;

    if (!self || !out)
        return;
    widths = bc_calloc(self->ncols, sizeof *widths);

    /* Step 1: each column is as wide as its widest text. */
    for (size_t c = 0; c < self->ncols; c++) {
        widths[c] = bc_display_width(self->headers[c]);
        for (size_t r = 0; r < self->nrows; r++) {
            size_t w = bc_display_width(self->cells[r * self->ncols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    }

    /* Step 2: header, rule, rows. */
    print_line(self, self->headers, widths, out);
    for (size_t c = 0; c < self->ncols; c++) {
        if (c > 0)
            fputs(COL_GAP, out);
        for (size_t i = 0; i < widths[c]; i++)
            fputc('-', out);
    }
    fputc('\n', out);
    for (size_t r = 0; r < self->nrows; r++)
        print_line(self, self->cells + r * self->ncols, widths, out);

    free(widths);
}
