/*
 * test_enroll.c -- enrolment without copying keys, against a real CURVE
 * hub: `baocao enroll` makes the node's key pair and prints a fingerprint;
 * the hub refuses the unknown key but records it; `baocao registry
 * approve-key` with the fingerprint read out writes it into the registry
 * and sends SIGHUP; the hub reloads its keys and the node delivers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_keys.h"
#include "bc_test.h"
#include "node_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char *dir;             /* temporary folder */
    bc_hub_t hub;          /* the CURVE hub */
    char units[4096];      /* its registry (rewritten by approve-key) */
} fixture_t;

static const char *file_in(fixture_t *f, const char *name)
{
    static char buf[4][4096];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 4096, "%s/%s", f->dir, name);
    return b;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("enroll");
    bc_hub_init(&f->hub);
    const char *names[] = {"hub", "alice"};
    for (int i = 0; i < 2; i++)
        bc_keygen(f->dir, names[i], NULL);
    snprintf(f->units, sizeof f->units, "%s", file_in(f, "units.csv"));
    bc_write_file(f->units,
                  "code,parent_code,level,name,reports,on_behalf,key\n"
                  "HP,,province,\"Hải Phòng, thành phố\",no,,\n"
                  "HP-HB,HP,district,Hồng Bàng,yes,yes,\n"
                  "HP-HB-QT,HP-HB,commune,Quán Toan,,,\n");
    char secret[4096], op[4096];
    snprintf(secret, sizeof secret, "%s", file_in(f, "hub.secret"));
    snprintf(op, sizeof op, "%s", file_in(f, "alice.pub"));
    const char *extra[] = {"--registry", f->units, "--curve-secret", secret,
                           "--operator-key", op, NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
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

static int run_node(fixture_t *f, const char *store, int max_s)
{
    char hubkey[4096], cert[4096], max[16];
    snprintf(hubkey, sizeof hubkey, "%s", file_in(f, "hub.pub"));
    snprintf(cert, sizeof cert, "%s/node.secret", store);
    snprintf(max, sizeof max, "%d", max_s);
    const char *argv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--hub-key", hubkey, "--cert",
                          cert, "--drain", "--max-seconds", max, "--timeout",
                          "1000", "--backoff-min", "100", "--backoff-max",
                          "300", NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, NULL);
    return bc_wait(&p, (max_s + 30) * 1000);
}

static void test_enroll_approve_deliver(void **state)
{
    fixture_t *f = *state;
    char store[4096];
    snprintf(store, sizeof store, "%s", file_in(f, "node-qt"));

    /* 1. The station: a key pair and a fingerprint to read out. */
    const char *enroll[] = {"enroll", "--store", store, "--unit", "HP-HB-QT",
                            NULL};
    char *fp = NULL;
    assert_int_equal(bc_run("baocao", enroll, &fp), 0);
    assert_int_equal(strlen(fp), 20);           /* XXXX-XXXX-XXXX-XXXX\n */
    fp[19] = 0;
    assert_true(fp[4] == '-' && fp[9] == '-' && fp[14] == '-');
    char pub[41], err[256], path[4200];
    snprintf(path, sizeof path, "%s/node.pub", store);
    assert_int_equal(bc_keys_public(path, pub, err, sizeof err), BC_OK);
    char want[20];
    bc_keys_fingerprint(pub, want);
    assert_string_equal(fp, want);
    struct stat st;
    snprintf(path, sizeof path, "%s/node.secret", store);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Enrolling again keeps the key (and says so). */
    assert_int_equal(bc_run("baocao", enroll, NULL), 1);

    /* 2. A report filed; the hub refuses the unknown key, records it. */
    node_outbox_t *o = node_outbox_open(store, err, sizeof err);
    assert_non_null(o);
    bc_report_value_t v = {"sxh_cases", true, 7, 0, 0};
    bc_report_t report = {&v, 1};
    uint8_t id[16];
    uint32_t rev;
    assert_int_equal(node_outbox_file(o, "HP-HB-QT", "2023-12", &report,
                                      1704067200, id, &rev), BC_OK);
    node_outbox_close(&o);
    assert_int_equal(run_node(f, store, 2), 3);   /* undelivered */
    char pending[4200];
    snprintf(pending, sizeof pending, "%s/pending-keys", f->hub.store);
    char *text = bc_read_text(pending);
    assert_non_null(text);
    assert_non_null(strstr(text, pub));
    free(text);

    /* 3. The operator: a wrong fingerprint approves nothing. */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int) f->hub.proc.pid);
    const char *wrong[] = {"registry", "approve-key", "--unit", "HP-HB-QT",
                           "--fingerprint", "0000-0000-0000-0000",
                           "--registry", f->units, "--pending", pending,
                           "--hub-pid", pid, NULL};
    assert_int_equal(bc_run("baocao", wrong, NULL), 1);
    text = bc_read_text(f->units);
    assert_null(strstr(text, pub));
    free(text);
    const char *bad[] = {"registry", "approve-key", "--unit", "HP-HB-QT",
                         "--fingerprint", "not-hex", "--registry", f->units,
                         "--pending", pending, NULL};
    assert_int_equal(bc_run("baocao", bad, NULL), 2);
    const char *nounit[] = {"registry", "approve-key", "--unit", "HP-XX",
                            "--fingerprint", fp, "--registry", f->units,
                            "--pending", pending, NULL};
    assert_int_equal(bc_run("baocao", nounit, NULL), 1);

    /* The right one (as read out: lower case, spaces) goes in. */
    char spoken[32];
    snprintf(spoken, sizeof spoken, "%.4s %.4s %.4s %.4s", fp, fp + 5,
             fp + 10, fp + 15);
    for (char *c = spoken; *c; c++)
        if (*c >= 'A' && *c <= 'F')
            *c = (char) (*c - 'A' + 'a');
    const char *approve[] = {"registry", "approve-key", "--unit", "HP-HB-QT",
                             "--fingerprint", spoken, "--registry", f->units,
                             "--pending", pending, "--hub-pid", pid, NULL};
    assert_int_equal(bc_run("baocao", approve, NULL), 0);
    bc_csv_t *csv = bc_csv_load(f->units, err, sizeof err);
    assert_non_null(csv);
    assert_int_equal(bc_csv_rows(csv), 3);
    assert_string_equal(bc_csv_field(csv, 2, bc_csv_column(csv, "key")), pub);
    assert_string_equal(bc_csv_field(csv, 0, bc_csv_column(csv, "name")),
                        "Hải Phòng, thành phố");   /* quoting kept */
    bc_csv_destroy(&csv);

    /* 4. The hub reloaded its keys on SIGHUP: the node delivers. */
    assert_int_equal(run_node(f, store, 20), 0);
    free(fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enroll_approve_deliver, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.enroll", tests, NULL,
                                       NULL);
}
