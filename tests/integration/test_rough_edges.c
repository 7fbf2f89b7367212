/*
 * test_rough_edges.c -- the rough edges a new user hit (issue 15), against
 * the real programs: a real hub (plain, and one with CURVE), real nodes
 * over loopback ZeroMQ, LMDB stores in a temporary folder, the `baocao`
 * tool as staff type it.
 *
 *   2. a reading command on a mistyped store creates nothing and exits 2
 *      ("no outbox at ...");
 *   3. any rejection is exit 1, with a last line saying how many and why:
 *      a node's --drain, `audit replay --to`;
 *   4. handshake errors name the option really at fault (--plain against
 *      a CURVE hub, --hub-key without --cert), once, at ERROR only;
 *   6. `baocao query` output: rows without data hidden unless --all,
 *      --programme, empty CSV fields, digit grouping, local time, plurals;
 *   - `baocao ping`, the healthcheck: 0 answered, 1 not, 2 bad options.
 *
 * Each test failed on the code before its fix (see the commit messages).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The shared fixture (bc_test.h): a folder and a plain hub in it. */
typedef bc_fixture_t fixture_t;

/* dir/name in a buffer of the caller's. */
static char *at(fixture_t *f, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", f->dir, name);
    return buf;
}

/* The last non-empty line of text, copied. */
static char *last_line(const char *text)
{
    const char *end = text + strlen(text);
    while (end > text && end[-1] == '\n')
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    return strndup(start, (size_t) (end - start));
}

static int submit(const char *store, const char *period, const char *file)
{
    const char *argv[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                          "--period", period, "--file", file, NULL};
    return bc_run_all("baocao", argv, NULL);
}

static int drain(const char *store, const char *endpoint, const char *log)
{
    const char *argv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                          endpoint, "--plain", "--drain", "--max-seconds",
                          "60", "--timeout", "2000", NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, log);
    return bc_wait(&p, 90000);
}

/* --- 2. a mistyped store ------------------------------------------------- */

/* --- Docker's healthcheck: baocao ping ---------------------------------- */

static void test_ping(void **state)
{
    fixture_t *f = *state;
    char *out = NULL;
    const char *up[] = {"ping", "--hub", f->hub.endpoint, "--plain", NULL};
    assert_int_equal(bc_run_all("baocao", up, &out), 0);
    /* Seq 1: a fresh hub's log starts with its registry version (issue
     * 12). */
    if (!strstr(out, "answered in") || !strstr(out, "log at seq 1"))
        fail_msg("ping: %s", out);
    free(out);
    const char *quiet[] = {"ping", "--hub", f->hub.endpoint, "--plain",
                           "--quiet", NULL};
    assert_int_equal(bc_run_all("baocao", quiet, &out), 0);
    assert_string_equal(out, "");
    free(out);
    /* Nobody there: exit 1 within the timeout, and why. */
    const char *down[] = {"ping", "--hub", "tcp://127.0.0.1:9", "--plain",
                          "--timeout", "300", NULL};
    assert_int_equal(bc_run_all("baocao", down, &out), 1);
    assert_non_null(strstr(out, "no answer from the hub within 300 ms"));
    free(out);
    /* Neither a key nor --plain: bad usage, as for every command. */
    const char *bad[] = {"ping", "--hub", f->hub.endpoint, NULL};
    assert_int_equal(bc_run_all("baocao", bad, NULL), 2);
}

static void test_status_no_outbox(void **state)
{
    fixture_t *f = *state;
    char typo[4096];
    at(f, "typo", typo, sizeof typo);
    const char *formats[] = {"table", "json"};
    for (int i = 0; i < 2; i++) {
        const char *argv[] = {"status", "--store", typo, "--format",
                              formats[i], NULL};
        char *out = NULL;
        int rc = bc_run_all("baocao", argv, &out);
        if (rc != 2 || !strstr(out, "no outbox at") || !strstr(out, typo))
            fail_msg("status --store typo (%s): exit %d:\n%s", formats[i],
                     rc, out);
        free(out);
        struct stat st;
        if (stat(typo, &st) == 0)
            fail_msg("status created %s", typo);
    }
    /* --ack-rejected writes, but to an outbox that exists only. */
    const char *ack[] = {"status", "--store", typo, "--ack-rejected", NULL};
    assert_int_equal(bc_run_all("baocao", ack, NULL), 2);
    struct stat st;
    assert_int_not_equal(stat(typo, &st), 0);
}

