/*
 * test_node_check.c -- the node's copy of the hub's catalogue and rules
 * (node_copy.h) and the checks a report gets against it before filing
 * (node_check.h): each refusal with its reason and line, a warning that
 * does not refuse, rules only once the figures are fine, the checks that
 * need no copy, and the copy's atomic save, stamp and reload.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_test.h"
#include "node_check.h"
#include "node_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define R(x) BAOCAO__REJECT_REASON__REASON_##x

/* A reply as the hub sends it: four indicators, two rules. */
typedef struct {
    Baocao__CatalogReply reply;
    Baocao__CatalogEntry e[4];
    Baocao__CatalogEntry *p[4];
    uint8_t stamp[32];
} reply_t;

static void make_reply(reply_t *r, const char *rules)
{
    static const char *codes[] = {"u5", "u2", "cases", "rate"};
    baocao__catalog_reply__init(&r->reply);
    for (int i = 0; i < 4; i++) {
        baocao__catalog_entry__init(&r->e[i]);
        r->e[i].code = (char *) codes[i];
        r->e[i].name = (char *) codes[i];
        r->e[i].kind = i == 3 ? BAOCAO__INDICATOR_KIND__KIND_RATIO
                              : BAOCAO__INDICATOR_KIND__KIND_FLOW;
        if (i == 3) {
            r->e[i].numerator = "u2";
            r->e[i].denominator = "u5";
            r->e[i].scale = 100;
        }
        r->p[i] = &r->e[i];
    }
    r->reply.indicators = r->p;
    r->reply.n_indicators = 4;
    r->reply.rules = (char *) rules;
    r->reply.max_values = 3;
    r->reply.max_count = 1000;
    memset(r->stamp, 7, sizeof r->stamp);
    r->reply.stamp.data = r->stamp;
    r->reply.stamp.len = sizeof r->stamp;
}

static const char rules[] =
    "code,left,operator,right,importance,message\n"
    "u2_le_u5,u2,<=,u5,error,Under-2s are under 5\n"
    "few_cases,cases,<=,10,warning,An outbreak?\n";

static bc_report_t *report(const char *csv)
{
    bc_report_t *r = NULL;
    char err[256];
    if (bc_report_parse(csv, strlen(csv), "r.csv", &r, err, sizeof err))
        fail_msg("%s", err);
    return r;
}

