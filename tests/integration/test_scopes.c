/*
 * test_scopes.c -- issue #11, item 6, against a real CURVE hub with real
 * keys: operators of --operators read and set plans only within their
 * unit's subtree and role; a facility reads only its own unit (before
 * this change a ward's key read any unit, another province's included);
 * an --operator-key operator is still an admin of the root; a bad
 * operators file stops the hub (exit 2). Every call goes through the
 * shipped `baocao` CLI.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"
#include "bc_client.h"
#include "bc_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_HUB, K_QT, K_HBVIEW, K_LCADMIN, K_ALICE, K_HBAPPR, NKEYS };
static const char *names[NKEYS] = {"hub", "qt", "hb_viewer", "lc_admin",
                                   "alice", "hb_approver"};

typedef struct {
    char *dir;                 /* temporary folder */
    bc_hub_t hub;              /* the CURVE hub */
    char keys[NKEYS][41];      /* public keys */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("scopes");
    bc_hub_init(&f->hub);
    for (int i = 0; i < NKEYS; i++)
        bc_keygen(f->dir, names[i], f->keys[i]);
    char units[2048], ops[1024];
    snprintf(units, sizeof units,
             "code,parent_code,level,name,reports,on_behalf,key\n"
             "HP,,province,Hải Phòng,no,,\n"
             "HP-HB,HP,district,Hồng Bàng,yes,,\n"
             "HP-HB-QT,HP-HB,commune,Quán Toan,,,%s\n"
             "HP-HB-HV,HP-HB,commune,Hùng Vương,,,\n"
             "HP-LC,HP,district,Lê Chân,yes,,\n"
             "HP-LC-AB,HP-LC,commune,An Biên,,,\n"
             "HG,,province,Hậu Giang,no,,\n"
             "HG-CT,HG,district,Châu Thành,,,\n", f->keys[K_QT]);
    snprintf(ops, sizeof ops, "name,key,unit,role\n"
             "hb_viewer,%s,HP-HB,viewer\n"
             "lc_admin,%s,HP-LC,admin\n"
             "hb_approver,%s,HP-HB,approver\n",
             f->keys[K_HBVIEW], f->keys[K_LCADMIN], f->keys[K_HBAPPR]);
    bc_curve_hub_start(&f->hub, f->dir, units, ops, "alice");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Runs `baocao VERB` as `who` about `unit`; returns the exit status and
 * leaves what it printed (stdout and stderr) in *out when not NULL. */
static int as(fixture_t *f, int who, const char *verb, const char *unit,
              char **out)
{
    char hubkey[4096], cert[4096];
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s",
             bc_key_path(f->dir, names[who], "secret"));
    const char *plan = bc_path(f->dir, "plan.csv");
    bc_write_file(plan, "indicator,target\nsxh_cases,10\n");
    bool is_plan = !strcmp(verb, "plan");
    const char *argv[] = {verb, "--hub", f->hub.endpoint, "--hub-key", hubkey,
                          "--cert", cert, "--unit", unit,
                          is_plan ? "--year" : "--period",
                          is_plan ? "2025" : "2025-01",
                          is_plan ? "--file" : NULL, plan, NULL};
    char *text = NULL;
    int rc = bc_run_all("baocao", argv, &text);
    if (out)
        *out = text;
    else
        free(text);
    return rc;
}

/* A district's operator reads its district and wards, not another
 * district nor another province, by any read request. */
static void test_operator_reads_in_scope(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(as(f, K_HBVIEW, "query", "HP-HB", NULL), 0);
    assert_int_equal(as(f, K_HBVIEW, "query", "HP-HB-HV", NULL), 0);
    assert_int_equal(as(f, K_HBVIEW, "completeness", "HP-HB", NULL), 0);
    char *out = NULL;
    assert_int_equal(as(f, K_HBVIEW, "query", "HP-LC", &out), 1);
    assert_non_null(strstr(out, "not_authorized"));
    assert_non_null(strstr(out, "operator:hb_viewer (scope HP-HB) may not "
                                "act on HP-LC"));
    free(out);
    assert_int_equal(as(f, K_HBVIEW, "query", "HP", NULL), 1);
    assert_int_equal(as(f, K_HBVIEW, "query", "HG-CT", NULL), 1);
    assert_int_equal(as(f, K_HBVIEW, "completeness", "HP-LC-AB", NULL), 1);
    assert_int_equal(as(f, K_HBVIEW, "validate", "HP-LC", NULL), 1);
    assert_int_equal(as(f, K_HBVIEW, "validate", "HP-HB", NULL), 0);
}

/* A ward's key reads its own figures only: not its sibling, its
 * district, nor another province. */
static void test_facility_reads_own_unit(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(as(f, K_QT, "query", "HP-HB-QT", NULL), 0);
    char *out = NULL;
    assert_int_equal(as(f, K_QT, "query", "HP-HB-HV", &out), 1);
    assert_non_null(strstr(out, "unit:HP-HB-QT may read only its own "
                                "unit's figures"));
    free(out);
    assert_int_equal(as(f, K_QT, "query", "HP-HB", NULL), 1);
    assert_int_equal(as(f, K_QT, "query", "HG", NULL), 1);
    assert_int_equal(as(f, K_QT, "completeness", "HP-HB", NULL), 1);
    assert_int_equal(as(f, K_QT, "plan", "HP-HB-QT", NULL), 1);
}

/* The dashboard's slice (one indicator for every child of a unit) is a
 * read of the unit's subtree like any other: a ward may not read its
 * district's rows (its siblings), a district's viewer may not read
 * another district's, and within scope both are answered. */
