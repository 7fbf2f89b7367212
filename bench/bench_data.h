/*
 * bench_data.h -- the synthetic province every benchmark loads, so that the
 * hub, raw LMDB and PostgreSQL are given exactly the same reports.
 *
 *   1 province "P", 100 districts "P-D000".."P-D099", 100 facilities under
 *   each: "P-D000-F000".. (10,000 facilities); 100 flow indicators
 *   "ind000".."ind099"; 24 months 2023-01..2024-12.
 *
 *   Report r (0 <= r < facilities * months) is facility r % 10,000 for month
 *   r / 10,000 (all facilities' January first, as a province's backlog would
 *   arrive month by month); its value for indicator i is
 *   bench_value(facility, month, i).
 *
 *   Larger runs (issue 21, goal 6: 1,000,000 reports = 100 months) start
 *   earlier and still end on 2024-12 (bench_layout), so that the questions
 *   the benches ask, about 2023-01..2024-12, stay the same at every size:
 *   only the history behind them grows.
 */
#ifndef BENCH_DATA_H
#define BENCH_DATA_H

#include <stdint.h>
#include <stdio.h>

#define BENCH_DISTRICTS 100
#define BENCH_PER_DISTRICT 100
#define BENCH_FACILITIES (BENCH_DISTRICTS * BENCH_PER_DISTRICT)
#define BENCH_INDICATORS 100
#define BENCH_MONTHS 24
/* Most months a run may hold: 1,200,000 reports. */
#define BENCH_MAX_MONTHS 120

/* Where the reports of a run of `reports` go in time. Months are counted
 * from January of first_year: report r is month skip + r / 10,000. Up to
 * 24 months (240,000 reports) this is the province above (2023, skip 0);
 * beyond, whole years are added before 2023 and skip drops the first
 * months of the first one, so that the last month is 2024-12. The queries'
 * month q (0 = 2023-01, q < qmonths) is month qoff + q. */
typedef struct {
    unsigned months;      /* months holding reports (the last may be partial
                             when months <= 24) */
    unsigned first_year;  /* year of month 0 */
    unsigned skip;        /* month of report 0 */
    unsigned qoff;        /* month of 2023-01 */
    unsigned qmonths;     /* months the queries ask about, from 2023-01 */
} bench_layout_t;

static inline bench_layout_t bench_layout(long long reports)
{
    bench_layout_t l;
    l.months = (unsigned) ((reports + BENCH_FACILITIES - 1) / BENCH_FACILITIES);
    l.first_year = 2023;
    l.skip = l.qoff = 0;
    l.qmonths = l.months;
    if (l.months > BENCH_MONTHS) {
        unsigned extra = (l.months - BENCH_MONTHS + 11) / 12;
        l.first_year = 2023 - extra;
        l.skip = extra * 12 - (l.months - BENCH_MONTHS);
        l.qoff = extra * 12;
        l.qmonths = BENCH_MONTHS;
    }
    return l;
}

/* Deterministic figure: a small hash of its coordinates, 0..999. */
static inline int64_t bench_value(unsigned facility, unsigned month,
                                  unsigned indicator)
{
    uint64_t x = (uint64_t) facility * 1000003u + month * 7919u + indicator;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (int64_t) (x % 1000);
}

static inline void bench_facility_code(unsigned f, char *out, size_t len)
{
    snprintf(out, len, "P-D%03u-F%03u", f / BENCH_PER_DISTRICT,
             f % BENCH_PER_DISTRICT);
}

static inline void bench_district_code(unsigned d, char *out, size_t len)
{
    snprintf(out, len, "P-D%03u", d);
}

/* Month index 0..23 -> "2023-01".."2024-12" (the queries' months). */
static inline void bench_period(unsigned month, char *out, size_t len)
{
    snprintf(out, len, "%04u-%02u", 2023 + month / 12, month % 12 + 1);
}

/* Writes DIR/units.csv (the province) and DIR/indicators.csv (`indicators`
 * flow indicators ind000..). */
static inline void bench_write_registry(const char *dir, unsigned indicators)
{
    char path[4096], code[32], parent[32];
    snprintf(path, sizeof path, "%s/units.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "code,parent_code,level,name\nP,,province,Tỉnh Bench\n");
    for (unsigned d = 0; d < BENCH_DISTRICTS; d++) {
        bench_district_code(d, code, sizeof code);
        fprintf(f, "%s,P,district,Huyện %u\n", code, d);
    }
    for (unsigned u = 0; u < BENCH_FACILITIES; u++) {
        bench_facility_code(u, code, sizeof code);
        bench_district_code(u / BENCH_PER_DISTRICT, parent, sizeof parent);
        fprintf(f, "%s,%s,commune,Trạm Y tế %u\n", code, parent, u);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/indicators.csv", dir);
    f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "code,name,kind,numerator,denominator,scale\n");
    for (unsigned i = 0; i < indicators; i++)
        fprintf(f, "ind%03u,Chỉ tiêu %u,flow,,,\n", i, i);
    fclose(f);
}

/* Issue 17: DIR/categories.csv (sex: 2 options, age: 4) and
 * DIR/indicators.csv again with every `every`-th indicator broken down by
 * sex;age (a fifth of them for 5: 2 x 4 = 8 combinations each). */
static inline void bench_write_breakdowns(const char *dir,
                                          unsigned indicators, unsigned every)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/categories.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "category,option,name\nsex,nam,Nam\nsex,nu,Nữ\n"
               "age,0-4,0-4\nage,5-14,5-14\nage,15-49,15-49\nage,50+,50+\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/indicators.csv", dir);
    if (!(f = fopen(path, "w")))
        return;
    fprintf(f, "code,name,kind,numerator,denominator,scale,categories\n");
    for (unsigned i = 0; i < indicators; i++)
        fprintf(f, "ind%03u,Chỉ tiêu %u,flow,,,,%s\n", i, i,
                every && i % every == 0 ? "sex;age" : "");
    fclose(f);
}

#endif
