/*
 * bc_dhis2.h -- DHIS2's aggregate exchange formats, read and written:
 * a dataValueSet as JSON or CSV, an IHE ADX document, DHIS2's periods, and
 * the mapping file between our codes and DHIS2's identifiers.
 *
 * The module only moves data between files and a flat list of data values
 * (`bc_dhis2_set_t`): one entry per DHIS2 data value, with its data element,
 * period, org unit, category option combo and value as text, exactly as the
 * file wrote them. It knows nothing of reports, outboxes or hubs: the
 * `baocao export` and `baocao import` commands build on it, and the unit
 * tests and the fuzz target reach the parsers directly.
 *
 *   dataValueSet JSON  {"dataValues": [{"dataElement", "period", "orgUnit",
 *                      "categoryOptionCombo", "value", ...}], "period",
 *                      "orgUnit", ...}; a value's own period / orgUnit win
 *                      over the set's (parsed by cJSON)
 *   dataValueSet CSV   header row, then dataelement, period, orgunit,
 *                      catoptcombo, attroptcombo, value, storedby,
 *                      lastupdated, comment, followup, deleted. Columns are
 *                      found by header name when the header names them
 *                      (older DHIS2 files have no attroptcombo column),
 *                      else by DHIS2's position (parsed by libcsv)
 *   ADX                <adx><group orgUnit period><dataValue dataElement
 *                      value/></group></adx>, period as 2023-12-01/P1M
 *                      (parsed by libxml2, no network, no entity expansion)
 *
 * Any attribute of an ADX dataValue other than dataElement and value is a
 * disaggregation (sex="nu" age="5-14"): they are kept in `coc` as
 * NAME=VALUE pairs sorted by name and joined by ',' ("age=5-14,sex=nu"),
 * which is how baocao writes a combination of options (issue 17); the
 * ADX writer turns such a `coc` back into attributes.
 *
 * Mapping file (CSV, header `kind,ours,theirs`): kind is `unit`,
 * `indicator` or `coc`; `ours` our code, `theirs` the DHIS2 UID or code. A
 * `coc` row maps a combination of our options, written
 * `age=5-14,sex=nu` (categories sorted), to a DHIS2 categoryOptionCombo
 * (or, for ADX, to its attributes as read, `GENDER=FMLE`). A unit or
 * indicator code without a row maps to itself (DHIS2 with
 * idScheme=CODE); so does a combination on export, while an import takes
 * a disaggregated value only through a `coc` row.
 */
#ifndef BC_DHIS2_H
#define BC_DHIS2_H

#include "bc_period.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    BC_DHIS2_JSON = 1,   /* dataValueSet, JSON */
    BC_DHIS2_CSV  = 2,   /* dataValueSet, CSV */
    BC_DHIS2_ADX  = 3    /* IHE ADX XML */
} bc_dhis2_format_t;

/* DHIS2's UID of the default category option combo (the same in every
 * instance); "default" (its code) and "" (absent) mean the same. */
#define BC_DHIS2_DEFAULT_COC "HllvX50cXC0"

/* Period text, either form: "202312" or "2023-12-01/P1M". */
#define BC_DHIS2_PERIOD_STRLEN 32

/* One DHIS2 data value; every string is owned and never NULL. */
typedef struct {
    char *data_element;   /* dataElement, as written */
    char *period;         /* period, as written (ISO or ADX form) */
    char *org_unit;       /* orgUnit, as written */
    char *coc;            /* categoryOptionCombo; "" when absent */
    char *aoc;            /* attributeOptionCombo; "" when absent */
    char *value;          /* value; "" when absent */
    bool deleted;         /* marked deleted in the file */
    size_t where;         /* CSV/ADX: file line; JSON: 1-based position in
                             dataValues. For messages */
} bc_dhis2_value_t;

/* A list of data values, in file order. */
typedef struct {
    bc_dhis2_value_t *values;   /* the values */
    size_t n;                   /* how many */
    size_t cap;                 /* allocated slots */
} bc_dhis2_set_t;

/* An empty set. Never NULL (out of memory aborts, see bc_mem.h). */
bc_dhis2_set_t *bc_dhis2_set_new(void);
void bc_dhis2_set_destroy(bc_dhis2_set_t **self_p);

/* Appends a copy of the strings (NULL reads as ""). */
void bc_dhis2_set_add(bc_dhis2_set_t *self, const char *data_element,
                      const char *period, const char *org_unit,
                      const char *coc, const char *value, size_t where);

/* "dhis2-json", "dhis2-csv" or "adx" (the --format words). BC_OK or
 * BC_EINVAL. */
