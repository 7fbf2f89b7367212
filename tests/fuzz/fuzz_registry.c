/*
 * fuzz_registry.c -- libFuzzer target: arbitrary bytes as the hub's two
 * registry files. The input up to its first NUL byte is the units file,
 * the rest (if any) the catalogue; without a NUL, the shipped catalogue.
 *
 * What must hold: no crash, no sanitizer report, no leak; a refusal says
 * why; a loaded registry keeps the promises the rest of the system relies
 * on: codes of 1..BC_CODE_MAX bytes, unique keys, depths that follow the
 * parents and stay under BC_MAX_LEVELS, ratios built on non-ratios.
 */
#include "bc_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
}

static void check(const bc_registry_t *reg)
{
    size_t n = bc_registry_nunits(reg);
    for (size_t i = 0; i < n; i++) {
        const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
        size_t len = strlen(u->code);
        if (len == 0 || len > BC_CODE_MAX || u->depth >= BC_MAX_LEVELS)
            abort();
        if (bc_registry_find_unit(reg, u->code) != u)
            abort();
        if (u->parent >= 0) {
            const bc_unit_t *p = bc_registry_unit(reg, (uint32_t) u->parent);
            if (p->depth + 1 != u->depth)
                abort();
        } else if (u->depth != 0) {
            abort();
        }
        for (size_t j = 0; u->key && j < i; j++) {
            const bc_unit_t *o = bc_registry_unit(reg, (uint32_t) j);
            if (o->key && strcmp(o->key, u->key) == 0)
                abort();
        }
    }
    for (size_t i = 0; i < bc_registry_nindicators(reg); i++) {
        const bc_indicator_t *ind = bc_registry_indicator(reg, (uint32_t) i);
        if (ind->kind != BC_KIND_RATIO)
            continue;
        if (bc_registry_indicator(reg, (uint32_t) ind->numerator)->kind
                == BC_KIND_RATIO
            || bc_registry_indicator(reg, (uint32_t) ind->denominator)->kind
                == BC_KIND_RATIO)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char units[64], cat[64], shipped[4096], err[512] = "";
    const uint8_t *nul = memchr(data, 0, size);
    snprintf(units, sizeof units, "/tmp/fuzz_units_%d.csv", (int) getpid());
    snprintf(cat, sizeof cat, "/tmp/fuzz_cat_%d.csv", (int) getpid());
    const char *src = getenv("BC_SOURCE_DIR");
    snprintf(shipped, sizeof shipped, "%s/data/indicators.csv",
             src ? src : ".");
    write_file(units, data, nul ? (size_t) (nul - data) : size);
    if (nul)
        write_file(cat, nul + 1, size - (size_t) (nul - data) - 1);
    bc_registry_t *reg = bc_registry_load(units, nul ? cat : shipped, err,
                                          sizeof err);
    if (reg) {
        check(reg);
        bc_registry_destroy(&reg);
    } else if (!err[0]) {
        abort();   /* a refusal must say why */
    }
    unlink(units);
    if (nul)
        unlink(cat);
    return 0;
}
