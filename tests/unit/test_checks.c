/*
 * test_checks.c -- the shared limit helpers: checked sums that never wrap,
 * the strict UTF-8 text rule, log escaping, and the CSV reader's refusal of
 * control bytes and of rows past its limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_report.h"
#include "bc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_checked_add(void **state)
{
    (void) state;
    int64_t r = 7;
    assert_int_equal(bc_add_checked(1, 2, &r), BC_OK);
    assert_true(r == 3);
    /* The case: INT64_MAX then 1 would wrap to INT64_MIN. */
    r = 7;
    assert_int_equal(bc_add_checked(INT64_MAX, 1, &r), BC_ERANGE);
    assert_true(r == 7);   /* untouched: no wrapped number escapes */
    assert_int_equal(bc_add_checked(INT64_MIN, -1, &r), BC_ERANGE);
    /* The maximum over 10,000 facilities and 12 months fits exactly. */
    int64_t sum = 0;
    for (int i = 0; i < 10000 * 12; i++)
        assert_int_equal(bc_add_checked(sum, BC_COUNT_MAX, &sum), BC_OK);
    assert_true(sum == 120000LL * BC_COUNT_MAX);
}

static void test_text_rule(void **state)
{
    (void) state;
    const char *good[] = {"HP-HB-QT", "Phường Quán Toan", "", "\xf0\x9f\x98\x80"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(bc_text_valid(good[i], strlen(good[i])));
    const char *bad[] = {"\xff", "a\nb", "\x1b[31m", "\xc0\xaf" /* overlong */,
                         "\xed\xa0\x80" /* surrogate */, "\xf4\x90\x80\x80",
                         "\xe1\x80" /* cut short */, "x\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(bc_text_valid(bad[i], strlen(bad[i])));
    assert_false(bc_text_valid("5\0x", 3));
}

static void test_escape(void **state)
{
    (void) state;
    char out[64];
    assert_string_equal(bc_escape("a\nFAKE\x1b[0m\xff\\", out, sizeof out),
                        "a\\x0AFAKE\\x1B[0m\\xFF\\\\");
    assert_string_equal(bc_escape("Hồng Bàng", out, sizeof out), "Hồng Bàng");
    /* Truncates whole escapes only. */
    assert_string_equal(bc_escape("\n\n\n", out, 6), "\\x0A");
}

static void test_csv_control_bytes(void **state)
{
    (void) state;
    char err[256];
    bc_report_t *r = NULL;
    static const char nul[] = "indicator,value\nsxh_cases,5\0\n";
    assert_int_equal(bc_report_parse(nul, sizeof nul - 1, "r.csv", &r, err,
                                     sizeof err), BC_EPARSE);
    assert_null(r);
    assert_non_null(strstr(err, "r.csv:2: control byte 0x00"));
    static const char esc[] = "indicator,value\nsxh\x1b_cases,5\n";
    assert_int_equal(bc_report_parse(esc, sizeof esc - 1, "r.csv", &r, err,
                                     sizeof err), BC_EPARSE);
    /* Tabs and quoted line ends are still text. */
    static const char ok[] = "indicator,value,name\nsxh_cases,5,\"a\nb\"\n";
    assert_int_equal(bc_report_parse(ok, sizeof ok - 1, "r.csv", &r, err,
                                     sizeof err), BC_OK);
    bc_report_destroy(&r);
}

static void test_report_limits(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("limits-unit");
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/r.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "indicator,value\n");
    for (int i = 0; i < 200000; i++)
        fprintf(f, "i%06d,%d\n", i, i);
    fclose(f);
    bc_report_t *r = NULL;
    /* Refused at the first row past the limit: line 1002 (header + 1000). */
    assert_int_equal(bc_report_load_limited(path, 1000, 1 << 30, &r, err,
                                            sizeof err), BC_ERANGE);
    assert_null(r);
    assert_non_null(strstr(err, ":1002: more than 1000 data rows"));
    /* Past the byte limit. */
    assert_int_equal(bc_report_load_limited(path, 1000000, 100000, &r, err,
                                            sizeof err), BC_ERANGE);
    assert_non_null(strstr(err, "larger than 100000 bytes"));
    /* Within both: the same file as bc_report_load reads it. */
    assert_int_equal(bc_report_load_limited(path, 200000, 1 << 30, &r, err,
                                            sizeof err), BC_OK);
    assert_int_equal(r->nvalues, 200000);
    assert_string_equal(r->values[199999].indicator, "i199999");
    bc_report_destroy(&r);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checked_add),
        cmocka_unit_test(test_text_rule),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_csv_control_bytes),
        cmocka_unit_test(test_report_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
