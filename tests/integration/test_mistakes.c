/*
 * test_mistakes.c -- the mistakes every new user makes (issue 23), against
 * the real programs: a real hub and real nodes over loopback ZeroMQ, LMDB
 * stores in a temporary folder, the `baocao` tool as staff type it.
 *
 *   - a partial correction is refused, then --merge keeps the other
 *     figures and --replace drops them; an identical one is not filed;
 *   - a second hub on a served store is refused and the first one goes on
 *     storing; a second node on an outbox likewise; a SIGKILLed hub
 *     restarts on its store;
 *   - handshake failures (wrong hub key, key not registered) are retried
 *     with the backoff, and logged once;
 *   - each setup mistake gets a message naming the real cause;
 *   - every program follows one exit code rule (0, 1, 2, 3);
 *   - the node's last line and `status` agree, and rejections can be
 *     marked seen.
 *
 * Each test failed on the code before the fix (see the commit message).
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
#include <unistd.h>

/* The shared fixture (bc_test.h): a folder and a plain hub in it. */
typedef bc_fixture_t fixture_t;

/* dir/name in a buffer of the caller's. */
static char *at(fixture_t *f, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", f->dir, name);
    return buf;
}

/* Runs `baocao submit` and returns its exit status; *out (may be NULL)
 * gets stdout and stderr. extra is one more flag, or NULL. */
static int submit(const char *store, const char *period, const char *file,
                  const char *extra, char **out)
{
    const char *argv[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                          "--period", period, "--file", file, extra, NULL};
    char *text = NULL;
    int rc = bc_run_all("baocao", argv, &text);
    if (out)
        *out = text;
    else
        free(text);
    return rc;
}

/* Runs a node until its outbox is delivered; returns its exit status. */
static int drain(const char *store, const char *unit, const char *endpoint,
                 const char *log)
{
    const char *argv[] = {"--store", store, "--unit", unit, "--hub",
                          endpoint, "--plain", "--drain", "--max-seconds",
                          "60", "--timeout", "2000", NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, log);
    return bc_wait(&p, 90000);
}

static bool value_of(fixture_t *f, const char *ind, int64_t *v)
{
    return bc_query_value(f->hub.endpoint, "HP-HB-QT", "2023-12", ind, v);
}

/* --- 1. corrections never drop a figure by surprise ---------------------- */

static void test_partial_correction(void **state)
{
    fixture_t *f = *state;
    char store[4096], full[4096], part[4096], part2[4096], log[4096];
    at(f, "node", store, sizeof store);
    at(f, "node.log", log, sizeof log);
    bc_write_file(at(f, "full.csv", full, sizeof full),
                  "indicator,value\nsdd_u5,100\nsdd_u2,50\nkcb_visits,7\n");
    bc_write_file(at(f, "part.csv", part, sizeof part),
                  "indicator,value\nkcb_visits,9\n");
    bc_write_file(at(f, "part2.csv", part2, sizeof part2),
                  "indicator,value\nkcb_visits,11\n");
    char *out = NULL;

    assert_int_equal(submit(store, "2023-12", full, NULL, NULL), 0);
    /* The same report again is not a new revision. */
    assert_int_equal(submit(store, "2023-12", full, NULL, &out), 0);
    assert_non_null(strstr(out, "identical to revision 1; nothing filed"));
    free(out);

    /* A correction holding only kcb_visits: refused, naming what it would
     * drop and the two ways out; nothing filed. */
    assert_int_equal(submit(store, "2023-12", part, NULL, &out), 1);
    assert_non_null(strstr(out, "sdd_u5"));
    assert_non_null(strstr(out, "sdd_u2"));
    assert_non_null(strstr(out, "--merge"));
    assert_non_null(strstr(out, "--replace"));
    assert_null(strstr(out, "filed HP-HB-QT"));
    free(out);
    assert_int_equal(drain(store, "HP-HB-QT", f->hub.endpoint, log), 0);
    int64_t v;
    assert_true(value_of(f, "kcb_visits", &v));
    assert_int_equal(v, 7);   /* the refused correction never left */

    /* --merge: the correction keeps sdd_u5 and sdd_u2 from revision 1. */
    assert_int_equal(submit(store, "2023-12", part, "--merge", &out), 0);
    assert_non_null(strstr(out, "revision 2"));
    assert_non_null(strstr(out, "2 kept from revision 1"));
    free(out);
    assert_int_equal(drain(store, "HP-HB-QT", f->hub.endpoint, log), 0);
    assert_true(value_of(f, "kcb_visits", &v));
    assert_int_equal(v, 9);
    assert_true(value_of(f, "sdd_u5", &v));
    assert_int_equal(v, 100);
    assert_true(value_of(f, "sdd_u2", &v));
    assert_int_equal(v, 50);
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2023-12", "sdd_u5",
                               &v));
    assert_int_equal(v, 100);   /* and its share of the district total */

    /* --replace: the user means it; sdd_u5 and sdd_u2 are gone. */
    assert_int_equal(submit(store, "2023-12", part2, "--replace", &out), 0);
    assert_non_null(strstr(out, "revision 3"));
    free(out);
    assert_int_equal(drain(store, "HP-HB-QT", f->hub.endpoint, log), 0);
    assert_true(value_of(f, "kcb_visits", &v));
    assert_int_equal(v, 11);
    assert_false(value_of(f, "sdd_u5", &v));
    assert_false(value_of(f, "sdd_u2", &v));
}

