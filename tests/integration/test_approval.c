/*
 * test_approval.c -- issue #11, item 5, against a real CURVE hub with real
 * keys: an approver locks a district for a period, a ward's correction
 * (and another ward's first filing) is then ACK_REJECTED / REASON_LOCKED
 * naming who approved, and is accepted again after an unapproval with a
 * reason; a quarter's approval locks its months; scopes and roles decide
 * who may approve; both enter the hash-chained log, which `audit
 * verify` counts, `audit history --figures` lists, and `audit replay`
 * rebuilds into the same digest (which covers the locks); query and
 * completeness show the approval state in JSON, CSV and the table; a
 * ward's node shows the LOCKED rejection to staff (status, log).
 *
 * Operators approve through the shipped `baocao` CLI; wards file over
 * CURVE with their own keys (bc_client), as a node would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"
#include "bc_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { K_HUB, K_QT, K_HV, K_AB, K_HBVIEW, K_LCADMIN, K_ALICE, K_HBAPPR,
       NKEYS };
static const char *names[NKEYS] = {"hub", "qt", "hv", "ab", "hb_viewer",
                                   "lc_admin", "alice", "hb_approver"};

typedef struct {
    char *dir;                 /* temporary folder */
    bc_hub_t hub;              /* the CURVE hub */
    char keys[NKEYS][41];      /* public keys */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("approval");
    bc_hub_init(&f->hub);
    for (int i = 0; i < NKEYS; i++)
        bc_keygen(f->dir, names[i], f->keys[i]);
    char units[4096], ops[1024];
    snprintf(units, sizeof units,
             "code,parent_code,level,name,reports,on_behalf,key\n"
             "HP,,province,Hải Phòng,no,,\n"
             "HP-HB,HP,district,Hồng Bàng,no,,\n"
             "HP-HB-QT,HP-HB,commune,Quán Toan,,,%s\n"
             "HP-HB-HV,HP-HB,commune,Hùng Vương,,,%s\n"
             "HP-LC,HP,district,Lê Chân,no,,\n"
             "HP-LC-AB,HP-LC,commune,An Biên,,,%s\n",
             f->keys[K_QT], f->keys[K_HV], f->keys[K_AB]);
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

/* Runs `baocao VERB --unit U --period P [more...]` as `who`; returns the
 * exit status, and what it printed (stdout and stderr) in *out if not
 * NULL. */
static int as(fixture_t *f, int who, const char *verb, const char *unit,
              const char *period, const char *more1, const char *more2,
              char **out)
{
    char hubkey[4096], cert[4096];
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s",
             bc_key_path(f->dir, names[who], "secret"));
    const char *argv[] = {verb, "--hub", f->hub.endpoint, "--hub-key", hubkey,
                          "--cert", cert, "--unit", unit, "--period", period,
                          more1, more2, NULL};
    char *text = NULL;
    int rc = bc_run_all("baocao", argv, &text);
    if (out)
        *out = text;
    else
        free(text);
    return rc;
}

/* Files one report as ward `who` over CURVE, as its node would; returns
 * the Ack (caller frees the reply through *reply). */
static const Baocao__Ack *file(fixture_t *f, int who, const char *unit,
                               const char *period, uint32_t revision,
                               int64_t count, Baocao__Reply **reply)
{
    char hubkey[4096], cert[4096], err[256];
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s",
             bc_key_path(f->dir, names[who], "secret"));
    bc_security_t sec = {hubkey, cert};
    bc_client_t *c = bc_client_new(f->hub.endpoint, &sec, err, sizeof err);
    assert_non_null(c);
    uint8_t id[16];
    for (int i = 0; i < 16; i++)
        id[i] = (uint8_t) rand();
    Baocao__Value v = BAOCAO__VALUE__INIT;
    Baocao__Value *vals[] = {&v};
    v.indicator = "sxh_cases";
    v.v_case = BAOCAO__VALUE__V_COUNT;
    v.count = count;
    Baocao__Submission s = BAOCAO__SUBMISSION__INIT;
    s.id.data = id;
    s.id.len = 16;
    s.unit = (char *) unit;
    s.period = (char *) period;
    s.revision = revision;
    s.filed_at = 1735700000 + 86400 * 40;   /* 2025-02-10, after Q1 began */
    s.n_values = 1;
    s.values = vals;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &s;
    assert_int_equal(bc_client_call(c, &req, reply, 10000), 0);
    bc_client_destroy(&c);
    assert_int_equal((*reply)->body_case, BAOCAO__REPLY__BODY_ACK);
    return (*reply)->ack;
}

