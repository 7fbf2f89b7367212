/*
 * test_categories.c -- issue 17: the categories file, the catalogue's
 * `categories` column and the combination slots the registry makes of
 * them; the shipped breakdown catalogue; load errors; a catalogue without
 * breakdowns keeps its digest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char src[1024];

static const char *data(const char *name)
{
    static char buf[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/data/%s", src, name);
    return buf[k];
}

static int setup(void **state)
{
    (void) state;
    const char *s = getenv("BC_SOURCE_DIR");
    if (!s)
        return -1;
    snprintf(src, sizeof src, "%s", s);
    return 0;
}

/* Writes text to a new temporary file; path must hold 32 bytes. */
static void temp_file(char *path, const char *text)
{
    strcpy(path, "/tmp/bc_test_cat_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
}

/* Loads the three texts (categories NULL: none); NULL with err filled. */
static bc_registry_t *load(const char *catalog, const char *cats, char *err,
                           size_t errlen)
{
    char up[32], cp[32], kp[32];
    temp_file(up, "code,parent_code,level,name\nP,,province,P\n"
                  "C,P,commune,C\n");
    temp_file(cp, catalog);
    if (cats)
        temp_file(kp, cats);
    bc_registry_t *reg = bc_registry_load_full(up, cp, cats ? kp : NULL,
                                               err, errlen);
    unlink(up);
    unlink(cp);
    if (cats)
        unlink(kp);
    return reg;
}

#define CATS "category,option,name\nsex,nam,Nam\nsex,nu,Nữ\n" \
             "age,0-4,<5\nage,5-14,5-14\nage,15-49,15-49\nage,50+,50+\n"
#define HDR "code,name,kind,numerator,denominator,scale,categories\n"

static void expect_error(const char *catalog, const char *cats,
                         const char *needle)
{
    char err[512] = "";
    bc_registry_t *reg = load(catalog, cats, err, sizeof err);
    if (reg) {
        bc_registry_destroy(&reg);
        fail_msg("loaded, expected an error with '%s'", needle);
    }
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_combinations(void **state)
{
    (void) state;
    char err[512] = "";
    bc_registry_t *reg = load(HDR "a,A,flow,,,,sex;age\nb,B,stock,,,,\n"
                              "d,D,flow,,,,sex;age\n"
                              "r,R,ratio,a,d,100,sex;age\n"
                              "t,T,ratio,a,d,1,\n", CATS, err, sizeof err);
    if (!reg)
        fail_msg("%s", err);
    assert_int_equal(bc_registry_ncategories(reg), 2);
    assert_int_equal(bc_registry_ncatalogue(reg), 5);
    assert_int_equal(bc_registry_nindicators(reg), 5 + 3 * 8);
    const bc_indicator_t *a = bc_registry_find_indicator(reg, "a");
    assert_int_equal(a->ncats, 2);
    assert_int_equal(a->ncombos, 8);
    assert_int_equal(a->total, -1);
    assert_int_equal(bc_registry_find_indicator(reg, "b")->ncombos, 0);
    /* Mixed radix, the last category fastest; codes name the options. */
    uint32_t opts[2] = {1, 3};
    const bc_indicator_t *x = bc_registry_combo(reg, a, opts);
    assert_string_equal(x->code, "a[sex=nu,age=50+]");
    assert_int_equal(x->idx, a->first_combo + 7);
    assert_int_equal(x->total, (int32_t) a->idx);
    assert_int_equal(x->kind, BC_KIND_FLOW);
    assert_int_equal(x->opts[0], 1);
    assert_int_equal(x->opts[1], 3);
    assert_ptr_equal(bc_registry_find_indicator(reg, "a[sex=nu,age=50+]"),
                     x);
    assert_string_equal(bc_registry_indicator(reg, a->first_combo)->code,
                        "a[sex=nam,age=0-4]");
    /* A ratio by sex;age: combination k over combination k. */
    const bc_indicator_t *r = bc_registry_find_indicator(reg, "r");
    const bc_indicator_t *d = bc_registry_find_indicator(reg, "d");
    const bc_indicator_t *rx = bc_registry_combo(reg, r, opts);
    assert_int_equal(rx->kind, BC_KIND_RATIO);
    assert_int_equal(rx->numerator, (int32_t) x->idx);
    assert_int_equal(rx->denominator,
                     (int32_t) bc_registry_combo(reg, d, opts)->idx);
    assert_true(rx->scale == 100);
    /* A ratio of the totals only is fine too. */
    assert_int_equal(bc_registry_find_indicator(reg, "t")->ncombos, 0);
    const bc_category_t *sex = bc_registry_find_category(reg, "sex");
    assert_non_null(sex);
    assert_int_equal(sex->nopts, 2);
    assert_string_equal(sex->names[1], "Nữ");
    assert_int_equal(bc_registry_find_option(sex, "nu"), 1);
    assert_int_equal(bc_registry_find_option(sex, "x"), -1);
    assert_null(bc_registry_find_category(reg, "nope"));
    /* A combination by its code, its categories in any order; not one of
     * this catalogue's, or not such a code: none. */
    assert_ptr_equal(bc_registry_find_combination(reg, "a[sex=nu,age=50+]"),
                     x);
    assert_ptr_equal(bc_registry_find_combination(reg, "a[age=50+,sex=nu]"),
                     x);
    assert_null(bc_registry_find_combination(reg, "a[sex=nu]"));
    assert_null(bc_registry_find_combination(reg, "a[sex=nu,sex=nam]"));
    assert_null(bc_registry_find_combination(reg,
                                             "a[sex=nu,age=50+,sex=nu]"));
    assert_null(bc_registry_find_combination(reg, "a[sex=x,age=50+]"));
    assert_null(bc_registry_find_combination(reg, "a[hue=nu,age=50+]"));
    assert_null(bc_registry_find_combination(reg, "b[sex=nu,age=50+]"));
    assert_null(bc_registry_find_combination(reg, "q[sex=nu,age=50+]"));
    assert_null(bc_registry_find_combination(reg, "a[sex=nu,age=50+,]"));
    assert_null(bc_registry_find_combination(reg, "a"));
    assert_null(bc_registry_find_combination(reg, NULL));
    bc_registry_destroy(&reg);
}

static void test_errors(void **state)
{
    (void) state;
    expect_error(HDR "a,A,flow,,,,sex\n", NULL,
                 "unknown category 'sex' (no --categories file)");
    expect_error(HDR "a,A,flow,,,,sex;hair\n", CATS,
                 "a is broken down by an unknown category 'hair'");
    expect_error(HDR "a,A,flow,,,,sex;sex\n", CATS, "names category sex "
                 "twice");
    expect_error(HDR "a,A,flow,,,,sex;;age\n", CATS, "bad categories");
    expect_error(HDR "a,A,flow,,,,\n", "category,option\nsex,nam\n",
                 "the header needs the columns category, option and name");
    expect_error(HDR "a,A,flow,,,,\n", CATS "sex,nu,again\n",
                 "option nu of sex appears twice");
    expect_error(HDR "a,A,flow,,,,\n", "category,option,name\nsex,n u,x\n",
                 "bad option code 'n u'");
    expect_error(HDR "a,A,flow,,,,\n", "category,option,name\ns x,n,x\n",
                 "bad category code 's x'");
    expect_error(HDR "a,A,flow,,,,sex\nd,D,flow,,,,age\n"
                 "r,R,ratio,a,d,100,sex\n", CATS,
                 "ratio r is broken down by categories its denominator d");
    expect_error(HDR "a,A,flow,,,,\nd,D,flow,,,,\nr,R,ratio,a,d,100,sex\n",
                 CATS, "its numerator a is not broken down");
    /* Five categories are too many; 2 x 4 x 8 x 5 = 320 combinations too. */
    expect_error(HDR "a,A,flow,,,,sex;age;b;c;e\n",
                 CATS "b,1,1\nb,2,2\nb,3,3\nb,4,4\nc,1,1\nc,2,2\nc,3,3\n"
                      "c,4,4\ne,1,1\n",
                 "at most 4 categories");
    expect_error(HDR "a,A,flow,,,,sex;age;b;c\n",
                 CATS "b,1,1\nb,2,2\nb,3,3\nb,4,4\nb,5,5\nb,6,6\nb,7,7\n"
                      "b,8,8\nc,1,1\nc,2,2\nc,3,3\nc,4,4\nc,5,5\n",
                 "more than 256 combinations");
}

/* A catalogue without breakdowns, with or without the new column and
 * with or without a categories file, has the digest it always had: no
 * store rebuilds its totals on upgrade. */
static void test_digest(void **state)
{
    (void) state;
    char err[512] = "";
    uint8_t d0[32], d1[32], d2[32], d3[32];
    bc_registry_t *reg;
    assert_non_null(reg = load("code,name,kind,numerator,denominator,scale\n"
                               "a,A,flow,,,\n", NULL, err, sizeof err));
    bc_registry_digest(reg, d0);
    bc_registry_destroy(&reg);
    assert_non_null(reg = load(HDR "a,A,flow,,,,\n", NULL, err, sizeof err));
    bc_registry_digest(reg, d1);
    bc_registry_destroy(&reg);
    assert_non_null(reg = load(HDR "a,A,flow,,,,\n", CATS, err, sizeof err));
    bc_registry_digest(reg, d2);
    bc_registry_destroy(&reg);
    assert_memory_equal(d0, d1, 32);
    assert_memory_equal(d0, d2, 32);
    assert_non_null(reg = load(HDR "a,A,flow,,,,sex\n", CATS, err,
                               sizeof err));
    bc_registry_digest(reg, d3);
    bc_registry_destroy(&reg);
    assert_memory_not_equal(d0, d3, 32);
}

/* The shipped breakdown catalogue loads with the shipped categories and
 * is the shipped catalogue plus the column and the vaccination stocks:
 * the two files cannot drift apart unnoticed. */
static void test_shipped(void **state)
{
    (void) state;
    char err[512] = "";
    bc_registry_t *plain = bc_registry_load(data("units.csv"),
                                            data("indicators.csv"), err,
                                            sizeof err);
    assert_non_null(plain);
    bc_registry_t *reg = bc_registry_load_full(data("units.csv"),
                                               data("indicators-breakdowns.csv"),
                                               data("categories.csv"), err,
                                               sizeof err);
    if (!reg)
        fail_msg("%s", err);
    assert_int_equal(bc_registry_ncatalogue(reg),
                     bc_registry_ncatalogue(plain) + 2);
    for (size_t i = 0; i < bc_registry_ncatalogue(plain); i++) {
        const bc_indicator_t *p = bc_registry_indicator(plain, (uint32_t) i);
        const bc_indicator_t *b = bc_registry_find_indicator(reg, p->code);
        assert_non_null(b);
        assert_string_equal(b->name, p->name);
        assert_string_equal(b->programme, p->programme);
        assert_int_equal(b->kind, p->kind);
        assert_true(b->scale == p->scale);
    }
    const bc_indicator_t *sxh = bc_registry_find_indicator(reg, "sxh_cases");
    assert_int_equal(sxh->ncombos, 8);
    const bc_indicator_t *vax = bc_registry_find_indicator(reg,
                                                           "covid_vax_dose1");
    assert_int_equal(vax->kind, BC_KIND_STOCK);
    assert_int_equal(vax->ncombos, 3);
    assert_non_null(bc_registry_find_indicator(reg, "covid_vax_dose1[vax_age=18+]"));
    assert_int_equal(bc_registry_find_indicator(reg, "kcb_alos")->ncombos, 2);
    bc_registry_destroy(&reg);
    bc_registry_destroy(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_combinations),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_shipped),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