/* --- 3. any rejection is exit 1 ------------------------------------------ */

static void test_drain_rejection_exit(void **state)
{
    fixture_t *f = *state;
    char store[4096], bad[4096], good[4096], log[4096];
    at(f, "node", store, sizeof store);
    at(f, "node.log", log, sizeof log);
    bc_write_file(at(f, "bad.csv", bad, sizeof bad),
                  "indicator,value\nno_such_indicator,1\n");
    bc_write_file(at(f, "good.csv", good, sizeof good),
                  "indicator,value\nsdd_u5,100\n");
    /* The node's only report is rejected: exit 1, and the last line says
     * how many and why. */
    assert_int_equal(submit(store, "2023-12", bad), 0);
    int rc = drain(store, f->hub.endpoint, log);
    char *text = bc_read_text(log);
    char *last = last_line(text);
    if (rc != 1 || !strstr(last, "0 delivered, 1 rejected, 0 waiting")
        || !strstr(last, "unknown_indicator 1"))
        fail_msg("drain with a rejection: exit %d, last line: %s\n%s", rc,
                 last, text);
    free(last);
    free(text);

    /* Marked seen, the rejection no longer fails a drain. */
    const char *ack[] = {"status", "--store", store, "--ack-rejected", NULL};
    assert_int_equal(bc_run_all("baocao", ack, NULL), 0);
    assert_int_equal(submit(store, "2023-11", good), 0);
    unlink(log);
    rc = drain(store, f->hub.endpoint, log);
    text = bc_read_text(log);
    if (rc != 0)
        fail_msg("drain after --ack-rejected: exit %d\n%s", rc, text);
    free(text);
}

static void test_replay_rejection_exit(void **state)
{
    fixture_t *f = *state;
    char store[4096], bad[4096], good[4096], log[4096], exp[4096];
    char dir2[4096];
    at(f, "node", store, sizeof store);
    at(f, "node.log", log, sizeof log);
    bc_write_file(at(f, "bad.csv", bad, sizeof bad),
                  "indicator,value\nno_such_indicator,1\n");
    bc_write_file(at(f, "good.csv", good, sizeof good),
                  "indicator,value\nsdd_u5,100\n");
    assert_int_equal(submit(store, "2023-12", good), 0);
    assert_int_equal(submit(store, "2023-10", bad), 0);
    assert_int_equal(submit(store, "2023-09", bad), 0);
    assert_int_equal(drain(store, f->hub.endpoint, log), 1);
    const char *ex[] = {"audit", "export", "--store", f->hub.store, "--out",
                        at(f, "log.bca", exp, sizeof exp), NULL};
    assert_int_equal(bc_run_all("baocao", ex, NULL), 0);

    bc_hub_t other = BC_HUB_INIT;
    at(f, "other", dir2, sizeof dir2);
    assert_int_equal(mkdir(dir2, 0700), 0);
    bc_hub_start(&other, dir2, NULL, NULL);
    const char *rp[] = {"audit", "replay", exp, "--to", other.endpoint,
                        "--plain", NULL};
    char *out = NULL;
    int rc = bc_run_all("baocao", rp, &out);
    char *last = last_line(out);
    if (rc != 1 || !strstr(out, "1 stored")
        || !strstr(last, "2 rejected: unknown_indicator 2"))
        fail_msg("replay --to with 2 rejected: exit %d, last line: %s\n%s",
                 rc, last, out);
    free(last);
    free(out);
    /* Replayed again: all duplicates and the same two rejections. */
    rc = bc_run_all("baocao", rp, &out);
    if (rc != 1 || !strstr(out, "1 duplicate"))
        fail_msg("second replay: exit %d\n%s", rc, out);
    free(out);
    assert_int_equal(bc_hub_stop(&other), 0);
}

/* --- 4. errors that name the real cause ---------------------------------- */

