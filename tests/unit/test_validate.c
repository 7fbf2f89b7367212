/*
 * test_validate.c -- who may submit for which unit (hub_may_submit), with
 * the `relay` column of a national hub's registry: a provincial hub's key
 * covers its province's subtree and nothing else.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_registry.h"
#include "bc_test.h"
#include "hub_validate.h"

#include <stdlib.h>

static void test_relay_subtree(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("validate");
    char units[600], cat[600], err[512] = "";
    snprintf(units, sizeof units, "%s", bc_path(dir, "units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_path(dir, "cat.csv"));
    bc_write_file(units,
                  "code,parent_code,level,name,reports,on_behalf,relay\n"
                  "VN,,country,Việt Nam,no,,\n"
                  "A,VN,province,A,no,,yes\n"
                  "A-D,A,district,A-D,,yes,\n"
                  "A-D-C,A-D,commune,A-D-C,,,\n"
                  "B,VN,province,B,no,,yes\n"
                  "B-D,B,district,B-D,,,\n"
                  "B-D-C,B-D,commune,B-D-C,,,\n");
    bc_write_file(cat, "code,name,kind,numerator,denominator,scale\n"
                       "births,Births,flow,,,\n");
    bc_registry_t *reg = bc_registry_load(units, cat, err, sizeof err);
    if (!reg)
        fail_msg("%s", err);
    const bc_unit_t *a = bc_registry_find_unit(reg, "A"),
                    *ad = bc_registry_find_unit(reg, "A-D"),
                    *adc = bc_registry_find_unit(reg, "A-D-C"),
                    *b = bc_registry_find_unit(reg, "B"),
                    *bdc = bc_registry_find_unit(reg, "B-D-C"),
                    *vn = bc_registry_find_unit(reg, "VN");
    assert_true(a->relay);
    assert_false(ad->relay);
    /* Province A's hub: every unit of A, at any depth. */
    assert_true(hub_may_submit(reg, "unit:A", a));
    assert_true(hub_may_submit(reg, "unit:A", ad));
    assert_true(hub_may_submit(reg, "unit:A", adc));
    /* ... and nothing of B, nor the country above it. */
    assert_false(hub_may_submit(reg, "unit:A", bdc));
    assert_false(hub_may_submit(reg, "unit:A", b));
    assert_false(hub_may_submit(reg, "unit:A", vn));
    assert_true(hub_may_submit(reg, "unit:B", bdc));
    /* on_behalf still reaches the direct children only. */
    assert_true(hub_may_submit(reg, "unit:A-D", adc));
    assert_false(hub_may_submit(reg, "unit:A-D-C", ad));
    assert_false(hub_may_submit(reg, "operator:alice", adc));
    bc_registry_destroy(&reg);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_subtree),
    };
    return cmocka_run_group_tests_name("unit.validate", tests, NULL, NULL);
}
