/*
 * test_backup.c -- hot backup and restore against a real hub and a real
 * outbox: a backup taken while reports keep arriving, the hub SIGKILLed,
 * the backup restored into a new folder, and a hub on it answering every
 * report acknowledged before the backup began, with its chain intact.
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
#include <sys/stat.h>

static const char *wards[9] = {"HP-HB-QT", "HP-HB-HV", "HP-HB-SD",
                               "HP-HB-TC", "HP-HB-TL", "HP-HB-HL",
                               "HP-HB-HVT", "HP-HB-PBC", "HP-HB-MK"};

/* Each test's state: a hub on the shipped registry in a temporary folder
 * (tests/support/bc_test.h). */
typedef bc_fixture_t fixture_t;

static int teardown(void **state)
{
    fixture_t *f = *state;
    bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Report number i (0..215): ward i % 9, month i / 9 from 2022-01, with a
 * figure that names it. */
static void report(int i, const char **unit, char period[16], int64_t *value)
{
    *unit = wards[i % 9];
    snprintf(period, 16, "%d-%02d", 2022 + i / 9 / 12, i / 9 % 12 + 1);
    *value = 1000 + i;
}

static void submit_range(const char *ep, int from, int to)
{
    for (int i = from; i < to; i++) {
        const char *unit;
        char period[16], values[64];
        int64_t v;
        report(i, &unit, period, &v);
        snprintf(values, sizeof values, "sxh_cases=%lld", (long long) v);
        assert_int_equal(bc_submit(ep, NULL, unit, period, 1, 1704067200,
                                   values),
                         BAOCAO__ACK_STATUS__ACK_STORED);
    }
}

static void test_backup_under_load_then_restore(void **state)
{
    fixture_t *f = *state;
    const int before = 108, total = 216;
    submit_range(f->hub.endpoint, 0, before);

    /* The backup runs while the next reports arrive. */
    char backup[4096];
    snprintf(backup, sizeof backup, "%s", bc_path(f->dir, "copies/backup"));
    char log[4096];
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "backup.log"));
    const char *bargv[] = {"backup", "--store", f->hub.store, "--out", backup,
                           NULL};
    bc_proc_t b = bc_spawn("baocao", bargv, log);
    submit_range(f->hub.endpoint, before, total);
    assert_int_equal(bc_wait(&b, 60000), 0);

    /* The hub dies; the store it leaves is not used again. */
    bc_stop(&f->hub.proc, SIGKILL, 10000);

    char dir2[2048];
    snprintf(dir2, sizeof dir2, "%s", bc_path(f->dir, "restored"));
    assert_int_equal(mkdir(dir2, 0700), 0);
    char into[4096];
    snprintf(into, sizeof into, "%s/hub", dir2);
    const char *rargv[] = {"restore", "--from", backup, "--store", into,
                           NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", rargv, &out), 0);
    assert_non_null(strstr(out, "chain intact"));
    free(out);

    bc_hub_t restored = BC_HUB_INIT;
    bc_hub_start(&restored, dir2, NULL, NULL);
    for (int i = 0; i < before; i++) {
        const char *unit;
        char period[16];
        int64_t want, got = 0;
        report(i, &unit, period, &want);
        assert_true(bc_query_value(restored.endpoint, unit, period,
                                   "sxh_cases", &got));
        assert_int_equal(got, want);
    }
    /* The restored hub takes new reports, and its log still verifies. */
    assert_int_equal(bc_submit(restored.endpoint, NULL, "HP-HB-QT", "2024-01",
                               1, 1706745600, "sxh_cases=7"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    bc_hub_stop(&restored);
    const char *vargv[] = {"audit", "verify", "--store", into, NULL};
    assert_int_equal(bc_run("baocao", vargv, NULL), 0);
}

static void test_backup_refuses_what_it_should(void **state)
{
    fixture_t *f = *state;
    submit_range(f->hub.endpoint, 0, 3);
    char backup[4096];
    snprintf(backup, sizeof backup, "%s", bc_path(f->dir, "b1"));
    const char *argv[] = {"backup", "--store", f->hub.store, "--out", backup,
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    /* 3 reports and the registry version the hub logs first (issue 12). */
    assert_non_null(strstr(out, "4 log entries"));
    free(out);
    /* Never over an existing store. */
    assert_int_equal(bc_run("baocao", argv, NULL), 1);
    /* No store where it should be: bad usage, and nothing is created. */
    char typo[4096];
    snprintf(typo, sizeof typo, "%s", bc_path(f->dir, "typo"));
    const char *targv[] = {"backup", "--store", typo, "--out",
                           bc_path(f->dir, "b2"), NULL};
    assert_int_equal(bc_run("baocao", targv, NULL), 2);
    struct stat st;
    assert_int_not_equal(stat(typo, &st), 0);
    /* Restore into a folder that holds a store: refused. */
    const char *rargv[] = {"restore", "--from", backup, "--store",
                           f->hub.store, NULL};
    assert_int_equal(bc_run("baocao", rargv, NULL), 1);
}

static void test_node_outbox_backup(void **state)
{
    fixture_t *f = *state;
    /* A node store several missing folders deep: created, parents too. */
    char store[4096], csv[4096], copy[4096];
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "a/b/c/outbox"));
    snprintf(csv, sizeof csv, "%s", bc_path(f->dir, "r.csv"));
    snprintf(copy, sizeof copy, "%s", bc_path(f->dir, "outbox-copy"));
    bc_write_file(csv, "indicator,value\nsxh_cases,4\n");
    const char *sargv[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                           "--period", "2023-05", "--file", csv, NULL};
    assert_int_equal(bc_run("baocao", sargv, NULL), 0);
    const char *argv[] = {"backup", "--store", store, "--out", copy, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_non_null(strstr(out, "node outbox"));
    assert_non_null(strstr(out, "1 reports (1 pending"));
    free(out);
    const char *targv[] = {"status", "--store", copy, NULL};
    out = NULL;
    assert_int_equal(bc_run("baocao", targv, &out), 0);
    assert_non_null(strstr(out, "pending     1"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup_under_load_then_restore,
                                        bc_fixture_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backup_refuses_what_it_should,
                                        bc_fixture_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_node_outbox_backup,
                                        bc_fixture_setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.backup", tests, NULL,
                                       NULL);
}