static Baocao__AckStatus file_status(fixture_t *f, int who, const char *unit,
                                     const char *period, uint32_t revision,
                                     int64_t count)
{
    Baocao__Reply *r = NULL;
    Baocao__AckStatus st = file(f, who, unit, period, revision, count,
                                &r)->status;
    baocao__reply__free_unpacked(r, NULL);
    return st;
}

/* Approve, a correction and a first filing refused as locked (nothing
 * stored), unapprove with a reason, the correction accepted again. */
static void test_locked_then_unlocked(void **state)
{
    fixture_t *f = *state;
    const char *P = "2025-01";
    assert_int_equal(file_status(f, K_QT, "HP-HB-QT", P, 1, 10),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    char *out = NULL;
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB", P, NULL, NULL,
                        &out), 0);
    if (!strstr(out, "approved: HP-HB approved 2025-01 "
                     "(operator:hb_approver"))
        fail_msg("approve said: %s", out);
    free(out);
    /* Again: already so, exit 0, nothing changes. */
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB", P, NULL, NULL,
                        &out), 0);
    assert_non_null(strstr(out, "already approved"));
    free(out);

    Baocao__Reply *r = NULL;
    const Baocao__Ack *a = file(f, K_QT, "HP-HB-QT", P, 2, 99, &r);
    assert_int_equal(a->status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(a->reason, BAOCAO__REJECT_REASON__REASON_LOCKED);
    assert_string_equal(bc_reason_name(a->reason), "locked");
    if (!strstr(a->message, "HP-HB-QT 2025-01 is locked: HP-HB approved "
                            "2025-01 (operator:hb_approver"))
        fail_msg("locked message: %s", a->message);
    baocao__reply__free_unpacked(r, NULL);
    /* A ward that had not filed yet cannot file a first report either. */
    a = file(f, K_HV, "HP-HB-HV", P, 1, 5, &r);
    assert_int_equal(a->reason, BAOCAO__REJECT_REASON__REASON_LOCKED);
    baocao__reply__free_unpacked(r, NULL);
    /* Another district is not locked. */
    assert_int_equal(file_status(f, K_AB, "HP-LC-AB", P, 1, 7),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    /* Nothing stored: the approved figure stands. */
    assert_int_equal(as(f, K_HBAPPR, "query", "HP-HB", P, "--format",
                        "json", &out), 0);
    assert_non_null(strstr(out, "\"value\":\t10"));
    free(out);

    /* Unapprove needs a reason (exit 2, nothing sent) and the role. */
    assert_int_equal(as(f, K_HBAPPR, "unapprove", "HP-HB", P, NULL, NULL,
                        NULL), 2);
    assert_int_equal(as(f, K_HBVIEW, "unapprove", "HP-HB", P, "--reason",
                        "typo", NULL), 1);
    assert_int_equal(as(f, K_HBAPPR, "unapprove", "HP-HB", P, "--reason",
                        "QT counted a case twice", &out), 0);
    assert_non_null(strstr(out, "unlocked"));
    free(out);
    /* Nothing left to unapprove: refused, exit 1. */
    assert_int_equal(as(f, K_HBAPPR, "unapprove", "HP-HB", P, "--reason",
                        "again", &out), 1);
    assert_non_null(strstr(out, "is not approved"));
    free(out);
    /* The refused correction used no revision: 2 is accepted now. */
    assert_int_equal(file_status(f, K_QT, "HP-HB-QT", P, 2, 9),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(file_status(f, K_HV, "HP-HB-HV", P, 1, 5),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(as(f, K_HBAPPR, "query", "HP-HB", P, "--format",
                        "json", &out), 0);
    assert_non_null(strstr(out, "\"value\":\t14"));
    assert_non_null(strstr(out, "\"approved\":\tfalse"));
    free(out);
}

/* A quarter's approval locks its months; a month's does not lock the
 * next; a province's (the --operator-key admin) locks every district. */
static void test_quarter_and_province(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB", "2024-Q2", NULL,
                        NULL, NULL), 0);
    Baocao__Reply *r = NULL;
    const Baocao__Ack *a = file(f, K_QT, "HP-HB-QT", "2024-05", 1, 3, &r);
    assert_int_equal(a->reason, BAOCAO__REJECT_REASON__REASON_LOCKED);
    assert_non_null(strstr(a->message, "HP-HB approved 2024-Q2"));
    baocao__reply__free_unpacked(r, NULL);
    assert_int_equal(file_status(f, K_QT, "HP-HB-QT", "2024-07", 1, 3),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    /* The province, by the root's admin. */
    assert_int_equal(as(f, K_ALICE, "approve", "HP", "2024-08", NULL, NULL,
                        NULL), 0);
    assert_int_equal(file_status(f, K_AB, "HP-LC-AB", "2024-08", 1, 1),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    /* A district cannot unapprove the province's lock. */
    char *out = NULL;
    assert_int_equal(as(f, K_LCADMIN, "unapprove", "HP", "2024-08",
                        "--reason", "x", &out), 1);
    assert_non_null(strstr(out, "not_authorized"));
    free(out);
    /* Nor is unapproving the district the same as unlocking it. */
    assert_int_equal(as(f, K_LCADMIN, "unapprove", "HP-LC", "2024-08",
                        "--reason", "x", &out), 1);
    assert_non_null(strstr(out, "is locked because HP approved 2024-08"));
    free(out);
}

/* Who may approve: an approver or admin within its scope; not a viewer,
 * not a facility, not another district's operator. */
static void test_who_may_approve(void **state)
{
    fixture_t *f = *state;
    char *out = NULL;
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-LC", "2024-01", NULL,
                        NULL, &out), 1);
    assert_non_null(strstr(out, "not_authorized"));
    assert_non_null(strstr(out, "operator:hb_approver (scope HP-HB) may "
                                "not act on HP-LC"));
    free(out);
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP", "2024-01", NULL, NULL,
                        NULL), 1);
    assert_int_equal(as(f, K_HBVIEW, "approve", "HP-HB", "2024-01", NULL,
                        NULL, &out), 1);
    assert_non_null(strstr(out, "is a viewer: this needs the approver "
                                "role"));
    free(out);
    assert_int_equal(as(f, K_QT, "approve", "HP-HB-QT", "2024-01", NULL,
                        NULL, &out), 1);
    assert_non_null(strstr(out, "is a facility"));
    free(out);
    assert_int_equal(as(f, K_LCADMIN, "approve", "HP-LC-AB", "2024-01", NULL,
                        NULL, NULL), 0);
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB-QT", "2024-01", NULL,
                        NULL, NULL), 0);
    /* Refusals were not logged, nor did they lock anything. */
    assert_int_equal(file_status(f, K_HV, "HP-HB-HV", "2024-01", 1, 2),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    /* A bad unit or period is refused before anything is logged. */
    assert_int_equal(as(f, K_ALICE, "approve", "HP-NOPE", "2024-01", NULL,
                        NULL, &out), 1);
    assert_non_null(strstr(out, "unknown_unit"));
    free(out);
    assert_int_equal(as(f, K_ALICE, "approve", "HP", "2024-13", NULL, NULL,
                        &out), 1);
    assert_non_null(strstr(out, "bad_period"));
    free(out);
}