static void test_handshake_messages(void **state)
{
    fixture_t *f = *state;
    bc_keygen(f->dir, "hub", NULL);
    bc_keygen(f->dir, "alice", NULL);
    char secret[4096], pub[4096], alice_pub[4096], alice_sec[4096];
    char dir2[4096], store[4096], good[4096], log[4096];
    at(f, "hub.secret", secret, sizeof secret);
    at(f, "hub.pub", pub, sizeof pub);
    at(f, "alice.pub", alice_pub, sizeof alice_pub);
    at(f, "alice.secret", alice_sec, sizeof alice_sec);
    at(f, "curve", dir2, sizeof dir2);
    assert_int_equal(mkdir(dir2, 0700), 0);
    bc_hub_t hub = BC_HUB_INIT;
    const char *extra[] = {"--curve-secret", secret, "--operator-key",
                           alice_pub, NULL};
    bc_hub_start(&hub, dir2, NULL, extra);

    struct {
        const char *what;        /* the mistake */
        const char *flags[4];    /* the client's security flags */
        const char *want;        /* in the message */
        const char *not_want;    /* never in it */
    } cases[] = {
        {"--plain against CURVE", {"--plain", NULL},
         "the hub requires encryption and --plain was given",
         "check the hub's public key"},
        {"--hub-key without --cert", {"--hub-key", pub, NULL},
         "no --cert was given", "is it registered at the hub?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[16] = {"query", "--hub", hub.endpoint, "--unit",
                                "HP-HB", "--period", "2023-12", "--timeout",
                                "5000"};
        size_t n = 9;
        for (size_t k = 0; cases[i].flags[k]; k++)
            argv[n++] = cases[i].flags[k];
        argv[n] = NULL;
        char *out = NULL;
        int rc = bc_run_all("baocao", argv, &out);
        if (rc != 1 || !strstr(out, cases[i].want)
            || strstr(out, cases[i].not_want))
            fail_msg("%s: exit %d:\n%s", cases[i].what, rc, out);
        free(out);
    }
    /* The operator's own key pair works. */
    const char *okq[] = {"query", "--hub", hub.endpoint, "--hub-key", pub,
                         "--cert", alice_sec, "--unit", "HP-HB", "--period",
                         "2023-12", NULL};
    assert_int_equal(bc_run_all("baocao", okq, NULL), 0);
    /* `baocao ping`, the healthcheck: 0 with a key the hub knows, 1 with
     * --plain against this CURVE hub (and it says why). */
    const char *pk[] = {"ping", "--hub", hub.endpoint, "--hub-key", pub,
                        "--cert", alice_sec, NULL};
    char *pout = NULL;
    assert_int_equal(bc_run_all("baocao", pk, &pout), 0);
    assert_non_null(strstr(pout, "answered in"));
    free(pout);
    const char *pp[] = {"ping", "--hub", hub.endpoint, "--plain",
                        "--timeout", "3000", NULL};
    assert_int_equal(bc_run_all("baocao", pp, &pout), 1);
    assert_non_null(strstr(pout, "the hub requires encryption"));
    free(pout);

    /* A node started with --plain against the CURVE hub: the log names
     * --plain, once, at ERROR, and no WARN line repeats it. */
    at(f, "node", store, sizeof store);
    at(f, "node.log", log, sizeof log);
    bc_write_file(at(f, "good.csv", good, sizeof good),
                  "indicator,value\nsdd_u5,100\n");
    assert_int_equal(submit(store, "2023-12", good), 0);
    const char *na[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                        hub.endpoint, "--plain", "--drain", "--max-seconds",
                        "3", "--backoff-min", "200", "--backoff-max", "800",
                        NULL};
    bc_proc_t p = bc_spawn("baocao-node", na, log);
    assert_int_equal(bc_wait(&p, 30000), 3);
    char *text = bc_read_text(log);
    if (bc_count_lines(text, "ERROR", "runs with --plain") != 1
        || bc_count_lines(text, "WARN", "handshake") != 0
        || strstr(text, "check --hub-key"))
        fail_msg("node --plain against CURVE:\n%s", text);
    free(text);
    /* And with --hub-key but no --cert: the missing --cert is named. */
    unlink(log);
    const char *nb[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                        hub.endpoint, "--hub-key", pub, "--drain",
                        "--max-seconds", "3", "--backoff-min", "200",
                        "--backoff-max", "800", NULL};
    p = bc_spawn("baocao-node", nb, log);
    assert_int_equal(bc_wait(&p, 30000), 3);
    text = bc_read_text(log);
    if (bc_count_lines(text, "ERROR", "no --cert was given") != 1
        || bc_count_lines(text, "WARN", "refused") != 0)
        fail_msg("node --hub-key without --cert:\n%s", text);
    free(text);
    assert_int_equal(bc_hub_stop(&hub), 0);
}

/* --- 6. what `query`, `status` and `submit` print ----------------------- */