static int slice_as(fixture_t *f, int who, const char *unit)
{
    char hubkey[4096], cert[4096], err[256];
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s",
             bc_key_path(f->dir, names[who], "secret"));
    bc_security_t sec = {hubkey, cert};
    bc_client_t *c = bc_client_new(f->hub.endpoint, &sec, err, sizeof err);
    assert_non_null(c);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__SliceQuery q = BAOCAO__SLICE_QUERY__INIT;
    q.unit = (char *) unit;
    q.indicator = (char *) "sxh_cases";
    q.from = (char *) "2025-01";
    q.to = (char *) "2025-03";
    req.body_case = BAOCAO__REQUEST__BODY_SLICE;
    req.slice = &q;
    Baocao__Reply *r = NULL;
    assert_int_equal(bc_client_call(c, &req, &r, 5000), 0);
    int got = r->body_case == BAOCAO__REPLY__BODY_SLICE ? 0
              : r->body_case == BAOCAO__REPLY__BODY_ERROR
                    && r->error->reason
                           == BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED
                  ? 1 : -1;
    baocao__reply__free_unpacked(r, NULL);
    bc_client_destroy(&c);
    return got;
}

static void test_slice_follows_scope(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(slice_as(f, K_QT, "HP-HB"), 1);
    assert_int_equal(slice_as(f, K_QT, "HP"), 1);
    assert_int_equal(slice_as(f, K_QT, "HP-HB-QT"), 0);
    assert_int_equal(slice_as(f, K_HBVIEW, "HP-LC"), 1);
    assert_int_equal(slice_as(f, K_HBVIEW, "HP"), 1);
    assert_int_equal(slice_as(f, K_HBVIEW, "HP-HB"), 0);
    assert_int_equal(slice_as(f, K_ALICE, "HP"), 0);
}

/* The reply cache (hub_cache.h) is keyed by identity: an answer given
 * to the root's admin, asked again so that it is cached, is never given
 * to an identity whose scope does not hold the unit. */
static void test_cached_answer_stays_with_its_reader(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(as(f, K_ALICE, "query", "HP-LC", NULL), 0);
        assert_int_equal(as(f, K_ALICE, "query", "HP-HB-HV", NULL), 0);
        assert_int_equal(as(f, K_ALICE, "completeness", "HP-LC-AB", NULL), 0);
        assert_int_equal(as(f, K_QT, "query", "HP-HB-QT", NULL), 0);
    }
    char *out = NULL;
    assert_int_equal(as(f, K_HBVIEW, "query", "HP-LC", &out), 1);
    assert_non_null(strstr(out, "not_authorized"));
    free(out);
    assert_int_equal(as(f, K_HBVIEW, "completeness", "HP-LC-AB", NULL), 1);
    assert_int_equal(as(f, K_QT, "query", "HP-HB-HV", &out), 1);
    assert_non_null(strstr(out, "unit:HP-HB-QT may read only its own "
                                "unit's figures"));
    free(out);
    assert_int_equal(as(f, K_LCADMIN, "query", "HP-HB-QT", NULL), 1);
    /* Within scope, the same questions are answered. */
    assert_int_equal(as(f, K_HBVIEW, "query", "HP-HB-QT", NULL), 0);
    assert_int_equal(as(f, K_LCADMIN, "query", "HP-LC", NULL), 0);
}

/* Plans need the admin role, within the scope; --operator-key is an
 * admin of every root. */
static void test_roles(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(as(f, K_LCADMIN, "plan", "HP-LC", NULL), 0);
    assert_int_equal(as(f, K_LCADMIN, "plan", "HP-LC-AB", NULL), 0);
    assert_int_equal(as(f, K_LCADMIN, "plan", "HP-HB", NULL), 1);
    char *out = NULL;
    assert_int_equal(as(f, K_HBVIEW, "plan", "HP-HB", &out), 1);
    assert_non_null(strstr(out, "is a viewer: this needs the admin role"));
    free(out);
    assert_int_equal(as(f, K_HBAPPR, "plan", "HP-HB", NULL), 1);
    assert_int_equal(as(f, K_HBAPPR, "query", "HP-HB", NULL), 0);
    assert_int_equal(as(f, K_ALICE, "plan", "HG-CT", NULL), 0);
    assert_int_equal(as(f, K_ALICE, "query", "HG", NULL), 0);
    assert_int_equal(as(f, K_ALICE, "query", "HP-LC-AB", NULL), 0);
}

/* A bad operators file stops the hub at start, naming the line. */
static void test_bad_operators_file(void **state)
{
    fixture_t *f = *state;
    const char *path = bc_path(f->dir, "bad-operators.csv");
    char text[512];
    snprintf(text, sizeof text, "name,key,unit,role\n"
             "x,%s,HP-NOPE,viewer\n", f->keys[K_HBVIEW]);
    bc_write_file(path, text);
    char store[600];
    snprintf(store, sizeof store, "%s/other-store", f->dir);
    const char *argv[] = {"--store", store, "--registry",
                          bc_source("data/units.csv"), "--catalog",
                          bc_source("data/indicators.csv"), "--plain",
                          "--bind", "tcp://127.0.0.1:*", "--operators", path,
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao-hub", argv, &out), 2);
    assert_non_null(strstr(out, "bad-operators.csv:2: operator x: unknown "
                                "unit 'HP-NOPE'"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_operator_reads_in_scope, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_facility_reads_own_unit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slice_follows_scope, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cached_answer_stays_with_its_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_operators_file, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