/* Query and completeness show the approval state: JSON fields, CSV
 * columns, the table's line. */
static void test_answers_show_approval(void **state)
{
    fixture_t *f = *state;
    const char *P = "2024-03";
    assert_int_equal(file_status(f, K_QT, "HP-HB-QT", P, 1, 4),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB-QT", P, "--reason",
                        "checked against the register", NULL), 0);
    char *out = NULL;
    assert_int_equal(as(f, K_HBAPPR, "query", "HP-HB-QT", P, "--format",
                        "json", &out), 0);
    assert_non_null(strstr(out, "\"approved\":\ttrue"));
    assert_non_null(strstr(out, "\"approved_by\":\t\"operator:hb_approver\""));
    assert_non_null(strstr(out, "\"reason\":\t\"checked against the "
                                "register\""));
    /* The old fields are all still there. */
    assert_non_null(strstr(out, "\"unit_name\":"));
    assert_non_null(strstr(out, "\"figures\":"));
    free(out);
    /* The district is not approved itself; its ward is. */
    assert_int_equal(as(f, K_HBAPPR, "query", "HP-HB", P, "--format", "json",
                        &out), 0);
    assert_non_null(strstr(out, "\"approved\":\tfalse"));
    assert_non_null(strstr(out, "\"approval\":\tnull"));
    free(out);
    assert_int_equal(as(f, K_HBAPPR, "completeness", "HP-HB", P, "--format",
                        "json", &out), 0);
    const char *qt = strstr(out, "\"unit\":\t\"HP-HB-QT\"");
    const char *hv = strstr(out, "\"unit\":\t\"HP-HB-HV\"");
    assert_non_null(qt);
    assert_non_null(hv);
    const char *end_qt = qt < hv ? hv : out + strlen(out);
    const char *appr = strstr(qt, "\"approved\":\ttrue");
    assert_true(appr && appr < end_qt);
    assert_non_null(strstr(out, "\"reporting_rate_pct\""));
    free(out);
    assert_int_equal(as(f, K_HBAPPR, "completeness", "HP-HB", P, "--format",
                        "csv", &out), 0);
    assert_non_null(strstr(out, "unit,name,state,filed,rev,approved\n"));
    assert_non_null(strstr(out, "HP-HB-QT 2024-03 by operator:hb_approver"));
    free(out);
    assert_int_equal(as(f, K_HBAPPR, "query", "HP-HB-QT", P, "--format",
                        "csv", &out), 0);
    assert_non_null(strstr(out, ",approved,approval\n"));
    assert_non_null(strstr(out, ",yes,HP-HB-QT 2024-03 by "
                                "operator:hb_approver"));
    free(out);
    assert_int_equal(as(f, K_HBAPPR, "query", "HP-HB-QT", P, NULL, NULL,
                        &out), 0);
    assert_non_null(strstr(out, "approved (locked): HP-HB-QT 2024-03 by "
                                "operator:hb_approver"));
    free(out);
}

