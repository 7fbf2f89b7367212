/*
 * bench_registry.c -- issue 12, item 8: how long a registry with history
 * takes to load, at the bench's scale.
 *
 * Writes a units file of 1 province, 100 districts and 11,900 communes
 * (12,000 units), of which a tenth change on 2025-07: half of them merge
 * in pairs into new communes, half move to the next district (a second
 * row with the same code). Then loads it N times with bc_registry_load
 * (CSV parsing, every month's tree checked for cycles and depth, the
 * digest) and prints the median and the worst time. The catalogue is the
 * shipped one. Nothing here is timed by the tests.
 *
 *   bench_registry [CATALOG.csv] [RUNS]
 */
#include "bc_registry.h"
#include "bench_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* The file: 100 districts of 119 communes; commune c of district d is
 * "C<d>-<c>". Every tenth commune changes: even tenths merge with the
 * next commune into "N<d>-<c>", odd tenths move to district d+1. */
static int write_units(const char *path, size_t *units, size_t *rows)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    *units = 0;
    *rows = 0;
    fprintf(f, "code,parent_code,level,name,valid_from,valid_to,"
            "replaced_by\nP,,province,P,,,\n");
    *units += 1;
    *rows += 1;
    for (int d = 0; d < 100; d++) {
        fprintf(f, "D%d,P,district,District %d,,,\n", d, d);
        (*units)++;
        (*rows)++;
        int merged = 0;
        for (int c = 0; c < 119 && *units < 12000; c++) {
            if (c % 10 == 0 && (c / 10) % 2 == 0 && c + 1 < 119) {
                /* A pair that merges (counted as 2 old + 1 new). */
                fprintf(f, "C%d-%d,D%d,commune,C %d %d,,2025-06,N%d-%d\n",
                        d, c, d, d, c, d, c);
                fprintf(f, "C%d-%d,D%d,commune,C %d %d,,2025-06,N%d-%d\n",
                        d, c + 1, d, d, c + 1, d, c);
                fprintf(f, "N%d-%d,D%d,commune,N %d %d,2025-07,,\n", d, c,
                        d, d, c);
                *units += 3;
                *rows += 3;
                c++;
                merged++;
            } else if (c % 10 == 0) {
                fprintf(f, "C%d-%d,D%d,commune,C %d %d,,2025-06,\n", d, c, d,
                        d, c);
                fprintf(f, "C%d-%d,D%d,commune,C %d %d,2025-07,,\n", d, c,
                        (d + 1) % 100, d, c);
                *units += 1;
                *rows += 2;
            } else {
                fprintf(f, "C%d-%d,D%d,commune,C %d %d,,,\n", d, c, d, d, c);
                *units += 1;
                *rows += 1;
            }
        }
        (void) merged;
    }
    return fclose(f);
}

int main(int argc, char **argv)
{
    if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: bench_registry [CATALOG.csv] [RUNS]\n");
        return 2;
    }
    const char *catalog = argc > 1 ? argv[1] : "data/indicators.csv";
    int runs = argc > 2 ? atoi(argv[2]) : 20;
    char path[] = "/tmp/bench_registry_XXXXXX";
    int fd = mkstemp(path);
    size_t units, rows;
    char err[512];
    double *t;
    int rc = 1;

    if (fd < 0 || runs < 1)
        return 2;
    close(fd);
    if (write_units(path, &units, &rows) != 0)
        goto out_unlink;
    t = malloc((size_t) runs * sizeof *t);
    for (int i = 0; i < runs; i++) {
        double a = now_ms();
        bc_registry_t *reg = bc_registry_load(path, catalog, err, sizeof err);
        t[i] = now_ms() - a;
        if (!reg) {
            fprintf(stderr, "bench_registry: %s\n", err);
            free(t);
            goto out_unlink;
        }
        if (i == 0)
            units = bc_registry_nunits(reg);
        bc_registry_destroy(&reg);
    }
    qsort(t, (size_t) runs, sizeof *t, bench_cmp_double);
    printf("registry with history: %zu units on %zu rows, %d loads: median "
           "%.1f ms, worst %.1f ms\n", units, rows, runs, t[runs / 2],
           t[runs - 1]);
    free(t);
    rc = 0;
out_unlink:
    unlink(path);
    return rc;
}
