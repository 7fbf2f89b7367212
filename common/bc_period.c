/*
 * bc_period.c -- reporting periods packed into one integer.
 *
 * Design: a period is year * 1000 + type * 100 + index (see bc_period.h), so
 * that it is a plain integer that sorts by year first and fits a key. All
 * calendar arithmetic is done on "days since 1970-01-01" with Howard
 * Hinnant's days_from_civil algorithm, which is exact for the proleptic
 * Gregorian calendar and needs neither timegm() nor the process's TZ: Vietnam
 * has had one fixed offset (UTC+7, no daylight saving) for the whole range
 * of years we accept, so local midnight is simply days * 86400 - 7 h.
 *
 * Functions that compute from a period value do not assert on a malformed
 * one (it may come off the wire): they return 0, the "no period" value, which
 * no valid period equals (years start at 1900).
 *
 * Working days are Monday to Friday. Public holidays (Tết, 30/4, 2/9 ...)
 * are not counted as holidays: their dates move with the lunar calendar and
 * with government decisions each year, so a caller that needs them must
 * extend the deadline itself.
 */
#include "bc_period.h"

#include "bc_error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SECONDS_PER_DAY 86400

/* Number of periods of each type in a year (index range 1..n). */
static unsigned periods_per_year(bc_period_type_t type)
{
    switch (type) {
    case BC_PT_MONTH:   return 12;
    case BC_PT_QUARTER: return 4;
    case BC_PT_HALF:    return 2;
    case BC_PT_YEAR:    return 1;
    }
    return 0;
}

/* Months in one period of the type. */
static unsigned months_per_period(bc_period_type_t type)
{
    unsigned n = periods_per_year(type);
    return n ? 12 / n : 0;
}

bc_period_t bc_period_make(unsigned year, bc_period_type_t type,
                           unsigned index)
{
    unsigned n = periods_per_year(type);
    if (year < BC_PERIOD_MIN_YEAR || year > BC_PERIOD_MAX_YEAR)
        return 0;
    if (n == 0 || index < 1 || index > n)
        return 0;
    return (bc_period_t) (year * 1000u + (unsigned) type * 100u + index);
}

unsigned bc_period_year(bc_period_t p)
{
    return p / 1000u;
}

bc_period_type_t bc_period_type(bc_period_t p)
{
    return (bc_period_type_t) ((p / 100u) % 10u);
}

unsigned bc_period_index(bc_period_t p)
{
    return p % 100u;
}

/* True if p is exactly what bc_period_make would build. */
static bool period_valid(bc_period_t p)
{
    return p != 0 && bc_period_make(bc_period_year(p), bc_period_type(p),
                                    bc_period_index(p)) == p;
}

/* Reads exactly `n` decimal digits; false if any is not a digit. */
static bool read_digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10u + (unsigned) (s[i] - '0');
    }
    *out = v;
    return true;
}

int bc_period_parse(const char *text, bc_period_t *out)
{
    unsigned year = 0, index = 1;
    bc_period_type_t type = BC_PT_YEAR;
    size_t len;
    bc_period_t p;

    if (!text || !out)
        return BC_EINVAL;
    *out = 0;
    len = strlen(text);

    /* The year is always exactly four digits: "23-12" or "02023" are typos,
     * not periods, and guessing would file a report under the wrong year. */
    if (len < 4 || !read_digits(text, 4, &year))
        return BC_EPERIOD;

    if (len == 4) {
        type = BC_PT_YEAR;
    } else if (len == 7 && text[4] == '-') {
        char c = text[5];
        if (c == 'Q' || c == 'q' || c == 'H' || c == 'h') {
            /* one digit: quarters and halves never reach 10 */
            if (!read_digits(text + 6, 1, &index))
                return BC_EPERIOD;
            type = (c == 'Q' || c == 'q') ? BC_PT_QUARTER : BC_PT_HALF;
        } else {
            /* two digits: "2023-1" is ambiguous with a truncated "2023-12" */
            if (!read_digits(text + 5, 2, &index))
                return BC_EPERIOD;
            type = BC_PT_MONTH;
        }
    } else {
        return BC_EPERIOD;
    }

    p = bc_period_make(year, type, index);
    if (p == 0)
        return BC_EPERIOD;
    *out = p;
    return BC_OK;
}

char *bc_period_format(bc_period_t p, char *buf)
{
    unsigned y = bc_period_year(p), i = bc_period_index(p);

    if (!period_valid(p)) {
        snprintf(buf, BC_PERIOD_STRLEN, "invalid");
        return buf;
    }
    switch (bc_period_type(p)) {
    case BC_PT_MONTH:
        snprintf(buf, BC_PERIOD_STRLEN, "%04u-%02u", y, i);
        break;
    case BC_PT_QUARTER:
        snprintf(buf, BC_PERIOD_STRLEN, "%04u-Q%u", y, i);
        break;
    case BC_PT_HALF:
        snprintf(buf, BC_PERIOD_STRLEN, "%04u-H%u", y, i);
        break;
    case BC_PT_YEAR:
        snprintf(buf, BC_PERIOD_STRLEN, "%04u", y);
        break;
    }
    return buf;
}

