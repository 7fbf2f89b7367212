/*
 * test_delivery.c -- a report travels from a facility to the province and
 * is queried back: real hub, real nodes, real `baocao` tool, loopback TCP,
 * LMDB stores in a temporary folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"
#include "bc_wire.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each test's state: a hub on the shipped registry in a temporary folder
 * (tests/support/bc_test.h). */
typedef bc_fixture_t fixture_t;

/* Files a report into a node's outbox with the real CLI; `how` is
 * "--replace", "--merge" or NULL. */
static void submit_how(const char *store, const char *unit,
                       const char *period, const char *file, const char *how)
{
    const char *argv[] = {"submit", "--store", store, "--unit", unit,
                          "--period", period, "--file", file, how, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_int_equal(strlen(out), BC_ID_HEXLEN + 1);   /* the id, hex */
    free(out);
}

static void submit(const char *store, const char *unit, const char *period,
                   const char *file)
{
    submit_how(store, unit, period, file, NULL);
}

/* Runs a node until its outbox is delivered (or 60 s); `also` is a unit
 * it delivers for besides its own, or NULL. */
static int drain_also(const char *store, const char *unit,
                      const char *endpoint, const char *also)
{
    const char *argv[] = {"--store", store, "--unit", unit, "--hub",
                          endpoint, "--plain", "--drain", "--max-seconds",
                          "60", "--timeout", "2000",
                          also ? "--on-behalf-of" : NULL, also, NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, NULL);
    return bc_wait(&p, 90000);
}

static int drain(const char *store, const char *unit, const char *endpoint)
{
    return drain_also(store, unit, endpoint, NULL);
}

static void file_wards(fixture_t *f)
{
    const char *codes[9];
    bc_hongbang_reports(f->dir, codes);
    for (int i = 0; i < 9; i++) {
        char store[64], file[64];
        snprintf(store, sizeof store, "node-%s", codes[i]);
        snprintf(file, sizeof file, "%s.csv", codes[i]);
        char st[4096], fl[4096];
        snprintf(st, sizeof st, "%s", bc_path(f->dir, store));
        snprintf(fl, sizeof fl, "%s", bc_path(f->dir, file));
        submit(st, codes[i], "2023-12", fl);
        assert_int_equal(drain(st, codes[i], f->hub.endpoint), 0);
    }
}

static int64_t value(fixture_t *f, const char *unit, const char *ind)
{
    int64_t v = -1;
    assert_true(bc_query_value(f->hub.endpoint, unit, "2023-12", ind, &v));
    return v;
}

/* The README's demo, as a test: nine ward nodes, district totals. */
static void test_hongbang_district_totals(void **state)
{
    fixture_t *f = *state;
    file_wards(f);
    assert_int_equal(value(f, "HP-HB", "sdd_u5"), 7492);
    assert_int_equal(value(f, "HP-HB", "sdd_u2"), 2855);
    assert_int_equal(value(f, "HP-HB", "sdd_malnourished"), 1594);
    /* The province above the district carries the same totals. */
    assert_int_equal(value(f, "HP", "sdd_u5"), 7492);
    /* A ward reads its own figure. */
    assert_int_equal(value(f, "HP-HB-QT", "sdd_u5"), 776);

    /* The CLI prints the same numbers in JSON, by indicator code. */
    const char *argv[] = {"query", "--hub", f->hub.endpoint, "--plain",
                          "--unit", "HP-HB", "--period", "2023-12",
                          "--indicator", "sdd_u5", "--format", "json", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_non_null(strstr(out, "\"sdd_u5\""));
    assert_non_null(strstr(out, "7492"));
    free(out);
}

static Baocao__Reply *send_sub(fixture_t *f, const uint8_t id[16],
                               const char *unit, uint32_t revision,
                               const char *ind, int64_t v)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Value val = BAOCAO__VALUE__INIT;
    Baocao__Value *vals[1] = {&val};
    val.indicator = (char *) ind;
    val.v_case = BAOCAO__VALUE__V_COUNT;
    val.count = v;
    sub.id.data = (uint8_t *) id;
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = "2023-12";
    sub.revision = revision;
    sub.filed_at = 1704000000;
    sub.n_values = 1;
    sub.values = vals;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    return bc_send(f->hub.endpoint, &req);
}

static Baocao__AckStatus ack_status(Baocao__Reply *r)
{
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    Baocao__AckStatus s = r->ack->status;
    baocao__reply__free_unpacked(r, NULL);
    return s;
}

/* The same id twice is stored once. */
static void test_resend_is_stored_once(void **state)
{
    fixture_t *f = *state;
    uint8_t id[16];
    bc_id_new(id);
    assert_int_equal(ack_status(send_sub(f, id, "HP-HB-MK", 1, "sxh_cases", 7)),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ack_status(send_sub(f, id, "HP-HB-MK", 1, "sxh_cases", 7)),
                     BAOCAO__ACK_STATUS__ACK_DUPLICATE);
    /* Even a resend whose content differs changes nothing: the id rules. */
    assert_int_equal(ack_status(send_sub(f, id, "HP-HB-MK", 1, "sxh_cases", 9)),
                     BAOCAO__ACK_STATUS__ACK_DUPLICATE);
    assert_int_equal(value(f, "HP-HB", "sxh_cases"), 7);
}

/* A revision 2 replaces revision 1 in the totals; an overtaken revision 1
 * arriving after its correction is kept on record but does not count. */
static void test_revision_replaces(void **state)
{
    fixture_t *f = *state;
    uint8_t id1[16], id2[16], id3[16], id4[16];
    bc_id_new(id1);
    bc_id_new(id2);
    bc_id_new(id3);
    bc_id_new(id4);
    assert_int_equal(ack_status(send_sub(f, id1, "HP-HB-QT", 1, "births", 10)),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ack_status(send_sub(f, id3, "HP-HB-SD", 1, "births", 5)),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(value(f, "HP-HB", "births"), 15);
    assert_int_equal(ack_status(send_sub(f, id2, "HP-HB-QT", 2, "births", 12)),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(value(f, "HP-HB", "births"), 17);
    assert_int_equal(value(f, "HP-HB-QT", "births"), 12);
    /* A correction overtaking its original: rev 2 first, then rev 1. */
    assert_int_equal(ack_status(send_sub(f, id4, "HP-HB-HL", 2, "births", 3)),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    uint8_t id5[16];
    bc_id_new(id5);
    assert_int_equal(ack_status(send_sub(f, id5, "HP-HB-HL", 1, "births", 30)),
                     BAOCAO__ACK_STATUS__ACK_SUPERSEDED);
    assert_int_equal(value(f, "HP-HB", "births"), 20);
    /* Reusing a revision number with another id is refused. */
    uint8_t id6[16];
    bc_id_new(id6);
    Baocao__Reply *r = send_sub(f, id6, "HP-HB-HL", 2, "births", 99);
    assert_int_equal(r->ack->status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(r->ack->reason,
                     BAOCAO__REJECT_REASON__REASON_BAD_REVISION);
    baocao__reply__free_unpacked(r, NULL);
    assert_int_equal(value(f, "HP-HB", "births"), 20);
}

/* A correction filed with the CLI: same unit and period again. */
static void test_cli_correction(void **state)
{
    fixture_t *f = *state;
    char store[4096], file[4096];
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "node-tc"));
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "tc.csv"));
    bc_write_file(file, "indicator,value\ntcm_cases,4\nsxh_cases,2\n");
    submit(store, "HP-HB-TC", "2023-12", file);
    assert_int_equal(drain(store, "HP-HB-TC", f->hub.endpoint), 0);
    assert_int_equal(value(f, "HP-HB", "tcm_cases"), 4);
    bc_write_file(file, "indicator,value\ntcm_cases,6\n");
    /* A correction that leaves a figure out says so: --replace. */
    submit_how(store, "HP-HB-TC", "2023-12", file, "--replace");
    assert_int_equal(drain(store, "HP-HB-TC", f->hub.endpoint), 0);
    assert_int_equal(value(f, "HP-HB", "tcm_cases"), 6);
    /* The correction dropped sxh_cases: the ward no longer contributes. */
    int64_t v;
    assert_false(bc_query_value(f->hub.endpoint, "HP-HB", "2023-12",
                                "sxh_cases", &v));
}

/* Filed while the hub is down, delivered once it is up. */
static void test_filed_while_hub_down(void **state)
{
    fixture_t *f = *state;
    char bind[128];
    snprintf(bind, sizeof bind, "%s", f->hub.endpoint);
    assert_int_equal(bc_hub_pause(&f->hub, SIGTERM), 0);

    char store[4096], file[4096];
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "node-hv"));
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "hv.csv"));
    bc_write_file(file, "indicator,value\nlao_new,3\n");
    submit(store, "HP-HB-HV", "2023-12", file);
    const char *argv[] = {"--store", store, "--unit", "HP-HB-HV", "--hub",
                          bind, "--plain", "--drain", "--max-seconds", "60",
                          "--timeout", "1000", "--backoff-min", "100",
                          "--backoff-max", "500", NULL};
    bc_proc_t node = bc_spawn("baocao-node", argv, NULL);
    sleep(2);   /* the node tries, and fails, for a while */
    assert_int_equal(bc_wait(&node, 0), -1);   /* still trying */

    bc_hub_start(&f->hub, f->dir, bind, NULL);
    assert_int_equal(bc_wait(&node, 60000), 0);
    assert_int_equal(value(f, "HP-HB-HV", "lao_new"), 3);
}

