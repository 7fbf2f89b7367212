/*
 * test_filing.c -- issue #11, item 3: checks at filing, offline. A real
 * hub started with --rules, a real node that fetches its copy of the
 * hub's catalogue, rules and limits into its real LMDB store folder, then
 * `baocao submit` and the station's form with the hub stopped:
 *
 *   - an error rule is refused at once, exit 1, nothing in the outbox,
 *     the rule named with both values;
 *   - an unknown indicator, a negative and a fractional count are refused
 *     with their line; a warning rule is shown and the report filed;
 *   - a node that never reached the hub files and warns it could not
 *     check (a negative count is refused all the same);
 *   - a stale copy (the hub's rules reloaded on SIGHUP since) files a
 *     report the hub then rejects with REASON_VALIDATION, which the node
 *     shows; the fresh copy the drain brings back refuses it at once;
 *   - the form answers an error rule next to each field it names, before
 *     anything is filed; `baocao import` makes it a conflict.
 *
 * On the code before this change each fails: the catalogue reply had no
 * rules nor stamp, the node kept no copy, and `submit` filed all of these
 * reports with exit 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"
#include "node_outbox.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub under test */
    bool hub_down;      /* stopped by the test */
    char store[600];    /* the node's outbox folder */
    char rules[600];    /* the hub's --rules file */
} fixture_t;

static char *shipped_rules(void)
{
    FILE *in = fopen(bc_source("data/rules.csv"), "rb");
    assert_non_null(in);
    char *text = calloc(1, 1 << 16);
    size_t len = fread(text, 1, (1 << 16) - 1, in);
    fclose(in);
    assert_true(len > 0);
    return text;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("filing");
    snprintf(f->store, sizeof f->store, "%s/node", f->dir);
    snprintf(f->rules, sizeof f->rules, "%s/rules.csv", f->dir);
    char *rules = shipped_rules();
    bc_write_file(f->rules, rules);
    free(rules);
    const char *extra[] = {"--rules", f->rules, NULL};
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (!f->hub_down)
        assert_int_equal(bc_hub_stop(&f->hub), 0);
    else
        bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static bool copy_exists(void *arg)
{
    const fixture_t *f = arg;
    return access(bc_path(f->store, "hub-copy.pb"), R_OK) == 0;
}

typedef struct {
    const char *log;     /* a node's log */
    const char *line;    /* a line to wait for */
} log_wait_t;

static bool log_has(void *arg)
{
    const log_wait_t *w = arg;
    return bc_file_contains(w->log, w->line);
}

/* Runs a node until it holds a copy (or, with `line`, until its log
 * says it), then stops it. */
static void fetch_copy(fixture_t *f, const char *log, const char *line)
{
    const char *argv[] = {"--store", f->store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--plain", "--log-level", "debug",
                          NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, log);
    if (line) {
        log_wait_t w = {log, line};
        assert_true(bc_eventually(log_has, &w, 20000));
    } else {
        assert_true(bc_eventually(copy_exists, f, 20000));
    }
    assert_int_equal(bc_stop(&p, SIGTERM, 10000), 0);
}

/* `baocao submit` of `csv` for HP-HB-QT; returns its exit status and what
 * it said in *out (caller frees). */
static int submit(fixture_t *f, const char *period, const char *csv,
                  char **out)
{
    const char *file = bc_path(f->dir, "report.csv");
    bc_write_file(file, csv);
    const char *argv[] = {"submit", "--store", f->store, "--unit",
                          "HP-HB-QT", "--period", period, "--file", file,
                          NULL};
    return bc_run_all("baocao", argv, out);
}

/* Reports in the node's outbox, whatever their state. */
static uint64_t outbox_count(const fixture_t *f)
{
    char err[256];
    node_outbox_t *o = node_outbox_open(f->store, err, sizeof err);
    assert_non_null(o);
    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), 0);
    node_outbox_close(&o);
    return st.pending + st.in_flight + st.delivered + st.rejected;
}

