/*
 * test_federate.c -- the national registry composed of its own file and
 * the provinces' subtrees (hub/hub_federate.h), and the checks a
 * forwarded registry version passes or fails, on a real store in a
 * temporary folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_mem.h"
#include "bc_test.h"
#include "hub_federate.h"
#include "hub_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NATIONAL "code,parent_code,level,name,reports,on_behalf,relay,key\n" \
                 "VN,,country,Việt Nam,no,,,\n"                           \
                 "P0,VN,province,Tỉnh 0,no,,yes,\n"                        \
                 "P0-D0,P0,district,\"Huyện 0, cũ\",,,,\n"                 \
                 "P0-D0-C0,P0-D0,commune,Xã 0,,,,\n"                       \
                 "P1,VN,province,Tỉnh 1,no,,yes,\n"                        \
                 "P1-D0,P1,district,Huyện 0,,,,\n"                         \
                 "P1-D0-C0,P1-D0,commune,Xã 0,,,,\n"

/* P0 as its own hub sees it: a second commune, one with history. */
#define P0_UNITS "code,parent_code,level,name,valid_from,valid_to,replaced_by\n" \
                 "P0,,province,Tỉnh 0,,,\n"                                   \
                 "P0-D0,P0,district,\"Huyện 0, cũ\",,,\n"                     \
                 "P0-D0-C0,P0-D0,commune,Xã 0,,2024-06,P0-D0-C1\n"            \
                 "P0-D0-C1,P0-D0,commune,Xã 1,2024-07,,\n"

typedef struct {
    char *dir;
    char units[600], catalog[600], store[600];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir("federate");
    snprintf(f->units, sizeof f->units, "%s", bc_path(f->dir, "units.csv"));
    snprintf(f->catalog, sizeof f->catalog, "%s",
             bc_source("data/indicators.csv"));
    snprintf(f->store, sizeof f->store, "%s", bc_path(f->dir, "store"));
    bc_write_file(f->units, NATIONAL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void test_compose(void **state)
{
    fixture_t *f = *state;
    char err[512], *text = NULL;
    size_t len = 0;
    hub_subtrees_t none = {NULL, 0};
    /* No subtree: the file, byte for byte. */
    bc_registry_t *reg = hub_federate_load(f->units, f->catalog, NULL, &none,
                                           &text,
                                           &len, err, sizeof err);
    assert_non_null(reg);
    assert_int_equal(len, strlen(NATIONAL));
    assert_memory_equal(text, NATIONAL, len);
    bc_registry_destroy(&reg);
    free(text);

    hub_subtree_t t = {"P0", 7, P0_UNITS, strlen(P0_UNITS)};
    hub_subtrees_t st = {&t, 1};
    reg = hub_federate_load(f->units, f->catalog, NULL, &st, &text, &len, err,
                            sizeof err);
    if (!reg)
        fail_msg("%s", err);
    /* P0's rows replace the national file's under P0; P0's own row, and
     * P1's subtree, stay the national file's. */
    assert_int_equal(bc_registry_nunits(reg), 8);
    const bc_unit_t *p0 = bc_registry_find_unit(reg, "P0");
    const bc_unit_t *c1 = bc_registry_find_unit(reg, "P0-D0-C1");
    const bc_unit_t *c0 = bc_registry_find_unit(reg, "P0-D0-C0");
    assert_non_null(c1);
    assert_true(p0->relay);
    assert_true(bc_registry_is_within(reg, c1, p0));
    assert_int_equal(c0->nspans, 1);
    assert_int_not_equal(c0->spans[0].to, BC_MONTH_OPEN_TO);
    assert_non_null(bc_registry_find_unit(reg, "P1-D0-C0"));
    assert_string_equal(bc_registry_find_unit(reg, "P0-D0")->name,
                        "Huyện 0, cũ");
    bc_registry_destroy(&reg);
    free(text);
}

/* A row of the national file under another province stays where it is:
 * composing never moves a unit between provinces. (Under a province that
 * forwarded its own subtree, that subtree decides.) */
static void test_compose_keeps_other_provinces(void **state)
{
    fixture_t *f = *state;
    char err[512], *text = NULL;
    size_t len = 0;
    bc_write_file(f->units, NATIONAL "P0-D0-C9,P1-D0,commune,Stale,,,,\n");
    hub_subtree_t t = {"P0", 7, P0_UNITS, strlen(P0_UNITS)};
    hub_subtrees_t st = {&t, 1};
    bc_registry_t *reg = hub_federate_load(f->units, f->catalog, NULL, &st,
                                           &text,
                                           &len, err, sizeof err);
    if (!reg)
        fail_msg("%s", err);
    const bc_unit_t *stale = bc_registry_find_unit(reg, "P0-D0-C9");
    assert_non_null(stale);
    assert_true(bc_registry_is_within(reg, stale,
                                      bc_registry_find_unit(reg, "P1")));
    bc_registry_destroy(&reg);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compose_keeps_other_provinces,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.federate", tests, NULL, NULL);
}
