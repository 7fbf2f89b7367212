/*
 * bc_holidays.h -- public holidays, the days a reporting deadline does not
 * count (issue #11, item 7).
 *
 * File (`baocao-hub --holidays HOLIDAYS.csv`), UTF-8, header first:
 *
 *   date,name
 *   2023-01-22,Tết Nguyên đán: mùng 1
 *
 * `date` is a Vietnam civil date YYYY-MM-DD (1970..9999); `name` is free
 * text for people. A date listed twice is refused, naming both lines: two
 * names for one day is a mistake in the file. data/holidays.csv ships
 * 2020-2030 (data/README.md says where the dates come from).
 *
 * Held as a sorted array of day numbers (days since 1970-01-01, Vietnam
 * time, as bc_period.c counts them): a deadline walks a few weeks of days,
 * each a binary search.
 */
#ifndef BC_HOLIDAYS_H
#define BC_HOLIDAYS_H

#include "bc_period.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most holidays in one file. */
#define BC_HOLIDAYS_MAX 100000

typedef struct bc_holidays_t bc_holidays_t;

/* Loads a holidays file. NULL with a message in err (file:line: problem)
 * on a missing column, a date that is not a real YYYY-MM-DD, a date given
 * twice, more than BC_HOLIDAYS_MAX rows, or an unreadable file. */
bc_holidays_t *bc_holidays_load(const char *path, char *err, size_t errlen);

/* The same from a buffer (`name` names it in messages). */
bc_holidays_t *bc_holidays_parse(const char *data, size_t len,
                                 const char *name, char *err, size_t errlen);

void bc_holidays_destroy(bc_holidays_t **self_p);

/* Number of holidays held. */
size_t bc_holidays_count(const bc_holidays_t *self);

/* Is day number `day` (days since 1970-01-01, Vietnam time) a holiday?
 * A NULL set has none. */
bool bc_holidays_has(const bc_holidays_t *self, int64_t day);

/* The reporting deadline of period p (bc_period_deadline), a working day
 * being Monday to Friday and not one of `self` (NULL: none). */
int64_t bc_holidays_deadline(const bc_holidays_t *self, bc_period_t p,
                             unsigned working_days);

#endif
