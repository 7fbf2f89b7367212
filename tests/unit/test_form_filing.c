/*
 * test_form_filing.c -- what the station's form does with a posted report
 * (node_form_filing.h), without its HTTP server: on a real outbox and a
 * real copy of the hub's catalogue and rules in a temporary folder. A bad
 * field or a failing error rule is answered next to its field and files
 * nothing; a warning files; without a copy the report is filed unchecked
 * and the answer says so.
 *
 * The same through the page, in a browser, is browser.web and
 * browser.form_grid; over HTTP by hand, integration.form_grid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_test.h"
#include "node_copy.h"
#include "node_form_catalog.h"
#include "node_form_filing.h"
#include "node_outbox.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIT "HP-HB-QT"

/* Catalogue order: u5, u2, cases, rate (a rate: no field). */
enum { U5, U2, CASES, RATE, NIND };

typedef struct {
    char *dir;                     /* the station's outbox, with the copy */
    char *bare;                    /* another outbox, with no copy */
    node_outbox_t *outbox;
    node_outbox_t *bare_outbox;
    node_form_catalog_t catalog;   /* from the copy */
    char *vals[NIND];              /* the POST's fields, by index */
} fixture_t;

static const char rules[] =
    "code,left,operator,right,importance,message\n"
    "u2_le_u5,u2,<=,u5,error,Trẻ dưới 2 tuổi thuộc nhóm dưới 5 tuổi\n"
    "few_cases,cases,<=,10,warning,Có dịch?\n";

static void save_copy(const char *dir)
{
    static const char *codes[NIND] = {"u5", "u2", "cases", "rate"};
    Baocao__CatalogReply reply = BAOCAO__CATALOG_REPLY__INIT;
    Baocao__CatalogEntry e[NIND], *p[NIND];
    uint8_t stamp[32];
    for (int i = 0; i < NIND; i++) {
        baocao__catalog_entry__init(&e[i]);
        e[i].code = (char *) codes[i];
        e[i].name = (char *) codes[i];
        e[i].kind = i == RATE ? BAOCAO__INDICATOR_KIND__KIND_RATIO
                              : BAOCAO__INDICATOR_KIND__KIND_FLOW;
        if (i == RATE) {
            e[i].numerator = "u2";
            e[i].denominator = "u5";
            e[i].scale = 100;
        }
        p[i] = &e[i];
    }
    reply.indicators = p;
    reply.n_indicators = NIND;
    reply.rules = (char *) rules;
    reply.max_values = 100;
    reply.max_count = 1000;
    memset(stamp, 7, sizeof stamp);
    reply.stamp.data = stamp;
    reply.stamp.len = sizeof stamp;
    char err[512];
    assert_int_equal(node_copy_save(dir, &reply, err, sizeof err), BC_OK);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    char err[256];
    f->dir = bc_tmpdir("filing");
    f->bare = bc_tmpdir("filing-bare");
    save_copy(f->dir);
    assert_int_equal(node_form_catalog_load_copy(&f->catalog, f->dir), BC_OK);
    assert_int_equal(f->catalog.ninds, NIND);
    assert_true(f->catalog.inds[RATE].ratio);
    assert_non_null(f->outbox = node_outbox_open(f->dir, err, sizeof err));
    assert_non_null(f->bare_outbox = node_outbox_open(f->bare, err,
                                                      sizeof err));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    node_outbox_close(&f->outbox);
    node_outbox_close(&f->bare_outbox);
    node_form_catalog_free(&f->catalog);
    bc_rmtree(f->dir);
    bc_rmtree(f->bare);
    free(f->dir);
    free(f->bare);
    free(f);
    return 0;
}

/* Posts the fixture's fields for `period`, to the outbox with the copy
 * or to the bare one; returns the status and sets *doc. */
static unsigned post(fixture_t *f, const char *period, bool bare,
                     cJSON **doc)
{
    node_form_post_t p = {period, f->vals, NULL, 0};
    return node_form_file(&f->catalog, bare ? f->bare_outbox : f->outbox,
                          UNIT, bare ? f->bare : f->dir, &p, doc);
}

/* The answer's note for `field` under `part` ("errors", "warnings"), or
 * NULL when there is none. */
static const char *note(const cJSON *doc, const char *part,
                        const char *field)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, part);
    assert_non_null(o);
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, field));
}

static uint64_t filed(node_outbox_t *o)
{
    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    return st.pending + st.in_flight + st.delivered + st.rejected;
}