static void expect_in(const char *out, const char *needle)
{
    if (!strstr(out, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, out);
}

/* The case, offline: the node fetched its copy, the hub is gone,
 * and 500 under-2s against 100 under-5s is refused at once. */
static void test_error_rule_refused_offline(void **state)
{
    fixture_t *f = *state;
    fetch_copy(f, NULL, NULL);
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    f->hub_down = true;
    char *out = NULL;
    assert_int_equal(submit(f, "2025-09", "indicator,value\nsdd_u5,100\n"
                                          "sdd_u2,500\n", &out), 1);
    expect_in(out, "u2_le_u5: sdd_u2 (500) <= sdd_u5 (100)");
    expect_in(out, "Children under 2 are children under 5 too");
    expect_in(out, "nothing filed");
    free(out);
    assert_int_equal(outbox_count(f), 0);

    /* Unknown indicator, negative and fractional counts: each named with
     * its line, all at once. */
    assert_int_equal(submit(f, "2025-09", "indicator,value\nsdd_u5,100\n"
                                          "no_such,3\nsxh_cases,-3\n"
                                          "births,2.5\n", &out), 1);
    expect_in(out, "report.csv:3: unknown indicator 'no_such'");
    expect_in(out, "report.csv:4: sxh_cases is a count: -3 is negative");
    expect_in(out, "report.csv:5: births is a count: 2.5 is not a whole");
    expect_in(out, "3 problems");
    free(out);
    /* A rate is computed by the hub. */
    assert_int_equal(submit(f, "2025-09", "indicator,value\n"
                                          "tcmr_full_rate,90\n", &out), 1);
    expect_in(out, "tcmr_full_rate is a rate");
    free(out);
    assert_int_equal(outbox_count(f), 0);

    /* `baocao import` (a DHIS2 CSV) checks each report the same way: a
     * conflict, nothing filed. */
    const char *dv = bc_path(f->dir, "values.csv");
    bc_write_file(dv, "dataelement,period,orgunit,catoptcombo,attroptcombo,"
                      "value\nsdd_u5,202509,HP-HB-QT,,,100\n"
                      "sdd_u2,202509,HP-HB-QT,,,500\n");
    const char *iargv[] = {"import", "--store", f->store, "--file", dv, NULL};
    assert_int_equal(bc_run_all("baocao", iargv, &out), 1);
    expect_in(out, "VALIDATION_RULE");
    expect_in(out, "u2_le_u5: sdd_u2 (500) <= sdd_u5 (100)");
    free(out);
    assert_int_equal(outbox_count(f), 0);

    /* A warning rule is shown and the report filed. */
    assert_int_equal(submit(f, "2025-09", "indicator,value\n"
                                          "kcb_inpatient_days,500\n"
                                          "kcb_bed_days,100\n", &out), 0);
    expect_in(out, "warning: rule bed_days_occupancy");
    expect_in(out, "(500) <= kcb_bed_days (100)");
    expect_in(out, "filed HP-HB-QT 2025-09 revision 1");
    free(out);
    assert_int_equal(outbox_count(f), 1);
}

/* Never connected: filed as before, with a word that it was not checked;
 * what needs no catalogue is refused all the same. */
static void test_never_connected_files_and_warns(void **state)
{
    fixture_t *f = *state;
    char *out = NULL;
    assert_int_equal(submit(f, "2025-09", "indicator,value\nsdd_u5,100\n"
                                          "sdd_u2,500\n", &out), 0);
    expect_in(out, "could not check the report against the hub's "
                   "catalogue and rules");
    expect_in(out, "filed HP-HB-QT 2025-09 revision 1");
    free(out);
    assert_int_equal(outbox_count(f), 1);
    assert_int_equal(submit(f, "2025-10", "indicator,value\n"
                                          "sxh_cases,-3\n", &out), 1);
    expect_in(out, "report.csv:2: sxh_cases is a count: -3 is negative");
    free(out);
    /* A period that has not started: the hub would refuse it too. */
    assert_int_equal(submit(f, "2999-01", "indicator,value\n"
                                          "sxh_cases,3\n", &out), 1);
    expect_in(out, "period 2999-01 has not started yet");
    free(out);
    assert_int_equal(outbox_count(f), 1);
}

static void each_rejected(void *arg, const node_entry_t *e)
{
    node_entry_t *found = arg;
    if (e->state == NODE_REJECTED)
        *found = *e;
}

/* A stale copy: the hub's rules changed (SIGHUP) after the node fetched
 * them. The node files what its copy allows; the hub refuses it with
 * REASON_VALIDATION, which the node shows; the drain brings the new copy
 * back and the same report is then refused at filing. A node asking again
 * with a current stamp is told "unchanged". */
static void test_stale_copy_rejected_by_hub(void **state)
{
    fixture_t *f = *state;
    fetch_copy(f, NULL, NULL);
    /* Asked again with its stamp: unchanged, the copy kept as it was. */
    const char *log = bc_path(f->dir, "node2.log");
    fetch_copy(f, log, "copy of the hub's catalogue and rules is current");
    assert_false(bc_file_contains(log, "kept in"));

    char *rules = shipped_rules();
    char *more = calloc(1, strlen(rules) + 200);
    sprintf(more, "%ssxh_cap,sxh_cases,<=,10,error,More than 10 dengue "
                  "cases: report it by phone first\n", rules);
    bc_write_file(f->rules, more);
    free(more);
    free(rules);
    assert_int_equal(kill(f->hub.proc.pid, SIGHUP), 0);
    for (int i = 0; i < 100 && !bc_file_contains(f->hub.log,
                                                 "rules reloaded"); i++)
        usleep(50000);
    assert_true(bc_file_contains(f->hub.log, "rules reloaded"));

    char *out = NULL;
    assert_int_equal(submit(f, "2025-09", "indicator,value\nsxh_cases,50\n",
                            &out), 0);
    expect_in(out, "filed HP-HB-QT 2025-09 revision 1");
    free(out);
    const char *nargv[] = {"--store", f->store, "--unit", "HP-HB-QT", "--hub",
                           f->hub.endpoint, "--plain", "--drain",
                           "--max-seconds", "60", "--timeout", "2000", NULL};
    bc_proc_t p = bc_spawn("baocao-node", nargv, NULL);
    /* A rejection that needs action fails the drain. */
    assert_int_equal(bc_wait(&p, 90000), 1);

    char err[256];
    node_outbox_t *o = node_outbox_open(f->store, err, sizeof err);
    assert_non_null(o);
    node_entry_t e = {0};
    assert_int_equal(node_outbox_each(o, each_rejected, &e), 0);
    node_outbox_close(&o);
    assert_int_equal(e.state, NODE_REJECTED);
    assert_int_equal(e.reason, BAOCAO__REJECT_REASON__REASON_VALIDATION);
    expect_in(e.message, "sxh_cap: sxh_cases (50) <= 10 (10)");
    /* The node shows it to staff. */
    const char *sargv[] = {"status", "--store", f->store, NULL};
    assert_int_equal(bc_run_all("baocao", sargv, &out), 0);
    expect_in(out, "sxh_cap");
    free(out);

    /* The drain brought the new copy: refused at once now. */
    assert_int_equal(submit(f, "2025-09", "indicator,value\nsxh_cases,50\n",
                            &out), 1);
    expect_in(out, "sxh_cap: sxh_cases (50) <= 10 (10)");
    free(out);
}

/* --- the station's form, over HTTP ---------------------------------------- */

typedef struct {
    const char *path;    /* the form's URL file */
    int port;            /* read from it */
} form_url_t;

static bool form_url(void *arg)
{
    form_url_t *u = arg;
    return (u->port = bc_url_file_port(u->path)) > 0;
}

static const char *field(cJSON *doc, const char *obj, const char *name)
{
    cJSON *o = cJSON_GetObjectItem(doc, obj);
    cJSON *v = o ? cJSON_GetObjectItem(o, name) : NULL;
    return v ? cJSON_GetStringValue(v) : NULL;
}

/* The first process whose parent is pid (from /proc/N/stat), or 0. */
static pid_t child_of(pid_t pid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t found = 0;
    while (d && !found && (e = readdir(d))) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        const char *close = strrchr(buf, ')');
        int ppid;
        if (close && sscanf(close + 1, " %*c %d", &ppid) == 1 && ppid == pid)
            found = (pid_t) atoi(e->d_name);
    }
    if (d)
        closedir(d);
    return found;
}

