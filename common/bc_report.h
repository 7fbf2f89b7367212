/*
 * bc_report.h -- a report file as staff export it: CSV with a header
 * `indicator,value`, one row per figure.
 *
 * Breakdowns (issue 17): the columns between `indicator` and `value`
 * (other than one called `name`) are categories, `indicator,sex,age,value`.
 * A row's non-empty category cells are its combination's options; a row
 * with all of them empty is the indicator's total. Columns elsewhere are
 * ignored, as before, so `indicator,value,name` means what it always did.
 * A combination is held as the code `sxh_cases[age=5-14,sex=nu]`
 * (categories in byte order, so equal combinations have equal codes);
 * bc_report_to_wire sends it as the indicator and its options.
 *
 * Values are kept as written so that the hub, which owns the catalogue,
 * decides what is acceptable: an integer is a count, a number with a
 * fraction is a decimal (which the hub rejects for counts). Text that is not
 * a number is refused here, with its line.
 */
#ifndef BC_REPORT_H
#define BC_REPORT_H

#include "baocao.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *indicator;      /* indicator code as written, or a combination's
                             `code[cat=opt,...]` */
    bool is_integer;      /* true: `count` holds it; false: `decimal` */
    int64_t count;        /* the value when is_integer */
    double decimal;       /* the value otherwise */
    size_t line;          /* its line in the file read, 0: not from a
                             file (a form, a kept figure) */
} bc_report_value_t;

/* Most category columns in one report file (the hub allows as many
 * categories per indicator, BC_MAX_CATS). */
#define BC_REPORT_MAX_CATEGORIES 4

typedef struct {
    bc_report_value_t *values;  /* in file order */
    size_t nvalues;             /* length of values */
} bc_report_t;

/* Loads a report file. Returns BC_OK, or BC_EPARSE with a message in err
 * (missing header column, a value that is not a number, a duplicate
 * indicator, an empty file, a UTF-16 file). Column names match without
 * regard to case; when they are missing, the message shows the header as
 * read and guesses the cause (a ';' or tab separator, UTF-16). */
int bc_report_load(const char *path, bc_report_t **out, char *err,
                   size_t errlen);

/* Loads a report file within limits, reading it a block at a time: at
 * most max_values figures (rows) and max_bytes bytes. Returns BC_OK,
 * BC_ERANGE when a limit is passed (refused at the first row past
 * max_values, or once past max_bytes, in bounded memory; err names the
 * line), BC_EPARSE as bc_report_load, or BC_EIO (cannot read the file). */
int bc_report_load_limited(const char *path, size_t max_values,
                           size_t max_bytes, bc_report_t **out, char *err,
                           size_t errlen);

/* The same from a buffer (fuzzing, tests). */
int bc_report_parse(const char *data, size_t len, const char *name,
                    bc_report_t **out, char *err, size_t errlen);

void bc_report_destroy(bc_report_t **self_p);

/* The value of `code` in self (a code or a combination's code, exactly),
 * or NULL when it has none. */
const bc_report_value_t *bc_report_find(const bc_report_t *self,
                                        const char *code);

/* True if self holds any figure (its total or any combination) of the
 * indicator of `code` (a code or a combination's code). */
bool bc_report_holds(const bc_report_t *self, const char *code);

/* True when a and b hold the same indicators with the same values, in any
 * order. */
bool bc_report_same(const bc_report_t *a, const bc_report_t *b);

/* A new report: every value of `next`, then each value of `prev` whose
 * indicator `next` does not hold (a correction merged over the revision it
 * replaces). An indicator in `next`, as its total or any combination,
 * replaces all of prev's figures of it, so that a breakdown is corrected
 * whole. Never NULL; free with bc_report_destroy. */
bc_report_t *bc_report_merge(const bc_report_t *prev,
                             const bc_report_t *next);

/* Fills vals[i] and ptrs[i] (caller's arrays of r->nvalues entries) with
 * the report's figures as wire Values: an integer as `count`, anything
 * else as `decimal`, a combination as its indicator and `options`. The
 * Values borrow the report's strings; a combination's pieces live in the
 * returned block, which the caller frees with bc_report_wire_free once
 * the Values are packed. NULL when the report has no combination. */
void *bc_report_to_wire(const bc_report_t *r, Baocao__Value *vals,
                        Baocao__Value **ptrs);
void bc_report_wire_free(void *block);

/* Writes the code of `indicator` with options cats[k]=opts[k] (n) into a
 * new string, `indicator[cat=opt,...]` with the categories sorted, or the
 * indicator alone when n is 0 (how the node's outbox reads a Submission
 * back into a report). */
char *bc_report_combination(const char *indicator, size_t n,
                            const char *const *cats,
                            const char *const *opts);

/* Longest code bc_report_split_combination takes, in bytes. The longest
 * code a catalogue can make is about 330 (a 64-byte indicator code and
 * BC_MAX_CATS pairs of 32-byte category and option codes). */
#define BC_REPORT_COMBO_MAX 511

/* A combination's code cut into its pieces: bc_report_combination's
 * inverse. The pointers point into text. */
typedef struct {
    char text[BC_REPORT_COMBO_MAX + 1];  /* the code, NUL at each [ = , ] */
    const char *indicator;               /* the indicator's code */
    size_t n;                            /* pairs: 1 to the most a report
                                            holds, BC_REPORT_MAX_CATEGORIES */
    const char *cats[BC_REPORT_MAX_CATEGORIES];  /* each pair's category */
    const char *opts[BC_REPORT_MAX_CATEGORIES];  /* each pair's option */
} bc_report_combo_t;

/* Splits `code`, `indicator[cat=opt,...]`, into out, its pairs in the
 * order written (whether the catalogue knows them is the caller's
 * question: bc_registry_find_combination). The one parser of such codes
 * from outside (a posted grid cell, a code to look up), so that all read
 * them alike. Returns BC_OK; BC_EPARSE when code is NULL or not of that
 * shape: no '[' or no final ']', an empty indicator, category or option,
 * an empty pair (`x[a=b,]`), a pair without '=' or with a second one, a
 * piece holding '[' ']' ',' or a control byte (bc_report's rule for
 * category names and options); BC_ERANGE when it is longer than
 * BC_REPORT_COMBO_MAX bytes or has more than BC_REPORT_MAX_CATEGORIES
 * pairs. out is undefined on error. */
int bc_report_split_combination(const char *code, bc_report_combo_t *out);

/* Bytes of the Request that would carry this report (revision, id and
 * tag at their largest), to check against the hub's --max-message before
 * filing. */
size_t bc_report_wire_size(const bc_report_t *r, const char *unit,
                           const char *period);

#endif