bc_period_t bc_period_prev(bc_period_t p)
{
    bc_period_type_t t = bc_period_type(p);
    unsigned y = bc_period_year(p), i = bc_period_index(p);

    if (!period_valid(p))
        return 0;
    if (i > 1)
        return bc_period_make(y, t, i - 1);
    /* The first period of a year steps back to the last of the year before;
     * make() returns 0 below BC_PERIOD_MIN_YEAR. */
    return bc_period_make(y - 1, t, periods_per_year(t));
}

bc_period_t bc_period_last_year(bc_period_t p)
{
    if (!period_valid(p))
        return 0;
    return bc_period_make(bc_period_year(p) - 1, bc_period_type(p),
                           bc_period_index(p));
}

void bc_period_months(bc_period_t p, unsigned *first, unsigned *last)
{
    unsigned span, f = 0, l = 0;

    if (period_valid(p)) {
        span = months_per_period(bc_period_type(p));
        l = bc_period_index(p) * span;
        f = l - span + 1;
    }
    if (first)
        *first = f;
    if (last)
        *last = l;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian); negative before. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                   /* [0, 399] */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* Unix seconds of local (UTC+7) midnight at the start of `days`. */
static int64_t local_midnight(int64_t days)
{
    return days * SECONDS_PER_DAY - BC_TZ_OFFSET;
}

/* Day number (days since 1970-01-01, local) on which the period ends, i.e.
 * the first day after it. The caller checks that p is valid. */
static int64_t end_day(bc_period_t p)
{
    unsigned first, last;
    int64_t y = bc_period_year(p);

    bc_period_months(p, &first, &last);
    if (last == 12)
        return days_from_civil(y + 1, 1, 1);
    return days_from_civil(y, last + 1, 1);
}

int64_t bc_period_start(bc_period_t p)
{
    unsigned first, last;

    if (!period_valid(p))
        return 0;
    bc_period_months(p, &first, &last);
    return local_midnight(days_from_civil(bc_period_year(p), first, 1));
}

int64_t bc_period_end(bc_period_t p)
{
    if (!period_valid(p))
        return 0;
    return local_midnight(end_day(p));
}

int64_t bc_day_number(unsigned y, unsigned m, unsigned d)
{
    return days_from_civil(y, m, d);
}

int64_t bc_period_deadline(bc_period_t p, unsigned working_days)
{
    return bc_period_deadline_except(p, working_days, NULL, NULL);
}

int64_t bc_period_deadline_except(bc_period_t p, unsigned working_days,
                                  bc_day_off_fn day_off, const void *arg)
{
    int64_t day;
    unsigned counted = 0;

    if (!period_valid(p))
        return 0;

    /* Walk forward from the first day after the period; every Monday to
     * Friday passed that is not a holiday counts one. The deadline is the
     * midnight that closes the last counted day. */
    day = end_day(p);
    while (counted < working_days) {
        /* 1970-01-01 was a Thursday: (day + 4) mod 7 gives 0 = Sunday. */
        int64_t wd = ((day + 4) % 7 + 7) % 7;
        if (wd >= 1 && wd <= 5 && !(day_off && day_off(arg, day)))
            counted++;
        day++;
    }
    return local_midnight(day);
}

/* Formats unix_s as UTC, or with `local` in Vietnam's time (UTC+7); a
 * time whose year falls outside 0000..9999 prints as "@SECONDS". The two
 * formats are literals so that the compiler checks them. */
static char *time_format_at(int64_t unix_s, bool local, char *buf,
                            size_t len)
{
    int64_t offset_s = local ? 7 * 3600 : 0;
    /* 0000-01-01 .. 9999-12-31T23:59:59Z, in Unix seconds: within these,
     * gmtime_r succeeds on any 64-bit time_t and the year has 4 digits. */
    static const int64_t lo = -62167219200LL, hi = 253402300799LL;
    struct tm tm;
    if (!len)
        return buf;
    bool in_range = unix_s >= lo - offset_s && unix_s <= hi - offset_s;
    time_t t = in_range ? (time_t) (unix_s + offset_s) : 0;
    if (!in_range || !gmtime_r(&t, &tm)
        || (local ? strftime(buf, len, "%Y-%m-%d %H:%M:%S +07", &tm)
                  : strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm)) == 0)
        snprintf(buf, len, "@%lld", (long long) unix_s);
    return buf;
}

char *bc_time_format(int64_t unix_s, char *buf, size_t len)
{
    return time_format_at(unix_s, false, buf, len);
}

char *bc_time_format_local(int64_t unix_s, char *buf, size_t len)
{
    return time_format_at(unix_s, true, buf, len);
}