/* Whether a file whose path holds `name` is mapped into process pid. */
static bool maps_file(pid_t pid, const char *name)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/maps", (int) pid);
    FILE *fp = fopen(path, "r");
    bool found = false;
    while (fp && !found && fgets(line, sizeof line, fp))
        found = strstr(line, name) != NULL;
    if (fp)
        fclose(fp);
    return found;
}

/* The form: an error rule next to both fields it names, with the
 * values, and nothing filed; a negative next to its field; a warning
 * files. The hub is stopped: the copy does it alone. */
static void test_form_shows_rule_next_to_field(void **state)
{
    fixture_t *f = *state;
    fetch_copy(f, NULL, NULL);
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    f->hub_down = true;
    form_url_t u = {bc_path(f->dir, "form.url"), 0};
    char urlfile[600];
    snprintf(urlfile, sizeof urlfile, "%s", u.path);
    u.path = urlfile;
    const char *argv[] = {"--store", f->store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--plain", "--form",
                          "127.0.0.1:0", "--form-url-file", urlfile, NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv,
                           bc_path(f->dir, "form.log"));
    assert_true(bc_eventually(form_url, &u, 20000));
    /* The form is baocao-node-form in the node's child: the HTTP server
     * and its TLS library are in the form, never in the daemon that
     * delivers (node_form.h). */
    pid_t form = child_of(p.pid);
    assert_true(form > 0);
    assert_true(maps_file(form, "libmicrohttpd"));
    assert_false(maps_file(p.pid, "libmicrohttpd"));
    assert_false(maps_file(p.pid, "libgnutls"));
    cJSON *doc = NULL;
    /* Its fields come from the copy, once the form's own ask of the hub
     * (which is down) has failed: 503 until then. */
    int st = 0;
    for (int i = 0; i < 200 && st != 200; i++) {
        st = bc_form_request(u.port, "GET", "/api/form", NULL, &doc);
        cJSON_Delete(doc);
        if (st != 200)
            usleep(100000);
    }
    assert_int_equal(st, 200);

    assert_int_equal(bc_form_request(u.port, "POST", "/api/file",
                          "period=2025-09&sdd_u5=100&sdd_u2=500", &doc), 400);
    const char *u2 = field(doc, "errors", "sdd_u2");
    const char *u5 = field(doc, "errors", "sdd_u5");
    if (!u2 || !strstr(u2, "u2_le_u5: sdd_u2 (500) <= sdd_u5 (100)")
        || !u5 || !strstr(u5, "u2_le_u5"))
        fail_msg("rule not next to its fields: %s",
                 cJSON_PrintUnformatted(doc));
    cJSON_Delete(doc);

    assert_int_equal(bc_form_request(u.port, "POST", "/api/file",
                          "period=2025-09&sxh_cases=-3", &doc), 400);
    const char *neg = field(doc, "errors", "sxh_cases");
    assert_non_null(neg);
    expect_in(neg, "âm");
    cJSON_Delete(doc);
    assert_int_equal(outbox_count(f), 0);

    assert_int_equal(bc_form_request(u.port, "POST", "/api/file",
                          "period=2025-09&kcb_inpatient_days=500&"
                          "kcb_bed_days=100", &doc), 200);
    const char *w = field(doc, "warnings", "kcb_bed_days");
    assert_non_null(w);
    expect_in(w, "bed_days_occupancy");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "checked")));
    cJSON_Delete(doc);
    assert_int_equal(bc_stop(&p, SIGTERM, 10000), 0);
    assert_int_equal(outbox_count(f), 1);
}

