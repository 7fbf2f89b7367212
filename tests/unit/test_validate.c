/*
 * test_validate.c -- who may submit for which unit (hub_may_submit), with
 * the `relay` column of a national hub's registry: a provincial hub's key
 * covers its province's subtree and nothing else. And the figures a report
 * with breakdowns validates to: in sid order with their derived totals,
 * whatever order the report lists them in (issue 17; hub_validate sorts
 * and merges them itself since it stopped calling qsort).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_limits.h"
#include "bc_registry.h"
#include "bc_test.h"
#include "hub_validate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* A report of a, b (broken down by sex x age: 6 combinations) and c, in
 * the order perm gives its 8 values; b's total is stated when `stated`. */
static Baocao__RejectReason validate_perm(const bc_registry_t *reg,
                                          const size_t perm[8], bool stated,
                                          hub_item_t *it)
{
    static const char *sex[] = {"nam", "nu"}, *age[] = {"0-4", "5-14", "15+"};
    Baocao__Value vals[9];
    Baocao__Value *ptrs[9];
    Baocao__Option opts[6][2];
    Baocao__Option *optp[6][2];
    for (size_t k = 0; k < 9; k++) {
        baocao__value__init(&vals[k]);
        vals[k].v_case = BAOCAO__VALUE__V_COUNT;
    }
    vals[0].indicator = "a";
    vals[0].count = 5;
    vals[1].indicator = "c";
    vals[1].count = 7;
    for (size_t k = 0; k < 6; k++) {
        /* b's combinations: 1, 2, .. 6 (sum 21). */
        vals[2 + k].indicator = "b";
        vals[2 + k].count = (int64_t) k + 1;
        baocao__option__init(&opts[k][0]);
        baocao__option__init(&opts[k][1]);
        /* Options in either order: age first for odd k. */
        opts[k][k % 2].category = "sex";
        opts[k][k % 2].option = (char *) sex[k / 3];
        opts[k][1 - k % 2].category = "age";
        opts[k][1 - k % 2].option = (char *) age[k % 3];
        optp[k][0] = &opts[k][0];
        optp[k][1] = &opts[k][1];
        vals[2 + k].n_options = 2;
        vals[2 + k].options = optp[k];
    }
    vals[8].indicator = "b";
    vals[8].count = 21;
    size_t n = 0;
    for (size_t k = 0; k < 8; k++)
        ptrs[n++] = &vals[perm[k]];
    if (stated)
        ptrs[n++] = &vals[8];
    uint8_t id[16] = {1};
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = "U";
    sub.period = "2024-03";
    sub.revision = 1;
    sub.filed_at = 1712000000;   /* 2024-04-01 */
    sub.n_values = n;
    sub.values = ptrs;
    hub_limits_t lim = {BC_MAX_VALUES_DEFAULT, (int64_t) time(NULL), NULL};
    memset(it, 0, sizeof *it);
    return hub_validate(reg, &sub, "", &lim, it);
}

static void test_breakdown_order(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("validate");
    char units[600], cat[600], cats[600], err[512] = "";
    snprintf(units, sizeof units, "%s", bc_path(dir, "units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_path(dir, "cat.csv"));
    snprintf(cats, sizeof cats, "%s", bc_path(dir, "cats.csv"));
    bc_write_file(units, "code,parent_code,level,name\nP,,province,P\n"
                         "U,P,commune,U\n");
    bc_write_file(cat, "code,name,kind,numerator,denominator,scale,"
                       "categories\na,A,flow,,,,\nb,B,flow,,,,sex;age\n"
                       "c,C,flow,,,,\n");
    bc_write_file(cats, "category,option,name\nsex,nam,Nam\nsex,nu,Nữ\n"
                        "age,0-4,0-4\nage,5-14,5-14\nage,15+,15+\n");
    bc_registry_t *reg = bc_registry_load_full(units, cat, cats, err,
                                               sizeof err);
    if (!reg)
        fail_msg("%s", err);
    /* Store ids as an old store may have them: neither the catalogue's
     * order nor the combinations after the totals (b's combinations
     * scattered around a and c). */
    const uint32_t sids[] = {40, 3, 50, 7, 45, 1, 60, 20, 2};
    assert_int_equal(bc_registry_nindicators(reg), 9);
    for (uint32_t i = 0; i < 9; i++)
        bc_registry_indicator(reg, i)->sid = sids[i];
    const bc_indicator_t *b = bc_registry_find_indicator(reg, "b");
    const size_t orders[][8] = {{0, 1, 2, 3, 4, 5, 6, 7},
                                {7, 6, 5, 4, 3, 2, 1, 0},
                                {2, 0, 5, 3, 1, 7, 4, 6},
                                {3, 4, 5, 6, 7, 2, 1, 0}};
    for (size_t o = 0; o < 4; o++)
        for (int stated = 0; stated < 2; stated++) {
            hub_item_t it;
            Baocao__RejectReason why =
                validate_perm(reg, orders[o], stated, &it);
            if (why != BAOCAO__REJECT_REASON__REASON_NONE)
                fail_msg("order %zu: %s", o, it.message);
            /* a, b's total (stated or derived: 21), c, 6 combinations. */
            assert_int_equal(it.nvals, 9);
            for (size_t k = 1; k < it.nvals; k++)
                assert_true(it.vals[k - 1].sid < it.vals[k].sid);
            for (size_t k = 0; k < it.nvals; k++) {
                const bc_indicator_t *x = NULL;
                for (uint32_t i = 0; i < 9; i++)
                    if (bc_registry_indicator(reg, i)->sid == it.vals[k].sid)
                        x = bc_registry_indicator(reg, i);
                assert_non_null(x);
                int64_t want = !strcmp(x->code, "a") ? 5
                               : !strcmp(x->code, "c") ? 7
                               : x == b ? 21
                               /* combination k of b: k + 1 (sex slowest) */
                               : (int64_t) (x->idx - b->first_combo) + 1;
                assert_int_equal(it.vals[k].value, want);
            }
            free(it.vals);
        }
    /* A combination twice is still refused, in any order. */
    const size_t twice[8] = {2, 0, 3, 2, 4, 5, 6, 7};
    hub_item_t it;
    assert_int_equal(validate_perm(reg, twice, false, &it),
                     BAOCAO__REJECT_REASON__REASON_DUPLICATE_VALUE);
    bc_registry_destroy(&reg);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_subtree),
        cmocka_unit_test(test_breakdown_order),
    };
    return cmocka_run_group_tests_name("unit.validate", tests, NULL, NULL);
}
