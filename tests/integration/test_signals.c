/*
 * test_signals.c -- a daemon's signals are for its main loop only.
 *
 * The kernel gives a process-directed signal to any thread that does not
 * block it. The hub's writer thread once took one: its zstr_recv() came
 * back NULL with EINTR, it read that as "quit" and left, after which no
 * report was committed and SIGTERM hung on the "quit" sent to a PAIR with
 * no one behind it (seen once in CI, as a hub that did not stop in 10 s).
 * Here every thread of a real hub is sent SIGHUP, one by one (tgkill), as
 * the kernel might choose them: the hub must go on storing and stop
 * cleanly. A worker that blocks signals keeps them pending, unharmed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct {
    char *dir;
    bc_hub_t hub;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("signals");
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Sends `sig` to each thread of `pid` but the main one; returns how many. */
static int signal_workers(pid_t pid, int sig)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t tid = (pid_t) atoi(e->d_name);
        if (tid <= 0 || tid == pid)
            continue;
        if (syscall(SYS_tgkill, pid, tid, sig) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void test_workers_ignore_signals(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2024-01",
                               1, 1707000000, "sxh_cases=3"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    /* The writer, libzmq's I/O threads, the monitor: all of them. */
    assert_true(signal_workers(f->hub.proc.pid, SIGHUP) >= 2);
    usleep(200000);
    /* The writer is still there: a new report is committed. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2024-02",
                               1, 1709500000, "sxh_cases=4"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    int64_t v = 0;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2024-02",
                               "sxh_cases", &v));
    assert_int_equal(v, 4);
    /* A SIGTERM that lands on a worker stays pending there; one for the
     * process reaches the loop, which stops at once and cleanly. */
    signal_workers(f->hub.proc.pid, SIGTERM);
    assert_int_equal(bc_hub_stop(&f->hub), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_workers_ignore_signals, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
