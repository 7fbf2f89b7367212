/*
 * fuzz_rules.c -- libFuzzer target: arbitrary bytes as a rules file
 * (bc_rules.h), parsed against the shipped catalogue, then every rule
 * evaluated on figures drawn from the same bytes.
 *
 * What must hold: no crash, no sanitizer report (UBSan catches a wrapped
 * sum), no leak; a refusal says why; a loaded rule has a code of 1 to
 * BC_CODE_MAX bytes and names only known indicators; evaluation gives one
 * of the three outcomes, and a skipped rule reports 0 on both sides.
 */
#include "bc_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bc_registry_t *shipped(void)
{
    static bc_registry_t *reg;
    if (!reg) {
        char units[4096], cat[4096], err[512];
        const char *src = getenv("BC_SOURCE_DIR");
        snprintf(units, sizeof units, "%s/data/units.csv", src ? src : ".");
        snprintf(cat, sizeof cat, "%s/data/indicators.csv", src ? src : ".");
        reg = bc_registry_load(units, cat, err, sizeof err);
        if (!reg) {
            fprintf(stderr, "fuzz_rules: %s (set BC_SOURCE_DIR)\n", err);
            abort();
        }
    }
    return reg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bc_registry_t *reg = shipped();
    char err[512] = "";
    bc_rules_t *rules = bc_rules_parse((const char *) data, size, "fuzz.csv",
                                       reg, err, sizeof err);
    if (!rules) {
        if (!err[0])
            abort();   /* a refusal must say why */
        return 0;
    }
    size_t nind = bc_registry_nindicators(reg);
    int64_t *value = calloc(nind, sizeof *value);
    uint32_t *present = calloc(nind, sizeof *present);
    /* Figures from the input's bytes, extremes included, so that sums
     * near INT64_MAX are tried. */
    for (size_t i = 0; i < nind; i++) {
        uint8_t b = size ? data[i % size] : 0;
        present[i] = b & 1;
        value[i] = (b & 2) ? INT64_MAX - b : (int64_t) b * 1000003;
    }
    for (size_t i = 0; i < bc_rules_count(rules); i++) {
        size_t len = strlen(bc_rules_code(rules, i));
        if (len == 0 || len > BC_CODE_MAX)
            abort();
        int64_t l = -1, r = -1;
        bc_rule_outcome_t o = bc_rules_check(rules, i, value, present, &l, &r);
        if (o != BC_RULE_PASS && o != BC_RULE_FAIL && o != BC_RULE_SKIPPED)
            abort();
        if (o == BC_RULE_SKIPPED && (l != 0 || r != 0))
            abort();
        char text[512];
        bc_rules_describe(rules, i, l, r, text, sizeof text);
    }
    free(value);
    free(present);
    bc_rules_destroy(&rules);
    return 0;
}