/* The ward's node: a correction of an approved month comes back
 * REJECTED / LOCKED, and staff read why in `baocao status --list` and the
 * node's log, with who approved. */
static void test_node_shows_locked(void **state)
{
    fixture_t *f = *state;
    const char *P = "2023-06";
    char store[4096], csv[4096], log[4096], hubkey[4096], cert[4096];
    snprintf(store, sizeof store, "%s/qt-node", f->dir);
    snprintf(csv, sizeof csv, "%s/qt.csv", f->dir);
    snprintf(log, sizeof log, "%s/qt-node.log", f->dir);
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s", bc_key_path(f->dir, "qt", "secret"));
    const char *sargv[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                           "--period", P, "--file", csv, NULL};
    const char *nargv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                           f->hub.endpoint, "--hub-key", hubkey, "--cert",
                           cert, "--drain", "--max-seconds", "60",
                           "--timeout", "2000", NULL};
    bc_write_file(csv, "indicator,value\nsxh_cases,5\n");
    assert_int_equal(bc_run("baocao", sargv, NULL), 0);
    bc_proc_t n1 = bc_spawn("baocao-node", nargv, log);
    assert_int_equal(bc_wait(&n1, 90000), 0);
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB", P, NULL, NULL,
                        NULL), 0);
    bc_write_file(csv, "indicator,value\nsxh_cases,6\n");
    assert_int_equal(bc_run("baocao", sargv, NULL), 0);
    bc_proc_t n2 = bc_spawn("baocao-node", nargv, log);
    /* Drained: nothing left to send (the rejection is final). */
    assert_true(bc_wait(&n2, 90000) >= 0);
    const char *st[] = {"status", "--store", store, "--list", NULL};
    char *out = NULL;
    bc_run_all("baocao", st, &out);
    if (!out || !strstr(out, "locked")
        || !strstr(out, "operator:hb_approver"))
        fail_msg("status --list: %s", out ? out : "");
    free(out);
    assert_true(bc_file_contains(log, "rejected by the hub: locked: "
                                      "HP-HB-QT 2023-06 is locked"));
}

