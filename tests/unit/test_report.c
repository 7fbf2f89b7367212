/*
 * test_report.c -- report files: integers and decimals told apart, bad
 * values, duplicates and bad headers refused with their line; a
 * combination's code split back into its pieces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse(const char *text, bc_report_t **out, char *err,
                 size_t errlen)
{
    return bc_report_parse(text, strlen(text), "r.csv", out, err, errlen);
}

/* Expects a parse failure whose message contains needle. */
static void expect_reject(const char *text, const char *needle)
{
    char err[256] = "";
    bc_report_t *r = (bc_report_t *) 1;
    int rc = parse(text, &r, err, sizeof err);

    if (rc != BC_EPARSE)
        fail_msg("'%s' gave %d, expected BC_EPARSE", text, rc);
    assert_null(r);
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_values(void **state)
{
    char err[256] = "";
    bc_report_t *r = NULL;
    const char *text =
        "indicator,value\n"
        "sdd_u5,776\n"
        "sdd_u2,-3\n"
        "sdd_malnourished,+187\n"
        "sdd_underweight_rate,12.5\n"
        "x_whole,12.0\n"
        "x_exp,1e3\n"
        "x_lead,.5\n"
        "x_max,9223372036854775807\n"
        "x_min,-9223372036854775808\n"
        "x_zero, 0 \n";

    (void) state;
    assert_int_equal(parse(text, &r, err, sizeof err), BC_OK);
    assert_non_null(r);
    assert_int_equal(r->nvalues, 10);
    assert_string_equal(r->values[0].indicator, "sdd_u5");
    assert_true(r->values[0].is_integer);
    assert_int_equal(r->values[0].count, 776);
    assert_true(r->values[1].is_integer);
    assert_int_equal(r->values[1].count, -3);
    assert_int_equal(r->values[2].count, 187);
    assert_false(r->values[3].is_integer);
    assert_true(r->values[3].decimal == 12.5);
    /* "12.0" is a decimal: written with a point, left to the hub. */
    assert_false(r->values[4].is_integer);
    assert_true(r->values[4].decimal == 12.0);
    assert_false(r->values[5].is_integer);
    assert_true(r->values[5].decimal == 1000.0);
    assert_true(r->values[6].decimal == 0.5);
    assert_true(r->values[7].count == INT64_MAX);
    assert_true(r->values[8].count == INT64_MIN);
    assert_true(r->values[9].is_integer);
    assert_int_equal(r->values[9].count, 0);
    bc_report_destroy(&r);
    assert_null(r);
    bc_report_destroy(&r);
}

static void test_rejects(void **state)
{
    (void) state;
    expect_reject("indicator,value\nsdd_u5,776\nsdd_u2,abc\n",
                  "r.csv:3: value 'abc' of sdd_u2 is not a number");
    expect_reject("indicator,value\nsdd_u5,\"1,178\"\n", "r.csv:2:");
    expect_reject("indicator,value\nsdd_u5,\n", "r.csv:2: value '' of sdd_u5 "
                  "is empty");
    expect_reject("indicator,value\na,nan\n", "r.csv:2:");
    expect_reject("indicator,value\na,inf\n", "r.csv:2:");
    expect_reject("indicator,value\na,0x10\n", "r.csv:2:");
    expect_reject("indicator,value\na,1e\n", "r.csv:2:");
    expect_reject("indicator,value\na,.\n", "r.csv:2:");
    expect_reject("indicator,value\na,--1\n", "r.csv:2:");
    expect_reject("indicator,value\na,12 5\n", "r.csv:2:");
    expect_reject("indicator,value\na,9223372036854775808\n",
                  "r.csv:2: value '9223372036854775808' of a is out of range");
    expect_reject("indicator,value\na,1e999\n", "out of range");
    expect_reject("indicator,value\n,5\n", "r.csv:2: no indicator code");
    /* Duplicates: the second occurrence is named, with the first. */
    expect_reject("indicator,value\nbirths,1\nsxh_cases,2\nbirths,3\n",
                  "r.csv:4: indicator births is listed twice (first on "
                  "line 2)");
    /* Header problems. */
    expect_reject("indicator,count\nbirths,1\n", "r.csv:1:");
    expect_reject("indicator,count\nbirths,1\n", "value");
    expect_reject("code,value\nbirths,1\n", "indicator");
    /* ... showing the header read, with a guess at the cause. */
    expect_reject("code,value\nbirths,1\n", "header read: \"code,value\"");
    expect_reject("indicator;value\nbirths;1\n", "separator looks like ';'");
    expect_reject("indicator\tvalue\nbirths\t1\n",
                  "separator looks like a tab");
    expect_reject("", "empty file");
    expect_reject("\n\n", "empty file");
    expect_reject("indicator,value\n", "empty file");
    /* CSV errors come through with their line. */
    expect_reject("indicator,value\nbirths,\"1\n", "r.csv:2: unterminated "
                  "quote");
}

static void test_load(void **state)
{
    char path[] = "/tmp/bc_test_report_XXXXXX";
    char err[256] = "";
    const char *text = "\xEF\xBB\xBFindicator,value\r\nbirths,506\r\n"
                       "sxh_cases,193\r\n";
    bc_report_t *r = NULL;
    int fd = mkstemp(path);

    (void) state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    assert_int_equal(bc_report_load(path, &r, err, sizeof err), BC_OK);
    assert_int_equal(r->nvalues, 2);
    assert_int_equal(r->values[1].count, 193);
    bc_report_destroy(&r);
    unlink(path);

    assert_int_equal(bc_report_load("/nonexistent/r.csv", &r, err, sizeof err),
                     BC_EIO);
    assert_null(r);
    assert_non_null(strstr(err, "/nonexistent/r.csv"));
}

/* Issue 17: the columns between indicator and value are categories; a
 * row's non-empty cells make its combination's code (categories sorted),
 * empty ones its total; the wire carries the indicator and options. */
static void test_breakdowns(void **state)
{
    (void) state;
    char err[256] = "";
    bc_report_t *r = NULL;
    const char *text = "indicator,sex,name,age,value,note\n"
                       "sxh_cases,nu,Sốt xuất huyết,5-14,3,a\n"
                       "sxh_cases,nam,,5-14,2,\n"
                       "sxh_cases,,,,5,\n"
                       "tcm_cases,,,0-4,1,\n"
                       "births,,,,7,\n";
    assert_int_equal(parse(text, &r, err, sizeof err), BC_OK);
    assert_int_equal(r->nvalues, 5);
    assert_string_equal(r->values[0].indicator, "sxh_cases[age=5-14,sex=nu]");
    assert_string_equal(r->values[1].indicator,
                        "sxh_cases[age=5-14,sex=nam]");
    assert_string_equal(r->values[2].indicator, "sxh_cases");
    assert_string_equal(r->values[3].indicator, "tcm_cases[age=0-4]");
    assert_string_equal(r->values[4].indicator, "births");
    Baocao__Value vals[5], *ptrs[5];
    void *wire = bc_report_to_wire(r, vals, ptrs);
    assert_non_null(wire);
    assert_string_equal(vals[0].indicator, "sxh_cases");
    assert_int_equal(vals[0].n_options, 2);
    assert_string_equal(vals[0].options[0]->category, "age");
    assert_string_equal(vals[0].options[0]->option, "5-14");
    assert_string_equal(vals[0].options[1]->category, "sex");
    assert_string_equal(vals[0].options[1]->option, "nu");
    assert_int_equal(vals[0].count, 3);
    assert_string_equal(vals[2].indicator, "sxh_cases");
    assert_int_equal(vals[2].n_options, 0);
    assert_string_equal(vals[3].indicator, "tcm_cases");
    assert_int_equal(vals[3].n_options, 1);
    assert_int_equal(vals[4].n_options, 0);
    bc_report_wire_free(wire);
    /* Back from the wire's pieces, the same code. */
    const char *cats[] = {"sex", "age"}, *opts[] = {"nu", "5-14"};
    char *code = bc_report_combination("sxh_cases", 2, cats, opts);
    assert_string_equal(code, r->values[0].indicator);
    free(code);
    /* A plain report needs no block. */
    bc_report_t *plain = NULL;
    assert_int_equal(parse("indicator,value\nbirths,1\n", &plain, err,
                           sizeof err), BC_OK);
    assert_null(bc_report_to_wire(plain, vals, ptrs));
    /* A correction that gives the breakdown replaces all of it, its total
     * included; one that leaves an indicator out keeps it. */
    bc_report_t *next = NULL;
    assert_int_equal(parse("indicator,sex,age,value\n"
                           "sxh_cases,nu,0-4,9\n", &next, err, sizeof err),
                     BC_OK);
    bc_report_t *m = bc_report_merge(r, next);
    assert_int_equal(m->nvalues, 3);
    assert_string_equal(m->values[0].indicator, "sxh_cases[age=0-4,sex=nu]");
    assert_string_equal(m->values[1].indicator, "tcm_cases[age=0-4]");
    assert_string_equal(m->values[2].indicator, "births");
    assert_false(bc_report_same(m, r));
    assert_true(bc_report_same(r, r));
    bc_report_destroy(&m);
    bc_report_destroy(&next);
    bc_report_destroy(&plain);
    bc_report_destroy(&r);

    /* The same combination twice, in either column order. */
    expect_reject("indicator,sex,age,value\nsxh_cases,nu,0-4,1\n"
                  "sxh_cases,nu,0-4,2\n",
                  "r.csv:3: combination sxh_cases[age=0-4,sex=nu] is listed "
                  "twice (first on line 2)");
    expect_reject("indicator,sex,age,value\nsxh_cases,,,1\nsxh_cases,,,2\n",
                  "r.csv:3: indicator sxh_cases is listed twice");
    expect_reject("indicator,a,b,c,d,e,value\nx,1,2,3,4,5,1\n",
                  "r.csv:1: the columns between indicator and value are "
                  "categories (sex, age): at most 4");
    expect_reject("indicator,se=x,value\nx,1,1\n", "not 'se=x'");
    expect_reject("indicator,sex,value\nx,n]u,1\n",
                  "r.csv:2: sex 'n]u' of x: an option has no [ ] , =");
    expect_reject("indicator,value\nx[sex=nu],1\n",
                  "r.csv:2: indicator code 'x[sex=nu]' has a '['");
}

/* Expects code to split into `want`: the indicator, then |cat=opt for
 * each pair in order. */
static void expect_split(const char *code, const char *want)
{
    bc_report_combo_t c;
    char got[BC_REPORT_COMBO_MAX + 8];
    assert_int_equal(bc_report_split_combination(code, &c), BC_OK);
    size_t w = (size_t) snprintf(got, sizeof got, "%s", c.indicator);
    for (size_t k = 0; k < c.n; k++)
        w += (size_t) snprintf(got + w, sizeof got - w, "|%s=%s", c.cats[k],
                               c.opts[k]);
    assert_string_equal(got, want);
}

/* Expects bc_report_split_combination to refuse code with rc. */
static void expect_split_fails(const char *code, int rc)
{
    bc_report_combo_t c;
    int got = bc_report_split_combination(code, &c);
    if (got != rc)
        fail_msg("'%s' gave %d, expected %d", code ? code : "(null)", got,
                 rc);
}

static void test_split_combination(void **state)
{
    (void) state;

    /* Valid: the pieces in the order written, the inverse of
     * bc_report_combination (which sorts the categories). */
    expect_split("sxh_cases[sex=nu]", "sxh_cases|sex=nu");
    expect_split("x[sex=nu,age=50+,a-b=c.d,z_1=5-14]",
                 "x|sex=nu|age=50+|a-b=c.d|z_1=5-14");
    const char *cats[] = {"sex", "age"}, *opts[] = {"nu", "0-4"};
    char *code = bc_report_combination("sdd_u5", 2, cats, opts);
    expect_split(code, "sdd_u5|age=0-4|sex=nu");
    free(code);

    /* Empty. */
    expect_split_fails(NULL, BC_EPARSE);
    expect_split_fails("", BC_EPARSE);
    expect_split_fails("[]", BC_EPARSE);
    expect_split_fails("x[]", BC_EPARSE);

    /* Malformed. */
    expect_split_fails("sxh_cases", BC_EPARSE);          /* no breakdown */
    expect_split_fails("x[sex=nu", BC_EPARSE);           /* not closed */
    expect_split_fails("x[sex=nu]y", BC_EPARSE);         /* after the ] */
    expect_split_fails("[sex=nu]", BC_EPARSE);           /* no indicator */
    expect_split_fails("x[sex]", BC_EPARSE);             /* no = */
    expect_split_fails("x[=nu]", BC_EPARSE);             /* no category */
    expect_split_fails("x[sex=]", BC_EPARSE);            /* no option */
    expect_split_fails("x[sex=nu,]", BC_EPARSE);         /* empty pair */
    expect_split_fails("x[,sex=nu]", BC_EPARSE);
    expect_split_fails("x[sex=nu,,age=0-4]", BC_EPARSE);
    expect_split_fails("x[sex=n=u]", BC_EPARSE);         /* a second = */
    expect_split_fails("x[sex=n]u]", BC_EPARSE);         /* a ] inside */
    expect_split_fails("x[[sex=nu]", BC_EPARSE);         /* a [ inside */
    expect_split_fails("x[sex=n\tu]", BC_EPARSE);        /* a control byte */

    /* Too long: more pairs than a report holds, more bytes than a code. */
    expect_split_fails("x[a=1,b=2,c=3,d=4,e=5]", BC_ERANGE);
    char longc[BC_REPORT_COMBO_MAX + 16];
    memset(longc, 'o', sizeof longc);
    memcpy(longc, "x[sex=", 6);
    longc[sizeof longc - 2] = ']';
    longc[sizeof longc - 1] = '\0';
    expect_split_fails(longc, BC_ERANGE);
    /* At the limit itself it splits. */
    longc[BC_REPORT_COMBO_MAX - 1] = ']';
    longc[BC_REPORT_COMBO_MAX] = '\0';
    bc_report_combo_t c;
    assert_int_equal(bc_report_split_combination(longc, &c), BC_OK);
    assert_int_equal(strlen(c.opts[0]), BC_REPORT_COMBO_MAX - 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_breakdowns),
        cmocka_unit_test(test_split_combination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