/* baocao-node-form alone, on the station's own node.conf: the node's
 * other settings in the file are skipped (not refused), the form serves
 * and files into the outbox, and a node-only flag on its command line is
 * refused, naming why. */
static void test_form_alone_reads_node_conf(void **state)
{
    fixture_t *f = *state;
    char url[600], conf[600], text[3000];
    snprintf(url, sizeof url, "%s", bc_path(f->dir, "alone.url"));
    snprintf(conf, sizeof conf, "%s", bc_path(f->dir, "node.conf"));
    snprintf(text, sizeof text,
             "store = %s\nunit = HP-HB-QT\nhub = %s\nplain = true\n"
             "backoff-max = 5000\nwindow = 8\nform = 127.0.0.1:0\n"
             "form-url-file = %s\ncatalog = %s\n",
             f->store, f->hub.endpoint, url,
             bc_source("data/indicators.csv"));
    bc_write_file(conf, text);
    const char *argv[] = {"--config", conf, NULL};
    bc_proc_t p = bc_spawn("baocao-node-form", argv,
                           bc_path(f->dir, "alone.log"));
    form_url_t u = {url, 0};
    assert_true(bc_eventually(form_url, &u, 20000));
    cJSON *doc = NULL;
    assert_int_equal(bc_form_request(u.port, "POST", "/api/file",
                                     "period=2025-09&sxh_cases=4", &doc),
                     200);
    cJSON_Delete(doc);
    assert_int_equal(bc_stop(&p, SIGTERM, 10000), 0);
    assert_int_equal(outbox_count(f), 1);

    const char *bad[] = {"--config", conf, "--window", "3", NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao-node-form", bad, &out), 2);
    expect_in(out, "another program's option");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_error_rule_refused_offline,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_connected_files_and_warns,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_copy_rejected_by_hub,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_form_shows_rule_next_to_field,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_form_alone_reads_node_conf,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
