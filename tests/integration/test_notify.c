/*
 * test_notify.c -- the daemons under systemd's eyes, without systemd: the
 * test plays the service manager. It binds the datagram socket that
 * NOTIFY_SOCKET names, sets WATCHDOG_USEC, and starts the real hub and a
 * real node, then reads what they say: READY=1 once the hub listens (it
 * answers a query by then), WATCHDOG=1 again and again while the loops
 * turn, STOPPING=1 on SIGTERM. It also points JOURNAL_STREAM at a log
 * file's device and inode, as systemd does for a unit whose output goes
 * to the journal, and checks that each line then carries its syslog
 * priority ("<4>" for WARN), which journald turns into the entry's level.
 *
 * Without NOTIFY_SOCKET the same daemons run unchanged: every other test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char *dir;          /* temporary folder */
    int sock;           /* the "service manager's" notify socket */
    char path[512];     /* its path */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("notify");
    snprintf(f->path, sizeof f->path, "%s/notify.sock", f->dir);
    f->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(f->sock >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(f->path) < sizeof sa.sun_path);
    memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
    assert_int_equal(bind(f->sock, (struct sockaddr *) &sa, sizeof sa), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("JOURNAL_STREAM");
    close(f->sock);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Collects the datagrams that arrive within ms (a deadline: the watchdog
 * never stops talking), appended to buf, each followed by a newline.
 * Returns how many came. */
static int collect(fixture_t *f, char *buf, size_t len, int ms)
{
    int n = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = ms - ((t.tv_sec - t0.tv_sec) * 1000
                          + (t.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {f->sock, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int) left) <= 0)
            break;
        char msg[512];
        ssize_t got = recv(f->sock, msg, sizeof msg - 1, 0);
        if (got <= 0)
            break;
        msg[got] = '\0';
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s\n", msg);
        n++;
    }
    return n;
}

static int count(const char *text, const char *word)
{
    int n = 0;
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        n++;
    return n;
}

static void test_hub_ready_watchdog_stopping(void **state)
{
    fixture_t *f = *state;
    setenv("NOTIFY_SOCKET", f->path, 1);
    /* The hub's loop turns at least once a second (a 1 s poll), so it pets
     * a 1 s watchdog about every 0.5-1 s; the units give it 30 s. */
    setenv("WATCHDOG_USEC", "1000000", 1);
    bc_hub_t hub = BC_HUB_INIT;
    bc_hub_start(&hub, f->dir, NULL, NULL);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    /* READY=1 has come by the time it answers. */
    int64_t v;
    assert_false(bc_query_value(hub.endpoint, "HP", "2023-12", "sdd_u5", &v));
    char got[8192] = "";
    collect(f, got, sizeof got, 3000);
    if (count(got, "READY=1") != 1 || !strstr(got, "STATUS=tcp://")
        || count(got, "WATCHDOG=1") < 2)
        fail_msg("the hub said:\n%s", got);
    /* Paced: at most one pet per half period, not one per loop turn. */
    if (count(got, "WATCHDOG=1") > 8)
        fail_msg("%d watchdog pets in 3 s:\n%s", count(got, "WATCHDOG=1"),
                 got);
    assert_int_equal(bc_hub_stop(&hub), 0);
    got[0] = '\0';
    collect(f, got, sizeof got, 500);
    if (!strstr(got, "STOPPING=1"))
        fail_msg("no STOPPING=1 on SIGTERM:\n%s", got);
}

static void test_node_ready_and_journal_levels(void **state)
{
    fixture_t *f = *state;
    char store[600], log[600];
    snprintf(store, sizeof store, "%s/node", f->dir);
    snprintf(log, sizeof log, "%s/node.log", f->dir);
    bc_write_file(log, "");
    struct stat st;
    assert_int_equal(stat(log, &st), 0);
    char stream[64];
    snprintf(stream, sizeof stream, "%llu:%llu",
             (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
    setenv("NOTIFY_SOCKET", f->path, 1);
    setenv("WATCHDOG_USEC", "1000000", 1);
    setenv("JOURNAL_STREAM", stream, 1);
    /* Nobody listens on port 9: the node starts, says it is ready (it
     * works offline), warns that it cannot deliver, and keeps trying. */
    const char *argv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                          "tcp://127.0.0.1:9", "--plain", "--timeout",
                          "300", "--backoff-min", "100", NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, log);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("JOURNAL_STREAM");
    char got[8192] = "";
    collect(f, got, sizeof got, 3000);
    assert_int_equal(bc_stop(&p, SIGTERM, 10000), 0);
    collect(f, got, sizeof got, 300);
    if (count(got, "READY=1") != 1 || count(got, "WATCHDOG=1") < 2
        || !strstr(got, "STOPPING=1"))
        fail_msg("the node said:\n%s", got);
    /* Every line carries its priority for the journal. */
    FILE *fp = fopen(log, "r");
    assert_non_null(fp);
    char line[2048];
    int lines = 0;
    while (fgets(line, sizeof line, fp)) {
        lines++;
        bool ok = (!strncmp(line, "<6>", 3) && strstr(line, " INFO "))
                  || (!strncmp(line, "<4>", 3) && strstr(line, " WARN "))
                  || (!strncmp(line, "<3>", 3) && strstr(line, " ERROR"))
                  || (!strncmp(line, "<7>", 3) && strstr(line, " DEBUG"));
        if (!ok)
            fail_msg("line without its journal priority: %s", line);
    }
    fclose(fp);
    assert_true(lines >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hub_ready_watchdog_stopping,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_ready_and_journal_levels,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.notify", tests, NULL,
                                       NULL);
}
