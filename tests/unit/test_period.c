/*
 * test_period.c -- reporting periods: parsing, arithmetic, civil time and
 * working-day deadlines, with epoch values computed independently (Python
 * datetime with a fixed UTC+7 zone) rather than by the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_period.h"

#include <string.h>

static bc_period_t P(const char *text)
{
    bc_period_t p = 0;
    assert_int_equal(bc_period_parse(text, &p), BC_OK);
    return p;
}

static void test_parse_format_round_trip(void **state)
{
    const char *texts[] = { "2023-12", "2023-01", "2023-Q1", "2023-Q4",
                            "2023-H1", "2023-H2", "2023", "1900-01",
                            "9999-12" };
    char buf[BC_PERIOD_STRLEN];

    (void) state;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_string_equal(bc_period_format(P(texts[i]), buf), texts[i]);

    /* The packed values are part of the store's key layout. */
    assert_int_equal(P("2023-12"), 2023112);
    assert_int_equal(P("2023-Q4"), 2023204);
    assert_int_equal(P("2023-H2"), 2023302);
    assert_int_equal(P("2023"), 2023401);

    /* Lower case is accepted and formatted canonically. */
    assert_string_equal(bc_period_format(P("2023-q3"), buf), "2023-Q3");
    assert_string_equal(bc_period_format(P("2023-h1"), buf), "2023-H1");

    assert_int_equal(bc_period_year(P("2023-Q2")), 2023);
    assert_int_equal(bc_period_type(P("2023-Q2")), BC_PT_QUARTER);
    assert_int_equal(bc_period_index(P("2023-Q2")), 2);
}

static void test_parse_rejects(void **state)
{
    const char *bad[] = { "2023-13", "2023-00", "2023-Q5", "2023-Q0",
                          "2023-H3", "2023-H0", "2023-1x", "", "0000",
                          "0000-01", "1899-12", "2023-", "2023-1",
                          "2023-123", " 2023", "2023 ", "2023-12 ",
                          "20231", "23-12", "2023/12", "2023-Q", "2023-X1",
                          "2023-Q12", "abcd", "-2023" };
    bc_period_t p = 123;

    (void) state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = 123;
        assert_int_equal(bc_period_parse(bad[i], &p), BC_EPERIOD);
        assert_int_equal(p, 0);
    }
    assert_int_equal(bc_period_parse(NULL, &p), BC_EINVAL);
}

static void test_make_ranges(void **state)
{
    (void) state;
    assert_int_equal(bc_period_make(2023, BC_PT_MONTH, 12), 2023112);
    assert_int_equal(bc_period_make(2023, BC_PT_MONTH, 13), 0);
    assert_int_equal(bc_period_make(2023, BC_PT_MONTH, 0), 0);
    assert_int_equal(bc_period_make(2023, BC_PT_QUARTER, 5), 0);
    assert_int_equal(bc_period_make(2023, BC_PT_HALF, 3), 0);
    assert_int_equal(bc_period_make(2023, BC_PT_YEAR, 2), 0);
    assert_int_equal(bc_period_make(0, BC_PT_YEAR, 1), 0);
    assert_int_equal(bc_period_make(1899, BC_PT_YEAR, 1), 0);
    assert_int_equal(bc_period_make(10000, BC_PT_YEAR, 1), 0);
    assert_int_equal(bc_period_make(2023, (bc_period_type_t) 5, 1), 0);
}

static void test_prev_and_last_year(void **state)
{
    (void) state;
    assert_int_equal(bc_period_prev(P("2023-01")), P("2022-12"));
    assert_int_equal(bc_period_prev(P("2023-05")), P("2023-04"));
    assert_int_equal(bc_period_prev(P("2023-Q1")), P("2022-Q4"));
    assert_int_equal(bc_period_prev(P("2023-Q3")), P("2023-Q2"));
    assert_int_equal(bc_period_prev(P("2023-H1")), P("2022-H2"));
    assert_int_equal(bc_period_prev(P("2023-H2")), P("2023-H1"));
    assert_int_equal(bc_period_prev(P("2023")), P("2022"));
    assert_int_equal(bc_period_prev(P("1900-01")), 0);
    assert_int_equal(bc_period_prev(0), 0);

    assert_int_equal(bc_period_last_year(P("2024-01")), P("2023-01"));
    assert_int_equal(bc_period_last_year(P("2023-Q4")), P("2022-Q4"));
    assert_int_equal(bc_period_last_year(P("2023")), P("2022"));
    assert_int_equal(bc_period_last_year(P("1900-06")), 0);
}

