/*
 * test_full_disk.c -- a node whose disk fills up: `baocao submit` refuses
 * in time, with words that name the disk, and the daemon still records
 * every answer of the hub; nothing filed is lost.
 *
 * The outbox lives on a small tmpfs mounted for the test (16 MiB), filled
 * with a filler file to below submit's reserve (NODE_OUTBOX_RESERVE).
 * Mounting needs root (CI runs as root); otherwise the test is skipped
 * with a message. Half the reports name an unknown indicator, so that
 * most answers are rejections whose messages the outbox has to record:
 * the case that stalled a node on a full disk (issue #22).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_mem.h"
#include "bc_test.h"
#include "node_outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define GOOD 10                /* reports the hub stores */
#define BAD 10                 /* reports it rejects (unknown indicator) */

typedef struct {
    char *dir;                 /* temporary folder (not on the tmpfs) */
    char mnt[600];             /* the tmpfs mount point */
    bool mounted;              /* to unmount in teardown */
    char store[700];           /* the outbox, on the tmpfs */
    char filler[700];          /* the file that eats the space */
    bc_hub_t hub;              /* the hub (store outside the tmpfs) */
    bc_proc_t node;            /* the node daemon */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir("full-disk");
    bc_hub_init(&f->hub);
    snprintf(f->mnt, sizeof f->mnt, "%s/disk", f->dir);
    snprintf(f->store, sizeof f->store, "%s/node", f->mnt);
    snprintf(f->filler, sizeof f->filler, "%s/filler", f->mnt);
    assert_int_equal(mkdir(f->mnt, 0750), 0);
    if (geteuid() == 0
        && mount("tmpfs", f->mnt, "tmpfs", 0, "size=16m,mode=0750") == 0)
        f->mounted = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f->node.pid)
        bc_stop(&f->node, SIGKILL, 5000);
    bc_hub_stop(&f->hub);
    if (f->mounted && umount2(f->mnt, MNT_DETACH) != 0)
        fprintf(stderr, "cannot unmount %s: %s\n", f->mnt, strerror(errno));
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static uint64_t disk_free(fixture_t *f)
{
    struct statvfs sv;
    assert_int_equal(statvfs(f->mnt, &sv), 0);
    return (uint64_t) sv.f_bavail * sv.f_frsize;
}

/* Grows the filler until `leave` bytes are free on the tmpfs. */
static void fill_to(fixture_t *f, uint64_t leave)
{
    uint64_t avail = disk_free(f);
    struct stat st;
    off_t have = stat(f->filler, &st) == 0 ? st.st_size : 0;
    off_t size = have + (off_t) (avail > leave ? avail - leave : 0);
    int fd = open(f->filler, O_WRONLY | O_CREAT, 0640);
    assert_true(fd >= 0);
    assert_int_equal(posix_fallocate(fd, 0, size), 0);
    close(fd);
}

/* Runs `baocao submit`, its stderr appended to log; returns its status. */
static int submit(fixture_t *f, const char *period, const char *csv,
                  const char *log)
{
    const char *argv[] = {"submit", "--store", f->store, "--unit", "HP-HB-QT",
                          "--period", period, "--file", csv, NULL};
    bc_proc_t p = bc_spawn("baocao", argv, log);
    return bc_wait(&p, 30000);
}

static bool file_has(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, fp))
        found = strstr(line, needle) != NULL;
    fclose(fp);
    return found;
}

