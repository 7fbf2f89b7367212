/*
 * fuzz_dhis2.c -- libFuzzer target: arbitrary bytes as the files
 * `baocao import` reads: a dataValueSet as JSON and as CSV, an ADX
 * document, and a mapping file. Every parser sees every input, so that a
 * JSON-looking input also exercises the CSV layer, and so on.
 *
 * What must hold: no crash, no sanitizer report, no leak; a refusal says
 * why; a parsed value has no NULL string; a value set written back out in
 * its own format parses again to as many values (the writers escape what
 * the parsers would trip on); the value and period checks never crash on
 * what a file holds.
 */
#include "bc_dhis2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_set(const bc_dhis2_set_t *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const bc_dhis2_value_t *v = &set->values[i];
        if (!v->data_element || !v->period || !v->org_unit || !v->coc
            || !v->aoc || !v->value)
            abort();
        long long n;
        const char *why = NULL;
        if (bc_dhis2_count(v->value, &n, &why) && !why)
            abort();   /* a refused value must say why */
        bc_period_t p;
        if (!bc_dhis2_period_parse(v->period, &p)) {
            char buf[BC_DHIS2_PERIOD_STRLEN], back[BC_DHIS2_PERIOD_STRLEN];
            bc_period_t q;
            /* Our period back in DHIS2's forms reads as the same period. */
            if (bc_dhis2_period_parse(bc_dhis2_period_iso(p, buf), &q)
                || q != p)
                abort();
            if (bc_dhis2_period_parse(bc_dhis2_period_adx(p, back), &q)
                || q != p)
                abort();
        }
    }
}

/* JSON keeps every value through a write and a read (CSV trims spaces and
 * skips empty rows by design, so only JSON is held to this). */
static void json_again(const bc_dhis2_set_t *set)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return;
    if (bc_dhis2_write(out, BC_DHIS2_JSON, set, true))
        abort();
    fclose(out);
    char err[256] = "";
    bc_dhis2_set_t *back = NULL;
    if (bc_dhis2_parse(buf, len, BC_DHIS2_JSON, "again", &back, err,
                       sizeof err) || back->n != set->n)
        abort();
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(back->values[i].value, set->values[i].value)
            || strcmp(back->values[i].org_unit, set->values[i].org_unit))
            abort();
    bc_dhis2_set_destroy(&back);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const bc_dhis2_format_t fmts[] = {BC_DHIS2_JSON, BC_DHIS2_CSV,
                                             BC_DHIS2_ADX};
    for (size_t f = 0; f < 3; f++) {
        char err[256] = "";
        bc_dhis2_set_t *set = NULL;
        int rc = bc_dhis2_parse((const char *) data, size, fmts[f], "fuzz",
                                &set, err, sizeof err);
        if (rc) {
            if (set || !err[0])
                abort();
            continue;
        }
        check_set(set);
        if (fmts[f] == BC_DHIS2_JSON)
            json_again(set);
        bc_dhis2_set_destroy(&set);
    }
    char err[256] = "";
    bc_dhis2_map_t *m = bc_dhis2_map_parse((const char *) data, size, "fuzz",
                                           err, sizeof err);
    if (!m && !err[0])
        abort();
    bc_dhis2_map_destroy(&m);
    return 0;
}
