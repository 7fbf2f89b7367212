/*
 * bc_csv.h -- a CSV file loaded in memory, fields addressed by header name.
 *
 * Parsing is libcsv's (RFC 4180: quotes, embedded commas and newlines); this
 * module adds what every caller wants on top: the first row is the header,
 * a UTF-8 byte-order mark is skipped, surrounding spaces are trimmed,
 * blank lines are skipped, and errors name the file and line.
 */
#ifndef BC_CSV_H
#define BC_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct bc_csv_t bc_csv_t;

/* Loads and parses a whole file. On failure returns NULL and, if err is not
 * NULL, writes a readable message ("units.csv:12: unterminated quote") into
 * err (errlen bytes). */
bc_csv_t *bc_csv_load(const char *path, char *err, size_t errlen);

/* Reads a whole file into a new buffer (bc_malloc'ed; *outlen bytes).
 * Returns 0, or the errno of the failing call (the file is missing,
 * unreadable, a read failed). */
int bc_read_file(const char *path, char **out, size_t *outlen);

/* Loads a file read a block at a time, within limits: at most max_rows
 * data rows and max_bytes bytes. Sets *rc to BC_OK (table returned), or
 * returns NULL with *rc BC_ERANGE (a limit was passed: stopped at the
 * first row past max_rows, or once past max_bytes, without reading the
 * rest; the message names the line), BC_EPARSE (malformed, as
 * bc_csv_parse) or BC_EIO (cannot open or read; errno in the message). */
bc_csv_t *bc_csv_load_limited(const char *path, size_t max_rows,
                              size_t max_bytes, int *rc, char *err,
                              size_t errlen);

/* The same, from a buffer (for fuzzing and tests); `name` is used in error
 * messages. */
bc_csv_t *bc_csv_parse(const char *data, size_t len, const char *name,
                       char *err, size_t errlen);

void bc_csv_destroy(bc_csv_t **self_p);

/* Number of data rows (the header excluded). */
size_t bc_csv_rows(const bc_csv_t *self);

/* Index of the header column `name` (compared without regard to ASCII
 * case: "Indicator" finds "indicator"), or -1 if there is none. */
int bc_csv_column(const bc_csv_t *self, const char *name);

/* Number of header columns. */
size_t bc_csv_columns(const bc_csv_t *self);

/* Header name of column `col`, or NULL. */
const char *bc_csv_header(const bc_csv_t *self, size_t col);

/* The field in data row `row` (0-based) and column `col`. Never NULL: a
 * missing trailing field reads as "". */
const char *bc_csv_field(const bc_csv_t *self, size_t row, int col);

/* The file line (1-based) where data row `row` started, for messages. */
size_t bc_csv_line(const bc_csv_t *self, size_t row);

/* Writes one field of a CSV row to out: quoted, its quotes doubled, when it
 * holds a comma, a quote or a line break; then ',' or, after the row's last
 * field, '\n'. */
void bc_csv_write_field(FILE *out, const char *s, bool last);

#endif