static void test_months(void **state)
{
    unsigned f = 99, l = 99;

    (void) state;
    bc_period_months(P("2023-05"), &f, &l);
    assert_int_equal(f, 5);
    assert_int_equal(l, 5);
    bc_period_months(P("2023-Q1"), &f, &l);
    assert_int_equal(f, 1);
    assert_int_equal(l, 3);
    bc_period_months(P("2023-Q3"), &f, &l);
    assert_int_equal(f, 7);
    assert_int_equal(l, 9);
    bc_period_months(P("2023-Q4"), &f, &l);
    assert_int_equal(f, 10);
    assert_int_equal(l, 12);
    bc_period_months(P("2023-H1"), &f, &l);
    assert_int_equal(f, 1);
    assert_int_equal(l, 6);
    bc_period_months(P("2023-H2"), &f, &l);
    assert_int_equal(f, 7);
    assert_int_equal(l, 12);
    bc_period_months(P("2023"), &f, &l);
    assert_int_equal(f, 1);
    assert_int_equal(l, 12);
    bc_period_months(0, &f, &l);
    assert_int_equal(f, 0);
    assert_int_equal(l, 0);
}

static void test_start_end(void **state)
{
    (void) state;
    /* 2023-12-01 00:00 +07 and 2024-01-01 00:00 +07 */
    assert_int_equal(bc_period_start(P("2023-12")), 1701363600);
    assert_int_equal(bc_period_end(P("2023-12")), 1704042000);
    /* Q4 2023 starts 2023-10-01 00:00 +07 and ends where the year does. */
    assert_int_equal(bc_period_start(P("2023-Q4")), 1696093200);
    assert_int_equal(bc_period_end(P("2023-Q4")), 1704042000);
    assert_int_equal(bc_period_start(P("2023-H2")), 1688144400);
    assert_int_equal(bc_period_end(P("2023")), 1704042000);
    /* 2024 is a leap year: February has 29 days. */
    assert_int_equal(bc_period_start(P("2024-02")), 1706720400);
    assert_int_equal(bc_period_end(P("2024-02")), 1709226000);
    assert_int_equal(bc_period_end(P("2023-02")) - bc_period_start(P("2023-02")),
                     28 * 86400);
    assert_int_equal(bc_period_end(P("2000-02")) - bc_period_start(P("2000-02")),
                     29 * 86400);
    assert_int_equal(bc_period_end(P("1900-02")) - bc_period_start(P("1900-02")),
                     28 * 86400);
    /* Local midnight, 17:00 UTC the day before. */
    assert_int_equal((bc_period_start(P("1969-01")) + 7 * 3600) % 86400, 0);

    /* Months tile time with no gap or overlap across a century. */
    for (unsigned y = 1950; y < 2050; y++) {
        for (unsigned m = 1; m <= 12; m++) {
            bc_period_t p = bc_period_make(y, BC_PT_MONTH, m);
            bc_period_t next = m == 12 ? bc_period_make(y + 1, BC_PT_MONTH, 1)
                                       : bc_period_make(y, BC_PT_MONTH, m + 1);
            int64_t len = bc_period_end(p) - bc_period_start(p);
            assert_int_equal(bc_period_end(p), bc_period_start(next));
            assert_true(len >= 28 * 86400 && len <= 31 * 86400);
        }
    }
    assert_int_equal(bc_period_start(0), 0);
}

static void test_deadline(void **state)
{
    (void) state;
    /* 2023-12 ends at 2024-01-01 00:00 +07, a Monday; five working days are
     * Mon 1 .. Fri 5, so the deadline is 2024-01-06 00:00 +07 =
     * 2024-01-05T17:00:00Z. */
    assert_int_equal(bc_period_deadline(P("2023-12"), 5), 1704474000);
    assert_int_equal(bc_period_deadline(P("2023-12"), 0),
                     bc_period_end(P("2023-12")));
    /* 15 working days: three full weeks, to the end of Fri 2024-01-19. */
    assert_int_equal(bc_period_deadline(P("2023-12"), 15), 1705683600);
    /* 2023-11 ends on Friday 2023-12-01: Fri 1, Mon 4 .. Thu 7, deadline
     * 2023-12-08 00:00 +07; the weekend in between does not count. */
    assert_int_equal(bc_period_deadline(P("2023-11"), 5), 1701968400);
    /* One working day after a period ending on Friday: that Friday. */
    assert_int_equal(bc_period_deadline(P("2023-11"), 1),
                     bc_period_end(P("2023-11")) + 86400);
    /* 2023-09 ends on Sunday 2023-10-01: Mon 2 is the first working day. */
    assert_int_equal(bc_period_deadline(P("2023-09"), 1),
                     bc_period_end(P("2023-09")) + 2 * 86400);
    /* The quarter and the year ending with December share its deadline. */
    assert_int_equal(bc_period_deadline(P("2023-Q4"), 5), 1704474000);
    assert_int_equal(bc_period_deadline(P("2023"), 5), 1704474000);
    assert_int_equal(bc_period_deadline(0, 5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format_round_trip),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_make_ranges),
        cmocka_unit_test(test_prev_and_last_year),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_start_end),
        cmocka_unit_test(test_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