/* --- 2. one store, one daemon -------------------------------------------- */

static void test_second_hub_refused(void **state)
{
    fixture_t *f = *state;
    char log2[4096];
    at(f, "hub2.log", log2, sizeof log2);
    const char *argv[] = {"--store", f->hub.store, "--registry",
                          bc_source("data/units.csv"), NULL, NULL, NULL,
                          NULL, NULL, NULL};
    char reg[4096], cat[4096];
    snprintf(reg, sizeof reg, "%s", bc_source("data/units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_source("data/indicators.csv"));
    argv[3] = reg;
    argv[4] = "--catalog";
    argv[5] = cat;
    argv[6] = "--bind";
    argv[7] = "tcp://127.0.0.1:*";
    argv[8] = "--plain";
    bc_proc_t second = bc_spawn("baocao-hub", argv, log2);
    int rc = bc_wait(&second, 10000);
    if (rc < 0) {
        bc_stop(&second, SIGKILL, 5000);
        fail_msg("a second hub started on a served store");
    }
    assert_int_equal(rc, 1);
    char *text = bc_read_text(log2);
    char want[600];
    snprintf(want, sizeof want, "%s is in use by baocao-hub pid %d",
             f->hub.store, (int) f->hub.proc.pid);
    if (!strstr(text, want))
        fail_msg("expected '%s' in: %s", want, text);
    free(text);

    /* The first hub goes on storing, and answers. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-12",
                               1, 1704067200, "sdd_u5=776"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    int64_t v;
    assert_true(value_of(f, "sdd_u5", &v));
    assert_int_equal(v, 776);

    /* A SIGKILL leaves no stale lock: the hub restarts on its store. */
    char ep[128];
    snprintf(ep, sizeof ep, "%s", f->hub.endpoint);
    bc_hub_pause(&f->hub, SIGKILL);
    bc_hub_start(&f->hub, f->dir, ep, NULL);
    assert_true(value_of(f, "sdd_u5", &v));
    assert_int_equal(v, 776);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-11",
                               1, 1704067200, "sdd_u5=700"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
}

static void test_second_node_refused(void **state)
{
    fixture_t *f = *state;
    char store[4096], file[4096], log1[4096], log2[4096];
    at(f, "node", store, sizeof store);
    at(f, "node1.log", log1, sizeof log1);
    at(f, "node2.log", log2, sizeof log2);
    bc_write_file(at(f, "r.csv", file, sizeof file),
                  "indicator,value\nsdd_u5,100\n");
    /* A node that runs (its hub is a port nobody answers on). */
    const char *argv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                          "tcp://127.0.0.1:9", "--plain", "--max-seconds",
                          "60", NULL};
    bc_proc_t first = bc_spawn("baocao-node", argv, log1);
    char lockfile[4200];
    snprintf(lockfile, sizeof lockfile, "%s/daemon.lock", store);
    for (int i = 0; i < 500; i++) {
        char *t = bc_read_text(lockfile);
        bool held = strstr(t, "baocao-node") != NULL;
        free(t);
        if (held)
            break;
        usleep(10000);
    }
    bc_proc_t second = bc_spawn("baocao-node", argv, log2);
    int rc = bc_wait(&second, 10000);
    if (rc < 0)
        bc_stop(&second, SIGKILL, 5000);
    assert_int_equal(rc, 1);
    char *text = bc_read_text(log2);
    char want[4200];
    snprintf(want, sizeof want, "%s is in use by baocao-node pid %d", store,
             (int) first.pid);
    if (!strstr(text, want))
        fail_msg("expected '%s' in: %s", want, text);
    free(text);
    /* Filing and status keep working beside the running node. */
    assert_int_equal(submit(store, "2023-12", file, NULL, NULL), 0);
    const char *st[] = {"status", "--store", store, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", st, &out), 0);
    assert_non_null(strstr(out, "pending"));
    free(out);
    assert_int_equal(bc_stop(&first, SIGTERM, 10000), 0);
}

/* --- 3. backoff for every kind of link failure --------------------------- */

/* The delays of the "trying again in N ms" lines of a log, in order. */
static size_t retry_delays(const char *text, const char *why, long *ms,
                           size_t max)
{
    size_t n = 0;
    char needle[128];
    snprintf(needle, sizeof needle, "%s; trying again in ", why);
    for (const char *p = strstr(text, needle); p && n < max;
         p = strstr(p + 1, needle))
        ms[n++] = strtol(p + strlen(needle), NULL, 10);
    return n;
}

static bool status_shows_retry(void *arg)
{
    const char *argv[] = {"status", "--store", arg, "--format", "json", NULL};
    char *out = NULL;
    bc_run("baocao", argv, &out);
    bool ok = strstr(out, "handshake") && strstr(out, "\"next_retry\"");
    free(out);
    return ok;
}

static void test_handshake_backoff(void **state)
{
    fixture_t *f = *state;
    char keys[4][41];
    const char *names[4] = {"hub", "qt", "other", "stranger"};
    for (int i = 0; i < 4; i++)
        bc_keygen(f->dir, names[i], keys[i]);
    char units[4096], secret[4096], dir2[4096];
    bc_write_file(at(f, "units.csv", units, sizeof units), "");
    FILE *fp = fopen(units, "w");
    fprintf(fp, "code,parent_code,level,name,reports,on_behalf,key\n"
                "HP,,province,Hải Phòng,no,,\n"
                "HP-HB,HP,district,Hồng Bàng,,,\n"
                "HP-HB-QT,HP-HB,commune,Quán Toan,,,%s\n", keys[1]);
    fclose(fp);
    at(f, "curve", dir2, sizeof dir2);
    assert_int_equal(mkdir(dir2, 0700), 0);
    at(f, "hub.secret", secret, sizeof secret);
    bc_hub_t hub = BC_HUB_INIT;
    const char *extra[] = {"--registry", units, "--curve-secret", secret,
                           NULL};
    bc_hub_start(&hub, dir2, NULL, extra);

    /* Two nodes: one with a wrong --hub-key (another key pair's public
     * key), one whose key the hub does not know. */
    char st_wrong[4096], st_unreg[4096], log_wrong[4096], log_unreg[4096];
    char file[4096], wrong_pub[4096], hub_pub[4096], qt_sec[4096];
    char str_sec[4096];
    at(f, "node-wrong", st_wrong, sizeof st_wrong);
    at(f, "node-unreg", st_unreg, sizeof st_unreg);
    at(f, "node-wrong.log", log_wrong, sizeof log_wrong);
    at(f, "node-unreg.log", log_unreg, sizeof log_unreg);
    at(f, "other.pub", wrong_pub, sizeof wrong_pub);
    at(f, "hub.pub", hub_pub, sizeof hub_pub);
    at(f, "qt.secret", qt_sec, sizeof qt_sec);
    at(f, "stranger.secret", str_sec, sizeof str_sec);
    bc_write_file(at(f, "r.csv", file, sizeof file),
                  "indicator,value\nsdd_u5,100\n");
    assert_int_equal(submit(st_wrong, "2023-12", file, NULL, NULL), 0);
    assert_int_equal(submit(st_unreg, "2023-12", file, NULL, NULL), 0);
    const char *a1[] = {"--store", st_wrong, "--unit", "HP-HB-QT", "--hub",
                        hub.endpoint, "--hub-key", wrong_pub, "--cert",
                        qt_sec, "--drain", "--max-seconds", "8",
                        "--backoff-min", "200", "--backoff-max", "1600",
                        NULL};
    const char *a2[] = {"--store", st_unreg, "--unit", "HP-HB-QT", "--hub",
                        hub.endpoint, "--hub-key", hub_pub, "--cert",
                        str_sec, "--drain", "--max-seconds", "8",
                        "--backoff-min", "200", "--backoff-max", "1600",
                        NULL};
    bc_proc_t p1 = bc_spawn("baocao-node", a1, log_wrong);
    bc_proc_t p2 = bc_spawn("baocao-node", a2, log_unreg);
    /* While it backs off, status shows the error and the next retry. */
    assert_true(bc_eventually(status_shows_retry, st_wrong, 6000));
    assert_int_equal(bc_wait(&p1, 30000), 3);   /* time ran out */
    assert_int_equal(bc_wait(&p2, 30000), 3);
    bc_hub_stop(&hub);

    const char *logs[2] = {log_wrong, log_unreg};
    const char *words[2] = {"CURVE handshake with the hub failed",
                            "the hub refused this node's key"};
    for (int k = 0; k < 2; k++) {
        char *text = bc_read_text(logs[k]);
        /* Logged once, not 1.4 times a second. */
        if (bc_count_lines(text, "ERROR", words[k]) != 1)
            fail_msg("%d ERROR lines '%s' in 8 s:\n%s",
                     bc_count_lines(text, "ERROR", words[k]), words[k], text);
        /* Retried with the backoff: 200 ms doubling to 1600 ms (+-25 %)
         * is 6 to 9 tries in 8 s, where libzmq alone retries every
         * 200 ms (40 tries). */
        long ms[64];
        size_t n = retry_delays(text, "handshake failed", ms, 64);
        if (n < 4 || n > 10)
            fail_msg("%zu handshake retries in 8 s:\n%s", n, text);
        long base = 200;
        for (size_t i = 0; i < n; i++) {
            if (ms[i] < base * 3 / 4 || ms[i] > base * 5 / 4)
                fail_msg("retry %zu after %ld ms, expected %ld +-25%%", i,
                         ms[i], base);
            base = base * 2 > 1600 ? 1600 : base * 2;
        }
        free(text);
    }
}

/* --- 4. setup errors name the real cause --------------------------------- */

static void test_setup_messages(void **state)
{
    fixture_t *f = *state;
    char conf[4096], store[4096], file[4096], nodeconf[4096], log[4096];
    char *out = NULL;

    /* The config line that is wrong, with its own name. */
    bc_write_file(at(f, "s6.conf", conf, sizeof conf),
                  "a = 1\nb = 2\nc = 3\n");
    const char *a1[] = {"--config", conf, NULL};
    assert_int_equal(bc_run_all("baocao-node", a1, &out), 2);
    if (!strstr(out, "s6.conf:1: unknown option 'a'"))
        fail_msg("config message: %s", out);
    free(out);

    /* `submit --config node.conf` reads the node's file, skipping the
     * daemon-only keys. */
    at(f, "node", store, sizeof store);
    bc_write_file(at(f, "r.csv", file, sizeof file),
                  "indicator,value\nsdd_u5,100\n");
    FILE *fp = fopen(at(f, "node.conf", nodeconf, sizeof nodeconf), "w");
    fprintf(fp, "# the node's config file\nstore = %s\nunit = HP-HB-QT\n"
                "hub = %s\nplain = yes\nbackoff-max = 2000\n"
                "log-level = info\n", store, f->hub.endpoint);
    fclose(fp);
    const char *a2[] = {"submit", "--config", nodeconf, "--period", "2023-12",
                        "--file", file, NULL};
    assert_int_equal(bc_run_all("baocao", a2, &out), 0);
    if (!strstr(out, "filed HP-HB-QT 2023-12 revision 1"))
        fail_msg("submit --config: %s", out);
    free(out);
    const char *a3[] = {"status", "--config", nodeconf, NULL};
    assert_int_equal(bc_run_all("baocao", a3, &out), 0);
    free(out);

    /* A node whose --unit is not its outbox's unit refuses, naming both,
     * and delivers nothing. */
    at(f, "node.log", log, sizeof log);
    const char *a4[] = {"--store", store, "--unit", "HP-HB-XYZ", "--hub",
                        f->hub.endpoint, "--plain", "--drain",
                        "--max-seconds", "20", NULL};
    bc_proc_t p = bc_spawn("baocao-node", a4, log);
    assert_int_equal(bc_wait(&p, 30000), 2);
    char *text = bc_read_text(log);
    if (!strstr(text, "HP-HB-QT") || !strstr(text, "HP-HB-XYZ"))
        fail_msg("unit message: %s", text);
    free(text);
    int64_t v;
    assert_false(value_of(f, "sdd_u5", &v));
    /* The district centre's node, whose code the ward's extends, delivers
     * it: filing for one's wards needs no list. */
    const char *a5[] = {"--store", store, "--unit", "HP-HB", "--hub",
                        f->hub.endpoint, "--plain", "--drain",
                        "--max-seconds", "20", NULL};
    p = bc_spawn("baocao-node", a5, log);
    assert_int_equal(bc_wait(&p, 30000), 0);
    assert_true(value_of(f, "sdd_u5", &v));
    assert_int_equal(v, 100);

    /* CSV files as spreadsheets save them: each message shows the header
     * read and guesses the cause; the column names ignore case. */
    struct {
        const char *name;      /* file */
        const char *body;      /* its bytes */
        size_t len;            /* their count */
        const char *want;      /* in the message */
        const char *want2;     /* and this */
    } csv[] = {
        {"semi.csv", "indicator;value\nsdd_u5;1\n", 0, "indicator;value",
         "separator looks like ';'"},
        {"tab.csv", "indicator\tvalue\nsdd_u5\t1\n", 0, "indicator\\tvalue",
         "separator looks like a tab"},
        {"utf16.csv", "\xFF\xFEi\0n\0d\0i\0c\0a\0t\0o\0r\0,\0v\0a\0l\0u\0e\0"
                      "\n\0s\0\n\0", 38, "indicator,value", "UTF-16"},
        {"other.csv", "code,count\nsdd_u5,1\n", 0, "code,count",
         "missing indicator"},
    };
    for (size_t i = 0; i < sizeof csv / sizeof csv[0]; i++) {
        char path[4096];
        at(f, csv[i].name, path, sizeof path);
        fp = fopen(path, "wb");
        size_t len = csv[i].len ? csv[i].len : strlen(csv[i].body);
        assert_int_equal(fwrite(csv[i].body, 1, len, fp), len);
        fclose(fp);
        assert_int_equal(submit(store, "2023-11", path, NULL, &out), 2);
        if (!strstr(out, csv[i].want) || !strstr(out, csv[i].want2))
            fail_msg("%s: %s", csv[i].name, out);
        free(out);
    }
    char upper[4096];
    bc_write_file(at(f, "upper.csv", upper, sizeof upper),
                  "Indicator,VALUE\nsdd_u5,1\n");
    assert_int_equal(submit(store, "2023-11", upper, NULL, NULL), 0);
}

/* --- 5. one rule for exit codes ------------------------------------------ */

typedef struct {
    const char *prog;          /* program */
    const char *argv[16];      /* its arguments */
    int want;                  /* exit status */
} exit_case_t;

static void test_exit_codes(void **state)
{
    fixture_t *f = *state;
    char store[4096], file[4096], part[4096], reg[4096], cat[4096];
    char hubstore[4096], bad[4096];
    at(f, "node", store, sizeof store);
    at(f, "hub-other", hubstore, sizeof hubstore);
    bc_write_file(at(f, "r.csv", file, sizeof file),
                  "indicator,value\nsdd_u5,1\nsdd_u2,1\n");
    bc_write_file(at(f, "p.csv", part, sizeof part),
                  "indicator,value\nsdd_u5,2\n");
    bc_write_file(at(f, "bad.bca", bad, sizeof bad), "not a log\n");
    snprintf(reg, sizeof reg, "%s", bc_source("data/units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_source("data/indicators.csv"));
    const char *ep = f->hub.endpoint;
    assert_int_equal(submit(store, "2023-12", file, NULL, NULL), 0);

    const exit_case_t cases[] = {
        /* baocao */
        {"baocao", {NULL}, 2},
        {"baocao", {"--help", NULL}, 0},
        {"baocao", {"frobnicate", NULL}, 2},
        {"baocao", {"query", "--hub", ep, "--unit", "HP", "--period",
                    "2023-12", NULL}, 2},   /* neither --hub-key nor --plain */
        {"baocao", {"query", "--hub", ep, "--plain", "--unit", "HP",
                    "--period", "2023-12", NULL}, 0},
        {"baocao", {"query", "--hub", "tcp://127.0.0.1:9", "--plain",
                    "--unit", "HP", "--period", "2023-12", "--timeout",
                    "300", NULL}, 1},       /* nobody answers */
        {"baocao", {"query", "--plain", "--unit", "HP", "--period",
                    "2023-12", NULL}, 2},   /* no --hub */
        {"baocao", {"completeness", "--hub", ep, "--unit", "HP", "--period",
                    "2023-12", NULL}, 2},
        {"baocao", {"plan", "--hub", ep, "--unit", "HP", "--year", "2023",
                    "--file", file, NULL}, 2},
        {"baocao", {"query", "--bogus", NULL}, 2},
        {"baocao", {"stats", "--hub", ep, NULL}, 2},
        {"baocao", {"stats", "--hub", ep, "--plain", NULL}, 0},
        {"baocao", {"submit", "--store", store, NULL}, 2},
        {"baocao", {"submit", "--store", store, "--unit", "HP-HB-QT",
                    "--period", "2023-12", "--file", part, NULL}, 1},
        {"baocao", {"submit", "--store", store, "--unit", "HP-HB-QT",
                    "--period", "2023-12", "--file", part, "--merge",
                    "--replace", NULL}, 2},
        {"baocao", {"submit", "--store", store, "--unit", "HP-HB-QT",
                    "--period", "2023-13", "--file", file, NULL}, 2},
        {"baocao", {"status", "--store", store, NULL}, 0},
        {"baocao", {"status", "--format", "xml", "--store", store, NULL}, 2},
        {"baocao", {"audit", "verify", bad, NULL}, 1},
        {"baocao", {"keygen", NULL}, 2},
        {"baocao", {"backup", NULL}, 2},
        {"baocao", {"backup", "--store", store, "--out", f->hub.store,
                    NULL}, 1},              /* refuses to overwrite a store */
        {"baocao", {"--version", NULL}, 0},
        {"baocao-hub", {"--version", NULL}, 0},
        {"baocao-node", {"--version", NULL}, 0},
        {"baocao-flaky", {"--version", NULL}, 0},
        /* baocao-hub */
        {"baocao-hub", {"--help", NULL}, 0},
        {"baocao-hub", {"--bogus", NULL}, 2},
        {"baocao-hub", {"--store", hubstore, "--registry", reg, NULL}, 2},
        {"baocao-hub", {"--store", hubstore, "--registry", reg, "--catalog",
                        cat, "--bind", "tcp://127.0.0.1:*", NULL}, 2},
        {"baocao-hub", {"--store", f->hub.store, "--registry", reg,
                        "--catalog", cat, "--bind", "tcp://127.0.0.1:*",
                        "--plain", NULL}, 1},   /* store in use */
        /* baocao-node */
        {"baocao-node", {"--help", NULL}, 0},
        {"baocao-node", {"--bogus", NULL}, 2},
        {"baocao-node", {"--store", store, "--unit", "HP-HB-QT", "--hub", ep,
                         NULL}, 2},             /* neither key nor --plain */
        {"baocao-node", {"--store", store, "--unit", "HP-HB-QT", "--hub",
                         "tcp://127.0.0.1:9", "--plain", "--drain",
                         "--max-seconds", "1", NULL}, 3},
        {"baocao-node", {"--store", store, "--unit", "HP-HB-QT", "--hub", ep,
                         "--plain", "--drain", "--max-seconds", "30", NULL},
         0},
        /* baocao-flaky */
        {"baocao-flaky", {"--help", NULL}, 0},
        {"baocao-flaky", {"--bogus", NULL}, 2},
        {"baocao-flaky", {"--port-file", file, NULL}, 2},   /* no --target */
        {"baocao-flaky", {"--target", "127.0.0.1:9", "--port-file",
                          "/nonexistent/dir/port", NULL}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        int rc = bc_run_all(cases[i].prog, cases[i].argv, &out);
        if (rc != cases[i].want) {
            char cmd[1024] = "";
            for (const char *const *a = cases[i].argv; *a; a++)
                snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " %s",
                         *a);
            fail_msg("%s%s: exit %d, expected %d:\n%s", cases[i].prog, cmd,
                     rc, cases[i].want, out);
        }
        free(out);
    }
}

/* --- 6. the node's words ------------------------------------------------- */

static void test_last_line(void **state)
{
    fixture_t *f = *state;
    char store[4096], good[4096], bad[4096], log[4096];
    at(f, "node", store, sizeof store);
    at(f, "node.log", log, sizeof log);
    bc_write_file(at(f, "good.csv", good, sizeof good),
                  "indicator,value\nsdd_u5,100\n");
    bc_write_file(at(f, "bad.csv", bad, sizeof bad),
                  "indicator,value\nno_such_indicator,1\n");
    assert_int_equal(submit(store, "2023-11", good, NULL, NULL), 0);
    assert_int_equal(submit(store, "2023-12", good, NULL, NULL), 0);
    assert_int_equal(submit(store, "2023-10", bad, NULL, NULL), 0);
    assert_int_equal(submit(store, "2023-09", bad, NULL, NULL), 0);
    /* Rejections that need action fail the drain (issue 15). */
    assert_int_equal(drain(store, "HP-HB-QT", f->hub.endpoint, log), 1);

    char *text = bc_read_text(log);
    /* The last line: the three counts, and where to look. */
    const char *last = text + strlen(text);
    while (last > text && last[-1] == '\n')
        last--;
    while (last > text && last[-1] != '\n')
        last--;
    if (!strstr(last, "2 delivered, 2 rejected, 0 waiting")
        || !strstr(last, "baocao status --store")
        || !strstr(last, "--list") || strstr(last, "everything delivered"))
        fail_msg("last line: %s", last);
    /* An INFO line per burst of deliveries. */
    if (bc_count_lines(text, "INFO", "delivered ") < 1
        || !strstr(text, " rejected, 0 waiting"))
        fail_msg("no delivery line at INFO:\n%s", text);
    free(text);
    /* The hub logs deliveries at INFO too, at most once a second, so the
     * four answers may be spread over a few lines: add them up. */
    long stored = 0, rejected = 0;
    for (int i = 0; i < 50 && (stored != 2 || rejected != 2); i++) {
        if (i)
            usleep(100000);
        text = bc_read_text(f->hub.log);
        stored = rejected = 0;
        for (const char *p = strstr(text, "INFO  hub: stored "); p;
             p = strstr(p + 1, "INFO  hub: stored ")) {
            long s = 0, d = 0, r = 0;
            if (sscanf(p, "INFO  hub: stored %ld, %ld duplicates, %ld "
                          "rejected", &s, &d, &r) == 3) {
                stored += s;
                rejected += r;
            }
        }
        free(text);
    }
    assert_int_equal(stored, 2);
    assert_int_equal(rejected, 2);

    /* status: the rejections need action until marked seen; marking keeps
     * them on record. */
    const char *st[] = {"status", "--store", store, NULL};
    const char *ack[] = {"status", "--store", store, "--ack-rejected", NULL};
    const char *lst[] = {"status", "--store", store, "--list", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", st, &out), 0);
    if (!strstr(out, "2 need action") || !strstr(out, "unknown_indicator"))
        fail_msg("status: %s", out);
    free(out);
    assert_int_equal(bc_run_all("baocao", ack, &out), 0);
    assert_non_null(strstr(out, "marked 2"));
    free(out);
    assert_int_equal(bc_run("baocao", st, &out), 0);
    assert_null(strstr(out, "need action"));
    assert_non_null(strstr(out, "rejected    2"));
    free(out);
    assert_int_equal(bc_run("baocao", lst, &out), 0);
    assert_int_equal(bc_count_lines(out, "rejected (seen)", NULL), 2);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_partial_correction,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_second_hub_refused,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_second_node_refused,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_handshake_backoff,
                                        bc_fixture_setup, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_setup_messages, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_exit_codes, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_last_line, bc_fixture_setup,
                                        bc_fixture_teardown),
    };
    return cmocka_run_group_tests_name("integration.mistakes", tests, NULL,
                                       NULL);
}