static void test_bad_fields_file_nothing(void **state)
{
    fixture_t *f = *state;
    f->vals[U5] = "mười";          /* not a number */
    f->vals[U2] = "-3";            /* negative: node_check's */
    f->vals[RATE] = "50";          /* computed by the hub */
    cJSON *doc = NULL;
    assert_int_equal(post(f, "2023-13", false, &doc), 400);
    assert_string_equal(note(doc, "errors", "u5"), "Phải là một số");
    assert_non_null(note(doc, "errors", "u2"));
    assert_non_null(strstr(note(doc, "errors", "rate"), "do hệ thống tính"));
    assert_non_null(strstr(note(doc, "errors", "period"), "YYYY-MM"));
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "id"));
    cJSON_Delete(doc);
    /* A period not begun yet. */
    f->vals[U5] = "4";
    f->vals[U2] = f->vals[RATE] = NULL;
    assert_int_equal(post(f, "2999-01", false, &doc), 400);
    assert_non_null(strstr(note(doc, "errors", "period"), "chưa bắt đầu"));
    cJSON_Delete(doc);
    /* Nothing typed at all. */
    f->vals[U5] = "";
    assert_int_equal(post(f, "2023-12", false, &doc), 400);
    assert_non_null(note(doc, "errors", "form"));
    cJSON_Delete(doc);
    assert_int_equal(filed(f->outbox), 0);
}

/* An error rule is shown next to every field it names, and stops the
 * filing; a warning rule is shown and does not. */
static void test_rules_next_to_their_fields(void **state)
{
    fixture_t *f = *state;
    f->vals[U5] = "3";
    f->vals[U2] = "5";             /* more under-2s than under-5s */
    cJSON *doc = NULL;
    assert_int_equal(post(f, "2023-12", false, &doc), 400);
    assert_non_null(strstr(note(doc, "errors", "u2"), "dưới 5 tuổi"));
    assert_non_null(strstr(note(doc, "errors", "u5"), "dưới 5 tuổi"));
    assert_null(note(doc, "errors", "cases"));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc,
                                                              "checked")));
    cJSON_Delete(doc);
    assert_int_equal(filed(f->outbox), 0);

    f->vals[U2] = "2";
    f->vals[CASES] = "40";         /* the warning's */
    assert_int_equal(post(f, "2023-12", false, &doc), 200);
    assert_non_null(strstr(note(doc, "warnings", "cases"), "Có dịch?"));
    assert_int_equal(cJSON_GetArraySize(
                         cJSON_GetObjectItemCaseSensitive(doc, "errors")), 0);
    assert_int_equal(strlen(cJSON_GetStringValue(
                         cJSON_GetObjectItemCaseSensitive(doc, "id"))), 32);
    assert_string_equal(cJSON_GetStringValue(
                            cJSON_GetObjectItemCaseSensitive(doc, "period")),
                        "2023-12");
    assert_int_equal(cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(doc, "figures")), 3);
    assert_int_equal(cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(doc, "revision")), 1);
    cJSON_Delete(doc);
    /* Filed again: a correction, revision 2. */
    assert_int_equal(post(f, "2023-12", false, &doc), 200);
    assert_int_equal(cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(doc, "revision")), 2);
    cJSON_Delete(doc);
    assert_int_equal(filed(f->outbox), 2);
}

/* Before the hub has sent its catalogue and rules the form still files
 * (the link may be down for days), unchecked, and says so; the hub checks
 * on arrival. What needs no copy is still checked. */
static void test_no_copy_files_unchecked(void **state)
{
    fixture_t *f = *state;
    f->vals[U5] = "3";
    f->vals[U2] = "5";             /* the rule is the copy's: not known */
    cJSON *doc = NULL;
    assert_int_equal(post(f, "2023-12", true, &doc), 200);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc,
                                                               "checked")));
    assert_non_null(strstr(cJSON_GetStringValue(
                               cJSON_GetObjectItemCaseSensitive(doc,
                                                                "unchecked")),
                           "chưa được kiểm tra"));
    cJSON_Delete(doc);
    assert_int_equal(filed(f->bare_outbox), 1);
    f->vals[U2] = "-1";
    assert_int_equal(post(f, "2023-12", true, &doc), 400);
    assert_non_null(note(doc, "errors", "u2"));
    cJSON_Delete(doc);
    assert_int_equal(filed(f->bare_outbox), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_fields_file_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rules_next_to_their_fields,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_copy_files_unchecked, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