static void outbox_stats(fixture_t *f, node_stats_t *st)
{
    char err[256];
    node_outbox_t *o = node_outbox_open(f->store, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(node_outbox_stats(o, st), BC_OK);
    node_outbox_close(&o);
}

static int run_node(fixture_t *f, const char *log)
{
    const char *argv[] = {"--store", f->store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--plain", "--drain",
                          "--max-seconds", "30", "--window", "4",
                          "--backoff-min", "100", "--backoff-max", "500",
                          "--log-level", "info", NULL};
    f->node = bc_spawn("baocao-node", argv, log);
    return bc_wait(&f->node, 40000);
}

/* Births at HP-HB-QT, 2023 to December, as the hub sums them. */
static int64_t year_to_date(fixture_t *f)
{
    Baocao__Reply *r = bc_query(f->hub.endpoint, "HP-HB-QT", "2023-12");
    const Baocao__Figure *fig = bc_figure(r, "births");
    assert_non_null(fig);
    int64_t v = fig->cumulative->value;
    baocao__reply__free_unpacked(r, NULL);
    return v;
}

static void test_full_disk(void **state)
{
    fixture_t *f = *state;
    if (!f->mounted) {
        fprintf(stderr, "SKIPPED: mounting a small tmpfs needs root (and "
                "CAP_SYS_ADMIN); run the test as root to try a full disk\n");
        skip();
    }
    char good[700], bad[700], log[700], nodelog[700];
    snprintf(good, sizeof good, "%s/good.csv", f->dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", f->dir);
    snprintf(log, sizeof log, "%s/submit.log", f->dir);
    snprintf(nodelog, sizeof nodelog, "%s/node.log", f->dir);
    bc_write_file(good, "indicator,value\nbirths,7\n");
    bc_write_file(bad, "indicator,value\nno_such_indicator,1\n");

    /* Reports filed while the disk has room. */
    for (int m = 1; m <= GOOD; m++) {
        char period[16];
        snprintf(period, sizeof period, "2023-%02d", m);
        assert_int_equal(submit(f, period, good, log), 0);
    }
    for (int m = 1; m <= BAD; m++) {
        char period[16];
        snprintf(period, sizeof period, "2022-%02d", m);
        assert_int_equal(submit(f, period, bad, log), 0);
    }

    /* The disk fills up (something else on it grew): 1 MiB left, less
     * than submit keeps for the daemon. Filing is refused, in words that
     * name the disk, and nothing is filed. */
    fill_to(f, 1 << 20);
    fprintf(stderr, "tmpfs free: %llu bytes\n",
            (unsigned long long) disk_free(f));
    char words[800];
    snprintf(words, sizeof words, "the disk holding %s is full (", f->store);
    assert_int_equal(submit(f, "2023-11", good, log), 1);
    assert_true(file_has(log, words));
    assert_true(file_has(log, "MiB free"));
    assert_false(file_has(log, "grow the map"));
    assert_false(file_has(log, "store (LMDB) failure"));
    node_stats_t st;
    outbox_stats(f, &st);
    assert_int_equal(st.pending + st.in_flight, GOOD + BAD);
    assert_non_null(strstr(st.store_error, "is full"));
    /* `baocao status` shows it. */
    const char *sargv[] = {"status", "--store", f->store, "--format", "json",
                           NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", sargv, &out), 0);
    assert_non_null(strstr(out, "\"store_error\":"));
    assert_non_null(strstr(out, "is full"));
    free(out);

    /* The daemon, on the same full disk, records every answer: stored
     * and rejected (with the hub's message). */
    const char *extra[] = {"--log-level", "info", NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    /* Some are rejected: the drain exits 1 (issue 15). */
    assert_int_equal(run_node(f, nodelog), 1);
    outbox_stats(f, &st);
    assert_int_equal(st.delivered, GOOD);
    assert_int_equal(st.rejected, BAD);
    assert_int_equal(st.pending + st.in_flight, 0);
    assert_false(file_has(nodelog, "grow the map"));
    assert_false(file_has(nodelog, "cannot record acknowledgements"));

    /* Space freed: filing works again, and it is delivered too. */
    assert_int_equal(unlink(f->filler), 0);
    assert_int_equal(submit(f, "2023-11", good, log), 0);
    /* The earlier rejections still need action: exit 1 again. */
    assert_int_equal(run_node(f, nodelog), 1);
    outbox_stats(f, &st);
    assert_int_equal(st.delivered, GOOD + 1);
    assert_int_equal(st.rejected, BAD);
    assert_int_equal(year_to_date(f), 7 * (GOOD + 1));
}

/* The disk entirely full under a running daemon. Filling the tmpfs to
 * the last byte is not enough to see it, LMDB reuses the pages its
 * earlier commits freed; so strace makes the daemon's first data-page
 * writes (writev) fail with ENOSPC, as a full disk does. The daemon says
 * so, once per wording, naming the disk (never "grow the map"), keeps
 * everything, and settles it all once the writes go through again. */
static void test_disk_full_under_daemon(void **state)
{
    fixture_t *f = *state;
    if (!f->mounted || access("/usr/bin/strace", X_OK) != 0) {
        fprintf(stderr, "SKIPPED: needs root (tmpfs) and /usr/bin/strace\n");
        skip();
    }
    char good[700], log[700], nodelog[700];
    snprintf(good, sizeof good, "%s/good.csv", f->dir);
    snprintf(log, sizeof log, "%s/submit.log", f->dir);
    snprintf(nodelog, sizeof nodelog, "%s/node.log", f->dir);
    bc_write_file(good, "indicator,value\nbirths,3\n");
    for (int m = 1; m <= 12; m++) {
        char period[16];
        snprintf(period, sizeof period, "2023-%02d", m);
        assert_int_equal(submit(f, period, good, log), 0);
    }
    fill_to(f, 0);
    const char *extra[] = {"--log-level", "info", NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    const char *wrap[] = {"/usr/bin/strace", "-f", "-qq", "-o", "/dev/null",
                          "-e", "inject=writev:error=ENOSPC:when=1..6", NULL};
    const char *argv[] = {"--store", f->store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--plain", "--drain",
                          "--max-seconds", "30", "--window", "4",
                          "--backoff-min", "100", "--backoff-max", "300",
                          "--log-level", "info", NULL};
    f->node = bc_spawn_wrapped(wrap, "baocao-node", argv, nodelog);
    assert_int_equal(bc_wait(&f->node, 40000), 0);
    node_stats_t st;
    outbox_stats(f, &st);
    assert_int_equal(st.delivered, 12);
    assert_int_equal(st.pending + st.in_flight + st.rejected, 0);
    assert_false(file_has(nodelog, "grow the map"));
    assert_int_equal(year_to_date(f), 36);
    /* Each distinct store error logged once, not once a burst. */
    char words[800];
    snprintf(words, sizeof words, "the disk holding %s is full (", f->store);
    FILE *fp = fopen(nodelog, "r");
    assert_non_null(fp);
    char line[2048];
    int full_lines = 0;
    while (fgets(line, sizeof line, fp))
        if (strstr(line, words))
            full_lines++;
    fclose(fp);
    fprintf(stderr, "node log: %d lines about the full disk\n", full_lines);
    assert_true(full_lines >= 1);
    assert_true(full_lines <= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_under_daemon, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.full_disk", tests, NULL,
                                       NULL);
}
