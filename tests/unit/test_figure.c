/*
 * test_figure.c -- a Figure as an operator reads it (bc_figure.h), the
 * one reading that `baocao query` and baocao-web share: counts as the hub
 * sent them, rates from their parts, a target of 0 kept as a target
 * whose % of plan is not defined, a rate's target in its own units.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_figure.h"

static Baocao__Num num(int64_t v)
{
    Baocao__Num n = BAOCAO__NUM__INIT;
    n.present = true;
    n.value = v;
    return n;
}

static void test_count(void **state)
{
    (void) state;
    Baocao__Figure f = BAOCAO__FIGURE__INIT;
    Baocao__Num v = num(7492), cum = num(12899), prev = num(5407),
                target = num(15000);
    Baocao__Num absent = BAOCAO__NUM__INIT;   /* not present */
    f.kind = BAOCAO__INDICATOR_KIND__KIND_FLOW;
    f.value = &v;
    f.cumulative = &cum;
    f.previous = &prev;
    f.last_year = &absent;
    f.target = &target;
    bc_shown_t s = bc_figure_shown(&f);
    assert_false(s.is_rate);
    assert_true(s.has_value && s.has_cum && s.has_prev && s.has_target);
    assert_false(s.has_ly);
    assert_false(s.has_cum_ly);   /* NULL: not sent */
    assert_true(s.value == 7492 && s.cum == 12899 && s.prev == 5407);
    double pct;
    assert_true(bc_figure_of_plan(&s, &pct));
    assert_true(pct == 86.0);     /* 85.99 %, one decimal */

    /* A target of 0 (zero measles deaths) is shown; its % is not. */
    Baocao__Num zero = num(0);
    f.target = &zero;
    s = bc_figure_shown(&f);
    assert_true(s.has_target);
    assert_true(s.target == 0);
    assert_false(bc_figure_of_plan(&s, &pct));
    assert_true(pct == 0);

    /* No plan at all, or no year to date. */
    f.target = NULL;
    s = bc_figure_shown(&f);
    assert_false(s.has_target);
    assert_false(bc_figure_of_plan(&s, &pct));
    f.target = &target;
    f.cumulative = &absent;
    s = bc_figure_shown(&f);
    assert_false(bc_figure_of_plan(&s, &pct));
}

static void test_rate(void **state)
{
    (void) state;
    Baocao__Figure f = BAOCAO__FIGURE__INIT;
    Baocao__Num n = num(637), d = num(7492), cn = num(1100), cd = num(12899),
                target = num(10), prev = num(5);
    f.kind = BAOCAO__INDICATOR_KIND__KIND_RATIO;
    f.scale = 100;
    f.numerator = &n;
    f.denominator = &d;
    f.cumulative_numerator = &cn;
    f.cumulative_denominator = &cd;
    f.previous = &prev;           /* a rate has no comparison here */
    f.target = &target;
    bc_shown_t s = bc_figure_shown(&f);
    assert_true(s.is_rate);
    assert_true(s.has_value && s.has_cum);
    assert_float_equal(s.value, 637.0 / 7492 * 100, 1e-9);
    assert_float_equal(s.cum, 1100.0 / 12899 * 100, 1e-9);
    assert_false(s.has_prev);
    /* Its target in its own units: 8.53 % of a 10 % plan is 85.3 %. */
    assert_true(s.has_target);
    double pct;
    assert_true(bc_figure_of_plan(&s, &pct));
    assert_float_equal(pct, 85.3, 1e-9);

    /* A denominator of 0, or a part missing: no rate. */
    Baocao__Num zero = num(0);
    f.denominator = &zero;
    f.cumulative_numerator = NULL;
    s = bc_figure_shown(&f);
    assert_false(s.has_value);
    assert_false(s.has_cum);
    assert_false(bc_figure_of_plan(&s, &pct));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
