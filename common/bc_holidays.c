/*
 * bc_holidays.c -- the holidays file (bc_holidays.h).
 */
#include "bc_holidays.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bc_holidays_t {
    int64_t *days;     /* sorted day numbers */
    size_t n;          /* used */
};

static int cmp_day(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

/* "YYYY-MM-DD" as a day number; false if it is not a real date. */
static bool parse_date(const char *s, int64_t *day)
{
    unsigned y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-'
        || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                     30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]
        || (m == 2 && d == 29 && !leap))
        return false;
    *day = bc_day_number(y, m, d);
    return true;
}

bc_holidays_t *bc_holidays_parse(const char *data, size_t len,
                                 const char *name, char *err, size_t errlen)
{
    bc_holidays_t *self = NULL;
    bc_csv_t *csv = bc_csv_parse(data, len, name, err, errlen);
    if (!csv)
        return NULL;
    int cdate = bc_csv_column(csv, "date"), cname = bc_csv_column(csv, "name");
    if (cdate < 0 || cname < 0) {
        bc_set_error(err, errlen, "%s: no '%s' column (the header is "
                     "date,name)", name, cdate < 0 ? "date" : "name");
        goto out_csv;
    }
    size_t rows = bc_csv_rows(csv);
    if (rows > BC_HOLIDAYS_MAX) {
        bc_set_error(err, errlen, "%s: %zu holidays; at most %d", name, rows,
                     BC_HOLIDAYS_MAX);
        goto out_csv;
    }
    self = bc_calloc(1, sizeof *self);
    self->days = bc_calloc(rows ? rows : 1, sizeof *self->days);
    /* Day and line side by side, so a duplicate names both lines. */
    int64_t (*pairs)[2] = bc_calloc(rows ? rows : 1, sizeof *pairs);
    for (size_t row = 0; row < rows; row++) {
        const char *date = bc_csv_field(csv, row, cdate);
        if (!parse_date(date, &pairs[row][0])) {
            bc_set_error(err, errlen, "%s:%zu: '%.16s' is not a date "
                         "YYYY-MM-DD from 1970 on", name,
                         bc_csv_line(csv, row), date);
            free(pairs);
            goto out_fail;
        }
        pairs[row][1] = (int64_t) bc_csv_line(csv, row);
    }
    qsort(pairs, rows, sizeof *pairs, cmp_day);
    for (size_t i = 0; i < rows; i++) {
        if (i && pairs[i][0] == pairs[i - 1][0]) {
            bc_set_error(err, errlen, "%s:%lld: this date is already on line "
                         "%lld", name, (long long) pairs[i][1],
                         (long long) pairs[i - 1][1]);
            free(pairs);
            goto out_fail;
        }
        self->days[i] = pairs[i][0];
    }
    self->n = rows;
    free(pairs);
    goto out_csv;

out_fail:
    bc_holidays_destroy(&self);
out_csv:
    bc_csv_destroy(&csv);
    return self;
}

bc_holidays_t *bc_holidays_load(const char *path, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int e = bc_read_file(path, &data, &len);
    if (e != 0) {
        bc_set_error(err, errlen, "%s: %s", path, strerror(e));
        return NULL;
    }
    bc_holidays_t *self = bc_holidays_parse(data, len, path, err, errlen);
    bc_free(&data);
    return self;
}

void bc_holidays_destroy(bc_holidays_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bc_free(&(*self_p)->days);
    bc_free(self_p);
}

size_t bc_holidays_count(const bc_holidays_t *self)
{
    return self ? self->n : 0;
}

bool bc_holidays_has(const bc_holidays_t *self, int64_t day)
{
    if (!self || !self->n)
        return false;
    return bsearch(&day, self->days, self->n, sizeof day, cmp_day) != NULL;
}

static bool holiday(const void *self, int64_t day)
{
    return bc_holidays_has(self, day);
}

int64_t bc_holidays_deadline(const bc_holidays_t *self, bc_period_t p,
                             unsigned working_days)
{
    return bc_period_deadline_except(p, working_days, self ? holiday : NULL,
                                     self);
}
