/*
 * web_csv.h -- the desk's pages as CSV downloads: the tables of the
 * dashboard and of the completeness grid, written from the same JSON
 * documents the pages draw (web_hub.h).
 *
 * RFC 4180: fields with a comma, a quote or a line break are quoted,
 * rows end in CRLF. Numbers are written plainly (a whole number without
 * decimals, any other with two), a missing value as an empty field, so
 * that a spreadsheet reads them as numbers.
 */
#ifndef WEB_CSV_H
#define WEB_CSV_H

#include <cjson/cJSON.h>

/* The dashboard document of web_hub_dashboard as one table: every figure
 * of every programme, the programme as the first column. Returns a new
 * NUL-terminated string (free()); never NULL (out of memory aborts). */
char *web_csv_dashboard(const cJSON *doc);

/* The children's ranking of the same document: rank, unit, name, value,
 * cumulative, target_pct, share. Returns a new string (free()). */
char *web_csv_children(const cJSON *doc);

/* The completeness document of web_hub_completeness: a header (unit,
 * name, each month's period, rate_pct), a row a unit (its code, name,
 * state each month, rate), then a row of each month's rate. Returns a new
 * string (free()). */
char *web_csv_completeness(const cJSON *doc);

#endif
