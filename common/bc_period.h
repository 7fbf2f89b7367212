/*
 * bc_period.h -- reporting periods: month, quarter, half-year, year.
 *
 * A period is packed into one uint32 so that it can sit in an LMDB key and
 * sort correctly: year * 1000 + type * 100 + index, e.g.
 *
 *   2023-12  -> 2023112   (type 1 month,   index 1..12)
 *   2023-Q4  -> 2023204   (type 2 quarter, index 1..4)
 *   2023-H2  -> 2023302   (type 3 half,    index 1..2)
 *   2023     -> 2023401   (type 4 year,    index 1)
 *
 * Big-endian in a key, all months of a year are contiguous and ordered, so a
 * year-to-date figure is one short cursor scan.
 *
 * Civil time is Vietnam's (UTC+7, no daylight saving): a period starts and
 * ends at local midnight, and deadlines count working days (Monday to
 * Friday) after the period ends, as Circular 37/2019/TT-BYT sets.
 */
#ifndef BC_PERIOD_H
#define BC_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t bc_period_t;

typedef enum {
    BC_PT_MONTH   = 1,
    BC_PT_QUARTER = 2,
    BC_PT_HALF    = 3,
    BC_PT_YEAR    = 4
} bc_period_type_t;

#define BC_TZ_OFFSET (7 * 3600)     /* Vietnam, UTC+7 */
#define BC_PERIOD_MIN_YEAR 1900
#define BC_PERIOD_MAX_YEAR 9999
#define BC_PERIOD_STRLEN 16         /* enough for any formatted period */

/* Builds a period. Returns 0 if any part is out of range. */
bc_period_t bc_period_make(unsigned year, bc_period_type_t type,
                           unsigned index);

/* Parses "YYYY-MM", "YYYY-Qn", "YYYY-Hn" or "YYYY" (also lower-case q/h).
 * Returns BC_OK, or BC_EPERIOD for anything else (trailing text, month 13,
 * year out of range). */
int bc_period_parse(const char *text, bc_period_t *out);

/* Writes the canonical text form into buf (BC_PERIOD_STRLEN bytes); returns
 * buf. */
char *bc_period_format(bc_period_t p, char *buf);

unsigned bc_period_year(bc_period_t p);
bc_period_type_t bc_period_type(bc_period_t p);
unsigned bc_period_index(bc_period_t p);

/* The previous period of the same type (2023-01 -> 2022-12, 2023-Q1 ->
 * 2022-Q4, 2023 -> 2022). */
bc_period_t bc_period_prev(bc_period_t p);

/* The same period one year earlier. */
bc_period_t bc_period_last_year(bc_period_t p);

/* First and last month (1..12) that the period covers. */
void bc_period_months(bc_period_t p, unsigned *first, unsigned *last);

/* Start (inclusive) and end (exclusive) of the period, Unix seconds, in
 * Vietnam civil time. */
int64_t bc_period_start(bc_period_t p);
int64_t bc_period_end(bc_period_t p);

/* The reporting deadline: the end (exclusive, Unix seconds) of the
 * `working_days`-th working day (Mon-Fri) after the period ends. With 0 it is
 * the period's end itself. */
int64_t bc_period_deadline(bc_period_t p, unsigned working_days);

/* The same, a working day being Monday to Friday for which `day_off`
 * (NULL: none) does not say true: so a commune's January deadline moves
 * past Tết (bc_holidays_deadline in bc_holidays.h passes the holidays).
 * day_off gets `arg` and a day number (bc_day_number). */
typedef bool (*bc_day_off_fn)(const void *arg, int64_t day);
int64_t bc_period_deadline_except(bc_period_t p, unsigned working_days,
                                  bc_day_off_fn day_off, const void *arg);

/* Day number of the civil date y-m-d: days since 1970-01-01 (proleptic
 * Gregorian), as the deadline counts days. */
int64_t bc_day_number(unsigned y, unsigned m, unsigned d);

/* Longest text bc_time_format writes, NUL included. */
#define BC_TIME_TEXT 32

/* Formats a Unix time (seconds) as "YYYY-MM-DDTHH:MM:SSZ" (UTC). A time
 * outside years 0000..9999 (which gmtime cannot express, or strftime would
 * print oddly) comes out as "@SECONDS", the raw value, never garbage: the
 * tools print times read from stores and exports made elsewhere. len
 * should be BC_TIME_TEXT; a shorter buffer gets a cut, NUL-terminated text.
 * Returns buf. */
char *bc_time_format(int64_t unix_s, char *buf, size_t len);

/* Formats a Unix time (seconds) in Vietnam's time, Asia/Ho_Chi_Minh, as
 * "YYYY-MM-DD HH:MM:SS +07", for tables people read (JSON and CSV keep
 * UTC, bc_time_format). Vietnam has kept UTC+7 without daylight saving
 * since 1975, so the offset is fixed here rather than read from a tz
 * database that a container or a station PC may lack. Out-of-range times
 * come out as "@SECONDS", as bc_time_format's. Returns buf. */
char *bc_time_format_local(int64_t unix_s, char *buf, size_t len);

#endif