/* Unknown unit or indicator: rejected with a reason, marked rejected at
 * the node, not resent, not lost. */
static void test_rejections_settle(void **state)
{
    fixture_t *f = *state;
    char store[4096], good[4096], bad[4096];
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "node-rej"));
    snprintf(good, sizeof good, "%s", bc_path(f->dir, "good.csv"));
    snprintf(bad, sizeof bad, "%s", bc_path(f->dir, "bad.csv"));
    bc_write_file(good, "indicator,value\nsxh_cases,1\n");
    bc_write_file(bad, "indicator,value\nno_such_indicator,1\n");
    submit(store, "HP-HB-PBC", "2023-12", bad);
    submit(store, "XX-NOWHERE", "2023-12", good);
    submit(store, "HP-HB-PBC", "2023-11", good);
    /* The node claims XX-NOWHERE too, so that the hub is the one to
     * refuse it. */
    /* Two rejections need action: the drain exits 1 (issue 15). */
    assert_int_equal(drain_also(store, "HP-HB-PBC", f->hub.endpoint,
                                "XX-NOWHERE"), 1);

    const char *argv[] = {"status", "--store", store, "--format", "json",
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_non_null(strstr(out, "\"rejected\":\t2"));
    assert_non_null(strstr(out, "\"delivered\":\t1"));
    assert_non_null(strstr(out, "unknown_indicator"));
    assert_non_null(strstr(out, "unknown_unit"));
    assert_non_null(strstr(out, "no_such_indicator"));
    free(out);
    /* Nothing of the rejected report counts. */
    int64_t v;
    assert_false(bc_query_value(f->hub.endpoint, "HP-HB-PBC", "2023-12",
                                "sxh_cases", &v));
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB-PBC", "2023-11",
                               "sxh_cases", &v));
    assert_int_equal(v, 1);
    /* A second drain has nothing to send: rejected reports stay settled,
     * and still need action (not marked seen), so it exits 1 again. */
    assert_int_equal(drain_also(store, "HP-HB-PBC", f->hub.endpoint,
                                "XX-NOWHERE"), 1);
}

/* SIGKILL loses nothing that was acknowledged. */
static void test_sigkill_keeps_acknowledged(void **state)
{
    fixture_t *f = *state;
    uint8_t id[16];
    bc_id_new(id);
    assert_int_equal(ack_status(send_sub(f, id, "HP-HB-TL", 1, "kcb_visits",
                                         321)),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    char bind[128];
    snprintf(bind, sizeof bind, "%s", f->hub.endpoint);
    bc_hub_pause(&f->hub, SIGKILL);
    bc_hub_start(&f->hub, f->dir, bind, NULL);
    assert_int_equal(value(f, "HP-HB", "kcb_visits"), 321);
    assert_int_equal(ack_status(send_sub(f, id, "HP-HB-TL", 1, "kcb_visits",
                                         321)),
                     BAOCAO__ACK_STATUS__ACK_DUPLICATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hongbang_district_totals,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resend_is_stored_once,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_revision_replaces,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cli_correction, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_filed_while_hub_down,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rejections_settle,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_keeps_acknowledged,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.delivery", tests, NULL,
                                       NULL);
}