static node_copy_t *copy_of(const char *text)
{
    reply_t r;
    make_reply(&r, text);
    char err[512];
    node_copy_t *c = node_copy_from_reply(&r.reply, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
}

static void test_figures(void **state)
{
    (void) state;
    node_copy_t *c = copy_of(rules);
    bc_report_t *r = report("indicator,value\nu5,3\nnope,1\nrate,5\n");
    node_check_t chk;
    node_check_report(c, r, "r.csv", &chk);
    assert_int_equal(chk.errors, 2);
    assert_true(chk.checked);
    assert_int_equal(chk.items[0].reason, R(UNKNOWN_INDICATOR));
    assert_int_equal(chk.items[0].value, 1);
    assert_non_null(strstr(chk.items[0].text, "r.csv:3: unknown indicator"));
    assert_int_equal(chk.items[1].reason, R(NOT_REPORTABLE));
    assert_non_null(strstr(chk.items[1].text, "r.csv:4: rate is a rate"));
    node_check_free(&chk);
    bc_report_destroy(&r);

    r = report("indicator,value\nu5,-1\nu2,1.5\ncases,1001\n");
    node_check_report(c, r, "r.csv", &chk);
    assert_int_equal(chk.errors, 3);
    assert_int_equal(chk.items[0].reason, R(NEGATIVE));
    assert_int_equal(chk.items[1].reason, R(NOT_INTEGER));
    assert_int_equal(chk.items[2].reason, R(COUNT_TOO_LARGE));
    assert_non_null(strstr(chk.items[2].text, "(1000)"));  /* the hub's */
    node_check_free(&chk);
    bc_report_destroy(&r);

    /* The hub's --max-values, from the copy. */
    r = report("indicator,value\nu5,1\nu2,1\ncases,1\nrate,1\n");
    node_check_report(c, r, NULL, &chk);
    assert_int_equal(chk.errors, 1);
    assert_int_equal(chk.items[0].reason, R(TOO_MANY_VALUES));
    node_check_free(&chk);
    bc_report_destroy(&r);
    node_copy_destroy(&c);
}

static void test_rules(void **state)
{
    (void) state;
    node_copy_t *c = copy_of(rules);
    bc_report_t *r = report("indicator,value\nu5,100\nu2,500\ncases,50\n");
    node_check_t chk;
    node_check_report(c, r, "r.csv", &chk);
    assert_int_equal(chk.n, 2);
    assert_int_equal(chk.errors, 1);
    assert_true(chk.items[0].error);
    assert_int_equal(chk.items[0].reason, R(VALIDATION));
    assert_int_equal(chk.items[0].rule, 0);
    assert_int_equal(chk.items[0].value, -1);
    assert_string_equal(chk.items[0].text, "rule u2_le_u5: u2 (500) <= u5 "
                                           "(100): Under-2s are under 5");
    assert_false(chk.items[1].error);
    assert_non_null(strstr(chk.items[1].text, "few_cases: cases (50) <= 10"));
    node_check_free(&chk);
    bc_report_destroy(&r);

    /* A figure refused: no rule is evaluated on the rest. */
    r = report("indicator,value\nu5,100\nu2,500\ncases,-1\n");
    node_check_report(c, r, NULL, &chk);
    assert_int_equal(chk.n, 1);
    assert_int_equal(chk.items[0].reason, R(NEGATIVE));
    assert_non_null(strstr(chk.items[0].text, "cases is a count"));
    node_check_free(&chk);
    bc_report_destroy(&r);

    /* A side with no figure: skipped, as on the hub. */
    r = report("indicator,value\nu2,500\n");
    node_check_report(c, r, NULL, &chk);
    assert_int_equal(chk.n, 0);
    node_check_free(&chk);
    bc_report_destroy(&r);
    node_copy_destroy(&c);
}

static void test_no_copy(void **state)
{
    (void) state;
    bc_report_t *r = report("indicator,value\nnope,5\nu2,500\n");
    node_check_t chk;
    node_check_report(NULL, r, "r.csv", &chk);
    assert_false(chk.checked);
    assert_int_equal(chk.n, 0);
    node_check_free(&chk);
    bc_report_destroy(&r);
    r = report("indicator,value\nnope,-5\n");
    node_check_report(NULL, r, "r.csv", &chk);
    assert_int_equal(chk.errors, 1);
    assert_int_equal(chk.items[0].reason, R(NEGATIVE));
    node_check_free(&chk);
    bc_report_destroy(&r);
    /* A hand-made report with a figure twice. */
    bc_report_value_t v[2] = {{"u5", true, 1, 0, 0}, {"u5", true, 2, 0, 0}};
    bc_report_t twice = {v, 2};
    node_check_report(NULL, &twice, NULL, &chk);
    assert_int_equal(chk.errors, 1);
    assert_int_equal(chk.items[0].reason, R(DUPLICATE_VALUE));
    node_check_free(&chk);
}

static void test_copy_file(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("copy");
    int rc;
    char err[512];
    uint8_t stamp[32];
    assert_null(node_copy_load(dir, &rc, err, sizeof err));
    assert_int_equal(rc, BC_ENOTFOUND);
    assert_false(node_copy_stamp(dir, stamp));
    reply_t r;
    make_reply(&r, rules);
    assert_int_equal(node_copy_save(dir, &r.reply, err, sizeof err), BC_OK);
    assert_true(node_copy_stamp(dir, stamp));
    assert_memory_equal(stamp, r.stamp, 32);
    assert_int_not_equal(access(bc_path(dir, "hub-copy.pb.tmp"), F_OK), 0);
    node_copy_t *c = node_copy_load(dir, &rc, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(node_copy_max_values(c), 3);
    assert_int_equal(bc_rules_count(node_copy_rules(c)), 2);
    assert_true(node_copy_confirmed_at(c) > 0);
    node_copy_destroy(&c);
    /* Rules the catalogue cannot carry are not kept: the old copy stays. */
    make_reply(&r, "code,left,operator,right,importance,message\n"
                   "x,nope,<=,u5,error,\n");
    memset(r.stamp, 9, sizeof r.stamp);
    assert_int_equal(node_copy_save(dir, &r.reply, err, sizeof err),
                     BC_EINVAL);
    assert_non_null(strstr(err, "nope"));
    assert_true(node_copy_stamp(dir, stamp));
    assert_int_equal(stamp[0], 7);
    /* An "unchanged" answer is no copy. */
    make_reply(&r, rules);
    r.reply.unchanged = true;
    assert_int_equal(node_copy_save(dir, &r.reply, err, sizeof err),
                     BC_EINVAL);
    assert_int_equal(node_copy_touch(dir), BC_OK);
    bc_rmtree(dir);
    free(dir);
}

/* Issue 17: "cases" broken down by sex (nam, nu), as the hub sends it,
 * with a rule on its total. The hub's checks of a breakdown, at filing:
 * all combinations or none, a stated total equal to their sum (the
 * difference named), rules on the total derived from the parts. */
static void test_breakdowns(void **state)
{
    (void) state;
    reply_t r;
    make_reply(&r, "code,left,operator,right,importance,message\n"
                   "few,cases,<=,10,error,An outbreak?\n");
    char *cats[] = {"sex"}, *opts[] = {"nam", "nu"}, *names[] = {"Nam",
                                                                 "Nữ"};
    Baocao__Category sex = BAOCAO__CATEGORY__INIT, *sp = &sex;
    sex.code = "sex";
    sex.options = opts;
    sex.n_options = 2;
    sex.names = names;
    sex.n_names = 2;
    r.reply.categories = &sp;
    r.reply.n_categories = 1;
    r.e[2].categories = cats;
    r.e[2].n_categories = 1;
    r.reply.max_values = 10;
    char err[512];
    node_copy_t *c = node_copy_from_reply(&r.reply, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    node_check_t chk;

    /* Both parts and their total: fine. */
    bc_report_t *rep = report("indicator,sex,value\ncases,nam,3\n"
                              "cases,nu,4\ncases,,7\n");
    node_check_report(c, rep, "r.csv", &chk);
    assert_int_equal(chk.n, 0);
    node_check_free(&chk);
    bc_report_destroy(&rep);

    /* A total that is not their sum: refused at the total's line. */
    rep = report("indicator,sex,value\ncases,nam,3\ncases,nu,4\n"
                 "cases,,9\n");
    node_check_report(c, rep, "r.csv", &chk);
    assert_int_equal(chk.errors, 1);
    assert_int_equal(chk.items[0].reason, R(VALIDATION));
    assert_int_equal(chk.items[0].value, 2);
    assert_string_equal(chk.items[0].text, "r.csv:4: cases: the "
                        "combinations sum to 7, the total given is 9 "
                        "(difference 2)");
    node_check_free(&chk);
    bc_report_destroy(&rep);

    /* One part only: incomplete, the missing one named. */
    rep = report("indicator,sex,value\ncases,nu,4\n");
    node_check_report(c, rep, "r.csv", &chk);
    assert_int_equal(chk.errors, 1);
    assert_int_equal(chk.items[0].reason, R(INCOMPLETE_COMBINATION));
    assert_int_equal(chk.items[0].value, 0);
    assert_non_null(strstr(chk.items[0].text, "r.csv:2: cases is broken "
                           "down into 2 combinations and the report gives "
                           "1"));
    assert_non_null(strstr(chk.items[0].text, "missing cases[sex=nam]"));
    node_check_free(&chk);
    bc_report_destroy(&rep);

    /* No total given: the rule reads the parts' sum (11 > 10). */
    rep = report("indicator,sex,value\ncases,nam,5\ncases,nu,6\n");
    node_check_report(c, rep, "r.csv", &chk);
    assert_int_equal(chk.errors, 1);
    assert_int_equal(chk.items[0].reason, R(VALIDATION));
    assert_int_equal(chk.items[0].rule, 0);
    assert_non_null(strstr(chk.items[0].text, "cases (11) <= 10"));
    node_check_free(&chk);
    bc_report_destroy(&rep);

    /* An option the hub does not have. */
    rep = report("indicator,sex,value\ncases,x,5\n");
    node_check_report(c, rep, "r.csv", &chk);
    assert_int_equal(chk.errors, 1);
    assert_int_equal(chk.items[0].reason, R(UNKNOWN_COMBINATION));
    node_check_free(&chk);
    bc_report_destroy(&rep);
    node_copy_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_no_copy),
        cmocka_unit_test(test_copy_file),
        cmocka_unit_test(test_breakdowns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
