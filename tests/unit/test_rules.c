/*
 * test_rules.c -- bc_rules: the shipped rules load and cover every rate,
 * sums and the missing-side rule evaluate as documented, overflow skips
 * rather than wraps, and each load error names its line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_rules.h"
#include "bc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bc_registry_t *reg;

static int setup(void **state)
{
    char err[512];
    reg = bc_registry_load(bc_source("data/units.csv"),
                           bc_source("data/indicators.csv"), err, sizeof err);
    assert_non_null(reg);
    (void) state;
    return 0;
}

static int teardown(void **state)
{
    bc_registry_destroy(&reg);
    (void) state;
    return 0;
}

#define HEAD "code,left,operator,right,importance,message\n"

static size_t idx(const char *code)
{
    return bc_registry_find_indicator(reg, code)->idx;
}

/* At least 20 rules, and each percentage rate's numerator is bounded by
 * its denominator by some rule. */
static void test_shipped(void **state)
{
    char err[512] = "";
    bc_rules_t *r = bc_rules_load(bc_source("data/rules.csv"), reg, err,
                                  sizeof err);
    assert_non_null(r);
    assert_true(bc_rules_count(r) >= 20);
    size_t n = bc_registry_nindicators(reg);
    int64_t *value = calloc(n, sizeof *value);
    uint32_t *present = calloc(n, sizeof *present);
    for (size_t i = 0; i < n; i++) {
        const bc_indicator_t *ind = bc_registry_indicator(reg, (uint32_t) i);
        if (ind->kind != BC_KIND_RATIO || ind->scale != 100)
            continue;
        /* numerator 2 > denominator 1 must fail some rule */
        memset(present, 0, n * sizeof *present);
        value[ind->numerator] = 2;
        value[ind->denominator] = 1;
        present[ind->numerator] = present[ind->denominator] = 1;
        bool caught = false;
        for (size_t k = 0; k < bc_rules_count(r); k++)
            caught |= bc_rules_check(r, k, value, present, NULL, NULL)
                      == BC_RULE_FAIL;
        if (!caught)
            fail_msg("no rule bounds %s's numerator", ind->code);
    }
    free(value);
    free(present);
    bc_rules_destroy(&r);
    (void) state;
}

static void test_evaluate(void **state)
{
    char err[512] = "";
    const char *text = HEAD
        "parts,sdd_underweight + sdd_stunted + 5,<=,sdd_u5,warning,\"a, b\"\n"
        "eq,sdd_u2,==,sdd_u2,error,\n"
        "const,sdd_u5,>,1000000000000,error,\n";
    bc_rules_t *r = bc_rules_parse(text, strlen(text), "t.csv", reg, err,
                                   sizeof err);
    assert_non_null(r);
    assert_int_equal(bc_rules_count(r), 3);
    assert_string_equal(bc_rules_message(r, 0), "a, b");
    assert_int_equal(bc_rules_importance(r, 0), BC_RULE_WARNING);
    assert_true(bc_rules_uses(r, 0, (uint32_t) idx("sdd_stunted")));
    assert_false(bc_rules_uses(r, 0, (uint32_t) idx("sdd_u2")));
    size_t n = bc_registry_nindicators(reg);
    int64_t *value = calloc(n, sizeof *value);
    uint32_t *present = calloc(n, sizeof *present);
    int64_t left, right;
    /* Nothing present: every side naming an indicator is missing. */
    assert_int_equal(bc_rules_check(r, 0, value, present, &left, &right),
                     BC_RULE_SKIPPED);
    /* One part present (the other counts 0), the whole too. */
    value[idx("sdd_underweight")] = 10;
    present[idx("sdd_underweight")] = 1;
    value[idx("sdd_u5")] = 14;
    present[idx("sdd_u5")] = 1;
    assert_int_equal(bc_rules_check(r, 0, value, present, &left, &right),
                     BC_RULE_FAIL);
    assert_int_equal(left, 15);
    assert_int_equal(right, 14);
    char buf[256];
    bc_rules_describe(r, 0, left, right, buf, sizeof buf);
    assert_string_equal(buf, "parts: sdd_underweight + sdd_stunted + 5 (15) "
                             "<= sdd_u5 (14)");
    value[idx("sdd_u5")] = 15;
    assert_int_equal(bc_rules_check(r, 0, value, present, NULL, NULL),
                     BC_RULE_PASS);
    /* A constant side is never missing. */
    assert_int_equal(bc_rules_check(r, 2, value, present, &left, &right),
                     BC_RULE_FAIL);
    assert_int_equal(right, 1000000000000LL);
    /* A sum that would overflow is skipped, not wrapped. */
    value[idx("sdd_underweight")] = INT64_MAX;
    assert_int_equal(bc_rules_check(r, 0, value, present, &left, &right),
                     BC_RULE_SKIPPED);
    free(value);
    free(present);
    bc_rules_destroy(&r);
    bc_rules_destroy(&r);   /* NULL is fine */
    (void) state;
}

static void expect_error(const char *body, const char *needle)
{
    char text[1024], err[512] = "";
    snprintf(text, sizeof text, HEAD "ok,sdd_u2,<=,sdd_u5,error,\n%s", body);
    bc_rules_t *r = bc_rules_parse(text, strlen(text), "r.csv", reg, err,
                                   sizeof err);
    assert_null(r);
    if (!strstr(err, needle))
        fail_msg("'%s' does not say '%s'", err, needle);
}

static void test_errors(void **state)
{
    expect_error("x,nope,<=,sdd_u5,error,\n", "r.csv:3: rule x, left side: "
                 "unknown indicator 'nope'");
    expect_error("x,sdd_u2,=<,sdd_u5,error,\n", "operator '=<'");
    expect_error("x,sdd_u2,<=,sdd_u5,fatal,\n", "importance 'fatal'");
    expect_error("ok,sdd_u2,<=,sdd_u5,error,\n", "rule ok is defined twice");
    expect_error("x,sdd_u2 + ,<=,sdd_u5,error,\n", "an empty term");
    expect_error("x,sdd_u2,<=,,error,\n", "right side: an empty term");
    expect_error("x,sdd_u2,<=,-1,error,\n", "unknown indicator '-1'");
    expect_error("x,sdd_u2,<=,1000000000001,error,\n", "whole constant");
    expect_error("x,sdd_u2,<=,sdd_underweight_rate,error,\n", "is a rate");
    expect_error("bad code,sdd_u2,<=,sdd_u5,error,\n", "rule code");
    expect_error("x,1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1,<=,1,error,\n",
                 "more than 16 terms");
    char err[512] = "";
    const char *nohead = "code,left,operator,right\n";
    assert_null(bc_rules_parse(nohead, strlen(nohead), "h.csv", reg, err,
                               sizeof err));
    assert_non_null(strstr(err, "no 'importance' column"));
    assert_null(bc_rules_load("/nonexistent/rules.csv", reg, err,
                              sizeof err));
    assert_non_null(strstr(err, "No such file"));
    (void) state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