static void first_line(const char *const *argv, const char *prefix,
                       char out[300])
{
    char *text = NULL;
    int rc = bc_run("baocao", argv, &text);
    if (rc != 0)
        fail_msg("%s %s exited %d: %s", argv[0], argv[1], rc,
                 text ? text : "");
    const char *p = strstr(text, prefix);
    if (!p)
        fail_msg("no '%s' in: %s", prefix, text);
    size_t n = strcspn(p, "\n");
    snprintf(out, 300, "%.*s", (int) (n < 299 ? n : 299), p);
    free(text);
}

/* Approvals are entries of the log: verify counts them, history lists
 * them with the operator and the reason, the digest covers the locks,
 * and a replay from the export alone gives the same digest (so the same
 * locks: the replayed hub refuses the same correction). */
static void test_audit_and_replay(void **state)
{
    fixture_t *f = *state;
    const char *P = "2023-11";
    char d0[300], d1[300], d2[300], d3[300], line[300];
    const char *dl[] = {"audit", "digest", "--store", f->hub.store, NULL};
    assert_int_equal(file_status(f, K_QT, "HP-HB-QT", P, 1, 8),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    first_line(dl, "", d0);
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB", P, NULL, NULL,
                        NULL), 0);
    first_line(dl, "", d1);
    /* The same reports, one lock more: another digest. */
    assert_string_not_equal(strtok(d0, " "), strtok(d1, " "));
    assert_int_equal(as(f, K_HBAPPR, "unapprove", "HP-HB", P, "--reason",
                        "reopened for QT", NULL), 0);
    assert_int_equal(file_status(f, K_QT, "HP-HB-QT", P, 2, 6),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(as(f, K_HBAPPR, "approve", "HP-HB", P, NULL, NULL,
                        NULL), 0);
    assert_int_equal(file_status(f, K_QT, "HP-HB-QT", P, 3, 1),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);

    const char *hv[] = {"audit", "history", "--store", f->hub.store,
                        "--unit", "HP-HB", "--period", P, "--figures", NULL};
    char *text = NULL;
    assert_int_equal(bc_run("baocao", hv, &text), 0);
    assert_non_null(strstr(text, "approved"));
    assert_non_null(strstr(text, "unapproved"));
    assert_non_null(strstr(text, "by operator:hb_approver: reopened for QT"));
    free(text);
    const char *hq[] = {"audit", "history", "--store", f->hub.store,
                        "--unit", "HP-HB-QT", "--period", P, "--figures",
                        NULL};
    assert_int_equal(bc_run("baocao", hq, &text), 0);
    assert_non_null(strstr(text, "rejected: locked"));
    free(text);

    char exp[700], into[700];
    snprintf(exp, sizeof exp, "%s/log.bca", f->dir);
    snprintf(into, sizeof into, "%s/replayed", f->dir);
    const char *ea[] = {"audit", "export", "--store", f->hub.store, "--out",
                        exp, NULL};
    assert_int_equal(bc_run("baocao", ea, NULL), 0);
    const char *va[] = {"audit", "verify", exp, NULL};
    first_line(va, "stored", line);
    if (!strstr(line, ", approvals "))
        fail_msg("verify: %s", line);
    const char *vs[] = {"audit", "verify", "--store", f->hub.store, NULL};
    first_line(vs, "stored", line);
    if (!strstr(line, ", approvals "))
        fail_msg("verify --store: %s", line);
    const char *ra[] = {"audit", "replay", exp, "--into", into, NULL};
    char *out = NULL;
    int rc = bc_run_all("baocao", ra, &out);
    if (rc != 0)
        fail_msg("replay exited %d: %s", rc, out ? out : "");
    free(out);
    const char *dr[] = {"audit", "digest", "--store", into, NULL};
    first_line(dl, "", d2);
    first_line(dr, "", d3);
    assert_string_equal(d2, d3);
    const char *hr[] = {"audit", "verify", "--store", into, NULL};
    char h1[300], h2[300];
    first_line(vs, "head: ", h1);
    first_line(hr, "head: ", h2);
    assert_string_equal(h1, h2);
}

int main(void)
{
    srand((unsigned) time(NULL));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locked_then_unlocked),
        cmocka_unit_test(test_quarter_and_province),
        cmocka_unit_test(test_who_may_approve),
        cmocka_unit_test(test_answers_show_approval),
        cmocka_unit_test(test_node_shows_locked),
        cmocka_unit_test(test_audit_and_replay),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