int bc_dhis2_format_parse(const char *word, bc_dhis2_format_t *out);

/* Guesses a file's format: by its name's extension (.json, .csv, .xml,
 * .adx), else by its first non-blank byte ('{' JSON, '<' ADX, else CSV). */
bc_dhis2_format_t bc_dhis2_format_guess(const char *name, const char *data,
                                        size_t len);

/* Parses a whole file. `name` is used in messages. Returns BC_OK with a new
 * set in *out, or BC_EPARSE with a message naming the file and the place
 * (not JSON, no dataValues array, a field of the wrong type, an XML error
 * with its line, a CSV without the needed columns). A value's content is
 * not judged here (see bc_dhis2_count). */
int bc_dhis2_parse(const char *data, size_t len, bc_dhis2_format_t fmt,
                   const char *name, bc_dhis2_set_t **out, char *err,
                   size_t errlen);

/* Writes the set in fmt. Periods in the set must be DHIS2 ISO periods
 * (ADX output converts them). `id_scheme_code`: mark a JSON set
 * idScheme=CODE (no mapping to UIDs was applied). Values with the same
 * orgUnit and period next to each other form one ADX group. Returns BC_OK,
 * BC_EINVAL (a period that is not ISO), BC_EIO (a write failed). */
int bc_dhis2_write(FILE *out, bc_dhis2_format_t fmt,
                   const bc_dhis2_set_t *set, bool id_scheme_code);

/* --- periods ------------------------------------------------------------- */

/* Parses a DHIS2 ISO period ("202312", "2023Q4", "2023S2", "2023") or an
 * ADX one ("2023-12-01/P1M", "2023-10-01/P3M", "2023-07-01/P6M",
 * "2023-01-01/P1Y"; the start must begin that month, quarter, half or
 * year). BC_OK or BC_EPERIOD (any other DHIS2 period type, such as weeks
 * or financial years, which baocao does not report on). */
int bc_dhis2_period_parse(const char *text, bc_period_t *out);

/* Our period in DHIS2's ISO form / ADX form; return buf
 * (BC_DHIS2_PERIOD_STRLEN bytes). */
char *bc_dhis2_period_iso(bc_period_t p, char *buf);
char *bc_dhis2_period_adx(bc_period_t p, char *buf);

/* --- values -------------------------------------------------------------- */

/* A value as a count: BC_OK with *out, or BC_EINVAL with the reason in
 * *why ("is empty", "is not a number", "is not a whole number", "is
 * negative", "is out of range"). Counts are whole and >= 0, written as
 * digits (a leading '+' is allowed). */
int bc_dhis2_count(const char *text, long long *out, const char **why);

/* True when a category or attribute option combo means "no
 * disaggregation": "", "default" or BC_DHIS2_DEFAULT_COC. */
bool bc_dhis2_is_default_combo(const char *combo);

/* --- mapping ------------------------------------------------------------- */

typedef enum {
    BC_DHIS2_UNIT      = 0,   /* an org unit */
    BC_DHIS2_INDICATOR = 1,   /* a data element */
    BC_DHIS2_COC       = 2    /* a category option combo (issue 17) */
} bc_dhis2_kind_t;

typedef struct bc_dhis2_map_t bc_dhis2_map_t;

/* Loads / parses a mapping file. NULL with a message on failure: missing
 * column, unknown kind, an empty code, the same `ours` or the same `theirs`
 * twice for one kind (the mapping must work both ways). */
bc_dhis2_map_t *bc_dhis2_map_load(const char *path, char *err, size_t errlen);
bc_dhis2_map_t *bc_dhis2_map_parse(const char *data, size_t len,
                                   const char *name, char *err,
                                   size_t errlen);
void bc_dhis2_map_destroy(bc_dhis2_map_t **self_p);

/* Our code's DHIS2 identifier, and back. With a NULL map, or a code with no
 * row, the code itself. O(log n). */
const char *bc_dhis2_map_theirs(const bc_dhis2_map_t *self,
                                bc_dhis2_kind_t kind, const char *ours);
const char *bc_dhis2_map_ours(const bc_dhis2_map_t *self,
                              bc_dhis2_kind_t kind, const char *theirs);

/* Like bc_dhis2_map_ours, but NULL when no row maps `theirs`. */
const char *bc_dhis2_map_find_ours(const bc_dhis2_map_t *self,
                                   bc_dhis2_kind_t kind, const char *theirs);

/* Rows in the mapping. */
size_t bc_dhis2_map_size(const bc_dhis2_map_t *self);

#endif
