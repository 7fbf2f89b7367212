/*
 * bench_time.h -- the clock and the percentiles of the bench programs, so
 * that every program's "p99" is the same computation.
 *
 * Percentiles are nearest-rank on the sorted sample (index p * (n - 1),
 * rounded): with 1,000 queries, p99 is the 990th fastest.
 */
#ifndef BENCH_TIME_H
#define BENCH_TIME_H

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

/* Monotonic seconds. */
static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* qsort's order of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* The p-th quantile (0 <= p <= 1) of n values already sorted; 0 if none. */
static inline double bench_pct_sorted(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t) (p * (double) (n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* The same of n values in any order (sorts them in place). */
static inline double bench_pct(double *v, size_t n, double p)
{
    if (n)
        qsort(v, n, sizeof *v, bench_cmp_double);
    return bench_pct_sorted(v, n, p);
}

#endif