static char *query_out(fixture_t *f, const char *const *more, int want_rc)
{
    const char *argv[24] = {"query", "--hub", f->hub.endpoint, "--plain",
                            "--unit", "HP-HB", "--period", "2023-12"};
    size_t n = 8;
    for (size_t k = 0; more && more[k]; k++)
        argv[n++] = more[k];
    argv[n] = NULL;
    char *out = NULL;
    int rc = bc_run_all("baocao", argv, &out);
    if (rc != want_rc)
        fail_msg("query: exit %d, expected %d:\n%s", rc, want_rc, out);
    return out;
}

static void test_output(void **state)
{
    fixture_t *f = *state;
    char store[4096], file[4096], one[4096], log[4096];
    at(f, "node", store, sizeof store);
    at(f, "node.log", log, sizeof log);
    bc_write_file(at(f, "r.csv", file, sizeof file),
                  "indicator,value\nsdd_u5,17492\nsdd_u2,2855\n"
                  "kcb_visits,1234567\n");
    bc_write_file(at(f, "one.csv", one, sizeof one),
                  "indicator,value\nsdd_u5,5\n");
    assert_int_equal(submit(store, "2023-12", file), 0);
    assert_int_equal(drain(store, f->hub.endpoint, log), 0);

    /* The table: rows with data only, digits grouped, and a word on what
     * was left out. */
    char *out = query_out(f, NULL, 0);
    if (!strstr(out, "17 492") || !strstr(out, "1 234 567")
        || strstr(out, "sxh_cases") || !strstr(out, "--all shows them"))
        fail_msg("default table:\n%s", out);
    free(out);
    const char *all[] = {"--all", NULL};
    out = query_out(f, all, 0);
    if (!strstr(out, "sxh_cases") || strstr(out, "--all shows them"))
        fail_msg("--all:\n%s", out);
    free(out);
    /* --programme: a part of the name, any case. */
    const char *prog[] = {"--programme", "sdd", NULL};
    out = query_out(f, prog, 0);
    if (!strstr(out, "sdd_u5") || strstr(out, "kcb_visits"))
        fail_msg("--programme sdd:\n%s", out);
    free(out);
    const char *noprog[] = {"--programme", "no such programme", NULL};
    out = query_out(f, noprog, 2);
    if (!strstr(out, "Khám chữa bệnh (KCB)"))
        fail_msg("unknown programme: %s", out);
    free(out);
    /* CSV: no data is an empty field, numbers are plain. */
    const char *csv[] = {"--format", "csv", NULL};
    out = query_out(f, csv, 0);
    if (!strstr(out, "sdd_u5,\"Trẻ dưới 5 tuổi được cân, đo\",17492,17492,,")
        || strstr(out, ",-,") || strstr(out, ",-\n"))
        fail_msg("csv:\n%s", out);
    free(out);
    /* JSON keeps every indicator and plain numbers, and names the
     * programme. */
    const char *json[] = {"--format", "json", NULL};
    out = query_out(f, json, 0);
    if (!strstr(out, "\"sxh_cases\"") || !strstr(out, "17492")
        || !strstr(out, "\"programme\":\t\"Phòng chống suy dinh dưỡng (SDD)\""))
        fail_msg("json:\n%s", out);
    free(out);

    /* Times: Vietnam's in the table, UTC in JSON. */
    const char *st[] = {"status", "--store", store, "--list", NULL};
    assert_int_equal(bc_run("baocao", st, &out), 0);
    if (!strstr(out, " +07") || strstr(out, "Z "))
        fail_msg("status table:\n%s", out);
    free(out);
    const char *sj[] = {"status", "--store", store, "--format", "json", NULL};
    assert_int_equal(bc_run("baocao", sj, &out), 0);
    if (strstr(out, "+07") || !strstr(out, "Z\""))
        fail_msg("status json:\n%s", out);
    free(out);

    /* Plurals. */
    const char *sub[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                         "--period", "2023-11", "--file", one, NULL};
    assert_int_equal(bc_run_all("baocao", sub, &out), 0);
    if (!strstr(out, "(1 figure)"))
        fail_msg("submit: %s", out);
    free(out);
    const char *dg[] = {"audit", "digest", "--store", f->hub.store, NULL};
    assert_int_equal(bc_run_all("baocao", dg, &out), 0);
    if (!strstr(out, " 1 current report "))
        fail_msg("digest: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_no_outbox,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_drain_rejection_exit,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_replay_rejection_exit,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_handshake_messages,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_output, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ping, bc_fixture_setup,
                                        bc_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.rough_edges", tests, NULL,
                                       NULL);
}
