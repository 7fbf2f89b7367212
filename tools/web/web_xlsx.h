/*
 * web_xlsx.h -- the desk's pages as Excel workbooks (libxlsxwriter), laid
 * out like the monthly tables the districts print: a title, a header row,
 * programmes as group rows, then month, year to date, same period last
 * year, change and % of plan.
 *
 * Numbers are written as numbers (never as text), so that a sheet can be
 * summed and charted, with number formats tagged Vietnamese ([$-42A]):
 * counts "#,##0" and rates and percentages 0.00 followed by " %", which a
 * Vietnamese Excel or LibreOffice shows as 1.234 and 8,50 %. (An .xlsx
 * format code names the separators by role; the reader's locale draws
 * them.)
 */
#ifndef WEB_XLSX_H
#define WEB_XLSX_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Writes the dashboard document of web_hub_dashboard as a workbook of
 * two sheets, "Chỉ tiêu" (every indicator by programme) and "Xếp hạng"
 * (the children ranked), into a new buffer *out of *len bytes (free()).
 * Returns BC_OK or BC_EIO (a temporary file could not be written) with a
 * message in err. */
int web_xlsx_dashboard(const cJSON *doc, unsigned char **out, size_t *len,
                       char *err, size_t errlen);

/* The same for the completeness document of web_hub_completeness: one
 * sheet, units x months, the state in words, rates per unit and month. */
int web_xlsx_completeness(const cJSON *doc, unsigned char **out,
                          size_t *len, char *err, size_t errlen);

#endif
